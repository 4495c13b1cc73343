//! What only a real socket shows: graceful shutdown, keep-alive connections, request
//! framing (declared and chunked bodies) and raw UTF-8 in the request target.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use http::Method;
use osb::catalog::{Catalog, Plan, ServiceOffering};
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// A broker whose provision takes a while, and says when it has started and finished.
struct Slow {
    started: mpsc::UnboundedSender<String>,
    finished: Arc<AtomicBool>,
}

impl osb::Broker for Slow {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new("svc-slow", "slow", "Takes its time.").plan(Plan::new(
                "plan-slow",
                "slow",
                "Slow.",
            )),
        ])
    }

    async fn provision(&self, req: Provision) -> Result<Provisioned, Error> {
        let _ = self.started.send(req.instance_id.clone());
        // The deliberate in-flight delay during which the server is told to stop.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.finished.store(true, Ordering::SeqCst);
        Ok(Provisioned::created().dashboard_url(format!("https://slow/{}", req.instance_id)))
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

#[tokio::test]
async fn shutdown_lets_the_in_flight_request_finish() {
    let (started, mut handler_started) = mpsc::unbounded_channel();
    let finished = Arc::new(AtomicBool::new(false));
    let slow = Slow {
        started,
        finished: finished.clone(),
    };
    let app = osb::router(slow, osb::auth::BasicAuth::new(USER, PASSWORD));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(osb::server::serve_with_shutdown(listener, app, async {
        let _ = stopped.await;
    }));

    let mut connection = Connection::open(addr).await;
    let in_flight = tokio::spawn(async move {
        let reply = connection
            .send(
                req(Method::PUT, "/v2/service_instances/s-1")
                    .header("x-broker-api-request-identity", "rid-slow")
                    .json(json!({
                        "service_id": "svc-slow", "plan_id": "plan-slow",
                        "organization_guid": "o", "space_guid": "s"
                    })),
            )
            .await;
        (reply, connection)
    });
    assert_eq!(handler_started.recv().await.as_deref(), Some("s-1"));
    stop.send(()).unwrap();

    // serve returns Ok, and only once the handler in flight has finished.
    let served = tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve returns after the signal")
        .unwrap();
    assert!(served.is_ok(), "{served:?}");
    assert!(
        finished.load(Ordering::SeqCst),
        "serve returned while a request was in flight"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );

    // The in-flight request got its whole answer, then the connection was closed.
    let (reply, mut connection) = in_flight.await.unwrap();
    reply.assert_json(201, json!({"dashboard_url": "https://slow/s-1"}));
    assert_eq!(
        reply.header("x-broker-api-request-identity"),
        Some("rid-slow")
    );
    assert!(connection.closed().await);
}

#[tokio::test]
async fn shutdown_with_nothing_in_flight_returns_ok() {
    let (app, _) = app();
    let server = Server::start(app).await;
    let addr = server.addr;
    let r = req(Method::GET, "/v2/catalog").send(&server).await;
    assert_eq!(r.status, 200);
    server.stop().await.expect("serve returns Ok");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn one_connection_carries_a_whole_lifecycle() {
    let (app, broker) = app();
    let server = Server::start(app).await;
    let mut c = server.connect().await;
    let steps = [
        (
            req(Method::PUT, "/v2/service_instances/i-1").json(provision_body(SMALL)),
            201,
        ),
        (req(Method::GET, "/v2/service_instances/i-1"), 200),
        (
            req(Method::PATCH, "/v2/service_instances/i-1").json(json!({"service_id": DB})),
            200,
        ),
        (
            req(
                Method::PUT,
                "/v2/service_instances/i-1/service_bindings/b-1",
            )
            .json(bind_body(SMALL)),
            201,
        ),
        (
            req(
                Method::GET,
                "/v2/service_instances/i-1/service_bindings/b-1",
            ),
            200,
        ),
        (
            req(
                Method::DELETE,
                &format!("/v2/service_instances/i-1/service_bindings/b-1?{DB_SMALL}"),
            ),
            200,
        ),
        (
            req(
                Method::DELETE,
                &format!("/v2/service_instances/i-1?{DB_SMALL}"),
            ),
            200,
        ),
        (req(Method::GET, "/v2/nope"), 404),
        (
            req(Method::GET, "/v2/catalog").without("authorization"),
            401,
        ),
        (req(Method::GET, "/v2/catalog"), 200),
    ];
    for (n, (call, status)) in steps.into_iter().enumerate() {
        let identity = format!("rid-{n}");
        let r = c
            .send(call.header("x-broker-api-request-identity", &identity))
            .await;
        assert_eq!(r.status.as_u16(), status, "step {n}: {}", r.text());
        assert_eq!(
            r.header("x-broker-api-request-identity"),
            Some(identity.as_str())
        );
    }
    assert_eq!(broker.calls().len(), 7);
    drop(c);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_panic_does_not_break_the_connection() {
    let (app, _) = app();
    let server = Server::start(app).await;
    let mut c = server.connect().await;
    for _ in 0..3 {
        let r = c
            .send(
                req(Method::GET, "/v2/service_instances/panic")
                    .header("x-broker-api-request-identity", "rid-panic"),
            )
            .await;
        r.assert_json(500, json!({"description": INTERNAL}));
        assert_eq!(r.header("x-broker-api-request-identity"), Some("rid-panic"));
        let r = c.send(req(Method::GET, "/v2/service_instances/i-1")).await;
        assert_eq!(r.status, 200);
    }
    let r = req(Method::GET, "/v2/catalog").send(&server).await;
    assert_eq!(r.status, 200);
    drop(c);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body_arrives() {
    let (app, broker) = app_with(|b| b.body_limit(64));
    let server = Server::start(app).await;
    let mut c = server.connect().await;
    // Only the head is sent: the answer must not wait for ten megabytes.
    let head = req(Method::PUT, "/v2/service_instances/i-1")
        .header("content-type", "application/json")
        .header("content-length", "10000000")
        .header("x-broker-api-request-identity", "rid-413")
        .to_http1(server.addr);
    c.write(&head).await;
    let r = c.read_reply(false).await;
    r.assert_json(
        413,
        json!({"description": "the request body is larger than 64 bytes"}),
    );
    assert_eq!(r.header("x-broker-api-request-identity"), Some("rid-413"));
    assert!(broker.calls().is_empty());
}

fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[tokio::test]
async fn chunked_bodies_are_read_and_limited() {
    let (app, broker) = app_with(|b| b.body_limit(256));
    let server = Server::start(app).await;
    let body = serde_json::to_vec(&provision_body(SMALL)).unwrap();
    assert!(body.len() < 256);
    let r = req(Method::PUT, "/v2/service_instances/i-1")
        .header("content-type", "application/json")
        .header("transfer-encoding", "chunked")
        .raw(&chunked(&body, 16))
        .send(&server)
        .await;
    r.assert_json(201, json!({"dashboard_url": "https://dash/i-1"}));
    assert_eq!(broker.last_provision().instance_id, "i-1");

    // No length is declared: the limit applies while the body streams in.
    let mut large = provision_body(SMALL);
    large["padding"] = json!("x".repeat(300));
    let r = req(Method::PUT, "/v2/service_instances/i-2")
        .header("content-type", "application/json")
        .header("transfer-encoding", "chunked")
        .raw(&chunked(&serde_json::to_vec(&large).unwrap(), 64))
        .send(&server)
        .await;
    r.assert_json(
        413,
        json!({"description": "the request body is larger than 256 bytes"}),
    );
    assert_eq!(broker.calls().len(), 1);
}

#[tokio::test]
async fn raw_utf8_in_the_path_reaches_the_handler() {
    let (app, broker) = app();
    let server = Server::start(app).await;
    let mut c = server.connect().await;
    let request = format!(
        "PUT /v2/service_instances/\u{2713}-\u{e9} HTTP/1.1\r\nhost: {}\r\nauthorization: {}\r\n\
         x-broker-api-version: 2.17\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
        server.addr,
        basic(USER, PASSWORD),
        provision_body(SMALL).to_string().len(),
        provision_body(SMALL)
    );
    c.write(request.as_bytes()).await;
    let r = c.read_reply(false).await;
    r.assert_json(
        201,
        json!({"dashboard_url": "https://dash/\u{2713}-\u{e9}"}),
    );
    assert_eq!(broker.last_provision().instance_id, "\u{2713}-\u{e9}");
}
