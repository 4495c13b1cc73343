//! `osb`: the platform's side of the Open Service Broker API at a terminal.
//!
//! ```text
//! osb --url http://127.0.0.1:8080 --username admin --password admin catalog
//! osb provision --service inmemory-db --plan large --params '{"size_mb": 2048}' --wait
//! osb bind --instance 6c1e… --service inmemory-db --plan large --json
//! osb check http://127.0.0.1:8080 --username admin --password admin --fixture fixture.json
//! ```
//!
//! The broker's URL and credentials come from the flags or from `OSB_BROKER_URL`,
//! `OSB_BROKER_USERNAME`, `OSB_BROKER_PASSWORD` and `OSB_BROKER_TOKEN`. Ids not given
//! are generated and printed. `--json` prints one JSON object for scripts. The exit
//! code tells what happened: 0 done, 1 the broker answered with an error (or an
//! operation failed, or a check failed), 2 a bad command line, 3 the broker could
//! not be reached.

mod args;
mod check;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser as _;

use args::{Cli, Command};
use osb::client::{Client, ClientError};

/// The exit codes scripts tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Done.
    Done = 0,
    /// The broker answered with an error, an operation or a check failed.
    Broker = 1,
    /// A bad command line, setting or fixture.
    Usage = 2,
    /// No answer from the broker.
    Transport = 3,
}

impl Exit {
    /// The exit code of an error a call ended with.
    pub(crate) fn of(err: &ClientError) -> Self {
        match err {
            ClientError::Settings(_) => Exit::Usage,
            err if err.is_transport() => Exit::Transport,
            _ => Exit::Broker,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("osb: cannot start: {err}");
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let exit = runtime.block_on(run(cli));
    ExitCode::from(exit as u8)
}

async fn run(cli: Cli) -> Exit {
    let url = match &cli.command {
        Command::Check(check) => check.url.clone().or_else(|| cli.broker.url.clone()),
        _ => cli.broker.url.clone(),
    };
    let Some(url) = url else {
        eprintln!("osb: no broker URL: give --url or set OSB_BROKER_URL");
        return Exit::Usage;
    };
    let client = match cli.broker.client(&url) {
        Ok(client) => client,
        Err(err) => {
            eprintln!("osb: {err}");
            return Exit::Usage;
        }
    };
    let result = match cli.command {
        Command::Check(args) => return check::run(client, &args).await,
        command => commands::run(&client, command, cli.json).await,
    };
    match result {
        Ok(exit) => exit,
        Err(err) => report(&err, cli.json),
    }
}

/// Prints `err` (as JSON with `--json`) and says how to exit.
fn report(err: &ClientError, json: bool) -> Exit {
    if json {
        let mut body = serde_json::json!({"error": err.to_string()});
        if let Some(broker) = err.broker() {
            body["status"] = broker.status.as_u16().into();
            body["body"] = serde_json::to_value(&broker.body).unwrap_or_default();
        }
        println!("{body}");
    } else {
        eprintln!("osb: {err}");
    }
    Exit::of(err)
}

/// Reads the catalog, for the commands that name offerings and plans by name.
pub(crate) async fn catalog(client: &Client) -> Result<osb::catalog::Catalog, ClientError> {
    client.catalog().await
}
