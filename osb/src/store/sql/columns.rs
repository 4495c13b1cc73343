//! Records as rows: the columns of instances, bindings and operations, read from a
//! row and bound to a statement in the order the statements in `mod.rs` name them.

use serde_json::value::RawValue;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Statement;
use super::fault::failed;
use crate::store::StoreError;
use crate::store::record::{
    BindingRecord, Fingerprint, InstanceRecord, OperationKind, OperationRecord, PendingUpdate,
    ResourceState, operation_state_str, parse_operation_state,
};

fn raw(text: Option<String>) -> Result<Option<Box<RawValue>>, StoreError> {
    text.map(|text| {
        RawValue::from_string(text)
            .map_err(|err| StoreError::caused_by("a stored JSON value is invalid", err))
    })
    .transpose()
}

fn text(value: &Option<Box<RawValue>>) -> Option<&str> {
    value.as_deref().map(RawValue::get)
}

fn flag(value: Option<bool>) -> Option<i64> {
    value.map(i64::from)
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::new(format!("a stored {what} is not one this version knows"))
}

/// A fingerprint as stored: 64 hex digits.
fn parse_fingerprint(text: &str) -> Result<Fingerprint, StoreError> {
    Fingerprint::from_hex(text).ok_or_else(|| corrupt("fingerprint"))
}

pub(super) fn operation(row: &AnyRow) -> Result<Option<OperationRecord>, StoreError> {
    let get = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .map_err(failed("could not read an operation"))
    };
    let get_int = |column: &str| {
        row.try_get::<Option<i64>, _>(column)
            .map_err(failed("could not read an operation"))
    };
    let Some(kind) = get("op_kind")? else {
        return Ok(None);
    };
    let state = get("op_state")?.unwrap_or_default();
    Ok(Some(OperationRecord {
        id: get("op_id")?,
        kind: OperationKind::parse(&kind).ok_or_else(|| corrupt("operation kind"))?,
        state: parse_operation_state(&state).ok_or_else(|| corrupt("operation state"))?,
        description: get("op_description")?,
        runner: get_int("op_runner")?.unwrap_or(0) != 0,
        started_at: get_int("op_started_at")?.unwrap_or(0),
        heartbeat_at: get_int("op_heartbeat_at")?.unwrap_or(0),
        instance_usable: get_int("op_instance_usable")?.map(|v| v != 0),
        update_repeatable: get_int("op_update_repeatable")?.map(|v| v != 0),
    }))
}

/// The values of the `op_*` columns, in their order in the statements below.
struct OperationColumns<'a> {
    id: Option<&'a str>,
    kind: Option<&'static str>,
    state: Option<&'static str>,
    description: Option<&'a str>,
    runner: Option<i64>,
    started_at: Option<i64>,
    heartbeat_at: Option<i64>,
    instance_usable: Option<i64>,
    update_repeatable: Option<i64>,
}

impl<'a> OperationColumns<'a> {
    fn of(operation: Option<&'a OperationRecord>) -> Self {
        match operation {
            None => Self {
                id: None,
                kind: None,
                state: None,
                description: None,
                runner: None,
                started_at: None,
                heartbeat_at: None,
                instance_usable: None,
                update_repeatable: None,
            },
            Some(op) => Self {
                id: op.id.as_deref(),
                kind: Some(op.kind.as_str()),
                state: Some(operation_state_str(op.state)),
                description: op.description.as_deref(),
                runner: Some(i64::from(op.runner)),
                started_at: Some(op.started_at),
                heartbeat_at: Some(op.heartbeat_at),
                instance_usable: flag(op.instance_usable),
                update_repeatable: flag(op.update_repeatable),
            },
        }
    }
}

/// `query` with `operation`'s `op_*` columns bound, in their order.
pub(super) fn bind_operation<'q>(
    query: Statement<'q>,
    operation: Option<&'q OperationRecord>,
) -> Statement<'q> {
    let op = OperationColumns::of(operation);
    query
        .bind(op.id)
        .bind(op.kind)
        .bind(op.state)
        .bind(op.description)
        .bind(op.runner)
        .bind(op.started_at)
        .bind(op.heartbeat_at)
        .bind(op.instance_usable)
        .bind(op.update_repeatable)
}

pub(super) fn instance(row: &AnyRow) -> Result<InstanceRecord, StoreError> {
    let get = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .map_err(failed("could not read an instance"))
    };
    let required = |column: &str| {
        row.try_get::<String, _>(column)
            .map_err(failed("could not read an instance"))
    };
    let state = required("state")?;
    let pending = match get("pending_fingerprint")? {
        Some(fingerprint) => Some(PendingUpdate {
            plan_id: get("pending_plan_id")?,
            parameters: raw(get("pending_parameters")?)?,
            maintenance_version: get("pending_maintenance_version")?,
            fingerprint: parse_fingerprint(&fingerprint)?,
        }),
        None => None,
    };
    Ok(InstanceRecord {
        instance_id: required("instance_id")?,
        service_id: required("service_id")?,
        plan_id: required("plan_id")?,
        parameters: raw(get("parameters")?)?,
        context: raw(get("context")?)?,
        maintenance_version: get("maintenance_version")?,
        dashboard_url: get("dashboard_url")?,
        metadata: raw(get("metadata")?)?,
        state: ResourceState::parse(&state).ok_or_else(|| corrupt("instance state"))?,
        operation: operation(row)?,
        pending,
        fingerprint: parse_fingerprint(&required("fingerprint")?)?,
        version: row
            .try_get::<i64, _>("version")
            .map_err(failed("could not read an instance"))?,
    })
}

pub(super) fn binding(row: &AnyRow) -> Result<BindingRecord, StoreError> {
    let get = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .map_err(failed("could not read a binding"))
    };
    let required = |column: &str| {
        row.try_get::<String, _>(column)
            .map_err(failed("could not read a binding"))
    };
    let state = required("state")?;
    Ok(BindingRecord {
        instance_id: required("instance_id")?,
        binding_id: required("binding_id")?,
        service_id: required("service_id")?,
        plan_id: required("plan_id")?,
        parameters: raw(get("parameters")?)?,
        bind_resource: raw(get("bind_resource")?)?,
        response: raw(get("response")?)?,
        state: ResourceState::parse(&state).ok_or_else(|| corrupt("binding state"))?,
        operation: operation(row)?,
        fingerprint: parse_fingerprint(&required("fingerprint")?)?,
        version: row
            .try_get::<i64, _>("version")
            .map_err(failed("could not read a binding"))?,
    })
}

/// `query` with an instance's columns bound, in the order of the statements below.
pub(super) fn instance_columns<'q>(
    query: Statement<'q>,
    record: &'q InstanceRecord,
) -> Statement<'q> {
    let pending = record.pending.as_ref();
    let query = query
        .bind(&record.instance_id)
        .bind(&record.service_id)
        .bind(&record.plan_id)
        .bind(text(&record.parameters))
        .bind(text(&record.context))
        .bind(record.maintenance_version.as_deref())
        .bind(record.dashboard_url.as_deref())
        .bind(text(&record.metadata))
        .bind(record.state.as_str());
    bind_operation(query, record.operation.as_ref())
        .bind(pending.and_then(|p| p.plan_id.as_deref()))
        .bind(pending.and_then(|p| text(&p.parameters)))
        .bind(pending.and_then(|p| p.maintenance_version.as_deref()))
        .bind(pending.map(|p| p.fingerprint.to_hex()))
        .bind(record.fingerprint.to_hex())
        .bind(record.version)
}

/// `query` with a binding's columns bound, in the order of the statements below.
pub(super) fn binding_columns<'q>(
    query: Statement<'q>,
    record: &'q BindingRecord,
) -> Statement<'q> {
    let query = query
        .bind(&record.instance_id)
        .bind(&record.binding_id)
        .bind(&record.service_id)
        .bind(&record.plan_id)
        .bind(text(&record.parameters))
        .bind(text(&record.bind_resource))
        .bind(text(&record.response))
        .bind(record.state.as_str());
    bind_operation(query, record.operation.as_ref())
        .bind(record.fingerprint.to_hex())
        .bind(record.version)
}
