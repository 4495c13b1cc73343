//! Whether to link with packed relative relocations (DT_RELR): shared by the build
//! scripts of the example brokers and of the benchmark's baseline, so both are built
//! alike.
//!
//! A position-independent executable otherwise carries ~29 000 relative relocations
//! at 24 bytes each, which the dynamic loader reads (and so maps) at every start:
//! 0.7 MiB of the reference broker's resident memory (docs/PERFORMANCE.md, «Start-up
//! and memory»). The loader must know DT_RELR (glibc 2.36), so it is only set for a
//! native Linux build on such a glibc; a linker that does not know the option (GNU ld
//! before 2.38) warns and ignores it.

use std::process::Command;

/// The linker argument to pass, if this build should use it.
pub(crate) fn link_arg() -> Option<&'static str> {
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    (target == host && target.ends_with("-linux-gnu") && glibc_knows_relr())
        .then_some("-Wl,-z,pack-relative-relocs")
}

/// Whether this machine's glibc is 2.36 or later (`getconf GNU_LIBC_VERSION`).
fn glibc_knows_relr() -> bool {
    let Ok(output) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text
        .trim()
        .trim_start_matches("glibc ")
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let (major, minor) = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}
