#![doc = include_str!("../README.md")]
#![allow(
    clippy::result_large_err,
    reason = "errors carry the values a caller needs to act on; the error path is cold"
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod event;
pub mod graph;
pub mod ledger;
pub mod merkle;
pub mod model;
pub mod note;
pub mod schema;
pub mod scribe;
pub mod store;
pub mod synth;
pub mod verify;

pub use event::{Body, Event, SignedEvent, Signer};
pub use ledger::{Ledger, LedgerError, State, Stock};
pub use model::{ActorId, EventId, ItemId, LotId, SiteId, Timestamp};
pub use verify::{VerifyReport, verify_jsonl};
