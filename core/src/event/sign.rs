//! Ed25519 signatures over the 32 raw bytes of an event id (RFC 8032, via `ed25519-dalek`).

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{EventId, PublicKey};

/// A signature on an event: `{"key": hex public key, "sig": hex 64-byte signature}`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Signature {
    /// The signing key.
    pub key: PublicKey,
    /// The signature over the event id's 32 bytes.
    pub sig: SigBytes,
}

/// 64 signature bytes, hex on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SigBytes(pub [u8; 64]);

impl fmt::Debug for SigBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigBytes({})", hex::encode(self.0))
    }
}

impl Serialize for SigBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for SigBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 64];
        let lower = s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !lower || hex::decode_to_slice(&s, &mut out).is_err() {
            return Err(serde::de::Error::custom(format!(
                "signature `{s}` must be 128 lowercase hex digits"
            )));
        }
        Ok(SigBytes(out))
    }
}

/// Why a signature does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The key bytes are not a valid Ed25519 point.
    #[error("key `{key}` is not a valid Ed25519 public key")]
    BadKey {
        /// The key.
        key: PublicKey,
    },
    /// The signature does not verify.
    #[error("signature by key `{key}` does not verify over event `{event}`")]
    Invalid {
        /// The key.
        key: PublicKey,
        /// The event.
        event: EventId,
    },
}

impl Signature {
    /// Verifies this signature over an event id (strict RFC 8032 verification).
    pub fn verify(&self, id: &EventId) -> Result<(), SignatureError> {
        let key = VerifyingKey::from_bytes(self.key.as_bytes())
            .map_err(|_| SignatureError::BadKey { key: self.key })?;
        let sig = ed25519_dalek::Signature::from_bytes(&self.sig.0);
        // Strict verification refuses small-order keys and non-canonical signatures, so one
        // signature has exactly one valid encoding and cannot be malleated.
        key.verify_strict(id.as_bytes(), &sig)
            .map_err(|_| SignatureError::Invalid {
                key: self.key,
                event: *id,
            })
    }
}

/// An Ed25519 signing key.
pub struct Signer(SigningKey);

impl Signer {
    /// From a 32-byte secret seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        Self(SigningKey::generate(&mut rand_core::OsRng))
    }
    /// The secret seed (keep it secret).
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_bytes(self.0.verifying_key().to_bytes())
    }
    /// Signs an event id.
    pub fn sign(&self, id: &EventId) -> Signature {
        Signature {
            key: self.public_key(),
            sig: SigBytes(self.0.sign(id.as_bytes()).to_bytes()),
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.public_key())
    }
}
