//! `register_lot`: a lot of fungible units (ammunition, explosives, parts) enters the
//! inventory at a site, in a custodian's charge.


use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Source};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, held};
use crate::ledger::state::LotState;
use crate::model::{ActorId, Lot, Origin, QUANTITY_MAX, SiteId, StockStatus, Unit};

/// Brings a lot into the inventory.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RegisterLot {
    /// Where it is.
    pub site: SiteId,
    /// Who holds it.
    pub custodian: ActorId,
    /// How it entered.
    pub origin: Origin,
    /// The lot.
    pub lot: Lot,
}

impl Kind for RegisterLot {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        let s = p.site("/site", &self.site)?;
        p.require_parent(s.last_event, &self.site, &s.registered_at)?;
        p.custodian("/custodian", &self.custodian)?;
        p.origin("/origin", &self.origin, s.site.country.as_deref())?;
        let lot = &self.lot;
        p.new_lot_id("/lot/id", &lot.id)?;
        p.since_v2("/lot/category", lot.category.is_some())?;
        if lot.quantity.get() == 0 {
            return Err(p.err("/lot/quantity", ErrorKind::ZeroQuantity));
        }
        // INVARIANT (neq-bounded): a lot's whole explosive content fits the quantity range, so
        // every sum of explosive content the ledger or a rule computes fits 64 bits.
        let within = lot
            .quantity
            .get()
            .checked_mul(lot.neq_grams_per_unit.get())
            .is_some_and(|total| total <= QUANTITY_MAX);
        if !within {
            return Err(p.err(
                "/lot/neq_grams_per_unit",
                ErrorKind::QuantityOverflow { max: QUANTITY_MAX },
            ));
        }
        // Format version 2: milligrams per unit, and units that fit what is counted.
        p.since_v2("/lot/neq_mg", lot.neq_mg.is_some())?;
        p.since_v2("/lot/unit", lot.unit == Unit::Millimetre)?;
        if let Some(mg) = lot.neq_mg {
            // The grams stay for version-1 readers: the whole grams of the milligrams.
            if lot.neq_grams_per_unit.get() != mg.get() / 1000 {
                return Err(p.err(
                    "/lot/neq_grams_per_unit",
                    ErrorKind::FieldInvalid {
                        value: lot.neq_grams_per_unit.get().to_string(),
                        reason: format!(
                            "with `neq_mg` {}, the whole grams are {}",
                            mg.get(),
                            mg.get() / 1000
                        ),
                    },
                ));
            }
            // INVARIANT (neq-bounded), in milligrams.
            let within = lot
                .quantity
                .get()
                .checked_mul(mg.get())
                .is_some_and(|total| total <= QUANTITY_MAX);
            if !within {
                return Err(p.err(
                    "/lot/neq_mg",
                    ErrorKind::QuantityOverflow { max: QUANTITY_MAX },
                ));
            }
        }
        let status = p.status_members(
            "/lot",
            StockStatus::default(),
            lot.status,
            lot.condition,
            lot.disposition,
        )?;
        p.registered_disposition("/lot/disposition", status)?;
        p.fx.created_lots.push(LotState {
            hold: None,
            surveillance: Default::default(),
            provenance: Vec::new(),
            mixed: None,
            status,
            lot: lot.clone(),
            origin: self.origin.clone(),
            registered_at: p.at.clone(),
            balances: Default::default(),
            derived_from: Vec::new(),
            last_event: p.id,
            last_at: p.at.clone(),
        });
        p.move_lot(
            "/lot/quantity",
            &lot.id,
            &Account::Source(Source::Origin(self.origin.kind)),
            held(&self.site, &self.custodian),
            lot.quantity.get(),
        )?;
        p.focus_site = Some(self.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> RegisterLot {
    use crate::ledger::kinds::ex::{id, import_record, q};
    use crate::model::{
        CompatibilityGroup, Condition, Date, Disposition, Hazard, HazardDivision, OriginKind,
    };
    RegisterLot {
        site: id("depot:central"),
        custodian: id("unit:log-bn-2"),
        origin: Origin {
            kind: OriginKind::Imported,
            reference: Some("IMP-SV-2026-0007".into()),
            import: Some(Box::new(import_record())),
        },
        lot: Lot {
            id: id("lot:762x39-1987-044"),
            nomenclature: "cartridge 7.62x39 ball".into(),
            lot_number: "KZ-1987-044".into(),
            unit: Unit::Round,
            quantity: q(48_000),
            hazard: Some(Hazard {
                division: HazardDivision::D1_4,
                group: CompatibilityGroup::S,
            }),
            neq_grams_per_unit: q(2),
            neq_mg: Some(q(2_050)),
            manufactured: Date::parse("1987-05-01").ok(),
            next_inspection: Date::parse("2026-09-01").ok(),
            expiry: Date::parse("2032-05-01").ok(),
            status: None,
            condition: Some(Condition::Serviceable),
            disposition: Some(Disposition::InService),
            category: Some(crate::model::LotCategory::Ammunition),
        },
    }
}
