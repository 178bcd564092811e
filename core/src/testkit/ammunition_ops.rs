//! The generator's operations for ammunition surveillance and boards of inquiry (format
//! version 2): an inspection of a lot by the technical authority with a condition code (the
//! selector may pick an issuable code after a failed test, refused: 2400), and a board of
//! inquiry deciding on units of an open discrepancy account (sometimes more than it holds, or
//! the wrong decision for its sign: refused, 3400). Kept apart from `ops.rs` to ease merging;
//! a child module of it, so it sees the history's fields.

use super::{DEPOT_A, History, HistoryError, INSPECTOR, UNIT_A, WITNESS_1, amount, day, pick, qty};
use crate::event::{BoardDecision, BoardLot, BoardOfInquiry, Inspection};
use crate::model::{
    ActorId, ConditionCode, InspectionOutcome, InspectionResult, InspectionTest, Place,
};
use crate::{Body, EventId};

/// A step's event: (recording actor, body, co-signers).
type Built = Option<(ActorId, Body, Vec<ActorId>)>;

impl History {
    /// An inspection of a lot (`lot` picks it) giving the condition code `code` picks, after a
    /// chemical stability test that failed when `code` is odd.
    pub(super) fn build_inspection(&self, lot: u8, code: u8) -> Result<Built, HistoryError> {
        let Some(lot) = pick(&self.lots, lot) else {
            return Ok(None);
        };
        let failed = !code.is_multiple_of(2);
        let code = ConditionCode::ALL
            .get(usize::from(code / 2) % ConditionCode::ALL.len())
            .copied()
            .unwrap_or(ConditionCode::A);
        let outcome = if !failed {
            InspectionOutcome::Pass
        } else {
            InspectionOutcome::Fail
        };
        let body = Body::Inspection(Inspection {
            lots: vec![lot],
            reference: format!("SURV-{}", self.journal.len()),
            results: vec![InspectionResult {
                test: InspectionTest::ChemicalStability,
                outcome,
                sample: Some(3),
                remarks: None,
            }],
            condition_code: code,
            next_inspection: Some(day(self.now + 365 * 86_400)?),
            expiry: None,
            hazard: None,
            note: None,
        });
        Ok(Some((INSPECTOR.parse()?, body, vec![])))
    }

    /// A board of inquiry on an open discrepancy account (`account` picks it): `amount` of the
    /// units it holds open, `decision` picks written off, found (back to unit A at depot A)
    /// or regularised.
    pub(super) fn build_board(
        &self,
        account: u8,
        units: u8,
        decision: u8,
    ) -> Result<Built, HistoryError> {
        let open: Vec<crate::Balance> = self
            .balances
            .values()
            .flatten()
            .filter(|&b| b.account.starts_with("discrepancy:") && b.units != 0)
            .cloned()
            .collect();
        let Some(b) = pick(&open, account) else {
            return Ok(None);
        };
        let id = EventId::from_hex(b.account.trim_start_matches("discrepancy:"))?;
        let decision = match decision % 3 {
            0 => BoardDecision::WrittenOff,
            1 => BoardDecision::Found,
            _ => BoardDecision::Regularised,
        };
        let (items, lots) = if b.stock.starts_with("item:") {
            let decision = if decision == BoardDecision::Regularised {
                BoardDecision::WrittenOff
            } else {
                decision
            };
            (
                vec![crate::event::BoardItem {
                    item: b.stock.parse()?,
                    decision,
                }],
                vec![],
            )
        } else {
            let n = amount(b.units.abs(), units).max(1);
            (
                vec![],
                vec![BoardLot {
                    lot: b.stock.parse()?,
                    quantity: qty(n)?,
                    decision,
                }],
            )
        };
        let body = Body::BoardOfInquiry(BoardOfInquiry {
            discrepancy: id,
            reference: format!("BOI-{}", self.journal.len()),
            members: vec![INSPECTOR.parse()?, WITNESS_1.parse()?],
            findings: "reviewed".into(),
            to: Some(Place {
                site: DEPOT_A.parse()?,
                custodian: UNIT_A.parse()?,
            }),
            lots,
            items,
        });
        Ok(Some((super::ADMIN.parse()?, body, vec![])))
    }
}
