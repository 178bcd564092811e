//! The committed test vectors `docs/vectors/events.json`: one valid history covering every
//! event kind, built here with fixed seeds and timestamps, compared byte for byte with the
//! committed file, and then checked independently of the code that made them: a small JCS
//! canonicaliser written here, SHA-256, `ed25519-dalek` strict verification, and a replay of
//! the JSONL lines through a fresh ledger. `docs/vectors/check.py` does the same from Python.
//!
//! Regenerate after a deliberate format change with
//! `CUSTODIA_REGENERATE_VECTORS=1 cargo test -p custodia --test vectors`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use custodia::event::{
    Body, LossKind, LotQuantity, MergeTarget, Place, RuleRef, SignedEvent, Signer, SplitPart,
    Witness, canonical_bytes,
};
use custodia::ledger::Ledger;
use custodia::model::*;
use custodia::scribe::Scribe;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/events.json")
}

// ---------------------------------------------------------------------------------------------
// The history.

/// Actors of the vectors, with the byte their test seed repeats 32 times.
const ACTORS: [(&str, u8); 7] = [
    ("agency:mod", 1),
    ("unit:log-bn-2", 2),
    ("unit:demil-team-1", 3),
    ("agency:attorney-general", 4),
    ("person:inspector-7", 5),
    ("agency:civil-police", 6),
    ("person:officer-31", 7),
];
/// Seed byte of the extra key added to `unit:log-bn-2` and revoked again.
const EXTRA_KEY_SEED: u8 = 8;

const MOD: &str = "agency:mod";
const LOG: &str = "unit:log-bn-2";
const DEMIL: &str = "unit:demil-team-1";
const DEPOT: &str = "depot:central";
const RANGE: &str = "range:la-cuchilla";
const RIFLE_1: &str = "item:AK47-KZ-1987-00123";
const RIFLE_2: &str = "item:AK47-KZ-1987-00124";
const LOT_44: &str = "lot:762x39-1987-044";
const LOT_45: &str = "lot:762x39-1987-045";
const LOT_44A: &str = "lot:762x39-1987-044-A";
const LOT_M1: &str = "lot:762x39-M1";

fn seed_of(actor: &str) -> [u8; 32] {
    let n = ACTORS.iter().find(|(a, _)| *a == actor).unwrap().1;
    [n; 32]
}
fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}
fn q(n: u64) -> Quantity {
    Quantity::new(n).unwrap()
}
fn lq(lot: &str, n: u64) -> LotQuantity {
    LotQuantity {
        lot: id(lot),
        quantity: q(n),
    }
}
fn place(site: &str, custodian: &str) -> Place {
    Place {
        site: id(site),
        custodian: id(custodian),
    }
}
/// Event number `n` happens at 09:00 UTC on day `n + 1` of February 2026.
fn at(n: usize) -> Timestamp {
    Timestamp::parse(&format!("2026-02-{:02}T09:00:00Z", n + 1)).unwrap()
}

fn actor(who: &str, kind: ActorKind, member_of: Option<&str>, roles: &[Role]) -> Actor {
    Actor {
        id: id(who),
        kind,
        name: match who {
            MOD => "Ministry of Defence".into(),
            LOG => "2nd Logistics Battalion".into(),
            DEMIL => "Demilitarisation Team 1".into(),
            "agency:attorney-general" => "Office of the Attorney General".into(),
            "agency:civil-police" => "Civil Police".into(),
            "person:inspector-7" => "Inspector Ana Ruiz".into(),
            _ => "Officer Jorge Peña".into(),
        },
        member_of: member_of.map(id),
        roles: roles.to_vec(),
        keys: vec![Signer::from_seed(seed_of(who)).public_key()],
    }
}

fn rifle(item: &str, serial: &str) -> Item {
    Item {
        id: id(item),
        category: ItemCategory::Firearm,
        item_type: "assault rifle".into(),
        marking: Marking {
            manufacturer: Some("Izhmash".into()),
            country_of_manufacture: Some("RU".into()),
            serial: Some(serial.into()),
            year: Some(1987),
            model: Some("AKM".into()),
            calibre: Some("7.62x39mm".into()),
            import: Some(ImportMarking {
                country: Some("CO".into()),
                year: Some(1991),
                importer: None,
            }),
        },
        status: None,
    }
}

fn cartridges(lot: &str, lot_number: &str, quantity: u64) -> Lot {
    Lot {
        id: id(lot),
        nomenclature: "cartridge 7.62x39 ball".into(),
        lot_number: lot_number.into(),
        unit: Unit::Round,
        quantity: q(quantity),
        hazard: Some(Hazard {
            division: HazardDivision::D1_4,
            group: CompatibilityGroup::S,
        }),
        neq_grams_per_unit: q(2),
        manufactured: Some(Date::parse("1987-05").unwrap()),
        next_inspection: Some(Date::parse("2026-09-01").unwrap()),
        expiry: None,
        status: None,
    }
}

/// One valid history, every kind once at least; `(event, seeds of its signers)` in order.
fn history() -> Vec<(SignedEvent, Vec<[u8; 32]>)> {
    let mut s = Scribe::new();
    for (who, _) in ACTORS {
        s.hold_key(id(who), Signer::from_seed(seed_of(who)));
    }
    let mut out: Vec<(SignedEvent, Vec<[u8; 32]>)> = Vec::new();
    let mut record = |s: &mut Scribe, who: &str, body: Body, cosigners: &[&str]| -> SignedEvent {
        let n = out.len();
        let co: Vec<ActorId> = cosigners.iter().map(|c| id(c)).collect();
        let co_refs: Vec<&ActorId> = co.iter().collect();
        let e = s
            .record(at(n), &id(who), body, &co_refs)
            .unwrap_or_else(|e| panic!("vector event {n} refused: {e}"));
        let seeds = std::iter::once(who)
            .chain(cosigners.iter().copied())
            .map(seed_of)
            .collect();
        out.push((e.clone(), seeds));
        e
    };
    use ActorKind::{Agency, Person, Unit as UnitKind};
    let genesis = actor(
        MOD,
        Agency,
        None,
        &[Role::Admin, Role::Authoriser, Role::Inspector],
    );
    record(&mut s, MOD, Body::RegisterActor { subject: genesis }, &[]);
    for subject in [
        actor(LOG, UnitKind, Some(MOD), &[Role::Custodian]),
        actor(
            DEMIL,
            UnitKind,
            Some(MOD),
            &[Role::Custodian, Role::Destroyer],
        ),
        actor("agency:attorney-general", Agency, None, &[]),
        actor(
            "person:inspector-7",
            Person,
            Some("agency:attorney-general"),
            &[Role::Witness],
        ),
        actor("agency:civil-police", Agency, None, &[]),
        actor(
            "person:officer-31",
            Person,
            Some("agency:civil-police"),
            &[Role::Witness],
        ),
    ] {
        record(&mut s, MOD, Body::RegisterActor { subject }, &[]);
    }
    let extra = Signer::from_seed([EXTRA_KEY_SEED; 32]).public_key();
    record(
        &mut s,
        MOD,
        Body::AddKey {
            subject: id(LOG),
            key: extra,
        },
        &[],
    );
    record(
        &mut s,
        LOG,
        Body::RevokeKey {
            subject: id(LOG),
            key: extra,
            reason: "token reported lost".into(),
        },
        &[],
    );
    for (site, name, kind, neq) in [
        (DEPOT, "Central Depot", SiteKind::Depot, 50_000_000),
        (
            RANGE,
            "La Cuchilla demolition range",
            SiteKind::Range,
            5_000_000,
        ),
    ] {
        let site = Site {
            id: id(site),
            name: name.into(),
            kind,
            parent: None,
            country: Some("CO".into()),
            licensed_neq_grams: Some(q(neq)),
            hazard_divisions: vec![HazardDivision::D1_1, HazardDivision::D1_4],
        };
        record(&mut s, MOD, Body::RegisterSite { site }, &[]);
    }
    record(
        &mut s,
        LOG,
        Body::RegisterItems {
            site: id(DEPOT),
            custodian: id(LOG),
            origin: Origin {
                kind: OriginKind::Seized,
                reference: Some("CASE-2025-0412".into()),
            },
            items: vec![
                rifle(RIFLE_1, "KZ1987-00123"),
                rifle(RIFLE_2, "KZ1987-00124"),
            ],
        },
        &[],
    );
    for (lot, number, n) in [
        (LOT_44, "KZ-1987-044", 48_000),
        (LOT_45, "KZ-1987-045", 20_000),
    ] {
        record(
            &mut s,
            LOG,
            Body::RegisterLot {
                site: id(DEPOT),
                custodian: id(LOG),
                origin: Origin {
                    kind: OriginKind::StockOnHand,
                    reference: None,
                },
                lot: cartridges(lot, number, n),
            },
            &[],
        );
    }
    let dispatch = record(
        &mut s,
        LOG,
        Body::TransferDispatch {
            from: place(DEPOT, LOG),
            to: place(RANGE, DEMIL),
            items: vec![id(RIFLE_1), id(RIFLE_2)],
            lots: vec![lq(LOT_44, 12_000)],
            reference: Some("MO-2026-031".into()),
        },
        &[],
    );
    // One rifle and 10 rounds do not arrive: they go to the receipt's discrepancy account.
    let receipt = record(
        &mut s,
        DEMIL,
        Body::TransferReceipt {
            dispatch: dispatch.id,
            items: vec![id(RIFLE_1)],
            lots: vec![lq(LOT_44, 11_990)],
            note: Some("seal broken on crate 3".into()),
        },
        &[],
    );
    record(
        &mut s,
        DEMIL,
        Body::LossReport {
            loss: LossKind::Stolen,
            site: id(RANGE),
            custodian: id(DEMIL),
            discrepancy: Some(receipt.id),
            items: vec![id(RIFLE_2)],
            lots: vec![lq(LOT_44, 10)],
            reference: Some("POLICE-2026-7781".into()),
        },
        &[],
    );
    record(
        &mut s,
        DEMIL,
        Body::Recovery {
            loss: LossKind::Stolen,
            site: id(RANGE),
            custodian: id(DEMIL),
            items: vec![id(RIFLE_2)],
            lots: vec![],
            reference: Some("POLICE-2026-7781".into()),
        },
        &[],
    );
    record(
        &mut s,
        LOG,
        Body::LotSplit {
            lot: id(LOT_44),
            site: id(DEPOT),
            custodian: id(LOG),
            into: vec![SplitPart {
                id: id(LOT_44A),
                quantity: q(6_000),
            }],
        },
        &[],
    );
    record(
        &mut s,
        LOG,
        Body::LotMerge {
            site: id(DEPOT),
            custodian: id(LOG),
            lots: vec![lq(LOT_44A, 6_000), lq(LOT_45, 20_000)],
            into: MergeTarget {
                id: id(LOT_M1),
                lot_number: "KZ-1987-M1".into(),
            },
        },
        &[],
    );
    let check = record(
        &mut s,
        LOG,
        Body::StockCheck {
            site: id(DEPOT),
            custodian: id(LOG),
            lots: vec![custodia::event::LotCount {
                lot: id(LOT_44),
                booked: q(30_000),
                counted: q(29_995),
            }],
            items: vec![],
        },
        &[],
    );
    record(
        &mut s,
        LOG,
        Body::Correction {
            reverses: check.id,
            reason: "recount found the 5 rounds in a second box".into(),
        },
        &[],
    );
    record(
        &mut s,
        MOD,
        Body::StatusChange {
            items: vec![id(RIFLE_1), id(RIFLE_2)],
            lots: vec![id(LOT_44)],
            status: Status::PendingDestruction,
            reason: "surplus seized weapons and ammunition, order AG-2026-0117".into(),
        },
        &[],
    );
    let authorisation = record(
        &mut s,
        MOD,
        Body::DestructionAuthorisation {
            reference: "AG-2026-0117".into(),
            items: vec![id(RIFLE_1), id(RIFLE_2)],
            lots: vec![lq(LOT_44, 11_990)],
            methods: vec!["cutting_and_melting".into(), "open_detonation".into()],
        },
        &[],
    );
    record(
        &mut s,
        DEMIL,
        Body::Destruction {
            authorisation: authorisation.id,
            site: id(RANGE),
            custodian: id(DEMIL),
            method: "cutting_and_melting".into(),
            certificate: "CERT-2026-0117".into(),
            items: vec![id(RIFLE_1), id(RIFLE_2)],
            lots: vec![lq(LOT_44, 11_990)],
            witnesses: vec![
                Witness {
                    actor: id("person:inspector-7"),
                    agency: id("agency:attorney-general"),
                },
                Witness {
                    actor: id("person:officer-31"),
                    agency: id("agency:civil-police"),
                },
            ],
        },
        &["person:inspector-7", "person:officer-31"],
    );
    // Last, because a plain ledger refuses every later event while rules are in force.
    record(
        &mut s,
        MOD,
        Body::RulesInForce {
            rules: vec![RuleRef {
                name: "hazard-mixing".into(),
                version: "1.0.0".into(),
                sha256: EventId::from_bytes(Sha256::digest(b"hazard-mixing 1.0.0").into()),
            }],
        },
        &[],
    );
    out
}

// ---------------------------------------------------------------------------------------------
// The file.

fn render() -> String {
    let mut entries = Vec::new();
    for (n, (e, seeds)) in history().into_iter().enumerate() {
        let unsigned = serde_json::to_value(&e.event).unwrap();
        let canonical = String::from_utf8(canonical_bytes(&unsigned).unwrap()).unwrap();
        let signers: Vec<Value> = seeds
            .iter()
            .map(|seed| {
                json!({
                    "seed": hex::encode(seed),
                    "key": Signer::from_seed(*seed).public_key().to_hex(),
                })
            })
            .collect();
        entries.push(json!({
            "n": n,
            "kind": e.event.body.kind(),
            "event": unsigned,
            "canonical": canonical,
            "id": e.id.to_hex(),
            "signers": signers,
            "signatures": serde_json::to_value(&e.signatures).unwrap(),
            "jsonl": e.to_json().unwrap(),
        }));
    }
    let file = json!({
        "description": "custodia event format version 1: one valid history, in append order. For each event: `event` is the unsigned event object; `canonical` its RFC 8785 canonical JSON; `id` the lowercase hex SHA-256 of `canonical`; `signatures` Ed25519 signatures over the 32 bytes of the id by `signers`; `jsonl` the full signed event as one line of an export. See docs/FORMAT.md.",
        "warning": "TEST KEYS ONLY. The seeds below are public; never use them to sign a real ledger.",
        "generator": "core/tests/vectors.rs (CUSTODIA_REGENERATE_VECTORS=1 cargo test -p custodia --test vectors)",
        "events": entries,
    });
    let mut text = serde_json::to_string_pretty(&file).unwrap();
    text.push('\n');
    text
}

fn regenerating() -> bool {
    std::env::var_os("CUSTODIA_REGENERATE_VECTORS").is_some_and(|v| v == "1")
}

/// The committed file (rewritten first, once per run, when regenerating).
fn committed() -> Value {
    static REGENERATED: std::sync::Once = std::sync::Once::new();
    if regenerating() {
        REGENERATED.call_once(|| std::fs::write(vectors_path(), render()).unwrap());
    }
    let text = std::fs::read_to_string(vectors_path())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", vectors_path().display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn vectors_file_matches_the_generator() {
    let fresh = render();
    if regenerating() {
        committed();
        return;
    }
    let on_disk = std::fs::read_to_string(vectors_path()).unwrap_or_default();
    assert!(
        on_disk == fresh,
        "docs/vectors/events.json differs from what core/tests/vectors.rs generates; if the \
         format change is deliberate, regenerate with CUSTODIA_REGENERATE_VECTORS=1"
    );
}

#[test]
fn vectors_cover_every_kind() {
    let file = committed();
    let kinds: std::collections::BTreeSet<&str> = file["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let all: std::collections::BTreeSet<&str> = custodia::event::KINDS.into_iter().collect();
    assert_eq!(kinds, all);
}

// ---------------------------------------------------------------------------------------------
// Independent checks of the committed file.

/// RFC 8785 for the subset the events use (objects, arrays, strings, integers, booleans),
/// written from the RFC and not from the library the core uses.
fn jcs_subset(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let i = n.as_u64().expect("events carry non-negative integers only");
            assert!(i < 1 << 53, "integers above 2^53 - 1 are not exact in JCS");
            out.push_str(&i.to_string());
        }
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                jcs_subset(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by_key(|k| k.encode_utf16().collect::<Vec<u16>>());
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                jcs_subset(&Value::String(k.clone()), out);
                out.push(':');
                jcs_subset(&m[k], out);
            }
            out.push('}');
        }
    }
}

fn jcs(v: &Value) -> String {
    let mut s = String::new();
    jcs_subset(v, &mut s);
    s
}

#[test]
fn every_vector_id_is_the_sha256_of_its_canonical_json() {
    let file = committed();
    let events = file["events"].as_array().unwrap();
    assert!(events.len() >= 12);
    for e in events {
        let n = &e["n"];
        let canonical = e["canonical"].as_str().unwrap();
        assert_eq!(jcs(&e["event"]), canonical, "event {n}: canonical form");
        assert_eq!(
            canonical_bytes(&e["event"]).unwrap(),
            canonical.as_bytes(),
            "event {n}: the core's canonicaliser"
        );
        let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
        assert_eq!(e["id"].as_str().unwrap(), digest, "event {n}: id");
        assert_eq!(e["kind"], e["event"]["kind"], "event {n}: kind");
    }
}

#[test]
fn every_vector_signature_verifies_strictly() {
    let file = committed();
    for e in file["events"].as_array().unwrap() {
        let n = &e["n"];
        let id: [u8; 32] = hex::decode(e["id"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let signers = e["signers"].as_array().unwrap();
        let sigs = e["signatures"].as_array().unwrap();
        assert!(!sigs.is_empty(), "event {n}: unsigned");
        assert_eq!(
            signers.len(),
            sigs.len(),
            "event {n}: one signature per signer"
        );
        for (signer, sig) in signers.iter().zip(sigs) {
            let seed: [u8; 32] = hex::decode(signer["seed"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap();
            let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
            let key_hex = hex::encode(signing.verifying_key().to_bytes());
            assert_eq!(signer["key"].as_str().unwrap(), key_hex, "event {n}: key");
            assert_eq!(sig["key"].as_str().unwrap(), key_hex, "event {n}: signer");
            let key_bytes: [u8; 32] = hex::decode(&key_hex).unwrap().try_into().unwrap();
            let key = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes).unwrap();
            let sig_bytes: [u8; 64] = hex::decode(sig["sig"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap();
            let signature = ed25519_dalek::Signature::from_bytes(&sig_bytes);
            key.verify_strict(&id, &signature)
                .unwrap_or_else(|_| panic!("event {n}: signature does not verify"));
            // Ed25519 is deterministic: signing again gives the same bytes.
            use ed25519_dalek::Signer as _;
            assert_eq!(signing.sign(&id).to_bytes(), sig_bytes, "event {n}");
            // And a different message does not verify.
            let mut other = id;
            other[0] ^= 1;
            assert!(key.verify_strict(&other, &signature).is_err());
        }
    }
}

#[test]
fn every_jsonl_line_is_the_canonical_signed_event() {
    let file = committed();
    for e in file["events"].as_array().unwrap() {
        let n = &e["n"];
        let line = e["jsonl"].as_str().unwrap();
        assert!(!line.contains('\n'));
        let mut full = e["event"].clone();
        full["id"] = e["id"].clone();
        full["signatures"] = e["signatures"].clone();
        assert_eq!(jcs(&full), line, "event {n}: jsonl line");
    }
}

#[test]
fn vectors_replay_through_a_fresh_ledger() {
    let file = committed();
    let mut ledger = Ledger::new();
    let events = file["events"].as_array().unwrap();
    for e in events {
        let applied = ledger
            .append_json(e["jsonl"].as_str().unwrap().as_bytes())
            .unwrap_or_else(|err| panic!("event {} refused: {err}", e["n"]));
        assert_eq!(applied.id.to_hex(), e["id"].as_str().unwrap());
    }
    assert_eq!(ledger.state().event_count(), events.len() as u64);
    ledger.state().check_invariants().unwrap();
    // A replay is all or nothing per event: the same line again is refused.
    let first = events[0]["jsonl"].as_str().unwrap();
    assert!(ledger.append_json(first.as_bytes()).is_err());
}

#[test]
fn python_checker_agrees() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if python.is_err() {
        // No Python on this machine; the Rust checks above still ran.
        return;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/check.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(vectors_path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = committed()["events"].as_array().unwrap().len();
    assert!(
        stdout.contains(&format!("{count} ids ok")),
        "unexpected output: {stdout}"
    );
}
