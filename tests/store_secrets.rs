//! Secrets at rest in the SQL stores (issue 18): bindings' credentials (and, if asked,
//! parameters) are encrypted with the operator's key; a wrong or missing key is a
//! start-up error; keys rotate. What is on disk or in PostgreSQL is read back raw, with
//! sqlx, to see that no secret is there in plaintext.

mod common;

use common::postgres_url;
use osb::store::{
    BindingRecord, EncryptionKey, Fingerprint, InstanceRecord, ResourceState, SqlOptions, SqlStore,
    Store,
};
use osb_tests::unique;
use serde_json::value::RawValue;

const PASSWORD: &str = "correct-horse-battery-staple";
const PARAMETER: &str = "a-password-in-the-parameters";

fn key(byte: u8) -> EncryptionKey {
    EncryptionKey::from_bytes([byte; 32])
}

fn json(text: &str) -> Option<Box<RawValue>> {
    Some(RawValue::from_string(text.to_owned()).unwrap())
}

fn instance(id: &str) -> InstanceRecord {
    InstanceRecord {
        instance_id: id.to_owned(),
        service_id: "svc".to_owned(),
        plan_id: "plan".to_owned(),
        parameters: json(&format!(r#"{{"admin_password":"{PARAMETER}"}}"#)),
        context: None,
        maintenance_version: None,
        dashboard_url: None,
        metadata: None,
        state: ResourceState::Ready,
        operation: None,
        pending: None,
        fingerprint: Fingerprint::from_bytes([1; 32]),
        version: 1,
    }
}

fn binding(instance_id: &str, binding_id: &str) -> BindingRecord {
    BindingRecord {
        instance_id: instance_id.to_owned(),
        binding_id: binding_id.to_owned(),
        service_id: "svc".to_owned(),
        plan_id: "plan".to_owned(),
        parameters: json(&format!(r#"{{"token":"{PARAMETER}"}}"#)),
        bind_resource: None,
        response: json(&format!(r#"{{"credentials":{{"password":"{PASSWORD}"}}}}"#)),
        state: ResourceState::Ready,
        operation: None,
        fingerprint: Fingerprint::from_bytes([2; 32]),
        version: 1,
    }
}

/// Everything a SQLite store wrote: the file and its log.
fn sqlite_bytes(dir: &std::path::Path) -> String {
    let mut all = Vec::new();
    for name in ["state.db", "state.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            all.extend(bytes);
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

/// The stored columns of a binding and its instance, as text, read raw.
async fn stored_columns(url: &str, instance_id: &str) -> String {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let rows: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT response, parameters FROM osb_bindings WHERE instance_id = $1")
            .bind(instance_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    let parameters: Option<String> =
        sqlx::query_scalar("SELECT parameters FROM osb_instances WHERE instance_id = $1")
            .bind(instance_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    format!("{rows:?} {parameters:?}")
}

/// Writes an instance and a binding through `store`, reads them back whole.
async fn round_trip(store: &SqlStore, instance_id: &str) {
    assert!(store.insert_instance(&instance(instance_id)).await.unwrap());
    assert!(
        store
            .insert_binding(&binding(instance_id, "b"))
            .await
            .unwrap()
    );
    let read = store.binding(instance_id, "b").await.unwrap().unwrap();
    assert_eq!(
        read.response.unwrap().get(),
        format!(r#"{{"credentials":{{"password":"{PASSWORD}"}}}}"#)
    );
    assert_eq!(
        read.parameters.unwrap().get(),
        format!(r#"{{"token":"{PARAMETER}"}}"#)
    );
    let read = store.instance(instance_id).await.unwrap().unwrap();
    assert_eq!(
        read.parameters.unwrap().get(),
        format!(r#"{{"admin_password":"{PARAMETER}"}}"#)
    );
}

#[tokio::test]
async fn sqlite_keeps_credentials_encrypted_and_parameters_if_asked() {
    let dir = std::env::temp_dir().join(unique("osb-secrets"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    let options = SqlOptions::new().encryption_key(key(1));
    let store = SqlStore::open_with(&url, &options).await.unwrap();
    round_trip(&store, "credentials-only").await;
    let columns = stored_columns(&url, "credentials-only").await;
    assert!(!columns.contains(PASSWORD), "{columns}");
    assert!(columns.contains("osb1:"), "{columns}");
    // Parameters stay readable unless asked otherwise.
    assert!(columns.contains(PARAMETER), "{columns}");
    drop(store);

    let options = options.encrypt_parameters();
    let store = SqlStore::open_with(&url, &options).await.unwrap();
    round_trip(&store, "everything").await;
    let columns = stored_columns(&url, "everything").await;
    assert!(!columns.contains(PASSWORD), "{columns}");
    assert!(!columns.contains(PARAMETER), "{columns}");
    drop(store);
    // Nowhere in the file or its log either.
    let bytes = sqlite_bytes(&dir);
    assert!(!bytes.contains(PASSWORD));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn postgres_keeps_credentials_encrypted() {
    let Some(url) = postgres_url() else {
        return;
    };
    // The shared test database may hold another run's key: a database of its own.
    let (url, name) = fresh_postgres_database(&url).await;
    let options = SqlOptions::new()
        .encryption_key(key(1))
        .encrypt_parameters();
    let store = SqlStore::open_with(&url, &options).await.unwrap();
    let id = unique("pg-secrets");
    round_trip(&store, &id).await;
    let columns = stored_columns(&url, &id).await;
    assert!(!columns.contains(PASSWORD), "{columns}");
    assert!(!columns.contains(PARAMETER), "{columns}");
    assert!(columns.contains("osb1:"), "{columns}");
    drop(store);
    sql(
        &postgres_url().unwrap(),
        &format!("DROP DATABASE {name} WITH (FORCE)"),
    )
    .await;
}

/// Runs `statement` on the database at `url`.
async fn sql(url: &str, statement: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// A database of its own on the test server (its URL and name), for a test that
/// records a key.
async fn fresh_postgres_database(url: &str) -> (String, String) {
    let name = unique("osb_secrets").replace('-', "_");
    sql(url, &format!("CREATE DATABASE {name}")).await;
    let (base, _) = url.rsplit_once('/').unwrap();
    (format!("{base}/{name}"), name)
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_a_start_up_error() {
    let dir = std::env::temp_dir().join(unique("osb-keys"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    let store = SqlStore::open_with(&url, &SqlOptions::new().encryption_key(key(1)))
        .await
        .unwrap();
    round_trip(&store, "i").await;
    drop(store);
    let (one, two) = (key(1), key(2));

    let err = SqlStore::open_with(&url, &SqlOptions::new().encryption_key(key(2)))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "the state store failed: the database's secrets are encrypted with key {}, which \
             is not among the keys given ({}): a wrong key",
            one.id(),
            two.id()
        )
    );
    let err = SqlStore::open(&url).await.err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "the state store failed: the database holds secrets encrypted with key {}: open \
             it with that key (SqlOptions::encryption_key)",
            one.id()
        )
    );
    let err = EncryptionKey::from_base64("too-short").err().unwrap();
    assert_eq!(
        err.to_string(),
        "the state store failed: an encryption key is 32 bytes, base64-encoded (make one \
         with `openssl rand -base64 32`)"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Rotation as `SqlOptions::encryption_key` documents it: the new key with the old
/// one as previous, `reencrypt`, then the new key alone; the old one no longer opens
/// the database.
#[tokio::test]
async fn keys_rotate() {
    let dir = std::env::temp_dir().join(unique("osb-rotate"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    let old = SqlOptions::new()
        .encryption_key(key(1))
        .encrypt_parameters();
    let store = SqlStore::open_with(&url, &old).await.unwrap();
    round_trip(&store, "before").await;
    drop(store);

    let rotating = SqlOptions::new()
        .encryption_key(key(2))
        .previous_encryption_key(key(1))
        .encrypt_parameters();
    let store = SqlStore::open_with(&url, &rotating).await.unwrap();
    round_trip(&store, "during").await;
    // "before": response and both parameters are under the old key.
    assert_eq!(store.reencrypt().await.unwrap(), 3);
    assert_eq!(store.reencrypt().await.unwrap(), 0);
    drop(store);

    let new = SqlOptions::new()
        .encryption_key(key(2))
        .encrypt_parameters();
    let store = SqlStore::open_with(&url, &new).await.unwrap();
    let read = store.binding("before", "b").await.unwrap().unwrap();
    assert!(read.response.unwrap().get().contains(PASSWORD));
    drop(store);
    assert!(SqlStore::open_with(&url, &old).await.is_err());
    std::fs::remove_dir_all(&dir).ok();
}
