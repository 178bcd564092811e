//! Signed tree heads as C2SP checkpoints (`tlog-checkpoint`): the log's origin line, the tree
//! size in decimal and the base64 root, each ending in a newline, signed with Ed25519 by the
//! log key as a signed note (`signed-note`). The text signed is exactly the checkpoint body, so
//! a stored head can be printed as a checkpoint that any C2SP verifier checks.

use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::merkle::Hash;
use crate::model::PublicKey;

/// The checkpoint body of a tree head: `ORIGIN\nSIZE\nBASE64(ROOT)\n`.
pub fn checkpoint_body(origin: &str, size: u64, root: &Hash) -> String {
    format!(
        "{origin}\n{size}\n{}\n",
        base64::engine::general_purpose::STANDARD.encode(root)
    )
}

/// Whether `signature` is the log key's valid Ed25519 signature over the checkpoint body
/// (strict RFC 8032 verification).
pub fn verify_head(
    key: &PublicKey,
    origin: &str,
    size: u64,
    root: &Hash,
    signature: &[u8; 64],
) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(key.as_bytes()) else {
        return false;
    };
    key.verify_strict(
        checkpoint_body(origin, size, root).as_bytes(),
        &Signature::from_bytes(signature),
    )
    .is_ok()
}
