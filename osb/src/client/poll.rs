//! Waiting for an asynchronous operation: polling `last_operation` as the
//! specification asks («Polling Last Operation»).

use std::time::{Duration, Instant};

use http::StatusCode;

use super::{Client, ClientError, Polled};
use crate::catalog::Plan;
use crate::response::OperationState;
use crate::wire::LastOperationBody;

/// How to wait for an operation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Wait {
    /// How long to poll before giving up: the plan's `maximum_polling_duration`, or
    /// what the caller allows.
    pub timeout: Duration,
    /// How long to wait between polls when the broker sends no `Retry-After`.
    pub interval: Duration,
    /// Whether a `410 Gone` ends the wait well: it does for a deprovision or an
    /// unbind, whose resource is gone once done («Polling Last Operation», 410).
    pub gone_is_done: bool,
}

impl Default for Wait {
    /// One hour, polling every 2 seconds.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3600),
            interval: Duration::from_secs(2),
            gone_is_done: false,
        }
    }
}

impl Wait {
    /// The plan's `maximum_polling_duration` when it has one, else one hour.
    pub fn for_plan(plan: &Plan) -> Self {
        let mut wait = Self::default();
        if let Some(seconds) = plan.maximum_polling_duration {
            wait.timeout = Duration::from_secs(seconds);
        }
        wait
    }

    /// Polls at most for `timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Polls every `interval` unless the broker sends `Retry-After`.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// For a deprovision or an unbind: `410 Gone` means done.
    #[must_use]
    pub fn deleting(mut self) -> Self {
        self.gone_is_done = true;
        self
    }

    /// Polls until the state is no longer `in progress`, calling `progress` with
    /// every answer; sleeps for `Retry-After` when the broker sends one (never
    /// beyond the deadline).
    async fn run<F, P>(
        &self,
        mut poll: F,
        mut progress: impl FnMut(&LastOperationBody<'_>),
    ) -> Result<LastOperationBody<'static>, ClientError>
    where
        F: FnMut() -> P,
        P: Future<Output = Result<Polled, ClientError>>,
    {
        let deadline = Instant::now() + self.timeout;
        loop {
            let polled = match poll().await {
                Ok(polled) => polled,
                Err(ClientError::Broker(err))
                    if self.gone_is_done && err.status == StatusCode::GONE =>
                {
                    let mut done = LastOperationBody::new(OperationState::Succeeded);
                    done.description = Some("gone (410)".into());
                    progress(&done);
                    return Ok(done);
                }
                Err(err) => return Err(err),
            };
            progress(&polled.body);
            if polled.body.state != OperationState::InProgress {
                return Ok(polled.body);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ClientError::StillInProgress(self.timeout));
            }
            let pause = polled.retry_after.unwrap_or(self.interval);
            tokio::time::sleep(pause.min(deadline - now)).await;
        }
    }
}

impl Client {
    /// Polls an instance's operation until it ends; returns its last state
    /// (`succeeded` or `failed`).
    pub async fn wait_for_instance(
        &self,
        instance_id: &str,
        operation: Option<&str>,
        wait: &Wait,
        progress: impl FnMut(&LastOperationBody<'_>),
    ) -> Result<LastOperationBody<'static>, ClientError> {
        wait.run(|| self.last_operation(instance_id, operation), progress)
            .await
    }

    /// Polls a binding's operation until it ends; returns its last state.
    pub async fn wait_for_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
        operation: Option<&str>,
        wait: &Wait,
        progress: impl FnMut(&LastOperationBody<'_>),
    ) -> Result<LastOperationBody<'static>, ClientError> {
        wait.run(
            || self.binding_last_operation(instance_id, binding_id, operation),
            progress,
        )
        .await
    }
}
