//! Net explosive quantity in milligrams (format version 2): `neq_mg` per unit on lots (a 9 mm
//! round's 350 mg), hazard division and NEQ on serialized munitions, units that fit what is
//! counted (millimetres of detonating cord), and NEQ totals per site and hazard division summed
//! up the site hierarchy. Version-1 grams read as grams × 1000.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::model::{CompatibilityGroup, Hazard, HazardDivision, SiteKind, Unit};
use custodia::{ErrorCode, NeqTotal};
use serde_json::json;

fn total(w: &World, s: &str, division: HazardDivision) -> (i64, i64) {
    let rows: Vec<NeqTotal> = w.ledger.neq_totals().unwrap();
    rows.iter()
        .find(|r| r.site == site(s) && r.hazard_division == Some(division))
        .map_or((0, 0), |r| (r.neq_mg, r.neq_mg_with_sub_sites))
}

/// 9 mm rounds: 350 mg each (0 whole grams).
fn nine_mm(id: &str, quantity: u64) -> custodia::model::Lot {
    let mut def = lot_def(id, quantity);
    def.nomenclature = "cartridge 9x19 ball".into();
    def.neq_grams_per_unit = q(0);
    def.neq_mg = Some(q(350));
    def
}

/// Records, in the magazine: 50 m of detonating cord (10 mg per millimetre, division 1.1D) and
/// a guided missile counted by serial (1.1E, 2.7 kg).
fn record_cord_and_missile(w: &mut World) {
    let mut cord = lot_def("lot:cord", 50_000);
    cord.nomenclature = "detonating cord 10 g/m".into();
    cord.unit = Unit::Millimetre;
    cord.hazard = Some(Hazard {
        division: HazardDivision::D1_1,
        group: CompatibilityGroup::D,
    });
    cord.neq_grams_per_unit = q(0);
    cord.neq_mg = Some(q(10));
    w.record(UNIT_A, register_lot_def(MAGAZINE, UNIT_A, cord));
    let mut missile = register_items_body(MAGAZINE, UNIT_A, &["item:atgm-1"]);
    missile.items[0].category = custodia::model::ItemCategory::LightWeapon;
    missile.items[0].hazard = Some(Hazard {
        division: HazardDivision::D1_1,
        group: CompatibilityGroup::E,
    });
    missile.items[0].neq_mg = Some(q(2_700_000));
    w.record(UNIT_A, missile);
}

#[test]
fn milligrams_add_up_per_site_and_division_and_up_the_sites() {
    let mut w = World::new();
    w.record(
        ADMIN,
        register_site_body(MAGAZINE, SiteKind::Magazine, Some(DEPOT_A)),
    );
    // Lot l1 (version-2 event without `neq_mg`): 1000 rounds of 2 g read as 2000 mg.
    assert_eq!(
        total(&w, DEPOT_A, HazardDivision::D1_4),
        (2_000_000, 2_000_000)
    );
    w.record(
        UNIT_A,
        register_lot_def(DEPOT_A, UNIT_A, nine_mm("lot:9mm", 1000)),
    );
    record_cord_and_missile(&mut w);
    assert_eq!(
        total(&w, DEPOT_A, HazardDivision::D1_4),
        (2_350_000, 2_350_000)
    );
    assert_eq!(
        total(&w, MAGAZINE, HazardDivision::D1_1),
        (3_200_000, 3_200_000)
    );
    // The depot's 1.1 is all in its magazine.
    assert_eq!(total(&w, DEPOT_A, HazardDivision::D1_1), (0, 3_200_000));
    // Moving half the 9 mm rounds to depot B moves their 175 g.
    let d = w.record(UNIT_A, dispatch(A, B, &[], vec![lq("lot:9mm", 500)]));
    w.record(UNIT_B, receipt(d.id(), &[], vec![lq("lot:9mm", 500)]));
    assert_eq!(
        total(&w, DEPOT_A, HazardDivision::D1_4),
        (2_175_000, 2_175_000)
    );
    assert_eq!(total(&w, DEPOT_B, HazardDivision::D1_4), (175_000, 175_000));
    let report = w.ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
}

#[test]
fn grams_that_contradict_the_milligrams_are_refused() {
    let mut w = World::new();
    let mut def = nine_mm("lot:9mm", 10);
    def.neq_grams_per_unit = q(1);
    let err = refused(&mut w, UNIT_A, register_lot_def(DEPOT_A, UNIT_A, def));
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/lot/neq_grams_per_unit"),
        json!({"value": "1", "reason": "with `neq_mg` 350, the whole grams are 0"}),
    );
    let mut def = nine_mm("lot:big", 2);
    def.neq_mg = Some(q(custodia::model::QUANTITY_MAX));
    def.neq_grams_per_unit = q(custodia::model::QUANTITY_MAX / 1000);
    let err = refused(&mut w, UNIT_A, register_lot_def(DEPOT_A, UNIT_A, def));
    check(
        &err,
        ErrorCode::QuantityOverflow,
        Some("/lot/neq_mg"),
        json!({"max": custodia::model::QUANTITY_MAX}),
    );
}

#[test]
fn an_item_with_explosive_content_needs_its_hazard_classification() {
    let mut w = World::new();
    let mut body = register_items_body(DEPOT_A, UNIT_A, &["item:atgm-1"]);
    body.items[0].neq_mg = Some(q(2_700_000));
    let err = refused(&mut w, UNIT_A, body);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/items/0/hazard"));
}

#[test]
fn the_milligram_members_and_millimetres_need_format_version_2() {
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    let err = refused(
        &mut w,
        UNIT_A,
        register_lot_def(DEPOT_A, UNIT_A, nine_mm("lot:9mm", 10)),
    );
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/lot/neq_mg"));
    let mut cord = lot_def("lot:cord", 10);
    cord.unit = Unit::Millimetre;
    let err = refused(&mut w, UNIT_A, register_lot_def(DEPOT_A, UNIT_A, cord));
    assert_eq!(err.field(), Some("/lot/unit"), "{err}");
    let mut body = register_items_body(DEPOT_A, UNIT_A, &["item:atgm-1"]);
    body.items[0].hazard = Some(Hazard {
        division: HazardDivision::D1_1,
        group: CompatibilityGroup::E,
    });
    let err = refused(&mut w, UNIT_A, body);
    assert_eq!(err.field(), Some("/items/0/hazard"), "{err}");
    // A version-1 lot's grams count as grams × 1000.
    assert_eq!(
        total(&w, DEPOT_A, HazardDivision::D1_4),
        (2_000_000, 2_000_000)
    );
}

#[test]
fn lots_of_different_milligrams_do_not_merge() {
    let mut w = World::new();
    w.record(
        UNIT_A,
        register_lot_def(DEPOT_A, UNIT_A, nine_mm("lot:a", 10)),
    );
    let mut other = nine_mm("lot:b", 10);
    other.neq_mg = Some(q(400));
    w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, other));
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:a", 10), lq("lot:b", 10)], "lot:ab"),
    );
    check(
        &err,
        ErrorCode::LotsDiffer,
        Some("/lots/1/lot"),
        json!({"lot": "lot:b", "first": "lot:a", "attribute": "explosive content per unit"}),
    );
}

#[test]
fn stock_on_hand_speaks_milligrams() {
    let mut w = World::new();
    w.record(
        UNIT_A,
        register_lot_def(DEPOT_A, UNIT_A, nine_mm("lot:9mm", 1000)),
    );
    let mut missile = register_items_body(DEPOT_A, UNIT_A, &["item:atgm-1"]);
    missile.items[0].category = custodia::model::ItemCategory::LightWeapon;
    missile.items[0].hazard = Some(Hazard {
        division: HazardDivision::D1_1,
        group: CompatibilityGroup::E,
    });
    missile.items[0].neq_mg = Some(q(2_700_000));
    w.record(UNIT_A, missile);
    let soh = w
        .ledger
        .stock_on_hand(&custodia::StockFilter::default())
        .unwrap();
    let line = |stock: &str| {
        soh.lines
            .iter()
            .find(|l| l.stock == stock)
            .unwrap_or_else(|| panic!("no line for {stock}"))
    };
    // 1000 rounds of 350 mg: 350 g, where the whole grams per unit said 0.
    assert_eq!(line("lot:9mm").neq_mg, 350_000);
    // Lot l1 (2 g per round, no milligrams): the grams × 1000.
    assert_eq!(line("lot:l1").neq_mg, 2_000_000);
    // A serialized munition: its own milligrams and hazard division; a rifle has none.
    let atgm = line("item:atgm-1");
    assert_eq!(
        (atgm.neq_mg, atgm.hazard_division),
        (2_700_000, Some(HazardDivision::D1_1))
    );
    assert_eq!(line("item:r1").neq_mg, 0);
    let totals: Vec<(Option<HazardDivision>, i64)> = soh
        .totals
        .iter()
        .filter(|t| t.site == site(DEPOT_A))
        .map(|t| (t.hazard_division, t.neq_mg))
        .collect();
    assert!(
        totals.contains(&(Some(HazardDivision::D1_4), 2_350_000)),
        "{totals:?}"
    );
    assert!(
        totals.contains(&(Some(HazardDivision::D1_1), 2_700_000)),
        "{totals:?}"
    );
    // The same figures as the NEQ totals per site and division.
    assert_eq!(total(&w, DEPOT_A, HazardDivision::D1_4).0, 2_350_000);
    assert_eq!(total(&w, DEPOT_A, HazardDivision::D1_1).0, 2_700_000);
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn stock_history_counts_serialized_munitions_by_their_own_division_and_milligrams() {
    let mut w = World::new();
    w.record(
        ADMIN,
        register_site_body(MAGAZINE, SiteKind::Magazine, Some(DEPOT_A)),
    );
    record_cord_and_missile(&mut w);

    let history = w.ledger.stock_history(86_400).unwrap();
    let now = w
        .ledger
        .stock_on_hand(&custodia::StockFilter::default())
        .unwrap()
        .totals;
    assert_eq!(history.last().unwrap().totals, now);
    let magazine = now
        .iter()
        .find(|t| t.site == site(MAGAZINE) && t.hazard_division == Some(HazardDivision::D1_1))
        .unwrap();
    // 50,000 mm of cord at 10 mg and the missile's own 2.7 kg; one unit for the missile.
    assert_eq!((magazine.units, magazine.neq_mg), (50_001, 3_200_000));
}
