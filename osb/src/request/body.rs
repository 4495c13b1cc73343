//! The raw body a request keeps, for reading vendor extension fields.

use std::fmt;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::binding::Bind;
use super::instance::{Provision, Update};
use super::json::field;

/// Raw request body, kept for reading vendor extension fields.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct RawBody(pub(crate) Bytes);

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", self.0.len())
    }
}

impl RawBody {
    fn field<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, serde_json::Error> {
        if self.0.is_empty() {
            return Ok(None);
        }
        field(&self.0, name)
    }
}

macro_rules! vendor_fields {
    ($($ty:ident),*) => {$(
        impl<P> $ty<P> {
            /// A top-level field of the request body that the specification does not
            /// define (a vendor extension, «Vendor Extension Fields»), as `T`.
            pub fn vendor_field<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, serde_json::Error> {
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
vendor_fields!(Provision, Update, Bind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_fields_are_reachable() {
        let mut req = Provision::new("i", "s", "p");
        req.body = RawBody(Bytes::from_static(
            br#"{"service_id":"s","x-acme-tier":"gold"}"#,
        ));
        assert_eq!(
            req.vendor_field::<String>("x-acme-tier")
                .unwrap()
                .as_deref(),
            Some("gold")
        );
        assert_eq!(req.vendor_field::<String>("x-none").unwrap(), None);
    }
}
