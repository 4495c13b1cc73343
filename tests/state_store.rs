//! Every store backend keeps the `Store` contract: in memory, in a SQLite file, and
//! in PostgreSQL: the database named by `OSB_TEST_POSTGRES_URL`, which `.ci/run` sets
//! together with `OSB_REQUIRE_POSTGRES=1`, so CI cannot pass without running them. On a
//! machine without PostgreSQL (and without those variables) the PostgreSQL tests say
//! so and return.

mod common;

use common::postgres_url;
use osb::store::{MemoryStore, SqlStore, Store};
use osb::testing::store_contract;

/// A prefix unique to this run, so runs sharing a database do not collide.
fn prefix(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    store_contract(&MemoryStore::new(), &prefix("memory")).await;
}

#[tokio::test]
async fn sqlite_store_keeps_the_contract() {
    let dir = std::env::temp_dir().join(prefix("osb-sqlite"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    let store = SqlStore::open(&url).await.unwrap();
    store_contract(&store, &prefix("sqlite")).await;
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
    store_contract(&store, &prefix("postgres")).await;
}
