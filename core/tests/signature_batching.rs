//! Signatures are checked in batched equations wherever many are checked at once: appending a
//! batch, verifying a stored ledger, verifying an export. Checking them one by one gives the
//! same verdicts at about six times the CPU, so no other test can see it; the process-wide
//! counts of `custodia::sigcheck` can. This file holds one test so that no other test in the
//! same process moves the counts while it reads them.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use custodia::sigcheck::{CheckCounts, check_counts};
use custodia::{Ledger, Options};

/// The counts moved by `f`.
fn counted<T>(f: impl FnOnce() -> T) -> (T, CheckCounts) {
    let before = check_counts();
    let out = f();
    let after = check_counts();
    (
        out,
        CheckCounts {
            single: after.single - before.single,
            batched: after.batched - before.batched,
        },
    )
}

#[test]
fn appending_and_verifying_check_signatures_in_batches() {
    const BATCH: usize = 100;
    let events = custodia::testkit::events(11, 600).unwrap();
    let signatures: u64 = events.iter().map(|e| e.signatures().len() as u64).sum();
    let batches = events.len().div_ceil(BATCH) as u64;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");

    let ((), appended) = counted(|| {
        let mut ledger = Ledger::create(&path, Options::new().log_key(log_key())).unwrap();
        for chunk in events.chunks(BATCH) {
            ledger.append(chunk).unwrap();
        }
    });
    let ledger = Ledger::open(&path, Options::new()).unwrap();
    let (report, verified) = counted(|| ledger.verify().unwrap());
    assert!(report.ok, "{:?}", report.failure);
    let mut export = Vec::new();
    ledger.export_jsonl(&mut export).unwrap();
    let (report, exported) = counted(|| custodia::verify_jsonl(&export[..], None));
    assert!(report.ok, "{:?}", report.failure);
    eprintln!(
        "{} events, {signatures} signatures, {batches} batches: append {appended:?}, verify \
         {verified:?}, export {exported:?}",
        events.len()
    );

    // Every event signature is in a batched equation. At most one per appended batch may be
    // checked alone: a thread's share of a batch can end with one event of one signature, a
    // batch of one (on this machine none is: 0 single checks).
    for (what, counts) in [
        ("append", appended),
        ("verify", verified),
        ("verify_jsonl", exported),
    ] {
        assert!(
            counts.batched >= signatures - batches,
            "{what}: {counts:?} for {signatures} signatures"
        );
        assert!(
            counts.single <= batches,
            "{what}: {counts:?} for {signatures} signatures"
        );
        // Each signature checked once: none skipped, none checked twice (a failed batch's
        // one-by-one redo would show here).
        assert_eq!(
            counts.single + counts.batched,
            signatures,
            "{what}: {counts:?} for {signatures} signatures"
        );
    }
}
