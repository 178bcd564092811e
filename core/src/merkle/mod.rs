//! The Merkle log: an RFC 6962 / RFC 9162 tree over event ids in append order, with signed
//! tree heads, inclusion proofs and consistency proofs.
//!
//! Leaves are `SHA-256(0x00 || id)` over the 32 raw bytes of an event id; interior nodes are
//! `SHA-256(0x01 || left || right)`. Proofs are generated over a [`NodeSource`], anything that
//! can answer "the hash of the complete subtree at `level`, `index`" (covering leaves
//! `index·2^level .. (index+1)·2^level`). A store keeps those nodes, so a root or a proof costs
//! O(log n) reads. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and needs nothing but
//! the hashes.

mod head;
mod memory;

pub use head::{checkpoint_body, verify_head};
pub use memory::MemoryTree;

use sha2::{Digest, Sha256};

use crate::model::EventId;

/// A 32-byte SHA-256 hash.
pub type Hash = [u8; 32];

/// Deepest tree handled: 2^63 leaves, far beyond any ledger.
pub const TREE_LEVELS_MAX: u32 = 63;

/// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Leaf hash of an event id: `SHA-256(0x00 || id)`.
pub fn leaf_hash(id: &EventId) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(id.as_bytes());
    h.finalize().into()
}

/// Interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Why a proof or root cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf {index} is not in a tree of size {size}")]
    LeafOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The tree size asked for is larger than the log.
    #[error("tree size {size} is larger than the log, which holds {len} leaves")]
    SizeOutOfRange {
        /// The size asked for.
        size: u64,
        /// Leaves in the log.
        len: u64,
    },
    /// A consistency proof needs `0 < first <= second`.
    #[error("no consistency proof from size {first} to size {second}: need 0 < first <= second")]
    BadRange {
        /// The older size.
        first: u64,
        /// The newer size.
        second: u64,
    },
    /// The node store lacks a node it should hold.
    #[error("the log lacks node ({level}, {index})")]
    MissingNode {
        /// Level (0 = leaves).
        level: u32,
        /// Index at that level.
        index: u64,
    },
    /// The node store failed.
    #[error("cannot read the log's nodes: {0}")]
    Store(String),
}

/// Anything that can answer the hash of a complete subtree.
pub trait NodeSource {
    /// Number of leaves.
    fn size(&self) -> u64;
    /// Hash of the complete subtree at `level` (0 = leaf hashes) and `index`; it covers leaves
    /// `index << level .. (index + 1) << level`, all of which are below [`NodeSource::size`].
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError>;
}

/// Largest power of two strictly less than `n` (for `n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start:end]) from the stored complete subtrees: O(log n) reads.
fn subtree_root<S: NodeSource + ?Sized>(src: &S, start: u64, end: u64) -> Result<Hash, ProofError> {
    let len = end - start;
    if len == 0 {
        return Ok(empty_root());
    }
    if len.is_power_of_two() && start.is_multiple_of(len) {
        let level = len.trailing_zeros();
        return src.node(level, start >> level);
    }
    if len == 1 {
        return src.node(0, start);
    }
    let k = split_point(len);
    let left = subtree_root(src, start, start + k)?;
    let right = subtree_root(src, start + k, end)?;
    Ok(node_hash(&left, &right))
}

fn check_size<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<(), ProofError> {
    let len = src.size();
    if size > len {
        return Err(ProofError::SizeOutOfRange { size, len });
    }
    Ok(())
}

/// The root of the tree of the first `size` leaves.
pub fn root<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Hash, ProofError> {
    check_size(src, size)?;
    subtree_root(src, 0, size)
}

/// The inclusion proof of leaf `index` in the tree of the first `size` leaves (RFC 6962
/// §2.1.1 PATH, RFC 9162 §2.1.3.1), sibling nearest the leaf first.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    check_size(src, size)?;
    if index >= size {
        return Err(ProofError::LeafOutOfRange { index, size });
    }
    // Walk down from the root, collecting siblings, then reverse: the RFC lists them leaf first.
    let mut path = Vec::new();
    let (mut start, mut end, mut m) = (0u64, size, index);
    while end - start > 1 {
        let k = split_point(end - start);
        if m < k {
            path.push(subtree_root(src, start + k, end)?);
            end = start + k;
        } else {
            path.push(subtree_root(src, start, start + k)?);
            start += k;
            m -= k;
        }
    }
    path.reverse();
    Ok(path)
}

/// The consistency proof from the tree of the first `first` leaves to the tree of the first
/// `second` leaves (RFC 6962 §2.1.2 PROOF/SUBPROOF, RFC 9162 §2.1.4.1).
pub fn consistency_proof<S: NodeSource + ?Sized>(
    src: &S,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, ProofError> {
    check_size(src, second)?;
    if first == 0 || first > second {
        return Err(ProofError::BadRange { first, second });
    }
    let mut path = Vec::new();
    let (mut start, mut end, mut m, mut complete) = (0u64, second, first, true);
    loop {
        let n = end - start;
        if m == n {
            if !complete {
                path.push(subtree_root(src, start, end)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            path.push(subtree_root(src, start + k, end)?);
            end = start + k;
        } else {
            path.push(subtree_root(src, start, start + k)?);
            start += k;
            m -= k;
            complete = false;
        }
    }
    path.reverse();
    Ok(path)
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// Checks a consistency proof between two tree heads (RFC 9162 §2.1.4.2). Equal sizes are
/// consistent with an empty proof when the roots are equal.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    path: &[Hash],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return path.is_empty() && first_root == second_root;
    }
    let mut nodes: Vec<Hash> = Vec::with_capacity(path.len() + 1);
    if first.is_power_of_two() {
        nodes.push(*first_root);
    }
    nodes.extend_from_slice(path);
    let Some((seed, rest)) = nodes.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *first_root && sr == *second_root && snode == 0
}

/// The right edge of a growing tree: the roots of its perfect subtrees, largest first. Appending
/// a leaf yields the new complete nodes to store; the root of the whole tree folds the edge.
///
// INVARIANT (frontier): `levels` is strictly decreasing and its entries are the set bits of
// `size`; entry `(level, hash)` is the complete subtree covering the leaves just before the
// entries after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    edge: Vec<(u32, Hash)>,
}

/// A complete node produced by an append: (level, index, hash).
pub type NewNode = (u32, u64, Hash);

impl Frontier {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }
    /// Rebuilds the edge of a tree of `size` leaves from its stored nodes (O(log n) reads).
    pub fn load<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Self, ProofError> {
        check_size(src, size)?;
        let mut edge = Vec::new();
        let mut start = 0u64;
        for level in (0..=TREE_LEVELS_MAX).rev() {
            if size & (1u64 << level) != 0 {
                edge.push((level, src.node(level, start >> level)?));
                start += 1u64 << level;
            }
        }
        Ok(Self { size, edge })
    }
    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Appends a leaf hash; returns every complete node it finishes, the leaf first.
    pub fn push(&mut self, leaf: Hash) -> Vec<NewNode> {
        let index = self.size;
        let mut out = vec![(0, index, leaf)];
        let mut level = 0u32;
        let mut hash = leaf;
        while let Some(&(top_level, top_hash)) = self.edge.last() {
            if top_level != level {
                break;
            }
            self.edge.pop();
            hash = node_hash(&top_hash, &hash);
            level += 1;
            out.push((level, index >> level, hash));
        }
        self.edge.push((level, hash));
        self.size += 1;
        out
    }
    /// The root of the tree so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.edge.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return empty_root();
        };
        for (_, h) in iter {
            acc = node_hash(h, &acc);
        }
        acc
    }
}

/// Parses a 64-digit hex hash.
pub fn hash_from_hex(s: &str) -> Option<Hash> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontier_matches_memory_tree() {
        let mut f = Frontier::new();
        let mut t = MemoryTree::new();
        for i in 0..100u8 {
            let id = EventId::from_bytes([i; 32]);
            f.push(leaf_hash(&id));
            t.push(leaf_hash(&id));
            assert_eq!(f.root(), root(&t, t.size()).unwrap());
            assert_eq!(Frontier::load(&t, t.size()).unwrap(), f);
        }
    }
}
