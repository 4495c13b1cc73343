//! The catalog: service offerings and their plans («Catalog Management»).
//!
//! These are the wire types of `GET /v2/catalog`. Absent optional fields are
//! omitted on output, never sent as `null`; vendor extension fields go in the
//! `extra` maps and are serialized next to the spec's fields.

mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use validate::CatalogError;
pub(crate) use validate::validate;

/// The body of `GET /v2/catalog`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// The service offerings; MAY be empty.
    pub services: Vec<Service>,
}

impl Catalog {
    /// A catalog of `services`.
    pub fn new(services: impl IntoIterator<Item = Service>) -> Self {
        Self {
            services: services.into_iter().collect(),
        }
    }

    /// Checks every rule the specification states for a catalog (unique ids and
    /// names, non-empty required fields, semver `maintenance_info`, schemas with
    /// `$schema`, no external `$ref`, at most 64 kB each …) and lists every violation.
    pub fn validate(&self) -> Result<(), CatalogError> {
        validate(std::slice::from_ref(self))
    }

    /// The catalog as JSON, exactly as the runtime serves it.
    pub fn to_json(&self) -> String {
        // A catalog holds only strings, booleans, numbers and JSON maps with string
        // keys, which always serialize.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"services\":[]}"))
    }
}

/// A Service Offering object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Service {
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

impl Service {
    /// An offering with its three required strings; add plans with [`Service::plan`].
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

/// A Service Plan object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Globally unique, stable id. Required, non-empty.
    pub id: String,
    /// Unique within its offering. Required, non-empty.
    pub name: String,
    /// A short description. Required, non-empty.
    pub description: String,
    /// Display metadata (profile «Plan Metadata Fields»).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<PlanMetadata>,
    /// `false` if instances of this plan cost money (spec default: `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free: Option<bool>,
    /// Overrides the offering's `bindable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindable: Option<bool>,
    /// Whether bindings of this plan can be rotated (`predecessor_binding_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_rotatable: Option<bool>,
    /// Overrides the offering's `plan_updateable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_updateable: Option<bool>,
    /// JSON Schemas of the parameters of provision, update and bind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schemas: Option<Schemas>,
    /// Seconds the platform should poll an operation of this plan before giving up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_polling_duration: Option<u64>,
    /// The maintenance version of instances of this plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_info: Option<MaintenanceInfo>,
    /// Vendor extension fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// Operations this plan performs only asynchronously: requests for them without
    /// `accepts_incomplete=true` get 422 `AsyncRequired` before any handler runs.
    /// A runtime setting, not sent in the catalog.
    #[serde(skip)]
    pub async_only: AsyncOperations,
    /// Bind requests for this plan must carry an `app_guid` (or `bind_resource.app_guid`),
    /// else they get 422 `RequiresApp`. A runtime setting, not sent in the catalog.
    #[serde(skip)]
    pub requires_app: bool,
}

impl Plan {
    /// A plan with its three required strings.
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

    /// Sets `free`.
    #[must_use]
    pub fn free(mut self, free: bool) -> Self {
        self.free = Some(free);
        self
    }

    /// Sets `bindable`, overriding the offering.
    #[must_use]
    pub fn bindable(mut self, bindable: bool) -> Self {
        self.bindable = Some(bindable);
        self
    }

    /// Sets `binding_rotatable`.
    #[must_use]
    pub fn binding_rotatable(mut self, rotatable: bool) -> Self {
        self.binding_rotatable = Some(rotatable);
        self
    }

    /// Sets `plan_updateable`, overriding the offering.
    #[must_use]
    pub fn plan_updateable(mut self, updateable: bool) -> Self {
        self.plan_updateable = Some(updateable);
        self
    }

    /// Sets the display metadata.
    #[must_use]
    pub fn metadata(mut self, metadata: PlanMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets `maximum_polling_duration` in seconds.
    #[must_use]
    pub fn maximum_polling_duration(mut self, seconds: u64) -> Self {
        self.maximum_polling_duration = Some(seconds);
        self
    }

    /// Sets `maintenance_info`.
    #[must_use]
    pub fn maintenance_info(mut self, info: MaintenanceInfo) -> Self {
        self.maintenance_info = Some(info);
        self
    }

    /// Sets the JSON Schema of the provision parameters (`schemas.service_instance.create`).
    #[must_use]
    pub fn provision_schema(mut self, schema: Value) -> Self {
        let schemas = self.schemas.get_or_insert_with(Schemas::default);
        let instance = schemas
            .service_instance
            .get_or_insert_with(Default::default);
        instance.create = Some(InputParameters::new(schema));
        self
    }

    /// Sets the JSON Schema of the update parameters (`schemas.service_instance.update`).
    #[must_use]
    pub fn update_schema(mut self, schema: Value) -> Self {
        let schemas = self.schemas.get_or_insert_with(Schemas::default);
        let instance = schemas
            .service_instance
            .get_or_insert_with(Default::default);
        instance.update = Some(InputParameters::new(schema));
        self
    }

    /// Sets the JSON Schema of the bind parameters (`schemas.service_binding.create`).
    #[must_use]
    pub fn bind_schema(mut self, schema: Value) -> Self {
        let schemas = self.schemas.get_or_insert_with(Schemas::default);
        let binding = schemas.service_binding.get_or_insert_with(Default::default);
        binding.create = Some(InputParameters::new(schema));
        self
    }

    /// Declares the operations this plan performs only asynchronously.
    #[must_use]
    pub fn async_only(mut self, operations: AsyncOperations) -> Self {
        self.async_only = operations;
        self
    }

    /// Requires an `app_guid` on bind requests.
    #[must_use]
    pub fn requires_app(mut self, required: bool) -> Self {
        self.requires_app = required;
        self
    }

    /// The plan's `bindable`, or the offering's when the plan does not override it.
    pub fn effective_bindable(&self, service: &Service) -> bool {
        self.bindable.unwrap_or(service.bindable)
    }

    /// The plan's `plan_updateable`, or the offering's, or `false`.
    pub fn effective_plan_updateable(&self, service: &Service) -> bool {
        self.plan_updateable
            .or(service.plan_updateable)
            .unwrap_or(false)
    }

    fn schema(&self, pick: fn(&Schemas) -> Option<&InputParameters>) -> Option<&Value> {
        self.schemas
            .as_ref()
            .and_then(pick)
            .map(|input| &input.parameters)
    }

    /// The schema of the provision parameters, if declared.
    pub fn provision_parameters_schema(&self) -> Option<&Value> {
        self.schema(|s| s.service_instance.as_ref()?.create.as_ref())
    }

    /// The schema of the update parameters, if declared.
    pub fn update_parameters_schema(&self) -> Option<&Value> {
        self.schema(|s| s.service_instance.as_ref()?.update.as_ref())
    }

    /// The schema of the bind parameters, if declared.
    pub fn bind_parameters_schema(&self) -> Option<&Value> {
        self.schema(|s| s.service_binding.as_ref()?.create.as_ref())
    }
}

/// A set of the operations that can run asynchronously.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AsyncOperations(u8);

impl AsyncOperations {
    /// No operation.
    pub const NONE: Self = Self(0);
    /// Provisioning.
    pub const PROVISION: Self = Self(1);
    /// Updating.
    pub const UPDATE: Self = Self(1 << 1);
    /// Deprovisioning.
    pub const DEPROVISION: Self = Self(1 << 2);
    /// Binding.
    pub const BIND: Self = Self(1 << 3);
    /// Unbinding.
    pub const UNBIND: Self = Self(1 << 4);
    /// Every operation that can be asynchronous.
    pub const ALL: Self = Self(0b1_1111);

    /// Both sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every operation of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
}

impl std::ops::BitOr for AsyncOperations {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

/// Plan metadata with the display fields of the profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanMetadata {
    /// `displayName`: the plan name shown in graphical clients.
    #[serde(
        rename = "displayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
    /// `bullets`: features, shown as a bulleted list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bullets: Vec<String>,
    /// `costs`: what the plan costs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub costs: Vec<Cost>,
    /// Any other metadata field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Cost object: amounts per currency for one unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Currency code (`usd`) → amount.
    pub amount: BTreeMap<String, f64>,
    /// The unit, such as `MONTHLY` or `1GB of messages over 20GB`.
    pub unit: String,
}

impl Cost {
    /// A cost of `amount` in `currency` per `unit`.
    pub fn new(currency: impl Into<String>, amount: f64, unit: impl Into<String>) -> Self {
        Self {
            amount: BTreeMap::from([(currency.into(), amount)]),
            unit: unit.into(),
        }
    }
}

/// The Schemas object of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schemas {
    /// Schemas for creating and updating instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_instance: Option<ServiceInstanceSchemas>,
    /// Schema for creating bindings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_binding: Option<ServiceBindingSchemas>,
}

/// Schemas for creating and updating an instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceInstanceSchemas {
    /// Provision parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<InputParameters>,
    /// Update parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<InputParameters>,
}

/// Schema for creating a binding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceBindingSchemas {
    /// Bind parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<InputParameters>,
}

/// An Input Parameters Schema object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputParameters {
    /// A JSON Schema with `$schema`, no external references, at most 64 kB.
    pub parameters: Value,
}

impl InputParameters {
    /// Wraps a JSON Schema.
    pub fn new(parameters: Value) -> Self {
        Self { parameters }
    }
}

/// A Maintenance Info object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceInfo {
    /// A semantic version 2.0 string. Required.
    pub version: String,
    /// The impact of the maintenance update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl MaintenanceInfo {
    /// Maintenance info with `version`.
    pub fn new(version: impl Into<String>) -> Self {
        Self {
            version: version.into(),
            description: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn omits_absent_optionals() {
        let catalog = Catalog::new([Service::new("s", "svc", "A service.")
            .plan(Plan::new("p", "plan", "A plan.").async_only(AsyncOperations::ALL))]);
        assert_eq!(
            catalog.to_json(),
            r#"{"services":[{"id":"s","name":"svc","description":"A service.","bindable":false,"plans":[{"id":"p","name":"plan","description":"A plan."}]}]}"#
        );
    }

    #[test]
    fn serializes_profile_fields_and_extensions() {
        let mut service = Service::new("s", "svc", "d").metadata(ServiceMetadata {
            display_name: Some("Svc".into()),
            shareable: Some(true),
            ..Default::default()
        });
        service.extra.insert("x-vendor".into(), json!(1));
        let plan = Plan::new("p", "plan", "d").metadata(PlanMetadata {
            bullets: vec!["fast".into()],
            costs: vec![Cost::new("usd", 9.5, "MONTHLY")],
            ..Default::default()
        });
        let value = serde_json::to_value(service.plan(plan)).unwrap();
        assert_eq!(
            value["metadata"],
            json!({"displayName": "Svc", "shareable": true})
        );
        assert_eq!(value["x-vendor"], json!(1));
        assert_eq!(
            value["plans"][0]["metadata"],
            json!({"bullets": ["fast"], "costs": [{"amount": {"usd": 9.5}, "unit": "MONTHLY"}]})
        );
    }

    /// The profile's «Service Metadata» names, as platforms read them.
    #[test]
    fn serializes_every_profile_service_field_by_its_profile_name() {
        let metadata = ServiceMetadata {
            display_name: Some("Db".into()),
            image_url: Some("data:image/png;base64,AAAA".into()),
            long_description: Some("A long one.".into()),
            provider_display_name: Some("Us".into()),
            documentation_url: Some("https://docs.example.com".into()),
            support_url: Some("https://help.example.com".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&metadata).unwrap(),
            json!({
                "displayName": "Db",
                "imageUrl": "data:image/png;base64,AAAA",
                "longDescription": "A long one.",
                "providerDisplayName": "Us",
                "documentationUrl": "https://docs.example.com",
                "supportUrl": "https://help.example.com",
            })
        );
    }

    #[test]
    fn async_operations_set() {
        let ops = AsyncOperations::PROVISION | AsyncOperations::DEPROVISION;
        assert!(ops.contains(AsyncOperations::PROVISION));
        assert!(!ops.contains(AsyncOperations::BIND));
        assert!(AsyncOperations::ALL.contains(AsyncOperations::UNBIND));
        assert!(!AsyncOperations::NONE.contains(AsyncOperations::NONE));
    }
}
