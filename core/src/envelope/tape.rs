//! The fast path of decoding: an event's bytes parsed once into a flat list of entries that
//! borrow their strings from the bytes (a "tape"), read by the schema validator and by the
//! typed decoder without building a `serde_json::Value` tree.
//!
//! Only canonical bytes can pass this way (`SignedEvent::decode` accepts the tape's event only
//! if the line written from it is the bytes read), so the parser refuses, rather than reads,
//! whatever a canonical line never holds: whitespace, a fraction or an exponent, `-0`, an
//! integer beyond 64 bits, an escape in a member name. What it reads but a canonical line
//! never holds (a raw control character in a string, an escape where none is needed, members
//! out of order or twice) cannot pass either: the line written back differs from the bytes. A refusal here is never an error: the
//! bytes are then decoded by the full path, which names the fault or accepts them. The tape
//! only ever answers "here is the same event the full path would give" or "ask the full
//! path" (debug builds decode every event both ways and compare).

use serde::de::{self, DeserializeSeed, IntoDeserializer as _, MapAccess, SeqAccess, Visitor};
#[cfg(test)]
use serde_json::Value;

use crate::envelope::{EVENT_BYTES_MAX, content_de};

// Tape indices and lengths are `u32` (half the size of `usize` entries) and are widened to
// `usize` with `as` wherever they are used: lossless on every target this builds for.
const _: () = assert!(usize::BITS >= u32::BITS);

/// Deepest nesting read (serde_json's limit, which the full path applies).
const DEPTH_MAX: usize = 128;

/// One entry of a tape. A container is followed by its contents (for an object, each member's
/// name and then its value), and knows where its contents end.
#[derive(Clone, Copy, Debug)]
enum Entry {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    /// A string without escapes: its contents (between the quotes), by place in the text
    /// (no lifetime, so that a thread's tapes reuse one vector of entries: see [`POOL`]).
    Str {
        at: u32,
        len: u32,
    },
    /// A string with escapes: its unescaped text, by index into [`Tape::owned`].
    Owned(u32),
    /// An array of `len` elements; its contents end before entry `next`.
    Arr {
        len: u32,
        next: u32,
    },
    /// An object of `len` members; its contents end before entry `next`.
    Obj {
        len: u32,
        next: u32,
    },
}

const _: () = assert!(std::mem::size_of::<Entry>() == 16);

/// One JSON text, parsed.
pub struct Tape<'a> {
    text: &'a str,
    entries: Vec<Entry>,
    owned: Vec<String>,
}

/// Most entries a vector kept for reuse holds (16 bytes each): a tape of a larger event (up to
/// one per byte of 1 MiB) frees its own.
const POOLED_ENTRIES_MAX: usize = 1 << 16;

thread_local! {
    /// The entries of this thread's last tape, cleared, for its next: one allocation per
    /// thread instead of one per event (a few KiB, past the allocator's per-thread cache, and
    /// about a tenth of decoding's time when allocated each time).
    static POOL: std::cell::Cell<Vec<Entry>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Drop for Tape<'_> {
    fn drop(&mut self) {
        let mut entries = std::mem::take(&mut self.entries);
        if entries.capacity() <= POOLED_ENTRIES_MAX {
            entries.clear();
            // A thread being torn down has no pool left: the vector is then freed.
            let _ = POOL.try_with(|pool| pool.set(entries));
        }
    }
}

/// Where the parser stopped: the bytes are not for this path (see the module's doc).
struct NotHere;

type Parsed<T> = std::result::Result<T, NotHere>;

fn index(n: usize) -> Parsed<u32> {
    u32::try_from(n).map_err(|_| NotHere)
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    entries: Vec<Entry>,
    owned: Vec<String>,
}

impl<'a> Tape<'a> {
    /// The tape of `bytes`, or `None` if they are not for this path.
    pub(crate) fn parse(bytes: &'a [u8]) -> Option<Tape<'a>> {
        if bytes.len() > EVENT_BYTES_MAX {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        // An empty pool (this thread's first tape, or a thread being torn down): a new vector.
        let mut entries = POOL.try_with(std::cell::Cell::take).unwrap_or_default();
        // About one entry per 12 bytes of an event.
        entries.reserve(bytes.len() / 8);
        let mut p = Parser {
            bytes,
            text,
            pos: 0,
            entries,
            owned: Vec::new(),
        };
        let parsed = p.value(0).is_ok() && p.pos == bytes.len();
        // Made whatever the verdict, so that its entries go back to the pool when dropped.
        let tape = Tape {
            text,
            entries: p.entries,
            owned: p.owned,
        };
        parsed.then_some(tape)
    }

    /// The text read.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The whole text's value.
    pub(crate) fn root(&self) -> Node<'_> {
        Node { tape: self, at: 0 }
    }

    fn entry(&self, at: usize) -> Entry {
        // Every index handed out points at an entry (the parser wrote them); `Null` is never
        // read for a missing one.
        self.entries.get(at).copied().unwrap_or(Entry::Null)
    }

    /// The index of the entry after the value at `at` (its contents included).
    fn after(&self, at: usize) -> usize {
        match self.entry(at) {
            // Widening (see the assertion at the top).
            Entry::Arr { next, .. } | Entry::Obj { next, .. } => next as usize,
            _ => at + 1,
        }
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Parsed<u8> {
        self.bytes.get(self.pos).copied().ok_or(NotHere)
    }

    fn value(&mut self, depth: usize) -> Parsed<()> {
        match self.peek()? {
            b'{' => self.container(depth + 1, b'}', true),
            b'[' => self.container(depth + 1, b']', false),
            b'"' => {
                let entry = self.string()?;
                self.entries.push(entry);
                Ok(())
            }
            b't' => self.literal(b"true", Entry::Bool(true)),
            b'f' => self.literal(b"false", Entry::Bool(false)),
            b'n' => self.literal(b"null", Entry::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(NotHere),
        }
    }

    fn literal(&mut self, word: &[u8], entry: Entry) -> Parsed<()> {
        if !self
            .bytes
            .get(self.pos..)
            .is_some_and(|b| b.starts_with(word))
        {
            return Err(NotHere);
        }
        self.pos += word.len();
        self.entries.push(entry);
        Ok(())
    }

    /// An object (members) or an array, without whitespace.
    fn container(&mut self, depth: usize, close: u8, members: bool) -> Parsed<()> {
        if depth > DEPTH_MAX {
            return Err(NotHere);
        }
        let at = self.entries.len();
        self.entries.push(Entry::Null);
        self.pos += 1;
        let mut len: u32 = 0;
        if self.peek()? == close {
            self.pos += 1;
        } else {
            loop {
                if members {
                    if self.peek()? != b'"' {
                        return Err(NotHere);
                    }
                    match self.string()? {
                        name @ Entry::Str { .. } => self.entries.push(name),
                        _ => return Err(NotHere),
                    }
                    if self.peek()? != b':' {
                        return Err(NotHere);
                    }
                    self.pos += 1;
                }
                self.value(depth)?;
                len = len.checked_add(1).ok_or(NotHere)?;
                let next = self.peek()?;
                self.pos += 1;
                if next == close {
                    break;
                }
                if next != b',' {
                    return Err(NotHere);
                }
            }
        }
        let next = index(self.entries.len())?;
        let entry = if members {
            Entry::Obj { len, next }
        } else {
            Entry::Arr { len, next }
        };
        let slot = self.entries.get_mut(at).ok_or(NotHere)?;
        *slot = entry;
        Ok(())
    }

    /// A string at `pos` (its opening quote).
    fn string(&mut self) -> Parsed<Entry> {
        let open = self.pos;
        let start = open + 1;
        let mut at = start;
        let mut escaped = false;
        // Control characters are not looked for: a canonical line escapes them, so a string
        // holding one is not written back as read, and the bytes go to the full path.
        loop {
            let rest = self.bytes.get(at..).ok_or(NotHere)?;
            at += memchr::memchr2(b'"', b'\\', rest).ok_or(NotHere)?;
            if self.bytes.get(at) == Some(&b'"') {
                break;
            }
            escaped = true;
            // The escaped byte cannot end the string (`\"`); the escape itself is checked
            // when the string is read below.
            at += 2;
        }
        self.pos = at + 1;
        if escaped {
            let quoted = self.text.get(open..=at).ok_or(NotHere)?;
            let text: String = serde_json::from_str(quoted).map_err(|_| NotHere)?;
            let i = index(self.owned.len())?;
            self.owned.push(text);
            return Ok(Entry::Owned(i));
        }
        Ok(Entry::Str {
            at: index(start)?,
            len: index(at - start)?,
        })
    }

    /// An integer as serde_json reads one (a `u64`, or an `i64` if negative); anything else
    /// is not for this path.
    fn number(&mut self) -> Parsed<()> {
        let negative = self.peek()? == b'-';
        if negative {
            self.pos += 1;
        }
        let first = self.pos;
        let mut magnitude: u64 = 0;
        while let Some(d) = self.bytes.get(self.pos).filter(|b| b.is_ascii_digit()) {
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(d - b'0')))
                .ok_or(NotHere)?;
            self.pos += 1;
        }
        let digits = self.pos - first;
        // No digits, a leading zero, or a fraction or exponent after them.
        let leading_zero = digits > 1 && self.bytes.get(first) == Some(&b'0');
        if digits == 0 || leading_zero || matches!(self.peek(), Ok(b'.' | b'e' | b'E')) {
            return Err(NotHere);
        }
        let entry = if negative {
            // serde_json reads `-0` as a float, and so do canonical lines never hold it.
            let value = i64::try_from(magnitude).map_err(|_| NotHere)?;
            if value == 0 {
                return Err(NotHere);
            }
            Entry::I64(-value)
        } else {
            Entry::U64(magnitude)
        };
        self.entries.push(entry);
        Ok(())
    }
}

/// One value of a tape.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    tape: &'a Tape<'a>,
    at: usize,
}

impl<'a> Node<'a> {
    fn entry(&self) -> Entry {
        self.tape.entry(self.at)
    }

    /// The text of a string.
    pub(crate) fn str(&self) -> Option<&'a str> {
        match self.entry() {
            // Widening (see the assertion at the top).
            Entry::Str { at, len } => self.tape.text.get(at as usize..at as usize + len as usize),
            Entry::Owned(i) => self.tape.owned.get(i as usize).map(String::as_str),
            _ => None,
        }
    }

    /// The value, by its type.
    pub(crate) fn view(&self) -> View<'a> {
        match self.entry() {
            Entry::Null => View::Null,
            Entry::Bool(b) => View::Bool(b),
            Entry::U64(n) => View::Int(i128::from(n)),
            Entry::I64(n) => View::Int(i128::from(n)),
            // `str` answers for exactly these two entries; the default is never taken.
            Entry::Str { .. } | Entry::Owned(_) => View::Str(self.str().unwrap_or_default()),
            Entry::Arr { .. } => View::Arr(Elements::of(*self)),
            Entry::Obj { len, .. } => View::Obj(Object {
                tape: self.tape,
                at: self.at,
                len: len as usize,
            }),
        }
    }

    /// The members of an object.
    pub(crate) fn object(&self) -> Option<Object<'a>> {
        match self.entry() {
            Entry::Obj { len, .. } => Some(Object {
                tape: self.tape,
                at: self.at,
                len: len as usize,
            }),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`.
    #[cfg(test)]
    fn to_value(self) -> Value {
        match self.entry() {
            Entry::Null => Value::Null,
            Entry::Bool(b) => Value::Bool(b),
            Entry::U64(n) => Value::from(n),
            Entry::I64(n) => Value::from(n),
            // `str` answers for exactly these two entries; the default is never taken.
            Entry::Str { .. } | Entry::Owned(_) => {
                Value::String(self.str().unwrap_or_default().to_owned())
            }
            Entry::Arr { .. } => Value::Array(Elements::of(self).map(Node::to_value).collect()),
            Entry::Obj { len, .. } => Value::Object(
                Members::of(self.tape, self.at, len as usize)
                    .map(|(k, v)| (k.to_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// One value of a tape, by its type.
pub(crate) enum View<'a> {
    Null,
    Bool(bool),
    /// A number: an integer (a tape holds no other).
    Int(i128),
    Str(&'a str),
    Arr(Elements<'a>),
    Obj(Object<'a>),
}

/// An object's members.
#[derive(Clone, Copy)]
pub struct Object<'a> {
    tape: &'a Tape<'a>,
    at: usize,
    len: usize,
}

impl<'a> Object<'a> {
    /// The value of member `name`.
    pub(crate) fn get(&self, name: &str) -> Option<Node<'a>> {
        self.members().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// How many members it has (a name written twice counts twice).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Its members in the order written.
    pub(crate) fn members(&self) -> Members<'a> {
        Members::of(self.tape, self.at, self.len)
    }
}

/// An object's members in the order written: name, value.
pub struct Members<'a> {
    tape: &'a Tape<'a>,
    next: usize,
    left: usize,
}

impl<'a> Members<'a> {
    fn of(tape: &'a Tape<'a>, at: usize, len: usize) -> Self {
        Self {
            tape,
            next: at + 1,
            left: len,
        }
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, Node<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let name = Node {
            tape: self.tape,
            at: self.next,
        };
        let value = Node {
            tape: self.tape,
            at: self.next + 1,
        };
        self.next = self.tape.after(self.next + 1);
        Some((name.str()?, value))
    }
}

/// An array's elements.
#[derive(Clone)]
pub struct Elements<'a> {
    tape: &'a Tape<'a>,
    next: usize,
    left: usize,
}

impl<'a> Elements<'a> {
    fn of(node: Node<'a>) -> Self {
        let left = match node.entry() {
            Entry::Arr { len, .. } => len as usize,
            _ => 0,
        };
        Self {
            tape: node.tape,
            next: node.at + 1,
            left,
        }
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let node = Node {
            tape: self.tape,
            at: self.next,
        };
        self.next = self.tape.after(self.next);
        Some(node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Elements<'_> {}

// ---- The typed decoder's view (`serde`) ----

/// The error of the typed decoder's view: serde_json's, as the full path's.
type DeError = serde_json::Error;

impl<'de> de::Deserializer<'de> for Node<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // As serde_json's `&Value` hands each kind of value to a visitor.
        match self.entry() {
            Entry::Null => visitor.visit_unit(),
            Entry::Bool(b) => visitor.visit_bool(b),
            Entry::U64(n) => visitor.visit_u64(n),
            Entry::I64(n) => visitor.visit_i64(n),
            Entry::Str { .. } | Entry::Owned(_) => match self.str() {
                Some(s) => visitor.visit_borrowed_str(s),
                None => Err(de::Error::custom("a string outside its text")),
            },
            Entry::Arr { len, .. } => {
                let mut seq = Elements::of(self);
                let value = visitor.visit_seq(&mut seq)?;
                if seq.left == 0 {
                    Ok(value)
                } else {
                    Err(de::Error::invalid_length(
                        len as usize,
                        &"fewer elements in array",
                    ))
                }
            }
            Entry::Obj { len, .. } => {
                let mut map = MembersAccess {
                    members: Members::of(self.tape, self.at, len as usize),
                    body_only: false,
                    value: None,
                };
                let value = visitor.visit_map(&mut map)?;
                if map.members.left == 0 {
                    Ok(value)
                } else {
                    Err(de::Error::invalid_length(
                        len as usize,
                        &"fewer elements in map",
                    ))
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.entry() {
            Entry::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Unit variants only (the only enums the event types hold outside `Body`); anything
        // else goes to the full path.
        match self.str() {
            Some(s) => visitor.visit_enum(s.into_deserializer()),
            None => Err(de::Error::custom("an enum that is not a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

impl<'de> SeqAccess<'de> for Elements<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match Iterator::next(self) {
            Some(node) => seed.deserialize(node).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// An object's members as a serde map; only the body's if `body_only` (see [`BodyMembers`]).
struct MembersAccess<'de> {
    members: Members<'de>,
    body_only: bool,
    value: Option<Node<'de>>,
}

impl<'de> MapAccess<'de> for MembersAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for (name, value) in self.members.by_ref() {
            if self.body_only && !is_body_member(name) {
                continue;
            }
            self.value = Some(value);
            return seed
                .deserialize(de::value::BorrowedStrDeserializer::new(name))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("a value asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        // Not exact once members are skipped: no hint, as serde_json gives none for a view.
        (!self.body_only).then_some(self.members.left)
    }
}

/// The members of a signed event's object that belong to its body, as a serde map: all but
/// the envelope's, `kind`, `id` and `signatures` (what the full path's body decoder sees, once
/// `id` and `signatures` are removed from the content).
pub struct BodyMembers<'de>(pub(crate) Object<'de>);

/// Whether a member of a signed event's object is its body's: not the envelope's or `kind`
/// (the list the full path's body decoder skips), and not one of the two members signing adds.
fn is_body_member(name: &str) -> bool {
    !(content_de::NOT_BODY.contains(&name) || name == "id" || name == "signatures")
}

impl<'de> de::Deserializer<'de> for BodyMembers<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(MembersAccess {
            members: self.0.members(),
            body_only: true,
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const TEXT: &[u8] =
        br#"{"a":"x","b":1,"c":[1,"y",[]],"d":{"e":null},"f":"q\"z\u00e9","g":-3,"h":true,"i":{}}"#;

    /// `depth` arrays, each inside the one before.
    fn nested(depth: usize) -> Vec<u8> {
        [vec![b'['; depth], vec![b']'; depth]].concat()
    }

    #[test]
    fn a_tape_holds_the_value_serde_json_reads() {
        let tape = Tape::parse(TEXT).unwrap();
        let expected: Value = serde_json::from_slice(TEXT).unwrap();
        assert_eq!(tape.root().to_value(), expected);
        assert_eq!(tape.root().object().unwrap().members().count(), 8);
        // Not for this path: whitespace, a fraction, an exponent, `-0`, 2^64, an escaped
        // member name, a bad escape, trailing bytes, too deep.
        for text in [
            &b"{ }"[..],
            b"[1.5]",
            b"[1e2]",
            b"[-0]",
            b"[18446744073709551616]",
            br#"{"\u0061":1}"#,
            br#"["\q"]"#,
            b"{}{}",
            &nested(DEPTH_MAX + 1),
        ] {
            assert!(
                Tape::parse(text).is_none(),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert!(Tape::parse(&nested(DEPTH_MAX)).is_some());
    }
}
