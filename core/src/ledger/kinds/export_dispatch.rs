//! `export_dispatch` (format version 2): the first phase of an export (ATT art. 12, Firearms
//! Protocol arts. 7 and 10, CIFTA art. IX). Stock leaves its holder for a consignee in another
//! state, under licences valid on the dispatch date, and sits in an in-transit account named
//! by this event until the importing state verifies the delivery (`export_delivery`). The
//! record holds what the instruments ask states to keep: the states (exporting, importing,
//! transit), the licences with their dates, the end-user certificate, the final consignee, and
//! why the stock leaves (sale, donation, government-to-government transfer, ...).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::Account;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, holding};
use crate::ledger::state::Export;
use crate::ledger::trade::States;
use crate::model::{
    Consignee, EndUserCertificate, ItemId, Licence, LotQuantity, Place, TransferBasis,
};

/// Stock leaves for another state and is in transit.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ExportDispatch {
    /// The current holder.
    pub from: Place,
    /// Items sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Quantities of lots sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// The exporting state, ISO 3166-1 alpha-2 (the dispatching site's, when it names one).
    pub exporting_state: String,
    /// The importing state, ISO 3166-1 alpha-2.
    pub importing_state: String,
    /// States crossed on the way, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transit_states: Vec<String>,
    /// The final consignee, in the importing state.
    pub final_consignee: Consignee,
    /// The end-user certificate.
    pub end_user_certificate: EndUserCertificate,
    /// Export, import and transit licences, each valid on the dispatch date.
    pub licences: Vec<Licence>,
    /// Why the stock leaves.
    pub basis: TransferBasis,
    /// Contract, agreement or waybill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Kind for ExportDispatch {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        let site = p.site("/from/site", &self.from.site)?;
        p.custodian("/from/custodian", &self.from.custodian)?;
        p.country("/exporting_state", &self.exporting_state)?;
        p.country("/importing_state", &self.importing_state)?;
        if let Some(country) = &site.site.country {
            p.same_state(
                "/exporting_state",
                &self.exporting_state,
                country,
                "state of the dispatching site",
            )?;
        }
        if self.exporting_state == self.importing_state {
            return Err(p.err(
                "/importing_state",
                ErrorKind::SameState {
                    state: self.importing_state.clone(),
                },
            ));
        }
        for (i, s) in self.transit_states.iter().enumerate() {
            p.country(field("/transit_states", i, ""), s)?;
        }
        p.country("/final_consignee/country", &self.final_consignee.country)?;
        p.same_state(
            "/final_consignee/country",
            &self.final_consignee.country,
            &self.importing_state,
            "importing state",
        )?;
        let day = p.at.to_string();
        let day = day.get(..10).unwrap_or(&day);
        p.licences(
            "/licences",
            &self.licences,
            States {
                exporting: &self.exporting_state,
                importing: Some(&self.importing_state),
                transit: &self.transit_states,
            },
            (p.at.unix_seconds(), day),
        )?;
        p.something_moves(&self.items, &self.lots)?;
        for (i, item) in self.items.iter().enumerate() {
            p.item_not_held(field("/items", i, ""), item)?;
        }
        for (i, line) in self.lots.iter().enumerate() {
            p.lot_not_held(field("/lots", i, "/lot"), &line.lot)?;
        }
        p.move_all(
            &self.items,
            &self.lots,
            &holding(&self.from),
            &Account::InTransit(p.id),
        )?;
        p.fx.open_export = Some(Box::new(Export {
            from: self.from.clone(),
            items: self.items.clone(),
            lots: self.lots.clone(),
            importing_state: self.importing_state.clone(),
            at: p.at.clone(),
        }));
        p.focus_site = Some(self.from.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> ExportDispatch {
    use crate::ledger::kinds::ex::{date, id, q};
    use crate::model::LicenceKind;
    ExportDispatch {
        from: Place {
            site: id("depot:central"),
            custodian: id("unit:log-bn-2"),
        },
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(12_000),
        }],
        exporting_state: "CO".into(),
        importing_state: "PE".into(),
        transit_states: vec!["EC".into()],
        final_consignee: Consignee {
            name: "Ejército del Perú".into(),
            country: "PE".into(),
            address: Some("Av. Boulevard s/n, Lima".into()),
        },
        end_user_certificate: EndUserCertificate {
            reference: "EUC-PE-2026-0042".into(),
            issued_by: "Ministerio de Defensa del Perú".into(),
            end_use: Some("training of the national army".into()),
        },
        licences: vec![
            Licence {
                kind: LicenceKind::Export,
                number: "EXP-CO-2026-0117".into(),
                state: "CO".into(),
                issued: date("2026-05-02"),
                expires: date("2026-11-01"),
            },
            Licence {
                kind: LicenceKind::Import,
                number: "IMP-PE-2026-0042".into(),
                state: "PE".into(),
                issued: date("2026-04-20"),
                expires: date("2026-10-19"),
            },
            Licence {
                kind: LicenceKind::Transit,
                number: "TR-EC-2026-0009".into(),
                state: "EC".into(),
                issued: date("2026-05-10"),
                expires: date("2026-08-10"),
            },
        ],
        basis: TransferBasis::GovernmentToGovernment,
        reference: Some("G2G-CO-PE-2026-01".into()),
    }
}
