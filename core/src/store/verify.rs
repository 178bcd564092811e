//! Verifying a stored ledger by streaming its events table in order: every id, signature and
//! rule is re-checked and the state re-derived (memory bounded by the state, not the length);
//! the stored Merkle nodes and tree heads are recomputed; the derived tables are compared
//! with the re-derived state. The first problem is named.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Rows};

use crate::ledger::{LedgerError, RuleHook, SignatureCheck, State};
use crate::merkle::{Frontier, Hash, SignedTreeHead, empty_root, leaf_hash};
use crate::model::{EventId, PublicKey};
use crate::store::StoreError;
use crate::store::sqlite::{
    REPLAY_CHUNK_EVENTS, SqliteLog, decode_chunk, sql_error, status_text, stock_rows,
};
use crate::verify::{VerifyError, VerifyFailure};

/// What a stored-ledger verification may use.
#[derive(Default)]
pub struct VerifyOptions<'r> {
    /// The rule engine, for ledgers with rule plugins in force.
    pub rules: Option<&'r dyn RuleHook>,
    /// Called after each chunk with the number of events checked so far.
    pub progress: Option<&'r dyn Fn(u64)>,
}

/// The first problem found in a stored ledger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreFailure {
    /// An event does not verify (bytes edited, bad signature, rule broken, out of order).
    #[error("{}", event_failure(.0))]
    Event(VerifyFailure),
    /// The `id` column of a row differs from the id of its bytes.
    #[error(
        "event {index}: the `id` column holds `{stored}` but the stored bytes are event `{computed}`"
    )]
    IdColumn {
        /// Position.
        index: u64,
        /// Column value, hex.
        stored: String,
        /// Id of the bytes.
        computed: EventId,
    },
    /// A row is missing from the events table.
    #[error("event {index} is missing from the `events` table (found {found} next)")]
    MissingEvent {
        /// The position expected.
        index: u64,
        /// The position found instead.
        found: u64,
    },
    /// A stored Merkle node is missing or differs from the recomputed one.
    #[error("merkle node ({level}, {index}) in table `nodes` is {}", if stored.is_some() { "wrong" } else { "missing" })]
    Node {
        /// Level (0 = leaves).
        level: u32,
        /// Index at that level.
        index: u64,
        /// What is stored (hex), if anything.
        stored: Option<String>,
        /// What it should be (hex).
        expected: String,
    },
    /// The `nodes` table holds nodes the log does not have.
    #[error("table `nodes` holds {stored} nodes; a log of {events} events has {expected}")]
    ExtraNodes {
        /// Events.
        events: u64,
        /// Rows stored.
        stored: u64,
        /// Rows expected.
        expected: u64,
    },
    /// A stored tree head's root differs from the recomputed root.
    #[error("tree head of size {size}: stored root `{stored}` but the events give `{computed}`")]
    RootMismatch {
        /// Its size.
        size: u64,
        /// Stored root, hex.
        stored: String,
        /// Recomputed root, hex.
        computed: String,
    },
    /// A stored tree head is not signed by the ledger key.
    #[error("tree head of size {size} is not validly signed by the ledger key `{key}`")]
    HeadSignature {
        /// Its size.
        size: u64,
        /// The ledger key.
        key: PublicKey,
    },
    /// A stored tree head covers more events than are stored.
    #[error("tree head of size {size} covers more events than the {events} stored")]
    HeadBeyondLog {
        /// Its size.
        size: u64,
        /// Events stored.
        events: u64,
    },
    /// A derived table differs from the state re-derived from the events.
    #[error("table `{table}` row {row}: stored {}, expected {}", stored.as_deref().unwrap_or("nothing"), expected.as_deref().unwrap_or("nothing"))]
    Drift {
        /// The table.
        table: &'static str,
        /// The row's key.
        row: String,
        /// What is stored.
        stored: Option<String>,
        /// What the events say.
        expected: Option<String>,
    },
}

fn event_failure(f: &VerifyFailure) -> String {
    match &f.event {
        Some(id) => format!("event {} `{id}`: {}", f.index, f.reason),
        None => format!("event {}: {}", f.index, f.reason),
    }
}

/// The outcome of verifying a stored ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreReport {
    /// Events that verified.
    pub events: u64,
    /// Tree heads checked.
    pub tree_heads: u64,
    /// Digest of the re-derived state.
    pub state_digest: EventId,
    /// The first problem, if any.
    pub failure: Option<StoreFailure>,
}

impl StoreReport {
    /// Whether the ledger verified.
    pub fn is_valid(&self) -> bool {
        self.failure.is_none()
    }
}

/// Opens `path` (without replaying it) and verifies it.
pub fn verify_file(
    path: &std::path::Path,
    options: &VerifyOptions<'_>,
) -> Result<StoreReport, StoreError> {
    let log = SqliteLog::open(path)?;
    verify_log(&log, options)
}

struct Run<'a> {
    log: &'a SqliteLog,
    state: State,
    frontier: Frontier,
    heads: u64,
    touches: u64,
    // INVARIANT (touches-digest): SHA-256 over the trace index rows the events imply, in
    // (seq, kind, stock) order; compared with the stored rows in the same order.
    touches_digest: sha2::Sha256,
    failure: Option<StoreFailure>,
}

/// Feeds one trace-index row into a digest, unambiguously (ids hold no NUL).
fn touch_row(digest: &mut sha2::Sha256, seq: u64, kind: &str, stock: &str) {
    use sha2::Digest;
    digest.update(seq.to_be_bytes());
    digest.update(kind.as_bytes());
    digest.update([0]);
    digest.update(stock.as_bytes());
    digest.update([0]);
}

use crate::store::sqlite::HeadRow;

fn next_head(rows: &mut Rows<'_>, path: &str) -> Result<Option<HeadRow>, StoreError> {
    let e = |err| sql_error(path, "reading tree heads", err);
    match rows.next().map_err(e)? {
        None => Ok(None),
        Some(r) => Ok(Some((
            r.get(0).map_err(e)?,
            r.get(1).map_err(e)?,
            r.get(2).map_err(e)?,
            r.get(3).map_err(e)?,
        ))),
    }
}

impl Run<'_> {
    fn fail(&mut self, f: StoreFailure) {
        if self.failure.is_none() {
            self.failure = Some(f);
        }
    }

    /// Checks every stored head whose size the frontier has reached.
    fn check_heads(
        &mut self,
        rows: &mut Rows<'_>,
        pending: &mut Option<HeadRow>,
    ) -> Result<(), StoreError> {
        while let Some((size, root, key, sig)) = pending.take() {
            let size = u64::try_from(size).unwrap_or(u64::MAX);
            if size > self.frontier.size() {
                *pending = Some((i64::try_from(size).unwrap_or(i64::MAX), root, key, sig));
                return Ok(());
            }
            let computed = self.frontier.root();
            let head = root.as_slice().try_into().ok().and_then(|r: Hash| {
                SignedTreeHead::from_parts(
                    size,
                    r,
                    PublicKey::from_bytes(key.as_slice().try_into().ok()?),
                    &sig,
                )
            });
            match head {
                Some(h) if h.root != computed => {
                    self.fail(StoreFailure::RootMismatch {
                        size,
                        stored: hex::encode(h.root),
                        computed: hex::encode(computed),
                    });
                    return Ok(());
                }
                Some(h) if h.verify(&self.log.key).is_ok() => {}
                _ => {
                    self.fail(StoreFailure::HeadSignature {
                        size,
                        key: self.log.key,
                    });
                    return Ok(());
                }
            }
            self.heads += 1;
            *pending = next_head(rows, &self.log.path)?;
        }
        Ok(())
    }

    fn chunk(
        &mut self,
        chunk: Vec<(u64, Vec<u8>, Vec<u8>)>,
        rules: Option<&dyn RuleHook>,
        heads: &mut Rows<'_>,
        pending: &mut Option<HeadRow>,
    ) -> Result<(), StoreError> {
        let jsons: Vec<Vec<u8>> = chunk.iter().map(|(_, _, j)| j.clone()).collect();
        for ((seq, id_col, ev, sig_ok), json) in decode_chunk(chunk, true).into_iter().zip(jsons) {
            let index = self.state.event_count();
            if seq != index {
                self.fail(StoreFailure::MissingEvent { index, found: seq });
                return Ok(());
            }
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    let event = serde_json::from_slice::<serde_json::Value>(&json)
                        .ok()
                        .and_then(|v| crate::event::event_id_of(&v).ok());
                    self.fail(StoreFailure::Event(VerifyFailure {
                        index,
                        event,
                        reason: VerifyError::Event(LedgerError::from(e)),
                    }));
                    return Ok(());
                }
            };
            if id_col.as_slice() != ev.id.as_bytes().as_slice() {
                self.fail(StoreFailure::IdColumn {
                    index,
                    stored: hex::encode(&id_col),
                    computed: ev.id,
                });
                return Ok(());
            }
            let check = if sig_ok {
                SignatureCheck::AlreadyVerified
            } else {
                SignatureCheck::Verify
            };
            match self.state.apply(&ev, check, rules) {
                Ok(applied) => {
                    let distinct: std::collections::BTreeSet<_> = applied
                        .stocks
                        .iter()
                        .map(crate::store::sqlite::stock_key)
                        .collect();
                    self.touches += distinct.len() as u64;
                    for (kind, stock) in &distinct {
                        touch_row(&mut self.touches_digest, index, kind, stock);
                    }
                }
                Err(e) => {
                    self.fail(StoreFailure::Event(VerifyFailure {
                        index,
                        event: Some(ev.id),
                        reason: VerifyError::Event(e),
                    }));
                    return Ok(());
                }
            }
            let mut stmt = self
                .log
                .conn
                .prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")
                .map_err(|e| sql_error(&self.log.path, "reading nodes", e))?;
            for (level, idx, hash) in self.frontier.push(leaf_hash(&ev.id)) {
                let stored: Option<Vec<u8>> = stmt
                    .query_row(
                        rusqlite::params![level, i64::try_from(idx).unwrap_or(i64::MAX)],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| sql_error(&self.log.path, "reading nodes", e))?;
                if stored.as_deref() != Some(hash.as_slice()) {
                    self.fail(StoreFailure::Node {
                        level,
                        index: idx,
                        stored: stored.map(hex::encode),
                        expected: hex::encode(hash),
                    });
                    return Ok(());
                }
            }
            self.check_heads(heads, pending)?;
            if self.failure.is_some() {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Verifies a ledger file opened with [`SqliteLog::open`]. Errors are for I/O only; anything
/// wrong with the ledger is the report's `failure`.
pub fn verify_log(log: &SqliteLog, options: &VerifyOptions<'_>) -> Result<StoreReport, StoreError> {
    let e = |op| move |err| sql_error(&log.path, op, err);
    // One read transaction: a consistent snapshot even while a writer appends.
    log.conn
        .execute_batch("BEGIN")
        .map_err(e("starting a read transaction"))?;
    let result = verify_in_snapshot(log, options);
    let _ = log.conn.execute_batch("ROLLBACK");
    result
}

fn verify_in_snapshot(
    log: &SqliteLog,
    options: &VerifyOptions<'_>,
) -> Result<StoreReport, StoreError> {
    let mut run = Run {
        log,
        state: State::default(),
        frontier: Frontier::new(),
        heads: 0,
        touches: 0,
        touches_digest: sha2::Sha256::default(),
        failure: None,
    };
    let mut head_stmt = log
        .conn
        .prepare("SELECT size, root, key, sig FROM tree_heads ORDER BY size")
        .map_err(|e| sql_error(&log.path, "reading tree heads", e))?;
    let mut head_rows = head_stmt
        .query([])
        .map_err(|e| sql_error(&log.path, "reading tree heads", e))?;
    let mut pending = next_head(&mut head_rows, &log.path)?;
    run.check_heads(&mut head_rows, &mut pending)?;
    debug_assert!(run.failure.is_some() || run.frontier.root() == empty_root());

    let mut chunk = Vec::with_capacity(REPLAY_CHUNK_EVENTS);
    let mut io: Result<(), StoreError> = Ok(());
    log.for_each_event(0, |seq, id, json| {
        if run.failure.is_some() {
            return Ok(false);
        }
        chunk.push((seq, id.to_vec(), json.to_vec()));
        if chunk.len() >= REPLAY_CHUNK_EVENTS {
            if let Err(err) = run.chunk(
                std::mem::take(&mut chunk),
                options.rules,
                &mut head_rows,
                &mut pending,
            ) {
                io = Err(err);
                return Ok(false);
            }
            if let Some(p) = options.progress {
                p(run.state.event_count());
            }
        }
        Ok(run.failure.is_none())
    })?;
    io?;
    if run.failure.is_none() {
        run.chunk(
            std::mem::take(&mut chunk),
            options.rules,
            &mut head_rows,
            &mut pending,
        )?;
        if let Some(p) = options.progress {
            p(run.state.event_count());
        }
    }
    let events = run.state.event_count();
    if run.failure.is_none()
        && let Some((size, ..)) = pending
    {
        run.fail(StoreFailure::HeadBeyondLog {
            size: u64::try_from(size).unwrap_or(0),
            events,
        });
    }
    drop(head_rows);
    if run.failure.is_none() {
        let count = |sql: &str| -> Result<u64, StoreError> {
            let n: i64 = log
                .conn
                .query_row(sql, [], |r| r.get(0))
                .map_err(|e| sql_error(&log.path, "counting rows", e))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let stored = count("SELECT COUNT(*) FROM nodes")?;
        let expected = 2 * events - u64::from(events.count_ones());
        if stored != expected {
            run.fail(StoreFailure::ExtraNodes {
                events,
                stored,
                expected,
            });
        }
        if run.failure.is_none() {
            let stored = count("SELECT COUNT(*) FROM touches")?;
            if stored != run.touches {
                run.fail(StoreFailure::Drift {
                    table: "touches",
                    row: "count".into(),
                    stored: Some(stored.to_string()),
                    expected: Some(run.touches.to_string()),
                });
            }
        }
        if run.failure.is_none() {
            use sha2::Digest;
            let mut stored = sha2::Sha256::default();
            let mut stmt = log
                .conn
                .prepare("SELECT seq, kind, stock FROM touches ORDER BY seq, kind, stock")
                .map_err(|e| sql_error(&log.path, "reading the trace index", e))?;
            let mut rows = stmt
                .query([])
                .map_err(|e| sql_error(&log.path, "reading the trace index", e))?;
            while let Some(row) = rows
                .next()
                .map_err(|e| sql_error(&log.path, "reading the trace index", e))?
            {
                let seq: i64 = row
                    .get(0)
                    .map_err(|e| sql_error(&log.path, "reading the trace index", e))?;
                let kind: String = row
                    .get(1)
                    .map_err(|e| sql_error(&log.path, "reading the trace index", e))?;
                let stock: String = row
                    .get(2)
                    .map_err(|e| sql_error(&log.path, "reading the trace index", e))?;
                touch_row(
                    &mut stored,
                    u64::try_from(seq).unwrap_or(u64::MAX),
                    &kind,
                    &stock,
                );
            }
            let stored = hex::encode(stored.finalize());
            let expected = hex::encode(std::mem::take(&mut run.touches_digest).finalize());
            if stored != expected {
                run.fail(StoreFailure::Drift {
                    table: "touches",
                    row: "rows differ from the items and lots the events touched".into(),
                    stored: Some(stored),
                    expected: Some(expected),
                });
            }
        }
    }
    if run.failure.is_none()
        && let Some(f) = derived_drift(log, &run.state)?
    {
        run.fail(f);
    }
    Ok(StoreReport {
        events,
        tree_heads: run.heads,
        state_digest: run.state.digest(),
        failure: run.failure,
    })
}

/// Compares a derived table (key → value) with what the state says; the first difference.
fn compare(
    table: &'static str,
    stored: BTreeMap<String, String>,
    expected: BTreeMap<String, String>,
) -> Option<StoreFailure> {
    let mut keys: Vec<&String> = stored.keys().chain(expected.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (s, x) = (stored.get(k), expected.get(k));
        if s != x {
            return Some(StoreFailure::Drift {
                table,
                row: k.clone(),
                stored: s.cloned(),
                expected: x.cloned(),
            });
        }
    }
    None
}

fn derived_drift(log: &SqliteLog, state: &State) -> Result<Option<StoreFailure>, StoreError> {
    let read = |sql: &str| -> Result<BTreeMap<String, String>, StoreError> {
        let e = |err| sql_error(&log.path, "reading derived tables", err);
        let mut stmt = log.conn.prepare(sql).map_err(e)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(e)?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (k, v) = row.map_err(e)?;
            out.insert(k, v);
        }
        Ok(out)
    };
    // Balances: key `kind stock account`, value `units site custodian`.
    let stored = read(
        "SELECT kind || ' `' || stock || '` in `' || account || '`',
                units || ' ' || COALESCE(site, '-') || ' ' || COALESCE(custodian, '-') FROM balances",
    )?;
    let mut expected = BTreeMap::new();
    let stocks = state
        .items()
        .map(|i| crate::ledger::Stock::Item(i.item.id.clone()))
        .chain(
            state
                .lots()
                .map(|l| crate::ledger::Stock::Lot(l.lot.id.clone())),
        );
    for stock in stocks {
        let kind = match stock {
            crate::ledger::Stock::Item(_) => "item",
            crate::ledger::Stock::Lot(_) => "lot",
        };
        for (account, units) in stock_rows(state, &stock) {
            let (site, custodian) = crate::store::sqlite::holding_parts(&account);
            expected.insert(
                format!("{kind} `{stock}` in `{account}`"),
                format!(
                    "{units} {} {}",
                    site.as_deref().unwrap_or("-"),
                    custodian.as_deref().unwrap_or("-")
                ),
            );
        }
    }
    if let Some(f) = compare("balances", stored, expected) {
        return Ok(Some(f));
    }
    let stored = read(
        "SELECT '`' || id || '`', status || ' ' || location || ' ' || hex(last_event) FROM items",
    )?;
    let expected = state
        .items()
        .map(|i| {
            (
                format!("`{}`", i.item.id),
                format!(
                    "{} {} {}",
                    status_text(&i.status),
                    i.location,
                    hex::encode_upper(i.last_event.as_bytes())
                ),
            )
        })
        .collect();
    if let Some(f) = compare("items", stored, expected) {
        return Ok(Some(f));
    }
    let stored = read("SELECT '`' || id || '`', status || ' ' || hex(last_event) FROM lots")?;
    let expected = state
        .lots()
        .map(|l| {
            (
                format!("`{}`", l.lot.id),
                format!(
                    "{} {}",
                    status_text(&l.status),
                    hex::encode_upper(l.last_event.as_bytes())
                ),
            )
        })
        .collect();
    Ok(compare("lots", stored, expected))
}
