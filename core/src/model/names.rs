//! The wire names of the model's vocabularies (`pending_destruction`, `1.4`, `custodian`), as
//! `as_str` on each enum and a list of every value, so that code that needs the name (tables,
//! messages, display) never goes through serde and never has a failure to hide. A test checks
//! that each name is exactly what serde writes.

use crate::model::{
    ActorKind, AttCategory, CompatibilityGroup, Condition, ConditionCode, DestructionMethod,
    Disposition, HazardDivision, InspectionOutcome, InspectionTest, ItemCategory, JudicialDecision,
    LicenceKind, LossKind, LotCategory, MarkKind, OriginKind, Role, SiteKind, Status, TraceChannel,
    TraceOutcome, TraceRefusal, TransferBasis, Unit,
};

/// A name that is not one of a vocabulary's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not one of: {expected}")]
pub struct UnknownName {
    /// The name given.
    pub value: String,
    /// The names accepted, comma-separated.
    pub expected: String,
}

macro_rules! names {
    ($($ty:ident { $($variant:ident => $name:literal),* $(,)? })*) => {
        $(
            impl $ty {
                /// Every value, in declaration order.
                pub const ALL: &'static [$ty] = &[$($ty::$variant,)*];
                /// The value's name on the wire.
                pub const fn as_str(self) -> &'static str {
                    match self {
                        $($ty::$variant => $name,)*
                    }
                }
            }

            impl std::fmt::Display for $ty {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl std::str::FromStr for $ty {
                type Err = UnknownName;
                fn from_str(text: &str) -> Result<Self, UnknownName> {
                    $ty::ALL
                        .iter()
                        .copied()
                        .find(|v| v.as_str() == text)
                        .ok_or_else(|| UnknownName {
                            value: text.to_owned(),
                            expected: $ty::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                        })
                }
            }
        )*

        #[cfg(test)]
        mod tests {
            use super::*;

            #[test]
            fn each_name_is_what_serde_writes() {
                $(
                    for v in $ty::ALL {
                        assert_eq!(
                            serde_json::to_value(v).unwrap(),
                            serde_json::Value::String(v.as_str().to_owned())
                        );
                        assert_eq!(v.as_str().parse::<$ty>().unwrap(), *v);
                    }
                    assert!("no such name".parse::<$ty>().is_err());
                )*
            }
        }
    };
}

names! {
    TraceChannel { Direct => "direct", Interpol => "interpol" }
    TraceOutcome { Identified => "identified", NotFound => "not_found", Refused => "refused" }
    TraceRefusal {
        InsufficientInformation => "insufficient_information",
        OutsideScope => "outside_scope",
        CriminalInvestigation => "criminal_investigation",
        LegalProtection => "legal_protection",
        NationalSecurity => "national_security",
    }
    ActorKind { Agency => "agency", Unit => "unit", Person => "person" }
    Role {
        Admin => "admin",
        Custodian => "custodian",
        Authoriser => "authoriser",
        Destroyer => "destroyer",
        Witness => "witness",
        Inspector => "inspector",
        TechnicalAuthority => "technical_authority",
    }
    SiteKind {
        Depot => "depot",
        Building => "building",
        Magazine => "magazine",
        Range => "range",
        Armoury => "armoury",
        Laboratory => "laboratory",
        Demilitarisation => "demilitarisation",
    }
    LotCategory {
        Ammunition => "ammunition",
        Explosives => "explosives",
        Propellant => "propellant",
        Pyrotechnics => "pyrotechnics",
        Components => "components",
        Parts => "parts",
    }
    HazardDivision {
        D1_1 => "1.1",
        D1_2 => "1.2",
        D1_3 => "1.3",
        D1_4 => "1.4",
        D1_5 => "1.5",
        D1_6 => "1.6",
    }
    CompatibilityGroup {
        A => "A", B => "B", C => "C", D => "D", E => "E", F => "F", G => "G", H => "H",
        J => "J", K => "K", L => "L", N => "N", S => "S",
    }
    Status {
        Serviceable => "serviceable",
        Unserviceable => "unserviceable",
        Surplus => "surplus",
        Suspended => "suspended",
        PendingDestruction => "pending_destruction",
    }
    Condition {
        Serviceable => "serviceable",
        Unserviceable => "unserviceable",
        UnderRepair => "under_repair",
        Suspended => "suspended",
    }
    Disposition {
        InService => "in_service",
        Surplus => "surplus",
        PendingDestruction => "pending_destruction",
        EvidenceHold => "evidence_hold",
        Forfeited => "forfeited",
        Deactivated => "deactivated",
    }
    OriginKind {
        Manufactured => "manufactured",
        Imported => "imported",
        Seized => "seized",
        Surrendered => "surrendered",
        Collected => "collected",
        StockOnHand => "stock_on_hand",
    }
    ItemCategory { Firearm => "firearm", LightWeapon => "light_weapon" }
    Unit { Round => "round", Piece => "piece", Gram => "gram", Millimetre => "millimetre" }
    InspectionTest {
        Visual => "visual",
        Functional => "functional",
        ChemicalStability => "chemical_stability",
    }
    InspectionOutcome { Pass => "pass", Marginal => "marginal", Fail => "fail" }
    ConditionCode {
        A => "A", B => "B", C => "C", D => "D", E => "E", F => "F", G => "G", H => "H",
        J => "J", K => "K", L => "L", M => "M", N => "N", P => "P",
    }
    LossKind { Lost => "lost", Stolen => "stolen" }
    LicenceKind { Export => "export", Import => "import", Transit => "transit" }
    MarkKind {
        Import => "import",
        State => "state",
        RestoredSerial => "restored_serial",
        OfficialUse => "official_use",
        Unique => "unique",
    }
    DestructionMethod {
        Cutting => "cutting",
        Shredding => "shredding",
        Crushing => "crushing",
        Pressing => "pressing",
        Deformation => "deformation",
        Melting => "melting",
        OpenBurning => "open_burning",
        OpenDetonation => "open_detonation",
        ContainedDetonation => "contained_detonation",
        Incineration => "incineration",
        Disassembly => "disassembly",
        ExplosiveRemoval => "explosive_removal",
        ChemicalNeutralisation => "chemical_neutralisation",
        Cryofracture => "cryofracture",
        Other => "other",
    }
    JudicialDecision {
        Release => "release",
        Forfeiture => "forfeiture",
        Destruction => "destruction",
        ReturnToOwner => "return_to_owner",
    }
    TransferBasis {
        Sale => "sale",
        Donation => "donation",
        GovernmentToGovernment => "government_to_government",
        Loan => "loan",
        Return => "return",
    }
    AttCategory {
        RevolversAndSelfLoadingPistols => "revolvers_and_self_loading_pistols",
        RiflesAndCarbines => "rifles_and_carbines",
        SubMachineGuns => "sub_machine_guns",
        AssaultRifles => "assault_rifles",
        LightMachineGuns => "light_machine_guns",
        SmallArmsOther => "small_arms_other",
        HeavyMachineGuns => "heavy_machine_guns",
        GrenadeLaunchers => "grenade_launchers",
        PortableAntiTankGuns => "portable_anti_tank_guns",
        RecoillessRifles => "recoilless_rifles",
        PortableAntiTankMissileLaunchersAndRocketSystems => "portable_anti_tank_missile_launchers_and_rocket_systems",
        MortarsUnder75mm => "mortars_under_75mm",
        LightWeaponsOther => "light_weapons_other",
        Manpads => "manpads",
    }
}
