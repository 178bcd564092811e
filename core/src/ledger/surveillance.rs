//! What ammunition surveillance keeps per lot (format version 2, IATG 07.20): the day of its
//! last inspection and the condition code it gave, and the lot's surveillance dates and hazard
//! classification, which after registration only an `inspection` changes. Committing an
//! inspection swaps the new values in and keeps the old ones for a correction.

use serde::Serialize;

use crate::ledger::state::State;
use crate::model::{ConditionCode, Date, EventId, Hazard, LotId};

/// The last surveillance inspection of a lot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Surveillance {
    /// The day of its last inspection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_inspection: Option<Date>,
    /// The `inspection` event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inspection: Option<EventId>,
    /// The condition code that inspection gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) condition_code: Option<ConditionCode>,
}

impl Surveillance {
    /// Whether the lot was never inspected (kept out of the state digest then, so that the
    /// digest of a ledger without inspections is the one earlier versions computed).
    pub(crate) fn is_empty(&self) -> bool {
        self.last_inspection.is_none() && self.inspection.is_none() && self.condition_code.is_none()
    }
}

/// The surveillance values of one lot an inspection sets (or, in an undo, the values before).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Surveyed {
    pub(crate) lot: LotId,
    pub(crate) next_inspection: Option<Date>,
    pub(crate) expiry: Option<Date>,
    pub(crate) hazard: Option<Hazard>,
    pub(crate) surveillance: Surveillance,
}

impl State {
    /// Sets each lot's surveillance values; returns the values they replace.
    pub(crate) fn commit_surveyed(&mut self, surveyed: Vec<Surveyed>) -> Vec<Surveyed> {
        let mut old = Vec::with_capacity(surveyed.len());
        for s in surveyed {
            if let Some(l) = self.lots.get_mut(&s.lot) {
                old.push(Surveyed {
                    lot: s.lot.clone(),
                    next_inspection: std::mem::replace(
                        &mut l.lot.next_inspection,
                        s.next_inspection,
                    ),
                    expiry: std::mem::replace(&mut l.lot.expiry, s.expiry),
                    hazard: std::mem::replace(&mut l.lot.hazard, s.hazard),
                    surveillance: std::mem::replace(&mut l.surveillance, s.surveillance),
                });
            }
        }
        old
    }

    /// Puts back the values an inspection replaced.
    pub(crate) fn revert_surveyed(&mut self, old: &[Surveyed]) {
        for s in old.iter().rev() {
            if let Some(l) = self.lots.get_mut(&s.lot) {
                l.lot.next_inspection = s.next_inspection.clone();
                l.lot.expiry = s.expiry.clone();
                l.lot.hazard = s.hazard;
                l.surveillance = s.surveillance.clone();
            }
        }
    }
}
