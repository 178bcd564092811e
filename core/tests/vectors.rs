//! The committed test vectors.
//!
//! `docs/vectors/events.json`: one valid history covering every event kind, built here through
//! the front door (`Ledger::record`) with fixed seeds and timestamps, compared byte for byte
//! with the committed file, and then checked independently of the code that made them: the
//! RFC 8785 canonicaliser of `support`, SHA-256, `ed25519-dalek` strict verification, the
//! decoders (`SignedEvent::from_canonical_json`), a replay through a fresh ledger and through
//! `verify_jsonl`. `docs/vectors/check.py` checks the same from Python.
//!
//! `docs/vectors/edge-cases.json`: lines a lenient verifier gets wrong (a signature under the
//! small-order identity key, a malleated `S`, non-canonical lines, a duplicate member, U+2028),
//! each with the verdict and error code expected when it is appended (bytes in any JSON form)
//! and when it is verified as an export (bytes must be canonical); checked here and by
//! `check.py`.
//!
//! Regenerate both after a deliberate format change with
//! `CUSTODIA_REGENERATE_VECTORS=1 cargo test -p custodia --test vectors`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::collections::BTreeSet;

use custodia::event::{
    AddKey, Correction, Deactivation, Destruction, DestructionAuthorisation, Expenditure,
    ExpenditureReturn, ExportDelivery, ExportDispatch, JudicialOrder, LossKind, LossReport,
    LotCount, LotMerge, LotQuantity, LotSplit, MarkItems, MergeTarget, Place, Recovery,
    RegisterActor, RegisterItems, RegisterLot, RegisterSite, RevokeKey, RuleRef, RulesInForce,
    Seizure, Signature, SplitPart, StatusChange, StockCheck, TraceRequest, TraceResponse,
    TransferDispatch, TransferReceipt, WeaponIssue, WeaponReturn, Witness,
};
use custodia::model::*;
use custodia::{Body, ErrorCode, Event, Ledger, Options, SignedEvent, Signer, verify_jsonl};
use serde_json::{Value, json};
use support::{content_id, jcs, sha256_hex};

// ---------------------------------------------------------------------------------------------
// The history.

/// Actors of the vectors, with the byte their test seed repeats 32 times.
const ACTORS: [(&str, u8); 8] = [
    ("agency:mod", 1),
    ("unit:log-bn-2", 2),
    ("unit:demil-team-1", 3),
    ("agency:attorney-general", 4),
    ("person:inspector-7", 5),
    ("agency:civil-police", 6),
    ("person:officer-31", 7),
    ("person:ato-1", 9),
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
const LAB: &str = "lab:ballistics";
const OFFICER: &str = "person:officer-31";
const ATO: &str = "person:ato-1";

fn seed_of(actor: &str) -> [u8; 32] {
    let n = ACTORS.iter().find(|(a, _)| *a == actor).unwrap().1;
    [n; 32]
}
fn key_of(actor: &str) -> Signer {
    Signer::from_seed(seed_of(actor))
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
/// Event number `n` happens at 09:00 UTC on day `n + 1` of February 2026 (and on into March).
fn at(n: usize) -> Timestamp {
    // 2026-02-01T09:00:00Z.
    const FIRST: i64 = 1_769_936_400;
    Timestamp::from_unix_seconds(FIRST + 86_400 * i64::try_from(n).unwrap()).unwrap()
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
            ATO => "Ammunition Technical Officer Luis Mora".into(),
            _ => "Officer Jorge Peña".into(),
        },
        member_of: member_of.map(id),
        roles: roles.to_vec(),
        keys: vec![key_of(who).public_key()],
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
        condition: None,
        disposition: None,
        att_category: None,
        hazard: None,
        neq_mg: None,
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
        neq_mg: None,
        manufactured: Some(Date::parse("1987-05").unwrap()),
        next_inspection: Some(Date::parse("2026-09-01").unwrap()),
        expiry: None,
        status: None,
        condition: None,
        disposition: None,
        category: None,
    }
}

/// Records the vectors' events in a ledger, in order.
struct Recorder {
    ledger: Ledger,
    out: Vec<(SignedEvent, Vec<[u8; 32]>)>,
    /// The format version the events are signed as.
    version: u32,
}

impl Recorder {
    /// Records `body` by `who`, co-signed by `cosigners`, at the next day.
    fn record(&mut self, who: &str, body: impl Into<Body>, cosigners: &[&str]) -> SignedEvent {
        let n = self.out.len();
        let names: Vec<&str> = std::iter::once(who)
            .chain(cosigners.iter().copied())
            .collect();
        let keys: Vec<Signer> = names.iter().map(|a| key_of(a)).collect();
        let refs: Vec<&Signer> = keys.iter().collect();
        // `events.json` is format version 1 (docs/FORMAT.md), signed as such;
        // `events-v2.json` is version 2.
        let mut event = Event::new(at(n), id(who), Vec::new(), body.into());
        event.v = self.version;
        let signed = self
            .ledger
            .record(event, &refs)
            .unwrap_or_else(|e| panic!("vector event {n} refused: {e}"));
        self.out
            .push((signed.clone(), names.iter().map(|a| seed_of(a)).collect()));
        signed
    }
}

/// One valid history, every kind once at least; `(event, seeds of its signers)` in order.
fn history() -> Vec<(SignedEvent, Vec<[u8; 32]>)> {
    let mut r = Recorder {
        ledger: Ledger::in_memory(Options::new()).unwrap(),
        out: Vec::new(),
        version: 1,
    };
    use ActorKind::{Agency, Person, Unit as UnitKind};
    let genesis = actor(
        MOD,
        Agency,
        None,
        &[Role::Admin, Role::Authoriser, Role::Inspector],
    );
    r.record(MOD, RegisterActor { subject: genesis }, &[]);
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
        r.record(MOD, RegisterActor { subject }, &[]);
    }
    let extra = Signer::from_seed([EXTRA_KEY_SEED; 32]).public_key();
    r.record(
        MOD,
        AddKey {
            subject: id(LOG),
            key: extra,
        },
        &[],
    );
    r.record(
        LOG,
        RevokeKey {
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
            two_person_rule: false,
        };
        r.record(MOD, RegisterSite { site }, &[]);
    }
    r.record(
        LOG,
        RegisterItems {
            site: id(DEPOT),
            custodian: id(LOG),
            origin: Origin {
                kind: OriginKind::Seized,
                reference: Some("CASE-2025-0412".into()),
                import: None,
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
        r.record(
            LOG,
            RegisterLot {
                site: id(DEPOT),
                custodian: id(LOG),
                origin: Origin {
                    kind: OriginKind::StockOnHand,
                    reference: None,
                    import: None,
                },
                lot: cartridges(lot, number, n),
            },
            &[],
        );
    }
    let dispatch = r.record(
        LOG,
        TransferDispatch {
            from: place(DEPOT, LOG),
            to: place(RANGE, DEMIL),
            items: vec![id(RIFLE_1), id(RIFLE_2)],
            lots: vec![lq(LOT_44, 12_000)],
            reference: Some("MO-2026-031".into()),
        },
        &[],
    );
    // One rifle and 10 rounds do not arrive: they go to the receipt's discrepancy account.
    let receipt = r.record(
        DEMIL,
        TransferReceipt {
            dispatch: dispatch.id(),
            items: vec![id(RIFLE_1)],
            lots: vec![lq(LOT_44, 11_990)],
            note: Some("seal broken on crate 3".into()),
        },
        &[],
    );
    r.record(
        DEMIL,
        LossReport {
            loss: LossKind::Stolen,
            site: id(RANGE),
            custodian: id(DEMIL),
            discrepancy: Some(receipt.id()),
            items: vec![id(RIFLE_2)],
            lots: vec![lq(LOT_44, 10)],
            reference: Some("POLICE-2026-7781".into()),
        },
        &[],
    );
    r.record(
        DEMIL,
        Recovery {
            loss: LossKind::Stolen,
            site: id(RANGE),
            custodian: id(DEMIL),
            items: vec![id(RIFLE_2)],
            lots: vec![],
            reference: Some("POLICE-2026-7781".into()),
        },
        &[],
    );
    r.record(
        LOG,
        LotSplit {
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
    r.record(
        LOG,
        LotMerge {
            site: id(DEPOT),
            custodian: id(LOG),
            lots: vec![lq(LOT_44A, 6_000), lq(LOT_45, 20_000)],
            into: MergeTarget {
                id: id(LOT_M1),
                lot_number: "KZ-1987-M1".into(),
            },
            mixed_lot_approval: None,
        },
        &[],
    );
    let check = r.record(
        LOG,
        StockCheck {
            site: id(DEPOT),
            custodian: id(LOG),
            lots: vec![LotCount {
                lot: id(LOT_44),
                booked: q(30_000),
                counted: q(29_995),
            }],
            items: vec![],
            scope: None,
            blind: None,
            counters: vec![],
        },
        &[],
    );
    r.record(
        LOG,
        Correction {
            reverses: check.id(),
            reason: "recount found the 5 rounds in a second box".into(),
        },
        &[],
    );
    r.record(
        MOD,
        StatusChange {
            items: vec![id(RIFLE_1), id(RIFLE_2)],
            lots: vec![id(LOT_44)],
            status: Some(Status::PendingDestruction),
            condition: None,
            disposition: None,
            reason: "surplus seized weapons and ammunition, order AG-2026-0117".into(),
        },
        &[],
    );
    let authorisation = r.record(
        MOD,
        DestructionAuthorisation {
            reference: "AG-2026-0117".into(),
            items: vec![id(RIFLE_1), id(RIFLE_2)],
            lots: vec![lq(LOT_44, 11_990)],
            methods: vec!["cutting_and_melting".into(), "open_detonation".into()],
            steps: vec![],
            site: None,
            expires_at: None,
        },
        &[],
    );
    r.record(
        DEMIL,
        Destruction {
            authorisation: authorisation.id(),
            site: id(RANGE),
            custodian: id(DEMIL),
            method: "cutting_and_melting".into(),
            steps: vec![],
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
    // Last, because a ledger without the plugins refuses every later event while rules are in
    // force.
    r.record(
        MOD,
        RulesInForce {
            rules: vec![RuleRef {
                name: "hazard-mixing".into(),
                version: "1.0.0".into(),
                sha256: EventId::from_hex(&sha256_hex(b"hazard-mixing 1.0.0")).unwrap(),
            }],
        },
        &[],
    );
    r.out
}

fn licence(kind: LicenceKind, number: &str, state: &str, issued: &str, expires: &str) -> Licence {
    Licence {
        kind,
        number: number.into(),
        state: state.into(),
        issued: Date::parse(issued).unwrap(),
        expires: Date::parse(expires).unwrap(),
    }
}

/// A second valid history, of format version 2: what version 2 added (the kinds and the
/// members), from its own genesis.
fn history_v2() -> Vec<(SignedEvent, Vec<[u8; 32]>)> {
    let mut r = Recorder {
        ledger: Ledger::in_memory(Options::new()).unwrap(),
        out: Vec::new(),
        version: 2,
    };
    let genesis = actor(
        MOD,
        ActorKind::Agency,
        None,
        &[Role::Admin, Role::Authoriser, Role::Inspector],
    );
    r.record(MOD, RegisterActor { subject: genesis }, &[]);
    r.record(
        MOD,
        RegisterActor {
            subject: actor(LOG, ActorKind::Unit, Some(MOD), &[Role::Custodian]),
        },
        &[],
    );
    for (site, name, kind) in [
        (DEPOT, "Central Depot", SiteKind::Depot),
        (LAB, "Ballistics Laboratory", SiteKind::Laboratory),
    ] {
        let site = Site {
            id: id(site),
            name: name.into(),
            kind,
            parent: None,
            country: Some("CO".into()),
            licensed_neq_grams: None,
            hazard_divisions: Vec::new(),
            two_person_rule: false,
        };
        r.record(MOD, RegisterSite { site }, &[]);
    }
    let import = ImportRecord {
        date: Date::parse("2026-01-28").unwrap(),
        exporting_state: "RS".into(),
        exporter: "Yugoimport SDPR".into(),
        transit_states: vec!["PA".into()],
        licences: vec![
            licence(
                LicenceKind::Export,
                "RS-EXP-2025-311",
                "RS",
                "2025-11-15",
                "2026-05-15",
            ),
            licence(
                LicenceKind::Import,
                "CO-IMP-2025-0007",
                "CO",
                "2025-10-01",
                "2026-03-31",
            ),
            licence(
                LicenceKind::Transit,
                "PA-TR-2026-044",
                "PA",
                "2026-01-10",
                "2026-02-10",
            ),
        ],
        end_user_certificate: Some(EndUserCertificate {
            reference: "EUC-CO-2025-0031".into(),
            issued_by: "Ministerio de Defensa Nacional".into(),
            end_use: Some("army training".into()),
        }),
        delivery_verification: Some(DeliveryVerification {
            reference: "DVC-CO-2026-0007".into(),
            issued_by: "Ministerio de Defensa Nacional".into(),
            state: "CO".into(),
            date: Date::parse("2026-01-30").unwrap(),
        }),
        contract: Some("MDN-2025-114".into()),
    };
    let origin = Origin {
        kind: OriginKind::Imported,
        reference: Some("CO-IMP-2025-0007".into()),
        import: Some(Box::new(import)),
    };
    let mut rifles = vec![
        rifle(RIFLE_1, "KZ1987-00123"),
        rifle(RIFLE_2, "KZ1987-00124"),
    ];
    for r in &mut rifles {
        r.att_category = Some(AttCategory::AssaultRifles);
    }
    r.record(
        LOG,
        RegisterItems {
            site: id(DEPOT),
            custodian: id(LOG),
            origin: origin.clone(),
            items: rifles,
        },
        &[],
    );
    r.record(
        LOG,
        RegisterLot {
            site: id(DEPOT),
            custodian: id(LOG),
            origin,
            lot: cartridges(LOT_44, "KZ-1987-044", 48_000),
        },
        &[],
    );
    let dispatch = r.record(
        LOG,
        ExportDispatch {
            from: Place {
                site: id(DEPOT),
                custodian: id(LOG),
            },
            items: vec![id(RIFLE_2)],
            lots: vec![LotQuantity {
                lot: id(LOT_44),
                quantity: q(12_000),
            }],
            exporting_state: "CO".into(),
            importing_state: "PE".into(),
            transit_states: vec!["EC".into()],
            final_consignee: Consignee {
                name: "Ejército del Perú".into(),
                country: "PE".into(),
                address: Some("Av. Boulevard s/n, Lima".into()),
            },
            end_user_certificate: EndUserCertificate {
                reference: "EUC-PE-2026-0042".into(),
                issued_by: "Ministerio de Defensa del Perú".into(),
                end_use: Some("training of the national army".into()),
            },
            licences: vec![
                licence(
                    LicenceKind::Export,
                    "EXP-CO-2026-0117",
                    "CO",
                    "2026-01-20",
                    "2026-07-19",
                ),
                licence(
                    LicenceKind::Import,
                    "IMP-PE-2026-0042",
                    "PE",
                    "2026-01-05",
                    "2026-07-04",
                ),
                licence(
                    LicenceKind::Transit,
                    "TR-EC-2026-0009",
                    "EC",
                    "2026-01-25",
                    "2026-03-25",
                ),
            ],
            basis: TransferBasis::GovernmentToGovernment,
            reference: Some("G2G-CO-PE-2026-01".into()),
        },
        &[],
    );
    r.record(
        LOG,
        ExportDelivery {
            dispatch: dispatch.id(),
            items: vec![id(RIFLE_2)],
            lots: vec![LotQuantity {
                lot: id(LOT_44),
                quantity: q(11_980),
            }],
            verification: DeliveryVerification {
                reference: "DVC-PE-2026-0042".into(),
                issued_by: "Ministerio de Defensa del Perú".into(),
                state: "PE".into(),
                date: Date::parse("2026-02-06").unwrap(),
            },
            note: Some("20 rounds short, damaged in transit".into()),
        },
        &[],
    );
    r.record(
        LOG,
        MarkItems {
            site: id(DEPOT),
            custodian: id(LOG),
            marked_by: id(LOG),
            marked_on: Date::parse("2026-02-07").unwrap(),
            marks: vec![Mark {
                item: id(RIFLE_1),
                kind: MarkKind::State,
                elements: Marking {
                    country_of_manufacture: None,
                    serial: Some("CO-EJC-2026-000123".into()),
                    manufacturer: Some("Ejército de Colombia".into()),
                    ..Marking::default()
                },
                position: "right side of the receiver".into(),
                method: Some("laser engraving".into()),
            }],
            reference: Some("ORDER-MDN-2026-19".into()),
        },
        &[],
    );
    let expended = r.record(
        LOG,
        Expenditure {
            from: Place {
                site: id(DEPOT),
                custodian: id(LOG),
            },
            purpose: ExpenditurePurpose::Training,
            order: "TRG-ORD-2026-031".into(),
            range: "La Cuchilla range 3, 300 m".into(),
            personnel: Some(48),
            lots: vec![LotQuantity {
                lot: id(LOT_44),
                quantity: q(2_400),
            }],
            return_by: Some(Date::parse("2026-02-12").unwrap()),
            note: Some("annual rifle qualification, B company".into()),
        },
        &[],
    );
    r.record(
        LOG,
        ExpenditureReturn {
            expenditure: expended.id(),
            lots: vec![LotQuantity {
                lot: id(LOT_44),
                quantity: q(160),
            }],
            residue: vec![Residue {
                lot: id(LOT_44),
                cases: Some(2_190),
                links: Some(0),
            }],
            note: Some("50 cases not recovered".into()),
        },
        &[],
    );
    r.record(
        MOD,
        RegisterActor {
            subject: actor(OFFICER, ActorKind::Person, Some(LOG), &[]),
        },
        &[],
    );
    let issued = r.record(
        LOG,
        WeaponIssue {
            from: Place {
                site: id(DEPOT),
                custodian: id(LOG),
            },
            to: id(OFFICER),
            items: vec![id(RIFLE_1)],
            due: Timestamp::parse("2026-02-13T21:00:00Z").unwrap(),
            reference: Some("DUTY-ROSTER-2026-02-13".into()),
        },
        &[OFFICER],
    );
    r.record(
        LOG,
        WeaponReturn {
            issue: issued.id(),
            items: vec![id(RIFLE_1)],
            note: Some("returned the next morning".into()),
        },
        &[OFFICER],
    );
    legal_v2(&mut r);
    destruction_v2(&mut r);
    surveillance_v2(&mut r);
    board_v2(&mut r);
    neq_v2(&mut r);
    lots_v2(&mut r);
    // Last: the command line's tests take the history without its final answer.
    tracing_v2(&mut r);
    r.out
}

/// What version 2 changed for lot integrity (IATG 03.10): two lots of 5.56 mm of different
/// manufacturing lots are merged into a mixed lot with the technical authority's approval (the
/// officer co-signs), and a part of the mixed lot is split off, keeping both origins.
fn lots_v2(r: &mut Recorder) {
    for (lot, number, made) in [
        ("lot:556-2011-07", "FMJ-2011-07", "2011-07"),
        ("lot:556-2012-02", "FMJ-2012-02", "2012-02"),
    ] {
        let mut def = cartridges(lot, number, 3_000);
        def.nomenclature = "cartridge 5.56x45 ball".into();
        def.manufactured = Some(Date::parse(made).unwrap());
        r.record(
            LOG,
            RegisterLot {
                site: id(DEPOT),
                custodian: id(LOG),
                origin: Origin {
                    kind: OriginKind::Manufactured,
                    reference: Some("CONTRACT-2011-556".into()),
                    import: None,
                },
                lot: def,
            },
            &[],
        );
    }
    r.record(
        LOG,
        LotMerge {
            site: id(DEPOT),
            custodian: id(LOG),
            lots: vec![lq("lot:556-2011-07", 400), lq("lot:556-2012-02", 600)],
            into: MergeTarget {
                id: id("lot:556-mixed-1"),
                lot_number: "MIXED-556-1".into(),
            },
            mixed_lot_approval: Some(MixedLotApproval {
                by: id(ATO),
                reference: "ATO-WAIVER-2026-004".into(),
            }),
        },
        &[ATO],
    );
    r.record(
        LOG,
        LotSplit {
            lot: id("lot:556-mixed-1"),
            site: id(DEPOT),
            custodian: id(LOG),
            into: vec![SplitPart {
                id: id("lot:556-mixed-1-a"),
                quantity: q(100),
            }],
        },
        &[],
    );
}

/// 100 m of detonating cord counted in millimetres, 10 mg of PETN per millimetre.
fn neq_v2(r: &mut Recorder) {
    r.record(
        LOG,
        RegisterLot {
            site: id(DEPOT),
            custodian: id(LOG),
            origin: Origin {
                kind: OriginKind::StockOnHand,
                reference: None,
                import: None,
            },
            lot: Lot {
                id: id("lot:detcord-2019-07"),
                nomenclature: "detonating cord 10 g/m PETN".into(),
                lot_number: "DC-2019-07".into(),
                unit: Unit::Millimetre,
                quantity: q(100_000),
                hazard: Some(Hazard {
                    division: HazardDivision::D1_1,
                    group: CompatibilityGroup::D,
                }),
                neq_grams_per_unit: q(0),
                neq_mg: Some(q(10)),
                manufactured: Some(Date::parse("2019-07").unwrap()),
                next_inspection: Some(Date::parse("2027-07-01").unwrap()),
                expiry: None,
                status: None,
                condition: None,
                disposition: None,
                category: Some(custodia::model::LotCategory::Explosives),
            },
        },
        &[],
    );
}

/// A count of lot 044 finds 12 rounds missing; a board of inquiry finds 10 of them in a
/// mislabelled carton and writes 2 off, closing the discrepancy.
fn board_v2(r: &mut Recorder) {
    use custodia::event::{BoardDecision, BoardLot, BoardOfInquiry};
    let booked = r
        .ledger
        .balances(&custodia::BalanceFilter {
            site: Some(id(DEPOT)),
            stock: Some(LOT_44.into()),
        })
        .unwrap()
        .iter()
        .map(|b| u64::try_from(b.units).unwrap())
        .sum::<u64>();
    let counted = r.record(
        LOG,
        StockCheck {
            site: id(DEPOT),
            custodian: id(LOG),
            lots: vec![LotCount {
                lot: id(LOT_44),
                booked: q(booked),
                counted: q(booked - 12),
            }],
            items: vec![],
            scope: Some(custodia::model::CountScope::Sample),
            blind: Some(true),
            counters: vec![id(ATO), id(OFFICER)],
        },
        &[],
    );
    r.record(
        MOD,
        BoardOfInquiry {
            discrepancy: counted.id(),
            reference: "BOI-MDN-2026-007".into(),
            members: vec![id(ATO), id(OFFICER)],
            findings: "10 rounds found in a mislabelled carton; 2 unaccounted for".into(),
            to: Some(Place {
                site: id(DEPOT),
                custodian: id(LOG),
            }),
            lots: vec![
                BoardLot {
                    lot: id(LOT_44),
                    quantity: q(10),
                    decision: BoardDecision::Found,
                },
                BoardLot {
                    lot: id(LOT_44),
                    quantity: q(2),
                    decision: BoardDecision::WrittenOff,
                },
            ],
            items: vec![],
        },
        &[],
    );
}

/// The technical authority registered, then a surveillance inspection that suspends a lot
/// after a failed stability test and reclassifies it, and one that clears it.
fn surveillance_v2(r: &mut Recorder) {
    use custodia::event::Inspection;
    use custodia::model::{ConditionCode, InspectionOutcome, InspectionResult, InspectionTest};
    r.record(
        MOD,
        RegisterActor {
            subject: actor(
                ATO,
                ActorKind::Person,
                Some(MOD),
                &[Role::TechnicalAuthority],
            ),
        },
        &[],
    );
    let result = |test, outcome, sample, remarks: &str| InspectionResult {
        test,
        outcome,
        sample: Some(sample),
        remarks: Some(remarks.into()),
    };
    r.record(
        ATO,
        Inspection {
            lots: vec![id(LOT_44)],
            reference: "ATO-SURV-2026-118".into(),
            results: vec![
                result(
                    InspectionTest::Visual,
                    InspectionOutcome::Pass,
                    200,
                    "light corrosion on 3 cartons, contents clean",
                ),
                result(
                    InspectionTest::ChemicalStability,
                    InspectionOutcome::Fail,
                    5,
                    "stabiliser 0.18 %, below the 0.2 % limit",
                ),
            ],
            condition_code: ConditionCode::J,
            next_inspection: Some(Date::parse("2026-05-01").unwrap()),
            expiry: None,
            hazard: Some(Hazard {
                division: HazardDivision::D1_3,
                group: CompatibilityGroup::C,
            }),
            note: Some("suspended pending a second analysis".into()),
        },
        &[],
    );
    r.record(
        ATO,
        Inspection {
            lots: vec![id(LOT_44)],
            reference: "ATO-SURV-2026-131".into(),
            results: vec![result(
                InspectionTest::ChemicalStability,
                InspectionOutcome::Marginal,
                5,
                "second analysis: stabiliser 0.24 %",
            )],
            condition_code: ConditionCode::C,
            next_inspection: Some(Date::parse("2026-08-01").unwrap()),
            expiry: Some(Date::parse("2027-08").unwrap()),
            hazard: None,
            note: None,
        },
        &[],
    );
}

const AG: &str = "agency:attorney-general";
const POLICE: &str = "agency:civil-police";
const SEIZED: &str = "item:seized-2026-0117-3";

/// What version 2 added for the courts: a rifle seized at a checkpoint is booked, put under an
/// evidence hold for the attorney general's case, forfeited by a court order, and deactivated
/// (kept in a reference collection).
fn legal_v2(r: &mut Recorder) {
    for agency in [AG, POLICE] {
        r.record(
            MOD,
            RegisterActor {
                subject: actor(agency, ActorKind::Agency, None, &[]),
            },
            &[],
        );
    }
    let mut seized = rifle(SEIZED, "56-1991-004471");
    seized.marking.import = None;
    r.record(
        LOG,
        RegisterItems {
            site: id(DEPOT),
            custodian: id(LOG),
            origin: Origin {
                kind: OriginKind::Seized,
                reference: Some("FGR-2026-0117".into()),
                import: None,
            },
            items: vec![seized],
        },
        &[],
    );
    let seizure = r.record(
        LOG,
        Seizure {
            site: id(DEPOT),
            custodian: id(LOG),
            items: vec![id(SEIZED)],
            lots: Vec::new(),
            case: "FGR-2026-0117".into(),
            seized_by: id(POLICE),
            seized_on: Date::parse("2026-02-11").unwrap(),
            seized_at: "checkpoint, km 42 of the northern highway".into(),
            held_for: id(AG),
            reference: Some("CC-2026-0117".into()),
        },
        &[],
    );
    r.record(
        LOG,
        JudicialOrder {
            seizure: seizure.id(),
            decision: JudicialDecision::Forfeiture,
            court: "Juzgado Tercero Penal del Circuito de Bogotá".into(),
            order: "JTP-2026-0331".into(),
            ordered_on: Date::parse("2026-02-14").unwrap(),
            items: vec![id(SEIZED)],
            lots: Vec::new(),
            returned_to: None,
        },
        &[],
    );
    r.record(
        LOG,
        Deactivation {
            site: id(DEPOT),
            custodian: id(LOG),
            items: vec![id(SEIZED)],
            method: "barrel plugged and pinned, bolt face removed, chamber welded".into(),
            standard: Some("Resolución MDN 2026-07, anexo I".into()),
            verified_by: id(AG),
            verified_on: Date::parse("2026-02-15").unwrap(),
            certificate: "DEACT-CO-2026-0042".into(),
            mark: Some(DeactivationMark {
                text: "DEACT CO 2026".into(),
                position: "left side of the receiver and the barrel".into(),
            }),
        },
        &[],
    );
}

/// Tracing (ITI §V): Colombia asks through INTERPOL about a Type 56 rifle by its marking; the
/// ministry finds the seized rifle and answers, restricting what it says while the case is
/// open.
fn tracing_v2(r: &mut Recorder) {
    let request = r.record(
        MOD,
        TraceRequest {
            requesting_state: "CO".into(),
            channel: TraceChannel::Interpol,
            reference: "INTERPOL-iARMS-2026-118734".into(),
            received_on: Date::parse("2026-02-16").unwrap(),
            deadline: Date::parse("2026-03-18").unwrap(),
            weapons: vec![Marking {
                manufacturer: Some("Norinco".into()),
                serial: Some("56-1991-004471".into()),
                model: Some("Type 56".into()),
                calibre: Some("7.62x39mm".into()),
                ..Marking::default()
            }],
            context: Some("recovered from an armed group in Cali, case 2026-0451".into()),
            note: None,
        },
        &[],
    );
    r.record(
        MOD,
        TraceResponse {
            request: request.id(),
            answered_on: Date::parse("2026-02-17").unwrap(),
            outcome: TraceOutcome::Identified,
            items: vec![id(SEIZED)],
            refusal: Some(TraceRefusal::CriminalInvestigation),
            information: "seized 2026-02-11 at a checkpoint, forfeited and deactivated; \
                          the chain of custody before the seizure is withheld while case \
                          FGR-2026-0117 is open"
                .into(),
            reference: Some("MDN-TRAZ-2026-0044".into()),
        },
        &[],
    );
}

/// What version 2 changed for destruction: surplus rounds are sent to the range; the ministry
/// authorises their destruction there by open detonation or incineration (the steps from the
/// vocabulary), for a month; the demilitarisation team (not the ministry) destroys them by open
/// detonation in front of an inspector of the attorney general's office, who co-signs.
fn destruction_v2(r: &mut Recorder) {
    const INSPECTOR: &str = "person:inspector-7";
    r.record(
        MOD,
        RegisterActor {
            subject: actor(
                DEMIL,
                ActorKind::Unit,
                Some(MOD),
                &[Role::Custodian, Role::Destroyer],
            ),
        },
        &[],
    );
    r.record(
        MOD,
        RegisterActor {
            subject: actor(INSPECTOR, ActorKind::Person, Some(AG), &[Role::Witness]),
        },
        &[],
    );
    let range = Site {
        id: id(RANGE),
        name: "Polígono La Cuchilla".into(),
        kind: SiteKind::Range,
        parent: None,
        country: Some("CO".into()),
        licensed_neq_grams: None,
        hazard_divisions: Vec::new(),
        two_person_rule: false,
    };
    r.record(MOD, RegisterSite { site: range }, &[]);
    r.record(
        MOD,
        StatusChange {
            items: Vec::new(),
            lots: vec![id(LOT_44)],
            status: None,
            condition: None,
            disposition: Some(Disposition::Surplus),
            reason: "board of survey MDN-JS-2026-009: obsolete, surplus to requirements".into(),
        },
        &[],
    );
    let dispatch = r.record(
        LOG,
        TransferDispatch {
            from: place(DEPOT, LOG),
            to: place(RANGE, DEMIL),
            items: Vec::new(),
            lots: vec![lq(LOT_44, 1_000)],
            reference: Some("WAYBILL-2026-0311".into()),
        },
        &[],
    );
    r.record(
        DEMIL,
        TransferReceipt {
            dispatch: dispatch.id(),
            items: Vec::new(),
            lots: vec![lq(LOT_44, 1_000)],
            note: None,
        },
        &[],
    );
    let authorisation = r.record(
        MOD,
        DestructionAuthorisation {
            reference: "MDN-DEST-2026-0009".into(),
            items: Vec::new(),
            lots: vec![lq(LOT_44, 1_000)],
            methods: vec!["open detonation or incineration at La Cuchilla".into()],
            steps: vec![
                DestructionMethod::OpenDetonation,
                DestructionMethod::Incineration,
            ],
            site: Some(id(RANGE)),
            expires_at: Some(Timestamp::parse("2026-03-31T23:59:59Z").unwrap()),
        },
        &[],
    );
    r.record(
        DEMIL,
        Destruction {
            authorisation: authorisation.id(),
            site: id(RANGE),
            custodian: id(DEMIL),
            method: "open detonation in a demolition pit, donor charge of 2 kg TNT".into(),
            steps: vec![DestructionMethod::OpenDetonation],
            certificate: "CERT-2026-0311".into(),
            items: Vec::new(),
            lots: vec![lq(LOT_44, 1_000)],
            witnesses: vec![Witness {
                actor: id(INSPECTOR),
                agency: id(AG),
            }],
        },
        &[INSPECTOR],
    );
}

// ---------------------------------------------------------------------------------------------
// The files.

fn render_events() -> String {
    render_history(
        history(),
        "custodia event format version 1: one valid history, in append order. For each event: `event` is the unsigned event object; `canonical` its RFC 8785 canonical JSON; `id` the lowercase hex SHA-256 of `canonical`; `signatures` Ed25519 signatures over the 32 bytes of the id by `signers`; `jsonl` the full signed event as one line of an export. See docs/FORMAT.md.",
    )
}

fn render_events_v2() -> String {
    render_history(
        history_v2(),
        "custodia event format version 2: a second valid history, from its own genesis, with what version 2 added (docs/FORMAT.md, \"Versions\"); laid out as events.json.",
    )
}

fn render_history(history: Vec<(SignedEvent, Vec<[u8; 32]>)>, description: &str) -> String {
    let mut entries = Vec::new();
    for (n, (e, seeds)) in history.into_iter().enumerate() {
        let unsigned = serde_json::to_value(e.event()).unwrap();
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
            "kind": e.kind(),
            "canonical": jcs(&unsigned),
            "event": unsigned,
            "id": e.id().to_hex(),
            "signers": signers,
            "signatures": serde_json::to_value(e.signatures()).unwrap(),
            "jsonl": e.to_json(),
        }));
    }
    let file = json!({
        "description": description,
        "warning": "TEST KEYS ONLY. The seeds below are public; never use them to sign a real ledger.",
        "generator": "core/tests/vectors.rs (CUSTODIA_REGENERATE_VECTORS=1 cargo test -p custodia --test vectors)",
        "events": entries,
    });
    let mut text = serde_json::to_string_pretty(&file).unwrap();
    text.push('\n');
    text
}

/// The identity point's encoding: y = 1, x = 0, a point of order 1.
fn identity_key() -> PublicKey {
    let mut b = [0u8; 32];
    b[0] = 1;
    PublicKey::from_bytes(b)
}

/// The order of the Ed25519 base point, little-endian.
const ORDER_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `S + L` for a little-endian scalar `S < L` (fits: `S + L < 2^254`).
fn plus_order(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(s[i]) + u16::from(ORDER_L[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// A signed line built by hand (for signatures no `Signer` makes): the content, its id and the
/// given signatures, in canonical form.
fn line_with_signatures(event: &Event, signatures: Value) -> String {
    let mut v = serde_json::to_value(event).unwrap();
    v["id"] = json!(event.id().unwrap().to_hex());
    v["signatures"] = signatures;
    jcs(&v)
}

/// The edge cases are format version 1, like the history (docs/FORMAT.md, "Versions").
fn v1(mut event: Event) -> Event {
    event.v = 1;
    event
}

/// A genesis event: `agency:mod` registers itself with `name`, signed with its vector key.
fn genesis_named(name: &str) -> SignedEvent {
    let mut subject = actor(MOD, ActorKind::Agency, None, &[Role::Admin]);
    subject.name = name.into();
    v1(Event::new(
        at(0),
        id(MOD),
        Vec::new(),
        RegisterActor { subject }.into(),
    ))
    .sign(&[&key_of(MOD)])
    .unwrap()
}

fn verdict(code: Option<ErrorCode>) -> Value {
    match code {
        None => json!({"verdict": "accepted"}),
        Some(c) => json!({"verdict": "refused", "code": c.get(), "name": c.name()}),
    }
}

fn render_edge_cases() -> String {
    let mut cases = Vec::new();
    let mut case = |name: &str,
                    description: &str,
                    lenient: &str,
                    line: String,
                    append: Option<ErrorCode>,
                    export: Option<ErrorCode>| {
        cases.push(json!({
            "name": name,
            "description": description,
            "lenient": lenient,
            "jsonl": line,
            "append": verdict(append),
            "export": verdict(export),
        }));
    };

    // A genesis event registering the identity point as its key, "signed" with R = identity,
    // S = 0: [S]B = R + [k]A holds for every message, so a verifier that accepts small-order
    // keys accepts it.
    let mut forger = actor(MOD, ActorKind::Agency, None, &[Role::Admin]);
    forger.id = id("agency:forger");
    forger.name = "Forger".into();
    forger.keys = vec![identity_key()];
    let event = v1(Event::new(at(0), id("agency:forger"), Vec::new(), {
        RegisterActor { subject: forger }.into()
    }));
    let mut sig = [0u8; 64];
    sig[0] = 1;
    case(
        "small_order_key",
        "genesis event whose only key is the identity point (encoding 01 00..00, small order) \
         and whose signature is R = identity, S = 0",
        "verifiers that accept small-order public keys (cofactorless or cofactored) accept \
         this signature for any message",
        line_with_signatures(
            &event,
            json!([{"key": identity_key().to_hex(), "sig": hex::encode(sig)}]),
        ),
        Some(ErrorCode::BadSignature),
        Some(ErrorCode::BadSignature),
    );

    // The genesis vector with its signature's S replaced by S + L: the same point equation.
    let genesis = SignedEvent::from_json(history()[0].0.to_json().as_bytes()).unwrap();
    let good = genesis.signatures()[0];
    let mut malleated = *good.sig.as_bytes();
    let s_plus_l = plus_order(&malleated[32..]);
    malleated[32..].copy_from_slice(&s_plus_l);
    case(
        "non_canonical_s",
        "event 0 of events.json with its signature's scalar S replaced by S + L",
        "verifiers that do not require S < L accept it: a second valid-looking signature \
         (malleability)",
        line_with_signatures(
            genesis.event(),
            json!([{"key": good.key.to_hex(), "sig": hex::encode(malleated)}]),
        ),
        Some(ErrorCode::BadSignature),
        Some(ErrorCode::BadSignature),
    );

    let line = genesis.to_json();
    assert!(line.ends_with(",\"v\":1}"));
    case(
        "members_reordered",
        "event 0 of events.json with `v` moved first: the same event and id, not canonical",
        "verifiers that recompute the id from the parsed value and never compare bytes accept \
         it; two different byte strings then stand for one signed event",
        format!("{{\"v\":1,{}}}", &line[1..line.len() - ",\"v\":1}".len()]),
        None,
        Some(ErrorCode::NotCanonicalBytes),
    );
    case(
        "whitespace",
        "event 0 of events.json with a space after its first colon",
        "as for members_reordered",
        line.replacen("\":", "\": ", 1),
        None,
        Some(ErrorCode::NotCanonicalBytes),
    );
    case(
        "duplicate_member",
        "event 0 of events.json with `subject.name` given twice, a forged value first and the \
         signed value last",
        "parsers that keep the last member (Python's json, serde_json) compute the signed id \
         and accept it, while parsers that keep the first see `Ministry of Finance` under the \
         same id and signature",
        line.replacen(
            "\"name\":\"Ministry of Defence\"",
            "\"name\":\"Ministry of Finance\",\"name\":\"Ministry of Defence\"",
            1,
        ),
        Some(ErrorCode::DuplicateMember),
        Some(ErrorCode::DuplicateMember),
    );
    let sep = genesis_named("Ministry of Defence\u{2028}Logistics Directorate");
    case(
        "u2028_raw",
        "a genesis event whose actor name holds U+2028 LINE SEPARATOR, written raw (bytes E2 80 \
         A8) as RFC 8785 requires",
        "serialisers that escape U+2028 as \\u2028 (JavaScript-safe JSON encoders) hash \
         different bytes and compute a different id",
        sep.to_json().to_owned(),
        None,
        None,
    );
    case(
        "u2028_escaped",
        "the u2028_raw event with U+2028 written as the escape \\u2028: the same event and id, \
         not canonical",
        "as for members_reordered",
        sep.to_json().replace('\u{2028}', "\\u2028"),
        None,
        Some(ErrorCode::NotCanonicalBytes),
    );

    let file = json!({
        "description": "custodia event format version 1: single lines that lenient verifiers get wrong. Each case is one JSONL line (`jsonl`) with the verdict expected when it is appended to an empty ledger as input (`append`: any JSON text of the event is accepted, the ledger stores the canonical form) and when it is checked as a one-line export (`export`: the bytes must be exactly the canonical form); `code` is the custodia error code (docs/ERRORS.md). `lenient` says what a lenient verifier does instead. See docs/FORMAT.md.",
        "warning": "TEST KEYS ONLY. The keys are those of events.json, whose seeds are public.",
        "generator": "core/tests/vectors.rs (CUSTODIA_REGENERATE_VECTORS=1 cargo test -p custodia --test vectors)",
        "cases": cases,
    });
    let mut text = serde_json::to_string_pretty(&file).unwrap();
    text.push('\n');
    text
}

fn regenerating() -> bool {
    std::env::var_os("CUSTODIA_REGENERATE_VECTORS").is_some_and(|v| v == "1")
}

/// A committed file (rewritten first, once per run, when regenerating).
fn committed(name: &str) -> Value {
    static EVENTS: std::sync::Once = std::sync::Once::new();
    static EVENTS_V2: std::sync::Once = std::sync::Once::new();
    static EDGES: std::sync::Once = std::sync::Once::new();
    let path = support::vectors(name);
    if regenerating() {
        match name {
            "events.json" => EVENTS.call_once(|| std::fs::write(&path, render_events()).unwrap()),
            "events-v2.json" => {
                EVENTS_V2.call_once(|| std::fs::write(&path, render_events_v2()).unwrap());
            }
            _ => EDGES.call_once(|| std::fs::write(&path, render_edge_cases()).unwrap()),
        }
    }
    support::read_json(&path)
}

fn events_file() -> Value {
    committed("events.json")
}

fn events_v2_file() -> Value {
    committed("events-v2.json")
}

/// Both histories: version 1, then version 2.
fn both_files() -> [Value; 2] {
    [events_file(), events_v2_file()]
}

fn edge_cases() -> Value {
    committed("edge-cases.json")
}

fn lines_of(file: &Value) -> Vec<String> {
    file["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["jsonl"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// events.json

#[test]
fn events_file_matches_the_generator() {
    let fresh = render_events();
    let _ = events_file();
    let on_disk = std::fs::read_to_string(support::vectors("events.json")).unwrap();
    assert!(
        on_disk == fresh,
        "docs/vectors/events.json differs from what core/tests/vectors.rs generates; if the \
         format change is deliberate, regenerate with CUSTODIA_REGENERATE_VECTORS=1"
    );
}

#[test]
fn events_cover_every_kind() {
    let file = events_file();
    let events = file["events"].as_array().unwrap();
    assert_eq!(events.len(), 26);
    let v2 = events_v2_file();
    let events_v2 = v2["events"].as_array().unwrap();
    assert_eq!(events_v2.len(), V2_EVENTS);
    for (e, v) in events
        .iter()
        .map(|e| (e, 1))
        .chain(events_v2.iter().map(|e| (e, 2)))
    {
        assert_eq!(e["event"]["v"], v, "event {} of version {v}", e["n"]);
    }
    let kinds: BTreeSet<&str> = events
        .iter()
        .chain(events_v2)
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let all: BTreeSet<&str> = custodia::event::KINDS.iter().copied().collect();
    assert_eq!(kinds, all);
}

/// Events of `events-v2.json`.
const V2_EVENTS: usize = 40;

#[test]
fn events_v2_file_matches_the_generator() {
    let fresh = render_events_v2();
    let _ = events_v2_file();
    let on_disk = std::fs::read_to_string(support::vectors("events-v2.json")).unwrap();
    assert!(
        on_disk == fresh,
        "docs/vectors/events-v2.json differs from what core/tests/vectors.rs generates; if the \
         format change is deliberate, regenerate with CUSTODIA_REGENERATE_VECTORS=1"
    );
}

#[test]
fn events_v2_replay_and_verify_as_an_export() {
    let file = events_v2_file();
    let lines = lines_of(&file);
    let text = lines.join("\n") + "\n";
    let report = verify_jsonl(text.as_bytes(), None);
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, V2_EVENTS as u64);
    let mut ledger = Ledger::in_memory(Options::new()).unwrap();
    ledger.append_json_lines(text.as_bytes()).unwrap();
    ledger.check_invariants().unwrap();
    let verified = ledger.verify().unwrap();
    assert!(verified.ok, "{:?}", verified.failure);
    assert_eq!(report.state_digest, verified.state_digest);
    let mut export = Vec::new();
    assert_eq!(ledger.export_jsonl(&mut export).unwrap(), V2_EVENTS as u64);
    assert_eq!(String::from_utf8(export).unwrap(), text);
}

#[test]
fn every_id_is_the_sha256_of_its_canonical_json() {
    for e in both_files()
        .iter()
        .flat_map(|f| f["events"].as_array().unwrap().clone())
    {
        let n = &e["n"];
        let canonical = e["canonical"].as_str().unwrap();
        let claimed = e["id"].as_str().unwrap();
        assert_eq!(jcs(&e["event"]), canonical, "event {n}: canonical form");
        assert_eq!(sha256_hex(canonical.as_bytes()), claimed, "event {n}: id");
        assert_eq!(e["kind"], e["event"]["kind"], "event {n}: kind");
        // The core computes the same id from the value and from the decoded event.
        let core = custodia::event::event_id_of(&e["event"]).unwrap();
        assert_eq!(core.to_hex(), claimed, "event {n}: event_id_of");
        let decoded =
            Event::from_json(canonical.as_bytes()).unwrap_or_else(|err| panic!("event {n}: {err}"));
        assert_eq!(
            decoded.id().unwrap().to_hex(),
            claimed,
            "event {n}: Event::id"
        );
        assert_eq!(
            serde_json::to_value(&decoded).unwrap(),
            e["event"],
            "event {n}"
        );
    }
}

#[test]
fn every_signature_verifies_strictly() {
    use ed25519_dalek::Signer as _;
    let mut count = 0;
    for e in both_files()
        .iter()
        .flat_map(|f| f["events"].as_array().unwrap().clone())
    {
        let n = &e["n"];
        let event_id = EventId::from_hex(e["id"].as_str().unwrap()).unwrap();
        let signers = e["signers"].as_array().unwrap();
        let sigs = e["signatures"].as_array().unwrap();
        assert!(!sigs.is_empty(), "event {n}: unsigned");
        assert_eq!(signers.len(), sigs.len(), "event {n}: one per signer");
        for (signer, sig) in signers.iter().zip(sigs) {
            let seed: [u8; 32] = hex::decode(signer["seed"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap();
            let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
            let key = signing.verifying_key();
            assert_eq!(signer["key"].as_str().unwrap(), hex::encode(key.to_bytes()));
            assert_eq!(sig["key"], signer["key"], "event {n}: signer order");
            let sig_bytes: [u8; 64] = hex::decode(sig["sig"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap();
            let signature = ed25519_dalek::Signature::from_bytes(&sig_bytes);
            key.verify_strict(event_id.as_bytes(), &signature)
                .unwrap_or_else(|_| panic!("event {n}: signature does not verify"));
            // Ed25519 is deterministic: signing again gives the same bytes.
            assert_eq!(signing.sign(event_id.as_bytes()).to_bytes(), sig_bytes);
            // custodia's own check agrees, and refuses another message.
            let typed: Signature = serde_json::from_value(sig.clone()).unwrap();
            assert!(typed.verify(&event_id), "event {n}: Signature::verify");
            let mut other = *event_id.as_bytes();
            other[0] ^= 1;
            assert!(!typed.verify(&EventId::from_bytes(other)));
            custodia::event::check_public_key(&typed.key).unwrap();
            count += 1;
        }
    }
    // 26 events of version 1, the destruction co-signed by two witnesses, and the events of
    // version 2, each signed once but the weapon issue and return, co-signed by the officer,
    // the destruction, co-signed by its witness, and the mixed-lot merge, co-signed by the
    // technical officer who approves it.
    assert_eq!(count, 28 + V2_EVENTS + 4);
}

#[test]
fn every_jsonl_line_is_the_canonical_signed_event_and_decodes() {
    for e in both_files()
        .iter()
        .flat_map(|f| f["events"].as_array().unwrap().clone())
    {
        let n = &e["n"];
        let line = e["jsonl"].as_str().unwrap();
        assert!(!line.contains('\n'));
        let mut full = e["event"].clone();
        full["id"] = e["id"].clone();
        full["signatures"] = e["signatures"].clone();
        assert_eq!(jcs(&full), line, "event {n}: jsonl line");
        assert_eq!(content_id(&full), e["id"].as_str().unwrap());
        // The wire format did not change: every committed line decodes as stored bytes do.
        let decoded = SignedEvent::from_canonical_json(line.as_bytes())
            .unwrap_or_else(|err| panic!("event {n}: {err} ({:?})", err.code()));
        assert_eq!(decoded.to_json(), line);
        assert_eq!(decoded.id().to_hex(), e["id"].as_str().unwrap());
        assert_eq!(decoded.kind(), e["kind"].as_str().unwrap());
        assert_eq!(
            serde_json::to_value(decoded.signatures()).unwrap(),
            e["signatures"]
        );
    }
}

#[test]
fn events_replay_through_a_fresh_ledger() {
    let file = events_file();
    let lines = lines_of(&file);
    let events: Vec<SignedEvent> = lines
        .iter()
        .map(|l| SignedEvent::from_canonical_json(l.as_bytes()).unwrap())
        .collect();
    // One event at a time.
    let mut one_by_one = Ledger::in_memory(Options::new()).unwrap();
    for (n, e) in events.iter().enumerate() {
        let report = one_by_one
            .append(std::slice::from_ref(e))
            .unwrap_or_else(|err| panic!("event {n} refused: {err}"));
        assert_eq!(report.events[0].id, e.id());
        assert_eq!(report.events[0].index, n as u64);
        assert_eq!(report.ledger_len, n as u64 + 1);
    }
    one_by_one.check_invariants().unwrap();
    // All in one batch, as JSON lines.
    let mut batch = Ledger::in_memory(Options::new()).unwrap();
    let report = batch
        .append_json_lines(lines.join("\n").as_bytes())
        .unwrap();
    assert_eq!(report.ledger_len, 26);
    let ids: Vec<String> = report.events.iter().map(|a| a.id.to_hex()).collect();
    let expected: Vec<&str> = file["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);
    // Both hold the same log and the same state.
    assert_eq!(
        one_by_one.tree_head().unwrap().root,
        batch.tree_head().unwrap().root
    );
    let (a, b) = (one_by_one.verify().unwrap(), batch.verify().unwrap());
    assert!(a.ok && b.ok, "{:?} {:?}", a.failure, b.failure);
    assert_eq!(a.events, 26);
    assert_eq!(a.state_digest, b.state_digest);
    // The export is the committed lines, byte for byte.
    let mut export = Vec::new();
    assert_eq!(batch.export_jsonl(&mut export).unwrap(), 26);
    assert_eq!(String::from_utf8(export).unwrap(), lines.join("\n") + "\n");
    // The same line again is refused, and nothing is written.
    let err = batch.append(&events[..1]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DuplicateEvent);
    assert_eq!(batch.len().unwrap(), 26);
}

#[test]
fn events_verify_as_an_export() {
    let file = events_file();
    let lines = lines_of(&file);
    let text = lines.join("\n") + "\n";
    let report = verify_jsonl(text.as_bytes(), None);
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 26);
    let mut ledger = Ledger::in_memory(Options::new()).unwrap();
    ledger.append_json_lines(text.as_bytes()).unwrap();
    assert_eq!(report.state_digest, ledger.verify().unwrap().state_digest);
    // A history that does not start with its genesis is refused at its first line.
    let report = verify_jsonl(lines[1..].join("\n").as_bytes(), None);
    assert!(!report.ok);
    let failure = report.failure.unwrap();
    assert_eq!(
        (failure.index(), failure.code()),
        (Some(0), ErrorCode::Genesis)
    );
    // A receipt whose dispatch is missing is refused where it stands.
    let mut gap = lines.clone();
    let dispatch = gap.remove(14);
    assert!(dispatch.contains("\"kind\":\"transfer_dispatch\""));
    let report = verify_jsonl(gap.join("\n").as_bytes(), None);
    assert!(!report.ok);
    assert_eq!(report.events, 14);
    let failure = report.failure.unwrap();
    assert_eq!(failure.index(), Some(14));
    assert_eq!(failure.code(), ErrorCode::UnknownReference, "{failure}");
}

// ---------------------------------------------------------------------------------------------
// edge-cases.json

#[test]
fn edge_cases_file_matches_the_generator() {
    let fresh = render_edge_cases();
    let _ = edge_cases();
    let on_disk = std::fs::read_to_string(support::vectors("edge-cases.json")).unwrap();
    assert!(
        on_disk == fresh,
        "docs/vectors/edge-cases.json differs from what core/tests/vectors.rs generates; \
         regenerate with CUSTODIA_REGENERATE_VECTORS=1"
    );
}

fn expected_code(v: &Value) -> Option<ErrorCode> {
    match v["verdict"].as_str().unwrap() {
        "accepted" => None,
        "refused" => {
            let code = ErrorCode::from_u32(v["code"].as_u64().unwrap() as u32).unwrap();
            assert_eq!(v["name"].as_str().unwrap(), code.name());
            Some(code)
        }
        other => panic!("unknown verdict `{other}`"),
    }
}

#[test]
fn edge_cases_get_their_verdicts_from_custodia() {
    let file = edge_cases();
    let cases = file["cases"].as_array().unwrap();
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "small_order_key",
            "non_canonical_s",
            "members_reordered",
            "whitespace",
            "duplicate_member",
            "u2028_raw",
            "u2028_escaped"
        ]
    );
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let line = c["jsonl"].as_str().unwrap();
        // Appended as input to an empty ledger.
        let mut ledger = Ledger::in_memory(Options::new()).unwrap();
        let appended = ledger.append_json_lines(line.as_bytes());
        match (expected_code(&c["append"]), &appended) {
            (None, Ok(report)) => {
                assert_eq!(report.ledger_len, 1, "{name}");
                // What is stored is the canonical form, whatever form came in.
                let stored = &ledger.events(0, 1).unwrap()[0].json;
                let canonical = SignedEvent::from_json(line.as_bytes()).unwrap();
                assert_eq!(stored, canonical.to_json(), "{name}");
                assert_eq!(content_id(&serde_json::from_str(stored).unwrap()), {
                    report.events[0].id.to_hex()
                });
            }
            (Some(code), Err(e)) => {
                assert_eq!(e.code(), code, "{name}: append: {e}");
                assert_eq!(e.index(), Some(0), "{name}");
                assert_eq!(ledger.len().unwrap(), 0, "{name}");
            }
            (want, got) => panic!("{name}: append: expected {want:?}, got {got:?}"),
        }
        // Verified as a one-line export.
        let report = verify_jsonl(line.as_bytes(), None);
        match expected_code(&c["export"]) {
            None => {
                assert!(report.ok, "{name}: export: {:?}", report.failure);
                assert_eq!(report.events, 1);
            }
            Some(code) => {
                assert!(!report.ok, "{name}: export accepted");
                let e = report.failure.unwrap();
                assert_eq!(e.code(), code, "{name}: export: {e}");
                assert_eq!(e.index(), Some(0), "{name}");
                assert_eq!(report.events, 0);
            }
        }
    }
}

/// Each case really is one a lenient verifier gets wrong.
#[test]
fn edge_cases_fool_a_lenient_verifier() {
    use ed25519_dalek::Verifier as _;
    let file = edge_cases();
    let case = |name: &str| -> String {
        file["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["jsonl"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let parsed = |name: &str| -> Value { serde_json::from_str(&case(name)).unwrap() };
    let sig_of = |v: &Value| -> (ed25519_dalek::VerifyingKey, ed25519_dalek::Signature) {
        let s = &v["signatures"][0];
        let key: [u8; 32] = hex::decode(s["key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let sig: [u8; 64] = hex::decode(s["sig"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        (
            ed25519_dalek::VerifyingKey::from_bytes(&key).unwrap(),
            ed25519_dalek::Signature::from_bytes(&sig),
        )
    };

    // Small-order key: the id is right, dalek's non-strict verification accepts the
    // signature, and it would accept it for any other message too.
    let v = parsed("small_order_key");
    assert_eq!(content_id(&v), v["id"].as_str().unwrap());
    let (key, sig) = sig_of(&v);
    assert!(key.is_weak());
    let event_id = hex::decode(v["id"].as_str().unwrap()).unwrap();
    assert!(key.verify(&event_id, &sig).is_ok(), "lenient verify");
    assert!(
        key.verify(b"anything at all", &sig).is_ok(),
        "lenient verify"
    );
    assert!(key.verify_strict(&event_id, &sig).is_err());
    let typed: Signature = serde_json::from_value(v["signatures"][0].clone()).unwrap();
    assert!(!typed.verify(&EventId::from_hex(v["id"].as_str().unwrap()).unwrap()));
    assert_eq!(
        custodia::event::check_public_key(&typed.key)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidPublicKey
    );

    // S + L: the id is right and the signature's S differs from the good one by exactly L.
    let v = parsed("non_canonical_s");
    assert_eq!(content_id(&v), v["id"].as_str().unwrap());
    let good = SignedEvent::from_json(lines_of(&events_file())[0].as_bytes()).unwrap();
    let good_sig = good.signatures()[0].sig.as_bytes().to_vec();
    let bad_sig = hex::decode(v["signatures"][0]["sig"].as_str().unwrap()).unwrap();
    assert_eq!(bad_sig[..32], good_sig[..32], "same R");
    assert_eq!(bad_sig[32..], plus_order(&good_sig[32..]), "S + L");

    // Non-canonical lines: a verifier that recomputes the id from the parsed value accepts
    // them; the bytes differ from the canonical line.
    for name in ["members_reordered", "whitespace", "u2028_escaped"] {
        let line = case(name);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(content_id(&v), v["id"].as_str().unwrap(), "{name}");
        assert_ne!(jcs(&v), line, "{name}");
    }

    // Duplicate member: a last-wins parser sees the signed event; a first-wins reading of the
    // same bytes is a different event under the same id.
    let line = case("duplicate_member");
    let last_wins: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(content_id(&last_wins), last_wins["id"].as_str().unwrap());
    let mut first_wins = last_wins.clone();
    first_wins["subject"]["name"] = json!("Ministry of Finance");
    assert_ne!(content_id(&first_wins), last_wins["id"].as_str().unwrap());

    // U+2028: written raw; escaping it changes the hashed bytes and so the id.
    let line = case("u2028_raw");
    assert!(line.as_bytes().windows(3).any(|w| w == [0xe2, 0x80, 0xa8]));
    assert!(!line.contains("\\u2028"));
    let v: Value = serde_json::from_str(&line).unwrap();
    let mut content = v.clone();
    content.as_object_mut().unwrap().remove("id");
    content.as_object_mut().unwrap().remove("signatures");
    let escaped = jcs(&content).replace('\u{2028}', "\\u2028");
    assert_ne!(sha256_hex(escaped.as_bytes()), v["id"].as_str().unwrap());
    assert_eq!(content_id(&v), v["id"].as_str().unwrap());
}

// ---------------------------------------------------------------------------------------------
// Python.

#[test]
fn python_checker_agrees() {
    let Some(stdout) = support::check_py_ok(
        "python cross-check of docs/vectors (check.py)",
        &[
            support::vectors("events.json").to_str().unwrap(),
            "--edge-cases",
            support::vectors("edge-cases.json").to_str().unwrap(),
        ],
    ) else {
        return;
    };
    let events = events_file()["events"].as_array().unwrap().len();
    let cases = edge_cases()["cases"].as_array().unwrap().len();
    for want in [
        format!("{events} ids ok"),
        "28 signatures ok".to_owned(),
        format!("{cases} edge cases ok"),
    ] {
        assert!(stdout.contains(&want), "expected `{want}` in:\n{stdout}");
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

/// check.py fails on a vector it must refuse: the test of the test.
#[test]
fn python_checker_fails_on_a_wrong_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = edge_cases();
    // Claim the small-order signature is fine.
    file["cases"][0]["export"] = json!({"verdict": "accepted"});
    let path = dir.path().join("edge-cases.json");
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    let Some(out) = support::check_py(
        "python cross-check of a wrong edge-case verdict (check.py)",
        &[
            support::vectors("events.json").to_str().unwrap(),
            "--edge-cases",
            path.to_str().unwrap(),
        ],
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("FAIL edge case small_order_key"),
        "{stdout}"
    );
}
