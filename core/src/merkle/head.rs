//! Signed tree heads: a size and a root, signed by the ledger's own Ed25519 key.
//!
//! The signature is Ed25519 (RFC 8032) over the 32 bytes of
//! `SHA-256("custodia-tree-head-v1" || 0x00 || size as 8 bytes big-endian || root)`.
//! The domain prefix is not JSON, so the digest can never equal an event id and a tree head
//! signature can never pass for a signature on an event.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::event::{Signature, Signer};
use crate::merkle::Hash;
use crate::model::{EventId, PublicKey};

/// Domain separation prefix of the tree head digest.
const TREE_HEAD_DOMAIN: &[u8] = b"custodia-tree-head-v1\0";

/// The digest a tree head signature covers.
pub fn tree_head_message(size: u64, root: &Hash) -> EventId {
    let mut h = Sha256::new();
    h.update(TREE_HEAD_DOMAIN);
    h.update(size.to_be_bytes());
    h.update(root);
    EventId::from_bytes(h.finalize().into())
}

/// A tree head as published: `{"size", "root", "signatures": [{"key", "sig"}]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTreeHead {
    /// Number of leaves.
    pub size: u64,
    /// Root hash, hex on the wire.
    #[serde(with = "hex_hash")]
    pub root: Hash,
    /// Signatures by the ledger key (one today; a list so that witnesses can co-sign).
    pub signatures: Vec<Signature>,
}

/// Why a tree head does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TreeHeadError {
    /// No signature by the expected key.
    #[error("tree head of size {size} carries no signature by key `{key}`")]
    NotSigned {
        /// The size.
        size: u64,
        /// The key expected.
        key: PublicKey,
    },
    /// The signature does not verify.
    #[error("tree head of size {size}: signature by key `{key}` does not verify")]
    BadSignature {
        /// The size.
        size: u64,
        /// The key.
        key: PublicKey,
    },
}

impl SignedTreeHead {
    /// Signs a tree head with the ledger key.
    pub fn sign(size: u64, root: Hash, key: &Signer) -> Self {
        let sig = key.sign(&tree_head_message(size, &root));
        Self {
            size,
            root,
            signatures: vec![sig],
        }
    }
    /// A head from stored parts; `None` when the signature bytes are not 64 bytes.
    pub fn from_parts(size: u64, root: Hash, key: PublicKey, sig: &[u8]) -> Option<Self> {
        if sig.len() != 64 {
            return None;
        }
        let value = serde_json::json!({"key": key.to_string(), "sig": hex::encode(sig)});
        let signature: Signature = serde_json::from_value(value).ok()?;
        Some(Self {
            size,
            root,
            signatures: vec![signature],
        })
    }
    /// Checks the signature by `key`.
    pub fn verify(&self, key: &PublicKey) -> Result<(), TreeHeadError> {
        let sig =
            self.signatures
                .iter()
                .find(|s| &s.key == key)
                .ok_or(TreeHeadError::NotSigned {
                    size: self.size,
                    key: *key,
                })?;
        sig.verify(&tree_head_message(self.size, &self.root))
            .map_err(|_| TreeHeadError::BadSignature {
                size: self.size,
                key: *key,
            })
    }
}

mod hex_hash {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        crate::merkle::hash_from_hex(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not 64 hex digits")))
    }
}
