//! Checkpoints (c2sp.org/tlog-checkpoint): the note text that states a log's origin, tree
//! size and RFC 6962 root hash, with optional extension lines; strict parsing and the one
//! canonical text form.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::error::NoteError;
use super::key::{SignerKey, Verifiers};
use super::signed::{Note, Verification, check_text};

/// Bytes of a root hash (SHA-256).
pub const CHECKPOINT_ROOT_BYTES: usize = 32;

/// A log's signed statement of its tree: origin, size and root hash.
///
/// The text form is
///
/// ```text
/// <origin>
/// <size, decimal, no leading zeros>
/// <root hash, base64>
/// <extension line>...
/// ```
///
/// with every line ending in a newline.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Checkpoint {
    // INVARIANT (checkpoint-text): `origin` and every extension are non-empty and hold no
    // newline, and `to_text()` passes the note text checks (no control characters, at most
    // `NOTE_BYTES_MAX` bytes), so every checkpoint is a valid note text and
    // `Checkpoint::parse(&c.to_text()) == Ok(c)`.
    origin: String,
    size: u64,
    root: [u8; CHECKPOINT_ROOT_BYTES],
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint from its fields. The origin and extensions must be single non-empty lines
    /// that a note may hold (no control characters).
    pub fn new(
        origin: impl Into<String>,
        size: u64,
        root: [u8; CHECKPOINT_ROOT_BYTES],
        extensions: Vec<String>,
    ) -> Result<Self, NoteError> {
        let origin = origin.into();
        if origin.is_empty() || origin.contains('\n') {
            return Err(NoteError::CheckpointOrigin { origin });
        }
        for (index, value) in extensions.iter().enumerate() {
            if value.is_empty() || value.contains('\n') {
                return Err(NoteError::CheckpointExtension {
                    line: index + 4,
                    value: value.clone(),
                });
            }
        }
        let checkpoint = Self {
            origin,
            size,
            root,
            extensions,
        };
        check_text(&checkpoint.to_text())?;
        Ok(checkpoint)
    }

    /// Parses a note text (for example [`Note::text`]) as a checkpoint, strictly: at least
    /// three lines, each ending in a newline; a non-empty origin; a size in decimal without
    /// leading zeros (`0` for the empty tree) that fits 64 bits; a root hash that is the
    /// canonical base64 of 32 bytes; non-empty extension lines.
    ///
    /// The text of a note must not be trusted before its signatures are verified: prefer
    /// [`Checkpoint::open`], which verifies first.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        check_text(text)?;
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::TextNotTerminated)?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(NoteError::CheckpointTooFewLines { lines: lines.len() });
        };
        if origin.is_empty() {
            return Err(NoteError::CheckpointOrigin {
                origin: String::new(),
            });
        }
        let size = parse_size(size).ok_or_else(|| NoteError::CheckpointSize {
            value: (*size).to_owned(),
        })?;
        let root = STANDARD
            .decode(root)
            .ok()
            .and_then(|bytes| <[u8; CHECKPOINT_ROOT_BYTES]>::try_from(bytes).ok())
            .ok_or_else(|| NoteError::CheckpointRoot {
                value: (*root).to_owned(),
            })?;
        let mut parsed = Vec::with_capacity(extensions.len());
        for (index, value) in extensions.iter().enumerate() {
            if value.is_empty() {
                return Err(NoteError::CheckpointExtension {
                    line: index + 4,
                    value: String::new(),
                });
            }
            parsed.push((*value).to_owned());
        }
        Ok(Self {
            origin: (*origin).to_owned(),
            size,
            root,
            extensions: parsed,
        })
    }

    /// Parses a signed note, verifies it against `verifiers` and only then reads its text as a
    /// checkpoint, as the signed-note spec requires ("the text MUST be ignored unless the note
    /// is signed by a trusted key").
    ///
    /// Which keys signed is in the returned [`Verification`]; requiring the log's own key
    /// (whose name should match the origin) or a quorum of witnesses is the caller's policy.
    pub fn open(note: &[u8], verifiers: &Verifiers) -> Result<(Self, Verification), NoteError> {
        let note = Note::parse(note)?;
        let verification = note.verify(verifiers)?;
        let checkpoint = Self::parse(note.text())?;
        Ok((checkpoint, verification))
    }

    /// The checkpoint text, each line ending in a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// An unsigned note holding this checkpoint as its text.
    pub fn to_note(&self) -> Note {
        // INVARIANT (checkpoint-text) makes the text valid for a note.
        Note::from_checked_text(self.to_text())
    }

    /// This checkpoint as a note signed by `key` (signature type Ed25519).
    pub fn sign(&self, key: &SignerKey) -> Result<Note, NoteError> {
        let mut note = self.to_note();
        note.sign(key)?;
        Ok(note)
    }

    /// The origin: the log's identity.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size: number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root hash of the tree at that size.
    pub fn root(&self) -> &[u8; CHECKPOINT_ROOT_BYTES] {
        &self.root
    }

    /// The extension lines, without their newlines.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }
}

/// ASCII decimal with no leading zeros (`0` alone for zero), below 2^64.
fn parse_size(value: &str) -> Option<u64> {
    let digits_only = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = value.len() > 1 && value.starts_with('0');
    if !digits_only || leading_zero {
        return None;
    }
    // Only digits remain, so the only failure left is overflow.
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SOFA: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn parses_the_spec_example_and_writes_it_back() {
        let cp = Checkpoint::parse(SOFA).unwrap();
        assert_eq!(cp.origin(), "example.com/behind-the-sofa");
        assert_eq!(cp.size(), 20852163);
        assert_eq!(
            STANDARD.encode(cp.root()),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(cp.extensions().is_empty());
        assert_eq!(cp.to_text(), SOFA);
    }

    #[test]
    fn extension_lines_are_kept_in_order() {
        let text = format!("{SOFA}one\ntwo words\n");
        let cp = Checkpoint::parse(&text).unwrap();
        assert_eq!(cp.extensions(), ["one", "two words"]);
        assert_eq!(cp.to_text(), text);
    }

    #[test]
    fn sizes_are_strict_decimal() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        assert_eq!(
            Checkpoint::parse(&format!("o\n0\n{root}\n"))
                .unwrap()
                .size(),
            0
        );
        assert_eq!(
            Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n"))
                .unwrap()
                .size(),
            u64::MAX
        );
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "0x10",
            "1e3",
            "18446744073709551616",
            "١",
        ] {
            assert_eq!(
                Checkpoint::parse(&format!("o\n{bad}\n{root}\n")),
                Err(NoteError::CheckpointSize {
                    value: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn roots_are_canonical_base64_of_32_bytes() {
        for bad in [
            "",
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I",
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=",
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==",
            "CsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=",
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I= ",
        ] {
            assert_eq!(
                Checkpoint::parse(&format!("o\n1\n{bad}\n")),
                Err(NoteError::CheckpointRoot {
                    value: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn structural_faults_are_named() {
        assert_eq!(
            Checkpoint::parse("o\n1\n"),
            Err(NoteError::CheckpointTooFewLines { lines: 2 })
        );
        assert_eq!(
            Checkpoint::parse(&SOFA.replacen("example.com/behind-the-sofa", "", 1)),
            Err(NoteError::CheckpointOrigin {
                origin: String::new()
            })
        );
        assert_eq!(
            Checkpoint::parse(&format!("{SOFA}ext\n\n")),
            Err(NoteError::CheckpointExtension {
                line: 5,
                value: String::new()
            })
        );
        assert_eq!(
            Checkpoint::parse(SOFA.trim_end()),
            Err(NoteError::TextNotTerminated)
        );
        assert_eq!(
            Checkpoint::parse(&SOFA.replace("sofa", "so\rfa")),
            Err(NoteError::ControlCharacter {
                offset: 25,
                byte: b'\r'
            })
        );
    }

    #[test]
    fn new_refuses_what_parse_would() {
        assert!(matches!(
            Checkpoint::new("", 1, [0; 32], vec![]),
            Err(NoteError::CheckpointOrigin { .. })
        ));
        assert!(matches!(
            Checkpoint::new("a\nb", 1, [0; 32], vec![]),
            Err(NoteError::CheckpointOrigin { .. })
        ));
        assert_eq!(
            Checkpoint::new("a", 1, [0; 32], vec!["x".into(), String::new()]),
            Err(NoteError::CheckpointExtension {
                line: 5,
                value: String::new()
            })
        );
        assert!(matches!(
            Checkpoint::new("a\u{7}", 1, [0; 32], vec![]),
            Err(NoteError::ControlCharacter { byte: 7, .. })
        ));
    }

    proptest! {
        #[test]
        fn checkpoint_text_round_trips(
            origin in "[^\\x00-\\x1f]{1,40}",
            size: u64,
            root: [u8; 32],
            extensions in proptest::collection::vec("[^\\x00-\\x1f]{1,20}", 0..4),
        ) {
            let cp = Checkpoint::new(origin, size, root, extensions).unwrap();
            prop_assert_eq!(Checkpoint::parse(&cp.to_text()), Ok(cp.clone()));
            prop_assert_eq!(Checkpoint::parse(cp.to_note().text()), Ok(cp));
        }
    }
}
