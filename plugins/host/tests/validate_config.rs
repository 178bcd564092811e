//! The optional `validate_config` export: called once at load time with the configuration; a
//! denial is `LoadError::ConfigRefused` naming the plugin and the field, a failure is a probe
//! error, and a module without the export loads as before with the same identity.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_plugins::{CallError, Limits, LoadError, Manifest, PluginHost, RuleSet};
use serde_json::{Value, json};

/// A module whose `validate_config` (when `validate` is given) denies unless the config's
/// `/min` is an integer >= 1, with the message `/min: must be at least 1`.
fn module(validate: Option<&str>) -> Vec<u8> {
    let export = match validate {
        None => String::new(),
        Some(body) => format!(r#"(func (export "validate_config") (result i32) {body})"#),
    };
    wat::parse_str(format!(
        r#"(module
            (import "custodia" "get_int" (func $get_int (param i32 i32 i32 i32) (result i32)))
            (import "custodia" "kind" (func $kind (param i32 i32 i32) (result i32)))
            (import "custodia" "deny" (func $deny (param i32 i32 i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 0) "/min")                        ;; 4 bytes at 0
            (data (i32.const 16) "MIN_INVALID")                ;; 11 bytes at 16
            (data (i32.const 32) "/min: must be at least 1")   ;; 24 bytes at 32
            (data (i32.const 64) "/event")                     ;; 6 bytes at 64
            (func (export "custodia_abi_version") (result i32) i32.const 1)
            (func (export "judge") (result i32) i32.const 0)
            {export})"#
    ))
    .unwrap()
}

const CHECK_MIN: &str = r#"
    (if (i32.eqz (call $get_int (i32.const 1) (i32.const 0) (i32.const 4) (i32.const 128)))
      (then (call $deny (i32.const 16) (i32.const 11) (i32.const 32) (i32.const 24)) (return (i32.const 0))))
    (if (i64.lt_s (i64.load (i32.const 128)) (i64.const 1))
      (then (call $deny (i32.const 16) (i32.const 11) (i32.const 32) (i32.const 24))))
    i32.const 0"#;

fn host() -> PluginHost {
    PluginHost::new(Limits::default()).unwrap()
}

fn load(bytes: &[u8], config: Value) -> Result<custodia_plugins::Plugin, LoadError> {
    let manifest = Manifest::new("checked", "0.1.0", "TEST", "checked.wasm", bytes, config);
    host().load(manifest, bytes)
}

#[test]
fn a_good_config_loads_and_a_bad_one_is_refused_naming_the_field() {
    let bytes = module(Some(CHECK_MIN));
    load(&bytes, json!({"min": 2})).unwrap();
    for bad in [json!({"min": 0}), json!({}), json!({"min": "two"})] {
        match load(&bytes, bad.clone()) {
            Err(LoadError::ConfigRefused {
                name,
                field,
                code,
                message,
            }) => {
                assert_eq!(name, "checked");
                assert_eq!(field, "/min");
                assert_eq!(code, "MIN_INVALID");
                assert_eq!(message, "must be at least 1");
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn without_the_export_every_config_loads_with_the_same_identity() {
    let plain = module(None);
    let a = load(&plain, json!({"min": 0})).unwrap();
    let b = load(&plain, json!({"min": 0})).unwrap();
    assert_eq!(a.id().identity(), b.id().identity());
    // The identity is sha256(module hash || canonical config), as before the export existed.
    let mut preimage = hex::decode(custodia_plugins::sha256_hex(&plain)).unwrap();
    preimage.extend_from_slice(br#"{"min":0}"#);
    assert_eq!(a.id().identity(), custodia_plugins::sha256_hex(&preimage));
}

#[test]
fn reading_the_input_or_trapping_in_validate_config_is_a_probe_error() {
    let reads_input = module(Some(
        "(drop (call $kind (i32.const 0) (i32.const 64) (i32.const 6))) i32.const 0",
    ));
    match load(&reads_input, json!({})) {
        Err(LoadError::Probe {
            source: CallError::InvalidArgument { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match load(&module(Some("unreachable")), json!({})) {
        Err(LoadError::Probe {
            source: CallError::Trap { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match load(&module(Some("i32.const 3")), json!({})) {
        Err(LoadError::Probe {
            source: CallError::Malformed(_),
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_refusal_in_a_plugin_folder_is_the_front_doors_config_refused_error() {
    let dir = std::env::temp_dir().join(format!("custodia-validate-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = module(Some(CHECK_MIN));
    std::fs::write(dir.join("checked.wasm"), &bytes).unwrap();
    let manifest = Manifest::new(
        "checked",
        "0.1.0",
        "TEST",
        "checked.wasm",
        &bytes,
        json!({"min": 0}),
    );
    std::fs::write(
        dir.join("checked.json"),
        serde_json::to_string(&manifest).unwrap(),
    )
    .unwrap();
    let e = RuleSet::from_dir(&dir).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(e.code(), custodia::ErrorCode::PluginConfigRefused);
    match e.kind() {
        custodia::ErrorKind::PluginConfigRefused {
            plugin,
            field,
            code,
            ..
        } => {
            assert_eq!(plugin, "checked");
            assert_eq!(field, "/min");
            assert_eq!(code, "MIN_INVALID");
        }
        other => panic!("{other:?}"),
    }
}
