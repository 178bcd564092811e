//! The vocabularies of seizures, judicial orders and deactivation (format version 2): what a
//! court decides about stock held as evidence, the deactivation mark (UN Firearms Protocol
//! art. 9).

use serde::{Deserialize, Serialize};

/// What a judicial order decides about stock under an evidence hold.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JudicialDecision {
    /// The hold is lifted: the stock returns to service (its disposition `in_service`).
    Release,
    /// The stock is forfeited to the state (disposition `forfeited`): it may then be destroyed
    /// or, marked for official use, taken into service.
    Forfeiture,
    /// The court orders the stock destroyed (disposition `pending_destruction`).
    Destruction,
    /// The stock is returned to its lawful owner: it leaves the books through the
    /// `returned_to_owner` sink.
    ReturnToOwner,
}

/// The mark that shows a firearm is deactivated (UN Firearms Protocol art. 9).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DeactivationMark {
    /// What it says.
    pub text: String,
    /// Where it is on the weapon.
    pub position: String,
}
