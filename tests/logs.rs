//! What the runtime logs: secrets never, mistakes of the broker author as warnings.
//!
//! In a test binary of their own: a log subscriber is per thread, but whether a log
//! line is wanted at all is cached per process, and other tests running at the same
//! time without a subscriber could make it "never".

mod common;

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use http::Method;
use osb::store::MemoryStore;
use osb_examples::reference;
use serde_json::{Value, json};

const SERVICE: &str = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90";
const SMALL: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";

fn provision_body(plan: &str) -> Value {
    json!({"service_id": SERVICE, "plan_id": plan, "organization_guid": "o", "space_guid": "s"})
}

/// A `Write` that keeps what the log subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A full lifecycle logged at info level: request lines are there, secrets are not
/// (the Authorization header, the broker's password, a binding's credentials, request
/// parameters and bodies).
#[tokio::test]
async fn info_logs_carry_no_secrets() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        // Timestamps would hold digits the secrets below could match by chance.
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests of this binary may have cached "no subscriber is interested" for
    // the runtime's callsites; recompute it now that this thread has one.
    tracing::callsite::rebuild_interest_cache();

    let password = "pa55-w0rd-very-secret";
    let app = reference::builder(Duration::from_millis(1))
        .auth(osb::auth::BasicAuth::new("admin", password))
        .store(MemoryStore::new())
        .build()
        .unwrap();
    let auth = basic("admin", password);
    let send = |call: Call2| {
        call.header("authorization", &auth)
            .header("x-broker-api-request-identity", "rid-42")
    };
    let mut body = provision_body(SMALL);
    body["parameters"] = json!({"size_mb": 777});
    body["context"] = json!({"platform": "cloudfoundry", "secret_context": "ctx-secret-value"});
    assert_eq!(
        send(req(Method::PUT, "/v2/service_instances/log-1"))
            .json(body)
            .send(&app)
            .await
            .status,
        201
    );
    let bound = send(req(
        Method::PUT,
        "/v2/service_instances/log-1/service_bindings/lb-1",
    ))
    .json(json!({"service_id": SERVICE, "plan_id": SMALL}))
    .send(&app)
    .await;
    assert_eq!(bound.status, 201);
    let credential = bound.json()["credentials"]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    let fetched = send(req(
        Method::GET,
        "/v2/service_instances/log-1/service_bindings/lb-1",
    ))
    .send(&app)
    .await;
    assert_eq!(fetched.status, 200);
    let ids = format!("service_id={SERVICE}&plan_id={SMALL}");
    send(req(
        Method::DELETE,
        &format!("/v2/service_instances/log-1/service_bindings/lb-1?{ids}"),
    ))
    .send(&app)
    .await;
    send(req(
        Method::DELETE,
        &format!("/v2/service_instances/log-1?{ids}"),
    ))
    .send(&app)
    .await;
    // A rejected request and a failing one log too.
    req(Method::GET, "/v2/catalog")
        .header("authorization", &basic("admin", "wrong"))
        .send(&app)
        .await;
    std::io::stderr().flush().ok();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("request completed"), "{logs}");
    assert!(
        logs.contains("rid-42"),
        "the request identity is in the span: {logs}"
    );
    assert!(
        logs.contains("log-1"),
        "the instance id is in the span: {logs}"
    );
    for secret in [
        password,
        &auth,
        &auth["Basic ".len()..],
        credential.as_str(),
        "777",
        "ctx-secret-value",
        "authorization",
    ] {
        assert!(
            !logs.to_lowercase().contains(&secret.to_lowercase()),
            "{secret:?} is in the logs:\n{logs}"
        );
    }
}

/// Binds with a `syslog_drain_url` although its offering does not `requires` it.
struct Drains;

impl osb::Broker for Drains {
    fn catalog(&self) -> osb::catalog::Catalog {
        osb::catalog::Catalog::new([osb::catalog::ServiceOffering::new(
            "drains",
            "drains",
            "Log drains.",
        )
        .bindable(true)
        .plan(osb::catalog::Plan::new("drain-plan", "drain", "A drain."))])
    }

    async fn provision(&self, _: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
        Ok(osb::Provisioned::created())
    }

    async fn deprovision(&self, _: osb::Deprovision) -> Result<osb::Deprovisioned, osb::Error> {
        Ok(osb::Deprovisioned::completed())
    }

    async fn bind(&self, _: osb::Bind) -> Result<osb::Bound, osb::Error> {
        Ok(osb::Bound::created(
            osb::Binding::new().syslog_drain_url("syslog://logs.example.com:514"),
        ))
    }
}

/// «Binding»: `syslog_drain_url` needs `requires: ["syslog_drain"]` in the catalog,
/// else platforms may reject the response; the runtime warns the broker author.
#[tokio::test]
async fn binding_fields_the_offering_does_not_require_are_warned() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        // Timestamps would hold digits the secrets below could match by chance.
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests of this binary may have cached "no subscriber is interested" for
    // the runtime's callsites; recompute it now that this thread has one.
    tracing::callsite::rebuild_interest_cache();
    let app = osb::router(Drains, osb::auth::Auth::none());
    let reply = req(Method::PUT, "/v2/service_instances/i/service_bindings/b")
        .json(json!({"service_id": "drains", "plan_id": "drain-plan"}))
        .send(&app)
        .await;
    assert_eq!(reply.status, 201);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("the bind handler returned `syslog_drain_url` but the service offering does not declare the matching `requires` permission"),
        "{logs}"
    );
}

/// Logs at `level` and below what `work` makes the runtime write.
async fn logged<F: std::future::Future>(level: tracing::Level, work: impl FnOnce() -> F) -> String {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(level)
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    work().await;
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}

/// Panics in its provision handler.
struct Panics;

impl osb::Broker for Panics {
    fn catalog(&self) -> osb::catalog::Catalog {
        osb::catalog::Catalog::new([osb::catalog::ServiceOffering::new("svc", "svc", "Panics.")
            .plan(osb::catalog::Plan::new("plan", "plan", "Panics."))])
    }

    async fn provision(&self, _: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
        panic!("the disk caught fire at /var/secret/path")
    }

    async fn deprovision(&self, _: osb::Deprovision) -> Result<osb::Deprovisioned, osb::Error> {
        Ok(osb::Deprovisioned::completed())
    }
}

/// «Service Broker Errors»: a panic is a JSON 500 without internals, and its message
/// goes to the log, where the operator looks for it.
#[tokio::test]
async fn a_panic_is_logged_and_not_answered() {
    let app = osb::router(Panics, osb::auth::Auth::none());
    let mut reply = None;
    let logs = logged(tracing::Level::ERROR, || async {
        reply = Some(
            req(Method::PUT, "/v2/service_instances/i")
                .json(json!({"service_id": "svc", "plan_id": "plan", "organization_guid": "o", "space_guid": "s"}))
                .send(&app)
                .await,
        );
    })
    .await;
    let reply = reply.unwrap();
    assert_eq!(reply.status, 500);
    assert!(!String::from_utf8_lossy(&reply.body).contains("fire"));
    assert!(logs.contains("a request handler panicked"), "{logs}");
    assert!(
        logs.contains("the disk caught fire at /var/secret/path"),
        "{logs}"
    );
}

/// «Catalog Management» RECOMMENDS CLI-friendly names and descriptions of at most
/// 255 characters: a hand-written catalog that does otherwise is served, with a
/// warning for its author.
#[tokio::test]
async fn catalog_style_is_warned_about() {
    struct Styled;
    impl osb::Broker for Styled {
        fn catalog(&self) -> osb::catalog::Catalog {
            osb::catalog::Catalog::new([osb::catalog::ServiceOffering::new(
                "svc",
                "My Service",
                "d".repeat(300),
            )
            .plan(osb::catalog::Plan::new("plan", "plan", "A plan."))])
        }
        async fn provision(&self, _: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
            Ok(osb::Provisioned::created())
        }
        async fn deprovision(&self, _: osb::Deprovision) -> Result<osb::Deprovisioned, osb::Error> {
            Ok(osb::Deprovisioned::completed())
        }
    }
    let logs = logged(tracing::Level::WARN, || async {
        let _app = osb::router(Styled, osb::auth::Auth::none());
    })
    .await;
    assert!(
        logs.contains(
            "name of service offering `My Service` is not CLI-friendly (use only letters, digits, `.` and `-`)"
        ),
        "{logs}"
    );
    assert!(
        logs.contains(
            "description of service offering `My Service` is longer than the recommended 255 characters"
        ),
        "{logs}"
    );
}

/// Every request gets an id (issue 21, item 5): the platform's, from the first of
/// `X-Broker-API-Request-Identity`, `X-Request-Id`, `X-Correlation-Id` and
/// `X-Vcap-Request-Id` it sends, else a new UUID; its log lines carry it and its
/// answer returns it under the header it came with (a new one as `X-Request-Id`).
#[tokio::test]
async fn every_request_is_logged_and_answered_with_its_id() {
    let ids = std::sync::Mutex::new(Vec::new());
    let logs = logged(tracing::Level::INFO, || async {
        let app = reference::builder(Duration::from_millis(1))
            .auth(osb::auth::BasicAuth::new("admin", "admin"))
            .store(MemoryStore::new())
            .build()
            .unwrap();
        let auth = basic("admin", "admin");
        for (header, id) in [
            ("x-broker-api-request-identity", "cid-identity"),
            ("x-request-id", "cid-request"),
            ("x-correlation-id", "cid-correlation"),
            ("x-vcap-request-id", "cid-vcap"),
        ] {
            let answer = req(Method::GET, "/v2/catalog")
                .header("authorization", &auth)
                .header(header, id)
                .send(&app)
                .await;
            assert_eq!(answer.status, 200);
            assert_eq!(answer.header(header), Some(id), "{header}");
            ids.lock().unwrap().push(id.to_owned());
        }
        // The first header in that order wins; only it is answered.
        let answer = req(Method::GET, "/v2/service_instances/nowhere")
            .header("authorization", &auth)
            .header("x-vcap-request-id", "cid-vcap-2")
            .header("x-request-id", "cid-request-2")
            .send(&app)
            .await;
        assert_eq!(answer.status, 404);
        assert_eq!(answer.header("x-request-id"), Some("cid-request-2"));
        assert_eq!(answer.header("x-vcap-request-id"), None);
        ids.lock().unwrap().push("cid-request-2".to_owned());
        // None sent: a new one, answered as X-Request-Id, never as the specification's
        // header (the platform did not send one to echo).
        let answer = req(Method::GET, "/v2/catalog")
            .header("authorization", &auth)
            .send(&app)
            .await;
        let made_up = answer.header("x-request-id").unwrap().to_owned();
        assert_eq!(made_up.len(), 36, "{made_up}");
        assert_eq!(answer.header("x-broker-api-request-identity"), None);
        ids.lock().unwrap().push(made_up);
    })
    .await;
    let ids = ids.into_inner().unwrap();
    for id in &ids {
        let line = logs
            .lines()
            .find(|line| line.contains(&format!("request_id=\"{id}\"")))
            .unwrap_or_else(|| panic!("no log line carries {id}: {logs}"));
        assert!(line.contains("request completed"), "{line}");
    }
}

/// A request's span follows OpenTelemetry's HTTP conventions and carries the plan and
/// the latency (issue 21, item 3): every line of the request has them.
#[tokio::test]
async fn request_spans_carry_the_http_conventions_plan_and_latency() {
    let logs = logged(tracing::Level::INFO, || async {
        let app = reference::builder(Duration::from_millis(1))
            .auth(osb::auth::BasicAuth::new("admin", "admin"))
            .store(MemoryStore::new())
            .build()
            .unwrap();
        let answer = req(Method::PUT, "/v2/service_instances/span-1")
            .header("authorization", &basic("admin", "admin"))
            .header("x-request-id", "span-rid")
            .json(provision_body(SMALL))
            .send(&app)
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text());
    })
    .await;
    let line = logs
        .lines()
        .find(|line| line.contains("request completed") && line.contains("span-rid"))
        .unwrap_or_else(|| panic!("no completed request: {logs}"));
    for field in [
        "http.request.method=PUT",
        "http.route=\"/v2/service_instances/:instance_id\"",
        "osb.operation=\"provision\"",
        "instance_id=\"span-1\"",
        &format!("osb.service_id=\"{SERVICE}\""),
        &format!("osb.plan_id=\"{SMALL}\""),
        "http.response.status_code=201",
        "latency_ms=",
    ] {
        assert!(line.contains(field), "{field} missing: {line}");
    }
}
