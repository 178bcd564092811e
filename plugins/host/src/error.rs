//! Errors of the plugin host: one enum per fallible stage (host setup, loading, calling).

use std::path::PathBuf;

/// Setting up a [`crate::PluginHost`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// A limit is zero or out of its allowed range.
    #[error("limit `{name}` is {value}, it must be between {min} and {max}")]
    InvalidLimit {
        /// The limit's field name in [`crate::Limits`].
        name: &'static str,
        /// The value given.
        value: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// wasmtime refused the engine configuration.
    #[error("cannot create the wasm engine: {reason}")]
    Engine {
        /// wasmtime's explanation.
        reason: String,
    },
    /// The embedded manifest schema does not compile (a build defect).
    #[error("the plugin manifest schema is invalid: {reason}")]
    Schema {
        /// The schema compiler's explanation.
        reason: String,
    },
    /// The folder asked for as the cache of compiled plugins cannot be used.
    #[error("cannot use `{}` as the cache of compiled plugins: {reason}", path.display())]
    Cache {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Loading a plugin (manifest + module) failed; nothing was loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The manifest is not JSON.
    #[error("manifest is not valid JSON: {reason}")]
    ManifestJson {
        /// The parser's explanation.
        reason: String,
    },
    /// The manifest does not follow `schemas/plugin-manifest.schema.json`.
    #[error("manifest violates the schema at `{pointer}`: {reason}")]
    ManifestSchema {
        /// JSON Pointer of the offending value in the manifest.
        pointer: String,
        /// The validator's explanation.
        reason: String,
    },
    /// The manifest names an ABI version this host does not speak.
    #[error(
        "plugin `{name}` declares ABI version {declared}, this host speaks versions {supported:?}"
    )]
    AbiVersionUnsupported {
        /// Plugin name.
        name: String,
        /// `abi_version` in the manifest.
        declared: u32,
        /// [`crate::ABI_VERSIONS`].
        supported: [u32; 2],
    },
    /// The module's `custodia_abi_version` export disagrees with its manifest.
    #[error(
        "module of plugin `{name}` reports ABI version {reported}, its manifest declares {declared}"
    )]
    AbiVersionMismatch {
        /// Plugin name.
        name: String,
        /// `abi_version` in the manifest.
        declared: u32,
        /// What `custodia_abi_version()` returned.
        reported: i64,
    },
    /// The module's sha256 differs from `module_sha256` in the manifest.
    #[error("module of plugin `{name}` has sha256 `{actual}`, its manifest says `{expected}`")]
    ModuleHashMismatch {
        /// Plugin name.
        name: String,
        /// From the manifest.
        expected: String,
        /// Of the bytes given.
        actual: String,
    },
    /// The canonical config's sha256 differs from `config_sha256` in the manifest.
    #[error("config of plugin `{name}` has sha256 `{actual}`, its manifest says `{expected}`")]
    ConfigHashMismatch {
        /// Plugin name.
        name: String,
        /// From the manifest.
        expected: String,
        /// Of the canonical config.
        actual: String,
    },
    /// The config holds a number that is not an integer (floats have no canonical text).
    #[error("config of plugin `{name}` holds a non-integer number at `{pointer}`")]
    ConfigNotInteger {
        /// Plugin name.
        name: String,
        /// JSON Pointer of the number inside the config.
        pointer: String,
    },
    /// The canonical config is larger than [`crate::Limits::config_bytes_max`].
    #[error("config of plugin `{name}` is {bytes} bytes, the limit is {max}")]
    ConfigTooLarge {
        /// Plugin name.
        name: String,
        /// Canonical size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The module is larger than [`crate::Limits::module_bytes_max`].
    #[error("module of plugin `{name}` is {bytes} bytes, the limit is {max}")]
    ModuleTooLarge {
        /// Plugin name.
        name: String,
        /// Module size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not a valid WebAssembly core module.
    #[error("module of plugin `{name}` is not a valid wasm module: {reason}")]
    ModuleInvalid {
        /// Plugin name.
        name: String,
        /// The validator's explanation.
        reason: String,
    },
    /// The module imports something outside the ABI (WASI, a clock, randomness, ...).
    #[error(
        "module of plugin `{name}` imports `{module}::{import}`, which is outside the plugin ABI"
    )]
    ForbiddenImport {
        /// Plugin name.
        name: String,
        /// Import module name.
        module: String,
        /// Import field name.
        import: String,
    },
    /// The module lacks an export the ABI requires, or it has the wrong type.
    #[error("module of plugin `{name}` lacks the export `{export}` of type {expected}")]
    MissingExport {
        /// Plugin name.
        name: String,
        /// The export.
        export: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// An ABI import has the wrong signature.
    #[error("module of plugin `{name}` cannot be linked: {reason}")]
    Link {
        /// Plugin name.
        name: String,
        /// wasmtime's explanation.
        reason: String,
    },
    /// The plugin's `validate_config` export refused its configuration.
    #[error("plugin `{name}` refuses its configuration at `{field}`: {code}: {message}")]
    ConfigRefused {
        /// Plugin name.
        name: String,
        /// JSON Pointer of the refused field in the configuration (`""`: the whole of it).
        field: String,
        /// The plugin's stable code.
        code: String,
        /// The plugin's explanation.
        message: String,
    },
    /// Instantiating the module or calling `custodia_abi_version` or `validate_config` failed.
    #[error("probing plugin `{name}` failed: {source}")]
    Probe {
        /// Plugin name.
        name: String,
        /// What went wrong.
        #[source]
        source: CallError,
    },
}

/// Why a plugin's output was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedOutput {
    /// A code or message is not UTF-8.
    #[error("{field} is not valid UTF-8")]
    InvalidUtf8 {
        /// `code` or `message`.
        field: &'static str,
    },
    /// A code is empty, longer than 64 bytes, or not made of `A-Z`, `0-9` and `_`.
    #[error("code `{code}` is not 1 to 64 characters of `A-Z`, `0-9` and `_`")]
    InvalidCode {
        /// The code (lossily decoded, at most 64 characters kept).
        code: String,
    },
    /// `deny` was called more than once.
    #[error("deny was called more than once")]
    DeniedTwice,
    /// More warnings than [`crate::Limits::warnings_max`].
    #[error("more than {max} warnings")]
    TooManyWarnings {
        /// The limit.
        max: usize,
    },
    /// `judge` returned something other than 0.
    #[error("judge returned {value}, expected 0")]
    ReturnCode {
        /// The value returned.
        value: i32,
    },
}

/// One plugin call failed. The plugin's verdict is unknown; nothing it did survives the call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The call used up its fuel (e.g. an infinite loop).
    #[error("plugin exhausted its fuel of {fuel} units")]
    FuelExhausted {
        /// The per-call budget.
        fuel: u64,
    },
    /// The epoch deadline passed (only when [`crate::Limits::epoch_deadline_ticks`] is set).
    #[error("plugin ran past its deadline of {ticks} epoch ticks")]
    DeadlineExceeded {
        /// The deadline.
        ticks: u64,
    },
    /// The plugin tried to grow its memory past [`crate::Limits::plugin_memory_bytes_max`].
    #[error("plugin asked for {requested_bytes} bytes of memory, the limit is {max}")]
    MemoryExceeded {
        /// Memory size asked for.
        requested_bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The plugin trapped (unreachable, out-of-bounds access of its own memory, stack
    /// overflow, division by zero, a Rust panic, ...).
    #[error("plugin trapped: {reason}")]
    Trap {
        /// wasmtime's description of the trap.
        reason: String,
    },
    /// The plugin passed a host function a pointer and length outside its memory.
    #[error(
        "plugin passed `{function}` the range {ptr}+{len}, outside its {memory_bytes}-byte memory"
    )]
    PointerOutOfBounds {
        /// The host function.
        function: &'static str,
        /// Guest pointer.
        ptr: u32,
        /// Length.
        len: u32,
        /// Size of the guest memory.
        memory_bytes: usize,
    },
    /// The plugin passed a host function an argument the ABI does not define.
    #[error("plugin passed `{function}` an invalid argument: {reason}")]
    InvalidArgument {
        /// The host function.
        function: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// The verdict (codes, messages, warnings together) exceeds
    /// [`crate::Limits::verdict_bytes_max`].
    #[error("plugin output is {bytes} bytes, the limit is {max}")]
    OutputTooLarge {
        /// Bytes of output so far, including the refused part.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The plugin's output does not follow the ABI.
    #[error("plugin output is malformed: {0}")]
    Malformed(#[from] MalformedOutput),
    /// ABI v2: the plugin asked the ledger a question with a malformed argument (a bad JSON
    /// Pointer, nothing of the right type where it points, text that is not what the query
    /// takes).
    #[error("plugin passed the query `{function}` a malformed argument: {reason}")]
    QueryArgument {
        /// The query.
        function: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// ABI v2: the plugin asked the ledger a question, but it was judged without the ledger
    /// (a sample with no `host` answers, or an engine called without queries).
    #[error("plugin called the query `{function}` but no ledger answers queries in this call")]
    QueryUnavailable {
        /// The query.
        function: &'static str,
    },
    /// ABI v2: the plugin asked more distinct questions than [`crate::QUERIES_PER_CALL_MAX`].
    #[error("plugin asked more than {max} distinct questions of the ledger in one call")]
    TooManyQueries {
        /// The limit.
        max: usize,
    },
    /// The plugin could not be instantiated (e.g. every pooled instance slot is in use).
    #[error("plugin could not be instantiated: {reason}")]
    Instantiate {
        /// wasmtime's explanation.
        reason: String,
    },
}
