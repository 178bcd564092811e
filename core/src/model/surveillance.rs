//! The parts of an ammunition surveillance inspection (format version 2, IATG 07.20): the
//! tests made and their outcomes, and the ammunition condition code the lot is given.

use serde::{Deserialize, Serialize};

use crate::model::Condition;

/// A test of ammunition surveillance (IATG 07.20).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionTest {
    /// Visual inspection of packages and units (corrosion, damage, leaks, markings).
    Visual,
    /// Functional (proof or performance) test of samples.
    Functional,
    /// Chemical stability of the propellant or explosive (stabiliser content, heat tests).
    ChemicalStability,
}

/// The outcome of one test.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionOutcome {
    /// Within the acceptance criteria.
    Pass,
    /// Within the criteria but close to a limit: to be watched (a shorter next interval).
    Marginal,
    /// Outside the acceptance criteria.
    Fail,
}

/// One test made by an inspection and its outcome.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct InspectionResult {
    /// Which test.
    pub test: InspectionTest,
    /// Its outcome.
    pub outcome: InspectionOutcome,
    /// How many units were sampled for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<u64>,
    /// The inspector's findings, free text (defects seen, stabiliser content measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// An ammunition condition code (the NATO/US letters: A–D serviceable, E–H and P
/// unserviceable, J–N suspended). The letter says what may be done with the lot; the ledger
/// derives the lot's [`Condition`] from it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum ConditionCode {
    /// Serviceable, issuable without qualification.
    A,
    /// Serviceable, issuable with qualification (restricted to some users or uses).
    B,
    /// Serviceable, priority of issue (short remaining life: to be used first).
    C,
    /// Serviceable, needs test, alteration or modification before issue.
    D,
    /// Unserviceable, limited restoration.
    E,
    /// Unserviceable, reparable.
    F,
    /// Unserviceable, incomplete.
    G,
    /// Unserviceable, condemned.
    H,
    /// Suspended in stock: not to be issued until classified.
    J,
    /// Suspended, returned by a user and awaiting classification.
    K,
    /// Suspended for litigation or investigation.
    L,
    /// Suspended while being worked on.
    M,
    /// Suspended except for emergency combat use.
    N,
    /// Unserviceable, for reclamation.
    P,
}

impl ConditionCode {
    /// The condition a lot with this code is in.
    pub const fn condition(self) -> Condition {
        match self {
            ConditionCode::A | ConditionCode::B | ConditionCode::C | ConditionCode::D => {
                Condition::Serviceable
            }
            ConditionCode::E
            | ConditionCode::F
            | ConditionCode::G
            | ConditionCode::H
            | ConditionCode::P => Condition::Unserviceable,
            ConditionCode::J
            | ConditionCode::K
            | ConditionCode::L
            | ConditionCode::M
            | ConditionCode::N => Condition::Suspended,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspended_codes_are_exactly_j_to_n() {
        let suspended: Vec<&str> = ConditionCode::ALL
            .iter()
            .filter(|c| c.condition() == Condition::Suspended)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(suspended, ["J", "K", "L", "M", "N"]);
    }
}
