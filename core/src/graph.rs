//! The event DAG (events and their parents) and the lot genealogy (splits and merges), in
//! petgraph, with the queries auditors ask: `trace` and `lineage`.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, EdgeRef};
use serde::Serialize;

use crate::event::SignedEvent;
use crate::ledger::{Account, Sink, State, Stock};
use crate::model::{EventId, LotId, Timestamp};

/// One event in a trace.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct TraceEntry {
    /// Its id.
    pub id: EventId,
    /// Its kind.
    pub kind: &'static str,
    /// When.
    pub at: Timestamp,
    /// Position in append order, from 0.
    pub seq: u64,
}

/// One lot in a lineage.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct LineageEntry {
    /// The lot.
    pub lot: LotId,
    /// Its parent in the walk (none for the starting lot).
    pub from: Option<LotId>,
    /// Generations from the starting lot.
    pub depth: usize,
    /// Units it received from `from` (for the starting lot: its registered quantity).
    pub received: u64,
    /// Units of it destroyed.
    pub destroyed: i128,
}

#[derive(Clone, Debug)]
struct Node {
    id: EventId,
    kind: &'static str,
    at: Timestamp,
}

/// The DAG of events. Grows with the ledger; verification does not need it.
#[derive(Default, Debug)]
pub struct EventGraph {
    graph: DiGraph<Node, ()>,
    index: HashMap<EventId, NodeIndex>,
    by_stock: HashMap<Stock, Vec<NodeIndex>>,
    log: Vec<(NodeIndex, Vec<Stock>)>,
}

impl EventGraph {
    /// Whether an event is in the graph.
    pub fn contains(&self, id: &EventId) -> bool {
        self.index.contains_key(id)
    }
    /// Number of events.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }
    pub(crate) fn add(&mut self, event: &SignedEvent, stocks: &[Stock]) {
        let node = self.graph.add_node(Node {
            id: event.id,
            kind: event.event.body.kind(),
            at: event.event.at.clone(),
        });
        self.index.insert(event.id, node);
        for parent in &event.event.parents {
            if let Some(&p) = self.index.get(parent) {
                self.graph.add_edge(p, node, ());
            }
        }
        for stock in stocks {
            self.by_stock.entry(stock.clone()).or_default().push(node);
        }
        self.log.push((node, stocks.to_vec()));
    }
    /// Removes the newest events until `len` remain (a refused batch).
    pub(crate) fn truncate(&mut self, len: usize) {
        while self.log.len() > len {
            let Some((node, stocks)) = self.log.pop() else {
                break;
            };
            for stock in &stocks {
                if let Some(v) = self.by_stock.get_mut(stock) {
                    v.retain(|n| *n != node);
                    if v.is_empty() {
                        self.by_stock.remove(stock);
                    }
                }
            }
            if let Some(n) = self.graph.node_weight(node) {
                self.index.remove(&n.id);
            }
            // Nodes are added in order, so the one removed is the last index: no reindexing.
            self.graph.remove_node(node);
        }
    }
    /// Every event that touched a stock, oldest first.
    pub fn trace(&self, stock: &Stock) -> Vec<TraceEntry> {
        self.by_stock
            .get(stock)
            .into_iter()
            .flatten()
            .filter_map(|n| {
                self.graph.node_weight(*n).map(|w| TraceEntry {
                    id: w.id,
                    kind: w.kind,
                    at: w.at.clone(),
                    seq: n.index() as u64,
                })
            })
            .collect()
    }
    /// Direct parents of an event.
    pub fn parents(&self, id: &EventId) -> Vec<EventId> {
        let Some(&node) = self.index.get(id) else {
            return Vec::new();
        };
        self.graph
            .edges_directed(node, petgraph::Direction::Incoming)
            .filter_map(|e| self.graph.node_weight(e.source()).map(|w| w.id))
            .collect()
    }
    /// Every event an event depends on, transitively (its causal past).
    pub fn ancestors(&self, id: &EventId) -> Vec<EventId> {
        let Some(&node) = self.index.get(id) else {
            return Vec::new();
        };
        let reversed = petgraph::visit::Reversed(&self.graph);
        let mut bfs = Bfs::new(reversed, node);
        let mut out = Vec::new();
        while let Some(n) = bfs.next(reversed) {
            if let Some(w) = self.graph.node_weight(n).filter(|_| n != node) {
                out.push(w.id);
            }
        }
        out
    }
    /// Edges as (parent, child) ids, for export.
    pub fn edges(&self) -> impl Iterator<Item = (EventId, EventId)> + '_ {
        self.graph.edge_references().filter_map(|e| {
            Some((
                self.graph.node_weight(e.source())?.id,
                self.graph.node_weight(e.target())?.id,
            ))
        })
    }
}

/// The genealogy of `start`: the lots formed from it by splits and merges, transitively,
/// breadth first, with how many of each were destroyed ("which destroyed rounds came from lot X").
pub fn lineage(state: &State, start: &LotId) -> Vec<LineageEntry> {
    let mut g: DiGraph<LotId, u64> = DiGraph::new();
    let mut nodes: HashMap<LotId, NodeIndex> = HashMap::new();
    let Some(first) = state.lot(start) else {
        return Vec::new();
    };
    let root = g.add_node(start.clone());
    nodes.insert(start.clone(), root);
    let mut queue = vec![start.clone()];
    while let Some(lot) = queue.pop() {
        let Some(&from) = nodes.get(&lot) else {
            continue;
        };
        for child in state.lot_children(&lot) {
            let received = state
                .lot(child)
                .and_then(|c| {
                    c.derived_from
                        .iter()
                        .find(|(p, _)| p == &lot)
                        .map(|(_, q)| *q)
                })
                .unwrap_or(0);
            let to = *nodes.entry(child.clone()).or_insert_with(|| {
                queue.push(child.clone());
                g.add_node(child.clone())
            });
            g.add_edge(from, to, received);
        }
    }
    let destroyed = |lot: &LotId| {
        state
            .lot(lot)
            .map_or(0, |l| l.balance(&Account::Sink(Sink::Destroyed)))
    };
    let mut out = vec![LineageEntry {
        lot: start.clone(),
        from: None,
        depth: 0,
        received: first.lot.quantity.get(),
        destroyed: destroyed(start),
    }];
    let mut depth: HashMap<NodeIndex, usize> = HashMap::from([(root, 0)]);
    let mut bfs = Bfs::new(&g, root);
    while let Some(n) = bfs.next(&g) {
        let d = depth.get(&n).copied().unwrap_or(0);
        for edge in g.edges(n) {
            let child = edge.target();
            if depth.contains_key(&child) {
                continue;
            }
            depth.insert(child, d + 1);
            if let (Some(lot), Some(parent)) = (g.node_weight(child), g.node_weight(n)) {
                out.push(LineageEntry {
                    lot: lot.clone(),
                    from: Some(parent.clone()),
                    depth: d + 1,
                    received: *edge.weight(),
                    destroyed: destroyed(lot),
                });
            }
        }
    }
    out
}
