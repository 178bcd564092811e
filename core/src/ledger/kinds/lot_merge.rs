//! `lot_merge`: quantities of compatible lots at one holding are combined into a new lot.
//! Lots merge only when they are the same thing: same nomenclature, unit, hazard
//! classification, explosive content per unit and status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink, Source};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::ledger::state::LotState;
use crate::model::{
    ActorId, LotQuantity, MergeTarget, Origin, QUANTITY_MAX, Quantity, SiteId,
};

/// Combines quantities of compatible lots into a new lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotMerge {
    /// Where.
    pub site: SiteId,
    /// Holder.
    pub custodian: ActorId,
    /// What is merged.
    pub lots: Vec<LotQuantity>,
    /// The new lot.
    pub into: MergeTarget,
}

/// The first attribute in which two lots differ, if any. Format version 1 compared the single
/// status; version 2 compares condition and disposition.
fn difference(a: &LotState, b: &LotState, version: u32) -> Option<&'static str> {
    if a.lot.nomenclature != b.lot.nomenclature {
        Some("nomenclature")
    } else if a.lot.unit != b.lot.unit {
        Some("unit")
    } else if a.lot.hazard != b.lot.hazard {
        Some("hazard classification")
    } else if a.lot.neq_grams_per_unit != b.lot.neq_grams_per_unit
        || a.lot.neq_mg_per_unit() != b.lot.neq_mg_per_unit()
    {
        // Milligrams read from the grams where a lot has none: version 1 is unchanged.
        Some("explosive content per unit")
    } else if version < 2 && a.status.legacy() != b.status.legacy() {
        Some("status")
    } else if version >= 2 && a.status.condition != b.status.condition {
        Some("condition")
    } else if version >= 2 && a.status.disposition != b.status.disposition {
        Some("disposition")
    } else {
        None
    }
}

impl Kind for LotMerge {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.site("/site", &self.site)?;
        p.custodian("/custodian", &self.custodian)?;
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        p.new_lot_id("/into/id", &self.into.id)?;
        let at = held(&self.site, &self.custodian);
        let mut first: Option<&LotState> = None;
        let mut total: u64 = 0;
        for (i, line) in self.lots.iter().enumerate() {
            let l = p.lot(&field("/lots", i, "/lot"), &line.lot)?;
            p.lot_not_held(&field("/lots", i, "/lot"), &line.lot)?;
            match first {
                Some(f) => {
                    if let Some(attribute) = difference(f, l, p.version) {
                        return Err(p.err(
                            field("/lots", i, "/lot"),
                            ErrorKind::LotsDiffer {
                                lot: l.lot.id.to_string(),
                                first: f.lot.id.to_string(),
                                attribute: attribute.into(),
                            },
                        ));
                    }
                }
                None => first = Some(l),
            }
            total = total
                .checked_add(line.quantity.get())
                .filter(|t| *t <= QUANTITY_MAX)
                .ok_or_else(|| p.err("/lots", ErrorKind::QuantityOverflow { max: QUANTITY_MAX }))?;
            p.move_lot(
                &field("/lots", i, "/quantity"),
                &line.lot,
                &at,
                Account::Sink(Sink::Rebatched),
                line.quantity.get(),
            )?;
        }
        let Some(first) = first else {
            return Err(p.err("/lots", ErrorKind::NothingToMerge));
        };
        let mut def = first.lot.clone();
        def.id = self.into.id.clone();
        def.lot_number = self.into.lot_number.clone();
        def.quantity = Quantity::new(total)
            .map_err(|_| p.err("/lots", ErrorKind::QuantityOverflow { max: QUANTITY_MAX }))?;
            // The record of the new lot keeps the first lot's attributes; its status lives in
            // the state.
            def.status = None;
            def.condition = None;
            def.disposition = None;
        p.fx.created_lots.push(LotState {
            hold: None,
            surveillance: first.surveillance.clone(),
            lot: def,
            origin: Origin {
                kind: first.origin.kind,
                reference: None,
                import: None,
            },
            registered_at: p.at.clone(),
            status: first.status,
            balances: BTreeMap::new(),
            derived_from: self
                .lots
                .iter()
                .map(|l| (l.lot.clone(), l.quantity.get()))
                .collect(),
            last_event: p.id,
            last_at: p.at.clone(),
        });
        p.move_lot(
            "/into",
            &self.into.id,
            &Account::Source(Source::Rebatched),
            at,
            total,
        )?;
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> LotMerge {
    use crate::ledger::kinds::ex::{id, q};
    LotMerge {
        site: id("depot:central"),
        custodian: id("unit:log-bn-2"),
        lots: vec![
            LotQuantity {
                lot: id("lot:762x39-1987-044-a"),
                quantity: q(500),
            },
            LotQuantity {
                lot: id("lot:762x39-1987-044-b"),
                quantity: q(300),
            },
        ],
        into: MergeTarget {
            id: id("lot:762x39-1987-044-m"),
            lot_number: "KZ-1987-044-M".into(),
        },
    }
}
