//! The ledger file: reopening, atomic batches, a second writer, files that are not ledgers,
//! the format-1 migration, and tampering with the file's rows (opened with rusqlite behind
//! the ledger's back), each named by verification with its code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;
use custodia::{
    BalanceFilter, Error, ErrorCode, ErrorFamily, Ledger, Options, STORE_FORMAT_VERSION,
    SignedEvent, Signer,
};
use serde_json::{Value, json};

/// Synthetic events shared by the tests (deterministic).
fn events() -> &'static [SignedEvent] {
    static E: OnceLock<Vec<SignedEvent>> = OnceLock::new();
    E.get_or_init(|| custodia::testkit::events(11, 160).unwrap())
}

fn writable() -> Options {
    Options::new().log_key(log_key())
}

/// A new ledger file holding `events()[..n]`, appended in batches of `batch`.
fn ledger_file(dir: &tempfile::TempDir, n: usize, batch: usize) -> PathBuf {
    let path = dir.path().join("ledger.db");
    let mut ledger = Ledger::create(&path, writable()).unwrap();
    for chunk in events()[..n].chunks(batch) {
        ledger.append(chunk).unwrap();
    }
    path
}

fn sql(path: &Path, statement: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(statement).unwrap();
}

fn query<T: rusqlite::types::FromSql>(path: &Path, statement: &str) -> T {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(statement, [], |r| r.get(0)).unwrap()
}

/// A failed open or call: its code and values.
#[track_caller]
fn check(err: &Error, code: ErrorCode, values: Value) {
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(Value::Object(err.values()), values, "{err}");
}

/// A bad signature: the event's id and content are intact, its signature is not.
fn badly_signed(e: &SignedEvent) -> SignedEvent {
    edited(e, |v| {
        v["signatures"][0]["sig"] = Value::String("11".repeat(64))
    })
}

#[test]
fn a_reopened_ledger_has_the_same_state_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_file(&dir, 120, 30);
    let ledger = Ledger::open(&path, writable()).unwrap();
    let v = ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    assert_eq!(v.events, 120);
    // One head per batch, and the empty tree's.
    assert_eq!(v.tree_heads, 5);
    let head = ledger.tree_head().unwrap();
    let balances = ledger.balances(&BalanceFilter::default()).unwrap();
    drop(ledger);

    let reopened = Ledger::open(&path, Options::new()).unwrap();
    assert!(!reopened.is_writable());
    let again = reopened.verify().unwrap();
    assert_eq!(again.state_digest, v.state_digest);
    assert_eq!(reopened.tree_head().unwrap(), head);
    assert_eq!(
        reopened.balances(&BalanceFilter::default()).unwrap(),
        balances
    );
    // The same events in memory, in one batch: the same state and root.
    let mut memory = Ledger::in_memory(writable()).unwrap();
    memory.append(&events()[..120]).unwrap();
    assert_eq!(memory.verify().unwrap().state_digest, v.state_digest);
    assert_eq!(memory.tree_head().unwrap().root, head.root);
    // Proofs from the file verify against its head.
    for (i, size) in [(0u64, 1u64), (5, 120), (119, 120), (60, 90)] {
        let p = reopened
            .inclusion_proof(&events()[i as usize].id(), Some(size))
            .unwrap();
        assert!(p.verify(), "inclusion of {i} in {size}");
        assert_eq!(p.leaf_index, i);
    }
    let c = reopened.consistency_proof(30, None).unwrap();
    assert!(c.verify());
    assert_eq!(c.second_root, head.root);
    // Appending after a reopen continues the same log.
    let mut writer = Ledger::open(&path, writable()).unwrap();
    writer.append(&events()[120..140]).unwrap();
    let v = writer.verify().unwrap();
    assert!(v.ok);
    assert_eq!(v.events, 140);
}

#[test]
fn a_refused_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_file(&dir, 40, 40);
    let mut ledger = Ledger::open(&path, writable()).unwrap();
    let head = ledger.tree_head().unwrap();
    let digest = ledger.verify().unwrap().state_digest;
    let unchanged = |ledger: &Ledger| {
        assert_eq!(ledger.len().unwrap(), 40);
        assert_eq!(ledger.tree_head().unwrap(), head);
        let v = ledger.verify().unwrap();
        assert!(v.ok, "{:?}", v.failure);
        assert_eq!(v.state_digest, digest);
        assert_eq!(v.tree_heads, 2);
    };
    // Event 50 (index 10 of the batch) is badly signed: nothing of the batch is written.
    let mut bad = events()[40..60].to_vec();
    bad[10] = badly_signed(&bad[10]);
    let err = ledger.append(&bad).unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadSignature, "{err}");
    assert_eq!(err.index(), Some(10));
    assert_eq!(err.event(), Some(bad[10].id()));
    assert_eq!(err.field(), Some("/signatures/0"));
    unchanged(&ledger);
    // A batch that repeats a stored event.
    let err = ledger.append(&events()[39..41]).unwrap_err();
    check(
        &err,
        ErrorCode::DuplicateEvent,
        json!({"event": events()[39].id().to_hex()}),
    );
    assert_eq!(err.index(), Some(0));
    // The stored event later in a batch (the batch's ids are looked up in one query).
    let err = ledger
        .append(&[
            events()[40].clone(),
            events()[41].clone(),
            events()[38].clone(),
        ])
        .unwrap_err();
    check(
        &err,
        ErrorCode::DuplicateEvent,
        json!({"event": events()[38].id().to_hex()}),
    );
    assert_eq!(err.index(), Some(2));
    unchanged(&ledger);
    // JSON lines with a line that does not decode at index 7.
    let mut text = String::new();
    for (i, e) in events()[40..60].iter().enumerate() {
        if i == 7 {
            text.push_str("{\"v\":1}\n\n");
        } else {
            text.push_str(e.to_json());
            text.push('\n');
        }
    }
    let err = ledger.append_json_lines(text.as_bytes()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SchemaViolation, "{err}");
    assert_eq!(err.index(), Some(7));
    unchanged(&ledger);
    // A batch with an event before its parent: refused where the child now stands.
    let e = events();
    let j = (40..59)
        .find(|&j| e[j + 1].event().parents.contains(&e[j].id()))
        .unwrap();
    let mut shuffled = e[40..60].to_vec();
    shuffled.swap(j - 40, j - 40 + 1);
    let err = ledger.append(&shuffled).unwrap_err();
    assert_eq!(err.index(), Some((j - 40) as u64), "{err}");
    assert_eq!(err.event(), Some(e[j + 1].id()), "{err}");
    unchanged(&ledger);
    drop(ledger);
    // Nothing reached the file either.
    let reopened = Ledger::open(&path, writable()).unwrap();
    unchanged(&reopened);
    let mut ledger = reopened;
    ledger.append(&events()[40..60]).unwrap();
    assert_eq!(ledger.verify().unwrap().events, 60);
}

#[test]
fn a_second_writer_waits_and_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_file(&dir, 20, 20);
    let mut a = Ledger::open(&path, writable()).unwrap();
    let mut b = Ledger::open(&path, writable()).unwrap();
    a.append(&events()[20..50]).unwrap();
    // `b` read the file at 20 events; it replays 20..50 under the write lock, then appends.
    let report = b.append(&events()[50..80]).unwrap();
    assert_eq!(report.ledger_len, 80);
    assert_eq!(report.events[0].index, 50);
    assert_eq!(a.len().unwrap(), 80);
    assert_eq!(
        a.verify().unwrap().state_digest,
        b.verify().unwrap().state_digest
    );
    // `a` is behind now; its next append catches up as well.
    a.append(&events()[80..90]).unwrap();
    let v = b.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    assert_eq!(v.events, 90);

    // Another process holds the write lock for a second: the append waits, then succeeds.
    let holder = {
        let path = path.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(1));
            conn.execute_batch("COMMIT").unwrap();
        });
        rx.recv().unwrap();
        t
    };
    let start = Instant::now();
    a.append(&events()[90..100]).unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    holder.join().unwrap();
    assert_eq!(b.len().unwrap(), 100);
}

#[test]
fn a_writer_gives_up_with_busy_after_the_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_file(&dir, 20, 20);
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut ledger = Ledger::open(&path, writable()).unwrap();
    // Reading is not writing: queries and verification work meanwhile.
    assert_eq!(ledger.len().unwrap(), 20);
    assert!(ledger.verify().unwrap().ok);
    let start = Instant::now();
    let err = ledger.append(&events()[20..30]).unwrap_err();
    let waited = start.elapsed();
    check(
        &err,
        ErrorCode::Busy,
        json!({"path": path.display().to_string()}),
    );
    // The documented busy timeout is 10 s.
    assert!(waited >= Duration::from_secs(9), "gave up after {waited:?}");
    assert!(waited < Duration::from_secs(60), "waited {waited:?}");
    assert_eq!(ledger.len().unwrap(), 20);
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    // Once the lock is gone, the same ledger appends.
    ledger.append(&events()[20..30]).unwrap();
    let v = ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    assert_eq!(v.events, 30);
}

#[test]
fn files_that_are_not_ledgers_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let shown = |p: &Path| p.display().to_string();
    let missing = dir.path().join("missing.db");
    let err = Ledger::open(&missing, Options::new()).unwrap_err();
    check(
        &err,
        ErrorCode::FileNotFound,
        json!({"path": shown(&missing)}),
    );
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "not a database, only some text that is long enough to look at",
    )
    .unwrap();
    let err = Ledger::open(&text, Options::new()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotALedger, "{err}");
    assert_eq!(err.values()["path"], shown(&text));
    let other = dir.path().join("other.db");
    sql(&other, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    let err = Ledger::open(&other, writable()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotALedger, "{err}");
    assert_eq!(err.values()["path"], shown(&other));
    let err = Ledger::open(dir.path(), Options::new()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotALedger, "{err}");
    let path = ledger_file(&dir, 5, 5);
    let err = Ledger::create(&path, writable()).unwrap_err();
    check(&err, ErrorCode::FileExists, json!({"path": shown(&path)}));
    sql(&path, "PRAGMA user_version = 99;");
    let err = Ledger::open(&path, writable()).unwrap_err();
    check(
        &err,
        ErrorCode::FormatVersion,
        json!({"path": shown(&path), "found": 99, "supported": STORE_FORMAT_VERSION}),
    );
    // A ledger opened read-only refuses to write.
    sql(
        &path,
        &format!("PRAGMA user_version = {STORE_FORMAT_VERSION};"),
    );
    let mut ro = Ledger::open(&path, writable().read_only(true)).unwrap();
    let err = ro.append(&events()[5..6]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReadOnly, "{err}");
    assert_eq!(ro.len().unwrap(), 5);
}

#[test]
fn a_format_1_file_is_refused_then_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.ledger");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/format-v1.ledger"),
        &path,
    )
    .unwrap();
    let shown = path.display().to_string();
    let err = Ledger::open(&path, Options::new()).unwrap_err();
    check(
        &err,
        ErrorCode::FormatVersion,
        json!({"path": shown, "found": 1, "supported": STORE_FORMAT_VERSION}),
    );
    let m = Ledger::migrate(&path, Some("test.example/custodia/old"), None).unwrap();
    assert_eq!(m.events, 60);
    assert!(m.backup.exists());
    // The kept file is the format-1 file, still refused as such.
    let err = Ledger::open(&m.backup, Options::new()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FormatVersion);
    let ledger = Ledger::open(
        &path,
        Options::new().log_key(Signer::from_seed(m.log_key.seed())),
    )
    .unwrap();
    assert!(ledger.is_writable());
    assert_eq!(ledger.len().unwrap(), 60);
    assert_eq!(ledger.origin(), "test.example/custodia/old");
    assert_eq!(ledger.log_key(), m.log_key.public_key());
    let v = ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    assert_eq!(v.events, 60);
    assert_eq!(ledger.tree_head().unwrap().root, m.root);
    // Migrating a current file is refused, and changes nothing.
    let err = Ledger::migrate(&path, None, None).unwrap_err();
    check(
        &err,
        ErrorCode::InvalidArgument,
        json!({"argument": "ledger", "value": shown, "reason": format!("it is of format version {STORE_FORMAT_VERSION}, which this build opens as it is: nothing to migrate")}),
    );
    assert_eq!(
        Ledger::open(&path, Options::new()).unwrap().len().unwrap(),
        60
    );
}

// ---- tampering with the file ------------------------------------------------------------------

/// A ledger file of 120 events in batches of 30 (heads at 0, 30, 60, 90, 120), tampered with by
/// `statement`; returns the failure verification names.
fn tampered(statement: &str) -> (Error, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_file(&dir, 120, 30);
    sql(&path, statement);
    let ledger = Ledger::open(&path, Options::new()).unwrap();
    let v = ledger.verify().unwrap();
    assert!(!v.ok, "`{statement}` went unnoticed");
    (v.failure.unwrap(), path, dir)
}

#[track_caller]
fn drift(err: &Error, table: &str, row: &str) {
    assert_eq!(err.code(), ErrorCode::Drift, "{err}");
    let values = err.values();
    assert_eq!(values["table"], table, "{err}");
    assert_eq!(values["row"], row, "{err}");
    assert_ne!(values["stored"], values["expected"], "{err}");
}

#[test]
fn edited_event_bytes_are_named_at_their_index() {
    // A changed quantity: the bytes no longer hash to the stored id.
    let k = (40..120)
        .find(|&k| events()[k].to_json().contains("\"quantity\":"))
        .unwrap();
    let (f, ..) = tampered(&format!(
        "UPDATE events SET json = CAST(replace(CAST(json AS TEXT), '\"quantity\":', '\"quantity\":1') AS BLOB) WHERE seq = {k};",
    ));
    assert_eq!(f.code(), ErrorCode::IdMismatch, "{f}");
    assert_eq!(f.index(), Some(k as u64));
    assert_eq!(f.field(), Some("/id"));
    assert_eq!(f.values()["claimed"], events()[k].id().to_hex());
    // The same event, spaced: not its canonical bytes.
    let (f, ..) = tampered(
        "UPDATE events SET json = CAST(replace(CAST(json AS TEXT), '{\"', '{ \"') AS BLOB) WHERE seq = 41;",
    );
    assert_eq!(f.code(), ErrorCode::NotCanonicalBytes, "{f}");
    assert_eq!(f.index(), Some(41));
    assert_eq!(f.event(), Some(events()[41].id()));
    // The id column of a row.
    let (f, ..) = tampered("UPDATE events SET id = zeroblob(32) WHERE seq = 3;");
    check(
        &f,
        ErrorCode::IdColumn,
        json!({"stored": "00".repeat(32), "computed": events()[3].id().to_hex()}),
    );
    assert_eq!(f.index(), Some(3));
    // A derived column of the events table.
    let (f, ..) = tampered(
        "UPDATE events SET kind = CASE kind WHEN 'register_lot' THEN 'status_change' ELSE 'register_lot' END
         WHERE seq = 40;",
    );
    drift(&f, "events", "40");
    assert_eq!(f.index(), Some(40));
    assert_eq!(f.event(), Some(events()[40].id()));
}

#[test]
fn deleted_rows_are_named() {
    let (f, ..) = tampered("DELETE FROM events WHERE seq = 57;");
    check(
        &f,
        ErrorCode::EventMissing,
        json!({"expected": 57, "found": 58}),
    );
    // Deleting the last rows leaves heads that cover more than is stored.
    let (f, ..) = tampered("DELETE FROM events WHERE seq >= 110;");
    check(
        &f,
        ErrorCode::HeadBeyondLog,
        json!({"size": 120, "events": 110}),
    );
    // And a head added beyond the log.
    let (f, ..) = tampered(
        "INSERT INTO tree_heads (size, root, sig) SELECT 500, root, sig FROM tree_heads WHERE size = 120;",
    );
    check(
        &f,
        ErrorCode::HeadBeyondLog,
        json!({"size": 500, "events": 120}),
    );
}

#[test]
fn swapped_rows_are_named() {
    let swap = |k: usize| {
        format!(
            "UPDATE events SET seq = -1 WHERE seq = {k};
             UPDATE events SET seq = {k} WHERE seq = {k1};
             UPDATE events SET seq = {k1} WHERE seq = -1;",
            k1 = k + 1
        )
    };
    let e = events();
    // An event swapped with its parent fails where it now stands, by the ledger's rules.
    let k = (30..119)
        .find(|&k| e[k + 1].event().parents.contains(&e[k].id()))
        .unwrap();
    let (f, ..) = tampered(&swap(k));
    assert_eq!(f.index(), Some(k as u64), "{f}");
    assert_eq!(f.event(), Some(e[k + 1].id()), "{f}");
    assert!(
        matches!(f.family(), ErrorFamily::Validation | ErrorFamily::Custody),
        "{f}"
    );
    // Two independent registrations commute as far as the rules go: the Merkle leaves don't.
    let k = (30..119)
        .find(|&k| e[k].kind() == "register_lot" && e[k + 1].kind() == "register_lot")
        .unwrap();
    let (f, ..) = tampered(&swap(k));
    assert_eq!(f.code(), ErrorCode::NodeMismatch, "{f}");
    assert_eq!(f.values()["level"], 0);
    assert_eq!(f.values()["node"], k);
}

#[test]
fn edited_derived_rows_are_named_with_their_table() {
    // A balance.
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_file(&dir, 120, 30);
    let (stock, account, units): (String, String, i64) = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row(
            "SELECT stock, account, units FROM balances WHERE site = 'depot:01' AND kind = 'lot' ORDER BY stock LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    drop(dir);
    let (f, ..) = tampered(&format!(
        "UPDATE balances SET units = units + 1 WHERE kind = 'lot' AND stock = '{stock}' AND account = '{account}';"
    ));
    drift(&f, "balances", &format!("lot {stock} {account}"));
    let values = f.values();
    assert!(
        values["stored"]
            .as_str()
            .unwrap()
            .ends_with(&format!(" {}", units + 1)),
        "{f}"
    );
    assert!(
        values["expected"]
            .as_str()
            .unwrap()
            .ends_with(&format!(" {units}")),
        "{f}"
    );
    // A balance row removed, and one added.
    let (f, ..) = tampered(&format!(
        "DELETE FROM balances WHERE kind = 'lot' AND stock = '{stock}' AND account = '{account}';"
    ));
    drift(&f, "balances", &format!("lot {stock} {account}"));
    let (f, ..) = tampered(&format!(
        "INSERT INTO balances VALUES ('lot', '{stock}', 'sink:lost', NULL, NULL, 1);"
    ));
    drift(&f, "balances", &format!("lot {stock} sink:lost"));
    // Items, lots, sites, actors.
    let (f, ..) = tampered(
        "UPDATE items SET disposition = 'surplus' WHERE id = (SELECT min(id) FROM items);",
    );
    let item: String = query(&tampered_path(), "SELECT min(id) FROM items");
    drift(&f, "items", &item);
    let (f, ..) =
        tampered("UPDATE lots SET quantity = quantity + 1 WHERE id = (SELECT min(id) FROM lots);");
    let lot_id: String = query(&tampered_path(), "SELECT min(id) FROM lots");
    drift(&f, "lots", &lot_id);
    let (f, ..) = tampered("UPDATE sites SET name = 'elsewhere' WHERE id = 'depot:02';");
    drift(&f, "sites", "depot:02");
    let (f, ..) = tampered("UPDATE actors SET roles = 'admin' WHERE id = 'unit:log-bn-1';");
    drift(&f, "actors", "unit:log-bn-1");
    let sources: i64 = query(&tampered_path(), "SELECT count(*) FROM lot_sources");
    assert!(sources > 0, "the history has no split or merge");
    let (f, ..) = tampered(
        "UPDATE lot_sources SET units = units + 1 WHERE (lot, source) IN (SELECT lot, source FROM lot_sources LIMIT 1);",
    );
    assert_eq!(f.code(), ErrorCode::Drift, "{f}");
    assert_eq!(f.values()["table"], "lot_sources");
}

/// A fresh copy of the ledger file the tampering tests start from (for reading ids).
fn tampered_path() -> PathBuf {
    static P: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, p) = P.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = ledger_file(&dir, 120, 30);
        (dir, p)
    });
    p.clone()
}

#[test]
fn an_edited_trace_index_is_named() {
    // One trace row pointed at another stock: the row count is unchanged, only the content
    // check sees that `trace` would now hide an event from one stock's history.
    // The first event from 40 on that touches a lot (the synthetic stream decides which).
    let (f, ..) = tampered(
        "CREATE TEMP TABLE pick AS SELECT min(seq) AS seq FROM touches WHERE kind = 'lot' AND seq >= 40;
         UPDATE touches SET stock = (SELECT min(stock) FROM touches WHERE kind = 'lot'
                                     AND stock NOT IN (SELECT stock FROM touches WHERE seq = (SELECT seq FROM pick)))
         WHERE (kind, stock, seq) IN (SELECT kind, stock, seq FROM touches
                                      WHERE seq = (SELECT seq FROM pick) AND kind = 'lot' LIMIT 1);",
    );
    assert_eq!(f.code(), ErrorCode::Drift, "{f}");
    assert_eq!(f.values()["table"], "touches");
    assert_ne!(f.values()["stored"], f.values()["expected"]);
    let (f, ..) = tampered("DELETE FROM touches WHERE seq = (SELECT max(seq) FROM touches);");
    assert_eq!(f.values()["table"], "touches", "{f}");
}

/// The Merkle nodes of the log of `events`, in the order `Frontier::push` completes them
/// (post-order): `(level, index, hash)`.
fn nodes_in_post_order(events: &[SignedEvent]) -> Vec<(u32, u64, [u8; 32])> {
    let mut frontier = custodia::merkle::Frontier::new();
    events
        .iter()
        .flat_map(|e| frontier.push(custodia::merkle::leaf_hash(&e.id())))
        .collect()
}

/// The position of node `idx` of `level` in the `nodes` table of `events()[..n]`.
fn node_position(n: usize, level: u32, idx: u64) -> i64 {
    let nodes = nodes_in_post_order(&events()[..n]);
    nodes
        .iter()
        .position(|&(l, i, _)| (l, i) == (level, idx))
        .unwrap() as i64
}

#[test]
fn edited_nodes_and_heads_are_named() {
    let pos = node_position(120, 2, 3);
    let (f, ..) = tampered(&format!(
        "UPDATE nodes SET hash = zeroblob(32) WHERE pos = {pos};"
    ));
    assert_eq!(f.code(), ErrorCode::NodeMismatch, "{f}");
    assert_eq!(f.values()["level"], 2);
    assert_eq!(f.values()["node"], 3);
    assert_eq!(f.values()["stored"], "00".repeat(32));
    let pos = node_position(120, 0, 9);
    let (f, ..) = tampered(&format!("DELETE FROM nodes WHERE pos = {pos};"));
    assert_eq!(f.code(), ErrorCode::NodeMismatch, "{f}");
    assert_eq!(f.values()["level"], 0);
    assert_eq!(f.values()["node"], 9);
    assert_eq!(f.values()["stored"], Value::Null);
    let (f, ..) = tampered("INSERT INTO nodes VALUES (999999, zeroblob(32));");
    check(
        &f,
        ErrorCode::ExtraNodes,
        json!({"events": 120, "stored": 2 * 120 - 4 + 1, "expected": 2 * 120 - 4}),
    );
    let (f, ..) = tampered("UPDATE tree_heads SET root = zeroblob(32) WHERE size = 60;");
    assert_eq!(f.code(), ErrorCode::RootMismatch, "{f}");
    assert_eq!(f.values()["size"], 60);
    assert_eq!(f.values()["stored"], "00".repeat(32));
    let (f, ..) = tampered("UPDATE tree_heads SET sig = zeroblob(64) WHERE size = 90;");
    check(
        &f,
        ErrorCode::HeadSignature,
        json!({"size": 90, "key": log_key().public_key().to_hex()}),
    );
    // A head signed by another key.
    let (f, ..) = tampered(&format!(
        "UPDATE meta SET value = '{}' WHERE key = 'log_key';",
        key_named("someone").public_key().to_hex()
    ));
    check(
        &f,
        ErrorCode::HeadSignature,
        json!({"size": 0, "key": key_named("someone").public_key().to_hex()}),
    );
}

/// The `nodes` table as stored: `(pos, hash)` in key order.
fn stored_post_order(path: &Path) -> Vec<(i64, Vec<u8>)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT pos, hash FROM nodes ORDER BY pos")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn merkle_nodes_are_stored_in_post_order() {
    // Batches of several sizes and single appends: each append's nodes follow the last
    // stored one, so the table's keys are 0, 1, 2, … in the order the tree completes nodes.
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_file(&dir, 97, 32);
    let mut ledger = Ledger::open(&path, writable()).unwrap();
    for e in &events()[97..103] {
        ledger.append(std::slice::from_ref(e)).unwrap();
    }
    ledger.append(&events()[103..130]).unwrap();
    drop(ledger);
    let expected: Vec<(i64, Vec<u8>)> = nodes_in_post_order(&events()[..130])
        .into_iter()
        .enumerate()
        .map(|(pos, (.., hash))| (pos as i64, hash.to_vec()))
        .collect();
    assert_eq!(expected.len(), 2 * 130 - 2);
    assert_eq!(stored_post_order(&path), expected);
    assert_eq!(
        query::<i64>(&path, "PRAGMA user_version"),
        STORE_FORMAT_VERSION
    );
}

/// Rewrites a format-3 file's `nodes` table as format 2 kept it, keyed by `(level, idx)`, and
/// marks the file as format 2: what an older build wrote.
fn as_format_2(path: &Path, n: usize) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let stored = stored_post_order(path);
    let nodes = nodes_in_post_order(&events()[..n]);
    assert_eq!(stored.len(), nodes.len());
    let tx = conn.transaction().unwrap();
    tx.execute_batch(
        "CREATE TABLE nodes_by_level (level INTEGER NOT NULL, idx INTEGER NOT NULL,
             hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;",
    )
    .unwrap();
    for ((pos, hash), (level, idx, _)) in stored.iter().zip(&nodes) {
        tx.execute(
            "INSERT INTO nodes_by_level VALUES (?1, ?2, ?3)",
            rusqlite::params![level, *idx as i64, hash],
        )
        .unwrap_or_else(|e| panic!("node at {pos}: {e}"));
    }
    tx.execute_batch(
        "DROP TABLE nodes;
         ALTER TABLE nodes_by_level RENAME TO nodes;
         UPDATE meta SET value = 2 WHERE key = 'version';
         PRAGMA user_version = 2;",
    )
    .unwrap();
    tx.commit().unwrap();
}

#[test]
fn a_format_2_file_is_read_verified_and_appended_to_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_file(&dir, 60, 20);
    as_format_2(&path, 60);
    let ledger = Ledger::open(&path, writable().read_only(true)).unwrap();
    let v = ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    drop(ledger);

    let mut ledger = Ledger::open(&path, writable()).unwrap();
    ledger.append(&events()[60..61]).unwrap();
    ledger.append(&events()[61..90]).unwrap();
    let v = ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    assert_eq!(v.events, 90);
    // The root of the same events, computed apart, and proofs from the stored nodes.
    let mut frontier = custodia::merkle::Frontier::new();
    for e in &events()[..90] {
        frontier.push(custodia::merkle::leaf_hash(&e.id()));
    }
    assert_eq!(
        ledger.tree_head().unwrap().root.as_bytes(),
        &frontier.root()
    );
    let proof = ledger.inclusion_proof(&events()[37].id(), None).unwrap();
    assert!(proof.verify());
    assert!(ledger.consistency_proof(61, None).unwrap().verify());
    drop(ledger);
    // Still format 2, the new nodes keyed by level and index like the old ones.
    assert_eq!(query::<i64>(&path, "PRAGMA user_version"), 2);
    assert_eq!(
        query::<i64>(&path, "SELECT count(*) FROM nodes WHERE level = 0"),
        90
    );
    assert_eq!(
        query::<i64>(&path, "SELECT count(*) FROM nodes"),
        2 * 90 - 4
    );
    // An edited node is named as in format 3.
    sql(
        &path,
        "UPDATE nodes SET hash = zeroblob(32) WHERE level = 3 AND idx = 8;",
    );
    let f = Ledger::open(&path, writable().read_only(true))
        .unwrap()
        .verify()
        .unwrap()
        .failure
        .unwrap();
    assert_eq!(f.code(), ErrorCode::NodeMismatch, "{f}");
    assert_eq!(f.values()["level"], 3);
    assert_eq!(f.values()["node"], 8);
    // `migrate` has nothing to do with it.
    let err = Ledger::migrate(&path, None, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
    assert_eq!(err.values()["argument"], "ledger");
}

#[test]
fn derived_rows_are_written_only_where_they_change_and_match_the_events() {
    // Appended one event at a time (each a batch: the most rows rewritten), and in batches of
    // 7: every derived row the verifier re-derives from the events is there, as it is.
    for batch in [1, 7] {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_file(&dir, 100, batch);
        // A counter of every row written or deleted in the tables an append rewrites, kept by
        // triggers in the file (not part of the ledger's schema; removed before verifying).
        let tables = [
            "balances",
            "items",
            "item_marks",
            "lots",
            "lot_sources",
            "sites",
            "actors",
        ];
        let mut setup = String::from("CREATE TABLE writes (t TEXT, n INTEGER);");
        for t in tables {
            setup.push_str(&format!(
                "INSERT INTO writes VALUES ('{t}', 0);
                 CREATE TRIGGER {t}_i AFTER INSERT ON {t} BEGIN UPDATE writes SET n = n + 1 WHERE t = '{t}'; END;
                 CREATE TRIGGER {t}_d AFTER DELETE ON {t} BEGIN UPDATE writes SET n = n + 1 WHERE t = '{t}'; END;
                 CREATE TRIGGER {t}_u AFTER UPDATE ON {t} BEGIN UPDATE writes SET n = n + 1 WHERE t = '{t}'; END;"
            ));
        }
        sql(&path, &setup);
        let marks_before: i64 = query(&path, "SELECT count(*) FROM item_marks");
        let sources_before: i64 = query(&path, "SELECT count(*) FROM lot_sources");
        let mut ledger = Ledger::open(&path, writable()).unwrap();
        for chunk in events()[100..160].chunks(batch) {
            ledger.append(chunk).unwrap();
        }
        drop(ledger);
        let marks_after: i64 = query(&path, "SELECT count(*) FROM item_marks");
        let mark_writes: i64 = query(&path, "SELECT n FROM writes WHERE t = 'item_marks'");
        let sources_after: i64 = query(&path, "SELECT count(*) FROM lot_sources");
        let source_writes: i64 = query(&path, "SELECT n FROM writes WHERE t = 'lot_sources'");
        let balance_writes: i64 = query(&path, "SELECT n FROM writes WHERE t = 'balances'");
        // Items issued, returned or counted keep their marks: only marks of new items are
        // written (the rows before were rewritten for every item touched).
        assert_eq!(mark_writes, marks_after - marks_before, "batch {batch}");
        // Lots drawn on keep their sources: only sources of new lots are written.
        assert_eq!(
            source_writes,
            sources_after - sources_before,
            "batch {batch}"
        );
        assert!(balance_writes > 0, "batch {batch}");
        let mut drop_all = String::from("DROP TABLE writes;");
        for t in tables {
            drop_all.push_str(&format!(
                "DROP TRIGGER {t}_i; DROP TRIGGER {t}_d; DROP TRIGGER {t}_u;"
            ));
        }
        sql(&path, &drop_all);
        let ledger = Ledger::open(&path, Options::new()).unwrap();
        let v = ledger.verify().unwrap();
        assert!(v.ok, "batch {batch}: {:?}", v.failure);
        assert_eq!(v.events, 160);
    }
}

/// A batch writes the rows of what it registers without reading the file first (there are
/// none), except for an id that existed when the batch began: here a correction reverses a
/// registration and the same batch registers the id again elsewhere, so the rows of the first
/// registration (its balance at depot A) must go. The verifier re-derives every row.
#[test]
fn an_id_registered_again_in_the_batch_that_reversed_it_leaves_no_old_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("again.db");
    // Two worlds with the same keys and clock: the file, and a twin in memory that prepares
    // the batch (its second event's parents depend on the first).
    let mut file = World::with_ledger(Ledger::create(&path, writable()).unwrap());
    file.populate();
    let mut twin = World::new();
    let body = || register_items_body(DEPOT_A, UNIT_A, &["item:again"]);
    let first = file.record(UNIT_A, body());
    assert_eq!(twin.record(UNIT_A, body()), first);
    let reversal = twin.record(UNIT_A, correction(first.id()));
    let again = twin.record(
        UNIT_B,
        register_items_body(DEPOT_B, UNIT_B, &["item:again"]),
    );
    file.ledger.append(&[reversal, again]).unwrap();
    drop(file);
    let held: Vec<String> = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mut q = conn
            .prepare("SELECT account FROM balances WHERE stock = 'item:again' ORDER BY 1")
            .unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    assert!(held.iter().any(|a| a.contains(DEPOT_B)), "{held:?}");
    assert!(!held.iter().any(|a| a.contains(DEPOT_A)), "{held:?}");
    let ledger = Ledger::open(&path, Options::new()).unwrap();
    let v = ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
}

#[test]
fn a_missing_or_extra_derived_row_is_reported_as_nothing_on_one_side() {
    let (f, ..) = tampered(
        "DELETE FROM balances WHERE (kind, stock, account) IN
           (SELECT kind, stock, account FROM balances WHERE site = 'depot:01' LIMIT 1);",
    );
    assert_eq!(f.code(), ErrorCode::Drift, "{f}");
    assert_eq!(f.values()["stored"], Value::Null, "{f}");
    let (f, ..) = tampered(
        "INSERT INTO balances SELECT kind, stock, 'sink:lost', NULL, NULL, 1 FROM balances
           WHERE site = 'depot:01' LIMIT 1;",
    );
    assert_eq!(f.code(), ErrorCode::Drift, "{f}");
    assert_eq!(f.values()["expected"], Value::Null, "{f}");
}
