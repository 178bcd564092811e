//! Marks applied after registration (`marking`, format version 2). Each refusal is checked for
//! its code, its field and its values, and the ledger must be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::ErrorCode;
use custodia::model::{ImportMarking, MarkKind, Marking};
use serde_json::json;

/// The test world with a seized rifle `item:s1` at depot A whose serial number is missing.
fn world() -> World {
    let mut w = World::new();
    let mut seized = register_items_body(DEPOT_A, UNIT_A, &["item:s1"]);
    seized.items[0].marking.serial = None;
    w.record(UNIT_A, seized);
    w
}

const ON: &str = "2026-01-05";

#[test]
fn a_seized_weapon_without_its_serial_is_recorded_then_marked_and_a_correction_unmarks_it() {
    let mut w = world();
    let m = w.record(
        UNIT_A,
        marking_body(A, CLERK_A, &["item:s1", "item:r1"], ON),
    );
    w.ledger.check_invariants().unwrap();
    // The marked items' latest event is the marking: the next event on them names it.
    let next = w.event(UNIT_A, dispatch(A, B, &["item:s1"], Vec::new()));
    let next = w.ledger.prepare(next).unwrap();
    assert!(next.parents.contains(&m.id()));
    w.record(UNIT_A, correction(m.id()));
    w.ledger.check_invariants().unwrap();
    // And it can be marked again.
    w.record(UNIT_A, marking_body(A, CLERK_A, &["item:s1"], ON));
    let v = w.ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
}

#[test]
fn a_mark_with_no_element_is_refused() {
    let mut w = world();
    let mut body = marking_body(A, CLERK_A, &["item:s1"], ON);
    body.marks[0].elements = Marking::default();
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::EmptyMark,
        Some("/marks/0/elements"),
        json!({"item": "item:s1"}),
    );
}

#[test]
fn a_mark_without_the_element_its_kind_carries_is_refused() {
    let mut w = world();
    let mut body = marking_body(A, CLERK_A, &["item:s1"], ON);
    body.marks[0].kind = MarkKind::Import;
    let err = refused(&mut w, UNIT_A, body);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/marks/0/elements/import"));
    let mut body = marking_body(A, CLERK_A, &["item:s1"], ON);
    body.marks[0].kind = MarkKind::RestoredSerial;
    body.marks[0].elements = Marking {
        model: Some("Type 56".into()),
        ..Marking::default()
    };
    let err = refused(&mut w, UNIT_A, body);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/marks/0/elements/serial"));
}

#[test]
fn a_mark_naming_an_unknown_country_is_refused() {
    let mut w = world();
    let mut body = marking_body(A, CLERK_A, &["item:s1"], ON);
    body.marks[0].elements.country_of_manufacture = Some("SU".into());
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::UnknownCountry,
        Some("/marks/0/elements/country_of_manufacture"),
        json!({"value": "SU"}),
    );
}

#[test]
fn a_mark_naming_an_unknown_country_of_import_is_refused() {
    let mut w = world();
    let mut body = marking_body(A, CLERK_A, &["item:s1"], ON);
    body.marks[0].elements.import = Some(ImportMarking {
        country: Some("SU".into()),
        year: Some(2020),
        importer: None,
    });
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::UnknownCountry,
        Some("/marks/0/elements/import/country"),
        json!({"value": "SU"}),
    );
}

#[test]
fn marking_what_is_not_held_there_is_refused() {
    let mut w = world();
    let err = refused(&mut w, UNIT_B, marking_body(B, UNIT_B, &["item:s1"], ON));
    check(
        &err,
        ErrorCode::NotBookedHere,
        Some("/marks/0/item"),
        json!({"item": "item:s1", "booked_at": holding(DEPOT_A, UNIT_A), "counted_at": holding(DEPOT_B, UNIT_B)}),
    );
    let err = refused(&mut w, UNIT_A, marking_body(A, CLERK_A, &["item:nope"], ON));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/marks/0/item"),
        json!({"value": "item:nope"}),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        marking_body(A, CLERK_A, &["item:s1", "item:s1"], ON),
    );
    check(
        &err,
        ErrorCode::Repeated,
        Some("/marks/1/item"),
        json!({"value": "item:s1"}),
    );
    // Only the holder records it.
    let err = refused(&mut w, UNIT_B, marking_body(A, CLERK_A, &["item:s1"], ON));
    assert_eq!(err.code(), ErrorCode::NotCustodian, "{err}");
}

#[test]
fn who_and_when_are_checked() {
    let mut w = world();
    let err = refused(
        &mut w,
        UNIT_A,
        marking_body(A, "person:stranger", &["item:s1"], ON),
    );
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/marked_by"),
        json!({"value": "person:stranger"}),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        marking_body(A, CLERK_A, &["item:s1"], "2026-01-06"),
    );
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/marked_on"));
    let err = refused(
        &mut w,
        UNIT_A,
        marking_body(A, CLERK_A, &["item:s1"], "2026-01"),
    );
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/marked_on"));
}

#[test]
fn a_marking_in_a_version_1_event_is_refused() {
    let mut w = world();
    let mut event = w.event(UNIT_A, marking_body(A, CLERK_A, &["item:s1"], ON));
    event.v = 1;
    let err = refused_event(&mut w, event);
    assert_eq!(err.field(), Some("/v"), "{err}");
}

fn restored(w: &mut World, serial: &str) -> custodia::SignedEvent {
    let mut body = marking_body(A, CLERK_A, &["item:s1"], ON);
    body.marks[0].kind = MarkKind::RestoredSerial;
    body.marks[0].elements.serial = Some(serial.into());
    w.record(UNIT_A, body)
}

fn found(ledger: &custodia::Ledger, serial: &str, manufacturer: Option<&str>) -> Vec<String> {
    ledger
        .find_items(&custodia::MarkingQuery {
            serial: serial.into(),
            manufacturer: manufacturer.map(str::to_owned),
        })
        .unwrap()
        .into_iter()
        .map(|i| i.id.to_string())
        .collect()
}

#[test]
fn find_answers_with_an_item_known_only_by_its_restored_serial() {
    let mut w = world();
    let m = restored(&mut w, "56-1991-004471");
    let v = w.ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    // Case and spaces do not matter; the registration's manufacturer stands for a mark that
    // names none.
    assert_eq!(found(&w.ledger, "56-1991-004471", None), ["item:s1"]);
    assert_eq!(
        found(&w.ledger, " 56-1991-004471 ", Some("acme")),
        ["item:s1"]
    );
    assert!(found(&w.ledger, "56-1991-004471", Some("Norinco")).is_empty());
    // The registered serials are still found, and only their items.
    assert_eq!(found(&w.ledger, "item:r1", None), ["item:r1"]);
    // A correction takes the mark away, and the lookup with it.
    w.record(UNIT_A, correction(m.id()));
    assert!(found(&w.ledger, "56-1991-004471", None).is_empty());
    // A mark naming its own manufacturer is found under that one.
    let mut body = marking_body(A, CLERK_A, &["item:s1"], ON);
    body.marks[0].elements.serial = Some("NX-77".into());
    body.marks[0].elements.manufacturer = Some("Norinco".into());
    w.record(UNIT_A, body);
    assert_eq!(found(&w.ledger, "nx-77 ", Some("NORINCO")), ["item:s1"]);
    assert!(found(&w.ledger, "NX-77", Some("ACME")).is_empty());
    let v = w.ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
}

#[test]
fn a_file_without_the_mark_index_is_rebuilt_and_finds_restored_serials() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let writable = || custodia::Options::new().log_key(log_key());
    let mut w = World::with_ledger(custodia::Ledger::create(&path, writable()).unwrap());
    w.populate();
    let mut seized = register_items_body(DEPOT_A, UNIT_A, &["item:s1"]);
    seized.items[0].marking.serial = None;
    w.record(UNIT_A, seized);
    restored(&mut w, "56-1991-004471");
    assert_eq!(found(&w.ledger, "56-1991-004471", None), ["item:s1"]);
    drop(w);
    // The layout before the mark index (derived version 2).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE item_marks;
         UPDATE meta SET value = 2 WHERE key = 'derived_version';",
    )
    .unwrap();
    drop(conn);
    let reader = custodia::Ledger::open(&path, custodia::Options::new()).unwrap();
    assert_eq!(found(&reader, "56-1991-004471", None), ["item:s1"]);
    assert!(reader.verify().unwrap().ok);
    drop(reader);
    let writer = custodia::Ledger::open(&path, writable()).unwrap();
    assert_eq!(found(&writer, "56-1991-004471", None), ["item:s1"]);
    let report = writer.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
    drop(writer);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM item_marks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
}
