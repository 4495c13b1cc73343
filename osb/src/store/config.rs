//! Settings of the state layer.

use std::time::Duration;

/// How the framework's bookkeeping on a [`Store`](super::Store) behaves (see
/// [`Builder::state_config`](crate::Builder::state_config)); the defaults suit most brokers.
#[derive(Debug, Clone)]
pub struct StateConfig {
    /// `Retry-After` of polls of background work in progress (default 2 s).
    pub retry_after: Duration,
    /// How long background work may go without a heartbeat before another replica,
    /// or the restarted broker, takes it over (default 15 s; heartbeats every third).
    pub lease: Duration,
    /// How long finished deletes are remembered, so polling them answers `succeeded`
    /// (default 7 days).
    pub tombstone_ttl: Duration,
    /// How many finished deletes are remembered at most (default 100,000).
    pub tombstone_limit: usize,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            retry_after: Duration::from_secs(2),
            lease: Duration::from_secs(15),
            tombstone_ttl: Duration::from_secs(7 * 24 * 3600),
            tombstone_limit: 100_000,
        }
    }
}
