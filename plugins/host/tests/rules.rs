//! The example rule plugins, built to .wasm by `scripts/build-plugins.sh`, judged through
//! real wasmtime against the sample contexts in `plugins/rules/<name>/tests/`.
//!
//! A context file `<EXPECTED>.<description>.json` is an ABI v1 input document; `EXPECTED` is
//! `allow`, the denial code, or `deny.` and the denial code. Allowed contexts whose description
//! contains `warns` must carry a warning; other allowed contexts must carry none.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use custodia::rules::RuleQueries;
use custodia_plugins::{Input, Limits, Manifest, Plugin, PluginHost, Verdict, split_sample};
use serde_json::{Value, json};

/// Every rule crate in `plugins/rules/` (a directory with a `Cargo.toml`), as the build script
/// finds them: a new rule is tested without editing this file.
fn rules() -> Vec<String> {
    let dir = root().join("plugins/rules");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("`{}`: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            path.join("Cargo.toml").is_file().then(|| {
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
        })
        .collect();
    names.sort();
    assert!(names.len() >= 5, "rule crates found: {names:?}");
    names
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plugins_dir() -> PathBuf {
    std::env::var_os("CUSTODIA_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/plugins"))
}

/// Rules of ABI version 2 are built to `target/plugins/v2/` (`scripts/build-plugins.sh`).
fn manifest_path(rule: &str) -> PathBuf {
    let v2 = plugins_dir().join("v2").join(format!("{rule}.json"));
    if v2.exists() {
        return v2;
    }
    let path = plugins_dir().join(format!("{rule}.json"));
    assert!(
        path.exists(),
        "`{}` is missing: run `scripts/build-plugins.sh` first to build the rule plugins",
        path.display()
    );
    path
}

fn load(host: &PluginHost, rule: &str) -> Plugin {
    host.load_manifest(&manifest_path(rule))
        .unwrap_or_else(|e| panic!("loading `{rule}`: {e}"))
}

fn cases(rule: &str) -> Vec<(String, String, Value)> {
    let dir = root().join("plugins/rules").join(rule).join("tests");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        // `deny.CODE.DESCRIPTION` is the same as `CODE.DESCRIPTION` (as `custodia rules test`).
        let stem = stem.strip_prefix("deny.").unwrap_or(&stem);
        let (expected, description) = stem.split_once('.').unwrap();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // Every sample is a document the host could give (beside, for rules of ABI version 2,
        // the ledger's answers in a member `host`).
        let mut input = doc.clone();
        if let Some(map) = input.as_object_mut() {
            map.remove("host");
        }
        if let Err(e) = custodia::rules::check_input(&input) {
            panic!(
                "`{}` breaks schemas/rule-input.schema.json {e}",
                path.display()
            );
        }
        out.push((expected.to_owned(), description.to_owned(), doc));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

#[test]
fn every_rule_judges_its_sample_contexts() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let mut checked = 0;
    for rule in rules() {
        let rule = rule.as_str();
        let plugin = load(&host, rule);
        let cases = cases(rule);
        assert!(
            cases.iter().filter(|c| c.0 == "allow").count() >= 2,
            "`{rule}` needs allow cases"
        );
        assert!(
            cases.iter().filter(|c| c.0 != "allow").count() >= 2,
            "`{rule}` needs deny cases"
        );
        for (expected, description, doc) in cases {
            // A version 2 rule's sample gives the ledger's answers in its member `host`.
            let (doc, host) = split_sample(doc).unwrap();
            let queries = host.as_ref().map(|q| q as &dyn RuleQueries);
            let judged = plugin.judge_queried(&Input::new(doc), queries);
            if expected == "error" {
                assert!(judged.is_err(), "`{rule}` on `{description}`: {judged:?}");
                checked += 1;
                continue;
            }
            let verdict = judged.unwrap_or_else(|e| panic!("`{rule}` on `{description}`: {e}"));
            match (&verdict, expected.as_str()) {
                (Verdict::Allow { warnings }, "allow") => {
                    assert_eq!(
                        !warnings.is_empty(),
                        description.contains("warns"),
                        "`{rule}` on `{description}`: warnings {warnings:?}"
                    );
                }
                (Verdict::Deny { code, message, .. }, want) => {
                    assert_eq!(code, want, "`{rule}` on `{description}`: {message}");
                    assert!(!message.is_empty());
                }
                (v, want) => panic!("`{rule}` on `{description}`: expected {want}, got {v:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} contexts checked");
}

#[test]
fn denial_messages_name_the_culprit() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = load(&host, "marking");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("plugins/rules/marking/tests/MARKING_INCOMPLETE.no-serial.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let verdict = plugin.judge(&Input::new(doc)).unwrap();
    assert_eq!(
        verdict,
        Verdict::Deny {
            code: "MARKING_INCOMPLETE".to_owned(),
            message: "item `item:P-1` lacks marking elements: serial".to_owned(),
            warnings: vec![],
        }
    );
}

#[test]
fn config_changes_the_rule_and_the_identity() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let bytes = std::fs::read(plugins_dir().join("witnesses.wasm")).unwrap();
    let two = host.load_manifest(&manifest_path("witnesses")).unwrap();
    let three = host
        .load(
            Manifest::new(
                "witnesses",
                "0.1.0",
                "EXAMPLE",
                "witnesses.wasm",
                &bytes,
                json!({"witnesses_min": 3, "agencies_min": 2}),
            ),
            &bytes,
        )
        .unwrap();
    assert_eq!(two.id().module_sha256(), three.id().module_sha256());
    assert_ne!(two.id().identity(), three.id().identity());

    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("plugins/rules/witnesses/tests/allow.two-agencies.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let input = Input::new(doc);
    assert!(two.judge(&input).unwrap().is_allow());
    let verdict = three.judge(&input).unwrap();
    assert_eq!(verdict.deny_code(), Some("WITNESSES_TOO_FEW"));
}

#[test]
fn agencies_allowed_list_is_enforced() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let bytes = std::fs::read(plugins_dir().join("witnesses.wasm")).unwrap();
    let plugin = host
        .load(
            Manifest::new(
                "witnesses",
                "0.1.0",
                "EXAMPLE",
                "witnesses.wasm",
                &bytes,
                json!({"witnesses_min": 2, "agencies_min": 2,
                       "agencies_allowed": ["agency:attorney-general", "agency:ombudsman"]}),
            ),
            &bytes,
        )
        .unwrap();
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("plugins/rules/witnesses/tests/allow.two-agencies.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let verdict = plugin.judge(&Input::new(doc)).unwrap();
    assert_eq!(verdict.deny_code(), Some("WITNESS_AGENCY_NOT_RECOGNISED"));
}

#[test]
fn plugins_judge_concurrently_and_identically() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = std::sync::Arc::new(load(&host, "destruction_preconditions"));
    let all = cases("destruction_preconditions");
    let expected: Vec<Verdict> = all
        .iter()
        .map(|c| plugin.judge(&Input::new(c.2.clone())).unwrap())
        .collect();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let plugin = plugin.clone();
            let inputs: Vec<Input> = all.iter().map(|c| Input::new(c.2.clone())).collect();
            std::thread::spawn(move || {
                (0..25)
                    .flat_map(|_| inputs.iter().map(|i| plugin.judge(i).unwrap()))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        let got = t.join().unwrap();
        assert_eq!(got.len(), 25 * expected.len());
        for chunk in got.chunks(expected.len()) {
            assert_eq!(chunk, expected.as_slice());
        }
    }
}

#[test]
fn manifest_written_by_the_build_script_names_the_module_hash() {
    let host = PluginHost::new(Limits::default()).unwrap();
    for rule in rules() {
        let text = std::fs::read_to_string(manifest_path(&rule)).unwrap();
        let manifest = host.parse_manifest(&text).unwrap();
        let path = manifest_path(&rule);
        let bytes = std::fs::read(path.parent().unwrap().join(&manifest.module)).unwrap();
        assert_eq!(manifest.module_sha256, custodia_plugins::sha256_hex(&bytes));
        assert!(
            custodia_plugins::ABI_VERSIONS.contains(&manifest.abi_version),
            "{rule}"
        );
    }
}

/// `docs/PLUGIN_GUIDE.md` shows the Argentina rule and its manifest as shipped, and its table
/// of limits gives the host's defaults: the guide cannot drift from the code.
#[test]
fn the_guide_shows_the_shipped_example_and_the_real_limits() {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let guide = read("docs/PLUGIN_GUIDE.md");
    let lib = read("plugins/rules/destruction_ar/src/lib.rs");
    let manifest = read("plugins/rules/destruction_ar/plugin.json");
    assert!(
        guide.contains(&format!("```rust\n{lib}```")),
        "the guide's rule is not src/lib.rs"
    );
    assert!(
        guide.contains(&format!("```json\n{manifest}```")),
        "the guide's manifest is not plugin.json"
    );
    let thousands = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(' ');
            }
            out.push(c);
        }
        out
    };
    let d = Limits::default();
    let rows = [
        format!("| {} units |", thousands(d.fuel_per_call_max)),
        format!("| {} MiB |", d.plugin_memory_bytes_max >> 20),
        format!("| {} KiB |", d.wasm_stack_bytes_max >> 10),
        format!("| {} KiB |", d.verdict_bytes_max >> 10),
        format!("| {} |", d.warnings_max),
        format!("| {} MiB |", d.module_bytes_max >> 20),
        format!("| {} MiB |", d.config_bytes_max >> 20),
        format!("| 1 to {} bytes", custodia_plugins::CODE_BYTES_MAX),
    ];
    for row in rows {
        assert!(guide.contains(&row), "the guide's limits lack `{row}`");
    }
    let build = read("scripts/build-plugins.sh");
    assert!(build.contains("-zstack-size=16384") && guide.contains("`-zstack-size=16384`"));
    let sdk = read("plugins/pdk/src/lib.rs");
    assert!(
        sdk.contains("const ARENA_BYTES: usize = 24 * 1024;") && guide.contains("24 KiB arena")
    );
    assert!(
        sdk.contains("const STR_BUF_FIRST_BYTES: usize = 256;")
            && guide.contains("256-byte buffer")
    );
}
