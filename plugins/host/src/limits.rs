//! Limits on what a plugin may consume. Every limit names its unit last.

use crate::error::HostError;

/// Sandbox limits applied to every plugin of a [`crate::PluginHost`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Fuel given to each call (about one unit per wasm instruction; host functions charge
    /// one unit per 8 bytes they copy).
    pub fuel_per_call_max: u64,
    /// Largest linear memory a plugin may have.
    pub plugin_memory_bytes_max: usize,
    /// Largest wasm call stack.
    pub wasm_stack_bytes_max: usize,
    /// Largest verdict: codes and messages of the denial and all warnings together.
    pub verdict_bytes_max: usize,
    /// Most warnings one call may emit.
    pub warnings_max: usize,
    /// Largest module accepted.
    pub module_bytes_max: usize,
    /// Largest canonical config accepted.
    pub config_bytes_max: usize,
    /// Most calls running at the same time across all plugins of one host (the size of
    /// the pooling allocator); a call beyond it fails with [`crate::CallError::Instantiate`].
    pub concurrent_calls_max: u32,
    /// When set, each call also gets a wall-clock deadline of this many epoch ticks; the
    /// embedder advances the epoch with [`crate::PluginHost::increment_epoch`]. Fuel alone is
    /// deterministic; a deadline is not, so a timed-out call is an error, never a verdict.
    pub epoch_deadline_ticks: Option<u64>,
}

/// Default fuel: a rule of a few hundred lookups uses well under 1 % of it.
pub const FUEL_PER_CALL_MAX_DEFAULT: u64 = 10_000_000;
/// Default memory cap: 16 MiB.
pub const PLUGIN_MEMORY_BYTES_MAX_DEFAULT: usize = 16 << 20;
/// Default stack: 512 KiB.
pub const WASM_STACK_BYTES_MAX_DEFAULT: usize = 512 << 10;
/// Default verdict size: 16 KiB.
pub const VERDICT_BYTES_MAX_DEFAULT: usize = 16 << 10;
/// Default number of warnings.
pub const WARNINGS_MAX_DEFAULT: usize = 32;
/// Default module size: 8 MiB.
pub const MODULE_BYTES_MAX_DEFAULT: usize = 8 << 20;
/// Default config size: 1 MiB.
pub const CONFIG_BYTES_MAX_DEFAULT: usize = 1 << 20;
/// Default number of concurrent calls.
pub const CONCURRENT_CALLS_MAX_DEFAULT: u32 = 32;
/// Size of one wasm page.
pub const WASM_PAGE_BYTES: usize = 64 << 10;
/// Largest memory cap allowed: 1 GiB (keeps the pool's address space reservation sane).
pub const PLUGIN_MEMORY_BYTES_MAX_CEILING: usize = 1 << 30;
/// Largest table a plugin may grow.
pub const TABLE_ELEMENTS_MAX: usize = 10_000;
/// Longest stable code in a verdict or warning.
pub const CODE_BYTES_MAX: usize = 64;

const _: () = assert!(PLUGIN_MEMORY_BYTES_MAX_DEFAULT.is_multiple_of(WASM_PAGE_BYTES));
const _: () = assert!(PLUGIN_MEMORY_BYTES_MAX_DEFAULT <= PLUGIN_MEMORY_BYTES_MAX_CEILING);
const _: () = assert!(VERDICT_BYTES_MAX_DEFAULT >= 2 * CODE_BYTES_MAX);
const _: () = assert!(VERDICT_BYTES_MAX_DEFAULT < PLUGIN_MEMORY_BYTES_MAX_DEFAULT);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel_per_call_max: FUEL_PER_CALL_MAX_DEFAULT,
            plugin_memory_bytes_max: PLUGIN_MEMORY_BYTES_MAX_DEFAULT,
            wasm_stack_bytes_max: WASM_STACK_BYTES_MAX_DEFAULT,
            verdict_bytes_max: VERDICT_BYTES_MAX_DEFAULT,
            warnings_max: WARNINGS_MAX_DEFAULT,
            module_bytes_max: MODULE_BYTES_MAX_DEFAULT,
            config_bytes_max: CONFIG_BYTES_MAX_DEFAULT,
            concurrent_calls_max: CONCURRENT_CALLS_MAX_DEFAULT,
            epoch_deadline_ticks: None,
        }
    }
}

fn check(name: &'static str, value: u64, min: u64, max: u64) -> Result<(), HostError> {
    if value < min || value > max {
        return Err(HostError::InvalidLimit {
            name,
            value,
            min,
            max,
        });
    }
    Ok(())
}

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Limits {
    /// Checks every limit is within its range.
    pub fn validate(&self) -> Result<(), HostError> {
        check("fuel_per_call_max", self.fuel_per_call_max, 1_000, u64::MAX)?;
        check(
            "plugin_memory_bytes_max",
            as_u64(self.plugin_memory_bytes_max),
            as_u64(WASM_PAGE_BYTES),
            as_u64(PLUGIN_MEMORY_BYTES_MAX_CEILING),
        )?;
        check(
            "wasm_stack_bytes_max",
            as_u64(self.wasm_stack_bytes_max),
            4096,
            16 << 20,
        )?;
        check(
            "verdict_bytes_max",
            as_u64(self.verdict_bytes_max),
            as_u64(2 * CODE_BYTES_MAX),
            as_u64(self.plugin_memory_bytes_max),
        )?;
        check("warnings_max", as_u64(self.warnings_max), 0, 10_000)?;
        check(
            "module_bytes_max",
            as_u64(self.module_bytes_max),
            8,
            1 << 30,
        )?;
        check(
            "config_bytes_max",
            as_u64(self.config_bytes_max),
            2,
            1 << 30,
        )?;
        check(
            "concurrent_calls_max",
            u64::from(self.concurrent_calls_max),
            1,
            10_000,
        )?;
        if let Some(t) = self.epoch_deadline_ticks {
            check("epoch_deadline_ticks", t, 1, u64::MAX)?;
        }
        Ok(())
    }
}
