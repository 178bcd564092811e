//! The in-memory stages of an append, callable from benchmarks (which see only the public
//! surface): replaying events into a state (what opening a store or verifying does), copying a
//! replayed state (what a batch cost before the undo journals), and applying batches with the
//! journals open (what a batch costs now).

use crate::error::Result;
use crate::event::SignedEvent;
use crate::ledger::{RecordedVerdicts, SignatureCheck, State};

/// A state replayed from events, for timing what is done to it.
#[derive(Clone, Debug, Default)]
pub struct Replayed {
    state: State,
}

impl Replayed {
    /// Replays `events` (already verified) into a fresh state on this core, as opening a store
    /// does.
    pub fn replay(events: &[SignedEvent]) -> Result<Replayed> {
        let mut r = Replayed::default();
        r.apply_each(events)?;
        Ok(r)
    }

    /// Applies `events` one by one (already verified).
    pub fn apply_each(&mut self, events: &[SignedEvent]) -> Result<()> {
        for e in events {
            self.state
                .apply(e, SignatureCheck::AlreadyVerified, Some(&RecordedVerdicts))?;
        }
        Ok(())
    }

    /// Applies `events` (already verified) in batches of `batch`, each with the undo journals
    /// open and committed at its end, as a batched append does.
    pub fn apply_journaled(&mut self, events: &[SignedEvent], batch: usize) -> Result<()> {
        for chunk in events.chunks(batch.max(1)) {
            let scalars = self.state.begin_batch();
            for e in chunk {
                if let Err(error) =
                    self.state
                        .apply(e, SignatureCheck::AlreadyVerified, Some(&RecordedVerdicts))
                {
                    self.state.rollback_batch(scalars);
                    return Err(error);
                }
            }
            self.state.commit_batch();
        }
        Ok(())
    }

    /// A deep copy of the state (what each batch paid before the undo journals).
    pub fn copy_state(&self) -> Replayed {
        self.clone()
    }

    /// Number of events applied.
    pub fn events(&self) -> u64 {
        self.state.event_count()
    }

    /// The state's digest (what `verify` reports at its end), as hex.
    pub fn digest(&self) -> Result<String> {
        Ok(self.state.digest()?.to_string())
    }
}
