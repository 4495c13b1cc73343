//! The baseline of the benchmark: the reference broker's benchmarked routes written
//! by hand on bare axum, without the `osb` runtime or its macros.
//!
//! It does the same externally visible work as `cargo run --example reference` on
//! the routes `osb-bench` drives, and answers the same bytes:
//!
//! - HTTP basic authentication with a SHA-256 digest compared in constant time
//!   (as `osb::auth::BasicAuth`), before anything else; 401 otherwise;
//! - `X-Broker-API-Version` parsed as `MAJOR.MINOR`, 2.13 or later 2.x; 412 otherwise;
//! - `X-Broker-API-Request-Identity` echoed on every response;
//! - the catalog pre-serialized once (the bytes `reference --catalog` prints) with
//!   the same `ETag` and `If-None-Match` handling;
//! - provision and bind bodies: `Content-Type` checked, at most 1 MiB, parsed with
//!   serde into typed structs validating the same fields (required non-empty ids,
//!   the plan belonging to the offering, `context` an object, `parameters` parsed
//!   into the plan's parameter type with its range checked, `maintenance_info`);
//! - a hand-written in-memory store with the specification's bookkeeping
//!   (`benches/src/store.rs`: idempotent provision and bind, 410 vs 404,
//!   ConcurrencyError, the last operation of every resource), where the reference
//!   broker uses the framework's state layer on `osb::store::MemoryStore`; the
//!   comparison measures what the framework adds per request, its bookkeeping
//!   included;
//! - fetch instance and last operation with the same JSON answers.
//!
//! With `--store sqlite://PATH` or `--store postgres://…` the state is kept in that
//! database instead (`benches/src/sql_store.rs`), the baseline of the framework's SQL
//! stores: the same routes, with the bookkeeping written by hand in SQL.
//!
//! Error paths answer the same status codes; their bodies are simpler (they are not
//! benchmarked).
//!
//! ```text
//! bare-axum --listen 127.0.0.1:8081 --catalog catalog.json [--store memory|sqlite://PATH|postgres://URL]
//! ```

// Errors are answered as ready responses, as a hand-written server would; they are
// the rare path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, put};
use base64::Engine as _;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, IF_NONE_MATCH, WWW_AUTHENTICATE};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use osb_examples::reference::params::SmallParams;

#[path = "../store.rs"]
#[allow(dead_code, unreachable_pub)]
mod store;
use store::{Credentials, InstanceSpec, LastOp, Outcome, PlanKind, Store};

#[path = "../sql_store.rs"]
#[allow(unreachable_pub)]
mod sql_store;
use sql_store::SqlStore;

/// Where the baseline keeps its state.
enum Backend {
    Memory(Store),
    Sql(SqlStore),
}

impl Backend {
    async fn provision(&self, id: &str, spec: InstanceSpec) -> Result<Outcome, osb::Error> {
        match self {
            Self::Memory(store) => store.provision(id, spec),
            Self::Sql(store) => store.provision(id, spec).await,
        }
    }

    async fn fetch(&self, id: &str) -> Result<InstanceSpec, osb::Error> {
        match self {
            Self::Memory(store) => store.fetch(id),
            Self::Sql(store) => store.fetch(id).await,
        }
    }

    async fn last_operation(&self, id: &str) -> Result<LastOp, osb::Error> {
        match self {
            Self::Memory(store) => store.last_operation(id),
            Self::Sql(store) => store.last_operation(id).await,
        }
    }

    async fn bind(
        &self,
        instance_id: &str,
        binding_id: &str,
        plan: PlanKind,
        app: Option<String>,
    ) -> Result<Outcome<Credentials>, osb::Error> {
        match self {
            Self::Memory(store) => store.bind(instance_id, binding_id, plan, app),
            Self::Sql(store) => store.bind(instance_id, binding_id, plan, app).await,
        }
    }
}

const SERVICE_ID: &str = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90";
const SMALL_ID: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";
const LARGE_ID: &str = "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34";
const BODY_LIMIT: usize = 1024 * 1024;
const REQUEST_IDENTITY: &str = "x-broker-api-request-identity";

struct App {
    catalog: Bytes,
    etag: HeaderValue,
    secret: [u8; 32],
    store: Backend,
}

type Shared = State<Arc<App>>;

fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn error(status: StatusCode, description: &str) -> Response {
    #[derive(Serialize)]
    struct Body<'a> {
        description: &'a str,
    }
    let body = serde_json::to_vec(&Body { description }).unwrap_or_default();
    let mut response = json(status, body);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Open Service Broker API\", charset=\"UTF-8\""),
        );
    }
    response
}

fn bad_request(description: &str) -> Response {
    error(StatusCode::BAD_REQUEST, description)
}

/// Authentication, then the version header, in the reference broker's order.
fn preamble(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let unauthorized = |why: &str| error(StatusCode::UNAUTHORIZED, why);
    let header = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| unauthorized("Authentication is required"))?;
    let encoded = header
        .as_bytes()
        .strip_prefix(b"Basic ")
        .or_else(|| header.as_bytes().strip_prefix(b"basic "))
        .ok_or_else(|| unauthorized("The Authorization header must use the Basic scheme."))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim_ascii())
        .map_err(|_| unauthorized("The Authorization header is not valid Base64."))?;
    let digest: [u8; 32] = Sha256::digest(&decoded).into();
    if !bool::from(app.secret.ct_eq(&digest)) {
        return Err(unauthorized("The username or password is wrong."));
    }
    let version = headers
        .get("x-broker-api-version")
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .and_then(|v| v.trim().split_once('.'))
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    match version {
        Some((2, minor)) if minor >= 13 => Ok(()),
        _ => Err(error(
            StatusCode::PRECONDITION_FAILED,
            "this broker requires X-Broker-API-Version 2.13 or a later 2.x version",
        )),
    }
}

fn check_json_body(headers: &HeaderMap) -> Result<(), Response> {
    match headers.get(CONTENT_TYPE) {
        None => Ok(()),
        Some(value) => {
            let text = std::str::from_utf8(value.as_bytes()).unwrap_or("");
            let essence = text.split(';').next().unwrap_or("").trim();
            let ok = essence.split_once('/').is_some_and(|(kind, sub)| {
                kind.eq_ignore_ascii_case("application")
                    && (sub.eq_ignore_ascii_case("json")
                        || sub.to_ascii_lowercase().ends_with("+json"))
            });
            if ok {
                Ok(())
            } else {
                Err(bad_request("Content-Type must be application/json"))
            }
        }
    }
}

fn parse_body<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Response> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        _ => return Err(bad_request("the request body must be a JSON object")),
    }
    serde_json::from_slice(bytes)
        .map_err(|err| bad_request(&format!("invalid request body: {err}")))
}

fn required(value: Option<String>, field: &str) -> Result<String, Response> {
    match value {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(bad_request(&format!("{field} is required"))),
    }
}

fn is_object(raw: Option<&RawValue>) -> bool {
    raw.is_none_or(|raw| raw.get().trim_start().starts_with('{'))
}

/// The plan, which must belong to the one offering.
fn plan(service_id: &str, plan_id: &str) -> Result<PlanKind, Response> {
    if service_id != SERVICE_ID {
        return Err(bad_request("service_id is not in the catalog"));
    }
    match plan_id {
        SMALL_ID => Ok(PlanKind::Small),
        LARGE_ID => Ok(PlanKind::Large),
        _ => Err(bad_request("plan_id is not in the catalog")),
    }
}

fn accepts_incomplete(query: Option<&str>) -> Result<bool, Response> {
    let mut accepts = false;
    for pair in query.unwrap_or("").split('&') {
        if let Some(value) = pair.strip_prefix("accepts_incomplete=") {
            accepts = match value {
                "" => false,
                v if v.eq_ignore_ascii_case("true") => true,
                v if v.eq_ignore_ascii_case("false") => false,
                _ => return Err(bad_request("accepts_incomplete must be true or false")),
            };
        }
    }
    Ok(accepts)
}

fn store_error(err: &osb::Error, endpoint: osb::api::Endpoint) -> Response {
    error(err.kind().status(endpoint), err.description())
}

/// The whole body, at most [`BODY_LIMIT`] bytes (413 otherwise).
async fn read_body(body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        )
    })
}

/// Every response echoes the request identity, as the reference broker does.
fn echo(headers: &HeaderMap, mut response: Response) -> Response {
    if let Some(identity) = headers.get(REQUEST_IDENTITY) {
        response
            .headers_mut()
            .insert(REQUEST_IDENTITY, identity.clone());
    }
    response
}

fn finish(headers: &HeaderMap, result: Result<Response, Response>) -> Response {
    echo(headers, result.unwrap_or_else(|err| err))
}

async fn catalog(State(app): Shared, request: Request) -> Response {
    let headers = request.headers();
    let result = preamble(&app, headers).map(|()| {
        let matches = headers.get(IF_NONE_MATCH).is_some_and(|tags| {
            tags.to_str().is_ok_and(|tags| {
                tags.split(',').map(str::trim).any(|tag| {
                    tag == "*"
                        || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == app.etag.as_bytes()
                })
            })
        });
        let mut response = if matches {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        } else {
            json(StatusCode::OK, app.catalog.clone())
        };
        response.headers_mut().insert(ETAG, app.etag.clone());
        response
    });
    finish(headers, result)
}

#[derive(Deserialize)]
struct MaintenanceInfo {
    version: String,
}

#[derive(Deserialize)]
struct ProvisionBody {
    service_id: Option<String>,
    plan_id: Option<String>,
    organization_guid: Option<String>,
    space_guid: Option<String>,
    context: Option<Box<RawValue>>,
    parameters: Option<Box<RawValue>>,
    maintenance_info: Option<MaintenanceInfo>,
}

async fn provision(
    State(app): Shared,
    Path(instance_id): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let result = async {
        preamble(&app, headers)?;
        let accepts_incomplete = accepts_incomplete(parts.uri.query())?;
        check_json_body(headers)?;
        let bytes = read_body(body).await?;
        let body: ProvisionBody = parse_body(&bytes)?;
        let service_id = required(body.service_id, "service_id")?;
        let plan_id = required(body.plan_id, "plan_id")?;
        required(body.organization_guid, "organization_guid")?;
        required(body.space_guid, "space_guid")?;
        if !is_object(body.context.as_deref()) || !is_object(body.parameters.as_deref()) {
            return Err(bad_request("context and parameters must be JSON objects"));
        }
        let plan = plan(&service_id, &plan_id)?;
        if plan != PlanKind::Small {
            // Only the small plan is benchmarked; the large one is asynchronous.
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "not benchmarked"));
        }
        if let Some(info) = &body.maintenance_info
            && info.version != "1.0.0"
        {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "maintenance_info.version does not match",
            ));
        }
        let params: SmallParams = match &body.parameters {
            Some(raw) => serde_json::from_str(raw.get())
                .map_err(|err| bad_request(&format!("parameters: {err}")))?,
            None => serde_json::from_str("{}").map_err(|_| bad_request("parameters"))?,
        };
        if !(1..=SmallParams::MAX_SIZE).contains(&params.size_mb) {
            return Err(bad_request("parameters.size_mb is out of range"));
        }
        let _ = accepts_incomplete;
        let spec = InstanceSpec {
            service_id,
            plan,
            size_mb: params.size_mb,
        };
        match app.store.provision(&instance_id, spec).await {
            Ok(Outcome::Done(())) => Ok(json(StatusCode::CREATED, "{}")),
            Ok(Outcome::Existing(())) => Ok(json(StatusCode::OK, "{}")),
            Ok(Outcome::Accepted(_)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "async")),
            Err(err) => Err(store_error(&err, osb::api::Endpoint::Provision)),
        }
    }
    .await;
    finish(headers, result)
}

#[derive(Deserialize)]
struct BindResource {
    app_guid: Option<String>,
    #[allow(dead_code)]
    route: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

#[derive(Deserialize)]
struct BindBody {
    service_id: Option<String>,
    plan_id: Option<String>,
    context: Option<Box<RawValue>>,
    app_guid: Option<String>,
    bind_resource: Option<BindResource>,
    parameters: Option<Box<RawValue>>,
    predecessor_binding_id: Option<String>,
}

#[derive(Serialize)]
struct CredentialsBody<'a> {
    password: &'a str,
    uri: &'a str,
    username: &'a str,
}

#[derive(Serialize)]
struct BindingBody<'a> {
    credentials: CredentialsBody<'a>,
}

async fn bind(
    State(app): Shared,
    Path((instance_id, binding_id)): Path<(String, String)>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let result = async {
        preamble(&app, headers)?;
        let _accepts_incomplete = accepts_incomplete(parts.uri.query())?;
        check_json_body(headers)?;
        let bytes = read_body(body).await?;
        let body: BindBody = parse_body(&bytes)?;
        let service_id = required(body.service_id, "service_id")?;
        let plan_id = required(body.plan_id, "plan_id")?;
        let plan = plan(&service_id, &plan_id)?;
        if plan != PlanKind::Small {
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "not benchmarked"));
        }
        if !is_object(body.context.as_deref()) || !is_object(body.parameters.as_deref()) {
            return Err(bad_request("context and parameters must be JSON objects"));
        }
        if body.app_guid.as_deref() == Some("")
            || body.predecessor_binding_id.is_some()
            || body
                .bind_resource
                .as_ref()
                .is_some_and(|r| r.app_guid.as_deref() == Some(""))
        {
            return Err(bad_request("invalid app_guid or predecessor_binding_id"));
        }
        if let Some(raw) = &body.parameters {
            let _: NoParams = serde_json::from_str(raw.get())
                .map_err(|err| bad_request(&format!("parameters: {err}")))?;
        }
        let app_guid = body
            .bind_resource
            .and_then(|r| r.app_guid)
            .or(body.app_guid);
        let (status, credentials) = match app
            .store
            .bind(&instance_id, &binding_id, plan, app_guid)
            .await
        {
            Ok(Outcome::Done(c)) => (StatusCode::CREATED, c),
            Ok(Outcome::Existing(c)) => (StatusCode::OK, c),
            Ok(Outcome::Accepted(_)) => {
                return Err(error(StatusCode::INTERNAL_SERVER_ERROR, "async"));
            }
            Err(err) => return Err(store_error(&err, osb::api::Endpoint::Bind)),
        };
        let body = BindingBody {
            credentials: CredentialsBody {
                password: &credentials.password,
                uri: &credentials.uri,
                username: &credentials.username,
            },
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        Ok(json(status, bytes))
    }
    .await;
    finish(headers, result)
}

/// The `service_id` and `plan_id` hints of the GET routes must name catalog entries.
fn check_hints(query: Option<&str>) -> Result<(), Response> {
    for pair in query.unwrap_or("").split('&') {
        let known = match pair.split_once('=') {
            Some(("service_id", id)) => id.is_empty() || id == SERVICE_ID,
            Some(("plan_id", id)) => id.is_empty() || id == SMALL_ID || id == LARGE_ID,
            _ => true,
        };
        if !known {
            return Err(error(StatusCode::NOT_FOUND, "not in the catalog"));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct SizeParams {
    size_mb: u32,
}

#[derive(Serialize)]
struct Maintenance {
    version: &'static str,
}

#[derive(Serialize)]
struct InstanceBody<'a> {
    service_id: &'a str,
    plan_id: &'a str,
    parameters: SizeParams,
    #[serde(skip_serializing_if = "Option::is_none")]
    maintenance_info: Option<Maintenance>,
}

async fn fetch_instance(
    State(app): Shared,
    Path(instance_id): Path<String>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let headers = &parts.headers;
    let result = async {
        preamble(&app, headers)?;
        check_hints(parts.uri.query())?;
        let spec = app
            .store
            .fetch(&instance_id)
            .await
            .map_err(|err| store_error(&err, osb::api::Endpoint::FetchInstance))?;
        let (plan_id, maintenance_info) = match spec.plan {
            PlanKind::Small => (SMALL_ID, Some(Maintenance { version: "1.0.0" })),
            PlanKind::Large => (LARGE_ID, None),
        };
        let body = InstanceBody {
            service_id: &spec.service_id,
            plan_id,
            parameters: SizeParams {
                size_mb: spec.size_mb,
            },
            maintenance_info,
        };
        Ok(json(
            StatusCode::OK,
            serde_json::to_vec(&body).unwrap_or_default(),
        ))
    }
    .await;
    finish(headers, result)
}

#[derive(Serialize)]
struct OperationBody<'a> {
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

async fn last_operation(
    State(app): Shared,
    Path(instance_id): Path<String>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let headers = &parts.headers;
    let result = async {
        preamble(&app, headers)?;
        check_hints(parts.uri.query())?;
        let last = app
            .store
            .last_operation(&instance_id)
            .await
            .map_err(|err| store_error(&err, osb::api::Endpoint::LastOperation))?;
        let state = match last.state {
            osb::response::OperationState::InProgress => "in progress",
            osb::response::OperationState::Succeeded => "succeeded",
            osb::response::OperationState::Failed => "failed",
        };
        let body = OperationBody {
            state,
            description: last.description(&instance_id),
        };
        let mut response = json(
            StatusCode::OK,
            serde_json::to_vec(&body).unwrap_or_default(),
        );
        if last.plan.is_async() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        Ok(response)
    }
    .await;
    finish(headers, result)
}

async fn not_found(State(app): Shared, request: Request) -> Response {
    let headers = request.headers();
    let response = match preamble(&app, headers) {
        Ok(()) => error(StatusCode::NOT_FOUND, "not found"),
        Err(response) => response,
    };
    echo(headers, response)
}

fn etag(bytes: &[u8]) -> HeaderValue {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
        .unwrap_or(HeaderValue::from_static("\"catalog\""))
}

fn main() -> std::process::ExitCode {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 8081).into();
    let mut catalog_path = None;
    let mut store_url = String::from("memory");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--listen", Some(addr)) => match addr.parse() {
                Ok(addr) => listen = addr,
                Err(err) => {
                    eprintln!("invalid --listen {addr}: {err}");
                    return std::process::ExitCode::from(2);
                }
            },
            ("--catalog", Some(path)) => catalog_path = Some(path),
            ("--store", Some(url)) => store_url = url,
            _ => {
                eprintln!("usage: bare-axum [--listen ADDR] --catalog FILE [--store STORE]");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let Some(catalog_path) = catalog_path else {
        eprintln!("usage: bare-axum [--listen ADDR] --catalog FILE");
        return std::process::ExitCode::from(2);
    };
    let catalog_json = match std::fs::read(&catalog_path) {
        Ok(bytes) => Bytes::from(bytes.trim_ascii_end().to_vec()),
        Err(err) => {
            eprintln!("cannot read {catalog_path}: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let store = if store_url == "memory" {
        Backend::Memory(Store::new(Duration::from_millis(1000)))
    } else {
        match runtime.block_on(SqlStore::open(&store_url)) {
            Ok(store) => Backend::Sql(store),
            Err(err) => {
                eprintln!("bare-axum: cannot open {store_url}: {err}");
                return std::process::ExitCode::FAILURE;
            }
        }
    };
    let app = Arc::new(App {
        etag: etag(&catalog_json),
        catalog: catalog_json,
        secret: Sha256::digest(b"admin:admin").into(),
        store,
    });
    let result: std::io::Result<()> = runtime.block_on(async move {
        let routes = Router::new()
            .route("/v2/catalog", get(catalog))
            .route(
                "/v2/service_instances/{instance_id}",
                put(provision).get(fetch_instance),
            )
            .route(
                "/v2/service_instances/{instance_id}/last_operation",
                get(last_operation),
            )
            .route(
                "/v2/service_instances/{instance_id}/service_bindings/{binding_id}",
                put(bind),
            )
            .fallback(not_found)
            .with_state(app);
        let listener = tokio::net::TcpListener::bind(listen).await?;
        println!("bare-axum listening on http://{}", listener.local_addr()?);
        axum::serve(listener, routes).await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bare-axum: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
