//! Which database failures pass (503 and retry) and which do not (500).

use std::time::Duration;

use crate::store::StoreError;

/// The `Retry-After` of a failure that passes, until the store puts its own timeout
/// in (see `SqlStore::bounded`).
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// A closure turning a database failure while doing `what` into a [`StoreError`].
#[cfg(feature = "postgres")]
pub(super) fn failed(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |err| fault(what, err)
}

/// A database failure while doing `what`: one that passes when the database cannot
/// be reached, is overloaded or out of room; else a failure of its own.
#[cfg(feature = "postgres")]
pub(super) fn fault(what: &str, err: sqlx::Error) -> StoreError {
    if passes(&err) {
        StoreError::unavailable(format!("{what}: {err}"), RETRY_AFTER).with_source(err)
    } else {
        StoreError::caused_by(what, err)
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

#[cfg(feature = "postgres")]
fn passes(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| passing_code(&code)),
        _ => false,
    }
}

/// Error codes of failures that pass. A PostgreSQL code (SQLSTATE) has five
/// characters; a SQLite code is a number of at most four digits.
///
/// SQLite (primary result codes, which sqlx reports as numbers, extended codes
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
