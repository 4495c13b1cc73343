//! The routes on service bindings: bind, unbind, fetch, poll.

#![allow(
    clippy::manual_async_fn,
    reason = "`async move` blocks, not `async fn`s: see `handlers`"
)]

use crate::catalog::AsyncOperations;
use crate::error::{Error, ErrorKind};
use crate::request::RawBody;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::position::PlanPosition;
use crate::text::quoted;

use super::handlers::{route, write_body};
use super::input;
use super::resolve::{deleting, hinted};
use super::respond;
use crate::wire::BindRequest;

route!(
    Bind,
    Bind,
    (String, String),
    |shared, meta, (instance_id, binding_id), parts, body, trace| {
        let (accepts_incomplete, bytes) = write_body!(shared, parts, body);
        // The parsed body and the request are made in this block, which ends before the
        // broker's future is awaited: kept in scope, they stayed in this future (800
        // bytes) while the bind ran.
        let (plan, call) = {
            let fields: BindRequest = input::parse_body(&bytes)?;
            let service_id = input::required(fields.service_id, "service_id")?;
            let plan_id = input::required(fields.plan_id, "plan_id")?;
            let (plan_ref, plan) = shared.backend.catalog().resolve(&service_id, &plan_id)?;
            trace.plan(plan_ref, plan);
            if !plan.bindable {
                // «Binding»: Platforms MUST NOT bind instances of a plan that is not bindable.
                return Err(Error::bad_request(format!(
                    "plan {} is not bindable",
                    quoted(&plan.name)
                )));
            }
            let app_guid = input::non_empty(fields.app_guid, "app_guid")?;
            let bind_resource = fields
                .bind_resource
                .as_deref()
                .map(input::bind_resource)
                .transpose()?;
            let predecessor_binding_id =
                input::non_empty(fields.predecessor_binding_id, "predecessor_binding_id")?;
            if predecessor_binding_id.is_some() && !plan.binding_rotatable {
                // «Binding Rotation»: Platforms MUST NOT rotate bindings of other plans.
                return Err(Error::bad_request(format!(
                    "plan {} does not support binding rotation (binding_rotatable is not true)",
                    quoted(&plan.name)
                )));
            }
            let parameters = input::parameters(fields.parameters)?;
            if let Some(schema) = &plan.bind_schema {
                schema.check(parameters.as_ref())?;
            }
            let request = Bind {
                instance_id,
                binding_id,
                service_id,
                plan_id,
                context: fields.context,
                app_guid,
                bind_resource,
                parameters,
                predecessor_binding_id,
                accepts_incomplete,
                meta,
                plan: PlanPosition::At(plan.position),
                body: RawBody(bytes),
            };
            if plan.requires_app && request.app().is_none() {
                return Err(Error::requires_app().with_description(format!(
                    "plan {} binds applications only: send bind_resource.app_guid",
                    quoted(&plan.name)
                )));
            }
            plan.check_async(AsyncOperations::BIND, accepts_incomplete)?;
            let call = shared.backend.bind(plan_ref, request, fields.bind_resource);
            (plan, call)
        };
        let result = call.await?;
        if let Some(binding) = result.binding() {
            for field in binding.unrequested(&plan.requires) {
                tracing::warn!(
                    plan = %plan.name,
                    "the bind handler returned `{field}` but the service offering does not declare \
                     the matching `requires` permission; platforms may consider the response invalid"
                );
            }
        }
        Ok(respond::bound(result, accepts_incomplete))
    }
);

route!(
    Unbind,
    Unbind,
    (String, String),
    |shared, meta, ids, parts, _body, trace| {
        let named = deleting(
            shared.backend.catalog(),
            parts,
            AsyncOperations::UNBIND,
            trace,
        )?;
        let (instance_id, binding_id) = ids;
        let request = Unbind {
            instance_id,
            binding_id,
            service_id: named.service_id,
            plan_id: named.plan_id,
            accepts_incomplete: named.accepts_incomplete,
            meta,
            plan: PlanPosition::At(named.position),
        };
        let result = shared.backend.unbind(named.plan, request).await?;
        Ok(respond::unbound(&result, named.accepts_incomplete))
    }
);

route!(
    FetchBinding,
    FetchBinding,
    (String, String),
    |shared, meta, ids, parts, _body, trace| {
        let (query, owner) = hinted(
            shared.backend.catalog(),
            parts,
            ErrorKind::BindingNotFound,
            trace,
        )?;
        let (instance_id, binding_id) = ids;
        let request = FetchBinding {
            instance_id,
            binding_id,
            service_id: query.service_id,
            plan_id: query.plan_id,
            meta,
        };
        let binding = shared.backend.fetch_binding(owner, request).await?;
        Ok(respond::fetched_binding(&binding))
    }
);

route!(
    BindingLastOperation,
    BindingLastOperation,
    (String, String),
    |shared, meta, ids, parts, _body, trace| {
        let (query, owner) = hinted(
            shared.backend.catalog(),
            parts,
            ErrorKind::BindingNotFound,
            trace,
        )?;
        let (instance_id, binding_id) = ids;
        let request = BindingLastOperation {
            instance_id,
            binding_id,
            service_id: query.service_id,
            plan_id: query.plan_id,
            operation: query.operation,
            meta,
        };
        let status = shared
            .backend
            .binding_last_operation(owner, request)
            .await?;
        Ok(respond::binding_operation_status(&status))
    }
);
