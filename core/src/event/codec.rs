//! Bytes ⇄ events. Decoding is a pipeline with one error per stage: size limit, JSON syntax,
//! JSON Schema, typed decode, canonical form, id.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::schema;
use super::{Event, Signature, SignedEvent};
use crate::model::EventId;

/// The only event format version.
pub const FORMAT_VERSION: u32 = 1;

/// Largest accepted event, in bytes of JSON.
pub const EVENT_BYTES_MAX: usize = 1 << 20;

/// Why bytes are not a valid event. Nothing is written when decoding fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Larger than [`EVENT_BYTES_MAX`].
    #[error("event is {bytes} bytes, above the limit of {max}", max = EVENT_BYTES_MAX)]
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// Not JSON.
    #[error("malformed JSON at line {line} column {column}: {reason}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        reason: String,
    },
    /// Valid JSON that breaks the schema of its kind.
    #[error("field `{field}`: {reason}")]
    Schema {
        /// JSON Pointer to the offending member (`/lot/quantity`), empty for the whole event.
        field: String,
        /// What the schema requires.
        reason: String,
    },
    /// The schema passed but the typed decoder refused a value (for example a date that does not exist).
    #[error("field `{field}`: {reason}")]
    Field {
        /// The member's path, as the decoder reports it.
        field: String,
        /// Why.
        reason: String,
    },
    /// The object holds something the typed form does not carry, so its meaning would not be
    /// covered by what the ledger interprets.
    #[error("event is not in its canonical form: member `{field}` differs after decoding")]
    NotCanonical {
        /// The first member that differs.
        field: String,
    },
    /// No `id` member on a signed event.
    #[error("event has no `id`")]
    MissingId,
    /// The `id` member is not the hash of the content.
    #[error("event claims id `{claimed}` but its content hashes to `{computed}`")]
    IdMismatch {
        /// What the event says.
        claimed: EventId,
        /// What its content hashes to.
        computed: EventId,
    },
    /// Serialisation failed (only for values that cannot be JSON).
    #[error("cannot encode event: {reason}")]
    Encode {
        /// Why.
        reason: String,
    },
}

/// The RFC 8785 canonical bytes of an event object, without its `id` and `signatures` members.
pub fn canonical_bytes(event: &Value) -> Result<Vec<u8>, DecodeError> {
    let stripped;
    let content = match event {
        Value::Object(map) if map.contains_key("id") || map.contains_key("signatures") => {
            let mut map = map.clone();
            map.remove("id");
            map.remove("signatures");
            stripped = Value::Object(map);
            &stripped
        }
        other => other,
    };
    serde_json_canonicalizer::to_vec(content).map_err(|e| DecodeError::Encode {
        reason: e.to_string(),
    })
}

/// The id of an event object: lowercase hex SHA-256 of [`canonical_bytes`].
pub fn event_id_of(event: &Value) -> Result<EventId, DecodeError> {
    let bytes = canonical_bytes(event)?;
    Ok(EventId::from_bytes(Sha256::digest(&bytes).into()))
}

fn first_difference(a: &Value, b: &Value, path: &mut String) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => {
                        let len = path.len();
                        path.push('/');
                        path.push_str(k);
                        if first_difference(va, vb, path) {
                            return true;
                        }
                        path.truncate(len);
                    }
                    _ => {
                        path.push('/');
                        path.push_str(k);
                        return true;
                    }
                }
            }
            false
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                if first_difference(va, vb, path) {
                    return true;
                }
                path.truncate(len);
            }
            false
        }
        _ => a != b,
    }
}

fn typed_decode(value: &Value) -> Result<Event, DecodeError> {
    let mut content = value.clone();
    if let Value::Object(map) = &mut content {
        map.remove("id");
        map.remove("signatures");
    }
    let event: Event = serde_json::from_value(content.clone()).map_err(|e| DecodeError::Field {
        field: String::new(),
        reason: e.to_string(),
    })?;
    // INVARIANT (interpreted-is-signed): the typed event re-encodes to exactly the signed
    // content, so no member can be signed but ignored, or interpreted but unsigned.
    let again = serde_json::to_value(&event).map_err(|e| DecodeError::Encode {
        reason: e.to_string(),
    })?;
    let mut path = String::new();
    if first_difference(&content, &again, &mut path) {
        return Err(DecodeError::NotCanonical { field: path });
    }
    Ok(event)
}

/// Parses JSON text to a value, bounded in size.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, DecodeError> {
    if bytes.len() > EVENT_BYTES_MAX {
        return Err(DecodeError::TooLarge { bytes: bytes.len() });
    }
    serde_json::from_slice(bytes).map_err(|e| DecodeError::Json {
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })
}

impl Event {
    /// Decodes an unsigned event (members `id` and `signatures`, if present, are ignored):
    /// schema check, typed decode, canonical-form check.
    pub fn from_value(value: &Value) -> Result<Self, DecodeError> {
        schema::check_unsigned_event(value)?;
        typed_decode(value)
    }

    /// Decodes an unsigned event from JSON text.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_value(&parse_json(bytes)?)
    }
}

impl SignedEvent {
    /// Decodes a signed event: schema check, typed decode, canonical-form check, and the id
    /// recomputed from the content must equal the `id` member. Signatures are decoded but not
    /// verified here (that needs the ledger's key registry).
    pub fn from_value(value: &Value) -> Result<Self, DecodeError> {
        schema::check_signed_event(value)?;
        let event = typed_decode(value)?;
        let claimed = match value.get("id").and_then(Value::as_str) {
            Some(text) => EventId::from_hex(text).map_err(|e| DecodeError::Field {
                field: "/id".into(),
                reason: e.to_string(),
            })?,
            None => return Err(DecodeError::MissingId),
        };
        let computed = event_id_of(value)?;
        if claimed != computed {
            return Err(DecodeError::IdMismatch { claimed, computed });
        }
        let signatures: Vec<Signature> =
            serde_json::from_value(value.get("signatures").cloned().unwrap_or(Value::Null))
                .map_err(|e| DecodeError::Field {
                    field: "/signatures".into(),
                    reason: e.to_string(),
                })?;
        Ok(SignedEvent {
            event,
            id: computed,
            signatures,
        })
    }

    /// Decodes a signed event from JSON text (one JSONL line).
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_value(&parse_json(bytes)?)
    }
}

impl From<DecodeError> for crate::error::Error {
    fn from(e: DecodeError) -> Self {
        use crate::error::{Error, ErrorKind as K};
        match e {
            DecodeError::TooLarge { bytes } => Error::new(K::EventTooLarge {
                bytes: bytes as u64,
                max: EVENT_BYTES_MAX as u64,
            }),
            DecodeError::Json {
                line,
                column,
                reason,
            } => Error::new(K::JsonMalformed {
                line: line as u64,
                column: column as u64,
                reason,
            }),
            DecodeError::Schema { field, reason } => {
                Error::new(K::SchemaViolation { reason }).at_field(field)
            }
            DecodeError::Field { field, reason } => Error::new(K::FieldInvalid {
                value: String::new(),
                reason,
            })
            .at_field(field),
            DecodeError::NotCanonical { field } => Error::new(K::NotCanonical).at_field(field),
            DecodeError::MissingId => Error::new(K::IdMissing).at_field("/id"),
            DecodeError::IdMismatch { claimed, computed } => {
                Error::new(K::IdMismatch { claimed, computed })
                    .for_event(computed)
                    .at_field("/id")
            }
            DecodeError::Encode { reason } => Error::new(K::Internal { detail: reason }),
        }
    }
}
