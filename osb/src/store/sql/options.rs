//! How a SQL store waits for its database, and what a SQLite file is set up with.

use std::time::Duration;

use super::secrets::EncryptionKey;
use crate::store::StoreError;

/// Settings of a [`SqlStore`](super::SqlStore): how long it waits for its database,
/// and SQLite settings of the operator's choice. The defaults suit most brokers.
///
/// ```no_run
/// # async fn demo() -> Result<(), osb::store::StoreError> {
/// use std::time::Duration;
/// use osb::store::{SqlOptions, SqlStore};
///
/// let options = SqlOptions::new()
///     .timeout(Duration::from_secs(1))
///     // Cap the file at 1 GiB (4 KiB pages): writes beyond answer 503, reads go on.
///     .sqlite_pragma("max_page_count", "262144")?;
/// let store = SqlStore::open_with("sqlite://broker-state.db", &options).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SqlOptions {
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) pragmas: Vec<(String, String)>,
    /// The key that encrypts first, then those that only decrypt.
    pub(super) keys: Vec<EncryptionKey>,
    pub(super) encrypt_parameters: bool,
}

impl Default for SqlOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
            pragmas: Vec::new(),
            keys: Vec::new(),
            encrypt_parameters: false,
        }
    }
}

impl SqlOptions {
    /// The defaults: 2 s per store call, 5 s to connect at start-up.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long one call of the store may take, waiting for a connection included
    /// (default 2 s). A call that takes longer (the database is unreachable or
    /// overloaded) fails, and its request answers 503 with `Retry-After` of as long.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long [`SqlStore::open_with`](super::SqlStore::open_with) may take to reach the
    /// database before it gives up with the cause (default 5 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Encrypts bindings' credentials at rest with `key` (XChaCha20-Poly1305). Once a
    /// database holds encrypted values, opening it without the key, or with another
    /// one, fails: the store never reads or writes them as plaintext.
    ///
    /// To rotate: give the new key here and the old one to
    /// [`previous_encryption_key`](SqlOptions::previous_encryption_key), restart every
    /// replica, run [`SqlStore::reencrypt`](super::SqlStore::reencrypt) once, then drop
    /// the old key.
    #[must_use]
    pub fn encryption_key(mut self, key: EncryptionKey) -> Self {
        self.keys.insert(0, key);
        self
    }

    /// A key that no longer encrypts but still decrypts what it encrypted, while a
    /// rotation runs (see [`encryption_key`](SqlOptions::encryption_key)).
    #[must_use]
    pub fn previous_encryption_key(mut self, key: EncryptionKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Encrypts the parameters of instances and bindings too (they may hold
    /// passwords a platform's user passed), not only bindings' credentials. Needs an
    /// [`encryption_key`](SqlOptions::encryption_key).
    #[must_use]
    pub fn encrypt_parameters(mut self) -> Self {
        self.encrypt_parameters = true;
        self
    }

    /// A `PRAGMA name = value` every SQLite connection runs once opened, after the
    /// framework's own (`journal_mode = WAL`, `synchronous = NORMAL`, `busy_timeout`);
    /// ignored on PostgreSQL. Names and values are words, numbers or `-`, as
    /// `max_page_count`, `cache_size` or `mmap_size` take; anything else is refused.
    pub fn sqlite_pragma(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, StoreError> {
        let (name, value) = (name.into(), value.into());
        let word = |text: &str, extra: &[char]| {
            !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(&c))
        };
        if !word(&name, &[]) || !word(&value, &['-']) {
            return Err(StoreError::new(format!(
                "the SQLite pragma {name:?} = {value:?} is not a name and a word or number"
            )));
        }
        self.pragmas.push((name, value));
        Ok(self)
    }
}
