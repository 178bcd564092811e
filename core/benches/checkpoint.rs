//! What trust costs: verifying a checkpoint (the log's signature) and its cosignatures, and
//! the signature of a tree head that every append makes, against the append it is part of.
//! Medians of interleaved rounds, in one run. `cargo bench -p custodia --bench checkpoint`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Instant;

use custodia::note::{Checkpoint, KeyName, SignatureType, SignerKey, Verifiers};
use custodia::testkit::Synth;
use custodia::witness::{AddCheckpoint, Witness};
use custodia::{Ledger, Options, Signer};

const ROUNDS: usize = 9;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<F: FnMut()>(iterations: usize, mut f: F) -> f64 {
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed().as_secs_f64() / iterations as f64
}

fn main() {
    let events: Vec<_> = Synth::new(9).take(2_000).collect::<Result<_, _>>().unwrap();
    let mut ledger = Ledger::in_memory(Options::new().origin("bench.example/log")).unwrap();
    ledger.append(&events[..1_000]).unwrap();
    let log_vkey = ledger.log_vkey().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let witnesses: Vec<Witness> = (0..2u8)
        .map(|i| {
            let key = SignerKey::from_seed(
                KeyName::new(format!("w{i}.example/w")).unwrap(),
                SignatureType::CosignatureV1,
                [i + 1; 32],
            );
            Witness::new(
                key,
                vec![log_vkey.clone()],
                &dir.path().join(format!("w{i}")),
            )
            .unwrap()
        })
        .collect();
    let cp = ledger.checkpoint(None).unwrap();
    let mut cosigned = cp.clone();
    for w in &witnesses {
        let sigs = w
            .add_checkpoint(
                &AddCheckpoint {
                    old_size: 0,
                    proof: vec![],
                    checkpoint: cp.as_bytes().to_vec(),
                },
                1_767_225_600,
            )
            .unwrap();
        for s in sigs {
            cosigned.push_str(&s.to_line());
        }
    }
    let log_only = Verifiers::new([log_vkey.clone()]).unwrap();
    let all = Verifiers::new(
        std::iter::once(log_vkey.clone()).chain(witnesses.iter().map(|w| w.verifier().clone())),
    )
    .unwrap();
    let signer = Signer::from_seed([3; 32]);
    let body = custodia::merkle::checkpoint_body("bench.example/log", 1_000, &[7; 32]);

    let (mut open_log, mut open_all, mut sign, mut append_one, mut append_batch) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut next = 1_000;
    for _ in 0..ROUNDS {
        open_log.push(time(200, || {
            Checkpoint::open(cp.as_bytes(), &log_only).unwrap();
        }));
        open_all.push(time(200, || {
            Checkpoint::open(cosigned.as_bytes(), &all).unwrap();
        }));
        sign.push(time(500, || {
            std::hint::black_box(signer.sign_bytes(body.as_bytes()));
        }));
        let t = Instant::now();
        for e in &events[next..next + 10] {
            ledger.append(std::slice::from_ref(e)).unwrap();
        }
        append_one.push(t.elapsed().as_secs_f64() / 10.0);
        next += 10;
    }
    // Batches of 100 on fresh ledgers (the same events each time).
    for _ in 0..ROUNDS {
        let mut l = Ledger::in_memory(Options::new()).unwrap();
        l.append(&events[..900]).unwrap();
        let t = Instant::now();
        l.append(&events[900..1_000]).unwrap();
        append_batch.push(t.elapsed().as_secs_f64());
    }
    let us = |s: f64| s * 1e6;
    let (ol, oa, sg, a1, ab) = (
        median(open_log),
        median(open_all),
        median(sign),
        median(append_one),
        median(append_batch),
    );
    println!("| what | µs | note |");
    println!("|---|---:|---|");
    println!(
        "| verify a checkpoint (log signature) | {:.1} | parse + one Ed25519 verification |",
        us(ol)
    );
    println!(
        "| verify a checkpoint with 2 cosignatures | {:.1} | three verifications |",
        us(oa)
    );
    println!(
        "| sign a tree head (per append) | {:.1} | one Ed25519 signature |",
        us(sg)
    );
    println!(
        "| append one event (in-memory SQLite) | {:.1} | signing is {:.1}% of it |",
        us(a1),
        100.0 * sg / a1
    );
    println!(
        "| append a batch of 100 events | {:.1} | signing is {:.2}% of it |",
        us(ab),
        100.0 * sg / ab
    );
}
