//! Reading a ledger file without replaying it: events in order, tree heads, proofs, and the
//! queries the derived tables answer (balances, stock on hand, trace, find by marking,
//! lineage, counts).

use rusqlite::{OptionalExtension, params};

use crate::error::Error as DecodeError;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::SignedEvent;
use crate::merkle::{self, Hash};
use crate::model::RuleRef;
use crate::model::normalise_marking;
use crate::model::{ActorId, EventId, Marking, SiteId, Timestamp};
use crate::rows::{
    Balance, BalanceFilter, EventRecord, ItemRecord, LineageEntry, MarkingQuery, StockFilter,
    StockKind, StockLine, TraceEntry,
};
use crate::store::{Db, SqlNodes};

/// A stored tree head: (size, root, signature).
pub(crate) type HeadRow = (u64, Hash, [u8; 64]);

pub(crate) fn to_u64(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| {
        Error::new(ErrorKind::Damaged {
            what: format!("{what} {v} is negative"),
        })
    })
}

/// A position as an SQL bound. Positions beyond `i64::MAX` do not exist, so clamping keeps the
/// meaning of a range such as `from..u64::MAX` ("to the end").
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Events stored.
pub(crate) fn len(db: &Db) -> Result<u64> {
    let last: Option<i64> = db
        .conn
        .prepare_cached("SELECT seq FROM events ORDER BY seq DESC LIMIT 1")
        .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
        .map_err(db.err("counting events"))?;
    match last {
        None => Ok(0),
        Some(s) => Ok(to_u64(s, "event position")? + 1),
    }
}

/// The position of an event.
pub(crate) fn index_of(db: &Db, id: &EventId) -> Result<Option<u64>> {
    let seq: Option<i64> = db
        .conn
        .prepare_cached("SELECT seq FROM events WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([id.as_bytes().as_slice()], |r| r.get(0))
                .optional()
        })
        .map_err(db.err("looking up an event"))?;
    seq.map(|s| to_u64(s, "event position")).transpose()
}

/// Which of `ids` are stored, in one query per `STORED_IDS_PER_QUERY_MAX` ids (instead of one
/// lookup per event of a batch).
pub(crate) fn stored_ids(db: &Db, ids: &[EventId]) -> Result<std::collections::HashSet<EventId>> {
    // Ids per `IN (...)` list: well under SQLite's limit on bound parameters (32766).
    const STORED_IDS_PER_QUERY_MAX: usize = 500;
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(STORED_IDS_PER_QUERY_MAX) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!("SELECT id FROM events WHERE id IN ({marks})");
        let mut stmt = db
            .conn
            .prepare_cached(&sql)
            .map_err(db.err("looking up events"))?;
        let params = rusqlite::params_from_iter(chunk.iter().map(|id| id.as_bytes().to_vec()));
        let mut rows = stmt.query(params).map_err(db.err("looking up events"))?;
        while let Some(row) = rows.next().map_err(db.err("looking up events"))? {
            let bytes: Vec<u8> = row.get(0).map_err(db.err("looking up events"))?;
            let id = <[u8; 32]>::try_from(bytes.as_slice())
                .map(EventId::from_bytes)
                .map_err(|_| damaged_row("events", "id"))?;
            out.insert(id);
        }
    }
    Ok(out)
}

/// A visitor of stored rows: `(seq, id column, json)`; `Ok(false)` stops.
pub(crate) type RowVisitor<'f> = dyn FnMut(u64, &[u8], &[u8]) -> Result<bool> + 'f;

/// Streams stored rows `from..to` in append order: `f(seq, id column, json)`; stops when `f`
/// returns `Ok(false)`.
pub(crate) fn for_each_row(db: &Db, from: u64, to: u64, f: &mut RowVisitor<'_>) -> Result<()> {
    let e = db.err("reading events");
    let mut stmt = db.conn.prepare_cached(EVENTS_IN_RANGE).map_err(&e)?;
    let mut rows = stmt.query(params![to_i64(from), to_i64(to)]).map_err(&e)?;
    while let Some(row) = rows.next().map_err(&e)? {
        let (seq, id, json) = row_bytes(db, row)?;
        if !f(seq, id, json)? {
            break;
        }
    }
    Ok(())
}

/// The stored events at positions `?1..?2`, in order: `seq`, `id`, `json` (see [`row_bytes`]).
pub(crate) const EVENTS_IN_RANGE: &str =
    "SELECT seq, id, json FROM events WHERE seq >= ?1 AND seq < ?2 ORDER BY seq";

/// A row of [`EVENTS_IN_RANGE`]: its position, id column and JSON bytes.
pub(crate) fn row_bytes<'r>(
    db: &Db,
    row: &'r rusqlite::Row<'_>,
) -> Result<(u64, &'r [u8], &'r [u8])> {
    let e = db.err("reading events");
    let seq = to_u64(row.get(0).map_err(&e)?, "event position")?;
    let id = row.get_ref(1).map_err(&e)?;
    let json = row.get_ref(2).map_err(&e)?;
    let (Ok(id), Some(json)) = (
        id.as_blob(),
        json.as_blob()
            .ok()
            .or_else(|| json.as_str().ok().map(str::as_bytes)),
    ) else {
        return Err(ErrorKind::Damaged {
            what: format!("event {seq} is not stored as bytes"),
        }
        .into());
    };
    Ok((seq, id, json))
}

/// One piece of a pipeline (`store::pipeline`), on this thread: each canonical line decoded,
/// and with `signatures`, whether every signature of the event checks (in one batch of the
/// piece's signatures, `sigcheck`: the verdict of single checks; `false` for an event that did
/// not decode, and for those after a bad signature, which the replay checks again one by one).
pub(crate) fn decode_piece<'a>(
    lines: impl Iterator<Item = &'a [u8]>,
    signatures: bool,
) -> Vec<(Result<SignedEvent, DecodeError>, bool)> {
    let decoded: Vec<_> = lines.map(SignedEvent::from_canonical_json).collect();
    let mut valid = if signatures {
        let events: Vec<&SignedEvent> = decoded.iter().filter_map(|d| d.as_ref().ok()).collect();
        crate::sigcheck::events_valid_here(&events)
    } else {
        Vec::new()
    }
    .into_iter();
    decoded
        .into_iter()
        .map(|d| {
            let ok = d.is_ok() && valid.next().unwrap_or(false);
            (d, ok)
        })
        .collect()
}

fn record(db: &Db, row: &rusqlite::Row<'_>) -> Result<EventRecord> {
    let e = db.err("reading events");
    let seq: i64 = row.get(0).map_err(&e)?;
    let id: Vec<u8> = row.get(1).map_err(&e)?;
    let kind: String = row.get(2).map_err(&e)?;
    let at: String = row.get(3).map_err(&e)?;
    let actor: String = row.get(4).map_err(&e)?;
    let json: Vec<u8> = row.get(5).map_err(&e)?;
    let index = to_u64(seq, "event position")?;
    let damaged = |what: &str| {
        Error::new(ErrorKind::Damaged {
            what: format!("event {index}: the stored {what} is malformed (run `verify`)"),
        })
    };
    Ok(EventRecord {
        index,
        id: <[u8; 32]>::try_from(id.as_slice())
            .map(EventId::from_bytes)
            .map_err(|_| damaged("id"))?,
        kind,
        at: Timestamp::parse(&at).map_err(|_| damaged("time"))?,
        actor: ActorId::new(actor).map_err(|_| damaged("actor"))?,
        json: String::from_utf8(json).map_err(|_| damaged("event"))?,
    })
}

/// Stored events `start..end` as records.
pub(crate) fn events(
    db: &Db,
    start: u64,
    end: u64,
    f: &mut dyn FnMut(EventRecord) -> Result<bool>,
) -> Result<()> {
    let e = db.err("reading events");
    let mut stmt = db
        .conn
        .prepare_cached(
            "SELECT seq, id, kind, at, actor, json FROM events WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
        )
        .map_err(&e)?;
    let mut rows = stmt
        .query(params![to_i64(start), to_i64(end)])
        .map_err(&e)?;
    while let Some(row) = rows.next().map_err(&e)? {
        if !f(record(db, row)?)? {
            break;
        }
    }
    Ok(())
}

/// The stored event with this id.
pub(crate) fn event_by_id(db: &Db, id: &EventId) -> Result<Option<EventRecord>> {
    let e = db.err("reading an event");
    let mut stmt = db
        .conn
        .prepare_cached("SELECT seq, id, kind, at, actor, json FROM events WHERE id = ?1")
        .map_err(&e)?;
    let mut rows = stmt.query([id.as_bytes().as_slice()]).map_err(&e)?;
    match rows.next().map_err(&e)? {
        Some(row) => Ok(Some(record(db, row)?)),
        None => Ok(None),
    }
}

fn head_from(db: &Db, size: i64, root: Vec<u8>, sig: Vec<u8>) -> Result<HeadRow> {
    let size = to_u64(size, "tree head size")?;
    let damaged = || {
        Error::new(ErrorKind::Damaged {
            what: format!("tree head of size {size} is malformed"),
        })
    };
    let _ = db;
    Ok((
        size,
        <[u8; 32]>::try_from(root.as_slice()).map_err(|_| damaged())?,
        <[u8; 64]>::try_from(sig.as_slice()).map_err(|_| damaged())?,
    ))
}

/// The latest stored tree head.
pub(crate) fn latest_head(db: &Db) -> Result<HeadRow> {
    let row: Option<(i64, Vec<u8>, Vec<u8>)> = db
        .conn
        .prepare_cached("SELECT size, root, sig FROM tree_heads ORDER BY size DESC LIMIT 1")
        .and_then(|mut s| {
            s.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(db.err("reading the tree head"))?;
    let (size, root, sig) = row.ok_or_else(|| {
        Error::new(ErrorKind::Damaged {
            what: "no tree head is stored".into(),
        })
    })?;
    head_from(db, size, root, sig)
}

/// The stored tree head of exactly `size` events, if one was signed.
pub(crate) fn head_at(db: &Db, size: u64) -> Result<Option<HeadRow>> {
    let row: Option<(i64, Vec<u8>, Vec<u8>)> = db
        .conn
        .prepare_cached("SELECT size, root, sig FROM tree_heads WHERE size = ?1")
        .and_then(|mut s| {
            s.query_row([to_i64(size)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(db.err("reading a tree head"))?;
    row.map(|(size, root, sig)| head_from(db, size, root, sig))
        .transpose()
}

/// The nodes of the log of `len` leaves, with the proof cache.
pub(crate) fn nodes<'c>(db: &'c Db, cache: &'c super::NodeCache, len: u64) -> SqlNodes<'c> {
    SqlNodes {
        conn: &db.conn,
        layout: db.nodes,
        size: len,
        cache: Some(cache),
    }
}

/// Maps a proof failure to the front door's error.
pub(crate) fn proof_error(e: merkle::ProofError) -> Error {
    Error::new(match e {
        merkle::ProofError::LeafOutOfRange { index, size } => {
            ErrorKind::LeafOutOfRange { index, size }
        }
        merkle::ProofError::SizeOutOfRange { size, len } => ErrorKind::SizeOutOfRange { size, len },
        merkle::ProofError::BadRange { first, second } => ErrorKind::BadRange { first, second },
        merkle::ProofError::MissingNode { level, index } => ErrorKind::Damaged {
            what: format!("the log lacks Merkle node ({level}, {index})"),
        },
        merkle::ProofError::Store(reason) => ErrorKind::Sqlite {
            operation: "reading Merkle nodes".into(),
            reason,
        },
    })
}

/// Every event that touched an item or lot, oldest first (an index range scan).
/// The history of one item or lot: the events after position `after` (all when `None`),
/// oldest first, at most `limit` of them (all when `None`).
///
/// A stock id names an item or a lot, and the two id spaces are apart, so both are searched:
/// each kind is one range of the `touches` primary key `(kind, stock, seq)`, read in position
/// order (no sort, so a page stops reading after `limit` rows), and the two are merged here (an
/// event that touched an item and a lot of the same id is one row). One SQL statement could
/// merge them (`UNION` with `ORDER BY`), but SQLite's merge cost more than the second lookup:
/// 41 against 34 µs for histories of up to 10 rows at 3×10^5 events (`core/benches/scale.rs`,
/// two runs on the same file, when each call also prepared its SQL again: see [`TRACE_SQL`]).
/// Only the columns a trace row shows are read: the event's JSON, the last column of
/// `events`, is never read, which matters because one event can be large (a depot's full
/// count lists every lot there, hundreds of kilobytes) while its trace row is about a hundred
/// bytes.
pub(crate) fn trace(
    db: &Db,
    stock: &str,
    after: Option<u64>,
    limit: Option<u32>,
) -> Result<Vec<TraceEntry>> {
    let e = db.err("tracing");
    let mut stmt = db.conn.prepare_cached(TRACE_SQL).map_err(&e)?;
    // -1: from the first event (positions start at 0).
    let after = after.map_or(-1, to_i64);
    // A u32 fits a usize on every target this builds for; were it not to, no page could be
    // that long anyway.
    let most = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let mut kinds = [Vec::new(), Vec::new()];
    for (kind, out) in ["item", "lot"].into_iter().zip(kinds.iter_mut()) {
        let mut rows = stmt.query(params![kind, stock, after]).map_err(&e)?;
        // The range comes in position order and nothing sorts it, so reading stops after
        // `most` rows without SQLite computing the rest.
        while out.len() < most {
            let Some(row) = rows.next().map_err(&e)? else {
                break;
            };
            out.push(trace_entry(row, &e)?);
        }
    }
    let [items, lots] = kinds;
    let mut out = if lots.is_empty() {
        items
    } else if items.is_empty() {
        lots
    } else {
        merge_by_index(items, lots)
    };
    // Each range holds at most `most` rows; the two merged may hold more.
    out.truncate(most);
    Ok(out)
}

/// Two lists of trace rows in position order, merged in position order; a position in both
/// (one event that touched an item and a lot of the same id) is kept once.
fn merge_by_index(a: Vec<TraceEntry>, b: Vec<TraceEntry>) -> Vec<TraceEntry> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.index == y.index => {
                b.next();
                a.next()
            }
            (Some(x), Some(y)) if x.index < y.index => a.next(),
            (Some(_), Some(_)) | (None, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => None,
        };
        match next {
            Some(row) => out.push(row),
            None => return out,
        }
    }
}

/// The trace statement (see [`trace`]): `?1` the stock kind, `?2` the stock, `?3` the position
/// rows come after. One range of the `touches` key, already in position order. It has no
/// `LIMIT ?` (the caller stops reading instead): SQLite 3.50 plans a bound `LIMIT` value as a
/// constant, so binding it expires the statement and every call parsed and planned the SQL
/// again, twice a trace (40 µs of a 5-row history's trace, against 10 µs without).
pub(crate) const TRACE_SQL: &str = "
SELECT t.seq, e.id, e.kind, e.at, e.actor FROM touches t JOIN events e ON e.seq = t.seq
 WHERE t.kind = ?1 AND t.stock = ?2 AND t.seq > ?3 ORDER BY t.seq";

/// One trace row, decoded from borrowed column values (the id, time and actor are checked
/// before anything is copied). `e` maps SQLite failures.
fn trace_entry(
    row: &rusqlite::Row<'_>,
    e: &dyn Fn(rusqlite::Error) -> Error,
) -> Result<TraceEntry> {
    let index = to_u64(row.get(0).map_err(e)?, "event position")?;
    let damaged = |what: &str| {
        Error::new(ErrorKind::Damaged {
            what: format!("event {index}: the stored {what} is malformed (run `verify`)"),
        })
    };
    let id = row
        .get_ref(1)
        .map_err(e)?
        .as_blob()
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(EventId::from_bytes)
        .ok_or_else(|| damaged("id"))?;
    let text = |i: usize, what: &str| -> Result<&str> {
        row.get_ref(i)
            .map_err(e)?
            .as_str()
            .map_err(|_| damaged(what))
    };
    Ok(TraceEntry {
        index,
        id,
        kind: text(2, "kind")?.to_owned(),
        at: Timestamp::parse(text(3, "time")?).map_err(|_| damaged("time"))?,
        actor: ActorId::new(text(4, "actor")?).map_err(|_| damaged("actor"))?,
    })
}

fn stock_kind(kind: &str) -> Result<StockKind> {
    match kind {
        "item" => Ok(StockKind::Item),
        "lot" => Ok(StockKind::Lot),
        other => Err(ErrorKind::Damaged {
            what: format!("a derived row names stock kind `{other}`"),
        }
        .into()),
    }
}

fn opt_id<T: std::str::FromStr>(v: Option<String>, what: &str) -> Result<Option<T>> {
    v.map(|s| {
        s.parse::<T>().map_err(|_| {
            Error::new(ErrorKind::Damaged {
                what: format!("a derived row holds {what} `{s}`"),
            })
        })
    })
    .transpose()
}

/// Balances from the derived table.
pub(crate) fn balances(db: &Db, filter: &BalanceFilter) -> Result<Vec<Balance>> {
    let e = db.err("reading balances");
    let mut stmt = db
        .conn
        .prepare_cached(
            "SELECT kind, stock, account, site, custodian, units FROM balances
             WHERE (?1 IS NULL OR site = ?1) AND (?2 IS NULL OR stock = ?2)
             ORDER BY account, kind, stock",
        )
        .map_err(&e)?;
    let site = filter.site.as_ref().map(|s| s.as_str().to_owned());
    let mut rows = stmt.query(params![site, filter.stock]).map_err(&e)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(&e)? {
        out.push(Balance {
            kind: stock_kind(&r.get::<_, String>(0).map_err(&e)?)?,
            stock: r.get(1).map_err(&e)?,
            account: r.get(2).map_err(&e)?,
            site: opt_id(r.get(3).map_err(&e)?, "site")?,
            custodian: opt_id(r.get(4).map_err(&e)?, "custodian")?,
            units: r.get(5).map_err(&e)?,
        });
    }
    Ok(out)
}

fn parse_wire<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        Error::new(ErrorKind::Damaged {
            what: format!("a derived row holds {what} `{text}`"),
        })
    })
}

/// Stock on hand: holdings joined with their lots' and items' attributes.
pub(crate) fn stock_lines(db: &Db, filter: &StockFilter) -> Result<Vec<StockLine>> {
    let e = db.err("reading stock on hand");
    let mut stmt = db
        .conn
        .prepare_cached(
            "SELECT b.site, b.custodian, b.kind, b.stock, b.units,
                    COALESCE(l.nomenclature, i.type), l.lot_number, l.unit,
                    COALESCE(l.division, i.division), COALESCE(l.grp, i.grp),
                    COALESCE(l.neq_mg_per_unit, i.neq_mg, 0), COALESCE(l.condition, i.condition),
                    COALESCE(l.disposition, i.disposition)
             FROM balances b
             LEFT JOIN lots l ON b.kind = 'lot' AND l.id = b.stock
             LEFT JOIN items i ON b.kind = 'item' AND i.id = b.stock
             WHERE b.site IS NOT NULL AND (?1 IS NULL OR b.site = ?1)
             ORDER BY b.site, b.custodian, b.kind, b.stock",
        )
        .map_err(&e)?;
    let site = filter.site.as_ref().map(|s| s.as_str().to_owned());
    let wanted_division = filter.hazard_division;
    let needle = filter.nomenclature.as_ref().map(|n| n.to_lowercase());
    let mut rows = stmt.query(params![site]).map_err(&e)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(&e)? {
        let site: String = r.get(0).map_err(&e)?;
        let custodian: String = r.get(1).map_err(&e)?;
        let kind = stock_kind(&r.get::<_, String>(2).map_err(&e)?)?;
        let stock: String = r.get(3).map_err(&e)?;
        let units: i64 = r.get(4).map_err(&e)?;
        let description: Option<String> = r.get(5).map_err(&e)?;
        let description = description.ok_or_else(|| {
            Error::new(ErrorKind::Damaged {
                what: format!("balance of `{stock}` names no registered item or lot"),
            })
        })?;
        let division: Option<String> = r.get(8).map_err(&e)?;
        let division = division
            .map(|d| parse_wire(&d, "hazard division"))
            .transpose()?;
        if wanted_division.is_some() && division != wanted_division {
            continue;
        }
        if let Some(n) = &needle
            && !description.to_lowercase().contains(n.as_str())
        {
            continue;
        }
        let group: Option<String> = r.get(9).map_err(&e)?;
        let neq_per_unit: i64 = r.get(10).map_err(&e)?;
        let condition: String = r.get(11).map_err(&e)?;
        let disposition: String = r.get(12).map_err(&e)?;
        let neq_mg = neq_per_unit.checked_mul(units).ok_or_else(|| {
            Error::new(ErrorKind::BalanceOverflow {
                stock: stock.clone(),
                account: format!("{custodian}@{site}"),
                value: format!("{neq_per_unit} mg x {units}"),
            })
        })?;
        let unit: Option<String> = r.get(7).map_err(&e)?;
        out.push(StockLine {
            site: opt_id(Some(site), "site")?.ok_or_else(|| {
                Error::new(ErrorKind::Internal {
                    detail: "site vanished".into(),
                })
            })?,
            custodian: opt_id(Some(custodian), "custodian")?.ok_or_else(|| {
                Error::new(ErrorKind::Internal {
                    detail: "custodian vanished".into(),
                })
            })?,
            kind,
            stock,
            description,
            lot_number: r.get(6).map_err(&e)?,
            unit: unit.unwrap_or_else(|| "item".to_owned()),
            hazard_division: division,
            compatibility_group: group
                .map(|g| parse_wire(&g, "compatibility group"))
                .transpose()?,
            condition: parse_wire(&condition, "condition")?,
            disposition: parse_wire(&disposition, "disposition")?,
            units,
            neq_mg,
        });
    }
    Ok(out)
}

/// Items whose marking matches (serial, and manufacturer when given), ignoring case and spaces:
/// the marking they were registered with, or a mark applied later (`marking` events: a serial
/// restored by a laboratory, an import or state mark).
pub(crate) fn find_items(db: &Db, query: &MarkingQuery) -> Result<Vec<ItemRecord>> {
    let e = db.err("finding items");
    let serial = normalise_marking(&query.serial);
    let manufacturer = query.manufacturer.as_deref().map(normalise_marking);
    let mut stmt = db
        .conn
        .prepare_cached(
            "SELECT id, category, type, marking, origin, registered_at, condition, disposition,
                    location, site, custodian, last_event
             FROM items WHERE id IN (
                 SELECT id FROM items
                 WHERE serial_norm = ?1 AND (?2 IS NULL OR manufacturer_norm = ?2)
                 UNION
                 SELECT item FROM item_marks
                 WHERE serial_norm = ?1 AND (?2 IS NULL OR manufacturer_norm = ?2))
             ORDER BY id",
        )
        .map_err(&e)?;
    let mut rows = stmt.query(params![serial, manufacturer]).map_err(&e)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(&e)? {
        let id: String = r.get(0).map_err(&e)?;
        let marking: String = r.get(3).map_err(&e)?;
        let marking: Marking = serde_json::from_str(&marking).map_err(|_| {
            Error::new(ErrorKind::Damaged {
                what: format!("the stored marking of `{id}` is malformed"),
            })
        })?;
        let last: Vec<u8> = r.get(11).map_err(&e)?;
        let registered_at: String = r.get(5).map_err(&e)?;
        out.push(ItemRecord {
            category: parse_wire(&r.get::<_, String>(1).map_err(&e)?, "category")?,
            item_type: r.get(2).map_err(&e)?,
            marking,
            origin: parse_wire(&r.get::<_, String>(4).map_err(&e)?, "origin")?,
            registered_at: Timestamp::parse(&registered_at).map_err(|_| {
                Error::new(ErrorKind::Damaged {
                    what: format!("the stored registration time of `{id}` is malformed"),
                })
            })?,
            condition: parse_wire(&r.get::<_, String>(6).map_err(&e)?, "condition")?,
            disposition: parse_wire(&r.get::<_, String>(7).map_err(&e)?, "disposition")?,
            location: r.get(8).map_err(&e)?,
            site: opt_id::<SiteId>(r.get(9).map_err(&e)?, "site")?,
            custodian: opt_id::<ActorId>(r.get(10).map_err(&e)?, "custodian")?,
            last_event: <[u8; 32]>::try_from(last.as_slice())
                .map(EventId::from_bytes)
                .map_err(|_| {
                    Error::new(ErrorKind::Damaged {
                        what: format!("the stored last event of `{id}` is malformed"),
                    })
                })?,
            id,
        });
    }
    Ok(out)
}

/// The lots formed from `lot`, breadth first, with what each received and what of each was
/// destroyed.
pub(crate) fn lineage(db: &Db, lot: &str) -> Result<Vec<LineageEntry>> {
    let e = db.err("reading the lot genealogy");
    let registered: Option<i64> = db
        .conn
        .prepare_cached("SELECT quantity FROM lots WHERE id = ?1")
        .and_then(|mut s| s.query_row([lot], |r| r.get(0)).optional())
        .map_err(&e)?;
    let Some(registered) = registered else {
        return Ok(Vec::new());
    };
    let destroyed = |id: &str| -> Result<i64> {
        let units: Option<i64> = db
            .conn
            .prepare_cached(
                "SELECT units FROM balances WHERE kind = 'lot' AND stock = ?1 AND account = 'sink:destroyed'",
            )
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(&e)?;
        Ok(units.unwrap_or(0))
    };
    let start: crate::model::LotId = opt_id(Some(lot.to_owned()), "lot")?.ok_or_else(|| {
        Error::new(ErrorKind::Internal {
            detail: "lot id vanished".into(),
        })
    })?;
    let mut out = vec![LineageEntry {
        lot: start.clone(),
        from: None,
        depth: 0,
        received: to_u64(registered, "quantity")?,
        destroyed: destroyed(lot)?,
    }];
    let mut seen = std::collections::BTreeSet::from([lot.to_owned()]);
    let mut queue = std::collections::VecDeque::from([(start, 0u32)]);
    let mut children = db
        .conn
        .prepare_cached("SELECT lot, units FROM lot_sources WHERE source = ?1 ORDER BY lot")
        .map_err(&e)?;
    while let Some((parent, depth)) = queue.pop_front() {
        let rows: Vec<(String, i64)> = children
            .query_map([parent.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(&e)?;
        for (child, units) in rows {
            if !seen.insert(child.clone()) {
                continue;
            }
            let child_id: crate::model::LotId =
                opt_id(Some(child.clone()), "lot")?.ok_or_else(|| {
                    Error::new(ErrorKind::Internal {
                        detail: "lot id vanished".into(),
                    })
                })?;
            out.push(LineageEntry {
                lot: child_id.clone(),
                from: Some(parent.clone()),
                depth: depth + 1,
                received: to_u64(units, "quantity")?,
                destroyed: destroyed(&child)?,
            });
            queue.push_back((child_id, depth + 1));
        }
    }
    Ok(out)
}

/// The rules in force, from the derived table.
pub(crate) fn rules_in_force(db: &Db) -> Result<Vec<RuleRef>> {
    let e = db.err("reading the rules in force");
    let mut stmt = db
        .conn
        .prepare_cached("SELECT name, version, identity FROM rules_in_force ORDER BY position")
        .map_err(&e)?;
    let rows: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(|rows| rows.collect())
        .map_err(&e)?;
    rows.into_iter()
        .map(|(name, version, identity)| {
            Ok(RuleRef {
                sha256: EventId::from_hex(&identity).map_err(|_| {
                    Error::new(ErrorKind::Damaged {
                        what: format!("rule `{name}` has identity `{identity}`"),
                    })
                })?,
                name,
                version,
            })
        })
        .collect()
}

fn damaged_row(table: &str, what: &str) -> Error {
    Error::new(ErrorKind::Damaged {
        what: format!("a row of `{table}` holds a malformed {what} (run `verify`)"),
    })
}

/// Every registered actor, by id.
pub(crate) fn actors(db: &Db) -> Result<Vec<crate::rows::ActorRecord>> {
    let e = db.err("reading actors");
    let mut stmt = db
        .conn
        .prepare_cached("SELECT id, kind, name, member_of, roles, keys FROM actors ORDER BY id")
        .map_err(&e)?;
    let rows: Vec<ActorRow> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(&e)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, kind, name, member_of, roles, keys) in rows {
        let mut active = Vec::new();
        let mut revoked = Vec::new();
        for k in keys.split(',').filter(|k| !k.is_empty()) {
            match k.strip_prefix('-') {
                Some(r) => revoked.push(r.parse().map_err(|_| damaged_row("actors", "key"))?),
                None => active.push(k.parse().map_err(|_| damaged_row("actors", "key"))?),
            }
        }
        out.push(crate::rows::ActorRecord {
            id: id.parse().map_err(|_| damaged_row("actors", "id"))?,
            kind: kind.parse().map_err(|_| damaged_row("actors", "kind"))?,
            name,
            member_of: member_of
                .map(|m| m.parse().map_err(|_| damaged_row("actors", "member_of")))
                .transpose()?,
            roles: roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(|r| r.parse().map_err(|_| damaged_row("actors", "role")))
                .collect::<Result<_>>()?,
            active_keys: active,
            revoked_keys: revoked,
        });
    }
    Ok(out)
}

/// A `sites` row: id, name, kind, parent, country, licensed NEQ.
type SiteRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);
/// An `actors` row: id, kind, name, member_of, roles, keys.
type ActorRow = (String, String, String, Option<String>, String, String);

/// Every registered site, by id.
pub(crate) fn sites(db: &Db) -> Result<Vec<crate::rows::SiteRecord>> {
    let e = db.err("reading sites");
    let mut stmt = db
        .conn
        .prepare_cached(
            "SELECT id, name, kind, parent, country, licensed_neq_grams FROM sites ORDER BY id",
        )
        .map_err(&e)?;
    let rows: Vec<SiteRow> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(&e)?;
    rows.into_iter()
        .map(|(id, name, kind, parent, country, neq)| {
            Ok(crate::rows::SiteRecord {
                id: id.parse().map_err(|_| damaged_row("sites", "id"))?,
                name,
                kind: kind.parse().map_err(|_| damaged_row("sites", "kind"))?,
                parent: parent
                    .map(|p| p.parse().map_err(|_| damaged_row("sites", "parent")))
                    .transpose()?,
                country,
                licensed_neq_grams: neq,
            })
        })
        .collect()
}

/// The earliest and latest `at` of the stored events.
pub(crate) fn time_span(db: &Db) -> Result<(Option<Timestamp>, Option<Timestamp>)> {
    let (first, last): (Option<String>, Option<String>) = db
        .conn
        .query_row("SELECT MIN(at), MAX(at) FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(db.err("reading event times"))?;
    let parse = |t: Option<String>| {
        t.map(|t| Timestamp::parse(&t).map_err(|_| damaged_row("events", "time")))
            .transpose()
    };
    Ok((parse(first)?, parse(last)?))
}

/// One number from SQL; `SUM` over no rows is NULL, which is 0.
pub(crate) fn count(db: &Db, sql: &str) -> Result<i64> {
    db.conn
        .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
        .map(|v| v.unwrap_or(0))
        .map_err(db.err("counting rows"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The trace's plan: one range of the `touches` key searched from the position on, each
    /// row joined to `events` by its key; nothing scanned, nothing sorted (a sort would read a
    /// whole history before the first row of a page).
    #[test]
    fn a_trace_reads_one_ordered_key_range_and_sorts_nothing() {
        let key = crate::Signer::from_seed([1; 32]).public_key();
        let db = Db::create(None, key, "example.org/trace").unwrap();
        let mut st = db
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {TRACE_SQL}"))
            .unwrap();
        let plan: Vec<String> = st
            .query_map(params!["lot", "lot:x", -1], |r| r.get(3))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        let has = |what: &str| plan.iter().filter(|p| p.contains(what)).count();
        assert_eq!(
            has("SEARCH t USING PRIMARY KEY (kind=? AND stock=? AND seq>?)"),
            1,
            "{plan:#?}"
        );
        assert_eq!(
            has("SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"),
            1,
            "{plan:#?}"
        );
        assert_eq!(has("TEMP B-TREE") + has("SCAN"), 0, "{plan:#?}");
    }

    /// The trace's statement is prepared once and kept: tracing again, whole or by pages of
    /// other lengths, does not make SQLite parse and plan it again (a bound `LIMIT` did, on
    /// every call, where it was three quarters of a short history's trace).
    #[test]
    fn tracing_again_does_not_prepare_the_statement_again() {
        let key = crate::Signer::from_seed([1; 32]).public_key();
        let db = Db::create(None, key, "example.org/trace").unwrap();
        for limit in [None, Some(1), Some(2), Some(250)] {
            for after in [None, Some(0), Some(7)] {
                assert!(trace(&db, "lot:x", after, limit).unwrap().is_empty());
            }
        }
        let st = db.conn.prepare_cached(TRACE_SQL).unwrap();
        assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }
}
