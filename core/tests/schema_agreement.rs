//! The Rust event types and `schemas/event.schema.json` describe the same format.
//!
//! - Round trip: arbitrary typed events of every kind (optional members sometimes present,
//!   sometimes absent) validate against the schema and decode back equal.
//! - Member by member, for a "full" event of every kind (every optional member present): each
//!   member is required by the schema exactly when the typed decoder requires it; an unknown
//!   member and a wrong type are refused by both, and the schema names the field; the members
//!   the types produce are exactly the members the schema allows, at every depth.
//! - `custodia::event::KINDS` and the schema's kinds are the same list.
//!
//! Generated values stay inside the schema's narrower domain (texts of 1 to 1024 characters,
//! years 1800–9999, two-letter upper-case countries, unique lists where the schema says so):
//! the schema is the contract, the types are at least as permissive.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use custodia::event::{
    Body, DecodeError, Event, ItemCount, KINDS, LossKind, LotCount, LotQuantity, MergeTarget,
    Place, RuleRef, SignedEvent, Signer, SplitPart, Witness,
};
use custodia::model::*;
use custodia::schema::{EVENT_SCHEMA, check_unsigned_event};
use proptest::prelude::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Strategies.

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => "[A-Za-z0-9][A-Za-z0-9._:/-]{0,24}",
        1 => "[A-Za-z0-9][A-Za-z0-9._:/-]{127}",
    ]
}
fn actor_id() -> impl Strategy<Value = ActorId> {
    name().prop_map(|s| ActorId::new(s).unwrap())
}
fn site_id() -> impl Strategy<Value = SiteId> {
    name().prop_map(|s| SiteId::new(s).unwrap())
}
fn item_id() -> impl Strategy<Value = ItemId> {
    name().prop_map(|s| ItemId::new(s).unwrap())
}
fn lot_id() -> impl Strategy<Value = LotId> {
    name().prop_map(|s| LotId::new(s).unwrap())
}
fn event_id() -> impl Strategy<Value = EventId> {
    any::<[u8; 32]>().prop_map(EventId::from_bytes)
}
fn public_key() -> impl Strategy<Value = PublicKey> {
    any::<[u8; 32]>().prop_map(PublicKey::from_bytes)
}
/// Free text: 1 to 1024 characters, any of them (quotes, backslashes, controls, non-ASCII).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => "(?s).{1,24}",
        1 => "(?s).{1024}",
    ]
}
fn country() -> impl Strategy<Value = String> {
    "[A-Z]{2}"
}
fn year() -> impl Strategy<Value = u16> {
    prop_oneof![Just(1800_u16), Just(9999_u16), 1800_u16..=9999]
}
fn quantity() -> impl Strategy<Value = Quantity> {
    prop_oneof![Just(0), Just(QUANTITY_MAX), 0..=QUANTITY_MAX, 0_u64..1000]
        .prop_map(|n| Quantity::new(n).unwrap())
}
fn timestamp() -> impl Strategy<Value = Timestamp> {
    // 1970-01-01T00:00:00Z to 2099-12-31T23:59:59Z.
    (0_i64..4_102_444_800).prop_map(|s| Timestamp::from_unix_seconds(s).unwrap())
}
fn date() -> impl Strategy<Value = Date> {
    (1900_u32..2100, 1_u32..=12, prop::option::of(1_u32..=28)).prop_map(|(y, m, d)| {
        let text = match d {
            Some(d) => format!("{y:04}-{m:02}-{d:02}"),
            None => format!("{y:04}-{m:02}"),
        };
        Date::parse(&text).unwrap()
    })
}
fn unique<T: Ord + std::fmt::Debug>(
    s: impl Strategy<Value = T>,
    size: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<T>> {
    prop::collection::btree_set(s, size).prop_map(|s| s.into_iter().collect())
}
fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(vec![
        Status::Serviceable,
        Status::Unserviceable,
        Status::Surplus,
        Status::Suspended,
        Status::PendingDestruction,
    ])
}
fn hazard_division() -> impl Strategy<Value = HazardDivision> {
    use HazardDivision::*;
    prop::sample::select(vec![D1_1, D1_2, D1_3, D1_4, D1_5, D1_6])
}
fn hazard() -> impl Strategy<Value = Hazard> {
    use CompatibilityGroup::*;
    (
        hazard_division(),
        prop::sample::select(vec![A, B, C, D, E, F, G, H, J, K, L, N, S]),
    )
        .prop_map(|(division, group)| Hazard { division, group })
}
fn origin() -> impl Strategy<Value = Origin> {
    use OriginKind::*;
    (
        prop::sample::select(vec![
            Manufactured,
            Imported,
            Seized,
            Surrendered,
            Collected,
            StockOnHand,
        ]),
        prop::option::of(text()),
    )
        .prop_map(|(kind, reference)| Origin { kind, reference })
}
fn place() -> impl Strategy<Value = Place> {
    (site_id(), actor_id()).prop_map(|(site, custodian)| Place { site, custodian })
}
fn lot_quantity() -> impl Strategy<Value = LotQuantity> {
    (lot_id(), quantity()).prop_map(|(lot, quantity)| LotQuantity { lot, quantity })
}
fn lot_quantities(min: usize) -> impl Strategy<Value = Vec<LotQuantity>> {
    prop::collection::vec(lot_quantity(), min..min + 4)
}
fn loss() -> impl Strategy<Value = LossKind> {
    prop::sample::select(vec![LossKind::Lost, LossKind::Stolen])
}
fn actor() -> impl Strategy<Value = Actor> {
    use Role::*;
    (
        actor_id(),
        prop::sample::select(vec![ActorKind::Agency, ActorKind::Unit, ActorKind::Person]),
        text(),
        prop::option::of(actor_id()),
        unique(
            prop::sample::select(vec![
                Admin, Custodian, Authoriser, Destroyer, Witness, Inspector,
            ]),
            0..7,
        ),
        unique(public_key(), 0..4),
    )
        .prop_map(|(id, kind, name, member_of, roles, keys)| Actor {
            id,
            kind,
            name,
            member_of,
            roles,
            keys,
        })
}
fn site() -> impl Strategy<Value = Site> {
    use SiteKind::*;
    (
        site_id(),
        text(),
        prop::sample::select(vec![Depot, Building, Magazine, Range, Armoury]),
        prop::option::of(site_id()),
        prop::option::of(country()),
        prop::option::of(quantity()),
        unique(hazard_division(), 0..7),
    )
        .prop_map(
            |(id, name, kind, parent, country, licensed_neq_grams, hazard_divisions)| Site {
                id,
                name,
                kind,
                parent,
                country,
                licensed_neq_grams,
                hazard_divisions,
            },
        )
}
fn marking() -> impl Strategy<Value = Marking> {
    let import = (
        prop::option::of(country()),
        prop::option::of(year()),
        prop::option::of(text()),
    )
        .prop_map(|(country, year, importer)| ImportMarking {
            country,
            year,
            importer,
        });
    (
        prop::option::of(text()),
        prop::option::of(country()),
        prop::option::of(text()),
        prop::option::of(year()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(import),
    )
        .prop_map(
            |(manufacturer, country_of_manufacture, serial, year, model, calibre, import)| {
                Marking {
                    manufacturer,
                    country_of_manufacture,
                    serial,
                    year,
                    model,
                    calibre,
                    import,
                }
            },
        )
}
fn item() -> impl Strategy<Value = Item> {
    (
        item_id(),
        prop::sample::select(vec![ItemCategory::Firearm, ItemCategory::LightWeapon]),
        text(),
        marking(),
        prop::option::of(status()),
    )
        .prop_map(|(id, category, item_type, marking, status)| Item {
            id,
            category,
            item_type,
            marking,
            status,
        })
}
fn lot() -> impl Strategy<Value = Lot> {
    (
        (
            lot_id(),
            text(),
            text(),
            prop::sample::select(vec![Unit::Round, Unit::Piece, Unit::Gram]),
            quantity(),
            prop::option::of(hazard()),
        ),
        (
            quantity(),
            prop::option::of(date()),
            prop::option::of(date()),
            prop::option::of(date()),
            prop::option::of(status()),
        ),
    )
        .prop_map(
            |(
                (id, nomenclature, lot_number, unit, quantity, hazard),
                (neq_grams_per_unit, manufactured, next_inspection, expiry, status),
            )| Lot {
                id,
                nomenclature,
                lot_number,
                unit,
                quantity,
                hazard,
                neq_grams_per_unit,
                manufactured,
                next_inspection,
                expiry,
                status,
            },
        )
}

fn body() -> impl Strategy<Value = Body> {
    let items = || unique(item_id(), 0..4);
    prop_oneof![
        actor().prop_map(|subject| Body::RegisterActor { subject }),
        (actor_id(), public_key()).prop_map(|(subject, key)| Body::AddKey { subject, key }),
        (actor_id(), public_key(), text()).prop_map(|(subject, key, reason)| Body::RevokeKey {
            subject,
            key,
            reason
        }),
        site().prop_map(|site| Body::RegisterSite { site }),
        (
            site_id(),
            actor_id(),
            origin(),
            prop::collection::vec(item(), 1..4)
        )
            .prop_map(|(site, custodian, origin, items)| Body::RegisterItems {
                site,
                custodian,
                origin,
                items
            }),
        (site_id(), actor_id(), origin(), lot()).prop_map(|(site, custodian, origin, lot)| {
            Body::RegisterLot {
                site,
                custodian,
                origin,
                lot,
            }
        }),
        (
            place(),
            place(),
            items(),
            lot_quantities(0),
            prop::option::of(text())
        )
            .prop_map(
                |(from, to, items, lots, reference)| Body::TransferDispatch {
                    from,
                    to,
                    items,
                    lots,
                    reference
                }
            ),
        (
            event_id(),
            items(),
            lot_quantities(0),
            prop::option::of(text())
        )
            .prop_map(|(dispatch, items, lots, note)| Body::TransferReceipt {
                dispatch,
                items,
                lots,
                note
            }),
        (
            lot_id(),
            site_id(),
            actor_id(),
            prop::collection::vec(
                (lot_id(), quantity()).prop_map(|(id, quantity)| SplitPart { id, quantity }),
                1..4
            )
        )
            .prop_map(|(lot, site, custodian, into)| Body::LotSplit {
                lot,
                site,
                custodian,
                into
            }),
        (site_id(), actor_id(), lot_quantities(2), lot_id(), text()).prop_map(
            |(site, custodian, lots, id, lot_number)| Body::LotMerge {
                site,
                custodian,
                lots,
                into: MergeTarget { id, lot_number }
            }
        ),
        (
            site_id(),
            actor_id(),
            prop::collection::vec(
                (lot_id(), quantity(), quantity()).prop_map(|(lot, booked, counted)| LotCount {
                    lot,
                    booked,
                    counted
                }),
                0..3
            ),
            prop::collection::vec(
                (item_id(), any::<bool>()).prop_map(|(item, present)| ItemCount { item, present }),
                0..3
            )
        )
            .prop_map(|(site, custodian, lots, items)| Body::StockCheck {
                site,
                custodian,
                lots,
                items
            }),
        (items(), unique(lot_id(), 0..4), status(), text()).prop_map(
            |(items, lots, status, reason)| Body::StatusChange {
                items,
                lots,
                status,
                reason
            }
        ),
        (text(), items(), lot_quantities(0), unique(text(), 1..4)).prop_map(
            |(reference, items, lots, methods)| Body::DestructionAuthorisation {
                reference,
                items,
                lots,
                methods
            }
        ),
        (
            (event_id(), site_id(), actor_id(), text(), text()),
            (
                items(),
                lot_quantities(0),
                prop::collection::vec(
                    (actor_id(), actor_id()).prop_map(|(actor, agency)| Witness { actor, agency }),
                    1..4
                )
            )
        )
            .prop_map(
                |(
                    (authorisation, site, custodian, method, certificate),
                    (items, lots, witnesses),
                )| {
                    Body::Destruction {
                        authorisation,
                        site,
                        custodian,
                        method,
                        certificate,
                        items,
                        lots,
                        witnesses,
                    }
                }
            ),
        (
            loss(),
            site_id(),
            actor_id(),
            prop::option::of(event_id()),
            items(),
            lot_quantities(0),
            prop::option::of(text())
        )
            .prop_map(
                |(loss, site, custodian, discrepancy, items, lots, reference)| Body::LossReport {
                    loss,
                    site,
                    custodian,
                    discrepancy,
                    items,
                    lots,
                    reference
                }
            ),
        (
            loss(),
            site_id(),
            actor_id(),
            items(),
            lot_quantities(0),
            prop::option::of(text())
        )
            .prop_map(
                |(loss, site, custodian, items, lots, reference)| Body::Recovery {
                    loss,
                    site,
                    custodian,
                    items,
                    lots,
                    reference
                }
            ),
        (event_id(), text()).prop_map(|(reverses, reason)| Body::Correction { reverses, reason }),
        prop::collection::vec(
            (text(), text(), event_id()).prop_map(|(name, version, sha256)| RuleRef {
                name,
                version,
                sha256
            }),
            0..3
        )
        .prop_map(|rules| Body::RulesInForce { rules }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (timestamp(), actor_id(), unique(event_id(), 0..5), body())
        .prop_map(|(at, actor, parents, body)| Event::new(at, actor, parents, body))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// decode(encode(x)) == x, through the schema, for unsigned and signed events.
    #[test]
    fn typed_events_validate_against_the_schema_and_round_trip(e in event()) {
        let value = serde_json::to_value(&e).unwrap();
        prop_assert_eq!(check_unsigned_event(&value), Ok(()), "{}", value);
        prop_assert_eq!(&Event::from_value(&value).unwrap(), &e);
        let text = serde_json::to_vec(&value).unwrap();
        prop_assert_eq!(&Event::from_json(&text).unwrap(), &e);

        let signer = Signer::from_seed([7; 32]);
        let signed = e.clone().sign(&[&signer]).unwrap();
        let line = signed.to_json().unwrap();
        let back = SignedEvent::from_json(line.as_bytes()).unwrap();
        prop_assert_eq!(&back, &signed);
        prop_assert!(back.signatures[0].verify(&back.id).is_ok());
    }
}

// ---------------------------------------------------------------------------------------------
// Member by member.

fn full_events() -> Vec<Event> {
    let a = |s: &str| ActorId::new(s).unwrap();
    let site = |s: &str| SiteId::new(s).unwrap();
    let item = |s: &str| ItemId::new(s).unwrap();
    let lot = |s: &str| LotId::new(s).unwrap();
    let q = |n: u64| Quantity::new(n).unwrap();
    let h = |b: u8| EventId::from_bytes([b; 32]);
    let k = |b: u8| PublicKey::from_bytes([b; 32]);
    let lq = |l: &str, n: u64| LotQuantity {
        lot: lot(l),
        quantity: q(n),
    };
    let place = |s: &str, c: &str| Place {
        site: site(s),
        custodian: a(c),
    };
    let d = |s: &str| Date::parse(s).unwrap();
    let bodies = vec![
        Body::RegisterActor {
            subject: Actor {
                id: a("unit:a"),
                kind: ActorKind::Unit,
                name: "Unit A".into(),
                member_of: Some(a("agency:mod")),
                roles: vec![Role::Custodian],
                keys: vec![k(1)],
            },
        },
        Body::AddKey {
            subject: a("unit:a"),
            key: k(2),
        },
        Body::RevokeKey {
            subject: a("unit:a"),
            key: k(2),
            reason: "lost".into(),
        },
        Body::RegisterSite {
            site: Site {
                id: site("magazine:1"),
                name: "Magazine 1".into(),
                kind: SiteKind::Magazine,
                parent: Some(site("depot:a")),
                country: Some("CO".into()),
                licensed_neq_grams: Some(q(1000)),
                hazard_divisions: vec![HazardDivision::D1_1],
            },
        },
        Body::RegisterItems {
            site: site("depot:a"),
            custodian: a("unit:a"),
            origin: Origin {
                kind: OriginKind::Imported,
                reference: Some("LIC-1".into()),
            },
            items: vec![Item {
                id: item("item:1"),
                category: ItemCategory::LightWeapon,
                item_type: "mortar".into(),
                marking: Marking {
                    manufacturer: Some("ACME".into()),
                    country_of_manufacture: Some("BR".into()),
                    serial: Some("S1".into()),
                    year: Some(1999),
                    model: Some("M1".into()),
                    calibre: Some("60mm".into()),
                    import: Some(ImportMarking {
                        country: Some("CO".into()),
                        year: Some(2001),
                        importer: Some("Indumil".into()),
                    }),
                },
                status: Some(Status::Surplus),
            }],
        },
        Body::RegisterLot {
            site: site("depot:a"),
            custodian: a("unit:a"),
            origin: Origin {
                kind: OriginKind::Manufactured,
                reference: Some("CONTRACT-9".into()),
            },
            lot: Lot {
                id: lot("lot:1"),
                nomenclature: "grenade, hand".into(),
                lot_number: "L1".into(),
                unit: Unit::Piece,
                quantity: q(100),
                hazard: Some(Hazard {
                    division: HazardDivision::D1_2,
                    group: CompatibilityGroup::F,
                }),
                neq_grams_per_unit: q(180),
                manufactured: Some(d("2001-03")),
                next_inspection: Some(d("2026-09-01")),
                expiry: Some(d("2031-03-01")),
                status: Some(Status::Suspended),
            },
        },
        Body::TransferDispatch {
            from: place("depot:a", "unit:a"),
            to: place("depot:b", "unit:b"),
            items: vec![item("item:1")],
            lots: vec![lq("lot:1", 5)],
            reference: Some("MO-1".into()),
        },
        Body::TransferReceipt {
            dispatch: h(3),
            items: vec![item("item:1")],
            lots: vec![lq("lot:1", 5)],
            note: Some("ok".into()),
        },
        Body::LotSplit {
            lot: lot("lot:1"),
            site: site("depot:a"),
            custodian: a("unit:a"),
            into: vec![SplitPart {
                id: lot("lot:1a"),
                quantity: q(10),
            }],
        },
        Body::LotMerge {
            site: site("depot:a"),
            custodian: a("unit:a"),
            lots: vec![lq("lot:1", 1), lq("lot:2", 2)],
            into: MergeTarget {
                id: lot("lot:3"),
                lot_number: "L3".into(),
            },
        },
        Body::StockCheck {
            site: site("depot:a"),
            custodian: a("unit:a"),
            lots: vec![LotCount {
                lot: lot("lot:1"),
                booked: q(10),
                counted: q(9),
            }],
            items: vec![ItemCount {
                item: item("item:1"),
                present: true,
            }],
        },
        Body::StatusChange {
            items: vec![item("item:1")],
            lots: vec![lot("lot:1")],
            status: Status::Unserviceable,
            reason: "rust".into(),
        },
        Body::DestructionAuthorisation {
            reference: "ORDER-1".into(),
            items: vec![item("item:1")],
            lots: vec![lq("lot:1", 10)],
            methods: vec!["cutting".into()],
        },
        Body::Destruction {
            authorisation: h(4),
            site: site("range:r"),
            custodian: a("unit:demil"),
            method: "cutting".into(),
            certificate: "CERT-1".into(),
            items: vec![item("item:1")],
            lots: vec![lq("lot:1", 10)],
            witnesses: vec![Witness {
                actor: a("person:w"),
                agency: a("agency:ag"),
            }],
        },
        Body::LossReport {
            loss: LossKind::Stolen,
            site: site("depot:a"),
            custodian: a("unit:a"),
            discrepancy: Some(h(5)),
            items: vec![item("item:1")],
            lots: vec![lq("lot:1", 1)],
            reference: Some("CASE-1".into()),
        },
        Body::Recovery {
            loss: LossKind::Lost,
            site: site("depot:a"),
            custodian: a("unit:a"),
            items: vec![item("item:1")],
            lots: vec![lq("lot:1", 1)],
            reference: Some("CASE-1".into()),
        },
        Body::Correction {
            reverses: h(6),
            reason: "typo".into(),
        },
        Body::RulesInForce {
            rules: vec![RuleRef {
                name: "r".into(),
                version: "1".into(),
                sha256: h(7),
            }],
        },
    ];
    bodies
        .into_iter()
        .map(|body| {
            Event::new(
                Timestamp::parse("2026-02-01T08:00:00Z").unwrap(),
                a("agency:mod"),
                vec![h(9)],
                body,
            )
        })
        .collect()
}

fn schema() -> Value {
    serde_json::from_str(EVENT_SCHEMA).unwrap()
}

/// Follows `$ref`s (local ones only, which is all the schema uses).
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(r) = node.get("$ref").and_then(Value::as_str) {
        let pointer = r.strip_prefix('#').unwrap();
        node = root.pointer(pointer).unwrap();
    }
    node
}

/// Every member of every object in `v`, as (pointer of the object, member name).
fn members(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push((at.to_owned(), k.clone()));
                members(x, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                members(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every object in `v` (pointer, object), with the schema node that describes it.
fn objects_with_schema<'a>(
    root: &'a Value,
    node: &'a Value,
    v: &Value,
    at: &str,
    out: &mut Vec<(String, Value, &'a Value)>,
) {
    let node = resolve(root, node);
    match v {
        Value::Object(m) => {
            out.push((at.to_owned(), v.clone(), node));
            for (k, x) in m {
                let child = node
                    .get("properties")
                    .and_then(|p| p.get(k))
                    .unwrap_or_else(|| panic!("schema has no member `{k}` at `{at}`"));
                objects_with_schema(root, child, x, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            let items = node
                .get("items")
                .unwrap_or_else(|| panic!("schema has no items at `{at}`"));
            for (i, x) in a.iter().enumerate() {
                objects_with_schema(root, items, x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn schema_error(value: &Value) -> (String, String) {
    match check_unsigned_event(value) {
        Err(DecodeError::Schema { field, reason }) => (field, reason),
        other => panic!("schema accepted or failed oddly ({other:?}): {value}"),
    }
}

/// Values of other JSON types than `v`, each with whether the typed decoder alone must refuse
/// it. serde's derived structs also accept the sequence form (`["ACME"]` for a marking whose
/// members are all optional), so an array in place of an object is left to the schema and the
/// canonical-form check; a string in place of an object is refused by both. Likewise `null` for
/// an optional member reads as absent in serde (`Option`), so only the schema refuses it.
fn wrong_types(v: &Value) -> Vec<(Value, bool)> {
    match v {
        Value::String(_) => vec![(json!(12345), true), (json!(null), false)],
        Value::Number(_) => vec![(json!("12"), true), (json!(1.5), true), (json!(-1), true)],
        Value::Bool(_) => vec![(json!("yes"), true), (json!(1), true)],
        Value::Array(_) => vec![(json!({"x": 1}), true), (json!("x"), true)],
        Value::Object(_) => vec![(json!("x"), true), (json!(["x"]), false)],
        Value::Null => vec![(json!(1), true)],
    }
}

fn typed(value: &Value) -> Result<Event, serde_json::Error> {
    serde_json::from_value::<Event>(value.clone())
}

#[test]
fn full_events_cover_every_kind_and_are_valid() {
    let events = full_events();
    let kinds: Vec<&str> = events.iter().map(|e| e.body.kind()).collect();
    assert_eq!(kinds, KINDS.to_vec());
    for e in &events {
        let value = serde_json::to_value(e).unwrap();
        assert_eq!(Event::from_value(&value).unwrap(), *e, "{value}");
    }
}

#[test]
fn schema_and_types_require_the_same_members() {
    for e in full_events() {
        let value = serde_json::to_value(&e).unwrap();
        let kind = e.body.kind();
        let mut all = Vec::new();
        members(&value, "", &mut all);
        assert!(all.len() > 5, "{kind}");
        let mut required_top = 0;
        for (parent, name) in all {
            let mut cut = value.clone();
            let obj = cut.pointer_mut(&parent).unwrap().as_object_mut().unwrap();
            obj.remove(&name);
            let by_schema = check_unsigned_event(&cut).is_err();
            let by_types = typed(&cut).is_err();
            assert_eq!(
                by_schema,
                by_types,
                "{kind}: member `{parent}/{name}` is required by the {} but not by the {}",
                if by_schema { "schema" } else { "types" },
                if by_schema { "types" } else { "schema" },
            );
            if by_schema {
                let (field, reason) = schema_error(&cut);
                assert_eq!(field, parent, "{kind}: `{parent}/{name}`: {reason}");
                assert!(
                    reason.contains(&format!("\"{name}\"")),
                    "{kind}: `{parent}/{name}`: {reason}"
                );
                assert!(Event::from_value(&cut).is_err());
                required_top += usize::from(parent.is_empty());
            }
        }
        // `v`, `kind`, `at`, `actor`, `parents` and at least one member of the body.
        assert!(required_top >= 6, "{kind}: {required_top}");
    }
}

#[test]
fn schema_refuses_unknown_members_at_every_depth() {
    for e in full_events() {
        let value = serde_json::to_value(&e).unwrap();
        let kind = e.body.kind();
        let mut objects = Vec::new();
        let root = schema();
        let kind_schema = root.pointer(&format!("/$defs/event_{kind}")).unwrap();
        objects_with_schema(&root, kind_schema, &value, "", &mut objects);
        for (at, _, _) in objects {
            let mut extended = value.clone();
            let obj = extended.pointer_mut(&at).unwrap().as_object_mut().unwrap();
            obj.insert("zz_unknown".into(), json!("x"));
            let (field, reason) = schema_error(&extended);
            assert_eq!(field, at, "{kind}: unknown member in `{at}`: {reason}");
            assert!(reason.contains("zz_unknown"), "{kind}: {reason}");
            // The full decoder refuses it too (the typed form would drop it).
            assert!(Event::from_value(&extended).is_err(), "{kind}: `{at}`");
        }
    }
}

#[test]
fn schema_and_types_refuse_wrong_types_and_name_the_field() {
    for e in full_events() {
        let value = serde_json::to_value(&e).unwrap();
        let kind = e.body.kind();
        let mut all = Vec::new();
        members(&value, "", &mut all);
        for (parent, name) in all {
            let pointer = format!("{parent}/{name}");
            for (wrong, typed_refuses) in wrong_types(value.pointer(&pointer).unwrap()) {
                let mut bad = value.clone();
                *bad.pointer_mut(&pointer).unwrap() = wrong.clone();
                let (field, reason) = schema_error(&bad);
                assert_eq!(field, pointer, "{kind}: {wrong} at `{pointer}`: {reason}");
                assert!(
                    Event::from_value(&bad).is_err(),
                    "{kind}: {wrong} at `{pointer}`"
                );
                if typed_refuses {
                    assert!(
                        typed(&bad).is_err(),
                        "{kind}: the typed decoder accepts {wrong} at `{pointer}`"
                    );
                }
            }
        }
    }
}

/// The members the types produce (with every optional one present) are exactly the members
/// the schema allows, in every object of every kind; the envelope adds `id` and `signatures`.
#[test]
fn schema_allows_exactly_the_members_the_types_produce() {
    let root = schema();
    for e in full_events() {
        let value = serde_json::to_value(&e).unwrap();
        let kind = e.body.kind();
        let kind_schema = root.pointer(&format!("/$defs/event_{kind}")).unwrap();
        let mut objects = Vec::new();
        objects_with_schema(&root, kind_schema, &value, "", &mut objects);
        for (at, object, node) in objects {
            let mut produced: BTreeSet<String> =
                object.as_object().unwrap().keys().cloned().collect();
            if at.is_empty() {
                produced.extend(["id".to_owned(), "signatures".to_owned()]);
            }
            let allowed: BTreeSet<String> = node["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{kind}: no properties at `{at}`"))
                .keys()
                .cloned()
                .collect();
            assert_eq!(produced, allowed, "{kind}: members of `{at}`");
            assert_eq!(node["additionalProperties"], json!(false), "{kind}: `{at}`");
            let required: BTreeSet<String> = node["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            assert!(required.is_subset(&allowed), "{kind}: `{at}`");
        }
    }
}

#[test]
fn kinds_and_the_schema_enum_agree() {
    let root = schema();
    let listed: Vec<&str> = root["properties"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(listed, KINDS.to_vec());
    let dispatched: Vec<&str> = root["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|branch| {
            branch["if"]["properties"]["kind"]["const"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(dispatched, KINDS.to_vec());
    for kind in KINDS {
        let def = root
            .pointer(&format!("/$defs/event_{kind}"))
            .unwrap_or_else(|| panic!("no schema for `{kind}`"));
        assert_eq!(def["properties"]["kind"]["const"], json!(kind));
    }
    // An unknown kind is refused by both.
    let mut value = serde_json::to_value(&full_events()[0]).unwrap();
    value["kind"] = json!("register_unicorn");
    let (field, _) = schema_error(&value);
    assert_eq!(field, "/kind");
    assert!(typed(&value).is_err());
}
