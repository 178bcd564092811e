//! `Ledger::find_items` (tracing by marking, ITI §§10–14) on ledgers of 10^6 and 10^7 registered
//! items, against one `SELECT` of an item by primary key on the same file (baseline). Items are
//! registered 1,000 per `register_items` event, each with a distinct serial; the queries use the
//! serial as an officer would type it (lower case, surrounding spaces), with and without the
//! manufacturer, and a serial that is not on the books. Rounds are interleaved; medians are reported.
//!
//! Run: `cargo bench -p custodia --bench find` (about 1 GB of disk and 15 minutes at 10^7;
//! `CUSTODIA_FIND_ITEMS_MAX=1000000` stops at 10^6; smoke run: `-- --quick`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;
#[path = "../tests/common/mod.rs"]
mod world;

use std::time::{Duration, Instant};

use common::{median, per_call, scale, table};
use custodia::MarkingQuery;
use custodia::testkit::SplitMix64;
use rusqlite::Connection;
use world::{DEPOT_A, UNIT_A, World, register_items_body};

/// Items per registration event.
const ITEMS_PER_EVENT: usize = 1000;

fn serial(n: u64) -> String {
    format!("ITEM:F{n}")
}

fn measure(world: &World, path: &std::path::Path, items: u64, rng: &mut SplitMix64) -> Vec<String> {
    let rounds: usize = scale(7, 1);
    let min = scale(Duration::from_millis(200), Duration::from_millis(10));
    let side = Connection::open(path).unwrap();
    let on_file: i64 = side
        .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
        .unwrap();
    let mut pk = side
        .prepare_cached("SELECT marking FROM items WHERE id = ?1")
        .unwrap();
    let pick = |rng: &mut SplitMix64| rng.range(0, items - 1);
    // Every query must find what it looks for (or nothing, for the miss): a bench that measures
    // empty answers measures nothing.
    for n in [0, items / 2, items - 1] {
        let q = MarkingQuery {
            serial: format!("  {}  ", serial(n).to_lowercase()),
            manufacturer: Some("acme".into()),
        };
        let found = world.ledger.find_items(&q).unwrap();
        assert_eq!(found.len(), 1, "find {n}");
    }
    let (mut by_serial, mut with_maker, mut miss, mut base) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        base.push(per_call(min, || {
            let id = format!("item:f{}", pick(rng));
            let m: String = pk.query_row([id], |r| r.get(0)).unwrap();
            std::hint::black_box(m);
        }));
        by_serial.push(per_call(min, || {
            let q = MarkingQuery {
                serial: serial(pick(rng)).to_lowercase(),
                manufacturer: None,
            };
            let found = world.ledger.find_items(&q).unwrap();
            assert_eq!(found.len(), 1);
        }));
        with_maker.push(per_call(min, || {
            let q = MarkingQuery {
                serial: serial(pick(rng)).to_lowercase(),
                manufacturer: Some(" Acme ".into()),
            };
            let found = world.ledger.find_items(&q).unwrap();
            assert_eq!(found.len(), 1);
        }));
        miss.push(per_call(min, || {
            let q = MarkingQuery {
                serial: format!("NOT-{}", pick(rng)),
                manufacturer: None,
            };
            assert!(world.ledger.find_items(&q).unwrap().is_empty());
        }));
    }
    let (s, m, x, b) = (
        median(by_serial),
        median(with_maker),
        median(miss),
        median(base),
    );
    vec![
        on_file.to_string(),
        format!("{:.1}", s * 1e6),
        format!("{:.1}", m * 1e6),
        format!("{:.1}", x * 1e6),
        format!("{:.1}", b * 1e6),
        format!("{:.1}×", s / b),
        resident()
            .map(|kib| format!("{:.0}", kib as f64 * 1024.0 / items as f64))
            .unwrap_or_else(|| "not measured".into()),
    ]
}

/// Resident memory of this process in KiB (`VmRSS` of `/proc/self/status`), or none where
/// there is no `/proc`.
fn resident() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn main() {
    let limit: u64 = std::env::var("CUSTODIA_FIND_ITEMS_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let marks: Vec<u64> = scale(vec![1_000_000, 10_000_000], vec![2_000, 4_000])
        .into_iter()
        .filter(|m| *m <= limit)
        .collect();
    println!(
        "find bench: {} | items registered {ITEMS_PER_EVENT} per event (file ledger); \
         find by serial (lower case), by serial and manufacturer, a miss; \
         baseline: one SELECT of an item by primary key; interleaved rounds, medians",
        common::machine(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("find.ledger");
    let mut world = World::with_ledger(common::create_ledger(&path));
    world.populate();
    let mut rng = SplitMix64::new(11);
    let mut next = 0u64;
    let mut out = Vec::new();
    let start = Instant::now();
    for mark in marks {
        while next < mark {
            let ids: Vec<String> = (next..next + ITEMS_PER_EVENT as u64)
                .map(|n| format!("item:f{n}"))
                .collect();
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            world.record(UNIT_A, register_items_body(DEPOT_A, UNIT_A, &refs));
            world.journal.clear();
            next += ITEMS_PER_EVENT as u64;
            if next.is_multiple_of(100_000) {
                eprintln!(
                    "{next} items registered after {:.0} s",
                    start.elapsed().as_secs_f64()
                );
            }
        }
        eprintln!(
            "{next} items registered after {:.0} s",
            start.elapsed().as_secs_f64()
        );
        let row = measure(&world, &path, next, &mut rng);
        // Each row as soon as it is measured: the 10^7 run takes long enough to be interrupted.
        eprintln!("measured: | {} |", row.join(" | "));
        out.push(row);
    }
    table(
        "find_items vs one SELECT by primary key (target: < 1 ms at 10^7 items)",
        &[
            "items",
            "by serial µs",
            "serial + manufacturer µs",
            "miss µs",
            "PK select µs",
            "by serial / PK",
            "resident bytes per item",
        ],
        &out,
    );
}
