//! RFC 8785 conformance of the canonicaliser the core hashes with, against the reference
//! vectors of the RFC's author in `../shared/jcs/` (beside the repository, never copied into
//! it). `input/NAME.json` must canonicalise to exactly the bytes of `output/NAME.json`.
//!
//! The folder is found at `<repo>/../shared/jcs`, or under `$CUSTODIA_SHARED_DIR/jcs`. A missing
//! folder fails the test: CI has it, and a conformance test that silently skips cannot fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use custodia::event::canonical_bytes;

fn jcs_dir() -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/jcs");
    if beside.join("input").is_dir() {
        return beside;
    }
    if let Some(dir) = std::env::var_os("CUSTODIA_SHARED_DIR") {
        let from_env = PathBuf::from(dir).join("jcs");
        if from_env.join("input").is_dir() {
            return from_env;
        }
    }
    panic!(
        "RFC 8785 vectors not found at {} nor under $CUSTODIA_SHARED_DIR/jcs",
        beside.display()
    );
}

#[test]
fn canonical_bytes_reproduce_the_rfc_8785_reference_outputs() {
    let dir = jcs_dir();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("input"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for name in &names {
        let expected_path = dir.join("output").join(name);
        if !expected_path.exists() {
            // An input without a reference output has nothing to compare against.
            continue;
        }
        let input = std::fs::read(dir.join("input").join(name)).unwrap();
        let expected = std::fs::read(&expected_path).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&input)
            .unwrap_or_else(|e| panic!("{name}: input is not JSON: {e}"));
        let got = canonical_bytes(&value).unwrap();
        if got != expected {
            failures.push(format!(
                "{name}:\n  expected {}\n  got      {}",
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&got)
            ));
        }
        checked.push(name.as_str());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The folder holds six vectors, each with an output; all must have been compared.
    for must in [
        "arrays.json",
        "french.json",
        "structures.json",
        "unicode.json",
        "values.json",
        "weird.json",
    ] {
        assert!(checked.contains(&must), "{must} was not checked");
    }
}

/// `canonical_bytes` drops `id` and `signatures` only at the top level of an event.
#[test]
fn canonical_bytes_strip_only_the_top_level_id_and_signatures() {
    let v =
        serde_json::json!({"b": {"id": 1, "signatures": 2}, "a": 1, "id": "x", "signatures": []});
    assert_eq!(
        canonical_bytes(&v).unwrap(),
        br#"{"a":1,"b":{"id":1,"signatures":2}}"#
    );
}
