//! `destruction_authorisation`: an authority orders the destruction of listed items and lot
//! quantities by the listed methods. Destructions consume its cover.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field};
use crate::ledger::state::Authorisation;
use crate::model::{ItemId, LotQuantity, Role};

/// Authorises the destruction of the listed items and quantities.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DestructionAuthorisation {
    /// Order or judicial decision number.
    pub reference: String,
    /// Items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Lot quantities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// Allowed destruction methods.
    pub methods: Vec<String>,
}

impl Kind for DestructionAuthorisation {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.require_role(Role::Authoriser, Self::NAME)?;
        p.something_moves(&self.items, &self.lots)?;
        p.distinct_items("/items", &self.items)?;
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        for (i, item) in self.items.iter().enumerate() {
            p.item(&field("/items", i, ""), item)?;
        }
        for (i, line) in self.lots.iter().enumerate() {
            let f = field("/lots", i, "/quantity");
            let l = p.lot(&field("/lots", i, "/lot"), &line.lot)?;
            if line.quantity.get() == 0 {
                return Err(p.err(f, ErrorKind::ZeroQuantity));
            }
            let left = l.live_units();
            if i128::from(line.quantity.get()) > left {
                return Err(p.err(
                    f,
                    ErrorKind::BeyondLiveUnits {
                        lot: line.lot.to_string(),
                        requested: line.quantity.get(),
                        // Bounded by the lot's registered quantity (below 2^53).
                        left: i64::try_from(left).unwrap_or(i64::MAX),
                    },
                ));
            }
        }
        p.fx.open_authorisation = Some(Authorisation {
            reference: self.reference.clone(),
            actor: p.actor.clone(),
            at: p.at.clone(),
            items: self.items.iter().cloned().collect(),
            lots: self
                .lots
                .iter()
                .map(|l| (l.lot.clone(), l.quantity.get()))
                .collect(),
            methods: self.methods.clone(),
        });
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> DestructionAuthorisation {
    use crate::ledger::kinds::ex::{id, q};
    DestructionAuthorisation {
        reference: "ORDER-2026-0117".into(),
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(12_000),
        }],
        methods: vec!["cutting".into(), "melting".into()],
    }
}
