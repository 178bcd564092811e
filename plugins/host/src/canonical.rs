//! Canonical JSON text (RFC 8785, JCS) of the documents plugins see and of the configuration
//! hashed into a plugin's identity. The ledger and plugin configs keep floats out (configs are
//! refused when they hold one).

use serde_json::Value;

/// The canonical text of `value`, by the same RFC 8785 implementation the ledger uses for
/// event ids (`serde_json_canonicalizer`), so that a plugin sees exactly the bytes that were hashed.
pub(crate) fn to_vec(value: &Value) -> Vec<u8> {
    // A `serde_json::Value` holds no non-finite number, so canonicalisation cannot fail; were it
    // to, the empty output would change the plugin's identity hash and be caught on load.
    serde_json_canonicalizer::to_vec(value).unwrap_or_default()
}

/// Members of `map` in JCS order (UTF-16 code units).
pub(crate) fn sorted_members(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    members
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
