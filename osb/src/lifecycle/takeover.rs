//! Taking over work whose runner stopped: found by its stale lease, claimed by one
//! replica, resumed through the broker's `resume` or failed.

use std::sync::{Arc, Weak};

use crate::error::Error;
use crate::request::Interrupted;
use crate::response::Background;
use crate::response::OperationState;
use crate::response::Resumed;
use crate::store::ResourceKey;

use super::runner::spawn;
use super::shared::{Lifecycle, now_ms};

/// Starts the sweeper that takes over interrupted background work, once.
pub(super) fn start_sweeper(lifecycle: &Arc<Lifecycle>) {
    lifecycle.sweeper.call_once(|| {
        tokio::spawn(sweep(Arc::downgrade(lifecycle)));
    });
}

/// Looks for background work nobody runs any more, forever (until the router goes
/// away), first at once and then every half lease.
async fn sweep(lifecycle: Weak<Lifecycle>) {
    loop {
        let Some(state) = lifecycle.upgrade() else {
            return;
        };
        // A lease older than the lease time, or held by a process that is known to
        // be gone (one that used the store before this one had it to itself).
        let stale_before = now_ms()
            .saturating_sub(state.lease_ms())
            .max(state.store.sole_user_since().unwrap_or(i64::MIN));
        match state.store.stale_operations(stale_before).await {
            Ok(keys) => {
                for key in keys {
                    take_over(&state, key, stale_before).await;
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not look for interrupted work"),
        }
        // Not zero even for a zero lease: the loop would spin.
        let period = (state.config.lease / 2).max(std::time::Duration::from_millis(1));
        drop(state);
        tokio::time::sleep(period).await;
    }
}

/// Claims interrupted work (a heartbeat written at the version read: only one replica
/// wins) and resumes it through the broker's `resume`, or fails it.
async fn take_over(lifecycle: &Arc<Lifecycle>, key: ResourceKey, stale_before: i64) {
    let claimed = match claim(lifecycle, &key, stale_before).await {
        Ok(claimed) => claimed,
        Err(err) => {
            tracing::warn!(error = %err, %key, "could not claim interrupted work");
            return;
        }
    };
    let Some(interrupted) = claimed else {
        return;
    };
    tracing::info!(%key, kind = interrupted.kind.as_str(), "resuming interrupted work");
    // The plan as the store kept it.
    let broker = lifecycle
        .catalog()
        .plan_by_id(&interrupted.plan_id)
        .map(|(_, plan)| plan.broker);
    let operation = interrupted.operation.clone().unwrap_or_default();
    let kind = interrupted.kind;
    let work = match broker {
        Some(broker) => {
            let lifecycle = lifecycle.clone();
            Background::new(
                async move { lifecycle.direct.broker(broker).resume(interrupted).await },
            )
        }
        None => Background::new(async {
            Err(Error::failed(
                "The plan of this resource is no longer in the catalog.",
            ))
        }),
    };
    spawn(
        lifecycle,
        kind,
        key,
        operation,
        work,
        |resumed| match resumed {
            Resumed::Completed => None,
            Resumed::Bound(binding) => Some(binding),
        },
    );
}

async fn claim(
    state: &Lifecycle,
    key: &ResourceKey,
    stale_before: i64,
) -> Result<Option<Interrupted>, Error> {
    let Some(mut record) = state.store.load(key.into()).await? else {
        return Ok(None);
    };
    let Some(op) = record.operation_mut() else {
        return Ok(None);
    };
    if !(op.runner && op.state == OperationState::InProgress && op.heartbeat_at < stale_before) {
        return Ok(None);
    }
    op.heartbeat_at = now_ms();
    let interrupted = record.interrupted();
    // A new version: of replicas claiming at once, one wins.
    let expected = record.version();
    *record.head().version += 1;
    Ok(state
        .store
        .save(&record, expected)
        .await?
        .then_some(interrupted)
        .flatten())
}
