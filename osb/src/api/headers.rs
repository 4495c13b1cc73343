//! The headers the specification defines.

use http::header::HeaderName;

/// `X-Broker-API-Version` («API Version Header»).
pub const API_VERSION_HEADER: HeaderName = HeaderName::from_static("x-broker-api-version");
/// `X-Broker-API-Originating-Identity` («Originating Identity»).
pub const ORIGINATING_IDENTITY_HEADER: HeaderName =
    HeaderName::from_static("x-broker-api-originating-identity");
/// `X-Broker-API-Request-Identity` («Request Identity»), echoed on every response.
pub const REQUEST_IDENTITY_HEADER: HeaderName =
    HeaderName::from_static("x-broker-api-request-identity");
