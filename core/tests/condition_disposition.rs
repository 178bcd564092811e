//! Format version 2 splits an item's or lot's status into its condition (fit for use or not)
//! and its disposition (what is to become of it, or the legal hold it is under); version-1
//! events keep their single `status`, mapped onto both. Versions never go back: an event older
//! than one already in the ledger is refused, so a newer version's rules cannot be dodged by
//! signing an old event. Files whose derived tables predate the split are rebuilt from their
//! events. Every refusal is checked for its code, its field and an unchanged ledger.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::model::{Condition, Disposition, Status};
use custodia::{Error, ErrorCode, Ledger, Options, StockFilter};
use serde_json::json;

/// `body` by `who` must be refused with `code` at `field`, changing nothing.
#[track_caller]
fn refused(
    w: &mut World,
    who: &str,
    body: impl Into<custodia::Body>,
    code: ErrorCode,
    field: &str,
) -> Error {
    let before = w.snapshot();
    let err = w
        .try_record(who, body, &[])
        .expect_err("the event must be refused");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(err.field(), Some(field), "field of {err}");
    assert_eq!(w.snapshot(), before, "a refused event changed the ledger");
    w.ledger.check_invariants().unwrap();
    err
}

/// (condition, disposition) of a stock's holding line, as the derived tables say.
fn line(ledger: &Ledger, stock: &str) -> (Condition, Disposition) {
    let soh = ledger.stock_on_hand(&StockFilter::default()).unwrap();
    let l = soh
        .lines
        .iter()
        .find(|l| l.stock == stock)
        .unwrap_or_else(|| panic!("no line for {stock}"));
    (l.condition, l.disposition)
}

fn v1_world() -> World {
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    w
}

#[test]
fn condition_and_disposition_change_apart() {
    let mut w = World::new();
    assert_eq!(
        line(&w.ledger, "item:r1"),
        (Condition::Serviceable, Disposition::InService)
    );
    w.record(
        UNIT_A,
        condition_change(&["item:r1"], &[], Some(Condition::UnderRepair), None),
    );
    assert_eq!(
        line(&w.ledger, "item:r1"),
        (Condition::UnderRepair, Disposition::InService)
    );
    w.record(
        INSPECTOR,
        condition_change(&[], &["lot:l1"], None, Some(Disposition::Surplus)),
    );
    w.record(
        UNIT_A,
        condition_change(
            &["item:r1"],
            &[],
            None,
            Some(Disposition::PendingDestruction),
        ),
    );
    // The disposition changed and the condition stayed.
    assert_eq!(
        line(&w.ledger, "item:r1"),
        (Condition::UnderRepair, Disposition::PendingDestruction)
    );
    assert_eq!(
        line(&w.ledger, "lot:l1"),
        (Condition::Serviceable, Disposition::Surplus)
    );
    // A version-1 word in a version-2 event keeps its version-1 meaning.
    w.record(
        UNIT_A,
        status_change(&["item:r1"], &[], Status::Serviceable),
    );
    assert_eq!(
        line(&w.ledger, "item:r1"),
        (Condition::Serviceable, Disposition::InService)
    );
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn a_version_1_status_maps_onto_both() {
    let mut w = v1_world();
    let cases = [
        (
            Status::Surplus,
            (Condition::Serviceable, Disposition::Surplus),
        ),
        (
            Status::Unserviceable,
            (Condition::Unserviceable, Disposition::InService),
        ),
        (
            Status::PendingDestruction,
            (Condition::Unserviceable, Disposition::PendingDestruction),
        ),
        (
            Status::Suspended,
            (Condition::Suspended, Disposition::InService),
        ),
        (
            Status::Serviceable,
            (Condition::Serviceable, Disposition::InService),
        ),
    ];
    for (status, expected) in cases {
        w.record(UNIT_A, status_change(&["item:r1"], &["lot:l1"], status));
        assert_eq!(line(&w.ledger, "item:r1"), expected, "{status:?}");
        assert_eq!(line(&w.ledger, "lot:l1"), expected, "{status:?}");
    }
    assert!(w.journal.iter().all(|e| e.event().v == 1));
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn version_1_events_cannot_say_condition_or_disposition() {
    let mut w = v1_world();
    let err = refused(
        &mut w,
        UNIT_A,
        condition_change(&["item:r1"], &[], Some(Condition::UnderRepair), None),
        ErrorCode::FieldInvalid,
        "/condition",
    );
    assert_eq!(err.values()["value"], json!("under_repair"));
    refused(
        &mut w,
        UNIT_A,
        condition_change(&["item:r1"], &[], None, Some(Disposition::Surplus)),
        ErrorCode::FieldInvalid,
        "/disposition",
    );
    let mut body = register_items_body(DEPOT_A, UNIT_A, &["item:r9"]);
    body.items[0].condition = Some(Condition::Serviceable);
    refused(
        &mut w,
        UNIT_A,
        body,
        ErrorCode::FieldInvalid,
        "/items/0/condition",
    );
    let mut body = register_lot_body(DEPOT_A, UNIT_A, "lot:l9", 10);
    body.lot.disposition = Some(Disposition::InService);
    refused(
        &mut w,
        UNIT_A,
        body,
        ErrorCode::FieldInvalid,
        "/lot/disposition",
    );
}

#[test]
fn a_status_change_says_one_vocabulary_and_something() {
    let mut w = World::new();
    let mut both = status_change(&["item:r1"], &[], Status::Surplus);
    both.condition = Some(Condition::Unserviceable);
    refused(&mut w, UNIT_A, both, ErrorCode::FieldInvalid, "/status");
    refused(
        &mut w,
        UNIT_A,
        condition_change(&["item:r1"], &[], None, None),
        ErrorCode::FieldInvalid,
        "",
    );
}

#[test]
fn legal_holds_are_not_a_status_change() {
    let mut w = World::new();
    w.record(
        UNIT_A,
        register_items_body(DEPOT_A, UNIT_A, &["item:seized-1"]),
    );
    w.record(
        UNIT_A,
        seizure_body((DEPOT_A, UNIT_A), &["item:seized-1"], &[], "2026-01-05"),
    );
    assert_eq!(
        line(&w.ledger, "item:seized-1"),
        (Condition::Serviceable, Disposition::EvidenceHold)
    );
    // Lifting the hold, in either vocabulary, is for a judicial order.
    let err = refused(
        &mut w,
        INSPECTOR,
        condition_change(&["item:seized-1"], &[], None, Some(Disposition::Surplus)),
        ErrorCode::DispositionReserved,
        "/disposition",
    );
    assert_eq!(err.values()["disposition"], json!("evidence_hold"));
    refused(
        &mut w,
        UNIT_A,
        status_change(&["item:seized-1"], &[], Status::Serviceable),
        ErrorCode::DispositionReserved,
        "/status",
    );
    // Its condition may change while it is held.
    w.record(
        UNIT_A,
        condition_change(
            &["item:seized-1"],
            &[],
            Some(Condition::Unserviceable),
            None,
        ),
    );
    assert_eq!(
        line(&w.ledger, "item:seized-1"),
        (Condition::Unserviceable, Disposition::EvidenceHold)
    );
    // Holds, forfeiture and deactivation are not set by a status change either.
    for d in [
        Disposition::EvidenceHold,
        Disposition::Forfeited,
        Disposition::Deactivated,
    ] {
        let err = refused(
            &mut w,
            UNIT_A,
            condition_change(&["item:r1"], &[], None, Some(d)),
            ErrorCode::DispositionReserved,
            "/disposition",
        );
        assert_eq!(err.values()["disposition"], json!(d.as_str()));
    }
}

#[test]
fn versions_never_go_back() {
    // A ledger of version-1 events takes version-2 events...
    let mut w = v1_world();
    w.record(UNIT_A, status_change(&["item:r1"], &[], Status::Surplus));
    w.version = 2;
    w.record(
        UNIT_A,
        condition_change(&["item:r1"], &[], Some(Condition::UnderRepair), None),
    );
    // ...and then no version-1 event: its rules are not the ledger's any more.
    w.version = 1;
    let err = refused(
        &mut w,
        UNIT_A,
        status_change(&["item:r2"], &[], Status::Surplus),
        ErrorCode::VersionDecreased,
        "/v",
    );
    assert_eq!(err.values()["version"], json!(1));
    assert_eq!(err.values()["newest"], json!(2));
    // The same holds on replay: the verified ledger is the one appended.
    assert!(w.ledger.verify().unwrap().ok);
}

/// Rewrites a file's derived tables as the front door's layout had them (one `status` per
/// item and lot, no `meta.derived_version`).
fn to_front_door_layout(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "ALTER TABLE items RENAME COLUMN condition TO status;
         ALTER TABLE items DROP COLUMN disposition;
         ALTER TABLE lots RENAME COLUMN condition TO status;
         ALTER TABLE lots DROP COLUMN disposition;
         ALTER TABLE lots DROP COLUMN neq_mg_per_unit;
         ALTER TABLE items DROP COLUMN neq_mg;
         ALTER TABLE items DROP COLUMN division;
         ALTER TABLE items DROP COLUMN grp;
         DELETE FROM meta WHERE key = 'derived_version';",
    )
    .unwrap();
}

fn derived_version(path: &std::path::Path) -> Option<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT value FROM meta WHERE key = 'derived_version'",
        [],
        |r| r.get(0),
    )
    .ok()
}

#[test]
fn derived_tables_of_an_older_layout_are_rebuilt_from_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let writable = || Options::new().log_key(log_key());
    let mut w = World::with_ledger(Ledger::create(&path, writable()).unwrap());
    w.populate();
    w.record(
        UNIT_A,
        condition_change(&["item:r2"], &[], Some(Condition::UnderRepair), None),
    );
    let expected = w.ledger.stock_on_hand(&StockFilter::default()).unwrap();
    let digest = w.ledger.verify().unwrap().state_digest;
    drop(w);
    assert_eq!(derived_version(&path), Some(4));
    to_front_door_layout(&path);

    // Read-only: current tables in memory, nothing written to the file.
    let bytes = std::fs::read(&path).unwrap();
    let reader = Ledger::open(&path, Options::new()).unwrap();
    assert_eq!(
        reader.stock_on_hand(&StockFilter::default()).unwrap(),
        expected
    );
    assert_eq!(
        line(&reader, "item:r2"),
        (Condition::UnderRepair, Disposition::InService)
    );
    let report = reader.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.state_digest, digest);
    drop(reader);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "a read-only open wrote"
    );
    assert_eq!(derived_version(&path), None);

    // Writable: rebuilt in the file, once.
    let mut w = World::with_ledger(Ledger::open(&path, writable()).unwrap());
    assert_eq!(derived_version(&path), Some(4));
    assert_eq!(
        w.ledger.stock_on_hand(&StockFilter::default()).unwrap(),
        expected
    );
    for (who, key) in [(UNIT_A, key_named(UNIT_A)), (ADMIN, key_named(ADMIN))] {
        w.hold_key(who, key);
    }
    w.now = EPOCH + 3600;
    w.record(
        UNIT_A,
        condition_change(&["item:r2"], &[], Some(Condition::Serviceable), None),
    );
    drop(w);
    let reopened = Ledger::open(&path, Options::new()).unwrap();
    assert_eq!(
        line(&reopened, "item:r2"),
        (Condition::Serviceable, Disposition::InService)
    );
    assert!(reopened.verify().unwrap().ok);
}
