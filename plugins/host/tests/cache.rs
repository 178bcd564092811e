//! The cache of compiled plugins: a plugin is compiled once, found again by later hosts, never
//! found under another module's bytes or another engine's settings, and a damaged, foreign or
//! unprivate entry is compiled again instead of run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use custodia_plugins::{HostError, Input, Limits, Manifest, ModuleCache, PluginHost};
use serde_json::json;
use sha2::{Digest as _, Sha256};

/// A plugin that denies every event with `code` (six capital letters).
fn module(code: &str) -> Vec<u8> {
    assert_eq!(code.len(), 6);
    wat::parse_str(format!(
        r#"(module
            (import "custodia" "deny" (func $deny (param i32 i32 i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 0) "{code}")
            (data (i32.const 16) "denied by the cache test")
            (func (export "custodia_abi_version") (result i32) i32.const 1)
            (func (export "judge") (result i32)
              (call $deny (i32.const 0) (i32.const 6) (i32.const 16) (i32.const 24))
              i32.const 0))"#
    ))
    .unwrap()
}

fn host(cache: &Path) -> PluginHost {
    host_with(Limits::default(), cache)
}

fn host_with(limits: Limits, cache: &Path) -> PluginHost {
    PluginHost::new(limits)
        .unwrap()
        .with_module_cache(ModuleCache::open(cache).unwrap())
}

/// Loads `bytes` in `host` and returns the code its verdict denies with.
fn deny_code(host: &PluginHost, bytes: &[u8]) -> String {
    let manifest = Manifest::new("cached", "0.1.0", "TEST", "cached.wasm", bytes, json!({}));
    let plugin = host.load(manifest, bytes).unwrap();
    let verdict = plugin
        .judge(&Input::new(json!({"event": {"kind": "destruction"}})))
        .unwrap();
    verdict.deny_code().unwrap().to_owned()
}

fn counts(host: &PluginHost) -> (u64, u64) {
    let cache = host.module_cache().unwrap();
    (cache.hits(), cache.misses())
}

fn entry(host: &PluginHost, bytes: &[u8]) -> std::path::PathBuf {
    host.cache_entry(bytes).unwrap()
}

/// The module `CACHED` compiled into a cache in `cache`: its bytes and its entry.
fn compiled(cache: &Path) -> (Vec<u8>, std::path::PathBuf) {
    let bytes = module("CACHED");
    let first = host(cache);
    assert_eq!(deny_code(&first, &bytes), "CACHED");
    let path = entry(&first, &bytes);
    (bytes, path)
}

/// A new host on `cache` compiles `bytes` again (its entry was not used) and judges the same.
fn assert_compiled_again(cache: &Path, bytes: &[u8], what: &str) {
    let next = host(cache);
    assert_eq!(deny_code(&next, bytes), "CACHED", "{what}");
    assert_eq!(counts(&next), (0, 1), "{what}");
}

#[test]
fn a_plugin_is_compiled_once_then_loaded_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("made/on/first/use");
    let bytes = module("CACHED");

    let first = host(&cache);
    assert_eq!(deny_code(&first, &bytes), "CACHED");
    assert_eq!(counts(&first), (0, 1));
    let path = entry(&first, &bytes);
    assert!(path.is_file(), "{}", path.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&cache), 0o700);
    }
    // Nothing but the entry: the temporary file was renamed into place.
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);

    // Another host (as another process would) finds it, and the plugin judges the same.
    let second = host(&cache);
    assert_eq!(deny_code(&second, &bytes), "CACHED");
    assert_eq!(counts(&second), (1, 0));
    // Loading it again in the same host finds it again.
    assert_eq!(deny_code(&second, &bytes), "CACHED");
    assert_eq!(counts(&second), (2, 0));
}

#[test]
fn another_module_is_never_found_under_its_neighbours_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (module("FIRST_"), module("SECOND"));
    let h = host(dir.path());
    assert_eq!(deny_code(&h, &one), "FIRST_");
    assert_eq!(deny_code(&h, &two), "SECOND");
    assert_eq!(counts(&h), (0, 2));
    assert_ne!(entry(&h, &one), entry(&h, &two));
    let again = host(dir.path());
    assert_eq!(deny_code(&again, &two), "SECOND");
    assert_eq!(deny_code(&again, &one), "FIRST_");
    assert_eq!(counts(&again), (2, 0));
}

#[test]
fn an_engine_that_compiles_otherwise_has_its_own_entries() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = module("CACHED");
    let plain = host(dir.path());
    let with_deadline = host_with(
        Limits {
            epoch_deadline_ticks: Some(10),
            ..Limits::default()
        },
        dir.path(),
    );
    // Epoch checks are compiled into the code: the settings differ, so do the entries.
    assert_ne!(entry(&plain, &bytes), entry(&with_deadline, &bytes));
    assert_eq!(deny_code(&plain, &bytes), "CACHED");
    assert_eq!(deny_code(&with_deadline, &bytes), "CACHED");
    assert_eq!(counts(&with_deadline), (0, 1));
}

#[test]
fn a_damaged_entry_is_compiled_again_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, path) = compiled(dir.path());
    let whole = std::fs::read(&path).unwrap();

    for damage in [Damage::FlipMiddle, Damage::Truncate, Damage::Empty] {
        let mut damaged = whole.clone();
        match damage {
            Damage::FlipMiddle => damaged[whole.len() / 2] ^= 0x40,
            Damage::Truncate => damaged.truncate(whole.len() - 100),
            Damage::Empty => damaged.clear(),
        }
        std::fs::write(&path, &damaged).unwrap();
        assert_compiled_again(dir.path(), &bytes, &format!("{damage:?}"));
        // Replaced by a whole entry, which the next host finds.
        let after = host(dir.path());
        assert_eq!(deny_code(&after, &bytes), "CACHED", "{damage:?}");
        assert_eq!(counts(&after), (1, 0), "{damage:?}");
    }
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    FlipMiddle,
    Truncate,
    Empty,
}

#[test]
fn an_entry_wasmtime_refuses_is_compiled_again() {
    // Whole by its own SHA-256, but not an artifact of this wasmtime: wasmtime refuses it
    // (as it refuses one of another version), and the plugin is compiled instead.
    let dir = tempfile::tempdir().unwrap();
    let bytes = module("CACHED");
    let h = host(dir.path());
    let path = entry(&h, &bytes);
    let mut foreign = b"\x7fELF not an artifact of this wasmtime".to_vec();
    let digest = Sha256::digest(&foreign);
    foreign.extend_from_slice(&digest);
    std::fs::write(&path, &foreign).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert_eq!(deny_code(&h, &bytes), "CACHED");
    assert_eq!(counts(&h), (0, 1));
    assert_ne!(std::fs::read(&path).unwrap(), foreign);
}

#[cfg(unix)]
#[test]
fn what_others_may_write_is_not_trusted() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(matches!(
        ModuleCache::open(&open),
        Err(HostError::Cache { path, .. }) if path == open
    ));
    // A file is not a folder.
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    assert!(matches!(
        ModuleCache::open(&file),
        Err(HostError::Cache { path, .. }) if path == file
    ));

    // A whole entry that group or others may write is compiled again (and replaced by a
    // private one), not run.
    let private = dir.path().join("private");
    let (bytes, path) = compiled(&private);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert_compiled_again(&private, &bytes, "an entry others may write");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// A folder or an entry that another user owns is not trusted, whatever its mode. Needs root
/// (to give files away): skipped otherwise, with a note.
#[cfg(unix)]
#[test]
fn what_another_user_owns_is_not_trusted() {
    use std::os::unix::fs::{PermissionsExt as _, chown};
    const SOMEONE_ELSE: u32 = 54_321;
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o700)).unwrap();
    if let Err(e) = chown(&theirs, Some(SOMEONE_ELSE), None) {
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
        println!("note: skipped: giving a folder to another user needs root ({e})");
        return;
    }
    assert!(matches!(
        ModuleCache::open(&theirs),
        Err(HostError::Cache { path, .. }) if path == theirs
    ));

    // An entry another user owns, in one's own folder: compiled again (and replaced), not run.
    let mine = dir.path().join("mine");
    let (bytes, path) = compiled(&mine);
    chown(&path, Some(SOMEONE_ELSE), None).unwrap();
    assert_compiled_again(&mine, &bytes, "an entry another user owns");
    let after = host(&mine);
    deny_code(&after, &bytes);
    assert_eq!(counts(&after), (1, 0));
}

#[test]
fn the_default_folder_follows_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let os = |p: &Path| Some(p.as_os_str().to_owned());
    let named = dir.path().join("named");
    let xdg = dir.path().join("xdg");
    let home = dir.path().join("home");

    // Off, or empty: no cache, whatever else is set.
    for off in ["off", ""] {
        let cache = ModuleCache::from_settings(Some(off.into()), os(&xdg), os(&home)).unwrap();
        assert!(cache.is_none(), "{off:?}");
    }
    // Named: that folder.
    let cache = ModuleCache::from_settings(os(&named), os(&xdg), os(&home))
        .unwrap()
        .unwrap();
    assert_eq!(cache.dir(), named);
    // Else the XDG cache folder, else the home's.
    let cache = ModuleCache::from_settings(None, os(&xdg), os(&home))
        .unwrap()
        .unwrap();
    assert_eq!(cache.dir(), xdg.join("custodia/plugins"));
    let cache = ModuleCache::from_settings(None, None, os(&home))
        .unwrap()
        .unwrap();
    assert_eq!(cache.dir(), home.join(".cache/custodia/plugins"));
    // A relative XDG folder is not one (the XDG specification): the home's is used.
    let cache = ModuleCache::from_settings(None, Some("relative".into()), os(&home))
        .unwrap()
        .unwrap();
    assert_eq!(cache.dir(), home.join(".cache/custodia/plugins"));
    // Nowhere to put it: no cache.
    assert!(
        ModuleCache::from_settings(None, None, None)
            .unwrap()
            .is_none()
    );

    // A named folder that cannot be used is an error; a default one is no cache.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    assert!(matches!(
        ModuleCache::from_settings(os(&file), None, None),
        Err(HostError::Cache { .. })
    ));
    assert!(
        ModuleCache::from_settings(None, os(&file), None)
            .unwrap()
            .is_none()
    );
}
