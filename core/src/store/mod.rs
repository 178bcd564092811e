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
pub(crate) use schema::{Db, file_format_version, read_legacy};
pub use schema::{ORIGIN_BYTES_MAX, STORE_FORMAT_VERSION};
pub(crate) use write::write_empty_head;

use std::collections::HashSet;
use std::path::Path;

use crate::envelope::HeadSigner;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{
    Applied, Policy, RecordedVerdicts, RuleEngine, SignatureCheck, SignedEvent, State,
};
use crate::merkle::Frontier;
use crate::model::{EventId, PublicKey};

/// Largest batch one append takes, in events.
pub const BATCH_EVENTS_MAX: usize = 100_000;
/// Events decoded per chunk while replaying or verifying (bounds memory, feeds all cores).
#[cfg(not(test))]
pub(crate) const REPLAY_CHUNK_EVENTS: usize = 4096;
/// Small in the crate's own tests, so that ledgers of a few hundred events replay and verify
/// through many chunks of the pipeline.
#[cfg(test)]
pub(crate) const REPLAY_CHUNK_EVENTS: usize = 64;

/// Chunks decoded ahead of the one replaying (`pipeline`). One keeps the workers busy while a
/// chunk replays: two were no faster (`custodia verify` of 200 k steady-state events, 2.97–3.00
/// against 2.99–3.01 s) and held a chunk more (72–75 against 61–62 MB).
pub(crate) const PIPELINE_AHEAD: usize = 1;

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
        let consume = |decoded: Vec<log::DecodedRow>| -> Result<bool> {
            for (seq, _id, ev, _) in decoded {
                f(seq, ev)?;
            }
            Ok(true)
        };
        pipeline(
            PIPELINE_AHEAD,
            next,
            |chunk| log::decode_chunk(chunk, false),
            consume,
        )
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

/// Maps `f` over `items` on all cores, keeping order. The items are taken a piece at a time
/// by whichever thread is free (this one included), so that a thread slowed down by another
/// (the replay, on a machine with few cores) does not leave the others waiting for its
/// share, as equal shares fixed in advance did.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // Below this many items a thread costs more than it saves.
    const PARALLEL_ITEMS_MIN: usize = 64;
    // Items taken at a time: small enough to even out, large enough that taking is rare.
    const PIECE_ITEMS: usize = 64;
    // Asking the OS costs a read of cgroup files on Linux; the answer does not change.
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let threads =
        *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads < 2 || items.len() < PARALLEL_ITEMS_MIN {
        return items.iter().map(&f).collect();
    }
    let pieces: Vec<&[T]> = items.chunks(PIECE_ITEMS).collect();
    let taken = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let i = taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(piece) = pieces.get(i) else {
                return done;
            };
            done.push((i, piece.iter().map(&f).collect()));
        }
    };
    let mut done = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.min(pieces.len()))
            .map(|_| scope.spawn(work))
            .collect();
        let mut done = work();
        for h in helpers {
            match h.join() {
                Ok(part) => done.extend(part),
                // A panicking worker is a bug; re-raise it on this thread.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    let mut out = Vec::with_capacity(items.len());
    for (_, part) in done {
        out.extend(part);
    }
    out
}

/// Chunks read on this thread by `next`, put through `work` on another thread (which may
/// spread each over every core), and handed to `consume` on this thread in the order read,
/// until `next` has no more or `consume` says stop (`false`) or fails. Up to `ahead` chunks
/// are read and worked on beyond the one being consumed, so that the workers go on while this
/// thread consumes (a replay, which is sequential); memory: `ahead + 1` chunks and their
/// results. Verification, verification of an export and opening a ledger all run on it.
pub(crate) fn pipeline<C: Send, O: Send>(
    ahead: usize,
    mut next: impl FnMut() -> Result<Option<C>>,
    work: impl Fn(C) -> O + Sync,
    mut consume: impl FnMut(O) -> Result<bool>,
) -> Result<()> {
    let ahead = ahead.max(1);
    std::thread::scope(|scope| {
        // Both channels hold `ahead` items, and at most `ahead` chunks are sent and not yet
        // received back: neither side ever blocks on a send.
        let (to_work, inbox) = std::sync::mpsc::sync_channel::<C>(ahead);
        let (to_consume, outbox) = std::sync::mpsc::sync_channel::<O>(ahead);
        let work = &work;
        let worker = scope.spawn(move || {
            for chunk in inbox {
                // Nobody receiving: this side stopped early; the chunks left are dropped.
                if to_consume.send(work(chunk)).is_err() {
                    return;
                }
            }
        });
        let mut in_flight = 0usize;
        let mut read_all = false;
        let mut top_up = |in_flight: &mut usize| -> Result<()> {
            while !read_all && *in_flight < ahead {
                match next()? {
                    Some(chunk) => {
                        if to_work.send(chunk).is_err() {
                            // The worker is gone: it panicked; its join below re-raises it.
                            read_all = true;
                            return Ok(());
                        }
                        *in_flight += 1;
                    }
                    None => read_all = true,
                }
            }
            Ok(())
        };
        let outcome = (|| -> Result<()> {
            top_up(&mut in_flight)?;
            while in_flight > 0 {
                let Ok(done) = outbox.recv() else {
                    // The worker is gone: it panicked; its join below re-raises it.
                    return Ok(());
                };
                in_flight -= 1;
                // The next chunk is read and sent before this one is consumed, so that the
                // worker has it while this thread consumes.
                top_up(&mut in_flight)?;
                if !consume(done)? {
                    return Ok(());
                }
            }
            Ok(())
        })();
        drop(to_work);
        drop(outbox);
        match worker.join() {
            Ok(()) => outcome,
            // A panicking worker is a bug; re-raise it on this thread.
            Err(payload) => std::panic::resume_unwind(payload),
        }
    })
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

    #[test]
    fn parallel_map_keeps_the_order_of_its_items() {
        for n in [0, 1, 63, 64, 65, 1000, 4097] {
            let items: Vec<usize> = (0..n).collect();
            let out = parallel_map(&items, |i| i * 3);
            assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>(), "{n}");
        }
        // Slow items, so that every thread takes pieces (quick ones may all be taken by the
        // calling thread before another starts), and their pieces interleave.
        let items: Vec<usize> = (0..2000).collect();
        let out = parallel_map(&items, |i| {
            std::thread::sleep(std::time::Duration::from_micros(20));
            i * 3
        });
        assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
    }

    #[test]
    fn the_pipeline_hands_over_every_chunk_in_the_order_read() {
        for ahead in [0, 1, 2, 5] {
            let mut source = 0..100u32;
            let mut seen = Vec::new();
            let consume = |o| {
                seen.push(o);
                Ok(true)
            };
            pipeline(ahead, || Ok(source.next()), |c| c * 2, consume).unwrap();
            assert_eq!(seen, (0..100).map(|c| c * 2).collect::<Vec<_>>(), "{ahead}");
        }
        let mut consumed = 0;
        pipeline(
            2,
            || Ok(None::<u32>),
            |c| c,
            |_| {
                consumed += 1;
                Ok(true)
            },
        )
        .unwrap();
        assert_eq!(consumed, 0);
    }

    #[test]
    fn the_pipeline_stops_when_told_and_reads_at_most_ahead_of_it() {
        for ahead in [1, 2, 3] {
            // A source without end: only `consume` stops it.
            let reads = std::cell::Cell::new(0usize);
            let mut consumed = 0;
            let next = || {
                reads.set(reads.get() + 1);
                Ok(Some(reads.get()))
            };
            pipeline(
                ahead,
                next,
                |c| c,
                |_| {
                    consumed += 1;
                    Ok(consumed < 5)
                },
            )
            .unwrap();
            assert_eq!(consumed, 5);
            // The five consumed, and the chunks read ahead of the last.
            assert_eq!(reads.get(), 5 + ahead, "{ahead}");
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
                Ok(Some(n))
            }
        };
        let e = pipeline(1, next, |c| c, |_| Ok(true)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Internal);
        assert_eq!(
            e.values().get("detail").and_then(|v| v.as_str()),
            Some("read")
        );
        let mut source = 0..10;
        let consume = |c| {
            if c == 3 {
                Err(failure("consume"))
            } else {
                Ok(true)
            }
        };
        let e = pipeline(2, || Ok(source.next()), |c| c, consume).unwrap_err();
        assert_eq!(
            e.values().get("detail").and_then(|v| v.as_str()),
            Some("consume")
        );
    }

    #[test]
    #[should_panic(expected = "worker bug")]
    fn a_panicking_worker_is_raised_again_on_the_calling_thread() {
        let mut source = 0..10;
        let work = |c: i32| if c == 2 { panic!("worker bug") } else { c };
        let _ = pipeline(2, || Ok(source.next()), work, |_| Ok(true));
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
