//! A scripted broker and a request helper shared by the HTTP tests.
//!
//! The broker's behaviour is chosen by the instance id, so each test states in the
//! request what it expects: `exists` → 200, `conflict` → 409, `missing` → not found,
//! `busy` → ConcurrencyError, `boom` → internal error, `panic` → a panic,
//! `async` → 202 with operation `op-1`. Every request the broker receives is recorded.
//!
//! A request reaches a router in-process (`send(&router)`) or over TCP (`send(&server)`,
//! a [`Server`] running `osb::server::serve_with_shutdown` on 127.0.0.1 and a small HTTP/1.1
//! client written here); [`targets`] gives both, so a test runs once per transport.

#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod process;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use base64::Engine as _;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use osb::catalog::{AsyncOperations, Catalog, MaintenanceInfo, Plan, ServiceOffering};
use osb::response::{BindingMetadata, Timestamp};
use osb::{
    Bind, Binding, BindingLastOperation, BindingOperationReport, Bound, Broker, Deprovision,
    Deprovisioned, Error, FetchBinding, FetchInstance, InstanceDetails, LastOperation,
    OperationReport, Provision, Provisioned, Unbind, Unbound, Update, Updated,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt as _;

pub const DB: &str = "svc-db";
pub const SMALL: &str = "plan-small";
pub const LARGE: &str = "plan-large";
pub const ROTATING: &str = "plan-rotating";
pub const NOBIND: &str = "plan-nobind";
pub const QUEUE: &str = "svc-queue";
pub const BASIC: &str = "plan-basic";

/// What a handler was called with.
#[derive(Debug, Clone)]
pub enum Call {
    Provision(Provision),
    Update(Update),
    Deprovision(Deprovision),
    FetchInstance(FetchInstance),
    LastOperation(LastOperation),
    Bind(Bind),
    Unbind(Unbind),
    FetchBinding(FetchBinding),
    BindingLastOperation(BindingLastOperation),
}

#[derive(Clone, Default)]
pub struct Scripted {
    pub calls: Arc<Mutex<Vec<Call>>>,
}

/// `Scripted::last_provision()` and the like: the last call, which must be of that kind.
macro_rules! last_call {
    ($($method:ident => $variant:ident;)*) => {
        impl Scripted {
            $(
                #[track_caller]
                pub fn $method(&self) -> $variant {
                    match self.last() {
                        Some(Call::$variant(request)) => request,
                        other => panic!(concat!("expected a ", stringify!($variant), " call, got {:?}"), other),
                    }
                }
            )*
        }
    };
}

last_call! {
    last_provision => Provision;
    last_update => Update;
    last_deprovision => Deprovision;
    last_fetch_instance => FetchInstance;
    last_last_operation => LastOperation;
    last_bind => Bind;
    last_unbind => Unbind;
    last_fetch_binding => FetchBinding;
    last_binding_last_operation => BindingLastOperation;
}

impl Scripted {
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.calls.lock().unwrap().clear();
    }

    pub fn last(&self) -> Option<Call> {
        self.calls.lock().unwrap().last().cloned()
    }

    fn record(&self, call: Call) {
        self.calls.lock().unwrap().push(call);
    }
}

fn scripted_error(id: &str) -> Option<Error> {
    match id {
        "missing" => Some(Error::instance_not_found()),
        "busy" => Some(Error::concurrency_error()),
        "conflict" => Some(Error::instance_already_exists()),
        "quota" => Some(Error::plan_quota_exceeded()),
        "gone" => Some(Error::gone()),
        "boom" => Some(Error::internal(std::io::Error::other(
            "connection refused by 10.0.0.7:5432",
        ))),
        "failed" => Some(
            Error::failed("the disk is full")
                .instance_usable(false)
                .update_repeatable(false),
        ),
        "panic" => panic!("scripted panic with secret 10.0.0.7"),
        _ => None,
    }
}

pub fn catalog() -> Catalog {
    let size_schema = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"size_mb": {"type": "integer", "minimum": 1, "maximum": 1024}},
        "additionalProperties": false
    });
    Catalog::new([
        ServiceOffering::new(DB, "db", "A database.")
            .bindable(true)
            .instances_retrievable(true)
            .bindings_retrievable(true)
            .plan(
                Plan::new(SMALL, "small", "Synchronous.")
                    .maintenance_info(MaintenanceInfo::new("1.0.0"))
                    .provision_schema(size_schema.clone())
                    .update_schema(size_schema.clone())
                    .bind_schema(json!({
                        "$schema": "http://json-schema.org/draft-04/schema#",
                        "type": "object",
                        "additionalProperties": false
                    })),
            )
            .plan(
                Plan::new(LARGE, "large", "Asynchronous only.")
                    .plan_updateable(true)
                    .async_only(AsyncOperations::ALL),
            )
            .plan(
                Plan::new(ROTATING, "rotating", "Rotatable bindings, app required.")
                    .binding_rotatable(true)
                    .requires_app(true),
            )
            .plan(Plan::new(NOBIND, "nobind", "Not bindable.").bindable(false)),
        ServiceOffering::new(QUEUE, "queue", "A queue.").plan(Plan::new(BASIC, "basic", "Basic.")),
    ])
}

impl Broker for Scripted {
    fn catalog(&self) -> Catalog {
        catalog()
    }

    async fn provision(&self, req: Provision) -> Result<Provisioned, Error> {
        self.record(Call::Provision(req.clone()));
        if let Some(err) = scripted_error(&req.instance_id) {
            return Err(err);
        }
        Ok(match req.instance_id.as_str() {
            "exists" => Provisioned::already_exists(),
            "async" => Provisioned::accepted("op-1").dashboard_url("https://dash/async"),
            "wrong-async" => Provisioned::accepted("op-1"),
            "long-op" => Provisioned::accepted("x".repeat(10_001)),
            _ if req.accepts_incomplete && req.plan_id == LARGE => Provisioned::accepted("op-1"),
            _ => Provisioned::created().dashboard_url(format!("https://dash/{}", req.instance_id)),
        })
    }

    async fn update(&self, req: Update) -> Result<Updated, Error> {
        self.record(Call::Update(req.clone()));
        if let Some(err) = scripted_error(&req.instance_id) {
            return Err(err);
        }
        Ok(if req.accepts_incomplete && req.instance_id == "async" {
            Updated::accepted("op-2")
        } else {
            Updated::completed()
        })
    }

    async fn deprovision(&self, req: Deprovision) -> Result<Deprovisioned, Error> {
        self.record(Call::Deprovision(req.clone()));
        if let Some(err) = scripted_error(&req.instance_id) {
            return Err(err);
        }
        Ok(if req.accepts_incomplete && req.instance_id == "async" {
            Deprovisioned::accepted("op-3")
        } else {
            Deprovisioned::completed()
        })
    }

    async fn fetch_instance(&self, req: FetchInstance) -> Result<InstanceDetails, Error> {
        self.record(Call::FetchInstance(req.clone()));
        if let Some(err) = scripted_error(&req.instance_id) {
            return Err(err);
        }
        Ok(InstanceDetails::new(DB, SMALL)
            .parameters(&json!({"size_mb": 64}))
            .maintenance_info(MaintenanceInfo::new("1.0.0")))
    }

    async fn last_operation(&self, req: LastOperation) -> Result<OperationReport, Error> {
        self.record(Call::LastOperation(req.clone()));
        if let Some(err) = scripted_error(&req.instance_id) {
            return Err(err);
        }
        Ok(match req.instance_id.as_str() {
            "failed-op" => OperationReport::failed()
                .description("out of disk")
                .instance_usable(true)
                .update_repeatable(false),
            _ => OperationReport::in_progress()
                .description("40%")
                .retry_after(Duration::from_millis(2500)),
        })
    }

    async fn bind(&self, req: Bind) -> Result<Bound, Error> {
        self.record(Call::Bind(req.clone()));
        if let Some(err) = scripted_error(&req.binding_id) {
            return Err(err);
        }
        let binding = Binding::new().credentials(&json!({
            "uri": format!("db://{}/{}", req.instance_id, req.binding_id),
            "password": "hunter2"
        }));
        Ok(match req.binding_id.as_str() {
            "exists" => Bound::already_exists(binding),
            "async" => Bound::accepted("bind-op"),
            "expiring" => Bound::created(binding.metadata(BindingMetadata {
                expires_at: Some(Timestamp::from_unix_millis(1_800_000_000_000)),
                renew_before: Some(Timestamp::from_unix_millis(1_799_000_000_000)),
            })),
            "bad-metadata" => Bound::created(binding.metadata(BindingMetadata {
                expires_at: Some(Timestamp::from_unix_millis(1_000)),
                renew_before: Some(Timestamp::from_unix_millis(2_000)),
            })),
            _ => Bound::created(binding),
        })
    }

    async fn unbind(&self, req: Unbind) -> Result<Unbound, Error> {
        self.record(Call::Unbind(req.clone()));
        if let Some(err) = scripted_error(&req.binding_id) {
            return Err(match err.kind() {
                osb::ErrorKind::InstanceNotFound => Error::binding_not_found(),
                _ => err,
            });
        }
        Ok(if req.accepts_incomplete && req.binding_id == "async" {
            Unbound::accepted("unbind-op")
        } else {
            Unbound::completed()
        })
    }

    async fn fetch_binding(&self, req: FetchBinding) -> Result<Binding, Error> {
        self.record(Call::FetchBinding(req.clone()));
        if let Some(err) = scripted_error(&req.binding_id) {
            return Err(match err.kind() {
                osb::ErrorKind::InstanceNotFound => Error::binding_not_found(),
                _ => err,
            });
        }
        Ok(Binding::new()
            .credentials(&json!({"uri": "db://x"}))
            .parameters(&json!({"role": "reader"})))
    }

    async fn binding_last_operation(
        &self,
        req: BindingLastOperation,
    ) -> Result<BindingOperationReport, Error> {
        self.record(Call::BindingLastOperation(req.clone()));
        if let Some(err) = scripted_error(&req.binding_id) {
            return Err(match err.kind() {
                osb::ErrorKind::InstanceNotFound => Error::binding_not_found(),
                _ => err,
            });
        }
        Ok(BindingOperationReport::succeeded().retry_after(Duration::from_secs(3)))
    }
}

pub const USER: &str = "admin";
pub const PASSWORD: &str = "secret";

pub fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// The scripted broker behind basic auth `admin`/`secret`.
pub fn app() -> (Router, Scripted) {
    let broker = Scripted::default();
    let router = osb::router(broker.clone(), osb::auth::BasicAuth::new(USER, PASSWORD));
    (router, broker)
}

/// The scripted broker behind basic auth `admin`/`secret`, with builder settings.
pub fn app_with(configure: impl FnOnce(osb::Builder) -> osb::Builder) -> (Router, Scripted) {
    let broker = Scripted::default();
    let builder = osb::Builder::new()
        .broker(broker.clone())
        .auth(osb::auth::BasicAuth::new(USER, PASSWORD));
    let router = configure(builder)
        .build()
        .expect("the scripted catalog is valid");
    (router, broker)
}

/// The query of the deletes for plan `small`.
pub const DB_SMALL: &str = "service_id=svc-db&plan_id=plan-small";
/// The query of the deletes for plan `large`.
pub const DB_LARGE: &str = "service_id=svc-db&plan_id=plan-large";

/// The specification's example originating identity («Originating Identity»).
pub const CF_IDENTITY: &str =
    "cloudfoundry eyANCiAgInVzZXJfaWQiOiAiNjgzZWE3NDgtMzA5Mi00ZmY0LWI2NTYtMzljYWNjNGQ1MzYwIg0KfQ==";

/// The description of every internal 500.
pub const INTERNAL: &str = "The service broker failed to process the request.";

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "not JSON ({err}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the status, `Content-Type: application/json` and the exact JSON body.
    #[track_caller]
    pub fn assert_json(&self, status: u16, body: Value) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(self.json(), body);
    }

    /// Asserts status and an OSB error body, returning the body.
    #[track_caller]
    pub fn assert_error(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        let description = body["description"].as_str().expect("description");
        assert!(!description.is_empty());
        body
    }
}

/// A request with valid auth and version headers unless changed.
#[derive(Clone)]
pub struct Call2 {
    pub method: Method,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

pub fn req(method: Method, uri: &str) -> Call2 {
    Call2 {
        method,
        uri: uri.to_owned(),
        headers: vec![
            ("authorization".into(), basic(USER, PASSWORD)),
            ("x-broker-api-version".into(), "2.17".into()),
        ],
        body: None,
    }
}

impl Call2 {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| n != name);
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(serde_json::to_vec(&body).unwrap());
        self.header("content-type", "application/json")
    }

    pub fn raw(mut self, body: &[u8]) -> Self {
        self.body = Some(body.to_vec());
        self
    }

    /// Sends the request in-process to a router, or over TCP to a [`Server`] or [`Target`].
    pub async fn send(self, to: &impl Transport) -> Reply {
        to.exchange(self).await
    }
}

/// A valid provision body for plan `small`.
pub fn provision_body(plan: &str) -> Value {
    json!({
        "service_id": DB,
        "plan_id": plan,
        "organization_guid": "org",
        "space_guid": "space",
        "context": {"platform": "cloudfoundry", "organization_guid": "org", "space_guid": "space"},
    })
}

pub fn bind_body(plan: &str) -> Value {
    json!({
        "service_id": DB,
        "plan_id": plan,
        "bind_resource": {"app_guid": "app-1"},
    })
}

/// Where a request goes: a router called in-process, or a server over TCP.
pub trait Transport {
    fn exchange(&self, call: Call2) -> impl Future<Output = Reply>;
}

impl Transport for Router {
    async fn exchange(&self, call: Call2) -> Reply {
        let mut builder = Request::builder().method(call.method).uri(call.uri);
        for (name, value) in &call.headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Body::from(call.body.unwrap_or_default()))
            .unwrap();
        let response = self.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes().to_vec();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// How long a test waits for the server before failing instead of hanging.
const PATIENCE: Duration = Duration::from_secs(10);

/// A router served with `osb::server::serve_with_shutdown` on 127.0.0.1, on a port of its own.
/// Dropping it signals shutdown.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Server {
    pub async fn start(app: Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let signal = async {
            let _ = stopped.await;
        };
        let task = tokio::spawn(osb::server::serve_with_shutdown(listener, app, signal));
        Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn connect(&self) -> Connection {
        Connection::open(self.addr).await
    }

    /// Signals a graceful shutdown without waiting for it.
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals a graceful shutdown and returns what `serve_with_shutdown` returned.
    pub async fn stop(mut self) -> io::Result<()> {
        self.shutdown();
        let task = self.task.take().expect("stopped once");
        tokio::time::timeout(PATIENCE, task)
            .await
            .expect("serve_with_shutdown returns after the signal")
            .expect("the serve task did not panic")
    }
}

impl Transport for Server {
    async fn exchange(&self, call: Call2) -> Reply {
        self.connect().await.send(call).await
    }
}

/// One HTTP/1.1 connection, written and read by hand.
pub struct Connection {
    addr: SocketAddr,
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr)
            .await
            .expect("connect to the server");
        Self {
            addr,
            stream,
            buffer: Vec::new(),
        }
    }

    /// Sends one request and reads its response; the connection stays open.
    pub async fn send(&mut self, call: Call2) -> Reply {
        let head_only = call.method == Method::HEAD;
        let bytes = call.to_http1(self.addr);
        self.write(&bytes).await;
        self.read_reply(head_only).await
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .await
            .expect("write the request");
    }

    /// Reads one response (`head_only` for the answer to a HEAD request).
    pub async fn read_reply(&mut self, head_only: bool) -> Reply {
        let end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at;
            }
            assert!(self.fill().await, "the connection closed before a response");
        };
        let head: Vec<u8> = self.buffer.drain(..end + 4).collect();
        let head = String::from_utf8_lossy(&head[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut words = status_line.splitn(3, ' ');
        assert_eq!(
            words.next(),
            Some("HTTP/1.1"),
            "status line {status_line:?}"
        );
        let status: u16 = words
            .next()
            .and_then(|w| w.parse().ok())
            .expect("status code");
        let mut headers = HeaderMap::new();
        for line in lines {
            let (name, value) = line.split_once(':').expect("header line");
            headers.append(
                HeaderName::from_bytes(name.trim().as_bytes()).expect("header name"),
                HeaderValue::from_bytes(value.trim().as_bytes()).expect("header value"),
            );
        }
        let chunked = headers
            .get("transfer-encoding")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
        let length = headers.get("content-length").map(|v| {
            v.to_str()
                .unwrap()
                .parse::<usize>()
                .expect("content-length")
        });
        let body = if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
            Vec::new()
        } else if chunked {
            self.read_chunked().await
        } else if let Some(length) = length {
            self.take(length).await
        } else {
            while self.fill().await {}
            std::mem::take(&mut self.buffer)
        };
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body,
        }
    }

    /// Whether the server closed the connection (after reading what was left).
    pub async fn closed(&mut self) -> bool {
        !self.fill().await
    }

    /// Reads more bytes; `false` at the end of the stream.
    async fn fill(&mut self) -> bool {
        let read = tokio::time::timeout(PATIENCE, self.stream.read_buf(&mut self.buffer))
            .await
            .expect("the server answers in time");
        match read {
            Ok(n) => n > 0,
            Err(err) if err.kind() == io::ErrorKind::ConnectionReset => false,
            Err(err) => panic!("read: {err}"),
        }
    }

    async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buffer.len() < n {
            assert!(self.fill().await, "the connection closed inside a body");
        }
        self.buffer.drain(..n).collect()
    }

    async fn line(&mut self) -> String {
        let end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n") {
                break at;
            }
            assert!(
                self.fill().await,
                "the connection closed inside a chunked body"
            );
        };
        let line: Vec<u8> = self.buffer.drain(..end + 2).collect();
        String::from_utf8_lossy(&line[..end]).into_owned()
    }

    async fn read_chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line = self.line().await;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).expect("chunk size");
            if size == 0 {
                while !self.line().await.is_empty() {}
                return body;
            }
            body.extend(self.take(size).await);
            assert_eq!(self.line().await, "", "a chunk ends with CRLF");
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Call2 {
    /// The request as HTTP/1.1 bytes; a body gets a `Content-Length` unless the
    /// request sets its own framing.
    pub fn to_http1(&self, host: SocketAddr) -> Vec<u8> {
        let mut out =
            format!("{} {} HTTP/1.1\r\nhost: {host}\r\n", self.method, self.uri).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        let framed = self
            .headers
            .iter()
            .any(|(name, _)| name == "content-length" || name == "transfer-encoding");
        if let Some(body) = &self.body
            && !framed
        {
            out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body.as_deref().unwrap_or_default());
        out
    }
}

/// A router under test, reached in-process or over TCP.
pub enum Target {
    InProcess(Router),
    Tcp(Server),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::InProcess(_) => f.write_str("in-process"),
            Target::Tcp(server) => write!(f, "over TCP at {}", server.addr),
        }
    }
}

impl Transport for Target {
    async fn exchange(&self, call: Call2) -> Reply {
        match self {
            Target::InProcess(router) => router.exchange(call).await,
            Target::Tcp(server) => server.exchange(call).await,
        }
    }
}

/// The same router twice: called in-process and served over TCP. Tests run their
/// requests against both, so the wire adds nothing and loses nothing.
pub async fn targets(app: Router) -> [Target; 2] {
    [
        Target::InProcess(app.clone()),
        Target::Tcp(Server::start(app).await),
    ]
}

/// Runs futures concurrently, each on its own task; their outputs in order.
pub async fn futures_join<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("task"));
    }
    outputs
}

/// The PostgreSQL URL for tests (`OSB_TEST_POSTGRES_URL`), or `None` when the machine
/// offers none, which `OSB_REQUIRE_POSTGRES` forbids.
pub fn postgres_url() -> Option<String> {
    match std::env::var("OSB_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("OSB_REQUIRE_POSTGRES").is_some() => {
            panic!("OSB_REQUIRE_POSTGRES is set but OSB_TEST_POSTGRES_URL is not")
        }
        _ => {
            eprintln!(
                "skipped: set OSB_TEST_POSTGRES_URL (such as postgres://postgres@127.0.0.1:5432/test) \
                 to run the PostgreSQL tests"
            );
            None
        }
    }
}

/// Where the runtime placed a request's plan among its broker's plans (`None`: it
/// resolved none), read through the hook the generated dispatch uses.
pub fn plan_index(request: &impl osb::__private::Positioned) -> Option<usize> {
    request.plan_position(&[])
}
