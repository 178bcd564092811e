//! The custody graph: holdings, sources and sinks, and the movements between them, drawn
//! from the postings of every event.

use std::collections::BTreeMap;

use crate::api::inner::Inner;
use crate::error::Result;
use crate::ledger::{Account, SignatureCheck, SignedEvent};
use crate::rows::{CustodyGraph, GraphEdge, GraphNode};
use crate::rules::RuleEngine;

impl Inner {
    /// The custody graph, from the postings of every event (replayed in order, as a reopen
    /// does): holdings, sources and sinks as nodes; each event's movements as edges labelled
    /// with its kind. Stock in transit is drawn from sender to addressee when received.
    pub(crate) fn custody_graph(&self) -> Result<CustodyGraph> {
        let store = self.store()?;
        let mut state = crate::ledger::State::default();
        let mut graph = GraphBuilder::default();
        let recorded: &dyn RuleEngine = &crate::ledger::RecordedVerdicts;
        crate::store::log::for_each_row(&store.db, 0, u64::MAX, &mut |seq, _, json| {
            let ev = SignedEvent::from_canonical_json(json).map_err(|e| e.at_index(seq))?;
            let applied = state
                .apply(&ev, SignatureCheck::AlreadyVerified, Some(recorded))
                .map_err(|e| e.at_index(seq))?;
            graph.this_event.clear();
            for posting in &applied.postings {
                graph.posting(posting, ev.kind());
            }
            Ok(true)
        })?;
        Ok(graph.finish())
    }
}

/// Builds the custody graph from postings.
#[derive(Default)]
struct GraphBuilder {
    nodes: BTreeMap<String, &'static str>,
    edges: BTreeMap<(String, String, &'static str), u64>,
    /// Where stock in transit came from, per dispatch.
    dispatched_from: BTreeMap<crate::model::EventId, String>,
    /// (from, to, kind) already counted for the current event, so an event moving many
    /// stocks counts once per edge.
    this_event: std::collections::BTreeSet<(String, String, &'static str)>,
}

impl GraphBuilder {
    fn node(&mut self, account: &Account) -> Option<String> {
        let (name, role) = match account {
            Account::Holding { .. } => (account.to_string(), "holding"),
            Account::Source(_) => (account.to_string(), "source"),
            Account::Sink(_) => (account.to_string(), "sink"),
            Account::Discrepancy(_) => ("discrepancy".to_owned(), "sink"),
            Account::InTransit(_) => return None,
        };
        self.nodes.entry(name.clone()).or_insert(role);
        Some(name)
    }

    fn posting(&mut self, posting: &crate::ledger::Posting, kind: &'static str) {
        let from = match &posting.from {
            Account::InTransit(d) => self.dispatched_from.get(d).cloned(),
            other => self.node(other),
        };
        let to = match &posting.to {
            Account::InTransit(d) => {
                if let Some(f) = &from {
                    self.dispatched_from.insert(*d, f.clone());
                }
                None
            }
            other => self.node(other),
        };
        let (Some(from), Some(to)) = (from, to) else {
            return;
        };
        let key = (from, to, kind);
        if self.this_event.insert(key.clone()) {
            *self.edges.entry(key).or_default() += 1;
        }
    }

    fn finish(self) -> CustodyGraph {
        CustodyGraph {
            nodes: self
                .nodes
                .into_iter()
                .map(|(name, role)| GraphNode {
                    name,
                    role: role.to_owned(),
                })
                .collect(),
            edges: self
                .edges
                .into_iter()
                .map(|((from, to, kind), events)| GraphEdge {
                    from,
                    to,
                    kind: kind.to_owned(),
                    events,
                })
                .collect(),
        }
    }
}
