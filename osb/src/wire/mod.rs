//! The bodies of the OSB API, as both sides write and read them.
//!
//! One model for both ends of the wire: the router parses requests into these types
//! and writes its answers through them, and [`crate::client`] (feature `client`) sends
//! and reads the very same types. Answers borrow what the server already holds
//! (`Cow::Borrowed`) and own what a client read (`'static`).
//!
//! The catalog is [`crate::catalog::Catalog`]; the objects inside bodies
//! ([`Context`](crate::request::Context), [`MaintenanceInfo`](crate::catalog::MaintenanceInfo),
//! [`InstanceMetadata`](crate::response::InstanceMetadata), [`BindingMetadata`](crate::response::BindingMetadata),
//! …) are the types the handlers see.
//!
//! ```
//! use osb::wire::{ErrorBody, ProvisionRequest};
//! use serde_json::json;
//!
//! let request = ProvisionRequest::new("svc-id", "plan-id")
//!     .organization("org-guid", "space-guid")
//!     .parameters(&json!({"size_mb": 64}));
//! assert_eq!(
//!     serde_json::to_value(&request).unwrap(),
//!     json!({
//!         "service_id": "svc-id",
//!         "plan_id": "plan-id",
//!         "organization_guid": "org-guid",
//!         "space_guid": "space-guid",
//!         "parameters": {"size_mb": 64}
//!     }),
//! );
//! let error: ErrorBody<'static> =
//!     serde_json::from_str(r#"{"error": "AsyncRequired", "description": "use async"}"#).unwrap();
//! assert_eq!(error.error.as_deref(), Some("AsyncRequired"));
//! ```

mod answers;
#[cfg(any(feature = "client", feature = "testing"))]
pub(crate) mod paths;
mod requests;
#[cfg(test)]
mod round_trip;
mod written;

pub use answers::{
    BindingBody, ErrorBody, InstanceBody, InstanceDetailsBody, LastOperationBody, OperationBody,
};
pub use requests::{BindRequest, ProvisionRequest, UpdateRequest};
pub(crate) use written::FetchedBinding;
