//! Generators and oracles for the log's formats, shared by the `proofs` fuzz target and
//! `core/tests/proof_oracles.rs`: Merkle inclusion and consistency proofs (a proof generated
//! from a tree must verify, any single mutation of it must not, and any bytes at all given to
//! the verifiers must not panic), and the C2SP parsers (signed notes, checkpoints, verifier
//! keys, tlog-witness `add-checkpoint` requests: what parses re-encodes to exactly the bytes
//! parsed, because parsing is strict; a signed checkpoint opens with its key and, with any one
//! byte changed, does not).
//!
//! Each oracle returns `Err` with a description when it is broken (a bug in custodia); it
//! never panics on its own.

use sha2::{Digest as _, Sha256};

use super::ops::ByteSource;
use crate::merkle::{self, Hash, MemoryTree};
use crate::note::{Checkpoint, KeyName, Note, SignatureType, SignerKey, VerifierKey, Verifiers};
use crate::witness::AddCheckpoint;

/// Leaves of a generated tree at most.
pub const TREE_LEAVES_MAX: u64 = 1500;
/// Hashes of a fuzzed raw proof at most (a valid one has at most 64).
const RAW_PATH_HASHES_MAX: usize = 80;

fn hash(src: &mut ByteSource<'_>) -> Hash {
    let mut h = [0u8; 32];
    for b in &mut h {
        *b = src.byte();
    }
    h
}

fn u64_be(src: &mut ByteSource<'_>) -> u64 {
    let mut v = 0u64;
    for _ in 0..8 {
        v = (v << 8) | u64::from(src.byte());
    }
    v
}

/// A number in `lo..=hi` from two bytes.
fn within(src: &mut ByteSource<'_>, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    lo + u64::from(src.u16()) % (hi - lo + 1)
}

/// The tree of `size` leaves whose leaf `i` is `SHA-256(seed || i)`.
pub fn tree(seed: u8, size: u64) -> (MemoryTree, Vec<Hash>) {
    let mut tree = MemoryTree::new();
    let mut leaves = Vec::new();
    for i in 0..size {
        let mut h = Sha256::new();
        h.update([seed]);
        h.update(i.to_be_bytes());
        let leaf: Hash = h.finalize().into();
        tree.push(leaf);
        leaves.push(leaf);
    }
    (tree, leaves)
}

/// One mutation of a proof (and of what it is checked against).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mutation {
    /// One bit of one path hash flipped.
    PathBit(usize, u8),
    /// One bit of the leaf (inclusion) or the first root (consistency) flipped.
    LeafOrFirstBit(u8),
    /// One bit of the (second) root flipped.
    RootBit(u8),
    /// The last path hash left out.
    Truncated,
    /// A hash appended to the path.
    Extended,
    /// The path in reverse order (a mutation only when it reads differently).
    Reversed,
}

impl Mutation {
    fn decode(src: &mut ByteSource<'_>) -> Mutation {
        match src.byte() % 6 {
            0 => Mutation::PathBit(usize::from(src.byte()), src.byte()),
            1 => Mutation::LeafOrFirstBit(src.byte()),
            2 => Mutation::RootBit(src.byte()),
            3 => Mutation::Truncated,
            4 => Mutation::Extended,
            _ => Mutation::Reversed,
        }
    }

    /// Applies the mutation; `false` when it changes nothing (an empty path, a palindrome).
    fn apply(self, path: &mut Vec<Hash>, leaf: &mut Hash, root: &mut Hash) -> bool {
        let flip = |h: &mut Hash, bit: u8| {
            if let Some(b) = h.get_mut(usize::from(bit / 8) % 32) {
                *b ^= 1 << (bit % 8);
            }
        };
        match self {
            Mutation::PathBit(i, bit) => {
                let n = path.len();
                match path.get_mut(i % n.max(1)) {
                    Some(h) => flip(h, bit),
                    None => return false,
                }
            }
            Mutation::LeafOrFirstBit(bit) => flip(leaf, bit),
            Mutation::RootBit(bit) => flip(root, bit),
            Mutation::Truncated => return path.pop().is_some(),
            Mutation::Extended => path.push(*root),
            Mutation::Reversed => {
                let before = path.clone();
                path.reverse();
                return *path != before;
            }
        }
        true
    }
}

/// Generated proofs: a tree from the bytes, an inclusion proof and a consistency proof in it.
/// Both must verify; after one mutation each, neither may.
pub fn check_generated_proofs(data: &[u8]) -> Result<(), String> {
    let mut src = ByteSource::new(data);
    let seed = src.byte();
    let size = within(&mut src, 1, TREE_LEAVES_MAX);
    let (tree, leaves) = tree(seed, size);
    let full = merkle::root(&tree, size).map_err(|e| e.to_string())?;
    if full != tree.root() {
        return Err(format!("root({size}) differs from the tree's own root"));
    }

    // Inclusion of leaf `index` in the tree of the first `at` leaves.
    let index = within(&mut src, 0, size - 1);
    let at = within(&mut src, index + 1, size);
    let mut path = merkle::inclusion_proof(&tree, index, at).map_err(|e| e.to_string())?;
    let mut root = merkle::root(&tree, at).map_err(|e| e.to_string())?;
    let mut leaf = *leaves
        .get(usize::try_from(index).map_err(|e| e.to_string())?)
        .ok_or("no such leaf")?;
    if !merkle::verify_inclusion(&leaf, index, at, &path, &root) {
        return Err(format!(
            "a generated inclusion proof of leaf {index} in {at} fails"
        ));
    }
    // Another leaf index within the tree, with the same proof: a different position.
    let other = within(&mut src, 0, at - 1);
    if other != index && merkle::verify_inclusion(&leaf, other, at, &path, &root) {
        return Err(format!(
            "the inclusion proof of leaf {index} in {at} also proves index {other}"
        ));
    }
    let mutation = Mutation::decode(&mut src);
    if mutation.apply(&mut path, &mut leaf, &mut root)
        && merkle::verify_inclusion(&leaf, index, at, &path, &root)
    {
        return Err(format!(
            "a mutated inclusion proof of leaf {index} in {at} verifies ({mutation:?})"
        ));
    }

    // Consistency from `first` to `second` leaves.
    let first = within(&mut src, 1, size);
    let second = within(&mut src, first, size);
    let mut path = merkle::consistency_proof(&tree, first, second).map_err(|e| e.to_string())?;
    let mut first_root = merkle::root(&tree, first).map_err(|e| e.to_string())?;
    let mut second_root = merkle::root(&tree, second).map_err(|e| e.to_string())?;
    if !merkle::verify_consistency(first, second, &first_root, &second_root, &path) {
        return Err(format!(
            "a generated consistency proof from {first} to {second} fails"
        ));
    }
    let mutation = Mutation::decode(&mut src);
    if mutation.apply(&mut path, &mut first_root, &mut second_root)
        && merkle::verify_consistency(first, second, &first_root, &second_root, &path)
    {
        return Err(format!(
            "a mutated consistency proof from {first} to {second} verifies ({mutation:?})"
        ));
    }
    Ok(())
}

/// Raw bytes as proofs: any leaf, index, sizes, path and roots. The verifiers never panic, and
/// a path longer than any tree of 64-bit size can need never verifies.
pub fn check_raw_proofs(data: &[u8]) -> Result<(), String> {
    let mut src = ByteSource::new(data);
    let small = src.chance(128);
    let number = |src: &mut ByteSource<'_>| {
        if small {
            u64::from(src.u16())
        } else {
            u64_be(src)
        }
    };
    let index = number(&mut src);
    let size = number(&mut src);
    let second = number(&mut src);
    let leaf = hash(&mut src);
    let root = hash(&mut src);
    let other_root = hash(&mut src);
    let mut path = Vec::new();
    while !src.is_empty() && path.len() < RAW_PATH_HASHES_MAX {
        path.push(hash(&mut src));
    }
    let included = merkle::verify_inclusion(&leaf, index, size, &path, &root);
    let consistent = merkle::verify_consistency(size, second, &root, &other_root, &path);
    if path.len() > 64 && (included || consistent) {
        return Err(format!(
            "a path of {} hashes verified (inclusion {included}, consistency {consistent})",
            path.len()
        ));
    }
    if index >= size && included {
        return Err(format!("leaf {index} verified in a tree of {size}"));
    }
    if (size == 0 || size > second) && consistent {
        return Err(format!("consistency from {size} to {second} verified"));
    }
    Ok(())
}

/// A verifier key `name+hash+key` with its 8 hex digits of key ID in lowercase: the parser
/// accepts either case, as Go's does (`strconv.ParseUint`), and writes lowercase (found by the
/// `proofs` fuzz target, which had asked for the same bytes back).
fn key_id_lowercased(text: &str) -> String {
    match text.split_once('+') {
        Some((name, rest)) if rest.is_char_boundary(8) && rest.len() >= 8 => {
            let (id, tail) = rest.split_at(8);
            format!("{name}+{}{tail}", id.to_ascii_lowercase())
        }
        _ => text.to_owned(),
    }
}

/// Any bytes given to the C2SP parsers: what parses re-encodes to exactly those bytes (but
/// for the case of a verifier key's key ID).
pub fn check_note_parsers(data: &[u8]) -> Result<(), String> {
    if let Ok(note) = Note::parse(data) {
        let again = note.serialize().map_err(|e| e.to_string())?;
        if again.as_bytes() != data {
            return Err(format!("note {data:?} re-encodes as {again:?}"));
        }
        if let Ok(cp) = Checkpoint::parse(note.text())
            && cp.to_text() != note.text()
        {
            return Err(format!(
                "checkpoint {:?} re-encodes differently",
                note.text()
            ));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cp) = Checkpoint::parse(text)
            && cp.to_text() != text
        {
            return Err(format!(
                "checkpoint {text:?} re-encodes as {:?}",
                cp.to_text()
            ));
        }
        if let Ok(key) = VerifierKey::parse(text)
            && key.to_string() != key_id_lowercased(text)
        {
            return Err(format!("verifier key {text:?} re-encodes as {key}"));
        }
        for line in text.lines() {
            if let Ok(key) = VerifierKey::parse(line)
                && key.to_string() != key_id_lowercased(line)
            {
                return Err(format!("verifier key {line:?} re-encodes as {key}"));
            }
        }
    }
    if let Ok(request) = AddCheckpoint::parse(data) {
        let body = request.to_body();
        if body != data {
            return Err(format!(
                "add-checkpoint {:?} re-encodes as {:?}",
                String::from_utf8_lossy(data),
                String::from_utf8_lossy(&body)
            ));
        }
        if AddCheckpoint::parse(&body).as_ref() != Ok(&request) {
            return Err("an add-checkpoint request does not parse back".into());
        }
    }
    Ok(())
}

/// A checkpoint signed by a log key and cosigned by a witness, both from the bytes: it opens
/// with both keys and gives back what was signed; with one byte of the note changed it does not
/// open, or (the byte was in a signature line's key name, which then names no trusted key)
/// opens to the same checkpoint with fewer signers.
pub fn check_signed_checkpoint(data: &[u8]) -> Result<(), String> {
    let mut src = ByteSource::new(data);
    let log_seed = hash(&mut src);
    let witness_seed = hash(&mut src);
    let origin_len = usize::from(src.byte() % 40) + 1;
    let origin: String = (0..origin_len)
        .map(|_| char::from(b'a' + src.byte() % 26))
        .collect();
    let size = u64_be(&mut src);
    let root = hash(&mut src);
    let timestamp = u64_be(&mut src) >> 1;
    let position = usize::from(src.u16());
    let xor = src.byte().max(1);
    let s = |e: crate::note::NoteError| e.to_string();

    let log_name = KeyName::new(origin.clone()).map_err(s)?;
    let log = SignerKey::from_seed(log_name, SignatureType::Ed25519, log_seed);
    let witness_name = KeyName::new(format!("{origin}/witness")).map_err(s)?;
    let witness = SignerKey::from_seed(witness_name, SignatureType::CosignatureV1, witness_seed);
    let checkpoint = Checkpoint::new(origin.clone(), size, root, Vec::new()).map_err(s)?;
    let mut note = checkpoint.sign(&log).map_err(s)?;
    note.add_signature(witness.cosign(&checkpoint, timestamp).map_err(s)?)
        .map_err(s)?;
    let bytes = note.serialize().map_err(s)?.into_bytes();
    let verifiers =
        Verifiers::new([log.verifier().clone(), witness.verifier().clone()]).map_err(s)?;
    let (opened, verification) = Checkpoint::open(&bytes, &verifiers).map_err(s)?;
    if opened != checkpoint || verification.verified().len() != 2 {
        return Err(format!(
            "a signed checkpoint opened as {opened:?} with {} signers",
            verification.verified().len()
        ));
    }
    let cosigned = Note::parse(&bytes).map_err(s)?;
    let by_witness = cosigned
        .signatures()
        .get(1)
        .ok_or("the cosignature is missing")?;
    let when = witness
        .verifier()
        .verify_cosignature(&checkpoint, by_witness)
        .map_err(s)?;
    if when != timestamp {
        return Err(format!("cosigned at {timestamp}, read back {when}"));
    }
    let mut mutated = bytes.clone();
    if let Some(b) = mutated.get_mut(position % bytes.len().max(1)) {
        *b ^= xor;
    }
    if let Ok((cp, v)) = Checkpoint::open(&mutated, &verifiers)
        && (cp != checkpoint || v.verified().len() == 2)
    {
        return Err(format!(
            "a note with byte {} changed opens as {cp:?}",
            position % bytes.len().max(1)
        ));
    }
    Ok(())
}

/// Every oracle of this module on `data`, the first byte choosing which.
pub fn check(data: &[u8]) -> Result<(), String> {
    let Some((&which, rest)) = data.split_first() else {
        return Ok(());
    };
    match which % 4 {
        0 => check_generated_proofs(rest),
        1 => check_raw_proofs(rest),
        2 => check_note_parsers(rest),
        _ => check_signed_checkpoint(rest),
    }
}
