//! Cost of one rule call through wasmtime against the same rule written as native Rust, in
//! the same run. Not a timed test: it prints ns/call for both and their ratio.
//!
//! Run `scripts/build-plugins.sh` first, then
//! `cargo bench -p custodia-plugins --bench rule_call`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use custodia_plugins::{Input, Limits, PluginHost, Verdict};
use serde_json::Value;

/// The witnesses rule (plugins/rules/witnesses) as native Rust, step for step: the same
/// pointer lookups, answered by `serde_json::Value::pointer` like the host answers them.
fn witnesses_native(ctx: &Value, cfg: &Value) -> Verdict {
    let s = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let eq =
        |v: &Value, p: &str, needle: &str| v.pointer(p).and_then(Value::as_str) == Some(needle);
    let deny = |code: &str, message: String| Verdict::Deny {
        code: code.to_owned(),
        message,
        warnings: vec![],
    };
    if s(ctx, "/event/kind").as_deref() != Some("destruction") {
        return Verdict::Allow { warnings: vec![] };
    }
    let witnesses_min = cfg
        .pointer("/witnesses_min")
        .and_then(Value::as_i64)
        .unwrap_or(2);
    let agencies_min = cfg
        .pointer("/agencies_min")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let count = |p: &str| match ctx.pointer(p) {
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    };
    let n = count("/event/witnesses");
    if (n as i64) < witnesses_min {
        return deny(
            "WITNESSES_TOO_FEW",
            format!("{n} witnesses, {witnesses_min} required"),
        );
    }
    let signers = count("/signers");
    // Like the SDK's `find_str`: compared in place, nothing copied.
    let mut agencies: Vec<String> = Vec::new();
    for i in 0..n {
        let actor = s(ctx, &format!("/event/witnesses/{i}/actor")).unwrap_or_default();
        let agency = s(ctx, &format!("/event/witnesses/{i}/agency")).unwrap_or_default();
        if actor.is_empty() || agency.is_empty() {
            return deny("WITNESS_INCOMPLETE", format!("witness {i}"));
        }
        let signed = (0..signers).any(|j| eq(ctx, &format!("/signers/{j}/actor"), &actor));
        if !signed {
            return deny(
                "WITNESS_NOT_SIGNED",
                format!("witness `{actor}` did not sign"),
            );
        }
        if !agencies.contains(&agency) {
            agencies.push(agency);
        }
    }
    if (agencies.len() as i64) < agencies_min {
        return deny(
            "WITNESS_AGENCIES_TOO_FEW",
            format!("{} agencies", agencies.len()),
        );
    }
    Verdict::Allow { warnings: vec![] }
}

fn time<F: FnMut() -> bool>(iterations: u32, mut f: F) -> f64 {
    // Warm up, then take the best of five rounds (the least disturbed by the rest of the
    // machine).
    for _ in 0..iterations / 10 {
        black_box(f());
    }
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(f());
        }
        best = best.min(start.elapsed().as_nanos() as f64 / f64::from(iterations));
    }
    best
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest = root.join("target/plugins/witnesses.json");
    if !manifest.exists() {
        eprintln!(
            "`{}` is missing: run `scripts/build-plugins.sh` first",
            manifest.display()
        );
        std::process::exit(1);
    }
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = host.load_manifest(&manifest).unwrap();
    let cfg = plugin.manifest().config.clone();
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root.join("plugins/rules/witnesses/tests/allow.two-agencies.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let input = Input::new(doc.clone());

    let wasm_verdict = plugin.judge(&input).unwrap();
    let native_verdict = witnesses_native(&doc, &cfg);
    assert_eq!(wasm_verdict, native_verdict, "the two rules disagree");

    let iterations = 20_000;
    let wasm_ns = time(iterations, || plugin.judge(&input).unwrap().is_allow());
    let native_ns = time(iterations, || witnesses_native(&doc, &cfg).is_allow());
    println!("witnesses rule, allow path (2 witnesses, 3 signers)");
    println!("  wasm (fresh instance per call): {wasm_ns:>9.0} ns/call");
    println!("  native Rust:                    {native_ns:>9.0} ns/call");
    println!(
        "  ratio wasm/native:              {:>9.2}",
        wasm_ns / native_ns
    );

    // The fixed cost of a call: a module that returns at once.
    let empty = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "custodia_abi_version") (result i32) i32.const 1)
             (func (export "judge") (result i32) i32.const 0))"#,
    )
    .unwrap();
    let empty = host
        .load(
            custodia_plugins::Manifest::new(
                "empty",
                "0.1.0",
                "X",
                "empty.wasm",
                &empty,
                serde_json::json!({}),
            ),
            &empty,
        )
        .unwrap();
    let empty_ns = time(iterations, || empty.judge(&input).unwrap().is_allow());
    println!("  empty plugin (call overhead):   {empty_ns:>9.0} ns/call");
}
