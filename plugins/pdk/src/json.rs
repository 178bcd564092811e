//! A small, strict JSON parser (RFC 8259) for the native test harness. Compiled only off
//! wasm32: a rule module never parses JSON (the host hands it documents through the ABI).
//!
//! Strict where RFC 8259 is: no trailing commas, no comments, no leading zeros, no `+`, no
//! `NaN`/`Infinity`, no unescaped control characters, no lone surrogates, no byte order mark,
//! nothing after the value. Where RFC 8259 leaves a choice this parser refuses: a duplicated
//! member name is an error (the host keeps the last one; a sample with two is a mistake), and
//! nesting deeper than [`DEPTH_MAX`] arrays and objects is an error (as in the host's parser).

use std::fmt;

/// Deepest nesting of arrays and objects accepted (the host's parser, serde_json, stops at
/// 128 as well).
pub const DEPTH_MAX: usize = 128;

/// A JSON value. Object members keep their text order; numbers keep their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written (already checked against the RFC 8259 grammar).
    Number(String),
    /// A string (escapes decoded).
    Str(String),
    /// An array.
    Array(Vec<Json>),
    /// An object: members in text order, names unique.
    Object(Vec<(String, Json)>),
}

/// Why a text is not JSON: the byte offset where parsing stopped and what was wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the text.
    pub offset: usize,
    /// What was expected or found.
    pub reason: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not JSON at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for JsonError {}

impl Json {
    /// The integer this number is, when it is written without fraction or exponent and fits
    /// `i64` (what the host's `kind` calls an integer, code 2).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(text) if !text.contains(['.', 'e', 'E']) => {
                text.parse::<i64>().ok()
            }
            _ => None,
        }
    }

    /// The member `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value a JSON Pointer (RFC 6901) designates: `""` is the whole value, `~1` is `/`,
    /// `~0` is `~`, array indexes are decimal without leading zeros.
    pub fn pointer(&self, pointer: &str) -> Option<&Json> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut current = self;
        for raw in rest.split('/') {
            // `~1` before `~0`, so that `~01` stays `~1` (RFC 6901 §4).
            let token = raw.replace("~1", "/").replace("~0", "~");
            current = match current {
                Json::Object(_) => current.get(&token)?,
                Json::Array(items) => {
                    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
                    if !digits || (token.len() > 1 && token.starts_with('0')) {
                        return None;
                    }
                    items.get(token.parse::<usize>().ok()?)?
                }
                _ => return None,
            };
        }
        Some(current)
    }

    /// The canonical text (RFC 8785, JCS) of the value, as the host's `get_json` gives it:
    /// members sorted by UTF-16 code units, no whitespace, JCS string escapes. Numbers are
    /// written as parsed (the host refuses non-integers in a config, and the ledger's input
    /// documents hold integers only).
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    fn write_canonical(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Number(text) => match self.as_i64() {
                // `-0` and `1E2`-free integers: the host writes the integer's plain decimal.
                Some(n) => out.push_str(&n.to_string()),
                None => out.push_str(text),
            },
            Json::Str(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_canonical(out);
                }
                out.push(']');
            }
            Json::Object(_) => {
                out.push('{');
                for (i, (k, v)) in self.sorted_members().into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write_canonical(out);
                }
                out.push('}');
            }
        }
    }

    /// An object's members in JCS order (by UTF-16 code units); empty for other values.
    pub fn sorted_members(&self) -> Vec<(&String, &Json)> {
        let mut members: Vec<(&String, &Json)> = match self {
            Json::Object(m) => m.iter().map(|(k, v)| (k, v)).collect(),
            _ => Vec::new(),
        };
        members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        members
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let hex = b"0123456789abcdef";
                let n = c as usize;
                out.push_str("\\u00");
                out.push(hex[n >> 4] as char);
                out.push(hex[n & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses one JSON text (RFC 8259).
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        at: 0,
    };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.at != p.bytes.len() {
        return Err(p.fail("text after the value"));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn fail(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.at,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &'static str, value: Json) -> Result<Json, JsonError> {
        let end = self.at + word.len();
        if self.bytes.get(self.at..end) == Some(word.as_bytes()) {
            self.at = end;
            Ok(value)
        } else {
            Err(self.fail("not a JSON value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        match self.peek() {
            None => Err(self.fail("end of text where a value was expected")),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'[') => self.array(depth + 1),
            Some(b'{') => self.object(depth + 1),
            Some(b'-') | Some(b'0'..=b'9') => self.number(),
            Some(_) => Err(self.fail("not a JSON value")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > DEPTH_MAX {
            return Err(self.fail("arrays and objects nested too deep"));
        }
        self.at += 1; // `[`
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.fail("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > DEPTH_MAX {
            return Err(self.fail("arrays and objects nested too deep"));
        }
        self.at += 1; // `{`
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a member name"));
            }
            let name_at = self.at;
            let name = self.string()?;
            if members.iter().any(|(k, _)| *k == name) {
                return Err(JsonError {
                    offset: name_at,
                    reason: "duplicated member name",
                });
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.fail("expected `:`"));
            }
            self.at += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            members.push((name, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.fail("expected `,` or `}`")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.fail("a number has no leading zeros"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.fail("expected a digit after `.`"));
            }
        }
        if let Some(b'e') | Some(b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+') | Some(b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("expected a digit in the exponent"));
            }
        }
        // The bytes are ASCII digits, signs, `.` and `e`: valid UTF-8.
        let text = String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned();
        Ok(Json::Number(text))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n: u32 = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => u32::from(b - b'0'),
                Some(b @ b'a'..=b'f') => u32::from(b - b'a' + 10),
                Some(b @ b'A'..=b'F') => u32::from(b - b'A' + 10),
                _ => return Err(self.fail("expected 4 hex digits after `\\u`")),
            };
            n = n * 16 + d;
            self.at += 1;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1; // `"`
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes up to the next quote, backslash or control byte.
            let start = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // The text came in as `&str` and the run stops only at ASCII bytes: it is UTF-8.
            out.push_str(&String::from_utf8_lossy(&self.bytes[start..self.at]));
            match self.peek() {
                None => return Err(self.fail("unterminated string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.at += 1;
                            let escape_at = self.at;
                            let unit = self.hex4()?;
                            let code = match unit {
                                0xD800..=0xDBFF => {
                                    if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                                        return Err(JsonError {
                                            offset: escape_at,
                                            reason: "lone leading surrogate",
                                        });
                                    }
                                    self.at += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&low) {
                                        return Err(JsonError {
                                            offset: escape_at,
                                            reason: "leading surrogate without a trailing one",
                                        });
                                    }
                                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                                }
                                0xDC00..=0xDFFF => {
                                    return Err(JsonError {
                                        offset: escape_at,
                                        reason: "lone trailing surrogate",
                                    })
                                }
                                other => other,
                            };
                            match char::from_u32(code) {
                                Some(c) => out.push(c),
                                None => return Err(self.fail("not a Unicode scalar value")),
                            }
                            continue;
                        }
                        _ => return Err(self.fail("unknown escape")),
                    };
                    self.at += 1;
                    out.push(c);
                }
                Some(_) => return Err(self.fail("unescaped control character in a string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Json {
        match parse(text) {
            Ok(v) => v,
            Err(e) => panic!("`{}` should parse: {}", text, e),
        }
    }

    fn bad(text: &str) -> JsonError {
        match parse(text) {
            Ok(v) => panic!("`{}` should not parse, got {:?}", text, v),
            Err(e) => e,
        }
    }

    #[test]
    fn scalars_and_whitespace() {
        assert_eq!(ok(" \t\r\n null \n"), Json::Null);
        assert_eq!(ok("true"), Json::Bool(true));
        assert_eq!(ok("false"), Json::Bool(false));
        assert_eq!(ok("\"\""), Json::Str(String::new()));
        for text in ["", " ", "nul", "True", "tru e", "\u{feff}1", "1 2", "{} x", "\u{a0}1"] {
            bad(text);
        }
    }

    #[test]
    fn numbers_follow_the_grammar() {
        for text in [
            "0", "-0", "1", "-1", "10", "0.5", "-0.5", "1e5", "1E5", "1e+5", "1e-5", "1.5e10",
            "9223372036854775807", "-9223372036854775808", "18446744073709551616",
        ] {
            assert_eq!(ok(text), Json::Number(text.to_owned()), "{}", text);
        }
        for text in [
            "01", "-01", "+1", ".5", "1.", "1.e5", "1e", "1e+", "-", "--1", "0x10", "NaN",
            "Infinity", "-Infinity", "1_000",
        ] {
            bad(text);
        }
        assert_eq!(ok("9223372036854775807").as_i64(), Some(i64::MAX));
        assert_eq!(ok("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(ok("9223372036854775808").as_i64(), None);
        assert_eq!(ok("1.0").as_i64(), None);
        assert_eq!(ok("1e2").as_i64(), None);
        assert_eq!(ok("-0").as_i64(), Some(0));
    }

    #[test]
    fn string_escapes_and_surrogate_pairs() {
        assert_eq!(
            ok(r#""a\"b\\c\/d\b\f\n\r\t""#),
            Json::Str("a\"b\\c/d\u{8}\u{c}\n\r\t".to_owned())
        );
        assert_eq!(ok(r#""\u00e9\u00E9é""#), Json::Str("ééé".to_owned()));
        assert_eq!(ok(r#""\u0000""#), Json::Str("\u{0}".to_owned()));
        // U+1F600 as a surrogate pair, and as raw UTF-8.
        assert_eq!(ok(r#""\uD83D\uDE00😀""#), Json::Str("😀😀".to_owned()));
        assert_eq!(ok(r#""\uDBFF\uDFFF""#), Json::Str("\u{10FFFF}".to_owned()));
        for text in [
            r#""\uD83D""#,
            r#""\uD83Dx""#,
            r#""\uD83D\u0041""#,
            r#""\uDE00""#,
            r#""\uD83D\uD83D""#,
            r#""\x""#,
            r#""\u12""#,
            r#""\u12G4""#,
            r#""\'""#,
            "\"abc",
            "\"a\nb\"",
            "\"a\tb\"",
            "\"\u{1f}\"",
            "'single'",
        ] {
            bad(text);
        }
        // Errors say where.
        assert_eq!(bad(r#"["ok", "\uDE00"]"#).offset, 10);
    }

    #[test]
    fn arrays_objects_and_duplicates() {
        let v = ok(r#" { "a" : [1, {"b": null}, []], "c": {} } "#);
        assert_eq!(v.pointer("/a/1/b"), Some(&Json::Null));
        assert_eq!(v.pointer("/a/2"), Some(&Json::Array(Vec::new())));
        assert_eq!(v.pointer("/c"), Some(&Json::Object(Vec::new())));
        for text in [
            "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":}", "{1:1}",
            "[", "{", "]", "}", "[1}", "{\"a\":1]", "{\"a\":1,\"a\":2}", "/* c */ 1", "[1] // c",
        ] {
            bad(text);
        }
    }

    #[test]
    fn nesting_stops_at_the_limit() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        ok(&deep(DEPTH_MAX));
        assert_eq!(
            bad(&deep(DEPTH_MAX + 1)).reason,
            "arrays and objects nested too deep"
        );
        let objects = format!("{}1{}", "{\"a\":".repeat(DEPTH_MAX + 1), "}".repeat(DEPTH_MAX + 1));
        bad(&objects);
        // Far deeper than the limit fails cleanly instead of overflowing the stack.
        bad(&deep(100_000));
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        let doc = ok(r#"{"foo": ["bar", "baz"], "": 0, "a/b": 1, "m~n": 8, "~1": 9, "arr": [[1]]}"#);
        assert_eq!(doc.pointer(""), Some(&doc));
        assert_eq!(doc.pointer("/foo/1"), Some(&Json::Str("baz".into())));
        assert_eq!(doc.pointer("/"), Some(&Json::Number("0".into())));
        assert_eq!(doc.pointer("/a~1b"), Some(&Json::Number("1".into())));
        assert_eq!(doc.pointer("/m~0n"), Some(&Json::Number("8".into())));
        assert_eq!(doc.pointer("/~01"), Some(&Json::Number("9".into())));
        for p in ["/foo/2", "/foo/01", "/foo/-", "/foo/+1", "foo", "/arr/0/0/x", "/nope"] {
            assert_eq!(doc.pointer(p), None, "{}", p);
        }
    }

    #[test]
    fn canonical_text_is_jcs() {
        let v = ok("{\"b\": [1, -0, true], \"a\": \"\\u0001\\n\\\"é\", \"\u{e000}\": 1, \"\u{1f600}\": 2}");
        // UTF-16 order: U+1F600 (D83D ...) sorts before U+E000.
        assert_eq!(
            v.canonical(),
            "{\"a\":\"\\u0001\\n\\\"é\",\"b\":[1,0,true],\"\u{1f600}\":2,\"\u{e000}\":1}"
        );
    }
}
