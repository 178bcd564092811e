//! Where decoding one signed event goes: each stage of `SignedEvent::from_json` timed
//! separately on the same events (the synthetic mix, seed 42), one core, against two baselines
//! measured in the same run: a bare `serde_json::from_slice::<Value>` of the same bytes and a
//! bare SHA-256 of the same bytes. Rounds are interleaved; medians are reported. Stages 1-6
//! are the full path (any bytes, through a `Value` tree: what a non-canonical line takes);
//! stages T1-T5 the path a canonical line takes (a tape, no tree).
//!
//! Run: `cargo bench -p custodia --bench decode` (smoke run: `-- --quick`)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::hint::black_box;

use common::{median, scale, sha256_kib_seconds, sha256_kib_target, summary, table, time};
use custodia::SignedEvent;
use custodia::testkit::decode_stages as stage;
use sha2::{Digest as _, Sha256};

const SEED: u64 = 42;

fn main() {
    let events_n: usize = scale(10_000, 500);
    let rounds: usize = scale(5, 1);
    let events = custodia::testkit::events(SEED, events_n).unwrap();
    let lines: Vec<Vec<u8>> = events
        .iter()
        .map(|e| e.to_json().as_bytes().to_vec())
        .collect();
    // A non-canonical form of each line (a space after the opening brace), as an appending
    // client may send: the lenient path, without the canonical fast path.
    let spaced: Vec<Vec<u8>> = lines
        .iter()
        .map(|l| {
            let mut s = b"{ ".to_vec();
            s.extend_from_slice(&l[1..]);
            s
        })
        .collect();
    let bytes: usize = lines.iter().map(Vec::len).sum();
    // Inputs of each stage, prepared once.
    let trees: Vec<serde_json::Value> = lines.iter().map(|l| stage::parse(l).unwrap()).collect();
    let contents: Vec<serde_json::Value> = trees.iter().map(stage::content).collect();
    let typed: Vec<_> = contents.iter().map(|c| stage::typed(c).unwrap()).collect();
    let tapes: Vec<_> = lines.iter().map(|l| stage::tape(l).unwrap()).collect();
    // Each kind's validators are compiled when first used (about 1 ms each): compiled here,
    // outside the timed rounds.
    for (tree, tape) in trees.iter().zip(&tapes) {
        stage::schema(tree).unwrap();
        assert!(stage::tape_schema(tape));
    }
    let tape_typed: Vec<_> = tapes
        .iter()
        .map(|t| stage::tape_typed(t).unwrap())
        .collect();
    let canon: Vec<Vec<u8>> = contents
        .iter()
        .map(|c| stage::canonical(c).unwrap())
        .collect();
    println!(
        "decode bench: {} | {events_n} synth events (seed {SEED}), {:.0} bytes/event, 1 core, {rounds} interleaved rounds, medians | load: {}",
        common::machine(),
        bytes as f64 / events_n as f64,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    let names = [
        "baseline: bare `serde_json::from_slice::<Value>` of the line",
        "baseline: bare SHA-256 of the line",
        "1. JSON parse (size, syntax, no duplicate members)",
        "2. schema of its kind",
        "3. typed decode of the content",
        "4. canonicalisation of the content (RFC 8785)",
        "5. SHA-256 id of the canonical content",
        "6. interpreted-equals-signed check",
        "`SignedEvent::from_json` of the canonical line (whole)",
        "`SignedEvent::from_canonical_json` of the canonical line (whole)",
        "`SignedEvent::from_json` of a non-canonical line (whole)",
        "T1. the canonical line read as a tape",
        "T2. schema of its kind, on the tape",
        "T3. typed decode of the event and its signatures, from the tape",
        "T4. canonical bytes written from the typed event (into the thread's buffer), and their id",
        "T5. the line of it (T4 included) compared with the bytes read, part by part",
    ];
    let mut t: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    // The calibration of the absolute target: SHA-256 of 1 KiB, seconds per digest.
    let mut kib: Vec<f64> = Vec::new();
    for _ in 0..rounds {
        kib.push(sha256_kib_seconds(events_n));
        t[0].push(
            time(|| {
                for l in &lines {
                    black_box(serde_json::from_slice::<serde_json::Value>(l).unwrap());
                }
            })
            .0,
        );
        t[1].push(
            time(|| {
                for l in &lines {
                    black_box(Sha256::digest(l));
                }
            })
            .0,
        );
        t[2].push(
            time(|| {
                for l in &lines {
                    black_box(stage::parse(l).unwrap());
                }
            })
            .0,
        );
        t[3].push(
            time(|| {
                for v in &trees {
                    stage::schema(v).unwrap();
                }
            })
            .0,
        );
        t[4].push(
            time(|| {
                for c in &contents {
                    black_box(stage::typed(c).unwrap());
                }
            })
            .0,
        );
        t[5].push(
            time(|| {
                for c in &contents {
                    black_box(stage::canonical(c).unwrap());
                }
            })
            .0,
        );
        t[6].push(
            time(|| {
                for c in &canon {
                    black_box(stage::id(c));
                }
            })
            .0,
        );
        t[7].push(
            time(|| {
                for ((c, e), k) in contents.iter().zip(&typed).zip(&canon) {
                    stage::interpreted_is_signed(c, e, k).unwrap();
                }
            })
            .0,
        );
        t[8].push(
            time(|| {
                for l in &lines {
                    black_box(SignedEvent::from_json(l).unwrap());
                }
            })
            .0,
        );
        t[9].push(
            time(|| {
                for l in &lines {
                    black_box(SignedEvent::from_canonical_json(l).unwrap());
                }
            })
            .0,
        );
        t[10].push(
            time(|| {
                for l in &spaced {
                    black_box(SignedEvent::from_json(l).unwrap());
                }
            })
            .0,
        );
        t[11].push(
            time(|| {
                for l in &lines {
                    black_box(stage::tape(l).unwrap());
                }
            })
            .0,
        );
        t[12].push(
            time(|| {
                for tape in &tapes {
                    assert!(stage::tape_schema(tape));
                }
            })
            .0,
        );
        t[13].push(
            time(|| {
                for tape in &tapes {
                    black_box(stage::tape_typed(tape).unwrap());
                }
            })
            .0,
        );
        t[14].push(
            time(|| {
                for (e, _) in &tape_typed {
                    black_box(stage::encode(e).unwrap());
                }
            })
            .0,
        );
        t[15].push(
            time(|| {
                for (l, (e, s)) in lines.iter().zip(&tape_typed) {
                    assert!(stage::line_is(l, e, s).unwrap());
                }
            })
            .0,
        );
    }
    let n = events_n as f64;
    let med: Vec<f64> = t.into_iter().map(median).collect();
    let kib = median(kib);
    let parse_base = med[0];
    let rows: Vec<Vec<String>> = names
        .iter()
        .zip(&med)
        .map(|(name, s)| {
            vec![
                (*name).to_owned(),
                format!("{:.2}", s / n * 1e6),
                format!("{:.2}×", s / parse_base),
            ]
        })
        .collect();
    table(
        "decoding one event, by stage (1 core)",
        &["stage", "µs/event", "× bare serde_json parse"],
        &rows,
    );
    let stages: f64 = med[2..8].iter().sum();
    // T5 includes T4.
    let tape_stages: f64 = med[11..14].iter().sum::<f64>() + med[15];
    println!(
        "\nstages 1-6 (the full path, any bytes) sum to {:.2} µs/event; stages T1-T3 and T5 (the path of a canonical line) to {:.2}; the whole canonical decode is {:.2} µs/event ({:.1}× a bare parse, {:.1}× a bare SHA-256 of the line)",
        stages / n * 1e6,
        tape_stages / n * 1e6,
        med[9] / n * 1e6,
        med[9] / parse_base,
        med[9] / med[1]
    );
    let whole = med[9] / n;
    let (target, target_text) = sha256_kib_target(5.0);
    println!(
        "\nthe whole canonical decode against the target's calibration: {:.2} µs/event, {:.2} µs per SHA-256 of 1 KiB in the same run: {:.2}× (target ≤ {target:.1}×: 5 µs where SHA-256 of 1 KiB takes 0.6 µs)",
        whole * 1e6,
        kib * 1e6,
        whole / kib
    );
    summary(
        "decode of a canonical line (tape, schema of its kind, typed decode, canonical check, id), 1 core",
        &format!("{:.2} µs/event", whole * 1e6),
        &format!("SHA-256 of 1 KiB {:.2} µs", kib * 1e6),
        whole / kib,
        &target_text,
    );
}
