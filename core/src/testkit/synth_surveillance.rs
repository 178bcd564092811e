//! The synthetic stockpile's ammunition surveillance (format version 2, IATG 07.20): the
//! technical authority inspects lots — mostly a pass with the next inspection a year on, now and
//! then a failed stability test that suspends the lot (code J) — and a suspended lot returns to
//! service only through a later inspection; boards of inquiry close discrepancy accounts. Kept
//! apart from `synth.rs` to ease merging; a child
//! module of it, so it sees the generator's fields.

use super::tracing::{DAY_SECONDS, day};
use super::{Cast, Synth, SynthError};
use crate::event::{Body, Inspection};
use crate::model::{Condition, ConditionCode, InspectionOutcome, InspectionResult, InspectionTest};

/// Days from one inspection to the next in the synthetic stockpile.
const INSPECTION_INTERVAL_DAYS: i64 = 365;

impl Synth {
    /// An inspection of one lot by the technical authority: a suspended lot is cleared (its
    /// suspension lifted), a serviceable one mostly passes and is sometimes suspended.
    pub(super) fn inspect(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, ..)) = self.pick_lot(cast) else {
            return self.register_lot(cast);
        };
        let suspended = self
            .state
            .lot(&lot)
            .is_some_and(|l| l.status.condition == Condition::Suspended);
        let suspend = !suspended && self.rng.range(0, 4) == 0;
        let secs = self.clock();
        let (code, stability, remarks) = if suspend {
            (
                ConditionCode::J,
                InspectionOutcome::Fail,
                "stabiliser depleted: suspended pending a second analysis",
            )
        } else if suspended {
            (
                ConditionCode::C,
                InspectionOutcome::Marginal,
                "second analysis within limits: priority of issue",
            )
        } else {
            (ConditionCode::A, InspectionOutcome::Pass, "within limits")
        };
        let reference = self.reference("SURV")?;
        self.emit(
            &cast.ato,
            Body::Inspection(Inspection {
                lots: vec![lot],
                reference,
                results: vec![
                    InspectionResult {
                        test: InspectionTest::Visual,
                        outcome: InspectionOutcome::Pass,
                        sample: Some(32),
                        remarks: None,
                    },
                    InspectionResult {
                        test: InspectionTest::ChemicalStability,
                        outcome: stability,
                        sample: Some(3),
                        remarks: Some(remarks.into()),
                    },
                ],
                condition_code: code,
                next_inspection: Some(day(secs + INSPECTION_INTERVAL_DAYS * DAY_SECONDS)?),
                expiry: None,
                hazard: None,
                note: None,
            }),
            &[],
        )?;
        Ok(())
    }
}

impl Synth {
    /// A board of inquiry on the oldest discrepancy account still open: missing lot units
    /// alternately found and written off, missing items written off, overages regularised.
    /// With none open, a count that finds one round missing first.
    pub(super) fn board(&mut self, cast: &Cast) -> Result<(), SynthError> {
        use crate::event::{
            BoardDecision, BoardItem, BoardLot, BoardOfInquiry, LotCount, StockCheck,
        };
        use crate::ledger::{Account, Stock};
        // The first open discrepancy in account order: the least of them, found without
        // sorting every account's balances (the generator ran in O(holdings) per board).
        let open = self
            .state
            .by_account
            .accounts()
            .filter_map(|(a, stocks)| match a {
                Account::Discrepancy(id) => Some((id, stocks)),
                _ => None,
            })
            .min_by_key(|(id, _)| *id)
            .map(|(id, stocks)| {
                (
                    *id,
                    stocks
                        .iter()
                        .map(|(stock, units)| (stock.clone(), *units))
                        .collect::<std::collections::BTreeMap<_, _>>(),
                )
            });
        let Some((discrepancy, stocks)) = open else {
            let Some((lot, site, custodian, units)) = self.pick_lot(cast) else {
                return self.register_lot(cast);
            };
            if units < 2 {
                return Ok(());
            }
            self.emit(
                &cast.admin,
                Body::StockCheck(StockCheck {
                    site,
                    custodian,
                    lots: vec![LotCount {
                        lot,
                        booked: super::qty(units)?,
                        counted: super::qty(units - 1)?,
                    }],
                    items: vec![],
                    scope: None,
                    blind: None,
                    counters: Vec::new(),
                }),
                &[],
            )?;
            return self.board(cast);
        };
        // Units found go back to a holding of the first missing lot (not at the range).
        let found_here = stocks.iter().find_map(|(stock, balance)| match stock {
            Stock::Lot(lot) if *balance > 0 => {
                self.state
                    .lot(lot)?
                    .balances
                    .iter()
                    .find_map(|(a, b)| match a {
                        Account::Holding { site, custodian } if *site != cast.range && *b > 0 => {
                            Some(crate::model::Place {
                                site: site.clone(),
                                custodian: custodian.clone(),
                            })
                        }
                        _ => None,
                    })
            }
            _ => None,
        });
        let mut lots = Vec::new();
        let mut items = Vec::new();
        for (stock, balance) in &stocks {
            let units = super::qty(balance.unsigned_abs().try_into().unwrap_or(u64::MAX))?;
            match stock {
                Stock::Lot(lot) => {
                    let decision = if *balance < 0 {
                        BoardDecision::Regularised
                    } else if found_here.is_some() && self.rng.range(0, 1) == 0 {
                        BoardDecision::Found
                    } else {
                        BoardDecision::WrittenOff
                    };
                    lots.push(BoardLot {
                        lot: lot.clone(),
                        quantity: units,
                        decision,
                    });
                }
                Stock::Item(item) => items.push(BoardItem {
                    item: item.clone(),
                    decision: BoardDecision::WrittenOff,
                }),
            }
        }
        let finds = lots.iter().any(|l| l.decision == BoardDecision::Found);
        let reference = self.reference("BOI")?;
        self.emit(
            &cast.admin,
            Body::BoardOfInquiry(BoardOfInquiry {
                discrepancy,
                reference,
                members: vec![cast.inspector.clone(), cast.officer.clone()],
                findings: "count and paperwork reviewed; what was not found is written off".into(),
                to: if finds { found_here } else { None },
                lots,
                items,
            }),
            &[],
        )?;
        Ok(())
    }
}
