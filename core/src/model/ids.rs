//! Typed identifiers. Every id that crosses the API is a newtype, so an `ItemId` can never be
//! passed where a `LotId` is expected.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest accepted name-like id, in bytes.
pub const NAME_ID_BYTES_MAX: usize = 128;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Empty or longer than [`NAME_ID_BYTES_MAX`].
    #[error("id `{value}` must be 1 to {max} bytes long", max = NAME_ID_BYTES_MAX)]
    Length {
        /// The rejected value.
        value: String,
    },
    /// A character outside `A-Z a-z 0-9 . _ : / -`, or a first character that is not alphanumeric.
    #[error(
        "id `{value}` may only hold letters, digits and `._:/-`, starting with a letter or digit"
    )]
    Charset {
        /// The rejected value.
        value: String,
    },
    /// Not 64 lowercase hex digits.
    #[error("event id `{value}` must be 64 lowercase hex digits")]
    EventId {
        /// The rejected value.
        value: String,
    },
    /// Not 64 lowercase hex digits.
    #[error("digest `{value}` must be 64 lowercase hex digits")]
    Digest {
        /// The rejected value.
        value: String,
    },
    /// Not 64 lowercase hex digits.
    #[error("public key `{value}` must be 64 lowercase hex digits")]
    PublicKey {
        /// The rejected value.
        value: String,
    },
}

/// Checks the shared grammar of name-like ids (`unit:log-bn-2`, `lot:762x39-1987-044`).
pub(crate) fn check_name_id(value: &str) -> Result<(), IdError> {
    if value.is_empty() || value.len() > NAME_ID_BYTES_MAX {
        return Err(IdError::Length {
            value: value.to_owned(),
        });
    }
    let mut chars = value.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok =
        chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-'));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(IdError::Charset {
            value: value.to_owned(),
        })
    }
}

macro_rules! name_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// The text is shared (`Arc<str>`): the state keeps an id in several maps, its undo
        /// records and its derived-row lists, and a copy is a count, not an allocation.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Parses and checks an id.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                Self::from_text(&value.into())
            }
            /// Checks and shares borrowed text (one allocation, no intermediate `String`).
            fn from_text(value: &str) -> Result<Self, IdError> {
                check_name_id(value)?;
                Ok(Self(Arc::from(value)))
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(crate::model::hex::StrVisitor(
                    |s: &str| Self::from_text(s).map_err(|e| e.to_string()),
                    "a string",
                ))
            }
        }
    };
}

name_id!(
    /// An actor: an agency, a unit or a person (`agency:attorney-general`, `unit:log-bn-2`).
    ActorId
);
name_id!(
    /// A site: a depot, a building or magazine inside one, a destruction range.
    SiteId
);
name_id!(
    /// A serialized item (a firearm or light weapon).
    ItemId
);
name_id!(
    /// A lot of fungible units (ammunition, explosives, parts).
    LotId
);

/// Compares 32 bytes as four big-endian words (words order as their bytes do), stopping at
/// the first that differs: ids are hashes, so nearly always the first.
#[inline]
fn cmp_words(a: &[u8; 32], b: &[u8; 32]) -> std::cmp::Ordering {
    let word = |chunk: &[u8]| {
        let mut be = [0u8; 8];
        be.copy_from_slice(chunk);
        u64::from_be_bytes(be)
    };
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let order = word(x).cmp(&word(y));
        if order.is_ne() {
            return order;
        }
    }
    std::cmp::Ordering::Equal
}

macro_rules! hex32 {
    ($(#[$doc:meta])* $name:ident, $err:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name([u8; 32]);

        // Ordered as the bytes are (and so as the hex digits), compared a word at a time:
        // the derived order called `memcmp` on every comparison (sorting and searching an
        // event's parents, maps keyed by event id).
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                cmp_words(&self.0, &other.0)
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl $name {
            /// Wraps raw bytes.
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }
            /// The raw 32 bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
            /// Lowercase hex, 64 digits.
            pub fn to_hex(&self) -> String {
                crate::model::hex::encode(&self.0)
            }
            /// Parses 64 lowercase hex digits (uppercase is refused: ids are compared as text).
            pub fn from_hex(value: &str) -> Result<Self, IdError> {
                match crate::model::hex::decode_lower::<32>(value) {
                    Some(bytes) => Ok(Self(bytes)),
                    None => Err(IdError::$err { value: value.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::from_hex(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut digits = [0u8; 64];
                s.serialize_str(crate::model::hex::encode_into(&self.0, &mut digits))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(crate::model::hex::StrVisitor(
                    |s: &str| Self::from_hex(s).map_err(|e| e.to_string()),
                    "64 lowercase hex digits",
                ))
            }
        }
    };
}

hex32!(
    /// An event id: SHA-256 of the event's RFC 8785 canonical JSON without `id` and `signatures`.
    EventId,
    EventId
);
hex32!(
    /// An Ed25519 public key (RFC 8032), 32 bytes.
    PublicKey,
    PublicKey
);
hex32!(
    /// A SHA-256 hash that is not an event id: a Merkle root or node, a state digest.
    Digest,
    Digest
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hex_ids_order_as_their_bytes() {
        // Pairs that differ first in each byte (in both directions), and equal pairs.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for at in 0..32 {
            for _ in 0..20 {
                let mut a = [0u8; 32];
                a.iter_mut().for_each(|b| *b = next().to_le_bytes()[0]);
                let mut b = a;
                let (lo, hi) = (next().to_le_bytes()[1], next().to_le_bytes()[2]);
                a[at] = lo;
                b[at] = hi;
                b.iter_mut()
                    .skip(at + 1)
                    .for_each(|v| *v = next().to_le_bytes()[3]);
                let (ia, ib) = (EventId::from_bytes(a), EventId::from_bytes(b));
                assert_eq!(ia.cmp(&ib), a.cmp(&b), "byte {at}");
                assert_eq!(ib.cmp(&ia), b.cmp(&a), "byte {at}");
                assert_eq!(ia.cmp(&ia), std::cmp::Ordering::Equal);
                assert_eq!(ia.to_hex().cmp(&ib.to_hex()), a.cmp(&b));
                assert_eq!(
                    PublicKey::from_bytes(a).cmp(&PublicKey::from_bytes(b)),
                    a.cmp(&b)
                );
            }
        }
    }

    #[test]
    fn name_ids_accept_the_documented_grammar_and_nothing_else() {
        assert_eq!(
            LotId::new("lot:762x39-1987-044").unwrap().as_str(),
            "lot:762x39-1987-044"
        );
        assert!(matches!(LotId::new(""), Err(IdError::Length { .. })));
        assert!(matches!(
            LotId::new("x".repeat(129)),
            Err(IdError::Length { .. })
        ));
        assert!(matches!(LotId::new(":lot"), Err(IdError::Charset { .. })));
        assert!(matches!(LotId::new("lot 1"), Err(IdError::Charset { .. })));
        assert!(matches!(LotId::new("lót"), Err(IdError::Charset { .. })));
    }

    #[test]
    fn event_ids_must_be_lowercase_hex() {
        let lower = "ab".repeat(32);
        assert_eq!(EventId::from_hex(&lower).unwrap().to_hex(), lower);
        assert!(EventId::from_hex(&"AB".repeat(32)).is_err());
        assert!(EventId::from_hex(&"ab".repeat(31)).is_err());
        assert!(EventId::from_hex(&"zz".repeat(32)).is_err());
    }
}
