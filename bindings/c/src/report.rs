//! `custodia_verify_report`: what `custodia_ledger_verify` found. Like `custodia_error`, its
//! strings are made once and live as long as the object.

use std::ffi::{CString, c_char};

use custodia::VerifyReport;

use crate::boundary::{c_json, c_text, guard};
use crate::error::custodia_error;
use crate::result::custodia_result;

/// The outcome of a verification: whether everything verified, how many events did, and the
/// first problem (its code, the event's position in the ledger, its id, the field, a message).
/// Made by `custodia_ledger_verify`; freed with `custodia_verify_report_free`.
///
/// Thread safety: immutable; its accessors may be called from any thread, also at once. Free it
/// once, when no thread uses it any more.
pub struct custodia_verify_report {
    ok: bool,
    events: u64,
    tree_heads: u64,
    state_digest: CString,
    failure: Option<custodia_error>,
    json: CString,
}

impl custodia_verify_report {
    pub(crate) fn new(report: VerifyReport) -> crate::boundary::Result<Self> {
        Ok(Self {
            ok: report.ok,
            events: report.events,
            tree_heads: report.tree_heads,
            state_digest: c_text(&report.state_digest.to_hex()),
            json: c_json(&report)?,
            failure: report.failure.map(custodia_error::new),
        })
    }
}

/// Runs an accessor on a report: `fallback` for NULL (and for a panic).
fn with<T>(
    report: *const custodia_verify_report,
    fallback: T,
    f: impl FnOnce(&custodia_verify_report) -> T,
) -> T {
    guard(None, || {
        // SAFETY: every accessor's contract: NULL or a live report made by this library.
        unsafe { report.as_ref() }.map(f)
    })
    .unwrap_or(fallback)
}

/// Whether everything verified: every id, signature, parent, rule verdict (when the ledger was
/// given its rules), Merkle node, tree head and derived table. False for NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_ok(report: *const custodia_verify_report) -> bool {
    with(report, false, |r| r.ok)
}

/// The number of events that verified (all of them when the report is ok). 0 for NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_events(
    report: *const custodia_verify_report,
) -> u64 {
    with(report, 0, |r| r.events)
}

/// The number of signed tree heads whose root and signature were checked. 0 for NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_tree_heads(
    report: *const custodia_verify_report,
) -> u64 {
    with(report, 0, |r| r.tree_heads)
}

/// The digest of the state re-derived from the events, 64 hex digits: two ledgers holding the
/// same events have the same digest.
///
/// Returns a NUL-terminated string owned by `report`, valid until
/// `custodia_verify_report_free(report)`; NULL for NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_state_digest(
    report: *const custodia_verify_report,
) -> *const c_char {
    with(report, std::ptr::null(), |r| r.state_digest.as_ptr())
}

/// The code of the first problem found: `CUSTODIA_RESULT_OK` when the report is ok, such as
/// `CUSTODIA_RESULT_ID_MISMATCH` or `CUSTODIA_RESULT_BAD_SIGNATURE` otherwise.
/// `CUSTODIA_RESULT_NULL_ARGUMENT` for NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_failure_code(
    report: *const custodia_verify_report,
) -> custodia_result {
    with(report, custodia_result::NullArgument, |r| {
        r.failure
            .as_ref()
            .map_or(custodia_result::Ok, |e| e.result())
    })
}

/// The position in the ledger (from 0) of the event where the first problem was found.
///
/// Returns true and writes `*index_out` when there is a problem at a known position; returns
/// false and leaves `*index_out` unchanged otherwise (the report is ok, the problem is not at
/// one event, or an argument is NULL).
///
/// # Safety
/// `report` is NULL or a live report made by this library; `index_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_failure_index(
    report: *const custodia_verify_report,
    index_out: *mut u64,
) -> bool {
    with(report, false, |r| {
        match (
            r.failure.as_ref().and_then(custodia_error::index),
            index_out.is_null(),
        ) {
            (Some(i), false) => {
                // SAFETY: the function's contract: `index_out` is writable, and not NULL.
                unsafe { index_out.write(i) };
                true
            }
            _ => false,
        }
    })
}

/// The id of the event where the first problem was found (64 hex digits).
///
/// Returns a NUL-terminated string owned by `report`, valid until
/// `custodia_verify_report_free(report)`; NULL when the report is ok, the problem names no
/// event, or `report` is NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_failure_event(
    report: *const custodia_verify_report,
) -> *const c_char {
    with(report, std::ptr::null(), |r| {
        r.failure
            .as_ref()
            .map_or(std::ptr::null(), custodia_error::event_ptr)
    })
}

/// The JSON Pointer of the offending member of that event (`""` for the whole event).
///
/// Returns a NUL-terminated string owned by `report`, valid until
/// `custodia_verify_report_free(report)`; NULL when the report is ok, the problem names no
/// field, or `report` is NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_failure_field(
    report: *const custodia_verify_report,
) -> *const c_char {
    with(report, std::ptr::null(), |r| {
        r.failure
            .as_ref()
            .map_or(std::ptr::null(), custodia_error::field_ptr)
    })
}

/// The message of the first problem (English, one line, for people).
///
/// Returns a NUL-terminated UTF-8 string owned by `report`, valid until
/// `custodia_verify_report_free(report)`; NULL when the report is ok or `report` is NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_failure_message(
    report: *const custodia_verify_report,
) -> *const c_char {
    with(report, std::ptr::null(), |r| {
        r.failure
            .as_ref()
            .map_or(std::ptr::null(), custodia_error::message_ptr)
    })
}

/// The whole report as JSON: `{"ok", "events", "tree_heads", "state_digest", "failure"}`,
/// where `failure` is `null` or an error object as `custodia_error_json` writes it.
///
/// Returns a NUL-terminated UTF-8 string owned by `report`, valid until
/// `custodia_verify_report_free(report)`; NULL for NULL.
///
/// # Safety
/// `report` is NULL or a live report made by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_json(
    report: *const custodia_verify_report,
) -> *const c_char {
    with(report, std::ptr::null(), |r| r.json.as_ptr())
}

/// Frees a report and every string its accessors returned. NULL is a no-op. Freeing the same
/// non-NULL report twice is undefined behaviour.
///
/// # Safety
/// `report` is NULL or a report made by this library and not yet freed; no other thread uses
/// it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_verify_report_free(report: *mut custodia_verify_report) {
    guard((), || {
        if !report.is_null() {
            // SAFETY: the function's contract: made by `Box::into_raw` here, not yet freed,
            // no longer used.
            drop(unsafe { Box::from_raw(report) });
        }
    });
}
