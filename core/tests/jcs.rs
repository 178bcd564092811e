//! RFC 8785 conformance of the canonical form events are hashed in, against the reference
//! vectors of the RFC's author in `../shared/jcs/` (beside the repository, never copied into
//! it): `input/NAME.json` must canonicalise to exactly the bytes of `output/NAME.json`.
//!
//! The core's canonicaliser is private; what it produces is observable through
//! `custodia::event::event_id_of`, the SHA-256 of the canonical bytes of a value (without the
//! top-level `id` and `signatures` members of an object). Equal SHA-256 digests mean equal
//! bytes. The independent canonicaliser of the test support (which the vector tests compare
//! the core with) and the one of `docs/vectors/check.py` are held to the same vectors, for the
//! values events can hold (no floats).
//!
//! The folder is found at `<repo>/../shared/jcs` or under `$CUSTODIA_SHARED_DIR/jcs`. A missing
//! folder fails the test: a conformance test that silently skips cannot fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::path::PathBuf;

use custodia::event::event_id_of;
use serde_json::{Value, json};

/// The six reference vectors; every one has an output.
const VECTORS: [&str; 6] = [
    "arrays.json",
    "french.json",
    "structures.json",
    "unicode.json",
    "values.json",
    "weird.json",
];

fn jcs_dir() -> PathBuf {
    support::shared("jcs", "input/weird.json")
}

/// (name, parsed input, expected output bytes) of every vector.
fn vectors() -> Vec<(String, Value, Vec<u8>)> {
    let dir = jcs_dir();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("input"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names, VECTORS, "the reference folder changed");
    names
        .into_iter()
        .map(|name| {
            let input = std::fs::read(dir.join("input").join(&name)).unwrap();
            let expected = std::fs::read(dir.join("output").join(&name)).unwrap();
            let value: Value = serde_json::from_slice(&input)
                .unwrap_or_else(|e| panic!("{name}: input is not JSON: {e}"));
            (name, value, expected)
        })
        .collect()
}

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => !n.is_u64() && !n.is_i64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(m) => m.values().any(has_float),
        _ => false,
    }
}

#[test]
fn the_core_hashes_exactly_the_rfc_8785_reference_outputs() {
    let mut failures = Vec::new();
    for (name, value, expected) in vectors() {
        let got = event_id_of(&value).unwrap().to_hex();
        if got != support::sha256_hex(&expected) {
            failures.push(format!(
                "{name}: the core's canonical bytes differ from the reference\n  expected {}",
                String::from_utf8_lossy(&expected)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_test_canonicaliser_reproduces_the_reference_outputs_without_floats() {
    let mut checked = Vec::new();
    for (name, value, expected) in vectors() {
        if has_float(&value) {
            continue;
        }
        assert_eq!(
            support::jcs(&value),
            String::from_utf8(expected).unwrap(),
            "{name}"
        );
        checked.push(name);
    }
    assert_eq!(
        checked,
        ["arrays.json", "french.json", "unicode.json", "weird.json"]
    );
}

/// `event_id_of` drops `id` and `signatures` only at the top level of an object.
#[test]
fn ids_strip_only_the_top_level_id_and_signatures() {
    let v = json!({"b": {"id": 1, "signatures": 2}, "a": 1, "id": "x", "signatures": []});
    assert_eq!(
        event_id_of(&v).unwrap().to_hex(),
        support::sha256_hex(br#"{"a":1,"b":{"id":1,"signatures":2}}"#)
    );
    // Nothing else is dropped: an object without them hashes whole, as does an array.
    let w = json!({"b": {"id": 1, "signatures": 2}, "a": 1});
    assert_eq!(event_id_of(&v).unwrap(), event_id_of(&w).unwrap());
    let a = json!([{"id": 1}]);
    assert_eq!(
        event_id_of(&a).unwrap().to_hex(),
        support::sha256_hex(br#"[{"id":1}]"#)
    );
}

#[test]
fn python_canonicaliser_reproduces_the_reference_outputs_without_floats() {
    let dir = jcs_dir();
    let Some(stdout) = support::check_py_ok(
        "python cross-check of the RFC 8785 vectors (check.py --jcs)",
        &["--jcs", dir.to_str().unwrap()],
    ) else {
        return;
    };
    for name in ["arrays.json", "french.json", "unicode.json", "weird.json"] {
        assert!(stdout.contains(&format!("jcs {name}: ok")), "{stdout}");
    }
}
