//! The benchmark driver: runs the reference broker and the bare-axum baseline one
//! after the other, each pinned to CPU 0, drives them with wrk pinned to CPU 1, and
//! prints the tables of docs/PERFORMANCE.md. Start it through `benches/run.sh`,
//! which builds everything first.
//!
//! Traffic goes only to 127.0.0.1; the only processes stopped are the servers this
//! driver started, by their process id.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "../idle.rs"]
mod idle;

const SERVICE: &str = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90";
const PLAN: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";
const AUTH: &str = "Basic YWRtaW46YWRtaW4=";
const ROUTES: [&str; 5] = [
    "catalog",
    "provision",
    "bind",
    "last_operation",
    "fetch_instance",
];
const SERVERS: [&str; 2] = ["reference", "baseline"];

type Error = Box<dyn std::error::Error>;
type Result<T, E = Error> = std::result::Result<T, E>;

/// Settings from the command line.
#[derive(Clone)]
struct Settings {
    reference: PathBuf,
    baseline: PathBuf,
    lua: PathBuf,
    out: PathBuf,
    /// The reference broker's `--store`.
    reference_store: String,
    runs: usize,
    duration: u64,
    warmup: u64,
    connections: usize,
    seeds: usize,
    memory_instances: usize,
    growth_slices: usize,
    server_cpu: String,
    client_cpu: String,
    compile: bool,
    runtime: bool,
    /// The store-cost section: the reference broker's write path on each backend.
    store_cost: bool,
    store_runs: usize,
    /// Seconds after which the store-cost section starts no new repetition.
    store_budget: u64,
    /// The PostgreSQL database of the store-cost section.
    postgres_url: String,
    compile_runs: usize,
    workspace: PathBuf,
    /// The guest's halt polling to set for the run (`--guest-halt-poll-ns`), if any.
    guest_halt_poll_ns: Option<u64>,
}

const USAGE: &str = "usage: osb-bench --reference BIN --baseline BIN --lua FILE [options]

  --runs N               repetitions, medians are reported (default 3)
  --duration S           seconds of each measured wrk run (default 5)
  --warmup S             seconds of warm-up before each measured run (default 1)
  --connections N        wrk connections (default 64)
  --seeds N              instances created before the GET and bind runs (default 1000)
  --memory-instances N   instances and bindings created for the RSS growth (default 50000)
  --growth-slices N      consecutive provision runs on one server (default 4)
  --server-cpu C / --client-cpu C   taskset CPU lists (default 0 / 1)
  --reference-store S    the reference broker's --store in the comparison (default memory)
  --store-runs N         repetitions of the store-cost section (default 3)
  --store-budget S       the store-cost section starts no repetition after S seconds (default 900)
  --postgres URL         database of the store-cost section, emptied of the framework's
                         tables before every start (default
                         postgres://postgres@127.0.0.1:5432/osb_bench, created if missing)
  --no-store-cost        skip the store-cost section (memory, SQLite, PostgreSQL)
  --out DIR              where results and logs go (default target/osb-bench)
  --workspace DIR        the repository root (default: the current directory)
  --compile-runs N       incremental rebuilds per broker (default 5)
  --no-compile           skip the compile-time comparison
  --no-runtime           skip the comparison with the baseline
  --guest-halt-poll-ns N on a KVM guest with the haltpoll cpuidle driver, how long an
                         idle CPU polls before it halts during the run (written to
                         /sys/module/haltpoll/parameters/guest_halt_poll_ns, root only;
                         the previous value is restored at the end). Default: unchanged
  --quick                1 run of 2 s, 1 growth slice, 10000 memory instances, 2 rebuilds,
                         1 store-cost repetition";

impl Settings {
    fn parse() -> Result<Self> {
        let mut settings = Settings {
            reference: PathBuf::new(),
            baseline: PathBuf::new(),
            lua: PathBuf::new(),
            out: PathBuf::from("target/osb-bench"),
            reference_store: "memory".into(),
            runs: 3,
            duration: 5,
            warmup: 1,
            connections: 64,
            seeds: 1000,
            memory_instances: 50_000,
            growth_slices: 4,
            server_cpu: "0".into(),
            client_cpu: "1".into(),
            compile: true,
            runtime: true,
            store_cost: true,
            store_runs: 3,
            store_budget: 900,
            postgres_url: "postgres://postgres@127.0.0.1:5432/osb_bench".into(),
            compile_runs: 5,
            workspace: std::env::current_dir()?,
            guest_halt_poll_ns: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--reference" => settings.reference = value()?.into(),
                "--baseline" => settings.baseline = value()?.into(),
                "--lua" => settings.lua = value()?.into(),
                "--out" => settings.out = value()?.into(),
                "--reference-store" => settings.reference_store = value()?,
                "--workspace" => settings.workspace = value()?.into(),
                "--runs" => settings.runs = value()?.parse()?,
                "--duration" => settings.duration = value()?.parse()?,
                "--warmup" => settings.warmup = value()?.parse()?,
                "--connections" => settings.connections = value()?.parse()?,
                "--seeds" => settings.seeds = value()?.parse()?,
                "--memory-instances" => settings.memory_instances = value()?.parse()?,
                "--growth-slices" => settings.growth_slices = value()?.parse()?,
                "--server-cpu" => settings.server_cpu = value()?,
                "--client-cpu" => settings.client_cpu = value()?,
                "--compile-runs" => settings.compile_runs = value()?.parse()?,
                "--store-runs" => settings.store_runs = value()?.parse()?,
                "--store-budget" => settings.store_budget = value()?.parse()?,
                "--postgres" => settings.postgres_url = value()?,
                "--guest-halt-poll-ns" => settings.guest_halt_poll_ns = Some(value()?.parse()?),
                "--no-store-cost" => settings.store_cost = false,
                "--no-compile" => settings.compile = false,
                "--no-runtime" => settings.runtime = false,
                "--quick" => {
                    settings.runs = 1;
                    settings.duration = 2;
                    settings.growth_slices = 1;
                    settings.memory_instances = 10_000;
                    settings.compile_runs = 2;
                    settings.store_runs = 1;
                }
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument {other}\n\n{USAGE}").into()),
            }
        }
        let missing = |path: &PathBuf| path.as_os_str().is_empty();
        if (settings.runtime || settings.store_cost)
            && (missing(&settings.reference) || missing(&settings.lua))
            || settings.runtime && missing(&settings.baseline)
        {
            return Err(USAGE.into());
        }
        Ok(settings)
    }
}

// ---------------------------------------------------------------------------------
// Processes and /proc

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process (all its threads), in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces: fields start after the last ')'.
    let rest = stat.rsplit_once(')').ok_or("bad /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 14 (utime) and 15 (stime) of proc(5); `rest` starts at field 3.
    let utime: u64 = fields.get(11).ok_or("no utime")?.parse()?;
    let stime: u64 = fields.get(12).ok_or("no stime")?.parse()?;
    Ok(utime + stime)
}

/// Busy clock ticks of one CPU since boot (user, nice, system and steal of its
/// `/proc/stat` line: interrupt and softirq time, partly the server's own network
/// work, is left out), or `None` when `cpus` is not a single CPU.
fn cpu_busy_ticks(cpus: &str) -> Option<u64> {
    let cpu: usize = cpus.trim().parse().ok()?;
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat
        .lines()
        .find(|line| line.split_whitespace().next() == Some(&format!("cpu{cpu}")))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest is inside user).
    Some(
        [0, 1, 2, 7]
            .iter()
            .map(|&i| fields.get(i).copied().unwrap_or(0))
            .sum(),
    )
}

/// The processes named `postgres` (the server and its backends, whoever started
/// them; only read): pid → (utime + stime ticks, whether it serves database `db`).
fn postgres_processes(db: &str) -> BTreeMap<u32, (u64, bool)> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    let marker = format!(" {db} ");
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() != "postgres" {
            continue;
        }
        let Ok(ticks) = cpu_ticks(pid) else {
            continue;
        };
        // A backend's title: "postgres: USER DATABASE HOST(PORT) STATE".
        let title = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let ours = String::from_utf8_lossy(&title).contains(&marker);
        out.insert(pid, (ticks, ours));
    }
    out
}

/// CPU ticks the `postgres` processes used between two readings: (all, those serving
/// `db`). Processes started in between count in full; those that ended are lost.
fn postgres_ticks_between(
    before: &BTreeMap<u32, (u64, bool)>,
    after: &BTreeMap<u32, (u64, bool)>,
) -> (u64, u64) {
    let mut all = 0;
    let mut ours = 0;
    for (pid, (ticks, serving)) in after {
        let used = ticks.saturating_sub(before.get(pid).map_or(0, |(t, _)| *t));
        all += used;
        if *serving {
            ours += used;
        }
    }
    (all, ours)
}

/// A line of /proc/PID/status in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, key: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    for line in status.lines() {
        if let Some(value) = line.strip_prefix(key).and_then(|v| v.strip_prefix(':')) {
            let number = value.trim().trim_end_matches("kB").trim();
            return Ok(number.parse()?);
        }
    }
    Err(format!("no {key} in /proc/{pid}/status").into())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server this driver started, stopped (by its pid) when dropped.
struct Server {
    child: Child,
    port: u16,
    startup: Duration,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn start(settings: &Settings, kind: &str, catalog: &Path, log: &Path) -> Result<Self> {
        let port = free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let mut command = Command::new("taskset");
        command.arg("-c").arg(&settings.server_cpu);
        match kind {
            "reference" => command.arg(&settings.reference).args([
                "--listen",
                &listen,
                "--store",
                &settings.reference_store,
            ]),
            _ => command
                .arg(&settings.baseline)
                .args(["--listen", &listen, "--store", &settings.reference_store])
                .arg("--catalog")
                .arg(catalog),
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let spawned = Instant::now();
        // taskset execs the server: the pid is the server's.
        let child = command.spawn()?;
        let mut server = Server {
            child,
            port,
            startup: Duration::ZERO,
        };
        let deadline = spawned + Duration::from_secs(10);
        loop {
            if let Ok(mut client) = Client::connect(port) {
                let request = get_request("/v2/catalog");
                if let Ok(responses) = client.exchange(&[request])
                    && responses.first().is_some_and(|r| r.status == 200)
                {
                    server.startup = spawned.elapsed();
                    return Ok(server);
                }
            }
            if let Some(status) = server.child.try_wait()? {
                return Err(format!("{kind} exited during start-up: {status}").into());
            }
            if Instant::now() > deadline {
                return Err(format!("{kind} did not answer 200 on the catalog within 10 s").into());
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------
// A minimal blocking HTTP/1.1 client for setup and checks (the load comes from wrk)

struct Response {
    status: u16,
    body: Vec<u8>,
}

struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

fn request(method: &str, path: &str, body: Option<&str>) -> Vec<u8> {
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n\
         X-Broker-API-Version: 2.17\r\n"
    );
    if let Some(body) = body {
        let _ = write!(
            text,
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    } else {
        text.push_str("\r\n");
    }
    text.into_bytes()
}

fn get_request(path: &str) -> Vec<u8> {
    request("GET", path, None)
}

impl Client {
    fn connect(port: u16) -> Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Self {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends the requests pipelined and reads their responses.
    fn exchange(&mut self, requests: &[Vec<u8>]) -> Result<Vec<Response>> {
        let mut all = Vec::with_capacity(requests.iter().map(Vec::len).sum());
        for request in requests {
            all.extend_from_slice(request);
        }
        self.writer.write_all(&all)?;
        requests.iter().map(|_| self.read_response()).collect()
    }

    fn read_response(&mut self) -> Result<Response> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .ok_or("no status line")?
            .parse()?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse()?;
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err("chunked responses are not expected".into());
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(Response { status, body })
    }
}

fn provision_body() -> String {
    format!(
        r#"{{"service_id":"{SERVICE}","plan_id":"{PLAN}","organization_guid":"2b8a8c7e-5d41-4b6e-9a1f-0f3c2d1e4a5b","space_guid":"7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f","context":{{"platform":"cloudfoundry","organization_guid":"2b8a8c7e-5d41-4b6e-9a1f-0f3c2d1e4a5b","space_guid":"7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f","organization_name":"acme-production","space_name":"payments","instance_name":"payments-cache","organization_annotations":{{"owner":"team-payments"}},"space_annotations":{{}},"instance_annotations":{{}}}},"parameters":{{"size_mb":256}},"maintenance_info":{{"version":"1.0.0"}}}}"#
    )
}

fn bind_body() -> String {
    format!(
        r#"{{"service_id":"{SERVICE}","plan_id":"{PLAN}","bind_resource":{{"app_guid":"5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b"}},"context":{{"platform":"cloudfoundry","organization_guid":"2b8a8c7e-5d41-4b6e-9a1f-0f3c2d1e4a5b","space_guid":"7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f","organization_name":"acme-production","space_name":"payments"}},"parameters":{{}}}}"#
    )
}

/// Sends `count` requests made by `make`, 64 pipelined at a time; all must succeed.
fn send_all(port: u16, count: usize, make: impl Fn(usize) -> Vec<u8>) -> Result<()> {
    let mut client = Client::connect(port)?;
    let mut next = 0;
    while next < count {
        let batch: Vec<Vec<u8>> = (next..count.min(next + 64)).map(&make).collect();
        for response in client.exchange(&batch)? {
            if !(200..300).contains(&response.status) {
                return Err(format!(
                    "setup request failed with {}: {}",
                    response.status,
                    String::from_utf8_lossy(&response.body)
                )
                .into());
            }
        }
        next += batch.len();
    }
    Ok(())
}

fn provision_request(id: &str) -> Vec<u8> {
    request(
        "PUT",
        &format!("/v2/service_instances/{id}"),
        Some(&provision_body()),
    )
}

fn bind_request(instance: &str, binding: &str) -> Vec<u8> {
    request(
        "PUT",
        &format!("/v2/service_instances/{instance}/service_bindings/{binding}"),
        Some(&bind_body()),
    )
}

fn seed(port: u16, count: usize) -> Result<()> {
    send_all(port, count, |i| provision_request(&format!("seed-{i}")))
}

/// One request per benchmarked route: status and body, credentials masked.
fn sample_responses(port: u16) -> Result<BTreeMap<String, String>> {
    let hints = format!("?service_id={SERVICE}&plan_id={PLAN}");
    let requests = [
        ("catalog", get_request("/v2/catalog")),
        ("provision", provision_request("check-1")),
        ("provision again", provision_request("check-1")),
        ("bind", bind_request("check-1", "b-1")),
        (
            "last_operation",
            get_request(&format!(
                "/v2/service_instances/check-1/last_operation{hints}"
            )),
        ),
        (
            "fetch_instance",
            get_request(&format!("/v2/service_instances/check-1{hints}")),
        ),
        (
            "fetch unknown",
            get_request(&format!("/v2/service_instances/nope{hints}")),
        ),
    ];
    let mut client = Client::connect(port)?;
    let mut out = BTreeMap::new();
    for (name, request) in requests {
        let response = client.exchange(&[request])?.remove(0);
        let mut body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        if let Some(credentials) = body.get_mut("credentials") {
            for key in ["password", "username"] {
                if let Some(value) = credentials.get_mut(key) {
                    *value = json!("*");
                }
            }
        }
        if name == "fetch unknown" {
            // Error descriptions differ in wording; the status is what must match.
            body = Value::Null;
        }
        out.insert(name.to_owned(), format!("{} {body}", response.status));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------
// wrk

#[derive(Clone, Debug, Default)]
struct WrkResult {
    requests: f64,
    seconds: f64,
    errors: u64,
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
    max_us: f64,
}

fn wrk(
    settings: &Settings,
    port: u16,
    route: &str,
    prefix: &str,
    seconds: u64,
) -> Result<WrkResult> {
    let output = Command::new("taskset")
        .args(["-c", &settings.client_cpu, "wrk", "-t1"])
        .arg(format!("-c{}", settings.connections))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "10s", "-s"])
        .arg(&settings.lua)
        .arg(format!("http://127.0.0.1:{port}"))
        .args(["--", route, prefix, &settings.seeds.to_string()])
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("WRKJSON "))
        .ok_or_else(|| {
            format!(
                "wrk printed no result: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let v: Value = serde_json::from_str(line)?;
    let f = |key: &str| v[key].as_f64().unwrap_or(0.0);
    let errors = [
        "connect_errors",
        "read_errors",
        "write_errors",
        "status_errors",
        "timeouts",
    ]
    .iter()
    .map(|key| v[*key].as_u64().unwrap_or(0))
    .sum();
    Ok(WrkResult {
        requests: f("requests"),
        seconds: f("duration_us") / 1e6,
        errors,
        p50_us: f("p50_us"),
        p99_us: f("p99_us"),
        p999_us: f("p999_us"),
        max_us: f("max_us"),
    })
}

/// One measured route run: wrk's figures plus the server's CPU and peak RSS.
#[derive(Clone, Debug, Default)]
struct RouteRun {
    wrk: WrkResult,
    cpu_us_per_request: f64,
    max_rss_kib: u64,
    /// Share of the server's CPU that other processes used during the run (%).
    other_load_pct: f64,
}

fn measure(
    settings: &Settings,
    server: &Server,
    route: &str,
    prefix: &str,
    ticks_per_second: f64,
) -> Result<RouteRun> {
    let pid = server.pid();
    let stop = AtomicBool::new(false);
    let peak = AtomicU64::new(0);
    let busy_before = cpu_busy_ticks(&settings.server_cpu);
    let before = cpu_ticks(pid)?;
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                if let Ok(rss) = status_kib(pid, "VmRSS") {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let result = wrk(settings, server.port, route, prefix, settings.duration);
        stop.store(true, Ordering::Relaxed);
        result
    })?;
    let after = cpu_ticks(pid)?;
    let busy_after = cpu_busy_ticks(&settings.server_cpu);
    let cpu_seconds = (after - before) as f64 / ticks_per_second;
    // What ran on the server's CPU besides the server (other engineers' builds, the
    // hypervisor's steal): the CPU's busy time minus the server's, over the run.
    let other_load_pct = match (busy_before, busy_after) {
        (Some(b), Some(a)) if result.seconds > 0.0 => {
            let other = a.saturating_sub(b) as f64 / ticks_per_second - cpu_seconds;
            (other / result.seconds * 100.0).max(0.0)
        }
        _ => f64::NAN,
    };
    Ok(RouteRun {
        cpu_us_per_request: cpu_seconds * 1e6 / result.requests.max(1.0),
        max_rss_kib: peak.load(Ordering::Relaxed),
        other_load_pct,
        wrk: result,
    })
}

// ---------------------------------------------------------------------------------
// The runtime benchmark

#[derive(Default)]
struct ServerResults {
    routes: BTreeMap<String, Vec<RouteRun>>,
    startup_ms: Vec<f64>,
    idle_rss_kib: Vec<f64>,
    per_instance_bytes: Vec<f64>,
    per_binding_bytes: Vec<f64>,
    growth: Vec<(usize, WrkResult)>,
    responses: BTreeMap<String, String>,
}

fn memory_phase(
    settings: &Settings,
    kind: &str,
    catalog: &Path,
    log: &Path,
    results: &mut ServerResults,
) -> Result<()> {
    let server = Server::start(settings, kind, catalog, log)?;
    results.startup_ms.push(server.startup.as_secs_f64() * 1e3);
    let pid = server.pid();
    let n = settings.memory_instances;
    // Warm the allocator and the connection first.
    send_all(server.port, 1000, |i| {
        provision_request(&format!("warm-{i}"))
    })?;
    send_all(server.port, 1000, |i| {
        bind_request(&format!("warm-{i}"), "b")
    })?;
    std::thread::sleep(Duration::from_millis(100));
    let rss0 = status_kib(pid, "VmRSS")?;
    send_all(server.port, n, |i| provision_request(&format!("mem-{i}")))?;
    std::thread::sleep(Duration::from_millis(100));
    let rss1 = status_kib(pid, "VmRSS")?;
    send_all(server.port, n, |i| bind_request(&format!("mem-{i}"), "b"))?;
    std::thread::sleep(Duration::from_millis(100));
    let rss2 = status_kib(pid, "VmRSS")?;
    results
        .per_instance_bytes
        .push((rss1 as f64 - rss0 as f64) * 1024.0 / n as f64);
    results
        .per_binding_bytes
        .push((rss2 as f64 - rss1 as f64) * 1024.0 / n as f64);
    Ok(())
}

fn runtime_benchmark(
    settings: &Settings,
    report: &mut String,
) -> Result<BTreeMap<String, ServerResults>> {
    let ticks = clock_ticks();
    std::fs::create_dir_all(&settings.out)?;
    let catalog = settings.out.join("catalog.json");
    let printed = Command::new(&settings.reference)
        .arg("--catalog")
        .output()?;
    if !printed.status.success() {
        return Err("reference --catalog failed".into());
    }
    std::fs::write(&catalog, &printed.stdout)?;
    let mut results: BTreeMap<String, ServerResults> = BTreeMap::new();
    let total = settings.runs * 2 * ROUTES.len() * (settings.duration + settings.warmup) as usize
        + 2 * settings.growth_slices * settings.duration as usize;
    eprintln!(
        "runtime benchmark: {} runs x 2 servers x {} routes, about {} s of load",
        settings.runs,
        ROUTES.len(),
        total
    );
    for run in 0..settings.runs {
        let order = if run % 2 == 0 {
            SERVERS
        } else {
            [SERVERS[1], SERVERS[0]]
        };
        // Both servers are up at once and each route is measured on one right after
        // the other: this machine's speed drifts over minutes (other tenants of the
        // host), and the ratio of two runs seconds apart is much steadier than that of
        // two runs half a minute apart. The idle server only sleeps meanwhile.
        let mut servers = Vec::new();
        for kind in order {
            let log = settings.out.join(format!("{kind}.log"));
            let entry = results.entry(kind.to_owned()).or_default();
            let server = Server::start(settings, kind, &catalog, &log)?;
            entry.startup_ms.push(server.startup.as_secs_f64() * 1e3);
            std::thread::sleep(Duration::from_millis(200));
            entry
                .idle_rss_kib
                .push(status_kib(server.pid(), "VmRSS")? as f64);
            seed(server.port, settings.seeds)?;
            if run == 0 {
                entry.responses = sample_responses(server.port)?;
            }
            servers.push((kind, server));
        }
        for route in ROUTES {
            for (kind, server) in &servers {
                if settings.warmup > 0 {
                    wrk(
                        settings,
                        server.port,
                        route,
                        &format!("w{run}"),
                        settings.warmup,
                    )?;
                }
                let measured = measure(settings, server, route, &format!("m{run}"), ticks)?;
                eprintln!(
                    "  run {} {kind:9} {route:15} {:>8.0} req/s  p50 {:>6.0} us  p99 {:>7.0} us  cpu {:>5.1} us/req  other load {:>3.0} %{}",
                    run + 1,
                    measured.wrk.requests / measured.wrk.seconds,
                    measured.wrk.p50_us,
                    measured.wrk.p99_us,
                    measured.cpu_us_per_request,
                    measured.other_load_pct,
                    if measured.wrk.errors > 0 {
                        format!("  ({} ERRORS)", measured.wrk.errors)
                    } else {
                        String::new()
                    }
                );
                results
                    .entry((*kind).to_owned())
                    .or_default()
                    .routes
                    .entry(route.to_owned())
                    .or_default()
                    .push(measured);
            }
        }
        drop(servers);
        for kind in order {
            let log = settings.out.join(format!("{kind}.log"));
            let entry = results.entry(kind.to_owned()).or_default();
            memory_phase(settings, kind, &catalog, &log, entry)?;
        }
    }
    // Store growth: consecutive provision runs on one server, the store growing.
    for kind in SERVERS {
        if settings.growth_slices == 0 {
            break;
        }
        let log = settings.out.join(format!("{kind}.log"));
        let server = Server::start(settings, kind, &catalog, &log)?;
        let entry = results.entry(kind.to_owned()).or_default();
        let mut stored = 0usize;
        for slice in 0..settings.growth_slices {
            let result = wrk(
                settings,
                server.port,
                "provision",
                &format!("g{slice}"),
                settings.duration,
            )?;
            eprintln!(
                "  growth {kind:9} from {stored:>8} instances: p99 {:>7.0} us  p99.9 {:>7.0} us  max {:>7.0} us",
                result.p99_us, result.p999_us, result.max_us
            );
            let added = result.requests as usize;
            entry.growth.push((stored, result));
            stored += added;
        }
    }
    write_runtime_report(settings, &results, report);
    Ok(results)
}

#[path = "../store_cost.rs"]
mod store_cost;
use store_cost::store_benchmark;

// ---------------------------------------------------------------------------------
// Statistics and tables

fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

fn spread(values: &[f64]) -> String {
    if values.len() < 2 {
        return String::from("–");
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let m = median(values);
    format!("±{:.0} %", (max - min) / 2.0 / m * 100.0)
}

/// Other load on the server's CPU: median (max), in %.
fn load(values: &[f64]) -> String {
    let max = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NAN, f64::max);
    if max.is_nan() {
        return String::from("?");
    }
    if values.len() < 2 {
        return format!("{max:.0} %");
    }
    format!("{:.0} % ({max:.0} %)", median(values))
}

fn per_run_ratios(reference: &[f64], baseline: &[f64]) -> Vec<f64> {
    reference.iter().zip(baseline).map(|(r, b)| r / b).collect()
}

fn range(values: &[f64]) -> String {
    if values.len() < 2 {
        return String::new();
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(" ({min:.2}–{max:.2})")
}

/// A row of the start-up and memory table: name, figure per server, format.
type Row<'a> = (&'a str, &'a dyn Fn(&ServerResults) -> Vec<f64>, &'a str);

struct Target {
    name: String,
    limit: String,
    measured: String,
    met: bool,
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**NOT met**" }
}

fn write_runtime_report(
    settings: &Settings,
    results: &BTreeMap<String, ServerResults>,
    report: &mut String,
) {
    let (Some(reference), Some(baseline)) = (results.get("reference"), results.get("baseline"))
    else {
        return;
    };
    let _ = writeln!(
        report,
        "## Throughput, latency and CPU per route\n\n{} runs of {} s per route and server \
         (after {} s of warm-up), wrk -t1 -c{}, server on CPU {}, wrk on CPU {}; medians, \
         ± is half the range over the runs; ratios are reference ÷ baseline per run, \
         median (min–max). Other load: the share of the server's CPU that other processes \
         used during the measured run (its user, system and steal time in /proc/stat \
         minus the server's utime and stime), \
         median (max); the machine is shared.\n",
        settings.runs,
        settings.duration,
        settings.warmup,
        settings.connections,
        settings.server_cpu,
        settings.client_cpu
    );
    let _ = writeln!(
        report,
        "| route | server | req/s | p50 µs | p99 µs | CPU µs/req | CPU ratio | p99 ratio | other load |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut targets = Vec::new();
    for route in ROUTES {
        let (Some(r), Some(b)) = (reference.routes.get(route), baseline.routes.get(route)) else {
            continue;
        };
        let col = |runs: &[RouteRun], f: &dyn Fn(&RouteRun) -> f64| -> Vec<f64> {
            runs.iter().map(f).collect()
        };
        let rps = |x: &RouteRun| x.wrk.requests / x.wrk.seconds;
        let p50 = |x: &RouteRun| x.wrk.p50_us;
        let p99 = |x: &RouteRun| x.wrk.p99_us;
        let cpu = |x: &RouteRun| x.cpu_us_per_request;
        let other = |x: &RouteRun| x.other_load_pct;
        let cpu_ratios = per_run_ratios(&col(r, &cpu), &col(b, &cpu));
        let p99_ratios = per_run_ratios(&col(r, &p99), &col(b, &p99));
        for (name, runs, ratios) in [
            ("reference", r, Some((&cpu_ratios, &p99_ratios))),
            ("baseline", b, None),
        ] {
            let errors: u64 = runs.iter().map(|x| x.wrk.errors).sum();
            let _ = writeln!(
                report,
                "| {route} | {name} | {:.0} {} | {:.0} | {:.0} {} | {:.1} {} | {} | {} | {} |",
                median(&col(runs, &rps)),
                spread(&col(runs, &rps)),
                median(&col(runs, &p50)),
                median(&col(runs, &p99)),
                spread(&col(runs, &p99)),
                median(&col(runs, &cpu)),
                spread(&col(runs, &cpu)),
                ratios.map_or(String::new(), |(c, _)| format!(
                    "{:.2}×{}",
                    median(c),
                    range(c)
                )),
                ratios.map_or(String::new(), |(_, p)| format!(
                    "{:.2}×{}",
                    median(p),
                    range(p)
                )) + &if errors > 0 {
                    format!(" ({errors} failed requests!)")
                } else {
                    String::new()
                },
                load(&col(runs, &other)),
            );
        }
        targets.push(Target {
            name: format!("server CPU per request, {route}"),
            limit: "≤ 1.15× baseline".into(),
            measured: format!(
                "{:.2}× ({:.1} vs {:.1} µs)",
                median(&cpu_ratios),
                median(&col(r, &cpu)),
                median(&col(b, &cpu))
            ),
            met: median(&cpu_ratios) <= 1.15,
        });
        targets.push(Target {
            name: format!("p99 at {} connections, {route}", settings.connections),
            limit: "≤ 1.2× baseline".into(),
            measured: format!(
                "{:.2}× ({:.0} vs {:.0} µs)",
                median(&p99_ratios),
                median(&col(r, &p99)),
                median(&col(b, &p99))
            ),
            met: median(&p99_ratios) <= 1.2,
        });
    }

    let kib = |v: f64| v / 1024.0;
    let catalog_rss = |s: &ServerResults| {
        s.routes
            .get("catalog")
            .map(|runs| {
                runs.iter()
                    .map(|x| x.max_rss_kib as f64)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let all_rss = |s: &ServerResults| {
        let runs: Vec<f64> = (0..settings.runs)
            .map(|i| {
                s.routes
                    .values()
                    .filter_map(|runs| runs.get(i))
                    .map(|x| x.max_rss_kib as f64)
                    .fold(0.0, f64::max)
            })
            .collect();
        runs
    };
    let _ = writeln!(
        report,
        "\n## Start-up and memory\n\nStart-up: from spawn to the first 200 on the catalog \
         (every server start is one sample). RSS under load: peak VmRSS sampled every 50 ms \
         during the catalog run (store unchanged) and during all runs (the store grows by \
         every provision and bind). Growth: VmRSS after {} provisions (typical `context` and \
         `parameters`), then after one binding for each of them, minus before, per item.\n",
        settings.memory_instances
    );
    let _ = writeln!(
        report,
        "| figure | reference | baseline | ratio |\n|---|---:|---:|---:|"
    );
    let rows: [Row<'_>; 6] = [
        (
            "start-up to first 200 (ms)",
            &|s| s.startup_ms.clone(),
            "{:.1}",
        ),
        (
            "idle RSS (MiB)",
            &|s| s.idle_rss_kib.iter().map(|v| kib(*v)).collect(),
            "{:.2}",
        ),
        (
            "RSS under load, catalog (MiB)",
            &|s| catalog_rss(s).iter().map(|v| kib(*v)).collect(),
            "{:.2}",
        ),
        (
            "RSS under load, all routes (MiB)",
            &|s| all_rss(s).iter().map(|v| kib(*v)).collect(),
            "{:.1}",
        ),
        (
            "RSS growth per instance (bytes)",
            &|s| s.per_instance_bytes.clone(),
            "{:.0}",
        ),
        (
            "RSS growth per binding (bytes)",
            &|s| s.per_binding_bytes.clone(),
            "{:.0}",
        ),
    ];
    for (name, f, format) in rows {
        let r = f(reference);
        let b = f(baseline);
        let digits = if format == "{:.0}" {
            0
        } else if format == "{:.1}" {
            1
        } else {
            2
        };
        let _ = writeln!(
            report,
            "| {name} | {:.*} {} | {:.*} {} | {:.2}× |",
            digits,
            median(&r),
            spread(&r),
            digits,
            median(&b),
            spread(&b),
            median(&r) / median(&b)
        );
    }
    let startup = median(&reference.startup_ms);
    targets.push(Target {
        name: "start-up to first 200".into(),
        limit: "≤ 20 ms".into(),
        measured: format!(
            "{startup:.1} ms ({:.2}× baseline)",
            startup / median(&baseline.startup_ms)
        ),
        met: startup <= 20.0,
    });
    let idle = kib(median(&reference.idle_rss_kib));
    targets.push(Target {
        name: "idle RSS".into(),
        limit: "≤ 8 MiB".into(),
        measured: format!(
            "{idle:.2} MiB ({:.2}× baseline)",
            median(&reference.idle_rss_kib) / median(&baseline.idle_rss_kib)
        ),
        met: idle <= 8.0,
    });
    let per_instance = median(&reference.per_instance_bytes);
    targets.push(Target {
        name: "memory per stored instance".into(),
        limit: "≤ 1 KiB".into(),
        measured: format!(
            "{per_instance:.0} B ({:.2}× baseline)",
            per_instance / median(&baseline.per_instance_bytes)
        ),
        met: per_instance <= 1024.0,
    });

    if !reference.growth.is_empty() {
        let _ = writeln!(
            report,
            "\n## Store growth\n\nConsecutive {} s provision runs on one server, each adding \
             instances to the store (one sample each).\n\n\
             | server | instances before | req/s | p50 µs | p99 µs | p99.9 µs | max µs |\n\
             |---|---:|---:|---:|---:|---:|---:|",
            settings.duration
        );
        for (name, s) in [("reference", reference), ("baseline", baseline)] {
            for (stored, w) in &s.growth {
                let _ = writeln!(
                    report,
                    "| {name} | {stored} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
                    w.requests / w.seconds,
                    w.p50_us,
                    w.p99_us,
                    w.p999_us,
                    w.max_us
                );
            }
        }
        let first = reference.growth[0].1.p99_us;
        let worst = reference
            .growth
            .iter()
            .map(|(_, w)| w.p99_us)
            .fold(0.0, f64::max);
        let worst_max = reference
            .growth
            .iter()
            .map(|(_, w)| w.max_us)
            .fold(0.0, f64::max);
        let stored = reference
            .growth
            .last()
            .map_or(0, |(n, w)| n + w.requests as usize);
        targets.push(Target {
            name: "no latency tail from store growth".into(),
            limit: "write p99 flat as the store grows (every slice ≤ 1.5× the first)".into(),
            measured: format!(
                "worst p99 {:.2} ms = {:.2}× the first slice's, up to {stored} instances; max {:.1} ms",
                worst / 1e3,
                worst / first,
                worst_max / 1e3
            ),
            met: worst <= 1.5 * first,
        });
    }

    let same = reference.responses == baseline.responses;
    let _ = writeln!(
        report,
        "\n## Same answers\n\nOne request per route to each server (credentials masked): {}.\n",
        if same {
            "identical status and body".to_owned()
        } else {
            let mut diff = String::from("DIFFERENT:\n");
            for (key, r) in &reference.responses {
                let b = baseline.responses.get(key).map_or("", String::as_str);
                if r != b {
                    let _ = write!(
                        diff,
                        "\n    {key}: reference `{r}`\n    {key}: baseline  `{b}`"
                    );
                }
            }
            diff
        }
    );
    write_targets(report, &targets);
}

fn write_targets(report: &mut String, targets: &[Target]) {
    let _ = writeln!(
        report,
        "\n## Targets\n\n| target | limit | measured | verdict |\n|---|---|---|---|"
    );
    for t in targets {
        let _ = writeln!(
            report,
            "| {} | {} | {} | {} |",
            t.name,
            t.limit,
            t.measured,
            verdict(t.met)
        );
    }
}

// ---------------------------------------------------------------------------------
// Compile cost: the same broker with the DSL and by hand, as two standalone crates

fn compile_benchmark(settings: &Settings, report: &mut String) -> Result<()> {
    std::fs::create_dir_all(&settings.out)?;
    let root = std::fs::canonicalize(&settings.out)?.join("compile");
    let ws = std::fs::canonicalize(&settings.workspace)?;
    let examples = ws.join("examples");
    std::fs::create_dir_all(root.join("dsl/src"))?;
    std::fs::create_dir_all(root.join("handwritten/src"))?;
    let manifest = |name: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nosb = {{ package = \"open-service-broker\", path = \"{osb}\" }}\n\
             rand = \"0.9\"\nschemars = \"1\"\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\
             serde_json = {{ version = \"1\", features = [\"raw_value\"] }}\n\
             tokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"net\", \"signal\", \"macros\", \"time\", \"sync\"] }}\n",
            osb = ws.join("osb").display()
        )
    };
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\"dsl\", \"handwritten\"]\n",
    )?;
    std::fs::copy(ws.join("Cargo.lock"), root.join("Cargo.lock"))?;
    std::fs::write(root.join("dsl/Cargo.toml"), manifest("broker-dsl"))?;
    std::fs::write(
        root.join("handwritten/Cargo.toml"),
        manifest("broker-handwritten"),
    )?;
    for krate in ["dsl", "handwritten"] {
        std::fs::copy(
            examples.join("reference/params.rs"),
            root.join(krate).join("src/params.rs"),
        )?;
    }
    for file in ["broker.rs", "catalog.rs"] {
        std::fs::copy(
            examples.join("reference").join(file),
            root.join("dsl/src").join(file),
        )?;
    }
    std::fs::write(
        root.join("dsl/src/main.rs"),
        "//! The reference broker (DSL), for the compile-time comparison.\n\
         #![allow(dead_code)]\nmod broker;\nmod catalog;\nmod params;\n\n\
         #[tokio::main]\nasync fn main() -> Result<(), Box<dyn std::error::Error>> {\n\
         \x20   let app = osb::Builder::new()\n\
         \x20       .broker(broker::Reference::new(std::time::Duration::from_millis(1000)))\n\
         \x20       .auth(osb::auth::BasicAuth::new(\"admin\", \"admin\"))\n\
         \x20       .store(osb::store::MemoryStore::new())\n\
         \x20       .build()?;\n\
         \x20   let listener = tokio::net::TcpListener::bind(\"127.0.0.1:8080\").await?;\n\
         \x20   osb::serve(listener, app).await?;\n\
         \x20   Ok(())\n}\n",
    )?;
    let handwritten = std::fs::read_to_string(examples.join("handwritten/main.rs"))?
        .replace("osb_examples::reference::params", "crate::params")
        + "\n#[allow(dead_code)]\nmod params;\n";
    std::fs::write(root.join("handwritten/src/main.rs"), handwritten)?;

    let target = root.join("target");
    let cargo = |package: &str| -> Result<Duration> {
        let start = Instant::now();
        let status = Command::new("cargo")
            .args(["build", "--quiet", "-p", package])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("cargo build -p {package} failed in {}", root.display()).into());
        }
        Ok(start.elapsed())
    };
    eprintln!("compile benchmark: building the dependencies once (dev profile) …");
    cargo("broker-dsl")?;
    cargo("broker-handwritten")?;
    let packages = [
        ("broker-dsl", "dsl/src/broker.rs"),
        ("broker-handwritten", "handwritten/src/main.rs"),
    ];
    // The edit of an incremental build: the bind handler's answer, in both brokers
    // (inside the `#[osb::broker]` impl for the DSL, the `Broker` impl by hand).
    const BEFORE: &str = "Bound::created(binding)";
    const AFTER: &str = "Bound::created(binding.clone())";
    let mut clean: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut incremental: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let clean_runs = settings.compile_runs.clamp(1, 3);
    for run in 0..clean_runs {
        for (package, _) in packages {
            let status = Command::new("cargo")
                .args(["clean", "--quiet", "-p", package])
                .current_dir(&root)
                .env("CARGO_TARGET_DIR", &target)
                .status()?;
            if !status.success() {
                return Err("cargo clean failed".into());
            }
            let t = cargo(package)?.as_secs_f64();
            eprintln!("  clean build {} {package}: {t:.2} s", run + 1);
            clean.entry(package).or_default().push(t);
        }
    }
    for run in 0..settings.compile_runs {
        for (package, file) in packages {
            // An edit inside the bind handler of each broker, undone by the next run.
            let path = root.join(file);
            let text = std::fs::read_to_string(&path)?;
            let edited = if text.contains(AFTER) {
                text.replacen(AFTER, BEFORE, 1)
            } else {
                text.replacen(BEFORE, AFTER, 1)
            };
            if edited == text {
                return Err(format!("no `{BEFORE}` to edit in {file}").into());
            }
            std::fs::write(&path, edited)?;
            let t = cargo(package)?.as_secs_f64();
            eprintln!("  incremental build {} {package}: {t:.2} s", run + 1);
            incremental.entry(package).or_default().push(t);
        }
    }
    let _ = writeln!(
        report,
        "\n## Compile cost\n\nThe reference broker (DSL) and the same broker written by hand \
         against `osb::Broker` (examples/handwritten), each as a standalone binary crate with \
         the same `params.rs`, both on the framework's state store, dependencies built \
         beforehand, dev profile. Clean: `cargo clean -p` then `cargo build` of the broker \
         crate ({clean_runs} runs). Incremental: one expression changed in the bind handler \
         (`{BEFORE}` ↔ `{AFTER}`), then `cargo build` ({} runs). Medians, ± half the \
         range.\n\n\
         | build | DSL (s) | hand-written (s) | ratio |\n|---|---:|---:|---:|",
        settings.compile_runs
    );
    let mut targets = Vec::new();
    for (name, data) in [("clean", &clean), ("incremental", &incremental)] {
        let d = &data["broker-dsl"];
        let h = &data["broker-handwritten"];
        let ratio = median(d) / median(h);
        let _ = writeln!(
            report,
            "| {name} | {:.2} {} | {:.2} {} | {ratio:.2}× |",
            median(d),
            spread(d),
            median(h),
            spread(h)
        );
        if name == "incremental" {
            targets.push(Target {
                name: "incremental rebuild, DSL vs hand-written".into(),
                limit: "≤ 1.3×".into(),
                measured: format!("{ratio:.2}× ({:.2} vs {:.2} s)", median(d), median(h)),
                met: ratio <= 1.3,
            });
        } else {
            targets.push(Target {
                name: "clean build of the broker crate, DSL vs hand-written".into(),
                limit: "(reported)".into(),
                measured: format!("{ratio:.2}× ({:.2} vs {:.2} s)", median(d), median(h)),
                met: true,
            });
        }
    }
    write_targets(report, &targets);
    Ok(())
}

fn machine_description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let wrk = Command::new("wrk")
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "Machine: {cpu}, {cpus} CPUs, Linux {}, {}; {rustc}; {}\n",
        kernel.trim(),
        idle::describe(),
        wrk.trim()
    )
}

fn main() -> std::process::ExitCode {
    let settings = match Settings::parse() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("{err}");
            return std::process::ExitCode::from(2);
        }
    };
    // Set before the machine line is written, so that the line says what the run had.
    let _halt_polling = match settings.guest_halt_poll_ns.map(idle::HaltPolling::set) {
        Some(Err(err)) => {
            eprintln!("{err}");
            return std::process::ExitCode::from(2);
        }
        Some(Ok(guard)) => Some(guard),
        None => None,
    };
    let mut report = format!("# osb-bench results\n\n{}", machine_description());
    let started = Instant::now();
    if settings.runtime
        && let Err(err) = runtime_benchmark(&settings, &mut report)
    {
        eprintln!("osb-bench: runtime benchmark failed: {err}");
        return std::process::ExitCode::FAILURE;
    }
    if settings.store_cost
        && let Err(err) = store_benchmark(&settings, &mut report)
    {
        eprintln!("osb-bench: store-cost benchmark failed: {err}");
        return std::process::ExitCode::FAILURE;
    }
    if settings.compile
        && let Err(err) = compile_benchmark(&settings, &mut report)
    {
        eprintln!("osb-bench: compile benchmark failed: {err}");
        return std::process::ExitCode::FAILURE;
    }
    let _ = writeln!(
        report,
        "\nTotal time of the benchmark: {:.0} s.",
        started.elapsed().as_secs_f64()
    );
    println!("{report}");
    let path = settings.out.join("results.md");
    if std::fs::write(&path, &report).is_ok() {
        eprintln!("results written to {}", path.display());
    }
    std::process::ExitCode::SUCCESS
}
