//! Verifying an export: a JSON lines file of signed events in append order, as
//! `Ledger::export_jsonl` writes it, checked with nothing but the bytes. Every id, signature
//! and parent is recomputed and the state replayed; the first failure is named with its code
//! and position. Memory stays bounded by the state, not the length.

use std::io::BufRead;

use crate::error::{Error, ErrorKind};
use crate::ledger::{RuleEngine, SignatureCheck, SignedEvent, State};
use crate::rows::VerifyReport;

/// Lines decoded and signature-checked together on all cores before they are replayed in
/// order: enough to keep every core busy, small enough to bound memory.
const VERIFY_CHUNK_LINES: usize = 2048;

struct Verifier<'r> {
    state: State,
    rules: Option<&'r dyn RuleEngine>,
    failure: Option<Error>,
}

impl Verifier<'_> {
    fn fail(&mut self, e: Error) {
        if self.failure.is_none() {
            let index = self.state.event_count();
            self.failure = Some(e.with_index(Some(index)));
        }
    }

    fn push_event(&mut self, event: &SignedEvent, check: SignatureCheck) -> bool {
        if let Err(e) = self.state.apply(event, check, self.rules) {
            self.fail(e.for_event(event.id));
        }
        self.failure.is_none()
    }

    fn push_json(&mut self, bytes: &[u8]) -> bool {
        match SignedEvent::from_canonical_json(bytes) {
            Ok(event) => self.push_event(&event, SignatureCheck::Verify),
            Err(e) => {
                let mut err = e;
                if let Some(id) = serde_json::from_slice::<serde_json::Value>(bytes)
                    .ok()
                    .and_then(|v| crate::envelope::event_id_of(&v).ok())
                {
                    err = err.for_event(id);
                }
                self.fail(err);
                false
            }
        }
    }
}

/// Verifies a JSON lines export (one event per line, append order; blank lines ignored),
/// re-running the rules in force with `rules` when given. Decoding and signature checks run on
/// all cores, a chunk of lines at a time; the replay runs in order. The report is the one a
/// line-by-line verification gives.
pub fn verify_jsonl(reader: impl BufRead, rules: Option<&dyn RuleEngine>) -> VerifyReport {
    let mut verifier = Verifier {
        state: State::default(),
        rules,
        failure: None,
    };
    let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(VERIFY_CHUNK_LINES);
    let mut lines = reader.split(b'\n');
    'outer: loop {
        let mut read_error = None;
        for line in lines.by_ref() {
            match line {
                Ok(line) if line.iter().all(u8::is_ascii_whitespace) => {}
                Ok(line) => {
                    chunk.push(line);
                    if chunk.len() >= VERIFY_CHUNK_LINES {
                        break;
                    }
                }
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
        if chunk.is_empty() && read_error.is_none() {
            break;
        }
        let decoded =
            crate::store::parallel_map(&chunk, |line| SignedEvent::from_canonical_json(line));
        let valid = crate::store::log::signatures_of_decoded(&decoded);
        for ((line, decoded), ok) in chunk.iter().zip(decoded).zip(valid) {
            let going = match (decoded, ok) {
                (Ok(event), true) => verifier.push_event(&event, SignatureCheck::AlreadyVerified),
                (Ok(event), false) => verifier.push_event(&event, SignatureCheck::Verify),
                (Err(_), _) => verifier.push_json(line),
            };
            if !going {
                break 'outer;
            }
        }
        chunk.clear();
        if let Some(e) = read_error {
            verifier.fail(Error::new(ErrorKind::Io {
                operation: "read".into(),
                path: "the export".into(),
                reason: e.to_string(),
            }));
            break;
        }
    }
    let (digest, digest_error) = match verifier.state.digest() {
        Ok(d) => (d, None),
        Err(e) => (crate::model::Digest::from_bytes([0; 32]), Some(e)),
    };
    if let Some(e) = digest_error {
        verifier.fail(e);
    }
    VerifyReport {
        ok: verifier.failure.is_none(),
        events: verifier.state.event_count(),
        tree_heads: 0,
        state_digest: digest,
        failure: verifier.failure,
    }
}
