//! `transfer_dispatch`: the first phase of a transfer. The holder sends items and lot
//! quantities to another custodian or site; they sit in an in-transit account named by this
//! event until the addressee acknowledges them.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::Account;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, holding};
use crate::ledger::state::Transfer;
use crate::model::{ItemId, LotQuantity, Place};

/// Stock leaves its holder and is in transit.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TransferDispatch {
    /// The current holder.
    pub from: Place,
    /// The addressee.
    pub to: Place,
    /// Items sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Quantities of lots sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// Waybill or movement order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Kind for TransferDispatch {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.site("/from/site", &self.from.site)?;
        p.site("/to/site", &self.to.site)?;
        p.custodian("/from/custodian", &self.from.custodian)?;
        p.addressee("/to/custodian", &self.to.custodian)?;
        if self.from == self.to {
            return Err(p.err("/to", ErrorKind::SamePlace));
        }
        p.something_moves(&self.items, &self.lots)?;
        // Version 2: stock under an evidence hold goes only to a forensic laboratory, or back.
        if !p.is_laboratory(&self.from.site) && !p.is_laboratory(&self.to.site) {
            for (i, item) in self.items.iter().enumerate() {
                p.item_not_held(field("/items", i, ""), item)?;
            }
            for (i, line) in self.lots.iter().enumerate() {
                p.lot_not_held(field("/lots", i, "/lot"), &line.lot)?;
            }
        }
        p.move_all(
            &self.items,
            &self.lots,
            &holding(&self.from),
            &Account::InTransit(p.id),
        )?;
        p.fx.open_transfer = Some(Box::new(Transfer {
            from: self.from.clone(),
            to: self.to.clone(),
            items: self.items.clone(),
            lots: self.lots.clone(),
            at: p.at.clone(),
        }));
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> TransferDispatch {
    use crate::ledger::kinds::ex::{id, q};
    TransferDispatch {
        from: Place {
            site: id("depot:central"),
            custodian: id("unit:log-bn-2"),
        },
        to: Place {
            site: id("range:la-cuchilla"),
            custodian: id("unit:demil-team-1"),
        },
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(12_000),
        }],
        reference: Some("WAYBILL-2026-031".into()),
    }
}
