//! The HTTP layer: an [`axum::Router`] serving the ten OSB routes for one or more brokers.

mod binding;
mod correlation;
mod handlers;
mod health;
mod input;
mod instance;
#[cfg(feature = "prometheus")]
mod metrics_route;
mod resolve;
mod respond;
mod routes;
mod shared;
mod trace;

use std::sync::Arc;

use axum::Router;
use bytes::Bytes;

use crate::api::{ApiVersion, MissingVersion};
use crate::auth::Auth;
use crate::broker::Broker;
use crate::catalog::{self, Catalog, CatalogError};
use crate::compiled::CompiledCatalog;
use crate::dispatch::{Direct, DynBroker};
use crate::lifecycle::{self, StoreHandle};
use crate::store::{StateConfig, Store};

use routes::routes;
use shared::{Config, Shared};

/// The router of one broker with `auth`: the OSB routes as an [`axum::Router`] to
/// serve with [`serve`](crate::serve) or to nest in an existing application
/// (openbrokerapi's `get_blueprint`).
///
/// A [stateful](Broker::STATEFUL) broker (`#[osb::broker(…, stateful)]`) needs a
/// store, which this function does not take: passing one fails the build (when the
/// function is instantiated, so `cargo build` reports it, `cargo check` may not).
/// Build its router with [`Builder::store`] instead.
///
/// # Panics
///
/// If the catalog breaks a rule of the specification (the message lists every
/// problem). Use [`Builder::build`] to get the problems as an error instead.
#[track_caller]
pub fn router<B: Broker>(broker: B, auth: impl Into<Auth>) -> Router {
    const {
        assert!(
            !B::STATEFUL,
            "a `stateful` broker needs a state store, which `osb::router` does not take: build its router \
             with `osb::Builder::new().broker(…).auth(…).store(…).build()`"
        );
    }
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
    /// The path of a health or metrics route cannot be served.
    #[error("invalid {kind} route {path:?}: {reason}")]
    OperatorRoute {
        /// `liveness`, `readiness` or `metrics`.
        kind: &'static str,
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The metrics route needs the Prometheus recorder, which could not be installed.
    #[cfg(feature = "prometheus")]
    #[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
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
    store: Option<StoreHandle>,
    state_config: StateConfig,
    /// The type name of the first [stateful](Broker::STATEFUL) broker added, if any.
    stateful: Option<&'static str>,
    operator: OperatorRoutes,
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
            stateful: None,
            operator: OperatorRoutes::default(),
        }
    }

    /// Adds a broker; its catalog is read now.
    #[must_use]
    pub fn broker<B: Broker>(mut self, broker: B) -> Self {
        self.catalogs.push(broker.catalog());
        if B::STATEFUL && self.stateful.is_none() {
            self.stateful = Some(std::any::type_name::<B>());
        }
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
        self.store = Some(StoreHandle::new(store));
        self
    }

    /// Settings of the bookkeeping on the [`store`](Builder::store): `Retry-After`,
    /// the lease of running work, how long finished deletes are remembered.
    #[must_use]
    pub fn state_config(mut self, config: StateConfig) -> Self {
        self.state_config = config;
        self
    }

    /// Serves `GET path` (and `HEAD`) without authentication: 200 `{"status":"UP"}`
    /// while the process serves requests. For a Kubernetes `livenessProbe` or Cloud
    /// Foundry's `http` health check. Off by default; the path must be a plain path
    /// outside `/v2` (else [`build`](Builder::build) fails with
    /// [`BuildError::OperatorRoute`]).
    #[must_use]
    pub fn liveness_route(mut self, path: impl Into<String>) -> Self {
        self.operator.liveness = Some(path.into());
        self
    }

    /// Serves `GET path` (and `HEAD`) without authentication: 200 `{"status":"UP"}`
    /// when the router can serve requests, that is when its [state
    /// store](Builder::store) answers ([`Store::ping`]; always without a store); else
    /// what store-backed requests get meanwhile: 503 with `Retry-After` and an OSB
    /// error body. For a Kubernetes `readinessProbe`. Off by default; the path as for
    /// [`liveness_route`](Builder::liveness_route).
    #[must_use]
    pub fn readiness_route(mut self, path: impl Into<String>) -> Self {
        self.operator.readiness = Some(path.into());
        self
    }

    /// Serves the process's metrics ([`crate::metrics`]) at `GET path` in Prometheus's
    /// text format, to the callers the router's [authentication](Builder::auth) lets
    /// in (see [`public_metrics_route`](Builder::public_metrics_route) for a scraper
    /// without credentials). Installs the Prometheus recorder as the process's global
    /// `metrics` recorder ([`Prometheus::install`](crate::metrics::Prometheus::install)):
    /// [`build`](Builder::build) fails with [`BuildError::Metrics`] if another one is
    /// installed. The path as for [`liveness_route`](Builder::liveness_route).
    #[cfg(feature = "prometheus")]
    #[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
    #[must_use]
    pub fn metrics_route(mut self, path: impl Into<String>) -> Self {
        self.operator.metrics = Some(MetricsRoute {
            path: path.into(),
            public: false,
            prometheus: None,
        });
        self
    }

    /// As [`metrics_route`](Builder::metrics_route), without authentication: for a
    /// Prometheus that scrapes without credentials, on a port only it reaches.
    #[cfg(feature = "prometheus")]
    #[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
    #[must_use]
    pub fn public_metrics_route(mut self, path: impl Into<String>) -> Self {
        self.operator.metrics = Some(MetricsRoute {
            path: path.into(),
            public: true,
            prometheus: None,
        });
        self
    }

    /// Checks the catalogs and builds the router.
    pub fn build(self) -> Result<Router, BuildError> {
        if self.brokers.is_empty() {
            return Err(BuildError::NoBroker);
        }
        let auth = self.auth.ok_or(BuildError::NoAuth)?;
        self.operator.check()?;
        if self.store.is_none()
            && let Some(name) = self.stateful
        {
            return Err(BuildError::StoreRequired(name));
        }
        catalog::validate(&self.catalogs)?;
        #[cfg_attr(not(feature = "prometheus"), allow(unused_mut))]
        let mut operator = self.operator;
        #[cfg(feature = "prometheus")]
        if let Some(route) = &mut operator.metrics {
            route.prometheus = Some(crate::metrics::Prometheus::install()?);
        }
        crate::metrics::describe();
        let compiled = CompiledCatalog::new(&self.catalogs).map_err(BuildError::Schema)?;
        if !auth.is_enabled() {
            tracing::warn!(
                "the service broker accepts requests without authentication (Auth::none): \
                 anyone who can reach it can provision and bind"
            );
        }
        let merged = Catalog::new(self.catalogs.into_iter().flat_map(|c| c.services));
        let catalog_json = Bytes::from(merged.to_json());
        let direct = Direct::new(self.brokers, compiled);
        // The one place that asks whether there is a store: the answer is the back end.
        Ok(match self.store {
            Some(store) => {
                let lifecycle = lifecycle::over(direct, store, self.state_config);
                routes(
                    Arc::new(Shared::new(lifecycle, catalog_json, auth, self.config)),
                    &operator,
                )
            }
            None => routes(
                Arc::new(Shared::new(direct, catalog_json, auth, self.config)),
                &operator,
            ),
        })
    }
}

/// The routes for operators a router serves besides the OSB API, if any: health and
/// metrics.
#[derive(Debug, Default)]
struct OperatorRoutes {
    liveness: Option<String>,
    readiness: Option<String>,
    #[cfg(feature = "prometheus")]
    metrics: Option<MetricsRoute>,
}

/// Where the metrics are served, and to whom.
#[cfg(feature = "prometheus")]
#[derive(Debug)]
struct MetricsRoute {
    path: String,
    public: bool,
    /// The recorder, once [`Builder::build`] installed it.
    prometheus: Option<crate::metrics::Prometheus>,
}

impl OperatorRoutes {
    /// The routes asked for, by kind.
    fn paths(&self) -> Vec<(&'static str, &str)> {
        let mut paths = Vec::new();
        if let Some(path) = &self.liveness {
            paths.push(("liveness", path.as_str()));
        }
        if let Some(path) = &self.readiness {
            paths.push(("readiness", path.as_str()));
        }
        #[cfg(feature = "prometheus")]
        if let Some(route) = &self.metrics {
            paths.push(("metrics", route.path.as_str()));
        }
        paths
    }

    /// Each path is servable, and they differ.
    fn check(&self) -> Result<(), BuildError> {
        let paths = self.paths();
        for (index, &(kind, path)) in paths.iter().enumerate() {
            let reason = health::invalid(path).or_else(|| {
                paths[..index]
                    .iter()
                    .find(|(_, earlier)| *earlier == path)
                    .map(|(earlier, _)| match *earlier {
                        "liveness" => "it is the liveness route's path too",
                        _ => "it is the readiness route's path too",
                    })
            });
            if let Some(reason) = reason {
                return Err(BuildError::OperatorRoute {
                    kind,
                    path: path.to_owned(),
                    reason,
                });
            }
        }
        Ok(())
    }
}
