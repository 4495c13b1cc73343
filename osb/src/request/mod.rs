//! What a request carries besides its ids: parameters, platform context, the
//! originating identity, the version and principal, and what a broker is handed to
//! resume interrupted work.
//!
//! The nine requests themselves ([`Provision`](crate::Provision),
//! [`Bind`](crate::Bind), …) are at the crate root. The runtime builds them only after
//! it authenticated the caller, checked the API version, decoded the headers, checked
//! that the ids are non-empty and that the plan belongs to the service, and validated
//! `parameters` against the plan's schema.

pub(crate) mod binding;
mod body;
mod context;
mod identity;
pub(crate) mod instance;
mod interrupted;
pub(crate) mod json;
mod meta;
mod parameters;
pub(crate) mod position;

pub(crate) use body::RawBody;
pub use context::{BindResource, CloudFoundryContext, Context, KubernetesContext, PreviousValues};
pub use identity::{InvalidIdentity, OriginatingIdentity};
pub use interrupted::Interrupted;
pub use meta::RequestMeta;
pub use parameters::Parameters;
