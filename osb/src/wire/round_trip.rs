//! Every body reads what it writes: a sample with every field the spec defines, and a
//! vendor extension field where the body allows one, is read into its type and
//! written back unchanged. The router and the client share these types, so a field
//! lost here would be lost between a platform and a broker.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;

/// Reads `sample` as a `T`, writes it back, and compares.
fn round_trip<T: DeserializeOwned + Serialize>(sample: Value) {
    let read: T = serde_json::from_value(sample.clone()).unwrap_or_else(|err| {
        panic!(
            "{} does not read {sample}: {err}",
            std::any::type_name::<T>()
        )
    });
    let written = serde_json::to_value(&read).expect("a body serializes");
    assert_eq!(written, sample, "{}", std::any::type_name::<T>());
}

fn context() -> Value {
    json!({"platform": "cloudfoundry", "organization_guid": "org", "space_guid": "space", "x-acme": 1})
}

#[test]
fn provision_request() {
    round_trip::<ProvisionRequest>(json!({
        "service_id": "svc", "plan_id": "plan", "context": context(),
        "organization_guid": "org", "space_guid": "space",
        "parameters": {"size_mb": 64, "tags": ["a"]},
        "maintenance_info": {"version": "2.1.0", "description": "OS patches"}
    }));
}

#[test]
fn update_request() {
    round_trip::<UpdateRequest>(json!({
        "service_id": "svc", "plan_id": "plan", "context": context(),
        "parameters": {"size_mb": 128},
        "previous_values": {
            "service_id": "svc", "plan_id": "old", "organization_id": "org",
            "space_id": "space", "maintenance_info": {"version": "2.0.0"}
        },
        "maintenance_info": {"version": "2.1.0"}
    }));
}

#[test]
fn bind_request() {
    round_trip::<BindRequest>(json!({
        "service_id": "svc", "plan_id": "plan", "context": context(),
        "app_guid": "app", "bind_resource": {"app_guid": "app", "route": "r.example.com"},
        "parameters": {"role": "reader"}, "predecessor_binding_id": "old-binding"
    }));
}

#[test]
fn error_body() {
    round_trip::<ErrorBody<'static>>(json!({
        "error": "AsyncRequired", "description": "This plan needs accepts_incomplete.",
        "instance_usable": true, "update_repeatable": false
    }));
}

#[test]
fn instance_body() {
    round_trip::<InstanceBody<'static>>(json!({
        "dashboard_url": "https://dash.example.com/1", "operation": "op-1",
        "metadata": {"labels": {"team": "a"}, "attributes": {"region": "eu"}},
        "x-acme": {"tier": 2}
    }));
}

#[test]
fn operation_body() {
    round_trip::<OperationBody<'static>>(json!({"operation": "op-2", "x-acme": true}));
}

#[test]
fn last_operation_body() {
    round_trip::<LastOperationBody<'static>>(json!({
        "state": "failed", "description": "disk full",
        "instance_usable": true, "update_repeatable": true, "x-acme": "why"
    }));
}

#[test]
fn instance_details_body() {
    round_trip::<InstanceDetailsBody<'static>>(json!({
        "service_id": "svc", "plan_id": "plan", "dashboard_url": "https://dash.example.com/1",
        "parameters": {"size_mb": 64},
        "maintenance_info": {"version": "2.1.0", "description": "OS patches"},
        "metadata": {"labels": {"team": "a"}},
        "x-acme": 3
    }));
}

#[test]
fn binding_body() {
    // Times are written in one form, RFC 3339 with milliseconds in UTC.
    round_trip::<BindingBody<'static>>(json!({
        "metadata": {"expires_at": "2026-12-31T23:59:59.000Z", "renew_before": "2026-12-30T00:00:00.000Z"},
        "credentials": {"uri": "db://u:p@h/d", "port": 5432},
        "syslog_drain_url": "syslog://logs.example.com",
        "route_service_url": "https://route.example.com",
        "volume_mounts": [{
            "driver": "nfs", "container_dir": "/data", "mode": "rw", "device_type": "shared",
            "device": {"volume_id": "vol-1", "mount_config": {"uid": 1000}}
        }],
        "endpoints": [{"host": "db.example.com", "ports": ["5432", "6000-6010"], "protocol": "tcp"}],
        "parameters": {"role": "reader"},
        "x-acme": [1, 2]
    }));
}
