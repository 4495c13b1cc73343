//! Work that must run to its end even if the request that started it is dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tracing::{Instrument, Span};

/// Runs a change of the store and the handler call it wraps to its end, even if the
/// client hangs up: dropped before it finishes, it moves what is left of `work` to a
/// task of its own (the store would otherwise be left claiming an operation nobody
/// runs until its lease expires).
///
/// Polled in place, not spawned: most requests finish in their first poll, and a task
/// per request cost a task allocation, a copy of the state machine, a wake-up through
/// the scheduler and a join handle (about 5,000 instructions of a provision's 90,000).
/// The one allocation left is the box that lets a started `work` move to a task.
pub(crate) fn detached<F>(work: F) -> Detached<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Detached {
        work: Some(Box::pin(work)),
    }
}

/// The future of [`detached`].
pub(crate) struct Detached<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// `None` once it has finished, or panicked (nothing is left to run then).
    work: Option<Pin<Box<F>>>,
}

impl<F> Future for Detached<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Taken out while it runs: if `work` panics, it is dropped on the way out and
        // the drop below has nothing to resume.
        let Some(mut work) = self.work.take() else {
            // Polled after it finished: only `.await` polls it, so this cannot
            // happen; a pending answer rather than a panic if it ever did.
            return Poll::Pending;
        };
        match work.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(output),
            Poll::Pending => {
                self.work = Some(work);
                Poll::Pending
            }
        }
    }
}

impl<F> Drop for Detached<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn drop(&mut self) {
        let Some(work) = self.work.take() else {
            return;
        };
        // Without a runtime (it is shutting down) no task could run it either.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // Dropped inside the request's span (the span's future enters it while
            // dropping what it wraps), so the rest keeps the request's fields.
            runtime.spawn(
                async move {
                    work.await;
                }
                .instrument(Span::current()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn work_dropped_halfway_runs_to_its_end() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let work = detached(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            flag.store(true, Ordering::SeqCst);
        });
        // The request gives up before the work is done.
        let cut = tokio::time::timeout(Duration::from_millis(5), work).await;
        assert!(cut.is_err());
        assert!(!finished.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(finished.load(Ordering::SeqCst), "the rest ran on a task");
    }

    #[tokio::test]
    async fn work_that_finishes_at_once_answers_in_place() {
        assert_eq!(detached(async { 7 }).await, 7);
    }

    #[tokio::test]
    async fn work_that_panicked_is_not_resumed() {
        let polls = Arc::new(AtomicUsize::new(0));
        let counter = polls.clone();
        let mut work = Box::pin(detached(async move {
            counter.fetch_add(1, Ordering::SeqCst);
            panic!("the handler panicked");
        }));
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let waker = futures_util::task::noop_waker();
            let _ = work.as_mut().poll(&mut Context::from_waker(&waker));
        }));
        assert!(caught.is_err());
        drop(work);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(polls.load(Ordering::SeqCst), 1);
    }
}
