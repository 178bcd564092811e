//! The rules in the ledger: a `rules_in_force` event puts the five example plugins in force;
//! appends they deny are refused with the plugin's code and message and change nothing;
//! verification re-runs the same plugins, and fails when an event the rules deny was slipped
//! into the history by software that skipped them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::result_large_err
)]

use std::path::{Path, PathBuf};

use custodia::event::{Body, LotQuantity, Place, SignedEvent, Witness};
use custodia::ledger::{LedgerError, RuleHook, RuleOutcome};
use custodia::model::*;
use custodia::scribe::Scribe;
use custodia::verify::{Verifier, VerifyError};
use custodia::{Ledger, Signer};
use custodia_plugins::{Limits, PluginHost, RuleSet};

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

fn rules() -> RuleSet {
    let host = PluginHost::new(Limits::default()).unwrap();
    let set = RuleSet::load_dir(&host, &plugins_dir()).unwrap();
    assert_eq!(set.refs().len(), 5, "{set:?}");
    set
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

/// An allow-everything hook: stands for software that skipped the rules.
struct Lax;
impl RuleHook for Lax {
    fn judge(
        &self,
        _: &[custodia::event::RuleRef],
        _: &serde_json::Value,
    ) -> Result<Vec<(String, String, String)>, RuleOutcome> {
        Ok(Vec::new())
    }
}

fn setup(ledger: Ledger, refs: Vec<custodia::event::RuleRef>) -> Scribe {
    let mut s = Scribe::with_ledger(ledger);
    let admin = a("agency:mod");
    let genesis = Actor {
        id: admin.clone(),
        kind: ActorKind::Agency,
        name: "MoD".into(),
        member_of: None,
        roles: vec![Role::Admin, Role::Authoriser],
        keys: vec![key("agency:mod").public_key()],
    };
    s.hold_key(admin.clone(), key("agency:mod"));
    s.record(at(0), &admin, Body::RegisterActor { subject: genesis }, &[])
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
        s.hold_key(a(id), key(id));
        s.record(at(0), &admin, Body::RegisterActor { subject }, &[])
            .unwrap();
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
        };
        s.record(at(0), &admin, Body::RegisterSite { site }, &[])
            .unwrap();
    }
    s.record(at(1), &admin, Body::RulesInForce { rules: refs }, &[])
        .unwrap();
    s
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
        manufactured: None,
        next_inspection: None,
        expiry: None,
        status: None,
    }
}

fn denied(
    s: &mut Scribe,
    day: u32,
    actor: &str,
    body: Body,
    cosigners: &[&str],
) -> (String, String) {
    let digest = s.ledger().state().digest();
    let co: Vec<ActorId> = cosigners.iter().map(|c| a(c)).collect();
    let refs: Vec<&ActorId> = co.iter().collect();
    match s.record(at(day), &a(actor), body, &refs) {
        Err(LedgerError::RuleDenied { rule, code, .. }) => {
            assert_eq!(
                s.ledger().state().digest(),
                digest,
                "a denied event changed the state"
            );
            (rule, code)
        }
        other => panic!("expected a rule denial, got {other:?}"),
    }
}

fn destruction(auth: EventId, items: &[&str], witnesses: &[(&str, &str)]) -> Body {
    Body::Destruction {
        authorisation: auth,
        site: "range:r".parse().unwrap(),
        custodian: a("unit:demil"),
        method: "cutting".into(),
        certificate: "CERT-1".into(),
        items: items.iter().map(|i| i.parse().unwrap()).collect(),
        lots: vec![],
        witnesses: witnesses
            .iter()
            .map(|(w, ag)| Witness {
                actor: a(w),
                agency: a(ag),
            })
            .collect(),
    }
}

/// Builds a campaign under the five rules, checking each refusal on the way; returns the history.
fn campaign() -> Vec<SignedEvent> {
    let set = rules();
    let refs = set.refs();
    let mut s = setup(Ledger::with_rules(Box::new(set)), refs);

    let seized = Origin {
        kind: OriginKind::Seized,
        reference: Some("CASE-9".into()),
    };
    let reg = |items: Vec<Item>| Body::RegisterItems {
        site: "depot:central".parse().unwrap(),
        custodian: a("unit:depot"),
        origin: seized.clone(),
        items,
    };
    // Marking: the serial number is mandatory.
    let (rule, code) = denied(
        &mut s,
        2,
        "unit:depot",
        reg(vec![rifle("item:x1", None)]),
        &[],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("marking", "MARKING_INCOMPLETE")
    );
    s.record(
        at(2),
        &a("unit:depot"),
        reg(vec![
            rifle("item:x1", Some("SN1")),
            rifle("item:x2", Some("SN2")),
        ]),
        &[],
    )
    .unwrap();
    // Explosive limit: 100 kg licence at the depot.
    let origin = Origin {
        kind: OriginKind::StockOnHand,
        reference: None,
    };
    let lot_body = |l: Lot| Body::RegisterLot {
        site: "depot:central".parse().unwrap(),
        custodian: a("unit:depot"),
        origin: origin.clone(),
        lot: l,
    };
    let (rule, code) = denied(
        &mut s,
        2,
        "unit:depot",
        lot_body(lot("lot:g1", 1000, 200, CompatibilityGroup::D)),
        &[],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("neq-limit", "NEQ_LIMIT_EXCEEDED")
    );
    s.record(
        at(2),
        &a("unit:depot"),
        lot_body(lot("lot:g1", 100, 200, CompatibilityGroup::D)),
        &[],
    )
    .unwrap();
    // Storage compatibility: B with D is refused by the (made-up) table.
    let (rule, code) = denied(
        &mut s,
        2,
        "unit:depot",
        lot_body(lot("lot:det", 10, 1, CompatibilityGroup::B)),
        &[],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("storage-compat", "STORAGE_INCOMPATIBLE")
    );

    let d = s
        .record(
            at(3),
            &a("unit:depot"),
            Body::TransferDispatch {
                from: Place {
                    site: "depot:central".parse().unwrap(),
                    custodian: a("unit:depot"),
                },
                to: Place {
                    site: "range:r".parse().unwrap(),
                    custodian: a("unit:demil"),
                },
                items: vec!["item:x1".parse().unwrap(), "item:x2".parse().unwrap()],
                lots: vec![LotQuantity {
                    lot: "lot:g1".parse().unwrap(),
                    quantity: q(10),
                }],
                reference: None,
            },
            &[],
        )
        .unwrap();
    s.record(
        at(3),
        &a("unit:demil"),
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec!["item:x1".parse().unwrap(), "item:x2".parse().unwrap()],
            lots: vec![LotQuantity {
                lot: "lot:g1".parse().unwrap(),
                quantity: q(10),
            }],
            note: None,
        },
        &[],
    )
    .unwrap();
    let auth = s
        .record(
            at(4),
            &a("agency:mod"),
            Body::DestructionAuthorisation {
                reference: "ORDER-1".into(),
                items: vec!["item:x1".parse().unwrap(), "item:x2".parse().unwrap()],
                lots: vec![],
                methods: vec!["cutting".into()],
            },
            &[],
        )
        .unwrap();
    let ok_witnesses = [("person:w1", "agency:ag"), ("person:w2", "agency:police")];
    // Seized items must be held 90 days before destruction.
    let (rule, code) = denied(
        &mut s,
        30,
        "unit:demil",
        destruction(auth.id, &["item:x1"], &ok_witnesses),
        &["person:w1", "person:w2"],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("destruction-preconditions", "HOLDING_PERIOD_NOT_ELAPSED")
    );
    // Witnesses: two, from two agencies, all signing.
    let (rule, code) = denied(
        &mut s,
        100,
        "unit:demil",
        destruction(auth.id, &["item:x1"], &[("person:w1", "agency:ag")]),
        &["person:w1"],
    );
    assert_eq!(
        (rule.as_str(), code.as_str()),
        ("witnesses", "WITNESSES_TOO_FEW")
    );
    let (_, code) = denied(
        &mut s,
        100,
        "unit:demil",
        destruction(
            auth.id,
            &["item:x1"],
            &[("person:w1", "agency:ag"), ("person:w3", "agency:ag")],
        ),
        &["person:w1", "person:w3"],
    );
    assert_eq!(code, "WITNESS_AGENCIES_TOO_FEW");
    let (_, code) = denied(
        &mut s,
        100,
        "unit:demil",
        destruction(auth.id, &["item:x1"], &ok_witnesses),
        &["person:w1"],
    );
    assert_eq!(code, "WITNESS_NOT_SIGNED");
    s.record(
        at(100),
        &a("unit:demil"),
        destruction(auth.id, &["item:x1"], &ok_witnesses),
        &[&a("person:w1"), &a("person:w2")],
    )
    .unwrap();
    s.journal().to_vec()
}

#[test]
fn rules_in_force_refuse_events_and_verification_reruns_them() {
    let history = campaign();
    let rules = rules();
    let mut verifier = Verifier::with_rules(&rules);
    for e in &history {
        assert!(
            verifier.push_event(e, custodia::ledger::SignatureCheck::Verify),
            "{:?}",
            verifier.failure()
        );
    }
    let report = verifier.finish();
    assert!(report.is_valid());
    assert_eq!(report.events as usize, history.len());

    // Without the plugins, verification cannot confirm the verdicts and says so.
    let mut bare = Verifier::new();
    let ok = history
        .iter()
        .all(|e| bare.push_event(e, custodia::ledger::SignatureCheck::Verify));
    assert!(!ok);
    let f = bare.failure().unwrap();
    assert!(
        matches!(
            &f.reason,
            VerifyError::Event(LedgerError::RuleFailed { .. })
        ),
        "{}",
        f.reason
    );
}

#[test]
fn an_event_the_rules_deny_fails_verification_even_if_it_was_appended() {
    let rules = rules();
    // Software that skipped the rules appends a one-witness destruction.
    let mut s = setup(Ledger::with_rules(Box::new(Lax)), rules.refs());
    let seized = Origin {
        kind: OriginKind::StockOnHand,
        reference: None,
    };
    s.record(
        at(2),
        &a("unit:depot"),
        Body::RegisterItems {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
            origin: seized,
            items: vec![rifle("item:y1", Some("S"))],
        },
        &[],
    )
    .unwrap();
    let d = s
        .record(
            at(3),
            &a("unit:depot"),
            Body::TransferDispatch {
                from: Place {
                    site: "depot:central".parse().unwrap(),
                    custodian: a("unit:depot"),
                },
                to: Place {
                    site: "range:r".parse().unwrap(),
                    custodian: a("unit:demil"),
                },
                items: vec!["item:y1".parse().unwrap()],
                lots: vec![],
                reference: None,
            },
            &[],
        )
        .unwrap();
    s.record(
        at(3),
        &a("unit:demil"),
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec!["item:y1".parse().unwrap()],
            lots: vec![],
            note: None,
        },
        &[],
    )
    .unwrap();
    let auth = s
        .record(
            at(4),
            &a("agency:mod"),
            Body::DestructionAuthorisation {
                reference: "O".into(),
                items: vec!["item:y1".parse().unwrap()],
                lots: vec![],
                methods: vec!["cutting".into()],
            },
            &[],
        )
        .unwrap();
    let bad = s
        .record(
            at(5),
            &a("unit:demil"),
            destruction(auth.id, &["item:y1"], &[("person:w1", "agency:ag")]),
            &[&a("person:w1")],
        )
        .unwrap();
    let history = s.journal().to_vec();
    let mut verifier = Verifier::with_rules(&rules);
    for e in &history {
        if !verifier.push_event(e, custodia::ledger::SignatureCheck::Verify) {
            break;
        }
    }
    let f = verifier
        .failure()
        .expect("the denied destruction must fail verification");
    assert_eq!(f.event, Some(bad.id));
    assert_eq!(f.index as usize, history.len() - 1);
    assert!(
        matches!(&f.reason, VerifyError::Event(LedgerError::RuleDenied { rule, code, .. }) if rule == "witnesses" && code == "WITNESSES_TOO_FEW"),
        "{}",
        f.reason
    );
}
