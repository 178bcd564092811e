//! `recovery`: stock reported lost or stolen is found and comes back into a holding.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ledger::account::{Account, Sink};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, held};
use crate::model::{ActorId, ItemId, LossKind, LotQuantity, SiteId};

/// Brings lost or stolen stock back into a holding.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Recovery {
    /// From which sink.
    pub loss: LossKind,
    /// Where it is now held.
    pub site: SiteId,
    /// Who holds it.
    pub custodian: ActorId,
    /// Items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Lot quantities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// Case number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Kind for Recovery {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.site("/site", &self.site)?;
        p.custodian("/custodian", &self.custodian)?;
        p.something_moves(&self.items, &self.lots)?;
        p.move_all(
            &self.items,
            &self.lots,
            &Account::Sink(Sink::from(self.loss)),
            &held(&self.site, &self.custodian),
        )?;
        p.focus_site = Some(self.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> Recovery {
    use crate::ledger::kinds::ex::{id, q};
    Recovery {
        loss: LossKind::Stolen,
        site: id("depot:central"),
        custodian: id("unit:log-bn-2"),
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(10),
        }],
        reference: Some("POLICE-2026-4411".into()),
    }
}
