//! Witnessing (C2SP `tlog-witness`, `tlog-cosignature`): a witness keeps, for each log it
//! knows, the latest checkpoint it cosigned, and cosigns a new checkpoint only when it is
//! signed by the log's key and provably extends that one (a consistency proof from the old size
//! to the new). It refuses a smaller tree (rollback), a different root at the same size (fork),
//! a missing or wrong proof, and checks and updates its record atomically. An auditor later
//! holding a checkpoint cosigned by witnesses can prove that any copy of the ledger extends it,
//! or that history was rewritten (`Ledger::verify_trusted`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorKind, Result};
use crate::merkle::{Hash, verify_consistency};
use crate::note::{Checkpoint, NoteError, NoteSignature, SignerKey, VerifierKey, Verifiers};

/// Most consistency proof lines a witness request may carry (tlog-witness).
pub const WITNESS_PROOF_LINES_MAX: usize = 63;

/// Maps a note-format error to the front door's error.
pub(crate) fn note_error(what: &str, e: NoteError) -> Error {
    match e {
        NoteError::SignatureInvalid { .. }
        | NoteError::NoVerifiedSignature { .. }
        | NoteError::NotThisKey { .. }
        | NoteError::WrongSignatureType { .. } => Error::new(ErrorKind::CheckpointSignature {
            origin: String::new(),
            key: String::new(),
            reason: e.to_string(),
        }),
        other => Error::new(ErrorKind::NoteMalformed {
            what: what.into(),
            reason: other.to_string(),
        }),
    }
}

/// A request to cosign: `old N`, the consistency proof from N, a blank line, the checkpoint
/// (the body of tlog-witness's `add-checkpoint`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness cosigned last.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: Vec<u8>,
}

impl AddCheckpoint {
    /// Parses an `add-checkpoint` request body.
    pub fn parse(body: &[u8]) -> Result<AddCheckpoint> {
        let bad = |reason: &str| {
            Error::new(ErrorKind::NoteMalformed {
                what: "add-checkpoint request".into(),
                reason: reason.into(),
            })
        };
        let text = std::str::from_utf8(body).map_err(|_| bad("it is not UTF-8"))?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line between the proof and the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .ok_or_else(|| bad("the first line is not `old SIZE`"))?;
        let old_size = decimal(old)
            .ok_or_else(|| bad("the old size is not a decimal without leading zeros"))?;
        let mut proof = Vec::new();
        for line in lines {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(line)
                .map_err(|_| bad("a proof line is not base64"))?;
            let hash = Hash::try_from(bytes.as_slice())
                .map_err(|_| bad("a proof line is not a 32-byte hash"))?;
            proof.push(hash);
        }
        if proof.len() > WITNESS_PROOF_LINES_MAX {
            return Err(bad("more than 63 proof lines"));
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint: checkpoint.as_bytes().to_vec(),
        })
    }

    /// The request body.
    pub fn to_body(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old_size);
        for h in &self.proof {
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(h));
            out.push('\n');
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.checkpoint);
        bytes
    }
}

fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// What a witness remembers of one log: the latest checkpoint it cosigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
}

/// A witness: its cosigning key, the logs it trusts, and its state on disk.
pub struct Witness {
    key: SignerKey,
    logs: Verifiers,
    log_names: Vec<String>,
    state: PathBuf,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("name", &self.key.name().as_str())
            .field("state", &self.state)
            .finish()
    }
}

fn io(operation: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io {
        operation: operation.into(),
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

impl Witness {
    /// A witness with a cosigning key (a `SignerKey` of type cosignature/v1), the verifier keys
    /// of the logs it witnesses, and a state folder (created if absent).
    pub fn new(key: SignerKey, logs: Vec<VerifierKey>, state: &Path) -> Result<Witness> {
        if key.signature_type() != crate::note::SignatureType::CosignatureV1 {
            return Err(ErrorKind::InvalidArgument {
                argument: "witness key".into(),
                value: key.name().as_str().into(),
                reason: "a witness signs with a cosignature/v1 key (type 0x04)".into(),
            }
            .into());
        }
        let log_names = logs.iter().map(|k| k.name().as_str().to_owned()).collect();
        let logs = Verifiers::new(logs).map_err(|e| note_error("log verifier keys", e))?;
        std::fs::create_dir_all(state).map_err(|e| io("create", state, e))?;
        Ok(Witness {
            key,
            logs,
            log_names,
            state: state.to_path_buf(),
        })
    }

    /// The witness's verifier key (`name+id+base64(0x04 || key)`).
    pub fn verifier(&self) -> &VerifierKey {
        self.key.verifier()
    }

    fn record_path(&self, origin: &str) -> PathBuf {
        let digest = hex::encode(Sha256::digest(origin.as_bytes()));
        self.state.join(format!("{digest}.checkpoint"))
    }

    /// The latest checkpoint this witness cosigned for a log.
    pub fn latest(&self, origin: &str) -> Result<Option<Cosigned>> {
        let path = self.record_path(origin);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("read", &path, e)),
        };
        let cp = Checkpoint::parse(&text).map_err(|e| note_error("witness state", e))?;
        if cp.origin() != origin {
            return Err(ErrorKind::Damaged {
                what: format!(
                    "witness state `{}` names origin `{}`",
                    path.display(),
                    cp.origin()
                ),
            }
            .into());
        }
        Ok(Some(Cosigned {
            size: cp.size(),
            root: *cp.root(),
        }))
    }

    /// Handles an `add-checkpoint` request at time `now` (seconds since the Unix epoch):
    /// checks it and, if it passes, records the checkpoint and returns the cosignature lines.
    /// Nothing is recorded when it fails.
    pub fn add_checkpoint(&self, request: &AddCheckpoint, now: u64) -> Result<Vec<NoteSignature>> {
        // One request at a time per witness: the check of the old size and the update of the
        // record are atomic (tlog-witness's race).
        let lock_path = self.state.join("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io("open", &lock_path, e))?;
        lock.lock().map_err(|e| io("lock", &lock_path, e))?;
        let result = self.add_locked(request, now);
        let _ = lock.unlock();
        result
    }

    fn add_locked(&self, request: &AddCheckpoint, now: u64) -> Result<Vec<NoteSignature>> {
        let text = std::str::from_utf8(&request.checkpoint).map_err(|_| {
            Error::new(ErrorKind::NoteMalformed {
                what: "checkpoint".into(),
                reason: "it is not UTF-8".into(),
            })
        })?;
        // `split` always yields a first piece: the origin line (empty for an empty text).
        let origin = text.split('\n').next().unwrap_or("");
        if !self.log_names.iter().any(|n| n == origin) {
            return Err(ErrorKind::UnknownOrigin {
                origin: origin.to_owned(),
            }
            .into());
        }
        let (cp, _) = Checkpoint::open(&request.checkpoint, &self.logs).map_err(|e| {
            let mut err = note_error("checkpoint", e);
            if err.code() == crate::error::ErrorCode::CheckpointSignature {
                err = Error::new(ErrorKind::CheckpointSignature {
                    origin: origin.to_owned(),
                    key: self.log_names.join(", "),
                    reason: "no signature by a trusted log key verifies".into(),
                });
            }
            err
        })?;
        if request.old_size > cp.size() {
            return Err(ErrorKind::OldSizeBeyondCheckpoint {
                old: request.old_size,
                size: cp.size(),
            }
            .into());
        }
        let latest = self.latest(cp.origin())?;
        let latest_size = latest.as_ref().map_or(0, |c| c.size);
        if request.old_size != latest_size {
            return Err(ErrorKind::Rollback {
                size: request.old_size,
                latest: latest_size,
            }
            .into());
        }
        match &latest {
            None => {
                if !request.proof.is_empty() {
                    return Err(ErrorKind::ProofInvalid {
                        proof: "consistency (it must be empty from size 0)".into(),
                    }
                    .into());
                }
            }
            Some(prev) if prev.size == cp.size() => {
                if prev.root != *cp.root() {
                    return Err(ErrorKind::Fork {
                        size: cp.size(),
                        root: hex::encode(prev.root),
                        other: hex::encode(cp.root()),
                    }
                    .into());
                }
            }
            Some(prev) => {
                if !verify_consistency(prev.size, cp.size(), &prev.root, cp.root(), &request.proof)
                {
                    return Err(ErrorKind::ProofInvalid {
                        proof: "consistency".into(),
                    }
                    .into());
                }
            }
        }
        let sig = self
            .key
            .cosign(&cp, now)
            .map_err(|e| note_error("cosignature", e))?;
        self.record(&cp)?;
        Ok(vec![sig])
    }

    /// Writes the record atomically: a temporary file, flushed to disk, renamed over the old.
    fn record(&self, cp: &Checkpoint) -> Result<()> {
        let path = self.record_path(cp.origin());
        let tmp = path.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp).map_err(|e| io("create", &tmp, e))?;
        file.write_all(cp.to_text().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io("rename", &path, e))?;
        if let Ok(dir) = std::fs::File::open(&self.state) {
            // Make the rename durable (the directory entry); best effort on systems where
            // directories cannot be synced.
            let _ = dir.sync_all();
        }
        Ok(())
    }
}
