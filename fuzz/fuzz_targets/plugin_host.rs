//! The WASM plugin host (`custodia-plugins`) against hostile input. The first byte chooses:
//!
//! - even: the rest is an input document (JSON) judged by every example rule plugin (built by
//!   `scripts/build-plugins.sh` into `target/plugins`, or `$CUSTODIA_PLUGINS_DIR`): each call
//!   gives a verdict or a typed `CallError`, never a panic, and judging again gives the same;
//! - 1, 3, 5 (mod 6): the rest is a module given to `PluginHost::load` with a manifest whose
//!   hash matches it (so it reaches wasmtime's validation, the import and export checks and
//!   the ABI version call): a typed `LoadError` or a plugin that judges without panicking;
//! - otherwise: the rest is a manifest given to `parse_manifest` and, when it parses, to
//!   `load` with a real module: a typed `LoadError` unless it names that module's hash.
//!
//! The plugin oracle lives here, not in `custodia::testkit`: the core stays free of wasmtime.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use custodia_plugins::{Input, Limits, Manifest, Plugin, PluginHost};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

struct Fixture {
    host: PluginHost,
    plugins: Vec<Plugin>,
    module: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = std::env::var_os("CUSTODIA_PLUGINS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"));
        let host = PluginHost::new(Limits::default()).expect("a plugin host");
        let mut plugins = Vec::new();
        let mut module = Vec::new();
        let mut manifests: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/build-plugins.sh", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        manifests.sort();
        for path in manifests {
            let plugin = host.load_manifest(&path).expect("an example plugin loads");
            if module.is_empty() {
                module = std::fs::read(path.with_extension("wasm")).expect("its module");
            }
            plugins.push(plugin);
        }
        assert!(!plugins.is_empty(), "no plugins in {}", dir.display());
        Fixture {
            host,
            plugins,
            module,
        }
    })
}

fn sample() -> Input {
    Input::new(
        json!({"event": {"v": 1, "kind": "destruction"}, "signers": [], "items": [],
                      "lots": [], "site": null, "authorisation": null}),
    )
}

fn judge_twice(plugin: &Plugin, input: &Input) {
    let first = plugin.judge(input).map_err(|e| e.to_string());
    let second = plugin.judge(input).map_err(|e| e.to_string());
    assert_eq!(
        first,
        second,
        "`{}` judged the same input twice differently",
        plugin.id().name()
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fx = fixture();
    if mode % 2 == 0 {
        let Ok(doc) = serde_json::from_slice::<Value>(rest) else {
            return;
        };
        let input = Input::new(doc);
        for plugin in &fx.plugins {
            judge_twice(plugin, &input);
        }
    } else if mode % 6 != 5 {
        let manifest = Manifest::new("fuzzed", "0.1.0", "TEST", "fuzzed.wasm", rest, json!({}));
        if let Ok(plugin) = fx.host.load(manifest, rest) {
            judge_twice(&plugin, &sample());
        }
    } else {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        if let Ok(manifest) = fx.host.parse_manifest(text) {
            let names_it = manifest.module_sha256 == custodia_plugins::sha256_hex(&fx.module);
            let loaded = fx.host.load(manifest, &fx.module);
            assert!(
                names_it || loaded.is_err(),
                "a manifest loaded a module it does not name"
            );
        }
    }
});
