//! Lot integrity (IATG 03.10), format version 2: a lot split from another or merged from
//! several keeps the manufacturing lots, manufacture dates, origins and registrations it came
//! from; a merge of unlike lots is refused unless a technical authority who signs the merge
//! approves it, and the merged lot then records that it is mixed. Version-1 merges keep their
//! version-1 verdicts. Every refusal is checked for its code, its field and an unchanged ledger.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::ErrorCode;
use custodia::event::LotMerge;
use custodia::model::{ActorKind, Date, MixedLotApproval, Role};
use serde_json::json;

const A: (&str, &str) = (DEPOT_A, UNIT_A);
const TA: &str = "person:ta";

/// The standard world with a technical authority, and a second lot `lot:other` at depot A of
/// another manufacturing lot (and manufacture date) than `lot:l1`.
fn world() -> World {
    let mut w = World::new();
    w.register(
        TA,
        ActorKind::Person,
        Some(ADMIN),
        &[Role::TechnicalAuthority],
    );
    let mut other = lot_def("lot:other", 200);
    other.manufactured = Some(Date::parse("2004-11").unwrap());
    w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, other));
    w
}

fn approved(mut m: LotMerge, by: &str) -> LotMerge {
    m.mixed_lot_approval = Some(MixedLotApproval {
        by: actor(by),
        reference: "TA-2026-017".into(),
    });
    m
}

/// The `lots` entry of the rule input of `event` for `lot`.
fn rule_lot(w: &World, event: &custodia::EventId, lot: &str) -> serde_json::Value {
    let input = w.ledger.rule_input(event).unwrap();
    input["lots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == lot)
        .cloned()
        .unwrap_or_else(|| panic!("no lot {lot} in the rule input"))
}

#[test]
fn a_merge_across_manufacturing_lots_needs_an_approval() {
    let mut w = world();
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:l1", 10), lq("lot:other", 10)], "lot:m"),
    );
    check(
        &err,
        ErrorCode::UnlikeLots,
        Some("/lots/1/lot"),
        json!({"lot": "lot:other", "first": "lot:l1", "attribute": "manufacturing lot",
               "value": "LN-lot:other", "first_value": "LN-lot:l1"}),
    );
}

#[test]
fn a_merge_across_manufacture_dates_or_origins_needs_an_approval() {
    let mut w = world();
    // Same lot number, another manufacture date.
    let mut d = lot_def("lot:d", 20);
    d.lot_number = "LN-lot:l1".into();
    d.manufactured = Some(Date::parse("2002-01").unwrap());
    w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, d));
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:l1", 10), lq("lot:d", 10)], "lot:m"),
    );
    check(
        &err,
        ErrorCode::UnlikeLots,
        Some("/lots/1/lot"),
        json!({"lot": "lot:d", "first": "lot:l1", "attribute": "manufacture date",
               "value": "2002-01", "first_value": "2001-03"}),
    );
    // Same lot number and date, another origin.
    let mut o = register_lot_def(DEPOT_A, UNIT_A, {
        let mut o = lot_def("lot:o", 20);
        o.lot_number = "LN-lot:l1".into();
        o
    });
    o.origin.reference = Some("CONTRACT-9".into());
    w.record(UNIT_A, o);
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:l1", 10), lq("lot:o", 10)], "lot:m"),
    );
    check(
        &err,
        ErrorCode::UnlikeLots,
        Some("/lots/1/lot"),
        json!({"lot": "lot:o", "first": "lot:l1", "attribute": "origin",
               "value": "stock_on_hand CONTRACT-9", "first_value": "stock_on_hand"}),
    );
}

#[test]
fn an_approval_by_an_actor_without_the_role_is_refused() {
    let mut w = world();
    let body = approved(
        merge(A, vec![lq("lot:l1", 10), lq("lot:other", 10)], "lot:m"),
        INSPECTOR,
    );
    let event = w.event(UNIT_A, body);
    let err = refused_event_with(&mut w, event, &[INSPECTOR]);
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/mixed_lot_approval/by"),
        json!({"actor": INSPECTOR, "role": "technical_authority",
               "needed_for": "a mixed-lot approval"}),
    );
}

#[test]
fn an_approval_by_an_actor_who_did_not_sign_is_refused() {
    let mut w = world();
    let body = approved(
        merge(A, vec![lq("lot:l1", 10), lq("lot:other", 10)], "lot:m"),
        TA,
    );
    let event = w.event(UNIT_A, body);
    let err = refused_event(&mut w, event);
    check(
        &err,
        ErrorCode::ApproverDidNotSign,
        Some("/mixed_lot_approval/by"),
        json!({"approver": TA}),
    );
}

#[test]
fn an_approval_of_alike_lots_is_refused() {
    let mut w = world();
    w.record(UNIT_A, split("lot:l1", A, &[("lot:l1-a", 100)]));
    let body = approved(
        merge(A, vec![lq("lot:l1", 10), lq("lot:l1-a", 10)], "lot:m"),
        TA,
    );
    let event = w.event(UNIT_A, body);
    let err = refused_event_with(&mut w, event, &[TA]);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/mixed_lot_approval"));
}

#[test]
fn an_approved_merge_records_a_mixed_lot_with_every_origin() {
    let mut w = world();
    let body = approved(
        merge(A, vec![lq("lot:l1", 10), lq("lot:other", 20)], "lot:m"),
        TA,
    );
    let event = w.event(UNIT_A, body);
    let m = w.record_event(event, &[TA]).unwrap();
    let lot = rule_lot(&w, &m.id(), "lot:m");
    let provenance = lot["provenance"].as_array().unwrap();
    let lots: Vec<&str> = provenance
        .iter()
        .map(|p| p["lot"].as_str().unwrap())
        .collect();
    assert_eq!(lots, ["lot:l1", "lot:other"]);
    assert_eq!(provenance[0]["lot_number"], "LN-lot:l1");
    assert_eq!(provenance[1]["manufactured"], "2004-11");
    assert_eq!(lot["mixed_lot_approval"]["by"], TA);
    assert_eq!(lot["mixed_lot_approval"]["reference"], "TA-2026-017");
    assert_eq!(lot["mixed_lot_approval"]["event"], m.id().to_string());
    // A mixed lot is as old as its oldest part.
    assert_eq!(lot["manufactured"], "2001-03");
    // A lot split from the mixed lot is mixed too and keeps both origins.
    let s = w.record(UNIT_A, split("lot:m", A, &[("lot:m-a", 5)]));
    let part = rule_lot(&w, &s.id(), "lot:m-a");
    assert_eq!(part["provenance"], lot["provenance"]);
    assert_eq!(part["mixed_lot_approval"], lot["mixed_lot_approval"]);
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn a_split_keeps_its_source_origin_and_registration() {
    let mut w = world();
    let registered = w.time();
    let mut o = register_lot_def(DEPOT_A, UNIT_A, lot_def("lot:imp", 100));
    o.origin.reference = Some("CONTRACT-9".into());
    w.record(UNIT_A, o);
    let registered_at = w.time();
    assert!(registered_at > registered);
    let s = w.record(UNIT_A, split("lot:imp", A, &[("lot:imp-a", 10)]));
    let part = rule_lot(&w, &s.id(), "lot:imp-a");
    assert_eq!(part["origin"]["reference"], "CONTRACT-9");
    assert_eq!(part["lot_number"], "LN-lot:imp");
    assert_eq!(part["manufactured"], "2001-03");
    assert_eq!(
        part["provenance"],
        json!([{"lot": "lot:imp", "lot_number": "LN-lot:imp", "manufactured": "2001-03",
                "origin": {"kind": "stock_on_hand", "reference": "CONTRACT-9"},
                "registered_at": registered_at.to_string()}])
    );
    // Parts of one lot merge back without an approval, and the merged lot keeps the full
    // origin (version 1 kept only its kind).
    let m = w.record(
        UNIT_A,
        merge(A, vec![lq("lot:imp", 10), lq("lot:imp-a", 10)], "lot:imp-m"),
    );
    let merged = rule_lot(&w, &m.id(), "lot:imp-m");
    assert_eq!(merged["origin"]["reference"], "CONTRACT-9");
    assert_eq!(merged["provenance"], part["provenance"]);
    assert!(merged.get("mixed_lot_approval").is_none());
}

#[test]
fn version_1_merges_keep_their_version_1_verdicts() {
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    let mut other = lot_def("lot:other", 200);
    other.manufactured = Some(Date::parse("2004-11").unwrap());
    w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, other));
    // Unlike manufacturing lots merge under version 1, as they always did.
    let m = w.record(
        UNIT_A,
        merge(A, vec![lq("lot:l1", 10), lq("lot:other", 10)], "lot:m"),
    );
    let lot = rule_lot(&w, &m.id(), "lot:m");
    assert!(lot.get("provenance").is_none());
    assert!(lot.get("mixed_lot_approval").is_none());
    // The approval is a version-2 member.
    let body = approved(
        merge(A, vec![lq("lot:l1", 10), lq("lot:other", 10)], "lot:m2"),
        ADMIN,
    );
    let event = w.event(UNIT_A, body);
    let err = refused_event_with(&mut w, event, &[ADMIN]);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/mixed_lot_approval"));
    assert!(w.ledger.verify().unwrap().ok);
}
