//! `trace_response` (format version 2): the answer to a `trace_request`, which it names and
//! carries as a parent. A request is answered once: the weapons identified in the records
//! (the items; an answer restricted under ITI §23 gives its ground), "not found", or a refusal
//! with its ground; with the information
//! given and the day it was given, so that the ministry can show it answered within the
//! deadline.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field};
use crate::model::{Date, EventId, ItemId, TraceOutcome, TraceRefusal};

/// The answer to a tracing request.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TraceResponse {
    /// The `trace_request` answered.
    pub request: EventId,
    /// The day the answer was given, `YYYY-MM-DD`: not before the request was received, not
    /// after the event.
    pub answered_on: Date,
    /// Identified, not found, or refused.
    pub outcome: TraceOutcome,
    /// With `identified`: the items on the books the request's weapons are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// With `refused`, the ground (required); with `identified`, the ground on which part of
    /// the information was withheld (ITI §23: an answer may be restricted); never with
    /// `not_found`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<TraceRefusal>,
    /// The information given to the requester (or, for a refusal, what they were told).
    pub information: String,
    /// Our reference of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Kind for TraceResponse {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        let id = self.request;
        if let Some(response) = p.state.trace_answers.get(&id) {
            return Err(p.err(
                "/request",
                ErrorKind::TraceAnswered {
                    request: id,
                    response: *response,
                },
            ));
        }
        let request = p
            .state
            .trace_requests
            .get(&id)
            .ok_or_else(|| p.unknown("/request", id))?;
        p.require_parent(id, crate::ledger::plan::ParentOf::Event("tracing request", id), &request.at)?;
        let answered = p.day("/answered_on", &self.answered_on)?;
        if answered > p.at.unix_seconds() {
            return Err(p.err(
                "/answered_on",
                ErrorKind::FieldInvalid {
                    value: self.answered_on.as_str().to_owned(),
                    reason: format!("the answer is given after the event (`{}`)", p.at),
                },
            ));
        }
        let received = p.day("/answered_on", &request.received_on)?;
        if answered < received {
            return Err(p.err(
                "/answered_on",
                ErrorKind::FieldInvalid {
                    value: self.answered_on.as_str().to_owned(),
                    reason: format!(
                        "the answer is given before the request was received ({})",
                        request.received_on.as_str()
                    ),
                },
            ));
        }
        let identified = self.outcome == TraceOutcome::Identified;
        match (identified, self.items.is_empty()) {
            (true, true) => {
                return Err(p.err(
                    "/items",
                    ErrorKind::RecordMissing {
                        record: "`items`".into(),
                        why: "an `identified` answer names the items identified".into(),
                    },
                ));
            }
            (false, false) => {
                return Err(p.err(
                    "/items",
                    ErrorKind::FieldInvalid {
                        value: self.items.len().to_string(),
                        reason: format!(
                            "only an `identified` answer names items, this one is `{}`",
                            self.outcome
                        ),
                    },
                ));
            }
            _ => {}
        }
        match (self.outcome, &self.refusal) {
            (TraceOutcome::Refused, None) => {
                return Err(p.err(
                    "/refusal",
                    ErrorKind::RecordMissing {
                        record: "`refusal`".into(),
                        why: "a refused answer gives its ground".into(),
                    },
                ));
            }
            (TraceOutcome::NotFound, Some(ground)) => {
                return Err(p.err(
                    "/refusal",
                    ErrorKind::FieldInvalid {
                        value: ground.to_string(),
                        reason: "a `not_found` answer withholds nothing: only a `refused` or \
                                 restricted `identified` answer gives a ground"
                            .into(),
                    },
                ));
            }
            _ => {}
        }
        p.distinct_items("/items", &self.items)?;
        for (i, item) in self.items.iter().enumerate() {
            // Any item ever on the books, also one destroyed or exported since: the answer
            // reports its record, it does not touch it.
            if !p.state.items.contains_key(item) {
                return Err(p.unknown(field("/items", i, ""), item));
            }
        }
        if self.information.trim().is_empty() {
            return Err(p.err(
                "/information",
                ErrorKind::FieldInvalid {
                    value: self.information.clone(),
                    reason: "the answer says what was given to the requester".into(),
                },
            ));
        }
        p.fx.answer_trace = Some(id);
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> TraceResponse {
    use crate::ledger::kinds::ex::{date, event, id};
    TraceResponse {
        request: event(0x7a),
        answered_on: date("2026-06-02"),
        outcome: TraceOutcome::Identified,
        items: vec![id("item:seized-2026-0117-3")],
        refusal: Some(TraceRefusal::CriminalInvestigation),
        information: "imported 1994 under licence SV-IMP-1994-0031, in state stock until \
                      reported stolen from the San Miguel armoury on 2019-03-11"
            .into(),
        reference: Some("MDN-TRAZ-2026-0044".into()),
    }
}
