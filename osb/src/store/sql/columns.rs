//! Records as rows: the columns of instances, bindings and operations, read from a
//! row and bound to a statement in the order the statements in `mod.rs` name them.

use serde_json::value::RawValue;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Statement;
use super::fault::failed;
use super::secrets::Secrets;
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

/// What an instance's secret `column` is encrypted under: the column and the id, so a
/// value copied elsewhere does not decrypt.
pub(super) fn instance_label(column: &str, instance_id: &str) -> String {
    format!("osb_instances.{column} {instance_id}")
}

/// What a binding's secret `column` is encrypted under (see [`instance_label`]).
pub(super) fn binding_label(column: &str, instance_id: &str, binding_id: &str) -> String {
    format!("osb_bindings.{column} {instance_id}/{binding_id}")
}

/// `query` with `value` bound: encrypted under `label` when it is `secret` and the
/// store has a key, else as it is.
fn bind_secret<'q>(
    query: Statement<'q>,
    secrets: &Secrets,
    secret: bool,
    label: impl FnOnce() -> String,
    value: Option<&'q str>,
) -> Statement<'q> {
    match value {
        Some(plain) if secret && secrets.current().is_some() => {
            query.bind(secrets.seal(&label(), plain))
        }
        _ => query.bind(value),
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

pub(super) fn instance(row: &AnyRow, secrets: &Secrets) -> Result<InstanceRecord, StoreError> {
    let get = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .map_err(failed("could not read an instance"))
    };
    let required = |column: &str| {
        row.try_get::<String, _>(column)
            .map_err(failed("could not read an instance"))
    };
    let state = required("state")?;
    let instance_id = required("instance_id")?;
    let secret = |column: &str| {
        let value = get(column)?;
        if !secrets.parameters {
            return Ok(value);
        }
        value
            .map(|value| secrets.open(&instance_label(column, &instance_id), value))
            .transpose()
    };
    let pending = match get("pending_fingerprint")? {
        Some(fingerprint) => Some(PendingUpdate {
            plan_id: get("pending_plan_id")?,
            parameters: raw(secret("pending_parameters")?)?,
            maintenance_version: get("pending_maintenance_version")?,
            fingerprint: parse_fingerprint(&fingerprint)?,
        }),
        None => None,
    };
    Ok(InstanceRecord {
        parameters: raw(secret("parameters")?)?,
        instance_id,
        service_id: required("service_id")?,
        plan_id: required("plan_id")?,
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

pub(super) fn binding(row: &AnyRow, secrets: &Secrets) -> Result<BindingRecord, StoreError> {
    let get = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .map_err(failed("could not read a binding"))
    };
    let required = |column: &str| {
        row.try_get::<String, _>(column)
            .map_err(failed("could not read a binding"))
    };
    let state = required("state")?;
    let instance_id = required("instance_id")?;
    let binding_id = required("binding_id")?;
    let secret = |column: &str, always: bool| {
        let value = get(column)?;
        if !(always || secrets.parameters) {
            return Ok(value);
        }
        let label = binding_label(column, &instance_id, &binding_id);
        value.map(|value| secrets.open(&label, value)).transpose()
    };
    Ok(BindingRecord {
        parameters: raw(secret("parameters", false)?)?,
        bind_resource: raw(get("bind_resource")?)?,
        response: raw(secret("response", true)?)?,
        instance_id,
        binding_id,
        service_id: required("service_id")?,
        plan_id: required("plan_id")?,
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
    secrets: &Secrets,
) -> Statement<'q> {
    let pending = record.pending.as_ref();
    let id = &record.instance_id;
    let secret = |query: Statement<'q>, column: &str, value: Option<&'q str>| {
        let label = || instance_label(column, id);
        bind_secret(query, secrets, secrets.parameters, label, value)
    };
    let query = query
        .bind(&record.instance_id)
        .bind(&record.service_id)
        .bind(&record.plan_id);
    let query = secret(query, "parameters", text(&record.parameters))
        .bind(text(&record.context))
        .bind(record.maintenance_version.as_deref())
        .bind(record.dashboard_url.as_deref())
        .bind(text(&record.metadata))
        .bind(record.state.as_str());
    let query = bind_operation(query, record.operation.as_ref())
        .bind(pending.and_then(|p| p.plan_id.as_deref()));
    secret(
        query,
        "pending_parameters",
        pending.and_then(|p| text(&p.parameters)),
    )
    .bind(pending.and_then(|p| p.maintenance_version.as_deref()))
    .bind(pending.map(|p| p.fingerprint.to_hex()))
    .bind(record.fingerprint.to_hex())
    .bind(record.version)
}

/// `query` with a binding's columns bound, in the order of the statements below.
pub(super) fn binding_columns<'q>(
    query: Statement<'q>,
    record: &'q BindingRecord,
    secrets: &Secrets,
) -> Statement<'q> {
    let (iid, bid) = (&record.instance_id, &record.binding_id);
    let label = |column: &'static str| move || binding_label(column, iid, bid);
    let query = query
        .bind(&record.instance_id)
        .bind(&record.binding_id)
        .bind(&record.service_id)
        .bind(&record.plan_id);
    let query = bind_secret(
        query,
        secrets,
        secrets.parameters,
        label("parameters"),
        text(&record.parameters),
    )
    .bind(text(&record.bind_resource));
    let query = bind_secret(
        query,
        secrets,
        true,
        label("response"),
        text(&record.response),
    )
    .bind(record.state.as_str());
    bind_operation(query, record.operation.as_ref())
        .bind(record.fingerprint.to_hex())
        .bind(record.version)
}
