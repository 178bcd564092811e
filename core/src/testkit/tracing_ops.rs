//! The generator's operations for tracing (format version 2): a tracing request about an item
//! on the books (by its registered serial) or about a weapon the ledger never had, and the
//! answer to a request — identified when `find` finds it, not found otherwise, or refused.
//! Requests already answered are picked too, so that second answers are tried (and refused).
//! Kept apart from `ops.rs` to ease merging; a child module of it, so it sees the history's
//! fields.

use super::{ADMIN, History, HistoryError, day, pick};
use crate::event::{TraceRequest, TraceResponse};
use crate::model::{ActorId, ItemId, Marking, TraceChannel, TraceOutcome, TraceRefusal};
use crate::{Body, EventId, MarkingQuery};

/// A step's event: (recording actor, body, co-signers).
type Built = Option<(ActorId, Body, Vec<ActorId>)>;

/// The tracing requests accepted so far (answered or not).
pub(super) type Traces = Vec<(EventId, TraceRequest)>;

/// Requesting states the generator uses; the last is not an ISO 3166-1 code.
const STATES: [&str; 5] = ["CO", "MX", "GT", "US", "XX"];

impl History {
    /// A tracing request about an item on the books (when `item` picks one) or about a weapon
    /// the ledger never had; `state` picks the requesting state (now and then an invalid one).
    pub(super) fn build_trace_request(
        &self,
        item: Option<u8>,
        state: u8,
    ) -> Result<Built, HistoryError> {
        let serial = match item {
            Some(sel) => match pick(&self.items, sel) {
                // The registered serial of the history's rifles is their id upper-cased.
                Some(id) => id.as_str().to_uppercase(),
                None => return Ok(None),
            },
            None => format!("UNKNOWN-{}", self.journal.len()),
        };
        let requesting = STATES
            .get(usize::from(state) % STATES.len())
            .copied()
            .unwrap_or("CO");
        let body = Body::TraceRequest(TraceRequest {
            requesting_state: requesting.into(),
            channel: if state.is_multiple_of(2) {
                TraceChannel::Direct
            } else {
                TraceChannel::Interpol
            },
            reference: format!("TR-{}", self.journal.len()),
            received_on: day(self.now)?,
            deadline: day(self.now + 30 * 86_400)?,
            weapons: vec![Marking {
                serial: Some(serial),
                ..Marking::default()
            }],
            context: None,
            note: None,
        });
        Ok(Some((ADMIN.parse()?, body, vec![])))
    }

    /// The answer to a tracing request: what `find` finds of its first weapon, or (when
    /// `outcome` says so) a refusal.
    pub(super) fn build_trace_response(
        &self,
        request: u8,
        outcome: u8,
    ) -> Result<Built, HistoryError> {
        let Some((id, r)) = pick(&self.traces, request) else {
            return Ok(None);
        };
        let serial = r.weapons.first().and_then(|w| w.serial.clone());
        let items = match serial {
            Some(serial) => self
                .ledger
                .find_items(&MarkingQuery {
                    serial,
                    manufacturer: None,
                })?
                .into_iter()
                .map(|i| i.id.parse())
                .collect::<Result<Vec<ItemId>, _>>()?,
            None => Vec::new(),
        };
        let (outcome, items, refusal) = if outcome.is_multiple_of(4) {
            (
                TraceOutcome::Refused,
                Vec::new(),
                Some(TraceRefusal::CriminalInvestigation),
            )
        } else if items.is_empty() {
            (TraceOutcome::NotFound, items, None)
        } else {
            (TraceOutcome::Identified, items, None)
        };
        let body = Body::TraceResponse(TraceResponse {
            request: id,
            answered_on: day(self.now)?,
            outcome,
            items,
            refusal,
            information: "the records held".into(),
            reference: None,
        });
        Ok(Some((ADMIN.parse()?, body, vec![])))
    }
}
