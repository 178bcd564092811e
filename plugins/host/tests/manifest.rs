//! Manifests: schema checks, config canonicalisation and identity.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use custodia_plugins::{Limits, LoadError, Manifest, PluginHost, canonical_json, sha256_hex};
use serde_json::json;

fn module() -> Vec<u8> {
    wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "custodia_abi_version") (result i32) i32.const 1)
             (func (export "judge") (result i32) i32.const 0))"#,
    )
    .unwrap()
}

#[test]
fn schema_rejects_bad_manifests() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let good = serde_json::to_value(Manifest::new(
        "x",
        "1.0.0",
        "CO",
        "x.wasm",
        &module(),
        json!({}),
    ))
    .unwrap();
    assert!(host.parse_manifest(&good.to_string()).is_ok());
    for (field, value) in [
        ("module", json!("../../etc/passwd.wasm")),
        ("module_sha256", json!("ABC")),
        ("name", json!("Has Spaces")),
        ("version", json!("one")),
        ("config", json!([1, 2])),
        ("unexpected", json!(true)),
    ] {
        let mut doc = good.clone();
        doc[field] = value;
        match host.parse_manifest(&doc.to_string()) {
            Err(LoadError::ManifestSchema { .. }) => {}
            other => panic!("`{field}` should be refused by the schema, got {other:?}"),
        }
    }
    assert!(matches!(
        host.parse_manifest("{not json"),
        Err(LoadError::ManifestJson { .. })
    ));
}

#[test]
fn float_config_is_refused() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let bytes = module();
    let mut m = Manifest::new("x", "1.0.0", "CO", "x.wasm", &bytes, json!({}));
    m.config = json!({"ratio": [1, 0.5]});
    m.config_sha256 = None;
    match host.load(m, &bytes) {
        Err(LoadError::ConfigNotInteger { pointer, .. }) => assert_eq!(pointer, "/ratio/1"),
        other => panic!("expected a float refusal, got {other:?}"),
    }
}

#[test]
fn identity_is_module_hash_then_canonical_config() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let bytes = module();
    let config = json!({"b": 2, "a": {"z": [1, "x"], "y": null}});
    let plugin = host
        .load(
            Manifest::new("x", "1.0.0", "CO", "x.wasm", &bytes, config.clone()),
            &bytes,
        )
        .unwrap();
    let canonical = canonical_json(&config);
    assert_eq!(canonical, br#"{"a":{"y":null,"z":[1,"x"]},"b":2}"#.to_vec());
    let mut preimage = hex::decode(sha256_hex(&bytes)).unwrap();
    preimage.extend_from_slice(&canonical);
    assert_eq!(plugin.id().identity(), sha256_hex(&preimage));
    assert_eq!(plugin.id().config_sha256(), sha256_hex(&canonical));
    assert_eq!(plugin.id().name(), "x");
}

#[test]
fn missing_module_file_is_an_io_error() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("custodia-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let m = Manifest::new("x", "1.0.0", "CO", "absent.wasm", &module(), json!({}));
    let path = dir.join("x.json");
    std::fs::write(&path, serde_json::to_string(&m).unwrap()).unwrap();
    match host.load_manifest(&path) {
        Err(LoadError::Io { path, .. }) => assert!(path.ends_with("absent.wasm")),
        other => panic!("expected an io error, got {other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn limits_are_validated() {
    let bad = Limits {
        plugin_memory_bytes_max: 10,
        ..Limits::default()
    };
    assert!(matches!(
        PluginHost::new(bad),
        Err(custodia_plugins::HostError::InvalidLimit {
            name: "plugin_memory_bytes_max",
            ..
        })
    ));
}
