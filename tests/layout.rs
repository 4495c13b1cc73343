//! The runtime's layout, as docs/LAYOUT.md states it: checked on the source, so a
//! change that breaks a rule fails here instead of drifting.

use std::fs;
use std::path::{Path, PathBuf};

/// The runtime's source files.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../osb/src"),
        &mut files,
    );
    assert!(files.len() > 50, "the runtime's sources were not found");
    files
}

/// The names the crate root re-exports (`pub use a::{B, C};` counts B and C).
fn root_names() -> Vec<String> {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../osb/src/lib.rs"))
        .unwrap();
    let mut names = Vec::new();
    for statement in lib.split(';') {
        let Some(path) = statement
            .trim()
            .rsplit_once("\npub use ")
            .map(|(_, p)| p)
            .or_else(|| statement.trim().strip_prefix("pub use "))
        else {
            continue;
        };
        let list = match path.split_once('{') {
            Some((_, list)) => list.trim_end_matches('}').to_owned(),
            None => path.rsplit("::").next().unwrap().to_owned(),
        };
        names.extend(
            list.split(',')
                .map(|name| name.split_whitespace().collect::<String>())
                .filter(|name| !name.is_empty()),
        );
    }
    names
}

#[test]
fn the_root_holds_at_most_thirty_names() {
    let names = root_names();
    println!("{} names: {names:?}", names.len());
    for expected in [
        "Broker",
        "Builder",
        "router",
        "serve",
        "Provision",
        "Provisioned",
        "plan",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} is not at the root"
        );
    }
    assert!(
        names.len() <= 30,
        "the root has {} names: {names:?}",
        names.len()
    );
}

#[test]
fn crate_internal_imports_name_the_defining_module() {
    for file in sources() {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            assert!(
                !code.starts_with("use crate::{") && !code.starts_with("pub(crate) use crate::{"),
                "{}:{}: imports through the crate root: {line}",
                file.display(),
                n + 1
            );
        }
    }
}

/// «Is there a store?» is answered once, by the back end `Builder::build` picks: only
/// the builder holds an optional store; the router's shared state, the handlers and
/// the lifecycle never do.
#[test]
fn only_the_builder_asks_whether_there_is_a_store() {
    let builder = Path::new("router").join("mod.rs");
    for file in sources() {
        if file.ends_with(&builder) {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        for pattern in [
            "Option<StoreHandle>",
            "Option<Lifecycle>",
            "Option<Arc<Lifecycle>>",
        ] {
            assert!(
                !text.contains(pattern),
                "{} holds an optional store: `{pattern}`",
                file.display()
            );
        }
    }
    let builder =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../osb/src/router/mod.rs"))
            .unwrap();
    assert!(
        builder.contains("Option<StoreHandle>"),
        "the builder's store moved"
    );
}
