//! I/O faults while appending: a full disk (the file size limit, RLIMIT_FSIZE, with SIGXFSZ
//! ignored, so writes fail with EFBIG as on a full disk) and failing `fsync` (an LD_PRELOAD shim,
//! built here with the system's C compiler, that makes the N-th `fsync`/`fdatasync` fail with
//! EIO). In each case the append that hit the fault reports an error, and afterwards the file
//! opens and verifies, holds only whole batches, and keeps every batch that was reported
//! committed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use custodia::testkit::Synth;
use custodia::{Ledger, Options, Signer};

const CHILD_ENV: &str = "CUSTODIA_IO_FAULT_CHILD";
const BATCH: usize = 50;
const BATCHES: usize = 20;

fn log_key() -> Signer {
    Signer::from_seed([0x77; 32])
}

/// In the child: append batches until one fails; print how many were reported committed.
#[test]
fn child_appends_until_a_fault() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let mut ledger = Ledger::open(&path, Options::new().log_key(log_key())).unwrap();
    let events: Vec<_> = Synth::new(21)
        .take(BATCH * BATCHES)
        .collect::<Result<_, _>>()
        .unwrap();
    let mut committed = 0;
    for chunk in events.chunks(BATCH) {
        match ledger.append(chunk) {
            Ok(_) => committed += 1,
            Err(e) => {
                println!("FAULT {} {}", e.code().get(), e.message());
                break;
            }
        }
    }
    println!("COMMITTED {committed}");
}

fn new_ledger(dir: &Path) -> PathBuf {
    let path = dir.join("faults.ledger");
    drop(Ledger::create(&path, Options::new().log_key(log_key())).unwrap());
    path
}

fn committed(stdout: &str) -> usize {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("COMMITTED "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("the child did not report: {stdout}"))
}

fn check_after(path: &Path, reported: usize) {
    let ledger = Ledger::open(path, Options::new()).unwrap();
    let len = ledger.len().unwrap() as usize;
    assert_eq!(len % BATCH, 0, "a partial batch is visible: {len} events");
    assert!(
        len / BATCH >= reported,
        "committed batches lost: {reported} reported, {len} events stored"
    );
    // A batch whose commit reported a failure may or may not have reached the file (an fsync
    // that fails after the write), but only as a whole.
    assert!(
        len / BATCH <= reported + 1,
        "{len} events for {reported} batches"
    );
    let report = ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
}

fn run_child(path: &Path, shell_prefix: &str, envs: &[(&str, String)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "{shell_prefix} exec \"$0\" --exact child_appends_until_a_fault --nocapture --test-threads 1"
    );
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).arg(exe).env(CHILD_ENV, path);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("COMMITTED"),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn a_full_disk_loses_nothing_committed_and_shows_nothing_half_written() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = new_ledger(dir.path());
    let size = std::fs::metadata(&path).unwrap().len();
    // Room for a few batches beyond the empty ledger, then EFBIG. `ulimit -f` counts 1 KiB
    // blocks in dash and bash; SIGXFSZ ignored turns the signal into the error.
    let blocks = size / 1024 + 300;
    let stdout = run_child(&path, &format!("trap '' XFSZ; ulimit -f {blocks};"), &[]);
    assert!(
        stdout.contains("FAULT"),
        "the limit was never reached: {stdout}"
    );
    let reported = committed(&stdout);
    assert!(reported >= 1, "{stdout}");
    check_after(&path, reported);
}

/// The shim: `fsync` and `fdatasync` fail with EIO from the N-th call on
/// (`CUSTODIA_FAIL_FSYNC_AT`).
const SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
static long calls = 0;
static int fail(void) {
    const char *at = getenv("CUSTODIA_FAIL_FSYNC_AT");
    return at && ++calls >= atol(at);
}
int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = dlsym(RTLD_NEXT, "fsync");
    if (fail()) { errno = EIO; return -1; }
    return real(fd);
}
int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = dlsym(RTLD_NEXT, "fdatasync");
    if (fail()) { errno = EIO; return -1; }
    return real(fd);
}
"#;

#[cfg(target_os = "linux")]
#[test]
fn a_failing_fsync_loses_nothing_committed_and_shows_nothing_half_written() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("shim.c");
    let lib = dir.path().join("libfailfsync.so");
    std::fs::write(&src, SHIM).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let built = Command::new(&cc)
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(&src)
        .arg("-ldl")
        .status();
    assert!(
        built.is_ok_and(|s| s.success()),
        "a C compiler (`{cc}`) is needed to build the fsync shim"
    );
    for fail_at in [3u32, 10, 25] {
        let sub = dir.path().join(format!("at-{fail_at}"));
        std::fs::create_dir(&sub).unwrap();
        let path = new_ledger(&sub);
        let stdout = run_child(
            &path,
            "",
            &[
                ("LD_PRELOAD", lib.display().to_string()),
                ("CUSTODIA_FAIL_FSYNC_AT", fail_at.to_string()),
            ],
        );
        assert!(
            stdout.contains("FAULT"),
            "fsync never failed at {fail_at}: {stdout}"
        );
        check_after(&path, committed(&stdout));
    }
}
