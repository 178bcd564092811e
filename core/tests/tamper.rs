//! Tampering with an export (`Ledger::export_jsonl`, checked by `custodia::verify_jsonl` with
//! nothing but the bytes): changing any scalar of any event, with or without recomputing its
//! id, fails at exactly that event with the code of the first check it breaks; lines must be
//! the canonical bytes; removing, reordering and repeating events fail where the history stops
//! making sense.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::event::event_id_of;
use custodia::{
    Body, Error, ErrorCode, ErrorFamily, Event, Ledger, Options, VerifyReport, verify_jsonl,
};
use serde_json::{Value, json};

/// The reference history as exported: one canonical line per event.
fn exported() -> Vec<String> {
    let events = history();
    let mut ledger = Ledger::in_memory(Options::new().log_key(log_key())).unwrap();
    ledger.append(&events).unwrap();
    let mut out = Vec::new();
    assert_eq!(ledger.export_jsonl(&mut out).unwrap(), events.len() as u64);
    let lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    for (line, e) in lines.iter().zip(&events) {
        assert_eq!(line, e.to_json());
    }
    lines
}

fn verify_lines(lines: &[String]) -> VerifyReport {
    let mut bytes = Vec::new();
    for l in lines {
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
    }
    verify_jsonl(bytes.as_slice(), None)
}

fn canonical(v: &Value) -> String {
    serde_json_canonicalizer::to_string(v).unwrap()
}

/// The failure of a report that must fail at `index`.
#[track_caller]
fn failure_at(report: VerifyReport, index: usize, what: &str) -> Error {
    assert!(!report.ok, "{what}: still verifies");
    let f = report.failure.unwrap();
    assert_eq!(f.index(), Some(index as u64), "{what}: {f}");
    assert_eq!(report.events, index as u64, "{what}: {f}");
    f
}

/// JSON Pointers of every scalar of a value.
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

/// A different value of the same JSON type; hex stays hex and times stay times, so that most
/// changes are semantic rather than syntactic.
fn mutate(v: &Value) -> Value {
    match v {
        Value::String(s) if s.len() >= 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            let flipped = if s.starts_with('0') { "1" } else { "0" };
            Value::String(format!("{flipped}{}", &s[1..]))
        }
        Value::String(s) if s.len() == 20 && s.ends_with('Z') => {
            Value::String(s.replacen("2026", "2027", 1))
        }
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => Value::from(n.as_u64().unwrap() + 1),
        Value::Bool(b) => Value::Bool(!b),
        other => panic!("no scalar to change: {other}"),
    }
}

/// Whether a decoded first event still satisfies the genesis rule.
fn is_genesis(e: &Event) -> bool {
    match &e.body {
        Body::RegisterActor(r) => {
            r.subject.id == e.actor
                && r.subject.roles.contains(&custodia::model::Role::Admin)
                && r.subject.member_of.is_none()
                && e.parents.is_empty()
        }
        _ => false,
    }
}

/// The code the first broken check gives, predicted from the changed event alone.
fn expected_code(index: usize, path: &str, changed: &Value, recomputed: bool) -> ErrorCode {
    let mut content = changed.clone();
    let map = content.as_object_mut().unwrap();
    map.remove("id");
    map.remove("signatures");
    match Event::from_json(canonical(&content).as_bytes()) {
        // The content itself no longer decodes: refused before its id is even compared.
        Err(e) => e.code(),
        Ok(_) if path.starts_with("/signatures/") => ErrorCode::BadSignature,
        Ok(_) if !recomputed => ErrorCode::IdMismatch,
        Ok(e) if index == 0 && !is_genesis(&e) => ErrorCode::Genesis,
        // A new id: the old signatures cover another one.
        Ok(_) => ErrorCode::BadSignature,
    }
}

fn mutations_fail_at_their_event(recompute_id: bool) {
    let lines = exported();
    let mut checked = 0;
    let mut codes = std::collections::BTreeMap::<ErrorCode, usize>::new();
    for i in 0..lines.len() {
        let original: Value = serde_json::from_str(&lines[i]).unwrap();
        let mut paths = Vec::new();
        leaves(&original, String::new(), &mut paths);
        for path in paths {
            if recompute_id && (path == "/id" || path.starts_with("/signatures")) {
                continue;
            }
            let mut changed = original.clone();
            let target = changed.pointer_mut(&path).unwrap();
            *target = mutate(target);
            if recompute_id {
                let id = event_id_of(&changed).unwrap();
                changed["id"] = Value::String(id.to_hex());
            }
            let mut prefix = lines[..i].to_vec();
            prefix.push(canonical(&changed));
            let what = format!("event {i} `{path}` (id recomputed: {recompute_id})");
            let f = failure_at(verify_lines(&prefix), i, &what);
            let expected = expected_code(i, &path, &changed, recompute_id);
            assert_eq!(f.code(), expected, "{what}: {f}");
            assert_eq!(
                f.event(),
                Some(event_id_of(&changed).unwrap()),
                "{what}: {f}"
            );
            // The family says which layer refused it.
            let family = match expected {
                ErrorCode::BadSignature => ErrorFamily::Signature,
                ErrorCode::Genesis => ErrorFamily::Validation,
                _ => ErrorFamily::Input,
            };
            assert_eq!(f.family(), family, "{what}: {f}");
            if expected == ErrorCode::IdMismatch {
                assert_eq!(f.field(), Some("/id"), "{what}");
                assert_eq!(
                    f.values()["claimed"],
                    changed["id"],
                    "{what}: the claimed id is named"
                );
            }
            *codes.entry(expected).or_default() += 1;
            checked += 1;
        }
    }
    assert!(checked > 400, "only {checked} changes checked");
    // Every layer was reached.
    for code in [ErrorCode::SchemaViolation, ErrorCode::BadSignature] {
        assert!(codes.get(&code).is_some_and(|n| *n > 10), "{codes:?}");
    }
    if recompute_id {
        assert!(codes.contains_key(&ErrorCode::Genesis), "{codes:?}");
    } else {
        assert!(
            codes.get(&ErrorCode::IdMismatch).is_some_and(|n| *n > 300),
            "{codes:?}"
        );
    }
}

#[test]
fn the_untouched_export_verifies() {
    let lines = exported();
    let report = verify_lines(&lines);
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, lines.len() as u64);
    let mut ledger = Ledger::in_memory(Options::new().log_key(log_key())).unwrap();
    ledger
        .append_json_lines(lines.join("\n").as_bytes())
        .unwrap();
    assert_eq!(ledger.verify().unwrap().state_digest, report.state_digest);
}

#[test]
fn changing_any_scalar_under_its_old_id_fails_at_that_event() {
    mutations_fail_at_their_event(false);
}

#[test]
fn changing_any_scalar_and_recomputing_the_id_fails_at_that_event() {
    mutations_fail_at_their_event(true);
}

#[test]
fn lines_must_be_the_canonical_bytes() {
    let lines = exported();
    let i = 20;
    let id = event_id_of(&serde_json::from_str(&lines[i]).unwrap()).unwrap();
    let check = |line: String, code: ErrorCode, what: &str| {
        let mut prefix = lines[..i].to_vec();
        prefix.push(line);
        let f = failure_at(verify_lines(&prefix), i, what);
        assert_eq!(f.code(), code, "{what}: {f}");
        assert_eq!(f.event(), Some(id), "{what}: {f}");
        f
    };
    // Members in another order: the same event, not its bytes.
    let v: Value = serde_json::from_str(&lines[i]).unwrap();
    let rest = canonical(&v);
    let version = format!("\"v\":{}", v["v"]);
    let without_v =
        rest.replacen(&format!("{version},"), "", 1)
            .replacen(&format!(",{version}"), "", 1);
    assert_ne!(without_v, rest);
    let reordered = format!("{{{version},{}", &without_v[1..]);
    assert_eq!(serde_json::from_str::<Value>(&reordered).unwrap(), v);
    check(reordered, ErrorCode::NotCanonicalBytes, "reordered");
    check(
        lines[i].replacen('{', "{ ", 1),
        ErrorCode::NotCanonicalBytes,
        "spaced",
    );
    check(
        lines[i].replacen(':', " : ", 1),
        ErrorCode::NotCanonicalBytes,
        "spaced colon",
    );
    check(
        format!("{} ", lines[i]),
        ErrorCode::NotCanonicalBytes,
        "trailing space",
    );
    let escaped = lines[i].replacen("\"kind\"", "\"\\u006bind\"", 1);
    check(escaped, ErrorCode::NotCanonicalBytes, "escaped member name");
    // The same member twice: refused whatever a reader would keep.
    let dup = lines[i].replacen("{\"", "{\"v\":1,\"", 1);
    let f = check(dup, ErrorCode::DuplicateMember, "duplicate member");
    assert_eq!(f.field(), Some(""));
    assert_eq!(Value::Object(f.values()), json!({"member": "v"}));
    // Nested, in an object of the body.
    let actor_line = &lines[3];
    let mut prefix = lines[..3].to_vec();
    prefix.push(actor_line.replacen(
        "\"kind\":\"unit\"",
        "\"kind\":\"unit\",\"kind\":\"agency\"",
        1,
    ));
    let f = failure_at(verify_lines(&prefix), 3, "nested duplicate");
    assert_eq!(f.code(), ErrorCode::DuplicateMember);
    assert_eq!(f.field(), Some("/subject"));
    // The exporter's bytes are accepted as they are.
    assert!(verify_lines(&lines[..=i]).ok);
}

#[test]
fn an_id_that_does_not_match_its_content_is_named() {
    let mut lines = exported();
    let mut v: Value = serde_json::from_str(&lines[5]).unwrap();
    let computed = v["id"].clone();
    v["id"] = Value::String("ab".repeat(32));
    lines[5] = canonical(&v);
    let f = failure_at(verify_lines(&lines), 5, "forged id");
    assert_eq!(f.code(), ErrorCode::IdMismatch);
    assert_eq!(
        Value::Object(f.values()),
        json!({"claimed": "ab".repeat(32), "computed": computed})
    );
    assert_eq!(f.event().unwrap().to_hex(), computed.as_str().unwrap());
}

#[test]
fn removing_reordering_or_repeating_events_fails() {
    let lines = exported();
    let values: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let parent_of_later = |i: usize| {
        let id = &values[i]["id"];
        values[i + 1..]
            .iter()
            .any(|e| e["parents"].as_array().unwrap().contains(id))
    };
    let mut removals = 0;
    let mut swaps = 0;
    for i in 1..lines.len() {
        // An event later events build on cannot be removed unnoticed. (An event nothing builds
        // on leaves a consistent history behind; the signed Merkle heads over the ids in append
        // order catch that, see the storage tests.)
        if parent_of_later(i) {
            removals += 1;
            let mut removed = lines.clone();
            removed.remove(i);
            let report = verify_lines(&removed);
            let f = report
                .failure
                .unwrap_or_else(|| panic!("removing event {i} still verifies"));
            assert!(f.index().unwrap() >= i as u64, "removing event {i}: {f}");
            assert!(
                matches!(
                    f.code(),
                    ErrorCode::MissingParent
                        | ErrorCode::UnexpectedParent
                        | ErrorCode::UnknownReference
                        | ErrorCode::UnknownKey
                        | ErrorCode::NotCorrectable
                        | ErrorCode::InsufficientStock
                        | ErrorCode::NotDispatched
                        // A judicial order whose seizure is gone; stock still held once
                        // its judicial order is gone.
                        | ErrorCode::NotUnderHold
                        | ErrorCode::UnderEvidenceHold
                ),
                "removing event {i}: {f}"
            );
        }
        // An event moved before its parent fails where it now stands.
        let child_of_previous = values[i]["parents"]
            .as_array()
            .unwrap()
            .contains(&values[i - 1]["id"]);
        let mut swapped = lines.clone();
        swapped.swap(i - 1, i);
        let report = verify_lines(&swapped);
        if child_of_previous {
            swaps += 1;
            let f = failure_at(report, i - 1, &format!("event {i} moved before its parent"));
            assert_eq!(
                f.event().unwrap().to_hex(),
                values[i]["id"].as_str().unwrap()
            );
        } else if let Some(f) = report.failure {
            assert!(f.index().unwrap() >= i as u64 - 1, "{f}");
        }
        // Appended twice: the second copy is named. An export is checked with memory bounded
        // by the state, so the copy is caught by what it says (its parents are no longer the
        // latest, what it registers exists), not by a set of the ids seen.
        let mut repeated = lines.clone();
        repeated.insert(i, lines[i - 1].clone());
        let f = failure_at(
            verify_lines(&repeated),
            i,
            &format!("event {} twice", i - 1),
        );
        assert_eq!(
            f.event().unwrap().to_hex(),
            values[i - 1]["id"].as_str().unwrap()
        );
        assert!(
            // A repeated destruction finds its authorisation spent (4002).
            matches!(
                f.family(),
                ErrorFamily::Validation | ErrorFamily::Custody | ErrorFamily::Authorisation
            ),
            "event {} twice: {f}",
            i - 1
        );
    }
    assert!(
        removals > lines.len() / 2,
        "only {removals} removable parents"
    );
    assert!(
        swaps >= 10,
        "only {swaps} events directly follow their parent"
    );
}

#[test]
fn parallel_verification_names_the_same_first_failure_as_line_by_line() {
    let events = custodia::testkit::events(7, 600).unwrap();
    let mut lines: Vec<String> = events.iter().map(|e| e.to_json().to_owned()).collect();
    let report = verify_lines(&lines);
    assert!(report.ok, "{:?}", report.failure);
    let mut ledger = Ledger::in_memory(Options::new().log_key(log_key())).unwrap();
    for chunk in events.chunks(97) {
        ledger.append(chunk).unwrap();
    }
    assert_eq!(ledger.verify().unwrap().state_digest, report.state_digest);
    // A bad signature deep in a chunk checked on all cores, and a malformed line after it:
    // the first is named.
    let mut v: Value = serde_json::from_str(&lines[450]).unwrap();
    v["signatures"][0]["sig"] = Value::String("00".repeat(64));
    lines[450] = canonical(&v);
    lines[520] = "not an event".into();
    let f = failure_at(verify_lines(&lines), 450, "bad signature");
    assert_eq!(f.code(), ErrorCode::BadSignature);
    assert_eq!(f.field(), Some("/signatures/0"));
    assert_eq!(f.event(), Some(events[450].id()));
    // With the signature restored, the malformed line is named.
    lines[450] = events[450].to_json().to_owned();
    let f = failure_at(verify_lines(&lines), 520, "malformed line");
    assert_eq!(f.code(), ErrorCode::JsonMalformed);
}
