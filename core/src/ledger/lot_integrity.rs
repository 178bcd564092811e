//! Lot integrity (IATG 03.10), format version 2: a lot formed by `lot_split` or `lot_merge`
//! keeps the manufacturing lots it came from (lot number, manufacture date, origin,
//! registration), and a merge of unlike lots is refused unless a technical authority who signs
//! the merge approves it; the merged lot then records that it is mixed.

use serde::Serialize;

use crate::error::{ErrorKind, Result};
use crate::ledger::plan::Plan;
use crate::ledger::state::LotState;
use crate::model::{ActorId, Date, EventId, LotId, MixedLotApproval, Origin, Role, Timestamp};

/// One manufacturing lot a lot was formed from.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub(crate) struct Provenance {
    /// The lot as registered (`register_lot`).
    pub(crate) lot: LotId,
    /// Its manufacturer's lot number.
    pub(crate) lot_number: String,
    /// Its manufacture date, as registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) manufactured: Option<Date>,
    /// How it entered the inventory.
    pub(crate) origin: Origin,
    /// When it was registered.
    pub(crate) registered_at: Timestamp,
}

impl Provenance {
    /// Whether two entries are the same manufacturing lot of the same origin (the
    /// registration may differ: parts of one lot registered apart are still one lot).
    fn same_lot(&self, other: &Provenance) -> bool {
        self.lot_number == other.lot_number
            && self.manufactured == other.manufactured
            && self.origin == other.origin
    }
}

/// The approval of a mixed lot, as recorded in the state.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub(crate) struct MixedApproval {
    /// The merge that formed the mixed lot.
    pub(crate) event: EventId,
    /// The technical authority who approved it.
    pub(crate) by: ActorId,
    /// The approval's reference.
    pub(crate) reference: String,
}

/// The manufacturing lots of a lot: its own registration, or what it was formed from.
pub(crate) fn provenance(lot: &LotState) -> Vec<Provenance> {
    if !lot.provenance.is_empty() {
        return lot.provenance.clone();
    }
    vec![Provenance {
        lot: lot.lot.id.clone(),
        lot_number: lot.lot.lot_number.clone(),
        manufactured: lot.lot.manufactured.clone(),
        origin: lot.origin.clone(),
        registered_at: lot.registered_at.clone(),
    }]
}

/// The provenance of a merge of `sources`: every source's, without repeating a registered lot.
pub(crate) fn merged(sources: &[&LotState]) -> Vec<Provenance> {
    let mut out: Vec<Provenance> = Vec::new();
    for s in sources {
        for p in provenance(s) {
            if !out.iter().any(|o| o.lot == p.lot) {
                out.push(p);
            }
        }
    }
    out
}

/// How `other` differs from `first` as manufacturing lots: the attribute, `other`'s value and
/// `first`'s value. `None` when every manufacturing lot of each is one of the other's.
pub(crate) fn lot_difference(
    first: &LotState,
    other: &LotState,
) -> Option<(&'static str, String, String)> {
    let a = provenance(first);
    let b = provenance(other);
    let covered =
        |x: &[Provenance], y: &[Provenance]| x.iter().all(|p| y.iter().any(|q| p.same_lot(q)));
    if covered(&a, &b) && covered(&b, &a) {
        return None;
    }
    // Name the first attribute that tells them apart: an entry of `other` unlike every entry
    // of `first`, against `first`'s first entry (or the reverse).
    let pair = match b.iter().find(|p| !a.iter().any(|q| p.same_lot(q))) {
        Some(x) => a.first().map(|y| (x, y)),
        None => a
            .iter()
            .find(|p| !b.iter().any(|q| p.same_lot(q)))
            .and_then(|y| b.first().map(|x| (x, y))),
    };
    let Some((x, y)) = pair else {
        return Some(("manufacturing lot", String::new(), String::new()));
    };
    let date = |d: &Option<Date>| d.as_ref().map_or("none", |d| d.as_str()).to_owned();
    let origin = |o: &Origin| match &o.reference {
        Some(r) => format!("{} {r}", o.kind.as_str()),
        None => o.kind.as_str().to_owned(),
    };
    Some(if x.lot_number != y.lot_number {
        (
            "manufacturing lot",
            x.lot_number.clone(),
            y.lot_number.clone(),
        )
    } else if x.manufactured != y.manufactured {
        (
            "manufacture date",
            date(&x.manufactured),
            date(&y.manufactured),
        )
    } else if origin(&x.origin) != origin(&y.origin) {
        ("origin", origin(&x.origin), origin(&y.origin))
    } else {
        // Same kind and reference, different import records.
        (
            "origin",
            format!("{} (import record of {})", origin(&x.origin), x.lot),
            format!("{} (import record of {})", origin(&y.origin), y.lot),
        )
    })
}

impl Plan<'_> {
    /// A mixed-lot approval: format version 2, by a technical authority who signs the event.
    /// The signature is not checked while the event is only prepared (its signers are not
    /// known yet).
    pub(crate) fn mixed_lot_approval(&self, approval: &MixedLotApproval) -> Result<MixedApproval> {
        const AT: &str = "/mixed_lot_approval";
        self.since_v2(AT, true)?;
        let by = &approval.by;
        let holds = self
            .state
            .actors
            .get(by)
            .is_some_and(|a| a.has_role(Role::TechnicalAuthority));
        if !holds {
            return Err(self.err(
                "/mixed_lot_approval/by",
                ErrorKind::MissingRole {
                    actor: by.to_string(),
                    role: crate::ledger::state::role_name(Role::TechnicalAuthority),
                    needed_for: "a mixed-lot approval".into(),
                },
            ));
        }
        if self.signed_by(by) == Some(false) {
            return Err(self.err(
                "/mixed_lot_approval/by",
                ErrorKind::ApproverDidNotSign {
                    approver: by.to_string(),
                },
            ));
        }
        if approval.reference.trim().is_empty() {
            return Err(self.err(
                "/mixed_lot_approval/reference",
                ErrorKind::FieldInvalid {
                    value: approval.reference.clone(),
                    reason: "a mixed-lot approval names its reference".into(),
                },
            ));
        }
        Ok(MixedApproval {
            event: self.id,
            by: by.clone(),
            reference: approval.reference.clone(),
        })
    }
}
