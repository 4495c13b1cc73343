//! Fuzz target `requests`: the input, decoded with `arbitrary`, chooses a router (the
//! reference broker on a memory store with instant or never-ending asynchronous
//! operations, or two scripted-like brokers behind one router with default settings,
//! or with unusual settings and a memory store) and up to four HTTP requests (method,
//! path, query, headers, body), which run through the router in-process on a
//! single-threaded tokio runtime created once.
//!
//! Every answer must have the properties `tests/properties.rs` checks: no 5xx;
//! `Content-Type: application/json` with a JSON object body (a HEAD answer has the
//! headers but no body; a 304 only for a conditional `GET`/`HEAD /v2/catalog`, with
//! an `ETag` and no body); a non-empty `description` in every error body; the
//! `X-Broker-API-Request-Identity` echoed exactly when sent. A violation panics,
//! which libFuzzer reports as a crash.
//!
//! Known bugs (see `KnownBug`) are exempt so the fuzzer can go on finding others;
//! set `OSB_FUZZ_STRICT=1` to treat them as crashes too, `OSB_FUZZ_LOG_KNOWN=1` to
//! log each answer they explain.
//!
//! ```text
//! cargo fuzz run requests --sanitizer none -- -max_total_time=600
//! ```

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::Arbitrary;
use axum::Router;
use axum::body::Body;
use base64::Engine as _;
use http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use libfuzzer_sys::fuzz_target;
use osb::catalog::{AsyncOperations, Catalog, MaintenanceInfo, Plan, ServiceOffering};
use osb::{
    Bind, Binding, BindingLastOperation, BindingOperationReport, Bound, Broker, Deprovision,
    Deprovisioned, Error, FetchBinding, FetchInstance, InstanceDetails, LastOperation,
    OperationReport, Provision, Provisioned, Unbind, Unbound, Update, Updated,
};
use osb_examples::reference::Reference;
use serde::Serialize;
use serde_json::json;
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

const USER: &str = "admin";
const PASSWORD: &str = "secret";
/// The most requests of one input.
const MAX_REQUESTS: usize = 4;
/// Deepest structured JSON written (the `Deep` body goes deeper on purpose).
const MAX_DEPTH: usize = 48;

const REQUEST_IDENTITY: HeaderName = HeaderName::from_static("x-broker-api-request-identity");
const API_VERSION: HeaderName = HeaderName::from_static("x-broker-api-version");
const ORIGINATING_IDENTITY: HeaderName =
    HeaderName::from_static("x-broker-api-originating-identity");

const DB: &str = "svc-db";
const SMALL: &str = "plan-small";
const LARGE: &str = "plan-large";
const ROTATING: &str = "plan-rotating";
const NOBIND: &str = "plan-nobind";
const QUEUE: &str = "svc-queue";
const BASIC: &str = "plan-basic";

/// The catalog ids of both setups; inputs pick them by index.
const KNOWN_IDS: &[&str] = &[
    "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90",
    "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12",
    "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34",
    DB,
    SMALL,
    LARGE,
    ROTATING,
    NOBIND,
    QUEUE,
    BASIC,
];

// ---------------------------------------------------------------------------------
// The brokers.
// ---------------------------------------------------------------------------------

/// A scripted-like broker: it never fails on purpose and answers 202 only to requests
/// with `accepts_incomplete=true` (then for ids of even length); it echoes what it
/// received in its answers.
struct Echo;

/// A second broker without optional operations, so requests are dispatched between
/// two brokers and reach the defaults of the trait.
struct Queue;

fn schema() -> serde_json::Value {
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {
            "size_mb": {"type": "integer", "minimum": 1, "maximum": 1024},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
            "name": {"type": "string", "pattern": "^[a-z]+$"}
        },
        "additionalProperties": false
    })
}

impl Broker for Echo {
    fn catalog(&self) -> Catalog {
        Catalog::new([ServiceOffering::new(DB, "db", "A database.")
            .bindable(true)
            .instances_retrievable(true)
            .bindings_retrievable(true)
            .plan(
                Plan::new(SMALL, "small", "Synchronous.")
                    .maintenance_info(MaintenanceInfo::new("1.0.0"))
                    .provision_schema(schema())
                    .update_schema(schema())
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
            .plan(Plan::new(NOBIND, "nobind", "Not bindable.").bindable(false))])
    }

    async fn provision(&self, req: Provision) -> Result<Provisioned, Error> {
        Ok(if accepted(req.accepts_incomplete, &req.instance_id) {
            Provisioned::accepted(format!("provision {}", req.instance_id))
        } else if req.instance_id.starts_with('e') {
            Provisioned::already_exists()
        } else {
            Provisioned::created().dashboard_url(format!("https://dash/{}", req.instance_id))
        })
    }

    async fn update(&self, req: Update) -> Result<Updated, Error> {
        Ok(if accepted(req.accepts_incomplete, &req.instance_id) {
            Updated::accepted(req.instance_id)
        } else {
            Updated::completed()
        })
    }

    async fn deprovision(&self, req: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(if accepted(req.accepts_incomplete, &req.instance_id) {
            Deprovisioned::accepted_without_operation()
        } else {
            Deprovisioned::completed()
        })
    }

    async fn fetch_instance(&self, req: FetchInstance) -> Result<InstanceDetails, Error> {
        Ok(
            InstanceDetails::new(DB, req.plan_id.unwrap_or_else(|| SMALL.to_owned()))
                .parameters(&json!({"size_mb": 64, "id": req.instance_id}))
                .maintenance_info(MaintenanceInfo::new("1.0.0")),
        )
    }

    async fn last_operation(&self, req: LastOperation) -> Result<OperationReport, Error> {
        let operation = req.operation.unwrap_or_default();
        Ok(if operation.len().is_multiple_of(2) {
            OperationReport::succeeded().description(operation)
        } else {
            OperationReport::in_progress()
                .description(operation)
                .retry_after(Duration::from_millis(req.instance_id.len() as u64 * 300))
        })
    }

    async fn bind(&self, req: Bind) -> Result<Bound, Error> {
        if accepted(req.accepts_incomplete, &req.binding_id) {
            return Ok(Bound::accepted(req.binding_id));
        }
        #[derive(Serialize)]
        struct Credentials<'a> {
            uri: String,
            app: Option<&'a str>,
            parameters: Option<&'a osb::request::Parameters>,
        }
        let binding = Binding::new().credentials(&Credentials {
            uri: format!("db://{}/{}", req.instance_id, req.binding_id),
            app: req.app(),
            parameters: req.parameters.as_ref(),
        });
        Ok(if req.binding_id.starts_with('e') {
            Bound::already_exists(binding)
        } else {
            Bound::created(binding)
        })
    }

    async fn unbind(&self, req: Unbind) -> Result<Unbound, Error> {
        Ok(if accepted(req.accepts_incomplete, &req.binding_id) {
            Unbound::accepted(req.binding_id)
        } else {
            Unbound::completed()
        })
    }

    async fn fetch_binding(&self, req: FetchBinding) -> Result<Binding, Error> {
        Ok(Binding::new()
            .credentials(&json!({"uri": format!("db://{}/{}", req.instance_id, req.binding_id)}))
            .parameters(&json!({"role": "reader"})))
    }

    async fn binding_last_operation(
        &self,
        req: BindingLastOperation,
    ) -> Result<BindingOperationReport, Error> {
        Ok(BindingOperationReport::succeeded()
            .description(req.operation.unwrap_or_default())
            .retry_after(Duration::from_secs(3)))
    }
}

fn accepted(accepts_incomplete: bool, id: &str) -> bool {
    accepts_incomplete && id.len().is_multiple_of(2)
}

impl Broker for Queue {
    fn catalog(&self) -> Catalog {
        Catalog::new([ServiceOffering::new(QUEUE, "queue", "A queue.")
            .plan(Plan::new(BASIC, "basic", "Basic."))])
    }

    async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn auth() -> osb::auth::BasicAuth {
    osb::auth::BasicAuth::new(USER, PASSWORD)
}

/// How long the reference broker's asynchronous work takes in the slow setup: it
/// never finishes while an input runs.
const SLOW: Duration = Duration::from_secs(3600);

/// The router of a setup. A router with a state store is new for every input, so an
/// input always meets the same state; the stateless one is built once.
fn router(setup: u8) -> Router {
    static ECHO: OnceLock<Router> = OnceLock::new();
    let reference = |delay| {
        osb::Builder::new()
            .broker(Reference::new(delay))
            .auth(auth())
            .store(osb::store::MemoryStore::new())
            .build()
            .expect("a valid catalog")
    };
    match setup % 4 {
        0 => reference(Duration::ZERO),
        1 => reference(SLOW),
        2 => ECHO
            .get_or_init(|| {
                osb::Builder::new()
                    .broker(Echo)
                    .broker(Queue)
                    .auth(auth())
                    .build()
                    .expect("a valid catalog")
            })
            .clone(),
        _ => osb::Builder::new()
            .broker(Echo)
            .broker(Queue)
            .auth(auth())
            .store(osb::store::MemoryStore::new())
            .min_api_version(osb::api::ApiVersion::V2_14)
            .missing_version(osb::api::MissingVersion::BadRequest)
            .body_limit(4096)
            .require_organization_and_space(false)
            .build()
            .expect("a valid catalog"),
    }
}

/// The runtime, with a paused clock: the state layer runs asynchronous work in
/// spawned tasks (the reference broker's work sleeps), and at the end of each input
/// the clock jumps past `SLOW`, so every task an input spawned finishes before the
/// next input, whatever its delay, and none piles up.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a tokio runtime")
    })
}

// ---------------------------------------------------------------------------------
// The input.
// ---------------------------------------------------------------------------------

#[derive(Arbitrary, Debug)]
struct Input {
    setup: u8,
    requests: Vec<Req>,
}

#[derive(Arbitrary, Debug)]
struct Req {
    method: MethodIn,
    path: PathIn,
    suffix: Option<String>,
    query: QueryIn,
    auth: AuthIn,
    version: VersionIn,
    originating: Option<OriginIn>,
    request_identity: Option<Vec<u8>>,
    content_type: ContentTypeIn,
    if_none_match: Option<IfNoneMatchIn>,
    extra_headers: Vec<(String, Vec<u8>)>,
    body: BodyIn,
}

#[derive(Arbitrary, Debug)]
enum MethodIn {
    Get,
    Put,
    Patch,
    Delete,
    Head,
    Post,
    Options,
    Connect,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum PathIn {
    Catalog,
    Instance(Segment),
    LastOperation(Segment),
    Binding(Segment, Segment),
    BindingLastOperation(Segment, Segment),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Segment {
    One,
    Two,
    /// Text, percent-encoded.
    Encoded(String),
    /// Bytes, percent-encoded: often not UTF-8.
    Bytes(Vec<u8>),
    /// Text as it is, but for the characters a URI cannot hold.
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum QueryIn {
    None,
    Pairs(Vec<(QueryKey, QueryValue)>),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum QueryKey {
    AcceptsIncomplete,
    ServiceId,
    PlanId,
    Operation,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum QueryValue {
    True,
    False,
    Known(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum AuthIn {
    Valid,
    Missing,
    Basic(String, String),
    Bearer(String),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum VersionIn {
    Latest,
    Oldest,
    Missing,
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum OriginIn {
    CloudFoundry(String),
    Platform(String, Json),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum ContentTypeIn {
    Json,
    Missing,
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum IfNoneMatchIn {
    Star,
    /// The ETag of the catalog, read from a first GET.
    Current,
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum BodyIn {
    None,
    Provision(ProvisionIn),
    Update(UpdateIn),
    Bind(BindIn),
    Json(Json),
    Deep(u16, bool),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct ProvisionIn {
    ids: IdsIn,
    organization_guid: Option<Json>,
    space_guid: Option<Json>,
    context: Option<Json>,
    parameters: Option<Json>,
    maintenance_info: Option<Json>,
    extra: Vec<(Key, Json)>,
}

#[derive(Arbitrary, Debug)]
struct UpdateIn {
    ids: IdsIn,
    with_plan: bool,
    parameters: Option<Json>,
    previous_values: Option<Json>,
    context: Option<Json>,
    maintenance_info: Option<Json>,
    extra: Vec<(Key, Json)>,
}

#[derive(Arbitrary, Debug)]
struct BindIn {
    ids: IdsIn,
    app_guid: Option<Json>,
    bind_resource: Option<Json>,
    parameters: Option<Json>,
    predecessor_binding_id: Option<Json>,
    context: Option<Json>,
    extra: Vec<(Key, Json)>,
}

#[derive(Arbitrary, Debug)]
enum IdsIn {
    Known(u8, u8),
    Any(Json, Json),
}

#[derive(Arbitrary, Debug)]
enum Key {
    ServiceId,
    PlanId,
    OrganizationGuid,
    SpaceGuid,
    Context,
    Parameters,
    MaintenanceInfo,
    PreviousValues,
    AppGuid,
    BindResource,
    Platform,
    Version,
    SizeMb,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    /// An integer of that many digits (beyond `u64` and `f64` for long ones).
    Big(u16),
    /// `1e<n>`: beyond `f64` for large exponents.
    Exp(i32),
    Known(u8),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(Key, Json)>),
}

// ---------------------------------------------------------------------------------
// From the input to requests.
// ---------------------------------------------------------------------------------

fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Text for a path or query, percent-encoding only what a URI cannot hold raw
/// (non-ASCII stays raw; so do `%` and the sub-delimiters), and `extra`.
fn raw_uri_text(text: &str, extra: &[u8]) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let keep = !c.is_ascii()
            || (c.is_ascii_graphic()
                && !b"\"#<>\\^`{|}?".contains(&(c as u8))
                && !extra.contains(&(c as u8)));
        if keep {
            out.push(c);
        } else {
            let mut buffer = [0; 4];
            out.push_str(&percent_encode(c.encode_utf8(&mut buffer).as_bytes()));
        }
    }
    out
}

/// Valid header-value bytes: others become `?`.
fn header_value(bytes: &[u8]) -> HeaderValue {
    let clean: Vec<u8> = bytes
        .iter()
        .map(|&b| {
            if (b >= 0x20 && b != 0x7f) || b == b'\t' {
                b
            } else {
                b'?'
            }
        })
        .collect();
    HeaderValue::from_bytes(&clean).expect("cleaned header bytes")
}

fn known(index: u8) -> &'static str {
    KNOWN_IDS[usize::from(index) % KNOWN_IDS.len()]
}

impl Segment {
    fn text(&self, binding: bool) -> String {
        match self {
            Segment::One => String::from(if binding { "b-1" } else { "i-1" }),
            Segment::Two => String::from(if binding { "bb-2" } else { "ii-2" }),
            Segment::Encoded(text) => percent_encode(text.as_bytes()),
            Segment::Bytes(bytes) => percent_encode(bytes),
            Segment::Raw(text) => raw_uri_text(text, b"/"),
        }
    }
}

impl PathIn {
    fn text(&self) -> String {
        match self {
            PathIn::Catalog => String::from("/v2/catalog"),
            PathIn::Instance(i) => format!("/v2/service_instances/{}", i.text(false)),
            PathIn::LastOperation(i) => {
                format!("/v2/service_instances/{}/last_operation", i.text(false))
            }
            PathIn::Binding(i, b) => format!(
                "/v2/service_instances/{}/service_bindings/{}",
                i.text(false),
                b.text(true)
            ),
            PathIn::BindingLastOperation(i, b) => format!(
                "/v2/service_instances/{}/service_bindings/{}/last_operation",
                i.text(false),
                b.text(true)
            ),
            PathIn::Raw(text) => format!("/{}", raw_uri_text(text, b"")),
        }
    }
}

impl QueryIn {
    fn text(&self) -> Option<String> {
        match self {
            QueryIn::None => None,
            QueryIn::Raw(text) => Some(raw_uri_text(text, b"")),
            QueryIn::Pairs(pairs) => Some(
                pairs
                    .iter()
                    .map(|(key, value)| {
                        let key = match key {
                            QueryKey::AcceptsIncomplete => String::from("accepts_incomplete"),
                            QueryKey::ServiceId => String::from("service_id"),
                            QueryKey::PlanId => String::from("plan_id"),
                            QueryKey::Operation => String::from("operation"),
                            QueryKey::Other(text) => percent_encode(text.as_bytes()),
                        };
                        let value = match value {
                            QueryValue::True => String::from("true"),
                            QueryValue::False => String::from("false"),
                            QueryValue::Known(index) => known(*index).to_owned(),
                            QueryValue::Text(text) => percent_encode(text.as_bytes()),
                        };
                        format!("{key}={value}")
                    })
                    .collect::<Vec<_>>()
                    .join("&"),
            ),
        }
    }
}

impl Key {
    fn text(&self) -> &str {
        match self {
            Key::ServiceId => "service_id",
            Key::PlanId => "plan_id",
            Key::OrganizationGuid => "organization_guid",
            Key::SpaceGuid => "space_guid",
            Key::Context => "context",
            Key::Parameters => "parameters",
            Key::MaintenanceInfo => "maintenance_info",
            Key::PreviousValues => "previous_values",
            Key::AppGuid => "app_guid",
            Key::BindResource => "bind_resource",
            Key::Platform => "platform",
            Key::Version => "version",
            Key::SizeMb => "size_mb",
            Key::Other(text) => text,
        }
    }
}

fn write_str(text: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(text).expect("a string serializes"));
}

impl Json {
    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(&b.to_string()),
            Json::I64(n) => out.push_str(&n.to_string()),
            Json::U64(n) => out.push_str(&n.to_string()),
            Json::F64(f) if f.is_finite() => out.push_str(&format!("{f:?}")),
            Json::F64(_) => out.push_str("1.5"),
            Json::Big(digits) => {
                out.push('1');
                out.push_str(&"0".repeat(usize::from(*digits % 1000)));
            }
            Json::Exp(exponent) => out.push_str(&format!("1e{exponent}")),
            Json::Known(index) => write_str(known(*index), out),
            Json::Str(text) => write_str(text, out),
            Json::Arr(items) => {
                if depth >= MAX_DEPTH {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    item.write(out, depth + 1);
                }
                out.push(']');
            }
            Json::Obj(fields) => {
                if depth >= MAX_DEPTH {
                    out.push_str("{}");
                    return;
                }
                out.push('{');
                for (n, (key, value)) in fields.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    write_str(key.text(), out);
                    out.push(':');
                    value.write(out, depth + 1);
                }
                out.push('}');
            }
        }
    }
}

/// Writes an object of the fields that are present.
fn write_object(fields: &[(&str, Option<&Json>)], extra: &[(Key, Json)], out: &mut String) {
    out.push('{');
    let mut first = true;
    let present = fields
        .iter()
        .filter_map(|(key, value)| value.map(|v| (*key, v)))
        .chain(extra.iter().map(|(key, value)| (key.text(), value)));
    for (key, value) in present {
        if !first {
            out.push(',');
        }
        first = false;
        write_str(key, out);
        out.push(':');
        value.write(out, 1);
    }
    out.push('}');
}

impl IdsIn {
    fn json(&self) -> (Json, Json) {
        match self {
            IdsIn::Known(service, plan) => (Json::Known(*service), Json::Known(*plan)),
            IdsIn::Any(service, plan) => (clone_json(service), clone_json(plan)),
        }
    }
}

fn clone_json(json: &Json) -> Json {
    match json {
        Json::Null => Json::Null,
        Json::Bool(b) => Json::Bool(*b),
        Json::I64(n) => Json::I64(*n),
        Json::U64(n) => Json::U64(*n),
        Json::F64(f) => Json::F64(*f),
        Json::Big(n) => Json::Big(*n),
        Json::Exp(n) => Json::Exp(*n),
        Json::Known(n) => Json::Known(*n),
        Json::Str(s) => Json::Str(s.clone()),
        Json::Arr(items) => Json::Arr(items.iter().map(clone_json).collect()),
        Json::Obj(fields) => Json::Obj(
            fields
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        Key::Other(text) => Key::Other(text.clone()),
                        Key::ServiceId => Key::ServiceId,
                        Key::PlanId => Key::PlanId,
                        Key::OrganizationGuid => Key::OrganizationGuid,
                        Key::SpaceGuid => Key::SpaceGuid,
                        Key::Context => Key::Context,
                        Key::Parameters => Key::Parameters,
                        Key::MaintenanceInfo => Key::MaintenanceInfo,
                        Key::PreviousValues => Key::PreviousValues,
                        Key::AppGuid => Key::AppGuid,
                        Key::BindResource => Key::BindResource,
                        Key::Platform => Key::Platform,
                        Key::Version => Key::Version,
                        Key::SizeMb => Key::SizeMb,
                    };
                    (key, clone_json(value))
                })
                .collect(),
        ),
    }
}

impl BodyIn {
    fn bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        match self {
            BodyIn::None => {}
            BodyIn::Provision(p) => {
                let (service, plan) = p.ids.json();
                write_object(
                    &[
                        ("service_id", Some(&service)),
                        ("plan_id", Some(&plan)),
                        ("organization_guid", p.organization_guid.as_ref()),
                        ("space_guid", p.space_guid.as_ref()),
                        ("context", p.context.as_ref()),
                        ("parameters", p.parameters.as_ref()),
                        ("maintenance_info", p.maintenance_info.as_ref()),
                    ],
                    &p.extra,
                    &mut out,
                );
            }
            BodyIn::Update(u) => {
                let (service, plan) = u.ids.json();
                write_object(
                    &[
                        ("service_id", Some(&service)),
                        ("plan_id", u.with_plan.then_some(&plan)),
                        ("parameters", u.parameters.as_ref()),
                        ("previous_values", u.previous_values.as_ref()),
                        ("context", u.context.as_ref()),
                        ("maintenance_info", u.maintenance_info.as_ref()),
                    ],
                    &u.extra,
                    &mut out,
                );
            }
            BodyIn::Bind(b) => {
                let (service, plan) = b.ids.json();
                write_object(
                    &[
                        ("service_id", Some(&service)),
                        ("plan_id", Some(&plan)),
                        ("app_guid", b.app_guid.as_ref()),
                        ("bind_resource", b.bind_resource.as_ref()),
                        ("parameters", b.parameters.as_ref()),
                        ("predecessor_binding_id", b.predecessor_binding_id.as_ref()),
                        ("context", b.context.as_ref()),
                    ],
                    &b.extra,
                    &mut out,
                );
            }
            BodyIn::Json(json) => json.write(&mut out, 0),
            BodyIn::Deep(depth, arrays) => {
                let depth = usize::from(*depth % 5000);
                let (open, close) = if *arrays {
                    ("[", "]")
                } else {
                    ("{\"parameters\":", "}")
                };
                out.push_str(&open.repeat(depth));
                out.push('1');
                out.push_str(&close.repeat(depth));
            }
            BodyIn::Bytes(bytes) => return bytes.clone(),
        }
        out.into_bytes()
    }
}

/// A request to send, or `None` when the input makes no valid `http::Request`.
struct Built {
    method: Method,
    uri: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} {}", self.method, self.uri)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {}", value.as_bytes().escape_ascii())?;
        }
        let shown = &self.body[..self.body.len().min(2000)];
        write!(
            f,
            "body ({} bytes): {}",
            self.body.len(),
            shown.escape_ascii()
        )
    }
}

impl Built {
    fn header(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }

    fn request(&self) -> Request<Body> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.uri.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Body::from(self.body.clone()))
            .expect("a checked request")
    }
}

fn build(req: &Req, etag: &HeaderValue) -> Option<Built> {
    let method = match &req.method {
        MethodIn::Get => Method::GET,
        MethodIn::Put => Method::PUT,
        MethodIn::Patch => Method::PATCH,
        MethodIn::Delete => Method::DELETE,
        MethodIn::Head => Method::HEAD,
        MethodIn::Post => Method::POST,
        MethodIn::Options => Method::OPTIONS,
        MethodIn::Connect => Method::CONNECT,
        MethodIn::Other(name) => Method::from_bytes(name.as_bytes()).ok()?,
    };
    let mut uri = req.path.text();
    if let Some(suffix) = &req.suffix {
        uri.push_str(&raw_uri_text(suffix, b""));
    }
    if let Some(query) = req.query.text() {
        uri.push('?');
        uri.push_str(&query);
    }
    uri.parse::<http::Uri>().ok()?;

    let mut headers = Vec::new();
    let valid_basic = || {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        format!("Basic {encoded}")
    };
    let authorization = match &req.auth {
        AuthIn::Valid => Some(header_value(valid_basic().as_bytes())),
        AuthIn::Missing => None,
        AuthIn::Basic(user, password) => {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            Some(header_value(format!("Basic {encoded}").as_bytes()))
        }
        AuthIn::Bearer(token) => Some(header_value(format!("Bearer {token}").as_bytes())),
        AuthIn::Raw(bytes) => Some(header_value(bytes)),
    };
    headers.extend(authorization.map(|value| (http::header::AUTHORIZATION, value)));
    let version = match &req.version {
        VersionIn::Latest => Some(HeaderValue::from_static("2.17")),
        VersionIn::Oldest => Some(HeaderValue::from_static("2.13")),
        VersionIn::Missing => None,
        VersionIn::Text(text) => Some(header_value(text.as_bytes())),
    };
    headers.extend(version.map(|value| (API_VERSION, value)));
    let originating = req.originating.as_ref().map(|origin| match origin {
        OriginIn::CloudFoundry(user) => {
            let json = json!({"user_id": user}).to_string();
            let encoded = base64::engine::general_purpose::STANDARD.encode(json);
            header_value(format!("cloudfoundry {encoded}").as_bytes())
        }
        OriginIn::Platform(platform, value) => {
            let mut json = String::new();
            value.write(&mut json, 0);
            let encoded = base64::engine::general_purpose::STANDARD.encode(json);
            header_value(format!("{platform} {encoded}").as_bytes())
        }
        OriginIn::Raw(bytes) => header_value(bytes),
    });
    headers.extend(originating.map(|value| (ORIGINATING_IDENTITY, value)));
    if let Some(identity) = &req.request_identity {
        headers.push((REQUEST_IDENTITY, header_value(identity)));
    }
    let content_type = match &req.content_type {
        ContentTypeIn::Json => Some(HeaderValue::from_static("application/json")),
        ContentTypeIn::Missing => None,
        ContentTypeIn::Raw(bytes) => Some(header_value(bytes)),
    };
    headers.extend(content_type.map(|value| (CONTENT_TYPE, value)));
    let if_none_match = req.if_none_match.as_ref().map(|tag| match tag {
        IfNoneMatchIn::Star => HeaderValue::from_static("*"),
        IfNoneMatchIn::Current => etag.clone(),
        IfNoneMatchIn::Raw(bytes) => header_value(bytes),
    });
    headers.extend(if_none_match.map(|value| (IF_NONE_MATCH, value)));
    for (name, value) in req.extra_headers.iter().take(4) {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        if name == REQUEST_IDENTITY {
            // One request identity at most: which of several to echo is not specified.
            continue;
        }
        headers.push((name, header_value(value)));
    }
    Some(Built {
        method,
        uri,
        headers,
        body: req.body.bytes(),
    })
}

// ---------------------------------------------------------------------------------
// The checks.
// ---------------------------------------------------------------------------------

/// Known bugs (each has an ignored reproducer in `tests/properties.rs`):
/// a 500 one of them explains is not a crash, unless `OSB_FUZZ_STRICT` is set.
/// None is open (parameters that are valid JSON but not a `serde_json::Value` got
/// 500 until `ParameterSchema::check` answered 400 for them).
#[derive(Debug)]
enum KnownBug {}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.status)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {}", value.as_bytes().escape_ascii())?;
        }
        write!(f, "body: {}", self.body.escape_ascii())
    }
}

struct Oracle {
    /// Whether the known bugs are crashes too (`OSB_FUZZ_STRICT`).
    strict: bool,
    /// Whether each answer a known bug explains is logged (`OSB_FUZZ_LOG_KNOWN`).
    log_known: bool,
}

impl Oracle {
    fn known_bug(&self, req: &Built, reply: &Reply) -> Option<KnownBug> {
        let _ = (self.strict, req, reply);
        None
    }

    fn check(&self, req: &Built, reply: &Reply) -> Result<(), String> {
        if reply.status.is_server_error() {
            let Some(bug) = self.known_bug(req, reply) else {
                return Err(String::from("a server error"));
            };
            if self.log_known {
                eprintln!("known bug {bug:?}: {} {}", req.method, req.path());
            }
        } else if !(reply.status.is_success()
            || reply.status.is_client_error()
            || reply.status == StatusCode::NOT_MODIFIED)
        {
            return Err(String::from("an unexpected status"));
        }
        let echoed: Vec<&HeaderValue> = reply.headers.get_all(&REQUEST_IDENTITY).iter().collect();
        match req.header(&REQUEST_IDENTITY) {
            Some(sent) if echoed != [sent] => {
                return Err(String::from("the request identity is not echoed as sent"));
            }
            None if !echoed.is_empty() => {
                return Err(String::from("a request identity that was not sent"));
            }
            _ => {}
        }

        let head = req.method == Method::HEAD;
        if reply.status == StatusCode::NOT_MODIFIED {
            if !((req.method == Method::GET || head)
                && req.path() == "/v2/catalog"
                && req.header(&IF_NONE_MATCH).is_some())
            {
                return Err(String::from(
                    "304 to a request that is not a conditional catalog GET",
                ));
            }
            if !reply.body.is_empty() {
                return Err(String::from("a 304 with a body"));
            }
            if !reply.headers.contains_key(ETAG) {
                return Err(String::from("a 304 without ETag"));
            }
            return Ok(());
        }
        let content_types: Vec<&HeaderValue> = reply.headers.get_all(CONTENT_TYPE).iter().collect();
        if content_types != [&HeaderValue::from_static("application/json")] {
            return Err(String::from("Content-Type is not application/json"));
        }
        if head {
            return if reply.body.is_empty() {
                Ok(())
            } else {
                Err(String::from("an answer to HEAD with a body"))
            };
        }
        let json: serde_json::Value =
            serde_json::from_slice(&reply.body).map_err(|err| format!("not JSON ({err})"))?;
        if !json.is_object() {
            return Err(String::from("not a JSON object"));
        }
        let described = json["description"].as_str().is_some_and(|d| !d.is_empty());
        if !reply.status.is_success() && !described {
            return Err(String::from("an error without description"));
        }
        Ok(())
    }
}

async fn send(router: &Router, req: &Built) -> Reply {
    let response = router
        .clone()
        .oneshot(req.request())
        .await
        .unwrap_or_else(|never| match never {});
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .expect("the response body is readable")
        .to_bytes()
        .to_vec();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `OSB_FUZZ_STRICT` and `OSB_FUZZ_LOG_KNOWN`, read once.
fn settings() -> (bool, bool) {
    static SETTINGS: OnceLock<(bool, bool)> = OnceLock::new();
    *SETTINGS.get_or_init(|| {
        (
            std::env::var_os("OSB_FUZZ_STRICT").is_some(),
            std::env::var_os("OSB_FUZZ_LOG_KNOWN").is_some(),
        )
    })
}

async fn run(input: Input) {
    let router = router(input.setup);
    let catalog = Built {
        method: Method::GET,
        uri: String::from("/v2/catalog"),
        headers: vec![
            (
                http::header::AUTHORIZATION,
                header_value(
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD
                            .encode(format!("{USER}:{PASSWORD}"))
                    )
                    .as_bytes(),
                ),
            ),
            (API_VERSION, HeaderValue::from_static("2.17")),
        ],
        body: Vec::new(),
    };
    let etag = send(&router, &catalog)
        .await
        .headers
        .get(ETAG)
        .cloned()
        .expect("the catalog has an ETag");
    let (strict, log_known) = settings();
    let oracle = Oracle { strict, log_known };
    for req in input.requests.iter().take(MAX_REQUESTS) {
        let Some(built) = build(req, &etag) else {
            continue;
        };
        let reply = send(&router, &built).await;
        if let Err(problem) = oracle.check(&built, &reply) {
            panic!(
                "{problem} (setup {})\nrequest:\n{built:?}\nresponse:\n{reply:?}",
                input.setup % 4
            );
        }
    }
    // Let the background work of this input finish (see `runtime`).
    drop(router);
    tokio::time::sleep(SLOW * 2).await;
}

fuzz_target!(|input: Input| {
    runtime().block_on(run(input));
});
