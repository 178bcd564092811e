//! `loss_report`: stock reported lost or stolen leaves its holding (or the discrepancy account
//! a receipt or stock check opened) for the `lost` or `stolen` sink, never by silent
//! adjustment.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::model::{ActorId, EventId, ItemId, LossKind, LotQuantity, SiteId};

/// Reports stock lost or stolen.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LossReport {
    /// Lost or stolen.
    pub loss: LossKind,
    /// Where it was held.
    pub site: SiteId,
    /// Who held it.
    pub custodian: ActorId,
    /// Take the stock from the discrepancy account this event opened, not from the holding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discrepancy: Option<EventId>,
    /// Items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Lot quantities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// Police report or case number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Kind for LossReport {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.site("/site", &self.site)?;
        p.custodian("/custodian", &self.custodian)?;
        p.something_moves(&self.items, &self.lots)?;
        let from = match self.discrepancy {
            Some(d) => {
                let opened = p
                    .state
                    .discrepancies
                    .get(&d)
                    .ok_or_else(|| p.unknown("/discrepancy", d))?;
                p.require_parent(d, crate::ledger::plan::ParentOf::Event("discrepancy", d), opened)?;
                Account::Discrepancy(d)
            }
            None => held(&self.site, &self.custodian),
        };
        if self.discrepancy.is_some() {
            // A discrepancy account may be negative (units found); a loss may only take units
            // that are missing.
            for (i, line) in self.lots.iter().enumerate() {
                let have = p.lot_balance(&line.lot, &from);
                if have < i128::from(line.quantity.get()) {
                    return Err(p.err(
                        field("/lots", i, "/quantity"),
                        ErrorKind::InsufficientStock {
                            stock: line.lot.to_string(),
                            account: from.to_string(),
                            available: i64::try_from(have).unwrap_or(i64::MIN),
                            requested: line.quantity.get(),
                        },
                    ));
                }
            }
        }
        p.move_all(&self.items, &self.lots, &from, &Account::Sink(Sink::from(self.loss)))?;
        p.focus_site = Some(self.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> LossReport {
    use crate::ledger::kinds::ex::{event, id, q};
    LossReport {
        loss: LossKind::Stolen,
        site: id("depot:central"),
        custodian: id("unit:log-bn-2"),
        discrepancy: Some(event(0xc1)),
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(10),
        }],
        reference: Some("POLICE-2026-4411".into()),
    }
}
