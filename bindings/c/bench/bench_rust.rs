//! The Rust side of the C API benchmark (`scripts/bench-c.sh`): the same calls as
//! `bench/bench_c.c`, made directly on `custodia::Ledger`, on an identical ledger.
//!
//! `bench_rust prepare DIR SETUP N` writes the inputs both sides use: `DIR/setup.jsonl` (SETUP
//! signed synthetic events, appended as one batch), `DIR/events.jsonl` (N more, appended one
//! call per event), `DIR/log.seed` (the log key's 32-byte seed) and `DIR/site.txt` (the site
//! whose balances are queried) and `DIR/stock.txt` (one stock held there).
//!
//! `bench_rust run DIR` times N single-event `append_json_lines` calls, then N `balances` calls
//! for that site (typed rows, and rows serialised to JSON as the C API hands them out), then N
//! for one stock at that site (a one-row answer), and prints `rust append_us=... balances_us=...
//! balances_json_us=... one_json_us=...` (mean microseconds per call).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "a benchmark program: failing loudly is what it should do"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use custodia_core::testkit::Synth;
use custodia_core::{BalanceFilter, Ledger, Options, Signer, SiteId};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn prepare(dir: &Path, setup: usize, n: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut synth = Synth::new(2026);
    let mut lines = |count: usize| -> Result<String> {
        let mut text = String::new();
        for _ in 0..count {
            text.push_str(synth.next_event()?.to_json());
            text.push('\n');
        }
        Ok(text)
    };
    let setup_text = lines(setup)?;
    let events_text = lines(n)?;
    std::fs::write(dir.join("setup.jsonl"), &setup_text)?;
    std::fs::write(dir.join("events.jsonl"), &events_text)?;
    let log = Signer::generate();
    std::fs::write(dir.join("log.seed"), log.seed())?;
    // The site with the most balance rows once every event is in (as when the queries run),
    // and a lot held there: queries that return something.
    let mut ledger = Ledger::in_memory(Options::new().log_key(Signer::from_seed(log.seed())))?;
    ledger.append_json_lines(setup_text.as_bytes())?;
    for line in events_text.lines() {
        ledger.append_json_lines(line.as_bytes())?;
    }
    let balances = ledger.balances(&BalanceFilter::default())?;
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for b in balances {
        if let Some(site) = b.site {
            *counts.entry(site.to_string()).or_default() += 1;
        }
    }
    let site = counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(s, _)| s)
        .ok_or("the setup holds no stock")?;
    std::fs::write(dir.join("site.txt"), &site)?;
    // One stock held there (the largest lot): a one-row answer shows the fixed cost of a call.
    let stock = ledger
        .balances(&BalanceFilter {
            site: Some(SiteId::new(site.as_str())?),
            stock: None,
        })?
        .into_iter()
        .max_by_key(|b| (b.kind == custodia_core::StockKind::Lot, b.units))
        .map(|b| b.stock)
        .ok_or("the site holds nothing")?;
    std::fs::write(dir.join("stock.txt"), &stock)?;
    println!("prepared {setup} setup events, {n} timed events, site {site}, stock {stock}");
    Ok(())
}

fn run(dir: &Path) -> Result<()> {
    let seed: [u8; 32] = std::fs::read(dir.join("log.seed"))?
        .try_into()
        .map_err(|_| "log.seed is not 32 bytes")?;
    let setup = std::fs::read(dir.join("setup.jsonl"))?;
    let events = std::fs::read_to_string(dir.join("events.jsonl"))?;
    let site = SiteId::new(std::fs::read_to_string(dir.join("site.txt"))?.trim())?;
    let stock = std::fs::read_to_string(dir.join("stock.txt"))?
        .trim()
        .to_owned();
    let path: PathBuf = dir.join("rust.ledger");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(dir.join("rust.ledger-wal"));
    let _ = std::fs::remove_file(dir.join("rust.ledger-shm"));
    let mut ledger = Ledger::create(&path, Options::new().log_key(Signer::from_seed(seed)))?;
    ledger.append_json_lines(&setup)?;

    let lines: Vec<&str> = events.lines().filter(|l| !l.is_empty()).collect();
    let start = Instant::now();
    for line in &lines {
        ledger.append_json_lines(line.as_bytes())?;
    }
    let append_us = start.elapsed().as_secs_f64() * 1e6 / lines.len() as f64;

    let filter = BalanceFilter {
        site: Some(site),
        stock: None,
    };
    let n = lines.len();
    let mut rows = 0usize;
    let start = Instant::now();
    for _ in 0..n {
        rows += ledger.balances(&filter)?.len();
    }
    let balances_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    let mut bytes = 0usize;
    let start = Instant::now();
    for _ in 0..n {
        bytes += serde_json::to_string(&ledger.balances(&filter)?)?.len();
    }
    let balances_json_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    let one = BalanceFilter {
        site: filter.site.clone(),
        stock: Some(stock),
    };
    let mut one_bytes = 0usize;
    let start = Instant::now();
    for _ in 0..n {
        one_bytes += serde_json::to_string(&ledger.balances(&one)?)?.len();
    }
    let one_json_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!(
        "rust append_us={append_us:.1} balances_us={balances_us:.1} balances_json_us={balances_json_us:.1} one_json_us={one_json_us:.1} rows={} json_bytes={} one_json_bytes={}",
        rows / n,
        bytes / n,
        one_bytes / n
    );
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("prepare") if args.len() == 5 => {
            prepare(Path::new(&args[2]), args[3].parse()?, args[4].parse()?)
        }
        Some("run") if args.len() == 3 => run(Path::new(&args[2])),
        _ => Err("usage: bench_rust prepare DIR SETUP N | bench_rust run DIR".into()),
    }
}
