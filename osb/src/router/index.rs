//! What the runtime knows of the catalog per request: every offering and plan by
//! id, with the flags and compiled schemas that request checks need.

use std::collections::HashMap;

use serde_json::Value;

use crate::catalog::{AsyncOperations, Catalog, MaintenanceInfo};
use crate::error::{Error, ErrorKind};
use crate::store::record::FingerprintPrefix;

use super::params::ParameterSchema;
use crate::text::quoted;

pub(crate) struct ServiceEntry {
    pub(crate) broker: usize,
}

pub(crate) struct PlanEntry {
    pub(crate) broker: usize,
    pub(crate) service_id: String,
    /// Position among the plans of the broker's catalog ([`crate::Provision::plan_index`]).
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) bindable: bool,
    pub(crate) plan_updateable: bool,
    pub(crate) binding_rotatable: bool,
    pub(crate) maintenance_version: Option<String>,
    pub(crate) async_only: AsyncOperations,
    pub(crate) requires_app: bool,
    /// The offering's `requires`, which the binding response fields must match.
    pub(crate) requires: Vec<crate::catalog::Requirement>,
    pub(crate) provision_schema: Option<ParameterSchema>,
    pub(crate) update_schema: Option<ParameterSchema>,
    pub(crate) bind_schema: Option<ParameterSchema>,
    /// Seconds after which polling an operation counts as failed.
    pub(crate) maximum_polling_duration: Option<u64>,
    /// The service and plan ids that begin the fingerprint of every provision and
    /// bind on this plan, hashed once.
    pub(crate) fingerprint_prefix: FingerprintPrefix,
}

/// Maps from catalog ids, hashed with foldhash rather than the standard library's
/// SipHash: two or three lookups per request, and SipHash took about a sixth of
/// what the runtime adds to a `last_operation` poll. A request chooses only the key it
/// looks up, never what the maps hold (the catalog's ids, fixed when the router is
/// built), so it cannot make the lookups slower by colliding keys: SipHash's HashDoS
/// resistance buys nothing here. The state store keeps it where requests insert keys.
type ById<T> = HashMap<String, T, foldhash::fast::RandomState>;

#[derive(Default)]
pub(crate) struct Index {
    services: ById<ServiceEntry>,
    plans: ById<PlanEntry>,
}

impl Index {
    /// Indexes already validated catalogs, `catalogs[i]` belonging to broker `i`.
    /// Errors list the schemas that do not compile.
    pub(crate) fn new(catalogs: &[Catalog]) -> Result<Self, Vec<String>> {
        let mut index = Index::default();
        let mut problems = Vec::new();
        for (broker, catalog) in catalogs.iter().enumerate() {
            let mut plan_index = 0;
            for service in &catalog.services {
                index
                    .services
                    .insert(service.id.clone(), ServiceEntry { broker });
                for plan in &service.plans {
                    let mut compile = |schema: Option<&Value>, what: &str| {
                        let schema = schema?;
                        ParameterSchema::new(schema)
                            .map_err(|err| {
                                problems.push(format!(
                                    "the {what} schema of plan `{}` does not compile: {err}",
                                    plan.name
                                ));
                            })
                            .ok()
                    };
                    let entry = PlanEntry {
                        broker,
                        service_id: service.id.clone(),
                        index: plan_index,
                        name: plan.name.clone(),
                        bindable: plan.effective_bindable(service),
                        plan_updateable: plan.effective_plan_updateable(service),
                        binding_rotatable: plan.binding_rotatable.unwrap_or(false),
                        maintenance_version: plan
                            .maintenance_info
                            .as_ref()
                            .map(|info| info.version.clone()),
                        async_only: plan.async_only,
                        requires_app: plan.requires_app,
                        requires: service.requires.clone(),
                        provision_schema: compile(plan.provision_parameters_schema(), "provision"),
                        update_schema: compile(plan.update_parameters_schema(), "update"),
                        bind_schema: compile(plan.bind_parameters_schema(), "bind"),
                        maximum_polling_duration: plan.maximum_polling_duration,
                        fingerprint_prefix: FingerprintPrefix::new(&[&service.id, &plan.id]),
                    };
                    index.plans.insert(plan.id.clone(), entry);
                    plan_index += 1;
                }
            }
        }
        if problems.is_empty() {
            Ok(index)
        } else {
            Err(problems)
        }
    }

    pub(crate) fn service(&self, id: &str) -> Option<&ServiceEntry> {
        self.services.get(id)
    }

    pub(crate) fn plan(&self, id: &str) -> Option<&PlanEntry> {
        self.plans.get(id)
    }

    /// The plan `plan_id` of offering `service_id`, both required to exist and to
    /// belong together (400 otherwise, «Provisioning» and the other mutations).
    pub(crate) fn resolve(&self, service_id: &str, plan_id: &str) -> Result<&PlanEntry, Error> {
        if self.service(service_id).is_none() {
            return Err(Error::bad_request(format!(
                "service_id {} is not the id of a service offering in the catalog",
                quoted(service_id)
            )));
        }
        let plan = self.plan(plan_id).ok_or_else(|| {
            Error::bad_request(format!(
                "plan_id {} is not the id of a plan in the catalog",
                quoted(plan_id)
            ))
        })?;
        if plan.service_id != service_id {
            return Err(Error::bad_request(format!(
                "plan {} does not belong to service offering {}",
                quoted(plan_id),
                quoted(service_id)
            )));
        }
        Ok(plan)
    }

    /// The broker that owns a resource named only by optional hints, or `None` when
    /// the hints name nothing and every broker must be asked. Hints that name no
    /// catalog entry, or contradict each other, mean the resource cannot exist.
    pub(crate) fn owner_by_hints(
        &self,
        service_id: Option<&str>,
        plan_id: Option<&str>,
        missing: ErrorKind,
    ) -> Result<Option<usize>, Error> {
        let not_found = |what: &str, id: &str| {
            Error::new(missing).with_description(format!(
                "{what} {} is not in the catalog, so no such resource exists",
                quoted(id)
            ))
        };
        let by_plan = match plan_id {
            Some(id) => Some(self.plan(id).ok_or_else(|| not_found("plan_id", id))?),
            None => None,
        };
        let by_service = match service_id {
            Some(id) => Some(
                self.service(id)
                    .ok_or_else(|| not_found("service_id", id))?,
            ),
            None => None,
        };
        match (by_service, by_plan) {
            (Some(_), Some(plan)) if Some(plan.service_id.as_str()) != service_id => {
                Err(Error::new(missing).with_description(
                    "the plan_id and service_id hints do not belong together, so no such resource exists",
                ))
            }
            (_, Some(plan)) => Ok(Some(plan.broker)),
            (Some(service), None) => Ok(Some(service.broker)),
            (None, None) => Ok(None),
        }
    }
}

impl PlanEntry {
    /// 422 `MaintenanceInfoConflict` when the request names another maintenance
    /// version than the plan's («Provisioning», «Updating a Service Instance»).
    pub(crate) fn check_maintenance(
        &self,
        requested: Option<&MaintenanceInfo>,
    ) -> Result<(), Error> {
        let Some(requested) = requested else {
            return Ok(());
        };
        match &self.maintenance_version {
            Some(version) if *version == requested.version => Ok(()),
            Some(version) => Err(Error::maintenance_info_conflict().with_description(format!(
                "maintenance_info.version {} does not match version {} of plan {} in the catalog; fetch the catalog again",
                quoted(&requested.version),
                quoted(version),
                quoted(&self.name)
            ))),
            None => Err(Error::maintenance_info_conflict().with_description(format!(
                "plan {} has no maintenance_info in the catalog, but the request asks for version {}",
                quoted(&self.name),
                quoted(&requested.version)
            ))),
        }
    }

    /// 422 `AsyncRequired` when the plan performs `operation` only asynchronously and
    /// the platform did not send `accepts_incomplete=true`.
    pub(crate) fn check_async(
        &self,
        operation: AsyncOperations,
        accepts_incomplete: bool,
    ) -> Result<(), Error> {
        if !accepts_incomplete && self.async_only.contains(operation) {
            return Err(Error::async_required().with_description(format!(
                "plan {} performs this operation only asynchronously: send accepts_incomplete=true",
                quoted(&self.name)
            )));
        }
        Ok(())
    }
}
