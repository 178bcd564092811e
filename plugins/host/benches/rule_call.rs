//! Cost of one rule call through wasmtime against the same rule written as native Rust, in
//! the same run. Not a timed test: it prints ns/call for both and their ratio.
//!
//! Run `scripts/build-plugins.sh` first, then
//! `cargo bench -p custodia-plugins --bench rule_call` (smoke run: `-- --quick`, a hundred
//! calls per round: checks that it runs, measures nothing).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use custodia::rules::RuleQueries;
use custodia_plugins::{Input, Limits, Plugin, PluginHost, Verdict, json_pointer, split_sample};
use serde_json::Value;

/// How the native rule resolves JSON Pointers.
type Lookup = for<'v> fn(&'v Value, &str) -> Option<&'v Value>;

fn serde_pointer<'v>(v: &'v Value, p: &str) -> Option<&'v Value> {
    v.pointer(p)
}

/// The witnesses rule (plugins/rules/witnesses) as native Rust, step for step: the same
/// pointer lookups, answered by `serde_json::Value::pointer` like the host answers them.
fn witnesses_native(ctx: &Value, cfg: &Value, lookup: Lookup) -> Verdict {
    let s = |v: &Value, p: &str| lookup(v, p).and_then(Value::as_str).map(str::to_owned);
    let eq =
        |v: &Value, p: &str, needle: &str| lookup(v, p).and_then(Value::as_str) == Some(needle);
    let deny = |code: &str, message: String| Verdict::Deny {
        code: code.to_owned(),
        message,
        warnings: vec![],
    };
    if s(ctx, "/event/kind").as_deref() != Some("destruction") {
        return Verdict::Allow { warnings: vec![] };
    }
    let witnesses_min = lookup(cfg, "/witnesses_min")
        .and_then(Value::as_i64)
        .unwrap_or(2);
    let agencies_min = lookup(cfg, "/agencies_min")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let count = |p: &str| match lookup(ctx, p) {
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

/// Calls per function per round: 10,000, or 100 in the smoke run (`-- --quick`).
fn iterations() -> u32 {
    if std::env::args().any(|a| a == "--quick") {
        100
    } else {
        10_000
    }
}

/// Median ns/call of each closure over interleaved rounds: the machine is shared and noisy,
/// and interleaving exposes every contender to the same disturbances.
fn time_interleaved(iterations: u32, fs: &mut [&mut dyn FnMut() -> bool]) -> Vec<f64> {
    for f in fs.iter_mut() {
        for _ in 0..iterations / 10 {
            black_box(f());
        }
    }
    let rounds = 9;
    let mut samples = vec![Vec::with_capacity(rounds); fs.len()];
    for _ in 0..rounds {
        for (i, f) in fs.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(f());
            }
            samples[i].push(start.elapsed().as_nanos() as f64 / f64::from(iterations));
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
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
    assert_eq!(
        wasm_verdict,
        witnesses_native(&doc, &cfg, serde_pointer),
        "the rules disagree"
    );
    assert_eq!(
        wasm_verdict,
        witnesses_native(&doc, &cfg, json_pointer),
        "the rules disagree"
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
    let iterations = iterations();
    let t = time_interleaved(
        iterations,
        &mut [
            &mut || plugin.judge(&input).unwrap().is_allow(),
            &mut || witnesses_native(&doc, &cfg, serde_pointer).is_allow(),
            &mut || witnesses_native(&doc, &cfg, json_pointer).is_allow(),
            &mut || empty.judge(&input).unwrap().is_allow(),
        ],
    );
    let (wasm, native_serde, native_fast, fixed) = (t[0], t[1], t[2], t[3]);
    abi_v2(&root, &host, &empty, &input, t[3]);
    println!("witnesses rule, allow path (2 witnesses, 3 signers); median of 9 interleaved rounds");
    println!("  wasm, fresh instance per call:           {wasm:>8.0} ns/call");
    println!(
        "  native, serde_json Value::pointer:       {native_serde:>8.0} ns/call   wasm/native {:.2}",
        wasm / native_serde
    );
    println!(
        "  native, allocation-free pointer lookup:  {native_fast:>8.0} ns/call   wasm/native {:.2}",
        wasm / native_fast
    );
    println!("  empty plugin (fixed cost of a call):     {fixed:>8.0} ns/call");
    println!(
        "  wasm minus fixed cost:                   {:>8.0} ns/call   vs native {:.2}",
        wasm - fixed,
        (wasm - fixed) / native_fast
    );
    // The row of `scripts/bench.sh`'s summary table (tab-separated, see core/benches/common).
    println!(
        "SUMMARY\tWASM rule call (witnesses, fresh instance) vs the same rule in native Rust\t{wasm:.0} ns\tnative {native_serde:.0} ns\t{:.2}×\t≤ 3× native and < 2 µs (DESIGN.md; fixed cost of a call {fixed:.0} ns)",
        wasm / native_serde
    );
}

/// A module of ABI version 2 asking `n` distinct questions (`last_full_count` of the sites
/// `d`, `de`, `dep`, …, as text) and returning.
fn asking(host: &PluginHost, n: usize) -> Plugin {
    let mut body = String::new();
    for len in 1..=n {
        body.push_str(&format!(
            "(drop (call $count (i32.const 2) (i32.const 0) (i32.const {len}) (i32.const 1024) (i32.const 256)))"
        ));
    }
    let bytes = wat::parse_str(format!(
        r#"(module
             (import "custodia" "last_full_count" (func $count (param i32 i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 0) "depot:central")
             (func (export "custodia_abi_version") (result i32) i32.const 2)
             (func (export "judge") (result i32) {body} i32.const 0))"#
    ))
    .unwrap();
    let mut m = custodia_plugins::Manifest::new(
        "asking",
        "0.1.0",
        "X",
        "asking.wasm",
        &bytes,
        serde_json::json!({}),
    );
    m.abi_version = 2;
    host.load(m, &bytes).unwrap()
}

/// ABI version 2: what a host query adds to a rule call, against calls of ABI version 1 in the
/// same run. Each distinct question costs one more run of the plugin in a fresh instance (the
/// ledger's state cannot enter the wasm store; `plugins/host/src/query.rs`).
fn abi_v2(root: &Path, host: &PluginHost, empty: &Plugin, input: &Input, fixed_v1: f64) {
    let v2_dir = root.join("target/plugins/v2");
    let serial = host
        .load_manifest(&v2_dir.join("serial_uniqueness.json"))
        .unwrap();
    let marking = host
        .load_manifest(&root.join("target/plugins/marking.json"))
        .unwrap();
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root.join("plugins/rules/serial_uniqueness/tests/allow.new-serial.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let (doc, answers) = split_sample(sample).unwrap();
    let answers = answers.unwrap();
    let queries: &dyn RuleQueries = &answers;
    let registration = Input::new(doc);
    assert!(
        serial
            .judge_queried(&registration, Some(queries))
            .unwrap()
            .is_allow()
    );
    assert!(marking.judge(&registration).unwrap().is_allow());
    let one = asking(host, 1);
    let two = asking(host, 2);
    let four = asking(host, 4);
    let iterations = iterations();
    let t = time_interleaved(
        iterations,
        &mut [
            &mut || empty.judge(input).unwrap().is_allow(),
            &mut || one.judge_queried(input, Some(queries)).unwrap().is_allow(),
            &mut || two.judge_queried(input, Some(queries)).unwrap().is_allow(),
            &mut || four.judge_queried(input, Some(queries)).unwrap().is_allow(),
            &mut || marking.judge(&registration).unwrap().is_allow(),
            &mut || {
                serial
                    .judge_queried(&registration, Some(queries))
                    .unwrap()
                    .is_allow()
            },
        ],
    );
    let (empty_v1, q1, q2, q4, marking_v1, serial_v2) = (t[0], t[1], t[2], t[3], t[4], t[5]);
    println!();
    println!("ABI v2 host queries (canned answers); median of 9 interleaved rounds");
    println!(
        "  v1 empty plugin (fixed cost of a call):  {empty_v1:>8.0} ns/call   (first round {fixed_v1:.0})"
    );
    println!(
        "  v2 plugin asking 1 question:             {q1:>8.0} ns/call   +{:.0} ns, x{:.2} the v1 call",
        q1 - empty_v1,
        q1 / empty_v1
    );
    println!(
        "  v2 plugin asking 2 questions:            {q2:>8.0} ns/call   +{:.0} ns per question",
        (q2 - empty_v1) / 2.0
    );
    println!(
        "  v2 plugin asking 4 questions:            {q4:>8.0} ns/call   +{:.0} ns per question",
        (q4 - empty_v1) / 4.0
    );
    println!("  v1 rule `marking` on a registration:     {marking_v1:>8.0} ns/call");
    println!(
        "  v2 rule `serial_uniqueness`, same event: {serial_v2:>8.0} ns/call   x{:.2} the v1 rule",
        serial_v2 / marking_v1
    );
}
