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
use custodia::event::{Expenditure, ExpenditureReturn, WeaponIssue, WeaponReturn};
use custodia::model::{Condition, Date, Disposition, ExpenditurePurpose, Residue};
use custodia::{ErrorCode, SignedEvent};
use serde_json::json;

// ---- harness ---------------------------------------------------------------------------------

/// `event` must be refused by `Ledger::record`, changing nothing (log, state, derived rows).
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

// ---- issue to persons ------------------------------------------------------------------------

const SOLDIER: &str = "person:soldier";
const ARMOURY: &str = "armoury:a";

/// The standard world with a soldier of unit A, and an armoury under the two-person rule
/// where unit A holds pistol p1.
fn armoury_world() -> World {
    let mut w = World::new();
    w.register(
        SOLDIER,
        custodia::model::ActorKind::Person,
        Some(UNIT_A),
        &[],
    );
    let mut site = register_site_body(ARMOURY, custodia::model::SiteKind::Armoury, None);
    site.site.two_person_rule = true;
    w.record(ADMIN, site);
    w.record(UNIT_A, register_items_body(ARMOURY, UNIT_A, &["item:p1"]));
    w
}

fn issue(w: &World, at: (&str, &str), to: &str, items: &[&str], hours: i64) -> WeaponIssue {
    WeaponIssue {
        from: place(at.0, at.1),
        to: actor(to),
        items: items.iter().map(|i| item(i)).collect(),
        due: ts(w.now + STEP + hours * 3600),
        reference: None,
    }
}

fn hand_back(issue: &SignedEvent, items: &[&str]) -> WeaponReturn {
    WeaponReturn {
        issue: issue.id(),
        items: items.iter().map(|i| item(i)).collect(),
        note: None,
    }
}

#[test]
fn a_weapon_is_issued_to_a_person_and_returned() {
    let mut w = armoury_world();
    let body = issue(&w, A, SOLDIER, &["item:r1", "item:r2"], 8);
    let i = w.record(UNIT_A, body);
    assert_eq!(w.balance("item:r1", "person:soldier@depot:a"), 1);
    assert_eq!(w.balance("item:r1", HELD_A), 0);
    w.record(UNIT_A, hand_back(&i, &["item:r1"]));
    assert_eq!(w.balance("item:r1", HELD_A), 1);
    // r2 is still out; once the period ended it is overdue.
    let rows = w.ledger.overdue_issues(&ts(w.now + 9 * 3600)).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].issue, i.id());
    assert_eq!(rows[0].items, vec![item("item:r2")]);
    assert_eq!(rows[0].person, actor(SOLDIER));
    assert!(
        w.ledger
            .overdue_issues(&ts(w.now + 3600))
            .unwrap()
            .is_empty()
    );
    // r1 is back: it is not on the issue any more.
    let err = refused(&mut w, UNIT_A, hand_back(&i, &["item:r1"]));
    check(
        &err,
        ErrorCode::NotOnIssue,
        Some("/items/0"),
        json!({"item": "item:r1", "issue": i.id().to_hex()}),
    );
    w.record(UNIT_A, hand_back(&i, &["item:r2"]));
    assert!(
        w.ledger
            .overdue_issues(&ts(w.now + 99 * 3600))
            .unwrap()
            .is_empty()
    );
    // The issue is closed.
    let err = refused(&mut w, UNIT_A, hand_back(&i, &["item:r2"]));
    assert_eq!(err.code(), ErrorCode::UnknownReference, "{err}");
    w.ledger.check_invariants().unwrap();
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn a_second_issue_of_an_issued_weapon_is_refused() {
    let mut w = armoury_world();
    let body = issue(&w, A, SOLDIER, &["item:r1"], 8);
    let i = w.record(UNIT_A, body);
    let body = issue(&w, A, CLERK_A, &["item:r2", "item:r1"], 8);
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::AlreadyIssued,
        Some("/items/1"),
        json!({"item": "item:r1", "person": SOLDIER, "issue": i.id().to_hex()}),
    );
}

#[test]
fn an_issue_to_an_unregistered_person_or_a_unit_is_refused() {
    let mut w = armoury_world();
    let body = issue(&w, A, "person:nobody", &["item:r1"], 8);
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/to"),
        json!({"value": "person:nobody"}),
    );
    let body = issue(&w, A, UNIT_B, &["item:r1"], 8);
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::NotAPerson,
        Some("/to"),
        json!({"actor": UNIT_B}),
    );
}

#[test]
fn an_issue_by_another_unit_or_of_a_weapon_not_held_is_refused() {
    let mut w = armoury_world();
    let body = issue(&w, A, SOLDIER, &["item:r1"], 8);
    let err = refused(&mut w, UNIT_B, body);
    check(
        &err,
        ErrorCode::NotCustodian,
        Some("/from/custodian"),
        json!({"actor": UNIT_B, "custodian": UNIT_A}),
    );
    let body = issue(&w, A, SOLDIER, &["item:nowhere"], 8);
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/items/0"),
        json!({"value": "item:nowhere"}),
    );
    let body = issue(&w, A, SOLDIER, &[], 8);
    let err = refused(&mut w, UNIT_A, body);
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
    let body = issue(&w, A, SOLDIER, &["item:r1"], -1);
    let err = refused(&mut w, UNIT_A, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/due"));
}

#[test]
fn a_weapon_under_repair_is_not_issued() {
    let mut w = armoury_world();
    w.record(
        ADMIN,
        condition_change(&["item:r1"], &[], Some(Condition::UnderRepair), None),
    );
    let body = issue(&w, A, SOLDIER, &["item:r1"], 8);
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::NotFitForUse,
        Some("/items/0"),
        json!({"stock": "item:r1", "status": "under_repair", "purpose": "issue"}),
    );
}

#[test]
fn the_two_person_rule_needs_both_signatures() {
    let mut w = armoury_world();
    let at = (ARMOURY, UNIT_A);
    // The issuer alone: refused.
    let body = issue(&w, at, SOLDIER, &["item:p1"], 8);
    let event = w.event(UNIT_A, body);
    let err = refused_event_with(&mut w, event, &[]);
    check(
        &err,
        ErrorCode::TwoPersonRule,
        Some("/signatures"),
        json!({"site": ARMOURY, "person": SOLDIER}),
    );
    // The person recording their own issue: refused, even co-signed by nobody else.
    let body = issue(&w, at, SOLDIER, &["item:p1"], 8);
    let event = w.event(SOLDIER, body);
    let err = refused_event_with(&mut w, event, &[]);
    assert_eq!(err.code(), ErrorCode::TwoPersonRule, "{err}");
    // Issuer and receiver both sign: accepted.
    let body = issue(&w, at, SOLDIER, &["item:p1"], 8);
    let i = w.record_with(UNIT_A, body, &[SOLDIER]);
    // The return needs both as well.
    let event = w.event(UNIT_A, hand_back(&i, &["item:p1"]));
    let err = refused_event_with(&mut w, event, &[]);
    assert_eq!(err.code(), ErrorCode::TwoPersonRule, "{err}");
    w.record_with(UNIT_A, hand_back(&i, &["item:p1"]), &[SOLDIER]);
    assert_eq!(w.balance("item:p1", "unit:a@armoury:a"), 1);
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn the_two_person_rule_is_refused_in_a_version_1_site() {
    let mut w1 = World::empty();
    w1.version = 1;
    w1.genesis(ADMIN, &[custodia::model::Role::Admin]);
    let mut site = register_site_body(ARMOURY, custodia::model::SiteKind::Armoury, None);
    site.site.two_person_rule = true;
    let event = w1.event(ADMIN, site);
    let err = refused_event_with(&mut w1, event, &[]);
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/site/two_person_rule"),
        json!({"value": "site/two_person_rule", "reason": "a member of format version 2; this event is of version 1"}),
    );
}

#[test]
fn an_issue_and_its_return_are_corrected_newest_first() {
    let mut w = armoury_world();
    let body = issue(&w, A, SOLDIER, &["item:r1"], 8);
    let i = w.record(UNIT_A, body);
    let r = w.record(UNIT_A, hand_back(&i, &["item:r1"]));
    w.record(UNIT_A, correction(r.id()));
    assert_eq!(w.balance("item:r1", "person:soldier@depot:a"), 1);
    assert_eq!(
        w.ledger
            .overdue_issues(&ts(w.now + 9 * 3600))
            .unwrap()
            .len(),
        1
    );
    // An issue not returned yet is reversed by a correction: the weapon is back, not out.
    let body = issue(&w, A, SOLDIER, &["item:r2"], 8);
    let i2 = w.record(UNIT_A, body);
    w.record(UNIT_A, correction(i2.id()));
    assert_eq!(w.balance("item:r2", HELD_A), 1);
    let rows = w.ledger.overdue_issues(&ts(w.now + 99 * 3600)).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].issue, i.id());
    w.ledger.check_invariants().unwrap();
    assert!(w.ledger.verify().unwrap().ok);
}
