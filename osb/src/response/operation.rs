//! The state of an operation, the answers to polling it, and how resumed work ended.

use std::time::Duration;

use serde::Serialize;

use super::fields::{BINDING_OPERATION_STATUS_FIELDS, OPERATION_STATUS_FIELDS};
use super::vendor::VendorFields;

/// The methods both answers to a poll have.
macro_rules! report_methods {
    () => {
        /// `in progress`.
        pub fn in_progress() -> Self {
            Self::new(OperationState::InProgress)
        }

        /// `succeeded`.
        pub fn succeeded() -> Self {
            Self::new(OperationState::Succeeded)
        }

        /// `failed`.
        pub fn failed() -> Self {
            Self::new(OperationState::Failed)
        }

        /// A user-facing message about the operation (an empty text sends none).
        #[must_use]
        pub fn description(mut self, description: impl Into<String>) -> Self {
            let description = description.into();
            self.description = (!description.is_empty()).then_some(description);
            self
        }

        /// Sends `Retry-After` (whole seconds, at least 1): when the platform should
        /// poll again.
        #[must_use]
        pub fn retry_after(mut self, delay: Duration) -> Self {
            self.retry_after = Some(delay);
            self
        }

        /// The state.
        pub fn state(&self) -> OperationState {
            self.state
        }
    };
}

/// What both answers to a poll are, for the code that makes or reads either.
pub(crate) trait Report: Sized {
    /// An answer with `state`.
    fn with_state(state: OperationState) -> Self;
    /// With a description.
    fn described(self, description: String) -> Self;
    /// With `Retry-After`.
    fn retried_after(self, delay: Duration) -> Self;
    /// The state.
    fn report_state(&self) -> OperationState;
    /// The description, if any.
    fn report_description(&self) -> Option<&str>;
}

/// [`Report`] for both answers, through their own methods.
macro_rules! report_trait {
    ($($ty:ident),*) => {$(
        impl Report for $ty {
            fn with_state(state: OperationState) -> Self {
                Self::new(state)
            }

            fn described(self, description: String) -> Self {
                self.description(description)
            }

            fn retried_after(self, delay: Duration) -> Self {
                self.retry_after(delay)
            }

            fn report_state(&self) -> OperationState {
                self.state
            }

            fn report_description(&self) -> Option<&str> {
                self.description.as_deref()
            }
        }
    )*};
}

report_trait!(OperationReport, BindingOperationReport);

/// The `state` of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum OperationState {
    /// `in progress`: the platform keeps polling.
    #[serde(rename = "in progress")]
    InProgress,
    /// `succeeded`: the platform stops polling.
    #[serde(rename = "succeeded")]
    Succeeded,
    /// `failed`: the platform stops polling and may clean up.
    #[serde(rename = "failed")]
    Failed,
}

/// The answer to polling an instance operation (`200 OK`).
///
/// ```
/// use osb::OperationReport;
/// use std::time::Duration;
/// let status = OperationReport::in_progress()
///     .description("Creating database (40%)")
///     .retry_after(Duration::from_secs(5));
/// let failed = OperationReport::failed().description("quota exceeded").instance_usable(true);
/// ```
#[derive(Debug, Clone)]
pub struct OperationReport {
    pub(crate) state: OperationState,
    pub(crate) description: Option<String>,
    pub(crate) instance_usable: Option<bool>,
    pub(crate) update_repeatable: Option<bool>,
    pub(crate) vendor: VendorFields,
    pub(crate) retry_after: Option<Duration>,
}

impl OperationReport {
    /// An answer with `state`.
    pub fn new(state: OperationState) -> Self {
        Self {
            state,
            description: None,
            instance_usable: None,
            update_repeatable: None,
            vendor: VendorFields::default(),
            retry_after: None,
        }
    }

    report_methods!();

    /// For a failed update or deprovision: whether the instance is still usable.
    /// Ignored unless the state is `failed`.
    #[must_use]
    pub fn instance_usable(mut self, usable: bool) -> Self {
        self.instance_usable = (self.state == OperationState::Failed).then_some(usable);
        self
    }

    /// For a failed update: whether it may be repeated. Ignored unless the state is `failed`.
    #[must_use]
    pub fn update_repeatable(mut self, repeatable: bool) -> Self {
        self.update_repeatable = (self.state == OperationState::Failed).then_some(repeatable);
        self
    }

    vendor_field_methods!(OPERATION_STATUS_FIELDS, "an instance operation status");
}

/// The answer to polling a binding operation (`200 OK`).
#[derive(Debug, Clone)]
pub struct BindingOperationReport {
    pub(crate) state: OperationState,
    pub(crate) description: Option<String>,
    pub(crate) vendor: VendorFields,
    pub(crate) retry_after: Option<Duration>,
}

impl BindingOperationReport {
    /// An answer with `state`.
    pub fn new(state: OperationState) -> Self {
        Self {
            state,
            description: None,
            vendor: VendorFields::default(),
            retry_after: None,
        }
    }

    report_methods!();

    vendor_field_methods!(
        BINDING_OPERATION_STATUS_FIELDS,
        "a binding operation status"
    );
}

/// How resumed work ended well.
#[derive(Debug)]
#[non_exhaustive]
pub enum Resumed {
    /// The provision, update, deprovision or unbind is done.
    Completed,
    /// The bind is done; this is the binding (its credentials are stored and served
    /// by fetch).
    Bound(crate::response::binding::Binding),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// «Polling Last Operation»: `description`, if present, MUST be non-empty.
    #[test]
    fn empty_descriptions_are_left_out() {
        let status = OperationReport::new(OperationState::Failed).description("");
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!({ "state": "failed" })
        );
        let status = BindingOperationReport::new(OperationState::Failed).description("");
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!({ "state": "failed" })
        );
    }
}
