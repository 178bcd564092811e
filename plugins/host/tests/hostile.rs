//! Hostile plugins, written by hand in WAT: each is contained, reported as its own typed error,
//! and the host (and a well-behaved plugin loaded in it) keeps working afterwards.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use custodia_plugins::{
    CallError, Input, Limits, LoadError, MalformedOutput, Manifest, Plugin, PluginHost, Verdict,
};
use serde_json::json;

/// Imports every ABI v1 host function, exports the version and a `judge` with `body`.
fn module(extra: &str, body: &str) -> Vec<u8> {
    module_with_version(1, "", extra, body)
}

fn module_with_version(version: i32, imports: &str, extra: &str, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
            (import "custodia" "kind" (func $kind (param i32 i32 i32) (result i32)))
            (import "custodia" "get_str" (func $get_str (param i32 i32 i32 i32 i32) (result i32)))
            (import "custodia" "deny" (func $deny (param i32 i32 i32 i32)))
            (import "custodia" "warn" (func $warn (param i32 i32 i32 i32)))
            {imports}
            (memory (export "memory") 1)
            (data (i32.const 0) "/event/kind")          ;; 11 bytes at 0
            (data (i32.const 16) "destruction")         ;; 11 bytes at 16
            (data (i32.const 32) "GOOD_DENY")           ;; 9 bytes at 32
            (data (i32.const 48) "destruction denied")  ;; 18 bytes at 48
            (data (i32.const 80) "\ff\fe")              ;; invalid UTF-8 at 80
            (data (i32.const 96) "lower case")          ;; bad code at 96
            {extra}
            (func (export "custodia_abi_version") (result i32) i32.const {version})
            (func (export "judge") (result i32) {body}))"#
    ))
    .unwrap()
}

/// A well-behaved plugin: denies destructions (reading `/event/kind` through `get_str`).
fn good_body() -> &'static str {
    r#"(local $n i32)
       (local.set $n (call $get_str (i32.const 0) (i32.const 0) (i32.const 11) (i32.const 1024) (i32.const 64)))
       (if (i32.eq (local.get $n) (i32.const 11))
         (then (if (i64.eq (i64.load (i32.const 1024)) (i64.load (i32.const 16)))
           (then (call $deny (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 18))))))
       i32.const 0"#
}

fn manifest(bytes: &[u8]) -> Manifest {
    Manifest::new("hostile", "0.1.0", "TEST", "hostile.wasm", bytes, json!({}))
}

fn load(host: &PluginHost, bytes: &[u8]) -> Result<Plugin, LoadError> {
    host.load(manifest(bytes), bytes)
}

fn destruction() -> Input {
    Input::new(
        json!({"event": {"kind": "destruction"}, "signers": [], "items": [], "lots": [],
                      "site": null, "authorisation": null}),
    )
}

/// The host still loads and runs a good plugin, and it judges correctly.
fn assert_host_ok(host: &PluginHost) {
    let good = load(host, &module("", good_body())).unwrap();
    let verdict = good.judge(&destruction()).unwrap();
    assert_eq!(verdict.deny_code(), Some("GOOD_DENY"));
    let other = Input::new(json!({"event": {"kind": "register_items"}}));
    assert!(good.judge(&other).unwrap().is_allow());
}

fn host() -> PluginHost {
    PluginHost::new(Limits {
        fuel_per_call_max: 1_000_000,
        plugin_memory_bytes_max: 4 << 20,
        ..Limits::default()
    })
    .unwrap()
}

fn call(host: &PluginHost, extra: &str, body: &str) -> Result<Verdict, CallError> {
    let plugin = load(host, &module(extra, body)).unwrap();
    let result = plugin.judge(&destruction());
    // The same plugin is still callable and fails the same way: nothing leaked between calls.
    assert_eq!(plugin.judge(&destruction()), result);
    assert_host_ok(host);
    result
}

#[test]
fn good_plugin_works() {
    assert_host_ok(&host());
}

#[test]
fn infinite_loop_exhausts_fuel() {
    let host = host();
    let r = call(&host, "", "(loop $l (br $l)) i32.const 0");
    assert_eq!(r, Err(CallError::FuelExhausted { fuel: 1_000_000 }));
}

#[test]
fn host_call_loop_exhausts_fuel_too() {
    let host = host();
    let body = "(loop $l (drop (call $kind (i32.const 0) (i32.const 0) (i32.const 11))) (br $l)) i32.const 0";
    let r = call(&host, "", body);
    assert_eq!(r, Err(CallError::FuelExhausted { fuel: 1_000_000 }));
}

#[test]
fn memory_bomb_hits_the_cap() {
    let host = host();
    let body =
        "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) i32.const 0";
    let r = call(&host, "", body);
    assert_eq!(
        r,
        Err(CallError::MemoryExceeded {
            requested_bytes: (4 << 20) + (64 << 10),
            max: 4 << 20
        })
    );
}

#[test]
fn oversized_initial_memory_is_refused_at_load() {
    let host = host();
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 1000)
             (func (export "custodia_abi_version") (result i32) i32.const 1)
             (func (export "judge") (result i32) i32.const 0))"#,
    )
    .unwrap();
    // The pooling allocator's slots are sized to the cap: such a module never compiles.
    match load(&host, &bytes) {
        Err(LoadError::ModuleInvalid { reason, .. }) => {
            assert!(reason.contains("memory"), "{reason}")
        }
        other => panic!("expected a memory cap error, got {other:?}"),
    }
    assert_host_ok(&host);
}

#[test]
fn out_of_bounds_pointer_is_refused() {
    let host = host();
    let r = call(
        &host,
        "",
        "(drop (call $kind (i32.const 0) (i32.const 65530) (i32.const 100))) i32.const 0",
    );
    assert_eq!(
        r,
        Err(CallError::PointerOutOfBounds {
            function: "kind",
            ptr: 65530,
            len: 100,
            memory_bytes: 65536
        })
    );
}

#[test]
fn wrapping_pointer_is_refused() {
    let host = host();
    let r = call(
        &host,
        "",
        "(drop (call $kind (i32.const 0) (i32.const -16) (i32.const 32))) i32.const 0",
    );
    assert_eq!(
        r,
        Err(CallError::PointerOutOfBounds {
            function: "kind",
            ptr: u32::MAX - 15,
            len: 32,
            memory_bytes: 65536
        })
    );
}

#[test]
fn out_of_bounds_output_buffer_is_refused() {
    let host = host();
    let body = "(drop (call $get_str (i32.const 0) (i32.const 0) (i32.const 11) (i32.const 65000) (i32.const 1000))) i32.const 0";
    let r = call(&host, "", body);
    assert_eq!(
        r,
        Err(CallError::PointerOutOfBounds {
            function: "get_str",
            ptr: 65000,
            len: 1000,
            memory_bytes: 65536
        })
    );
}

#[test]
fn unknown_document_is_an_invalid_argument() {
    let host = host();
    let r = call(
        &host,
        "",
        "(drop (call $kind (i32.const 7) (i32.const 0) (i32.const 11))) i32.const 0",
    );
    assert!(
        matches!(
            r,
            Err(CallError::InvalidArgument {
                function: "kind",
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn trap_is_contained() {
    let host = host();
    let r = call(&host, "", "unreachable");
    match r {
        Err(CallError::Trap { reason }) => assert!(reason.contains("unreachable"), "{reason}"),
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn stack_overflow_is_a_trap() {
    let host = host();
    let r = call(
        &host,
        "(func $down (result i32) (call $down))",
        "(call $down)",
    );
    match r {
        Err(CallError::Trap { reason }) => assert!(reason.contains("stack"), "{reason}"),
        other => panic!("expected a stack overflow trap, got {other:?}"),
    }
}

#[test]
fn huge_output_is_refused() {
    let host = host();
    // A 60 000-byte message from within the guest's memory: over the 16 KiB verdict limit.
    let r = call(
        &host,
        "",
        "(call $deny (i32.const 32) (i32.const 9) (i32.const 0) (i32.const 60000)) i32.const 0",
    );
    assert_eq!(
        r,
        Err(CallError::OutputTooLarge {
            bytes: 60_009,
            max: 16 << 10
        })
    );
}

#[test]
fn many_small_warnings_add_up_to_the_output_limit() {
    let host = PluginHost::new(Limits {
        warnings_max: 10_000,
        ..Limits::default()
    })
    .unwrap();
    let body = "(loop $l (call $warn (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 18)) (br $l)) i32.const 0";
    let r = call(&host, "", body);
    assert_eq!(
        r,
        Err(CallError::OutputTooLarge {
            bytes: (16 << 10) + 27 - (16 << 10) % 27,
            max: 16 << 10
        })
    );
}

#[test]
fn too_many_warnings_are_malformed() {
    let host = host();
    let body = "(loop $l (call $warn (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 1)) (br $l)) i32.const 0";
    let r = call(&host, "", body);
    assert_eq!(
        r,
        Err(CallError::Malformed(MalformedOutput::TooManyWarnings {
            max: 32
        }))
    );
}

#[test]
fn invalid_utf8_message_is_malformed() {
    let host = host();
    let r = call(
        &host,
        "",
        "(call $deny (i32.const 32) (i32.const 9) (i32.const 80) (i32.const 2)) i32.const 0",
    );
    assert_eq!(
        r,
        Err(CallError::Malformed(MalformedOutput::InvalidUtf8 {
            field: "message"
        }))
    );
}

#[test]
fn invalid_code_is_malformed() {
    let host = host();
    let r = call(
        &host,
        "",
        "(call $deny (i32.const 96) (i32.const 10) (i32.const 48) (i32.const 18)) i32.const 0",
    );
    assert_eq!(
        r,
        Err(CallError::Malformed(MalformedOutput::InvalidCode {
            code: "lower case".to_owned()
        }))
    );
}

#[test]
fn wrong_return_code_is_malformed() {
    let host = host();
    let r = call(&host, "", "i32.const 7");
    assert_eq!(
        r,
        Err(CallError::Malformed(MalformedOutput::ReturnCode {
            value: 7
        }))
    );
}

#[test]
fn denying_twice_is_malformed() {
    let host = host();
    let body = "(call $deny (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 18))
                (call $deny (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 18)) i32.const 0";
    let r = call(&host, "", body);
    assert_eq!(r, Err(CallError::Malformed(MalformedOutput::DeniedTwice)));
}

#[test]
fn forbidden_imports_are_refused() {
    let host = host();
    for (module, name, sig) in [
        (
            "wasi_snapshot_preview1",
            "fd_write",
            "(param i32 i32 i32 i32) (result i32)",
        ),
        (
            "wasi_snapshot_preview1",
            "clock_time_get",
            "(param i32 i64 i32) (result i32)",
        ),
        ("custodia", "random", "(result i64)"),
        ("env", "now", "(result i64)"),
    ] {
        let bytes = module_with_version(
            1,
            &format!(r#"(import "{module}" "{name}" (func {sig}))"#),
            "",
            "i32.const 0",
        );
        match load(&host, &bytes) {
            Err(LoadError::ForbiddenImport {
                module: m,
                import: i,
                ..
            }) => {
                assert_eq!((m.as_str(), i.as_str()), (module, name));
            }
            other => panic!("expected `{module}::{name}` to be refused, got {other:?}"),
        }
    }
    // Importing a memory (instead of exporting one) is outside the ABI too.
    let bytes = wat::parse_str(
        r#"(module (import "custodia" "memory" (memory 1))
             (func (export "custodia_abi_version") (result i32) i32.const 1)
             (func (export "judge") (result i32) i32.const 0))"#,
    )
    .unwrap();
    assert!(matches!(
        load(&host, &bytes),
        Err(LoadError::ForbiddenImport { .. })
    ));
    assert_host_ok(&host);
}

#[test]
fn abi_import_with_wrong_signature_does_not_link() {
    let host = host();
    let bytes = wat::parse_str(
        r#"(module (import "custodia" "kind" (func (param i64) (result i32)))
             (memory (export "memory") 1)
             (func (export "custodia_abi_version") (result i32) i32.const 1)
             (func (export "judge") (result i32) i32.const 0))"#,
    )
    .unwrap();
    assert!(matches!(load(&host, &bytes), Err(LoadError::Link { .. })));
    assert_host_ok(&host);
}

#[test]
fn wrong_abi_version_is_refused() {
    let host = host();
    // The manifest claims a version the host does not speak.
    let bytes = module("", "i32.const 0");
    let mut m = manifest(&bytes);
    m.abi_version = 3;
    assert!(matches!(
        host.load(m, &bytes),
        Err(LoadError::AbiVersionUnsupported {
            declared: 3,
            supported: [1, 2],
            ..
        })
    ));
    // The module reports a version its manifest does not declare.
    let bytes = module_with_version(2, "", "", "i32.const 0");
    assert!(matches!(
        load(&host, &bytes),
        Err(LoadError::AbiVersionMismatch {
            declared: 1,
            reported: 2,
            ..
        })
    ));
    assert_host_ok(&host);
}

#[test]
fn hash_mismatch_is_refused() {
    let host = host();
    let good = module("", good_body());
    let m = manifest(&good);
    let mut tampered = good.clone();
    // Flip a byte of the "GOOD_DENY" data segment: still valid wasm, different behaviour.
    let at = tampered.windows(9).position(|w| w == b"GOOD_DENY").unwrap();
    tampered[at] = b'X';
    match host.load(m.clone(), &tampered) {
        Err(LoadError::ModuleHashMismatch {
            expected, actual, ..
        }) => {
            assert_eq!(expected, m.module_sha256);
            assert_eq!(actual, custodia_plugins::sha256_hex(&tampered));
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    // The config is covered too.
    let mut m2 = m.clone();
    m2.config = json!({"witnesses_min": 1});
    assert!(matches!(
        host.load(m2, &good),
        Err(LoadError::ConfigHashMismatch { .. })
    ));
    assert_host_ok(&host);
}

#[test]
fn missing_exports_and_invalid_modules_are_refused() {
    let host = host();
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "custodia_abi_version") (result i32) i32.const 1))"#,
    )
    .unwrap();
    assert!(matches!(
        load(&host, &bytes),
        Err(LoadError::MissingExport {
            export: "judge",
            ..
        })
    ));
    let garbage = b"\0asm\x01\0\0\0garbage".to_vec();
    assert!(matches!(
        load(&host, &garbage),
        Err(LoadError::ModuleInvalid { .. })
    ));
    assert_host_ok(&host);
}

#[test]
fn start_function_cannot_escape_fuel() {
    let host = host();
    let bytes = module(
        "(func $spin (loop $l (br $l))) (start $spin)",
        "i32.const 0",
    );
    assert!(matches!(
        load(&host, &bytes),
        Err(LoadError::Probe {
            source: CallError::FuelExhausted { .. },
            ..
        })
    ));
    assert_host_ok(&host);
}

#[test]
fn epoch_deadline_stops_a_long_call() {
    let host = PluginHost::new(Limits {
        fuel_per_call_max: u64::MAX,
        epoch_deadline_ticks: Some(2),
        ..Limits::default()
    })
    .unwrap();
    let plugin = load(&host, &module("", "(loop $l (br $l)) i32.const 0")).unwrap();
    let ticker = {
        let host = host.clone();
        std::thread::spawn(move || {
            for _ in 0..200 {
                std::thread::sleep(std::time::Duration::from_millis(10));
                host.increment_epoch();
            }
        })
    };
    assert_eq!(
        plugin.judge(&destruction()),
        Err(CallError::DeadlineExceeded { ticks: 2 })
    );
    ticker.join().unwrap();
    assert_host_ok(&host);
}
