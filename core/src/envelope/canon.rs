//! RFC 8785 canonical JSON of a parsed value, written in one pass into one buffer.
//!
//! The reference for every byte is `serde_json_canonicalizer` (the crate's canonicaliser
//! before this writer, and still the one numbers other than safe integers go through): strings
//! are escaped as `serde_json` escapes them (RFC 8785 §3.2.2.2 is ECMAScript's
//! `JSON.stringify`, the same set: `"`, `\`, the short escapes and `\u00xx` in lowercase for
//! the other control characters), members are sorted by their UTF-16 code units, integers of at
//! most 2^53 in magnitude are written as their digits (what ECMAScript's Number-to-String
//! gives for them) and any other number is handed to the reference. `core/tests/jcs.rs` holds
//! both to the RFC author's vectors, and the tests below hold them to each other.

use serde_json::{Map, Number, Value};

use crate::error::{Error, ErrorKind, Result};

/// Largest integer magnitude written as digits: above it, an IEEE double (what RFC 8785 numbers
/// are) no longer holds every integer, and the reference's rounding applies.
const SAFE_INTEGER_MAX: u64 = 1 << 53;

/// Appends the canonical JSON of `value` to `out`.
pub(crate) fn write(value: &Value, out: &mut Vec<u8>) -> Result<()> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => number(n, out)?,
        Value::String(s) => string(s, out)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => object(map, out)?,
    }
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Internal {
        detail: format!("canonicalising JSON: {e}"),
    })
}

pub(super) fn number(n: &Number, out: &mut Vec<u8>) -> Result<()> {
    if let Some(u) = n.as_u64()
        && u <= SAFE_INTEGER_MAX
    {
        out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
    } else if let Some(i) = n.as_i64()
        && i.unsigned_abs() <= SAFE_INTEGER_MAX
    {
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
    } else {
        let text = serde_json_canonicalizer::to_vec(n).map_err(internal)?;
        out.extend_from_slice(&text);
    }
    Ok(())
}

pub(super) fn string(s: &str, out: &mut Vec<u8>) -> Result<()> {
    // Most strings (ids, names, codes, times) need no escape: they are copied between quotes
    // in one go. `serde_json` escapes exactly `"`, `\` and the control characters below
    // U+0020 (not U+007F, and nothing beyond ASCII), so a string without those is written by
    // it as itself; any other string is written by it.
    if needs_no_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return Ok(());
    }
    serde_json::to_writer(&mut *out, s).map_err(internal)
}

/// Whether no byte is `"`, `\` or below 0x20, eight bytes at a time: a word has a byte below
/// `n` (n ≤ 128) exactly when `(w − n·0x01…01) & !w & 0x80…80` is not zero, and a byte equal to
/// `c` exactly when `w ^ c·0x01…01` has a byte below 1 (the "has less" and "has zero" tests of
/// Bit Twiddling Hacks; exact as yes/no answers, which is all that is asked here).
fn needs_no_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        if below(w, 0x20)
            | below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            != 0
        {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Whether UTF-8 byte order (a `Map`'s order) may differ from UTF-16 code unit order for this
/// key: only characters from U+E000 up (lead bytes 0xEE and above) sort differently.
pub(super) fn beyond_bmp_order(key: &[u8]) -> bool {
    key.iter().any(|&b| b >= 0xEE)
}

fn object(map: &Map<String, Value>, out: &mut Vec<u8>) -> Result<()> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    let in_order = members.windows(2).all(|w| match w {
        [(a, _), (b, _)] => a.as_bytes() < b.as_bytes(),
        _ => true,
    });
    if !in_order || members.iter().any(|(k, _)| beyond_bmp_order(k.as_bytes())) {
        members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    }
    out.push(b'{');
    for (i, (key, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(key, out)?;
        out.push(b':');
        write(value, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// Values whose canonical form is easy to get wrong: member order across the BMP, string
/// escapes, integers around 2^53, other numbers. `canon_ser`'s tests use them too.
#[cfg(test)]
pub(super) fn tricky_values() -> Vec<Value> {
    use serde_json::json;
    vec![
        json!({"b": 1, "a": [true, false, null], "c": {"z": "x", "y": -3}}),
        json!({"\u{e000}": 1, "\u{10000}": 2, "a": 3, "\u{ffff}": 4, "\u{1F600}": 5}),
        json!("quote \" backslash \\ slash / controls \u{0}\u{1f}\u{7f}\n\t\r\u{8}\u{c} é 😀"),
        json!([
            0,
            -0,
            1,
            -1,
            9007199254740992u64,
            9007199254740993u64,
            -9007199254740993i64,
            u64::MAX,
            i64::MIN,
            1.5,
            -1e-7,
            1e21,
            1e20,
            0.1,
            123456789.125
        ]),
        json!({}),
        json!([]),
        json!({"k": {"": [{}]}}),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        write(v, &mut out).unwrap();
        out
    }

    #[test]
    fn agrees_with_the_reference_canonicaliser() {
        let values = tricky_values();
        for v in &values {
            assert_eq!(
                String::from_utf8(ours(v)).unwrap(),
                serde_json_canonicalizer::to_string(v).unwrap(),
                "{v}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn the_escape_scan_agrees_with_the_byte_by_byte_test(
            // Mostly bytes that need no escape, so that most vectors reach their end.
            bytes in proptest::collection::vec(
                proptest::prop_oneof![40 => 0x20u8..=0xFF, 1 => proptest::num::u8::ANY],
                0..64,
            )
        ) {
            let expected = bytes.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\');
            proptest::prop_assert_eq!(needs_no_escape(&bytes), expected);
        }

        #[test]
        fn strings_are_written_as_serde_json_writes_them(
            chars in proptest::collection::vec(proptest::char::any(), 0..40)
        ) {
            // Every character class: controls, quotes, backslashes, U+007F, beyond ASCII.
            let s: String = chars.into_iter().collect();
            let mut ours = Vec::new();
            string(&s, &mut ours).unwrap();
            proptest::prop_assert_eq!(ours, serde_json::to_vec(&s).unwrap());
        }
    }

    /// Every byte that needs an escape is found at every position of words and tails, and
    /// every other byte value passes.
    #[test]
    fn the_escape_scan_finds_every_byte_that_needs_one() {
        for len in 1..=19 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    let expected = b >= 0x20 && b != b'"' && b != b'\\';
                    assert_eq!(
                        needs_no_escape(&bytes),
                        expected,
                        "byte {b:#04x} at {at} of {len}"
                    );
                }
            }
        }
        assert!(needs_no_escape(b""));
    }

    #[test]
    fn agrees_on_every_synthetic_event() {
        for e in crate::testkit::events(42, 600).unwrap() {
            let v: Value = serde_json::from_str(e.to_json()).unwrap();
            assert_eq!(ours(&v), serde_json_canonicalizer::to_vec(&v).unwrap());
        }
    }
}
