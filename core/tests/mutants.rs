//! Tests written to kill mutants that `scripts/mutants.sh` (cargo-mutants on a sample of the
//! Merkle log, the envelope, the ledger, the store and export verification) found missed by
//! every other test. Each names the code it pins; `docs/SECURITY.md` lists the mutants and what
//! was done about each.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use custodia::merkle;

/// `merkle::empty_root`: the root of the empty tree is SHA-256 of nothing (RFC 9162 §2.1.1),
/// the value a checkpoint of size 0 carries.
#[test]
fn the_empty_tree_has_the_rfc_root() {
    assert_eq!(
        hex::encode(merkle::empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

/// `store::verify::verify_in_snapshot`, when a chunk is replayed: events are verified in chunks
/// of 4,096 (a chunk's decoding and signature checks run on all cores), so progress is reported
/// once per chunk and at the end, not after every event. (A mutant replaying every event as its
/// own chunk gave the same verdict, one core at a time; only the progress calls show it.)
#[test]
fn verification_replays_in_chunks_and_reports_progress_per_chunk() {
    let mut ledger = custodia::Ledger::in_memory(custodia::Options::new()).unwrap();
    let events = custodia::testkit::events(3, 300).unwrap();
    ledger.append(&events).unwrap();
    let calls = std::cell::RefCell::new(Vec::new());
    let report = ledger
        .verify_with_progress(&|n| calls.borrow_mut().push(n))
        .unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 300);
    assert_eq!(*calls.borrow(), vec![300]);
}
