//! Append throughput of `SqliteStore::append_batch` (validated, signed, rules applied) against
//! raw SQLite inserts of the same event bytes in the same batch size, with the same journal
//! mode and synchronous setting as the store. Rounds are interleaved; medians are reported.
//!
//! Run: `cargo bench -p custodia --bench append`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{median, rate, table, time};
use custodia::SignedEvent;
use custodia::ledger::{SignatureCheck, State};
use custodia::merkle::{Frontier, leaf_hash};
use custodia::store::{SqliteStore, Store, signatures_valid};
use rusqlite::{Connection, params};

const SEED: u64 = 42;
const EVENTS: usize = 20_000;
const ROUNDS: usize = 3;

/// The raw baseline: a plain table, WAL, synchronous=FULL (as `SqliteLog` sets), one
/// `BEGIN IMMEDIATE ... COMMIT` per batch, a cached prepared statement.
fn raw_inserts(path: &std::path::Path, rows: &[(Vec<u8>, Vec<u8>)], batch: usize) -> f64 {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(
        "CREATE TABLE t (seq INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, json BLOB NOT NULL);",
    )
    .unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    let (secs, ()) = time(|| {
        let mut seq = 0i64;
        for chunk in rows.chunks(batch) {
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            {
                let mut ins = conn
                    .prepare_cached("INSERT INTO t (seq, id, json) VALUES (?1, ?2, ?3)")
                    .unwrap();
                for (id, json) in chunk {
                    ins.execute(params![seq, id, json]).unwrap();
                    seq += 1;
                }
            }
            conn.execute_batch("COMMIT").unwrap();
        }
    });
    secs
}

fn store_appends(path: &std::path::Path, events: &[SignedEvent], batch: usize) -> f64 {
    let mut store = SqliteStore::create(path, None).unwrap();
    let (secs, ()) = time(|| {
        for chunk in events.chunks(batch) {
            store.append_batch(chunk).unwrap();
        }
    });
    assert_eq!(store.len(), events.len() as u64);
    secs
}

fn main() {
    let (gen_secs, events) = time(|| custodia::synth::events(SEED, EVENTS).unwrap());
    let rows: Vec<(Vec<u8>, Vec<u8>)> = events
        .iter()
        .map(|e| (e.id.as_bytes().to_vec(), e.to_json().unwrap().into_bytes()))
        .collect();
    let bytes: usize = rows.iter().map(|(_, j)| j.len()).sum();
    let sigs: usize = events.iter().map(|e| e.signatures.len()).sum();
    println!(
        "append bench: {} | {EVENTS} synth events (seed {SEED}) generated in {gen_secs:.1} s, \
         {:.0} bytes/event, {:.2} signatures/event, {ROUNDS} interleaved rounds, medians",
        common::machine(),
        bytes as f64 / EVENTS as f64,
        sigs as f64 / EVENTS as f64
    );

    let dir = tempfile::tempdir().unwrap();
    // Batch size 1 pays one fsync per event on both sides: fewer events keep the run short.
    let plan = [(1usize, 500usize), (100, 10_000), (1000, EVENTS)];
    let mut out = Vec::new();
    let mut file = 0;
    for (batch, n) in plan {
        let (mut s, mut r) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            file += 1;
            let sp = dir.path().join(format!("store{file}.ledger"));
            let rp = dir.path().join(format!("raw{file}.db"));
            // Alternate which side goes first so drift on a shared machine hits both.
            if round % 2 == 0 {
                s.push(store_appends(&sp, &events[..n], batch));
                r.push(raw_inserts(&rp, &rows[..n], batch));
            } else {
                r.push(raw_inserts(&rp, &rows[..n], batch));
                s.push(store_appends(&sp, &events[..n], batch));
            }
            let _ = std::fs::remove_file(&sp);
            let _ = std::fs::remove_file(&rp);
        }
        let (s, r) = (median(s), median(r));
        let (se, re) = (n as f64 / s, n as f64 / r);
        out.push(vec![
            batch.to_string(),
            n.to_string(),
            rate(se),
            rate(re),
            format!("{:.1}", s / n as f64 * 1e6),
            format!("{:.1}", r / n as f64 * 1e6),
            format!("**{:.2}×**", se / re),
        ]);
    }
    table(
        "append_batch vs raw SQLite inserts (target ≥ 0.5×)",
        &[
            "batch",
            "events",
            "store events/s",
            "raw inserts/s",
            "store µs/event",
            "raw µs/event",
            "store / raw",
        ],
        &out,
    );

    // Stage breakdown over all events, in batches of 1000 (medians of the rounds).
    let batch = 1000;
    let mut st: [Vec<f64>; 7] = Default::default();
    let mut total = Vec::new();
    for _ in 0..ROUNDS {
        st[0].push(
            time(|| {
                for (_, j) in &rows {
                    std::hint::black_box(SignedEvent::from_json(j).unwrap());
                }
            })
            .0,
        );
        st[1].push(
            time(|| {
                for c in events.chunks(batch) {
                    assert!(signatures_valid(c).iter().all(|ok| *ok));
                }
            })
            .0,
        );
        let (t, state) = time(|| {
            let mut state = State::default();
            for e in &events {
                state
                    .apply(e, SignatureCheck::AlreadyVerified, None)
                    .unwrap();
            }
            state
        });
        st[2].push(t);
        // `validate_batch` clones the whole state once per batch: measure one clone of the
        // final state and multiply by the number of batches (an upper bound; it grows).
        let one = common::per_call(std::time::Duration::from_millis(200), || {
            std::hint::black_box(state.clone());
        });
        st[3].push(one * EVENTS.div_ceil(batch) as f64);
        st[4].push(
            time(|| {
                for e in &events {
                    std::hint::black_box(e.to_json().unwrap());
                }
            })
            .0,
        );
        st[5].push(
            time(|| {
                let mut f = Frontier::new();
                for e in &events {
                    std::hint::black_box(f.push(leaf_hash(&e.id)));
                }
            })
            .0,
        );
        file += 1;
        let rp = dir.path().join(format!("raw{file}.db"));
        st[6].push(raw_inserts(&rp, &rows, batch));
        file += 1;
        let sp = dir.path().join(format!("store{file}.ledger"));
        total.push(store_appends(&sp, &events, batch));
        let _ = std::fs::remove_file(&sp);
        let _ = std::fs::remove_file(&rp);
    }
    let total = median(total);
    let names = [
        "decode + schema + id (`SignedEvent::from_json`, 1 core; NOT in append_batch, which takes decoded events)",
        "signatures (`signatures_valid`, all cores)",
        "replay (`State::apply`, AlreadyVerified, 1 core)",
        "state clone per batch (`validate_batch`), final-state clone × batches",
        "serialise (`to_json` in `write_batch`)",
        "merkle (leaf hash + frontier push)",
        "raw SQLite inserts of the same rows (lower bound for the store's writes)",
    ];
    let mut rows_out = Vec::new();
    let mut inside = 0.0;
    for (i, name) in names.iter().enumerate() {
        let t = median(std::mem::take(&mut st[i]));
        if i != 0 {
            inside += t;
        }
        rows_out.push(vec![
            (*name).to_owned(),
            format!("{:.1}", t / EVENTS as f64 * 1e6),
            format!("{:.0}%", t / total * 100.0),
        ]);
    }
    rows_out.push(vec![
        "rest: events/nodes/touches/derived tables/tree head writes beyond the raw insert, catch-up, dup lookups".into(),
        format!("{:.1}", (total - inside).max(0.0) / EVENTS as f64 * 1e6),
        format!("{:.0}%", (total - inside).max(0.0) / total * 100.0),
    ]);
    rows_out.push(vec![
        "**append_batch total**".into(),
        format!("{:.1}", total / EVENTS as f64 * 1e6),
        "100%".into(),
    ]);
    table(
        &format!("where append time goes ({EVENTS} events, batches of {batch})"),
        &["stage", "µs/event", "% of append_batch"],
        &rows_out,
    );
}
