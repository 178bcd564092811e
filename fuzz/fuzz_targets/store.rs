//! A fuzzed history (`custodia::testkit::ops`) appended to a real SQLite file in fuzzed batch
//! splits, as typed events and as JSON lines: the file reopens, verifies, and has the same
//! state digest, length and root as the same history appended one event at a time in memory.
//! The first byte says how many of the following bytes are batch sizes.
#![no_main]

use custodia::testkit::ops::{self, Checks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (splits, steps) = rest.split_at(usize::from(n % 8 + 1).min(rest.len()));
    let checks = Checks {
        digest_every: 0,
        verify_at_end: true,
    };
    let report = ops::run(steps, checks).unwrap_or_else(|f| panic!("{f}"));
    let expected = report.state_digest.expect("verified at the end");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let splits = if splits.is_empty() {
        &[0u8][..]
    } else {
        splits
    };
    if let Err(finding) = ops::store_roundtrip(
        report.history.journal(),
        splits,
        &dir.path().join("fuzz.ledger"),
        &expected,
    ) {
        panic!("{finding}");
    }
});
