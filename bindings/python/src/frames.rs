//! Tables for pandas. Columns are gathered in Rust a chunk of events at a time, with the GIL
//! released and the ledger locked once per chunk, and handed to `custodia._frames` as numpy
//! buffers (integers, timestamps, categorical codes) or lists of str: no per-row Python dicts.
//!
//! The transfer, destruction and authorisation tables read the members of the stored events
//! as `docs/FORMAT.md` names them; the front door has no typed rows for them (see the
//! binding's notes in docs/PYTHON.md).

use std::collections::HashMap;

use custodia::{Balance, Error, ErrorKind, EventRecord, StockLine, StockTotal};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyTuple};
use serde_json::Value;

use crate::ledger::Ledger;

/// The tables `to_pandas` builds.
pub(crate) const TABLES: [&str; 7] = [
    "events",
    "balances",
    "stock_on_hand",
    "stock_totals",
    "transfers",
    "destructions",
    "authorisations",
];

/// Events read per chunk while building a table.
pub(crate) const FRAME_CHUNK_EVENTS: u64 = 65_536;

/// "Not a time" in a timestamp column (numpy's NaT).
const NAT: i64 = i64::MIN;
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// One column.
pub(crate) enum Column {
    /// `int64`.
    Int(Vec<i64>),
    /// `datetime64[ns, UTC]`; [`NAT`] for none.
    Time(Vec<i64>),
    /// Text (`None` allowed).
    Text(Vec<Option<String>>),
    /// Categorical: codes into `categories` (-1 for none).
    Category {
        codes: Vec<i32>,
        categories: Vec<String>,
        lookup: HashMap<String, i32>,
    },
}

impl Column {
    fn category() -> Self {
        Column::Category {
            codes: Vec::new(),
            categories: Vec::new(),
            lookup: HashMap::new(),
        }
    }
}

/// Named columns of equal length.
pub(crate) struct Table {
    names: Vec<&'static str>,
    columns: Vec<Column>,
}

/// A typed handle on one column, so that rows are pushed without string lookups.
#[derive(Clone, Copy)]
struct Col(usize);

impl Table {
    fn new() -> Self {
        Table {
            names: Vec::new(),
            columns: Vec::new(),
        }
    }

    fn add(&mut self, name: &'static str, column: Column) -> Col {
        self.names.push(name);
        self.columns.push(column);
        Col(self.columns.len() - 1)
    }

    fn int(&mut self, c: Col, v: i64) {
        if let Some(Column::Int(x)) = self.columns.get_mut(c.0) {
            x.push(v);
        }
    }

    fn time(&mut self, c: Col, seconds: Option<i64>) {
        if let Some(Column::Time(x)) = self.columns.get_mut(c.0) {
            x.push(seconds.map_or(NAT, |s| s.saturating_mul(NANOS_PER_SECOND)));
        }
    }

    fn text(&mut self, c: Col, v: Option<&str>) {
        if let Some(Column::Text(x)) = self.columns.get_mut(c.0) {
            x.push(v.map(str::to_owned));
        }
    }

    fn cat(&mut self, c: Col, v: Option<&str>) {
        if let Some(Column::Category {
            codes,
            categories,
            lookup,
        }) = self.columns.get_mut(c.0)
        {
            let code = match v {
                None => -1,
                Some(v) => match lookup.get(v) {
                    Some(code) => *code,
                    None => {
                        let code = i32::try_from(categories.len()).unwrap_or(i32::MAX);
                        categories.push(v.to_owned());
                        lookup.insert(v.to_owned(), code);
                        code
                    }
                },
            };
            codes.push(code);
        }
    }

    fn set_int(&mut self, c: Col, row: usize, v: i64) {
        if let Some(Column::Int(x)) = self.columns.get_mut(c.0)
            && let Some(slot) = x.get_mut(row)
        {
            *slot = v;
        }
    }

    fn set_time(&mut self, c: Col, row: usize, seconds: i64) {
        if let Some(Column::Time(x)) = self.columns.get_mut(c.0)
            && let Some(slot) = x.get_mut(row)
        {
            *slot = seconds.saturating_mul(NANOS_PER_SECOND);
        }
    }

    fn set_text(&mut self, c: Col, row: usize, v: &str) {
        if let Some(Column::Text(x)) = self.columns.get_mut(c.0)
            && let Some(slot) = x.get_mut(row)
        {
            *slot = Some(v.to_owned());
        }
    }

    fn set_cat(&mut self, c: Col, row: usize, v: &str) {
        // Pushes the value to learn its code, then moves the code to `row`.
        self.cat(c, Some(v));
        if let Some(Column::Category { codes, .. }) = self.columns.get_mut(c.0)
            && let Some(code) = codes.pop()
            && let Some(slot) = codes.get_mut(row)
        {
            *slot = code;
        }
    }
}

fn le_bytes<T: Copy, const N: usize>(values: &[T], to: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * N);
    for v in values {
        out.extend_from_slice(&to(*v));
    }
    out
}

static FRAMES: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn frames_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    Ok(FRAMES
        .get_or_try_init(py, || py.import("custodia._frames").map(Bound::unbind))?
        .bind(py))
}

/// Raises `ImportError` naming the extra to install when pandas is missing, before any work.
pub(crate) fn require_pandas(py: Python<'_>) -> PyResult<()> {
    frames_module(py)?.call_method0("require_pandas")?;
    Ok(())
}

/// Hands the columns to `custodia._frames.build`, which makes the DataFrame.
pub(crate) fn to_dataframe<'py>(py: Python<'py>, table: &Table) -> PyResult<Bound<'py, PyAny>> {
    let columns = PyList::empty(py);
    for (name, column) in table.names.iter().zip(&table.columns) {
        let spec: Bound<'py, PyTuple> = match column {
            Column::Int(v) => PyTuple::new(
                py,
                [
                    name.into_pyobject(py)?.into_any(),
                    "int64".into_pyobject(py)?.into_any(),
                    PyBytes::new(py, &le_bytes(v, i64::to_le_bytes)).into_any(),
                ],
            )?,
            Column::Time(v) => PyTuple::new(
                py,
                [
                    name.into_pyobject(py)?.into_any(),
                    "time".into_pyobject(py)?.into_any(),
                    PyBytes::new(py, &le_bytes(v, i64::to_le_bytes)).into_any(),
                ],
            )?,
            Column::Text(v) => PyTuple::new(
                py,
                [
                    name.into_pyobject(py)?.into_any(),
                    "str".into_pyobject(py)?.into_any(),
                    PyList::new(py, v.iter().map(Option::as_deref))?.into_any(),
                ],
            )?,
            Column::Category {
                codes, categories, ..
            } => PyTuple::new(
                py,
                [
                    name.into_pyobject(py)?.into_any(),
                    "category".into_pyobject(py)?.into_any(),
                    PyTuple::new(
                        py,
                        [
                            PyBytes::new(py, &le_bytes(codes, i32::to_le_bytes)).into_any(),
                            PyList::new(py, categories)?.into_any(),
                        ],
                    )?
                    .into_any(),
                ],
            )?,
        };
        columns.append(spec)?;
    }
    frames_module(py)?.call_method1("build", (columns,))
}

/// Scans events `start..stop` a chunk at a time; `keep` says which records to parse (by
/// kind), `row` adds rows for one parsed event.
fn scan(
    py: Python<'_>,
    ledger: &Ledger,
    start: u64,
    stop: u64,
    keep: fn(&str) -> bool,
    mut row: impl FnMut(&EventRecord, Option<&Value>) -> Result<(), Error> + Send,
) -> PyResult<()> {
    let mut next = start;
    while next < stop {
        let end = next.saturating_add(FRAME_CHUNK_EVENTS).min(stop);
        let seen = ledger.with(py, |l| {
            let mut seen = 0u64;
            l.for_each_event(next, end, &mut |r| {
                seen += 1;
                if keep(&r.kind) {
                    let (r, v) = crate::ledger::parse_record(r)?;
                    row(&r, Some(&v))?;
                } else {
                    row(&r, None)?;
                }
                Ok(true)
            })?;
            Ok(seen)
        })?;
        if seen < end - next {
            break;
        }
        next = end;
    }
    Ok(())
}

fn quantity(v: &Value, what: &str) -> Result<i64, Error> {
    v.as_u64()
        .and_then(|q| i64::try_from(q).ok())
        .ok_or_else(|| {
            Error::new(ErrorKind::Internal {
                detail: format!("{what} is not a quantity: {v}"),
            })
        })
}

fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn array_at<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Stock lines of an event body: `(kind, stock, units)` for `items` and `lots`.
fn body_lines(body: &Value) -> Result<Vec<(&'static str, String, i64)>, Error> {
    let mut out = Vec::new();
    for item in array_at(body, "/items") {
        if let Some(id) = item.as_str() {
            out.push(("item", id.to_owned(), 1));
        }
    }
    for lot in array_at(body, "/lots") {
        if let Some(id) = str_at(lot, "/lot") {
            let q = quantity(
                lot.get("quantity").unwrap_or(&Value::Null),
                "a lot quantity",
            )?;
            out.push(("lot", id.to_owned(), q));
        }
    }
    Ok(out)
}

/// One row per event: `index`, `id`, `kind`, `at`, `actor`.
pub(crate) fn events(py: Python<'_>, ledger: &Ledger, start: u64, stop: u64) -> PyResult<Table> {
    let mut t = Table::new();
    let index = t.add("index", Column::Int(Vec::new()));
    let id = t.add("id", Column::Text(Vec::new()));
    let kind = t.add("kind", Column::category());
    let at = t.add("at", Column::Time(Vec::new()));
    let actor = t.add("actor", Column::category());
    scan(
        py,
        ledger,
        start,
        stop,
        |_| false,
        |r, _| {
            t.int(index, i64::try_from(r.index).unwrap_or(i64::MAX));
            t.text(id, Some(&r.id.to_hex()));
            t.cat(kind, Some(&r.kind));
            t.time(at, Some(r.at.unix_seconds()));
            t.cat(actor, Some(r.actor.as_str()));
            Ok(())
        },
    )?;
    Ok(t)
}

/// One row per stock line of each transfer dispatch, with what its receipt acknowledged.
pub(crate) fn transfers(py: Python<'_>, ledger: &Ledger, start: u64, stop: u64) -> PyResult<Table> {
    let mut t = Table::new();
    let c_index = t.add("dispatch_index", Column::Int(Vec::new()));
    let c_id = t.add("dispatch_id", Column::Text(Vec::new()));
    let c_at = t.add("dispatched_at", Column::Time(Vec::new()));
    let c_from_site = t.add("from_site", Column::category());
    let c_from_cust = t.add("from_custodian", Column::category());
    let c_to_site = t.add("to_site", Column::category());
    let c_to_cust = t.add("to_custodian", Column::category());
    let c_kind = t.add("kind", Column::category());
    let c_stock = t.add("stock", Column::Text(Vec::new()));
    let c_sent = t.add("units_sent", Column::Int(Vec::new()));
    let c_status = t.add("status", Column::category());
    let c_receipt = t.add("receipt_id", Column::Text(Vec::new()));
    let c_received_at = t.add("received_at", Column::Time(Vec::new()));
    let c_received = t.add("units_received", Column::Int(Vec::new()));
    // Dispatch id -> its rows (stock, row); bounded by the transfers in the range.
    let mut open: HashMap<String, Vec<(String, usize)>> = HashMap::new();
    let mut rows = 0usize;
    let keep = |k: &str| k == "transfer_dispatch" || k == "transfer_receipt";
    scan(py, ledger, start, stop, keep, |r, v| {
        let Some(v) = v else { return Ok(()) };
        let dispatch_id = r.id.to_hex();
        if r.kind == "transfer_dispatch" {
            let mut mine = Vec::new();
            for (kind, stock, units) in body_lines(v)? {
                t.int(c_index, i64::try_from(r.index).unwrap_or(i64::MAX));
                t.text(c_id, Some(&dispatch_id));
                t.time(c_at, Some(r.at.unix_seconds()));
                t.cat(c_from_site, str_at(v, "/from/site"));
                t.cat(c_from_cust, str_at(v, "/from/custodian"));
                t.cat(c_to_site, str_at(v, "/to/site"));
                t.cat(c_to_cust, str_at(v, "/to/custodian"));
                t.cat(c_kind, Some(kind));
                t.text(c_stock, Some(&stock));
                t.int(c_sent, units);
                t.cat(c_status, Some("in_transit"));
                t.text(c_receipt, None);
                t.time(c_received_at, None);
                t.int(c_received, 0);
                mine.push((stock, rows));
                rows += 1;
            }
            open.insert(dispatch_id, mine);
        } else if let Some(dispatch) = str_at(v, "/dispatch")
            && let Some(mine) = open.remove(dispatch)
        {
            let arrived: HashMap<String, i64> = body_lines(v)?
                .into_iter()
                .map(|(_, stock, units)| (stock, units))
                .collect();
            for (stock, row) in mine {
                t.set_cat(c_status, row, "received");
                t.set_text(c_receipt, row, &dispatch_id);
                t.set_time(c_received_at, row, r.at.unix_seconds());
                t.set_int(c_received, row, arrived.get(&stock).copied().unwrap_or(0));
            }
        }
        Ok(())
    })?;
    Ok(t)
}

/// One row per stock line destroyed.
pub(crate) fn destructions(
    py: Python<'_>,
    ledger: &Ledger,
    start: u64,
    stop: u64,
) -> PyResult<Table> {
    let mut t = Table::new();
    let c_index = t.add("index", Column::Int(Vec::new()));
    let c_id = t.add("id", Column::Text(Vec::new()));
    let c_at = t.add("at", Column::Time(Vec::new()));
    let c_site = t.add("site", Column::category());
    let c_cust = t.add("custodian", Column::category());
    let c_method = t.add("method", Column::category());
    let c_cert = t.add("certificate", Column::Text(Vec::new()));
    let c_auth = t.add("authorisation", Column::Text(Vec::new()));
    let c_kind = t.add("kind", Column::category());
    let c_stock = t.add("stock", Column::Text(Vec::new()));
    let c_units = t.add("units", Column::Int(Vec::new()));
    let c_witnesses = t.add("witnesses", Column::Int(Vec::new()));
    scan(
        py,
        ledger,
        start,
        stop,
        |k| k == "destruction",
        |r, v| {
            let Some(v) = v else { return Ok(()) };
            let id = r.id.to_hex();
            let witnesses = i64::try_from(array_at(v, "/witnesses").len()).unwrap_or(i64::MAX);
            for (kind, stock, units) in body_lines(v)? {
                t.int(c_index, i64::try_from(r.index).unwrap_or(i64::MAX));
                t.text(c_id, Some(&id));
                t.time(c_at, Some(r.at.unix_seconds()));
                t.cat(c_site, str_at(v, "/site"));
                t.cat(c_cust, str_at(v, "/custodian"));
                t.cat(c_method, str_at(v, "/method"));
                t.text(c_cert, str_at(v, "/certificate"));
                t.text(c_auth, str_at(v, "/authorisation"));
                t.cat(c_kind, Some(kind));
                t.text(c_stock, Some(&stock));
                t.int(c_units, units);
                t.int(c_witnesses, witnesses);
            }
            Ok(())
        },
    )?;
    Ok(t)
}

/// One row per stock line authorised for destruction.
pub(crate) fn authorisations(
    py: Python<'_>,
    ledger: &Ledger,
    start: u64,
    stop: u64,
) -> PyResult<Table> {
    let mut t = Table::new();
    let c_index = t.add("index", Column::Int(Vec::new()));
    let c_id = t.add("id", Column::Text(Vec::new()));
    let c_at = t.add("at", Column::Time(Vec::new()));
    let c_actor = t.add("actor", Column::category());
    let c_reference = t.add("reference", Column::Text(Vec::new()));
    let c_kind = t.add("kind", Column::category());
    let c_stock = t.add("stock", Column::Text(Vec::new()));
    let c_units = t.add("units", Column::Int(Vec::new()));
    let keep = |k: &str| k == "destruction_authorisation";
    scan(py, ledger, start, stop, keep, |r, v| {
        let Some(v) = v else { return Ok(()) };
        let id = r.id.to_hex();
        for (kind, stock, units) in body_lines(v)? {
            t.int(c_index, i64::try_from(r.index).unwrap_or(i64::MAX));
            t.text(c_id, Some(&id));
            t.time(c_at, Some(r.at.unix_seconds()));
            t.cat(c_actor, Some(r.actor.as_str()));
            t.text(c_reference, str_at(v, "/reference"));
            t.cat(c_kind, Some(kind));
            t.text(c_stock, Some(&stock));
            t.int(c_units, units);
        }
        Ok(())
    })?;
    Ok(t)
}

/// The value of a serialisable enum as its JSON text (`"1.4"`, `"serviceable"`).
fn enum_text(v: &impl serde::Serialize) -> Option<String> {
    match serde_json::to_value(v).ok()? {
        Value::String(s) => Some(s),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The balances table.
pub(crate) fn balances(rows: &[Balance]) -> Table {
    let mut t = Table::new();
    let kind = t.add("kind", Column::category());
    let stock = t.add("stock", Column::Text(Vec::new()));
    let account = t.add("account", Column::category());
    let site = t.add("site", Column::category());
    let custodian = t.add("custodian", Column::category());
    let units = t.add("units", Column::Int(Vec::new()));
    for b in rows {
        t.cat(kind, Some(b.kind.as_str()));
        t.text(stock, Some(&b.stock));
        t.cat(account, Some(&b.account));
        t.cat(site, b.site.as_ref().map(|s| s.as_str()));
        t.cat(custodian, b.custodian.as_ref().map(|c| c.as_str()));
        t.int(units, b.units);
    }
    t
}

/// The stock on hand table, one row per holding and stock.
pub(crate) fn stock_lines(rows: &[StockLine]) -> Table {
    let mut t = Table::new();
    let site = t.add("site", Column::category());
    let custodian = t.add("custodian", Column::category());
    let kind = t.add("kind", Column::category());
    let stock = t.add("stock", Column::Text(Vec::new()));
    let description = t.add("description", Column::category());
    let lot_number = t.add("lot_number", Column::Text(Vec::new()));
    let unit = t.add("unit", Column::category());
    let division = t.add("hazard_division", Column::category());
    let group = t.add("compatibility_group", Column::category());
    let condition = t.add("condition", Column::category());
    let disposition = t.add("disposition", Column::category());
    let units = t.add("units", Column::Int(Vec::new()));
    let neq = t.add("neq_mg", Column::Int(Vec::new()));
    for l in rows {
        t.cat(site, Some(l.site.as_str()));
        t.cat(custodian, Some(l.custodian.as_str()));
        t.cat(kind, Some(l.kind.as_str()));
        t.text(stock, Some(&l.stock));
        t.cat(description, Some(&l.description));
        t.text(lot_number, l.lot_number.as_deref());
        t.cat(unit, Some(&l.unit));
        t.cat(
            division,
            l.hazard_division.as_ref().and_then(enum_text).as_deref(),
        );
        t.cat(
            group,
            l.compatibility_group
                .as_ref()
                .and_then(enum_text)
                .as_deref(),
        );
        t.cat(condition, enum_text(&l.condition).as_deref());
        t.cat(disposition, enum_text(&l.disposition).as_deref());
        t.int(units, l.units);
        t.int(neq, l.neq_mg);
    }
    t
}

/// Totals per site and hazard division.
pub(crate) fn stock_totals(rows: &[StockTotal]) -> Table {
    let mut t = Table::new();
    let site = t.add("site", Column::category());
    let division = t.add("hazard_division", Column::category());
    let units = t.add("units", Column::Int(Vec::new()));
    let neq = t.add("neq_mg", Column::Int(Vec::new()));
    for r in rows {
        t.cat(site, Some(r.site.as_str()));
        t.cat(
            division,
            r.hazard_division.as_ref().and_then(enum_text).as_deref(),
        );
        t.int(units, r.units);
        t.int(neq, r.neq_mg);
    }
    t
}

/// Stock on hand totals after each period of `every` seconds (`Ledger::stock_history`: the
/// stored events' state replayed once in the library), one row per snapshot, site and hazard
/// division.
pub(crate) fn stock_history(py: Python<'_>, ledger: &Ledger, every: i64) -> PyResult<Table> {
    let snapshots = ledger.with(py, |l| l.stock_history(every))?;
    let mut t = Table::new();
    let c_at = t.add("at", Column::Time(Vec::new()));
    let c_site = t.add("site", Column::category());
    let c_division = t.add("hazard_division", Column::category());
    let c_units = t.add("units", Column::Int(Vec::new()));
    let c_neq = t.add("neq_mg", Column::Int(Vec::new()));
    for snapshot in &snapshots {
        let at = snapshot.at.unix_seconds();
        for total in &snapshot.totals {
            t.time(c_at, Some(at));
            t.cat(c_site, Some(total.site.as_str()));
            t.cat(
                c_division,
                total
                    .hazard_division
                    .as_ref()
                    .and_then(enum_text)
                    .as_deref(),
            );
            t.int(c_units, total.units);
            t.int(c_neq, total.neq_mg);
        }
    }
    Ok(t)
}
