//! `status_change`: the condition (serviceable, unserviceable, under repair, suspended) or the
//! disposition (in service, surplus, pending destruction) of items and whole lots changes.
//! Format version 1 said one `status` instead. The holder may change the status of its own
//! stock; an inspector or an authoriser of anyone's. From format version 2, a suspension is
//! lifted only by the technical authority.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Stock};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field};
use crate::model::{Condition, Disposition, ItemId, LotId, Role, Status, StockStatus};

/// Changes the status of items and whole lots.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct StatusChange {
    /// Items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Lots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotId>,
    /// New status in the vocabulary of format version 1 (`serviceable`, `unserviceable`,
    /// `surplus`, `suspended`, `pending_destruction`); excludes `condition` and `disposition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// New condition (format version 2); unchanged when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// New disposition (format version 2); unchanged when absent. Evidence hold, forfeiture
    /// and deactivation are set and lifted by their own events, not here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    /// Why.
    pub reason: String,
}

impl Kind for StatusChange {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        if self.items.is_empty() && self.lots.is_empty() {
            return Err(p.err("/items", ErrorKind::NothingToMove));
        }
        if self.status.is_none() && self.condition.is_none() && self.disposition.is_none() {
            return Err(p.err(
                "",
                ErrorKind::FieldInvalid {
                    value: String::new(),
                    reason: "a status change says `condition`, `disposition` or (format \
                             version 1) `status`"
                        .into(),
                },
            ));
        }
        p.distinct_items("/items", &self.items)?;
        let privileged = p
            .actor_state
            .is_some_and(|a| {
                a.has_role(Role::Inspector)
                    || a.has_role(Role::Authoriser)
                    || a.has_role(Role::TechnicalAuthority)
            });
        for (i, id) in self.items.iter().enumerate() {
            let f = field("/items", i, "");
            let item = p.item(f, id)?;
            if let Account::Holding { custodian, .. } = &item.location
                && !privileged
                && !p.state.acts_for(p.actor, custodian)
            {
                return Err(p.not_custodian(f, custodian));
            }
            let after = self.after(p, item.status)?;
            p.fx.statuses.push((Stock::Item(id.clone()), after));
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
            let l = p.lot(f, lot)?;
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
            let after = self.after(p, l.status)?;
            p.fx.statuses.push((Stock::Lot(lot.clone()), after));
            p.note_inspection(lot);
        }
        p.fx.correctable = true;
        Ok(())
    }
}

impl StatusChange {
    /// The status of stock that was `before`, once changed.
    fn after(&self, p: &Plan<'_>, before: StockStatus) -> Result<StockStatus> {
        let after =
            p.status_members("", before, self.status, self.condition, self.disposition)?;
        // Anyone who may change the status may suspend stock (a safety measure) or condemn it,
        // but only the technical authority lifts a suspension: returns suspended stock to
        // serviceable (IATG 07.20; format version 2).
        if p.version >= 2
            && before.condition == Condition::Suspended
            && after.condition == Condition::Serviceable
        {
            p.require_role(Role::TechnicalAuthority, "lifting a suspension")?;
        }
        // Version 1 had no legal holds: its statuses never reach these dispositions.
        if p.version >= 2 && after.disposition != before.disposition {
            let reserved = |d: Disposition| match d {
                Disposition::EvidenceHold => Some("a seizure's evidence hold and a judicial order"),
                Disposition::Deactivated => Some("a deactivation"),
                _ => None,
            };
            let set_by = |d: Disposition| match d {
                Disposition::Forfeited => Some("a forfeiture order"),
                other => reserved(other),
            };
            let (disposition, by) = match (reserved(before.disposition), set_by(after.disposition))
            {
                (Some(by), _) => (before.disposition, by),
                (None, Some(by)) => (after.disposition, by),
                (None, None) => return Ok(after),
            };
            let member = if self.status.is_some() { "/status" } else { "/disposition" };
            return Err(p.err(
                member,
                ErrorKind::DispositionReserved {
                    disposition: disposition.as_str().into(),
                    changed_by: by.into(),
                },
            ));
        }
        Ok(after)
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> StatusChange {
    use crate::ledger::kinds::ex::id;
    StatusChange {
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![id("lot:762x39-1987-044")],
        status: None,
        condition: Some(Condition::Serviceable),
        disposition: Some(Disposition::Surplus),
        reason: "declared surplus by order 2026-14".into(),
    }
}
