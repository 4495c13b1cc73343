//! Background work: run it, keep its lease alive, record its end.

use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use futures_util::FutureExt as _;

use crate::error::{Error, ErrorKind};
use crate::response::binding::Binding;
use crate::response::{Background, OperationState};
use crate::store::{KeyRef, OperationKind, ResourceKey};

use super::settle::{Ended, settle};
use super::shared::{Lifecycle, now_ms};

/// Runs `work` (an operation of `kind`) for the resource under `key`, then records how
/// it ended (and, for a bind, the binding `made` of what the work returned).
pub(super) fn spawn<T: Send + 'static>(
    lifecycle: &Arc<Lifecycle>,
    kind: OperationKind,
    key: ResourceKey,
    operation: String,
    work: Background<T>,
    made: fn(T) -> Option<Binding>,
) {
    let lifecycle = lifecycle.clone();
    crate::metrics::async_started(kind.as_str());
    tokio::spawn(async move {
        let state = &*lifecycle;
        let mut work = work.0;
        let result = run(state, (&key).into(), &operation, work.as_mut()).await;
        crate::metrics::async_finished(kind.as_str(), result.is_ok());
        let ended = match result {
            Ok(result) => Ended::Succeeded(made(result)),
            Err(err) => Ended::Failed(err),
        };
        if let Err(err) = settle(state, (&key).into(), Some(&operation), ended).await {
            tracing::error!(error = %err, %key, "could not record the end of an operation");
        }
    });
}

/// Awaits `work` (a handler call or background work), renewing the operation's
/// heartbeat meanwhile; a panic is a failure.
///
/// `work` is pinned by the caller: taken by value, it would be stored twice in this
/// future (as the argument and as the pinned local), and every write request
/// allocates and copies its whole future once.
pub(super) async fn run<T>(
    state: &Lifecycle,
    key: KeyRef<'_>,
    operation: impl fmt::Display + Copy + Send + Sync,
    work: Pin<&mut (impl Future<Output = Result<T, Error>> + Send + ?Sized)>,
) -> Result<T, Error> {
    let ended = |result: std::thread::Result<Result<T, Error>>| {
        result.unwrap_or_else(|_| {
            let key = key.to_owned();
            tracing::error!(%key, %operation, "a handler or background work panicked");
            Err(Error::new(ErrorKind::Internal))
        })
    };
    let work = AssertUnwindSafe(work).catch_unwind();
    tokio::pin!(work);
    // Most handler calls finish in their first poll: they need no heartbeat, and a
    // timer registered and cancelled on every request would cost more than the call.
    if let Poll::Ready(result) = poll_fn(|cx| Poll::Ready(work.as_mut().poll(cx))).await {
        return ended(result);
    }
    // It goes on: from now on the sweep must be able to find it.
    state.store.mark_running(key);
    // Boxed: the heartbeat's timer and its select only exist for the calls that
    // need them, not in every write request's future.
    ended(Box::pin(with_heartbeat(state, key, operation, work.as_mut())).await)
}

/// Awaits `work`, renewing the operation's heartbeat every third of a lease.
async fn with_heartbeat<R>(
    state: &Lifecycle,
    key: KeyRef<'_>,
    operation: impl fmt::Display,
    mut work: Pin<&mut (impl Future<Output = R> + Send + ?Sized)>,
) -> R {
    // The id's text, which the heartbeats compare with the stored one: only work that
    // goes on past its first poll needs it written.
    let operation = operation.to_string();
    // A zero lease (a configuration mistake) must not make a zero period, which
    // `interval` refuses.
    let period = (state.config.lease / 3).max(std::time::Duration::from_millis(1));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            result = &mut work => return result,
            // Boxed: a heartbeat every third of a lease does not need to make every
            // handler call's future (allocated and copied per request) bigger.
            _ = ticker.tick() => Box::pin(heartbeat(state, &key.to_owned(), &operation)).await,
        }
    }
}

/// Tells other replicas the work of `operation` is alive. The version stays: a
/// heartbeat must not make the runner's own later change look concurrent; a change by
/// anyone else (a takeover bumps the version) makes the heartbeat's write fail.
async fn heartbeat(state: &Lifecycle, key: &ResourceKey, operation: &str) {
    let result = async {
        let Some(mut record) = state.store.load(key.into()).await? else {
            return Ok(());
        };
        match record.operation_mut() {
            Some(op)
                if op.id.as_deref() == Some(operation)
                    && op.state == OperationState::InProgress =>
            {
                op.heartbeat_at = now_ms();
            }
            _ => return Ok(()),
        }
        let version = record.version();
        state.store.save(&record, version).await.map(|_| ())
    }
    .await;
    if let Err(err) = result {
        tracing::warn!(error = %err, %key, "could not renew the lease of background work");
    }
}
