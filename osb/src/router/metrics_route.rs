//! The opt-in metrics route: the process's metrics in Prometheus's text format, with
//! or without the router's authentication.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use futures_util::FutureExt as _;
use http::{HeaderValue, StatusCode, header};

use crate::api::Endpoint;
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::metrics::Prometheus;

use super::respond;
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

/// The metrics, to whom the router's authentication lets in; others get its 401. A
/// custom authenticator that panics is a 500, as on the OSB routes.
pub(super) async fn authenticated<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    prometheus: Prometheus,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let checked = AssertUnwindSafe(shared.auth.authenticate(&parts))
        .catch_unwind()
        .await;
    match checked {
        Ok(Ok(_)) => public(&prometheus),
        Ok(Err(err)) => shared.error_response(&err, Endpoint::Catalog),
        Err(_) => respond::error(
            &Error::internal("the authenticator panicked"),
            Endpoint::Catalog,
            None,
        ),
    }
}
