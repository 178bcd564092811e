//! The cache of compiled plugins: a plugin is compiled once, found again by later hosts, never
//! found under another module's bytes or another engine's settings, and a damaged, foreign or
//! unprivate entry is compiled again instead of run; entries unused for a month, or past the
//! cache's bound the least recently used, are removed when an entry is written.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use custodia_plugins::{
    ENTRY_TOUCH_SECS, ENTRY_UNUSED_SECS, HostError, Input, Limits, Manifest, ModuleCache,
    PluginHost, TEMP_STALE_SECS,
};
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

/// The time an entry was last used (its modification time).
fn last_used(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Marks `path` as last used `secs` seconds ago.
fn used_ago(path: &Path, secs: u64) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

/// A file named `name` in `dir`, written `secs` seconds ago.
fn file_ago(dir: &Path, name: &str, secs: u64) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, b"left here").unwrap();
    used_ago(&path, secs);
    path
}

#[test]
fn writing_an_entry_removes_entries_unused_for_a_month_and_stale_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let (old_bytes, old) = compiled(dir.path());
    let h = host(dir.path());
    let (recent_bytes, recent) = (module("RECENT"), entry(&h, &module("RECENT")));
    assert_eq!(deny_code(&h, &recent_bytes), "RECENT");
    used_ago(&old, ENTRY_UNUSED_SECS + 3600);
    let stale_temp = file_ago(dir.path(), ".tmp-999-0", TEMP_STALE_SECS + 60);
    let fresh_temp = file_ago(dir.path(), ".tmp-999-1", TEMP_STALE_SECS - 60);
    // Names this cache never writes, however old: left alone.
    let long_ago = ENTRY_UNUSED_SECS * 2;
    let foreign = [
        file_ago(dir.path(), "notes.txt", long_ago),
        file_ago(dir.path(), "not-hex.cwasm", long_ago),
        file_ago(dir.path(), &format!("{}.cwasm", "a".repeat(64)), long_ago),
        file_ago(
            dir.path(),
            &format!("{}-{}.cwasm", "A".repeat(64), "a".repeat(64)),
            long_ago,
        ),
    ];

    // Loading finds entries; it does not prune.
    assert_eq!(deny_code(&host(dir.path()), &recent_bytes), "RECENT");
    assert!(old.is_file() && stale_temp.is_file());
    // Not used for a little less than a month (set after the load, which marked it used).
    used_ago(&recent, ENTRY_UNUSED_SECS - 3600);

    // Writing an entry prunes.
    let next = host(dir.path());
    assert_eq!(deny_code(&next, &module("NEWONE")), "NEWONE");
    assert!(entry(&next, &module("NEWONE")).is_file());
    assert!(!old.exists(), "an entry unused for a month is removed");
    assert!(!stale_temp.exists(), "a stale temporary file is removed");
    assert!(recent.is_file() && fresh_temp.is_file());
    for f in &foreign {
        assert!(f.is_file(), "{}", f.display());
    }
    // The removed entry's plugin is compiled again when next loaded.
    assert_compiled_again(dir.path(), &old_bytes, "after pruning");
}

#[test]
fn a_load_marks_its_entry_used_at_most_once_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, path) = compiled(dir.path());

    // Used an hour ago: a load leaves its time (no write per load).
    used_ago(&path, 3600);
    let before = last_used(&path);
    assert_eq!(deny_code(&host(dir.path()), &bytes), "CACHED");
    assert_eq!(last_used(&path), before);

    // Used longer ago than a day: a load marks it used now, so it outlives a month unused.
    used_ago(&path, ENTRY_UNUSED_SECS + 3600);
    let h = host(dir.path());
    assert_eq!(deny_code(&h, &bytes), "CACHED");
    assert_eq!(counts(&h), (1, 0));
    let age = SystemTime::now().duration_since(last_used(&path)).unwrap();
    assert!(age.as_secs() < ENTRY_TOUCH_SECS, "{age:?}");
    assert_eq!(deny_code(&h, &module("NEWONE")), "NEWONE");
    assert!(path.is_file(), "an entry used again is kept");
}

#[test]
fn past_its_bound_the_cache_removes_the_least_recently_used_first() {
    let dir = tempfile::tempdir().unwrap();
    let h = host(dir.path());
    let names = ["OLDEST", "MIDDLE", "LATEST"];
    let paths: Vec<_> = names.iter().map(|n| entry(&h, &module(n))).collect();
    for n in names {
        assert_eq!(deny_code(&h, &module(n)), n);
    }
    for (path, hours) in paths.iter().zip([3, 2, 1]) {
        used_ago(path, hours * 3600);
    }
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    let newest = entry(&h, &module("NEWEST"));

    // Room for the two most recent and the one written (entries of these modules are of
    // nearly equal size: the bound leaves a kilobyte to spare, less than one entry).
    let bound = size(&paths[1]) + size(&paths[2]) + size(&paths[2]) + 1024;
    assert!(bound < paths.iter().map(|p| size(p)).sum::<u64>() + size(&paths[2]));
    let bounded = PluginHost::new(Limits::default())
        .unwrap()
        .with_module_cache(ModuleCache::open(dir.path()).unwrap().with_bytes_max(bound));
    assert_eq!(deny_code(&bounded, &module("NEWEST")), "NEWEST");
    assert!(!paths[0].exists(), "the least recently used is removed");
    assert!(paths[1].is_file() && paths[2].is_file() && newest.is_file());

    // A bound below one entry keeps only the entry written.
    let tiny = PluginHost::new(Limits::default())
        .unwrap()
        .with_module_cache(ModuleCache::open(dir.path()).unwrap().with_bytes_max(1));
    assert_eq!(deny_code(&tiny, &module("ALONE_")), "ALONE_");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, vec![entry(&tiny, &module("ALONE_"))]);
}
