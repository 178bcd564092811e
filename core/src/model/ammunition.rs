//! The parts of the ammunition life cycle's events (format version 2): why ammunition was
//! expended, and the residue (fired cases, belt links) turned in after a firing.

use serde::{Deserialize, Serialize};

use crate::model::LotId;

/// Why ammunition was expended.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpenditurePurpose {
    /// Training and qualification firing.
    Training,
    /// Operations.
    Operations,
    /// Proof firing (acceptance or repair proof of weapons or ammunition).
    ProofFiring,
    /// Surveillance firing: functional tests of a lot under surveillance (IATG 07.20).
    SurveillanceFiring,
    /// Demonstration.
    Demonstration,
}

impl ExpenditurePurpose {
    /// Every value, in declaration order.
    pub const ALL: &'static [ExpenditurePurpose] = &[
        ExpenditurePurpose::Training,
        ExpenditurePurpose::Operations,
        ExpenditurePurpose::ProofFiring,
        ExpenditurePurpose::SurveillanceFiring,
        ExpenditurePurpose::Demonstration,
    ];

    /// The value's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExpenditurePurpose::Training => "training",
            ExpenditurePurpose::Operations => "operations",
            ExpenditurePurpose::ProofFiring => "proof_firing",
            ExpenditurePurpose::SurveillanceFiring => "surveillance_firing",
            ExpenditurePurpose::Demonstration => "demonstration",
        }
    }

    /// Whether the firing tests the ammunition itself (proof and surveillance firing), which
    /// is how a suspended or unserviceable lot is judged: such a firing may take it.
    pub const fn tests_the_ammunition(self) -> bool {
        matches!(
            self,
            ExpenditurePurpose::ProofFiring | ExpenditurePurpose::SurveillanceFiring
        )
    }
}

impl std::fmt::Display for ExpenditurePurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Residue of a firing turned in, per lot: fired cartridge cases and belt links, counted.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Residue {
    /// The lot fired.
    pub lot: LotId,
    /// Fired cases turned in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases: Option<u64>,
    /// Belt links turned in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<u64>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn purpose_names_are_what_serde_writes() {
        for p in ExpenditurePurpose::ALL {
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                serde_json::Value::String(p.as_str().to_owned())
            );
        }
    }
}
