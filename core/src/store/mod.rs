//! Storage: the ledger file (one SQLite database in WAL mode) holding the events in append
//! order, their Merkle log with signed tree heads, and the derived tables that answer queries.
//! [`Store`] keeps the ledger state in memory, replayed lazily from the file the first time it
//! is needed and caught up with what other processes appended before every write. A batch is
//! validated completely against the state before anything is written, then written in one
//! transaction: all of it or nothing. See `docs/STORAGE.md`.

pub(crate) mod derived;
pub(crate) mod log;
mod nodes;
mod schema;
pub(crate) mod verify;
mod write;

pub(crate) use nodes::{NodeCache, SqlNodes};
pub(crate) use schema::{Db, STORE_FORMAT_VERSION_BY_LEVEL, file_format_version, read_legacy};
pub use schema::{ORIGIN_BYTES_MAX, STORE_FORMAT_VERSION};
pub(crate) use write::write_empty_head;

use std::collections::{HashSet, VecDeque};
use std::path::Path;

use crate::envelope::HeadSigner;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{
    Applied, Policy, RecordedVerdicts, RuleEngine, SignatureCheck, SignedEvent, State,
};
use crate::merkle::Frontier;
use crate::model::{EventId, PublicKey};
pub(crate) use crate::par::parallel_map;
use crate::par::threads;

/// Largest batch one append takes, in events.
pub const BATCH_EVENTS_MAX: usize = 100_000;
/// Events decoded per chunk while replaying or verifying (bounds memory, feeds all cores).
#[cfg(not(test))]
pub(crate) const REPLAY_CHUNK_EVENTS: usize = 4096;
/// Small in the crate's own tests, so that ledgers of a few hundred events replay and verify
/// through many chunks of the pipeline.
#[cfg(test)]
pub(crate) const REPLAY_CHUNK_EVENTS: usize = 64;

/// Chunks read ahead of the one replaying (`pipeline`). One keeps the workers busy while a
/// chunk replays: two were no faster (`custodia verify` of 200 k steady-state events with work
/// sharing, 2.30–2.37 against 2.29–2.30 s) and held more (43–44 against 39–40 MB).
pub(crate) const PIPELINE_AHEAD: usize = 1;

/// Events a thread takes at a time in `pipeline`: decoded, then their signatures checked in
/// one batch, of the size `sigcheck` chose for its own fan-out.
#[cfg(not(test))]
pub(crate) const PIPELINE_PIECE: usize = crate::sigcheck::PIECE_EVENTS_MAX;
/// Small in the crate's own tests, so that a chunk has several pieces.
#[cfg(test)]
pub(crate) const PIPELINE_PIECE: usize = 16;

/// The state replayed from the file so far, with the Merkle frontier of the same events.
struct Loaded {
    state: State,
    frontier: Frontier,
}

/// A ledger file with its state in memory (loaded on first need).
pub(crate) struct Store {
    pub(crate) db: Db,
    pub(crate) nodes: NodeCache,
    loaded: Option<Loaded>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("db", &self.db).finish()
    }
}

impl Store {
    pub(crate) fn create(path: Option<&Path>, log_key: PublicKey, origin: &str) -> Result<Store> {
        let db = Db::create(path, log_key, origin)?;
        Ok(Store {
            db,
            nodes: NodeCache::default(),
            loaded: Some(Loaded {
                state: State::default(),
                frontier: Frontier::new(),
            }),
        })
    }

    pub(crate) fn open(path: &Path, read_only: bool) -> Result<Store> {
        let mut store = Store {
            db: Db::open(path, read_only)?,
            nodes: NodeCache::default(),
            loaded: None,
        };
        if store.db.derived_version < schema::DERIVED_VERSION {
            store.rebuild_derived()?;
        }
        Ok(store)
    }

    /// Gives a file whose derived tables are of an older layout the current ones, derived from
    /// its events: rewritten in the file in one transaction when writable, as `TEMP` tables of
    /// this connection when read-only (`schema::DERIVED_VERSION`).
    fn rebuild_derived(&mut self) -> Result<()> {
        if self.db.read_only {
            self.rebuild_from_state(true)?;
        } else {
            self.db
                .conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(self.db.err("starting the rebuild of the derived tables"))?;
            let rebuilt = (|| -> Result<()> {
                // Another writer may have rebuilt them while this one waited for the lock.
                let version = schema::derived_version(&self.db.conn)
                    .map_err(self.db.err("reading the meta table"))?;
                if version >= schema::DERIVED_VERSION {
                    return Ok(());
                }
                self.rebuild_from_state(false)?;
                self.db
                    .conn
                    .execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('derived_version', ?1)",
                        [schema::DERIVED_VERSION],
                    )
                    .map_err(self.db.err("writing the meta table"))?;
                Ok(())
            })();
            let end = if rebuilt.is_ok() {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            let ended = self
                .db
                .conn
                .execute_batch(end)
                .map_err(self.db.err("ending the rebuild of the derived tables"));
            rebuilt?;
            ended?;
        }
        self.db.derived_version = schema::DERIVED_VERSION;
        Ok(())
    }

    fn rebuild_from_state(&mut self, temp: bool) -> Result<()> {
        self.catch_up()?;
        match &self.loaded {
            Some(l) => derived::rebuild(&self.db.conn, &l.state, temp),
            None => Err(ErrorKind::Internal {
                detail: "the state is not loaded after catching up".into(),
            }
            .into()),
        }
    }

    /// The state derived from every stored event, replaying what this process has not seen.
    pub(crate) fn state(&mut self) -> Result<&State> {
        self.catch_up()?;
        match &self.loaded {
            Some(l) => Ok(&l.state),
            None => Err(ErrorKind::Internal {
                detail: "the state is not loaded after catching up".into(),
            }
            .into()),
        }
    }

    /// Replays events stored after those already in memory (all of them the first time, and
    /// those another process appended since). Their signatures and rule verdicts were checked
    /// by the writer that appended them; `verify` re-checks everything from the bytes.
    fn catch_up(&mut self) -> Result<()> {
        let mut loaded = self.loaded.take().unwrap_or(Loaded {
            state: State::default(),
            frontier: Frontier::new(),
        });
        match self.replay_into(&mut loaded) {
            Ok(()) => {
                self.loaded = Some(loaded);
                Ok(())
            }
            // Leave nothing half-replayed: the next call starts again from the file.
            Err(e) => Err(e),
        }
    }

    /// Stock on hand totals after each period of `every_secs` seconds (positive), from a
    /// replay of the stored events' state (no signatures, Merkle tree or tables: the writer
    /// checked and wrote those), the totals recounted for the stocks each event touches: one
    /// snapshot when the first event at or after each period's
    /// end is met (the state before it, labelled with that end; periods without events have
    /// none), and one after the last event, labelled with its time.
    pub(crate) fn stock_history(&self, every_secs: i64) -> Result<Vec<crate::rows::StockSnapshot>> {
        let end_of_period = |at: i64| {
            at.saturating_sub(at.rem_euclid(every_secs))
                .saturating_add(every_secs)
        };
        let mut state = State::default();
        let mut totals = derived::RunningTotals::default();
        let rules: &dyn RuleEngine = &RecordedVerdicts;
        let mut out = Vec::new();
        let mut period_end: Option<i64> = None;
        let mut last_at = None;
        self.replay_rows(0, log::len(&self.db)?, &mut |seq, ev| {
            let ev = ev.map_err(|e| e.at_index(seq))?;
            let at = ev.event().at.unix_seconds();
            let end = *period_end.get_or_insert_with(|| end_of_period(at));
            if at >= end {
                // An end a snapshot is taken at lies after an earlier event's time and at or
                // before this one's, so it is a time: the error is never met.
                out.push(crate::rows::StockSnapshot {
                    at: crate::model::Timestamp::from_unix_seconds(end).map_err(|e| {
                        Error::new(ErrorKind::Internal {
                            detail: format!("the end of a period, {end} s, is not a time: {e}"),
                        })
                    })?,
                    totals: totals.totals(),
                });
                period_end = Some(end_of_period(at));
            }
            let applied = state
                .apply(&ev, SignatureCheck::AlreadyVerified, Some(rules))
                .map_err(|e| e.at_index(seq))?;
            for stock in applied.stocks.iter().chain(&applied.removed) {
                totals.recount(&state, stock).map_err(|e| e.at_index(seq))?;
            }
            last_at = Some(ev.event().at.clone());
            Ok(())
        })?;
        if let Some(at) = last_at {
            out.push(crate::rows::StockSnapshot {
                at,
                totals: totals.totals(),
            });
        }
        Ok(out)
    }

    /// The rule plugins' input document for the stored event `id`, as they were given it when
    /// it was appended: the state is replayed up to the event before it. `None` when `id` is not
    /// stored.
    pub(crate) fn rule_input(&self, id: &EventId) -> Result<Option<serde_json::Value>> {
        let Some(index) = log::index_of(&self.db, id)? else {
            return Ok(None);
        };
        let mut state = State::default();
        let rules: &dyn RuleEngine = &RecordedVerdicts;
        let mut target = None;
        self.replay_rows(0, index + 1, &mut |seq, ev| {
            let ev = ev.map_err(|e| e.at_index(seq))?;
            if seq == index {
                target = Some(ev);
            } else {
                state
                    .apply(&ev, SignatureCheck::AlreadyVerified, Some(rules))
                    .map_err(|e| e.at_index(seq))?;
            }
            Ok(())
        })?;
        match target {
            Some(ev) => state.rule_input_for(&ev).map(Some),
            None => Err(ErrorKind::EventMissing {
                expected: index,
                found: state.event_count(),
            }
            .into()),
        }
    }

    fn replay_into(&self, loaded: &mut Loaded) -> Result<()> {
        let from = loaded.state.event_count();
        let rules: &dyn RuleEngine = &RecordedVerdicts;
        let state = &mut loaded.state;
        self.replay_rows(from, u64::MAX, &mut |seq, ev| {
            if seq != state.event_count() {
                return Err(ErrorKind::EventMissing {
                    expected: state.event_count(),
                    found: seq,
                }
                .into());
            }
            let ev = ev.map_err(|e| e.at_index(seq))?;
            state
                .apply(&ev, SignatureCheck::AlreadyVerified, Some(rules))
                .map_err(|e| e.at_index(seq))?;
            Ok(())
        })?;
        let size = loaded.state.event_count();
        if size != loaded.frontier.size() {
            let nodes = SqlNodes {
                conn: &self.db.conn,
                layout: self.db.nodes,
                size,
                cache: None,
            };
            loaded.frontier = Frontier::load(&nodes, size).map_err(|e| {
                Error::new(ErrorKind::Damaged {
                    what: format!("cannot load the Merkle frontier: {e}"),
                })
            })?;
        }
        Ok(())
    }

    /// Hands the stored events `from..to` to `f` in order, on this thread, each decoded (not
    /// signature-checked: the writer did that). Chunks are decoded on every core ahead of `f`
    /// (`pipeline`), so that decoding overlaps `f`; memory: a few chunks. An error from `f`
    /// stops the replay and is returned.
    fn replay_rows(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(u64, Result<SignedEvent>) -> Result<()>,
    ) -> Result<()> {
        type Rows = Vec<(u64, Vec<u8>, Vec<u8>)>;
        let e = self.db.err("reading events");
        let mut stmt = self
            .db
            .conn
            .prepare_cached(log::EVENTS_IN_RANGE)
            .map_err(&e)?;
        let mut rows = stmt
            .query(rusqlite::params![log::to_i64(from), log::to_i64(to)])
            .map_err(&e)?;
        let next = || -> Result<Option<Rows>> {
            let mut chunk: Rows = Vec::with_capacity(REPLAY_CHUNK_EVENTS);
            while chunk.len() < REPLAY_CHUNK_EVENTS {
                let Some(row) = rows.next().map_err(&e)? else {
                    break;
                };
                let (seq, id, json) = log::row_bytes(&self.db, row)?;
                chunk.push((seq, id.to_vec(), json.to_vec()));
            }
            Ok((!chunk.is_empty()).then_some(chunk))
        };
        let work = |rows: &[(u64, Vec<u8>, Vec<u8>)]| {
            log::decode_piece(rows.iter().map(|(_, _, json)| json.as_slice()), false)
        };
        let consume = |rows: Rows, decoded: Vec<(Result<SignedEvent>, bool)>| -> Result<bool> {
            for ((seq, ..), (ev, _)) in rows.into_iter().zip(decoded) {
                f(seq, ev)?;
            }
            Ok(true)
        };
        pipeline(PIPELINE_AHEAD, PIPELINE_PIECE, next, work, consume)
    }

    /// Appends a batch atomically: validated completely, then written in one transaction with a
    /// new tree head signed by `signer`. Errors name the refused event by its index in `events`.
    pub(crate) fn append(
        &mut self,
        events: &[SignedEvent],
        rules: Option<&dyn RuleEngine>,
        signer: &dyn HeadSigner,
        policy: Option<Policy>,
    ) -> Result<Vec<Applied>> {
        if self.db.read_only {
            return Err(ErrorKind::ReadOnly {
                reason: "it was opened read-only".into(),
            }
            .into());
        }
        if signer.public_key() != self.db.log_key {
            return Err(ErrorKind::InvalidArgument {
                argument: "log key".into(),
                value: signer.public_key().to_hex(),
                reason: format!(
                    "this ledger's tree heads are signed by `{}`",
                    self.db.log_key
                ),
            }
            .into());
        }
        if events.is_empty() {
            return Err(ErrorKind::BatchEmpty.into());
        }
        if events.len() > BATCH_EVENTS_MAX {
            return Err(Error::new(ErrorKind::BatchTooLarge {
                events: events.len() as u64,
                max: BATCH_EVENTS_MAX as u64,
            }));
        }
        // IMMEDIATE takes the write lock now: a second writer waits here (busy timeout), and
        // events another process appended since we read are replayed before validating.
        self.db
            .conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.db.err("starting a write transaction"))?;
        let result = self.append_locked(events, rules, signer, policy);
        match result {
            Ok(applied) => Ok(applied),
            Err(e) => {
                // Roll back whatever was written (ignoring the error when the transaction is
                // already gone, e.g. after a failed COMMIT) and forget the state, which may be
                // ahead of the file: it is replayed from the file when next needed.
                let _ = self.db.conn.execute_batch("ROLLBACK");
                if !self.loaded_matches_file() {
                    self.loaded = None;
                }
                Err(e)
            }
        }
    }

    /// Whether the state in memory still describes the file (after a refused batch it does,
    /// because refusals happen before anything is applied).
    fn loaded_matches_file(&self) -> bool {
        match (&self.loaded, log::len(&self.db)) {
            (Some(l), Ok(len)) => l.state.event_count() == len && l.frontier.size() == len,
            _ => false,
        }
    }

    fn append_locked(
        &mut self,
        events: &[SignedEvent],
        rules: Option<&dyn RuleEngine>,
        signer: &dyn HeadSigner,
        policy: Option<Policy>,
    ) -> Result<Vec<Applied>> {
        self.catch_up()?;
        let Some(loaded) = self.loaded.as_mut() else {
            return Err(ErrorKind::Internal {
                detail: "the state is not loaded after catching up".into(),
            }
            .into());
        };
        let db = &self.db;
        // One query for the whole batch: which of its ids are stored already.
        let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
        let stored = log::stored_ids(db, &ids)?;
        let applied = apply_batch(&mut loaded.state, events, rules, policy, |id| {
            Ok(stored.contains(id))
        })?;
        // INVARIANT (store-sync): from here the state in memory is ahead of the file until the
        // transaction commits; if anything fails, `append` forgets the state, which is then
        // replayed from the file, so it always ends up describing what the file holds.
        let mut frontier = loaded.frontier.clone();
        write::write_batch(db, events, &applied, &loaded.state, &mut frontier, signer)?;
        db.conn
            .execute_batch("COMMIT")
            .map_err(db.err("committing the batch"))?;
        loaded.frontier = frontier;
        Ok(applied)
    }
}

/// Verifies the signatures of many events on all cores, in batches (`crate::sigcheck`): `true`
/// where every signature of the event checks cryptographically; `false` events are checked
/// again one by one, in order, by the replay. Key ownership and revocation are left to the
/// state.
pub(crate) fn signatures_valid(events: &[SignedEvent]) -> Vec<bool> {
    let refs: Vec<&SignedEvent> = events.iter().collect();
    crate::sigcheck::events_valid(&refs)
}

/// Chunks read on this thread by `next`, cut into pieces of `piece` items, put through `work`
/// a piece at a time by whichever thread is free, and handed to `consume` on this thread a
/// piece at a time with their results, in the order read, until `next` has no more or
/// `consume` says stop (`false`) or fails. Verification, verification of an export and
/// opening a ledger all run on it.
///
/// One thread per core: this one, which reads and consumes in order (a replay, which is
/// sequential), and `threads() - 1` workers. Whenever this thread is not reading or consuming
/// it takes pieces like a worker, so no core waits while a piece is left; a single core does
/// everything here, in order. While a chunk's pieces are consumed, up to `ahead` chunks beyond
/// it are read, so that the workers go on meanwhile; memory: `ahead + 1` chunks and their
/// results. Pieces, not whole chunks, are consumed so that the replay starts on the first
/// piece done and, at the end, waits for one piece, not for a whole chunk with the other cores
/// idle. `work` must give one result per item of its piece.
pub(crate) fn pipeline<T: Send + Sync, R: Send>(
    ahead: usize,
    piece: usize,
    mut next: impl FnMut() -> Result<Option<Vec<T>>>,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
    mut consume: impl FnMut(Vec<T>, Vec<R>) -> Result<bool>,
) -> Result<()> {
    let ahead = ahead.max(1);
    let shared = pool::Shared::new(piece);
    std::thread::scope(|scope| {
        // Dropped when this closure ends in any way (done, an error, a panic), before the
        // scope waits for the workers: it tells them to stop.
        let _stop = pool::StopOnDrop(&shared);
        for _ in 1..threads() {
            scope.spawn(|| shared.work_until_stopped(&work));
        }
        let mut read_all = false;
        // How many pieces of each chunk read are not yet consumed, oldest first: the pool
        // queues pieces, and the reading ahead is counted in chunks.
        let mut unconsumed: VecDeque<usize> = VecDeque::new();
        loop {
            // Top up: the chunk being consumed and `ahead` beyond it, read outside the lock.
            while !read_all && unconsumed.len() < ahead + 1 {
                match next()? {
                    Some(items) => {
                        let pieces = shared.push(items);
                        if pieces > 0 {
                            unconsumed.push_back(pieces);
                        }
                    }
                    None => read_all = true,
                }
            }
            let Some((items, results)) = shared.help_until_front_done(&work)? else {
                return Ok(());
            };
            if let Some(left) = unconsumed.front_mut() {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    unconsumed.pop_front();
                }
            }
            // The workers go on with the pieces read ahead while this one is consumed.
            if !consume(items, results)? {
                return Ok(());
            }
        }
    })
}

/// The work-sharing pool of [`pipeline`]: pieces in the order read, each taken by any thread
/// and kept with its results until consumed, in order.
mod pool {
    use std::collections::VecDeque;
    use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

    use crate::error::{ErrorKind, Result};

    type Panic = Box<dyn std::any::Any + Send>;

    struct Piece<T, R> {
        items: Arc<Vec<T>>,
        taken: bool,
        results: Option<Vec<R>>,
    }

    struct Pool<T, R> {
        pieces: VecDeque<Piece<T, R>>,
        /// The sequence number of `pieces[0]` (pieces are numbered in the order read).
        first: u64,
        stop: bool,
        /// A worker's panic, raised again on the consuming thread.
        panic: Option<Panic>,
        /// A piece's results had nowhere to go (a bug: a piece is consumed only once done).
        /// Reported as an internal error instead of waiting for ever.
        lost: bool,
    }

    /// A piece taken: its number and its items.
    struct Taken<T> {
        number: u64,
        items: Arc<Vec<T>>,
    }

    pub(super) struct Shared<T, R> {
        pool: Mutex<Pool<T, R>>,
        /// A piece to take, or stop (workers wait on it).
        work_ready: Condvar,
        /// A piece done, or a worker panicked (the consuming thread waits on it).
        piece_done: Condvar,
        piece: usize,
    }

    /// Tells the workers to stop when dropped.
    pub(super) struct StopOnDrop<'a, T, R>(pub(super) &'a Shared<T, R>);

    impl<T, R> Drop for StopOnDrop<'_, T, R> {
        fn drop(&mut self) {
            self.0.lock().stop = true;
            self.0.work_ready.notify_all();
        }
    }

    impl<T, R> Shared<T, R> {
        /// The lock. No code but this module's runs under it, and none of it panics but on a
        /// failed allocation, after which the pool is still whole: a poisoned lock is taken.
        fn lock(&self) -> MutexGuard<'_, Pool<T, R>> {
            self.pool.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    impl<T: Send + Sync, R: Send> Shared<T, R> {
        pub(super) fn new(piece: usize) -> Self {
            Self {
                pool: Mutex::new(Pool {
                    pieces: VecDeque::new(),
                    first: 0,
                    stop: false,
                    panic: None,
                    lost: false,
                }),
                work_ready: Condvar::new(),
                piece_done: Condvar::new(),
                piece: piece.max(1),
            }
        }

        /// Adds a chunk read, cut into pieces (cut outside the lock); the workers may take them
        /// at once. The number of pieces.
        pub(super) fn push(&self, items: Vec<T>) -> usize {
            let mut items = items.into_iter();
            let mut pieces = Vec::new();
            loop {
                let part: Vec<T> = items.by_ref().take(self.piece).collect();
                if part.is_empty() {
                    break;
                }
                pieces.push(Piece {
                    items: Arc::new(part),
                    taken: false,
                    results: None,
                });
            }
            let n = pieces.len();
            self.lock().pieces.extend(pieces);
            self.work_ready.notify_all();
            n
        }

        /// The first piece nobody took yet.
        fn take(pool: &mut Pool<T, R>) -> Option<Taken<T>> {
            let first = pool.first;
            pool.pieces
                .iter_mut()
                .zip(first..)
                .find(|(p, _)| !p.taken)
                .map(|(p, number)| {
                    p.taken = true;
                    Taken {
                        number,
                        items: Arc::clone(&p.items),
                    }
                })
        }

        /// Runs `work` on a piece taken, outside the lock; `Err` is a panic of `work`.
        fn run<W: Fn(&[T]) -> Vec<R>>(
            taken: Taken<T>,
            work: &W,
        ) -> (u64, std::thread::Result<Vec<R>>) {
            let Taken { number, items } = taken;
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&items)));
            // The items are released before the piece counts as done, so that the consuming
            // thread holds the only reference to a piece that is done.
            drop(items);
            (number, out)
        }

        /// Records a piece's results, or a panic (which stops the pool).
        fn finish(&self, pool: &mut Pool<T, R>, number: u64, out: std::thread::Result<Vec<R>>) {
            match out {
                Ok(results) => {
                    // The piece is still queued: it is consumed only once done.
                    let slot = number
                        .checked_sub(pool.first)
                        .and_then(|at| usize::try_from(at).ok())
                        .and_then(|at| pool.pieces.get_mut(at));
                    match slot {
                        Some(piece) => piece.results = Some(results),
                        None => {
                            pool.lost = true;
                            pool.stop = true;
                            self.work_ready.notify_all();
                        }
                    }
                }
                Err(panic) => {
                    pool.panic.get_or_insert(panic);
                    pool.stop = true;
                    self.work_ready.notify_all();
                }
            }
            self.piece_done.notify_all();
        }

        /// A worker: takes pieces until told to stop.
        pub(super) fn work_until_stopped<W: Fn(&[T]) -> Vec<R>>(&self, work: &W) {
            let mut pool = self.lock();
            loop {
                if pool.stop {
                    return;
                }
                let Some(taken) = Self::take(&mut pool) else {
                    pool = self
                        .work_ready
                        .wait(pool)
                        .unwrap_or_else(PoisonError::into_inner);
                    continue;
                };
                drop(pool);
                let (number, out) = Self::run(taken, work);
                pool = self.lock();
                self.finish(&mut pool, number, out);
            }
        }

        /// The consuming thread: takes pieces (any of them) until the oldest piece is done,
        /// then removes it and gives its items and results. `None` when no piece is left. A
        /// worker's panic is raised again here.
        pub(super) fn help_until_front_done<W: Fn(&[T]) -> Vec<R>>(
            &self,
            work: &W,
        ) -> Result<Option<(Vec<T>, Vec<R>)>> {
            let mut pool = self.lock();
            let (items, results) = loop {
                if let Some(panic) = pool.panic.take() {
                    drop(pool);
                    std::panic::resume_unwind(panic);
                }
                if pool.lost {
                    return Err(ErrorKind::Internal {
                        detail: "pipeline: a piece's results had no piece to go to".into(),
                    }
                    .into());
                }
                let Some(front) = pool.pieces.front() else {
                    return Ok(None);
                };
                if front.results.is_some() {
                    pool.first += 1;
                    if let Some(Piece {
                        items,
                        results: Some(results),
                        ..
                    }) = pool.pieces.pop_front()
                    {
                        break (items, results);
                    }
                }
                match Self::take(&mut pool) {
                    Some(taken) => {
                        drop(pool);
                        let (number, out) = Self::run(taken, work);
                        pool = self.lock();
                        self.finish(&mut pool, number, out);
                    }
                    None => {
                        pool = self
                            .piece_done
                            .wait(pool)
                            .unwrap_or_else(PoisonError::into_inner);
                    }
                }
            };
            drop(pool);
            let bug = |detail: &str| ErrorKind::Internal {
                detail: format!("pipeline: {detail}"),
            };
            let items =
                Arc::try_unwrap(items).map_err(|_| bug("a finished piece is still shared"))?;
            if results.len() != items.len() {
                return Err(bug("a piece gave a result count other than its item count").into());
            }
            Ok(Some((items, results)))
        }
    }
}

/// Validates a batch and applies it to `state`: duplicates (within the batch and per
/// `stored`), signatures (in parallel), every ledger rule, in order. On error `state` is
/// unchanged: a longer batch is applied in place with the state's undo journals open
/// (`ledger::journal`) and rolled back when an event is refused.
pub(crate) fn apply_batch(
    state: &mut State,
    events: &[SignedEvent],
    rules: Option<&dyn RuleEngine>,
    policy: Option<Policy>,
    mut stored: impl FnMut(&EventId) -> Result<bool>,
) -> Result<Vec<Applied>> {
    let mut seen = HashSet::with_capacity(events.len());
    for (index, e) in events.iter().enumerate() {
        if !seen.insert(e.id) || stored(&e.id)? {
            return Err(Error::new(ErrorKind::DuplicateEvent { event: e.id })
                .for_event(e.id)
                .at_index(index as u64));
        }
    }
    let valid = signatures_valid(events);
    // A single event is applied in place (`State::apply` is all-or-nothing per event); a longer
    // batch records what it changes and undoes it if an event is refused.
    let scalars = (events.len() > 1).then(|| state.begin_batch());
    let mut applied = Vec::with_capacity(events.len());
    for (index, (e, ok)) in events.iter().zip(valid).enumerate() {
        // Events whose signatures all checked skip the cryptography; the others are checked
        // again in order so that the error is exactly the one a sequential append gives.
        let check = if ok {
            SignatureCheck::AlreadyVerified
        } else {
            SignatureCheck::Verify
        };
        match state.apply_with(e, check, rules, policy) {
            Ok(a) => applied.push(a),
            Err(error) => {
                if let Some(scalars) = scalars {
                    state.rollback_batch(scalars);
                }
                return Err(error.for_event(e.id).at_index(index as u64));
            }
        }
    }
    if scalars.is_some() {
        state.commit_batch();
    }
    Ok(applied)
}

/// `apply_batch` with no rules, no policy and nothing stored (the journal's property test).
#[cfg(test)]
pub(crate) fn apply_batch_for_tests(
    state: &mut State,
    events: &[SignedEvent],
) -> Result<Vec<Applied>> {
    apply_batch(state, events, None, None, |_| Ok(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::{Ledger, Options, Signer};

    fn failure(detail: &str) -> Error {
        Error::new(ErrorKind::Internal {
            detail: detail.into(),
        })
    }

    /// Chunks of 1 to 7 consecutive numbers, `chunks` of them.
    fn numbered(chunks: u32) -> impl FnMut() -> Result<Option<Vec<u32>>> {
        let (mut k, mut n) = (0u32, 0u32);
        move || {
            if k == chunks {
                return Ok(None);
            }
            let len = k % 7 + 1;
            k += 1;
            n += len;
            Ok(Some((n - len..n).collect()))
        }
    }

    #[test]
    fn the_pipeline_hands_over_every_piece_in_the_order_read_with_its_results() {
        for ahead in [0, 1, 2, 5] {
            for piece in [1, 3, 16] {
                let mut seen = Vec::new();
                // The sizes of the pieces consumed, and of those a chunk is cut into.
                let mut sizes = Vec::new();
                let want_sizes: Vec<usize> = (0..60)
                    .flat_map(|k| {
                        let len = k % 7 + 1;
                        (0..len).step_by(piece).map(move |at| piece.min(len - at))
                    })
                    .collect();
                // Slow pieces now and then, so that pieces finish out of order.
                let work = |part: &[u32]| {
                    if part.first().is_some_and(|n| n % 5 == 0) {
                        std::thread::sleep(std::time::Duration::from_micros(300));
                    }
                    part.iter().map(|n| (*n, n * 2)).collect::<Vec<_>>()
                };
                let consume = |items: Vec<u32>, results: Vec<(u32, u32)>| {
                    assert_eq!(items.len(), results.len());
                    sizes.push(items.len());
                    for (item, (of, result)) in items.into_iter().zip(results) {
                        assert_eq!(item, of, "a result beside its own item");
                        seen.push(result);
                    }
                    Ok(true)
                };
                pipeline(ahead, piece, numbered(60), work, consume).unwrap();
                assert_eq!(sizes, want_sizes, "ahead {ahead}, piece {piece}");
                let want: Vec<u32> = (0..seen.len() as u32).map(|n| n * 2).collect();
                assert_eq!(seen, want, "ahead {ahead}, piece {piece}");
            }
        }
        let mut consumed = 0;
        let none = || Ok(None::<Vec<u32>>);
        let consume = |_, _: Vec<u32>| {
            consumed += 1;
            Ok(true)
        };
        pipeline(2, 4, none, |c: &[u32]| c.to_vec(), consume).unwrap();
        assert_eq!(consumed, 0);
    }

    #[test]
    fn every_thread_takes_pieces_the_calling_one_included() {
        let caller = std::thread::current().id();
        let ran = std::sync::Mutex::new(HashSet::new());
        let work = |part: &[u32]| {
            std::thread::sleep(std::time::Duration::from_micros(200));
            ran.lock().unwrap().insert(std::thread::current().id());
            part.to_vec()
        };
        pipeline(1, 1, numbered(80), work, |_, _| Ok(true)).unwrap();
        let ran = ran.into_inner().unwrap();
        assert!(ran.contains(&caller), "the calling thread takes pieces");
        assert_eq!(
            ran.len(),
            threads(),
            "one thread per core, each took pieces"
        );
    }

    #[test]
    fn the_pipeline_stops_when_told_and_reads_at_most_ahead_of_it() {
        for ahead in [1, 2, 3] {
            // A source without end: only `consume` stops it.
            let reads = std::cell::Cell::new(0u32);
            let mut consumed: u32 = 0;
            let next = || {
                reads.set(reads.get() + 1);
                Ok(Some(vec![reads.get(); 5]))
            };
            // Chunks of 5 in pieces of 2 (2, 2, 1): the 8th piece is the 3rd chunk's second.
            pipeline(
                ahead,
                2,
                next,
                |c: &[u32]| c.to_vec(),
                |items, _| {
                    consumed += 1;
                    assert_eq!(items[0], consumed.div_ceil(3), "piece {consumed}");
                    Ok(consumed < 8)
                },
            )
            .unwrap();
            assert_eq!(consumed, 8);
            // The three chunks consumed from, and the chunks read ahead of the third.
            assert_eq!(usize::try_from(reads.get()).unwrap(), 3 + ahead, "{ahead}");
        }
    }

    #[test]
    fn the_pipeline_returns_the_first_error_of_either_side() {
        let mut n = 0;
        let next = || {
            n += 1;
            if n == 4 {
                Err(failure("read"))
            } else {
                Ok(Some(vec![n; 3]))
            }
        };
        let e = pipeline(1, 2, next, |c: &[u32]| c.to_vec(), |_, _| Ok(true)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Internal);
        assert_eq!(
            e.values().get("detail").and_then(|v| v.as_str()),
            Some("read")
        );
        let consume = |c: Vec<u32>, _| {
            if c.contains(&7) {
                Err(failure("consume"))
            } else {
                Ok(true)
            }
        };
        let e = pipeline(2, 2, numbered(10), |c: &[u32]| c.to_vec(), consume).unwrap_err();
        assert_eq!(
            e.values().get("detail").and_then(|v| v.as_str()),
            Some("consume")
        );
    }

    #[test]
    fn a_piece_without_one_result_per_item_is_an_internal_error() {
        let work = |c: &[u32]| c.iter().skip(1).copied().collect::<Vec<_>>();
        let e = pipeline(1, 2, numbered(10), work, |_, _| Ok(true)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Internal);
    }

    #[test]
    #[should_panic(expected = "worker bug")]
    fn a_panicking_worker_is_raised_again_on_the_calling_thread() {
        assert!(threads() >= 2, "needs a worker thread: one core only");
        let caller = std::thread::current().id();
        // Only a worker panics; slow pieces make sure that one takes some.
        let work = |c: &[u32]| {
            std::thread::sleep(std::time::Duration::from_micros(200));
            if std::thread::current().id() != caller {
                panic!("worker bug");
            }
            c.to_vec()
        };
        let _ = pipeline(2, 1, numbered(50), work, |_, _| Ok(true));
    }

    #[test]
    #[should_panic(expected = "caller bug")]
    fn a_panic_on_the_calling_thread_stops_the_workers_and_is_raised() {
        let mut n = 0;
        let consume = move |_, _: Vec<u32>| {
            n += 1;
            if n == 3 {
                panic!("caller bug");
            }
            Ok(true)
        };
        // Were the workers not told to stop, the scope would wait for them for ever: run on a
        // thread of its own, so that a hang fails the test (with another message) instead of
        // stopping the run.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let run = std::thread::spawn(move || {
            // Dropped however the pipeline ends, its panic included.
            let _done = done_tx;
            let _ = pipeline(2, 1, numbered(50), |c: &[u32]| c.to_vec(), consume);
        });
        // Disconnected (the thread ended) is the expected outcome; a timeout is the hang.
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            done_rx.recv_timeout(std::time::Duration::from_secs(120))
        {
            panic!("the pipeline did not stop its workers after a panic");
        }
        if let Err(payload) = run.join() {
            std::panic::resume_unwind(payload);
        }
    }

    /// A file of `n` synthetic events appended in batches, and the state their plain replay
    /// gives.
    fn ledger_file(dir: &Path, n: usize) -> (std::path::PathBuf, Vec<SignedEvent>) {
        let path = dir.join("l.ledger");
        let events = crate::testkit::events(42, n).unwrap();
        let mut ledger =
            Ledger::create(&path, Options::new().log_key(Signer::from_seed([3; 32]))).unwrap();
        for batch in events.chunks(97) {
            ledger.append(batch).unwrap();
        }
        (path, events)
    }

    fn digest_of(events: &[SignedEvent]) -> crate::model::Digest {
        let mut state = State::default();
        for e in events {
            state
                .apply(e, SignatureCheck::AlreadyVerified, Some(&RecordedVerdicts))
                .unwrap();
        }
        state.digest().unwrap()
    }

    /// Opening a file replays it through the decoding pipeline, chunk after chunk (64 events a
    /// chunk in tests), to the state a plain replay gives; a later append catches up from
    /// where it stopped; and the rule input of an event is that of the state just before it.
    #[test]
    fn opening_replays_every_chunk_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let n = 10 * REPLAY_CHUNK_EVENTS + 17;
        let (path, events) = ledger_file(dir.path(), n);
        let mut store = Store::open(&path, true).unwrap();
        assert_eq!(
            store.state().unwrap().event_count(),
            u64::try_from(n).unwrap()
        );
        assert_eq!(store.state().unwrap().digest().unwrap(), digest_of(&events));

        // Another writer appends; this store catches up from where it was.
        let more = crate::testkit::events(42, n + 40).unwrap();
        let mut ledger =
            Ledger::open(&path, Options::new().log_key(Signer::from_seed([3; 32]))).unwrap();
        ledger.append(&more[n..]).unwrap();
        assert_eq!(
            store.state().unwrap().event_count(),
            u64::try_from(n + 40).unwrap()
        );
        assert_eq!(store.state().unwrap().digest().unwrap(), digest_of(&more));
        // Verification goes through the same chunks with its own pipeline.
        let report = ledger.verify().unwrap();
        assert!(report.ok, "{:?}", report.failure);
        assert_eq!(report.events, u64::try_from(n + 40).unwrap());
        assert_eq!(report.state_digest, digest_of(&more));

        let k = 5 * REPLAY_CHUNK_EVENTS + 3;
        let mut before = State::default();
        for e in &events[..k] {
            before
                .apply(e, SignatureCheck::AlreadyVerified, Some(&RecordedVerdicts))
                .unwrap();
        }
        assert_eq!(
            store.rule_input(&events[k].id()).unwrap(),
            Some(before.rule_input_for(&events[k]).unwrap())
        );
    }

    /// A damaged event in a middle chunk stops the replay there, named by its position, and
    /// leaves nothing half-replayed: asking again gives the same error.
    #[test]
    fn a_damaged_event_in_a_middle_chunk_is_named_by_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let n = 6 * REPLAY_CHUNK_EVENTS;
        let (path, _) = ledger_file(dir.path(), n);
        let bad = u64::try_from(3 * REPLAY_CHUNK_EVENTS + 5).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE events SET json = CAST('{\"v\":1}' AS BLOB) WHERE seq = ?1",
            [i64::try_from(bad).unwrap()],
        )
        .unwrap();
        drop(conn);
        let mut store = Store::open(&path, true).unwrap();
        for _ in 0..2 {
            let e = store.state().unwrap_err();
            assert_eq!(e.index(), Some(bad));
            assert_eq!(e.code(), ErrorCode::SchemaViolation);
        }
    }
}
