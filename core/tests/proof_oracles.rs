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

/// Found by the `proofs` fuzz target: a verifier key whose key ID is written in upper case
/// parses (as Go's parser accepts it) and is written back in lowercase, the same key.
#[test]
fn a_key_id_in_upper_case_parses_as_the_same_key() {
    let lower =
        "example.invalid/custodia/test+ed4dad4c+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs";
    let upper =
        "example.invalid/custodia/test+ed4dAd4c+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs";
    let a = custodia::note::VerifierKey::parse(lower).unwrap();
    let b = custodia::note::VerifierKey::parse(upper).unwrap();
    assert_eq!(a.to_string(), lower);
    assert_eq!(b.to_string(), lower);
    // The fuzz target's input (mode byte 2, then the text).
    let mut input = vec![2u8];
    input.extend_from_slice(upper.as_bytes());
    proofs::check_note_parsers(upper.as_bytes()).unwrap();
    proofs::check(&input).unwrap();
}
