//! Link options for the example brokers (see build/packed_relocations.rs).

#[path = "../build/packed_relocations.rs"]
mod packed_relocations;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../build/packed_relocations.rs");
    if let Some(arg) = packed_relocations::link_arg() {
        println!("cargo::rustc-link-arg-examples={arg}");
    }
}
