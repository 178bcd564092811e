//! Helpers shared by the benches: medians of interleaved rounds, tables, a ledger file with a
//! log key, and the `--quick` smoke mode (`cargo bench -p custodia --bench NAME -- --quick`, or
//! `CUSTODIA_BENCH_QUICK=1`): the same measurements at small sizes, one round, to check that a
//! bench runs, not to measure.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use custodia::{Ledger, Options, Signer};

/// The benches measure the ledger on the allocator the `custodia` command and the Python module
/// use (mimalloc, `bindings/cli/src/main.rs`); the C library keeps its host's. On the system
/// allocator, `verify` of the bench's 20 k events is about a sixth slower here
/// (docs/PERFORMANCE_HISTORY.md, session 32).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Whether to run the quick smoke mode.
pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
        || std::env::var_os("CUSTODIA_BENCH_QUICK").is_some_and(|v| v == "1")
}

/// `full` normally, `small` in quick mode.
pub fn scale<T>(full: T, small: T) -> T {
    if quick() { small } else { full }
}

/// A new ledger file signed by a fixed bench log key.
pub fn create_ledger(path: &Path) -> Ledger {
    Ledger::create(path, Options::new().log_key(Signer::from_seed([0xbe; 32])))
        .expect("a new ledger file")
}

/// Splits `items` into one part per core and runs `f` on each part in parallel.
pub fn on_all_cores<T: Sync>(items: &[T], f: impl Fn(&[T]) + Sync) {
    let chunk = items.len().div_ceil(cores()).max(1);
    std::thread::scope(|s| {
        for part in items.chunks(chunk) {
            let f = &f;
            s.spawn(move || f(part));
        }
    });
}

/// Cores available.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Median of a non-empty list of durations (seconds).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs `f` once and returns its wall time in seconds.
pub fn time<R>(f: impl FnOnce() -> R) -> (f64, R) {
    let t = Instant::now();
    let r = f();
    (t.elapsed().as_secs_f64(), r)
}

/// Seconds per call of `f`, calling it until at least `min` has passed (at least once).
pub fn per_call(min: Duration, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    let mut n = 0u64;
    loop {
        f();
        n += 1;
        let e = t.elapsed();
        if e >= min {
            return e.as_secs_f64() / n as f64;
        }
    }
}

/// The absolute targets in µs were set on a machine where SHA-256 of 1 KiB takes about
/// 0.6 µs (the project's machine notes). Hosts differ by up to 2× between sessions, so such a
/// target is checked as a ratio against SHA-256 of 1 KiB measured in the same run: a target of
/// `t` µs is `t / 0.6` times this baseline.
pub const SHA256_KIB_REFERENCE_US: f64 = 0.6;

/// Seconds per SHA-256 of one KiB on one core, over `n` digests (call it in each round, beside
/// what it is the baseline of, and take the median).
pub fn sha256_kib_seconds(n: usize) -> f64 {
    use sha2::{Digest as _, Sha256};
    let block = [0x5au8; 1024];
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(Sha256::digest(std::hint::black_box(&block)));
    }
    t.elapsed().as_secs_f64() / n.max(1) as f64
}

/// A target of `us` µs (on the reference machine) as a ratio to SHA-256 of 1 KiB, and the text
/// the summary table shows for it.
pub fn sha256_kib_target(us: f64) -> (f64, String) {
    let ratio = us / SHA256_KIB_REFERENCE_US;
    (
        ratio,
        format!(
            "≤ {ratio:.1}× (the issue's {us} µs, where SHA-256 of 1 KiB takes {SHA256_KIB_REFERENCE_US} µs)"
        ),
    )
}

/// Human-readable rate.
pub fn rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2} M/s", per_sec / 1e6)
    } else if per_sec >= 1e3 {
        format!("{:.1} k/s", per_sec / 1e3)
    } else {
        format!("{per_sec:.0} /s")
    }
}

/// Prints a markdown table.
pub fn table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    println!("\n### {title}\n");
    println!("| {} |", header.join(" | "));
    println!(
        "|{}|",
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        println!("| {} |", r.join(" | "));
    }
}

/// One row of the summary table `scripts/bench.sh` prints at the end of a run: what was
/// measured, the baseline measured in the same run, their ratio (measured time / baseline time,
/// or throughput / baseline throughput, as the row says) and the target. Printed as one
/// tab-separated line starting with `SUMMARY`, which the script collects.
pub fn summary(row: &str, measured: &str, baseline: &str, ratio: f64, target: &str) {
    let clean = |s: &str| s.replace(['\t', '\n'], " ");
    println!(
        "SUMMARY\t{}\t{}\t{}\t{ratio:.2}×\t{}",
        clean(row),
        clean(measured),
        clean(baseline),
        clean(target)
    );
}

/// Machine notes for the report (and a warning in quick mode).
pub fn machine() -> String {
    let note = if quick() {
        " | QUICK SMOKE RUN: small sizes, one round, not a measurement"
    } else {
        ""
    };
    format!("{}{note}", machine_only())
}

fn machine_only() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown cpu".into());
    format!("{cores} cores, {model}, mimalloc")
}
