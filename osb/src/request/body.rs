//! The raw body a request keeps, for reading vendor extension fields.

use std::fmt;

use bytes::Bytes;
use serde::de::DeserializeOwned;

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
    /// The top-level field `name`, as `T`.
    pub(crate) fn field<T: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, serde_json::Error> {
        if self.0.is_empty() {
            return Ok(None);
        }
        field(&self.0, name)
    }
}
