//! The ledger file: SQLite's identification of it (application id, format version), its
//! tables, and opening or creating it. See `docs/STORAGE.md`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode as SqlCode, OpenFlags, OptionalExtension, params};

use crate::error::{Error, ErrorKind, Result};
use crate::model::PublicKey;
use crate::store::nodes::NodeLayout;

/// `PRAGMA application_id` of a custodia ledger: ASCII `CUST`.
pub(crate) const LEDGER_APPLICATION_ID: i64 = 0x4355_5354;
/// Version of the file layout (`PRAGMA user_version` and `meta.version`) of new files. Version 1
/// kept the log key's seed in the file and fewer derived tables; `custodia migrate` upgrades it.
/// Version 2 keyed the Merkle nodes by level and index; it is still opened, read and appended
/// to as it is (docs/STORAGE.md, "Format 2"). Version 3 keys them by their position in
/// post-order.
pub const STORE_FORMAT_VERSION: i64 = 3;
/// The format version whose `nodes` table is keyed by `(level, idx)`, still read and written.
pub(crate) const STORE_FORMAT_VERSION_BY_LEVEL: i64 = 2;
/// The first format version, which `migrate` upgrades.
pub(crate) const STORE_FORMAT_VERSION_LEGACY: i64 = 1;
/// How long a writer waits for another writer before giving up with [`ErrorKind::Busy`].
pub(crate) const BUSY_TIMEOUT_MS: u64 = 10_000;

/// Prepared statements each connection keeps (rusqlite's default is 16). An append runs about
/// 30 distinct statements (the log's, and per derived table a select, an insert and a delete),
/// plus an `UPDATE` per set of columns a derived row changes in (a few per table); with 16 they
/// pushed each other out and each append prepared most of them again (14 % of a single
/// append's time in SQLite's parser). Each kept statement is a few KiB.
const STATEMENT_CACHE_CAPACITY: usize = 128;
/// Longest origin line of the log (C2SP tlog-checkpoint), bytes.
pub const ORIGIN_BYTES_MAX: usize = 256;

/// The log tables of a format-3 ledger: `events`, `nodes`, `tree_heads` and `meta`, and
/// `touches`, the index of which events touched which stock (written with each event, never
/// rewritten).
pub(crate) const LOG_SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID;
CREATE TABLE events (seq INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, kind TEXT NOT NULL,
                     at TEXT NOT NULL, actor TEXT NOT NULL, json BLOB NOT NULL);
CREATE TABLE nodes (pos INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE tree_heads (size INTEGER PRIMARY KEY, root BLOB NOT NULL, sig BLOB NOT NULL);
CREATE TABLE touches (kind TEXT NOT NULL, stock TEXT NOT NULL, seq INTEGER NOT NULL,
                      PRIMARY KEY (kind, stock, seq)) WITHOUT ROWID;
";

/// Version of the derived tables' layout (`meta.derived_version`; absent means 1). The derived
/// tables are a cache of the state, re-derived from the events by `verify`; a file whose
/// derived tables are older is rebuilt from its events when opened writable (in one
/// transaction), and given current tables in memory (SQLite `TEMP` tables, which shadow the
/// file's) when opened read-only. Version 1 kept one `status` per item and lot; version 2 keeps
/// `condition` and `disposition`; version 3 adds `item_marks`, the serial numbers of marks applied
/// after registration, for tracing lookups.
pub(crate) const DERIVED_VERSION: i64 = 4;

/// The derived tables: everything not in [`LOG_SCHEMA`], re-derived by `verify`. Each statement
/// starts a line with `CREATE TABLE ` or `CREATE INDEX ` (the read-only rebuild makes them
/// `TEMP`).
pub(crate) const DERIVED_SCHEMA: &str = "
CREATE TABLE balances (kind TEXT NOT NULL, stock TEXT NOT NULL, account TEXT NOT NULL,
                       site TEXT, custodian TEXT, units INTEGER NOT NULL,
                       PRIMARY KEY (kind, stock, account)) WITHOUT ROWID;
CREATE INDEX balances_by_site ON balances (site, custodian);
CREATE TABLE items (id TEXT PRIMARY KEY, category TEXT NOT NULL, type TEXT NOT NULL,
                    marking TEXT NOT NULL, manufacturer_norm TEXT, serial_norm TEXT, neq_mg INTEGER,
                    division TEXT, grp TEXT,
                    origin TEXT NOT NULL, origin_reference TEXT, registered_at TEXT NOT NULL,
                    condition TEXT NOT NULL, disposition TEXT NOT NULL, location TEXT NOT NULL,
                    site TEXT, custodian TEXT,
                    last_event BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX items_by_marking ON items (serial_norm, manufacturer_norm);
CREATE TABLE lots (id TEXT PRIMARY KEY, nomenclature TEXT NOT NULL, lot_number TEXT NOT NULL,
                   unit TEXT NOT NULL, division TEXT, grp TEXT, neq_grams_per_unit INTEGER NOT NULL,
                   neq_mg_per_unit INTEGER NOT NULL,
                   quantity INTEGER NOT NULL, origin TEXT NOT NULL, origin_reference TEXT,
                   registered_at TEXT NOT NULL, condition TEXT NOT NULL, disposition TEXT NOT NULL,
                   last_event BLOB NOT NULL)
                   WITHOUT ROWID;
CREATE TABLE lot_sources (lot TEXT NOT NULL, source TEXT NOT NULL, units INTEGER NOT NULL,
                          PRIMARY KEY (lot, source)) WITHOUT ROWID;
CREATE INDEX lot_sources_by_source ON lot_sources (source);
CREATE TABLE sites (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, parent TEXT,
                    country TEXT, licensed_neq_grams INTEGER) WITHOUT ROWID;
CREATE TABLE actors (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, member_of TEXT,
                     roles TEXT NOT NULL, keys TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE rules_in_force (position INTEGER PRIMARY KEY, name TEXT NOT NULL,
                             version TEXT NOT NULL, identity TEXT NOT NULL);
CREATE TABLE item_marks (item TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL,
                         manufacturer_norm TEXT, serial_norm TEXT NOT NULL,
                         PRIMARY KEY (item, position)) WITHOUT ROWID;
CREATE INDEX item_marks_by_marking ON item_marks (serial_norm, manufacturer_norm);
";

/// Maps a SQLite failure to the front door's error.
pub(crate) fn sql_error(path: &str, operation: &str, e: rusqlite::Error) -> Error {
    let kind = match e.sqlite_error_code() {
        Some(SqlCode::DatabaseBusy | SqlCode::DatabaseLocked) => ErrorKind::Busy {
            path: path.to_owned(),
        },
        Some(SqlCode::NotADatabase) => ErrorKind::NotALedger {
            path: path.to_owned(),
            reason: "it is not an SQLite database".into(),
        },
        Some(SqlCode::DatabaseCorrupt) => ErrorKind::Damaged {
            what: format!("sqlite reports the file as malformed while {operation}"),
        },
        Some(SqlCode::ReadOnly) => ErrorKind::ReadOnly {
            reason: format!("the file cannot be written ({operation})"),
        },
        _ => ErrorKind::Sqlite {
            operation: operation.to_owned(),
            reason: e.to_string(),
        },
    };
    Error::new(kind)
}

/// An open ledger file: the connection and what its `meta` table says.
pub(crate) struct Db {
    pub(crate) conn: Connection,
    pub(crate) path: String,
    pub(crate) log_key: PublicKey,
    pub(crate) origin: String,
    pub(crate) read_only: bool,
    /// The layout of the derived tables this connection sees ([`DERIVED_VERSION`] once rebuilt).
    pub(crate) derived_version: i64,
    /// How the file keys its Merkle nodes (by its format version).
    pub(crate) nodes: NodeLayout,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

impl Db {
    /// A closure mapping SQLite errors for `operation`.
    pub(crate) fn err<'a>(&'a self, operation: &'a str) -> impl Fn(rusqlite::Error) -> Error + 'a {
        move |e| sql_error(&self.path, operation, e)
    }

    /// Creates a ledger file (or an in-memory database when `path` is `None`) whose tree heads
    /// `log_key` verifies and whose checkpoints name `origin`.
    pub(crate) fn create(path: Option<&Path>, log_key: PublicKey, origin: &str) -> Result<Db> {
        check_origin(origin)?;
        let (conn, shown) = match path {
            Some(path) => {
                let shown = path.display().to_string();
                // `symlink_metadata` does not follow links: a dangling link is refused too.
                if path.symlink_metadata().is_ok() {
                    return Err(ErrorKind::FileExists { path: shown }.into());
                }
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_NOFOLLOW;
                let conn = Connection::open_with_flags(path, flags)
                    .map_err(|e| sql_error(&shown, "creating the ledger", e))?;
                (conn, shown)
            }
            None => {
                let shown = ":memory:".to_owned();
                let conn = Connection::open_in_memory()
                    .map_err(|e| sql_error(&shown, "creating the ledger", e))?;
                (conn, shown)
            }
        };
        let e = |op: &'static str| {
            let shown = shown.clone();
            move |err| sql_error(&shown, op, err)
        };
        if path.is_some() {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(e("switching to WAL mode"))?;
        }
        conn.execute_batch(&format!(
            "BEGIN;
             PRAGMA application_id = {LEDGER_APPLICATION_ID};
             PRAGMA user_version = {STORE_FORMAT_VERSION};
             {LOG_SCHEMA}
             {DERIVED_SCHEMA}"
        ))
        .map_err(e("creating the schema"))?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('format', 'custodia-ledger'), ('version', ?1),
             ('log_key', ?2), ('origin', ?3), ('derived_version', ?4)",
            params![
                STORE_FORMAT_VERSION,
                log_key.to_hex(),
                origin,
                DERIVED_VERSION
            ],
        )
        .map_err(e("writing the meta table"))?;
        conn.execute_batch("COMMIT")
            .map_err(e("committing the new ledger"))?;
        Db::check(conn, shown, false)
    }

    /// Opens an existing ledger file. `read_only` opens SQLite read-only: nothing, not even a
    /// checkpoint of the write-ahead log, is ever written.
    pub(crate) fn open(path: &Path, read_only: bool) -> Result<Db> {
        let shown = path.display().to_string();
        let meta = path.metadata().map_err(|_| ErrorKind::FileNotFound {
            path: shown.clone(),
        })?;
        if !meta.is_file() {
            return Err(ErrorKind::NotALedger {
                path: shown,
                reason: "it is not a regular file".into(),
            }
            .into());
        }
        check_file_shape(path)?;
        let access = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let conn = Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| sql_error(&shown, "opening the ledger", e))?;
        Db::check(conn, shown, read_only)
    }

    fn check(conn: Connection, path: String, read_only: bool) -> Result<Db> {
        let e = |op: &'static str| {
            let path = path.clone();
            move |err| sql_error(&path, op, err)
        };
        conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(e("setting the busy timeout"))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(e("reading the application id"))?;
        if app != LEDGER_APPLICATION_ID {
            return Err(ErrorKind::NotALedger {
                path,
                reason: format!(
                    "its SQLite application id is {app:#x}, not {LEDGER_APPLICATION_ID:#x}"
                ),
            }
            .into());
        }
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(e("reading the format version"))?;
        let nodes = match version {
            STORE_FORMAT_VERSION => NodeLayout::PostOrder,
            STORE_FORMAT_VERSION_BY_LEVEL => NodeLayout::ByLevel,
            _ => {
                return Err(ErrorKind::FormatVersion {
                    path,
                    found: version,
                    supported: STORE_FORMAT_VERSION,
                }
                .into());
            }
        };
        if !read_only {
            // FULL: a committed batch survives a crash of the machine, not just of the process.
            conn.pragma_update(None, "synchronous", "FULL")
                .map_err(e("setting synchronous mode"))?;
        }
        let meta = |key: &str| -> Result<Option<String>> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(|err| sql_error(&path, "reading the meta table", err))
        };
        let log_key = meta("log_key")?
            .and_then(|k| k.parse::<PublicKey>().ok())
            .ok_or_else(|| ErrorKind::NotALedger {
                path: path.clone(),
                reason: "its `meta` table has no valid `log_key`".into(),
            })?;
        let origin = meta("origin")?.ok_or_else(|| ErrorKind::NotALedger {
            path: path.clone(),
            reason: "its `meta` table has no `origin`".into(),
        })?;
        let derived_version = derived_version(&conn).map_err(e("reading the meta table"))?;
        Ok(Db {
            conn,
            path,
            log_key,
            origin,
            read_only,
            derived_version,
            nodes,
        })
    }
}

/// `meta.derived_version`, 1 when absent (files written before it existed).
pub(crate) fn derived_version(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'derived_version'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .unwrap_or(1))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

/// Refuses a file that SQLite would read wrongly or silently: one truncated or padded (its size
/// not a whole number of pages, or smaller than its header says), and a write-ahead log beside
/// it that cannot belong to it (another page size, not a WAL). SQLite itself does not notice a
/// file truncated at a page boundary past its last used page until a query reaches it.
fn check_file_shape(path: &Path) -> Result<()> {
    use std::io::Read as _;
    let shown = path.display().to_string();
    let damaged = |what: String| Error::new(ErrorKind::Damaged { what });
    let io = |e: std::io::Error| {
        Error::new(ErrorKind::Io {
            operation: "read".into(),
            path: shown.clone(),
            reason: e.to_string(),
        })
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut header = [0u8; 100];
    let read = file.read(&mut header).map_err(io)?;
    if read < 100 || !header.starts_with(b"SQLite format 3\0") {
        // Not SQLite: SQLite's own open reports it as not a ledger.
        return Ok(());
    }
    let page = match header.get(16..18).and_then(|b| <[u8; 2]>::try_from(b).ok()) {
        Some(b) if u16::from_be_bytes(b) == 1 => 65_536u64,
        Some(b) => u64::from(u16::from_be_bytes(b)),
        None => return Ok(()),
    };
    if page < 512 || !page.is_power_of_two() {
        return Err(damaged(format!(
            "`{shown}` has an invalid page size {page}"
        )));
    }
    if len % page != 0 {
        return Err(damaged(format!(
            "`{shown}` is {len} bytes, not a whole number of {page}-byte pages: it was truncated or padded"
        )));
    }
    if let (Some(changes), Some(pages), Some(valid_for)) = (
        be_u32(&header, 24),
        be_u32(&header, 28),
        be_u32(&header, 92),
    ) && changes == valid_for
        && u64::from(pages) * page > len
    {
        return Err(damaged(format!(
            "`{shown}` is {len} bytes but its header counts {pages} pages of {page} bytes: it was truncated"
        )));
    }
    let mut wal_path = path.as_os_str().to_owned();
    wal_path.push("-wal");
    if let Ok(mut wal) = std::fs::File::open(std::path::PathBuf::from(wal_path)) {
        let mut wal_header = [0u8; 32];
        let n = wal.read(&mut wal_header).map_err(io)?;
        if n > 0 {
            let magic_ok = matches!(be_u32(&wal_header, 0), Some(0x377f_0682 | 0x377f_0683));
            let page_ok = be_u32(&wal_header, 8).map(u64::from) == Some(page);
            if n < 32 || !magic_ok || !page_ok {
                return Err(damaged(format!(
                    "the write-ahead log beside `{shown}` does not belong to it (not a WAL, or another page size); move it away to open the ledger"
                )));
            }
        }
    }
    Ok(())
}

/// The format version of a ledger file, read without opening it as a ledger (for `migrate`).
pub(crate) fn file_format_version(path: &Path) -> Result<i64> {
    let shown = path.display().to_string();
    if !path.is_file() {
        return Err(ErrorKind::FileNotFound { path: shown }.into());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sql_error(&shown, "opening the ledger", e))?;
    let app: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| sql_error(&shown, "reading the application id", e))?;
    if app != LEDGER_APPLICATION_ID {
        return Err(ErrorKind::NotALedger {
            path: shown,
            reason: format!(
                "its SQLite application id is {app:#x}, not {LEDGER_APPLICATION_ID:#x}"
            ),
        }
        .into());
    }
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| sql_error(&shown, "reading the format version", e))
}

/// An origin is one line of printable text (C2SP tlog-checkpoint) that is also a valid signed-note
/// key name: no spaces, no `+`, no control characters, at most [`ORIGIN_BYTES_MAX`] bytes.
pub(crate) fn check_origin(origin: &str) -> Result<()> {
    let ok = !origin.is_empty()
        && origin.len() <= ORIGIN_BYTES_MAX
        && !origin
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+');
    if ok {
        Ok(())
    } else {
        Err(ErrorKind::InvalidArgument {
            argument: "origin".into(),
            value: origin.to_owned(),
            reason: format!(
                "an origin is 1 to {ORIGIN_BYTES_MAX} bytes of printable text without spaces or `+` (it names the log key in signed notes), e.g. `mindef.example/custodia/armoury-1`"
            ),
        }
        .into())
    }
}

/// What a format-1 file holds that a migration needs: its events (as stored bytes, in
/// order), the log key's seed it kept in `meta`, and its latest tree head's size and root.
pub(crate) struct LegacyLedger {
    pub(crate) seed: [u8; 32],
    pub(crate) log_key: PublicKey,
    pub(crate) events: Vec<Vec<u8>>,
    pub(crate) head: Option<(u64, [u8; 32])>,
}

/// Reads a format-1 ledger file (read-only).
pub(crate) fn read_legacy(path: &Path) -> Result<LegacyLedger> {
    let shown = path.display().to_string();
    let version = file_format_version(path)?;
    if version != STORE_FORMAT_VERSION_LEGACY {
        return Err(ErrorKind::FormatVersion {
            path: shown,
            found: version,
            supported: STORE_FORMAT_VERSION_LEGACY,
        }
        .into());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sql_error(&shown, "opening the ledger", e))?;
    let e = |op: &'static str| {
        let shown = shown.clone();
        move |err| sql_error(&shown, op, err)
    };
    let seed: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'ledger_seed'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(e("reading the meta table"))?;
    let key: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'ledger_key'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(e("reading the meta table"))?;
    let damaged = |what: &str| {
        Error::new(ErrorKind::Damaged {
            what: format!("format-1 ledger `{shown}`: {what}"),
        })
    };
    let seed: [u8; 32] = seed
        .as_deref()
        .and_then(|s| <[u8; 32]>::try_from(s).ok())
        .ok_or_else(|| damaged("its `meta` table holds no 32-byte `ledger_seed`"))?;
    let log_key: PublicKey = key
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| damaged("its `meta` table holds no valid `ledger_key`"))?;
    let mut stmt = conn
        .prepare("SELECT seq, json FROM events ORDER BY seq")
        .map_err(e("reading events"))?;
    let rows: Vec<(i64, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .map_err(e("reading events"))?;
    let mut events = Vec::with_capacity(rows.len());
    for (i, (seq, json)) in rows.into_iter().enumerate() {
        if usize::try_from(seq).ok() != Some(i) {
            return Err(damaged(&format!("event {i} is missing")));
        }
        events.push(json);
    }
    let head: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT size, root FROM tree_heads ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(e("reading tree heads"))?;
    let head = match head {
        None => None,
        Some((size, root)) => Some((
            u64::try_from(size).map_err(|_| damaged("a tree head has a negative size"))?,
            <[u8; 32]>::try_from(root.as_slice())
                .map_err(|_| damaged("a tree head's root is not 32 bytes"))?,
        )),
    };
    Ok(LegacyLedger {
        seed,
        log_key,
        events,
        head,
    })
}
