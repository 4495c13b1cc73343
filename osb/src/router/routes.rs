//! The ten routes of the OSB API, the health and metrics routes asked for, and the
//! answers to every other path.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, put};

use crate::dispatch::Dispatch;

use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};

use super::OperatorRoutes;
use super::handlers::{catalog, handle, method_not_allowed, not_found};
use super::health::{live, ready};
#[cfg(feature = "prometheus")]
use super::metrics_route;
use super::shared::Shared;

/// The router of `shared`, with the health and metrics routes of `operator` (checked
/// already).
pub(super) fn routes<D: Dispatch>(shared: Arc<Shared<D>>, operator: &OperatorRoutes) -> Router {
    const INSTANCE: &str = "/v2/service_instances/{instance_id}";
    const BINDING: &str = "/v2/service_instances/{instance_id}/service_bindings/{binding_id}";
    let mut router = Router::new();
    if let Some(path) = &operator.liveness {
        router = router.route(path, get(live));
    }
    if let Some(path) = &operator.readiness {
        router = router.route(path, get(ready::<D>));
    }
    #[cfg(feature = "prometheus")]
    if let Some(super::MetricsRoute {
        path,
        public,
        prometheus: Some(prometheus),
    }) = &operator.metrics
    {
        let prometheus = prometheus.clone();
        router = if *public {
            router.route(
                path.as_str(),
                get(move || std::future::ready(metrics_route::public(&prometheus))),
            )
        } else {
            router.route(
                path.as_str(),
                get(move |shared, request| {
                    metrics_route::authenticated::<D>(shared, prometheus.clone(), request)
                }),
            )
        };
    }
    router
        .route("/v2/catalog", get(catalog::<D>))
        .route(
            INSTANCE,
            put(handle::<D, Provision>)
                .get(handle::<D, FetchInstance>)
                .patch(handle::<D, Update>)
                .delete(handle::<D, Deprovision>),
        )
        .route(
            "/v2/service_instances/{instance_id}/last_operation",
            get(handle::<D, LastOperation>),
        )
        .route(
            BINDING,
            put(handle::<D, Bind>)
                .get(handle::<D, FetchBinding>)
                .delete(handle::<D, Unbind>),
        )
        .route(
            "/v2/service_instances/{instance_id}/service_bindings/{binding_id}/last_operation",
            get(handle::<D, BindingLastOperation>),
        )
        .fallback(not_found::<D>)
        .method_not_allowed_fallback(method_not_allowed::<D>)
        // Every handler catches its panics and echoes the request identity itself
        // (handlers::run), the fallbacks too.
        .with_state(shared)
}
