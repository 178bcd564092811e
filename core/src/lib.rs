#![doc = include_str!("../README.md")]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod api;
mod envelope;
pub mod error;
pub mod event;
mod ledger;
pub mod merkle;
pub mod model;
pub mod note;
mod par;
mod rows;
pub mod rules;
pub mod sigcheck;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
mod verify;
pub mod witness;

pub use api::*;
pub use error::{Error, ErrorCode, ErrorFamily, ErrorKind, Result};
pub use event::{Body, Event, SignedEvent, Signer};
pub use model::{ActorId, Digest, EventId, ItemId, LotId, PublicKey, SiteId, Timestamp};
pub use store::{BATCH_EVENTS_MAX, ORIGIN_BYTES_MAX, STORE_FORMAT_VERSION};
pub use verify::verify_jsonl;

/// The examples of `docs/API.md`, run as doctests so the page cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../docs/API.md")]
struct ApiDocs;
