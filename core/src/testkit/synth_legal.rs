//! The synthetic stockpile's legal life cycle (format version 2): rifles and pistols imported
//! from foreign manufacturers with their import records and import marks (ATT art. 12.2,
//! Firearms Protocol art. 7 and 8); weapons seized by the police, registered with their origin
//! and put under an evidence hold for the attorney general, some with their serial numbers
//! filed off; a forensic laboratory restoring a serial number while the hold lasts; a court
//! forfeiting what a seizure held to the state (the forfeited weapons then join the stock that
//! destruction campaigns may take); and weapons deactivated for a training collection,
//! verified by the state proof house. Kept apart from `synth.rs` to ease merging; a child
//! module of it, so it sees the generator's fields.

use std::collections::VecDeque;

use super::tracing::{DAY_SECONDS, day};
use super::{Cast, Synth, SynthError};
use crate::event::{Body, Deactivation, JudicialOrder, MarkItems, RegisterItems, Seizure};
use crate::model::{
    ActorId, ActorKind, AttCategory, DeactivationMark, DeliveryVerification, EndUserCertificate,
    EventId, ImportMarking, ImportRecord, Item, ItemCategory, ItemId, JudicialDecision, Licence,
    LicenceKind, Mark, MarkKind, Marking, Origin, OriginKind, SiteId,
};

/// The importing state: every synthetic site is in Colombia.
const IMPORTING_STATE: &str = "CO";
/// The importer named on the import marks and end-user certificates.
const IMPORTER: &str = "Ministerio de Defensa Nacional de Colombia";
/// Days before the registration that imported stock cleared customs.
const IMPORTED_DAYS_BEFORE: i64 = 7;
/// Days before the date of import that the licences were issued.
const LICENCE_ISSUED_DAYS_BEFORE: i64 = 60;
/// Days after the date of import that the licences expire.
const LICENCE_EXPIRES_DAYS_AFTER: i64 = 120;
/// Weapons at most one synthetic import or seizure registers.
const LEGAL_ITEMS_MAX: u64 = 4;
/// The forensic laboratory that restores serial numbers (registered at its first use).
const FORENSIC_LAB: &str = "unit:police-forensic-lab";
/// The state proof house that verifies deactivations (registered at its first use).
const PROOF_HOUSE: &str = "agency:indumil-proof-house";

/// A foreign manufacturer's weapon: (manufacturer, country of manufacture, model, type,
/// calibre, ATT category, exporter).
type Foreign = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    AttCategory,
    &'static str,
);

/// What the synthetic ministry imports.
const IMPORTS: [Foreign; 3] = [
    (
        "FN Herstal",
        "BE",
        "SCAR-L",
        "assault rifle",
        "5.56x45mm",
        AttCategory::AssaultRifles,
        "FN Herstal SA",
    ),
    (
        "Ceska zbrojovka",
        "CZ",
        "CZ P-10 C",
        "pistol",
        "9x19mm",
        AttCategory::RevolversAndSelfLoadingPistols,
        "Ceska zbrojovka a.s.",
    ),
    (
        "Beretta",
        "IT",
        "ARX160",
        "assault rifle",
        "5.56x45mm",
        AttCategory::AssaultRifles,
        "Fabbrica d'Armi Pietro Beretta S.p.A.",
    ),
];

/// Where the synthetic police seize weapons.
const SEIZED_AT: [&str; 3] = [
    "checkpoint on the Pan-American Highway, Ipiales",
    "container inspection, port of Buenaventura",
    "rural area of Tumaco, Narino",
];

/// A seizure still under its evidence hold.
#[derive(Debug)]
pub(super) struct Held {
    seizure: EventId,
    site: SiteId,
    custodian: ActorId,
    items: Vec<ItemId>,
    /// Items registered with their serial number missing, not yet restored.
    unmarked: Vec<ItemId>,
}

/// The legal life cycle's own books: seizures not yet decided, oldest first.
#[derive(Debug, Default)]
pub(super) struct Legal {
    held: VecDeque<Held>,
}

impl Synth {
    fn now_seconds(&self) -> i64 {
        self.clock()
    }

    /// The year of a time in Unix seconds.
    fn year_of(secs: i64) -> Result<u16, SynthError> {
        let d = day(secs)?;
        d.as_str()
            .get(..4)
            .and_then(|y| y.parse().ok())
            .ok_or_else(|| SynthError::Value(format!("no year in `{}`", d.as_str())))
    }

    /// An actor of the legal life cycle, registered by the ministry at its first use.
    fn legal_actor(
        &mut self,
        cast: &Cast,
        id: &str,
        kind: ActorKind,
        member_of: Option<&ActorId>,
    ) -> Result<ActorId, SynthError> {
        let actor: ActorId = id.parse()?;
        if self.state.actors.contains_key(&actor) {
            return Ok(actor);
        }
        self.register(&cast.admin, id, kind, member_of, &[])
    }

    /// Weapons from a foreign manufacturer imported with their import record: the exporting
    /// state's export licence and this state's import licence valid on the day of import, the
    /// end-user certificate and delivery verification certificate this state issued, and the
    /// import mark on each weapon.
    pub(super) fn import(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let (depot, unit) = cast
            .depots
            .get(self.rng.index(cast.depots.len()))
            .cloned()
            .ok_or_else(|| SynthError::Value("no depot".into()))?;
        let (manufacturer, country, model, item_type, calibre, att, exporter) = IMPORTS
            .get(self.rng.index(IMPORTS.len()))
            .copied()
            .ok_or_else(|| SynthError::Value("no import".into()))?;
        let entered_secs = self.now_seconds() - IMPORTED_DAYS_BEFORE * DAY_SECONDS;
        let entered = day(entered_secs)?;
        let year = Self::year_of(entered_secs)?;
        let count = self.rng.range(1, LEGAL_ITEMS_MAX);
        let mut items = Vec::new();
        for _ in 0..count {
            self.next_item += 1;
            let n = self.next_item;
            let id: ItemId = format!("item:imp-{n:08}").parse()?;
            items.push(Item {
                id: id.clone(),
                category: ItemCategory::Firearm,
                item_type: item_type.into(),
                marking: Marking {
                    manufacturer: Some(manufacturer.into()),
                    country_of_manufacture: Some(country.into()),
                    serial: Some(format!("{country}{n:08}")),
                    year: Some(year.saturating_sub(1)),
                    model: Some(model.into()),
                    calibre: Some(calibre.into()),
                    import: Some(ImportMarking {
                        country: Some(IMPORTING_STATE.into()),
                        year: Some(year),
                        importer: Some(IMPORTER.into()),
                    }),
                },
                status: None,
                condition: None,
                disposition: None,
                att_category: Some(att),
                hazard: None,
                neq_mg: None,
            });
        }
        let n = self.reference("LIC")?;
        let issued = day(entered_secs - LICENCE_ISSUED_DAYS_BEFORE * DAY_SECONDS)?;
        let expires = day(entered_secs + LICENCE_EXPIRES_DAYS_AFTER * DAY_SECONDS)?;
        let licence = |kind, state: &str| Licence {
            kind,
            number: format!("{state}-{n}"),
            state: state.into(),
            issued: issued.clone(),
            expires: expires.clone(),
        };
        let licences = vec![
            licence(LicenceKind::Export, country),
            licence(LicenceKind::Import, IMPORTING_STATE),
        ];
        let euc = self.reference("EUC-CO")?;
        let dvc = self.reference("DVC-CO")?;
        let contract = self.reference("CONTRACT")?;
        let record = ImportRecord {
            date: entered.clone(),
            exporting_state: country.into(),
            exporter: exporter.into(),
            transit_states: Vec::new(),
            licences,
            end_user_certificate: Some(EndUserCertificate {
                reference: euc,
                issued_by: IMPORTER.into(),
                end_use: Some("equipment of the armed forces".into()),
            }),
            delivery_verification: Some(DeliveryVerification {
                reference: dvc,
                issued_by: IMPORTER.into(),
                state: IMPORTING_STATE.into(),
                date: entered,
            }),
            contract: Some(contract.clone()),
        };
        let ids: Vec<ItemId> = items.iter().map(|i| i.id.clone()).collect();
        self.emit(
            &unit,
            Body::RegisterItems(RegisterItems {
                site: depot,
                custodian: unit.clone(),
                origin: Origin {
                    kind: OriginKind::Imported,
                    reference: Some(contract),
                    import: Some(Box::new(record)),
                },
                items,
            }),
            &[],
        )?;
        self.items.extend(ids);
        Ok(())
    }

    /// Weapons seized by the police, registered as seized and put under an evidence hold for
    /// the attorney general; the first one's serial number was filed off.
    pub(super) fn seize(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let (depot, unit) = cast
            .depots
            .get(self.rng.index(cast.depots.len()))
            .cloned()
            .ok_or_else(|| SynthError::Value("no depot".into()))?;
        let count = self.rng.range(1, LEGAL_ITEMS_MAX);
        let mut items = Vec::new();
        let mut unmarked = Vec::new();
        for k in 0..count {
            self.next_item += 1;
            let n = self.next_item;
            let id: ItemId = format!("item:seized-{n:08}").parse()?;
            let (marking, item_type, att) = if k == 0 {
                unmarked.push(id.clone());
                (
                    Marking {
                        manufacturer: Some("Norinco".into()),
                        country_of_manufacture: Some("CN".into()),
                        serial: None,
                        year: None,
                        model: Some("Type 56".into()),
                        calibre: Some("7.62x39mm".into()),
                        import: None,
                    },
                    "assault rifle",
                    AttCategory::AssaultRifles,
                )
            } else {
                (
                    Marking {
                        manufacturer: Some("Taurus".into()),
                        country_of_manufacture: Some("BR".into()),
                        serial: Some(format!("TB{n:07}")),
                        year: Some(2011),
                        model: Some("PT 92".into()),
                        calibre: Some("9x19mm".into()),
                        import: None,
                    },
                    "pistol",
                    AttCategory::RevolversAndSelfLoadingPistols,
                )
            };
            items.push(Item {
                id: id.clone(),
                category: ItemCategory::Firearm,
                item_type: item_type.into(),
                marking,
                status: None,
                condition: None,
                disposition: None,
                att_category: Some(att),
                hazard: None,
                neq_mg: None,
            });
        }
        let case = self.reference("CASE")?;
        let ids: Vec<ItemId> = items.iter().map(|i| i.id.clone()).collect();
        self.emit(
            &unit,
            Body::RegisterItems(RegisterItems {
                site: depot.clone(),
                custodian: unit.clone(),
                origin: Origin {
                    kind: OriginKind::Seized,
                    reference: Some(case.clone()),
                    import: None,
                },
                items,
            }),
            &[],
        )?;
        let seized_at = SEIZED_AT
            .get(self.rng.index(SEIZED_AT.len()))
            .copied()
            .unwrap_or("unrecorded");
        let receipt = self.reference("CC")?;
        let seized_on = day(self.now_seconds() - DAY_SECONDS)?;
        let seizure = self.emit(
            &unit,
            Body::Seizure(Seizure {
                site: depot.clone(),
                custodian: unit.clone(),
                items: ids.clone(),
                lots: Vec::new(),
                case,
                seized_by: cast.police.clone(),
                seized_on,
                seized_at: seized_at.into(),
                held_for: cast.ag.clone(),
                reference: Some(receipt),
            }),
            &[],
        )?;
        self.legal.held.push_back(Held {
            seizure: seizure.id,
            site: depot,
            custodian: unit,
            items: ids,
            unmarked,
        });
        Ok(())
    }

    /// The forensic laboratory restores the serial number of a held weapon registered without
    /// one; with none waiting, a seizure instead.
    pub(super) fn restore_serial(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some(i) = self.legal.held.iter().position(|h| !h.unmarked.is_empty()) else {
            return self.seize(cast);
        };
        let lab = self.legal_actor(cast, FORENSIC_LAB, ActorKind::Unit, Some(&cast.police))?;
        let Some(held) = self.legal.held.get_mut(i) else {
            return self.seize(cast);
        };
        let Some(item) = held.unmarked.pop() else {
            return self.seize(cast);
        };
        let (site, custodian) = (held.site.clone(), held.custodian.clone());
        let serial = format!("56-{:06}", self.rng.range(1, 999_999));
        let reference = self.reference("LAB")?;
        let marked_on = day(self.now_seconds())?;
        self.emit(
            &custodian,
            Body::MarkItems(MarkItems {
                site,
                custodian: custodian.clone(),
                marked_by: lab,
                marked_on,
                marks: vec![Mark {
                    item,
                    kind: MarkKind::RestoredSerial,
                    elements: Marking {
                        serial: Some(serial),
                        ..Marking::default()
                    },
                    position: "left side of the receiver, under the rear sight".into(),
                    method: Some("chemical etching (restoration), then stamped".into()),
                }],
                reference: Some(reference),
            }),
            &[],
        )?;
        Ok(())
    }

    /// A court forfeits to the state everything the oldest undecided seizure holds; the
    /// attorney general, for whom it is held, records the order. The forfeited weapons join
    /// the stock. With no seizure waiting, a seizure instead.
    pub(super) fn forfeit(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some(held) = self.legal.held.pop_front() else {
            return self.seize(cast);
        };
        let order = self.reference("JPCE")?;
        let ordered_on = day(self.now_seconds())?;
        self.emit(
            &cast.ag,
            Body::JudicialOrder(JudicialOrder {
                seizure: held.seizure,
                decision: JudicialDecision::Forfeiture,
                court: "Juzgado Segundo Penal del Circuito Especializado de Bogota".into(),
                order,
                ordered_on,
                items: held.items.clone(),
                lots: Vec::new(),
                returned_to: None,
            }),
            &[],
        )?;
        self.items.extend(held.items);
        Ok(())
    }

    /// A weapon of a depot deactivated for a training collection by its holder, verified and
    /// certified by the state proof house, and marked; it leaves the live stock (it stays on
    /// the books). With no weapon at hand, an import instead.
    pub(super) fn deactivate(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let start = self.rng.index(cast.depots.len());
        let mut found = None;
        for k in 0..cast.depots.len() {
            let Some((site, unit)) = cast.depots.get((start + k) % cast.depots.len()) else {
                continue;
            };
            if let Some(item) = self.pick_items(site, unit, 1).pop() {
                found = Some((site.clone(), unit.clone(), item));
                break;
            }
        }
        let Some((site, unit, item)) = found else {
            return self.import(cast);
        };
        let proof_house = self.legal_actor(cast, PROOF_HOUSE, ActorKind::Agency, None)?;
        let now = self.now_seconds();
        let certificate = self.reference("DEACT-CO")?;
        self.emit(
            &unit,
            Body::Deactivation(Deactivation {
                site,
                custodian: unit.clone(),
                items: vec![item.clone()],
                method: "barrel plugged and pinned, bolt face removed, chamber welded".into(),
                standard: Some("EU Implementing Regulation 2018/337, annex I".into()),
                verified_by: proof_house,
                verified_on: day(now)?,
                certificate,
                mark: Some(DeactivationMark {
                    text: format!("DEACT CO {}", Self::year_of(now)?),
                    position: "left side of the receiver and the barrel".into(),
                }),
            }),
            &[],
        )?;
        // No status change brings a deactivated weapon back: it leaves the live stock.
        self.items.retain(|i| *i != item);
        Ok(())
    }
}
