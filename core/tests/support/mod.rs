//! Support shared by the test-vector, conformance and front-door tests: where the repository's
//! data files are, an RFC 8785 canonicaliser written here from the RFC (independent of the one
//! the core hashes with), and the Python cross-checks (`docs/vectors/check.py`).
//!
//! Python policy: a cross-check that silently skips cannot fail, so a missing `python3` fails
//! the test. Set `CUSTODIA_SKIP_PYTHON=1` to run without Python; the test then writes a line
//! starting with [`NOT_RUN`] to the process's stderr (past the test harness's capture) so that
//! a test script can report the check as not run.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// The marker a skipped cross-check writes to stderr.
pub const NOT_RUN: &str = "custodia-test: NOT RUN:";

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `docs/vectors/<name>`.
pub fn vectors(name: &str) -> PathBuf {
    repo().join("docs/vectors").join(name)
}

/// A folder of shared reference data beside the repository (`<repo>/../shared/<name>`, or
/// `$CUSTODIA_SHARED_DIR/<name>`). Missing data fails the test: a conformance test that skips
/// cannot fail.
pub fn shared(name: &str, must_hold: &str) -> PathBuf {
    let mut tried = Vec::new();
    let mut candidates = vec![repo().join("../shared").join(name)];
    if let Some(dir) = std::env::var_os("CUSTODIA_SHARED_DIR") {
        candidates.insert(0, PathBuf::from(dir).join(name));
    }
    // A git worktree sits one level deeper than the checkout it belongs to.
    candidates.push(repo().join("../../shared").join(name));
    for dir in candidates {
        if dir.join(must_hold).exists() {
            return dir;
        }
        tried.push(dir.display().to_string());
    }
    panic!(
        "shared reference data `{name}` not found (tried {}); set CUSTODIA_SHARED_DIR",
        tried.join(", ")
    );
}

/// Reads and parses a JSON file.
pub fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------------
// RFC 8785, for the values events use (objects, arrays, strings, integers, booleans, null).

fn jcs_into(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let i = n.as_u64().expect("events carry non-negative integers only");
            assert!(i < 1 << 53, "integers above 2^53 - 1 are not exact in JCS");
            out.push_str(&i.to_string());
        }
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    // Everything else as itself, U+2028 and U+2029 included (ECMAScript's
                    // JSON.stringify, which RFC 8785 follows, does not escape them).
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                jcs_into(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by_key(|k| k.encode_utf16().collect::<Vec<u16>>());
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                jcs_into(&Value::String(k.clone()), out);
                out.push(':');
                jcs_into(&m[k], out);
            }
            out.push('}');
        }
    }
}

/// The RFC 8785 canonical JSON of an event-like value, written from the RFC.
pub fn jcs(v: &Value) -> String {
    let mut s = String::new();
    jcs_into(v, &mut s);
    s
}

/// The id of an event object as a reader computes it from the RFC: SHA-256 of the canonical
/// JSON of the object without its top-level `id` and `signatures`.
pub fn content_id(event: &Value) -> String {
    let mut content = event.clone();
    if let Some(m) = content.as_object_mut() {
        m.remove("id");
        m.remove("signatures");
    }
    sha256_hex(jcs(&content).as_bytes())
}

// ---------------------------------------------------------------------------------------------
// Python.

/// Whether the Python cross-checks are switched off (`CUSTODIA_SKIP_PYTHON=1`).
pub fn python_skipped() -> bool {
    std::env::var_os("CUSTODIA_SKIP_PYTHON").is_some_and(|v| v == "1")
}

/// Tells whoever runs the tests that a check did not run, on the real stderr (the harness
/// captures `eprintln!` of passing tests).
pub fn report_not_run(what: &str) {
    // A line of its own, even after the terse runner's progress dots.
    let line = format!("\n{NOT_RUN} {what} (CUSTODIA_SKIP_PYTHON=1)\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Runs `python3 docs/vectors/check.py ARGS`. Returns `None` (after reporting it) when
/// `CUSTODIA_SKIP_PYTHON=1`; panics when `python3` cannot be started otherwise.
pub fn check_py(what: &str, args: &[&str]) -> Option<Output> {
    if python_skipped() {
        report_not_run(what);
        return None;
    }
    let script = vectors("check.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{what}: cannot run `python3 {}`: {e}. Install Python 3 (standard library \
                 only) or set CUSTODIA_SKIP_PYTHON=1 to report this check as not run",
                script.display()
            )
        });
    Some(out)
}

/// As [`check_py`], and the script must succeed; returns its stdout.
pub fn check_py_ok(what: &str, args: &[&str]) -> Option<String> {
    let out = check_py(what, args)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: check.py failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}
