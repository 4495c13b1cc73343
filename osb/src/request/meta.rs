//! Facts about a request that every handler may want.

use crate::api::ApiVersion;
use crate::auth::Principal;

use super::http::HttpContext;
use super::identity::OriginatingIdentity;

/// Facts about a request that every handler may want, the same for all operations.
///
/// Equality compares the OSB facts and leaves [`http`](RequestMeta::http) out (its
/// extensions cannot be compared).
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// The version from `X-Broker-API-Version`.
    pub api_version: ApiVersion,
    /// The decoded `X-Broker-API-Originating-Identity`, if sent.
    pub originating_identity: Option<OriginatingIdentity>,
    /// `X-Broker-API-Request-Identity`, if sent (it is echoed on the response).
    pub request_identity: Option<String>,
    /// Who authenticated, unless authentication is off.
    pub principal: Option<Principal>,
    /// The HTTP request itself: headers, extensions (what middleware handed on), and
    /// whether the client went away.
    pub http: HttpContext,
}

impl PartialEq for RequestMeta {
    fn eq(&self, other: &Self) -> bool {
        self.api_version == other.api_version
            && self.originating_identity == other.originating_identity
            && self.request_identity == other.request_identity
            && self.principal == other.principal
    }
}

impl Default for RequestMeta {
    fn default() -> Self {
        Self {
            api_version: ApiVersion::LATEST,
            originating_identity: None,
            request_identity: None,
            principal: None,
            http: HttpContext::default(),
        }
    }
}
