//! Byte-driven histories (`custodia::testkit::ops`, the generator the `history` and `store`
//! fuzz targets use) as property tests: any bytes give a history whose every accepted event
//! keeps the state's invariants, whose every refusal is a typed error that changes nothing, and
//! which verifies at the end, as a ledger and as an export; a file written in any batching
//! verifies to the same state. A generator that only produced refusals would make those checks
//! empty, so one test also measures it: every event kind is accepted somewhere in a sample.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use custodia::testkit::SplitMix64;
use custodia::testkit::ops::{self, Checks, History, Outcome, Step};
use proptest::prelude::*;

fn random_bytes(rng: &mut SplitMix64, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_give_a_history_that_keeps_every_invariant(
        data in prop::collection::vec(any::<u8>(), 0..700)
    ) {
        let report = ops::run(&data, Checks { digest_every: 8, verify_at_end: true });
        prop_assert!(report.is_ok(), "{}", report.unwrap_err());
    }

    #[test]
    fn a_history_written_in_any_batching_verifies_to_the_same_state(
        data in prop::collection::vec(any::<u8>(), 0..400),
        splits in prop::collection::vec(any::<u8>(), 1..8),
    ) {
        let report = ops::run(&data, Checks { digest_every: 0, verify_at_end: true }).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let digest = ops::store_roundtrip(
            report.history.journal(),
            &splits,
            &dir.path().join("l.ledger"),
            report.state_digest.as_ref().unwrap(),
        );
        prop_assert!(digest.is_ok(), "{}", digest.unwrap_err());
    }
}

#[test]
fn decoding_is_total_and_deterministic() {
    let mut rng = SplitMix64::new(11);
    for len in [0, 1, 2, 5, 64, 5000] {
        let data = random_bytes(&mut rng, len);
        let a = Step::decode_all(&data);
        assert_eq!(a, Step::decode_all(&data));
        assert!(a.len() <= ops::OPS_STEPS_MAX);
        assert_eq!(a.is_empty(), data.is_empty());
    }
}

#[test]
fn random_bytes_reach_every_event_kind() {
    let mut rng = SplitMix64::new(2026);
    let mut kinds = BTreeSet::new();
    let (mut accepted, mut steps) = (0, 0);
    for _ in 0..40 {
        let data = random_bytes(&mut rng, 900);
        let mut history = History::new().unwrap();
        for step in Step::decode_all(&data) {
            steps += 1;
            if let Some(Outcome::Accepted(e)) = history.step(&step).unwrap() {
                accepted += 1;
                kinds.insert(e.kind());
            }
        }
        history.ledger().check_invariants().unwrap();
    }
    let missing: Vec<&str> = custodia::event::KINDS
        .iter()
        .copied()
        .filter(|k| !kinds.contains(k))
        .collect();
    assert!(missing.is_empty(), "never accepted: {missing:?}");
    // Most steps are meant to pass the signatures and reach the ledger's rules; a third
    // accepted shows they do (the rest are refusals the rules are there for).
    assert!(
        accepted * 3 >= steps,
        "only {accepted} of {steps} steps accepted"
    );
}
