//! `custodia.Ledger`: one ledger file (or an in-memory ledger) behind a mutex, so that every
//! call can release the GIL while `custodia` works. Every method is a calling convention over
//! the front door (`custodia::Ledger`): arguments checked and converted, rows turned into plain
//! dicts, errors into the exception of their family.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use custodia::model::{ActorId, EventId, LotId, SiteId, Timestamp};
use custodia::rules::RuleEngine;
use custodia::{BalanceFilter, Error, ErrorKind, EventRecord, MarkingQuery, Options, StockFilter};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::Value;

use crate::convert::{
    arg, events_to_jsonl, id_arg, opt_arg, opt_id_arg, rows_to_py, text_arg, value_to_py,
};
use crate::error::{IntoErr, IntoPyResult, invalid_argument, panic_error, quote, type_name};
use crate::frames;
use crate::keys::Key;
use crate::rules::RuleSet;

/// Events fetched from the file per chunk while iterating (the GIL is released, and the
/// ledger locked, once per chunk).
pub(crate) const ITER_CHUNK_EVENTS_DEFAULT: u64 = 4096;
/// Largest chunk a caller may ask for.
pub(crate) const ITER_CHUNK_EVENTS_MAX: u64 = 1 << 20;

/// A ledger. Open one with `Ledger.open`, create one with `Ledger.create`; use it in a `with`
/// block, or `close()` it.
#[pyclass(frozen, module = "custodia._custodia", name = "Ledger")]
pub(crate) struct Ledger {
    inner: Mutex<Option<custodia::Ledger>>,
    path: Option<PathBuf>,
    /// The rule engine given, kept to be shown and replaced (`set_rules`).
    rules: Mutex<Option<Arc<dyn RuleEngine>>>,
}

/// The rule engine a `rules=` argument names: a `RuleSet`, or a folder of plugins.
fn rules_arg(
    py: Python<'_>,
    rules: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Arc<dyn RuleEngine>>> {
    let Some(rules) = rules.filter(|r| !r.is_none()) else {
        return Ok(None);
    };
    if let Ok(set) = rules.cast::<RuleSet>() {
        return Ok(Some(set.get().engine()));
    }
    let dir: PathBuf = arg(
        rules,
        "rules",
        "RuleSet or a folder of plugins (str or os.PathLike)",
    )?;
    let set = RuleSet::load_dir(py, &dir)?;
    Ok(Some(set.engine()))
}

fn key_arg(key: &Bound<'_, PyAny>, name: &str) -> PyResult<custodia::Signer> {
    match key.cast::<Key>() {
        Ok(k) => Ok(k.get().signer()),
        Err(_) => Err(invalid_argument(
            name,
            &quote(key),
            format!("expected custodia.Key, got `{}`", type_name(key)),
        )
        .into_err(key.py())),
    }
}

/// `keys`: one `Key` or a sequence of them, the recording actor's first.
fn keys_arg(keys: &Bound<'_, PyAny>) -> PyResult<Vec<custodia::Signer>> {
    if keys.cast::<Key>().is_ok() {
        return Ok(vec![key_arg(keys, "keys")?]);
    }
    let not_keys = || {
        invalid_argument(
            "keys",
            &quote(keys),
            format!(
                "expected custodia.Key or a list of them, got `{}`",
                type_name(keys)
            ),
        )
        .into_err(keys.py())
    };
    if keys.is_instance_of::<PyString>() {
        return Err(not_keys());
    }
    let iter = keys.try_iter().map_err(|_| not_keys())?;
    let mut out = Vec::new();
    for k in iter {
        out.push(key_arg(&k?, "keys")?);
    }
    Ok(out)
}

/// A point in time: `YYYY-MM-DDTHH:MM:SSZ`, or a timezone-aware `datetime`.
fn time_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Timestamp> {
    let py = obj.py();
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow()?;
        return Timestamp::parse(&text)
            .map_err(|e| invalid_argument(name, &text, e.to_string()).into_err(py));
    }
    if obj.hasattr("tzinfo")? && obj.hasattr("timestamp")? {
        if obj.getattr("tzinfo")?.is_none() {
            return Err(invalid_argument(
                name,
                &quote(obj),
                "a naive datetime is ambiguous: give it a timezone (e.g. timezone.utc)",
            )
            .into_err(py));
        }
        let seconds: f64 = obj.call_method0("timestamp")?.extract()?;
        // Whole seconds: the event format has no fractions.
        let seconds = seconds.floor();
        if !seconds.is_finite() || seconds.abs() > 1e15 {
            return Err(invalid_argument(name, &quote(obj), "out of range").into_err(py));
        }
        return Timestamp::from_unix_seconds(seconds as i64)
            .map_err(|e| invalid_argument(name, &quote(obj), e.to_string()).into_err(py));
    }
    Err(invalid_argument(
        name,
        &quote(obj),
        format!(
            "expected a `YYYY-MM-DDTHH:MM:SSZ` str or an aware datetime, got `{}`",
            type_name(obj)
        ),
    )
    .into_err(py))
}

fn now() -> Result<Timestamp, Error> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|e| {
            Error::new(ErrorKind::Internal {
                detail: format!("the system clock is before 1970: {e}"),
            })
        })?;
    let seconds = i64::try_from(seconds).map_err(|_| {
        Error::new(ErrorKind::Internal {
            detail: "the system clock is out of range".into(),
        })
    })?;
    Timestamp::from_unix_seconds(seconds).map_err(|e| {
        Error::new(ErrorKind::Internal {
            detail: e.to_string(),
        })
    })
}

/// An event as Python sees it: the record's columns and the signed event itself.
pub(crate) fn record_to_py<'py>(
    py: Python<'py>,
    record: &EventRecord,
    event: &Value,
) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("index", record.index)?;
    d.set_item("id", record.id.to_hex())?;
    d.set_item("kind", &record.kind)?;
    d.set_item("at", record.at.as_str())?;
    d.set_item("actor", record.actor.as_str())?;
    d.set_item("event", value_to_py(py, event)?)?;
    Ok(d.into_any())
}

/// Parses the stored line of a record (done with the GIL released).
pub(crate) fn parse_record(record: EventRecord) -> Result<(EventRecord, Value), Error> {
    let value = serde_json::from_str(&record.json).map_err(|e| {
        Error::new(ErrorKind::Damaged {
            what: format!("stored event {} is not JSON: {e}", record.index),
        })
        .at_index(record.index)
    })?;
    Ok((record, value))
}

impl Ledger {
    fn wrap(ledger: custodia::Ledger, rules: Option<Arc<dyn RuleEngine>>) -> Self {
        Ledger {
            path: ledger.path().map(std::path::Path::to_path_buf),
            inner: Mutex::new(Some(ledger)),
            rules: Mutex::new(rules),
        }
    }

    fn shown_path(&self) -> String {
        self.path
            .as_deref()
            .map_or_else(|| ":memory:".to_owned(), |p| p.display().to_string())
    }

    /// Runs `f` on the open ledger, in a panic boundary, without the GIL. A panic closes the
    /// ledger (its connection rolls back whatever it had begun): its state in memory can no
    /// longer be trusted, and reopening the file is cheap.
    pub(crate) fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut custodia::Ledger) -> Result<T, Error> + Send,
    ) -> PyResult<T> {
        py.detach(|| self.locked(f)).into_py(py)
    }

    fn locked<T>(
        &self,
        f: impl FnOnce(&mut custodia::Ledger) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // INVARIANT (no-poison): `f` runs inside `catch_unwind`, so the lock is never held by a
        // panicking thread; should it be poisoned all the same, the slot is still consistent
        // (it is only ever replaced whole).
        let mut slot = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(ledger) = slot.as_mut() else {
            return Err(invalid_argument(
                "ledger",
                &self.shown_path(),
                "the ledger is closed",
            ));
        };
        match catch_unwind(AssertUnwindSafe(|| f(ledger))) {
            Ok(result) => result,
            Err(payload) => {
                let broken = slot.take();
                let _ = catch_unwind(AssertUnwindSafe(move || drop(broken)));
                Err(panic_error(payload.as_ref()))
            }
        }
    }

    fn is_closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Events `start..stop` as parsed records, with the GIL released.
    pub(crate) fn fetch(
        &self,
        py: Python<'_>,
        start: u64,
        stop: u64,
    ) -> PyResult<Vec<(EventRecord, Value)>> {
        self.with(py, |l| {
            let mut out = Vec::new();
            l.for_each_event(start, stop, &mut |r| {
                out.push(parse_record(r)?);
                Ok(true)
            })?;
            Ok(out)
        })
    }
}

#[pymethods]
impl Ledger {
    /// Creates a new ledger file; `key` is the log key that signs its tree heads (keep it out
    /// of the file). Refuses a path that exists.
    #[staticmethod]
    #[pyo3(signature = (path, key, *, origin=None, rules=None))]
    fn create(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        origin: Option<&Bound<'_, PyAny>>,
        rules: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let path: PathBuf = arg(path, "path", "str or os.PathLike")?;
        let signer = key_arg(key, "key")?;
        let origin: Option<String> = opt_arg(origin, "origin", "str")?;
        let engine = rules_arg(py, rules)?;
        let mut options = Options::new().log_key(signer);
        if let Some(o) = origin {
            options = options.origin(o);
        }
        if let Some(e) = &engine {
            options = options.rules(e.clone());
        }
        let ledger = crate::error::run(py, || custodia::Ledger::create(&path, options))?;
        Ok(Ledger::wrap(ledger, engine))
    }

    /// Opens a ledger file. Without `key` (its log key) it is read-only: every query works,
    /// appends raise `StorageError` (`ReadOnly`).
    #[staticmethod]
    #[pyo3(signature = (path, key=None, *, rules=None, read_only=false))]
    fn open(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
        rules: Option<&Bound<'_, PyAny>>,
        read_only: bool,
    ) -> PyResult<Self> {
        let path: PathBuf = arg(path, "path", "str or os.PathLike")?;
        let signer = match key.filter(|k| !k.is_none()) {
            Some(k) => Some(key_arg(k, "key")?),
            None => None,
        };
        let engine = rules_arg(py, rules)?;
        let mut options = Options::new().read_only(read_only);
        if let Some(s) = signer {
            options = options.log_key(s);
        }
        if let Some(e) = &engine {
            options = options.rules(e.clone());
        }
        let ledger = crate::error::run(py, || custodia::Ledger::open(&path, options))?;
        Ok(Ledger::wrap(ledger, engine))
    }

    /// A new ledger in memory, for tests and scratch work; a log key is generated when none
    /// is given.
    #[staticmethod]
    #[pyo3(signature = (key=None, *, origin=None, rules=None))]
    fn in_memory(
        py: Python<'_>,
        key: Option<&Bound<'_, PyAny>>,
        origin: Option<&Bound<'_, PyAny>>,
        rules: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let signer = match key.filter(|k| !k.is_none()) {
            Some(k) => Some(key_arg(k, "key")?),
            None => None,
        };
        let origin: Option<String> = opt_arg(origin, "origin", "str")?;
        let engine = rules_arg(py, rules)?;
        let mut options = Options::new();
        if let Some(s) = signer {
            options = options.log_key(s);
        }
        if let Some(o) = origin {
            options = options.origin(o);
        }
        if let Some(e) = &engine {
            options = options.rules(e.clone());
        }
        let ledger = crate::error::run(py, || custodia::Ledger::in_memory(options))?;
        Ok(Ledger::wrap(ledger, engine))
    }

    /// The file, or `None` for an in-memory ledger.
    #[getter]
    fn path(&self) -> Option<String> {
        self.path.as_deref().map(|p| p.display().to_string())
    }

    /// The log's origin, the first line of its checkpoints.
    #[getter]
    fn origin(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |l| Ok(l.origin()))
    }

    /// The public key that signs this ledger's tree heads (hex).
    #[getter]
    fn log_key(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |l| Ok(l.log_key().to_hex()))
    }

    /// Whether appends are possible (opened with the log key, not read-only).
    #[getter]
    fn writable(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, |l| Ok(l.is_writable()))
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.is_closed()
    }

    /// Closes the file. Further calls raise `UsageError`; closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        let taken = py.detach(|| {
            self.inner
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
        });
        // Dropping closes the SQLite connection; it can take a checkpoint of the WAL.
        py.detach(move || {
            let _ = catch_unwind(AssertUnwindSafe(move || drop(taken)));
        });
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        let n = self.with(py, |l| l.len())?;
        usize::try_from(n).map_err(|_| {
            Error::new(ErrorKind::Internal {
                detail: format!("{n} events do not fit in a Python length"),
            })
            .into_err(py)
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let path = self.shown_path();
        match self.with(py, |l| Ok((l.len()?, l.is_writable()))) {
            Ok((n, w)) => format!(
                "Ledger('{path}', events={n}, {})",
                if w { "writable" } else { "read-only" }
            ),
            Err(_) => format!("Ledger('{path}', closed)"),
        }
    }

    /// A small summary table for notebooks.
    fn _repr_html_(&self, py: Python<'_>) -> PyResult<String> {
        let path = self.shown_path();
        if self.is_closed() {
            return Ok(crate::html::closed(&path));
        }
        let summary = self.with(py, |l| l.summary())?;
        Ok(crate::html::summary_table(&path, &summary))
    }

    // ---- writing ------------------------------------------------------------------------

    /// Appends signed events as one batch, all or nothing: a list of dicts, one dict, or JSON
    /// lines (str or bytes). Returns the append report (each event's index and id, the new
    /// tree head).
    fn append<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let jsonl = events_to_jsonl(events, "events").into_py(py)?;
        let report = self.with(py, |l| l.append_json_lines(&jsonl))?;
        rows_to_py(py, &report)
    }

    /// Signs unsigned events (dicts or JSON lines, without `id` and `signatures`) with `keys`
    /// (the recording actor's key first, then co-signers): fills `v` and the parents from the
    /// ledger and the events before them. Nothing is appended. Returns the signed events.
    fn sign<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
        keys: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let jsonl = events_to_jsonl(events, "events").into_py(py)?;
        let signers = keys_arg(keys)?;
        let values = self.with(py, |l| {
            let refs: Vec<&custodia::Signer> = signers.iter().collect();
            let signed = l.sign_json_lines(&jsonl, &refs)?;
            signed
                .iter()
                .map(|e| e.to_value())
                .collect::<Result<Vec<_>, _>>()
        })?;
        let list = PyList::empty(py);
        for v in &values {
            list.append(value_to_py(py, v)?)?;
        }
        Ok(list.into_any())
    }

    /// Signs and appends, all or nothing: `sign` then `append`.
    fn record<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
        keys: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let jsonl = events_to_jsonl(events, "events").into_py(py)?;
        let signers = keys_arg(keys)?;
        let report = self.with(py, |l| {
            let refs: Vec<&custodia::Signer> = signers.iter().collect();
            let signed = l.sign_json_lines(&jsonl, &refs)?;
            l.append(&signed)
        })?;
        rows_to_py(py, &report)
    }

    /// Puts rule plugins in force from now on: a `rules_in_force` event recorded by `actor`
    /// (an administrator) and signed with `key`. `rules` is a `RuleSet` or a list of
    /// `{"name", "version", "sha256"}`. Returns the signed event.
    #[pyo3(signature = (rules, actor, key, at=None))]
    fn put_rules_in_force<'py>(
        &self,
        py: Python<'py>,
        rules: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let refs = match rules.cast::<RuleSet>() {
            Ok(set) => set.get().rule_refs(),
            Err(_) => {
                let value = crate::convert::py_to_value(rules, "", 0).into_py(py)?;
                serde_json::from_value::<Vec<custodia::event::RuleRef>>(value).map_err(|e| {
                    invalid_argument(
                        "rules",
                        &quote(rules),
                        format!("expected a RuleSet or a list of {{name, version, sha256}}: {e}"),
                    )
                    .into_err(py)
                })?
            }
        };
        let actor: ActorId = id_arg(actor, "actor")?;
        let signer = key_arg(key, "key")?;
        let at = match at.filter(|a| !a.is_none()) {
            Some(a) => time_arg(a, "at")?,
            None => now().into_py(py)?,
        };
        let value = self.with(py, |l| {
            let signed = l.put_rules_in_force(refs, &actor, at, &signer)?;
            signed.to_value()
        })?;
        value_to_py(py, &value)
    }

    /// Sets (or with `None` removes) the rule engine that judges events while rules are in
    /// force: a `RuleSet` or a folder of plugins.
    fn set_rules(&self, py: Python<'_>, rules: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let engine = rules_arg(py, rules)?;
        let for_ledger = engine.clone();
        self.with(py, move |l| {
            l.set_rules(for_ledger);
            Ok(())
        })?;
        *self.rules.lock().unwrap_or_else(PoisonError::into_inner) = engine;
        Ok(())
    }

    // ---- verification -------------------------------------------------------------------

    /// Re-checks everything from the stored bytes (ids, signatures, parents, rule verdicts,
    /// Merkle nodes, tree heads, derived tables). Returns a report; a failed check is the
    /// report's `failure`, not an exception.
    fn verify(&self, py: Python<'_>) -> PyResult<VerifyReport> {
        let report = self.with(py, |l| l.verify())?;
        let failure = report
            .failure
            .as_ref()
            .map(|e| crate::error::to_py_err(py, e).into_value(py).into_any());
        Ok(VerifyReport {
            ok: report.ok,
            events: report.events,
            tree_heads: report.tree_heads,
            state_digest: report.state_digest.to_hex(),
            failure,
            code: report.failure.as_ref().map(|e| e.code().get()),
            name: report.failure.as_ref().map(|e| e.code().name().to_owned()),
            family: report
                .failure
                .as_ref()
                .map(|e| e.family().name().to_owned()),
            index: report.failure.as_ref().and_then(Error::index),
            event_id: report
                .failure
                .as_ref()
                .and_then(Error::event)
                .map(|id| id.to_hex()),
            field: report
                .failure
                .as_ref()
                .and_then(|e| e.field().map(str::to_owned)),
            message: report.failure.as_ref().map(Error::message),
        })
    }

    // ---- the Merkle log -----------------------------------------------------------------

    /// The latest signed tree head (C2SP checkpoint).
    fn head<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let head = self.with(py, |l| l.tree_head())?;
        rows_to_py(py, &head)
    }

    /// Inclusion proof (RFC 9162) of an event in the tree of `size` events (default: all).
    #[pyo3(signature = (event_id, size=None))]
    fn prove<'py>(
        &self,
        py: Python<'py>,
        event_id: &Bound<'py, PyAny>,
        size: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id: EventId = id_arg(event_id, "event_id")?;
        let size: Option<u64> = opt_arg(size, "size", "a non-negative int")?;
        let proof = self.with(py, |l| l.inclusion_proof(&id, size))?;
        rows_to_py(py, &proof)
    }

    /// Consistency proof (RFC 9162) from tree size `first` to `second` (default: all).
    #[pyo3(signature = (first, second=None))]
    fn consistency<'py>(
        &self,
        py: Python<'py>,
        first: &Bound<'py, PyAny>,
        second: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let first: u64 = arg(first, "first", "a non-negative int")?;
        let second: Option<u64> = opt_arg(second, "second", "a non-negative int")?;
        let proof = self.with(py, |l| l.consistency_proof(first, second))?;
        rows_to_py(py, &proof)
    }

    // ---- queries ------------------------------------------------------------------------

    /// Every non-zero balance (or those at `site`, of `stock`), by account then stock.
    #[pyo3(signature = (*, site=None, stock=None))]
    fn balances<'py>(
        &self,
        py: Python<'py>,
        site: Option<&Bound<'py, PyAny>>,
        stock: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let filter = BalanceFilter {
            site: opt_id_arg::<SiteId>(site, "site")?,
            stock: opt_arg(stock, "stock", "str")?,
        };
        let rows = self.with(py, |l| l.balances(&filter))?;
        rows_to_py(py, &rows)
    }

    /// What is held where (`lines`), with totals per site and hazard division (`totals`).
    #[pyo3(signature = (*, site=None, nomenclature=None, hazard_division=None))]
    fn stock_on_hand<'py>(
        &self,
        py: Python<'py>,
        site: Option<&Bound<'py, PyAny>>,
        nomenclature: Option<&Bound<'py, PyAny>>,
        hazard_division: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let filter = stock_filter(py, site, nomenclature, hazard_division)?;
        let rows = self.with(py, |l| l.stock_on_hand(&filter))?;
        rows_to_py(py, &rows)
    }

    /// Every event that touched an item or lot, oldest first.
    fn trace<'py>(
        &self,
        py: Python<'py>,
        stock: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let stock = text_arg(stock, "stock")?;
        let rows = self.with(py, |l| l.trace(&stock))?;
        rows_to_py(py, &rows)
    }

    /// The lots formed from `lot` by splits and merges, with what each received and how much
    /// of each was destroyed.
    fn lineage<'py>(
        &self,
        py: Python<'py>,
        lot: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let lot: LotId = id_arg(lot, "lot")?;
        let rows = self.with(py, |l| l.lineage(&lot))?;
        rows_to_py(py, &rows)
    }

    /// Serialized items whose marking matches (ignoring case and spaces): for tracing
    /// requests.
    #[pyo3(signature = (serial, manufacturer=None))]
    fn find<'py>(
        &self,
        py: Python<'py>,
        serial: &Bound<'py, PyAny>,
        manufacturer: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let query = MarkingQuery {
            serial: arg(serial, "serial", "str")?,
            manufacturer: opt_arg(manufacturer, "manufacturer", "str")?,
        };
        let rows = self.with(py, |l| l.find_items(&query))?;
        rows_to_py(py, &rows)
    }

    /// The input document the rule plugins were given for the stored event `event_id` (plugin
    /// ABI), rebuilt from the events before it: run a rule on it with `rules.test`.
    fn rule_input<'py>(
        &self,
        py: Python<'py>,
        event_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id: EventId = id_arg(event_id, "event_id")?;
        let doc = self.with(py, |l| l.rule_input(&id))?;
        value_to_py(py, &doc)
    }

    /// Weapons issued to persons and still out after the end of their issue period at `at`
    /// (an RFC 3339 string or a `datetime`), oldest due first.
    fn overdue_issues<'py>(
        &self,
        py: Python<'py>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let at = time_arg(at, "at")?;
        let rows = self.with(py, |l| l.overdue_issues(&at))?;
        rows_to_py(py, &rows)
    }

    /// Ammunition lots with units on the books whose next surveillance inspection is due or
    /// overdue at `at` (an RFC 3339 string or a `datetime`), earliest due first: `lot`,
    /// `nomenclature`, `lot_number`, `next_inspection`, `overdue`, `last_inspection`,
    /// `condition_code`, `condition`, `units`, `sites`.
    fn lots_due_inspection<'py>(
        &self,
        py: Python<'py>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let at = time_arg(at, "at")?;
        let rows = self.with(py, |l| l.lots_due_inspection(&at))?;
        rows_to_py(py, &rows)
    }

    /// Net explosive quantity per site and hazard division, in milligrams: `site`,
    /// `hazard_division`, `neq_mg` (held at the site), `neq_mg_with_sub_sites` (the site and
    /// every site under it).
    fn neq_totals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rows = self.with(py, |l| l.neq_totals())?;
        rows_to_py(py, &rows)
    }

    /// The tracing requests not yet answered, by deadline: `request`, `requesting_state`,
    /// `channel`, `reference`, `received_on`, `deadline`, `weapons`, `recorded_at`.
    fn open_trace_requests<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rows = self.with(py, |l| l.open_trace_requests())?;
        rows_to_py(py, &rows)
    }

    /// The Arms Trade Treaty annual report's exports and imports of serialized items for
    /// `year` (art. 13.3), by ATT category and partner state: `year`, `exports`, `imports`.
    fn att_report<'py>(
        &self,
        py: Python<'py>,
        year: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let year: u16 = arg(year, "year", "an int from 1900 to 9999")?;
        let report = self.with(py, |l| l.att_report(year))?;
        rows_to_py(py, &report)
    }

    /// The destructions dated from `start` to `end` (`YYYY-MM-DD`, both included), with
    /// method, site, authorisation, witnesses and certificate, and totals by month, site and
    /// method: `from`, `to`, `destructions`, `totals`.
    fn destruction_report<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let start: String = arg(start, "start", "str")?;
        let end: String = arg(end, "end", "str")?;
        let report = self.with(py, |l| {
            let day = |argument: &str, text: &str| {
                custodia::model::Date::parse(text).map_err(|e| {
                    Error::new(ErrorKind::InvalidArgument {
                        argument: argument.into(),
                        value: text.into(),
                        reason: e.to_string(),
                    })
                })
            };
            l.destruction_report(&day("start", &start)?, &day("end", &end)?)
        })?;
        rows_to_py(py, &report)
    }

    /// The events at positions `start..stop` (clamped), as dicts with `index`, `id`, `kind`,
    /// `at`, `actor` and the signed `event`. For large ranges use `iter_events`.
    #[pyo3(signature = (start=None, stop=None))]
    fn events<'py>(
        &self,
        py: Python<'py>,
        start: Option<&Bound<'py, PyAny>>,
        stop: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let start: u64 = opt_arg(start, "start", "a non-negative int")?.unwrap_or(0);
        let stop: u64 = opt_arg(stop, "stop", "a non-negative int")?.unwrap_or(u64::MAX);
        let records = self.fetch(py, start, stop)?;
        let list = PyList::empty(py);
        for (r, v) in &records {
            list.append(record_to_py(py, r, v)?)?;
        }
        Ok(list.into_any())
    }

    /// Iterates over the events at positions `start..stop`, fetching `chunk_size` at a time:
    /// memory does not grow with the ledger.
    #[pyo3(signature = (start=None, stop=None, *, chunk_size=None))]
    fn iter_events(
        slf: &Bound<'_, Self>,
        start: Option<&Bound<'_, PyAny>>,
        stop: Option<&Bound<'_, PyAny>>,
        chunk_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<EventIterator> {
        let start: u64 = opt_arg(start, "start", "a non-negative int")?.unwrap_or(0);
        let stop: u64 = opt_arg(stop, "stop", "a non-negative int")?.unwrap_or(u64::MAX);
        let chunk: u64 = opt_arg(chunk_size, "chunk_size", "a positive int")?
            .unwrap_or(ITER_CHUNK_EVENTS_DEFAULT);
        if chunk == 0 || chunk > ITER_CHUNK_EVENTS_MAX {
            return Err(invalid_argument(
                "chunk_size",
                &chunk.to_string(),
                format!("must be between 1 and {ITER_CHUNK_EVENTS_MAX}"),
            )
            .into_err(slf.py()));
        }
        Ok(EventIterator {
            ledger: slf.clone().unbind(),
            next: start,
            stop,
            chunk,
            buffer: VecDeque::new(),
        })
    }

    fn __iter__(slf: &Bound<'_, Self>) -> PyResult<EventIterator> {
        Ledger::iter_events(slf, None, None, None)
    }

    /// The event with this id, or `None`.
    fn event<'py>(
        &self,
        py: Python<'py>,
        event_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id: EventId = id_arg(event_id, "event_id")?;
        let found = self.with(py, |l| l.event(&id)?.map(parse_record).transpose())?;
        match found {
            Some((r, v)) => record_to_py(py, &r, &v),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Counts and totals at a glance.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.with(py, |l| l.summary())?;
        rows_to_py(py, &s)
    }

    /// Holdings and the movements between them (`nodes`, `edges`), and the same as Graphviz
    /// text (`dot`).
    fn custody_graph<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (graph, dot) = self.with(py, |l| {
            let g = l.custody_graph()?;
            let dot = g.to_dot();
            Ok((g, dot))
        })?;
        let d = rows_to_py(py, &graph)?;
        d.set_item("dot", dot)?;
        Ok(d)
    }

    /// The rule plugins in force (`name`, `version`, `sha256`).
    fn rules_in_force<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rows = self.with(py, |l| l.rules_in_force())?;
        rows_to_py(py, &rows)
    }

    /// Writes every event, in append order, one canonical JSON line each, to a new file (it
    /// verifies offline, e.g. with `custodia::verify_jsonl`). Returns the number written.
    fn export_jsonl(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<u64> {
        let path: PathBuf = arg(path, "path", "str or os.PathLike")?;
        self.with(py, |l| {
            let shown = path.display().to_string();
            let io = |operation: &str, e: std::io::Error| {
                Error::new(if e.kind() == std::io::ErrorKind::AlreadyExists {
                    ErrorKind::FileExists {
                        path: shown.clone(),
                    }
                } else {
                    ErrorKind::Io {
                        operation: operation.into(),
                        path: shown.clone(),
                        reason: e.to_string(),
                    }
                })
            };
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| io("create", e))?;
            let mut out = std::io::BufWriter::new(file);
            let n = l.export_jsonl(&mut out)?;
            let file = out.into_inner().map_err(|e| io("write", e.into_error()))?;
            file.sync_all().map_err(|e| io("write", e))?;
            Ok(n)
        })
    }

    // ---- tables -------------------------------------------------------------------------

    /// A pandas DataFrame of `what`: `"events"`, `"balances"`, `"stock_on_hand"`,
    /// `"stock_totals"`, `"transfers"`, `"destructions"` or `"authorisations"`. Timestamps are
    /// `datetime64[ns, UTC]`, quantities `int64`. Needs pandas (`pip install
    /// 'custodia[pandas]'`).
    #[pyo3(
        signature = (what=None, *, start=None, stop=None),
        text_signature = "(self, what='events', *, start=None, stop=None)"
    )]
    fn to_pandas<'py>(
        slf: &Bound<'py, Self>,
        what: Option<&Bound<'py, PyAny>>,
        start: Option<&Bound<'py, PyAny>>,
        stop: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let what: String = opt_arg(what, "what", "str")?.unwrap_or_else(|| "events".to_owned());
        let start: u64 = opt_arg(start, "start", "a non-negative int")?.unwrap_or(0);
        let stop: u64 = opt_arg(stop, "stop", "a non-negative int")?.unwrap_or(u64::MAX);
        frames::require_pandas(py)?;
        let this = slf.get();
        let table = match what.as_str() {
            "events" => frames::events(py, this, start, stop)?,
            "transfers" => frames::transfers(py, this, start, stop)?,
            "destructions" => frames::destructions(py, this, start, stop)?,
            "authorisations" => frames::authorisations(py, this, start, stop)?,
            "balances" => {
                let rows = this.with(py, |l| l.balances(&BalanceFilter::default()))?;
                frames::balances(&rows)
            }
            "stock_on_hand" => {
                let rows = this.with(py, |l| l.stock_on_hand(&StockFilter::default()))?;
                frames::stock_lines(&rows.lines)
            }
            "stock_totals" => {
                let rows = this.with(py, |l| l.stock_on_hand(&StockFilter::default()))?;
                frames::stock_totals(&rows.totals)
            }
            other => {
                return Err(invalid_argument(
                    "what",
                    other,
                    format!("expected one of {}", frames::TABLES.join(", ")),
                )
                .into_err(py));
            }
        };
        frames::to_dataframe(py, &table)
    }

    /// Stock on hand per site and hazard division after each period of `every_seconds`
    /// (default: one day, periods aligned on the Unix epoch), as a DataFrame (`at`, `site`,
    /// `hazard_division`, `units`, `neq_mg`): a snapshot when the first event at or after a
    /// period's end is met (the stock before it, at that end) and one after the last event
    /// (at its time). The library replays the stored events' state once, without checking
    /// signatures again (`verify` does).
    #[pyo3(signature = (*, every_seconds=None))]
    fn stock_history<'py>(
        slf: &Bound<'py, Self>,
        every_seconds: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let every: i64 =
            opt_arg(every_seconds, "every_seconds", "a positive int")?.unwrap_or(86_400);
        if every <= 0 {
            return Err(
                invalid_argument("every_seconds", &every.to_string(), "must be positive")
                    .into_err(py),
            );
        }
        frames::require_pandas(py)?;
        let table = frames::stock_history(py, slf.get(), every)?;
        frames::to_dataframe(py, &table)
    }
}

fn stock_filter(
    py: Python<'_>,
    site: Option<&Bound<'_, PyAny>>,
    nomenclature: Option<&Bound<'_, PyAny>>,
    hazard_division: Option<&Bound<'_, PyAny>>,
) -> PyResult<StockFilter> {
    let division: Option<String> =
        opt_arg(hazard_division, "hazard_division", "str such as '1.1'")?;
    // The division's text is its serde name ("1.1"); the model has no `FromStr` for it.
    let hazard_division = match division {
        None => None,
        Some(d) => Some(
            serde_json::from_value(Value::String(d.clone())).map_err(|_| {
                invalid_argument("hazard_division", &d, "expected one of 1.1 to 1.6").into_err(py)
            })?,
        ),
    };
    Ok(StockFilter {
        site: opt_id_arg::<SiteId>(site, "site")?,
        nomenclature: opt_arg(nomenclature, "nomenclature", "str")?,
        hazard_division,
    })
}

/// Iterates over a ledger's events a chunk at a time.
#[pyclass(module = "custodia._custodia", name = "EventIterator")]
pub(crate) struct EventIterator {
    ledger: Py<Ledger>,
    next: u64,
    stop: u64,
    chunk: u64,
    buffer: VecDeque<(EventRecord, Value)>,
}

#[pymethods]
impl EventIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.buffer.is_empty() && self.next < self.stop {
            let end = self.next.saturating_add(self.chunk).min(self.stop);
            let chunk = self.ledger.get().fetch(py, self.next, end)?;
            // Fewer than asked: the end of the ledger.
            self.next = if (chunk.len() as u64) < end - self.next {
                self.stop
            } else {
                end
            };
            self.buffer.extend(chunk);
        }
        match self.buffer.pop_front() {
            Some((r, v)) => record_to_py(py, &r, &v).map(Some),
            None => Ok(None),
        }
    }
}

/// What `verify()` found.
#[pyclass(frozen, module = "custodia._custodia", name = "VerifyReport")]
pub(crate) struct VerifyReport {
    /// Whether everything verified.
    #[pyo3(get)]
    ok: bool,
    /// Events that verified.
    #[pyo3(get)]
    events: u64,
    /// Tree heads whose root and signature were checked.
    #[pyo3(get)]
    tree_heads: u64,
    /// Digest of the state re-derived from the events (hex).
    #[pyo3(get)]
    state_digest: String,
    /// The first problem as an exception (not raised), or `None`.
    #[pyo3(get)]
    failure: Option<Py<PyAny>>,
    /// The first problem's code.
    #[pyo3(get)]
    code: Option<u32>,
    /// Its name (`BadSignature`).
    #[pyo3(get)]
    name: Option<String>,
    /// Its family (`signature`).
    #[pyo3(get)]
    family: Option<String>,
    /// The bad event's position in the ledger.
    #[pyo3(get)]
    index: Option<u64>,
    /// The bad event's id.
    #[pyo3(get)]
    event_id: Option<String>,
    /// The JSON Pointer of the offending field.
    #[pyo3(get)]
    field: Option<String>,
    /// The message.
    #[pyo3(get)]
    message: Option<String>,
}

#[pymethods]
impl VerifyReport {
    fn __bool__(&self) -> bool {
        self.ok
    }

    /// Raises the failure, if any.
    fn raise_for_failure(&self, py: Python<'_>) -> PyResult<()> {
        match &self.failure {
            Some(f) => Err(PyErr::from_value(f.bind(py).clone())),
            None => Ok(()),
        }
    }

    fn __repr__(&self) -> String {
        if self.ok {
            format!(
                "VerifyReport(ok=True, events={}, tree_heads={})",
                self.events, self.tree_heads
            )
        } else {
            format!(
                "VerifyReport(ok=False, events={}, code={}, name={:?}, index={}, field={:?}, message={:?})",
                self.events,
                self.code
                    .map_or_else(|| "None".to_owned(), |c| c.to_string()),
                self.name.as_deref().unwrap_or(""),
                self.index
                    .map_or_else(|| "None".to_owned(), |i| i.to_string()),
                self.field.as_deref().unwrap_or(""),
                self.message.as_deref().unwrap_or(""),
            )
        }
    }
}
