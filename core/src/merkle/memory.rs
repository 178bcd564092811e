//! A tree held in memory: every complete node, level by level. For tests, the streaming
//! verifier's cross-checks, and small logs.

use crate::merkle::{Frontier, Hash, NodeSource, ProofError};

/// Every complete subtree hash of a log, in memory.
// INVARIANT (memory-tree): `levels[l]` holds `size >> l` hashes, the complete subtrees of
// level `l` in order.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }
    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        for (level, _index, hash) in self.frontier.push(leaf) {
            let level = level as usize;
            while self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            if let Some(row) = self.levels.get_mut(level) {
                row.push(hash);
            }
        }
    }
    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}

impl NodeSource for MemoryTree {
    fn size(&self) -> u64 {
        self.frontier.size()
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.levels.get(level as usize)?.get(i))
            .copied()
            .ok_or(ProofError::MissingNode { level, index })
    }
}
