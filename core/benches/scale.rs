//! The read side at scale: `Ledger::trace` (the history of one item or lot), `find_items`
//! (tracing by marking) and `inclusion_proof` / `consistency_proof` (generated and verified) on
//! one synth ledger grown in batches of 1,000 to 10^6 and 10^7 events, each against one `SELECT`
//! of an event by primary key on the same file (baseline, measured in the same rounds).
//! Targets (DESIGN.md): trace and find < 1 ms, inclusion proof < 100 µs, at 10^7 events.
//!
//! Run: `cargo bench -p custodia --bench scale` (smoke run: `-- --quick`, sizes 2,000 and
//! 4,000). Sizes: `CUSTODIA_SCALE_EVENTS=1000000,10000000` (the default; about 1.4 KB of disk
//! per event). `CUSTODIA_SCALE_LEDGER=PATH` keeps the ledger at PATH and grows it from where it
//! stands on the next run (the generator is deterministic: it re-generates and skips the events
//! already there), so a 10^7-event ledger is built once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::{Duration, Instant};

use common::{median, per_call, quick, scale, summary, table};
use custodia::testkit::{SplitMix64, Synth};
use custodia::{Ledger, MarkingQuery, Options};
use rusqlite::Connection;

/// How far past the clock an appended event may be dated: a thousand years, in seconds.
const FUTURE_SECS_MAX: i64 = 1_000 * 366 * 86_400;

/// How many of each (stock, marking, event) the queries draw from, sampled once per size.
const SAMPLE: usize = 1000;

fn sizes() -> Vec<u64> {
    if quick() {
        return vec![2_000, 4_000];
    }
    let raw =
        std::env::var("CUSTODIA_SCALE_EVENTS").unwrap_or_else(|_| "1000000,10000000".to_owned());
    let mut sizes: Vec<u64> = raw
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("CUSTODIA_SCALE_EVENTS: `{s}` is not a count"))
        })
        .collect();
    sizes.sort_unstable();
    sizes
}

/// Reservoir sample of `SAMPLE` rows of a one-column query (one pass, bounded memory).
fn sample<T: rusqlite::types::FromSql>(
    side: &Connection,
    sql: &str,
    rng: &mut SplitMix64,
) -> Vec<T> {
    let mut st = side.prepare(sql).unwrap();
    let mut rows = st.query([]).unwrap();
    let mut out: Vec<T> = Vec::with_capacity(SAMPLE);
    let mut seen = 0u64;
    while let Some(row) = rows.next().unwrap() {
        seen += 1;
        if out.len() < SAMPLE {
            out.push(row.get(0).unwrap());
        } else {
            let j = rng.range(0, seen - 1);
            if let Ok(j) = usize::try_from(j)
                && j < SAMPLE
            {
                out[j] = row.get(0).unwrap();
            }
        }
    }
    out
}

struct Row {
    events: u64,
    pk: f64,
    trace: f64,
    trace_rows: f64,
    find: f64,
    inclusion: f64,
    consistency: f64,
}

fn measure(ledger: &Ledger, path: &std::path::Path, rng: &mut SplitMix64) -> Row {
    let rounds: usize = scale(5, 1);
    let min = scale(Duration::from_millis(150), Duration::from_millis(10));
    let side = Connection::open(path).unwrap();
    let n = ledger.len().unwrap();
    let stocks: Vec<String> = sample(&side, "SELECT DISTINCT stock FROM touches", rng);
    let markings: Vec<(String, Option<String>)> = {
        let joined: Vec<String> = sample(
            &side,
            "SELECT serial_norm || char(0) || coalesce(manufacturer_norm, '') FROM items \
             WHERE serial_norm IS NOT NULL",
            rng,
        );
        joined
            .into_iter()
            .map(|j| {
                let (s, m) = j.split_once('\0').unwrap();
                (s.to_owned(), (!m.is_empty()).then(|| m.to_owned()))
            })
            .collect()
    };
    assert!(
        !stocks.is_empty() && !markings.is_empty(),
        "nothing to query"
    );
    let ids: Vec<custodia::model::EventId> = (0..SAMPLE)
        .map(|_| {
            let seq = rng.range(0, n - 1);
            ledger.events(seq, seq + 1).unwrap()[0].id
        })
        .collect();
    // Every query must find what it looks for: a bench that measures empty answers measures
    // nothing.
    let trace_rows: Vec<usize> = stocks
        .iter()
        .take(50)
        .map(|s| ledger.trace(s).unwrap().len())
        .collect();
    assert!(
        trace_rows.iter().all(|r| *r > 0),
        "every sampled stock has a trace"
    );
    for (serial, manufacturer) in markings.iter().take(50) {
        let q = MarkingQuery {
            serial: serial.clone(),
            manufacturer: manufacturer.clone(),
        };
        assert!(!ledger.find_items(&q).unwrap().is_empty(), "find {serial}");
    }
    let mut one = side
        .prepare_cached("SELECT json FROM events WHERE seq = ?1")
        .unwrap();
    let (mut pk, mut tr, mut fi, mut inc, mut con) = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        pk.push(per_call(min, || {
            let seq = i64::try_from(rng.range(0, n - 1)).unwrap();
            let j: Vec<u8> = one.query_row([seq], |r| r.get(0)).unwrap();
            std::hint::black_box(j);
        }));
        tr.push(per_call(min, || {
            let s = &stocks[rng.index(stocks.len())];
            std::hint::black_box(ledger.trace(s).unwrap());
        }));
        fi.push(per_call(min, || {
            let (serial, manufacturer) = &markings[rng.index(markings.len())];
            let q = MarkingQuery {
                serial: serial.clone(),
                manufacturer: manufacturer.clone(),
            };
            std::hint::black_box(ledger.find_items(&q).unwrap());
        }));
        inc.push(per_call(min, || {
            let id = &ids[rng.index(ids.len())];
            let p = ledger.inclusion_proof(id, None).unwrap();
            assert!(p.verify());
        }));
        con.push(per_call(min, || {
            let first = rng.range(1, n - 1);
            let p = ledger.consistency_proof(first, None).unwrap();
            assert!(p.verify());
        }));
    }
    Row {
        events: n,
        pk: median(pk),
        trace: median(tr),
        trace_rows: trace_rows.iter().sum::<usize>() as f64 / trace_rows.len() as f64,
        find: median(fi),
        inclusion: median(inc),
        consistency: median(con),
    }
}

fn main() {
    let sizes = sizes();
    println!(
        "scale bench: {} | synth ledger (seed 42) grown in batches of 1000 to {sizes:?} events; \
         uniformly random stocks, markings and events ({SAMPLE} of each sampled per size); \
         interleaved rounds, medians",
        common::machine(),
    );
    let dir = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("CUSTODIA_SCALE_LEDGER").map(std::path::PathBuf::from);
    let path = kept
        .clone()
        .unwrap_or_else(|| dir.path().join("scale.ledger"));
    // The generator's calendar dates events from 2026-01-01 at about 80 a working day: 10^7
    // events run centuries ahead of this machine's clock, which appending refuses by default.
    let options = Options::new()
        .log_key(custodia::Signer::from_seed([0xbe; 32]))
        .future_secs_max(FUTURE_SECS_MAX);
    let mut ledger = if path.exists() {
        Ledger::open(&path, options).unwrap()
    } else {
        Ledger::create(&path, options).unwrap()
    };
    let mut synth = Synth::new(42);
    let already = ledger.len().unwrap();
    for _ in 0..already {
        synth.next_event().unwrap();
    }
    let mut rng = SplitMix64::new(7);
    let mut out = Vec::new();
    let mut build = Duration::ZERO;
    for &target in &sizes {
        let t = Instant::now();
        while ledger.len().unwrap() < target {
            let want = usize::try_from((target - ledger.len().unwrap()).min(1000)).unwrap();
            let batch: Vec<_> = (&mut synth).take(want).collect::<Result<_, _>>().unwrap();
            ledger.append(&batch).unwrap();
        }
        build += t.elapsed();
        println!(
            "  {} events ({:.0} s of appends so far)",
            ledger.len().unwrap(),
            build.as_secs_f64()
        );
        out.push(measure(&ledger, &path, &mut rng));
    }
    let us = |s: f64| format!("{:.1}", s * 1e6);
    table(
        "trace, find by marking and proofs vs one SELECT by primary key (targets at 10^7 events: \
         trace < 1 ms, find < 1 ms, inclusion proof < 100 µs)",
        &[
            "events",
            "PK select µs",
            "trace µs (mean rows)",
            "trace / PK",
            "find µs",
            "find / PK",
            "inclusion proof µs",
            "inclusion / PK",
            "consistency proof µs",
        ],
        &out.iter()
            .map(|r| {
                vec![
                    r.events.to_string(),
                    us(r.pk),
                    format!("{} ({:.1})", us(r.trace), r.trace_rows),
                    format!("{:.1}×", r.trace / r.pk),
                    us(r.find),
                    format!("{:.1}×", r.find / r.pk),
                    us(r.inclusion),
                    format!("{:.1}×", r.inclusion / r.pk),
                    us(r.consistency),
                ]
            })
            .collect::<Vec<_>>(),
    );
    for r in &out {
        let at = format!("{} events", r.events);
        summary(
            &format!("trace of one item or lot, {at}"),
            &format!("{} µs", us(r.trace)),
            &format!("PK select {} µs", us(r.pk)),
            r.trace / r.pk,
            "< 1 ms",
        );
        summary(
            &format!("find by marking, {at}"),
            &format!("{} µs", us(r.find)),
            &format!("PK select {} µs", us(r.pk)),
            r.find / r.pk,
            "< 1 ms",
        );
        summary(
            &format!("inclusion proof (generate + verify), {at}"),
            &format!("{} µs", us(r.inclusion)),
            &format!("PK select {} µs", us(r.pk)),
            r.inclusion / r.pk,
            "< 100 µs",
        );
    }
}
