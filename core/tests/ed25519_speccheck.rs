//! The ten Ed25519 edge cases of ed25519-speccheck ("Taming the many EdDSAs", Chalkias,
//! Garillot, Nikolaenko, 2020), in `../shared/ed25519-speccheck/cases.json` beside the
//! repository (never copied into it), under custodia's verification: strict RFC 8032 as
//! `Signature::verify` implements it (no small-order key or R, S < L, the cofactorless
//! equation), and `check_public_key`, the rule a key must pass to be registered.
//!
//! The expected verdict of every case is recorded here; `docs/vectors/check.py` (the Python
//! verifier an auditor can run) must give the same ones.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use custodia::event::{Signature, check_public_key};
use custodia::model::{EventId, PublicKey};
use custodia::{ErrorCode, Signer};
use serde_json::{Value, json};

/// What each case probes, and custodia's verdicts: (signature accepted, key registrable).
///
/// pyca/cryptography (OpenSSL 3) accepts cases 0-3; custodia accepts only case 3, the one
/// signature whose key and R are both of large (mixed) order and which satisfies the
/// cofactorless equation.
const EXPECTED: [(&str, bool, bool); 10] = [
    ("small-order A, small-order R, S = 0", false, false),
    ("small-order A, mixed-order R", false, false),
    ("mixed-order A, small-order R", false, true),
    ("mixed-order A and R, both equations hold", true, true),
    (
        "mixed-order A and R, only the cofactored equation holds",
        false,
        true,
    ),
    (
        "mixed-order A, large-order R, only the cofactored equation holds",
        false,
        true,
    ),
    (
        "large-order A and R, S > L (non-canonical scalar)",
        false,
        true,
    ),
    ("large-order A and R, S >> L (top bits set)", false, true),
    (
        "mixed-order A, small-order R in non-canonical encoding (y = p)",
        false,
        true,
    ),
    (
        "mixed-order A, small-order R in non-canonical encoding (y = p), again",
        false,
        true,
    ),
];

fn cases() -> Vec<Value> {
    let dir = support::shared("ed25519-speccheck", "cases.json");
    let cases = support::read_json(&dir.join("cases.json"));
    let cases = cases.as_array().unwrap().clone();
    assert_eq!(cases.len(), EXPECTED.len());
    cases
}

fn message(case: &Value) -> EventId {
    // Every message of the ten cases is 32 bytes, the size of an event id, which is what
    // custodia signs.
    EventId::from_hex(case["message"].as_str().unwrap()).unwrap()
}

fn signature(case: &Value) -> Signature {
    serde_json::from_value(json!({"key": case["pub_key"], "sig": case["signature"]})).unwrap()
}

#[test]
fn custodia_gives_the_recorded_verdict_on_every_case() {
    let mut table = Vec::new();
    for (i, (case, (what, accept, key_ok))) in cases().iter().zip(EXPECTED).enumerate() {
        let sig = signature(case);
        let verdict = sig.verify(&message(case));
        assert_eq!(verdict, accept, "case {i} ({what}): Signature::verify");
        let key = check_public_key(&sig.key);
        assert_eq!(key.is_ok(), key_ok, "case {i} ({what}): check_public_key");
        if let Err(e) = key {
            assert_eq!(e.code(), ErrorCode::InvalidPublicKey);
        }
        table.push(format!(
            "{i}: {} / key {}",
            if verdict { "accept" } else { "reject" },
            if key_ok { "ok" } else { "refused" }
        ));
    }
    // Exactly one case verifies.
    assert_eq!(EXPECTED.iter().filter(|c| c.1).count(), 1, "{table:?}");
}

/// The cases really are edge cases: a lenient verifier (ed25519-dalek's non-strict `verify`,
/// cofactorless, small-order points allowed) accepts some that custodia refuses.
#[test]
fn a_lenient_verifier_disagrees_on_the_small_order_cases() {
    use ed25519_dalek::Verifier as _;
    let cases = cases();
    let lenient = |case: &Value| {
        let key: [u8; 32] = hex::decode(case["pub_key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let sig: [u8; 64] = hex::decode(case["signature"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        ed25519_dalek::VerifyingKey::from_bytes(&key).is_ok_and(|k| {
            k.verify(
                message(case).as_bytes(),
                &ed25519_dalek::Signature::from_bytes(&sig),
            )
            .is_ok()
        })
    };
    let accepted: Vec<usize> = (0..cases.len()).filter(|&i| lenient(&cases[i])).collect();
    assert_eq!(accepted, [0, 1, 2, 3]);
    for i in [0, 1, 2] {
        assert!(
            !signature(&cases[i]).verify(&message(&cases[i])),
            "case {i}"
        );
    }
}

/// Valid signatures by honest keys still verify, and only over their own message.
#[test]
fn honest_signatures_verify() {
    let signer = Signer::from_seed([42; 32]);
    let id = EventId::from_bytes([9; 32]);
    let sig = signer.sign(&id);
    assert!(sig.verify(&id));
    assert!(!sig.verify(&EventId::from_bytes([8; 32])));
    check_public_key(&signer.public_key()).unwrap();
    // y = 3 names a point of large (mixed) order: its canonical encoding is a registrable
    // key, its non-canonical encoding y + p = 2^255 - 16 is refused.
    let mut canonical = [0u8; 32];
    canonical[0] = 3;
    check_public_key(&PublicKey::from_bytes(canonical)).unwrap();
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xf0;
    non_canonical[31] = 0x7f;
    let e = check_public_key(&PublicKey::from_bytes(non_canonical)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidPublicKey);
    // So is the identity, in both its encodings, and bytes that name no point (y = 2).
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut identity_plus_p = [0xffu8; 32];
    identity_plus_p[0] = 0xee;
    identity_plus_p[31] = 0x7f;
    let mut no_point = [0u8; 32];
    no_point[0] = 2;
    for bytes in [identity, identity_plus_p, no_point] {
        let e = check_public_key(&PublicKey::from_bytes(bytes)).unwrap_err();
        assert_eq!(
            e.code(),
            ErrorCode::InvalidPublicKey,
            "{}",
            hex::encode(bytes)
        );
    }
}

#[test]
fn python_checker_gives_the_same_verdicts() {
    let dir = support::shared("ed25519-speccheck", "cases.json");
    let Some(stdout) = support::check_py_ok(
        "python cross-check of the ed25519-speccheck verdicts (check.py --ed25519)",
        &["--ed25519", dir.join("cases.json").to_str().unwrap()],
    ) else {
        return;
    };
    let got: Vec<String> = stdout
        .lines()
        .filter(|l| l.starts_with("ed25519 case "))
        .map(str::to_owned)
        .collect();
    let want: Vec<String> = EXPECTED
        .iter()
        .enumerate()
        .map(|(i, (_, accept, key_ok))| {
            format!(
                "ed25519 case {i}: {}, key {}",
                if *accept { "accept" } else { "reject" },
                if *key_ok { "ok" } else { "refused" }
            )
        })
        .collect();
    assert_eq!(got, want, "{stdout}");
}
