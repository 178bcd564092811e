//! Keys of signed notes: key names, key IDs, signature types, and the text encodings of
//! verifier keys (`<name>+<key ID>+<base64(type || public key)>`) and of Go's signer keys
//! (`PRIVATE+KEY+<name>+<key ID>+<base64(type || seed)>`), with signing and strict verifying.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::checkpoint::Checkpoint;
use super::cosignature::{self, COSIGNATURE_BYTES, COSIGNATURE_TIMESTAMP_MAX};
use super::error::NoteError;
use super::signed::{Note, NoteSignature};

/// Bytes of an Ed25519 public key or seed (RFC 8032).
pub const ED25519_KEY_BYTES: usize = 32;
/// Bytes of an Ed25519 signature (RFC 8032).
pub const ED25519_SIGNATURE_BYTES: usize = 64;

/// Prefix of Go's signer key encoding.
const SIGNER_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// The signature types this module implements, from the registry in c2sp.org/signed-note.
///
/// Both use Ed25519 keys; they differ in the message signed and the signature bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[non_exhaustive]
pub enum SignatureType {
    /// `0x01`: Ed25519 (RFC 8032) over the note text; the signature is the 64 Ed25519 bytes.
    Ed25519,
    /// `0x04`: timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature): Ed25519 over
    /// `cosignature/v1\ntime <t>\n` followed by the checkpoint text; the signature is the
    /// timestamp (8 bytes, big-endian) followed by the 64 Ed25519 bytes.
    CosignatureV1,
}

impl SignatureType {
    /// The type identifier byte.
    pub const fn byte(self) -> u8 {
        match self {
            Self::Ed25519 => 0x01,
            Self::CosignatureV1 => 0x04,
        }
    }

    /// The type with identifier byte `byte`, if this module implements it.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::Ed25519),
            0x04 => Some(Self::CosignatureV1),
            _ => None,
        }
    }
}

impl fmt::Display for SignatureType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ed25519 => f.write_str("`0x01` (Ed25519)"),
            Self::CosignatureV1 => f.write_str("`0x04` (cosignature/v1)"),
        }
    }
}

/// A key name: non-empty, without Unicode spaces, plus signs or control characters.
///
/// The spec forbids spaces and `+`; control characters are refused too because a signed note
/// may not contain them, so a name holding one could never appear on a signature line.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct KeyName(
    // INVARIANT (key-name): non-empty; no `char::is_whitespace` (Unicode White_Space, the same
    // set as Go's `unicode.IsSpace`), no `+`, no character below U+0020.
    String,
);

impl KeyName {
    /// Checks and wraps a key name.
    pub fn new(name: impl Into<String>) -> Result<Self, NoteError> {
        let name = name.into();
        if is_valid_key_name(&name) {
            Ok(Self(name))
        } else {
            Err(NoteError::KeyNameInvalid { name })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(super) fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < '\u{20}')
}

/// A key ID: the first four bytes, big-endian, of
/// `SHA-256(key name || 0x0A || signature type || public key)`.
///
/// Displayed as 8 lowercase hex digits, as in verifier key strings.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct KeyId(u32);

impl KeyId {
    /// Computes the key ID of a key, as c2sp.org/signed-note recommends and
    /// c2sp.org/tlog-cosignature requires.
    pub fn compute(
        name: &KeyName,
        signature_type: SignatureType,
        public_key: &[u8; ED25519_KEY_BYTES],
    ) -> Self {
        let mut h = Sha256::new();
        h.update(name.as_str().as_bytes());
        h.update([b'\n', signature_type.byte()]);
        h.update(public_key);
        let digest: [u8; 32] = h.finalize().into();
        let [b0, b1, b2, b3, ..] = digest;
        Self(u32::from_be_bytes([b0, b1, b2, b3]))
    }

    /// A key ID from its numeric value.
    pub const fn from_u32(value: u32) -> Self {
        Self(value)
    }

    /// The numeric value.
    pub const fn to_u32(self) -> u32 {
        self.0
    }

    /// The four bytes as they open a signature: big-endian.
    pub const fn to_be_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// Parses the 8 hex digits of a key ID in a key string. Go's `strconv.ParseUint(s, 16, 32)`
/// accepts either case, so both are accepted here; output is always lowercase.
fn parse_key_id_hex(hex: &str) -> Option<KeyId> {
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().map(KeyId)
}

/// A public key that verifies note signatures of one signature type, under one name.
///
/// Its text form (`Display`, [`VerifierKey::parse`]) is
/// `<name>+<8 hex digits key ID>+<base64(type byte || 32-byte public key)>`, Go's
/// `golang.org/x/mod/sumdb/note` encoding, which c2sp.org/tlog-cosignature calls a vkey.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VerifierKey {
    name: KeyName,
    signature_type: SignatureType,
    // INVARIANT (key-id): `key_id == KeyId::compute(name, signature_type, public_key)`.
    key_id: KeyId,
    // INVARIANT (strong-key): `public_key` is the canonical encoding of a point of large order,
    // and `verifying` is that point.
    public_key: [u8; ED25519_KEY_BYTES],
    verifying: VerifyingKey,
}

impl VerifierKey {
    /// A verifier key from a name, a type and a 32-byte Ed25519 public key. Refuses keys that
    /// are not canonically encoded points or are of small order: with such a key a signature
    /// can verify for many messages, so it identifies no one.
    pub fn new(
        name: KeyName,
        signature_type: SignatureType,
        public_key: [u8; ED25519_KEY_BYTES],
    ) -> Result<Self, NoteError> {
        let weak = || NoteError::WeakPublicKey {
            name: name.as_str().to_owned(),
        };
        let verifying = VerifyingKey::from_bytes(&public_key).map_err(|_| weak())?;
        // Decompression ignores the top bit and reduces y modulo p, so several encodings can
        // decompress to one point; only the canonical one identifies a key.
        if verifying.is_weak() || verifying.to_edwards().compress().to_bytes() != public_key {
            return Err(weak());
        }
        let key_id = KeyId::compute(&name, signature_type, &public_key);
        Ok(Self {
            name,
            signature_type,
            key_id,
            public_key,
            verifying,
        })
    }

    /// Parses `<name>+<key ID>+<base64(type || key)>`, checking the key ID against the key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let malformed = || NoteError::VerifierKeyMalformed {
            key: vkey.to_owned(),
        };
        // Names cannot contain `+`, so the first two `+` end the name and the key ID; base64
        // may contain `+`, so the rest is the key.
        let (name, rest) = vkey.split_once('+').ok_or_else(malformed)?;
        let (hex, key64) = rest.split_once('+').ok_or_else(malformed)?;
        let name = KeyName::new(name)?;
        let stated = parse_key_id_hex(hex).ok_or_else(malformed)?;
        let raw = STANDARD.decode(key64).map_err(|_| malformed())?;
        let (signature_type, public_key) = split_typed_key(&name, &raw)?;
        let key = Self::new(name, signature_type, public_key)?;
        check_key_id(&key.name, stated, key.key_id)?;
        Ok(key)
    }

    /// The key name.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The signature type.
    pub fn signature_type(&self) -> SignatureType {
        self.signature_type
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> &[u8; ED25519_KEY_BYTES] {
        &self.public_key
    }

    /// Checks that `signature` is by this key and verifies over `text`, the note text
    /// (including its final newline). Ed25519 verification is strict
    /// ([`VerifyingKey::verify_strict`]): non-canonical and small-order signature points fail.
    pub fn verify(
        &self,
        text: &str,
        signature: &NoteSignature,
    ) -> Result<VerifiedSignature, NoteError> {
        if signature.name() != &self.name || signature.key_id() != self.key_id {
            return Err(NoteError::NotThisKey {
                signature_name: signature.name().as_str().to_owned(),
                signature_key_id: signature.key_id(),
                key_name: self.name.as_str().to_owned(),
                key_id: self.key_id,
            });
        }
        let invalid = || NoteError::SignatureInvalid {
            name: self.name.as_str().to_owned(),
            key_id: self.key_id,
        };
        let timestamp = match self.signature_type {
            SignatureType::Ed25519 => {
                let sig = <[u8; ED25519_SIGNATURE_BYTES]>::try_from(signature.signature())
                    .map_err(|_| invalid())?;
                self.verify_ed25519(text.as_bytes(), &sig)
                    .ok_or_else(invalid)?;
                None
            }
            SignatureType::CosignatureV1 => {
                let (timestamp, sig) =
                    cosignature::split(signature.signature()).ok_or_else(invalid)?;
                if timestamp > COSIGNATURE_TIMESTAMP_MAX {
                    return Err(NoteError::CosignatureTimestamp { timestamp });
                }
                let message = cosignature::message_for_text(text, timestamp);
                self.verify_ed25519(&message, &sig).ok_or_else(invalid)?;
                Some(timestamp)
            }
        };
        Ok(VerifiedSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature_type: self.signature_type,
            timestamp,
        })
    }

    /// Verifies a `cosignature/v1` signature by this key on `checkpoint` and returns its
    /// timestamp (POSIX seconds). Whether the time is acceptable (not in the future, recent
    /// enough) is the caller's policy.
    pub fn verify_cosignature(
        &self,
        checkpoint: &Checkpoint,
        signature: &NoteSignature,
    ) -> Result<u64, NoteError> {
        self.expect_type(SignatureType::CosignatureV1)?;
        let verified = self.verify(&checkpoint.to_text(), signature)?;
        // A cosignature key always yields a timestamp; a missing one is a signature that
        // failed, never a default time.
        verified
            .timestamp()
            .ok_or_else(|| NoteError::SignatureInvalid {
                name: self.name.as_str().to_owned(),
                key_id: self.key_id,
            })
    }

    fn verify_ed25519(&self, message: &[u8], sig: &[u8; ED25519_SIGNATURE_BYTES]) -> Option<()> {
        let sig = Signature::from_bytes(sig);
        self.verifying.verify_strict(message, &sig).ok()
    }

    fn expect_type(&self, expected: SignatureType) -> Result<(), NoteError> {
        if self.signature_type == expected {
            Ok(())
        } else {
            Err(NoteError::WrongSignatureType {
                name: self.name.as_str().to_owned(),
                actual: self.signature_type,
                expected,
            })
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut typed = Vec::with_capacity(1 + ED25519_KEY_BYTES);
        typed.push(self.signature_type.byte());
        typed.extend_from_slice(&self.public_key);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(typed)
        )
    }
}

/// Splits `type byte || key material` and checks the length for the type.
fn split_typed_key(
    name: &KeyName,
    raw: &[u8],
) -> Result<(SignatureType, [u8; ED25519_KEY_BYTES]), NoteError> {
    let Some((&type_byte, key)) = raw.split_first() else {
        return Err(NoteError::KeyLength {
            name: name.as_str().to_owned(),
            bytes: 0,
            bytes_expected: ED25519_KEY_BYTES,
        });
    };
    let signature_type =
        SignatureType::from_byte(type_byte).ok_or_else(|| NoteError::UnknownSignatureType {
            name: name.as_str().to_owned(),
            type_byte,
        })?;
    let key = <[u8; ED25519_KEY_BYTES]>::try_from(key).map_err(|_| NoteError::KeyLength {
        name: name.as_str().to_owned(),
        bytes: key.len(),
        bytes_expected: ED25519_KEY_BYTES,
    })?;
    Ok((signature_type, key))
}

fn check_key_id(name: &KeyName, stated: KeyId, computed: KeyId) -> Result<(), NoteError> {
    if stated == computed {
        Ok(())
    } else {
        Err(NoteError::KeyIdMismatch {
            name: name.as_str().to_owned(),
            stated,
            computed,
        })
    }
}

/// A private key that signs notes of one signature type under one name.
///
/// Its `Debug` output shows the name and key ID, never the seed.
#[derive(Clone)]
pub struct SignerKey {
    // INVARIANT (signer-verifier): `verifier` is the public half of `signing`, with the same
    // name and type.
    verifier: VerifierKey,
    signing: SigningKey,
}

impl SignerKey {
    /// A signer from a name, a type and a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(
        name: KeyName,
        signature_type: SignatureType,
        seed: [u8; ED25519_KEY_BYTES],
    ) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let verifying = signing.verifying_key();
        let public_key = verifying.to_bytes();
        let key_id = KeyId::compute(&name, signature_type, &public_key);
        // Not through `VerifierKey::new`: a public key derived from a seed is a non-zero
        // multiple of the base point (the clamped scalar is never a multiple of its prime
        // order), so it is never weak, and its encoding is canonical by construction.
        let verifier = VerifierKey {
            name,
            signature_type,
            key_id,
            public_key,
            verifying,
        };
        Self { verifier, signing }
    }

    /// Parses Go's signer key encoding `PRIVATE+KEY+<name>+<key ID>+<base64(type || seed)>`,
    /// checking the key ID against the public key the seed gives.
    pub fn parse(skey: &str) -> Result<Self, NoteError> {
        let rest = skey
            .strip_prefix(SIGNER_KEY_PREFIX)
            .ok_or(NoteError::SignerKeyMalformed)?;
        let (name, rest) = rest.split_once('+').ok_or(NoteError::SignerKeyMalformed)?;
        let (hex, key64) = rest.split_once('+').ok_or(NoteError::SignerKeyMalformed)?;
        let name = KeyName::new(name)?;
        let stated = parse_key_id_hex(hex).ok_or(NoteError::SignerKeyMalformed)?;
        let raw = STANDARD
            .decode(key64)
            .map_err(|_| NoteError::SignerKeyMalformed)?;
        let (signature_type, seed) = split_typed_key(&name, &raw)?;
        let key = Self::from_seed(name, signature_type, seed);
        check_key_id(key.name(), stated, key.key_id())?;
        Ok(key)
    }

    /// Go's signer key encoding. The result is secret: anyone holding it can sign.
    pub fn to_private_string(&self) -> String {
        let mut typed = Vec::with_capacity(1 + ED25519_KEY_BYTES);
        typed.push(self.verifier.signature_type.byte());
        typed.extend_from_slice(self.signing.as_bytes());
        format!(
            "{SIGNER_KEY_PREFIX}{}+{}+{}",
            self.verifier.name,
            self.verifier.key_id,
            STANDARD.encode(typed)
        )
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The key name.
    pub fn name(&self) -> &KeyName {
        &self.verifier.name
    }

    /// The key ID.
    pub fn key_id(&self) -> KeyId {
        self.verifier.key_id
    }

    /// The signature type.
    pub fn signature_type(&self) -> SignatureType {
        self.verifier.signature_type
    }

    /// An Ed25519 (`0x01`) signature over the note's text. Ed25519 is deterministic: the same
    /// key and text always give the same signature.
    pub fn sign(&self, note: &Note) -> Result<NoteSignature, NoteError> {
        self.verifier.expect_type(SignatureType::Ed25519)?;
        let sig = self.signing.sign(note.text().as_bytes());
        Ok(NoteSignature::from_parts(
            self.verifier.name.clone(),
            self.verifier.key_id,
            sig.to_bytes().to_vec(),
        ))
    }

    /// A `cosignature/v1` (`0x04`) signature on `checkpoint` at `timestamp` (POSIX seconds,
    /// at most 2^63 − 1).
    pub fn cosign(
        &self,
        checkpoint: &Checkpoint,
        timestamp: u64,
    ) -> Result<NoteSignature, NoteError> {
        self.verifier.expect_type(SignatureType::CosignatureV1)?;
        let message = cosignature::message(checkpoint, timestamp)?;
        let sig = self.signing.sign(&message);
        let mut bytes = Vec::with_capacity(COSIGNATURE_BYTES);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&sig.to_bytes());
        Ok(NoteSignature::from_parts(
            self.verifier.name.clone(),
            self.verifier.key_id,
            bytes,
        ))
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.verifier.name)
            .field("key_id", &self.verifier.key_id)
            .field("signature_type", &self.verifier.signature_type)
            .finish_non_exhaustive()
    }
}

/// A signature that verified.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VerifiedSignature {
    name: KeyName,
    key_id: KeyId,
    signature_type: SignatureType,
    // INVARIANT (timestamp): `Some` exactly when `signature_type` is `CosignatureV1`.
    timestamp: Option<u64>,
}

impl VerifiedSignature {
    /// The key name.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The signature type.
    pub fn signature_type(&self) -> SignatureType {
        self.signature_type
    }

    /// The cosignature timestamp (POSIX seconds), for `cosignature/v1` signatures.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }
}

/// The verifier keys a client trusts, looked up by (name, key ID) as the spec requires.
#[derive(Clone, Debug, Default)]
pub struct Verifiers {
    // INVARIANT (unique-keys): one key per (name, key ID), so a lookup is never ambiguous.
    keys: BTreeMap<(KeyName, KeyId), VerifierKey>,
}

impl Verifiers {
    /// A set of verifier keys. Two keys with the same name and key ID are refused: a signature
    /// naming them could not tell which one it claims.
    pub fn new(keys: impl IntoIterator<Item = VerifierKey>) -> Result<Self, NoteError> {
        let mut map = BTreeMap::new();
        for key in keys {
            let slot = (key.name.clone(), key.key_id);
            if map.contains_key(&slot) {
                return Err(NoteError::VerifierDuplicate {
                    name: key.name.as_str().to_owned(),
                    key_id: key.key_id,
                });
            }
            map.insert(slot, key);
        }
        Ok(Self { keys: map })
    }

    /// The key with this name and key ID, if trusted.
    pub fn get(&self, name: &KeyName, key_id: KeyId) -> Option<&VerifierKey> {
        self.keys.get(&(name.clone(), key_id))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

    #[test]
    fn key_names_follow_the_spec() {
        for good in [
            "a",
            "PeterNeumann",
            "example.com/log42",
            "oid/1.3.6.1",
            "—é",
        ] {
            assert_eq!(KeyName::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "a b",
            "a+b",
            "a\tb",
            "a\nb",
            "a\u{a0}b",
            "a\u{3000}b",
            "a\u{85}",
            "a\u{1}",
        ] {
            assert_eq!(
                KeyName::new(bad),
                Err(NoteError::KeyNameInvalid {
                    name: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn verifier_key_round_trips_and_has_the_go_key_id() {
        let key = VerifierKey::parse(PETER_VKEY).unwrap();
        assert_eq!(key.name().as_str(), "PeterNeumann");
        assert_eq!(key.key_id(), KeyId::from_u32(0xc74f20a3));
        assert_eq!(key.signature_type(), SignatureType::Ed25519);
        assert_eq!(
            KeyId::compute(key.name(), SignatureType::Ed25519, key.public_key()),
            key.key_id()
        );
        assert_eq!(key.to_string(), PETER_VKEY);
        // Uppercase hex is read (Go reads it) but never written.
        let upper = VerifierKey::parse(&PETER_VKEY.replace("c74f20a3", "C74F20A3")).unwrap();
        assert_eq!(upper.to_string(), PETER_VKEY);
    }

    /// The manglings of Go's `TestNewVerifier`: every proper substring and every single-byte
    /// increment of a good key string is refused.
    #[test]
    fn verifier_key_manglings_are_refused() {
        let b = PETER_VKEY.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if i == 0 && j == b.len() {
                    continue;
                }
                let s = std::str::from_utf8(&b[i..j]).unwrap();
                assert!(VerifierKey::parse(s).is_err(), "{s}");
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            let s = String::from_utf8(m).unwrap();
            assert!(VerifierKey::parse(&s).is_err(), "{s}");
        }
        // Go's wrong-length key (with its key ID adjusted) ends in non-canonical base64, which
        // Go's lenient decoder reads and this one refuses; refused either way.
        assert!(matches!(
            VerifierKey::parse(
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
            ),
            Err(NoteError::VerifierKeyMalformed { .. })
        ));
        let mut long = vec![0x01];
        long.extend_from_slice(&[0x42; 33]);
        assert!(matches!(
            VerifierKey::parse(&format!("PeterNeumann+cc469956+{}", STANDARD.encode(long))),
            Err(NoteError::KeyLength {
                bytes: 33,
                bytes_expected: 32,
                ..
            })
        ));
        // Unknown algorithm, with its key ID adjusted.
        assert!(matches!(
            VerifierKey::parse(
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(NoteError::UnknownSignatureType {
                type_byte: 0x65,
                ..
            })
        ));
    }

    #[test]
    fn verifier_key_errors_name_the_fault() {
        let name = KeyName::new("PeterNeumann").unwrap();
        assert_eq!(
            VerifierKey::parse(&PETER_VKEY.replace("c74f20a3", "c74f20a4")),
            Err(NoteError::KeyIdMismatch {
                name: name.as_str().to_owned(),
                stated: KeyId::from_u32(0xc74f20a4),
                computed: KeyId::from_u32(0xc74f20a3),
            })
        );
        assert_eq!(
            VerifierKey::parse("PeterNeumann+c74f20a3"),
            Err(NoteError::VerifierKeyMalformed {
                key: "PeterNeumann+c74f20a3".to_owned()
            })
        );
        assert!(matches!(
            VerifierKey::parse(&PETER_VKEY.replace("c74f20a3", "+c74f20a")),
            Err(NoteError::VerifierKeyMalformed { .. })
        ));
        // Non-canonical base64: the last character carries bits past the 33 bytes.
        assert!(matches!(
            VerifierKey::parse(
                "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW="
            ),
            Err(NoteError::VerifierKeyMalformed { .. })
        ));
    }

    #[test]
    fn small_order_and_non_canonical_public_keys_are_refused() {
        let name = KeyName::new("weak.example").unwrap();
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = Err(NoteError::WeakPublicKey {
            name: "weak.example".to_owned(),
        });
        assert_eq!(
            VerifierKey::new(name.clone(), SignatureType::Ed25519, identity),
            weak
        );
        // The same key as a vkey string with a correct key ID.
        let id = KeyId::compute(&name, SignatureType::Ed25519, &identity);
        let mut typed = vec![0x01];
        typed.extend_from_slice(&identity);
        let vkey = format!("weak.example+{id}+{}", STANDARD.encode(typed));
        assert_eq!(VerifierKey::parse(&vkey), weak);
        // A good key with the sign bit of x flipped on x = 0 is not canonical; a good key with
        // y + p (for the y values where that still fits in 255 bits) decodes to a point of
        // large order but is not its canonical encoding.
        let mut non_canonical = 0;
        for k in 2u8..=18 {
            // p = 2^255 - 19, little-endian; y + p for y = k.
            let mut enc = [0xffu8; 32];
            enc[0] = 0xed + k;
            enc[31] = 0x7f;
            if VerifyingKey::from_bytes(&enc).is_ok_and(|v| !v.is_weak()) {
                non_canonical += 1;
                assert_eq!(
                    VerifierKey::new(name.clone(), SignatureType::Ed25519, enc),
                    weak
                );
            }
        }
        assert!(non_canonical > 0, "no non-canonical test point decoded");
    }

    #[test]
    fn signer_key_parses_round_trips_and_matches_its_verifier() {
        let signer = SignerKey::parse(PETER_SKEY).unwrap();
        assert_eq!(signer.to_private_string(), PETER_SKEY);
        assert_eq!(signer.verifier().to_string(), PETER_VKEY);
        let debug = format!("{signer:?}");
        assert!(debug.contains("PeterNeumann") && !debug.contains("AYEKF"));
    }

    /// The manglings of Go's `TestNewSigner`.
    #[test]
    fn signer_key_manglings_are_refused() {
        let b = PETER_SKEY.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if i == 0 && j == b.len() {
                    continue;
                }
                let s = std::str::from_utf8(&b[i..j]).unwrap();
                assert!(SignerKey::parse(s).is_err(), "{s}");
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            let s = String::from_utf8(m).unwrap();
            assert!(SignerKey::parse(&s).is_err(), "{s}");
        }
    }

    #[test]
    fn signature_types_round_trip_their_bytes() {
        for t in [SignatureType::Ed25519, SignatureType::CosignatureV1] {
            assert_eq!(SignatureType::from_byte(t.byte()), Some(t));
        }
        for b in [0x00, 0x02, 0x03, 0x05, 0x06, 0xff] {
            assert_eq!(SignatureType::from_byte(b), None);
        }
    }

    #[test]
    fn duplicate_verifiers_are_refused() {
        let key = VerifierKey::parse(PETER_VKEY).unwrap();
        assert_eq!(
            Verifiers::new([key.clone(), key.clone()]).unwrap_err(),
            NoteError::VerifierDuplicate {
                name: "PeterNeumann".to_owned(),
                key_id: KeyId::from_u32(0xc74f20a3)
            }
        );
        let one = Verifiers::new([key.clone()]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one.get(key.name(), key.key_id()), Some(&key));
        assert_eq!(one.get(key.name(), KeyId::from_u32(0xc74f20a4)), None);
    }

    #[test]
    fn a_key_of_one_type_does_not_do_the_other() {
        let seed = [7u8; 32];
        let name = KeyName::new("k.example").unwrap();
        let log = SignerKey::from_seed(name.clone(), SignatureType::Ed25519, seed);
        let witness = SignerKey::from_seed(name, SignatureType::CosignatureV1, seed);
        // Same key, same name, different type: different key IDs.
        assert_ne!(log.key_id(), witness.key_id());
        let checkpoint = Checkpoint::new("k.example", 1, [0; 32], Vec::new()).unwrap();
        assert_eq!(
            log.cosign(&checkpoint, 1).unwrap_err(),
            NoteError::WrongSignatureType {
                name: "k.example".to_owned(),
                actual: SignatureType::Ed25519,
                expected: SignatureType::CosignatureV1,
            }
        );
        assert!(matches!(
            witness.sign(&checkpoint.to_note()),
            Err(NoteError::WrongSignatureType { .. })
        ));
    }
}
