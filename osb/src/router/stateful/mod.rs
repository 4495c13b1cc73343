//! The specification's bookkeeping on top of a [`Store`](crate::store::Store), for
//! every broker of a router built with a store: idempotent provision and bind, 410
//! for deleting what does not exist, fetch and `last_operation` answered from the
//! store, `ConcurrencyError` for conflicting changes, and work run in the background.
//!
//! Handlers only see requests that need real work. Every decision is a conditional
//! change of the store (insert if absent, update or delete at the version read), so
//! it holds across replicas sharing one database.

mod backend;
mod bindings;
mod instances;
mod reads;

pub(crate) use backend::StoreHandle;
use backend::{ClaimedBinding, ClaimedInstance};

pub(crate) use bindings::{bind, finish_unbind, unbind};
pub(crate) use instances::{apply_update, deprovision, finish_delete, provision, update};
pub(crate) use reads::{binding_last_operation, fetch_binding, fetch_instance, last_operation};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::response::OperationState;
use crate::response::binding::Binding;
use crate::response::completion::Completion;
use crate::response::operation::{BindingOperationReport, OperationReport};
use crate::store::operation_id::OperationId;
use crate::store::{OperationKind, StateConfig};

use super::Shared;
use super::erased::BoxFuture;
use super::runner::KeyRef;

/// The store and its settings, shared by all requests of a router.
pub(crate) struct StateLayer {
    pub(crate) store: StoreHandle,
    pub(crate) config: StateConfig,
    counter: AtomicU64,
    /// Started once, by the first request (a runtime exists then).
    sweeper: std::sync::Once,
}

/// Now, in Unix milliseconds. Seconds and the milliseconds of the last one rather
/// than `Duration::as_millis`, whose `u128` division is a library call: every write
/// asks the time two or three times.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
        i64::try_from(d.as_secs())
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000)
            .saturating_add(i64::from(d.subsec_millis()))
    })
}

fn busy(what: &str) -> Error {
    Error::concurrency_error().with_description(format!(
        "{what} is being changed by another operation; retry when it has finished"
    ))
}

/// How long a synchronous request waits for a concurrent one creating the same
/// resource: at most [`Waits::MAX`] pauses of 10 ms.
#[derive(Default)]
struct Waits(usize);

impl Waits {
    const MAX: usize = 100;

    /// Pauses and says `true`, or says `false` when the time is up.
    async fn wait(&mut self) -> bool {
        if self.0 >= Self::MAX {
            return false;
        }
        self.0 += 1;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        true
    }
}

/// «Synchronous and Asynchronous Operations»: a client that did not send
/// `accepts_incomplete=true` cannot be answered 202. Background work a handler
/// returns for it (a plan that is not `async_only` may do either) runs before the
/// answer, still under the operation's lease.
async fn finish_inline(
    outcome: Completion<()>,
    accepts_incomplete: bool,
) -> Result<Completion<()>, Error> {
    match outcome {
        Completion::Background(work) if !accepts_incomplete => {
            work.0.await?;
            Ok(Completion::Done(()))
        }
        other => Ok(other),
    }
}

/// Starts a handler call: the broker's future, boxed, created here rather than in
/// the future that awaits it so the request is not held twice in a write's state
/// machine (once as an argument, once captured). A panic while creating it (a
/// hand-written [`Broker`](crate::Broker) may run code before returning its future)
/// is the call's failure, as [`runner::run`](super::runner::run) makes one while it runs.
fn start_call<'a, T>(
    key: KeyRef<'_>,
    start: impl FnOnce() -> BoxFuture<'a, T>,
) -> Result<BoxFuture<'a, T>, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(start)).map_err(|_| {
        let key = key.to_owned();
        tracing::error!(%key, "a handler panicked before returning its future");
        Error::new(crate::error::ErrorKind::Internal)
    })
}

/// A change lost to a concurrent one: the request must not apply it.
fn lost_race(what: &str) -> Error {
    busy(what)
}

impl StateLayer {
    pub(crate) fn new(store: StoreHandle, config: StateConfig) -> Self {
        Self {
            store,
            config,
            counter: AtomicU64::new(0),
            sweeper: std::sync::Once::new(),
        }
    }

    /// An operation id for work the framework runs, started at `now` (Unix
    /// milliseconds, the time the caller records for the operation: one clock read
    /// for both): unique per resource and run.
    fn operation_id(&self, kind: OperationKind, now: i64) -> OperationId {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        OperationId::new(kind, u64::try_from(now).unwrap_or(0), n)
    }

    /// Starts the sweeper that takes over interrupted background work, once.
    pub(crate) fn start_sweeper(&self, shared: &Arc<Shared>) {
        self.sweeper.call_once(|| {
            let shared = Arc::downgrade(shared);
            tokio::spawn(super::runner::sweep(shared));
        });
    }
}

/// What a provision or bind does next about the resource already stored under its id,
/// once the stored record is dropped (see `Existing`).
#[derive(Clone, Copy)]
pub(crate) enum Step {
    /// Nothing is stored: insert.
    Insert,
    /// A failed resource, at this version: delete it and start again.
    Forget(i64),
    /// It is being created by another request: wait for that one, or answer busy.
    Wait,
}

/// A provision's or bind's decision about a stored resource: an answer, or a step.
pub(crate) enum Existing<T> {
    /// Answer the request with this.
    Answer(Result<T, Error>),
    /// Go on with this step.
    Step(Step),
}

/// How a broker-run or background operation ended.
pub(crate) enum Ended {
    /// It succeeded; for a bind, with the binding.
    Succeeded(Option<Binding>),
    /// It failed.
    Failed(Error),
}

impl Ended {
    fn from_status(answer: &OperationReport) -> Self {
        match answer.state() {
            OperationState::Succeeded => Ended::Succeeded(None),
            _ => Ended::Failed(answer_error(answer.description_text())),
        }
    }

    fn from_binding_status(answer: &BindingOperationReport) -> Self {
        match answer.state() {
            OperationState::Succeeded => Ended::Succeeded(None),
            _ => Ended::Failed(answer_error(answer.description_text())),
        }
    }
}

fn answer_error(description: Option<&str>) -> Error {
    Error::failed(description.unwrap_or("The operation failed.").to_owned())
}

/// The plan a resource was created with, when a delete names another: the store
/// knows better than the request which handler deletes it and whether that is
/// asynchronous. `None` when the request names the stored plan.
/// If the stored plan left the catalog, the request's plan has to do.
fn stored_plan<'a>(
    shared: &'a Shared,
    stored: &str,
    requested: &str,
) -> Option<&'a super::index::PlanEntry> {
    if stored == requested {
        return None;
    }
    shared.index.plan(stored)
}

async fn prune(state: &StateLayer, now: i64) {
    let ttl = i64::try_from(state.config.tombstone_ttl.as_millis()).unwrap_or(i64::MAX);
    if let Err(err) = state
        .store
        .prune_tombstones(now.saturating_sub(ttl), state.config.tombstone_limit)
        .await
    {
        tracing::warn!(error = %err, "could not forget old tombstones");
    }
}

#[cfg(test)]
mod tests {
    use super::now_ms;

    fn future_size2<A, B, F: Future>(_: impl FnOnce(A, B) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    fn future_size3<A, B, C, F: Future>(_: impl FnOnce(A, B, C) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    fn future_size4<A, B, C, D, F: Future>(_: impl FnOnce(A, B, C, D) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// Every write request boxes its future once (`detached`). glibc serves blocks of
    /// up to 1,032 bytes from its per-thread cache; a larger one goes through its
    /// general allocator on every request (the bind's was 1,040 bytes before its
    /// `bind_resource` moved into the boxed request: a share of a bind's CPU time).
    /// Held to it: the writes that create a resource, one per instance and binding.
    /// Updates and deletes, rarer and with more to carry, are larger (printed).
    #[test]
    fn write_futures_fit_the_allocator_cache() {
        let creates = [
            ("provision", future_size3(super::provision)),
            ("bind", future_size4(super::bind)),
        ];
        let others = [
            ("update", future_size2(super::update)),
            ("deprovision", future_size3(super::deprovision)),
            ("unbind", future_size3(super::unbind)),
        ];
        for (route, size) in creates.iter().chain(&others) {
            println!("{route}: {size} bytes");
        }
        for (route, size) in creates {
            assert!(size <= 1032, "the {route} write future is {size} bytes");
        }
    }

    #[test]
    fn now_is_unix_milliseconds() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let now = u128::try_from(now_ms()).unwrap();
        let after = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        assert!(
            before <= now && now <= after,
            "{before} <= {now} <= {after}"
        );
    }
}
