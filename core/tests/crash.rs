//! Crash safety: a child process (this test binary, re-invoked) appends batches of synthetic
//! events to a ledger file in an endless loop and is killed with SIGKILL at a random moment
//! while it is still running, again and again. After every kill the file opens, holds whole
//! batches only, holds every batch the child reported committed (and at most the one it was
//! committing when killed), holds exactly the synthetic history's prefix, and verifies (every
//! few runs, and after the last).
//!
//! 50 kills by default (about 20 s); `CUSTODIA_CRASH_RUNS=1000` for a long run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::log_key;
use custodia::testkit::{SplitMix64, Synth};
use custodia::{Ledger, Options, SignedEvent};

const BATCH_EVENTS: usize = 10;
/// Events generated once and shared with the child through a file.
const POOL_EVENTS: usize = 600;
/// Above this length the parent starts a new file, so that the child's replay stays short.
const RESTART_AT: u64 = 300;
const RUNS_DEFAULT: u64 = 50;
const RUNS_ENV: &str = "CUSTODIA_CRASH_RUNS";
const CHILD_LEDGER_ENV: &str = "CUSTODIA_CRASH_CHILD_LEDGER";
const CHILD_POOL_ENV: &str = "CUSTODIA_CRASH_CHILD_POOL";
const SEED: u64 = 5;
const TEST_NAME: &str = "killed_appends_leave_whole_batches";
/// What starts each line the child reports on.
const SAID: &str = "custodia-crash-child:";

/// The child: append the synthetic history from where the file ends, batch after batch,
/// forever (past the pool it goes on generating the same history), reporting each commit.
fn child(ledger_path: &Path, pool_path: &Path) -> ! {
    let text = std::fs::read_to_string(pool_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut ledger = Ledger::open(ledger_path, Options::new().log_key(log_key())).unwrap();
    let mut len = usize::try_from(ledger.len().unwrap()).unwrap();
    // Replay the file and compile the event schema now (decoding a line does), so that the
    // kill lands among appends rather than in the start-up.
    ledger.check_invariants().unwrap();
    SignedEvent::from_json(lines[0].as_bytes()).unwrap();
    // On a line of its own: the test harness may have started one without ending it.
    println!("\n{SAID} ready {len}");
    let mut synth: Option<Synth> = None;
    loop {
        let batch: Vec<SignedEvent> = if len + BATCH_EVENTS <= lines.len() {
            lines[len..len + BATCH_EVENTS]
                .iter()
                .map(|l| SignedEvent::from_json(l.as_bytes()).unwrap())
                .collect()
        } else {
            let s = synth.get_or_insert_with(|| {
                let mut s = Synth::new(SEED);
                for _ in 0..len {
                    s.next_event().unwrap();
                }
                s
            });
            (0..BATCH_EVENTS).map(|_| s.next_event().unwrap()).collect()
        };
        ledger.append(&batch).unwrap();
        len += BATCH_EVENTS;
        println!("{SAID} committed {len}");
    }
}

fn fresh_ledger(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    drop(Ledger::create(path, Options::new().log_key(log_key())).unwrap());
}

/// What the child said: `ready N` once, then `committed N` after each append.
enum Said {
    Ready(u64),
    Committed(u64),
}

#[test]
fn killed_appends_leave_whole_batches() {
    if let (Ok(ledger), Ok(pool)) = (
        std::env::var(CHILD_LEDGER_ENV),
        std::env::var(CHILD_POOL_ENV),
    ) {
        child(Path::new(&ledger), Path::new(&pool));
    }
    let runs: u64 = std::env::var(RUNS_ENV).ok().map_or(RUNS_DEFAULT, |v| {
        v.parse().expect("CUSTODIA_CRASH_RUNS is a number")
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.ledger");
    let pool_path = dir.path().join("pool.jsonl");
    let pool = custodia::testkit::events(SEED, POOL_EVENTS).unwrap();
    let mut text = String::new();
    for e in &pool {
        text.push_str(e.to_json());
        text.push('\n');
    }
    std::fs::write(&pool_path, text).unwrap();
    fresh_ledger(&path);

    let exe = std::env::current_exe().unwrap();
    let mut rng = SplitMix64::new(99);
    let mut last = 0u64;
    let mut restarts = 0;
    let mut longest = 0;
    let mut kills_after_commits = 0;
    let mut kills_between_commits = 0;
    for run in 0..runs {
        if last >= RESTART_AT {
            fresh_ledger(&path);
            last = 0;
            restarts += 1;
        }
        let mut child = Command::new(&exe)
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
            .env(CHILD_LEDGER_ENV, &path)
            .env(CHILD_POOL_ENV, &pool_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Some(rest) = line.strip_prefix(SAID) else {
                    continue;
                };
                let said = match rest.trim().split_once(' ') {
                    Some(("ready", n)) => Said::Ready(n.parse().unwrap()),
                    Some(("committed", n)) => Said::Committed(n.parse().unwrap()),
                    _ => panic!("the child said `{line}`"),
                };
                if tx.send(said).is_err() {
                    break;
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Said::Ready(n)) => assert_eq!(n, last, "run {run}: the child found {n} events"),
            _ => panic!("run {run}: the child never got ready"),
        }
        // A random moment among the appends: within the first batch, or several batches on.
        std::thread::sleep(Duration::from_micros(rng.range(0, 120_000)));
        // The child never finishes by itself: it must still be running when it is killed.
        assert!(
            child.try_wait().unwrap().is_none(),
            "run {run}: the child stopped by itself"
        );
        // SIGKILL: no destructor, no rollback, no flush runs in the child.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        {
            use std::os::unix::process::ExitStatusExt as _;
            assert_eq!(status.signal(), Some(9), "run {run}: {status:?}");
        }
        reader.join().unwrap();
        let committed = rx
            .try_iter()
            .filter_map(|s| match s {
                Said::Committed(n) => Some(n),
                Said::Ready(_) => None,
            })
            .last();

        let ledger = Ledger::open(&path, Options::new().log_key(log_key())).unwrap();
        let len = ledger.len().unwrap();
        assert_eq!(
            len % BATCH_EVENTS as u64,
            0,
            "run {run}: partial batch, {len} events"
        );
        let reported = committed.unwrap_or(last);
        assert!(
            len >= reported,
            "run {run}: committed batches lost ({reported} reported, {len} stored)"
        );
        assert!(
            len <= reported + BATCH_EVENTS as u64,
            "run {run}: {len} stored but only {reported} reported"
        );
        if len == reported {
            kills_between_commits += 1;
        } else {
            // Killed after the commit, before it was reported: the commit survived.
            kills_after_commits += 1;
        }
        // Exactly the history's prefix, in order, with a head over all of it.
        let head = ledger.tree_head().unwrap();
        assert_eq!(head.size, len, "run {run}");
        if len > 0 && len as usize <= pool.len() {
            let stored = ledger.events(len - BATCH_EVENTS as u64, len).unwrap();
            let ids: Vec<_> = stored.iter().map(|r| r.id).collect();
            let expected: Vec<_> = pool[len as usize - BATCH_EVENTS..len as usize]
                .iter()
                .map(SignedEvent::id)
                .collect();
            assert_eq!(ids, expected, "run {run}");
        }
        if run % 5 == 4 || run + 1 == runs {
            let v = ledger.verify().unwrap();
            assert!(v.ok, "run {run}: {:?}", v.failure);
            assert_eq!(v.events, len);
        }
        longest = longest.max(len);
        last = len;
    }
    eprintln!(
        "{runs} kills: {kills_between_commits} between commits, {kills_after_commits} right \
         after one; {restarts} new files; at most {longest} events"
    );
    // The kills landed among the appends, and batches did get committed between them.
    assert!(
        kills_between_commits > 0,
        "no kill landed between two commits"
    );
    assert!(
        longest >= 5 * BATCH_EVENTS as u64,
        "the file never grew past {longest} events"
    );
}
