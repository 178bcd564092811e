#![doc = include_str!("../README.md")]
// The C API is a boundary of raw pointers: dereferencing what C hands over is the one thing
// this crate exists to do, so the workspace's `unsafe_code = "deny"` is lifted here. Every
// unsafe block is one pointer operation with a `// SAFETY:` comment, and all of them go
// through the helpers of `boundary.rs` except the `_free` functions.
#![allow(
    unsafe_code,
    reason = "a C API dereferences the pointers its callers pass; each block says why it is sound"
)]
// Names are the C names (`custodia_ledger`, `custodia_result`): cbindgen writes the header from
// them, and a C programmer searches for exactly these strings.
#![allow(non_camel_case_types, reason = "the types are named as C sees them")]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// The core crate under its own name (the dependency is renamed in Cargo.toml).
extern crate custodia_core as custodia;

mod boundary;
mod error;
mod key;
mod ledger;
mod meta;
mod report;
mod result;
mod result_codes;
mod rules;

pub use error::*;
pub use key::*;
pub use ledger::*;
pub use meta::*;
pub use report::*;
pub use result::custodia_result;
pub use rules::*;
