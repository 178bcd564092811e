//! Destruction rules that cannot be gamed (format version 2): witnesses listed once, holding
//! the witness role, declaring their own agency and independent of the destruction team;
//! authorisations naming their method steps, bound to a site and an expiry, and never carried
//! out by whoever recorded them; only stock released for destruction (surplus, pending
//! destruction, forfeited by a court, deactivated) destroyed. Each refusal is checked for its
//! code, its field and its values, with the ledger exactly as before; and version-1 events keep
//! version 1's rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::event::Witness;
use custodia::model::{ActorKind, DestructionMethod, JudicialDecision, Role, Status};
use custodia::{Body, Error, ErrorCode, SignedEvent};
use serde_json::json;

/// A person of the demilitarisation team who also witnesses (for other teams).
const TECH: &str = "person:demil-tech";
/// A person who both authorises and destroys.
const MAJOR: &str = "person:major";
/// An agency that witnesses itself.
const OMBUDSMAN: &str = "agency:ombudsman";

fn refused_with(w: &mut World, who: &str, body: impl Into<Body>, cosigners: &[&str]) -> Error {
    let event = w.event(who, body);
    refused_event_with(w, event, cosigners)
}

fn witness(actor_id: &str, agency: &str) -> Witness {
    Witness {
        actor: actor(actor_id),
        agency: actor(agency),
    }
}

/// The standard world with `item:r1`, `item:r2` and 500 rounds of `lot:l1` declared pending
/// destruction and sent to the range, extra actors (a destroyer who witnesses, an authoriser
/// who destroys, an agency with the witness role), and an authorisation by the ministry of
/// `item:r1` and 200 rounds.
fn world() -> (World, SignedEvent) {
    let mut w = World::new();
    w.register(
        TECH,
        ActorKind::Person,
        Some(DEMIL),
        &[Role::Destroyer, Role::Witness],
    );
    w.register(
        MAJOR,
        ActorKind::Person,
        Some(DEMIL),
        &[Role::Authoriser, Role::Destroyer],
    );
    w.register(OMBUDSMAN, ActorKind::Agency, None, &[Role::Witness]);
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

const WS: [&str; 2] = [WITNESS_1, WITNESS_2];

#[test]
fn a_witness_is_listed_once() {
    let (mut w, auth) = world();
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses = vec![witness(WITNESS_1, AG), witness(WITNESS_1, POLICE)];
    let err = refused_with(&mut w, DEMIL, body, &WS);
    check(
        &err,
        ErrorCode::Repeated,
        Some("/witnesses/1/actor"),
        json!({"value": WITNESS_1}),
    );
    // The very same entry twice: the schema of version 2 says the witnesses are unique, so the
    // event cannot even be signed.
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses = vec![witness(WITNESS_1, AG), witness(WITNESS_1, AG)];
    let e = w.event(DEMIL, body);
    let err = e.sign(&[w.key(DEMIL)]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SchemaViolation, "{err}");
    assert_eq!(err.field(), Some("/witnesses"), "{err}");
}

#[test]
fn a_witness_is_not_the_destruction_team() {
    let (mut w, auth) = world();
    // The recording actor (the destroyer).
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses = vec![witness(DEMIL, ADMIN), witness(WITNESS_2, POLICE)];
    let err = refused_with(&mut w, DEMIL, body, &WS);
    check(
        &err,
        ErrorCode::WitnessNotIndependent,
        Some("/witnesses/0/actor"),
        json!({"witness": DEMIL, "role": "the recording actor"}),
    );
    // A co-signer who holds the destroyer role acts in the destruction.
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses = vec![witness(WITNESS_1, AG), witness(TECH, ADMIN)];
    let err = refused_with(&mut w, DEMIL, body, &[WITNESS_1, TECH]);
    check(
        &err,
        ErrorCode::WitnessNotIndependent,
        Some("/witnesses/1/actor"),
        json!({"witness": TECH, "role": "a signer holding the destroyer role"}),
    );
}

#[test]
fn a_witness_holds_the_role_and_declares_its_own_agency() {
    let (mut w, auth) = world();
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses = vec![witness(CLERK_A, ADMIN)];
    let err = refused_with(&mut w, DEMIL, body, &[]);
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/witnesses/0/actor"),
        json!({"actor": CLERK_A, "role": "witness", "needed_for": "witnessing a destruction"}),
    );
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses = vec![witness(WITNESS_1, POLICE)];
    let err = refused_with(&mut w, DEMIL, body, &[WITNESS_1]);
    check(
        &err,
        ErrorCode::WitnessAgencyMismatch,
        Some("/witnesses/0/agency"),
        json!({"witness": WITNESS_1, "agency": POLICE, "actual": AG}),
    );
    // An agency witnesses for itself; a witness who does not sign is still a witness.
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.witnesses = vec![witness(OMBUDSMAN, OMBUDSMAN), witness(WITNESS_1, AG)];
    w.record_with(DEMIL, body, &[]);
}

#[test]
fn the_authorisation_binds_its_site_and_expiry() {
    let (mut w, _) = world();
    let mut order = authorisation(&["item:r1"], vec![]);
    order.site = Some(site(DEPOT_B));
    let auth = w.record(ADMIN, order);
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &WS,
    );
    check(
        &err,
        ErrorCode::NotAuthorised,
        Some("/site"),
        json!({"what": RANGE, "authorisation": auth.id().to_hex()}),
    );
    // Lapses 30 seconds after it is given; the next event is a minute later.
    let mut order = authorisation(&["item:r1"], vec![]);
    let expires = ts(w.now + STEP + 30);
    order.expires_at = Some(expires.clone());
    let auth = w.record(ADMIN, order);
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &WS,
    );
    check(
        &err,
        ErrorCode::AuthorisationExpired,
        Some("/at"),
        json!({
            "authorisation": auth.id().to_hex(),
            "expires_at": expires.to_string(),
            "at": w.time().to_string(),
        }),
    );
}

#[test]
fn who_authorises_does_not_destroy() {
    let (mut w, _) = world();
    let auth = w.record(MAJOR, authorisation(&["item:r1"], vec![]));
    let separation = json!({"actor": MAJOR, "authorisation": auth.id().to_hex()});
    let err = refused_with(
        &mut w,
        MAJOR,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &WS,
    );
    check(
        &err,
        ErrorCode::AuthoriserIsDestroyer,
        Some("/actor"),
        separation.clone(),
    );
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &[WITNESS_1, WITNESS_2, MAJOR],
    );
    check(
        &err,
        ErrorCode::AuthoriserIsDestroyer,
        Some("/signatures"),
        separation,
    );
    // Someone else of the team carries it out.
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &WS,
    );
}

#[test]
fn only_stock_released_for_destruction_is_destroyed() {
    let mut w = World::new();
    let d = w.record(
        UNIT_A,
        dispatch(A, R, &["item:r1"], vec![lq("lot:l1", 100)]),
    );
    w.record(
        DEMIL,
        receipt(d.id(), &["item:r1"], vec![lq("lot:l1", 100)]),
    );
    let auth = w.record(ADMIN, authorisation(&["item:r1"], vec![lq("lot:l1", 100)]));
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &WS,
    );
    check(
        &err,
        ErrorCode::NotReleasedForDestruction,
        Some("/items/0"),
        json!({"stock": "item:r1", "disposition": "in_service"}),
    );
    w.record(ADMIN, status_change(&["item:r1"], &[], Status::Surplus));
    let err = refused_with(
        &mut w,
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![lq("lot:l1", 100)]),
        &WS,
    );
    check(
        &err,
        ErrorCode::NotReleasedForDestruction,
        Some("/lots/0/lot"),
        json!({"stock": "lot:l1", "disposition": "in_service"}),
    );
    // Surplus is released for destruction.
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &WS,
    );
}

#[test]
fn seized_stock_is_destroyed_after_a_forfeiture_or_destruction_order() {
    let mut w = World::new();
    let on = "2026-01-05";
    let s = w.record(UNIT_A, seizure_body(A, &["item:r1", "item:r2"], &[], on));
    w.record(
        UNIT_A,
        judicial_order_body(s.id(), JudicialDecision::Forfeiture, &["item:r1"], &[], on),
    );
    w.record(
        UNIT_A,
        judicial_order_body(s.id(), JudicialDecision::Destruction, &["item:r2"], &[], on),
    );
    let d = w.record(UNIT_A, dispatch(A, R, &["item:r1", "item:r2"], vec![]));
    w.record(DEMIL, receipt(d.id(), &["item:r1", "item:r2"], vec![]));
    let auth = w.record(ADMIN, authorisation(&["item:r1", "item:r2"], vec![]));
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1", "item:r2"], vec![]),
        &WS,
    );
    assert_eq!(w.balance("item:r1", "sink:destroyed"), 1);
    assert_eq!(w.balance("item:r2", "sink:destroyed"), 1);
}

#[test]
fn the_method_is_a_list_of_steps_from_the_vocabulary() {
    let (mut w, _) = world();
    let mut order = authorisation(&["item:r1"], vec![]);
    order.steps = vec![DestructionMethod::Shredding, DestructionMethod::Melting];
    let auth = w.record(ADMIN, order);
    let mut body = destruction(auth.id(), "shredded, then melted", &["item:r1"], vec![]);
    body.steps = vec![];
    let err = refused_with(&mut w, DEMIL, body, &WS);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/steps"), "{err}");
    let mut body = destruction(auth.id(), "shredded, then cut", &["item:r1"], vec![]);
    body.steps = vec![DestructionMethod::Shredding, DestructionMethod::Cutting];
    let err = refused_with(&mut w, DEMIL, body, &WS);
    check(
        &err,
        ErrorCode::NotAuthorised,
        Some("/steps/1"),
        json!({"what": "cutting", "authorisation": auth.id().to_hex()}),
    );
    // Unknown words are not in the vocabulary: the event does not decode.
    let mut body = destruction(auth.id(), "shredded", &["item:r1"], vec![]);
    body.steps = vec![DestructionMethod::Shredding];
    let event = w.event(DEMIL, body.clone());
    let signed = w.sign(event, &WS);
    let bad = signed
        .to_json()
        .replace("\"steps\":[\"shredding\"]", "\"steps\":[\"burial\"]");
    assert_ne!(bad, signed.to_json());
    let err = custodia::SignedEvent::from_json(bad.as_bytes()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SchemaViolation, "{err}");
    assert_eq!(err.field(), Some("/steps/0"), "{err}");
    // Shredding then melting, as authorised.
    body.steps = vec![DestructionMethod::Shredding, DestructionMethod::Melting];
    w.record_with(DEMIL, body, &WS);
}

#[test]
fn a_version_2_authorisation_names_its_steps_and_expiry() {
    let (mut w, _) = world();
    let mut order = authorisation(&["item:r1"], vec![]);
    order.steps = vec![];
    let err = refused_with(&mut w, ADMIN, order, &[]);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/steps"), "{err}");
    let mut order = authorisation(&["item:r1"], vec![]);
    order.expires_at = None;
    let err = refused_with(&mut w, ADMIN, order, &[]);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/expires_at"), "{err}");
    let mut order = authorisation(&["item:r1"], vec![]);
    order.expires_at = Some(w.time());
    let err = refused_with(&mut w, ADMIN, order, &[]);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/expires_at"), "{err}");
    let mut order = authorisation(&["item:r1"], vec![]);
    order.site = Some(site("range:nowhere"));
    let err = refused_with(&mut w, ADMIN, order, &[]);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/site"),
        json!({"value": "range:nowhere"}),
    );
}

/// A version-1 ledger keeps version 1's rules: in-service stock destroyed, in front of a
/// witness listed twice (the very same entry), who declares another agency and holds no
/// witness role, under an authorisation its own recorder carries out; the method is matched
/// by its free text. And the members version 2 added are refused.
#[test]
fn version_1_events_keep_version_1_rules() {
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    w.register(
        MAJOR,
        ActorKind::Person,
        Some(DEMIL),
        &[Role::Authoriser, Role::Destroyer, Role::Custodian],
    );
    let d = w.record(UNIT_A, dispatch(A, R, &["item:r1"], vec![]));
    w.record(DEMIL, receipt(d.id(), &["item:r1"], vec![]));
    let mut order = authorisation(&["item:r1"], vec![]);
    order.steps = vec![];
    order.expires_at = Some(ts(w.now + 3600));
    let err = refused_with(&mut w, MAJOR, order.clone(), &[]);
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/expires_at"),
        json!({"value": ts(w.now - STEP + 3600).to_string(), "reason": "`expires_at` needs format version 2"}),
    );
    order.expires_at = None;
    let auth = w.record(MAJOR, order);
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    assert_eq!(body.steps, vec![DestructionMethod::Cutting]);
    let err = refused_with(&mut w, MAJOR, body.clone(), &[]);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/steps"), "{err}");
    body.steps = vec![];
    body.method = "burning".into();
    let err = refused_with(&mut w, MAJOR, body.clone(), &[]);
    check(
        &err,
        ErrorCode::NotAuthorised,
        Some("/method"),
        json!({"what": "burning", "authorisation": auth.id().to_hex()}),
    );
    body.method = "cutting".into();
    body.custodian = actor(DEMIL);
    body.witnesses = vec![witness(CLERK_A, POLICE), witness(CLERK_A, POLICE)];
    w.record_with(MAJOR, body, &[CLERK_A]);
    assert_eq!(w.balance("item:r1", "sink:destroyed"), 1);
}

/// Rule plugins see version 2's members of the authorisation a destruction cites; a version-1
/// authorisation's input is what it was.
#[test]
fn rules_see_the_authorisations_steps_site_and_expiry() {
    let (mut w, _) = world();
    let mut order = authorisation(&["item:r1"], vec![]);
    order.site = Some(site(RANGE));
    let auth = w.record(ADMIN, order);
    let d = w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &WS,
    );
    let input = w.ledger.rule_input(&d.id()).unwrap();
    let a = &input["authorisation"];
    assert_eq!(a["id"], auth.id().to_hex());
    assert_eq!(a["steps"], json!(["cutting"]));
    assert_eq!(a["site"], json!(RANGE));
    assert_eq!(a["expires_at"], json!("2026-12-31T23:59:59Z"));
    assert_eq!(input["event"]["steps"], json!(["cutting"]));

    let mut w = World::empty();
    w.version = 1;
    w.populate();
    let d = w.record(UNIT_A, dispatch(A, R, &["item:r1"], vec![]));
    w.record(DEMIL, receipt(d.id(), &["item:r1"], vec![]));
    let mut order = authorisation(&["item:r1"], vec![]);
    (order.steps, order.expires_at) = (vec![], None);
    let auth = w.record(ADMIN, order);
    let mut body = destruction(auth.id(), "cutting", &["item:r1"], vec![]);
    body.steps = vec![];
    let d = w.record_with(DEMIL, body, &WS);
    let a = w.ledger.rule_input(&d.id()).unwrap()["authorisation"].clone();
    let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    // No version-2 member; `actor` (who authorised) is given for every destruction, as the
    // `separation_of_duties` example rule reads it.
    assert_eq!(
        keys,
        ["actor", "at", "id", "items", "lots", "methods", "reference"]
    );
}
