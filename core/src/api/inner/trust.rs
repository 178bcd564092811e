//! Checkpoints and checking a ledger against a trusted, cosigned checkpoint.

use super::*;

impl Inner {
    pub(crate) fn checkpoint(&self, size: Option<u64>) -> Result<String> {
        let store = self.store()?;
        let db = &store.db;
        let (size, root, sig) = match size {
            None => crate::store::log::latest_head(db)?,
            Some(s) => crate::store::log::head_at(db, s)?
                .ok_or_else(|| Error::new(ErrorKind::NoTreeHead { size: s }))?,
        };
        let note = |e| crate::witness::note_error("checkpoint", e);
        let cp = crate::note::Checkpoint::new(db.origin.clone(), size, root, Vec::new())
            .map_err(note)?;
        let name = crate::note::KeyName::new(db.origin.clone()).map_err(note)?;
        let id = crate::note::KeyId::compute(
            &name,
            crate::note::SignatureType::Ed25519,
            db.log_key.as_bytes(),
        );
        let mut n = cp.to_note();
        n.add_signature(crate::note::NoteSignature::new(name, id, sig.to_vec()).map_err(note)?)
            .map_err(note)?;
        n.serialize().map_err(note)
    }

    pub(crate) fn verify_trusted(
        &self,
        checkpoint: &[u8],
        log_key: &crate::note::VerifierKey,
        cosigners: &[crate::note::VerifierKey],
        min_cosigners: usize,
    ) -> Result<crate::api::TrustReport> {
        use crate::note::SignatureType;
        if log_key.signature_type() != SignatureType::Ed25519 {
            return Err(ErrorKind::InvalidArgument {
                argument: "log key".into(),
                value: log_key.to_string(),
                reason: "a log key is an Ed25519 key (type 0x01)".into(),
            }
            .into());
        }
        let mut keys = vec![log_key.clone()];
        keys.extend(cosigners.iter().cloned());
        let verifiers = crate::note::Verifiers::new(keys)
            .map_err(|e| crate::witness::note_error("verifier keys", e))?;
        let (cp, verification) =
            crate::note::Checkpoint::open(checkpoint, &verifiers).map_err(|e| {
                let err = crate::witness::note_error("checkpoint", e);
                if err.code() == crate::error::ErrorCode::CheckpointSignature {
                    Error::new(ErrorKind::CheckpointSignature {
                        origin: String::new(),
                        key: log_key.to_string(),
                        reason: err.message(),
                    })
                } else {
                    err
                }
            })?;
        let log_signed = verification
            .verified()
            .iter()
            .any(|v| v.name() == log_key.name() && v.key_id() == log_key.key_id());
        if !log_signed {
            return Err(ErrorKind::CheckpointSignature {
                origin: cp.origin().to_owned(),
                key: log_key.to_string(),
                reason: "the log key's signature is missing".into(),
            }
            .into());
        }
        let cosigned: Vec<(String, u64)> = verification
            .verified()
            .iter()
            .filter_map(|v| v.timestamp().map(|t| (v.name().as_str().to_owned(), t)))
            .collect();
        if cosigned.len() < min_cosigners {
            return Err(ErrorKind::TooFewCosignatures {
                found: cosigned.len() as u64,
                required: min_cosigners as u64,
            }
            .into());
        }
        let store = self.store()?;
        let db = &store.db;
        if cp.origin() != db.origin {
            return Err(ErrorKind::NotExtended {
                size: cp.size(),
                reason: format!(
                    "the checkpoint is of log `{}`, this ledger is `{}`",
                    cp.origin(),
                    db.origin
                ),
            }
            .into());
        }
        let len = crate::store::log::len(db)?;
        if cp.size() > len {
            return Err(ErrorKind::NotExtended {
                size: cp.size(),
                reason: format!("the ledger holds only {len} events"),
            }
            .into());
        }
        let nodes = crate::store::log::nodes(db, &store.nodes, len);
        let root =
            crate::merkle::root(&nodes, cp.size()).map_err(crate::store::log::proof_error)?;
        if root != *cp.root() {
            return Err(ErrorKind::NotExtended {
                size: cp.size(),
                reason: format!(
                    "its first {} events give root `{}`, the checkpoint says `{}`: history was rewritten",
                    cp.size(),
                    hex::encode(root),
                    hex::encode(cp.root())
                ),
            }
            .into());
        }
        Ok(crate::api::TrustReport {
            size: cp.size(),
            root: Digest::from_bytes(root),
            cosigners: cosigned,
            ledger_len: len,
        })
    }
}
