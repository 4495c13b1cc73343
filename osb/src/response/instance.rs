//! The answers about service instances: provision, update, deprovision, fetch.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::catalog::MaintenanceInfo;

use super::completion::Completion;
use super::fields::INSTANCE_DETAILS_FIELDS;
use super::json::Json;
use super::vendor::VendorFields;

/// Service Instance Metadata: labels and attributes («Service Instance Metadata»).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct InstanceMetadata {
    /// Key-value pairs meaningful to platform users.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub labels: Map<String, Value>,
    /// Broker-generated key-value pairs that may change platform behaviour.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

impl InstanceMetadata {
    /// Adds a label.
    #[must_use]
    pub fn label(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }
}

/// The answer to a provision request.
///
/// ```
/// use osb::Provisioned;
/// let created = Provisioned::created().dashboard_url("https://dash.example.com/db-1");
/// let running = Provisioned::accepted("create-db-1");
/// ```
#[derive(Debug)]
pub struct Provisioned {
    pub(crate) completion: Completion<()>,
    pub(crate) dashboard_url: Option<String>,
    pub(crate) metadata: Option<InstanceMetadata>,
    pub(crate) parameters_in_force: Option<Box<RawValue>>,
    pub(crate) vendor: VendorFields,
}

impl Provisioned {
    /// `201 Created`: the instance was provisioned by this request.
    pub fn created() -> Self {
        Self::with(Completion::Done(()))
    }

    /// `200 OK`: the instance already exists, fully provisioned, with identical attributes.
    pub fn already_exists() -> Self {
        Self::with(Completion::Existing(()))
    }

    accepted_methods!((), "provisioning");

    instance_answer_methods!(
        "The dashboard URL; if the broker has one it MUST be in the first response, \
         even an asynchronous one."
    );
}

/// The answer to an update request.
#[derive(Debug)]
pub struct Updated {
    pub(crate) completion: Completion<()>,
    pub(crate) dashboard_url: Option<String>,
    pub(crate) metadata: Option<InstanceMetadata>,
    pub(crate) parameters_in_force: Option<Box<RawValue>>,
    pub(crate) vendor: VendorFields,
}

impl Updated {
    /// `200 OK`: the changes were applied (or had no effect).
    pub fn completed() -> Self {
        Self::with(Completion::Done(()))
    }

    accepted_methods!((), "the update");

    instance_answer_methods!("A new dashboard URL (absent keeps the old one on the platform).");
}

/// The answer to a deprovision request.
#[derive(Debug)]
pub struct Deprovisioned {
    pub(crate) completion: Completion<()>,
    pub(crate) vendor: VendorFields,
}

impl Deprovisioned {
    /// `200 OK`: the instance was deleted by this request.
    pub fn completed() -> Self {
        Self::with(Completion::Done(()))
    }

    accepted_methods!((), "deprovisioning");

    deleted_answer_methods!();
}

/// The answer to a fetch-instance request (`200 OK`).
#[derive(Debug, Clone)]
pub struct InstanceDetails {
    pub(crate) service_id: Option<String>,
    pub(crate) plan_id: Option<String>,
    pub(crate) dashboard_url: Option<String>,
    pub(crate) parameters: Option<Json>,
    pub(crate) maintenance_info: Option<MaintenanceInfo>,
    pub(crate) metadata: Option<InstanceMetadata>,
    pub(crate) vendor: VendorFields,
}

impl InstanceDetails {
    /// The instance's offering and plan.
    pub fn new(service_id: impl Into<String>, plan_id: impl Into<String>) -> Self {
        Self {
            service_id: Some(service_id.into()),
            plan_id: Some(plan_id.into()),
            dashboard_url: None,
            parameters: None,
            maintenance_info: None,
            metadata: None,
            vendor: VendorFields::default(),
        }
    }

    /// The dashboard URL.
    #[must_use]
    pub fn dashboard_url(mut self, url: impl Into<String>) -> Self {
        self.dashboard_url = Some(url.into());
        self
    }

    /// The parameters in force (the broker MAY leave out sensitive ones).
    #[must_use]
    pub fn parameters(mut self, parameters: &impl Serialize) -> Self {
        self.parameters = Some(Json::new(parameters));
        self
    }

    /// The maintenance info of the instance.
    #[must_use]
    pub fn maintenance_info(mut self, info: MaintenanceInfo) -> Self {
        self.maintenance_info = Some(info);
        self
    }

    /// Instance metadata (labels and attributes).
    #[must_use]
    pub fn metadata(mut self, metadata: InstanceMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    vendor_field_methods!(INSTANCE_DETAILS_FIELDS, "a fetched instance");
}
