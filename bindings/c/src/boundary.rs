//! The boundary between C and Rust: the panic boundary every function runs inside ([`run`],
//! [`guard`]) and typed views of the raw pointers C passes ([`In`], [`Str`], [`Bytes`],
//! [`Keys`], [`Out`], [`ErrorOut`]). Each view is made in one `unsafe` constructor whose
//! contract is the header's ("NULL or valid for ..."); after that, NULL checks, UTF-8 checks
//! and length checks are safe code that turns bad input into an error code.

use std::ffi::{CStr, CString, c_char};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};

use custodia::{Error, ErrorKind};

use crate::error::custodia_error;
use crate::key::custodia_key;
use crate::result::custodia_result;

/// What a function body returns.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Most keys one call signs with: an event carries at most 64 signatures.
pub(crate) const KEYS_PER_CALL_MAX: usize = 64;

/// `argument` was NULL.
pub(crate) fn null_argument(argument: &str) -> Error {
    Error::new(ErrorKind::NullArgument {
        argument: argument.into(),
    })
}

/// `argument` holds `value`, which is refused for `reason`.
pub(crate) fn invalid_argument(argument: &str, value: &str, reason: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument {
        argument: argument.into(),
        value: value.into(),
        reason: reason.into(),
    })
}

/// Runs one function body inside the panic boundary. On success clears `*error_out` and
/// returns OK; on an error or a panic, stores a new error object in `*error_out` (when the
/// caller asked for one) and returns its code. The body writes its outputs last, after
/// everything that can fail, so outputs are written only on success.
pub(crate) fn run(error_out: ErrorOut, body: impl FnOnce() -> Result<()>) -> custodia_result {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let failure = match catch_unwind(AssertUnwindSafe(body)) {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(payload) => Some(panic_error(payload.as_ref())),
        };
        match failure {
            None => {
                error_out.set(None);
                custodia_result::Ok
            }
            Some(e) => {
                let code = custodia_result::of(e.code());
                error_out.set(Some(custodia_error::new(e)));
                code
            }
        }
    }));
    // A panic while building the error object itself: report the code without an object.
    outcome.unwrap_or(custodia_result::Panic)
}

/// Runs an infallible function body (an accessor, a `_free`) inside the panic boundary,
/// returning `fallback` if it panics.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The error for a caught panic, with its message when it has one.
fn panic_error(payload: &(dyn std::any::Any + Send)) -> Error {
    let detail = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    };
    Error::new(ErrorKind::Panic { detail })
}

/// Text for C: a `CString`, with any NUL written as `\u{0}` so nothing is cut short.
pub(crate) fn c_text(text: &str) -> CString {
    let cleaned = if text.contains('\0') {
        text.replace('\0', "\\u{0}")
    } else {
        text.to_owned()
    };
    // INVARIANT (c-text): `new` cannot fail, every NUL was replaced just above; the default
    // (an empty string) is never returned.
    CString::new(cleaned).unwrap_or_default()
}

/// A value as JSON text for C.
pub(crate) fn c_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<CString> {
    let json = serde_json::to_string(value).map_err(|e| {
        Error::new(ErrorKind::Internal {
            detail: format!("cannot encode a result as JSON: {e}"),
        })
    })?;
    // JSON escapes control characters inside strings, so it never holds a NUL byte.
    CString::new(json).map_err(|_| {
        Error::new(ErrorKind::Internal {
            detail: "JSON text holds a NUL byte".into(),
        })
    })
}

/// A pointer to an object the caller lends for the call (a handle, a key).
pub(crate) struct In<'a, T> {
    ptr: *const T,
    _borrow: PhantomData<&'a T>,
}

impl<'a, T> In<'a, T> {
    /// # Safety
    /// `ptr` is NULL or points to a live `T` made by this library and not yet freed, for the
    /// whole call.
    pub(crate) unsafe fn new(ptr: *const T) -> Self {
        Self {
            ptr,
            _borrow: PhantomData,
        }
    }

    /// The object, or NullArgument.
    pub(crate) fn required(&self, argument: &str) -> Result<&'a T> {
        self.optional().ok_or_else(|| null_argument(argument))
    }

    /// The object, or `None` for NULL.
    pub(crate) fn optional(&self) -> Option<&'a T> {
        // SAFETY: `new`'s contract: NULL or a live object for the call.
        unsafe { self.ptr.as_ref() }
    }
}

/// A NUL-terminated string argument.
pub(crate) struct Str<'a> {
    ptr: *const c_char,
    _borrow: PhantomData<&'a c_char>,
}

impl<'a> Str<'a> {
    /// # Safety
    /// `ptr` is NULL or points to a NUL-terminated string that stays unchanged for the call.
    pub(crate) unsafe fn new(ptr: *const c_char) -> Self {
        Self {
            ptr,
            _borrow: PhantomData,
        }
    }

    /// The text, or NullArgument or InvalidUtf8.
    pub(crate) fn required(&self, argument: &str) -> Result<&'a str> {
        self.optional(argument)?
            .ok_or_else(|| null_argument(argument))
    }

    /// The text, `None` for NULL, or InvalidUtf8.
    pub(crate) fn optional(&self, argument: &str) -> Result<Option<&'a str>> {
        if self.ptr.is_null() {
            return Ok(None);
        }
        // SAFETY: `new`'s contract: a NUL-terminated string, unchanged for the call.
        let c = unsafe { CStr::from_ptr(self.ptr) };
        c.to_str().map(Some).map_err(|_| {
            Error::new(ErrorKind::InvalidUtf8 {
                argument: argument.into(),
            })
        })
    }
}

/// A buffer argument: a pointer followed by its length in bytes.
pub(crate) struct Bytes<'a> {
    ptr: *const u8,
    len: usize,
    _borrow: PhantomData<&'a [u8]>,
}

impl<'a> Bytes<'a> {
    /// # Safety
    /// `ptr` is NULL or points to `len` readable bytes that stay unchanged for the call.
    pub(crate) unsafe fn new(ptr: *const u8, len: usize) -> Self {
        Self {
            ptr,
            len,
            _borrow: PhantomData,
        }
    }

    /// The bytes, or NullArgument (for NULL, even with length 0) or InvalidArgument (for a
    /// length no object can have).
    pub(crate) fn required(&self, argument: &str) -> Result<&'a [u8]> {
        if self.ptr.is_null() {
            return Err(null_argument(argument));
        }
        if isize::try_from(self.len).is_err() {
            return Err(invalid_argument(
                &format!("{argument}_len"),
                &self.len.to_string(),
                "the length is larger than any buffer can be (it overflows `ssize_t`)",
            ));
        }
        // SAFETY: `new`'s contract: `len` readable bytes at a non-NULL `ptr`; the length was
        // checked to fit `isize` as `from_raw_parts` requires.
        Ok(unsafe { std::slice::from_raw_parts(self.ptr, self.len) })
    }
}

/// An array of key handles followed by its length.
pub(crate) struct Keys<'a> {
    ptr: *const *const custodia_key,
    len: usize,
    _borrow: PhantomData<&'a custodia_key>,
}

impl<'a> Keys<'a> {
    /// # Safety
    /// `ptr` is NULL or points to `len` readable pointers, each NULL or a live key handle,
    /// all unchanged for the call.
    pub(crate) unsafe fn new(ptr: *const *const custodia_key, len: usize) -> Self {
        Self {
            ptr,
            len,
            _borrow: PhantomData,
        }
    }

    /// The keys: at least one, at most [`KEYS_PER_CALL_MAX`], none NULL.
    pub(crate) fn required(&self, argument: &str) -> Result<Vec<&'a custodia_key>> {
        if self.ptr.is_null() {
            return Err(null_argument(argument));
        }
        if self.len == 0 || self.len > KEYS_PER_CALL_MAX {
            return Err(invalid_argument(
                &format!("{argument}_len"),
                &self.len.to_string(),
                format!("give 1 to {KEYS_PER_CALL_MAX} keys, the recording actor's first"),
            ));
        }
        // SAFETY: `new`'s contract: `len` readable pointers at a non-NULL `ptr`; `len` is at
        // most 64, so the size in bytes cannot overflow.
        let pointers = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        pointers
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                // SAFETY: `new`'s contract: each element is NULL or a live key handle.
                unsafe { In::new(p) }.required(&format!("{argument}[{i}]"))
            })
            .collect()
    }
}

/// An out-parameter: where the caller wants a result written.
pub(crate) struct Out<'a, T> {
    ptr: *mut T,
    _borrow: PhantomData<&'a mut T>,
}

impl<'a, T> Out<'a, T> {
    /// # Safety
    /// `ptr` is NULL or valid for writing one `T` for the call.
    pub(crate) unsafe fn new(ptr: *mut T) -> Self {
        Self {
            ptr,
            _borrow: PhantomData,
        }
    }

    /// A slot that must be there, or NullArgument.
    pub(crate) fn required(self, argument: &str) -> Result<Slot<'a, T>> {
        self.optional().ok_or_else(|| null_argument(argument))
    }

    /// A slot the caller may leave out (NULL: the value is not wanted).
    pub(crate) fn optional(self) -> Option<Slot<'a, T>> {
        if self.ptr.is_null() {
            None
        } else {
            Some(Slot {
                ptr: self.ptr,
                _borrow: PhantomData,
            })
        }
    }
}

/// A non-NULL out-parameter.
pub(crate) struct Slot<'a, T> {
    ptr: *mut T,
    _borrow: PhantomData<&'a mut T>,
}

impl<T> Slot<'_, T> {
    /// Writes the result. Call it last, once nothing can fail any more.
    pub(crate) fn write(self, value: T) {
        // SAFETY: `Out::new`'s contract and the NULL check of `Out::optional`; `write` does
        // not read or drop what was there (out-parameters hold no value of ours).
        unsafe { self.ptr.write(value) }
    }
}

/// A handed-over string: ownership passes to the caller, who frees it with
/// `custodia_string_free`.
pub(crate) fn give_string(text: CString) -> *mut c_char {
    text.into_raw()
}

/// A handed-over object: ownership passes to the caller, who frees it with its `_free`.
pub(crate) fn give<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// The optional `custodia_error **error_out` of every fallible function.
pub(crate) struct ErrorOut {
    ptr: *mut *mut custodia_error,
}

impl ErrorOut {
    /// # Safety
    /// `ptr` is NULL or valid for writing one pointer for the call.
    pub(crate) unsafe fn new(ptr: *mut *mut custodia_error) -> Self {
        Self { ptr }
    }

    fn set(self, error: Option<custodia_error>) {
        if self.ptr.is_null() {
            return;
        }
        let value = error.map_or(std::ptr::null_mut(), give);
        // SAFETY: `new`'s contract and the NULL check above.
        unsafe { self.ptr.write(value) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{
        custodia_error_code, custodia_error_free, custodia_error_json, custodia_error_message,
    };

    fn text(p: *const c_char) -> String {
        assert!(!p.is_null());
        // SAFETY: a string owned by a live error object.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
    }

    #[test]
    fn a_panic_becomes_the_panic_code_and_an_error_object() {
        let mut err: *mut custodia_error = std::ptr::null_mut();
        let mut written: u64 = 7;
        // SAFETY: both pointers are to live locals.
        let (error_out, out) = unsafe { (ErrorOut::new(&mut err), Out::new(&mut written)) };
        let rc = run(error_out, || {
            let slot = out.required("out")?;
            if written == 7 {
                panic!("boom at the boundary");
            }
            slot.write(1);
            Ok(())
        });
        assert_eq!(rc, custodia_result::Panic);
        assert_eq!(rc as u32, 9009);
        assert_eq!(written, 7, "no output on a panic");
        // SAFETY: `err` was just made by `run`.
        unsafe {
            assert_eq!(custodia_error_code(err), custodia_result::Panic);
            assert!(text(custodia_error_message(err)).contains("boom at the boundary"));
            assert!(text(custodia_error_json(err)).contains("\"code\":9009"));
            custodia_error_free(err);
        }
        // A panic with a formatted message, and no error object wanted.
        // SAFETY: NULL is allowed.
        let rc = run(unsafe { ErrorOut::new(std::ptr::null_mut()) }, || {
            panic!("{} {}", "formatted", 42)
        });
        assert_eq!(rc, custodia_result::Panic);
        assert_eq!(guard(5, || panic!("in an accessor")), 5);
    }

    #[test]
    fn success_clears_the_error_out_and_errors_set_it() {
        let mut err: *mut custodia_error = std::ptr::NonNull::dangling().as_ptr();
        // SAFETY: a live local.
        let rc = run(unsafe { ErrorOut::new(&mut err) }, || Ok(()));
        assert_eq!(rc, custodia_result::Ok);
        assert!(err.is_null());
        // SAFETY: a live local.
        let rc = run(unsafe { ErrorOut::new(&mut err) }, || {
            Err(null_argument("ledger"))
        });
        assert_eq!(rc, custodia_result::NullArgument);
        // SAFETY: made by `run` just above.
        unsafe {
            assert_eq!(custodia_error_code(err), custodia_result::NullArgument);
            custodia_error_free(err);
        }
    }

    #[test]
    fn text_for_c_keeps_what_follows_a_nul() {
        assert_eq!(c_text("a\0b").to_str().unwrap(), "a\\u{0}b");
        assert_eq!(
            c_json(&"x\u{0}y").unwrap().to_str().unwrap(),
            "\"x\\u0000y\""
        );
    }

    #[test]
    fn buffers_refuse_null_and_impossible_lengths() {
        let data = [1u8, 2, 3];
        // SAFETY: NULL, and a live array with its true length.
        let (null, ok) = unsafe {
            (
                Bytes::new(std::ptr::null(), 0),
                Bytes::new(data.as_ptr(), 3),
            )
        };
        assert_eq!(
            null.required("b").unwrap_err().code(),
            custodia::ErrorCode::NullArgument
        );
        assert_eq!(ok.required("b").unwrap(), &data);
        // The length is checked before any slice is made, so this never reads.
        // SAFETY: never dereferenced: the length check fails first.
        let huge = unsafe { Bytes::new(data.as_ptr(), usize::MAX) };
        assert_eq!(
            huge.required("b").unwrap_err().code(),
            custodia::ErrorCode::InvalidArgument
        );
        let bad = [0xffu8, 0];
        // SAFETY: a NUL-terminated array.
        let s = unsafe { Str::new(bad.as_ptr().cast()) };
        assert_eq!(
            s.required("s").unwrap_err().code(),
            custodia::ErrorCode::InvalidUtf8
        );
    }
}
