//! The typed decoder's fast path: a body decoded straight from the members of an event's
//! content object, without serde's buffering.
//!
//! The derived decoder of `Event<Body>` (`#[serde(flatten)]` over a `#[serde(tag = "kind")]`
//! enum) copies every member not consumed by the envelope into serde's private `Content` tree,
//! then the tagged enum copies it again to find `kind`, and only then decodes the variant's
//! struct: a third of decoding. Here the envelope's members are read by key, the variant is
//! chosen by `kind`, and its struct is decoded from [`BodyMembers`], a view of the remaining
//! members that hands each value (`&Value`) to its field's `Deserialize` as it is.
//!
//! The view presents exactly what the derived decoder's variant struct sees (the members less
//! the envelope's and `kind`), to the same `Deserialize`, so where both succeed they give the
//! same value. Anything this path refuses is decoded again by the derived decoder, which names
//! the fault: the fast path only ever answers "here it is" or "ask the other decoder".

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::{Map, Value};

/// The members of the envelope itself (`Event`'s fields) and the tag: what a body's struct
/// does not see.
pub(crate) const NOT_BODY: [&str; 5] = ["v", "at", "actor", "parents", "kind"];

/// The members of an event's content that belong to its body, as a `Deserializer` of a map.
pub(crate) struct BodyMembers<'a>(pub(crate) &'a Map<String, Value>);

impl<'de> de::Deserializer<'de> for BodyMembers<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(Members {
            iter: self.0.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct Members<'de> {
    iter: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        for (key, value) in self.iter.by_ref() {
            if NOT_BODY.contains(&key.as_str()) {
                continue;
            }
            self.value = Some(value);
            return seed
                .deserialize(de::value::BorrowedStrDeserializer::new(key.as_str()))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("a value asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        None
    }
}
