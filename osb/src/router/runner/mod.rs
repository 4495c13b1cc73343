//! Background work: run it, keep its lease alive, record its end; and take over work
//! whose runner stopped (a restart, a crashed replica), by resuming or failing it.

mod record;
mod takeover;

pub(crate) use takeover::sweep;

use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use futures_util::FutureExt as _;

use crate::error::Error;
use crate::response::Background;
use crate::response::OperationState;
use crate::response::binding::Binding;
use crate::store::{OperationKind, ResourceKey, ResourceState};

use super::Shared;
use super::stateful::{Ended, StateLayer, apply_update, finish_delete, finish_unbind, now_ms};

use record::Record;

fn lease_ms(state: &StateLayer) -> i64 {
    i64::try_from(state.config.lease.as_millis()).unwrap_or(i64::MAX)
}

/// Runs `work` for instance `instance_id`, then records how it ended.
pub(crate) fn spawn_instance(
    shared: &Arc<Shared>,
    instance_id: String,
    operation: String,
    work: Background<()>,
) {
    let shared = shared.clone();
    tokio::spawn(async move {
        let Some(state) = &shared.state else {
            return;
        };
        let mut work = work.0;
        let key = KeyRef::Instance(&instance_id);
        let ended = match run(state, key, &operation, work.as_mut()).await {
            Ok(()) => Ended::Succeeded(None),
            Err(err) => Ended::Failed(err),
        };
        if let Err(err) = settle_instance(state, &instance_id, Some(&operation), ended).await {
            tracing::error!(error = %err, instance_id, "could not record the end of an operation");
        }
    });
}

/// Runs `work` for a binding, then records how it ended (and the binding it made).
pub(crate) fn spawn_binding(
    shared: &Arc<Shared>,
    instance_id: String,
    binding_id: String,
    operation: String,
    work: Background<Option<Binding>>,
) {
    let shared = shared.clone();
    tokio::spawn(async move {
        let Some(state) = &shared.state else {
            return;
        };
        let mut work = work.0;
        let key = KeyRef::Binding(&instance_id, &binding_id);
        let ended = match run(state, key, &operation, work.as_mut()).await {
            Ok(binding) => Ended::Succeeded(binding),
            Err(err) => Ended::Failed(err),
        };
        if let Err(err) =
            settle_binding(state, &instance_id, &binding_id, Some(&operation), ended).await
        {
            tracing::error!(error = %err, instance_id, binding_id, "could not record the end of an operation");
        }
    });
}

/// The resource an operation runs on, borrowed: a handler call finishes in its first
/// poll as a rule, so the owned [`ResourceKey`] is built only when it is needed (a
/// heartbeat, a panic to log).
#[derive(Clone, Copy)]
pub(crate) enum KeyRef<'a> {
    /// An instance.
    Instance(&'a str),
    /// A binding: instance id, binding id.
    Binding(&'a str, &'a str),
}

impl<'a> From<&'a ResourceKey> for KeyRef<'a> {
    fn from(key: &'a ResourceKey) -> Self {
        match key {
            ResourceKey::Instance(id) => KeyRef::Instance(id),
            ResourceKey::Binding(instance, binding) => KeyRef::Binding(instance, binding),
        }
    }
}

impl KeyRef<'_> {
    /// The owned key.
    pub(crate) fn to_owned(self) -> ResourceKey {
        match self {
            KeyRef::Instance(id) => ResourceKey::Instance(id.to_owned()),
            KeyRef::Binding(instance, binding) => {
                ResourceKey::Binding(instance.to_owned(), binding.to_owned())
            }
        }
    }
}

/// Awaits `work` (a handler call or background work), renewing the operation's
/// heartbeat meanwhile; a panic is a failure.
///
/// `work` is pinned by the caller: taken by value, it would be stored twice in this
/// future (as the argument and as the pinned local), and every write request
/// allocates and copies its whole future once.
pub(crate) async fn run<T>(
    state: &StateLayer,
    key: KeyRef<'_>,
    operation: impl fmt::Display + Copy + Send + Sync,
    work: Pin<&mut (impl Future<Output = Result<T, Error>> + Send + ?Sized)>,
) -> Result<T, Error> {
    let ended = |result: std::thread::Result<Result<T, Error>>| {
        result.unwrap_or_else(|_| {
            let key = key.to_owned();
            tracing::error!(%key, %operation, "a handler or background work panicked");
            Err(Error::new(crate::error::ErrorKind::Internal))
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
    state: &StateLayer,
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
async fn heartbeat(state: &StateLayer, key: &ResourceKey, operation: &str) {
    let result = async {
        let Some(mut record) = Record::load(state, key).await? else {
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
        record.save(state, version).await.map(|_| ())
    }
    .await;
    if let Err(err) = result {
        tracing::warn!(error = %err, %key, "could not renew the lease of background work");
    }
}

/// Records how an instance operation ended, if it is still the operation in progress.
pub(crate) async fn settle_instance(
    state: &StateLayer,
    instance_id: &str,
    operation: Option<&str>,
    ended: Ended,
) -> Result<(), Error> {
    for _ in 0..8 {
        let Some(mut record) = state.store.instance(instance_id).await? else {
            return Ok(());
        };
        let Some(op) = record.operation.as_mut() else {
            return Ok(());
        };
        if op.state != OperationState::InProgress || op.id.as_deref() != operation {
            // Someone else recorded its end already.
            return Ok(());
        }
        let now = now_ms();
        let expected = record.version;
        record.version += 1;
        op.heartbeat_at = now;
        let kind = op.kind;
        match (&ended, kind) {
            (Ended::Succeeded(_), OperationKind::Deprovision) => {
                if finish_delete(state, instance_id, expected, now, true).await? {
                    return Ok(());
                }
                continue;
            }
            (Ended::Succeeded(_), _) => {
                op.state = OperationState::Succeeded;
                if kind == OperationKind::Update {
                    apply_update(&mut record, None);
                } else {
                    record.state = ResourceState::Ready;
                }
            }
            (Ended::Failed(err), _) => {
                op.state = OperationState::Failed;
                op.description = Some(err.description().to_owned());
                op.instance_usable = err.instance_usable_on(crate::api::Endpoint::Update);
                op.update_repeatable = err.update_repeatable_on(crate::api::Endpoint::Update);
                record.state = match kind {
                    OperationKind::Provision => ResourceState::Failed,
                    _ => ResourceState::Ready,
                };
                record.pending = None;
            }
        }
        if state.store.update_instance(&record, expected).await? {
            return Ok(());
        }
    }
    Err(Error::concurrency_error())
}

/// Records how a binding operation ended, if it is still the operation in progress.
pub(crate) async fn settle_binding(
    state: &StateLayer,
    instance_id: &str,
    binding_id: &str,
    operation: Option<&str>,
    ended: Ended,
) -> Result<(), Error> {
    for _ in 0..8 {
        let Some(mut record) = state.store.binding(instance_id, binding_id).await? else {
            return Ok(());
        };
        let Some(op) = record.operation.as_mut() else {
            return Ok(());
        };
        if op.state != OperationState::InProgress || op.id.as_deref() != operation {
            return Ok(());
        }
        let now = now_ms();
        let expected = record.version;
        record.version += 1;
        op.heartbeat_at = now;
        let kind = op.kind;
        match &ended {
            Ended::Succeeded(_) if kind == OperationKind::Unbind => {
                if finish_unbind(state, instance_id, binding_id, expected, now, true).await? {
                    return Ok(());
                }
                continue;
            }
            Ended::Succeeded(binding) => {
                op.state = OperationState::Succeeded;
                record.state = ResourceState::Ready;
                if let Some(binding) = binding {
                    record.response = crate::raw_json::to_raw_value(binding).ok();
                }
            }
            Ended::Failed(err) => {
                op.state = OperationState::Failed;
                op.description = Some(err.description().to_owned());
                record.state = match kind {
                    OperationKind::Bind => ResourceState::Failed,
                    _ => ResourceState::Ready,
                };
            }
        }
        if state.store.update_binding(&record, expected).await? {
            return Ok(());
        }
    }
    Err(Error::concurrency_error())
}
