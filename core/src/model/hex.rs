//! Lowercase hex, the only form ids, keys and signatures take on the wire: written from a
//! table and read in one pass (the `hex` crate's encoder goes through an iterator of `char`s,
//! and reading with it took a check of the case first and then a second pass).

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The two lowercase hex digits of every byte value, so that a byte is written with one
/// look-up and one two-byte copy (ids, keys and signatures are written on every event line).
// Evaluated when compiled: an index out of bounds would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
const PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [DIGITS[i >> 4], DIGITS[i & 0x0f]];
        i += 1;
    }
    table
};

/// The digits of `byte`.
#[allow(clippy::indexing_slicing)] // A byte (below 256) always indexes a table of 256.
fn pair(byte: u8) -> [u8; 2] {
    PAIRS[usize::from(byte)]
}

/// Lowercase hex of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.extend_from_slice(&pair(b));
    }
    // INVARIANT (hex-ascii): only digits of `DIGITS`, all ASCII, are written, so the bytes are
    // UTF-8 and the fallback is never taken.
    String::from_utf8(out).unwrap_or_default()
}

/// Lowercase hex of `bytes` written into the first `2 * bytes.len()` bytes of `out` (as many
/// pairs as fit).
pub(crate) fn encode_to(bytes: &[u8], out: &mut [u8]) {
    for (digits, &b) in out.chunks_exact_mut(2).zip(bytes) {
        digits.copy_from_slice(&pair(b));
    }
}

/// Lowercase hex of `bytes` written into `out` (without allocating), as text: `out` holds
/// exactly `2 * N` bytes (`M`, checked when compiled).
pub(crate) fn encode_into<'a, const N: usize, const M: usize>(
    bytes: &[u8; N],
    out: &'a mut [u8; M],
) -> &'a str {
    const { assert!(M == 2 * N, "the output holds two digits per byte") };
    encode_to(bytes, out);
    // INVARIANT (hex-ascii), as in `encode`.
    std::str::from_utf8(out).unwrap_or_default()
}

/// The value of every byte as a lowercase hex digit, or [`NOT_A_DIGIT`]: one look-up per digit,
/// and one check per string instead of one branch per digit (every id, key and signature of
/// every event is read).
// Evaluated when compiled: an index out of bounds would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
const NIBBLES: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut i = 0;
    while i < 16 {
        table[DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Any byte that is not a lowercase hex digit, in [`NIBBLES`]: its high bits are set, which a
/// digit's value (below 16) never has.
const NOT_A_DIGIT: u8 = 0xf0;

#[allow(clippy::indexing_slicing)] // A byte (below 256) always indexes a table of 256.
fn nibble(digit: u8) -> u8 {
    NIBBLES[usize::from(digit)]
}

/// The `N` bytes written as exactly `2 * N` lowercase hex digits, or `None` (a wrong length,
/// an uppercase digit or any other character).
pub(crate) fn decode_lower<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    // The high bits of every digit's value, or-ed: zero if and only if every byte is a digit.
    let mut high = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        let (hi, lo) = (nibble(*hi), nibble(*lo));
        high |= hi | lo;
        // A non-digit's high bits shift out or spill into `lo`'s: the result is refused below.
        *byte = (hi << 4) | lo;
    }
    (high & NOT_A_DIGIT == 0).then_some(out)
}

/// A serde visitor of a string, borrowed when the input allows it (no copy of the digits).
pub(crate) struct StrVisitor<F>(pub(crate) F, pub(crate) &'static str);

impl<'de, T, F> serde::de::Visitor<'de> for StrVisitor<F>
where
    F: FnOnce(&str) -> Result<T, String>,
{
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.1)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn agrees_with_the_hex_crate_and_refuses_what_it_should() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        assert_eq!(encode(&bytes), ::hex::encode(&bytes));
        let mut out = [0u8; 64];
        let first: [u8; 32] = bytes[224..].try_into().unwrap();
        assert_eq!(encode_into(&first, &mut out), ::hex::encode(first));
        let text = ::hex::encode(&bytes[..32]);
        assert_eq!(decode_lower::<32>(&text).unwrap()[..], bytes[..32]);
        assert_eq!(decode_lower::<32>(&text[..62]), None);
        assert_eq!(decode_lower::<31>(&text), None);
        assert_eq!(decode_lower::<32>(&text.to_uppercase()), None);
        for bad in ['g', 'G', ' ', '/', ':', '`', 'é'] {
            let mut t = text.clone();
            t.replace_range(0..bad.len_utf8(), &bad.to_string());
            assert_eq!(decode_lower::<32>(&t), None, "{t}");
        }
        assert_eq!(decode_lower::<0>(""), Some([]));
    }

    /// Every ASCII character in either digit of a byte: a digit's value exactly where it is a
    /// lowercase hex digit, and a refusal anywhere else.
    #[test]
    fn every_ascii_character_is_read_or_refused_in_either_place() {
        for c in 0u8..128 {
            let expected = match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            let hi = String::from_utf8(vec![c, b'7']).unwrap();
            let lo = String::from_utf8(vec![b'7', c]).unwrap();
            assert_eq!(
                decode_lower::<1>(&hi),
                expected.map(|v| [v << 4 | 7]),
                "{c}"
            );
            assert_eq!(decode_lower::<1>(&lo), expected.map(|v| [0x70 | v]), "{c}");
        }
    }
}
