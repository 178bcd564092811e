//! `custodia_key`: an Ed25519 signing key, for signing events (an actor's key) or tree heads
//! (the ledger's log key). The secret stays inside the object; it leaves only through
//! `custodia_key_write_file` (a 0600 file) or `custodia_key_seed` (a buffer the caller owns).

use std::ffi::c_char;
use std::path::Path;
use std::sync::Arc;

use custodia::Signer;

use crate::boundary::{Bytes, ErrorOut, In, Out, Str, c_text, give, give_string, guard, run};
use crate::error::custodia_error;
use crate::result::custodia_result;

/// Bytes in a key's secret seed.
pub const CUSTODIA_KEY_SEED_BYTES: usize = 32;

/// An Ed25519 signing key. Made by `custodia_key_generate`, `custodia_key_from_seed` or
/// `custodia_key_read_file`; freed with `custodia_key_free`.
///
/// Thread safety: immutable; it may be used by any number of threads at once (to sign, to open
/// ledgers). Free it once, when no thread uses it any more. A ledger made with it keeps its own
/// copy, so the key may be freed while the ledger is open.
pub struct custodia_key {
    pub(crate) signer: Arc<Signer>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<custodia_key>();
};

/// Generates a new key from the operating system's random number generator.
///
/// On success writes a new key to `*key_out`, owned by the caller (free with
/// `custodia_key_free`). On error writes nothing to `*key_out`.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_NULL_ARGUMENT` (`key_out` is NULL),
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `key_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_key_generate(
    key_out: *mut *mut custodia_key,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (key_out, error_out) = unsafe { (Out::new(key_out), ErrorOut::new(error_out)) };
    run(error_out, || {
        let slot = key_out.required("key_out")?;
        slot.write(give(custodia_key {
            signer: Arc::new(Signer::generate()),
        }));
        Ok(())
    })
}

/// Makes the key whose secret seed is the `seed_len` bytes at `seed` (exactly 32, RFC 8032).
///
/// On success writes a new key to `*key_out`, owned by the caller (free with
/// `custodia_key_free`); the caller may wipe its copy of the seed. On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_INVALID_ARGUMENT` (`seed_len` is not 32), `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `seed` is NULL or points to `seed_len` readable bytes; `key_out` and `error_out` are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_key_from_seed(
    seed: *const u8,
    seed_len: usize,
    key_out: *mut *mut custodia_key,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (seed, key_out, error_out) = unsafe {
        (
            Bytes::new(seed, seed_len),
            Out::new(key_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let bytes = seed.required("seed")?;
        let slot = key_out.required("key_out")?;
        let seed: [u8; CUSTODIA_KEY_SEED_BYTES] = bytes.try_into().map_err(|_| {
            crate::boundary::invalid_argument(
                "seed_len",
                &seed_len.to_string(),
                "an Ed25519 seed is 32 bytes",
            )
        })?;
        slot.write(give(custodia_key {
            signer: Arc::new(Signer::from_seed(seed)),
        }));
        Ok(())
    })
}

/// Reads a key file as `custodia keygen` and `custodia_key_write_file` write it (JSON with
/// `public_key` and `secret_seed`). Refuses a file its group or other users can read.
///
/// On success writes a new key to `*key_out`, owned by the caller (free with
/// `custodia_key_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_KEY_FILE_INVALID` (missing, unreadable,
/// readable by others, malformed, or a public key that does not match the seed),
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `key_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_key_read_file(
    path: *const c_char,
    key_out: *mut *mut custodia_key,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (path, key_out, error_out) =
        unsafe { (Str::new(path), Out::new(key_out), ErrorOut::new(error_out)) };
    run(error_out, || {
        let path = path.required("path")?;
        let slot = key_out.required("key_out")?;
        let signer = Signer::read_key_file(Path::new(path))?;
        slot.write(give(custodia_key {
            signer: Arc::new(signer),
        }));
        Ok(())
    })
}

/// Writes `key` to a new key file at `path`, readable by its owner only (mode 0600), naming
/// `actor` (NULL: no actor; an actor id such as `"unit:log-bn-2"`, for people reading the file).
/// Refuses a path that exists, a symbolic link included, so a secret is never written
/// elsewhere.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_FILE_EXISTS`, `CUSTODIA_RESULT_IO`,
/// `CUSTODIA_RESULT_KEY_FILE_INVALID`, `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_INVALID_UTF8`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `key` is NULL or a live key; `path` and `actor` are NULL or NUL-terminated strings;
/// `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_key_write_file(
    key: *const custodia_key,
    path: *const c_char,
    actor: *const c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (key, path, actor, error_out) = unsafe {
        (
            In::new(key),
            Str::new(path),
            Str::new(actor),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let key = key.required("key")?;
        let path = path.required("path")?;
        let actor = actor.optional("actor")?;
        key.signer.write_key_file(Path::new(path), actor)
    })
}

/// The key's public key as 64 lowercase hex digits, as events list it in `keys` and
/// `signatures`.
///
/// On success writes a new NUL-terminated string to `*hex_out`, owned by the caller (free with
/// `custodia_string_free`). On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `key` is NULL or a live key; `hex_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_key_public_key(
    key: *const custodia_key,
    hex_out: *mut *mut c_char,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (key, hex_out, error_out) =
        unsafe { (In::new(key), Out::new(hex_out), ErrorOut::new(error_out)) };
    run(error_out, || {
        let key = key.required("key")?;
        let slot = hex_out.required("hex_out")?;
        slot.write(give_string(c_text(&key.signer.public_key().to_hex())));
        Ok(())
    })
}

/// Copies the key's 32-byte secret seed into the caller's buffer `seed_out` of `seed_out_len`
/// bytes (for a hardware token or a vault; keep it secret and wipe it after use).
///
/// On success writes exactly 32 bytes at the start of `seed_out`. On error writes nothing.
///
/// Returns `CUSTODIA_RESULT_OK`, or `CUSTODIA_RESULT_BUFFER_TOO_SMALL` (`seed_out_len` < 32),
/// `CUSTODIA_RESULT_NULL_ARGUMENT`, `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `key` is NULL or a live key; `seed_out` is NULL or points to `seed_out_len` writable bytes;
/// `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_key_seed(
    key: *const custodia_key,
    seed_out: *mut u8,
    seed_out_len: usize,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (key, error_out) = unsafe { (In::new(key), ErrorOut::new(error_out)) };
    run(error_out, || {
        let key = key.required("key")?;
        if seed_out.is_null() {
            return Err(crate::boundary::null_argument("seed_out"));
        }
        if seed_out_len < CUSTODIA_KEY_SEED_BYTES {
            return Err(custodia::Error::new(custodia::ErrorKind::BufferTooSmall {
                given: seed_out_len as u64,
                needed: CUSTODIA_KEY_SEED_BYTES as u64,
            }));
        }
        // SAFETY: the function's contract: `seed_out` points to `seed_out_len` writable bytes,
        // checked above to be at least 32 and non-NULL; `[u8; 32]` has alignment 1.
        let slot = unsafe { Out::new(seed_out.cast::<[u8; CUSTODIA_KEY_SEED_BYTES]>()) };
        slot.required("seed_out")?.write(key.signer.seed());
        Ok(())
    })
}

/// Frees a key. NULL is a no-op. Freeing the same non-NULL key twice is undefined behaviour.
/// Ledgers opened with the key keep working: they hold their own reference.
///
/// # Safety
/// `key` is NULL or a key made by this library and not yet freed; no other thread uses it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_key_free(key: *mut custodia_key) {
    guard((), || {
        if !key.is_null() {
            // SAFETY: the function's contract: made by `Box::into_raw` here, not yet freed,
            // no longer used.
            drop(unsafe { Box::from_raw(key) });
        }
    });
}

/// Bytes in an Ed25519 public key.
pub const CUSTODIA_PUBLIC_KEY_BYTES: usize = 32;
/// Bytes in an Ed25519 signature.
pub const CUSTODIA_SIGNATURE_BYTES: usize = 64;

/// Checks one Ed25519 signature by the rule the ledger applies to event signatures (FORMAT.md
/// §4: ZIP 215's cofactored equation with a canonical S, a public key that is canonical, not of
/// small order and torsion-free, an R that is canonical and not of small order). An event's
/// signatures sign its 32-byte id; an auditor checking an export's signatures gets here the
/// verdict `custodia_ledger_verify` gives.
///
/// On success writes the verdict to `*valid_out` (true: the signature verifies). On error writes
/// nothing.
///
/// Returns `CUSTODIA_RESULT_OK` (for either verdict), or `CUSTODIA_RESULT_INVALID_ARGUMENT`
/// (`public_key_len` is not 32 or `signature_len` not 64), `CUSTODIA_RESULT_NULL_ARGUMENT`,
/// `CUSTODIA_RESULT_PANIC`.
///
/// # Safety
/// `public_key`, `message` and `signature` are NULL or point to their length in readable bytes
/// (NULL is refused even with a length of 0: pass any valid pointer for an empty message);
/// `valid_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn custodia_signature_verify(
    public_key: *const u8,
    public_key_len: usize,
    message: *const u8,
    message_len: usize,
    signature: *const u8,
    signature_len: usize,
    valid_out: *mut bool,
    error_out: *mut *mut custodia_error,
) -> custodia_result {
    // SAFETY: the function's contract (see the header).
    let (public_key, message, signature, valid_out, error_out) = unsafe {
        (
            Bytes::new(public_key, public_key_len),
            Bytes::new(message, message_len),
            Bytes::new(signature, signature_len),
            Out::new(valid_out),
            ErrorOut::new(error_out),
        )
    };
    run(error_out, || {
        let key = public_key.required("public_key")?;
        let message = message.required("message")?;
        let signature = signature.required("signature")?;
        let slot = valid_out.required("valid_out")?;
        let key: &[u8; CUSTODIA_PUBLIC_KEY_BYTES] = key.try_into().map_err(|_| {
            crate::boundary::invalid_argument(
                "public_key_len",
                &public_key_len.to_string(),
                "an Ed25519 public key is 32 bytes",
            )
        })?;
        let signature: &[u8; CUSTODIA_SIGNATURE_BYTES] = signature.try_into().map_err(|_| {
            crate::boundary::invalid_argument(
                "signature_len",
                &signature_len.to_string(),
                "an Ed25519 signature is 64 bytes",
            )
        })?;
        slot.write(custodia::sigcheck::verify_one(key, message, signature));
        Ok(())
    })
}
