//! Signed notes (c2sp.org/signed-note): a text, a blank line, and signature lines
//! `— <key name> <base64(key ID || signature)>`; strict parsing, serialising, and verifying
//! against a set of trusted keys.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::error::NoteError;
use super::key::{KeyId, KeyName, SignerKey, VerifiedSignature, Verifiers, is_valid_key_name};
use super::{NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX};

/// What opens every signature line: U+2014 EM DASH and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Checks the bytes every signed note obeys: at most [`NOTE_BYTES_MAX`], valid UTF-8, no ASCII
/// control character but newline.
fn check_note_bytes(bytes: &[u8]) -> Result<&str, NoteError> {
    if bytes.len() > NOTE_BYTES_MAX {
        return Err(NoteError::TooLarge {
            bytes: bytes.len(),
            bytes_max: NOTE_BYTES_MAX,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| NoteError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    check_control(text)?;
    Ok(text)
}

/// No ASCII control character but newline. Bytes below 0x20 never occur inside a multi-byte
/// UTF-8 sequence, so a byte scan finds exactly the control characters.
fn check_control(text: &str) -> Result<(), NoteError> {
    match text
        .bytes()
        .enumerate()
        .find(|&(_, b)| b < 0x20 && b != b'\n')
    {
        Some((offset, byte)) => Err(NoteError::ControlCharacter { offset, byte }),
        None => Ok(()),
    }
}

/// Checks a note text: at most [`NOTE_BYTES_MAX`], no control character but newline,
/// non-empty and ending in a newline.
pub(super) fn check_text(text: &str) -> Result<(), NoteError> {
    check_note_bytes(text.as_bytes())?;
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotTerminated);
    }
    Ok(())
}

/// One signature line of a note: who signed (name and key ID) and the signature bytes that
/// follow the key ID.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct NoteSignature {
    name: KeyName,
    key_id: KeyId,
    // INVARIANT (signature-bytes): non-empty, so the line decodes to more than the key ID.
    signature: Vec<u8>,
}

impl NoteSignature {
    /// A signature from its parts; `signature` is what follows the key ID and may not be empty.
    pub fn new(name: KeyName, key_id: KeyId, signature: Vec<u8>) -> Result<Self, NoteError> {
        if signature.is_empty() {
            return Err(NoteError::SignatureEmpty {
                name: name.as_str().to_owned(),
                key_id,
            });
        }
        Ok(Self::from_parts(name, key_id, signature))
    }

    /// For signatures this module makes, which are never empty.
    pub(super) fn from_parts(name: KeyName, key_id: KeyId, signature: Vec<u8>) -> Self {
        debug_assert!(!signature.is_empty(), "INVARIANT (signature-bytes)");
        Self {
            name,
            key_id,
            signature,
        }
    }

    /// Parses a block of signature lines, each ending in a newline, as a witness returns them
    /// from `add-checkpoint` (c2sp.org/tlog-witness). Line numbers in errors count from 1 at
    /// the start of `block`.
    pub fn parse_lines(block: &str) -> Result<Vec<Self>, NoteError> {
        check_note_bytes(block.as_bytes())?;
        parse_signature_block(block, 1)
    }

    /// The key name.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The signature bytes after the key ID.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The signature line, `— <name> <base64(key ID || signature)>` and a newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }
}

/// Parses signature lines; `block` is already known to be UTF-8 without control characters.
fn parse_signature_block(block: &str, first_line: usize) -> Result<Vec<NoteSignature>, NoteError> {
    if block.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    let body = block
        .strip_suffix('\n')
        .ok_or(NoteError::MissingFinalNewline)?;
    let mut signatures = Vec::new();
    for (index, line) in body.split('\n').enumerate() {
        // Counted before the line is parsed, so a huge note stops here and costs no more work.
        if signatures.len() == NOTE_SIGNATURES_MAX {
            return Err(NoteError::TooManySignatures {
                signatures_max: NOTE_SIGNATURES_MAX,
            });
        }
        signatures.push(parse_signature_line(line, first_line + index)?);
    }
    Ok(signatures)
}

/// Parses `— <name> <base64>` (without its newline); `line` numbers the errors.
fn parse_signature_line(text: &str, line: usize) -> Result<NoteSignature, NoteError> {
    let malformed = NoteError::SignatureLineMalformed { line };
    let rest = text
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(malformed.clone())?;
    // A name holds no ASCII space, so the first space ends it. A second space means the line
    // has more than two fields (a name with a space in it, say): not a signature line.
    let (name, b64) = rest.split_once(' ').ok_or(malformed.clone())?;
    if b64.is_empty() || b64.contains(' ') {
        return Err(malformed);
    }
    if !is_valid_key_name(name) {
        return Err(NoteError::SignatureLineKeyName {
            line,
            name: name.to_owned(),
        });
    }
    let raw = STANDARD
        .decode(b64)
        .map_err(|_| NoteError::SignatureLineBase64 {
            line,
            value: b64.to_owned(),
        })?;
    let too_short = || NoteError::SignatureLineTooShort {
        line,
        bytes: raw.len(),
    };
    let (key_id, signature) = raw.split_first_chunk::<4>().ok_or_else(too_short)?;
    if signature.is_empty() {
        return Err(too_short());
    }
    let name = KeyName::new(name)?;
    Ok(NoteSignature::from_parts(
        name,
        KeyId::from_u32(u32::from_be_bytes(*key_id)),
        signature.to_vec(),
    ))
}

/// A note: a text and the signatures on it.
///
/// The wire form is the text (which ends in a newline), a blank line, and one signature line
/// per signature. [`Note::parse`] and [`Note::serialize`] are exact inverses: parsing keeps
/// every signature line as written, duplicates and unknown keys included.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Note {
    // INVARIANT (note-text): `check_text(&text)` holds: ends in a newline, no control character
    // but newline.
    text: String,
    // INVARIANT (note-size): at most `NOTE_SIGNATURES_MAX` signatures, and the serialised note
    // is at most `NOTE_BYTES_MAX` bytes, so whatever is serialised parses again.
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// An unsigned note with this text, which must end in a newline and hold no ASCII control
    /// characters but newlines. The text may contain blank lines.
    pub fn new(text: impl Into<String>) -> Result<Self, NoteError> {
        let text = text.into();
        check_text(&text)?;
        // One byte more for the blank line must still fit for the note to ever be signed.
        if text.len() + 1 > NOTE_BYTES_MAX {
            return Err(NoteError::TooLarge {
                bytes: text.len() + 1,
                bytes_max: NOTE_BYTES_MAX,
            });
        }
        Ok(Self::from_checked_text(text))
    }

    /// For texts already known to pass `check_text` (a checkpoint's).
    pub(super) fn from_checked_text(text: String) -> Self {
        debug_assert!(check_text(&text).is_ok(), "INVARIANT (note-text)");
        Self {
            text,
            signatures: Vec::new(),
        }
    }

    /// Parses a signed note, strictly, in this order: at most [`NOTE_BYTES_MAX`] bytes; valid
    /// UTF-8; no ASCII control character but newline; a blank line, the last of which ends
    /// the text; at least one signature line after it; a final newline; at most
    /// [`NOTE_SIGNATURES_MAX`] signature lines, each `— <key name> <base64>` with a valid key
    /// name and at least one signature byte after the 4-byte key ID.
    ///
    /// Parsing does not verify: see [`Note::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        let note = check_note_bytes(bytes)?;
        let split = note.rfind("\n\n").ok_or(NoteError::NoBlankLine)?;
        // The text keeps its final newline; the blank line's newline is dropped.
        let text = note.get(..=split).ok_or(NoteError::NoBlankLine)?;
        let block = note.get(split + 2..).ok_or(NoteError::NoBlankLine)?;
        // The text has one newline per line; then comes the blank line, then the signatures.
        let first_line = text.matches('\n').count() + 2;
        let signatures = parse_signature_block(block, first_line)?;
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed note: text, blank line, signature lines. A note needs at least one
    /// signature, so an unsigned note is refused.
    pub fn serialize(&self) -> Result<String, NoteError> {
        if self.signatures.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let mut out = String::with_capacity(self.serialized_len());
        out.push_str(&self.text);
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
        }
        Ok(out)
    }

    /// The text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signatures, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature after the others. An earlier signature by the same key (name and key
    /// ID) is dropped first, as Go's `note.Sign` does, so re-signing or re-cosigning replaces.
    pub fn add_signature(&mut self, signature: NoteSignature) -> Result<(), NoteError> {
        let kept: Vec<NoteSignature> = self
            .signatures
            .iter()
            .filter(|s| s.name != signature.name || s.key_id != signature.key_id)
            .cloned()
            .collect();
        if kept.len() >= NOTE_SIGNATURES_MAX {
            return Err(NoteError::TooManySignatures {
                signatures_max: NOTE_SIGNATURES_MAX,
            });
        }
        let bytes = self.text.len()
            + 1
            + kept.iter().map(|s| s.to_line().len()).sum::<usize>()
            + signature.to_line().len();
        if bytes > NOTE_BYTES_MAX {
            return Err(NoteError::TooLarge {
                bytes,
                bytes_max: NOTE_BYTES_MAX,
            });
        }
        self.signatures = kept;
        self.signatures.push(signature);
        Ok(())
    }

    /// Signs the text with an Ed25519 key and adds the signature (see
    /// [`Note::add_signature`]).
    pub fn sign(&mut self, key: &SignerKey) -> Result<(), NoteError> {
        let signature = key.sign(self)?;
        self.add_signature(signature)
    }

    /// Verifies the note against the trusted keys, as c2sp.org/signed-note requires:
    ///
    /// - a signature whose (name, key ID) is not a trusted key is ignored (listed in
    ///   [`Verification::unknown`]), even if its name or its ID alone matches one;
    /// - every signature by a trusted key is verified, and one that fails rejects the whole
    ///   note with [`NoteError::SignatureInvalid`];
    /// - if no signature is by a trusted key, the note is rejected with
    ///   [`NoteError::NoVerifiedSignature`].
    ///
    /// A key that signed more than once is listed once in [`Verification::verified`] (the
    /// first signature), but all its signatures must verify.
    pub fn verify(&self, verifiers: &Verifiers) -> Result<Verification, NoteError> {
        let mut verified: Vec<VerifiedSignature> = Vec::new();
        let mut unknown = Vec::new();
        for signature in &self.signatures {
            let Some(key) = verifiers.get(&signature.name, signature.key_id) else {
                unknown.push(signature.clone());
                continue;
            };
            let ok = key.verify(&self.text, signature)?;
            if !verified
                .iter()
                .any(|v| v.name() == ok.name() && v.key_id() == ok.key_id())
            {
                verified.push(ok);
            }
        }
        if verified.is_empty() {
            return Err(NoteError::NoVerifiedSignature {
                unknown: unknown.len(),
            });
        }
        Ok(Verification { verified, unknown })
    }

    fn serialized_len(&self) -> usize {
        self.text.len()
            + 1
            + self
                .signatures
                .iter()
                .map(|s| s.to_line().len())
                .sum::<usize>()
    }
}

/// The outcome of [`Note::verify`]: which trusted keys signed, and which signatures were by
/// keys not trusted (ignored).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Verification {
    // INVARIANT (verified-nonempty): at least one entry, one per (name, key ID).
    verified: Vec<VerifiedSignature>,
    unknown: Vec<NoteSignature>,
}

impl Verification {
    /// The trusted keys whose signatures verified, in note order, each once.
    pub fn verified(&self) -> &[VerifiedSignature] {
        &self.verified
    }

    /// Signatures by keys not in the verifier set, ignored, in note order.
    pub fn unknown(&self) -> &[NoteSignature] {
        &self.unknown
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SignatureType, VerifierKey};
    use super::*;
    use proptest::prelude::*;

    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

    fn verifiers(keys: &[&str]) -> Verifiers {
        Verifiers::new(keys.iter().map(|k| VerifierKey::parse(k).unwrap())).unwrap()
    }

    #[test]
    fn parse_splits_at_the_last_blank_line() {
        let note = Note::parse(format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}").as_bytes()).unwrap();
        assert_eq!(note.text(), TEXT);
        assert_eq!(note.signatures().len(), 2);
        assert_eq!(note.signatures()[0].name().as_str(), "PeterNeumann");
        assert_eq!(note.signatures()[0].key_id(), KeyId::from_u32(0xc74f20a3));
        assert_eq!(note.signatures()[0].signature().len(), 64);
        assert_eq!(note.signatures()[1].key_id(), KeyId::from_u32(0xaf0cfe78));
        // Blank lines inside the text stay in the text.
        let text = "a\n\nb\n\n\n";
        let note = Note::parse(format!("{text}\n{PETER_SIG}").as_bytes()).unwrap();
        assert_eq!(note.text(), text);
        // The shortest text is a lone newline.
        let note = Note::parse(format!("\n\n{PETER_SIG}").as_bytes()).unwrap();
        assert_eq!(note.text(), "\n");
    }

    #[test]
    fn malformed_notes_name_their_fault() {
        let cases: Vec<(String, NoteError)> = vec![
            (TEXT.to_owned(), NoteError::NoBlankLine),
            (format!("{TEXT}\n"), NoteError::NoSignatures),
            (
                format!("{TEXT}\n{}", PETER_SIG.trim_end_matches('\n')),
                NoteError::MissingFinalNewline,
            ),
            (
                format!("\x01{TEXT}\n{PETER_SIG}"),
                NoteError::ControlCharacter { offset: 0, byte: 1 },
            ),
            (
                format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
                NoteError::SignatureLineMalformed { line: 5 },
            ),
            (
                format!("{TEXT}\n{}", PETER_SIG.replace("PeterNeumann", "Bad Name")),
                NoteError::SignatureLineMalformed { line: 4 },
            ),
            (
                format!(
                    "{TEXT}\n{}",
                    PETER_SIG.replace("PeterNeumann", "Peter+Neumann")
                ),
                NoteError::SignatureLineKeyName {
                    line: 4,
                    name: "Peter+Neumann".to_owned(),
                },
            ),
            (
                format!(
                    "{TEXT}\n{}",
                    PETER_SIG.replace("PeterNeumann", "Peter\u{a0}Neumann")
                ),
                NoteError::SignatureLineKeyName {
                    line: 4,
                    name: "Peter\u{a0}Neumann".to_owned(),
                },
            ),
            (
                format!("{TEXT}\n— PeterNeumann \n"),
                NoteError::SignatureLineMalformed { line: 4 },
            ),
            (
                format!("{TEXT}\n— PeterNeumann\n"),
                NoteError::SignatureLineMalformed { line: 4 },
            ),
            (
                format!("{TEXT}\n- PeterNeumann x08go/ZJk=\n"),
                NoteError::SignatureLineMalformed { line: 4 },
            ),
            (
                format!("{TEXT}\n—PeterNeumann x08go/ZJk=\n"),
                NoteError::SignatureLineMalformed { line: 4 },
            ),
            (
                format!("{TEXT}\n— PeterNeumann x08go/ZJk\n"),
                NoteError::SignatureLineBase64 {
                    line: 4,
                    value: "x08go/ZJk".to_owned(),
                },
            ),
            (
                format!("{TEXT}\n— PeterNeumann x08go/ZJl=\n"),
                NoteError::SignatureLineBase64 {
                    line: 4,
                    value: "x08go/ZJl=".to_owned(),
                },
            ),
            (
                format!("{TEXT}\n— PeterNeumann x08gow==\n"),
                NoteError::SignatureLineTooShort { line: 4, bytes: 4 },
            ),
            (
                format!("{TEXT}\n{PETER_SIG}\r\n"),
                NoteError::ControlCharacter {
                    offset: TEXT.len() + 1 + PETER_SIG.len(),
                    byte: b'\r',
                },
            ),
        ];
        for (note, want) in cases {
            assert_eq!(Note::parse(note.as_bytes()), Err(want), "{note:?}");
        }
        let mut bad_utf8 = format!("{TEXT}\n{PETER_SIG}").into_bytes();
        bad_utf8.insert(3, 0xff);
        assert_eq!(
            Note::parse(&bad_utf8),
            Err(NoteError::NotUtf8 { offset: 3 })
        );
    }

    #[test]
    fn signature_and_size_limits_hold() {
        let at_limit = format!("{TEXT}\n{}", PETER_SIG.repeat(NOTE_SIGNATURES_MAX));
        assert_eq!(
            Note::parse(at_limit.as_bytes()).unwrap().signatures().len(),
            NOTE_SIGNATURES_MAX
        );
        let over = format!("{TEXT}\n{}", PETER_SIG.repeat(NOTE_SIGNATURES_MAX + 1));
        assert_eq!(
            Note::parse(over.as_bytes()),
            Err(NoteError::TooManySignatures {
                signatures_max: NOTE_SIGNATURES_MAX
            })
        );
        let huge = vec![b'a'; NOTE_BYTES_MAX + 1];
        assert_eq!(
            Note::parse(&huge),
            Err(NoteError::TooLarge {
                bytes: NOTE_BYTES_MAX + 1,
                bytes_max: NOTE_BYTES_MAX
            })
        );
        let mut text = "a".repeat(NOTE_BYTES_MAX - 1);
        text.push('\n');
        assert!(matches!(Note::new(text), Err(NoteError::TooLarge { .. })));
    }

    #[test]
    fn add_signature_respects_the_limits_and_replaces_by_key() {
        let mut note = Note::new(TEXT).unwrap();
        for i in 0..NOTE_SIGNATURES_MAX {
            let name = KeyName::new(format!("k{i}")).unwrap();
            note.add_signature(NoteSignature::new(name, KeyId::from_u32(1), vec![1]).unwrap())
                .unwrap();
        }
        let extra = NoteSignature::new(
            KeyName::new("k-extra").unwrap(),
            KeyId::from_u32(1),
            vec![1],
        )
        .unwrap();
        assert_eq!(
            note.add_signature(extra),
            Err(NoteError::TooManySignatures {
                signatures_max: NOTE_SIGNATURES_MAX
            })
        );
        // Same key again: the old one goes, the new one is last.
        let again =
            NoteSignature::new(KeyName::new("k0").unwrap(), KeyId::from_u32(1), vec![2]).unwrap();
        note.add_signature(again.clone()).unwrap();
        assert_eq!(note.signatures().len(), NOTE_SIGNATURES_MAX);
        assert_eq!(note.signatures().last(), Some(&again));
        assert_eq!(note.signatures()[0].name().as_str(), "k1");
        // Too many bytes.
        let mut big = Note::new(TEXT).unwrap();
        let sig = NoteSignature::new(
            KeyName::new("big").unwrap(),
            KeyId::from_u32(1),
            vec![0; NOTE_BYTES_MAX],
        )
        .unwrap();
        assert!(matches!(
            big.add_signature(sig),
            Err(NoteError::TooLarge { .. })
        ));
        assert!(big.signatures().is_empty());
        assert_eq!(
            NoteSignature::new(KeyName::new("e").unwrap(), KeyId::from_u32(1), vec![]),
            Err(NoteError::SignatureEmpty {
                name: "e".to_owned(),
                key_id: KeyId::from_u32(1)
            })
        );
    }

    #[test]
    fn serialize_needs_a_signature_and_inverts_parse() {
        assert_eq!(
            Note::new(TEXT).unwrap().serialize(),
            Err(NoteError::NoSignatures)
        );
        let wire = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}{PETER_SIG}");
        assert_eq!(
            Note::parse(wire.as_bytes()).unwrap().serialize().unwrap(),
            wire
        );
        assert_eq!(Note::new("abc"), Err(NoteError::TextNotTerminated));
        assert_eq!(Note::new(""), Err(NoteError::TextNotTerminated));
    }

    #[test]
    fn verify_follows_the_spec_rules() {
        let wire = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        let note = Note::parse(wire.as_bytes()).unwrap();

        // One known, one unknown.
        let v = note.verify(&verifiers(&[PETER_VKEY])).unwrap();
        assert_eq!(v.verified().len(), 1);
        assert_eq!(v.verified()[0].name().as_str(), "PeterNeumann");
        assert_eq!(v.verified()[0].signature_type(), SignatureType::Ed25519);
        assert_eq!(v.verified()[0].timestamp(), None);
        assert_eq!(v.unknown(), &note.signatures()[1..]);

        // Both known.
        let v = note.verify(&verifiers(&[PETER_VKEY, ENOCH_VKEY])).unwrap();
        assert_eq!(v.verified().len(), 2);
        assert!(v.unknown().is_empty());

        // None known.
        assert_eq!(
            note.verify(&Verifiers::default()),
            Err(NoteError::NoVerifiedSignature { unknown: 2 })
        );

        // A known key whose signature fails rejects the note, even beside a good one.
        let bad = format!(
            "{TEXT}\n{ENOCH_SIG}{}",
            PETER_SIG.replace("x08go/ZJ", "x08go/ZK")
        );
        let note = Note::parse(bad.as_bytes()).unwrap();
        assert_eq!(
            note.verify(&verifiers(&[PETER_VKEY, ENOCH_VKEY])),
            Err(NoteError::SignatureInvalid {
                name: "PeterNeumann".to_owned(),
                key_id: KeyId::from_u32(0xc74f20a3)
            })
        );

        // Same name, other key ID (or the reverse): unknown, ignored.
        let other_id = PETER_SIG.replace("x08go", "x08gp");
        let note = Note::parse(format!("{TEXT}\n{other_id}{ENOCH_SIG}").as_bytes()).unwrap();
        let v = note.verify(&verifiers(&[PETER_VKEY, ENOCH_VKEY])).unwrap();
        assert_eq!(v.unknown().len(), 1);
        assert_eq!(v.unknown()[0].key_id(), KeyId::from_u32(0xc74f20a7));

        // A repeated good signature is listed once; a bad repeat still rejects.
        let note = Note::parse(format!("{TEXT}\n{PETER_SIG}{PETER_SIG}").as_bytes()).unwrap();
        assert_eq!(
            note.verify(&verifiers(&[PETER_VKEY]))
                .unwrap()
                .verified()
                .len(),
            1
        );
        let bad_repeat = PETER_SIG.replace("nAM=", "nAE=");
        let note = Note::parse(format!("{TEXT}\n{PETER_SIG}{bad_repeat}").as_bytes()).unwrap();
        assert!(matches!(
            note.verify(&verifiers(&[PETER_VKEY])),
            Err(NoteError::SignatureInvalid { .. })
        ));

        // A signature of the wrong length by a known key fails, it does not panic.
        let short = NoteSignature::new(
            KeyName::new("PeterNeumann").unwrap(),
            KeyId::from_u32(0xc74f20a3),
            vec![0; 63],
        )
        .unwrap();
        let mut note = Note::new(TEXT).unwrap();
        note.add_signature(short).unwrap();
        assert!(matches!(
            note.verify(&verifiers(&[PETER_VKEY])),
            Err(NoteError::SignatureInvalid { .. })
        ));
    }

    #[test]
    fn signature_lines_parse_on_their_own() {
        let sigs = NoteSignature::parse_lines(&format!("{PETER_SIG}{ENOCH_SIG}")).unwrap();
        assert_eq!(sigs.len(), 2);
        assert_eq!(sigs[0].to_line(), PETER_SIG);
        assert_eq!(sigs[1].to_line(), ENOCH_SIG);
        assert_eq!(
            NoteSignature::parse_lines(&format!("{PETER_SIG}\n{ENOCH_SIG}")),
            Err(NoteError::SignatureLineMalformed { line: 2 })
        );
        assert_eq!(NoteSignature::parse_lines(""), Err(NoteError::NoSignatures));
    }

    fn arb_signature() -> impl Strategy<Value = NoteSignature> {
        (
            "[^\\s+\\x00-\\x1f]{1,12}",
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 1..80),
        )
            .prop_map(|(name, id, sig)| {
                NoteSignature::new(KeyName::new(name).unwrap(), KeyId::from_u32(id), sig).unwrap()
            })
    }

    proptest! {
        #[test]
        fn note_round_trips(
            lines in proptest::collection::vec("[^\\x00-\\x1f]{0,30}", 0..6),
            signatures in proptest::collection::vec(arb_signature(), 1..6),
        ) {
            let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            if text.is_empty() {
                text.push('\n');
            }
            let note = Note { text, signatures };
            let wire = note.serialize().unwrap();
            let back = Note::parse(wire.as_bytes()).unwrap();
            prop_assert_eq!(&back, &note);
            prop_assert_eq!(back.serialize().unwrap(), wire);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Note::parse(&bytes);
        }
    }
}
