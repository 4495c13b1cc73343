//! The ten routes of the OSB API, the health routes asked for, and the answers to
//! every other path.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, put};

use crate::dispatch::Dispatch;

use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};

use super::HealthRoutes;
use super::handlers::{catalog, handle, method_not_allowed, not_found};
use super::health::{live, ready};
use super::shared::Shared;

/// The router of `shared`, with the health routes of `health` (checked already).
pub(super) fn routes<D: Dispatch>(shared: Arc<Shared<D>>, health: &HealthRoutes) -> Router {
    const INSTANCE: &str = "/v2/service_instances/{instance_id}";
    const BINDING: &str = "/v2/service_instances/{instance_id}/service_bindings/{binding_id}";
    let mut router = Router::new();
    if let Some(path) = &health.liveness {
        router = router.route(path, get(live));
    }
    if let Some(path) = &health.readiness {
        router = router.route(path, get(ready::<D>));
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
