//! The compiled half of the Python package `custodia` (`custodia._custodia`). Every class and
//! function here is a calling convention over the front door, `custodia::Ledger`, and the
//! plugin host: arguments checked, rows as plain dicts, errors as exceptions of their family,
//! the GIL released while Rust works. `python/custodia/__init__.py` re-exports it.

mod convert;
mod error;
mod frames;
mod html;
mod keys;
mod ledger;
mod rules;
mod testing;

use pyo3::prelude::*;

/// The module's Rust allocations (decoded events, the state, the store's buffers) use mimalloc,
/// as the `custodia` command does (`bindings/cli/src/main.rs`); Python's objects stay on Python's
/// allocator. About 9 % off `verify` on 2 cores (docs/PERFORMANCE_HISTORY.md, session 32).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Every error code: `(code, name, family)`, in code order.
#[pyfunction]
fn error_codes() -> Vec<(u32, &'static str, &'static str)> {
    custodia::ErrorCode::ALL
        .iter()
        .map(|c| (c.get(), c.name(), c.family().name()))
        .collect()
}

/// Panics inside the panic boundary: for the test that no panic escapes as anything but a
/// `CustodiaError`.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    error::run(py, || -> Result<(), custodia::Error> {
        #[expect(clippy::panic, reason = "the test of the panic boundary needs a panic")]
        {
            panic!("a panic raised on purpose by `_panic_for_tests`")
        }
    })
}

#[pymodule]
fn _custodia(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("FORMAT_VERSION", custodia::event::FORMAT_VERSION)?;
    m.add("BATCH_EVENTS_MAX", custodia::BATCH_EVENTS_MAX)?;
    m.add_class::<ledger::Ledger>()?;
    m.add_class::<ledger::EventIterator>()?;
    m.add_class::<ledger::VerifyReport>()?;
    m.add_class::<keys::Key>()?;
    m.add_class::<rules::RuleSet>()?;
    m.add_class::<rules::Plugin>()?;
    m.add_class::<rules::Verdict>()?;
    m.add_class::<testing::Synth>()?;
    m.add_function(wrap_pyfunction!(rules::test_rule, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(keys::verify_signature, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}
