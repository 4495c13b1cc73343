//! A PostgreSQL transaction that never leaves a connection holding a lock.
//!
//! Every way out of a transaction that did not commit rolls back (a failed `COMMIT`
//! included: left alone, it would keep the transaction's locks on a pooled
//! connection), and a connection that cannot roll back, or whose transaction was
//! abandoned half-way (a timed-out call), is closed instead of going back to the
//! pool; closing ends the transaction.

use deadpool_postgres::{Object, Pool};

use super::super::fault::{fault, pool_fault};
use crate::store::StoreError;

/// An open transaction on a connection of the pool.
pub(super) struct Transaction {
    /// `None` once the transaction ended.
    connection: Option<Object>,
}

impl Transaction {
    /// Takes a connection and begins.
    pub(super) async fn begin(pool: &Pool) -> Result<Self, StoreError> {
        let connection = pool.get().await.map_err(pool_fault)?;
        // Held from here: a failed or abandoned `BEGIN` closes the connection.
        let transaction = Self {
            connection: Some(connection),
        };
        transaction
            .connection()?
            .batch_execute("BEGIN")
            .await
            .map_err(|err| fault("could not start a transaction", err))?;
        Ok(transaction)
    }

    /// The connection, to run the transaction's statements on.
    pub(super) fn connection(&self) -> Result<&Object, StoreError> {
        // Taken only by `commit` and `rollback`, which consume the transaction: never
        // `None` here, but an error rather than a panic if it were.
        self.connection
            .as_ref()
            .ok_or_else(|| StoreError::new("a transaction was used after it ended"))
    }

    /// Commits; a commit that fails is rolled back.
    pub(super) async fn commit(mut self) -> Result<(), StoreError> {
        let Some(connection) = self.connection.take() else {
            return Ok(());
        };
        match connection.batch_execute("COMMIT").await {
            Ok(()) => Ok(()),
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
async fn end(connection: Object) {
    if let Err(err) = connection.batch_execute("ROLLBACK").await {
        tracing::warn!(error = %err, "a rollback failed; closing the connection");
        drop(Object::take(connection));
    }
}

impl Drop for Transaction {
    /// Abandoned before it ended (a failed statement, or a call that timed out):
    /// closing the connection rolls it back and frees its locks at once, where a
    /// `ROLLBACK` would need an `await` that `drop` cannot make.
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            drop(Object::take(connection));
        }
    }
}
