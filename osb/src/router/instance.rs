//! The routes on service instances: provision, update, deprovision, fetch, poll.

#![allow(
    clippy::manual_async_fn,
    reason = "`async move` blocks, not `async fn`s: see `handlers`"
)]

use crate::catalog::AsyncOperations;
use crate::error::{Error, ErrorKind};
use crate::request::RawBody;
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::request::position::PlanPosition;
use crate::text::quoted;

use super::handlers::{route, write_body};
use super::input;
use super::resolve::{deleting, hinted};
use super::respond;
use crate::wire::{ProvisionRequest, UpdateRequest};

route!(
    Provision,
    Provision,
    String,
    |shared, meta, instance_id, parts, body, trace| {
        let (accepts_incomplete, bytes) = write_body!(shared, parts, body);
        let fields: ProvisionRequest = input::parse_body(&bytes)?;
        let service_id = input::required(fields.service_id, "service_id")?;
        let plan_id = input::required(fields.plan_id, "plan_id")?;
        let (organization_guid, space_guid) = if shared.config.require_org_and_space {
            (
                Some(input::required(
                    fields.organization_guid,
                    "organization_guid",
                )?),
                Some(input::required(fields.space_guid, "space_guid")?),
            )
        } else {
            (
                input::non_empty(fields.organization_guid, "organization_guid")?,
                input::non_empty(fields.space_guid, "space_guid")?,
            )
        };
        let (plan_ref, plan) = shared.backend.catalog().resolve(&service_id, &plan_id)?;
        trace.plan(plan_ref, plan);
        let parameters = input::parameters(fields.parameters)?;
        if let Some(schema) = &plan.provision_schema {
            schema.check(parameters.as_ref())?;
        }
        plan.check_maintenance(fields.maintenance_info.as_ref())?;
        plan.check_async(AsyncOperations::PROVISION, accepts_incomplete)?;
        let request = Provision {
            instance_id,
            service_id,
            plan_id,
            context: fields.context,
            organization_guid,
            space_guid,
            parameters,
            maintenance_info: fields.maintenance_info,
            accepts_incomplete,
            meta,
            plan: PlanPosition::At(plan.position),
            body: RawBody(bytes),
        };
        let result = shared.backend.provision(plan_ref, request).await?;
        Ok(respond::provisioned(&result, accepts_incomplete))
    }
);

route!(
    Update,
    Update,
    String,
    |shared, meta, instance_id, parts, body, trace| {
        let (accepts_incomplete, bytes) = write_body!(shared, parts, body);
        let fields: UpdateRequest = input::parse_body(&bytes)?;
        let service_id = input::required(fields.service_id, "service_id")?;
        let catalog = shared.backend.catalog();
        let owner = catalog.requested_service(&service_id)?;
        let plan_id = input::non_empty(fields.plan_id, "plan_id")?;
        let new_plan = match &plan_id {
            Some(plan_id) => Some(catalog.resolve(&service_id, plan_id)?),
            None => None,
        };
        // The previous plan may have left the catalog since, or (wrongly) name a plan of
        // another offering; it is then not used for checks or dispatch.
        let previous_plan = fields
            .previous_values
            .as_ref()
            .and_then(|previous| previous.plan_id.as_deref())
            .and_then(|id| {
                catalog
                    .plan_by_id(id)
                    .map(|(plan, entry)| (id, plan, entry))
            })
            .filter(|(_, _, entry)| entry.service_id == service_id);
        if let (Some(new_id), Some((previous_id, _, previous))) = (&plan_id, previous_plan) {
            // «Updating a Service Instance»: plan changes only where plan_updateable is true.
            if new_id != previous_id && !previous.plan_updateable {
                return Err(Error::plan_change_not_supported().with_description(format!(
                    "plan {} does not allow plan changes (plan_updateable is not true)",
                    quoted(&previous.name)
                )));
            }
        }
        // The plan the update ends on: the one it names, else the one in force.
        let target = new_plan.or(previous_plan.map(|(_, plan, entry)| (plan, entry)));
        if let Some((plan, entry)) = target {
            trace.plan(plan, entry);
        }
        let named = new_plan.map(|(plan, _)| plan);
        let target = target.map(|(_, entry)| entry);
        let parameters = input::parameters(fields.parameters)?;
        if let Some(target) = target {
            if let (Some(schema), Some(parameters)) = (&target.update_schema, &parameters) {
                schema.check(Some(parameters))?;
            }
            target.check_maintenance(fields.maintenance_info.as_ref())?;
            target.check_async(AsyncOperations::UPDATE, accepts_incomplete)?;
        }
        let request = Update {
            instance_id,
            service_id,
            plan_id,
            parameters,
            context: fields.context,
            previous_values: fields.previous_values,
            maintenance_info: fields.maintenance_info,
            accepts_incomplete,
            meta,
            plan: target.map_or(PlanPosition::Unknown, |entry| {
                PlanPosition::At(entry.position)
            }),
            body: RawBody(bytes),
        };
        let result = shared.backend.update(owner, named, request).await?;
        Ok(respond::updated(&result, accepts_incomplete))
    }
);

route!(
    Deprovision,
    Deprovision,
    String,
    |shared, meta, ids, parts, _body, trace| {
        let named = deleting(
            shared.backend.catalog(),
            parts,
            AsyncOperations::DEPROVISION,
            trace,
        )?;
        let request = Deprovision {
            instance_id: ids,
            service_id: named.service_id,
            plan_id: named.plan_id,
            accepts_incomplete: named.accepts_incomplete,
            meta,
            plan: PlanPosition::At(named.position),
        };
        let result = shared.backend.deprovision(named.plan, request).await?;
        Ok(respond::deprovisioned(&result, named.accepts_incomplete))
    }
);

route!(
    FetchInstance,
    FetchInstance,
    String,
    |shared, meta, ids, parts, _body, trace| {
        let (query, owner) = hinted(
            shared.backend.catalog(),
            parts,
            ErrorKind::InstanceNotFound,
            trace,
        )?;
        let request = FetchInstance {
            instance_id: ids,
            service_id: query.service_id,
            plan_id: query.plan_id,
            meta,
        };
        let details = shared.backend.fetch_instance(owner, request).await?;
        Ok(respond::instance_details(&details))
    }
);

route!(
    LastOperation,
    LastOperation,
    String,
    |shared, meta, ids, parts, _body, trace| {
        let (query, owner) = hinted(
            shared.backend.catalog(),
            parts,
            ErrorKind::InstanceNotFound,
            trace,
        )?;
        let request = LastOperation {
            instance_id: ids,
            service_id: query.service_id,
            plan_id: query.plan_id,
            operation: query.operation,
            meta,
        };
        let status = shared.backend.last_operation(owner, request).await?;
        Ok(respond::operation_status(&status))
    }
);
