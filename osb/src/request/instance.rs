//! The requests on service instances: provision, update, deprovision, fetch, poll.

use crate::catalog::MaintenanceInfo;

use super::body::RawBody;
use super::context::{Context, PreviousValues};
use super::meta::RequestMeta;
use super::parameters::Parameters;
use super::position::PlanPosition;

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
    pub(crate) plan: PlanPosition,
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
            plan: PlanPosition::ByPlanId,
            body: RawBody::default(),
        }
    }
}

vendor_fields!(Provision, Update);

impl<P> Provision<P> {
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
            plan: self.plan,
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
    pub(crate) plan: PlanPosition,
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
            plan: PlanPosition::ByPlanId,
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
            plan: self.plan,
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
    pub(crate) plan: PlanPosition,
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
            plan: PlanPosition::ByPlanId,
        }
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

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

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
