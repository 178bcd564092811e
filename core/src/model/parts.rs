//! The parts events are made of: quantities of lots, places (a custodian at a site), lines of
//! a stock check, witnesses, references to rule plugins. Plain data with serde, shared by the
//! event kinds and the query rows.

use serde::{Deserialize, Serialize};

use crate::model::{ActorId, EventId, ItemId, LotId, Quantity, SiteId};

/// A quantity of one lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotQuantity {
    /// The lot.
    pub lot: LotId,
    /// How many units.
    pub quantity: Quantity,
}

/// A custodian at a site: where stock is held.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct Place {
    /// The site.
    pub site: SiteId,
    /// The unit in charge.
    pub custodian: ActorId,
}

/// A new lot cut from an existing one.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SplitPart {
    /// Id of the new lot.
    pub id: LotId,
    /// Units moved into it.
    pub quantity: Quantity,
}

/// The lot formed by a merge.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct MergeTarget {
    /// Id of the new lot.
    pub id: LotId,
    /// Its lot number.
    pub lot_number: String,
}

/// (Format version 2) A technical authority's approval of a merge of unlike lots (different
/// manufacturing lots, manufacture dates or origins; IATG 03.10 lot integrity). The approver
/// signs the merge; the merged lot records that it is mixed and keeps every source's origin.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct MixedLotApproval {
    /// The technical authority who approves (holds the `technical_authority` role and signs
    /// the event).
    pub by: ActorId,
    /// The approval's reference (technical authority decision, waiver number).
    pub reference: String,
}

/// One line of a stock check for a lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotCount {
    /// The lot.
    pub lot: LotId,
    /// What the books said when counting started; must equal the ledger's balance.
    pub booked: Quantity,
    /// What was counted.
    pub counted: Quantity,
}

/// One line of a stock check for an item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemCount {
    /// The item.
    pub item: ItemId,
    /// Whether it was found.
    pub present: bool,
    /// The serial number read on the item found (format version 2), as marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_serial: Option<String>,
}

/// How much of a holding a stock check counts (format version 2).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountScope {
    /// Everything held: every item and lot of the holding is listed.
    Full,
    /// A sample of what is held.
    Sample,
}

impl CountScope {
    /// The value's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CountScope::Full => "full",
            CountScope::Sample => "sample",
        }
    }
}

/// Destination of a loss: lost or stolen.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// Missing, cause unknown.
    Lost,
    /// Stolen.
    Stolen,
}

/// A witness to a destruction.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Witness {
    /// The witnessing actor.
    pub actor: ActorId,
    /// The agency they represent.
    pub agency: ActorId,
}

/// A plugin put in force, identified by its identity hash.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RuleRef {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Identity hash of the plugin: SHA-256 over its module and configuration (hex).
    pub sha256: EventId,
}
