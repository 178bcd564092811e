//! No public function takes in an event whose id differs from its content.
//!
//! For every event of the committed valid history (`docs/vectors/events.json`, every kind), a
//! content member is changed and the `id` kept: the line is refused with `IdMismatch` (1008) by
//! every way bytes become events (`SignedEvent::from_json`, `from_canonical_json`,
//! `Ledger::append_json_lines`, `verify_jsonl`), and nothing is written. With the id recomputed
//! and the old signatures kept, the line decodes but is refused with `BadSignature` (5002) by
//! `Ledger::append` and `verify_jsonl`. The unsigned paths refuse a line that claims an id.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use custodia::{ErrorCode, Event, Ledger, Options, SignedEvent, Signer, verify_jsonl};
use serde_json::{Value, json};
use support::{content_id, jcs};

fn history() -> Vec<String> {
    support::read_json(&support::vectors("events.json"))["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["jsonl"].as_str().unwrap().to_owned())
        .collect()
}

fn ledger_with(lines: &[String]) -> Ledger {
    let mut ledger = Ledger::in_memory(Options::new()).unwrap();
    if !lines.is_empty() {
        ledger
            .append_json_lines(lines.join("\n").as_bytes())
            .unwrap();
    }
    ledger
}

/// `at` one second later: valid for the schema and the types, so only the id can object.
fn later(event: &mut Value) -> &'static str {
    let at = event["at"].as_str().unwrap();
    assert!(at.ends_with(":00Z"), "{at}");
    event["at"] = json!(format!("{}01Z", &at[..at.len() - 3]));
    "/at"
}

/// The first quantity-like number inside the body, plus one (`None` when the body has none).
fn more(event: &mut Value) -> Option<String> {
    fn walk(v: &mut Value, at: String) -> Option<String> {
        match v {
            Value::Number(n) => {
                let n = n.as_u64()?;
                *v = json!(n + 1);
                Some(at)
            }
            Value::Array(a) => a
                .iter_mut()
                .enumerate()
                .find_map(|(i, x)| walk(x, format!("{at}/{i}"))),
            Value::Object(m) => m
                .iter_mut()
                .filter(|(k, _)| !matches!(k.as_str(), "v" | "id" | "signatures" | "year"))
                .find_map(|(k, x)| walk(x, format!("{at}/{k}"))),
            _ => None,
        }
    }
    walk(event, String::new())
}

/// Every tampered variant of every event: (position, what changed, line with the old id).
fn tampered() -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (n, line) in history().iter().enumerate() {
        let original: Value = serde_json::from_str(line).unwrap();
        let mut v = original.clone();
        let what = later(&mut v);
        out.push((n, what.to_owned(), jcs(&v)));
        let mut v = original.clone();
        if let Some(what) = more(&mut v) {
            out.push((n, what, jcs(&v)));
        }
    }
    out
}

#[test]
fn a_changed_member_with_the_old_id_is_refused_everywhere() {
    let lines = history();
    let cases = tampered();
    // Every event once at least, and the quantities of every kind that has one.
    assert_eq!(cases.iter().filter(|c| c.1 == "/at").count(), 26);
    assert!(
        cases.iter().filter(|c| c.1 != "/at").count() >= 10,
        "{cases:?}"
    );
    for (n, what, line) in &cases {
        let here = format!("event {n}, {what} changed");
        let v: Value = serde_json::from_str(line).unwrap();
        let claimed = v["id"].as_str().unwrap();
        let computed = content_id(&v);
        assert_ne!(
            claimed, computed,
            "{here}: the change must change the content"
        );
        let check = |e: &custodia::Error| {
            assert_eq!(e.code(), ErrorCode::IdMismatch, "{here}: {e}");
            assert_eq!(e.field(), Some("/id"), "{here}");
            assert_eq!(
                e.values()["claimed"].as_str(),
                Some(claimed),
                "{here}: {e:?}"
            );
            assert_eq!(
                e.values()["computed"].as_str(),
                Some(computed.as_str()),
                "{here}"
            );
        };
        // The decoders.
        check(&SignedEvent::from_json(line.as_bytes()).unwrap_err());
        check(&SignedEvent::from_canonical_json(line.as_bytes()).unwrap_err());
        // Appending, after the events before it, alone and inside a batch.
        let mut ledger = ledger_with(&lines[..*n]);
        let before = ledger.tree_head().unwrap();
        let e = ledger.append_json_lines(line.as_bytes()).unwrap_err();
        check(&e);
        assert_eq!(e.index(), Some(0), "{here}");
        let mut batch: Vec<String> = Vec::new();
        if *n > 0 {
            batch.push(lines[n - 1].clone());
        }
        batch.push(line.clone());
        let mut ledger = if *n > 0 {
            ledger_with(&lines[..n - 1])
        } else {
            ledger
        };
        let e = ledger
            .append_json_lines(batch.join("\n").as_bytes())
            .unwrap_err();
        check(&e);
        assert_eq!(e.index(), Some(batch.len() as u64 - 1), "{here}");
        assert_eq!(
            ledger.len().unwrap(),
            n.saturating_sub(1) as u64,
            "{here}: a refused batch wrote something"
        );
        if *n == 0 {
            assert_eq!(ledger.tree_head().unwrap(), before);
        }
        // Verifying an export that holds it.
        let mut export = lines[..*n].to_vec();
        export.push(line.clone());
        export.extend(lines[n + 1..].iter().cloned());
        let report = verify_jsonl(export.join("\n").as_bytes(), None);
        assert!(!report.ok, "{here}");
        assert_eq!(report.events, *n as u64, "{here}");
        let e = report.failure.unwrap();
        check(&e);
        assert_eq!(e.index(), Some(*n as u64), "{here}");
    }
}

#[test]
fn a_recomputed_id_with_the_old_signatures_is_refused_for_its_signature() {
    let lines = history();
    for (n, what, line) in tampered() {
        let here = format!("event {n}, {what} changed");
        let mut v: Value = serde_json::from_str(&line).unwrap();
        v["id"] = json!(content_id(&v));
        let line = jcs(&v);
        // Consistent bytes: it decodes, with the new id and the old signatures.
        let event = SignedEvent::from_canonical_json(line.as_bytes()).unwrap();
        assert_eq!(event.id().to_hex(), v["id"].as_str().unwrap());
        let sig = event.signatures()[0];
        assert!(!sig.verify(&event.id()), "{here}");
        let mut ledger = ledger_with(&lines[..n]);
        let e = ledger.append(std::slice::from_ref(&event)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadSignature, "{here}: {e}");
        assert_eq!(e.field(), Some("/signatures/0"), "{here}");
        assert_eq!(e.event(), Some(event.id()), "{here}");
        assert_eq!(
            e.values()["key"].as_str(),
            Some(sig.key.to_hex().as_str()),
            "{here}"
        );
        assert_eq!(ledger.len().unwrap(), n as u64, "{here}");
        let e = ledger.append_json_lines(line.as_bytes()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadSignature, "{here}: {e}");
        let mut export = lines[..n].to_vec();
        export.push(line);
        let report = verify_jsonl(export.join("\n").as_bytes(), None);
        let e = report.failure.unwrap();
        assert_eq!(
            (e.code(), e.index()),
            (ErrorCode::BadSignature, Some(n as u64)),
            "{here}"
        );
    }
}

/// The paths that take unsigned events (and sign them) refuse a line that already claims an
/// id or signatures, so a caller's id can never be carried into the ledger that way either.
#[test]
fn unsigned_paths_refuse_a_claimed_id() {
    let lines = history();
    let signed = &lines[0];
    let e = Event::from_json(signed.as_bytes()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadySigned);
    let ledger = Ledger::in_memory(Options::new()).unwrap();
    let key = Signer::from_seed([1; 32]);
    let e = ledger
        .sign_json_lines(signed.as_bytes(), &[&key])
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadySigned);
    assert_eq!(e.index(), Some(0));
    // Without them, the same content is signed afresh: its id is the hash of its content.
    let mut v: Value = serde_json::from_str(signed).unwrap();
    let claimed = v["id"].as_str().unwrap().to_owned();
    v.as_object_mut().unwrap().remove("id");
    v.as_object_mut().unwrap().remove("signatures");
    let events = ledger.sign_json_lines(jcs(&v).as_bytes(), &[&key]).unwrap();
    assert_eq!(events[0].id().to_hex(), claimed);
    assert_eq!(events[0].to_json(), signed.as_str());
}
