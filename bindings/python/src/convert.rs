//! Calling convention: JSON values to Python objects and back, the front door's rows as plain
//! dicts, and the arguments of every public method checked with a typed error that names the
//! argument.

use custodia::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use serde::Serialize;
use serde_json::{Map, Number, Value};

use crate::error::{IntoPyResult, invalid_argument, quote, type_name};

/// Deepest nesting of lists and dicts accepted in an event given as Python objects (serde_json
/// refuses deeper JSON text with the same limit, so both paths agree).
pub(crate) const EVENT_DEPTH_MAX: usize = 128;

/// A JSON value as plain Python objects (dict, list, str, int, float, bool, None).
pub(crate) fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                // INVARIANT (json-numbers): without `arbitrary_precision` every serde_json
                // number is an i64, a u64 or a finite f64.
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, value_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A row (or rows) of the front door as plain Python objects, through its JSON form, so that
/// the member names are the documented ones (`docs/API.md`).
pub(crate) fn rows_to_py<'py>(
    py: Python<'py>,
    rows: &impl Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(rows)
        .map_err(|e| {
            Error::new(ErrorKind::Internal {
                detail: format!("a result does not encode as JSON: {e}"),
            })
        })
        .into_py(py)?;
    value_to_py(py, &value)
}

/// Where a Python value sits inside an event: a JSON Pointer (RFC 6901).
fn push_token(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// A Python object (dict, list, tuple, str, int, float, bool, None) as JSON. Anything else is
/// refused with `FieldInvalid` (1005) at its JSON Pointer; the ledger's own checks (schema,
/// integers only, ...) are left to the front door.
pub(crate) fn py_to_value(
    obj: &Bound<'_, PyAny>,
    pointer: &str,
    depth: usize,
) -> Result<Value, Error> {
    let refuse = |reason: String| {
        Error::new(ErrorKind::FieldInvalid {
            value: quote(obj),
            reason,
        })
        .at_field(pointer)
    };
    if depth > EVENT_DEPTH_MAX {
        return Err(refuse(format!(
            "lists and objects nest deeper than {EVENT_DEPTH_MAX} levels"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(refuse("an integer outside the 64-bit range".into()));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| refuse("NaN and infinity are not JSON".into()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| refuse("a string that is not valid Unicode (a lone surrogate)".into()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (k, v) in dict.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(refuse(format!(
                    "object member names must be str, not `{}`",
                    type_name(&k)
                )));
            };
            let key = key
                .to_cow()
                .map_err(|_| refuse("a member name that is not valid Unicode".into()))?;
            let value = py_to_value(&v, &push_token(pointer, &key), depth + 1)?;
            map.insert(key.into_owned(), value);
        }
        return Ok(Value::Object(map));
    }
    let items = if let Ok(list) = obj.cast::<PyList>() {
        Some(list.iter().collect::<Vec<_>>())
    } else {
        obj.cast::<PyTuple>()
            .ok()
            .map(|tuple| tuple.iter().collect::<Vec<_>>())
    };
    if let Some(items) = items {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(py_to_value(
                item,
                &push_token(pointer, &i.to_string()),
                depth + 1,
            )?);
        }
        return Ok(Value::Array(out));
    }
    Err(refuse(format!(
        "a `{}` is not JSON (use dict, list, str, int, bool or None)",
        type_name(obj)
    )))
}

/// Events given as Python objects, as JSON lines for the front door: a str or bytes of JSON
/// lines, one dict, or an iterable of dicts and single-line strs or bytes. Each event keeps its
/// position, so the front door's error index is the caller's index.
pub(crate) fn events_to_jsonl(events: &Bound<'_, PyAny>, argument: &str) -> Result<Vec<u8>, Error> {
    if let Ok(s) = events.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| s.as_bytes().to_vec())
            .map_err(|_| invalid_argument(argument, &quote(events), "not valid Unicode"));
    }
    if let Ok(b) = events.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = events.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if events.is_instance_of::<PyDict>() {
        return one_line(events, 0);
    }
    let iter = events.try_iter().map_err(|_| {
        invalid_argument(
            argument,
            &quote(events),
            format!(
                "expected JSON lines (str or bytes), an event (dict) or a list of events, got `{}`",
                type_name(events)
            ),
        )
    })?;
    let mut out = Vec::new();
    for (index, item) in iter.enumerate() {
        let item = item.map_err(|e| {
            invalid_argument(argument, &quote(events), format!("iterating failed: {e}"))
        })?;
        out.extend(one_line(&item, index)?);
        out.push(b'\n');
    }
    Ok(out)
}

/// One event as one JSON line.
fn one_line(item: &Bound<'_, PyAny>, index: usize) -> Result<Vec<u8>, Error> {
    let index = index as u64;
    let line = if let Ok(s) = item.cast::<PyString>() {
        s.to_cow()
            .map(|s| s.as_bytes().to_vec())
            .map_err(|_| not_one_line(item, "not valid Unicode").at_index(index))?
    } else if let Ok(b) = item.cast::<PyBytes>() {
        b.as_bytes().to_vec()
    } else {
        let value = py_to_value(item, "", 0).map_err(|e| e.at_index(index))?;
        serde_json::to_vec(&value).map_err(|e| {
            Error::new(ErrorKind::Internal {
                detail: format!("a JSON value does not encode: {e}"),
            })
        })?
    };
    if line.contains(&b'\n') {
        return Err(
            not_one_line(item, "an event in a list must be one line of JSON").at_index(index),
        );
    }
    Ok(line)
}

fn not_one_line(item: &Bound<'_, PyAny>, reason: &str) -> Error {
    Error::new(ErrorKind::FieldInvalid {
        value: quote(item),
        reason: reason.to_owned(),
    })
    .at_field("")
}

/// Extracts an argument, or a usage error (9001) naming it.
pub(crate) fn arg<'py, T>(obj: &Bound<'py, PyAny>, name: &str, expected: &str) -> PyResult<T>
where
    T: FromPyObjectOwned<'py>,
{
    obj.extract::<T>().map_err(|_| {
        crate::error::to_py_err(
            obj.py(),
            &invalid_argument(
                name,
                &quote(obj),
                format!("expected {expected}, got `{}`", type_name(obj)),
            ),
        )
    })
}

/// Extracts an optional argument (`None` is absent).
pub(crate) fn opt_arg<'py, T>(
    obj: Option<&Bound<'py, PyAny>>,
    name: &str,
    expected: &str,
) -> PyResult<Option<T>>
where
    T: FromPyObjectOwned<'py>,
{
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => arg(o, name, expected).map(Some),
    }
}

/// A text argument, refused when empty.
pub(crate) fn text_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let s: String = arg(obj, name, "str")?;
    if s.is_empty() {
        return Err(crate::error::to_py_err(
            obj.py(),
            &invalid_argument(name, "", "must not be empty"),
        ));
    }
    Ok(s)
}

/// Parses a typed id (`LotId`, `SiteId`, `EventId`, ...) from a text argument.
pub(crate) fn id_arg<T>(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: String = arg(obj, name, "str")?;
    s.parse::<T>()
        .map_err(|e| crate::error::to_py_err(obj.py(), &invalid_argument(name, &s, e.to_string())))
}

/// An optional typed id.
pub(crate) fn opt_id_arg<T>(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => id_arg(o, name).map(Some),
    }
}
