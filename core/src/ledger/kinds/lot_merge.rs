//! `lot_merge`: quantities of compatible lots at one holding are combined into a new lot.
//! Lots merge only when they are the same thing: same nomenclature, unit, hazard
//! classification, explosive content per unit and status. From format version 2 (IATG 03.10
//! lot integrity) also the same manufacturing lots, manufacture dates and origins, unless a
//! technical authority who signs the merge approves a mixed lot; the new lot keeps every
//! source's manufacturing lot, manufacture date, origin and registration.


use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink, Source};
use crate::ledger::kinds::Kind;
use crate::ledger::lot_integrity;
use crate::ledger::plan::{Plan, field, held};
use crate::ledger::state::LotState;
use crate::model::{
    ActorId, LotQuantity, MergeTarget, MixedLotApproval, Origin, QUANTITY_MAX, Quantity, SiteId,
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
    /// (Format version 2) A technical authority's approval of merging unlike lots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixed_lot_approval: Option<MixedLotApproval>,
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
        let approval = match &self.mixed_lot_approval {
            Some(a) => Some(p.mixed_lot_approval(a)?),
            None => None,
        };
        let at = held(&self.site, &self.custodian);
        let mut sources: Vec<&LotState> = Vec::new();
        let mut total: u64 = 0;
        for (i, line) in self.lots.iter().enumerate() {
            let l = p.lot(field("/lots", i, "/lot"), &line.lot)?;
            p.lot_not_held(field("/lots", i, "/lot"), &line.lot)?;
            if let Some(f) = sources.first()
                && let Some(attribute) = difference(f, l, p.version)
            {
                return Err(p.err(
                    field("/lots", i, "/lot"),
                    ErrorKind::LotsDiffer {
                        lot: l.lot.id.to_string(),
                        first: f.lot.id.to_string(),
                        attribute: attribute.into(),
                    },
                ));
            }
            sources.push(l);
            total = total
                .checked_add(line.quantity.get())
                .filter(|t| *t <= QUANTITY_MAX)
                .ok_or_else(|| p.err("/lots", ErrorKind::QuantityOverflow { max: QUANTITY_MAX }))?;
            p.move_lot(
                field("/lots", i, "/quantity"),
                &line.lot,
                &at,
                Account::Sink(Sink::Rebatched),
                line.quantity.get(),
            )?;
        }
        let Some(&first) = sources.first() else {
            return Err(p.err("/lots", ErrorKind::NothingToMerge));
        };
        // INVARIANT (lot-integrity): from version 2, a lot mixes manufacturing lots,
        // manufacture dates or origins only with a technical authority's approval.
        let mut unlike = false;
        for (i, l) in sources.iter().enumerate().skip(1) {
            if p.version < 2 {
                break;
            }
            if let Some((attribute, value, first_value)) = lot_integrity::lot_difference(first, l)
            {
                if approval.is_none() {
                    return Err(p.err(
                        field("/lots", i, "/lot"),
                        ErrorKind::UnlikeLots {
                            lot: l.lot.id.to_string(),
                            first: first.lot.id.to_string(),
                            attribute: attribute.into(),
                            value,
                            first_value,
                        },
                    ));
                }
                unlike = true;
            }
        }
        // An approval says the lots are unlike: on alike lots it would record a mixed lot
        // that is not one.
        if approval.is_some() && !unlike {
            return Err(p.err(
                "/mixed_lot_approval",
                ErrorKind::FieldInvalid {
                    value: "mixed_lot_approval".into(),
                    reason: "the lots merged are of one manufacturing lot, date and origin: there is no mixed lot to approve".into(),
                },
            ));
        }
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
        let (origin, provenance, mixed) = if p.version >= 2 {
            let provenance = lot_integrity::merged(&sources);
            // A mixed lot is as old as its oldest part and due when its first part is due.
            if unlike {
                def.manufactured = sources.iter().filter_map(|l| l.lot.manufactured.clone()).min();
                def.next_inspection =
                    sources.iter().filter_map(|l| l.lot.next_inspection.clone()).min();
                def.expiry = sources.iter().filter_map(|l| l.lot.expiry.clone()).min();
            }
            let one_origin = provenance.iter().all(|s| s.origin == first.origin);
            let origin = if one_origin {
                first.origin.clone()
            } else {
                Origin {
                    kind: first.origin.kind,
                    reference: None,
                    import: None,
                }
            };
            let mixed = match approval {
                Some(a) => Some(Box::new(a)),
                None => first.mixed.clone(),
            };
            (origin, provenance, mixed)
        } else {
            // Format version 1: the origin's kind only.
            let origin = Origin {
                kind: first.origin.kind,
                reference: None,
                import: None,
            };
            (origin, Vec::new(), None)
        };
        p.fx.created_lots.push(LotState {
            hold: None,
            surveillance: first.surveillance.clone(),
            lot: def,
            origin,
            provenance,
            mixed,
            registered_at: p.at.clone(),
            status: first.status,
            balances: Default::default(),
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
        mixed_lot_approval: Some(MixedLotApproval {
            by: id("person:ta-officer"),
            reference: "TA-2026-017".into(),
        }),
    }
}
