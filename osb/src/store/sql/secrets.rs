//! Encryption at rest of what a SQL store keeps that is secret: bindings' credentials
//! always (once a key is given), the parameters of instances and bindings if asked.
//!
//! XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`): a random 192-bit nonce per
//! value, so no counter has to be kept across replicas; the column and the resource's
//! ids are the associated data, so a value copied to another row or column does not
//! open. A stored value is `osb1:<key id>:<base64 of nonce and ciphertext>`; values
//! without that prefix are plaintext written before encryption was turned on (JSON
//! never starts with `o`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::store::StoreError;

const PREFIX: &str = "osb1:";
const NONCE_BYTES: usize = 24;

/// A 256-bit key encrypting a SQL store's secrets (see
/// [`SqlOptions::encryption_key`](super::SqlOptions::encryption_key)).
///
/// Make one with `openssl rand -base64 32` and keep it outside the database.
#[derive(Clone)]
pub struct EncryptionKey {
    cipher: XChaCha20Poly1305,
    id: String,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key itself.
        f.debug_struct("EncryptionKey")
            .field("id", &self.id)
            .finish()
    }
}

impl EncryptionKey {
    /// The key of 32 bytes, base64-encoded (standard alphabet, padding optional).
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        let bytes = STANDARD_NO_PAD
            .decode(text.trim_end_matches('='))
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| {
                StoreError::new(
                    "an encryption key is 32 bytes, base64-encoded (make one with \
                     `openssl rand -base64 32`)",
                )
            })?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        // An id that names the key in stored values and messages without revealing it.
        let digest = Sha256::new()
            .chain_update(b"osb encryption key id\0")
            .chain_update(bytes)
            .finalize();
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            cipher: XChaCha20Poly1305::new(&Key::from(bytes)),
            id,
        }
    }

    /// The key's id: 8 hex digits derived from it, shown in messages and stored beside
    /// each value it encrypted.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The keys of a store (the first encrypts; all decrypt) and what they cover.
#[derive(Clone, Debug, Default)]
pub(super) struct Secrets {
    keys: Vec<EncryptionKey>,
    pub(super) parameters: bool,
}

impl Secrets {
    pub(super) fn new(keys: Vec<EncryptionKey>, parameters: bool) -> Self {
        Self { keys, parameters }
    }

    /// The key that encrypts, if any.
    pub(super) fn current(&self) -> Option<&EncryptionKey> {
        self.keys.first()
    }

    /// The ids of all keys, for messages.
    pub(super) fn ids(&self) -> String {
        let ids: Vec<&str> = self.keys.iter().map(EncryptionKey::id).collect();
        ids.join(", ")
    }

    /// `plain` as stored under `label` (the column and the resource's ids): encrypted
    /// with the current key, or `None` without one (store it as it is).
    pub(super) fn seal(&self, label: &str, plain: &str) -> Option<String> {
        let key = self.current()?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: label.as_bytes(),
        };
        // Encryption fails only for a message beyond 256 GiB.
        let sealed = key.cipher.encrypt(&nonce, payload).ok()?;
        let mut bytes = Vec::with_capacity(NONCE_BYTES + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Some(format!(
            "{PREFIX}{}:{}",
            key.id,
            STANDARD_NO_PAD.encode(bytes)
        ))
    }

    /// The stored `value` of `label`, decrypted if it was encrypted.
    pub(super) fn open(&self, label: &str, value: String) -> Result<String, StoreError> {
        let Some(rest) = value.strip_prefix(PREFIX) else {
            return Ok(value);
        };
        let (id, data) = rest.split_once(':').unwrap_or((rest, ""));
        let Some(key) = self.keys.iter().find(|key| key.id == id) else {
            return Err(StoreError::new(format!(
                "{label} is encrypted with key {id}, which is not among the keys given ({})",
                if self.keys.is_empty() {
                    "none".to_owned()
                } else {
                    self.ids()
                }
            )));
        };
        let undecodable = || StoreError::new(format!("{label} does not decrypt with key {id}"));
        let bytes = STANDARD_NO_PAD.decode(data).map_err(|_| undecodable())?;
        if bytes.len() < NONCE_BYTES {
            return Err(undecodable());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: sealed,
            aad: label.as_bytes(),
        };
        let plain = key
            .cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| undecodable())?;
        String::from_utf8(plain).map_err(|_| undecodable())
    }

    /// Whether `value` is stored as the current key would store it.
    pub(super) fn is_current(&self, value: &str) -> bool {
        match self.current() {
            Some(key) => value
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.strip_prefix(key.id.as_str()))
                .is_some_and(|rest| rest.starts_with(':')),
            None => !value.starts_with(PREFIX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{EncryptionKey, Secrets};

    fn secrets(keys: &[[u8; 32]]) -> Secrets {
        Secrets::new(
            keys.iter().map(|k| EncryptionKey::from_bytes(*k)).collect(),
            false,
        )
    }

    #[test]
    fn a_sealed_value_opens_with_its_key_and_label_only() {
        let one = secrets(&[[1; 32]]);
        let sealed = one.seal("response:i/b", r#"{"password":"p"}"#).unwrap();
        assert!(sealed.starts_with("osb1:"), "{sealed}");
        assert!(!sealed.contains("password"));
        assert_eq!(
            one.open("response:i/b", sealed.clone()).unwrap(),
            r#"{"password":"p"}"#
        );
        // Another row's label, another key, no key: refused.
        assert!(one.open("response:i/other", sealed.clone()).is_err());
        assert!(
            secrets(&[[2; 32]])
                .open("response:i/b", sealed.clone())
                .is_err()
        );
        assert!(secrets(&[]).open("response:i/b", sealed.clone()).is_err());
        // The previous key still opens what it sealed.
        let rotated = secrets(&[[2; 32], [1; 32]]);
        assert_eq!(
            rotated.open("response:i/b", sealed.clone()).unwrap(),
            r#"{"password":"p"}"#
        );
        assert!(!rotated.is_current(&sealed));
        assert!(one.is_current(&sealed));
        // Plaintext from before encryption reads as it is.
        assert_eq!(one.open("x", "{}".to_owned()).unwrap(), "{}");
        // Two seals of one value differ (random nonces).
        assert_ne!(one.seal("l", "v"), one.seal("l", "v"));
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        let key =
            EncryptionKey::from_base64("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=").unwrap();
        assert_eq!(key.id(), EncryptionKey::from_bytes([1; 32]).id());
        assert!(EncryptionKey::from_base64("c2hvcnQ=").is_err());
        assert!(EncryptionKey::from_base64("not base64!").is_err());
        assert!(!format!("{key:?}").contains("AQEB"));
    }
}
