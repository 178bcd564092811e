//! The ammunition and armoury life cycle (format version 2): expenditure of ammunition and the
//! return of unfired rounds and residue; weapons issued to persons and returned, with the
//! two-person rule at designated sites. Each refusal is checked for its code, its field and its
//! values, and the ledger must be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::event::{Expenditure, ExpenditureReturn};
use custodia::model::{Condition, Date, Disposition, ExpenditurePurpose, Residue};
use custodia::{Body, Error, ErrorCode, Event, SignedEvent};
use serde_json::{Value, json};

// ---- harness ---------------------------------------------------------------------------------

#[track_caller]
fn check(err: &Error, code: ErrorCode, field: Option<&str>, values: Value) {
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(err.field(), field, "field of {err}");
    assert_eq!(Value::Object(err.values()), values, "values of {err}");
}

/// `event` must be refused by `Ledger::record`, changing nothing (log, state, derived rows).
#[track_caller]
fn refused_event(w: &mut World, event: Event, cosigners: &[&str]) -> Error {
    let before = w.snapshot();
    let err = w
        .record_event(event, cosigners)
        .expect_err("the event must be refused");
    assert_eq!(w.snapshot(), before, "a refused event changed the ledger");
    w.ledger.check_invariants().unwrap();
    err
}

#[track_caller]
fn refused(w: &mut World, who: &str, body: impl Into<Body>) -> Error {
    let event = w.event(who, body);
    refused_event(w, event, &[])
}

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

const HELD_A: &str = "unit:a@depot:a";

// ---- expenditure -----------------------------------------------------------------------------

/// Unit A fires `rounds` of l1 in training, 12 personnel, return due on 2026-01-10.
fn training(rounds: u64) -> Expenditure {
    Expenditure {
        from: place(DEPOT_A, UNIT_A),
        purpose: ExpenditurePurpose::Training,
        order: "TRG-2026-01".into(),
        range: "range 3, 100 m".into(),
        personnel: Some(12),
        lots: vec![lq("lot:l1", rounds)],
        return_by: Some(date("2026-01-10")),
        note: None,
    }
}

fn give_back(expenditure: &SignedEvent, unfired: u64, cases: Option<u64>) -> ExpenditureReturn {
    ExpenditureReturn {
        expenditure: expenditure.id(),
        lots: if unfired > 0 {
            vec![lq("lot:l1", unfired)]
        } else {
            Vec::new()
        },
        residue: cases
            .map(|c| Residue {
                lot: lot("lot:l1"),
                cases: Some(c),
                links: None,
            })
            .into_iter()
            .collect(),
        note: None,
    }
}

#[test]
fn fired_rounds_leave_through_the_consumed_sink_and_unfired_ones_come_back() {
    let mut w = World::new();
    let e = w.record(UNIT_A, training(300));
    assert_eq!(w.balance("lot:l1", "sink:consumed"), 300);
    assert_eq!(w.balance("lot:l1", HELD_A), 700);
    assert_eq!(w.balance("lot:l1", "sink:lost"), 0);
    assert_eq!(w.balance("lot:l1", "sink:destroyed"), 0);
    w.record(UNIT_A, give_back(&e, 40, Some(255)));
    assert_eq!(w.balance("lot:l1", "sink:consumed"), 260);
    assert_eq!(w.balance("lot:l1", HELD_A), 740);
    w.ledger.check_invariants().unwrap();
    // The return closed the expenditure.
    let err = refused(&mut w, UNIT_A, give_back(&e, 1, None));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/expenditure"),
        json!({"value": e.id().to_hex()}),
    );
    // The ledger verifies, with the same state, from its events.
    let report = w.ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, w.ledger.len().unwrap());
}

#[test]
fn an_expenditure_without_a_return_day_stays_closed() {
    let mut w = World::new();
    let mut body = training(100);
    body.return_by = None;
    body.purpose = ExpenditurePurpose::Operations;
    body.personnel = None;
    let e = w.record(UNIT_A, body);
    assert_eq!(w.balance("lot:l1", "sink:consumed"), 100);
    let err = refused(&mut w, UNIT_A, give_back(&e, 1, None));
    assert_eq!(err.code(), ErrorCode::UnknownReference, "{err}");
}

#[test]
fn an_expenditure_of_more_than_held_is_refused() {
    let mut w = World::new();
    let err = refused(&mut w, UNIT_A, training(1001));
    check(
        &err,
        ErrorCode::InsufficientStock,
        Some("/lots/0/quantity"),
        json!({"stock": "lot:l1", "account": HELD_A, "available": 1000, "requested": 1001}),
    );
}

#[test]
fn an_expenditure_of_nothing_is_refused() {
    let mut w = World::new();
    let err = refused(&mut w, UNIT_A, training(0));
    check(
        &err,
        ErrorCode::ZeroQuantity,
        Some("/lots/0/quantity"),
        json!({}),
    );
    let mut body = training(10);
    body.lots.clear();
    let err = refused(&mut w, UNIT_A, body);
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
}

#[test]
fn an_expenditure_of_an_unknown_lot_is_refused() {
    let mut w = World::new();
    let mut body = training(10);
    body.lots = vec![lq("lot:nowhere", 10)];
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/lots/0/lot"),
        json!({"value": "lot:nowhere"}),
    );
}

#[test]
fn an_expenditure_by_another_unit_than_the_holder_is_refused() {
    let mut w = World::new();
    let err = refused(&mut w, UNIT_B, training(10));
    check(
        &err,
        ErrorCode::NotCustodian,
        Some("/from/custodian"),
        json!({"actor": UNIT_B, "custodian": UNIT_A}),
    );
    // Naming its own holding, where it holds none of the lot.
    let mut body = training(10);
    body.from = place(DEPOT_A, UNIT_B);
    let err = refused(&mut w, UNIT_B, body);
    check(
        &err,
        ErrorCode::InsufficientStock,
        Some("/lots/0/quantity"),
        json!({"stock": "lot:l1", "account": "unit:b@depot:a", "available": 0, "requested": 10}),
    );
}

#[test]
fn training_says_how_many_fired() {
    let mut w = World::new();
    let mut body = training(10);
    body.personnel = None;
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::RecordMissing,
        Some("/personnel"),
        json!({"record": "the number of personnel", "why": "a training expenditure says how many fired"}),
    );
    let mut body = training(10);
    body.personnel = Some(0);
    let err = refused(&mut w, UNIT_A, body);
    check(&err, ErrorCode::ZeroQuantity, Some("/personnel"), json!({}));
}

#[test]
fn a_return_due_before_the_firing_is_refused() {
    let mut w = World::new();
    let mut body = training(10);
    body.return_by = Some(date("2026-01-04"));
    let err = refused(&mut w, UNIT_A, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/return_by"));
    // Due the same day is fine.
    let mut body = training(10);
    body.return_by = Some(date("2026-01-05"));
    w.record(UNIT_A, body);
}

#[test]
fn a_suspended_lot_is_fired_only_to_test_it() {
    let mut w = World::new();
    w.record(
        ADMIN,
        condition_change(&[], &["lot:l1"], Some(Condition::Suspended), None),
    );
    let err = refused(&mut w, UNIT_A, training(10));
    check(
        &err,
        ErrorCode::NotFitForUse,
        Some("/lots/0/lot"),
        json!({"stock": "lot:l1", "status": "suspended", "purpose": "training"}),
    );
    let mut body = training(10);
    body.purpose = ExpenditurePurpose::SurveillanceFiring;
    body.personnel = None;
    w.record(UNIT_A, body);
    assert_eq!(w.balance("lot:l1", "sink:consumed"), 10);
}

#[test]
fn stock_pending_destruction_is_not_fired() {
    let mut w = World::new();
    w.record(
        ADMIN,
        condition_change(
            &[],
            &["lot:l1"],
            None,
            Some(Disposition::PendingDestruction),
        ),
    );
    let mut body = training(10);
    body.purpose = ExpenditurePurpose::ProofFiring;
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::NotFitForUse,
        Some("/lots/0/lot"),
        json!({"stock": "lot:l1", "status": "pending_destruction", "purpose": "proof_firing"}),
    );
}

#[test]
fn an_expenditure_is_refused_in_a_version_1_event() {
    let mut w = World::new();
    w.version = 1;
    let err = refused(&mut w, UNIT_A, training(10));
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/v"));
}

#[test]
fn a_return_of_more_than_expended_is_refused() {
    let mut w = World::new();
    let e = w.record(UNIT_A, training(300));
    let err = refused(&mut w, UNIT_A, give_back(&e, 301, None));
    check(
        &err,
        ErrorCode::ReturnExceedsExpended,
        Some("/lots/0/quantity"),
        json!({"lot": "lot:l1", "returned": 301, "expended": 300}),
    );
}

#[test]
fn a_return_of_a_lot_not_expended_is_refused() {
    let mut w = World::new();
    w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:l2", 50));
    let e = w.record(UNIT_A, training(300));
    let mut body = give_back(&e, 0, None);
    body.lots = vec![lq("lot:l2", 5)];
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::NotExpended,
        Some("/lots/0/lot"),
        json!({"stock": "lot:l2", "expenditure": e.id().to_hex()}),
    );
}

#[test]
fn more_cases_than_rounds_fired_are_refused() {
    let mut w = World::new();
    let e = w.record(UNIT_A, training(300));
    let err = refused(&mut w, UNIT_A, give_back(&e, 40, Some(261)));
    check(
        &err,
        ErrorCode::ResidueExceedsFired,
        Some("/residue/0/cases"),
        json!({"lot": "lot:l1", "residue": "cases", "count": 261, "fired": 260}),
    );
    let mut body = give_back(&e, 0, None);
    body.residue = vec![Residue {
        lot: lot("lot:l1"),
        cases: None,
        links: None,
    }];
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::NothingCounted,
        Some("/residue/0/lot"),
        json!({}),
    );
}

#[test]
fn a_return_by_another_unit_is_refused() {
    let mut w = World::new();
    let e = w.record(UNIT_A, training(300));
    let err = refused(&mut w, UNIT_B, give_back(&e, 10, None));
    check(
        &err,
        ErrorCode::NotCustodian,
        Some("/actor"),
        json!({"actor": UNIT_B, "custodian": UNIT_A}),
    );
}

#[test]
fn an_expenditure_and_its_return_are_corrected_newest_first() {
    let mut w = World::new();
    let e = w.record(UNIT_A, training(300));
    let r = w.record(UNIT_A, give_back(&e, 40, Some(200)));
    // The expenditure is superseded by its return.
    let err = refused(&mut w, UNIT_A, correction(e.id()));
    assert_eq!(err.code(), ErrorCode::NotCorrectable, "{err}");
    w.record(UNIT_A, correction(r.id()));
    assert_eq!(w.balance("lot:l1", "sink:consumed"), 300);
    // The expenditure is open again: it may be returned against once more.
    w.record(UNIT_A, give_back(&e, 300, None));
    assert_eq!(w.balance("lot:l1", HELD_A), 1000);
    assert_eq!(w.balance("lot:l1", "sink:consumed"), 0);
    w.ledger.check_invariants().unwrap();
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn a_corrected_expenditure_cannot_be_returned_against() {
    let mut w = World::new();
    let e = w.record(UNIT_A, training(300));
    w.record(UNIT_A, correction(e.id()));
    assert_eq!(w.balance("lot:l1", HELD_A), 1000);
    let err = refused(&mut w, UNIT_A, give_back(&e, 1, None));
    assert_eq!(err.code(), ErrorCode::UnknownReference, "{err}");
}
