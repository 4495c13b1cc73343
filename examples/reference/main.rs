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
//! `--help` lists every option; each can also come from the environment:
//! `OSB_LISTEN`, `OSB_STORE`, `OSB_USERNAME`, `OSB_PASSWORD`, `OSB_ASYNC_DELAY_MS` (how
//! long asynchronous operations take, default 1000), `OSB_LEASE_MS` (how long
//! interrupted work waits before it is resumed, default 15000), `OSB_STORE_TIMEOUT_MS`
//! (how long a store call may take before the request answers 503, default 2000),
//! `OSB_STORE_KEY` (base64 of 32 bytes: encrypts bindings' credentials at rest),
//! `OSB_STORE_PREVIOUS_KEY` (the key being rotated out: what it encrypted is
//! re-encrypted with `OSB_STORE_KEY` at start-up), `OSB_LOG_FORMAT` (`auto`, `text`,
//! `json`); `RUST_LOG` sets the levels (default `info`).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use osb::dsl::CatalogDef;
use osb::store::{EncryptionKey, MemoryStore, SqlOptions, SqlStore, StateConfig};
use osb_examples::reference::{self, Reference};

/// The reference Open Service Broker: one offering, `inmemory-db`, with a synchronous
/// plan (`small`) and an asynchronous one (`large`).
///
/// Every option can also be set from the environment variable named after it. GET
/// /healthz (the broker serves) and GET /readyz (its state store answers) answer
/// without credentials: 200 {"status":"UP"}, else 503.
#[derive(Parser, Debug)]
#[command(name = "reference", version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "OSB_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// Where state lives: `memory` (lost when the broker stops), `sqlite://PATH` (a
    /// SQLite file, created if missing) or `postgres://USER@HOST/DB` (PostgreSQL,
    /// shareable by several replicas).
    #[arg(
        long,
        env = "OSB_STORE",
        default_value = "sqlite://reference-broker.db"
    )]
    store: String,

    /// Print the catalog JSON and exit.
    #[arg(long)]
    catalog: bool,

    /// User name of the platform (basic authentication).
    #[arg(long, env = "OSB_USERNAME", default_value = "admin")]
    username: String,

    /// Password of the platform (basic authentication).
    #[arg(
        long,
        env = "OSB_PASSWORD",
        default_value = "admin",
        hide_env_values = true
    )]
    password: String,

    /// How long asynchronous operations take, in milliseconds.
    #[arg(long, env = "OSB_ASYNC_DELAY_MS", default_value_t = 1000)]
    async_delay_ms: u64,

    /// How long interrupted work waits before it is resumed by another replica, in
    /// milliseconds [default: 15000].
    #[arg(long, env = "OSB_LEASE_MS")]
    lease_ms: Option<u64>,

    /// How long a state store call may take before the request answers 503, in
    /// milliseconds [default: 2000].
    #[arg(long, env = "OSB_STORE_TIMEOUT_MS")]
    store_timeout_ms: Option<u64>,

    /// Base64 of 32 bytes: encrypts bindings' credentials at rest.
    #[arg(long, env = "OSB_STORE_KEY", hide_env_values = true)]
    store_key: Option<String>,

    /// The key being rotated out: what it encrypted is re-encrypted with the store
    /// key at start-up.
    #[arg(long, env = "OSB_STORE_PREVIOUS_KEY", hide_env_values = true)]
    store_previous_key: Option<String>,

    /// Log format: `auto` (readable, coloured only on a terminal), `text` or `json`
    /// (one JSON object a line). Levels from RUST_LOG (default info).
    #[arg(long, env = "OSB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    log_format: LogFormat,
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Auto,
    Text,
    Json,
}

/// What the broker runs with, checked.
struct Settings {
    listen: SocketAddr,
    username: String,
    password: String,
    delay: Duration,
    lease: Option<Duration>,
    store: String,
    store_options: SqlOptions,
    rotating: bool,
}

impl Settings {
    fn from(cli: Cli) -> Result<Self, String> {
        let key = |name: &str, value: Option<String>| -> Result<Option<EncryptionKey>, String> {
            value
                .map(|key| EncryptionKey::from_base64(&key).map_err(|err| format!("{name}: {err}")))
                .transpose()
        };
        let mut store_options = SqlOptions::new();
        if let Some(timeout) = cli.store_timeout_ms {
            store_options = store_options.timeout(Duration::from_millis(timeout));
        }
        if let Some(key) = key("OSB_STORE_KEY", cli.store_key)? {
            store_options = store_options.encryption_key(key);
        }
        let previous = key("OSB_STORE_PREVIOUS_KEY", cli.store_previous_key)?;
        let rotating = previous.is_some();
        if let Some(key) = previous {
            store_options = store_options.previous_encryption_key(key);
        }
        Ok(Self {
            listen: cli.listen,
            username: cli.username,
            password: cli.password,
            delay: Duration::from_millis(cli.async_delay_ms),
            lease: cli.lease_ms.map(Duration::from_millis),
            store: cli.store,
            store_options,
            rotating,
        })
    }
}

/// Logs to standard output: colour codes only on a terminal, JSON if asked.
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.with_ansi(false).init(),
        LogFormat::Auto => logs.with_ansi(std::io::stdout().is_terminal()).init(),
    }
}

fn main() -> std::process::ExitCode {
    // An empty `OSB_…` variable counts as unset, as it always has for this broker
    // (clap would take it as a value). Done before any other thread exists.
    for (name, value) in std::env::vars_os() {
        if value.is_empty() && name.to_string_lossy().starts_with("OSB_") {
            // SAFETY: the process has one thread yet: nothing reads the environment
            // concurrently.
            unsafe { std::env::remove_var(name) };
        }
    }
    // `--help` and `--version` print to standard output and exit 0; a bad option or
    // value prints the problem and the usage to standard error and exits 2.
    let cli = Cli::parse();
    if cli.catalog {
        println!("{}", Reference::catalog().to_json());
        return std::process::ExitCode::SUCCESS;
    }
    init_logs(cli.log_format);
    let settings = match Settings::from(cli) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("reference broker: {message}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("reference broker: could not start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(settings)) {
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
        // (Its errors name the database: path, or host and database without password.)
        if settings.rotating {
            let rewritten = store.reencrypt().await?;
            tracing::info!(rewritten, "re-encrypted stored secrets with OSB_STORE_KEY");
        }
        (builder.store(store), without_password(&settings.store))
    };
    // Unauthenticated probes for Kubernetes and Cloud Foundry's health check.
    let app = builder
        .liveness_route("/healthz")
        .readiness_route("/readyz")
        .build()?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|err| format!("could not listen on {}: {err}", settings.listen))?;
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
