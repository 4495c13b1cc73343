//! The PostgreSQL backend: sqlx's typed PostgreSQL driver, a pool of connections,
//! statements prepared once per connection; a change of several statements is one
//! transaction (`transaction.rs`).

use sqlx::postgres::{PgArguments, PgPool, PgRow};
use sqlx::{Arguments as _, Row as _};

use super::fault::failed;
use super::statement::{Cells, Statement, Value};
use super::transaction::Transaction;
use crate::store::StoreError;

/// A PostgreSQL database through a pool.
pub(in crate::store::sql) struct Postgres {
    pub(in crate::store::sql) pool: PgPool,
}

impl Cells for PgRow {
    fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.try_get(column)
            .map_err(|err| StoreError::caused_by(format!("could not read {column}"), err))
    }

    fn int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.try_get(column)
            .map_err(|err| StoreError::caused_by(format!("could not read {column}"), err))
    }
}

/// `statement` as sqlx runs it.
fn query(
    statement: Statement,
) -> Result<sqlx::query::Query<'static, sqlx::Postgres, PgArguments>, StoreError> {
    let mut arguments = PgArguments::default();
    for value in statement.params {
        let added = match value {
            Value::Text(text) => arguments.add(text),
            Value::Int(number) => arguments.add(number),
        };
        added.map_err(|err| StoreError::new(format!("could not bind a value: {err}")))?;
    }
    Ok(sqlx::query_with(statement.sql, arguments))
}

impl Postgres {
    /// The first row of `statement`, made into a `T` by `map`.
    pub(in crate::store::sql) async fn query_opt<T>(
        &self,
        statement: Statement,
        what: &'static str,
        map: impl Fn(&dyn Cells) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let row = query(statement)?
            .fetch_optional(&self.pool)
            .await
            .map_err(failed(what))?;
        row.as_ref().map(|row| map(row)).transpose()
    }

    /// Every row of `statement`, each made into a `T` by `map`.
    pub(in crate::store::sql) async fn query_all<T>(
        &self,
        statement: Statement,
        what: &'static str,
        map: impl Fn(&dyn Cells) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = query(statement)?
            .fetch_all(&self.pool)
            .await
            .map_err(failed(what))?;
        rows.iter().map(|row| map(row)).collect()
    }

    /// Runs `statement`; how many rows it changed.
    pub(in crate::store::sql) async fn execute(
        &self,
        statement: Statement,
        what: &'static str,
    ) -> Result<u64, StoreError> {
        Ok(query(statement)?
            .execute(&self.pool)
            .await
            .map_err(failed(what))?
            .rows_affected())
    }

    /// Runs `change` and, if it changed one row, `then`: one transaction. Says whether
    /// `change` changed a row.
    pub(in crate::store::sql) async fn change(
        &self,
        change: Statement,
        then: Vec<Statement>,
        what: &'static str,
    ) -> Result<bool, StoreError> {
        let mut tx = Transaction::begin(&self.pool).await?;
        let changed = query(change)?
            .execute(tx.connection()?)
            .await
            .map_err(failed(what))?
            .rows_affected()
            == 1;
        if !changed {
            tx.rollback().await;
            return Ok(false);
        }
        for statement in then {
            query(statement)?
                .execute(tx.connection()?)
                .await
                .map_err(failed(what))?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
