//! `trace_request` (format version 2): a request to trace illicit small arms or light weapons,
//! received from another state or through INTERPOL (International Tracing Instrument §V). The
//! record keeps what the ministry must later show: who asked (the requesting state, ISO 3166-1
//! alpha-2, and the channel), their reference, the day received, the marking elements asked
//! about, and the deadline the answer is due by. It stays open until a `trace_response`
//! answers it, once.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field};
use crate::ledger::state::TraceRequestState;
use crate::model::{Date, Marking, TraceChannel};

/// Weapons at most one tracing request asks about.
pub const TRACE_WEAPONS_MAX: usize = 100;

/// A tracing request received.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TraceRequest {
    /// The requesting state, ISO 3166-1 alpha-2 (for a request through INTERPOL, the state on
    /// whose behalf it comes).
    pub requesting_state: String,
    /// How the request arrived.
    pub channel: TraceChannel,
    /// The requester's reference.
    pub reference: String,
    /// The day it was received, `YYYY-MM-DD`, not after the event.
    pub received_on: Date,
    /// The day the answer is due, `YYYY-MM-DD`, not before `received_on`.
    pub deadline: Date,
    /// The marking elements of each weapon asked about (each names at least one).
    pub weapons: Vec<Marking>,
    /// What the requester says of the weapons' illicit context and the use of the answer
    /// (ITI §17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Kind for TraceRequest {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        p.country("/requesting_state", &self.requesting_state)?;
        let received = p.day("/received_on", &self.received_on)?;
        if received > p.at.unix_seconds() {
            return Err(p.err(
                "/received_on",
                ErrorKind::FieldInvalid {
                    value: self.received_on.as_str().to_owned(),
                    reason: format!("the request is received after the event (`{}`)", p.at),
                },
            ));
        }
        let due = p.day("/deadline", &self.deadline)?;
        if due < received {
            return Err(p.err(
                "/deadline",
                ErrorKind::FieldInvalid {
                    value: self.deadline.as_str().to_owned(),
                    reason: format!(
                        "the answer is due before the request was received ({})",
                        self.received_on.as_str()
                    ),
                },
            ));
        }
        if self.weapons.is_empty() || self.weapons.len() > TRACE_WEAPONS_MAX {
            return Err(p.err(
                "/weapons",
                ErrorKind::FieldInvalid {
                    value: self.weapons.len().to_string(),
                    reason: format!("a tracing request asks about 1 to {TRACE_WEAPONS_MAX} weapons"),
                },
            ));
        }
        for (i, weapon) in self.weapons.iter().enumerate() {
            let base = field("/weapons", i, "");
            if *weapon == Marking::default() {
                return Err(p.err(
                    base,
                    ErrorKind::TraceMarkingEmpty {
                        weapon: i as u64,
                    },
                ));
            }
            p.marking_countries(base, weapon)?;
        }
        // One open request per requester's reference: a second one is the same request
        // recorded twice.
        if let Some((open, _)) = p.state.trace_requests.iter().find(|(_, r)| {
            r.requesting_state == self.requesting_state && r.reference == self.reference
        }) {
            return Err(p.already_exists(
                "/reference",
                format!(
                    "{}/{} (open request {open})",
                    self.requesting_state, self.reference
                ),
            ));
        }
        p.fx.open_trace = Some(Box::new(TraceRequestState {
            requesting_state: self.requesting_state.clone(),
            channel: self.channel,
            reference: self.reference.clone(),
            received_on: self.received_on.clone(),
            deadline: self.deadline.clone(),
            weapons: self.weapons.clone(),
            at: p.at.clone(),
        }));
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> TraceRequest {
    use crate::ledger::kinds::ex::date;
    use crate::model::ImportMarking;
    TraceRequest {
        requesting_state: "CO".into(),
        channel: TraceChannel::Interpol,
        reference: "INTERPOL-iARMS-2026-118734".into(),
        received_on: date("2026-05-20"),
        deadline: date("2026-06-19"),
        weapons: vec![Marking {
            manufacturer: Some("Norinco".into()),
            country_of_manufacture: Some("CN".into()),
            serial: Some("56-1991-004471".into()),
            year: Some(1991),
            model: Some("Type 56".into()),
            calibre: Some("7.62x39mm".into()),
            import: Some(ImportMarking {
                country: Some("SV".into()),
                year: Some(1994),
                importer: Some("Ministerio de la Defensa Nacional".into()),
            }),
        }],
        context: Some("seized in Cali from an armed group, case 2026-0451".into()),
        note: Some("answer through the national point of contact".into()),
    }
}
