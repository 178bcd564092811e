//! `status_change`: items and whole lots become serviceable, unserviceable, surplus,
//! suspended or pending destruction. The holder may change the status of its own stock; an
//! inspector or an authoriser of anyone's.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Stock};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field};
use crate::model::{ItemId, LotId, Role, Status};

/// Changes the status of items and whole lots.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct StatusChange {
    /// Items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Lots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotId>,
    /// New status.
    pub status: Status,
    /// Why.
    pub reason: String,
}

impl Kind for StatusChange {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        if self.items.is_empty() && self.lots.is_empty() {
            return Err(p.err("/items", ErrorKind::NothingToMove));
        }
        p.distinct_items("/items", &self.items)?;
        let privileged = p
            .actor_state
            .is_some_and(|a| a.has_role(Role::Inspector) || a.has_role(Role::Authoriser));
        for (i, id) in self.items.iter().enumerate() {
            let f = field("/items", i, "");
            let item = p.item(&f, id)?;
            if let Account::Holding { custodian, .. } = &item.location
                && !privileged
                && !p.state.acts_for(p.actor, custodian)
            {
                return Err(p.not_custodian(&f, custodian));
            }
            p.fx.statuses.push((Stock::Item(id.clone()), self.status));
        }
        for (i, lot) in self.lots.iter().enumerate() {
            let f = field("/lots", i, "");
            if self.lots.iter().take(i).any(|l| l == lot) {
                return Err(p.err(
                    f,
                    ErrorKind::Repeated {
                        value: lot.to_string(),
                    },
                ));
            }
            let l = p.lot(&f, lot)?;
            let holder = l.balances.keys().any(|a| {
                matches!(a, Account::Holding { custodian, .. } if p.state.acts_for(p.actor, custodian))
            });
            if !privileged && !holder {
                return Err(p.err(
                    f,
                    ErrorKind::NotHolder {
                        actor: p.actor.to_string(),
                        lot: lot.to_string(),
                    },
                ));
            }
            p.fx.statuses.push((Stock::Lot(lot.clone()), self.status));
        }
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> StatusChange {
    use crate::ledger::kinds::ex::id;
    StatusChange {
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![id("lot:762x39-1987-044")],
        status: Status::Surplus,
        reason: "declared surplus by order 2026-14".into(),
    }
}
