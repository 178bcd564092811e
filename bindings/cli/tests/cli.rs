//! The `custodia` command end to end, on real files: every verb, bad input with its exit code,
//! its error code and a ledger left unchanged (its signed head compared before and after), the
//! log key kept outside the ledger, and the migration of a format-1 file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

/// Runs the command with a clean environment for the variables it reads, plus `env`.
fn custodia_env(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custodia"));
    command
        .args(args)
        .env_remove("CUSTODIA_LOG_KEY")
        // `demo` looks for plugins here when `--plugins` is absent: none unless a test says so.
        .env("CUSTODIA_PLUGINS_DIR", "/nonexistent/custodia-plugins")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            // A command that fails before it reads its input closes the pipe.
            if let Err(e) = pipe.write_all(bytes) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
            }
        }
    }
    child.wait_with_output().unwrap()
}

fn custodia(args: &[&str], stdin: Option<&[u8]>) -> Output {
    custodia_env(args, stdin, &[])
}

fn ok_with(args: &[&str], stdin: Option<&[u8]>) -> String {
    let out = custodia(args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ok(args: &[&str]) -> String {
    ok_with(args, None)
}

/// Asserts the exit code and that standard error is one line `custodia: ...`, ending with the
/// error code `[CODE]` when one is given. Returns that line.
fn check_failure(out: &Output, args: &[&str], exit: i32, code: Option<u32>) -> String {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(exit), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
    let line = err.trim_end().to_owned();
    assert!(line.starts_with("custodia: "), "{args:?}: {line}");
    if let Some(code) = code {
        assert!(
            line.ends_with(&format!("[{code}]")),
            "{args:?}: `{line}` does not end with [{code}]"
        );
    }
    line
}

fn fails(args: &[&str], stdin: Option<&[u8]>, exit: i32, code: Option<u32>) -> String {
    check_failure(&custodia(args, stdin), args, exit, code)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn hex32(s: &Value) -> [u8; 32] {
    custodia::merkle::hash_from_hex(s.as_str().unwrap()).unwrap()
}

/// The example rule crates of ABI version 1: `scripts/build-plugins.sh` puts them in
/// `target/plugins` (those of version 2, which ask the ledger, go to `target/plugins/v2`).
fn rule_crates() -> usize {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/rules");
    std::fs::read_dir(rules)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .filter(|dir| {
            let manifest: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("plugin.json")).unwrap())
                    .unwrap();
            manifest["abi_version"] == 1
        })
        .count()
}

fn plugins_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins");
    if dir.join("marking.json").exists() {
        Some(dir)
    } else {
        println!(
            "note: skipped: `{}` has no plugins; build them with `bash scripts/build-plugins.sh`",
            dir.display()
        );
        None
    }
}

#[test]
fn demo_then_every_read_verb_without_the_log_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let l = p(&db);
    let out = ok(&["--ledger", l, "demo", "--events", "400"]);
    // The log key is written beside the ledger, owner-only, and the demo says where.
    let key = dir.path().join("demo.db.log-key");
    assert!(out.contains(&format!("`{}`", key.display())), "{out}");
    assert_eq!(mode(&key), 0o600);
    assert!(out.contains("rules: none"), "{out}");
    let events_line = out.lines().find(|x| x.starts_with("events ")).unwrap();
    assert_eq!(events_line.split_whitespace().last(), Some("400"), "{out}");
    // The synthetic stockpile answers tracing requests.
    let tracing = out
        .lines()
        .find(|x| x.starts_with("tracing requests"))
        .unwrap();
    assert!(
        !tracing.starts_with("tracing requests (ITI): 0 answered"),
        "{out}"
    );
    // The technical authority inspects lots; some are then due for inspection.
    let surveillance = out
        .lines()
        .find(|x| x.starts_with("ammunition surveillance"))
        .unwrap();
    assert!(
        !surveillance.starts_with("ammunition surveillance (IATG 07.20): 0 inspections"),
        "{out}"
    );
    // The legal life cycle: imports, seizures, forfeitures, restored serials, deactivations,
    // each at least once (the generator's first pass), counted from the events.
    let legal = out
        .lines()
        .find(|x| x.starts_with("legal life cycle"))
        .unwrap();
    let counts: Vec<u64> = legal
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(counts.len(), 6, "{out}");
    assert!(counts.iter().all(|&n| n > 0), "{out}");
    // The calendar: simulated days (weeks for these 400 events), with the schedule's events
    // counted.
    let calendar = out.lines().find(|x| x.starts_with("calendar:")).unwrap();
    let days: u64 = calendar
        .trim_start_matches("calendar: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(days > 7, "{out}");
    for what in [
        " training expenditures",
        " rifle issues",
        " full stock checks",
        " boards of inquiry",
    ] {
        let at = calendar
            .find(what)
            .unwrap_or_else(|| panic!("{what}: {out}"));
        let n: u64 = calendar[..at].rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n > 0, "{what}: {out}");
    }
    // It holds explosives, in grams of each hazard division.
    let neq = out
        .lines()
        .find(|x| x.starts_with("net explosive quantity held"))
        .unwrap();
    assert!(
        neq.contains(" g of 1.1") && neq.contains(" g of 1.4"),
        "{out}"
    );
    // Demo refuses an existing ledger and leaves the key file it found alone.
    let before = std::fs::read(&key).unwrap();
    fails(&["--ledger", l, "demo"], None, 2, Some(8002));
    assert_eq!(std::fs::read(&key).unwrap(), before);

    // Reads never need the log key, even when `CUSTODIA_LOG_KEY` names an unusable one.
    let valid = custodia_env(
        &["--ledger", l, "verify"],
        None,
        &[("CUSTODIA_LOG_KEY", "/nonexistent/key")],
    );
    assert!(valid.status.success());
    assert!(
        String::from_utf8(valid.stdout)
            .unwrap()
            .starts_with("valid: 400 events, "),
    );

    // head: a signed checkpoint.
    let head = json(&ok(&["--ledger", l, "head"]));
    assert_eq!(head["size"], 400);
    let mut sig = [0u8; 64];
    for (i, b) in sig.iter_mut().enumerate() {
        *b =
            u8::from_str_radix(&head["signature"].as_str().unwrap()[2 * i..2 * i + 2], 16).unwrap();
    }
    let log_key: custodia::PublicKey = head["key"].as_str().unwrap().parse().unwrap();
    assert!(custodia::merkle::verify_head(
        &log_key,
        head["origin"].as_str().unwrap(),
        400,
        &hex32(&head["root"]),
        &sig
    ));
    assert_eq!(
        head["checkpoint"].as_str().unwrap().lines().nth(1),
        Some("400")
    );

    // summary.
    let summary = json(&ok(&["--ledger", l, "summary", "--format", "json"]));
    assert_eq!(summary["events"], 400);
    assert_eq!(summary["tree_head"], head);
    let table = ok(&["--ledger", l, "summary"]);
    assert!(
        table
            .lines()
            .any(|x| x.split_whitespace().collect::<Vec<_>>() == ["sites", "5"]),
        "{table}"
    );

    // export jsonl: re-verifiable offline.
    let export = ok(&["--ledger", l, "export", "--format", "jsonl"]);
    assert_eq!(export.lines().count(), 400);
    let report = custodia::verify_jsonl(export.as_bytes(), None);
    assert!(report.ok, "{:?}", report.failure);
    let tenth = json(export.lines().nth(9).unwrap());
    let id = tenth["id"].as_str().unwrap();

    // A reader that goes away early stops the export quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(["--ledger", l, "export"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut start = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut start).unwrap();
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    assert_eq!(closed.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&closed.stderr), "");

    // export -o: the file appears only when complete; a failed export leaves nothing.
    let file = dir.path().join("export.jsonl");
    ok(&["--ledger", l, "export", "-o", p(&file)]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), export);
    let missing = dir.path().join("none/x.jsonl");
    fails(&["--ledger", l, "export", "-o", p(&missing)], None, 2, None);
    assert!(!dir.path().join("none").exists());

    // prove.
    let proof = json(&ok(&["--ledger", l, "prove", id, "--size", "300"]));
    assert_eq!(proof["leaf_index"], 9);
    assert_eq!(proof["tree_size"], 300);
    let path: Vec<[u8; 32]> = proof["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex32)
        .collect();
    let leaf = custodia::merkle::leaf_hash(&custodia::EventId::from_hex(id).unwrap());
    assert_eq!(leaf, hex32(&proof["leaf_hash"]));
    assert!(custodia::merkle::verify_inclusion(
        &leaf,
        9,
        300,
        &path,
        &hex32(&proof["root"])
    ));

    // consistency.
    let c = json(&ok(&["--ledger", l, "consistency", "--from", "100"]));
    assert_eq!(
        (c["first"].as_u64(), c["second"].as_u64()),
        (Some(100), Some(400))
    );
    assert_eq!(c["second_root"], head["root"]);
    let cpath: Vec<[u8; 32]> = c["path"].as_array().unwrap().iter().map(hex32).collect();
    assert!(custodia::merkle::verify_consistency(
        100,
        400,
        &hex32(&c["first_root"]),
        &hex32(&head["root"]),
        &cpath
    ));

    // trace.
    let trace = ok(&["--ledger", l, "trace", "item:akm-00000001"]);
    let entries: Vec<Value> = trace.lines().map(json).collect();
    assert_eq!(entries[0]["kind"], "register_items");
    assert!(
        entries
            .windows(2)
            .all(|w| w[0]["index"].as_u64() < w[1]["index"].as_u64())
    );

    // trace by pages: the pages, joined, are the whole history; a page after the last
    // position is empty, not an error; a limit outside 1..=250 is refused with its code.
    assert!(entries.len() > 2, "a history of several pages: {entries:?}");
    let mut paged: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["--ledger", l, "trace", "item:akm-00000001", "--limit", "2"];
        if let Some(a) = &after {
            args.extend(["--after", a.as_str()]);
        }
        let page: Vec<Value> = ok(&args).lines().map(json).collect();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last["index"].to_string());
        let full = page.len() == 2;
        paged.extend(page);
        if !full {
            break;
        }
    }
    assert_eq!(paged, entries);
    fails(
        &[
            "--ledger",
            l,
            "trace",
            "item:akm-00000001",
            "--limit",
            "251",
        ],
        None,
        2,
        Some(9001),
    );

    // find: the same rifle by its marking, ignoring case and spaces.
    let found: Vec<Value> = ok(&["--ledger", l, "find", "--serial", "0000 0001"])
        .lines()
        .map(json)
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], "item:akm-00000001");
    let maker = found[0]["marking"]["manufacturer"]
        .as_str()
        .unwrap()
        .to_uppercase();
    let by_maker = ok(&[
        "--ledger",
        l,
        "find",
        "--serial",
        "00000001",
        "--manufacturer",
        &maker,
    ]);
    assert_eq!(json(by_maker.trim())["id"], "item:akm-00000001");
    let none = fails(
        &[
            "--ledger",
            l,
            "find",
            "--serial",
            "00000001",
            "--manufacturer",
            "Nobody",
        ],
        None,
        1,
        None,
    );
    assert!(none.contains("00000001"), "{none}");

    // balance: table, json and csv agree.
    let rows = json(&ok(&[
        "--ledger", l, "balance", "--site", "depot:01", "--format", "json",
    ]));
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["site"] == "depot:01"), "{rows:?}");
    let table = ok(&["--ledger", l, "balance", "--site", "depot:01"]);
    let mut lines = table.lines();
    assert_eq!(
        lines.next().unwrap().split_whitespace().collect::<Vec<_>>(),
        ["ACCOUNT", "KIND", "STOCK", "UNITS"]
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), rows.len());
    for (line, row) in body.iter().zip(rows) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[0], row["account"].as_str().unwrap());
        assert_eq!(cells[2], row["stock"].as_str().unwrap());
        assert_eq!(cells[3], row["units"].to_string());
    }
    let csv = ok(&[
        "--ledger", l, "balance", "--site", "depot:01", "--format", "csv",
    ]);
    let mut records = csv.lines();
    assert_eq!(
        records.next(),
        Some("account,kind,stock,site,custodian,units")
    );
    let records: Vec<Vec<&str>> = records.map(|r| r.split(',').collect()).collect();
    assert_eq!(records.len(), rows.len());
    assert_eq!(records[0][5], rows[0]["units"].to_string());
    let stock = rows[0]["stock"].as_str().unwrap();
    let one = json(&ok(&[
        "--ledger", l, "balance", "--stock", stock, "--format", "json",
    ]));
    assert!(one.as_array().unwrap().iter().all(|r| r["stock"] == stock));
    assert!(!one.as_array().unwrap().is_empty());

    // stock: totals per site and hazard division add up the lines.
    let soh = json(&ok(&["--ledger", l, "stock", "--format", "json"]));
    let lines = soh["lines"].as_array().unwrap();
    let totals = soh["totals"].as_array().unwrap();
    assert!(!lines.is_empty() && !totals.is_empty());
    for t in totals {
        let sum: i64 = lines
            .iter()
            .filter(|x| x["site"] == t["site"] && x["hazard_division"] == t["hazard_division"])
            .map(|x| x["units"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, t["units"].as_i64().unwrap(), "{t}");
    }
    let d14 = json(&ok(&[
        "--ledger",
        l,
        "stock",
        "--division",
        "1.4",
        "--site",
        "depot:02",
        "--format",
        "json",
    ]));
    let d14_lines = d14["lines"].as_array().unwrap();
    assert!(!d14_lines.is_empty());
    assert!(
        d14_lines
            .iter()
            .all(|x| x["hazard_division"] == "1.4" && x["site"] == "depot:02")
    );
    let csv = ok(&["--ledger", l, "stock", "--format", "csv"]);
    assert!(csv.starts_with("record,site,custodian,kind,stock,"));
    assert_eq!(
        csv.lines().filter(|r| r.starts_with("line,")).count(),
        lines.len()
    );
    assert_eq!(
        csv.lines().filter(|r| r.starts_with("total,")).count(),
        totals.len()
    );
    let table = ok(&["--ledger", l, "stock", "--site", "depot:01"]);
    assert!(table.starts_with("SITE"), "{table}");
    assert!(
        table.contains("\n\nSITE"),
        "totals follow the lines: {table}"
    );
    fails(
        &["--ledger", l, "stock", "--division", "9.9"],
        None,
        2,
        None,
    );

    // lineage: a lot that was split has children.
    let split = export
        .lines()
        .map(json)
        .find(|e| e["kind"] == "lot_split")
        .expect("the demo splits lots");
    let from = split["lot"].as_str().unwrap();
    let lineage: Vec<Value> = ok(&["--ledger", l, "lineage", from])
        .lines()
        .map(json)
        .collect();
    assert_eq!(lineage[0]["lot"], from);
    assert_eq!(lineage[0]["depth"], 0);
    assert!(lineage.len() > 1, "{lineage:?}");

    // export dot.
    let dot = ok(&["--ledger", l, "export", "--format", "dot"]);
    assert!(dot.starts_with("digraph custody {") && dot.contains("->"));

    // Lookups of what is not there: refused, with the code.
    fails(
        &["--ledger", l, "trace", "item:nothing"],
        None,
        1,
        Some(2005),
    );
    fails(
        &["--ledger", l, "lineage", "lot:nothing"],
        None,
        1,
        Some(2005),
    );
    fails(
        &["--ledger", l, "prove", &"0".repeat(64)],
        None,
        1,
        Some(9005),
    );
    fails(&["--ledger", l, "prove", "xyz"], None, 2, None);
    fails(
        &["--ledger", l, "consistency", "--from", "500"],
        None,
        2,
        Some(9004),
    );
    // None of that wrote anything.
    assert_eq!(json(&ok(&["--ledger", l, "head"])), head);
}

/// Signed synthetic events, one per line.
fn synth_lines(n: u32, seed: u32) -> Vec<String> {
    let events = ok(&[
        "synth",
        "--events",
        &n.to_string(),
        "--seed",
        &seed.to_string(),
    ]);
    assert_eq!(
        events,
        ok(&[
            "synth",
            "--events",
            &n.to_string(),
            "--seed",
            &seed.to_string()
        ]),
        "synth is deterministic"
    );
    events.lines().map(str::to_owned).collect()
}

/// `synth --start`: the first event falls on the day asked (the default is 2015-01-01, so that
/// hundreds of thousands of events end before today's date and `append` takes them), the same
/// seed and start give the same events, and a month or a malformed day is a usage error.
#[test]
fn synth_starts_on_the_day_asked() {
    let first_at = |lines: &str| -> String {
        let first = lines.lines().next().unwrap();
        json(first)["at"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        first_at(&ok(&["synth", "--events", "3"])),
        "2015-01-01T07:00:00Z"
    );
    let args = ["synth", "--events", "40", "--start", "2020-02-29"];
    let leap = ok(&args);
    assert_eq!(first_at(&leap), "2020-02-29T07:00:00Z");
    assert_eq!(leap, ok(&args), "the same seed and start, the same events");
    assert_ne!(
        leap,
        ok(&["synth", "--events", "40", "--start", "2020-03-01"])
    );
    for bad in ["2020-02", "2021-02-29", "yesterday", "1987-12-31"] {
        fails(&["synth", "--events", "3", "--start", bad], None, 2, None);
    }
}

/// `demo --start`: the demo's events begin on the day asked (the default keeps 2026-01-01), and
/// a month is a usage error that creates no ledger.
#[test]
fn demo_starts_on_the_day_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("early.db");
    let l = p(&db);
    ok(&[
        "--ledger",
        l,
        "demo",
        "--events",
        "300",
        "--start",
        "2020-06-01",
    ]);
    let export = ok(&["--ledger", l, "export"]);
    let first = json(export.lines().next().unwrap());
    assert_eq!(first["at"], "2020-06-01T07:00:00Z");
    let other = dir.path().join("month.db");
    fails(
        &[
            "--ledger",
            p(&other),
            "demo",
            "--events",
            "300",
            "--start",
            "2020-06",
        ],
        None,
        2,
        None,
    );
    assert!(!other.exists(), "nothing written");
}

#[test]
fn a_demo_refused_part_way_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("late.db");
    // 100 days ago: at about 13 events a demo day, the first batch (1,000 events, about 77
    // days) is in the past and 3,000 events (about 230 days) run past today, so a later batch
    // is dated after the clock.
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let start = custodia::Timestamp::from_unix_seconds(now - 100 * 86_400)
        .unwrap()
        .to_string();
    let args = [
        "--ledger",
        p(&db),
        "demo",
        "--events",
        "3000",
        "--start",
        &start[..10],
    ];
    fails(&args, None, 1, Some(2024));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "nothing written: {left:?}");
}

/// The stock ids a registration event brings onto the books.
fn registered_stock(v: &Value) -> Vec<String> {
    match v["kind"].as_str() {
        Some("register_lot") => vec![v["lot"]["id"].as_str().unwrap().to_owned()],
        Some("register_items") => v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect(),
        _ => vec![],
    }
}

/// The stock ids an event's `items` and `lots` name (as strings or as `{item}` / `{lot}`).
fn stock_refs(v: &Value) -> Vec<String> {
    ["items", "lots"]
        .iter()
        .flat_map(|k| v[*k].as_array().cloned().unwrap_or_default())
        .map(|e| match &e {
            Value::String(s) => s.clone(),
            _ => e["item"].as_str().or(e["lot"].as_str()).unwrap().to_owned(),
        })
        .collect()
}

#[test]
fn init_append_and_bad_input_leave_the_ledger_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let l = p(&db);
    let key = dir.path().join("log.key");
    let k = p(&key);

    // init needs a log key and says how to give one; nothing is created without it.
    let no_key = fails(&["--ledger", l, "init"], None, 2, None);
    assert!(
        no_key.contains("--log-key") && no_key.contains("--generate-key"),
        "{no_key}"
    );
    assert!(!db.exists());
    let made = ok(&[
        "--ledger",
        l,
        "init",
        "--generate-key",
        k,
        "--origin",
        "mindef.example/armoury-1",
    ]);
    assert!(made.contains("mindef.example/armoury-1"), "{made}");
    assert_eq!(mode(&key), 0o600);
    let head0 = json(&ok(&["--ledger", l, "head"]));
    assert_eq!(head0["size"], 0);
    assert_eq!(head0["origin"], "mindef.example/armoury-1");
    // An existing ledger is refused, and the key made for it is not left behind.
    let stray = dir.path().join("stray.key");
    fails(
        &["--ledger", l, "init", "--generate-key", p(&stray)],
        None,
        2,
        Some(8002),
    );
    assert!(!stray.exists());
    fails(
        &[
            "--ledger",
            l,
            "--log-key",
            k,
            "init",
            "--generate-key",
            p(&stray),
        ],
        None,
        2,
        None,
    );
    // A dangling symbolic link is refused: the ledger is not created where it points.
    let link = dir.path().join("link.db");
    let target = dir.path().join("elsewhere.db");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    fails(
        &["--ledger", p(&link), "--log-key", k, "init"],
        None,
        2,
        Some(8002),
    );
    assert!(!target.exists());

    // 120: the missing-parent case below needs a later event of the first 30's stock.
    let lines = synth_lines(120, 3);
    let first: String = lines[..30].iter().map(|x| format!("{x}\n")).collect();
    let file = dir.path().join("first.jsonl");
    std::fs::write(&file, &first).unwrap();

    // Without the log key an append fails as read-only, exit 2.
    fails(&["--ledger", l, "append", p(&file)], None, 2, Some(8008));
    assert_eq!(json(&ok(&["--ledger", l, "head"])), head0);
    let out = ok(&["--ledger", l, "--log-key", k, "append", p(&file)]);
    assert!(out.contains("appended 30 events"), "{out}");
    let head = ok(&["--ledger", l, "head"]);

    let env_key = [("CUSTODIA_LOG_KEY", k)];
    let append = |stdin: &[u8], exit: i32, code: Option<u32>| -> String {
        let args = ["--ledger", l, "append", "-"];
        check_failure(
            &custodia_env(&args, Some(stdin), &env_key),
            &args,
            exit,
            code,
        )
    };
    // Malformed JSON on line 3: nothing of the batch is appended.
    let bad = format!("{}\n{}\n{{not json\n", lines[30], lines[31]);
    let e = append(bad.as_bytes(), 1, Some(1002));
    assert!(e.contains("standard input line 3"), "{e}");
    // A schema violation, named by its field.
    let mut v = json(&lines[30]);
    v["at"] = json!(12);
    let e = append(format!("\n{v}\n").as_bytes(), 1, Some(1004));
    assert!(e.contains("line 2") && e.contains("field `/at`"), "{e}");
    // A signature that does not verify.
    let mut v = json(&lines[30]);
    let sig = v["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    v["signatures"][0]["sig"] = json!(flipped);
    append(format!("{v}\n").as_bytes(), 1, Some(5002));
    // A missing parent: the first later dispatch or status change that touches only
    // stock registered in the first 30 events but names a later event as a parent (the
    // stock's latest event in this ledger is then not among its parents).
    let early: BTreeSet<String> = lines[..30]
        .iter()
        .map(|l| json(l)["id"].as_str().unwrap().to_owned())
        .collect();
    let registered: BTreeSet<String> = lines[..30]
        .iter()
        .flat_map(|l| registered_stock(&json(l)))
        .collect();
    let late = lines[30..]
        .iter()
        .find(|l| {
            let v = json(l);
            matches!(
                v["kind"].as_str(),
                // (Not a stock check: its booked figures are judged before its parents.)
                Some("transfer_dispatch" | "status_change")
            ) && stock_refs(&v).iter().all(|s| registered.contains(s))
                && v["parents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| !early.contains(p.as_str().unwrap()))
        })
        .expect("a synthetic event of the kind the missing-parent case needs");
    append(format!("{late}\n").as_bytes(), 1, Some(2003));
    // A duplicate.
    append(format!("{}\n", lines[0]).as_bytes(), 1, Some(2002));
    // No events at all: an error unless `--allow-empty`.
    let e = append(b"\n  \n", 1, Some(1011));
    assert!(e.contains("no events in standard input"), "{e}");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let e = fails(
        &["--ledger", l, "--log-key", k, "append", p(&empty)],
        None,
        1,
        Some(1011),
    );
    assert!(
        e.contains(&format!("no events in `{}`", empty.display())),
        "{e}"
    );
    ok(&[
        "--ledger",
        l,
        "--log-key",
        k,
        "append",
        p(&empty),
        "--allow-empty",
    ]);
    // A line longer than an event can be.
    let long = format!(
        "{{\"x\": \"{}\"}}\n",
        "a".repeat(custodia::event::EVENT_BYTES_MAX)
    );
    append(long.as_bytes(), 1, Some(1001));
    // Missing files, files that are not ledgers, bad arguments.
    fails(
        &[
            "--ledger",
            l,
            "--log-key",
            k,
            "append",
            "/nonexistent/x.jsonl",
        ],
        None,
        2,
        None,
    );
    fails(
        &["--ledger", p(&dir.path().join("none.db")), "verify"],
        None,
        2,
        Some(8001),
    );
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "definitely not a database file, but text").unwrap();
    fails(&["--ledger", p(&junk), "verify"], None, 2, Some(8003));
    fails(&["verify"], None, 2, None);
    fails(&["--ledger", l, "frobnicate"], None, 2, None);
    fails(
        &[
            "--ledger",
            l,
            "--log-key",
            k,
            "append",
            "-",
            "--batch-size",
            "0",
        ],
        None,
        2,
        None,
    );
    // A log key that is not this ledger's, and one that others can read.
    let other = dir.path().join("other.key");
    ok(&["keygen", "--out", p(&other)]);
    fails(
        &["--ledger", l, "--log-key", p(&other), "append", p(&file)],
        None,
        2,
        Some(9001),
    );
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
    fails(
        &["--ledger", l, "--log-key", p(&other), "append", p(&file)],
        None,
        2,
        Some(5009),
    );
    // The ledger is unchanged by all of that.
    assert_eq!(ok(&["--ledger", l, "head"]), head);

    // In batches: a refusal in the third batch keeps the first two.
    let mut rest: String = lines[30..40].iter().map(|x| format!("{x}\n")).collect();
    rest.push_str("{bad\n");
    let args = ["--ledger", l, "append", "-", "--batch-size", "4"];
    let out = custodia_env(&args, Some(rest.as_bytes()), &env_key);
    let e = check_failure(&out, &args, 1, Some(1002));
    assert!(
        e.contains("line 11") && e.contains("8 events of earlier batches"),
        "{e}"
    );
    assert_eq!(json(&ok(&["--ledger", l, "head"]))["size"], 38);
    let rest: String = lines[38..60].iter().map(|x| format!("{x}\n")).collect();
    let args = ["--ledger", l, "append", "-", "--batch-size", "7"];
    let out = custodia_env(&args, Some(rest.as_bytes()), &env_key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("the ledger holds 60")
    );
    assert!(ok(&["--ledger", l, "verify"]).starts_with("valid: 60 events"));

    // Tampering makes verify exit 1 with the first failure and its code.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM events WHERE seq = 12", [])
        .unwrap();
    drop(conn);
    let e = fails(&["--ledger", l, "verify"], None, 1, Some(7002));
    assert!(e.starts_with("custodia: verification failed: "), "{e}");
}

#[test]
fn keygen_sign_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("admin.key");
    let public = ok(&["keygen", "--out", p(&key), "--actor", "agency:mod"]);
    let public = public.trim();
    assert_eq!(public.len(), 64);
    assert_eq!(mode(&key), 0o600);
    fails(&["keygen", "--out", p(&key)], None, 2, Some(8002));
    let link = dir.path().join("link.key");
    std::os::unix::fs::symlink(dir.path().join("elsewhere.key"), &link).unwrap();
    fails(&["keygen", "--out", p(&link)], None, 2, Some(8002));
    assert!(!dir.path().join("elsewhere.key").exists());

    let db = dir.path().join("s.db");
    let l = p(&db);
    let log_key = dir.path().join("log.key");
    ok(&["keygen", "--out", p(&log_key)]);
    ok(&["--ledger", l, "--log-key", p(&log_key), "init"]);
    let head = json(&ok(&["--ledger", l, "head"]));
    assert_ne!(head["key"], public, "the log key is not the admin's");

    // An unsigned genesis and a site registration; parents are filled in.
    let genesis = json!({"kind": "register_actor", "at": "2026-01-01T00:00:00Z", "actor": "agency:mod",
        "subject": {"id": "agency:mod", "kind": "agency", "name": "Ministry", "roles": ["admin"], "keys": [public]}});
    let site = json!({"kind": "register_site", "at": "2026-01-01T01:00:00Z", "actor": "agency:mod",
        "site": {"id": "depot:a", "name": "Depot A", "kind": "depot"}});
    let unsigned = format!("{genesis}\n{site}\n");
    let signed = ok_with(
        &["--ledger", l, "sign", "-", "--key", p(&key)],
        Some(unsigned.as_bytes()),
    );
    let first = json(signed.lines().next().unwrap());
    let second = json(signed.lines().nth(1).unwrap());
    assert_eq!(second["parents"][0], first["id"]);
    // The same with `-o`: the file holds the same events.
    let out_file = dir.path().join("signed.jsonl");
    let printed = ok_with(
        &[
            "--ledger",
            l,
            "sign",
            "-",
            "--key",
            p(&key),
            "-o",
            p(&out_file),
        ],
        Some(unsigned.as_bytes()),
    );
    assert!(printed.is_empty());
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), signed);
    let out = ok(&[
        "--ledger",
        l,
        "--log-key",
        p(&log_key),
        "append",
        p(&out_file),
    ]);
    assert!(out.contains("appended 2 events"), "{out}");
    assert!(ok(&["--ledger", l, "verify"]).starts_with("valid: 2 events"));

    // A failed sign writes nothing, and no file with `-o`.
    let nothing = dir.path().join("nothing.jsonl");
    let args = ["sign", "-", "--key", p(&key), "-o", p(&nothing)];
    let e = check_failure(&custodia(&args, Some(b"[1,2]\n")), &args, 1, Some(1004));
    assert!(e.contains("line 1"), "{e}");
    assert!(!nothing.exists());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().contains(".tmp-"),
            "temporary file {name:?} left behind"
        );
    }
    fails(&["sign", "-", "--key", p(&key)], Some(b""), 1, Some(1011));
    fails(
        &["sign", "-", "--key", p(&key)],
        Some(format!("{first}\n").as_bytes()),
        1,
        Some(1012),
    );
    fails(
        &["sign", "-", "--key", p(&dir.path().join("nokey"))],
        Some(unsigned.as_bytes()),
        2,
        Some(5009),
    );
    // A ledger that is not there is an error, not an empty ledger.
    fails(
        &[
            "--ledger",
            p(&dir.path().join("none.db")),
            "sign",
            "-",
            "--key",
            p(&key),
        ],
        Some(unsigned.as_bytes()),
        2,
        Some(8001),
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
        "stock",
        "find",
        "overdue",
        "inspections-due",
        "neq",
        "summary",
        "lineage",
        "export",
        "keygen",
        "sign",
        "demo",
        "synth",
        "migrate",
        "rules",
    ] {
        let help = ok(&[verb, "--help"]);
        assert!(help.contains("Usage: custodia"), "{verb}: {help}");
    }
}

#[test]
fn migrate_upgrades_a_format_1_ledger_and_takes_its_key_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.ledger");
    let l = p(&db);
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../core/tests/data/format-v1.ledger");
    std::fs::copy(&committed, &db).unwrap();
    let original = std::fs::read(&db).unwrap();

    // This build does not read format 1, and says how to upgrade.
    let e = fails(&["--ledger", l, "verify"], None, 2, Some(8004));
    assert!(e.contains("migrate"), "{e}");
    // `--out` must be free before anything is touched.
    let taken = dir.path().join("taken.key");
    std::fs::write(&taken, "x").unwrap();
    fails(
        &["--ledger", l, "migrate", "--out", p(&taken)],
        None,
        2,
        None,
    );
    assert_eq!(std::fs::read(&db).unwrap(), original);

    let key = dir.path().join("log.key");
    let out = ok(&[
        "--ledger",
        l,
        "migrate",
        "--out",
        p(&key),
        "--origin",
        "mindef.example/old",
    ]);
    assert!(out.contains("60 events"), "{out}");
    assert_eq!(mode(&key), 0o600);
    let backup = dir.path().join("old.ledger.v1");
    assert_eq!(std::fs::read(&backup).unwrap(), original);
    let head = json(&ok(&["--ledger", l, "head"]));
    assert_eq!(head["size"], 60);
    assert_eq!(head["origin"], "mindef.example/old");
    assert!(
        out.contains(head["root"].as_str().unwrap()),
        "the root is kept: {out}"
    );
    assert!(out.contains(head["key"].as_str().unwrap()), "{out}");
    assert!(ok(&["--ledger", l, "verify"]).starts_with("valid: 60 events"));
    // The key written is the ledger's log key: it opens the ledger for writing.
    ok(&[
        "--ledger",
        l,
        "--log-key",
        p(&key),
        "append",
        "-",
        "--allow-empty",
    ]);
    // Once is enough.
    fails(
        &[
            "--ledger",
            l,
            "migrate",
            "--out",
            p(&dir.path().join("again.key")),
        ],
        None,
        2,
        Some(9001),
    );
    assert!(!dir.path().join("again.key").exists());
}

#[test]
fn demo_with_plugins_and_verify_reruns_them() {
    let Some(plugins) = plugins_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rules.db");
    let l = p(&db);
    let pl = p(&plugins);
    let out = ok(&["--ledger", l, "--plugins", pl, "demo", "--events", "300"]);
    assert!(out.contains("rules put in force by event"), "{out}");
    // A seized rifle whose serial is missing is recorded (ITI), not refused.
    let recorded = out
        .lines()
        .find(|x| x.starts_with("a seized rifle without serial number:"))
        .unwrap();
    assert!(
        recorded.starts_with("a seized rifle without serial number: recorded"),
        "{recorded}"
    );
    assert!(
        out.lines()
            .any(|x| x.starts_with("the same rifle with its serial number: accepted")),
        "{out}"
    );
    // 300 synthetic events, the rules_in_force event and the two registrations (the seized
    // rifle without serial, the one with).
    let valid = ok(&["--ledger", l, "--plugins", pl, "verify"]);
    assert!(valid.starts_with("valid: 303 events"), "{valid}");
    // Without the plugins the verdicts cannot be re-checked: verification fails and says why.
    let e = fails(&["--ledger", l, "verify"], None, 1, Some(6003));
    assert!(e.contains("--plugins DIR"), "{e}");
    let summary = json(&ok(&["--ledger", l, "summary", "--format", "json"]));
    assert_eq!(
        summary["rules_in_force"].as_array().unwrap().len(),
        rule_crates()
    );
    let found = json(ok(&["--ledger", l, "find", "--serial", "56-1991-004471"]).trim());
    assert_eq!(found["id"], "item:demo-seized-2");
    assert_eq!(found["origin"], "seized");

    // The input document the rules were given for the two registrations, rebuilt: the
    // marking rule judges it again as it did when they were appended (the rifle without its
    // serial recorded with a warning, the other allowed).
    let exported = ok(&["--ledger", l, "export"]);
    let last_two: Vec<Value> = exported.lines().rev().take(2).map(json).collect();
    let marking = plugins.join("marking.wasm");
    for (event, warns) in last_two.iter().zip([false, true]) {
        let id = event["id"].as_str().unwrap();
        let doc = json(&ok(&["--ledger", l, "rules", "input", id]));
        assert_eq!(doc["event"], *event);
        assert_eq!(doc["items"].as_array().unwrap().len(), 1, "{doc}");
        let file = dir.path().join(format!("{id}.json"));
        std::fs::write(&file, doc.to_string()).unwrap();
        let verdict = json(&ok(&["rules", "test", p(&marking), p(&file)]));
        assert_eq!(verdict["verdict"], "allow", "{verdict}");
        assert_eq!(
            !verdict["warnings"].as_array().unwrap().is_empty(),
            warns,
            "{verdict}"
        );
    }
    let nowhere = "00".repeat(32);
    fails(
        &["--ledger", l, "rules", "input", &nowhere],
        None,
        1,
        Some(9005),
    );
}

#[test]
fn a_plugin_author_signs_and_appends_under_rules_in_force() {
    let Some(plugins) = plugins_dir() else {
        return;
    };
    let pl = p(&plugins);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("author.db");
    let l = p(&db);
    let log_key = dir.path().join("log.key");
    ok(&["--ledger", l, "init", "--generate-key", p(&log_key)]);
    let key = dir.path().join("admin.key");
    let public = ok(&["keygen", "--out", p(&key), "--actor", "agency:mod"]);
    let lk = ["--ledger", l, "--log-key", p(&log_key)];
    let sign = |events: &str, with_plugins: bool| -> String {
        let mut args = vec!["--ledger", l, "sign", "-", "--key", p(&key)];
        if with_plugins {
            args.extend(["--plugins", pl]);
        }
        ok_with(&args, Some(events.as_bytes()))
    };
    let append = |signed: &str| {
        let mut args = lk.to_vec();
        args.extend(["--plugins", pl, "append", "-"]);
        ok_with(&args, Some(signed.as_bytes()))
    };

    let genesis = json!({"kind": "register_actor", "at": "2026-01-01T00:00:00Z", "actor": "agency:mod",
        "subject": {"id": "agency:mod", "kind": "agency", "name": "Ministry", "roles": ["admin", "custodian"], "keys": [public.trim()]}});
    append(&sign(&format!("{genesis}\n"), false));
    // Put every plugin of the folder in force, named as `rules list` names them.
    let rules: Vec<Value> = ok(&["--plugins", pl, "rules", "list"])
        .lines()
        .map(json)
        .map(|r| json!({"name": r["name"], "version": r["version"], "sha256": r["identity"]}))
        .collect();
    assert_eq!(rules.len(), rule_crates());
    let in_force = json!({"kind": "rules_in_force", "at": "2026-01-02T00:00:00Z", "actor": "agency:mod", "rules": rules});
    append(&sign(&format!("{in_force}\n"), true));
    // Signing under rules in force, with `--plugins` given as a plugin author does.
    let site = json!({"kind": "register_site", "at": "2026-01-03T00:00:00Z", "actor": "agency:mod",
        "site": {"id": "depot:a", "name": "Depot A", "kind": "depot"}});
    let signed = sign(&format!("{site}\n"), true);
    assert!(append(&signed).contains("the ledger holds 3"));
    // A rifle on hand without serial number: signed (sign runs no rule), then refused on
    // append (a seized one would be recorded with a warning).
    let rifle = json!({"kind": "register_items", "at": "2026-01-04T00:00:00Z", "actor": "agency:mod",
        "site": "depot:a", "custodian": "agency:mod", "origin": {"kind": "stock_on_hand"},
        "items": [{"id": "item:x-1", "category": "firearm", "type": "pistol", "marking": {"manufacturer": "Acme"}}]});
    let signed = sign(&format!("{rifle}\n"), true);
    let head = ok(&["--ledger", l, "head"]);
    let mut args = lk.to_vec();
    args.extend(["--plugins", pl, "append", "-"]);
    let out = custodia(&args, Some(signed.as_bytes()));
    let e = check_failure(&out, &args, 1, Some(6001));
    assert!(e.contains("MARKING_INCOMPLETE"), "{e}");
    // Without the plugins the rules cannot judge it: refused too, saying why.
    let bare: Vec<&str> = lk.iter().copied().chain(["append", "-"]).collect();
    let out = custodia(&bare, Some(signed.as_bytes()));
    check_failure(&out, &args, 1, Some(6003));
    assert_eq!(ok(&["--ledger", l, "head"]), head);
    assert!(ok(&["--ledger", l, "--plugins", pl, "verify"]).starts_with("valid: 3 events"));
}

/// Plugins are compiled once and kept in the folder `CUSTODIA_PLUGIN_CACHE` names, one entry per
/// module; later commands load them from there and list the same plugins. `off` keeps none, and
/// a folder that cannot be used refuses the plugins (6004).
#[test]
fn compiled_plugins_are_kept_in_the_cache_folder() {
    let Some(plugins) = plugins_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let args = ["--plugins", p(&plugins), "rules", "list"];
    let list = |setting: &str| custodia_env(&args, None, &[("CUSTODIA_PLUGIN_CACHE", setting)]);
    // Asked only after a command made the folder.
    let entries = || {
        std::fs::read_dir(&cache)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "cwasm")
            })
            .count()
    };

    let first = list(p(&cache));
    assert!(first.status.success(), "{first:?}");
    let listed = String::from_utf8(first.stdout).unwrap();
    let plugins_n = listed.lines().count();
    assert!(plugins_n > 0);
    assert_eq!(entries(), plugins_n);
    let second = list(p(&cache));
    assert!(second.status.success(), "{second:?}");
    assert_eq!(String::from_utf8(second.stdout).unwrap(), listed);
    assert_eq!(entries(), plugins_n);

    let off = list("off");
    assert!(off.status.success(), "{off:?}");
    assert_eq!(String::from_utf8(off.stdout).unwrap(), listed);

    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let refused = list(p(&file));
    let line = check_failure(&refused, &args, 2, Some(6004));
    assert!(line.contains("a-file"), "{line}");
}

/// ABI version 2 rules ask the ledger; their samples give its answers in a member `host`.
#[test]
fn rules_test_answers_version_2_questions_from_the_sample() {
    let Some(plugins) = plugins_dir() else {
        return;
    };
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/rules");
    for rule in ["stock_check_frequency", "serial_uniqueness"] {
        let manifest = plugins.join("v2").join(format!("{rule}.json"));
        let samples = rules.join(rule).join("tests");
        let all = ok(&["rules", "test", p(&manifest), p(&samples)]);
        let n = std::fs::read_dir(&samples).unwrap().count();
        assert!(
            all.ends_with(&format!("{n} samples: {n} passed, 0 failed\n")),
            "{all}"
        );
    }
    let samples = rules.join("stock_check_frequency/tests");
    let manifest = plugins.join("v2/stock_check_frequency.json");
    let overdue = samples.join("deny.STOCK_CHECK_OVERDUE.counted-121-days-before.json");
    let args = ["rules", "test", p(&manifest), p(&overdue)];
    let out = custodia(&args, None);
    check_failure(&out, &args, 1, None);
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["code"], "STOCK_CHECK_OVERDUE");
    assert!(
        verdict["message"].as_str().unwrap().contains("121 days"),
        "{verdict}"
    );
    // Without the answers the question fails the call: a plugin error.
    let bare = samples.join("error.no-host-answers.json");
    let e = fails(&["rules", "test", p(&manifest), p(&bare)], None, 2, None);
    assert!(e.contains("last_full_count"), "{e}");
    // Answers that are not answers: refused, naming the member.
    let dir = tempfile::tempdir().unwrap();
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&overdue).unwrap()).unwrap();
    doc["host"] = json!({"last_full_count": {"depot:central": {"days": "many"}}});
    let broken = dir.path().join("allow.broken.json");
    std::fs::write(&broken, doc.to_string()).unwrap();
    let e = fails(&["rules", "test", p(&manifest), p(&broken)], None, 2, None);
    assert!(e.contains("host.last_full_count.depot:central"), "{e}");
}

#[test]
fn rules_test_and_list() {
    let Some(plugins) = plugins_dir() else {
        return;
    };
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/rules/witnesses/tests");
    let wasm = plugins.join("witnesses.wasm");
    let allow_doc = samples.join("allow.two-agencies.json");
    let allow = ok(&["rules", "test", p(&wasm), p(&allow_doc)]);
    assert_eq!(json(&allow)["verdict"], "allow");
    let deny_doc = samples.join("WITNESSES_TOO_FEW.one-witness.json");
    let args = ["rules", "test", p(&wasm), p(&deny_doc)];
    let out = custodia(&args, None);
    let e = check_failure(&out, &args, 1, None);
    assert!(e.contains("WITNESSES_TOO_FEW"), "{e}");
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["verdict"], "deny");
    assert_eq!(verdict["code"], "WITNESSES_TOO_FEW");
    // A module that cannot be loaded, and one that is not there: plugin errors, exit 2.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"not wasm").unwrap();
    let e = fails(&["rules", "test", p(&bad), p(&allow_doc)], None, 2, None);
    assert!(e.contains("not a valid wasm module"), "{e}");
    let e = fails(
        &[
            "rules",
            "test",
            p(&dir.path().join("none.wasm")),
            p(&allow_doc),
        ],
        None,
        2,
        None,
    );
    assert!(e.contains("cannot read"), "{e}");
    // The manifest itself may be given too.
    let by_manifest = ok(&[
        "rules",
        "test",
        p(&plugins.join("witnesses.json")),
        p(&allow_doc),
    ]);
    assert_eq!(by_manifest, allow);

    let listed: Vec<Value> = ok(&["--plugins", p(&plugins), "rules", "list"])
        .lines()
        .map(json)
        .collect();
    assert_eq!(listed.len(), rule_crates());
    assert!(
        listed
            .iter()
            .all(|r| r["identity"].as_str().unwrap().len() == 64)
    );
    // A folder with a manifest that does not load: the error names that file.
    let copy = dir.path().join("plugins");
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(&plugins).unwrap() {
        let path = entry.unwrap().path();
        // Not the folder `v2` of ABI version 2 rules.
        if path.is_file() {
            std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(copy.join("broken.json"), "{\"name\": 1}").unwrap();
    let e = fails(
        &["--plugins", p(&copy), "rules", "list"],
        None,
        2,
        Some(6004),
    );
    assert!(e.contains("broken.json"), "{e}");
    fails(&["rules", "list"], None, 2, None);

    // A folder of samples: each verdict checked against its file name.
    let all = ok(&["rules", "test", p(&wasm), p(&samples)]);
    let n = std::fs::read_dir(&samples).unwrap().count();
    assert_eq!(all.lines().count(), n + 1, "{all}");
    assert!(
        all.lines().take(n).all(|l| l.starts_with("ok    ")),
        "{all}"
    );
    assert_eq!(
        all.lines().last().unwrap(),
        format!("{n} samples: {n} passed, 0 failed")
    );
    let mine = dir.path().join("samples");
    std::fs::create_dir(&mine).unwrap();
    std::fs::copy(&allow_doc, mine.join("allow.two-agencies.json")).unwrap();
    std::fs::copy(
        &allow_doc,
        mine.join("deny.WITNESSES_TOO_FEW.mislabelled.json"),
    )
    .unwrap();
    std::fs::copy(&deny_doc, mine.join("WITNESSES_TOO_FEW.one-witness.json")).unwrap();
    let args = ["rules", "test", p(&wasm), p(&mine)];
    let out = custodia(&args, None);
    check_failure(&out, &args, 1, None);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("FAIL  deny.WITNESSES_TOO_FEW.mislabelled.json: expected deny WITNESSES_TOO_FEW, got allow"),
        "{table}"
    );
    assert!(
        table.ends_with("3 samples: 2 passed, 1 failed\n"),
        "{table}"
    );
    // A sample the host would never give (not an object; a signer of no known kind): an error
    // row naming the JSON Pointer of the fault, and exit 1; given alone, a usage error.
    let odd = dir.path().join("odd");
    std::fs::create_dir(&odd).unwrap();
    std::fs::write(odd.join("allow.array.json"), "[1,2]").unwrap();
    let mut robot = json(&std::fs::read_to_string(&allow_doc).unwrap());
    robot["signers"][0]["kind"] = "robot".into();
    std::fs::write(odd.join("allow.robot.json"), robot.to_string()).unwrap();
    let odd_args = ["rules", "test", p(&wasm), p(&odd)];
    let out = custodia(&odd_args, None);
    check_failure(&out, &odd_args, 1, None);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains(
            "ERROR allow.array.json: not an input document (schemas/rule-input.schema.json) at ``:"
        ),
        "{table}"
    );
    assert!(
        table.contains("ERROR allow.robot.json: not an input document (schemas/rule-input.schema.json) at `/signers/0/kind`:"),
        "{table}"
    );
    assert!(
        table.ends_with("2 samples: 0 passed, 2 failed\n"),
        "{table}"
    );
    let e = fails(
        &["rules", "test", p(&wasm), p(&odd.join("allow.array.json"))],
        None,
        2,
        None,
    );
    assert!(e.contains("at ``"), "{e}");
    // A sample whose name says nothing, and a folder without samples: usage errors.
    std::fs::copy(&allow_doc, mine.join("two-agencies.json")).unwrap();
    fails(&["rules", "test", p(&wasm), p(&mine)], None, 2, None);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    fails(&["rules", "test", p(&wasm), p(&empty)], None, 2, None);
}

#[test]
fn overdue_lists_weapons_not_returned_by_the_end_of_their_issue() {
    use custodia::testkit::ops::{History, Op, Outcome, Step, Tweak};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issues.ledger");
    let ledger = custodia::Ledger::create(
        &db,
        custodia::Options::new().log_key(custodia::Signer::from_seed([7; 32])),
    )
    .unwrap();
    let mut history = History::on(ledger).unwrap();
    // Rifle r1 of unit A issued to witness 1 (a person) for two hours.
    let step = Step {
        op: Op::Issue {
            item: 0,
            person: 0,
            hours: 2,
        },
        tweak: Tweak::None,
    };
    let Some(Outcome::Accepted(issue)) = history.step(&step).unwrap() else {
        panic!("the issue was not accepted");
    };
    let due = match &issue.event().body {
        custodia::Body::WeaponIssue(i) => i.due.clone(),
        other => panic!("not an issue: {other:?}"),
    };
    drop(history);
    let l = p(&db);
    let rows: Vec<Value> = ok(&["--ledger", l, "overdue", "--at", "2100-01-01T00:00:00Z"])
        .lines()
        .map(json)
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["issue"], issue.id().to_hex());
    assert_eq!(rows[0]["person"], "person:w1");
    assert_eq!(rows[0]["items"], json!(["item:r1"]));
    assert_eq!(rows[0]["due"], due.to_string());
    // Not overdue at the end of the period itself.
    assert_eq!(ok(&["--ledger", l, "overdue", "--at", due.as_str()]), "");
    fails(
        &["--ledger", l, "overdue", "--at", "tomorrow"],
        None,
        2,
        None,
    );
}

/// The plugin author's kit, from outside the project: `rules new` writes a crate that builds
/// anywhere, its samples pass `rules test`, the same sources build to the same module in
/// another folder (`rules verify-build`), and a change to the sources does not; the project's
/// own rules rebuild to the bytes `scripts/build-plugins.sh` gave.
#[test]
fn a_rule_made_with_the_kit_builds_anywhere_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("ministry-rules");
    std::fs::create_dir(&first).unwrap();
    let made = json(&ok(&[
        "rules",
        "new",
        "destruction_methods",
        "--dir",
        p(&first),
        "--jurisdiction",
        "AR",
    ]));
    assert_eq!(made["crate"], "custodia-rule-destruction-methods");
    let crate_dir = first.join("destruction_methods");
    assert!(crate_dir.join("sdk/src/lib.rs").is_file());
    let built = json(&ok(&["rules", "build", p(&crate_dir)]));
    let module = PathBuf::from(built["module"].as_str().unwrap());
    let manifest = PathBuf::from(built["manifest"].as_str().unwrap());
    let sha = built["module_sha256"].as_str().unwrap().to_owned();
    assert_eq!(
        custodia_plugins::sha256_hex(&std::fs::read(&module).unwrap()),
        sha
    );
    let stated: Value = json(&std::fs::read_to_string(&manifest).unwrap());
    assert_eq!(stated["module_sha256"], sha.as_str());
    assert_eq!(stated["jurisdiction"], "AR");
    let table = ok(&["rules", "test", p(&module), p(&crate_dir.join("tests"))]);
    assert!(
        table.ends_with("3 samples: 3 passed, 0 failed\n"),
        "{table}"
    );
    // `cargo test` in the new crate runs the rule natively on its samples (the SDK's harness),
    // with Debian's Rust 1.63 when installed, offline.
    let debian = Path::new("/usr/bin/cargo").exists() && Path::new("/usr/bin/rustc").exists();
    let mut cargo = Command::new(if debian { "/usr/bin/cargo" } else { "cargo" });
    if debian {
        cargo
            .env("RUSTC", "/usr/bin/rustc")
            .env("RUSTDOC", "/usr/bin/rustdoc");
    }
    let tested = cargo
        .args(["test", "--offline"])
        .current_dir(&crate_dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&tested.stdout);
    assert!(
        tested.status.success() && report.contains("test result: ok. 4 passed"),
        "{report}{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    // The crate's configuration is checked when the plugin is loaded (`validate_config`): an
    // empty list of methods is a load error naming the field.
    let mut refused: Value = json(&std::fs::read_to_string(&manifest).unwrap());
    refused["config"]["methods_allowed"] = json!([]);
    let refused_dir = dir.path().join("refused");
    std::fs::create_dir(&refused_dir).unwrap();
    std::fs::copy(&module, refused_dir.join("destruction_methods.wasm")).unwrap();
    std::fs::write(
        refused_dir.join("destruction_methods.json"),
        refused.to_string(),
    )
    .unwrap();
    let e = fails(
        &["--plugins", p(&refused_dir), "rules", "list"],
        None,
        2,
        Some(6200),
    );
    assert!(e.contains("/methods_allowed"), "{e}");

    // The same sources elsewhere (another depth, no build cache): the same module.
    let second = dir.path().join("audit/a/b");
    std::fs::create_dir_all(&second).unwrap();
    let copy = second.join("destruction_methods");
    copy_sources(&crate_dir, &copy);
    let verdict = json(&ok(&["rules", "verify-build", p(&copy), p(&manifest)]));
    assert_eq!(verdict["reproduced"], true);
    assert_eq!(verdict["built_sha256"], sha.as_str());
    // Changed sources: another module, exit 1.
    let lib = copy.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, text.replace("not an allowed method", "not allowed")).unwrap();
    let args = ["rules", "verify-build", p(&copy), p(&manifest)];
    let out = custodia(&args, None);
    check_failure(&out, &args, 1, None);
    assert_eq!(
        json(&String::from_utf8(out.stdout).unwrap())["reproduced"],
        false
    );

    // Names and places that cannot be used.
    fails(
        &["rules", "new", "Bad-Name", "--dir", p(&first)],
        None,
        2,
        None,
    );
    fails(
        &["rules", "new", "destruction_methods", "--dir", p(&first)],
        None,
        2,
        None,
    );

    // The project's own rules, as the build script built them.
    if let Some(plugins) = plugins_dir() {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/rules/witnesses");
        let verdict = json(&ok(&[
            "rules",
            "verify-build",
            p(&rules),
            p(&plugins.join("witnesses.json")),
        ]));
        assert_eq!(verdict["reproduced"], true);
    }
}

fn copy_sources(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == "target" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_sources(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
