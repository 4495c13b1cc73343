//! What every operation of the lifecycle shares: the brokers, the store and its
//! settings, operation ids, the sweeper, the clock.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::compiled::CompiledCatalog;
use crate::dispatch::Direct;
use crate::store::OperationKind;
use crate::store::StateConfig;
use crate::store::operation_id::OperationId;

use super::handle::StoreHandle;

/// The brokers, the store and its settings, shared by all requests of a router.
pub(crate) struct Lifecycle {
    /// The brokers, called once the store decided a request needs them.
    pub(crate) direct: Direct,
    pub(crate) store: StoreHandle,
    pub(crate) config: StateConfig,
    counter: AtomicU64,
    /// Started once: when the router is built inside a runtime, else by the first
    /// request (a runtime exists then).
    pub(super) sweeper: Once,
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

impl Lifecycle {
    /// The lifecycle of `direct`'s brokers over `store`, its sweeper not started.
    pub(super) fn new(direct: Direct, store: StoreHandle, config: StateConfig) -> Self {
        Self {
            direct,
            store,
            config,
            counter: AtomicU64::new(0),
            sweeper: Once::new(),
        }
    }

    /// The catalog.
    pub(crate) fn catalog(&self) -> &CompiledCatalog {
        self.direct.catalog()
    }

    /// An operation id for work the framework runs, started at `now` (Unix
    /// milliseconds, the time the caller records for the operation: one clock read
    /// for both): unique per resource and run.
    pub(crate) fn operation_id(&self, kind: OperationKind, now: i64) -> OperationId {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        OperationId::new(kind, u64::try_from(now).unwrap_or(0), n)
    }

    /// How long a runner's lease lasts, in milliseconds.
    pub(crate) fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::now_ms;

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
