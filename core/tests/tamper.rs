//! Tamper property: changing any single field of any event of a valid history — with or
//! without recomputing its id — makes verification fail at exactly that event. So do removing,
//! reordering and duplicating events.
#![allow(
    clippy::result_large_err,
    clippy::type_complexity,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use custodia::event::{DecodeError, event_id_of};
use custodia::ledger::LedgerError;
use custodia::verify::{VerifyError, VerifyReport, verify_jsonl};
use serde_json::Value;

fn export(events: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(serde_json::to_string(e).unwrap().as_bytes());
        out.push(b'\n');
    }
    out
}

fn verify(events: &[Value]) -> VerifyReport {
    verify_jsonl(export(events).as_slice(), None)
}

/// JSON Pointers of every scalar leaf of a value.
fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| leaves(x, format!("{path}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| leaves(x, format!("{path}/{i}"), out)),
        _ => out.push(path),
    }
}

fn mutate(v: &Value) -> Value {
    match v {
        Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            // Keep hex ids well-formed, so the change is semantic, not syntactic.
            let mut b = s.clone().into_bytes();
            b[0] = if b[0] == b'0' { b'1' } else { b'0' };
            Value::String(String::from_utf8(b).unwrap())
        }
        Value::String(s) if s.len() == 20 && s.ends_with('Z') => {
            Value::String(s.replacen("2026", "2027", 1))
        }
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => Value::from(n.as_u64().unwrap_or(0) + 1),
        Value::Bool(b) => Value::Bool(!b),
        Value::Null => Value::Bool(true),
        other => other.clone(),
    }
}

fn history_values() -> Vec<Value> {
    common::history()
        .iter()
        .map(|e| e.to_value().unwrap())
        .collect()
}

#[test]
fn the_untouched_history_verifies() {
    let events = history_values();
    let report = verify(&events);
    assert!(report.is_valid(), "{:?}", report.failure);
    assert_eq!(report.events as usize, events.len());
}

#[test]
fn changing_any_field_of_any_event_fails_at_that_event() {
    let events = history_values();
    let mut checked = 0;
    for i in 0..events.len() {
        let mut paths = Vec::new();
        leaves(&events[i], String::new(), &mut paths);
        for path in paths {
            for recompute_id in [false, true] {
                if recompute_id && (path == "/id" || path.starts_with("/signatures")) {
                    continue;
                }
                let mut prefix = events[..=i].to_vec();
                let target = prefix[i].pointer_mut(&path).unwrap();
                *target = mutate(target);
                if recompute_id {
                    let id = event_id_of(&prefix[i]).unwrap();
                    prefix[i]["id"] = Value::String(id.to_hex());
                }
                let report = verify(&prefix);
                let failure = report.failure.unwrap_or_else(|| {
                    panic!(
                        "event {i}: changing `{path}` (recompute id: {recompute_id}) still verifies"
                    )
                });
                assert_eq!(
                    failure.index as usize, i,
                    "event {i} `{path}`: failure named index {}",
                    failure.index
                );
                if !recompute_id && path != "/id" && !path.starts_with("/signatures") {
                    // Content changed under its old id: refused before anything is interpreted,
                    // as a schema violation, a bad value, or an id that does not match.
                    assert!(
                        matches!(failure.reason, VerifyError::Event(LedgerError::Decode(_))),
                        "event {i} `{path}`: {}",
                        failure.reason
                    );
                }
                if recompute_id {
                    // Re-hashed content: the ledger refuses it (the old signatures do not cover
                    // the new id, or the content itself breaks a rule).
                    assert!(
                        matches!(failure.reason, VerifyError::Event(_)),
                        "event {i} `{path}`: {}",
                        failure.reason
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} mutations checked");
}

#[test]
fn removing_reordering_or_repeating_events_fails() {
    let events = history_values();
    // An event that later events build on cannot be removed unnoticed. An event nothing builds
    // on (a leaf of the DAG) leaves a consistent history behind; the signed Merkle tree head
    // over the ids in append order is what catches its removal (see the storage tests).
    let is_parent = |i: usize| {
        let id = &events[i]["id"];
        events[i + 1..]
            .iter()
            .any(|e| e["parents"].as_array().unwrap().contains(id))
    };
    let mut removals = 0;
    let mut swaps = 0;
    for i in 1..events.len() {
        let mut removed = events.clone();
        removed.remove(i);
        if is_parent(i) {
            removals += 1;
            let report = verify(&removed);
            assert!(!report.is_valid(), "removing event {i} still verifies");
            assert!(report.failure.unwrap().index as usize >= i);
        }
        let mut swapped = events.clone();
        swapped.swap(i - 1, i);
        let report = verify(&swapped);
        // An event moved before one of its parents fails where it now stands. Two independent
        // events may commute; the Merkle log over the ids (see the storage tests) catches that.
        let child_of_previous = events[i]["parents"]
            .as_array()
            .unwrap()
            .contains(&events[i - 1]["id"]);
        if child_of_previous {
            swaps += 1;
            let f = report
                .failure
                .unwrap_or_else(|| panic!("moving event {i} before its parent still verifies"));
            assert_eq!(f.index as usize, i - 1, "event {i} moved before its parent");
        } else if let Some(f) = report.failure {
            assert!(f.index as usize >= i - 1);
        }
        let mut repeated = events.clone();
        repeated.insert(i, events[i - 1].clone());
        let f = verify(&repeated)
            .failure
            .expect("a repeated event must fail");
        assert_eq!(f.index as usize, i);
    }
    assert!(
        removals > events.len() / 2,
        "only {removals} removable parents"
    );
    assert!(
        swaps >= 5,
        "only {swaps} events directly follow their parent"
    );
}

#[test]
fn an_id_that_does_not_match_its_content_is_named() {
    let mut events = history_values();
    events[3]["id"] = Value::String("ab".repeat(32));
    let f = verify(&events).failure.unwrap();
    assert_eq!(f.index, 3);
    match f.reason {
        VerifyError::Event(LedgerError::Decode(DecodeError::IdMismatch { claimed, computed })) => {
            assert_eq!(claimed.to_hex(), "ab".repeat(32));
            assert_eq!(Some(computed), f.event);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn parallel_verification_names_the_same_first_failure_as_line_by_line() {
    let events = custodia::synth::events(7, 600).unwrap();
    let mut lines: Vec<Value> = events.iter().map(|e| e.to_value().unwrap()).collect();
    // Valid: the chunked, all-cores verification agrees with a line-by-line one.
    let report = verify(&lines);
    assert!(report.is_valid(), "{:?}", report.failure);
    let mut one_by_one = custodia::verify::Verifier::new();
    for e in &events {
        assert!(one_by_one.push_json(e.to_json().unwrap().as_bytes()));
    }
    assert_eq!(one_by_one.finish().state_digest, report.state_digest);
    // A bad signature deep in a chunk verified on all cores, and a malformed line after it: the first is named.
    lines[450]["signatures"][0]["sig"] = Value::String("00".repeat(64));
    lines[520] = Value::String("not an event".into());
    let f = verify(&lines).failure.unwrap();
    assert_eq!(f.index, 450);
    assert_eq!(f.event, Some(events[450].id));
    assert!(
        matches!(
            f.reason,
            VerifyError::Event(LedgerError::BadSignature { .. })
        ),
        "{}",
        f.reason
    );
}
