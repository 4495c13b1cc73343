//! Platform-to-broker authentication («Platform to Service Broker Authentication»).
//!
//! The runtime authenticates every request before it looks at anything else (version
//! header, path, body), and answers a failure with `401 Unauthorized`, a
//! `WWW-Authenticate` challenge and an OSB error body.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::{DecodeSliceError, Engine as _};
use http::HeaderValue;
use http::header::AUTHORIZATION;
use http::request::Parts;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{Error, ErrorKind, Principal};

/// Decoded Basic credentials up to this size (about 190 characters of
/// `user:password`) are decoded into a buffer on the stack.
const DECODE_ON_STACK: usize = 256;

/// A custom way to authenticate the platform, in place of basic auth.
///
/// Return `Ok(Some(principal))` for an authenticated caller, `Ok(None)` to let the
/// request through anonymously, or an error: [`ErrorKind::Unauthorized`] answers 401
/// with [`Authenticator::challenge`]; any other kind answers as that kind does
/// (an [`Error::internal`] when a token service is down is a 500).
///
/// ```
/// use osb::auth::{Authenticator, async_trait};
/// use osb::{Error, ErrorKind, Principal};
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

pub use async_trait::async_trait;

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

    /// HTTP basic authentication with one username and password.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        BasicAuth::new(username, password).into()
    }

    /// A custom authenticator.
    pub fn custom(authenticator: impl Authenticator) -> Self {
        Self(AuthImpl::Custom(Box::new(authenticator)))
    }

    /// Whether requests are authenticated at all.
    pub fn is_enabled(&self) -> bool {
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
            AuthImpl::Basic(_) => "Auth::basic(..)",
            AuthImpl::Custom(_) => "Auth::custom(..)",
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
        Self::custom(authenticator)
    }
}

type Digest32 = [u8; 32];

fn digest(bytes: &[u8]) -> Digest32 {
    Sha256::digest(bytes).into()
}

/// Whether `candidate` equals one of `known`, in time that depends on neither the
/// secrets nor which one matched: every entry is compared, over fixed-size digests.
fn find_constant_time<T>(known: &[(T, Digest32)], candidate: &Digest32) -> Option<usize> {
    let mut found = None;
    for (index, (_, secret)) in known.iter().enumerate() {
        if bool::from(secret.ct_eq(candidate)) {
            found = Some(index);
        }
    }
    found
}

/// HTTP basic authentication against one or several username/password pairs
/// (one per platform, say), compared in constant time.
///
/// ```
/// let auth = osb::BasicAuth::new("cf", "s3cret").credential("k8s", "0ther");
/// ```
#[derive(Clone)]
pub struct BasicAuth {
    credentials: Vec<(Principal, Digest32)>,
}

impl BasicAuth {
    /// Accepts `username` with `password`. A username containing `:` can never match
    /// (RFC 7617 forbids it).
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            credentials: Vec::new(),
        }
        .credential(username, password)
    }

    /// Also accepts `username` with `password`.
    #[must_use]
    pub fn credential(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        let username = username.into();
        let secret = digest(format!("{username}:{}", password.into()).as_bytes());
        self.credentials.push((Principal::new(username), secret));
        self
    }

    fn check(&self, parts: &Parts) -> Result<Principal, Error> {
        let unauthorized = |description: &'static str| {
            Error::new(ErrorKind::Unauthorized).with_description(description)
        };
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            unauthorized("Authentication is required: send HTTP basic credentials.")
        })?;
        let encoded = header
            .as_bytes()
            .strip_prefix(b"Basic ")
            .or_else(|| header.as_bytes().strip_prefix(b"basic "))
            .ok_or_else(|| unauthorized("The Authorization header must use the Basic scheme."))?;
        let invalid = || unauthorized("The Authorization header is not valid Base64.");
        let encoded = encoded.trim_ascii();
        // Decoded on the stack when it fits, as credentials nearly always do: the
        // allocating `decode` asks for zeroed memory, which glibc serves past its
        // per-thread cache, on every request.
        let mut buffer = [0u8; DECODE_ON_STACK];
        let heap;
        let decoded: &[u8] = match STANDARD.decode_slice(encoded, &mut buffer) {
            Ok(len) => buffer.get(..len).ok_or_else(invalid)?,
            Err(DecodeSliceError::OutputSliceTooSmall) => {
                heap = STANDARD.decode(encoded).map_err(|_| invalid())?;
                &heap
            }
            Err(DecodeSliceError::DecodeError(_)) => return Err(invalid()),
        };
        find_constant_time(&self.credentials, &digest(decoded))
            .and_then(|index| self.credentials.get(index))
            .map(|(principal, _)| principal.clone())
            .ok_or_else(|| unauthorized("The username or password is wrong."))
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<&str> = self.credentials.iter().map(|(p, _)| p.name()).collect();
        f.debug_struct("BasicAuth").field("users", &users).finish()
    }
}

/// Bearer-token authentication (`Authorization: Bearer <token>`) against a set of
/// static tokens, each naming its principal; compared in constant time.
///
/// ```
/// let auth = osb::BearerAuth::new().token("eyJhbGciOi…", "cf-prod");
/// let router_auth: osb::Auth = auth.into();
/// ```
#[derive(Clone, Default)]
pub struct BearerAuth {
    tokens: Vec<(Principal, Digest32)>,
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
            .push((Principal::new(principal.into()), digest(token.as_ref())));
        self
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.tokens.iter().map(|(p, _)| p.name()).collect();
        f.debug_struct("BearerAuth")
            .field("principals", &names)
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
        find_constant_time(&self.tokens, &digest(token.trim_ascii()))
            .and_then(|index| self.tokens.get(index))
            .map(|(principal, _)| Some(principal.clone()))
            .ok_or_else(|| unauthorized("The bearer token is not valid."))
    }

    fn challenge(&self) -> Option<HeaderValue> {
        Some(HeaderValue::from_static(
            "Bearer realm=\"Open Service Broker API\"",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
