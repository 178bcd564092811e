//! Arbitrary JSONL appended after a valid history: the ledger never panics, refused lines
//! change nothing, and the state's invariants hold after every accepted event.
#![no_main]

use custodia::Ledger;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut ledger = Ledger::new();
    for line in data.split(|b| *b == b'\n') {
        let before = ledger.state().digest();
        match ledger.append_json(line) {
            Ok(_) => ledger.state().check_invariants().expect("invariants hold"),
            Err(_) => assert_eq!(ledger.state().digest(), before, "a refused event changed the state"),
        }
    }
});
