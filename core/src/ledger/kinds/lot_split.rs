//! `lot_split`: new lots are cut out of one lot at one holding; the source keeps the rest.
//! The new lots inherit the source's attributes, origin and status; from format version 2
//! also the manufacturing lots, manufacture dates, origins and registrations it came from.


use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink, Source};
use crate::ledger::kinds::Kind;
use crate::ledger::lot_integrity;
use crate::ledger::plan::{Plan, field, held};
use crate::ledger::state::LotState;
use crate::model::{ActorId, LotId, QUANTITY_MAX, SiteId, SplitPart};

/// Cuts new lots out of one lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotSplit {
    /// The source lot.
    pub lot: LotId,
    /// Where.
    pub site: SiteId,
    /// Holder of the source and the new lots.
    pub custodian: ActorId,
    /// The new lots.
    pub into: Vec<SplitPart>,
}

impl Kind for LotSplit {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.site("/site", &self.site)?;
        p.custodian("/custodian", &self.custodian)?;
        let source = p.lot("/lot", &self.lot)?;
        p.lot_not_held("/lot", &self.lot)?;
        let mut total: u64 = 0;
        for (i, part) in self.into.iter().enumerate() {
            p.new_lot_id(field("/into", i, "/id"), &part.id)?;
            if part.quantity.get() == 0 {
                return Err(p.err(field("/into", i, "/quantity"), ErrorKind::ZeroQuantity));
            }
            total = total
                .checked_add(part.quantity.get())
                .filter(|t| *t <= QUANTITY_MAX)
                .ok_or_else(|| p.err("/into", ErrorKind::QuantityOverflow { max: QUANTITY_MAX }))?;
            let mut def = source.lot.clone();
            def.id = part.id.clone();
            def.quantity = part.quantity;
            // The record of the new lot keeps the source's attributes; its status lives in
            // the state.
            def.status = None;
            def.condition = None;
            def.disposition = None;
            // Format version 2: the new lot keeps the manufacturing lots, manufacture dates,
            // origins and registrations of its source, and whether it is a mixed lot.
            let (provenance, mixed) = if p.version >= 2 {
                (lot_integrity::provenance(source), source.mixed.clone())
            } else {
                (Vec::new(), None)
            };
            p.fx.created_lots.push(LotState {
                hold: None,
                surveillance: source.surveillance.clone(),
                lot: def,
                origin: source.origin.clone(),
                provenance,
                mixed,
                registered_at: p.at.clone(),
                status: source.status,
                balances: Default::default(),
                derived_from: vec![(self.lot.clone(), part.quantity.get())],
                last_event: p.id,
                last_at: p.at.clone(),
            });
        }
        let at = held(&self.site, &self.custodian);
        p.move_lot("/into", &self.lot, &at, Account::Sink(Sink::Rebatched), total)?;
        for (i, part) in self.into.iter().enumerate() {
            p.move_lot(
                field("/into", i, "/quantity"),
                &part.id,
                &Account::Source(Source::Rebatched),
                at.clone(),
                part.quantity.get(),
            )?;
        }
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> LotSplit {
    use crate::ledger::kinds::ex::{id, q};
    LotSplit {
        lot: id("lot:762x39-1987-044"),
        site: id("depot:central"),
        custodian: id("unit:log-bn-2"),
        into: vec![SplitPart {
            id: id("lot:762x39-1987-044-a"),
            quantity: q(1_000),
        }],
    }
}
