//! `Ledger::trace(id)` (the history of one item or lot) on the largest synth ledger built in
//! about 30 s, measured at growing ledger sizes, against a single `SELECT` of one event by
//! primary key on the same file (baseline). Rounds are interleaved; medians are reported.
//!
//! Run: `cargo bench -p custodia --bench trace` (smoke run: `-- --quick`)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::{Duration, Instant};

use common::{median, per_call, scale, table};
use custodia::Ledger;
use custodia::testkit::{SplitMix64, Synth};
use rusqlite::Connection;

fn measure(ledger: &Ledger, path: &std::path::Path, rng: &mut SplitMix64) -> Vec<String> {
    let rounds: usize = scale(5, 1);
    let min = scale(Duration::from_millis(150), Duration::from_millis(10));
    let side = Connection::open(path).unwrap();
    let n: i64 = side
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as u64, ledger.len().unwrap());
    let stocks: Vec<String> = {
        let mut st = side
            .prepare("SELECT DISTINCT stock FROM touches ORDER BY stock")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let rows: Vec<usize> = stocks
        .iter()
        .map(|s| ledger.trace(s).unwrap().len())
        .collect();
    assert!(
        rows.iter().all(|r| *r > 0),
        "every touched stock has a trace"
    );
    let mean_rows = rows.iter().sum::<usize>() as f64 / rows.len() as f64;
    let max_rows = rows.iter().copied().max().unwrap_or(0);
    let mut one = side
        .prepare_cached("SELECT json FROM events WHERE seq = ?1")
        .unwrap();
    let (mut tr, mut pk) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        pk.push(per_call(min, || {
            let seq = rng.range(0, (n - 1) as u64) as i64;
            let j: Vec<u8> = one.query_row([seq], |r| r.get(0)).unwrap();
            std::hint::black_box(j);
        }));
        tr.push(per_call(min, || {
            let s = &stocks[rng.index(stocks.len())];
            std::hint::black_box(ledger.trace(s).unwrap());
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
    let budget = scale(Duration::from_secs(30), Duration::from_secs(2));
    let first_mark: u64 = scale(10_000, 1_000);
    println!(
        "trace bench: {} | synth ledger (seed 42) grown in batches of 1000 for ~{} s; \
         a trace of a uniformly random item or lot; interleaved rounds, medians",
        common::machine(),
        budget.as_secs()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.ledger");
    let mut ledger = common::create_ledger(&path);
    let mut synth = Synth::new(42);
    let mut rng = SplitMix64::new(7);
    let start = Instant::now();
    let mut build = Duration::ZERO;
    let mut next_mark = first_mark;
    let mut out = Vec::new();
    loop {
        let t = Instant::now();
        let batch: Vec<_> = (&mut synth).take(1000).collect::<Result<_, _>>().unwrap();
        ledger.append(&batch).unwrap();
        build += t.elapsed();
        let len = ledger.len().unwrap();
        if len >= next_mark || build >= budget {
            out.push(measure(&ledger, &path, &mut rng));
            next_mark *= 2;
        }
        if build >= budget {
            break;
        }
    }
    println!(
        "built {} events in {:.1} s of appends ({:.1} s with measurements)",
        ledger.len().unwrap(),
        build.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    table(
        "trace(id) vs one SELECT by primary key (target: < 1 ms at 10^7 events)",
        &[
            "events",
            "stocks",
            "mean rows/trace",
            "max rows",
            "trace µs",
            "PK select µs",
            "trace / PK",
            "trace µs per row",
        ],
        &out,
    );
}
