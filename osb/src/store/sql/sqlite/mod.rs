//! The SQLite backend: one connection (rusqlite) owned by one thread, to which every
//! call of the store is sent whole: a write's statements and its commit are one hop
//! to the thread, not one per statement, and statements are prepared once. SQLite
//! serializes writes anyway, and one broker process has the file to itself (see
//! `process_lock`), so one connection loses nothing.

mod migrate;

use std::collections::HashMap;
use std::sync::mpsc;

use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::{Connection, OpenFlags};

use super::fault::sqlite_fault;
use super::options::SqlOptions;
use super::statement::{Cells, Statement, Value};
use crate::store::StoreError;

/// A call run on the database's thread.
type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// The thread's side: the connection, and the statements' SQL as SQLite numbers its
/// parameters.
struct Worker {
    connection: Connection,
    /// `$1` → `?1`, by the address of the statement's text (statements are `'static`).
    translated: HashMap<usize, String>,
}

impl Worker {
    /// `statement`'s SQL with SQLite's parameter syntax (`?N` binds the Nth value, as
    /// `$N` does on PostgreSQL; SQLite would take `$1` for a name).
    fn sql(&mut self, statement: &Statement) -> String {
        let key = statement.sql.as_ptr() as usize;
        self.translated
            .entry(key)
            .or_insert_with(|| statement.sql.replace('$', "?"))
            .clone()
    }

    /// Hands the rows of `statement` to `each` until it answers `false`.
    fn rows(
        &mut self,
        statement: &Statement,
        what: &'static str,
        mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let sql = self.sql(statement);
        let mut prepared = self
            .connection
            .prepare_cached(&sql)
            .map_err(|err| sqlite_fault(what, err))?;
        let mut rows = prepared
            .query(rusqlite::params_from_iter(statement.params.iter()))
            .map_err(|err| sqlite_fault(what, err))?;
        while let Some(row) = rows.next().map_err(|err| sqlite_fault(what, err))? {
            if !each(row)? {
                break;
            }
        }
        Ok(())
    }

    fn execute(&mut self, statement: &Statement) -> rusqlite::Result<usize> {
        let sql = self.sql(statement);
        let mut prepared = self.connection.prepare_cached(&sql)?;
        prepared.execute(rusqlite::params_from_iter(statement.params.iter()))
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Value::Text(text) => text.to_sql(),
            Value::Int(number) => number.to_sql(),
        }
    }
}

impl Cells for rusqlite::Row<'_> {
    fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.get(column)
            .map_err(|err| StoreError::caused_by(format!("could not read {column}"), err))
    }

    fn int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.get(column)
            .map_err(|err| StoreError::caused_by(format!("could not read {column}"), err))
    }
}

/// A SQLite database served by its thread.
pub(in crate::store::sql) struct Sqlite {
    jobs: mpsc::Sender<Job>,
}

impl Sqlite {
    /// Opens (creating it if missing) the database at `path` (`None`: in memory), sets
    /// it up and migrates it, on a thread of its own.
    pub(in crate::store::sql) async fn open(
        path: Option<&str>,
        options: &SqlOptions,
    ) -> Result<Self, StoreError> {
        let (jobs, receive) = mpsc::channel::<Job>();
        let path = path.map(str::to_owned);
        let pragmas = setup(options);
        let (opened, open_result) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("osb-sqlite".into())
            .spawn(move || {
                let connection = match connect(path.as_deref(), &pragmas) {
                    Ok(connection) => connection,
                    Err(err) => {
                        let _ = opened.send(Err(err));
                        return;
                    }
                };
                let mut worker = Worker {
                    connection,
                    translated: HashMap::new(),
                };
                if opened.send(Ok(())).is_err() {
                    return;
                }
                while let Ok(job) = receive.recv() {
                    job(&mut worker);
                }
            })
            .map_err(|err| StoreError::caused_by("could not start the SQLite thread", err))?;
        let connected = tokio::time::timeout(options.connect_timeout, open_result).await;
        match connected {
            Ok(Ok(Ok(()))) => Ok(Self { jobs }),
            Ok(Ok(Err(err))) => Err(err),
            Ok(Err(_)) => Err(StoreError::new("the SQLite thread stopped")),
            Err(_) => Err(StoreError::new(format!(
                "no answer within {:.1} s",
                options.connect_timeout.as_secs_f64()
            ))),
        }
    }

    /// Runs `call` on the database's thread.
    async fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut Worker) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |worker| {
                let _ = reply.send(call(worker));
            }))
            .map_err(|_| StoreError::new("the SQLite thread stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::new("the SQLite thread stopped"))?
    }

    /// The first row of `statement`, made into a `T` by `map`.
    pub(in crate::store::sql) async fn query_opt<T: Send + 'static>(
        &self,
        statement: Statement,
        what: &'static str,
        map: impl Fn(&dyn Cells) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<Option<T>, StoreError> {
        self.call(move |worker| {
            let mut first = None;
            worker.rows(&statement, what, |row| {
                first = Some(map(row)?);
                Ok(false)
            })?;
            Ok(first)
        })
        .await
    }

    /// Every row of `statement`, each made into a `T` by `map`.
    pub(in crate::store::sql) async fn query_all<T: Send + 'static>(
        &self,
        statement: Statement,
        what: &'static str,
        map: impl Fn(&dyn Cells) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<Vec<T>, StoreError> {
        self.call(move |worker| {
            let mut all = Vec::new();
            worker.rows(&statement, what, |row| {
                all.push(map(row)?);
                Ok(true)
            })?;
            Ok(all)
        })
        .await
    }

    /// Runs `statement`; how many rows it changed.
    pub(in crate::store::sql) async fn execute(
        &self,
        statement: Statement,
        what: &'static str,
    ) -> Result<u64, StoreError> {
        self.call(move |worker| {
            let changed = worker
                .execute(&statement)
                .map_err(|err| sqlite_fault(what, err))?;
            Ok(u64::try_from(changed).unwrap_or(u64::MAX))
        })
        .await
    }

    /// Runs `change` and, if it changed one row, `then`: one transaction, rolled back
    /// if anything fails (a failed commit too: rusqlite rolls back a transaction that
    /// did not commit when it is dropped). Says whether `change` changed a row.
    pub(in crate::store::sql) async fn change(
        &self,
        change: Statement,
        then: Vec<Statement>,
        what: &'static str,
    ) -> Result<bool, StoreError> {
        self.call(move |worker| {
            let fault = |err| sqlite_fault(what, err);
            worker.connection.execute_batch("BEGIN").map_err(fault)?;
            let result = (|| {
                if worker.execute(&change)? != 1 {
                    return Ok(false);
                }
                for statement in &then {
                    worker.execute(statement)?;
                }
                worker.connection.execute_batch("COMMIT")?;
                Ok(true)
            })();
            match result {
                Ok(true) => Ok(true),
                other => {
                    // Nothing to keep, or a failure (a failed COMMIT included, which
                    // leaves the transaction open): end it, so no lock is held.
                    if !worker.connection.is_autocommit() {
                        let _ = worker.connection.execute_batch("ROLLBACK");
                    }
                    other.map_err(fault)
                }
            }
        })
        .await
    }
}

/// The statements a new connection runs: WAL lets readers run while a write commits;
/// `synchronous = NORMAL` commits to the log without a sync per write (see «What an
/// acknowledged write survives» in the store's documentation); then the operator's.
fn setup(options: &SqlOptions) -> String {
    let mut statements = String::from(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 1000;",
    );
    for (name, value) in &options.pragmas {
        statements.push_str(&format!(" PRAGMA {name} = {value};"));
    }
    statements
}

/// The connection, set up and migrated.
fn connect(path: Option<&str>, setup: &str) -> Result<Connection, StoreError> {
    let fault = |err| sqlite_fault("could not open the database", err);
    let connection = match path {
        Some(path) => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
        None => Connection::open_in_memory(),
    }
    .map_err(fault)?;
    // SQLite opens any file lazily: these first statements say whether it is one.
    connection.execute_batch(setup).map_err(fault)?;
    connection.set_prepared_statement_cache_capacity(64);
    migrate::migrate(&connection)?;
    Ok(connection)
}
