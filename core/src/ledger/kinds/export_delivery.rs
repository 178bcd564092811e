//! `export_delivery` (format version 2): the second phase of an export. The exporting state
//! records the importing state's delivery verification (Firearms Protocol art. 10.4); what the
//! importing state verified leaves the books through the `exported` sink, what it did not goes
//! to a discrepancy account named by this event, to be explained like a receipt's.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field};
use crate::model::{DeliveryVerification, EventId, ItemId, LotQuantity};

/// The importing state verified the delivery of an export.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ExportDelivery {
    /// The `export_dispatch` whose delivery was verified.
    pub dispatch: EventId,
    /// Items delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Quantities delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// The importing state's delivery verification certificate.
    pub verification: DeliveryVerification,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Kind for ExportDelivery {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        let dispatch = self.dispatch;
        let export = p
            .state
            .exports
            .get(&dispatch)
            .ok_or_else(|| p.unknown("/dispatch", dispatch))?;
        p.require_parent(dispatch, crate::ledger::plan::ParentOf::Event("export", dispatch), &export.at)?;
        if !p.state.acts_for(p.actor, &export.from.custodian) {
            return Err(p.not_custodian("/actor", &export.from.custodian));
        }
        let v = &self.verification;
        p.country("/verification/state", &v.state)?;
        p.same_state(
            "/verification/state",
            &v.state,
            &export.importing_state,
            "importing state",
        )?;
        let issued = p.day("/verification/date", &v.date)?;
        if issued > p.at.unix_seconds() {
            return Err(p.err(
                "/verification/date",
                ErrorKind::FieldInvalid {
                    value: v.date.as_str().to_owned(),
                    reason: format!("the certificate is dated after the event (`{}`)", p.at),
                },
            ));
        }
        p.distinct_items("/items", &self.items)?;
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        for (i, item) in self.items.iter().enumerate() {
            if !export.items.contains(item) {
                return Err(p.err(
                    field("/items", i, ""),
                    ErrorKind::NotDispatched {
                        stock: item.to_string(),
                        dispatch,
                    },
                ));
            }
        }
        for (i, line) in self.lots.iter().enumerate() {
            let sent = export.lots.iter().find(|l| l.lot == line.lot);
            match sent {
                None => {
                    return Err(p.err(
                        field("/lots", i, "/lot"),
                        ErrorKind::NotDispatched {
                            stock: line.lot.to_string(),
                            dispatch,
                        },
                    ));
                }
                Some(s) if line.quantity.get() > s.quantity.get() => {
                    return Err(p.err(
                        field("/lots", i, "/quantity"),
                        ErrorKind::OverReceipt {
                            lot: line.lot.to_string(),
                            received: line.quantity.get(),
                            dispatched: s.quantity.get(),
                            allowed: 0,
                        },
                    ));
                }
                Some(_) => {}
            }
        }
        let transit = Account::InTransit(dispatch);
        let exported = Account::Sink(Sink::Exported);
        let discrepancy = Account::Discrepancy(p.id);
        for (i, item) in export.items.iter().enumerate() {
            let to = if self.items.contains(item) {
                exported.clone()
            } else {
                discrepancy.clone()
            };
            p.move_item(field("/items", i, ""), item, &transit, to)?;
        }
        for sent in &export.lots {
            let got = self
                .lots
                .iter()
                .find(|l| l.lot == sent.lot)
                .map_or(0, |l| l.quantity.get());
            let short = sent.quantity.get() - got.min(sent.quantity.get());
            if got > 0 {
                p.move_lot("/lots", &sent.lot, &transit, exported.clone(), got)?;
            }
            if short > 0 {
                p.move_lot("/lots", &sent.lot, &transit, discrepancy.clone(), short)?;
            }
        }
        p.fx.close_export = Some(dispatch);
        p.fx.opens_discrepancy = true;
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> ExportDelivery {
    use crate::ledger::kinds::ex::{date, event, id, q};
    ExportDelivery {
        dispatch: event(0xe1),
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(12_000),
        }],
        verification: DeliveryVerification {
            reference: "DVC-PE-2026-0042".into(),
            issued_by: "Ministerio de Defensa del Perú".into(),
            state: "PE".into(),
            date: date("2026-06-20"),
        },
        note: Some("received at the Lima arsenal".into()),
    }
}
