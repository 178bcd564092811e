//! ABI version 2's host queries, one by one, with hand-written modules (WAT) and canned answers
//! ([`SampleQueries`]): the argument forms (pointer into the input or the config, text), the
//! answer codes, and every malformed argument as its own typed error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use custodia::rules::RuleQueries;
use custodia_plugins::{
    CallError, Input, Limits, Manifest, Plugin, PluginHost, QUERIES_PER_CALL_MAX, SampleQueries,
    Verdict,
};
use serde_json::json;

/// A module of ABI version 2 importing every query; `judge` runs `body` and returns what it
/// leaves on the stack (a non-zero value is reported as `MalformedOutput::ReturnCode`, which
/// lets a test read an answer code). Memory: `text` at 0, a buffer at 1024.
fn module(text: &str, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
            (import "custodia" "last_full_count" (func $count (param i32 i32 i32 i32 i32) (result i32)))
            (import "custodia" "site_holdings" (func $holdings (param i32 i32 i32 i32 i32) (result i32)))
            (import "custodia" "marking_registered" (func $marking (param i32 i32 i32 i32 i32) (result i32)))
            (import "custodia" "days_since_seizure" (func $seized (param i32 i32 i32 i32) (result i32)))
            (import "custodia" "days_since_inspection" (func $inspected (param i32 i32 i32 i32) (result i32)))
            (import "custodia" "deny" (func $deny (param i32 i32 i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 0) "{text}")
            (data (i32.const 900) "ANSWER")
            (func (export "custodia_abi_version") (result i32) i32.const 2)
            (func (export "judge") (result i32) {body}))"#
    ))
    .unwrap()
}

fn load(host: &PluginHost, bytes: &[u8]) -> Plugin {
    let mut m = Manifest::new(
        "q",
        "0.1.0",
        "TEST",
        "q.wasm",
        bytes,
        json!({"site": "depot:a"}),
    );
    m.abi_version = 2;
    host.load(m, bytes).unwrap()
}

fn input() -> Input {
    Input::new(
        json!({"event": {"kind": "transfer_dispatch", "from": {"site": "depot:a"}},
                      "site": {"id": "depot:a", "licensed_neq_grams": 5},
                      "items": [{"marking": {"manufacturer": "ACME", "serial": "S 1"}}]}),
    )
}

fn answers() -> SampleQueries {
    SampleQueries::from_json(&json!({
        "last_full_count": {"depot:a": {"event": "ab".repeat(32), "at": "2026-01-01T00:00:00Z", "days": 40},
                            "depot:b": null},
        "site_holdings": {"depot:a": [{"division": "1.1", "units": 3, "neq_grams": 600}]},
        "markings": [{"manufacturer": "acme", "serial": "s1", "item": "item:x"}],
        "days_since_seizure": {"item:x": 12, "item:y": null},
        "days_since_inspection": {"lot:l": 400}
    }))
    .unwrap()
}

fn judge(plugin: &Plugin, queries: Option<&dyn RuleQueries>) -> Result<Verdict, CallError> {
    plugin.judge_queried(&input(), queries)
}

/// The code a query returned, read from `judge`'s return value.
fn code(result: Result<Verdict, CallError>) -> i32 {
    match result {
        Ok(_) => 0,
        Err(CallError::Malformed(custodia_plugins::MalformedOutput::ReturnCode { value })) => value,
        Err(e) => panic!("{e}"),
    }
}

/// Calls `$f` with `(doc, ptr=0, len)` and the buffer, returning its result.
fn text_call(f: &str, doc: i32, len: usize) -> String {
    format!(
        "(call ${f} (i32.const {doc}) (i32.const 0) (i32.const {len}) (i32.const 1024) (i32.const 256))"
    )
}

fn int_call(f: &str, doc: i32, len: usize) -> String {
    format!("(call ${f} (i32.const {doc}) (i32.const 0) (i32.const {len}) (i32.const 1024))")
}

#[test]
fn every_argument_form_reaches_the_same_answer() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let q = answers();
    // Length of the JSON answer `{"at":"2026-01-01T00:00:00Z","days":40,"event":"abab…"}`.
    let full = serde_json::to_vec(
        &json!({"at": "2026-01-01T00:00:00Z", "days": 40, "event": "ab".repeat(32)}),
    )
    .unwrap()
    .len() as i32;
    for (text, doc) in [
        ("/site/id", 0),
        ("/event/from/site", 0),
        ("/site", 1),
        ("depot:a", 2),
    ] {
        let p = load(&host, &module(text, &text_call("count", doc, text.len())));
        assert_eq!(code(judge(&p, Some(&q))), full, "{text} in doc {doc}");
    }
    let p = load(&host, &module("depot:b", &text_call("count", 2, 7)));
    assert_eq!(code(judge(&p, Some(&q))), -1, "registered, never counted");
    let p = load(&host, &module("depot:z", &text_call("count", 2, 7)));
    assert_eq!(code(judge(&p, Some(&q))), -2, "not registered");
    let p = load(&host, &module("item:x", &int_call("seized", 2, 6)));
    assert_eq!(code(judge(&p, Some(&q))), 1);
    let p = load(&host, &module("item:y", &int_call("seized", 2, 6)));
    assert_eq!(code(judge(&p, Some(&q))), 0, "not under a hold");
    let p = load(&host, &module("lot:m", &int_call("inspected", 2, 5)));
    assert_eq!(code(judge(&p, Some(&q))), -2);
    // The marking at a pointer, and as JSON text; compared as `find` compares.
    let p = load(
        &host,
        &module("/items/0/marking", &text_call("marking", 0, 16)),
    );
    assert_eq!(code(judge(&p, Some(&q))), 6, "`item:x`");
    let text = r#"{\"serial\":\"S1\"}"#;
    let p = load(&host, &module(text, &text_call("marking", 2, 15)));
    assert_eq!(code(judge(&p, Some(&q))), 6);
    let text = r#"{\"serial\":\"S2\"}"#;
    let p = load(&host, &module(text, &text_call("marking", 2, 15)));
    assert_eq!(code(judge(&p, Some(&q))), -1);
}

#[test]
fn the_answer_is_written_to_the_plugin() {
    let host = PluginHost::new(Limits::default()).unwrap();
    // Denies with the holdings' JSON text as its message.
    let body = format!(
        "(local $n i32) (local.set $n {})
         (call $deny (i32.const 900) (i32.const 6) (i32.const 1024) (local.get $n)) i32.const 0",
        text_call("holdings", 2, 7)
    );
    let p = load(&host, &module("depot:a", &body));
    let verdict = judge(&p, Some(&answers())).unwrap();
    let Verdict::Deny { message, .. } = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&message).unwrap(),
        json!([{"division": "1.1", "units": 3, "neq_grams": 600}])
    );
    // The days are written as an i64 at `out`: 12, returned as the call's result.
    let body = format!(
        "(drop {}) (i32.wrap_i64 (i64.load (i32.const 1024)))",
        int_call("seized", 2, 6)
    );
    let p = load(&host, &module("item:x", &body));
    assert_eq!(code(judge(&p, Some(&answers()))), 12);
}

#[test]
fn malformed_arguments_are_typed_errors() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let q = answers();
    let query_argument = |text: &str, call: String| {
        let p = load(&host, &module(text, &call));
        match judge(&p, Some(&q)) {
            Err(CallError::QueryArgument { function, .. }) => function,
            other => panic!("`{text}`: {other:?}"),
        }
    };
    // Not a JSON Pointer; a bad escape; nothing there; not a string; not a marking object.
    assert_eq!(
        query_argument("site/id", text_call("count", 0, 7)),
        "last_full_count"
    );
    assert_eq!(
        query_argument("/site~2", text_call("holdings", 0, 7)),
        "site_holdings"
    );
    assert_eq!(
        query_argument("/nothing", int_call("seized", 0, 8)),
        "days_since_seizure"
    );
    assert_eq!(
        query_argument("/site/licensed_neq_grams", int_call("inspected", 0, 24)),
        "days_since_inspection"
    );
    assert_eq!(
        query_argument("/site/id", text_call("marking", 0, 8)),
        "marking_registered"
    );
    assert_eq!(
        query_argument("not json", text_call("marking", 2, 8)),
        "marking_registered"
    );
    // An empty text is no subject.
    assert_eq!(
        query_argument("", text_call("count", 2, 0)),
        "last_full_count"
    );
    // A `doc` outside 0..=2, and a buffer outside the memory, as for the queries of version 1.
    let p = load(&host, &module("x", &text_call("count", 3, 1)));
    assert!(matches!(
        judge(&p, Some(&q)),
        Err(CallError::InvalidArgument { .. })
    ));
    let p = load(
        &host,
        &module(
            "depot:a",
            "(call $count (i32.const 2) (i32.const 0) (i32.const 7) (i32.const 65530) (i32.const 64))",
        ),
    );
    assert!(matches!(
        judge(&p, Some(&q)),
        Err(CallError::PointerOutOfBounds { .. })
    ));
}

#[test]
fn without_a_ledger_a_question_fails_the_call() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let p = load(&host, &module("depot:a", &text_call("count", 2, 7)));
    assert!(matches!(
        p.judge(&input()),
        Err(CallError::QueryUnavailable {
            function: "last_full_count"
        })
    ));
}

#[test]
fn distinct_questions_per_call_are_bounded() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let q = answers();
    // Asks about `a`, `ab`, `abc`, … : one more distinct question per length.
    let asks = |n: usize| {
        let mut body = String::new();
        for len in 1..=n {
            body.push_str(&format!("(drop {})", text_call("count", 2, len)));
        }
        body.push_str("i32.const 0");
        load(&host, &module("abcdefghijklmnopqrstuvwxyz", &body))
    };
    assert!(
        judge(&asks(QUERIES_PER_CALL_MAX), Some(&q))
            .unwrap()
            .is_allow()
    );
    assert!(matches!(
        judge(&asks(QUERIES_PER_CALL_MAX + 1), Some(&q)),
        Err(CallError::TooManyQueries { .. })
    ));
    // The same question asked again is answered from the first answer.
    let mut body = String::new();
    for _ in 0..(QUERIES_PER_CALL_MAX * 2) {
        body.push_str(&format!("(drop {})", text_call("count", 2, 1)));
    }
    body.push_str("i32.const 0");
    let p = load(&host, &module("a", &body));
    assert!(judge(&p, Some(&q)).unwrap().is_allow());
}
