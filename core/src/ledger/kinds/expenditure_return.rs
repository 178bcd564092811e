//! `expenditure_return` (format version 2): what comes back after a firing whose expenditure
//! named a day for its return: unfired rounds, taken back from the `consumed` sink into the
//! holding they were expended from, and the residue turned in (fired cases, belt links),
//! counted per lot and never more than the rounds fired. It closes the expenditure: a second
//! return of it names an unknown expenditure.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, holding};
use crate::model::{EventId, LotQuantity, Residue};

/// Unfired rounds and residue returned after a firing.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ExpenditureReturn {
    /// The `expenditure` returned against.
    pub expenditure: EventId,
    /// Unfired rounds returned, per lot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// Fired cases and belt links turned in, per lot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub residue: Vec<Residue>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Kind for ExpenditureReturn {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        let id = self.expenditure;
        let open = p
            .state
            .lifecycle
            .expenditures
            .get(&id)
            .ok_or_else(|| p.unknown("/expenditure", id))?;
        p.require_parent(id, crate::ledger::plan::ParentOf::Event("expenditure", id), &open.at)?;
        if !p.state.acts_for(p.actor, &open.from.custodian) {
            return Err(p.not_custodian("/actor", &open.from.custodian));
        }
        // Every lot of the expenditure is touched, returned or not: the return supersedes the
        // expenditure, which can then no longer be corrected alone.
        for lot in open.lots.keys() {
            p.lot("/expenditure", lot)?;
        }
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        for (i, line) in self.lots.iter().enumerate() {
            let expended = *open.lots.get(&line.lot).ok_or_else(|| {
                p.err(
                    field("/lots", i, "/lot"),
                    ErrorKind::NotExpended {
                        stock: line.lot.to_string(),
                        expenditure: id,
                    },
                )
            })?;
            if line.quantity.get() > expended {
                return Err(p.err(
                    field("/lots", i, "/quantity"),
                    ErrorKind::ReturnExceedsExpended {
                        lot: line.lot.to_string(),
                        returned: line.quantity.get(),
                        expended,
                    },
                ));
            }
        }
        p.distinct_lots("/residue", self.residue.iter().map(|r| &r.lot))?;
        for (i, r) in self.residue.iter().enumerate() {
            let expended = *open.lots.get(&r.lot).ok_or_else(|| {
                p.err(
                    field("/residue", i, "/lot"),
                    ErrorKind::NotExpended {
                        stock: r.lot.to_string(),
                        expenditure: id,
                    },
                )
            })?;
            let returned = self
                .lots
                .iter()
                .find(|l| l.lot == r.lot)
                .map_or(0, |l| l.quantity.get());
            let fired = expended - returned.min(expended);
            if r.cases.is_none() && r.links.is_none() {
                return Err(p.err(field("/residue", i, "/lot"), ErrorKind::NothingCounted));
            }
            for (what, count) in [("cases", r.cases), ("links", r.links)] {
                if let Some(count) = count
                    && count > fired
                {
                    return Err(p.err(
                        field("/residue", i, &format!("/{what}")),
                        ErrorKind::ResidueExceedsFired {
                            lot: r.lot.to_string(),
                            residue: what.into(),
                            count,
                            fired,
                        },
                    ));
                }
            }
        }
        p.move_all(
            &[],
            &self.lots,
            &Account::Sink(Sink::Consumed),
            &holding(&open.from),
        )?;
        p.fx.lifecycle.close_expenditure = Some(id);
        p.focus_site = Some(open.from.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> ExpenditureReturn {
    use crate::ledger::kinds::ex::{event, id, q};
    ExpenditureReturn {
        expenditure: event(0xc1),
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(160),
        }],
        residue: vec![Residue {
            lot: id("lot:762x39-1987-044"),
            cases: Some(2_190),
            links: Some(0),
        }],
        note: Some("50 cases not recovered from the grass".into()),
    }
}
