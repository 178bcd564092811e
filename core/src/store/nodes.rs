//! Merkle nodes in the `nodes` table: where each lies ([`NodeLayout`]), reading them with a
//! cache of upper nodes for proofs, and writing those a batch completes.

use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use crate::merkle::{Hash, NewNode, NodeSource, ProofError};

/// Merkle nodes at or above this level (subtrees of 2^level leaves) are cached for proofs:
/// every proof at a given size shares its upper nodes, which are most of its reads.
const NODE_CACHE_LEVEL_MIN: u32 = 4;
/// At most this many cached nodes (32-byte hashes): 16 MiB or so.
const NODE_CACHE_ENTRIES_MAX: usize = 1 << 19;

/// How a file keys its `nodes` table (`docs/STORAGE.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeLayout {
    /// Format 3: `nodes(pos, hash)`, keyed by the node's position in post-order
    /// ([`post_order`]): the nodes an append completes are consecutive rows at the end of one
    /// B-tree, so one page or two, not one per level.
    PostOrder,
    /// Format 2: `nodes(level, idx, hash)`, keyed by level then index: each level's newest
    /// node lies on a page of its own. Still read and written, so a format-2 file keeps
    /// working as it is.
    ByLevel,
}

/// The position of node `index` of `level` (the subtree of leaves `index·2^level ..
/// (index + 1)·2^level`) in post-order, the order in which [`crate::merkle::Frontier::push`]
/// completes nodes: the leaves before its last leaf `e` completed `2e − popcount(e)` nodes, then
/// leaf `e` and its ancestors up to `level` follow it, so the node is at `2e − popcount(e) +
/// level`. `None` past what a 64-bit key holds.
pub(crate) fn post_order(level: u32, index: u64) -> Option<u64> {
    let span = 1u64.checked_shl(level)?;
    let last = index.checked_add(1)?.checked_mul(span)? - 1;
    let pos = last
        .checked_mul(2)?
        .checked_sub(u64::from(last.count_ones()))?
        .checked_add(u64::from(level))?;
    (i64::try_from(pos).is_ok()).then_some(pos)
}

/// The number of nodes a tree of `leaves` leaves stores (every complete subtree): also the
/// post-order position of the first node leaf `leaves` completes.
pub(crate) fn stored_count(leaves: u64) -> u64 {
    2 * leaves - u64::from(leaves.count_ones())
}

/// Upper nodes already read. A stored node is the hash of a complete subtree and never changes
/// once written, so it can be kept for the life of the connection.
pub(crate) type NodeCache = RefCell<HashMap<(u32, u64), Hash>>;

/// The nodes of a log of `size` leaves, read from SQL.
pub(crate) struct SqlNodes<'c> {
    pub(crate) conn: &'c Connection,
    pub(crate) layout: NodeLayout,
    pub(crate) size: u64,
    pub(crate) cache: Option<&'c NodeCache>,
}

impl NodeSource for SqlNodes<'_> {
    fn size(&self) -> u64 {
        self.size
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        let cache = self.cache.filter(|_| level >= NODE_CACHE_LEVEL_MIN);
        if let Some(hash) = cache.and_then(|c| c.borrow().get(&(level, index)).copied()) {
            return Ok(hash);
        }
        let hash = read_node(self.conn, self.layout, level, index)?
            .ok_or(ProofError::MissingNode { level, index })?;
        if let Some(cache) = cache {
            let mut cache = cache.borrow_mut();
            if cache.len() < NODE_CACHE_ENTRIES_MAX {
                cache.insert((level, index), hash);
            }
        }
        Ok(hash)
    }
}

/// One stored node, if present and 32 bytes long.
pub(crate) fn read_node(
    conn: &Connection,
    layout: NodeLayout,
    level: u32,
    index: u64,
) -> Result<Option<Hash>, ProofError> {
    let hash = read_node_bytes(conn, layout, level, index)
        .map_err(|e| ProofError::Store(e.to_string()))?;
    Ok(hash.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()))
}

/// One stored node's `hash` column as it is (`verify` names a wrong one), if a row is there.
/// A node whose key does not fit the column cannot be stored: `None`.
pub(crate) fn read_node_bytes(
    conn: &Connection,
    layout: NodeLayout,
    level: u32,
    index: u64,
) -> rusqlite::Result<Option<Vec<u8>>> {
    let (sql, key) = match layout {
        NodeLayout::PostOrder => (
            "SELECT hash FROM nodes WHERE pos = ?1",
            post_order(level, index),
        ),
        NodeLayout::ByLevel => (
            "SELECT hash FROM nodes WHERE level = ?2 AND idx = ?1",
            Some(index),
        ),
    };
    let Some(key) = key.and_then(|k| i64::try_from(k).ok()) else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(sql)?;
    match layout {
        NodeLayout::PostOrder => stmt.query_row(params![key], |r| r.get(0)),
        NodeLayout::ByLevel => stmt.query_row(params![key, level], |r| r.get(0)),
    }
    .optional()
}

/// Writes the nodes a batch completed, in key order, many rows per statement (instead of one
/// statement per node). `nodes` are `(level, index, hash)`, as `Frontier::push` gives them.
pub(crate) fn write_nodes(
    conn: &Connection,
    layout: NodeLayout,
    nodes: &mut [NewNode],
) -> rusqlite::Result<()> {
    // Rows per `INSERT`: at most three bound parameters each, well under SQLite's limit (32766).
    const NODE_ROWS_PER_INSERT_MAX: usize = 256;
    let too_large = |level: u32, idx: u64| {
        rusqlite::Error::ToSqlConversionFailure(
            format!("node {idx} of level {level} does not fit a 64-bit key").into(),
        )
    };
    match layout {
        // `push` completes nodes in post-order already; sorted again, as it costs nothing.
        NodeLayout::PostOrder => {
            nodes.sort_unstable_by_key(|&(level, idx, _)| post_order(level, idx))
        }
        NodeLayout::ByLevel => nodes.sort_unstable_by_key(|&(level, idx, _)| (level, idx)),
    }
    let (row, columns, width) = match layout {
        NodeLayout::PostOrder => ("(?,?)", "pos, hash", 2),
        NodeLayout::ByLevel => ("(?,?,?)", "level, idx, hash", 3),
    };
    for chunk in nodes.chunks(NODE_ROWS_PER_INSERT_MAX) {
        let rows = vec![row; chunk.len()].join(",");
        let mut stmt =
            conn.prepare_cached(&format!("INSERT INTO nodes ({columns}) VALUES {rows}"))?;
        let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(chunk.len() * width);
        for &(level, idx, ref hash) in chunk.iter() {
            match layout {
                NodeLayout::PostOrder => {
                    let pos = post_order(level, idx)
                        .and_then(|p| i64::try_from(p).ok())
                        .ok_or_else(|| too_large(level, idx))?;
                    values.push(pos.into());
                }
                NodeLayout::ByLevel => {
                    let idx = i64::try_from(idx).map_err(|_| too_large(level, idx))?;
                    values.push(i64::from(level).into());
                    values.push(idx.into());
                }
            }
            values.push(hash.to_vec().into());
        }
        stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The positions `Frontier::push` completes nodes in, counted as it goes: 0, 1, 2, …
    #[test]
    fn post_order_is_the_order_push_completes_nodes_in() {
        let mut frontier = crate::merkle::Frontier::new();
        let mut next = 0u64;
        for leaf in 0..1000u64 {
            assert_eq!(stored_count(leaf), next);
            for (level, idx, _) in frontier.push([0; 32]) {
                assert_eq!(
                    post_order(level, idx),
                    Some(next),
                    "node {idx} of level {level}"
                );
                next += 1;
            }
        }
        assert_eq!(stored_count(1000), next);
    }

    #[test]
    fn positions_past_a_64_bit_key_are_none() {
        assert_eq!(post_order(64, 0), None);
        assert_eq!(post_order(0, u64::MAX), None);
        assert_eq!(post_order(0, 1 << 63), None);
        assert_eq!(post_order(62, 1), None);
        // The last position a 64-bit key holds: 2·2^62 − 1 = i64::MAX.
        assert_eq!(post_order(0, 1 << 62), Some((1 << 63) - 1));
    }
}
