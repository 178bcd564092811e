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

/// A piece of a chunk of lines with what the workers found: each line decoded, with whether its
/// signatures all check (`None`: refused, decoded again in order to name why).
struct Decoded {
    lines: Vec<Vec<u8>>,
    events: Vec<Option<(SignedEvent, bool)>>,
}

/// One piece of the pipeline: the lines decoded, and the signatures of the decoded events
/// checked in one batch (`sigcheck`: the verdict of single checks).
fn decode_piece(lines: &[Vec<u8>]) -> Vec<Option<(SignedEvent, bool)>> {
    crate::store::log::decode_piece(lines.iter().map(Vec::as_slice), true)
        .into_iter()
        .map(|(d, ok)| d.ok().map(|e| (e, ok)))
        .collect()
}

/// Replays a decoded piece in order; `false` once something failed.
fn replay(verifier: &mut Verifier<'_>, chunk: Decoded) -> bool {
    for (line, decoded) in chunk.lines.iter().zip(chunk.events) {
        let going = match decoded {
            Some((event, true)) => verifier.push_event(&event, SignatureCheck::AlreadyVerified),
            Some((event, false)) => verifier.push_event(&event, SignatureCheck::Verify),
            None => verifier.push_json(line),
        };
        if !going {
            return false;
        }
    }
    true
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
    // A pipeline (`store::pipeline`): this thread reads chunks of lines and replays them in
    // order, a piece at a time, while the workers decode the pieces read ahead and check their
    // signatures; this thread takes pieces too whenever it waits. Memory: the state plus a few
    // chunks of lines.
    let mut lines = reader.split(b'\n');
    let mut read_error = None;
    let next = || -> crate::error::Result<Option<Vec<Vec<u8>>>> {
        let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(VERIFY_CHUNK_LINES);
        while read_error.is_none() && chunk.len() < VERIFY_CHUNK_LINES {
            match lines.next() {
                None => break,
                Some(Ok(line)) if line.iter().all(u8::is_ascii_whitespace) => {}
                Some(Ok(line)) => chunk.push(line),
                Some(Err(e)) => read_error = Some(e),
            }
        }
        Ok((!chunk.is_empty()).then_some(chunk))
    };
    let consume = |lines, events| Ok(replay(&mut verifier, Decoded { lines, events }));
    let piped = crate::store::pipeline(
        crate::store::PIPELINE_AHEAD,
        crate::store::PIPELINE_PIECE,
        next,
        decode_piece,
        consume,
    );
    if let Err(e) = piped {
        verifier.fail(e);
    }
    // A read error comes after the lines read before it (the first failure is the one kept).
    if let Some(e) = read_error {
        verifier.fail(Error::new(ErrorKind::Io {
            operation: "read".into(),
            path: "the export".into(),
            reason: e.to_string(),
        }));
    }
    let (digest, digest_error) = match verifier.state.digest() {
        Ok(d) => (d, None),
        Err(e) => (crate::model::Digest::from_bytes([0; 32]), Some(e)),
    };
    if let Some(e) = digest_error {
        verifier.fail(e);
    }
    let Verifier { state, failure, .. } = verifier;
    let events = state.event_count();
    // Counted in the verification's time (a detached thread would leave it to whoever runs
    // next), but on two threads: freeing every item, lot and undo record of a large state takes
    // as long as a few hundred events' replay.
    state.discard();
    VerifyReport {
        ok: failure.is_none(),
        events,
        tree_heads: 0,
        state_digest: digest,
        failure,
    }
}
