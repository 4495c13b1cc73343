//! Bearer-token authentication.

use std::fmt;

use async_trait::async_trait;
use http::HeaderValue;
use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::error::{Error, ErrorKind};

use super::Authenticator;
use super::principal::Principal;
use super::secrets::Secrets;

/// Bearer-token authentication (`Authorization: Bearer <token>`) against a set of
/// static tokens, each naming its principal; compared in constant time.
///
/// ```
/// let auth = osb::auth::BearerAuth::new().token("eyJhbGciOi…", "cf-prod");
/// let router_auth: osb::auth::Auth = auth.into();
/// ```
#[derive(Clone, Default)]
pub struct BearerAuth {
    tokens: Secrets,
}

impl BearerAuth {
    /// No token yet: add them with [`BearerAuth::token`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `token`, authenticating the caller as `principal`.
    #[must_use]
    pub fn token(mut self, token: impl AsRef<[u8]>, principal: impl Into<String>) -> Self {
        self.tokens
            .add(Principal::new(principal.into()), token.as_ref());
        self
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("principals", &self.tokens.names())
            .finish()
    }
}

#[async_trait]
impl Authenticator for BearerAuth {
    async fn authenticate(&self, request: &Parts) -> Result<Option<Principal>, Error> {
        let unauthorized = |description: &'static str| {
            Error::new(ErrorKind::Unauthorized).with_description(description)
        };
        let header = request
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| unauthorized("Authentication is required: send a bearer token."))?;
        let token = header
            .as_bytes()
            .strip_prefix(b"Bearer ")
            .ok_or_else(|| unauthorized("The Authorization header must use the Bearer scheme."))?;
        self.tokens
            .find(token.trim_ascii())
            .map(Some)
            .ok_or_else(|| unauthorized("The bearer token is not valid."))
    }

    fn challenge(&self) -> Option<HeaderValue> {
        Some(HeaderValue::from_static(
            "Bearer realm=\"Open Service Broker API\"",
        ))
    }
}
