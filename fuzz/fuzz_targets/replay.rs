//! Arbitrary JSON lines appended, one line at a time, after a prefix of the committed test
//! vectors (its length from the first byte; the decoded vectors are cached, so each input
//! costs one in-memory ledger and the prefix's append). The oracle is
//! `custodia::testkit::decode::check_replay`.
#![no_main]

use custodia::testkit::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = decode::check_replay(data) {
        panic!("{e}");
    }
});
