//! Format version 2's site kind `demilitarisation` and lot `category`: accepted in a version-2
//! event and shown to rules in the input document; refused in a version-1 event (code, field,
//! ledger unchanged), where `range` keeps standing for demilitarisation facilities too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::ErrorCode;
use custodia::model::{LotCategory, SiteKind};
use serde_json::json;

fn v1_world() -> World {
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    w
}

#[test]
fn version_2_registers_a_demilitarisation_site_and_a_lot_category() {
    let mut w = World::new();
    let site = w.record(
        ADMIN,
        register_site_body("demil:plant-1", SiteKind::Demilitarisation, None),
    );
    let mut lot = lot_def("lot:c9", 500);
    lot.category = Some(LotCategory::Pyrotechnics);
    let registered = w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, lot));
    // Rules see both: the lot's category, and the site kind (as the site of a registration
    // into it would show).
    let doc = w.ledger.rule_input(&registered.id()).unwrap();
    assert_eq!(doc["lots"][0]["category"], "pyrotechnics");
    assert_eq!(doc["event"]["lot"]["category"], "pyrotechnics");
    custodia::rules::check_input(&doc).unwrap();
    let doc = w.ledger.rule_input(&site.id()).unwrap();
    assert_eq!(doc["event"]["site"]["kind"], "demilitarisation");
    custodia::rules::check_input(&doc).unwrap();
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn version_1_cannot_say_demilitarisation_or_a_lot_category() {
    let mut w = v1_world();
    let err = refused(
        &mut w,
        ADMIN,
        register_site_body("demil:plant-1", SiteKind::Demilitarisation, None),
    );
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/site/kind"),
        json!({"value": "site/kind", "reason": "a member of format version 2; this event is of version 1"}),
    );
    let mut lot = lot_def("lot:c9", 500);
    lot.category = Some(LotCategory::Explosives);
    let err = refused(&mut w, UNIT_A, register_lot_def(DEPOT_A, UNIT_A, lot));
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/lot/category"),
        json!({"value": "lot/category", "reason": "a member of format version 2; this event is of version 1"}),
    );
    // A range is still a range in version 1 (firing range or demilitarisation facility).
    w.record(ADMIN, register_site_body("range:r9", SiteKind::Range, None));
}
