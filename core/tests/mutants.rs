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
