//! `stock_check`: a physical count of lots and items at one holding, by the custodian or an
//! inspector. What the count finds missing goes to a discrepancy account named by this event;
//! what it finds beyond the books comes out of it (the account goes negative: units found).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::Account;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::model::{ActorId, ItemCount, LotCount, Role, SiteId};

/// A physical count.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct StockCheck {
    /// Where.
    pub site: SiteId,
    /// Whose stock.
    pub custodian: ActorId,
    /// Lots counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotCount>,
    /// Items checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemCount>,
}

impl Kind for StockCheck {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.site("/site", &self.site)?;
        let inspector = p.actor_state.is_some_and(|a| a.has_role(Role::Inspector));
        if inspector {
            p.addressee("/custodian", &self.custodian)?;
        } else {
            p.custodian("/custodian", &self.custodian)?;
        }
        if self.lots.is_empty() && self.items.is_empty() {
            return Err(p.err("/lots", ErrorKind::NothingCounted));
        }
        let at = held(&self.site, &self.custodian);
        let discrepancy = Account::Discrepancy(p.id);
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        for (i, line) in self.lots.iter().enumerate() {
            p.lot(&field("/lots", i, "/lot"), &line.lot)?;
            let ledger = p.lot_balance(&line.lot, &at);
            if i128::from(line.booked.get()) != ledger {
                return Err(p.err(
                    field("/lots", i, "/booked"),
                    ErrorKind::BookedMismatch {
                        booked: line.booked.get(),
                        // Balances are bounded well inside i64 (`neq-bounded`, quantities
                        // below 2^53); the clamp only shapes the message.
                        ledger: i64::try_from(ledger).unwrap_or(i64::MAX),
                    },
                ));
            }
            let (b, c) = (line.booked.get(), line.counted.get());
            let f = field("/lots", i, "/counted");
            if c < b {
                p.move_lot(&f, &line.lot, &at, discrepancy.clone(), b - c)?;
            } else if c > b {
                p.move_lot(&f, &line.lot, &discrepancy, at.clone(), c - b)?;
            }
        }
        p.distinct_items("/items", self.items.iter().map(|c| &c.item))?;
        for (i, line) in self.items.iter().enumerate() {
            let f = field("/items", i, "/item");
            let item = p.item(&f, &line.item)?;
            if item.location != at {
                return Err(p.err(
                    f,
                    ErrorKind::NotBookedHere {
                        item: line.item.to_string(),
                        booked_at: item.location.to_string(),
                        counted_at: at.to_string(),
                    },
                ));
            }
            if !line.present {
                p.move_item(&f, &line.item, &at, discrepancy.clone())?;
            }
        }
        p.note_count(
            &at,
            self.lots.iter().map(|l| &l.lot),
            self.items.iter().map(|c| &c.item),
        );
        p.fx.opens_discrepancy = true;
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> StockCheck {
    use crate::ledger::kinds::ex::{id, q};
    StockCheck {
        site: id("depot:central"),
        custodian: id("unit:log-bn-2"),
        lots: vec![LotCount {
            lot: id("lot:762x39-1987-044"),
            booked: q(36_000),
            counted: q(35_990),
        }],
        items: vec![ItemCount {
            item: id("item:ak47-kz-1987-00123"),
            present: true,
        }],
    }
}
