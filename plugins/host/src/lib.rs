#![doc = include_str!("../README.md")]

mod abi;
mod cache;
pub(crate) mod canonical;
mod error;
mod host;
mod input;
mod ledger;
mod limits;
mod manifest;
mod pointer;
mod query;
mod sample;
mod verdict;

pub use abi::{
    ABI_VERSION, ABI_VERSIONS, DOC_CONFIG, DOC_INPUT, EXPORT_ABI_VERSION, EXPORT_JUDGE,
    EXPORT_MEMORY, EXPORT_VALIDATE_CONFIG, IMPORT_MODULE, IMPORTS,
};
pub use cache::{
    CACHE_BYTES_MAX, ENTRY_TOUCH_SECS, ENTRY_UNUSED_SECS, ModuleCache, PLUGIN_CACHE_ENV,
    TEMP_STALE_SECS,
};
pub use error::{CallError, HostError, LoadError, MalformedOutput};
pub use host::{Plugin, PluginHost};
pub use input::Input;
pub use ledger::RuleSet;
pub use limits::*;
pub use manifest::{MANIFEST_SCHEMA, Manifest, PluginId, sha256_hex};
pub use query::{DOC_TEXT, IMPORTS_V2, QUERIES_PER_CALL_MAX};
pub use sample::{SAMPLE_HOST_MEMBER, SampleQueries, split_sample};
pub use verdict::{Verdict, Warning};

/// The value a JSON Pointer (RFC 6901) designates, resolved as the host resolves plugins'
/// lookups (no copy of the reference tokens unless they hold an escape).
pub fn json_pointer<'v>(
    root: &'v serde_json::Value,
    pointer: &str,
) -> Option<&'v serde_json::Value> {
    pointer::resolve(root, pointer)
}

/// Canonical (RFC 8785) text of a JSON value, as plugins see it through `get_json` and as the
/// config is hashed into a plugin's identity.
pub fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    canonical::to_vec(value)
}
