//! Arbitrary JSONL appended after a valid history (the committed test vectors, minus their
//! final `rules_in_force`): the ledger never panics, refused lines change nothing, and the
//! state's invariants hold after every accepted event.
#![no_main]

use custodia::{Ledger, SignedEvent};
use libfuzzer_sys::fuzz_target;

const VECTORS: &str = include_str!("../../docs/vectors/events.json");

fn seeded() -> Ledger {
    let doc: serde_json::Value = serde_json::from_str(VECTORS).expect("vectors parse");
    let mut ledger = Ledger::new();
    for entry in doc["events"].as_array().expect("events").iter() {
        if entry["kind"] == "rules_in_force" {
            continue;
        }
        let event = SignedEvent::from_json(entry["jsonl"].as_str().expect("jsonl").as_bytes()).expect("vector decodes");
        ledger.append(&event).expect("vector appends");
    }
    ledger
}

fuzz_target!(|data: &[u8]| {
    let mut ledger = seeded();
    for line in data.split(|b| *b == b'\n') {
        let before = ledger.state().digest();
        match ledger.append_json(line) {
            Ok(_) => ledger.state().check_invariants().expect("invariants hold"),
            Err(_) => assert_eq!(ledger.state().digest(), before, "a refused event changed the state"),
        }
    }
});
