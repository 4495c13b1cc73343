//! Instance and binding records, for what the runner does alike to both.

use crate::request::Interrupted;
use crate::request::Parameters;
use crate::response::Timestamp;
use crate::store::{BindingRecord, InstanceRecord, OperationRecord, ResourceKey, StoreError};

use super::shared::Lifecycle;

/// An instance or a binding record, for what the runner does alike to both.
pub(super) enum Record {
    Instance(InstanceRecord),
    Binding(BindingRecord),
}

impl Record {
    pub(super) async fn load(
        state: &Lifecycle,
        key: &ResourceKey,
    ) -> Result<Option<Self>, StoreError> {
        Ok(match key {
            ResourceKey::Instance(id) => state.store.instance(id).await?.map(Record::Instance),
            ResourceKey::Binding(instance_id, binding_id) => state
                .store
                .binding(instance_id, binding_id)
                .await?
                .map(Record::Binding),
        })
    }

    pub(super) async fn save(
        &self,
        state: &Lifecycle,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        match self {
            Record::Instance(record) => state.store.update_instance(record, expected_version).await,
            Record::Binding(record) => state.store.update_binding(record, expected_version).await,
        }
    }

    pub(super) fn operation_mut(&mut self) -> Option<&mut OperationRecord> {
        match self {
            Record::Instance(record) => record.operation.as_mut(),
            Record::Binding(record) => record.operation.as_mut(),
        }
    }

    pub(super) fn version(&self) -> i64 {
        match self {
            Record::Instance(record) => record.version,
            Record::Binding(record) => record.version,
        }
    }

    pub(super) fn bump_version(&mut self) {
        match self {
            Record::Instance(record) => record.version += 1,
            Record::Binding(record) => record.version += 1,
        }
    }

    /// What the store kept of the request whose work was interrupted.
    pub(super) fn interrupted(&self) -> Option<Interrupted> {
        let parameters = |raw: Option<&crate::store::Json>| {
            raw.cloned().and_then(|raw| Parameters::from_raw(raw).ok())
        };
        match self {
            Record::Instance(record) => {
                let op = record.operation.as_ref()?;
                let pending = record.pending.as_ref();
                Some(Interrupted {
                    kind: op.kind,
                    instance_id: record.instance_id.clone(),
                    binding_id: None,
                    service_id: record.service_id.clone(),
                    // An update's new plan and parameters, else those in force.
                    plan_id: pending
                        .and_then(|p| p.plan_id.clone())
                        .unwrap_or_else(|| record.plan_id.clone()),
                    parameters: parameters(
                        pending
                            .and_then(|p| p.parameters.as_ref())
                            .or(record.parameters.as_ref()),
                    ),
                    operation: op.id.clone(),
                    started_at: Timestamp::from_unix_millis(op.started_at),
                })
            }
            Record::Binding(record) => {
                let op = record.operation.as_ref()?;
                Some(Interrupted {
                    kind: op.kind,
                    instance_id: record.instance_id.clone(),
                    binding_id: Some(record.binding_id.clone()),
                    service_id: record.service_id.clone(),
                    plan_id: record.plan_id.clone(),
                    parameters: parameters(record.parameters.as_ref()),
                    operation: op.id.clone(),
                    started_at: Timestamp::from_unix_millis(op.started_at),
                })
            }
        }
    }
}
