//! The deployment recipes under `deploy/` (docs/DEPLOY.md), kept true against the real
//! reference broker: every `OSB_…` variable they (or docs/DEPLOY.md) name is one the
//! broker takes, the ports of the Dockerfile, the Deployment, its probes, its scrape
//! annotations and the Service agree, the Dockerfile copies every workspace member's
//! manifest, and the broker started with the environment of the Kubernetes Deployment
//! or of the Cloud Foundry manifest (a SQLite file in place of PostgreSQL) answers the
//! paths their probes and health checks ask for.
//!
//! The files are read line by line, not parsed as YAML: no YAML parser is in Cargo.lock,
//! and the few keys read here sit on lines of their own in files this repository
//! writes. A recipe written in another layout (flow style, anchors, multi-line
//! scalars) makes these tests fail loudly rather than pass wrongly.

mod common;

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use common::process::examples_dir;
use common::{Connection, Reply, basic, req};
use http::Method;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(relative: &str) -> String {
    let path = repository().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|err| panic!("list {}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The `OSB_…` names in `text`.
fn variables_named(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("OSB_") {
        // Not the tail of a longer identifier.
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        if !preceded {
            names.insert(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}

/// A YAML scalar as written on its line: without a trailing comment or quotes.
fn scalar(raw: &str) -> String {
    let raw = match raw.find(" #") {
        Some(at) => &raw[..at],
        None => raw,
    };
    raw.trim().trim_matches('"').trim_matches('\'').to_owned()
}

/// The values of `key:` on the lines of `text` (a list item's `- key:` too).
fn values_of(text: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key}:");
    text.lines()
        .map(|line| line.trim_start().trim_start_matches("- "))
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(scalar)
        .collect()
}

/// The single value of `key:` in `text`.
#[track_caller]
fn value_of(text: &str, key: &str) -> String {
    let values = values_of(text, key);
    assert_eq!(values.len(), 1, "`{key}:` once, found {values:?}");
    values.into_iter().next().expect("one value")
}

/// The block under the line `header` (trimmed) in `text`: the lines after it indented
/// deeper than it, or list items (`- …`) as deep, as YAML allows; comments left out.
#[track_caller]
fn block<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    let indent_of = |line: &str| line.len() - line.trim_start().len();
    let mut lines = text.lines();
    let indent = lines
        .by_ref()
        .find(|line| line.trim() == header)
        .map(indent_of)
        .unwrap_or_else(|| panic!("no `{header}` line"));
    lines
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .take_while(|line| {
            indent_of(line) > indent
                || (indent_of(line) == indent && line.trim_start().starts_with("- "))
        })
        .collect()
}

/// `KEY: value` pairs of a block of `OSB_…` keys (a Secret's `stringData`, a Cloud
/// Foundry `env`).
fn osb_pairs(lines: &[&str]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|line| line.trim().split_once(": "))
        .filter(|(key, _)| key.starts_with("OSB_"))
        .map(|(key, value)| (key.to_owned(), scalar(value)))
        .collect()
}

/// The `env:` list of a Kubernetes container: `- name: X` followed by `value: Y`.
fn kubernetes_env(deployment: &str) -> Vec<(String, String)> {
    let lines = block(deployment, "env:");
    let mut pairs = Vec::new();
    let mut lines = lines.iter().map(|line| line.trim());
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("- name:") {
            let value = lines
                .next()
                .and_then(|line| line.strip_prefix("value:"))
                .unwrap_or_else(|| panic!("`value:` after `- name:{name}`"));
            pairs.push((scalar(name), scalar(value)));
        }
    }
    pairs
}

/// The `ENV` of a Dockerfile (`ENV A=1 \` continued on the next lines).
fn dockerfile_env(dockerfile: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut continued = false;
    for line in dockerfile.lines() {
        let line = line.trim();
        let words = if let Some(rest) = line.strip_prefix("ENV ") {
            rest
        } else if continued {
            line
        } else {
            continue;
        };
        continued = words.ends_with('\\');
        for word in words.trim_end_matches('\\').split_whitespace() {
            let (key, value) = word
                .split_once('=')
                .unwrap_or_else(|| panic!("ENV in KEY=VALUE form: {word:?}"));
            pairs.push((key.to_owned(), value.to_owned()));
        }
    }
    pairs
}

/// The port of a `HOST:PORT` listen address.
#[track_caller]
fn port_of(listen: &str) -> u16 {
    let address: SocketAddr = listen
        .parse()
        .unwrap_or_else(|err| panic!("{listen:?} is not an address: {err}"));
    address.port()
}

fn lookup<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

/// The Kubernetes container's ports by name.
fn container_port(deployment: &str, name_or_number: &str) -> u16 {
    if let Ok(number) = name_or_number.parse() {
        return number;
    }
    let lines = block(deployment, "ports:");
    let mut lines = lines.iter().map(|line| line.trim());
    while let Some(line) = lines.next() {
        if line.strip_prefix("- name:").map(scalar).as_deref() == Some(name_or_number) {
            let port = lines
                .next()
                .and_then(|line| line.strip_prefix("containerPort:"))
                .unwrap_or_else(|| panic!("`containerPort:` after `- name: {name_or_number}`"));
            return scalar(port).parse().expect("a port number");
        }
    }
    panic!("no container port named {name_or_number:?}");
}

/// The `path` and `port` of a Kubernetes `httpGet` probe.
fn probe(deployment: &str, probe: &str) -> (String, String) {
    let lines = block(deployment, &format!("{probe}:")).join("\n");
    (value_of(&lines, "path"), value_of(&lines, "port"))
}

#[test]
fn every_variable_the_recipes_name_is_an_option_of_the_reference_broker() {
    let help = std::process::Command::new(examples_dir().join("reference"))
        .arg("--help")
        .output()
        .expect("run reference --help");
    assert!(help.status.success());
    let help = String::from_utf8(help.stdout).expect("UTF-8 help");
    let mut files = files_under(&repository().join("deploy"));
    files.push(repository().join("docs/DEPLOY.md"));
    let mut unknown = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a text file");
        for name in variables_named(&text) {
            // clap prints `[env: NAME=value]`, or `[env: NAME]` when values are hidden. A
            // name ending in `_` is a prefix (`OSB_TLS_…`): some variable must start so.
            let known = if name.ends_with('_') {
                help.contains(&format!("[env: {name}"))
            } else {
                help.contains(&format!("[env: {name}=")) || help.contains(&format!("[env: {name}]"))
            };
            if !known {
                unknown.push(format!("{name} ({})", file.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "variables the reference broker does not take (not in its --help): {unknown:?}"
    );
}

#[test]
fn the_ports_of_the_image_the_deployment_and_the_service_agree() {
    let dockerfile = read("deploy/Dockerfile");
    let deployment = read("deploy/kubernetes/deployment.yaml");
    let service = read("deploy/kubernetes/service.yaml");

    // The image listens on every interface of the container, on the port it exposes.
    let image_env = dockerfile_env(&dockerfile);
    let image_listen = lookup(&image_env, "OSB_LISTEN").expect("the image sets OSB_LISTEN");
    assert!(image_listen.starts_with("0.0.0.0:"), "{image_listen}");
    let port = port_of(image_listen);
    let exposed: Vec<&str> = dockerfile
        .lines()
        .filter_map(|line| line.strip_prefix("EXPOSE "))
        .collect();
    assert_eq!(exposed, [port.to_string()]);

    // The Deployment: what it sets (or the image's), its container port, its probes,
    // the scrape annotations.
    let env = kubernetes_env(&deployment);
    let listen = lookup(&env, "OSB_LISTEN").unwrap_or(image_listen);
    assert_eq!(port_of(listen), port, "OSB_LISTEN of the Deployment");
    let container_ports = values_of(&deployment, "containerPort");
    assert_eq!(container_ports, [port.to_string()]);
    for name in ["livenessProbe", "readinessProbe"] {
        let (_, probe_port) = probe(&deployment, name);
        assert_eq!(container_port(&deployment, &probe_port), port, "{name}");
    }
    let annotation = value_of(&deployment, "prometheus.io/port");
    assert_eq!(annotation, port.to_string(), "prometheus.io/port");
    assert_eq!(
        Some(value_of(&deployment, "prometheus.io/path").as_str()),
        lookup(&env, "OSB_METRICS_ROUTE"),
        "prometheus.io/path is the metrics route"
    );

    // The Service sends to that port.
    let target = value_of(&service, "targetPort");
    assert_eq!(container_port(&deployment, &target), port, "targetPort");
    assert_eq!(value_of(&service, "port"), "80");
}

#[test]
fn the_cloud_foundry_app_listens_on_the_port_cloud_foundry_gives() {
    let manifest = read("deploy/cloudfoundry/manifest.yml");
    let command = value_of(&manifest, "command");
    // The broker does not read PORT: the command hands it over.
    assert!(
        command.contains("OSB_LISTEN=0.0.0.0:$PORT"),
        "the start command sets OSB_LISTEN from PORT: {command}"
    );
    assert!(
        !osb_pairs(&block(&manifest, "env:"))
            .iter()
            .any(|(key, _)| key == "OSB_LISTEN"),
        "OSB_LISTEN comes from the command, not from env"
    );
}

#[test]
fn the_dockerfile_copies_every_workspace_manifest_and_a_new_enough_rust() {
    let dockerfile = read("deploy/Dockerfile");
    let workspace = read("Cargo.toml");
    let members = workspace
        .split_once("members")
        .and_then(|(_, rest)| rest.split_once('['))
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("the workspace's members");
    let members: Vec<&str> = members
        .split(',')
        .map(|member| member.trim().trim_matches('"'))
        .filter(|member| !member.is_empty())
        .collect();
    assert!(!members.is_empty());
    for member in members {
        let copy = format!("COPY {member}/Cargo.toml {member}/Cargo.toml");
        assert!(
            dockerfile.lines().any(|line| line.trim() == copy),
            "the Dockerfile's dependency layer needs `{copy}`"
        );
    }

    // The builder's Rust is at least the workspace's rust-version.
    let version = |text: &str| -> (u32, u32) {
        let mut parts = text.split('.').map(|part| part.parse().expect("a number"));
        (parts.next().expect("major"), parts.next().expect("minor"))
    };
    let required = value_of(&workspace.replace(" = ", ": "), "rust-version");
    let image = dockerfile
        .lines()
        .find_map(|line| line.strip_prefix("ARG RUST_IMAGE="))
        .expect("ARG RUST_IMAGE=…");
    let tag = image
        .rsplit_once(':')
        .and_then(|(_, tag)| tag.split('-').next())
        .expect("a rust:X.Y-… tag");
    assert!(
        version(tag) >= version(&required),
        "the builder's Rust {tag} is older than the workspace's rust-version {required}"
    );
}

/// A reference broker started for a test, its whole process group killed when dropped.
struct Broker {
    child: Child,
    addr: SocketAddr,
    scheme: String,
    dir: PathBuf,
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            // The group this test made for it (the Cloud Foundry command runs in a shell).
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A directory of this test's own, for a SQLite file.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(osb_tests::unique(name));
    std::fs::create_dir_all(&dir).expect("make a scratch directory");
    dir
}

/// A port of 127.0.0.1 free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `program` with `args` in `dir` with exactly the `OSB_…` variables of `env`
/// (none inherited), and waits for its «listening on» line.
async fn start(program: &Path, args: &[&str], dir: PathBuf, env: &[(String, String)]) -> Broker {
    try_start(program, args, dir, env)
        .await
        .unwrap_or_else(|| panic!("{} ended before listening", program.display()))
}

/// As [`start`], or `None` if the program ends before it listens.
async fn try_start(
    program: &Path,
    args: &[&str],
    dir: PathBuf,
    env: &[(String, String)],
) -> Option<Broker> {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(&dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .kill_on_drop(true);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OSB_") {
            command.env_remove(name);
        }
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start the broker");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if line.contains("listening on ") {
                return Some(line);
            }
        }
        None
    })
    .await
    .expect("the broker listened in time")?;
    let (scheme, rest) = line
        .split_once("listening on ")
        .and_then(|(_, rest)| rest.split_once("://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let addr = rest
        .split_whitespace()
        .next()
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Some(Broker {
        child,
        addr,
        scheme: scheme.to_owned(),
        dir,
    })
}

/// GET `path` as a probe sends it: no credentials, no API version header.
async fn probe_get(broker: &Broker, path: &str) -> Reply {
    let request = req(Method::GET, path)
        .without("authorization")
        .without("x-broker-api-version");
    Connection::open(broker.addr).await.send(request).await
}

/// A valid `OSB_STORE_KEY`, in place of the Secret's placeholder.
fn store_key() -> String {
    base64::engine::general_purpose::STANDARD.encode((0u8..32).collect::<Vec<u8>>())
}

/// The reference broker with the environment the Deployment's container gets: the
/// image's ENV, then the Secret (envFrom), then the Deployment's env; the database is
/// a SQLite file, and it listens on a free port of 127.0.0.1 (its port as deployed is
/// checked by `the_ports_of_the_image_the_deployment_and_the_service_agree`).
async fn as_deployed() -> Broker {
    let mut env = dockerfile_env(&read("deploy/Dockerfile"));
    env.extend(osb_pairs(&block(
        &read("deploy/kubernetes/secret.yaml"),
        "stringData:",
    )));
    env.extend(kubernetes_env(&read("deploy/kubernetes/deployment.yaml")));
    let dir = scratch_dir("deploy-kubernetes");
    env.push((
        "OSB_STORE".to_owned(),
        format!("sqlite://{}", dir.join("broker.db").display()),
    ));
    env.push(("OSB_STORE_KEY".to_owned(), store_key()));
    env.push(("OSB_LISTEN".to_owned(), "127.0.0.1:0".to_owned()));
    start(&examples_dir().join("reference"), &[], dir, &env).await
}

#[tokio::test]
async fn the_kubernetes_probes_answer_on_the_broker_as_deployed() {
    let deployment = read("deploy/kubernetes/deployment.yaml");
    let broker = as_deployed().await;
    // The probes speak HTTP (no `scheme: HTTPS`): the broker must too.
    assert_eq!(broker.scheme, "http");
    for name in ["livenessProbe", "readinessProbe"] {
        let (path, _) = probe(&deployment, name);
        let reply = probe_get(&broker, &path).await;
        assert_eq!(reply.status, 200, "{name} GET {path}: {}", reply.text());
    }
}

#[tokio::test]
async fn prometheus_scrapes_the_broker_as_deployed_where_the_annotations_say() {
    let deployment = read("deploy/kubernetes/deployment.yaml");
    let path = value_of(&deployment, "prometheus.io/path");
    let broker = as_deployed().await;
    // Without credentials, as annotation-driven scraping sends it.
    let reply = probe_get(&broker, &path).await;
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
}

#[tokio::test]
async fn the_cloud_foundry_health_checks_answer_on_the_app_as_pushed() {
    let manifest = read("deploy/cloudfoundry/manifest.yml");
    // The manifest's start command, as Cloud Foundry runs it: in a shell, in the app's
    // directory (the binary at ./reference), with PORT set. Here on 127.0.0.1 only.
    let command = value_of(&manifest, "command").replace("0.0.0.0", "127.0.0.1");
    let dir = scratch_dir("deploy-cloudfoundry");
    std::os::unix::fs::symlink(examples_dir().join("reference"), dir.join("reference"))
        .expect("link the binary into the app directory");
    // The manifest's env, its ((variables)) given, PostgreSQL replaced by SQLite.
    let env: Vec<(String, String)> = osb_pairs(&block(&manifest, "env:"))
        .into_iter()
        .map(|(key, value)| match key.as_str() {
            "OSB_USERNAME" => (key, "cf-platform".to_owned()),
            "OSB_PASSWORD" => (key, "cf-secret".to_owned()),
            "OSB_STORE" => (key, format!("sqlite://{}", dir.join("broker.db").display())),
            _ => {
                assert!(!value.contains("(("), "{key}: {value} needs a value here");
                (key, value)
            }
        })
        .collect();
    // A port free a moment ago may be taken meanwhile by another test: then the
    // broker says it could not listen and exits, and another port is tried.
    let mut started = None;
    for _ in 0..3 {
        let port = free_port();
        let mut env = env.clone();
        env.push(("PORT".to_owned(), port.to_string()));
        if let Some(broker) = try_start(Path::new("sh"), &["-c", &command], dir.clone(), &env).await
        {
            started = Some((broker, port));
            break;
        }
    }
    let (broker, port) = started.expect("the app listened on one of three free ports");
    assert_eq!(broker.addr.port(), port, "the app listens on $PORT");
    assert_eq!(
        broker.scheme, "http",
        "Cloud Foundry's health checks speak HTTP"
    );
    for key in [
        "health-check-http-endpoint",
        "readiness-health-check-http-endpoint",
    ] {
        let path = value_of(&manifest, key);
        let reply = probe_get(&broker, &path).await;
        assert_eq!(reply.status, 200, "{key} GET {path}: {}", reply.text());
    }
    // The credentials of the manifest's env are the ones the broker asks for.
    let catalog =
        req(Method::GET, "/v2/catalog").header("authorization", &basic("cf-platform", "cf-secret"));
    let reply = Connection::open(broker.addr).await.send(catalog).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}
