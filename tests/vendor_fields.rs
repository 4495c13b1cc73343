//! «Vendor Extension Fields»: senders MAY add fields to the objects the specification
//! defines. A broker adds them to every answer with `vendor_field`; the framework
//! sends them next to the specification's fields, never in place of one, and keeps a
//! binding's with the binding when it stores it.

use http::StatusCode;
use osb::auth::Auth;
use osb::catalog::{AsyncOperations, Catalog, Plan, ServiceOffering};
use osb::store::MemoryStore;
use osb::testing::TestClient;
use osb::{
    Bind, Binding, BindingLastOperation, BindingOperationReport, Bound, Broker, Builder,
    Deprovision, Deprovisioned, Error, FetchBinding, FetchInstance, InstanceDetails, LastOperation,
    OperationReport, Provision, Provisioned, Unbind, Unbound, Update, Updated,
};
use serde_json::{Value, json};

const SVC: &str = "svc";
const SYNC: &str = "p-sync";
const ASYNC: &str = "p-async";

/// Answers everything, with a vendor field `x-acme-<operation>` on every answer.
#[derive(Clone)]
struct Acme;

impl Broker for Acme {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new(SVC, "acme", "Vendor fields everywhere.")
                .bindable(true)
                .plan_updateable(true)
                .instances_retrievable(true)
                .bindings_retrievable(true)
                .plan(Plan::new(SYNC, "sync", "Synchronous."))
                .plan(Plan::new(ASYNC, "async", "Asynchronous.").async_only(AsyncOperations::ALL)),
        ])
    }

    async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
        let answer = if request.plan_id == ASYNC {
            Provisioned::accepted("op-1")
        } else {
            Provisioned::created()
        };
        Ok(answer
            .vendor_field("x-acme-provision", json!({"region": "eu-1"}))
            // The specification's own name: left out, the real operation stays.
            .vendor_field("operation", "spoofed"))
    }

    async fn update(&self, _request: Update) -> Result<Updated, Error> {
        Ok(Updated::completed().vendor_field("x-acme-update", 2))
    }

    async fn deprovision(&self, request: Deprovision) -> Result<Deprovisioned, Error> {
        let answer = if request.plan_id == ASYNC {
            Deprovisioned::accepted("op-2")
        } else {
            Deprovisioned::completed()
        };
        Ok(answer.vendor_field("x-acme-deprovision", true))
    }

    async fn fetch_instance(&self, _request: FetchInstance) -> Result<InstanceDetails, Error> {
        Ok(InstanceDetails::new(SVC, SYNC)
            .vendor_field("x-acme-fetch", "yes")
            .vendor_field("plan_id", "spoofed"))
    }

    async fn last_operation(&self, _request: LastOperation) -> Result<OperationReport, Error> {
        Ok(OperationReport::in_progress()
            .vendor_field("x-acme-progress", 40)
            .vendor_field("state", "spoofed"))
    }

    async fn bind(&self, _request: Bind) -> Result<Bound, Error> {
        Ok(Bound::created(
            Binding::new()
                .credentials(&json!({"uri": "acme://db"}))
                .vendor_field("x-acme-bind", json!(["a", "b"]))
                .vendor_field("credentials", "spoofed"),
        ))
    }

    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed().vendor_field("x-acme-unbind", Value::Null))
    }

    async fn fetch_binding(&self, _request: FetchBinding) -> Result<Binding, Error> {
        Ok(Binding::new()
            .credentials(&json!({"uri": "acme://db"}))
            .vendor_field("x-acme-fetch-binding", 1))
    }

    async fn binding_last_operation(
        &self,
        _request: BindingLastOperation,
    ) -> Result<BindingOperationReport, Error> {
        Ok(BindingOperationReport::succeeded().vendor_field("x-acme-binding-progress", 100))
    }
}

fn client(store: bool) -> TestClient {
    let builder = Builder::new().broker(Acme).auth(Auth::none());
    let builder = if store {
        builder.store(MemoryStore::new())
    } else {
        builder
    };
    TestClient::new(builder.build().unwrap())
}

fn body(plan: &str) -> Value {
    json!({"service_id": SVC, "plan_id": plan, "organization_guid": "o", "space_guid": "s"})
}

#[tokio::test]
async fn every_answer_carries_the_brokers_vendor_fields() {
    let client = client(false);

    let r = client.provision("i-1", &body(SYNC), false).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json(), json!({"x-acme-provision": {"region": "eu-1"}}));

    let r = client.provision("i-2", &body(ASYNC), true).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        r.json(),
        json!({"operation": "op-1", "x-acme-provision": {"region": "eu-1"}})
    );

    let r = client.update("i-1", &body(SYNC), false).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"x-acme-update": 2}));

    let r = client.fetch_instance("i-1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"service_id": SVC, "plan_id": SYNC, "x-acme-fetch": "yes"})
    );

    let r = client.last_operation("i-2", Some("op-1")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"state": "in progress", "x-acme-progress": 40})
    );

    let r = client.bind("i-1", "b-1", &body(SYNC), false).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.json(),
        json!({"credentials": {"uri": "acme://db"}, "x-acme-bind": ["a", "b"]})
    );

    let r = client.fetch_binding("i-1", "b-1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"credentials": {"uri": "acme://db"}, "x-acme-fetch-binding": 1})
    );

    let r = client.binding_last_operation("i-1", "b-1", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"state": "succeeded", "x-acme-binding-progress": 100})
    );

    let r = client.unbind("i-1", "b-1", SVC, SYNC, false).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"x-acme-unbind": null}));

    let r = client.deprovision("i-1", SVC, SYNC, false).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"x-acme-deprovision": true}));

    let r = client.deprovision("i-2", SVC, ASYNC, true).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        r.json(),
        json!({"operation": "op-2", "x-acme-deprovision": true})
    );
}

/// With a store, the framework keeps a binding whole: the `200` of an identical
/// re-bind, answered from the store, sends the binding's vendor fields too.
#[tokio::test]
async fn a_stored_binding_keeps_its_vendor_fields() {
    let client = client(true);
    let r = client.provision("i-1", &body(SYNC), false).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json(), json!({"x-acme-provision": {"region": "eu-1"}}));

    let bind = json!({"service_id": SVC, "plan_id": SYNC});
    let expected = json!({"credentials": {"uri": "acme://db"}, "x-acme-bind": ["a", "b"]});
    let r = client.bind("i-1", "b-1", &bind, false).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json(), expected);
    let r = client.bind("i-1", "b-1", &bind, false).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), expected);

    let r = client.unbind("i-1", "b-1", SVC, SYNC, false).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"x-acme-unbind": null}));
    let r = client.deprovision("i-1", SVC, SYNC, false).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"x-acme-deprovision": true}));
}
