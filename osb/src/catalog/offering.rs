//! Service offerings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::plan::Plan;

/// A Service Offering object («Service Offering Object»).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceOffering {
    /// Globally unique, stable id (a GUID is recommended). Required, non-empty.
    pub id: String,
    /// Unique among offerings; CLI-friendly (`[A-Za-z0-9.-]`) is recommended. Required.
    pub name: String,
    /// A short description. Required, non-empty.
    pub description: String,
    /// Classification tags (`mysql`, `relational`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Permissions the service needs from the platform.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<Requirement>,
    /// Whether instances can be bound; the default for every plan.
    pub bindable: bool,
    /// Whether `GET /v2/service_instances/:id` is supported for every plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances_retrievable: Option<bool>,
    /// Whether `GET …/service_bindings/:id` is supported for every plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings_retrievable: Option<bool>,
    /// Whether context-only updates are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_context_updates: Option<bool>,
    /// Display metadata (profile «Service Metadata»).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ServiceMetadata>,
    /// Cloud Foundry dashboard SSO client (profile «Dashboard Client Object»).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_client: Option<DashboardClient>,
    /// Whether plan changes are supported by default (the misspelling is the spec's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_updateable: Option<bool>,
    /// At least one plan.
    pub plans: Vec<Plan>,
    /// Vendor extension fields, serialized next to the spec's fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServiceOffering {
    /// An offering with its three required strings; add plans with [`ServiceOffering::plan`].
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            ..Self::default()
        }
    }

    /// Sets `bindable`.
    #[must_use]
    pub fn bindable(mut self, bindable: bool) -> Self {
        self.bindable = bindable;
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Adds a permission to `requires`.
    #[must_use]
    pub fn requires(mut self, requirement: Requirement) -> Self {
        self.requires.push(requirement);
        self
    }

    /// Sets `instances_retrievable`.
    #[must_use]
    pub fn instances_retrievable(mut self, retrievable: bool) -> Self {
        self.instances_retrievable = Some(retrievable);
        self
    }

    /// Sets `bindings_retrievable`.
    #[must_use]
    pub fn bindings_retrievable(mut self, retrievable: bool) -> Self {
        self.bindings_retrievable = Some(retrievable);
        self
    }

    /// Sets `allow_context_updates`.
    #[must_use]
    pub fn allow_context_updates(mut self, allow: bool) -> Self {
        self.allow_context_updates = Some(allow);
        self
    }

    /// Sets `plan_updateable`.
    #[must_use]
    pub fn plan_updateable(mut self, updateable: bool) -> Self {
        self.plan_updateable = Some(updateable);
        self
    }

    /// Sets the display metadata.
    #[must_use]
    pub fn metadata(mut self, metadata: ServiceMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets the dashboard client.
    #[must_use]
    pub fn dashboard_client(mut self, client: DashboardClient) -> Self {
        self.dashboard_client = Some(client);
        self
    }

    /// Adds a plan.
    #[must_use]
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plans.push(plan);
        self
    }

    /// The plan with `id`, if it belongs to this offering.
    pub fn find_plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|plan| plan.id == id)
    }

    /// Whether `plan` of this offering is bindable: the plan's `bindable`, or the
    /// offering's when the plan does not override it.
    pub fn is_plan_bindable(&self, plan: &Plan) -> bool {
        plan.bindable.unwrap_or(self.bindable)
    }

    /// Whether `plan` of this offering may be changed to another plan: the plan's
    /// `plan_updateable`, or the offering's, or `false`.
    pub fn is_plan_updateable(&self, plan: &Plan) -> bool {
        plan.plan_updateable
            .or(self.plan_updateable)
            .unwrap_or(false)
    }
}

/// A permission a service offering needs from the platform (`requires`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// `syslog_drain`: bindings return a `syslog_drain_url`.
    SyslogDrain,
    /// `route_forwarding`: a route service; bindings may return a `route_service_url`.
    RouteForwarding,
    /// `volume_mount`: bindings return `volume_mounts`.
    VolumeMount,
}

/// Service metadata with the display fields of the profile («Service Metadata»).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceMetadata {
    /// `displayName`: the name shown in graphical clients.
    #[serde(
        rename = "displayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
    /// `imageUrl`: an image URL or data URL.
    #[serde(rename = "imageUrl", default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// `longDescription`.
    #[serde(
        rename = "longDescription",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub long_description: Option<String>,
    /// `providerDisplayName`: who provides the actual service.
    #[serde(
        rename = "providerDisplayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub provider_display_name: Option<String>,
    /// `documentationUrl`.
    #[serde(
        rename = "documentationUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub documentation_url: Option<String>,
    /// `supportUrl`.
    #[serde(
        rename = "supportUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub support_url: Option<String>,
    /// `shareable` (Cloud Foundry): instances can be shared across orgs and spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shareable: Option<bool>,
    /// Any other metadata field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The Cloud Foundry dashboard SSO client of an offering.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardClient {
    /// The OAuth client id. Required, non-empty.
    pub id: String,
    /// The OAuth client secret. Required, non-empty.
    pub secret: String,
    /// The dashboard URI the token server validates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}
