//! The OSB API's own terms: its versions, its headers and its ten endpoints.

mod endpoint;
mod headers;
mod version;

pub use endpoint::Endpoint;
pub use headers::{API_VERSION_HEADER, ORIGINATING_IDENTITY_HEADER, REQUEST_IDENTITY_HEADER};
pub use version::{ApiVersion, MissingVersion, ParseApiVersionError};
