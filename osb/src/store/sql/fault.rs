//! Which database failures pass (503 and retry) and which do not (500).

use std::time::Duration;

use crate::store::StoreError;

/// The `Retry-After` of a failure that passes, until the store puts its own timeout
/// in (see `SqlStore::bounded`).
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// A closure turning a database failure while doing `what` into a [`StoreError`].
#[cfg(feature = "postgres")]
pub(super) fn failed(what: &str) -> impl FnOnce(tokio_postgres::Error) -> StoreError + '_ {
    move |err| fault(what, err)
}

/// A database failure while doing `what`: one that passes when the database cannot
/// be reached, is overloaded or out of room; else a failure of its own.
#[cfg(feature = "postgres")]
pub(super) fn fault(what: &str, err: tokio_postgres::Error) -> StoreError {
    if passes(&err) {
        StoreError::unavailable(format!("{what}: {}", describe(&err)), RETRY_AFTER).with_source(err)
    } else {
        StoreError::caused_by(format!("{what}: {}", describe(&err)), err)
    }
}

/// No connection from the pool: none free in time, or none could be made.
#[cfg(feature = "postgres")]
pub(super) fn pool_fault(err: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError;
    let what = "could not reach the database";
    match err {
        PoolError::Backend(err) => fault(what, err),
        PoolError::Timeout(_) => StoreError::unavailable(
            format!("{what}: no connection free or made in time"),
            RETRY_AFTER,
        ),
        other => {
            StoreError::unavailable(format!("{what}: {other}"), RETRY_AFTER).with_source(other)
        }
    }
}

/// tokio-postgres's message, with the server's own (its `Display` says only "db
/// error") or the cause of a failed connection.
#[cfg(feature = "postgres")]
pub(super) fn describe(err: &tokio_postgres::Error) -> String {
    use std::error::Error as _;
    match err.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match err.source() {
            Some(cause) => format!("{err}: {cause}"),
            None => err.to_string(),
        },
    }
}

/// The store did not answer in `timeout` while doing `what`.
pub(super) fn timed_out(what: &str, timeout: Duration) -> StoreError {
    StoreError::unavailable(
        format!("{what}: the database did not answer within {timeout:?}"),
        RETRY_AFTER,
    )
}

/// A SQLite failure while doing `what` (see [`fault`]).
#[cfg(feature = "sqlite")]
pub(super) fn sqlite_fault(what: &str, err: rusqlite::Error) -> StoreError {
    let passes = err
        .sqlite_error()
        .is_some_and(|failure| passing_code(&failure.extended_code.to_string()));
    let message = format!("{what}: {err}");
    if passes {
        StoreError::unavailable(message, RETRY_AFTER).with_source(err)
    } else {
        StoreError::caused_by(message, err)
    }
}

/// Whether a PostgreSQL failure passes: a server error of a passing class, or no
/// server error at all (the connection failed or closed, a message was cut short).
#[cfg(feature = "postgres")]
fn passes(err: &tokio_postgres::Error) -> bool {
    match err.code() {
        Some(code) => passing_code(code.code()),
        None => err.is_closed() || is_io(err),
    }
}

/// Whether `err` comes from the connection's I/O (refused, reset, timed out, …).
#[cfg(feature = "postgres")]
fn is_io(err: &tokio_postgres::Error) -> bool {
    use std::error::Error as _;
    let mut cause = err.source();
    while let Some(inner) = cause {
        if inner.is::<std::io::Error>() {
            return true;
        }
        cause = inner.source();
    }
    false
}

/// Error codes of failures that pass. A PostgreSQL code (SQLSTATE) has five
/// characters; a SQLite code is a number of at most four digits.
///
/// SQLite (primary result codes, as numbers, extended codes
/// included): `SQLITE_BUSY` 5 and `SQLITE_LOCKED` 6 (another writer held on past the
/// busy timeout), `SQLITE_IOERR` 10, `SQLITE_FULL` 13, `SQLITE_CANTOPEN` 14.
///
/// PostgreSQL (SQLSTATE): class 08 (connection exception), class 53 (insufficient
/// resources: disk full, out of memory, too many connections), class 57P
/// (operator intervention: shutting down, cannot connect now), `40001`
/// serialization failure and `40P01` deadlock (retrying succeeds).
fn passing_code(code: &str) -> bool {
    if code.len() < 5 {
        return code
            .parse::<i64>()
            .is_ok_and(|number| matches!(number & 0xff, 5 | 6 | 10 | 13 | 14));
    }
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code == "40001"
        || code == "40P01"
}

#[cfg(test)]
mod tests {
    use super::passing_code;

    #[test]
    fn passing_codes() {
        // SQLITE_FULL, SQLITE_BUSY_SNAPSHOT (517 = 5 | 2 << 8), SQLITE_IOERR_WRITE (778).
        for code in ["13", "517", "778", "08006", "53100", "57P01", "40001"] {
            assert!(passing_code(code), "{code}");
        }
        // SQLITE_CONSTRAINT, SQLITE_CORRUPT, unique violation, syntax error.
        for code in ["19", "11", "23505", "42601"] {
            assert!(!passing_code(code), "{code}");
        }
    }
}
