//! `custodia_error`: the details of a failed call, owned by the caller. Its strings are made
//! once, when the error is, and live exactly as long as the object: no accessor allocates, and
//! nothing dangles after the next call on the ledger.

use std::ffi::{CString, c_char};

use custodia::Error;

use crate::boundary::{c_text, guard};
use crate::result::custodia_result;

/// The details of a failed call: its code, message, and where it applies the event's index, id
/// and field. Made by a failed function in its `error_out`; owned by the caller, freed with
/// `custodia_error_free`.
///
/// Thread safety: immutable; its accessors may be called from any thread, also at once. Free it
/// once, when no thread uses it any more.
pub struct custodia_error {
    result: custodia_result,
    name: CString,
    message: CString,
    event: Option<CString>,
    field: Option<CString>,
    index: Option<u64>,
    json: CString,
}

impl custodia_error {
    pub(crate) fn new(error: Error) -> Self {
        let json = match serde_json::to_string(&error) {
            Ok(json) => c_text(&json),
            // INVARIANT (error-json): `Error`'s Serialize writes numbers, strings and a map of
            // JSON values, none of which can fail; keep the code if it ever does.
            Err(_) => c_text(&format!("{{\"code\":{}}}", error.code().get())),
        };
        Self {
            result: custodia_result::of(error.code()),
            name: c_text(error.code().name()),
            message: c_text(&error.message()),
            event: error.event().map(|e| c_text(&e.to_hex())),
            field: error.field().map(c_text),
            index: error.index(),
            json,
        }
    }
}

impl custodia_error {
    pub(crate) fn result(&self) -> custodia_result {
        self.result
    }
    pub(crate) fn index(&self) -> Option<u64> {
        self.index
    }
    pub(crate) fn event_ptr(&self) -> *const c_char {
        self.event.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
    }
    pub(crate) fn field_ptr(&self) -> *const c_char {
        self.field.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
    }
    pub(crate) fn message_ptr(&self) -> *const c_char {
        self.message.as_ptr()
    }
}

fn text_of(
    error: *const custodia_error,
    pick: impl FnOnce(&custodia_error) -> *const c_char,
) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: the header's contract: NULL or a live error made by this library.
        match unsafe { error.as_ref() } {
            Some(e) => pick(e),
            None => std::ptr::null(),
        }
    })
}

/// The error's result code (never `CUSTODIA_RESULT_OK`): the same number the failed call
/// returned. Returns `CUSTODIA_RESULT_NULL_ARGUMENT` for NULL.
///
/// # Safety
/// `error` is NULL or an error made by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_error_code(error: *const custodia_error) -> custodia_result {
    guard(custodia_result::Panic, || {
        // SAFETY: the function's contract: NULL or a live error.
        match unsafe { error.as_ref() } {
            Some(e) => e.result,
            None => custodia_result::NullArgument,
        }
    })
}

/// The code's name in UpperCamelCase (`"InsufficientStock"`), for logs.
///
/// Returns a NUL-terminated string owned by `error`, valid until `custodia_error_free(error)`;
/// NULL for a NULL `error`.
///
/// # Safety
/// `error` is NULL or an error made by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_error_name(error: *const custodia_error) -> *const c_char {
    text_of(error, |e| e.name.as_ptr())
}

/// The message, in English, one line, control characters escaped; without the location (see
/// `custodia_error_event`, `_field`, `_index`). For people: compare codes, never messages.
///
/// Returns a NUL-terminated UTF-8 string owned by `error`, valid until
/// `custodia_error_free(error)`; NULL for a NULL `error`.
///
/// # Safety
/// `error` is NULL or an error made by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_error_message(error: *const custodia_error) -> *const c_char {
    text_of(error, |e| e.message.as_ptr())
}

/// The id of the event concerned (64 lowercase hex digits), when it is known.
///
/// Returns a NUL-terminated string owned by `error`, valid until `custodia_error_free(error)`;
/// NULL when the error names no event or `error` is NULL.
///
/// # Safety
/// `error` is NULL or an error made by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_error_event(error: *const custodia_error) -> *const c_char {
    text_of(error, custodia_error::event_ptr)
}

/// The JSON Pointer (RFC 6901) of the offending member inside the event, such as
/// `"/lots/0/quantity"`; `""` for the whole event.
///
/// Returns a NUL-terminated string owned by `error`, valid until `custodia_error_free(error)`;
/// NULL when the error names no field or `error` is NULL.
///
/// # Safety
/// `error` is NULL or an error made by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_error_field(error: *const custodia_error) -> *const c_char {
    text_of(error, custodia_error::field_ptr)
}

/// The 0-based position of the event concerned: in the batch being appended or signed (among
/// its non-blank lines), or in the ledger being verified.
///
/// Returns true and writes `*index_out` when the error names a position; returns false and
/// leaves `*index_out` unchanged when it does not, or when `error` or `index_out` is NULL.
///
/// # Safety
/// `error` is NULL or an error made by this library and not yet freed; `index_out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_error_index(
    error: *const custodia_error,
    index_out: *mut u64,
) -> bool {
    guard(false, || {
        // SAFETY: the function's contract: NULL or a live error.
        let Some(e) = (unsafe { error.as_ref() }) else {
            return false;
        };
        // SAFETY: the function's contract: NULL or writable.
        match (e.index, unsafe { index_out.as_mut() }) {
            (Some(i), Some(out)) => {
                *out = i;
                true
            }
            _ => false,
        }
    })
}

/// Everything as one JSON object: `{"code", "name", "family", "message", "index", "event",
/// "field", "values"}`, where `values` holds the values involved (the stock, the quantities,
/// ...) as named in `docs/ERRORS.md`.
///
/// Returns a NUL-terminated UTF-8 string owned by `error`, valid until
/// `custodia_error_free(error)`; NULL for a NULL `error`.
///
/// # Safety
/// `error` is NULL or an error made by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_error_json(error: *const custodia_error) -> *const c_char {
    text_of(error, |e| e.json.as_ptr())
}

/// Frees an error and every string its accessors returned. NULL is a no-op. Freeing the same
/// non-NULL error twice is undefined behaviour.
///
/// # Safety
/// `error` is NULL or an error made by this library and not yet freed; no other thread uses it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_error_free(error: *mut custodia_error) {
    guard((), || {
        if !error.is_null() {
            // SAFETY: the function's contract: made by `Box::into_raw` in this library, not
            // yet freed, and no longer used by anyone.
            drop(unsafe { Box::from_raw(error) });
        }
    });
}
