//! Fetching instances and bindings, and polling their operations, from the store.
//!
//! The functions here return `async move` blocks rather than being `async fn`s: an
//! `async fn` keeps its arguments in its future twice (as arguments and as the locals
//! they are moved into), and the handler that awaits these allocates its whole future
//! on every request.

#![allow(
    clippy::manual_async_fn,
    reason = "`async move` blocks, not `async fn`s: see the module documentation"
)]

use crate::catalog::MaintenanceInfo;
use crate::compiled::BrokerRef;
use crate::dispatch::{BoxFuture, DynBroker};
use crate::error::{Error, ErrorKind};
use crate::request::binding::{BindingLastOperation, FetchBinding};
use crate::request::instance::{FetchInstance, LastOperation};
use crate::response::binding::Binding;
use crate::response::instance::InstanceDetails;
use crate::response::json::Json;
use crate::response::operation::{BindingOperationReport, OperationReport, Report};
use crate::response::{InstanceMetadata, OperationState};
use crate::store::{KeyRef, OperationKind, OperationRecord, ResourceState, StateConfig};
use crate::text::quoted;

use super::settle::{Ended, settle};
use super::shared::{Lifecycle, now_ms};

/// «Fetching a Service Instance», answered from the store unless the broker has its
/// own handler: 404 while it is created, 422 `ConcurrencyError` while it is updated.
pub(super) fn fetch_instance(
    state: &Lifecycle,
    owner: Option<BrokerRef>,
    request: FetchInstance,
) -> impl Future<Output = Result<InstanceDetails, Error>> + Send {
    async move {
        let record = state.store.instance_for_fetch(&request.instance_id).await?;
        // Only the id is needed after the broker's answer: the request itself is handed
        // over, not cloned.
        let instance_id = request.instance_id.clone();
        let plan_id = record.as_ref().map(|r| r.plan_id.as_str());
        if let Some(answer) = ask_owner(state, owner, plan_id, |broker| {
            broker.fetch_instance(request)
        })
        .await
        {
            return answer;
        }
        let missing = || not_found(KeyRef::Instance(&instance_id), "does not exist");
        let record = record.ok_or_else(missing)?;
        match record.state {
            ResourceState::Creating => Err(not_found(
                KeyRef::Instance(&instance_id),
                "is still being provisioned",
            )),
            ResourceState::Failed => Err(missing()),
            ResourceState::Updating => Err(Error::concurrency_error().with_description(format!(
                "service instance {} is being updated",
                quoted(&instance_id)
            ))),
            ResourceState::Ready | ResourceState::Deleting => {
                let mut details = InstanceDetails::new(record.service_id, record.plan_id);
                if let Some(url) = record.dashboard_url {
                    details = details.dashboard_url(url);
                }
                if let Some(parameters) = record.parameters {
                    details.parameters = Some(Json::Raw(parameters));
                }
                if let Some(version) = record.maintenance_version {
                    details = details.maintenance_info(MaintenanceInfo::new(version));
                }
                if let Some(metadata) = record
                    .metadata
                    .and_then(|m| serde_json::from_str::<InstanceMetadata>(m.get()).ok())
                {
                    details = details.metadata(metadata);
                }
                Ok(details)
            }
        }
    }
}

/// «Fetching a Service Binding», from the store unless the broker has its own
/// handler: 404 while it is created.
pub(super) fn fetch_binding(
    state: &Lifecycle,
    owner: Option<BrokerRef>,
    request: FetchBinding,
) -> impl Future<Output = Result<Binding, Error>> + Send {
    async move {
        let record = state
            .store
            .binding(&request.instance_id, &request.binding_id)
            .await?;
        // As for instances: only the ids are needed after the broker's answer.
        let (iid, bid) = (request.instance_id.clone(), request.binding_id.clone());
        let plan_id = record.as_ref().map(|r| r.plan_id.as_str());
        if let Some(answer) = ask_owner(state, owner, plan_id, |broker| {
            broker.fetch_binding(request)
        })
        .await
        {
            return answer;
        }
        let key = KeyRef::Binding(&iid, &bid);
        let record = record.ok_or_else(|| not_found(key, "does not exist"))?;
        match record.state {
            ResourceState::Creating => Err(not_found(key, "is still being created")),
            ResourceState::Failed => Err(not_found(key, "does not exist")),
            ResourceState::Ready | ResourceState::Updating | ResourceState::Deleting => {
                let mut binding = record
                    .response
                    .and_then(|r| serde_json::from_str::<Binding>(r.get()).ok())
                    .unwrap_or_default();
                if let Some(parameters) = record.parameters {
                    binding.parameters = Some(Json::Raw(parameters));
                }
                Ok(binding)
            }
        }
    }
}

/// The broker's own answer to a fetch, unless it has no handler for it (then `None`:
/// the store answers). The broker is the one the hints named, else the one of the
/// plan the store kept.
async fn ask_owner<'a, T>(
    state: &'a Lifecycle,
    owner: Option<BrokerRef>,
    stored_plan: Option<&str>,
    call: impl FnOnce(&'a dyn DynBroker) -> BoxFuture<'a, T>,
) -> Option<Result<T, Error>> {
    let owner = owner.or_else(|| {
        let (_, plan) = state.catalog().plan_by_id(stored_plan?)?;
        Some(plan.broker)
    })?;
    match call(state.direct.broker(owner)).await {
        Err(err) if err.kind() == ErrorKind::NotSupported => None,
        answer => Some(answer),
    }
}

/// «Polling Last Operation for Service Instances», from the store: the latest
/// operation on the instance, or the finished delete of a deleted one. Operations the
/// broker runs itself (`accepted`) are asked of the broker, and their end recorded.
pub(super) fn last_operation(
    state: &Lifecycle,
    request: LastOperation,
) -> impl Future<Output = Result<OperationReport, Error>> + Send {
    async move {
        let key = KeyRef::Instance(&request.instance_id);
        let Some((plan_id, operation)) = state.store.instance_operation(key.instance_id()).await?
        else {
            return deleted(state, key, instance_report).await;
        };
        let Some(operation) = operation else {
            return Ok(OperationReport::succeeded());
        };
        // The plan as the store kept it.
        let plan = state.catalog().plan_by_id(&plan_id).map(|(_, plan)| plan);
        if operation.state == OperationState::InProgress && !operation.runner {
            // The broker runs it: ask, and record the end.
            let broker = plan.map(|plan| plan.broker);
            let instance_id = request.instance_id.clone();
            let mut asked = request;
            asked.operation = asked.operation.or_else(|| operation.id.clone());
            let key = KeyRef::Instance(&instance_id);
            return ask_runner(state, key, broker, &operation, |broker| {
                broker.last_operation(asked)
            })
            .await;
        }
        if operation.state == OperationState::InProgress
            && let Some(limit) = plan.and_then(|p| p.maximum_polling_duration)
        {
            let elapsed = now_ms().saturating_sub(operation.started_at);
            if elapsed > i64::try_from(limit.saturating_mul(1000)).unwrap_or(i64::MAX) {
                // «Polling Interval and Duration»: past the plan's maximum polling
                // duration the operation counts as failed; record it so.
                let failure = Error::failed(
                    "The operation did not finish within the plan's maximum_polling_duration.",
                );
                let ended = Ended::Failed(failure);
                Box::pin(settle(state, key, operation.id.as_deref(), ended)).await?;
                if let Some((_, Some(op))) =
                    state.store.instance_operation(key.instance_id()).await?
                {
                    return Ok(instance_report(&op, &state.config));
                }
            }
        }
        Ok(instance_report(&operation, &state.config))
    }
}

/// «Polling Last Operation for Service Bindings», from the store.
pub(super) fn binding_last_operation(
    state: &Lifecycle,
    request: BindingLastOperation,
) -> impl Future<Output = Result<BindingOperationReport, Error>> + Send {
    async move {
        let (iid, bid) = (request.instance_id.clone(), request.binding_id.clone());
        let key = KeyRef::Binding(&iid, &bid);
        let Some(record) = state.store.binding(&iid, &bid).await? else {
            return deleted(state, key, report).await;
        };
        let Some(operation) = record.operation else {
            return Ok(BindingOperationReport::succeeded());
        };
        if operation.state == OperationState::InProgress && !operation.runner {
            let broker = state
                .catalog()
                .plan_by_id(&record.plan_id)
                .map(|(_, plan)| plan.broker);
            let mut asked = request;
            asked.operation = asked.operation.or_else(|| operation.id.clone());
            return ask_runner(state, key, broker, &operation, |broker| {
                broker.binding_last_operation(asked)
            })
            .await;
        }
        Ok(report(&operation, &state.config))
    }
}

/// A poll of an operation the broker runs itself, on a resource of `broker` (`None`:
/// its plan left the catalog): asks the broker, and records the end it reports.
async fn ask_runner<'a, R: Report>(
    state: &'a Lifecycle,
    key: KeyRef<'_>,
    broker: Option<BrokerRef>,
    operation: &OperationRecord,
    ask: impl FnOnce(&'a dyn DynBroker) -> BoxFuture<'a, R>,
) -> Result<R, Error> {
    let Some(broker) = broker else {
        return Err(Error::new(ErrorKind::Internal));
    };
    let answer = ask(state.direct.broker(broker)).await?;
    if answer.report_state() != OperationState::InProgress {
        // Boxed: rare, and inline it would make every poll's future (allocated per
        // request) several times bigger.
        let ended = Ended::from_report(&answer);
        Box::pin(settle(state, key, operation.id.as_deref(), ended)).await?;
    }
    Ok(answer)
}

/// The answer to a poll of a resource the store does not hold: `succeeded` if its
/// delete finished (a tombstone), else 404. Every resource of the router goes through
/// the store: without a record or a tombstone it does not exist.
async fn deleted<R: Report>(
    state: &Lifecycle,
    key: KeyRef<'_>,
    report: fn(&OperationRecord, &StateConfig) -> R,
) -> Result<R, Error> {
    match state
        .store
        .tombstone(key.instance_id(), key.binding_id())
        .await?
    {
        Some(tombstone) => Ok(report(&tombstone.operation, &state.config)),
        None => Err(not_found(key, "does not exist")),
    }
}

/// `404`: the resource under `key` is `what` (does not exist, is still being created).
fn not_found(key: KeyRef<'_>, what: &str) -> Error {
    let (error, noun, id) = match key {
        KeyRef::Instance(id) => (Error::instance_not_found(), "service instance", id),
        KeyRef::Binding(_, id) => (Error::binding_not_found(), "service binding", id),
    };
    error.with_description(format!("{noun} {} {what}", quoted(id)))
}

/// The answer reporting `operation`, as the store recorded it.
fn report<R: Report>(operation: &OperationRecord, config: &StateConfig) -> R {
    let mut status = R::with_state(operation.state);
    if let Some(description) = &operation.description {
        status = status.described(description.clone());
    }
    if operation.state == OperationState::InProgress {
        status = status.retried_after(config.retry_after);
    }
    status
}

/// The answer reporting an instance's `operation`, with what only instance polls say.
fn instance_report(operation: &OperationRecord, config: &StateConfig) -> OperationReport {
    let mut status: OperationReport = report(operation, config);
    if operation.state == OperationState::Failed {
        // «Polling Last Operation»: only for a failed update or deprovision.
        if matches!(
            operation.kind,
            OperationKind::Update | OperationKind::Deprovision
        ) && let Some(usable) = operation.instance_usable
        {
            status = status.instance_usable(usable);
        }
        if operation.kind == OperationKind::Update
            && let Some(repeatable) = operation.update_repeatable
        {
            status = status.update_repeatable(repeatable);
        }
    }
    status
}
