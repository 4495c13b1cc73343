//! How a resource's record changes when an operation on it ends: the one place the
//! request path, the runner and the takeover record an end.

use serde_json::value::RawValue;

use crate::api::Endpoint;
use crate::error::Error;
use crate::response::OperationState;
use crate::response::binding::Binding;
use crate::response::operation::Report;
use crate::store::{
    InstanceRecord, KeyRef, OperationKind, OperationRecord, ResourceState, Tombstone,
};

use super::record::Record;

use super::shared::{Lifecycle, now_ms};

/// How a broker-run or background operation ended.
pub(super) enum Ended {
    /// It succeeded; for a bind, with the binding.
    Succeeded(Option<Binding>),
    /// It failed.
    Failed(Error),
}

impl Ended {
    /// How a broker's answer to a poll says its operation ended.
    pub(super) fn from_report(answer: &impl Report) -> Self {
        match answer.report_state() {
            OperationState::Succeeded => Ended::Succeeded(None),
            _ => Ended::Failed(Error::failed(
                answer
                    .report_description()
                    .unwrap_or("The operation failed.")
                    .to_owned(),
            )),
        }
    }
}

async fn prune(state: &Lifecycle, now: i64) {
    let ttl = i64::try_from(state.config.tombstone_ttl.as_millis()).unwrap_or(i64::MAX);
    if let Err(err) = state
        .store
        .prune_tombstones(now.saturating_sub(ttl), state.config.tombstone_limit)
        .await
    {
        tracing::warn!(error = %err, "could not forget old tombstones");
    }
}

/// Applies a finished update's pending changes to the record.
pub(super) fn apply_update(record: &mut InstanceRecord, context: Option<Box<RawValue>>) {
    if let Some(pending) = record.pending.take() {
        if let Some(plan_id) = pending.plan_id {
            record.plan_id = plan_id;
        }
        if let Some(parameters) = pending.parameters {
            record.parameters = Some(parameters);
        }
        if let Some(version) = pending.maintenance_version {
            record.maintenance_version = Some(version);
        }
    }
    if let Some(context) = context {
        record.context = Some(context);
    }
    record.state = ResourceState::Ready;
}

/// Deletes the resource under `key`. An asynchronous delete leaves a tombstone, so
/// polling it answers `succeeded`; after a synchronous one, polling answers 404
/// («Polling Last Operation»: the resource does not exist).
pub(super) async fn finish_delete(
    state: &Lifecycle,
    key: KeyRef<'_>,
    expected: i64,
    now: i64,
    tombstone: bool,
) -> Result<bool, Error> {
    let tombstone = tombstone.then(|| Tombstone {
        instance_id: key.instance_id().to_owned(),
        binding_id: key.binding_id().map(str::to_owned),
        operation: OperationRecord::finished(delete_kind(key), now),
        deleted_at: now,
    });
    let deleted = state
        .store
        .delete(key, expected, tombstone.as_ref())
        .await?;
    if tombstone.is_some() {
        prune(state, now).await;
    }
    Ok(deleted)
}

/// The operation that deletes what `key` names.
pub(super) fn delete_kind(key: KeyRef<'_>) -> OperationKind {
    match key {
        KeyRef::Instance(_) => OperationKind::Deprovision,
        KeyRef::Binding(..) => OperationKind::Unbind,
    }
}

/// Records how the operation `operation` on `key` ended, if it is still the
/// operation in progress.
pub(super) async fn settle(
    state: &Lifecycle,
    key: KeyRef<'_>,
    operation: Option<&str>,
    ended: Ended,
) -> Result<(), Error> {
    for _ in 0..8 {
        let Some(mut record) = state.store.load(key).await? else {
            return Ok(());
        };
        let now = now_ms();
        let expected = record.version();
        let head = record.head();
        let Some(op) = head.operation.as_mut() else {
            return Ok(());
        };
        if op.state != OperationState::InProgress || op.id.as_deref() != operation {
            // Someone else recorded its end already.
            return Ok(());
        }
        *head.version += 1;
        op.heartbeat_at = now;
        let kind = op.kind;
        match &ended {
            Ended::Succeeded(_) if kind == delete_kind(key) => {
                if finish_delete(state, key, expected, now, true).await? {
                    return Ok(());
                }
                continue;
            }
            Ended::Succeeded(made) => {
                op.state = OperationState::Succeeded;
                *head.state = ResourceState::Ready;
                match &mut record {
                    Record::Instance(instance) if kind == OperationKind::Update => {
                        apply_update(instance, None);
                    }
                    Record::Binding(binding) => {
                        if let Some(made) = made {
                            binding.response = crate::raw_json::to_raw_value(made).ok();
                        }
                    }
                    Record::Instance(_) => {}
                }
            }
            Ended::Failed(err) => {
                op.state = OperationState::Failed;
                op.description = Some(err.description().to_owned());
                // Whatever failed to be created stays failed, for the platform to
                // delete or retry; anything else is as it was.
                *head.state = match kind {
                    OperationKind::Provision | OperationKind::Bind => ResourceState::Failed,
                    _ => ResourceState::Ready,
                };
                if let Record::Instance(instance) = &mut record {
                    if let Some(op) = instance.operation.as_mut() {
                        op.instance_usable = err.instance_usable_on(Endpoint::Update);
                        op.update_repeatable = err.update_repeatable_on(Endpoint::Update);
                    }
                    instance.pending = None;
                }
            }
        }
        if state.store.save(&record, expected).await? {
            return Ok(());
        }
    }
    Err(Error::concurrency_error())
}
