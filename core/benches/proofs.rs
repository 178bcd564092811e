//! Inclusion and consistency proofs: generation + verification time at growing tree sizes,
//! over the store's node layout in SQLite (a bench-side `NodeSource` over a table shaped like
//! the store's `nodes` table) and in memory (`MemoryTree`), plus the real
//! `Ledger::inclusion_proof` / `consistency_proof` on a synth ledger file. Baseline: one
//! SHA-256 of 64 bytes, measured in the same run. Rounds are interleaved; medians are reported.
//!
//! Run: `cargo bench -p custodia --bench proofs` (smoke run: `-- --quick`)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::Duration;

use common::{median, per_call, scale, table};
use custodia::merkle::{
    self, Frontier, Hash, MemoryTree, NodeSource, ProofError, leaf_hash, verify_consistency,
    verify_inclusion,
};
use custodia::model::EventId;
use custodia::testkit::SplitMix64;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

fn rounds() -> usize {
    scale(5, 1)
}

fn min() -> Duration {
    scale(Duration::from_millis(150), Duration::from_millis(10))
}

/// Mirrors the store's `nodes` table and its `SqlNodes` reader.
struct SqlTree {
    conn: Connection,
    size: u64,
    reads: std::cell::Cell<u64>,
}

impl NodeSource for SqlTree {
    fn size(&self) -> u64 {
        self.size
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        self.reads.set(self.reads.get() + 1);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash FROM nodes WHERE pos = ?1")
            .map_err(|e| ProofError::Store(e.to_string()))?;
        let h: Option<Vec<u8>> = stmt
            .query_row(params![post_order(level, index)], |r| r.get(0))
            .optional()
            .map_err(|e| ProofError::Store(e.to_string()))?;
        h.and_then(|v| v.try_into().ok())
            .ok_or(ProofError::MissingNode { level, index })
    }
}

/// The store's key of node `index` of `level` (format 3): its position in post-order,
/// `2e − popcount(e) + level` for its last leaf `e`.
fn post_order(level: u32, index: u64) -> i64 {
    let last = ((index + 1) << level) - 1;
    (2 * last - u64::from(last.count_ones()) + u64::from(level)) as i64
}

fn random_id(rng: &mut SplitMix64) -> EventId {
    let mut b = [0u8; 32];
    for c in b.chunks_mut(8) {
        c.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    EventId::from_bytes(b)
}

/// Builds both trees of `n` random leaves; the SQLite one in a file under `dir`.
fn build(dir: &std::path::Path, n: u64, seed: u64) -> (SqlTree, MemoryTree) {
    let conn = Connection::open(dir.join(format!("nodes{n}.db"))).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch("CREATE TABLE nodes (pos INTEGER PRIMARY KEY, hash BLOB NOT NULL);")
        .unwrap();
    let mut rng = SplitMix64::new(seed);
    let mut mem = MemoryTree::new();
    let mut f = Frontier::new();
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut ins = conn
            .prepare("INSERT INTO nodes (pos, hash) VALUES (?1, ?2)")
            .unwrap();
        for _ in 0..n {
            let leaf = leaf_hash(&random_id(&mut rng));
            mem.push(leaf);
            for (level, idx, hash) in f.push(leaf) {
                ins.execute(params![post_order(level, idx), hash.as_slice()])
                    .unwrap();
            }
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    assert_eq!(f.root(), mem.root());
    (
        SqlTree {
            conn,
            size: n,
            reads: std::cell::Cell::new(0),
        },
        mem,
    )
}

/// Seconds per (inclusion proof + verification) and per (consistency proof + verification).
fn proofs<S: NodeSource>(src: &S, rng: &mut SplitMix64) -> (f64, f64) {
    let n = src.size();
    let root = merkle::root(src, n).unwrap();
    let inc = per_call(min(), || {
        let i = rng.range(0, n - 1);
        let p = merkle::inclusion_proof(src, i, n).unwrap();
        let leaf = src.node(0, i).unwrap();
        assert!(verify_inclusion(&leaf, i, n, &p, &root));
    });
    let con = per_call(min(), || {
        let m = rng.range(1, n - 1);
        let old = merkle::root(src, m).unwrap();
        let p = merkle::consistency_proof(src, m, n).unwrap();
        assert!(verify_consistency(m, n, &old, &root, &p));
    });
    (inc, con)
}

fn sha64() -> f64 {
    let mut buf = [7u8; 64];
    let reps = 10_000;
    per_call(min(), || {
        for _ in 0..reps {
            let h: [u8; 32] = Sha256::digest(buf).into();
            buf[..32].copy_from_slice(&h);
        }
        std::hint::black_box(&buf);
    }) / f64::from(reps)
}

/// Least-squares slope and intercept of y against x.
fn fit(xs: &[f64], ys: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let b = sxy / sxx;
    (b, my - b * mx)
}

fn main() {
    let rounds = rounds();
    println!(
        "proofs bench: {} | random 32-byte ids, {rounds} interleaved rounds, medians; \
         each proof = generate + verify",
        common::machine()
    );
    let dir = tempfile::tempdir().unwrap();
    let sizes: Vec<u64> = scale(vec![1_000, 10_000, 100_000, 1_000_000], vec![1_000, 10_000]);
    let mut trees = Vec::new();
    for (k, &n) in sizes.iter().enumerate() {
        let (t, tree) = common::time(|| build(dir.path(), n, k as u64 + 1));
        println!("built {n} leaves (SQLite nodes table + MemoryTree) in {t:.1} s");
        trees.push(tree);
    }

    // The real store: a synth ledger file, proofs through the front door.
    let path = dir.path().join("synth.ledger");
    let synth_n: usize = scale(20_000, 2_000);
    let ids: Vec<EventId> = {
        let events = custodia::testkit::events(42, synth_n).unwrap();
        let mut ledger = common::create_ledger(&path);
        for c in events.chunks(1000) {
            ledger.append(c).unwrap();
        }
        events.iter().map(|e| e.id()).collect()
    };
    let ledger = custodia::Ledger::open(&path, custodia::Options::new()).unwrap();

    let mut rng = SplitMix64::new(99);
    let k = sizes.len();
    let reads: Vec<(f64, f64)> = trees
        .iter()
        .map(|(sq, _)| {
            let n = sq.size;
            let (mut a, mut b) = (0u64, 0u64);
            for _ in 0..200 {
                sq.reads.set(0);
                merkle::inclusion_proof(sq, rng.range(0, n - 1), n).unwrap();
                a += sq.reads.get();
                sq.reads.set(0);
                merkle::consistency_proof(sq, rng.range(1, n - 1), n).unwrap();
                b += sq.reads.get();
            }
            (a as f64 / 200.0, b as f64 / 200.0)
        })
        .collect();
    let mut sha = Vec::new();
    let mut sql_inc = vec![Vec::new(); k];
    let mut sql_con = vec![Vec::new(); k];
    let mut mem_inc = vec![Vec::new(); k];
    let mut mem_con = vec![Vec::new(); k];
    let (mut real_inc, mut real_con) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        sha.push(sha64());
        for (i, (sq, mem)) in trees.iter().enumerate() {
            let (a, b) = proofs(sq, &mut rng);
            sql_inc[i].push(a);
            sql_con[i].push(b);
            let (a, b) = proofs(mem, &mut rng);
            mem_inc[i].push(a);
            mem_con[i].push(b);
        }
        let n = synth_n as u64;
        let head = ledger.tree_head().unwrap();
        assert_eq!(head.size, n);
        real_inc.push(per_call(min(), || {
            let i = rng.range(0, n - 1);
            let p = ledger.inclusion_proof(&ids[i as usize], Some(n)).unwrap();
            assert_eq!(p.leaf_index, i);
            assert!(p.root == head.root && p.verify());
        }));
        real_con.push(per_call(min(), || {
            let m = rng.range(1, n - 1);
            let p = ledger.consistency_proof(m, Some(n)).unwrap();
            assert!(p.second_root == head.root && p.verify());
        }));
    }
    let sha = median(sha);
    let us = |v: &Vec<f64>| median(v.clone()) * 1e6;
    let mut rows = Vec::new();
    let mut xs = Vec::new();
    let (mut yi, mut yc) = (Vec::new(), Vec::new());
    for (i, &n) in sizes.iter().enumerate() {
        let lg = (n as f64).log2();
        xs.push(lg);
        yi.push(us(&sql_inc[i]));
        yc.push(us(&sql_con[i]));
        rows.push(vec![
            n.to_string(),
            format!("{lg:.1}"),
            format!("{:.1}", us(&sql_inc[i])),
            format!("{:.0}", us(&sql_inc[i]) / (sha * 1e6)),
            format!("{:.1}", reads[i].0),
            format!("{:.1}", us(&sql_con[i])),
            format!("{:.0}", us(&sql_con[i]) / (sha * 1e6)),
            format!("{:.1}", reads[i].1),
            format!("{:.2}", us(&mem_inc[i])),
            format!("{:.2}", us(&mem_con[i])),
        ]);
    }
    table(
        &format!(
            "proof generate + verify (baseline: one SHA-256 of 64 bytes = {:.3} µs)",
            sha * 1e6
        ),
        &[
            "leaves n",
            "log2 n",
            "SQLite inclusion µs",
            "× SHA",
            "node reads",
            "SQLite consistency µs",
            "× SHA",
            "node reads",
            "memory inclusion µs",
            "memory consistency µs",
        ],
        &rows,
    );
    let target = 1e7f64.log2();
    let (bi, ai) = fit(&xs, &yi);
    let (bc, ac) = fit(&xs, &yc);
    table(
        "fit µs = a + b·log2(n) over the SQLite rows, extrapolated to 10^7 leaves (log2 = 23.3)",
        &[
            "proof",
            "b (µs per doubling)",
            "a (µs)",
            "predicted at 10^7 (µs)",
            "target",
        ],
        &[
            vec![
                "inclusion".into(),
                format!("{bi:.2}"),
                format!("{ai:.1}"),
                format!("{:.1}", ai + bi * target),
                "< 100 µs".into(),
            ],
            vec![
                "consistency".into(),
                format!("{bc:.2}"),
                format!("{ac:.1}"),
                format!("{:.1}", ac + bc * target),
                "< 100 µs".into(),
            ],
        ],
    );
    table(
        &format!("real store: `Ledger` on a {synth_n}-event synth ledger file"),
        &["call", "µs", "× SHA"],
        &[
            vec![
                "`Ledger::inclusion_proof(id, n)` (leaf index by id) + verify".into(),
                format!("{:.1}", us(&real_inc)),
                format!("{:.0}", us(&real_inc) / (sha * 1e6)),
            ],
            vec![
                "`Ledger::consistency_proof(m, n)` (both roots) + verify".into(),
                format!("{:.1}", us(&real_con)),
                format!("{:.0}", us(&real_con) / (sha * 1e6)),
            ],
        ],
    );
}
