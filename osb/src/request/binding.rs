//! The requests on service bindings: bind, unbind, fetch, poll.

use super::body::RawBody;
use super::context::{BindResource, Context};
use super::meta::RequestMeta;
use super::parameters::Parameters;
use super::position::PlanPosition;

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
    pub(crate) plan: PlanPosition,
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
            plan: PlanPosition::ByPlanId,
            body: RawBody::default(),
        }
    }
}

vendor_fields!(Bind);

impl<P> Bind<P> {
    /// The application: `bind_resource.app_guid`, else the deprecated `app_guid`.
    pub fn app(&self) -> Option<&str> {
        self.bind_resource
            .as_ref()
            .and_then(|r| r.app_guid.as_deref())
            .or(self.app_guid.as_deref())
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
            plan: self.plan,
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
    pub(crate) plan: PlanPosition,
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
            plan: PlanPosition::ByPlanId,
        }
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
