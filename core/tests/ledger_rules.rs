//! Every refusal family of the ledger, through the front door. Each refusal is checked for its
//! exact code, the JSON Pointer of the field, the refused event's id and the values the error
//! carries, and the ledger must be exactly as before (log, state digest, derived tables).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use common::*;
use custodia::event::{LossKind, RuleRef};
use custodia::model::{Actor, ActorKind, Lot, QUANTITY_MAX, Role, SiteKind, Status};
use custodia::rules::{RuleEngine, RuleOutcome, RuleWarning};
use custodia::{Body, Error, ErrorCode, Event, EventId, PublicKey, SignedEvent, Signer};
use serde_json::{Value, json};

// ---- harness ---------------------------------------------------------------------------------

/// Asserts code, field and the full set of values of an error.
#[track_caller]
fn check(err: &Error, code: ErrorCode, field: Option<&str>, values: Value) {
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(err.field(), field, "field of {err}");
    assert_eq!(Value::Object(err.values()), values, "values of {err}");
}

/// Asserts that nothing changed since `before` and that every invariant holds.
#[track_caller]
fn unchanged(w: &World, before: &Snapshot) {
    let after = w.snapshot();
    assert_eq!(&after, before, "a refused event changed the ledger");
    w.ledger.check_invariants().unwrap();
}

/// Appends `signed` alone; it must be refused at index 0 under its own id, changing nothing.
#[track_caller]
fn refused_append(w: &mut World, signed: &SignedEvent) -> Error {
    let before = w.snapshot();
    refused_append_since(w, signed, &before)
}

#[track_caller]
fn refused_append_since(w: &mut World, signed: &SignedEvent, before: &Snapshot) -> Error {
    let err = w
        .ledger
        .append(std::slice::from_ref(signed))
        .expect_err("the event must be refused");
    assert_eq!(err.index(), Some(0), "{err}");
    assert_eq!(err.event(), Some(signed.id()), "{err}");
    unchanged(w, before);
    err
}

/// Refuses `event` twice: through `Ledger::record` (which fills the parents, signs and
/// appends) and as signed exactly as built (no parents) through `Ledger::append`. Both must
/// give the same code, field and values, name the event, and change nothing.
#[track_caller]
fn refused_event(w: &mut World, event: Event, cosigners: &[&str]) -> Error {
    let before = w.snapshot();
    let who = event.actor.to_string();
    let by_record = w
        .record_event(event.clone(), cosigners)
        .expect_err("the event must be refused");
    match by_record.index() {
        // Refused while preparing: the event as given is named.
        None => assert_eq!(by_record.event(), Some(event.id().unwrap()), "{by_record}"),
        // Refused by the append that `record` made: the event with its parents is named.
        Some(i) => {
            assert_eq!(i, 0, "{by_record}");
            let prepared = w.ledger.prepare(event.clone()).unwrap();
            assert_eq!(
                by_record.event(),
                Some(prepared.id().unwrap()),
                "{by_record}"
            );
        }
    }
    unchanged(w, &before);
    let signed = sign_as_is(&event, &w.signers(&who, cosigners));
    let by_append = refused_append_since(w, &signed, &before);
    assert_eq!(
        by_record.code(),
        by_append.code(),
        "{by_record} / {by_append}"
    );
    assert_eq!(
        by_record.field(),
        by_append.field(),
        "{by_record} / {by_append}"
    );
    assert_eq!(
        by_record.values(),
        by_append.values(),
        "{by_record} / {by_append}"
    );
    by_append
}

/// `body` by `who` at the next tick must be refused (see `refused_event`).
#[track_caller]
fn refused(w: &mut World, who: &str, body: impl Into<Body>) -> Error {
    refused_with(w, who, body, &[])
}

#[track_caller]
fn refused_with(w: &mut World, who: &str, body: impl Into<Body>, cosigners: &[&str]) -> Error {
    let event = w.event(who, body);
    refused_event(w, event, cosigners)
}

fn hex(id: EventId) -> String {
    id.to_hex()
}

/// Unit A has sent rifle r1 and 300 rounds of l1 to unit B; unit B has not received them.
fn world_with_transfer() -> (World, SignedEvent) {
    let mut w = World::new();
    let d = w.record(
        UNIT_A,
        dispatch(A, B, &["item:r1"], vec![lq("lot:l1", 300)]),
    );
    (w, d)
}

/// Unit A has sent both rifles and 500 rounds to the range; the demilitarisation team received
/// them, and the ministry authorised destroying r1 and 200 rounds by cutting.
fn world_at_the_range() -> (World, SignedEvent) {
    let mut w = World::new();
    // Released for destruction first (format version 2 destroys nothing still in service).
    w.record(
        ADMIN,
        status_change(
            &["item:r1", "item:r2"],
            &["lot:l1"],
            Status::PendingDestruction,
        ),
    );
    let d = w.record(
        UNIT_A,
        dispatch(A, R, &["item:r1", "item:r2"], vec![lq("lot:l1", 500)]),
    );
    w.record(
        DEMIL,
        receipt(d.id(), &["item:r1", "item:r2"], vec![lq("lot:l1", 500)]),
    );
    let auth = w.record(ADMIN, authorisation(&["item:r1"], vec![lq("lot:l1", 200)]));
    (w, auth)
}

// ---- a history that is accepted ------------------------------------------------------------

#[test]
fn the_reference_history_conserves_every_unit() {
    let w = history_world();
    w.ledger.check_invariants().unwrap();
    let v = w.ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    let id_of = |kind: &str| w.journal.iter().find(|e| e.kind() == kind).unwrap().id();
    let received = format!("discrepancy:{}", id_of("transfer_receipt"));
    let counted = format!("discrepancy:{}", id_of("stock_check"));
    let (at_a, at_b) = (holding(DEPOT_A, UNIT_A), holding(DEPOT_B, UNIT_B));
    // l1: 1000 registered at A; 300 sent to B, 290 arrived (10 then reported lost from the
    // receipt's discrepancy); 100 split off at B; 5 missing at A's stock check; 100 merged.
    let expected: std::collections::BTreeMap<(String, String), i64> = [
        ("item:r1", at_b.as_str(), 1),
        ("item:r1", "source:seized", -1),
        ("item:r2", "sink:destroyed", 1),
        ("item:r2", "source:seized", -1),
        ("lot:l1", at_a.as_str(), 595),
        ("lot:l1", at_b.as_str(), 190),
        ("lot:l1", counted.as_str(), 5),
        ("lot:l1", "sink:lost", 10),
        ("lot:l1", "sink:rebatched", 200),
        ("lot:l1", "source:stock_on_hand", -1000),
        ("lot:l1-a", at_b.as_str(), 94),
        ("lot:l1-a", "sink:stolen", 6),
        ("lot:l1-a", "source:rebatched", -100),
        ("lot:l2", "sink:rebatched", 50),
        ("lot:l2", "source:stock_on_hand", -50),
        ("lot:m1", "sink:destroyed", 150),
        ("lot:m1", "source:rebatched", -150),
    ]
    .into_iter()
    .map(|(s, a, n)| ((s.to_owned(), a.to_owned()), n))
    .collect();
    assert_eq!(w.balances(), expected);
    assert_eq!(w.balance("lot:l1", &received), 0);
    let summary = w.ledger.summary().unwrap();
    assert_eq!(summary.events, w.journal.len() as u64);
    assert_eq!(
        (summary.lots, summary.items, summary.items_destroyed),
        (4, 2, 1)
    );
    assert_eq!(summary.units_held, 595 + 190 + 94);
    assert_eq!(summary.units_destroyed, 150);
    assert_eq!((summary.units_lost, summary.units_stolen), (10, 6));
    assert_eq!(summary.units_in_discrepancy, 5);
    assert_eq!((summary.units_in_transit, summary.open_transfers), (0, 0));
    // Which destroyed rounds came from lot l1: m1 took 100 of them, and was destroyed.
    let lineage: Vec<_> = w
        .ledger
        .lineage(&lot("lot:l1"))
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.lot.to_string(),
                e.from.map(|f| f.to_string()),
                e.depth,
                e.received,
                e.destroyed,
            )
        })
        .collect();
    assert_eq!(
        lineage,
        vec![
            ("lot:l1".into(), None, 0, 1000, 0),
            ("lot:l1-a".into(), Some("lot:l1".into()), 1, 100, 0),
            ("lot:m1".into(), Some("lot:l1".into()), 1, 100, 150),
        ]
    );
    // The destroyed rifle's history, oldest first.
    let kinds: Vec<String> = w
        .ledger
        .trace("item:r2")
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "register_items",
            "stock_check",
            "status_change",
            "transfer_dispatch",
            "transfer_receipt",
            "destruction_authorisation",
            "destruction"
        ]
    );
    let found = w
        .ledger
        .find_items(&custodia::MarkingQuery {
            serial: "item:r2".into(),
            manufacturer: Some("acme".into()),
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].location, "sink:destroyed");
}

// ---- the genesis rule, duplicates and parents ------------------------------------------------

fn genesis_actor(id: &str, roles: &[Role], key: &Signer) -> Actor {
    Actor {
        id: actor(id),
        kind: ActorKind::Agency,
        name: "Ministry".into(),
        member_of: None,
        roles: roles.to_vec(),
        keys: vec![key.public_key()],
    }
}

#[test]
fn the_first_event_registers_an_administrator_who_signs_it_itself() {
    let mut w = World::empty();
    let key = key_named(ADMIN);
    w.hold_key(ADMIN, Signer::from_seed(key.seed()));
    let admin = [Role::Admin];
    let genesis =
        |w: &mut World, subject: Actor| w.event(ADMIN, custodia::event::RegisterActor { subject });

    // Not a registration at all.
    let e = w.event(ADMIN, register_site_body(DEPOT_A, SiteKind::Depot, None));
    let err = refused_event(&mut w, e, &[]);
    check(&err, ErrorCode::Genesis, None, json!({}));
    // An actor without the admin role.
    let e = genesis(&mut w, genesis_actor(ADMIN, &[Role::Custodian], &key));
    check(
        &refused_event(&mut w, e, &[]),
        ErrorCode::Genesis,
        None,
        json!({}),
    );
    // Registering someone else.
    let e = genesis(&mut w, genesis_actor(UNIT_A, &admin, &key));
    check(
        &refused_event(&mut w, e, &[]),
        ErrorCode::Genesis,
        None,
        json!({}),
    );
    // A member of something.
    let mut member = genesis_actor(ADMIN, &admin, &key);
    member.member_of = Some(actor(AG));
    let e = genesis(&mut w, member);
    check(
        &refused_event(&mut w, e, &[]),
        ErrorCode::Genesis,
        None,
        json!({}),
    );
    // Signed with a key it does not register.
    let e = genesis(&mut w, genesis_actor(ADMIN, &admin, &key));
    let signed = sign_as_is(&e, &[&key_named("someone else")]);
    check(
        &refused_append(&mut w, &signed),
        ErrorCode::Genesis,
        None,
        json!({}),
    );
    // With a parent.
    let mut e = genesis(&mut w, genesis_actor(ADMIN, &admin, &key));
    e.parents = vec![EventId::from_bytes([7; 32])];
    let signed = sign_as_is(&e, &[&key]);
    check(
        &refused_append(&mut w, &signed),
        ErrorCode::Genesis,
        None,
        json!({}),
    );
    assert_eq!(w.ledger.len().unwrap(), 0);

    // The right one is accepted; an administrator registering itself afterwards is a stranger.
    let first = w.record(
        ADMIN,
        custodia::event::RegisterActor {
            subject: genesis_actor(ADMIN, &admin, &key),
        },
    );
    assert_eq!(w.ledger.len().unwrap(), 1);
    let other = key_named("agency:other");
    w.hold_key("agency:other", Signer::from_seed(other.seed()));
    let e = w.event(
        "agency:other",
        custodia::event::RegisterActor {
            subject: genesis_actor("agency:other", &admin, &other),
        },
    );
    let signed = sign_as_is(&e, &[&other]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::UnknownKey,
        Some("/signatures/0"),
        json!({"key": other.public_key().to_hex()}),
    );
    assert_eq!(w.ledger.events(0, 10).unwrap()[0].id, first.id());
}

#[test]
fn an_event_is_appended_once() {
    let mut w = World::new();
    let first = w.journal[0].clone();
    let err = refused_append(&mut w, &first);
    check(
        &err,
        ErrorCode::DuplicateEvent,
        None,
        json!({"event": hex(first.id())}),
    );
    let last = w.journal.last().unwrap().clone();
    check(
        &refused_append(&mut w, &last),
        ErrorCode::DuplicateEvent,
        None,
        json!({"event": hex(last.id())}),
    );
    // Twice in one batch: the second copy is named.
    let e = w.event(UNIT_A, status_change(&["item:r1"], &[], Status::Surplus));
    let signed = w.sign(e, &[]);
    let before = w.snapshot();
    let err = w
        .ledger
        .append(&[signed.clone(), signed.clone()])
        .unwrap_err();
    check(
        &err,
        ErrorCode::DuplicateEvent,
        None,
        json!({"event": hex(signed.id())}),
    );
    assert_eq!(err.index(), Some(1));
    assert_eq!(err.event(), Some(signed.id()));
    unchanged(&w, &before);
    // And an empty batch is no batch.
    let err = w.ledger.append(&[]).unwrap_err();
    check(&err, ErrorCode::BatchEmpty, None, json!({}));
    w.ledger.append(&[signed]).unwrap();
}

#[test]
fn parents_are_exactly_the_latest_events_of_what_an_event_touches() {
    let mut w = World::new();
    let items_registered = w.journal[w.journal.len() - 2].id();
    let genesis = w.journal[0].id();
    let e = w.event(UNIT_A, status_change(&["item:r1"], &[], Status::Surplus));
    let prepared = w.ledger.prepare(e.clone()).unwrap();
    assert_eq!(prepared.parents, vec![items_registered]);

    // Missing.
    let signed = sign_as_is(&e, &[w.key(UNIT_A)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::MissingParent,
        Some("/parents"),
        json!({"expected": hex(items_registered), "of": "item:r1"}),
    );
    // One too many: named by its position.
    let mut extra = prepared.clone();
    extra.parents.push(genesis);
    let signed = sign_as_is(&extra, &[w.key(UNIT_A)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::UnexpectedParent,
        Some("/parents/1"),
        json!({"parent": hex(genesis)}),
    );
    // Beyond 16 given parents they are searched in a sorted copy instead of scanned: the same
    // verdicts. Sixteen strays and the genesis, the required parent missing:
    let strays: Vec<EventId> = (1..=16u8).map(|n| EventId::from_bytes([n; 32])).collect();
    let mut many = e.clone();
    many.parents = strays.clone();
    many.parents.push(genesis);
    let signed = sign_as_is(&many, &[w.key(UNIT_A)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::MissingParent,
        Some("/parents"),
        json!({"expected": hex(items_registered), "of": "item:r1"}),
    );
    // The required parent found among 17, the first stray named.
    let mut many = prepared.clone();
    many.parents.extend(strays.iter().copied());
    let signed = sign_as_is(&many, &[w.key(UNIT_A)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::UnexpectedParent,
        Some("/parents/1"),
        json!({"parent": hex(strays[0])}),
    );
    // An outdated parent in place of the latest.
    w.record(UNIT_A, status_change(&["item:r1"], &[], Status::Suspended));
    let latest = w.journal.last().unwrap().id();
    let mut stale = w.event(UNIT_A, status_change(&["item:r1"], &[], Status::Surplus));
    stale.parents = vec![items_registered];
    let signed = sign_as_is(&stale, &[w.key(UNIT_A)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::MissingParent,
        Some("/parents"),
        json!({"expected": hex(latest), "of": "item:r1"}),
    );
}

// ---- references ------------------------------------------------------------------------------

#[test]
fn unknown_references_are_named_where_they_appear() {
    let (mut w, d) = world_with_transfer();
    let unknown = |v: &str| json!({"value": v});
    let err = refused(
        &mut w,
        UNIT_A,
        register_lot_body("depot:zz", UNIT_A, "lot:n", 5),
    );
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/site"),
        unknown("depot:zz"),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        dispatch(A, (DEPOT_B, "unit:zz"), &["item:r2"], vec![]),
    );
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/to/custodian"),
        unknown("unit:zz"),
    );
    let ghost = EventId::from_bytes([0xee; 32]);
    let err = refused(&mut w, UNIT_B, receipt(ghost, &[], vec![]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/dispatch"),
        unknown(&hex(ghost)),
    );
    let err = refused(&mut w, UNIT_A, stock_check(A, &[], &[("item:nope", true)]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/items/0/item"),
        unknown("item:nope"),
    );
    let err = refused(&mut w, UNIT_A, stock_check(A, &[("lot:nope", 0, 0)], &[]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/lots/0/lot"),
        unknown("lot:nope"),
    );
    let err = refused(&mut w, UNIT_A, split("lot:nope", A, &[("lot:n2", 1)]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/lot"),
        unknown("lot:nope"),
    );
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &["item:nope"], vec![]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/items/0"),
        unknown("item:nope"),
    );
    let err = refused(&mut w, ADMIN, authorisation(&[], vec![lq("lot:nope", 1)]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/lots/0/lot"),
        unknown("lot:nope"),
    );
    let mut subject = genesis_actor("unit:new", &[], &key_named("unit:new"));
    subject.member_of = Some(actor("agency:nope"));
    let err = refused(&mut w, ADMIN, custodia::event::RegisterActor { subject });
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/subject/member_of"),
        unknown("agency:nope"),
    );
    let err = refused(&mut w, ADMIN, add_key("unit:nope", &key_named("k")));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/subject"),
        unknown("unit:nope"),
    );
    let err = refused(
        &mut w,
        UNIT_B,
        loss(LossKind::Lost, B, Some(d.id()), &[], vec![lq("lot:l1", 1)]),
    );
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/discrepancy"),
        unknown(&hex(d.id())),
    );
    // A destruction under an authorisation that does not exist, and unknown witnesses.
    let (mut w, auth) = world_at_the_range();
    let err = refused(
        &mut w,
        DEMIL,
        destruction(ghost, "cutting", &["item:r1"], vec![]),
    );
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/authorisation"),
        unknown(&hex(ghost)),
    );
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses[0].actor = actor("person:nobody");
    let err = refused(&mut w, DEMIL, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/witnesses/0/actor"),
        unknown("person:nobody"),
    );
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses[1].agency = actor("agency:nobody");
    let err = refused(&mut w, DEMIL, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/witnesses/1/agency"),
        unknown("agency:nobody"),
    );
}

#[test]
fn an_unknown_recording_actor_is_named_before_signing() {
    // No key of `unit:nope` exists in the ledger: preparing the event names the actor; an
    // append of it signed by a stranger names the signature.
    let mut w = World::new();
    let e = w.event(
        "unit:nope",
        status_change(&["item:r1"], &[], Status::Surplus),
    );
    let err = w.ledger.prepare(e.clone()).unwrap_err();
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/actor"),
        json!({"value": "unit:nope"}),
    );
    assert_eq!(err.event(), Some(e.id().unwrap()));
    let stranger = key_named("unit:nope");
    let err = w.ledger.record(e.clone(), &[&stranger]).unwrap_err();
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/actor"),
        json!({"value": "unit:nope"}),
    );
    // Signed by unit A for an actor that does not exist: unit A's signature is not the actor's.
    let signed = sign_as_is(&e, &[w.key(UNIT_A)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::ActorDidNotSign,
        Some("/signatures"),
        json!({"actor": "unit:nope"}),
    );
}

#[test]
fn an_unknown_lot_in_a_movement_is_named_at_its_id() {
    let mut w = World::new();
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &[], vec![lq("lot:nope", 1)]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/lots/0/lot"),
        json!({"value": "lot:nope"}),
    );
}

#[test]
fn registered_ids_are_registered_once() {
    let mut w = World::new();
    let exists = |v: &str| json!({"value": v});
    let err = refused(
        &mut w,
        UNIT_A,
        register_lot_body(DEPOT_A, UNIT_A, "lot:l1", 5),
    );
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/lot/id"),
        exists("lot:l1"),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        register_items_body(DEPOT_A, UNIT_A, &["item:r3", "item:r1"]),
    );
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/items/1/id"),
        exists("item:r1"),
    );
    // The same new item twice in one registration (the items differ in nothing).
    let mut body = register_items_body(DEPOT_A, UNIT_A, &["item:r3"]);
    body.items.push(body.items[0].clone());
    let err = refused(&mut w, UNIT_A, body);
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/items/1/id"),
        exists("item:r3"),
    );
    let err = refused(
        &mut w,
        ADMIN,
        register_site_body(DEPOT_B, SiteKind::Depot, None),
    );
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/site/id"),
        exists(DEPOT_B),
    );
    let err = refused(
        &mut w,
        ADMIN,
        custodia::event::RegisterActor {
            subject: genesis_actor(UNIT_A, &[], &key_named("fresh")),
        },
    );
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/subject/id"),
        exists(UNIT_A),
    );
    let in_use = key_named(UNIT_B);
    let err = refused(
        &mut w,
        ADMIN,
        custodia::event::RegisterActor {
            subject: genesis_actor("unit:c", &[], &in_use),
        },
    );
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/subject/keys/0"),
        exists(&in_use.public_key().to_hex()),
    );
    let err = refused(&mut w, ADMIN, add_key(UNIT_A, &in_use));
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/key"),
        exists(&in_use.public_key().to_hex()),
    );
    let err = refused(&mut w, UNIT_A, split("lot:l1", A, &[("lot:l1", 1)]));
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/into/0/id"),
        exists("lot:l1"),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        split("lot:l1", A, &[("lot:x", 1), ("lot:x", 2)]),
    );
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/into/1/id"),
        exists("lot:x"),
    );
    w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:l2", 10));
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:l1", 1), lq("lot:l2", 1)], "lot:l2"),
    );
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/into/id"),
        exists("lot:l2"),
    );
}

#[test]
fn an_id_is_listed_once_per_list() {
    let mut w = World::new();
    w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:l2", 10));
    let twice = json!({"value": "lot:l1"});
    let err = refused(
        &mut w,
        UNIT_A,
        dispatch(A, B, &[], vec![lq("lot:l1", 10), lq("lot:l1", 20)]),
    );
    check(
        &err,
        ErrorCode::Repeated,
        Some("/lots/1/lot"),
        twice.clone(),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        stock_check(A, &[("lot:l1", 1000, 1000), ("lot:l1", 1000, 1000)], &[]),
    );
    check(
        &err,
        ErrorCode::Repeated,
        Some("/lots/1/lot"),
        twice.clone(),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        merge(
            A,
            vec![lq("lot:l1", 1), lq("lot:l2", 1), lq("lot:l1", 2)],
            "lot:m",
        ),
    );
    check(
        &err,
        ErrorCode::Repeated,
        Some("/lots/2/lot"),
        twice.clone(),
    );
    let err = refused(
        &mut w,
        ADMIN,
        authorisation(&[], vec![lq("lot:l1", 1), lq("lot:l1", 1)]),
    );
    check(&err, ErrorCode::Repeated, Some("/lots/1/lot"), twice);
    let err = refused(
        &mut w,
        UNIT_A,
        stock_check(A, &[], &[("item:r1", true), ("item:r1", false)]),
    );
    check(
        &err,
        ErrorCode::Repeated,
        Some("/items/1"),
        json!({"value": "item:r1"}),
    );
    // Where the schema already says "unique items", the event cannot even be signed.
    let e = w.event(UNIT_A, dispatch(A, B, &["item:r1", "item:r1"], vec![]));
    let err = e.sign(&[w.key(UNIT_A)]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SchemaViolation, "{err}");
    assert_eq!(err.field(), Some("/items"), "{err}");
}

// ---- quantities ------------------------------------------------------------------------------

#[test]
fn zero_quantities_are_refused() {
    let (mut w, _auth) = world_at_the_range();
    let zero = json!({});
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &[], vec![lq("lot:l1", 0)]));
    check(
        &err,
        ErrorCode::ZeroQuantity,
        Some("/lots/0/quantity"),
        zero.clone(),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        register_lot_body(DEPOT_A, UNIT_A, "lot:n", 0),
    );
    check(
        &err,
        ErrorCode::ZeroQuantity,
        Some("/lot/quantity"),
        zero.clone(),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        split("lot:l1", A, &[("lot:n1", 5), ("lot:n2", 0)]),
    );
    check(
        &err,
        ErrorCode::ZeroQuantity,
        Some("/into/1/quantity"),
        zero.clone(),
    );
    let err = refused(&mut w, ADMIN, authorisation(&[], vec![lq("lot:l1", 0)]));
    check(
        &err,
        ErrorCode::ZeroQuantity,
        Some("/lots/0/quantity"),
        zero.clone(),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        loss(LossKind::Lost, A, None, &[], vec![lq("lot:l1", 0)]),
    );
    check(
        &err,
        ErrorCode::ZeroQuantity,
        Some("/lots/0/quantity"),
        zero.clone(),
    );
    w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:l2", 10));
    // Like `lot:l1`, so that only the quantity is wrong.
    w.record(
        ADMIN,
        status_change(&[], &["lot:l2"], Status::PendingDestruction),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:l1", 5), lq("lot:l2", 0)], "lot:m"),
    );
    check(
        &err,
        ErrorCode::ZeroQuantity,
        Some("/lots/1/quantity"),
        zero,
    );
}

#[test]
fn an_event_must_move_or_count_something() {
    let (mut w, auth) = world_at_the_range();
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &[], vec![]));
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
    let err = refused(&mut w, UNIT_A, status_change(&[], &[], Status::Surplus));
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
    let err = refused(&mut w, UNIT_A, loss(LossKind::Lost, A, None, &[], vec![]));
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
    let err = refused(&mut w, ADMIN, authorisation(&[], vec![]));
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &[], vec![]),
        &[WITNESS_1, WITNESS_2],
    );
    check(&err, ErrorCode::NothingToMove, Some("/items"), json!({}));
    let err = refused(&mut w, UNIT_A, stock_check(A, &[], &[]));
    check(&err, ErrorCode::NothingCounted, Some("/lots"), json!({}));
    // A merge of fewer than two lots is refused by the schema before the ledger sees it, so
    // `NothingToMerge` (2023) cannot be reached by a signed event.
    let e = w.event(UNIT_A, merge(A, vec![], "lot:m"));
    let err = e.sign(&[w.key(UNIT_A)]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SchemaViolation, "{err}");
    assert_eq!(err.field(), Some("/lots"), "{err}");
    let e = w.event(UNIT_A, merge(A, vec![lq("lot:l1", 1)], "lot:m"));
    let err = e.sign(&[w.key(UNIT_A)]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SchemaViolation, "{err}");
}

#[test]
fn quantities_and_their_explosive_content_stay_below_two_to_the_53() {
    let mut w = World::new();
    let max = json!({"max": QUANTITY_MAX});
    assert_eq!(QUANTITY_MAX, (1 << 53) - 1);
    // 2^52 rounds of 2 g: 2^53 g, one gram too many.
    let err = refused(
        &mut w,
        UNIT_A,
        register_lot_body(DEPOT_A, UNIT_A, "lot:huge", 1 << 52),
    );
    check(
        &err,
        ErrorCode::QuantityOverflow,
        Some("/lot/neq_grams_per_unit"),
        max.clone(),
    );
    // The largest quantity of inert units, and the largest content, are accepted.
    // One manufacturing lot (lot integrity lets its parts merge).
    let inert = |id: &str, n: u64, neq: u64| {
        let mut def: Lot = lot_def(id, n);
        def.lot_number = "LN-inert".into();
        def.neq_grams_per_unit = q(neq);
        register_lot_def(DEPOT_A, UNIT_A, def)
    };
    let (big1, big2, full) = (
        inert("lot:big1", QUANTITY_MAX, 0),
        inert("lot:big2", QUANTITY_MAX, 0),
        inert("lot:full", QUANTITY_MAX, 1),
    );
    w.record(UNIT_A, big1);
    w.record(UNIT_A, big2);
    w.record(UNIT_A, full);
    assert_eq!(
        w.balance("lot:big1", &holding(DEPOT_A, UNIT_A)),
        QUANTITY_MAX as i64
    );
    // A split whose parts add up to more than the largest quantity.
    let err = refused(
        &mut w,
        UNIT_A,
        split("lot:big1", A, &[("lot:p1", QUANTITY_MAX), ("lot:p2", 1)]),
    );
    check(
        &err,
        ErrorCode::QuantityOverflow,
        Some("/into"),
        max.clone(),
    );
    // A merge whose lines add up to more than the largest quantity.
    let err = refused(
        &mut w,
        UNIT_A,
        merge(
            A,
            vec![lq("lot:big1", QUANTITY_MAX), lq("lot:big2", 1)],
            "lot:m",
        ),
    );
    check(&err, ErrorCode::QuantityOverflow, Some("/lots"), max);
    // Exactly the largest quantity merges.
    w.record(
        UNIT_A,
        merge(
            A,
            vec![lq("lot:big1", QUANTITY_MAX - 1), lq("lot:big2", 1)],
            "lot:m",
        ),
    );
    assert_eq!(
        w.balance("lot:m", &holding(DEPOT_A, UNIT_A)),
        QUANTITY_MAX as i64
    );
}

#[test]
fn an_authorisation_covers_no_more_than_is_left_of_a_lot() {
    let (mut w, _) = world_with_transfer();
    // 700 at depot A and 300 in transit are all live.
    let err = refused(&mut w, ADMIN, authorisation(&[], vec![lq("lot:l1", 1001)]));
    check(
        &err,
        ErrorCode::BeyondLiveUnits,
        Some("/lots/0/quantity"),
        json!({"lot": "lot:l1", "requested": 1001, "left": 1000}),
    );
    w.record(
        UNIT_A,
        loss(LossKind::Stolen, A, None, &[], vec![lq("lot:l1", 100)]),
    );
    // Stolen units may be recovered: still live.
    w.record(ADMIN, authorisation(&[], vec![lq("lot:l1", 1000)]));
}

// ---- custody ---------------------------------------------------------------------------------

#[test]
fn transfers_go_elsewhere_and_receipts_name_what_was_sent() {
    let (mut w, d) = world_with_transfer();
    let err = refused(&mut w, UNIT_A, dispatch(A, A, &["item:r2"], vec![]));
    check(&err, ErrorCode::SamePlace, Some("/to"), json!({}));
    // Another custodian at the same site is another place.
    w.record(
        UNIT_A,
        dispatch(A, (DEPOT_A, UNIT_B), &[], vec![lq("lot:l1", 1)]),
    );
    let err = refused(
        &mut w,
        UNIT_B,
        receipt(d.id(), &["item:r1", "item:r2"], vec![]),
    );
    check(
        &err,
        ErrorCode::NotDispatched,
        Some("/items/1"),
        json!({"stock": "item:r2", "dispatch": hex(d.id())}),
    );
    w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:l2", 10));
    let err = refused(
        &mut w,
        UNIT_B,
        receipt(d.id(), &[], vec![lq("lot:l1", 300), lq("lot:l2", 1)]),
    );
    check(
        &err,
        ErrorCode::NotDispatched,
        Some("/lots/1/lot"),
        json!({"stock": "lot:l2", "dispatch": hex(d.id())}),
    );
    // Only the addressee receives.
    let err = refused(&mut w, DEMIL, receipt(d.id(), &["item:r1"], vec![]));
    check(
        &err,
        ErrorCode::NotCustodian,
        Some("/actor"),
        json!({"actor": DEMIL, "custodian": UNIT_B}),
    );
    // Once received, the transfer is closed.
    w.record(
        UNIT_B,
        receipt(d.id(), &["item:r1"], vec![lq("lot:l1", 300)]),
    );
    let err = refused(&mut w, UNIT_B, receipt(d.id(), &["item:r1"], vec![]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/dispatch"),
        json!({"value": hex(d.id())}),
    );
}

#[test]
fn nothing_moves_that_is_not_held() {
    let (mut w, d) = world_with_transfer();
    let at_a = holding(DEPOT_A, UNIT_A);
    let err = refused(&mut w, UNIT_A, dispatch(A, B, &[], vec![lq("lot:l1", 701)]));
    check(
        &err,
        ErrorCode::InsufficientStock,
        Some("/lots/0/quantity"),
        json!({"stock": "lot:l1", "account": at_a, "available": 700, "requested": 701}),
    );
    // r1 is in transit: depot A no longer holds it.
    let err = refused(&mut w, UNIT_A, dispatch(A, R, &["item:r1"], vec![]));
    check(
        &err,
        ErrorCode::InsufficientStock,
        Some("/items/0"),
        json!({"stock": "item:r1", "account": at_a, "available": 0, "requested": 1}),
    );
    let err = refused(&mut w, UNIT_A, split("lot:l1", A, &[("lot:n", 701)]));
    check(
        &err,
        ErrorCode::InsufficientStock,
        Some("/into"),
        json!({"stock": "lot:l1", "account": at_a, "available": 700, "requested": 701}),
    );
    // Recovering from the wrong sink.
    w.record(
        UNIT_A,
        loss(LossKind::Lost, A, None, &["item:r2"], vec![lq("lot:l1", 5)]),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        recovery(LossKind::Stolen, A, &["item:r2"], vec![]),
    );
    check(
        &err,
        ErrorCode::InsufficientStock,
        Some("/items/0"),
        json!({"stock": "item:r2", "account": "sink:stolen", "available": 0, "requested": 1}),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        recovery(LossKind::Lost, A, &[], vec![lq("lot:l1", 6)]),
    );
    check(
        &err,
        ErrorCode::InsufficientStock,
        Some("/lots/0/quantity"),
        json!({"stock": "lot:l1", "account": "sink:lost", "available": 5, "requested": 6}),
    );
    // A loss taken from a receipt's discrepancy takes no more than is missing.
    let r = w.record(
        UNIT_B,
        receipt(d.id(), &["item:r1"], vec![lq("lot:l1", 297)]),
    );
    let gap = format!("discrepancy:{}", r.id());
    assert_eq!(w.balance("lot:l1", &gap), 3);
    let err = refused(
        &mut w,
        UNIT_B,
        loss(
            LossKind::Stolen,
            B,
            Some(r.id()),
            &[],
            vec![lq("lot:l1", 4)],
        ),
    );
    check(
        &err,
        ErrorCode::InsufficientStock,
        Some("/lots/0/quantity"),
        json!({"stock": "lot:l1", "account": gap, "available": 3, "requested": 4}),
    );
    w.record(
        UNIT_B,
        loss(
            LossKind::Stolen,
            B,
            Some(r.id()),
            &[],
            vec![lq("lot:l1", 3)],
        ),
    );
    assert_eq!(w.balance("lot:l1", &gap), 0);
    assert_eq!(w.balance("lot:l1", "sink:stolen"), 3);
}

#[test]
fn only_those_who_act_for_the_custodian_move_its_stock() {
    let mut w = World::new();
    let err = refused(&mut w, UNIT_B, dispatch(A, B, &["item:r1"], vec![]));
    check(
        &err,
        ErrorCode::NotCustodian,
        Some("/from/custodian"),
        json!({"actor": UNIT_B, "custodian": UNIT_A}),
    );
    let err = refused(
        &mut w,
        UNIT_B,
        status_change(&["item:r1"], &[], Status::Surplus),
    );
    check(
        &err,
        ErrorCode::NotCustodian,
        Some("/items/0"),
        json!({"actor": UNIT_B, "custodian": UNIT_A}),
    );
    let err = refused(
        &mut w,
        UNIT_B,
        register_lot_body(DEPOT_A, UNIT_A, "lot:n", 1),
    );
    check(
        &err,
        ErrorCode::NotCustodian,
        Some("/custodian"),
        json!({"actor": UNIT_B, "custodian": UNIT_A}),
    );
    let err = refused(
        &mut w,
        UNIT_B,
        status_change(&[], &["lot:l1"], Status::Surplus),
    );
    check(
        &err,
        ErrorCode::NotHolder,
        Some("/lots/0"),
        json!({"actor": UNIT_B, "lot": "lot:l1"}),
    );
    // A member of the unit acts for it; an inspector changes anyone's status.
    w.record(CLERK_A, dispatch(A, B, &["item:r1"], vec![lq("lot:l1", 1)]));
    w.record(
        INSPECTOR,
        status_change(&["item:r2"], &["lot:l1"], Status::Suspended),
    );
    // A custodian needs the custodian role.
    let err = refused(&mut w, ADMIN, register_lot_body(DEPOT_A, AG, "lot:n", 1));
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/custodian"),
        json!({"actor": AG, "role": "custodian", "needed_for": "holding stock"}),
    );
}

#[test]
fn lots_merge_only_when_they_are_the_same_thing() {
    let mut w = World::new();
    let mut other = lot_def("lot:g", 10);
    other.nomenclature = "grenade hand".into();
    w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, other));
    // A second delivery of l1's manufacturing lot (lot integrity holds).
    let mut l2 = lot_def("lot:l2", 10);
    l2.lot_number = "LN-lot:l1".into();
    w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, l2));
    let mut heavier = lot_def("lot:h", 10);
    heavier.neq_grams_per_unit = q(3);
    w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, heavier));
    let differ =
        |lot: &str, attribute: &str| json!({"lot": lot, "first": "lot:l1", "attribute": attribute});
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:l1", 1), lq("lot:g", 1)], "lot:m"),
    );
    check(
        &err,
        ErrorCode::LotsDiffer,
        Some("/lots/1/lot"),
        differ("lot:g", "nomenclature"),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:l1", 1), lq("lot:h", 1)], "lot:m"),
    );
    check(
        &err,
        ErrorCode::LotsDiffer,
        Some("/lots/1/lot"),
        differ("lot:h", "explosive content per unit"),
    );
    w.record(UNIT_A, status_change(&[], &["lot:l2"], Status::Suspended));
    let err = refused(
        &mut w,
        UNIT_A,
        merge(A, vec![lq("lot:l1", 1), lq("lot:l2", 1)], "lot:m"),
    );
    check(
        &err,
        ErrorCode::LotsDiffer,
        Some("/lots/1/lot"),
        differ("lot:l2", "condition"),
    );
    w.record(UNIT_A, status_change(&[], &["lot:l1"], Status::Suspended));
    w.record(
        UNIT_A,
        merge(A, vec![lq("lot:l1", 1), lq("lot:l2", 1)], "lot:m"),
    );
    assert_eq!(w.balance("lot:m", &holding(DEPOT_A, UNIT_A)), 2);
}

#[test]
fn stock_checks_count_what_is_booked_here() {
    let (mut w, d) = world_with_transfer();
    let err = refused(&mut w, UNIT_A, stock_check(A, &[], &[("item:r1", true)]));
    let in_transit = format!("in_transit:{}", d.id());
    assert_eq!(w.balance("item:r1", &in_transit), 1);
    check(
        &err,
        ErrorCode::NotBookedHere,
        Some("/items/0/item"),
        json!({"item": "item:r1", "booked_at": in_transit, "counted_at": holding(DEPOT_A, UNIT_A)}),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        stock_check(A, &[("lot:l1", 1000, 1000)], &[]),
    );
    check(
        &err,
        ErrorCode::BookedMismatch,
        Some("/lots/0/booked"),
        json!({"booked": 1000, "ledger": 700}),
    );
    let c = w.record(
        UNIT_A,
        stock_check(A, &[("lot:l1", 700, 690)], &[("item:r2", false)]),
    );
    let gap = format!("discrepancy:{}", c.id());
    assert_eq!(w.balance("lot:l1", &gap), 10);
    assert_eq!(w.balance("item:r2", &gap), 1);
    assert_eq!(w.balance("lot:l1", &holding(DEPOT_A, UNIT_A)), 690);
}

#[test]
fn actors_belong_to_units_and_agencies_and_hold_keys() {
    let mut w = World::new();
    let mut subject = genesis_actor("person:p", &[], &key_named("person:p"));
    subject.kind = ActorKind::Person;
    subject.member_of = Some(actor(CLERK_A));
    let err = refused(&mut w, ADMIN, custodia::event::RegisterActor { subject });
    check(
        &err,
        ErrorCode::MemberOfPerson,
        Some("/subject/member_of"),
        json!({"parent": CLERK_A}),
    );
    let mut keyless = genesis_actor("unit:k", &[], &key_named("unit:k"));
    keyless.keys.clear();
    let err = refused(
        &mut w,
        ADMIN,
        custodia::event::RegisterActor { subject: keyless },
    );
    check(&err, ErrorCode::NoKeys, Some("/subject/keys"), json!({}));
    let foreign = key_named(UNIT_B);
    let err = refused(&mut w, ADMIN, revoke_key(UNIT_A, &foreign));
    check(
        &err,
        ErrorCode::KeyNotActive,
        Some("/key"),
        json!({"key": foreign.public_key().to_hex(), "actor": UNIT_A}),
    );
    let old = key_named(UNIT_A);
    w.record(ADMIN, revoke_key(UNIT_A, &old));
    let err = refused(&mut w, ADMIN, revoke_key(UNIT_A, &old));
    check(
        &err,
        ErrorCode::KeyNotActive,
        Some("/key"),
        json!({"key": old.public_key().to_hex(), "actor": UNIT_A}),
    );
}

#[test]
fn destroyed_stock_is_never_touched_again() {
    let mut w = history_world();
    assert_eq!(w.balance("item:r2", "sink:destroyed"), 1);
    assert_eq!(w.balance("lot:m1", "sink:destroyed"), 150);
    let err = refused(
        &mut w,
        DEMIL,
        status_change(&["item:r2"], &[], Status::Serviceable),
    );
    check(
        &err,
        ErrorCode::AfterDestruction,
        Some("/items/0"),
        json!({"stock": "item:r2"}),
    );
    let err = refused(
        &mut w,
        ADMIN,
        status_change(&[], &["lot:m1"], Status::Serviceable),
    );
    check(
        &err,
        ErrorCode::AfterDestruction,
        Some("/lots/0"),
        json!({"stock": "lot:m1"}),
    );
    let err = refused(&mut w, DEMIL, stock_check(R, &[("lot:m1", 0, 0)], &[]));
    check(
        &err,
        ErrorCode::AfterDestruction,
        Some("/lots/0/lot"),
        json!({"stock": "lot:m1"}),
    );
    let err = refused(&mut w, ADMIN, authorisation(&["item:r2"], vec![]));
    check(
        &err,
        ErrorCode::AfterDestruction,
        Some("/items/0"),
        json!({"stock": "item:r2"}),
    );
    let err = refused(&mut w, DEMIL, dispatch(R, A, &["item:r2"], vec![]));
    check(
        &err,
        ErrorCode::AfterDestruction,
        Some("/items/0"),
        json!({"stock": "item:r2"}),
    );
}

#[test]
fn corrections_reverse_only_the_latest_event_of_what_it_touched() {
    let mut w = World::new();
    let not_correctable =
        |target: EventId| json!({"target": hex(target), "reason": "not_reversible"});
    let ghost = EventId::from_bytes([0xcc; 32]);
    let err = refused(&mut w, ADMIN, correction(ghost));
    check(
        &err,
        ErrorCode::NotCorrectable,
        Some("/reverses"),
        not_correctable(ghost),
    );
    // Registrations of actors are not reversible.
    let actor_event = w.journal[1].id();
    let err = refused(&mut w, ADMIN, correction(actor_event));
    check(
        &err,
        ErrorCode::NotCorrectable,
        Some("/reverses"),
        not_correctable(actor_event),
    );
    // Someone else than the recording actor needs the admin role.
    let d = w.record(UNIT_A, dispatch(A, B, &["item:r1"], vec![lq("lot:l1", 10)]));
    let err = refused(&mut w, UNIT_B, correction(d.id()));
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        json!({"actor": UNIT_B, "role": "admin", "needed_for": "correction"}),
    );
    let before = w.balances();
    let c = w.record(UNIT_A, correction(d.id()));
    assert_eq!(w.balance("lot:l1", &holding(DEPOT_A, UNIT_A)), 1000);
    assert_eq!(w.balance("item:r1", &holding(DEPOT_A, UNIT_A)), 1);
    assert!(
        w.balances()
            .keys()
            .all(|(_, a)| !a.starts_with("in_transit:")),
        "{before:?}"
    );
    // Twice, or a correction itself: not reversible.
    let err = refused(&mut w, UNIT_A, correction(d.id()));
    check(
        &err,
        ErrorCode::NotCorrectable,
        Some("/reverses"),
        not_correctable(d.id()),
    );
    let err = refused(&mut w, ADMIN, correction(c.id()));
    check(
        &err,
        ErrorCode::NotCorrectable,
        Some("/reverses"),
        not_correctable(c.id()),
    );
    // Superseded by a later event on the same stock.
    let s1 = w.record(UNIT_A, status_change(&["item:r1"], &[], Status::Surplus));
    w.record(UNIT_A, status_change(&["item:r1"], &[], Status::Suspended));
    let err = refused(&mut w, UNIT_A, correction(s1.id()));
    check(
        &err,
        ErrorCode::NotCorrectable,
        Some("/reverses"),
        not_correctable(s1.id()),
    );
    // A destruction is final.
    let mut w = history_world();
    let destruction_id = w.journal.last().unwrap().id();
    let err = refused(&mut w, ADMIN, correction(destruction_id));
    check(
        &err,
        ErrorCode::NotCorrectable,
        Some("/reverses"),
        not_correctable(destruction_id),
    );
}

// ---- authorisation ---------------------------------------------------------------------------

#[test]
fn each_kind_needs_its_role() {
    let (mut w, auth) = world_at_the_range();
    let missing = |who: &str, role: &str, needed_for: &str| json!({"actor": who, "role": role, "needed_for": needed_for});
    let err = refused(
        &mut w,
        UNIT_A,
        register_site_body("depot:c", SiteKind::Depot, None),
    );
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        missing(UNIT_A, "admin", "register_site"),
    );
    let err = refused(&mut w, UNIT_A, add_key(UNIT_A, &key_named("k2")));
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        missing(UNIT_A, "admin", "add_key"),
    );
    let err = refused(&mut w, UNIT_A, revoke_key(UNIT_B, &key_named(UNIT_B)));
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        missing(UNIT_A, "admin", "revoke_key"),
    );
    let err = refused(&mut w, UNIT_A, rules_in_force(vec![a_rule()]));
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        missing(UNIT_A, "admin", "rules_in_force"),
    );
    let err = refused(&mut w, UNIT_A, authorisation(&["item:r2"], vec![]));
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        missing(UNIT_A, "authoriser", "destruction_authorisation"),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
    );
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        missing(UNIT_A, "destroyer", "destruction"),
    );
    let err = refused(
        &mut w,
        UNIT_A,
        custodia::event::RegisterActor {
            subject: genesis_actor("unit:x", &[], &key_named("unit:x")),
        },
    );
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        missing(UNIT_A, "admin", "register_actor"),
    );
}

#[test]
fn a_destruction_stays_within_its_authorisation() {
    let (mut w, auth) = world_at_the_range();
    let not_authorised = |what: &str| json!({"what": what, "authorisation": hex(auth.id())});
    let ws = [WITNESS_1, WITNESS_2];
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r2"], vec![]),
        &ws,
    );
    check(
        &err,
        ErrorCode::NotAuthorised,
        Some("/items/0"),
        not_authorised("item:r2"),
    );
    // In format version 2 the method is judged by its steps (the free text is free).
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "open_burning", &["item:r1"], vec![]),
        &ws,
    );
    check(
        &err,
        ErrorCode::NotAuthorised,
        Some("/steps/0"),
        not_authorised("open_burning"),
    );
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &[], vec![lq("lot:l1", 201)]),
        &ws,
    );
    check(
        &err,
        ErrorCode::NotAuthorised,
        Some("/lots/0/quantity"),
        not_authorised("201 of `lot:l1` (200 left)"),
    );
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses[0].agency = actor(UNIT_A);
    let err = refused_with(&mut w, DEMIL, body, &ws);
    check(
        &err,
        ErrorCode::NotAnAgency,
        Some("/witnesses/0/agency"),
        json!({"actor": UNIT_A}),
    );
    // Within cover: accepted, and the cover shrinks.
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![lq("lot:l1", 150)]),
        &ws,
    );
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &[], vec![lq("lot:l1", 51)]),
        &ws,
    );
    check(
        &err,
        ErrorCode::NotAuthorised,
        Some("/lots/0/quantity"),
        not_authorised("51 of `lot:l1` (50 left)"),
    );
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &[], vec![lq("lot:l1", 50)]),
        &ws,
    );
    // Spent: the authorisation stays, with nothing left to cover (not "unknown").
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &[], vec![lq("lot:l1", 1)]),
        &ws,
    );
    check(
        &err,
        ErrorCode::NotAuthorised,
        Some("/lots/0/quantity"),
        not_authorised("1 of `lot:l1` (0 left)"),
    );
    assert_eq!(w.balance("lot:l1", "sink:destroyed"), 200);
    assert_eq!(w.balance("item:r1", "sink:destroyed"), 1);
    assert_eq!(w.balance("lot:l1", &holding(RANGE, DEMIL)), 300);
}

// ---- signatures and keys ---------------------------------------------------------------------

#[test]
fn signatures_count_only_from_the_actors_current_keys() {
    let mut w = World::new();
    let e = w.event(
        UNIT_A,
        status_change(&["item:r1"], &[], Status::Unserviceable),
    );
    let e = w.ledger.prepare(e).unwrap();
    let key_a = Signer::from_seed(w.key(UNIT_A).seed());

    let unsigned = sign_as_is(&e, &[]);
    check(
        &refused_append(&mut w, &unsigned),
        ErrorCode::Unsigned,
        Some("/signatures"),
        json!({}),
    );

    let good = sign_as_is(&e, &[&key_a]);
    let forged = edited(&good, |v| {
        let sig = v["signatures"][0]["sig"].as_str().unwrap().to_owned();
        let flipped = if sig.starts_with('0') { "1" } else { "0" };
        v["signatures"][0]["sig"] = Value::String(format!("{flipped}{}", &sig[1..]));
    });
    let err = refused_append(&mut w, &forged);
    check(
        &err,
        ErrorCode::BadSignature,
        Some("/signatures/0"),
        json!({"key": key_a.public_key().to_hex()}),
    );
    // A valid signature over another event.
    let other = sign_as_is(
        &w.event(UNIT_A, status_change(&["item:r2"], &[], Status::Surplus)),
        &[&key_a],
    );
    let moved = edited(&good, |v| {
        v["signatures"][0]["sig"] = serde_json::to_value(other.signatures()[0].sig).unwrap();
    });
    let err = refused_append(&mut w, &moved);
    check(
        &err,
        ErrorCode::BadSignature,
        Some("/signatures/0"),
        json!({"key": key_a.public_key().to_hex()}),
    );

    let twice = sign_as_is(&e, &[&key_a, &key_a]);
    let err = refused_append(&mut w, &twice);
    check(
        &err,
        ErrorCode::DuplicateSignature,
        Some("/signatures/1"),
        json!({"key": key_a.public_key().to_hex()}),
    );
    // Beyond 16 signatures a repeated key is found by a set instead of a scan: the same
    // verdict, named at the same place (before the unknown keys that follow it).
    let strangers: Vec<Signer> = (0..16u8)
        .map(|n| Signer::from_seed([100 + n; 32]))
        .collect();
    let mut many: Vec<&Signer> = vec![&key_a, &key_a];
    many.extend(strangers.iter());
    let err = refused_append(&mut w, &sign_as_is(&e, &many));
    check(
        &err,
        ErrorCode::DuplicateSignature,
        Some("/signatures/1"),
        json!({"key": key_a.public_key().to_hex()}),
    );
    let stranger = Signer::from_seed([9; 32]);
    let err = refused_append(&mut w, &sign_as_is(&e, &[&key_a, &stranger]));
    check(
        &err,
        ErrorCode::UnknownKey,
        Some("/signatures/1"),
        json!({"key": stranger.public_key().to_hex()}),
    );
    let signed = sign_as_is(&e, &[w.key(UNIT_B)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::ActorDidNotSign,
        Some("/signatures"),
        json!({"actor": UNIT_A}),
    );
    // A co-signature by someone else does not replace the actor's.
    let signed = sign_as_is(&e, &[w.key(ADMIN), w.key(UNIT_B)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::ActorDidNotSign,
        Some("/signatures"),
        json!({"actor": UNIT_A}),
    );
    // A member's key is not the unit's signature either.
    let signed = sign_as_is(&e, &[w.key(CLERK_A)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::ActorDidNotSign,
        Some("/signatures"),
        json!({"actor": UNIT_A}),
    );
    // The right signature, with a co-signature, is accepted.
    w.ledger
        .append(&[sign_as_is(&e, &[&key_a, w.key(INSPECTOR)])])
        .unwrap();

    // Revoked: the old key stops counting, the new one works.
    let fresh = key_named("unit:a/2");
    w.record(ADMIN, add_key(UNIT_A, &fresh));
    w.record(ADMIN, revoke_key(UNIT_A, &key_a));
    let e = w.event(
        UNIT_A,
        status_change(&["item:r1"], &[], Status::Serviceable),
    );
    let e = w.ledger.prepare(e).unwrap();
    let err = refused_append(&mut w, &sign_as_is(&e, &[&key_a]));
    check(
        &err,
        ErrorCode::RevokedKey,
        Some("/signatures/0"),
        json!({"key": key_a.public_key().to_hex(), "actor": UNIT_A}),
    );
    let err = refused_append(&mut w, &sign_as_is(&e, &[&fresh, &key_a]));
    check(
        &err,
        ErrorCode::RevokedKey,
        Some("/signatures/1"),
        json!({"key": key_a.public_key().to_hex(), "actor": UNIT_A}),
    );
    w.ledger.append(&[sign_as_is(&e, &[&fresh])]).unwrap();
    // A revoked key cannot be registered again to anyone.
    let err = refused(&mut w, ADMIN, add_key(UNIT_B, &key_a));
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/key"),
        json!({"value": key_a.public_key().to_hex()}),
    );
}

/// The field prime 2^255 - 19, little-endian, plus `k`.
fn p_plus(k: u8) -> [u8; 32] {
    let mut b = [0xffu8; 32];
    b[0] = 0xed;
    b[31] = 0x7f;
    let (low, carry) = b[0].overflowing_add(k);
    b[0] = low;
    assert!(!carry, "p + {k} does not fit one byte of carry");
    b
}

fn key_hex(bytes: [u8; 32]) -> String {
    hex_encode(&bytes)
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Encodings of small-order points: the identity, the point of order 2, both points of order 4
/// (y = 0), and a point of order 8 from the ed25519-speccheck vectors.
fn small_order_keys() -> Vec<[u8; 32]> {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut order2 = p_plus(0); // y = p - 1 = -1
    order2[0] = 0xec;
    let order4 = [0u8; 32];
    let mut order4_neg = [0u8; 32];
    order4_neg[31] = 0x80;
    // The public key of case 0 of ed25519-speccheck (shared/ed25519-speccheck/cases.json).
    let order8_hex = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa";
    let mut order8 = [0u8; 32];
    for (i, byte) in order8.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&order8_hex[2 * i..2 * i + 2], 16).unwrap();
    }
    vec![identity, order2, order4, order4_neg, order8]
}

#[test]
fn keys_that_no_honest_signer_has_are_refused() {
    let mut w = World::new();
    let mut refused_keys = Vec::new();
    for bytes in small_order_keys() {
        // The test's own premise, checked with the verifier custodia uses.
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&bytes).unwrap();
        assert!(vk.is_weak(), "{} is not small-order", key_hex(bytes));
        refused_keys.push(bytes);
    }
    // Non-canonical encodings y = p + k of valid points that are not of small order: the
    // decoder reduces y modulo p, so each names the same point as the canonical y = k.
    let mut non_canonical = 0;
    for k in 0..19u8 {
        let bytes = p_plus(k);
        let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(&bytes) else {
            continue;
        };
        let mut canonical = [0u8; 32];
        canonical[0] = k;
        assert_eq!(
            vk.to_edwards().compress().to_bytes(),
            canonical,
            "y = p + {k}"
        );
        if !vk.is_weak() {
            non_canonical += 1;
            // Its canonical twin is an acceptable key.
            custodia::event::check_public_key(&PublicKey::from_bytes(canonical)).unwrap();
        }
        refused_keys.push(bytes);
    }
    assert!(
        non_canonical >= 2,
        "only {non_canonical} non-canonical encodings found"
    );
    for (n, bytes) in refused_keys.into_iter().enumerate() {
        let key = PublicKey::from_bytes(bytes);
        let err = custodia::event::check_public_key(&key).unwrap_err();
        check(
            &err,
            ErrorCode::InvalidPublicKey,
            None,
            json!({"key": key_hex(bytes)}),
        );
        let mut subject = genesis_actor(&format!("unit:k{n}"), &[], &key_named("unused"));
        subject.keys = vec![key];
        let err = refused(&mut w, ADMIN, custodia::event::RegisterActor { subject });
        check(
            &err,
            ErrorCode::InvalidPublicKey,
            Some("/subject/keys/0"),
            json!({"key": key_hex(bytes)}),
        );
        let err = refused(
            &mut w,
            ADMIN,
            custodia::event::AddKey {
                subject: actor(UNIT_A),
                key,
            },
        );
        check(
            &err,
            ErrorCode::InvalidPublicKey,
            Some("/key"),
            json!({"key": key_hex(bytes)}),
        );
    }
}

// ---- rules -----------------------------------------------------------------------------------

/// A rule engine that refuses every event of one kind.
struct Refuse(&'static str);

impl RuleEngine for Refuse {
    fn judge(&self, rules: &[RuleRef], input: &Value) -> Result<Vec<RuleWarning>, RuleOutcome> {
        assert_eq!(rules, &[a_rule()]);
        assert_eq!(input["abi"], 1);
        if input["event"]["kind"] == self.0 {
            Err(RuleOutcome::Denied {
                rule: "witnesses".into(),
                code: "W-1".into(),
                message: "no".into(),
            })
        } else {
            Ok(vec![RuleWarning {
                rule: "witnesses".into(),
                code: "W-0".into(),
                message: "looked".into(),
            }])
        }
    }
}

#[test]
fn events_after_rules_in_force_need_the_rules() {
    let mut w = World::new();
    w.record(ADMIN, rules_in_force(vec![a_rule()]));
    let e = w.event(UNIT_A, status_change(&["item:r1"], &[], Status::Surplus));
    let before = w.snapshot();
    let err = w.record_event(e.clone(), &[]).unwrap_err();
    check(
        &err,
        ErrorCode::RulesNotLoaded,
        None,
        json!({"rules": "witnesses"}),
    );
    assert_eq!(err.index(), Some(0));
    let prepared = w.ledger.prepare(e.clone()).unwrap();
    assert_eq!(err.event(), Some(prepared.id().unwrap()));
    unchanged(&w, &before);
    // With an engine: its verdict is final, its warnings are reported.
    w.ledger
        .set_rules(Some(Arc::new(Refuse("transfer_dispatch"))));
    let denied = w.event(UNIT_A, dispatch(A, B, &["item:r2"], vec![]));
    let err = w.record_event(denied, &[]).unwrap_err();
    check(
        &err,
        ErrorCode::RuleDenied,
        None,
        json!({"rule": "witnesses", "code": "W-1", "message": "no"}),
    );
    let signed = w.sign(e, &[]);
    let report = w.ledger.append(&[signed]).unwrap();
    assert_eq!(report.events[0].warnings.len(), 1);
    assert_eq!(report.events[0].warnings[0].code, "W-0");
    assert!(w.ledger.verify().unwrap().ok);
    // Verification re-runs the rules: without an engine it cannot.
    w.ledger.set_rules(None);
    let v = w.ledger.verify().unwrap();
    let f = v.failure.unwrap();
    check(
        &f,
        ErrorCode::RulesNotLoaded,
        None,
        json!({"rules": "witnesses"}),
    );
    assert_eq!(f.index(), Some(w.ledger.len().unwrap() - 1));
}

// ---- time ------------------------------------------------------------------------------------

fn dated_before(at: i64, last_at: i64, of: &str) -> Value {
    json!({"at": ts(at).to_string(), "last_at": ts(last_at).to_string(), "of": of})
}

#[test]
fn time_never_runs_backwards() {
    let mut w = World::new();
    let items_at = w.journal[w.journal.len() - 2].event().at.unix_seconds();
    // Before the ledger's first event: with the right parents, that is what is named.
    let e = w.event(UNIT_A, status_change(&["item:r1"], &[], Status::Surplus));
    let mut e = w.ledger.prepare(e).unwrap();
    e.at = ts(EPOCH - 1);
    let signed = sign_as_is(&e, &[w.key(UNIT_A)]);
    let err = refused_append(&mut w, &signed);
    check(
        &err,
        ErrorCode::DatedBeforeLast,
        Some("/at"),
        dated_before(EPOCH - 1, EPOCH, "the ledger's first event"),
    );
    // `record` prepares first, and preparing names the parent it would predate.
    e.parents.clear();
    let err = w.record_event(e, &[]).unwrap_err();
    check(
        &err,
        ErrorCode::DatedBeforeLast,
        Some("/at"),
        dated_before(EPOCH - 1, items_at, "item:r1"),
    );
    // Before a parent: the receipt of a transfer before its dispatch.
    let d = w.record(UNIT_A, dispatch(A, B, &["item:r1"], vec![]));
    let sent = w.now;
    let mut e = w.event(UNIT_B, receipt(d.id(), &["item:r1"], vec![]));
    e.at = ts(sent - 1);
    let err = refused_event(&mut w, e, &[]);
    check(
        &err,
        ErrorCode::DatedBeforeLast,
        Some("/at"),
        dated_before(sent - 1, sent, &format!("transfer {}", d.id())),
    );
    // At the same second is not before.
    let mut e = w.event(UNIT_B, receipt(d.id(), &["item:r1"], vec![]));
    e.at = ts(sent);
    w.record_event(e, &[]).unwrap();
    // Before the site's registration.
    w.record(ADMIN, register_site_body("depot:c", SiteKind::Depot, None));
    let registered = w.now;
    let mut e = w.event(UNIT_A, register_lot_body("depot:c", UNIT_A, "lot:c", 5));
    e.at = ts(registered - 30);
    let err = refused_event(&mut w, e, &[]);
    check(
        &err,
        ErrorCode::DatedBeforeLast,
        Some("/at"),
        dated_before(registered - 30, registered, "depot:c"),
    );
    let mut e = w.event(
        ADMIN,
        register_site_body("magazine:c-1", SiteKind::Magazine, Some("depot:c")),
    );
    e.at = ts(registered - 30);
    let err = refused_event(&mut w, e, &[]);
    check(
        &err,
        ErrorCode::DatedBeforeLast,
        Some("/at"),
        dated_before(registered - 30, registered, "depot:c"),
    );
    // Before the key that signs it was registered.
    let fresh = key_named("unit:a/2");
    w.record(ADMIN, add_key(UNIT_A, &fresh));
    let added = w.now;
    w.hold_key(UNIT_A, Signer::from_seed(fresh.seed()));
    let mut e = w.event(UNIT_A, status_change(&["item:r2"], &[], Status::Surplus));
    e.at = ts(added - 30);
    let err = refused_event(&mut w, e, &[]);
    check(
        &err,
        ErrorCode::DatedBeforeLast,
        Some("/at"),
        dated_before(added - 30, added, &format!("key {}", fresh.public_key())),
    );
    // The same event signed with the old key is accepted: time order holds along its parents.
    w.hold_key(UNIT_A, key_named(UNIT_A));
    let mut e = w.event(UNIT_A, status_change(&["item:r2"], &[], Status::Surplus));
    e.at = ts(added - 30);
    w.record_event(e, &[]).unwrap();
    // A correction dated before the event it reverses.
    let l = w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:late", 5));
    let mut e = w.event(UNIT_A, correction(l.id()));
    e.at = ts(w.now - STEP - 1);
    let err = refused_event(&mut w, e, &[]);
    check(
        &err,
        ErrorCode::DatedBeforeLast,
        Some("/at"),
        dated_before(
            w.now - STEP - 1,
            w.now - STEP,
            &format!("reversed event {}", l.id()),
        ),
    );
    // A stock's next event may not predate its last one.
    let mut e = w.event(UNIT_A, dispatch(A, B, &[], vec![lq("lot:late", 1)]));
    let last = w.now - 2 * STEP;
    e.at = ts(last - 1);
    let err = refused_event(&mut w, e, &[]);
    check(
        &err,
        ErrorCode::DatedBeforeLast,
        Some("/at"),
        dated_before(last - 1, last, "lot:late"),
    );
}

#[test]
fn a_corrected_loss_gives_its_discrepancy_back() {
    let (mut w, d) = world_with_transfer();
    let r = w.record(
        UNIT_B,
        receipt(d.id(), &["item:r1"], vec![lq("lot:l1", 290)]),
    );
    let gap = format!("discrepancy:{}", r.id());
    let lost = w.record(
        UNIT_B,
        loss(LossKind::Lost, B, Some(r.id()), &[], vec![lq("lot:l1", 10)]),
    );
    assert_eq!(w.balance("lot:l1", &gap), 0);
    w.record(UNIT_B, correction(lost.id()));
    assert_eq!(w.balance("lot:l1", &gap), 10);
    // As before the corrected loss, the ten missing rounds can be reported lost.
    let again = w.try_record(
        UNIT_B,
        loss(LossKind::Lost, B, Some(r.id()), &[], vec![lq("lot:l1", 10)]),
        &[],
    );
    assert!(again.is_ok(), "{:?}", again.err());
    assert_eq!(w.balance("lot:l1", &gap), 0);
    assert_eq!(w.balance("lot:l1", "sink:lost"), 10);
}

/// Found by the model-based test: a split that took the last live units of a lot part of which
/// had been destroyed left it looking destroyed, and its correction was refused (3003).
#[test]
fn a_split_that_emptied_a_partly_destroyed_lot_can_be_corrected() {
    let mut w = World::new();
    w.record(ADMIN, status_change(&[], &["lot:l1"], Status::Surplus));
    let d = w.record(UNIT_A, dispatch(A, R, &[], vec![lq("lot:l1", 1000)]));
    w.record(DEMIL, receipt(d.id(), &[], vec![lq("lot:l1", 1000)]));
    let auth = w.record(ADMIN, authorisation(&[], vec![lq("lot:l1", 1)]));
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &[], vec![lq("lot:l1", 1)]),
        &[WITNESS_1, WITNESS_2],
    );
    let live = w.balance("lot:l1", &holding(RANGE, DEMIL));
    let s = w.record(
        DEMIL,
        split("lot:l1", R, &[("lot:s1", u64::try_from(live).unwrap())]),
    );
    assert_eq!(w.balance("lot:l1", &holding(RANGE, DEMIL)), 0);
    w.record(DEMIL, correction(s.id()));
    assert_eq!(w.balance("lot:l1", &holding(RANGE, DEMIL)), live);
    assert_eq!(w.balance("lot:l1", "sink:destroyed"), 1);
    // Once the lot is emptied by destruction alone, it is closed.
    let auth = w.record(
        ADMIN,
        authorisation(&[], vec![lq("lot:l1", u64::try_from(live).unwrap())]),
    );
    w.record_with(
        DEMIL,
        destruction(
            auth.id(),
            "cutting",
            &[],
            vec![lq("lot:l1", u64::try_from(live).unwrap())],
        ),
        &[WITNESS_1, WITNESS_2],
    );
    let err = refused(&mut w, DEMIL, split("lot:l1", R, &[("lot:s2", 1)]));
    assert_eq!(err.code(), ErrorCode::AfterDestruction);
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn the_trace_of_a_reversed_registration_ends_with_its_correction() {
    let mut w = World::new();
    let typo = w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:typo", 5));
    let undone = w.record(UNIT_A, correction(typo.id()));
    let ids: Vec<EventId> = w
        .ledger
        .trace("lot:typo")
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, vec![typo.id(), undone.id()]);
    let s = w.record(UNIT_A, split("lot:l1", A, &[("lot:s", 10)]));
    let undone = w.record(UNIT_A, correction(s.id()));
    let ids: Vec<EventId> = w
        .ledger
        .trace("lot:s")
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, vec![s.id(), undone.id()]);
}
