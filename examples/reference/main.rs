//! The reference broker: one offering, `inmemory-db`, with a synchronous plan
//! (`small`) and an asynchronous one (`large`), written with the DSL.
//!
//! ```text
//! cargo run --example reference                      # 127.0.0.1:8080, admin/admin, ./reference-broker.db
//! cargo run --example reference -- --listen 127.0.0.1:9090
//! cargo run --example reference -- --store memory    # state lost when it stops
//! cargo run --example reference -- --store sqlite:///var/lib/broker/state.db
//! cargo run --example reference -- --store postgres://postgres@127.0.0.1:5432/test
//! cargo run --example reference -- --catalog         # print the catalog JSON and exit
//! ```
//!
//! Environment: `OSB_LISTEN`, `OSB_STORE`, `OSB_USERNAME`, `OSB_PASSWORD`,
//! `OSB_ASYNC_DELAY_MS` (how long asynchronous operations take, default 1000),
//! `OSB_LEASE_MS` (how long interrupted work waits before it is resumed, default
//! 15000), `OSB_STORE_TIMEOUT_MS` (how long a store call may take before the request
//! answers 503, default 2000), `OSB_STORE_KEY` (base64 of 32 bytes: encrypts bindings'
//! credentials at rest), `OSB_STORE_PREVIOUS_KEY` (the key being rotated out: what it
//! encrypted is re-encrypted with `OSB_STORE_KEY` at start-up), `RUST_LOG` (default
//! `info`).

use std::net::SocketAddr;
use std::time::Duration;

use osb::dsl::CatalogDef;
use osb::store::{EncryptionKey, MemoryStore, SqlOptions, SqlStore, StateConfig};
use osb_examples::reference::{self, Reference};

/// Where state lives unless `--store` or `OSB_STORE` says otherwise: a SQLite file
/// in the working directory, created if missing.
const DEFAULT_STORE: &str = "sqlite://reference-broker.db";

/// Settings from the command line and the environment.
struct Settings {
    listen: SocketAddr,
    username: String,
    password: String,
    delay: Duration,
    lease: Option<Duration>,
    store: String,
    store_options: SqlOptions,
    rotating: bool,
    print_catalog: bool,
}

const USAGE: &str = "usage: reference [--listen ADDR] [--store STORE] [--catalog]

  --listen ADDR   address to listen on (env OSB_LISTEN, default 127.0.0.1:8080)
  --store STORE   where state lives (env OSB_STORE, default sqlite://reference-broker.db):
                    memory                      in memory, lost when the broker stops
                    sqlite://PATH               a SQLite file, created if missing
                    postgres://USER@HOST/DB     PostgreSQL, shareable by several replicas
  --catalog       print the catalog JSON and exit

health:      GET /healthz (the broker serves) and GET /readyz (its state store answers)
             answer without credentials: 200 {\"status\":\"UP\"}, else 503

environment: OSB_USERNAME, OSB_PASSWORD (default admin/admin),
             OSB_ASYNC_DELAY_MS (default 1000), OSB_LEASE_MS (default 15000),
             OSB_STORE_TIMEOUT_MS (default 2000),
             OSB_STORE_KEY (base64 of 32 bytes: encrypts credentials at rest),
             OSB_STORE_PREVIOUS_KEY (a key being rotated out),
             RUST_LOG (default info)";

impl Settings {
    fn from_env() -> Result<Self, String> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut listen = env("OSB_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let mut store = env("OSB_STORE").unwrap_or_else(|| DEFAULT_STORE.to_owned());
        let mut print_catalog = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--listen" => listen = args.next().ok_or("--listen needs an address")?,
                "--store" => {
                    store = args
                        .next()
                        .ok_or("--store needs memory or a database URL")?
                }
                "--catalog" => print_catalog = true,
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
            }
        }
        let listen = listen
            .parse()
            .map_err(|err| format!("invalid listen address `{listen}`: {err}"))?;
        let millis = |name: &str| -> Result<Option<Duration>, String> {
            env(name)
                .map(|ms| {
                    ms.parse()
                        .map(Duration::from_millis)
                        .map_err(|err| format!("invalid {name} `{ms}`: {err}"))
                })
                .transpose()
        };
        let delay = millis("OSB_ASYNC_DELAY_MS")?.unwrap_or(Duration::from_millis(1000));
        let lease = millis("OSB_LEASE_MS")?;
        let mut store_options = SqlOptions::new();
        if let Some(timeout) = millis("OSB_STORE_TIMEOUT_MS")? {
            store_options = store_options.timeout(timeout);
        }
        let key = |name: &str| -> Result<Option<EncryptionKey>, String> {
            env(name)
                .map(|key| EncryptionKey::from_base64(&key).map_err(|err| format!("{name}: {err}")))
                .transpose()
        };
        if let Some(key) = key("OSB_STORE_KEY")? {
            store_options = store_options.encryption_key(key);
        }
        let previous = key("OSB_STORE_PREVIOUS_KEY")?;
        let rotating = previous.is_some();
        if let Some(key) = previous {
            store_options = store_options.previous_encryption_key(key);
        }
        Ok(Self {
            listen,
            username: env("OSB_USERNAME").unwrap_or_else(|| "admin".to_owned()),
            password: env("OSB_PASSWORD").unwrap_or_else(|| "admin".to_owned()),
            delay,
            lease,
            store,
            store_options,
            rotating,
            print_catalog,
        })
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    if settings.print_catalog {
        println!("{}", Reference::catalog().to_json());
        return std::process::ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("reference broker: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = reference::builder(settings.delay).auth(osb::auth::BasicAuth::new(
        settings.username,
        settings.password,
    ));
    if let Some(lease) = settings.lease {
        builder = builder.state_config(StateConfig {
            lease,
            retry_after: Duration::from_secs(1),
            ..StateConfig::default()
        });
    }
    let (builder, store) = if settings.store == "memory" {
        (builder.store(MemoryStore::new()), "memory".to_owned())
    } else {
        let store = SqlStore::open_with(&settings.store, &settings.store_options).await?;
        if settings.rotating {
            let rewritten = store.reencrypt().await?;
            tracing::info!(rewritten, "re-encrypted stored secrets with OSB_STORE_KEY");
        }
        (builder.store(store), without_password(&settings.store))
    };
    // Unauthenticated probes for Kubernetes and Cloud Foundry (docs/DEPLOY.md).
    let app = builder
        .liveness_route("/healthz")
        .readiness_route("/readyz")
        .build()?;
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let names: Vec<String> = Reference::catalog()
        .services
        .into_iter()
        .map(|service| service.name)
        .collect();
    println!(
        "reference broker listening on http://{} serving {} (state: {store})",
        listener.local_addr()?,
        names.join(", ")
    );
    osb::serve(listener, app).await?;
    Ok(())
}

/// A database URL fit to print: `postgres://user:secret@host/db` → `postgres://user@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_owned(),
    }
}
