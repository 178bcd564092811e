//! The ledger: state derived by replaying events, with double-entry conservation, custody
//! continuity, terminal destruction and key validity enforced on every event.

pub mod account;
mod apply;
mod context;
mod error;
pub mod state;

pub use account::{Account, Posting, Sink, Source, Stock};
pub use apply::{Applied, RecordedVerdicts, RuleHook, RuleOutcome, SignatureCheck};
pub use error::LedgerError;
pub use state::{
    ActorState, Authorisation, InvariantError, ItemState, LotState, SiteState, State, Transfer,
};

use crate::event::{Event, SignedEvent};
use crate::graph::{EventGraph, LineageEntry, TraceEntry};
use crate::model::EventId;

/// Largest batch [`Ledger::append_batch`] takes, in events.
pub const BATCH_EVENTS_MAX: usize = 100_000;

/// A batch refused at one of its events. Nothing of the batch was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {index} of the batch: {error}")]
pub struct BatchError {
    /// 0-based index of the refused event in the batch.
    pub index: usize,
    /// Why.
    pub error: LedgerError,
}

/// An in-memory ledger: the state, the event graph, and optionally the rule engine.
#[derive(Default)]
pub struct Ledger {
    state: State,
    graph: EventGraph,
    rules: Option<Box<dyn RuleHook + Send + Sync>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("events", &self.state.event_count())
            .field("rules", &self.rules.is_some())
            .finish()
    }
}

impl Ledger {
    /// An empty ledger without a rule engine (events appended while rules are in force are refused).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty ledger that consults `rules` whenever rule plugins are in force.
    pub fn with_rules(rules: Box<dyn RuleHook + Send + Sync>) -> Self {
        Self {
            rules: Some(rules),
            ..Self::default()
        }
    }

    /// The derived state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The event graph.
    pub fn graph(&self) -> &EventGraph {
        &self.graph
    }

    /// The parents `event` must carry if appended now.
    pub fn required_parents(&self, event: &Event) -> Result<Vec<EventId>, LedgerError> {
        self.state.required_parents(event)
    }

    /// Appends one signed event. On error nothing changes.
    pub fn append(&mut self, event: &SignedEvent) -> Result<Applied, LedgerError> {
        self.append_checked(event, SignatureCheck::Verify)
    }

    /// Appends one event whose signatures the caller verified already.
    pub fn append_checked(
        &mut self,
        event: &SignedEvent,
        check: SignatureCheck,
    ) -> Result<Applied, LedgerError> {
        if self.graph.contains(&event.id) {
            return Err(LedgerError::DuplicateEvent { event: event.id });
        }
        let rules = self.rules.as_deref().map(|r| r as &dyn RuleHook);
        let applied = self.state.apply(event, check, rules)?;
        self.graph.add(event, &applied.stocks);
        Ok(applied)
    }

    /// Decodes (schema, canonical form, id) and appends one event given as JSON.
    pub fn append_json(&mut self, bytes: &[u8]) -> Result<Applied, LedgerError> {
        let event = SignedEvent::from_json(bytes)?;
        self.append(&event)
    }

    /// Appends a batch atomically: all of it, or none of it.
    pub fn append_batch(&mut self, events: &[SignedEvent]) -> Result<Vec<Applied>, BatchError> {
        if events.len() > BATCH_EVENTS_MAX {
            return Err(BatchError {
                index: BATCH_EVENTS_MAX,
                error: LedgerError::Invalid {
                    event: EventId::from_bytes([0; 32]),
                    field: String::new(),
                    reason: format!("a batch holds at most {BATCH_EVENTS_MAX} events"),
                },
            });
        }
        if let [event] = events {
            // One event is all-or-nothing by itself: no copy of the state needed.
            return self
                .append(event)
                .map(|a| vec![a])
                .map_err(|error| BatchError { index: 0, error });
        }
        let saved_state = self.state.clone();
        let graph_len = self.graph.len();
        let mut out = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            match self.append(event) {
                Ok(applied) => out.push(applied),
                Err(error) => {
                    self.state = saved_state;
                    self.graph.truncate(graph_len);
                    return Err(BatchError { index, error });
                }
            }
        }
        Ok(out)
    }

    /// Every event that touched an item or lot, oldest first.
    pub fn trace(&self, stock: &Stock) -> Vec<TraceEntry> {
        self.graph.trace(stock)
    }

    /// The lots descended from `lot` (itself first) with what each received and what of each was destroyed.
    pub fn lineage(&self, lot: &crate::model::LotId) -> Vec<LineageEntry> {
        crate::graph::lineage(&self.state, lot)
    }
}
