//! Compile-error tests of the macros (trybuild). `ui/{plan,service,broker}` hold the
//! macros' own messages and always run; `ui/typeck` holds rustc's errors at our spans,
//! whose wording changes between releases, so it runs on one toolchain only.
//!
//! Re-bless with `TRYBUILD=overwrite cargo test -p osb-tests --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/plan/*.rs");
    t.compile_fail("ui/service/*.rs");
    t.compile_fail("ui/broker/*.rs");
    t.pass("ui/pass/*.rs");
}

#[test]
#[rustversion::attr(not(stable(1.95)), ignore)]
fn typeck() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/typeck/*.rs");
    // With a passing case, trybuild builds instead of checking, so the errors found
    // only when code is instantiated (`osb::router` given a stateful broker) show too.
    t.pass("ui/pass/minimal.rs");
}
