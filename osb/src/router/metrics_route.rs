//! The opt-in metrics route: the process's metrics in Prometheus's text format, with
//! or without the router's authentication.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

use crate::api::Endpoint;
use crate::dispatch::Dispatch;
use crate::metrics::Prometheus;

use super::shared::Shared;

/// Prometheus's text exposition format, version 0.0.4.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics, to anyone.
pub(super) fn public(prometheus: &Prometheus) -> Response {
    let mut response = Response::new(prometheus.render().into());
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
    response
}

/// The metrics, to whom the router's authentication lets in; others get its 401.
pub(super) async fn authenticated<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    prometheus: Prometheus,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    match shared.auth.authenticate(&parts).await {
        Ok(_) => public(&prometheus),
        Err(err) => shared.error_response(&err, Endpoint::Catalog),
    }
}
