//! Deactivation (format version 2, UN Firearms Protocol art. 9): deactivated items stay on the
//! books as such. Each refusal is checked for its code, its field and its values, and the
//! ledger must be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::ErrorCode;
use custodia::model::{Condition, Disposition};
use serde_json::json;

const ON: &str = "2026-01-05";

fn line(w: &World, id: &str) -> (Condition, Disposition, Option<String>) {
    let soh = w
        .ledger
        .stock_on_hand(&custodia::StockFilter::default())
        .unwrap();
    let l = soh
        .lines
        .iter()
        .find(|l| l.stock == id)
        .unwrap_or_else(|| panic!("no line for {id}"));
    (
        l.condition,
        l.disposition,
        Some(format!("{}@{}", l.custodian, l.site)),
    )
}

#[test]
fn a_deactivated_rifle_stays_on_the_books_and_moves_like_any_other() {
    let mut w = World::new();
    let d = w.record(UNIT_A, deactivation_body(A, &["item:r1"], ON));
    assert_eq!(
        line(&w, "item:r1"),
        (
            Condition::Unserviceable,
            Disposition::Deactivated,
            Some(holding(DEPOT_A, UNIT_A))
        )
    );
    // No status change brings it back into service.
    let err = refused(
        &mut w,
        UNIT_A,
        condition_change(&["item:r1"], &[], None, Some(Disposition::InService)),
    );
    assert_eq!(err.code(), ErrorCode::DispositionReserved, "{err}");
    // A correction may reverse the deactivation while it is the item's latest event.
    w.record(UNIT_A, correction(d.id()));
    assert_eq!(line(&w, "item:r1").1, Disposition::InService);
    w.record(UNIT_A, deactivation_body(A, &["item:r1"], ON));
    // It may be transferred (to a museum) like any other item.
    w.record(UNIT_A, dispatch(A, B, &["item:r1"], vec![]));
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn deactivation_refusals() {
    let mut w = World::new();
    w.record(UNIT_A, deactivation_body(A, &["item:r1"], ON));
    let err = refused(&mut w, UNIT_A, deactivation_body(A, &["item:r1"], ON));
    check(
        &err,
        ErrorCode::AlreadyDeactivated,
        Some("/items/0"),
        json!({"stock": "item:r1"}),
    );
    // The verifying authority is not the one who records it.
    let mut body = deactivation_body(A, &["item:r2"], ON);
    body.verified_by = actor(UNIT_A);
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::VerifierNotIndependent,
        Some("/verified_by"),
        json!({"verifier": UNIT_A}),
    );
    let mut body = deactivation_body(A, &["item:r2"], ON);
    body.verified_by = actor("agency:nobody");
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/verified_by"),
        json!({"value": "agency:nobody"}),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        deactivation_body(A, &["item:r2"], "2026-01-06"),
    );
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/verified_on"));
    let err = refused(&mut w, UNIT_B, deactivation_body(B, &["item:r2"], ON));
    check(
        &err,
        ErrorCode::NotBookedHere,
        Some("/items/0"),
        json!({"item": "item:r2", "booked_at": holding(DEPOT_A, UNIT_A), "counted_at": holding(DEPOT_B, UNIT_B)}),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        deactivation_body(A, &["item:r2", "item:r2"], ON),
    );
    check(
        &err,
        ErrorCode::Repeated,
        Some("/items/1"),
        json!({"value": "item:r2"}),
    );
    let err = refused(&mut w, UNIT_A, deactivation_body(A, &[], ON));
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
    // Evidence is not deactivated while held.
    w.record(UNIT_A, seizure_body(A, &["item:r2"], &[], ON));
    let err = refused(&mut w, UNIT_A, deactivation_body(A, &["item:r2"], ON));
    check(
        &err,
        ErrorCode::UnderEvidenceHold,
        Some("/items/0"),
        json!({"stock": "item:r2", "case": "CASE-7"}),
    );
    let mut event = w.event(UNIT_A, deactivation_body(A, &["item:r2"], ON));
    event.v = 1;
    let err = refused_event(&mut w, event);
    assert_eq!(err.field(), Some("/v"), "{err}");
}
