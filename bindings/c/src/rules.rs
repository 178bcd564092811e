//! `custodia_rules`: a set of national rule plugins (sandboxed WASM modules) loaded from a
//! folder, to hand to ledgers (`custodia_ledger_set_rules`) and to put in force
//! (`custodia_ledger_put_rules_in_force`).

use std::ffi::c_char;
use std::path::Path;
use std::sync::Arc;

use custodia_plugins::RuleSet;

use crate::boundary::{ErrorOut, In, Out, Str, c_json, give, give_string, guard, run};
use crate::error::custodia_error;
use crate::result::custodia_result;

/// Loaded rule plugins. Made by `custodia_rules_load_dir`; freed with `custodia_rules_free`.
///
/// Thread safety: immutable once loaded; it may be given to any number of ledgers and used
/// from any number of threads at once. A ledger given the rules keeps its own reference, so
/// they may be freed while the ledger is open.
pub struct custodia_rules {
    pub(crate) set: Arc<RuleSet>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<custodia_rules>();
};

/// Loads every plugin in the folder `dir`: each `NAME.json` manifest beside its `NAME.wasm`
/// module, as `scripts/build-plugins.sh` writes them. Each module's SHA-256 is checked against
/// its manifest.
///
/// On success writes a new rule set to `*rules_out`, owned by the caller (free with
/// `custodia_rules_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_PLUGIN_LOAD` (no such folder, a manifest
/// or module that is missing, malformed or does not match), `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `dir` is NULL or a NUL-terminated string; `rules_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_rules_load_dir(
    dir: *const c_char,
    rules_out: *mut *mut custodia_rules,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (dir, rules_out, error_out) =
        unsafe { (Str::new(dir), Out::new(rules_out), ErrorOut::new(error_out)) };
    run(error_out, || {
        let dir = dir.required("dir")?;
        let slot = rules_out.required("rules_out")?;
        let set = RuleSet::from_dir(Path::new(dir))?;
        slot.write(give(custodia_rules { set: Arc::new(set) }));
        Ok(())
    })
}

/// The plugins as a JSON array of `{"name", "version", "sha256"}`, the identities a
/// `rules_in_force` event lists.
///
/// On success writes a new NUL-terminated string to `*json_out`, owned by the caller (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `rules` is NULL or live rules; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_rules_json(
    rules: *const custodia_rules,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (rules, json_out, error_out) =
        unsafe { (In::new(rules), Out::new(json_out), ErrorOut::new(error_out)) };
    run(error_out, || {
        let rules = rules.required("rules")?;
        let slot = json_out.required("json_out")?;
        let json = c_json(&rules.set.refs())?;
        slot.write(give_string(json));
        Ok(())
    })
}

/// Frees a rule set. NULL is a no-op. Freeing the same non-NULL set twice is undefined
/// behaviour. Ledgers given the set keep working: they hold their own reference.
///
/// # Safety
/// `rules` is NULL or rules made by this library and not yet freed; no other thread uses them.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_rules_free(rules: *mut custodia_rules) {
    guard((), || {
        if !rules.is_null() {
            // SAFETY: the function's contract: made by `Box::into_raw` here, not yet freed,
            // no longer used.
            drop(unsafe { Box::from_raw(rules) });
        }
    });
}
