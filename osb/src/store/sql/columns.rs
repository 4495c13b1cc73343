//! Records as rows: the columns of instances, bindings and operations, read from a row
//! and bound to a statement in the order the statements in `mod.rs` name them.
//! Secret columns are encrypted on the way in and decrypted on the way out.

use serde_json::value::RawValue;

use super::secrets::Secrets;
use super::statement::{Cells, Statement};
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

/// The operation of a row's `op_*` columns, if any.
pub(super) fn operation(row: &dyn Cells) -> Result<Option<OperationRecord>, StoreError> {
    let Some(kind) = row.text("op_kind")? else {
        return Ok(None);
    };
    let state = row.text("op_state")?.unwrap_or_default();
    Ok(Some(OperationRecord {
        id: row.text("op_id")?,
        kind: OperationKind::parse(&kind).ok_or_else(|| corrupt("operation kind"))?,
        state: parse_operation_state(&state).ok_or_else(|| corrupt("operation state"))?,
        description: row.text("op_description")?,
        runner: row.int("op_runner")?.unwrap_or(0) != 0,
        started_at: row.int("op_started_at")?.unwrap_or(0),
        heartbeat_at: row.int("op_heartbeat_at")?.unwrap_or(0),
        instance_usable: row.int("op_instance_usable")?.map(|v| v != 0),
        update_repeatable: row.int("op_update_repeatable")?.map(|v| v != 0),
    }))
}

/// `statement` with `operation`'s `op_*` columns bound, in their order.
pub(super) fn bind_operation(
    statement: Statement,
    operation: Option<&OperationRecord>,
) -> Statement {
    let op = operation;
    statement
        .bind(op.and_then(|op| op.id.as_deref()))
        .bind(op.map(|op| op.kind.as_str()))
        .bind(op.map(|op| operation_state_str(op.state)))
        .bind(op.and_then(|op| op.description.as_deref()))
        .bind(op.map(|op| i64::from(op.runner)))
        .bind(op.map(|op| op.started_at))
        .bind(op.map(|op| op.heartbeat_at))
        .bind(op.and_then(|op| flag(op.instance_usable)))
        .bind(op.and_then(|op| flag(op.update_repeatable)))
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

/// `statement` with `value` bound: encrypted under `label` when it is `secret` and the
/// store has a key, else as it is.
fn bind_secret(
    statement: Statement,
    secrets: &Secrets,
    secret: bool,
    label: impl FnOnce() -> String,
    value: Option<&str>,
) -> Statement {
    match value {
        Some(plain) if secret && secrets.current().is_some() => {
            statement.bind(secrets.seal(&label(), plain))
        }
        _ => statement.bind(value),
    }
}

/// The instance of a row of `osb_instances`.
pub(super) fn instance(row: &dyn Cells, secrets: &Secrets) -> Result<InstanceRecord, StoreError> {
    let state = row.required_text("state")?;
    let instance_id = row.required_text("instance_id")?;
    let secret = |column: &str| {
        let value = row.text(column)?;
        if !secrets.parameters {
            return Ok(value);
        }
        value
            .map(|value| secrets.open(&instance_label(column, &instance_id), value))
            .transpose()
    };
    let pending = match row.text("pending_fingerprint")? {
        Some(fingerprint) => Some(PendingUpdate {
            plan_id: row.text("pending_plan_id")?,
            parameters: raw(secret("pending_parameters")?)?,
            maintenance_version: row.text("pending_maintenance_version")?,
            fingerprint: parse_fingerprint(&fingerprint)?,
        }),
        None => None,
    };
    Ok(InstanceRecord {
        parameters: raw(secret("parameters")?)?,
        instance_id,
        service_id: row.required_text("service_id")?,
        plan_id: row.required_text("plan_id")?,
        context: raw(row.text("context")?)?,
        maintenance_version: row.text("maintenance_version")?,
        dashboard_url: row.text("dashboard_url")?,
        metadata: raw(row.text("metadata")?)?,
        state: ResourceState::parse(&state).ok_or_else(|| corrupt("instance state"))?,
        operation: operation(row)?,
        pending,
        fingerprint: parse_fingerprint(&row.required_text("fingerprint")?)?,
        version: row.required_int("version")?,
    })
}

/// The instance of a row of `osb_instances` as a fetch reads it (see
/// `Store::instance_for_fetch`): no context, operation or pending update.
pub(super) fn instance_for_fetch(
    row: &dyn Cells,
    secrets: &Secrets,
) -> Result<InstanceRecord, StoreError> {
    let state = row.required_text("state")?;
    let instance_id = row.required_text("instance_id")?;
    let parameters = match row.text("parameters")? {
        Some(value) if secrets.parameters => {
            Some(secrets.open(&instance_label("parameters", &instance_id), value)?)
        }
        other => other,
    };
    Ok(InstanceRecord {
        parameters: raw(parameters)?,
        instance_id,
        service_id: row.required_text("service_id")?,
        plan_id: row.required_text("plan_id")?,
        context: None,
        maintenance_version: row.text("maintenance_version")?,
        dashboard_url: row.text("dashboard_url")?,
        metadata: raw(row.text("metadata")?)?,
        state: ResourceState::parse(&state).ok_or_else(|| corrupt("instance state"))?,
        operation: None,
        pending: None,
        fingerprint: Fingerprint::from_bytes([0; 32]),
        version: 0,
    })
}

/// The binding of a row of `osb_bindings`.
pub(super) fn binding(row: &dyn Cells, secrets: &Secrets) -> Result<BindingRecord, StoreError> {
    let state = row.required_text("state")?;
    let instance_id = row.required_text("instance_id")?;
    let binding_id = row.required_text("binding_id")?;
    let secret = |column: &str, always: bool| {
        let value = row.text(column)?;
        if !(always || secrets.parameters) {
            return Ok(value);
        }
        let label = binding_label(column, &instance_id, &binding_id);
        value.map(|value| secrets.open(&label, value)).transpose()
    };
    Ok(BindingRecord {
        parameters: raw(secret("parameters", false)?)?,
        bind_resource: raw(row.text("bind_resource")?)?,
        response: raw(secret("response", true)?)?,
        instance_id,
        binding_id,
        service_id: row.required_text("service_id")?,
        plan_id: row.required_text("plan_id")?,
        state: ResourceState::parse(&state).ok_or_else(|| corrupt("binding state"))?,
        operation: operation(row)?,
        fingerprint: parse_fingerprint(&row.required_text("fingerprint")?)?,
        version: row.required_int("version")?,
    })
}

/// `statement` with an instance's columns bound, in the order of the statements in
/// `mod.rs`.
pub(super) fn instance_columns(
    statement: Statement,
    record: &InstanceRecord,
    secrets: &Secrets,
) -> Statement {
    let pending = record.pending.as_ref();
    let id = &record.instance_id;
    let secret = |statement: Statement, column: &str, value: Option<&str>| {
        let label = || instance_label(column, id);
        bind_secret(statement, secrets, secrets.parameters, label, value)
    };
    let statement = statement
        .bind(record.instance_id.as_str())
        .bind(record.service_id.as_str())
        .bind(record.plan_id.as_str());
    let statement = secret(statement, "parameters", text(&record.parameters))
        .bind(text(&record.context))
        .bind(record.maintenance_version.as_deref())
        .bind(record.dashboard_url.as_deref())
        .bind(text(&record.metadata))
        .bind(record.state.as_str());
    let statement = bind_operation(statement, record.operation.as_ref())
        .bind(pending.and_then(|p| p.plan_id.as_deref()));
    secret(
        statement,
        "pending_parameters",
        pending.and_then(|p| text(&p.parameters)),
    )
    .bind(pending.and_then(|p| p.maintenance_version.as_deref()))
    .bind(pending.map(|p| p.fingerprint.to_hex()))
    .bind(record.fingerprint.to_hex())
    .bind(record.version)
}

/// `statement` with a binding's columns bound, in the order of the statements in
/// `mod.rs`.
pub(super) fn binding_columns(
    statement: Statement,
    record: &BindingRecord,
    secrets: &Secrets,
) -> Statement {
    let (iid, bid) = (&record.instance_id, &record.binding_id);
    let label = |column: &'static str| move || binding_label(column, iid, bid);
    let statement = statement
        .bind(record.instance_id.as_str())
        .bind(record.binding_id.as_str())
        .bind(record.service_id.as_str())
        .bind(record.plan_id.as_str());
    let statement = bind_secret(
        statement,
        secrets,
        secrets.parameters,
        label("parameters"),
        text(&record.parameters),
    )
    .bind(text(&record.bind_resource));
    let statement = bind_secret(
        statement,
        secrets,
        true,
        label("response"),
        text(&record.response),
    )
    .bind(record.state.as_str());
    bind_operation(statement, record.operation.as_ref())
        .bind(record.fingerprint.to_hex())
        .bind(record.version)
}
