//! Every store backend keeps the `Store` contract: in memory, in a SQLite file, and
//! in PostgreSQL: the database named by `OSB_TEST_POSTGRES_URL`, which `.ci/run` sets
//! together with `OSB_REQUIRE_POSTGRES=1`, so CI cannot pass without running them. On a
//! machine without PostgreSQL (and without those variables) the PostgreSQL tests say
//! so and return.

mod common;

use common::postgres_url;
use osb::store::{MemoryStore, SqlStore, Store};
use osb::testing::store_contract;
use osb_tests::unique;

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    store_contract(&MemoryStore::new(), &unique("memory")).await;
}

#[tokio::test]
async fn sqlite_store_keeps_the_contract() {
    let dir = std::env::temp_dir().join(unique("osb-sqlite"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    let store = SqlStore::open(&url).await.unwrap();
    store_contract(&store, &unique("sqlite")).await;
    // The schema is applied once: opening the file again finds it migrated.
    let again = SqlStore::open(&url).await.unwrap();
    assert!(again.instance("nothing").await.unwrap().is_none());
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn postgres_store_keeps_the_contract() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = SqlStore::open(&url).await.unwrap();
    store_contract(&store, &unique("postgres")).await;
}

/// A SQLite path in a directory that does not exist: the error names the path and the
/// directory (sqlx alone says "unable to open database file").
#[tokio::test]
async fn sqlite_in_a_missing_directory_names_the_directory() {
    let dir = std::env::temp_dir().join(format!("osb-missing-{}", std::process::id()));
    let file = dir.join("broker.db");
    let err = SqlStore::open(&format!("sqlite://{}", file.display()))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "the state store failed: could not create the SQLite database {}: the directory {} does not exist",
            file.display(),
            dir.display()
        )
    );
}

/// A SQLite path that is a directory: the error names it and says so (and no lock
/// file is made beside it).
#[tokio::test]
async fn sqlite_on_a_directory_says_so() {
    let dir = std::env::temp_dir();
    let err = SqlStore::open(&format!("sqlite://{}", dir.display()))
        .await
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        format!(
            "the state store failed: could not open the SQLite database {}: it is a directory",
            dir.display()
        )
    );
}

/// A SQLite file that cannot be opened (here: not a database): the error names the
/// file and sqlx's cause.
#[tokio::test]
async fn sqlite_that_cannot_be_opened_names_the_file_and_the_cause() {
    let dir = std::env::temp_dir().join(unique("osb-garbage"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.db");
    std::fs::write(&file, vec![0x5a; 8192]).unwrap();
    let err = SqlStore::open(&format!("sqlite://{}", file.display()))
        .await
        .err()
        .unwrap()
        .to_string();
    std::fs::remove_dir_all(&dir).ok();
    let expected = format!(
        "the state store failed: could not connect to the database (SQLite file {}): ",
        file.display()
    );
    assert!(err.starts_with(&expected), "{err}");
    assert!(err.len() > expected.len(), "the cause is missing: {err}");
}
