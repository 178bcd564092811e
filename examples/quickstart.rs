//! Quickstart: one destruction campaign, end to end.
//!
//! A ministry registers itself and the people involved, a depot, some seized rifles and an
//! ammunition lot; moves them to a demilitarisation range; an authority orders their
//! destruction; a demil team destroys them in front of witnesses from two agencies. Then an
//! auditor re-verifies the whole history from the exported events alone.
//!
//! Run with `cargo run --example quickstart`.

use custodia::Signer;
use custodia::event::{Body, LotQuantity, Place, Witness};
use custodia::ledger::{Account, Sink, Stock};
use custodia::model::{
    Actor, ActorId, ActorKind, CompatibilityGroup, Hazard, HazardDivision, Item, ItemCategory,
    ItemId, Lot, LotId, Marking, Origin, OriginKind, Quantity, Role, Site, SiteId, SiteKind,
    Status, Timestamp, Unit,
};
use custodia::scribe::Scribe;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn id<T: std::str::FromStr>(s: &str) -> Result<T>
where
    T::Err: std::error::Error + 'static,
{
    Ok(s.parse()?)
}

fn at(s: &str) -> Result<Timestamp> {
    Ok(Timestamp::parse(s)?)
}

/// Registers an actor with a fresh key, which the scribe keeps to sign on their behalf.
/// In production each actor's key lives in their own hardware token; the scribe stands in.
fn actor(
    scribe: &mut Scribe,
    admin: &ActorId,
    when: &str,
    who: &str,
    kind: ActorKind,
    member_of: Option<&str>,
    roles: &[Role],
) -> Result<ActorId> {
    let signer = Signer::generate();
    let subject = Actor {
        id: id(who)?,
        kind,
        name: who.to_owned(),
        member_of: member_of.map(id).transpose()?,
        roles: roles.to_vec(),
        keys: vec![signer.public_key()],
    };
    scribe.hold_key(subject.id.clone(), signer);
    scribe.record(
        at(when)?,
        admin,
        Body::RegisterActor {
            subject: subject.clone(),
        },
        &[],
    )?;
    Ok(subject.id)
}

fn main() -> Result<()> {
    let mut scribe = Scribe::new();

    // 1. The first event: the national authority registers itself. It is the only event with
    //    no parents, signed by the key it registers.
    let ministry: ActorId = id("agency:ministry-of-defence")?;
    let root_key = Signer::generate();
    let genesis = Actor {
        id: ministry.clone(),
        kind: ActorKind::Agency,
        name: "Ministry of Defence".into(),
        member_of: None,
        roles: vec![Role::Admin, Role::Authoriser],
        keys: vec![root_key.public_key()],
    };
    scribe.hold_key(ministry.clone(), root_key);
    scribe.record(
        at("2026-01-05T08:00:00Z")?,
        &ministry,
        Body::RegisterActor { subject: genesis },
        &[],
    )?;

    // 2. Who takes part: a logistics battalion (custodian of the depot), a demil team, and
    //    witnesses from the attorney general's office and the civil police.
    let t = "2026-01-05T09:00:00Z";
    let depot_unit = actor(
        &mut scribe,
        &ministry,
        t,
        "unit:log-bn-2",
        ActorKind::Unit,
        Some("agency:ministry-of-defence"),
        &[Role::Custodian],
    )?;
    let demil = actor(
        &mut scribe,
        &ministry,
        t,
        "unit:demil-team-1",
        ActorKind::Unit,
        Some("agency:ministry-of-defence"),
        &[Role::Custodian, Role::Destroyer],
    )?;
    let ag = actor(
        &mut scribe,
        &ministry,
        t,
        "agency:attorney-general",
        ActorKind::Agency,
        None,
        &[],
    )?;
    let police = actor(
        &mut scribe,
        &ministry,
        t,
        "agency:civil-police",
        ActorKind::Agency,
        None,
        &[],
    )?;
    let inspector = actor(
        &mut scribe,
        &ministry,
        t,
        "person:inspector-7",
        ActorKind::Person,
        Some("agency:attorney-general"),
        &[Role::Witness],
    )?;
    let officer = actor(
        &mut scribe,
        &ministry,
        t,
        "person:officer-31",
        ActorKind::Person,
        Some("agency:civil-police"),
        &[Role::Witness],
    )?;

    // 3. Sites: the central depot and the destruction range.
    let depot: SiteId = id("depot:central")?;
    let range: SiteId = id("range:la-cuchilla")?;
    for (site, kind) in [(&depot, SiteKind::Depot), (&range, SiteKind::Range)] {
        let s = Site {
            id: site.clone(),
            name: site.to_string(),
            kind,
            parent: None,
            country: Some("CO".into()),
            licensed_neq_grams: Some(Quantity::new(5_000_000)?),
            hazard_divisions: vec![HazardDivision::D1_4],
        };
        scribe.record(
            at("2026-01-06T08:00:00Z")?,
            &ministry,
            Body::RegisterSite { site: s },
            &[],
        )?;
    }

    // 4. Stock: three seized rifles with their ITI/CIFTA markings, and an ammunition lot. The
    //    unit's own key signs: only a custodian registers stock into its own charge.
    let rifles: Vec<ItemId> = (1..=3)
        .map(|n| id(&format!("item:AK47-KZ-1987-{n:05}")))
        .collect::<Result<_>>()?;
    let items = rifles
        .iter()
        .enumerate()
        .map(|(n, rifle)| Item {
            id: rifle.clone(),
            category: ItemCategory::Firearm,
            item_type: "assault rifle".into(),
            marking: Marking {
                manufacturer: Some("Izhmash".into()),
                country_of_manufacture: Some("RU".into()),
                serial: Some(format!("1987{n:05}")),
                year: Some(1987),
                model: Some("AKM".into()),
                calibre: Some("7.62x39mm".into()),
                import: None,
            },
            status: Some(Status::PendingDestruction),
        })
        .collect();
    let seized = Origin {
        kind: OriginKind::Seized,
        reference: Some("CASE-2025-0931".into()),
    };
    scribe.record(
        at("2026-01-10T10:00:00Z")?,
        &depot_unit,
        Body::RegisterItems {
            site: depot.clone(),
            custodian: depot_unit.clone(),
            origin: seized,
            items,
        },
        &[],
    )?;

    let lot_id: LotId = id("lot:762x39-1987-044")?;
    let lot = Lot {
        id: lot_id.clone(),
        nomenclature: "cartridge 7.62x39 ball".into(),
        lot_number: "KZ-1987-044".into(),
        unit: Unit::Round,
        quantity: Quantity::new(48_000)?,
        hazard: Some(Hazard {
            division: HazardDivision::D1_4,
            group: CompatibilityGroup::S,
        }),
        neq_grams_per_unit: Quantity::new(2)?,
        manufactured: Some(custodia::model::Date::parse("1987-05")?),
        next_inspection: None,
        expiry: None,
        status: Some(Status::Surplus),
    };
    let stock_on_hand = Origin {
        kind: OriginKind::StockOnHand,
        reference: None,
    };
    scribe.record(
        at("2026-01-10T11:00:00Z")?,
        &depot_unit,
        Body::RegisterLot {
            site: depot.clone(),
            custodian: depot_unit.clone(),
            origin: stock_on_hand,
            lot,
        },
        &[],
    )?;

    // 5. Two-phase transfer to the range. 12 000 rounds leave; 11 980 arrive. The 20 missing
    //    rounds do not vanish: they land in a discrepancy account named by the receipt.
    let dispatch = scribe.record(
        at("2026-06-01T06:00:00Z")?,
        &depot_unit,
        Body::TransferDispatch {
            from: Place {
                site: depot.clone(),
                custodian: depot_unit.clone(),
            },
            to: Place {
                site: range.clone(),
                custodian: demil.clone(),
            },
            items: rifles.clone(),
            lots: vec![LotQuantity {
                lot: lot_id.clone(),
                quantity: Quantity::new(12_000)?,
            }],
            reference: Some("WAYBILL-2026-118".into()),
        },
        &[],
    )?;
    scribe.record(
        at("2026-06-01T15:00:00Z")?,
        &demil,
        Body::TransferReceipt {
            dispatch: dispatch.id,
            items: rifles.clone(),
            lots: vec![LotQuantity {
                lot: lot_id.clone(),
                quantity: Quantity::new(11_980)?,
            }],
            note: Some("one case damaged in transit".into()),
        },
        &[],
    )?;

    // 6. The authority orders destruction of what arrived, by two allowed methods.
    let order = scribe.record(
        at("2026-06-10T09:00:00Z")?,
        &ministry,
        Body::DestructionAuthorisation {
            reference: "ORDER-2026-0042".into(),
            items: rifles.clone(),
            lots: vec![LotQuantity {
                lot: lot_id.clone(),
                quantity: Quantity::new(11_980)?,
            }],
            methods: vec!["cutting_and_melting".into(), "open_detonation".into()],
        },
        &[],
    )?;

    // 7. Destruction, witnessed by two agencies; the witnesses co-sign the event.
    scribe.record(
        at("2026-06-15T14:00:00Z")?,
        &demil,
        Body::Destruction {
            authorisation: order.id,
            site: range.clone(),
            custodian: demil.clone(),
            method: "cutting_and_melting".into(),
            certificate: "CERT-2026-0117".into(),
            items: rifles.clone(),
            lots: vec![LotQuantity {
                lot: lot_id.clone(),
                quantity: Quantity::new(11_980)?,
            }],
            witnesses: vec![
                Witness {
                    actor: inspector.clone(),
                    agency: ag.clone(),
                },
                Witness {
                    actor: officer.clone(),
                    agency: police.clone(),
                },
            ],
        },
        &[&inspector, &officer],
    )?;

    // 8. Destroyed is terminal: trying to move a destroyed rifle is refused, and the ledger is unchanged.
    let first_rifle = rifles.first().cloned().ok_or("no rifles")?;
    let digest_before = scribe.ledger().state().digest();
    let refused = scribe.record(
        at("2026-06-16T08:00:00Z")?,
        &demil,
        Body::TransferDispatch {
            from: Place {
                site: range.clone(),
                custodian: demil.clone(),
            },
            to: Place {
                site: depot.clone(),
                custodian: depot_unit.clone(),
            },
            items: vec![first_rifle.clone()],
            lots: vec![],
            reference: None,
        },
        &[],
    );
    println!(
        "moving a destroyed rifle: {}",
        refused
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "accepted?!".into())
    );
    assert_eq!(digest_before, scribe.ledger().state().digest());

    // 9. What the books say now.
    let journal = scribe.journal().to_vec();
    let ledger = scribe.into_ledger();
    let state = ledger.state();
    let destroyed = Account::Sink(Sink::Destroyed);
    println!("events: {}", state.event_count());
    println!(
        "rounds destroyed: {}",
        state.balance(&destroyed, &Stock::Lot(lot_id.clone()))
    );
    println!(
        "rounds still at the depot: {}",
        state.balance(
            &Account::Holding {
                site: depot.clone(),
                custodian: depot_unit.clone()
            },
            &Stock::Lot(lot_id.clone())
        )
    );
    println!(
        "rounds missing in transit (under investigation): {}",
        state
            .balances()
            .iter()
            .filter(|(a, _)| matches!(a, Account::Discrepancy(_)))
            .map(|(_, s)| s.get(&Stock::Lot(lot_id.clone())).copied().unwrap_or(0))
            .sum::<i128>()
    );
    println!("history of {}:", first_rifle);
    for entry in ledger.trace(&Stock::Item(first_rifle.clone())) {
        println!("  {} {:<26} {}", entry.at, entry.kind, entry.id);
    }

    // 10. An auditor re-verifies from the exported events alone.
    let mut export = Vec::new();
    for event in &journal {
        export.extend_from_slice(event.to_json()?.as_bytes());
        export.push(b'\n');
    }
    let report = custodia::verify_jsonl(export.as_slice(), None);
    println!(
        "independent verification: {} events, valid = {}, state digest {}",
        report.events,
        report.is_valid(),
        report.state_digest
    );
    assert!(report.is_valid());
    assert_eq!(report.state_digest, state.digest());
    Ok(())
}
