//! The ledger: the event kinds and the state derived by replaying them, with double-entry
//! conservation, custody continuity, terminal destruction, key validity and time order
//! enforced on every event. Everything here is internal; the front door (`crate::Ledger`)
//! is the way in.

mod account;
mod apply;
mod commit;
pub(crate) mod input_schema;
mod journal;
pub(crate) mod kinds;
mod legal;
mod lifecycle;
mod lot_integrity;
mod marking_index;
mod plan;
mod queries;
mod rules;
mod state;
mod surveillance;
mod trade;

pub use account::{Account, Posting, Source, Stock};
pub(crate) use apply::{Applied, SignatureCheck};
pub use kinds::Body;
pub(crate) use plan::Policy;
pub use queries::{Answer, DivisionHolding, FullCount, RuleQueries};
#[cfg(test)]
pub(crate) use queries::{StateQueries, marking_registered_by_scan};
pub(crate) use rules::RecordedVerdicts;
pub use rules::{RuleEngine, RuleOutcome, RuleWarning};
pub(crate) use state::{ActorState, ItemState, LotState, SiteState, State};

/// An event of this ledger's kinds.
pub type Event = crate::envelope::Event<Body>;
/// A signed event of this ledger's kinds.
pub type SignedEvent = crate::envelope::SignedEvent<Body>;
