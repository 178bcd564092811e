//! The example rules' samples (`plugins/rules/*/tests/`) are real: the input documents below
//! are built by the ledger (`Ledger::rule_input`) from scripted events, and each sample listed
//! in [`REAL`] is exactly one of them. The other samples of those rules vary one of these
//! documents (a date moved, a licence removed), as their names say. When the input document
//! changes, `CUSTODIA_BLESS=1 cargo test -p custodia --test rule_samples` rewrites the listed
//! samples (then look at the varied ones by hand).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::*;
use custodia::model::{
    CompatibilityGroup, Date, Hazard, HazardDivision, JudicialDecision, Licence, LicenceKind, Site,
    SiteKind,
};
use custodia::{SignedEvent, event::RegisterSite};
use serde_json::Value;

/// (rule crate, sample file, document name) of the samples that are the ledger's documents
/// unchanged.
const REAL: &[(&str, &str, &str)] = &[
    (
        "licence_gate",
        "allow.export-through-a-transit-state",
        "export_dispatch",
    ),
    (
        "licence_gate",
        "allow.import-through-a-transit-state",
        "register_items_import",
    ),
    (
        "licence_gate",
        "allow.domestic-transfer-not-judged",
        "transfer_dispatch_after_order",
    ),
    (
        "judicial_release",
        "deny.HOLDING_PERIOD_NOT_ELAPSED.destruction-ordered-the-day-of-registration",
        "judicial_order_destruction",
    ),
    (
        "judicial_release",
        "allow.return-to-owner-has-no-holding-period",
        "judicial_order_return",
    ),
    (
        "judicial_release",
        "allow.destruction-after-a-destruction-order",
        "destruction_after_order",
    ),
    ("judicial_release", "allow.seizure-not-judged", "seizure"),
    (
        "separation_of_duties",
        "allow.destruction-authorised-by-the-ministry-witnessed-by-two-agencies",
        "destruction_after_order",
    ),
    (
        "separation_of_duties",
        "allow.armoury-issues-a-rifle-to-a-clerk",
        "weapon_issue",
    ),
    (
        "separation_of_duties",
        "allow.seizure-not-judged",
        "seizure",
    ),
    (
        "storage_compat",
        "deny.HAZARD_DIVISION_NOT_LICENSED.receipt-of-grenades-at-a-1-4-depot",
        "receipt_11d",
    ),
    (
        "neq_limit",
        "allow.grenades-within-licence-with-1-4s-counted-apart",
        "register_lot_11d",
    ),
    ("neq_limit", "allow.receipt-within-licence", "receipt_11d"),
    ("neq_limit", "allow.dispatch-not-judged", "dispatch_11d"),
    (
        "lot_code_br",
        "allow.lot-registered-outside-brazil-not-judged",
        "register_lot_14s",
    ),
    (
        "inspection_date",
        "allow.lot-inspected-in-time-issued",
        "dispatch_inspected",
    ),
    (
        "inspection_date",
        "deny.INSPECTION_OVERDUE.lot-past-its-inspection-date-issued",
        "dispatch_overdue",
    ),
    (
        "inspection_date",
        "deny.AMMUNITION_EXPIRED.lot-past-its-expiry-issued",
        "dispatch_expired",
    ),
    (
        "inspection_date",
        "allow.overdue-lot-sent-for-demilitarisation",
        "dispatch_overdue_to_demil",
    ),
];

type Docs = BTreeMap<&'static str, Value>;

fn keep(docs: &mut Docs, w: &World, name: &'static str, e: &SignedEvent) {
    docs.insert(name, w.ledger.rule_input(&e.id()).unwrap());
}

fn sample_path(rule: &str, sample: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/rules")
        .join(rule)
        .join("tests")
        .join(format!("{sample}.json"))
}

#[test]
fn the_listed_samples_are_the_ledgers_documents() {
    let docs = documents();
    let bless = std::env::var_os("CUSTODIA_BLESS").is_some();
    for (rule, sample, name) in REAL {
        let doc = &docs[name];
        let path = sample_path(rule, sample);
        if bless {
            let text = serde_json::to_string_pretty(doc).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("`{}`: {e}", path.display()));
        let stored: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            &stored, doc,
            "`{rule}/tests/{sample}.json` is not the ledger's `{name}` document: \
             CUSTODIA_BLESS=1 rewrites it"
        );
    }
}

/// The documents: an export through a transit state; a seizure, two judicial orders and the
/// destruction that follows one; a weapon issue; lots of 1.4S and 1.1D at a magazine and a
/// receipt of 1.1D at a depot licensed for 1.4 only; an import through a transit state.
fn documents() -> Docs {
    let mut docs = Docs::new();
    // 1. An export through a transit state.
    let mut w = World::new();
    let mut x = export_body(A, &["item:r2"], vec![lq("lot:l1", 50)]);
    x.transit_states = vec!["EC".into()];
    x.licences.push(Licence {
        kind: LicenceKind::Transit,
        number: "TR-EC-2026-0009".into(),
        state: "EC".into(),
        issued: Date::parse("2025-12-10").unwrap(),
        expires: Date::parse("2026-03-10").unwrap(),
    });
    let e = w.record(UNIT_A, x);
    keep(&mut docs, &w, "export_dispatch", &e);

    // 2. Seizure, judicial orders, destruction.
    let mut w = World::new();
    let s = w.record(
        UNIT_A,
        seizure_body(A, &["item:r1", "item:r2"], &["lot:l1"], "2026-01-02"),
    );
    keep(&mut docs, &w, "seizure", &s);
    let o = w.record(
        UNIT_A,
        judicial_order_body(
            s.id(),
            JudicialDecision::Destruction,
            &["item:r1"],
            &[],
            "2026-01-05",
        ),
    );
    keep(&mut docs, &w, "judicial_order_destruction", &o);
    let o = w.record(
        UNIT_A,
        judicial_order_body(
            s.id(),
            JudicialDecision::ReturnToOwner,
            &["item:r2"],
            &["lot:l1"],
            "2026-01-05",
        ),
    );
    keep(&mut docs, &w, "judicial_order_return", &o);
    let d = w.record(UNIT_A, dispatch(A, R, &["item:r1"], vec![]));
    keep(&mut docs, &w, "transfer_dispatch_after_order", &d);
    let r = w.record(DEMIL, receipt(d.id(), &["item:r1"], vec![]));
    keep(&mut docs, &w, "transfer_receipt", &r);
    let auth = w.record(ADMIN, authorisation(&["item:r1"], vec![]));
    keep(&mut docs, &w, "destruction_authorisation", &auth);
    let de = w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &[WITNESS_1, WITNESS_2],
    );
    keep(&mut docs, &w, "destruction_after_order", &de);

    // 3. A weapon issue.
    let mut w = World::new();
    let due = ts(w.now + 8 * 3600);
    let i = w.record(
        UNIT_A,
        custodia::event::WeaponIssue {
            from: place(DEPOT_A, UNIT_A),
            to: actor(CLERK_A),
            items: vec![item("item:r1")],
            due,
            reference: None,
        },
    );
    keep(&mut docs, &w, "weapon_issue", &i);

    // 4. Lots of several hazard divisions at a magazine licensed for 1.1 and 1.4.
    let mut w = World::new();
    w.record(
        ADMIN,
        RegisterSite {
            site: Site {
                id: site(MAGAZINE),
                name: "magazine A-1".into(),
                kind: SiteKind::Magazine,
                parent: None,
                country: Some("CO".into()),
                licensed_neq_grams: Some(q(500_000)),
                hazard_divisions: vec![HazardDivision::D1_1, HazardDivision::D1_4],
                two_person_rule: false,
            },
        },
    );
    let e = w.record(
        UNIT_A,
        register_lot_body(MAGAZINE, UNIT_A, "lot:s1", 100_000),
    );
    keep(&mut docs, &w, "register_lot_14s", &e);
    let mut def = lot_def("lot:h1", 1000);
    def.nomenclature = "grenade, hand, fragmentation".into();
    def.hazard = Some(Hazard {
        division: HazardDivision::D1_1,
        group: CompatibilityGroup::D,
    });
    def.neq_grams_per_unit = q(180);
    let e = w.record(UNIT_A, register_lot_def(MAGAZINE, UNIT_A, def));
    keep(&mut docs, &w, "register_lot_11d", &e);
    let d = w.record(
        UNIT_A,
        dispatch((MAGAZINE, UNIT_A), B, &[], vec![lq("lot:h1", 100)]),
    );
    keep(&mut docs, &w, "dispatch_11d", &d);
    let r = w.record(UNIT_B, receipt(d.id(), &[], vec![lq("lot:h1", 100)]));
    keep(&mut docs, &w, "receipt_11d", &r);

    // 6. An import through a transit state (items registered as imported).
    let mut w = World::new();
    let lic = |kind, state: &str, from: &str, to: &str| Licence {
        kind,
        number: format!("{state}-{from}"),
        state: state.into(),
        issued: Date::parse(from).unwrap(),
        expires: Date::parse(to).unwrap(),
    };
    let mut body = register_items_body(DEPOT_B, UNIT_B, &["item:imp-1"]);
    body.origin = custodia::model::Origin {
        kind: custodia::model::OriginKind::Imported,
        reference: Some("IMP-7".into()),
        import: Some(Box::new(custodia::model::ImportRecord {
            date: Date::parse("2026-01-02").unwrap(),
            exporting_state: "RS".into(),
            exporter: "Yugoimport SDPR".into(),
            transit_states: vec!["PA".into()],
            licences: vec![
                lic(LicenceKind::Export, "RS", "2025-10-01", "2026-03-31"),
                lic(LicenceKind::Import, "CO", "2025-09-01", "2026-02-28"),
                lic(LicenceKind::Transit, "PA", "2025-12-15", "2026-01-02"),
            ],
            end_user_certificate: None,
            delivery_verification: None,
            contract: Some("MDN-2025-114".into()),
        })),
    };
    body.items[0].marking.import = Some(custodia::model::ImportMarking {
        country: Some("CO".into()),
        year: Some(2026),
        importer: Some("INDUMIL".into()),
    });
    let e = w.record(UNIT_B, body);
    keep(&mut docs, &w, "register_items_import", &e);

    // 7. Lots issued from a depot (the World's clock starts on 2026-01-05): one inspected in
    // time, one past its next inspection date, one past its expiry; and the overdue one sent to
    // a demilitarisation plant.
    let mut w = World::new();
    w.record(
        ADMIN,
        RegisterSite {
            site: Site {
                id: site("demil:plant"),
                name: "demilitarisation plant".into(),
                kind: SiteKind::Demilitarisation,
                parent: None,
                country: Some("CO".into()),
                licensed_neq_grams: Some(q(1_000_000)),
                hazard_divisions: vec![HazardDivision::D1_4],
                two_person_rule: false,
            },
        },
    );
    let lots = [
        ("lot:ok", Some("2027-03-01"), None),
        ("lot:overdue", Some("2025-12"), None),
        ("lot:expired", Some("2027-03-01"), Some("2025-11-30")),
    ];
    for (id, next, expiry) in lots {
        let mut def = lot_def(id, 10_000);
        def.next_inspection = next.map(|d| Date::parse(d).unwrap());
        def.expiry = expiry.map(|d| Date::parse(d).unwrap());
        w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, def));
    }
    for (name, id, to) in [
        ("dispatch_inspected", "lot:ok", B),
        ("dispatch_overdue", "lot:overdue", B),
        ("dispatch_expired", "lot:expired", B),
        (
            "dispatch_overdue_to_demil",
            "lot:overdue",
            ("demil:plant", DEMIL),
        ),
    ] {
        let d = w.record(UNIT_A, dispatch(A, to, &[], vec![lq(id, 1000)]));
        keep(&mut docs, &w, name, &d);
    }

    docs
}
