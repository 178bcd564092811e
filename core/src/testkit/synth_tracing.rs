//! The synthetic stockpile's tracing requests (format version 2, ITI §V): another state or
//! INTERPOL asks about a weapon by its marking — mostly one on the books (by its registered
//! serial), sometimes one the ledger never had — and the ministry answers at once (the next event):
//! identified, not found, or now and then refused while a criminal case is open. Kept apart
//! from `synth.rs` to ease merging; a child module of it, so it sees the generator's fields.

use super::{Cast, Synth, SynthError};
use crate::event::{Body, TraceRequest, TraceResponse};
use crate::model::{Date, Marking, TraceChannel, TraceOutcome, TraceRefusal};

/// Requesting states of the synthetic tracing requests.
const REQUESTING_STATES: [&str; 6] = ["CO", "MX", "GT", "HN", "SV", "US"];
/// Days the synthetic requests give for an answer.
const TRACE_DEADLINE_DAYS: i64 = 30;
/// Seconds in a day.
pub(super) const DAY_SECONDS: i64 = 86_400;

/// The day (`YYYY-MM-DD`) of a time in Unix seconds.
pub(super) fn day(secs: i64) -> Result<Date, SynthError> {
    let t = crate::model::Timestamp::from_unix_seconds(secs)
        .map_err(|e| SynthError::Value(e.to_string()))?;
    Date::parse(t.as_str().get(..10).unwrap_or_default())
        .map_err(|e| SynthError::Value(e.to_string()))
}

impl Synth {
    /// A tracing request and its answer.
    pub(super) fn trace(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let known = if self.items.is_empty() || self.rng.range(0, 3) == 0 {
            None
        } else {
            let i = self.rng.index(self.items.len());
            self.items.get(i).cloned()
        };
        let serial = match known
            .as_ref()
            .and_then(|id| self.state.item(id))
            .and_then(|s| s.item.marking.serial.clone())
        {
            Some(serial) => serial,
            None => format!("UNK-{}", self.reference("SER")?),
        };
        let state = REQUESTING_STATES
            .get(self.rng.index(REQUESTING_STATES.len()))
            .copied()
            .unwrap_or("CO");
        let channel = if self.rng.range(0, 1) == 0 {
            TraceChannel::Direct
        } else {
            TraceChannel::Interpol
        };
        let secs = self.clock();
        let received = day(secs)?;
        let reference = self.reference(&format!("TRACE-{state}"))?;
        let request = self.emit(
            &cast.admin,
            Body::TraceRequest(TraceRequest {
                requesting_state: state.into(),
                channel,
                reference,
                received_on: received.clone(),
                deadline: day(secs + TRACE_DEADLINE_DAYS * DAY_SECONDS)?,
                weapons: vec![Marking {
                    manufacturer: Some("Izhmash".into()),
                    serial: Some(serial),
                    model: Some("AKM".into()),
                    ..Marking::default()
                }],
                context: None,
                note: None,
            }),
            &[],
        )?;
        let refused = self.rng.range(0, 7) == 0;
        let (outcome, items, refusal, information) = match (refused, known) {
            (true, _) => (
                TraceOutcome::Refused,
                Vec::new(),
                Some(TraceRefusal::CriminalInvestigation),
                "withheld while the criminal case is open",
            ),
            (false, Some(item)) => (
                TraceOutcome::Identified,
                vec![item],
                None,
                "registration record and custody history",
            ),
            (false, None) => (
                TraceOutcome::NotFound,
                Vec::new(),
                None,
                "no record matches the marking",
            ),
        };
        let reference = self.reference("ANSWER")?;
        self.emit(
            &cast.admin,
            Body::TraceResponse(TraceResponse {
                request: request.id,
                answered_on: received,
                outcome,
                items,
                refusal,
                information: information.into(),
                reference: Some(reference),
            }),
            &[],
        )?;
        Ok(())
    }
}
