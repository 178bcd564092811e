//! The SQLite store: append and reopen, atomic batches, proofs against the signed head, the
//! memory store's parity, files that are not ledgers, and tampering with the file (edited
//! bytes, deleted and swapped rows, edited derived balances, nodes and heads) named by verify.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use custodia::event::SignedEvent;
use custodia::ledger::{Ledger, LedgerError};
use custodia::merkle::{self, leaf_hash};
use custodia::store::{
    MemoryStore, SqliteLog, SqliteStore, Store, StoreError, StoreFailure, VerifyOptions,
    verify_file,
};
use custodia::{Signer, synth};

fn events(n: usize) -> Vec<SignedEvent> {
    synth::events(11, n).unwrap()
}

fn fresh(dir: &tempfile::TempDir, events: &[SignedEvent], batch: usize) -> PathBuf {
    let path = dir.path().join("ledger.db");
    let mut store = SqliteStore::create(&path, Some(Signer::from_seed([3; 32]))).unwrap();
    for chunk in events.chunks(batch) {
        store.append_batch(chunk).unwrap();
    }
    path
}

fn verify(path: &Path) -> custodia::store::StoreReport {
    verify_file(path, &VerifyOptions::default()).unwrap()
}

fn sql(path: &Path, statement: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(statement).unwrap();
}

#[test]
fn append_reopen_and_agree_with_the_in_memory_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events(300);
    let path = fresh(&dir, &evs, 37);
    let mut ledger = Ledger::new();
    for e in &evs {
        ledger.append(e).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.len(), 300);
    assert_eq!(store.state().digest(), ledger.state().digest());
    assert_eq!(store.event(17).unwrap().unwrap(), evs[17]);
    assert_eq!(store.index_of(&evs[250].id).unwrap(), Some(250));
    let report = verify(&path);
    assert!(report.is_valid(), "{:?}", report.failure);
    assert_eq!(report.events, 300);
    assert_eq!(report.state_digest, ledger.state().digest());
    // One head per batch plus the empty one.
    assert_eq!(report.tree_heads, 1 + 300_u64.div_ceil(37));
    // The memory store gives the same head root and proofs.
    let mut mem = MemoryStore::new(Signer::from_seed([3; 32]));
    mem.append_batch(&evs).unwrap();
    let head = store.tree_head().unwrap();
    assert_eq!(head, mem.tree_head().unwrap());
    head.verify(&store.ledger_key()).unwrap();
    for (i, size) in [(0u64, 1u64), (5, 300), (299, 300), (100, 200)] {
        let p = store.inclusion_proof(i, size).unwrap();
        assert_eq!(p, mem.inclusion_proof(i, size).unwrap());
        let root = store.log().root(size).unwrap();
        assert!(merkle::verify_inclusion(
            &leaf_hash(&evs[i as usize].id),
            i,
            size,
            &p,
            &root
        ));
    }
    let c = store.consistency_proof(37, 300).unwrap();
    assert!(merkle::verify_consistency(
        37,
        300,
        &store.log().root(37).unwrap(),
        &head.root,
        &c
    ));
    // The trace index answers from the derived tables.
    let log = SqliteLog::open(&path).unwrap();
    let lot = store.state().lots().next().unwrap().lot.id.to_string();
    let trace = log.trace(&lot).unwrap();
    assert!(!trace.is_empty());
    assert!(trace.windows(2).all(|w| w[0].index < w[1].index));
    let balances = log.balances(Some("depot:01")).unwrap();
    assert!(
        balances
            .iter()
            .all(|b| b.site.as_deref() == Some("depot:01") && b.units > 0)
    );
}

#[test]
fn a_refused_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events(60);
    let path = fresh(&dir, &evs[..40], 40);
    let mut store = SqliteStore::open(&path).unwrap();
    let head = store.tree_head().unwrap();
    let digest = store.state().digest();
    // Event 50 is signed by nobody: the batch 40..60 is refused at its index 10.
    let mut bad = evs[40..60].to_vec();
    bad[10].signatures.clear();
    match store.append_batch(&bad) {
        Err(StoreError::Rejected(b)) => {
            assert_eq!(b.index, 10);
            assert!(
                matches!(b.error, LedgerError::Unsigned { .. }),
                "{:?}",
                b.error
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(store.len(), 40);
    assert_eq!(store.state().digest(), digest);
    assert_eq!(store.tree_head().unwrap(), head);
    // A duplicate of a stored event is refused too.
    match store.append_batch(&evs[39..41]) {
        Err(StoreError::Rejected(b)) => {
            assert_eq!(b.error, LedgerError::DuplicateEvent { event: evs[39].id })
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.len(), 40);
    assert!(verify(&path).is_valid());
    // The good batch still goes in afterwards.
    let mut store = reopened;
    store.append_batch(&evs[40..60]).unwrap();
    assert_eq!(verify(&path).events, 60);
}

#[test]
fn a_second_writer_catches_up_before_appending() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events(80);
    let path = fresh(&dir, &evs[..20], 20);
    let mut a = SqliteStore::open(&path).unwrap();
    let mut b = SqliteStore::open(&path).unwrap();
    a.append_batch(&evs[20..50]).unwrap();
    // `b` opened at 20 events; it replays 20..50 under the write lock, then appends.
    b.append_batch(&evs[50..80]).unwrap();
    assert_eq!(b.len(), 80);
    let report = verify(&path);
    assert!(report.is_valid(), "{:?}", report.failure);
    assert_eq!(report.events, 80);
}

#[test]
fn files_that_are_not_ledgers_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    assert!(matches!(
        SqliteStore::open(&missing),
        Err(StoreError::NotFound { .. })
    ));
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "this is not a database, just some text that is long enough",
    )
    .unwrap();
    match SqliteStore::open(&text) {
        Err(StoreError::NotALedger { reason, .. }) => {
            assert!(reason.contains("not an SQLite database"))
        }
        other => panic!("{other:?}"),
    }
    let other = dir.path().join("other.db");
    sql(&other, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    match SqliteStore::open(&other) {
        Err(StoreError::NotALedger { reason, .. }) => {
            assert!(reason.contains("application id"), "{reason}")
        }
        x => panic!("{x:?}"),
    }
    let path = fresh(&dir, &events(5), 5);
    sql(&path, "PRAGMA user_version = 99;");
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::UnsupportedFormat {
            found: 99,
            supported: 1,
            ..
        })
    ));
    assert!(matches!(
        SqliteStore::create(&path, None),
        Err(StoreError::AlreadyExists { .. })
    ));
}

fn tampered(statement: &str) -> StoreFailure {
    let dir = tempfile::tempdir().unwrap();
    let path = fresh(&dir, &events(120), 30);
    assert!(verify(&path).is_valid());
    sql(&path, statement);
    let report = verify(&path);
    report.failure.expect("tampering must be detected")
}

#[test]
fn edited_event_bytes_are_named() {
    // Change a quantity inside the stored JSON of event 40: its id no longer matches.
    let f = tampered(
        "UPDATE events SET json = CAST(replace(CAST(json AS TEXT), '\"quantity\":', '\"quantity\":1') AS BLOB) WHERE seq = 40;",
    );
    match f {
        StoreFailure::Event(v) => {
            assert_eq!(v.index, 40);
            assert!(v.reason.to_string().contains("hashes to"), "{}", v.reason);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_deleted_row_is_named() {
    match tampered("DELETE FROM events WHERE seq = 57;") {
        StoreFailure::MissingEvent { index, found } => assert_eq!((index, found), (57, 58)),
        other => panic!("{other:?}"),
    }
    // Deleting the last rows leaves heads that cover more than is stored.
    match tampered("DELETE FROM events WHERE seq >= 110;") {
        StoreFailure::HeadBeyondLog { size, events } => assert_eq!((size, events), (120, 110)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn swapped_rows_are_named() {
    let f = tampered(
        "UPDATE events SET seq = -1 WHERE seq = 70;
         UPDATE events SET seq = 70 WHERE seq = 71;
         UPDATE events SET seq = 71 WHERE seq = -1;",
    );
    match f {
        // Event 71 moved to 70 and now comes before its parent, or the leaf order breaks.
        StoreFailure::Event(v) => assert_eq!(v.index, 70),
        StoreFailure::Node {
            level: 0, index, ..
        } => assert_eq!(index, 70),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_edited_balance_is_named() {
    let f = tampered(
        "UPDATE balances SET units = units + 1000 WHERE (kind, stock, account) IN
         (SELECT kind, stock, account FROM balances WHERE site = 'depot:01' LIMIT 1);",
    );
    match f {
        StoreFailure::Drift {
            table,
            row,
            stored,
            expected,
        } => {
            assert_eq!(table, "balances");
            assert!(row.contains("unit:log-bn-1@depot:01"), "{row}");
            assert_ne!(stored, expected);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn edited_status_nodes_and_heads_are_named() {
    match tampered("UPDATE lots SET status = 'surplus' WHERE id = (SELECT id FROM lots LIMIT 1);") {
        StoreFailure::Drift { table, .. } => assert_eq!(table, "lots"),
        other => panic!("{other:?}"),
    }
    match tampered("UPDATE nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 3;") {
        StoreFailure::Node {
            level,
            index,
            stored,
            ..
        } => {
            assert_eq!((level, index), (2, 3));
            assert_eq!(stored, Some("00".repeat(32)));
        }
        other => panic!("{other:?}"),
    }
    match tampered("UPDATE tree_heads SET root = zeroblob(32) WHERE size = 60;") {
        StoreFailure::RootMismatch { size, .. } => assert_eq!(size, 60),
        other => panic!("{other:?}"),
    }
    match tampered("UPDATE tree_heads SET sig = zeroblob(64) WHERE size = 90;") {
        StoreFailure::HeadSignature { size, .. } => assert_eq!(size, 90),
        other => panic!("{other:?}"),
    }
    match tampered("UPDATE events SET id = zeroblob(32) WHERE seq = 3;") {
        StoreFailure::IdColumn { index, .. } => assert_eq!(index, 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn in_memory_sqlite_store_works_like_the_file() {
    let evs = events(50);
    let mut a = SqliteStore::in_memory(Some(Signer::from_seed([3; 32]))).unwrap();
    let mut b = MemoryStore::new(Signer::from_seed([3; 32]));
    a.append_batch(&evs).unwrap();
    b.append_batch(&evs).unwrap();
    assert_eq!(a.tree_head().unwrap(), b.tree_head().unwrap());
    assert_eq!(a.state().digest(), b.state().digest());
    let report = custodia::store::verify_log(a.log(), &VerifyOptions::default()).unwrap();
    assert!(report.is_valid(), "{:?}", report.failure);
}

#[test]
fn an_edited_trace_index_is_named() {
    // Point one trace row at another stock: the count is unchanged, so only the content
    // check can see that `trace` would now hide an event from one stock's history.
    let f = tampered(
        "UPDATE touches SET stock = stock || 'x' WHERE (kind, stock, seq) IN
           (SELECT kind, stock, seq FROM touches WHERE seq = 40 LIMIT 1);",
    );
    match f {
        StoreFailure::Drift {
            table,
            stored,
            expected,
            ..
        } => {
            assert_eq!(table, "touches");
            assert_ne!(stored, expected);
        }
        other => panic!("{other:?}"),
    }
}
