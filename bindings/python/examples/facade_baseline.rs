//! The baseline of `bench/bench.py`: the same work as the Python package's `verify()` and
//! `to_pandas("events")`, done by a Rust program through the front door, on the same ledger
//! file. Prints one JSON line: `{"events", "verify_seconds", "events_columns_seconds"}`.
//!
//!     cargo run --release -p custodia-python --example facade_baseline -- LEDGER

use std::time::Instant;

/// The Python module's allocator (`src/lib.rs`), so that both sides allocate alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: facade_baseline LEDGER")?;
    let ledger = custodia::Ledger::open(&path, custodia::Options::new())?;
    let events = ledger.len()?;

    let start = Instant::now();
    let report = ledger.verify()?;
    let verify_seconds = start.elapsed().as_secs_f64();
    if !report.ok {
        return Err(format!("{path} does not verify: {:?}", report.failure).into());
    }

    // What `to_pandas("events")` gathers before Python sees it: one column per field.
    let start = Instant::now();
    let (mut index, mut id, mut kind, mut at, mut actor) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    ledger.for_each_event(0, u64::MAX, &mut |r| {
        index.push(r.index);
        id.push(r.id.to_hex());
        kind.push(r.kind);
        at.push(r.at.unix_seconds() * 1_000_000_000);
        actor.push(r.actor.as_str().to_owned());
        Ok(true)
    })?;
    let events_columns_seconds = start.elapsed().as_secs_f64();
    if index.len() as u64 != events || id.len() != kind.len() || at.len() != actor.len() {
        return Err("the columns differ in length".into());
    }
    println!(
        "{{\"events\": {events}, \"verify_seconds\": {verify_seconds:.4}, \"events_columns_seconds\": {events_columns_seconds:.4}}}"
    );
    Ok(())
}
