//! Running the example binaries as real processes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use http::Method;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{Call2, Connection, Reply, basic, req};

/// Builds the examples once per test binary and returns the directory holding them.
pub fn examples_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo)
                .args(["build", "--quiet", "-p", "osb-examples", "--examples"])
                .status()
                .expect("run cargo build");
            assert!(status.success(), "building the examples failed");
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
            target.join("debug").join("examples")
        })
        .clone()
}

/// A running example, stopped (by its own handle) when dropped.
pub struct Running {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Running {
    /// Sends SIGTERM to the example (a process this test started).
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the example is running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Kills the example with SIGKILL (a process this test started), as a crash
    /// would, and waits until it is gone: nothing of it runs any more.
    pub async fn kill_9(&mut self) {
        let pid = self.child.id().expect("the example is running");
        let status = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        self.child.wait().await.expect("wait for the example");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Starts example `name` on a free port of 127.0.0.1 and waits for its
/// "listening on http://…" line. The reference broker keeps its state in memory
/// unless `env` sets `OSB_STORE` (its default, a SQLite file in the working
/// directory, would be shared by every test).
pub async fn start(name: &str, args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(examples_dir().join(name));
    command
        .args(args)
        .env("OSB_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .env("OSB_STORE", "memory")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start the example");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the example printed its address in time")
        .expect("read stdout")
        .expect("a line on stdout");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    // Keep draining stdout so the example never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Running { child, addr }
}

/// A request with the examples' credentials (`admin`/`admin`) and version header.
pub fn ask(method: Method, uri: &str) -> Call2 {
    req(method, uri).header("authorization", &basic("admin", "admin"))
}

pub async fn call(to: &Running, request: Call2) -> Reply {
    Connection::open(to.addr).await.send(request).await
}
