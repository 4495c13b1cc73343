//! The platform's side against real brokers on 127.0.0.1: `osb::client`, the `osb`
//! command line (built from cli/), and `osb check` against the reference broker (no
//! failure) and against a deliberately broken broker (every defect reported).

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use common::process::{Running, start};
use osb::client::{BindAnswer, Client, ClientError, Wait};
use osb::response::OperationState;
use osb::wire::{BindRequest, ProvisionRequest};
use osb_tests::TempDir;
use serde_json::{Value, json};
use sqlx::Connection as _;

const SERVICE: &str = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90";
const SMALL: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";
const LARGE: &str = "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34";

/// Builds the `osb` binary once per test binary.
fn osb_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo)
                .args(["build", "--quiet", "-p", "osb-cli"])
                .status()
                .expect("run cargo build");
            assert!(status.success(), "building the osb command failed");
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
            target.join("debug").join("osb")
        })
        .clone()
}

/// Runs `osb` with the broker's URL and the reference credentials in the environment.
async fn osb(url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(osb_binary())
        .args(args)
        .env("OSB_BROKER_URL", url)
        .env("OSB_BROKER_USERNAME", "admin")
        .env("OSB_BROKER_PASSWORD", "admin")
        .env("RUST_BACKTRACE", "0")
        .output()
        .await
        .expect("run osb")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

async fn reference() -> (Running, String) {
    let broker = start("reference", &[], &[("OSB_ASYNC_DELAY_MS", "200")]).await;
    let url = format!("http://{}", broker.addr);
    (broker, url)
}

fn client(url: &str) -> Client {
    Client::builder(url)
        .basic_auth("admin", "admin")
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client")
}

#[tokio::test]
async fn the_client_drives_every_endpoint_of_the_reference_broker() {
    let (_broker, url) = reference().await;
    let client = client(&url);
    let catalog = client.catalog().await.unwrap();
    assert_eq!(catalog.services[0].id, SERVICE);

    let request = ProvisionRequest::new(SERVICE, LARGE)
        .organization("org", "space")
        .parameters(&json!({"size_mb": 2048}));
    let answer = client.provision("c-1", &request, true).await.unwrap();
    assert_eq!(answer.status, 202);
    assert_eq!(answer.request_identity.len(), 36);
    let operation = answer.body.operation.clone();
    let wait = Wait::default().interval(Duration::from_millis(50));
    let mut states = Vec::new();
    let done = client
        .wait_for_instance("c-1", operation.as_deref(), &wait, |p| states.push(p.state))
        .await
        .unwrap();
    assert_eq!(done.state, OperationState::Succeeded);
    assert_eq!(states.last(), Some(&OperationState::Succeeded));

    // The same request again: 200, an identical instance exists.
    let again = client.provision("c-1", &request, true).await.unwrap();
    assert_eq!(again.status, 200);
    // Other parameters: 409 as a typed broker error.
    let other = ProvisionRequest::new(SERVICE, LARGE)
        .organization("org", "space")
        .parameters(&json!({"size_mb": 4096}));
    let err = client.provision("c-1", &other, true).await.unwrap_err();
    let broker = err.broker().expect("a broker error");
    assert_eq!(broker.status, 409);
    assert!(!err.is_transport());

    let details = client.fetch_instance("c-1").await.unwrap();
    assert_eq!(details.plan_id.as_deref(), Some(LARGE));

    let bind = BindRequest::new(SERVICE, SMALL).bind_resource(&json!({"app_guid": "app"}));
    // Small provisions synchronously; bind on it is synchronous too.
    let small = ProvisionRequest::new(SERVICE, SMALL)
        .organization("org", "space")
        .parameters(&json!({"size_mb": 64}));
    assert_eq!(
        client.provision("c-2", &small, false).await.unwrap().status,
        201
    );
    let bound = client.bind("c-2", "b-1", &bind, false).await.unwrap();
    assert_eq!(bound.status, 201);
    let BindAnswer::Bound(binding) = bound.body else {
        panic!("a synchronous bind answers the binding");
    };
    let credentials: Value =
        serde_json::from_str(binding.credentials.as_deref().expect("credentials").get()).unwrap();
    assert!(credentials.is_object());
    let fetched = client.fetch_binding("c-2", "b-1").await.unwrap();
    assert_eq!(
        fetched.credentials.as_deref().map(|c| c.get()),
        binding.credentials.as_deref().map(|c| c.get())
    );
    assert_eq!(
        client
            .unbind("c-2", "b-1", SERVICE, SMALL, false)
            .await
            .unwrap()
            .status,
        200
    );
    let gone = client
        .unbind("c-2", "b-1", SERVICE, SMALL, false)
        .await
        .unwrap_err();
    assert_eq!(gone.broker().map(|b| b.status), Some(StatusCode::GONE));

    // An asynchronous deprovision, waited for as a delete.
    let deleted = client
        .deprovision("c-1", SERVICE, LARGE, true)
        .await
        .unwrap();
    assert!(deleted.is_accepted());
    let done = client
        .wait_for_instance(
            "c-1",
            deleted.body.operation.as_deref(),
            &wait.clone().deleting(),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(done.state, OperationState::Succeeded);
    let err = client
        .deprovision("c-1", SERVICE, LARGE, true)
        .await
        .unwrap_err();
    assert_eq!(err.broker().map(|b| b.status), Some(StatusCode::GONE));
    assert_eq!(
        client
            .deprovision("c-2", SERVICE, SMALL, false)
            .await
            .unwrap()
            .status,
        200
    );

    // Wrong credentials: 401, typed; no broker at all: a transport error.
    let anonymous = Client::builder(&url).build().unwrap();
    let err = anonymous.catalog().await.unwrap_err();
    assert_eq!(
        err.broker().map(|b| b.status),
        Some(StatusCode::UNAUTHORIZED)
    );
    let nobody = Client::builder("http://127.0.0.1:1").build().unwrap();
    assert!(nobody.catalog().await.unwrap_err().is_transport());
    let invalid = Client::builder("ftp://127.0.0.1").build().unwrap_err();
    assert!(matches!(invalid, ClientError::Settings(_)), "{invalid}");
}

#[tokio::test]
async fn the_command_line_provisions_binds_and_tells_outcomes_apart() {
    let (_broker, url) = reference().await;
    let catalog = osb(&url, &["catalog"]).await;
    assert!(catalog.status.success());
    let table = String::from_utf8_lossy(&catalog.stdout);
    assert!(table.starts_with("OFFERING"), "{table}");
    assert!(
        table.contains(&format!("inmemory-db  large  {LARGE}  no")),
        "{table}"
    );

    // Ids generated and printed; --wait polls the asynchronous provision to its end.
    let provision = osb(
        &url,
        &[
            "provision",
            "--service",
            "inmemory-db",
            "--plan",
            "large",
            "--params",
            r#"{"size_mb": 2048}"#,
            "--wait",
            "--json",
        ],
    )
    .await;
    assert!(provision.status.success(), "{provision:?}");
    let answer = stdout_json(&provision);
    assert_eq!(answer["status"], 202);
    assert_eq!(answer["last_operation"], json!({"state": "succeeded"}));
    let instance = answer["instance_id"]
        .as_str()
        .expect("an instance id")
        .to_owned();
    assert_eq!(instance.len(), 36);

    // An update of the asynchronous plan: 202, polled to its end by --wait.
    let update = osb(
        &url,
        &[
            "update",
            "--id",
            &instance,
            "--service",
            "inmemory-db",
            "--params",
            r#"{"size_mb": 4096}"#,
            "--wait",
            "--json",
        ],
    )
    .await;
    assert!(update.status.success(), "{update:?}");
    let updated = stdout_json(&update);
    assert_eq!(updated["status"], 202, "{updated}");
    assert_eq!(updated["last_operation"], json!({"state": "succeeded"}));
    // One poll by hand, with the operation the update answered.
    let operation = updated["answer"]["operation"]
        .as_str()
        .expect("the update's operation");
    let poll = osb(
        &url,
        &[
            "last-operation",
            "--id",
            &instance,
            "--operation",
            operation,
            "--json",
        ],
    )
    .await;
    assert!(poll.status.success(), "{poll:?}");
    assert_eq!(stdout_json(&poll)["state"], "succeeded");
    // An update that names an offering the catalog does not have: exit 2, no request.
    let unknown_offering = osb(&url, &["update", "--id", &instance, "--service", "nosuch"]).await;
    assert_eq!(unknown_offering.status.code(), Some(2));

    let bind = osb(
        &url,
        &[
            "bind",
            "--instance",
            &instance,
            "--id",
            "cli-binding",
            "--service",
            "inmemory-db",
            "--plan",
            "large",
            "--wait",
            "--json",
        ],
    )
    .await;
    assert!(bind.status.success(), "{bind:?}");
    let bound = stdout_json(&bind);
    assert_eq!(bound["status"], 202);
    assert_eq!(bound["last_operation"]["state"], "succeeded");
    assert!(bound["binding"]["credentials"].is_object(), "{bound}");

    let fetch = osb(&url, &["fetch", "--id", &instance, "--json"]).await;
    assert_eq!(stdout_json(&fetch)["plan_id"], LARGE);

    let unbind = osb(
        &url,
        &[
            "unbind",
            "--instance",
            &instance,
            "--id",
            "cli-binding",
            "--service",
            "inmemory-db",
            "--plan",
            "large",
            "--wait",
            "--json",
        ],
    )
    .await;
    assert!(unbind.status.success(), "{unbind:?}");
    let deprovision = osb(
        &url,
        &[
            "deprovision",
            "--id",
            &instance,
            "--service",
            "inmemory-db",
            "--plan",
            "large",
            "--wait",
        ],
    )
    .await;
    assert!(deprovision.status.success(), "{deprovision:?}");
    let text = String::from_utf8_lossy(&deprovision.stdout);
    assert!(text.starts_with("deprovision (202 Accepted)"), "{text}");

    // An OSB error: exit 1, and with --json the status and the broker's body.
    let again = osb(
        &url,
        &[
            "deprovision",
            "--id",
            &instance,
            "--service",
            "inmemory-db",
            "--plan",
            "large",
            "--json",
        ],
    )
    .await;
    assert_eq!(again.status.code(), Some(1));
    let error = stdout_json(&again);
    assert_eq!(error["status"], 410);
    assert_eq!(
        error["body"]["description"],
        format!("service instance `{instance}` does not exist")
    );
    // No answer: exit 3. A bad command line: exit 2.
    let nobody = osb("http://127.0.0.1:1", &["catalog"]).await;
    assert_eq!(nobody.status.code(), Some(3));
    let bad = osb(
        &url,
        &[
            "provision",
            "--service",
            "inmemory-db",
            "--plan",
            "large",
            "--params",
            "[1]",
        ],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2));
    let unknown = osb(
        &url,
        &["provision", "--service", "inmemory-db", "--plan", "huge"],
    )
    .await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("has no plan with the id or name \"huge\"")
    );
}

#[tokio::test]
async fn check_passes_the_reference_broker_and_cleans_up() {
    let store = TempDir::new();
    let broker = start(
        "reference",
        &["--store", &store.sqlite_url()],
        &[("OSB_ASYNC_DELAY_MS", "200")],
    )
    .await;
    let url = format!("http://{}", broker.addr);
    let fixture = reference_fixture();
    let junit = std::env::temp_dir().join(format!("osb-check-{}.xml", std::process::id()));
    let check = osb(
        &url,
        &[
            "check",
            &url,
            "--fixture",
            fixture.to_str().unwrap(),
            "--format",
            "junit",
            "--output",
            junit.to_str().unwrap(),
        ],
    )
    .await;
    let summary = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(0), "{summary}");
    assert!(
        summary.contains(" passed, 0 failed, 4 skipped"),
        "{summary}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let _ = std::fs::remove_file(&junit);
    assert!(
        xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"osb check\""
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"Binding Rotation\""),
        "{xml}"
    );
    assert!(!xml.contains("<failure"), "{xml}");

    // The JSON report; and nothing the check provisioned is left on the broker.
    let check = osb(
        &url,
        &[
            "check",
            "--fixture",
            fixture.to_str().unwrap(),
            "--format",
            "json",
        ],
    )
    .await;
    let report = stdout_json(&check);
    assert_eq!(report["failed"], 0, "{report:#}");
    assert_eq!(report["cleanup_failures"], json!([]));
    assert!(report["checks"].as_array().unwrap().len() > 60);
    for check in report["checks"].as_array().unwrap() {
        assert_ne!(check["outcome"], "failed", "{check}");
    }
    // The broker's store holds nothing the two runs provisioned or bound.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM osb_instances").await, 0);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM osb_bindings").await, 0);
    drop(broker);
}

/// Ctrl-C in the middle of a check: it says so, deprovisions every instance it
/// provisioned (one of them still being provisioned), and exits 1.
#[tokio::test]
async fn an_interrupted_check_deprovisions_what_it_provisioned() {
    let store = TempDir::new();
    let broker = start(
        "reference",
        &["--store", &store.sqlite_url()],
        &[("OSB_ASYNC_DELAY_MS", "1500")],
    )
    .await;
    let url = format!("http://{}", broker.addr);
    let fixture = reference_fixture();
    let check = tokio::process::Command::new(osb_binary())
        .args(["check", &url, "--fixture", fixture.to_str().unwrap()])
        .env("OSB_BROKER_USERNAME", "admin")
        .env("OSB_BROKER_PASSWORD", "admin")
        .env("RUST_BACKTRACE", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start osb check");
    let deadline = Instant::now() + Duration::from_secs(120);
    let creating = "SELECT COUNT(*) FROM osb_instances WHERE state = 'creating'";
    while count(&store, creating).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the check never started an asynchronous provision"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = check.id().expect("osb check is running");
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let output = tokio::time::timeout(Duration::from_secs(120), check.wait_with_output())
        .await
        .expect("osb check ended after the interrupt")
        .expect("osb check's output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("osb: interrupted; deprovisioning what the check provisioned"),
        "{stderr}"
    );
    assert!(!stderr.contains("not cleaned up"), "{stderr}");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM osb_instances").await, 0);
    drop(broker);
}

fn reference_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/fixtures/reference.json")
}

/// The one number `query` counts in the SQLite store in `store`.
async fn count(store: &TempDir, query: &'static str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(&store.sqlite_url())
        .await
        .expect("open the broker's SQLite store");
    sqlx::query_scalar(query)
        .fetch_one(&mut connection)
        .await
        .expect("count rows")
}

/// A JSON answer (the workspace's axum has no `json` feature).
fn json_body(value: Value) -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
}

/// A broker written without this crate, breaking rules on purpose. Each defect is
/// named in [`DEFECTS`] with the rule of `osb check` that must report it.
fn broken_broker() -> Router {
    async fn catalog() -> impl IntoResponse {
        json_body(json!({"services": [{
            "id": "broken-service", "name": "broken", "description": "Breaks rules.",
            "bindable": true,
            "plans": [{
                "id": "broken-plan", "name": "plan", "description": "The plan.",
                // Defect: not a semantic version.
                "maintenance_info": {"version": "latest"}
            }]
        }]}))
    }
    // Defects: every provision is 201, whatever exists and whatever it carries
    // (no 200, no 409, no 400 for unknown or empty ids, maintenance_info ignored).
    async fn provision(Path(_id): Path<String>, body: String) -> impl IntoResponse {
        if serde_json::from_str::<Value>(&body).is_err() {
            // Defect: a malformed body is a 500 with an empty body.
            return (StatusCode::INTERNAL_SERVER_ERROR, String::new()).into_response();
        }
        (StatusCode::CREATED, json_body(json!({}))).into_response()
    }
    // Defect: deleting what does not exist is 200, not 410.
    async fn deprovision() -> impl IntoResponse {
        (StatusCode::OK, json_body(json!({})))
    }
    // Defect: credentials that are a string, not an object.
    async fn bind() -> impl IntoResponse {
        (
            StatusCode::CREATED,
            json_body(json!({"credentials": "user:password"})),
        )
    }
    // Defects for every request: no authentication, no version check, no request
    // identity echo.
    Router::new()
        .route("/v2/catalog", get(catalog))
        .route(
            "/v2/service_instances/{id}",
            put(provision).delete(deprovision),
        )
        .route(
            "/v2/service_instances/{id}/service_bindings/{binding}",
            put(bind).delete(deprovision),
        )
}

/// The broken broker's defects, each with the rule that reports it.
const DEFECTS: &[&str] = &[
    "Catalog Management: ids and names unique, required fields non-empty, schemas with $schema, semver maintenance_info",
    "Platform to Service Broker Authentication: a request without credentials gets 401",
    "Platform to Service Broker Authentication: wrong credentials get 401",
    "API Version Header: a request without X-Broker-API-Version is rejected",
    "API Version Header: an unsupported version gets 412",
    "Request Identity: X-Broker-API-Request-Identity is echoed on the response",
    "Provisioning: a malformed JSON body gets 400",
    "Provisioning: an unknown service_id gets 400",
    "Provisioning: an unknown plan_id gets 400",
    "Provisioning: an empty service_id gets 400",
    "Provisioning: an empty plan_id gets 400",
    "Deprovisioning: deleting an instance that does not exist gets 410",
    "Unbinding: deleting a binding that does not exist gets 410",
    "Provisioning: plan `plan` answers 422 MaintenanceInfoConflict to another maintenance_info version",
    "Provisioning: re-provisioning plan `plan` identically gets 200",
    "Binding: plan `plan`'s binding has the specification's shape (credentials, endpoints, volume_mounts, metadata)",
    "Binding: re-binding plan `plan` identically gets 200",
    "Deprovisioning: plan `plan`'s deprovision without service_id gets 400",
    "Deprovisioning: plan `plan`'s deprovision without plan_id gets 400",
    "Provisioning: a request without organization_guid gets 400",
    "API Version Header: PUT /v2/service_instances/:instance_id without X-Broker-API-Version is rejected",
    "Platform to Service Broker Authentication: DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id without credentials gets 401",
    "Platform to Service Broker Authentication: PUT /v2/service_instances/:instance_id/service_bindings/:binding_id with wrong credentials gets 401",
    "Updating a Service Instance: plan `plan`'s update without service_id gets 400",
    "Updating a Service Instance: plan `plan`'s instance accepts an update with 200 or 202",
    "Binding: plan `plan`'s bind with an unknown plan_id gets 400",
    "Unbinding: plan `plan`'s unbind without plan_id gets 400",
    "Deprovisioning: deprovisioning plan `plan`'s instance again gets 410",
];

#[tokio::test]
async fn check_reports_every_defect_of_a_broken_broker() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, broken_broker()).await });
    let check = osb(&url, &["check", &url, "--format", "json"]).await;
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let report = stdout_json(&check);
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "failed")
        .filter_map(|c| c["rule"].as_str())
        .collect();
    for defect in DEFECTS {
        assert!(
            failed.contains(defect),
            "not reported: {defect}\n{report:#}"
        );
    }
    // A failure shows the request and the answer.
    let malformed = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "Provisioning: a malformed JSON body gets 400")
        .unwrap();
    let details = malformed["details"].as_str().unwrap();
    assert!(
        details.starts_with("expected status 400\nrequest:  PUT /v2/service_instances/osb-check-"),
        "{details}"
    );
    assert!(details.ends_with("response: 500 "), "{details}");
    server.abort();
}
