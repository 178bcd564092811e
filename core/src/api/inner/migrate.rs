//! Upgrading a ledger file of format version 1.

use super::*;

/// Events per transaction while migrating.
const MIGRATE_BATCH_EVENTS: usize = 4096;

pub(crate) fn migrate(
    path: &Path,
    origin: Option<&str>,
    key_file: Option<&Path>,
) -> Result<crate::api::Migration> {
    let version = crate::store::file_format_version(path)?;
    // Format 2 differs from 3 only in how the Merkle nodes are keyed, and is opened and
    // appended to as it is.
    if version == crate::store::STORE_FORMAT_VERSION
        || version == crate::store::STORE_FORMAT_VERSION_BY_LEVEL
    {
        return Err(ErrorKind::InvalidArgument {
            argument: "ledger".into(),
            value: path.display().to_string(),
            reason: format!(
                "it is of format version {version}, which this build opens as it is: nothing to migrate"
            ),
        }
        .into());
    }
    let legacy = crate::store::read_legacy(path)?;
    let signer = Signer::from_seed(legacy.seed);
    if signer.public_key() != legacy.log_key {
        return Err(ErrorKind::Damaged {
            what: "the format-1 file's `ledger_seed` does not belong to its `ledger_key`".into(),
        }
        .into());
    }
    let shown = path.display().to_string();
    let with_suffix = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let backup = with_suffix(".v1");
    let fresh = with_suffix(".migrating");
    for p in [&backup, &fresh] {
        if p.symlink_metadata().is_ok() {
            return Err(ErrorKind::FileExists {
                path: p.display().to_string(),
            }
            .into());
        }
    }
    let key = signer.public_key();
    let origin = origin.map_or_else(|| default_origin(&key), str::to_owned);
    let result = (|| -> Result<crate::model::Digest> {
        let mut store = Store::create(Some(&fresh), key, &origin)?;
        crate::store::write_empty_head(&store.db, &signer)?;
        // The events were judged by the rules in force when they were first appended; the
        // migration carries those verdicts over, as a reopen does (`verify` re-runs plugins).
        let recorded: &dyn RuleEngine = &crate::ledger::RecordedVerdicts;
        let mut done = 0u64;
        for chunk in legacy.events.chunks(MIGRATE_BATCH_EVENTS) {
            let decoded = crate::store::parallel_map(chunk, |j| SignedEvent::from_json(j));
            let mut events = Vec::with_capacity(decoded.len());
            for (i, d) in decoded.into_iter().enumerate() {
                events.push(d.map_err(|e| e.at_index(done + i as u64))?);
            }
            store
                .append(&events, Some(recorded), &signer, None)
                .map_err(|e| {
                    let index = e.index().map(|i| i + done);
                    e.with_index(index)
                })?;
            done += events.len() as u64;
        }
        let (size, root, _) = crate::store::log::latest_head(&store.db)?;
        if let Some((old_size, old_root)) = legacy.head
            && old_size == size
            && old_root != root
        {
            return Err(ErrorKind::RootMismatch {
                size,
                stored: hex::encode(old_root),
                computed: hex::encode(root),
            }
            .into());
        }
        Ok(Digest::from_bytes(root))
    })();
    let root = match result {
        Ok(root) => root,
        Err(e) => {
            let _ = std::fs::remove_file(&fresh);
            let _ = std::fs::remove_file(with_suffix(".migrating-wal"));
            let _ = std::fs::remove_file(with_suffix(".migrating-shm"));
            return Err(e);
        }
    };
    let io = |operation: &str, e: std::io::Error| {
        Error::new(ErrorKind::Io {
            operation: operation.into(),
            path: shown.clone(),
            reason: e.to_string(),
        })
    };
    if let Some(key_file) = key_file
        && let Err(e) = signer.write_key_file(key_file, None)
    {
        let _ = std::fs::remove_file(&fresh);
        let _ = std::fs::remove_file(with_suffix(".migrating-wal"));
        let _ = std::fs::remove_file(with_suffix(".migrating-shm"));
        return Err(e);
    }
    std::fs::rename(path, &backup).map_err(|e| io("keep the format-1 file beside", e))?;
    std::fs::rename(&fresh, path).map_err(|e| io("move the migrated ledger to", e))?;
    Ok(crate::api::Migration {
        events: legacy.events.len() as u64,
        log_key: signer,
        backup,
        root,
    })
}
