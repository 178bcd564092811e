//! Transfers between states (format version 2): exports in two phases (dispatch under
//! licences, then the importing state's delivery verification), and imported stock registered
//! with its import record. Each refusal is checked for its code, its field and its values, and
//! the ledger must be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::event::{ExportDelivery, ExportDispatch};
use custodia::model::{
    AttCategory, Consignee, Date, DeliveryVerification, EndUserCertificate, ImportRecord, Licence,
    LicenceKind, Origin, OriginKind, TransferBasis,
};
use custodia::{ErrorCode, SignedEvent};
use serde_json::json;

// ---- harness ---------------------------------------------------------------------------------

/// `event` must be refused by `Ledger::record`, changing nothing (log, state, derived rows).
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

/// Depot A (in `CO`) exports rifle r1 and 300 rounds of l1 to Peru through Ecuador; the test
/// world's clock is in January 2026.
fn export() -> ExportDispatch {
    ExportDispatch {
        from: place(DEPOT_A, UNIT_A),
        items: vec![item("item:r1")],
        lots: vec![lq("lot:l1", 300)],
        exporting_state: "CO".into(),
        importing_state: "PE".into(),
        transit_states: vec!["EC".into()],
        final_consignee: Consignee {
            name: "Ejército del Perú".into(),
            country: "PE".into(),
            address: None,
        },
        end_user_certificate: EndUserCertificate {
            reference: "EUC-PE-1".into(),
            issued_by: "Ministerio de Defensa del Perú".into(),
            end_use: Some("training".into()),
        },
        licences: vec![
            licence(LicenceKind::Export, "CO", "2025-12-01", "2026-06-30"),
            licence(LicenceKind::Import, "PE", "2025-11-15", "2026-05-15"),
            licence(LicenceKind::Transit, "EC", "2025-12-20", "2026-01-31"),
        ],
        basis: TransferBasis::GovernmentToGovernment,
        reference: Some("G2G-1".into()),
    }
}

fn verification(state: &str, day: &str) -> DeliveryVerification {
    DeliveryVerification {
        reference: "DVC-PE-1".into(),
        issued_by: "Ministerio de Defensa del Perú".into(),
        state: state.into(),
        date: date(day),
    }
}

fn delivery(dispatch: &SignedEvent, items: &[&str], rounds: u64) -> ExportDelivery {
    ExportDelivery {
        dispatch: dispatch.id(),
        items: items.iter().map(|i| item(i)).collect(),
        lots: if rounds > 0 {
            vec![lq("lot:l1", rounds)]
        } else {
            Vec::new()
        },
        verification: verification("PE", "2026-01-05"),
        note: None,
    }
}

// ---- exports ---------------------------------------------------------------------------------

#[test]
fn an_export_leaves_through_the_exported_sink_once_the_importing_state_verified_it() {
    let mut w = World::new();
    let d = w.record(UNIT_A, export());
    let transit = format!("in_transit:{}", d.id());
    assert_eq!(w.balance("item:r1", &transit), 1);
    assert_eq!(w.balance("lot:l1", &transit), 300);
    assert_eq!(w.balance("lot:l1", &holding(DEPOT_A, UNIT_A)), 700);
    let v = w.record(UNIT_A, delivery(&d, &["item:r1"], 280));
    assert_eq!(w.balance("item:r1", &transit), 0);
    assert_eq!(w.balance("item:r1", "sink:exported"), 1);
    assert_eq!(w.balance("lot:l1", "sink:exported"), 280);
    assert_eq!(w.balance("lot:l1", &format!("discrepancy:{}", v.id())), 20);
    w.ledger.check_invariants().unwrap();
    // The export is closed: a second verification of it is refused.
    let err = refused(&mut w, UNIT_A, delivery(&d, &["item:r1"], 280));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/dispatch"),
        json!({"value": d.id().to_hex()}),
    );
    // Exported stock is gone: it cannot be dispatched again.
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &["item:r1"], Vec::new()));
    assert_eq!(err.code(), ErrorCode::InsufficientStock, "{err}");
}

#[test]
fn an_export_to_an_unknown_country_is_refused() {
    let mut w = World::new();
    let mut e = export();
    e.importing_state = "XK".into();
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::UnknownCountry,
        Some("/importing_state"),
        json!({"value": "XK"}),
    );
    let mut e = export();
    e.transit_states = vec!["EC".into(), "ZZ".into()];
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::UnknownCountry,
        Some("/transit_states/1"),
        json!({"value": "ZZ"}),
    );
}

#[test]
fn an_export_under_an_expired_licence_is_refused() {
    let mut w = World::new();
    let mut e = export();
    e.licences[2] = licence(LicenceKind::Transit, "EC", "2025-06-01", "2026-01-04");
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::LicenceExpired,
        Some("/licences/2/expires"),
        json!({"number": "EC-Transit-1", "expires": "2026-01-04", "at": "2026-01-05"}),
    );
}

#[test]
fn a_licence_is_valid_through_its_expiry_day() {
    let mut w = World::new();
    let mut e = export();
    e.licences[0] = licence(LicenceKind::Export, "CO", "2025-06-01", "2026-01-05");
    w.record(UNIT_A, e);
}

#[test]
fn an_export_under_a_licence_not_yet_issued_is_refused() {
    let mut w = World::new();
    let mut e = export();
    e.licences[0] = licence(LicenceKind::Export, "CO", "2026-01-06", "2026-06-30");
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::LicenceNotYetValid,
        Some("/licences/0/issued"),
        json!({"number": "CO-Export-1", "issued": "2026-01-06", "at": "2026-01-05"}),
    );
}

#[test]
fn an_export_to_the_exporting_state_is_refused() {
    let mut w = World::new();
    let mut e = export();
    e.importing_state = "CO".into();
    e.final_consignee.country = "CO".into();
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::SameState,
        Some("/importing_state"),
        json!({"state": "CO"}),
    );
}

#[test]
fn states_named_in_the_wrong_role_are_refused() {
    let mut w = World::new();
    // The dispatching site is in CO.
    let mut e = export();
    e.exporting_state = "VE".into();
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::StateMismatch,
        Some("/exporting_state"),
        json!({"state": "VE", "expected": "CO", "role": "state of the dispatching site"}),
    );
    // An import licence issued by a state that is not the importing state.
    let mut e = export();
    e.licences[1].state = "BO".into();
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::StateMismatch,
        Some("/licences/1/state"),
        json!({"state": "BO", "expected": "PE", "role": "importing state"}),
    );
    // A transit authorisation from a state the consignment does not cross.
    let mut e = export();
    e.licences[2].state = "BR".into();
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::StateMismatch,
        Some("/licences/2/state"),
        json!({"state": "BR", "expected": "EC", "role": "transit states"}),
    );
    // A final consignee outside the importing state.
    let mut e = export();
    e.final_consignee.country = "CL".into();
    let err = refused(&mut w, UNIT_A, e);
    check(
        &err,
        ErrorCode::StateMismatch,
        Some("/final_consignee/country"),
        json!({"state": "CL", "expected": "PE", "role": "importing state"}),
    );
}

#[test]
fn an_export_of_stock_not_held_is_refused() {
    let mut w = World::new();
    let mut e = export();
    e.from = place(DEPOT_A, UNIT_B);
    let err = refused(&mut w, UNIT_B, e);
    assert_eq!(err.code(), ErrorCode::InsufficientStock, "{err}");
}

#[test]
fn a_delivery_verified_by_another_state_than_the_importing_state_is_refused() {
    let mut w = World::new();
    let d = w.record(UNIT_A, export());
    let mut v = delivery(&d, &["item:r1"], 300);
    v.verification.state = "EC".into();
    let err = refused(&mut w, UNIT_A, v);
    check(
        &err,
        ErrorCode::StateMismatch,
        Some("/verification/state"),
        json!({"state": "EC", "expected": "PE", "role": "importing state"}),
    );
    let mut v = delivery(&d, &["item:r1"], 300);
    v.verification.state = "QQ".into();
    let err = refused(&mut w, UNIT_A, v);
    check(
        &err,
        ErrorCode::UnknownCountry,
        Some("/verification/state"),
        json!({"value": "QQ"}),
    );
}

#[test]
fn a_delivery_of_what_was_not_exported_is_refused() {
    let mut w = World::new();
    let d = w.record(UNIT_A, export());
    let err = refused(&mut w, UNIT_A, delivery(&d, &["item:r2"], 300));
    check(
        &err,
        ErrorCode::NotDispatched,
        Some("/items/0"),
        json!({"stock": "item:r2", "dispatch": d.id().to_hex()}),
    );
    let err = refused(&mut w, UNIT_A, delivery(&d, &["item:r1"], 301));
    assert_eq!(err.code(), ErrorCode::OverReceipt, "{err}");
    assert_eq!(err.field(), Some("/lots/0/quantity"));
    let mut v = delivery(&d, &["item:r1"], 300);
    v.verification.date = date("2026-02-01");
    let err = refused(&mut w, UNIT_A, v);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/verification/date"));
    // Only the exporter's custodian records the verification.
    let err = refused(&mut w, UNIT_B, delivery(&d, &["item:r1"], 300));
    assert_eq!(err.code(), ErrorCode::NotCustodian, "{err}");
    assert_eq!(err.field(), Some("/actor"));
}

#[test]
fn an_export_in_a_version_1_event_is_refused() {
    let mut w = World::new();
    let mut event = w.event(UNIT_A, export());
    event.v = 1;
    let err = refused_event(&mut w, event);
    assert!(
        matches!(
            err.code(),
            ErrorCode::SchemaViolation | ErrorCode::FieldInvalid
        ),
        "{err}"
    );
    assert_eq!(err.field(), Some("/v"), "{err}");
}

#[test]
fn a_correction_reverses_an_export_dispatch() {
    let mut w = World::new();
    let d = w.record(UNIT_A, export());
    w.record(UNIT_A, correction(d.id()));
    assert_eq!(w.balance("item:r1", &holding(DEPOT_A, UNIT_A)), 1);
    assert_eq!(w.balance("lot:l1", &holding(DEPOT_A, UNIT_A)), 1000);
    // The export is no longer open.
    let err = refused(&mut w, UNIT_A, delivery(&d, &["item:r1"], 300));
    assert_eq!(err.code(), ErrorCode::UnknownReference, "{err}");
    w.ledger.check_invariants().unwrap();
}

// ---- imports ---------------------------------------------------------------------------------

fn import_record() -> ImportRecord {
    ImportRecord {
        date: date("2026-01-02"),
        exporting_state: "RS".into(),
        exporter: "Yugoimport SDPR".into(),
        transit_states: vec!["PA".into()],
        licences: vec![
            licence(LicenceKind::Export, "RS", "2025-10-01", "2026-03-31"),
            licence(LicenceKind::Import, "CO", "2025-09-01", "2026-02-28"),
            licence(LicenceKind::Transit, "PA", "2025-12-15", "2026-01-02"),
        ],
        end_user_certificate: Some(EndUserCertificate {
            reference: "EUC-CO-7".into(),
            issued_by: "Ministerio de Defensa Nacional".into(),
            end_use: None,
        }),
        delivery_verification: Some(verification("CO", "2026-01-04")),
        contract: Some("MDN-2025-114".into()),
    }
}

fn imported() -> Origin {
    Origin {
        kind: OriginKind::Imported,
        reference: Some("IMP-7".into()),
        import: Some(Box::new(import_record())),
    }
}

#[test]
fn imported_stock_enters_with_its_import_record() {
    let mut w = World::new();
    let mut body = register_lot_body(DEPOT_B, UNIT_B, "lot:imp", 5000);
    body.origin = imported();
    w.record(UNIT_B, body);
    assert_eq!(w.balance("lot:imp", "source:imported"), -5000);
    let mut body = register_items_body(DEPOT_B, UNIT_B, &["item:imp-1"]);
    body.origin = imported();
    body.items[0].att_category = Some(AttCategory::RiflesAndCarbines);
    w.record(UNIT_B, body);
    assert_eq!(w.balance("item:imp-1", &holding(DEPOT_B, UNIT_B)), 1);
}

#[test]
fn imported_stock_without_its_import_record_is_refused() {
    let mut w = World::new();
    let mut body = register_lot_body(DEPOT_B, UNIT_B, "lot:imp", 5000);
    body.origin.kind = OriginKind::Imported;
    let err = refused(&mut w, UNIT_B, body);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/origin/import"));
}

#[test]
fn an_import_record_on_stock_that_was_not_imported_is_refused() {
    let mut w = World::new();
    let mut body = register_items_body(DEPOT_B, UNIT_B, &["item:imp-1"]);
    body.origin = imported();
    body.origin.kind = OriginKind::Seized;
    let err = refused(&mut w, UNIT_B, body);
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/origin/import"),
        json!({"value": "seized", "reason": "an import record belongs to imported stock"}),
    );
}

#[test]
fn an_import_record_with_bad_states_or_licences_is_refused() {
    let mut w = World::new();
    let with = |edit: &dyn Fn(&mut ImportRecord)| {
        let mut body = register_lot_body(DEPOT_B, UNIT_B, "lot:imp", 5000);
        let mut record = import_record();
        edit(&mut record);
        body.origin = Origin {
            kind: OriginKind::Imported,
            reference: None,
            import: Some(Box::new(record)),
        };
        body
    };
    let err = refused(&mut w, UNIT_B, with(&|r| r.exporting_state = "CO".into()));
    check(
        &err,
        ErrorCode::SameState,
        Some("/origin/import/exporting_state"),
        json!({"state": "CO"}),
    );
    let err = refused(&mut w, UNIT_B, with(&|r| r.exporting_state = "YU".into()));
    check(
        &err,
        ErrorCode::UnknownCountry,
        Some("/origin/import/exporting_state"),
        json!({"value": "YU"}),
    );
    // Licences are judged on the day of import, not on the day of registration.
    let err = refused(&mut w, UNIT_B, with(&|r| r.date = date("2026-01-03")));
    check(
        &err,
        ErrorCode::LicenceExpired,
        Some("/origin/import/licences/2/expires"),
        json!({"number": "PA-Transit-1", "expires": "2026-01-02", "at": "2026-01-03"}),
    );
    let err = refused(&mut w, UNIT_B, with(&|r| r.licences[1].state = "PE".into()));
    check(
        &err,
        ErrorCode::StateMismatch,
        Some("/origin/import/licences/1/state"),
        json!({"state": "PE", "expected": "CO", "role": "importing state"}),
    );
    let err = refused(
        &mut w,
        UNIT_B,
        with(&|r| r.delivery_verification = Some(verification("RS", "2026-01-04"))),
    );
    check(
        &err,
        ErrorCode::StateMismatch,
        Some("/origin/import/delivery_verification/state"),
        json!({"state": "RS", "expected": "CO", "role": "importing state"}),
    );
    let err = refused(&mut w, UNIT_B, with(&|r| r.date = date("2026-02-01")));
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/origin/import/date"));
}

#[test]
fn members_of_version_2_are_refused_in_a_version_1_event() {
    // A ledger of version-1 events (versions never go back, 2028).
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    let mut body = register_lot_body(DEPOT_B, UNIT_B, "lot:imp", 5000);
    body.origin = imported();
    let mut event = w.event(UNIT_B, body);
    event.v = 1;
    let err = refused_event(&mut w, event);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/origin/import"));

    let mut body = register_items_body(DEPOT_B, UNIT_B, &["item:x"]);
    body.items[0].att_category = Some(AttCategory::AssaultRifles);
    let mut event = w.event(UNIT_B, body);
    event.v = 1;
    let err = refused_event(&mut w, event);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/items/0/att_category"));

    // Version 1 judged an imported origin without a record as it was then: accepted.
    let mut body = register_lot_body(DEPOT_B, UNIT_B, "lot:old", 10);
    body.origin.kind = OriginKind::Imported;
    let mut event = w.event(UNIT_B, body);
    event.v = 1;
    w.record_event(event, &[]).unwrap();
}
