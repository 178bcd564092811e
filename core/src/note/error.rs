//! The one error type of the note formats: every way a signed note, a key string, a checkpoint
//! or a cosignature can be refused, each variant carrying the values a caller needs to act.

use super::key::{KeyId, SignatureType};

/// Why a note, a key, a checkpoint or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    // -- Framing of a signed note (c2sp.org/signed-note, "Format"). --------------------------
    /// The note is longer than [`NOTE_BYTES_MAX`](super::NOTE_BYTES_MAX).
    #[error("note is {bytes} bytes, more than the {bytes_max} allowed")]
    TooLarge {
        /// Length of the input.
        bytes: usize,
        /// The limit.
        bytes_max: usize,
    },
    /// The note is not valid UTF-8.
    #[error("note is not valid UTF-8 from byte {offset}")]
    NotUtf8 {
        /// Offset of the first byte that is not part of a valid UTF-8 sequence.
        offset: usize,
    },
    /// The note holds an ASCII control character other than newline.
    #[error("note holds control character `0x{byte:02x}` at byte {offset}")]
    ControlCharacter {
        /// Byte offset of the character (in the note, or in the text being checked).
        offset: usize,
        /// The character.
        byte: u8,
    },
    /// A note text is empty or does not end with a newline.
    #[error("note text is empty or does not end with a newline")]
    TextNotTerminated,
    /// No blank line separates the text from the signatures.
    #[error("note has no blank line before its signatures")]
    NoBlankLine,
    /// Nothing follows the last blank line.
    #[error("note has no signature lines after its last blank line")]
    NoSignatures,
    /// The last signature line does not end with a newline.
    #[error("note does not end with a newline")]
    MissingFinalNewline,
    /// A line after the last blank line is not `— <key name> <base64 signature>`.
    #[error("line {line} is not a signature line `— <key name> <base64 signature>`")]
    SignatureLineMalformed {
        /// 1-based line number in the note (or in the block of signature lines).
        line: usize,
    },
    /// A signature line names a key with a name the format forbids.
    #[error(
        "signature line {line} has key name `{name}`, which is empty or holds a space, a plus sign or a control character"
    )]
    SignatureLineKeyName {
        /// 1-based line number.
        line: usize,
        /// The name as written.
        name: String,
    },
    /// A signature line's signature is not canonical standard base64.
    #[error(
        "signature line {line} has signature `{value}`, which is not canonical standard base64"
    )]
    SignatureLineBase64 {
        /// 1-based line number.
        line: usize,
        /// The text that failed to decode.
        value: String,
    },
    /// A signature line's signature has no bytes after the 4-byte key ID.
    #[error(
        "signature line {line} has a signature of {bytes} bytes, not a 4-byte key ID followed by a signature"
    )]
    SignatureLineTooShort {
        /// 1-based line number.
        line: usize,
        /// Decoded length.
        bytes: usize,
    },
    /// More signature lines than [`NOTE_SIGNATURES_MAX`](super::NOTE_SIGNATURES_MAX).
    #[error("note has more than {signatures_max} signatures")]
    TooManySignatures {
        /// The limit.
        signatures_max: usize,
    },
    /// A signature with no signature bytes after the key ID.
    #[error("signature by `{name}+{key_id}` is empty")]
    SignatureEmpty {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: KeyId,
    },

    // -- Key names and key strings. ----------------------------------------------------------
    /// A key name that is empty or holds a Unicode space, a plus sign or a control character.
    #[error("key name `{name}` is empty or holds a space, a plus sign or a control character")]
    KeyNameInvalid {
        /// The rejected name.
        name: String,
    },
    /// A verifier key string that is not `<name>+<8 hex digits>+<base64>`.
    #[error("verifier key `{key}` is not `<name>+<8 hex digits key ID>+<base64 type and key>`")]
    VerifierKeyMalformed {
        /// The rejected string.
        key: String,
    },
    /// A signer key string that is not `PRIVATE+KEY+<name>+<8 hex digits>+<base64>`. The string
    /// is secret, so it is not repeated here.
    #[error("signer key is not `PRIVATE+KEY+<name>+<8 hex digits key ID>+<base64 type and seed>`")]
    SignerKeyMalformed,
    /// The key ID written in a key string is not the one its name, type and key give.
    #[error(
        "key `{name}` states key ID `{stated}` but its name, type and public key give `{computed}`"
    )]
    KeyIdMismatch {
        /// Key name.
        name: String,
        /// Key ID as written.
        stated: KeyId,
        /// Key ID computed.
        computed: KeyId,
    },
    /// A signature type byte this implementation does not support.
    #[error("key `{name}` has signature type `0x{type_byte:02x}`, which is not supported")]
    UnknownSignatureType {
        /// Key name.
        name: String,
        /// The type byte.
        type_byte: u8,
    },
    /// Key material of the wrong length for its type.
    #[error("key `{name}` has {bytes} bytes of key material where {bytes_expected} are needed")]
    KeyLength {
        /// Key name.
        name: String,
        /// Length found.
        bytes: usize,
        /// Length the signature type needs.
        bytes_expected: usize,
    },
    /// An Ed25519 public key that is not a canonically encoded point of large order.
    #[error("public key of `{name}` is not a canonically encoded Ed25519 point of large order")]
    WeakPublicKey {
        /// Key name.
        name: String,
    },
    /// Two verifier keys with the same name and key ID.
    #[error("more than one verifier key is `{name}+{key_id}`")]
    VerifierDuplicate {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: KeyId,
    },
    /// A key used for an operation its signature type does not do.
    #[error("key `{name}` is of signature type {actual}, not {expected}")]
    WrongSignatureType {
        /// Key name.
        name: String,
        /// The key's type.
        actual: SignatureType,
        /// The type the operation needs.
        expected: SignatureType,
    },

    // -- Checkpoints (c2sp.org/tlog-checkpoint). ---------------------------------------------
    /// A checkpoint text with fewer than three lines.
    #[error("checkpoint has {lines} lines, fewer than the 3 needed (origin, tree size, root hash)")]
    CheckpointTooFewLines {
        /// Lines found.
        lines: usize,
    },
    /// An origin that is empty or holds a newline.
    #[error("checkpoint origin `{origin}` is empty or holds a newline")]
    CheckpointOrigin {
        /// The rejected origin.
        origin: String,
    },
    /// A tree size that is not decimal digits without leading zeros, or exceeds 64 bits.
    #[error(
        "checkpoint tree size `{value}` is not a decimal number without leading zeros below 2^64"
    )]
    CheckpointSize {
        /// The line as written.
        value: String,
    },
    /// A root hash that is not the canonical base64 of 32 bytes.
    #[error("checkpoint root hash `{value}` is not the canonical base64 of 32 bytes")]
    CheckpointRoot {
        /// The line as written.
        value: String,
    },
    /// An extension line that is empty or holds a newline.
    #[error("checkpoint extension line {line} `{value}` is empty or holds a newline")]
    CheckpointExtension {
        /// 1-based line number in the checkpoint text (extensions start at line 4).
        line: usize,
        /// The extension as given.
        value: String,
    },

    // -- Cosignatures (c2sp.org/tlog-cosignature). -------------------------------------------
    /// A cosignature timestamp above 2^63 − 1, which the format forbids.
    #[error("cosignature timestamp {timestamp} exceeds 2^63 - 1")]
    CosignatureTimestamp {
        /// The timestamp.
        timestamp: u64,
    },

    // -- Verification. -----------------------------------------------------------------------
    /// A signature by a known key that does not verify. Per the signed-note spec the whole note
    /// is then rejected.
    #[error("signature by `{name}+{key_id}` does not verify")]
    SignatureInvalid {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: KeyId,
    },
    /// A signature checked against a key it does not name.
    #[error(
        "signature by `{signature_name}+{signature_key_id}` is not by key `{key_name}+{key_id}`"
    )]
    NotThisKey {
        /// Name on the signature.
        signature_name: String,
        /// Key ID on the signature.
        signature_key_id: KeyId,
        /// Name of the key.
        key_name: String,
        /// ID of the key.
        key_id: KeyId,
    },
    /// No signature from a known key: the note must be rejected.
    #[error("note has no signature by a known key ({unknown} signatures by unknown keys)")]
    NoVerifiedSignature {
        /// Signatures by unknown keys, which were ignored.
        unknown: usize,
    },
}
