//! Event signature checks (`custodia::sigcheck`, ZIP 215 with custodia's key and R rules):
//! per-signature cost of the single check and of batches of 1,000, on one core and on all
//! cores, with the key cache on and off, against `ed25519-dalek`'s `verify_strict` (RFC 8032
//! cofactorless, one by one) and its `verify_batch` in the same run, over the signatures of the
//! synthetic ledger (few keys, many signatures). Rounds are interleaved; medians are reported.
//!
//! Run: `cargo bench -p custodia --bench signatures` (smoke run: `-- --quick`)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{cores, median, on_all_cores, table, time};
use custodia::sigcheck::{self, Checker, Item};
use ed25519_dalek::{Signature, VerifyingKey};

const SEED: u64 = 42;
const BATCH: usize = 1000;

type Owned = ([u8; 32], [u8; 32], [u8; 64]);

fn strict(part: &[Owned]) {
    for (k, m, s) in part {
        let key = VerifyingKey::from_bytes(k).unwrap();
        key.verify_strict(m, &Signature::from_bytes(s)).unwrap();
    }
}

fn dalek_batch(part: &[Owned]) {
    for c in part.chunks(BATCH) {
        let msgs: Vec<&[u8]> = c.iter().map(|t| t.1.as_slice()).collect();
        let sigs: Vec<Signature> = c.iter().map(|t| Signature::from_bytes(&t.2)).collect();
        let keys: Vec<VerifyingKey> = c
            .iter()
            .map(|t| VerifyingKey::from_bytes(&t.0).unwrap())
            .collect();
        ed25519_dalek::verify_batch(&msgs, &sigs, &keys).unwrap();
    }
}

fn single(checker: Checker<'_>, part: &[Owned]) {
    for (k, m, s) in part {
        assert!(checker.verify_one(k, m, s));
    }
}

fn batched(checker: Checker<'_>, part: &[Owned]) {
    for c in part.chunks(BATCH) {
        let items: Vec<Item<'_>> = c.iter().map(|(k, m, s)| (k, m.as_slice(), s)).collect();
        assert_eq!(checker.verify_batch(&items), Ok(()));
    }
}

fn prechecks(part: &[Owned]) {
    for (_, _, s) in part {
        assert!(sigcheck::r_acceptable(s[..32].try_into().unwrap()));
    }
}

fn main() {
    let events_n: usize = common::scale(4_000, 300);
    let rounds: usize = common::scale(5, 1);
    let events = custodia::testkit::events(SEED, events_n).unwrap();
    let owned: Vec<Owned> = events
        .iter()
        .flat_map(|e| {
            let id = *e.id().as_bytes();
            e.signatures()
                .iter()
                .map(move |s| (*s.key.as_bytes(), id, *s.sig.as_bytes()))
        })
        .collect();
    let mut keys: Vec<[u8; 32]> = owned.iter().map(|t| t.0).collect();
    keys.sort_unstable();
    keys.dedup();
    let n = owned.len() as f64;
    println!(
        "signatures bench: {} | {} signatures by {} keys of {events_n} synth events, batches of {BATCH}, {rounds} interleaved rounds, medians",
        common::machine(),
        owned.len(),
        keys.len(),
    );

    let cached = Checker::cached();
    let uncached = Checker::uncached();
    let one = |f: &dyn Fn(&[Owned])| time(|| f(&owned)).0;
    let all = |f: &(dyn Fn(&[Owned]) + Sync)| time(|| on_all_cores(&owned, f)).0;
    type Row = (String, Vec<f64>);
    let mut rows: Vec<Row> = vec![
        (
            "`verify_strict` one by one, 1 core (baseline)".into(),
            vec![],
        ),
        ("dalek `verify_batch`, 1 core".into(), vec![]),
        ("`verify_one`, key cache on, 1 core".into(), vec![]),
        ("`verify_one`, key cache off, 1 core".into(), vec![]),
        ("`verify_batch`, key cache on, 1 core".into(), vec![]),
        ("`verify_batch`, key cache off, 1 core".into(), vec![]),
        ("R prechecks alone, 1 core".into(), vec![]),
        (
            format!("`verify_strict` one by one, {} cores", cores()),
            vec![],
        ),
        (format!("dalek `verify_batch`, {} cores", cores()), vec![]),
        (
            format!("`verify_one`, key cache on, {} cores", cores()),
            vec![],
        ),
        (
            format!("`verify_batch`, key cache on, {} cores", cores()),
            vec![],
        ),
        (
            format!("`verify_batch`, key cache off, {} cores", cores()),
            vec![],
        ),
    ];
    for _ in 0..rounds {
        let t = [
            one(&strict),
            one(&dalek_batch),
            one(&|p| single(cached, p)),
            one(&|p| single(uncached, p)),
            one(&|p| batched(cached, p)),
            one(&|p| batched(uncached, p)),
            one(&prechecks),
            all(&strict),
            all(&dalek_batch),
            all(&|p| single(cached, p)),
            all(&|p| batched(cached, p)),
            all(&|p| batched(uncached, p)),
        ];
        for (row, t) in rows.iter_mut().zip(t) {
            row.1.push(t);
        }
    }
    let base = median(rows[0].1.clone());
    let table_rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(name, times)| {
            let t = median(times);
            vec![
                name,
                format!("{:.2}", t / n * 1e6),
                format!("**{:.2}×**", base / t),
            ]
        })
        .collect();
    table(
        "event signature checks, per signature (speed-up against `verify_strict` on 1 core)",
        &["what", "µs/signature", "× `verify_strict`, 1 core"],
        &table_rows,
    );
}
