//! JSON Pointer (RFC 6901) lookups without allocation on the common path. `serde_json`'s
//! `Value::pointer` copies every reference token to unescape it; plugins look up dozens of
//! pointers per call, and those copies were the largest cost of a rule call.

use serde_json::Value;

/// The value `pointer` designates in `root`, if any.
pub(crate) fn resolve<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let mut current = root;
    for token in pointer.strip_prefix('/')?.split('/') {
        current = if token.contains('~') {
            // `~1` before `~0`, so that `~01` stays `~1` (RFC 6901 §4).
            step(current, &token.replace("~1", "/").replace("~0", "~"))?
        } else {
            step(current, token)?
        };
    }
    Some(current)
}

fn step<'v>(value: &'v Value, token: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => map.get(token),
        Value::Array(items) => items.get(index(token)?),
        _ => None,
    }
}

/// An array index: decimal digits without leading zeros (RFC 6901 §4).
fn index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn agrees_with_serde_json_on_rfc_6901_examples_and_edge_cases() {
        // The document of RFC 6901 §5, plus arrays and odd indexes.
        let doc = json!({"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5,
                         "k\"l": 6, " ": 7, "m~n": 8, "~1": 9, "arr": [[1, 2], {"x": [true]}]});
        let pointers = [
            "",
            "/foo",
            "/foo/0",
            "/foo/1",
            "/foo/2",
            "/",
            "/a~1b",
            "/c%d",
            "/e^f",
            "/g|h",
            "/i\\j",
            "/k\"l",
            "/ ",
            "/m~0n",
            "/~01",
            "/arr/0/1",
            "/arr/1/x/0",
            "/arr/01",
            "/arr/+1",
            "/arr/-",
            "/foo/0/x",
            "foo",
            "/arr/1/x/0/deeper",
            "/arr/18446744073709551616",
        ];
        for p in pointers {
            assert_eq!(resolve(&doc, p), doc.pointer(p), "pointer `{p}`");
        }
        assert_eq!(resolve(&doc, "/~01"), Some(&json!(9)));
    }
}
