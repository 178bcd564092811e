//! The one way an error reaches Python: every [`custodia::Error`] becomes an instance of the
//! exception class of its family (`custodia._errors`), carrying the code, the name, the event's
//! index and id, the field and the values; and every call into Rust runs inside a panic
//! boundary, so that a panic becomes a `UsageError` with code `Panic` (9009), never a
//! `pyo3_runtime.PanicException`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use custodia::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::convert::value_to_py;

/// `custodia._errors._from_core`, imported once.
static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Longest text of a Python value quoted in an error message, in characters.
pub(crate) const QUOTED_VALUE_CHARS_MAX: usize = 80;

/// Turns a front-door error into the Python exception of its family.
pub(crate) fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    match build(py, error) {
        Ok(err) => err,
        // Only when `custodia._errors` cannot be imported (a broken installation): the import
        // error says so, chained to nothing that could hide it.
        Err(import_failure) => import_failure,
    }
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let factory = FROM_CORE.get_or_try_init(py, || {
        py.import("custodia._errors")?
            .getattr("_from_core")
            .map(Bound::unbind)
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", error.code().get())?;
    kwargs.set_item("name", error.code().name())?;
    kwargs.set_item("family", error.family().name())?;
    kwargs.set_item("message", error.message())?;
    kwargs.set_item("index", error.index())?;
    kwargs.set_item("event_id", error.event().map(|id| id.to_hex()))?;
    kwargs.set_item("field", error.field())?;
    kwargs.set_item(
        "values",
        value_to_py(py, &serde_json::Value::Object(error.values()))?,
    )?;
    let exception = factory.bind(py).call((error.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(exception))
}

/// Extension: raise a front-door error from a `PyResult` context.
pub(crate) trait IntoPyResult<T> {
    /// Converts the error into its Python exception.
    fn into_py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn into_py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}

/// Extension: a front-door error as a `PyErr`.
pub(crate) trait IntoErr {
    /// The Python exception of the error's family.
    fn into_err(self, py: Python<'_>) -> PyErr;
}

impl IntoErr for Error {
    fn into_err(self, py: Python<'_>) -> PyErr {
        to_py_err(py, &self)
    }
}

/// The error a panic becomes.
pub(crate) fn panic_error(payload: &(dyn std::any::Any + Send)) -> Error {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    Error::new(ErrorKind::Panic { detail })
}

/// Runs `f` inside a panic boundary.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(panic_error(payload.as_ref())),
    }
}

/// Runs `f` with the GIL released, inside a panic boundary, and raises its error. Every call
/// into `custodia` that is not a call on an open [`crate::ledger::Ledger`] goes through here.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, Error> + Send,
) -> PyResult<T> {
    py.detach(|| guard(f)).into_py(py)
}

/// A usage error about an argument: code `InvalidArgument` (9001), the argument named as the
/// field.
pub(crate) fn invalid_argument(argument: &str, value: &str, reason: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument {
        argument: argument.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    })
    .at_field(argument)
}

/// A short, printable rendering of a Python value for an error message.
pub(crate) fn quote(value: &Bound<'_, PyAny>) -> String {
    let text = value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<unprintable>".to_owned());
    if text.chars().count() > QUOTED_VALUE_CHARS_MAX {
        let cut: String = text.chars().take(QUOTED_VALUE_CHARS_MAX).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// The Python type name of a value, for "expected X, got Y" messages.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}
