//! `seizure` (format version 2): stock on the books — weapons seized or found and registered
//! with their origin, or state stock taken as evidence — is put under an evidence hold for a
//! criminal case. The record keeps what the instruments and the courts ask: the case number,
//! the seizing agency, the day and place of the seizure (holding periods count from that day,
//! not from when it was booked), and the difference between the court or agency the stock is
//! held for and its holder, the custodian (a police evidence store). Until a `judicial_order`
//! decides, the stock moves only to and from a forensic laboratory and is not destroyed,
//! exported, rebatched or deactivated.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Stock};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::ledger::state::Hold;
use crate::model::{ActorId, ActorKind, Date, Disposition, ItemId, LotId, SiteId};

/// Puts items and whole lots under an evidence hold.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Seizure {
    /// Where the stock is held.
    pub site: SiteId,
    /// Its holder (the evidence store).
    pub custodian: ActorId,
    /// Items held.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Whole lots held (every unit of each is at the holding).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotId>,
    /// The case number.
    pub case: String,
    /// The seizing agency (or its unit), a registered actor.
    pub seized_by: ActorId,
    /// The day of the seizure, `YYYY-MM-DD`, not after the event.
    pub seized_on: Date,
    /// Where the stock was seized or found.
    pub seized_at: String,
    /// The court or agency the stock is held for, a registered agency.
    pub held_for: ActorId,
    /// Evidence receipt or chain-of-custody form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Kind for Seizure {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        p.site("/site", &self.site)?;
        p.custodian("/custodian", &self.custodian)?;
        if self.items.is_empty() && self.lots.is_empty() {
            return Err(p.err("/items", ErrorKind::NothingToMove));
        }
        if !p.state.actors.contains_key(&self.seized_by) {
            return Err(p.unknown("/seized_by", &self.seized_by));
        }
        match p.state.actors.get(&self.held_for) {
            None => return Err(p.unknown("/held_for", &self.held_for)),
            Some(a) if a.actor.kind != ActorKind::Agency => {
                return Err(p.err(
                    "/held_for",
                    ErrorKind::NotAnAgency {
                        actor: self.held_for.to_string(),
                    },
                ));
            }
            Some(_) => {}
        }
        let day = p.day("/seized_on", &self.seized_on)?;
        if day > p.at.unix_seconds() {
            return Err(p.err(
                "/seized_on",
                ErrorKind::FieldInvalid {
                    value: self.seized_on.as_str().to_owned(),
                    reason: format!("the seizure is dated after the event (`{}`)", p.at),
                },
            ));
        }
        let here = held(&self.site, &self.custodian);
        let hold = Hold {
            seizure: p.id,
            case: self.case.clone(),
            seized_on: self.seized_on.clone(),
            seized_by: self.seized_by.clone(),
            held_for: self.held_for.clone(),
        };
        p.distinct_items("/items", &self.items)?;
        for (i, id) in self.items.iter().enumerate() {
            let f = field("/items", i, "");
            let item = p.item(f, id)?;
            if item.location != here {
                return Err(p.err(
                    f,
                    ErrorKind::NotBookedHere {
                        item: id.to_string(),
                        booked_at: item.location.to_string(),
                        counted_at: here.to_string(),
                    },
                ));
            }
            p.item_not_held(f, id)?;
            let mut status = item.status;
            status.disposition = Disposition::EvidenceHold;
            p.fx.statuses.push((Stock::Item(id.clone()), status));
            p.fx
                .holds
                .push((Stock::Item(id.clone()), Some(Box::new(hold.clone()))));
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
            // The hold is on the whole lot: every live unit of it is here.
            let elsewhere = lot.balances.iter().find(|(a, b)| {
                **b > 0
                    && **a != here
                    && !matches!(a, Account::Source(_) | Account::Sink(_))
            });
            if let Some((account, _)) = elsewhere {
                return Err(p.err(
                    f,
                    ErrorKind::NotBookedHere {
                        item: id.to_string(),
                        booked_at: account.to_string(),
                        counted_at: here.to_string(),
                    },
                ));
            }
            if lot.balance(&here) <= 0 {
                return Err(p.err(
                    f,
                    ErrorKind::InsufficientStock {
                        stock: id.to_string(),
                        account: here.to_string(),
                        available: 0,
                        requested: 1,
                    },
                ));
            }
            p.lot_not_held(f, id)?;
            let mut status = lot.status;
            status.disposition = Disposition::EvidenceHold;
            p.fx.statuses.push((Stock::Lot(id.clone()), status));
            p.fx
                .holds
                .push((Stock::Lot(id.clone()), Some(Box::new(hold.clone()))));
        }
        p.focus_site = Some(self.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> Seizure {
    use crate::ledger::kinds::ex::{date, id};
    Seizure {
        site: id("armoury:pnc-evidence-1"),
        custodian: id("unit:pnc-evidence"),
        items: vec![id("item:seized-2026-0117-3")],
        lots: vec![id("lot:seized-2026-0117-ammo")],
        case: "FGR-SS-2026-0117".into(),
        seized_by: id("agency:pnc"),
        seized_on: date("2026-05-20"),
        seized_at: "Colonia Escalón, San Salvador".into(),
        held_for: id("agency:juzgado-3-instruccion"),
        reference: Some("CC-2026-0117".into()),
    }
}
