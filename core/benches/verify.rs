//! Full verification of a stored ledger (`Ledger::verify` on a file opened read-only) and of
//! its JSONL export (`verify_jsonl`) against bare Ed25519 batch verification of the same
//! signatures on all cores, with a per-stage breakdown. Rounds are interleaved; medians are
//! reported, and the summary's ratio is the median of each round's own ratio (a verify against
//! the batch measured just before it).
//!
//! Run: `cargo bench -p custodia --bench verify` (smoke run: `-- --quick`)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{cores, median, on_all_cores, rate, scale, summary, table, time};
use custodia::merkle::{Frontier, leaf_hash};
use custodia::{Ledger, Options, SignedEvent};
use ed25519_dalek::{Signature, VerifyingKey};

const SEED: u64 = 42;

type Triple = ([u8; 32], Signature, VerifyingKey);

fn bare_batch(triples: &[Triple]) {
    on_all_cores(triples, |part| {
        let msgs: Vec<&[u8]> = part.iter().map(|t| t.0.as_slice()).collect();
        let sigs: Vec<Signature> = part.iter().map(|t| t.1).collect();
        let keys: Vec<VerifyingKey> = part.iter().map(|t| t.2).collect();
        ed25519_dalek::verify_batch(&msgs, &sigs, &keys).unwrap();
    });
}

/// The ledger's own rule (`sigcheck`, ZIP 215 with key and R rules), batched, with no decoding,
/// replay or storage: what verification would cost if it did nothing but check signatures.
fn bare_sigcheck(triples: &[Triple]) {
    on_all_cores(triples, |part| {
        let owned: Vec<([u8; 32], [u8; 64], [u8; 32])> = part
            .iter()
            .map(|(m, s, k)| (k.to_bytes(), s.to_bytes(), *m))
            .collect();
        let items: Vec<custodia::sigcheck::Item<'_>> =
            owned.iter().map(|(k, s, m)| (k, m.as_slice(), s)).collect();
        custodia::sigcheck::verify_batch(&items).unwrap();
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
    let events_n: usize = scale(20_000, 2_000);
    // Seven rounds: the machines this runs on are noisy (on 2 shared cores, one verify of the
    // same file took from 0.42× to 0.60× of the batch measured beside it, run to run).
    let rounds: usize = scale(7, 1);
    let events = custodia::testkit::events(SEED, events_n).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.ledger");
    {
        let mut ledger = common::create_ledger(&path);
        for c in events.chunks(1000) {
            ledger.append(c).unwrap();
        }
    }
    let jsonl = dir.path().join("bench.jsonl");
    let lines: Vec<Vec<u8>> = events
        .iter()
        .map(|e| e.to_json().as_bytes().to_vec())
        .collect();
    {
        let ledger = Ledger::open(&path, Options::new()).unwrap();
        let mut f = std::io::BufWriter::new(std::fs::File::create(&jsonl).unwrap());
        assert_eq!(ledger.export_jsonl(&mut f).unwrap(), events_n as u64);
    }
    let triples: Vec<Triple> = events
        .iter()
        .flat_map(|e| {
            e.signatures().iter().map(|s| {
                (
                    *e.id().as_bytes(),
                    Signature::from_bytes(s.sig.as_bytes()),
                    VerifyingKey::from_bytes(s.key.as_bytes()).unwrap(),
                )
            })
        })
        .collect();
    println!(
        "verify bench: {} | {events_n} synth events, {} signatures, {rounds} interleaved rounds, medians",
        common::machine(),
        triples.len()
    );

    let (mut vf, mut vj, mut bb, mut bs, mut bz) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Each round measures the baseline, then both verifies, then the other rows: a verify is
    // compared with the batch of its own round (`paired`), a few seconds apart at most.
    for _ in 0..rounds {
        bb.push(time(|| bare_batch(&triples)).0);
        vf.push(
            time(|| {
                let ledger = Ledger::open(&path, Options::new()).unwrap();
                let r = ledger.verify().unwrap();
                assert!(r.ok, "{:?}", r.failure);
                assert_eq!(r.events, events_n as u64);
            })
            .0,
        );
        vj.push(
            time(|| {
                let f = std::io::BufReader::new(std::fs::File::open(&jsonl).unwrap());
                let r = custodia::verify_jsonl(f, None);
                assert!(r.ok, "{:?}", r.failure);
                assert_eq!(r.events, events_n as u64);
            })
            .0,
        );
        bz.push(time(|| bare_sigcheck(&triples)).0);
        bs.push(time(|| bare_strict(&triples)).0);
    }
    let n = events_n as f64;
    let vf_ratios = paired(&bb, &vf);
    let vj_ratios = paired(&bb, &vj);
    let bb = median(bb);
    let bz = median(bz);
    let vf = median(vf);
    let vj = median(vj);
    let row = |name: &str, t: f64| {
        vec![
            name.to_owned(),
            rate(n / t),
            format!("{:.1}", t / n * 1e6),
            format!("**{:.2}×**", bb / t),
            format!("**{:.2}×**", bz / t),
        ]
    };
    table(
        "verification throughput vs bare batched Ed25519 of the same signatures on the same \
         cores (target ≥ 0.5×)",
        &[
            "what",
            "events/s",
            "µs/event",
            "× bare dalek batch",
            "× bare sigcheck batch",
        ],
        &[
            row(
                &format!(
                    "bare `ed25519_dalek::verify_batch`, {} cores (baseline)",
                    cores()
                ),
                bb,
            ),
            row(
                &format!(
                    "bare `sigcheck::verify_batch` (the ledger's rule), {} cores (baseline)",
                    cores()
                ),
                bz,
            ),
            row(
                &format!("bare `verify_strict` one by one, {} cores", cores()),
                median(bs),
            ),
            row("`Ledger::verify` (stored ledger, opened read-only)", vf),
            row("`verify_jsonl` (JSONL export)", vj),
        ],
    );
    // The ratio reported: the median of the rounds' own ratios (each verify against the batch
    // of its round), which drifts of the machine's speed between rounds do not enter; the
    // table's ratios above are of medians.
    println!(
        "\nper-round ratios to the bare dalek batch of the same round (median, then min–max): \
         stored {:.2}× ({:.2}–{:.2}), export {:.2}× ({:.2}–{:.2})",
        median(vf_ratios.clone()),
        min(&vf_ratios),
        max(&vf_ratios),
        median(vj_ratios.clone()),
        min(&vj_ratios),
        max(&vj_ratios),
    );
    for (what, t, ratios) in [
        ("stored ledger", vf, &vf_ratios),
        ("JSONL export", vj, &vj_ratios),
    ] {
        summary(
            &format!("verify, {what}, {} cores ({events_n} events)", cores()),
            &rate(n / t),
            &format!(
                "bare dalek batch {}, bare sigcheck batch {}; median of {rounds} rounds' ratios \
                 ({:.2}–{:.2})",
                rate(n / bb),
                rate(n / bz),
                min(ratios),
                max(ratios)
            ),
            median(ratios.clone()),
            "≥ 0.5× (dalek batch)",
        );
    }

    // Stages of `Ledger::verify` that can be measured from outside, separately (medians), done
    // as `verify` does them. `verify` is a pipeline: one thread reads chunks, checks the
    // Merkle nodes of their pieces and replays the pieces in order, and every thread, that one
    // included whenever it would wait, decodes pieces of the chunks read ahead and checks their
    // signatures.
    const CHUNK: usize = 512; // `store::PIPELINE_PIECE`: the nodes are read a piece at a time
    let ledger = Ledger::open(&path, Options::new()).unwrap();
    let mut st: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        st[0].push(
            time(|| {
                let mut bytes = 0usize;
                ledger
                    .for_each_event(0, u64::MAX, &mut |r| {
                        bytes += r.json.len();
                        Ok(true)
                    })
                    .unwrap();
                std::hint::black_box(bytes);
            })
            .0,
        );
        st[1].push(
            time(|| {
                let conn = rusqlite::Connection::open_with_flags(
                    &path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                let mut q = conn
                    .prepare_cached(
                        "SELECT hash FROM nodes WHERE pos >= ?1 AND pos < ?2 ORDER BY pos",
                    )
                    .unwrap();
                // Nodes stored by a log of `n` leaves: the position of leaf `n`'s first node.
                let stored_count = |n: u64| (2 * n - u64::from(n.count_ones())) as i64;
                let mut f = Frontier::new();
                for (c, chunk) in events.chunks(CHUNK).enumerate() {
                    // One range scan for the nodes the chunk's leaves complete: in post-order,
                    // the order `push` completes them in.
                    let (first, end) = ((c * CHUNK) as u64, (c * CHUNK + chunk.len()) as u64);
                    let mut stored = q
                        .query_map(
                            rusqlite::params![stored_count(first), stored_count(end)],
                            |r| r.get::<_, Vec<u8>>(0),
                        )
                        .unwrap()
                        .map(Result::unwrap);
                    for e in chunk {
                        for (.., hash) in f.push(leaf_hash(&e.id())) {
                            assert_eq!(stored.next().as_deref(), Some(hash.as_slice()));
                        }
                    }
                    assert!(stored.next().is_none());
                }
            })
            .0,
        );
        st[2].push(
            time(|| {
                on_all_cores(&lines, |part| {
                    for j in part {
                        // Stored rows are canonical lines.
                        std::hint::black_box(SignedEvent::from_canonical_json(j).unwrap());
                    }
                });
            })
            .0,
        );
        st[3].push(
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
    }
    let t: Vec<f64> = st.iter_mut().map(|v| median(std::mem::take(v))).collect();
    let row = |name: String, secs: f64| {
        vec![
            name,
            format!("{:.1}", secs / n * 1e6),
            format!("{:.0}%", secs / vf * 100.0),
        ]
    };
    let (read, merkle, decode, sigs) = (t[0], t[1], t[2], t[3]);
    // Every thread takes pieces of decoding and signatures whenever it is not reading or
    // replaying (`store::pipeline`), so the stages share the cores: each one's share of the
    // wall time is its time alone on every core. The reading and the Merkle nodes run on one
    // thread; spread, they take 1/cores of it. The rest is what is left.
    let cores_f = cores() as f64;
    let rest = (vf - (read + merkle) / cores_f - decode - sigs).max(0.0);
    let rows = vec![
        row(
            format!("read rows (`Ledger::for_each_event`), 1 core, spread over {} cores", cores()),
            read / cores_f,
        ),
        row(
            format!(
                "Merkle nodes (recompute; one range scan per chunk of {CHUNK}), 1 core, spread over {} cores",
                cores()
            ),
            merkle / cores_f,
        ),
        row(
            format!(
                "decode (`SignedEvent::from_canonical_json`), {} cores",
                cores()
            ),
            decode,
        ),
        row(
            format!(
                "signatures (`sigcheck::verify_batch`, batches of ≤ 1,024, cached keys), {} cores",
                cores()
            ),
            sigs,
        ),
        row(
            "the rest: replay, tree heads, and the end (derived tables, digest); verify minus the rows above".into(),
            rest,
        ),
        vec![
            "**`Ledger::verify` total**".into(),
            format!("{:.1}", vf / n * 1e6),
            "100%".into(),
        ],
    ];
    table(
        "where Ledger::verify time goes",
        &["stage", "µs/event", "% of verify"],
        &rows,
    );
}

/// Each round's baseline time over its measured time (higher is faster).
fn paired(baseline: &[f64], measured: &[f64]) -> Vec<f64> {
    baseline.iter().zip(measured).map(|(b, m)| b / m).collect()
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
