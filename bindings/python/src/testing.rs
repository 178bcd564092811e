//! `custodia.testing.Synth`: the deterministic synthetic stockpile of `custodia::testkit`, so
//! that examples and tests have a realistic signed history without the command line.

use std::sync::{Mutex, PoisonError};

use custodia::model::ActorId;
use custodia::{Error, ErrorKind, SignedEvent};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::{arg, id_arg, value_to_py};
use crate::error::{IntoErr, invalid_argument, run};
use crate::keys::Key;
use crate::ledger::Ledger;

/// Events per batch when `append_to` fills a ledger.
const SYNTH_BATCH_EVENTS_DEFAULT: u64 = 8_192;
const _: () = assert!(SYNTH_BATCH_EVENTS_DEFAULT as usize <= custodia::BATCH_EVENTS_MAX);
/// Most events one call generates (a limit on what a caller can ask for at once).
const SYNTH_EVENTS_PER_CALL_MAX: u64 = 100_000_000;

/// A stream of signed synthetic events: a national stockpile with depots, lots, weapons,
/// transfers, stock checks, thefts and witnessed destructions. The same seed (and start) gives
/// the same events, byte for byte. The first simulated day is `start` (`'YYYY-MM-DD'`, default
/// 2026-01-01); about 150 events fall on a simulated day, and a ledger refuses events dated more
/// than a day after its clock, so more than about 50,000 events need an earlier start (1988 at
/// the earliest: its rifles are marked as made in 1987).
#[pyclass(frozen, module = "custodia._custodia", name = "Synth")]
pub(crate) struct Synth {
    inner: Mutex<custodia::testkit::Synth>,
    seed: u64,
    /// The first simulated day when one was given (the default otherwise).
    start: Option<String>,
}

fn synth_error(e: custodia::testkit::SynthError) -> Error {
    Error::new(ErrorKind::Internal {
        detail: format!("the synthetic generator stopped: {e}"),
    })
}

fn count_arg(n: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
    let count: u64 = arg(n, name, "a non-negative int")?;
    if count > SYNTH_EVENTS_PER_CALL_MAX {
        return Err(invalid_argument(
            name,
            &count.to_string(),
            format!("at most {SYNTH_EVENTS_PER_CALL_MAX} per call"),
        )
        .into_err(n.py()));
    }
    Ok(count)
}

impl Synth {
    fn next_events(&self, n: u64) -> Result<Vec<SignedEvent>, Error> {
        let mut synth = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = Vec::with_capacity(usize::try_from(n.min(1 << 16)).unwrap_or(0));
        for _ in 0..n {
            out.push(synth.next_event().map_err(synth_error)?);
        }
        Ok(out)
    }
}

#[pymethods]
impl Synth {
    #[new]
    #[pyo3(signature = (seed=None, *, start=None), text_signature = "(seed=7, *, start=None)")]
    fn new(
        py: Python<'_>,
        seed: Option<&Bound<'_, PyAny>>,
        start: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let seed: u64 =
            crate::convert::opt_arg(seed, "seed", "a non-negative int below 2**64")?.unwrap_or(7);
        const DAY: &str = "a date 'YYYY-MM-DD' (str)";
        let start: Option<String> = crate::convert::opt_arg(start, "start", DAY)?;
        let inner = match &start {
            None => custodia::testkit::Synth::new(seed),
            Some(text) => {
                let refused = || invalid_argument("start", text, DAY).into_err(py);
                let day = custodia::model::Date::parse(text).map_err(|_| refused())?;
                custodia::testkit::Synth::with_start(
                    seed,
                    custodia::testkit::SYNTH_EVENTS_PER_DAY_DEFAULT,
                    &day,
                )
                .map_err(|_| refused())?
            }
        };
        Ok(Synth {
            inner: Mutex::new(inner),
            seed,
            start,
        })
    }

    /// The seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.seed
    }

    /// The next `n` events, as JSON lines (str, canonical JSON).
    fn take<'py>(&self, py: Python<'py>, n: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let n = count_arg(n, "n")?;
        let lines = run(py, || {
            self.next_events(n)?
                .iter()
                .map(|e| Ok::<String, Error>(e.to_json().to_owned()))
                .collect::<Result<Vec<_>, _>>()
        })?;
        PyList::new(py, lines)
    }

    /// The next `n` events, as dicts.
    fn events<'py>(&self, py: Python<'py>, n: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let n = count_arg(n, "n")?;
        let values = run(py, || {
            self.next_events(n)?
                .iter()
                .map(|e| e.to_value())
                .collect::<Result<Vec<_>, _>>()
        })?;
        let list = PyList::empty(py);
        for v in &values {
            list.append(value_to_py(py, v)?)?;
        }
        Ok(list)
    }

    /// Appends the next `n` events to `ledger` in batches of `batch_size`, with the GIL
    /// released. Returns the ledger's length afterwards.
    #[pyo3(signature = (ledger, n, *, batch_size=None))]
    fn append_to(
        &self,
        py: Python<'_>,
        ledger: &Bound<'_, PyAny>,
        n: &Bound<'_, PyAny>,
        batch_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let ledger = ledger
            .cast::<Ledger>()
            .map_err(|_| invalid_argument("ledger", "", "expected custodia.Ledger").into_err(py))?;
        let n = count_arg(n, "n")?;
        let batch: u64 = crate::convert::opt_arg(batch_size, "batch_size", "a positive int")?
            .unwrap_or(SYNTH_BATCH_EVENTS_DEFAULT);
        if batch == 0 || batch > custodia::BATCH_EVENTS_MAX as u64 {
            return Err(invalid_argument(
                "batch_size",
                &batch.to_string(),
                format!("must be between 1 and {}", custodia::BATCH_EVENTS_MAX),
            )
            .into_err(py));
        }
        let mut left = n;
        let mut len = 0;
        while left > 0 {
            let take = left.min(batch);
            let events = run(py, || self.next_events(take))?;
            len = ledger
                .get()
                .with(py, |l| Ok(l.append(&events)?.ledger_len))?;
            left -= take;
        }
        if n == 0 {
            len = ledger.get().with(py, |l| l.len())?;
        }
        Ok(len)
    }

    /// The signing key of a synthetic actor (derived from the seed), once the generator has
    /// registered it; `None` before.
    fn key(&self, actor: &Bound<'_, PyAny>) -> PyResult<Option<Key>> {
        let actor: ActorId = id_arg(actor, "actor")?;
        let synth = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(synth.key_of(&actor).map(|s| Key {
            signer: custodia::Signer::from_seed(s.seed()),
        }))
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || {
            let e = self.next_events(1)?;
            match e.first() {
                Some(e) => Ok(e.to_json().to_owned()),
                None => Err(Error::new(ErrorKind::Internal {
                    detail: "the generator gave no event".into(),
                })),
            }
        })
    }

    fn __repr__(&self) -> String {
        match &self.start {
            None => format!("Synth(seed={})", self.seed),
            Some(start) => format!("Synth(seed={}, start='{start}')", self.seed),
        }
    }
}
