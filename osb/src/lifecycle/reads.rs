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
use crate::error::{Error, ErrorKind};
use crate::request::binding::{BindingLastOperation, FetchBinding};
use crate::request::instance::{FetchInstance, LastOperation};
use crate::response::binding::Binding;
use crate::response::instance::InstanceDetails;
use crate::response::operation::{BindingOperationReport, OperationReport};
use crate::response::{InstanceMetadata, OperationState};
use crate::store::{OperationKind, OperationRecord, ResourceState, StateConfig};

use crate::compiled::BrokerRef;

use super::settle::{Ended, settle_binding, settle_instance};
use super::shared::{Lifecycle, now_ms};
use crate::text::quoted;

/// «Fetching a Service Instance», answered from the store unless the broker has its
/// own handler: 404 while it is created, 422 `ConcurrencyError` while it is updated.
pub(super) fn fetch_instance(
    state: &Lifecycle,
    owner: Option<BrokerRef>,
    request: FetchInstance,
) -> impl Future<Output = Result<InstanceDetails, Error>> + Send {
    async move {
        let record = state.store.instance_for_fetch(&request.instance_id).await?;
        let owner = owner.or_else(|| {
            record
                .as_ref()
                .and_then(|r| state.catalog().plan_by_id(&r.plan_id))
                .map(|(_, p)| p.broker)
        });
        // Only the id is needed after the broker's answer: the request itself is handed
        // over, not cloned.
        let instance_id = request.instance_id.clone();
        if let Some(owner) = owner {
            match state.direct.broker(owner).fetch_instance(request).await {
                Err(err) if err.kind() == ErrorKind::NotSupported => {}
                answer => return answer,
            }
        }
        let missing = || {
            Error::instance_not_found().with_description(format!(
                "service instance {} does not exist",
                quoted(&instance_id)
            ))
        };
        let record = record.ok_or_else(missing)?;
        match record.state {
            ResourceState::Creating => Err(Error::instance_not_found().with_description(format!(
                "service instance {} is still being provisioned",
                quoted(&instance_id)
            ))),
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
                    details.parameters = Some(crate::response::json::Json::Raw(parameters));
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

/// «Polling Last Operation for Service Instances», from the store: the latest
/// operation on the instance, or the finished delete of a deleted one. Operations the
/// broker runs itself (`accepted`) are asked of the broker, and their end recorded.
pub(super) fn last_operation(
    state: &Lifecycle,
    request: LastOperation,
) -> impl Future<Output = Result<OperationReport, Error>> + Send {
    async move {
        let Some((plan_id, operation)) =
            state.store.instance_operation(&request.instance_id).await?
        else {
            if let Some(tombstone) = state.store.tombstone(&request.instance_id, None).await? {
                return Ok(status(&tombstone.operation, &state.config));
            }
            // Every instance of the router goes through the store: without a record or
            // a tombstone it does not exist.
            return Err(Error::instance_not_found().with_description(format!(
                "service instance {} does not exist",
                quoted(&request.instance_id)
            )));
        };
        let Some(operation) = operation else {
            return Ok(OperationReport::succeeded());
        };
        // The plan as the store kept it.
        let plan = state.catalog().plan_by_id(&plan_id).map(|(_, plan)| plan);
        if operation.state == OperationState::InProgress && !operation.runner {
            // The broker runs it: ask, and record the end.
            let Some(plan) = plan else {
                return Err(Error::new(ErrorKind::Internal));
            };
            let instance_id = request.instance_id.clone();
            let mut asked = request;
            if asked.operation.is_none() {
                asked.operation.clone_from(&operation.id);
            }
            let answer = state
                .direct
                .broker(plan.broker)
                .last_operation(asked)
                .await?;
            if answer.state() != OperationState::InProgress {
                // Boxed, as the other settling calls here: rare, and inline they would
                // make every poll's future (allocated per request) several times bigger.
                Box::pin(settle_instance(
                    state,
                    &instance_id,
                    operation.id.as_deref(),
                    Ended::from_status(&answer),
                ))
                .await?;
            }
            return Ok(answer);
        }
        if operation.state == OperationState::InProgress {
            if let Some(limit) = plan.and_then(|p| p.maximum_polling_duration) {
                let elapsed = now_ms().saturating_sub(operation.started_at);
                if elapsed > i64::try_from(limit.saturating_mul(1000)).unwrap_or(i64::MAX) {
                    // «Polling Interval and Duration»: past the plan's maximum polling
                    // duration the operation counts as failed; record it so.
                    let failure = Error::failed(
                        "The operation did not finish within the plan's maximum_polling_duration.",
                    );
                    Box::pin(settle_instance(
                        state,
                        &request.instance_id,
                        operation.id.as_deref(),
                        Ended::Failed(failure),
                    ))
                    .await?;
                    if let Some((_, Some(op))) =
                        state.store.instance_operation(&request.instance_id).await?
                    {
                        return Ok(status(&op, &state.config));
                    }
                }
            }
        }
        Ok(status(&operation, &state.config))
    }
}

/// The answer to a poll of `operation`.
fn status(operation: &OperationRecord, config: &StateConfig) -> OperationReport {
    let mut status = OperationReport::new(operation.state);
    if let Some(description) = &operation.description {
        status = status.description(description.clone());
    }
    if operation.state == OperationState::Failed {
        // «Polling Last Operation»: only for a failed update or deprovision.
        if matches!(
            operation.kind,
            OperationKind::Update | OperationKind::Deprovision
        ) {
            if let Some(usable) = operation.instance_usable {
                status = status.instance_usable(usable);
            }
        }
        if operation.kind == OperationKind::Update {
            if let Some(repeatable) = operation.update_repeatable {
                status = status.update_repeatable(repeatable);
            }
        }
    }
    if operation.state == OperationState::InProgress {
        status = status.retry_after(config.retry_after);
    }
    status
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
        let owner = owner.or_else(|| {
            record
                .as_ref()
                .and_then(|r| state.catalog().plan_by_id(&r.plan_id))
                .map(|(_, p)| p.broker)
        });
        // As for instances: only the id is needed after the broker's answer.
        let binding_id = request.binding_id.clone();
        if let Some(owner) = owner {
            match state.direct.broker(owner).fetch_binding(request).await {
                Err(err) if err.kind() == ErrorKind::NotSupported => {}
                answer => return answer,
            }
        }
        let missing = || {
            Error::binding_not_found().with_description(format!(
                "service binding {} does not exist",
                quoted(&binding_id)
            ))
        };
        let record = record.ok_or_else(missing)?;
        match record.state {
            ResourceState::Creating => Err(Error::binding_not_found().with_description(format!(
                "service binding {} is still being created",
                quoted(&binding_id)
            ))),
            ResourceState::Failed => Err(missing()),
            ResourceState::Ready | ResourceState::Updating | ResourceState::Deleting => {
                let mut binding = record
                    .response
                    .and_then(|r| serde_json::from_str::<Binding>(r.get()).ok())
                    .unwrap_or_default();
                if let Some(parameters) = record.parameters {
                    binding.parameters = Some(crate::response::json::Json::Raw(parameters));
                }
                Ok(binding)
            }
        }
    }
}

/// «Polling Last Operation for Service Bindings», from the store.
pub(super) fn binding_last_operation(
    state: &Lifecycle,
    request: BindingLastOperation,
) -> impl Future<Output = Result<BindingOperationReport, Error>> + Send {
    async move {
        let (iid, bid) = (request.instance_id.clone(), request.binding_id.clone());
        let Some(record) = state.store.binding(&iid, &bid).await? else {
            if let Some(tombstone) = state.store.tombstone(&iid, Some(&bid)).await? {
                return Ok(binding_status(&tombstone.operation, &state.config));
            }
            return Err(Error::binding_not_found()
                .with_description(format!("service binding {} does not exist", quoted(&bid))));
        };
        let Some(operation) = record.operation.clone() else {
            return Ok(BindingOperationReport::succeeded());
        };
        if operation.state == OperationState::InProgress && !operation.runner {
            let Some((_, plan)) = state.catalog().plan_by_id(&record.plan_id) else {
                return Err(Error::new(ErrorKind::Internal));
            };
            let mut asked = request;
            if asked.operation.is_none() {
                asked.operation.clone_from(&operation.id);
            }
            let answer = state
                .direct
                .broker(plan.broker)
                .binding_last_operation(asked)
                .await?;
            if answer.state() != OperationState::InProgress {
                Box::pin(settle_binding(
                    state,
                    &iid,
                    &bid,
                    operation.id.as_deref(),
                    Ended::from_binding_status(&answer),
                ))
                .await?;
            }
            return Ok(answer);
        }
        Ok(binding_status(&operation, &state.config))
    }
}

fn binding_status(operation: &OperationRecord, config: &StateConfig) -> BindingOperationReport {
    let mut status = BindingOperationReport::new(operation.state);
    if let Some(description) = &operation.description {
        status = status.description(description.clone());
    }
    if operation.state == OperationState::InProgress {
        status = status.retry_after(config.retry_after);
    }
    status
}
