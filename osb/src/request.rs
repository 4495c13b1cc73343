//! What a handler receives: one typed request per operation.
//!
//! The runtime has already authenticated the caller, checked the API version,
//! decoded the headers, checked that the ids are non-empty and that the plan
//! belongs to the service, and validated `parameters` against the plan's schema.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::{ApiVersion, BindResource, Context, Error, MaintenanceInfo, OriginatingIdentity};
use crate::{PreviousValues, Principal};

/// Facts about a request that every handler may want, the same for all operations.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestMeta {
    /// The version from `X-Broker-API-Version`.
    pub api_version: ApiVersion,
    /// The decoded `X-Broker-API-Originating-Identity`, if sent.
    pub originating_identity: Option<OriginatingIdentity>,
    /// `X-Broker-API-Request-Identity`, if sent (it is echoed on the response).
    pub request_identity: Option<String>,
    /// Who authenticated, unless authentication is off.
    pub principal: Option<Principal>,
}

impl Default for RequestMeta {
    fn default() -> Self {
        Self {
            api_version: ApiVersion::LATEST,
            originating_identity: None,
            request_identity: None,
            principal: None,
        }
    }
}

/// Configuration parameters as the platform sent them: a JSON object, kept raw
/// until the handler reads it.
///
/// When the plan declares a schema, the runtime has validated the object against
/// it before the handler runs.
#[derive(Clone)]
pub struct Parameters(Box<RawValue>);

impl PartialEq for Parameters {
    /// Compares the JSON text as sent.
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Parameters {
    /// Parameters from raw JSON; errors unless it is an object.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self, Error> {
        if raw.get().trim_start().starts_with('{') {
            Ok(Self(raw))
        } else {
            Err(Error::bad_request("`parameters` must be a JSON object"))
        }
    }

    /// Parameters from any serializable value that serializes to an object.
    pub fn from_serialize(value: &impl Serialize) -> Result<Self, Error> {
        Self::from_raw(crate::raw_json::to_raw_value(value)?)
    }

    /// The JSON text.
    pub fn as_raw(&self) -> &RawValue {
        &self.0
    }

    /// Deserializes the object into `T`; a mismatch is a 400 naming the problem.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(self.0.get()).map_err(|err| {
            Error::invalid_parameters(format!("parameters: {}", serde_message(&err)))
        })
    }

    /// One property as `T`, `None` if absent.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        let map: HashMap<Cow<'_, str>, &RawValue> =
            serde_json::from_str(self.0.get()).map_err(|err| {
                Error::invalid_parameters(format!("parameters: {}", serde_message(&err)))
            })?;
        map.get(key)
            .map(|raw| {
                serde_json::from_str(raw.get()).map_err(|err| {
                    Error::invalid_parameters(format!("parameters.{key}: {}", serde_message(&err)))
                })
            })
            .transpose()
    }
}

impl fmt::Debug for Parameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parameters can hold secrets; a Debug print names their size only.
        write!(f, "Parameters({} bytes)", self.0.get().len())
    }
}

impl Serialize for Parameters {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Parameters {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Parameters::from_raw(raw).map_err(|err| serde::de::Error::custom(err.description()))
    }
}

/// serde_json's message without the "at line 1 column 7" suffix, which means
/// nothing to a platform user.
pub(crate) fn serde_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) if err.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

/// Reads `maintenance_info`, treating an object without `version` (`{}`, which real
/// platforms and checkers send) as absent.
pub(crate) fn maintenance_info<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<MaintenanceInfo>, D::Error> {
    #[derive(Deserialize)]
    struct Loose {
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        description: Option<String>,
    }
    let loose: Option<Loose> = object(deserializer)?;
    Ok(loose.and_then(|l| {
        l.version.map(|version| MaintenanceInfo {
            version,
            description: l.description,
        })
    }))
}

/// An optional field that must be a JSON object when present: serde's derived
/// structs also read arrays, field by field, which would turn `["1.0.0"]` into a
/// `maintenance_info` instead of a 400.
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Optional<T>(PhantomData<T>);
    struct Object<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Optional<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_map(Object(PhantomData)).map(Some)
        }
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }

    deserializer.deserialize_option(Optional(PhantomData))
}

/// Raw request body, kept for reading vendor extension fields.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct RawBody(pub(crate) Bytes);

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", self.0.len())
    }
}

impl RawBody {
    fn field<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, serde_json::Error> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let map: HashMap<Cow<'_, str>, &RawValue> = serde_json::from_slice(&self.0)?;
        map.get(name)
            .map(|raw| serde_json::from_str(raw.get()))
            .transpose()
    }
}

macro_rules! vendor_fields {
    ($($ty:ident),*) => {$(
        impl<P> $ty<P> {
            /// A top-level field of the request body that the specification does not
            /// define (a vendor extension, «Vendor Extension Fields»), as `T`.
            pub fn vendor_field<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, serde_json::Error> {
                self.body.field(name)
            }

            /// Replaces `parameters` by `f(parameters)`, keeping everything else.
            pub fn map_parameters<Q>(self, f: impl FnOnce(P) -> Q) -> $ty<Q> {
                match self.try_map_parameters(|p| Ok::<Q, std::convert::Infallible>(f(p))) {
                    Ok(request) => request,
                    Err(never) => match never {},
                }
            }
        }
    )*};
}
vendor_fields!(Provision, Update, Bind);

/// `PUT /v2/service_instances/:instance_id`: create an instance («Provisioning»).
///
/// `P` is the type of `parameters`: raw ([`Option<Parameters>`]) for a broker written
/// against [`Broker`](crate::Broker), the plan's declared type with the macros.
#[derive(Debug, Clone, PartialEq)]
pub struct Provision<P = Option<Parameters>> {
    /// The new instance's id.
    pub instance_id: String,
    /// The offering, which exists in the catalog.
    pub service_id: String,
    /// The plan, which belongs to the offering.
    pub plan_id: String,
    /// Platform context.
    pub context: Option<Context>,
    /// Deprecated by `context` but still sent: the platform organization.
    pub organization_guid: Option<String>,
    /// Deprecated by `context` but still sent: the platform space.
    pub space_guid: Option<String>,
    /// Configuration parameters.
    pub parameters: P,
    /// The maintenance version the platform expects; already checked against the plan's.
    pub maintenance_info: Option<MaintenanceInfo>,
    /// `accepts_incomplete=true`: the platform accepts a `202 Accepted`.
    pub accepts_incomplete: bool,
    /// Version, identities, principal.
    pub meta: RequestMeta,
    pub(crate) plan_index: usize,
    pub(crate) body: RawBody,
}

impl Provision {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(
        instance_id: impl Into<String>,
        service_id: impl Into<String>,
        plan_id: impl Into<String>,
    ) -> Self {
        Self {
            instance_id: instance_id.into(),
            service_id: service_id.into(),
            plan_id: plan_id.into(),
            context: None,
            organization_guid: None,
            space_guid: None,
            parameters: None,
            maintenance_info: None,
            accepts_incomplete: false,
            meta: RequestMeta::default(),
            plan_index: 0,
            body: RawBody::default(),
        }
    }
}

impl<P> Provision<P> {
    /// Where the plan stands in [`Broker::catalog`](crate::Broker::catalog), counting
    /// the plans of all offerings in order (for dispatch without comparing strings).
    pub fn plan_index(&self) -> usize {
        self.plan_index
    }

    /// Sets [`Provision::plan_index`], for building requests in tests.
    #[must_use]
    pub fn at_plan_index(mut self, index: usize) -> Self {
        self.plan_index = index;
        self
    }

    /// Replaces `parameters` by `f(parameters)`, or returns `f`'s error.
    pub fn try_map_parameters<Q, E>(
        self,
        f: impl FnOnce(P) -> Result<Q, E>,
    ) -> Result<Provision<Q>, E> {
        let parameters = f(self.parameters)?;
        Ok(Provision {
            instance_id: self.instance_id,
            service_id: self.service_id,
            plan_id: self.plan_id,
            context: self.context,
            organization_guid: self.organization_guid,
            space_guid: self.space_guid,
            parameters,
            maintenance_info: self.maintenance_info,
            accepts_incomplete: self.accepts_incomplete,
            meta: self.meta,
            plan_index: self.plan_index,
            body: self.body,
        })
    }
}

/// `PATCH /v2/service_instances/:instance_id`: change plan, parameters, context or
/// maintenance version («Updating a Service Instance»).
#[derive(Debug, Clone, PartialEq)]
pub struct Update<P = Parameters> {
    /// The instance.
    pub instance_id: String,
    /// The offering, which exists in the catalog.
    pub service_id: String,
    /// The new plan; absent means the plan MUST NOT change.
    pub plan_id: Option<String>,
    /// New parameters; absent means the parameters MUST NOT change.
    pub parameters: Option<P>,
    /// Platform context.
    pub context: Option<Context>,
    /// The instance's values before the update.
    pub previous_values: Option<PreviousValues>,
    /// The maintenance version to apply; already checked against the plan's.
    pub maintenance_info: Option<MaintenanceInfo>,
    /// `accepts_incomplete=true`.
    pub accepts_incomplete: bool,
    /// Version, identities, principal.
    pub meta: RequestMeta,
    pub(crate) plan_index: Option<usize>,
    pub(crate) body: RawBody,
}

impl Update {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(instance_id: impl Into<String>, service_id: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
            service_id: service_id.into(),
            plan_id: None,
            parameters: None,
            context: None,
            previous_values: None,
            maintenance_info: None,
            accepts_incomplete: false,
            meta: RequestMeta::default(),
            plan_index: None,
            body: RawBody::default(),
        }
    }
}

impl<P> Update<P> {
    /// The plan after the update (`plan_id`, else `previous_values.plan_id`), if known.
    pub fn target_plan_id(&self) -> Option<&str> {
        self.plan_id.as_deref().or_else(|| {
            self.previous_values
                .as_ref()
                .and_then(|p| p.plan_id.as_deref())
        })
    }

    /// Where [`Update::target_plan_id`] stands in the broker's catalog, if known.
    pub fn plan_index(&self) -> Option<usize> {
        self.plan_index
    }

    /// Sets [`Update::plan_index`], for building requests in tests.
    #[must_use]
    pub fn at_plan_index(mut self, index: usize) -> Self {
        self.plan_index = Some(index);
        self
    }

    /// Replaces `parameters` by `f(parameters)` when present, or returns `f`'s error.
    pub fn try_map_parameters<Q, E>(
        self,
        f: impl FnOnce(P) -> Result<Q, E>,
    ) -> Result<Update<Q>, E> {
        let parameters = self.parameters.map(f).transpose()?;
        Ok(Update {
            instance_id: self.instance_id,
            service_id: self.service_id,
            plan_id: self.plan_id,
            parameters,
            context: self.context,
            previous_values: self.previous_values,
            maintenance_info: self.maintenance_info,
            accepts_incomplete: self.accepts_incomplete,
            meta: self.meta,
            plan_index: self.plan_index,
            body: self.body,
        })
    }
}

/// `DELETE /v2/service_instances/:instance_id`: delete an instance («Deprovisioning»).
#[derive(Debug, Clone, PartialEq)]
pub struct Deprovision {
    /// The instance.
    pub instance_id: String,
    /// The offering (required query parameter), which exists in the catalog.
    pub service_id: String,
    /// The plan (required query parameter), which belongs to the offering.
    pub plan_id: String,
    /// `accepts_incomplete=true`.
    pub accepts_incomplete: bool,
    /// Version, identities, principal.
    pub meta: RequestMeta,
    pub(crate) plan_index: usize,
}

impl Deprovision {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(
        instance_id: impl Into<String>,
        service_id: impl Into<String>,
        plan_id: impl Into<String>,
    ) -> Self {
        Self {
            instance_id: instance_id.into(),
            service_id: service_id.into(),
            plan_id: plan_id.into(),
            accepts_incomplete: false,
            meta: RequestMeta::default(),
            plan_index: 0,
        }
    }

    /// Where the plan stands in the broker's catalog.
    pub fn plan_index(&self) -> usize {
        self.plan_index
    }

    /// Sets [`Deprovision::plan_index`], for building requests in tests.
    #[must_use]
    pub fn at_plan_index(mut self, index: usize) -> Self {
        self.plan_index = index;
        self
    }
}

/// `GET /v2/service_instances/:instance_id`: read an instance («Fetching a Service Instance»).
#[derive(Debug, Clone, PartialEq)]
pub struct FetchInstance {
    /// The instance.
    pub instance_id: String,
    /// Hint: the offering, if the platform sent it (it exists in the catalog).
    pub service_id: Option<String>,
    /// Hint: the plan, if the platform sent it (it exists in the catalog).
    pub plan_id: Option<String>,
    /// Version, identities, principal.
    pub meta: RequestMeta,
}

impl FetchInstance {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(instance_id: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
            service_id: None,
            plan_id: None,
            meta: RequestMeta::default(),
        }
    }
}

/// `GET /v2/service_instances/:instance_id/last_operation`: poll an asynchronous
/// operation («Polling Last Operation for Service Instances»).
#[derive(Debug, Clone, PartialEq)]
pub struct LastOperation {
    /// The instance.
    pub instance_id: String,
    /// Hint: the offering.
    pub service_id: Option<String>,
    /// Hint: the plan (for an update, the plan before it).
    pub plan_id: Option<String>,
    /// The `operation` the broker returned with its `202`, percent-decoded. It may also
    /// be a value the broker never issued: some platforms and checkers send fixed strings.
    pub operation: Option<String>,
    /// Version, identities, principal.
    pub meta: RequestMeta,
}

impl LastOperation {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(instance_id: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
            service_id: None,
            plan_id: None,
            operation: None,
            meta: RequestMeta::default(),
        }
    }
}

/// `PUT …/service_bindings/:binding_id`: create a binding, or rotate one when
/// `predecessor_binding_id` is set («Binding»).
#[derive(Debug, Clone, PartialEq)]
pub struct Bind<P = Option<Parameters>> {
    /// The instance.
    pub instance_id: String,
    /// The new binding's id.
    pub binding_id: String,
    /// The offering, which exists in the catalog.
    pub service_id: String,
    /// The plan, which belongs to the offering and is bindable.
    pub plan_id: String,
    /// Platform context.
    pub context: Option<Context>,
    /// Deprecated by `bind_resource.app_guid`; non-empty when present.
    pub app_guid: Option<String>,
    /// What the binding is for (application, route, …).
    pub bind_resource: Option<BindResource>,
    /// Configuration parameters.
    pub parameters: P,
    /// For a rotation: the binding this one succeeds (only on `binding_rotatable` plans).
    pub predecessor_binding_id: Option<String>,
    /// `accepts_incomplete=true`.
    pub accepts_incomplete: bool,
    /// Version, identities, principal.
    pub meta: RequestMeta,
    pub(crate) plan_index: usize,
    pub(crate) body: RawBody,
}

impl Bind {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(
        instance_id: impl Into<String>,
        binding_id: impl Into<String>,
        service_id: impl Into<String>,
        plan_id: impl Into<String>,
    ) -> Self {
        Self {
            instance_id: instance_id.into(),
            binding_id: binding_id.into(),
            service_id: service_id.into(),
            plan_id: plan_id.into(),
            context: None,
            app_guid: None,
            bind_resource: None,
            parameters: None,
            predecessor_binding_id: None,
            accepts_incomplete: false,
            meta: RequestMeta::default(),
            plan_index: 0,
            body: RawBody::default(),
        }
    }
}

impl<P> Bind<P> {
    /// The application: `bind_resource.app_guid`, else the deprecated `app_guid`.
    pub fn app(&self) -> Option<&str> {
        self.bind_resource
            .as_ref()
            .and_then(|r| r.app_guid.as_deref())
            .or(self.app_guid.as_deref())
    }

    /// Where the plan stands in the broker's catalog.
    pub fn plan_index(&self) -> usize {
        self.plan_index
    }

    /// Sets [`Bind::plan_index`], for building requests in tests.
    #[must_use]
    pub fn at_plan_index(mut self, index: usize) -> Self {
        self.plan_index = index;
        self
    }

    /// Replaces `parameters` by `f(parameters)`, or returns `f`'s error.
    pub fn try_map_parameters<Q, E>(self, f: impl FnOnce(P) -> Result<Q, E>) -> Result<Bind<Q>, E> {
        let parameters = f(self.parameters)?;
        Ok(Bind {
            instance_id: self.instance_id,
            binding_id: self.binding_id,
            service_id: self.service_id,
            plan_id: self.plan_id,
            context: self.context,
            app_guid: self.app_guid,
            bind_resource: self.bind_resource,
            parameters,
            predecessor_binding_id: self.predecessor_binding_id,
            accepts_incomplete: self.accepts_incomplete,
            meta: self.meta,
            plan_index: self.plan_index,
            body: self.body,
        })
    }
}

/// `DELETE …/service_bindings/:binding_id`: delete a binding («Unbinding»).
#[derive(Debug, Clone, PartialEq)]
pub struct Unbind {
    /// The instance.
    pub instance_id: String,
    /// The binding.
    pub binding_id: String,
    /// The offering (required query parameter), which exists in the catalog.
    pub service_id: String,
    /// The plan (required query parameter), which belongs to the offering.
    pub plan_id: String,
    /// `accepts_incomplete=true`.
    pub accepts_incomplete: bool,
    /// Version, identities, principal.
    pub meta: RequestMeta,
    pub(crate) plan_index: usize,
}

impl Unbind {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(
        instance_id: impl Into<String>,
        binding_id: impl Into<String>,
        service_id: impl Into<String>,
        plan_id: impl Into<String>,
    ) -> Self {
        Self {
            instance_id: instance_id.into(),
            binding_id: binding_id.into(),
            service_id: service_id.into(),
            plan_id: plan_id.into(),
            accepts_incomplete: false,
            meta: RequestMeta::default(),
            plan_index: 0,
        }
    }

    /// Where the plan stands in the broker's catalog.
    pub fn plan_index(&self) -> usize {
        self.plan_index
    }

    /// Sets [`Unbind::plan_index`], for building requests in tests.
    #[must_use]
    pub fn at_plan_index(mut self, index: usize) -> Self {
        self.plan_index = index;
        self
    }
}

/// `GET …/service_bindings/:binding_id`: read a binding («Fetching a Service Binding»).
#[derive(Debug, Clone, PartialEq)]
pub struct FetchBinding {
    /// The instance.
    pub instance_id: String,
    /// The binding.
    pub binding_id: String,
    /// Hint: the offering.
    pub service_id: Option<String>,
    /// Hint: the plan.
    pub plan_id: Option<String>,
    /// Version, identities, principal.
    pub meta: RequestMeta,
}

impl FetchBinding {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(instance_id: impl Into<String>, binding_id: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
            binding_id: binding_id.into(),
            service_id: None,
            plan_id: None,
            meta: RequestMeta::default(),
        }
    }
}

/// `GET …/service_bindings/:binding_id/last_operation`: poll an asynchronous bind or
/// unbind («Polling Last Operation for Service Bindings»).
#[derive(Debug, Clone, PartialEq)]
pub struct BindingLastOperation {
    /// The instance.
    pub instance_id: String,
    /// The binding.
    pub binding_id: String,
    /// Hint: the offering.
    pub service_id: Option<String>,
    /// Hint: the plan.
    pub plan_id: Option<String>,
    /// The `operation` from the broker's `202`, percent-decoded (or any value a platform sends).
    pub operation: Option<String>,
    /// Version, identities, principal.
    pub meta: RequestMeta,
}

impl BindingLastOperation {
    /// A request as the runtime would build it, for calling handlers in tests.
    pub fn new(instance_id: impl Into<String>, binding_id: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
            binding_id: binding_id.into(),
            service_id: None,
            plan_id: None,
            operation: None,
            meta: RequestMeta::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_must_be_an_object() {
        let raw = RawValue::from_string("[1]".into()).unwrap();
        assert!(Parameters::from_raw(raw).is_err());
        let raw = RawValue::from_string(r#"{"size_mb": 5}"#.into()).unwrap();
        let params = Parameters::from_raw(raw).unwrap();
        assert_eq!(params.get::<u32>("size_mb").unwrap(), Some(5));
        assert_eq!(params.get::<u32>("other").unwrap(), None);
        let err = params.get::<String>("size_mb").unwrap_err();
        assert_eq!(
            err.description(),
            "parameters.size_mb: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn empty_maintenance_info_is_absent() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "maintenance_info")]
            maintenance_info: Option<MaintenanceInfo>,
        }
        let body: Body = serde_json::from_str(r#"{"maintenance_info": {}}"#).unwrap();
        assert_eq!(body.maintenance_info, None);
        let body: Body = serde_json::from_str(r#"{"maintenance_info": null}"#).unwrap();
        assert_eq!(body.maintenance_info, None);
        let body: Body =
            serde_json::from_str(r#"{"maintenance_info": {"version": "1.0.0"}}"#).unwrap();
        assert_eq!(body.maintenance_info, Some(MaintenanceInfo::new("1.0.0")));
    }

    #[test]
    fn vendor_fields_are_reachable() {
        let mut req = Provision::new("i", "s", "p");
        req.body = RawBody(Bytes::from_static(
            br#"{"service_id":"s","x-acme-tier":"gold"}"#,
        ));
        assert_eq!(
            req.vendor_field::<String>("x-acme-tier")
                .unwrap()
                .as_deref(),
            Some("gold")
        );
        assert_eq!(req.vendor_field::<String>("x-none").unwrap(), None);
    }
}
