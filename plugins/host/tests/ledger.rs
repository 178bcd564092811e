//! The rules in the ledger, through the front door: a `rules_in_force` event puts five
//! example plugins in force (and, in its own test, the Argentina-style destruction rule); appends they deny are refused with `RuleDenied` (6001), naming the
//! rule and its code, and change nothing; a plugin that fails gives `RuleFailed` (6002) with
//! how it failed; rules in force without a rule engine give `RulesNotLoaded` (6003).
//! Verification re-runs the same plugins, and fails when an event the rules deny was slipped
//! into the history by software that skipped them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use custodia::event::{
    DestructionAuthorisation, LotQuantity, Place, RegisterActor, RegisterItems, RegisterLot,
    RegisterSite, StatusChange, TransferDispatch, TransferReceipt, Witness,
};
use custodia::model::*;
use custodia::rules::{RuleEngine, RuleOutcome, RuleRef, RuleWarning};
use custodia::{
    BalanceFilter, Body, ErrorCode, Event, Ledger, Options, SignedEvent, Signer, verify_jsonl,
};
use custodia_plugins::{Limits, Manifest, PluginHost, RuleSet};
use serde_json::json;

fn plugins_dir() -> PathBuf {
    let dir = std::env::var_os("CUSTODIA_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins"));
    assert!(
        dir.join("witnesses.wasm").exists(),
        "`{}` has no plugins: run `scripts/build-plugins.sh` first",
        dir.display()
    );
    dir
}

/// The five example rules this campaign (Colombia-style sites and agencies) is written for;
/// `destruction_ar` has its own test below.
const CAMPAIGN_RULES: [&str; 5] = [
    "witnesses",
    "marking",
    "storage_compat",
    "destruction_preconditions",
    "neq_limit",
];

fn load(names: &[&str]) -> Arc<RuleSet> {
    let host = PluginHost::new(Limits::default()).unwrap();
    let mut set = RuleSet::new();
    for name in names {
        let manifest = plugins_dir().join(format!("{name}.json"));
        set.insert(
            host.load_manifest(&manifest)
                .unwrap_or_else(|e| panic!("`{}`: {e}", manifest.display())),
        );
    }
    assert_eq!(set.refs().len(), names.len(), "{set:?}");
    Arc::new(set)
}

fn rules() -> Arc<RuleSet> {
    load(&CAMPAIGN_RULES)
}

fn at(day: u32) -> Timestamp {
    Timestamp::from_unix_seconds(1_767_225_600 + i64::from(day) * 86_400).unwrap()
}
fn a(s: &str) -> ActorId {
    s.parse().unwrap()
}
fn q(n: u64) -> Quantity {
    Quantity::new(n).unwrap()
}
fn key(name: &str) -> Signer {
    let mut seed = [0x5a; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    Signer::from_seed(seed)
}

/// An allow-everything engine: stands for software that skipped the rules.
struct Lax;
impl RuleEngine for Lax {
    fn judge(&self, _: &[RuleRef], _: &serde_json::Value) -> Result<Vec<RuleWarning>, RuleOutcome> {
        Ok(Vec::new())
    }
}

/// Records `body` by `actor` on `day`, signed by the actor and then by `cosigners`.
fn record(
    ledger: &mut Ledger,
    day: u32,
    actor: &str,
    body: impl Into<Body>,
    cosigners: &[&str],
) -> custodia::Result<SignedEvent> {
    let keys: Vec<Signer> = std::iter::once(actor)
        .chain(cosigners.iter().copied())
        .map(key)
        .collect();
    let refs: Vec<&Signer> = keys.iter().collect();
    ledger.record(
        Event::new(at(day), a(actor), Vec::new(), body.into()),
        &refs,
    )
}

/// Actors and sites, then `refs` in force from day 1.
fn setup(engine: Option<Arc<dyn RuleEngine>>, refs: Vec<RuleRef>) -> Ledger {
    let mut options = Options::new();
    if let Some(engine) = engine {
        options = options.rules(engine);
    }
    let mut ledger = Ledger::in_memory(options).unwrap();
    let genesis = Actor {
        id: a("agency:mod"),
        kind: ActorKind::Agency,
        name: "MoD".into(),
        member_of: None,
        roles: vec![Role::Admin, Role::Authoriser],
        keys: vec![key("agency:mod").public_key()],
    };
    record(
        &mut ledger,
        0,
        "agency:mod",
        RegisterActor { subject: genesis },
        &[],
    )
    .unwrap();
    for (id, kind, member_of, roles) in [
        (
            "unit:depot",
            ActorKind::Unit,
            Some("agency:mod"),
            vec![Role::Custodian],
        ),
        (
            "unit:demil",
            ActorKind::Unit,
            Some("agency:mod"),
            vec![Role::Custodian, Role::Destroyer],
        ),
        ("agency:ag", ActorKind::Agency, None, vec![]),
        ("agency:police", ActorKind::Agency, None, vec![]),
        (
            "person:w1",
            ActorKind::Person,
            Some("agency:ag"),
            vec![Role::Witness],
        ),
        (
            "person:w2",
            ActorKind::Person,
            Some("agency:police"),
            vec![Role::Witness],
        ),
        (
            "person:w3",
            ActorKind::Person,
            Some("agency:ag"),
            vec![Role::Witness],
        ),
    ] {
        let subject = Actor {
            id: a(id),
            kind,
            name: id.into(),
            member_of: member_of.map(a),
            roles,
            keys: vec![key(id).public_key()],
        };
        record(&mut ledger, 0, "agency:mod", RegisterActor { subject }, &[]).unwrap();
    }
    for (id, kind, licence) in [
        ("depot:central", SiteKind::Depot, 100_000),
        ("range:r", SiteKind::Range, 1_000_000),
    ] {
        let site = Site {
            id: id.parse().unwrap(),
            name: id.into(),
            kind,
            parent: None,
            country: Some("CO".into()),
            licensed_neq_grams: Some(q(licence)),
            hazard_divisions: vec![HazardDivision::D1_1, HazardDivision::D1_4],
            two_person_rule: false,
        };
        record(&mut ledger, 0, "agency:mod", RegisterSite { site }, &[]).unwrap();
    }
    let in_force = ledger
        .put_rules_in_force(refs.clone(), &a("agency:mod"), at(1), &key("agency:mod"))
        .unwrap();
    assert_eq!(in_force.kind(), "rules_in_force");
    assert_eq!(ledger.rules_in_force().unwrap(), refs);
    ledger
}

fn rifle(id: &str, serial: Option<&str>) -> Item {
    Item {
        id: id.parse().unwrap(),
        category: ItemCategory::Firearm,
        item_type: "rifle".into(),
        marking: Marking {
            manufacturer: Some("ACME".into()),
            country_of_manufacture: Some("CO".into()),
            serial: serial.map(str::to_owned),
            year: Some(1990),
            model: Some("R1".into()),
            calibre: Some("5.56x45mm".into()),
            import: None,
        },
        status: None,
        condition: None,
        disposition: None,
        att_category: None,
        hazard: None,
        neq_mg: None,
    }
}

fn lot(id: &str, n: u64, neq: u64, group: CompatibilityGroup) -> Lot {
    Lot {
        id: id.parse().unwrap(),
        nomenclature: "grenade".into(),
        lot_number: id.into(),
        unit: Unit::Piece,
        quantity: q(n),
        hazard: Some(Hazard {
            division: HazardDivision::D1_1,
            group,
        }),
        neq_grams_per_unit: q(neq),
        neq_mg: None,
        manufactured: None,
        next_inspection: None,
        expiry: None,
        status: None,
        condition: None,
        disposition: None,
        category: None,
    }
}

fn items(ids: &[&str]) -> Vec<ItemId> {
    ids.iter().map(|i| i.parse().unwrap()).collect()
}

/// What a refused append must leave unchanged.
fn snapshot(ledger: &Ledger) -> (u64, custodia::TreeHead, Vec<custodia::Balance>) {
    (
        ledger.len().unwrap(),
        ledger.tree_head().unwrap(),
        ledger.balances(&BalanceFilter::default()).unwrap(),
    )
}

/// Records an event the rules must deny; returns (rule, code) from the error's values.
fn denied(
    ledger: &mut Ledger,
    day: u32,
    actor: &str,
    body: impl Into<Body>,
    cosigners: &[&str],
) -> (String, String) {
    let before = snapshot(ledger);
    let e = record(ledger, day, actor, body, cosigners).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RuleDenied, "{e}");
    assert_eq!(e.index(), Some(0));
    assert!(e.event().is_some());
    assert!(!e.values()["message"].as_str().unwrap().is_empty());
    assert_eq!(
        snapshot(ledger),
        before,
        "a denied event changed the ledger"
    );
    (
        e.values()["rule"].as_str().unwrap().to_owned(),
        e.values()["code"].as_str().unwrap().to_owned(),
    )
}

fn destruction(auth: EventId, ids: &[&str], witnesses: &[(&str, &str)]) -> Body {
    custodia::event::Destruction {
        authorisation: auth,
        site: "range:r".parse().unwrap(),
        custodian: a("unit:demil"),
        method: "cutting".into(),
        steps: vec![DestructionMethod::Cutting],
        certificate: "CERT-1".into(),
        items: items(ids),
        lots: vec![],
        witnesses: witnesses
            .iter()
            .map(|(w, ag)| Witness {
                actor: a(w),
                agency: a(ag),
            })
            .collect(),
    }
    .into()
}

/// The ministry selects items for destruction (format version 2 destroys nothing in service).
fn select_for_destruction(ledger: &mut Ledger, day: u32, ids: &[&str]) {
    record(
        ledger,
        day,
        "agency:mod",
        StatusChange {
            items: items(ids),
            lots: vec![],
            status: None,
            condition: None,
            disposition: Some(Disposition::PendingDestruction),
            reason: "board of survey".into(),
        },
        &[],
    )
    .unwrap();
}

/// A destruction authorisation by cutting of `ids`, valid for a year.
fn authorisation_of(reference: &str, ids: &[&str]) -> DestructionAuthorisation {
    DestructionAuthorisation {
        reference: reference.into(),
        items: items(ids),
        lots: vec![],
        methods: vec!["cutting".into()],
        steps: vec![DestructionMethod::Cutting],
        site: None,
        expires_at: Some(at(365)),
    }
}

fn dispatch_and_receive(ledger: &mut Ledger, day: u32, ids: &[&str], lots: Vec<LotQuantity>) {
    let d = record(
        ledger,
        day,
        "unit:depot",
        TransferDispatch {
            from: Place {
                site: "depot:central".parse().unwrap(),
                custodian: a("unit:depot"),
            },
            to: Place {
                site: "range:r".parse().unwrap(),
                custodian: a("unit:demil"),
            },
            items: items(ids),
            lots: lots.clone(),
            reference: None,
        },
        &[],
    )
    .unwrap();
    record(
        ledger,
        day,
        "unit:demil",
        TransferReceipt {
            dispatch: d.id(),
            items: items(ids),
            lots,
            note: None,
        },
        &[],
    )
    .unwrap();
}

/// Builds a campaign under the five rules, checking each refusal on the way.
fn campaign(set: Arc<RuleSet>) -> Ledger {
    let refs = set.refs();
    let mut ledger = setup(Some(set), refs);

    let seized = Origin {
        kind: OriginKind::Seized,
        reference: Some("CASE-9".into()),
        import: None,
    };
    let reg = |items: Vec<Item>| RegisterItems {
        site: "depot:central".parse().unwrap(),
        custodian: a("unit:depot"),
        origin: seized.clone(),
        items,
    };
    // Marking: the serial number is mandatory on stock on hand.
    let (rule, code) = denied(
        &mut ledger,
        2,
        "unit:depot",
        RegisterItems {
            origin: Origin {
                kind: OriginKind::StockOnHand,
                reference: None,
                import: None,
            },
            ..reg(vec![rifle("item:x1", None)])
        },
        &[],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("marking", "MARKING_INCOMPLETE")
    );
    // A seized rifle whose serial is missing is recorded with a warning (ITI)...
    let event = ledger
        .prepare(Event::new(
            at(2),
            a("unit:depot"),
            Vec::new(),
            reg(vec![rifle("item:u1", None)]).into(),
        ))
        .unwrap();
    let report = ledger
        .append(&[event.sign(&[&key("unit:depot")]).unwrap()])
        .unwrap();
    let codes: Vec<&str> = report.events[0]
        .warnings
        .iter()
        .map(|w| w.code.as_str())
        .collect();
    assert_eq!(codes, ["MARKING_MISSING"]);
    // ...and may not be transferred until it is marked.
    let send_u1 = || TransferDispatch {
        from: Place {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
        },
        to: Place {
            site: "range:r".parse().unwrap(),
            custodian: a("unit:demil"),
        },
        items: vec!["item:u1".parse().unwrap()],
        lots: Vec::new(),
        reference: None,
    };
    let (rule, code) = denied(&mut ledger, 2, "unit:depot", send_u1(), &[]);
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("marking", "MARKING_REQUIRED")
    );
    record(
        &mut ledger,
        2,
        "unit:depot",
        custodia::event::MarkItems {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
            marked_by: a("unit:depot"),
            marked_on: Date::parse("2026-01-03").unwrap(),
            marks: vec![Mark {
                item: "item:u1".parse().unwrap(),
                kind: MarkKind::Unique,
                elements: Marking {
                    serial: Some("CO-STATE-1".into()),
                    ..Marking::default()
                },
                position: "left side of the receiver".into(),
                method: None,
            }],
            reference: None,
        },
        &[],
    )
    .unwrap();
    record(&mut ledger, 2, "unit:depot", send_u1(), &[]).unwrap();
    record(
        &mut ledger,
        2,
        "unit:depot",
        reg(vec![
            rifle("item:x1", Some("SN1")),
            rifle("item:x2", Some("SN2")),
        ]),
        &[],
    )
    .unwrap();
    // A recommended element missing is a warning, reported with the append.
    let mut no_model = rifle("item:x3", Some("SN3"));
    no_model.marking.model = None;
    let event = ledger
        .prepare(Event::new(
            at(2),
            a("unit:depot"),
            Vec::new(),
            reg(vec![no_model]).into(),
        ))
        .unwrap();
    let report = ledger
        .append(&[event.sign(&[&key("unit:depot")]).unwrap()])
        .unwrap();
    let warnings = &report.events[0].warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        (warnings[0].rule.as_str(), warnings[0].code.as_str()),
        ("marking", "MARKING_RECOMMENDED_MISSING")
    );
    // Explosive limit: 100 kg licence at the depot.
    let origin = Origin {
        kind: OriginKind::StockOnHand,
        reference: None,
        import: None,
    };
    let lot_body = |l: Lot| RegisterLot {
        site: "depot:central".parse().unwrap(),
        custodian: a("unit:depot"),
        origin: origin.clone(),
        lot: l,
    };
    let (rule, code) = denied(
        &mut ledger,
        2,
        "unit:depot",
        lot_body(lot("lot:g1", 1000, 200, CompatibilityGroup::D)),
        &[],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("neq-limit", "NEQ_LIMIT_EXCEEDED")
    );
    record(
        &mut ledger,
        2,
        "unit:depot",
        lot_body(lot("lot:g1", 100, 200, CompatibilityGroup::D)),
        &[],
    )
    .unwrap();
    // Storage compatibility: B with D is refused by the (made-up) table.
    let (rule, code) = denied(
        &mut ledger,
        2,
        "unit:depot",
        lot_body(lot("lot:det", 10, 1, CompatibilityGroup::B)),
        &[],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("storage-compat", "STORAGE_INCOMPATIBLE")
    );

    dispatch_and_receive(
        &mut ledger,
        3,
        &["item:x1", "item:x2"],
        vec![LotQuantity {
            lot: "lot:g1".parse().unwrap(),
            quantity: q(10),
        }],
    );
    select_for_destruction(&mut ledger, 4, &["item:x1", "item:x2"]);
    let auth = record(
        &mut ledger,
        4,
        "agency:mod",
        authorisation_of("ORDER-1", &["item:x1", "item:x2"]),
        &[],
    )
    .unwrap();
    let ok_witnesses = [("person:w1", "agency:ag"), ("person:w2", "agency:police")];
    // Seized items must be held 90 days before destruction.
    let (rule, code) = denied(
        &mut ledger,
        30,
        "unit:demil",
        destruction(auth.id(), &["item:x1"], &ok_witnesses),
        &["person:w1", "person:w2"],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("destruction-preconditions", "HOLDING_PERIOD_NOT_ELAPSED")
    );
    // Witnesses: two, from two agencies, all signing.
    let (rule, code) = denied(
        &mut ledger,
        100,
        "unit:demil",
        destruction(auth.id(), &["item:x1"], &[("person:w1", "agency:ag")]),
        &["person:w1"],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("witnesses", "WITNESSES_TOO_FEW")
    );
    let (_, code) = denied(
        &mut ledger,
        100,
        "unit:demil",
        destruction(
            auth.id(),
            &["item:x1"],
            &[("person:w1", "agency:ag"), ("person:w3", "agency:ag")],
        ),
        &["person:w1", "person:w3"],
    );
    assert_eq!(code, "WITNESS_AGENCIES_TOO_FEW");
    let (_, code) = denied(
        &mut ledger,
        100,
        "unit:demil",
        destruction(auth.id(), &["item:x1"], &ok_witnesses),
        &["person:w1"],
    );
    assert_eq!(code, "WITNESS_NOT_SIGNED");
    record(
        &mut ledger,
        100,
        "unit:demil",
        destruction(auth.id(), &["item:x1"], &ok_witnesses),
        &["person:w1", "person:w2"],
    )
    .unwrap();
    ledger
}

fn export(ledger: &Ledger) -> Vec<u8> {
    let mut out = Vec::new();
    ledger.export_jsonl(&mut out).unwrap();
    out
}

#[test]
fn rules_in_force_refuse_events_and_verification_reruns_them() {
    let set = rules();
    let mut ledger = campaign(set.clone());
    let n = ledger.len().unwrap();
    // 1 + 7 actors, 2 sites, rules (index 10), 2 item registrations, a seized rifle without
    // serial, its marking and its dispatch, 1 lot, dispatch, receipt, the status change that
    // selects the rifles for destruction, authorisation, destruction.
    assert_eq!(n, 22);

    // The stored ledger and its export verify with the plugins.
    let report = ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, n);
    let lines = export(&ledger);
    let engine: &dyn RuleEngine = set.as_ref();
    let exported = verify_jsonl(lines.as_slice(), Some(engine));
    assert!(exported.ok, "{:?}", exported.failure);
    assert_eq!(exported.events, n);
    assert_eq!(exported.state_digest, report.state_digest);

    // Without the plugins, verification cannot confirm the verdicts and says so at the first
    // event judged after the rules were put in force.
    let bare = verify_jsonl(lines.as_slice(), None);
    assert!(!bare.ok);
    let f = bare.failure.unwrap();
    assert_eq!(f.code(), ErrorCode::RulesNotLoaded, "{f}");
    assert_eq!(f.index(), Some(11));
    assert_eq!(bare.events, 11);
    let names = f.values()["rules"].as_str().unwrap().to_owned();
    for rule in [
        "marking",
        "witnesses",
        "destruction-preconditions",
        "storage-compat",
        "neq-limit",
    ] {
        assert!(names.contains(rule), "{names}");
    }
    ledger.set_rules(None);
    let report = ledger.verify().unwrap();
    assert!(!report.ok);
    let f = report.failure.unwrap();
    assert_eq!((f.code(), f.index()), (ErrorCode::RulesNotLoaded, Some(11)));

    // Nor can anything be appended while rules are in force and no engine is given.
    let before = snapshot(&ledger);
    let e = record(
        &mut ledger,
        101,
        "unit:depot",
        RegisterItems {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
            origin: Origin {
                kind: OriginKind::StockOnHand,
                reference: None,
                import: None,
            },
            items: vec![rifle("item:x9", Some("SN9"))],
        },
        &[],
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RulesNotLoaded, "{e}");
    assert_eq!(snapshot(&ledger), before);
    // Given the engine again, the same event is accepted.
    ledger.set_rules(Some(set));
    record(
        &mut ledger,
        101,
        "unit:depot",
        RegisterItems {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
            origin: Origin {
                kind: OriginKind::StockOnHand,
                reference: None,
                import: None,
            },
            items: vec![rifle("item:x9", Some("SN9"))],
        },
        &[],
    )
    .unwrap();
    assert_eq!(ledger.len().unwrap(), n + 1);
}

#[test]
fn an_event_the_rules_deny_fails_verification_even_if_it_was_appended() {
    let set = rules();
    // Software that skipped the rules appends a one-witness destruction.
    let mut ledger = setup(Some(Arc::new(Lax)), set.refs());
    record(
        &mut ledger,
        2,
        "unit:depot",
        RegisterItems {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
            origin: Origin {
                kind: OriginKind::StockOnHand,
                reference: None,
                import: None,
            },
            items: vec![rifle("item:y1", Some("S"))],
        },
        &[],
    )
    .unwrap();
    dispatch_and_receive(&mut ledger, 3, &["item:y1"], vec![]);
    select_for_destruction(&mut ledger, 4, &["item:y1"]);
    let auth = record(
        &mut ledger,
        4,
        "agency:mod",
        authorisation_of("O", &["item:y1"]),
        &[],
    )
    .unwrap();
    let bad = record(
        &mut ledger,
        5,
        "unit:demil",
        destruction(auth.id(), &["item:y1"], &[("person:w1", "agency:ag")]),
        &["person:w1"],
    )
    .unwrap();
    let n = ledger.len().unwrap();
    let check = |f: &custodia::Error| {
        assert_eq!(f.code(), ErrorCode::RuleDenied, "{f}");
        assert_eq!(f.event(), Some(bad.id()));
        assert_eq!(f.index(), Some(n - 1));
        assert_eq!(f.values()["rule"], json!("witnesses"));
        assert_eq!(f.values()["code"], json!("WITNESSES_TOO_FEW"));
    };
    // The lax engine passes its own ledger; the real plugins do not.
    assert!(ledger.verify().unwrap().ok);
    let engine: &dyn RuleEngine = set.as_ref();
    let report = verify_jsonl(export(&ledger).as_slice(), Some(engine));
    assert_eq!(report.events, n - 1);
    check(&report.failure.unwrap());
    ledger.set_rules(Some(set));
    let report = ledger.verify().unwrap();
    assert!(!report.ok);
    check(&report.failure.unwrap());
}

/// A trapping plugin, written in WAT.
fn trapping_rule_set() -> RuleSet {
    let host = PluginHost::new(Limits::default()).unwrap();
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "custodia_abi_version") (result i32) i32.const 1)
             (func (export "judge") (result i32) unreachable))"#,
    )
    .unwrap();
    let manifest = Manifest::new(
        "trapper",
        "0.1.0",
        "TEST",
        "trapper.wasm",
        &bytes,
        json!({}),
    );
    let mut set = RuleSet::new();
    set.insert(host.load(manifest, &bytes).unwrap());
    set
}

#[test]
fn a_failing_or_missing_plugin_refuses_the_event_with_how_it_failed() {
    let register = |id: &str| RegisterItems {
        site: "depot:central".parse().unwrap(),
        custodian: a("unit:depot"),
        origin: Origin {
            kind: OriginKind::StockOnHand,
            reference: None,
            import: None,
        },
        items: vec![rifle(id, Some("SN"))],
    };
    // A plugin that traps.
    let set = Arc::new(trapping_rule_set());
    let refs = set.refs();
    assert_eq!(refs.len(), 1);
    let mut ledger = setup(Some(set), refs);
    let before = snapshot(&ledger);
    let e = record(&mut ledger, 2, "unit:depot", register("item:t1"), &[]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RuleFailed, "{e}");
    assert_eq!(e.values()["rule"], json!("trapper"));
    assert_eq!(e.values()["failure"], json!("trap"));
    assert_eq!(snapshot(&ledger), before);

    // Plugins in force that the engine has not loaded.
    let real = rules();
    let mut ledger = setup(Some(Arc::new(RuleSet::new())), real.refs());
    let e = record(&mut ledger, 2, "unit:depot", register("item:t2"), &[]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RuleFailed, "{e}");
    assert_eq!(e.values()["failure"], json!("not_loaded"));
    let first = &real.refs()[0];
    assert_eq!(e.values()["rule"], json!(first.name));
    // Loading them fixes it.
    ledger.set_rules(Some(real));
    record(&mut ledger, 2, "unit:depot", register("item:t2"), &[]).unwrap();
}

/// The Argentina-style rule (`plugins/rules/destruction_ar`) in force refuses real
/// destructions: by a method not allowed for firearms, without a witness of ANMaC, at a site
/// that is not a demilitarisation facility; it allows the lawful one, and verification re-runs
/// it to the same verdicts.
#[test]
fn the_argentina_rule_refuses_real_destructions_once_in_force() {
    let set = load(&["destruction_ar"]);
    let refs = set.refs();
    let mut ledger = setup(Some(set.clone()), refs);
    for (id, kind, member_of, roles) in [
        ("agency:anmac", ActorKind::Agency, None, vec![]),
        (
            "person:anmac-4",
            ActorKind::Person,
            Some("agency:anmac"),
            vec![Role::Witness],
        ),
    ] {
        let subject = Actor {
            id: a(id),
            kind,
            name: id.into(),
            member_of: member_of.map(a),
            roles,
            keys: vec![key(id).public_key()],
        };
        record(&mut ledger, 2, "agency:mod", RegisterActor { subject }, &[]).unwrap();
    }
    let plant = Site {
        id: "demil:plant".parse().unwrap(),
        name: "Villa Maria demilitarisation plant".into(),
        kind: SiteKind::Demilitarisation,
        parent: None,
        country: Some("AR".into()),
        licensed_neq_grams: None,
        hazard_divisions: vec![],
        two_person_rule: false,
    };
    record(
        &mut ledger,
        2,
        "agency:mod",
        RegisterSite { site: plant },
        &[],
    )
    .unwrap();
    let seized = Origin {
        kind: OriginKind::Seized,
        reference: Some("CAUSA-1187".into()),
        import: None,
    };
    for (site, ids) in [
        ("demil:plant", ["item:fal-1", "item:fal-2"]),
        ("range:r", ["item:fal-3", "item:fal-4"]),
    ] {
        record(
            &mut ledger,
            3,
            "unit:demil",
            RegisterItems {
                site: site.parse().unwrap(),
                custodian: a("unit:demil"),
                origin: seized.clone(),
                items: ids.iter().map(|id| rifle(id, Some(id))).collect(),
            },
            &[],
        )
        .unwrap();
    }
    select_for_destruction(&mut ledger, 4, &["item:fal-1", "item:fal-2", "item:fal-3"]);
    let auth = record(
        &mut ledger,
        4,
        "agency:mod",
        DestructionAuthorisation {
            reference: "RES-2026-55".into(),
            items: items(&["item:fal-1", "item:fal-2", "item:fal-3"]),
            lots: vec![],
            methods: vec!["cutting".into(), "open_burning".into()],
            steps: vec![DestructionMethod::Cutting, DestructionMethod::OpenBurning],
            site: None,
            expires_at: Some(at(365)),
        },
        &[],
    )
    .unwrap();
    let at_site = |site: &str, method: &str, id: &str, witness: (&str, &str)| -> Body {
        custodia::event::Destruction {
            authorisation: auth.id(),
            site: site.parse().unwrap(),
            custodian: a("unit:demil"),
            method: method.into(),
            steps: vec![
                DestructionMethod::ALL
                    .iter()
                    .copied()
                    .find(|m| m.as_str() == method)
                    .unwrap(),
            ],
            certificate: "ACTA-1".into(),
            items: items(&[id]),
            lots: vec![],
            witnesses: vec![Witness {
                actor: a(witness.0),
                agency: a(witness.1),
            }],
        }
        .into()
    };
    let anmac = ("person:anmac-4", "agency:anmac");
    let cases = [
        (
            at_site("demil:plant", "open_burning", "item:fal-1", anmac),
            "person:anmac-4",
            "METHOD_NOT_ALLOWED",
        ),
        (
            at_site(
                "demil:plant",
                "cutting",
                "item:fal-1",
                ("person:w1", "agency:ag"),
            ),
            "person:w1",
            "AGENCY_WITNESS_MISSING",
        ),
        (
            at_site("range:r", "cutting", "item:fal-3", anmac),
            "person:anmac-4",
            "SITE_NOT_DEMILITARISATION",
        ),
    ];
    for (body, cosigner, want) in cases {
        let (rule, code) = denied(&mut ledger, 10, "unit:demil", body, &[cosigner]);
        assert_eq!((rule.as_str(), code.as_str()), ("destruction-ar", want));
    }
    // The inspector named as witness but not signing: refused too.
    let (_, code) = denied(
        &mut ledger,
        10,
        "unit:demil",
        at_site("demil:plant", "cutting", "item:fal-1", anmac),
        &[],
    );
    assert_eq!(code, "AGENCY_WITNESS_MISSING");
    record(
        &mut ledger,
        10,
        "unit:demil",
        at_site("demil:plant", "cutting", "item:fal-1", anmac),
        &["person:anmac-4"],
    )
    .unwrap();
    let report = ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
}
