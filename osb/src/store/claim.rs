//! What the state layer hands its store on the write paths of provision and bind: a
//! new resource's first record, borrowed from the request that creates it, and the
//! change that settles it once the broker answered.
//!
//! The memory store keeps a claim without an owned record being built first, so each
//! field of the request is copied once, not twice, and a settle changes only what it
//! names instead of comparing every field of a whole record. Any other store gets the
//! owned records of its [`Store`](super::Store) methods.

use serde_json::value::RawValue;

use super::operation_id::OperationId;
use super::record::{
    BindingRecord, Fingerprint, InstanceRecord, Json, OperationKind, OperationRecord, ResourceState,
};

/// A new instance, claimed before its broker is called: state `creating`, version 1,
/// and an operation that a runner has in progress (the handler call runs under a
/// lease, like background work).
pub(crate) struct InstanceClaim<'a> {
    pub(crate) instance_id: &'a str,
    pub(crate) service_id: &'a str,
    pub(crate) plan_id: &'a str,
    pub(crate) parameters: Option<&'a RawValue>,
    pub(crate) context: Option<&'a RawValue>,
    pub(crate) maintenance_version: Option<&'a str>,
    /// The id of the operation the claim starts.
    pub(crate) operation: OperationId,
    /// When it starts (Unix milliseconds).
    pub(crate) now: i64,
    pub(crate) fingerprint: Fingerprint,
}

impl InstanceClaim<'_> {
    /// The owned record of the claim.
    pub(crate) fn to_record(&self) -> InstanceRecord {
        InstanceRecord {
            instance_id: self.instance_id.to_owned(),
            service_id: self.service_id.to_owned(),
            plan_id: self.plan_id.to_owned(),
            parameters: self.parameters.map(ToOwned::to_owned),
            context: self.context.map(ToOwned::to_owned),
            maintenance_version: self.maintenance_version.map(str::to_owned),
            dashboard_url: None,
            metadata: None,
            state: ResourceState::Creating,
            operation: Some(self.started()),
            pending: None,
            fingerprint: self.fingerprint,
            version: 1,
        }
    }

    /// The operation the claim starts.
    pub(crate) fn started(&self) -> OperationRecord {
        OperationRecord::start(
            OperationKind::Provision,
            Some(self.operation.to_string()),
            true,
            self.now,
        )
    }
}

/// How a claimed instance is settled once its broker answered: the claim's version 1
/// becomes 2.
pub(crate) struct InstanceSettle {
    pub(crate) state: ResourceState,
    pub(crate) operation: OperationRecord,
    /// The parameters in force, when the broker said which; else they stay.
    pub(crate) parameters: Option<Json>,
    pub(crate) dashboard_url: Option<String>,
    pub(crate) metadata: Option<Json>,
}

impl InstanceSettle {
    /// Applies the settle to the claim's owned record.
    pub(crate) fn apply(self, record: &mut InstanceRecord) {
        record.version = CLAIMED + 1;
        record.state = self.state;
        record.operation = Some(self.operation);
        if self.parameters.is_some() {
            record.parameters = self.parameters;
        }
        record.dashboard_url = self.dashboard_url;
        record.metadata = self.metadata;
    }
}

/// A new binding, claimed before its broker is called (see [`InstanceClaim`]).
pub(crate) struct BindingClaim<'a> {
    pub(crate) instance_id: &'a str,
    pub(crate) binding_id: &'a str,
    pub(crate) service_id: &'a str,
    pub(crate) plan_id: &'a str,
    pub(crate) parameters: Option<&'a RawValue>,
    pub(crate) bind_resource: Option<&'a RawValue>,
    /// The id of the operation the claim starts.
    pub(crate) operation: OperationId,
    /// When it starts (Unix milliseconds).
    pub(crate) now: i64,
    pub(crate) fingerprint: Fingerprint,
}

impl BindingClaim<'_> {
    /// The owned record of the claim.
    pub(crate) fn to_record(&self) -> BindingRecord {
        BindingRecord {
            instance_id: self.instance_id.to_owned(),
            binding_id: self.binding_id.to_owned(),
            service_id: self.service_id.to_owned(),
            plan_id: self.plan_id.to_owned(),
            parameters: self.parameters.map(ToOwned::to_owned),
            bind_resource: self.bind_resource.map(ToOwned::to_owned),
            response: None,
            state: ResourceState::Creating,
            operation: Some(self.started()),
            fingerprint: self.fingerprint,
            version: 1,
        }
    }

    /// The operation the claim starts.
    pub(crate) fn started(&self) -> OperationRecord {
        OperationRecord::start(
            OperationKind::Bind,
            Some(self.operation.to_string()),
            true,
            self.now,
        )
    }
}

/// How a claimed binding is settled once its broker answered: the claim's version 1
/// becomes 2.
pub(crate) struct BindingSettle {
    pub(crate) state: ResourceState,
    pub(crate) operation: OperationRecord,
    /// The binding, serialized, once the broker made it.
    pub(crate) response: Option<Json>,
}

impl BindingSettle {
    /// Applies the settle to the claim's owned record.
    pub(crate) fn apply(self, record: &mut BindingRecord) {
        record.version = CLAIMED + 1;
        record.state = self.state;
        record.operation = Some(self.operation);
        record.response = self.response;
    }
}

/// The version of a claim's record.
pub(crate) const CLAIMED: i64 = 1;
