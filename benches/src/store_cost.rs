//! The store-cost section of `osb-bench`: on each state backend (memory, SQLite,
//! PostgreSQL) the reference broker against the bare-axum baseline on the same
//! backend (`bare-axum --store …`, its bookkeeping written by hand in SQL:
//! `benches/src/sql_store.rs`), route by route, in the same repetition; the ratios
//! to that backend's baseline, and the issue-18 targets on them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{
    Result, RouteRun, Server, Settings, Target, clock_ticks, load, measure, median, per_run_ratios,
    postgres_processes, postgres_ticks_between, range, seed, spread, write_targets, wrk,
};

/// The routes of the section: two writes (a new record per request) and two reads.
const ROUTES: [&str; 4] = ["provision", "bind", "fetch_instance", "last_operation"];

/// The two servers, in the order of the first repetition (alternating after).
const SERVERS: [&str; 2] = ["reference", "baseline"];

/// The tables the baseline creates (`benches/src/sql_store.rs`).
const BASELINE_TABLES: &str = "bl_instances, bl_bindings, bl_tombstones";

fn is_write(route: &str) -> bool {
    matches!(route, "provision" | "bind")
}

/// One backend of the section.
struct Backend {
    name: &'static str,
    /// Both servers' `--store`.
    store: String,
    /// For PostgreSQL: the database name, to tell its backends among the processes.
    postgres_db: Option<String>,
}

/// One measured run, with the PostgreSQL server's CPU if any.
struct StoreRun {
    run: RouteRun,
    /// µs of CPU per request of all `postgres` processes, and of those serving the
    /// benchmark's database.
    postgres_us_per_request: Option<(f64, f64)>,
}

/// `postgres://user@host:port/db?opts` → (the same URL on database `other`, `db`).
fn postgres_database(url: &str) -> Result<(String, String), String> {
    let (head, query) = url.split_once('?').unwrap_or((url, ""));
    let (_, rest) = head
        .split_once("://")
        .ok_or_else(|| format!("not a database URL: {url}"))?;
    let (server, db) = rest
        .split_once('/')
        .ok_or_else(|| format!("no database in {url}"))?;
    if db.is_empty() || !db.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("unsupported database name `{db}` in {url}"));
    }
    let scheme = head.split("://").next().unwrap_or("postgres");
    let maintenance = format!(
        "{scheme}://{server}/postgres{}{query}",
        if query.is_empty() { "" } else { "?" }
    );
    Ok((maintenance, db.to_owned()))
}

/// Runs one statement with psql on `url`; its output on success.
fn psql(url: &str, sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "5")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("could not run psql: {err}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The tables the framework's migrations create, plus sqlx's record of them.
fn framework_tables(workspace: &Path) -> Vec<String> {
    let mut tables = Vec::new();
    let dir = workspace.join("osb/src/store/sql/migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let mut words = text.split_whitespace();
        while let Some(word) = words.next() {
            if word.eq_ignore_ascii_case("CREATE")
                && words
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("TABLE"))
                && let Some(name) = words.next()
            {
                let name = name.trim_end_matches('(');
                if !tables.iter().any(|t| t == name) {
                    tables.push(name.to_owned());
                }
            }
        }
    }
    if tables.is_empty() {
        tables = [
            "osb_instances",
            "osb_bindings",
            "osb_tombstones",
            "osb_settings",
        ]
        .map(str::to_owned)
        .to_vec();
    }
    tables.push("_sqlx_migrations".into());
    tables
}

/// Makes sure PostgreSQL answers and the benchmark's database exists (never `test`).
fn prepare_postgres(settings: &Settings) -> Result<String, String> {
    let (maintenance, db) = postgres_database(&settings.postgres_url)?;
    if db == "test" {
        return Err("database `test` belongs to the test suite: use another one".into());
    }
    if Command::new("psql").arg("--version").output().is_err() {
        return Err("psql is not installed (apt-get install postgresql-client)".into());
    }
    let exists = psql(
        &maintenance,
        &format!("SELECT 1 FROM pg_database WHERE datname = '{db}'"),
    )?;
    if exists != "1" {
        psql(&maintenance, &format!("CREATE DATABASE {db}"))?;
    }
    Ok(db)
}

/// Empties the backend before a server starts on it.
fn reset_backend(settings: &Settings, backend: &Backend) -> Result<()> {
    if let Some(path) = backend.store.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm", "-journal", "-osb.lock"] {
            let file = format!("{path}{suffix}");
            if Path::new(&file).exists() {
                std::fs::remove_file(&file)?;
            }
        }
    } else if backend.postgres_db.is_some() {
        let tables = framework_tables(&settings.workspace).join(", ");
        psql(
            &settings.postgres_url,
            &format!("DROP TABLE IF EXISTS {tables}, {BASELINE_TABLES}"),
        )?;
    }
    Ok(())
}

/// One repetition of one server on one backend: fresh, seeded, then each route.
fn server_run(
    settings: &Settings,
    backend: &Backend,
    kind: &str,
    run: usize,
    dir: &Path,
    catalog: &Path,
    ticks: f64,
) -> Result<Vec<(&'static str, StoreRun)>> {
    reset_backend(settings, backend)?;
    let mut local = settings.clone();
    local.reference_store.clone_from(&backend.store);
    let log = dir.join(format!("{}-{kind}.log", backend.name));
    let server = Server::start(&local, kind, catalog, &log)?;
    let seeding = Instant::now();
    seed(server.port, settings.seeds)?;
    eprintln!(
        "  store {} {:8} {kind:9} started in {:.0} ms, {} instances seeded in {:.1} s",
        run + 1,
        backend.name,
        server.startup.as_secs_f64() * 1e3,
        settings.seeds,
        seeding.elapsed().as_secs_f64()
    );
    let mut runs = Vec::new();
    for route in ROUTES {
        if settings.warmup > 0 {
            wrk(
                settings,
                server.port,
                route,
                &format!("sw{run}"),
                settings.warmup,
            )?;
        }
        let pg_before = backend.postgres_db.as_deref().map(postgres_processes);
        let measured = measure(settings, &server, route, &format!("s{run}"), ticks)?;
        let postgres_us_per_request = backend.postgres_db.as_deref().and_then(|db| {
            let after = postgres_processes(db);
            let (all, ours) = postgres_ticks_between(pg_before.as_ref()?, &after);
            let per = |t: u64| t as f64 / ticks * 1e6 / measured.wrk.requests.max(1.0);
            Some((per(all), per(ours)))
        });
        eprintln!(
            "  store {} {:8} {kind:9} {route:14} {:>8.0} req/s  p50 {:>6.0} us  p99 {:>7.0} us  cpu {:>5.1} us/req{}  other load {:>3.0} %{}",
            run + 1,
            backend.name,
            measured.wrk.requests / measured.wrk.seconds,
            measured.wrk.p50_us,
            measured.wrk.p99_us,
            measured.cpu_us_per_request,
            postgres_us_per_request
                .map(|(all, _)| format!("  postgres {all:>5.1} us/req"))
                .unwrap_or_default(),
            measured.other_load_pct,
            if measured.wrk.errors > 0 {
                format!("  ({} ERRORS)", measured.wrk.errors)
            } else {
                String::new()
            }
        );
        runs.push((
            route,
            StoreRun {
                run: measured,
                postgres_us_per_request,
            },
        ));
    }
    Ok(runs)
}

/// `results[backend][server][route]`: one entry per repetition.
type Results =
    BTreeMap<&'static str, BTreeMap<&'static str, BTreeMap<&'static str, Vec<StoreRun>>>>;

pub(super) fn store_benchmark(settings: &Settings, report: &mut String) -> Result<()> {
    let ticks = clock_ticks();
    let started = Instant::now();
    let dir = settings.out.join("store-cost");
    std::fs::create_dir_all(&dir)?;
    let dir = std::fs::canonicalize(&dir)?;
    let catalog = dir.join("catalog.json");
    let output = std::process::Command::new(&settings.reference)
        .arg("--catalog")
        .output()?;
    std::fs::write(&catalog, &output.stdout)?;
    let mut backends = vec![
        Backend {
            name: "memory",
            store: "memory".into(),
            postgres_db: None,
        },
        Backend {
            name: "sqlite",
            store: format!("sqlite://{}", dir.join("state.db").display()),
            postgres_db: None,
        },
    ];
    let mut notes = Vec::new();
    match prepare_postgres(settings) {
        Ok(db) => backends.push(Backend {
            name: "postgres",
            store: settings.postgres_url.clone(),
            postgres_db: Some(db),
        }),
        Err(reason) => {
            eprintln!("store cost: PostgreSQL skipped: {reason}");
            notes.push(format!(
                "**PostgreSQL was skipped**: {reason} (URL `{}`).",
                settings.postgres_url
            ));
        }
    }
    eprintln!(
        "store cost: {} backends x 2 servers x {} routes, up to {} repetitions within {} s",
        backends.len(),
        ROUTES.len(),
        settings.store_runs,
        settings.store_budget
    );
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut results: Results = BTreeMap::new();
    let mut repetitions = 0;
    let mut longest = Duration::ZERO;
    let mut failed: Vec<(&str, &str)> = Vec::new();
    for run in 0..settings.store_runs {
        let elapsed = started.elapsed();
        if run > 0 && elapsed + longest > Duration::from_secs(settings.store_budget) {
            notes.push(format!(
                "Stopped after {run} of {} repetitions: the budget of {} s (`--store-budget`) \
                 would have been exceeded.",
                settings.store_runs, settings.store_budget
            ));
            break;
        }
        let rep_start = Instant::now();
        for backend in &backends {
            let mut order = SERVERS;
            if run % 2 == 1 {
                order.reverse();
            }
            for kind in order {
                if failed.contains(&(backend.name, kind)) {
                    continue;
                }
                match server_run(settings, backend, kind, run, &dir, &catalog, ticks) {
                    Ok(runs) => {
                        for (route, measured) in runs {
                            results
                                .entry(backend.name)
                                .or_default()
                                .entry(kind)
                                .or_default()
                                .entry(route)
                                .or_default()
                                .push(measured);
                        }
                    }
                    Err(err) => {
                        eprintln!(
                            "  store {} {:8} {kind} FAILED: {err}",
                            run + 1,
                            backend.name
                        );
                        notes.push(format!(
                            "**{} {kind} failed** in repetition {}: {err} (log: `{}`); its \
                             later repetitions were skipped.",
                            backend.name,
                            run + 1,
                            dir.join(format!("{}-{kind}.log", backend.name)).display()
                        ));
                        failed.push((backend.name, kind));
                    }
                }
            }
        }
        repetitions += 1;
        longest = longest.max(rep_start.elapsed());
    }
    let load_after = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let loads = |text: &str| {
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(
        report,
        "\n## Store cost: each backend against its baseline\n\n\
         On each backend, the reference broker (`--store`) and the bare-axum baseline on the \
         same backend (`bare-axum --store`: its bookkeeping by hand, benches/src/sql_store.rs \
         on SQLite and PostgreSQL), each started fresh on an emptied backend (`memory`; a new \
         SQLite file `sqlite://{}`; PostgreSQL `{}`, the tables dropped before every start), \
         {} instances created first; provision PUT with a unique instance id per request, \
         bind PUT with a unique binding id over those instances, fetch instance and \
         last_operation GET over them. Per route {} s of warm-up and {} s measured, \
         wrk -t1 -c{}, server on CPU {}, wrk on CPU {} (PostgreSQL is not pinned). \
         {repetitions} repetitions in {:.0} s (the servers' order alternating), medians, ± half \
         the range; ratios are reference ÷ baseline on the same backend in the same \
         repetition, median (min–max). Server CPU: utime + stime of the server process (all \
         its threads) ÷ requests. PostgreSQL server CPU is given apart: utime + stime of all \
         processes named `postgres` ÷ requests, in brackets those serving the benchmark's \
         database. Load average before and after: {} / {}.\n",
        dir.join("state.db").display(),
        settings.postgres_url,
        settings.seeds,
        settings.warmup,
        settings.duration,
        settings.connections,
        settings.server_cpu,
        settings.client_cpu,
        started.elapsed().as_secs_f64(),
        loads(&load_before),
        loads(&load_after),
    );
    for note in &notes {
        let _ = writeln!(report, "{note}\n");
    }
    let _ = writeln!(
        report,
        "| route | backend | server | req/s | p50 µs | p99 µs | server CPU µs/req | PostgreSQL CPU µs/req [ours] | CPU ÷ baseline | PostgreSQL CPU ÷ baseline | p99 ÷ baseline | other load |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut targets = Vec::new();
    for route in ROUTES {
        for backend in &backends {
            let Some(servers) = results.get(backend.name) else {
                continue;
            };
            for kind in SERVERS {
                let Some(runs) = servers.get(kind).and_then(|r| r.get(route)) else {
                    continue;
                };
                let row = Row::of(runs);
                let baseline = servers.get("baseline").and_then(|r| r.get(route));
                let ratio = |f: fn(&StoreRun) -> f64| -> Option<Vec<f64>> {
                    if kind != "reference" {
                        return None;
                    }
                    let theirs: Vec<f64> = baseline?.iter().map(f).collect();
                    let ours: Vec<f64> = runs.iter().map(f).collect();
                    Some(per_run_ratios(&ours, &theirs))
                };
                let show = |ratios: &Option<Vec<f64>>| {
                    ratios
                        .as_ref()
                        .map_or(String::new(), |r| format!("{:.2}×{}", median(r), range(r)))
                };
                let cpu_ratio = ratio(|x| x.run.cpu_us_per_request);
                let pg_ratio = if backend.postgres_db.is_some() {
                    ratio(|x| x.postgres_us_per_request.map_or(f64::NAN, |p| p.1))
                } else {
                    None
                };
                let p99_ratio = ratio(|x| x.run.wrk.p99_us);
                let _ = writeln!(
                    report,
                    "| {route} | {} | {kind} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    backend.name,
                    row.rps,
                    row.p50,
                    row.p99,
                    row.cpu,
                    row.postgres,
                    show(&cpu_ratio),
                    show(&pg_ratio),
                    show(&p99_ratio),
                    row.other,
                );
                if backend.name == "memory" {
                    continue;
                }
                let limit = if is_write(route) { 1.5 } else { 1.3 };
                let kind_of = if is_write(route) { "write" } else { "read" };
                if let Some(r) = &cpu_ratio {
                    targets.push(target(
                        format!(
                            "{} {route}: server CPU per {kind_of} ÷ baseline",
                            backend.name
                        ),
                        limit,
                        r,
                    ));
                }
                if let Some(r) = &pg_ratio {
                    targets.push(target(
                        format!("postgres {route}: PostgreSQL's CPU per request ÷ baseline"),
                        1.3,
                        r,
                    ));
                }
                if let Some(r) = &p99_ratio {
                    targets.push(target(
                        format!(
                            "{} {route}: p99 at {} connections ÷ baseline",
                            backend.name, settings.connections
                        ),
                        1.5,
                        r,
                    ));
                }
            }
        }
    }
    let mut targets_report = String::new();
    write_targets(&mut targets_report, &targets);
    report.push_str(&targets_report.replacen("## Targets", "### Store-cost targets", 1));
    Ok(())
}

fn target(name: String, limit: f64, ratios: &[f64]) -> Target {
    let measured = median(ratios);
    Target {
        name,
        limit: format!("≤ {limit:.1}×"),
        measured: format!("{measured:.2}×{}", range(ratios)),
        met: measured <= limit,
    }
}

/// A table row's figures for one server.
struct Row {
    rps: String,
    p50: String,
    p99: String,
    cpu: String,
    postgres: String,
    other: String,
}

impl Row {
    fn of(runs: &[StoreRun]) -> Self {
        let col = |f: &dyn Fn(&StoreRun) -> f64| -> Vec<f64> { runs.iter().map(f).collect() };
        let rps = col(&|x| x.run.wrk.requests / x.run.wrk.seconds);
        let p50 = col(&|x| x.run.wrk.p50_us);
        let p99 = col(&|x| x.run.wrk.p99_us);
        let cpu = col(&|x| x.run.cpu_us_per_request);
        let other = col(&|x| x.run.other_load_pct);
        let all = col(&|x| x.postgres_us_per_request.map_or(f64::NAN, |p| p.0));
        let ours = col(&|x| x.postgres_us_per_request.map_or(f64::NAN, |p| p.1));
        let errors: u64 = runs.iter().map(|x| x.run.wrk.errors).sum();
        Self {
            rps: format!("{:.0} {}", median(&rps), spread(&rps)),
            p50: format!("{:.0}", median(&p50)),
            p99: format!("{:.0} {}", median(&p99), spread(&p99)),
            cpu: format!("{:.1} {}", median(&cpu), spread(&cpu)),
            postgres: if runs.iter().any(|x| x.postgres_us_per_request.is_some()) {
                format!("{:.1} [{:.1}]", median(&all), median(&ours))
            } else {
                String::from("–")
            },
            other: load(&other)
                + &if errors > 0 {
                    format!(" ({errors} failed requests!)")
                } else {
                    String::new()
                },
        }
    }
}
