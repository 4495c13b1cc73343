//! A PostgreSQL transaction that never leaves a connection holding a lock.
//!
//! sqlx's own transaction did not roll back a failed `COMMIT` (on SQLite, when this
//! store still used sqlx for it, "database or disk is full" at commit left SQLite's
//! write lock held by a pooled connection until a restart). Here every way out of a
//! transaction that did not commit rolls back, and a connection that cannot roll back
//! (or whose transaction was abandoned half-way: a timed-out call) is closed instead
//! of going back to the pool; closing ends the transaction.

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{Executor as _, Postgres};

use super::fault::{failed, fault};
use crate::store::StoreError;

/// An open transaction on a connection of the pool.
pub(super) struct Transaction {
    /// `None` once the transaction ended.
    connection: Option<PoolConnection<Postgres>>,
}

impl Transaction {
    /// Takes a connection and begins.
    pub(super) async fn begin(pool: &PgPool) -> Result<Self, StoreError> {
        let mut connection = pool
            .acquire()
            .await
            .map_err(failed("could not reach the database"))?;
        connection
            .execute("BEGIN")
            .await
            .map_err(failed("could not start a transaction"))?;
        Ok(Self {
            connection: Some(connection),
        })
    }

    /// The connection, to run the transaction's statements on.
    pub(super) fn connection(&mut self) -> Result<&mut PgConnection, StoreError> {
        // Taken only by `commit` and `rollback`, which consume the transaction: never
        // `None` here, but an error rather than a panic if it were.
        self.connection
            .as_deref_mut()
            .ok_or_else(|| StoreError::new("a transaction was used after it ended"))
    }

    /// Commits; a commit that fails is rolled back.
    pub(super) async fn commit(mut self) -> Result<(), StoreError> {
        let Some(mut connection) = self.connection.take() else {
            return Ok(());
        };
        match connection.execute("COMMIT").await {
            Ok(_) => Ok(()),
            Err(err) => {
                end(connection).await;
                Err(fault("could not commit", err))
            }
        }
    }

    /// Rolls back.
    pub(super) async fn rollback(mut self) {
        if let Some(connection) = self.connection.take() {
            end(connection).await;
        }
    }
}

/// Rolls back whatever `connection` has open; closes it if that fails.
async fn end(mut connection: PoolConnection<Postgres>) {
    if let Err(err) = connection.execute("ROLLBACK").await {
        tracing::warn!(error = %err, "a rollback failed; closing the connection");
        drop(connection.detach());
    }
}

impl Drop for Transaction {
    /// Abandoned before it ended (a failed statement, or a call that timed out):
    /// closing the connection rolls it back and frees its locks at once, where a
    /// `ROLLBACK` would need an `await` that `drop` cannot make.
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            drop(connection.detach());
        }
    }
}
