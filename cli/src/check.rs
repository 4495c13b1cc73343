//! `osb check`: the conformance suite over HTTP, against a broker in any language.

use std::time::Duration;

use osb::client::Client;
use osb::testing::{Conformance, Fixture, TestClient};

use crate::Exit;
use crate::args::{Check, Format};

/// Runs the suite and reports; deprovisions what it provisioned, also on Ctrl-C.
pub(crate) async fn run(client: Client, args: &Check) -> Exit {
    let fixture = match &args.fixture {
        None => Fixture::default(),
        Some(path) => match Fixture::from_file(path) {
            Ok(fixture) => fixture,
            Err(err) => {
                eprintln!("osb: {err}");
                return Exit::Usage;
            }
        },
    };
    let Ok(missing_version) = http::StatusCode::from_u16(args.missing_version_status) else {
        eprintln!("osb: --missing-version-status must be an HTTP status");
        return Exit::Usage;
    };
    // A broker that cannot be reached is told apart from one that breaks rules.
    if let Err(err) = client.catalog().await
        && err.is_transport()
    {
        eprintln!("osb: {err}");
        return Exit::Transport;
    }
    let suite = Conformance::with_client(TestClient::http(client))
        .fixture(fixture)
        .missing_version_status(missing_version)
        .polling(
            Duration::from_secs(args.poll_timeout),
            Duration::from_millis(250),
        )
        .time_limit(Duration::from_secs(args.timeout));
    let report = tokio::select! {
        report = suite.run() => report,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("osb: interrupted; deprovisioning what the check provisioned");
            for line in suite.clean_up().await {
                eprintln!("osb: not cleaned up: {line}");
            }
            return Exit::Broker;
        }
    };
    let text = match args.format {
        Format::Text => format!("{report}\n"),
        Format::Json => format!("{:#}\n", report.to_json()),
        Format::Junit => report.to_junit(),
    };
    match &args.output {
        None => print!("{text}"),
        Some(path) => {
            if let Err(err) = std::fs::write(path, text) {
                eprintln!("osb: {}: {err}", path.display());
                return Exit::Usage;
            }
            eprintln!(
                "{} passed, {} failed, {} skipped",
                report.passed(),
                report.failures().count(),
                report.skipped()
            );
        }
    }
    if report.failures().next().is_some() || !report.cleanup.is_empty() {
        Exit::Broker
    } else {
        Exit::Done
    }
}
