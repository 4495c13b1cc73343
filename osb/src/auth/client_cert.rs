//! Client-certificate (mutual TLS) authentication.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use http::request::Parts;
use sha2::{Digest as _, Sha256};
use x509_cert::Certificate;
use x509_cert::der::Decode as _;

use crate::error::{Error, ErrorKind};

use super::Authenticator;
use super::principal::Principal;

/// The certificate a client presented and the server verified, in the extensions of
/// every request of that connection.
///
/// [`osb::server`](crate::server) puts it there when it serves HTTPS with a client
/// certificate authority ([`Tls::client_ca_file`](crate::server::Tls::client_ca_file));
/// [`ClientCertAuth`] reads it, and so can a handler through axum's `Extension` or an
/// [`Authenticator`] of your own:
///
/// ```
/// # fn demo(request: &http::request::Parts) {
/// if let Some(certificate) = request.extensions.get::<osb::auth::ClientCertificate>() {
///     println!("{} ({})", certificate.subject(), certificate.fingerprint());
/// }
/// # }
/// ```
///
/// Cloning it clones a pointer: the certificate is read once per connection.
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
#[derive(Clone)]
pub struct ClientCertificate(Arc<Parsed>);

struct Parsed {
    der: Box<[u8]>,
    fingerprint: String,
    subject: String,
    common_name: Option<String>,
}

impl ClientCertificate {
    /// Reads the DER encoding of an X.509 certificate; `None` if `der` is not one.
    ///
    /// For a server of your own that verified the client's certificate and puts it
    /// into each request's extensions for [`ClientCertAuth`].
    pub fn from_der(der: impl Into<Box<[u8]>>) -> Option<Self> {
        let der = der.into();
        let certificate = Certificate::from_der(&der).ok()?;
        let subject = certificate.tbs_certificate().subject();
        let common_name = subject
            .common_name()
            .ok()
            .flatten()
            .map(|name| name.value().into_owned());
        let subject = subject.to_string();
        let fingerprint = hex(&Sha256::digest(&der));
        Some(Self(Arc::new(Parsed {
            der,
            fingerprint,
            subject,
            common_name,
        })))
    }

    /// The certificate, DER-encoded.
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }

    /// The SHA-256 digest of [`der`](Self::der), in lowercase hexadecimal without
    /// separators (64 characters): what `openssl x509 -noout -fingerprint -sha256`
    /// prints, without its colons.
    pub fn fingerprint(&self) -> &str {
        &self.0.fingerprint
    }

    /// The subject, as an RFC 4514 string, such as `CN=cf-prod,O=Example`.
    pub fn subject(&self) -> &str {
        &self.0.subject
    }

    /// The subject's common name (its first `CN`), if it has one.
    pub fn common_name(&self) -> Option<&str> {
        self.0.common_name.as_deref()
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.subject())
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

/// Authenticates the platform by the certificate it presented over mutual TLS: a
/// subject or a SHA-256 fingerprint out of those allowed.
///
/// The certificate was verified during the TLS handshake against the certificate
/// authorities of [`Tls::client_ca_file`](crate::server::Tls::client_ca_file); this
/// decides which of the certificates they issued may call the broker. The principal is
/// named after the certificate's common name (or, without one, its fingerprint). A
/// request without a certificate, or with one not allowed, is answered 401. With no
/// subject and no fingerprint, no certificate is allowed; to let in every certificate
/// the authorities issued, serve with [`Auth::none`](crate::auth::Auth::none) instead.
///
/// ```
/// let auth = osb::auth::ClientCertAuth::new()
///     .subject("cf-prod") // the common name, or the whole subject: "CN=cf-prod,O=Example"
///     .fingerprint("9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08");
/// let router_auth: osb::auth::Auth = auth.into();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
#[derive(Clone, Default)]
pub struct ClientCertAuth {
    subjects: Vec<String>,
    fingerprints: Vec<String>,
}

impl ClientCertAuth {
    /// Allows no certificate yet: add them with [`subject`](Self::subject) and
    /// [`fingerprint`](Self::fingerprint).
    pub fn new() -> Self {
        Self::default()
    }

    /// Also allows the certificates whose common name, or whole subject as an RFC 4514
    /// string ([`ClientCertificate::subject`]), is `subject`; compared exactly.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subjects.push(subject.into());
        self
    }

    /// Also allows the certificate whose SHA-256 fingerprint is `fingerprint`, in
    /// hexadecimal, in either case, with or without `:` between the bytes. A value that
    /// is not 64 hexadecimal digits matches no certificate (and is logged as a warning).
    #[must_use]
    pub fn fingerprint(mut self, fingerprint: impl AsRef<str>) -> Self {
        let fingerprint = fingerprint.as_ref();
        let normalized = normalize_fingerprint(fingerprint);
        if normalized.is_none() {
            tracing::warn!(
                fingerprint,
                "not a SHA-256 fingerprint (64 hexadecimal digits): it allows no certificate"
            );
        }
        self.fingerprints.extend(normalized);
        self
    }

    fn allows(&self, certificate: &ClientCertificate) -> bool {
        self.fingerprints
            .iter()
            .any(|allowed| allowed == certificate.fingerprint())
            || self.subjects.iter().any(|allowed| {
                certificate.common_name() == Some(allowed.as_str())
                    || certificate.subject() == allowed
            })
    }
}

impl fmt::Debug for ClientCertAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertAuth")
            .field("subjects", &self.subjects)
            .field("fingerprints", &self.fingerprints)
            .finish()
    }
}

#[async_trait]
impl Authenticator for ClientCertAuth {
    async fn authenticate(&self, request: &Parts) -> Result<Option<Principal>, Error> {
        let certificate = request
            .extensions
            .get::<ClientCertificate>()
            .ok_or_else(|| {
                Error::new(ErrorKind::Unauthorized).with_description(
                    "A client certificate is required: connect over TLS with one.",
                )
            })?;
        if !self.allows(certificate) {
            return Err(
                Error::new(ErrorKind::Unauthorized).with_description(format!(
                    "The client certificate {} (SHA-256 {}) is not allowed.",
                    certificate.subject(),
                    certificate.fingerprint()
                )),
            );
        }
        let name = certificate
            .common_name()
            .unwrap_or_else(|| certificate.fingerprint());
        Ok(Some(Principal::new(name)))
    }
}

/// `fingerprint` as 64 lowercase hexadecimal digits, `:` separators and surrounding
/// blanks dropped; `None` if it is not a SHA-256 fingerprint.
fn normalize_fingerprint(fingerprint: &str) -> Option<String> {
    let normalized: String = fingerprint
        .trim()
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (normalized.len() == 64 && normalized.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(normalized)
}

/// `bytes` in lowercase hexadecimal.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn fingerprints_are_normalized() {
        for written in [
            DIGEST.to_owned(),
            DIGEST.to_uppercase(),
            format!("  {DIGEST}\n"),
            DIGEST
                .as_bytes()
                .chunks(2)
                .map(|pair| std::str::from_utf8(pair).unwrap().to_uppercase())
                .collect::<Vec<_>>()
                .join(":"),
        ] {
            assert_eq!(
                normalize_fingerprint(&written).as_deref(),
                Some(DIGEST),
                "{written:?}"
            );
        }
    }

    #[test]
    fn what_is_not_a_sha256_fingerprint_is_refused() {
        for written in [
            "",
            &DIGEST[..62],
            &format!("{DIGEST}00"),
            &DIGEST.replace('f', "g"),
            &DIGEST.replacen('9', "-", 1),
            &format!("{} {}", &DIGEST[..32], &DIGEST[32..]),
        ] {
            assert_eq!(normalize_fingerprint(written), None, "{written:?}");
        }
        let auth = ClientCertAuth::new()
            .fingerprint("ab:cd")
            .fingerprint(DIGEST);
        assert_eq!(auth.fingerprints, [DIGEST]);
    }

    #[test]
    fn hex_is_lowercase_and_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&Sha256::digest(b"test")), DIGEST);
    }

    #[test]
    fn not_a_certificate_reads_as_none() {
        assert!(ClientCertificate::from_der(b"not DER".to_vec()).is_none());
        assert!(ClientCertificate::from_der(Vec::new()).is_none());
    }
}
