//! The `custodia` command end to end: every verb, and bad input with its exit code and a
//! ledger left unchanged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn custodia(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            pipe.write_all(bytes).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = custodia(args, None);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str], stdin: Option<&[u8]>, code: i32, needle: &str) {
    let out = custodia(args, stdin);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: `{err}` lacks `{needle}`");
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn demo_verify_head_prove_consistency_trace_balance_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let summary = ok(&["--ledger", p(&db), "demo", "--events", "400"]);
    assert!(summary.contains("events:            400"), "{summary}");
    assert!(ok(&["--ledger", p(&db), "verify"]).starts_with("valid: 400 events"));
    let head: serde_json::Value = serde_json::from_str(&ok(&["--ledger", p(&db), "head"])).unwrap();
    assert_eq!(head["size"], 400);
    assert_eq!(head["root"].as_str().unwrap().len(), 64);
    assert_eq!(head["signatures"].as_array().unwrap().len(), 1);

    let export = ok(&["--ledger", p(&db), "export", "--format", "jsonl"]);
    assert_eq!(export.lines().count(), 400);
    let report = custodia::verify_jsonl(export.as_bytes(), None);
    assert!(report.is_valid(), "{:?}", report.failure);
    let first: serde_json::Value = serde_json::from_str(export.lines().nth(9).unwrap()).unwrap();
    let id = first["id"].as_str().unwrap();

    let proof: serde_json::Value =
        serde_json::from_str(&ok(&["--ledger", p(&db), "prove", id, "--size", "300"])).unwrap();
    assert_eq!(proof["leaf_index"], 9);
    assert_eq!(proof["tree_size"], 300);
    let path: Vec<[u8; 32]> = proof["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| custodia::merkle::hash_from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    let root = custodia::merkle::hash_from_hex(proof["root"].as_str().unwrap()).unwrap();
    let leaf = custodia::merkle::leaf_hash(&custodia::EventId::from_hex(id).unwrap());
    assert!(custodia::merkle::verify_inclusion(
        &leaf, 9, 300, &path, &root
    ));

    let c: serde_json::Value =
        serde_json::from_str(&ok(&["--ledger", p(&db), "consistency", "--from", "100"])).unwrap();
    assert_eq!(
        (c["first"].as_u64(), c["second"].as_u64()),
        (Some(100), Some(400))
    );
    assert_eq!(c["second_root"], head["root"]);
    let cpath: Vec<[u8; 32]> = c["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| custodia::merkle::hash_from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    let r1 = custodia::merkle::hash_from_hex(c["first_root"].as_str().unwrap()).unwrap();
    assert!(custodia::merkle::verify_consistency(
        100,
        400,
        &r1,
        &root_of(&head),
        &cpath
    ));

    let trace = ok(&["--ledger", p(&db), "trace", "item:akm-00000001"]);
    let kinds: Vec<String> = trace
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds[0], "register_items");
    let balance = ok(&["--ledger", p(&db), "balance", "--site", "depot:01"]);
    assert!(balance.lines().count() > 0);
    assert!(
        balance
            .lines()
            .all(|l| l.starts_with("unit:log-bn-1@depot:01\t")),
        "{balance}"
    );
    let dot = ok(&["--ledger", p(&db), "export", "--format", "dot"]);
    assert!(dot.starts_with("digraph custody {") && dot.contains("->"));
    fails(
        &["--ledger", p(&db), "trace", "item:nothing"],
        None,
        1,
        "no event touched",
    );
    fails(
        &["--ledger", p(&db), "prove", &"0".repeat(64)],
        None,
        1,
        "not in the ledger",
    );
    fails(
        &["--ledger", p(&db), "prove", "xyz"],
        None,
        2,
        "not an event id",
    );
    fails(
        &["--ledger", p(&db), "consistency", "--from", "500"],
        None,
        2,
        "500",
    );
}

fn root_of(head: &serde_json::Value) -> [u8; 32] {
    custodia::merkle::hash_from_hex(head["root"].as_str().unwrap()).unwrap()
}

#[test]
fn init_append_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let events = ok(&["synth", "--events", "60", "--seed", "3"]);
    assert_eq!(
        events,
        ok(&["synth", "--events", "60", "--seed", "3"]),
        "synth is deterministic"
    );
    let lines: Vec<&str> = events.lines().collect();
    ok(&["--ledger", p(&db), "init"]);
    fails(&["--ledger", p(&db), "init"], None, 2, "already exists");
    let first: String = lines[..30].iter().map(|l| format!("{l}\n")).collect();
    let file = dir.path().join("first.jsonl");
    std::fs::write(&file, &first).unwrap();
    assert!(ok(&["--ledger", p(&db), "append", p(&file)]).contains("appended 30 events"));
    let head = ok(&["--ledger", p(&db), "head"]);

    // Malformed JSON on line 3 of stdin: nothing of the batch is appended.
    let mut bad = format!("{}\n{}\n", lines[30], lines[31]);
    bad.push_str("{not json\n");
    fails(
        &["--ledger", p(&db), "append", "-"],
        Some(bad.as_bytes()),
        1,
        "line 3: malformed JSON",
    );
    // Schema violation.
    let mut v: serde_json::Value = serde_json::from_str(lines[30]).unwrap();
    v["at"] = serde_json::json!(12);
    fails(
        &["--ledger", p(&db), "append", "-"],
        Some(format!("{v}\n").as_bytes()),
        1,
        "line 1: field `/at`",
    );
    // Wrong signature.
    let mut v: serde_json::Value = serde_json::from_str(lines[30]).unwrap();
    let sig = v["signatures"][0]["sig"].as_str().unwrap().to_owned();
    v["signatures"][0]["sig"] = serde_json::json!(format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    ));
    let input = format!("{}\n{v}\n", lines[30]);
    fails(
        &["--ledger", p(&db), "append", "-"],
        Some(input.as_bytes()),
        1,
        "line 2: event",
    );
    // Unknown references: event 40 without 30..40 misses its parents.
    fails(
        &["--ledger", p(&db), "append", "-"],
        Some(format!("{}\n", lines[45]).as_bytes()),
        1,
        "line 1: event",
    );
    // Duplicate.
    fails(
        &["--ledger", p(&db), "append", "-"],
        Some(format!("{}\n", lines[0]).as_bytes()),
        1,
        "already in the ledger",
    );
    // Missing files and files that are not ledgers.
    fails(
        &["--ledger", p(&db), "append", "/nonexistent/x.jsonl"],
        None,
        2,
        "cannot open",
    );
    fails(
        &["--ledger", p(&dir.path().join("none.db")), "verify"],
        None,
        2,
        "does not exist",
    );
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "definitely not a database file, but text").unwrap();
    fails(
        &["--ledger", p(&junk), "verify"],
        None,
        2,
        "is not a custodia ledger",
    );
    fails(&["verify"], None, 2, "--ledger");
    fails(&["--ledger", p(&db), "frobnicate"], None, 2, "frobnicate");
    // The ledger is unchanged by all of that.
    assert_eq!(ok(&["--ledger", p(&db), "head"]), head);
    // The rest goes in from stdin.
    let rest: String = lines[30..].iter().map(|l| format!("{l}\n")).collect();
    let out = custodia(
        &["--ledger", p(&db), "append", "-", "--batch-size", "7"],
        Some(rest.as_bytes()),
    );
    assert!(out.status.success());
    assert!(ok(&["--ledger", p(&db), "verify"]).starts_with("valid: 60 events"));

    // Tampering makes verify exit 1 with the first failure.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM events WHERE seq = 12", [])
        .unwrap();
    drop(conn);
    fails(
        &["--ledger", p(&db), "verify"],
        None,
        1,
        "event 12 is missing",
    );
}

#[test]
fn keygen_sign_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("admin.key");
    let public = ok(&["keygen", "--out", p(&key), "--actor", "agency:mod"]);
    assert_eq!(public.trim().len(), 64);
    fails(&["keygen", "--out", p(&key)], None, 2, "already exists");
    let db = dir.path().join("s.db");
    ok(&["--ledger", p(&db), "init", "--key", p(&key)]);
    let head: serde_json::Value = serde_json::from_str(&ok(&["--ledger", p(&db), "head"])).unwrap();
    assert_eq!(head["signatures"][0]["key"], public.trim());
    // An unsigned genesis and a site registration; parents are filled in.
    let genesis = serde_json::json!({"kind": "register_actor", "at": "2026-01-01T00:00:00Z", "actor": "agency:mod",
        "subject": {"id": "agency:mod", "kind": "agency", "name": "Ministry", "roles": ["admin"], "keys": [public.trim()]}});
    let site = serde_json::json!({"kind": "register_site", "at": "2026-01-01T01:00:00Z", "actor": "agency:mod",
        "site": {"id": "depot:a", "name": "Depot A", "kind": "depot"}});
    let unsigned = format!("{genesis}\n{site}\n");
    let out = custodia(
        &["--ledger", p(&db), "sign", "-", "--key", p(&key)],
        Some(unsigned.as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed = String::from_utf8(out.stdout).unwrap();
    let second: serde_json::Value = serde_json::from_str(signed.lines().nth(1).unwrap()).unwrap();
    let first: serde_json::Value = serde_json::from_str(signed.lines().next().unwrap()).unwrap();
    assert_eq!(second["parents"][0], first["id"]);
    let out = custodia(
        &["--ledger", p(&db), "append", "-"],
        Some(signed.as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ok(&["--ledger", p(&db), "verify"]).starts_with("valid: 2 events"));
    fails(
        &["sign", "-", "--key", p(&key)],
        Some(b"[1,2]\n"),
        1,
        "line 1: an event must be a JSON object",
    );
    fails(
        &["sign", "-", "--key", p(&dir.path().join("nokey"))],
        Some(b""),
        2,
        "cannot read key file",
    );
    for verb in [
        "init",
        "append",
        "verify",
        "head",
        "prove",
        "consistency",
        "trace",
        "balance",
        "export",
        "keygen",
        "sign",
        "demo",
        "synth",
    ] {
        let help = ok(&[verb, "--help"]);
        assert!(help.contains("Usage: custodia"), "{verb}: {help}");
    }
}

fn plugins_dir() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins");
    assert!(
        dir.join("marking.json").exists(),
        "`{}` has no plugins: run `scripts/build-plugins.sh` first",
        dir.display()
    );
    dir
}

#[test]
fn demo_puts_rules_in_force_and_verify_reruns_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rules.db");
    let plugins = plugins_dir();
    let summary = ok(&[
        "--ledger",
        p(&db),
        "--plugins",
        p(&plugins),
        "demo",
        "--events",
        "300",
    ]);
    assert!(summary.contains("rules in force:"), "{summary}");
    assert!(
        summary.contains("refused by rule `marking`: MARKING_INCOMPLETE"),
        "{summary}"
    );
    assert!(summary.contains("accepted by rules:"), "{summary}");
    // 300 synthetic events, the rules_in_force event and the accepted registration.
    let valid = ok(&["--ledger", p(&db), "--plugins", p(&plugins), "verify"]);
    assert!(valid.starts_with("valid: 302 events"), "{valid}");
    // Without the plugins the verdicts cannot be re-checked: verification fails and says why.
    fails(&["--ledger", p(&db), "verify"], None, 1, "--plugins DIR");
    // Reopening the ledger to append replays the recorded verdicts without the plugins.
    let out = custodia(&["--ledger", p(&db), "append", "-"], Some(b""));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let export = ok(&["--ledger", p(&db), "export", "--format", "jsonl"]);
    assert_eq!(export.lines().count(), 302);
}

#[test]
fn rules_test_prints_the_verdict_with_exit_codes() {
    let plugins = plugins_dir();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/rules/witnesses/tests");
    let wasm = plugins.join("witnesses.wasm");
    let allow = ok(&[
        "rules",
        "test",
        p(&wasm),
        p(&samples.join("allow.two-agencies.json")),
    ]);
    let verdict: serde_json::Value = serde_json::from_str(&allow).unwrap();
    assert_eq!(verdict["verdict"], "allow");
    let out = custodia(
        &[
            "rules",
            "test",
            p(&wasm),
            p(&samples.join("WITNESSES_TOO_FEW.one-witness.json")),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["verdict"], "deny");
    assert_eq!(verdict["code"], "WITNESSES_TOO_FEW");
    // A module that cannot be loaded, and one that is not there: plugin errors, exit 2.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"not wasm").unwrap();
    fails(
        &[
            "rules",
            "test",
            p(&bad),
            p(&samples.join("allow.two-agencies.json")),
        ],
        None,
        2,
        "not a valid wasm module",
    );
    fails(
        &[
            "rules",
            "test",
            p(&dir.path().join("none.wasm")),
            p(&samples.join("allow.two-agencies.json")),
        ],
        None,
        2,
        "cannot read",
    );
    // The manifest itself may be given too.
    let by_manifest = ok(&[
        "rules",
        "test",
        p(&plugins.join("witnesses.json")),
        p(&samples.join("allow.two-agencies.json")),
    ]);
    assert_eq!(by_manifest, allow);
    let listed = ok(&["--plugins", p(&plugins), "rules", "list"]);
    assert_eq!(listed.lines().count(), 5, "{listed}");
}
