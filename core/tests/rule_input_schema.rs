//! Every input document the ledger builds for rules follows `schemas/rule-input.schema.json`:
//! for every event of both committed vector histories (every kind of format versions 1 and 2)
//! and of a synthetic history; and the schema refuses documents that are not what the ledger
//! gives, at the pointer of the fault.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use custodia::rules::check_input;
use custodia::testkit::Synth;
use custodia::{Ledger, Options, Signer};
use serde_json::{Value, json};

/// Appends JSON lines to a fresh ledger and checks the document of every event; returns the
/// kinds seen.
fn check_all(lines: &[u8]) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::create(
        dir.path().join("l.ledger"),
        Options::new().log_key(Signer::from_seed([9; 32])),
    )
    .unwrap();
    let report = ledger.append_json_lines(lines).unwrap();
    let mut kinds = BTreeSet::new();
    for event in &report.events {
        let doc = ledger.rule_input(&event.id).unwrap();
        if let Err(e) = check_input(&doc) {
            panic!(
                "the document of event {} ({}) breaks the schema {e}:\n{}",
                event.id,
                doc["event"]["kind"],
                serde_json::to_string_pretty(&doc).unwrap()
            );
        }
        kinds.insert(doc["event"]["kind"].as_str().unwrap().to_owned());
    }
    kinds
}

fn vector_lines(file: &str) -> Vec<u8> {
    let path = format!("{}/../docs/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for e in doc["events"].as_array().unwrap() {
        out.extend_from_slice(e["jsonl"].as_str().unwrap().as_bytes());
        out.push(b'\n');
    }
    out
}

#[test]
fn documents_of_every_vector_event_follow_the_schema() {
    let v1 = check_all(&vector_lines("events.json"));
    let v2 = check_all(&vector_lines("events-v2.json"));
    let all: BTreeSet<&String> = v1.iter().chain(v2.iter()).collect();
    let schema: Value =
        serde_json::from_str(include_str!("../../schemas/event.schema.json")).unwrap();
    let kinds: Vec<&str> = schema["properties"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let missing: Vec<&&str> = kinds
        .iter()
        .filter(|k| !all.iter().any(|s| s.as_str() == **k))
        .collect();
    // Every kind has vectors (docs/vectors), so every kind's document is checked here.
    assert!(
        missing.is_empty(),
        "kinds without a vector event, whose documents are not checked: {missing:?}"
    );
}

#[test]
fn documents_of_a_synthetic_history_follow_the_schema() {
    let mut synth = Synth::new(11);
    let mut lines = Vec::new();
    for _ in 0..200 {
        lines.extend_from_slice(synth.next_event().unwrap().to_json().as_bytes());
        lines.push(b'\n');
    }
    let kinds = check_all(&lines);
    assert!(kinds.contains("destruction"), "{kinds:?}");
    assert!(kinds.contains("register_lot"), "{kinds:?}");
}

/// A ledger of the version-2 vector events (in its temporary folder), and their ids.
fn vector_ledger() -> (tempfile::TempDir, Ledger, Vec<custodia::EventId>) {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::create(
        dir.path().join("l.ledger"),
        Options::new().log_key(Signer::from_seed([9; 32])),
    )
    .unwrap();
    let report = ledger
        .append_json_lines(&vector_lines("events-v2.json"))
        .unwrap();
    let ids = report.events.iter().map(|e| e.id).collect();
    (dir, ledger, ids)
}

#[test]
fn the_schema_names_the_pointer_of_the_fault() {
    let (_dir, ledger, ids) = vector_ledger();
    let id = *ids.last().unwrap();
    let good = ledger.rule_input(&id).unwrap();
    check_input(&good).unwrap();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("not an object", json!([1, 2]), ""),
        ("abi 2", json!(2), "/abi"),
        ("a signer's kind", json!("robot"), "/signers/0/kind"),
        ("the actor's roles", json!(["operator"]), "/actor/roles/0"),
        ("an unknown member", json!(true), "/colour"),
    ];
    for (what, value, pointer) in cases {
        let mut doc = good.clone();
        match pointer {
            "" => doc = value,
            "/abi" => doc["abi"] = value,
            "/signers/0/kind" => doc["signers"][0]["kind"] = value,
            "/actor/roles/0" => doc["actor"]["roles"] = value,
            _ => doc["colour"] = value,
        }
        let e = check_input(&doc).unwrap_err();
        let expected = if pointer == "/colour" { "" } else { pointer };
        assert_eq!(e.pointer, expected, "{what}: {e}");
    }
}

/// `jsonschema`'s validator of the rule input schema (draft 2020-12, its own regular
/// expressions, the event schema in its registry): the reference the library's compiled
/// schema is compared with.
fn engine() -> jsonschema::Validator {
    let event: Value =
        serde_json::from_str(include_str!("../../schemas/event.schema.json")).unwrap();
    let input: Value = serde_json::from_str(custodia::rules::INPUT_SCHEMA).unwrap();
    let id = event["$id"].as_str().unwrap().to_owned();
    let registry = jsonschema::Registry::new()
        .add(id.as_str(), event)
        .unwrap()
        .prepare()
        .unwrap();
    jsonschema::options()
        .with_registry(&registry)
        .build(&input)
        .unwrap()
}

/// Every leaf of the documents of the version-2 vector events, replaced in turn by values the
/// schema refuses or accepts: the verdict is the engine's, and the pointer reported is one
/// where the engine finds a fault.
#[test]
fn the_schema_gives_the_engines_verdict_on_mutated_documents() {
    let (_dir, ledger, ids) = vector_ledger();
    let engine = engine();
    let replacements = [
        json!(""),
        json!("x"),
        json!("depot:a"),
        json!(-1),
        json!(1),
        json!(1.5),
        json!(null),
        json!([]),
        json!({}),
    ];
    let (mut checked, mut refused) = (0, 0);
    for id in &ids {
        let doc = ledger.rule_input(id).unwrap();
        for path in custodia::testkit::json_leaves(&doc) {
            for replacement in &replacements {
                let mut mutated = doc.clone();
                *mutated.pointer_mut(&path).unwrap() = replacement.clone();
                let theirs: Vec<String> = engine
                    .iter_errors(&mutated)
                    .map(|e| e.instance_path().to_string())
                    .collect();
                let ours = check_input(&mutated);
                assert_eq!(
                    ours.is_ok(),
                    theirs.is_empty(),
                    "{path} = {replacement}: {theirs:?}"
                );
                if let Err(e) = ours {
                    assert!(
                        theirs.contains(&e.pointer),
                        "{path} = {replacement}: {e} not in {theirs:?}"
                    );
                }
                checked += 1;
                refused += usize::from(!theirs.is_empty());
            }
        }
    }
    // Both verdicts occur, many times.
    assert!(
        checked > 2_000 && refused > 200 && checked - refused > 200,
        "{checked} {refused}"
    );
}
