//! The bodies and query values the suite sends.

use serde_json::{Value, json};

pub(super) fn provision_body(service_id: &str, plan_id: &str, parameters: Option<&Value>) -> Value {
    let mut body = json!({
        "service_id": service_id,
        "plan_id": plan_id,
        "organization_guid": "osb-conformance-org",
        "space_guid": "osb-conformance-space",
        "context": {
            "platform": "cloudfoundry",
            "organization_guid": "osb-conformance-org",
            "space_guid": "osb-conformance-space"
        },
    });
    if let Some(parameters) = parameters {
        body["parameters"] = parameters.clone();
    }
    body
}

pub(super) fn bind_body(
    service_id: &str,
    plan_id: &str,
    resource: &Value,
    parameters: Option<&Value>,
) -> Value {
    let mut body = json!({
        "service_id": service_id,
        "plan_id": plan_id,
        "bind_resource": resource,
        "context": {"platform": "cloudfoundry"},
    });
    if let Some(parameters) = parameters {
        body["parameters"] = parameters.clone();
    }
    body
}

/// `body` without the field `name`.
pub(super) fn without(mut body: Value, name: &str) -> Value {
    if let Some(fields) = body.as_object_mut() {
        fields.remove(name);
    }
    body
}

/// `body` with the field `name` set to `value`.
pub(super) fn with(mut body: Value, name: &str, value: Value) -> Value {
    body[name] = value;
    body
}
