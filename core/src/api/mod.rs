//! The front door: [`Ledger`], the one way the command line, the C API, the Python package and
//! Rust programs keep a ledger. Every call returns plain typed rows (`rows`) or one
//! [`Error`] with a stable code; a refused append writes nothing. `docs/API.md` documents each
//! call with an example.

mod inner;

pub use inner::BATCH_BYTES_MAX;

pub use crate::rows::*;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::envelope::Signer;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Event, SignedEvent};
use crate::model::{EventId, LotId, PublicKey};
use crate::rules::RuleEngine;

pub use crate::envelope::HeadSigner;

/// How to open or create a ledger.
#[derive(Clone, Default)]
pub struct Options {
    pub(crate) log_signer: Option<Arc<dyn HeadSigner>>,
    pub(crate) rules: Option<Arc<dyn RuleEngine>>,
    pub(crate) read_only: bool,
    pub(crate) origin: Option<String>,
    pub(crate) future_secs_max: Option<i64>,
    pub(crate) receipt_excess_percent_max: Option<u64>,
}

/// How far ahead of the appending machine's clock an event may be dated, by default: one day.
pub const FUTURE_SECS_MAX_DEFAULT: i64 = 86_400;
/// How much more of a lot a receipt may acknowledge than was dispatched, by default: 10 %.
pub const RECEIPT_EXCESS_PERCENT_MAX_DEFAULT: u64 = 10;
/// Most rows one page of a trace ([`Ledger::trace_page`]) holds: a page reads in under a
/// millisecond however long the history (a row costs about 2 µs, one lookup of its event by
/// position: `core/benches/scale.rs`, docs/PERFORMANCE.md, "The read side at scale").
pub const TRACE_PAGE_ROWS_MAX: u32 = 250;

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("log_key", &self.log_signer.as_ref().map(|s| s.public_key()))
            .field("rules", &self.rules.is_some())
            .field("read_only", &self.read_only)
            .field("origin", &self.origin)
            .finish()
    }
}

impl Options {
    /// No log key, no rules, writable.
    pub fn new() -> Self {
        Self::default()
    }
    /// The log key that signs tree heads. Without one, a ledger opens read-only.
    pub fn log_key(mut self, signer: impl HeadSigner + 'static) -> Self {
        self.log_signer = Some(Arc::new(signer));
        self
    }
    /// The log key, shared.
    pub fn log_signer(mut self, signer: Arc<dyn HeadSigner>) -> Self {
        self.log_signer = Some(signer);
        self
    }
    /// The rule engine that judges events while rule plugins are in force (the
    /// `custodia-plugins` crate provides one; `RuleSet::load_dir`).
    pub fn rules(mut self, engine: Arc<dyn RuleEngine>) -> Self {
        self.rules = Some(engine);
        self
    }
    /// The log's origin (C2SP tlog-checkpoint), set once when a ledger is created: a
    /// schema-less URL naming the log, e.g. `mindef.example/custodia/armoury-1`. Default:
    /// `custodia.invalid/` and the first 16 hex digits of the log key.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }
    /// How far ahead of this machine's clock an appended event may be dated, in seconds
    /// (default [`FUTURE_SECS_MAX_DEFAULT`]). Checked when appending, never when verifying: a
    /// ledger verifies the same on any machine, any year.
    pub fn future_secs_max(mut self, seconds: i64) -> Self {
        self.future_secs_max = Some(seconds);
        self
    }
    /// How much more of a lot a receipt may acknowledge than was dispatched, in percent of the
    /// dispatched quantity (default [`RECEIPT_EXCESS_PERCENT_MAX_DEFAULT`]); the excess is booked
    /// from the receipt's discrepancy account. Checked when appending.
    pub fn receipt_excess_percent_max(mut self, percent: u64) -> Self {
        self.receipt_excess_percent_max = Some(percent);
        self
    }
    /// Open for reading only: no write lock is ever taken and SQLite opens the file read-only.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }
}

/// A ledger: one SQLite file (or an in-memory database) holding signed events, their Merkle log
/// and the state derived from them.
///
/// Thread safety: a `Ledger` may be moved to another thread (`Send`) but not shared between
/// threads (`!Sync`); wrap it in a `Mutex` to share it. Two processes (or two `Ledger`s) may
/// open the same file: one writes at a time, the other waits up to 10 s and then gets
/// [`ErrorKind::Busy`].
pub struct Ledger {
    inner: inner::Inner,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("path", &self.inner.path())
            .finish()
    }
}

impl Ledger {
    /// Creates a new ledger file. Refuses a path that exists (or a symbolic link). The log key
    /// is required: its public key is recorded in the file, the key itself never is.
    pub fn create(path: impl AsRef<Path>, options: Options) -> Result<Ledger> {
        Ok(Ledger {
            inner: inner::Inner::create(Some(path.as_ref()), options)?,
        })
    }

    /// Opens an existing ledger file. Without a log key (or with `read_only`) it is read-only:
    /// every query works, appends fail with [`ErrorKind::ReadOnly`].
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Ledger> {
        Ok(Ledger {
            inner: inner::Inner::open(path.as_ref(), options)?,
        })
    }

    /// A new ledger in memory (an in-memory SQLite database), for tests and scratch work. A
    /// fresh log key is generated when none is given.
    pub fn in_memory(options: Options) -> Result<Ledger> {
        Ok(Ledger {
            inner: inner::Inner::create(None, options)?,
        })
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path()
    }

    /// Events stored.
    pub fn len(&self) -> Result<u64> {
        self.inner.len()
    }

    /// Whether no event is stored.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The public key that signs this ledger's tree heads.
    pub fn log_key(&self) -> PublicKey {
        self.inner.log_key()
    }

    /// The log's origin, the first line of its checkpoints.
    pub fn origin(&self) -> String {
        self.inner.origin()
    }

    /// Whether appends are possible (a log key was given and the ledger is not read-only).
    pub fn is_writable(&self) -> bool {
        self.inner.is_writable()
    }

    /// Sets (or removes) the rule engine.
    pub fn set_rules(&mut self, engine: Option<Arc<dyn RuleEngine>>) {
        self.inner.set_rules(engine);
    }

    // ---- writing ------------------------------------------------------------------------

    /// Appends checked events as one batch: all of them, or none (the error names the first
    /// refused event by its index in `events`).
    pub fn append(&mut self, events: &[SignedEvent]) -> Result<AppendReport> {
        self.inner.append(events)
    }

    /// Decodes JSON lines (one signed event per line, blank lines ignored) and appends them as
    /// one batch: all or nothing. A line that does not decode is named by its 0-based index
    /// among the non-blank lines.
    pub fn append_json_lines(&mut self, jsonl: &[u8]) -> Result<AppendReport> {
        self.append_reader(&mut std::io::Cursor::new(jsonl))
    }

    /// As [`Ledger::append_json_lines`], reading from a stream. Memory is bounded while
    /// reading: a line longer than an event may be is refused as soon as the limit is passed,
    /// a batch holds at most [`crate::BATCH_EVENTS_MAX`] events and [`BATCH_BYTES_MAX`] bytes,
    /// and an event signed by an unknown key is refused as soon as it is decoded, before the
    /// rest of the input is read.
    pub fn append_reader(&mut self, reader: &mut dyn std::io::BufRead) -> Result<AppendReport> {
        let events = self.inner.read_batch(reader)?;
        self.inner.append(&events)
    }

    /// Fills in the parents an event needs if appended now.
    pub fn prepare(&self, mut event: Event) -> Result<Event> {
        event.parents = self.inner.required_parents(&event)?;
        Ok(event)
    }

    /// Fills the parents, signs with `signers` (the recording actor's key first, then
    /// co-signers) and appends one event. Returns it signed.
    pub fn record(&mut self, event: Event, signers: &[&Signer]) -> Result<SignedEvent> {
        let event = self.prepare(event)?;
        let signed = event.sign(signers)?;
        self.inner.append(std::slice::from_ref(&signed))?;
        Ok(signed)
    }

    /// Signs unsigned events given as JSON lines (members `id` and `signatures` absent). Each
    /// event's `v` defaults to the format version and absent or empty `parents` are filled
    /// from the ledger and from the events before it in the input, so a whole batch can be
    /// signed before it is appended. Nothing is appended.
    pub fn sign_json_lines(&self, jsonl: &[u8], signers: &[&Signer]) -> Result<Vec<SignedEvent>> {
        self.inner.sign_lines(jsonl, signers)
    }

    // ---- verification ------------------------------------------------------------------

    /// Re-checks everything from the stored bytes: every id, signature, parent, rule verdict
    /// (with the rule engine given), Merkle node, tree head and derived table. A problem is
    /// the report's `failure`; an `Err` means the verification could not run.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.verify_with_progress(&|_| {})
    }

    /// As [`Ledger::verify`], calling `progress` with the number of events checked so far.
    pub fn verify_with_progress(&self, progress: &dyn Fn(u64)) -> Result<VerifyReport> {
        self.inner.verify(progress)
    }

    // ---- the Merkle log ------------------------------------------------------------------

    /// The latest signed tree head.
    pub fn tree_head(&self) -> Result<TreeHead> {
        self.inner.tree_head()
    }

    /// Inclusion proof of an event in the tree of `size` events (default: all).
    pub fn inclusion_proof(&self, event: &EventId, size: Option<u64>) -> Result<InclusionProof> {
        self.inner.inclusion_proof(event, size)
    }

    /// Consistency proof from tree size `first` to `second` (default: all).
    pub fn consistency_proof(&self, first: u64, second: Option<u64>) -> Result<ConsistencyProof> {
        self.inner.consistency_proof(first, second)
    }

    // ---- queries -------------------------------------------------------------------------

    /// Every non-zero balance, or those the filter selects, by account then stock.
    pub fn balances(&self, filter: &BalanceFilter) -> Result<Vec<Balance>> {
        self.inner.balances(filter)
    }

    /// What is held where, with hazard classification and net explosive quantity, and totals
    /// per site and hazard division.
    pub fn stock_on_hand(&self, filter: &StockFilter) -> Result<StockOnHand> {
        self.inner.stock_on_hand(filter)
    }

    /// Stock on hand totals (as [`StockOnHand::totals`]) after each period of `every_secs`
    /// seconds, periods aligned on the Unix epoch (86,400: each UTC day): one snapshot when the
    /// first event at or after a period's end is met, of the stock before it, labelled with
    /// that end (a period without events has none), and one after the last event, labelled
    /// with its time. An empty ledger has none. Replays the stored events' state once, without
    /// checking their signatures again (`verify` does that).
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for `every_secs` below 1.
    pub fn stock_history(&self, every_secs: i64) -> Result<Vec<StockSnapshot>> {
        if every_secs < 1 {
            return Err(ErrorKind::InvalidArgument {
                argument: "every_secs".into(),
                value: every_secs.to_string(),
                reason: "a period is at least one second".into(),
            }
            .into());
        }
        self.inner.stock_history(every_secs)
    }

    /// Every event that touched an item or lot, oldest first.
    ///
    /// A history has no bound: an armoury's rifle issued every morning and returned every
    /// evening gains two events a working day, thousands in its service life. Where an answer
    /// must come in bounded time, read it by pages with [`Ledger::trace_page`].
    pub fn trace(&self, stock: &str) -> Result<Vec<TraceEntry>> {
        self.inner.trace(stock, None, None)
    }

    /// One page of the history of an item or lot, oldest first: at most `limit` events (1 to
    /// [`TRACE_PAGE_ROWS_MAX`]) among those after position `after` (from the first event when
    /// `None`). The next page is asked for with `after` = the last row's `index`; a page with
    /// fewer than `limit` rows is the last (an empty page: nothing after `after`). The pages
    /// of a history, joined, are its [`Ledger::trace`].
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for a `limit` of 0 or above
    /// [`TRACE_PAGE_ROWS_MAX`].
    pub fn trace_page(
        &self,
        stock: &str,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<TraceEntry>> {
        if limit == 0 || limit > TRACE_PAGE_ROWS_MAX {
            return Err(ErrorKind::InvalidArgument {
                argument: "limit".into(),
                value: limit.to_string(),
                reason: format!("a page of a trace holds 1 to {TRACE_PAGE_ROWS_MAX} rows"),
            }
            .into());
        }
        self.inner.trace(stock, after, Some(limit))
    }

    /// The lots formed from `lot` by splits and merges, transitively, with what each received
    /// and how much of each was destroyed ("which destroyed rounds came from lot X").
    pub fn lineage(&self, lot: &LotId) -> Result<Vec<LineageEntry>> {
        self.inner.lineage(lot)
    }

    /// The stored events at positions `start..end` (clamped to the ledger).
    pub fn events(&self, start: u64, end: u64) -> Result<Vec<EventRecord>> {
        let mut out = Vec::new();
        self.for_each_event(start, end, &mut |r| {
            out.push(r);
            Ok(true)
        })?;
        Ok(out)
    }

    /// Streams the stored events at positions `start..end`; `f` returns `Ok(false)` to stop.
    /// Memory does not grow with the range.
    pub fn for_each_event(
        &self,
        start: u64,
        end: u64,
        f: &mut dyn FnMut(EventRecord) -> Result<bool>,
    ) -> Result<()> {
        self.inner.for_each_event(start, end, f)
    }

    /// The stored event with this id.
    pub fn event(&self, id: &EventId) -> Result<Option<EventRecord>> {
        self.inner.event(id)
    }

    /// The input document the rule plugins were given for the stored event `id` when it was
    /// appended (plugin ABI, `docs/PLUGIN_ABI.md`), rebuilt from the events before it: what a
    /// plugin author runs a rule on to see why it judged an event as it did. Refused with
    /// `EventNotFound` (9005) when `id` is not stored. Replays the ledger up to the event.
    pub fn rule_input(&self, id: &EventId) -> Result<serde_json::Value> {
        self.inner
            .rule_input(id)?
            .ok_or_else(|| Error::new(ErrorKind::EventNotFound { event: *id }))
    }

    /// Serialized items whose marking matches: the serial number, and the manufacturer when
    /// given, compared ignoring case and spaces (for tracing requests).
    pub fn find_items(&self, query: &MarkingQuery) -> Result<Vec<ItemRecord>> {
        self.inner.find_items(query)
    }

    /// Weapons issued to persons (`weapon_issue`) and still out after the end of their issue
    /// period at `at`, oldest due first.
    pub fn overdue_issues(&self, at: &crate::model::Timestamp) -> Result<Vec<OverdueIssue>> {
        self.inner.overdue_issues(at)
    }

    /// Ammunition lots with units on the books whose next surveillance inspection is due or
    /// overdue at `at` (IATG 07.20), earliest due first. A month-only date is due from the
    /// month's first day and overdue once the month ended.
    pub fn lots_due_inspection(
        &self,
        at: &crate::model::Timestamp,
    ) -> Result<Vec<LotDueInspection>> {
        self.inner.lots_due_inspection(at)
    }

    /// Net explosive quantity per site and hazard division, in milligrams (IATG 01.50): held
    /// at each site, and summed over the site and every site under it (a depot with its
    /// magazines). Lots count units × milligrams per unit (a version-1 lot's grams × 1000);
    /// serialized munitions their own.
    pub fn neq_totals(&self) -> Result<Vec<NeqTotal>> {
        self.inner.neq_totals()
    }

    /// Holdings and the movements between them (registrations, transfers, destruction,
    /// losses), counted from the events.
    pub fn custody_graph(&self) -> Result<CustodyGraph> {
        self.inner.custody_graph()
    }

    /// Counts and totals at a glance.
    pub fn summary(&self) -> Result<Summary> {
        self.inner.summary()
    }

    /// The tracing requests not yet answered, by deadline (then by request): what a ministry
    /// still owes requesting states (ITI §V).
    pub fn open_trace_requests(&self) -> Result<Vec<TraceRequestRecord>> {
        self.inner.open_trace_requests()
    }

    /// The Arms Trade Treaty annual report's exports and imports for `year` (art. 13.3), by ATT
    /// category and partner state ([`AttReport`]).
    pub fn att_report(&self, year: u16) -> Result<AttReport> {
        self.inner.att_report(year)
    }

    /// The destructions from `from` to `to` (whole days, both included, by the event's date),
    /// with method, site, authorisation, witnesses and certificate, and totals by month, site
    /// and method.
    pub fn destruction_report(
        &self,
        from: &crate::model::Date,
        to: &crate::model::Date,
    ) -> Result<DestructionReport> {
        self.inner.destruction_report(from, to)
    }

    /// Every registered actor with its roles and keys, by id.
    pub fn actors(&self) -> Result<Vec<ActorRecord>> {
        self.inner.actors()
    }

    /// Every registered site, by id.
    pub fn sites(&self) -> Result<Vec<SiteRecord>> {
        self.inner.sites()
    }

    /// The rule plugins in force, by identity.
    pub fn rules_in_force(&self) -> Result<Vec<crate::model::RuleRef>> {
        self.inner.rules_in_force()
    }

    /// Writes every event, in append order, one canonical JSON line each, to `out`. Returns
    /// the number written. The export verifies with [`crate::verify_jsonl`].
    pub fn export_jsonl(&self, out: &mut dyn Write) -> Result<u64> {
        let mut n = 0u64;
        let path = self
            .path()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(":memory:"));
        self.for_each_event(0, u64::MAX, &mut |r| {
            out.write_all(r.json.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| {
                    Error::new(ErrorKind::Io {
                        operation: "write the export of".into(),
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })
                })?;
            n += 1;
            Ok(true)
        })?;
        Ok(n)
    }
}

/// What [`Ledger::migrate`] did.
#[derive(Debug)]
pub struct Migration {
    /// Events carried over.
    pub events: u64,
    /// The log key that signed the old file's tree heads, taken out of the file: keep it as a
    /// key file (the new file holds only its public key).
    pub log_key: Signer,
    /// Where the format-1 file was kept.
    pub backup: PathBuf,
    /// The Merkle root of all events, equal in the old file's latest head and the new file.
    pub root: crate::model::Digest,
}

impl Ledger {
    /// Upgrades a ledger file of format version 1 to the current format: the events are
    /// replayed into a new file (the same events, so the same Merkle root: heads published
    /// before stay provable by consistency proofs), the derived tables are built, tree heads
    /// are re-signed as C2SP checkpoints, and the log key's seed, which format 1 kept in the
    /// file, is returned instead of stored. With `key_file`, the key is also written there
    /// (mode 0600) before anything is renamed, so a failure to keep it leaves everything as it
    /// was. The old file is kept beside it as `FILE.v1` (it still holds the seed: destroy it
    /// once the key is safe).
    pub fn migrate(
        path: impl AsRef<Path>,
        origin: Option<&str>,
        key_file: Option<&Path>,
    ) -> Result<Migration> {
        inner::migrate(path.as_ref(), origin, key_file)
    }
}

impl Ledger {
    /// Puts rule plugins in force from now on (a `rules_in_force` event recorded by `actor`,
    /// an administrator, signed with `key`), replacing the previous set. Give the ledger the
    /// engine that runs them ([`Options::rules`] or [`Ledger::set_rules`]) before appending
    /// anything after it.
    pub fn put_rules_in_force(
        &mut self,
        rules: Vec<crate::model::RuleRef>,
        actor: &crate::model::ActorId,
        at: crate::model::Timestamp,
        key: &Signer,
    ) -> Result<SignedEvent> {
        let event = Event::new(
            at,
            actor.clone(),
            Vec::new(),
            crate::ledger::Body::RulesInForce(crate::ledger::kinds::RulesInForce { rules }),
        );
        self.record(event, &[key])
    }
}

#[cfg(feature = "testkit")]
impl Ledger {
    /// Checks every invariant of the state replayed from the file (balances sum to zero per
    /// stock, the per-account index agrees with items and lots, keys point at their owners,
    /// ...). For property tests and fuzz targets, behind the `testkit` feature; a failure is
    /// [`crate::ErrorKind::InvariantBroken`], always a bug in custodia.
    pub fn check_invariants(&self) -> Result<()> {
        self.inner.check_invariants()
    }
}

/// What [`Ledger::verify_trusted`] established.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct TrustReport {
    /// The trusted checkpoint's size.
    pub size: u64,
    /// Its root, which the ledger's first `size` events reproduce.
    pub root: crate::model::Digest,
    /// The witnesses whose cosignatures verified, with their timestamps.
    pub cosigners: Vec<(String, u64)>,
    /// Events in the ledger (at least `size`).
    pub ledger_len: u64,
}

impl Ledger {
    /// The C2SP checkpoint (a signed note) of the tree head of `size` events (default: the
    /// latest), signed by the log key: what a log publishes and witnesses cosign.
    pub fn checkpoint(&self, size: Option<u64>) -> Result<String> {
        self.inner.checkpoint(size)
    }

    /// The log's verifier key as C2SP writes it: `origin+keyid+base64(0x01 || key)`.
    pub fn log_vkey(&self) -> Result<crate::note::VerifierKey> {
        let name = crate::note::KeyName::new(self.origin())
            .map_err(|e| crate::witness::note_error("origin", e))?;
        crate::note::VerifierKey::new(
            name,
            crate::note::SignatureType::Ed25519,
            *self.log_key().as_bytes(),
        )
        .map_err(|e| crate::witness::note_error("log key", e))
    }

    /// Checks this ledger against a checkpoint saved earlier (or received from witnesses): the
    /// checkpoint must be signed by `log_key` (normally this ledger's own [`Ledger::log_vkey`],
    /// obtained out of band, not from the file), carry at least `min_cosigners` valid
    /// cosignatures by `cosigners`, and the ledger must extend it (hold at least its size, with
    /// the same root at that size). A rewritten history (an event dropped and the rest
    /// re-appended with the same key) fails with 7015 `NotExtended`.
    pub fn verify_trusted(
        &self,
        checkpoint: &[u8],
        log_key: &crate::note::VerifierKey,
        cosigners: &[crate::note::VerifierKey],
        min_cosigners: usize,
    ) -> Result<TrustReport> {
        self.inner
            .verify_trusted(checkpoint, log_key, cosigners, min_cosigners)
    }
}
