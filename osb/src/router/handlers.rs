//! The route handlers: authenticate, read and check the request against the
//! catalog, call the broker, answer.
//!
//! The request paths here return `async move` blocks rather than being `async fn`s:
//! an `async fn` keeps its arguments in its future twice (as arguments and as the
//! locals they are moved into), and each request allocates these futures.

#![allow(
    clippy::manual_async_fn,
    reason = "`async move` blocks, not `async fn`s: see the module documentation"
)]

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::{Pin, pin};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use futures_util::FutureExt;
use http::HeaderValue;
use http::request::Parts;
use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::api::{Endpoint, REQUEST_IDENTITY_HEADER};
use crate::catalog::AsyncOperations;
use crate::error::{Error, ErrorKind};
use crate::request::RawBody;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::request::position::PlanPosition;

use crate::dispatch::Dispatch;
use crate::text::quoted;

use super::input::{self, BindBody, ProvisionBody, Query, UpdateBody};
use super::respond;
use super::shared::Shared;

type InstancePath = Result<Path<String>, PathRejection>;
type BindingPath = Result<Path<(String, String)>, PathRejection>;

/// One span per request: method, route, ids, request identity and, at the end, status.
fn span(endpoint: Endpoint, parts: &Parts) -> Span {
    let span = tracing::info_span!(
        "osb_request",
        method = %parts.method,
        route = endpoint.name(),
        instance_id = Empty,
        binding_id = Empty,
        request_identity = Empty,
        status = Empty,
    );
    if !span.is_disabled() {
        if let Some(identity) = parts.headers.get(REQUEST_IDENTITY_HEADER) {
            span.record(
                "request_identity",
                String::from_utf8_lossy(identity.as_bytes()).as_ref(),
            );
        }
    }
    span
}

/// Runs `work` inside the request span, answers its error with the OSB error body of
/// `endpoint` and a panic with a 500, and echoes the request identity («Request
/// Identity»: on every response). Done here rather than with tower layers around the
/// router: each layer boxed and cloned the route's service on every request, about a
/// tenth of the instructions of a catalog request.
///
/// `work` is pinned by the caller: taken by value, it would be stored twice in this
/// future (as the argument and inside `catch_unwind`), and axum allocates and moves
/// every handler's whole future. Most routes box their `work` apart: each block then
/// fits glibc's per-thread cache (up to 1,032 bytes), where one block holding both
/// went through the slower general allocator on every request.
async fn run<D: Dispatch>(
    shared: &Arc<Shared<D>>,
    endpoint: Endpoint,
    identity: Option<HeaderValue>,
    span: Span,
    work: Pin<&mut impl Future<Output = Result<Response, Error>>>,
) -> Response {
    shared.backend.on_request();
    // With the level off, the span is disabled: skip entering it on every poll.
    let result = if span.is_disabled() {
        AssertUnwindSafe(work).catch_unwind().await
    } else {
        AssertUnwindSafe(work.instrument(span.clone()))
            .catch_unwind()
            .await
    };
    let mut response = span.in_scope(|| {
        let response = match result {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => shared.error_response(&err, endpoint),
            Err(panic) => panicked(panic.as_ref()),
        };
        if !span.is_disabled() {
            span.record("status", response.status().as_u16());
        }
        tracing::info!("request completed");
        response
    });
    echo_identity(&mut response, identity);
    response
}

/// The request's `X-Broker-API-Request-Identity`, to echo on its response.
fn request_identity(parts: &Parts) -> Option<HeaderValue> {
    parts.headers.get(REQUEST_IDENTITY_HEADER).cloned()
}

/// Sets the request identity of the request on its response.
fn echo_identity(response: &mut Response, identity: Option<HeaderValue>) {
    if let Some(identity) = identity {
        response
            .headers_mut()
            .insert(REQUEST_IDENTITY_HEADER, identity);
    }
}

fn record_ids(span: &Span, instance_id: &str, binding_id: Option<&str>) {
    // A disabled span still looks each field up by name to record nothing: about 70
    // instructions a field, on every request with the level off.
    if span.is_disabled() {
        return;
    }
    span.record("instance_id", instance_id);
    if let Some(binding_id) = binding_id {
        span.record("binding_id", binding_id);
    }
}

pub(super) fn catalog<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, _) = request.into_parts();
    async move {
        let span = span(Endpoint::Catalog, &parts);
        let identity = request_identity(&parts);
        let work = async {
            shared.preamble(&parts).await?;
            Ok(shared.catalog_response(parts.headers.get(http::header::IF_NONE_MATCH)))
        };
        run(&shared, Endpoint::Catalog, identity, span, pin!(work)).await
    }
}

pub(super) fn provision<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: InstancePath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, body) = request.into_parts();
    async move {
        let span = span(Endpoint::Provision, &parts);
        let identity = request_identity(&parts);
        let work = provision_inner(&shared, path, parts, body, &span);
        run(
            &shared,
            Endpoint::Provision,
            identity,
            span.clone(),
            Box::pin(work).as_mut(),
        )
        .await
    }
}

fn provision_inner<D: Dispatch>(
    shared: &Arc<Shared<D>>,
    path: InstancePath,
    parts: Parts,
    body: Body,
    span: &Span,
) -> impl Future<Output = Result<Response, Error>> + Send {
    async move {
        let meta = shared.preamble(&parts).await?;
        let instance_id = input::path_ids(path)?;
        record_ids(span, &instance_id, None);
        // Only the flag is kept: the whole `Query` would sit in this future across
        // the body read.
        let accepts_incomplete = Query::parse(parts.uri.query())?.accepts_incomplete;
        let bytes = input::read_json_body(&parts, body, shared.config.body_limit).await?;
        // Freed before the body's strings are made: with them all alive at once, the
        // request's small blocks overflowed glibc's per-thread cache, and the next
        // large allocation merged the overflow back (docs/PERFORMANCE.md, «The
        // allocator's slow paths»).
        drop(parts);
        let fields: ProvisionBody = input::parse_body(&bytes)?;
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
}

pub(super) fn update<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: InstancePath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, body) = request.into_parts();
    async move {
        let span = span(Endpoint::Update, &parts);
        let identity = request_identity(&parts);
        let work = update_inner(&shared, path, parts, body, &span);
        run(
            &shared,
            Endpoint::Update,
            identity,
            span.clone(),
            Box::pin(work).as_mut(),
        )
        .await
    }
}

fn update_inner<D: Dispatch>(
    shared: &Arc<Shared<D>>,
    path: InstancePath,
    parts: Parts,
    body: Body,
    span: &Span,
) -> impl Future<Output = Result<Response, Error>> + Send {
    async move {
        let meta = shared.preamble(&parts).await?;
        let instance_id = input::path_ids(path)?;
        record_ids(span, &instance_id, None);
        // Only the flag is kept: the whole `Query` would sit in this future across
        // the body read.
        let accepts_incomplete = Query::parse(parts.uri.query())?.accepts_incomplete;
        let bytes = input::read_json_body(&parts, body, shared.config.body_limit).await?;
        // Freed before the body's strings are made (see `provision_inner`).
        drop(parts);
        let fields: UpdateBody = input::parse_body(&bytes)?;
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
            .and_then(|id| catalog.plan_by_id(id).map(|(_, entry)| (id, entry)))
            .filter(|(_, entry)| entry.service_id == service_id);
        if let (Some(new_id), Some((previous_id, previous))) = (&plan_id, previous_plan) {
            // «Updating a Service Instance»: plan changes only where plan_updateable is true.
            if new_id != previous_id && !previous.plan_updateable {
                return Err(Error::plan_change_not_supported().with_description(format!(
                    "plan {} does not allow plan changes (plan_updateable is not true)",
                    quoted(&previous.name)
                )));
            }
        }
        let named = new_plan.map(|(plan, _)| plan);
        let target = new_plan
            .map(|(_, entry)| entry)
            .or(previous_plan.map(|(_, entry)| entry));
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
}

pub(super) fn deprovision<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: InstancePath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, _) = request.into_parts();
    async move {
        let span = span(Endpoint::Deprovision, &parts);
        let identity = request_identity(&parts);
        let work = async {
            let meta = shared.preamble(&parts).await?;
            let instance_id = input::path_ids(path)?;
            record_ids(&span, &instance_id, None);
            let mut query = Query::parse(parts.uri.query())?;
            let (service_id, plan_id) = query.required_ids()?;
            let (plan_ref, plan) = shared.backend.catalog().resolve(&service_id, &plan_id)?;
            plan.check_async(AsyncOperations::DEPROVISION, query.accepts_incomplete)?;
            let request = Deprovision {
                instance_id,
                service_id,
                plan_id,
                accepts_incomplete: query.accepts_incomplete,
                meta,
                plan: PlanPosition::At(plan.position),
            };
            let result = shared.backend.deprovision(plan_ref, request).await?;
            Ok(respond::deprovisioned(&result, query.accepts_incomplete))
        };
        run(
            &shared,
            Endpoint::Deprovision,
            identity,
            span.clone(),
            pin!(work),
        )
        .await
    }
}

pub(super) fn fetch_instance<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: InstancePath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, _) = request.into_parts();
    async move {
        let span = span(Endpoint::FetchInstance, &parts);
        let identity = request_identity(&parts);
        let work = async {
            let meta = shared.preamble(&parts).await?;
            let instance_id = input::path_ids(path)?;
            record_ids(&span, &instance_id, None);
            let query = Query::parse(parts.uri.query())?;
            let owner = shared.backend.catalog().owner_by_hints(
                query.service_id.as_deref(),
                query.plan_id.as_deref(),
                ErrorKind::InstanceNotFound,
            )?;
            let request = FetchInstance {
                instance_id,
                service_id: query.service_id,
                plan_id: query.plan_id,
                meta,
            };
            let details = shared.backend.fetch_instance(owner, request).await?;
            Ok(respond::instance_details(&details))
        };
        run(
            &shared,
            Endpoint::FetchInstance,
            identity,
            span.clone(),
            Box::pin(work).as_mut(),
        )
        .await
    }
}

pub(super) fn last_operation<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: InstancePath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, _) = request.into_parts();
    async move {
        let span = span(Endpoint::LastOperation, &parts);
        let identity = request_identity(&parts);
        let work = async {
            let meta = shared.preamble(&parts).await?;
            let instance_id = input::path_ids(path)?;
            record_ids(&span, &instance_id, None);
            let query = Query::parse(parts.uri.query())?;
            let owner = shared.backend.catalog().owner_by_hints(
                query.service_id.as_deref(),
                query.plan_id.as_deref(),
                ErrorKind::InstanceNotFound,
            )?;
            let request = LastOperation {
                instance_id,
                service_id: query.service_id,
                plan_id: query.plan_id,
                operation: query.operation,
                meta,
            };
            let status = shared.backend.last_operation(owner, request).await?;
            Ok(respond::operation_status(&status))
        };
        run(
            &shared,
            Endpoint::LastOperation,
            identity,
            span.clone(),
            Box::pin(work).as_mut(),
        )
        .await
    }
}

pub(super) fn bind<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: BindingPath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, body) = request.into_parts();
    async move {
        let span = span(Endpoint::Bind, &parts);
        let identity = request_identity(&parts);
        let work = bind_inner(&shared, path, parts, body, &span);
        run(
            &shared,
            Endpoint::Bind,
            identity,
            span.clone(),
            Box::pin(work).as_mut(),
        )
        .await
    }
}

fn bind_inner<D: Dispatch>(
    shared: &Arc<Shared<D>>,
    path: BindingPath,
    parts: Parts,
    body: Body,
    span: &Span,
) -> impl Future<Output = Result<Response, Error>> + Send {
    async move {
        let meta = shared.preamble(&parts).await?;
        let (instance_id, binding_id) = input::path_ids(path)?;
        record_ids(span, &instance_id, Some(&binding_id));
        // Only the flag is kept: the whole `Query` would sit in this future across
        // the body read.
        let accepts_incomplete = Query::parse(parts.uri.query())?.accepts_incomplete;
        let bytes = input::read_json_body(&parts, body, shared.config.body_limit).await?;
        // Freed before the body's strings are made (see `provision_inner`).
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

pub(super) fn unbind<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: BindingPath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, _) = request.into_parts();
    async move {
        let span = span(Endpoint::Unbind, &parts);
        let identity = request_identity(&parts);
        let work = async {
            let meta = shared.preamble(&parts).await?;
            let (instance_id, binding_id) = input::path_ids(path)?;
            record_ids(&span, &instance_id, Some(&binding_id));
            let mut query = Query::parse(parts.uri.query())?;
            let (service_id, plan_id) = query.required_ids()?;
            let (plan_ref, plan) = shared.backend.catalog().resolve(&service_id, &plan_id)?;
            plan.check_async(AsyncOperations::UNBIND, query.accepts_incomplete)?;
            let request = Unbind {
                instance_id,
                binding_id,
                service_id,
                plan_id,
                accepts_incomplete: query.accepts_incomplete,
                meta,
                plan: PlanPosition::At(plan.position),
            };
            let result = shared.backend.unbind(plan_ref, request).await?;
            Ok(respond::unbound(&result, query.accepts_incomplete))
        };
        run(
            &shared,
            Endpoint::Unbind,
            identity,
            span.clone(),
            pin!(work),
        )
        .await
    }
}

pub(super) fn fetch_binding<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: BindingPath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, _) = request.into_parts();
    async move {
        let span = span(Endpoint::FetchBinding, &parts);
        let identity = request_identity(&parts);
        let work = async {
            let meta = shared.preamble(&parts).await?;
            let (instance_id, binding_id) = input::path_ids(path)?;
            record_ids(&span, &instance_id, Some(&binding_id));
            let query = Query::parse(parts.uri.query())?;
            let owner = shared.backend.catalog().owner_by_hints(
                query.service_id.as_deref(),
                query.plan_id.as_deref(),
                ErrorKind::BindingNotFound,
            )?;
            let request = FetchBinding {
                instance_id,
                binding_id,
                service_id: query.service_id,
                plan_id: query.plan_id,
                meta,
            };
            let binding = shared.backend.fetch_binding(owner, request).await?;
            Ok(respond::fetched_binding(&binding))
        };
        run(
            &shared,
            Endpoint::FetchBinding,
            identity,
            span.clone(),
            Box::pin(work).as_mut(),
        )
        .await
    }
}

pub(super) fn binding_last_operation<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    path: BindingPath,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, _) = request.into_parts();
    async move {
        let span = span(Endpoint::BindingLastOperation, &parts);
        let identity = request_identity(&parts);
        let work = async {
            let meta = shared.preamble(&parts).await?;
            let (instance_id, binding_id) = input::path_ids(path)?;
            record_ids(&span, &instance_id, Some(&binding_id));
            let query = Query::parse(parts.uri.query())?;
            let owner = shared.backend.catalog().owner_by_hints(
                query.service_id.as_deref(),
                query.plan_id.as_deref(),
                ErrorKind::BindingNotFound,
            )?;
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
        };
        run(
            &shared,
            Endpoint::BindingLastOperation,
            identity,
            span.clone(),
            Box::pin(work).as_mut(),
        )
        .await
    }
}

/// Unknown paths: 404 with an OSB error body, after authentication.
pub(super) async fn not_found<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    request: Request,
) -> Response {
    rejected(&shared, request, ErrorKind::NotFound).await
}

/// Known paths with another method: 405 with an OSB error body, after authentication.
pub(super) async fn method_not_allowed<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    request: Request,
) -> Response {
    rejected(&shared, request, ErrorKind::MethodNotAllowed).await
}

async fn rejected<D: Dispatch>(
    shared: &Arc<Shared<D>>,
    request: Request,
    kind: ErrorKind,
) -> Response {
    let (parts, _) = request.into_parts();
    let identity = request_identity(&parts);
    // Through `run`, as every route: a custom authenticator that panics is a 500 too.
    let work = async {
        let err = match shared.auth.authenticate(&parts).await {
            Ok(_) => Error::new(kind),
            Err(err) => err,
        };
        tracing::debug!(method = %parts.method, path = parts.uri.path(), "no such route");
        Err(err)
    };
    run(
        shared,
        Endpoint::Catalog,
        identity,
        Span::none(),
        pin!(work),
    )
    .await
}

/// A handler panicked: a generic 500; the panic message goes only to the log.
fn panicked(panic: &(dyn Any + Send)) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| String::from("(no message)"));
    tracing::error!(panic = %message, "a request handler panicked");
    respond::error(&Error::new(ErrorKind::Internal), Endpoint::Catalog, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of the future a handler returns, read off its type without calling it.
    fn future_size<A, B, C, F: std::future::Future>(_: impl FnOnce(A, B, C) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    fn future_size2<A, B, F: std::future::Future>(_: impl FnOnce(A, B) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// axum allocates every request's handler future and moves it: what a request
    /// carries across its `.await`s is paid for on every request. The budget catches a
    /// change that doubles it (taking `work` by value in `run` did, for every route,
    /// and so did writing the handlers as `async fn`s, which keep the whole `Request`).
    /// They were 584 to 952 bytes when this was written; axum's wrapper adds about 260,
    /// and glibc serves blocks up to 1,032 bytes from its fast per-thread cache.
    fn sizes<D: Dispatch>() -> [(&'static str, usize); 10] {
        [
            ("catalog", future_size2(catalog::<D>)),
            ("provision", future_size(provision::<D>)),
            ("update", future_size(update::<D>)),
            ("deprovision", future_size(deprovision::<D>)),
            ("fetch_instance", future_size(fetch_instance::<D>)),
            ("last_operation", future_size(last_operation::<D>)),
            ("bind", future_size(bind::<D>)),
            ("unbind", future_size(unbind::<D>)),
            ("fetch_binding", future_size(fetch_binding::<D>)),
            (
                "binding_last_operation",
                future_size(binding_last_operation::<D>),
            ),
        ]
    }

    #[test]
    fn handler_futures_stay_small() {
        let backends = [
            ("brokers", sizes::<crate::dispatch::Direct>()),
            (
                "lifecycle",
                sizes::<std::sync::Arc<crate::lifecycle::Lifecycle>>(),
            ),
        ];
        for (backend, sizes) in backends {
            for (route, size) in sizes {
                println!("{backend} {route}: {size} bytes");
            }
            for (route, size) in sizes {
                assert!(
                    size <= 1024,
                    "the {route} handler's future is {size} bytes with the {backend}"
                );
            }
        }
    }
}
