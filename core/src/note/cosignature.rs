//! The `cosignature/v1` message and signature layout of c2sp.org/tlog-cosignature: what a
//! witness signs with signature type `0x04`, and how the timestamp travels with the signature.
//!
//! Signing and verifying live on [`SignerKey::cosign`](super::SignerKey::cosign) and
//! [`VerifierKey::verify_cosignature`](super::VerifierKey::verify_cosignature); this file owns
//! only the bytes.

use super::checkpoint::Checkpoint;
use super::error::NoteError;
use super::key::ED25519_SIGNATURE_BYTES;

/// The largest timestamp a cosignature may carry: the spec caps it at 2^63 − 1.
pub const COSIGNATURE_TIMESTAMP_MAX: u64 = (1 << 63) - 1;

/// Bytes of the timestamp that opens a cosignature.
const TIMESTAMP_BYTES: usize = 8;

/// Bytes of an Ed25519 `timestamped_signature`: the timestamp, then the Ed25519 signature.
pub const COSIGNATURE_BYTES: usize = TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES;

/// The exact bytes an Ed25519 `cosignature/v1` signs for `checkpoint` at `timestamp`:
///
/// ```text
/// cosignature/v1
/// time <timestamp, decimal, no leading zeros>
/// <the checkpoint text: origin, size, root hash, extension lines, each ending in a newline>
/// ```
///
/// Extension lines are part of the checkpoint text, so they are signed too.
pub fn message(checkpoint: &Checkpoint, timestamp: u64) -> Result<Vec<u8>, NoteError> {
    if timestamp > COSIGNATURE_TIMESTAMP_MAX {
        return Err(NoteError::CosignatureTimestamp { timestamp });
    }
    Ok(message_for_text(&checkpoint.to_text(), timestamp))
}

/// The message over any note text. Verification of a note uses this: the text of a note is
/// verified as written, whether or not it parses as a checkpoint.
pub(super) fn message_for_text(text: &str, timestamp: u64) -> Vec<u8> {
    // `u64`'s `Display` is plain decimal without leading zeros ("0" for zero), as required.
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}

/// Splits the bytes of a `timestamped_signature` into the timestamp (big-endian) and the
/// Ed25519 signature; `None` unless exactly [`COSIGNATURE_BYTES`] long.
pub(super) fn split(bytes: &[u8]) -> Option<(u64, [u8; ED25519_SIGNATURE_BYTES])> {
    let (timestamp, sig) = bytes.split_first_chunk::<TIMESTAMP_BYTES>()?;
    let sig = <[u8; ED25519_SIGNATURE_BYTES]>::try_from(sig).ok()?;
    Some((u64::from_be_bytes(*timestamp), sig))
}

#[cfg(test)]
mod tests {
    use super::super::{KeyName, NoteSignature, SignatureType, SignerKey, Verifiers};
    use super::*;

    fn checkpoint() -> Checkpoint {
        Checkpoint::new(
            "example.com/behind-the-sofa",
            20852163,
            [0x0a; 32],
            Vec::new(),
        )
        .unwrap()
    }

    fn witness() -> SignerKey {
        SignerKey::from_seed(
            KeyName::new("witness.example.com/w1").unwrap(),
            SignatureType::CosignatureV1,
            [9; 32],
        )
    }

    #[test]
    fn message_is_the_spec_layout() {
        let cp = Checkpoint::new(
            "example.com/behind-the-sofa",
            20852163,
            [0x0a; 32],
            vec!["ext one".to_owned()],
        )
        .unwrap();
        let m = message(&cp, 1679315147).unwrap();
        assert_eq!(
            String::from_utf8(m).unwrap(),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n\
             CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo=\next one\n"
        );
        assert!(
            String::from_utf8(message(&cp, 0).unwrap())
                .unwrap()
                .starts_with("cosignature/v1\ntime 0\n")
        );
        assert_eq!(
            message(&cp, COSIGNATURE_TIMESTAMP_MAX + 1),
            Err(NoteError::CosignatureTimestamp { timestamp: 1 << 63 })
        );
    }

    #[test]
    fn cosignature_carries_its_timestamp_and_verifies() {
        let w = witness();
        let cp = checkpoint();
        let sig = w.cosign(&cp, 1679315147).unwrap();
        assert_eq!(sig.signature().len(), COSIGNATURE_BYTES);
        assert_eq!(
            sig.signature().get(..8),
            Some(&1679315147u64.to_be_bytes()[..])
        );
        assert_eq!(w.verifier().verify_cosignature(&cp, &sig), Ok(1679315147));
        // The Ed25519 part is over exactly the message above.
        let vk = ed25519_dalek::VerifyingKey::from_bytes(w.verifier().public_key()).unwrap();
        let (_, ed) = split(sig.signature()).unwrap();
        vk.verify_strict(
            &message(&cp, 1679315147).unwrap(),
            &ed25519_dalek::Signature::from_bytes(&ed),
        )
        .unwrap();
    }

    #[test]
    fn altered_timestamp_checkpoint_or_length_fails() {
        let w = witness();
        let cp = checkpoint();
        let sig = w.cosign(&cp, 1679315147).unwrap();
        let invalid = Err(NoteError::SignatureInvalid {
            name: "witness.example.com/w1".to_owned(),
            key_id: w.key_id(),
        });
        let mut bytes = sig.signature().to_vec();
        bytes[7] ^= 1;
        let later = NoteSignature::new(w.name().clone(), w.key_id(), bytes).unwrap();
        assert_eq!(w.verifier().verify_cosignature(&cp, &later), invalid);
        let other =
            Checkpoint::new("example.com/behind-the-sofa", 20852164, [0x0a; 32], vec![]).unwrap();
        assert_eq!(w.verifier().verify_cosignature(&other, &sig), invalid);
        let short = NoteSignature::new(
            w.name().clone(),
            w.key_id(),
            sig.signature()[..COSIGNATURE_BYTES - 1].to_vec(),
        )
        .unwrap();
        assert_eq!(w.verifier().verify_cosignature(&cp, &short), invalid);
    }

    #[test]
    fn timestamps_above_the_cap_are_refused_both_ways() {
        let w = witness();
        let cp = checkpoint();
        assert_eq!(
            w.cosign(&cp, u64::MAX),
            Err(NoteError::CosignatureTimestamp {
                timestamp: u64::MAX
            })
        );
        // A forged signature whose timestamp has the top bit set is refused for the timestamp
        // before any signature check.
        let mut bytes = w.cosign(&cp, 5).unwrap().signature().to_vec();
        bytes[0] = 0x80;
        let sig = NoteSignature::new(w.name().clone(), w.key_id(), bytes).unwrap();
        assert_eq!(
            w.verifier().verify_cosignature(&cp, &sig),
            Err(NoteError::CosignatureTimestamp {
                timestamp: (1 << 63) + 5
            })
        );
    }

    #[test]
    fn cosigned_note_verifies_through_the_verifier_set() {
        let w = witness();
        let cp = checkpoint();
        let mut note = cp.to_note();
        note.add_signature(w.cosign(&cp, 1700000000).unwrap())
            .unwrap();
        let verifiers = Verifiers::new([w.verifier().clone()]).unwrap();
        let v = note.verify(&verifiers).unwrap();
        assert_eq!(v.verified().len(), 1);
        assert_eq!(v.verified()[0].timestamp(), Some(1700000000));
        assert_eq!(
            v.verified()[0].signature_type(),
            SignatureType::CosignatureV1
        );
    }
}
