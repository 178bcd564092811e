//! Tracing requests and their answers (`trace_request`, `trace_response`, format version 2,
//! International Tracing Instrument §V). Each refusal is checked for its code, its field and
//! its values, and the ledger must be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::event::{TraceRequest, TraceResponse};
use custodia::model::{Date, Marking, TraceChannel, TraceOutcome, TraceRefusal};
use custodia::{Body, Error, ErrorCode, Event, EventId};
use serde_json::json;

#[track_caller]
fn refused_event(w: &mut World, event: Event) -> Error {
    let before = w.snapshot();
    let open = w.ledger.open_trace_requests().unwrap();
    let err = w
        .record_event(event, &[])
        .expect_err("the event must be refused");
    assert_eq!(w.snapshot(), before, "a refused event changed the ledger");
    assert_eq!(w.ledger.open_trace_requests().unwrap(), open);
    w.ledger.check_invariants().unwrap();
    err
}

#[track_caller]
fn refused(w: &mut World, body: impl Into<Body>) -> Error {
    let event = w.event(ADMIN, body);
    refused_event(w, event)
}

const ON: &str = "2026-01-05";

fn day(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn request(state: &str, reference: &str, serial: &str) -> TraceRequest {
    TraceRequest {
        requesting_state: state.into(),
        channel: TraceChannel::Direct,
        reference: reference.into(),
        received_on: day(ON),
        deadline: day("2026-02-04"),
        weapons: vec![Marking {
            manufacturer: Some("ACME".into()),
            serial: Some(serial.into()),
            ..Marking::default()
        }],
        context: None,
        note: None,
    }
}

fn response(request: EventId, outcome: TraceOutcome, items: &[&str]) -> TraceResponse {
    TraceResponse {
        request,
        answered_on: day(ON),
        outcome,
        items: items.iter().map(|i| item(i)).collect(),
        refusal: (outcome == TraceOutcome::Refused).then_some(TraceRefusal::NationalSecurity),
        information: "registered 1999, in service at depot A".into(),
        reference: None,
    }
}

#[test]
fn a_request_is_open_until_answered_once_and_the_answer_names_it_as_parent() {
    let mut w = World::new();
    let r = w.record(ADMIN, request("CO", "CO-2026-1", "ITEM:R1"));
    let open = w.ledger.open_trace_requests().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].request, r.id());
    assert_eq!(open[0].requesting_state, "CO");
    assert_eq!(open[0].reference, "CO-2026-1");
    assert_eq!(open[0].deadline.as_str(), "2026-02-04");
    assert_eq!(open[0].weapons[0].serial.as_deref(), Some("ITEM:R1"));
    // The lookup the answer is built from.
    let found = w
        .ledger
        .find_items(&custodia::MarkingQuery {
            serial: "item:r1".into(),
            manufacturer: Some("acme".into()),
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    let answer = w.event(
        ADMIN,
        response(r.id(), TraceOutcome::Identified, &["item:r1"]),
    );
    let answer = w.ledger.prepare(answer).unwrap();
    assert!(answer.parents.contains(&r.id()));
    w.record(
        ADMIN,
        response(r.id(), TraceOutcome::Identified, &["item:r1"]),
    );
    assert!(w.ledger.open_trace_requests().unwrap().is_empty());
    // Not found, and refused with its ground, are answers too.
    let r2 = w.record(ADMIN, request("MX", "MX-7", "NOPE-1"));
    let r3 = w.record(ADMIN, request("GT", "GT-9", "NOPE-2"));
    assert_eq!(w.ledger.open_trace_requests().unwrap().len(), 2);
    w.record(ADMIN, response(r2.id(), TraceOutcome::NotFound, &[]));
    w.record(ADMIN, response(r3.id(), TraceOutcome::Refused, &[]));
    assert!(w.ledger.open_trace_requests().unwrap().is_empty());
    // The same reference may come again once the first request is answered.
    w.record(ADMIN, request("CO", "CO-2026-1", "ITEM:R2"));
    let v = w.ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
}

#[test]
fn a_request_is_answered_once() {
    let mut w = World::new();
    let r = w.record(ADMIN, request("CO", "CO-2026-1", "ITEM:R1"));
    let first = w.record(ADMIN, response(r.id(), TraceOutcome::NotFound, &[]));
    let err = refused(
        &mut w,
        response(r.id(), TraceOutcome::Identified, &["item:r1"]),
    );
    check(
        &err,
        ErrorCode::TraceAnswered,
        Some("/request"),
        json!({"request": r.id().to_string(), "response": first.id().to_string()}),
    );
}

#[test]
fn a_response_without_its_request_is_refused() {
    let mut w = World::new();
    let missing = EventId::from_bytes([7; 32]);
    let err = refused(&mut w, response(missing, TraceOutcome::NotFound, &[]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/request"),
        json!({"value": missing.to_string()}),
    );
    // An event that is not a tracing request is not one either.
    let other = w.journal.last().unwrap().id();
    let err = refused(&mut w, response(other, TraceOutcome::NotFound, &[]));
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/request"),
        json!({"value": other.to_string()}),
    );
    // Nor is a request left out of the parents.
    let r = w.record(ADMIN, request("CO", "CO-1", "ITEM:R1"));
    let mut event = w.event(ADMIN, response(r.id(), TraceOutcome::NotFound, &[]));
    event = w.ledger.prepare(event).unwrap();
    event.parents.retain(|p| *p != r.id());
    let signed = event.sign(&w.signers(ADMIN, &[])).unwrap();
    let before = w.snapshot();
    let err = w.ledger.append(&[signed]).expect_err("no parent");
    assert_eq!(w.snapshot(), before);
    assert_eq!(err.code(), ErrorCode::MissingParent, "{err}");
}

#[test]
fn a_request_is_checked() {
    let mut w = World::new();
    let err = refused(&mut w, request("XX", "R-1", "S-1"));
    check(
        &err,
        ErrorCode::UnknownCountry,
        Some("/requesting_state"),
        json!({"value": "XX"}),
    );
    let mut body = request("CO", "R-1", "S-1");
    body.received_on = day("2026-01-06");
    let err = refused(&mut w, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/received_on"));
    assert_eq!(err.values()["value"], json!("2026-01-06"));
    let mut body = request("CO", "R-1", "S-1");
    body.deadline = day("2026-01-04");
    let err = refused(&mut w, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/deadline"));
    assert_eq!(err.values()["value"], json!("2026-01-04"));
    let mut body = request("CO", "R-1", "S-1");
    body.received_on = Date::parse("2026-01").unwrap();
    let err = refused(&mut w, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/received_on"));
    let mut body = request("CO", "R-1", "S-1");
    body.weapons.clear();
    let err = refused(&mut w, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/weapons"));
    assert_eq!(err.values()["value"], json!("0"));
    let mut body = request("CO", "R-1", "S-1");
    body.weapons.push(Marking::default());
    let err = refused(&mut w, body);
    check(
        &err,
        ErrorCode::TraceMarkingEmpty,
        Some("/weapons/1"),
        json!({"weapon": 1}),
    );
    let mut body = request("CO", "R-1", "S-1");
    body.weapons[0].country_of_manufacture = Some("QQ".into());
    let err = refused(&mut w, body);
    check(
        &err,
        ErrorCode::UnknownCountry,
        Some("/weapons/0/country_of_manufacture"),
        json!({"value": "QQ"}),
    );
    // The same requester's reference twice while the first is open.
    let r = w.record(ADMIN, request("CO", "R-1", "S-1"));
    let err = refused(&mut w, request("CO", "R-1", "S-2"));
    check(
        &err,
        ErrorCode::AlreadyExists,
        Some("/reference"),
        json!({"value": format!("CO/R-1 (open request {})", r.id())}),
    );
    // Another state may use the same reference.
    w.record(ADMIN, request("MX", "R-1", "S-1"));
    // Only in version 2.
    let mut event = w.event(ADMIN, request("PE", "R-2", "S-1"));
    event.v = 1;
    let err = refused_event(&mut w, event);
    assert_eq!(err.field(), Some("/v"), "{err}");
}

#[test]
fn a_response_is_checked() {
    let mut w = World::new();
    let r = w.record(ADMIN, request("CO", "CO-1", "ITEM:R1"));
    let id = r.id();
    // Identified names items, and only items on the books, once each.
    let err = refused(&mut w, response(id, TraceOutcome::Identified, &[]));
    check(
        &err,
        ErrorCode::RecordMissing,
        Some("/items"),
        json!({"record": "`items`", "why": "an `identified` answer names the items identified"}),
    );
    let err = refused(&mut w, response(id, TraceOutcome::NotFound, &["item:r1"]));
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/items"));
    assert_eq!(err.values()["value"], json!("1"));
    let err = refused(
        &mut w,
        response(id, TraceOutcome::Identified, &["item:nope"]),
    );
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/items/0"),
        json!({"value": "item:nope"}),
    );
    let err = refused(
        &mut w,
        response(id, TraceOutcome::Identified, &["item:r1", "item:r1"]),
    );
    check(
        &err,
        ErrorCode::Repeated,
        Some("/items/1"),
        json!({"value": "item:r1"}),
    );
    // A refusal gives its ground; "not found" withholds nothing.
    let mut body = response(id, TraceOutcome::Refused, &[]);
    body.refusal = None;
    let err = refused(&mut w, body);
    check(
        &err,
        ErrorCode::RecordMissing,
        Some("/refusal"),
        json!({"record": "`refusal`", "why": "a refused answer gives its ground"}),
    );
    let mut body = response(id, TraceOutcome::NotFound, &[]);
    body.refusal = Some(TraceRefusal::OutsideScope);
    let err = refused(&mut w, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/refusal"));
    assert_eq!(err.values()["value"], json!("outside_scope"));
    // Dates: not after the event, not before the request was received.
    let mut body = response(id, TraceOutcome::NotFound, &[]);
    body.answered_on = day("2026-01-06");
    let err = refused(&mut w, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/answered_on"));
    assert_eq!(err.values()["value"], json!("2026-01-06"));
    let mut body = response(id, TraceOutcome::NotFound, &[]);
    body.answered_on = day("2026-01-04");
    let err = refused(&mut w, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/answered_on"));
    assert_eq!(err.values()["value"], json!("2026-01-04"));
    // The information given is said.
    let mut body = response(id, TraceOutcome::NotFound, &[]);
    body.information = "  ".into();
    let err = refused(&mut w, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/information"));
    // An identified answer may be restricted, with its ground (ITI §23).
    let mut body = response(id, TraceOutcome::Identified, &["item:r1"]);
    body.refusal = Some(TraceRefusal::CriminalInvestigation);
    w.record(ADMIN, body);
    // Neither kind can be reversed by a correction.
    let err = refused(&mut w, correction(id));
    assert_eq!(err.code(), ErrorCode::NotCorrectable, "{err}");
    assert!(w.ledger.verify().unwrap().ok);
}

#[test]
fn a_file_keeps_its_open_requests_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let writable = || custodia::Options::new().log_key(log_key());
    let mut w = World::with_ledger(custodia::Ledger::create(&path, writable()).unwrap());
    w.populate();
    let a = w.record(ADMIN, request("CO", "CO-1", "ITEM:R1"));
    let b = w.record(ADMIN, request("MX", "MX-1", "ITEM:R2"));
    w.record(ADMIN, response(a.id(), TraceOutcome::NotFound, &[]));
    drop(w);
    let reader = custodia::Ledger::open(&path, custodia::Options::new()).unwrap();
    let open = reader.open_trace_requests().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].request, b.id());
    assert_eq!(open[0].channel, TraceChannel::Direct);
    assert!(reader.verify().unwrap().ok);
}
