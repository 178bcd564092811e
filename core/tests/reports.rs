//! Reports: the Arms Trade Treaty annual report's exports and imports (art. 13.3) and the
//! destruction report, on a ledger that exported, imported and destroyed; a corrected
//! registration is left out; bad arguments are refused with their code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::ErrorCode;
use custodia::model::{
    AttCategory, Date, DeliveryVerification, DestructionMethod, EndUserCertificate, ImportRecord,
    Licence, LicenceKind, Origin, OriginKind, Status,
};

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn licence(kind: LicenceKind, state: &str, issued: &str, expires: &str) -> Licence {
    Licence {
        kind,
        number: format!("{state}-{kind:?}-1"),
        state: state.into(),
        issued: date(issued),
        expires: date(expires),
    }
}

/// Rifles bought from Serbia, entered on 2 January 2026.
fn imported() -> Origin {
    Origin {
        kind: OriginKind::Imported,
        reference: Some("IMP-7".into()),
        import: Some(Box::new(ImportRecord {
            date: date("2026-01-02"),
            exporting_state: "RS".into(),
            exporter: "Yugoimport SDPR".into(),
            transit_states: Vec::new(),
            licences: vec![
                licence(LicenceKind::Export, "RS", "2025-10-01", "2026-03-31"),
                licence(LicenceKind::Import, "CO", "2025-09-01", "2026-02-28"),
            ],
            end_user_certificate: Some(EndUserCertificate {
                reference: "EUC-CO-7".into(),
                issued_by: "Ministerio de Defensa Nacional".into(),
                end_use: None,
            }),
            delivery_verification: Some(DeliveryVerification {
                reference: "DVC-CO-7".into(),
                issued_by: "Ministerio de Defensa Nacional".into(),
                state: "CO".into(),
                date: date("2026-01-04"),
            }),
            contract: None,
        })),
    }
}

/// The test world, then: three rifles imported (two assault rifles, one carbine), a fourth
/// imported and its registration corrected; rifle r1 (no ATT category) exported to Peru and
/// delivered; rifle r2 and 100 rounds destroyed at the range, then 50 more rounds.
fn world() -> World {
    let mut w = World::new();
    let mut body = register_items_body(DEPOT_B, UNIT_B, &["item:i1", "item:i2", "item:i3"]);
    body.origin = imported();
    body.items[0].att_category = Some(AttCategory::AssaultRifles);
    body.items[1].att_category = Some(AttCategory::AssaultRifles);
    body.items[1].item_type = "assault rifle".into();
    body.items[2].att_category = Some(AttCategory::RiflesAndCarbines);
    w.record(UNIT_B, body);
    let mut body = register_items_body(DEPOT_B, UNIT_B, &["item:i4"]);
    body.origin = imported();
    body.items[0].att_category = Some(AttCategory::SubMachineGuns);
    let typo = w.record(UNIT_B, body);
    w.record(UNIT_B, correction(typo.id()));

    let x = w.record(UNIT_A, export_body(A, &["item:r1"], vec![]));
    w.record(
        UNIT_A,
        export_delivery_body(x.id(), &["item:r1"], vec![], "2026-01-05"),
    );

    w.record(
        ADMIN,
        status_change(&["item:r2"], &["lot:l1"], Status::PendingDestruction),
    );
    let d = w.record(
        UNIT_A,
        dispatch(A, R, &["item:r2"], vec![lq("lot:l1", 150)]),
    );
    w.record(
        DEMIL,
        receipt(d.id(), &["item:r2"], vec![lq("lot:l1", 150)]),
    );
    let mut order = authorisation(&["item:r2"], vec![lq("lot:l1", 150)]);
    order.steps.push(DestructionMethod::Melting);
    let auth = w.record(ADMIN, order);
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r2"], vec![lq("lot:l1", 100)]),
        &[WITNESS_1, WITNESS_2],
    );
    // Two steps: totalled under `cutting+melting`, whatever the free text says.
    let mut body = destruction(
        auth.id(),
        "cut, then melted at the foundry",
        &[],
        vec![lq("lot:l1", 50)],
    );
    body.steps = vec![DestructionMethod::Cutting, DestructionMethod::Melting];
    w.record_with(DEMIL, body, &[WITNESS_1, WITNESS_2]);
    w
}

#[test]
fn the_att_report_counts_exports_and_imports_by_category_and_partner() {
    let w = world();
    let report = w.ledger.att_report(2026).unwrap();
    assert_eq!(report.year, 2026);
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(
        v["imports"],
        serde_json::json!([
            {"category": "rifles_and_carbines", "partner_state": "RS", "quantity": 1, "types": ["rifle"]},
            {"category": "assault_rifles", "partner_state": "RS", "quantity": 2, "types": ["assault rifle", "rifle"]},
        ])
    );
    assert_eq!(
        v["exports"],
        serde_json::json!([
            {"category": null, "partner_state": "PE", "quantity": 1, "types": ["rifle"]},
        ])
    );
    // Nothing in another year.
    let other = w.ledger.att_report(2025).unwrap();
    assert!(other.exports.is_empty() && other.imports.is_empty());
    let err = w.ledger.att_report(0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
}

#[test]
fn the_destruction_report_lists_what_was_destroyed_and_totals_it() {
    let w = world();
    let report = w
        .ledger
        .destruction_report(&date("2026-01-01"), &date("2026-01-31"))
        .unwrap();
    assert_eq!(report.destructions.len(), 2);
    assert_eq!(report.destructions[1].lots, vec![lq("lot:l1", 50)]);
    let d = &report.destructions[0];
    assert_eq!(d.site.as_str(), RANGE);
    assert_eq!(d.custodian.as_str(), DEMIL);
    assert_eq!(d.method, "cutting");
    assert_eq!(d.steps, vec![DestructionMethod::Cutting]);
    assert_eq!(d.certificate, "CERT-1");
    assert_eq!(d.authorisation_reference, "ORDER-1");
    assert_eq!(d.authorised_by.as_str(), ADMIN);
    assert_eq!(d.witnesses, witnesses());
    assert_eq!(d.items, vec![item("item:r2")]);
    assert_eq!(d.lots, vec![lq("lot:l1", 100)]);
    let t = serde_json::to_value(&report.totals).unwrap();
    assert_eq!(
        t,
        serde_json::json!([
            {"month": "2026-01", "site": RANGE, "method": "cutting", "destructions": 1, "items": 1, "lot_units": 100},
            {"month": "2026-01", "site": RANGE, "method": "cutting+melting", "destructions": 1, "items": 0, "lot_units": 50},
        ])
    );
    // The period is by the event's day, both ends included.
    let day = &d.at.as_str()[..10];
    let same = w.ledger.destruction_report(&date(day), &date(day)).unwrap();
    assert_eq!(same.destructions.len(), 2);
    let before = w
        .ledger
        .destruction_report(&date("2025-01-01"), &date("2026-01-04"))
        .unwrap();
    assert!(before.destructions.is_empty() && before.totals.is_empty());
    // Bad periods.
    let err = w
        .ledger
        .destruction_report(&date("2026-02-01"), &date("2026-01-01"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
    assert_eq!(err.values()["argument"], "to");
    let err = w
        .ledger
        .destruction_report(&date("2026-01"), &date("2026-01-31"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
    assert_eq!(err.values()["argument"], "from");
}
