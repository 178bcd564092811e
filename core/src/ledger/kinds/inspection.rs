//! `inspection` (format version 2): a surveillance inspection of ammunition lots by the
//! technical authority (IATG 07.20): the tests made (visual, functional, chemical stability)
//! with their outcomes, the ammunition condition code the lots are given (from which their
//! condition follows: A–D serviceable, E–H and P unserviceable, J–N suspended), and the next
//! inspection date; optionally a new shelf-life expiry and a reclassification of the hazard
//! division and compatibility group. After registration, a lot's next inspection, expiry and
//! hazard classification change only through this event; a suspended lot returns to service
//! only through it (or a `status_change` by the technical authority).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::Stock;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field};
use crate::ledger::surveillance::{Surveillance, Surveyed};
use crate::model::{
    ConditionCode, Date, Hazard, InspectionOutcome, InspectionResult, LotId, Role,
    StockStatus,
};

/// A surveillance inspection of lots.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Inspection {
    /// The lots inspected (one inspection often covers several lots of one nomenclature).
    pub lots: Vec<LotId>,
    /// The inspection report's reference.
    pub reference: String,
    /// The tests made and their outcomes, each test at most once.
    pub results: Vec<InspectionResult>,
    /// The ammunition condition code the lots are given.
    pub condition_code: ConditionCode,
    /// The day of the next inspection; the lots' current one is kept when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_inspection: Option<Date>,
    /// A new shelf-life expiry (extended or shortened after a stability test); the current
    /// one is kept when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<Date>,
    /// A reclassification: the lots' new hazard division and compatibility group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hazard: Option<Hazard>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Kind for Inspection {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        p.require_role(Role::TechnicalAuthority, Self::NAME)?;
        if self.lots.is_empty() {
            return Err(p.err("/lots", ErrorKind::NothingCounted));
        }
        if self.results.is_empty() {
            return Err(p.err(
                "/results",
                ErrorKind::RecordMissing {
                    record: "a test result".into(),
                    why: "an inspection says which tests it made and their outcome".into(),
                },
            ));
        }
        for (i, r) in self.results.iter().enumerate() {
            if self.results.iter().take(i).any(|o| o.test == r.test) {
                return Err(p.err(
                    field("/results", i, "/test"),
                    ErrorKind::Repeated {
                        value: r.test.as_str().into(),
                    },
                ));
            }
            if r.sample == Some(0) {
                return Err(p.err(field("/results", i, "/sample"), ErrorKind::ZeroQuantity));
            }
            // A lot that failed a test is not issuable as it is: a failure allows only a
            // code that says so (D, needing test or modification; unserviceable; suspended).
            let issuable = matches!(
                self.condition_code,
                ConditionCode::A | ConditionCode::B | ConditionCode::C
            );
            if r.outcome == InspectionOutcome::Fail && issuable {
                return Err(p.err(
                    "/condition_code",
                    ErrorKind::InspectionContradicts {
                        test: r.test.as_str().into(),
                        code: self.condition_code.as_str().into(),
                    },
                ));
            }
        }
        let today = p.at.as_str().get(..10).and_then(|d| Date::parse(d).ok());
        let Some(today) = today else {
            return Err(p.err(
                "/at",
                ErrorKind::Internal {
                    detail: format!("no day in timestamp `{}`", p.at),
                },
            ));
        };
        if let Some(next) = &self.next_inspection {
            let due = p.day("/next_inspection", next)?;
            if due <= p.at.unix_seconds() {
                return Err(p.err(
                    "/next_inspection",
                    ErrorKind::FieldInvalid {
                        value: next.as_str().to_owned(),
                        reason: format!("the next inspection is not after this one (`{}`)", p.at),
                    },
                ));
            }
        }
        let condition = self.condition_code.condition();
        for (i, id) in self.lots.iter().enumerate() {
            let f = field("/lots", i, "");
            if self.lots.iter().take(i).any(|l| l == id) {
                return Err(p.err(
                    f,
                    ErrorKind::Repeated {
                        value: id.to_string(),
                    },
                ));
            }
            let lot = p.lot(f, id)?;
            let after = StockStatus {
                condition,
                disposition: lot.status.disposition,
            };
            if after != lot.status {
                p.fx.statuses.push((Stock::Lot(id.clone()), after));
            }
            // The rules' "days since the last inspection" (ABI version 2) counts from here.
            p.fx.facts.inspected.push(id.clone());
            p.fx.surveyed.push(Surveyed {
                lot: id.clone(),
                next_inspection: self
                    .next_inspection
                    .clone()
                    .or_else(|| lot.lot.next_inspection.clone()),
                expiry: self.expiry.clone().or_else(|| lot.lot.expiry.clone()),
                hazard: self.hazard.or(lot.lot.hazard),
                surveillance: Surveillance {
                    last_inspection: Some(today.clone()),
                    inspection: Some(p.id),
                    condition_code: Some(self.condition_code),
                },
            });
        }
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> Inspection {
    use crate::ledger::kinds::ex::{date, id};
    use crate::model::{CompatibilityGroup, HazardDivision, InspectionTest};
    Inspection {
        lots: vec![id("lot:762x39-1987-044")],
        reference: "ATO-SURV-2026-118".into(),
        results: vec![
            InspectionResult {
                test: InspectionTest::Visual,
                outcome: InspectionOutcome::Pass,
                sample: Some(200),
                remarks: Some("light corrosion on 3 cartons, contents clean".into()),
            },
            InspectionResult {
                test: InspectionTest::ChemicalStability,
                outcome: InspectionOutcome::Marginal,
                sample: Some(5),
                remarks: Some("stabiliser 0.31 %, below 0.4 % trigger".into()),
            },
        ],
        condition_code: ConditionCode::C,
        next_inspection: Some(date("2027-06-01")),
        expiry: Some(date("2028-05-01")),
        hazard: Some(Hazard {
            division: HazardDivision::D1_4,
            group: CompatibilityGroup::S,
        }),
        note: Some("priority of issue: use in training within 12 months".into()),
    }
}
