//! The schema of a SQLite store, versioned: each migration applied once, in order, in
//! a transaction of its own, and recorded in `_sqlx_migrations` as sqlx records them
//! (the table SQLite stores of earlier versions made, whose files keep working).

use rusqlite::Connection;
use sha2::{Digest, Sha384};

use super::super::MIGRATIONS;
use super::sqlite_fault;
use crate::store::StoreError;

/// Applies the migrations `connection`'s database has not had yet.
pub(super) fn migrate(connection: &Connection) -> Result<(), StoreError> {
    let fault = |err| sqlite_fault("could not migrate the database schema", err);
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                version BIGINT PRIMARY KEY,
                description TEXT NOT NULL,
                installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                success BOOLEAN NOT NULL,
                checksum BLOB NOT NULL,
                execution_time BIGINT NOT NULL
            );",
        )
        .map_err(fault)?;
    let applied: Vec<i64> = connection
        .prepare("SELECT version FROM _sqlx_migrations WHERE success")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(fault)?;
    for (version, description, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let started = std::time::Instant::now();
        connection.execute_batch("BEGIN").map_err(fault)?;
        let result = connection.execute_batch(sql).and_then(|()| {
            let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
            connection.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                 execution_time) VALUES (?1, ?2, TRUE, ?3, ?4)",
                rusqlite::params![version, description, Sha384::digest(sql).to_vec(), nanos],
            )?;
            connection.execute_batch("COMMIT")
        });
        if let Err(err) = result {
            let _ = connection.execute_batch("ROLLBACK");
            return Err(fault(err));
        }
    }
    Ok(())
}
