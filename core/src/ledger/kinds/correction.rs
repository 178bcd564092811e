//! `correction`: reverses an earlier event that is still the latest event of everything it
//! touched (so corrections undo the newest first and undo records stay bounded by the state).
//! Never an edit: the original stays in the ledger, and so does the correction.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, NotCorrectableReason, Result};
use crate::ledger::account::Stock;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::Plan;
use crate::model::{EventId, Role};

/// Reverses an earlier event.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Correction {
    /// The event reversed.
    pub reverses: EventId,
    /// Why.
    pub reason: String,
}

impl Kind for Correction {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        let target = self.reverses;
        let undo = p.state.undo.get(&target).ok_or_else(|| {
            p.err(
                "/reverses",
                ErrorKind::NotCorrectable {
                    target,
                    reason: NotCorrectableReason::NotReversible,
                },
            )
        })?;
        if &undo.actor != p.actor && !p.actor_state.is_some_and(|a| a.has_role(Role::Admin)) {
            p.require_role(Role::Admin, Self::NAME)?;
        }
        p.require_parent(target, crate::ledger::plan::ParentOf::Event("reversed event", target), &undo.at)?;
        // Set first: the reversal may refill a lot the corrected event emptied (see
        // `Plan::touch`).
        p.fx.correction = Some(target);
        for stock in &undo.stocks {
            if !undo.created.contains(stock) {
                p.fx.touched.insert(stock.clone());
            }
        }
        // Reverse postings, newest first. Balances were checked when the original was applied
        // and nothing has touched these stocks since, so they cannot go negative.
        for posting in undo.postings.iter().rev() {
            if undo.created.contains(&posting.stock) {
                continue;
            }
            match &posting.stock {
                Stock::Lot(lot) => p.move_lot(
                    "/reverses",
                    lot,
                    &posting.to,
                    posting.from.clone(),
                    posting.quantity,
                )?,
                Stock::Item(item) => {
                    p.move_item("/reverses", item, &posting.to, posting.from.clone())?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> Correction {
    Correction {
        reverses: crate::ledger::kinds::ex::event(0xe1),
        reason: "dispatch recorded against the wrong depot".into(),
    }
}
