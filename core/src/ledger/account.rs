//! Double-entry accounts. Every movement of stock debits one account and credits another.
//!
//! Sign conventions (checked by `State::check_invariants`):
//! - source accounts only ever give, so their balances are ≤ 0;
//! - discrepancy accounts are suspense accounts under investigation and may take either sign
//!   (units missing: positive; units found beyond the books: negative);
//! - every other account (holdings, in transit, sinks) is ≥ 0;
//! - for every lot and item, the balances over all accounts sum to zero.

use serde::{Deserialize, Serialize};

use crate::model::LossKind;
use crate::model::{ActorId, EventId, ItemId, LotId, OriginKind, SiteId};

/// Where units come from.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Registered with this origin.
    Origin(OriginKind),
    /// A lot formed by splitting or merging other lots.
    Rebatched,
    /// Units found beyond the books and brought on them by a board of inquiry (format
    /// version 2).
    Regularised,
}

/// Where units end. Destroyed is terminal; lost and stolen may be recovered.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sink {
    /// Destroyed under a witnessed, authorised destruction. Never debited.
    Destroyed,
    /// Reported lost.
    Lost,
    /// Reported stolen.
    Stolen,
    /// Consumed (training, testing).
    Consumed,
    /// Exported.
    Exported,
    /// Moved into another lot by a split or a merge.
    Rebatched,
    /// Seized stock returned to its lawful owner by a judicial order (format version 2).
    ReturnedToOwner,
}

impl Sink {
    /// The sink's name, as in account names (`sink:destroyed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Sink::Destroyed => "destroyed",
            Sink::Lost => "lost",
            Sink::Stolen => "stolen",
            Sink::Consumed => "consumed",
            Sink::Exported => "exported",
            Sink::Rebatched => "rebatched",
            Sink::ReturnedToOwner => "returned_to_owner",
        }
    }
}

impl From<LossKind> for Sink {
    fn from(kind: LossKind) -> Self {
        match kind {
            LossKind::Lost => Sink::Lost,
            LossKind::Stolen => Sink::Stolen,
        }
    }
}

/// An account in the double-entry books.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// Units enter the books from here.
    Source(Source),
    /// In the charge of a custodian at a site.
    Holding {
        /// The site.
        site: SiteId,
        /// The custodian.
        custodian: ActorId,
    },
    /// Dispatched and not yet received, per dispatch.
    InTransit(EventId),
    /// Difference found by a receipt or a stock check, per event, under investigation.
    Discrepancy(EventId),
    /// Units leave the books here.
    Sink(Sink),
}

impl Account {
    /// Whether this account may hold a negative balance.
    pub fn may_go_negative(&self) -> bool {
        matches!(self, Account::Source(_) | Account::Discrepancy(_))
    }
}

/// Something whose units are counted: a serialized item (always one unit) or a lot.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stock {
    /// A serialized item.
    Item(ItemId),
    /// A lot.
    Lot(LotId),
}

impl std::fmt::Display for Stock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stock::Item(id) => write!(f, "{id}"),
            Stock::Lot(id) => write!(f, "{id}"),
        }
    }
}

impl std::fmt::Display for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Account::Source(Source::Origin(k)) => write!(f, "source:{}", k.as_str()),
            Account::Source(Source::Rebatched) => write!(f, "source:rebatched"),
            Account::Source(Source::Regularised) => write!(f, "source:regularised"),
            Account::Holding { site, custodian } => write!(f, "{custodian}@{site}"),
            Account::InTransit(id) => write!(f, "in_transit:{id}"),
            Account::Discrepancy(id) => write!(f, "discrepancy:{id}"),
            Account::Sink(s) => write!(f, "sink:{}", s.as_str()),
        }
    }
}

/// One movement: `quantity` units of `stock` from `from` to `to`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Posting {
    /// What moves.
    pub stock: Stock,
    /// Debited account.
    pub from: Account,
    /// Credited account.
    pub to: Account,
    /// Units (1 for an item).
    pub quantity: u64,
}
