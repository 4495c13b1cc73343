//! Concurrency, faults and shutdown, against the reference broker in-process and as a
//! real process.

mod common;

use std::time::Duration;

use axum::Router;
use common::process::start;
use common::*;
use http::Method;
use osb::store::MemoryStore;
use osb_examples::reference;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

const SERVICE: &str = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90";
const SMALL: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";
const LARGE: &str = "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34";

fn reference() -> Router {
    reference::builder(Duration::from_millis(20))
        .auth(osb::auth::BasicAuth::new("admin", "admin"))
        .store(MemoryStore::new())
        .build()
        .unwrap()
}

fn provision_body(plan: &str) -> Value {
    json!({"service_id": SERVICE, "plan_id": plan, "organization_guid": "o", "space_guid": "s"})
}

/// `n` copies of a request sent at once from a multi-threaded runtime.
async fn at_once(app: &Router, n: usize, make: impl Fn(usize) -> Call2) -> Vec<Reply> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let app = app.clone();
            let call = make(i);
            tokio::spawn(async move { call.send(&app).await })
        })
        .collect();
    let mut replies = Vec::with_capacity(n);
    for task in tasks {
        replies.push(task.await.expect("request task"));
    }
    replies
}

fn statuses(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|r| r.status.as_u16()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_concurrent_provisions_create_one_instance() {
    let app = reference();
    for (plan, query, created, others) in [
        (SMALL, "", 201, [200, 200]),
        (LARGE, "?accepts_incomplete=true", 202, [202, 200]),
    ] {
        let uri = format!("/v2/service_instances/race-{plan}{query}");
        let replies = at_once(&app, 64, |_| {
            req(Method::PUT, &uri)
                .header("authorization", &basic("admin", "admin"))
                .json(provision_body(plan))
        })
        .await;
        let statuses = statuses(&replies);
        assert!(
            statuses
                .iter()
                .all(|s| *s == created || others.contains(s) || *s == 422),
            "{statuses:?}"
        );
        if plan == SMALL {
            assert_eq!(
                statuses.iter().filter(|&&s| s == 201).count(),
                1,
                "{statuses:?}"
            );
        } else {
            // Every 202 carries the one operation that creates the instance.
            let operations: Vec<Value> = replies
                .iter()
                .filter(|r| r.status == 202)
                .map(|r| r.json()["operation"].clone())
                .collect();
            assert!(
                operations.windows(2).all(|w| w[0] == w[1]),
                "{operations:?}"
            );
        }
        for reply in replies.iter().filter(|r| r.status == 422) {
            assert_eq!(
                reply.json()["error"],
                "ConcurrencyError",
                "{}",
                reply.text()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_binds_all_succeed_and_stay_fetchable() {
    let app = reference();
    let auth = basic("admin", "admin");
    let created = req(Method::PUT, "/v2/service_instances/binds")
        .header("authorization", &auth)
        .json(provision_body(SMALL))
        .send(&app)
        .await;
    assert_eq!(created.status, 201);
    let replies = at_once(&app, 64, |i| {
        req(
            Method::PUT,
            &format!("/v2/service_instances/binds/service_bindings/b-{i}"),
        )
        .header("authorization", &auth)
        .json(json!({"service_id": SERVICE, "plan_id": SMALL}))
    })
    .await;
    assert!(
        statuses(&replies).iter().all(|&s| s == 201),
        "{:?}",
        statuses(&replies)
    );
    let mut passwords: Vec<String> = replies
        .iter()
        .map(|r| {
            r.json()["credentials"]["password"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    passwords.sort();
    passwords.dedup();
    assert_eq!(passwords.len(), 64, "every binding has its own password");
    for i in 0..64 {
        let fetched = req(
            Method::GET,
            &format!("/v2/service_instances/binds/service_bindings/b-{i}"),
        )
        .header("authorization", &auth)
        .send(&app)
        .await;
        assert_eq!(fetched.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_provision_and_deprovision_leave_no_half_state() {
    let app = reference();
    let auth = basic("admin", "admin");
    for round in 0..8 {
        let id = format!("flip-{round}");
        let replies = at_once(&app, 64, |i| {
            if i % 2 == 0 {
                req(Method::PUT, &format!("/v2/service_instances/{id}"))
                    .header("authorization", &auth)
                    .json(provision_body(SMALL))
            } else {
                req(
                    Method::DELETE,
                    &format!("/v2/service_instances/{id}?service_id={SERVICE}&plan_id={SMALL}"),
                )
                .header("authorization", &auth)
            }
        })
        .await;
        for reply in &replies {
            assert!(
                [200, 201, 410, 422].contains(&reply.status.as_u16()),
                "{}: {}",
                reply.status,
                reply.text()
            );
        }
        // Whatever won, the instance is either fully there or fully gone.
        let fetched = req(Method::GET, &format!("/v2/service_instances/{id}"))
            .header("authorization", &auth)
            .send(&app)
            .await;
        let deleted = req(
            Method::DELETE,
            &format!("/v2/service_instances/{id}?service_id={SERVICE}&plan_id={SMALL}"),
        )
        .header("authorization", &auth)
        .send(&app)
        .await;
        match fetched.status.as_u16() {
            200 => assert_eq!(deleted.status, 200, "fetchable but not deletable"),
            404 => assert_eq!(deleted.status, 410, "not fetchable but deletable"),
            other => panic!("fetch answered {other}: {}", fetched.text()),
        }
    }
}

/// A client that sends half a request and disappears leaves nothing behind: the
/// same instance can be provisioned right after.
#[tokio::test]
async fn a_client_that_disconnects_mid_request_wedges_nothing() {
    let server = Server::start(reference()).await;
    let body = provision_body(SMALL).to_string();
    let head = format!(
        "PUT /v2/service_instances/gone HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: {}\r\nx-broker-api-version: 2.17\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        basic("admin", "admin"),
        body.len()
    );
    for _ in 0..8 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
            .write_all(&body.as_bytes()[..body.len() / 2])
            .await
            .unwrap();
        drop(stream);
    }
    let reply = req(Method::PUT, "/v2/service_instances/gone")
        .header("authorization", &basic("admin", "admin"))
        .json(provision_body(SMALL))
        .send(&server)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
}

/// A service whose provisioning is synchronous but slow.
#[osb::service(id = "0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a41", plans(Slow))]
struct SlowService;

/// Takes 300 ms to provision.
#[osb::plan(id = "1c2d3e4f-5061-4b72-8c83-ad9e8f7a6b52")]
struct Slow;

struct SlowBroker;

#[osb::broker(services(SlowService), stateful)]
impl SlowBroker {
    #[provision(Slow)]
    async fn provision(&self, _request: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(osb::Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(
        &self,
        _request: osb::Deprovision,
    ) -> Result<osb::Deprovisioned, osb::Error> {
        Ok(osb::Deprovisioned::completed())
    }
}

/// A client that hangs up while the handler works does not stop the work halfway:
/// the instance is created all the same, and is not left `creating` until its lease
/// runs out (a fetch would answer 404 and a re-provision would wait for it).
#[tokio::test]
async fn a_client_that_hangs_up_during_the_handler_leaves_a_finished_instance() {
    let app = osb::Builder::new()
        .broker(SlowBroker)
        .auth(osb::auth::BasicAuth::new("admin", "admin"))
        .store(MemoryStore::new())
        .build()
        .unwrap();
    let server = Server::start(app).await;
    let body = json!({
        "service_id": "0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a41",
        "plan_id": "1c2d3e4f-5061-4b72-8c83-ad9e8f7a6b52",
        "organization_guid": "o",
        "space_guid": "s",
    })
    .to_string();
    let request = format!(
        "PUT /v2/service_instances/abandoned HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: {}\r\nx-broker-api-version: 2.17\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        basic("admin", "admin"),
        body.len()
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    // Hang up while the handler sleeps.
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(stream);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let fetched = req(Method::GET, "/v2/service_instances/abandoned")
        .header("authorization", &basic("admin", "admin"))
        .send(&server)
        .await;
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    assert_eq!(
        fetched.json()["plan_id"],
        "1c2d3e4f-5061-4b72-8c83-ad9e8f7a6b52"
    );
}

/// SIGTERM while a request is in flight: the request is answered in full, then the
/// process exits with status 0.
#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits_zero() {
    let mut broker = start("reference", &[], &[]).await;
    let body = provision_body(SMALL).to_string();
    let head = format!(
        "PUT /v2/service_instances/in-flight HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: {}\r\nx-broker-api-version: 2.17\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        basic("admin", "admin"),
        body.len()
    );
    let mut connection = Connection::open(broker.addr).await;
    connection.write(head.as_bytes()).await;
    connection.write(&body.as_bytes()[..10]).await;
    // The request is in flight (its body half sent) when the signal arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    broker.terminate();
    tokio::time::sleep(Duration::from_millis(200)).await;
    connection.write(&body.as_bytes()[10..]).await;
    let reply = connection.read_reply(false).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let status = tokio::time::timeout(Duration::from_secs(10), broker.child.wait())
        .await
        .expect("the broker exits after SIGTERM")
        .expect("wait");
    assert_eq!(status.code(), Some(0));
    // And it stopped listening.
    assert!(TcpStream::connect(broker.addr).await.is_err());
}

/// An authenticator that panics: user code, like a handler.
struct PanickingAuthenticator;

#[osb::async_trait]
impl osb::auth::Authenticator for PanickingAuthenticator {
    async fn authenticate(
        &self,
        _request: &http::request::Parts,
    ) -> Result<Option<osb::auth::Principal>, osb::Error> {
        panic!("the authenticator panicked")
    }
}

/// A custom authenticator that panics gets the generic 500 with the request identity,
/// on the routes and on the 404/405 fallbacks alike, and the server keeps serving.
#[tokio::test]
async fn a_panicking_authenticator_answers_500_everywhere() {
    let app = reference::builder(Duration::from_millis(20))
        .auth(PanickingAuthenticator)
        .store(MemoryStore::new())
        .build()
        .unwrap();
    let client = osb::testing::TestClient::new(app).header("X-Broker-API-Request-Identity", "id-7");
    for (method, path) in [
        (Method::GET, "/v2/catalog"),
        (Method::GET, "/v2/nowhere"),
        (Method::POST, "/v2/catalog"),
        (Method::GET, "/v2/catalog"),
    ] {
        let reply = client.request(method.clone(), path).send().await;
        assert_eq!(
            reply.status,
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "{method} {path}"
        );
        assert_eq!(
            reply.json(),
            json!({"description": "The service broker failed to process the request."}),
            "{method} {path}"
        );
        assert_eq!(
            reply.header("X-Broker-API-Request-Identity"),
            Some("id-7"),
            "{method} {path}"
        );
    }
}
