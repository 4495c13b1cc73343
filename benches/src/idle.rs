//! How the machine's idle CPUs wait, which decides what waking the load generator
//! costs the server (docs/PERFORMANCE.md, «Machine and noise»).
//!
//! On a KVM guest with the `haltpoll` cpuidle driver, an idle CPU polls for up to
//! `guest_halt_poll_ns` before it halts. A halted virtual CPU is woken by an
//! inter-processor interrupt, which exits to the host; one that still polls only sees a
//! flag. Every response the server sends to a load generator that went idle is such
//! a wake-up, paid by the server's CPU.

use std::path::Path;

/// The guest's halt-polling limit, as the haltpoll driver exposes it.
const HALT_POLL_NS: &str = "/sys/module/haltpoll/parameters/guest_halt_poll_ns";
/// The cpuidle driver in use.
const CPUIDLE_DRIVER: &str = "/sys/devices/system/cpu/cpuidle/current_driver";

/// The cpuidle driver and, with `haltpoll`, its polling limit, for the report's
/// machine line: `cpuidle haltpoll (guest halt polling 0 ns)`.
pub(crate) fn describe() -> String {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_owned())
    };
    match (read(CPUIDLE_DRIVER), read(HALT_POLL_NS)) {
        (Some(driver), Some(ns)) => format!("cpuidle {driver} (guest halt polling {ns} ns)"),
        (Some(driver), None) => format!("cpuidle {driver}"),
        (None, _) => "cpuidle unknown".to_owned(),
    }
}

/// A changed halt-polling limit, put back as it was when dropped.
pub(crate) struct HaltPolling {
    previous: String,
}

impl HaltPolling {
    /// Sets the limit to `ns` until the returned guard is dropped.
    pub(crate) fn set(ns: u64) -> Result<Self, String> {
        if !Path::new(HALT_POLL_NS).exists() {
            return Err(format!(
                "--guest-halt-poll-ns: {HALT_POLL_NS} does not exist (not a KVM guest with the haltpoll driver)"
            ));
        }
        let previous = std::fs::read_to_string(HALT_POLL_NS)
            .map_err(|err| format!("--guest-halt-poll-ns: reading {HALT_POLL_NS}: {err}"))?;
        std::fs::write(HALT_POLL_NS, ns.to_string()).map_err(|err| {
            format!("--guest-halt-poll-ns: writing {HALT_POLL_NS} (root only): {err}")
        })?;
        eprintln!(
            "guest halt polling set to {ns} ns (was {})",
            previous.trim()
        );
        Ok(Self { previous })
    }
}

impl Drop for HaltPolling {
    fn drop(&mut self) {
        match std::fs::write(HALT_POLL_NS, self.previous.trim()) {
            Ok(()) => eprintln!("guest halt polling restored to {} ns", self.previous.trim()),
            Err(err) => eprintln!(
                "could not restore {HALT_POLL_NS} to {}: {err}",
                self.previous.trim()
            ),
        }
    }
}
