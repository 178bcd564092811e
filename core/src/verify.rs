//! Verification: recompute every id, check every signature and parent, replay the state, and
//! name the first failure. Nothing from a store is trusted but the bytes of the events.

use std::io::BufRead;

use serde::Serialize;

use crate::event::SignedEvent;
use crate::ledger::{LedgerError, RuleHook, SignatureCheck, State};
use crate::model::EventId;

/// Where and why verification stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyFailure {
    /// 0-based position of the failing event in append order.
    pub index: u64,
    /// Its id when it could be computed.
    pub event: Option<EventId>,
    /// The reason, as the ledger would have refused it.
    #[serde(serialize_with = "display")]
    pub reason: VerifyError,
}

fn display<S: serde::Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Why a ledger does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// An event is malformed, or the ledger would refuse it.
    #[error("{0}")]
    Event(#[from] LedgerError),
    /// The input could not be read.
    #[error("cannot read the events: {0}")]
    Io(String),
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Events that verified (all of them when `failure` is none).
    pub events: u64,
    /// Digest of the state after the last good event.
    pub state_digest: EventId,
    /// The first failure, if any.
    pub failure: Option<VerifyFailure>,
}

impl VerifyReport {
    /// Whether every event verified.
    pub fn is_valid(&self) -> bool {
        self.failure.is_none()
    }
}

/// A streaming verifier: feed events in append order; memory stays bounded by the state.
#[derive(Default)]
pub struct Verifier<'r> {
    state: State,
    rules: Option<&'r dyn RuleHook>,
    failure: Option<VerifyFailure>,
}

impl<'r> Verifier<'r> {
    /// A verifier without a rule engine: an event appended while rules were in force fails
    /// with `RuleFailed` unless rules are given with [`Verifier::with_rules`].
    pub fn new() -> Self {
        Self::default()
    }
    /// A verifier that re-runs the rules in force.
    pub fn with_rules(rules: &'r dyn RuleHook) -> Self {
        Self {
            rules: Some(rules),
            ..Self::default()
        }
    }
    /// The state replayed so far.
    pub fn state(&self) -> &State {
        &self.state
    }
    /// The first failure so far.
    pub fn failure(&self) -> Option<&VerifyFailure> {
        self.failure.as_ref()
    }
    fn fail(&mut self, event: Option<EventId>, reason: VerifyError) {
        if self.failure.is_none() {
            self.failure = Some(VerifyFailure {
                index: self.state.event_count(),
                event,
                reason,
            });
        }
    }
    /// Checks one decoded event. Returns false once verification has failed.
    pub fn push_event(&mut self, event: &SignedEvent, check: SignatureCheck) -> bool {
        if self.failure.is_some() {
            return false;
        }
        if let Err(e) = self.state.apply(event, check, self.rules) {
            self.fail(Some(event.id), e.into());
        }
        self.failure.is_none()
    }
    /// Decodes and checks one event from its JSON bytes.
    pub fn push_json(&mut self, bytes: &[u8]) -> bool {
        if self.failure.is_some() {
            return false;
        }
        match SignedEvent::from_json(bytes) {
            Ok(event) => self.push_event(&event, SignatureCheck::Verify),
            Err(e) => {
                let id = serde_json::from_slice::<serde_json::Value>(bytes)
                    .ok()
                    .and_then(|v| crate::event::event_id_of(&v).ok());
                self.fail(id, LedgerError::from(e).into());
                false
            }
        }
    }
    /// Records a read error as the failure.
    pub fn push_io_error(&mut self, error: &std::io::Error) {
        self.fail(None, VerifyError::Io(error.to_string()));
    }
    /// The report.
    pub fn finish(self) -> VerifyReport {
        VerifyReport {
            events: self.state.event_count(),
            state_digest: self.state.digest(),
            failure: self.failure,
        }
    }
}

/// Lines decoded and signature-checked together on all cores before they are replayed in
/// order: enough to keep every core busy, small enough to bound memory.
const VERIFY_CHUNK_LINES: usize = 2048;

/// Verifies a JSONL export (one event per line, append order; blank lines ignored).
///
/// Decoding (schema, canonical form, id) and signature checks run on all cores, a chunk of
/// lines at a time; the replay runs in order on one. The report is the one a line-by-line
/// verification gives: a line that fails to decode, or whose signatures do not all check, is
/// re-run sequentially so that its failure is named exactly as `Verifier::push_json` names it.
pub fn verify_jsonl(reader: impl BufRead, rules: Option<&dyn RuleHook>) -> VerifyReport {
    let mut verifier = Verifier {
        rules,
        ..Verifier::default()
    };
    let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(VERIFY_CHUNK_LINES);
    let mut lines = reader.split(b'\n');
    loop {
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
        let decoded = crate::store::parallel_map(&chunk, |line| {
            SignedEvent::from_json(line).ok().map(|e| {
                let ok = !e.signatures.is_empty()
                    && e.signatures.iter().all(|s| s.verify(&e.id).is_ok());
                (e, ok)
            })
        });
        for (line, decoded) in chunk.iter().zip(decoded) {
            let going = match decoded {
                Some((event, true)) => verifier.push_event(&event, SignatureCheck::AlreadyVerified),
                Some((event, false)) => verifier.push_event(&event, SignatureCheck::Verify),
                None => verifier.push_json(line),
            };
            if !going {
                return verifier.finish();
            }
        }
        chunk.clear();
        if let Some(e) = read_error {
            verifier.push_io_error(&e);
            return verifier.finish();
        }
    }
    verifier.finish()
}
