//! SQLite and PostgreSQL stores, on sqlx's `Any` driver: one implementation, the
//! database chosen by URL. Every change is one conditional statement (or one
//! transaction), so replicas sharing a PostgreSQL database never overwrite each other.
//!
//! Every call is bounded by [`SqlOptions::timeout`], waiting for a connection
//! included; a failure that passes (unreachable, overloaded, full) is an
//! [`unavailable`](StoreError::unavailable) error, answered 503 with `Retry-After`.

mod columns;
mod fault;
mod open;
mod options;
mod process_lock;
mod rekey;
mod secrets;
mod transaction;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::{AnyPool, Row};

use super::interface::{Store, StoreError};
use super::key::ResourceKey;
use super::record::{BindingRecord, InstanceRecord, ResourceState, Tombstone};
use columns::{
    bind_operation, binding, binding_columns, corrupt, instance, instance_columns, operation,
};
use fault::{failed, timed_out};
use open::Target;
pub use options::SqlOptions;
pub use secrets::EncryptionKey;
use secrets::Secrets;
use transaction::Transaction;

/// A store in a SQL database: a SQLite file (embedded, nothing to install) or
/// PostgreSQL (shared by several broker replicas).
///
/// ```no_run
/// # async fn demo() -> Result<(), osb::store::StoreError> {
/// let embedded = osb::store::SqlStore::open("sqlite://broker-state.db").await?;
/// let shared = osb::store::SqlStore::open("postgres://broker@db.internal/broker").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    target: std::sync::Arc<Target>,
    timeout: Duration,
    /// A SQLite file's: this process has it to itself.
    lock: Option<std::sync::Arc<process_lock::ProcessLock>>,
    /// The keys of what is stored encrypted.
    secrets: std::sync::Arc<Secrets>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("database", &self.target.to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SqlStore {
    /// Connects to `url` (`sqlite://path/to/file.db`, `sqlite::memory:`,
    /// `postgres://user:password@host/database`) with the default [`SqlOptions`] and
    /// applies the schema migrations. A SQLite file is created if missing, readable
    /// and writable by its owner only.
    ///
    /// Fails within [`SqlOptions::connect_timeout`] (5 s) when the database cannot be
    /// reached, with a message that names it (path, or host, port and database; never
    /// the password) and the cause.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, &SqlOptions::default()).await
    }

    /// [`open`](SqlStore::open) with `options`.
    pub async fn open_with(url: &str, options: &SqlOptions) -> Result<Self, StoreError> {
        let (pool, target, lock) = open::open(url, options).await?;
        let secrets = Secrets::new(options.keys.clone(), options.encrypt_parameters);
        if options.encrypt_parameters && secrets.current().is_none() {
            return Err(StoreError::new(
                "encrypt_parameters needs an encryption key (SqlOptions::encryption_key)",
            ));
        }
        rekey::check_keys(&pool, &secrets, options.connect_timeout).await?;
        Ok(Self {
            pool,
            target: std::sync::Arc::new(target),
            timeout: options.timeout,
            lock,
            secrets: std::sync::Arc::new(secrets),
        })
    }

    /// Runs one call of the store, `what`, within the store's timeout; a failure that
    /// passes says to retry after as long.
    async fn bounded<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let result = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(timed_out(what, self.timeout)),
        };
        result.map_err(|err| {
            let err = err.with_retry_after(self.timeout.max(Duration::from_secs(1)));
            if err.is_unavailable() {
                tracing::warn!(database = %self.target, error = %err, "the state store is unavailable");
            }
            err
        })
    }
}

/// A statement with its arguments bound.
type Statement<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

impl SqlStore {
    /// Runs `change` and, if it changed a row, `then` (if any) and the burial of
    /// `tombstone`: one transaction. Says whether `change` changed a row (nothing is
    /// written otherwise).
    async fn change(
        &self,
        change: Statement<'_>,
        then: Option<Statement<'_>>,
        tombstone: Option<&Tombstone>,
        what: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = Transaction::begin(&self.pool).await?;
        let changed = change
            .execute(tx.connection()?)
            .await
            .map_err(failed(what))?
            .rows_affected()
            == 1;
        if !changed {
            tx.rollback().await;
            return Ok(false);
        }
        if let Some(then) = then {
            then.execute(tx.connection()?).await.map_err(failed(what))?;
        }
        if let Some(tombstone) = tombstone {
            bury(&mut tx, tombstone).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Runs `insert` (an insert unless the key is taken) and, if it inserted, forgets
    /// the tombstone of the same key (`binding_id` empty for an instance).
    async fn insert(
        &self,
        insert: Statement<'_>,
        instance_id: &str,
        binding_id: &str,
        what: &str,
    ) -> Result<bool, StoreError> {
        let forget =
            sqlx::query("DELETE FROM osb_tombstones WHERE instance_id = $1 AND binding_id = $2")
                .bind(instance_id)
                .bind(binding_id);
        self.change(insert, Some(forget), None, what).await
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError> {
        self.bounded("instance", async move {
            let row = sqlx::query(
                "SELECT instance_id, service_id, plan_id, parameters, context, maintenance_version, \
                 dashboard_url, metadata, state, op_id, op_kind, op_state, op_description, op_runner, \
                 op_started_at, op_heartbeat_at, op_instance_usable, op_update_repeatable, pending_plan_id, \
                 pending_parameters, pending_maintenance_version, pending_fingerprint, fingerprint, version \
                 FROM osb_instances WHERE instance_id = $1",
            )
            .bind(instance_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("could not read an instance"))?;
            row.as_ref()
                .map(|row| instance(row, &self.secrets))
                .transpose()
        })
        .await
    }

    async fn instance_state(&self, instance_id: &str) -> Result<Option<ResourceState>, StoreError> {
        self.bounded("instance_state", async move {
            let state: Option<String> =
                sqlx::query_scalar("SELECT state FROM osb_instances WHERE instance_id = $1")
                    .bind(instance_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(failed("could not read an instance"))?;
            state
                .map(|state| ResourceState::parse(&state).ok_or_else(|| corrupt("instance state")))
                .transpose()
        })
        .await
    }

    async fn insert_instance(&self, record: &InstanceRecord) -> Result<bool, StoreError> {
        self.bounded("insert_instance", async move {
            let query = sqlx::query(
                "INSERT INTO osb_instances (instance_id, service_id, plan_id, parameters, context, \
                 maintenance_version, dashboard_url, metadata, state, op_id, op_kind, op_state, \
                 op_description, op_runner, op_started_at, op_heartbeat_at, op_instance_usable, \
                 op_update_repeatable, pending_plan_id, pending_parameters, pending_maintenance_version, \
                 pending_fingerprint, fingerprint, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                 $19, $20, $21, $22, $23, $24) ON CONFLICT (instance_id) DO NOTHING",
            );
            let query = instance_columns(query, record, &self.secrets);
            self.insert(
                query,
                &record.instance_id,
                "",
                "could not insert an instance",
            )
            .await
        })
        .await
    }

    async fn update_instance(
        &self,
        record: &InstanceRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        self.bounded("update_instance", async move {
            let query = sqlx::query(
                "UPDATE osb_instances SET service_id = $2, plan_id = $3, parameters = $4, context = $5, \
                 maintenance_version = $6, dashboard_url = $7, metadata = $8, state = $9, op_id = $10, \
                 op_kind = $11, op_state = $12, op_description = $13, op_runner = $14, op_started_at = $15, \
                 op_heartbeat_at = $16, op_instance_usable = $17, op_update_repeatable = $18, \
                 pending_plan_id = $19, pending_parameters = $20, pending_maintenance_version = $21, \
                 pending_fingerprint = $22, fingerprint = $23, version = $24 \
                 WHERE instance_id = $1 AND version = $25",
            );
            let query = instance_columns(query, record, &self.secrets).bind(expected_version);
            Ok(query
                .execute(&self.pool)
                .await
                .map_err(failed("could not update an instance"))?
                .rows_affected()
                == 1)
        })
        .await
    }

    async fn delete_instance(
        &self,
        instance_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        self.bounded("delete_instance", async move {
            let query =
                sqlx::query("DELETE FROM osb_instances WHERE instance_id = $1 AND version = $2")
                    .bind(instance_id)
                    .bind(expected_version);
            // An instance's bindings go with it.
            let bindings =
                sqlx::query("DELETE FROM osb_bindings WHERE instance_id = $1").bind(instance_id);
            self.change(
                query,
                Some(bindings),
                tombstone,
                "could not delete an instance",
            )
            .await
        })
        .await
    }

    async fn binding(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<Option<BindingRecord>, StoreError> {
        self.bounded("binding", async move {
            let row = sqlx::query(
                "SELECT instance_id, binding_id, service_id, plan_id, parameters, bind_resource, \
                 response, state, op_id, op_kind, op_state, op_description, op_runner, op_started_at, \
                 op_heartbeat_at, op_instance_usable, op_update_repeatable, fingerprint, version \
                 FROM osb_bindings WHERE instance_id = $1 AND binding_id = $2",
            )
            .bind(instance_id)
            .bind(binding_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("could not read a binding"))?;
            row.as_ref()
                .map(|row| binding(row, &self.secrets))
                .transpose()
        })
        .await
    }

    async fn insert_binding(&self, record: &BindingRecord) -> Result<bool, StoreError> {
        self.bounded("insert_binding", async move {
            let query = sqlx::query(
                "INSERT INTO osb_bindings (instance_id, binding_id, service_id, plan_id, parameters, \
                 bind_resource, response, state, op_id, op_kind, op_state, op_description, op_runner, \
                 op_started_at, op_heartbeat_at, op_instance_usable, op_update_repeatable, fingerprint, \
                 version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19) ON CONFLICT (instance_id, binding_id) DO NOTHING",
            );
            let query = binding_columns(query, record, &self.secrets);
            self.insert(
                query,
                &record.instance_id,
                &record.binding_id,
                "could not insert a binding",
            )
            .await
        })
        .await
    }

    async fn update_binding(
        &self,
        record: &BindingRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        self.bounded("update_binding", async move {
            let query = sqlx::query(
                "UPDATE osb_bindings SET service_id = $3, plan_id = $4, parameters = $5, \
                 bind_resource = $6, response = $7, state = $8, op_id = $9, op_kind = $10, \
                 op_state = $11, op_description = $12, op_runner = $13, op_started_at = $14, \
                 op_heartbeat_at = $15, op_instance_usable = $16, op_update_repeatable = $17, \
                 fingerprint = $18, version = $19 \
                 WHERE instance_id = $1 AND binding_id = $2 AND version = $20",
            );
            Ok(binding_columns(query, record, &self.secrets)
                .bind(expected_version)
                .execute(&self.pool)
                .await
                .map_err(failed("could not update a binding"))?
                .rows_affected()
                == 1)
        })
        .await
    }

    async fn delete_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        self.bounded("delete_binding", async move {
            let query = sqlx::query(
                "DELETE FROM osb_bindings WHERE instance_id = $1 AND binding_id = $2 AND version = $3",
            )
            .bind(instance_id)
            .bind(binding_id)
            .bind(expected_version);
            self.change(query, None, tombstone, "could not delete a binding")
                .await
        })
        .await
    }

    async fn tombstone(
        &self,
        instance_id: &str,
        binding_id: Option<&str>,
    ) -> Result<Option<Tombstone>, StoreError> {
        self.bounded("tombstone", async move {
            let row = sqlx::query(
                "SELECT instance_id, binding_id, op_id, op_kind, op_state, op_description, op_runner, \
                 op_started_at, op_heartbeat_at, op_instance_usable, op_update_repeatable, deleted_at \
                 FROM osb_tombstones WHERE instance_id = $1 AND binding_id = $2",
            )
            .bind(instance_id)
            .bind(binding_id.unwrap_or_default())
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("could not read a tombstone"))?;
            let Some(row) = row else {
                return Ok(None);
            };
            let binding_id: String = row
                .try_get("binding_id")
                .map_err(failed("could not read a tombstone"))?;
            Ok(Some(Tombstone {
                instance_id: row
                    .try_get("instance_id")
                    .map_err(failed("could not read a tombstone"))?,
                binding_id: (!binding_id.is_empty()).then_some(binding_id),
                operation: operation(&row)?.ok_or_else(|| corrupt("tombstone"))?,
                deleted_at: row
                    .try_get("deleted_at")
                    .map_err(failed("could not read a tombstone"))?,
            }))
        })
        .await
    }

    async fn stale_operations(
        &self,
        heartbeat_before: i64,
    ) -> Result<Vec<ResourceKey>, StoreError> {
        self.bounded("stale_operations", async move {
            let instances = sqlx::query(
                "SELECT instance_id FROM osb_instances \
                 WHERE op_runner = 1 AND op_state = 'in progress' AND op_heartbeat_at < $1",
            )
            .bind(heartbeat_before)
            .fetch_all(&self.pool)
            .await
            .map_err(failed("could not look for interrupted operations"))?;
            let bindings = sqlx::query(
                "SELECT instance_id, binding_id FROM osb_bindings \
                 WHERE op_runner = 1 AND op_state = 'in progress' AND op_heartbeat_at < $1",
            )
            .bind(heartbeat_before)
            .fetch_all(&self.pool)
            .await
            .map_err(failed("could not look for interrupted operations"))?;
            let mut keys = Vec::with_capacity(instances.len() + bindings.len());
            for row in instances {
                keys.push(ResourceKey::Instance(
                    row.try_get(0).map_err(failed("could not read a key"))?,
                ));
            }
            for row in bindings {
                keys.push(ResourceKey::Binding(
                    row.try_get(0).map_err(failed("could not read a key"))?,
                    row.try_get(1).map_err(failed("could not read a key"))?,
                ));
            }
            Ok(keys)
        })
        .await
    }

    async fn prune_tombstones(
        &self,
        deleted_before: i64,
        keep_at_most: usize,
    ) -> Result<(), StoreError> {
        self.bounded("prune_tombstones", async move {
            sqlx::query("DELETE FROM osb_tombstones WHERE deleted_at < $1")
                .bind(deleted_before)
                .execute(&self.pool)
                .await
                .map_err(failed("could not prune tombstones"))?;
            let keep = i64::try_from(keep_at_most).unwrap_or(i64::MAX);
            sqlx::query(
                "DELETE FROM osb_tombstones WHERE deleted_at < (SELECT MIN(deleted_at) FROM \
                 (SELECT deleted_at FROM osb_tombstones ORDER BY deleted_at DESC LIMIT $1) AS newest)",
            )
            .bind(keep)
            .execute(&self.pool)
            .await
            .map_err(failed("could not prune tombstones"))?;
            Ok(())
        })
        .await
    }

    fn sole_user_since(&self) -> Option<i64> {
        self.lock.as_ref().map(|lock| lock.since)
    }
}

async fn bury(tx: &mut Transaction, tombstone: &Tombstone) -> Result<(), StoreError> {
    let query = sqlx::query(
        "INSERT INTO osb_tombstones (instance_id, binding_id, op_id, op_kind, op_state, \
         op_description, op_runner, op_started_at, op_heartbeat_at, op_instance_usable, \
         op_update_repeatable, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (instance_id, binding_id) DO UPDATE SET op_id = excluded.op_id, \
         op_kind = excluded.op_kind, op_state = excluded.op_state, \
         op_description = excluded.op_description, op_runner = excluded.op_runner, \
         op_started_at = excluded.op_started_at, op_heartbeat_at = excluded.op_heartbeat_at, \
         op_instance_usable = excluded.op_instance_usable, \
         op_update_repeatable = excluded.op_update_repeatable, deleted_at = excluded.deleted_at",
    )
    .bind(&tombstone.instance_id)
    .bind(tombstone.binding_id.as_deref().unwrap_or_default());
    bind_operation(query, Some(&tombstone.operation))
        .bind(tombstone.deleted_at)
        .execute(tx.connection()?)
        .await
        .map_err(failed("could not write a tombstone"))?;
    Ok(())
}
