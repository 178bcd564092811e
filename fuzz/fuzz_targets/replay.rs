//! Arbitrary JSONL appended after a valid history (the committed test vectors, minus their
//! final `rules_in_force`), one line at a time: the ledger never panics, a refused line changes
//! nothing (length, signed tree head, balances), and the state's invariants hold after every
//! accepted one.
#![no_main]

use custodia::{BalanceFilter, Ledger, Options};
use libfuzzer_sys::fuzz_target;

const VECTORS: &str = include_str!("../../docs/vectors/events.json");

fn seeded() -> Ledger {
    let doc: serde_json::Value = serde_json::from_str(VECTORS).expect("vectors parse");
    let lines: Vec<&str> = doc["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] != "rules_in_force")
        .map(|e| e["jsonl"].as_str().expect("jsonl"))
        .collect();
    let mut ledger = Ledger::in_memory(Options::new()).expect("an in-memory ledger");
    ledger
        .append_json_lines(lines.join("\n").as_bytes())
        .expect("the vectors append");
    ledger
}

fuzz_target!(|data: &[u8]| {
    let mut ledger = seeded();
    for line in data.split(|b| *b == b'\n') {
        let before = (
            ledger.len().expect("len"),
            ledger.tree_head().expect("tree head"),
            ledger
                .balances(&BalanceFilter::default())
                .expect("balances"),
        );
        match ledger.append_json_lines(line) {
            Ok(report) => {
                assert_eq!(report.ledger_len, before.0 + report.events.len() as u64);
                ledger.check_invariants().expect("invariants hold");
            }
            Err(_) => {
                let after = (
                    ledger.len().expect("len"),
                    ledger.tree_head().expect("tree head"),
                    ledger
                        .balances(&BalanceFilter::default())
                        .expect("balances"),
                );
                assert_eq!(after, before, "a refused line changed the ledger");
            }
        }
    }
});
