//! The bookkeeping a router with a store does for its brokers («Provisioning»,
//! «Binding», «Deprovisioning», «Unbinding», «Fetching», «Polling Last Operation»):
//! idempotent creates, 409 for different ones, 202 with the same operation while one
//! runs, 410 for deleting what does not exist, fetch and `last_operation` from the
//! store, `ConcurrencyError` for conflicting changes, background work, resuming
//! interrupted work, and `maximum_polling_duration`.
//!
//! The broker here has no state of its own: everything it answers beyond "done" comes
//! from the framework. Background work waits for the test to open a gate, so no test
//! depends on timing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use osb::auth::Auth;
use osb::catalog::{AsyncOperations, Catalog, Plan, ServiceOffering};
use osb::request::Interrupted;
use osb::response::Resumed;
use osb::store::{
    InstanceRecord, MemoryStore, OperationKind, OperationRecord, ResourceState, StateConfig, Store,
};
use osb::testing::{TestClient, TestResponse};
use osb::{
    Bind, Binding, Bound, Broker, Builder, Deprovision, Deprovisioned, Error, Provision,
    Provisioned, Unbind, Unbound, Update, Updated,
};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

const SVC: &str = "svc";
/// Synchronous.
const SYNC: &str = "p-sync";
/// Every operation in the background, after the gate opens.
const BG: &str = "p-bg";
/// Background work that never ends, under a one-second `maximum_polling_duration`.
const STUCK: &str = "p-stuck";
/// Handlers that panic.
const PANIC: &str = "p-panic";
/// Synchronous, but the provision handler answers only once the gate opens.
const SLOW: &str = "p-slow";
/// Provisions in the background, but is not `async_only`: clients may or may not
/// accept 202.
const EITHER: &str = "p-either";
/// Bindings may be rotated; binding ids starting with `expired` expire at once.
const ROTATE: &str = "p-rotate";

/// A broker without state: it answers "done", or hands work to the framework.
#[derive(Clone)]
struct Lab {
    gate: Arc<Semaphore>,
    resumed: Arc<Mutex<Vec<Interrupted>>>,
    passwords: Arc<AtomicUsize>,
    updates: Arc<Mutex<Vec<Update>>>,
}

impl Lab {
    fn new() -> Self {
        Self {
            gate: Arc::new(Semaphore::new(0)),
            resumed: Arc::default(),
            passwords: Arc::default(),
            updates: Arc::default(),
        }
    }

    /// Lets `n` pieces of background work finish.
    fn open(&self, n: usize) {
        self.gate.add_permits(n);
    }

    fn work(&self, fail: bool) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let gate = self.gate.clone();
        async move {
            gate.acquire().await.map_err(Error::internal)?.forget();
            if fail {
                return Err(Error::failed("the disk is full"));
            }
            Ok(())
        }
    }

    fn binding(&self) -> Binding {
        let n = self.passwords.fetch_add(1, Ordering::Relaxed);
        Binding::new().credentials(&json!({ "password": format!("secret-{n}") }))
    }
}

fn fails(parameters: Option<&osb::request::Parameters>) -> bool {
    parameters
        .and_then(|p| p.get::<bool>("fail").ok().flatten())
        .unwrap_or(false)
}

impl Broker for Lab {
    fn catalog(&self) -> Catalog {
        Catalog::new([ServiceOffering::new(SVC, "lab", "A broker without state.")
            .bindable(true)
            .plan_updateable(true)
            .instances_retrievable(true)
            .bindings_retrievable(true)
            .plan(Plan::new(SYNC, "sync", "Synchronous."))
            .plan(Plan::new(BG, "bg", "In the background.").async_only(AsyncOperations::ALL))
            .plan(
                Plan::new(STUCK, "stuck", "Never finishes.")
                    .async_only(AsyncOperations::ALL)
                    .maximum_polling_duration(1),
            )
            .plan(Plan::new(PANIC, "panic", "Panics."))
            .plan(Plan::new(SLOW, "slow", "Answers when the gate opens."))
            .plan(Plan::new(EITHER, "either", "Either way."))
            .plan(Plan::new(ROTATE, "rotate", "Rotating bindings.").binding_rotatable(true))])
    }

    async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
        if request
            .parameters
            .as_ref()
            .and_then(|p| p.get::<bool>("reject").ok().flatten())
            == Some(true)
        {
            return Err(Error::bad_request("rejected by the broker"));
        }
        match request.plan_id.as_str() {
            BG => Ok(
                Provisioned::in_background(self.work(fails(request.parameters.as_ref())))
                    .dashboard_url("https://dash.example/bg"),
            ),
            STUCK => Ok(Provisioned::in_background(std::future::pending())),
            PANIC => panic!("the provision handler panicked"),
            SLOW => {
                self.work(false).await?;
                Ok(Provisioned::created())
            }
            EITHER => Ok(Provisioned::in_background(
                self.work(fails(request.parameters.as_ref())),
            )),
            _ => Ok(Provisioned::created().dashboard_url("https://dash.example/sync")),
        }
    }

    async fn update(&self, request: Update) -> Result<Updated, Error> {
        let background = request.accepts_incomplete;
        let fail = fails(request.parameters.as_ref());
        self.updates.lock().unwrap().push(request);
        if background {
            Ok(Updated::in_background(self.work(fail)))
        } else {
            Ok(Updated::completed())
        }
    }

    async fn deprovision(&self, request: Deprovision) -> Result<Deprovisioned, Error> {
        match request.plan_id.as_str() {
            BG => Ok(Deprovisioned::in_background(self.work(false))),
            _ => Ok(Deprovisioned::completed()),
        }
    }

    async fn bind(&self, request: Bind) -> Result<Bound, Error> {
        let mut binding = self.binding();
        if request.binding_id.starts_with("expired") {
            binding = binding.metadata(osb::response::BindingMetadata {
                expires_at: Some(osb::response::Timestamp::from_unix_millis(1_000)),
                renew_before: None,
            });
        }
        match request.plan_id.as_str() {
            BG => {
                let work = self.work(false);
                Ok(Bound::in_background(async move {
                    work.await?;
                    Ok(binding)
                }))
            }
            _ => Ok(Bound::created(binding)),
        }
    }

    async fn unbind(&self, request: Unbind) -> Result<Unbound, Error> {
        match request.plan_id.as_str() {
            BG => Ok(Unbound::in_background(self.work(false))),
            _ => Ok(Unbound::completed()),
        }
    }

    async fn resume(&self, interrupted: Interrupted) -> Result<Resumed, Error> {
        let kind = interrupted.kind;
        self.resumed.lock().unwrap().push(interrupted);
        Ok(match kind {
            OperationKind::Bind => Resumed::Bound(self.binding()),
            _ => Resumed::Completed,
        })
    }
}

fn client_with(lab: &Lab, store: impl Store, config: StateConfig) -> TestClient {
    let router = Builder::new()
        .broker(lab.clone())
        .auth(Auth::none())
        .store(store)
        .state_config(config)
        .build()
        .unwrap();
    TestClient::new(router)
}

fn client(lab: &Lab) -> TestClient {
    client_with(lab, MemoryStore::new(), StateConfig::default())
}

fn provision_body(plan: &str, parameters: Value) -> Value {
    json!({
        "service_id": SVC,
        "plan_id": plan,
        "organization_guid": "org",
        "space_guid": "space",
        "parameters": parameters,
    })
}

fn bind_body(plan: &str) -> Value {
    json!({ "service_id": SVC, "plan_id": plan, "bind_resource": { "app_guid": "app-1" } })
}

#[track_caller]
fn expect(response: &TestResponse, status: StatusCode) {
    assert_eq!(response.status, status, "{response:?}");
}

/// Polls until the operation is no longer in progress; its last answer.
async fn settled(client: &TestClient, instance: &str, binding: Option<&str>) -> TestResponse {
    for _ in 0..500 {
        let response = match binding {
            None => client.last_operation(instance, None).await,
            Some(binding) => client.binding_last_operation(instance, binding, None).await,
        };
        if response.json()["state"] != "in progress" {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the operation on {instance} never finished");
}

#[tokio::test]
async fn an_identical_provision_answers_200_a_different_one_409() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(SYNC, json!({ "size": 1 }));
    expect(
        &client.provision("i-1", &body, false).await,
        StatusCode::CREATED,
    );

    let again = client.provision("i-1", &body, false).await;
    expect(&again, StatusCode::OK);
    // What the broker answered first is answered again.
    assert_eq!(
        again.json(),
        json!({ "dashboard_url": "https://dash.example/sync" })
    );
    // Key order does not make a request different.
    let reordered = json!({
        "parameters": { "size": 1 }, "space_guid": "space", "organization_guid": "org",
        "plan_id": SYNC, "service_id": SVC,
    });
    expect(
        &client.provision("i-1", &reordered, false).await,
        StatusCode::OK,
    );

    let other = client
        .provision("i-1", &provision_body(SYNC, json!({ "size": 2 })), false)
        .await;
    expect(&other, StatusCode::CONFLICT);
    assert_eq!(other.json()["error"], Value::Null, "409 has no error code");
    let other_plan = client
        .provision("i-1", &provision_body(BG, json!({ "size": 1 })), true)
        .await;
    expect(&other_plan, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_rejected_provision_leaves_nothing_behind() {
    let lab = Lab::new();
    let client = client(&lab);
    let rejected = client
        .provision(
            "i-1",
            &provision_body(SYNC, json!({ "reject": true })),
            false,
        )
        .await;
    expect(&rejected, StatusCode::BAD_REQUEST);
    expect(&client.fetch_instance("i-1").await, StatusCode::NOT_FOUND);
    // Not a conflict: the first attempt did not create anything.
    let body = provision_body(SYNC, json!({}));
    expect(
        &client.provision("i-1", &body, false).await,
        StatusCode::CREATED,
    );
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_leaves_nothing_behind() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(PANIC, json!({}));
    let response = client.provision("i-1", &body, false).await;
    expect(&response, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!response.text().contains("panicked"), "{response:?}");
    expect(&client.fetch_instance("i-1").await, StatusCode::NOT_FOUND);
    // The instance id is free again.
    expect(
        &client
            .provision("i-1", &provision_body(SYNC, json!({})), false)
            .await,
        StatusCode::CREATED,
    );
}

#[tokio::test]
async fn fetch_answers_what_was_provisioned_and_updated() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(SYNC, json!({ "size": 1 }));
    expect(
        &client.provision("i-1", &body, false).await,
        StatusCode::CREATED,
    );
    let fetched = client.fetch_instance("i-1").await;
    expect(&fetched, StatusCode::OK);
    assert_eq!(
        fetched.json(),
        json!({
            "service_id": SVC, "plan_id": SYNC, "parameters": { "size": 1 },
            "dashboard_url": "https://dash.example/sync",
        })
    );
    let update = json!({ "service_id": SVC, "parameters": { "size": 3 } });
    expect(&client.update("i-1", &update, false).await, StatusCode::OK);
    assert_eq!(
        client.fetch_instance("i-1").await.json()["parameters"],
        json!({ "size": 3 })
    );
    expect(&client.fetch_instance("i-2").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_update_naming_no_plan_is_checked_against_the_plan_in_force() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(BG, json!({}));
    expect(
        &client.provision("i-1", &body, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    settled(&client, "i-1", None).await;

    // No plan_id and no previous_values: the store knows the plan is asynchronous.
    let update = json!({ "service_id": SVC, "parameters": { "size": 3 } });
    let response = client.update("i-1", &update, false).await;
    expect(&response, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["error"], "AsyncRequired");

    expect(
        &client.update("i-1", &update, true).await,
        StatusCode::ACCEPTED,
    );
    // The handler learns the plan before the update.
    let seen = lab.updates.lock().unwrap().last().cloned().unwrap();
    assert_eq!(seen.plan_id, None);
    assert_eq!(seen.target_plan_id(), Some(BG));
    assert_eq!(osb::__private::plan_position(&seen, &[]), Some(1));
}

/// «Updating a Service Instance» lists no 404: an unknown instance is bad input.
#[tokio::test]
async fn an_update_of_an_unknown_instance_is_400_and_says_so() {
    let lab = Lab::new();
    let client = client(&lab);
    let update = json!({ "service_id": SVC, "plan_id": SYNC });
    let response = client.update("nothing", &update, false).await;
    expect(&response, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json(),
        json!({ "description": "service instance `nothing` does not exist" })
    );
}

/// While a synchronous provision's handler runs, the same request from a client that
/// can poll gets 202 with the operation the claim started, in the framework's form
/// `provision-<hex milliseconds>-<counter>`; the first request then answers 201.
#[tokio::test]
async fn a_provision_resent_while_its_handler_runs_gets_its_operation() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(SLOW, json!({}));
    let first = tokio::spawn({
        let (client, body) = (client.clone(), body.clone());
        async move { client.provision("i-1", &body, false).await }
    });
    // Claimed once a poll finds it in progress.
    for _ in 0..200 {
        if client.last_operation("i-1", None).await.status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let again = client.provision("i-1", &body, true).await;
    expect(&again, StatusCode::ACCEPTED);
    let operation = again.json()["operation"].as_str().unwrap().to_owned();
    let parts: Vec<&str> = operation.split('-').collect();
    assert_eq!(parts.len(), 3, "{operation}");
    assert_eq!(parts[0], "provision");
    let started = u64::from_str_radix(parts[1], 16).unwrap();
    assert!(started > 1_700_000_000_000, "{operation}");
    parts[2].parse::<u64>().unwrap();
    assert_eq!(
        client.provision("i-1", &body, true).await.json()["operation"],
        operation
    );
    lab.open(1);
    expect(&first.await.unwrap(), StatusCode::CREATED);
    expect(&client.provision("i-1", &body, true).await, StatusCode::OK);
}

#[tokio::test]
async fn background_provisioning_is_polled_from_the_store() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(BG, json!({}));
    let accepted = client.provision("i-1", &body, true).await;
    expect(&accepted, StatusCode::ACCEPTED);
    let operation = accepted.json()["operation"].as_str().unwrap().to_owned();
    assert_eq!(accepted.json()["dashboard_url"], "https://dash.example/bg");

    // While it runs: the same request gets the same operation, fetch is 404, polls
    // say "in progress" with Retry-After.
    let again = client.provision("i-1", &body, true).await;
    expect(&again, StatusCode::ACCEPTED);
    assert_eq!(again.json()["operation"], operation);
    expect(&client.fetch_instance("i-1").await, StatusCode::NOT_FOUND);
    let poll = client.last_operation("i-1", Some(&operation)).await;
    expect(&poll, StatusCode::OK);
    assert_eq!(poll.json(), json!({ "state": "in progress" }));
    assert_eq!(poll.header("retry-after"), Some("2"));
    // Any operation value is accepted: some platforms send fixed strings.
    expect(
        &client.last_operation("i-1", Some("whatever")).await,
        StatusCode::OK,
    );
    // A different request is still a conflict; a delete must wait.
    let other = client
        .provision("i-1", &provision_body(BG, json!({ "x": 1 })), true)
        .await;
    expect(&other, StatusCode::CONFLICT);
    let delete = client.deprovision("i-1", SVC, BG, true).await;
    expect(&delete, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(delete.json()["error"], "ConcurrencyError");

    lab.open(1);
    let done = settled(&client, "i-1", None).await;
    assert_eq!(done.json(), json!({ "state": "succeeded" }));
    assert_eq!(done.header("retry-after"), None);
    expect(&client.fetch_instance("i-1").await, StatusCode::OK);
    expect(&client.provision("i-1", &body, true).await, StatusCode::OK);
}

#[tokio::test]
async fn failed_background_provisioning_reports_failed_and_may_be_retried() {
    let lab = Lab::new();
    let client = client(&lab);
    let failing = provision_body(BG, json!({ "fail": true }));
    expect(
        &client.provision("i-1", &failing, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    let done = settled(&client, "i-1", None).await;
    assert_eq!(
        done.json(),
        json!({ "state": "failed", "description": "the disk is full" })
    );
    expect(&client.fetch_instance("i-1").await, StatusCode::NOT_FOUND);
    // Orphan mitigation: the platform deletes it…
    expect(
        &client.deprovision("i-1", SVC, BG, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    assert_eq!(
        settled(&client, "i-1", None).await.json(),
        json!({ "state": "succeeded" })
    );
    // …or provisions again, with other parameters too.
    let retry = provision_body(BG, json!({}));
    expect(
        &client.provision("i-1", &retry, true).await,
        StatusCode::ACCEPTED,
    );
}

#[tokio::test]
async fn deleting_what_does_not_exist_is_410_and_polling_it_404() {
    let lab = Lab::new();
    let client = client(&lab);
    expect(
        &client.deprovision("nothing", SVC, SYNC, false).await,
        StatusCode::GONE,
    );
    expect(
        &client.unbind("nothing", "b", SVC, SYNC, false).await,
        StatusCode::GONE,
    );
    expect(
        &client.last_operation("nothing", None).await,
        StatusCode::NOT_FOUND,
    );
    // With the hints platforms send, the answer still says what is missing.
    let hinted = client
        .request(
            http::Method::GET,
            &format!("/v2/service_instances/nothing/last_operation?service_id={SVC}&plan_id={BG}"),
        )
        .send()
        .await;
    expect(&hinted, StatusCode::NOT_FOUND);
    assert_eq!(
        hinted.json(),
        json!({ "description": "service instance `nothing` does not exist" })
    );

    // After a synchronous delete the instance does not exist: 410, polls 404.
    let body = provision_body(SYNC, json!({}));
    expect(
        &client.provision("i-1", &body, false).await,
        StatusCode::CREATED,
    );
    expect(
        &client.deprovision("i-1", SVC, SYNC, false).await,
        StatusCode::OK,
    );
    expect(
        &client.deprovision("i-1", SVC, SYNC, false).await,
        StatusCode::GONE,
    );
    expect(
        &client.last_operation("i-1", None).await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn a_finished_background_delete_polls_succeeded() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(BG, json!({}));
    expect(
        &client.provision("i-1", &body, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    settled(&client, "i-1", None).await;

    let accepted = client.deprovision("i-1", SVC, BG, true).await;
    expect(&accepted, StatusCode::ACCEPTED);
    let operation = accepted.json()["operation"].clone();
    // A re-sent delete gets the same operation.
    let again = client.deprovision("i-1", SVC, BG, true).await;
    expect(&again, StatusCode::ACCEPTED);
    assert_eq!(again.json()["operation"], operation);

    lab.open(1);
    // The tombstone: the instance is gone, its delete polls "succeeded".
    assert_eq!(
        settled(&client, "i-1", None).await.json(),
        json!({ "state": "succeeded" })
    );
    expect(&client.fetch_instance("i-1").await, StatusCode::NOT_FOUND);
    expect(
        &client.deprovision("i-1", SVC, BG, true).await,
        StatusCode::GONE,
    );
}

#[tokio::test]
async fn an_instance_being_updated_is_fetched_as_422_and_cannot_change_otherwise() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(BG, json!({}));
    expect(
        &client.provision("i-1", &body, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    settled(&client, "i-1", None).await;

    let update = json!({ "service_id": SVC, "parameters": { "size": 9 } });
    let accepted = client.update("i-1", &update, true).await;
    expect(&accepted, StatusCode::ACCEPTED);
    let operation = accepted.json()["operation"].clone();
    let again = client.update("i-1", &update, true).await;
    expect(&again, StatusCode::ACCEPTED);
    assert_eq!(again.json()["operation"], operation);

    let fetched = client.fetch_instance("i-1").await;
    expect(&fetched, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fetched.json()["error"], "ConcurrencyError");
    let other = json!({ "service_id": SVC, "parameters": { "size": 10 } });
    let conflicting = client.update("i-1", &other, true).await;
    expect(&conflicting, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(conflicting.json()["error"], "ConcurrencyError");

    lab.open(1);
    settled(&client, "i-1", None).await;
    let fetched = client.fetch_instance("i-1").await;
    expect(&fetched, StatusCode::OK);
    assert_eq!(fetched.json()["parameters"], json!({ "size": 9 }));
}

#[tokio::test]
async fn a_failed_background_update_keeps_the_parameters_in_force() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(BG, json!({ "size": 1 }));
    expect(
        &client.provision("i-1", &body, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    settled(&client, "i-1", None).await;
    let update = json!({ "service_id": SVC, "parameters": { "fail": true } });
    expect(
        &client.update("i-1", &update, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    let done = settled(&client, "i-1", None).await;
    assert_eq!(done.json()["state"], "failed");
    assert_eq!(done.json()["description"], "the disk is full");
    assert_eq!(
        client.fetch_instance("i-1").await.json()["parameters"],
        json!({ "size": 1 })
    );
}

#[tokio::test]
async fn bindings_are_idempotent_and_fetched_from_the_store() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(SYNC, json!({}));
    expect(
        &client.provision("i-1", &body, false).await,
        StatusCode::CREATED,
    );

    let created = client.bind("i-1", "b-1", &bind_body(SYNC), false).await;
    expect(&created, StatusCode::CREATED);
    let credentials = created.json()["credentials"].clone();
    assert_eq!(credentials, json!({ "password": "secret-0" }));

    // The same binding again: 200 with the same credentials, not new ones.
    let again = client.bind("i-1", "b-1", &bind_body(SYNC), false).await;
    expect(&again, StatusCode::OK);
    assert_eq!(again.json()["credentials"], credentials);
    let fetched = client.fetch_binding("i-1", "b-1").await;
    expect(&fetched, StatusCode::OK);
    assert_eq!(fetched.json()["credentials"], credentials);

    // Another application: a conflict.
    let mut other = bind_body(SYNC);
    other["bind_resource"]["app_guid"] = json!("app-2");
    expect(
        &client.bind("i-1", "b-1", &other, false).await,
        StatusCode::CONFLICT,
    );
    // An instance that does not exist cannot be bound («Binding» lists no 404).
    let missing = client.bind("nothing", "b-1", &bind_body(SYNC), false).await;
    expect(&missing, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json(),
        json!({ "description": "service instance `nothing` does not exist, so it cannot be bound" })
    );

    expect(
        &client.unbind("i-1", "b-1", SVC, SYNC, false).await,
        StatusCode::OK,
    );
    expect(
        &client.unbind("i-1", "b-1", SVC, SYNC, false).await,
        StatusCode::GONE,
    );
    expect(
        &client.fetch_binding("i-1", "b-1").await,
        StatusCode::NOT_FOUND,
    );
}

/// «Binding»: only a usable instance is bound. The store checks its state when it
/// claims the binding, and writes nothing for one that cannot be bound.
#[tokio::test]
async fn an_instance_being_created_or_that_failed_is_not_bound() {
    let lab = Lab::new();
    let client = client(&lab);
    let failing = provision_body(BG, json!({ "fail": true }));
    expect(
        &client.provision("i-failed", &failing, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    settled(&client, "i-failed", None).await;
    let refused = client.bind("i-failed", "b-1", &bind_body(BG), true).await;
    expect(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.json(),
        json!({ "description": "service instance `i-failed` failed to provision; it cannot be bound" })
    );
    expect(
        &client.fetch_binding("i-failed", "b-1").await,
        StatusCode::NOT_FOUND,
    );

    // Its work not yet done: still being created.
    expect(
        &client
            .provision("i-new", &provision_body(BG, json!({})), true)
            .await,
        StatusCode::ACCEPTED,
    );
    let busy = client.bind("i-new", "b-1", &bind_body(BG), true).await;
    expect(&busy, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(busy.json()["error"], "ConcurrencyError");
    lab.open(1);
    settled(&client, "i-new", None).await;
    // Nothing was kept of the refused bind: once created, the instance binds.
    expect(
        &client.bind("i-new", "b-1", &bind_body(BG), true).await,
        StatusCode::ACCEPTED,
    );
}

/// A bind's `bind_resource` is compared as a JSON value: key order and spacing do not
/// make a re-sent request different, nor does a known field sent as `null` (absent);
/// another value does.
#[tokio::test]
async fn bind_resources_are_compared_as_json_values() {
    let lab = Lab::new();
    let client = client(&lab);
    expect(
        &client
            .provision("i-1", &provision_body(SYNC, json!({})), false)
            .await,
        StatusCode::CREATED,
    );
    let bind = |resource: &str| {
        let body =
            format!(r#"{{"service_id":"{SVC}","plan_id":"{SYNC}","bind_resource":{resource}}}"#);
        client
            .request(
                http::Method::PUT,
                "/v2/service_instances/i-1/service_bindings/b-1",
            )
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let created = bind(r#"{"app_guid":"app-1","x-mesh":{"b":1,"a":[true]}}"#).await;
    expect(&created, StatusCode::CREATED);
    for same in [
        r#"{ "x-mesh": { "a": [ true ], "b": 1 }, "app_guid": "app-1" }"#,
        r#"{"app_guid":"app-1","route":null,"x-mesh":{"a":[true],"b":1}}"#,
    ] {
        let again = bind(same).await;
        expect(&again, StatusCode::OK);
        assert_eq!(again.json(), created.json(), "{same}");
    }
    for different in [
        r#"{"app_guid":"app-1","x-mesh":{"a":[true],"b":2}}"#,
        r#"{"app_guid":"app-1","x-mesh":{"a":[true],"b":1},"x-other":null}"#,
        r#"{"app_guid":"app-1"}"#,
    ] {
        expect(&bind(different).await, StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn background_bindings_are_polled_and_their_credentials_stored() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(BG, json!({}));
    expect(
        &client.provision("i-1", &body, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    settled(&client, "i-1", None).await;

    let accepted = client.bind("i-1", "b-1", &bind_body(BG), true).await;
    expect(&accepted, StatusCode::ACCEPTED);
    let operation = accepted.json()["operation"].clone();
    let again = client.bind("i-1", "b-1", &bind_body(BG), true).await;
    expect(&again, StatusCode::ACCEPTED);
    assert_eq!(again.json()["operation"], operation);
    // «Fetching a Service Binding»: 404 while it is created.
    expect(
        &client.fetch_binding("i-1", "b-1").await,
        StatusCode::NOT_FOUND,
    );
    let poll = client.binding_last_operation("i-1", "b-1", None).await;
    assert_eq!(poll.json(), json!({ "state": "in progress" }));
    assert_eq!(poll.header("retry-after"), Some("2"));

    lab.open(1);
    assert_eq!(
        settled(&client, "i-1", Some("b-1")).await.json(),
        json!({ "state": "succeeded" })
    );
    let fetched = client.fetch_binding("i-1", "b-1").await;
    expect(&fetched, StatusCode::OK);
    assert_eq!(
        fetched.json()["credentials"],
        json!({ "password": "secret-0" })
    );

    expect(
        &client.unbind("i-1", "b-1", SVC, BG, true).await,
        StatusCode::ACCEPTED,
    );
    lab.open(1);
    assert_eq!(
        settled(&client, "i-1", Some("b-1")).await.json(),
        json!({ "state": "succeeded" })
    );
    expect(
        &client.fetch_binding("i-1", "b-1").await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn polling_past_maximum_polling_duration_reports_failed() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(STUCK, json!({}));
    expect(
        &client.provision("i-1", &body, true).await,
        StatusCode::ACCEPTED,
    );
    assert_eq!(
        client.last_operation("i-1", None).await.json()["state"],
        "in progress"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let poll = client.last_operation("i-1", None).await;
    expect(&poll, StatusCode::OK);
    assert_eq!(poll.json()["state"], "failed");
    assert!(
        poll.json()["description"]
            .as_str()
            .unwrap()
            .contains("maximum_polling_duration"),
        "{poll:?}"
    );
}

/// A record as a broker killed during a background provision leaves it.
fn interrupted_provision(id: &str, heartbeat_age: Duration) -> InstanceRecord {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let then = now - heartbeat_age.as_millis() as i64;
    InstanceRecord {
        instance_id: id.to_owned(),
        service_id: SVC.to_owned(),
        plan_id: BG.to_owned(),
        parameters: Some(serde_json::value::to_raw_value(&json!({ "size": 5 })).unwrap()),
        context: None,
        maintenance_version: None,
        dashboard_url: None,
        metadata: None,
        state: ResourceState::Creating,
        operation: Some(OperationRecord::start(
            OperationKind::Provision,
            Some(String::from("op-before-the-crash")),
            true,
            then,
        )),
        pending: None,
        fingerprint: osb::store::Fingerprint::from_bytes([0x0f; 32]),
        version: 1,
    }
}

#[tokio::test]
async fn interrupted_work_is_resumed_once_its_lease_expired() {
    let lab = Lab::new();
    let store = Arc::new(MemoryStore::new());
    assert!(
        store
            .insert_instance(&interrupted_provision("i-1", Duration::from_secs(60)))
            .await
            .unwrap()
    );
    let config = StateConfig {
        lease: Duration::from_millis(300),
        ..StateConfig::default()
    };
    let client = client_with(&lab, store.clone(), config);
    let done = settled(&client, "i-1", None).await;
    assert_eq!(done.json(), json!({ "state": "succeeded" }));
    let resumed = lab.resumed.lock().unwrap().clone();
    assert_eq!(resumed.len(), 1, "resumed once: {resumed:?}");
    assert_eq!(resumed[0].kind, OperationKind::Provision);
    assert_eq!(resumed[0].instance_id, "i-1");
    assert_eq!(resumed[0].plan_id, BG);
    assert_eq!(resumed[0].operation.as_deref(), Some("op-before-the-crash"));
    assert_eq!(
        resumed[0].parameters.as_ref().unwrap().as_raw().get(),
        r#"{"size":5}"#
    );
    expect(&client.fetch_instance("i-1").await, StatusCode::OK);
}

/// A handler call that has not answered when its replica stops is found by another
/// replica's sweep once its lease expired, and resumed: the claim was left out of the
/// memory store's index of running operations only while its first poll ran.
#[test]
fn a_handler_call_whose_replica_stopped_is_taken_over() {
    let lab = Lab::new();
    let store = Arc::new(MemoryStore::new());
    let config = StateConfig {
        lease: Duration::from_millis(300),
        ..StateConfig::default()
    };
    let stopping = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let first = stopping.block_on(async { client_with(&lab, store.clone(), config.clone()) });
    stopping.spawn(async move {
        // Never answered: the handler waits for a gate that stays shut.
        first
            .provision("i-1", &provision_body(SLOW, json!({})), false)
            .await;
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for _ in 0..200 {
            if store.instance("i-1").await.unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let claimed = store.instance("i-1").await.unwrap().unwrap();
        assert_eq!(claimed.state, ResourceState::Creating);
    });
    // The replica stops: its handler call and its heartbeats with it.
    drop(stopping);
    runtime.block_on(async {
        let second = client_with(&lab, store.clone(), config);
        let done = settled(&second, "i-1", None).await;
        assert_eq!(done.json(), json!({ "state": "succeeded" }));
        let resumed = lab.resumed.lock().unwrap().clone();
        assert_eq!(resumed.len(), 1, "resumed once: {resumed:?}");
        assert_eq!(resumed[0].kind, OperationKind::Provision);
        assert_eq!(resumed[0].plan_id, SLOW);
    });
}

#[tokio::test]
async fn work_whose_runner_is_alive_is_not_taken_over() {
    let lab = Lab::new();
    let store = Arc::new(MemoryStore::new());
    let config = StateConfig {
        lease: Duration::from_millis(300),
        ..StateConfig::default()
    };
    // Two replicas sharing one store.
    let first = client_with(&lab, store.clone(), config.clone());
    let second = client_with(&lab, store.clone(), config);
    let body = provision_body(BG, json!({}));
    expect(
        &first.provision("i-1", &body, true).await,
        StatusCode::ACCEPTED,
    );
    // Several leases pass; the runner's heartbeats keep the work its own.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        second.last_operation("i-1", None).await.json()["state"],
        "in progress"
    );
    assert!(lab.resumed.lock().unwrap().is_empty());
    lab.open(1);
    assert_eq!(
        settled(&second, "i-1", None).await.json(),
        json!({ "state": "succeeded" })
    );
    assert!(lab.resumed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_broker_without_resume_fails_interrupted_work_cleanly() {
    /// Only the required handlers: `resume` is the default.
    struct Plain;
    impl Broker for Plain {
        fn catalog(&self) -> Catalog {
            Lab::new().catalog()
        }
        async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
            Ok(Provisioned::created())
        }
        async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
            Ok(Deprovisioned::completed())
        }
    }
    let store = Arc::new(MemoryStore::new());
    store
        .insert_instance(&interrupted_provision("i-1", Duration::from_secs(60)))
        .await
        .unwrap();
    let router = Builder::new()
        .broker(Plain)
        .auth(Auth::none())
        .store(store)
        .build()
        .unwrap();
    let client = TestClient::new(router);
    let done = settled(&client, "i-1", None).await;
    assert_eq!(done.json()["state"], "failed");
    assert!(
        done.json()["description"]
            .as_str()
            .unwrap()
            .contains("interrupted by a restart"),
        "{done:?}"
    );
    // The platform may now retry the provision.
    let body = provision_body(SYNC, json!({}));
    expect(
        &client.provision("i-1", &body, false).await,
        StatusCode::CREATED,
    );
}

#[tokio::test]
async fn concurrent_identical_provisions_on_two_replicas_create_once() {
    let lab = Lab::new();
    let store = Arc::new(MemoryStore::new());
    let replicas = [
        client_with(&lab, store.clone(), StateConfig::default()),
        client_with(&lab, store.clone(), StateConfig::default()),
    ];
    let body = provision_body(SYNC, json!({ "size": 1 }));
    let mut tasks = Vec::new();
    for n in 0..64 {
        let client = replicas[n % 2].clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            client.provision("i-1", &body, true).await.status
        }));
    }
    let mut created = 0;
    for task in tasks {
        let status = task.await.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK | StatusCode::ACCEPTED | StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
}

/// «Synchronous and Asynchronous Operations»: a client without
/// `accepts_incomplete=true` cannot be answered 202, so background work for it runs
/// before the answer; a client that accepts 202 gets it.
#[tokio::test]
async fn background_work_for_a_client_that_cannot_poll_runs_before_the_answer() {
    let lab = Lab::new();
    let client = client(&lab);
    let body = provision_body(EITHER, json!({}));
    let waiting = {
        let client = client.clone();
        let body = body.clone();
        tokio::spawn(async move { client.provision("i-1", &body, false).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "it waits for the work");
    lab.open(1);
    let answered = waiting.await.unwrap();
    expect(&answered, StatusCode::CREATED);
    expect(&client.fetch_instance("i-1").await, StatusCode::OK);

    let failing = provision_body(EITHER, json!({ "fail": true }));
    lab.open(1);
    let failed = client.provision("i-2", &failing, false).await;
    expect(&failed, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.json()["description"], "the disk is full");
    expect(&client.fetch_instance("i-2").await, StatusCode::NOT_FOUND);

    expect(
        &client.provision("i-3", &body, true).await,
        StatusCode::ACCEPTED,
    );
}

/// A broker that runs its operations itself (`accepted`) and answers their polls.
struct Remote;

impl Broker for Remote {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new("svc-remote", "remote", "Runs its own operations.")
                .plan(Plan::new("p-remote", "remote", "Remote.").async_only(AsyncOperations::ALL)),
        ])
    }

    async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::accepted("op-remote"))
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    async fn last_operation(
        &self,
        request: osb::LastOperation,
    ) -> Result<osb::OperationReport, Error> {
        // The store passes on the operation the broker issued.
        assert_eq!(request.operation.as_deref(), Some("op-remote"));
        Ok(osb::OperationReport::succeeded())
    }
}

/// A broker that claims every operation is still running: asked by mistake, it
/// would keep the poll below "in progress" forever.
struct Stubborn;

impl Broker for Stubborn {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new("svc-stubborn", "stubborn", "Never done.").plan(Plan::new(
                "p-stubborn",
                "stubborn",
                "Stubborn.",
            )),
        ])
    }

    async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    async fn last_operation(&self, _: osb::LastOperation) -> Result<osb::OperationReport, Error> {
        Ok(osb::OperationReport::in_progress())
    }
}

/// Polls carry no `service_id` when the platform leaves the hints out: the store
/// knows the instance's plan, so the poll reaches the broker that runs the
/// operation, and its answer is recorded.
#[tokio::test]
async fn polls_without_hints_reach_the_broker_that_owns_the_instance() {
    let router = Builder::new()
        .broker(Stubborn)
        .broker(Remote)
        .auth(Auth::none())
        .store(MemoryStore::new())
        .build()
        .unwrap();
    let client = TestClient::new(router);
    let body = json!({
        "service_id": "svc-remote", "plan_id": "p-remote",
        "organization_guid": "org", "space_guid": "space",
    });
    let accepted = client.provision("r-1", &body, true).await;
    expect(&accepted, StatusCode::ACCEPTED);
    assert_eq!(accepted.json(), json!({ "operation": "op-remote" }));
    let poll = client.last_operation("r-1", None).await;
    assert_eq!(poll.json(), json!({ "state": "succeeded" }), "{poll:?}");
    // Recorded: the instance is ready, fetched from the store.
    let fetched = client.fetch_instance("r-1").await;
    expect(&fetched, StatusCode::OK);
    assert_eq!(fetched.json()["plan_id"], "p-remote");
}

/// «Binding Rotation»: `predecessor_binding_id` MUST be the id of a non-expired
/// binding of the same instance; with a store the framework checks it.
#[tokio::test]
async fn rotation_needs_a_live_predecessor_of_the_same_instance() {
    let lab = Lab::new();
    let client = client(&lab);
    for id in ["i-1", "i-2"] {
        let body = provision_body(ROTATE, json!({}));
        expect(
            &client.provision(id, &body, false).await,
            StatusCode::CREATED,
        );
    }
    expect(
        &client.bind("i-1", "b-1", &bind_body(ROTATE), false).await,
        StatusCode::CREATED,
    );
    expect(
        &client
            .bind("i-1", "expired-1", &bind_body(ROTATE), false)
            .await,
        StatusCode::CREATED,
    );
    let rotate = |predecessor: &str| {
        let mut body = bind_body(ROTATE);
        body["predecessor_binding_id"] = json!(predecessor);
        body
    };
    expect(
        &client.bind("i-1", "b-2", &rotate("b-1"), false).await,
        StatusCode::CREATED,
    );
    let unknown = client.bind("i-1", "b-3", &rotate("nothing"), false).await;
    expect(&unknown, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.json(),
        json!({ "description": "predecessor_binding_id `nothing` is not a binding of service instance `i-1`" })
    );
    let other_instance = client.bind("i-2", "b-4", &rotate("b-1"), false).await;
    expect(&other_instance, StatusCode::BAD_REQUEST);
    let expired = client.bind("i-1", "b-5", &rotate("expired-1"), false).await;
    expect(&expired, StatusCode::BAD_REQUEST);
    assert_eq!(
        expired.json(),
        json!({ "description": "predecessor binding `expired-1` has expired; rotate bindings before they expire" })
    );
}

/// A hand-written broker whose `provision` panics before it returns its future, when
/// the parameters say `"panic": true`.
#[derive(Clone)]
struct PanicsEarly;

impl Broker for PanicsEarly {
    fn catalog(&self) -> Catalog {
        Catalog::new([ServiceOffering::new(SVC, "early", "Panics early.")
            .instances_retrievable(true)
            .plan(Plan::new(SYNC, "sync", "Synchronous."))])
    }

    #[allow(clippy::manual_async_fn)]
    fn provision(
        &self,
        request: Provision,
    ) -> impl std::future::Future<Output = Result<Provisioned, Error>> + Send {
        let panics = request
            .parameters
            .as_ref()
            .and_then(|p| p.get::<bool>("panic").ok().flatten())
            == Some(true);
        if panics {
            panic!("the provision handler panicked before returning its future");
        }
        async { Ok(Provisioned::created()) }
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

/// The framework makes the broker's future outside the future that awaits it: a
/// panic there is the handler call's too, so nothing is left claiming the instance.
#[tokio::test]
async fn a_handler_that_panics_before_its_future_answers_500_and_leaves_nothing_behind() {
    let router = Builder::new()
        .broker(PanicsEarly)
        .auth(Auth::none())
        .store(MemoryStore::new())
        .build()
        .unwrap();
    let client = TestClient::new(router);
    let response = client
        .provision("i-1", &provision_body(SYNC, json!({"panic": true})), false)
        .await;
    expect(&response, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!response.text().contains("panicked"), "{response:?}");
    expect(&client.fetch_instance("i-1").await, StatusCode::NOT_FOUND);
    // The instance id is free again: a provision that does not panic creates it.
    expect(
        &client
            .provision("i-1", &provision_body(SYNC, json!({})), false)
            .await,
        StatusCode::CREATED,
    );
}
