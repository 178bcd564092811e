//! ABI version 2: the host queries a plugin may import (module `custodia`) to ask the ledger
//! about its state just before the judged event. See `docs/PLUGIN_ABI.md`, "Version 2".
//!
//! The ledger's state cannot enter a wasm store (stores own their data), so a query is
//! answered between runs: the first time a call asks a question, the host records it and ends
//! the run; the caller, which holds the ledger's [`RuleQueries`], answers it, and the call
//! starts again in a fresh instance with every answer so far at hand. Each run is the same
//! deterministic function of (module, config, input, answers), so the last run, which meets
//! every answer, is exactly the run a plugin with direct access would have made: same
//! verdict, same fuel. A call asks at most [`QUERIES_PER_CALL_MAX`] distinct questions.

use std::collections::BTreeMap;

use custodia::rules::{Answer, RuleQueries};
use serde_json::Value;
use wasmtime::{Caller, Linker};

use crate::abi::{
    CallState, DOC_CONFIG, DOC_INPUT, IMPORT_MODULE, charge, copy_out, err, guest_str, range, split,
};
use crate::error::CallError;

/// `doc` argument of a query: the argument is the UTF-8 text at `(ptr, len)` itself, not a
/// JSON Pointer (a string for every query but `marking_registered`, whose argument is then the
/// JSON text of `{"manufacturer", "serial"}`).
pub const DOC_TEXT: i32 = 2;

/// The import names ABI v2 adds to those of v1.
pub const IMPORTS_V2: [&str; 5] = [
    "last_full_count",
    "site_holdings",
    "marking_registered",
    "days_since_seizure",
    "days_since_inspection",
];

/// Distinct questions one call may ask: each costs one more run of the plugin.
pub const QUERIES_PER_CALL_MAX: usize = 16;

/// Answer code: the subject is registered but the ledger holds no answer.
const MISSING: i32 = -1;
/// Answer code: no such subject is registered.
const NOT_REGISTERED: i32 = -2;

/// A question, as asked: the function and its resolved argument.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Question {
    LastFullCount(String),
    SiteHoldings(String),
    MarkingRegistered {
        manufacturer: Option<String>,
        serial: String,
    },
    DaysSinceSeizure(String),
    DaysSinceInspection(String),
}

/// What the plugin gets back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Bytes copied like `get_str`; the call returns their length.
    Text(Vec<u8>),
    /// An i64 written at `out`; the call returns 1.
    Int(i64),
    /// Nothing written; the call returns this code.
    Code(i32),
}

/// The questions of one call and their answers so far.
#[derive(Debug, Default)]
pub(crate) struct Asked {
    /// Whether the caller can answer questions (it gave a [`RuleQueries`]).
    pub(crate) available: bool,
    pub(crate) answers: BTreeMap<Question, Reply>,
    /// The question that ended the run, to be answered before the next one.
    pub(crate) pending: Option<Question>,
}

/// Ends a run whose plugin asked a question not answered yet (never seen by callers).
#[derive(Debug)]
pub(crate) struct NeedsAnswer;

impl std::fmt::Display for NeedsAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the plugin asked the ledger a question")
    }
}

impl std::error::Error for NeedsAnswer {}

/// Answers one question from the ledger.
pub(crate) fn answer(queries: &dyn RuleQueries, question: &Question) -> Reply {
    fn json<T: serde::Serialize>(value: &T) -> Reply {
        // The answers are plain structs of strings and integers: they always encode.
        Reply::Text(
            serde_json::to_value(value)
                .map(|v| crate::canonical::to_vec(&v))
                .unwrap_or_default(),
        )
    }
    fn days(a: Answer<i64>) -> Reply {
        match a {
            Answer::Found(d) => Reply::Int(d),
            Answer::Missing => Reply::Code(0),
            Answer::NotRegistered => Reply::Code(NOT_REGISTERED),
        }
    }
    match question {
        Question::LastFullCount(site) => match queries.last_full_count(site) {
            Answer::Found(c) => json(&c),
            Answer::Missing => Reply::Code(MISSING),
            Answer::NotRegistered => Reply::Code(NOT_REGISTERED),
        },
        Question::SiteHoldings(site) => match queries.site_holdings(site) {
            Answer::Found(h) => json(&h),
            Answer::Missing => Reply::Text(b"[]".to_vec()),
            Answer::NotRegistered => Reply::Code(NOT_REGISTERED),
        },
        Question::MarkingRegistered {
            manufacturer,
            serial,
        } => match queries.marking_registered(manufacturer.as_deref(), serial) {
            Some(item) => Reply::Text(item.as_str().as_bytes().to_vec()),
            None => Reply::Code(MISSING),
        },
        Question::DaysSinceSeizure(item) => days(queries.days_since_seizure(item)),
        Question::DaysSinceInspection(lot) => days(queries.days_since_inspection(lot)),
    }
}

/// Whether `pointer` is a JSON Pointer (RFC 6901): empty, or `/`-separated tokens in which
/// `~` is always followed by `0` or `1`.
fn well_formed(pointer: &str) -> bool {
    if pointer.is_empty() {
        return true;
    }
    if !pointer.starts_with('/') {
        return false;
    }
    let bytes = pointer.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'~')
        .all(|(i, _)| matches!(bytes.get(i + 1), Some(b'0' | b'1')))
}

fn bad(function: &'static str, reason: &'static str) -> CallError {
    CallError::QueryArgument { function, reason }
}

/// The argument value: at a JSON Pointer into the input or the config, or parsed from the
/// text given (`DOC_TEXT`, parsed as JSON only when `json_text`).
fn argument(
    data: &[u8],
    state: &CallState,
    function: &'static str,
    (doc, ptr, len): (i32, i32, i32),
    json_text: bool,
) -> Result<Value, CallError> {
    let text = guest_str(data, function, ptr, len).map_err(|e| match e {
        CallError::InvalidArgument { .. } => bad(function, "the argument is not valid UTF-8"),
        other => other,
    })?;
    match doc {
        DOC_TEXT if json_text => serde_json::from_str(text)
            .map_err(|_| bad(function, "the argument text is not a JSON object")),
        DOC_TEXT => Ok(Value::String(text.to_owned())),
        DOC_INPUT | DOC_CONFIG => {
            if !well_formed(text) {
                return Err(bad(
                    function,
                    "the argument is not a well-formed JSON Pointer",
                ));
            }
            let root = state.doc(function, doc)?;
            crate::pointer::resolve(root, text)
                .cloned()
                .ok_or(bad(function, "nothing is at the argument's JSON Pointer"))
        }
        _ => Err(CallError::InvalidArgument {
            function,
            reason: "`doc` must be 0 (input), 1 (config) or 2 (text)",
        }),
    }
}

fn string_argument(
    data: &[u8],
    state: &CallState,
    function: &'static str,
    arg: (i32, i32, i32),
) -> Result<String, CallError> {
    match argument(data, state, function, arg, false)? {
        Value::String(s) if !s.is_empty() => Ok(s),
        _ => Err(bad(function, "the argument is not a non-empty string")),
    }
}

fn marking_argument(
    data: &[u8],
    state: &CallState,
    function: &'static str,
    arg: (i32, i32, i32),
) -> Result<Question, CallError> {
    let value = argument(data, state, function, arg, true)?;
    let Value::Object(map) = value else {
        return Err(bad(function, "the argument is not an object"));
    };
    let serial = match map.get("serial") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            return Err(bad(
                function,
                "the argument has no non-empty `serial` string",
            ));
        }
    };
    let manufacturer = match map.get("manufacturer") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(bad(
                function,
                "the argument's `manufacturer` is not a string",
            ));
        }
    };
    Ok(Question::MarkingRegistered {
        manufacturer,
        serial,
    })
}

/// Reads a query's argument `(doc, ptr, len)` from the guest into a [`Question`].
type Ask = fn(&[u8], &CallState, &'static str, (i32, i32, i32)) -> Result<Question, CallError>;

/// The answer to `question`, or the end of this run so that the caller answers it.
fn lookup(
    state: &mut CallState,
    function: &'static str,
    question: Question,
) -> Result<Reply, wasmtime::Error> {
    if let Some(reply) = state.asked.answers.get(&question) {
        return Ok(reply.clone());
    }
    if !state.asked.available {
        return Err(err(CallError::QueryUnavailable { function }));
    }
    if state.asked.answers.len() >= QUERIES_PER_CALL_MAX {
        return Err(err(CallError::TooManyQueries {
            max: QUERIES_PER_CALL_MAX,
        }));
    }
    state.asked.pending = Some(question);
    Err(wasmtime::Error::new(NeedsAnswer))
}

/// A query whose answer is copied out like `get_str`.
fn text_query(
    caller: &mut Caller<'_, CallState>,
    function: &'static str,
    arg: (i32, i32, i32),
    (buf, cap): (i32, i32),
    ask: Ask,
) -> wasmtime::Result<i32> {
    let (data, state) = split(caller, function).map_err(err)?;
    range(data.len(), function, buf, cap).map_err(err)?;
    let question = ask(data, state, function, arg).map_err(err)?;
    let (n, fuel) = match lookup(state, function, question)? {
        Reply::Text(bytes) => copy_out(data, function, buf, cap, &bytes).map_err(err)?,
        Reply::Code(c) => (c, 0),
        Reply::Int(_) => {
            return Err(err(CallError::QueryArgument {
                function,
                reason: "the host answered with the wrong type",
            }));
        }
    };
    charge(caller, fuel)?;
    Ok(n)
}

/// A query whose answer is an i64 written at `out`.
fn int_query(
    caller: &mut Caller<'_, CallState>,
    function: &'static str,
    arg: (i32, i32, i32),
    out: i32,
    ask: Ask,
) -> wasmtime::Result<i32> {
    let (data, state) = split(caller, function).map_err(err)?;
    let r = range(data.len(), function, out, 8).map_err(err)?;
    let question = ask(data, state, function, arg).map_err(err)?;
    match lookup(state, function, question)? {
        Reply::Int(n) => {
            if let Some(dst) = data.get_mut(r) {
                dst.copy_from_slice(&n.to_le_bytes());
            }
            Ok(1)
        }
        Reply::Code(c) => Ok(c),
        Reply::Text(_) => Err(err(CallError::QueryArgument {
            function,
            reason: "the host answered with the wrong type",
        })),
    }
}

/// Defines every ABI v2 import in `linker`. Modules of ABI version 1 cannot import them: the
/// loader refuses their names (`LoadError::ForbiddenImport`).
pub(crate) fn define(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        IMPORT_MODULE,
        "last_full_count",
        |mut caller: Caller<'_, CallState>, doc: i32, ptr: i32, len: i32, buf: i32, cap: i32| {
            text_query(
                &mut caller,
                "last_full_count",
                (doc, ptr, len),
                (buf, cap),
                |d, s, f, a| string_argument(d, s, f, a).map(Question::LastFullCount),
            )
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "site_holdings",
        |mut caller: Caller<'_, CallState>, doc: i32, ptr: i32, len: i32, buf: i32, cap: i32| {
            text_query(
                &mut caller,
                "site_holdings",
                (doc, ptr, len),
                (buf, cap),
                |d, s, f, a| string_argument(d, s, f, a).map(Question::SiteHoldings),
            )
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "marking_registered",
        |mut caller: Caller<'_, CallState>, doc: i32, ptr: i32, len: i32, buf: i32, cap: i32| {
            text_query(
                &mut caller,
                "marking_registered",
                (doc, ptr, len),
                (buf, cap),
                marking_argument,
            )
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "days_since_seizure",
        |mut caller: Caller<'_, CallState>, doc: i32, ptr: i32, len: i32, out: i32| {
            int_query(
                &mut caller,
                "days_since_seizure",
                (doc, ptr, len),
                out,
                |d, s, f, a| string_argument(d, s, f, a).map(Question::DaysSinceSeizure),
            )
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "days_since_inspection",
        |mut caller: Caller<'_, CallState>, doc: i32, ptr: i32, len: i32, out: i32| {
            int_query(
                &mut caller,
                "days_since_inspection",
                (doc, ptr, len),
                out,
                |d, s, f, a| string_argument(d, s, f, a).map(Question::DaysSinceInspection),
            )
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_are_checked() {
        assert!(well_formed(""));
        assert!(well_formed("/site/id"));
        assert!(well_formed("/a~0b/c~1d"));
        assert!(!well_formed("site/id"));
        assert!(!well_formed("/a~2"));
        assert!(!well_formed("/a~"));
    }
}
