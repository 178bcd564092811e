//! The read side at scale: `Ledger::trace` (the history of one item or lot), `find_items`
//! (tracing by marking) and `inclusion_proof` / `consistency_proof` (generated and verified) on
//! one synth ledger grown in batches of 1,000 to 10^6 and 10^7 events, each against one `SELECT`
//! of an event by primary key on the same file (baseline, measured in the same rounds).
//! Targets (DESIGN.md): trace and find < 1 ms, inclusion proof < 100 µs, at 10^7 events.
//!
//! Trace is reported by history length (rows ≤ 10, ≤ 100, ≤ 1,000, > 1,000; the stocks of the
//! uniform sample plus every stock whose history is longer than 1,000 rows, up to 1,000 of
//! them): time per call, time per row, the same rows read with each event's JSON (what `trace`
//! read before it selected only a row's columns), and the first page of a long history
//! (`trace_page`, `TRACE_PAGE_ROWS_MAX` rows).
//!
//! Run: `cargo bench -p custodia --bench scale` (smoke run: `-- --quick`, sizes 2,000 and
//! 4,000). Sizes: `CUSTODIA_SCALE_EVENTS=1000000,10000000` (the default; about 1.4 KB of disk
//! per event). `CUSTODIA_SCALE_LEDGER=PATH` keeps the ledger at PATH and grows it from where it
//! stands on the next run (the generator is deterministic: it re-generates and skips the events
//! already there), so a 10^7-event ledger is built once. (A kept ledger built before session 20
//! may hold generated full counts above `EVENT_BYTES_MAX`, which the ledger then refuses on
//! reopening: build it again.) Each size's tables are printed as soon as it is measured, and
//! the growth prints its progress every `PROGRESS_EVERY` events, so a run stopped before its
//! last size still reports the sizes it reached.
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
use custodia::{Ledger, MarkingQuery, Options, TRACE_PAGE_ROWS_MAX};
use rusqlite::Connection;

/// How far past the clock an appended event may be dated: a thousand years, in seconds.
const FUTURE_SECS_MAX: i64 = 1_000 * 366 * 86_400;

/// Growing the ledger prints its progress every this many events.
const PROGRESS_EVERY: u64 = 500_000;

/// How many of each (stock, marking, event) the queries draw from, sampled once per size.
const SAMPLE: usize = 1000;

/// Trace is reported by history length: at most each of these rows, and above the last.
const TRACE_ROWS_BOUNDS: [usize; 3] = [10, 100, 1_000];

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
    /// Trace of a stock of the uniform sample.
    trace: f64,
    /// Mean rows of the uniform sample's histories.
    trace_rows: f64,
    /// Trace by history length, one per bucket of `TRACE_ROWS_BOUNDS` (and above the last).
    buckets: Vec<Bucket>,
    /// The first page (`TRACE_PAGE_ROWS_MAX` rows) of a history longer than a page.
    page: Option<f64>,
    find: f64,
    inclusion: f64,
    consistency: f64,
}

/// The sampled stocks of one range of history lengths and their trace times.
struct Bucket {
    label: String,
    /// (stock, rows of its history).
    stocks: Vec<(String, usize)>,
    /// Seconds per call and per row of `Ledger::trace`, medians of the rounds.
    per_call: f64,
    per_row: f64,
    /// Seconds per call of the same rows read with each event's JSON.
    json_per_call: f64,
}

impl Bucket {
    fn mean_rows(&self) -> f64 {
        self.stocks.iter().map(|(_, n)| *n).sum::<usize>() as f64 / self.stocks.len() as f64
    }
}

/// Seconds per call and per row of `f` (which returns the rows it read) on random stocks of
/// `stocks`, calling it until at least `min` has passed (at least once).
fn per_call_rows(
    min: Duration,
    stocks: &[(String, usize)],
    rng: &mut SplitMix64,
    mut f: impl FnMut(&str) -> usize,
) -> (f64, f64) {
    let t = Instant::now();
    let (mut calls, mut rows) = (0u64, 0u64);
    loop {
        let (stock, _) = &stocks[rng.index(stocks.len())];
        rows += f(stock) as u64;
        calls += 1;
        let e = t.elapsed();
        if e >= min {
            let e = e.as_secs_f64();
            return (e / calls as f64, e / rows.max(1) as f64);
        }
    }
}

/// The trace statement as the library ran it before it selected only a row's columns: every
/// event's JSON read and copied with the row (the `record` reader); returns the rows.
fn trace_with_json(side: &Connection, stock: &str) -> usize {
    let mut st = side
        .prepare_cached(
            "SELECT e.seq, e.id, e.kind, e.at, e.actor, e.json FROM touches t
             JOIN events e ON e.seq = t.seq
             WHERE t.kind IN ('item', 'lot') AND t.stock = ?1 ORDER BY t.seq",
        )
        .unwrap();
    let mut rows = st.query([stock]).unwrap();
    let mut n = 0;
    while let Some(r) = rows.next().unwrap() {
        let json: Vec<u8> = r.get(5).unwrap();
        std::hint::black_box(String::from_utf8(json).unwrap());
        n += 1;
    }
    n
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
    // nothing. Each sampled stock's history length, by a trace.
    let sampled: Vec<(String, usize)> = stocks
        .iter()
        .map(|s| (s.clone(), ledger.trace(s).unwrap().len()))
        .collect();
    assert!(
        sampled.iter().all(|(_, r)| *r > 0),
        "every sampled stock has a trace"
    );
    // The long histories are too few for a uniform sample to meet: take them all (up to
    // `SAMPLE`).
    let mut long: Vec<String> = side
        .prepare(&format!(
            "SELECT stock FROM touches GROUP BY kind, stock HAVING count(*) > {} LIMIT {SAMPLE}",
            TRACE_ROWS_BOUNDS[TRACE_ROWS_BOUNDS.len() - 1]
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    long.retain(|s| !stocks.contains(s));
    let mut buckets: Vec<Bucket> = (0..=TRACE_ROWS_BOUNDS.len())
        .map(|i| Bucket {
            label: match (
                i.checked_sub(1).map(|j| TRACE_ROWS_BOUNDS[j]),
                TRACE_ROWS_BOUNDS.get(i),
            ) {
                (None, Some(hi)) => format!("1–{hi}"),
                (Some(lo), Some(hi)) => format!("{}–{hi}", lo + 1),
                (Some(lo), None) => format!("> {lo}"),
                (None, None) => unreachable!(),
            },
            stocks: Vec::new(),
            per_call: f64::NAN,
            per_row: f64::NAN,
            json_per_call: f64::NAN,
        })
        .collect();
    for (stock, rows) in sampled.iter().cloned().chain(
        long.iter()
            .map(|s| (s.clone(), ledger.trace(s).unwrap().len())),
    ) {
        let b = TRACE_ROWS_BOUNDS
            .iter()
            .position(|hi| rows <= *hi)
            .unwrap_or(TRACE_ROWS_BOUNDS.len());
        buckets[b].stocks.push((stock, rows));
    }
    let page_limit = usize::try_from(TRACE_PAGE_ROWS_MAX).unwrap();
    let paged: Vec<(String, usize)> = buckets
        .iter()
        .flat_map(|b| b.stocks.iter())
        .filter(|(_, rows)| *rows > page_limit)
        .cloned()
        .collect();
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
    let mut by_len: Vec<[Vec<f64>; 3]> = buckets.iter().map(|_| [vec![], vec![], vec![]]).collect();
    let mut pages = vec![];
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
        for (b, times) in buckets.iter().zip(by_len.iter_mut()) {
            if b.stocks.is_empty() {
                continue;
            }
            let (call, row) = per_call_rows(min, &b.stocks, rng, |s| {
                std::hint::black_box(ledger.trace(s).unwrap()).len()
            });
            times[0].push(call);
            times[1].push(row);
            let (call, _) = per_call_rows(min, &b.stocks, rng, |s| trace_with_json(&side, s));
            times[2].push(call);
        }
        if !paged.is_empty() {
            pages.push(
                per_call_rows(min, &paged, rng, |s| {
                    let page = ledger.trace_page(s, None, TRACE_PAGE_ROWS_MAX).unwrap();
                    assert_eq!(page.len(), page_limit);
                    page.len()
                })
                .0,
            );
        }
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
    for (b, [call, row, json]) in buckets.iter_mut().zip(by_len) {
        b.per_call = median(call);
        b.per_row = median(row);
        b.json_per_call = median(json);
    }
    Row {
        events: n,
        pk: median(pk),
        trace: median(tr),
        trace_rows: sampled.iter().map(|(_, r)| *r).sum::<usize>() as f64 / sampled.len() as f64,
        buckets,
        page: (!pages.is_empty()).then(|| median(pages)),
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
    let mut already = if path.exists() {
        reader(&path).len().unwrap()
    } else {
        0
    };
    // The writer and the generator are made when a size needs growing to: a run on a kept
    // ledger that already holds its sizes only reads.
    let mut writer: Option<(Ledger, Synth)> = None;
    let mut rng = SplitMix64::new(7);
    let mut out = Vec::new();
    let mut build = Duration::ZERO;
    for (i, &target) in sizes.iter().enumerate() {
        if already > target {
            println!("  {target} events: the kept ledger holds {already} already; not measured");
            continue;
        }
        if already < target {
            let (ledger, synth) = writer.get_or_insert_with(|| grower(&path, already));
            let t = Instant::now();
            while already < target {
                let want = usize::try_from((target - already).min(1000)).unwrap();
                let batch: Vec<_> = synth.by_ref().take(want).collect::<Result<_, _>>().unwrap();
                ledger.append(&batch).unwrap();
                already = ledger.len().unwrap();
                if already % PROGRESS_EVERY == 0 && already < target {
                    println!(
                        "  … {already} events ({:.0} s of appends so far)",
                        (build + t.elapsed()).as_secs_f64()
                    );
                }
            }
            build += t.elapsed();
            println!(
                "  {already} events ({:.0} s of appends so far)",
                build.as_secs_f64()
            );
        }
        // The queries run on a reader of the file, as a ministry's or an auditor's query
        // process would. After the last size the writer and the generator are dropped: their
        // states (about 1.7 KB per event together) would otherwise take the memory the
        // operating system's page cache needs for the file.
        if i + 1 == sizes.len() {
            writer = None;
        }
        // Reported at once: the next size may be hours of appends away.
        let row = measure(&reader(&path), &path, &mut rng);
        size_table(std::slice::from_ref(&row));
        bucket_table(&row);
        out.push(row);
    }
    // Each size was reported as soon as it was measured; the sizes side by side, then the
    // summary rows.
    size_table(&out);
    for r in &out {
        let at = format!("{} events", r.events);
        summary(
            &format!(
                "trace of one item or lot (uniform sample, mean {:.1} rows), {at}",
                r.trace_rows
            ),
            &format!("{} µs", us(r.trace)),
            &format!("PK select {} µs", us(r.pk)),
            r.trace / r.pk,
            "< 1 ms",
        );
        for b in r.buckets.iter().filter(|b| !b.stocks.is_empty()) {
            summary(
                &format!(
                    "trace, histories of {} rows (mean {:.0}), {at}",
                    b.label,
                    b.mean_rows()
                ),
                &format!("{} µs ({:.2} µs per row)", us(b.per_call), b.per_row * 1e6),
                &format!("PK select {} µs", us(r.pk)),
                b.per_call / r.pk,
                if b.stocks.iter().all(|(_, n)| *n <= 100) {
                    "< 1 ms".to_owned()
                } else {
                    format!("none: read by pages of {TRACE_PAGE_ROWS_MAX} (< 1 ms a page)")
                }
                .as_str(),
            );
        }
        if let Some(page) = r.page {
            summary(
                &format!("trace_page, first {TRACE_PAGE_ROWS_MAX} rows of a longer history, {at}"),
                &format!("{} µs", us(page)),
                &format!("PK select {} µs", us(r.pk)),
                page / r.pk,
                "< 1 ms",
            );
        }
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

/// A read-only handle on the ledger at `path` (it reads the file, it does not replay it).
fn reader(path: &std::path::Path) -> Ledger {
    Ledger::open(path, Options::new().read_only(true)).unwrap()
}

/// The ledger at `path` opened (or created) for appending, and the generator that continues
/// it: deterministic, so it re-generates the `already` events the file holds and skips them.
fn grower(path: &std::path::Path, already: u64) -> (Ledger, Synth) {
    // The generator's calendar dates events from 2026-01-01 at about 80 a working day: 10^7
    // events run centuries ahead of this machine's clock, which appending refuses by default.
    let options = Options::new()
        .log_key(custodia::Signer::from_seed([0xbe; 32]))
        .future_secs_max(FUTURE_SECS_MAX);
    let ledger = if path.exists() {
        Ledger::open(path, options).unwrap()
    } else {
        Ledger::create(path, options).unwrap()
    };
    assert_eq!(
        ledger.len().unwrap(),
        already,
        "the ledger changed under the bench"
    );
    let mut synth = Synth::new(42);
    for _ in 0..already {
        synth.next_event().unwrap();
    }
    (ledger, synth)
}

/// Microseconds, one decimal.
fn us(s: f64) -> String {
    format!("{:.1}", s * 1e6)
}

/// The table of every measured size.
fn size_table(out: &[Row]) {
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
}

/// Trace by history length at one size.
fn bucket_table(r: &Row) {
    let mut rows: Vec<Vec<String>> = r
        .buckets
        .iter()
        .filter(|b| !b.stocks.is_empty())
        .map(|b| {
            vec![
                b.label.clone(),
                b.stocks.len().to_string(),
                format!("{:.1}", b.mean_rows()),
                us(b.per_call),
                format!("{:.2}", b.per_row * 1e6),
                format!("{:.1}×", b.per_call / r.pk),
                us(b.json_per_call),
                format!("{:.1}×", b.json_per_call / b.per_call),
            ]
        })
        .collect();
    if let Some(page) = r.page {
        rows.push(vec![
            format!("first page (`trace_page`) of a history > {TRACE_PAGE_ROWS_MAX}"),
            r.buckets
                .iter()
                .flat_map(|b| b.stocks.iter())
                .filter(|(_, n)| *n > TRACE_PAGE_ROWS_MAX as usize)
                .count()
                .to_string(),
            TRACE_PAGE_ROWS_MAX.to_string(),
            us(page),
            format!("{:.2}", page / f64::from(TRACE_PAGE_ROWS_MAX) * 1e6),
            format!("{:.1}×", page / r.pk),
            "–".into(),
            "–".into(),
        ]);
    }
    table(
        &format!(
            "trace by history length at {} events, vs one SELECT by primary key ({} µs) and \
                 vs the same rows read with each event's JSON (as trace read them before)",
            r.events,
            us(r.pk)
        ),
        &[
            "history rows",
            "stocks",
            "mean rows",
            "trace µs",
            "µs per row",
            "trace / PK",
            "with JSON µs",
            "with JSON / trace",
        ],
        &rows,
    );
}
