//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use osb::client::{Client, ClientError};

/// The platform's side of the Open Service Broker API (v2.17): talk to any broker,
/// and check that it follows the specification.
#[derive(Debug, Parser)]
#[command(name = "osb", version)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) broker: Broker,
    /// Print one JSON object (the answer, or the error) instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where the broker is and how to talk to it.
#[derive(Debug, Args)]
pub(crate) struct Broker {
    /// The broker's URL, such as http://127.0.0.1:8080.
    #[arg(long, env = "OSB_BROKER_URL", global = true)]
    pub(crate) url: Option<String>,
    /// Basic-auth user name.
    #[arg(long, env = "OSB_BROKER_USERNAME", global = true)]
    pub(crate) username: Option<String>,
    /// Basic-auth password.
    #[arg(
        long,
        env = "OSB_BROKER_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub(crate) password: Option<String>,
    /// A bearer token instead of basic auth.
    #[arg(long, env = "OSB_BROKER_TOKEN", global = true, hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// X-Broker-API-Version to send.
    #[arg(long, default_value = "2.17", global = true)]
    pub(crate) api_version: String,
    /// Seconds each call may take.
    #[arg(long, default_value_t = 60, global = true)]
    pub(crate) call_timeout: u64,
    /// A PEM file of CA certificates to trust (HTTPS brokers with a private CA).
    #[arg(long, global = true)]
    pub(crate) ca_file: Option<PathBuf>,
    /// A PEM client certificate chain (mutual TLS); needs --key.
    #[arg(long, global = true, requires = "key")]
    pub(crate) cert: Option<PathBuf>,
    /// The PEM key of --cert.
    #[arg(long, global = true, requires = "cert")]
    pub(crate) key: Option<PathBuf>,
}

impl Broker {
    pub(crate) fn client(&self, url: &str) -> Result<Client, ClientError> {
        let mut builder = Client::builder(url)
            .api_version(&self.api_version)
            .timeout(Duration::from_secs(self.call_timeout));
        if let Some(token) = &self.token {
            builder = builder.bearer(token);
        } else if let Some(username) = &self.username {
            builder = builder.basic_auth(username, self.password.as_deref().unwrap_or(""));
        }
        if let Some(ca) = &self.ca_file {
            builder = builder.ca_file(ca);
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            builder = builder.identity(cert, key);
        }
        builder.build()
    }
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the offerings and plans (GET /v2/catalog).
    Catalog,
    /// Provision an instance (PUT /v2/service_instances/:id).
    Provision(Provision),
    /// Update an instance (PATCH /v2/service_instances/:id).
    Update(Update),
    /// Deprovision an instance (DELETE /v2/service_instances/:id).
    Deprovision(Target),
    /// Bind to an instance (PUT …/service_bindings/:id).
    Bind(Bind),
    /// Delete a binding (DELETE …/service_bindings/:id).
    Unbind(BindingTarget),
    /// Fetch an instance, or a binding with --binding (GET).
    Fetch(Fetch),
    /// Poll an operation once (GET …/last_operation).
    LastOperation(LastOperation),
    /// Check a broker against the specification (the conformance suite over HTTP).
    Check(Check),
}

/// An offering and a plan, by id or name.
#[derive(Debug, Args)]
pub(crate) struct Plan {
    /// The offering, by id or name.
    #[arg(long)]
    pub(crate) service: String,
    /// The plan, by id or name.
    #[arg(long)]
    pub(crate) plan: String,
}

/// How to run an operation that may be asynchronous.
#[derive(Debug, Args)]
pub(crate) struct Async {
    /// Poll until the operation ends, showing its progress.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Do not send accepts_incomplete=true (ask for a synchronous answer).
    #[arg(long)]
    pub(crate) sync: bool,
    /// Seconds --wait may poll (default: the plan's maximum_polling_duration, or 3600).
    #[arg(long)]
    pub(crate) wait_timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct Provision {
    #[command(flatten)]
    pub(crate) plan: Plan,
    /// The instance id (default: a new UUID, printed).
    #[arg(long)]
    pub(crate) id: Option<String>,
    /// Parameters, as a JSON object.
    #[arg(long)]
    pub(crate) params: Option<String>,
    /// organization_guid to send.
    #[arg(long, default_value = "osb-cli-org")]
    pub(crate) org: String,
    /// space_guid to send.
    #[arg(long, default_value = "osb-cli-space")]
    pub(crate) space: String,
    #[command(flatten)]
    pub(crate) run: Async,
}

#[derive(Debug, Args)]
pub(crate) struct Update {
    /// The instance id.
    #[arg(long)]
    pub(crate) id: String,
    /// The offering, by id or name.
    #[arg(long)]
    pub(crate) service: String,
    /// The plan to move to, by id or name.
    #[arg(long)]
    pub(crate) plan: Option<String>,
    /// Parameters, as a JSON object.
    #[arg(long)]
    pub(crate) params: Option<String>,
    #[command(flatten)]
    pub(crate) run: Async,
}

/// An instance and its offering and plan.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// The instance id.
    #[arg(long)]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) plan: Plan,
    #[command(flatten)]
    pub(crate) run: Async,
}

#[derive(Debug, Args)]
pub(crate) struct Bind {
    /// The instance id.
    #[arg(long)]
    pub(crate) instance: String,
    /// The binding id (default: a new UUID, printed).
    #[arg(long)]
    pub(crate) id: Option<String>,
    #[command(flatten)]
    pub(crate) plan: Plan,
    /// bind_resource.app_guid to send.
    #[arg(long)]
    pub(crate) app_guid: Option<String>,
    /// Parameters, as a JSON object.
    #[arg(long)]
    pub(crate) params: Option<String>,
    /// The binding this one rotates (predecessor_binding_id).
    #[arg(long)]
    pub(crate) predecessor: Option<String>,
    #[command(flatten)]
    pub(crate) run: Async,
}

/// A binding and its offering and plan.
#[derive(Debug, Args)]
pub(crate) struct BindingTarget {
    /// The instance id.
    #[arg(long)]
    pub(crate) instance: String,
    /// The binding id.
    #[arg(long)]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) plan: Plan,
    #[command(flatten)]
    pub(crate) run: Async,
}

#[derive(Debug, Args)]
pub(crate) struct Fetch {
    /// The instance id.
    #[arg(long)]
    pub(crate) id: String,
    /// Fetch this binding of the instance instead.
    #[arg(long)]
    pub(crate) binding: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct LastOperation {
    /// The instance id.
    #[arg(long)]
    pub(crate) id: String,
    /// Poll this binding's operation instead.
    #[arg(long)]
    pub(crate) binding: Option<String>,
    /// The operation the broker answered with.
    #[arg(long)]
    pub(crate) operation: Option<String>,
}

/// The report formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Readable text.
    Text,
    /// One JSON object.
    Json,
    /// JUnit XML, for CI systems.
    Junit,
}

#[derive(Debug, Args)]
pub(crate) struct Check {
    /// The broker's URL (instead of --url).
    pub(crate) url: Option<String>,
    /// The fixture file (JSON): the offering and plans to use, their parameters.
    #[arg(long)]
    pub(crate) fixture: Option<PathBuf>,
    /// The report's format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Write the report to this file (the summary still goes to standard error).
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// Seconds the whole check may take; then it skips what is left and cleans up.
    #[arg(long, default_value_t = 600)]
    pub(crate) timeout: u64,
    /// Seconds an asynchronous operation may take.
    #[arg(long, default_value_t = 300)]
    pub(crate) poll_timeout: u64,
    /// The status the broker answers to a request without X-Broker-API-Version
    /// (412, or 400 since 2.16).
    #[arg(long, default_value_t = 412)]
    pub(crate) missing_version_status: u16,
}
