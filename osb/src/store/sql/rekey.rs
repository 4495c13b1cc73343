//! The keys of a store's secrets: checked at start-up against the database, and
//! rotated by re-encrypting what an older key encrypted.

use std::time::Duration;

use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::SqlStore;
use super::columns::{binding_label, instance_label};
use super::fault::failed;
use super::secrets::Secrets;
use crate::store::StoreError;

const CHECK: &str = "encryption_check";
const CHECK_LABEL: &str = "osb_settings.encryption_check";
const CHECK_VALUE: &str = "osb";

/// The key id a stored value names, for messages.
fn key_of(value: &str) -> &str {
    value
        .strip_prefix("osb1:")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or("?")
}

/// Refuses a database whose secrets were encrypted with a key not given, or a key for
/// a database that has none yet is recorded: a store never reads encrypted values as
/// if they were plaintext, nor writes plaintext beside them. Records the current key
/// (under `osb_settings.encryption_check`) the first time one is given.
pub(super) async fn check_keys(
    pool: &AnyPool,
    secrets: &Secrets,
    timeout: Duration,
) -> Result<(), StoreError> {
    let check = async {
        let stored = read_check(pool).await?;
        match (stored, secrets.current()) {
            (None, None) => Ok(()),
            (Some(value), None) => Err(StoreError::new(format!(
                "the database holds secrets encrypted with key {}: open it with that key \
                 (SqlOptions::encryption_key)",
                key_of(&value)
            ))),
            (None, Some(_)) => {
                let sealed = secrets.seal(CHECK_LABEL, CHECK_VALUE);
                sqlx::query(
                    "INSERT INTO osb_settings (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(CHECK)
                .bind(sealed)
                .execute(pool)
                .await
                .map_err(failed("could not record the encryption key"))?;
                // Another replica may have recorded another key meanwhile.
                match read_check(pool).await? {
                    Some(value) => verify(secrets, &value).map(drop),
                    None => Err(StoreError::new("the encryption key was not recorded")),
                }
            }
            (Some(value), Some(_)) => {
                verify(secrets, &value)?;
                if !secrets.is_current(&value) {
                    // A rotation: from now on the new key is the database's.
                    sqlx::query(
                        "UPDATE osb_settings SET value = $1 WHERE name = $2 AND value = $3",
                    )
                    .bind(secrets.seal(CHECK_LABEL, CHECK_VALUE))
                    .bind(CHECK)
                    .bind(&value)
                    .execute(pool)
                    .await
                    .map_err(failed("could not record the encryption key"))?;
                }
                Ok(())
            }
        }
    };
    tokio::time::timeout(timeout, check)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::new(
                "could not check the encryption key: the database did not answer",
            ))
        })
}

async fn read_check(pool: &AnyPool) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT value FROM osb_settings WHERE name = $1")
        .bind(CHECK)
        .fetch_optional(pool)
        .await
        .map_err(failed("could not read the encryption check"))
}

fn verify(secrets: &Secrets, value: &str) -> Result<(), StoreError> {
    match secrets.open(CHECK_LABEL, value.to_owned()) {
        Ok(plain) if plain == CHECK_VALUE => Ok(()),
        _ => Err(StoreError::new(format!(
            "the database's secrets are encrypted with key {}, which is not among the keys \
             given ({}): a wrong key",
            key_of(value),
            secrets.ids()
        ))),
    }
}

/// A secret column: its table, the columns of its key, and whether it is encrypted
/// without `encrypt_parameters`.
struct Column {
    table: &'static str,
    column: &'static str,
    binding: bool,
    always: bool,
}

const COLUMNS: &[Column] = &[
    Column {
        table: "osb_bindings",
        column: "response",
        binding: true,
        always: true,
    },
    Column {
        table: "osb_bindings",
        column: "parameters",
        binding: true,
        always: false,
    },
    Column {
        table: "osb_instances",
        column: "parameters",
        binding: false,
        always: false,
    },
    Column {
        table: "osb_instances",
        column: "pending_parameters",
        binding: false,
        always: false,
    },
];

impl SqlStore {
    /// Re-encrypts every stored secret that is not encrypted with the current key
    /// (see [`SqlOptions::encryption_key`](super::SqlOptions::encryption_key)):
    /// values of a previous key, and plaintext written before encryption was turned
    /// on. Says how many values it rewrote. Safe to run while the broker serves: each
    /// value is replaced only if it is still the one read.
    pub async fn reencrypt(&self) -> Result<usize, StoreError> {
        if self.secrets.current().is_none() {
            return Err(StoreError::new(
                "reencrypt needs an encryption key (SqlOptions::encryption_key)",
            ));
        }
        let mut rewritten = 0;
        for column in COLUMNS {
            if column.always || self.secrets.parameters {
                rewritten += self.reencrypt_column(column).await?;
            }
        }
        Ok(rewritten)
    }

    async fn reencrypt_column(&self, column: &Column) -> Result<usize, StoreError> {
        let (table, name) = (column.table, column.column);
        let keys = if column.binding {
            "instance_id, binding_id"
        } else {
            "instance_id, '' AS binding_id"
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {keys}, {name} FROM {table} WHERE {name} IS NOT NULL"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(failed("could not read secrets to re-encrypt"))?;
        let mut rewritten = 0;
        for row in rows {
            let read = |index: usize| {
                row.try_get::<String, _>(index)
                    .map_err(failed("could not read secrets to re-encrypt"))
            };
            let (instance_id, binding_id, value) = (read(0)?, read(1)?, read(2)?);
            if self.secrets.is_current(&value) {
                continue;
            }
            let label = if column.binding {
                binding_label(name, &instance_id, &binding_id)
            } else {
                instance_label(name, &instance_id)
            };
            let plain = self.secrets.open(&label, value.clone())?;
            let sealed = self.secrets.seal(&label, &plain);
            let matching = if column.binding {
                "instance_id = $2 AND binding_id = $3"
            } else {
                "instance_id = $2 AND $3 = ''"
            };
            let changed = sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET {name} = $1 WHERE {matching} AND {name} = $4"
            )))
            .bind(sealed)
            .bind(&instance_id)
            .bind(&binding_id)
            .bind(&value)
            .execute(&self.pool)
            .await
            .map_err(failed("could not re-encrypt a secret"))?
            .rows_affected();
            rewritten += usize::try_from(changed).unwrap_or(0);
        }
        Ok(rewritten)
    }
}
