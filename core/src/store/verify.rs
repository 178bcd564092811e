//! Verifying a ledger file by streaming its events in order: every id, signature and rule is
//! re-checked and the state re-derived (memory bounded by the state, not the length); the
//! stored Merkle nodes and tree heads are recomputed and their signatures checked against the
//! log key; every derived table is compared with the re-derived state. The first problem is
//! named, with its code and the event's position.

use rusqlite::types::Value as Sql;
use sha2::Digest as _;

use crate::error::{Error, ErrorKind, Result};
use crate::ledger::SignedEvent;
use crate::ledger::{RuleEngine, SignatureCheck, State};
use crate::merkle::{Frontier, empty_root, leaf_hash, verify_head};
use crate::model::Digest;
use crate::store::derived::{self, TABLES, stock_key};
use crate::store::log;
use crate::store::nodes::{NodeLayout, post_order, read_node_bytes, stored_count};
use crate::store::{Db, PIPELINE_AHEAD, PIPELINE_PIECE, REPLAY_CHUNK_EVENTS};

/// What a verification found.
pub(crate) struct Outcome {
    pub(crate) events: u64,
    pub(crate) tree_heads: u64,
    pub(crate) state_digest: Digest,
    pub(crate) failure: Option<Error>,
}

/// A stored tree head row: size, root, signature bytes (checked for length later).
type StoredHead = (u64, [u8; 32], Vec<u8>);

struct Run<'a> {
    db: &'a Db,
    state: State,
    frontier: Frontier,
    heads: Vec<StoredHead>,
    next_head: usize,
    heads_checked: u64,
    // INVARIANT (touches-digest): SHA-256 over the trace index rows the events imply, in
    // (seq, kind, stock) order; compared with the stored rows in the same order.
    touches: u64,
    touches_digest: sha2::Sha256,
    failure: Option<Error>,
}

/// Feeds one trace-index row into a digest, unambiguously (ids hold no NUL).
fn touch_row(digest: &mut sha2::Sha256, seq: u64, kind: &str, stock: &str) {
    digest.update(seq.to_be_bytes());
    digest.update(kind.as_bytes());
    digest.update([0]);
    digest.update(stock.as_bytes());
    digest.update([0]);
}

impl Run<'_> {
    fn fail(&mut self, e: Error) {
        if self.failure.is_none() {
            self.failure = Some(e);
        }
    }

    /// Checks every stored head whose size the frontier has reached.
    fn check_heads(&mut self) {
        while let Some((size, root, sig)) = self.heads.get(self.next_head) {
            let (size, root) = (*size, *root);
            if size > self.frontier.size() {
                return;
            }
            let computed = self.frontier.root();
            if root != computed {
                self.fail(Error::new(ErrorKind::RootMismatch {
                    size,
                    stored: hex::encode(root),
                    computed: hex::encode(computed),
                }));
                return;
            }
            let signed = <[u8; 64]>::try_from(sig.as_slice())
                .is_ok_and(|s| verify_head(&self.db.log_key, &self.db.origin, size, &root, &s));
            if !signed {
                self.fail(Error::new(ErrorKind::HeadSignature {
                    size,
                    key: self.db.log_key.to_hex(),
                }));
                return;
            }
            self.heads_checked += 1;
            self.next_head += 1;
        }
    }

    /// Replays a decoded piece of a chunk in order (on this thread, while the next pieces
    /// decode).
    fn chunk(&mut self, chunk: Decoded, rules: Option<&dyn RuleEngine>) -> Result<()> {
        let first = self.state.event_count();
        // The nodes the piece's leaves complete, read ahead; a row out of sequence is refused
        // below, and a node missing here is read one by one (`read_node_raw`).
        let mut nodes = stored_nodes(self.db, first, first + chunk.items.len() as u64)?;
        for ((seq, id_col, json), (ev, sig_ok), cols) in chunk.into_rows() {
            let index = self.state.event_count();
            if seq != index {
                self.fail(Error::new(ErrorKind::EventMissing {
                    expected: index,
                    found: seq,
                }));
                return Ok(());
            }
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    let event = serde_json::from_slice::<serde_json::Value>(&json)
                        .ok()
                        .and_then(|v| crate::envelope::event_id_of(&v).ok());
                    let mut err = e.at_index(index);
                    if let Some(id) = event {
                        err = err.for_event(id);
                    }
                    self.fail(err);
                    return Ok(());
                }
            };
            if id_col.as_slice() != ev.id.as_bytes().as_slice() {
                self.fail(
                    Error::new(ErrorKind::IdColumn {
                        stored: hex::encode(&id_col),
                        computed: ev.id,
                    })
                    .at_index(index),
                );
                return Ok(());
            }
            let (kind, at, actor) = &cols;
            if kind != ev.kind() || at != ev.event.at.as_str() || actor != ev.event.actor.as_str() {
                self.fail(
                    Error::new(ErrorKind::Drift {
                        table: "events".into(),
                        row: format!("{index}"),
                        stored: Some(format!("{kind} {at} {actor}")),
                        expected: Some(format!("{} {} {}", ev.kind(), ev.event.at, ev.event.actor)),
                    })
                    .for_event(ev.id)
                    .at_index(index),
                );
                return Ok(());
            }
            let check = if sig_ok {
                SignatureCheck::AlreadyVerified
            } else {
                SignatureCheck::Verify
            };
            match self.state.apply(&ev, check, rules) {
                Ok(applied) => {
                    let distinct: std::collections::BTreeSet<_> =
                        applied.stocks.iter().map(stock_key).collect();
                    self.touches += distinct.len() as u64;
                    for (kind, stock) in &distinct {
                        touch_row(&mut self.touches_digest, index, kind, stock);
                    }
                }
                Err(e) => {
                    self.fail(e.for_event(ev.id).at_index(index));
                    return Ok(());
                }
            }
            for (level, idx, hash) in self.frontier.push(leaf_hash(&ev.id)) {
                let stored = match nodes.take(level, idx) {
                    Some(hash) => Some(hash),
                    None => read_node_raw(self.db, level, idx)?,
                };
                if stored.as_deref() != Some(hash.as_slice()) {
                    self.fail(Error::new(ErrorKind::NodeMismatch {
                        level,
                        node: idx,
                        stored: stored.map(hex::encode),
                        expected: hex::encode(hash),
                    }));
                    return Ok(());
                }
            }
            self.check_heads();
            if self.failure.is_some() {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// A stored row: (seq, id column, json).
type Row = (u64, Vec<u8>, Vec<u8>);
/// The `kind`, `at` and `actor` columns of a stored row.
type Columns = (String, String, String);

/// A piece of a chunk of stored rows with what the workers found (`log::decode_piece`): each event
/// decoded, with whether its signatures all check, or the error that refused it.
struct Decoded {
    items: Vec<(Row, Columns)>,
    events: Vec<(Result<SignedEvent>, bool)>,
}

impl Decoded {
    fn into_rows(self) -> impl Iterator<Item = (Row, (Result<SignedEvent>, bool), Columns)> {
        self.items
            .into_iter()
            .zip(self.events)
            .map(|((row, cols), ev)| (row, ev, cols))
    }
}

/// The stored Merkle nodes that leaves `first..end` complete, read with range scans instead of
/// one `SELECT` per node. In post-order (format 3) they are the positions `stored_count(first)
/// .. stored_count(end)`: one scan.
fn stored_nodes(db: &Db, first: u64, end: u64) -> Result<ChunkNodes> {
    match db.nodes {
        NodeLayout::PostOrder => stored_nodes_post_order(db, first, end),
        NodeLayout::ByLevel => stored_nodes_by_level(db, first, end),
    }
}

fn too_large(n: u64) -> Error {
    Error::new(ErrorKind::Internal {
        detail: format!("node index {n} does not fit 64 bits"),
    })
}

fn stored_nodes_post_order(db: &Db, first: u64, end: u64) -> Result<ChunkNodes> {
    let e = db.err("reading nodes");
    let (lo, hi) = (stored_count(first), stored_count(end));
    let as_sql = |n: u64| i64::try_from(n).map_err(|_| too_large(n));
    let mut hashes = vec![None; usize::try_from(hi - lo).map_err(|_| too_large(hi))?];
    let mut stmt = db
        .conn
        .prepare_cached("SELECT pos, hash FROM nodes WHERE pos >= ?1 AND pos < ?2")
        .map_err(&e)?;
    let mut rows = stmt
        .query(rusqlite::params![as_sql(lo)?, as_sql(hi)?])
        .map_err(&e)?;
    while let Some(row) = rows.next().map_err(&e)? {
        let pos: i64 = row.get(0).map_err(&e)?;
        let hash: Vec<u8> = row.get(1).map_err(&e)?;
        if let Some(slot) = slot(&mut hashes, pos, lo) {
            *slot = Some(hash);
        }
    }
    Ok(ChunkNodes::PostOrder { lo, hashes })
}

/// Where a stored key `key` goes among the hashes read from key `lo` on (the queries give keys
/// in range only; anything else stays unread here).
fn slot(hashes: &mut [Option<Vec<u8>>], key: i64, lo: u64) -> Option<&mut Option<Vec<u8>>> {
    let i = u64::try_from(key).ok()?.checked_sub(lo)?;
    hashes.get_mut(usize::try_from(i).ok()?)
}

/// Format 2: one range scan per level. Node `i` of level `L` is complete once leaf
/// `(i + 1)·2^L − 1` is in, so the leaves complete indices `first >> L .. end >> L` of level `L`.
fn stored_nodes_by_level(db: &Db, first: u64, end: u64) -> Result<ChunkNodes> {
    let e = db.err("reading nodes");
    let mut levels = Vec::new();
    let mut stmt = db
        .conn
        .prepare_cached("SELECT idx, hash FROM nodes WHERE level = ?1 AND idx >= ?2 AND idx < ?3")
        .map_err(&e)?;
    let as_sql = |n: u64| i64::try_from(n).map_err(|_| too_large(n));
    for level in 0..u64::BITS {
        let (lo, hi) = (first >> level, end >> level);
        if lo >= hi {
            break;
        }
        let mut hashes = vec![None; usize::try_from(hi - lo).map_err(|_| too_large(hi))?];
        let mut rows = stmt
            .query(rusqlite::params![level, as_sql(lo)?, as_sql(hi)?])
            .map_err(&e)?;
        while let Some(row) = rows.next().map_err(&e)? {
            let idx: i64 = row.get(0).map_err(&e)?;
            let hash: Vec<u8> = row.get(1).map_err(&e)?;
            if let Some(slot) = slot(&mut hashes, idx, lo) {
                *slot = Some(hash);
            }
        }
        levels.push((lo, hashes));
    }
    Ok(ChunkNodes::ByLevel { levels })
}

/// The stored nodes of one chunk: the first key read and the hashes from it on (`None` where
/// no row is stored), in post-order or per level from 0. Indexed, not hashed: looking a node
/// up was 7 % of the replay thread with a `HashMap`.
enum ChunkNodes {
    PostOrder {
        lo: u64,
        hashes: Vec<Option<Vec<u8>>>,
    },
    ByLevel {
        levels: Vec<(u64, Vec<Option<Vec<u8>>>)>,
    },
}

impl ChunkNodes {
    /// The stored hash of node `idx` of `level`, if read ahead (each is given once).
    fn take(&mut self, level: u32, idx: u64) -> Option<Vec<u8>> {
        let (key, lo, hashes) = match self {
            Self::PostOrder { lo, hashes } => (post_order(level, idx)?, *lo, hashes),
            Self::ByLevel { levels } => {
                let (lo, hashes) = levels.get_mut(usize::try_from(level).ok()?)?;
                (idx, *lo, hashes)
            }
        };
        let i = usize::try_from(key.checked_sub(lo)?).ok()?;
        hashes.get_mut(i)?.take()
    }
}

fn read_node_raw(db: &Db, level: u32, idx: u64) -> Result<Option<Vec<u8>>> {
    read_node_bytes(&db.conn, db.nodes, level, idx).map_err(db.err("reading nodes"))
}

/// Verifies the ledger in `db`. `Err` is for failures to read; anything wrong with the
/// ledger is the outcome's `failure`.
pub(crate) fn verify(
    db: &Db,
    rules: Option<&dyn RuleEngine>,
    progress: &dyn Fn(u64),
) -> Result<Outcome> {
    // One read transaction: a consistent snapshot even while a writer appends.
    db.conn
        .execute_batch("BEGIN")
        .map_err(db.err("starting a read transaction"))?;
    let result = verify_in_snapshot(db, rules, progress);
    let _ = db.conn.execute_batch("ROLLBACK");
    result
}

fn read_heads(db: &Db) -> Result<Vec<StoredHead>> {
    let e = db.err("reading tree heads");
    let mut stmt = db
        .conn
        .prepare("SELECT size, root, sig FROM tree_heads ORDER BY size")
        .map_err(&e)?;
    let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(|rows| rows.collect())
        .map_err(&e)?;
    rows.into_iter()
        .map(|(size, root, sig)| {
            let damaged = || {
                Error::new(ErrorKind::Damaged {
                    what: format!("tree head of size {size} is malformed"),
                })
            };
            Ok((
                u64::try_from(size).map_err(|_| damaged())?,
                <[u8; 32]>::try_from(root.as_slice()).map_err(|_| damaged())?,
                sig,
            ))
        })
        .collect()
}

fn verify_in_snapshot(
    db: &Db,
    rules: Option<&dyn RuleEngine>,
    progress: &dyn Fn(u64),
) -> Result<Outcome> {
    let mut run = Run {
        db,
        state: State::default(),
        frontier: Frontier::new(),
        heads: read_heads(db)?,
        next_head: 0,
        heads_checked: 0,
        touches: 0,
        touches_digest: sha2::Sha256::default(),
        failure: None,
    };
    if run.heads.first().map(|h| h.0) != Some(0) {
        run.fail(Error::new(ErrorKind::Damaged {
            what: "the signed head of the empty tree is missing".into(),
        }));
    }
    run.check_heads();
    debug_assert!(run.failure.is_some() || run.frontier.root() == empty_root());

    // A pipeline (`store::pipeline`): this thread reads chunks of rows and replays them in
    // order, a piece at a time, while the workers decode the pieces read ahead and check their
    // signatures; this thread takes pieces too whenever it waits. Memory: the state plus
    // a few chunks of rows (the one replaying, and the ones read ahead with their results).
    let mut stmt = db
        .conn
        .prepare("SELECT seq, id, json, kind, at, actor FROM events ORDER BY seq")
        .map_err(db.err("reading events"))?;
    let mut rows = stmt.query([]).map_err(db.err("reading events"))?;
    let e = db.err("reading events");
    // Nothing is read once a check before the events (the first tree head) has failed.
    let going = run.failure.is_none();
    let next = || -> Result<Option<Vec<(Row, Columns)>>> {
        let mut chunk = Vec::with_capacity(REPLAY_CHUNK_EVENTS);
        while chunk.len() < REPLAY_CHUNK_EVENTS {
            let Some(r) = rows.next().map_err(&e)? else {
                break;
            };
            let seq: i64 = r.get(0).map_err(&e)?;
            let seq = u64::try_from(seq).map_err(|_| {
                Error::new(ErrorKind::Damaged {
                    what: format!("event position {seq} is negative"),
                })
            })?;
            let id: Vec<u8> = r.get(1).map_err(&e)?;
            let json: Vec<u8> = match r.get_ref(2).map_err(&e)? {
                rusqlite::types::ValueRef::Blob(b) => b.to_vec(),
                rusqlite::types::ValueRef::Text(t) => t.to_vec(),
                _ => Vec::new(),
            };
            let columns = (
                r.get::<_, String>(3).map_err(&e)?,
                r.get::<_, String>(4).map_err(&e)?,
                r.get::<_, String>(5).map_err(&e)?,
            );
            chunk.push(((seq, id, json), columns));
        }
        Ok((!chunk.is_empty()).then_some(chunk))
    };
    let work = |items: &[(Row, Columns)]| {
        log::decode_piece(items.iter().map(|((_, _, json), _)| json.as_slice()), true)
    };
    let consume = |items, events| -> Result<bool> {
        run.chunk(Decoded { items, events }, rules)?;
        progress(run.state.event_count());
        Ok(run.failure.is_none())
    };
    if going {
        crate::store::pipeline(PIPELINE_AHEAD, PIPELINE_PIECE, next, work, consume)?;
    }
    drop(rows);
    drop(stmt);
    // Another core derives the lots' and the other non-item derived rows, then the state digest
    // (a canonical serialisation of the whole state); this thread reads the trace index,
    // derives the items' rows, and compares the stored tables with both halves. Both only read
    // the state. (The halves balance the two threads: on 40 k synthetic events, the digest
    // alone took as long as everything this thread does.)
    let Run {
        state,
        heads,
        next_head,
        heads_checked,
        touches_digest,
        failure,
        ..
    } = run;
    let (digest, failure) = std::thread::scope(|scope| {
        let (rows_tx, rows_rx) = std::sync::mpsc::sync_channel(1);
        let failed = failure.is_some();
        let state = &state;
        let digest = scope.spawn(move || {
            if !failed {
                // Nobody waiting (an earlier check failed) is not an error here.
                let _ = rows_tx.send(derived::rows_of(state, derived::Half::Rest));
            }
            state.digest()
        });
        let failure = match failure {
            Some(f) => Ok(Some(f)),
            None => final_checks(db, state, &heads, next_head, touches_digest, || {
                let items = derived::rows_of(state, derived::Half::Items)?;
                // No rows means the other thread panicked: the join below re-raises it.
                let rest = rows_rx.recv().unwrap_or_else(|_| {
                    Err(Error::new(ErrorKind::Internal {
                        detail: "the derived rows were not computed".into(),
                    }))
                })?;
                Ok(derived::merge(items, rest))
            }),
        };
        let digest = match digest.join() {
            Ok(d) => d,
            // A panicking worker is a bug; re-raise it on this thread.
            Err(payload) => std::panic::resume_unwind(payload),
        };
        (digest, failure)
    });
    let events = state.event_count();
    // Freeing a large state (every item, lot and undo record: a tenth of the replay's time)
    // is left to a thread of its own: the verdict does not wait for it.
    if events >= REPLAY_CHUNK_EVENTS as u64 {
        // Detached. If no thread can be made, the closure, and the state in it, is freed here.
        let _detached = std::thread::Builder::new()
            .name("custodia-free-state".into())
            .spawn(move || drop(state));
    }
    Ok(Outcome {
        events,
        tree_heads: heads_checked,
        state_digest: digest?,
        failure: failure?,
    })
}

/// What is checked once every event has replayed: no tree head beyond the log, no node beyond
/// the tree, the trace index and every derived table as the events imply. The first problem.
fn final_checks(
    db: &Db,
    state: &State,
    heads: &[StoredHead],
    next_head: usize,
    touches_digest: sha2::Sha256,
    expected_rows: impl FnOnce() -> Result<Vec<Vec<derived::Row>>>,
) -> Result<Option<Error>> {
    let events = state.event_count();
    if let Some((size, ..)) = heads.get(next_head) {
        let size = *size;
        return Ok(Some(Error::new(ErrorKind::HeadBeyondLog { size, events })));
    }
    // A negative count is damage, named as such, never read as zero nodes.
    let stored = log::to_u64(log::count(db, "SELECT COUNT(*) FROM nodes")?, "node count")?;
    let expected = stored_count(events);
    if stored != expected {
        return Ok(Some(Error::new(ErrorKind::ExtraNodes {
            events,
            stored,
            expected,
        })));
    }
    let expected = hex::encode(touches_digest.finalize());
    let stored = stored_touches_digest(db)?;
    if stored != expected {
        return Ok(Some(Error::new(ErrorKind::Drift {
            table: "touches".into(),
            row: "rows differ from the items and lots the events touched".into(),
            stored: Some(stored),
            expected: Some(expected),
        })));
    }
    derived_drift(db, expected_rows()?)
}

fn stored_touches_digest(db: &Db) -> Result<String> {
    let e = db.err("reading the trace index");
    let mut digest = sha2::Sha256::default();
    let mut stmt = db
        .conn
        .prepare("SELECT seq, kind, stock FROM touches ORDER BY seq, kind, stock")
        .map_err(&e)?;
    let mut rows = stmt.query([]).map_err(&e)?;
    while let Some(row) = rows.next().map_err(&e)? {
        let seq: i64 = row.get(0).map_err(&e)?;
        // Borrowed, not copied: the table has a row per item or lot an event touched.
        let text = |i: usize| {
            row.get_ref(i)
                .and_then(|v| {
                    v.as_str().map_err(|err| {
                        rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(err))
                    })
                })
                .map_err(&e)
        };
        let (kind, stock) = (text(1)?, text(2)?);
        // A negative position is drift like any other: it cannot match an event's.
        touch_row(&mut digest, seq as u64, kind, stock);
    }
    Ok(hex::encode(digest.finalize()))
}

/// A stored row's order against an expected one by their key columns, as
/// [`derived::compare_keys`] orders two expected rows.
fn stored_order(
    stored: &rusqlite::Row<'_>,
    want: &[Sql],
    key_columns: usize,
) -> rusqlite::Result<std::cmp::Ordering> {
    use rusqlite::types::ValueRef;
    for (i, w) in want.iter().enumerate().take(key_columns) {
        let o = match (stored.get_ref(i)?, w) {
            (ValueRef::Integer(x), Sql::Integer(y)) => x.cmp(y),
            (ValueRef::Text(x), Sql::Text(y)) => x.cmp(y.as_bytes()),
            _ => std::cmp::Ordering::Equal,
        };
        if o.is_ne() {
            return Ok(o);
        }
    }
    Ok(std::cmp::Ordering::Equal)
}

/// Whether a stored row holds exactly the expected values (as `Vec<Sql>` equality would say).
fn stored_equals(stored: &rusqlite::Row<'_>, want: &[Sql]) -> rusqlite::Result<bool> {
    if stored.as_ref().column_count() != want.len() {
        return Ok(false);
    }
    for (i, w) in want.iter().enumerate() {
        if stored.get_ref(i)? != rusqlite::types::ValueRef::from(w) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn show(row: &[Sql]) -> String {
    row.iter()
        .map(|v| match v {
            Sql::Null => "null".to_owned(),
            Sql::Integer(i) => i.to_string(),
            Sql::Real(r) => r.to_string(),
            Sql::Text(t) => t.clone(),
            Sql::Blob(b) => hex::encode(b),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Compares every derived table with the rows the re-derived state gives; the first
/// difference, in key order.
fn derived_drift(db: &Db, expected_tables: Vec<Vec<derived::Row>>) -> Result<Option<Error>> {
    for (table, expected) in TABLES.iter().zip(expected_tables) {
        let keys = table
            .columns
            .iter()
            .take(table.key_columns)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {keys}",
            table.columns.join(", "),
            table.name
        );
        let e = db.err("reading derived tables");
        let mut stmt = db.conn.prepare(&sql).map_err(&e)?;
        let n = table.columns.len();
        let mut rows = stmt.query([]).map_err(&e)?;
        let mut expected = expected.into_iter().peekable();
        // A merge of two key-ordered lists: a row only one side has is named as missing from
        // the other, not compared with its neighbour. Stored rows are compared where they lie
        // (`ValueRef`), and copied out only to name a difference.
        let owned = |r: &rusqlite::Row<'_>| -> Result<Vec<Sql>> {
            (0..n)
                .map(|i| r.get::<_, Sql>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(&e)
        };
        let mut stored = rows.next().map_err(&e)?;
        loop {
            let (found, want) = match (stored, expected.peek()) {
                (None, None) => break,
                (Some(s), Some(w)) => match stored_order(s, w, table.key_columns).map_err(&e)? {
                    std::cmp::Ordering::Equal if stored_equals(s, w).map_err(&e)? => {
                        expected.next();
                        stored = rows.next().map_err(&e)?;
                        continue;
                    }
                    std::cmp::Ordering::Equal => (Some(owned(s)?), Some(w.clone())),
                    std::cmp::Ordering::Less => (Some(owned(s)?), None),
                    std::cmp::Ordering::Greater => (None, Some(w.clone())),
                },
                (Some(s), None) => (Some(owned(s)?), None),
                (None, Some(w)) => (None, Some(w.clone())),
            };
            let Some(row) = found.as_ref().or(want.as_ref()) else {
                break;
            };
            let key = show(row.get(..table.key_columns).unwrap_or(row));
            return Ok(Some(Error::new(ErrorKind::Drift {
                table: table.name.into(),
                row: key,
                stored: found.as_deref().map(show),
                expected: want.as_deref().map(show),
            })));
        }
    }
    Ok(None)
}
