//! Shared test support: a small national stockpile with fixed keys, and helpers to build
//! events. Property tests, tamper tests and fuzz targets build on it.
#![allow(
    clippy::result_large_err,
    clippy::type_complexity,
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use custodia::Signer;
use custodia::event::{Body, LotQuantity, Place, SignedEvent, Witness};
use custodia::model::*;
use custodia::scribe::Scribe;

pub fn t(day: u32, hour: u32) -> Timestamp {
    Timestamp::parse(&format!(
        "2026-{:02}-{:02}T{:02}:00:00Z",
        1 + (day / 28) % 12,
        1 + day % 28,
        hour % 24
    ))
    .unwrap()
}

pub fn actor_id(s: &str) -> ActorId {
    s.parse().unwrap()
}
pub fn site_id(s: &str) -> SiteId {
    s.parse().unwrap()
}
pub fn item_id(s: &str) -> ItemId {
    s.parse().unwrap()
}
pub fn lot_id(s: &str) -> LotId {
    s.parse().unwrap()
}
pub fn q(n: u64) -> Quantity {
    Quantity::new(n).unwrap()
}
pub fn lq(lot: &str, n: u64) -> LotQuantity {
    LotQuantity {
        lot: lot_id(lot),
        quantity: q(n),
    }
}
pub fn place(site: &str, custodian: &str) -> Place {
    Place {
        site: site_id(site),
        custodian: actor_id(custodian),
    }
}

pub const ADMIN: &str = "agency:mod";
pub const DEPOT_A: &str = "depot:a";
pub const DEPOT_B: &str = "depot:b";
pub const RANGE: &str = "range:r";
pub const UNIT_A: &str = "unit:a";
pub const UNIT_B: &str = "unit:b";
pub const DEMIL: &str = "unit:demil";
pub const CLERK_A: &str = "person:clerk-a";
pub const AG: &str = "agency:ag";
pub const POLICE: &str = "agency:police";
pub const WITNESS_1: &str = "person:w1";
pub const WITNESS_2: &str = "person:w2";

/// Signing key of a named test actor, derived from its name (test keys only).
pub fn key_of(name: &str) -> Signer {
    let mut seed = [0u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b.wrapping_mul(31).wrapping_add(i as u8);
    }
    seed[31] ^= 0xA5;
    Signer::from_seed(seed)
}

fn register(s: &mut Scribe, who: &str, kind: ActorKind, member_of: Option<&str>, roles: &[Role]) {
    let key = key_of(who);
    let subject = Actor {
        id: actor_id(who),
        kind,
        name: who.into(),
        member_of: member_of.map(actor_id),
        roles: roles.to_vec(),
        keys: vec![key.public_key()],
    };
    s.hold_key(actor_id(who), key);
    s.record(
        t(0, 1),
        &actor_id(ADMIN),
        Body::RegisterActor { subject },
        &[],
    )
    .unwrap();
}

/// Actors, sites, two rifles at depot A and a 1000-round lot at depot A.
pub fn world() -> Scribe {
    let mut s = Scribe::new();
    let key = key_of(ADMIN);
    let genesis = Actor {
        id: actor_id(ADMIN),
        kind: ActorKind::Agency,
        name: "Ministry".into(),
        member_of: None,
        roles: vec![Role::Admin, Role::Authoriser, Role::Inspector],
        keys: vec![key.public_key()],
    };
    s.hold_key(actor_id(ADMIN), key);
    s.record(
        t(0, 0),
        &actor_id(ADMIN),
        Body::RegisterActor { subject: genesis },
        &[],
    )
    .unwrap();
    register(
        &mut s,
        UNIT_A,
        ActorKind::Unit,
        Some(ADMIN),
        &[Role::Custodian],
    );
    register(
        &mut s,
        UNIT_B,
        ActorKind::Unit,
        Some(ADMIN),
        &[Role::Custodian],
    );
    register(
        &mut s,
        DEMIL,
        ActorKind::Unit,
        Some(ADMIN),
        &[Role::Custodian, Role::Destroyer],
    );
    register(&mut s, CLERK_A, ActorKind::Person, Some(UNIT_A), &[]);
    register(&mut s, AG, ActorKind::Agency, None, &[]);
    register(&mut s, POLICE, ActorKind::Agency, None, &[]);
    register(
        &mut s,
        WITNESS_1,
        ActorKind::Person,
        Some(AG),
        &[Role::Witness],
    );
    register(
        &mut s,
        WITNESS_2,
        ActorKind::Person,
        Some(POLICE),
        &[Role::Witness],
    );
    for (id, kind) in [
        (DEPOT_A, SiteKind::Depot),
        (DEPOT_B, SiteKind::Depot),
        (RANGE, SiteKind::Range),
    ] {
        let site = Site {
            id: site_id(id),
            name: id.into(),
            kind,
            parent: None,
            country: Some("CO".into()),
            licensed_neq_grams: Some(q(1_000_000)),
            hazard_divisions: vec![],
        };
        s.record(t(0, 2), &actor_id(ADMIN), Body::RegisterSite { site }, &[])
            .unwrap();
    }
    s.record(
        t(1, 0),
        &actor_id(UNIT_A),
        register_items_body(DEPOT_A, UNIT_A, &["item:r1", "item:r2"]),
        &[],
    )
    .unwrap();
    s.record(
        t(1, 1),
        &actor_id(UNIT_A),
        register_lot_body(DEPOT_A, UNIT_A, "lot:l1", 1000),
        &[],
    )
    .unwrap();
    s
}

pub fn rifle(id: &str) -> Item {
    Item {
        id: item_id(id),
        category: ItemCategory::Firearm,
        item_type: "rifle".into(),
        marking: Marking {
            manufacturer: Some("ACME".into()),
            country_of_manufacture: Some("CO".into()),
            serial: Some(id.to_uppercase()),
            year: Some(1999),
            model: None,
            calibre: Some("5.56x45mm".into()),
            import: None,
        },
        status: None,
    }
}

pub fn register_items_body(site: &str, custodian: &str, ids: &[&str]) -> Body {
    Body::RegisterItems {
        site: site_id(site),
        custodian: actor_id(custodian),
        origin: Origin {
            kind: OriginKind::Seized,
            reference: Some("CASE-1".into()),
        },
        items: ids.iter().map(|i| rifle(i)).collect(),
    }
}

pub fn lot(id: &str, quantity: u64) -> Lot {
    Lot {
        id: lot_id(id),
        nomenclature: "cartridge 5.56 ball".into(),
        lot_number: format!("LN-{id}"),
        unit: Unit::Round,
        quantity: q(quantity),
        hazard: Some(Hazard {
            division: HazardDivision::D1_4,
            group: CompatibilityGroup::S,
        }),
        neq_grams_per_unit: q(2),
        manufactured: Some(Date::parse("2001-03").unwrap()),
        next_inspection: None,
        expiry: None,
        status: None,
    }
}

pub fn register_lot_body(site: &str, custodian: &str, id: &str, quantity: u64) -> Body {
    Body::RegisterLot {
        site: site_id(site),
        custodian: actor_id(custodian),
        origin: Origin {
            kind: OriginKind::StockOnHand,
            reference: None,
        },
        lot: lot(id, quantity),
    }
}

pub fn witnesses() -> Vec<Witness> {
    vec![
        Witness {
            actor: actor_id(WITNESS_1),
            agency: actor_id(AG),
        },
        Witness {
            actor: actor_id(WITNESS_2),
            agency: actor_id(POLICE),
        },
    ]
}

/// A full history exercising every kind of stock event: the world, a transfer with a
/// discrepancy, a split and a merge, a stock check, a status change, a theft and a recovery,
/// a correction, and a witnessed destruction.
pub fn history() -> Vec<SignedEvent> {
    let mut s = world();
    let a = actor_id(UNIT_A);
    let b = actor_id(UNIT_B);
    let admin = actor_id(ADMIN);
    let demil = actor_id(DEMIL);
    let d = s
        .record(
            t(2, 0),
            &a,
            Body::TransferDispatch {
                from: place(DEPOT_A, UNIT_A),
                to: place(DEPOT_B, UNIT_B),
                items: vec![item_id("item:r1")],
                lots: vec![lq("lot:l1", 300)],
                reference: None,
            },
            &[],
        )
        .unwrap();
    s.record(
        t(2, 5),
        &b,
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec![item_id("item:r1")],
            lots: vec![lq("lot:l1", 290)],
            note: None,
        },
        &[],
    )
    .unwrap();
    s.record(
        t(3, 0),
        &b,
        Body::LotSplit {
            lot: lot_id("lot:l1"),
            site: site_id(DEPOT_B),
            custodian: b.clone(),
            into: vec![custodia::event::SplitPart {
                id: lot_id("lot:l1-a"),
                quantity: q(100),
            }],
        },
        &[],
    )
    .unwrap();
    s.record(
        t(3, 1),
        &a,
        Body::StockCheck {
            site: site_id(DEPOT_A),
            custodian: a.clone(),
            lots: vec![custodia::event::LotCount {
                lot: lot_id("lot:l1"),
                booked: q(700),
                counted: q(695),
            }],
            items: vec![custodia::event::ItemCount {
                item: item_id("item:r2"),
                present: true,
            }],
        },
        &[],
    )
    .unwrap();
    s.record(
        t(3, 2),
        &b,
        Body::LossReport {
            loss: custodia::event::LossKind::Stolen,
            site: site_id(DEPOT_B),
            custodian: b.clone(),
            discrepancy: None,
            items: vec![],
            lots: vec![lq("lot:l1-a", 10)],
            reference: Some("POLICE-77".into()),
        },
        &[],
    )
    .unwrap();
    s.record(
        t(3, 3),
        &b,
        Body::Recovery {
            loss: custodia::event::LossKind::Stolen,
            site: site_id(DEPOT_B),
            custodian: b.clone(),
            items: vec![],
            lots: vec![lq("lot:l1-a", 4)],
            reference: None,
        },
        &[],
    )
    .unwrap();
    s.record(
        t(4, 0),
        &a,
        register_lot_body(DEPOT_A, UNIT_A, "lot:l2", 50),
        &[],
    )
    .unwrap();
    let wrong = s
        .record(
            t(4, 1),
            &a,
            register_lot_body(DEPOT_A, UNIT_A, "lot:typo", 5),
            &[],
        )
        .unwrap();
    s.record(
        t(4, 2),
        &a,
        Body::Correction {
            reverses: wrong.id,
            reason: "registered twice".into(),
        },
        &[],
    )
    .unwrap();
    s.record(
        t(4, 3),
        &a,
        Body::LotMerge {
            site: site_id(DEPOT_A),
            custodian: a.clone(),
            lots: vec![lq("lot:l1", 100), lq("lot:l2", 50)],
            into: custodia::event::MergeTarget {
                id: lot_id("lot:m1"),
                lot_number: "M-1".into(),
            },
        },
        &[],
    )
    .unwrap();
    s.record(
        t(5, 0),
        &a,
        Body::StatusChange {
            items: vec![item_id("item:r2")],
            lots: vec![lot_id("lot:m1")],
            status: Status::PendingDestruction,
            reason: "surplus".into(),
        },
        &[],
    )
    .unwrap();
    let d2 = s
        .record(
            t(5, 1),
            &a,
            Body::TransferDispatch {
                from: place(DEPOT_A, UNIT_A),
                to: place(RANGE, DEMIL),
                items: vec![item_id("item:r2")],
                lots: vec![lq("lot:m1", 150)],
                reference: None,
            },
            &[],
        )
        .unwrap();
    s.record(
        t(5, 2),
        &demil,
        Body::TransferReceipt {
            dispatch: d2.id,
            items: vec![item_id("item:r2")],
            lots: vec![lq("lot:m1", 150)],
            note: None,
        },
        &[],
    )
    .unwrap();
    let auth = s
        .record(
            t(6, 0),
            &admin,
            Body::DestructionAuthorisation {
                reference: "ORDER-1".into(),
                items: vec![item_id("item:r2")],
                lots: vec![lq("lot:m1", 150)],
                methods: vec!["cutting".into()],
            },
            &[],
        )
        .unwrap();
    s.record(
        t(6, 5),
        &demil,
        Body::Destruction {
            authorisation: auth.id,
            site: site_id(RANGE),
            custodian: demil.clone(),
            method: "cutting".into(),
            certificate: "CERT-1".into(),
            items: vec![item_id("item:r2")],
            lots: vec![lq("lot:m1", 150)],
            witnesses: witnesses(),
        },
        &[&actor_id(WITNESS_1), &actor_id(WITNESS_2)],
    )
    .unwrap();
    s.journal().to_vec()
}
