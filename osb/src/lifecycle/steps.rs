//! The steps the write paths share: waiting for a concurrent request, answering busy,
//! starting a handler call, finishing background work inline.

use crate::compiled::{CompiledCatalog, PlanEntry, PlanRef};
use crate::dispatch::BoxFuture;
use crate::error::Error;
use crate::response::completion::Completion;
use crate::store::KeyRef;

/// 422 `ConcurrencyError`: `what` is being changed by another operation.
pub(super) fn busy(what: &str) -> Error {
    Error::concurrency_error().with_description(format!(
        "{what} is being changed by another operation; retry when it has finished"
    ))
}

/// How long a synchronous request waits for a concurrent one creating the same
/// resource: at most [`Waits::MAX`] pauses of 10 ms.
#[derive(Default)]
pub(super) struct Waits(usize);

impl Waits {
    pub(super) const MAX: usize = 100;

    /// Pauses and says `true`, or says `false` when the time is up.
    pub(super) async fn wait(&mut self) -> bool {
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
pub(super) async fn finish_inline(
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
/// hand-written [`Broker`](crate::broker::Broker) may run code before returning its future)
/// is the call's failure, as [`run`](super::runner::run) makes one while it runs.
pub(super) fn start_call<'a, T>(
    key: KeyRef<'_>,
    start: impl FnOnce() -> BoxFuture<'a, T>,
) -> Result<BoxFuture<'a, T>, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(start)).map_err(|_| {
        let key = key.to_owned();
        tracing::error!(%key, "a handler panicked before returning its future");
        Error::new(crate::error::ErrorKind::Internal)
    })
}

/// How often a request whose claim lost the race to a concurrent change of the same
/// resource reads again and decides anew: identical requests racing each other must
/// all get the answer of the one that won («Deprovisioning», «Updating»: 202 with the
/// same operation), not a `ConcurrencyError` for having been second.
#[derive(Default)]
pub(super) struct Races(usize);

impl Races {
    /// At most this many reads after lost races; each lost race means another request
    /// changed the resource, so these end quickly unless it keeps changing.
    const MAX: usize = 8;

    /// Counts a lost race; `false` when the request should give up.
    pub(super) fn lost(&mut self) -> bool {
        self.0 += 1;
        self.0 < Self::MAX
    }
}

/// A change lost to a concurrent one: the request must not apply it.
pub(super) fn lost_race(what: &str) -> Error {
    busy(what)
}

/// What a provision or bind does next about the resource already stored under its id,
/// once the stored record is dropped (see `Existing`).
#[derive(Clone, Copy)]
pub(super) enum Step {
    /// Nothing is stored: insert.
    Insert,
    /// A failed resource, at this version: delete it and start again.
    Forget(i64),
    /// It is being created by another request: wait for that one, or answer busy.
    Wait,
}

/// A provision's or bind's decision about a stored resource: an answer, or a step.
pub(super) enum Existing<T> {
    /// Answer the request with this.
    Answer(Result<T, Error>),
    /// Go on with this step.
    Step(Step),
}

/// The plan a resource was created with, when a delete names another: the store
/// knows better than the request which handler deletes it and whether that is
/// asynchronous. `None` when the request names the stored plan, or when the stored
/// plan left the catalog (the request's plan has to do then).
pub(super) fn stored_plan<'a>(
    catalog: &'a CompiledCatalog,
    stored: &str,
    requested: &str,
) -> Option<(PlanRef, &'a PlanEntry)> {
    if stored == requested {
        return None;
    }
    catalog.plan_by_id(stored)
}
