//! The keys of a store's secrets: checked at start-up against the database, and
//! rotated by re-encrypting what an older key encrypted.

use std::time::Duration;

use super::SqlStore;
use super::columns::{binding_label, instance_label};
use super::database::Database;
use super::secrets::Secrets;
use super::statement::Statement;
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
    pool: &Database,
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
                let record = Statement::new(
                    "INSERT INTO osb_settings (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(CHECK)
                .bind(sealed);
                pool.execute(record, "could not record the encryption key")
                    .await?;
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
                    let record = Statement::new(
                        "UPDATE osb_settings SET value = $1 WHERE name = $2 AND value = $3",
                    )
                    .bind(secrets.seal(CHECK_LABEL, CHECK_VALUE))
                    .bind(CHECK)
                    .bind(value.as_str());
                    pool.execute(record, "could not record the encryption key")
                        .await?;
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

async fn read_check(pool: &Database) -> Result<Option<String>, StoreError> {
    let read = Statement::new("SELECT value FROM osb_settings WHERE name = $1").bind(CHECK);
    pool.query_opt(read, "could not read the encryption check", |row| {
        row.required_text("value")
    })
    .await
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

/// A secret column: the statements that read every value of it with its resource's
/// ids, and that replace one value if it is still the one read; and whether it is
/// encrypted without `encrypt_parameters`.
struct Column {
    name: &'static str,
    binding: bool,
    always: bool,
    select: &'static str,
    update: &'static str,
}

const COLUMNS: &[Column] = &[
    Column {
        name: "response",
        binding: true,
        always: true,
        select: "SELECT instance_id, binding_id, response AS value FROM osb_bindings \
                 WHERE response IS NOT NULL",
        update: "UPDATE osb_bindings SET response = $1 \
                 WHERE instance_id = $2 AND binding_id = $3 AND response = $4",
    },
    Column {
        name: "parameters",
        binding: true,
        always: false,
        select: "SELECT instance_id, binding_id, parameters AS value FROM osb_bindings \
                 WHERE parameters IS NOT NULL",
        update: "UPDATE osb_bindings SET parameters = $1 \
                 WHERE instance_id = $2 AND binding_id = $3 AND parameters = $4",
    },
    Column {
        name: "parameters",
        binding: false,
        always: false,
        select: "SELECT instance_id, '' AS binding_id, parameters AS value FROM osb_instances \
                 WHERE parameters IS NOT NULL",
        update: "UPDATE osb_instances SET parameters = $1 \
                 WHERE instance_id = $2 AND $3 = '' AND parameters = $4",
    },
    Column {
        name: "pending_parameters",
        binding: false,
        always: false,
        select: "SELECT instance_id, '' AS binding_id, pending_parameters AS value \
                 FROM osb_instances WHERE pending_parameters IS NOT NULL",
        update: "UPDATE osb_instances SET pending_parameters = $1 \
                 WHERE instance_id = $2 AND $3 = '' AND pending_parameters = $4",
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
        let rows = self
            .database
            .query_all(
                Statement::new(column.select),
                "could not read secrets to re-encrypt",
                |row| {
                    Ok((
                        row.required_text("instance_id")?,
                        row.required_text("binding_id")?,
                        row.required_text("value")?,
                    ))
                },
            )
            .await?;
        let mut rewritten = 0;
        for (instance_id, binding_id, value) in rows {
            if self.secrets.is_current(&value) {
                continue;
            }
            let label = if column.binding {
                binding_label(column.name, &instance_id, &binding_id)
            } else {
                instance_label(column.name, &instance_id)
            };
            let plain = self.secrets.open(&label, value.clone())?;
            let replace = Statement::new(column.update)
                .bind(self.secrets.seal(&label, &plain))
                .bind(instance_id)
                .bind(binding_id)
                .bind(value);
            let changed = self
                .database
                .execute(replace, "could not re-encrypt a secret")
                .await?;
            rewritten += usize::try_from(changed).unwrap_or(0);
        }
        Ok(rewritten)
    }
}
