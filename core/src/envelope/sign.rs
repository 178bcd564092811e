//! Ed25519 signatures over the 32 raw bytes of an event id (RFC 8032 signing via
//! `ed25519-dalek`; verification in [`crate::sigcheck`]).

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey};
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
pub struct SigBytes(pub(crate) [u8; 64]);

impl SigBytes {
    /// The raw 64 bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Debug for SigBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigBytes({})", hex::encode(self.0))
    }
}

impl Serialize for SigBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut digits = [0u8; 128];
        s.serialize_str(crate::model::hex::encode_into(&self.0, &mut digits))
    }
}

impl<'de> Deserialize<'de> for SigBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(crate::model::hex::StrVisitor(
            |s: &str| {
                crate::model::hex::decode_lower::<64>(s)
                    .map(SigBytes)
                    .ok_or_else(|| format!("signature `{s}` must be 128 lowercase hex digits"))
            },
            "128 lowercase hex digits",
        ))
    }
}

impl Signature {
    /// Verifies this signature over an event id under custodia's rule (ZIP 215 with its key
    /// and R rules, [`crate::sigcheck`]): the same verdict as the batched check.
    pub fn verify(&self, id: &EventId) -> bool {
        crate::sigcheck::verify_one(self.key.as_bytes(), id.as_bytes(), &self.sig.0)
    }
}

impl<B: Sync> crate::sigcheck::Signed for super::SignedEvent<B> {
    fn message(&self) -> &[u8] {
        self.id.as_bytes()
    }
    fn signature_count(&self) -> usize {
        self.signatures.len()
    }
    fn signature(&self, i: usize) -> Option<(&[u8; 32], &[u8; 64])> {
        self.signatures
            .get(i)
            .map(|s| (s.key.as_bytes(), s.sig.as_bytes()))
    }
}

/// Refuses a public key that no honest signer has, by the rules of format version 1: bytes that
/// are not a curve point, a non-canonical encoding of one (y at or above the field prime), or a
/// point of small order (the identity, the order-2 point, ...), under which forged signatures
/// verify in lenient verifiers. A key of mixed order passes (see [`check_registered_key`]).
pub fn check_public_key(key: &PublicKey) -> crate::error::Result<()> {
    use crate::sigcheck::KeyFault;
    match crate::sigcheck::key_fault(key.as_bytes()) {
        Some(KeyFault::NotCanonical | KeyFault::SmallOrder) => Err(crate::error::Error::new(
            crate::error::ErrorKind::InvalidPublicKey { key: key.to_hex() },
        )),
        Some(KeyFault::MixedOrder) | None => Ok(()),
    }
}

/// The check on a key an event of format version `version` registers: [`check_public_key`],
/// and from version 2 on a key of mixed order (with a torsion component) is refused too
/// (`MixedOrderKey`). Whatever the version, nothing a mixed-order key signs verifies.
pub fn check_registered_key(key: &PublicKey, version: u32) -> crate::error::Result<()> {
    use crate::sigcheck::KeyFault;
    // One look at the point (its torsion check is a scalar multiplication, paid on every
    // registration an opening or a verify replays), judged as `check_public_key` would first.
    let kind = match crate::sigcheck::key_fault(key.as_bytes()) {
        Some(KeyFault::NotCanonical | KeyFault::SmallOrder) => {
            crate::error::ErrorKind::InvalidPublicKey { key: key.to_hex() }
        }
        Some(KeyFault::MixedOrder) if version >= 2 => {
            crate::error::ErrorKind::MixedOrderKey { key: key.to_hex() }
        }
        Some(KeyFault::MixedOrder) | None => return Ok(()),
    };
    Err(crate::error::Error::new(kind))
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
    /// Signs arbitrary bytes (a tree head's checkpoint, a note).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
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

/// A key file as `custodia keygen` writes it: `{"actor", "public_key", "secret_seed"}`.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actor: Option<String>,
    public_key: PublicKey,
    secret_seed: String,
}

fn key_file_error(path: &std::path::Path, reason: impl Into<String>) -> crate::error::Error {
    crate::error::Error::new(crate::error::ErrorKind::KeyFileInvalid {
        path: path.display().to_string(),
        reason: reason.into(),
    })
}

impl Signer {
    /// Writes this key to a new key file readable by its owner only (mode 0600). Refuses a
    /// path that exists, including a symbolic link, so a secret is never written elsewhere.
    pub fn write_key_file(
        &self,
        path: &std::path::Path,
        actor: Option<&str>,
    ) -> crate::error::Result<()> {
        use std::io::Write as _;
        let doc = KeyFile {
            actor: actor.map(str::to_owned),
            public_key: self.public_key(),
            secret_seed: hex::encode(self.seed()),
        };
        let text = serde_json::to_string(&doc).map_err(|e| key_file_error(path, e.to_string()))?;
        let mut options = std::fs::OpenOptions::new();
        // `create_new` is O_CREAT|O_EXCL: it fails on any existing path, a dangling link too.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let io = |operation: &str, e: std::io::Error| {
            crate::error::Error::new(crate::error::ErrorKind::Io {
                operation: operation.into(),
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        let mut file = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                crate::error::Error::new(crate::error::ErrorKind::FileExists {
                    path: path.display().to_string(),
                })
            } else {
                io("create", e)
            }
        })?;
        file.write_all(format!("{text}\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io("write", e))
    }

    /// Reads a key file. Refuses one that its group or other users can read (the secret would
    /// not be secret) and one whose public key does not match its seed.
    pub fn read_key_file(path: &std::path::Path) -> crate::error::Result<Signer> {
        let meta = std::fs::metadata(path).map_err(|e| key_file_error(path, e.to_string()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(key_file_error(
                    path,
                    format!(
                        "it is readable by others (mode {:o}); run `chmod 600` on it",
                        mode & 0o777
                    ),
                ));
            }
        }
        if meta.len() > 4096 {
            return Err(key_file_error(path, "it is larger than a key file"));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| key_file_error(path, e.to_string()))?;
        let doc: KeyFile = serde_json::from_str(&text)
            .map_err(|e| key_file_error(path, format!("not a custodia key file: {e}")))?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(&doc.secret_seed, &mut seed)
            .map_err(|_| key_file_error(path, "`secret_seed` is not 64 hex digits"))?;
        let signer = Signer::from_seed(seed);
        if signer.public_key() != doc.public_key {
            return Err(key_file_error(
                path,
                "`public_key` does not belong to `secret_seed`",
            ));
        }
        Ok(signer)
    }
}

/// Signs tree heads for a ledger: the log key. [`Signer`] implements it with a key in memory;
/// a hardware security module or a remote signing service can implement it too. The log key
/// never lives in the ledger file (see `docs/TRUST.md`).
pub trait HeadSigner: Send + Sync {
    /// The public key that verifies the signatures.
    fn public_key(&self) -> PublicKey;
    /// Signs `message` (Ed25519, RFC 8032). A signer that cannot sign returns an error, and the
    /// append that needed the signature writes nothing.
    fn sign(&self, message: &[u8]) -> crate::error::Result<[u8; 64]>;
}

impl HeadSigner for Signer {
    fn public_key(&self) -> PublicKey {
        Signer::public_key(self)
    }
    fn sign(&self, message: &[u8]) -> crate::error::Result<[u8; 64]> {
        Ok(self.sign_bytes(message))
    }
}
