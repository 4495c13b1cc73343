//! How an operation completes: now, as it stood already, or later.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::error::Error;

/// Work a handler hands to the framework: it runs after the `202 Accepted`, and its
/// result is what `last_operation` reports. Needs a state store
/// ([`Builder::store`](crate::Builder::store)), which records the operation, keeps
/// it alive and resumes or fails it after a restart.
pub struct Background<T>(
    pub(crate) Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>,
);

impl<T> Background<T> {
    /// Wraps the work.
    pub fn new(work: impl Future<Output = Result<T, Error>> + Send + 'static) -> Self {
        Self(Box::pin(work))
    }
}

impl<T> fmt::Debug for Background<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Background(..)")
    }
}

/// How an operation completes; `T` is what it makes (a binding for a bind).
#[derive(Debug)]
pub(crate) enum Completion<T> {
    /// Finished: 200 (or 201 for created resources).
    Done(T),
    /// Already existed identically: 200 (provision and bind only).
    Existing(T),
    /// Continues asynchronously: 202 with the optional operation id.
    Accepted(Option<String>),
    /// Continues as work run by the framework: 202 with an operation id the
    /// framework assigns.
    Background(Background<T>),
}

impl<T> Completion<T> {
    pub(crate) fn operation(&self) -> Option<&str> {
        match self {
            Completion::Accepted(operation) => operation.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn is_accepted(&self) -> bool {
        matches!(self, Completion::Accepted(_) | Completion::Background(_))
    }

    /// What a finished operation made.
    pub(crate) fn made(&self) -> Option<&T> {
        match self {
            Completion::Done(made) | Completion::Existing(made) => Some(made),
            Completion::Accepted(_) | Completion::Background(_) => None,
        }
    }
}
