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
//! cargo run --example reference -- --tls-cert tls.crt --tls-key tls.key   # HTTPS
//! cargo run --example reference -- --tls-cert tls.crt --tls-key tls.key \
//!     --tls-client-ca platform-ca.crt --tls-client-subject cf-prod       # mutual TLS
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
//! `json`), `OSB_TLS_CERT` and `OSB_TLS_KEY` (PEM files: serve HTTPS; checked every
//! 10 s and reloaded when they change), `OSB_TLS_CLIENT_CA` (PEM file: require client
//! certificates issued by these authorities), `OSB_TLS_CLIENT_SUBJECTS` and
//! `OSB_TLS_CLIENT_FINGERPRINTS` (comma-separated common names and SHA-256
//! fingerprints: authenticate by client certificate instead of basic authentication),
//! `OSB_METRICS_ROUTE` (a path such as `/metrics`: serve the metrics in Prometheus's
//! text format, behind the broker's authentication) and `OSB_METRICS_PUBLIC` (`true`:
//! serve them without authentication); `RUST_LOG` sets the levels (default `info`).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use osb::auth::{Auth, BasicAuth, ClientCertAuth};
use osb::dsl::CatalogDef;
use osb::server::{ServeOptions, Tls};
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

    /// Serve the metrics in Prometheus's text format at this path (such as
    /// /metrics), behind the broker's authentication unless --metrics-public. Off by
    /// default.
    #[arg(long, env = "OSB_METRICS_ROUTE", value_name = "PATH")]
    metrics_route: Option<String>,

    /// Serve --metrics-route without authentication (for a Prometheus that scrapes
    /// without credentials).
    #[arg(
        long,
        env = "OSB_METRICS_PUBLIC",
        requires = "metrics_route",
        value_parser = clap::builder::BoolishValueParser::new(),
        default_value_t = false,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    metrics_public: bool,

    /// Log format: `auto` (readable, coloured only on a terminal), `text` or `json`
    /// (one JSON object a line). Levels from RUST_LOG (default info).
    #[arg(long, env = "OSB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    log_format: LogFormat,

    /// Serve HTTPS with the certificate chain in this PEM file (the broker's certificate
    /// first), with --tls-key. The TLS files are checked every 10 s and reloaded when
    /// they change: new connections get the new certificate, without a restart.
    #[arg(long, env = "OSB_TLS_CERT", value_name = "PATH", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// The PEM file with the private key of --tls-cert.
    #[arg(long, env = "OSB_TLS_KEY", value_name = "PATH", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Require a client certificate issued by one of the certificate authorities in
    /// this PEM file (mutual TLS); needs --tls-cert.
    #[arg(
        long,
        env = "OSB_TLS_CLIENT_CA",
        value_name = "PATH",
        requires = "tls_cert"
    )]
    tls_client_ca: Option<PathBuf>,

    /// Allow the client certificates with this common name (repeatable; the variable
    /// takes a comma-separated list). With this or --tls-client-fingerprint, requests
    /// are authenticated by client certificate instead of basic authentication; needs
    /// --tls-client-ca.
    #[arg(
        long = "tls-client-subject",
        env = "OSB_TLS_CLIENT_SUBJECTS",
        value_name = "NAME",
        value_delimiter = ',',
        requires = "tls_client_ca"
    )]
    tls_client_subjects: Vec<String>,

    /// Allow the client certificate with this SHA-256 fingerprint, in hexadecimal with or
    /// without `:` (repeatable; the variable takes a comma-separated list); needs
    /// --tls-client-ca.
    #[arg(
        long = "tls-client-fingerprint",
        env = "OSB_TLS_CLIENT_FINGERPRINTS",
        value_name = "HEX",
        value_delimiter = ',',
        requires = "tls_client_ca"
    )]
    tls_client_fingerprints: Vec<String>,
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
    tls: Option<TlsFiles>,
    /// Who may call, when client certificates authenticate instead of basic auth.
    client_cert_auth: Option<ClientCertAuth>,
    /// Where the metrics are served, and whether without authentication.
    metrics: Option<(String, bool)>,
}

/// The PEM files HTTPS is served with.
struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// Reads the files; an error names the file.
    fn load(&self) -> Result<Tls, osb::server::TlsError> {
        let tls = Tls::from_pem_files(&self.cert, &self.key)?;
        match &self.client_ca {
            Some(client_ca) => tls.client_ca_file(client_ca),
            None => Ok(tls),
        }
    }
}

/// How often the TLS files are checked for changes.
const TLS_WATCH_INTERVAL: Duration = Duration::from_secs(10);

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
        let tls = match (cli.tls_cert, cli.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert,
                key,
                client_ca: cli.tls_client_ca,
            }),
            // clap requires both together.
            _ => None,
        };
        for fingerprint in &cli.tls_client_fingerprints {
            let digits = fingerprint.trim().replace(':', "");
            if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "OSB_TLS_CLIENT_FINGERPRINTS: {fingerprint:?} is not a SHA-256 fingerprint (64 hexadecimal digits)"
                ));
            }
        }
        let client_cert_auth = (!cli.tls_client_subjects.is_empty()
            || !cli.tls_client_fingerprints.is_empty())
        .then(|| {
            let auth = cli
                .tls_client_subjects
                .into_iter()
                .fold(ClientCertAuth::new(), ClientCertAuth::subject);
            cli.tls_client_fingerprints
                .iter()
                .fold(auth, ClientCertAuth::fingerprint)
        });
        Ok(Self {
            listen: cli.listen,
            username: cli.username,
            password: cli.password,
            delay: Duration::from_millis(cli.async_delay_ms),
            lease: cli.lease_ms.map(Duration::from_millis),
            store: cli.store,
            store_options,
            rotating,
            tls,
            client_cert_auth,
            metrics: cli.metrics_route.map(|path| (path, cli.metrics_public)),
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
    // Read before anything else starts: an unusable file stops the broker at once,
    // with an error that names it.
    let tls = settings.tls.as_ref().map(TlsFiles::load).transpose()?;
    let auth: Auth = match settings.client_cert_auth {
        Some(client_cert_auth) => client_cert_auth.into(),
        None => BasicAuth::new(settings.username, settings.password).into(),
    };
    let mut builder = reference::builder(settings.delay).auth(auth);
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
    let mut builder = builder
        .liveness_route("/healthz")
        .readiness_route("/readyz");
    builder = match settings.metrics {
        Some((path, true)) => builder.public_metrics_route(path),
        Some((path, false)) => builder.metrics_route(path),
        None => builder,
    };
    let app = builder.build()?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|err| format!("could not listen on {}: {err}", settings.listen))?;
    let names: Vec<String> = Reference::catalog()
        .services
        .into_iter()
        .map(|service| service.name)
        .collect();
    let mut options = ServeOptions::new();
    let scheme = match tls {
        Some(tls) => {
            // Ends with the server, when the last clone of `tls` is dropped.
            tls.watch(TLS_WATCH_INTERVAL);
            options = options.tls(tls);
            "https"
        }
        None => "http",
    };
    println!(
        "reference broker listening on {scheme}://{} serving {} (state: {store})",
        listener.local_addr()?,
        names.join(", ")
    );
    osb::server::serve_with_options(listener, app, options, osb::server::shutdown_signal()).await?;
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
