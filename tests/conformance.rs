//! The conformance suite of `osb::testing`, run as a broker author runs it: against
//! the reference broker, and against brokers that break rules on purpose, to show
//! the suite catches them.

use std::time::Duration;

use osb::catalog::{Catalog, Plan, ServiceOffering};
use osb::store::MemoryStore;
use osb::testing::{Conformance, Outcome, PlanFixture, Report};
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};
use osb_examples::reference;
use serde_json::json;

const SMALL: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";
const LARGE: &str = "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34";

async fn reference_report() -> Report {
    let router = reference::builder(Duration::from_millis(30))
        .auth(osb::auth::BasicAuth::new("admin", "admin"))
        .store(MemoryStore::new())
        .build()
        .unwrap();
    Conformance::new(router)
        .basic_auth("admin", "admin")
        .plan(
            SMALL,
            PlanFixture::new()
                .provision(json!({"size_mb": 64}))
                .conflicting_provision(json!({"size_mb": 128}))
                .bind_resource(json!({"app_guid": "app-1"}))
                .conflicting_bind_resource(json!({"app_guid": "app-2"})),
        )
        .plan(
            LARGE,
            PlanFixture::new().provision(json!({"size_mb": 2048})),
        )
        .run()
        .await
}

#[tokio::test]
async fn the_reference_broker_passes() {
    let report = reference_report().await;
    println!("{report}");
    report.assert_passed();
    // Every family of rules ran, none was skipped for want of a fixture.
    for expected in [
        "Catalog Management",
        "Authentication",
        "API Version Header",
        "Request Identity",
        "unknown plan_id gets 400",
        "identically gets 200",
        "other attributes gets 409",
        "answers 422 AsyncRequired",
        "provision succeeds",
        "binds synchronously with 201",
        "bind succeeds",
        "other parameters gets 409",
        "again gets 410",
        "does not exist gets 404",
    ] {
        assert!(
            report
                .checks
                .iter()
                .any(|c| c.rule.contains(expected) && c.outcome == Outcome::Passed),
            "no passed check for {expected:?}\n{report}"
        );
    }
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .collect();
    assert!(
        skipped
            .iter()
            .all(|c| c.rule.contains("a plan of another offering")
                || c.rule.contains("with other parameters gets 409")
                // The reference plans are not binding_rotatable; `large` has no
                // maintenance_info.
                || c.rule.starts_with("Binding Rotation")
                || c.rule == "Provisioning: plan `large` answers 422 MaintenanceInfoConflict to another maintenance_info version"),
        "{skipped:#?}"
    );
}

/// Provisions without any bookkeeping: every provision answers 201, every delete 200.
struct Forgetful;

impl osb::Broker for Forgetful {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new("forgetful", "forgetful", "Remembers nothing.")
                .instances_retrievable(true)
                .plan(Plan::new("forgetful-a", "a", "A."))
                .plan(Plan::new("forgetful-b", "b", "B.")),
        ])
    }

    async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

#[tokio::test]
async fn a_broker_without_bookkeeping_fails_with_the_rules_named() {
    let router = osb::Builder::new()
        .broker(Forgetful)
        .auth(osb::auth::Auth::none())
        .build()
        .unwrap();
    let report = Conformance::new(router).run().await;
    let failed: Vec<&str> = report.failures().map(|c| c.rule.as_str()).collect();
    assert!(
        failed.contains(&"Provisioning: re-provisioning plan `a` identically gets 200"),
        "{report}"
    );
    assert!(failed.contains(
        &"Provisioning: re-provisioning plan `a`'s instance with other attributes gets 409"
    ));
    assert!(failed.contains(&"Deprovisioning: deleting an instance that does not exist gets 410"));
    assert!(
        failed.contains(
            &"Fetching a Service Instance: plan `a`'s instance answers 200 with its plan"
        )
    );
    // Authentication checks are skipped, not failed, for a router without auth.
    assert!(report.checks.iter().any(
        |c| c.rule.contains("without credentials") && matches!(c.outcome, Outcome::Skipped(_))
    ));
    // A failure shows the request and the response.
    let text = report.to_string();
    assert!(
        text.contains("request:  PUT /v2/service_instances/osb-check-"),
        "{text}"
    );
    assert!(text.contains("response: 201 {}"), "{text}");
    let panic = std::panic::catch_unwind(|| report.assert_passed()).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.starts_with("the broker breaks rules of the OSB API:"));
}

#[tokio::test]
async fn the_version_rule_follows_the_router_setting() {
    let router = reference::builder(Duration::from_millis(10))
        .auth(osb::auth::BasicAuth::new("admin", "admin"))
        .store(MemoryStore::new())
        .missing_version(osb::api::MissingVersion::BadRequest)
        .build()
        .unwrap();
    let report = Conformance::new(router.clone())
        .basic_auth("admin", "admin")
        .run()
        .await;
    assert!(report.failures().any(
        |c| c.rule == "API Version Header: a request without X-Broker-API-Version is rejected"
    ));
    let report = Conformance::new(router)
        .basic_auth("admin", "admin")
        .missing_version_status(http::StatusCode::BAD_REQUEST)
        .run()
        .await;
    assert!(
        !report
            .failures()
            .any(|c| c.rule.contains("X-Broker-API-Version")),
        "{report}"
    );
}

/// The reference broker is `stateful`: without a store it would forget, so building
/// its router without one fails and says what to do.
#[test]
fn the_reference_broker_needs_a_store() {
    let err = reference::builder(Duration::ZERO)
        .auth(osb::auth::Auth::none())
        .build()
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "broker `osb_examples::reference::broker::Reference` relies on a state store (it is \
         `stateful`): configure one with Builder::store, such as osb::store::MemoryStore or \
         osb::store::SqlStore"
    );
}
