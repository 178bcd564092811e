//! The ledger: state derived by replaying events, with double-entry conservation, custody
//! continuity, terminal destruction and key validity enforced on every event.

mod account;
mod apply;
mod context;
mod error;
mod state;

pub use account::{Account, Posting, Sink, Source, Stock};
pub(crate) use apply::{Applied, RecordedVerdicts, SignatureCheck};
pub use apply::{RuleEngine, RuleOutcome, RuleWarning};
pub(crate) use error::LedgerError;
pub use state::{
    ActorState, Authorisation, InvariantError, ItemState, LotState, SiteState, State, Transfer,
};
