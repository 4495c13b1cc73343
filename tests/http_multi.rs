//! Several brokers behind one router, building errors, and the OSB router inside an
//! existing axum application.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use common::*;
use http::Method;
use osb::catalog::{Catalog, Plan, ServiceOffering};
use osb::{
    Bind, Binding, BindingLastOperation, BindingOperationReport, Bound, Broker, BuildError,
    Deprovision, Deprovisioned, Error, FetchBinding, FetchInstance, InstanceDetails, LastOperation,
    OperationReport, Provision, Provisioned, Unbind, Unbound, Update, Updated,
};
use serde_json::json;

const ALPHA: &str = "svc-alpha";
const ALPHA_ONE: &str = "plan-alpha-1";
const ALPHA_TWO: &str = "plan-alpha-2";
const BETA: &str = "svc-beta";
const BETA_PLAN: &str = "plan-beta";

/// Which broker was asked what, in order: `alpha:fetch_instance:b-1`.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, broker: &str, operation: &str, id: &str) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{broker}:{operation}:{id}"));
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Not-found answers by id: `<prefix>-…` ids exist, `busy` and `gone` ids answer so.
fn lookup(prefix: &str, id: &str) -> Result<(), Error> {
    if id.ends_with("-busy") && id.starts_with(prefix) {
        Err(Error::concurrency_error())
    } else if id.ends_with("-gone") && id.starts_with(prefix) {
        Err(Error::gone())
    } else if id.starts_with(prefix) {
        Ok(())
    } else {
        Err(Error::instance_not_found())
    }
}

/// Instances `a-…`; two plans; no binding fetch or polling (the defaults answer).
#[derive(Clone, Default)]
struct Alpha(Log);

impl Broker for Alpha {
    fn catalog(&self) -> Catalog {
        Catalog::new([ServiceOffering::new(ALPHA, "alpha", "The first offering.")
            .bindable(true)
            .instances_retrievable(true)
            .plan(Plan::new(ALPHA_ONE, "one", "The first plan."))
            .plan(Plan::new(ALPHA_TWO, "two", "The second plan."))])
    }

    async fn provision(&self, req: Provision) -> Result<Provisioned, Error> {
        self.0.push(
            "alpha",
            "provision",
            &format!(
                "{}@{}",
                req.instance_id,
                plan_index(&req).unwrap_or(usize::MAX)
            ),
        );
        Ok(Provisioned::created().dashboard_url(format!("https://alpha/{}", req.instance_id)))
    }

    async fn update(&self, req: Update) -> Result<Updated, Error> {
        self.0.push("alpha", "update", &req.instance_id);
        Ok(Updated::completed())
    }

    async fn deprovision(&self, req: Deprovision) -> Result<Deprovisioned, Error> {
        self.0.push("alpha", "deprovision", &req.instance_id);
        Ok(Deprovisioned::completed())
    }

    async fn fetch_instance(&self, req: FetchInstance) -> Result<InstanceDetails, Error> {
        self.0.push("alpha", "fetch_instance", &req.instance_id);
        lookup("a-", &req.instance_id)?;
        Ok(InstanceDetails::new(ALPHA, ALPHA_ONE))
    }

    async fn last_operation(&self, req: LastOperation) -> Result<OperationReport, Error> {
        self.0.push("alpha", "last_operation", &req.instance_id);
        lookup("a-", &req.instance_id)?;
        Ok(OperationReport::succeeded().description("alpha done"))
    }

    async fn bind(&self, req: Bind) -> Result<Bound, Error> {
        self.0.push("alpha", "bind", &req.binding_id);
        Ok(Bound::created(
            Binding::new().credentials(&json!({"broker": "alpha"})),
        ))
    }

    async fn unbind(&self, req: Unbind) -> Result<Unbound, Error> {
        self.0.push("alpha", "unbind", &req.binding_id);
        Ok(Unbound::completed())
    }
}

/// Instances `b-…`; one plan; everything implemented.
#[derive(Clone, Default)]
struct Beta(Log);

impl Broker for Beta {
    fn catalog(&self) -> Catalog {
        Catalog::new([ServiceOffering::new(BETA, "beta", "The second offering.")
            .bindable(true)
            .instances_retrievable(true)
            .bindings_retrievable(true)
            .plan(Plan::new(BETA_PLAN, "only", "The only plan."))])
    }

    async fn provision(&self, req: Provision) -> Result<Provisioned, Error> {
        self.0.push(
            "beta",
            "provision",
            &format!(
                "{}@{}",
                req.instance_id,
                plan_index(&req).unwrap_or(usize::MAX)
            ),
        );
        Ok(Provisioned::created().dashboard_url(format!("https://beta/{}", req.instance_id)))
    }

    async fn update(&self, req: Update) -> Result<Updated, Error> {
        let index = plan_index(&req);
        self.0
            .push("beta", "update", &format!("{}@{index:?}", req.instance_id));
        Ok(Updated::completed())
    }

    async fn deprovision(&self, req: Deprovision) -> Result<Deprovisioned, Error> {
        self.0.push("beta", "deprovision", &req.instance_id);
        Ok(Deprovisioned::completed())
    }

    async fn fetch_instance(&self, req: FetchInstance) -> Result<InstanceDetails, Error> {
        self.0.push("beta", "fetch_instance", &req.instance_id);
        lookup("b-", &req.instance_id)?;
        Ok(InstanceDetails::new(BETA, BETA_PLAN))
    }

    async fn last_operation(&self, req: LastOperation) -> Result<OperationReport, Error> {
        self.0.push("beta", "last_operation", &req.instance_id);
        lookup("b-", &req.instance_id)?;
        Ok(OperationReport::in_progress().description("beta busy"))
    }

    async fn bind(&self, req: Bind) -> Result<Bound, Error> {
        self.0.push("beta", "bind", &req.binding_id);
        Ok(Bound::created(
            Binding::new().credentials(&json!({"broker": "beta"})),
        ))
    }

    async fn unbind(&self, req: Unbind) -> Result<Unbound, Error> {
        self.0.push("beta", "unbind", &req.binding_id);
        Ok(Unbound::completed())
    }

    async fn fetch_binding(&self, req: FetchBinding) -> Result<Binding, Error> {
        self.0.push("beta", "fetch_binding", &req.binding_id);
        lookup("b-", &req.instance_id).map_err(|_| Error::binding_not_found())?;
        Ok(Binding::new().credentials(&json!({"broker": "beta"})))
    }

    async fn binding_last_operation(
        &self,
        req: BindingLastOperation,
    ) -> Result<BindingOperationReport, Error> {
        self.0
            .push("beta", "binding_last_operation", &req.binding_id);
        lookup("b-", &req.instance_id).map_err(|_| Error::binding_not_found())?;
        Ok(BindingOperationReport::succeeded())
    }
}

/// A broker that only has a catalog, for building errors.
struct Fixed(Catalog);

impl Broker for Fixed {
    fn catalog(&self) -> Catalog {
        self.0.clone()
    }

    async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn two_brokers() -> (Router, Log) {
    let log = Log::default();
    let router = osb::Builder::new()
        .broker(Alpha(log.clone()))
        .broker(Beta(log.clone()))
        .auth(osb::auth::BasicAuth::new(USER, PASSWORD))
        .build()
        .expect("two valid catalogs");
    (router, log)
}

fn provision_for(service: &str, plan: &str) -> serde_json::Value {
    json!({"service_id": service, "plan_id": plan, "organization_guid": "o", "space_guid": "s"})
}

#[tokio::test]
async fn the_catalogs_are_merged_in_order() {
    let (app, _) = two_brokers();
    let merged = Catalog::new(
        [Alpha::default().catalog(), Beta::default().catalog()]
            .into_iter()
            .flat_map(|catalog| catalog.services),
    );
    let expected: serde_json::Value = serde_json::from_str(&merged.to_json()).unwrap();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/v2/catalog").send(to).await;
        r.assert_json(200, expected.clone());
        let ids: Vec<&str> = expected["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [ALPHA, BETA]);
    }
}

#[tokio::test]
async fn mutations_reach_the_owner_of_the_service() {
    let (app, log) = two_brokers();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::PUT, "/v2/service_instances/x-1")
            .json(provision_for(ALPHA, ALPHA_TWO))
            .send(to)
            .await;
        r.assert_json(201, json!({"dashboard_url": "https://alpha/x-1"}));
        let r = req(Method::PUT, "/v2/service_instances/x-2")
            .json(provision_for(BETA, BETA_PLAN))
            .send(to)
            .await;
        r.assert_json(201, json!({"dashboard_url": "https://beta/x-2"}));
        // plan_index counts within each broker's own catalog.
        assert_eq!(
            log.take(),
            ["alpha:provision:x-1@1", "beta:provision:x-2@0"]
        );

        let r = req(Method::PATCH, "/v2/service_instances/x-2")
            .json(json!({"service_id": BETA}))
            .send(to)
            .await;
        r.assert_json(200, json!({}));
        let r = req(Method::PATCH, "/v2/service_instances/x-1")
            .json(json!({"service_id": ALPHA, "plan_id": ALPHA_ONE}))
            .send(to)
            .await;
        r.assert_json(200, json!({}));
        assert_eq!(log.take(), ["beta:update:x-2@None", "alpha:update:x-1"]);

        let r = req(
            Method::PUT,
            "/v2/service_instances/x-2/service_bindings/y-2",
        )
        .json(json!({"service_id": BETA, "plan_id": BETA_PLAN}))
        .send(to)
        .await;
        r.assert_json(201, json!({"credentials": {"broker": "beta"}}));
        let r = req(
            Method::PUT,
            "/v2/service_instances/x-1/service_bindings/y-1",
        )
        .json(json!({"service_id": ALPHA, "plan_id": ALPHA_ONE}))
        .send(to)
        .await;
        r.assert_json(201, json!({"credentials": {"broker": "alpha"}}));
        assert_eq!(log.take(), ["beta:bind:y-2", "alpha:bind:y-1"]);

        let r = req(
            Method::DELETE,
            &format!("/v2/service_instances/x-1/service_bindings/y-1?service_id={ALPHA}&plan_id={ALPHA_ONE}"),
        )
        .send(to)
        .await;
        r.assert_json(200, json!({}));
        let r = req(
            Method::DELETE,
            &format!("/v2/service_instances/x-2?service_id={BETA}&plan_id={BETA_PLAN}"),
        )
        .send(to)
        .await;
        r.assert_json(200, json!({}));
        assert_eq!(log.take(), ["alpha:unbind:y-1", "beta:deprovision:x-2"]);

        // A plan of the other broker's offering is no plan of this one.
        let r = req(Method::PUT, "/v2/service_instances/x-3")
            .json(provision_for(ALPHA, BETA_PLAN))
            .send(to)
            .await;
        r.assert_json(
            400,
            json!({"description": "plan `plan-beta` does not belong to service offering `svc-alpha`"}),
        );
        assert!(log.take().is_empty());
    }
}

/// `previous_values.plan_id` names the plan before the update, so it belongs to the
/// request's `service_id`. A plan of another offering must neither decide the checks
/// of the update nor reach the handler as its plan: reject the request (400), or
/// ignore the foreign plan as the runtime ignores a plan that left the catalog.
#[tokio::test]

async fn a_previous_plan_of_another_offering_is_not_the_target_plan() {
    let check = |r: &Reply, plan_index: Option<Option<usize>>| match r.status.as_u16() {
        400 => {}
        200 => assert_eq!(
            plan_index.flatten(),
            None,
            "the handler got a foreign plan_index"
        ),
        _ => panic!("{}: {}", r.status, r.text()),
    };
    // Across brokers, plan `two` of Alpha would reach Beta as index 1 of Beta's one-plan catalog.
    let (multi, log) = two_brokers();
    for to in &targets(multi).await {
        println!("{to}");
        let r = req(Method::PATCH, "/v2/service_instances/b-1")
            .json(json!({"service_id": BETA, "previous_values": {"plan_id": ALPHA_TWO}}))
            .send(to)
            .await;
        let calls = log.take();
        let index = match calls.as_slice() {
            [] => None,
            [call] if call == "beta:update:b-1@None" => Some(None),
            other => panic!("{other:?}"),
        };
        check(&r, index);
    }
    // In one broker: plan `large` of svc-db (async only) must not make an update of
    // svc-queue answer AsyncRequired.
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        broker.clear();
        let r = req(Method::PATCH, "/v2/service_instances/q-1")
            .json(json!({"service_id": QUEUE, "previous_values": {"plan_id": LARGE}}))
            .send(to)
            .await;
        let index = broker
            .calls()
            .last()
            .map(|_| plan_index(&broker.last_update()));
        check(&r, index);
    }
}

#[tokio::test]
async fn reads_with_hints_go_straight_to_the_owner() {
    let (app, log) = two_brokers();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(
            Method::GET,
            &format!("/v2/service_instances/b-1?service_id={BETA}"),
        )
        .send(to)
        .await;
        r.assert_json(200, json!({"service_id": BETA, "plan_id": BETA_PLAN}));
        let r = req(
            Method::GET,
            &format!("/v2/service_instances/a-1/last_operation?plan_id={ALPHA_TWO}"),
        )
        .send(to)
        .await;
        r.assert_json(
            200,
            json!({"state": "succeeded", "description": "alpha done"}),
        );
        assert_eq!(
            log.take(),
            ["beta:fetch_instance:b-1", "alpha:last_operation:a-1"]
        );

        // The hinted broker's answer stands, even when another broker knows the id.
        let r = req(
            Method::GET,
            &format!("/v2/service_instances/a-1?service_id={BETA}"),
        )
        .send(to)
        .await;
        r.assert_json(
            404,
            json!({"description": "The service instance does not exist."}),
        );
        assert_eq!(log.take(), ["beta:fetch_instance:a-1"]);
    }
}

#[tokio::test]
async fn reads_without_hints_ask_each_broker_in_turn() {
    let (app, log) = two_brokers();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/v2/service_instances/a-1").send(to).await;
        r.assert_json(200, json!({"service_id": ALPHA, "plan_id": ALPHA_ONE}));
        assert_eq!(log.take(), ["alpha:fetch_instance:a-1"]);

        let r = req(Method::GET, "/v2/service_instances/b-1").send(to).await;
        r.assert_json(200, json!({"service_id": BETA, "plan_id": BETA_PLAN}));
        assert_eq!(
            log.take(),
            ["alpha:fetch_instance:b-1", "beta:fetch_instance:b-1"]
        );

        let r = req(
            Method::GET,
            "/v2/service_instances/b-1/last_operation?operation=op",
        )
        .send(to)
        .await;
        r.assert_json(
            200,
            json!({"state": "in progress", "description": "beta busy"}),
        );
        assert_eq!(
            log.take(),
            ["alpha:last_operation:b-1", "beta:last_operation:b-1"]
        );

        let r = req(Method::GET, "/v2/service_instances/c-1").send(to).await;
        r.assert_json(
            404,
            json!({"description": "The service instance does not exist."}),
        );
        assert_eq!(
            log.take(),
            ["alpha:fetch_instance:c-1", "beta:fetch_instance:c-1"]
        );
        let r = req(Method::GET, "/v2/service_instances/c-1/last_operation")
            .send(to)
            .await;
        r.assert_error(404);
        log.take();

        // Alpha does not implement binding fetches: its default answer is skipped too.
        let r = req(
            Method::GET,
            "/v2/service_instances/b-1/service_bindings/y-1",
        )
        .send(to)
        .await;
        r.assert_json(200, json!({"credentials": {"broker": "beta"}}));
        let r = req(
            Method::GET,
            "/v2/service_instances/b-1/service_bindings/y-1/last_operation",
        )
        .send(to)
        .await;
        r.assert_json(200, json!({"state": "succeeded"}));
        let r = req(
            Method::GET,
            "/v2/service_instances/a-1/service_bindings/y-1",
        )
        .send(to)
        .await;
        r.assert_json(
            404,
            json!({"description": "The service binding does not exist."}),
        );
        assert_eq!(
            log.take(),
            [
                "beta:fetch_binding:y-1",
                "beta:binding_last_operation:y-1",
                "beta:fetch_binding:y-1"
            ]
        );
    }
}

#[tokio::test]
async fn any_other_answer_stops_the_search() {
    let (app, log) = two_brokers();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/v2/service_instances/a-busy")
            .send(to)
            .await;
        r.assert_json(
            422,
            json!({
                "error": "ConcurrencyError",
                "description": "Another operation for this Service Instance is in progress."
            }),
        );
        assert_eq!(log.take(), ["alpha:fetch_instance:a-busy"]);
        let r = req(Method::GET, "/v2/service_instances/a-gone/last_operation")
            .send(to)
            .await;
        r.assert_json(
            410,
            json!({"description": "The resource has been deleted."}),
        );
        assert_eq!(log.take(), ["alpha:last_operation:a-gone"]);
    }
}

#[test]
fn duplicate_ids_across_brokers_fail_the_build() {
    let same_service = Fixed(Catalog::new([ServiceOffering::new(
        ALPHA, "other", "Clashes.",
    )
    .plan(Plan::new("plan-other", "p", "A plan."))]));
    let err = osb::Builder::new()
        .broker(Alpha::default())
        .broker(same_service)
        .auth(osb::auth::BasicAuth::new(USER, PASSWORD))
        .build()
        .unwrap_err();
    let BuildError::Catalog(err) = err else {
        panic!("expected a catalog error, got {err:?}");
    };
    assert_eq!(
        err.problems(),
        [
            "id `svc-alpha` of service offering `other` is also the id of service offering `alpha`; ids MUST be globally unique"
        ]
    );

    let same_plan = Fixed(Catalog::new([ServiceOffering::new(
        "svc-other",
        "other",
        "Clashes.",
    )
    .plan(Plan::new(BETA_PLAN, "p", "A plan."))]));
    let err = osb::Builder::new()
        .broker(Beta::default())
        .broker(same_plan)
        .auth(osb::auth::BasicAuth::new(USER, PASSWORD))
        .build()
        .unwrap_err();
    let BuildError::Catalog(err) = err else {
        panic!("expected a catalog error, got {err:?}");
    };
    assert_eq!(
        err.problems(),
        [
            "id `plan-beta` of plan `p` of `other` is also the id of plan `only` of `beta`; ids MUST be globally unique"
        ]
    );

    // The same broker twice: every id and the offering name clash.
    let err = osb::Builder::new()
        .broker(Beta::default())
        .broker(Beta::default())
        .auth(osb::auth::BasicAuth::new(USER, PASSWORD))
        .build()
        .unwrap_err();
    let BuildError::Catalog(err) = err else {
        panic!("expected a catalog error, got {err:?}");
    };
    assert_eq!(err.problems().len(), 3, "{:?}", err.problems());
    assert!(err.to_string().starts_with("invalid catalog: "), "{err}");
}

#[test]
#[should_panic(expected = "ids MUST be globally unique")]
fn router_panics_on_an_invalid_catalog() {
    let _ = osb::router(
        Fixed(Catalog::new([ServiceOffering::new(ALPHA, "a", "A.")
            .plan(Plan::new(ALPHA, "p", "Same id as its offering."))])),
        osb::auth::BasicAuth::new(USER, PASSWORD),
    );
}

#[test]
fn a_router_needs_auth_and_a_broker() {
    let err = osb::Builder::new()
        .broker(Alpha::default())
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::NoAuth), "{err:?}");
    assert!(err.to_string().contains("Auth::none()"), "{err}");
    let err = osb::Builder::new()
        .auth(osb::auth::BasicAuth::new(USER, PASSWORD))
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::NoBroker), "{err:?}");
}

#[tokio::test]
async fn merged_into_an_existing_application() {
    let (osb_router, log) = two_brokers();
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(osb_router);
    for to in &targets(app).await {
        println!("{to}");
        // The application's own route needs no OSB credentials or headers.
        let r = req(Method::GET, "/health")
            .without("authorization")
            .without("x-broker-api-version")
            .send(to)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), "ok");

        let r = req(Method::GET, "/v2/catalog").send(to).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["services"][1]["id"], BETA);
        let r = req(Method::GET, "/v2/catalog")
            .without("authorization")
            .send(to)
            .await;
        r.assert_error(401);
        let r = req(Method::PUT, "/v2/service_instances/x-1")
            .json(provision_for(BETA, BETA_PLAN))
            .header("x-broker-api-request-identity", "rid-merged")
            .send(to)
            .await;
        r.assert_json(201, json!({"dashboard_url": "https://beta/x-1"}));
        assert_eq!(
            r.header("x-broker-api-request-identity"),
            Some("rid-merged")
        );
        assert_eq!(log.take(), ["beta:provision:x-1@0"]);
        // Unknown paths still get the OSB 404.
        let r = req(Method::GET, "/nope").send(to).await;
        r.assert_json(
            404,
            json!({"description": "No endpoint of the Open Service Broker API has this path."}),
        );
    }
}

#[tokio::test]
async fn nested_under_a_prefix() {
    let (osb_router, log) = two_brokers();
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest("/broker", osb_router);
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/broker/v2/catalog").send(to).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["services"][0]["id"], ALPHA);
        let r = req(Method::GET, "/broker/v2/service_instances/b-7")
            .send(to)
            .await;
        r.assert_json(200, json!({"service_id": BETA, "plan_id": BETA_PLAN}));
        assert_eq!(
            log.take(),
            ["alpha:fetch_instance:b-7", "beta:fetch_instance:b-7"]
        );
        let r = req(Method::GET, "/health").send(to).await;
        assert_eq!(r.text(), "ok");
    }
}
