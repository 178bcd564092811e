//! ABI version 2: questions a rule may ask the ledger, answered from the ledger as it was just
//! before the judged event (`docs/PLUGIN_ABI.md`, "Version 2"). A rule that asks them is
//! exported with [`rule_v2!`](crate::rule_v2) and its manifest says `"abi_version": 2`.
//!
//! Every question names its subject by an [`Arg`]: a JSON Pointer into the input
//! ([`Arg::Input`]) or the configuration ([`Arg::Config`]), or the text itself ([`Arg::Text`]).
//! A pointer that is malformed or points at nothing of the right type ends the call with a host
//! error (the ledger refuses the event as not judged): check that the value is there first.
//!
//! ```ignore
//! use custodia_pdk::query::{self, Arg, Lookup};
//! match query::last_full_count(Arg::Input("/site/id")) {
//!     Lookup::Found(count) if count.days > 92 => { /* too old */ }
//!     Lookup::Found(_) => { /* recent enough */ }
//!     Lookup::Missing => { /* never fully counted */ }
//!     Lookup::NotRegistered => { /* no such site */ }
//! }
//! ```

use crate::{len_i32, read_string, Doc};

/// The ABI version a rule exported with [`rule_v2!`](crate::rule_v2) declares.
pub const ABI_VERSION_QUERIES: i32 = 2;

/// `doc` value: the argument is the text itself.
const DOC_TEXT: i32 = 2;

mod sys {
    #[cfg(target_arch = "wasm32")]
    #[link(wasm_import_module = "custodia")]
    extern "C" {
        pub fn last_full_count(doc: i32, ptr: *const u8, len: i32, buf: *mut u8, cap: i32) -> i32;
        pub fn site_holdings(doc: i32, ptr: *const u8, len: i32, buf: *mut u8, cap: i32) -> i32;
        pub fn marking_registered(
            doc: i32,
            ptr: *const u8,
            len: i32,
            buf: *mut u8,
            cap: i32,
        ) -> i32;
        pub fn days_since_seizure(doc: i32, ptr: *const u8, len: i32, out: *mut i64) -> i32;
        pub fn days_since_inspection(doc: i32, ptr: *const u8, len: i32, out: *mut i64) -> i32;
    }

    // Off wasm32 there is no ledger: nothing is registered.
    #[cfg(not(target_arch = "wasm32"))]
    mod native {
        pub unsafe fn last_full_count(_: i32, _: *const u8, _: i32, _: *mut u8, _: i32) -> i32 {
            -2
        }
        pub unsafe fn site_holdings(_: i32, _: *const u8, _: i32, _: *mut u8, _: i32) -> i32 {
            -2
        }
        pub unsafe fn marking_registered(_: i32, _: *const u8, _: i32, _: *mut u8, _: i32) -> i32 {
            -1
        }
        pub unsafe fn days_since_seizure(_: i32, _: *const u8, _: i32, _: *mut i64) -> i32 {
            -2
        }
        pub unsafe fn days_since_inspection(_: i32, _: *const u8, _: i32, _: *mut i64) -> i32 {
            -2
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub use native::*;
}

/// Where a question's argument comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// The value at this JSON Pointer in the input document.
    Input(&'a str),
    /// The value at this JSON Pointer in the configuration.
    Config(&'a str),
    /// This text (for [`marking_registered`]: the JSON text of `{"manufacturer", "serial"}`).
    Text(&'a str),
}

impl<'a> Arg<'a> {
    fn parts(&self) -> (i32, &'a str) {
        match *self {
            Arg::Input(p) => (Doc::INPUT.id, p),
            Arg::Config(p) => (Doc::CONFIG.id, p),
            Arg::Text(t) => (DOC_TEXT, t),
        }
    }
}

/// An answer about a subject (a site, an item, a lot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// The subject is registered and the ledger knows the answer.
    Found(T),
    /// The subject is registered but the ledger has no answer (never fully counted, not
    /// under a seizure hold, never inspected).
    Missing,
    /// No such subject is registered.
    NotRegistered,
}

/// A site's last full count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullCount {
    /// The `stock_check` event id (hex).
    pub event: String,
    /// When it was made (RFC 3339, UTC).
    pub at: String,
    /// Whole days from it to the judged event.
    pub days: i64,
}

/// What a site holds of one hazard division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionHolding {
    /// UN hazard division, `1.1` … `1.6`.
    pub division: String,
    /// Units held.
    pub units: u64,
    /// Net explosive quantity held, grams.
    pub neq_grams: u64,
}

/// Reads a text answer: `Ok(text)`, or `Err(code)` when the host returned a negative code.
fn text_answer<F: Fn(*mut u8, i32) -> i32>(f: F) -> Result<String, i32> {
    let code = std::cell::Cell::new(0);
    let text = read_string(|buf, cap| {
        let n = f(buf, cap);
        if n < 0 {
            code.set(n);
        }
        n
    });
    match text {
        Some(t) => Ok(t),
        None => Err(code.get()),
    }
}

/// The value of member `name` in a flat JSON object of strings and integers written by the
/// host (canonical JSON: no spaces, strings without escapes that matter here).
fn member<'t>(object: &'t str, name: &str) -> Option<&'t str> {
    let mut key = String::with_capacity(name.len() + 3);
    key.push('"');
    key.push_str(name);
    key.push_str("\":");
    let start = object.find(&key)? + key.len();
    let rest = object.get(start..)?;
    if let Some(s) = rest.strip_prefix('"') {
        let end = s.find('"')?;
        s.get(..end)
    } else {
        let end = rest.find(|c: char| c == ',' || c == '}').unwrap_or(rest.len());
        rest.get(..end)
    }
}

/// The last full count of the site named by `site` (e.g. `Arg::Input("/site/id")`): the
/// least recent of the last full counts of the holdings that hold stock there.
pub fn last_full_count(site: Arg<'_>) -> Lookup<FullCount> {
    let (doc, text) = site.parts();
    let answer = text_answer(|buf, cap| unsafe {
        sys::last_full_count(doc, text.as_ptr(), len_i32(text.as_bytes()), buf, cap)
    });
    match answer {
        Ok(json) => {
            let days = member(&json, "days").and_then(|d| d.parse().ok());
            match (member(&json, "event"), member(&json, "at"), days) {
                (Some(event), Some(at), Some(days)) => Lookup::Found(FullCount {
                    event: event.to_owned(),
                    at: at.to_owned(),
                    days,
                }),
                _ => Lookup::Missing,
            }
        }
        Err(-1) => Lookup::Missing,
        Err(_) => Lookup::NotRegistered,
    }
}

/// What the site named by `site` holds of each hazard division, in division order.
pub fn site_holdings(site: Arg<'_>) -> Lookup<Vec<DivisionHolding>> {
    let (doc, text) = site.parts();
    let answer = text_answer(|buf, cap| unsafe {
        sys::site_holdings(doc, text.as_ptr(), len_i32(text.as_bytes()), buf, cap)
    });
    match answer {
        Ok(json) => {
            let mut out = Vec::new();
            // `[{...},{...}]`: objects hold no nested braces.
            for object in json.split('}') {
                let division = member(object, "division");
                let units = member(object, "units").and_then(|u| u.parse().ok());
                let neq = member(object, "neq_grams").and_then(|n| n.parse().ok());
                if let (Some(division), Some(units), Some(neq_grams)) = (division, units, neq) {
                    out.push(DivisionHolding {
                        division: division.to_owned(),
                        units,
                        neq_grams,
                    });
                }
            }
            Lookup::Found(out)
        }
        Err(_) => Lookup::NotRegistered,
    }
}

/// The item already registered with the marking named by `marking`: a pointer to an object
/// with `serial` and optionally `manufacturer` (e.g. `Arg::Input("/event/items/0/marking")`),
/// or its JSON text. Compared as `custodia find` compares (spaces removed, case folded); the
/// item's registered marking and marks applied later both count.
pub fn marking_registered(marking: Arg<'_>) -> Option<String> {
    let (doc, text) = marking.parts();
    text_answer(|buf, cap| unsafe {
        sys::marking_registered(doc, text.as_ptr(), len_i32(text.as_bytes()), buf, cap)
    })
    .ok()
}

fn days<F: Fn(i32, *const u8, i32, *mut i64) -> i32>(f: F, arg: Arg<'_>) -> Lookup<i64> {
    let (doc, text) = arg.parts();
    let mut out: i64 = 0;
    let rc = f(doc, text.as_ptr(), len_i32(text.as_bytes()), &mut out as *mut i64);
    match rc {
        1 => Lookup::Found(out),
        0 => Lookup::Missing,
        _ => Lookup::NotRegistered,
    }
}

/// Whole days from the seizure of the item named by `item` (the date of the seizure, not when
/// it was booked) to the judged event; `Missing` when it is under no evidence hold.
pub fn days_since_seizure(item: Arg<'_>) -> Lookup<i64> {
    days(|d, p, l, o| unsafe { sys::days_since_seizure(d, p, l, o) }, item)
}

/// Whole days from the last inspection of the lot named by `lot` to the judged event;
/// `Missing` when it was never inspected (until inspection events exist: a `status_change`
/// of the lot by an inspector).
pub fn days_since_inspection(lot: Arg<'_>) -> Lookup<i64> {
    days(|d, p, l, o| unsafe { sys::days_since_inspection(d, p, l, o) }, lot)
}

/// Exports the ABI v2 entry points (`custodia_abi_version` returning 2, `judge`) for a rule
/// function `fn(&Doc, &Doc) -> Verdict` that may ask the ledger questions.
#[macro_export]
macro_rules! rule_v2 {
    ($rule:path) => {
        #[no_mangle]
        pub extern "C" fn custodia_abi_version() -> i32 {
            $crate::query::ABI_VERSION_QUERIES
        }

        #[no_mangle]
        pub extern "C" fn judge() -> i32 {
            $crate::__run($rule)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_of_flat_objects() {
        let o = r#"{"at":"2026-01-05T09:00:00Z","days":40,"event":"ab12"}"#;
        assert_eq!(member(o, "days"), Some("40"));
        assert_eq!(member(o, "at"), Some("2026-01-05T09:00:00Z"));
        assert_eq!(member(o, "event"), Some("ab12"));
        assert_eq!(member(o, "nothing"), None);
    }

    #[test]
    fn nothing_is_registered_off_wasm() {
        assert_eq!(last_full_count(Arg::Text("depot:x")), Lookup::NotRegistered);
        assert_eq!(marking_registered(Arg::Text("{}")), None);
        assert_eq!(days_since_seizure(Arg::Text("item:x")), Lookup::NotRegistered);
    }
}
