//! Peak memory of verification against the length of a ledger whose state does not grow:
//! the steady-state generator (`custodia::testkit::Synth::steady`) writes ledgers of several
//! lengths, and each is verified in its own process (stored ledger, then JSON lines export)
//! so that `/usr/bin/time -v` reports that process's peak resident set size. Driven by
//! `scripts/verify-memory.sh`, which prints the table; not part of CI.
//!
//!   verify_memory generate DIR N1,N2,...   writes DIR/steady-N.ledger and DIR/steady-N.jsonl
//!   verify_memory store FILE               `Ledger::verify` of a stored ledger, read-only
//!   verify_memory jsonl FILE               `verify_jsonl` of an export
//!   verify_memory --quick                  a smoke run: both on a tiny steady ledger
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use custodia::testkit::Synth;
use custodia::{Ledger, Options, SignedEvent, Signer};

const SEED: u64 = 42;
/// Events per appended batch.
const BATCH_EVENTS: usize = 1000;
/// How far past the clock an appended event may be dated: the generator's calendar dates its
/// events from 2026-01-01 at about 80 a working day, so a million events run decades ahead.
/// A thousand years, in seconds.
const FUTURE_SECS_MAX: i64 = 1_000 * 366 * 86_400;

fn writer_options() -> Options {
    Options::new()
        .log_key(Signer::from_seed([0xbe; 32]))
        .future_secs_max(FUTURE_SECS_MAX)
}

/// Writes one steady-state ledger, copied (with its export) at each length in `sizes`.
fn generate(dir: &Path, sizes: &[u64]) {
    std::fs::create_dir_all(dir).unwrap();
    let work = dir.join("work.ledger");
    let _ = std::fs::remove_file(&work);
    let work_jsonl = dir.join("work.jsonl");
    let mut ledger = Ledger::create(&work, writer_options()).unwrap();
    let mut jsonl = std::io::BufWriter::new(std::fs::File::create(&work_jsonl).unwrap());
    let mut synth = Synth::steady(SEED);
    let mut done = 0u64;
    let started = Instant::now();
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    for &size in &sizes {
        while done < size {
            let n = (size - done).min(BATCH_EVENTS as u64);
            let batch: Vec<SignedEvent> = (0..n).map(|_| synth.next_event().unwrap()).collect();
            for e in &batch {
                jsonl.write_all(e.to_json().as_bytes()).unwrap();
                jsonl.write_all(b"\n").unwrap();
            }
            ledger.append(&batch).unwrap();
            done += n;
        }
        jsonl.flush().unwrap();
        // Closing the ledger folds its write-ahead log into the file, which can then be copied.
        drop(ledger);
        std::fs::copy(&work, dir.join(format!("steady-{size}.ledger"))).unwrap();
        std::fs::copy(&work_jsonl, dir.join(format!("steady-{size}.jsonl"))).unwrap();
        eprintln!(
            "{size} events written in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        ledger = Ledger::open(&work, writer_options()).unwrap();
    }
    drop(ledger);
    let _ = std::fs::remove_file(&work);
    let _ = std::fs::remove_file(&work_jsonl);
}

fn verify_store(path: &Path) -> (u64, bool) {
    let ledger = Ledger::open(path, Options::new().read_only(true)).unwrap();
    let r = ledger.verify().unwrap();
    assert!(r.ok, "{:?}", r.failure);
    (r.events, r.ok)
}

fn verify_jsonl(path: &Path) -> (u64, bool) {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let r = custodia::verify_jsonl(f, None);
    assert!(r.ok, "{:?}", r.failure);
    (r.events, r.ok)
}

fn timed(what: &str, path: &Path, f: fn(&Path) -> (u64, bool)) {
    let t = Instant::now();
    let (events, ok) = f(path);
    let s = t.elapsed().as_secs_f64();
    println!(
        "{what} {}: {events} events, ok={ok}, {s:.2} s, {:.0} events/s",
        path.display(),
        events as f64 / s
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", dir, sizes] => {
            let sizes: Vec<u64> = sizes.split(',').map(|s| s.parse().unwrap()).collect();
            generate(Path::new(dir), &sizes);
        }
        ["store", file] => timed("store", Path::new(file), verify_store),
        ["jsonl", file] => timed("jsonl", Path::new(file), verify_jsonl),
        _ => {
            // `cargo bench` with no arguments, or `--quick`: a smoke run on tiny ledgers.
            let dir = tempfile::tempdir().unwrap();
            let sizes = [common::scale(3_000, 600), common::scale(6_000, 1_200)];
            generate(dir.path(), &sizes);
            for size in sizes {
                let base: PathBuf = dir.path().join(format!("steady-{size}"));
                timed("store", &base.with_extension("ledger"), verify_store);
                timed("jsonl", &base.with_extension("jsonl"), verify_jsonl);
            }
        }
    }
}
