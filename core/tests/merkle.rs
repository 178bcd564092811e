//! The Merkle log against a naive recursive reference (RFC 6962 §2.1 MTH, PATH, PROOF written
//! out in this file), for every tree size up to 64 with every leaf and every pair m ≤ n, random
//! larger trees, tampered proofs, out-of-range arguments (the mutants mutation testing found
//! unguarded), the committed vectors in `docs/vectors/merkle.json`, tree heads as C2SP
//! checkpoints, and the proofs the front door serves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::needless_range_loop
)]

mod support;

use custodia::merkle::{
    self, Hash, MemoryTree, NodeSource, ProofError, checkpoint_body, consistency_proof, empty_root,
    inclusion_proof, leaf_hash, node_hash, verify_consistency, verify_head, verify_inclusion,
};
use custodia::model::EventId;
use custodia::testkit::{SplitMix64, Synth};
use custodia::{ErrorCode, Ledger, Options, Signer};
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
        // An index at or beyond the size never verifies, whatever the proof: `m + n` walks the
        // same path as `m` in some trees (leaf 0 of 4 claimed at index 4 does).
        for beyond in [n, m + n, m + 2 * n] {
            assert!(
                !verify_inclusion(&leaf, beyond as u64, n as u64, &p, &root),
                "leaf {m} claimed at index {beyond} of a tree of size {n}"
            );
        }
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
    assert_eq!(
        inclusion_proof(t, n as u64, n as u64),
        Err(ProofError::LeafOutOfRange {
            index: n as u64,
            size: n as u64
        })
    );
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
    assert_eq!(
        consistency_proof(t, 0, n as u64),
        Err(ProofError::BadRange {
            first: 0,
            second: n as u64
        })
    );
    assert_eq!(
        consistency_proof(t, n as u64 + 1, n as u64),
        Err(ProofError::BadRange {
            first: n as u64 + 1,
            second: n as u64
        })
    );
    assert_eq!(
        inclusion_proof(t, 0, n as u64 + 1),
        Err(ProofError::SizeOutOfRange {
            size: n as u64 + 1,
            len: t.size()
        })
    );
}

#[test]
fn every_size_up_to_64_every_leaf_every_pair() {
    let ids: Vec<EventId> = (0..64).map(id).collect();
    let mut t = MemoryTree::new();
    assert_eq!(merkle::root(&t, 0).unwrap(), mth(&[]));
    assert_eq!(empty_root(), mth(&[]));
    for n in 1..=64 {
        t.push(leaf_hash(&ids[n - 1]));
        assert_eq!(t.root(), mth(&ids[..n]));
        check_size(&ids, &t, n, true);
    }
    // The hashes themselves, from RFC 6962 §2.1.
    assert_eq!(leaf_hash(&ids[0]), h(&[&[0], ids[0].as_bytes()]));
    let (a, b) = (leaf_hash(&ids[0]), leaf_hash(&ids[1]));
    assert_eq!(node_hash(&a, &b), h(&[&[1], &a, &b]));
}

#[test]
fn random_larger_trees() {
    let mut rng = SplitMix64::new(42);
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

/// `verify_consistency` needs `0 < first <= second`. Without the guard, `(0, 0)` and
/// `(2, 1)` with equal roots and an empty proof pass the rest of the algorithm, and a first
/// size of 0 underflows.
#[test]
fn consistency_refuses_a_first_size_of_zero_or_above_the_second() {
    let ids: Vec<EventId> = (0..16).map(id).collect();
    let empty = empty_root();
    assert!(!verify_consistency(0, 0, &empty, &empty, &[]));
    for n in 1..=16u64 {
        let root = mth(&ids[..n as usize]);
        // From the empty tree: nothing to prove, and nothing is accepted.
        assert!(!verify_consistency(0, n, &empty, &root, &[]));
        assert!(!verify_consistency(0, n, &root, &root, &[]));
        assert!(!verify_consistency(0, n, &empty, &root, &[root]));
        // A first size above the second: the same root twice, the roots of both sizes with
        // the genuine proof the other way round, and that proof with the roots swapped.
        for m in 1..n {
            let old = mth(&ids[..m as usize]);
            let genuine = subproof(m as usize, &ids[..n as usize], true);
            assert!(verify_consistency(m, n, &old, &root, &genuine));
            assert!(!verify_consistency(n, m, &old, &old, &[]), "{n} -> {m}");
            assert!(!verify_consistency(n, m, &root, &root, &[]), "{n} -> {m}");
            assert!(
                !verify_consistency(n, m, &root, &old, &genuine),
                "{n} -> {m}"
            );
            assert!(
                !verify_consistency(n, m, &old, &root, &genuine),
                "{n} -> {m}"
            );
        }
    }
    // Equal sizes: consistent exactly when the roots are equal and the proof is empty.
    let r = mth(&ids[..5]);
    assert!(verify_consistency(5, 5, &r, &r, &[]));
    assert!(!verify_consistency(5, 5, &r, &r, &[r]));
    assert!(!verify_consistency(5, 5, &r, &mth(&ids[..4]), &[]));
}

/// An inclusion proof at an index at or beyond the size is refused by the generator and never
/// verifies: with the guard removed, leaf 0 of a tree of 4 passes at index 4, and the single
/// leaf of a tree of 1 passes at index 1.
#[test]
fn inclusion_refuses_an_index_at_or_beyond_the_size() {
    let ids: Vec<EventId> = (0..4).map(id).collect();
    let t = tree(&ids);
    let root = t.root();
    let p0 = inclusion_proof(&t, 0, 4).unwrap();
    let leaf0 = leaf_hash(&ids[0]);
    assert!(verify_inclusion(&leaf0, 0, 4, &p0, &root));
    for index in [4, 8, 12, u64::MAX] {
        assert!(!verify_inclusion(&leaf0, index, 4, &p0, &root), "{index}");
    }
    assert!(!verify_inclusion(&leaf0, 1, 1, &[], &leaf0));
    assert!(verify_inclusion(&leaf0, 0, 1, &[], &leaf0));
    assert!(!verify_inclusion(&leaf0, 0, 0, &[], &empty_root()));
    for index in [4, 5, 100] {
        assert_eq!(
            inclusion_proof(&t, index, 4),
            Err(ProofError::LeafOutOfRange { index, size: 4 })
        );
    }
}

#[test]
fn committed_vectors() {
    let v = support::read_json(&support::vectors("merkle.json"));
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
        assert_eq!(
            mth(&ids[..n as usize]),
            hex(&r["root"]),
            "reference root {n}"
        );
        checked += 1;
    }
    for r in v["inclusion"].as_array().unwrap() {
        let (m, n) = (
            r["leaf_index"].as_u64().unwrap(),
            r["tree_size"].as_u64().unwrap(),
        );
        let p = list(&r["path"]);
        assert_eq!(inclusion_proof(&t, m, n).unwrap(), p);
        assert_eq!(path(m as usize, &ids[..n as usize]), p);
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
        assert_eq!(subproof(m as usize, &ids[..n as usize], true), p);
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

// ---------------------------------------------------------------------------------------------
// Tree heads.

#[test]
fn tree_heads_are_signed_checkpoints_and_reject_tampering() {
    let key = Signer::from_seed([9; 32]);
    let ids: Vec<EventId> = (0..5).map(id).collect();
    let root = mth(&ids);
    let origin = "mindef.example/custodia/armoury-1";
    let body = checkpoint_body(origin, 5, &root);
    {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(root);
        assert_eq!(body, format!("{origin}\n5\n{b64}\n"));
    }
    let sig = key.sign_bytes(body.as_bytes());
    assert!(verify_head(&key.public_key(), origin, 5, &root, &sig));
    assert!(!verify_head(&key.public_key(), origin, 6, &root, &sig));
    assert!(!verify_head(
        &key.public_key(),
        "mindef.example/custodia/armoury-2",
        5,
        &root,
        &sig
    ));
    assert!(!verify_head(
        &key.public_key(),
        origin,
        5,
        &mth(&ids[..4]),
        &sig
    ));
    let other = Signer::from_seed([8; 32]).public_key();
    assert!(!verify_head(&other, origin, 5, &root, &sig));
    let mut bad = sig;
    bad[63] ^= 0x40;
    assert!(!verify_head(&key.public_key(), origin, 5, &root, &bad));
}

/// The log key signs the note text itself, as C2SP `signed-note` specifies: on the text of the
/// peer implementation's vector (Go's `sumdb/note`), custodia's signer gives the very
/// signature the Go signer gives.
#[test]
fn head_signatures_are_signed_note_signatures() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    // `PRIVATE+KEY+PeterNeumann+c74f20a3+` then base64(0x01 || seed).
    let private = b64
        .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        .unwrap();
    assert_eq!(private[0], 1);
    let signer = Signer::from_seed(private[1..].try_into().unwrap());
    let public = b64
        .decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        .unwrap();
    assert_eq!(&public[1..], signer.public_key().as_bytes());
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    // The signature line: base64(4-byte key hash || 64-byte signature).
    let line = b64
        .decode("x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")
        .unwrap();
    assert_eq!(line.len(), 68);
    assert_eq!(signer.sign_bytes(text.as_bytes()).to_vec(), line[4..]);
    // The key hash: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
    let mut hash_input = b"PeterNeumann\n".to_vec();
    hash_input.extend_from_slice(&public);
    assert_eq!(line[..4], Sha256::digest(&hash_input)[..4]);
    assert_eq!(hex::encode(&line[..4]), "c74f20a3");
}

// ---------------------------------------------------------------------------------------------
// Through the front door.

#[test]
fn the_ledger_serves_proofs_that_verify_and_refuses_bad_ranges() {
    let log_key = Signer::from_seed([5; 32]);
    let mut ledger = Ledger::in_memory(
        Options::new()
            .log_key(Signer::from_seed([5; 32]))
            .origin("test.invalid/merkle"),
    )
    .unwrap();
    let mut synth = Synth::new(3);
    let events: Vec<_> = (0..40).map(|_| synth.next_event().unwrap()).collect();
    ledger.append(&events[..25]).unwrap();
    let head25 = ledger.tree_head().unwrap();
    ledger.append(&events[25..]).unwrap();
    let head = ledger.tree_head().unwrap();
    let ids: Vec<EventId> = events.iter().map(|e| e.id()).collect();
    assert_eq!(head.size, 40);
    assert_eq!(*head.root.as_bytes(), mth(&ids));
    assert_eq!(*head25.root.as_bytes(), mth(&ids[..25]));
    // The head is a signed checkpoint of the log key.
    assert_eq!(head.key, log_key.public_key());
    assert_eq!(
        head.checkpoint,
        checkpoint_body("test.invalid/merkle", 40, head.root.as_bytes())
    );
    let sig: [u8; 64] = hex::decode(&head.signature).unwrap().try_into().unwrap();
    assert!(verify_head(
        &head.key,
        &head.origin,
        head.size,
        head.root.as_bytes(),
        &sig
    ));
    // Inclusion at the full size and at an older size.
    for (i, e) in ids.iter().enumerate().step_by(7) {
        let p = ledger.inclusion_proof(e, None).unwrap();
        assert!(p.verify());
        assert_eq!(p.leaf_index, i as u64);
        let path: Vec<Hash> = p.path.iter().map(|d| *d.as_bytes()).collect();
        assert_eq!(path, self::path(i, &ids));
        if i < 25 {
            let p = ledger.inclusion_proof(e, Some(25)).unwrap();
            assert!(p.verify());
            assert_eq!(p.root, head25.root);
        }
    }
    let c = ledger.consistency_proof(25, None).unwrap();
    assert!(c.verify());
    assert_eq!((c.first_root, c.second_root), (head25.root, head.root));
    let path: Vec<Hash> = c.path.iter().map(|d| *d.as_bytes()).collect();
    assert_eq!(path, subproof(25, &ids, true));
    // A tampered proof does not verify.
    let mut bad = c.clone();
    bad.path[0] = custodia::model::Digest::from_bytes([0; 32]);
    assert!(!bad.verify());
    // Bad arguments, each with its code.
    assert_eq!(
        ledger.consistency_proof(0, None).unwrap_err().code(),
        ErrorCode::BadRange
    );
    assert_eq!(
        ledger.consistency_proof(30, Some(20)).unwrap_err().code(),
        ErrorCode::BadRange
    );
    assert_eq!(
        ledger.consistency_proof(10, Some(41)).unwrap_err().code(),
        ErrorCode::SizeOutOfRange
    );
    assert_eq!(
        ledger
            .inclusion_proof(&ids[30], Some(25))
            .unwrap_err()
            .code(),
        ErrorCode::LeafOutOfRange
    );
    assert_eq!(
        ledger
            .inclusion_proof(&ids[3], Some(41))
            .unwrap_err()
            .code(),
        ErrorCode::SizeOutOfRange
    );
    assert_eq!(
        ledger.inclusion_proof(&id(1), None).unwrap_err().code(),
        ErrorCode::EventNotFound
    );
}
