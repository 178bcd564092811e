//! The Rust event types and `schemas/event.schema.json` describe the same format.
//!
//! - Round trip: arbitrary typed events of every kind (optional members sometimes present,
//!   sometimes absent) validate against the schema and decode back equal, unsigned and signed.
//! - Member by member, for the example of every kind (`Body::examples()`, every optional member
//!   present): each member is required by the schema exactly when the typed decoder requires
//!   it; an unknown member and a wrong type are refused by both, and the schema names the
//!   field.
//! - Drift: `custodia::event::KINDS`, the schema's `properties.kind.enum`, its `$defs/event_*`
//!   and its dispatch list are the same kinds; the members every example produces are exactly
//!   the properties its kind's schema allows, at every object level (following `$ref`s). Adding
//!   a field to a kind's struct without the schema, or to the schema without the struct, fails.
//!
//! The schema is checked through the public decoder: `Event::from_json` runs the schema of the
//! event's kind first and reports a refusal as `SchemaViolation` (1004) with the JSON Pointer of
//! the field; the typed decoder alone is `serde_json::from_value::<Event>`.
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
    AddKey, Correction, Destruction, DestructionAuthorisation, ItemCount, KINDS, LossKind,
    LossReport, LotCount, LotMerge, LotQuantity, LotSplit, MergeTarget, Place, Recovery,
    RegisterActor, RegisterItems, RegisterLot, RegisterSite, RevokeKey, RuleRef, RulesInForce,
    SplitPart, StatusChange, StockCheck, TransferDispatch, TransferReceipt, Witness,
};
use custodia::model::*;
use custodia::{Body, ErrorCode, Event, SignedEvent, Signer};
use proptest::prelude::*;
use serde_json::{Value, json};

const EVENT_SCHEMA: &str = include_str!("../../schemas/event.schema.json");

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
/// Free text: 1 to 1024 characters, any of them (quotes, backslashes, controls, U+2028,
/// non-ASCII).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => "(?s).{1,24}",
        2 => "[\u{2028}\u{2029}\u{7f}\"\\\\a-z]{1,8}",
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
/// Destruction method steps: distinct, in vocabulary order, none to three.
fn steps() -> impl Strategy<Value = Vec<DestructionMethod>> {
    proptest::sample::subsequence(DestructionMethod::ALL.to_vec(), 0..4)
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
fn condition() -> impl Strategy<Value = Condition> {
    prop::sample::select(vec![
        Condition::Serviceable,
        Condition::Unserviceable,
        Condition::UnderRepair,
        Condition::Suspended,
    ])
}
fn disposition() -> impl Strategy<Value = Disposition> {
    prop::sample::select(vec![
        Disposition::InService,
        Disposition::Surplus,
        Disposition::PendingDestruction,
        Disposition::EvidenceHold,
        Disposition::Forfeited,
        Disposition::Deactivated,
    ])
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
        .prop_map(|(kind, reference)| Origin {
            kind,
            reference,
            import: None,
        })
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
                Admin,
                Custodian,
                Authoriser,
                Destroyer,
                Witness,
                Inspector,
                TechnicalAuthority,
            ]),
            0..8,
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
        prop::sample::select(vec![
            Depot,
            Building,
            Magazine,
            Range,
            Armoury,
            Laboratory,
            Demilitarisation,
        ]),
        prop::option::of(site_id()),
        prop::option::of(country()),
        prop::option::of(quantity()),
        (unique(hazard_division(), 0..7), any::<bool>()),
    )
        .prop_map(
            |(
                id,
                name,
                kind,
                parent,
                country,
                licensed_neq_grams,
                (hazard_divisions, two_person_rule),
            )| Site {
                id,
                name,
                kind,
                parent,
                country,
                licensed_neq_grams,
                hazard_divisions,
                two_person_rule,
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
        prop::option::of(condition()),
        prop::option::of(disposition()),
    )
        .prop_map(
            |(id, category, item_type, marking, status, condition, disposition)| Item {
                id,
                category,
                item_type,
                marking,
                status,
                condition,
                disposition,
                att_category: None,
                hazard: None,
                neq_mg: None,
            },
        )
}
fn lot() -> impl Strategy<Value = Lot> {
    (
        (
            lot_id(),
            text(),
            text(),
            prop::sample::select(vec![Unit::Round, Unit::Piece, Unit::Gram, Unit::Millimetre]),
            quantity(),
            prop::option::of(hazard()),
            prop::option::of(quantity()),
            prop::option::of(prop::sample::select(LotCategory::ALL.to_vec())),
        ),
        (
            quantity(),
            prop::option::of(date()),
            prop::option::of(date()),
            prop::option::of(date()),
            prop::option::of(status()),
            prop::option::of(condition()),
            prop::option::of(disposition()),
        ),
    )
        .prop_map(
            |(
                (id, nomenclature, lot_number, unit, quantity, hazard, neq_mg, category),
                (
                    neq_grams_per_unit,
                    manufactured,
                    next_inspection,
                    expiry,
                    status,
                    condition,
                    disposition,
                ),
            )| Lot {
                id,
                nomenclature,
                lot_number,
                unit,
                quantity,
                hazard,
                neq_grams_per_unit,
                neq_mg,
                manufactured,
                next_inspection,
                expiry,
                status,
                condition,
                disposition,
                category,
            },
        )
}

fn body() -> impl Strategy<Value = Body> {
    let items = || unique(item_id(), 0..4);
    prop_oneof![
        actor().prop_map(|subject| RegisterActor { subject }.into()),
        (actor_id(), public_key()).prop_map(|(subject, key)| AddKey { subject, key }.into()),
        (actor_id(), public_key(), text()).prop_map(|(subject, key, reason)| {
            RevokeKey {
                subject,
                key,
                reason,
            }
            .into()
        }),
        site().prop_map(|site| RegisterSite { site }.into()),
        (
            site_id(),
            actor_id(),
            origin(),
            prop::collection::vec(item(), 1..4)
        )
            .prop_map(|(site, custodian, origin, items)| {
                RegisterItems {
                    site,
                    custodian,
                    origin,
                    items,
                }
                .into()
            }),
        (site_id(), actor_id(), origin(), lot()).prop_map(|(site, custodian, origin, lot)| {
            RegisterLot {
                site,
                custodian,
                origin,
                lot,
            }
            .into()
        }),
        (
            place(),
            place(),
            items(),
            lot_quantities(0),
            prop::option::of(text())
        )
            .prop_map(|(from, to, items, lots, reference)| {
                TransferDispatch {
                    from,
                    to,
                    items,
                    lots,
                    reference,
                }
                .into()
            }),
        (
            event_id(),
            items(),
            lot_quantities(0),
            prop::option::of(text())
        )
            .prop_map(|(dispatch, items, lots, note)| {
                TransferReceipt {
                    dispatch,
                    items,
                    lots,
                    note,
                }
                .into()
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
            .prop_map(|(lot, site, custodian, into)| {
                LotSplit {
                    lot,
                    site,
                    custodian,
                    into,
                }
                .into()
            }),
        (site_id(), actor_id(), lot_quantities(2), lot_id(), text()).prop_map(
            |(site, custodian, lots, id, lot_number)| {
                LotMerge {
                    site,
                    custodian,
                    lots,
                    into: MergeTarget { id, lot_number },
                    mixed_lot_approval: None,
                }
                .into()
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
                (item_id(), any::<bool>()).prop_map(|(item, present)| ItemCount {
                    item,
                    present,
                    observed_serial: None,
                }),
                0..3
            )
        )
            .prop_map(|(site, custodian, lots, items)| {
                StockCheck {
                    site,
                    custodian,
                    lots,
                    items,
                    scope: None,
                    blind: None,
                    counters: Vec::new(),
                }
                .into()
            }),
        (
            items(),
            unique(lot_id(), 0..4),
            prop::option::of(status()),
            prop::option::of(condition()),
            prop::option::of(disposition()),
            text()
        )
            .prop_filter(
                "a status change says at least one of status, condition, disposition",
                |(_, _, s, c, d, _)| s.is_some() || c.is_some() || d.is_some()
            )
            .prop_map(|(items, lots, status, condition, disposition, reason)| {
                StatusChange {
                    items,
                    lots,
                    status,
                    condition,
                    disposition,
                    reason,
                }
                .into()
            }),
        (
            (text(), items(), lot_quantities(0), unique(text(), 1..4)),
            (
                steps(),
                prop::option::of(site_id()),
                prop::option::of(timestamp())
            )
        )
            .prop_map(
                |((reference, items, lots, methods), (steps, site, expires_at))| {
                    DestructionAuthorisation {
                        reference,
                        items,
                        lots,
                        methods,
                        steps,
                        site,
                        expires_at,
                    }
                    .into()
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
                ),
                steps()
            )
        )
            .prop_map(
                |(
                    (authorisation, site, custodian, method, certificate),
                    (items, lots, witnesses, steps),
                )| {
                    Destruction {
                        authorisation,
                        site,
                        custodian,
                        method,
                        steps,
                        certificate,
                        items,
                        lots,
                        witnesses,
                    }
                    .into()
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
                |(loss, site, custodian, discrepancy, items, lots, reference)| {
                    LossReport {
                        loss,
                        site,
                        custodian,
                        discrepancy,
                        items,
                        lots,
                        reference,
                    }
                    .into()
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
            .prop_map(|(loss, site, custodian, items, lots, reference)| {
                Recovery {
                    loss,
                    site,
                    custodian,
                    items,
                    lots,
                    reference,
                }
                .into()
            }),
        (event_id(), text()).prop_map(|(reverses, reason)| Correction { reverses, reason }.into()),
        prop::collection::vec(
            (text(), text(), event_id()).prop_map(|(name, version, sha256)| RuleRef {
                name,
                version,
                sha256
            }),
            0..3
        )
        .prop_map(|rules| RulesInForce { rules }.into()),
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
        let text = serde_json::to_vec(&e).unwrap();
        let decoded = Event::from_json(&text);
        prop_assert!(decoded.is_ok(), "{:?}: {}", decoded, String::from_utf8_lossy(&text));
        prop_assert_eq!(&decoded.unwrap(), &e);
        let value: Value = serde_json::from_slice(&text).unwrap();
        prop_assert_eq!(&serde_json::from_value::<Event>(value).unwrap(), &e);

        let signer = Signer::from_seed([7; 32]);
        let signed = e.clone().sign(&[&signer]).unwrap();
        prop_assert_eq!(signed.event(), &e);
        let line = signed.to_json();
        let back = SignedEvent::from_canonical_json(line.as_bytes()).unwrap();
        prop_assert_eq!(&back, &signed);
        prop_assert_eq!(back.id(), e.id().unwrap());
        prop_assert!(back.signatures()[0].verify(&back.id()));
    }
}

// ---------------------------------------------------------------------------------------------
// Member by member.

/// The example of every kind, as a whole event.
fn example_events() -> Vec<Event> {
    Body::examples()
        .into_iter()
        .map(|body| {
            Event::new(
                Timestamp::parse("2026-02-01T08:00:00Z").unwrap(),
                ActorId::new("agency:mod").unwrap(),
                vec![EventId::from_bytes([9; 32])],
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
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref `{r}`"));
        node = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref `{r}`"));
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

/// The pointers of every object in `v`.
fn objects(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(at.to_owned());
            for (k, x) in m {
                objects(x, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                objects(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// What the public decoder says of a value: `Ok`, or the error's code and field.
fn decode(value: &Value) -> Result<Event, (ErrorCode, String)> {
    Event::from_json(&serde_json::to_vec(value).unwrap())
        .map_err(|e| (e.code(), e.field().unwrap_or("?").to_owned()))
}

/// The field the schema refuses a value at; panics when the schema accepts it.
fn schema_error(value: &Value) -> String {
    match decode(value) {
        Err((ErrorCode::SchemaViolation, field)) => field,
        other => panic!("the schema accepted, or another stage refused ({other:?}): {value}"),
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
fn examples_cover_every_kind_and_are_valid() {
    let events = example_events();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .map(|k| *KINDS.iter().find(|x| **x == k).unwrap())
        .collect();
    assert_eq!(kinds, KINDS.to_vec());
    for e in &events {
        let value = serde_json::to_value(e).unwrap();
        assert_eq!(decode(&value).unwrap(), *e, "{value}");
        // Signing checks the schema too.
        let signed = e.clone().sign(&[&Signer::from_seed([3; 32])]).unwrap();
        assert_eq!(signed.event(), e);
    }
}

#[test]
fn schema_and_types_require_the_same_members() {
    for e in example_events() {
        let value = serde_json::to_value(&e).unwrap();
        let kind = value["kind"].as_str().unwrap().to_owned();
        let mut all = Vec::new();
        members(&value, "", &mut all);
        assert!(all.len() > 5, "{kind}");
        let mut required_top = 0;
        for (parent, name) in all {
            let mut cut = value.clone();
            let obj = cut.pointer_mut(&parent).unwrap().as_object_mut().unwrap();
            obj.remove(&name);
            let verdict = decode(&cut);
            let by_schema = matches!(verdict, Err((ErrorCode::SchemaViolation, _)));
            let by_types = typed(&cut).is_err();
            assert_eq!(
                by_schema,
                by_types,
                "{kind}: member `{parent}/{name}` is required by the {} but not by the {}",
                if by_schema { "schema" } else { "types" },
                if by_schema { "types" } else { "schema" },
            );
            if by_schema {
                // A missing member is named by its own pointer.
                assert_eq!(
                    schema_error(&cut),
                    format!("{parent}/{name}"),
                    "{kind}: `{parent}/{name}`"
                );
                required_top += usize::from(parent.is_empty());
            } else {
                // Optional: the whole decoder accepts the event without it.
                assert!(verdict.is_ok(), "{kind}: `{parent}/{name}`: {verdict:?}");
            }
        }
        // `v`, `kind`, `at`, `actor`, `parents` and at least one member of the body.
        assert!(required_top >= 6, "{kind}: {required_top}");
    }
}

#[test]
fn schema_refuses_unknown_members_at_every_depth() {
    let mut nested = 0;
    for e in example_events() {
        let value = serde_json::to_value(&e).unwrap();
        let kind = value["kind"].as_str().unwrap().to_owned();
        let mut at_all = Vec::new();
        objects(&value, "", &mut at_all);
        nested += at_all.len() - 1;
        for at in at_all {
            let mut extended = value.clone();
            let obj = extended.pointer_mut(&at).unwrap().as_object_mut().unwrap();
            obj.insert("zz_unknown".into(), json!("x"));
            assert_eq!(
                schema_error(&extended),
                at,
                "{kind}: unknown member in `{at}`"
            );
        }
    }
    // Objects inside events: actors, sites, items and their markings, lots, places, ...
    assert!(nested >= 20, "{nested}");
}

#[test]
fn schema_and_types_refuse_wrong_types_and_name_the_field() {
    let mut checked = 0;
    for e in example_events() {
        let value = serde_json::to_value(&e).unwrap();
        let kind = value["kind"].as_str().unwrap().to_owned();
        let mut all = Vec::new();
        members(&value, "", &mut all);
        for (parent, name) in all {
            let pointer = format!("{parent}/{name}");
            for (wrong, typed_refuses) in wrong_types(value.pointer(&pointer).unwrap()) {
                let mut bad = value.clone();
                *bad.pointer_mut(&pointer).unwrap() = wrong.clone();
                assert_eq!(
                    schema_error(&bad),
                    pointer,
                    "{kind}: {wrong} at `{pointer}`"
                );
                if typed_refuses {
                    assert!(
                        typed(&bad).is_err(),
                        "{kind}: the typed decoder accepts {wrong} at `{pointer}`"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

// ---------------------------------------------------------------------------------------------
// Drift between the kinds, the types and the schema.

/// Where the kinds listed by the library and by the schema differ.
fn kind_drift(root: &Value, kinds: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let listed: Vec<&str> = root
        .pointer("/properties/kind/enum")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if listed != kinds {
        out.push(format!(
            "`properties.kind.enum` lists {listed:?}, custodia::event::KINDS {kinds:?}"
        ));
    }
    let defs: BTreeSet<String> = root["$defs"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|k| k.strip_prefix("event_"))
        .map(str::to_owned)
        .collect();
    let wanted: BTreeSet<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    for k in wanted.difference(&defs) {
        out.push(format!("kind `{k}` has no `$defs/event_{k}`"));
    }
    for k in defs.difference(&wanted) {
        out.push(format!("`$defs/event_{k}` is not a kind"));
    }
    for k in wanted.intersection(&defs) {
        let konst = &root["$defs"][format!("event_{k}")]["properties"]["kind"]["const"];
        if konst != k {
            out.push(format!("`$defs/event_{k}` has kind {konst}"));
        }
    }
    // The dispatch: one `if kind == K then $ref event_K` branch per kind, in order.
    let dispatched: Vec<(String, String)> = root["allOf"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    (
                        b["if"]["properties"]["kind"]["const"]
                            .as_str()
                            .unwrap_or("?")
                            .to_owned(),
                        b["then"]["$ref"].as_str().unwrap_or("?").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let expected: Vec<(String, String)> = kinds
        .iter()
        .map(|k| ((*k).to_owned(), format!("#/$defs/event_{k}")))
        .collect();
    if dispatched != expected {
        out.push(format!(
            "the schema's `allOf` dispatch is {dispatched:?}, expected {expected:?}"
        ));
    }
    out
}

/// Where the members of `v` (at `at`) and the properties of the schema `node` differ, at every
/// object level, following `$ref`s and array `items`.
fn member_drift(root: &Value, node: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let node = resolve(root, node);
    match v {
        Value::Object(m) => {
            let Some(props) = node.get("properties").and_then(Value::as_object) else {
                out.push(format!(
                    "`{at}`: an object where the schema has no properties"
                ));
                return;
            };
            let produced: BTreeSet<&str> = m.keys().map(String::as_str).collect();
            let allowed: BTreeSet<&str> = props.keys().map(String::as_str).collect();
            let extra: Vec<&&str> = produced.difference(&allowed).collect();
            if !extra.is_empty() {
                out.push(format!("`{at}`: members not in the schema: {extra:?}"));
            }
            // Format version 1's `status` is the alternative of version 2's `condition` and
            // `disposition`: an example (version 2) that gives those cannot give it too.
            let superseded = |p: &str| {
                p == "status"
                    && (produced.contains("condition") || produced.contains("disposition"))
            };
            let missing: Vec<&&str> = allowed
                .difference(&produced)
                .filter(|p| !superseded(p))
                .collect();
            if !missing.is_empty() {
                out.push(format!(
                    "`{at}`: schema properties the example never produces: {missing:?}"
                ));
            }
            if node.get("additionalProperties") != Some(&json!(false)) {
                out.push(format!("`{at}`: the schema allows additional properties"));
            }
            for (k, x) in m {
                if let Some(child) = props.get(k) {
                    member_drift(root, child, x, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(a) => {
            let Some(items) = node.get("items") else {
                out.push(format!("`{at}`: an array where the schema has no items"));
                return;
            };
            let item_schema = resolve(root, items);
            if a.is_empty() && item_schema.get("properties").is_some() {
                out.push(format!(
                    "`{at}`: the example holds no element, so the members of its objects are \
                     not compared"
                ));
            }
            for (i, x) in a.iter().enumerate() {
                member_drift(root, items, x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every drift between the examples (signed, so `id` and `signatures` are produced too) and
/// the schema.
fn drift(root: &Value, examples: &[Value]) -> Vec<String> {
    let mut out = kind_drift(root, KINDS);
    for v in examples {
        let kind = v["kind"].as_str().unwrap();
        let Some(node) = root.pointer(&format!("/$defs/event_{kind}")) else {
            continue;
        };
        let mut found = Vec::new();
        member_drift(root, node, v, "", &mut found);
        out.extend(found.into_iter().map(|f| format!("kind `{kind}`: {f}")));
    }
    out
}

/// The examples as signed events. Built by hand rather than with `Event::sign`, which checks
/// the schema first and so would stop at a drifted member instead of reporting every drift.
fn signed_examples() -> Vec<Value> {
    let key = Signer::from_seed([3; 32]);
    example_events()
        .into_iter()
        .map(|e| {
            let id = e.id().unwrap();
            let mut v = serde_json::to_value(&e).unwrap();
            v["id"] = json!(id);
            v["signatures"] = json!([key.sign(&id)]);
            v
        })
        .collect()
}

#[test]
fn kinds_types_and_schema_do_not_drift() {
    let root = schema();
    let examples = signed_examples();
    assert_eq!(examples.len(), KINDS.len());
    let found = drift(&root, &examples);
    assert!(found.is_empty(), "drift:\n{}", found.join("\n"));
    // They are what signing produces.
    let key = Signer::from_seed([3; 32]);
    for (e, v) in example_events().into_iter().zip(&examples) {
        let signed: Value = serde_json::from_str(e.sign(&[&key]).unwrap().to_json()).unwrap();
        assert_eq!(&signed, v);
    }
    // An unknown kind is refused by both decoders.
    let mut value = examples[0].clone();
    value["kind"] = json!("register_unicorn");
    value.as_object_mut().unwrap().remove("id");
    value.as_object_mut().unwrap().remove("signatures");
    assert_eq!(schema_error(&value), "/kind");
    assert!(typed(&value).is_err());
}

/// The drift check fails on each kind of drift it is meant to catch.
#[test]
fn the_drift_check_catches_drift() {
    let root = schema();
    let examples = signed_examples();
    let only = |found: Vec<String>, want: &str| {
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains(want), "{found:?} lacks `{want}`");
    };
    // A field added to a struct (here: produced by the example) without the schema.
    let mut v = examples.clone();
    let lot = v.iter_mut().find(|e| e["kind"] == "register_lot").unwrap();
    lot["lot"]["colour"] = json!("green");
    only(
        drift(&root, &v),
        "kind `register_lot`: `/lot`: members not in the schema: [\"colour\"]",
    );
    // A property added to a shared definition that no example produces: every kind using it.
    let mut r = root.clone();
    r["$defs"]["lot_quantity"]["properties"]["batch"] = json!({"type": "string"});
    let found = drift(&r, &examples);
    assert!(found.len() >= 6, "{found:?}");
    assert!(
        found
            .iter()
            .all(|f| f.contains("never produces: [\"batch\"]")),
        "{found:?}"
    );
    // A property added to one kind's schema only.
    let mut r = root.clone();
    r["$defs"]["event_correction"]["properties"]["approved_by"] = json!({"type": "string"});
    only(
        drift(&r, &examples),
        "kind `correction`: ``: schema properties the example never produces: [\"approved_by\"]",
    );
    // A nested object reached through `items` and `$ref`.
    let mut r = root.clone();
    r["$defs"]["signature"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("sig");
    let found = drift(&r, &examples);
    assert_eq!(found.len(), KINDS.len(), "{found:?}");
    assert!(
        found
            .iter()
            .all(|f| f.contains("`/signatures/0`: members not in the schema: [\"sig\"]"))
    );
    // Kinds: one missing from the enum, one extra definition, a dispatch out of order.
    let mut r = root.clone();
    r["properties"]["kind"]["enum"]
        .as_array_mut()
        .unwrap()
        .pop();
    only(kind_drift(&r, KINDS), "`properties.kind.enum` lists");
    let mut r = root.clone();
    r["$defs"]["event_teleport"] = json!({"properties": {"kind": {"const": "teleport"}}});
    only(
        kind_drift(&r, KINDS),
        "`$defs/event_teleport` is not a kind",
    );
    let mut r = root.clone();
    r["$defs"].as_object_mut().unwrap().remove("event_recovery");
    only(
        kind_drift(&r, KINDS),
        "kind `recovery` has no `$defs/event_recovery`",
    );
    let mut r = root.clone();
    r["allOf"].as_array_mut().unwrap().swap(0, 1);
    only(kind_drift(&r, KINDS), "`allOf` dispatch");
    // A kind added to the library without the schema.
    let mut more = KINDS.to_vec();
    more.push("teleport");
    let found = kind_drift(&root, &more);
    assert!(
        found.iter().any(|f| f.contains("kind `teleport` has no")),
        "{found:?}"
    );
}

/// A list of unique values of an enumeration holds all of them: its `maxItems` is not below
/// the enumeration's length. (Roles grew to seven while `subject.roles` still said at most
/// six, so an actor holding every role was refused; a property test found it by chance.)
#[test]
fn lists_of_unique_enum_values_may_hold_every_value() {
    fn walk(node: &Value, defs: &serde_json::Map<String, Value>, at: &str, out: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                let unique = map.get("uniqueItems") == Some(&Value::Bool(true));
                let enum_len = map
                    .get("items")
                    .and_then(|items| items.get("$ref"))
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .and_then(|name| defs.get(name))
                    .and_then(|def| def.get("enum"))
                    .and_then(Value::as_array)
                    .map(Vec::len);
                if let (true, Some(n), Some(max)) = (
                    unique,
                    enum_len,
                    map.get("maxItems").and_then(Value::as_u64),
                ) && max < n as u64
                {
                    out.push(format!("{at}: maxItems {max} < {n} values"));
                }
                for (k, v) in map {
                    walk(v, defs, &format!("{at}/{k}"), out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, defs, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let root = schema();
    let defs = root["$defs"].as_object().expect("$defs").clone();
    let mut out = Vec::new();
    walk(&root, &defs, "", &mut out);
    assert!(out.is_empty(), "{out:#?}");
    // And the case that was refused: an actor with every role.
    let roles = root["$defs"]["role"]["enum"].as_array().unwrap().clone();
    let line = serde_json::json!({
        "v": 2, "kind": "register_actor", "at": "2026-02-01T08:00:00Z", "actor": "agency:mod",
        "parents": [],
        "subject": {"id": "agency:mod", "kind": "agency", "name": "MoD", "roles": roles, "keys": []}
    });
    let event = Event::from_json(line.to_string().as_bytes()).unwrap();
    let Body::RegisterActor(r) = &event.body else {
        panic!("not a register_actor")
    };
    assert_eq!(r.subject.roles.len(), roles.len());
}
