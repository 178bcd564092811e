//! `stock_check`: a physical count of lots and items at one holding, by the custodian or an
//! inspector. What the count finds missing goes to a discrepancy account named by this event;
//! what it finds beyond the books comes out of it (the account goes negative: units found).
//! From format version 2 it says whether it is a full count of the holding (then it lists
//! everything the holding holds) or a sample, whether it was blind, who counted, and the
//! serial read on each item found.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Stock};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::model::{ActorId, CountScope, ItemCount, ItemId, LotCount, LotId, Role, SiteId};

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
    /// A full count of the holding or a sample (format version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<CountScope>,
    /// Whether the counters counted without seeing the book figures (format version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blind: Option<bool>,
    /// Who counted, registered actors, each once (format version 2); how many a count needs
    /// is a national rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<ActorId>,
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
        p.since_v2("/scope", self.scope.is_some())?;
        p.since_v2("/blind", self.blind.is_some())?;
        p.since_v2("/counters", !self.counters.is_empty())?;
        for (i, c) in self.counters.iter().enumerate() {
            let f = field("/counters", i, "");
            if self.counters.iter().take(i).any(|o| o == c) {
                return Err(p.err(
                    f,
                    ErrorKind::Repeated {
                        value: c.to_string(),
                    },
                ));
            }
            if !p.state.actors.contains_key(c) {
                return Err(p.unknown(f, c));
            }
        }
        let at = held(&self.site, &self.custodian);
        let discrepancy = Account::Discrepancy(p.id);
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        for (i, line) in self.lots.iter().enumerate() {
            p.lot(field("/lots", i, "/lot"), &line.lot)?;
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
                p.move_lot(f, &line.lot, &at, discrepancy.clone(), b - c)?;
            } else if c > b {
                p.move_lot(f, &line.lot, &discrepancy, at.clone(), c - b)?;
            }
        }
        p.distinct_items("/items", self.items.iter().map(|c| &c.item))?;
        for (i, line) in self.items.iter().enumerate() {
            p.since_v2(
                field("/items", i, "/observed_serial"),
                line.observed_serial.is_some(),
            )?;
            if let (Some(serial), false) = (&line.observed_serial, line.present) {
                return Err(p.err(
                    field("/items", i, "/observed_serial"),
                    ErrorKind::FieldInvalid {
                        value: serial.clone(),
                        reason: "an item not found has no serial read on it".into(),
                    },
                ));
            }
            let f = field("/items", i, "/item");
            let item = p.item(f, &line.item)?;
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
                p.move_item(f, &line.item, &at, discrepancy.clone())?;
            }
        }
        // For the rules' questions (ABI version 2): a sample count is never a full count,
        // whatever it happens to list; a full or unqualified count is, when it lists all.
        if self.scope != Some(CountScope::Sample) {
            p.note_count(
                &at,
                self.lots.iter().map(|l| &l.lot),
                self.items.iter().map(|c| &c.item),
            );
        }
        if self.scope == Some(CountScope::Full) {
            let lots: HashSet<&LotId, ahash::RandomState> =
                self.lots.iter().map(|c| &c.lot).collect();
            let items: HashSet<&ItemId, ahash::RandomState> =
                self.items.iter().map(|c| &c.item).collect();
            // The counted holding's own account (not every account at the site, sorted): of
            // the stocks it holds and the count leaves out, the first in id order is named,
            // as a walk of the holding in order would.
            let missing = p.state.by_account.get(&at).and_then(|held| {
                held.iter()
                    .filter(|(stock, units)| {
                        **units > 0
                            && match stock {
                                Stock::Lot(l) => !lots.contains(l),
                                Stock::Item(i) => !items.contains(i),
                            }
                    })
                    .map(|(stock, _)| stock)
                    .min()
            });
            if let Some(stock) = missing {
                let member = match stock {
                    Stock::Lot(_) => "/lots",
                    Stock::Item(_) => "/items",
                };
                return Err(p.err(
                    member,
                    ErrorKind::NotCounted {
                        stock: stock.to_string(),
                    },
                ));
            }
        }
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
            observed_serial: Some("KZ-1987-00123".into()),
        }],
        scope: Some(CountScope::Sample),
        blind: Some(true),
        counters: vec![id("person:inspector-7"), id("person:officer-31")],
    }
}
