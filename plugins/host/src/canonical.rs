//! Canonical JSON text (RFC 8785, JCS) of the documents plugins see: object members sorted by
//! their UTF-16 code units, no insignificant whitespace, JCS string escaping. Integers are
//! written exactly; the ledger and plugin configs keep floats out (configs are refused when
//! they hold one), so ECMAScript float formatting is never needed for hashed data.

use serde_json::Value;

/// Appends the canonical text of `value` to `out`.
pub(crate) fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, v)) in sorted_members(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write(v, out);
            }
            out.push(b'}');
        }
    }
}

/// The canonical text of `value`.
pub(crate) fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

/// Members of `map` in JCS order (UTF-16 code units).
pub(crate) fn sorted_members(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    members
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if u32::from(c) < 0x20 => {
                let b = u32::from(c);
                out.extend_from_slice(b"\\u00");
                for nibble in [b >> 4, b & 0xf] {
                    let digit = HEX.get(nibble as usize).copied().unwrap_or(b'0');
                    out.push(digit);
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// JSON Pointer (RFC 6901) of the first number in `value` that is not an integer.
pub(crate) fn first_non_integer(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &mut String) -> bool {
        match value {
            Value::Number(n) => !(n.is_i64() || n.is_u64()),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(k, v)| {
                let len = path.len();
                path.push('/');
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                let found = walk(v, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then_some(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sorts_members_and_escapes_like_jcs() {
        let v: Value = serde_json::from_str(
            r#"{"b": [1, true, null], "a": "x\"\n\u0001é", "\ufb01": {}, "\ud83d\ude00": 0}"#,
        )
        .unwrap();
        let text = String::from_utf8(to_vec(&v)).unwrap();
        // U+1F600 (surrogates D83D DE00) sorts before U+FB01 in UTF-16 order, though not in
        // code point or UTF-8 order.
        assert_eq!(
            text,
            "{\"a\":\"x\\\"\\n\\u0001é\",\"b\":[1,true,null],\"\u{1F600}\":0,\"\u{FB01}\":{}}"
        );
    }

    #[test]
    fn finds_non_integers() {
        let v: Value = serde_json::from_str(r#"{"a": [1, {"b/c": 2.5}]}"#).unwrap();
        assert_eq!(first_non_integer(&v).as_deref(), Some("/a/1/b~1c"));
        let v: Value = serde_json::from_str(r#"{"a": [1, -2, 18446744073709551615]}"#).unwrap();
        assert_eq!(first_non_integer(&v), None);
    }
}
