//! The domain model: actors, sites, serialized items and lots, and the small vocabularies
//! (roles, statuses, hazard classes) that events use. Plain data with serde; the rules that
//! relate them live in `ledger`.

mod ammunition;
mod destruction;
pub(crate) mod hex;
mod ids;
mod iso3166;
mod legal;
mod marks;
mod names;
pub use names::UnknownName;
mod parts;
mod surveillance;
mod time;
mod tracing;
mod trade;

pub use ammunition::{ExpenditurePurpose, Residue};
pub use destruction::DestructionMethod;
pub use iso3166::ISO_3166_1_ALPHA_2;
pub use legal::{DeactivationMark, JudicialDecision};
pub use marks::{Mark, MarkKind};
pub use surveillance::{ConditionCode, InspectionOutcome, InspectionResult, InspectionTest};
pub use tracing::{TraceChannel, TraceOutcome, TraceRefusal};
pub use trade::{
    AttCategory, Consignee, DeliveryVerification, EndUserCertificate, ImportRecord, Licence,
    LicenceKind, TransferBasis, country_name, is_country,
};

pub use ids::{
    ActorId, Digest, EventId, IdError, ItemId, LotId, NAME_ID_BYTES_MAX, PublicKey, SiteId,
};
pub use parts::{
    CountScope, ItemCount, LossKind, LotCount, LotQuantity, MergeTarget, MixedLotApproval, Place,
    RuleRef, SplitPart, Witness,
};
pub use time::{Date, TimeError, Timestamp};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest quantity an event may carry: 2^53 − 1, the largest integer every JSON
/// implementation (including JavaScript's) reads exactly.
pub const QUANTITY_MAX: u64 = (1 << 53) - 1;

/// A count in the smallest unit of its lot (rounds, items, grams). Never negative, never a
/// float, never above [`QUANTITY_MAX`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Quantity(u64);

/// A quantity outside `0..=QUANTITY_MAX`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quantity `{value}` is above the maximum {max}", max = QUANTITY_MAX)]
pub struct QuantityError {
    /// The rejected value.
    pub value: u64,
}

impl Quantity {
    /// Zero units.
    pub const ZERO: Self = Self(0);
    /// Checks the range.
    pub fn new(value: u64) -> Result<Self, QuantityError> {
        if value <= QUANTITY_MAX {
            Ok(Self(value))
        } else {
            Err(QuantityError { value })
        }
    }
    /// The count.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u64::deserialize(d)?;
        Self::new(v).map_err(serde::de::Error::custom)
    }
}

/// What kind of actor.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A ministry, police force, attorney general's office, verification body.
    Agency,
    /// A unit or office inside an agency (a logistics battalion, a depot command).
    Unit,
    /// A person acting for a unit or agency.
    Person,
}

/// What an actor may do. Checked by the ledger on every event.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Registers actors, keys and sites; puts rules in force.
    Admin,
    /// Holds stock: registers, dispatches, receives, splits, merges, counts, reports losses.
    Custodian,
    /// Authorises destruction.
    Authoriser,
    /// Carries out destruction.
    Destroyer,
    /// Witnesses destruction.
    Witness,
    /// Audits and inspects; may record stock checks.
    Inspector,
    /// The ammunition technical authority (format version 2): records surveillance
    /// inspections, and alone lifts a suspension (IATG 07.20).
    TechnicalAuthority,
}

/// An actor as registered.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Actor {
    /// Its id.
    pub id: ActorId,
    /// Agency, unit or person.
    pub kind: ActorKind,
    /// Human-readable name.
    pub name: String,
    /// The unit or agency it belongs to; a member may act for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_of: Option<ActorId>,
    /// What it may do.
    pub roles: Vec<Role>,
    /// Its Ed25519 public keys at registration.
    pub keys: Vec<PublicKey>,
}

/// What kind of site.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// A depot: a fenced storage area.
    Depot,
    /// A building inside a depot.
    Building,
    /// An explosives magazine.
    Magazine,
    /// A range: a firing range, or an open area where stock is destroyed (open burning, open
    /// detonation). Until format version 2 it also stood for demilitarisation facilities,
    /// which version 2 names [`SiteKind::Demilitarisation`]; a range registered in version 1
    /// keeps that wider meaning.
    Range,
    /// A police station, armoury or other holding point.
    Armoury,
    /// A forensic or ballistic laboratory (format version 2).
    Laboratory,
    /// A demilitarisation facility: a plant or workshop where weapons and ammunition are
    /// destroyed or rendered inert (cutting, crushing, shredding, melting, incineration),
    /// as opposed to a range (format version 2).
    Demilitarisation,
}

/// What a lot holds, in the words of the IATG (01.10 glossary) and, for firearms parts, of the
/// UN Firearms Protocol (format version 2; optional). A rule can tell a lot of complete rounds
/// from a lot of bulk explosives without parsing its nomenclature.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotCategory {
    /// Ammunition: complete rounds, cartridges, projectiles, grenades, mortar bombs, rockets.
    Ammunition,
    /// Explosives in bulk (high explosives: TNT, RDX, PETN, plastic explosive, blasting
    /// charges).
    Explosives,
    /// Propellant in bulk (gun and rocket propellants, propelling charges).
    Propellant,
    /// Pyrotechnics (signal flares, illuminating, smoke and marking compositions).
    Pyrotechnics,
    /// Explosive components of ammunition: fuzes, primers, detonators, initiators, boosters.
    Components,
    /// Parts and components of firearms (Firearms Protocol, art. 3 (b)): barrels, frames,
    /// receivers, slides, cylinders, bolts, breech blocks.
    Parts,
}

/// UN hazard division of class 1 (IATG 01.50).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum HazardDivision {
    /// Mass explosion hazard.
    #[serde(rename = "1.1")]
    D1_1,
    /// Projection hazard.
    #[serde(rename = "1.2")]
    D1_2,
    /// Fire hazard, minor blast or projection.
    #[serde(rename = "1.3")]
    D1_3,
    /// No significant hazard.
    #[serde(rename = "1.4")]
    D1_4,
    /// Very insensitive, mass explosion hazard.
    #[serde(rename = "1.5")]
    D1_5,
    /// Extremely insensitive.
    #[serde(rename = "1.6")]
    D1_6,
}

/// Compatibility group letter, A to S (I, M and O are not used; the ledger accepts any letter
/// A–S and leaves the mixing rules to plugins).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[allow(missing_docs, reason = "the letters are the names")]
pub enum CompatibilityGroup {
    A,
    B,
    C,
    D,
    E,
    F,
    G,
    H,
    J,
    K,
    L,
    N,
    S,
}

/// Hazard classification of a lot.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct Hazard {
    /// UN division.
    pub division: HazardDivision,
    /// Compatibility group.
    pub group: CompatibilityGroup,
}

/// A site as registered.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Site {
    /// Its id.
    pub id: SiteId,
    /// Human-readable name.
    pub name: String,
    /// What it is.
    pub kind: SiteKind,
    /// The enclosing site (a magazine's depot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<SiteId>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Licensed net explosive quantity, grams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensed_neq_grams: Option<Quantity>,
    /// Hazard divisions the site may store; empty means the licence does not say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazard_divisions: Vec<HazardDivision>,
    /// Whether weapons are issued and returned here under the two-person rule: the issuer
    /// and the person receiving or returning the weapon both sign (format version 2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub two_person_rule: bool,
}

/// The status of an item or lot in format version 1: one value mixing its condition and its
/// disposition. Version-2 events say [`Condition`] and [`Disposition`] instead; a version-1
/// value maps onto both ([`StockStatus::after_legacy`]).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fit for use.
    #[default]
    Serviceable,
    /// Not fit for use.
    Unserviceable,
    /// Declared surplus to requirements.
    Surplus,
    /// Use suspended pending inspection (IATG).
    Suspended,
    /// Selected for destruction.
    PendingDestruction,
}

/// Whether stock is fit for use (IATG 03.10's condition codes, reduced to what a record needs).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Fit for use.
    #[default]
    Serviceable,
    /// Not fit for use and not being repaired.
    Unserviceable,
    /// Being repaired or maintained.
    UnderRepair,
    /// Use suspended by a technical authority (IATG): not to be issued until lifted.
    Suspended,
}

/// What is to become of stock, or the legal hold it is under: independent of its condition.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Held for use by the state.
    #[default]
    InService,
    /// Declared surplus to requirements (a candidate for destruction or lawful disposal).
    Surplus,
    /// Selected for destruction.
    PendingDestruction,
    /// Held as evidence for a court: moved only to forensics, never destroyed while held.
    EvidenceHold,
    /// Forfeited to the state by a court order: may be destroyed or taken into service.
    Forfeited,
    /// Deactivated (UN Firearms Protocol art. 9): stays on the books as such.
    Deactivated,
}

/// The condition and disposition of an item or lot.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, Default,
)]
pub struct StockStatus {
    /// Fit for use or not.
    pub condition: Condition,
    /// What is to become of it.
    pub disposition: Disposition,
}

impl StockStatus {
    /// The status after a format-version-1 event set `status`: `serviceable`, `unserviceable`
    /// and `suspended` set the condition and return the stock to service; `surplus` and
    /// `pending_destruction` set the disposition and keep the condition. Then
    /// [`StockStatus::legacy`] gives back exactly the value version 1 recorded.
    pub const fn after_legacy(self, status: Status) -> StockStatus {
        let condition = match status {
            Status::Serviceable => Condition::Serviceable,
            Status::Unserviceable => Condition::Unserviceable,
            Status::Suspended => Condition::Suspended,
            Status::Surplus | Status::PendingDestruction => self.condition,
        };
        match status {
            Status::Serviceable | Status::Unserviceable | Status::Suspended => StockStatus {
                condition,
                disposition: Disposition::InService,
            },
            Status::Surplus => StockStatus {
                condition: self.condition,
                disposition: Disposition::Surplus,
            },
            Status::PendingDestruction => StockStatus {
                condition: self.condition,
                disposition: Disposition::PendingDestruction,
            },
        }
    }

    /// The single format-version-1 value closest to this status, for readers of version 1
    /// (the rule plugins' `status` member): a disposition other than in service wins over the
    /// condition; evidence hold reads as `suspended`, forfeited as `pending_destruction`,
    /// deactivated and under repair as `unserviceable`.
    pub const fn legacy(self) -> Status {
        match self.disposition {
            Disposition::Surplus => Status::Surplus,
            Disposition::PendingDestruction | Disposition::Forfeited => Status::PendingDestruction,
            Disposition::EvidenceHold => Status::Suspended,
            Disposition::Deactivated => Status::Unserviceable,
            Disposition::InService => match self.condition {
                Condition::Serviceable => Status::Serviceable,
                Condition::Unserviceable | Condition::UnderRepair => Status::Unserviceable,
                Condition::Suspended => Status::Suspended,
            },
        }
    }
}

/// How stock entered the national inventory.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginKind {
    /// Made by a national manufacturer.
    Manufactured,
    /// Imported.
    Imported,
    /// Seized by law enforcement.
    Seized,
    /// Surrendered voluntarily (amnesty).
    Surrendered,
    /// Collected (weapons collection programme).
    Collected,
    /// Already in the stockpile when the ledger started.
    StockOnHand,
}

/// Origin of registered stock.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Origin {
    /// How it entered.
    pub kind: OriginKind,
    /// Case number, import licence, contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// For imported stock: the import record (format version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Box<ImportRecord>>,
}

/// Firearm or light weapon (ITI categories).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemCategory {
    /// Small arm: pistol, rifle, carbine, sub-machine gun, light machine gun.
    Firearm,
    /// Light weapon: heavy machine gun, grenade launcher, mortar under 100 mm, MANPADS.
    LightWeapon,
}

/// Import marking (ITI §8(b), CIFTA art. VI).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ImportMarking {
    /// Country of import, ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Year of import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    /// Importer's name (and address, CIFTA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importer: Option<String>,
}

/// The marking of a firearm (ITI §8(a), CIFTA art. VI). Every element is optional here because
/// seized weapons arrive with defaced marks; which elements are mandatory is a national rule,
/// enforced by a plugin.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, Default)]
pub struct Marking {
    /// Manufacturer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Country of manufacture, ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_manufacture: Option<String>,
    /// Serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Year of manufacture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Calibre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibre: Option<String>,
    /// Import marking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportMarking>,
}

/// A serialized item as registered.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Item {
    /// Its id.
    pub id: ItemId,
    /// Firearm or light weapon.
    pub category: ItemCategory,
    /// Type, free text (`assault rifle`, `pistol`).
    #[serde(rename = "type")]
    pub item_type: String,
    /// Its marking.
    pub marking: Marking,
    /// Initial status, format version 1 only (serviceable if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Initial condition, format version 2 (serviceable if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Initial disposition, format version 2 (in service if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    /// Its UN Register / ATT category, beside the free-text `type` (format version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub att_category: Option<AttCategory>,
    /// Hazard classification of a serialized munition (a missile, a rocket; format version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hazard: Option<Hazard>,
    /// Net explosive quantity of a serialized munition, milligrams (format version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neq_mg: Option<Quantity>,
}

impl Lot {
    /// Net explosive quantity per unit in milligrams: `neq_mg`, or the grams × 1000 (how a
    /// version-1 lot's grams read); `None` only if that overflows.
    pub fn neq_mg_per_unit(&self) -> Option<u64> {
        match self.neq_mg {
            Some(mg) => Some(mg.get()),
            None => self.neq_grams_per_unit.get().checked_mul(1000),
        }
    }
}

/// Smallest unit a lot is counted in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Cartridges.
    Round,
    /// Whole pieces (grenades, mines, fuzes, parts).
    Piece,
    /// Grams (bulk explosive, propellant).
    Gram,
    /// Millimetres (detonating cord, safety fuse; format version 2).
    Millimetre,
}

/// A lot of fungible units as registered.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Lot {
    /// Its id.
    pub id: LotId,
    /// Nomenclature (`cartridge 7.62x39 ball`).
    pub nomenclature: String,
    /// Manufacturer's lot or batch number.
    pub lot_number: String,
    /// What one unit is.
    pub unit: Unit,
    /// How many units are registered.
    pub quantity: Quantity,
    /// Hazard classification; absent for inert parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hazard: Option<Hazard>,
    /// Net explosive quantity per unit, grams (whole grams: with `neq_mg`, its whole grams).
    pub neq_grams_per_unit: Quantity,
    /// Net explosive quantity per unit, milligrams (format version 2): a 9 mm round's 350 mg
    /// where the grams say 0. Absent: the grams × 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neq_mg: Option<Quantity>,
    /// Manufacture month or date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufactured: Option<Date>,
    /// Next inspection due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_inspection: Option<Date>,
    /// Shelf-life expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<Date>,
    /// Initial status, format version 1 only (serviceable if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Initial condition, format version 2 (serviceable if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Initial disposition, format version 2 (in service if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    /// What the lot holds, format version 2 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<LotCategory>,
}

/// Marking text as compared by tracing lookups (`find`) and by rule plugins' questions:
/// spaces removed, case folded; hyphens and other signs kept.
pub(crate) fn normalise_marking(text: &str) -> String {
    if text.is_ascii() {
        // Nearly every marking: byte by byte into a string of the right size, the same
        // result as the general case (`char::is_whitespace` of an ASCII character, which
        // unlike `u8::is_ascii_whitespace` counts the vertical tab).
        let mut out = String::with_capacity(text.len());
        out.extend(
            text.bytes()
                .map(char::from)
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase()),
        );
        return out;
    }
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ascii_marking_normalises_as_the_general_case_does() {
        let general = |t: &str| -> String {
            t.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_uppercase)
                .collect()
        };
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for text in [
            every_ascii.as_str(),
            "ak-47 sn 1234",
            "\u{b}x\ty\r\nz ",
            "",
            "  ",
        ] {
            assert_eq!(normalise_marking(text), general(text), "{text:?}");
        }
        assert_eq!(normalise_marking("a\u{b}b"), "AB");
        assert_eq!(normalise_marking("straße 9"), "STRASSE9");
    }

    #[test]
    fn a_legacy_status_reads_back_after_any_history() {
        // Whatever version-1 statuses came before, the last one set reads back unchanged.
        let all = Status::ALL;
        for &a in all {
            for &b in all {
                for &c in all {
                    let s = StockStatus::default()
                        .after_legacy(a)
                        .after_legacy(b)
                        .after_legacy(c);
                    assert_eq!(s.legacy(), c, "{a:?} then {b:?} then {c:?}");
                }
            }
        }
        assert_eq!(StockStatus::default().legacy(), Status::default());
    }

    #[test]
    fn dispositions_win_over_conditions_in_the_legacy_reading() {
        let s = StockStatus {
            condition: Condition::Suspended,
            disposition: Disposition::Surplus,
        };
        assert_eq!(s.legacy(), Status::Surplus);
        let held = StockStatus {
            condition: Condition::Serviceable,
            disposition: Disposition::EvidenceHold,
        };
        assert_eq!(held.legacy(), Status::Suspended);
    }
}
