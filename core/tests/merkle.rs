//! The Merkle log against a naive recursive reference (RFC 6962 §2.1 MTH, PATH, PROOF written
//! out in this file), for every tree size up to 64 with every leaf and every pair m ≤ n, random
//! larger trees, tampered proofs, and the committed vectors in `docs/vectors/merkle.json`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::needless_range_loop
)]

use custodia::merkle::{
    self, Hash, MemoryTree, NodeSource, consistency_proof, inclusion_proof, leaf_hash,
    verify_consistency, verify_inclusion,
};
use custodia::model::EventId;
use sha2::{Digest, Sha256};

fn id(i: u64) -> EventId {
    EventId::from_bytes(Sha256::digest(format!("custodia merkle vector {i}")).into())
}

fn h(bytes: &[&[u8]]) -> Hash {
    let mut s = Sha256::new();
    for b in bytes {
        s.update(b);
    }
    s.finalize().into()
}

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) straight from RFC 6962 §2.1.
fn mth(d: &[EventId]) -> Hash {
    match d.len() {
        0 => h(&[]),
        1 => h(&[&[0], d[0].as_bytes()]),
        n => {
            let k = k_of(n);
            h(&[&[1], &mth(&d[..k]), &mth(&d[k..])])
        }
    }
}

/// PATH(m, D[n]).
fn path(m: usize, d: &[EventId]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = k_of(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b).
fn subproof(m: usize, d: &[EventId], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn tree(ids: &[EventId]) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in ids {
        t.push(leaf_hash(i));
    }
    t
}

/// Flips one bit of each hash of a proof in turn, drops and adds a hash: all must fail.
fn tampered(proof: &[Hash]) -> Vec<Vec<Hash>> {
    let mut out = Vec::new();
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][i % 32] ^= 1 << (i % 8);
        out.push(p);
    }
    if !proof.is_empty() {
        out.push(proof[..proof.len() - 1].to_vec());
    }
    let mut longer = proof.to_vec();
    longer.push([7; 32]);
    out.push(longer);
    out
}

fn check_size(ids: &[EventId], t: &MemoryTree, n: usize, all_pairs: bool) {
    let d = &ids[..n];
    let root = merkle::root(t, n as u64).unwrap();
    assert_eq!(root, mth(d), "root of size {n}");
    for m in 0..n {
        let p = inclusion_proof(t, m as u64, n as u64).unwrap();
        assert_eq!(p, path(m, d), "PATH({m}, D[{n}])");
        let leaf = leaf_hash(&ids[m]);
        assert!(verify_inclusion(&leaf, m as u64, n as u64, &p, &root));
        if all_pairs || m % 7 == 0 {
            for bad in tampered(&p) {
                assert!(!verify_inclusion(&leaf, m as u64, n as u64, &bad, &root));
            }
            let other = leaf_hash(&id(10_000 + m as u64));
            assert!(!verify_inclusion(&other, m as u64, n as u64, &p, &root));
            if n > 1 {
                assert!(!verify_inclusion(
                    &leaf,
                    ((m + 1) % n) as u64,
                    n as u64,
                    &p,
                    &root
                ));
            }
        }
    }
    assert!(inclusion_proof(t, n as u64, n as u64).is_err());
    for m in 1..=n {
        let p = consistency_proof(t, m as u64, n as u64).unwrap();
        assert_eq!(p, subproof(m, d, true), "PROOF({m}, D[{n}])");
        let first = mth(&ids[..m]);
        assert!(
            verify_consistency(m as u64, n as u64, &first, &root, &p),
            "consistency {m} -> {n}"
        );
        if all_pairs || m % 5 == 0 {
            for bad in tampered(&p) {
                assert!(
                    !verify_consistency(m as u64, n as u64, &first, &root, &bad),
                    "tampered {m} -> {n}"
                );
            }
            let mut wrong = first;
            wrong[0] ^= 1;
            assert!(!verify_consistency(m as u64, n as u64, &wrong, &root, &p));
            assert!(!verify_consistency(m as u64, n as u64, &first, &wrong, &p));
        }
    }
    assert!(consistency_proof(t, 0, n as u64).is_err());
    assert!(consistency_proof(t, n as u64 + 1, n as u64).is_err());
}

#[test]
fn every_size_up_to_64_every_leaf_every_pair() {
    let ids: Vec<EventId> = (0..64).map(id).collect();
    let mut t = MemoryTree::new();
    assert_eq!(merkle::root(&t, 0).unwrap(), mth(&[]));
    for n in 1..=64 {
        t.push(leaf_hash(&ids[n - 1]));
        assert_eq!(t.root(), mth(&ids[..n]));
        check_size(&ids, &t, n, true);
    }
}

#[test]
fn random_larger_trees() {
    // SplitMix64 from the crate keeps the sizes reproducible.
    let mut rng = custodia::synth::SplitMix64::new(42);
    let ids: Vec<EventId> = (0..1100).map(id).collect();
    let t = tree(&ids);
    for _ in 0..6 {
        let n = rng.range(65, 1100) as usize;
        let d = &ids[..n];
        let root = merkle::root(&t, n as u64).unwrap();
        assert_eq!(root, mth(d));
        for _ in 0..20 {
            let m = rng.range(0, n as u64 - 1) as usize;
            let p = inclusion_proof(&t, m as u64, n as u64).unwrap();
            assert_eq!(p, path(m, d));
            assert!(verify_inclusion(
                &leaf_hash(&ids[m]),
                m as u64,
                n as u64,
                &p,
                &root
            ));
            let first = rng.range(1, n as u64) as usize;
            let c = consistency_proof(&t, first as u64, n as u64).unwrap();
            assert_eq!(c, subproof(first, d, true));
            assert!(verify_consistency(
                first as u64,
                n as u64,
                &mth(&ids[..first]),
                &root,
                &c
            ));
            for bad in tampered(&c) {
                assert!(!verify_consistency(
                    first as u64,
                    n as u64,
                    &mth(&ids[..first]),
                    &root,
                    &bad
                ));
            }
        }
    }
    // A proof is O(log n) hashes.
    assert!(inclusion_proof(&t, 0, 1100).unwrap().len() <= 11);
    assert_eq!(t.size(), 1100);
}

#[test]
fn committed_vectors() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/vectors/merkle.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<EventId> = v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| EventId::from_hex(s.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(ids, (0..13).map(id).collect::<Vec<_>>());
    let t = tree(&ids);
    let hex = |x: &serde_json::Value| merkle::hash_from_hex(x.as_str().unwrap()).unwrap();
    let list = |x: &serde_json::Value| x.as_array().unwrap().iter().map(hex).collect::<Vec<_>>();
    let mut checked = 0;
    for r in v["roots"].as_array().unwrap() {
        let n = r["size"].as_u64().unwrap();
        assert_eq!(merkle::root(&t, n).unwrap(), hex(&r["root"]), "root {n}");
        checked += 1;
    }
    for r in v["inclusion"].as_array().unwrap() {
        let (m, n) = (
            r["leaf_index"].as_u64().unwrap(),
            r["tree_size"].as_u64().unwrap(),
        );
        let p = list(&r["path"]);
        assert_eq!(inclusion_proof(&t, m, n).unwrap(), p);
        assert!(verify_inclusion(
            &leaf_hash(&ids[m as usize]),
            m,
            n,
            &p,
            &merkle::root(&t, n).unwrap()
        ));
        checked += 1;
    }
    for r in v["consistency"].as_array().unwrap() {
        let (m, n) = (r["first"].as_u64().unwrap(), r["second"].as_u64().unwrap());
        let p = list(&r["path"]);
        assert_eq!(consistency_proof(&t, m, n).unwrap(), p);
        assert!(verify_consistency(
            m,
            n,
            &merkle::root(&t, m).unwrap(),
            &merkle::root(&t, n).unwrap(),
            &p
        ));
        checked += 1;
    }
    assert_eq!(checked, 14 + 7 + 9);
}

#[test]
fn tree_heads_sign_and_reject_tampering() {
    let key = custodia::Signer::from_seed([9; 32]);
    let head = merkle::SignedTreeHead::sign(5, mth(&(0..5).map(id).collect::<Vec<_>>()), &key);
    head.verify(&key.public_key()).unwrap();
    let mut bad = head.clone();
    bad.size = 6;
    assert_eq!(
        bad.verify(&key.public_key()),
        Err(merkle::TreeHeadError::BadSignature {
            size: 6,
            key: key.public_key()
        })
    );
    let other = custodia::Signer::from_seed([8; 32]).public_key();
    assert!(matches!(
        head.verify(&other),
        Err(merkle::TreeHeadError::NotSigned { .. })
    ));
    let json = serde_json::to_string(&head).unwrap();
    let back: merkle::SignedTreeHead = serde_json::from_str(&json).unwrap();
    assert_eq!(back, head);
}
