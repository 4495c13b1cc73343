//! What an answer carries besides its status: instance and binding metadata,
//! volume mounts and network endpoints, timestamps, vendor extension fields, work
//! left to run in the background, and the state of an operation.
//!
//! The answers themselves ([`Provisioned`](crate::Provisioned), [`Bound`](crate::Bound),
//! …) are at the crate root: one type per operation, whose constructor decides the
//! status. They only allow what the specification allows: an `operation` only on a
//! `202 Accepted`, no credentials on an asynchronous bind, `instance_usable` and
//! `update_repeatable` only on a failed instance operation.

/// `vendor_field` and `vendor_fields` for a response type with a `vendor` field: the
/// names in `$reserved` are the specification's for that answer.
macro_rules! vendor_field_methods {
    ($reserved:expr, $what:literal) => {
        #[doc = concat!("A vendor extension field ([`VendorFields`](crate::response::VendorFields)) of ", $what, ".")]
        ///
        /// A name the specification defines for this answer is left out.
        #[must_use]
        pub fn vendor_field(
            mut self,
            name: impl Into<String>,
            value: impl Into<serde_json::Value>,
        ) -> Self {
            self.vendor.insert($reserved, name.into(), value.into());
            self
        }

        /// The vendor extension fields set so far.
        pub fn vendor_fields(&self) -> &crate::response::VendorFields {
            &self.vendor
        }
    };
}

/// The `202 Accepted` constructors and accessors of an answer built by
/// `Self::with(Completion<$done>)`; `$doing` names the work ("provisioning").
macro_rules! accepted_methods {
    ($done:ty, $doing:literal) => {
        #[doc = concat!("`202 Accepted`: ", $doing, " continues; the platform polls `last_operation` ")]
        /// with `operation` (at most 10,000 characters).
        pub fn accepted(operation: impl Into<String>) -> Self {
            Self::with(crate::response::completion::Completion::Accepted(Some(
                operation.into(),
            )))
        }

        /// `202 Accepted` without an operation id: only one operation per resource can
        /// then be told apart.
        pub fn accepted_without_operation() -> Self {
            Self::with(crate::response::completion::Completion::Accepted(None))
        }

        #[doc = concat!("`202 Accepted`, ", $doing, " as `work`, which the framework runs and polls: ")]
        /// `last_operation` reports `in progress` until it returns, then `succeeded` or
        /// `failed` with the error's description. Needs a state store
        /// ([`Builder::store`](crate::Builder::store)): without one the request answers
        /// 500 with a description that says so, and the reason is logged (to standard
        /// error when no `tracing` subscriber is installed).
        pub fn in_background(
            work: impl std::future::Future<Output = Result<$done, crate::error::Error>>
            + Send
            + 'static,
        ) -> Self {
            Self::with(crate::response::completion::Completion::Background(
                crate::response::Background::new(work),
            ))
        }

        /// Whether this is a `202 Accepted`.
        pub fn is_accepted(&self) -> bool {
            self.completion.is_accepted()
        }

        /// The operation id of a `202 Accepted`.
        pub fn operation(&self) -> Option<&str> {
            self.completion.operation()
        }
    };
}

/// `with`, `dashboard_url`, `metadata`, `parameters_in_force` and the vendor fields
/// of the two answers that change an instance.
macro_rules! instance_answer_methods {
    ($dashboard_doc:literal) => {
        fn with(completion: crate::response::completion::Completion<()>) -> Self {
            Self {
                completion,
                dashboard_url: None,
                metadata: None,
                parameters_in_force: None,
                vendor: crate::response::VendorFields::default(),
            }
        }

        #[doc = $dashboard_doc]
        #[must_use]
        pub fn dashboard_url(mut self, url: impl Into<String>) -> Self {
            self.dashboard_url = Some(url.into());
            self
        }

        /// Instance metadata (labels and attributes).
        #[must_use]
        pub fn metadata(mut self, metadata: crate::response::InstanceMetadata) -> Self {
            self.metadata = Some(metadata);
            self
        }

        /// The parameters in force as fetching the instance reports them (with defaults
        /// applied, say). Not part of the response: with a state store, they are stored
        /// in place of the request's parameters. A value that does not serialize is
        /// ignored.
        #[must_use]
        pub fn parameters_in_force(mut self, parameters: &impl serde::Serialize) -> Self {
            self.parameters_in_force = crate::raw_json::to_raw_value(parameters).ok();
            self
        }

        vendor_field_methods!(
            crate::response::fields::INSTANCE_ANSWER_FIELDS,
            "a provision or update answer"
        );
    };
}

/// `with` and the vendor fields of the two answers that delete a resource.
macro_rules! deleted_answer_methods {
    () => {
        pub(crate) fn with(completion: crate::response::completion::Completion<()>) -> Self {
            Self {
                completion,
                vendor: crate::response::VendorFields::default(),
            }
        }

        vendor_field_methods!(
            crate::response::fields::DELETE_ANSWER_FIELDS,
            "a deprovision or unbind answer"
        );
    };
}

pub(crate) mod binding;
pub(crate) mod completion;
pub(crate) mod fields;
pub(crate) mod instance;
pub(crate) mod json;
pub(crate) mod operation;
mod time;
mod vendor;

pub use binding::{
    BindingMetadata, DeviceType, NetworkEndpoint, Protocol, SharedDevice, VolumeMode, VolumeMount,
};
pub use completion::Background;
pub use instance::InstanceMetadata;
pub use operation::{OperationState, Resumed};
pub use time::{ParseTimestampError, Timestamp};
pub use vendor::VendorFields;
