//! HTTP basic authentication.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::{DecodeSliceError, Engine as _};
use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::error::{Error, ErrorKind};

use super::principal::Principal;
use super::secrets::Secrets;

/// Decoded Basic credentials up to this size (about 190 characters of
/// `user:password`) are decoded into a buffer on the stack.
pub(super) const DECODE_ON_STACK: usize = 256;

/// HTTP basic authentication against one or several username/password pairs
/// (one per platform, say), compared in constant time.
///
/// ```
/// let auth = osb::auth::BasicAuth::new("cf", "s3cret").credential("k8s", "0ther");
/// ```
#[derive(Clone)]
pub struct BasicAuth {
    credentials: Secrets,
}

impl BasicAuth {
    /// Accepts `username` with `password`. A username containing `:` can never match
    /// (RFC 7617 forbids it).
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            credentials: Secrets::default(),
        }
        .credential(username, password)
    }

    /// Also accepts `username` with `password`.
    #[must_use]
    pub fn credential(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        let username = username.into();
        let secret = format!("{username}:{}", password.into());
        self.credentials
            .add(Principal::new(username), secret.as_bytes());
        self
    }

    pub(super) fn check(&self, parts: &Parts) -> Result<Principal, Error> {
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
        self.credentials
            .find(decoded)
            .ok_or_else(|| unauthorized("The username or password is wrong."))
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users", &self.credentials.names())
            .finish()
    }
}
