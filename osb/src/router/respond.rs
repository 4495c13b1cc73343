//! Turning handler results into HTTP responses, with the status the specification
//! prescribes and a body that never holds what it must not.

use std::borrow::Cow;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::api::Endpoint;
use crate::error::Error;
use crate::response::binding::{Binding, Bound, Unbound};
use crate::response::completion::Completion;
use crate::response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
use crate::response::operation::{BindingOperationReport, OperationReport};
use crate::response::{InstanceMetadata, VendorFields};
use crate::wire::FetchedBinding;
use crate::wire::{ErrorBody, InstanceBody, OperationBody};

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// «Provisioning» and the other async responses: an `operation` MUST NOT be longer.
const MAX_OPERATION_CHARS: usize = 10_000;

/// Why a handler's `in_background` answer cannot be served: the description of the
/// 500, since it is about how the broker was built, not a secret of its own.
const NO_STORE: &str = "The service broker is misconfigured: a handler answered `in_background`, \
     which needs a state store to run and poll the work; configure one with `Builder::store`.";

/// A JSON response; a body that cannot be serialized becomes a logged 500.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    // Most answers fit: one allocation instead of growing from serde_json's 128 bytes.
    let mut bytes = Vec::with_capacity(256);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => json_bytes(status, bytes),
        Err(err) => broken(&format!("the response body could not be serialized: {err}")),
    }
}

pub(crate) fn json_bytes(status: StatusCode, bytes: impl Into<Body>) -> Response {
    let mut response = Response::new(bytes.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, APPLICATION_JSON);
    response
}

/// A 500 for a handler result that breaks the specification; the reason goes to the log.
pub(crate) fn broken(reason: &str) -> Response {
    log_fault(reason);
    error(
        &Error::new(crate::error::ErrorKind::Internal),
        Endpoint::Catalog,
        None,
    )
}

/// A 500 for an answer the broker cannot serve as it was built (a handler answered
/// `in_background` and no store runs it): the reason is the answer's description too,
/// so the platform's operator sees it as well as the broker's author.
fn misconfigured(reason: &'static str) -> Response {
    log_fault(reason);
    error(&Error::failed(reason), Endpoint::Catalog, None)
}

/// Logs a fault of the broker's own code or setup. Without a `tracing` subscriber
/// (neither the README's example nor `examples/minimal.rs` installs one) the line
/// would go nowhere, so it goes to standard error instead: a mistake that only shows
/// at run time must not go unseen.
fn log_fault(reason: &str) {
    if tracing::dispatcher::has_been_set() {
        tracing::error!("{reason}");
    } else {
        eprintln!("osb: error: {reason}");
    }
}

/// The OSB error body for `err` on `endpoint`, logged by severity.
pub(crate) fn error(err: &Error, endpoint: Endpoint, challenge: Option<HeaderValue>) -> Response {
    let status = err.kind().status(endpoint);
    if status.is_server_error() {
        tracing::error!(error = %ErrorChain(err), "request failed");
    } else {
        tracing::debug!(error = %err, "request rejected");
    }
    let body = ErrorBody {
        error: err.kind().code().map(Cow::Borrowed),
        description: Some(Cow::Borrowed(err.description())),
        instance_usable: err.instance_usable_on(endpoint),
        update_repeatable: err.update_repeatable_on(endpoint),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = with_retry_after(json_bytes(status, bytes), err.retry_after());
    if status == StatusCode::UNAUTHORIZED
        && let Some(challenge) = challenge
    {
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    response
}

/// An error with its whole chain of causes, for the log.
struct ErrorChain<'a>(&'a Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = std::error::Error::source(self.0);
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// No vendor fields: the answers that have none of their own.
static NO_VENDOR_FIELDS: VendorFields = VendorFields::none();

/// Checks an `operation` a handler returned, and whether it may answer 202 at all;
/// the error is the reason for a 500.
fn accepted_operation(
    operation: Option<&str>,
    accepts_incomplete: bool,
    endpoint: Endpoint,
) -> Result<Option<&str>, String> {
    if !accepts_incomplete {
        // «Asynchronous Operations»: a 202 needs accepts_incomplete=true; the runtime
        // answered 422 before the handler for plans declared `async_only`.
        return Err(format!(
            "the {} handler answered 202 Accepted although the request did not send \
             accepts_incomplete=true; declare the operation with Plan::async_only or check \
             accepts_incomplete in the handler",
            endpoint.name()
        ));
    }
    match operation {
        Some(op) if op.chars().count() > MAX_OPERATION_CHARS => Err(format!(
            "the {} handler returned an operation of more than {MAX_OPERATION_CHARS} characters",
            endpoint.name()
        )),
        // «Updating a Service Instance»: if present, MUST be a non-empty string.
        Some("") => Ok(None),
        other => Ok(other),
    }
}

fn instance_response(
    outcome: &Completion<()>,
    done: StatusCode,
    dashboard_url: Option<&str>,
    metadata: Option<&InstanceMetadata>,
    vendor: &VendorFields,
    accepts_incomplete: bool,
    endpoint: Endpoint,
) -> Response {
    let (status, operation) = match outcome {
        Completion::Done(()) => (done, None),
        Completion::Existing(()) => (StatusCode::OK, None),
        Completion::Accepted(op) => {
            match accepted_operation(op.as_deref(), accepts_incomplete, endpoint) {
                Ok(op) => (StatusCode::ACCEPTED, op),
                Err(reason) => return broken(&reason),
            }
        }
        Completion::Background(_) => return misconfigured(NO_STORE),
    };
    if dashboard_url.is_none() && operation.is_none() && metadata.is_none() && vendor.is_empty() {
        // The common answer, without serializing anything.
        return json_bytes(status, "{}");
    }
    json(
        status,
        &InstanceBody {
            dashboard_url: dashboard_url.map(Cow::Borrowed),
            operation: operation.map(Cow::Borrowed),
            metadata: metadata.map(Cow::Borrowed),
            vendor: Cow::Borrowed(vendor),
        },
    )
}

pub(crate) fn provisioned(result: &Provisioned, accepts_incomplete: bool) -> Response {
    instance_response(
        &result.completion,
        StatusCode::CREATED,
        result.dashboard_url.as_deref(),
        result.metadata.as_ref(),
        &result.vendor,
        accepts_incomplete,
        Endpoint::Provision,
    )
}

pub(crate) fn updated(result: &Updated, accepts_incomplete: bool) -> Response {
    instance_response(
        &result.completion,
        StatusCode::OK,
        result.dashboard_url.as_deref(),
        result.metadata.as_ref(),
        &result.vendor,
        accepts_incomplete,
        Endpoint::Update,
    )
}

fn deleted(
    outcome: &Completion<()>,
    vendor: &VendorFields,
    accepts_incomplete: bool,
    endpoint: Endpoint,
) -> Response {
    match outcome {
        Completion::Done(()) | Completion::Existing(()) if vendor.is_empty() => {
            json_bytes(StatusCode::OK, "{}")
        }
        Completion::Done(()) | Completion::Existing(()) => json(
            StatusCode::OK,
            &OperationBody {
                operation: None,
                vendor: Cow::Borrowed(vendor),
            },
        ),
        Completion::Accepted(op) => {
            match accepted_operation(op.as_deref(), accepts_incomplete, endpoint) {
                Ok(operation) => json(
                    StatusCode::ACCEPTED,
                    &OperationBody {
                        operation: operation.map(Cow::Borrowed),
                        vendor: Cow::Borrowed(vendor),
                    },
                ),
                Err(reason) => broken(&reason),
            }
        }
        Completion::Background(_) => misconfigured(NO_STORE),
    }
}

pub(crate) fn deprovisioned(result: &Deprovisioned, accepts_incomplete: bool) -> Response {
    deleted(
        &result.completion,
        &result.vendor,
        accepts_incomplete,
        Endpoint::Deprovision,
    )
}

pub(crate) fn unbound(result: &Unbound, accepts_incomplete: bool) -> Response {
    deleted(
        &result.completion,
        &result.vendor,
        accepts_incomplete,
        Endpoint::Unbind,
    )
}

pub(crate) fn instance_details(details: &InstanceDetails) -> Response {
    if let Some(err) = details.parameters.as_ref().and_then(|p| p.error()) {
        return broken(&format!(
            "the fetch_instance handler's parameters could not be serialized: {err}"
        ));
    }
    json(StatusCode::OK, details)
}

/// Problems of a binding that make it invalid on the wire.
fn binding_problem(binding: &Binding) -> Option<String> {
    if let Some(err) = binding.credentials.as_ref().and_then(|c| c.error()) {
        return Some(format!(
            "the binding's credentials could not be serialized: {err}"
        ));
    }
    if let Some(raw) = binding.credentials.as_ref().and_then(|c| c.raw())
        && !raw.get().trim_start().starts_with('{')
    {
        return Some(String::from(
            "the binding's credentials are not a JSON object",
        ));
    }
    if let Some(err) = binding.parameters.as_ref().and_then(|p| p.error()) {
        return Some(format!(
            "the binding's parameters could not be serialized: {err}"
        ));
    }
    if let Some(metadata) = binding.metadata_ref()
        && let (Some(expires), Some(renew)) = (metadata.expires_at, metadata.renew_before)
        && renew > expires
    {
        // «Binding Metadata Object»: renew_before MUST be before or equal to expires_at.
        return Some(format!(
            "the binding's renew_before ({renew}) is after its expires_at ({expires})"
        ));
    }
    None
}

pub(crate) fn bound(result: Bound, accepts_incomplete: bool) -> Response {
    let (status, binding) = match &result.completion {
        Completion::Done(binding) => (StatusCode::CREATED, binding),
        Completion::Existing(binding) => (StatusCode::OK, binding),
        Completion::Accepted(op) => {
            return match accepted_operation(op.as_deref(), accepts_incomplete, Endpoint::Bind) {
                Ok(operation) => json(
                    StatusCode::ACCEPTED,
                    &OperationBody {
                        operation: operation.map(Cow::Borrowed),
                        vendor: Cow::Borrowed(&NO_VENDOR_FIELDS),
                    },
                ),
                Err(reason) => broken(&reason),
            };
        }
        Completion::Background(_) => return misconfigured(NO_STORE),
    };
    if let Some(problem) = binding_problem(binding) {
        return broken(&format!("bind: {problem}"));
    }
    match result.body {
        // The bytes the state layer stored: the same serialization of `binding`.
        Some(body) => json_bytes(status, String::from(Box::<str>::from(body))),
        None => json(status, binding),
    }
}

pub(crate) fn fetched_binding(binding: &Binding) -> Response {
    if let Some(problem) = binding_problem(binding) {
        return broken(&format!("fetch_binding: {problem}"));
    }
    json(StatusCode::OK, &FetchedBinding(binding))
}

fn with_retry_after(mut response: Response, delay: Option<Duration>) -> Response {
    if let Some(delay) = delay {
        // «Polling Last Operation»: a duration in seconds is RECOMMENDED over a date.
        // Whole seconds, rounded up, at least 1: `Retry-After: 0` invites a busy loop.
        let seconds = (delay.as_secs() + u64::from(delay.subsec_nanos() > 0)).max(1);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

pub(crate) fn operation_status(status: &OperationReport) -> Response {
    with_retry_after(json(StatusCode::OK, status), status.retry_after)
}

pub(crate) fn binding_operation_status(status: &BindingOperationReport) -> Response {
    with_retry_after(json(StatusCode::OK, status), status.retry_after)
}

impl IntoResponse for Error {
    /// The error as a generic endpoint would answer it (use the router for the
    /// per-endpoint status).
    fn into_response(self) -> Response {
        error(&self, Endpoint::Catalog, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// «Updating a Service Instance»: `operation`, if present, MUST be non-empty;
    /// an empty one from a handler is left out rather than sent.
    #[test]
    fn an_empty_operation_is_left_out() {
        assert_eq!(
            accepted_operation(Some(""), true, Endpoint::Update),
            Ok(None)
        );
        assert_eq!(
            accepted_operation(Some("op-1"), true, Endpoint::Update),
            Ok(Some("op-1"))
        );
        let response = updated(&Updated::accepted(""), true);
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
}
