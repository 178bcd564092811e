//! Compiled plugins kept on disk, so that a plugin is compiled to machine code once per machine
//! and not each time a process loads it.
//!
//! An entry is the artifact wasmtime's [`Module::serialize`] wrote, followed by its SHA-256. Its
//! file name is the SHA-256 of the module's bytes (what a manifest's `module_sha256` names) and
//! a hash of the engine's compilation settings ([`Engine::precompile_compatibility_hash`]), so
//! a module is only ever found under its own bytes and an engine that compiles the same way.
//!
//! Trust: an entry is machine code the process runs without checking it
//! ([`Module::deserialize`] is `unsafe` for that reason), so the cache must be writable by its
//! user alone. The folder is made with mode 0700 and entries with 0600; a folder or an entry
//! that another user owns, or that group or others may write, is not used. Whoever can write
//! the folder can already write the user's other files (the cache lives in the user's own cache
//! folder by default). The trailing SHA-256 catches a damaged entry (a truncated write, a bad
//! disk), not a forged one: a damaged entry is compiled again and replaced (run as it was, a
//! truncated artifact crashed the process in a test). wasmtime itself refuses an artifact from
//! another version or configuration, which is then compiled again too.
//!
//! Entries are written to a temporary file and renamed into place, so processes loading the
//! same plugins at once each find a whole entry or none. A cache that cannot be written only
//! costs the time of compiling.
//!
//! Eviction: every plugin version and every build of this library (another wasmtime, other
//! compilation settings) makes entries of its own, which nothing else ever reads. An entry's
//! modification time is when it was last used (a load that finds it refreshes a time older than
//! [`ENTRY_TOUCH_SECS`]), and each time an entry is written the folder is pruned: entries unused
//! for [`ENTRY_UNUSED_SECS`] are removed, then the least recently used until the entries hold at
//! most [`CACHE_BYTES_MAX`] (or [`ModuleCache::with_bytes_max`]; never the one just written),
//! and temporary files older than [`TEMP_STALE_SECS`] (left by a process that died while
//! writing). Only names this cache writes are touched. An entry removed while another process
//! reads it is only compiled again.

use std::ffi::OsString;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use crate::error::HostError;

/// The environment variable naming the cache folder (`off` for no cache).
pub const PLUGIN_CACHE_ENV: &str = "CUSTODIA_PLUGIN_CACHE";

/// The largest entry read: far above any rule's compiled size (tens to hundreds of KiB).
const ENTRY_BYTES_MAX: u64 = 256 << 20;

/// The length of an entry's trailing SHA-256.
const DIGEST_BYTES: usize = 32;

/// Entries not used for this long (30 days) are removed when the cache is pruned.
pub const ENTRY_UNUSED_SECS: u64 = 30 * 24 * 3600;

/// The most the entries may hold after pruning, by default (256 MiB: about 2,000 compiled rules
/// of the examples' size), the least recently used removed first
/// ([`ModuleCache::with_bytes_max`] sets another bound).
pub const CACHE_BYTES_MAX: u64 = 256 << 20;

/// A load refreshes its entry's time of last use when it is older than this (a day), so that
/// loads write to the folder at most once a day per entry.
pub const ENTRY_TOUCH_SECS: u64 = 24 * 3600;

/// A temporary file older than this (an hour) was left by a process that died while writing it.
pub const TEMP_STALE_SECS: u64 = 3600;

/// The suffix of an entry's file name.
const ENTRY_SUFFIX: &str = ".cwasm";

/// The prefix of a temporary file's name.
const TEMP_PREFIX: &str = ".tmp-";

/// A folder of compiled plugins; see the module documentation for what it trusts.
#[derive(Debug)]
pub struct ModuleCache {
    dir: PathBuf,
    /// The user this process writes files as (Unix), who must own the folder and its entries.
    owner: Option<u32>,
    hits: AtomicU64,
    misses: AtomicU64,
    /// The most its entries may hold after pruning.
    bytes_max: u64,
}

impl ModuleCache {
    /// The cache in `dir`, made (with its parents) if missing, mode 0700. Refused when `dir`
    /// is not a folder, cannot be made or written, belongs to another user, or may be written by
    /// group or others.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, HostError> {
        let dir = dir.into();
        let refused = |reason: String| HostError::Cache {
            path: dir.clone(),
            reason,
        };
        if !dir.exists() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(&dir)
                .map_err(|e| refused(format!("cannot create it: {e}")))?;
        }
        let meta = fs::metadata(&dir).map_err(|e| refused(e.to_string()))?;
        if !meta.is_dir() {
            return Err(refused("it is not a folder".into()));
        }
        // Who this process writes files as: the owner of a file it makes there (the standard
        // library has no `geteuid`), which also shows that the folder can be written.
        let probe = tempfile_in(&dir).map_err(|e| refused(format!("cannot write in it: {e}")))?;
        let owner = owner_of(&probe.file);
        let _ = fs::remove_file(&probe.path);
        let owner = owner.map_err(|e| refused(e.to_string()))?;
        if !is_private(&meta, owner) {
            return Err(refused(
                "another user owns it, or group or others may write it, and its entries are code \
                 this process runs"
                    .into(),
            ));
        }
        Ok(ModuleCache {
            dir,
            owner,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            bytes_max: CACHE_BYTES_MAX,
        })
    }

    /// The cache the command line, the C API and the Python package use: the folder named by
    /// `$CUSTODIA_PLUGIN_CACHE` (`off` or empty for none), else `$XDG_CACHE_HOME/custodia/plugins`,
    /// else `$HOME/.cache/custodia/plugins`. A folder named by the variable that cannot be used
    /// is an error; a default folder that cannot be used means no cache (`Ok(None)`).
    pub fn from_env() -> Result<Option<Self>, HostError> {
        Self::from_settings(
            std::env::var_os(PLUGIN_CACHE_ENV),
            std::env::var_os("XDG_CACHE_HOME"),
            std::env::var_os("HOME"),
        )
    }

    /// [`ModuleCache::from_env`] with the three variables given.
    pub fn from_settings(
        named: Option<OsString>,
        xdg_cache_home: Option<OsString>,
        home: Option<OsString>,
    ) -> Result<Option<Self>, HostError> {
        if let Some(named) = named {
            if named.is_empty() || named == "off" {
                return Ok(None);
            }
            return Self::open(named).map(Some);
        }
        // XDG: a relative `XDG_CACHE_HOME` is invalid and ignored.
        let base = xdg_cache_home
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                home.map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|h| h.join(".cache"))
            });
        Ok(base.and_then(|b| Self::open(b.join("custodia").join("plugins")).ok()))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many modules were found compiled in it since it was opened.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// How many modules were compiled because no usable entry was found.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// Where the entry of the module whose SHA-256 is `module_sha256` lies for `engine`.
    pub(crate) fn entry_path(&self, engine: &Engine, module_sha256: &[u8]) -> PathBuf {
        let mut settings = DigestHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut settings);
        let name = format!(
            "{}-{}{ENTRY_SUFFIX}",
            hex::encode(module_sha256),
            hex::encode(settings.0.finalize())
        );
        self.dir.join(name)
    }

    /// The module compiled from `bytes` (whose SHA-256 is `module_sha256`): from its entry when
    /// there is a whole one, else compiled and its entry written.
    pub(crate) fn module(
        &self,
        engine: &Engine,
        bytes: &[u8],
        module_sha256: &[u8],
    ) -> wasmtime::Result<Module> {
        let path = self.entry_path(engine, module_sha256);
        if let Some(module) = read(engine, &path, self.owner) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            touch(&path, SystemTime::now());
            return Ok(module);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let module = Module::new(engine, bytes)?;
        // Not written is only slower next time.
        if let Ok(artifact) = module.serialize()
            && write(&self.dir, &path, &artifact).is_ok()
        {
            self.prune(SystemTime::now(), &path);
        }
        Ok(module)
    }

    /// The same cache, its entries pruned to at most `bytes` (instead of [`CACHE_BYTES_MAX`]).
    pub fn with_bytes_max(mut self, bytes: u64) -> Self {
        self.bytes_max = bytes;
        self
    }

    /// Removes, as of `now`: entries unused for [`ENTRY_UNUSED_SECS`]; then the least recently
    /// used until the entries hold at most the cache's bound, never `keep` (the entry just
    /// written); and temporary files older than [`TEMP_STALE_SECS`]. Files whose names this
    /// cache does not write, and files that cannot be read or removed, are left as they are.
    fn prune(&self, now: SystemTime, keep: &Path) {
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return;
        };
        // Seconds since a file was last written; 0 when that cannot be told (no time, or one
        // ahead of `now`): nothing is removed that is not shown to be old.
        let age = |meta: &fs::Metadata| {
            meta.modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .map_or(0, |d| d.as_secs())
        };
        // Not removed (another process removed it first, or the folder turned read-only) is
        // only pruned later.
        let remove = |path: &Path| {
            let _ = fs::remove_file(path);
        };
        // (time of last use, bytes, path) of each entry kept so far.
        let mut entries = Vec::new();
        for item in listing.flatten() {
            let path = item.path();
            let name = item.file_name();
            let Some(name) = name.to_str() else { continue };
            let Ok(meta) = item.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            if name.starts_with(TEMP_PREFIX) {
                if age(&meta) > TEMP_STALE_SECS {
                    remove(&path);
                }
            } else if is_entry_name(name) {
                if path == keep {
                    continue;
                }
                if age(&meta) > ENTRY_UNUSED_SECS {
                    remove(&path);
                } else {
                    entries.push((meta.modified().ok(), meta.len(), path));
                }
            }
        }
        let kept = fs::metadata(keep).map_or(0, |m| m.len());
        let mut total = entries
            .iter()
            .fold(kept, |sum, (_, bytes, _)| sum.saturating_add(*bytes));
        // Oldest first (an unknown time first: it cannot be shown to be recent).
        entries.sort();
        for (_, bytes, path) in entries {
            if total <= self.bytes_max {
                break;
            }
            remove(&path);
            total = total.saturating_sub(bytes);
        }
    }
}

/// Whether `name` is an entry's file name: two runs of 64 lowercase hex digits (the module's
/// SHA-256 and the engine settings'), a hyphen between them, and [`ENTRY_SUFFIX`].
fn is_entry_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(ENTRY_SUFFIX) else {
        return false;
    };
    let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    stem.split_once('-')
        .is_some_and(|(module, settings)| hex(module) && hex(settings))
}

/// Marks the entry at `path` as used at `now`, if its time of last use is older than
/// [`ENTRY_TOUCH_SECS`]. Not marked (a read-only folder) only makes it look older to pruning.
fn touch(path: &Path, now: SystemTime) {
    let stale = fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|m| now.duration_since(m).ok())
        .is_none_or(|d| d.as_secs() > ENTRY_TOUCH_SECS);
    if stale && let Ok(file) = fs::OpenOptions::new().write(true).open(path) {
        let _ = file.set_modified(now);
    }
}

/// The module of the entry at `path`, or `None` when there is no whole entry there, private to
/// `owner`, that this engine accepts.
fn read(engine: &Engine, path: &Path, owner: Option<u32>) -> Option<Module> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || !is_private(&meta, owner) || meta.len() > ENTRY_BYTES_MAX {
        return None;
    }
    let entry = fs::read(path).ok()?;
    let (artifact, digest) = entry.split_at_checked(entry.len().checked_sub(DIGEST_BYTES)?)?;
    if Sha256::digest(artifact).as_slice() != digest {
        return None;
    }
    // SAFETY: `artifact` is, byte for byte (its SHA-256 checked above), what
    // `Module::serialize` wrote into this private cache (`write`): a folder and an entry that
    // this user owns and only this user may write (checked in `ModuleCache::open` and above). wasmtime refuses,
    // safely, an artifact of another version or of an engine configured otherwise.
    #[allow(unsafe_code)]
    let module = unsafe { Module::deserialize(engine, artifact) };
    module.ok()
}

/// Writes the entry of `artifact` at `path` in the folder `dir`: to a temporary file there
/// (mode 0600), then renamed into place.
fn write(dir: &Path, path: &Path, artifact: &[u8]) -> std::io::Result<()> {
    let mut temp = tempfile_in(dir)?;
    let result = (|| {
        temp.file.write_all(artifact)?;
        temp.file.write_all(&Sha256::digest(artifact))?;
        temp.file.sync_all()?;
        fs::rename(&temp.path, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp.path);
    }
    result
}

struct Temp {
    file: fs::File,
    path: PathBuf,
}

/// A new file in `dir` that no other process opened (`create_new`), mode 0600.
fn tempfile_in(dir: &Path) -> std::io::Result<Temp> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut attempt = 0;
    loop {
        let path = dir.join(format!(
            "{TEMP_PREFIX}{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(file) => return Ok(Temp { file, path }),
            // A name left by a process with the same id that died: try the next.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The user who owns `file` (`None` where files have no owning user id).
fn owner_of(file: &fs::File) -> std::io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        file.metadata().map(|m| Some(m.uid()))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(None)
    }
}

/// Whether the file or folder belongs to `owner` and neither group nor others may write it.
fn is_private(meta: &fs::Metadata, owner: Option<u32>) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        meta.permissions().mode() & 0o022 == 0 && owner.is_none_or(|o| meta.uid() == o)
    }
    #[cfg(not(unix))]
    {
        let _ = (meta, owner);
        true
    }
}

/// A [`Hasher`] that feeds SHA-256: a stable name for the engine's settings (the standard
/// library's hashers are not promised to be stable between releases).
struct DigestHasher(Sha256);

impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        // Never asked: the digest is taken from the inner SHA-256.
        0
    }
}
