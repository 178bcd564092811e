//! `custodia report att` and `custodia report destruction`, and `custodia find` for a restored
//! serial, on real ledger files built from the committed vectors (`docs/vectors/`): the
//! version-2 history imports two assault rifles from Serbia and exports one to Peru; the
//! version-1 history destroys two rifles and 11 990 rounds at a range.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn custodia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(args)
        .env_remove("CUSTODIA_LOG_KEY")
        .env("CUSTODIA_PLUGINS_DIR", "/nonexistent/custodia-plugins")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = custodia(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The exit code and the one line on standard error, which ends with `[code]` when given.
fn fails(args: &[&str], exit: i32, code: Option<u32>) -> String {
    let out = custodia(args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    if let Some(code) = code {
        assert!(err.trim_end().ends_with(&format!("[{code}]")), "{err}");
    }
    err
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn vectors(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/vectors")
        .join(name)
}

/// A new ledger file holding the events of a vectors file, appended through the command.
fn ledger_of(dir: &Path, vectors_file: &str) -> PathBuf {
    ledger_of_but_last(dir, vectors_file, 0)
}

/// As `ledger_of`, without the file's last `n` events.
fn ledger_of_but_last(dir: &Path, vectors_file: &str, n: usize) -> PathBuf {
    let db = dir.join(format!("{vectors_file}-{n}.db"));
    let key = dir.join(format!("{vectors_file}-{n}.key"));
    ok(&["--ledger", p(&db), "init", "--generate-key", p(&key)]);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors(vectors_file)).unwrap()).unwrap();
    let events = file["events"].as_array().unwrap();
    let lines: String = events[..events.len() - n]
        .iter()
        .map(|e| format!("{}\n", e["jsonl"].as_str().unwrap()))
        .collect();
    let jsonl = dir.join(format!("{vectors_file}-{n}.jsonl"));
    std::fs::write(&jsonl, lines).unwrap();
    ok(&[
        "--ledger",
        p(&db),
        "--log-key",
        p(&key),
        "append",
        p(&jsonl),
    ]);
    db
}

#[test]
fn the_att_report_as_json_csv_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = ledger_of(dir.path(), "events-v2.json");
    let l = p(&db);
    let report: Value = serde_json::from_str(&ok(&[
        "--ledger", l, "report", "att", "--year", "2026", "--format", "json",
    ]))
    .unwrap();
    assert_eq!(
        report,
        json!({
            "year": 2026,
            "exports": [
                {"category": "assault_rifles", "partner_state": "PE", "quantity": 1, "types": ["assault rifle"]},
            ],
            "imports": [
                {"category": "assault_rifles", "partner_state": "RS", "quantity": 2, "types": ["assault rifle"]},
            ],
        })
    );
    let csv = ok(&[
        "--ledger", l, "report", "att", "--year", "2026", "--format", "csv",
    ]);
    assert_eq!(
        csv,
        "flow,year,category,partner_state,quantity,types\n\
         export,2026,assault_rifles,PE,1,assault rifle\n\
         import,2026,assault_rifles,RS,2,assault rifle\n"
    );
    let table = ok(&["--ledger", l, "report", "att", "--year", "2026"]);
    assert!(table.starts_with("flow"), "{table}");
    assert_eq!(table.lines().count(), 3, "{table}");
    // Another year: nothing, not an error.
    let csv = ok(&[
        "--ledger", l, "report", "att", "--year", "2025", "--format", "csv",
    ]);
    assert_eq!(csv.lines().count(), 1, "{csv}");
    // A year out of range is refused by the library (9001); a year that is not a number by
    // the command line (exit 2).
    fails(
        &["--ledger", l, "report", "att", "--year", "10"],
        2,
        Some(9001),
    );
    fails(
        &["--ledger", l, "report", "att", "--year", "MMXXVI"],
        2,
        None,
    );
}

#[test]
fn the_destruction_report_as_json_csv_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = ledger_of(dir.path(), "events.json");
    let l = p(&db);
    let args = |format: &'static str| {
        [
            "--ledger",
            l,
            "report",
            "destruction",
            "--from",
            "2026-02-01",
            "--to",
            "2026-02-28",
            "--format",
            format,
        ]
    };
    let report: Value = serde_json::from_str(&ok(&args("json"))).unwrap();
    let d = &report["destructions"];
    assert_eq!(d.as_array().unwrap().len(), 1, "{report}");
    assert_eq!(d[0]["site"], "range:la-cuchilla");
    assert_eq!(d[0]["method"], "cutting_and_melting");
    assert_eq!(d[0]["certificate"], "CERT-2026-0117");
    assert_eq!(d[0]["authorisation_reference"], "AG-2026-0117");
    assert_eq!(d[0]["authorised_by"], "agency:mod");
    assert_eq!(
        d[0]["witnesses"],
        json!([
            {"actor": "person:inspector-7", "agency": "agency:attorney-general"},
            {"actor": "person:officer-31", "agency": "agency:civil-police"},
        ])
    );
    assert_eq!(
        d[0]["items"],
        json!(["item:AK47-KZ-1987-00123", "item:AK47-KZ-1987-00124"])
    );
    assert_eq!(
        report["totals"],
        json!([{"month": "2026-02", "site": "range:la-cuchilla", "method": "cutting_and_melting",
                "destructions": 1, "items": 2, "lot_units": 11990}])
    );
    let csv = ok(&args("csv"));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[0].starts_with("record,period,site,method,certificate"),
        "{csv}"
    );
    assert!(
        rows[1].starts_with(
            "destruction,2026-02-25,range:la-cuchilla,cutting_and_melting,CERT-2026-0117,"
        ),
        "{csv}"
    );
    assert!(
        rows[1].ends_with(
            ",AG-2026-0117,agency:mod,person:inspector-7 (agency:attorney-general); person:officer-31 (agency:civil-police),item:AK47-KZ-1987-00123; item:AK47-KZ-1987-00124; lot:762x39-1987-044 x 11990,1,2,11990"
        ),
        "{csv}"
    );
    assert_eq!(
        rows[2],
        "total,2026-02,range:la-cuchilla,cutting_and_melting,,,,,,,,,1,2,11990"
    );
    let table = ok(&args("table"));
    assert!(table.contains("CERT-2026-0117"), "{table}");
    // Outside the period: nothing.
    let none: Value = serde_json::from_str(&ok(&[
        "--ledger",
        l,
        "report",
        "destruction",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(none["destructions"], json!([]));
    // A period that ends before it starts (9001), a date that is not a whole day (exit 2).
    fails(
        &[
            "--ledger",
            l,
            "report",
            "destruction",
            "--from",
            "2026-03-01",
            "--to",
            "2026-02-01",
        ],
        2,
        Some(9001),
    );
    fails(
        &[
            "--ledger",
            l,
            "report",
            "destruction",
            "--from",
            "2026-03",
            "--to",
            "2026-04-01",
        ],
        2,
        None,
    );
}

#[test]
fn find_answers_with_a_rifle_known_only_by_a_mark_applied_later() {
    // In the version-2 history the rifle kept for service got a state mark with its own
    // serial number: `find` answers by it (and by the serial it was registered with).
    let dir = tempfile::tempdir().unwrap();
    let db = ledger_of(dir.path(), "events-v2.json");
    let l = p(&db);
    for args in [
        vec!["--ledger", l, "find", "--serial", "co-ejc-2026-000123 "],
        vec![
            "--ledger",
            l,
            "find",
            "--serial",
            "CO-EJC-2026-000123",
            "--manufacturer",
            "EJÉRCITO DE COLOMBIA",
        ],
        vec!["--ledger", l, "find", "--serial", "KZ1987-00123"],
    ] {
        let out = ok(&args);
        assert_eq!(out.lines().count(), 1, "{out}");
        let item: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(item["id"], "item:AK47-KZ-1987-00123");
    }
    // The mark's manufacturer is not the rifle's maker.
    fails(
        &[
            "--ledger",
            l,
            "find",
            "--serial",
            "CO-EJC-2026-000123",
            "--manufacturer",
            "Izhmash",
        ],
        1,
        None,
    );
    fails(
        &["--ledger", l, "find", "--serial", "no-such-serial"],
        1,
        None,
    );
}

#[test]
fn open_tracing_requests_with_their_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    // The version-2 history has a tracing request from Colombia and ends with its answer.
    let answered = ledger_of(dir.path(), "events-v2.json");
    let out = ok(&[
        "--ledger",
        p(&answered),
        "report",
        "tracing",
        "--format",
        "json",
    ]);
    assert_eq!(out.trim_end(), "[]");
    // Without the answer, the request is open: due 2026-03-18.
    let open = ledger_of_but_last(dir.path(), "events-v2.json", 1);
    let l = p(&open);
    let rows: Value = serde_json::from_str(&ok(&[
        "--ledger",
        l,
        "report",
        "tracing",
        "--on",
        "2026-03-19",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["requesting_state"], "CO");
    assert_eq!(rows[0]["channel"], "interpol");
    assert_eq!(rows[0]["reference"], "INTERPOL-iARMS-2026-118734");
    assert_eq!(rows[0]["deadline"], "2026-03-18");
    assert_eq!(rows[0]["overdue"], true);
    assert_eq!(rows[0]["weapons"][0]["serial"], "56-1991-004471");
    let csv = ok(&[
        "--ledger",
        l,
        "report",
        "tracing",
        "--on",
        "2026-03-18",
        "--format",
        "csv",
    ]);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert_eq!(
        rows[0],
        "request,requesting_state,channel,reference,received_on,deadline,overdue,serials"
    );
    assert!(
        rows[1].ends_with(
            ",CO,interpol,INTERPOL-iARMS-2026-118734,2026-02-16,2026-03-18,no,56-1991-004471"
        ),
        "{csv}"
    );
    // Without `--on`, the JSON says nothing of being overdue.
    let rows: Value = serde_json::from_str(&ok(&[
        "--ledger", l, "report", "tracing", "--format", "json",
    ]))
    .unwrap();
    assert!(rows[0].get("overdue").is_none(), "{rows}");
    let table = ok(&["--ledger", l, "report", "tracing"]);
    assert!(table.contains("INTERPOL-iARMS-2026-118734"), "{table}");
}

#[test]
fn inspections_due_lists_lots_by_their_next_inspection() {
    let dir = tempfile::tempdir().unwrap();
    // The version-2 history's technical authority suspends lot 044 after a failed stability
    // test, then clears it with code C and its next inspection on 2026-08-01.
    let db = ledger_of(dir.path(), "events-v2.json");
    let l = p(&db);
    let rows = |at: &str| -> Vec<Value> {
        ok(&["--ledger", l, "inspections-due", "--at", at])
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    assert!(rows("2026-07-31T23:59:59Z").is_empty());
    let due = rows("2026-08-01T00:00:00Z");
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0]["lot"], "lot:762x39-1987-044");
    assert_eq!(due[0]["next_inspection"], "2026-08-01");
    assert_eq!(due[0]["overdue"], false);
    assert_eq!(due[0]["condition_code"], "C");
    assert_eq!(due[0]["condition"], "serviceable");
    assert_eq!(
        due[0]["last_inspection"].as_str().map(|d| d.len()),
        Some(10)
    );
    let later = rows("2026-08-02T00:00:00Z");
    assert_eq!(later[0]["overdue"], true);
    fails(&["--ledger", l, "inspections-due", "--at", "soon"], 2, None);
}

#[test]
fn neq_sums_milligrams_per_site_and_division() {
    let dir = tempfile::tempdir().unwrap();
    // The version-2 history ends with 100 m of detonating cord, 10 mg per millimetre (1.1D).
    let db = ledger_of(dir.path(), "events-v2.json");
    let rows: Vec<Value> = ok(&["--ledger", p(&db), "neq"])
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let cord = rows
        .iter()
        .find(|r| r["site"] == "depot:central" && r["hazard_division"] == "1.1")
        .unwrap();
    assert_eq!(cord["neq_mg"], json!(1_000_000));
    assert_eq!(cord["neq_mg_with_sub_sites"], json!(1_000_000));
    // Version-1-style grams read as grams × 1000: every row is a whole number of mg.
    assert!(rows.iter().all(|r| r["neq_mg"].as_i64().is_some()));
}
