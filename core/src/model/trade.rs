//! The records of transfers between states (ATT art. 12, Firearms Protocol arts. 7 and 10,
//! CIFTA art. IX): licences with their issue and expiry dates, the end-user certificate, the
//! final consignee, delivery verification, the import record of imported stock; the states
//! they name (ISO 3166-1 alpha-2, checked against the official list); and the UN Register /
//! ATT categories used as a controlled vocabulary for weapon types in reports.

use serde::{Deserialize, Serialize};

use crate::model::Date;
use crate::model::iso3166::ISO_3166_1_ALPHA_2;

/// Whether `code` is an assigned ISO 3166-1 alpha-2 code.
pub fn is_country(code: &str) -> bool {
    country_name(code).is_some()
}

/// The English short name of an ISO 3166-1 alpha-2 code.
pub fn country_name(code: &str) -> Option<&'static str> {
    ISO_3166_1_ALPHA_2
        // Byte by byte, inline: codes are two letters, and a call to `memcmp` per step was
        // most of the cost (every place an event names is looked up here).
        .binary_search_by(|(c, _)| c.bytes().cmp(code.bytes()))
        .ok()
        .and_then(|i| ISO_3166_1_ALPHA_2.get(i))
        .map(|(_, name)| *name)
}

/// What a licence authorises.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceKind {
    /// Export licence or authorisation, issued by the exporting state.
    Export,
    /// Import licence, permit or authorisation, issued by the importing state.
    Import,
    /// Transit or trans-shipment authorisation, issued by a transit state.
    Transit,
}

/// A licence or authorisation (Firearms Protocol art. 10, CIFTA art. IX).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Licence {
    /// Export, import or transit.
    pub kind: LicenceKind,
    /// Its number.
    pub number: String,
    /// The issuing state, ISO 3166-1 alpha-2.
    pub state: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued: Date,
    /// Last day of validity, `YYYY-MM-DD`.
    pub expires: Date,
}

/// The end-user (or end-use) certificate (ATT art. 11, Firearms Protocol art. 10).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct EndUserCertificate {
    /// Its reference number.
    pub reference: String,
    /// The authority that issued it.
    pub issued_by: String,
    /// The declared end use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_use: Option<String>,
}

/// The final consignee (ATT art. 12.3).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Consignee {
    /// Name of the consignee (a ministry, an armed force, a company).
    pub name: String,
    /// Its state, ISO 3166-1 alpha-2.
    pub country: String,
    /// Its address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// Confirmation of delivery issued by the importing state (a delivery verification
/// certificate, Firearms Protocol art. 10.4).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DeliveryVerification {
    /// Certificate number.
    pub reference: String,
    /// The authority that issued it.
    pub issued_by: String,
    /// The issuing (importing) state, ISO 3166-1 alpha-2.
    pub state: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub date: Date,
}

/// Why stock leaves the national inventory for another state (a disposal other than
/// destruction, when it is not a sale).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferBasis {
    /// Commercial sale.
    Sale,
    /// Donation (gift, aid).
    Donation,
    /// Government-to-government transfer.
    GovernmentToGovernment,
    /// Loan or lease, to come back.
    Loan,
    /// Return to the state or manufacturer it came from (repair, warranty, end of loan).
    Return,
}

/// The import record of stock entering the inventory from another state (ATT art. 12.2,
/// Firearms Protocol art. 7, CIFTA art. XI).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ImportRecord {
    /// The day the stock entered this state (customs clearance), `YYYY-MM-DD`: the licences
    /// must be valid on it, and it is not after the registration.
    pub date: Date,
    /// The exporting state, ISO 3166-1 alpha-2.
    pub exporting_state: String,
    /// The exporter (manufacturer, company, government).
    pub exporter: String,
    /// States crossed on the way, ISO 3166-1 alpha-2, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transit_states: Vec<String>,
    /// Licences: the exporting state's export licence, this state's import licence, each
    /// transit state's authorisation.
    pub licences: Vec<Licence>,
    /// The end-user certificate this state issued for the transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_user_certificate: Option<EndUserCertificate>,
    /// The delivery verification certificate this state issued to the exporting state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_verification: Option<DeliveryVerification>,
    /// Contract or agreement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
}

/// The UN Register of Conventional Arms / ATT reporting categories of small arms and light
/// weapons (the SALW subcategories of the ATT annual report template, and MANPADS from
/// category VII), a controlled vocabulary beside an item's free-text `type`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttCategory {
    /// Small arms: revolvers and self-loading pistols.
    RevolversAndSelfLoadingPistols,
    /// Small arms: rifles and carbines.
    RiflesAndCarbines,
    /// Small arms: sub-machine guns.
    SubMachineGuns,
    /// Small arms: assault rifles.
    AssaultRifles,
    /// Small arms: light machine guns.
    LightMachineGuns,
    /// Small arms: others.
    SmallArmsOther,
    /// Light weapons: heavy machine guns.
    HeavyMachineGuns,
    /// Light weapons: hand-held under-barrel and mounted grenade launchers.
    GrenadeLaunchers,
    /// Light weapons: portable anti-tank guns.
    PortableAntiTankGuns,
    /// Light weapons: recoilless rifles.
    RecoillessRifles,
    /// Light weapons: portable anti-tank missile launchers and rocket systems.
    PortableAntiTankMissileLaunchersAndRocketSystems,
    /// Light weapons: mortars of calibres less than 75 mm.
    #[serde(rename = "mortars_under_75mm")]
    MortarsUnder75mm,
    /// Light weapons: others.
    LightWeaponsOther,
    /// Category VII(b): man-portable air defence systems.
    Manpads,
}

#[cfg(test)]
mod tests {
    use super::{ISO_3166_1_ALPHA_2, country_name, is_country};

    #[test]
    fn every_listed_code_is_found_with_its_name_and_nothing_else_is() {
        assert!(ISO_3166_1_ALPHA_2.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, name) in ISO_3166_1_ALPHA_2 {
            assert_eq!(country_name(code), Some(*name));
            assert!(!is_country(&code.to_ascii_lowercase()));
            assert!(!is_country(&format!("{code}A")));
        }
        for code in ["", "A", "XK", "ZZ", "AAA", "U", "US "] {
            assert!(!is_country(code), "{code}");
        }
    }
}
