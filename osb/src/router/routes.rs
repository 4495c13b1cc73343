//! The ten routes of the OSB API and the answers to every other path.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, put};

use crate::dispatch::Dispatch;

use super::handlers::{
    bind, binding_last_operation, catalog, deprovision, fetch_binding, fetch_instance,
    last_operation, method_not_allowed, not_found, provision, unbind, update,
};
use super::shared::Shared;

/// The router of `shared`.
pub(super) fn routes<D: Dispatch>(shared: Arc<Shared<D>>) -> Router {
    const INSTANCE: &str = "/v2/service_instances/{instance_id}";
    const BINDING: &str = "/v2/service_instances/{instance_id}/service_bindings/{binding_id}";
    Router::new()
        .route("/v2/catalog", get(catalog::<D>))
        .route(
            INSTANCE,
            put(provision::<D>)
                .get(fetch_instance::<D>)
                .patch(update::<D>)
                .delete(deprovision::<D>),
        )
        .route(
            "/v2/service_instances/{instance_id}/last_operation",
            get(last_operation::<D>),
        )
        .route(
            BINDING,
            put(bind::<D>).get(fetch_binding::<D>).delete(unbind::<D>),
        )
        .route(
            "/v2/service_instances/{instance_id}/service_bindings/{binding_id}/last_operation",
            get(binding_last_operation::<D>),
        )
        .fallback(not_found::<D>)
        .method_not_allowed_fallback(method_not_allowed::<D>)
        // Every handler catches its panics and echoes the request identity itself
        // (handlers::run), the fallbacks too.
        .with_state(shared)
}
