//! Seizures and judicial orders (format version 2): stock under an evidence hold moves only to
//! and from a forensic laboratory and is not destroyed, exported or rebatched until a court
//! decides. Each refusal is checked for its code, its field and its values, and the ledger
//! must be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::ErrorCode;
use custodia::model::{Disposition, JudicialDecision, SiteKind};
use serde_json::json;

const ON: &str = "2026-01-05";

fn disposition(w: &World, id: &str) -> Disposition {
    let soh = w
        .ledger
        .stock_on_hand(&custodia::StockFilter::default())
        .unwrap();
    soh.lines
        .iter()
        .find(|l| l.stock == id)
        .unwrap_or_else(|| panic!("no line for {id}"))
        .disposition
}

/// The test world with a laboratory, and `item:r1` and lot `lot:l1` of depot A seized.
fn world() -> (World, custodia::SignedEvent) {
    let mut w = World::new();
    w.record(ADMIN, register_site_body(LAB, SiteKind::Laboratory, None));
    let s = w.record(UNIT_A, seizure_body(A, &["item:r1"], &["lot:l1"], ON));
    (w, s)
}

#[test]
fn held_stock_goes_to_the_laboratory_and_back_then_is_forfeited_and_destroyed() {
    let (mut w, s) = world();
    assert_eq!(disposition(&w, "item:r1"), Disposition::EvidenceHold);
    let d = w.record(UNIT_A, dispatch(A, (LAB, UNIT_B), &["item:r1"], vec![]));
    w.record(UNIT_B, receipt(d.id(), &["item:r1"], vec![]));
    let back = w.record(UNIT_B, dispatch((LAB, UNIT_B), A, &["item:r1"], vec![]));
    w.record(UNIT_A, receipt(back.id(), &["item:r1"], vec![]));
    // Still held: the court has not decided.
    assert_eq!(disposition(&w, "item:r1"), Disposition::EvidenceHold);
    w.record(
        UNIT_A,
        judicial_order_body(s.id(), JudicialDecision::Forfeiture, &["item:r1"], &[], ON),
    );
    assert_eq!(disposition(&w, "item:r1"), Disposition::Forfeited);
    let d = w.record(UNIT_A, dispatch(A, R, &["item:r1"], vec![]));
    w.record(DEMIL, receipt(d.id(), &["item:r1"], vec![]));
    let auth = w.record(ADMIN, authorisation(&["item:r1"], vec![]));
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &[WITNESS_1, WITNESS_2],
    );
    // The lot is still held.
    let err = refused(&mut w, UNIT_A, split("lot:l1", A, &[("lot:l1-x", 10)]));
    assert_eq!(err.code(), ErrorCode::UnderEvidenceHold, "{err}");
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn held_stock_is_not_moved_destroyed_exported_or_rebatched() {
    let (mut w, _) = world();
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &["item:r1"], vec![]));
    check(
        &err,
        ErrorCode::UnderEvidenceHold,
        Some("/items/0"),
        json!({"stock": "item:r1", "case": "CASE-7"}),
    );
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &[], vec![lq("lot:l1", 5)]));
    check(
        &err,
        ErrorCode::UnderEvidenceHold,
        Some("/lots/0/lot"),
        json!({"stock": "lot:l1", "case": "CASE-7"}),
    );
    let err = refused(&mut w, UNIT_A, export_body(A, &["item:r1"], vec![]));
    assert_eq!(err.code(), ErrorCode::UnderEvidenceHold, "{err}");
    assert_eq!(err.field(), Some("/items/0"));
    let err = refused(&mut w, UNIT_A, split("lot:l1", A, &[("lot:l1-x", 10)]));
    check(
        &err,
        ErrorCode::UnderEvidenceHold,
        Some("/lot"),
        json!({"stock": "lot:l1", "case": "CASE-7"}),
    );
    // A destruction of held stock, even authorised and at the range.
    let mut w2 = World::new();
    let d = w2.record(UNIT_A, dispatch(A, R, &["item:r1"], vec![]));
    w2.record(DEMIL, receipt(d.id(), &["item:r1"], vec![]));
    let auth = w2.record(ADMIN, authorisation(&["item:r1"], vec![]));
    w2.record(DEMIL, seizure_body(R, &["item:r1"], &[], ON));
    let event = w2.event(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
    );
    let before = w2.snapshot();
    let err = w2
        .record_event(event, &[WITNESS_1, WITNESS_2])
        .expect_err("refused");
    assert_eq!(w2.snapshot(), before);
    check(
        &err,
        ErrorCode::UnderEvidenceHold,
        Some("/items/0"),
        json!({"stock": "item:r1", "case": "CASE-7"}),
    );
}

#[test]
fn a_return_to_the_owner_takes_the_stock_off_the_books() {
    let (mut w, s) = world();
    w.record(
        UNIT_A,
        judicial_order_body(
            s.id(),
            JudicialDecision::ReturnToOwner,
            &["item:r1"],
            &["lot:l1"],
            ON,
        ),
    );
    assert_eq!(w.balance("item:r1", "sink:returned_to_owner"), 1);
    assert_eq!(w.balance("lot:l1", "sink:returned_to_owner"), 1000);
    assert_eq!(w.balance("lot:l1", &holding(DEPOT_A, UNIT_A)), 0);
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn a_release_returns_the_stock_to_service_and_a_correction_restores_the_hold() {
    let (mut w, s) = world();
    let o = w.record(
        UNIT_A,
        judicial_order_body(s.id(), JudicialDecision::Release, &["item:r1"], &[], ON),
    );
    assert_eq!(disposition(&w, "item:r1"), Disposition::InService);
    w.record(UNIT_A, correction(o.id()));
    assert_eq!(disposition(&w, "item:r1"), Disposition::EvidenceHold);
    w.ledger.check_invariants().unwrap();
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &["item:r1"], vec![]));
    assert_eq!(err.code(), ErrorCode::UnderEvidenceHold, "{err}");
    assert!(w.ledger.verify().unwrap().ok);
    // A seizure is reversed while it is the latest event of its stock.
    let (mut w, s) = world();
    w.record(UNIT_A, correction(s.id()));
    assert_eq!(disposition(&w, "item:r1"), Disposition::InService);
    w.ledger.check_invariants().unwrap();
    w.record(UNIT_A, dispatch(A, B, &["item:r1"], vec![]));
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn seizure_refusals() {
    let (mut w, _) = world();
    let err = refused(&mut w, UNIT_A, seizure_body(A, &["item:r1"], &[], ON));
    check(
        &err,
        ErrorCode::UnderEvidenceHold,
        Some("/items/0"),
        json!({"stock": "item:r1", "case": "CASE-7"}),
    );
    let err = refused(&mut w, UNIT_B, seizure_body(B, &["item:r2"], &[], ON));
    check(
        &err,
        ErrorCode::NotBookedHere,
        Some("/items/0"),
        json!({"item": "item:r2", "booked_at": holding(DEPOT_A, UNIT_A), "counted_at": holding(DEPOT_B, UNIT_B)}),
    );
    let mut body = seizure_body(A, &["item:r2"], &[], ON);
    body.held_for = actor(WITNESS_1);
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::NotAnAgency,
        Some("/held_for"),
        json!({"actor": WITNESS_1}),
    );
    let mut body = seizure_body(A, &["item:r2"], &[], ON);
    body.seized_by = actor("agency:nobody");
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/seized_by"),
        json!({"value": "agency:nobody"}),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        seizure_body(A, &["item:r2"], &[], "2026-01-06"),
    );
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/seized_on"));
    let err = refused(&mut w, UNIT_A, seizure_body(A, &[], &[], ON));
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
    let err = refused(&mut w, UNIT_B, seizure_body(A, &["item:r2"], &[], ON));
    assert_eq!(err.code(), ErrorCode::NotCustodian, "{err}");
    // Part of the lot elsewhere: the hold is on whole lots.
    let mut w = World::new();
    w.record(UNIT_A, dispatch(A, B, &[], vec![lq("lot:l1", 10)]));
    let err = refused(&mut w, UNIT_A, seizure_body(A, &[], &["lot:l1"], ON));
    assert_eq!(err.code(), ErrorCode::NotBookedHere, "{err}");
    assert_eq!(err.field(), Some("/lots/0"));
}

#[test]
fn judicial_order_refusals() {
    let (mut w, s) = world();
    // Stock not under this seizure's hold.
    let err = refused(
        &mut w,
        UNIT_A,
        judicial_order_body(s.id(), JudicialDecision::Release, &["item:r2"], &[], ON),
    );
    check(
        &err,
        ErrorCode::NotUnderHold,
        Some("/items/0"),
        json!({"stock": "item:r2", "seizure": s.id().to_string()}),
    );
    let mut body = judicial_order_body(
        s.id(),
        JudicialDecision::ReturnToOwner,
        &["item:r1"],
        &[],
        ON,
    );
    body.returned_to = None;
    let err = refused(&mut w, UNIT_A, body);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/returned_to"));
    let mut body = judicial_order_body(s.id(), JudicialDecision::Release, &["item:r1"], &[], ON);
    body.returned_to = Some("someone".into());
    let err = refused(&mut w, UNIT_A, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/returned_to"));
    let err = refused(
        &mut w,
        UNIT_A,
        judicial_order_body(
            s.id(),
            JudicialDecision::Release,
            &["item:r1"],
            &[],
            "2026-01-04",
        ),
    );
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/ordered_on"));
    let err = refused(
        &mut w,
        UNIT_A,
        judicial_order_body(
            s.id(),
            JudicialDecision::Release,
            &["item:r1"],
            &[],
            "2026-02-01",
        ),
    );
    assert_eq!(err.field(), Some("/ordered_on"), "{err}");
    // Someone acting neither for the court nor for the holder.
    let err = refused(
        &mut w,
        UNIT_B,
        judicial_order_body(s.id(), JudicialDecision::Release, &["item:r1"], &[], ON),
    );
    check(
        &err,
        ErrorCode::NotCustodian,
        Some("/actor"),
        json!({"actor": UNIT_B, "custodian": AG}),
    );
}

#[test]
fn legal_dispositions_are_not_registered_and_new_kinds_need_version_2() {
    let mut w = World::new();
    let mut body = register_items_body(DEPOT_A, UNIT_A, &["item:s9"]);
    body.items[0].disposition = Some(Disposition::EvidenceHold);
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::DispositionReserved,
        Some("/items/0/disposition"),
        json!({"disposition": "evidence_hold", "changed_by": "a seizure"}),
    );
    let mut def = lot_def("lot:l9", 5);
    def.disposition = Some(Disposition::Forfeited);
    let err = refused(&mut w, UNIT_A, register_lot_def(DEPOT_A, UNIT_A, def));
    assert_eq!(err.code(), ErrorCode::DispositionReserved, "{err}");
    assert_eq!(err.field(), Some("/lot/disposition"));
    let mut event = w.event(UNIT_A, seizure_body(A, &["item:r1"], &[], ON));
    event.v = 1;
    let err = refused_event(&mut w, event);
    assert_eq!(err.field(), Some("/v"), "{err}");
}

#[test]
fn a_judicial_order_names_a_seizure_in_the_ledger() {
    let (mut w, s) = world();
    // An event that is not a seizure, and an id that is no event at all.
    let not_a_seizure = w.journal[0].id();
    for seizure in [not_a_seizure, custodia::EventId::from_bytes([7; 32])] {
        let err = refused(
            &mut w,
            UNIT_A,
            judicial_order_body(seizure, JudicialDecision::Release, &["item:r1"], &[], ON),
        );
        check(
            &err,
            ErrorCode::UnknownReference,
            Some("/seizure"),
            json!({"value": seizure.to_string()}),
        );
    }
    // A seizure whose stock was all decided is still one: its stock is no longer held (3101).
    w.record(
        UNIT_A,
        judicial_order_body(
            s.id(),
            JudicialDecision::Release,
            &["item:r1"],
            &["lot:l1"],
            ON,
        ),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        judicial_order_body(s.id(), JudicialDecision::Release, &["item:r1"], &[], ON),
    );
    assert_eq!(err.code(), ErrorCode::NotUnderHold, "{err}");
    // A seizure reversed by a correction is no seizure any more.
    let mut w = World::new();
    let s = w.record(UNIT_A, seizure_body(A, &["item:r2"], &[], ON));
    w.record(UNIT_A, correction(s.id()));
    let err = refused(
        &mut w,
        UNIT_A,
        judicial_order_body(s.id(), JudicialDecision::Release, &["item:r2"], &[], ON),
    );
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/seizure"),
        json!({"value": s.id().to_string()}),
    );
}
