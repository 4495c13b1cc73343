//! How a resource's record changes when an operation on it ends: the one place the
//! request path, the runner and the takeover record an end.

use serde_json::value::RawValue;

use crate::api::Endpoint;
use crate::error::Error;
use crate::response::OperationState;
use crate::response::binding::Binding;
use crate::response::operation::{BindingOperationReport, OperationReport};
use crate::store::{InstanceRecord, OperationKind, OperationRecord, ResourceState, Tombstone};

use super::shared::{Lifecycle, now_ms};

/// How a broker-run or background operation ended.
pub(super) enum Ended {
    /// It succeeded; for a bind, with the binding.
    Succeeded(Option<Binding>),
    /// It failed.
    Failed(Error),
}

impl Ended {
    pub(super) fn from_status(answer: &OperationReport) -> Self {
        match answer.state() {
            OperationState::Succeeded => Ended::Succeeded(None),
            _ => Ended::Failed(answer_error(answer.description_text())),
        }
    }

    pub(super) fn from_binding_status(answer: &BindingOperationReport) -> Self {
        match answer.state() {
            OperationState::Succeeded => Ended::Succeeded(None),
            _ => Ended::Failed(answer_error(answer.description_text())),
        }
    }
}

fn answer_error(description: Option<&str>) -> Error {
    Error::failed(description.unwrap_or("The operation failed.").to_owned())
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

/// Deletes an instance. An asynchronous delete leaves a tombstone, so polling it
/// answers `succeeded`; after a synchronous one, polling answers 404 («Polling Last
/// Operation»: the instance does not exist).
pub(super) async fn finish_delete(
    state: &Lifecycle,
    instance_id: &str,
    expected: i64,
    now: i64,
    tombstone: bool,
) -> Result<bool, Error> {
    let tombstone = tombstone.then(|| Tombstone {
        instance_id: instance_id.to_owned(),
        binding_id: None,
        operation: OperationRecord::finished(OperationKind::Deprovision, now),
        deleted_at: now,
    });
    let deleted = state
        .store
        .delete_instance(instance_id, expected, tombstone.as_ref())
        .await?;
    if tombstone.is_some() {
        prune(state, now).await;
    }
    Ok(deleted)
}
/// Deletes a binding; as [`finish_delete`], with a tombstone after an asynchronous
/// unbind only.
pub(super) async fn finish_unbind(
    state: &Lifecycle,
    instance_id: &str,
    binding_id: &str,
    expected: i64,
    now: i64,
    tombstone: bool,
) -> Result<bool, Error> {
    let tombstone = tombstone.then(|| Tombstone {
        instance_id: instance_id.to_owned(),
        binding_id: Some(binding_id.to_owned()),
        operation: OperationRecord::finished(OperationKind::Unbind, now),
        deleted_at: now,
    });
    let deleted = state
        .store
        .delete_binding(instance_id, binding_id, expected, tombstone.as_ref())
        .await?;
    if tombstone.is_some() {
        prune(state, now).await;
    }
    Ok(deleted)
}

/// Records how an instance operation ended, if it is still the operation in progress.
pub(super) async fn settle_instance(
    state: &Lifecycle,
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
                op.instance_usable = err.instance_usable_on(Endpoint::Update);
                op.update_repeatable = err.update_repeatable_on(Endpoint::Update);
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
pub(super) async fn settle_binding(
    state: &Lifecycle,
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
