//! `deactivation` (format version 2): firearms rendered permanently inoperable (UN Firearms
//! Protocol art. 9): by a method meeting a standard, verified by a competent authority other
//! than the one who recorded it, certified, and marked as deactivated. A deactivated item stays
//! on the books as such (its disposition `deactivated`, its condition `unserviceable`): it may
//! be kept (a museum, a training collection), transferred or disposed of like any other, but
//! no status change brings it back into service.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::Stock;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::model::{
    ActorId, Condition, DeactivationMark, Date, Disposition, ItemId, SiteId, StockStatus,
};

/// Firearms deactivated.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Deactivation {
    /// Where the items are.
    pub site: SiteId,
    /// Their holder.
    pub custodian: ActorId,
    /// The items deactivated.
    pub items: Vec<ItemId>,
    /// How (the modifications made).
    pub method: String,
    /// The deactivation standard met (national or regional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    /// The authority that verified the deactivation, a registered actor other than the
    /// recording one.
    pub verified_by: ActorId,
    /// The day of the verification, `YYYY-MM-DD`, not after the event.
    pub verified_on: Date,
    /// The deactivation certificate.
    pub certificate: String,
    /// The deactivation mark applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<DeactivationMark>,
}

impl Kind for Deactivation {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        p.site("/site", &self.site)?;
        p.custodian("/custodian", &self.custodian)?;
        if self.items.is_empty() {
            return Err(p.err("/items", ErrorKind::NothingToMove));
        }
        if !p.state.actors.contains_key(&self.verified_by) {
            return Err(p.unknown("/verified_by", &self.verified_by));
        }
        if &self.verified_by == p.actor {
            return Err(p.err(
                "/verified_by",
                ErrorKind::VerifierNotIndependent {
                    verifier: self.verified_by.to_string(),
                },
            ));
        }
        let day = p.day("/verified_on", &self.verified_on)?;
        if day > p.at.unix_seconds() {
            return Err(p.err(
                "/verified_on",
                ErrorKind::FieldInvalid {
                    value: self.verified_on.as_str().to_owned(),
                    reason: format!("the verification is dated after the event (`{}`)", p.at),
                },
            ));
        }
        let here = held(&self.site, &self.custodian);
        let mut seen = BTreeSet::new();
        for (i, id) in self.items.iter().enumerate() {
            let f = field("/items", i, "");
            if !seen.insert(id) {
                return Err(p.err(
                    f,
                    ErrorKind::Repeated {
                        value: id.to_string(),
                    },
                ));
            }
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
            if item.status.disposition == Disposition::Deactivated {
                return Err(p.err(
                    f,
                    ErrorKind::AlreadyDeactivated {
                        stock: id.to_string(),
                    },
                ));
            }
            p.fx.statuses.push((
                Stock::Item(id.clone()),
                StockStatus {
                    condition: Condition::Unserviceable,
                    disposition: Disposition::Deactivated,
                },
            ));
        }
        p.focus_site = Some(self.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> Deactivation {
    use crate::ledger::kinds::ex::{date, id};
    Deactivation {
        site: id("armoury:museo-militar"),
        custodian: id("unit:museo-militar"),
        items: vec![id("item:ak47-kz-1987-00123")],
        method: "barrel plugged and pinned, bolt face removed, chamber welded".into(),
        standard: Some("EU Implementing Regulation 2018/337, annex I".into()),
        verified_by: id("agency:banco-de-pruebas"),
        verified_on: date("2026-06-03"),
        certificate: "DEACT-2026-0042".into(),
        mark: Some(DeactivationMark {
            text: "DEACT CO 2026".into(),
            position: "left side of the receiver and the barrel".into(),
        }),
    }
}
