//! Zero-dependency SDK for custodia rule plugins (ABI version 1).
//!
//! A rule is a plain function from the event context and the plugin's configuration to a
//! [`Verdict`]. The SDK owns everything that touches raw pointers: the host functions of the
//! ABI (`docs/PLUGIN_ABI.md`), the exported entry points (through [`rule!`]) and the copying of
//! strings across the sandbox boundary. Rule authors never write `unsafe`.
//!
//! ```ignore
//! use custodia_pdk::{rule, Doc, Verdict};
//!
//! fn witnesses(ctx: &Doc, cfg: &Doc) -> Verdict {
//!     let n = ctx.count("/event/witnesses");
//!     let min = cfg.int("/witnesses_min").unwrap_or(2);
//!     if (n as i64) < min {
//!         return Verdict::deny("WITNESSES_TOO_FEW", format!("{} witnesses, {} required", n, min));
//!     }
//!     Verdict::allow()
//! }
//! rule!(witnesses);
//! ```
//!
//! Builds with Rust 1.63 (Debian's wasm32 toolchain) and with current Rust.
#![allow(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;

/// The ABI version this SDK implements; exported by [`rule!`] as `custodia_abi_version`.
pub const ABI_VERSION: i32 = 1;

/// Bytes tried first when the host copies a string out; longer strings cost a second call.
const STR_BUF_FIRST_BYTES: usize = 256;

mod sys {
    #[cfg(target_arch = "wasm32")]
    #[link(wasm_import_module = "custodia")]
    extern "C" {
        pub fn kind(doc: i32, ptr: *const u8, len: i32) -> i32;
        pub fn get_bool(doc: i32, ptr: *const u8, len: i32) -> i32;
        pub fn get_int(doc: i32, ptr: *const u8, len: i32, out: *mut i64) -> i32;
        pub fn get_str(doc: i32, ptr: *const u8, len: i32, buf: *mut u8, cap: i32) -> i32;
        pub fn count(doc: i32, ptr: *const u8, len: i32) -> i32;
        pub fn key(doc: i32, ptr: *const u8, len: i32, index: i32, buf: *mut u8, cap: i32) -> i32;
        pub fn get_json(doc: i32, ptr: *const u8, len: i32, buf: *mut u8, cap: i32) -> i32;
        pub fn str_eq(doc: i32, ptr: *const u8, len: i32, s: *const u8, s_len: i32) -> i32;
        pub fn deny(code: *const u8, code_len: i32, msg: *const u8, msg_len: i32);
        pub fn warn(code: *const u8, code_len: i32, msg: *const u8, msg_len: i32);
    }

    // Off wasm32 the native test harness (`native.rs`) answers the lookups from the documents
    // a test gives it (`native::judge`); outside a harness call every document is empty, as
    // before the harness existed. Real tests still run the .wasm in the host
    // (`custodia rules test`); the harness checks a rule's logic in `cargo test`.
    //
    // Keep this block as long as it is: a module's bytes hold the line numbers of the SDK's
    // panic locations, so moving the lines below would change the module, and so the
    // identity, of every rule rebuilt with this SDK (the harness is compiled off wasm32 only
    // and must leave wasm32 modules byte for byte as they were).
    //
    //
    //
    //
    //
    //
    //
    //
    //
    //
    //
    #[cfg(not(target_arch = "wasm32"))]
    pub use crate::native::host::{
        kind,
        get_bool,
        get_int,
        get_str,
        count,
        key,
        get_json,
        str_eq,
        deny,
        warn,
    };
}

/// A bump allocator for wasm32. Every call runs in a fresh instance (see the ABI), so memory
/// never needs to be given back: freeing is a no-op and allocating is a pointer increment.
/// This is both faster than dlmalloc and avoids its `memory.grow` on first use.
#[cfg(target_arch = "wasm32")]
mod bump {
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::UnsafeCell;

    // Small enough that stack, data and arena fit the first 64 KiB page: the host clears
    // every page of a fresh instance, so each page costs every call.
    const ARENA_BYTES: usize = 24 * 1024;
    const PAGE_BYTES: usize = 64 * 1024;

    #[repr(C, align(16))]
    struct Arena(UnsafeCell<[u8; ARENA_BYTES]>);

    struct Bump {
        next: UnsafeCell<usize>,
        end: UnsafeCell<usize>,
    }

    // wasm32-unknown-unknown without threads: one thread per instance.
    unsafe impl Sync for Bump {}
    unsafe impl Sync for Arena {}

    static ARENA: Arena = Arena(UnsafeCell::new([0; ARENA_BYTES]));
    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let next = &mut *self.next.get();
            let end = &mut *self.end.get();
            if *end == 0 {
                *next = ARENA.0.get() as usize;
                *end = *next + ARENA_BYTES;
            }
            let align = layout.align();
            let start = (*next + align - 1) & !(align - 1);
            let stop = match start.checked_add(layout.size()) {
                Some(s) => s,
                None => return std::ptr::null_mut(),
            };
            if stop <= *end {
                *next = stop;
                return start as *mut u8;
            }
            // Out of arena: take fresh pages (at least 4, to grow rarely).
            let pages = ((layout.size() + align + PAGE_BYTES - 1) / PAGE_BYTES).max(4);
            let old = core::arch::wasm32::memory_grow(0, pages);
            if old == usize::MAX {
                return std::ptr::null_mut();
            }
            let base = old * PAGE_BYTES;
            let start = (base + align - 1) & !(align - 1);
            *next = start + layout.size();
            *end = base + pages * PAGE_BYTES;
            start as *mut u8
        }

        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
    }

    #[global_allocator]
    static GLOBAL: Bump = Bump {
        next: UnsafeCell::new(0),
        end: UnsafeCell::new(0),
    };
}

/// Length of a Rust string as the ABI's `i32`; strings this large never reach the host.
fn len_i32(s: &[u8]) -> i32 {
    if s.len() > i32::MAX as usize {
        i32::MAX
    } else {
        s.len() as i32
    }
}

/// The JSON type found at a pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing at this pointer.
    Absent,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// An integer that fits in `i64`.
    Int,
    /// Any other number (the ledger keeps floats out; configs should too).
    Number,
    /// A string.
    Str,
    /// An array.
    Array,
    /// An object.
    Object,
}

/// One of the two documents a rule can read: the event context or the plugin configuration.
///
/// Every lookup takes a JSON Pointer (RFC 6901), e.g. `"/event/witnesses/0/agency"`; the empty
/// pointer `""` is the whole document. Use [`token`] to escape a key that may contain `/` or `~`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Doc {
    id: i32,
}

impl Doc {
    /// The input document: `{"event", "signers", "items", "lots", "site", "authorisation"}`.
    pub const INPUT: Doc = Doc { id: 0 };
    /// The plugin's configuration, as given in its manifest.
    pub const CONFIG: Doc = Doc { id: 1 };

    /// The JSON type at `pointer`.
    pub fn kind(&self, pointer: &str) -> Kind {
        let k = unsafe { sys::kind(self.id, pointer.as_ptr(), len_i32(pointer.as_bytes())) };
        match k {
            0 => Kind::Null,
            1 => Kind::Bool,
            2 => Kind::Int,
            3 => Kind::Number,
            4 => Kind::Str,
            5 => Kind::Array,
            6 => Kind::Object,
            _ => Kind::Absent,
        }
    }

    /// Whether anything (even `null`) is at `pointer`.
    pub fn exists(&self, pointer: &str) -> bool {
        self.kind(pointer) != Kind::Absent
    }

    /// Whether a value other than `null` is at `pointer`.
    pub fn present(&self, pointer: &str) -> bool {
        !matches!(self.kind(pointer), Kind::Absent | Kind::Null)
    }

    /// The boolean at `pointer`, if there is one.
    pub fn bool(&self, pointer: &str) -> Option<bool> {
        match unsafe { sys::get_bool(self.id, pointer.as_ptr(), len_i32(pointer.as_bytes())) } {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// The integer at `pointer`, if there is one that fits in `i64`.
    pub fn int(&self, pointer: &str) -> Option<i64> {
        let mut out: i64 = 0;
        let found = unsafe {
            sys::get_int(
                self.id,
                pointer.as_ptr(),
                len_i32(pointer.as_bytes()),
                &mut out as *mut i64,
            )
        };
        if found == 1 {
            Some(out)
        } else {
            None
        }
    }

    /// The string at `pointer`, if there is one.
    pub fn str(&self, pointer: &str) -> Option<String> {
        let id = self.id;
        read_string(|buf, cap| unsafe {
            sys::get_str(id, pointer.as_ptr(), len_i32(pointer.as_bytes()), buf, cap)
        })
    }

    /// Elements of the array (or members of the object) at `pointer`; 0 when absent.
    pub fn count(&self, pointer: &str) -> usize {
        self.len(pointer).unwrap_or(0)
    }

    /// Elements of the array (or members of the object) at `pointer`, if it is one.
    pub fn len(&self, pointer: &str) -> Option<usize> {
        let n = unsafe { sys::count(self.id, pointer.as_ptr(), len_i32(pointer.as_bytes())) };
        if n < 0 {
            None
        } else {
            Some(n as usize)
        }
    }

    /// The member names of the object at `pointer`, in the host's order (sorted); empty when
    /// it is not an object.
    pub fn keys(&self, pointer: &str) -> Vec<String> {
        let id = self.id;
        let mut keys = Vec::new();
        let n = match self.kind(pointer) {
            Kind::Object => self.count(pointer),
            _ => 0,
        };
        for i in 0..n {
            let index = if i > i32::MAX as usize {
                i32::MAX
            } else {
                i as i32
            };
            let k = read_string(|buf, cap| unsafe {
                sys::key(
                    id,
                    pointer.as_ptr(),
                    len_i32(pointer.as_bytes()),
                    index,
                    buf,
                    cap,
                )
            });
            if let Some(k) = k {
                keys.push(k);
            }
        }
        keys
    }

    /// The strings of the array at `pointer` (non-string elements are skipped).
    pub fn strs(&self, pointer: &str) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..self.count(pointer) {
            if let Some(s) = self.str(&path(pointer).index(i).build()) {
                out.push(s);
            }
        }
        out
    }

    /// Whether the value at `pointer` is the string `s` (compared by the host, no copy).
    pub fn str_eq(&self, pointer: &str, s: &str) -> bool {
        let r = unsafe {
            sys::str_eq(
                self.id,
                pointer.as_ptr(),
                len_i32(pointer.as_bytes()),
                s.as_ptr(),
                len_i32(s.as_bytes()),
            )
        };
        r == 1
    }

    /// Whether the array at `pointer` contains the string `needle`.
    pub fn contains_str(&self, pointer: &str, needle: &str) -> bool {
        (0..self.count(pointer)).any(|i| self.str_eq(&path(pointer).index(i).build(), needle))
    }

    /// Index of the first element of the array at `array` whose member `member` (a pointer
    /// relative to the element, e.g. `"/actor"`) is the string `needle`.
    pub fn find_str(&self, array: &str, member: &str, needle: &str) -> Option<usize> {
        (0..self.count(array)).find(|&i| {
            let mut p = path(array).index(i).build();
            p.push_str(member);
            self.str_eq(&p, needle)
        })
    }

    /// The compact JSON text of the value at `pointer` (`""` for the whole document).
    pub fn json(&self, pointer: &str) -> Option<String> {
        let id = self.id;
        read_string(|buf, cap| unsafe {
            sys::get_json(id, pointer.as_ptr(), len_i32(pointer.as_bytes()), buf, cap)
        })
    }
}

/// Calls `f(buf, cap)` (which returns the full length or -1) and retries once with a buffer
/// large enough when the first one was too small.
fn read_string<F: Fn(*mut u8, i32) -> i32>(f: F) -> Option<String> {
    let mut first = [0u8; STR_BUF_FIRST_BYTES];
    let n = f(first.as_mut_ptr(), STR_BUF_FIRST_BYTES as i32);
    if n < 0 {
        return None;
    }
    let n = n as usize;
    let bytes = if n <= STR_BUF_FIRST_BYTES {
        first.get(..n)?.to_vec()
    } else {
        let mut buf: Vec<u8> = vec![0; n];
        let m = f(buf.as_mut_ptr(), len_i32(&buf));
        if m < 0 || m as usize != n {
            return None;
        }
        buf
    };
    // The host copies strings out of valid JSON text: they are UTF-8.
    String::from_utf8(bytes).ok()
}

/// Builds a JSON Pointer without `format!`: `path("/event/witnesses").index(2).key("actor")`
/// gives `/event/witnesses/2/actor` (keys are escaped as RFC 6901 requires).
pub fn path(base: &str) -> Path {
    let mut s = String::with_capacity(base.len() + 24);
    s.push_str(base);
    Path { s }
}

/// A JSON Pointer under construction; see [`path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    s: String,
}

impl Path {
    /// Appends an array index.
    pub fn index(mut self, i: usize) -> Path {
        self.s.push('/');
        let mut digits = [0u8; 20];
        let mut n = i;
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[at..] {
            self.s.push(d as char);
        }
        self
    }

    /// Appends an object member name (escaped).
    pub fn key(mut self, k: &str) -> Path {
        self.s.push('/');
        if k.contains('~') || k.contains('/') {
            self.s.push_str(&token(k));
        } else {
            self.s.push_str(k);
        }
        self
    }

    /// The pointer text.
    pub fn build(self) -> String {
        self.s
    }
}

impl std::ops::Deref for Path {
    type Target = str;
    fn deref(&self) -> &str {
        &self.s
    }
}

/// Escapes one reference token for a JSON Pointer (RFC 6901): `~` → `~0`, `/` → `~1`.
pub fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A warning attached to a verdict: a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable code, `[A-Z0-9_]`, at most 64 bytes.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// What a rule decides about one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    deny: Option<Warning>,
    warnings: Vec<Warning>,
}

impl Verdict {
    /// The event may proceed.
    pub fn allow() -> Verdict {
        Verdict {
            deny: None,
            warnings: Vec::new(),
        }
    }

    /// The event is refused, with a stable code (`[A-Z0-9_]`, e.g. `MARKING_INCOMPLETE`) and
    /// a message for the operator.
    pub fn deny<C: Into<String>, M: Into<String>>(code: C, message: M) -> Verdict {
        Verdict {
            deny: Some(Warning {
                code: code.into(),
                message: message.into(),
            }),
            warnings: Vec::new(),
        }
    }

    /// Adds a warning (kept whether the verdict allows or denies).
    pub fn warn<C: Into<String>, M: Into<String>>(mut self, code: C, message: M) -> Verdict {
        self.warnings.push(Warning {
            code: code.into(),
            message: message.into(),
        });
        self
    }

    /// Adds a warning in place.
    pub fn push_warning<C: Into<String>, M: Into<String>>(&mut self, code: C, message: M) {
        self.warnings.push(Warning {
            code: code.into(),
            message: message.into(),
        });
    }

    /// Whether this verdict denies the event.
    pub fn is_deny(&self) -> bool {
        self.deny.is_some()
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.deny {
            Some(d) => write!(f, "deny {}: {}", d.code, d.message),
            None => write!(f, "allow"),
        }
    }
}

/// Runs a rule and reports its verdict to the host. Called by the code [`rule!`] generates.
#[doc(hidden)]
pub fn __run(rule: fn(&Doc, &Doc) -> Verdict) -> i32 {
    let verdict = rule(&Doc::INPUT, &Doc::CONFIG);
    for w in &verdict.warnings {
        unsafe {
            sys::warn(
                w.code.as_ptr(),
                len_i32(w.code.as_bytes()),
                w.message.as_ptr(),
                len_i32(w.message.as_bytes()),
            )
        };
    }
    if let Some(d) = &verdict.deny {
        unsafe {
            sys::deny(
                d.code.as_ptr(),
                len_i32(d.code.as_bytes()),
                d.message.as_ptr(),
                len_i32(d.message.as_bytes()),
            )
        };
    }
    0
}

/// Exports the ABI v1 entry points (`custodia_abi_version`, `judge`) for a rule function
/// `fn(&Doc, &Doc) -> Verdict` taking the input document and the configuration.
///
/// `rule!(my_rule, validate_config = check_config)` also exports `validate_config`, which the
/// host calls once when it loads the plugin, with the configuration only
/// (`fn(&Doc) -> Verdict`): a denial is a load error naming the plugin and the field (build
/// it with [`Verdict::deny_field`]). Without it nothing more is exported and every
/// configuration is accepted (the module, and so the plugin's identity, is the same as before
/// `validate_config` existed).
#[macro_export]
macro_rules! rule {
    ($rule:path, validate_config = $check:path) => {
        $crate::rule!($rule);

        fn __custodia_validate_config(_: &$crate::Doc, config: &$crate::Doc) -> $crate::Verdict {
            $check(config)
        }

        #[no_mangle]
        pub extern "C" fn validate_config() -> i32 {
            $crate::__run(__custodia_validate_config)
        }
    };
    ($rule:path) => {
        #[no_mangle]
        pub extern "C" fn custodia_abi_version() -> i32 {
            $crate::ABI_VERSION
        }

        #[no_mangle]
        pub extern "C" fn judge() -> i32 {
            $crate::__run($rule)
        }
    };
}

#[cfg(not(target_arch = "wasm32"))]
mod json;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;

impl Verdict {
    /// A refusal of the configuration by a `validate_config` function, naming the refused
    /// field by its JSON Pointer into the configuration (`""` for the whole of it). The host
    /// reads the field back from the message, which is `FIELD: MESSAGE`.
    pub fn deny_field<F: AsRef<str>, C: Into<String>, M: AsRef<str>>(
        field: F,
        code: C,
        message: M,
    ) -> Verdict {
        let mut text = String::with_capacity(field.as_ref().len() + 2 + message.as_ref().len());
        text.push_str(field.as_ref());
        text.push_str(": ");
        text.push_str(message.as_ref());
        Verdict::deny(code, text)
    }

    /// The denial's code, `None` when the verdict allows.
    pub fn code(&self) -> Option<&str> {
        self.deny.as_ref().map(|d| d.code.as_str())
    }

    /// The denial's message, `None` when the verdict allows.
    pub fn message(&self) -> Option<&str> {
        self.deny.as_ref().map(|d| d.message.as_str())
    }

    /// The warnings, in the order they were added.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_escapes_tilde_before_slash() {
        assert_eq!(token("a/b~c"), "a~1b~0c");
        assert_eq!(token("1.1"), "1.1");
    }

    #[test]
    fn verdict_builders() {
        let v = Verdict::deny("X", "y").warn("W", "w");
        assert!(v.is_deny());
        assert_eq!(v.warnings.len(), 1);
        assert_eq!(v.to_string(), "deny X: y");
        assert!(!Verdict::allow().is_deny());
    }
}

// ABI version 2's host queries. Declared last and behind a feature, so that the modules of ABI
// version 1 rules stay byte for byte what they were: their identity hashes are on record in
// ledgers, and panic locations (file, line) are part of a module's bytes.
#[cfg(feature = "queries")]
pub mod query;
