//! Storage: where events, the derived state and the Merkle log live between runs.
//!
//! [`Store`] is the trait a ledger is kept behind; [`SqliteStore`] is the embedded default
//! (one SQLite file, WAL mode, one transaction per batch) and [`MemoryStore`] keeps everything
//! in memory for tests. Both validate a whole batch against a copy of the state before
//! anything is written, so a batch is appended entirely or not at all. [`verify_file`]
//! re-checks a stored ledger by streaming its events; see `docs/STORAGE.md` for the file
//! format.

mod memory;
mod sqlite;
mod verify;

pub use memory::MemoryStore;
pub use sqlite::{
    BalanceRow, FORMAT_VERSION, LEDGER_APPLICATION_ID, SqliteLog, SqliteStore, TraceRow,
};
pub use verify::{StoreFailure, StoreReport, VerifyOptions, verify_file, verify_log};

use std::collections::HashSet;

use crate::event::SignedEvent;
use crate::ledger::{
    Applied, BATCH_EVENTS_MAX, BatchError, LedgerError, RuleHook, SignatureCheck, State,
};
use crate::merkle::{Hash, ProofError, SignedTreeHead};
use crate::model::EventId;

/// Why a store operation failed. A failed append writes nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The batch was refused at one of its events; nothing was written.
    #[error("{0}")]
    Rejected(#[from] BatchError),
    /// The file does not exist.
    #[error("ledger file `{path}` does not exist")]
    NotFound {
        /// The path.
        path: String,
    },
    /// `create` on a path that already exists.
    #[error("`{path}` already exists; refusing to overwrite it")]
    AlreadyExists {
        /// The path.
        path: String,
    },
    /// The file is not a custodia ledger.
    #[error("`{path}` is not a custodia ledger: {reason}")]
    NotALedger {
        /// The path.
        path: String,
        /// What was found instead.
        reason: String,
    },
    /// The ledger was written by a newer or older format.
    #[error("`{path}` is a custodia ledger of format {found}; this build reads format {supported}")]
    UnsupportedFormat {
        /// The path.
        path: String,
        /// Format found.
        found: i64,
        /// Format this build reads.
        supported: i64,
    },
    /// Another writer held the ledger for longer than the busy timeout.
    #[error("ledger `{path}` is busy: another process is writing to it; try again")]
    Busy {
        /// The path.
        path: String,
    },
    /// A stored event cannot be replayed (the file was edited): run `verify` for details.
    #[error("stored event {index} cannot be replayed: {error}")]
    Corrupt {
        /// Its position in append order.
        index: u64,
        /// Why.
        error: LedgerError,
    },
    /// The stored log is inconsistent (missing nodes, meta, tree heads).
    #[error("the ledger file is damaged: {reason}")]
    Damaged {
        /// What is wrong.
        reason: String,
    },
    /// A proof could not be produced.
    #[error("{0}")]
    Proof(#[from] ProofError),
    /// A derived balance does not fit the table's 64-bit column.
    #[error("balance {value} of `{stock}` in `{account}` does not fit in 64 bits")]
    Overflow {
        /// The stock.
        stock: String,
        /// The account.
        account: String,
        /// The balance.
        value: i128,
    },
    /// SQLite failed.
    #[error("sqlite failed while {operation}: {reason}")]
    Sqlite {
        /// What the store was doing.
        operation: &'static str,
        /// SQLite's message.
        reason: String,
    },
}

/// Largest batch a store takes, in events.
pub const STORE_BATCH_EVENTS_MAX: usize = BATCH_EVENTS_MAX;

/// Where events are kept, with their derived state and Merkle log.
pub trait Store {
    /// Events stored.
    fn len(&self) -> u64;
    /// Whether no event is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The state derived from every stored event.
    fn state(&self) -> &State;
    /// Appends a batch atomically: every event, or none. Returns what each event did.
    fn append_batch(&mut self, events: &[SignedEvent]) -> Result<Vec<Applied>, StoreError>;
    /// The stored event at `index` (append order, 0-based).
    fn event(&self, index: u64) -> Result<Option<SignedEvent>, StoreError>;
    /// The position of an event.
    fn index_of(&self, id: &EventId) -> Result<Option<u64>, StoreError>;
    /// The latest signed tree head (size 0 and the empty root for an empty ledger).
    fn tree_head(&self) -> Result<SignedTreeHead, StoreError>;
    /// Inclusion proof of leaf `index` in the tree of `size` leaves.
    fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError>;
    /// Consistency proof from size `first` to size `second`.
    fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, StoreError>;
}

/// Verifies the signatures of many events on all cores: `true` where every signature of the
/// event checks cryptographically. Key ownership and revocation are left to the state.
pub fn signatures_valid(events: &[SignedEvent]) -> Vec<bool> {
    let check = |e: &SignedEvent| {
        !e.signatures.is_empty() && e.signatures.iter().all(|s| s.verify(&e.id).is_ok())
    };
    parallel_map(events, check)
}

/// Maps `f` over `items` on all cores, keeping order.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // Below this many items a thread costs more than it saves.
    const PARALLEL_ITEMS_MIN: usize = 64;
    // Asking the OS costs a read of cgroup files on Linux; the answer does not change.
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let threads =
        *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads < 2 || items.len() < PARALLEL_ITEMS_MIN {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                // A panicking worker is a bug; re-raise it on this thread.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        out
    })
}

/// Validates a batch and applies it to `state`: duplicates (within the batch and per
/// `stored`), signatures (in parallel), every ledger rule. On error `state` is unchanged.
///
/// A single event is applied in place (`State::apply` is all-or-nothing per event), so the
/// common one-event append costs nothing in proportion to the stockpile; a longer batch is
/// applied to a copy that replaces `state` only when every event passed.
pub(crate) fn apply_batch(
    state: &mut State,
    events: &[SignedEvent],
    rules: Option<&dyn RuleHook>,
    mut stored: impl FnMut(&EventId) -> Result<bool, StoreError>,
) -> Result<Vec<Applied>, StoreError> {
    if events.len() > STORE_BATCH_EVENTS_MAX {
        return Err(BatchError {
            index: STORE_BATCH_EVENTS_MAX,
            error: LedgerError::Invalid {
                event: events
                    .get(STORE_BATCH_EVENTS_MAX)
                    .map_or(EventId::from_bytes([0; 32]), |e| e.id),
                field: String::new(),
                reason: format!("a batch holds at most {STORE_BATCH_EVENTS_MAX} events"),
            },
        }
        .into());
    }
    let mut seen = HashSet::with_capacity(events.len());
    for (index, e) in events.iter().enumerate() {
        if !seen.insert(e.id) || stored(&e.id)? {
            return Err(BatchError {
                index,
                error: LedgerError::DuplicateEvent { event: e.id },
            }
            .into());
        }
    }
    let valid = signatures_valid(events);
    let mut copy = (events.len() > 1).then(|| state.clone());
    let next = copy.as_mut().unwrap_or(state);
    let mut applied = Vec::with_capacity(events.len());
    for (index, (e, ok)) in events.iter().zip(valid).enumerate() {
        // Events whose signatures all checked skip the cryptography; the others are checked
        // again in order so that the error is exactly the one a sequential append gives.
        let check = if ok {
            SignatureCheck::AlreadyVerified
        } else {
            SignatureCheck::Verify
        };
        match next.apply(e, check, rules) {
            Ok(a) => applied.push(a),
            Err(error) => return Err(BatchError { index, error }.into()),
        }
    }
    if let Some(copy) = copy {
        *state = copy;
    }
    Ok(applied)
}
