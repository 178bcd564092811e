//! RFC 8785 canonical JSON of any `Serialize` value, written straight from serde's calls into
//! one buffer, with no `serde_json::Value` tree in between.
//!
//! The bytes are those of `canon::write(&serde_json::to_value(x)?)` (and so of
//! `serde_json_canonicalizer`): every serde call is mapped to the JSON value `serde_json` builds
//! for it (`None` and unit are `null`, a newtype variant is `{"Variant": value}`, map keys must
//! be strings or integers, 128-bit integers must fit 64 bits, non-finite floats are `null`), and
//! scalars are written by `canon`. Objects are written member by member as they come; when
//! their keys did not come in RFC 8785 order (a struct's fields come in declaration order), the
//! members are reordered at the end of the object, one copy per level of nesting.
//!
//! The state digest (`State::digest`) uses it: building the `Value` of a whole state and then
//! sorting it took as long as replaying the events it came from.

use serde::ser::{self, Serialize};
use serde_json::Number;

use crate::envelope::canon;
use crate::error::{Error, ErrorKind, Result};

/// The canonical JSON of `value`.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    value
        .serialize(Ser {
            out: &mut out,
            members: None,
        })
        .map_err(internal)?;
    Ok(out)
}

/// The canonical JSON of `value`, which must serialise as an object (a struct or a map), and
/// its members in the order written: each one's key and where `"key":value` lies in the bytes.
pub(crate) fn object_to_vec<T: Serialize + ?Sized>(value: &T) -> Result<(Vec<u8>, Vec<Member>)> {
    let mut out = Vec::with_capacity(super::CANONICAL_CAPACITY_BYTES);
    let mut members = Vec::new();
    value
        .serialize(Ser {
            out: &mut out,
            members: Some(&mut members),
        })
        .map_err(internal)?;
    // A value that is not an object never reaches `Obj::close`, which reports the members: an
    // object with none is `{}`, and anything else is a bug in what is serialised.
    if members.is_empty() && out != b"{}" {
        return Err(internal(SerError("not an object".into())));
    }
    Ok((out, members))
}

/// Members reserved for a map whose length serde does not tell (see `serialize_map`).
const UNKNOWN_MAP_MEMBERS: usize = 16;

fn internal(e: SerError) -> Error {
    Error::new(ErrorKind::Internal {
        detail: format!("canonicalising JSON: {}", e.0),
    })
}

/// Why a value has no canonical JSON (a bug in what is serialised, reported as such).
#[derive(Debug)]
pub(crate) struct SerError(String);

impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

fn from_crate(e: Error) -> SerError {
    SerError(e.to_string())
}

type R = std::result::Result<(), SerError>;

struct Ser<'a> {
    out: &'a mut Vec<u8>,
    /// Where the members of the object being serialised are reported (`object_to_vec`), or
    /// `None` (every nested value, and `to_vec`).
    members: Option<&'a mut Vec<Member>>,
}

impl Ser<'_> {
    fn number(self, n: Number) -> R {
        canon::number(&n, self.out).map_err(from_crate)
    }
}

fn string(s: &str, out: &mut Vec<u8>) -> R {
    canon::string(s, out).map_err(from_crate)
}

impl<'a> ser::Serializer for Ser<'a> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Obj<'a>;
    type SerializeStruct = Obj<'a>;
    type SerializeStructVariant = Obj<'a>;

    fn serialize_bool(self, v: bool) -> R {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> R {
        self.number(i64::from(v).into())
    }
    fn serialize_i16(self, v: i16) -> R {
        self.number(i64::from(v).into())
    }
    fn serialize_i32(self, v: i32) -> R {
        self.number(i64::from(v).into())
    }
    fn serialize_i64(self, v: i64) -> R {
        self.number(v.into())
    }
    fn serialize_i128(self, v: i128) -> R {
        // As `serde_json::to_value`: a 128-bit integer is a JSON number only if 64 bits hold it.
        if let Ok(u) = u64::try_from(v) {
            self.number(u.into())
        } else if let Ok(i) = i64::try_from(v) {
            self.number(i.into())
        } else {
            Err(SerError(format!("the integer {v} does not fit 64 bits")))
        }
    }
    fn serialize_u8(self, v: u8) -> R {
        self.number(u64::from(v).into())
    }
    fn serialize_u16(self, v: u16) -> R {
        self.number(u64::from(v).into())
    }
    fn serialize_u32(self, v: u32) -> R {
        self.number(u64::from(v).into())
    }
    fn serialize_u64(self, v: u64) -> R {
        self.number(v.into())
    }
    fn serialize_u128(self, v: u128) -> R {
        match u64::try_from(v) {
            Ok(u) => self.number(u.into()),
            Err(_) => Err(SerError(format!("the integer {v} does not fit 64 bits"))),
        }
    }
    fn serialize_f32(self, v: f32) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> R {
        // As `serde_json::to_value`: NaN and the infinities are `null`.
        match Number::from_f64(v) {
            Some(n) => self.number(n),
            None => self.serialize_unit(),
        }
    }
    fn serialize_char(self, v: char) -> R {
        string(v.encode_utf8(&mut [0u8; 4]), self.out)
    }
    fn serialize_str(self, v: &str) -> R {
        string(v, self.out)
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        use ser::SerializeSeq as _;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> R {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_unit(self) -> R {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> R {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> R {
        string(variant, self.out)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> R {
        self.out.push(b'{');
        string(variant, self.out)?;
        self.out.push(b':');
        value.serialize(Ser {
            out: &mut *self.out,
            members: None,
        })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> std::result::Result<Seq<'a>, SerError> {
        self.out.push(b'[');
        Ok(Seq {
            out: self.out,
            first: true,
            variant: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> std::result::Result<Seq<'a>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> std::result::Result<Seq<'a>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Seq<'a>, SerError> {
        self.out.push(b'{');
        string(variant, self.out)?;
        self.out.extend_from_slice(b":[");
        Ok(Seq {
            out: self.out,
            first: true,
            variant: true,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> std::result::Result<Obj<'a>, SerError> {
        // `len` only sizes the members' vector. A map of unknown length is most often an event
        // (its body is flattened into it, which serde writes as such a map): room for the
        // members of most events, so that it seldom grows.
        Ok(Obj::open(
            self.out,
            len.unwrap_or(UNKNOWN_MAP_MEMBERS),
            false,
            self.members,
        ))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> std::result::Result<Obj<'a>, SerError> {
        Ok(Obj::open(self.out, len, false, self.members))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<Obj<'a>, SerError> {
        self.out.push(b'{');
        string(variant, self.out)?;
        self.out.push(b':');
        Ok(Obj::open(self.out, len, true, None))
    }
}

/// An array being written (for a tuple variant, inside its one-member object).
struct Seq<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    variant: bool,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Ser {
            out: &mut *self.out,
            members: None,
        })
    }
    fn close(self) -> R {
        self.out.push(b']');
        if self.variant {
            self.out.push(b'}');
        }
        Ok(())
    }
}

/// The four array-like serde traits, all written by `Seq`.
macro_rules! seq_impl {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Seq<'_> {
            type Ok = ();
            type Error = SerError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
                self.element(value)
            }
            fn end(self) -> R {
                self.close()
            }
        }
    )*};
}

seq_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// One member written: its key, and where `"key":value` lies in the buffer.
pub(crate) struct Member {
    // Borrowed for a struct's fields (their names are static): no allocation per member.
    pub(crate) key: std::borrow::Cow<'static, str>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

// INVARIANT (members-in-buffer): every member's `start..end` lies after `open` in `out`, the
// members in the order written, separated by single commas.
/// An object being written (for a struct variant, inside its one-member object).
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    /// Where the object's `{` is.
    open: usize,
    members: Vec<Member>,
    /// The key given by `serialize_key`, awaiting its value.
    key: Option<String>,
    variant: bool,
    /// Where the members are reported, in their final order, when the object is closed.
    report: Option<&'a mut Vec<Member>>,
}

impl<'a> Obj<'a> {
    fn open(
        out: &'a mut Vec<u8>,
        len: usize,
        variant: bool,
        report: Option<&'a mut Vec<Member>>,
    ) -> Obj<'a> {
        let open = out.len();
        out.push(b'{');
        Obj {
            out,
            open,
            members: Vec::with_capacity(len),
            key: None,
            variant,
            report,
        }
    }

    fn member<T: Serialize + ?Sized>(
        &mut self,
        key: std::borrow::Cow<'static, str>,
        value: &T,
    ) -> R {
        if !self.members.is_empty() {
            self.out.push(b',');
        }
        let start = self.out.len();
        string(&key, self.out)?;
        self.out.push(b':');
        value.serialize(Ser {
            out: &mut *self.out,
            members: None,
        })?;
        self.members.push(Member {
            key,
            start,
            end: self.out.len(),
        });
        Ok(())
    }

    fn close(mut self) -> R {
        // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their keys. UTF-8 byte
        // order is the same unless a key holds a character from U+E000 up (`canon`).
        let bytewise = !self.members.iter().any(|m| canon::beyond_bmp_order(&m.key));
        let in_order = bytewise
            && self.members.windows(2).all(|w| match w {
                [a, b] => a.key.as_bytes() < b.key.as_bytes(),
                _ => true,
            });
        if !in_order {
            // Most objects out of order are structs (fields in declaration order) with ASCII
            // names: sorted by their bytes, the same order, without decoding UTF-16.
            if bytewise {
                self.members
                    .sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
            } else {
                self.members
                    .sort_by(|a, b| a.key.encode_utf16().cmp(b.key.encode_utf16()));
            }
            if let Some(w) = self.members.windows(2).find(|w| match w {
                [a, b] => a.key == b.key,
                _ => false,
            }) && let Some(m) = w.first()
            {
                return Err(SerError(format!("the member `{}` is written twice", m.key)));
            }
            let body = self.out.split_off(self.open + 1);
            let base = self.open + 1;
            for (i, m) in self.members.iter_mut().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                let part = body
                    .get(m.start - base..m.end - base)
                    .ok_or_else(|| SerError("a member outside its object".into()))?;
                m.start = self.out.len();
                self.out.extend_from_slice(part);
                m.end = self.out.len();
            }
        }
        self.out.push(b'}');
        if let Some(report) = self.report {
            *report = self.members;
        }
        if self.variant {
            self.out.push(b'}');
        }
        Ok(())
    }
}

impl ser::SerializeMap for Obj<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> R {
        self.key = Some(key.serialize(KeySer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError("a map value without its key".into()))?;
        self.member(key.into(), value)
    }
    fn end(self) -> R {
        self.close()
    }
}

impl ser::SerializeStruct for Obj<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.member(key.into(), value)
    }
    fn end(self) -> R {
        self.close()
    }
}

impl ser::SerializeStructVariant for Obj<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.member(key.into(), value)
    }
    fn end(self) -> R {
        self.close()
    }
}

/// A map key: a string, or what `serde_json` turns into one (integers, a char, a bool, a unit
/// variant's name); anything else has no JSON key.
struct KeySer;

fn not_a_key(what: &str) -> SerError {
    SerError(format!("a map key must be a string, not {what}"))
}

impl ser::Serializer for KeySer {
    type Ok = String;
    type Error = SerError;
    type SerializeSeq = ser::Impossible<String, SerError>;
    type SerializeTuple = ser::Impossible<String, SerError>;
    type SerializeTupleStruct = ser::Impossible<String, SerError>;
    type SerializeTupleVariant = ser::Impossible<String, SerError>;
    type SerializeMap = ser::Impossible<String, SerError>;
    type SerializeStruct = ser::Impossible<String, SerError>;
    type SerializeStructVariant = ser::Impossible<String, SerError>;

    fn serialize_bool(self, v: bool) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _v: f32) -> std::result::Result<String, SerError> {
        Err(not_a_key("a float"))
    }
    fn serialize_f64(self, _v: f64) -> std::result::Result<String, SerError> {
        Err(not_a_key("a float"))
    }
    fn serialize_char(self, v: char) -> std::result::Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> std::result::Result<String, SerError> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _v: &[u8]) -> std::result::Result<String, SerError> {
        Err(not_a_key("bytes"))
    }
    fn serialize_none(self) -> std::result::Result<String, SerError> {
        Err(not_a_key("null"))
    }
    fn serialize_some<T: Serialize + ?Sized>(
        self,
        _value: &T,
    ) -> std::result::Result<String, SerError> {
        Err(not_a_key("an option"))
    }
    fn serialize_unit(self) -> std::result::Result<String, SerError> {
        Err(not_a_key("null"))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> std::result::Result<String, SerError> {
        Err(not_a_key("null"))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> std::result::Result<String, SerError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> std::result::Result<String, SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> std::result::Result<String, SerError> {
        Err(not_a_key("an enum variant with a value"))
    }
    fn serialize_seq(
        self,
        _len: Option<usize>,
    ) -> std::result::Result<Self::SerializeSeq, SerError> {
        Err(not_a_key("an array"))
    }
    fn serialize_tuple(self, _len: usize) -> std::result::Result<Self::SerializeTuple, SerError> {
        Err(not_a_key("an array"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> std::result::Result<Self::SerializeTupleStruct, SerError> {
        Err(not_a_key("an array"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Self::SerializeTupleVariant, SerError> {
        Err(not_a_key("an enum variant with a value"))
    }
    fn serialize_map(
        self,
        _len: Option<usize>,
    ) -> std::result::Result<Self::SerializeMap, SerError> {
        Err(not_a_key("an object"))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> std::result::Result<Self::SerializeStruct, SerError> {
        Err(not_a_key("an object"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Self::SerializeStructVariant, SerError> {
        Err(not_a_key("an enum variant with a value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::Value;
    use std::collections::BTreeMap;

    /// The reference: the `Value` tree, then the crate the project used before.
    fn reference<T: Serialize>(v: &T) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(&serde_json::to_value(v).unwrap()).unwrap()
    }

    fn agree<T: Serialize>(v: &T) {
        assert_eq!(
            String::from_utf8(to_vec(v).unwrap()).unwrap(),
            String::from_utf8(reference(v)).unwrap()
        );
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Shape {
        Unit,
        Newtype(u32),
        Tuple(i8, String),
        Struct { zeta: bool, alpha: Option<u8> },
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Tagged {
        First { z: u8, a: u8 },
        Second(Inner),
    }

    #[derive(Serialize)]
    struct Inner {
        y: i128,
        b: u128,
    }

    #[derive(Serialize)]
    struct Outer {
        zulu: Vec<Shape>,
        alpha: BTreeMap<String, Tagged>,
        #[serde(flatten)]
        flat: Inner,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        none: Option<u8>,
        unit: (),
        pair: (u64, i64),
        bytes: serde_bytes_like::Bytes,
        floats: [f64; 5],
        ch: char,
        keyed: BTreeMap<u32, bool>,
        variant_keys: BTreeMap<Key, u8>,
    }

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        B,
        A,
    }

    mod serde_bytes_like {
        /// Serialised with `serialize_bytes`.
        pub(super) struct Bytes(pub(super) Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn agrees_with_the_value_tree_on_every_serde_shape() {
        let mut alpha = BTreeMap::new();
        alpha.insert("\u{e000}x".to_owned(), Tagged::First { z: 1, a: 2 });
        alpha.insert(
            "\u{1F600}".to_owned(),
            Tagged::Second(Inner { y: -5, b: 7 }),
        );
        alpha.insert("b".to_owned(), Tagged::First { z: 0, a: 0 });
        let outer = Outer {
            zulu: vec![
                Shape::Unit,
                Shape::Newtype(9),
                Shape::Tuple(-1, "t\u{0}\"\\".into()),
                Shape::Struct {
                    zeta: true,
                    alpha: None,
                },
            ],
            alpha,
            flat: Inner {
                y: i128::from(i64::MIN),
                b: u128::from(u64::MAX),
            },
            skipped: None,
            none: None,
            unit: (),
            pair: (9_007_199_254_740_993, -9_007_199_254_740_993),
            bytes: serde_bytes_like::Bytes(vec![0, 255, 7]),
            floats: [1.5, -0.0, 1e21, f64::NAN, f64::INFINITY],
            ch: 'é',
            keyed: [(10, true), (9, false), (100, true)].into_iter().collect(),
            variant_keys: [(Key::B, 1), (Key::A, 2)].into_iter().collect(),
        };
        agree(&outer);
    }

    #[test]
    fn agrees_on_json_values() {
        for v in crate::envelope::canon::tricky_values() {
            agree(&v);
        }
    }

    #[test]
    fn agrees_on_every_synthetic_event() {
        for e in crate::testkit::events(7, 400).unwrap() {
            let v: Value = serde_json::from_str(e.to_json()).unwrap();
            agree(&v);
            agree(e.event());
        }
    }

    #[test]
    fn agrees_on_a_replayed_state() {
        // The state digest's input: every kind of the synthetic mix leaves something in it.
        let mut state = crate::ledger::State::default();
        for e in crate::testkit::events(23, 1500).unwrap() {
            state
                .apply(&e, crate::ledger::SignatureCheck::AlreadyVerified, None)
                .unwrap();
        }
        agree(&state);
    }

    #[test]
    fn refuses_what_has_no_canonical_json() {
        assert!(to_vec(&i128::MAX).is_err());
        assert!(to_vec(&u128::MAX).is_err());
        let mut floats = BTreeMap::new();
        floats.insert(vec![1u8], 1u8);
        assert!(to_vec(&floats).is_err());
        // The same member twice (a flattened field beside a field of the same name).
        #[derive(Serialize)]
        struct Twice {
            a: u8,
            #[serde(flatten)]
            more: BTreeMap<String, u8>,
        }
        let twice = Twice {
            a: 1,
            more: [("a".to_owned(), 2)].into_iter().collect(),
        };
        assert!(to_vec(&twice).is_err());
    }
}
