//! The database behind a SQL store, whichever it is: the four things the store asks of
//! it, handed to the backend's driver.

use super::inserts::Insert;
use super::statement::{Cells, Statement};
use crate::store::StoreError;

/// A SQLite file (or memory) or a PostgreSQL database.
pub(super) enum Database {
    #[cfg(feature = "sqlite")]
    Sqlite(super::sqlite::Sqlite),
    #[cfg(feature = "postgres")]
    Postgres(super::postgres::Postgres),
}

impl Database {
    /// The first row of `statement`, made into a `T` by `map` (`what` names the call
    /// in messages).
    pub(super) async fn query_opt<T: Send + 'static>(
        &self,
        statement: Statement,
        what: &'static str,
        map: impl Fn(&dyn Cells) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<Option<T>, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(db) => db.query_opt(statement, what, map).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(db) => db.query_opt(statement, what, map).await,
        }
    }

    /// Every row of `statement`, each made into a `T` by `map`.
    pub(super) async fn query_all<T: Send + 'static>(
        &self,
        statement: Statement,
        what: &'static str,
        map: impl Fn(&dyn Cells) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(db) => db.query_all(statement, what, map).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(db) => db.query_all(statement, what, map).await,
        }
    }

    /// Runs `statement`; how many rows it changed.
    pub(super) async fn execute(
        &self,
        statement: Statement,
        what: &'static str,
    ) -> Result<u64, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(db) => db.execute(statement, what).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(db) => db.execute(statement, what).await,
        }
    }

    /// Runs `change` and, if it changed one row, `then`, in one transaction; says
    /// whether `change` changed a row (nothing is written otherwise).
    pub(super) async fn change(
        &self,
        change: Statement,
        then: Vec<Statement>,
        what: &'static str,
    ) -> Result<bool, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(db) => db.change(change, then, what).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(db) => db.change(change, then, what).await,
        }
    }

    /// Runs `statement`, whose SQL is `insert.insert` (an insert unless the key is
    /// taken), and, if it inserted, forgets the tombstone of the same key; says whether
    /// it inserted. One transaction on SQLite, one statement on PostgreSQL.
    pub(super) async fn insert(
        &self,
        insert: &'static Insert,
        statement: Statement,
        what: &'static str,
    ) -> Result<bool, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(db) => {
                let forget = Statement {
                    sql: insert.forget,
                    params: statement
                        .params
                        .get(..insert.keys)
                        .unwrap_or_default()
                        .to_vec(),
                };
                db.change(statement, vec![forget], what).await
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(db) => {
                let combined = Statement {
                    sql: insert.combined,
                    params: statement.params,
                };
                let inserted = db
                    .query_opt(combined, what, |row| row.required_int("inserted"))
                    .await?;
                Ok(inserted == Some(1))
            }
        }
    }
}
