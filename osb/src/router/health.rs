//! The opt-in health routes: liveness and readiness, for Kubernetes probes and Cloud
//! Foundry's HTTP health check. They take no credentials (a probe carries none) and
//! say nothing but whether the broker serves and whether its state store answers.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use futures_util::FutureExt as _;
use http::StatusCode;
use serde::Serialize;

use crate::api::Endpoint;
use crate::dispatch::Dispatch;
use crate::error::Error;

use super::respond;
use super::shared::Shared;

/// The body of a route that answers 200.
#[derive(Serialize)]
struct Up {
    status: &'static str,
}

const UP: Up = Up { status: "UP" };

/// Why `path` cannot be a health route, if it cannot: it must be a plain absolute path
/// outside the OSB API's `/v2`.
pub(super) fn invalid(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("it must begin with `/`");
    }
    if path == "/v2" || path.starts_with("/v2/") {
        return Some("`/v2` belongs to the OSB API");
    }
    if path.contains(['{', '}', '*', '?', '#']) || path.contains("//") {
        return Some("it must be a plain path, without `{`, `}`, `*`, `?`, `#` or `//`");
    }
    None
}

/// Liveness: the process serves requests.
pub(super) async fn live() -> Response {
    respond::json(StatusCode::OK, &UP)
}

/// Readiness: the router's back end can serve requests (its state store answers).
pub(super) async fn ready<D: Dispatch>(State(shared): State<Arc<Shared<D>>>) -> Response {
    let checked = AssertUnwindSafe(shared.backend.ready())
        .catch_unwind()
        .await;
    match checked {
        Ok(Ok(())) => respond::json(StatusCode::OK, &UP),
        // The answer store-backed requests get meanwhile: 503, `Retry-After`.
        Ok(Err(err)) => respond::error(&err, Endpoint::Catalog, None),
        Err(_) => respond::error(
            &Error::internal("the readiness check of the state store panicked"),
            Endpoint::Catalog,
            None,
        ),
    }
}
