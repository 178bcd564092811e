//! Append throughput of `Ledger::append` on a ledger file (validated, signature-checked, rules
//! applied, derived tables and Merkle nodes written, tree head signed) against raw SQLite
//! inserts of the same event bytes in the same batch size, with the same journal mode and
//! synchronous setting as the store, and against those inserts plus bare batched verification
//! of the same signatures on all cores (`sigcheck`, the ledger's rule): what an append cannot
//! avoid doing. Rounds are interleaved; medians are reported.
//!
//! Run: `cargo bench -p custodia --bench append` (smoke run: `-- --quick`)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{
    median, on_all_cores, rate, scale, sha256_kib_seconds, sha256_kib_target, summary, table, time,
};
use custodia::merkle::{Frontier, leaf_hash};
use custodia::{Ledger, Options, SignedEvent};
use rusqlite::{Connection, params};

const SEED: u64 = 42;

/// The raw baseline: a plain table, WAL, synchronous=FULL (as the store sets), one
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

fn appends(mut ledger: Ledger, events: &[SignedEvent], batch: usize) -> f64 {
    let (secs, ()) = time(|| {
        for chunk in events.chunks(batch) {
            ledger.append(chunk).unwrap();
        }
    });
    assert_eq!(ledger.len().unwrap(), events.len() as u64);
    secs
}

/// (key, signature, message) of every signature of `events`, owned.
type Owned = ([u8; 32], [u8; 64], [u8; 32]);

/// Bare batched verification of the signatures on all cores: seconds.
fn bare_signatures(sigs: &[Owned]) -> f64 {
    time(|| {
        on_all_cores(sigs, |part| {
            let items: Vec<custodia::sigcheck::Item<'_>> =
                part.iter().map(|(k, s, m)| (k, m.as_slice(), s)).collect();
            custodia::sigcheck::verify_batch(&items).unwrap();
        });
    })
    .0
}

fn file_appends(path: &std::path::Path, events: &[SignedEvent], batch: usize) -> f64 {
    appends(common::create_ledger(path), events, batch)
}

fn main() {
    let events_n: usize = scale(20_000, 2_000);
    let rounds: usize = scale(3, 1);
    let (gen_secs, events) = time(|| custodia::testkit::events(SEED, events_n).unwrap());
    let rows: Vec<(Vec<u8>, Vec<u8>)> = events
        .iter()
        .map(|e| (e.id().as_bytes().to_vec(), e.to_json().as_bytes().to_vec()))
        .collect();
    let bytes: usize = rows.iter().map(|(_, j)| j.len()).sum();
    let sigs: usize = events.iter().map(|e| e.signatures().len()).sum();
    println!(
        "append bench: {} | {events_n} synth events (seed {SEED}) generated in {gen_secs:.1} s, \
         {:.0} bytes/event, {:.2} signatures/event, {rounds} interleaved rounds, medians",
        common::machine(),
        bytes as f64 / events_n as f64,
        sigs as f64 / events_n as f64
    );

    // Per event, where its signatures start in `owned` (the first n events' signatures are
    // `owned[..starts[n]]`).
    let mut owned: Vec<Owned> = Vec::with_capacity(sigs);
    let mut starts = vec![0usize];
    for e in &events {
        for s in e.signatures() {
            owned.push((*s.key.as_bytes(), *s.sig.as_bytes(), *e.id().as_bytes()));
        }
        starts.push(owned.len());
    }
    let dir = tempfile::tempdir().unwrap();
    // Batch size 1 pays one fsync per event on both sides: fewer events keep the run short.
    let plan = [
        (1usize, scale(500usize, 50)),
        (100, scale(10_000, 1_000)),
        (1000, events_n),
    ];
    let mut out = Vec::new();
    let mut file = 0;
    for (batch, n) in plan {
        let (mut s, mut r, mut v) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            v.push(bare_signatures(&owned[..starts[n]]));
            file += 1;
            let sp = dir.path().join(format!("store{file}.ledger"));
            let rp = dir.path().join(format!("raw{file}.db"));
            // Alternate which side goes first so drift on a shared machine hits both.
            if round % 2 == 0 {
                s.push(file_appends(&sp, &events[..n], batch));
                r.push(raw_inserts(&rp, &rows[..n], batch));
            } else {
                r.push(raw_inserts(&rp, &rows[..n], batch));
                s.push(file_appends(&sp, &events[..n], batch));
            }
            let _ = std::fs::remove_file(&sp);
            let _ = std::fs::remove_file(&rp);
        }
        let (s, r, v) = (median(s), median(r), median(v));
        let (se, re) = (n as f64 / s, n as f64 / r);
        let us = |t: f64| format!("{:.1}", t / n as f64 * 1e6);
        out.push(vec![
            batch.to_string(),
            n.to_string(),
            rate(se),
            rate(re),
            us(s),
            us(r),
            us(r + v),
            format!("**{:.2}×**", se / re),
            format!("**{:.2}×**", (r + v) / s),
        ]);
        let ratio_to_floor = (r + v) / s;
        if batch == 1000 {
            summary(
                &format!("append, batches of 1,000 ({n} events)"),
                &format!("{} µs/event", us(s)),
                &format!(
                    "raw inserts {} + bare signature batch {} µs/event",
                    us(r),
                    us(v)
                ),
                ratio_to_floor,
                "≥ 0.7×",
            );
        } else if batch == 1 {
            summary(
                &format!("append of one event with fsync ({n} events)"),
                &format!("{} µs/event", us(s)),
                &format!("raw insert with fsync {} µs/event", us(r)),
                se / re,
                "≥ 0.8×",
            );
        }
    }
    table(
        "Ledger::append vs raw SQLite inserts, and vs raw inserts plus bare batched signature \
         checks (targets: batch 1 ≥ 0.8× raw, batch 1000 ≥ 0.7× raw + signatures)",
        &[
            "batch",
            "events",
            "ledger events/s",
            "raw inserts/s",
            "ledger µs/event",
            "raw µs/event",
            "raw + signatures µs/event",
            "ledger / raw",
            "ledger / (raw + signatures)",
        ],
        &out,
    );

    // Where the time goes, over all events in batches of 1000 (medians of the rounds). The
    // ledger's stages behind the front door (replay, derived tables) are internal; what can be
    // measured from outside is split into the checks and writes an in-memory ledger does and
    // what the file adds.
    let batch = 1000;
    let mut st: [Vec<f64>; 5] = Default::default();
    let mut total = Vec::new();
    for _ in 0..rounds {
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
                on_all_cores(&events, |part| {
                    // As the ledger checks them: batched (`custodia::sigcheck`).
                    let ids: Vec<[u8; 32]> = part.iter().map(|e| *e.id().as_bytes()).collect();
                    let items: Vec<custodia::sigcheck::Item<'_>> = part
                        .iter()
                        .zip(&ids)
                        .flat_map(|(e, id)| {
                            e.signatures()
                                .iter()
                                .map(move |s| (s.key.as_bytes(), id.as_slice(), s.sig.as_bytes()))
                        })
                        .collect();
                    assert_eq!(custodia::sigcheck::verify_batch(&items), Ok(()));
                });
            })
            .0,
        );
        st[2].push(
            time(|| {
                let mut f = Frontier::new();
                for e in &events {
                    std::hint::black_box(f.push(leaf_hash(&e.id())));
                }
            })
            .0,
        );
        file += 1;
        let rp = dir.path().join(format!("raw{file}.db"));
        st[3].push(raw_inserts(&rp, &rows, batch));
        st[4].push(appends(
            Ledger::in_memory(Options::new()).unwrap(),
            &events,
            batch,
        ));
        file += 1;
        let sp = dir.path().join(format!("store{file}.ledger"));
        total.push(file_appends(&sp, &events, batch));
        let _ = std::fs::remove_file(&sp);
        let _ = std::fs::remove_file(&rp);
    }
    let total = median(total);
    let st: Vec<f64> = st.into_iter().map(median).collect();
    let per = |t: f64| format!("{:.1}", t / events_n as f64 * 1e6);
    let pct = |t: f64| format!("{:.0}%", t / total * 100.0);
    let rows_out = vec![
        vec![
            "decode + schema + id (`SignedEvent::from_json`, 1 core; NOT in `append`, which takes decoded events; `append_json_lines` adds it)".into(),
            per(st[0]),
            pct(st[0]),
        ],
        vec![
            format!(
                "of which, in the ledger: signatures (`sigcheck::verify_batch`, batches of ≤ 1,024, {} cores)",
                common::cores()
            ),
            per(st[1]),
            pct(st[1]),
        ],
        vec![
            "of which, in the ledger: merkle (leaf hash + frontier push)".into(),
            per(st[2]),
            pct(st[2]),
        ],
        vec![
            "raw SQLite inserts of the same rows to a file (lower bound for the store's writes)"
                .into(),
            per(st[3]),
            pct(st[3]),
        ],
        vec![
            "in-memory ledger (`Ledger::in_memory`, same batches): every check, state, derived tables, nodes, tree heads; no file".into(),
            per(st[4]),
            pct(st[4]),
        ],
        vec![
            "the file: WAL writes and fsyncs (total − in-memory)".into(),
            per((total - st[4]).max(0.0)),
            pct((total - st[4]).max(0.0)),
        ],
        vec![
            "**`Ledger::append` to a file, total**".into(),
            per(total),
            "100%".into(),
        ],
    ];
    table(
        &format!("where append time goes ({events_n} events, batches of {batch})"),
        &["stage", "µs/event", "% of append"],
        &rows_out,
    );

    // The in-memory stages behind the front door (`custodia::testkit::stages`), over the same
    // events on one core: replay (what opening a store or verifying re-derives), what a batch
    // of 1000 paid for its whole-state copy before the undo journals (a copy of the state after
    // each batch), and what the journals cost instead (journaled batches − plain replay).
    use custodia::testkit::stages::Replayed;
    let mut sg: [Vec<f64>; 4] = Default::default();
    // The calibration of replay's absolute target: SHA-256 of 1 KiB, seconds per digest.
    let mut kib: Vec<f64> = Vec::new();
    for _ in 0..rounds {
        kib.push(sha256_kib_seconds(events_n));
        sg[0].push(time(|| Replayed::replay(&events).unwrap()).0);
        sg[1].push(
            time(|| {
                let mut r = Replayed::default();
                r.apply_journaled(&events, batch).unwrap();
                assert_eq!(r.events(), events_n as u64);
            })
            .0,
        );
        let mut r = Replayed::default();
        let mut copies = 0.0;
        for chunk in events.chunks(batch) {
            r.apply_each(chunk).unwrap();
            copies += time(|| std::hint::black_box(r.copy_state())).0;
        }
        sg[2].push(copies);
        file += 1;
        let rp = dir.path().join(format!("raw{file}.db"));
        sg[3].push(raw_inserts(&rp, &rows, batch));
        let _ = std::fs::remove_file(&rp);
    }
    let sg: Vec<f64> = sg.into_iter().map(median).collect();
    let kib = median(kib);
    let replay = sg[0] / events_n as f64;
    let (_, target_text) = sha256_kib_target(3.0);
    summary(
        &format!("replay of verified events, 1 core ({events_n} events)"),
        &format!("{:.2} µs/event", replay * 1e6),
        &format!("SHA-256 of 1 KiB {:.2} µs", kib * 1e6),
        replay / kib,
        &target_text,
    );
    let vs_raw = |t: f64| format!("{:.2}×", t / sg[3]);
    table(
        &format!(
            "in-memory stages ({events_n} events, 1 core; baseline: raw SQLite inserts of the same rows in batches of {batch}, same run)"
        ),
        &["stage", "µs/event", "× raw inserts"],
        &[
            vec![
                "replay (`State::apply`, already verified)".into(),
                per(sg[0]),
                vs_raw(sg[0]),
            ],
            vec![
                format!("replay in journaled batches of {batch} (undo journals open, committed)"),
                per(sg[1]),
                vs_raw(sg[1]),
            ],
            vec![
                format!("undo journals per batch of {batch} (journaled − plain replay)"),
                per((sg[1] - sg[0]).max(0.0)),
                vs_raw((sg[1] - sg[0]).max(0.0)),
            ],
            vec![
                format!("whole-state copy per batch of {batch} (the cost before the journals)"),
                per(sg[2]),
                vs_raw(sg[2]),
            ],
            vec![
                "raw SQLite inserts of the same rows (baseline)".into(),
                per(sg[3]),
                "1.00×".into(),
            ],
        ],
    );
}
