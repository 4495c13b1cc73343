//! The schema migrations on PostgreSQL: each applied once, in order, recorded in
//! `_sqlx_migrations` as sqlx records them (so databases migrated by earlier versions,
//! which used sqlx's migrator, carry on), all in one transaction under an advisory
//! lock, so replicas starting together do not race.

use sha2::{Digest, Sha384};

use super::super::MIGRATIONS;
use super::super::fault::fault;
use super::Postgres;
use super::transaction::Transaction;
use crate::store::StoreError;

/// The advisory lock the migrations are applied under ("osb_migr").
const LOCK: i64 = 0x6f73_625f_6d69_6772;

/// Applies the migrations the database has not had yet.
pub(super) async fn migrate(postgres: &Postgres) -> Result<(), StoreError> {
    let failed = |err| fault("could not migrate the database schema", err);
    let tx = Transaction::begin(&postgres.pool).await?;
    let connection = tx.connection()?;
    connection
        .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await
        .map_err(failed)?;
    connection
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                version BIGINT PRIMARY KEY,
                description TEXT NOT NULL,
                installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
                success BOOLEAN NOT NULL,
                checksum BYTEA NOT NULL,
                execution_time BIGINT NOT NULL
            );",
        )
        .await
        .map_err(failed)?;
    let applied: Vec<i64> = connection
        .query("SELECT version FROM _sqlx_migrations WHERE success", &[])
        .await
        .map_err(failed)?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(failed)?;
    for (version, description, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let started = std::time::Instant::now();
        connection.batch_execute(sql).await.map_err(failed)?;
        let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        let checksum = Sha384::digest(sql).to_vec();
        connection
            .execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                 execution_time) VALUES ($1, $2, TRUE, $3, $4)",
                &[version, description, &checksum, &nanos],
            )
            .await
            .map_err(failed)?;
    }
    tx.commit().await
}
