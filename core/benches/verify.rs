//! Full verification of a stored ledger (`store::verify_file`) and of a JSONL export
//! (`verify_jsonl`) against bare Ed25519 verification of the same signatures on all cores,
//! with a per-stage breakdown. Rounds are interleaved; medians are reported.
//!
//! Run: `cargo bench -p custodia --bench verify`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::result_large_err,
    missing_docs
)]

mod common;

use std::io::Write;

use common::{median, rate, table, time};
use custodia::SignedEvent;
use custodia::ledger::{SignatureCheck, State};
use custodia::merkle::{Frontier, leaf_hash};
use custodia::store::{SqliteLog, SqliteStore, Store, VerifyOptions, verify_file};
use ed25519_dalek::{Signature, VerifyingKey};
use rusqlite::OptionalExtension;

const SEED: u64 = 42;
const EVENTS: usize = 20_000;
const ROUNDS: usize = 3;

type Triple = ([u8; 32], Signature, VerifyingKey);

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Splits `items` into one part per core and runs `f` on each part in parallel.
fn on_all_cores<T: Sync>(items: &[T], f: impl Fn(&[T]) + Sync) {
    let chunk = items.len().div_ceil(cores()).max(1);
    std::thread::scope(|s| {
        for part in items.chunks(chunk) {
            let f = &f;
            s.spawn(move || f(part));
        }
    });
}

fn bare_batch(triples: &[Triple]) {
    on_all_cores(triples, |part| {
        let msgs: Vec<&[u8]> = part.iter().map(|t| t.0.as_slice()).collect();
        let sigs: Vec<Signature> = part.iter().map(|t| t.1).collect();
        let keys: Vec<VerifyingKey> = part.iter().map(|t| t.2).collect();
        ed25519_dalek::verify_batch(&msgs, &sigs, &keys).unwrap();
    });
}

fn bare_strict(triples: &[Triple]) {
    on_all_cores(triples, |part| {
        for (m, s, k) in part {
            k.verify_strict(m, s).unwrap();
        }
    });
}

fn main() {
    let events = custodia::synth::events(SEED, EVENTS).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("bench.ledger");
    {
        let mut store = SqliteStore::create(&ledger, None).unwrap();
        for c in events.chunks(1000) {
            store.append_batch(c).unwrap();
        }
    }
    let jsonl = dir.path().join("bench.jsonl");
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(EVENTS);
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&jsonl).unwrap());
        for e in &events {
            let j = e.to_json().unwrap();
            writeln!(f, "{j}").unwrap();
            lines.push(j.into_bytes());
        }
    }
    let triples: Vec<Triple> = events
        .iter()
        .flat_map(|e| {
            e.signatures.iter().map(|s| {
                (
                    *e.id.as_bytes(),
                    Signature::from_bytes(&s.sig.0),
                    VerifyingKey::from_bytes(s.key.as_bytes()).unwrap(),
                )
            })
        })
        .collect();
    println!(
        "verify bench: {} | {EVENTS} synth events, {} signatures, {ROUNDS} interleaved rounds, medians",
        common::machine(),
        triples.len()
    );

    let (mut vf, mut vj, mut bb, mut bs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bb.push(time(|| bare_batch(&triples)).0);
        vf.push(
            time(|| {
                let r = verify_file(&ledger, &VerifyOptions::default()).unwrap();
                assert!(r.is_valid(), "{:?}", r.failure);
                assert_eq!(r.events, EVENTS as u64);
            })
            .0,
        );
        bs.push(time(|| bare_strict(&triples)).0);
        vj.push(
            time(|| {
                let f = std::io::BufReader::new(std::fs::File::open(&jsonl).unwrap());
                let r = custodia::verify_jsonl(f, None);
                assert!(r.is_valid(), "{:?}", r.failure);
            })
            .0,
        );
    }
    let n = EVENTS as f64;
    let bb = median(bb);
    let vf = median(vf);
    let row = |name: &str, t: f64| {
        vec![
            name.to_owned(),
            rate(n / t),
            format!("{:.1}", t / n * 1e6),
            format!("**{:.2}×**", bb / t),
        ]
    };
    table(
        "verification throughput vs bare Ed25519 batch verification (target ≥ 0.8×)",
        &["what", "events/s", "µs/event", "× bare batch"],
        &[
            row(
                &format!("bare `verify_batch`, {} cores (baseline)", cores()),
                bb,
            ),
            row(
                &format!("bare `verify_strict` one by one, {} cores", cores()),
                median(bs),
            ),
            row("`store::verify_file` (stored ledger)", vf),
            row("`verify_jsonl` (JSONL export)", median(vj)),
        ],
    );

    // Stages of verify_file, measured separately (medians of the rounds).
    let log = SqliteLog::open(&ledger).unwrap();
    let mut st: [Vec<f64>; 5] = Default::default();
    for _ in 0..ROUNDS {
        st[0].push(
            time(|| {
                let mut bytes = 0usize;
                log.for_each_event(0, |_, id, json| {
                    bytes += id.len() + json.len();
                    Ok(true)
                })
                .unwrap();
                std::hint::black_box(bytes);
            })
            .0,
        );
        st[1].push(
            time(|| {
                on_all_cores(&lines, |part| {
                    for j in part {
                        std::hint::black_box(SignedEvent::from_json(j).unwrap());
                    }
                });
            })
            .0,
        );
        st[2].push(
            time(|| {
                on_all_cores(&events, |part| {
                    for e in part {
                        for s in &e.signatures {
                            s.verify(&e.id).unwrap();
                        }
                    }
                });
            })
            .0,
        );
        st[3].push(
            time(|| {
                let mut s = State::default();
                for e in &events {
                    s.apply(e, SignatureCheck::AlreadyVerified, None).unwrap();
                }
            })
            .0,
        );
        st[4].push(
            time(|| {
                let conn = rusqlite::Connection::open_with_flags(
                    &ledger,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                let mut q = conn
                    .prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")
                    .unwrap();
                let mut f = Frontier::new();
                for e in &events {
                    for (level, idx, hash) in f.push(leaf_hash(&e.id)) {
                        let h: Option<Vec<u8>> = q
                            .query_row(rusqlite::params![level, idx as i64], |r| r.get(0))
                            .optional()
                            .unwrap();
                        assert_eq!(h.as_deref(), Some(hash.as_slice()));
                    }
                }
            })
            .0,
        );
    }
    let names = [
        "read rows (`for_each_event`, 1 core)",
        &format!(
            "decode + schema + id (`SignedEvent::from_json`, {} cores)",
            cores()
        ),
        &format!(
            "signatures (custodia `Signature::verify`: key decompression + `verify_strict`, {} cores)",
            cores()
        ),
        "replay (`State::apply`, AlreadyVerified, 1 core)",
        "merkle: recompute + one `SELECT` per stored node (1 core)",
    ];
    let mut rows = Vec::new();
    let mut sum = 0.0;
    for (i, name) in names.iter().enumerate() {
        let t = median(std::mem::take(&mut st[i]));
        sum += t;
        rows.push(vec![
            (*name).to_owned(),
            format!("{:.1}", t / n * 1e6),
            format!("{:.0}%", t / vf * 100.0),
        ]);
    }
    rows.push(vec![
        "rest: chunk copies, tree heads, derived-table comparison, thread start-up per event"
            .into(),
        format!("{:.1}", (vf - sum).max(0.0) / n * 1e6),
        format!("{:.0}%", (vf - sum).max(0.0) / vf * 100.0),
    ]);
    rows.push(vec![
        "**verify_file total**".into(),
        format!("{:.1}", vf / n * 1e6),
        "100%".into(),
    ]);
    table(
        "where verify_file time goes",
        &["stage", "µs/event", "% of verify_file"],
        &rows,
    );
}
