//! Link options for the baseline server: the same as the reference broker's
//! (examples/build.rs, build/packed_relocations.rs), so the two are built alike.

#[path = "../build/packed_relocations.rs"]
mod packed_relocations;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../build/packed_relocations.rs");
    if let Some(arg) = packed_relocations::link_arg() {
        println!("cargo::rustc-link-arg-bins={arg}");
    }
}
