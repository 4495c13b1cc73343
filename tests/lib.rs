//! Tests of the workspace; they live in this package so they use `osb` as users do.
//!
//! The README's code is compiled here as a doctest, so its example stays true:
#![doc = include_str!("../README.md")]

/// `name` made unique to this process and moment, so test runs sharing a database (the
/// PostgreSQL tests all use one) never collide.
pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("{name}-{}-{nanos}", std::process::id())
}
