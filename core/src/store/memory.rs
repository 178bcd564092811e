//! A store that keeps everything in memory: for tests and for tools that build a ledger and
//! throw it away. Same validation and atomicity as the SQLite store.

use std::collections::HashMap;

use crate::event::{SignedEvent, Signer};
use crate::ledger::{Applied, LedgerError, RuleHook, State};
use crate::merkle::{self, Hash, MemoryTree, SignedTreeHead, leaf_hash};
use crate::model::EventId;
use crate::store::{Store, StoreError, apply_batch};

/// Events, state and Merkle log in memory.
pub struct MemoryStore {
    // INVARIANT (memory-store): `events`, `index` and `tree` all hold exactly the events the
    // state was derived from, in append order.
    events: Vec<String>,
    index: HashMap<EventId, u64>,
    tree: MemoryTree,
    head: SignedTreeHead,
    state: State,
    signer: Signer,
    rules: Option<Box<dyn RuleHook + Send + Sync>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("events", &self.events.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store whose tree heads `key` signs.
    pub fn new(key: Signer) -> Self {
        let head = SignedTreeHead::sign(0, merkle::empty_root(), &key);
        Self {
            events: Vec::new(),
            index: HashMap::new(),
            tree: MemoryTree::new(),
            head,
            state: State::default(),
            signer: key,
            rules: None,
        }
    }
    /// Sets the rule engine consulted while rule plugins are in force.
    pub fn set_rules(&mut self, rules: Option<Box<dyn RuleHook + Send + Sync>>) {
        self.rules = rules;
    }
    /// The stored canonical JSON lines, in append order.
    pub fn lines(&self) -> &[String] {
        &self.events
    }
}

impl Store for MemoryStore {
    fn len(&self) -> u64 {
        self.events.len() as u64
    }
    fn state(&self) -> &State {
        &self.state
    }
    fn append_batch(&mut self, events: &[SignedEvent]) -> Result<Vec<Applied>, StoreError> {
        let rules = self.rules.as_deref().map(|r| r as &dyn RuleHook);
        let index = &self.index;
        let base = self.len();
        let mut lines = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            lines.push(e.to_json().map_err(|err| StoreError::Corrupt {
                index: base + i as u64,
                error: err.into(),
            })?);
        }
        let applied = apply_batch(&mut self.state, events, rules, |id| {
            Ok(index.contains_key(id))
        })?;
        for (i, (e, line)) in events.iter().zip(lines).enumerate() {
            self.index.insert(e.id, base + i as u64);
            self.tree.push(leaf_hash(&e.id));
            self.events.push(line);
        }
        self.head = SignedTreeHead::sign(self.len(), self.tree.root(), &self.signer);
        Ok(applied)
    }
    fn event(&self, index: u64) -> Result<Option<SignedEvent>, StoreError> {
        let Some(line) = usize::try_from(index).ok().and_then(|i| self.events.get(i)) else {
            return Ok(None);
        };
        SignedEvent::from_json(line.as_bytes())
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                index,
                error: LedgerError::from(e),
            })
    }
    fn index_of(&self, id: &EventId) -> Result<Option<u64>, StoreError> {
        Ok(self.index.get(id).copied())
    }
    fn tree_head(&self) -> Result<SignedTreeHead, StoreError> {
        Ok(self.head.clone())
    }
    fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        Ok(merkle::inclusion_proof(&self.tree, index, size)?)
    }
    fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, StoreError> {
        Ok(merkle::consistency_proof(&self.tree, first, second)?)
    }
}
