//! The library's version, its ABI version, and the one way to free strings it hands out.

use std::ffi::{CString, c_char};

use crate::boundary::guard;

/// The ABI version this header describes. `custodia_abi_version()` returns the version of the
/// library actually loaded; a program compares the two at start-up. It changes when a function's
/// signature, a struct or the meaning of a result code changes incompatibly (new functions and
/// new result codes do not change it).
pub const CUSTODIA_ABI_VERSION: u32 = 1;

/// The library's version (semantic versioning), such as `"0.1.0"`.
///
/// Returns a static NUL-terminated string owned by the library; never NULL, never freed.
/// Callable from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn custodia_version() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    guard(c"unknown".as_ptr(), || VERSION.as_ptr())
}

/// The ABI version of the loaded library: equal to `CUSTODIA_ABI_VERSION` when the program was
/// compiled against a header of the same ABI.
///
/// Never fails; callable from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn custodia_abi_version() -> u32 {
    guard(CUSTODIA_ABI_VERSION, || CUSTODIA_ABI_VERSION)
}

/// Frees a string this library handed to the caller through a `char **..._out` parameter.
/// NULL is a no-op. Freeing the same non-NULL string twice, or a string the library did not
/// allocate this way (such as one returned by an accessor of `custodia_error`), is undefined
/// behaviour.
///
/// # Safety
/// `text` is NULL or a string returned through an `_out` parameter of this library, not yet
/// freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_string_free(text: *mut c_char) {
    guard((), || {
        if !text.is_null() {
            // SAFETY: the function's contract: made by `CString::into_raw` in this library
            // (`boundary::give_string`) and not yet freed.
            drop(unsafe { CString::from_raw(text) });
        }
    });
}
