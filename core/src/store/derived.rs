//! The derived tables: one encoder from the ledger state to rows, shared by the writer (which
//! rewrites the rows of what a batch changed) and the verifier (which re-derives every row from
//! the events and compares). Nothing here is trusted by verification except as a copy of the
//! state to compare against.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use rusqlite::Connection;
use rusqlite::types::Value as Sql;

use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Account, ActorState, ItemState, LotState, SiteState, Source, State, Stock};
use crate::model::{ActorId, HazardDivision, SiteId, normalise_marking};

/// A derived table: its name, its columns, and how many leading columns form its key.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [&'static str],
    pub(crate) key_columns: usize,
}

pub(crate) const BALANCES: Table = Table {
    name: "balances",
    columns: &["kind", "stock", "account", "site", "custodian", "units"],
    key_columns: 3,
};
pub(crate) const ITEMS: Table = Table {
    name: "items",
    columns: &[
        "id",
        "category",
        "type",
        "marking",
        "manufacturer_norm",
        "serial_norm",
        "neq_mg",
        "division",
        "grp",
        "origin",
        "origin_reference",
        "registered_at",
        "condition",
        "disposition",
        "location",
        "site",
        "custodian",
        "last_event",
    ],
    key_columns: 1,
};
pub(crate) const LOTS: Table = Table {
    name: "lots",
    columns: &[
        "id",
        "nomenclature",
        "lot_number",
        "unit",
        "division",
        "grp",
        "neq_grams_per_unit",
        "neq_mg_per_unit",
        "quantity",
        "origin",
        "origin_reference",
        "registered_at",
        "condition",
        "disposition",
        "last_event",
    ],
    key_columns: 1,
};
pub(crate) const LOT_SOURCES: Table = Table {
    name: "lot_sources",
    columns: &["lot", "source", "units"],
    key_columns: 2,
};
pub(crate) const SITES: Table = Table {
    name: "sites",
    columns: &[
        "id",
        "name",
        "kind",
        "parent",
        "country",
        "licensed_neq_grams",
    ],
    key_columns: 1,
};
pub(crate) const ACTORS: Table = Table {
    name: "actors",
    columns: &["id", "kind", "name", "member_of", "roles", "keys"],
    key_columns: 1,
};
pub(crate) const RULES: Table = Table {
    name: "rules_in_force",
    columns: &["position", "name", "version", "identity"],
    key_columns: 1,
};

/// The serial numbers of marks applied after registration (`marking` events), for tracing
/// lookups: one row per mark that carries a serial, keyed by the item and the mark's position
/// among the item's marks.
pub(crate) const ITEM_MARKS: Table = Table {
    name: "item_marks",
    columns: &[
        "item",
        "position",
        "kind",
        "manufacturer_norm",
        "serial_norm",
    ],
    key_columns: 2,
};

/// Every derived table, in the order verification compares them.
pub(crate) const TABLES: [&Table; 8] = [
    &BALANCES,
    &ITEMS,
    &LOTS,
    &LOT_SOURCES,
    &SITES,
    &ACTORS,
    &RULES,
    &ITEM_MARKS,
];

/// A row: one value per column of its table.
pub(crate) type Row = Vec<Sql>;

fn text(s: impl Into<String>) -> Sql {
    Sql::Text(s.into())
}

fn opt_text(s: Option<impl ToString>) -> Sql {
    s.map_or(Sql::Null, |s| Sql::Text(s.to_string()))
}

fn int(v: i64) -> Sql {
    Sql::Integer(v)
}

/// A 64-bit column value from a quantity or balance, or the overflow error.
pub(crate) fn i64_of(value: i128, stock: &Stock, account: &Account) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        Error::new(ErrorKind::BalanceOverflow {
            stock: stock.to_string(),
            account: account.to_string(),
            value: value.to_string(),
        })
    })
}

fn u64_col(value: u64, what: &str) -> Result<Sql> {
    i64::try_from(value).map(Sql::Integer).map_err(|_| {
        Error::new(ErrorKind::Internal {
            detail: format!("{what} {value} does not fit a 64-bit column"),
        })
    })
}

pub(crate) fn holding_parts(account: &Account) -> (Option<&SiteId>, Option<&ActorId>) {
    match account {
        Account::Holding { site, custodian } => (Some(site), Some(custodian)),
        _ => (None, None),
    }
}

/// The `(kind, id)` of a stock as the tables spell it.
pub(crate) fn stock_key(stock: &Stock) -> (&'static str, &str) {
    match stock {
        Stock::Item(id) => ("item", id.as_str()),
        Stock::Lot(id) => ("lot", id.as_str()),
    }
}

/// One stock's part in the stock on hand totals: (site, hazard division, units, NEQ in mg) for
/// each holding of it.
type Holdings = Vec<(SiteId, Option<HazardDivision>, i64, i64)>;

/// Stock on hand totals per site and hazard division kept up to date as events are applied:
/// what `stock_on_hand` sums from the rows written for the same state (holdings only; a lot's
/// units times its NEQ per unit, an item its own NEQ or none), in the same order (site, then
/// division), at the cost of the stocks each event touches rather than of all stock held.
#[derive(Default)]
pub(crate) struct RunningTotals {
    /// Each held stock's part, as last counted.
    parts: HashMap<Stock, Holdings>,
    /// Per (site, division), in `stock_on_hand`'s order (a site id orders as its text). A key
    /// is dropped when its last holding goes, as a total with no line is not listed.
    totals: BTreeMap<(SiteId, Option<HazardDivision>), Total>,
}

/// One running total.
#[derive(Default)]
struct Total {
    /// The holdings counted in it.
    holdings: u64,
    units: i64,
    neq_mg: i64,
}

impl RunningTotals {
    /// Counts `stock` again as `state` holds it now (the stocks an event touched, created or
    /// removed: the rows the store writes again for it).
    pub(crate) fn recount(&mut self, state: &State, stock: &Stock) -> Result<()> {
        let overflow = || total_overflow(stock);
        if let Some(old) = self.parts.remove(stock) {
            for (site, division, units, neq) in old {
                let key = (site, division);
                let Some(t) = self.totals.get_mut(&key) else {
                    return Err(uncounted(stock));
                };
                t.holdings = t.holdings.checked_sub(1).ok_or_else(|| uncounted(stock))?;
                t.units = t.units.checked_sub(units).ok_or_else(overflow)?;
                t.neq_mg = t.neq_mg.checked_sub(neq).ok_or_else(overflow)?;
                if t.holdings == 0 {
                    self.totals.remove(&key);
                }
            }
        }
        let part = holdings(state, stock)?;
        for (site, division, units, neq) in &part {
            let t = self.totals.entry((site.clone(), *division)).or_default();
            t.holdings += 1;
            t.units = t.units.checked_add(*units).ok_or_else(overflow)?;
            t.neq_mg = t.neq_mg.checked_add(*neq).ok_or_else(overflow)?;
        }
        if !part.is_empty() {
            self.parts.insert(stock.clone(), part);
        }
        Ok(())
    }

    /// The totals now.
    pub(crate) fn totals(&self) -> Vec<crate::rows::StockTotal> {
        self.totals
            .iter()
            .map(|((site, division), t)| crate::rows::StockTotal {
                site: site.clone(),
                hazard_division: *division,
                units: t.units,
                neq_mg: t.neq_mg,
            })
            .collect()
    }
}

/// Where `stock` is held in `state` (holdings with non-zero units), with its hazard division
/// and NEQ; none for a stock no longer known (removed by a correction).
fn holdings(state: &State, stock: &Stock) -> Result<Holdings> {
    let (division, neq_per_unit, held): (_, _, Vec<(&Account, i128)>) = match stock {
        Stock::Lot(id) => {
            let Some(lot) = state.lot(id) else {
                return Ok(Vec::new());
            };
            let per_unit = lot.lot.neq_mg_per_unit().ok_or_else(|| {
                Error::new(ErrorKind::QuantityOverflow {
                    max: crate::model::QUANTITY_MAX,
                })
            })?;
            let held = lot.balances.iter().map(|(a, b)| (a, *b)).collect();
            (lot.lot.hazard.map(|h| h.division), per_unit, held)
        }
        Stock::Item(id) => {
            let Some(item) = state.item(id) else {
                return Ok(Vec::new());
            };
            let neq = item.item.neq_mg.map_or(0, |mg| mg.get());
            (
                item.item.hazard.map(|h| h.division),
                neq,
                vec![(&item.location, 1)],
            )
        }
    };
    let mut out = Vec::new();
    for (account, units) in held {
        let Account::Holding { site, .. } = account else {
            continue;
        };
        if units == 0 {
            continue;
        }
        let units = i64_of(units, stock, account)?;
        let neq = i64::try_from(neq_per_unit)
            .ok()
            .and_then(|per_unit| per_unit.checked_mul(units))
            .ok_or_else(|| total_overflow(stock))?;
        out.push((site.clone(), division, units, neq));
    }
    Ok(out)
}

/// A stock counted in a total that does not hold it: a bug of the running totals, reported
/// as such.
fn uncounted(stock: &Stock) -> Error {
    Error::new(ErrorKind::Internal {
        detail: format!(
            "the stock on hand totals lost count of `{}`",
            stock_key(stock).1
        ),
    })
}

fn total_overflow(stock: &Stock) -> Error {
    Error::new(ErrorKind::BalanceOverflow {
        stock: stock_key(stock).1.to_owned(),
        account: "stock on hand total".into(),
        value: "more than 2^63 - 1".into(),
    })
}

/// The balance rows of one stock: (account, units) for every non-zero balance.
pub(crate) fn balance_rows(state: &State, stock: &Stock) -> Result<Vec<Row>> {
    let pairs: Vec<(Account, i128)> = match stock {
        Stock::Lot(id) => state
            .lot(id)
            .map(|l| l.balances.iter().map(|(a, b)| (a.clone(), *b)).collect())
            .unwrap_or_default(),
        Stock::Item(id) => state
            .item(id)
            .map(|i| {
                let source = Account::Source(Source::Origin(i.origin.kind));
                vec![(i.location.clone(), 1), (source, -1)]
            })
            .unwrap_or_default(),
    };
    let (kind, id) = stock_key(stock);
    pairs
        .into_iter()
        .map(|(account, units)| {
            let (site, custodian) = holding_parts(&account);
            Ok(vec![
                text(kind),
                text(id),
                text(account.to_string()),
                opt_text(site),
                opt_text(custodian),
                int(i64_of(units, stock, &account)?),
            ])
        })
        .collect()
}

pub(crate) fn item_row(item: &ItemState) -> Result<Row> {
    let marking = String::from_utf8(crate::envelope::canon_ser::to_vec(&item.item.marking)?)
        .map_err(|e| {
            Error::new(ErrorKind::Internal {
                detail: format!("encoding a marking: {e}"),
            })
        })?;
    let (site, custodian) = holding_parts(&item.location);
    Ok(vec![
        text(item.item.id.as_str()),
        text(item.item.category.as_str()),
        text(item.item.item_type.clone()),
        text(marking),
        opt_text(
            item.item
                .marking
                .manufacturer
                .as_deref()
                .map(normalise_marking),
        ),
        opt_text(item.item.marking.serial.as_deref().map(normalise_marking)),
        match item.item.neq_mg {
            Some(mg) => u64_col(mg.get(), "a net explosive quantity")?,
            None => Sql::Null,
        },
        opt_text(item.item.hazard.map(|h| h.division.as_str())),
        opt_text(item.item.hazard.map(|h| h.group.as_str())),
        text(item.origin.kind.as_str()),
        opt_text(item.origin.reference.as_deref()),
        text(item.registered_at.as_str()),
        text(item.status.condition.as_str()),
        text(item.status.disposition.as_str()),
        text(item.location.to_string()),
        opt_text(site),
        opt_text(custodian),
        Sql::Blob(item.last_event.as_bytes().to_vec()),
    ])
}

/// The mark rows of an item: one per applied mark with a serial. A mark that names no
/// manufacturer (a serial restored by a laboratory, say) is indexed under the manufacturer the
/// item was registered with, so that a search by manufacturer and serial finds it.
pub(crate) fn item_mark_rows(item: &ItemState) -> Result<Vec<Row>> {
    let registered = item.item.marking.manufacturer.as_deref();
    let mut rows = Vec::new();
    for (i, mark) in item.marks.iter().enumerate() {
        let Some(serial) = mark.elements.serial.as_deref() else {
            continue;
        };
        let manufacturer = mark.elements.manufacturer.as_deref().or(registered);
        rows.push(vec![
            text(item.item.id.as_str()),
            u64_col(i as u64, "a mark position")?,
            text(mark.kind.as_str()),
            opt_text(manufacturer.map(normalise_marking)),
            text(normalise_marking(serial)),
        ]);
    }
    Ok(rows)
}

pub(crate) fn lot_row(lot: &LotState) -> Result<Row> {
    let (division, group) = match &lot.lot.hazard {
        Some(h) => (Some(h.division.as_str()), Some(h.group.as_str())),
        None => (None, None),
    };
    Ok(vec![
        text(lot.lot.id.as_str()),
        text(lot.lot.nomenclature.clone()),
        text(lot.lot.lot_number.clone()),
        text(lot.lot.unit.as_str()),
        opt_text(division),
        opt_text(group),
        u64_col(lot.lot.neq_grams_per_unit.get(), "a net explosive quantity")?,
        // INVARIANT (neq-bounded): registration keeps quantity × content within 2^53, so the
        // milligrams of a lot registered in grams (× 1000) fit 64 bits.
        u64_col(
            lot.lot.neq_mg_per_unit().ok_or_else(|| {
                Error::new(ErrorKind::QuantityOverflow {
                    max: crate::model::QUANTITY_MAX,
                })
            })?,
            "a net explosive quantity",
        )?,
        u64_col(lot.lot.quantity.get(), "a quantity")?,
        text(lot.origin.kind.as_str()),
        opt_text(lot.origin.reference.as_deref()),
        text(lot.registered_at.as_str()),
        text(lot.status.condition.as_str()),
        text(lot.status.disposition.as_str()),
        Sql::Blob(lot.last_event.as_bytes().to_vec()),
    ])
}

pub(crate) fn lot_source_rows(lot: &LotState) -> Result<Vec<Row>> {
    lot.derived_from
        .iter()
        .map(|(source, units)| {
            Ok(vec![
                text(lot.lot.id.as_str()),
                text(source.as_str()),
                u64_col(*units, "a quantity")?,
            ])
        })
        .collect()
}

pub(crate) fn site_row(site: &SiteState) -> Result<Row> {
    let s = &site.site;
    Ok(vec![
        text(s.id.as_str()),
        text(s.name.clone()),
        text(s.kind.as_str()),
        opt_text(s.parent.as_ref()),
        opt_text(s.country.as_deref()),
        match s.licensed_neq_grams {
            Some(q) => u64_col(q.get(), "a licensed quantity")?,
            None => Sql::Null,
        },
    ])
}

pub(crate) fn actor_row(actor: &ActorState) -> Result<Row> {
    let a = &actor.actor;
    let roles = a
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    // Keys with their state: `hex` while active, `-hex` once revoked.
    let keys = actor
        .keys
        .iter()
        .map(|(k, state)| {
            if state.active {
                k.to_hex()
            } else {
                format!("-{}", k.to_hex())
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    Ok(vec![
        text(a.id.as_str()),
        text(a.kind.as_str()),
        text(a.name.clone()),
        opt_text(a.member_of.as_ref()),
        text(roles),
        text(keys),
    ])
}

pub(crate) fn rule_rows(state: &State) -> Result<Vec<Row>> {
    state
        .rules_in_force()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(vec![
                u64_col(i as u64, "a position")?,
                text(r.name.clone()),
                text(r.version.clone()),
                text(r.sha256.to_hex()),
            ])
        })
        .collect()
}

/// Every derived row of the state, table by table in [`TABLES`] order, each table's rows
/// sorted by key as SQLite orders them.
pub(crate) fn all_rows(state: &State) -> Result<Vec<Vec<Row>>> {
    Ok(merge(
        rows_of(state, Half::Items)?,
        rows_of(state, Half::Rest)?,
    ))
}

/// A share of the derived rows, so that two threads can derive them together (`verify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Half {
    /// The items' rows: their balances, the items, their marks.
    Items,
    /// Everything else: the lots' balances, the lots and their sources, sites, actors, rules.
    Rest,
}

/// The rows of one [`Half`] of the state, table by table in [`TABLES`] order (the other
/// half's tables empty), unsorted; [`merge`] puts two halves together.
pub(crate) fn rows_of(state: &State, half: Half) -> Result<Vec<Vec<Row>>> {
    let (mut balances, mut items, mut marks) = (Vec::new(), Vec::new(), Vec::new());
    let (mut lots, mut sources) = (Vec::new(), Vec::new());
    let (mut sites, mut actors, mut rules) = (Vec::new(), Vec::new(), Vec::new());
    match half {
        Half::Items => {
            for item in state.items() {
                balances.extend(balance_rows(state, &Stock::Item(item.item.id.clone()))?);
                items.push(item_row(item)?);
                marks.extend(item_mark_rows(item)?);
            }
        }
        Half::Rest => {
            for lot in state.lots() {
                balances.extend(balance_rows(state, &Stock::Lot(lot.lot.id.clone()))?);
                lots.push(lot_row(lot)?);
                sources.extend(lot_source_rows(lot)?);
            }
            sites = state.sites().map(site_row).collect::<Result<Vec<_>>>()?;
            actors = state.actors().map(actor_row).collect::<Result<Vec<_>>>()?;
            rules = rule_rows(state)?;
        }
    }
    Ok(vec![
        balances, items, lots, sources, sites, actors, rules, marks,
    ])
}

/// Both halves' rows, table by table, each table sorted by key as SQLite orders them.
pub(crate) fn merge(a: Vec<Vec<Row>>, b: Vec<Vec<Row>>) -> Vec<Vec<Row>> {
    let mut tables: Vec<Vec<Row>> = a
        .into_iter()
        .zip(b)
        .map(|(mut a, b)| {
            a.extend(b);
            a
        })
        .collect();
    for (table, rows) in TABLES.iter().zip(tables.iter_mut()) {
        rows.sort_by(|a, b| compare_keys(a, b, table.key_columns));
    }
    tables
}

/// Orders rows by their key columns as SQLite's `ORDER BY` does for text and integers.
pub(crate) fn compare_keys(a: &Row, b: &Row, key_columns: usize) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b).take(key_columns) {
        let o = match (x, y) {
            (Sql::Integer(x), Sql::Integer(y)) => x.cmp(y),
            (Sql::Text(x), Sql::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
            _ => std::cmp::Ordering::Equal,
        };
        if o.is_ne() {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

/// What a batch changed besides stocks: its rows are rewritten.
#[derive(Default, Debug)]
pub(crate) struct Dirty {
    pub(crate) stocks: BTreeSet<Stock>,
    /// Those of `stocks` that did not exist when the batch began: the file holds no rows of
    /// them, so their rows are inserted without reading the file first.
    pub(crate) fresh: BTreeSet<Stock>,
    pub(crate) sites: BTreeSet<SiteId>,
    pub(crate) actors: BTreeSet<ActorId>,
    pub(crate) rules: bool,
}

fn insert_sql(table: &Table) -> String {
    let marks: Vec<String> = (1..=table.columns.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT OR REPLACE INTO {} ({}) VALUES ({})",
        table.name,
        table.columns.join(", "),
        marks.join(", ")
    )
}

/// A statement of `table`, built by `build` once per table of `TABLES` and kept in `cache`:
/// building one per row (a `format!` and joins) cost as much as SQLite's insert of the row. A
/// table not in `TABLES` (there is none) still gets its statement, built each time.
fn per_table(
    cache: &'static OnceLock<Vec<String>>,
    table: &Table,
    build: impl Fn(&Table) -> String,
) -> Cow<'static, str> {
    let all = cache.get_or_init(|| TABLES.iter().map(|t| build(t)).collect());
    match TABLES
        .iter()
        .position(|t| t.name == table.name)
        .and_then(|i| all.get(i))
    {
        Some(sql) => sql.as_str().into(),
        None => build(table).into(),
    }
}

fn insert(conn: &Connection, table: &Table, row: &Row) -> rusqlite::Result<()> {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    conn.prepare_cached(&per_table(&SQL, table, insert_sql))?
        .execute(rusqlite::params_from_iter(row.iter()))?;
    Ok(())
}

/// Replaces every derived table by one of the current layout holding `state`'s rows: in the
/// file (`temp` false; the caller holds the write transaction), or as SQLite `TEMP` tables
/// that shadow the file's for this connection only (`temp` true, for read-only opens: nothing
/// is written to the file).
pub(crate) fn rebuild(conn: &Connection, state: &State, temp: bool) -> Result<()> {
    let sql = |e: rusqlite::Error| {
        Error::new(ErrorKind::Sqlite {
            operation: "rebuilding the derived tables".into(),
            reason: e.to_string(),
        })
    };
    let schema = if temp {
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(sql)?;
        // `CREATE INDEX temp.x ON t`: an index of a temp table lives in the temp schema.
        crate::store::schema::DERIVED_SCHEMA
            .replace("CREATE TABLE ", "CREATE TEMP TABLE ")
            .replace("CREATE INDEX ", "CREATE INDEX temp.")
    } else {
        for table in TABLES {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS main.{}", table.name))
                .map_err(sql)?;
        }
        crate::store::schema::DERIVED_SCHEMA.to_owned()
    };
    conn.execute_batch(&schema).map_err(sql)?;
    for (table, rows) in TABLES.iter().zip(all_rows(state)?) {
        for row in &rows {
            insert(conn, table, row).map_err(sql)?;
        }
    }
    Ok(())
}

/// Rewrites the derived rows of everything in `dirty` from `state`: rows of stocks, sites or
/// actors that no longer exist (a reversed registration) are deleted. Only rows that differ
/// from those in the file are written (see [`sync`]).
pub(crate) fn write(conn: &Connection, state: &State, dirty: &Dirty) -> Result<()> {
    let sql = |e: rusqlite::Error| {
        Error::new(ErrorKind::Sqlite {
            operation: "writing derived state".into(),
            reason: e.to_string(),
        })
    };
    for stock in &dirty.stocks {
        let (kind, id) = stock_key(stock);
        let there = if dirty.fresh.contains(stock) {
            There::Nothing
        } else {
            There::Read
        };
        sync(
            conn,
            &BALANCES,
            &[text(kind), text(id)],
            balance_rows(state, stock)?,
            there,
        )
        .map_err(sql)?;
        let key = [text(id)];
        match stock {
            Stock::Item(i) => {
                let (rows, marks) = match state.item(i) {
                    Some(item) => (vec![item_row(item)?], item_mark_rows(item)?),
                    None => (Vec::new(), Vec::new()),
                };
                sync(conn, &ITEMS, &key, rows, there).map_err(sql)?;
                sync(conn, &ITEM_MARKS, &key, marks, there).map_err(sql)?;
            }
            Stock::Lot(l) => {
                let (rows, sources) = match state.lot(l) {
                    Some(lot) => (vec![lot_row(lot)?], lot_source_rows(lot)?),
                    None => (Vec::new(), Vec::new()),
                };
                sync(conn, &LOTS, &key, rows, there).map_err(sql)?;
                sync(conn, &LOT_SOURCES, &key, sources, there).map_err(sql)?;
            }
        }
    }
    for site in &dirty.sites {
        if let Some(s) = state.site(site) {
            sync(
                conn,
                &SITES,
                &[text(site.as_str())],
                vec![site_row(s)?],
                There::Read,
            )
            .map_err(sql)?;
        }
    }
    for actor in &dirty.actors {
        if let Some(a) = state.actor(actor) {
            sync(
                conn,
                &ACTORS,
                &[text(actor.as_str())],
                vec![actor_row(a)?],
                There::Read,
            )
            .map_err(sql)?;
        }
    }
    if dirty.rules {
        conn.execute("DELETE FROM rules_in_force", [])
            .map_err(sql)?;
        for row in rule_rows(state)? {
            insert(conn, &RULES, &row).map_err(sql)?;
        }
    }
    Ok(())
}

/// What the file holds of the rows [`sync`] makes: read them, or (for a stock the batch
/// created, see [`Dirty::fresh`]) known to hold none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum There {
    Read,
    Nothing,
}

/// Makes the rows of `table` whose leading key columns are `prefix` (a whole key, or the
/// first columns of one) be `rows`, writing only what differs: a row already there as it is
/// stays untouched, so that its pages (the table's and its indexes') are not written again.
/// Most of what a batch marks dirty keeps most of its rows (an item issued keeps its marks, a
/// lot drawn on keeps its sources), and each page written is a frame of the commit's log.
///
/// Rows there whose key is not among `rows` are deleted first; then a row there with other
/// values is updated in the columns that differ ([`update`]), and a row not there is inserted
/// (`INSERT OR REPLACE`). Deleting first keeps the result right even if a key read back
/// compared unequal to one written for the same row (a value of another type), which the
/// tables' declared types rule out: the result is then a write too many, never a stale row.
fn sync(
    conn: &Connection,
    table: &Table,
    prefix: &[Sql],
    mut rows: Vec<Row>,
    there: There,
) -> rusqlite::Result<()> {
    let keys = table.key_columns;
    let mut there: Vec<Row> = match there {
        There::Nothing => Vec::new(),
        There::Read => conn
            .prepare_cached(&select_sql(table, prefix.len()))?
            .query_map(rusqlite::params_from_iter(prefix), |r| {
                (0..table.columns.len())
                    .map(|i| r.get::<_, Sql>(i))
                    .collect()
            })?
            .collect::<rusqlite::Result<_>>()?,
    };
    let key_order = |a: &Row, b: &Row| {
        a.iter()
            .zip(b)
            .take(keys)
            .fold(std::cmp::Ordering::Equal, |order, (x, y)| {
                order.then_with(|| value_order(x, y))
            })
    };
    there.sort_by(key_order);
    rows.sort_by(key_order);
    // A merge of the two sorted lists: which rows there go, which are new, and which are
    // there with other values (updated in the columns that differ).
    let (mut gone, mut write): (Vec<&Row>, Vec<&Row>) = (Vec::new(), Vec::new());
    let mut changed: Vec<(&Row, &Row)> = Vec::new();
    let (mut a, mut b) = (there.iter().peekable(), rows.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(old), Some(new)) => match key_order(old, new) {
                std::cmp::Ordering::Less => gone.extend(a.next()),
                std::cmp::Ordering::Greater => write.extend(b.next()),
                std::cmp::Ordering::Equal => {
                    if old != new {
                        changed.push((old, new));
                    }
                    a.next();
                    b.next();
                }
            },
            (Some(_), None) => gone.extend(a.next()),
            (None, Some(_)) => write.extend(b.next()),
            (None, None) => break,
        }
    }
    if !gone.is_empty() {
        let mut delete = conn.prepare_cached(&delete_sql(table))?;
        for row in gone {
            delete.execute(rusqlite::params_from_iter(row.iter().take(keys)))?;
        }
    }
    for (old, new) in changed {
        update(conn, table, old, new)?;
    }
    for row in write {
        insert(conn, table, row)?;
    }
    Ok(())
}

/// Sets the columns of `new` that differ from `old` in the row of `table` whose key they
/// share. Only indexes over those columns are written (SQLite leaves the others), where
/// `INSERT OR REPLACE` would delete and insert the row in every index: a lot drawn on changes
/// its balance's `units`, not the `(site, custodian)` it is indexed by.
fn update(conn: &Connection, table: &Table, old: &Row, new: &Row) -> rusqlite::Result<()> {
    let keys = table.key_columns;
    let mut sets = Vec::new();
    let mut values: Vec<&Sql> = Vec::new();
    for ((column, was), is) in table.columns.iter().zip(old).zip(new).skip(keys) {
        if was != is {
            values.push(is);
            sets.push(format!("{column} = ?{}", values.len()));
        }
    }
    if sets.is_empty() {
        // Only the key differed as values (never, by the merge): written whole.
        return insert(conn, table, new);
    }
    let wheres: Vec<String> = table
        .columns
        .iter()
        .take(keys)
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", values.len() + i + 1))
        .collect();
    values.extend(new.iter().take(keys));
    let sql = format!(
        "UPDATE {} SET {} WHERE {}",
        table.name,
        sets.join(", "),
        wheres.join(" AND ")
    );
    let n = conn
        .prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(values))?;
    if n == 1 {
        Ok(())
    } else {
        // The row read a moment ago in the same transaction is gone: written whole.
        insert(conn, table, new)
    }
}

/// A total order of SQL values that is equal exactly for equal values of the same type (what
/// [`sync`] merges by; not SQLite's order).
fn value_order(a: &Sql, b: &Sql) -> std::cmp::Ordering {
    let rank = |v: &Sql| match v {
        Sql::Null => 0,
        Sql::Integer(_) => 1,
        Sql::Real(_) => 2,
        Sql::Text(_) => 3,
        Sql::Blob(_) => 4,
    };
    match (a, b) {
        (Sql::Integer(x), Sql::Integer(y)) => x.cmp(y),
        (Sql::Real(x), Sql::Real(y)) => x.total_cmp(y),
        (Sql::Text(x), Sql::Text(y)) => x.cmp(y),
        (Sql::Blob(x), Sql::Blob(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// The `WHERE` clause of `table`'s first `n` key columns, as `?1`, `?2`…
fn key_where(table: &Table, n: usize) -> String {
    let wheres: Vec<String> = table
        .columns
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    if wheres.is_empty() {
        // No key column: every row.
        return "1".to_owned();
    }
    wheres.join(" AND ")
}

fn select_sql_of(table: &Table, prefix: usize) -> String {
    format!(
        "SELECT {} FROM {} WHERE {}",
        table.columns.join(", "),
        table.name,
        key_where(table, prefix)
    )
}

fn delete_sql_of(table: &Table) -> String {
    format!(
        "DELETE FROM {} WHERE {}",
        table.name,
        key_where(table, table.key_columns)
    )
}

/// `SELECT` every column of `table`'s rows whose first `prefix` key columns are `?1`, `?2`…
fn select_sql(table: &Table, prefix: usize) -> Cow<'static, str> {
    // One cache per prefix length; no table has a key of more than 3 columns.
    static SQL: [OnceLock<Vec<String>>; 4] = [const { OnceLock::new() }; 4];
    match SQL.get(prefix) {
        Some(cache) => per_table(cache, table, |t| select_sql_of(t, prefix)),
        None => select_sql_of(table, prefix).into(),
    }
}

/// `DELETE` the row of `table` whose whole key is `?1`, `?2`…
fn delete_sql(table: &Table) -> Cow<'static, str> {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    per_table(&SQL, table, delete_sql_of)
}
