//! Creating and deleting service bindings.
//!
//! The request paths here return `async move` blocks rather than being `async fn`s:
//! an `async fn` keeps its arguments in its future twice (as arguments and as the
//! locals they are moved into), and each request allocates these futures.

#![allow(
    clippy::manual_async_fn,
    reason = "`async move` blocks, not `async fn`s: see the module documentation"
)]

use std::pin::pin;
use std::sync::Arc;

use serde_json::value::RawValue;

use crate::error::Error;
use crate::request::BindResource;
use crate::request::binding::Bind;
use crate::response::Background;
use crate::response::binding::{Binding, Bound};
use crate::response::completion::Completion;
use crate::store::claim::{BindingClaim, BindingSettle, CLAIMED};
use crate::store::operation_id::OperationId;
use crate::store::{BindingRecord, Fingerprint, OperationKind, ResourceState};

use crate::compiled::PlanRef;
use crate::store::{KeyRef, ResourceKey};

use super::creates::{Found, created, found};
use super::handle::{BindingClaimed, ClaimedBinding};
use super::runner::{run, spawn};
use super::shared::{Lifecycle, now_ms};
use super::steps::{Existing, Step, Waits, busy, lost_race, start_call};
use crate::text::quoted;

/// «Binding»: the instance must exist and be usable; a binding with the same
/// parameters and resource answers 200 with what it answered first.
pub(super) fn bind(
    lifecycle: Arc<Lifecycle>,
    plan: PlanRef,
    request: Bind,
    bind_resource: Option<Box<RawValue>>,
) -> impl Future<Output = Result<Bound, Error>> + Send {
    // Boxed, with the `bind_resource` to store: held in this future, they would take
    // their whole size in every state of it, also after the request is handed to the
    // broker, and keep the future beyond what malloc's per-thread cache serves (1,032
    // bytes; `write_futures_fit_the_allocator_cache`).
    let resource = stored_resource(request.bind_resource.as_ref(), bind_resource);
    let call = Box::new(BindCall { request, resource });
    async move {
        let state = &*lifecycle;
        let request = &call.request;
        // The claim checks that the instance can be bound.
        if let Some(predecessor) = &request.predecessor_binding_id {
            check_predecessor(state, &request.instance_id, predecessor).await?;
        }
        let resource = call.resource.as_deref();
        let app = request.app_guid.as_deref().unwrap_or_default();
        // In a block: what it borrows is not kept in the future. The plan's service and
        // plan ids are hashed already.
        let fp = {
            let json = [request.parameters.as_ref().map(|p| p.as_raw()), resource];
            state
                .catalog()
                .plan(plan)
                .fingerprint_prefix
                .fingerprint(&[app], &json)
        };
        let mut waits = Waits::default();
        // As for instances: insert first, read only when the store refuses.
        let mut first_pass = true;
        for _ in 0..4 + Waits::MAX {
            let (iid, bid) = (&request.instance_id, &request.binding_id);
            // As for instances: the record found is decided on at once, not kept.
            let step = if !std::mem::take(&mut first_pass) {
                match state.store.binding(iid, bid).await? {
                    None => Step::Insert,
                    Some(record) => match existing_binding(record, &fp, request) {
                        Existing::Answer(answer) => return answer,
                        Existing::Step(step) => step,
                    },
                }
            } else {
                Step::Insert
            };
            match step {
                Step::Insert => {}
                Step::Forget(version) => {
                    // A failed bind may be retried, with any attributes.
                    state.store.delete_binding(iid, bid, version, None).await?;
                    continue;
                }
                Step::Wait if waits.wait().await => continue,
                Step::Wait => return Err(busy("the service binding")),
            }
            let now = now_ms();
            let operation = state.operation_id(OperationKind::Bind, now);
            let claim = BindingClaim {
                instance_id: iid,
                binding_id: bid,
                service_id: &request.service_id,
                plan_id: &request.plan_id,
                parameters: request.parameters.as_ref().map(|p| p.as_raw()),
                bind_resource: resource,
                operation,
                now,
                fingerprint: fp,
            };
            let mut claimed = match state.store.claim_binding(&claim).await? {
                BindingClaimed::Claimed(claimed) => claimed,
                BindingClaimed::Taken => continue,
                BindingClaimed::Unbindable(instance) => {
                    return Err(unbindable(instance, &request.instance_id));
                }
            };
            let accepts_incomplete = request.accepts_incomplete;
            let (iid, bid) = claimed.ids();
            let key = KeyRef::Binding(iid, bid);
            let started = start_call(key, || state.direct.broker_of(plan).bind(call.request));
            let call = async {
                let mut answer = started?.await?;
                if !accepts_incomplete && let Completion::Background(work) = answer.completion {
                    // As `finish_inline`: the client cannot poll, so it waits.
                    answer.completion = Completion::Done(work.0.await?);
                }
                Ok(answer)
            };
            let result = run(state, key, operation, pin!(call)).await;
            return settle_bind(&lifecycle, &mut claimed, operation, result).await;
        }
        Err(busy("the service binding"))
    }
}

/// «Binding» an instance in `state` (`None`: there is none) that cannot be bound.
fn unbindable(state: Option<ResourceState>, instance_id: &str) -> Error {
    match state {
        None => Error::instance_not_found().with_description(format!(
            "service instance {} does not exist, so it cannot be bound",
            quoted(instance_id)
        )),
        Some(ResourceState::Failed) => Error::unprocessable(format!(
            "service instance {} failed to provision; it cannot be bound",
            quoted(instance_id)
        )),
        // Being created or deleted (an instance ready or being updated is bindable).
        Some(_) => busy("the service instance"),
    }
}

/// What a bind does about the binding already stored under its id.
fn existing_binding(record: BindingRecord, fp: &Fingerprint, request: &Bind) -> Existing<Bound> {
    let operation = record.operation.and_then(|op| op.id);
    let same = record.fingerprint == *fp;
    match found(
        record.state,
        record.version,
        same,
        operation,
        request.accepts_incomplete,
    ) {
        Found::Step(step) => Existing::Step(step),
        Found::Conflict => Existing::Answer(Err(Error::binding_already_exists().with_description(
            format!(
                "service binding {} already exists with other parameters",
                quoted(&request.binding_id)
            ),
        ))),
        Found::Exists => {
            let binding = record
                .response
                .and_then(|r| serde_json::from_str::<Binding>(r.get()).ok())
                .unwrap_or_default();
            Existing::Answer(Ok(Bound::already_exists(binding)))
        }
        Found::Accepted(operation) => Existing::Answer(Ok(Bound::accepted(operation))),
        Found::Busy => Existing::Answer(Err(busy("the service binding"))),
    }
}

fn settle_bind(
    lifecycle: &Arc<Lifecycle>,
    claimed: &mut ClaimedBinding,
    operation: OperationId,
    result: Result<Bound, Error>,
) -> impl Future<Output = Result<Bound, Error>> + Send {
    async move {
        let state = &**lifecycle;
        let bound = match result {
            Ok(bound) => bound,
            Err(err) => {
                // «Service Broker Errors»: a 4xx leaves the resource unchanged: forget it.
                let (iid, bid) = claimed.ids();
                state
                    .store
                    .delete(KeyRef::Binding(iid, bid), CLAIMED, None)
                    .await?;
                return Err(err);
            }
        };
        // Decided in a plain function, which consumes `bound`: this future keeps only the
        // answer across the store's update, not the broker's answer as well.
        let (answer, settle, background) = settled(bound, operation, now_ms());
        if !state.store.settle_binding(claimed, settle).await? {
            return Err(lost_race("the service binding"));
        }
        if let Some((work, id)) = background {
            let (iid, bid) = claimed.ids();
            let key = ResourceKey::Binding(iid.to_owned(), bid.to_owned());
            spawn(lifecycle, OperationKind::Bind, key, id, work, Some);
        }
        Ok(answer)
    }
}

/// What goes on in the background after a bind answered: the work, and its
/// operation's id.
type BackgroundBind = Option<(Background<Binding>, String)>;

/// The answer to send, how the claimed binding is settled, and the work that goes on
/// in the background, after its broker answered `bound` at `now`; `operation` is the
/// id of the claim's operation.
fn settled(
    bound: Bound,
    operation: OperationId,
    now: i64,
) -> (Bound, BindingSettle, BackgroundBind) {
    let created = created(bound.completion, OperationKind::Bind, operation, now);
    // A binding the broker made is kept serialized, once: the response sends a copy
    // of the bytes the store keeps.
    let response = created
        .answer
        .made()
        .and_then(|binding| crate::raw_json::to_raw_value(binding).ok());
    let answer = Bound {
        completion: created.answer,
        body: response.clone(),
    };
    let settle = BindingSettle {
        state: created.state,
        operation: created.operation,
        response,
    };
    (answer, settle, created.background)
}

/// «Binding Rotation»: `predecessor_binding_id` MUST be the id of a non-expired
/// binding of the same instance; the store knows whether it is.
async fn check_predecessor(
    state: &Lifecycle,
    instance_id: &str,
    predecessor: &str,
) -> Result<(), Error> {
    // The instance first, as the claim checks it for any bind.
    let instance = state.store.instance_state(instance_id).await?;
    if !instance.is_some_and(ResourceState::bindable) {
        return Err(unbindable(instance, instance_id));
    }
    let record = state.store.binding(instance_id, predecessor).await?;
    let Some(record) = record.filter(|r| r.state != ResourceState::Failed) else {
        return Err(Error::bad_request(format!(
            "predecessor_binding_id {} is not a binding of service instance {}",
            quoted(predecessor),
            quoted(instance_id)
        )));
    };
    let expires_at = record
        .response
        .and_then(|r| serde_json::from_str::<Binding>(r.get()).ok())
        .and_then(|binding| binding.metadata)
        .and_then(|metadata| metadata.expires_at);
    if expires_at.is_some_and(|at| at.unix_millis() <= now_ms()) {
        return Err(Error::bad_request(format!(
            "predecessor binding {} has expired; rotate bindings before they expire",
            quoted(predecessor)
        )));
    }
    Ok(())
}

/// A bind request and the `bind_resource` to store, boxed together (see [`bind`]).
struct BindCall {
    request: Bind,
    resource: Option<Box<RawValue>>,
}

/// The `bind_resource` to store and fingerprint: as the platform sent it, unless a
/// field in it is `null`. Such a field is absent (the typed view drops it), so then the
/// typed view written out is kept: a re-sent request that leaves the field out is
/// identical, and the fingerprint is the one earlier versions stored.
fn stored_resource(
    resource: Option<&BindResource>,
    sent: Option<Box<RawValue>>,
) -> Option<Box<RawValue>> {
    match sent {
        Some(sent) if memchr::memmem::find(sent.get().as_bytes(), b"null").is_none() => Some(sent),
        _ => resource.and_then(|r| crate::raw_json::to_raw_value(r).ok()),
    }
}
