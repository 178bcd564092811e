//! Ammunition surveillance (format version 2, IATG 07.20): inspections by the technical
//! authority set a lot's condition code, condition, next inspection, expiry and hazard
//! classification; only the technical authority lifts a suspension; lots due for inspection
//! are listed. Each refusal is checked for its code, its field and its values, and the ledger
//! must be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::event::Inspection;
use custodia::model::{
    ActorKind, CompatibilityGroup, Condition, ConditionCode, Date, Hazard, HazardDivision,
    InspectionOutcome, InspectionResult, InspectionTest, Role,
};
use custodia::{ErrorCode, StockFilter};
use serde_json::json;

const ATO: &str = "person:ato";

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// The standard world with a technical authority.
fn world() -> World {
    let mut w = World::new();
    w.register(
        ATO,
        ActorKind::Person,
        Some(ADMIN),
        &[Role::TechnicalAuthority],
    );
    w
}

fn result(test: InspectionTest, outcome: InspectionOutcome) -> InspectionResult {
    InspectionResult {
        test,
        outcome,
        sample: Some(10),
        remarks: None,
    }
}

/// An inspection of lot l1 giving `code`, next inspection on 2027-01-05.
fn inspection(code: ConditionCode) -> Inspection {
    Inspection {
        lots: vec![lot("lot:l1")],
        reference: "SURV-1".into(),
        results: vec![
            result(InspectionTest::Visual, InspectionOutcome::Pass),
            result(InspectionTest::ChemicalStability, InspectionOutcome::Pass),
        ],
        condition_code: code,
        next_inspection: Some(date("2027-01-05")),
        expiry: None,
        hazard: None,
        note: None,
    }
}

fn condition_of(w: &World, lot_id: &str) -> Condition {
    let stock = w.ledger.stock_on_hand(&StockFilter::default()).unwrap();
    stock
        .lines
        .iter()
        .find(|l| l.stock == lot_id)
        .map(|l| l.condition)
        .unwrap()
}

#[test]
fn an_inspection_sets_the_code_the_next_inspection_and_the_condition() {
    let mut w = world();
    // Lot l1's next inspection (2027-03-01) is not due in 2026.
    let early = ts(EPOCH + 86_400);
    assert!(w.ledger.lots_due_inspection(&early).unwrap().is_empty());
    let late = ts(EPOCH + 500 * 86_400); // 2027-05-20
    let due = w.ledger.lots_due_inspection(&late).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].lot, lot("lot:l1"));
    assert!(due[0].overdue);
    assert_eq!(due[0].units, 1000);
    assert_eq!(due[0].last_inspection, None);

    let mut body = inspection(ConditionCode::J);
    body.results[1].outcome = InspectionOutcome::Fail;
    body.expiry = Some(date("2028-01"));
    body.hazard = Some(Hazard {
        division: HazardDivision::D1_2,
        group: CompatibilityGroup::E,
    });
    w.record(ATO, body);
    assert_eq!(condition_of(&w, "lot:l1"), Condition::Suspended);
    // The reclassification reaches the derived rows.
    let stock = w.ledger.stock_on_hand(&StockFilter::default()).unwrap();
    let line = stock.lines.iter().find(|l| l.stock == "lot:l1").unwrap();
    assert_eq!(line.hazard_division, Some(HazardDivision::D1_2));
    assert_eq!(line.compatibility_group, Some(CompatibilityGroup::E));
    // Next inspection 2027-01-05: due from that day, overdue the day after.
    let on = ts(1_799_107_200); // 2027-01-05T00:00:00Z
    let due = w.ledger.lots_due_inspection(&on).unwrap();
    assert_eq!(due.len(), 1);
    assert!(!due[0].overdue);
    assert_eq!(due[0].next_inspection, date("2027-01-05"));
    assert_eq!(due[0].condition_code, Some(ConditionCode::J));
    assert_eq!(due[0].condition, Condition::Suspended);
    assert_eq!(due[0].last_inspection, Some(date("2026-01-05")));
    assert!(
        w.ledger
            .lots_due_inspection(&ts(1_799_107_200 - 1))
            .unwrap()
            .is_empty()
    );
    assert!(
        w.ledger
            .lots_due_inspection(&ts(1_799_107_200 + 86_400))
            .unwrap()[0]
            .overdue
    );
    // A second inspection lifts the suspension.
    w.record(ATO, inspection(ConditionCode::C));
    assert_eq!(condition_of(&w, "lot:l1"), Condition::Serviceable);
    w.ledger.check_invariants().unwrap();
    let report = w.ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
}

#[test]
fn an_inspection_by_an_actor_without_the_technical_role_is_refused() {
    let mut w = world();
    for who in [INSPECTOR, ADMIN, UNIT_A] {
        let err = refused(&mut w, who, inspection(ConditionCode::A));
        check(
            &err,
            ErrorCode::MissingRole,
            Some("/actor"),
            json!({"actor": who, "role": "technical_authority", "needed_for": "inspection"}),
        );
    }
}

#[test]
fn lifting_a_suspension_without_the_technical_authority_is_refused() {
    let mut w = world();
    // Anyone who may change the lot's status may suspend it: a safety measure.
    w.record(
        UNIT_A,
        condition_change(&[], &["lot:l1"], Some(Condition::Suspended), None),
    );
    assert_eq!(condition_of(&w, "lot:l1"), Condition::Suspended);
    for who in [UNIT_A, ADMIN, INSPECTOR] {
        let err = refused(
            &mut w,
            who,
            condition_change(&[], &["lot:l1"], Some(Condition::Serviceable), None),
        );
        check(
            &err,
            ErrorCode::MissingRole,
            Some("/actor"),
            json!({"actor": who, "role": "technical_authority", "needed_for": "lifting a suspension"}),
        );
    }
    // The technical authority may (by a status change as well as by an inspection).
    w.record(
        ATO,
        condition_change(&[], &["lot:l1"], Some(Condition::Serviceable), None),
    );
    assert_eq!(condition_of(&w, "lot:l1"), Condition::Serviceable);
}

#[test]
fn a_version_1_status_change_still_lifts_a_suspension_as_version_1_did() {
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    w.record(
        UNIT_A,
        status_change(&[], &["lot:l1"], custodia::model::Status::Suspended),
    );
    w.record(
        UNIT_A,
        status_change(&[], &["lot:l1"], custodia::model::Status::Serviceable),
    );
    assert_eq!(condition_of(&w, "lot:l1"), Condition::Serviceable);
}

#[test]
fn the_technical_authority_role_needs_format_version_2() {
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    let subject = custodia::model::Actor {
        id: actor(ATO),
        kind: ActorKind::Person,
        name: "ATO".into(),
        member_of: Some(actor(ADMIN)),
        roles: vec![Role::Witness, Role::TechnicalAuthority],
        keys: vec![key_named(ATO).public_key()],
    };
    let err = refused(&mut w, ADMIN, custodia::event::RegisterActor { subject });
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/subject/roles/1"),
        json!({"value": "technical_authority", "reason": "the `technical_authority` role exists from format version 2"}),
    );
}

#[test]
fn a_failed_test_with_an_issuable_code_is_refused() {
    let mut w = world();
    for code in [ConditionCode::A, ConditionCode::B, ConditionCode::C] {
        let mut body = inspection(code);
        body.results[0].outcome = InspectionOutcome::Fail;
        let err = refused(&mut w, ATO, body);
        check(
            &err,
            ErrorCode::InspectionContradicts,
            Some("/condition_code"),
            json!({"test": "visual", "code": code.as_str()}),
        );
    }
    // D (needs test or modification) says the lot is not issued as it is.
    let mut body = inspection(ConditionCode::D);
    body.results[0].outcome = InspectionOutcome::Fail;
    w.record(ATO, body);
}

#[test]
fn malformed_inspections_are_refused() {
    let mut w = world();
    let mut body = inspection(ConditionCode::A);
    body.results
        .push(result(InspectionTest::Visual, InspectionOutcome::Pass));
    let err = refused(&mut w, ATO, body);
    check(
        &err,
        ErrorCode::Repeated,
        Some("/results/2/test"),
        json!({"value": "visual"}),
    );
    let mut body = inspection(ConditionCode::A);
    body.lots.push(lot("lot:l1"));
    let err = refused(&mut w, ATO, body);
    check(
        &err,
        ErrorCode::Repeated,
        Some("/lots/1"),
        json!({"value": "lot:l1"}),
    );
    let mut body = inspection(ConditionCode::A);
    body.lots = vec![lot("lot:nowhere")];
    let err = refused(&mut w, ATO, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/lots/0"),
        json!({"value": "lot:nowhere"}),
    );
    // The next inspection must come after this one (the world's clock is in January 2026).
    let mut body = inspection(ConditionCode::A);
    body.next_inspection = Some(date("2026-01-05"));
    let err = refused(&mut w, ATO, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/next_inspection"));
    let mut body = inspection(ConditionCode::A);
    body.results[0].sample = Some(0);
    let err = refused(&mut w, ATO, body);
    check(
        &err,
        ErrorCode::ZeroQuantity,
        Some("/results/0/sample"),
        json!({}),
    );
}

#[test]
fn an_inspection_is_version_2_only() {
    let mut w = world();
    w.version = 1;
    let err = refused(&mut w, ATO, inspection(ConditionCode::A));
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/v"),
        json!({"value": "1", "reason": "`inspection` events exist from format version 2"}),
    );
}

#[test]
fn a_corrected_inspection_restores_the_lot() {
    let mut w = world();
    let e = w.record(ATO, inspection(ConditionCode::J));
    assert_eq!(condition_of(&w, "lot:l1"), Condition::Suspended);
    w.record(ADMIN, correction(e.id()));
    assert_eq!(condition_of(&w, "lot:l1"), Condition::Serviceable);
    let due = w
        .ledger
        .lots_due_inspection(&ts(EPOCH + 500 * 86_400))
        .unwrap();
    assert_eq!(due[0].next_inspection, date("2027-03-01"));
    assert_eq!(due[0].last_inspection, None);
    assert_eq!(due[0].condition_code, None);
    let report = w.ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
}
