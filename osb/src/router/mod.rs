//! The HTTP layer: an [`axum::Router`] serving the ten OSB routes for one or more brokers.

mod detach;
mod erased;
mod flat_schema;
mod handlers;
mod index;
mod input;
mod params;
mod respond;
mod runner;
mod stateful;

use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, put};
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::api::{
    API_VERSION_HEADER, ApiVersion, Endpoint, MissingVersion, ORIGINATING_IDENTITY_HEADER,
    REQUEST_IDENTITY_HEADER,
};
use crate::auth::Auth;
use crate::broker::Broker;
use crate::catalog::{self, Catalog, CatalogError};
use crate::error::{Error, ErrorKind};
use crate::request::{OriginatingIdentity, RequestMeta};
use crate::store::{StateConfig, Store};
use crate::text::quoted;

use erased::DynBroker;
use index::Index;
use stateful::StateLayer;

/// The router of one broker with `auth`: the OSB routes as an [`axum::Router`] to
/// serve with [`serve`](crate::serve) or to nest in an existing application
/// (openbrokerapi's `get_blueprint`).
///
/// # Panics
///
/// If the catalog breaks a rule of the specification (the message lists every
/// problem). Use [`Builder::build`] to get the problems as an error instead.
#[track_caller]
pub fn router(broker: impl Broker, auth: impl Into<Auth>) -> Router {
    match Builder::new().broker(broker).auth(auth).build() {
        Ok(router) => router,
        Err(err) => panic!("{err}"),
    }
}

/// Errors building a router.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The merged catalog breaks rules of the specification.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// No broker was added.
    #[error("no broker: add one with Builder::broker")]
    NoBroker,
    /// No authentication was configured.
    #[error(
        "no authentication configured: call Builder::auth with BasicAuth, a custom Authenticator, \
         or Auth::none() to serve without authentication"
    )]
    NoAuth,
    /// A broker relies on a state store and none was configured.
    #[error(
        "broker `{0}` relies on a state store (it is `stateful`): configure one with \
         Builder::store, such as osb::store::MemoryStore or osb::store::SqlStore"
    )]
    StoreRequired(&'static str),
    /// A parameter schema could not be compiled.
    #[error("invalid parameter schema: {}", .0.join("; "))]
    Schema(Vec<String>),
}

/// Settings of the request checks.
#[derive(Debug, Clone)]
struct Config {
    min_version: ApiVersion,
    max_version: Option<ApiVersion>,
    missing_version: MissingVersion,
    body_limit: usize,
    require_org_and_space: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            min_version: ApiVersion::V2_13,
            max_version: None,
            missing_version: MissingVersion::PreconditionFailed,
            body_limit: 1024 * 1024,
            require_org_and_space: true,
        }
    }
}

/// Builds a router for one or several brokers (openbrokerapi's `serve_multiple`):
/// their catalogs are merged (ids must stay unique) and each request reaches the
/// broker that owns its service, plan or resource.
///
/// ```
/// # use osb::catalog::{Catalog, Plan, ServiceOffering};
/// # use osb::{Broker, Deprovision, Deprovisioned, Error, Provision, Provisioned};
/// # struct Db; struct Queue;
/// # macro_rules! stub { ($t:ident, $s:literal, $p:literal) => {
/// # impl Broker for $t {
/// #     fn catalog(&self) -> Catalog { Catalog::new([ServiceOffering::new($s, $s, "d").plan(Plan::new($p, "p", "d"))]) }
/// #     async fn provision(&self, _: Provision) -> Result<Provisioned, Error> { Ok(Provisioned::created()) }
/// #     async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> { Ok(Deprovisioned::completed()) }
/// # } } }
/// # stub!(Db, "db", "db-plan"); stub!(Queue, "queue", "queue-plan");
/// let app: axum::Router = osb::Builder::new()
///     .broker(Db)
///     .broker(Queue)
///     .auth(osb::auth::BasicAuth::new("admin", "secret"))
///     .min_api_version(osb::api::ApiVersion::V2_14)
///     .build()?;
/// # Ok::<(), osb::BuildError>(())
/// ```
pub struct Builder {
    brokers: Vec<Box<dyn DynBroker>>,
    catalogs: Vec<Catalog>,
    auth: Option<Auth>,
    config: Config,
    store: Option<stateful::StoreHandle>,
    state_config: StateConfig,
    /// The type names of the [stateful](Broker::STATEFUL) brokers.
    requires_store: Vec<Option<&'static str>>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// A builder with no broker and no authentication yet.
    pub fn new() -> Self {
        Self {
            brokers: Vec::new(),
            catalogs: Vec::new(),
            auth: None,
            config: Config::default(),
            store: None,
            state_config: StateConfig::default(),
            requires_store: Vec::new(),
        }
    }

    /// Adds a broker; its catalog is read now.
    #[must_use]
    pub fn broker<B: Broker>(mut self, broker: B) -> Self {
        self.catalogs.push(broker.catalog());
        self.requires_store
            .push(B::STATEFUL.then(std::any::type_name::<B>));
        self.brokers.push(Box::new(broker));
        self
    }

    /// How requests are authenticated (required: [`Auth::none`] must be explicit).
    #[must_use]
    pub fn auth(mut self, auth: impl Into<Auth>) -> Self {
        self.auth = Some(auth.into());
        self
    }

    /// The oldest `X-Broker-API-Version` accepted (default 2.13, as openbrokerapi,
    /// since platforms still send 2.13–2.16); older versions get 412.
    #[must_use]
    pub fn min_api_version(mut self, version: ApiVersion) -> Self {
        self.config.min_version = version;
        self
    }

    /// The newest `X-Broker-API-Version` accepted (default: any 2.x, since minor
    /// versions only add to the API); newer versions get 412.
    #[must_use]
    pub fn max_api_version(mut self, version: ApiVersion) -> Self {
        self.config.max_version = Some(version);
        self
    }

    /// The answer to a request without `X-Broker-API-Version` (default 412).
    #[must_use]
    pub fn missing_version(mut self, answer: MissingVersion) -> Self {
        self.config.missing_version = answer;
        self
    }

    /// The largest request body accepted, in bytes (default 1 MiB); larger gets 413.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = bytes;
        self
    }

    /// Whether provision requests must carry `organization_guid` and `space_guid`
    /// (default `true`: the specification marks them REQUIRED). Turn it off for
    /// platforms that send only `context`.
    #[must_use]
    pub fn require_organization_and_space(mut self, required: bool) -> Self {
        self.config.require_org_and_space = required;
        self
    }

    /// Keeps instances, bindings and operations in `store`, and with them takes over
    /// the specification's bookkeeping for every broker of the router (see
    /// [`crate::store`]): an identical provision or bind answers 200 with what was
    /// answered first, a different one 409, one still running 202 with the same
    /// operation; deleting what does not exist answers 410; fetch and `last_operation`
    /// are answered from the store unless the broker implements them; conflicting
    /// changes of one resource get 422 `ConcurrencyError`, across replicas sharing
    /// one database too; handlers may return work to run
    /// [`in_background`](crate::Provisioned::in_background), which is resumed
    /// ([`Broker::resume`]) or failed after a restart.
    #[must_use]
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(stateful::StoreHandle::new(store));
        self
    }

    /// Settings of the bookkeeping on the [`store`](Builder::store): `Retry-After`,
    /// the lease of running work, how long finished deletes are remembered.
    #[must_use]
    pub fn state_config(mut self, config: StateConfig) -> Self {
        self.state_config = config;
        self
    }

    /// Checks the catalogs and builds the router.
    pub fn build(self) -> Result<Router, BuildError> {
        if self.brokers.is_empty() {
            return Err(BuildError::NoBroker);
        }
        let auth = self.auth.ok_or(BuildError::NoAuth)?;
        if self.store.is_none() {
            if let Some(name) = self.requires_store.iter().flatten().next() {
                return Err(BuildError::StoreRequired(name));
            }
        }
        catalog::validate(&self.catalogs)?;
        let index = Index::new(&self.catalogs).map_err(BuildError::Schema)?;
        if !auth.is_enabled() {
            tracing::warn!(
                "the service broker accepts requests without authentication (Auth::none): \
                 anyone who can reach it can provision and bind"
            );
        }
        let merged = Catalog::new(self.catalogs.into_iter().flat_map(|c| c.services));
        let catalog_json = Bytes::from(merged.to_json());
        let shared = Arc::new(Shared {
            etag: etag(&catalog_json),
            catalog_json,
            brokers: self.brokers,
            index,
            auth,
            config: self.config,
            state: self
                .store
                .map(|store| StateLayer::new(store, self.state_config)),
        });
        if let Some(state) = &shared.state {
            // Interrupted work is looked for from the start when a runtime is there
            // (the usual `#[tokio::main]`), else from the first request.
            if tokio::runtime::Handle::try_current().is_ok() {
                state.start_sweeper(&shared);
            }
        }
        Ok(routes(shared))
    }
}

fn etag(bytes: &[u8]) -> HeaderValue {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    let tag = format!("\"{:016x}\"", hasher.finish());
    HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"catalog\""))
}

/// RFC 7232 §3.2: `If-None-Match` is `*` or a list of entity tags, compared weakly.
fn matches_etag(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(tags) = if_none_match.to_str() else {
        return false;
    };
    let etag = etag.as_bytes();
    tags.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == etag)
}

fn routes(shared: Arc<Shared>) -> Router {
    use handlers::*;
    const INSTANCE: &str = "/v2/service_instances/{instance_id}";
    const BINDING: &str = "/v2/service_instances/{instance_id}/service_bindings/{binding_id}";
    Router::new()
        .route("/v2/catalog", get(catalog))
        .route(
            INSTANCE,
            put(provision)
                .get(fetch_instance)
                .patch(update)
                .delete(deprovision),
        )
        .route(
            "/v2/service_instances/{instance_id}/last_operation",
            get(last_operation),
        )
        .route(BINDING, put(bind).get(fetch_binding).delete(unbind))
        .route(
            "/v2/service_instances/{instance_id}/service_bindings/{binding_id}/last_operation",
            get(binding_last_operation),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Every handler catches its panics and echoes the request identity itself
        // (handlers::run), the fallbacks too.
        .with_state(shared)
}

/// Everything a request handler needs, shared by all requests of one router.
pub(crate) struct Shared {
    brokers: Vec<Box<dyn DynBroker>>,
    catalog_json: Bytes,
    etag: HeaderValue,
    index: Index,
    auth: Auth,
    config: Config,
    /// The store and its bookkeeping, when the router has one.
    state: Option<StateLayer>,
}

impl Shared {
    fn broker(&self, index: usize) -> &dyn DynBroker {
        // Indexes come from `Index`, built from the same list of brokers.
        &*self.brokers[index]
    }

    /// Authenticates, then checks the API version and decodes the identity headers,
    /// in that order: a platform's credentials are checked before anything else
    /// (osb-checker's 401 probes send no valid version header and no body).
    async fn preamble(&self, parts: &Parts) -> Result<RequestMeta, Error> {
        let principal = self.auth.authenticate(parts).await?;
        let api_version = self.check_version(parts.headers.get(API_VERSION_HEADER))?;
        let originating_identity = match parts.headers.get(ORIGINATING_IDENTITY_HEADER) {
            None => None,
            Some(value) => {
                let text = value.to_str().map_err(|_| {
                    Error::bad_request(
                        "invalid X-Broker-API-Originating-Identity header: it must be ASCII",
                    )
                })?;
                Some(
                    OriginatingIdentity::parse(text)
                        .map_err(|err| Error::bad_request(err.to_string()))?,
                )
            }
        };
        let request_identity = parts
            .headers
            .get(REQUEST_IDENTITY_HEADER)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        Ok(RequestMeta {
            api_version,
            originating_identity,
            request_identity,
            principal,
        })
    }

    fn check_version(&self, header: Option<&HeaderValue>) -> Result<ApiVersion, Error> {
        let min = self.config.min_version;
        // Only rejections pay for formatting: accepted requests allocate nothing here.
        let rejected = |problem: String| {
            let supported = match self.config.max_version {
                Some(max) => format!("{min} to {max}"),
                None => format!("{min} or a later 2.x version"),
            };
            Error::new(ErrorKind::UnsupportedApiVersion).with_description(format!(
                "{problem}; this broker requires X-Broker-API-Version {supported} (it implements {})",
                ApiVersion::LATEST
            ))
        };
        let header = header.filter(|value| !value.is_empty());
        let Some(header) = header else {
            let err = rejected(String::from("the X-Broker-API-Version header is missing"));
            return Err(match self.config.missing_version {
                MissingVersion::PreconditionFailed => err,
                MissingVersion::BadRequest => Error::bad_request(err.description().to_owned()),
            });
        };
        let text = String::from_utf8_lossy(header.as_bytes());
        match ApiVersion::parse(text.trim()) {
            None => Err(rejected(format!(
                "X-Broker-API-Version {} is not a version of the form MAJOR.MINOR",
                quoted(&text)
            ))),
            Some(version)
                if version.major() != 2
                    || version < min
                    || self.config.max_version.is_some_and(|max| version > max) =>
            {
                Err(rejected(format!(
                    "X-Broker-API-Version {version} is not supported"
                )))
            }
            Some(version) => Ok(version),
        }
    }

    fn error_response(&self, err: &Error, endpoint: Endpoint) -> Response {
        respond::error(err, endpoint, self.auth.challenge())
    }
}

impl Shared {
    pub(crate) fn catalog_response(&self, if_none_match: Option<&HeaderValue>) -> Response {
        // «Catalog Management»: brokers MAY support ETag for catalog caching.
        let mut response = if if_none_match.is_some_and(|tags| matches_etag(tags, &self.etag)) {
            let mut response = Response::new(axum::body::Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        } else {
            respond::json_bytes(StatusCode::OK, self.catalog_json.clone())
        };
        response
            .headers_mut()
            .insert(http::header::ETAG, self.etag.clone());
        response
    }
}
