//! How a SQL store waits for its database, and what a SQLite file is set up with.

use std::time::Duration;

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
}

impl Default for SqlOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
            pragmas: Vec::new(),
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
