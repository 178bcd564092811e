//! Crash safety: a child process (this test binary re-invoked) appends batches of synthetic
//! events and is killed with SIGKILL at a random moment, 50 times. After each kill the ledger
//! reopens with whole batches only (no partial batch) and verifies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use custodia::store::{SqliteStore, Store, VerifyOptions, verify_file};
use custodia::{Signer, synth};

const BATCH_EVENTS: usize = 10;
const TOTAL_EVENTS: usize = 300;
const RUNS: u64 = 50;
const CHILD_ENV: &str = "CUSTODIA_CRASH_CHILD_LEDGER";

/// The child: open the ledger and append the remaining batches until killed.
fn child(path: &Path) {
    let text = std::fs::read_to_string(path.with_extension("jsonl")).unwrap();
    let events: Vec<custodia::event::SignedEvent> = text
        .lines()
        .map(|l| custodia::event::SignedEvent::from_json(l.as_bytes()).unwrap())
        .collect();
    let mut store = SqliteStore::open(path).unwrap();
    let start = store.len() as usize;
    for chunk in events[start..].chunks(BATCH_EVENTS) {
        store.append_batch(chunk).unwrap();
    }
}

#[test]
fn killed_appends_leave_whole_batches() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(Path::new(&path));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    drop(SqliteStore::create(&path, Some(Signer::from_seed([1; 32]))).unwrap());
    let mut jsonl = String::new();
    for e in synth::events(5, TOTAL_EVENTS).unwrap() {
        jsonl.push_str(&e.to_json().unwrap());
        jsonl.push('\n');
    }
    std::fs::write(path.with_extension("jsonl"), jsonl).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut rng = synth::SplitMix64::new(99);
    let mut last = 0u64;
    let mut killed_mid_run = 0;
    for run in 0..RUNS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "killed_appends_leave_whole_batches",
                "--nocapture",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.range(10, 400)));
        // SIGKILL: no destructor, no rollback, no flush runs in the child.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if !status.success() {
            killed_mid_run += 1;
        }
        let store = SqliteStore::open(&path).unwrap();
        let len = store.len();
        assert_eq!(
            len % BATCH_EVENTS as u64,
            0,
            "run {run}: partial batch, {len} events"
        );
        assert!(
            len >= last,
            "run {run}: committed batches lost ({last} -> {len})"
        );
        last = len;
        seen.insert(len);
        drop(store);
        if run % 10 == 9 || len as usize == TOTAL_EVENTS {
            let report = verify_file(&path, &VerifyOptions::default()).unwrap();
            assert!(report.is_valid(), "run {run}: {:?}", report.failure);
            assert_eq!(report.events, len);
        }
        if len as usize == TOTAL_EVENTS {
            // Start over so that later kills still land mid-append.
            std::fs::remove_file(&path).unwrap();
            let _ = std::fs::remove_file(path.with_extension("db-wal"));
            let _ = std::fs::remove_file(path.with_extension("db-shm"));
            drop(SqliteStore::create(&path, Some(Signer::from_seed([1; 32]))).unwrap());
            last = 0;
        }
    }
    // Under heavy machine load kills land earlier; some must still land after commits.
    assert!(seen.len() >= 2, "no kill landed after a commit: {seen:?}");
    assert!(
        killed_mid_run > RUNS / 2,
        "only {killed_mid_run} runs were killed mid-append"
    );
    let report = verify_file(&path, &VerifyOptions::default()).unwrap();
    assert!(report.is_valid(), "{:?}", report.failure);
}
