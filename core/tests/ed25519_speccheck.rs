//! The ten Ed25519 edge cases of ed25519-speccheck ("Taming the many EdDSAs", Chalkias,
//! Garillot, Nikolaenko, 2020), copied into `core/tests/data/ed25519-speccheck/` (see its
//! README), under custodia's rule (docs/FORMAT.md, section 4): ZIP 215's cofactored equation
//! with `S < L`, a canonical `R` not of small order, and keys that are canonical, not of small
//! order and torsion-free.
//!
//! Every case gets its recorded verdict from the single check, from the batched check (alone
//! and at every position of a batch of 63 good signatures), from an append and from the
//! verification of an export; every key of the cases that is not registrable is refused with
//! its code and writes nothing. `docs/vectors/check.py` (the Python verifier an auditor can
//! run) gives the same verdicts. The C and Python bindings have no entry point that checks a
//! bare signature: their append and verify go through the core paths tested here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod support;

use common::{ADMIN, World, actor, edited, register_site_body};
use custodia::event::{AddKey, RegisterActor, Signature, check_public_key};
use custodia::model::{Actor, ActorKind, EventId, PublicKey, SiteKind};
use custodia::sigcheck::{self, Item, KeyFault};
use custodia::{ErrorCode, SignedEvent, Signer};
use serde_json::{Value, json};

/// What a key of the cases is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Key {
    /// In the prime-order subgroup: registrable.
    Good,
    /// Of small order: refused at registration in every version (5007).
    SmallOrder,
    /// Of mixed order: refused at registration from format version 2 (5010); a version-1
    /// registration accepts it, but nothing it signs verifies.
    MixedOrder,
}

/// What each case probes, custodia's verdict on its signature, and what its key is.
///
/// pyca/cryptography (OpenSSL 3) accepts cases 0-3. custodia accepts none: cases 0-5, 8 and 9
/// are signed by keys of small or mixed order, which never verify; cases 6 and 7 have S >= L.
/// (Under ZIP 215 alone, without custodia's key and R rules, cases 0-5 and 9 would verify.)
const EXPECTED: [(&str, bool, Key); 10] = [
    (
        "small-order A, small-order R, S = 0",
        false,
        Key::SmallOrder,
    ),
    ("small-order A, mixed-order R", false, Key::SmallOrder),
    ("mixed-order A, small-order R", false, Key::MixedOrder),
    (
        "mixed-order A and R, both equations hold",
        false,
        Key::MixedOrder,
    ),
    (
        "mixed-order A and R, only the cofactored equation holds",
        false,
        Key::MixedOrder,
    ),
    (
        "mixed-order A, large-order R, only the cofactored equation holds",
        false,
        Key::MixedOrder,
    ),
    (
        "large-order A and R, S > L (non-canonical scalar)",
        false,
        Key::Good,
    ),
    (
        "large-order A and R, S >> L (top bits set)",
        false,
        Key::Good,
    ),
    (
        "mixed-order A, small-order R in non-canonical encoding (y = p)",
        false,
        Key::MixedOrder,
    ),
    (
        "mixed-order A, small-order R in non-canonical encoding (y = p), again",
        false,
        Key::MixedOrder,
    ),
];

struct Case {
    msg: [u8; 32],
    key: [u8; 32],
    sig: [u8; 64],
}

fn cases() -> Vec<Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ed25519-speccheck/cases.json");
    let cases = support::read_json(&path);
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), EXPECTED.len());
    let bytes = |c: &Value, k: &str| hex::decode(c[k].as_str().unwrap()).unwrap();
    cases
        .iter()
        .map(|c| Case {
            msg: bytes(c, "message").try_into().unwrap(),
            key: bytes(c, "pub_key").try_into().unwrap(),
            sig: bytes(c, "signature").try_into().unwrap(),
        })
        .collect()
}

fn signature(case: &Case) -> Signature {
    serde_json::from_value(json!({"key": hex::encode(case.key), "sig": hex::encode(case.sig)}))
        .unwrap()
}

/// 63 good signatures over distinct messages, by a few keys.
fn good() -> Vec<([u8; 32], [u8; 32], [u8; 64])> {
    (0..63u8)
        .map(|i| {
            let s = Signer::from_seed([i % 4; 32]);
            let msg = [i; 32];
            (*s.public_key().as_bytes(), msg, s.sign_bytes(&msg))
        })
        .collect()
}

#[test]
fn single_and_batched_checks_give_the_recorded_verdict_on_every_case() {
    let good = good();
    for (i, (case, (what, accept, key))) in cases().iter().zip(EXPECTED).enumerate() {
        let ctx = format!("case {i} ({what})");
        assert_eq!(
            sigcheck::verify_one(&case.key, &case.msg, &case.sig),
            accept,
            "{ctx}: verify_one"
        );
        assert_eq!(
            sigcheck::Checker::uncached().verify_one(&case.key, &case.msg, &case.sig),
            accept,
            "{ctx}: verify_one without the key cache"
        );
        assert_eq!(
            signature(case).verify(&EventId::from_bytes(case.msg)),
            accept,
            "{ctx}: Signature::verify"
        );
        let fault = match key {
            Key::Good => None,
            Key::SmallOrder => Some(KeyFault::SmallOrder),
            Key::MixedOrder => Some(KeyFault::MixedOrder),
        };
        assert_eq!(sigcheck::key_fault(&case.key), fault, "{ctx}: key");
        let verdict = |ok: bool, at: usize| if ok { Ok(()) } else { Err(at) };
        let alone: [Item<'_>; 1] = [(&case.key, &case.msg, &case.sig)];
        assert_eq!(
            sigcheck::verify_batch(&alone),
            verdict(accept, 0),
            "{ctx}: batch of one"
        );
        for at in 0..=good.len() {
            let mut items: Vec<Item<'_>> =
                good.iter().map(|(k, m, s)| (k, m.as_slice(), s)).collect();
            items.insert(at, (&case.key, &case.msg, &case.sig));
            assert_eq!(
                sigcheck::verify_batch(&items),
                verdict(accept, at),
                "{ctx}: at {at} in a batch of 64"
            );
        }
    }
}

/// `check_public_key` is the registration rule of format version 1 (5007 for keys of small
/// order); version 2 adds the torsion-free rule (5010).
#[test]
fn check_public_key_refuses_small_order_keys_of_the_cases() {
    for (i, (case, (_, _, key))) in cases().iter().zip(EXPECTED).enumerate() {
        let got = check_public_key(&PublicKey::from_bytes(case.key));
        match key {
            Key::SmallOrder => {
                assert_eq!(
                    got.unwrap_err().code(),
                    ErrorCode::InvalidPublicKey,
                    "case {i}"
                )
            }
            Key::Good | Key::MixedOrder => assert!(got.is_ok(), "case {i}"),
        }
    }
}

fn subject(id: &str, key: PublicKey) -> Actor {
    Actor {
        id: actor(id),
        kind: ActorKind::Unit,
        name: id.into(),
        member_of: Some(actor(ADMIN)),
        roles: Vec::new(),
        keys: vec![key],
    }
}

/// Registering (or adding) each small-order and mixed-order key of the cases is refused with
/// its code, naming the key, and writes nothing; in a version-1 ledger a mixed-order key is
/// still registered, as version 1 did.
#[test]
fn registration_refuses_the_small_and_mixed_order_keys_of_the_cases() {
    let mut w = World::new();
    let mut seen = Vec::new();
    for (i, (case, (_, _, key))) in cases().iter().zip(EXPECTED).enumerate() {
        if seen.contains(&case.key) {
            continue;
        }
        seen.push(case.key);
        let pk = PublicKey::from_bytes(case.key);
        let code = match key {
            Key::Good => None,
            Key::SmallOrder => Some(ErrorCode::InvalidPublicKey),
            Key::MixedOrder => Some(ErrorCode::MixedOrderKey),
        };
        let Some(code) = code else { continue };
        let before = w.snapshot();
        let err = w
            .try_record(
                ADMIN,
                RegisterActor {
                    subject: subject(&format!("unit:edge-{i}"), pk),
                },
                &[],
            )
            .unwrap_err();
        assert_eq!(err.code(), code, "case {i}: {err}");
        assert_eq!(err.field(), Some("/subject/keys/0"), "case {i}");
        assert_eq!(err.values()["key"], json!(pk.to_hex()), "case {i}");
        let err = w
            .try_record(
                ADMIN,
                AddKey {
                    subject: actor(common::UNIT_A),
                    key: pk,
                },
                &[],
            )
            .unwrap_err();
        assert_eq!(err.code(), code, "case {i}: {err}");
        assert_eq!(err.field(), Some("/key"), "case {i}");
        assert_eq!(
            w.snapshot(),
            before,
            "case {i}: a refused key changed the ledger"
        );
    }
    assert_eq!(seen.len(), 4);

    // Version 1: a mixed-order key is registered (version-1 rules), a small-order one is not.
    let mut w = World::empty();
    w.version = 1;
    w.genesis(ADMIN, &[custodia::model::Role::Admin]);
    for (i, (case, (_, _, key))) in cases().iter().zip(EXPECTED).enumerate() {
        let pk = PublicKey::from_bytes(case.key);
        let got = w.try_record(
            ADMIN,
            RegisterActor {
                subject: subject(&format!("unit:edge-{i}"), pk),
            },
            &[],
        );
        match key {
            Key::SmallOrder => assert_eq!(got.unwrap_err().code(), ErrorCode::InvalidPublicKey),
            // Registered by an earlier case with the same key, or registered now.
            Key::Good | Key::MixedOrder => match got {
                Ok(_) => {}
                Err(e) => assert_eq!(e.code(), ErrorCode::AlreadyExists, "case {i}: {e}"),
            },
        }
    }
}

/// An event that carries the signature of a case (over the case's message, not over the event
/// id, so no case can verify on an event): the append refuses it with 5002 naming the key and
/// writes nothing; the verification of an export that holds it fails at its position with the
/// same error. Done in a version-1 ledger, where the mixed-order keys are registrable.
#[test]
fn appends_and_export_verification_refuse_each_case() {
    for (i, case) in cases().iter().enumerate() {
        let mut w = World::empty();
        w.version = 1;
        w.genesis(ADMIN, &[custodia::model::Role::Admin]);
        let pk = PublicKey::from_bytes(case.key);
        if EXPECTED[i].2 != Key::SmallOrder {
            w.try_record(
                ADMIN,
                RegisterActor {
                    subject: subject("unit:edge", pk),
                },
                &[],
            )
            .unwrap();
        }
        let event = w.event(
            ADMIN,
            register_site_body("site:edge", SiteKind::Depot, None),
        );
        let signed = w.sign(event, &[]);
        // Co-signed by the case's key with the case's signature.
        let bad = edited(&signed, |v| {
            v["signatures"]
                .as_array_mut()
                .unwrap()
                .push(json!({"key": pk.to_hex(), "sig": hex::encode(case.sig)}));
        });
        let before = w.snapshot();
        let err = w.ledger.append(std::slice::from_ref(&bad)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadSignature, "case {i}: {err}");
        assert_eq!(err.field(), Some("/signatures/1"), "case {i}");
        assert_eq!(err.values()["key"], json!(pk.to_hex()), "case {i}");
        assert_eq!(err.index(), Some(0), "case {i}");
        assert_eq!(w.snapshot(), before, "case {i}");

        let mut export = Vec::new();
        let n = w.ledger.export_jsonl(&mut export).unwrap();
        export.extend_from_slice(bad.to_json().as_bytes());
        export.push(b'\n');
        let r = custodia::verify_jsonl(export.as_slice(), None);
        let failure = r.failure.expect("the export must not verify");
        assert_eq!(
            failure.code(),
            ErrorCode::BadSignature,
            "case {i}: {failure}"
        );
        assert_eq!(failure.index(), Some(n), "case {i}");
        assert_eq!(r.events, n, "case {i}");
    }
}

/// A batch of events whose 4th and 8th carry a bad signature is refused at the 4th, naming
/// its key, and nothing is written.
#[test]
fn a_batch_is_refused_at_its_first_bad_signature() {
    let mut w = World::new();
    let mut events: Vec<SignedEvent> = Vec::new();
    for i in 0..10 {
        let e = w.event(
            ADMIN,
            register_site_body(&format!("site:batch-{i}"), SiteKind::Depot, None),
        );
        // No parents between the sites: each only needs the admin's latest actor event.
        events.push(w.sign(e, &[]));
    }
    for i in [3, 7] {
        events[i] = edited(&events[i], |v| {
            let s = v["signatures"][0]["sig"].as_str().unwrap().to_owned();
            let flipped = format!("{}{}", if s.starts_with('0') { "1" } else { "0" }, &s[1..]);
            v["signatures"][0]["sig"] = json!(flipped);
        });
    }
    let before = w.snapshot();
    let err = w.ledger.append(&events).unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadSignature, "{err}");
    assert_eq!(err.index(), Some(3), "{err}");
    assert_eq!(err.event(), Some(events[3].id()));
    assert_eq!(
        err.values()["key"],
        json!(w.key(ADMIN).public_key().to_hex())
    );
    assert_eq!(w.snapshot(), before);
}

/// The one known disagreement with cofactorless verifiers: an honest key's holder adds a
/// point of small order to `R`. custodia accepts the event in the append, in the verification
/// of the stored ledger and in that of its export; `ed25519-dalek`'s `verify_strict` (RFC 8032
/// cofactorless, like OpenSSL) refuses the signature.
#[test]
fn torsion_in_r_verifies_everywhere_in_custodia_and_nowhere_cofactorless() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ledger");
    let ledger =
        custodia::Ledger::create(&path, custodia::Options::new().log_key(common::log_key()))
            .unwrap();
    let mut w = World::with_ledger(ledger);
    w.populate();
    let seed = {
        // The admin's key seed, as `key_named` derives it.
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"custodia-test-key\0");
        h.update(ADMIN.as_bytes());
        let seed: [u8; 32] = h.finalize().into();
        assert_eq!(
            Signer::from_seed(seed).public_key(),
            w.key(ADMIN).public_key()
        );
        seed
    };
    let torsion = curve25519_dalek_point();
    let event = w.event(
        ADMIN,
        register_site_body("site:torsion", SiteKind::Depot, None),
    );
    let signed = w.sign(event, &[]);
    let sig = sigcheck::forge::sign_with_torsion(&seed, signed.id().as_bytes(), torsion);
    let odd = edited(&signed, |v| {
        v["signatures"][0]["sig"] = json!(hex::encode(sig))
    });
    let strict = ed25519_dalek::VerifyingKey::from_bytes(w.key(ADMIN).public_key().as_bytes())
        .unwrap()
        .verify_strict(
            odd.id().as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&sig),
        );
    assert!(strict.is_err());
    w.ledger.append(std::slice::from_ref(&odd)).unwrap();
    let r = w.ledger.verify().unwrap();
    assert!(r.ok, "{:?}", r.failure);
    let mut export = Vec::new();
    let n = w.ledger.export_jsonl(&mut export).unwrap();
    let r = custodia::verify_jsonl(export.as_slice(), None);
    assert!(r.ok, "{:?}", r.failure);
    assert_eq!(r.events, n);
}

/// The cases really are edge cases, and custodia's key and R rules matter: ZIP 215 alone
/// (`ed25519-zebra`, no key or R rules) accepts cases 0-5 and 9 (a non-canonical R), and a
/// lenient cofactorless verifier (`ed25519-dalek`'s `verify`, like OpenSSL) accepts cases 0-3;
/// custodia accepts none.
#[test]
fn zip215_alone_and_a_lenient_cofactorless_verifier_accept_what_custodia_refuses() {
    use ed25519_dalek::Verifier as _;
    let cases = cases();
    let zip215 = |c: &Case| {
        ed25519_zebra::VerificationKey::try_from(c.key).is_ok_and(|k| {
            k.verify(&ed25519_zebra::Signature::from_bytes(&c.sig), &c.msg)
                .is_ok()
        })
    };
    let lenient = |c: &Case| {
        ed25519_dalek::VerifyingKey::from_bytes(&c.key).is_ok_and(|k| {
            k.verify(&c.msg, &ed25519_dalek::Signature::from_bytes(&c.sig))
                .is_ok()
        })
    };
    let accepted = |f: &dyn Fn(&Case) -> bool| -> Vec<usize> {
        (0..cases.len()).filter(|&i| f(&cases[i])).collect()
    };
    assert_eq!(accepted(&zip215), [0, 1, 2, 3, 4, 5, 9]);
    assert_eq!(accepted(&lenient), [0, 1, 2, 3]);
    assert_eq!(
        accepted(&|c| sigcheck::verify_one(&c.key, &c.msg, &c.sig)),
        Vec::<usize>::new()
    );
}

/// A point of order 8 (from the edge cases' own small-order key).
fn curve25519_dalek_point() -> curve25519_dalek::EdwardsPoint {
    curve25519_dalek::edwards::CompressedEdwardsY(cases()[0].key)
        .decompress()
        .unwrap()
}

#[test]
fn python_checker_gives_the_same_verdicts() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ed25519-speccheck/cases.json");
    let Some(stdout) = support::check_py_ok(
        "python cross-check of the ed25519-speccheck verdicts (check.py --ed25519)",
        &["--ed25519", path.to_str().unwrap()],
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
        .map(|(i, (_, accept, key))| {
            format!(
                "ed25519 case {i}: {}, key {}",
                if *accept { "accept" } else { "reject" },
                match key {
                    Key::Good => "ok",
                    Key::SmallOrder => "refused 5007",
                    Key::MixedOrder => "refused 5010",
                }
            )
        })
        .collect();
    assert_eq!(got, want, "{stdout}");
}

/// The verification of a stored ledger checks signatures in batches on all cores and names the
/// first bad one: two events' signatures replaced in the file, behind the ledger's back.
#[test]
fn stored_ledger_verification_names_the_first_bad_signature() {
    let events = custodia::testkit::events(11, 600).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.ledger");
    {
        let mut ledger =
            custodia::Ledger::create(&path, custodia::Options::new().log_key(common::log_key()))
                .unwrap();
        for chunk in events.chunks(97) {
            ledger.append(chunk).unwrap();
        }
    }
    let spoil = |seq: usize, with: &str| {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let json: Vec<u8> = conn
            .query_row(
                "SELECT json FROM events WHERE seq = ?1",
                [seq as i64],
                |r| r.get(0),
            )
            .unwrap();
        let old = hex::encode(events[seq].signatures()[0].sig.as_bytes());
        let text = String::from_utf8(json).unwrap();
        assert!(text.contains(&old));
        let new = text.replace(&old, with);
        conn.execute(
            "UPDATE events SET json = ?1 WHERE seq = ?2",
            rusqlite::params![new.into_bytes(), seq as i64],
        )
        .unwrap();
    };
    // Event 520: the signature of event 519 (a valid signature, over another message); then
    // event 450: all zeros (R = the encoding of a point of order 4, S = 0).
    let other = hex::encode(events[519].signatures()[0].sig.as_bytes());
    spoil(520, &other);
    let ledger = custodia::Ledger::open(&path, custodia::Options::new()).unwrap();
    let r = ledger.verify().unwrap();
    let f = r.failure.expect("a spoilt signature must fail");
    assert_eq!(
        (f.code(), f.index()),
        (ErrorCode::BadSignature, Some(520)),
        "{f}"
    );
    assert_eq!(f.field(), Some("/signatures/0"));
    assert_eq!(
        f.values()["key"],
        json!(events[520].signatures()[0].key.to_hex())
    );
    drop(ledger);
    spoil(450, &"00".repeat(64));
    let ledger = custodia::Ledger::open(&path, custodia::Options::new()).unwrap();
    let f = ledger
        .verify()
        .unwrap()
        .failure
        .expect("two spoilt signatures");
    assert_eq!(
        (f.code(), f.index()),
        (ErrorCode::BadSignature, Some(450)),
        "{f}"
    );
    assert_eq!(f.event(), Some(events[450].id()));
}
