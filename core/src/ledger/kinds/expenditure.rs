//! `expenditure` (format version 2): ammunition expended by a unit from its holding — fired in
//! training, operations, proof or surveillance firing, or a demonstration — under an
//! authorising order, at a range or place; for training, with the number of personnel who
//! fired. The rounds leave the books through the `consumed` sink, so that fired rounds are
//! never booked as lost or destroyed. Where the ministry has unfired rounds and residue (fired
//! cases, belt links) turned in after the firing, the expenditure names the day they are due
//! (`return_by`) and stays open until its `expenditure_return`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink};
use crate::ledger::kinds::Kind;
use crate::ledger::lifecycle::OpenExpenditure;
use crate::ledger::plan::{Plan, field, holding};
use crate::model::{Date, ExpenditurePurpose, LotQuantity, Place};

/// Ammunition expended.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Expenditure {
    /// The unit's holding the rounds come from.
    pub from: Place,
    /// Why they were expended.
    pub purpose: ExpenditurePurpose,
    /// The authorising order (training programme, operation order, proof or surveillance
    /// order).
    pub order: String,
    /// The range or place of firing.
    pub range: String,
    /// For training: how many personnel fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personnel: Option<u64>,
    /// Quantities expended, per lot.
    pub lots: Vec<LotQuantity>,
    /// The day by which unfired rounds and residue are to be returned; the expenditure stays
    /// open for its return until then and after (a late return is still recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_by: Option<Date>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Kind for Expenditure {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        p.site("/from/site", &self.from.site)?;
        p.custodian("/from/custodian", &self.from.custodian)?;
        match (self.purpose, self.personnel) {
            (_, Some(0)) => return Err(p.err("/personnel", ErrorKind::ZeroQuantity)),
            (ExpenditurePurpose::Training, None) => {
                return Err(p.err(
                    "/personnel",
                    ErrorKind::RecordMissing {
                        record: "the number of personnel".into(),
                        why: "a training expenditure says how many fired".into(),
                    },
                ));
            }
            _ => {}
        }
        if let Some(day) = &self.return_by {
            let due = p.day("/return_by", day)?;
            // Due on a day before the firing's: refused (a return cannot be due before).
            if due + crate::ledger::lifecycle::DAY_SECONDS <= p.at.unix_seconds() {
                return Err(p.err(
                    "/return_by",
                    ErrorKind::FieldInvalid {
                        value: day.as_str().to_owned(),
                        reason: format!("the return is due before the expenditure (`{}`)", p.at),
                    },
                ));
            }
        }
        p.something_moves(&[], &self.lots)?;
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        for (i, line) in self.lots.iter().enumerate() {
            let lot = p.lot(field("/lots", i, "/lot"), &line.lot)?;
            p.fit_for(
                field("/lots", i, "/lot"),
                line.lot.as_str(),
                lot.status,
                self.purpose.as_str(),
                self.purpose.tests_the_ammunition(),
            )?;
        }
        p.move_all(
            &[],
            &self.lots,
            &holding(&self.from),
            &Account::Sink(Sink::Consumed),
        )?;
        if let Some(day) = &self.return_by {
            let lots: BTreeMap<_, _> = self
                .lots
                .iter()
                .map(|l| (l.lot.clone(), l.quantity.get()))
                .collect();
            p.fx.lifecycle.open_expenditure = Some(Box::new(OpenExpenditure {
                from: self.from.clone(),
                lots,
                return_by: day.clone(),
                at: p.at.clone(),
            }));
        }
        p.focus_site = Some(self.from.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> Expenditure {
    use crate::ledger::kinds::ex::{date, id, q};
    Expenditure {
        from: Place {
            site: id("range:la-cuchilla"),
            custodian: id("unit:inf-bn-7"),
        },
        purpose: ExpenditurePurpose::Training,
        order: "TRG-ORD-2026-031".into(),
        range: "La Cuchilla range 3, 300 m".into(),
        personnel: Some(48),
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(2_400),
        }],
        return_by: Some(date("2026-06-03")),
        note: Some("annual rifle qualification, B company".into()),
    }
}
