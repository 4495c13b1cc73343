//! Instance and binding records, for what the lifecycle does alike to both.

use crate::request::Interrupted;
use crate::request::Parameters;
use crate::response::Timestamp;
use crate::store::{BindingRecord, InstanceRecord, OperationRecord, ResourceState};

/// An instance or a binding record, for what the lifecycle does alike to both.
#[derive(Clone)]
pub(super) enum Record {
    Instance(InstanceRecord),
    Binding(BindingRecord),
}

/// The fields every record has, borrowed to be changed.
pub(super) struct Head<'a> {
    pub(super) version: &'a mut i64,
    pub(super) state: &'a mut ResourceState,
    pub(super) operation: &'a mut Option<OperationRecord>,
}

impl Record {
    /// The fields every record has.
    pub(super) fn head(&mut self) -> Head<'_> {
        match self {
            Record::Instance(r) => Head {
                version: &mut r.version,
                state: &mut r.state,
                operation: &mut r.operation,
            },
            Record::Binding(r) => Head {
                version: &mut r.version,
                state: &mut r.state,
                operation: &mut r.operation,
            },
        }
    }

    pub(super) fn operation_mut(&mut self) -> Option<&mut OperationRecord> {
        self.head().operation.as_mut()
    }

    pub(super) fn version(&self) -> i64 {
        match self {
            Record::Instance(record) => record.version,
            Record::Binding(record) => record.version,
        }
    }

    pub(super) fn state(&self) -> ResourceState {
        match self {
            Record::Instance(record) => record.state,
            Record::Binding(record) => record.state,
        }
    }

    /// The plan the resource was created with (an instance's plan in force).
    pub(super) fn plan_id(&self) -> &str {
        match self {
            Record::Instance(record) => &record.plan_id,
            Record::Binding(record) => &record.plan_id,
        }
    }

    /// The id of its last operation, if it has one with an id.
    pub(super) fn operation_id(&self) -> Option<&str> {
        let operation = match self {
            Record::Instance(record) => record.operation.as_ref(),
            Record::Binding(record) => record.operation.as_ref(),
        };
        operation.and_then(|op| op.id.as_deref())
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
