//! The stages of decoding one signed event, callable one at a time so that a benchmark
//! (`core/benches/decode.rs`) can time each separately on the same bytes. Each stage is the
//! code `SignedEvent::from_json` runs, not a copy of it.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::envelope;
use crate::error::Result;
use crate::event::Event;
use crate::model::EventId;

/// Stage 1: JSON text to a tree (size, syntax, no duplicate members).
pub fn parse(bytes: &[u8]) -> Result<Value> {
    envelope::parse_json(bytes)
}

/// Stage 2: the schema of the event's kind (signed form: `id` and `signatures` required).
pub fn schema(value: &Value) -> Result<()> {
    envelope::schema::check_event(value, true)
}

/// The content of a signed event's tree: without `id` and `signatures`.
pub fn content(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "id" && *k != "signatures")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Stage 3: typed decode of the content.
pub fn typed(content: &Value) -> Result<Event> {
    envelope::typed(content)
}

/// Stage 4: RFC 8785 canonical bytes of the content.
pub fn canonical(content: &Value) -> Result<Vec<u8>> {
    envelope::canonical(content)
}

/// Stage 5: the id, SHA-256 of the canonical content.
pub fn id(canonical_content: &[u8]) -> EventId {
    EventId::from_bytes(Sha256::digest(canonical_content).into())
}

/// Stage 6: the typed event re-encodes to exactly the signed content.
pub fn interpreted_is_signed(
    content: &Value,
    event: &Event,
    canonical_content: &[u8],
) -> Result<()> {
    envelope::interpreted_is_signed(content, event, canonical_content).map(|_| ())
}
