//! Merkle nodes read from the `nodes` table, with a cache of upper nodes for proofs.

use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use crate::merkle::{Hash, NewNode, NodeSource, ProofError};

/// Merkle nodes at or above this level (subtrees of 2^level leaves) are cached for proofs:
/// every proof at a given size shares its upper nodes, which are most of its reads.
const NODE_CACHE_LEVEL_MIN: u32 = 4;
/// At most this many cached nodes (32-byte hashes): 16 MiB or so.
const NODE_CACHE_ENTRIES_MAX: usize = 1 << 19;

/// Upper nodes already read. A stored node is the hash of a complete subtree and never changes
/// once written, so it can be kept for the life of the connection.
pub(crate) type NodeCache = RefCell<HashMap<(u32, u64), Hash>>;

/// The nodes of a log of `size` leaves, read from SQL.
pub(crate) struct SqlNodes<'c> {
    pub(crate) conn: &'c Connection,
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
        let hash =
            read_node(self.conn, level, index)?.ok_or(ProofError::MissingNode { level, index })?;
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
    level: u32,
    index: u64,
) -> Result<Option<Hash>, ProofError> {
    let index = i64::try_from(index).map_err(|_| ProofError::MissingNode { level, index })?;
    let mut stmt = conn
        .prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")
        .map_err(|e| ProofError::Store(e.to_string()))?;
    let hash: Option<Vec<u8>> = stmt
        .query_row(params![level, index], |r| r.get(0))
        .optional()
        .map_err(|e| ProofError::Store(e.to_string()))?;
    Ok(hash.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()))
}

/// Writes the nodes a batch completed, level by level, many rows per statement (instead of one
/// statement per node). `nodes` are `(level, index, hash)`, as `Frontier::push` gives them.
pub(crate) fn write_nodes(conn: &Connection, nodes: &mut [NewNode]) -> rusqlite::Result<()> {
    // Rows per `INSERT`: three bound parameters each, well under SQLite's limit (32766).
    const NODE_ROWS_PER_INSERT_MAX: usize = 256;
    nodes.sort_unstable_by_key(|&(level, idx, _)| (level, idx));
    for chunk in nodes.chunks(NODE_ROWS_PER_INSERT_MAX) {
        let rows = vec!["(?,?,?)"; chunk.len()].join(",");
        let mut stmt = conn.prepare_cached(&format!(
            "INSERT INTO nodes (level, idx, hash) VALUES {rows}"
        ))?;
        let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(chunk.len() * 3);
        for (level, idx, hash) in chunk.iter() {
            let idx = i64::try_from(*idx).map_err(|_| {
                rusqlite::Error::ToSqlConversionFailure(
                    format!("node index {idx} does not fit a 64-bit column").into(),
                )
            })?;
            values.push(i64::from(*level).into());
            values.push(idx.into());
            values.push(hash.to_vec().into());
        }
        stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}
