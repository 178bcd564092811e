//! Trust from the command line (`docs/TRUST.md`): a log key outside the file, checkpoints,
//! verifier keys, a witness cosigning (and refusing rollbacks and forks, its state unchanged),
//! the tlog-witness HTTP endpoint over real loopback HTTP, and the rewrite attack that plain
//! `verify` cannot see but `verify --trusted` names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ORIGIN: &str = "mindef.example/custodia/armoury-1";

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(args)
        .env_remove("CUSTODIA_LOG_KEY")
        .env("CUSTODIA_PLUGINS_DIR", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        let _ = child.stdin.take().unwrap().write_all(bytes);
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str], stdin: Option<&[u8]>) -> String {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Exit 1 and the error code last on the one line of standard error.
fn refused(args: &[&str], code: u32) {
    let out = run(args, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.trim_end().ends_with(&format!("[{code}]")),
        "{args:?}: {err}"
    );
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Synthetic events, split into JSON lines.
fn events(n: u64) -> Vec<String> {
    let text = ok(&["synth", "--events", &n.to_string(), "--seed", "5"], None);
    text.lines().map(str::to_owned).collect()
}

fn new_ledger(dir: &Path, name: &str, key: &Path, lines: &[String]) -> std::path::PathBuf {
    let ledger = dir.join(name);
    ok(
        &[
            "--ledger",
            p(&ledger),
            "--log-key",
            p(key),
            "init",
            "--origin",
            ORIGIN,
        ],
        None,
    );
    let input = lines.join("\n") + "\n";
    ok(
        &[
            "--ledger",
            p(&ledger),
            "--log-key",
            p(key),
            "append",
            "-",
            "--batch-size",
            "100",
        ],
        Some(input.as_bytes()),
    );
    ledger
}

#[test]
fn witnesses_cosign_and_an_auditor_catches_a_rewritten_history() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("log.key");
    ok(&["keygen", "--out", p(&key)], None);
    let wkey = dir.path().join("w.key");
    ok(&["keygen", "--out", p(&wkey)], None);
    let all = events(300);
    let ledger = new_ledger(dir.path(), "honest.ledger", &key, &all[..200]);
    let l = p(&ledger);

    // Verifier keys: the log's (named by its origin) and the witness's (type 0x04).
    let log_vkey = ok(&["--ledger", l, "vkey"], None).trim().to_owned();
    assert!(log_vkey.starts_with(&format!("{ORIGIN}+")), "{log_vkey}");
    assert_eq!(
        ok(&["vkey", "--key", p(&key), "--name", ORIGIN], None).trim(),
        log_vkey
    );
    let w_vkey = ok(
        &[
            "vkey",
            "--key",
            p(&wkey),
            "--name",
            "oas.example/w1",
            "--cosigner",
        ],
        None,
    )
    .trim()
    .to_owned();

    // The witness cosigns the checkpoint at 200 (its first), then at 300 with a proof.
    let state = dir.path().join("w-state");
    let witness = |cp: &Path, proof: Option<&Path>| {
        let mut args = vec![
            "witness",
            "cosign",
            "--key",
            p(&wkey),
            "--name",
            "oas.example/w1",
            "--state",
            p(&state),
            "--log-vkey",
            &log_vkey,
            "--checkpoint",
            p(cp),
        ];
        if let Some(proof) = proof {
            args.extend(["--proof", p(proof)]);
        }
        run(&args.iter().map(|s| &**s).collect::<Vec<&str>>(), None)
    };
    let cp200 = dir.path().join("cp200.note");
    std::fs::write(&cp200, ok(&["--ledger", l, "checkpoint"], None)).unwrap();
    let out = witness(&cp200, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cosigned200 = String::from_utf8(out.stdout).unwrap();
    assert!(cosigned200.contains("— oas.example/w1 "), "{cosigned200}");

    let input = all[200..].join("\n") + "\n";
    ok(
        &["--ledger", l, "--log-key", p(&key), "append", "-"],
        Some(input.as_bytes()),
    );
    let cp300 = dir.path().join("cp300.note");
    std::fs::write(&cp300, ok(&["--ledger", l, "checkpoint"], None)).unwrap();
    let proof = dir.path().join("proof.json");
    std::fs::write(
        &proof,
        ok(&["--ledger", l, "consistency", "--from", "200"], None),
    )
    .unwrap();
    let state_before = std::fs::read_dir(&state).unwrap().count();
    // Without the proof, the witness refuses; its state is unchanged.
    let out = witness(&cp300, None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = witness(&cp300, Some(&proof));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cosigned300 = dir.path().join("cp300.cosigned");
    std::fs::write(&cosigned300, &out.stdout).unwrap();
    // A rollback to 200 is refused now.
    let out = witness(&cp200, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .trim_end()
            .ends_with("[7013]")
    );
    assert_eq!(std::fs::read_dir(&state).unwrap().count(), state_before);

    // The auditor checks the ledger against the cosigned checkpoint.
    let trusted = [
        "--trusted",
        p(&cosigned300),
        "--log-vkey",
        &log_vkey,
        "--cosigner",
        &w_vkey,
    ];
    let good: Vec<&str> = ["--ledger", l, "verify"]
        .into_iter()
        .chain(trusted)
        .collect();
    let text = ok(&good, None);
    assert!(
        text.contains("extends the trusted checkpoint: size 300"),
        "{text}"
    );

    // The custodian drops an event nothing builds on and re-appends the rest with the same key.
    let parents: std::collections::BTreeSet<String> = all
        .iter()
        .flat_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["parents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let dropped = (1..250)
        .rev()
        .find(|&i| {
            let v: serde_json::Value = serde_json::from_str(&all[i]).unwrap();
            !parents.contains(v["id"].as_str().unwrap())
        })
        .unwrap();
    let rewritten: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != dropped)
        .map(|(_, l)| l.clone())
        .collect();
    let forged = new_ledger(dir.path(), "forged.ledger", &key, &rewritten);
    let f = p(&forged);
    assert!(ok(&["--ledger", f, "verify"], None).starts_with("valid:"));
    let bad: Vec<&str> = ["--ledger", f, "verify"]
        .into_iter()
        .chain(trusted)
        .collect();
    refused(&bad, 7015);

    // And the witness refuses the forger's checkpoint: another root at a size it cosigned.
    let forged_cp = dir.path().join("forged.note");
    std::fs::write(&forged_cp, ok(&["--ledger", f, "checkpoint"], None)).unwrap();
    let out = witness(&forged_cp, None);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_witness_serves_add_checkpoint_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("log.key");
    ok(&["keygen", "--out", p(&key)], None);
    let wkey = dir.path().join("w.key");
    ok(&["keygen", "--out", p(&wkey)], None);
    let all = events(150);
    let ledger = new_ledger(dir.path(), "l.ledger", &key, &all[..100]);
    let l = p(&ledger);
    let log_vkey = ok(&["--ledger", l, "vkey"], None).trim().to_owned();

    let mut server = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args([
            "witness",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--requests",
            "4",
            "--key",
            p(&wkey),
            "--name",
            "oas.example/w1",
            "--state",
            p(&dir.path().join("state")),
            "--log-vkey",
            &log_vkey,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in `{first}`"))
        .to_owned();

    let post = |body: &[u8]| -> (u16, String, String) {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "POST /add-checkpoint HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let ctype = head
            .lines()
            .find_map(|h| h.strip_prefix("Content-Type: "))
            .unwrap_or("")
            .to_owned();
        (status, ctype, body.to_owned())
    };
    let cp100 = ok(&["--ledger", l, "checkpoint"], None);
    let (status, _, body) = post(format!("old 0\n\n{cp100}").as_bytes());
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("— oas.example/w1 "), "{body}");

    let input = all[100..].join("\n") + "\n";
    ok(
        &["--ledger", l, "--log-key", p(&key), "append", "-"],
        Some(input.as_bytes()),
    );
    let cp150 = ok(&["--ledger", l, "checkpoint"], None);
    // The client's old size is not the witness's latest: 409 with the latest size.
    let (status, ctype, body) = post(format!("old 0\n\n{cp150}").as_bytes());
    assert_eq!(
        (status, ctype.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "100\n")
    );
    // A wrong proof: 422.
    let proof: serde_json::Value =
        serde_json::from_str(&ok(&["--ledger", l, "consistency", "--from", "100"], None)).unwrap();
    let lines: Vec<String> = proof["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .encode(hex::decode(h.as_str().unwrap()).unwrap())
        })
        .collect();
    let mut wrong = lines.clone();
    wrong.swap(0, lines.len() - 1);
    let (status, _, _) = post(format!("old 100\n{}\n\n{cp150}", wrong.join("\n")).as_bytes());
    assert_eq!(status, 422);
    let (status, _, body) = post(format!("old 100\n{}\n\n{cp150}", lines.join("\n")).as_bytes());
    assert_eq!(status, 200, "{body}");
    assert!(server.wait().unwrap().success());
}
