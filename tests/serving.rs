//! `osb::server` under misbehaving clients (issue 21, item 1): a client slow to send
//! its request head is cut off, idle keep-alive connections too; past the connection
//! cap new connections wait while connected clients are served; shutdown gives
//! requests in flight a deadline. Over real TCP on 127.0.0.1.

use std::time::Duration;

use osb::auth::Auth;
use osb::catalog::{Catalog, Plan, ServiceOffering};
use osb::server::{ServeOptions, serve_with_options};
use osb::{Broker, Builder, Deprovision, Deprovisioned, Error, Provision, Provisioned};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Longer than any of these tests may wait for something that must happen: a guard
/// against a hang, not a measurement.
const PATIENCE: Duration = Duration::from_secs(20);

struct Slow;

impl Broker for Slow {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new("svc", "db", "A database").plan(Plan::new(
                "plan",
                "small",
                "A small one",
            )),
        ])
    }

    /// Never answers: a request in flight at shutdown.
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        std::future::pending().await
    }

    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

struct Served {
    address: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn serve(options: ServeOptions) -> Served {
    let app = Builder::new()
        .broker(Slow)
        .auth(Auth::none())
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_with_options(listener, app, options, async {
        let _ = stopped.await;
    }));
    Served {
        address,
        stop: Some(stop),
        task,
    }
}

const CATALOG: &[u8] =
    b"GET /v2/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Broker-API-Version: 2.17\r\n\r\n";

/// One whole response from `stream`: its status line.
async fn response(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return head.lines().next().unwrap_or_default().to_owned();
            }
        }
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("no response in time")
            .unwrap();
        assert!(read > 0, "the connection closed before the response");
        bytes.extend_from_slice(&chunk[..read]);
    }
}

/// Waits for the server to close `stream`; what it sent before, if anything.
async fn closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut sent = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => return sent,
            Ok(Ok(read)) => sent.extend_from_slice(&chunk[..read]),
            Err(_) => panic!("the server kept the connection open"),
        }
    }
}

#[tokio::test]
async fn a_client_slow_to_send_its_head_is_cut_off_and_so_is_an_idle_one() {
    let served = serve(ServeOptions::new().request_head_timeout(Duration::from_millis(300))).await;

    // Half a request head, then nothing.
    let mut slow = TcpStream::connect(served.address).await.unwrap();
    slow.write_all(b"GET /v2/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let sent = closed(&mut slow).await;
    assert!(
        sent.is_empty() || sent.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&sent)
    );

    // A whole request is answered; the connection, then idle, is closed too.
    let mut idle = TcpStream::connect(served.address).await.unwrap();
    idle.write_all(CATALOG).await.unwrap();
    assert_eq!(response(&mut idle).await, "HTTP/1.1 200 OK");
    assert!(closed(&mut idle).await.is_empty());
}

#[tokio::test]
async fn past_the_cap_new_connections_wait_while_connected_clients_are_served() {
    let served = serve(ServeOptions::new().max_connections(2)).await;
    let mut first = TcpStream::connect(served.address).await.unwrap();
    let mut second = TcpStream::connect(served.address).await.unwrap();
    for stream in [&mut first, &mut second] {
        stream.write_all(CATALOG).await.unwrap();
        assert_eq!(response(stream).await, "HTTP/1.1 200 OK");
    }

    // A third connection is not served while both are open...
    let mut third = TcpStream::connect(served.address).await.unwrap();
    third.write_all(CATALOG).await.unwrap();
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(300), third.read(&mut byte)).await;
    assert!(early.is_err(), "a connection past the cap was served");
    // ...the connected clients are...
    first.write_all(CATALOG).await.unwrap();
    assert_eq!(response(&mut first).await, "HTTP/1.1 200 OK");
    // ...and once one leaves, the waiting one is.
    drop(second);
    assert_eq!(response(&mut third).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn shutdown_closes_what_is_still_in_flight_at_the_drain_deadline() {
    let mut served = serve(ServeOptions::new().drain_timeout(Duration::from_millis(300))).await;
    let mut hanging = TcpStream::connect(served.address).await.unwrap();
    let body = r#"{"service_id":"svc","plan_id":"plan","organization_guid":"o","space_guid":"s"}"#;
    let request = format!(
        "PUT /v2/service_instances/i-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Broker-API-Version: 2.17\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    hanging.write_all(request.as_bytes()).await.unwrap();
    // Answered first: the provision above is in flight (requests on one runtime
    // are taken in order), then shutdown.
    let mut other = TcpStream::connect(served.address).await.unwrap();
    other.write_all(CATALOG).await.unwrap();
    assert_eq!(response(&mut other).await, "HTTP/1.1 200 OK");
    let _ = served.stop.take().unwrap().send(());
    let returned = tokio::time::timeout(PATIENCE, &mut served.task).await;
    assert!(
        matches!(returned, Ok(Ok(Ok(())))),
        "serving did not end at the drain deadline"
    );
    // The request that never finished gets no answer: its connection is closed.
    assert!(closed(&mut hanging).await.is_empty());
}
