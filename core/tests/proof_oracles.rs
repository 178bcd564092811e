//! The proof and note oracles of `custodia::testkit::proofs` (which the `proofs` fuzz target
//! runs on any bytes) over random inputs: generated inclusion and consistency proofs verify and
//! no single mutation of one does; raw bytes never make the verifiers panic or accept an
//! impossible proof; what the C2SP parsers accept re-encodes to the same bytes; a signed and
//! cosigned checkpoint opens, and one byte changed never opens to another checkpoint.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use custodia::testkit::proofs;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_proofs_verify_and_mutated_ones_do_not(data in prop::collection::vec(any::<u8>(), 0..40)) {
        let r = proofs::check_generated_proofs(&data);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn raw_bytes_never_verify_an_impossible_proof(data in prop::collection::vec(any::<u8>(), 0..3000)) {
        let r = proofs::check_raw_proofs(&data);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn a_signed_checkpoint_opens_and_a_changed_byte_does_not_forge_one(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let r = proofs::check_signed_checkpoint(&data);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

/// Inputs close to valid ones, so that the round-trip checks are not vacuous: the committed
/// note vectors, and requests built by hand, each parse and re-encode to the same bytes.
#[test]
fn parsers_round_trip_what_they_accept() {
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/vectors/note.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut accepted = 0;
    let mut strings = Vec::new();
    collect_strings(&doc, &mut strings);
    for s in &strings {
        proofs::check_note_parsers(s.as_bytes()).unwrap();
        if custodia::note::Note::parse(s.as_bytes()).is_ok()
            || custodia::note::VerifierKey::parse(s).is_ok()
        {
            accepted += 1;
        }
    }
    assert!(accepted >= 2, "only {accepted} vector strings parse");
    let request = b"old 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\nexample.invalid/log\n4\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    assert!(custodia::witness::AddCheckpoint::parse(request).is_ok());
    proofs::check_note_parsers(request).unwrap();
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
