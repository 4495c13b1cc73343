//! The baseline's state in a database, written by hand: the benchmarked routes'
//! bookkeeping (idempotent provision and bind, 404 while created, the last operation)
//! with the fewest statements a careful engineer would write for the same guarantees
//! as the framework's store:
//!
//! - a resource is **claimed before** the broker's backend would be called (a row in
//!   state `creating`, inserted only if the id is free), then **settled**: two replicas
//!   never both create it, and an identical request meanwhile sees it in progress;
//! - a claim forgets a tombstone of the same id in the same round trip, so a finished
//!   delete polled later answers `succeeded` until the id is used again;
//! - every write is committed before the answer (SQLite: WAL, `synchronous = NORMAL`,
//!   as the framework's store).
//!
//! SQLite through rusqlite on one dedicated thread (prepared statements cached; each
//! call one hop to the thread), PostgreSQL through tokio-postgres (prepared statements,
//! 16 connections, one round trip per statement: the claim and the tombstone in one
//! statement).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use osb::Error;
use osb::response::OperationState;
use rand::Rng as _;
use rand::distr::Alphanumeric;

use crate::store::{Credentials, InstanceSpec, LastOp, Outcome, PlanKind};

/// A database holding the baseline's instances and bindings.
pub enum SqlStore {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

fn internal(err: impl std::fmt::Display) -> Error {
    Error::internal(std::io::Error::other(err.to_string()))
}

fn plan_id(plan: PlanKind) -> &'static str {
    plan.name()
}

fn plan_of(name: &str) -> PlanKind {
    if name == PlanKind::Large.name() {
        PlanKind::Large
    } else {
        PlanKind::Small
    }
}

fn random_string(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn credentials(instance_id: &str, binding_id: &str) -> Credentials {
    Credentials {
        uri: format!("inmemory://{instance_id}/{binding_id}"),
        username: format!("user-{}", random_string(8).to_lowercase()),
        password: random_string(24),
    }
}

fn encode(credentials: &Credentials) -> String {
    serde_json::json!({
        "uri": credentials.uri, "username": credentials.username, "password": credentials.password,
    })
    .to_string()
}

fn decode(text: &str) -> Result<Credentials, Error> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(internal)?;
    let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
    Ok(Credentials {
        uri: field("uri"),
        username: field("username"),
        password: field("password"),
    })
}

fn missing(id: &str) -> Error {
    Error::instance_not_found().with_description(format!("service instance `{id}` does not exist"))
}

fn busy(what: &str) -> Error {
    Error::concurrency_error().with_description(format!("{what} is being changed"))
}

/// What a provision found under its id when the claim did not insert.
fn existing_instance(
    id: &str,
    spec: &InstanceSpec,
    found: Option<(String, String, i64, String)>,
) -> Result<Outcome, Error> {
    let Some((service_id, plan, size_mb, state)) = found else {
        // Deleted between the claim and the read: the platform retries.
        return Err(busy("the service instance"));
    };
    let identical = service_id == spec.service_id
        && plan == plan_id(spec.plan)
        && size_mb == i64::from(spec.size_mb);
    match (state.as_str(), identical) {
        ("ready", true) => Ok(Outcome::Existing(())),
        (_, true) => Err(busy("the service instance")),
        (_, false) => Err(Error::instance_already_exists().with_description(format!(
            "service instance `{id}` already exists with another plan or other parameters"
        ))),
    }
}

/// What a bind found when the claim did not insert: the binding, or why not.
fn existing_binding(
    instance_id: &str,
    binding_id: &str,
    plan: PlanKind,
    app: Option<&str>,
    binding: Option<(String, Option<String>, String, Option<String>)>,
    instance_state: Option<String>,
) -> Result<Outcome<Credentials>, Error> {
    if let Some((stored_plan, stored_app, state, credentials)) = binding {
        let identical = stored_plan == plan_id(plan) && stored_app.as_deref() == app;
        return match (state.as_str(), identical, credentials) {
            ("ready", true, Some(credentials)) => Ok(Outcome::Existing(decode(&credentials)?)),
            (_, true, _) => Err(busy("the service binding")),
            (_, false, _) => Err(Error::binding_already_exists().with_description(format!(
                "service binding `{binding_id}` already exists with other parameters"
            ))),
        };
    }
    match instance_state {
        None => Err(Error::instance_not_found().with_description(format!(
            "service instance `{instance_id}` does not exist, so it cannot be bound"
        ))),
        Some(_) => Err(busy("the service instance")),
    }
}

fn last_op(plan: &str, state: &str) -> LastOp {
    let state = match state {
        "in progress" => OperationState::InProgress,
        "failed" => OperationState::Failed,
        _ => OperationState::Succeeded,
    };
    LastOp::created(state, plan_of(plan))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bl_instances (
    id TEXT PRIMARY KEY, service_id TEXT NOT NULL, plan_id TEXT NOT NULL,
    size_mb BIGINT NOT NULL, state TEXT NOT NULL, op_state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bl_bindings (
    instance_id TEXT NOT NULL, binding_id TEXT NOT NULL, plan_id TEXT NOT NULL,
    app_guid TEXT, state TEXT NOT NULL, credentials TEXT,
    PRIMARY KEY (instance_id, binding_id));
CREATE TABLE IF NOT EXISTS bl_tombstones (
    instance_id TEXT NOT NULL, binding_id TEXT NOT NULL, plan_id TEXT NOT NULL,
    PRIMARY KEY (instance_id, binding_id));
";

impl SqlStore {
    /// Opens `url` (`sqlite://PATH` or `postgres://…`) and creates the tables.
    pub async fn open(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            Ok(Self::Sqlite(Sqlite::open(path)?))
        } else {
            Ok(Self::Postgres(Postgres::open(url).await?))
        }
    }

    pub async fn provision(&self, id: &str, spec: InstanceSpec) -> Result<Outcome, Error> {
        match self {
            Self::Sqlite(db) => db.provision(id, spec).await,
            Self::Postgres(db) => db.provision(id, spec).await,
        }
    }

    pub async fn fetch(&self, id: &str) -> Result<InstanceSpec, Error> {
        let found = match self {
            Self::Sqlite(db) => db.fetch(id).await?,
            Self::Postgres(db) => db.fetch(id).await?,
        };
        let (service_id, plan, size_mb, state) = found.ok_or_else(|| missing(id))?;
        if state == "creating" {
            return Err(Error::instance_not_found().with_description(format!(
                "service instance `{id}` is still being provisioned"
            )));
        }
        Ok(InstanceSpec {
            service_id,
            plan: plan_of(&plan),
            size_mb: u32::try_from(size_mb).unwrap_or(0),
        })
    }

    pub async fn last_operation(&self, id: &str) -> Result<LastOp, Error> {
        let found = match self {
            Self::Sqlite(db) => db.last_operation(id).await?,
            Self::Postgres(db) => db.last_operation(id).await?,
        };
        let (plan, state) = found.ok_or_else(|| missing(id))?;
        Ok(last_op(&plan, &state))
    }

    pub async fn bind(
        &self,
        instance_id: &str,
        binding_id: &str,
        plan: PlanKind,
        app: Option<String>,
    ) -> Result<Outcome<Credentials>, Error> {
        match self {
            Self::Sqlite(db) => db.bind(instance_id, binding_id, plan, app).await,
            Self::Postgres(db) => db.bind(instance_id, binding_id, plan, app).await,
        }
    }
}

// ---------------------------------------------------------------------------------
// SQLite: rusqlite on one thread

type Job = Box<dyn FnOnce(&mut rusqlite::Connection) + Send>;

/// A SQLite connection owned by one thread, which runs the calls sent to it in order.
pub struct Sqlite {
    jobs: std::sync::mpsc::Sender<Job>,
}

type InstanceRow = (String, String, i64, String);
type BindingRow = (String, Option<String>, String, Option<String>);

impl Sqlite {
    fn open(path: &str) -> Result<Self, String> {
        let connection = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA busy_timeout = 1000;",
            )
            .map_err(|e| e.to_string())?;
        connection
            .execute_batch(SCHEMA)
            .map_err(|e| e.to_string())?;
        let (jobs, receive) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite".into())
            .spawn(move || {
                let mut connection = connection;
                while let Ok(job) = receive.recv() {
                    job(&mut connection);
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Self { jobs })
    }

    /// Runs `call` on the database's thread.
    async fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |connection| {
                let _ = reply.send(call(connection));
            }))
            .map_err(internal)?;
        answer.await.map_err(internal)?.map_err(internal)
    }

    async fn provision(&self, id: &str, spec: InstanceSpec) -> Result<Outcome, Error> {
        let (key, service_id, plan) = (id.to_owned(), spec.service_id.clone(), spec.plan);
        let size_mb = i64::from(spec.size_mb);
        let claimed = self
            .call(move |db| {
                let tx = db.transaction()?;
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO bl_instances (id, service_id, plan_id, size_mb, state, \
                         op_state) VALUES (?1, ?2, ?3, ?4, 'creating', 'in progress') \
                         ON CONFLICT (id) DO NOTHING",
                    )?
                    .execute(rusqlite::params![key, service_id, plan_id(plan), size_mb])?;
                if inserted == 1 {
                    tx.prepare_cached(
                        "DELETE FROM bl_tombstones WHERE instance_id = ?1 AND binding_id = ''",
                    )?
                    .execute([&key])?;
                }
                tx.commit()?;
                Ok(inserted == 1)
            })
            .await?;
        if claimed {
            // The backend's work would run here, between the claim and the settle.
            let key = id.to_owned();
            self.call(move |db| {
                db.prepare_cached(
                    "UPDATE bl_instances SET state = 'ready', op_state = 'succeeded' \
                     WHERE id = ?1 AND state = 'creating'",
                )?
                .execute([&key])
            })
            .await?;
            return Ok(Outcome::Done(()));
        }
        let found = self.fetch(id).await?;
        existing_instance(id, &spec, found)
    }

    async fn fetch(&self, id: &str) -> Result<Option<InstanceRow>, Error> {
        let key = id.to_owned();
        self.call(move |db| {
            let mut statement = db.prepare_cached(
                "SELECT service_id, plan_id, size_mb, state FROM bl_instances WHERE id = ?1",
            )?;
            let mut rows = statement.query([&key])?;
            rows.next()?
                .map(|row| {
                    Ok::<_, rusqlite::Error>((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .transpose()
        })
        .await
    }

    async fn last_operation(&self, id: &str) -> Result<Option<(String, String)>, Error> {
        let key = id.to_owned();
        self.call(move |db| {
            let mut statement =
                db.prepare_cached("SELECT plan_id, op_state FROM bl_instances WHERE id = ?1")?;
            let mut rows = statement.query([&key])?;
            if let Some(row) = rows.next()? {
                return Ok(Some((row.get(0)?, row.get(1)?)));
            }
            drop(rows);
            let mut statement = db.prepare_cached(
                "SELECT plan_id FROM bl_tombstones WHERE instance_id = ?1 AND binding_id = ''",
            )?;
            let mut rows = statement.query([&key])?;
            rows.next()?
                .map(|row| Ok::<_, rusqlite::Error>((row.get(0)?, "succeeded".to_owned())))
                .transpose()
        })
        .await
    }

    async fn bind(
        &self,
        instance_id: &str,
        binding_id: &str,
        plan: PlanKind,
        app: Option<String>,
    ) -> Result<Outcome<Credentials>, Error> {
        let (iid, bid, claim_app) = (instance_id.to_owned(), binding_id.to_owned(), app.clone());
        let claimed = self
            .call(move |db| {
                let tx = db.transaction()?;
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO bl_bindings (instance_id, binding_id, plan_id, app_guid, \
                         state) SELECT ?1, ?2, ?3, ?4, 'creating' WHERE EXISTS (SELECT 1 FROM \
                         bl_instances WHERE id = ?1 AND state = 'ready') \
                         ON CONFLICT (instance_id, binding_id) DO NOTHING",
                    )?
                    .execute(rusqlite::params![iid, bid, plan_id(plan), claim_app])?;
                if inserted == 1 {
                    tx.prepare_cached(
                        "DELETE FROM bl_tombstones WHERE instance_id = ?1 AND binding_id = ?2",
                    )?
                    .execute([&iid, &bid])?;
                }
                tx.commit()?;
                Ok(inserted == 1)
            })
            .await?;
        if claimed {
            let made = credentials(instance_id, binding_id);
            let (iid, bid, text) = (instance_id.to_owned(), binding_id.to_owned(), encode(&made));
            self.call(move |db| {
                db.prepare_cached(
                    "UPDATE bl_bindings SET state = 'ready', credentials = ?3 \
                     WHERE instance_id = ?1 AND binding_id = ?2 AND state = 'creating'",
                )?
                .execute([&iid, &bid, &text])
            })
            .await?;
            return Ok(Outcome::Done(made));
        }
        let (iid, bid) = (instance_id.to_owned(), binding_id.to_owned());
        let (binding, state) = self
            .call(move |db| {
                let binding: Option<BindingRow> = {
                    let mut statement = db.prepare_cached(
                        "SELECT plan_id, app_guid, state, credentials FROM bl_bindings \
                         WHERE instance_id = ?1 AND binding_id = ?2",
                    )?;
                    let mut rows = statement.query([&iid, &bid])?;
                    rows.next()?
                        .map(|row| {
                            Ok::<_, rusqlite::Error>((
                                row.get(0)?,
                                row.get(1)?,
                                row.get(2)?,
                                row.get(3)?,
                            ))
                        })
                        .transpose()?
                };
                let mut statement =
                    db.prepare_cached("SELECT state FROM bl_instances WHERE id = ?1")?;
                let mut rows = statement.query([&iid])?;
                let state: Option<String> = rows.next()?.map(|row| row.get(0)).transpose()?;
                Ok((binding, state))
            })
            .await?;
        existing_binding(
            instance_id,
            binding_id,
            plan,
            app.as_deref(),
            binding,
            state,
        )
    }
}

// ---------------------------------------------------------------------------------
// PostgreSQL: tokio-postgres

/// One connection with the baseline's statements prepared on it.
struct Connection {
    client: tokio_postgres::Client,
    claim_instance: tokio_postgres::Statement,
    settle_instance: tokio_postgres::Statement,
    fetch: tokio_postgres::Statement,
    last_operation: tokio_postgres::Statement,
    claim_binding: tokio_postgres::Statement,
    settle_binding: tokio_postgres::Statement,
    binding: tokio_postgres::Statement,
}

/// Connections used in turn; tokio-postgres pipelines the queries a connection is
/// given concurrently.
pub struct Postgres {
    connections: Vec<Arc<Connection>>,
    next: AtomicUsize,
}

impl Postgres {
    const CONNECTIONS: usize = 16;

    async fn open(url: &str) -> Result<Self, String> {
        let mut connections = Vec::new();
        for n in 0..Self::CONNECTIONS {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    eprintln!("bare-axum: a PostgreSQL connection failed: {err}");
                }
            });
            if n == 0 {
                client
                    .batch_execute(SCHEMA)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let prepare = |sql: &'static str| client.prepare(sql);
            let connection = Connection {
                claim_instance: prepare(
                    "WITH claimed AS (INSERT INTO bl_instances (id, service_id, plan_id, \
                     size_mb, state, op_state) VALUES ($1, $2, $3, $4, 'creating', \
                     'in progress') ON CONFLICT (id) DO NOTHING RETURNING id), \
                     forgotten AS (DELETE FROM bl_tombstones WHERE binding_id = '' AND \
                     instance_id IN (SELECT id FROM claimed)) SELECT count(*) FROM claimed",
                )
                .await
                .map_err(|e| e.to_string())?,
                settle_instance: prepare(
                    "UPDATE bl_instances SET state = 'ready', op_state = 'succeeded' \
                     WHERE id = $1 AND state = 'creating'",
                )
                .await
                .map_err(|e| e.to_string())?,
                fetch: prepare(
                    "SELECT service_id, plan_id, size_mb, state FROM bl_instances WHERE id = $1",
                )
                .await
                .map_err(|e| e.to_string())?,
                last_operation: prepare(
                    "SELECT plan_id, op_state FROM bl_instances WHERE id = $1 UNION ALL \
                     SELECT plan_id, 'succeeded' FROM bl_tombstones WHERE instance_id = $1 \
                     AND binding_id = '' LIMIT 1",
                )
                .await
                .map_err(|e| e.to_string())?,
                claim_binding: prepare(
                    "WITH claimed AS (INSERT INTO bl_bindings (instance_id, binding_id, \
                     plan_id, app_guid, state) SELECT $1, $2, $3, $4, 'creating' WHERE EXISTS \
                     (SELECT 1 FROM bl_instances WHERE id = $1 AND state = 'ready') \
                     ON CONFLICT (instance_id, binding_id) DO NOTHING RETURNING binding_id), \
                     forgotten AS (DELETE FROM bl_tombstones WHERE instance_id = $1 AND \
                     binding_id IN (SELECT binding_id FROM claimed)) SELECT count(*) FROM claimed",
                )
                .await
                .map_err(|e| e.to_string())?,
                settle_binding: prepare(
                    "UPDATE bl_bindings SET state = 'ready', credentials = $3 \
                     WHERE instance_id = $1 AND binding_id = $2 AND state = 'creating'",
                )
                .await
                .map_err(|e| e.to_string())?,
                binding: prepare(
                    "SELECT b.plan_id, b.app_guid, b.state, b.credentials, i.state \
                     FROM bl_instances i LEFT JOIN bl_bindings b \
                     ON b.instance_id = i.id AND b.binding_id = $2 WHERE i.id = $1",
                )
                .await
                .map_err(|e| e.to_string())?,
                client,
            };
            connections.push(Arc::new(connection));
        }
        Ok(Self {
            connections,
            next: AtomicUsize::new(0),
        })
    }

    fn connection(&self) -> &Connection {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        &self.connections[n]
    }

    async fn provision(&self, id: &str, spec: InstanceSpec) -> Result<Outcome, Error> {
        let db = self.connection();
        let size_mb = i64::from(spec.size_mb);
        let row = db
            .client
            .query_one(
                &db.claim_instance,
                &[&id, &spec.service_id, &plan_id(spec.plan), &size_mb],
            )
            .await
            .map_err(internal)?;
        if row.get::<_, i64>(0) == 1 {
            db.client
                .execute(&db.settle_instance, &[&id])
                .await
                .map_err(internal)?;
            return Ok(Outcome::Done(()));
        }
        let found = self.fetch(id).await?;
        existing_instance(id, &spec, found)
    }

    async fn fetch(&self, id: &str) -> Result<Option<InstanceRow>, Error> {
        let db = self.connection();
        let row = db
            .client
            .query_opt(&db.fetch, &[&id])
            .await
            .map_err(internal)?;
        Ok(row.map(|row| (row.get(0), row.get(1), row.get(2), row.get(3))))
    }

    async fn last_operation(&self, id: &str) -> Result<Option<(String, String)>, Error> {
        let db = self.connection();
        let row = db
            .client
            .query_opt(&db.last_operation, &[&id])
            .await
            .map_err(internal)?;
        Ok(row.map(|row| (row.get(0), row.get(1))))
    }

    async fn bind(
        &self,
        instance_id: &str,
        binding_id: &str,
        plan: PlanKind,
        app: Option<String>,
    ) -> Result<Outcome<Credentials>, Error> {
        let db = self.connection();
        let row = db
            .client
            .query_one(
                &db.claim_binding,
                &[&instance_id, &binding_id, &plan_id(plan), &app],
            )
            .await
            .map_err(internal)?;
        if row.get::<_, i64>(0) == 1 {
            let made = credentials(instance_id, binding_id);
            db.client
                .execute(
                    &db.settle_binding,
                    &[&instance_id, &binding_id, &encode(&made)],
                )
                .await
                .map_err(internal)?;
            return Ok(Outcome::Done(made));
        }
        let row = db
            .client
            .query_opt(&db.binding, &[&instance_id, &binding_id])
            .await
            .map_err(internal)?;
        let (binding, state) = match row {
            None => (None, None),
            Some(row) => {
                let plan: Option<String> = row.get(0);
                let binding = plan.map(|plan| (plan, row.get(1), row.get(2), row.get(3)));
                (binding, Some(row.get(4)))
            }
        };
        existing_binding(
            instance_id,
            binding_id,
            plan,
            app.as_deref(),
            binding,
            state,
        )
    }
}
