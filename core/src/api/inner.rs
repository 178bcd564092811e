//! What stands behind [`crate::Ledger`]: the store, the log key, the rule engine, and the
//! computations that are the same for every binding (signing batches, the custody graph,
//! summaries, stock totals).

use std::cell::{RefCell, RefMut};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::api::{HeadSigner, Options};
use crate::envelope::Signer;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Account, SignatureCheck};
use crate::ledger::{Event, SignedEvent};
use crate::model::{Digest, EventId, LotId, PublicKey};
use crate::rows::*;
use crate::rules::RuleEngine;
use crate::store::{BATCH_EVENTS_MAX, Store};

/// Longest JSON line accepted as input, in bytes (an event is at most 1 MiB).
pub(crate) const INPUT_LINE_BYTES_MAX: usize = crate::envelope::EVENT_BYTES_MAX;

pub(crate) struct Inner {
    path: Option<PathBuf>,
    // Copies of what never changes, readable while the store is in use by a callback.
    log_key: PublicKey,
    origin: String,
    store: RefCell<Store>,
    signer: Option<Arc<dyn HeadSigner>>,
    rules: Option<Arc<dyn RuleEngine>>,
    future_secs_max: i64,
    receipt_excess_percent_max: u64,
}

fn limits(options: &Options) -> (i64, u64) {
    (
        options
            .future_secs_max
            .unwrap_or(crate::api::FUTURE_SECS_MAX_DEFAULT),
        options
            .receipt_excess_percent_max
            .unwrap_or(crate::api::RECEIPT_EXCESS_PERCENT_MAX_DEFAULT),
    )
}

/// The default origin of a ledger created without one: names the log by its key.
fn default_origin(key: &PublicKey) -> String {
    let hex = key.to_hex();
    format!("custodia.invalid/{}", hex.get(..16).unwrap_or(&hex))
}

impl Inner {
    pub(crate) fn create(path: Option<&Path>, options: Options) -> Result<Inner> {
        let signer: Arc<dyn HeadSigner> = match (&options.log_signer, path) {
            (Some(s), _) => s.clone(),
            (None, None) => Arc::new(Signer::generate()),
            (None, Some(_)) => {
                return Err(ErrorKind::InvalidArgument {
                    argument: "log key".into(),
                    value: String::new(),
                    reason: "a new ledger needs the log key that will sign its tree heads".into(),
                }
                .into());
            }
        };
        let key = signer.public_key();
        let origin = options
            .origin
            .clone()
            .unwrap_or_else(|| default_origin(&key));
        let store = Store::create(path, key, &origin)?;
        if let Err(e) = crate::store::write_empty_head(&store.db, signer.as_ref()) {
            drop(store);
            // Nothing half-created: the file holds no signed head, remove it.
            if let Some(p) = path {
                let _ = std::fs::remove_file(p);
                for suffix in ["-wal", "-shm"] {
                    let mut side = p.as_os_str().to_owned();
                    side.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(side));
                }
            }
            return Err(e);
        }
        let (future_secs_max, receipt_excess_percent_max) = limits(&options);
        Ok(Inner {
            path: path.map(Path::to_path_buf),
            log_key: store.db.log_key,
            origin: store.db.origin.clone(),
            store: RefCell::new(store),
            signer: Some(signer),
            rules: options.rules,
            future_secs_max,
            receipt_excess_percent_max,
        })
    }

    pub(crate) fn open(path: &Path, options: Options) -> Result<Inner> {
        let read_only = options.read_only || options.log_signer.is_none();
        let store = Store::open(path, read_only)?;
        if let Some(s) = &options.log_signer
            && s.public_key() != store.db.log_key
        {
            return Err(ErrorKind::InvalidArgument {
                argument: "log key".into(),
                value: s.public_key().to_hex(),
                reason: format!(
                    "this ledger's tree heads are signed by `{}`",
                    store.db.log_key
                ),
            }
            .into());
        }
        let (future_secs_max, receipt_excess_percent_max) = limits(&options);
        Ok(Inner {
            path: Some(path.to_path_buf()),
            log_key: store.db.log_key,
            origin: store.db.origin.clone(),
            store: RefCell::new(store),
            signer: if options.read_only {
                None
            } else {
                options.log_signer
            },
            rules: options.rules,
            future_secs_max,
            receipt_excess_percent_max,
        })
    }

    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The store, or an error when a call is made from inside a callback of another call.
    fn store(&self) -> Result<RefMut<'_, Store>> {
        self.store.try_borrow_mut().map_err(|_| {
            Error::new(ErrorKind::InvalidArgument {
                argument: "ledger".into(),
                value: self
                    .path
                    .as_deref()
                    .map_or(":memory:".into(), |p| p.display().to_string()),
                reason:
                    "the ledger is in use by a call in progress (a callback called back into it)"
                        .into(),
            })
        })
    }

    pub(crate) fn len(&self) -> Result<u64> {
        crate::store::log::len(&self.store()?.db)
    }

    pub(crate) fn log_key(&self) -> PublicKey {
        self.log_key
    }

    pub(crate) fn origin(&self) -> String {
        self.origin.clone()
    }

    pub(crate) fn is_writable(&self) -> bool {
        // Read-only stores are opened without a signer (`open`), so the signer decides.
        self.signer.is_some()
    }

    pub(crate) fn set_rules(&mut self, engine: Option<Arc<dyn RuleEngine>>) {
        self.rules = engine;
    }

    fn rule_hook(&self) -> Option<&dyn RuleEngine> {
        self.rules.as_deref().map(|r| r as &dyn RuleEngine)
    }

    pub(crate) fn append(&self, events: &[SignedEvent]) -> Result<AppendReport> {
        let signer = self.signer.as_deref().ok_or_else(|| {
            Error::new(ErrorKind::ReadOnly {
                reason: "no log key was given to sign tree heads (`--log-key KEYFILE` or `CUSTODIA_LOG_KEY`)".into(),
            })
        })?;
        let now_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            // A clock before 1970 cannot date anything: every event is then "in the future".
            .unwrap_or(0);
        let policy = crate::ledger::Policy {
            now_unix,
            future_secs_max: self.future_secs_max,
            receipt_excess_percent_max: self.receipt_excess_percent_max,
        };
        let mut store = self.store()?;
        let applied = store.append(events, self.rule_hook(), signer, Some(policy))?;
        let len = crate::store::log::len(&store.db)?;
        let base = len - events.len() as u64;
        let head = tree_head(&store)?;
        Ok(AppendReport {
            events: applied
                .into_iter()
                .enumerate()
                .map(|(i, a)| Appended {
                    index: base + i as u64,
                    id: a.id,
                    warnings: a.warnings,
                })
                .collect(),
            ledger_len: len,
            tree_head: head,
        })
    }

    pub(crate) fn required_parents(&self, event: &Event) -> Result<Vec<EventId>> {
        let mut store = self.store()?;
        let state = store.state()?;
        state.required_parents(event)
    }

    pub(crate) fn sign_lines(&self, jsonl: &[u8], signers: &[&Signer]) -> Result<Vec<SignedEvent>> {
        if signers.is_empty() {
            return Err(ErrorKind::InvalidArgument {
                argument: "keys".into(),
                value: String::new(),
                reason: "at least one signing key is needed (the recording actor's first)".into(),
            }
            .into());
        }
        let mut store = self.store()?;
        // A scratch copy: the next event's parents follow from the ones signed before it.
        let mut state = store.state()?.clone();
        drop(store);
        let mut out = Vec::new();
        for (index, line) in lines(jsonl)?.into_iter().enumerate() {
            let index = index as u64;
            let signed = sign_line(line, &state, signers).map_err(|e| e.at_index(index))?;
            state
                .apply(
                    &signed,
                    SignatureCheck::Verify,
                    Some(&crate::ledger::RecordedVerdicts),
                )
                .map_err(|e| e.for_event(signed.id).at_index(index))?;
            out.push(signed);
        }
        if out.is_empty() {
            return Err(ErrorKind::BatchEmpty.into());
        }
        Ok(out)
    }

    pub(crate) fn verify(&self, progress: &dyn Fn(u64)) -> Result<VerifyReport> {
        let store = self.store()?;
        let outcome = crate::store::verify::verify(&store.db, self.rule_hook(), progress)?;
        Ok(VerifyReport {
            ok: outcome.failure.is_none(),
            events: outcome.events,
            tree_heads: outcome.tree_heads,
            state_digest: outcome.state_digest,
            failure: outcome.failure,
        })
    }

    pub(crate) fn tree_head(&self) -> Result<TreeHead> {
        tree_head(&*self.store()?)
    }

    pub(crate) fn inclusion_proof(
        &self,
        event: &EventId,
        size: Option<u64>,
    ) -> Result<InclusionProof> {
        let store = self.store()?;
        let len = crate::store::log::len(&store.db)?;
        let size = size.unwrap_or(len);
        let index = crate::store::log::index_of(&store.db, event)?
            .ok_or_else(|| Error::new(ErrorKind::EventNotFound { event: *event }))?;
        let nodes = crate::store::log::nodes(&store.db, &store.nodes, len);
        let path = crate::merkle::inclusion_proof(&nodes, index, size)
            .map_err(crate::store::log::proof_error)?;
        let root = crate::merkle::root(&nodes, size).map_err(crate::store::log::proof_error)?;
        Ok(InclusionProof {
            event: *event,
            leaf_index: index,
            tree_size: size,
            leaf_hash: Digest::from_bytes(crate::merkle::leaf_hash(event)),
            root: Digest::from_bytes(root),
            path: path.into_iter().map(Digest::from_bytes).collect(),
        })
    }

    pub(crate) fn consistency_proof(
        &self,
        first: u64,
        second: Option<u64>,
    ) -> Result<ConsistencyProof> {
        let store = self.store()?;
        let len = crate::store::log::len(&store.db)?;
        let second = second.unwrap_or(len);
        let nodes = crate::store::log::nodes(&store.db, &store.nodes, len);
        let path = crate::merkle::consistency_proof(&nodes, first, second)
            .map_err(crate::store::log::proof_error)?;
        let root = |size| crate::merkle::root(&nodes, size).map_err(crate::store::log::proof_error);
        Ok(ConsistencyProof {
            first,
            second,
            first_root: Digest::from_bytes(root(first)?),
            second_root: Digest::from_bytes(root(second)?),
            path: path.into_iter().map(Digest::from_bytes).collect(),
        })
    }

    pub(crate) fn balances(&self, filter: &BalanceFilter) -> Result<Vec<Balance>> {
        crate::store::log::balances(&self.store()?.db, filter)
    }

    pub(crate) fn stock_on_hand(&self, filter: &StockFilter) -> Result<StockOnHand> {
        let lines = crate::store::log::stock_lines(&self.store()?.db, filter)?;
        let mut totals: BTreeMap<(String, Option<crate::model::HazardDivision>), (i64, i64)> =
            BTreeMap::new();
        for l in &lines {
            let t = totals
                .entry((l.site.as_str().to_owned(), l.hazard_division))
                .or_insert((0, 0));
            t.0 = t.0.checked_add(l.units).ok_or_else(|| overflow(&l.stock))?;
            t.1 =
                t.1.checked_add(l.neq_grams)
                    .ok_or_else(|| overflow(&l.stock))?;
        }
        let mut out_totals = Vec::with_capacity(totals.len());
        for ((site, division), (units, neq)) in totals {
            out_totals.push(StockTotal {
                site: site.parse().map_err(|_| {
                    Error::new(ErrorKind::Internal {
                        detail: format!("site id `{site}` no longer parses"),
                    })
                })?,
                hazard_division: division,
                units,
                neq_grams: neq,
            });
        }
        Ok(StockOnHand {
            lines,
            totals: out_totals,
        })
    }

    pub(crate) fn trace(&self, stock: &str) -> Result<Vec<TraceEntry>> {
        crate::store::log::trace(&self.store()?.db, stock)
    }

    pub(crate) fn lineage(&self, lot: &LotId) -> Result<Vec<LineageEntry>> {
        crate::store::log::lineage(&self.store()?.db, lot.as_str())
    }

    pub(crate) fn for_each_event(
        &self,
        start: u64,
        end: u64,
        f: &mut dyn FnMut(EventRecord) -> Result<bool>,
    ) -> Result<()> {
        crate::store::log::events(&self.store()?.db, start, end, f)
    }

    pub(crate) fn event(&self, id: &EventId) -> Result<Option<EventRecord>> {
        crate::store::log::event_by_id(&self.store()?.db, id)
    }

    pub(crate) fn find_items(&self, query: &MarkingQuery) -> Result<Vec<ItemRecord>> {
        if query.serial.trim().is_empty() {
            return Err(ErrorKind::InvalidArgument {
                argument: "serial".into(),
                value: query.serial.clone(),
                reason: "a serial number is needed to search markings".into(),
            }
            .into());
        }
        crate::store::log::find_items(&self.store()?.db, query)
    }

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

    pub(crate) fn summary(&self) -> Result<Summary> {
        let store = self.store()?;
        let db = &store.db;
        let c = |sql: &str| crate::store::log::count(db, sql);
        let span = crate::store::log::time_span(db)?;
        // INVARIANT (counts): COUNT(*) is never negative.
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        let lot_units = |condition: &str| {
            c(&format!(
                "SELECT SUM(units) FROM balances WHERE kind = 'lot' AND {condition}"
            ))
        };
        Ok(Summary {
            events: crate::store::log::len(db)?,
            actors: n(c("SELECT COUNT(*) FROM actors")?),
            sites: n(c("SELECT COUNT(*) FROM sites")?),
            lots: n(c("SELECT COUNT(*) FROM lots")?),
            items: n(c("SELECT COUNT(*) FROM items")?),
            items_destroyed: n(c(
                "SELECT COUNT(*) FROM items WHERE location = 'sink:destroyed'",
            )?),
            units_held: lot_units("site IS NOT NULL")?,
            units_in_transit: lot_units("account LIKE 'in_transit:%'")?,
            units_destroyed: lot_units("account = 'sink:destroyed'")?,
            units_lost: lot_units("account = 'sink:lost'")?,
            units_stolen: lot_units("account = 'sink:stolen'")?,
            units_in_discrepancy: lot_units("account LIKE 'discrepancy:%'")?,
            open_transfers: n(c(
                "SELECT COUNT(DISTINCT account) FROM balances WHERE account LIKE 'in_transit:%'",
            )?),
            first_event_at: span.0,
            last_event_at: span.1,
            rules_in_force: crate::store::log::rules_in_force(db)?,
            tree_head: tree_head(&store)?,
        })
    }

    pub(crate) fn actors(&self) -> Result<Vec<ActorRecord>> {
        crate::store::log::actors(&self.store()?.db)
    }

    pub(crate) fn sites(&self) -> Result<Vec<SiteRecord>> {
        crate::store::log::sites(&self.store()?.db)
    }

    pub(crate) fn rules_in_force(&self) -> Result<Vec<crate::model::RuleRef>> {
        crate::store::log::rules_in_force(&self.store()?.db)
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

fn overflow(stock: &str) -> Error {
    Error::new(ErrorKind::BalanceOverflow {
        stock: stock.to_owned(),
        account: "stock on hand total".into(),
        value: "more than 2^63 - 1".into(),
    })
}

fn tree_head(store: &Store) -> Result<TreeHead> {
    let (size, root, sig) = crate::store::log::latest_head(&store.db)?;
    Ok(TreeHead {
        size,
        root: Digest::from_bytes(root),
        key: store.db.log_key,
        origin: store.db.origin.clone(),
        signature: hex::encode(sig),
        checkpoint: crate::merkle::checkpoint_body(&store.db.origin, size, &root),
    })
}

/// The non-blank lines of an input held in memory, each bounded in size.
fn lines(jsonl: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    for line in jsonl.split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.len() > INPUT_LINE_BYTES_MAX {
            return Err(Error::new(ErrorKind::EventTooLarge {
                bytes: line.len() as u64,
                max: INPUT_LINE_BYTES_MAX as u64,
            })
            .at_index(out.len() as u64));
        }
        if out.len() >= BATCH_EVENTS_MAX {
            return Err(ErrorKind::BatchTooLarge {
                events: out.len() as u64 + 1,
                max: BATCH_EVENTS_MAX as u64,
            }
            .into());
        }
        out.push(line);
    }
    Ok(out)
}

/// Most bytes one batch read from JSON lines may hold: with [`BATCH_EVENTS_MAX`] events and
/// [`INPUT_LINE_BYTES_MAX`] per line, what a hostile input can make the reader keep in memory.
pub const BATCH_BYTES_MAX: usize = 256 << 20;

/// Lines decoded together on all cores while reading a batch: at most this many, and no more
/// than [`READ_CHUNK_BYTES_MAX`] bytes, so that a hostile input is refused after a few MiB.
const READ_CHUNK_LINES: usize = 1024;
/// Bytes of lines read before they are decoded and their signers checked.
const READ_CHUNK_BYTES_MAX: usize = 8 << 20;

/// Reads one line into `buf` (without its newline), never holding more than
/// `INPUT_LINE_BYTES_MAX + 1` bytes of it: a longer line is refused as soon as the limit is
/// passed, whatever its length. `Ok(false)` at the end of the input.
fn read_line_bounded(
    reader: &mut dyn std::io::BufRead,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    use std::io::{BufRead as _, Read as _};
    buf.clear();
    let limit = (INPUT_LINE_BYTES_MAX + 1) as u64;
    let n = (&mut *reader).take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        Ok(Some(true))
    } else {
        // No newline: the end of the input, or a line longer than the limit.
        Ok(Some(buf.len() <= INPUT_LINE_BYTES_MAX))
    }
}

/// Decodes one chunk of lines on all cores; the first failure names its index.
fn decode_chunk(lines: &[Vec<u8>], first_index: u64) -> Result<Vec<SignedEvent>> {
    let decoded = crate::store::parallel_map(lines, |l| SignedEvent::from_json(l));
    let mut out = Vec::with_capacity(decoded.len());
    for (i, (d, line)) in decoded.into_iter().zip(lines).enumerate() {
        match d {
            Ok(e) => out.push(e),
            Err(e) => {
                let mut err = e.at_index(first_index + i as u64);
                if let Some(id) = serde_json::from_slice::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| crate::envelope::event_id_of(&v).ok())
                {
                    err = err.for_event(id);
                }
                return Err(err);
            }
        }
    }
    Ok(out)
}

/// Refuses, as soon as it is decoded, an event signed by a key that is neither registered in
/// the ledger nor registered by an earlier event of the batch: nothing more of a hostile input
/// is read once its first event is known to be refused.
struct EarlySigners<'s> {
    state: &'s crate::ledger::State,
    batch_keys: std::collections::HashSet<crate::model::PublicKey>,
}

impl EarlySigners<'_> {
    fn check(&mut self, event: &SignedEvent, index: u64) -> Result<()> {
        let registered = match &event.event.body {
            crate::ledger::Body::RegisterActor(r) => r.subject.keys.clone(),
            crate::ledger::Body::AddKey(a) => vec![a.key],
            _ => Vec::new(),
        };
        let genesis = self.state.event_count() == 0 && index == 0;
        for (i, sig) in event.signatures.iter().enumerate() {
            let known = self.state.key_owner.contains_key(&sig.key)
                || self.batch_keys.contains(&sig.key)
                || (genesis && registered.contains(&sig.key));
            if !known {
                return Err(crate::error::at(
                    event.id,
                    format!("/signatures/{i}"),
                    ErrorKind::UnknownKey {
                        key: sig.key.to_string(),
                    },
                )
                .at_index(index));
            }
        }
        self.batch_keys.extend(registered);
        Ok(())
    }
}

impl Inner {
    /// Reads and decodes one batch of JSON lines, bounded in line size, event count and total
    /// bytes, refusing an event by an unknown key as soon as it is decoded.
    pub(crate) fn read_batch(&self, reader: &mut dyn std::io::BufRead) -> Result<Vec<SignedEvent>> {
        let mut store = self.store()?;
        let state = store.state()?;
        let mut signers = EarlySigners {
            state,
            batch_keys: std::collections::HashSet::new(),
        };
        let mut events = Vec::new();
        let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(READ_CHUNK_LINES);
        let mut buf = Vec::new();
        let mut total: usize = 0;
        let mut chunk_bytes: usize = 0;
        let mut index: u64 = 0;
        let io = |e: std::io::Error| {
            Error::new(ErrorKind::Io {
                operation: "read".into(),
                path: "the events".into(),
                reason: e.to_string(),
            })
        };
        loop {
            let line = read_line_bounded(reader, &mut buf).map_err(io)?;
            let at_end = line.is_none();
            if let Some(within) = line {
                if !within {
                    return Err(Error::new(ErrorKind::EventTooLarge {
                        bytes: buf.len() as u64,
                        max: INPUT_LINE_BYTES_MAX as u64,
                    })
                    .at_index(index + chunk.len() as u64));
                }
                if !buf.iter().all(u8::is_ascii_whitespace) {
                    total = total.saturating_add(buf.len());
                    if total > BATCH_BYTES_MAX {
                        return Err(Error::new(ErrorKind::BatchTooLarge {
                            events: index + chunk.len() as u64 + 1,
                            max: BATCH_EVENTS_MAX as u64,
                        })
                        .at_field(format!("more than {BATCH_BYTES_MAX} bytes")));
                    }
                    if index + chunk.len() as u64 >= BATCH_EVENTS_MAX as u64 {
                        return Err(ErrorKind::BatchTooLarge {
                            events: index + chunk.len() as u64 + 1,
                            max: BATCH_EVENTS_MAX as u64,
                        }
                        .into());
                    }
                    chunk_bytes += buf.len();
                    chunk.push(std::mem::take(&mut buf));
                }
            }
            let full = chunk.len() >= READ_CHUNK_LINES || chunk_bytes >= READ_CHUNK_BYTES_MAX;
            if full || (at_end && !chunk.is_empty()) {
                chunk_bytes = 0;
                for (i, e) in decode_chunk(&chunk, index)?.into_iter().enumerate() {
                    signers.check(&e, index + i as u64)?;
                    events.push(e);
                }
                index += chunk.len() as u64;
                chunk.clear();
            }
            if at_end {
                break;
            }
        }
        Ok(events)
    }
}

fn sign_line(
    line: &[u8],
    state: &crate::ledger::State,
    signers: &[&Signer],
) -> Result<SignedEvent> {
    let mut value = crate::envelope::parse_json(line)?;
    let Some(obj) = value.as_object_mut() else {
        return Err(Error::new(ErrorKind::SchemaViolation {
            reason: "an event must be a JSON object".into(),
        })
        .at_field(""));
    };
    if obj.contains_key("id") || obj.contains_key("signatures") {
        return Err(ErrorKind::AlreadySigned.into());
    }
    obj.entry("v")
        .or_insert(serde_json::json!(crate::envelope::FORMAT_VERSION));
    let fill = obj
        .get("parents")
        .and_then(|p| p.as_array())
        .is_none_or(|p| p.is_empty());
    obj.entry("parents").or_insert(serde_json::json!([]));
    let mut event = Event::from_value(&value)?;
    if fill {
        event.parents = state.required_parents(&event)?;
    }
    event.sign(signers)
}

/// Events per transaction while migrating.
const MIGRATE_BATCH_EVENTS: usize = 4096;

pub(crate) fn migrate(
    path: &Path,
    origin: Option<&str>,
    key_file: Option<&Path>,
) -> Result<crate::api::Migration> {
    let version = crate::store::file_format_version(path)?;
    if version == crate::store::STORE_FORMAT_VERSION {
        return Err(ErrorKind::InvalidArgument {
            argument: "ledger".into(),
            value: path.display().to_string(),
            reason: format!("it is of format version {version} already: nothing to migrate"),
        }
        .into());
    }
    let legacy = crate::store::read_legacy(path)?;
    let signer = Signer::from_seed(legacy.seed);
    if signer.public_key() != legacy.log_key {
        return Err(ErrorKind::Damaged {
            what: "the format-1 file's `ledger_seed` does not belong to its `ledger_key`".into(),
        }
        .into());
    }
    let shown = path.display().to_string();
    let with_suffix = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let backup = with_suffix(".v1");
    let fresh = with_suffix(".migrating");
    for p in [&backup, &fresh] {
        if p.symlink_metadata().is_ok() {
            return Err(ErrorKind::FileExists {
                path: p.display().to_string(),
            }
            .into());
        }
    }
    let key = signer.public_key();
    let origin = origin.map_or_else(|| default_origin(&key), str::to_owned);
    let result = (|| -> Result<crate::model::Digest> {
        let mut store = Store::create(Some(&fresh), key, &origin)?;
        crate::store::write_empty_head(&store.db, &signer)?;
        // The events were judged by the rules in force when they were first appended; the
        // migration carries those verdicts over, as a reopen does (`verify` re-runs plugins).
        let recorded: &dyn RuleEngine = &crate::ledger::RecordedVerdicts;
        let mut done = 0u64;
        for chunk in legacy.events.chunks(MIGRATE_BATCH_EVENTS) {
            let decoded = crate::store::parallel_map(chunk, |j| SignedEvent::from_json(j));
            let mut events = Vec::with_capacity(decoded.len());
            for (i, d) in decoded.into_iter().enumerate() {
                events.push(d.map_err(|e| e.at_index(done + i as u64))?);
            }
            store
                .append(&events, Some(recorded), &signer, None)
                .map_err(|e| {
                    let index = e.index().map(|i| i + done);
                    e.with_index(index)
                })?;
            done += events.len() as u64;
        }
        let (size, root, _) = crate::store::log::latest_head(&store.db)?;
        if let Some((old_size, old_root)) = legacy.head
            && old_size == size
            && old_root != root
        {
            return Err(ErrorKind::RootMismatch {
                size,
                stored: hex::encode(old_root),
                computed: hex::encode(root),
            }
            .into());
        }
        Ok(Digest::from_bytes(root))
    })();
    let root = match result {
        Ok(root) => root,
        Err(e) => {
            let _ = std::fs::remove_file(&fresh);
            let _ = std::fs::remove_file(with_suffix(".migrating-wal"));
            let _ = std::fs::remove_file(with_suffix(".migrating-shm"));
            return Err(e);
        }
    };
    let io = |operation: &str, e: std::io::Error| {
        Error::new(ErrorKind::Io {
            operation: operation.into(),
            path: shown.clone(),
            reason: e.to_string(),
        })
    };
    if let Some(key_file) = key_file
        && let Err(e) = signer.write_key_file(key_file, None)
    {
        let _ = std::fs::remove_file(&fresh);
        let _ = std::fs::remove_file(with_suffix(".migrating-wal"));
        let _ = std::fs::remove_file(with_suffix(".migrating-shm"));
        return Err(e);
    }
    std::fs::rename(path, &backup).map_err(|e| io("keep the format-1 file beside", e))?;
    std::fs::rename(&fresh, path).map_err(|e| io("move the migrated ledger to", e))?;
    Ok(crate::api::Migration {
        events: legacy.events.len() as u64,
        log_key: signer,
        backup,
        root,
    })
}

#[cfg(feature = "testkit")]
impl Inner {
    pub(crate) fn check_invariants(&self) -> Result<()> {
        let mut store = self.store()?;
        store.state()?.check_invariants().map_err(Error::from)
    }
}

impl Inner {
    pub(crate) fn checkpoint(&self, size: Option<u64>) -> Result<String> {
        let store = self.store()?;
        let db = &store.db;
        let (size, root, sig) = match size {
            None => crate::store::log::latest_head(db)?,
            Some(s) => crate::store::log::head_at(db, s)?
                .ok_or_else(|| Error::new(ErrorKind::NoTreeHead { size: s }))?,
        };
        let note = |e| crate::witness::note_error("checkpoint", e);
        let cp = crate::note::Checkpoint::new(db.origin.clone(), size, root, Vec::new())
            .map_err(note)?;
        let name = crate::note::KeyName::new(db.origin.clone()).map_err(note)?;
        let id = crate::note::KeyId::compute(
            &name,
            crate::note::SignatureType::Ed25519,
            db.log_key.as_bytes(),
        );
        let mut n = cp.to_note();
        n.add_signature(crate::note::NoteSignature::new(name, id, sig.to_vec()).map_err(note)?)
            .map_err(note)?;
        n.serialize().map_err(note)
    }

    pub(crate) fn verify_trusted(
        &self,
        checkpoint: &[u8],
        log_key: &crate::note::VerifierKey,
        cosigners: &[crate::note::VerifierKey],
        min_cosigners: usize,
    ) -> Result<crate::api::TrustReport> {
        use crate::note::SignatureType;
        if log_key.signature_type() != SignatureType::Ed25519 {
            return Err(ErrorKind::InvalidArgument {
                argument: "log key".into(),
                value: log_key.to_string(),
                reason: "a log key is an Ed25519 key (type 0x01)".into(),
            }
            .into());
        }
        let mut keys = vec![log_key.clone()];
        keys.extend(cosigners.iter().cloned());
        let verifiers = crate::note::Verifiers::new(keys)
            .map_err(|e| crate::witness::note_error("verifier keys", e))?;
        let (cp, verification) =
            crate::note::Checkpoint::open(checkpoint, &verifiers).map_err(|e| {
                let err = crate::witness::note_error("checkpoint", e);
                if err.code() == crate::error::ErrorCode::CheckpointSignature {
                    Error::new(ErrorKind::CheckpointSignature {
                        origin: String::new(),
                        key: log_key.to_string(),
                        reason: err.message(),
                    })
                } else {
                    err
                }
            })?;
        let log_signed = verification
            .verified()
            .iter()
            .any(|v| v.name() == log_key.name() && v.key_id() == log_key.key_id());
        if !log_signed {
            return Err(ErrorKind::CheckpointSignature {
                origin: cp.origin().to_owned(),
                key: log_key.to_string(),
                reason: "the log key's signature is missing".into(),
            }
            .into());
        }
        let cosigned: Vec<(String, u64)> = verification
            .verified()
            .iter()
            .filter_map(|v| v.timestamp().map(|t| (v.name().as_str().to_owned(), t)))
            .collect();
        if cosigned.len() < min_cosigners {
            return Err(ErrorKind::TooFewCosignatures {
                found: cosigned.len() as u64,
                required: min_cosigners as u64,
            }
            .into());
        }
        let store = self.store()?;
        let db = &store.db;
        if cp.origin() != db.origin {
            return Err(ErrorKind::NotExtended {
                size: cp.size(),
                reason: format!(
                    "the checkpoint is of log `{}`, this ledger is `{}`",
                    cp.origin(),
                    db.origin
                ),
            }
            .into());
        }
        let len = crate::store::log::len(db)?;
        if cp.size() > len {
            return Err(ErrorKind::NotExtended {
                size: cp.size(),
                reason: format!("the ledger holds only {len} events"),
            }
            .into());
        }
        let nodes = crate::store::log::nodes(db, &store.nodes, len);
        let root =
            crate::merkle::root(&nodes, cp.size()).map_err(crate::store::log::proof_error)?;
        if root != *cp.root() {
            return Err(ErrorKind::NotExtended {
                size: cp.size(),
                reason: format!(
                    "its first {} events give root `{}`, the checkpoint says `{}`: history was rewritten",
                    cp.size(),
                    hex::encode(root),
                    hex::encode(cp.root())
                ),
            }
            .into());
        }
        Ok(crate::api::TrustReport {
            size: cp.size(),
            root: Digest::from_bytes(root),
            cosigners: cosigned,
            ledger_len: len,
        })
    }
}
