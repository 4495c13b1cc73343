//! Opening a SQL store: reaching the database within a bounded time, naming it (never
//! its password) when that fails, creating a SQLite file readable by its owner only,
//! and applying the schema.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyConnection, AnyPool, Connection as _, SqlSafeStr};

use super::options::SqlOptions;
use super::process_lock::{self, ProcessLock};
use crate::store::StoreError;

/// The schema, versioned: applied in order at start-up, each version once (sqlx
/// records them in `_sqlx_migrations`, under a lock on PostgreSQL, so replicas
/// starting together do not race).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "osb state", include_str!("migrations/0001_state.sql")),
    (
        2,
        "osb settings",
        include_str!("migrations/0002_settings.sql"),
    ),
];

#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> futures_core::future::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>>
    {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        (*description).into(),
                        MigrationType::Simple,
                        sql.into_sql_str(),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Where a store URL points, to name it in messages without its password.
pub(super) enum Target {
    SqliteFile(String),
    SqliteMemory,
    /// `host:port/database` of a server URL.
    Server(String),
}

impl Target {
    pub(super) fn of(url: &str) -> Self {
        let without_query = url.split('?').next().unwrap_or(url);
        if let Some(rest) = without_query.strip_prefix("sqlite:") {
            if rest.contains(":memory:") {
                return Self::SqliteMemory;
            }
            return Self::SqliteFile(rest.strip_prefix("//").unwrap_or(rest).to_owned());
        }
        let rest = without_query
            .split_once("://")
            .map_or(without_query, |(_, rest)| rest);
        // Credentials come before the last `@`; they are never shown.
        let place = rest.rsplit_once('@').map_or(rest, |(_, place)| place);
        Self::Server(place.to_owned())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SqliteFile(path) => write!(f, "(SQLite file {path})"),
            Self::SqliteMemory => f.write_str("(SQLite in memory)"),
            Self::Server(place) => write!(f, "at {place}"),
        }
    }
}

/// The pool of `url`, migrated, where it points and, for a SQLite file, its lock.
pub(super) async fn open(
    url: &str,
    options: &SqlOptions,
) -> Result<(AnyPool, Target, Option<Arc<ProcessLock>>), StoreError> {
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let memory = url.contains(":memory:");
    let url = if sqlite && !url.contains("mode=") && !memory {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}mode=rwc")
    } else {
        url.to_owned()
    };
    let target = Target::of(&url);
    let lock = match &target {
        Target::SqliteFile(path) => {
            create_private(path)?;
            Some(process_lock::lock(path)?)
        }
        _ => None,
    };
    // One attempt, bounded, before the pool: a pool retries until its timeout and then
    // says only that it timed out; this says why.
    let connect_timeout = options.connect_timeout;
    let pragmas: Arc<[String]> = if sqlite {
        sqlite_setup(options).into()
    } else {
        Arc::new([])
    };
    let probe = async {
        let mut connection = AnyConnection::connect(&url).await?;
        // SQLite opens any file lazily: its first statements say whether it is one.
        configure(&mut connection, &pragmas).await?;
        // Closing is a courtesy to the server; the pool connects anew.
        connection.close().await
    };
    match tokio::time::timeout(connect_timeout, probe).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            let message = format!("could not connect to the database {target}: {err}");
            return Err(StoreError::caused_by(message, err));
        }
        Err(_) => {
            return Err(StoreError::new(format!(
                "could not connect to the database {target}: no answer within {}",
                seconds(connect_timeout)
            )));
        }
    }
    let mut pool = AnyPoolOptions::new()
        .max_connections(if sqlite { 4 } else { 16 })
        .acquire_timeout(options.timeout);
    if sqlite {
        pool = pool.after_connect(move |connection, _| {
            let pragmas = pragmas.clone();
            Box::pin(async move { configure(connection, &pragmas).await })
        });
    }
    if memory {
        // Each connection to `:memory:` is a database of its own.
        pool = pool.max_connections(1);
    }
    let pool = pool.connect_lazy(&url).map_err(|err| {
        let message = format!("could not connect to the database {target}: {err}");
        StoreError::caused_by(message, err)
    })?;
    let migrator = Migrator::new(Embedded)
        .await
        .map_err(|err| StoreError::caused_by("could not load the schema migrations", err))?;
    let migrated = tokio::time::timeout(connect_timeout, migrator.run(&pool)).await;
    match migrated {
        Ok(Ok(())) => Ok((pool, target, lock)),
        Ok(Err(err)) => Err(StoreError::caused_by(
            format!("could not migrate the database schema {target}: {err}"),
            err,
        )),
        Err(_) => Err(StoreError::new(format!(
            "could not migrate the database schema {target}: no answer within {}",
            seconds(connect_timeout)
        ))),
    }
}

/// The statements a SQLite connection runs once opened (none on PostgreSQL): WAL lets
/// readers run while a write commits; the busy timeout makes a writer wait for the
/// lock, shorter than a store call may take, so a request waiting on a lock answers
/// 503 rather than waiting on; then the operator's pragmas.
fn sqlite_setup(options: &SqlOptions) -> Vec<String> {
    let mut statements = vec![
        "PRAGMA journal_mode = WAL".to_owned(),
        "PRAGMA busy_timeout = 1000".to_owned(),
        "PRAGMA synchronous = NORMAL".to_owned(),
    ];
    statements.extend(
        options
            .pragmas
            .iter()
            .map(|(name, value)| format!("PRAGMA {name} = {value}")),
    );
    statements
}

/// Runs `statements` on a new connection.
async fn configure(
    connection: &mut AnyConnection,
    statements: &[String],
) -> Result<(), sqlx::Error> {
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

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

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn names_the_place_never_the_password() {
        assert_eq!(
            Target::of("postgres://user:secret@db.example:5432/osb?sslmode=require").to_string(),
            "at db.example:5432/osb"
        );
        assert_eq!(
            Target::of("sqlite://data/broker.db?mode=rwc").to_string(),
            "(SQLite file data/broker.db)"
        );
        assert_eq!(
            Target::of("sqlite::memory:").to_string(),
            "(SQLite in memory)"
        );
    }
}
