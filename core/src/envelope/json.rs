//! JSON text to a value, the first stage of decoding: bounded in size and depth, and I-JSON
//! (RFC 7493) as RFC 8785 requires of its input: an object never holds the same member name
//! twice. A reader that keeps the first of two `quantity` members and one that keeps the last
//! would otherwise see different events under one id and signature.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use crate::envelope::EVENT_BYTES_MAX;
use crate::error::{Error, ErrorKind, Result};

/// The first duplicate member found: the path to its object as pointer tokens, innermost
/// first (each enclosing level adds its token while the error unwinds), and the member name.
/// Paths are built only when a duplicate is found, not for every member of every event.
#[derive(Default)]
struct Found {
    tokens: Vec<String>,
    member: String,
}
type Duplicate = RefCell<Option<Found>>;

struct Strict<'d> {
    duplicate: &'d Duplicate,
}

fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

impl Strict<'_> {
    /// Adds `token` to the path of a duplicate found below this level.
    fn unwinding(&self, token: impl FnOnce() -> String) {
        if let Some(found) = self.duplicate.borrow_mut().as_mut() {
            found.tokens.push(token());
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let next = seq.next_element_seed(Strict {
                duplicate: self.duplicate,
            });
            match next {
                Ok(Some(v)) => out.push(v),
                Ok(None) => break,
                Err(e) => {
                    self.unwinding(|| out.len().to_string());
                    return Err(e);
                }
            }
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = match map.next_value_seed(Strict {
                duplicate: self.duplicate,
            }) {
                Ok(v) => v,
                Err(e) => {
                    self.unwinding(|| escape_token(&key));
                    return Err(e);
                }
            };
            // One search of the map for both the check and the insertion.
            match out.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(taken) => {
                    self.duplicate.replace(Some(Found {
                        tokens: Vec::new(),
                        member: taken.key().clone(),
                    }));
                    return Err(serde::de::Error::custom("duplicate member"));
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parses one event's JSON text: at most [`EVENT_BYTES_MAX`] bytes, nested at most 128 deep
/// (serde_json's limit), no duplicate member names, nothing after the value but whitespace.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value> {
    if bytes.len() > EVENT_BYTES_MAX {
        return Err(ErrorKind::EventTooLarge {
            bytes: bytes.len() as u64,
            max: EVENT_BYTES_MAX as u64,
        }
        .into());
    }
    let duplicate = Duplicate::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict {
        duplicate: &duplicate,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(v) => Ok(v),
        Err(e) => Err(match duplicate.take() {
            Some(Found { tokens, member }) => {
                let object: String = tokens.iter().rev().map(|t| format!("/{t}")).collect();
                Error::new(ErrorKind::DuplicateMember { member }).at_field(object)
            }
            None => Error::new(ErrorKind::JsonMalformed {
                line: e.line() as u64,
                column: e.column() as u64,
                reason: e.to_string(),
            }),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn duplicate_members_are_refused_at_any_depth() {
        let e = parse(br#"{"lot":{"quantity":100,"quantity":200}}"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DuplicateMember);
        assert_eq!(e.field(), Some("/lot"));
        assert_eq!(
            e.values().get("member").and_then(|v| v.as_str()),
            Some("quantity")
        );
        let e = parse(br#"{"a":[{"x~/":1,"x~/":2}]}"#).unwrap_err();
        assert_eq!(e.field(), Some("/a/0"));
        assert!(parse(br#"{"a":{"q":1},"b":{"q":1}}"#).is_ok());
    }

    #[test]
    fn size_depth_and_trailing_garbage() {
        let big = vec![b' '; EVENT_BYTES_MAX + 1];
        assert_eq!(parse(&big).unwrap_err().code(), ErrorCode::EventTooLarge);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            parse(deep.as_bytes()).unwrap_err().code(),
            ErrorCode::JsonMalformed
        );
        assert_eq!(
            parse(b"{} {}").unwrap_err().code(),
            ErrorCode::JsonMalformed
        );
        assert_eq!(parse(b"{\"a\":1}\n").unwrap(), serde_json::json!({"a": 1}));
    }
}
