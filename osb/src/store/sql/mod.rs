//! SQLite and PostgreSQL stores: one set of statements, the database chosen by URL.
//! SQLite through rusqlite on a thread of its own (`sqlite/`), PostgreSQL through
//! tokio-postgres with a deadpool pool (`postgres/`). Every change is one conditional statement
//! (or one transaction), so replicas sharing a PostgreSQL database never overwrite
//! each other.
//!
//! Every call is bounded by [`SqlOptions::timeout`], waiting for a connection
//! included; a failure that passes (unreachable, overloaded, full) is an
//! [`unavailable`](StoreError::unavailable) error, answered 503 with `Retry-After`.

mod columns;
mod database;
mod fault;
mod inserts;
mod open;
mod options;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod process_lock;
mod rekey;
mod secrets;
#[cfg(feature = "sqlite")]
mod sqlite;
mod statement;
mod target;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::interface::{BindingInsert, Store, StoreError};
use super::key::ResourceKey;
use super::record::{BindingRecord, InstanceRecord, OperationRecord, ResourceState, Tombstone};
use columns::{
    bind_operation, binding, binding_columns, corrupt, instance, instance_columns,
    instance_for_fetch, operation,
};
use database::Database;
use fault::timed_out;
use inserts::{BINDING, BINDING_IF_BINDABLE, INSTANCE};
pub use options::SqlOptions;
pub use secrets::EncryptionKey;
use secrets::Secrets;
use statement::{Cells, Statement};
use target::Target;

/// The schema, versioned: applied in order when a store opens, each version once
/// (recorded in `_sqlx_migrations`; on PostgreSQL under a lock, so replicas starting
/// together do not race).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "osb state", include_str!("migrations/0001_state.sql")),
    (
        2,
        "osb settings",
        include_str!("migrations/0002_settings.sql"),
    ),
    (
        3,
        "osb running indexes",
        include_str!("migrations/0003_running_indexes.sql"),
    ),
];

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
    database: Arc<Database>,
    target: Arc<Target>,
    timeout: Duration,
    /// A SQLite file's: this process has it to itself.
    #[cfg(feature = "sqlite")]
    lock: Option<Arc<process_lock::ProcessLock>>,
    /// The keys of what is stored encrypted.
    secrets: Arc<Secrets>,
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
        let secrets = Secrets::new(options.keys.clone(), options.encrypt_parameters);
        if options.encrypt_parameters && secrets.current().is_none() {
            return Err(StoreError::new(
                "encrypt_parameters needs an encryption key (SqlOptions::encryption_key)",
            ));
        }
        let opened = open::open(url, options).await?;
        rekey::check_keys(&opened.database, &secrets, options.connect_timeout).await?;
        Ok(Self {
            database: Arc::new(opened.database),
            target: Arc::new(opened.target),
            timeout: options.timeout,
            #[cfg(feature = "sqlite")]
            lock: opened.lock,
            secrets: Arc::new(secrets),
        })
    }

    /// Runs one call of the store, `what`, within the store's timeout, timed for the
    /// metrics (`crate::metrics`); a failure that passes says to retry after as long.
    ///
    /// Timed here, inside the call's boxed future, rather than by the lifecycle around
    /// it: the timer there made the bind's request future too large for glibc's
    /// per-thread cache (`lifecycle::dispatch`'s tests).
    async fn bounded<T>(
        &self,
        what: &'static str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(timed_out(what, self.timeout)),
        };
        let error = match &result {
            Ok(_) => None,
            Err(err) if err.is_unavailable() => Some("unavailable"),
            Err(_) => Some("other"),
        };
        crate::metrics::store_call(what, started.elapsed(), error);
        result.map_err(|err| {
            let err = err.with_retry_after(self.timeout.max(Duration::from_secs(1)));
            if err.is_unavailable() {
                tracing::warn!(database = %self.target, error = %err, "the state store is unavailable");
            }
            err
        })
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError> {
        let statement = Statement::new(
            "SELECT instance_id, service_id, plan_id, parameters, context, maintenance_version, \
             dashboard_url, metadata, state, op_id, op_kind, op_state, op_description, op_runner, \
             op_started_at, op_heartbeat_at, op_instance_usable, op_update_repeatable, \
             pending_plan_id, pending_parameters, pending_maintenance_version, \
             pending_fingerprint, fingerprint, version FROM osb_instances WHERE instance_id = $1",
        )
        .bind(instance_id);
        let secrets = self.secrets.clone();
        self.bounded(
            "instance",
            self.database
                .query_opt(statement, "could not read an instance", move |row| {
                    instance(row, &secrets)
                }),
        )
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.bounded(
            "ping",
            self.database.query_opt(
                Statement::new("SELECT 1 AS one"),
                "could not reach the database",
                |_| Ok(()),
            ),
        )
        .await
        .map(drop)
    }

    async fn instance_state(&self, instance_id: &str) -> Result<Option<ResourceState>, StoreError> {
        let statement = Statement::new("SELECT state FROM osb_instances WHERE instance_id = $1")
            .bind(instance_id);
        self.bounded(
            "instance_state",
            self.database
                .query_opt(statement, "could not read an instance", |row| {
                    let state = row.required_text("state")?;
                    ResourceState::parse(&state).ok_or_else(|| corrupt("instance state"))
                }),
        )
        .await
    }

    async fn instance_operation(
        &self,
        instance_id: &str,
    ) -> Result<Option<(String, Option<OperationRecord>)>, StoreError> {
        let statement = Statement::new(
            "SELECT plan_id, op_id, op_kind, op_state, op_description, op_runner, \
             op_started_at, op_heartbeat_at, op_instance_usable, op_update_repeatable \
             FROM osb_instances WHERE instance_id = $1",
        )
        .bind(instance_id);
        self.bounded(
            "instance_operation",
            self.database
                .query_opt(statement, "could not read an instance", |row| {
                    Ok((row.required_text("plan_id")?, operation(row)?))
                }),
        )
        .await
    }

    async fn instance_for_fetch(
        &self,
        instance_id: &str,
    ) -> Result<Option<InstanceRecord>, StoreError> {
        let statement = Statement::new(
            "SELECT instance_id, service_id, plan_id, parameters, maintenance_version, \
             dashboard_url, metadata, state FROM osb_instances WHERE instance_id = $1",
        )
        .bind(instance_id);
        let secrets = self.secrets.clone();
        self.bounded(
            "instance_for_fetch",
            self.database
                .query_opt(statement, "could not read an instance", move |row| {
                    instance_for_fetch(row, &secrets)
                }),
        )
        .await
    }

    async fn insert_instance(&self, record: &InstanceRecord) -> Result<bool, StoreError> {
        let statement = instance_columns(Statement::new(INSTANCE.insert), record, &self.secrets);
        self.bounded(
            "insert_instance",
            self.database
                .insert(&INSTANCE, statement, "could not insert an instance"),
        )
        .await
    }

    async fn update_instance(
        &self,
        record: &InstanceRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let statement = Statement::new(
            "UPDATE osb_instances SET service_id = $2, plan_id = $3, parameters = $4, context = $5, \
             maintenance_version = $6, dashboard_url = $7, metadata = $8, state = $9, op_id = $10, \
             op_kind = $11, op_state = $12, op_description = $13, op_runner = $14, op_started_at = $15, \
             op_heartbeat_at = $16, op_instance_usable = $17, op_update_repeatable = $18, \
             pending_plan_id = $19, pending_parameters = $20, pending_maintenance_version = $21, \
             pending_fingerprint = $22, fingerprint = $23, version = $24 \
             WHERE instance_id = $1 AND version = $25",
        );
        let statement = instance_columns(statement, record, &self.secrets).bind(expected_version);
        self.bounded(
            "update_instance",
            self.database
                .execute(statement, "could not update an instance"),
        )
        .await
        .map(|changed| changed == 1)
    }

    async fn delete_instance(
        &self,
        instance_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        let delete =
            Statement::new("DELETE FROM osb_instances WHERE instance_id = $1 AND version = $2")
                .bind(instance_id)
                .bind(expected_version);
        // An instance's bindings go with it.
        let mut then = vec![
            Statement::new("DELETE FROM osb_bindings WHERE instance_id = $1").bind(instance_id),
        ];
        then.extend(tombstone.map(bury));
        self.bounded(
            "delete_instance",
            self.database
                .change(delete, then, "could not delete an instance"),
        )
        .await
    }

    async fn binding(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<Option<BindingRecord>, StoreError> {
        let statement = Statement::new(
            "SELECT instance_id, binding_id, service_id, plan_id, parameters, bind_resource, \
             response, state, op_id, op_kind, op_state, op_description, op_runner, op_started_at, \
             op_heartbeat_at, op_instance_usable, op_update_repeatable, fingerprint, version \
             FROM osb_bindings WHERE instance_id = $1 AND binding_id = $2",
        )
        .bind(instance_id)
        .bind(binding_id);
        let secrets = self.secrets.clone();
        self.bounded(
            "binding",
            self.database
                .query_opt(statement, "could not read a binding", move |row| {
                    binding(row, &secrets)
                }),
        )
        .await
    }

    async fn insert_binding(&self, record: &BindingRecord) -> Result<bool, StoreError> {
        let statement = binding_columns(Statement::new(BINDING.insert), record, &self.secrets);
        self.bounded(
            "insert_binding",
            self.database
                .insert(&BINDING, statement, "could not insert a binding"),
        )
        .await
    }

    async fn insert_binding_if_bindable(
        &self,
        record: &BindingRecord,
    ) -> Result<BindingInsert, StoreError> {
        let statement = binding_columns(
            Statement::new(BINDING_IF_BINDABLE.insert),
            record,
            &self.secrets,
        );
        let inserted = self.bounded(
            "insert_binding_if_bindable",
            self.database.insert(
                &BINDING_IF_BINDABLE,
                statement,
                "could not insert a binding",
            ),
        );
        if inserted.await? {
            return Ok(BindingInsert::Inserted);
        }
        // Nothing written: the instance says why (a binding with this key exists, or
        // the instance is missing or not bindable).
        Ok(match self.instance_state(&record.instance_id).await? {
            Some(state) if state.bindable() => BindingInsert::Taken,
            instance => BindingInsert::Unbindable(instance),
        })
    }

    async fn update_binding(
        &self,
        record: &BindingRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let statement = Statement::new(
            "UPDATE osb_bindings SET service_id = $3, plan_id = $4, parameters = $5, \
             bind_resource = $6, response = $7, state = $8, op_id = $9, op_kind = $10, \
             op_state = $11, op_description = $12, op_runner = $13, op_started_at = $14, \
             op_heartbeat_at = $15, op_instance_usable = $16, op_update_repeatable = $17, \
             fingerprint = $18, version = $19 \
             WHERE instance_id = $1 AND binding_id = $2 AND version = $20",
        );
        let statement = binding_columns(statement, record, &self.secrets).bind(expected_version);
        self.bounded(
            "update_binding",
            self.database
                .execute(statement, "could not update a binding"),
        )
        .await
        .map(|changed| changed == 1)
    }

    async fn delete_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        let delete = Statement::new(
            "DELETE FROM osb_bindings WHERE instance_id = $1 AND binding_id = $2 AND version = $3",
        )
        .bind(instance_id)
        .bind(binding_id)
        .bind(expected_version);
        let then = tombstone.map(bury).into_iter().collect();
        self.bounded(
            "delete_binding",
            self.database
                .change(delete, then, "could not delete a binding"),
        )
        .await
    }

    async fn tombstone(
        &self,
        instance_id: &str,
        binding_id: Option<&str>,
    ) -> Result<Option<Tombstone>, StoreError> {
        let statement = Statement::new(
            "SELECT instance_id, binding_id, op_id, op_kind, op_state, op_description, op_runner, \
             op_started_at, op_heartbeat_at, op_instance_usable, op_update_repeatable, deleted_at \
             FROM osb_tombstones WHERE instance_id = $1 AND binding_id = $2",
        )
        .bind(instance_id)
        .bind(binding_id.unwrap_or_default());
        self.bounded(
            "tombstone",
            self.database
                .query_opt(statement, "could not read a tombstone", tombstone),
        )
        .await
    }

    async fn stale_operations(
        &self,
        heartbeat_before: i64,
    ) -> Result<Vec<ResourceKey>, StoreError> {
        let instances = Statement::new(
            "SELECT instance_id FROM osb_instances \
             WHERE op_runner = 1 AND op_state = 'in progress' AND op_heartbeat_at < $1",
        )
        .bind(heartbeat_before);
        let bindings = Statement::new(
            "SELECT instance_id, binding_id FROM osb_bindings \
             WHERE op_runner = 1 AND op_state = 'in progress' AND op_heartbeat_at < $1",
        )
        .bind(heartbeat_before);
        let what = "could not look for interrupted operations";
        self.bounded("stale_operations", async {
            let mut keys = self
                .database
                .query_all(instances, what, |row| {
                    Ok(ResourceKey::Instance(row.required_text("instance_id")?))
                })
                .await?;
            keys.extend(
                self.database
                    .query_all(bindings, what, |row| {
                        Ok(ResourceKey::Binding(
                            row.required_text("instance_id")?,
                            row.required_text("binding_id")?,
                        ))
                    })
                    .await?,
            );
            Ok(keys)
        })
        .await
    }

    async fn prune_tombstones(
        &self,
        deleted_before: i64,
        keep_at_most: usize,
    ) -> Result<(), StoreError> {
        let old =
            Statement::new("DELETE FROM osb_tombstones WHERE deleted_at < $1").bind(deleted_before);
        let keep = i64::try_from(keep_at_most).unwrap_or(i64::MAX);
        let beyond = Statement::new(
            "DELETE FROM osb_tombstones WHERE deleted_at < (SELECT MIN(deleted_at) FROM \
             (SELECT deleted_at FROM osb_tombstones ORDER BY deleted_at DESC LIMIT $1) AS newest)",
        )
        .bind(keep);
        let what = "could not prune tombstones";
        self.bounded("prune_tombstones", async {
            self.database.execute(old, what).await?;
            self.database.execute(beyond, what).await?;
            Ok(())
        })
        .await
    }

    fn sole_user_since(&self) -> Option<i64> {
        #[cfg(feature = "sqlite")]
        return self.lock.as_ref().map(|lock| lock.since);
        #[cfg(not(feature = "sqlite"))]
        None
    }
}

/// The tombstone of a row of `osb_tombstones`.
fn tombstone(row: &dyn Cells) -> Result<Tombstone, StoreError> {
    let binding_id = row.required_text("binding_id")?;
    Ok(Tombstone {
        instance_id: row.required_text("instance_id")?,
        binding_id: (!binding_id.is_empty()).then_some(binding_id),
        operation: operation(row)?.ok_or_else(|| corrupt("tombstone"))?,
        deleted_at: row.required_int("deleted_at")?,
    })
}

/// The statement that leaves `tombstone`.
fn bury(tombstone: &Tombstone) -> Statement {
    let statement = Statement::new(
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
    .bind(tombstone.instance_id.as_str())
    .bind(tombstone.binding_id.as_deref().unwrap_or_default());
    bind_operation(statement, Some(&tombstone.operation)).bind(tombstone.deleted_at)
}
