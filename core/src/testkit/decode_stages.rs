//! The stages of decoding one signed event, callable one at a time so that a benchmark
//! (`core/benches/decode.rs`) can time each separately on the same bytes. Each stage is the
//! code `SignedEvent::from_json` runs, not a copy of it: stages 1 to 6 are the full path (any
//! bytes, a `Value` tree), stages T1 to T5 the path a canonical line takes (a tape).

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::envelope;
use crate::envelope::tape::Tape;
use crate::error::Result;
use crate::event::Event;
use crate::event::Signature;
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

/// Stage T1: a canonical line read as a tape (`None`: not for this path).
pub fn tape(bytes: &[u8]) -> Option<Tape<'_>> {
    Tape::parse(bytes)
}

/// Stage T2: the schema of the event's kind, on its tape.
pub fn tape_schema(tape: &Tape<'_>) -> bool {
    envelope::schema::tape_is_valid(tape.root())
}

/// Stage T3: the typed event and its signatures, decoded from the tape.
pub fn tape_typed(tape: &Tape<'_>) -> Option<(Event, Vec<Signature>)> {
    envelope::tape_typed(tape.root())
}

/// Stage T4: the canonical bytes of the typed event's content, written from it into the
/// thread's buffer, and their id.
pub fn encode(event: &Event) -> Result<EventId> {
    envelope::content_id(event)
}

/// Stage T5: stage T4, and the line of the typed event, its id and signatures compared with the
/// bytes read, part by part (what the path of a canonical line does).
pub fn line_is(bytes: &[u8], event: &Event, signatures: &[Signature]) -> Result<bool> {
    Ok(envelope::id_if_line_is(event, signatures, bytes).is_some())
}
