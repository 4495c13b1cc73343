//! The routes on service bindings: bind, unbind, fetch, poll.

#![allow(
    clippy::manual_async_fn,
    reason = "`async move` blocks, not `async fn`s: see `handlers`"
)]

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;
use tracing::Span;

use crate::api::Endpoint;
use crate::catalog::AsyncOperations;
use crate::dispatch::Dispatch;
use crate::error::{Error, ErrorKind};
use crate::request::RawBody;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::position::PlanPosition;
use crate::text::quoted;

use super::handlers::{PathIds, Route, read_ids};
use super::input::{self, BindBody, Query};
use super::resolve::{deleting, hinted};
use super::respond;
use super::shared::Shared;

impl<D: Dispatch> Route<D> for Bind {
    const ENDPOINT: Endpoint = Endpoint::Bind;
    type Ids = (String, String);

    fn work(
        shared: &Arc<Shared<D>>,
        path: PathIds<(String, String)>,
        parts: Parts,
        body: Body,
        span: &Span,
    ) -> impl Future<Output = Result<Response, Error>> + Send {
        async move {
            let meta = shared.preamble(&parts).await?;
            let (instance_id, binding_id) = read_ids(path, span)?;
            // Only the flag is kept: the whole `Query` would sit in this future across
            // the body read.
            let accepts_incomplete = Query::parse(parts.uri.query())?.accepts_incomplete;
            let bytes = input::read_json_body(&parts, body, shared.config.body_limit).await?;
            // Freed before the body's strings are made: with them all alive at once, the
            // request's small blocks overflowed glibc's per-thread cache, and the next
            // large allocation merged the overflow back (docs/PERFORMANCE.md, «The
            // allocator's slow paths»).
            drop(parts);
            // The parsed body and the request are made in this block, which ends before the
            // broker's future is awaited: kept in scope, they stayed in this future (800
            // bytes) while the bind ran.
            let (plan, call) = {
                let fields: BindBody = input::parse_body(&bytes)?;
                let service_id = input::required(fields.service_id, "service_id")?;
                let plan_id = input::required(fields.plan_id, "plan_id")?;
                let (plan_ref, plan) = shared.backend.catalog().resolve(&service_id, &plan_id)?;
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
    }
}

impl<D: Dispatch> Route<D> for Unbind {
    const ENDPOINT: Endpoint = Endpoint::Unbind;
    type Ids = (String, String);

    fn work(
        shared: &Arc<Shared<D>>,
        path: PathIds<(String, String)>,
        parts: Parts,
        _body: Body,
        span: &Span,
    ) -> impl Future<Output = Result<Response, Error>> + Send {
        async move {
            let meta = shared.preamble(&parts).await?;
            let ids = read_ids(path, span)?;
            let named = deleting(shared.backend.catalog(), &parts, AsyncOperations::UNBIND)?;
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
    }
}

impl<D: Dispatch> Route<D> for FetchBinding {
    const ENDPOINT: Endpoint = Endpoint::FetchBinding;
    type Ids = (String, String);

    fn work(
        shared: &Arc<Shared<D>>,
        path: PathIds<(String, String)>,
        parts: Parts,
        _body: Body,
        span: &Span,
    ) -> impl Future<Output = Result<Response, Error>> + Send {
        async move {
            let meta = shared.preamble(&parts).await?;
            let ids = read_ids(path, span)?;
            let (query, owner) =
                hinted(shared.backend.catalog(), &parts, ErrorKind::BindingNotFound)?;
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
    }
}

impl<D: Dispatch> Route<D> for BindingLastOperation {
    const ENDPOINT: Endpoint = Endpoint::BindingLastOperation;
    type Ids = (String, String);

    fn work(
        shared: &Arc<Shared<D>>,
        path: PathIds<(String, String)>,
        parts: Parts,
        _body: Body,
        span: &Span,
    ) -> impl Future<Output = Result<Response, Error>> + Send {
        async move {
            let meta = shared.preamble(&parts).await?;
            let ids = read_ids(path, span)?;
            let (query, owner) =
                hinted(shared.backend.catalog(), &parts, ErrorKind::BindingNotFound)?;
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
    }
}
