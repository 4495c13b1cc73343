//! The bodies a broker answers with.
//!
//! Each borrows (`Cow::Borrowed`) when the router writes it from what a handler
//! returned, and owns (`'static`) when a client reads it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::catalog::MaintenanceInfo;
use crate::response::{
    BindingMetadata, InstanceMetadata, NetworkEndpoint, OperationState, VendorFields, VolumeMount,
};

/// An error answer («Service Broker Errors»): `error` is a machine-readable code
/// such as `AsyncRequired`, `description` a message for the platform's user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorBody<'a> {
    /// The error code, for the codes the specification defines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Cow<'a, str>>,
    /// What went wrong, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Cow<'a, str>>,
    /// For a failed update or deprovision: whether the instance is still usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_usable: Option<bool>,
    /// For a failed update: whether repeating it may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_repeatable: Option<bool>,
}

/// The answer to a provision or an update (`200`, `201` or `202`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstanceBody<'a> {
    /// The instance's dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_url: Option<Cow<'a, str>>,
    /// With `202`: what to send back when polling `last_operation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Cow<'a, str>>,
    /// Labels and attributes of the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Cow<'a, InstanceMetadata>>,
    /// Every other field («Vendor Extension Fields»).
    #[serde(flatten)]
    pub vendor: Cow<'a, VendorFields>,
}

/// The answer to a deprovision or an unbind (`200` or `202`), and the `202` of a bind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperationBody<'a> {
    /// With `202`: what to send back when polling `last_operation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Cow<'a, str>>,
    /// Every other field («Vendor Extension Fields»).
    #[serde(flatten)]
    pub vendor: Cow<'a, VendorFields>,
}

/// The answer to polling `last_operation` of an instance or of a binding (a binding's
/// has neither `instance_usable` nor `update_repeatable`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LastOperationBody<'a> {
    /// `in progress`, `succeeded` or `failed`.
    pub state: OperationState,
    /// A message about the operation, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Cow<'a, str>>,
    /// For a failed update or deprovision: whether the instance is still usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_usable: Option<bool>,
    /// For a failed update: whether repeating it may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_repeatable: Option<bool>,
    /// Every other field («Vendor Extension Fields»).
    #[serde(flatten)]
    pub vendor: Cow<'a, VendorFields>,
}

impl LastOperationBody<'_> {
    /// An answer with `state` and nothing else.
    pub fn new(state: OperationState) -> Self {
        Self {
            state,
            description: None,
            instance_usable: None,
            update_repeatable: None,
            vendor: Cow::Owned(VendorFields::default()),
        }
    }
}

/// The answer to fetching an instance (`GET /v2/service_instances/:instance_id`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstanceDetailsBody<'a> {
    /// The instance's offering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Cow<'a, str>>,
    /// The instance's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<Cow<'a, str>>,
    /// The instance's dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_url: Option<Cow<'a, str>>,
    /// The parameters in force (a broker MAY leave out sensitive ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Cow<'a, RawValue>>,
    /// The instance's maintenance info.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_info: Option<Cow<'a, MaintenanceInfo>>,
    /// Labels and attributes of the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Cow<'a, InstanceMetadata>>,
    /// Every other field («Vendor Extension Fields»).
    #[serde(flatten)]
    pub vendor: Cow<'a, VendorFields>,
}

/// A binding: the answer to a bind (`200`, `201`) and to fetching a binding.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BindingBody<'a> {
    /// Expiry and renewal times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Cow<'a, BindingMetadata>>,
    /// The credentials (a JSON object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Cow<'a, RawValue>>,
    /// Where the application's logs go (`requires: ["syslog_drain"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syslog_drain_url: Option<Cow<'a, str>>,
    /// Where the platform proxies the bound route (`requires: ["route_forwarding"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_service_url: Option<Cow<'a, str>>,
    /// Volumes to mount (`requires: ["volume_mount"]`).
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    pub volume_mounts: Cow<'a, [VolumeMount]>,
    /// Network endpoints the application connects to.
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    pub endpoints: Cow<'a, [NetworkEndpoint]>,
    /// Fetching only: the binding's parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Cow<'a, RawValue>>,
    /// Every other field («Vendor Extension Fields»).
    #[serde(flatten)]
    pub vendor: Cow<'a, VendorFields>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_fields_survive_flattening() {
        let text = r#"{"credentials":{"uri":"x"},"parameters":[1],"x-acme":2}"#;
        let body: BindingBody<'static> = serde_json::from_str(text).unwrap();
        assert_eq!(
            body.credentials.as_deref().map(RawValue::get),
            Some(r#"{"uri":"x"}"#)
        );
        assert_eq!(body.vendor.get("x-acme"), Some(&json!(2)));
        assert_eq!(serde_json::to_string(&body).unwrap(), text);
    }
}
