//! The host's modules depend one way: the API on the services, the services
//! on the plugin layer and the foundation, never back up. This test reads
//! every `crate::` path in `host/src` (tests and comments aside) and fails on
//! an import against that direction, naming the file and both modules.

use std::collections::BTreeSet;
use std::path::Path;

/// The layers, lowest first. A module may use modules of lower layers only:
/// not its own layer's peers, and never a higher layer, so there are no cycles.
const LAYERS: &[&[&str]] = &[
    // Foundation: no knowledge of health records.
    &["ids", "text", "secrets", "reach", "db", "listener"],
    &["files", "config"],
    // Sandboxed plugins, reached by the services through ports they implement.
    &["plugins"],
    // Services, in the order they build on each other.
    &["auth"],
    &["records"],
    &[
        "catalog",
        "removals",
        "backup",
        "dashboards",
        "recommendations",
        "chat",
    ],
    &["smart"],
    &["sources"],
    &["jobs"],
    // Adapters to the outside. (The sandbox provider and the synthetic
    // generator are crates of their own, `tools/`.)
    &["api", "web"],
    // The composition root.
    &["server"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Code without comments and without `#[cfg(test)]` modules (tests may reach anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(cut) => &text[..cut],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `text` names through `crate::` (`crate::a::b`, `crate::{a, b::c}`).
fn used_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Every import against the layers among `files` (path relative to `src`, text).
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in files {
        let top = path
            .split('/')
            .next()
            .unwrap_or(path)
            .trim_end_matches(".rs");
        // The crate root and the binary wire everything together.
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(from) = layer_of(top) else {
            found.push(format!(
                "{path}: module `{top}` has no layer; add it to LAYERS"
            ));
            continue;
        };
        for used in used_modules(&code(text)) {
            if used == top {
                continue;
            }
            match layer_of(&used) {
                Some(to) if to < from => {}
                Some(_) => found.push(format!(
                    "{path}: `{top}` uses `{used}`, which is not below it"
                )),
                None => found.push(format!("{path}: `{top}` uses `{used}`, which has no layer")),
            }
        }
    }
    found
}

fn sources(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(base)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).expect("read file")));
        }
    }
}

#[test]
fn every_module_imports_only_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    assert!(files.len() > 50, "read the host's sources");
    let found = violations(&files);
    assert!(
        found.is_empty(),
        "imports against the layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_wrong_import_is_caught() {
    let file = |path: &str, text: &str| (path.to_string(), text.to_string());
    // The record store reaching up into the API, and a plugin calling a service.
    let wrong = [
        file("records/mod.rs", "use crate::api::Problem;\nfn f() {}"),
        file(
            "plugins/call.rs",
            "use crate::{config::PluginLimits, records::RecordStore};",
        ),
        file("sources/mod.rs", "fn f() { crate::jobs::run(); }"),
    ];
    assert_eq!(
        violations(&wrong),
        [
            "records/mod.rs: `records` uses `api`, which is not below it",
            "plugins/call.rs: `plugins` uses `records`, which is not below it",
            "sources/mod.rs: `sources` uses `jobs`, which is not below it",
        ]
    );
    // Downward imports, comments and test modules pass.
    let right = [
        file(
            "sources/mod.rs",
            "use crate::{plugins::ports::SyncSink, records};",
        ),
        file(
            "records/mod.rs",
            "// see crate::api::Problem\nuse crate::db::Db;",
        ),
        file(
            "auth/mod.rs",
            "use crate::db::Db;\n#[cfg(test)]\nmod tests { use crate::server; }",
        ),
    ];
    assert_eq!(violations(&right), Vec::<String>::new());
    // A new module must be placed in a layer.
    assert_eq!(
        violations(&[file("billing.rs", "")]),
        ["billing.rs: module `billing` has no layer; add it to LAYERS"]
    );
}
