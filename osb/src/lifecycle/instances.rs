//! Creating, changing and deleting service instances.
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

use crate::catalog::AsyncOperations;
use crate::error::Error;
use crate::request::PreviousValues;
use crate::request::instance::{Provision, Update};
use crate::request::position::PlanPosition;
use crate::response::InstanceMetadata;
use crate::response::completion::Completion;
use crate::response::instance::{Provisioned, Updated};
use crate::store::claim::{CLAIMED, InstanceClaim, InstanceSettle};
use crate::store::operation_id::OperationId;
use crate::store::{
    Fingerprint, InstanceRecord, OperationKind, OperationRecord, PendingUpdate, ResourceState,
    fingerprint,
};

use crate::compiled::PlanRef;
use crate::store::{KeyRef, ResourceKey};

use super::creates::{Created, Found, created, found};
use super::handle::ClaimedInstance;
use super::runner::{run, spawn};
use super::settle::apply_update;
use super::shared::{Lifecycle, now_ms};
use super::steps::{Existing, Races, Step, Waits, busy, finish_inline, lost_race, start_call};
use crate::text::quoted;

/// «Provisioning»: 201/202 for a new instance; for an existing one with the same
/// service, plan and parameters 200 (202 with the same operation while it is created);
/// 409 for other attributes.
pub(super) fn provision(
    lifecycle: Arc<Lifecycle>,
    plan: PlanRef,
    request: Provision,
) -> impl Future<Output = Result<Provisioned, Error>> + Send {
    // Boxed: held in this future, the request would take its whole size in every
    // state of it, also after it is handed to the broker, and keep the future beyond
    // what malloc's per-thread cache serves (1,032 bytes).
    let request = Box::new(request);
    async move {
        let state = &*lifecycle;
        // In a block: what it borrows is not kept in the future. The plan's service and
        // plan ids are hashed already.
        let fp = {
            let parameters = [request.parameters.as_ref().map(|p| p.as_raw())];
            state
                .catalog()
                .plan(plan)
                .fingerprint_prefix
                .fingerprint(&[], &parameters)
        };
        let mut waits = Waits::default();
        // A new instance is the common case: the first pass inserts without reading, and
        // the store's refusal (nothing written) sends it back to read what is there.
        let mut first_pass = true;
        for _ in 0..4 + Waits::MAX {
            // The record found is decided on at once and dropped: only the step, a few
            // bytes, is kept across the awaits that follow (the future is allocated per
            // request, and a record is 384 bytes).
            let step = if !std::mem::take(&mut first_pass) {
                match state.store.instance(&request.instance_id).await? {
                    None => Step::Insert,
                    Some(record) => match existing_instance(record, &fp, &request) {
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
                    // A failed provision may be retried, with any attributes: forget it
                    // and start again.
                    state
                        .store
                        .delete_instance(&request.instance_id, version, None)
                        .await?;
                    continue;
                }
                // A client that cannot poll waits a little for the request creating it,
                // then gets its answer's twin.
                Step::Wait if waits.wait().await => continue,
                Step::Wait => return Err(busy("the service instance")),
            }
            let now = now_ms();
            let operation = state.operation_id(OperationKind::Provision, now);
            let claim = InstanceClaim {
                instance_id: &request.instance_id,
                service_id: &request.service_id,
                plan_id: &request.plan_id,
                parameters: request.parameters.as_ref().map(|p| p.as_raw()),
                context: request.context.as_ref().map(|c| c.as_raw()),
                // An instance is at its plan's maintenance version unless the request
                // said otherwise.
                maintenance_version: request
                    .maintenance_info
                    .as_ref()
                    .map(|m| m.version.as_str())
                    .or_else(|| state.catalog().plan(plan).maintenance_version.as_deref()),
                operation,
                now,
                fingerprint: fp,
            };
            let Some(mut claimed) = state.store.claim_instance(&claim).await? else {
                // Another request created it between the read and the insert: decide again.
                continue;
            };
            let accepts_incomplete = request.accepts_incomplete;
            let key = KeyRef::Instance(claimed.instance_id());
            let started = start_call(key, || state.direct.broker_of(plan).provision(*request));
            let call = async {
                let mut answer = started?.await?;
                answer.completion = finish_inline(answer.completion, accepts_incomplete).await?;
                Ok(answer)
            };
            let result = run(state, key, operation, pin!(call)).await;
            return settle_provision(&lifecycle, &mut claimed, operation, result).await;
        }
        Err(busy("the service instance"))
    }
}

/// What a provision does about the instance already stored under its id.
fn existing_instance(
    record: InstanceRecord,
    fp: &Fingerprint,
    request: &Provision,
) -> Existing<Provisioned> {
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
        Found::Conflict => Existing::Answer(Err(Error::instance_already_exists()
            .with_description(format!(
                "service instance {} already exists with another service, plan or parameters",
                quoted(&request.instance_id)
            )))),
        Found::Exists => {
            let mut existing = Provisioned::already_exists();
            if let Some(url) = record.dashboard_url {
                existing = existing.dashboard_url(url);
            }
            if let Some(metadata) = record
                .metadata
                .and_then(|m| serde_json::from_str::<InstanceMetadata>(m.get()).ok())
            {
                existing = existing.metadata(metadata);
            }
            Existing::Answer(Ok(existing))
        }
        Found::Accepted(operation) => Existing::Answer(Ok(Provisioned::accepted(operation))),
        Found::Busy => Existing::Answer(Err(busy("the service instance"))),
    }
}

fn settle_provision(
    lifecycle: &Arc<Lifecycle>,
    claimed: &mut ClaimedInstance,
    operation: OperationId,
    result: Result<Provisioned, Error>,
) -> impl Future<Output = Result<Provisioned, Error>> + Send {
    async move {
        let state = &**lifecycle;
        let provisioned = match result {
            Ok(provisioned) => provisioned,
            Err(err) => {
                // «Service Broker Errors»: a 4xx leaves the resource unchanged: forget it.
                let key = KeyRef::Instance(claimed.instance_id());
                state.store.delete(key, CLAIMED, None).await?;
                return Err(err);
            }
        };
        let Provisioned {
            completion: outcome,
            dashboard_url,
            metadata,
            parameters_in_force,
            vendor,
        } = provisioned;
        // Taken apart at once: held whole, the rest of it stayed in this future across
        // the store's update.
        let Created {
            state: resource,
            operation: kept,
            answer: outcome,
            background,
        } = created(outcome, OperationKind::Provision, operation, now_ms());
        let settle = InstanceSettle {
            state: resource,
            operation: kept,
            parameters: parameters_in_force,
            dashboard_url: dashboard_url.clone(),
            metadata: metadata
                .as_ref()
                .and_then(|m| crate::raw_json::to_raw_value(m).ok()),
        };
        let answer = Provisioned {
            completion: outcome,
            dashboard_url,
            metadata,
            parameters_in_force: None,
            vendor,
        };
        if !state.store.settle_instance(claimed, settle).await? {
            return Err(lost_race("the service instance"));
        }
        if let Some((work, id)) = background {
            let key = ResourceKey::Instance(claimed.instance_id().to_owned());
            spawn(lifecycle, OperationKind::Provision, key, id, work, |()| {
                None
            });
        }
        Ok(answer)
    }
}

/// «Updating a Service Instance»: one update at a time; a re-sent identical update
/// while it runs gets 202 with the same operation. The plan in force comes from the
/// store, so requests that name no plan still reach the right handler.
pub(super) fn update(
    lifecycle: Arc<Lifecycle>,
    named: Option<PlanRef>,
    mut request: Update,
) -> impl Future<Output = Result<Updated, Error>> + Send {
    async move {
        let state = &*lifecycle;
        let id = request.instance_id.clone();
        let mut races = Races::default();
        // Read, decide, claim; again when a concurrent request (an identical update,
        // typically) changed the instance between the read and the claim.
        let (mut record, previous_operation, operation_id, plan) = loop {
            let Some(mut record) = state.store.instance(&id).await? else {
                return Err(Error::instance_not_found()
                    .with_description(format!("service instance {} does not exist", quoted(&id))));
            };
            if record.service_id != request.service_id {
                return Err(Error::bad_request(format!(
                    "service instance {} belongs to service offering {}, not {}",
                    quoted(&id),
                    quoted(&record.service_id),
                    quoted(&request.service_id)
                )));
            }
            let target_id = request
                .plan_id
                .clone()
                .unwrap_or_else(|| record.plan_id.clone());
            let fp = fingerprint(
                &[&target_id],
                &[
                    request.parameters.as_ref().map(|p| p.as_raw()),
                    request.context.as_ref().map(|c| c.as_raw()),
                ],
            );
            match record.state {
                ResourceState::Ready => {}
                ResourceState::Updating => {
                    let same = record.pending.as_ref().is_some_and(|p| p.fingerprint == fp);
                    return match (same, record.operation.and_then(|op| op.id)) {
                        (true, Some(operation)) if request.accepts_incomplete => {
                            Ok(Updated::accepted(operation))
                        }
                        _ => Err(busy("the service instance")),
                    };
                }
                ResourceState::Creating | ResourceState::Deleting => {
                    return Err(busy("the service instance"));
                }
                ResourceState::Failed => {
                    return Err(Error::unprocessable(format!(
                        "service instance {} failed to provision; deprovision it",
                        quoted(&id)
                    )));
                }
            }
            // The checks the router could not make without knowing the plan in force.
            // The plan in force as the store kept it; the new plan as the handler resolved it.
            let current = state.catalog().plan_by_id(&record.plan_id);
            let target = match named {
                Some(named) => Some((named, state.catalog().plan(named))),
                None => current,
            };
            if let (Some((_, current)), Some((_, target))) = (current, target) {
                if target_id != record.plan_id && !current.plan_updateable {
                    return Err(Error::plan_change_not_supported().with_description(format!(
                        "plan {} does not allow plan changes (plan_updateable is not true)",
                        quoted(&current.name)
                    )));
                }
                // The router checked against the plan the request named (or none); the
                // store knows the plan in force.
                if let (Some(schema), Some(parameters)) =
                    (&target.update_schema, &request.parameters)
                {
                    schema.check(Some(parameters))?;
                }
                target.check_maintenance(request.maintenance_info.as_ref())?;
                target.check_async(AsyncOperations::UPDATE, request.accepts_incomplete)?;
                request.plan = PlanPosition::At(target.position);
            }
            // «Updating a Service Instance»: `previous_values.plan_id` is the plan before the
            // update, which the store knows better than the request.
            request
                .previous_values
                .get_or_insert_with(PreviousValues::default)
                .plan_id = Some(record.plan_id.clone());
            let Some((plan, entry)) = target else {
                return Err(Error::unprocessable(format!(
                    "the plan of service instance {} is no longer in the catalog",
                    quoted(&id)
                )));
            };
            let expected = record.version;
            record.version += 1;
            record.state = ResourceState::Updating;
            record.pending = Some(PendingUpdate {
                plan_id: request.plan_id.clone(),
                parameters: request.parameters.as_ref().map(|p| p.as_raw().to_owned()),
                maintenance_version: request
                    .maintenance_info
                    .as_ref()
                    .map(|m| m.version.clone())
                    .or_else(|| {
                        // A plan change moves the instance to the new plan's version.
                        (target_id != record.plan_id)
                            .then(|| entry.maintenance_version.clone())
                            .flatten()
                    }),
                fingerprint: fp,
            });
            let started_at = now_ms();
            let operation_id = state
                .operation_id(OperationKind::Update, started_at)
                .to_string();
            let previous_operation = record.operation.replace(OperationRecord::start(
                OperationKind::Update,
                Some(operation_id.clone()),
                true,
                started_at,
            ));
            if state.store.update_instance(&record, expected).await? {
                break (record, previous_operation, operation_id, plan);
            }
            if !races.lost() {
                return Err(lost_race("the service instance"));
            }
        };
        let context = request.context.as_ref().map(|c| c.as_raw().to_owned());
        let accepts_incomplete = request.accepts_incomplete;
        let call = async {
            let mut answer = state.direct.broker_of(plan).update(request).await?;
            answer.completion = finish_inline(answer.completion, accepts_incomplete).await?;
            Ok(answer)
        };
        let result = run(state, KeyRef::Instance(&id), &operation_id, pin!(call)).await;
        let expected = record.version;
        record.version += 1;
        let now = now_ms();
        let (answer, background) = match result {
            Err(err) => {
                // «Updating»: a 4xx or 5xx MUST NOT apply any change.
                record.state = ResourceState::Ready;
                record.pending = None;
                record.operation = previous_operation;
                state.store.update_instance(&record, expected).await?;
                return Err(err);
            }
            Ok(updated) => {
                let Updated {
                    completion: outcome,
                    dashboard_url,
                    metadata,
                    parameters_in_force,
                    vendor,
                } = updated;
                if let (Some(parameters), Some(pending)) =
                    (parameters_in_force, &mut record.pending)
                {
                    pending.parameters = Some(parameters);
                }
                if let Some(url) = &dashboard_url {
                    record.dashboard_url = Some(url.clone());
                }
                if let Some(metadata) = &metadata {
                    record.metadata = crate::raw_json::to_raw_value(metadata).ok();
                }
                let (outcome, background) = match outcome {
                    Completion::Done(()) | Completion::Existing(()) => {
                        apply_update(&mut record, context);
                        record.operation =
                            Some(OperationRecord::finished(OperationKind::Update, now));
                        (Completion::Done(()), None)
                    }
                    Completion::Accepted(operation) => {
                        record.operation = Some(OperationRecord::start(
                            OperationKind::Update,
                            operation.clone(),
                            false,
                            now,
                        ));
                        (Completion::Accepted(operation), None)
                    }
                    Completion::Background(work) => {
                        record.operation = Some(OperationRecord::start(
                            OperationKind::Update,
                            Some(operation_id.clone()),
                            true,
                            now,
                        ));
                        (Completion::Accepted(Some(operation_id.clone())), Some(work))
                    }
                };
                (
                    Updated {
                        completion: outcome,
                        dashboard_url,
                        metadata,
                        parameters_in_force: None,
                        vendor,
                    },
                    background,
                )
            }
        };
        if !state.store.update_instance(&record, expected).await? {
            return Err(lost_race("the service instance"));
        }
        if let Some(work) = background {
            let key = ResourceKey::Instance(record.instance_id.clone());
            spawn(
                &lifecycle,
                OperationKind::Update,
                key,
                operation_id,
                work,
                |()| None,
            );
        }
        Ok(answer)
    }
}
