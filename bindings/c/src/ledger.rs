//! `custodia_ledger`: one ledger file (or an in-memory ledger) behind a mutex, and every call
//! an inventory system makes on it. Each function is a thin call of `custodia::Ledger`; query
//! results are the facade's rows (`core/src/rows.rs`) serialised to JSON.

use std::ffi::c_char;
use std::path::Path;
use std::sync::{Arc, Mutex};

use custodia::model::HazardDivision;
use custodia::rules::RuleEngine;
use custodia::{
    ActorId, BalanceFilter, Error, ErrorKind, EventId, Ledger, LotId, MarkingQuery, Options,
    SiteId, StockFilter, Timestamp,
};
use serde::Serialize;

use crate::boundary::{
    Bytes, ErrorOut, In, Keys, Out, Result, Str, c_json, give, give_string, guard,
    invalid_argument, run,
};
use crate::error::custodia_error;
use crate::key::custodia_key;
use crate::report::custodia_verify_report;
use crate::result::custodia_result;
use crate::rules::custodia_rules;

/// Most events `custodia_ledger_events` returns in one call; ask again from the last index + 1
/// for more.
pub const CUSTODIA_EVENTS_PER_CALL_MAX: u64 = 10_000;

/// An open ledger. Made by `custodia_ledger_create`, `custodia_ledger_open` or
/// `custodia_ledger_new_in_memory`; freed with `custodia_ledger_free`.
///
/// Thread safety: a ledger handle may be shared between threads and used from all of them at
/// once: it holds a mutex, and each call takes it for its whole duration, so calls on one
/// handle run one after another (a long `custodia_ledger_verify` delays the others). For
/// parallel reads, open one handle per thread. Free it once, after every thread is done.
///
/// Several handles (in one process or in several) may open the same file: one appends at a
/// time, the others wait up to 10 seconds and then fail with `CUSTODIA_RESULT_BUSY`; each sees
/// the others' appends on its next call.
///
/// If a call panicked inside the library (a bug, reported as `CUSTODIA_RESULT_PANIC`), every
/// later call on the handle fails with `CUSTODIA_RESULT_PANIC`: free it and open the file again.
pub struct custodia_ledger {
    ledger: Mutex<Ledger>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<custodia_ledger>();
};

impl custodia_ledger {
    /// Runs `f` with the ledger locked.
    fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> Result<T>) -> Result<T> {
        let mut ledger = self.ledger.lock().map_err(|_| {
            Error::new(ErrorKind::Panic {
                detail: "an earlier call on this ledger handle panicked; free the handle and \
                         open the ledger again"
                    .into(),
            })
        })?;
        f(&mut ledger)
    }
}

fn options(log_key: Option<&custodia_key>) -> Options {
    match log_key {
        Some(key) => Options::new().log_signer(key.signer.clone()),
        None => Options::new(),
    }
}

fn id_error(argument: &str, value: &str, e: impl std::fmt::Display) -> Error {
    invalid_argument(argument, value, e.to_string())
}

fn event_id(argument: &str, text: &str) -> Result<EventId> {
    EventId::from_hex(text).map_err(|e| id_error(argument, text, e))
}

fn site_id(argument: &str, text: &str) -> Result<SiteId> {
    SiteId::new(text).map_err(|e| id_error(argument, text, e))
}

fn hazard_division(argument: &str, text: &str) -> Result<HazardDivision> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| invalid_argument(argument, text, "a hazard division is `1.1` to `1.6`"))
}

/// Runs a query: checks `ledger` and `json_out`, runs `q` with the ledger locked, and writes
/// its result as JSON.
fn query<T: Serialize>(
    ledger: In<'_, custodia_ledger>,
    json_out: Out<'_, *mut c_char>,
    error_out: ErrorOut,
    q: impl FnOnce(&Ledger) -> Result<T>,
) -> custodia_result {
    run(error_out, || {
        let ledger = ledger.required("ledger")?;
        let slot = json_out.required("json_out")?;
        let value = ledger.with(|l| q(l))?;
        slot.write(give_string(c_json(&value)?));
        Ok(())
    })
}

// ---- making and freeing ---------------------------------------------------------------------

/// Creates a new ledger file at `path` whose tree heads are signed by `log_key`. The file
/// records the log key's public key, never the key itself: keep the key (as a key file or in a
/// token) to append later. `origin` names the log in its checkpoints (C2SP tlog-checkpoint), a
/// schema-less URL such as `"mindef.example/custodia/armoury-1"`; NULL gives
/// `custodia.invalid/` and the first 16 hex digits of the log key.
///
/// On success writes a new writable ledger to `*ledger_out`, owned by the caller (free with
/// `custodia_ledger_free`). On error writes nothing and leaves no file behind.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_FILE_EXISTS` (the path exists; a ledger is
/// never overwritten), `CUSTODIA_RESULT_IO`, `CUSTODIA_RESULT_SQLITE`,
/// `CUSTODIA_RESULT_INVALID_ARGUMENT` (a bad origin), `CUSTODIA_RESULT_NULL_ARGUMENT` (`path`,
/// `log_key` or `ledger_out` is NULL), `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `path` and `origin` are NULL or NUL-terminated strings; `log_key` is NULL or a live key;
/// `ledger_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_create(
    path: *const c_char,
    log_key: *const custodia_key,
    origin: *const c_char,
    ledger_out: *mut *mut custodia_ledger,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (path, log_key, origin, ledger_out, error_out) = unsafe {
        (
            Str::new(path),
            In::new(log_key),
            Str::new(origin),
            Out::new(ledger_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let path = path.required("path")?;
        let log_key = log_key.required("log_key")?;
        let origin = origin.optional("origin")?;
        let slot = ledger_out.required("ledger_out")?;
        let mut opts = options(Some(log_key));
        if let Some(origin) = origin {
            opts = opts.origin(origin);
        }
        let ledger = Ledger::create(Path::new(path), opts)?;
        slot.write(give(custodia_ledger {
            ledger: Mutex::new(ledger),
        }));
        Ok(())
    })
}

/// Opens the existing ledger file at `path`. With `log_key` (the key whose public key the file
/// records) it is writable; with NULL it is read-only: every query and `custodia_ledger_verify`
/// work, appends fail with `CUSTODIA_RESULT_READ_ONLY`. The log key is never read from the
/// file. Rule plugins in force are given with `custodia_ledger_set_rules`.
///
/// On success writes a new ledger to `*ledger_out`, owned by the caller (free with
/// `custodia_ledger_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_FILE_NOT_FOUND`,
/// `CUSTODIA_RESULT_NOT_A_LEDGER` (not a custodia ledger), `CUSTODIA_RESULT_FORMAT_VERSION`,
/// `CUSTODIA_RESULT_INVALID_ARGUMENT` (`log_key` is not this ledger's log key),
/// `CUSTODIA_RESULT_BUSY`, `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_IO`,
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `log_key` is NULL or a live key; `ledger_out`
/// and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_open(
    path: *const c_char,
    log_key: *const custodia_key,
    ledger_out: *mut *mut custodia_ledger,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (path, log_key, ledger_out, error_out) = unsafe {
        (
            Str::new(path),
            In::new(log_key),
            Out::new(ledger_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let path = path.required("path")?;
        let slot = ledger_out.required("ledger_out")?;
        let ledger = Ledger::open(Path::new(path), options(log_key.optional()))?;
        slot.write(give(custodia_ledger {
            ledger: Mutex::new(ledger),
        }));
        Ok(())
    })
}

/// Creates a new, empty ledger in memory, for tests and scratch work: it disappears when freed.
/// `log_key` signs its tree heads; NULL generates a fresh one.
///
/// On success writes a new writable ledger to `*ledger_out`, owned by the caller (free with
/// `custodia_ledger_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `log_key` is NULL or a live key; `ledger_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_new_in_memory(
    log_key: *const custodia_key,
    ledger_out: *mut *mut custodia_ledger,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (log_key, ledger_out, error_out) = unsafe {
        (
            In::new(log_key),
            Out::new(ledger_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let slot = ledger_out.required("ledger_out")?;
        let ledger = Ledger::in_memory(options(log_key.optional()))?;
        slot.write(give(custodia_ledger {
            ledger: Mutex::new(ledger),
        }));
        Ok(())
    })
}

/// Closes a ledger and frees its handle. NULL is a no-op. Freeing the same non-NULL handle
/// twice, or while another thread is still calling with it, is undefined behaviour. Every
/// append that returned `CUSTODIA_RESULT_OK` is already durable in the file.
///
/// # Safety
/// `ledger` is NULL or a ledger made by this library and not yet freed; no other thread uses
/// it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_free(ledger: *mut custodia_ledger) {
    guard((), || {
        if !ledger.is_null() {
            // SAFETY: the function's contract: made by `Box::into_raw` here, not yet freed,
            // no longer used.
            drop(unsafe { Box::from_raw(ledger) });
        }
    });
}

// ---- rules ----------------------------------------------------------------------------------

/// Gives the ledger the rule plugins that judge events while rules are in force (replacing any
/// given before); NULL removes them. Needed to append to, and fully verify, a ledger whose
/// history put rules in force: give a set holding every plugin ever in force. The ledger keeps
/// its own reference: `rules` may be freed afterwards.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_NULL_ARGUMENT` (`ledger` is NULL),
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `rules` is NULL or live rules; `error_out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_set_rules(
    ledger: *mut custodia_ledger,
    rules: *const custodia_rules,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, rules, error_out) = unsafe {
        (
            In::new(ledger.cast_const()),
            In::new(rules),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let ledger = ledger.required("ledger")?;
        let engine = rules
            .optional()
            .map(|r| r.set.clone() as Arc<dyn RuleEngine>);
        ledger.with(|l| {
            l.set_rules(engine);
            Ok(())
        })
    })
}

/// Puts the plugins of `rules` in force from now on, replacing the previous set: appends a
/// `rules_in_force` event recorded by `actor` (an administrator's id, such as
/// `"agency:mod"`) at `at` (`"YYYY-MM-DDTHH:MM:SSZ"`, UTC), signed with `key` (the actor's
/// key), and then gives the ledger `rules` as with `custodia_ledger_set_rules`.
///
/// On success, if `event_json_out` is not NULL, writes the signed event (one JSON line, no
/// newline) to it as a new string owned by the caller (free with `custodia_string_free`). On
/// error writes nothing and the ledger is unchanged.
///
/// Returns `CUSTODIA_RESULT_OK`, or any code of `custodia_ledger_append_json_lines` (such as
/// `CUSTODIA_RESULT_MISSING_ROLE` when `actor` is not an administrator),
/// `CUSTODIA_RESULT_INVALID_ARGUMENT` (a bad `actor` or `at`), `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger`, `rules` and `key` are NULL or live objects of this library; `actor` and `at` are
/// NULL or NUL-terminated strings; `event_json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_put_rules_in_force(
    ledger: *mut custodia_ledger,
    rules: *const custodia_rules,
    actor: *const c_char,
    at: *const c_char,
    key: *const custodia_key,
    event_json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, rules, actor, at, key, event_json_out, error_out) = unsafe {
        (
            In::new(ledger.cast_const()),
            In::new(rules),
            Str::new(actor),
            Str::new(at),
            In::new(key),
            Out::new(event_json_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let ledger = ledger.required("ledger")?;
        let rules = rules.required("rules")?;
        let actor_text = actor.required("actor")?;
        let at_text = at.required("at")?;
        let key = key.required("key")?;
        let slot = event_json_out.optional();
        let actor = ActorId::new(actor_text).map_err(|e| id_error("actor", actor_text, e))?;
        let at = Timestamp::parse(at_text).map_err(|e| id_error("at", at_text, e))?;
        let signed = ledger.with(|l| {
            let signed = l.put_rules_in_force(rules.set.refs(), &actor, at, &key.signer)?;
            // Recorded: from the next event on, these plugins judge.
            l.set_rules(Some(rules.set.clone() as Arc<dyn RuleEngine>));
            Ok(signed)
        })?;
        if let Some(slot) = slot {
            let json = signed.to_json();
            slot.write(give_string(crate::boundary::c_text(json)));
        }
        Ok(())
    })
}

// ---- writing --------------------------------------------------------------------------------

/// Appends a batch of signed events given as JSON lines (`jsonl_len` bytes of UTF-8, one event
/// per line as `custodia_ledger_sign_json_lines` writes them, blank lines ignored) as one
/// transaction: all of them or none. The ledger signs a new tree head with its log key.
///
/// On success, if `report_json_out` is not NULL, writes a new string owned by the caller (free
/// with `custodia_string_free`): `{"events": [{"index", "id", "warnings"}], "ledger_len",
/// "tree_head"}`. On error writes nothing and the ledger is unchanged; the error's index is the
/// refused event's position among the non-blank lines, with its id and field when known.
///
/// Returns `CUSTODIA_RESULT_OK`, or a code of any family: input (1xxx, such as
/// `CUSTODIA_RESULT_JSON_MALFORMED`, `CUSTODIA_RESULT_ID_MISMATCH`,
/// `CUSTODIA_RESULT_BATCH_EMPTY`), validation (2xxx), custody (3xxx, such as
/// `CUSTODIA_RESULT_INSUFFICIENT_STOCK`), authorisation (4xxx), signature (5xxx, such as
/// `CUSTODIA_RESULT_BAD_SIGNATURE`), rule (6xxx), storage (`CUSTODIA_RESULT_READ_ONLY`,
/// `CUSTODIA_RESULT_BUSY`, ...), `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_INVALID_ARGUMENT` (a length that overflows), `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `jsonl` is NULL or points to `jsonl_len` readable bytes;
/// `report_json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_append_json_lines(
    ledger: *mut custodia_ledger,
    jsonl: *const u8,
    jsonl_len: usize,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, jsonl, report_json_out, error_out) = unsafe {
        (
            In::new(ledger.cast_const()),
            Bytes::new(jsonl, jsonl_len),
            Out::new(report_json_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let ledger = ledger.required("ledger")?;
        let jsonl = jsonl.required("jsonl")?;
        let slot = report_json_out.optional();
        let report = ledger.with(|l| l.append_json_lines(jsonl))?;
        if let Some(slot) = slot {
            slot.write(give_string(c_json(&report)?));
        }
        Ok(())
    })
}

/// Signs unsigned events given as JSON lines (`jsonl_len` bytes; each an event without `id`
/// and `signatures`; `v` may be left out, and `parents` left out or empty to have them filled
/// from the ledger and from the events before it in the input) with the `keys_len` keys at
/// `keys`: the recording actor's key first, then any co-signers; every event is signed by every
/// key. Each event is checked as if appended after the ones before it, but nothing is appended:
/// pass the output to `custodia_ledger_append_json_lines`.
///
/// On success writes a new string owned by the caller to `*signed_jsonl_out` (free with
/// `custodia_string_free`): the signed events, one canonical JSON line each, each line ending
/// in `\n`. On error writes nothing; the error's index is the event's position among the
/// non-blank lines.
///
/// Returns `CUSTODIA_RESULT_OK`, or the codes of `custodia_ledger_append_json_lines` (the checks
/// are the same), `CUSTODIA_RESULT_ALREADY_SIGNED`, `CUSTODIA_RESULT_INVALID_ARGUMENT`
/// (`keys_len` is 0 or above 64), `CUSTODIA_RESULT_NULL_ARGUMENT` (also for a NULL key in the
/// array), `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `jsonl` is NULL or points to `jsonl_len` readable bytes;
/// `keys` is NULL or points to `keys_len` readable pointers, each NULL or a live key;
/// `signed_jsonl_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_sign_json_lines(
    ledger: *const custodia_ledger,
    jsonl: *const u8,
    jsonl_len: usize,
    keys: *const *const custodia_key,
    keys_len: usize,
    signed_jsonl_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, jsonl, keys, signed_jsonl_out, error_out) = unsafe {
        (
            In::new(ledger),
            Bytes::new(jsonl, jsonl_len),
            Keys::new(keys, keys_len),
            Out::new(signed_jsonl_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let ledger = ledger.required("ledger")?;
        let jsonl = jsonl.required("jsonl")?;
        let keys = keys.required("keys")?;
        let slot = signed_jsonl_out.required("signed_jsonl_out")?;
        let signers: Vec<&custodia::Signer> = keys.iter().map(|k| k.signer.as_ref()).collect();
        let signed = ledger.with(|l| l.sign_json_lines(jsonl, &signers))?;
        let mut text = String::new();
        for event in &signed {
            text.push_str(event.to_json());
            text.push('\n');
        }
        slot.write(give_string(crate::boundary::c_text(&text)));
        Ok(())
    })
}

// ---- verification and the Merkle log --------------------------------------------------------

/// Re-checks the whole ledger from its stored bytes: every id, signature, parent, rule verdict
/// (when the ledger was given its rules), Merkle node, tree head and derived table. A problem
/// found is not an error of the call: it is in the report (`custodia_verify_report_ok` is
/// false, `custodia_verify_report_failure_code` and the other accessors say what and where).
///
/// On success writes a new report to `*report_out`, owned by the caller (free with
/// `custodia_verify_report_free`). On error (the check could not run) writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK` (whatever the report says), or `CUSTODIA_RESULT_SQLITE`,
/// `CUSTODIA_RESULT_IO`, `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `report_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_verify(
    ledger: *const custodia_ledger,
    report_out: *mut *mut custodia_verify_report,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, report_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(report_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let ledger = ledger.required("ledger")?;
        let slot = report_out.required("report_out")?;
        let report = ledger.with(|l| l.verify())?;
        let report = custodia_verify_report::new(report)?;
        slot.write(give(report));
        Ok(())
    })
}

/// The number of events in the ledger.
///
/// On success writes it to `*len_out`. On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `len_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_len(
    ledger: *const custodia_ledger,
    len_out: *mut u64,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, len_out, error_out) =
        unsafe { (In::new(ledger), Out::new(len_out), ErrorOut::new(error_out)) };
    run(error_out, || {
        let ledger = ledger.required("ledger")?;
        let slot = len_out.required("len_out")?;
        let len = ledger.with(|l| l.len())?;
        slot.write(len);
        Ok(())
    })
}

/// The latest signed tree head, as JSON: `{"size", "root", "key", "origin", "signature",
/// "checkpoint"}` (`checkpoint` is the C2SP checkpoint body the log key signed).
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_DAMAGED`,
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_tree_head(
    ledger: *const custodia_ledger,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| l.tree_head())
}

/// The inclusion proof (RFC 9162 §2.1.3) of the event `event_id` (64 hex digits) in the tree
/// of its first `tree_size` events; 0 means the whole log now. As JSON: `{"event",
/// "leaf_index", "tree_size", "leaf_hash", "root", "path"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_EVENT_NOT_FOUND`,
/// `CUSTODIA_RESULT_LEAF_OUT_OF_RANGE` (the event is not within `tree_size`),
/// `CUSTODIA_RESULT_SIZE_OUT_OF_RANGE`, `CUSTODIA_RESULT_INVALID_ARGUMENT` (not an event id),
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `event_id` is NULL or a NUL-terminated string;
/// `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_inclusion_proof(
    ledger: *const custodia_ledger,
    event_id: *const c_char,
    tree_size: u64,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, event, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(event_id),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let id = self::event_id("event_id", event.required("event_id")?)?;
        l.inclusion_proof(&id, (tree_size != 0).then_some(tree_size))
    })
}

/// The consistency proof (RFC 9162 §2.1.4) between the tree of the first `first` events and
/// the tree of the first `second` events; `second` 0 means the whole log now. As JSON:
/// `{"first", "second", "first_root", "second_root", "path"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_BAD_RANGE` (not `0 < first <= second`),
/// `CUSTODIA_RESULT_SIZE_OUT_OF_RANGE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_consistency_proof(
    ledger: *const custodia_ledger,
    first: u64,
    second: u64,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        l.consistency_proof(first, (second != 0).then_some(second))
    })
}

// ---- queries --------------------------------------------------------------------------------

/// Every non-zero balance, by account then stock, optionally only holdings at the site `site`
/// and only the item or lot `stock` (NULL: no filter). As a JSON array of `{"kind", "stock",
/// "account", "site", "custodian", "units"}` (`account` is `CUSTODIAN@SITE` for a holding,
/// `in_transit:ID`, `discrepancy:ID`, `source:...` or `sink:...`).
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_INVALID_ARGUMENT` (`site` is not an id),
/// `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `site` and `stock` are NULL or NUL-terminated strings;
/// `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_balances(
    ledger: *const custodia_ledger,
    site: *const c_char,
    stock: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, site, stock, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(site),
            Str::new(stock),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let filter = BalanceFilter {
            site: site
                .optional("site")?
                .map(|s| site_id("site", s))
                .transpose()?,
            stock: stock.optional("stock")?.map(str::to_owned),
        };
        l.balances(&filter)
    })
}

/// What is held where, with hazard classification and net explosive quantity, and totals per
/// site and hazard division; optionally only at `site`, only stock whose nomenclature (or item
/// type) contains `nomenclature` (ignoring case), only hazard division `hazard_division`
/// (`"1.1"` to `"1.6"`); NULL: no filter. As JSON: `{"lines": [{"site", "custodian", "kind",
/// "stock", "description", "lot_number", "unit", "hazard_division", "compatibility_group",
/// "condition", "disposition", "units", "neq_mg"}], "totals": [{"site", "hazard_division", "units",
/// "neq_mg"}]}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_INVALID_ARGUMENT`, `CUSTODIA_RESULT_SQLITE`,
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `site`, `nomenclature` and `hazard_division` are NULL or
/// NUL-terminated strings; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_stock_on_hand(
    ledger: *const custodia_ledger,
    site: *const c_char,
    nomenclature: *const c_char,
    hazard_division: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, site, nomenclature, division, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(site),
            Str::new(nomenclature),
            Str::new(hazard_division),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let filter = StockFilter {
            site: site
                .optional("site")?
                .map(|s| site_id("site", s))
                .transpose()?,
            nomenclature: nomenclature.optional("nomenclature")?.map(str::to_owned),
            hazard_division: division
                .optional("hazard_division")?
                .map(|d| self::hazard_division("hazard_division", d))
                .transpose()?,
        };
        l.stock_on_hand(&filter)
    })
}

/// Stock on hand totals after each period of `every_secs` seconds (86400: each UTC day;
/// periods aligned on the Unix epoch), as a JSON array of `{"at", "totals": [{"site",
/// "hazard_division", "units", "neq_mg"}]}`: a snapshot when the first event at or after a
/// period's end is met (the stock before it, `at` that end; a period without events has none)
/// and one after the last event (`at` its time); `[]` for an empty ledger. The stored events'
/// state is replayed once, without checking their signatures again (`custodia_ledger_verify`
/// does that).
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_INVALID_ARGUMENT` (`every_secs` below 1),
/// `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_stock_history(
    ledger: *const custodia_ledger,
    every_secs: i64,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| l.stock_history(every_secs))
}

/// Every event that touched the item or lot `stock` (such as `"lot:762x39-1987-044"`), oldest
/// first, as a JSON array of `{"index", "id", "kind", "at", "actor"}` (empty for a stock the
/// ledger does not know).
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `stock` is NULL or a NUL-terminated string; `json_out`
/// and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_trace(
    ledger: *const custodia_ledger,
    stock: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, stock, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(stock),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        l.trace(stock.required("stock")?)
    })
}

/// The lots formed from the lot `lot` by splits and merges, transitively, with what each
/// received and how much of each was destroyed, as a JSON array of `{"lot", "from", "depth",
/// "received", "destroyed"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_UNKNOWN_REFERENCE`,
/// `CUSTODIA_RESULT_INVALID_ARGUMENT` (not a lot id), `CUSTODIA_RESULT_SQLITE`,
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `lot` is NULL or a NUL-terminated string; `json_out` and
/// `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_lineage(
    ledger: *const custodia_ledger,
    lot: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, lot, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(lot),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let text = lot.required("lot")?;
        let lot = LotId::new(text).map_err(|e| id_error("lot", text, e))?;
        l.lineage(&lot)
    })
}

/// Serialized items whose marking matches, for tracing requests: the serial number `serial`,
/// and the manufacturer `manufacturer` when not NULL, compared ignoring case and spaces. As a
/// JSON array of `{"id", "category", "type", "marking", "origin", "registered_at",
/// "condition", "disposition", "location", "site", "custodian", "last_event"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`
/// (`serial` is NULL), `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `manufacturer` and `serial` are NULL or NUL-terminated
/// strings; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_find_items(
    ledger: *const custodia_ledger,
    manufacturer: *const c_char,
    serial: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, manufacturer, serial, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(manufacturer),
            Str::new(serial),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let q = MarkingQuery {
            serial: serial.required("serial")?.to_owned(),
            manufacturer: manufacturer.optional("manufacturer")?.map(str::to_owned),
        };
        l.find_items(&q)
    })
}

/// The tracing requests not yet answered (`trace_request` events without their
/// `trace_response`), by deadline, as a JSON array of `{"request", "requesting_state",
/// "channel", "reference", "received_on", "deadline", "weapons", "recorded_at"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_open_trace_requests(
    ledger: *const custodia_ledger,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| l.open_trace_requests())
}

/// The Arms Trade Treaty annual report's exports and imports of serialized items for `year`
/// (art. 13.3), by ATT category and partner state, as JSON: `{"year", "exports": [...],
/// "imports": [...]}`, each line `{"category", "partner_state", "quantity", "types"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_INVALID_ARGUMENT` (a year outside 1900 to
/// 9999), `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_att_report(
    ledger: *const custodia_ledger,
    year: u16,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| l.att_report(year))
}

/// The destructions dated from `from` to `to` (`YYYY-MM-DD`, both included), with method,
/// site, authorisation, witnesses and certificate, and totals by month, site and method, as
/// JSON: `{"from", "to", "destructions": [...], "totals": [...]}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_INVALID_ARGUMENT` (not a whole date, or
/// `to` before `from`), `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `from` and `to` are NULL or NUL-terminated strings;
/// `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_destruction_report(
    ledger: *const custodia_ledger,
    from: *const c_char,
    to: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, from, to, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(from),
            Str::new(to),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let day = |argument: &str, text: &str| {
            custodia::model::Date::parse(text)
                .map_err(|e| invalid_argument(argument, text, e.to_string()))
        };
        let from = day("from", from.required("from")?)?;
        let to = day("to", to.required("to")?)?;
        l.destruction_report(&from, &to)
    })
}

/// The stored events at positions `start` to `end` (excluded), clamped to the ledger and to
/// `CUSTODIA_EVENTS_PER_CALL_MAX` events (ask again from the last index + 1 for more; pass
/// `UINT64_MAX` as `end` for "to the end"). As a JSON array of `{"index", "id", "kind", "at",
/// "actor", "json"}`, where `json` is the event's canonical JSON line.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_events(
    ledger: *const custodia_ledger,
    start: u64,
    end: u64,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let end = end.min(start.saturating_add(CUSTODIA_EVENTS_PER_CALL_MAX));
        l.events(start, end)
    })
}

/// The stored event whose id is `event_id` (64 hex digits), as JSON `{"index", "id", "kind",
/// "at", "actor", "json"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_EVENT_NOT_FOUND`,
/// `CUSTODIA_RESULT_INVALID_ARGUMENT` (not an event id), `CUSTODIA_RESULT_SQLITE`,
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `event_id` is NULL or a NUL-terminated string;
/// `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_event(
    ledger: *const custodia_ledger,
    event_id: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, event, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(event_id),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let id = self::event_id("event_id", event.required("event_id")?)?;
        l.event(&id)?
            .ok_or_else(|| Error::new(ErrorKind::EventNotFound { event: id }))
    })
}

/// The input document the rule plugins were given for the stored event `event_id` (64 hex
/// digits) when it was appended, rebuilt from the events before it (plugin ABI,
/// `docs/PLUGIN_ABI.md`): `{"abi", "event", "actor", "signers", "items", "lots", "site",
/// "authorisation", "destination"}`. Replays the ledger up to that event.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_EVENT_NOT_FOUND`,
/// `CUSTODIA_RESULT_INVALID_ARGUMENT` (not an event id), `CUSTODIA_RESULT_SQLITE`,
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `event_id` is NULL or a NUL-terminated string;
/// `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_rule_input(
    ledger: *const custodia_ledger,
    event_id: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, event, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(event_id),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let id = self::event_id("event_id", event.required("event_id")?)?;
        l.rule_input(&id)
    })
}

/// Weapons issued to persons (`weapon_issue`) and still out after the end of their issue
/// period at `at` (`YYYY-MM-DDTHH:MM:SSZ`), oldest due first, as a JSON array of `{"issue",
/// "person", "site", "custodian", "items", "issued_at", "due"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_INVALID_ARGUMENT` (not a timestamp),
/// `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `at` is NULL or a NUL-terminated string; `json_out` and
/// `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_overdue_issues(
    ledger: *const custodia_ledger,
    at: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, at, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(at),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let text = at.required("at")?;
        let at = Timestamp::parse(text).map_err(|e| id_error("at", text, e))?;
        l.overdue_issues(&at)
    })
}

/// Ammunition lots with units on the books whose next surveillance inspection is due or
/// overdue at `at` (`YYYY-MM-DDTHH:MM:SSZ`), earliest due first, as a JSON array of `{"lot",
/// "nomenclature", "lot_number", "next_inspection", "overdue", "last_inspection",
/// "condition_code", "condition", "units", "sites"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_INVALID_ARGUMENT` (not a timestamp),
/// `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `at` is NULL or a NUL-terminated string; `json_out` and
/// `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_lots_due_inspection(
    ledger: *const custodia_ledger,
    at: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, at, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Str::new(at),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| {
        let text = at.required("at")?;
        let at = Timestamp::parse(text).map_err(|e| id_error("at", text, e))?;
        l.lots_due_inspection(&at)
    })
}

/// Net explosive quantity per site and hazard division, in milligrams, as a JSON array of
/// `{"site", "hazard_division", "neq_mg", "neq_mg_with_sub_sites"}` by site, then division:
/// held at the site itself, and summed over the site and every site under it.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_neq_totals(
    ledger: *const custodia_ledger,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| l.neq_totals())
}

/// Counts and totals at a glance, as JSON: `{"events", "actors", "sites", "lots", "items",
/// "items_destroyed", "units_held", "units_in_transit", "units_destroyed", "units_lost",
/// "units_stolen", "units_in_discrepancy", "open_transfers", "rules_in_force", "tree_head"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_summary(
    ledger: *const custodia_ledger,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| l.summary())
}

/// Holdings and the movements between them, counted from the events, as JSON: `{"nodes":
/// [{"name", "role"}], "edges": [{"from", "to", "kind", "events"}]}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_custody_graph(
    ledger: *const custodia_ledger,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| l.custody_graph())
}

/// The rule plugins in force, as a JSON array of `{"name", "version", "sha256"}`.
///
/// On success writes a new string owned by the caller to `*json_out` (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_SQLITE`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `ledger` is NULL or a live ledger; `json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_ledger_rules_in_force(
    ledger: *const custodia_ledger,
    json_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (ledger, json_out, error_out) = unsafe {
        (
            In::new(ledger),
            Out::new(json_out),
            ErrorOut::new(error_out),
        )
    };
    query(ledger, json_out, error_out, |l| l.rules_in_force())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::ErrorOut;

    #[test]
    fn a_panic_inside_a_call_leaves_the_handle_refusing_calls() {
        let mut handle: *mut custodia_ledger = std::ptr::null_mut();
        // SAFETY: a live out-parameter; NULL key and error are allowed.
        let rc = unsafe {
            custodia_ledger_new_in_memory(std::ptr::null(), &mut handle, std::ptr::null_mut())
        };
        assert_eq!(rc, custodia_result::Ok);
        // SAFETY: made just above, freed at the end.
        let ledger = unsafe { &*handle };
        // SAFETY: NULL error_out is allowed.
        let rc = run(unsafe { ErrorOut::new(std::ptr::null_mut()) }, || {
            ledger.with(|_| -> Result<()> { panic!("a bug while the ledger is locked") })
        });
        assert_eq!(rc, custodia_result::Panic);
        let mut json: *mut c_char = std::ptr::null_mut();
        // SAFETY: live handle and out-parameter.
        let rc = unsafe { custodia_ledger_summary(handle, &mut json, std::ptr::null_mut()) };
        assert_eq!(rc, custodia_result::Panic);
        assert!(json.is_null());
        // SAFETY: made by this library, freed once.
        unsafe { custodia_ledger_free(handle) };
    }

    /// Calls a query into a new string; its result code and text (empty when none).
    fn call(q: impl FnOnce(*mut *mut c_char) -> custodia_result) -> (custodia_result, String) {
        let mut json: *mut c_char = std::ptr::null_mut();
        let rc = q(&mut json);
        if json.is_null() {
            return (rc, String::new());
        }
        // SAFETY: a NUL-terminated string this library made.
        let text = unsafe { std::ffi::CStr::from_ptr(json) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: made by this library, freed once.
        unsafe { crate::custodia_string_free(json) };
        (rc, text)
    }

    #[test]
    fn tracing_and_report_queries() {
        let mut handle: *mut custodia_ledger = std::ptr::null_mut();
        // SAFETY: a live out-parameter; NULL key and error are allowed.
        let rc = unsafe {
            custodia_ledger_new_in_memory(std::ptr::null(), &mut handle, std::ptr::null_mut())
        };
        assert_eq!(rc, custodia_result::Ok);
        let none = std::ptr::null_mut();
        // SAFETY (every call below): a live handle, NUL-terminated strings, live out-parameters.
        let (rc, text) =
            call(|out| unsafe { custodia_ledger_open_trace_requests(handle, out, none) });
        assert_eq!((rc, text.as_str()), (custodia_result::Ok, "[]"));
        let (rc, text) = call(|out| unsafe { custodia_ledger_att_report(handle, 2026, out, none) });
        assert_eq!(
            (rc, text.as_str()),
            (
                custodia_result::Ok,
                r#"{"year":2026,"exports":[],"imports":[]}"#
            )
        );
        let (rc, _) = call(|out| unsafe { custodia_ledger_att_report(handle, 10, out, none) });
        assert_eq!(rc, custodia_result::InvalidArgument);
        let (from, to) = (c"2026-01-01", c"2026-01-31");
        let (rc, text) = call(|out| unsafe {
            custodia_ledger_destruction_report(handle, from.as_ptr(), to.as_ptr(), out, none)
        });
        assert_eq!(rc, custodia_result::Ok);
        assert_eq!(
            text,
            r#"{"from":"2026-01-01","to":"2026-01-31","destructions":[],"totals":[]}"#
        );
        let (rc, _) = call(|out| unsafe {
            custodia_ledger_destruction_report(handle, to.as_ptr(), from.as_ptr(), out, none)
        });
        assert_eq!(rc, custodia_result::InvalidArgument);
        let (rc, _) = call(|out| unsafe {
            custodia_ledger_destruction_report(handle, c"2026-01".as_ptr(), to.as_ptr(), out, none)
        });
        assert_eq!(rc, custodia_result::InvalidArgument);
        let (rc, text) = call(|out| unsafe {
            custodia_ledger_destruction_report(handle, std::ptr::null(), to.as_ptr(), out, none)
        });
        assert_eq!((rc, text.as_str()), (custodia_result::NullArgument, ""));
        // SAFETY: made by this library, freed once.
        unsafe { custodia_ledger_free(handle) };
    }
}
