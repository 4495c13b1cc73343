//! What a request carries besides its ids: parameters, platform context, the
//! originating identity, the version and principal, and what a broker is handed to
//! resume interrupted work.
//!
//! The nine requests themselves ([`Provision`](crate::Provision),
//! [`Bind`](crate::Bind), …) are at the crate root. The runtime builds them only after
//! it authenticated the caller, checked the API version, decoded the headers, checked
//! that the ids are non-empty and that the plan belongs to the service, and validated
//! `parameters` against the plan's schema.

/// `vendor_field` and `map_parameters` of a request type with a `body` and a
/// `try_map_parameters`.
macro_rules! vendor_fields {
    ($($ty:ident),*) => {$(
        impl<P> $ty<P> {
            /// A top-level field of the request body that the specification does not
            /// define (a vendor extension, «Vendor Extension Fields»), as `T`.
            pub fn vendor_field<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>, serde_json::Error> {
                self.body.field(name)
            }

            /// Replaces `parameters` by `f(parameters)`, keeping everything else.
            pub fn map_parameters<Q>(self, f: impl FnOnce(P) -> Q) -> $ty<Q> {
                match self.try_map_parameters(|p| Ok::<Q, std::convert::Infallible>(f(p))) {
                    Ok(request) => request,
                    Err(never) => match never {},
                }
            }
        }
    )*};
}

pub(crate) mod binding;
mod body;
mod context;
mod http;
mod identity;
pub(crate) mod instance;
mod interrupted;
pub(crate) mod json;
mod meta;
mod parameters;
pub(crate) mod position;

pub(crate) use body::RawBody;
pub use context::{BindResource, CloudFoundryContext, Context, KubernetesContext, PreviousValues};
pub use http::HttpContext;
pub use identity::{InvalidIdentity, OriginatingIdentity};
pub use interrupted::Interrupted;
pub use meta::RequestMeta;
pub use parameters::Parameters;
