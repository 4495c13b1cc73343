//! Deleting instances and bindings («Deprovisioning», «Unbinding»): 410 for what
//! does not exist; a re-sent DELETE of an asynchronous delete gets 202 with the same
//! operation. One path for both; [`Deletion`] says what differs.

#![allow(
    clippy::manual_async_fn,
    reason = "`async move` blocks, not `async fn`s: see `instances`"
)]

use std::pin::pin;
use std::sync::Arc;

use crate::catalog::AsyncOperations;
use crate::compiled::PlanRef;
use crate::dispatch::{BoxFuture, DynBroker};
use crate::error::{Error, ErrorKind};
use crate::request::binding::Unbind;
use crate::request::instance::Deprovision;
use crate::request::position::PlanPosition;
use crate::response::VendorFields;
use crate::response::binding::Unbound;
use crate::response::completion::Completion;
use crate::response::instance::Deprovisioned;
use crate::store::{KeyRef, OperationRecord, ResourceState};
use crate::text::quoted;

use super::runner::{run, spawn};
use super::settle::{delete_kind, finish_delete};
use super::shared::{Lifecycle, now_ms};
use super::steps::{Races, busy, finish_inline, lost_race, stored_plan};

/// A request that deletes a resource, and what tells a deprovision from an unbind.
pub(super) trait Deletion: Send + Sized + 'static {
    /// The broker's answer.
    type Answer: Send + 'static;
    /// The operation a plan may declare asynchronous only.
    const ASYNC: AsyncOperations;
    /// What the resource is called in descriptions.
    const WHAT: &'static str;
    /// What a broker answers when the resource is gone.
    const NOT_FOUND: ErrorKind;

    /// The resource.
    fn key(&self) -> KeyRef<'_>;
    /// The plan the request names.
    fn plan_id(&self) -> &str;
    /// `accepts_incomplete=true`.
    fn accepts_incomplete(&self) -> bool;
    /// Names `plan_id`, at `position` in its broker's catalog, instead.
    fn use_plan(&mut self, plan_id: &str, position: usize);
    /// The broker's handler call.
    fn call(self, broker: &dyn DynBroker) -> BoxFuture<'_, Self::Answer>;
    /// The answer's completion and vendor fields.
    fn split(answer: Self::Answer) -> (Completion<()>, VendorFields);
    /// The answer of `completion` with `vendor`.
    fn join(completion: Completion<()>, vendor: VendorFields) -> Self::Answer;
}

/// [`Deletion`] for a request type with `instance_id`, `plan_id`, `plan` and
/// `accepts_incomplete`, whose answer has `completion` and `vendor`.
macro_rules! deletion {
    (
        $request:ident -> $answer:ident, $async:ident, $what:literal, $not_found:ident,
        |$this:ident| $key:expr, $handler:ident
    ) => {
        impl Deletion for $request {
            type Answer = $answer;
            const ASYNC: AsyncOperations = AsyncOperations::$async;
            const WHAT: &'static str = $what;
            const NOT_FOUND: ErrorKind = ErrorKind::$not_found;

            fn key(&self) -> KeyRef<'_> {
                let $this = self;
                $key
            }

            fn plan_id(&self) -> &str {
                &self.plan_id
            }

            fn accepts_incomplete(&self) -> bool {
                self.accepts_incomplete
            }

            fn use_plan(&mut self, plan_id: &str, position: usize) {
                plan_id.clone_into(&mut self.plan_id);
                self.plan = PlanPosition::At(position);
            }

            fn call(self, broker: &dyn DynBroker) -> BoxFuture<'_, $answer> {
                broker.$handler(self)
            }

            fn split(answer: $answer) -> (Completion<()>, VendorFields) {
                (answer.completion, answer.vendor)
            }

            fn join(completion: Completion<()>, vendor: VendorFields) -> $answer {
                $answer { completion, vendor }
            }
        }
    };
}

deletion!(
    Deprovision -> Deprovisioned, DEPROVISION, "service instance", InstanceNotFound,
    |request| KeyRef::Instance(&request.instance_id), deprovision
);
deletion!(
    Unbind -> Unbound, UNBIND, "service binding", BindingNotFound,
    |request| KeyRef::Binding(&request.instance_id, &request.binding_id), unbind
);

/// Deletes what `request` names, which the request says is of `plan`.
pub(super) fn delete<D: Deletion>(
    lifecycle: Arc<Lifecycle>,
    mut plan: PlanRef,
    mut request: D,
) -> impl Future<Output = Result<D::Answer, Error>> + Send {
    async move {
        let state = &*lifecycle;
        // Owned: the request is handed to the broker.
        let key = request.key().to_owned();
        let at = KeyRef::from(&key);
        let what = || format!("the {}", D::WHAT);
        let mut races = Races::default();
        // Read, decide, claim; again when a concurrent request (an identical delete,
        // typically) changed the record between the read and the claim: what it left
        // decides the answer (202 with its operation, or busy).
        let (mut record, previous, operation_id, kind) = loop {
            let Some(mut record) = state.store.load(at).await? else {
                let id = at.binding_id().unwrap_or(at.instance_id());
                return Err(Error::new(D::NOT_FOUND).with_description(format!(
                    "{} {} does not exist",
                    D::WHAT,
                    quoted(id)
                )));
            };
            // The store knows better than the request which plan's handler deletes it and
            // whether that is asynchronous.
            if let Some((stored, entry)) =
                stored_plan(state.catalog(), record.plan_id(), request.plan_id())
            {
                entry.check_async(D::ASYNC, request.accepts_incomplete())?;
                request.use_plan(record.plan_id(), entry.position);
                plan = stored;
            }
            match record.state() {
                ResourceState::Ready | ResourceState::Failed => {}
                ResourceState::Deleting => {
                    return match record.operation_id() {
                        Some(operation) if request.accepts_incomplete() => Ok(D::join(
                            Completion::Accepted(Some(operation.to_owned())),
                            VendorFields::default(),
                        )),
                        _ => Err(busy(&what())),
                    };
                }
                // Bindings are never updated: only an instance is refused here for it.
                ResourceState::Creating | ResourceState::Updating => return Err(busy(&what())),
            }
            let kind = delete_kind(at);
            let previous = record.clone();
            let expected = record.version();
            let started_at = now_ms();
            let operation_id = state.operation_id(kind, started_at).to_string();
            let head = record.head();
            *head.version += 1;
            *head.state = ResourceState::Deleting;
            *head.operation = Some(OperationRecord::start(
                kind,
                Some(operation_id.clone()),
                true,
                started_at,
            ));
            if state.store.save(&record, expected).await? {
                break (record, previous, operation_id, kind);
            }
            if !races.lost() {
                return Err(lost_race(&what()));
            }
        };
        let accepts_incomplete = request.accepts_incomplete();
        let call = async {
            let (completion, vendor) = D::split(request.call(state.direct.broker_of(plan)).await?);
            Ok((finish_inline(completion, accepts_incomplete).await?, vendor))
        };
        let result = run(state, at, &operation_id, pin!(call)).await;
        let expected = record.version();
        let now = now_ms();
        let (completion, vendor) = match result {
            Err(err) if err.kind() == D::NOT_FOUND || err.kind() == ErrorKind::Gone => {
                // The broker no longer has it: the platform may forget it too.
                finish_delete(state, at, expected, now, false).await?;
                return Err(err);
            }
            Err(err) => {
                let mut restored = previous;
                *restored.head().version = expected + 1;
                state.store.save(&restored, expected).await?;
                return Err(err);
            }
            Ok(answer) => answer,
        };
        let (operation, runner, background) = match completion {
            Completion::Done(()) | Completion::Existing(()) => {
                if !finish_delete(state, at, expected, now, false).await? {
                    return Err(lost_race(&what()));
                }
                return Ok(D::join(Completion::Done(()), vendor));
            }
            Completion::Accepted(operation) => (operation, false, None),
            // The handler call's operation goes on in the background.
            Completion::Background(work) => (Some(operation_id), true, Some(work)),
        };
        let head = record.head();
        *head.version += 1;
        *head.operation = Some(OperationRecord::start(kind, operation.clone(), runner, now));
        if !state.store.save(&record, expected).await? {
            return Err(lost_race(&what()));
        }
        if let (Some(work), Some(id)) = (background, &operation) {
            spawn(&lifecycle, kind, key, id.clone(), work, |()| None);
        }
        Ok(D::join(Completion::Accepted(operation), vendor))
    }
}
