//! Facts about a request that every handler may want.

use crate::api::ApiVersion;
use crate::auth::Principal;

use super::identity::OriginatingIdentity;

/// Facts about a request that every handler may want, the same for all operations.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestMeta {
    /// The version from `X-Broker-API-Version`.
    pub api_version: ApiVersion,
    /// The decoded `X-Broker-API-Originating-Identity`, if sent.
    pub originating_identity: Option<OriginatingIdentity>,
    /// `X-Broker-API-Request-Identity`, if sent (it is echoed on the response).
    pub request_identity: Option<String>,
    /// Who authenticated, unless authentication is off.
    pub principal: Option<Principal>,
}

impl Default for RequestMeta {
    fn default() -> Self {
        Self {
            api_version: ApiVersion::LATEST,
            originating_identity: None,
            request_identity: None,
            principal: None,
        }
    }
}
