//! The crate's modules form layers, and no module uses one above it:
//!
//! model ← error ← merkle, note, sigcheck ← envelope (JSON, schema, canonical form, ids, signatures)
//! ← ledger (kinds, state, rules interface) ← rules, rows ← store ← verify ← api (the front
//! door) ← event (public re-exports) ← testkit.
//!
//! This test reads the sources (outside `#[cfg(test)]` modules) and fails on an upward use.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used
)]

use std::path::Path;

const LAYERS: &[(&str, u32)] = &[
    ("model", 0),
    ("par", 0),
    ("error", 1),
    ("merkle", 2),
    ("note", 2),
    ("sigcheck", 2),
    ("witness", 3),
    ("envelope", 3),
    ("ledger", 4),
    ("rules", 5),
    ("rows", 5),
    ("store", 6),
    ("verify", 7),
    ("api", 8),
    ("event", 9),
    ("testkit", 10),
    ("lib", 10),
];

fn rank(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// The source without its `#[cfg(test)] mod tests` module, which by convention is the last
/// item of a file (tests may use any layer).
fn without_tests(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "#[cfg(test)]".len()..];
        if after.trim_start().starts_with("mod tests") {
            return out;
        }
        out.push_str("#[cfg(test)]");
        rest = after;
    }
    out.push_str(rest);
    out
}

fn visit(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, found);
            continue;
        }
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let rel = path
            .strip_prefix(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))
            .unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let module = first.trim_end_matches(".rs");
        let Some(own) = rank(module) else {
            found.push(format!("{}: module `{module}` has no layer", rel.display()));
            continue;
        };
        let src = without_tests(&std::fs::read_to_string(&path).unwrap());
        for (i, _) in src.match_indices("crate::") {
            let used: String = src[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            match rank(&used) {
                Some(r) if r > own => found.push(format!(
                    "{}: `{module}` (layer {own}) uses `crate::{used}` (layer {r})",
                    rel.display()
                )),
                _ => {}
            }
        }
    }
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let mut found = Vec::new();
    visit(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut found,
    );
    assert!(found.is_empty(), "upward uses:\n{}", found.join("\n"));
}
