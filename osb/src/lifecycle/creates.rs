//! The rules provision and bind share («Provisioning», «Binding»): what a create does
//! about the resource already stored under its id, and how the new resource stands
//! once its broker answered. The two paths differ in what they claim and answer; the
//! rules are here once.

use crate::response::Background;
use crate::response::completion::Completion;
use crate::store::operation_id::OperationId;
use crate::store::{OperationKind, OperationRecord, ResourceState};

use super::steps::Step;

/// What a create does about the resource stored under its id.
pub(super) enum Found {
    /// Go on with this step (forget a failed one, wait for one being created).
    Step(Step),
    /// It exists with other attributes: 409.
    Conflict,
    /// It exists with the same attributes: 200 with what was answered first.
    Exists,
    /// It is being created by an identical request: 202 with the same operation.
    Accepted(String),
    /// It is being deleted: 422 `ConcurrencyError`.
    Busy,
}

/// What a create does about a resource stored in `state` at `version`, whose creating
/// request was identical (`same`) or not, whose last operation is `operation`, asked by
/// a client that can poll (`accepts_incomplete`) or not.
pub(super) fn found(
    state: ResourceState,
    version: i64,
    same: bool,
    operation: Option<String>,
    accepts_incomplete: bool,
) -> Found {
    match state {
        // A failed create may be retried, with any attributes: forget it and start again.
        ResourceState::Failed => Found::Step(Step::Forget(version)),
        _ if !same => Found::Conflict,
        ResourceState::Ready | ResourceState::Updating => Found::Exists,
        ResourceState::Creating => match operation {
            // A re-sent PUT gets 202 with the same operation.
            Some(operation) if accepts_incomplete => Found::Accepted(operation),
            // A client that cannot poll waits a little for the request creating it,
            // then gets its answer's twin.
            _ => Found::Step(Step::Wait),
        },
        ResourceState::Deleting => Found::Busy,
    }
}

/// How a new resource stands once its broker answered.
pub(super) struct Created<T> {
    /// Its state.
    pub(super) state: ResourceState,
    /// Its operation, as kept.
    pub(super) operation: OperationRecord,
    /// The answer's completion.
    pub(super) answer: Completion<T>,
    /// The work that goes on in the background, and its operation's id.
    pub(super) background: Option<(Background<T>, String)>,
}

/// How a resource created by an operation of `kind` stands once its broker answered
/// `completion` at `now`; `operation` is the id of the claim's operation, which work
/// the framework runs in the background keeps.
pub(super) fn created<T>(
    completion: Completion<T>,
    kind: OperationKind,
    operation: OperationId,
    now: i64,
) -> Created<T> {
    match completion {
        done @ (Completion::Done(_) | Completion::Existing(_)) => Created {
            state: ResourceState::Ready,
            operation: OperationRecord::finished(kind, now),
            answer: done,
            background: None,
        },
        Completion::Accepted(id) => Created {
            state: ResourceState::Creating,
            operation: OperationRecord::start(kind, id.clone(), false, now),
            answer: Completion::Accepted(id),
            background: None,
        },
        // The handler call's operation goes on in the background.
        Completion::Background(work) => {
            let id = operation.to_string();
            Created {
                state: ResourceState::Creating,
                operation: OperationRecord::start(kind, Some(id.clone()), true, now),
                answer: Completion::Accepted(Some(id.clone())),
                background: Some((work, id)),
            }
        }
    }
}
