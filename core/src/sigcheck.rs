//! The one check of event signatures, single and batched, with exactly the same verdict.
//!
//! The rule (docs/FORMAT.md, section 4): **ZIP 215** (the cofactored equation
//! `[8][S]B = [8]R + [8][k]A`, `S < L`) plus rules on keys and on `R`:
//! - the key `A` must be the canonical encoding of a point that is neither of small order nor
//!   of mixed order (it lies in the prime-order subgroup); a signature by any other key never
//!   verifies, whatever the event's format version, so ZIP 215's leniency towards torsion in
//!   keys cannot be used to forge on old ledgers;
//! - `R` must be a canonical encoding and not of small order (two byte comparisons, applied
//!   before both the single and the batched check).
//!
//! Why ZIP 215: RFC 8032's cofactorless equation cannot be batched with exactly the single
//! verdict (torsion parts of `R` can cancel in a random linear combination), while the
//! cofactored equation batches exactly by construction. `ed25519-zebra` implements both the
//! single and the batched ZIP 215 check; the prechecks here are the same for both.
//!
//! A batched check that fails is redone one signature at a time to name the first bad one; a
//! batched check that passes when a single check would fail happens with probability below
//! 2^-120 per batch (random 128-bit coefficients).
//!
//! Decompressed, checked keys are kept in a small process-wide cache (keys are few, signatures
//! many); the cache holds a pure function of the key bytes, so it never changes a verdict.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_zebra::{VerificationKey, VerificationKeyBytes, batch};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest as _, Sha512};

/// Keys the process-wide cache holds at most; when full it is emptied and refilled.
pub const KEY_CACHE_ENTRIES_MAX: usize = 4096;

/// Signatures checked in one batched equation at most (larger batches are split).
pub const BATCH_SIGNATURES_MAX: usize = 1024;

/// Signatures checked alone, and signatures checked in batched equations (of two or more), by
/// this process so far. A caller that checks signatures one by one gets the same verdicts as
/// one that batches them, at about six times the CPU: only these counts show the difference
/// (`core/tests/signature_batching.rs`).
static SINGLE_CHECKS: AtomicU64 = AtomicU64::new(0);
static BATCHED_CHECKS: AtomicU64 = AtomicU64::new(0);

/// How many signatures this process checked alone and how many in batched equations.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CheckCounts {
    /// Checked alone ([`Checker::verify_one`], including a batch of one and the one-by-one
    /// redo after a failed batch).
    pub single: u64,
    /// Checked in a batched equation of two or more signatures.
    pub batched: u64,
}

/// The counts so far (see [`CheckCounts`]).
pub fn check_counts() -> CheckCounts {
    CheckCounts {
        single: SINGLE_CHECKS.load(Ordering::Relaxed),
        batched: BATCHED_CHECKS.load(Ordering::Relaxed),
    }
}

/// Why a public key is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyFault {
    /// The bytes are no curve point, or a non-canonical encoding of one.
    NotCanonical,
    /// The point is of small order (the identity, the order-2 point, ...).
    SmallOrder,
    /// The point has a torsion component: it is of mixed order, outside the prime-order
    /// subgroup that every honestly generated key lies in.
    MixedOrder,
}

/// Checks a public key's encoding and point: canonical, not of small order, torsion-free.
pub fn key_fault(key: &[u8; 32]) -> Option<KeyFault> {
    // Only the point's checks: a registration asks for the verdict alone, and building the
    // verification key decompresses the point a second time.
    let compressed = CompressedEdwardsY(*key);
    let Some(point) = compressed.decompress() else {
        return Some(KeyFault::NotCanonical);
    };
    if point.compress() != compressed {
        return Some(KeyFault::NotCanonical);
    }
    if point.is_small_order() {
        return Some(KeyFault::SmallOrder);
    }
    if !point.is_torsion_free() {
        return Some(KeyFault::MixedOrder);
    }
    None
}

fn checked_key(key: &[u8; 32]) -> Result<VerificationKey, KeyFault> {
    if let Some(fault) = key_fault(key) {
        return Err(fault);
    }
    VerificationKey::try_from(VerificationKeyBytes::from(*key)).map_err(|_| KeyFault::NotCanonical)
}

/// The y coordinates (sign bit cleared) of the eight small-order points: 1 (identity), p - 1
/// (order 2), 0 (order 4) and the two of order 8.
fn small_order_ys() -> &'static [[u8; 32]] {
    static YS: OnceLock<Vec<[u8; 32]>> = OnceLock::new();
    YS.get_or_init(|| {
        let mut ys: Vec<[u8; 32]> = Vec::new();
        for p in curve25519_dalek::constants::EIGHT_TORSION {
            let mut y = p.compress().to_bytes();
            if let Some(top) = y.last_mut() {
                *top &= 0x7f;
            }
            if !ys.contains(&y) {
                ys.push(y);
            }
        }
        ys
    })
}

/// Whether a 255-bit little-endian y (sign bit cleared) is below p = 2^255 - 19.
fn y_canonical(y: &[u8; 32]) -> bool {
    // y >= p only when bytes 1..31 are all 0xff, the top byte is 0x7f and byte 0 >= 0xed.
    // An array pattern: irrefutable for 32 bytes, so no fallback can decide the verdict.
    let [first, middle @ .., top] = y;
    !(*top == 0x7f && middle.iter().all(|b| *b == 0xff) && *first >= 0xed)
}

/// The prechecks on `R`, the same for the single and the batched check: a canonical encoding
/// (y below p; x = 0 only with a clear sign bit, which only y = ±1 have) of a point not of
/// small order. That `R` is a curve point at all is checked by the equation.
pub fn r_acceptable(r: &[u8; 32]) -> bool {
    let mut y = *r;
    if let Some(top) = y.last_mut() {
        *top &= 0x7f;
    }
    // INVARIANT (small-order-y): the points with x = 0 (y = 1 and y = p - 1) are of small
    // order, so refusing every small-order y also refuses their non-canonical sign bit.
    y_canonical(&y) && !small_order_ys().contains(&y)
}

/// A cache of checked keys: key bytes to the decompressed key, or `None` for a refused key.
pub struct KeyCache {
    map: RwLock<HashMap<[u8; 32], Option<VerificationKey>>>,
}

impl KeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
        }
    }

    /// The process-wide cache every ledger uses.
    pub fn global() -> &'static KeyCache {
        static CACHE: OnceLock<KeyCache> = OnceLock::new();
        CACHE.get_or_init(KeyCache::new)
    }

    fn get(&self, key: &[u8; 32]) -> Option<VerificationKey> {
        // A poisoned lock only loses the cache, never a verdict: the key is checked afresh.
        if let Ok(map) = self.map.read()
            && let Some(hit) = map.get(key)
        {
            return *hit;
        }
        let checked = checked_key(key).ok();
        if let Ok(mut map) = self.map.write() {
            if map.len() >= KEY_CACHE_ENTRIES_MAX {
                map.clear();
            }
            map.insert(*key, checked);
        }
        checked
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.map.read().map_or(0, |m| m.len())
    }

    /// Whether no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new()
    }
}

/// One signature to check: (public key, message, signature).
pub type Item<'a> = (&'a [u8; 32], &'a [u8], &'a [u8; 64]);

/// Checks signatures, with or without a key cache (the uncached form exists to measure what
/// the cache saves; both give the same verdicts).
#[derive(Clone, Copy)]
pub struct Checker<'c> {
    cache: Option<&'c KeyCache>,
}

impl Checker<'static> {
    /// With the process-wide key cache.
    pub fn cached() -> Self {
        Self {
            cache: Some(KeyCache::global()),
        }
    }
    /// Without a key cache: every check decompresses and checks its key.
    pub fn uncached() -> Self {
        Self { cache: None }
    }
}

impl<'c> Checker<'c> {
    /// With the given key cache.
    pub fn with_cache(cache: &'c KeyCache) -> Self {
        Self { cache: Some(cache) }
    }

    fn key(&self, key: &[u8; 32]) -> Option<VerificationKey> {
        match self.cache {
            Some(c) => c.get(key),
            None => checked_key(key).ok(),
        }
    }

    /// One signature: the prechecks, then ZIP 215's cofactored equation.
    pub fn verify_one(&self, key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
        SINGLE_CHECKS.fetch_add(1, Ordering::Relaxed);
        let (r, _) = split_sig(sig);
        if !r_acceptable(r) {
            return false;
        }
        let Some(vk) = self.key(key) else {
            return false;
        };
        vk.verify(&ed25519_zebra::Signature::from_bytes(sig), msg)
            .is_ok()
    }

    /// Many signatures in batched equations of at most [`BATCH_SIGNATURES_MAX`]: `Ok` when
    /// every one verifies, else `Err` with the index of the first that does not (exactly the
    /// verdict of [`Checker::verify_one`] on each, in order).
    pub fn verify_batch(&self, items: &[Item<'_>]) -> Result<(), usize> {
        let mut offset = 0;
        for part in items.chunks(BATCH_SIGNATURES_MAX) {
            if !self.batch_holds(part) {
                // Redo one by one: the first bad signature is the verdict. A batch that failed
                // while every single check passes cannot happen (the same prechecks and the
                // same equation, cofactored); if it did, the single verdicts stand.
                if let Some(i) = part.iter().position(|(k, m, s)| !self.verify_one(k, m, s)) {
                    return Err(offset + i);
                }
            }
            offset += part.len();
        }
        Ok(())
    }

    /// Whether one batched equation holds for `items` (all prechecks pass and the random
    /// linear combination of the cofactored equations is the identity).
    fn batch_holds(&self, items: &[Item<'_>]) -> bool {
        if let [(k, m, s)] = items {
            return self.verify_one(k, m, s);
        }
        let Some(mut rng) = HashRng::from_os() else {
            return false;
        };
        let mut verifier = batch::Verifier::new();
        for (key, msg, sig) in items {
            let (r, _) = split_sig(sig);
            if !r_acceptable(r) || self.key(key).is_none() {
                return false;
            }
            verifier.queue((
                VerificationKeyBytes::from(**key),
                ed25519_zebra::Signature::from_bytes(sig),
                *msg,
            ));
        }
        // `as u64`: a slice's length never exceeds 64 bits on the targets this builds for.
        BATCHED_CHECKS.fetch_add(items.len() as u64, Ordering::Relaxed);
        verifier.verify(&mut rng).is_ok()
    }
}

fn split_sig(sig: &[u8; 64]) -> (&[u8; 32], &[u8; 32]) {
    let (r, s) = sig.split_at(32);
    // Both halves are 32 bytes by construction; the fallbacks are unreachable.
    const ZERO: [u8; 32] = [0; 32];
    (r.try_into().unwrap_or(&ZERO), s.try_into().unwrap_or(&ZERO))
}

/// One signature with the process-wide key cache (see [`Checker::verify_one`]).
pub fn verify_one(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    Checker::cached().verify_one(key, msg, sig)
}

/// Many signatures, batched, with the process-wide key cache (see [`Checker::verify_batch`]).
pub fn verify_batch(items: &[Item<'_>]) -> Result<(), usize> {
    Checker::cached().verify_batch(items)
}

/// A signed message: what [`events_valid`] checks (an event: its id and its signatures).
pub(crate) trait Signed: Sync {
    /// The message every signature signs.
    fn message(&self) -> &[u8];
    /// How many signatures.
    fn signature_count(&self) -> usize;
    /// Signature `i`: (public key, signature bytes).
    fn signature(&self, i: usize) -> Option<(&[u8; 32], &[u8; 64])>;
}

/// Events checked in one batch at most by a thread of a fan-out (`events_valid`, and the
/// pieces of `store::pipeline`): a batch of 512 signatures costs 1.5 % more per signature than
/// one of 1,024, one of 64 a third more (`verify_batch`, five signing keys as in the synthetic
/// mix), and smaller pieces even the threads out.
pub(crate) const PIECE_EVENTS_MAX: usize = 512;

/// For each event, whether it is signed and every signature on it verifies, checked in
/// batches on all cores (`par`, in pieces of an equal share per core, 64 to
/// [`PIECE_EVENTS_MAX`] events). `false` is also given to the events after the first bad
/// signature of a batch (they were not all checked): callers check `false` events again one by
/// one, in order, which gives the exact error.
pub(crate) fn events_valid<E: Signed>(events: &[&E]) -> Vec<bool> {
    // Events taken at a time, each piece one batch: an equal share per core, but at least 64
    // (below that a thread costs more than it saves) and at most `PIECE_EVENTS_MAX`.
    const PIECE_EVENTS_MIN: usize = 64;
    let piece = events
        .len()
        .div_ceil(crate::par::threads())
        .clamp(PIECE_EVENTS_MIN, PIECE_EVENTS_MAX);
    crate::par::parallel_pieces(events, piece, events_valid_here)
}

/// [`events_valid`] on this thread.
pub(crate) fn events_valid_here<E: Signed>(events: &[&E]) -> Vec<bool> {
    let checker = Checker::cached();
    let mut out = Vec::with_capacity(events.len());
    let mut items: Vec<Item<'_>> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    let mut start = 0;
    while start < events.len() {
        // One batch: whole events, up to the signature limit (at least one event).
        items.clear();
        owner.clear();
        let mut end = start;
        while let Some(e) = events.get(end) {
            if end > start && items.len() + e.signature_count() > BATCH_SIGNATURES_MAX {
                break;
            }
            for (key, sig) in (0..e.signature_count()).filter_map(|i| e.signature(i)) {
                items.push((key, e.message(), sig));
                owner.push(end - start);
            }
            end += 1;
        }
        let good_before = match checker.verify_batch(&items) {
            Ok(()) => end - start,
            Err(i) => owner.get(i).copied().unwrap_or(0),
        };
        for (n, e) in events.iter().enumerate().take(end).skip(start) {
            out.push(n - start < good_before && e.signature_count() > 0);
        }
        start = end;
    }
    out
}

/// The batch's random coefficients: SHA-512 in counter mode over a 32-byte seed from the
/// operating system (one system call per batch, and no panic when the OS has no randomness:
/// the batch is then checked one signature at a time).
struct HashRng {
    seed: [u8; 32],
    counter: u64,
    buf: [u8; 64],
    used: usize,
}

impl HashRng {
    fn from_os() -> Option<Self> {
        let mut seed = [0u8; 32];
        rand_core::OsRng.try_fill_bytes(&mut seed).ok()?;
        Some(Self {
            seed,
            counter: 0,
            buf: [0; 64],
            used: 64,
        })
    }

    fn refill(&mut self) {
        let mut h = Sha512::new();
        h.update(self.seed);
        h.update(self.counter.to_le_bytes());
        self.buf.copy_from_slice(&h.finalize());
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl RngCore for HashRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            if self.used >= self.buf.len() {
                self.refill();
            }
            *b = self.buf.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for HashRng {}

/// Test helpers: signatures no honest signer makes, built from a secret seed.
#[cfg(any(test, feature = "testkit"))]
pub mod forge {
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT as B;
    use curve25519_dalek::edwards::EdwardsPoint;
    use curve25519_dalek::scalar::{Scalar, clamp_integer};
    use sha2::{Digest as _, Sha512};

    fn hash_scalar(parts: &[&[u8]]) -> Scalar {
        let mut h = Sha512::new();
        for p in parts {
            h.update(p);
        }
        Scalar::from_hash(h)
    }

    /// The signature the key of `seed` makes over `msg` with `torsion` added to its `R` (and
    /// `S` computed for that `R`): ZIP 215's cofactored equation holds, RFC 8032's
    /// cofactorless one does not unless `torsion` is the identity. Only the key's holder can
    /// make one.
    pub fn sign_with_torsion(seed: &[u8; 32], msg: &[u8], torsion: EdwardsPoint) -> [u8; 64] {
        let expanded: [u8; 64] = Sha512::digest(seed).into();
        let (lower, prefix) = expanded.split_at(32);
        let mut a_bytes = [0u8; 32];
        a_bytes.copy_from_slice(lower);
        let a = Scalar::from_bytes_mod_order(clamp_integer(a_bytes));
        let public = (a * B).compress();
        let r = hash_scalar(&[prefix, msg]);
        let big_r = (r * B + torsion).compress();
        let k = hash_scalar(&[big_r.as_bytes(), public.as_bytes(), msg]);
        let s = r + k * a;
        let mut out = [0u8; 64];
        let (ro, so) = out.split_at_mut(32);
        ro.copy_from_slice(big_r.as_bytes());
        so.copy_from_slice(s.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::expect_used)]

    use super::*;
    use crate::Signer;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use proptest::prelude::*;

    fn sign(seed: u8, msg: &[u8]) -> ([u8; 32], [u8; 64]) {
        let s = Signer::from_seed([seed; 32]);
        (*s.public_key().as_bytes(), s.sign_bytes(msg))
    }

    #[test]
    fn r_prechecks_are_canonical_and_not_small_order() {
        assert_eq!(small_order_ys().len(), 5);
        for p in EIGHT_TORSION {
            let b = p.compress().to_bytes();
            assert!(!r_acceptable(&b), "{}", hex::encode(b));
            let mut flipped = b;
            flipped[31] ^= 0x80;
            assert!(!r_acceptable(&flipped), "{}", hex::encode(flipped));
        }
        // Against decompress + compress on every y near p and near 0, both signs.
        for low in 0u8..=255 {
            for top in [0x00u8, 0x7f, 0x80, 0xff] {
                for mid in [0x00u8, 0xff] {
                    let mut b = [mid; 32];
                    b[0] = low;
                    b[31] = top;
                    let expected = CompressedEdwardsY(b)
                        .decompress()
                        .map(|p| p.compress().to_bytes() == b && !p.is_small_order());
                    if let Some(expected) = expected {
                        assert_eq!(r_acceptable(&b), expected, "{}", hex::encode(b));
                    }
                }
            }
        }
        let (_, sig) = sign(1, b"m");
        assert!(r_acceptable(sig[..32].try_into().unwrap()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn r_precheck_agrees_with_decompression(b in any::<[u8; 32]>()) {
            if let Some(p) = CompressedEdwardsY(b).decompress() {
                prop_assert_eq!(
                    r_acceptable(&b),
                    p.compress().to_bytes() == b && !p.is_small_order()
                );
            }
        }
    }

    #[test]
    fn key_faults() {
        let (good, _) = sign(3, b"");
        assert_eq!(key_fault(&good), None);
        for p in EIGHT_TORSION {
            assert_eq!(
                key_fault(&p.compress().to_bytes()),
                Some(KeyFault::SmallOrder)
            );
        }
        let good_point = CompressedEdwardsY(good).decompress().unwrap();
        let mixed = (good_point + EIGHT_TORSION[1]).compress().to_bytes();
        assert_eq!(key_fault(&mixed), Some(KeyFault::MixedOrder));
        let mut no_point = [0u8; 32];
        no_point[0] = 2;
        assert_eq!(key_fault(&no_point), Some(KeyFault::NotCanonical));
        // y = 1 + p: the identity, non-canonically.
        let mut identity_plus_p = [0xffu8; 32];
        identity_plus_p[0] = 0xee;
        identity_plus_p[31] = 0x7f;
        assert_eq!(key_fault(&identity_plus_p), Some(KeyFault::NotCanonical));
    }

    /// The one known disagreement with RFC 8032's cofactorless check: an honest key's holder
    /// adds torsion to `R`. custodia accepts (single and batch); `verify_strict` refuses.
    #[test]
    fn torsion_in_r_is_accepted_by_the_cofactored_equation_only() {
        let seed = [7u8; 32];
        let key = *Signer::from_seed(seed).public_key().as_bytes();
        for (i, t) in EIGHT_TORSION.iter().enumerate() {
            let sig = forge::sign_with_torsion(&seed, b"msg", *t);
            assert!(verify_one(&key, b"msg", &sig), "torsion {i}");
            assert!(!verify_one(&key, b"other", &sig), "torsion {i}");
            let (honest_key, honest_sig) = sign(9, b"msg");
            let items: [Item<'_>; 2] = [(&honest_key, b"msg", &honest_sig), (&key, b"msg", &sig)];
            assert_eq!(verify_batch(&items), Ok(()));
            let dalek = ed25519_dalek::VerifyingKey::from_bytes(&key)
                .unwrap()
                .verify_strict(b"msg", &ed25519_dalek::Signature::from_bytes(&sig))
                .is_ok();
            assert_eq!(dalek, i == 0, "torsion {i}");
        }
    }

    #[test]
    fn the_cache_never_changes_a_verdict() {
        let cache = KeyCache::new();
        let cached = Checker::with_cache(&cache);
        let uncached = Checker::uncached();
        let (key, sig) = sign(5, b"x");
        let bad_key = EIGHT_TORSION[3].compress().to_bytes();
        for _ in 0..2 {
            assert!(cached.verify_one(&key, b"x", &sig));
            assert!(uncached.verify_one(&key, b"x", &sig));
            assert!(!cached.verify_one(&bad_key, b"x", &sig));
            assert!(!uncached.verify_one(&bad_key, b"x", &sig));
        }
        assert_eq!(cache.len(), 2);
        // Bounded: filling it past the limit empties and refills it.
        for i in 0..=KEY_CACHE_ENTRIES_MAX {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&(i as u64).to_le_bytes());
            cached.verify_one(&k, b"x", &sig);
        }
        assert!(cache.len() <= KEY_CACHE_ENTRIES_MAX);
        assert!(cached.verify_one(&key, b"x", &sig));
    }

    /// The ways a signature in a property-test batch is spoilt (or, for the last one, made
    /// in a way only ZIP 215 accepts).
    #[derive(Clone, Copy, Debug)]
    enum Spoil {
        FlipBit(usize),
        OtherMessage,
        OtherKey,
        SmallOrderR(usize),
        SPlusL,
        MixedOrderKey,
        TorsionInR(usize),
    }

    fn spoil() -> impl Strategy<Value = Spoil> {
        prop_oneof![
            (0usize..512).prop_map(Spoil::FlipBit),
            Just(Spoil::OtherMessage),
            Just(Spoil::OtherKey),
            (0usize..8).prop_map(Spoil::SmallOrderR),
            Just(Spoil::SPlusL),
            Just(Spoil::MixedOrderKey),
            (1usize..8).prop_map(Spoil::TorsionInR),
        ]
    }

    fn add_l(s: &mut [u8]) {
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (b, l) in s.iter_mut().zip(L) {
            let v = u16::from(*b) + u16::from(l) + carry;
            *b = v as u8;
            carry = v >> 8;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Random batches with 0-3 spoilt signatures at random positions: the batch verdict
        /// is the AND of the single verdicts and names the first bad one.
        #[test]
        fn batch_verdict_is_the_and_of_single_verdicts(
            n in 1usize..80,
            spoilt in proptest::collection::vec((any::<prop::sample::Index>(), spoil()), 0..=3),
            keys in 1u8..5,
        ) {
            let mut owned: Vec<([u8; 32], Vec<u8>, [u8; 64])> = (0..n)
                .map(|i| {
                    let seed = (i as u8) % keys;
                    let msg = format!("event {i}").into_bytes();
                    let (k, s) = sign(seed, &msg);
                    (k, msg, s)
                })
                .collect();
            for (at, how) in &spoilt {
                let i = at.index(n);
                let (k, m, s) = &mut owned[i];
                match how {
                    Spoil::FlipBit(b) => s[b / 8] ^= 1 << (b % 8),
                    Spoil::OtherMessage => m.push(b'!'),
                    Spoil::OtherKey => *k = sign(200, b"").0,
                    Spoil::SmallOrderR(t) => {
                        s[..32].copy_from_slice(&EIGHT_TORSION[*t].compress().to_bytes())
                    }
                    Spoil::SPlusL => add_l(&mut s[32..]),
                    Spoil::MixedOrderKey => {
                        let p = CompressedEdwardsY(*k).decompress().unwrap() + EIGHT_TORSION[1];
                        *k = p.compress().to_bytes();
                    }
                    Spoil::TorsionInR(t) => {
                        let seed = (i as u8) % keys;
                        *s = forge::sign_with_torsion(&[seed; 32], m, EIGHT_TORSION[*t]);
                    }
                }
            }
            let items: Vec<Item<'_>> = owned.iter().map(|(k, m, s)| (k, m.as_slice(), s)).collect();
            let singles: Vec<bool> = items.iter().map(|(k, m, s)| verify_one(k, m, s)).collect();
            let expected = match singles.iter().position(|ok| !ok) {
                Some(i) => Err(i),
                None => Ok(()),
            };
            prop_assert_eq!(verify_batch(&items), expected);
            prop_assert_eq!(Checker::uncached().verify_batch(&items), expected);
        }
    }
}
