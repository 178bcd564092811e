//! Events as signed envelopes: the members every event has (`v`, `kind`, `at`, `actor`,
//! `parents`), a kind-specific body, and then its `id` (SHA-256 of the RFC 8785 canonical JSON
//! of everything else) and `signatures`. This layer knows how to decode, canonicalise, hash and
//! sign an event of any body type; the body types (one per kind) and what they mean for the
//! stockpile live in the ledger. See `docs/FORMAT.md` for the wire format.
//!
//! Decoding is a pipeline that stops at the first stage that fails, each with its error code:
//! size and JSON syntax with no duplicate members (1001-1003), the schema of the event's kind
//! (1004), typed decoding (1005), the interpreted-equals-signed check (1006), the id (1007,
//! 1008), and for stored or exported lines, the canonical bytes (1009).
//!
//! A canonical line (every stored row, every exported line, what signing tools write) first
//! takes a faster path without a `serde_json::Value` tree ([`tape`]): read in place, checked
//! against the same schema, decoded by the same `Deserialize` impls, and accepted only if the
//! line written back from the typed event is the bytes read. Anything else takes the pipeline
//! above, which names the fault.

mod canon;
pub(crate) mod canon_ser;
pub(crate) mod content_de;
mod json;
pub(crate) mod schema;
mod sign;
pub(crate) mod tape;
mod tape_schema;

pub use sign::{HeadSigner, Signature, Signer, check_public_key, check_registered_key};
pub use tape_schema::{Fault, Schema};

pub(crate) use json::parse as parse_json;
#[cfg(test)]
pub(crate) use schema::schema_kinds;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{ActorId, EventId, Timestamp};

/// The event format version writers use.
///
/// Version 2 adds the event kinds of the whole life cycle and applies stricter rules to some
/// kinds (see docs/FORMAT.md, "Versions"). Events keep the version they were signed with, and
/// a version-1 event is judged by the rules of version 1 forever: a ledger verifies the same in
/// ten years, whatever this library's version.
pub const FORMAT_VERSION: u32 = 2;

/// Every event format version this library reads.
pub const FORMAT_VERSIONS: [u32; 2] = [1, 2];

/// Largest accepted event, in bytes of JSON.
pub const EVENT_BYTES_MAX: usize = 1 << 20;

/// A body of some event kind: what follows the common members.
pub trait EventBody: Serialize + DeserializeOwned + Clone + PartialEq + std::fmt::Debug {
    /// The `kind` member's value.
    fn kind(&self) -> &'static str;

    /// The body decoded from the members of an event's content object by a faster path than
    /// the derived `Deserialize` (which buffers flattened and tagged members), or `None` to
    /// leave it to that one. Where both succeed they must give the same value (the crate's
    /// debug builds check it on every event decoded). The default: `None`.
    #[doc(hidden)]
    fn from_content(content: &Map<String, Value>) -> Option<Self> {
        let _ = content;
        None
    }

    /// As [`EventBody::from_content`], from the members of an event read as a tape (the fast
    /// path of decoding a canonical line), or `None` to leave the bytes to the full path. The
    /// default: `None`.
    #[doc(hidden)]
    fn from_tape(members: tape::BodyMembers<'_>, kind: &str) -> Option<Self> {
        let _ = (members, kind);
        None
    }
}

/// The content of an event: everything its id covers.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "B: Serialize", deserialize = "B: DeserializeOwned"))]
pub struct Event<B> {
    /// Format version: [`FORMAT_VERSION`] for new events; older ones keep theirs.
    pub v: u32,
    /// When it happened, UTC.
    pub at: Timestamp,
    /// Who records it; must sign it.
    pub actor: ActorId,
    /// Ids of the events it builds on (the DAG edges).
    pub parents: Vec<EventId>,
    /// Kind and body.
    #[serde(flatten)]
    pub body: B,
}

/// An event with its id and signatures, as stored and exchanged. It can only be made by
/// decoding (which recomputes the id from the content) or by signing: its id is always the
/// hash of its content.
///
/// Outside the crate, its fields can be read through accessors but not set (E0451: private
/// fields):
///
/// ```
/// # use custodia::event::SignedEvent;
/// fn inspect(e: &SignedEvent) -> (custodia::EventId, usize) {
///     (e.id(), e.signatures().len())
/// }
/// ```
///
/// ```compile_fail,E0451
/// # use custodia::event::SignedEvent;
/// # use custodia::EventId;
/// fn forge(event: custodia::Event, id: EventId) -> SignedEvent {
///     SignedEvent { event, id, signatures: Vec::new(), line: String::new() }
/// }
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedEvent<B> {
    pub(crate) event: Event<B>,
    pub(crate) id: EventId,
    pub(crate) signatures: Vec<Signature>,
    // INVARIANT (canonical-line): the RFC 8785 canonical JSON of the whole object (content,
    // `id`, `signatures`): what is stored, exported and hashed (without id and signatures).
    pub(crate) line: String,
}

fn internal(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Internal {
        detail: format!("{what}: {e}"),
    })
}

/// RFC 8785 canonical bytes of a JSON value.
pub(crate) fn canonical(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(CANONICAL_CAPACITY_BYTES);
    canon::write(value, &mut out)?;
    Ok(out)
}

/// Room reserved for the canonical bytes of one event: most events fit without growing.
const CANONICAL_CAPACITY_BYTES: usize = 1024;

/// The id of an event object: lowercase hex SHA-256 of the canonical JSON of the object without
/// its `id` and `signatures` members.
pub fn event_id_of(event: &Value) -> Result<EventId> {
    let bytes = match event {
        Value::Object(map) if map.contains_key("id") || map.contains_key("signatures") => {
            let content: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| *k != "id" && *k != "signatures")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            canonical(&Value::Object(content))?
        }
        other => canonical(other)?,
    };
    Ok(EventId::from_bytes(Sha256::digest(&bytes).into()))
}

/// The first member where two JSON values differ, as a JSON Pointer.
fn first_difference(a: &Value, b: &Value, path: &mut String) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let len = path.len();
                path.push('/');
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => {
                        if first_difference(va, vb, path) {
                            return true;
                        }
                    }
                    _ => return true,
                }
                path.truncate(len);
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

/// Typed decode of an event's content, with the JSON Pointer of a refused value.
pub(crate) fn typed<B: EventBody>(content: &Value) -> Result<Event<B>> {
    // The fast path first (`content_de`), then the derived decoder: tracking the path of every
    // value costs more than the decoding. Only a refused event is decoded again, by the same
    // `Deserialize` wrapped in the path-tracking decoder, to name the member it refused (same
    // code, so same verdict).
    if let Some(event) = typed_fast::<B>(content) {
        debug_assert_eq!(
            Event::<B>::deserialize(content).ok().as_ref(),
            Some(&event),
            "the fast typed decoder disagrees with the derived one"
        );
        return Ok(event);
    }
    if let Ok(event) = Event::<B>::deserialize(content) {
        return Ok(event);
    }
    serde_path_to_error::deserialize::<_, Event<B>>(content).map_err(|e| {
        let field = pointer_of(e.path());
        let value = content
            .pointer(&field)
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        Error::new(ErrorKind::FieldInvalid {
            value,
            reason: e.inner().to_string(),
        })
        .at_field(field)
    })
}

/// The typed event and signatures of a signed event read as a tape: the envelope's members read
/// by key, the body by [`EventBody::from_tape`]; `None` whenever anything does not decode.
pub(crate) fn tape_typed<B: EventBody>(root: tape::Node<'_>) -> Option<(Event<B>, Vec<Signature>)> {
    let object = root.object()?;
    let kind = object.get("kind")?.str()?;
    let event = Event {
        v: u32::deserialize(object.get("v")?).ok()?,
        at: Timestamp::deserialize(object.get("at")?).ok()?,
        actor: ActorId::deserialize(object.get("actor")?).ok()?,
        parents: Vec::<EventId>::deserialize(object.get("parents")?).ok()?,
        body: B::from_tape(tape::BodyMembers(object), kind)?,
    };
    let signatures = Vec::<Signature>::deserialize(object.get("signatures")?).ok()?;
    Some((event, signatures))
}

/// The envelope's members read by key and the body by [`EventBody::from_content`]; `None`
/// whenever anything does not decode (the derived decoder then runs and names the fault).
fn typed_fast<B: EventBody>(content: &Value) -> Option<Event<B>> {
    let Value::Object(map) = content else {
        return None;
    };
    let body = B::from_content(map)?;
    Some(Event {
        v: u32::deserialize(map.get("v")?).ok()?,
        at: Timestamp::deserialize(map.get("at")?).ok()?,
        actor: ActorId::deserialize(map.get("actor")?).ok()?,
        parents: Vec::<EventId>::deserialize(map.get("parents")?).ok()?,
        body,
    })
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// Decodes the content of an event (an object without `id` and `signatures`): typed decode,
/// then the check that the typed event re-encodes to exactly the content. Returns the event and
/// its encoding (the canonical bytes of the content, and where each member lies in them).
fn decode_content<B: EventBody>(content: &Value) -> Result<(Event<B>, Encoded)> {
    let event: Event<B> = typed(content)?;
    let canonical_content = canonical(content)?;
    let encoded = interpreted_is_signed(content, &event, &canonical_content)?;
    Ok((event, encoded))
}

/// The check that the typed event re-encodes to exactly the signed content (whose canonical
/// bytes are `canonical_content`); refused with the pointer of the first difference. Returns
/// the typed event's encoding (whose bytes are then `canonical_content`).
pub(crate) fn interpreted_is_signed<B: EventBody>(
    content: &Value,
    event: &Event<B>,
    canonical_content: &[u8],
) -> Result<Encoded> {
    let encoded = Encoded::of(event)?;
    refuse_unless_signed(content, event, &encoded, canonical_content)?;
    Ok(encoded)
}

fn refuse_unless_signed<B: EventBody>(
    content: &Value,
    event: &Event<B>,
    encoded: &Encoded,
    canonical_content: &[u8],
) -> Result<()> {
    // INVARIANT (interpreted-is-signed): the typed event re-encodes to exactly the signed
    // content, so no member can be signed but ignored, or interpreted but unsigned.
    // The typed event's canonical bytes, written straight from serde (no `Value` tree), are
    // compared with the signed ones; only a refusal builds the tree, to name the first
    // difference.
    if encoded.bytes == canonical_content {
        return Ok(());
    }
    let again = serde_json::to_value(event).map_err(|e| internal("encoding an event", e))?;
    let mut path = String::new();
    first_difference(content, &again, &mut path);
    Err(Error::new(ErrorKind::NotCanonical).at_field(path))
}

/// The canonical JSON of a typed event's content (its members sorted as RFC 8785 sorts them),
/// and where each member lies in it, so that the canonical line can be written by adding the
/// `id` and `signatures` members between them (RFC 8785 is compositional: a member's bytes do
/// not depend on its neighbours) instead of canonicalising the whole object again.
pub(crate) struct Encoded {
    bytes: Vec<u8>,
    members: Vec<canon_ser::Member>,
}

impl Encoded {
    pub(crate) fn of<T: Serialize + ?Sized>(content: &T) -> Result<Self> {
        let (bytes, members) = canon_ser::object_to_vec(content)?;
        Ok(Self { bytes, members })
    }

    /// The content's id: SHA-256 of its canonical bytes.
    pub(crate) fn id(&self) -> EventId {
        EventId::from_bytes(Sha256::digest(&self.bytes).into())
    }

    /// The canonical line of the signed event: the content's members, and `id` and
    /// `signatures` each where its key sorts among theirs.
    pub(crate) fn line(&self, id: &EventId, signatures: &[Signature]) -> Result<String> {
        line(&self.bytes, &self.members, id, signatures)
    }
}

/// One part of a canonical line, between its commas.
enum Piece<'b> {
    /// A member of the content, as written.
    Member(&'b [u8]),
    /// The `id` member.
    Id,
    /// The `signatures` member.
    Signatures,
}

/// The parts of the canonical line of a signed event whose content's canonical bytes and
/// members are `bytes` and `members`, in order, each handed to `put` until it answers `false`:
/// the content's members, and `id` and `signatures` each where its key sorts among theirs
/// (RFC 8785 is compositional: a member's bytes do not depend on its neighbours).
fn pieces<'b>(
    bytes: &'b [u8],
    members: &'b [canon_ser::Member],
    mut put: impl FnMut(Piece<'b>) -> bool,
) -> Result<()> {
    // In RFC 8785 order ("id" < "signatures").
    let mut added = [("id", Piece::Id), ("signatures", Piece::Signatures)]
        .into_iter()
        .peekable();
    for m in members {
        while let Some((key, _)) = added.peek() {
            // `key` is ASCII: its UTF-16 order against an ASCII key is their bytes' order.
            let member_key = m.key_bytes(bytes);
            let order = if member_key.is_ascii() {
                key.as_bytes().cmp(member_key)
            } else {
                key.encode_utf16().cmp(m.key(bytes).encode_utf16())
            };
            match order {
                std::cmp::Ordering::Less => {
                    if let Some((_, piece)) = added.next()
                        && !put(piece)
                    {
                        return Ok(());
                    }
                }
                std::cmp::Ordering::Equal => {
                    return Err(internal(
                        "encoding an event",
                        format!("the content has a member `{key}`"),
                    ));
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        let part = bytes
            .get(m.start..m.end)
            .ok_or_else(|| internal("encoding an event", "a member outside the content's bytes"))?;
        if !put(Piece::Member(part)) {
            return Ok(());
        }
    }
    for (_, piece) in added {
        if !put(piece) {
            return Ok(());
        }
    }
    Ok(())
}

/// The canonical line of a signed event whose content's canonical bytes and members are
/// `bytes` and `members`.
fn line(
    bytes: &[u8],
    members: &[canon_ser::Member],
    id: &EventId,
    signatures: &[Signature],
) -> Result<String> {
    // The room the line takes: the content's bytes (braces included), the two members and
    // a comma before each (one fewer for an empty content).
    let mut out = Vec::with_capacity(
        bytes.len() + ID_MEMBER_BYTES + signatures_member_bytes(signatures.len()) + 2,
    );
    out.push(b'{');
    let mut first = true;
    pieces(bytes, members, |piece| {
        if !first {
            out.push(b',');
        }
        first = false;
        match piece {
            Piece::Member(part) => out.extend_from_slice(part),
            Piece::Id => out.extend_from_slice(&id_member(id)),
            Piece::Signatures => signatures_member(signatures, &mut out),
        }
        true
    })?;
    out.push(b'}');
    // INVARIANT (stored-lines-readable): no signed event has a line longer than a reader
    // accepts, so that nothing appended can make the ledger unreadable on its next opening.
    // Reading checks the bytes given (`json::parse`); this checks the line kept, which
    // signing builds and a non-canonical input may make longer (`1e2` is `100`).
    if out.len() > EVENT_BYTES_MAX {
        // `as u64`: a usize never exceeds 64 bits on the targets this builds for (as in
        // `json::parse`, which reports the same error for the bytes it reads).
        return Err(ErrorKind::EventTooLarge {
            bytes: out.len() as u64,
            max: EVENT_BYTES_MAX as u64,
        }
        .into());
    }
    String::from_utf8(out).map_err(|e| internal("encoding an event", e))
}

/// The id of `content` (an event's), if `read` is the canonical line of the signed event of
/// that content and `signatures`: the content written into this thread's buffer (no
/// allocation), hashed, and the line compared with `read` part by part, without writing it.
pub(crate) fn id_if_line_is<T: Serialize + ?Sized>(
    content: &T,
    signatures: &[Signature],
    read: &[u8],
) -> Option<EventId> {
    canon_ser::with_object(content, |bytes, members| {
        let id = EventId::from_bytes(Sha256::digest(bytes).into());
        matches!(line_is(bytes, members, &id, signatures, read), Ok(true)).then_some(id)
    })
    .ok()
    .flatten()
}

/// The id of `content`'s canonical bytes, written into this thread's buffer.
#[cfg(feature = "testkit")]
pub(crate) fn content_id<T: Serialize + ?Sized>(content: &T) -> Result<EventId> {
    canon_ser::with_object(content, |bytes, _| {
        EventId::from_bytes(Sha256::digest(bytes).into())
    })
}

/// Whether `read` is the canonical line [`line`] writes for the same content, id and
/// signatures: compared part by part, without writing the line.
fn line_is(
    bytes: &[u8],
    members: &[canon_ser::Member],
    id: &EventId,
    signatures: &[Signature],
    read: &[u8],
) -> Result<bool> {
    let Some(mut rest) = read.strip_prefix(b"{") else {
        return Ok(false);
    };
    let mut first = true;
    let mut same = true;
    // `rest` loses each part found at its start; `same` turns false at the first not found.
    fn take(rest: &mut &[u8], part: &[u8]) -> bool {
        match rest.strip_prefix(part) {
            Some(after) => {
                *rest = after;
                true
            }
            None => false,
        }
    }
    pieces(bytes, members, |piece| {
        if !first && !take(&mut rest, b",") {
            same = false;
            return false;
        }
        first = false;
        same = match piece {
            Piece::Member(part) => take(&mut rest, part),
            Piece::Id => take(&mut rest, &id_member(id)),
            Piece::Signatures => {
                take(&mut rest, SIGNATURES_OPEN)
                    && signatures.iter().enumerate().all(|(i, s)| {
                        (i == 0 || take(&mut rest, b",")) && take(&mut rest, &signature_json(s))
                    })
                    && take(&mut rest, b"]")
            }
        };
        same
    })?;
    Ok(same && rest == b"}")
}

/// The `id` member of a canonical line: `"id":"<64 hex digits>"`. Hex digits need no escape,
/// so this is what RFC 8785 writes (checked against the serde writer in the tests).
fn id_member(id: &EventId) -> [u8; ID_MEMBER_BYTES] {
    let mut out = [0u8; ID_MEMBER_BYTES];
    let (open, rest) = out.split_at_mut(6);
    open.copy_from_slice(b"\"id\":\"");
    let (digits, close) = rest.split_at_mut(64);
    crate::model::hex::encode_to(id.as_bytes(), digits);
    close.copy_from_slice(b"\"");
    out
}

/// The length of the `id` member.
const ID_MEMBER_BYTES: usize = 71;

/// How the `signatures` member opens.
const SIGNATURES_OPEN: &[u8] = b"\"signatures\":[";

/// The length of one signature's object.
const SIGNATURE_BYTES: usize = 211;

/// The length of the `signatures` member with `n` signatures.
fn signatures_member_bytes(n: usize) -> usize {
    // The opening and `]`; each signature and a comma but the first.
    SIGNATURES_OPEN.len() + 1 + n * (SIGNATURE_BYTES + 1) - usize::from(n > 0)
}

/// One signature of the `signatures` member: `{"key":"…","sig":"…"}`, its members in RFC 8785
/// order (`key` before `sig`) and hex digits needing no escape.
fn signature_json(s: &Signature) -> [u8; SIGNATURE_BYTES] {
    let mut out = [0u8; SIGNATURE_BYTES];
    let (open, rest) = out.split_at_mut(8);
    open.copy_from_slice(b"{\"key\":\"");
    let (key, rest) = rest.split_at_mut(64);
    crate::model::hex::encode_to(s.key.as_bytes(), key);
    let (between, rest) = rest.split_at_mut(9);
    between.copy_from_slice(b"\",\"sig\":\"");
    let (sig, close) = rest.split_at_mut(128);
    crate::model::hex::encode_to(s.sig.as_bytes(), sig);
    close.copy_from_slice(b"\"}");
    out
}

/// The `signatures` member of a canonical line: `"signatures":[{"key":"…","sig":"…"},…]`
/// (checked against the serde writer in the tests).
fn signatures_member(signatures: &[Signature], out: &mut Vec<u8>) {
    out.extend_from_slice(SIGNATURES_OPEN);
    for (i, s) in signatures.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&signature_json(s));
    }
    out.push(b']');
}

/// How strictly the bytes of a signed event are read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Bytes {
    /// Any JSON text of the event is accepted (input to append); the canonical form is kept.
    AnyForm,
    /// The bytes must be exactly the canonical form (stored rows, exported lines).
    Canonical,
}

impl<B: EventBody> Event<B> {
    /// A version-1 event.
    pub fn new(at: Timestamp, actor: ActorId, parents: Vec<EventId>, body: B) -> Self {
        Self {
            v: FORMAT_VERSION,
            at,
            actor,
            parents,
            body,
        }
    }

    /// The event's id: SHA-256 of its canonical JSON.
    pub fn id(&self) -> Result<EventId> {
        Ok(EventId::from_bytes(
            Sha256::digest(canon_ser::to_vec(self)?).into(),
        ))
    }

    /// Decodes an unsigned event (members `id` and `signatures` must be absent): schema, typed
    /// decode, canonical-form check.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_value(&json::parse(bytes)?)
    }

    pub(crate) fn from_value(value: &Value) -> Result<Self> {
        schema::check_event(value, false)?;
        if let Some(obj) = value.as_object()
            && (obj.contains_key("id") || obj.contains_key("signatures"))
        {
            return Err(ErrorKind::AlreadySigned.into());
        }
        Ok(decode_content(value)?.0)
    }

    /// Checks the event against the schema, computes the id and signs it with every signer
    /// given (the recording actor's key first). The Rust types admit values the wire format
    /// refuses (an empty `reason`, a country code in lower case); checking here means nothing
    /// is signed that a reader would refuse.
    pub fn sign(self, signers: &[&Signer]) -> Result<SignedEvent<B>> {
        let content = serde_json::to_value(&self).map_err(|e| internal("encoding an event", e))?;
        schema::check_event(&content, false)?;
        let (event, encoded) = decode_content::<B>(&content)?;
        let id = encoded.id();
        let signatures: Vec<Signature> = signers.iter().map(|s| s.sign(&id)).collect();
        let line = encoded.line(&id, &signatures)?;
        Ok(SignedEvent {
            event,
            id,
            signatures,
            line,
        })
    }
}

impl<B: EventBody> SignedEvent<B> {
    /// The content.
    pub fn event(&self) -> &Event<B> {
        &self.event
    }
    /// Its id, the SHA-256 of the content's canonical JSON.
    pub fn id(&self) -> EventId {
        self.id
    }
    /// Its signatures over the id's 32 bytes.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }
    /// The event's kind.
    pub fn kind(&self) -> &'static str {
        self.event.body.kind()
    }
    /// One line of JSONL: the canonical JSON of the whole object (RFC 8785), no newline.
    pub fn to_json(&self) -> &str {
        &self.line
    }

    /// The whole object (content, `id`, `signatures`) as a JSON value.
    pub fn to_value(&self) -> Result<Value> {
        serde_json::from_str(&self.line).map_err(|e| internal("re-reading an event", e))
    }

    /// Decodes a signed event from JSON text (one JSONL line, in any valid JSON form): schema,
    /// typed decode, canonical-form check, and the id recomputed from the content must equal
    /// the `id` member. Signatures are decoded but verified only by the ledger, which knows
    /// whose keys they are.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes, Bytes::AnyForm)
    }

    /// As [`SignedEvent::from_json`], and the bytes must be exactly the event's canonical form
    /// (how every stored and exported line is written).
    pub fn from_canonical_json(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes, Bytes::Canonical)
    }

    pub(crate) fn decode(bytes: &[u8], form: Bytes) -> Result<Self> {
        if let Some(event) = Self::from_tape(bytes) {
            debug_assert_eq!(
                Self::decode_value(bytes, form).ok().as_ref(),
                Some(&event),
                "the tape's decoding disagrees with the full path's"
            );
            return Ok(event);
        }
        Self::decode_value(bytes, form)
    }

    /// The fast path of decoding: canonical bytes read as a tape (no `Value` tree), checked
    /// against the schema, decoded to the typed event, and accepted only if the line written
    /// from that event (with the id of its bytes and the signatures read) is the bytes read.
    /// Then every check of the full path holds (as for its own comparison of the same line,
    /// below): the bytes are canonical, so they hold no duplicate member and nothing the typed
    /// event leaves out; the content is the typed event's; and the `id` member is the hash of
    /// its bytes. `None` sends the bytes to the full path, which accepts or names the fault.
    fn from_tape(bytes: &[u8]) -> Option<Self> {
        // A canonical event starts `{"`: a line that does not (an appending client's
        // whitespace after the brace) goes to the full path before the tape allocates.
        if !bytes.starts_with(b"{\"") {
            return None;
        }
        let tape = tape::Tape::parse(bytes)?;
        let root = tape.root();
        if !schema::tape_is_valid(root) {
            return None;
        }
        let (event, signatures) = tape_typed::<B>(root)?;
        // The line kept is then the bytes read.
        let id = id_if_line_is(&event, &signatures, bytes)?;
        Some(SignedEvent {
            event,
            id,
            signatures,
            line: tape.text().to_owned(),
        })
    }

    /// The full path of decoding: the bytes parsed to a `Value` tree, then each check in turn,
    /// each refusal naming its fault.
    fn decode_value(bytes: &[u8], form: Bytes) -> Result<Self> {
        let value = json::parse(bytes)?;
        schema::check_event(&value, true)?;
        let Value::Object(mut map) = value else {
            return Err(internal("decoding", "the schema passed a non-object"));
        };
        let claimed = map.remove("id");
        let sigs = map.remove("signatures").unwrap_or(Value::Null);
        let content = Value::Object(map);
        let event: Event<B> = typed(&content)?;
        let encoded = Encoded::of(&event)?;
        // Stored rows and exported lines are canonical, and so is what signing tools write, so
        // bytes are first read by one comparison: the line written from the typed event, with
        // the id of its bytes and the signatures decoded, is compared with the bytes read. If
        // they are equal, every check below holds: the content read is the typed event's (same
        // bytes, so the same JSON), so the event is interpreted as signed, its canonical bytes
        // are the typed event's, the `id` member read is the hex of their hash, and the bytes
        // are canonical (whatever `form` asks). Otherwise the checks run one by one below, so
        // that a refusal names the first thing wrong, as for any other bytes.
        // The id of the typed event's bytes, its signatures and its line: what the comparison
        // needs, and what the checks below reuse when it fails (the id is then the hash of the
        // signed content too, once the interpreted-equals-signed check has passed).
        let id = encoded.id();
        let decoded = Vec::<Signature>::deserialize(&sigs).ok().map(|signatures| {
            let line = encoded.line(&id, &signatures);
            (signatures, line)
        });
        let same_bytes = matches!(&decoded, Some((_, Ok(line))) if line.as_bytes() == bytes);
        if same_bytes && let Some((signatures, Ok(line))) = decoded {
            return Ok(SignedEvent {
                event,
                id,
                signatures,
                line,
            });
        }
        let canonical_content = canonical(&content)?;
        refuse_unless_signed(&content, &event, &encoded, &canonical_content)?;
        // The content's canonical bytes are the typed event's (checked just above): same id.
        let computed = id;
        let claimed = match claimed {
            Some(Value::String(text)) => EventId::from_hex(&text).map_err(|e| {
                Error::new(ErrorKind::FieldInvalid {
                    value: text.clone(),
                    reason: e.to_string(),
                })
                .at_field("/id")
            })?,
            _ => return Err(Error::new(ErrorKind::IdMissing).at_field("/id")),
        };
        if claimed != computed {
            return Err(Error::new(ErrorKind::IdMismatch { claimed, computed })
                .for_event(computed)
                .at_field("/id"));
        }
        let (signatures, line) = match decoded {
            Some(decoded) => decoded,
            None => {
                // Decoded again, by the same `Deserialize` wrapped in the path-tracking
                // decoder, to name the member refused (as `typed` does).
                let signatures: Vec<Signature> =
                    serde_path_to_error::deserialize(&sigs).map_err(|e| {
                        Error::new(ErrorKind::FieldInvalid {
                            value: sigs.to_string(),
                            reason: e.inner().to_string(),
                        })
                        .at_field(format!("/signatures{}", pointer_of(e.path())))
                        .for_event(computed)
                    })?;
                let line = encoded.line(&computed, &signatures);
                (signatures, line)
            }
        };
        let line = line?;
        if form == Bytes::Canonical && line.as_bytes() != bytes {
            return Err(Error::new(ErrorKind::NotCanonicalBytes).for_event(computed));
        }
        Ok(SignedEvent {
            event,
            id: computed,
            signatures,
            line,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::ledger::Body;

    fn genesis() -> (Signer, SignedEvent<Body>) {
        let key = Signer::from_seed([7; 32]);
        let line = format!(
            r#"{{"v":1,"kind":"register_actor","at":"2026-01-05T08:00:00Z","actor":"agency:m","parents":[],"subject":{{"id":"agency:m","kind":"agency","name":"M","roles":["admin"],"keys":["{}"]}}}}"#,
            key.public_key()
        );
        let event = Event::<Body>::from_json(line.as_bytes()).unwrap();
        let signed = event.sign(&[&key]).unwrap();
        (key, signed)
    }

    #[test]
    fn the_id_and_signatures_members_are_what_the_canonical_writer_writes() {
        // Written directly (no serde) for speed; the reference is the RFC 8785 writer, on
        // ids and keys with every byte value, and on no, one and several signatures.
        let signers: Vec<Signer> = (0..3u8).map(|i| Signer::from_seed([i; 32])).collect();
        for n in 0..=signers.len() {
            let id = EventId::from_bytes(std::array::from_fn(|i| (i * 8 + n) as u8));
            let signatures: Vec<Signature> = signers.iter().take(n).map(|s| s.sign(&id)).collect();
            let mut expected = b"\"id\":".to_vec();
            expected.extend_from_slice(&canon_ser::to_vec(&id).unwrap());
            assert_eq!(id_member(&id).as_slice(), expected);
            let mut expected = b"\"signatures\":".to_vec();
            expected.extend_from_slice(&canon_ser::to_vec(&signatures).unwrap());
            let mut written = Vec::new();
            signatures_member(&signatures, &mut written);
            assert_eq!(written, expected, "{n} signatures");
            assert_eq!(written.len(), signatures_member_bytes(n), "{n} signatures");
        }
    }

    #[test]
    fn signed_events_round_trip_through_their_canonical_line() {
        let (_, signed) = genesis();
        let again = SignedEvent::<Body>::from_canonical_json(signed.to_json().as_bytes()).unwrap();
        assert_eq!(again, signed);
        assert_eq!(again.id(), signed.event().id().unwrap());
    }

    #[test]
    fn a_non_canonical_line_decodes_but_is_refused_where_bytes_must_be_canonical() {
        let (_, signed) = genesis();
        let spaced = signed.to_json().replacen("{", "{ ", 1);
        assert_eq!(
            SignedEvent::<Body>::from_json(spaced.as_bytes()).unwrap(),
            signed
        );
        let e = SignedEvent::<Body>::from_canonical_json(spaced.as_bytes()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotCanonicalBytes);
        assert_eq!(e.event(), Some(signed.id()));
    }

    #[test]
    fn lines_are_the_canonical_json_of_content_id_and_signatures() {
        // The line is written by adding two members to the content's canonical bytes; the
        // reference is canonicalising the whole object. Keys around "id" and "signatures", and
        // keys whose UTF-8 and UTF-16 orders differ.
        let (_, signed) = genesis();
        let signatures = signed.signatures().to_vec();
        let id = signed.id();
        let mut objects: Vec<Value> = crate::testkit::events(42, 300)
            .unwrap()
            .iter()
            .map(|e| {
                let mut v: Value = serde_json::from_str(e.to_json()).unwrap();
                if let Value::Object(m) = &mut v {
                    m.remove("id");
                    m.remove("signatures");
                }
                v
            })
            .collect();
        objects.push(serde_json::json!({}));
        objects.push(
            serde_json::json!({"a": 1, "i": 2, "ia": 3, "idd": [{"z": 1, "a": 2}],
            "s": null, "signature": "x", "signaturesz": true, "z": "\u{1F600}",
            "\u{e000}": 4, "\u{10000}": 5, "\u{ffff}": 6}),
        );
        objects.push(serde_json::json!({"\u{e000}": 1}));
        for content in &objects {
            let Value::Object(map) = content else {
                panic!("not an object")
            };
            let mut whole = map.clone();
            whole.insert("id".into(), Value::String(id.to_hex()));
            whole.insert(
                "signatures".into(),
                serde_json::to_value(&signatures).unwrap(),
            );
            let reference = canonical(&Value::Object(whole)).unwrap();
            let encoded = Encoded::of(content).unwrap();
            assert_eq!(encoded.bytes, canonical(content).unwrap(), "{content}");
            let line = encoded.line(&id, &signatures).unwrap();
            assert_eq!(line.as_bytes(), &reference[..], "{content}");
        }
        // No signatures, and a content that already has an `id` member (a bug, not a line).
        let content = serde_json::json!({"a": 1});
        let line = Encoded::of(&content).unwrap().line(&id, &[]).unwrap();
        assert_eq!(
            line,
            format!(r#"{{"a":1,"id":"{}","signatures":[]}}"#, id.to_hex())
        );
        let e = Encoded::of(&serde_json::json!({"id": 1}))
            .unwrap()
            .line(&id, &[])
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Internal);
    }

    #[test]
    fn canonical_lines_read_in_one_comparison_decode_as_any_other_bytes() {
        // Canonical lines take the one-comparison path; the same event with a space added
        // (not canonical) takes every check one by one. Same event.
        for e in crate::testkit::events(7, 400).unwrap() {
            let line = e.to_json();
            let fast = SignedEvent::<Body>::from_canonical_json(line.as_bytes()).unwrap();
            assert_eq!(
                SignedEvent::<Body>::from_json(line.as_bytes()).unwrap(),
                fast
            );
            let spaced = line.replacen('{', "{ ", 1);
            let slow = SignedEvent::<Body>::from_json(spaced.as_bytes()).unwrap();
            assert_eq!(fast, slow);
            assert_eq!(fast, e);
        }
        // A line whose claimed id is not its content's fails the comparison and is then
        // refused by the id check (1008), not as non-canonical bytes (1009).
        let (_, signed) = genesis();
        let hex = signed.id().to_hex();
        let other = format!(
            "{}{}",
            &hex[..63],
            if hex.ends_with('0') { "1" } else { "0" }
        );
        let forged = signed.to_json().replacen(&hex, &other, 1);
        let e = SignedEvent::<Body>::from_canonical_json(forged.as_bytes()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::IdMismatch);
    }

    #[test]
    fn duplicates_ids_and_values_are_named() {
        let (_, signed) = genesis();
        let line = signed.to_json();
        let dup = line.replacen("\"name\":\"M\"", "\"name\":\"M\",\"name\":\"N\"", 1);
        let e = SignedEvent::<Body>::from_json(dup.as_bytes()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DuplicateMember);
        assert_eq!(e.field(), Some("/subject"));
        let forged = line.replacen("\"name\":\"M\"", "\"name\":\"N\"", 1);
        let e = SignedEvent::<Body>::from_json(forged.as_bytes()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::IdMismatch);
        assert_eq!(e.field(), Some("/id"));
        let bad_date = line.replacen("2026-01-05T08:00:00Z", "2026-02-30T08:00:00Z", 1);
        let e = SignedEvent::<Body>::from_json(bad_date.as_bytes()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FieldInvalid);
        assert_eq!(e.field(), Some("/at"));
    }

    /// The fast typed decoder answers for every kind, with every optional member filled, and
    /// gives what the derived decoder gives; it leaves anything wrong to the derived decoder,
    /// which names the fault (so the code and field are what they were).
    #[test]
    fn the_fast_typed_decoder_decodes_every_kind_and_defers_every_fault() {
        let examples = Body::examples();
        assert_eq!(examples.len(), crate::ledger::kinds::KINDS.len());
        for body in examples {
            let kind = body.kind();
            let event = Event::new(
                Timestamp::parse("2026-02-01T08:00:00Z").unwrap(),
                ActorId::new("agency:mod").unwrap(),
                vec![EventId::from_bytes([9; 32])],
                body,
            );
            let content = serde_json::to_value(&event).unwrap();
            let fast = typed_fast::<Body>(&content);
            assert_eq!(fast.as_ref(), Some(&event), "{kind}");
            assert_eq!(Event::<Body>::deserialize(&content).ok(), fast, "{kind}");

            // A body member of the wrong type, an unknown kind, a missing envelope member.
            let Value::Object(map) = &content else {
                panic!("{kind}: not an object")
            };
            let member = map
                .keys()
                .find(|k| !["v", "at", "actor", "parents", "kind"].contains(&k.as_str()))
                .cloned();
            let mut broken = Vec::new();
            if let Some(member) = member {
                let mut m = map.clone();
                let wrong = match m[&member] {
                    Value::Bool(_) => Value::String("yes".into()),
                    _ => Value::Bool(true),
                };
                m.insert(member, wrong);
                broken.push(m);
            }
            let mut m = map.clone();
            m.insert("kind".into(), Value::String("no_such_kind".into()));
            broken.push(m);
            let mut m = map.clone();
            m.remove("actor");
            broken.push(m);
            for m in broken {
                let value = Value::Object(m);
                assert!(typed_fast::<Body>(&value).is_none(), "{kind}: {value}");
                let e = typed::<Body>(&value).unwrap_err();
                assert_eq!(e.code(), ErrorCode::FieldInvalid, "{kind}: {value}");
            }
        }
    }

    /// Canonical lines take the tape (no `Value` tree): every kind with every optional member
    /// filled, with strings that need escapes, and the synthetic mix; each gives the event the
    /// full path gives.
    #[test]
    fn canonical_lines_of_every_kind_take_the_tape() {
        let key = Signer::from_seed([3; 32]);
        let mut lines = Vec::new();
        for body in Body::examples() {
            let event = Event::new(
                Timestamp::parse("2026-02-01T08:00:00Z").unwrap(),
                ActorId::new("agency:mod").unwrap(),
                vec![EventId::from_bytes([9; 32])],
                body,
            );
            lines.push(event.sign(&[&key]).unwrap().to_json().to_owned());
        }
        for e in crate::testkit::events(11, 300).unwrap() {
            lines.push(e.to_json().to_owned());
        }
        let (_, genesis) = genesis();
        let escaped = genesis
            .event()
            .clone()
            .sign(&[&key])
            .unwrap()
            .to_json()
            .replacen("\"name\":\"M\"", "\"name\":\"M \\\"é\\\\ \\n\\u001f\"", 1);
        let escaped = Event::<Body>::from_json(
            serde_json::to_vec(&{
                let mut v: Value = serde_json::from_str(&escaped).unwrap();
                let map = v.as_object_mut().unwrap();
                map.remove("id");
                map.remove("signatures");
                v
            })
            .unwrap()
            .as_slice(),
        )
        .unwrap()
        .sign(&[&key])
        .unwrap();
        assert!(escaped.to_json().contains("\\\""), "{}", escaped.to_json());
        lines.push(escaped.to_json().to_owned());
        for line in &lines {
            let tape = SignedEvent::<Body>::from_tape(line.as_bytes());
            let full =
                SignedEvent::<Body>::decode_value(line.as_bytes(), Bytes::Canonical).unwrap();
            assert_eq!(tape.as_ref(), Some(&full), "{line}");
        }
    }

    /// Whatever a canonical line never holds is left to the full path (`None`), which accepts
    /// it or names the fault: the tape never refuses and never accepts more.
    #[test]
    fn the_tape_leaves_all_else_to_the_full_path() {
        let (_, signed) = genesis();
        let line = signed.to_json();
        let hex = signed.id().to_hex();
        let other = format!(
            "{}{}",
            &hex[..63],
            if hex.ends_with('0') { "1" } else { "0" }
        );
        let cases = [
            // Not canonical, but the same event.
            (line.replacen('{', "{ ", 1), None),
            (line.replacen("\"v\":1", "\"v\":1.0", 1), None),
            (line.replacen("\"v\":1", "\"v\":1e0", 1), None),
            (
                line.replacen("\"name\":\"M\"", "\"name\":\"\\u004d\"", 1),
                None,
            ),
            // Faults, each named by the full path.
            (
                line.replacen("\"name\":\"M\"", "\"name\":\"M\",\"name\":\"N\"", 1),
                Some(ErrorCode::DuplicateMember),
            ),
            (line.replacen(&hex, &other, 1), Some(ErrorCode::IdMismatch)),
            (
                line.replacen("\"name\":\"M\"", "\"name\":\"\"", 1),
                Some(ErrorCode::SchemaViolation),
            ),
            (
                line.replacen("\"v\":1", "\"v\":-1", 1),
                Some(ErrorCode::SchemaViolation),
            ),
            (
                line.replacen("\"v\":1", "\"v\":-0", 1),
                Some(ErrorCode::SchemaViolation),
            ),
            (
                line.replacen("\"v\":1", "\"v\":18446744073709551616", 1),
                Some(ErrorCode::SchemaViolation),
            ),
            (
                line.replacen("2026-01-05T08:00:00Z", "2026-02-30T08:00:00Z", 1),
                Some(ErrorCode::FieldInvalid),
            ),
            (line.replacen("\"admin\"", "\"admin\",\"admin\"", 1), None),
            (format!("{line} "), None),
            // A raw control character (a canonical line escapes it; JSON refuses it raw).
            (
                line.replacen("\"name\":\"M\"", "\"name\":\"M\u{1}\"", 1),
                Some(ErrorCode::JsonMalformed),
            ),
            (
                line.replacen("\"name\":\"M\"", "\"name\":\"M\t\"", 1),
                Some(ErrorCode::JsonMalformed),
            ),
            (
                line[..line.len() - 1].to_owned(),
                Some(ErrorCode::JsonMalformed),
            ),
            (
                line.replacen("\"name\":\"M\"", "\"name\":\"M\\q\"", 1),
                Some(ErrorCode::JsonMalformed),
            ),
            (
                line.replacen("\"name\":\"M\"", "\"na\\u006de\":\"M\"", 1),
                None,
            ),
        ];
        for (bytes, code) in cases {
            assert_eq!(
                SignedEvent::<Body>::from_tape(bytes.as_bytes()),
                None,
                "{bytes}"
            );
            let full = SignedEvent::<Body>::from_canonical_json(bytes.as_bytes());
            match code {
                Some(code) => assert_eq!(full.unwrap_err().code(), code, "{bytes}"),
                None => {
                    let any = SignedEvent::<Body>::from_json(bytes.as_bytes());
                    // The same event in another form, or (a duplicate role, an escaped name)
                    // whatever the full path says of it: never the tape's verdict.
                    if let Ok(e) = any {
                        assert_ne!(e.to_json().as_bytes(), bytes.as_bytes(), "{bytes}");
                    }
                }
            }
        }
        assert!(SignedEvent::<Body>::from_tape(line.as_bytes()).is_some());
    }
}
