//! One broker process per SQLite file, held by a lock file beside it.
//!
//! A SQLite store serves one process (several replicas need PostgreSQL). Holding that
//! as a lock, rather than only saying it, lets a restarted broker know that every lease
//! in the file from before it opened was held by a process that is gone, and take that
//! work over at once instead of waiting the lease out. Stores opened on one file in one
//! process (replicas in tests, a router and a tool) share the lock.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::lifecycle::now_ms;
use crate::store::StoreError;

/// The lock of one SQLite file, held while a store of this process has it open.
#[derive(Debug)]
pub(super) struct ProcessLock {
    /// Held open: closing it releases the lock.
    _file: File,
    /// When this process took it (Unix milliseconds).
    pub(super) since: i64,
}

/// The locks this process holds, by lock file.
fn held() -> &'static Mutex<HashMap<PathBuf, Weak<ProcessLock>>> {
    static HELD: OnceLock<Mutex<HashMap<PathBuf, Weak<ProcessLock>>>> = OnceLock::new();
    HELD.get_or_init(Mutex::default)
}

/// Takes the lock of the SQLite file at `database`: `<database>-osb.lock`, created
/// readable by its owner only, holding the process id of its holder.
pub(super) fn lock(database: &str) -> Result<Arc<ProcessLock>, StoreError> {
    let path = PathBuf::from(format!("{database}-osb.lock"));
    let key = std::fs::canonicalize(Path::new(database)).unwrap_or_else(|_| path.clone());
    // A poisoned map only means another thread panicked while holding it: the map
    // itself is whole.
    let mut held = held()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(lock) = held.get(&key).and_then(Weak::upgrade) {
        return Ok(lock);
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|err| {
        StoreError::caused_by(
            format!("could not create the lock file {}: {err}", path.display()),
            err,
        )
    })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                String::from("another process")
            } else {
                format!("process {holder}")
            };
            return Err(StoreError::new(format!(
                "the SQLite database {database} is in use by {holder}: a SQLite store serves \
                 one broker process (use PostgreSQL for several replicas)"
            )));
        }
        Err(TryLockError::Error(err)) => {
            return Err(StoreError::caused_by(
                format!("could not lock {}: {err}", path.display()),
                err,
            ));
        }
    }
    // Who holds it, for the message above; a failure here costs only that message.
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()));
    let lock = Arc::new(ProcessLock {
        _file: file,
        since: now_ms(),
    });
    held.retain(|_, lock| lock.strong_count() > 0);
    held.insert(key, Arc::downgrade(&lock));
    Ok(lock)
}
