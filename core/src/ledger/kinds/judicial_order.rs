//! `judicial_order` (format version 2): a court decides about stock a `seizure` put under an
//! evidence hold — release (back to service), forfeiture to the state, destruction, or return
//! to its lawful owner, which takes it off the books through the `returned_to_owner` sink. It
//! lifts the hold of the stock it names; the rest of the seizure stays held.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink, Stock};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Path, Plan, field};
use crate::ledger::state::Hold;
use crate::model::{Date, Disposition, EventId, ItemId, JudicialDecision, LotId};

/// A court's decision about seized stock.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct JudicialOrder {
    /// The `seizure` whose hold it decides.
    pub seizure: EventId,
    /// What the court decided.
    pub decision: JudicialDecision,
    /// The court.
    pub court: String,
    /// The order's number.
    pub order: String,
    /// The day of the order, `YYYY-MM-DD`: not before the seizure, not after the event.
    pub ordered_on: Date,
    /// Items it decides about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Whole lots it decides about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotId>,
    /// The lawful owner the stock is returned to (only, and required, for
    /// `return_to_owner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_to: Option<String>,
}

impl JudicialOrder {
    /// The hold of a stock named by the order: it must be this order's seizure's.
    fn hold_of<'h, 'f>(&self, p: &Plan<'_>, f: impl Into<Path<'f>>, stock: String, hold: Option<&'h Hold>) -> Result<&'h Hold> {
        let f: Path<'_> = f.into();
        match hold {
            Some(h) if h.seizure == self.seizure => Ok(h),
            _ => Err(p.err(
                f,
                ErrorKind::NotUnderHold {
                    stock,
                    seizure: self.seizure,
                },
            )),
        }
    }

    /// The recording actor acts for the court or agency the stock is held for, or for its
    /// holder (an evidence store records the order it received).
    fn recorder(&self, p: &Plan<'_>, hold: &Hold, holder: Option<&crate::model::ActorId>) -> Result<()> {
        let holder_ok = holder.is_some_and(|h| p.state.acts_for(p.actor, h));
        if p.state.acts_for(p.actor, &hold.held_for) || holder_ok {
            Ok(())
        } else {
            Err(p.not_custodian("/actor", &hold.held_for))
        }
    }
}

impl Kind for JudicialOrder {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        if !p.state.seizures.contains(&self.seizure) {
            return Err(p.unknown("/seizure", self.seizure));
        }
        if self.items.is_empty() && self.lots.is_empty() {
            return Err(p.err("/items", ErrorKind::NothingToMove));
        }
        let returning = self.decision == JudicialDecision::ReturnToOwner;
        match (&self.returned_to, returning) {
            (None, true) => {
                return Err(p.err(
                    "/returned_to",
                    ErrorKind::RecordMissing {
                        record: "the lawful owner".into(),
                        why: "stock returned to its owner leaves the books with the owner's name"
                            .into(),
                    },
                ));
            }
            (Some(owner), false) => {
                return Err(p.err(
                    "/returned_to",
                    ErrorKind::FieldInvalid {
                        value: owner.clone(),
                        reason: format!(
                            "an owner is named only by a `return_to_owner` order, not `{}`",
                            self.decision.as_str()
                        ),
                    },
                ));
            }
            _ => {}
        }
        let ordered = p.day("/ordered_on", &self.ordered_on)?;
        if ordered > p.at.unix_seconds() {
            return Err(p.err(
                "/ordered_on",
                ErrorKind::FieldInvalid {
                    value: self.ordered_on.as_str().to_owned(),
                    reason: format!("the order is dated after the event (`{}`)", p.at),
                },
            ));
        }
        let disposition = match self.decision {
            JudicialDecision::Release | JudicialDecision::ReturnToOwner => Disposition::InService,
            JudicialDecision::Forfeiture => Disposition::Forfeited,
            JudicialDecision::Destruction => Disposition::PendingDestruction,
        };
        let check_date = |p: &Plan<'_>, hold: &Hold| -> Result<()> {
            if hold.seized_on.day_start_unix().is_some_and(|s| ordered < s) {
                return Err(p.err(
                    "/ordered_on",
                    ErrorKind::FieldInvalid {
                        value: self.ordered_on.as_str().to_owned(),
                        reason: format!(
                            "the order predates the seizure ({})",
                            hold.seized_on.as_str()
                        ),
                    },
                ));
            }
            Ok(())
        };
        let returned = Account::Sink(Sink::ReturnedToOwner);
        p.distinct_items("/items", &self.items)?;
        for (i, id) in self.items.iter().enumerate() {
            let f = field("/items", i, "");
            let item = p.item(f, id)?;
            let hold = self.hold_of(p, f, id.to_string(), item.hold.as_deref())?;
            let holder = match &item.location {
                Account::Holding { custodian, .. } => Some(custodian),
                _ => None,
            };
            self.recorder(p, hold, holder)?;
            check_date(p, hold)?;
            let mut status = item.status;
            status.disposition = disposition;
            let location = item.location.clone();
            if returning {
                if holder.is_none() {
                    return Err(p.err(
                        f,
                        ErrorKind::NotBookedHere {
                            item: id.to_string(),
                            booked_at: location.to_string(),
                            counted_at: "a holding".into(),
                        },
                    ));
                }
                p.move_item(f, id, &location, returned.clone())?;
            }
            p.fx.statuses.push((Stock::Item(id.clone()), status));
            p.fx.holds.push((Stock::Item(id.clone()), None));
        }
        let mut seen = BTreeSet::new();
        for (i, id) in self.lots.iter().enumerate() {
            let f = field("/lots", i, "");
            if !seen.insert(id) {
                return Err(p.err(
                    f,
                    ErrorKind::Repeated {
                        value: id.to_string(),
                    },
                ));
            }
            let lot = p.lot(f, id)?;
            let hold = self.hold_of(p, f, id.to_string(), lot.hold.as_deref())?;
            let holdings: Vec<(Account, u64)> = lot
                .balances
                .iter()
                .filter(|(a, b)| matches!(a, Account::Holding { .. }) && **b > 0)
                .map(|(a, b)| (a.clone(), u64::try_from(*b).unwrap_or(0)))
                .collect();
            let holder = holdings.iter().find_map(|(a, _)| match a {
                Account::Holding { custodian, .. } => Some(custodian),
                _ => None,
            });
            self.recorder(p, hold, holder)?;
            check_date(p, hold)?;
            let mut status = lot.status;
            status.disposition = disposition;
            if returning {
                for (account, units) in holdings {
                    p.move_lot(f, id, &account, returned.clone(), units)?;
                }
            }
            p.fx.statuses.push((Stock::Lot(id.clone()), status));
            p.fx.holds.push((Stock::Lot(id.clone()), None));
        }
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> JudicialOrder {
    use crate::ledger::kinds::ex::{date, event, id};
    JudicialOrder {
        seizure: event(0x5e),
        decision: JudicialDecision::ReturnToOwner,
        court: "Juzgado Tercero de Instrucción de San Salvador".into(),
        order: "JTI-SS-2026-0331".into(),
        ordered_on: date("2026-11-20"),
        items: vec![id("item:seized-2026-0117-3")],
        lots: vec![id("lot:seized-2026-0117-ammo")],
        returned_to: Some("Armería El Cazador S.A. de C.V.".into()),
    }
}
