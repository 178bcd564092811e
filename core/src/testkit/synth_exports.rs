//! The synthetic stockpile's exports (format version 2, ATT art. 12, Firearms Protocol art. 10):
//! now and then a depot sends some rounds, and sometimes a few rifles, to a neighbouring state
//! as a government-to-government transfer, under export and import licences (and a transit
//! licence when the consignment crosses a third state) valid on the dispatch day; the
//! importing state verifies the delivery the next minute. Kept apart from `synth.rs` to ease
//! merging; a child module of it, so it sees the generator's fields.

use super::tracing::{DAY_SECONDS, day};
use super::{Cast, Synth, SynthError, qty};
use crate::event::{Body, ExportDelivery, ExportDispatch, LotQuantity, Place};
use crate::model::{
    Consignee, DeliveryVerification, EndUserCertificate, Licence, LicenceKind, TransferBasis,
};

/// The exporting state: every synthetic site is in Colombia.
const EXPORTING_STATE: &str = "CO";
/// Importing states of the synthetic exports, with a transit state where the route crosses one.
const ROUTES: [(&str, Option<&str>); 4] =
    [("PE", None), ("EC", None), ("PA", None), ("CR", Some("PA"))];
/// Days before the dispatch that the licences were issued.
const LICENCE_ISSUED_DAYS_BEFORE: i64 = 30;
/// Days after the dispatch that the licences expire.
const LICENCE_EXPIRES_DAYS_AFTER: i64 = 180;

impl Synth {
    /// An export of part of a lot (and sometimes items) and its delivery verification.
    pub(super) fn export(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, site, custodian, units)) = self.pick_lot(cast) else {
            return self.register_lot(cast);
        };
        let (importing, transit) = ROUTES
            .get(self.rng.index(ROUTES.len()))
            .copied()
            .unwrap_or(("PE", None));
        let sent = self.rng.range(1, (units / 4).max(1));
        let mut items = if self.rng.range(0, 2) == 0 {
            self.pick_items(&site, &custodian, 2)
        } else {
            Vec::new()
        };
        // Weapons forfeited by a court are not exported (CIFTA art. VII: confiscated arms are
        // destroyed or kept for official use).
        items.retain(|id| {
            self.state
                .item(id)
                .is_none_or(|i| i.status.disposition != crate::model::Disposition::Forfeited)
        });
        let secs = self.clock();
        let issued = day(secs - LICENCE_ISSUED_DAYS_BEFORE * DAY_SECONDS)?;
        let expires = day(secs + LICENCE_EXPIRES_DAYS_AFTER * DAY_SECONDS)?;
        let dispatched_on = day(secs)?;
        let n = self.reference("LIC")?;
        let licence = |kind, state: &str| Licence {
            kind,
            number: format!("{state}-{n}"),
            state: state.into(),
            issued: issued.clone(),
            expires: expires.clone(),
        };
        let mut licences = vec![
            licence(LicenceKind::Export, EXPORTING_STATE),
            licence(LicenceKind::Import, importing),
        ];
        if let Some(t) = transit {
            licences.push(licence(LicenceKind::Transit, t));
        }
        let lots = vec![LotQuantity {
            lot,
            quantity: qty(sent)?,
        }];
        let contract = self.reference("G2G")?;
        let euc = self.reference(&format!("EUC-{importing}"))?;
        let dispatch = self.emit(
            &custodian,
            Body::ExportDispatch(ExportDispatch {
                from: Place {
                    site,
                    custodian: custodian.clone(),
                },
                items: items.clone(),
                lots: lots.clone(),
                exporting_state: EXPORTING_STATE.into(),
                importing_state: importing.into(),
                transit_states: transit.map(|t| vec![t.to_owned()]).unwrap_or_default(),
                final_consignee: Consignee {
                    name: format!("Ministry of Defence of {importing}"),
                    country: importing.into(),
                    address: None,
                },
                end_user_certificate: EndUserCertificate {
                    reference: euc,
                    issued_by: format!("Ministry of Defence of {importing}"),
                    end_use: Some("training of the armed forces".into()),
                },
                licences,
                basis: TransferBasis::GovernmentToGovernment,
                reference: Some(contract),
            }),
            &[],
        )?;
        let dvc = self.reference(&format!("DVC-{importing}"))?;
        self.emit(
            &custodian,
            Body::ExportDelivery(ExportDelivery {
                dispatch: dispatch.id,
                items,
                lots,
                verification: DeliveryVerification {
                    reference: dvc,
                    issued_by: format!("Ministry of Defence of {importing}"),
                    state: importing.into(),
                    date: dispatched_on,
                },
                note: None,
            }),
            &[],
        )?;
        Ok(())
    }
}
