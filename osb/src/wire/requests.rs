//! The bodies a platform sends: provision, update and bind.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::catalog::MaintenanceInfo;
use crate::request::json::{maintenance_info, object};
use crate::request::{Context, PreviousValues};

/// `parameters` as raw JSON; a value that cannot be serialized is left out.
fn raw(value: &impl Serialize) -> Option<Box<RawValue>> {
    serde_json::value::to_raw_value(value).ok()
}

/// The body of `PUT /v2/service_instances/:instance_id` («Provisioning»).
///
/// Every field is optional here so that the router can answer a missing one with a
/// 400 that names it; `parameters` and `context` stay the JSON the platform sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProvisionRequest {
    /// The offering's id (REQUIRED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// The plan's id (REQUIRED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// Platform-specific data about the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// Deprecated in favour of `context`: the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_guid: Option<String>,
    /// Deprecated in favour of `context`: the space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_guid: Option<String>,
    /// Configuration parameters for the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Box<RawValue>>,
    /// The maintenance info the platform believes the plan has; `{}` reads as absent.
    #[serde(
        default,
        deserialize_with = "maintenance_info",
        skip_serializing_if = "Option::is_none"
    )]
    pub maintenance_info: Option<MaintenanceInfo>,
}

impl ProvisionRequest {
    /// A request for a plan of an offering.
    pub fn new(service_id: impl Into<String>, plan_id: impl Into<String>) -> Self {
        Self {
            service_id: Some(service_id.into()),
            plan_id: Some(plan_id.into()),
            ..Self::default()
        }
    }

    /// Sets `organization_guid` and `space_guid` (still REQUIRED by the specification
    /// on provision, though deprecated in favour of `context`).
    #[must_use]
    pub fn organization(mut self, organization_guid: &str, space_guid: &str) -> Self {
        self.organization_guid = Some(organization_guid.to_owned());
        self.space_guid = Some(space_guid.to_owned());
        self
    }

    /// Sets `context`.
    #[must_use]
    pub fn context(mut self, context: Context) -> Self {
        self.context = Some(context);
        self
    }

    /// Sets `parameters`.
    #[must_use]
    pub fn parameters(mut self, parameters: &impl Serialize) -> Self {
        self.parameters = raw(parameters);
        self
    }

    /// Sets `maintenance_info`.
    #[must_use]
    pub fn maintenance_info(mut self, info: MaintenanceInfo) -> Self {
        self.maintenance_info = Some(info);
        self
    }
}

/// The body of `PATCH /v2/service_instances/:instance_id` («Updating a Service Instance»).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpdateRequest {
    /// The offering's id (REQUIRED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// The plan to move to; absent keeps the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// Platform-specific data about the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// The parameters to change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Box<RawValue>>,
    /// What the instance was before the update.
    #[serde(
        default,
        deserialize_with = "object",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_values: Option<PreviousValues>,
    /// The maintenance info to move to; `{}` reads as absent.
    #[serde(
        default,
        deserialize_with = "maintenance_info",
        skip_serializing_if = "Option::is_none"
    )]
    pub maintenance_info: Option<MaintenanceInfo>,
}

impl UpdateRequest {
    /// An update of an instance of `service_id` that changes nothing yet.
    pub fn new(service_id: impl Into<String>) -> Self {
        Self {
            service_id: Some(service_id.into()),
            ..Self::default()
        }
    }

    /// Sets `plan_id`: the plan to move to.
    #[must_use]
    pub fn plan(mut self, plan_id: impl Into<String>) -> Self {
        self.plan_id = Some(plan_id.into());
        self
    }

    /// Sets `context`.
    #[must_use]
    pub fn context(mut self, context: Context) -> Self {
        self.context = Some(context);
        self
    }

    /// Sets `parameters`.
    #[must_use]
    pub fn parameters(mut self, parameters: &impl Serialize) -> Self {
        self.parameters = raw(parameters);
        self
    }

    /// Sets `previous_values`.
    #[must_use]
    pub fn previous_values(mut self, previous: PreviousValues) -> Self {
        self.previous_values = Some(previous);
        self
    }

    /// Sets `maintenance_info`.
    #[must_use]
    pub fn maintenance_info(mut self, info: MaintenanceInfo) -> Self {
        self.maintenance_info = Some(info);
        self
    }
}

/// The body of `PUT /v2/service_instances/:instance_id/service_bindings/:binding_id`
/// («Binding»).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BindRequest {
    /// The offering's id (REQUIRED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// The plan's id (REQUIRED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// Platform-specific data about the binding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// Deprecated in favour of `bind_resource.app_guid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_guid: Option<String>,
    /// What the binding is for (an application, a route, …), kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_resource: Option<Box<RawValue>>,
    /// Configuration parameters for the binding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Box<RawValue>>,
    /// The binding this one rotates (2.17, plans with `binding_rotatable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predecessor_binding_id: Option<String>,
}

impl BindRequest {
    /// A request for a binding of an instance of a plan of an offering.
    pub fn new(service_id: impl Into<String>, plan_id: impl Into<String>) -> Self {
        Self {
            service_id: Some(service_id.into()),
            plan_id: Some(plan_id.into()),
            ..Self::default()
        }
    }

    /// Sets `context`.
    #[must_use]
    pub fn context(mut self, context: Context) -> Self {
        self.context = Some(context);
        self
    }

    /// Sets `bind_resource`, for example `{"app_guid": "…"}`.
    #[must_use]
    pub fn bind_resource(mut self, resource: &impl Serialize) -> Self {
        self.bind_resource = raw(resource);
        self
    }

    /// Sets `parameters`.
    #[must_use]
    pub fn parameters(mut self, parameters: &impl Serialize) -> Self {
        self.parameters = raw(parameters);
        self
    }

    /// Sets `predecessor_binding_id`: the binding this one replaces (rotation).
    #[must_use]
    pub fn predecessor(mut self, binding_id: impl Into<String>) -> Self {
        self.predecessor_binding_id = Some(binding_id.into());
        self
    }
}
