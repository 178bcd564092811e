//! `SqliteLog::trace(id)` (the history of one item or lot) on the largest synth ledger built
//! in about 30 s, measured at growing ledger sizes, against a single `SELECT` of one event by
//! primary key on the same file (baseline). Rounds are interleaved; medians are reported.
//!
//! Run: `cargo bench -p custodia --bench trace`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::{Duration, Instant};

use common::{median, per_call, table};
use custodia::store::{SqliteLog, SqliteStore, Store};
use custodia::synth::{SplitMix64, Synth};
use rusqlite::Connection;

const ROUNDS: usize = 5;
const BUILD_BUDGET: Duration = Duration::from_secs(30);
const MIN: Duration = Duration::from_millis(150);

fn measure(path: &std::path::Path, rng: &mut SplitMix64) -> Vec<String> {
    let log = SqliteLog::open(path).unwrap();
    let side = Connection::open(path).unwrap();
    let n: i64 = side
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    let stocks: Vec<String> = {
        let mut st = side
            .prepare("SELECT DISTINCT stock FROM touches ORDER BY stock")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let rows: Vec<usize> = stocks.iter().map(|s| log.trace(s).unwrap().len()).collect();
    let mean_rows = rows.iter().sum::<usize>() as f64 / rows.len() as f64;
    let max_rows = rows.iter().copied().max().unwrap_or(0);
    let mut one = side
        .prepare_cached("SELECT json FROM events WHERE seq = ?1")
        .unwrap();
    let (mut tr, mut pk) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        pk.push(per_call(MIN, || {
            let seq = rng.range(0, (n - 1) as u64) as i64;
            let j: Vec<u8> = one.query_row([seq], |r| r.get(0)).unwrap();
            std::hint::black_box(j);
        }));
        tr.push(per_call(MIN, || {
            let s = &stocks[rng.index(stocks.len())];
            std::hint::black_box(log.trace(s).unwrap());
        }));
    }
    let (tr, pk) = (median(tr), median(pk));
    vec![
        n.to_string(),
        stocks.len().to_string(),
        format!("{mean_rows:.1}"),
        max_rows.to_string(),
        format!("{:.1}", tr * 1e6),
        format!("{:.1}", pk * 1e6),
        format!("{:.1}×", tr / pk),
        format!("{:.2}", tr / mean_rows * 1e6),
    ]
}

fn main() {
    println!(
        "trace bench: {} | synth ledger (seed 42) grown in batches of 1000 for ~{} s; \
         a trace of a uniformly random item or lot; {ROUNDS} interleaved rounds, medians",
        common::machine(),
        BUILD_BUDGET.as_secs()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.ledger");
    let mut store = SqliteStore::create(&path, None).unwrap();
    let mut synth = Synth::new(42);
    let mut rng = SplitMix64::new(7);
    let start = Instant::now();
    let mut build = Duration::ZERO;
    let mut next_mark = 10_000u64;
    let mut out = Vec::new();
    loop {
        let t = Instant::now();
        let batch: Vec<_> = (&mut synth).take(1000).collect::<Result<_, _>>().unwrap();
        store.append_batch(&batch).unwrap();
        build += t.elapsed();
        if store.len() >= next_mark || build >= BUILD_BUDGET {
            out.push(measure(&path, &mut rng));
            next_mark *= 2;
        }
        if build >= BUILD_BUDGET {
            break;
        }
    }
    println!(
        "built {} events in {:.1} s of appends ({:.1} s with measurements)",
        store.len(),
        build.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    table(
        "trace(id) vs one SELECT by primary key (target: < 1 ms at 10^7 events)",
        &[
            "events",
            "stocks",
            "mean rows/trace (200 sampled)",
            "max rows (sampled)",
            "trace µs",
            "PK select µs",
            "trace / PK",
            "trace µs per row",
        ],
        &out,
    );
}
