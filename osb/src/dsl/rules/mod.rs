//! The rules `#[osb::plan]`, `#[osb::service]` and `#[osb::broker]` check with the
//! compiler's help: what a parameter type must be, which handlers a broker needs for
//! the offerings it serves, what a handler takes and returns. The generated code
//! goes through these traits and functions, so a broken rule is a compiler error
//! at the user's code whose message (`#[diagnostic::on_unimplemented]`) says what to
//! do; that is why they are public, and named for what they require.
//!
//! Nothing here is meant to be called or implemented by hand: it changes with the
//! macros, which are pinned to this exact version of the crate.

mod coverage;
mod params;
mod signature;

pub use coverage::*;
pub use params::*;
pub use signature::*;
