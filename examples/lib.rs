//! Example brokers; run them with `cargo run --example NAME`. The reference broker
//! is also a library module, so tests can drive it in-process.

pub mod reference;
