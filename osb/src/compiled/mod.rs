//! The catalog compiled for serving: every offering and plan by id, which broker owns
//! each, the flags and compiled parameter schemas that the request checks need.
//!
//! A request's plan is resolved here once, from the ids it names, into a [`PlanRef`];
//! everything downstream is handed that reference and reads the [`PlanEntry`] behind it
//! by position. Only plan ids read back from a store are looked up by id again.

mod flat_schema;
mod params;
mod plan;

use std::collections::HashMap;

use serde_json::Value;

use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind};
use crate::metrics::PlanLabels;
use crate::store::record::FingerprintPrefix;
use crate::text::quoted;

pub(crate) use plan::{BrokerRef, PlanEntry, PlanRef};

use params::ParameterSchema;

/// Maps from catalog ids, hashed with foldhash rather than the standard library's
/// SipHash: two or three lookups per request, and SipHash took about a sixth of
/// what the runtime adds to a `last_operation` poll. A request chooses only the key it
/// looks up, never what the maps hold (the catalog's ids, fixed when the router is
/// built), so it cannot make the lookups slower by colliding keys: SipHash's HashDoS
/// resistance buys nothing here. The state store keeps it where requests insert keys.
type ById<T> = HashMap<String, T, foldhash::fast::RandomState>;

/// The merged catalog of a router's brokers, compiled.
#[derive(Default)]
pub(crate) struct CompiledCatalog {
    /// Each offering's broker.
    services: ById<BrokerRef>,
    plans: Vec<PlanEntry>,
    plans_by_id: ById<PlanRef>,
}

impl CompiledCatalog {
    /// Compiles already validated catalogs, `catalogs[i]` belonging to broker `i`.
    /// Errors list the schemas that do not compile.
    pub(crate) fn new(catalogs: &[Catalog]) -> Result<Self, Vec<String>> {
        let mut compiled = CompiledCatalog::default();
        let mut problems = Vec::new();
        for (broker, catalog) in catalogs.iter().enumerate() {
            let broker = BrokerRef(broker);
            let mut position = 0;
            for service in &catalog.services {
                compiled.services.insert(service.id.clone(), broker);
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
                        id: plan.id.clone(),
                        position,
                        name: plan.name.clone(),
                        bindable: service.is_plan_bindable(plan),
                        plan_updateable: service.is_plan_updateable(plan),
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
                        labels: PlanLabels::new(&service.name, &plan.name),
                    };
                    compiled
                        .plans_by_id
                        .insert(plan.id.clone(), PlanRef::at(compiled.plans.len()));
                    compiled.plans.push(entry);
                    position += 1;
                }
            }
        }
        if problems.is_empty() {
            Ok(compiled)
        } else {
            Err(problems)
        }
    }

    /// The broker of offering `id`.
    pub(crate) fn service(&self, id: &str) -> Option<BrokerRef> {
        self.services.get(id).copied()
    }

    /// The plan `plan`.
    pub(crate) fn plan(&self, plan: PlanRef) -> &PlanEntry {
        // References come from this catalog: the index is in range.
        &self.plans[plan.index()]
    }

    /// The plan with id `id`, for ids that come from a store rather than a request.
    pub(crate) fn plan_by_id(&self, id: &str) -> Option<(PlanRef, &PlanEntry)> {
        let plan = *self.plans_by_id.get(id)?;
        Some((plan, self.plan(plan)))
    }

    /// The offering `service_id` of a request: its broker, or a 400.
    pub(crate) fn requested_service(&self, service_id: &str) -> Result<BrokerRef, Error> {
        self.service(service_id).ok_or_else(|| {
            Error::bad_request(format!(
                "service_id {} is not the id of a service offering in the catalog",
                quoted(service_id)
            ))
        })
    }

    /// The plan `plan_id` of offering `service_id`, both required to exist and to
    /// belong together (400 otherwise, «Provisioning» and the other mutations).
    pub(crate) fn resolve(
        &self,
        service_id: &str,
        plan_id: &str,
    ) -> Result<(PlanRef, &PlanEntry), Error> {
        self.requested_service(service_id)?;
        let found = self.plan_by_id(plan_id).ok_or_else(|| {
            Error::bad_request(format!(
                "plan_id {} is not the id of a plan in the catalog",
                quoted(plan_id)
            ))
        })?;
        if found.1.service_id != service_id {
            return Err(Error::bad_request(format!(
                "plan {} does not belong to service offering {}",
                quoted(plan_id),
                quoted(service_id)
            )));
        }
        Ok(found)
    }

    /// The broker that owns a resource named only by optional hints, or `None` when
    /// the hints name nothing and every broker must be asked. Hints that name no
    /// catalog entry, or contradict each other, mean the resource cannot exist.
    pub(crate) fn owner_by_hints(
        &self,
        service_id: Option<&str>,
        plan_id: Option<&str>,
        missing: ErrorKind,
    ) -> Result<Option<BrokerRef>, Error> {
        let not_found = |what: &str, id: &str| {
            Error::new(missing).with_description(format!(
                "{what} {} is not in the catalog, so no such resource exists",
                quoted(id)
            ))
        };
        let by_plan = match plan_id {
            Some(id) => Some(
                self.plan_by_id(id)
                    .ok_or_else(|| not_found("plan_id", id))?
                    .1,
            ),
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
            (Some(broker), None) => Ok(Some(broker)),
            (None, None) => Ok(None),
        }
    }
}
