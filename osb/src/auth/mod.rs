//! Platform-to-broker authentication («Platform to Service Broker Authentication»).
//!
//! The runtime authenticates every request before it looks at anything else (version
//! header, path, body), and answers a failure with `401 Unauthorized`, a
//! `WWW-Authenticate` challenge and an OSB error body.
//!
//! With the feature `tls`, a broker served over HTTPS can also authenticate the
//! platform by its client certificate: `ClientCertAuth`.

mod basic;
mod bearer;
#[cfg(feature = "tls")]
mod client_cert;
mod principal;
mod secrets;

use std::fmt;

use async_trait::async_trait;
use http::HeaderValue;
use http::request::Parts;

use crate::error::Error;

pub use basic::BasicAuth;
pub use bearer::BearerAuth;
#[cfg(feature = "tls")]
pub use client_cert::{ClientCertAuth, ClientCertificate};
pub use principal::Principal;

/// A custom way to authenticate the platform, in place of basic auth.
///
/// Return `Ok(Some(principal))` for an authenticated caller, `Ok(None)` to let the
/// request through anonymously, or an error: [`ErrorKind::Unauthorized`](crate::ErrorKind::Unauthorized)
/// answers 401 with [`Authenticator::challenge`]; any other kind answers as that kind
/// does (an [`Error::internal`](crate::Error::internal) when a token service is down is a 500).
///
/// ```
/// use osb::auth::{Authenticator, Principal};
/// use osb::{Error, ErrorKind, async_trait};
///
/// struct ApiKey(String);
///
/// #[async_trait]
/// impl Authenticator for ApiKey {
///     async fn authenticate(&self, request: &http::request::Parts) -> Result<Option<Principal>, Error> {
///         match request.headers.get("x-api-key") {
///             Some(key) if key.as_bytes() == self.0.as_bytes() => Ok(Some(Principal::new("platform"))),
///             _ => Err(Error::new(ErrorKind::Unauthorized).with_description("a valid X-Api-Key is required")),
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Decides who sent `request` (method, URI, headers; the body is not read yet).
    async fn authenticate(&self, request: &Parts) -> Result<Option<Principal>, Error>;

    /// The `WWW-Authenticate` value of a 401, if any.
    fn challenge(&self) -> Option<HeaderValue> {
        None
    }
}

/// How a router authenticates requests: build one from [`BasicAuth`], [`BearerAuth`],
/// any [`Authenticator`], or [`Auth::none`].
pub struct Auth(pub(crate) AuthImpl);

pub(crate) enum AuthImpl {
    None,
    Basic(BasicAuth),
    Custom(Box<dyn Authenticator>),
}

impl Auth {
    /// No authentication at all: anyone reaching the port can provision. The router
    /// logs a warning when it is built.
    pub fn none() -> Self {
        Self(AuthImpl::None)
    }

    /// Whether requests are authenticated at all.
    pub(crate) fn is_enabled(&self) -> bool {
        !matches!(self.0, AuthImpl::None)
    }

    pub(crate) async fn authenticate(&self, parts: &Parts) -> Result<Option<Principal>, Error> {
        match &self.0 {
            AuthImpl::None => Ok(None),
            AuthImpl::Basic(basic) => basic.check(parts).map(Some),
            AuthImpl::Custom(custom) => custom.authenticate(parts).await,
        }
    }

    pub(crate) fn challenge(&self) -> Option<HeaderValue> {
        match &self.0 {
            AuthImpl::None => None,
            AuthImpl::Basic(_) => Some(HeaderValue::from_static(
                "Basic realm=\"Open Service Broker API\", charset=\"UTF-8\"",
            )),
            AuthImpl::Custom(custom) => custom.challenge(),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            AuthImpl::None => "Auth::none()",
            AuthImpl::Basic(_) => "Auth(BasicAuth)",
            AuthImpl::Custom(_) => "Auth(custom)",
        })
    }
}

impl From<BasicAuth> for Auth {
    fn from(basic: BasicAuth) -> Self {
        Self(AuthImpl::Basic(basic))
    }
}

impl<A: Authenticator> From<A> for Auth {
    fn from(authenticator: A) -> Self {
        Self(AuthImpl::Custom(Box::new(authenticator)))
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use http::header::AUTHORIZATION;

    use super::basic::DECODE_ON_STACK;
    use super::*;
    use crate::error::ErrorKind;

    fn parts(authorization: Option<&str>) -> Parts {
        let mut builder = http::Request::builder();
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn basic(user: &str, pass: &str) -> String {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        format!("Basic {encoded}")
    }

    #[tokio::test]
    async fn basic_accepts_any_configured_pair() {
        let auth = Auth::from(BasicAuth::new("cf", "one").credential("k8s", "two"));
        let who = auth
            .authenticate(&parts(Some(&basic("k8s", "two"))))
            .await
            .unwrap();
        assert_eq!(who.unwrap().name(), "k8s");
        let who = auth
            .authenticate(&parts(Some(&basic("cf", "one"))))
            .await
            .unwrap();
        assert_eq!(who.unwrap().name(), "cf");
    }

    #[tokio::test]
    async fn basic_rejects_everything_else() {
        let auth = Auth::from(BasicAuth::new("cf", "one"));
        for header in [
            None,
            Some(basic("cf", "two")),
            Some(basic("k8s", "one")),
            Some(basic("cf", "one ")),
            Some("Bearer abc".to_owned()),
            Some("Basic !!!".to_owned()),
        ] {
            let err = auth
                .authenticate(&parts(header.as_deref()))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unauthorized, "{header:?}");
        }
    }

    #[tokio::test]
    async fn basic_decodes_credentials_of_any_length() {
        // Credentials longer than the stack buffer take the allocating path; both
        // paths must tell the same pairs apart.
        let long = "p".repeat(DECODE_ON_STACK * 2);
        let auth = Auth::from(BasicAuth::new("cf", long.clone()).credential("k8s", "short"));
        let who = auth
            .authenticate(&parts(Some(&basic("cf", &long))))
            .await
            .unwrap();
        assert_eq!(who.unwrap().name(), "cf");
        let who = auth
            .authenticate(&parts(Some(&basic("k8s", "short"))))
            .await
            .unwrap();
        assert_eq!(who.unwrap().name(), "k8s");
        let wrong = format!("{long}q");
        for header in [
            basic("cf", &wrong),
            format!("Basic {}!", "QUFB".repeat(DECODE_ON_STACK)),
        ] {
            let err = auth.authenticate(&parts(Some(&header))).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unauthorized);
        }
        let err = auth
            .authenticate(&parts(Some("Basic !!!")))
            .await
            .unwrap_err();
        assert_eq!(
            err.description(),
            "The Authorization header is not valid Base64."
        );
    }

    #[tokio::test]
    async fn bearer_names_the_principal() {
        let auth = Auth::from(BearerAuth::new().token("t-1", "prod").token("t-2", "dev"));
        let who = auth.authenticate(&parts(Some("Bearer t-2"))).await.unwrap();
        assert_eq!(who.unwrap().name(), "dev");
        assert!(auth.authenticate(&parts(Some("Bearer t-3"))).await.is_err());
        assert!(
            auth.authenticate(&parts(Some(&basic("t", "1"))))
                .await
                .is_err()
        );
        assert_eq!(
            auth.challenge().unwrap(),
            "Bearer realm=\"Open Service Broker API\""
        );
    }

    #[tokio::test]
    async fn none_lets_everyone_in() {
        assert_eq!(Auth::none().authenticate(&parts(None)).await.unwrap(), None);
    }
}
