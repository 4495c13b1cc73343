//! What a handler returns: one type per operation, whose constructor decides the status.
//!
//! The types only allow what the specification allows: an `operation` only on a
//! `202 Accepted`, no credentials on an asynchronous bind, `instance_usable` and
//! `update_repeatable` only on a failed instance operation.

/// `vendor_field` and `vendor_fields` for a response type with a `vendor` field: the
/// names in `$reserved` are the specification's for that answer.
macro_rules! vendor_field_methods {
    ($reserved:expr, $what:literal) => {
        #[doc = concat!("A vendor extension field ([`VendorFields`]) of ", $what, ".")]
        ///
        /// A name the specification defines for this answer is left out.
        #[must_use]
        pub fn vendor_field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
            self.vendor.insert($reserved, name.into(), value.into());
            self
        }

        /// The vendor extension fields set so far.
        pub fn vendor_fields(&self) -> &VendorFields {
            &self.vendor
        }
    };
}

pub(crate) mod binding;
mod time;
mod vendor;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub use binding::{
    Binding, BindingEndpoint, BindingMetadata, Bound, DeviceType, Protocol, SharedDevice, Unbound,
    VolumeMode, VolumeMount,
};
pub use time::{ParseTimestampError, Timestamp};
pub use vendor::VendorFields;

use crate::{Error, MaintenanceInfo};

/// JSON a handler supplied, serialized when it was supplied; a value that cannot be
/// serialized is reported (500) when the response is written, never lost silently.
#[derive(Clone)]
pub(crate) enum Json {
    Raw(Box<RawValue>),
    Invalid(String),
}

impl Json {
    pub(crate) fn new(value: &impl Serialize) -> Self {
        match serde_json::value::to_raw_value(value) {
            Ok(raw) => Json::Raw(raw),
            Err(err) => Json::Invalid(err.to_string()),
        }
    }

    pub(crate) fn raw(&self) -> Option<&RawValue> {
        match self {
            Json::Raw(raw) => Some(raw),
            Json::Invalid(_) => None,
        }
    }

    pub(crate) fn error(&self) -> Option<&str> {
        match self {
            Json::Raw(_) => None,
            Json::Invalid(err) => Some(err),
        }
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Credentials and parameters can hold secrets: never print them.
            Json::Raw(raw) => write!(f, "<{} bytes of JSON>", raw.get().len()),
            Json::Invalid(err) => write!(f, "<unserializable: {err}>"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Json::Raw)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Raw(raw) => raw.serialize(serializer),
            Json::Invalid(err) => Err(serde::ser::Error::custom(err)),
        }
    }
}

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

/// Work a handler hands to the framework: it runs after the `202 Accepted`, and its
/// result is what `last_operation` reports. Needs a state store
/// ([`Builder::store`](crate::Builder::store)), which records the operation, keeps
/// it alive and resumes or fails it after a restart.
pub struct Background<T>(
    pub(crate) Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>,
);

impl<T> Background<T> {
    /// Wraps the work.
    pub fn new(work: impl Future<Output = Result<T, Error>> + Send + 'static) -> Self {
        Self(Box::pin(work))
    }
}

impl<T> fmt::Debug for Background<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Background(..)")
    }
}

/// Whether an operation finished now or continues in the background.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Finished: 200 (or 201 for created resources).
    Done,
    /// Already existed identically: 200 (provision and bind only).
    Existing,
    /// Continues asynchronously: 202 with the optional operation id.
    Accepted(Option<String>),
    /// Continues as work run by the framework: 202 with an operation id the
    /// framework assigns.
    Background(Background<()>),
}

impl Outcome {
    pub(crate) fn operation(&self) -> Option<&str> {
        match self {
            Outcome::Accepted(operation) => operation.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn is_accepted(&self) -> bool {
        matches!(self, Outcome::Accepted(_) | Outcome::Background(_))
    }
}

// The names each answer defines («Vendor Extension Fields»: extensions must not
// collide with them). Fetched bindings add `parameters` to a binding's fields.
const INSTANCE_ANSWER_FIELDS: &[&str] = &["dashboard_url", "operation", "metadata"];
pub(crate) const DELETE_ANSWER_FIELDS: &[&str] = &["operation"];
const INSTANCE_DETAILS_FIELDS: &[&str] = &[
    "service_id",
    "plan_id",
    "dashboard_url",
    "parameters",
    "maintenance_info",
    "metadata",
];
const OPERATION_STATUS_FIELDS: &[&str] = &[
    "state",
    "description",
    "instance_usable",
    "update_repeatable",
];
const BINDING_OPERATION_STATUS_FIELDS: &[&str] = &["state", "description"];
pub(crate) const BINDING_FIELDS: &[&str] = &[
    "metadata",
    "credentials",
    "syslog_drain_url",
    "route_service_url",
    "volume_mounts",
    "endpoints",
    "parameters",
    "operation",
];

/// The answer to a provision request.
///
/// ```
/// use osb::Provisioned;
/// let created = Provisioned::created().dashboard_url("https://dash.example.com/db-1");
/// let running = Provisioned::accepted("create-db-1");
/// ```
#[derive(Debug)]
pub struct Provisioned {
    pub(crate) outcome: Outcome,
    pub(crate) dashboard_url: Option<String>,
    pub(crate) metadata: Option<InstanceMetadata>,
    pub(crate) parameters_in_force: Option<Box<RawValue>>,
    pub(crate) vendor: VendorFields,
}

impl Provisioned {
    fn with(outcome: Outcome) -> Self {
        Self {
            outcome,
            dashboard_url: None,
            metadata: None,
            parameters_in_force: None,
            vendor: VendorFields::default(),
        }
    }

    /// `201 Created`: the instance was provisioned by this request.
    pub fn created() -> Self {
        Self::with(Outcome::Done)
    }

    /// `200 OK`: the instance already exists, fully provisioned, with identical attributes.
    pub fn already_exists() -> Self {
        Self::with(Outcome::Existing)
    }

    /// `202 Accepted`: provisioning continues; the platform polls `last_operation`
    /// with `operation` (at most 10,000 characters).
    pub fn accepted(operation: impl Into<String>) -> Self {
        Self::with(Outcome::Accepted(Some(operation.into())))
    }

    /// `202 Accepted` without an operation id: only one operation per instance can
    /// then be told apart.
    pub fn accepted_without_operation() -> Self {
        Self::with(Outcome::Accepted(None))
    }

    /// `202 Accepted`, provisioning as `work`, which the framework runs and polls:
    /// `last_operation` reports `in progress` until it returns, then `succeeded` or
    /// `failed` with the error's description. Needs a state store.
    pub fn in_background(work: impl Future<Output = Result<(), Error>> + Send + 'static) -> Self {
        Self::with(Outcome::Background(Background::new(work)))
    }

    /// The dashboard URL; if the broker has one it MUST be in the first response,
    /// even an asynchronous one.
    #[must_use]
    pub fn dashboard_url(mut self, url: impl Into<String>) -> Self {
        self.dashboard_url = Some(url.into());
        self
    }

    /// Instance metadata (labels and attributes).
    #[must_use]
    pub fn metadata(mut self, metadata: InstanceMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The parameters in force as fetching the instance reports them (with defaults
    /// applied, say). Not part of the response: with a state store, they are stored
    /// in place of the request's parameters. A value that does not serialize is
    /// ignored.
    #[must_use]
    pub fn parameters_in_force(mut self, parameters: &impl Serialize) -> Self {
        self.parameters_in_force = crate::raw_json::to_raw_value(parameters).ok();
        self
    }

    vendor_field_methods!(INSTANCE_ANSWER_FIELDS, "a provision or update answer");

    /// Whether this is a `202 Accepted`.
    pub fn is_accepted(&self) -> bool {
        self.outcome.is_accepted()
    }

    /// The operation id of a `202 Accepted`.
    pub fn operation(&self) -> Option<&str> {
        self.outcome.operation()
    }
}

/// The answer to an update request.
#[derive(Debug)]
pub struct Updated {
    pub(crate) outcome: Outcome,
    pub(crate) dashboard_url: Option<String>,
    pub(crate) metadata: Option<InstanceMetadata>,
    pub(crate) parameters_in_force: Option<Box<RawValue>>,
    pub(crate) vendor: VendorFields,
}

impl Updated {
    fn with(outcome: Outcome) -> Self {
        Self {
            outcome,
            dashboard_url: None,
            metadata: None,
            parameters_in_force: None,
            vendor: VendorFields::default(),
        }
    }

    /// `200 OK`: the changes were applied (or had no effect).
    pub fn completed() -> Self {
        Self::with(Outcome::Done)
    }

    /// `202 Accepted`: the update continues; the platform polls with `operation`.
    pub fn accepted(operation: impl Into<String>) -> Self {
        Self::with(Outcome::Accepted(Some(operation.into())))
    }

    /// `202 Accepted` without an operation id.
    pub fn accepted_without_operation() -> Self {
        Self::with(Outcome::Accepted(None))
    }

    /// `202 Accepted`, updating as `work`, run and polled by the framework. Needs a
    /// state store.
    pub fn in_background(work: impl Future<Output = Result<(), Error>> + Send + 'static) -> Self {
        Self::with(Outcome::Background(Background::new(work)))
    }

    /// A new dashboard URL (absent keeps the old one on the platform).
    #[must_use]
    pub fn dashboard_url(mut self, url: impl Into<String>) -> Self {
        self.dashboard_url = Some(url.into());
        self
    }

    /// Instance metadata (labels and attributes).
    #[must_use]
    pub fn metadata(mut self, metadata: InstanceMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The parameters in force as fetching the instance reports them (with defaults
    /// applied, say). Not part of the response: with a state store, they are stored
    /// in place of the request's parameters. A value that does not serialize is
    /// ignored.
    #[must_use]
    pub fn parameters_in_force(mut self, parameters: &impl Serialize) -> Self {
        self.parameters_in_force = crate::raw_json::to_raw_value(parameters).ok();
        self
    }

    vendor_field_methods!(INSTANCE_ANSWER_FIELDS, "a provision or update answer");

    /// Whether this is a `202 Accepted`.
    pub fn is_accepted(&self) -> bool {
        self.outcome.is_accepted()
    }

    /// The operation id of a `202 Accepted`.
    pub fn operation(&self) -> Option<&str> {
        self.outcome.operation()
    }
}

/// The answer to a deprovision request.
#[derive(Debug)]
pub struct Deprovisioned {
    pub(crate) outcome: Outcome,
    pub(crate) vendor: VendorFields,
}

impl Deprovisioned {
    /// `200 OK`: the instance was deleted by this request.
    pub fn completed() -> Self {
        Self {
            outcome: Outcome::Done,
            vendor: VendorFields::default(),
        }
    }

    /// `202 Accepted`: deletion continues; the platform polls with `operation`.
    pub fn accepted(operation: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Accepted(Some(operation.into())),
            vendor: VendorFields::default(),
        }
    }

    /// `202 Accepted` without an operation id.
    pub fn accepted_without_operation() -> Self {
        Self {
            outcome: Outcome::Accepted(None),
            vendor: VendorFields::default(),
        }
    }

    /// `202 Accepted`, deleting as `work`, run and polled by the framework. Needs a
    /// state store.
    pub fn in_background(work: impl Future<Output = Result<(), Error>> + Send + 'static) -> Self {
        Self {
            outcome: Outcome::Background(Background::new(work)),
            vendor: VendorFields::default(),
        }
    }

    vendor_field_methods!(DELETE_ANSWER_FIELDS, "a deprovision or unbind answer");

    /// Whether this is a `202 Accepted`.
    pub fn is_accepted(&self) -> bool {
        self.outcome.is_accepted()
    }

    /// The operation id of a `202 Accepted`.
    pub fn operation(&self) -> Option<&str> {
        self.outcome.operation()
    }
}

/// The answer to a fetch-instance request (`200 OK`).
#[derive(Debug, Clone, Serialize)]
pub struct InstanceDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    service_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dashboard_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parameters: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maintenance_info: Option<MaintenanceInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<InstanceMetadata>,
    #[serde(flatten)]
    vendor: VendorFields,
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

/// The `state` of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum OperationState {
    /// `in progress`: the platform keeps polling.
    #[serde(rename = "in progress")]
    InProgress,
    /// `succeeded`: the platform stops polling.
    #[serde(rename = "succeeded")]
    Succeeded,
    /// `failed`: the platform stops polling and may clean up.
    #[serde(rename = "failed")]
    Failed,
}

/// The answer to polling an instance operation (`200 OK`).
///
/// ```
/// use osb::OperationStatus;
/// use std::time::Duration;
/// let status = OperationStatus::in_progress()
///     .description("Creating database (40%)")
///     .retry_after(Duration::from_secs(5));
/// let failed = OperationStatus::failed().description("quota exceeded").instance_usable(true);
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct OperationStatus {
    state: OperationState,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_usable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_repeatable: Option<bool>,
    #[serde(flatten)]
    vendor: VendorFields,
    #[serde(skip)]
    pub(crate) retry_after: Option<Duration>,
}

impl OperationStatus {
    /// An answer with `state`.
    pub fn new(state: OperationState) -> Self {
        Self {
            state,
            description: None,
            instance_usable: None,
            update_repeatable: None,
            vendor: VendorFields::default(),
            retry_after: None,
        }
    }

    /// `in progress`.
    pub fn in_progress() -> Self {
        Self::new(OperationState::InProgress)
    }

    /// `succeeded`.
    pub fn succeeded() -> Self {
        Self::new(OperationState::Succeeded)
    }

    /// `failed`.
    pub fn failed() -> Self {
        Self::new(OperationState::Failed)
    }

    /// A user-facing message about the operation (an empty text sends none).
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        let description = description.into();
        self.description = (!description.is_empty()).then_some(description);
        self
    }

    /// For a failed update or deprovision: whether the instance is still usable.
    /// Ignored unless the state is `failed`.
    #[must_use]
    pub fn instance_usable(mut self, usable: bool) -> Self {
        self.instance_usable = (self.state == OperationState::Failed).then_some(usable);
        self
    }

    /// For a failed update: whether it may be repeated. Ignored unless the state is `failed`.
    #[must_use]
    pub fn update_repeatable(mut self, repeatable: bool) -> Self {
        self.update_repeatable = (self.state == OperationState::Failed).then_some(repeatable);
        self
    }

    /// Sends `Retry-After` (whole seconds, at least 1): when the platform should poll again.
    #[must_use]
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    vendor_field_methods!(OPERATION_STATUS_FIELDS, "an instance operation status");

    /// The state.
    pub fn state(&self) -> OperationState {
        self.state
    }

    pub(crate) fn description_text(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

/// The answer to polling a binding operation (`200 OK`).
#[derive(Debug, Clone, Serialize)]
pub struct BindingOperationStatus {
    state: OperationState,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(flatten)]
    vendor: VendorFields,
    #[serde(skip)]
    pub(crate) retry_after: Option<Duration>,
}

impl BindingOperationStatus {
    /// An answer with `state`.
    pub fn new(state: OperationState) -> Self {
        Self {
            state,
            description: None,
            vendor: VendorFields::default(),
            retry_after: None,
        }
    }

    /// `in progress`.
    pub fn in_progress() -> Self {
        Self::new(OperationState::InProgress)
    }

    /// `succeeded`.
    pub fn succeeded() -> Self {
        Self::new(OperationState::Succeeded)
    }

    /// `failed`.
    pub fn failed() -> Self {
        Self::new(OperationState::Failed)
    }

    /// A user-facing message about the operation (an empty text sends none).
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        let description = description.into();
        self.description = (!description.is_empty()).then_some(description);
        self
    }

    /// Sends `Retry-After` (whole seconds, at least 1).
    #[must_use]
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    vendor_field_methods!(
        BINDING_OPERATION_STATUS_FIELDS,
        "a binding operation status"
    );

    /// The state.
    pub fn state(&self) -> OperationState {
        self.state
    }

    pub(crate) fn description_text(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// «Polling Last Operation»: `description`, if present, MUST be non-empty.
    #[test]
    fn empty_descriptions_are_left_out() {
        let status = OperationStatus::new(OperationState::Failed).description("");
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!({ "state": "failed" })
        );
        let status = BindingOperationStatus::new(OperationState::Failed).description("");
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!({ "state": "failed" })
        );
    }
}
