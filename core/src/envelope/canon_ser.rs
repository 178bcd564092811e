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
    let mut buf = Buf::new(Vec::new());
    value
        .serialize(Ser {
            buf: &mut buf,
            report: None,
        })
        .map_err(internal)?;
    Ok(buf.out)
}

/// The canonical JSON of `value`, which must serialise as an object (a struct or a map), and
/// its members in the order written: each one's key and where `"key":value` lies in the bytes.
pub(crate) fn object_to_vec<T: Serialize + ?Sized>(value: &T) -> Result<(Vec<u8>, Vec<Member>)> {
    let mut buf = Buf::new(Vec::with_capacity(super::CANONICAL_CAPACITY_BYTES));
    let mut members = Vec::new();
    write_object(value, &mut buf, &mut members)?;
    Ok((buf.out, members))
}

/// `value` written into `buf` as an object, its members reported into `members`.
fn write_object<T: Serialize + ?Sized>(
    value: &T,
    buf: &mut Buf,
    members: &mut Vec<Member>,
) -> Result<()> {
    value
        .serialize(Ser {
            buf: &mut *buf,
            report: Some(&mut *members),
        })
        .map_err(internal)?;
    // A value that is not an object never reaches `Obj::close`, which reports the members: an
    // object with none is `{}`, and anything else is a bug in what is serialised.
    if members.is_empty() && buf.out != b"{}" {
        return Err(internal(SerError("not an object".into())));
    }
    Ok(())
}

/// As [`object_to_vec`], but the fields of `value` (a struct) named in `deferred` are written
/// without their values (`"name":`, the value to be written after it by the caller, from bytes
/// made elsewhere): the top-level members are reported in their final order, so that the
/// caller can put each deferred value after its member. A deferred field that serde skips is
/// not written at all, as without deferring.
pub(crate) fn object_to_vec_deferring<T: Serialize + ?Sized>(
    value: &T,
    deferred: &'static [&'static str],
) -> Result<(Vec<u8>, Vec<Member>)> {
    let mut buf = Buf::new(Vec::new());
    buf.deferred = deferred;
    let mut members = Vec::new();
    write_object(value, &mut buf, &mut members)?;
    Ok((buf.out, members))
}

/// Largest buffer kept by a thread for its next value (see [`with_object`]).
const POOLED_BYTES_MAX: usize = 1 << 16;

thread_local! {
    /// This thread's buffer and members' vector for [`with_object`], kept between calls.
    static POOL: std::cell::Cell<Option<(Buf, Vec<Member>)>> = const { std::cell::Cell::new(None) };
}

/// As [`object_to_vec`], the bytes and members handed to `f` in this thread's buffers instead
/// of new ones (decoding writes every event's content to compare it with the bytes read, and
/// keeps nothing of it but its hash).
pub(crate) fn with_object<T: Serialize + ?Sized, R>(
    value: &T,
    f: impl FnOnce(&[u8], &[Member]) -> R,
) -> Result<R> {
    // An empty pool (this thread's first value, or a thread being torn down): new buffers.
    let (mut buf, mut members) = POOL
        .try_with(std::cell::Cell::take)
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            (
                Buf::new(Vec::with_capacity(super::CANONICAL_CAPACITY_BYTES)),
                Vec::new(),
            )
        });
    buf.out.clear();
    buf.stack.clear();
    members.clear();
    let result = write_object(value, &mut buf, &mut members).map(|()| f(&buf.out, &members));
    if buf.out.capacity().max(buf.scratch.capacity()) <= POOLED_BYTES_MAX {
        // A thread being torn down has no pool left: the buffers are then freed.
        let _ = POOL.try_with(|pool| pool.set(Some((buf, members))));
    }
    result
}

/// Room for the members of the objects open at once: most values never grow it.
const STACK_MEMBERS: usize = 16;

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

/// What one value is written into: its bytes, and the members of the objects being written.
/// One of each for the whole value, however many objects it holds (an allocation per object
/// was a third of the allocations of decoding an event).
struct Buf {
    out: Vec<u8>,
    /// The members of every object open, the innermost's last: each object's are taken off
    /// when it is closed.
    stack: Vec<Member>,
    /// Where the bytes of an object's members are copied while they are put in order.
    scratch: Vec<u8>,
    /// Fields of the outermost struct written without their values
    /// (`object_to_vec_deferring`).
    deferred: &'static [&'static str],
}

impl Buf {
    fn new(out: Vec<u8>) -> Buf {
        Buf {
            out,
            stack: Vec::with_capacity(STACK_MEMBERS),
            scratch: Vec::new(),
            deferred: &[],
        }
    }
}

struct Ser<'a> {
    buf: &'a mut Buf,
    /// Where the members of the object being serialised are reported (`object_to_vec`), or
    /// `None` (every nested value, and `to_vec`).
    report: Option<&'a mut Vec<Member>>,
}

impl Ser<'_> {
    fn number(self, n: Number) -> R {
        canon::number(&n, &mut self.buf.out).map_err(from_crate)
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
        self.buf
            .out
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
        string(v.encode_utf8(&mut [0u8; 4]), &mut self.buf.out)
    }
    fn serialize_str(self, v: &str) -> R {
        string(v, &mut self.buf.out)
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
        self.buf.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> R {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> R {
        string(variant, &mut self.buf.out)
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
        self.buf.out.push(b'{');
        string(variant, &mut self.buf.out)?;
        self.buf.out.push(b':');
        value.serialize(Ser {
            buf: &mut *self.buf,
            report: None,
        })?;
        self.buf.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> std::result::Result<Seq<'a>, SerError> {
        self.buf.out.push(b'[');
        Ok(Seq {
            buf: self.buf,
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
        self.buf.out.push(b'{');
        string(variant, &mut self.buf.out)?;
        self.buf.out.extend_from_slice(b":[");
        Ok(Seq {
            buf: self.buf,
            first: true,
            variant: true,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> std::result::Result<Obj<'a>, SerError> {
        // `len` is not needed: the members go on the buffer's stack.
        let _ = len;
        Ok(Obj::open(self.buf, false, self.report))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> std::result::Result<Obj<'a>, SerError> {
        Ok(Obj::open(self.buf, false, self.report))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Obj<'a>, SerError> {
        self.buf.out.push(b'{');
        string(variant, &mut self.buf.out)?;
        self.buf.out.push(b':');
        Ok(Obj::open(self.buf, true, None))
    }
}

/// An array being written (for a tuple variant, inside its one-member object).
struct Seq<'a> {
    buf: &'a mut Buf,
    first: bool,
    variant: bool,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        if !self.first {
            self.buf.out.push(b',');
        }
        self.first = false;
        value.serialize(Ser {
            buf: &mut *self.buf,
            report: None,
        })
    }
    fn close(self) -> R {
        self.buf.out.push(b']');
        if self.variant {
            self.buf.out.push(b'}');
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
    key: Key,
    /// The key's first eight bytes, big-endian, zeros after a shorter key: keys in this order
    /// are in the order of their bytes (see [`Member::cmp_bytes`]), mostly without reading them.
    prefix: u64,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// A member's key, without an allocation where it can be had: a struct's field names are
/// static, and a map's keys (an event's members: its body is flattened into a map) are read
/// back from the bytes written when they needed no escape.
enum Key {
    Static(&'static str),
    /// The `len` bytes after the member's opening quote, as written.
    Written {
        len: usize,
    },
    /// A key that was escaped when written.
    Owned(String),
}

impl Member {
    /// The member whose key is `key` and which lies at `start..end` of `bytes`.
    fn new(key: Key, start: usize, end: usize, bytes: &[u8]) -> Member {
        let mut member = Member {
            key,
            prefix: 0,
            start,
            end,
        };
        let mut first = [0u8; 8];
        for (to, from) in first.iter_mut().zip(member.key_bytes(bytes)) {
            *to = *from;
        }
        member.prefix = u64::from_be_bytes(first);
        member
    }

    /// The order of the two members' keys by their bytes. Two prefixes that differ differ
    /// first at a byte where the keys differ or where the shorter one has ended (a zero
    /// against any byte, which is also how its bytes order), so they order the keys; equal
    /// prefixes leave it to the bytes.
    fn cmp_bytes(&self, other: &Member, bytes: &[u8]) -> std::cmp::Ordering {
        self.prefix
            .cmp(&other.prefix)
            .then_with(|| self.key_bytes(bytes).cmp(other.key_bytes(bytes)))
    }

    /// The key's text; `bytes` are those the member was written into.
    pub(crate) fn key<'b>(&'b self, bytes: &'b [u8]) -> &'b str {
        match &self.key {
            Key::Static(key) => key,
            Key::Owned(key) => key,
            // Written from a `&str` without escapes, so UTF-8; "" is never taken.
            Key::Written { .. } => std::str::from_utf8(self.key_bytes(bytes)).unwrap_or_default(),
        }
    }

    /// Whether its key is the field name `name` (a field's key is its static name).
    pub(crate) fn is_field(&self, name: &str) -> bool {
        matches!(self.key, Key::Static(key) if key == name)
    }

    /// The key's bytes (UTF-8), as [`Member::key`] without checking them again.
    pub(crate) fn key_bytes<'b>(&'b self, bytes: &'b [u8]) -> &'b [u8] {
        match &self.key {
            Key::Static(key) => key.as_bytes(),
            Key::Owned(key) => key.as_bytes(),
            // INVARIANT (members-in-buffer): `bytes` hold the member, so the key's bytes are
            // there; the empty default is never taken.
            Key::Written { len } => bytes
                .get(self.start + 1..self.start + 1 + len)
                .unwrap_or_default(),
        }
    }
}

// INVARIANT (members-in-buffer): every member's `start..end` lies after `open` in `out`, the
// members in the order written, separated by single commas; a `Key::Written` key is the
// bytes after the member's opening quote.
/// An object being written (for a struct variant, inside its one-member object).
struct Obj<'a> {
    buf: &'a mut Buf,
    /// Where the object's `{` is.
    open: usize,
    /// Where its members start on the buffer's stack.
    base: usize,
    /// The key given by `serialize_key`, and where its member starts, awaiting its value.
    key: Option<(Key, usize)>,
    variant: bool,
    /// Where the members are reported, in their final order, when the object is closed.
    report: Option<&'a mut Vec<Member>>,
}

impl<'a> Obj<'a> {
    fn open(buf: &'a mut Buf, variant: bool, report: Option<&'a mut Vec<Member>>) -> Obj<'a> {
        let open = buf.out.len();
        buf.out.push(b'{');
        let base = buf.stack.len();
        Obj {
            buf,
            open,
            base,
            key: None,
            variant,
            report,
        }
    }

    /// A comma, unless the object has no member yet.
    fn comma(&mut self) {
        if self.buf.stack.len() > self.base {
            self.buf.out.push(b',');
        }
    }

    /// A member whose key is a field's name.
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.comma();
        let start = self.buf.out.len();
        string(key, &mut self.buf.out)?;
        self.buf.out.push(b':');
        // Only the outermost object reports its members (see `object_to_vec_deferring`).
        if self.report.is_some() && self.buf.deferred.contains(&key) {
            let end = self.buf.out.len();
            let member = Member::new(Key::Static(key), start, end, &self.buf.out);
            self.buf.stack.push(member);
            return Ok(());
        }
        self.value(Key::Static(key), start, value)
    }

    /// The value of the member whose `"key":` was written at `start`.
    fn value<T: Serialize + ?Sized>(&mut self, key: Key, start: usize, value: &T) -> R {
        value.serialize(Ser {
            buf: &mut *self.buf,
            report: None,
        })?;
        let end = self.buf.out.len();
        let member = Member::new(key, start, end, &self.buf.out);
        self.buf.stack.push(member);
        Ok(())
    }

    fn close(self) -> R {
        let Buf {
            out,
            stack,
            scratch,
            ..
        } = &mut *self.buf;
        let members = stack
            .get_mut(self.base..)
            .ok_or_else(|| SerError("an object's members outside the stack".into()))?;
        // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their keys. UTF-8 byte
        // order is the same unless a key holds a character from U+E000 up (`canon`).
        let bytes: &[u8] = out;
        let bytewise = !members
            .iter()
            .any(|m| canon::beyond_bmp_order(m.key_bytes(bytes)));
        let in_order = bytewise
            && members.windows(2).all(|w| match w {
                [a, b] => a.cmp_bytes(b, bytes).is_lt(),
                _ => true,
            });
        if !in_order {
            // Most objects out of order are structs (fields in declaration order) with ASCII
            // names: sorted by their bytes, the same order, without decoding UTF-16.
            if bytewise {
                members.sort_by(|a, b| a.cmp_bytes(b, bytes));
            } else {
                members
                    .sort_by(|a, b| a.key(bytes).encode_utf16().cmp(b.key(bytes).encode_utf16()));
            }
            if let Some(w) = members.windows(2).find(|w| match w {
                [a, b] => a.cmp_bytes(b, bytes).is_eq(),
                _ => false,
            }) && let Some(m) = w.first()
            {
                return Err(SerError(format!(
                    "the member `{}` is written twice",
                    m.key(bytes)
                )));
            }
            let base = self.open + 1;
            scratch.clear();
            scratch.extend_from_slice(
                out.get(base..)
                    .ok_or_else(|| SerError("an object outside its buffer".into()))?,
            );
            out.truncate(base);
            for (i, m) in members.iter_mut().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let part = scratch
                    .get(m.start - base..m.end - base)
                    .ok_or_else(|| SerError("a member outside its object".into()))?;
                m.start = out.len();
                out.extend_from_slice(part);
                m.end = out.len();
            }
        }
        out.push(b'}');
        match self.report {
            Some(report) => report.extend(stack.drain(self.base..)),
            None => stack.truncate(self.base),
        }
        if self.variant {
            out.push(b'}');
        }
        Ok(())
    }
}

impl ser::SerializeMap for Obj<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> R {
        self.comma();
        let start = self.buf.out.len();
        let key = key.serialize(KeySer {
            out: &mut self.buf.out,
        })?;
        self.buf.out.push(b':');
        self.key = Some((key, start));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        let (key, start) = self
            .key
            .take()
            .ok_or_else(|| SerError("a map value without its key".into()))?;
        self.value(key, start, value)
    }
    fn end(self) -> R {
        self.close()
    }
}

impl ser::SerializeStruct for Obj<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.field(key, value)
    }
    fn end(self) -> R {
        self.close()
    }
}

impl ser::SerializeStructVariant for Obj<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.field(key, value)
    }
    fn end(self) -> R {
        self.close()
    }
}

/// A map key: a string, or what `serde_json` turns into one (integers, a char, a bool, a unit
/// variant's name); anything else has no JSON key.
struct KeySer<'a> {
    out: &'a mut Vec<u8>,
}

impl KeySer<'_> {
    /// `text` written as a JSON string, and the key it names: found again in the bytes if
    /// written as is (no escape).
    fn text(self, text: &str) -> std::result::Result<Key, SerError> {
        let start = self.out.len();
        string(text, self.out)?;
        // An escape only ever lengthens a string.
        Ok(if self.out.len() - start == text.len() + 2 {
            Key::Written { len: text.len() }
        } else {
            Key::Owned(text.to_owned())
        })
    }
}

fn not_a_key(what: &str) -> SerError {
    SerError(format!("a map key must be a string, not {what}"))
}

impl ser::Serializer for KeySer<'_> {
    type Ok = Key;
    type Error = SerError;
    type SerializeSeq = ser::Impossible<Key, SerError>;
    type SerializeTuple = ser::Impossible<Key, SerError>;
    type SerializeTupleStruct = ser::Impossible<Key, SerError>;
    type SerializeTupleVariant = ser::Impossible<Key, SerError>;
    type SerializeMap = ser::Impossible<Key, SerError>;
    type SerializeStruct = ser::Impossible<Key, SerError>;
    type SerializeStructVariant = ser::Impossible<Key, SerError>;

    fn serialize_bool(self, v: bool) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_i8(self, v: i8) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_i16(self, v: i16) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_i32(self, v: i32) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_i64(self, v: i64) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_i128(self, v: i128) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_u8(self, v: u8) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_u16(self, v: u16) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_u32(self, v: u32) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_u64(self, v: u64) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_u128(self, v: u128) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_f32(self, _v: f32) -> std::result::Result<Key, SerError> {
        Err(not_a_key("a float"))
    }
    fn serialize_f64(self, _v: f64) -> std::result::Result<Key, SerError> {
        Err(not_a_key("a float"))
    }
    fn serialize_char(self, v: char) -> std::result::Result<Key, SerError> {
        self.text(&v.to_string())
    }
    fn serialize_str(self, v: &str) -> std::result::Result<Key, SerError> {
        self.text(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> std::result::Result<Key, SerError> {
        Err(not_a_key("bytes"))
    }
    fn serialize_none(self) -> std::result::Result<Key, SerError> {
        Err(not_a_key("null"))
    }
    fn serialize_some<T: Serialize + ?Sized>(
        self,
        _value: &T,
    ) -> std::result::Result<Key, SerError> {
        Err(not_a_key("an option"))
    }
    fn serialize_unit(self) -> std::result::Result<Key, SerError> {
        Err(not_a_key("null"))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> std::result::Result<Key, SerError> {
        Err(not_a_key("null"))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> std::result::Result<Key, SerError> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> std::result::Result<Key, SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> std::result::Result<Key, SerError> {
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

    /// The state digest, written on two threads (the lots and undo records on the second),
    /// hashes the bytes of the whole state written at once: on an empty state, on the state of
    /// every prefix length of the synthetic mix checked, and with either deferred field empty.
    #[test]
    fn the_digest_on_two_threads_is_the_digest_of_the_whole_state() {
        use sha2::{Digest as _, Sha256};
        let whole = |state: &crate::ledger::State| {
            crate::model::Digest::from_bytes(Sha256::digest(to_vec(state).unwrap()).into())
        };
        let mut state = crate::ledger::State::default();
        assert_eq!(state.digest().unwrap(), whole(&state));
        let events = crate::testkit::events(29, 1200).unwrap();
        for (i, e) in events.iter().enumerate() {
            state
                .apply(e, crate::ledger::SignatureCheck::AlreadyVerified, None)
                .unwrap();
            if i % 97 == 0 || i + 1 == events.len() {
                assert_eq!(
                    state.digest().unwrap(),
                    whole(&state),
                    "after {} events",
                    i + 1
                );
            }
        }
        assert!(!state.lots.is_empty() && !state.undo.is_empty());
        let mut no_lots = state.clone();
        no_lots.lots = Default::default();
        assert_eq!(no_lots.digest().unwrap(), whole(&no_lots));
        let mut no_undo = state.clone();
        no_undo.undo = Default::default();
        assert_eq!(no_undo.digest().unwrap(), whole(&no_undo));
        assert_ne!(no_undo.digest().unwrap(), state.digest().unwrap());
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
