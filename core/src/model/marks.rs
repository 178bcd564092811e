//! Marks applied to an item after its registration (format version 2): an import mark, a
//! state (ownership) mark, a serial number restored by a forensic laboratory, the mark on
//! confiscated arms kept for official use (CIFTA art. VI), or a unique mark on a weapon found
//! or seized with its marks missing or illegible (ITI).

use serde::{Deserialize, Serialize};

use crate::model::{ItemId, Marking};

/// What a mark applied after registration is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// The import mark (country and year of import, the importer): carries `import`.
    Import,
    /// A state or ownership mark, on arms in (or transferred from) state stocks.
    State,
    /// A serial number a forensic laboratory restored: carries `serial`.
    RestoredSerial,
    /// The mark on confiscated or forfeited arms kept for official use (CIFTA art. VI).
    OfficialUse,
    /// A unique mark on a weapon whose original marks are missing or illegible.
    Unique,
}

/// One mark applied to one item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Mark {
    /// The item marked.
    pub item: ItemId,
    /// What the mark is.
    pub kind: MarkKind,
    /// What it says: the marking elements it carries (at least one).
    pub elements: Marking,
    /// Where it is on the weapon (`left side of the receiver`).
    pub position: String,
    /// How it was applied (stamping, engraving, laser).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}
