//! The PostgreSQL backend: tokio-postgres, a pool of connections (deadpool, whose
//! `Fast` recycling checks that a connection is open without a round trip; sqlx's
//! pool pinged the server when a connection was taken and again when it was given
//! back, three round trips per statement), statements prepared once per connection; a
//! change of several statements is one transaction (`transaction.rs`).

mod connect;
mod migrate;
mod transaction;

pub(in crate::store::sql) use connect::connect;

use deadpool_postgres::{Object, Pool};
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

use super::fault::{failed, pool_fault};
use super::statement::{Cells, Statement, Value};
use crate::store::StoreError;
use transaction::Transaction;

/// A PostgreSQL database through a pool.
pub(in crate::store::sql) struct Postgres {
    pub(in crate::store::sql) pool: Pool,
}

impl Cells for Row {
    fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.try_get(column)
            .map_err(|err| StoreError::caused_by(format!("could not read {column}"), err))
    }

    fn int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.try_get(column)
            .map_err(|err| StoreError::caused_by(format!("could not read {column}"), err))
    }
}

/// A connection taken from the pool for one statement. Given back when the statement
/// finished; closed instead if the call was abandoned half-way (a timed-out call),
/// since its answer may still be on the way.
struct Checkout {
    connection: Option<Object>,
}

impl Checkout {
    async fn take(pool: &Pool) -> Result<Self, StoreError> {
        let connection = pool.get().await.map_err(pool_fault)?;
        Ok(Self {
            connection: Some(connection),
        })
    }

    /// The connection; only `give_back` takes it, and it consumes the checkout.
    fn connection(&self) -> Result<&Object, StoreError> {
        self.connection
            .as_ref()
            .ok_or_else(|| StoreError::new("a connection was used after it was given back"))
    }

    /// Finished: the connection goes back to the pool (a broken one is dropped there).
    fn give_back(mut self) {
        drop(self.connection.take());
    }

    /// Runs `statement`; its rows.
    async fn query(self, statement: &Statement, what: &str) -> Result<Vec<Row>, StoreError> {
        let prepared = prepare(self.connection()?, statement, what).await?;
        let rows = self
            .connection()?
            .query(&prepared, &parameters(statement))
            .await
            .map_err(failed(what));
        self.give_back();
        rows
    }

    /// Runs `statement`; how many rows it changed.
    async fn execute(self, statement: &Statement, what: &str) -> Result<u64, StoreError> {
        let changed = run_execute(self.connection()?, statement, what).await;
        self.give_back();
        changed
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            drop(Object::take(connection));
        }
    }
}

/// The type PostgreSQL is told for each parameter: the statement's text is prepared
/// once per connection with these.
fn types(statement: &Statement) -> Vec<Type> {
    statement
        .params
        .iter()
        .map(|value| match value {
            Value::Text(_) => Type::TEXT,
            Value::Int(_) => Type::INT8,
        })
        .collect()
}

/// The parameters as tokio-postgres takes them.
fn parameters(statement: &Statement) -> Vec<&(dyn ToSql + Sync)> {
    statement
        .params
        .iter()
        .map(|value| match value {
            Value::Text(text) => text as &(dyn ToSql + Sync),
            Value::Int(number) => number as &(dyn ToSql + Sync),
        })
        .collect()
}

/// `statement` prepared on `connection` (once per connection: deadpool caches it).
async fn prepare(
    connection: &Object,
    statement: &Statement,
    what: &str,
) -> Result<tokio_postgres::Statement, StoreError> {
    connection
        .prepare_typed_cached(statement.sql, &types(statement))
        .await
        .map_err(failed(what))
}

/// Runs `statement` on `connection`; how many rows it changed.
async fn run_execute(
    connection: &Object,
    statement: &Statement,
    what: &str,
) -> Result<u64, StoreError> {
    let prepared = prepare(connection, statement, what).await?;
    connection
        .execute(&prepared, &parameters(statement))
        .await
        .map_err(failed(what))
}

impl Postgres {
    /// The first row of `statement`, made into a `T` by `map`.
    pub(in crate::store::sql) async fn query_opt<T>(
        &self,
        statement: Statement,
        what: &'static str,
        map: impl Fn(&dyn Cells) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let rows = Checkout::take(&self.pool)
            .await?
            .query(&statement, what)
            .await?;
        rows.first().map(|row| map(row)).transpose()
    }

    /// Every row of `statement`, each made into a `T` by `map`.
    pub(in crate::store::sql) async fn query_all<T>(
        &self,
        statement: Statement,
        what: &'static str,
        map: impl Fn(&dyn Cells) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = Checkout::take(&self.pool)
            .await?
            .query(&statement, what)
            .await?;
        rows.iter().map(|row| map(row)).collect()
    }

    /// Runs `statement`; how many rows it changed.
    pub(in crate::store::sql) async fn execute(
        &self,
        statement: Statement,
        what: &'static str,
    ) -> Result<u64, StoreError> {
        Checkout::take(&self.pool)
            .await?
            .execute(&statement, what)
            .await
    }

    /// Runs `change` and, if it changed one row, `then`: one transaction. Says whether
    /// `change` changed a row.
    pub(in crate::store::sql) async fn change(
        &self,
        change: Statement,
        then: Vec<Statement>,
        what: &'static str,
    ) -> Result<bool, StoreError> {
        let tx = Transaction::begin(&self.pool).await?;
        let changed = run_execute(tx.connection()?, &change, what).await? == 1;
        if !changed {
            tx.rollback().await;
            return Ok(false);
        }
        for statement in &then {
            run_execute(tx.connection()?, statement, what).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
