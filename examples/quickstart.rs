//! Quickstart: one destruction campaign, end to end, in ten steps.
//!
//! A ministry registers itself and the people involved, a depot, some seized rifles and an
//! ammunition lot; moves them to a demilitarisation range; orders their destruction; a
//! demilitarisation team destroys them in front of witnesses from two agencies. Then an
//! auditor re-verifies the whole history from the exported events alone.
//!
//! Run with `cargo run -p custodia --example quickstart`.

use custodia::event::{
    Destruction, DestructionAuthorisation, LotQuantity, Place, RegisterActor, RegisterItems,
    RegisterLot, RegisterSite, StatusChange, TransferDispatch, TransferReceipt, Witness,
};
use custodia::model::{
    Actor, ActorKind, CompatibilityGroup, DestructionMethod, Disposition, Hazard, HazardDivision,
    Item, ItemCategory, Lot, Marking, Origin, OriginKind, Quantity, Role, Site, SiteKind,
    Timestamp, Unit,
};
use custodia::{Body, Event, Ledger, Options, SignedEvent, Signer, StockFilter};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Records `body` by `actor` on 2026-03-`day`, signed by the actor's key first, then by the
/// co-signers'. The ledger fills in the event's parents (the events it builds on).
fn record(
    ledger: &mut Ledger,
    day: u32,
    actor: &str,
    body: impl Into<Body>,
    keys: &[&Signer],
) -> Result<SignedEvent> {
    let at = Timestamp::parse(&format!("2026-03-{day:02}T09:00:00Z"))?;
    let event = Event::new(at, actor.parse()?, Vec::new(), body.into());
    Ok(ledger.record(event, keys)?)
}

/// An actor with one key.
fn actor(
    id: &str,
    kind: ActorKind,
    member_of: Option<&str>,
    roles: &[Role],
    key: &Signer,
) -> Result<Actor> {
    Ok(Actor {
        id: id.parse()?,
        kind,
        name: id.to_owned(),
        member_of: member_of.map(str::parse).transpose()?,
        roles: roles.to_vec(),
        keys: vec![key.public_key()],
    })
}

fn rifle(id: &str, serial: &str) -> Result<Item> {
    Ok(Item {
        id: id.parse()?,
        category: ItemCategory::Firearm,
        item_type: "assault rifle".into(),
        marking: Marking {
            manufacturer: Some("Izhmash".into()),
            country_of_manufacture: Some("RU".into()),
            serial: Some(serial.into()),
            year: Some(1987),
            ..Marking::default()
        },
        status: None,
        condition: None,
        disposition: None,
        att_category: None,
        hazard: None,
        neq_mg: None,
    })
}

fn main() -> Result<()> {
    // 1. Open a ledger file. The log key signs the ledger's tree heads; it is kept apart from
    //    the file (in production, in a hardware security module).
    let dir = tempfile::tempdir()?;
    let log_key = Signer::generate();
    let mut ledger = Ledger::create(
        dir.path().join("armoury.ledger"),
        Options::new()
            .log_key(log_key)
            .origin("mindef.example/custodia/quickstart"),
    )?;

    // Every actor holds its own signing key (in production, in its own hardware token).
    let ministry = Signer::generate();
    let logistics = Signer::generate();
    let demil = Signer::generate();
    let inspector = Signer::generate();
    let officer = Signer::generate();
    let attorney_general = Signer::generate();
    let police = Signer::generate();

    // 2. The first event: the ministry registers itself as administrator, signed by itself.
    let subject = actor(
        "agency:mod",
        ActorKind::Agency,
        None,
        &[Role::Admin, Role::Authoriser],
        &ministry,
    )?;
    record(
        &mut ledger,
        1,
        "agency:mod",
        RegisterActor { subject },
        &[&ministry],
    )?;

    // 3. The ministry registers the units and the witnesses, from two other agencies.
    for subject in [
        actor(
            "unit:logistics",
            ActorKind::Unit,
            Some("agency:mod"),
            &[Role::Custodian],
            &logistics,
        )?,
        actor(
            "unit:demil",
            ActorKind::Unit,
            Some("agency:mod"),
            &[Role::Custodian, Role::Destroyer],
            &demil,
        )?,
        actor(
            "agency:attorney-general",
            ActorKind::Agency,
            None,
            &[],
            &attorney_general,
        )?,
        actor(
            "person:inspector",
            ActorKind::Person,
            Some("agency:attorney-general"),
            &[Role::Witness],
            &inspector,
        )?,
        actor("agency:police", ActorKind::Agency, None, &[], &police)?,
        actor(
            "person:officer",
            ActorKind::Person,
            Some("agency:police"),
            &[Role::Witness],
            &officer,
        )?,
    ] {
        record(
            &mut ledger,
            1,
            "agency:mod",
            RegisterActor { subject },
            &[&ministry],
        )?;
    }

    // 4. ... and the depot and the demolition range.
    for (id, kind) in [
        ("depot:central", SiteKind::Depot),
        ("range:north", SiteKind::Range),
    ] {
        let site = Site {
            id: id.parse()?,
            name: id.to_owned(),
            kind,
            parent: None,
            country: Some("CO".into()),
            licensed_neq_grams: Some(Quantity::new(1_000_000)?),
            hazard_divisions: vec![HazardDivision::D1_4],
            two_person_rule: false,
        };
        record(
            &mut ledger,
            1,
            "agency:mod",
            RegisterSite { site },
            &[&ministry],
        )?;
    }

    // 5. The logistics unit registers two seized rifles and a lot of 5 000 cartridges.
    let depot = Place {
        site: "depot:central".parse()?,
        custodian: "unit:logistics".parse()?,
    };
    let seized = Origin {
        kind: OriginKind::Seized,
        reference: Some("CASE-2026-0042".into()),
        import: None,
    };
    let items = RegisterItems {
        site: depot.site.clone(),
        custodian: depot.custodian.clone(),
        origin: seized.clone(),
        items: vec![
            rifle("item:ak-00123", "KZ-00123")?,
            rifle("item:ak-00124", "KZ-00124")?,
        ],
    };
    record(&mut ledger, 2, "unit:logistics", items, &[&logistics])?;
    let lot = RegisterLot {
        site: depot.site.clone(),
        custodian: depot.custodian.clone(),
        origin: seized,
        lot: Lot {
            id: "lot:762x39-044".parse()?,
            nomenclature: "cartridge 7.62x39 ball".into(),
            lot_number: "KZ-1987-044".into(),
            unit: Unit::Round,
            quantity: Quantity::new(5_000)?,
            hazard: Some(Hazard {
                division: HazardDivision::D1_4,
                group: CompatibilityGroup::S,
            }),
            neq_grams_per_unit: Quantity::new(2)?,
            neq_mg: None,
            manufactured: None,
            next_inspection: None,
            expiry: None,
            status: None,
            condition: None,
            disposition: None,
            category: None,
        },
    };
    record(&mut ledger, 2, "unit:logistics", lot, &[&logistics])?;

    // 6. Everything is dispatched to the range, in the demilitarisation team's custody.
    let rifles = vec!["item:ak-00123".parse()?, "item:ak-00124".parse()?];
    let rounds = vec![LotQuantity {
        lot: "lot:762x39-044".parse()?,
        quantity: Quantity::new(5_000)?,
    }];
    let range = Place {
        site: "range:north".parse()?,
        custodian: "unit:demil".parse()?,
    };
    let dispatch = TransferDispatch {
        from: depot,
        to: range.clone(),
        items: rifles.clone(),
        lots: rounds.clone(),
        reference: Some("MO-2026-007".into()),
    };
    let dispatch = record(&mut ledger, 3, "unit:logistics", dispatch, &[&logistics])?;

    // 7. The team receives all of it (what does not arrive would go to a discrepancy account).
    let receipt = TransferReceipt {
        dispatch: dispatch.id(),
        items: rifles.clone(),
        lots: rounds.clone(),
        note: None,
    };
    record(&mut ledger, 4, "unit:demil", receipt, &[&demil])?;

    // 8. The ministry selects the stock for destruction, then authorises it, naming what, how
    //    (method steps from the vocabulary, beside free text), where and until when. It does
    //    not destroy it itself: who authorises does not destroy.
    let selected = StatusChange {
        items: rifles.clone(),
        lots: vec!["lot:762x39-044".parse()?],
        status: None,
        condition: None,
        disposition: Some(Disposition::PendingDestruction),
        reason: "board of survey: seized, forfeited, not fit for service".into(),
    };
    record(&mut ledger, 5, "agency:mod", selected, &[&ministry])?;
    let order = DestructionAuthorisation {
        reference: "ORDER-2026-0117".into(),
        items: rifles.clone(),
        lots: rounds.clone(),
        methods: vec!["cutting".into(), "open_detonation".into()],
        steps: vec![
            DestructionMethod::Cutting,
            DestructionMethod::OpenDetonation,
        ],
        site: Some(range.site.clone()),
        expires_at: Some(Timestamp::parse("2026-03-31T23:59:59Z")?),
    };
    let order = record(&mut ledger, 5, "agency:mod", order, &[&ministry])?;

    // 9. The team destroys it in front of two witnesses from two agencies, who co-sign.
    let destruction = Destruction {
        authorisation: order.id(),
        site: range.site,
        custodian: range.custodian,
        method: "cutting".into(),
        steps: vec![DestructionMethod::Cutting],
        certificate: "CERT-2026-0117".into(),
        items: rifles,
        lots: rounds,
        witnesses: vec![
            Witness {
                actor: "person:inspector".parse()?,
                agency: "agency:attorney-general".parse()?,
            },
            Witness {
                actor: "person:officer".parse()?,
                agency: "agency:police".parse()?,
            },
        ],
    };
    let destroyed = record(
        &mut ledger,
        6,
        "unit:demil",
        destruction,
        &[&demil, &inspector, &officer],
    )?;
    let held = ledger.stock_on_hand(&StockFilter::default())?;
    println!(
        "{} events recorded; units still held anywhere: {}",
        ledger.len()?,
        held.totals.iter().map(|t| t.units).sum::<i64>()
    );

    // 10. An auditor gets the export and the signed tree head, and checks them with nothing
    //     but the bytes: every id, signature, parent and rule of the ledger is re-checked.
    let mut export = Vec::new();
    ledger.export_jsonl(&mut export)?;
    let head = ledger.tree_head()?;
    let report = custodia::verify_jsonl(export.as_slice(), None);
    match &report.failure {
        None => println!("auditor: {} events verified", report.events),
        Some(e) => return Err(format!("auditor: the export does not verify: {e}").into()),
    }
    // The destruction is in the log the head commits to.
    let proof = ledger.inclusion_proof(&destroyed.id(), None)?;
    assert!(proof.verify() && proof.root == head.root);
    println!("tree head: {}", head.checkpoint.replace('\n', " | "));
    Ok(())
}
