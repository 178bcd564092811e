//! `transfer_receipt`: the addressee acknowledges what arrived of a dispatch. What was sent
//! but not received goes to a discrepancy account named by this event; what arrived beyond
//! what was sent comes from it (the account goes negative: units found).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::Account;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Path, Plan, field, holding};
use crate::model::{EventId, ItemId, LotQuantity};

/// The addressee acknowledges what arrived.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TransferReceipt {
    /// The dispatch being received.
    pub dispatch: EventId,
    /// Items that arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Quantities that arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Kind for TransferReceipt {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        let dispatch = self.dispatch;
        let transfer = p
            .state
            .transfers
            .get(&dispatch)
            .ok_or_else(|| p.unknown("/dispatch", dispatch))?;
        p.require_parent(dispatch, crate::ledger::plan::ParentOf::Event("transfer", dispatch), &transfer.at)?;
        if !p.state.acts_for(p.actor, &transfer.to.custodian) {
            return Err(p.not_custodian("/actor", &transfer.to.custodian));
        }
        p.distinct_items("/items", &self.items)?;
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        let transit = Account::InTransit(dispatch);
        let discrepancy = Account::Discrepancy(p.id);
        let to = holding(&transfer.to);
        for (i, item) in self.items.iter().enumerate() {
            if !transfer.items.contains(item) {
                return Err(p.err(
                    field("/items", i, ""),
                    ErrorKind::NotDispatched {
                        stock: item.to_string(),
                        dispatch,
                    },
                ));
            }
        }
        for (i, line) in self.lots.iter().enumerate() {
            if !transfer.lots.iter().any(|l| l.lot == line.lot) {
                return Err(p.err(
                    field("/lots", i, "/lot"),
                    ErrorKind::NotDispatched {
                        stock: line.lot.to_string(),
                        dispatch,
                    },
                ));
            }
        }
        for (i, item) in transfer.items.iter().enumerate() {
            let target = if self.items.contains(item) {
                to.clone()
            } else {
                discrepancy.clone()
            };
            p.move_item(field("/items", i, ""), item, &transit, target)?;
        }
        for sent in &transfer.lots {
            let (pos, got) = self
                .lots
                .iter()
                .enumerate()
                .find(|(_, l)| l.lot == sent.lot)
                .map_or((None, 0), |(i, l)| (Some(i), l.quantity.get()));
            let f = pos.map_or(Path::Str("/lots"), |i| field("/lots", i, "/quantity"));
            let (sent_q, lot) = (sent.quantity.get(), &sent.lot);
            let arrived = got.min(sent_q);
            if arrived > 0 {
                p.move_lot(f, lot, &transit, to.clone(), arrived)?;
            }
            if sent_q > got {
                p.move_lot(f, lot, &transit, discrepancy.clone(), sent_q - got)?;
            }
            if got > sent_q {
                let excess = got - sent_q;
                if let Some(policy) = p.policy {
                    let allowed = sent_q.saturating_mul(policy.receipt_excess_percent_max) / 100;
                    if excess > allowed {
                        return Err(p.err(
                            f,
                            ErrorKind::OverReceipt {
                                lot: lot.to_string(),
                                received: got,
                                dispatched: sent_q,
                                allowed,
                            },
                        ));
                    }
                }
                p.move_lot(f, lot, &discrepancy, to.clone(), excess)?;
            }
        }
        p.fx.close_transfer = Some(dispatch);
        p.fx.opens_discrepancy = true;
        p.focus_site = Some(transfer.to.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> TransferReceipt {
    use crate::ledger::kinds::ex::{event, id, q};
    TransferReceipt {
        dispatch: event(0xd1),
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(11_990),
        }],
        note: Some("one box short".into()),
    }
}
