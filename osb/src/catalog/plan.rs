//! Plans.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::maintenance::MaintenanceInfo;
use super::schemas::{InputParameters, Schemas};

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
