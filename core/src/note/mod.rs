//! The C2SP transparency-log note formats, so that other tools (witnesses, monitors, Go's
//! `sumdb/note`) can read and cosign what the ledger's log publishes:
//!
//! - [signed notes](https://github.com/C2SP/C2SP/blob/main/signed-note.md): a text, a blank
//!   line and signature lines `— <key name> <base64(key ID || signature)>`, with key IDs,
//!   verifier key strings (`<name>+<key ID>+<base64(type || key)>`), Go's signer key strings,
//!   and Ed25519 signatures (type `0x01`) — [`Note`], [`NoteSignature`], [`VerifierKey`],
//!   [`SignerKey`], [`Verifiers`];
//! - [checkpoints](https://github.com/C2SP/C2SP/blob/main/tlog-checkpoint.md): the note text
//!   `<origin>\n<size>\n<base64 root>\n[extension lines]` — [`Checkpoint`];
//! - [cosignatures](https://github.com/C2SP/C2SP/blob/main/tlog-cosignature.md): Ed25519
//!   `cosignature/v1` witness signatures (type `0x04`) over
//!   `cosignature/v1\ntime <t>\n<checkpoint>`, carrying their timestamp —
//!   [`SignerKey::cosign`], [`VerifierKey::verify_cosignature`], [`cosignature_message`];
//! - the [witness protocol](https://github.com/C2SP/C2SP/blob/main/tlog-witness.md) returns
//!   cosignatures as bare signature lines — [`NoteSignature::parse_lines`].
//!
//! This module owns the bytes of these formats and nothing else: which keys to trust, how many
//! witnesses make a quorum and how old a cosignature may be are the caller's policy. It
//! depends on no other part of the crate. Parsing is strict (canonical base64 only, no
//! leading zeros, no control characters) so that every accepted input has exactly one
//! encoding, and every error says which rule failed where ([`NoteError`]).
//!
//! Ed25519 verification is strict (`verify_strict`): small-order or non-canonical signature
//! points fail, and verifier keys that are small-order or non-canonically encoded points are
//! refused when parsed.

mod checkpoint;
mod cosignature;
mod error;
mod key;
mod signed;

pub use checkpoint::{CHECKPOINT_ROOT_BYTES, Checkpoint};
pub use cosignature::{
    COSIGNATURE_BYTES, COSIGNATURE_TIMESTAMP_MAX, message as cosignature_message,
};
pub use error::NoteError;
pub use key::{
    ED25519_KEY_BYTES, ED25519_SIGNATURE_BYTES, KeyId, KeyName, SignatureType, SignerKey,
    VerifiedSignature, VerifierKey, Verifiers,
};
pub use signed::{Note, NoteSignature, Verification};

/// Most signature lines a note may carry. Go's `sumdb/note` refuses more than 100; the spec
/// asks verifiers to accept at least 16.
pub const NOTE_SIGNATURES_MAX: usize = 100;

/// Most bytes a signed note may have. The spec bounds notes by signature count "or,
/// equivalently, the overall size"; this bound is set so that the count is what binds for any
/// realistic signature (see the assertion below), and parsing never reads more than this.
pub const NOTE_BYTES_MAX: usize = 1 << 20;

/// Bytes of a long signature line: post-quantum signatures are "up to nearly 5kB" (the spec),
/// about 6.7 KiB once base64-encoded with a name.
const SIGNATURE_LINE_BYTES_LONG: usize = 8 * 1024;

// The spec: verifiers "MUST accept at least up to 16 signatures".
const _: () = assert!(NOTE_SIGNATURES_MAX >= 16);
// A note with the most signatures, all long, still fits the byte limit.
const _: () = assert!(NOTE_BYTES_MAX >= NOTE_SIGNATURES_MAX * SIGNATURE_LINE_BYTES_LONG);
