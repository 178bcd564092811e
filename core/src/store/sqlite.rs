//! The embedded store: one SQLite file in WAL mode holding the events in append order (their
//! canonical JSONL bytes), the Merkle log's complete subtrees and signed tree heads, and the
//! derived state in tables for fast queries. See `docs/STORAGE.md`.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};

use crate::event::{DecodeError, SignedEvent, Signer};
use crate::ledger::{
    Account, Applied, LedgerError, RecordedVerdicts, RuleHook, SignatureCheck, State, Stock,
};
use crate::merkle::{
    self, Frontier, Hash, NodeSource, ProofError, SignedTreeHead, empty_root, leaf_hash,
};
use crate::model::{EventId, PublicKey};
use crate::store::{Store, StoreError, apply_batch, parallel_map, signatures_valid};

/// `PRAGMA application_id` of a custodia ledger: ASCII `CUST`.
pub const LEDGER_APPLICATION_ID: i64 = 0x4355_5354;
/// Version of the file layout (`PRAGMA user_version` and `meta.version`).
pub const FORMAT_VERSION: i64 = 1;
/// How long a writer waits for another writer before giving up with [`StoreError::Busy`].
const BUSY_TIMEOUT_MS: u64 = 10_000;
/// Events decoded per chunk while replaying or verifying (bounds memory, feeds all cores).
pub(crate) const REPLAY_CHUNK_EVENTS: usize = 4096;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID;
CREATE TABLE events (seq INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, json BLOB NOT NULL);
CREATE TABLE nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                    PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE tree_heads (size INTEGER PRIMARY KEY, root BLOB NOT NULL, key BLOB NOT NULL,
                         sig BLOB NOT NULL);
CREATE TABLE balances (kind TEXT NOT NULL, stock TEXT NOT NULL, account TEXT NOT NULL,
                       site TEXT, custodian TEXT, units INTEGER NOT NULL,
                       PRIMARY KEY (kind, stock, account)) WITHOUT ROWID;
CREATE INDEX balances_by_site ON balances (site, custodian);
CREATE TABLE items (id TEXT PRIMARY KEY, status TEXT NOT NULL, location TEXT NOT NULL,
                    last_event BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE lots (id TEXT PRIMARY KEY, status TEXT NOT NULL, last_event BLOB NOT NULL)
                   WITHOUT ROWID;
CREATE TABLE touches (kind TEXT NOT NULL, stock TEXT NOT NULL, seq INTEGER NOT NULL,
                      PRIMARY KEY (kind, stock, seq)) WITHOUT ROWID;
";

/// One row of the `balances` table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BalanceRow {
    /// `item` or `lot`.
    pub kind: String,
    /// The item or lot id.
    pub stock: String,
    /// The account, as displayed (`unit:a@depot:a`, `sink:destroyed`, ...).
    pub account: String,
    /// For holdings: the site.
    pub site: Option<String>,
    /// For holdings: the custodian.
    pub custodian: Option<String>,
    /// Units.
    pub units: i64,
}

/// One event in the history of an item or lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRow {
    /// Position in append order.
    pub index: u64,
    /// The event's canonical JSON.
    pub json: Vec<u8>,
}

/// Read access to a ledger file without replaying it: proofs, tree heads, queries on the
/// derived tables, and the events in order. Cheap to open.
pub struct SqliteLog {
    pub(crate) conn: Connection,
    pub(crate) path: String,
    pub(crate) key: PublicKey,
    /// Upper Merkle nodes read for proofs. A stored node is the hash of a complete subtree
    /// and never changes once written, so it can be kept; `verify` never reads through here.
    pub(crate) node_cache: std::cell::RefCell<std::collections::HashMap<(u32, u64), Hash>>,
}

/// Merkle nodes at or above this level (subtrees of 2^level leaves) are cached for proofs:
/// every proof at a given size shares its upper nodes, which are most of its reads.
const NODE_CACHE_LEVEL_MIN: u32 = 4;
/// At most this many cached nodes (32-byte hashes): 16 MiB or so.
const NODE_CACHE_ENTRIES_MAX: usize = 1 << 19;

impl std::fmt::Debug for SqliteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLog")
            .field("path", &self.path)
            .finish()
    }
}

pub(crate) fn sql_error(path: &str, operation: &'static str, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy {
            path: path.to_owned(),
        },
        Some(ErrorCode::NotADatabase) => StoreError::NotALedger {
            path: path.to_owned(),
            reason: "it is not an SQLite database".into(),
        },
        _ => StoreError::Sqlite {
            operation,
            reason: e.to_string(),
        },
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn blob32(v: &[u8]) -> Option<[u8; 32]> {
    v.try_into().ok()
}

pub(crate) fn stock_key(stock: &Stock) -> (&'static str, String) {
    match stock {
        Stock::Item(id) => ("item", id.to_string()),
        Stock::Lot(id) => ("lot", id.to_string()),
    }
}

/// Text of a status as on the wire (`pending_destruction`).
pub(crate) fn status_text<T: serde::Serialize>(s: &T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The balance rows of one stock as the state derives them: (account, units).
pub(crate) fn stock_rows(state: &State, stock: &Stock) -> Vec<(Account, i128)> {
    match stock {
        Stock::Lot(id) => state
            .lot(id)
            .map(|l| l.balances.iter().map(|(a, b)| (a.clone(), *b)).collect())
            .unwrap_or_default(),
        Stock::Item(id) => state
            .item(id)
            .map(|i| {
                let source = Account::Source(crate::ledger::Source::Origin(i.origin.kind));
                vec![(i.location.clone(), 1), (source, -1)]
            })
            .unwrap_or_default(),
    }
}

pub(crate) fn holding_parts(account: &Account) -> (Option<String>, Option<String>) {
    match account {
        Account::Holding { site, custodian } => {
            (Some(site.to_string()), Some(custodian.to_string()))
        }
        _ => (None, None),
    }
}

/// Nodes read from the `nodes` table.
pub(crate) struct SqlNodes<'c> {
    pub(crate) conn: &'c Connection,
    pub(crate) size: u64,
    pub(crate) cache: Option<&'c std::cell::RefCell<std::collections::HashMap<(u32, u64), Hash>>>,
}

impl NodeSource for SqlNodes<'_> {
    fn size(&self) -> u64 {
        self.size
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        let cacheable = level >= NODE_CACHE_LEVEL_MIN;
        if let Some(hash) = self
            .cache
            .filter(|_| cacheable)
            .and_then(|c| c.borrow().get(&(level, index)).copied())
        {
            return Ok(hash);
        }
        let hash = self.read_node(level, index)?;
        if let Some(cache) = self.cache.filter(|_| cacheable) {
            let mut cache = cache.borrow_mut();
            if cache.len() < NODE_CACHE_ENTRIES_MAX {
                cache.insert((level, index), hash);
            }
        }
        Ok(hash)
    }
}

impl SqlNodes<'_> {
    fn read_node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")
            .map_err(|e| ProofError::Store(e.to_string()))?;
        let hash: Option<Vec<u8>> = stmt
            .query_row(params![level, to_i64(index)], |r| r.get(0))
            .optional()
            .map_err(|e| ProofError::Store(e.to_string()))?;
        hash.as_deref()
            .and_then(blob32)
            .ok_or(ProofError::MissingNode { level, index })
    }
}

impl SqliteLog {
    /// Opens an existing ledger file for reading and querying (no replay).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        if !path.exists() {
            return Err(StoreError::NotFound { path: shown });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_error(&shown, "opening the ledger", e))?;
        Self::check(conn, shown)
    }

    fn check(conn: Connection, path: String) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(|e| sql_error(&path, "setting the busy timeout", e))?;
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| sql_error(&path, "reading the application id", e))?;
        if app != LEDGER_APPLICATION_ID {
            return Err(StoreError::NotALedger {
                path,
                reason: format!(
                    "its SQLite application id is {app:#x}, not {LEDGER_APPLICATION_ID:#x}"
                ),
            });
        }
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| sql_error(&path, "reading the format version", e))?;
        if version != FORMAT_VERSION {
            return Err(StoreError::UnsupportedFormat {
                path,
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        // FULL: a committed batch survives a crash of the machine, not just of the process.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| sql_error(&path, "setting synchronous mode", e))?;
        let key: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'ledger_key'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql_error(&path, "reading the ledger key", e))?;
        let key = key
            .and_then(|k| k.parse::<PublicKey>().ok())
            .ok_or_else(|| StoreError::NotALedger {
                path: path.clone(),
                reason: "its `meta` table has no valid `ledger_key`".into(),
            })?;
        Ok(Self {
            conn,
            path,
            key,
            node_cache: Default::default(),
        })
    }

    fn create_conn(conn: Connection, path: String, key: &Signer) -> Result<Self, StoreError> {
        let e = |op| {
            let path = path.clone();
            move |err| sql_error(&path, op, err)
        };
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(e("switching to WAL mode"))?;
        conn.execute_batch(&format!(
            "BEGIN;
             PRAGMA application_id = {LEDGER_APPLICATION_ID};
             PRAGMA user_version = {FORMAT_VERSION};
             {SCHEMA}"
        ))
        .map_err(e("creating the schema"))?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('format', 'custodia-ledger'), ('version', ?1),
             ('ledger_key', ?2), ('ledger_seed', ?3)",
            params![
                FORMAT_VERSION,
                key.public_key().to_string(),
                key.seed().to_vec()
            ],
        )
        .map_err(e("writing the meta table"))?;
        let head = SignedTreeHead::sign(0, empty_root(), key);
        insert_head(&conn, &head).map_err(e("writing the first tree head"))?;
        conn.execute_batch("COMMIT")
            .map_err(e("committing the new ledger"))?;
        Self::check(conn, path)
    }

    fn err(&self, operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |e| sql_error(&self.path, operation, e)
    }

    /// The path it was opened from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The public key that signs this ledger's tree heads.
    pub fn ledger_key(&self) -> PublicKey {
        self.key
    }

    /// Events stored.
    pub fn len(&self) -> Result<u64, StoreError> {
        let last: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("counting events"))?;
        Ok(last.map_or(0, |s| to_u64(s) + 1))
    }

    /// Whether the ledger holds no event.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    pub(crate) fn nodes(&self, size: u64) -> SqlNodes<'_> {
        SqlNodes {
            conn: &self.conn,
            size,
            cache: Some(&self.node_cache),
        }
    }

    /// The latest signed tree head.
    pub fn tree_head(&self) -> Result<SignedTreeHead, StoreError> {
        let row: Option<HeadRow> = self
            .conn
            .query_row(
                "SELECT size, root, key, sig FROM tree_heads ORDER BY size DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(self.err("reading the tree head"))?;
        let (size, root, key, sig) = row.ok_or_else(|| StoreError::Damaged {
            reason: "no tree head is stored".into(),
        })?;
        head_from_row(to_u64(size), &root, &key, &sig)
    }

    /// Every stored tree head, smallest first.
    pub fn tree_heads(&self) -> Result<Vec<SignedTreeHead>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT size, root, key, sig FROM tree_heads ORDER BY size")
            .map_err(self.err("reading tree heads"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .map_err(self.err("reading tree heads"))?;
        let mut out = Vec::new();
        for row in rows {
            let (size, root, key, sig) = row.map_err(self.err("reading tree heads"))?;
            out.push(head_from_row(to_u64(size), &root, &key, &sig)?);
        }
        Ok(out)
    }

    /// The root of the tree of the first `size` events, from the stored nodes.
    pub fn root(&self, size: u64) -> Result<Hash, StoreError> {
        let len = self.len()?;
        Ok(merkle::root(&self.nodes(len), size)?)
    }

    /// Inclusion proof of leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        let len = self.len()?;
        Ok(merkle::inclusion_proof(&self.nodes(len), index, size)?)
    }

    /// Consistency proof from size `first` to size `second`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, StoreError> {
        let len = self.len()?;
        Ok(merkle::consistency_proof(&self.nodes(len), first, second)?)
    }

    /// Position of an event in append order.
    pub fn index_of(&self, id: &EventId) -> Result<Option<u64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq FROM events WHERE id = ?1")
            .map_err(self.err("looking up an event"))?;
        let seq: Option<i64> = stmt
            .query_row([id.as_bytes().as_slice()], |r| r.get(0))
            .optional()
            .map_err(self.err("looking up an event"))?;
        Ok(seq.map(to_u64))
    }

    /// The stored bytes of the event at `index`.
    pub fn event_json(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json FROM events WHERE seq = ?1")
            .map_err(self.err("reading an event"))?;
        stmt.query_row([to_i64(index)], |r| r.get(0))
            .optional()
            .map_err(self.err("reading an event"))
    }

    /// Streams the stored events from `from` on, in append order: `f(seq, id column, json)`.
    /// Stops early when `f` returns `Ok(false)`.
    pub fn for_each_event(
        &self,
        from: u64,
        mut f: impl FnMut(u64, &[u8], &[u8]) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, id, json FROM events WHERE seq >= ?1 ORDER BY seq")
            .map_err(self.err("reading events"))?;
        let mut rows = stmt
            .query([to_i64(from)])
            .map_err(self.err("reading events"))?;
        while let Some(row) = rows.next().map_err(self.err("reading events"))? {
            let seq: i64 = row.get(0).map_err(self.err("reading events"))?;
            let id = row.get_ref(1).map_err(self.err("reading events"))?;
            let id = id.as_blob().unwrap_or_default();
            let json = row.get_ref(2).map_err(self.err("reading events"))?;
            let json = json
                .as_blob()
                .or_else(|_| json.as_str().map(str::as_bytes))
                .unwrap_or_default();
            if !f(to_u64(seq), id, json)? {
                break;
            }
        }
        Ok(())
    }

    /// Every event that touched the item or lot `id`, oldest first (an index lookup).
    pub fn trace(&self, id: &str) -> Result<Vec<TraceRow>, StoreError> {
        let mut stmt = self
            .conn
            // Naming both kinds lets SQLite search the `(kind, stock, seq)` primary key
            // instead of scanning every row of `touches` (same rows as `t.stock = ?1` alone).
            .prepare_cached(
                "SELECT e.seq, e.json FROM touches t JOIN events e ON e.seq = t.seq
                 WHERE t.kind IN ('item', 'lot') AND t.stock = ?1 ORDER BY t.seq",
            )
            .map_err(self.err("tracing"))?;
        let rows = stmt
            .query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(self.err("tracing"))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, json) = row.map_err(self.err("tracing"))?;
            out.push(TraceRow {
                index: to_u64(seq),
                json,
            });
        }
        Ok(out)
    }

    /// Balances from the derived table, optionally only the holdings at one site.
    pub fn balances(&self, site: Option<&str>) -> Result<Vec<BalanceRow>, StoreError> {
        let sql = if site.is_some() {
            "SELECT kind, stock, account, site, custodian, units FROM balances WHERE site = ?1
             ORDER BY custodian, kind, stock"
        } else {
            "SELECT kind, stock, account, site, custodian, units FROM balances
             WHERE ?1 IS NULL OR ?1 IS NOT NULL ORDER BY account, kind, stock"
        };
        let mut stmt = self
            .conn
            .prepare(sql)
            .map_err(self.err("reading balances"))?;
        let rows = stmt
            .query_map([site], |r| {
                Ok(BalanceRow {
                    kind: r.get(0)?,
                    stock: r.get(1)?,
                    account: r.get(2)?,
                    site: r.get(3)?,
                    custodian: r.get(4)?,
                    units: r.get(5)?,
                })
            })
            .map_err(self.err("reading balances"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.err("reading balances"))
    }

    fn ledger_signer(&self) -> Result<Signer, StoreError> {
        let seed: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'ledger_seed'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("reading the ledger key"))?;
        let seed = seed
            .as_deref()
            .and_then(blob32)
            .ok_or_else(|| StoreError::Damaged {
                reason: "the `meta` table holds no ledger signing key".into(),
            })?;
        let signer = Signer::from_seed(seed);
        if signer.public_key() != self.key {
            return Err(StoreError::Damaged {
                reason: "the ledger signing key does not match `ledger_key`".into(),
            });
        }
        Ok(signer)
    }
}

fn head_from_row(
    size: u64,
    root: &[u8],
    key: &[u8],
    sig: &[u8],
) -> Result<SignedTreeHead, StoreError> {
    let damaged = || StoreError::Damaged {
        reason: format!("tree head of size {size} is malformed"),
    };
    let root = blob32(root).ok_or_else(damaged)?;
    let key = PublicKey::from_bytes(blob32(key).ok_or_else(damaged)?);
    SignedTreeHead::from_parts(size, root, key, sig).ok_or_else(damaged)
}

fn insert_head(conn: &Connection, head: &SignedTreeHead) -> Result<(), rusqlite::Error> {
    for s in &head.signatures {
        let sig = s.sig.0.to_vec();
        conn.prepare_cached(
            "INSERT OR REPLACE INTO tree_heads (size, root, key, sig) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            to_i64(head.size),
            head.root.to_vec(),
            s.key.as_bytes().to_vec(),
            sig
        ])?;
    }
    Ok(())
}

/// Decodes a chunk of stored rows on all cores; with `signatures`, also checks signatures.
pub(crate) type DecodedRow = (u64, Vec<u8>, Result<SignedEvent, DecodeError>, bool);

pub(crate) fn decode_chunk(
    rows: Vec<(u64, Vec<u8>, Vec<u8>)>,
    signatures: bool,
) -> Vec<DecodedRow> {
    let decoded = parallel_map(&rows, |(_, _, json)| {
        let ev = SignedEvent::from_json(json);
        let ok = match (&ev, signatures) {
            (Ok(e), true) => signatures_valid(std::slice::from_ref(e))
                .first()
                .copied()
                .unwrap_or(false),
            _ => false,
        };
        (ev, ok)
    });
    rows.into_iter()
        .zip(decoded)
        .map(|((seq, id, _), (ev, ok))| (seq, id, ev, ok))
        .collect()
}

/// The ledger in a SQLite file with its state in memory: the [`Store`] to append through.
pub struct SqliteStore {
    log: SqliteLog,
    state: State,
    frontier: Frontier,
    signer: Signer,
    rules: Option<Box<dyn RuleHook + Send + Sync>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.log.path)
            .field("events", &self.state.event_count())
            .finish()
    }
}

impl SqliteStore {
    /// Creates a new ledger file. Its tree heads are signed by `key` (a fresh key when none),
    /// whose seed is kept in the file's `meta` table.
    pub fn create(path: &Path, key: Option<Signer>) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        if path.exists() {
            return Err(StoreError::AlreadyExists { path: shown });
        }
        let conn =
            Connection::open(path).map_err(|e| sql_error(&shown, "creating the ledger", e))?;
        let signer = key.unwrap_or_else(Signer::generate);
        let log = SqliteLog::create_conn(conn, shown, &signer)?;
        Ok(Self::empty(log, signer))
    }

    /// A ledger in an in-memory SQLite database (for tests).
    pub fn in_memory(key: Option<Signer>) -> Result<Self, StoreError> {
        let path = ":memory:".to_owned();
        let conn =
            Connection::open_in_memory().map_err(|e| sql_error(&path, "creating the ledger", e))?;
        let signer = key.unwrap_or_else(Signer::generate);
        let log = SqliteLog::create_conn(conn, path, &signer)?;
        Ok(Self::empty(log, signer))
    }

    fn empty(log: SqliteLog, signer: Signer) -> Self {
        Self {
            log,
            state: State::default(),
            frontier: Frontier::new(),
            signer,
            rules: None,
        }
    }

    /// Opens an existing ledger file and replays its events into memory.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_rules(path, None)
    }

    /// Opens a ledger whose events are judged by `rules` while rule plugins are in force.
    pub fn open_with_rules(
        path: &Path,
        rules: Option<Box<dyn RuleHook + Send + Sync>>,
    ) -> Result<Self, StoreError> {
        let log = SqliteLog::open(path)?;
        let signer = log.ledger_signer()?;
        let mut store = Self::empty(log, signer);
        store.rules = rules;
        store.catch_up()?;
        Ok(store)
    }

    /// The read side.
    pub fn log(&self) -> &SqliteLog {
        &self.log
    }

    /// The signing key of tree heads.
    pub fn ledger_key(&self) -> PublicKey {
        self.signer.public_key()
    }

    /// Sets the rule engine consulted while rule plugins are in force.
    pub fn set_rules(&mut self, rules: Option<Box<dyn RuleHook + Send + Sync>>) {
        self.rules = rules;
    }

    /// Replays events stored after those already in memory (written by another process).
    /// Their signatures were checked by the writer that appended them; `verify` re-checks all.
    fn catch_up(&mut self) -> Result<(), StoreError> {
        let from = self.state.event_count();
        // Stored events were judged by the rules in force when they were appended; replaying
        // them needs no plugins (`verify` re-runs the plugins on every event).
        let rules: Option<&dyn RuleHook> = Some(&RecordedVerdicts);
        let state = &mut self.state;
        let mut chunk = Vec::with_capacity(REPLAY_CHUNK_EVENTS);
        let mut replay = |chunk: Vec<(u64, Vec<u8>, Vec<u8>)>| -> Result<(), StoreError> {
            for (seq, _id, ev, _) in decode_chunk(chunk, false) {
                if seq != state.event_count() {
                    return Err(StoreError::Damaged {
                        reason: format!("event {} is missing", state.event_count()),
                    });
                }
                let ev = ev.map_err(|e| StoreError::Corrupt {
                    index: seq,
                    error: e.into(),
                })?;
                state
                    .apply(&ev, SignatureCheck::AlreadyVerified, rules)
                    .map_err(|error| StoreError::Corrupt { index: seq, error })?;
            }
            Ok(())
        };
        self.log.for_each_event(from, |seq, id, json| {
            chunk.push((seq, id.to_vec(), json.to_vec()));
            if chunk.len() >= REPLAY_CHUNK_EVENTS {
                replay(std::mem::take(&mut chunk))?;
            }
            Ok(true)
        })?;
        replay(chunk)?;
        let size = self.state.event_count();
        if size != self.frontier.size() {
            self.frontier =
                Frontier::load(&self.log.nodes(size), size).map_err(|e| StoreError::Damaged {
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }

    fn write_batch(
        &self,
        events: &[SignedEvent],
        applied: &[Applied],
        next: &State,
        frontier: &mut Frontier,
    ) -> Result<(), StoreError> {
        let conn = &self.log.conn;
        let e = |op| self.log.err(op);
        // `next` already holds the batch: its events are numbered from where the file ends.
        let base = next.event_count().saturating_sub(events.len() as u64);
        {
            let mut ins = conn
                .prepare_cached("INSERT INTO events (seq, id, json) VALUES (?1, ?2, ?3)")
                .map_err(e("writing events"))?;
            let mut node = conn
                .prepare_cached("INSERT INTO nodes (level, idx, hash) VALUES (?1, ?2, ?3)")
                .map_err(e("writing nodes"))?;
            let mut touch = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO touches (kind, stock, seq) VALUES (?1, ?2, ?3)",
                )
                .map_err(e("writing the trace index"))?;
            for (i, (ev, a)) in events.iter().zip(applied).enumerate() {
                let seq = to_i64(base + i as u64);
                let json = ev.to_json().map_err(|err| StoreError::Corrupt {
                    index: base + i as u64,
                    error: err.into(),
                })?;
                ins.execute(params![seq, ev.id.as_bytes().as_slice(), json.as_bytes()])
                    .map_err(e("writing events"))?;
                for (level, idx, hash) in frontier.push(leaf_hash(&ev.id)) {
                    node.execute(params![level, to_i64(idx), hash.as_slice()])
                        .map_err(e("writing nodes"))?;
                }
                for stock in &a.stocks {
                    let (kind, id) = stock_key(stock);
                    touch
                        .execute(params![kind, id, seq])
                        .map_err(e("writing the trace index"))?;
                }
            }
        }
        let touched: BTreeSet<&Stock> = applied.iter().flat_map(|a| a.stocks.iter()).collect();
        write_derived(conn, next, touched.into_iter()).map_err(|err| match err {
            DerivedError::Sql(s) => sql_error(&self.log.path, "writing derived state", s),
            DerivedError::Store(s) => s,
        })?;
        let head = SignedTreeHead::sign(frontier.size(), frontier.root(), &self.signer);
        insert_head(conn, &head).map_err(e("writing the tree head"))?;
        Ok(())
    }
}

/// A stored tree head row: (size, root, key, signature).
pub(crate) type HeadRow = (i64, Vec<u8>, Vec<u8>, Vec<u8>);

pub(crate) enum DerivedError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for DerivedError {
    fn from(e: rusqlite::Error) -> Self {
        DerivedError::Sql(e)
    }
}

/// Rewrites the derived rows (balances, items, lots) of the given stocks from `state`.
pub(crate) fn write_derived<'s>(
    conn: &Connection,
    state: &State,
    stocks: impl Iterator<Item = &'s Stock>,
) -> Result<(), DerivedError> {
    let mut del = conn.prepare_cached("DELETE FROM balances WHERE kind = ?1 AND stock = ?2")?;
    let mut ins = conn.prepare_cached(
        "INSERT INTO balances (kind, stock, account, site, custodian, units) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut item = conn.prepare_cached(
        "INSERT OR REPLACE INTO items (id, status, location, last_event) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut lot = conn.prepare_cached(
        "INSERT OR REPLACE INTO lots (id, status, last_event) VALUES (?1, ?2, ?3)",
    )?;
    for stock in stocks {
        let (kind, id) = stock_key(stock);
        del.execute(params![kind, id])?;
        for (account, units) in stock_rows(state, stock) {
            let units = i64::try_from(units).map_err(|_| {
                DerivedError::Store(StoreError::Overflow {
                    stock: id.clone(),
                    account: account.to_string(),
                    value: units,
                })
            })?;
            let (site, custodian) = holding_parts(&account);
            ins.execute(params![
                kind,
                id,
                account.to_string(),
                site,
                custodian,
                units
            ])?;
        }
        match stock {
            Stock::Item(i) => {
                if let Some(s) = state.item(i) {
                    item.execute(params![
                        id,
                        status_text(&s.status),
                        s.location.to_string(),
                        s.last_event.as_bytes().as_slice()
                    ])?;
                }
            }
            Stock::Lot(l) => {
                if let Some(s) = state.lot(l) {
                    lot.execute(params![
                        id,
                        status_text(&s.status),
                        s.last_event.as_bytes().as_slice()
                    ])?;
                }
            }
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    fn len(&self) -> u64 {
        self.state.event_count()
    }

    fn state(&self) -> &State {
        &self.state
    }

    fn append_batch(&mut self, events: &[SignedEvent]) -> Result<Vec<Applied>, StoreError> {
        // IMMEDIATE takes the write lock now: a second writer waits here (busy timeout), and
        // events another process appended since we read are replayed before validating.
        self.log
            .conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.log.err("starting a write transaction"))?;
        if let Err(err) = self.catch_up() {
            let _ = self.log.conn.execute_batch("ROLLBACK");
            return Err(err);
        }
        let rules = self.rules.as_deref().map(|r| r as &dyn RuleHook);
        let log = &self.log;
        let applied = match apply_batch(&mut self.state, events, rules, |id| {
            Ok(log.index_of(id)?.is_some())
        }) {
            Ok(applied) => applied,
            Err(err) => {
                // Refused: nothing was applied in memory and nothing was written.
                let _ = self.log.conn.execute_batch("ROLLBACK");
                return Err(err);
            }
        };
        // INVARIANT (store-sync): from here the in-memory state is ahead of the file until the
        // transaction commits; if writing fails, the state is rebuilt from the file, so it
        // always ends up describing what the file holds.
        let mut frontier = self.frontier.clone();
        let written = self
            .write_batch(events, &applied, &self.state, &mut frontier)
            .and_then(|()| {
                self.log
                    .conn
                    .execute_batch("COMMIT")
                    .map_err(self.log.err("committing the batch"))
            });
        match written {
            Ok(()) => {
                self.frontier = frontier;
                Ok(applied)
            }
            Err(err) => {
                // Roll back whatever was written (ignore the error when the transaction is
                // already gone, e.g. a failed COMMIT rolled back), then resynchronise.
                let _ = self.log.conn.execute_batch("ROLLBACK");
                self.state = State::default();
                self.frontier = Frontier::new();
                self.catch_up()?;
                Err(err)
            }
        }
    }

    fn event(&self, index: u64) -> Result<Option<SignedEvent>, StoreError> {
        match self.log.event_json(index)? {
            None => Ok(None),
            Some(json) => {
                SignedEvent::from_json(&json)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt {
                        index,
                        error: LedgerError::from(e),
                    })
            }
        }
    }

    fn index_of(&self, id: &EventId) -> Result<Option<u64>, StoreError> {
        self.log.index_of(id)
    }

    fn tree_head(&self) -> Result<SignedTreeHead, StoreError> {
        self.log.tree_head()
    }

    fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        Ok(merkle::inclusion_proof(
            &self.log.nodes(self.len()),
            index,
            size,
        )?)
    }

    fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, StoreError> {
        Ok(merkle::consistency_proof(
            &self.log.nodes(self.len()),
            first,
            second,
        )?)
    }
}
