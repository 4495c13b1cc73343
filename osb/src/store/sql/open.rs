//! Opening a SQL store: reaching the database within a bounded time, naming it (never
//! its password) when that fails, creating a SQLite file readable by its owner only,
//! and applying the schema.

#[cfg(feature = "sqlite")]
use std::sync::Arc;

use super::database::Database;
use super::options::SqlOptions;
#[cfg(feature = "sqlite")]
use super::process_lock::{self, ProcessLock};
use super::target::Target;
use crate::store::StoreError;

/// A store's database, opened and migrated.
pub(super) struct Opened {
    pub(super) database: Database,
    pub(super) target: Target,
    /// A SQLite file's lock.
    #[cfg(feature = "sqlite")]
    pub(super) lock: Option<Arc<ProcessLock>>,
}

/// Opens the database of `url` and migrates it.
pub(super) async fn open(url: &str, options: &SqlOptions) -> Result<Opened, StoreError> {
    let target = Target::of(url);
    #[cfg(feature = "sqlite")]
    let named = |err: StoreError| {
        StoreError::new(format!(
            "could not connect to the database {target}: {}",
            err.message()
        ))
        .with_source(err)
    };
    match &target {
        #[cfg(feature = "sqlite")]
        Target::SqliteFile(path) => {
            create_private(path)?;
            let lock = process_lock::lock(path)?;
            let sqlite = super::sqlite::Sqlite::open(Some(path), options)
                .await
                .map_err(named)?;
            Ok(Opened {
                database: Database::Sqlite(sqlite),
                target,
                lock: Some(lock),
            })
        }
        #[cfg(feature = "sqlite")]
        Target::SqliteMemory => {
            let sqlite = super::sqlite::Sqlite::open(None, options)
                .await
                .map_err(named)?;
            Ok(Opened {
                database: Database::Sqlite(sqlite),
                target,
                lock: None,
            })
        }
        #[cfg(feature = "postgres")]
        Target::Server(_) => {
            let postgres = super::postgres::connect(url, options, &target).await?;
            Ok(Opened {
                database: Database::Postgres(postgres),
                target,
                #[cfg(feature = "sqlite")]
                lock: None,
            })
        }
        #[allow(unreachable_patterns, reason = "reached in builds without a backend")]
        _ => Err(StoreError::new(format!(
            "this build cannot open the database {target}: enable the `{}` feature of \
             open-service-broker",
            if url.starts_with("sqlite:") {
                "sqlite"
            } else {
                "postgres"
            }
        ))),
    }
}

#[cfg(feature = "sqlite")]
/// Creates the SQLite file at `path`, if missing, readable and writable by its owner
/// only: it holds credentials. SQLite gives the `-wal` and `-shm` files it makes
/// beside it the same permissions.
fn create_private(path: &str) -> Result<(), StoreError> {
    let file = std::path::Path::new(path);
    // sqlx would say only "unable to open database file": name the directory instead.
    if let Some(directory) = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        return Err(StoreError::new(format!(
            "could not create the SQLite database {path}: the directory {} does not exist",
            directory.display()
        )));
    }
    if file.is_dir() {
        return Err(StoreError::new(format!(
            "could not open the SQLite database {path}: it is a directory"
        )));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        // There already (a file, or something else SQLite will say it cannot open).
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(StoreError::caused_by(
            format!("could not create the SQLite database {path}: {err}"),
            err,
        )),
    }
}
