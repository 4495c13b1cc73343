//! The example binaries, run for real: the reference broker's full lifecycle over
//! HTTP, every other example answering a request, and the DSL and hand-written
//! brokers serving the same catalog bytes.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::process::{Running, ask, call, examples_dir, start};
use common::*;
use http::Method;
use serde_json::{Value, json};

const SERVICE: &str = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90";
const SMALL: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";
const LARGE: &str = "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34";

fn provision(plan: &str, parameters: Option<Value>) -> Value {
    let mut body = json!({
        "service_id": SERVICE,
        "plan_id": plan,
        "organization_guid": "org",
        "space_guid": "space",
        "context": {"platform": "cloudfoundry", "organization_guid": "org", "space_guid": "space"},
    });
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    body
}

fn instance(id: &str) -> String {
    format!("/v2/service_instances/{id}")
}

fn binding(instance_id: &str, binding_id: &str) -> String {
    format!("/v2/service_instances/{instance_id}/service_bindings/{binding_id}")
}

/// Polls `last_operation` until it is no longer `in progress`, checking `Retry-After`
/// while it is.
async fn poll(to: &Running, path: &str) -> Value {
    for _ in 0..100 {
        let reply = call(
            to,
            ask(Method::GET, &format!("{path}/last_operation?operation=any")),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        if body["state"] != "in progress" {
            return body;
        }
        assert_eq!(reply.header("retry-after"), Some("1"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} stayed in progress");
}

#[tokio::test]
async fn reference_synchronous_lifecycle() {
    let to = start("reference", &[], &[("OSB_ASYNC_DELAY_MS", "200")]).await;

    let catalog = call(&to, ask(Method::GET, "/v2/catalog")).await;
    assert_eq!(catalog.status, 200);
    let catalog = catalog.json();

    // The probes answer without credentials; the API does not.
    for probe in ["/healthz", "/readyz"] {
        call(&to, ask(Method::GET, probe).without("authorization"))
            .await
            .assert_json(200, json!({"status": "UP"}));
    }
    let anonymous = call(
        &to,
        ask(Method::GET, "/v2/catalog").without("authorization"),
    )
    .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(catalog["services"][0]["name"], "inmemory-db");
    let plans: Vec<&str> = catalog["services"][0]["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(plans, ["small", "large"]);

    // Provision: 201, identical again 200, different 409.
    let put = |body| ask(Method::PUT, &instance("s-1")).json(body);
    call(&to, put(provision(SMALL, Some(json!({"size_mb": 128})))))
        .await
        .assert_json(201, json!({}));
    call(&to, put(provision(SMALL, Some(json!({"size_mb": 128})))))
        .await
        .assert_json(200, json!({}));
    call(&to, put(provision(SMALL, Some(json!({"size_mb": 256})))))
        .await
        .assert_error(409);
    call(&to, put(provision(LARGE, None)))
        .await
        .assert_error(422);

    // Parameters are validated against the published schema.
    let reply = call(
        &to,
        ask(Method::PUT, &instance("s-x")).json(provision(SMALL, Some(json!({"size_mb": 5000})))),
    )
    .await;
    reply.assert_json(
        400,
        json!({"description": "parameters.size_mb: 5000 is greater than the maximum of 1024"}),
    );
    let reply = call(
        &to,
        ask(Method::PUT, &instance("s-x")).json(provision(SMALL, Some(json!({"color": "red"})))),
    )
    .await;
    reply.assert_json(400, json!({"description": "parameters: Additional properties are not allowed ('color' was unexpected)"}));

    // maintenance_info: {} counts as absent, another version conflicts.
    let mut body = provision(SMALL, None);
    body["maintenance_info"] = json!({});
    call(&to, ask(Method::PUT, &instance("s-2")).json(body.clone()))
        .await
        .assert_json(201, json!({}));
    body["maintenance_info"] = json!({"version": "2.0.0"});
    let conflict = call(&to, ask(Method::PUT, &instance("s-3")).json(body))
        .await
        .assert_error(422);
    assert_eq!(conflict["error"], "MaintenanceInfoConflict");

    // Fetch: the parameters in force, defaults applied.
    let fetched = call(&to, ask(Method::GET, &instance("s-1"))).await;
    fetched.assert_json(
        200,
        json!({"service_id": SERVICE, "plan_id": SMALL, "parameters": {"size_mb": 128}, "maintenance_info": {"version": "1.0.0"}}),
    );
    let fetched = call(&to, ask(Method::GET, &instance("s-2"))).await;
    assert_eq!(fetched.json()["parameters"], json!({"size_mb": 64}));
    call(&to, ask(Method::GET, &instance("never")))
        .await
        .assert_error(404);
    let last = call(
        &to,
        ask(Method::GET, &format!("{}/last_operation", instance("s-1"))),
    )
    .await;
    last.assert_json(200, json!({"state": "succeeded"}));

    // Update the size: the new value is in force.
    let patch = json!({"service_id": SERVICE, "parameters": {"size_mb": 256}, "previous_values": {"plan_id": SMALL}});
    call(&to, ask(Method::PATCH, &instance("s-1")).json(patch))
        .await
        .assert_json(200, json!({}));
    let fetched = call(&to, ask(Method::GET, &instance("s-1"))).await;
    assert_eq!(fetched.json()["parameters"], json!({"size_mb": 256}));

    // Bind: credentials, 200 with the same ones when identical, fresh ones per binding.
    let bind = |id: &str| {
        ask(Method::PUT, &binding("s-1", id))
            .json(json!({"service_id": SERVICE, "plan_id": SMALL, "bind_resource": {"app_guid": "app-1"}}))
    };
    let first = call(&to, bind("b-1")).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let credentials = first.json()["credentials"].clone();
    assert_eq!(credentials["uri"], "inmemory://s-1/b-1");
    assert!(
        credentials["username"]
            .as_str()
            .unwrap()
            .starts_with("user-")
    );
    assert_eq!(credentials["password"].as_str().unwrap().len(), 24);
    let again = call(&to, bind("b-1")).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["credentials"], credentials);
    let other = call(&to, bind("b-2")).await;
    assert_eq!(other.status, 201);
    assert_ne!(
        other.json()["credentials"]["password"],
        credentials["password"]
    );
    let conflicting = ask(Method::PUT, &binding("s-1", "b-1")).json(
        json!({"service_id": SERVICE, "plan_id": SMALL, "bind_resource": {"app_guid": "app-2"}}),
    );
    call(&to, conflicting).await.assert_error(409);
    let with_parameters = ask(Method::PUT, &binding("s-1", "b-9"))
        .json(json!({"service_id": SERVICE, "plan_id": SMALL, "parameters": {"x": 1}}));
    call(&to, with_parameters).await.assert_error(400);
    let to_missing = ask(Method::PUT, &binding("nope", "b-1"))
        .json(json!({"service_id": SERVICE, "plan_id": SMALL}));
    let missing = call(&to, to_missing).await.assert_error(400);
    assert_eq!(
        missing["description"],
        "service instance `nope` does not exist, so it cannot be bound"
    );

    let fetched = call(&to, ask(Method::GET, &binding("s-1", "b-1"))).await;
    fetched.assert_json(200, json!({"credentials": credentials}));

    // Unbind and deprovision: 200, then 410.
    let ids = format!("service_id={SERVICE}&plan_id={SMALL}");
    let unbind = ask(Method::DELETE, &format!("{}?{ids}", binding("s-1", "b-1")));
    call(&to, unbind).await.assert_json(200, json!({}));
    let unbind = ask(Method::DELETE, &format!("{}?{ids}", binding("s-1", "b-1")));
    call(&to, unbind).await.assert_error(410);
    call(&to, ask(Method::GET, &binding("s-1", "b-1")))
        .await
        .assert_error(404);
    let delete = || ask(Method::DELETE, &format!("{}?{ids}", instance("s-2")));
    call(&to, delete()).await.assert_json(200, json!({}));
    call(&to, delete()).await.assert_error(410);
    call(&to, ask(Method::GET, &instance("s-2")))
        .await
        .assert_error(404);
    // «Polling Last Operation»: 404 for an instance that does not exist, which a
    // synchronous delete leaves behind (only asynchronous deletes are polled).
    call(
        &to,
        ask(Method::GET, &format!("{}/last_operation", instance("s-2"))),
    )
    .await
    .assert_error(404);
    call(
        &to,
        ask(
            Method::GET,
            &format!("{}/last_operation", instance("never")),
        ),
    )
    .await
    .assert_error(404);
}

#[tokio::test]
async fn reference_asynchronous_lifecycle() {
    let to = start("reference", &[], &[("OSB_ASYNC_DELAY_MS", "300")]).await;
    let put =
        |query: &str, body| ask(Method::PUT, &format!("{}{query}", instance("l-1"))).json(body);

    // Provision: 422 AsyncRequired without accepts_incomplete, then 202, 202 with the
    // same operation while running, 409 for a different request.
    let required = call(&to, put("", provision(LARGE, None)))
        .await
        .assert_error(422);
    assert_eq!(required["error"], "AsyncRequired");
    let accepted = call(&to, put("?accepts_incomplete=true", provision(LARGE, None))).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let operation = accepted.json()["operation"].clone();
    assert!(operation.is_string());
    let again = call(&to, put("?accepts_incomplete=true", provision(LARGE, None))).await;
    again.assert_json(202, json!({"operation": operation}));
    call(
        &to,
        put(
            "?accepts_incomplete=true",
            provision(LARGE, Some(json!({"size_mb": 2048}))),
        ),
    )
    .await
    .assert_error(409);
    call(&to, ask(Method::GET, &instance("l-1")))
        .await
        .assert_error(404);
    let done = poll(&to, &instance("l-1")).await;
    assert_eq!(done, json!({"state": "succeeded"}));
    // Retry-After while in progress only: a finished operation is not polled again.
    let polled = call(
        &to,
        ask(Method::GET, &format!("{}/last_operation", instance("l-1"))),
    )
    .await;
    assert_eq!(polled.header("retry-after"), None);
    let fetched = call(&to, ask(Method::GET, &instance("l-1"))).await;
    fetched.assert_json(
        200,
        json!({"service_id": SERVICE, "plan_id": LARGE, "parameters": {"size_mb": 1024}}),
    );

    // Update: 202, fetch answers 422 ConcurrencyError until it has finished.
    let patch = json!({"service_id": SERVICE, "plan_id": LARGE, "parameters": {"size_mb": 4096}, "previous_values": {"plan_id": LARGE}});
    call(
        &to,
        ask(Method::PATCH, &instance("l-1")).json(patch.clone()),
    )
    .await
    .assert_error(422);
    let updating = call(
        &to,
        ask(
            Method::PATCH,
            &format!("{}?accepts_incomplete=true", instance("l-1")),
        )
        .json(patch),
    )
    .await;
    assert_eq!(updating.status, 202, "{}", updating.text());
    let busy = call(&to, ask(Method::GET, &instance("l-1")))
        .await
        .assert_error(422);
    assert_eq!(busy["error"], "ConcurrencyError");
    assert_eq!(poll(&to, &instance("l-1")).await["state"], "succeeded");
    let fetched = call(&to, ask(Method::GET, &instance("l-1"))).await;
    assert_eq!(fetched.json()["parameters"], json!({"size_mb": 4096}));

    // Bind and unbind asynchronously; fetch answers 404 until the binding exists.
    let bind = |query: &str| {
        ask(Method::PUT, &format!("{}{query}", binding("l-1", "lb-1")))
            .json(json!({"service_id": SERVICE, "plan_id": LARGE}))
    };
    call(&to, bind("")).await.assert_error(422);
    let accepted = call(&to, bind("?accepts_incomplete=true")).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    assert!(accepted.json().get("credentials").is_none());
    call(&to, ask(Method::GET, &binding("l-1", "lb-1")))
        .await
        .assert_error(404);
    assert_eq!(
        poll(&to, &binding("l-1", "lb-1")).await["state"],
        "succeeded"
    );
    let fetched = call(&to, ask(Method::GET, &binding("l-1", "lb-1"))).await;
    assert_eq!(fetched.json()["credentials"]["uri"], "inmemory://l-1/lb-1");
    let ids = format!("service_id={SERVICE}&plan_id={LARGE}");
    let unbind = ask(
        Method::DELETE,
        &format!("{}?{ids}&accepts_incomplete=true", binding("l-1", "lb-1")),
    );
    assert_eq!(call(&to, unbind).await.status, 202);
    assert_eq!(
        poll(&to, &binding("l-1", "lb-1")).await["state"],
        "succeeded"
    );
    call(&to, ask(Method::GET, &binding("l-1", "lb-1")))
        .await
        .assert_error(404);

    // Deprovision: 202, the same operation when re-sent, succeeded, then 410.
    let delete = || {
        ask(
            Method::DELETE,
            &format!("{}?{ids}&accepts_incomplete=true", instance("l-1")),
        )
    };
    let deleting = call(&to, delete()).await;
    assert_eq!(deleting.status, 202);
    call(&to, delete()).await.assert_json(202, deleting.json());
    let done = poll(&to, &instance("l-1")).await;
    // The tombstone of the asynchronous delete.
    assert_eq!(done, json!({"state": "succeeded"}));
    call(&to, delete()).await.assert_error(410);
}

#[tokio::test]
async fn reference_survives_concurrent_requests_on_one_instance() {
    let to = start("reference", &[], &[]).await;
    let addr = to.addr;
    let provisions = (0..32).map(|_| {
        let request = ask(Method::PUT, &instance("c-1")).json(provision(SMALL, None));
        async move { Connection::open(addr).await.send(request).await }
    });
    let statuses: Vec<u16> = futures_join(provisions)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 201 || s == 200),
        "{statuses:?}"
    );
    let binds = (0..32).map(|n| {
        let request = ask(Method::PUT, &binding("c-1", &format!("cb-{n}")))
            .json(json!({"service_id": SERVICE, "plan_id": SMALL}));
        async move { Connection::open(addr).await.send(request).await }
    });
    let statuses: Vec<u16> = futures_join(binds)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert!(statuses.iter().all(|&s| s == 201), "{statuses:?}");
    for n in 0..32 {
        assert_eq!(
            call(&to, ask(Method::GET, &binding("c-1", &format!("cb-{n}"))))
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn reference_takes_credentials_from_the_environment() {
    let to = start(
        "reference",
        &[],
        &[("OSB_USERNAME", "cf"), ("OSB_PASSWORD", "s3cret")],
    )
    .await;
    call(&to, ask(Method::GET, "/v2/catalog"))
        .await
        .assert_error(401);
    let reply = call(
        &to,
        ask(Method::GET, "/v2/catalog").header("authorization", &basic("cf", "s3cret")),
    )
    .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn reference_and_handwritten_serve_the_same_catalog_bytes() {
    let dir = examples_dir();
    let output = |name: &str| {
        let output = std::process::Command::new(dir.join(name))
            .arg("--catalog")
            .output()
            .expect("run");
        assert!(output.status.success());
        output.stdout
    };
    let dsl = output("reference");
    assert!(dsl.starts_with(b"{\"services\":[{\"id\":\"3f0e8a4c"));
    assert_eq!(
        String::from_utf8(dsl).unwrap(),
        String::from_utf8(output("handwritten")).unwrap()
    );

    // And over HTTP.
    let reference = start("reference", &[], &[]).await;
    let handwritten = start("handwritten", &[], &[]).await;
    let a = call(&reference, ask(Method::GET, "/v2/catalog")).await;
    let b = call(&handwritten, ask(Method::GET, "/v2/catalog")).await;
    assert_eq!(a.body, b.body);
}

#[tokio::test]
async fn every_example_answers() {
    let minimal = start("minimal", &[], &[]).await;
    let catalog = call(&minimal, ask(Method::GET, "/v2/catalog")).await;
    assert_eq!(catalog.json()["services"][0]["name"], "greeter");

    let multi = start("multi", &[], &[]).await;
    let health = call(&multi, ask(Method::GET, "/health")).await;
    assert_eq!(
        (health.status.as_u16(), health.text().as_str()),
        (200, "ok")
    );
    let catalog = call(&multi, ask(Method::GET, "/osb/v2/catalog")).await;
    let services = catalog.json()["services"].clone();
    assert_eq!(
        [&services[0]["name"], &services[1]["name"]],
        ["queue", "storage"]
    );
    // A fetch without hints reaches the broker that knows the instance.
    let fetched = call(&multi, ask(Method::GET, "/osb/v2/service_instances/b-7")).await;
    assert_eq!(
        fetched.json()["service_id"],
        "9d8c7b6a-5f4e-4d3c-a2b1-0f9e8d7c6b5a"
    );

    let bearer = start("bearer", &[], &[("OSB_TOKEN", "t0ken")]).await;
    call(&bearer, ask(Method::GET, "/v2/catalog"))
        .await
        .assert_error(401);
    let catalog = call(
        &bearer,
        ask(Method::GET, "/v2/catalog").header("authorization", "Bearer t0ken"),
    )
    .await;
    assert_eq!(catalog.json()["services"][0]["name"], "scratchpad");
}

/// The reference broker's catalog, pinned: a change to what the macros generate shows
/// up here as a diff to review. `OSB_BLESS=1` rewrites the file.
#[test]
fn reference_catalog_matches_the_golden_file() {
    let output = std::process::Command::new(examples_dir().join("reference"))
        .arg("--catalog")
        .output()
        .expect("run");
    let generated: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let golden_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/reference-catalog.json");
    // Pretty-printed in the order served (a `Value` would sort the keys).
    let mut pretty = Vec::new();
    let mut from = serde_json::Deserializer::from_slice(&output.stdout);
    let mut to = serde_json::Serializer::pretty(&mut pretty);
    serde_transcode::transcode(&mut from, &mut to).expect("transcode");
    let pretty = String::from_utf8(pretty).unwrap() + "\n";
    if std::env::var_os("OSB_BLESS").is_some() {
        std::fs::write(&golden_path, &pretty).unwrap();
    }
    let golden = std::fs::read_to_string(&golden_path).unwrap();
    assert_eq!(
        pretty, golden,
        "run with OSB_BLESS=1 to accept the new catalog"
    );

    // The spec's catalog rules hold: unique ids and names, semver, schemas with
    // `$schema`, no external references, at most 64 kB.
    let catalog: osb::catalog::Catalog = serde_json::from_value(generated.clone()).unwrap();
    assert_eq!(catalog.validate(), Ok(()));
    for plan in generated["services"][0]["plans"].as_array().unwrap() {
        for schema in [
            &plan["schemas"]["service_instance"]["create"]["parameters"],
            &plan["schemas"]["service_instance"]["update"]["parameters"],
            &plan["schemas"]["service_binding"]["create"]["parameters"],
        ] {
            assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
        }
    }
}

/// The reference broker as an operator runs it (issue 21, item 7): `--help` and
/// `--version` on standard output with exit 0, a bad option exit 2, every option also
/// from the environment, start-up errors that name what failed.
#[test]
fn the_reference_broker_answers_its_command_line_as_an_operator_expects() {
    let run = |args: &[&str]| {
        std::process::Command::new(examples_dir().join("reference"))
            .args(args)
            .env_remove("OSB_LISTEN")
            .output()
            .expect("run")
    };
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for expected in [
        "Usage: reference [OPTIONS]",
        "--listen <LISTEN>",
        "[env: OSB_LISTEN=]",
        "[env: OSB_STORE=]",
        "[env: OSB_PASSWORD]",
        "--log-format <LOG_FORMAT>",
        "GET /healthz",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(help.stderr.is_empty());

    let version = run(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        format!("reference {}\n", env!("CARGO_PKG_VERSION"))
    );

    let bad = run(&["--bogus"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unexpected argument '--bogus'"));
    let bad = run(&["--listen", "nowhere"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid value 'nowhere' for '--listen"));
}

#[tokio::test]
async fn a_busy_address_is_named_at_start_up() {
    let first = start("reference", &[], &[]).await;
    let output = tokio::process::Command::new(examples_dir().join("reference"))
        .args(["--store", "memory", "--listen", &first.addr.to_string()])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("could not listen on {}: ", first.addr)),
        "{stderr}"
    );
}

/// Logs go to standard output without colour codes when it is not a terminal, and as
/// one JSON object a line with `--log-format json` (`OSB_LOG_FORMAT`).
#[tokio::test]
async fn logs_are_plain_on_a_pipe_and_json_on_request() {
    for format in ["auto", "json"] {
        let mut child = tokio::process::Command::new(examples_dir().join("reference"))
            .args(["--store", "memory", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .env("OSB_LOG_FORMAT", format)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
            child.stdout.take().unwrap(),
        ));
        let mut next = async || {
            tokio::time::timeout(Duration::from_secs(60), lines.next_line())
                .await
                .expect("a line in time")
                .expect("read")
                .expect("a line")
        };
        // Log lines may come before the banner.
        let mut seen = Vec::new();
        let addr = loop {
            let line = next().await;
            if let Some(rest) = line.strip_prefix("reference broker listening on http://") {
                break rest.split_whitespace().next().unwrap().parse().unwrap();
            }
            seen.push(line);
        };
        let to = Running { child, addr };
        let reply = call(
            &to,
            ask(Method::GET, "/v2/catalog").header("x-request-id", "log-probe"),
        )
        .await;
        assert_eq!(reply.status, 200);
        let line = loop {
            let line = next().await;
            if line.contains("log-probe") {
                break line;
            }
            seen.push(line);
        };
        assert!(!line.contains('\u{1b}'), "colour codes on a pipe: {line:?}");
        if format == "json" {
            let entry: Value = serde_json::from_str(&line).expect("one JSON object a line");
            assert_eq!(entry["fields"]["message"], "request completed", "{entry}");
            assert_eq!(entry["span"]["request_id"], "log-probe", "{entry}");
            assert_eq!(entry["level"], "INFO");
        } else {
            assert!(line.contains("request completed"), "{line}");
        }
        for earlier in &seen {
            assert!(
                !earlier.contains('\u{1b}'),
                "colour codes on a pipe: {earlier:?}"
            );
        }
    }
}

/// GET `path` over HTTPS from the broker at `addr`, trusting only `ca` (DER), with the
/// examples' credentials if `authenticated`, presenting `identity` if any: the status
/// and body.
async fn https_get(
    addr: std::net::SocketAddr,
    ca: tokio_rustls::rustls::pki_types::CertificateDer<'static>,
    path: &str,
    authenticated: bool,
    identity: Option<(&rcgen::Certificate, &rcgen::KeyPair)>,
) -> (u16, String) {
    use http_body_util::BodyExt as _;
    use tokio_rustls::rustls;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    // rustls deprecates its *ring* provider (no post-quantum key exchange); the
    // framework serves with it.
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match identity {
        None => config.with_no_client_auth(),
        Some((cert, key)) => {
            let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
            config
                .with_client_auth_cert(vec![cert.der().clone()], key)
                .unwrap()
        }
    };
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("TLS handshake");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::get(path)
        .header("host", "localhost")
        .header("x-broker-api-version", "2.17");
    if authenticated {
        request = request.header("authorization", basic("admin", "admin"));
    }
    let request = request
        .body(http_body_util::Empty::<hyper::body::Bytes>::new())
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(20), sender.send_request(request))
        .await
        .expect("an answer in time")
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// Starts the reference broker, which serves HTTPS (as `common::process::start` does
/// for HTTP).
async fn start_https(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut child = tokio::process::Command::new(examples_dir().join("reference"))
        .args(args)
        .envs(env.iter().copied())
        .env("OSB_LISTEN", "127.0.0.1:0")
        .env("OSB_STORE", "memory")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start");
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(child.stdout.take().unwrap()));
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("a line in time")
        .unwrap()
        .expect("a line");
    let addr = line
        .strip_prefix("reference broker listening on https://")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no https address in {line:?}"));
    // Keep draining stdout so the broker never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Running { child, addr }
}

/// The reference broker over HTTPS (`--tls-cert`, `--tls-key`, or `OSB_TLS_…`): the
/// catalog with basic authentication; a TLS file that cannot be used stops it at
/// start-up with one line that names the file.
#[tokio::test]
async fn reference_serves_https_with_the_tls_files_given() {
    let dir = std::env::temp_dir().join(osb_tests::unique("osb-reference-tls"));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let cert_path = dir.join("tls.crt");
    let key_path = dir.join("tls.key");
    std::fs::write(&cert_path, server.pem() + &ca.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let (cert_arg, key_arg) = (cert_path.to_str().unwrap(), key_path.to_str().unwrap());

    let to = start_https(&["--tls-cert", cert_arg, "--tls-key", key_arg], &[]).await;

    let (status, body) = https_get(to.addr, ca.der().clone(), "/v2/catalog", true, None).await;
    assert_eq!(status, 200, "{body}");
    let catalog: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(catalog["services"][0]["name"], "inmemory-db");
    let (status, _) = https_get(to.addr, ca.der().clone(), "/v2/catalog", false, None).await;
    assert_eq!(status, 401);
    drop(to);

    // Mutual TLS: client certificates from the CA, allowed by common name instead of
    // basic credentials.
    let ca_path = dir.join("platform-ca.crt");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    let client = |name: &str| {
        let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        (params.signed_by(&key, &issuer).unwrap(), key)
    };
    let (platform, platform_key) = client("platform");
    let (intruder, intruder_key) = client("intruder");
    let to = start_https(
        &[],
        &[
            ("OSB_TLS_CERT", cert_arg),
            ("OSB_TLS_KEY", key_arg),
            ("OSB_TLS_CLIENT_CA", ca_path.to_str().unwrap()),
            ("OSB_TLS_CLIENT_SUBJECTS", "cf-prod,platform"),
        ],
    )
    .await;
    let get = |identity| https_get(to.addr, ca.der().clone(), "/v2/catalog", false, identity);
    let (status, body) = get(Some((&platform, &platform_key))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(Some((&intruder, &intruder_key))).await;
    assert_eq!(status, 401, "{body}");
    drop(to);

    // The same from the environment, with a key file that is not there.
    let missing = dir.join("missing.key");
    let output = tokio::process::Command::new(examples_dir().join("reference"))
        .env("OSB_LISTEN", "127.0.0.1:0")
        .env("OSB_STORE", "memory")
        .env("OSB_TLS_CERT", cert_arg)
        .env("OSB_TLS_KEY", &missing)
        .output()
        .await
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "reference broker: could not read {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    assert!(output.stdout.is_empty());

    // One without the other is a usage error; --help tells of both.
    let output = tokio::process::Command::new(examples_dir().join("reference"))
        .args(["--tls-cert", cert_arg])
        .output()
        .await
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let help = tokio::process::Command::new(examples_dir().join("reference"))
        .arg("--help")
        .output()
        .await
        .expect("run");
    let help = String::from_utf8_lossy(&help.stdout);
    for expected in [
        "--tls-cert <PATH>",
        "[env: OSB_TLS_CERT=]",
        "--tls-key <PATH>",
        "checked every 10 s and reloaded when",
        "--tls-client-ca <PATH>",
        "--tls-client-subject <NAME>",
        "[env: OSB_TLS_CLIENT_SUBJECTS=]",
        "--tls-client-fingerprint <HEX>",
    ] {
        assert!(help.contains(expected), "{expected:?} in {help}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `--metrics-route` serves the metrics in Prometheus's text format, behind the
/// broker's credentials; `OSB_METRICS_PUBLIC=true` serves them to anyone.
#[tokio::test]
async fn reference_serves_its_metrics_where_asked() {
    let to = start("reference", &["--metrics-route", "/metrics"], &[]).await;
    assert_eq!(call(&to, ask(Method::GET, "/v2/catalog")).await.status, 200);
    // Without credentials: the broker's 401.
    call(&to, req(Method::GET, "/metrics"))
        .await
        .assert_error(401);
    let reply = call(&to, ask(Method::GET, "/metrics")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = reply.text();
    assert!(
        text.lines().any(|line| line.starts_with(
            r#"osb_requests_total{operation="catalog",service="",plan="",status="200"} "#
        )),
        "{text}"
    );

    let public = start(
        "reference",
        &[],
        &[
            ("OSB_METRICS_ROUTE", "/internal/metrics"),
            ("OSB_METRICS_PUBLIC", "true"),
        ],
    )
    .await;
    assert_eq!(
        call(&public, ask(Method::GET, "/v2/catalog")).await.status,
        200
    );
    let reply = call(&public, req(Method::GET, "/internal/metrics")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply.text().contains("# TYPE osb_requests_total counter"),
        "{}",
        reply.text()
    );
}
