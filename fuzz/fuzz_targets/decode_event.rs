//! Any bytes as one event (`SignedEvent::from_json`, `from_canonical_json`, `Event::from_json`)
//! and as a JSON lines export (`custodia::verify_jsonl`); the oracles are
//! `custodia::testkit::decode::{check_event_bytes, check_jsonl}`.
#![no_main]

use custodia::testkit::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = decode::check_event_bytes(data) {
        panic!("{e}");
    }
    if let Err(e) = decode::check_jsonl(data) {
        panic!("{e}");
    }
});
