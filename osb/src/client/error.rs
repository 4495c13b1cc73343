//! What a call to a broker can end with, short of the answer it wanted.

use std::time::Duration;

use http::StatusCode;

use crate::wire::ErrorBody;

/// Why a call to a broker did not bring the answer the specification promises.
///
/// The three kinds a script tells apart ([`ClientError::is_broker`],
/// [`ClientError::is_transport`]): the broker said no ([`ClientError::Broker`]), it
/// answered something the specification does not allow ([`ClientError::Unexpected`]),
/// or no answer came ([`ClientError::Transport`], [`ClientError::Timeout`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The broker answered with an error status and (usually) an OSB error body.
    #[error("{0}")]
    Broker(BrokerError),
    /// The broker answered, but not as the specification allows: another status, or
    /// a body that is not the endpoint's.
    #[error("the broker answered {status} to {request}: {problem}; body: {body}")]
    Unexpected {
        /// The request, as `METHOD /path`.
        request: String,
        /// The status.
        status: StatusCode,
        /// What is wrong with the answer.
        problem: String,
        /// The body, as text (cut after 2,000 characters).
        body: String,
    },
    /// No answer within the call's timeout.
    #[error("no answer to {request} within {timeout:?}")]
    Timeout {
        /// The request, as `METHOD /path`.
        request: String,
        /// The timeout.
        timeout: Duration,
    },
    /// The broker could not be reached, or the connection failed.
    #[error("{request} failed: {message}")]
    Transport {
        /// The request, as `METHOD /path`.
        request: String,
        /// What failed, with its causes.
        message: String,
    },
    /// An asynchronous operation did not finish within the time allowed.
    #[error("the operation was still in progress after {0:?}")]
    StillInProgress(Duration),
    /// The client's settings are wrong (an invalid URL, an unreadable certificate).
    #[error("{0}")]
    Settings(String),
}

impl ClientError {
    /// Whether the broker answered with an error of its own (4xx/5xx).
    pub fn is_broker(&self) -> bool {
        matches!(self, ClientError::Broker(_))
    }

    /// Whether no answer came at all (connection failure or timeout).
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            ClientError::Transport { .. } | ClientError::Timeout { .. }
        )
    }

    /// The broker's error, when it answered with one.
    pub fn broker(&self) -> Option<&BrokerError> {
        match self {
            ClientError::Broker(err) => Some(err),
            _ => None,
        }
    }
}

/// An error the broker answered with («Service Broker Errors»).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BrokerError {
    /// The request, as `METHOD /path`.
    pub request: String,
    /// The status, such as 409 or 422.
    pub status: StatusCode,
    /// The body, when it was an OSB error body (empty fields otherwise).
    pub body: ErrorBody<'static>,
    /// `Retry-After`, when sent.
    pub retry_after: Option<Duration>,
}

impl BrokerError {
    /// The `error` code, such as `AsyncRequired`.
    pub fn code(&self) -> Option<&str> {
        self.body.error.as_deref()
    }

    /// The `description`.
    pub fn description(&self) -> Option<&str> {
        self.body.description.as_deref()
    }
}

impl std::fmt::Display for BrokerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the broker answered {} to {}", self.status, self.request)?;
        if let Some(code) = self.code() {
            write!(f, " ({code})")?;
        }
        if let Some(description) = self.description() {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}
