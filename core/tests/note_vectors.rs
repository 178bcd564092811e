//! Vectors for the C2SP note formats (`custodia::note`).
//!
//! Two sets: the signed-note vectors of Go's `golang.org/x/mod/sumdb/note` tests
//! (`/work/shared/c2sp/README.md`), reproduced byte for byte; and our own vectors,
//! `docs/vectors/note.json` (a log key, a checkpoint it signed, a witness cosignature on it),
//! rebuilt here from fixed seeds and compared byte for byte with the committed file, which
//! `docs/vectors/check_note.py` checks independently from Python.
//!
//! Regenerate after a deliberate format change with
//! `CUSTODIA_REGENERATE_VECTORS=1 cargo test -p custodia --test note_vectors`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use custodia::note::{
    Checkpoint, KeyId, KeyName, NOTE_SIGNATURES_MAX, Note, NoteError, NoteSignature, SignatureType,
    SignerKey, VerifierKey, Verifiers, cosignature_message,
};
use serde::Serialize;

// ---------------------------------------------------------------------------------------------
// Go's sumdb/note vectors.

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG_BASE64: &str =
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=";

fn enoch_sig() -> String {
    format!("— EnochRoot {ENOCH_SIG_BASE64}\n")
}

fn verifiers(keys: &[&str]) -> Verifiers {
    Verifiers::new(keys.iter().map(|k| VerifierKey::parse(k).unwrap())).unwrap()
}

#[test]
fn go_signing_reproduces_the_signed_note() {
    let signer = SignerKey::parse(PETER_SKEY).unwrap();
    assert_eq!(signer.name().as_str(), "PeterNeumann");
    assert_eq!(signer.key_id(), KeyId::from_u32(0xc74f20a3));
    assert_eq!(signer.verifier().to_string(), PETER_VKEY);
    let mut note = Note::new(TEXT).unwrap();
    note.sign(&signer).unwrap();
    assert_eq!(note.serialize().unwrap(), format!("{TEXT}\n{PETER_SIG}"));
}

#[test]
fn go_verifier_keys_parse_with_their_key_ids() {
    for (vkey, name, id) in [
        (PETER_VKEY, "PeterNeumann", 0xc74f20a3),
        (ENOCH_VKEY, "EnochRoot", 0xaf0cfe78),
    ] {
        let key = VerifierKey::parse(vkey).unwrap();
        assert_eq!(key.name().as_str(), name);
        assert_eq!(key.signature_type(), SignatureType::Ed25519);
        assert_eq!(key.key_id(), KeyId::from_u32(id));
        assert_eq!(
            KeyId::compute(key.name(), SignatureType::Ed25519, key.public_key()),
            KeyId::from_u32(id)
        );
        assert_eq!(key.to_string(), vkey);
    }
}

#[test]
fn go_signed_note_verifies_with_both_keys() {
    let wire = format!("{TEXT}\n{PETER_SIG}{}", enoch_sig());
    let note = Note::parse(wire.as_bytes()).unwrap();
    assert_eq!(note.text(), TEXT);
    assert_eq!(note.serialize().unwrap(), wire);

    let both = note.verify(&verifiers(&[PETER_VKEY, ENOCH_VKEY])).unwrap();
    let names: Vec<&str> = both.verified().iter().map(|v| v.name().as_str()).collect();
    assert_eq!(names, ["PeterNeumann", "EnochRoot"]);
    assert!(both.unknown().is_empty());

    // EnochRoot's signature value, as Go's tests give it.
    let enoch = &note.signatures()[1];
    assert_eq!(enoch.key_id(), KeyId::from_u32(0xaf0cfe78));
    assert_eq!(enoch.to_line(), enoch_sig());

    // Each key alone: its signature verifies, the other is unknown and ignored.
    let peter_only = note.verify(&verifiers(&[PETER_VKEY])).unwrap();
    assert_eq!(peter_only.verified()[0].name().as_str(), "PeterNeumann");
    assert_eq!(peter_only.unknown(), &note.signatures()[1..]);
    let enoch_only = note.verify(&verifiers(&[ENOCH_VKEY])).unwrap();
    assert_eq!(enoch_only.verified()[0].name().as_str(), "EnochRoot");
    assert_eq!(enoch_only.unknown(), &note.signatures()[..1]);

    // Go re-signs by appending: Peter's note signed again by Enoch's key would be this note.
    let mut resigned = Note::parse(format!("{TEXT}\n{PETER_SIG}").as_bytes()).unwrap();
    resigned.add_signature(enoch.clone()).unwrap();
    assert_eq!(resigned.serialize().unwrap(), wire);
}

#[test]
fn go_malformed_notes_are_rejected() {
    let bad_name = "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
    let mut cases: Vec<(Vec<u8>, NoteError)> = vec![
        (TEXT.into(), NoteError::NoBlankLine),
        (format!("{TEXT}\n").into(), NoteError::NoSignatures),
        (
            format!("{TEXT}\n{}", PETER_SIG.strip_suffix('\n').unwrap()).into(),
            NoteError::MissingFinalNewline,
        ),
        (
            format!("\x01{TEXT}\n{PETER_SIG}").into(),
            NoteError::ControlCharacter { offset: 0, byte: 1 },
        ),
        // Go's vector, without a final newline (as in Go's test) and with one, so that the
        // name is what fails.
        (
            format!("{TEXT}\n{bad_name}").into(),
            NoteError::MissingFinalNewline,
        ),
        (
            format!("{TEXT}\n{bad_name}\n").into(),
            NoteError::SignatureLineMalformed { line: 4 },
        ),
        (
            format!("{TEXT}\n{PETER_SIG}Unexpected line.\n").into(),
            NoteError::SignatureLineMalformed { line: 5 },
        ),
        (
            format!("{TEXT}\n{}", PETER_SIG.repeat(NOTE_SIGNATURES_MAX + 1)).into(),
            NoteError::TooManySignatures {
                signatures_max: NOTE_SIGNATURES_MAX,
            },
        ),
    ];
    let mut leading_ff = vec![0xff];
    leading_ff.extend_from_slice(format!("{TEXT}\n{PETER_SIG}").as_bytes());
    cases.push((leading_ff, NoteError::NotUtf8 { offset: 0 }));
    for (bytes, want) in cases {
        assert_eq!(
            Note::parse(&bytes),
            Err(want),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
    // A corrupted signature by a known key rejects the note (Go inserts "ABCD" at byte 60).
    let corrupt = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    let note = Note::parse(format!("{TEXT}\n{corrupt}").as_bytes()).unwrap();
    assert_eq!(
        note.verify(&verifiers(&[PETER_VKEY])),
        Err(NoteError::SignatureInvalid {
            name: "PeterNeumann".to_owned(),
            key_id: KeyId::from_u32(0xc74f20a3),
        })
    );
    // No known key at all.
    let note = Note::parse(format!("{TEXT}\n{PETER_SIG}").as_bytes()).unwrap();
    assert_eq!(
        note.verify(&verifiers(&[ENOCH_VKEY])),
        Err(NoteError::NoVerifiedSignature { unknown: 1 })
    );
}

// ---------------------------------------------------------------------------------------------
// Checkpoints and cosignatures.

const LOG_NAME: &str = "example.invalid/custodia/test";
const LOG_SEED: [u8; 32] = [0x07; 32];
const WITNESS_NAME: &str = "witness.example/w1";
const WITNESS_SEED: [u8; 32] = [0x09; 32];
const TIMESTAMP: u64 = 1_700_000_000;
const SIZE: u64 = 5;
const ROOT: [u8; 32] = [0x11; 32];

fn log_key() -> SignerKey {
    SignerKey::from_seed(
        KeyName::new(LOG_NAME).unwrap(),
        SignatureType::Ed25519,
        LOG_SEED,
    )
}

fn witness_key() -> SignerKey {
    SignerKey::from_seed(
        KeyName::new(WITNESS_NAME).unwrap(),
        SignatureType::CosignatureV1,
        WITNESS_SEED,
    )
}

fn checkpoint() -> Checkpoint {
    Checkpoint::new(LOG_NAME, SIZE, ROOT, Vec::new()).unwrap()
}

#[test]
fn checkpoints_round_trip_through_signed_notes() {
    let log = log_key();
    for cp in [
        checkpoint(),
        Checkpoint::new(LOG_NAME, 0, [0; 32], Vec::new()).unwrap(),
        Checkpoint::new(LOG_NAME, u64::MAX, ROOT, vec!["ext a".into(), "— b".into()]).unwrap(),
    ] {
        let note = cp.sign(&log).unwrap();
        let wire = note.serialize().unwrap();
        let (opened, verification) = Checkpoint::open(
            wire.as_bytes(),
            &Verifiers::new([log.verifier().clone()]).unwrap(),
        )
        .unwrap();
        assert_eq!(opened, cp);
        assert_eq!(verification.verified()[0].key_id(), log.key_id());
        assert_eq!(Checkpoint::parse(&cp.to_text()), Ok(cp));
    }
    // `open` refuses before reading the text when no trusted key signed.
    let wire = checkpoint().sign(&log).unwrap().serialize().unwrap();
    assert_eq!(
        Checkpoint::open(wire.as_bytes(), &verifiers(&[PETER_VKEY])),
        Err(NoteError::NoVerifiedSignature { unknown: 1 })
    );
}

#[test]
fn cosignature_is_produced_and_verified_with_its_timestamp() {
    let witness = witness_key();
    let cp = checkpoint();
    let sig = witness.cosign(&cp, TIMESTAMP).unwrap();
    assert_eq!(sig.key_id(), witness.key_id());
    assert_eq!(&sig.signature()[..8], &TIMESTAMP.to_be_bytes());
    assert_eq!(
        witness.verifier().verify_cosignature(&cp, &sig),
        Ok(TIMESTAMP)
    );
    assert_eq!(
        String::from_utf8(cosignature_message(&cp, TIMESTAMP).unwrap()).unwrap(),
        format!("cosignature/v1\ntime {TIMESTAMP}\n{}", cp.to_text())
    );
}

#[test]
fn cosignature_with_altered_timestamp_or_checkpoint_is_rejected() {
    let witness = witness_key();
    let cp = checkpoint();
    let sig = witness.cosign(&cp, TIMESTAMP).unwrap();
    let invalid_error = NoteError::SignatureInvalid {
        name: WITNESS_NAME.to_owned(),
        key_id: witness.key_id(),
    };
    let invalid = Err(invalid_error.clone());

    let mut bytes = sig.signature().to_vec();
    bytes[..8].copy_from_slice(&(TIMESTAMP + 1).to_be_bytes());
    let moved = NoteSignature::new(sig.name().clone(), sig.key_id(), bytes).unwrap();
    assert_eq!(witness.verifier().verify_cosignature(&cp, &moved), invalid);

    for other in [
        Checkpoint::new(LOG_NAME, SIZE + 1, ROOT, Vec::new()).unwrap(),
        Checkpoint::new(LOG_NAME, SIZE, [0x12; 32], Vec::new()).unwrap(),
        Checkpoint::new("example.invalid/other", SIZE, ROOT, Vec::new()).unwrap(),
        Checkpoint::new(LOG_NAME, SIZE, ROOT, vec!["extension".into()]).unwrap(),
    ] {
        assert_eq!(witness.verifier().verify_cosignature(&other, &sig), invalid);
    }

    // Inside a note: the altered cosignature rejects the whole note.
    let mut note = cp.sign(&log_key()).unwrap();
    note.add_signature(moved).unwrap();
    let trusted =
        Verifiers::new([log_key().verifier().clone(), witness.verifier().clone()]).unwrap();
    assert_eq!(note.verify(&trusted), Err(invalid_error));
}

// ---------------------------------------------------------------------------------------------
// docs/vectors/note.json

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/note.json")
}

#[derive(Serialize)]
struct VectorFile {
    description: &'static str,
    generator: &'static str,
    specs: [&'static str; 3],
    log: KeyVector,
    witness: KeyVector,
    checkpoint: CheckpointVector,
    checkpoint_note: String,
    cosignature: CosignatureVector,
    cosigned_note: String,
}

#[derive(Serialize)]
struct KeyVector {
    name: String,
    signature_type: u8,
    seed_hex: String,
    public_key_hex: String,
    key_id: String,
    verifier_key: String,
}

#[derive(Serialize)]
struct CheckpointVector {
    origin: String,
    size: u64,
    root_hex: String,
    text: String,
}

#[derive(Serialize)]
struct CosignatureVector {
    timestamp: u64,
    message: String,
    signature_line: String,
}

fn key_vector(key: &SignerKey, seed: &[u8; 32]) -> KeyVector {
    KeyVector {
        name: key.name().as_str().to_owned(),
        signature_type: key.signature_type().byte(),
        seed_hex: hex::encode(seed),
        public_key_hex: hex::encode(key.verifier().public_key()),
        key_id: key.key_id().to_string(),
        verifier_key: key.verifier().to_string(),
    }
}

fn render() -> String {
    let log = log_key();
    let witness = witness_key();
    let cp = checkpoint();
    let signed = cp.sign(&log).unwrap();
    let cosignature = witness.cosign(&cp, TIMESTAMP).unwrap();
    let mut cosigned = signed.clone();
    cosigned.add_signature(cosignature.clone()).unwrap();
    let file = VectorFile {
        description: "C2SP note vectors: an Ed25519 log key (seed 32 bytes of 0x07), a checkpoint it signed (signed-note type 0x01), and a cosignature/v1 by a witness key (seed 32 bytes of 0x09, type 0x04) on that checkpoint at a fixed timestamp",
        generator: "core/tests/note_vectors.rs (CUSTODIA_REGENERATE_VECTORS=1 cargo test -p custodia --test note_vectors)",
        specs: [
            "https://c2sp.org/signed-note",
            "https://c2sp.org/tlog-checkpoint",
            "https://c2sp.org/tlog-cosignature",
        ],
        log: key_vector(&log, &LOG_SEED),
        witness: key_vector(&witness, &WITNESS_SEED),
        checkpoint: CheckpointVector {
            origin: cp.origin().to_owned(),
            size: cp.size(),
            root_hex: hex::encode(cp.root()),
            text: cp.to_text(),
        },
        checkpoint_note: signed.serialize().unwrap(),
        cosignature: CosignatureVector {
            timestamp: TIMESTAMP,
            message: String::from_utf8(cosignature_message(&cp, TIMESTAMP).unwrap()).unwrap(),
            signature_line: cosignature.to_line(),
        },
        cosigned_note: cosigned.serialize().unwrap(),
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap();
    text.push('\n');
    text
}

/// The committed file (rewritten first, once per run, when regenerating).
fn committed() -> String {
    static REGENERATED: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("CUSTODIA_REGENERATE_VECTORS").is_some_and(|v| v == "1") {
        REGENERATED.call_once(|| std::fs::write(vectors_path(), render()).unwrap());
    }
    std::fs::read_to_string(vectors_path())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", vectors_path().display()))
}

#[test]
fn vectors_file_matches_the_generator() {
    assert_eq!(
        committed(),
        render(),
        "docs/vectors/note.json drifted from the generator"
    );
}

/// The committed file checks from its own contents too: the vkeys parse, the notes verify, the
/// cosignature carries the timestamp, and the checkpoint reads back.
#[test]
fn committed_vectors_verify() {
    let v: serde_json::Value = serde_json::from_str(&committed()).unwrap();
    let log = VerifierKey::parse(v["log"]["verifier_key"].as_str().unwrap()).unwrap();
    let witness = VerifierKey::parse(v["witness"]["verifier_key"].as_str().unwrap()).unwrap();
    assert_eq!(
        log.key_id().to_string(),
        v["log"]["key_id"].as_str().unwrap()
    );
    assert_eq!(
        witness.key_id().to_string(),
        v["witness"]["key_id"].as_str().unwrap()
    );
    assert_eq!(witness.signature_type(), SignatureType::CosignatureV1);

    let note = Note::parse(v["cosigned_note"].as_str().unwrap().as_bytes()).unwrap();
    let verification = note
        .verify(&Verifiers::new([log.clone(), witness.clone()]).unwrap())
        .unwrap();
    let got: Vec<(String, Option<u64>)> = verification
        .verified()
        .iter()
        .map(|s| (s.name().as_str().to_owned(), s.timestamp()))
        .collect();
    assert_eq!(
        got,
        [
            (LOG_NAME.to_owned(), None),
            (WITNESS_NAME.to_owned(), Some(TIMESTAMP))
        ]
    );
    let cp = Checkpoint::parse(note.text()).unwrap();
    assert_eq!((cp.origin(), cp.size(), cp.root()), (LOG_NAME, SIZE, &ROOT));
    assert_eq!(
        witness.verify_cosignature(&cp, &note.signatures()[1]),
        Ok(TIMESTAMP)
    );
    // The checkpoint note alone verifies with the log key and has no witness signature.
    let signed = Note::parse(v["checkpoint_note"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(signed.signatures().len(), 1);
    assert_eq!(
        signed.verify(&Verifiers::new([witness]).unwrap()),
        Err(NoteError::NoVerifiedSignature { unknown: 1 })
    );
}
