//! SQLite and PostgreSQL stores, on sqlx's `Any` driver: one implementation, the
//! database chosen by URL. Every change is one conditional statement (or one
//! transaction), so replicas sharing a PostgreSQL database never overwrite each other.

use std::fmt;

use async_trait::async_trait;
use serde_json::value::RawValue;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Row, SqlSafeStr};

use super::interface::{Store, StoreError};
use super::key::ResourceKey;
use super::record::{
    BindingRecord, Fingerprint, InstanceRecord, OperationKind, OperationRecord, PendingUpdate,
    ResourceState, Tombstone, operation_state_str, parse_operation_state,
};

/// The schema, versioned: applied in order at start-up, each version once (sqlx
/// records them in `_sqlx_migrations`, under a lock on PostgreSQL, so replicas
/// starting together do not race).
const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "osb state", include_str!("migrations/0001_state.sql"))];

#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> futures_core::future::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>>
    {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        (*description).into(),
                        MigrationType::Simple,
                        sql.into_sql_str(),
                        false,
                    )
                })
                .collect())
        })
    }
}

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
    url: String,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: show the scheme only.
        let scheme = self.url.split(':').next().unwrap_or("?");
        f.debug_struct("SqlStore")
            .field("database", &scheme)
            .finish()
    }
}

fn failed(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |err| StoreError::caused_by(what, err)
}

/// Where a store URL points, to name it in messages without its password.
enum Target {
    SqliteFile(String),
    SqliteMemory,
    /// `host:port/database` of a server URL.
    Server(String),
}

impl Target {
    fn of(url: &str) -> Self {
        let without_query = url.split('?').next().unwrap_or(url);
        if let Some(rest) = without_query.strip_prefix("sqlite:") {
            if rest.contains(":memory:") {
                return Self::SqliteMemory;
            }
            return Self::SqliteFile(rest.strip_prefix("//").unwrap_or(rest).to_owned());
        }
        let rest = without_query
            .split_once("://")
            .map_or(without_query, |(_, rest)| rest);
        // Credentials come before the last `@`; they are never shown.
        let place = rest.rsplit_once('@').map_or(rest, |(_, place)| place);
        Self::Server(place.to_owned())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SqliteFile(path) => write!(f, "(SQLite file {path})"),
            Self::SqliteMemory => f.write_str("(SQLite in memory)"),
            Self::Server(place) => write!(f, "at {place}"),
        }
    }
}

impl SqlStore {
    /// Connects to `url` (`sqlite://path/to/file.db`, `sqlite::memory:`,
    /// `postgres://user:password@host/database`) and applies the schema migrations.
    /// A SQLite file is created if missing.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}mode=rwc")
        } else {
            url.to_owned()
        };
        let mut options = AnyPoolOptions::new().max_connections(if sqlite { 4 } else { 16 });
        if sqlite {
            options = options.after_connect(|connection, _| {
                Box::pin(async move {
                    // WAL lets readers run while a write commits; the busy timeout makes a
                    // writer wait for the lock instead of failing.
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *connection)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *connection)
                        .await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *connection)
                        .await?;
                    Ok(())
                })
            });
        }
        if url.contains(":memory:") {
            // Each connection to `:memory:` is a database of its own.
            options = options.max_connections(1);
        }
        let target = Target::of(&url);
        if let Target::SqliteFile(path) = &target {
            // sqlx says only "unable to open database file": name the directory instead.
            let directory = std::path::Path::new(path).parent();
            if let Some(directory) = directory.filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
            {
                return Err(StoreError::new(format!(
                    "could not create the SQLite database {path}: the directory {} does not exist",
                    directory.display()
                )));
            }
        }
        let pool = options.connect(&url).await.map_err(|err| {
            let message = format!("could not connect to the database {target}: {err}");
            StoreError::caused_by(message, err)
        })?;
        let migrator = Migrator::new(Embedded)
            .await
            .map_err(|err| StoreError::caused_by("could not load the schema migrations", err))?;
        migrator
            .run(&pool)
            .await
            .map_err(|err| StoreError::caused_by("could not migrate the database schema", err))?;
        Ok(Self { pool, url })
    }
}

/// A statement with its arguments bound.
type Statement<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

impl SqlStore {
    /// Runs `change` and, if it changed a row, `then` (if any) and the burial of
    /// `tombstone`:
    /// one transaction. Says whether `change` changed a row (nothing is written
    /// otherwise).
    async fn change(
        &self,
        change: Statement<'_>,
        then: Option<Statement<'_>>,
        tombstone: Option<&Tombstone>,
        what: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(failed("could not start a transaction"))?;
        let changed = change
            .execute(&mut *tx)
            .await
            .map_err(failed(what))?
            .rows_affected()
            == 1;
        if !changed {
            return Ok(false);
        }
        if let Some(then) = then {
            then.execute(&mut *tx).await.map_err(failed(what))?;
        }
        if let Some(tombstone) = tombstone {
            bury(&mut tx, tombstone).await?;
        }
        tx.commit().await.map_err(failed("could not commit"))?;
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

fn raw(text: Option<String>) -> Result<Option<Box<RawValue>>, StoreError> {
    text.map(|text| {
        RawValue::from_string(text)
            .map_err(|err| StoreError::caused_by("a stored JSON value is invalid", err))
    })
    .transpose()
}

fn text(value: &Option<Box<RawValue>>) -> Option<&str> {
    value.as_deref().map(RawValue::get)
}

fn flag(value: Option<bool>) -> Option<i64> {
    value.map(i64::from)
}

fn corrupt(what: &str) -> StoreError {
    StoreError::new(format!("a stored {what} is not one this version knows"))
}

/// A fingerprint as stored: 64 hex digits.
fn parse_fingerprint(text: &str) -> Result<Fingerprint, StoreError> {
    Fingerprint::from_hex(text).ok_or_else(|| corrupt("fingerprint"))
}

fn operation(row: &AnyRow) -> Result<Option<OperationRecord>, StoreError> {
    let get = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .map_err(failed("could not read an operation"))
    };
    let get_int = |column: &str| {
        row.try_get::<Option<i64>, _>(column)
            .map_err(failed("could not read an operation"))
    };
    let Some(kind) = get("op_kind")? else {
        return Ok(None);
    };
    let state = get("op_state")?.unwrap_or_default();
    Ok(Some(OperationRecord {
        id: get("op_id")?,
        kind: OperationKind::parse(&kind).ok_or_else(|| corrupt("operation kind"))?,
        state: parse_operation_state(&state).ok_or_else(|| corrupt("operation state"))?,
        description: get("op_description")?,
        runner: get_int("op_runner")?.unwrap_or(0) != 0,
        started_at: get_int("op_started_at")?.unwrap_or(0),
        heartbeat_at: get_int("op_heartbeat_at")?.unwrap_or(0),
        instance_usable: get_int("op_instance_usable")?.map(|v| v != 0),
        update_repeatable: get_int("op_update_repeatable")?.map(|v| v != 0),
    }))
}

/// The values of the `op_*` columns, in their order in the statements below.
struct OperationColumns<'a> {
    id: Option<&'a str>,
    kind: Option<&'static str>,
    state: Option<&'static str>,
    description: Option<&'a str>,
    runner: Option<i64>,
    started_at: Option<i64>,
    heartbeat_at: Option<i64>,
    instance_usable: Option<i64>,
    update_repeatable: Option<i64>,
}

impl<'a> OperationColumns<'a> {
    fn of(operation: &'a Option<OperationRecord>) -> Self {
        match operation {
            None => Self {
                id: None,
                kind: None,
                state: None,
                description: None,
                runner: None,
                started_at: None,
                heartbeat_at: None,
                instance_usable: None,
                update_repeatable: None,
            },
            Some(op) => Self {
                id: op.id.as_deref(),
                kind: Some(op.kind.as_str()),
                state: Some(operation_state_str(op.state)),
                description: op.description.as_deref(),
                runner: Some(i64::from(op.runner)),
                started_at: Some(op.started_at),
                heartbeat_at: Some(op.heartbeat_at),
                instance_usable: flag(op.instance_usable),
                update_repeatable: flag(op.update_repeatable),
            },
        }
    }
}

macro_rules! bind_operation {
    ($query:expr, $op:expr) => {{
        let op = $op;
        $query
            .bind(op.id)
            .bind(op.kind)
            .bind(op.state)
            .bind(op.description)
            .bind(op.runner)
            .bind(op.started_at)
            .bind(op.heartbeat_at)
            .bind(op.instance_usable)
            .bind(op.update_repeatable)
    }};
}

fn instance(row: &AnyRow) -> Result<InstanceRecord, StoreError> {
    let get = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .map_err(failed("could not read an instance"))
    };
    let required = |column: &str| {
        row.try_get::<String, _>(column)
            .map_err(failed("could not read an instance"))
    };
    let state = required("state")?;
    let pending = match get("pending_fingerprint")? {
        Some(fingerprint) => Some(PendingUpdate {
            plan_id: get("pending_plan_id")?,
            parameters: raw(get("pending_parameters")?)?,
            maintenance_version: get("pending_maintenance_version")?,
            fingerprint: parse_fingerprint(&fingerprint)?,
        }),
        None => None,
    };
    Ok(InstanceRecord {
        instance_id: required("instance_id")?,
        service_id: required("service_id")?,
        plan_id: required("plan_id")?,
        parameters: raw(get("parameters")?)?,
        context: raw(get("context")?)?,
        maintenance_version: get("maintenance_version")?,
        dashboard_url: get("dashboard_url")?,
        metadata: raw(get("metadata")?)?,
        state: ResourceState::parse(&state).ok_or_else(|| corrupt("instance state"))?,
        operation: operation(row)?,
        pending,
        fingerprint: parse_fingerprint(&required("fingerprint")?)?,
        version: row
            .try_get::<i64, _>("version")
            .map_err(failed("could not read an instance"))?,
    })
}

fn binding(row: &AnyRow) -> Result<BindingRecord, StoreError> {
    let get = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .map_err(failed("could not read a binding"))
    };
    let required = |column: &str| {
        row.try_get::<String, _>(column)
            .map_err(failed("could not read a binding"))
    };
    let state = required("state")?;
    Ok(BindingRecord {
        instance_id: required("instance_id")?,
        binding_id: required("binding_id")?,
        service_id: required("service_id")?,
        plan_id: required("plan_id")?,
        parameters: raw(get("parameters")?)?,
        bind_resource: raw(get("bind_resource")?)?,
        response: raw(get("response")?)?,
        state: ResourceState::parse(&state).ok_or_else(|| corrupt("binding state"))?,
        operation: operation(row)?,
        fingerprint: parse_fingerprint(&required("fingerprint")?)?,
        version: row
            .try_get::<i64, _>("version")
            .map_err(failed("could not read a binding"))?,
    })
}

/// `query` with an instance's columns bound, in the order of the statements below.
fn instance_columns<'q>(query: Statement<'q>, record: &'q InstanceRecord) -> Statement<'q> {
    let pending = record.pending.as_ref();
    let query = query
        .bind(&record.instance_id)
        .bind(&record.service_id)
        .bind(&record.plan_id)
        .bind(text(&record.parameters))
        .bind(text(&record.context))
        .bind(record.maintenance_version.as_deref())
        .bind(record.dashboard_url.as_deref())
        .bind(text(&record.metadata))
        .bind(record.state.as_str());
    bind_operation!(query, OperationColumns::of(&record.operation))
        .bind(pending.and_then(|p| p.plan_id.as_deref()))
        .bind(pending.and_then(|p| text(&p.parameters)))
        .bind(pending.and_then(|p| p.maintenance_version.as_deref()))
        .bind(pending.map(|p| p.fingerprint.to_hex()))
        .bind(record.fingerprint.to_hex())
        .bind(record.version)
}

/// `query` with a binding's columns bound, in the order of the statements below.
fn binding_columns<'q>(query: Statement<'q>, record: &'q BindingRecord) -> Statement<'q> {
    let query = query
        .bind(&record.instance_id)
        .bind(&record.binding_id)
        .bind(&record.service_id)
        .bind(&record.plan_id)
        .bind(text(&record.parameters))
        .bind(text(&record.bind_resource))
        .bind(text(&record.response))
        .bind(record.state.as_str());
    bind_operation!(query, OperationColumns::of(&record.operation))
        .bind(record.fingerprint.to_hex())
        .bind(record.version)
}

#[async_trait]
impl Store for SqlStore {
    async fn instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError> {
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
        row.as_ref().map(instance).transpose()
    }

    async fn instance_state(&self, instance_id: &str) -> Result<Option<ResourceState>, StoreError> {
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM osb_instances WHERE instance_id = $1")
                .bind(instance_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(failed("could not read an instance"))?;
        state
            .map(|state| ResourceState::parse(&state).ok_or_else(|| corrupt("instance state")))
            .transpose()
    }

    async fn insert_instance(&self, record: &InstanceRecord) -> Result<bool, StoreError> {
        let query = sqlx::query(
            "INSERT INTO osb_instances (instance_id, service_id, plan_id, parameters, context, \
             maintenance_version, dashboard_url, metadata, state, op_id, op_kind, op_state, \
             op_description, op_runner, op_started_at, op_heartbeat_at, op_instance_usable, \
             op_update_repeatable, pending_plan_id, pending_parameters, pending_maintenance_version, \
             pending_fingerprint, fingerprint, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
             $19, $20, $21, $22, $23, $24) ON CONFLICT (instance_id) DO NOTHING",
        );
        let query = instance_columns(query, record);
        self.insert(
            query,
            &record.instance_id,
            "",
            "could not insert an instance",
        )
        .await
    }

    async fn update_instance(
        &self,
        record: &InstanceRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let query = sqlx::query(
            "UPDATE osb_instances SET service_id = $2, plan_id = $3, parameters = $4, context = $5, \
             maintenance_version = $6, dashboard_url = $7, metadata = $8, state = $9, op_id = $10, \
             op_kind = $11, op_state = $12, op_description = $13, op_runner = $14, op_started_at = $15, \
             op_heartbeat_at = $16, op_instance_usable = $17, op_update_repeatable = $18, \
             pending_plan_id = $19, pending_parameters = $20, pending_maintenance_version = $21, \
             pending_fingerprint = $22, fingerprint = $23, version = $24 \
             WHERE instance_id = $1 AND version = $25",
        );
        let query = instance_columns(query, record).bind(expected_version);
        Ok(query
            .execute(&self.pool)
            .await
            .map_err(failed("could not update an instance"))?
            .rows_affected()
            == 1)
    }

    async fn delete_instance(
        &self,
        instance_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
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
    }

    async fn binding(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<Option<BindingRecord>, StoreError> {
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
        row.as_ref().map(binding).transpose()
    }

    async fn insert_binding(&self, record: &BindingRecord) -> Result<bool, StoreError> {
        let query = sqlx::query(
            "INSERT INTO osb_bindings (instance_id, binding_id, service_id, plan_id, parameters, \
             bind_resource, response, state, op_id, op_kind, op_state, op_description, op_runner, \
             op_started_at, op_heartbeat_at, op_instance_usable, op_update_repeatable, fingerprint, \
             version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19) ON CONFLICT (instance_id, binding_id) DO NOTHING",
        );
        let query = binding_columns(query, record);
        self.insert(
            query,
            &record.instance_id,
            &record.binding_id,
            "could not insert a binding",
        )
        .await
    }

    async fn update_binding(
        &self,
        record: &BindingRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let query = sqlx::query(
            "UPDATE osb_bindings SET service_id = $3, plan_id = $4, parameters = $5, \
             bind_resource = $6, response = $7, state = $8, op_id = $9, op_kind = $10, \
             op_state = $11, op_description = $12, op_runner = $13, op_started_at = $14, \
             op_heartbeat_at = $15, op_instance_usable = $16, op_update_repeatable = $17, \
             fingerprint = $18, version = $19 \
             WHERE instance_id = $1 AND binding_id = $2 AND version = $20",
        );
        Ok(binding_columns(query, record)
            .bind(expected_version)
            .execute(&self.pool)
            .await
            .map_err(failed("could not update a binding"))?
            .rows_affected()
            == 1)
    }

    async fn delete_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        let query = sqlx::query(
            "DELETE FROM osb_bindings WHERE instance_id = $1 AND binding_id = $2 AND version = $3",
        )
        .bind(instance_id)
        .bind(binding_id)
        .bind(expected_version);
        self.change(query, None, tombstone, "could not delete a binding")
            .await
    }

    async fn tombstone(
        &self,
        instance_id: &str,
        binding_id: Option<&str>,
    ) -> Result<Option<Tombstone>, StoreError> {
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
    }

    async fn stale_operations(
        &self,
        heartbeat_before: i64,
    ) -> Result<Vec<ResourceKey>, StoreError> {
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
    }

    async fn prune_tombstones(
        &self,
        deleted_before: i64,
        keep_at_most: usize,
    ) -> Result<(), StoreError> {
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
    }
}

async fn bury(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tombstone: &Tombstone,
) -> Result<(), StoreError> {
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
    let operation = Some(tombstone.operation.clone());
    bind_operation!(query, OperationColumns::of(&operation))
        .bind(tombstone.deleted_at)
        .execute(&mut **tx)
        .await
        .map_err(failed("could not write a tombstone"))?;
    Ok(())
}

#[cfg(test)]
mod target_tests {
    use super::Target;

    #[test]
    fn names_the_place_never_the_password() {
        assert_eq!(
            Target::of("postgres://user:secret@db.example:5432/osb?sslmode=require").to_string(),
            "at db.example:5432/osb"
        );
        assert_eq!(
            Target::of("sqlite://data/broker.db?mode=rwc").to_string(),
            "(SQLite file data/broker.db)"
        );
        assert_eq!(
            Target::of("sqlite::memory:").to_string(),
            "(SQLite in memory)"
        );
    }
}
