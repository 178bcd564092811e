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

/// `envelope::event_id_of` (sample 2: `||` replaced by `&&`): the id is over the content
/// without `id` and without `signatures`, whichever of the two the object carries. An object
/// with only an `id` (an unsigned event that was given one) or only signatures has the id of
/// its content alone.
#[test]
fn the_id_leaves_out_id_and_signatures_each_on_its_own() {
    let events = custodia::testkit::events(5, 3).unwrap();
    let signed: serde_json::Value = serde_json::from_str(events[2].to_json()).unwrap();
    let id = events[2].id();
    let mut content = signed.clone();
    let map = content.as_object_mut().unwrap();
    map.remove("id");
    map.remove("signatures");
    assert_eq!(custodia::event::event_id_of(&content).unwrap(), id);
    let mut only_id = signed.clone();
    only_id.as_object_mut().unwrap().remove("signatures");
    assert_eq!(custodia::event::event_id_of(&only_id).unwrap(), id);
    let mut only_signatures = signed;
    only_signatures.as_object_mut().unwrap().remove("id");
    assert_eq!(custodia::event::event_id_of(&only_signatures).unwrap(), id);
}
