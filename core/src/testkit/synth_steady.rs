//! The steady-state mode of the generator: after the cast and a fixed stockpile (one lot per
//! depot and a few cases of seized rifles), only transfers between depots (received in full)
//! and stock checks (counted as booked), so that the ledger grows without its state growing.
//! Verifying such ledgers of different lengths shows what memory depends on
//! (`scripts/verify-memory.sh`).

use super::{Synth, SynthError};

/// Cases of seized rifles registered at the start (one to five rifles each).
const STEADY_ITEM_CASES: usize = 4;

impl Synth {
    /// A generator of ledgers whose state stops growing after the first events: the same
    /// fixed stockpile moved between depots and counted, for ever.
    pub fn steady(seed: u64) -> Self {
        let mut synth = Self::new(seed);
        synth.steady = true;
        synth
    }

    /// The first step of the steady mode: the cast and the fixed stockpile.
    pub(super) fn steady_setup(&mut self) -> Result<super::Cast, SynthError> {
        let cast = self.setup()?;
        for _ in 0..super::SYNTH_DEPOTS {
            self.register_lot(&cast)?;
        }
        for _ in 0..STEADY_ITEM_CASES {
            self.register_items(&cast)?;
        }
        Ok(cast)
    }

    /// One step of the steady mode: a transfer (dispatch and receipt) or a stock check.
    pub(super) fn steady_step(&mut self, cast: &super::Cast) -> Result<(), SynthError> {
        if self.rng.range(0, 2) == 0 {
            self.stock_check(cast)
        } else {
            self.transfer(cast)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::State;

    /// Sizes of everything in the state that could grow with the number of events.
    fn sizes(s: &State) -> Vec<usize> {
        vec![
            s.actors.len(),
            s.sites.len(),
            s.items.len(),
            s.lots.len(),
            s.by_account.accounts().map(|(_, m)| m.len()).sum(),
            s.transfers.len(),
            s.undo.len(),
            s.discrepancies.len(),
            s.lookalikes.len(),
            s.authorisations.len(),
        ]
    }

    #[test]
    fn the_steady_state_stops_growing_and_every_event_is_valid() {
        let mut synth = Synth::steady(42);
        let mut ledger = crate::Ledger::in_memory(crate::Options::new()).unwrap();
        let mut at_500 = Vec::new();
        let mut kinds = std::collections::BTreeSet::new();
        for n in 1..=3_000 {
            let e = synth.next_event().unwrap();
            kinds.insert(e.kind());
            ledger.append(std::slice::from_ref(&e)).unwrap();
            if n == 500 {
                at_500 = sizes(&synth.state);
            }
        }
        let at_3000 = sizes(&synth.state);
        // Items and lots are registered once; what moves stays within depots x stock.
        assert_eq!(at_500[..4], at_3000[..4]);
        for (a, b) in at_500.iter().zip(&at_3000) {
            assert!(*b <= a + 8, "{at_500:?} -> {at_3000:?}");
        }
        assert_eq!(at_3000[7], 0, "no discrepancy accounts");
        assert!(kinds.contains("transfer_dispatch") && kinds.contains("stock_check"));
        assert_eq!(ledger.len().unwrap(), 3_000);
    }
}
