//! The answers a call brings back: the status that tells what happened, and the body.

use std::time::Duration;

use http::StatusCode;

use crate::wire::{BindingBody, LastOperationBody, OperationBody};

/// A successful answer: its status (which tells, say, a new instance `201` from an
/// existing one `200` and a started operation `202`) and its body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Answer<T> {
    /// `200`, `201` or `202`.
    pub status: StatusCode,
    /// The body.
    pub body: T,
    /// The `X-Broker-API-Request-Identity` this call sent.
    pub request_identity: String,
}

impl<T> Answer<T> {
    /// Whether the broker started an asynchronous operation (`202 Accepted`).
    pub fn is_accepted(&self) -> bool {
        self.status == StatusCode::ACCEPTED
    }
}

/// The answer to a bind: the binding, or an operation to poll.
#[derive(Debug, Clone)]
pub enum BindAnswer {
    /// `200` (an identical binding existed) or `201` (created): the binding.
    Bound(BindingBody<'static>),
    /// `202`: the binding is being made; poll it, then fetch it.
    Accepted(OperationBody<'static>),
}

/// The answer to polling an operation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Polled {
    /// The state and the rest of the body.
    pub body: LastOperationBody<'static>,
    /// When to poll again, from `Retry-After`.
    pub retry_after: Option<Duration>,
}
