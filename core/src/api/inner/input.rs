//! Reading events to append or sign: JSON lines streamed with every line, the batch's bytes
//! and its event count bounded, and signers checked as soon as each event is decoded.

use super::*;

/// The non-blank lines of an input held in memory, each bounded in size.
fn lines(jsonl: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    for line in jsonl.split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.len() > INPUT_LINE_BYTES_MAX {
            return Err(Error::new(ErrorKind::EventTooLarge {
                bytes: line.len() as u64,
                max: INPUT_LINE_BYTES_MAX as u64,
            })
            .at_index(out.len() as u64));
        }
        if out.len() >= BATCH_EVENTS_MAX {
            return Err(ErrorKind::BatchTooLarge {
                events: out.len() as u64 + 1,
                max: BATCH_EVENTS_MAX as u64,
            }
            .into());
        }
        out.push(line);
    }
    Ok(out)
}

/// Most bytes one batch read from JSON lines may hold: with [`BATCH_EVENTS_MAX`] events and a
/// line per event of at most an event's size (1 MiB), what a hostile input can make the
/// reader keep in memory.
pub const BATCH_BYTES_MAX: usize = 256 << 20;

/// Lines decoded together on all cores while reading a batch: at most this many, and no more
/// than [`READ_CHUNK_BYTES_MAX`] bytes, so that a hostile input is refused after a few MiB.
const READ_CHUNK_LINES: usize = 1024;
/// Bytes of lines read before they are decoded and their signers checked.
const READ_CHUNK_BYTES_MAX: usize = 8 << 20;

/// Reads one line into `buf` (without its newline), never holding more than
/// `INPUT_LINE_BYTES_MAX + 1` bytes of it: a longer line is refused as soon as the limit is
/// passed, whatever its length. `Ok(false)` at the end of the input.
fn read_line_bounded(
    reader: &mut dyn std::io::BufRead,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    use std::io::{BufRead as _, Read as _};
    buf.clear();
    let limit = (INPUT_LINE_BYTES_MAX + 1) as u64;
    let n = (&mut *reader).take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        Ok(Some(true))
    } else {
        // No newline: the end of the input, or a line longer than the limit.
        Ok(Some(buf.len() <= INPUT_LINE_BYTES_MAX))
    }
}

/// Decodes one chunk of lines on all cores; the first failure names its index.
fn decode_chunk(lines: &[Vec<u8>], first_index: u64) -> Result<Vec<SignedEvent>> {
    let decoded = crate::store::parallel_map(lines, |l| SignedEvent::from_json(l));
    let mut out = Vec::with_capacity(decoded.len());
    for (i, (d, line)) in decoded.into_iter().zip(lines).enumerate() {
        match d {
            Ok(e) => out.push(e),
            Err(e) => {
                let mut err = e.at_index(first_index + i as u64);
                if let Some(id) = serde_json::from_slice::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| crate::envelope::event_id_of(&v).ok())
                {
                    err = err.for_event(id);
                }
                return Err(err);
            }
        }
    }
    Ok(out)
}

/// Refuses, as soon as it is decoded, an event signed by a key that is neither registered in
/// the ledger nor registered by an earlier event of the batch: nothing more of a hostile input
/// is read once its first event is known to be refused.
struct EarlySigners<'s> {
    state: &'s crate::ledger::State,
    batch_keys: std::collections::HashSet<crate::model::PublicKey>,
}

impl EarlySigners<'_> {
    fn check(&mut self, event: &SignedEvent, index: u64) -> Result<()> {
        let registered = match &event.event.body {
            crate::ledger::Body::RegisterActor(r) => r.subject.keys.clone(),
            crate::ledger::Body::AddKey(a) => vec![a.key],
            _ => Vec::new(),
        };
        let genesis = self.state.event_count() == 0 && index == 0;
        for (i, sig) in event.signatures.iter().enumerate() {
            let known = self.state.key_owner.contains_key(&sig.key)
                || self.batch_keys.contains(&sig.key)
                || (genesis && registered.contains(&sig.key));
            if !known {
                return Err(crate::error::at(
                    event.id,
                    format!("/signatures/{i}"),
                    ErrorKind::UnknownKey {
                        key: sig.key.to_string(),
                    },
                )
                .at_index(index));
            }
        }
        self.batch_keys.extend(registered);
        Ok(())
    }
}

impl Inner {
    pub(crate) fn sign_lines(&self, jsonl: &[u8], signers: &[&Signer]) -> Result<Vec<SignedEvent>> {
        if signers.is_empty() {
            return Err(ErrorKind::InvalidArgument {
                argument: "keys".into(),
                value: String::new(),
                reason: "at least one signing key is needed (the recording actor's first)".into(),
            }
            .into());
        }
        let mut store = self.store()?;
        // A scratch copy: the next event's parents follow from the ones signed before it.
        let mut state = store.state()?.clone();
        drop(store);
        let mut out = Vec::new();
        for (index, line) in lines(jsonl)?.into_iter().enumerate() {
            let index = index as u64;
            let signed = sign_line(line, &state, signers).map_err(|e| e.at_index(index))?;
            state
                .apply(
                    &signed,
                    SignatureCheck::Verify,
                    Some(&crate::ledger::RecordedVerdicts),
                )
                .map_err(|e| e.for_event(signed.id).at_index(index))?;
            out.push(signed);
        }
        if out.is_empty() {
            return Err(ErrorKind::BatchEmpty.into());
        }
        Ok(out)
    }

    /// Reads and decodes one batch of JSON lines, bounded in line size, event count and total
    /// bytes, refusing an event by an unknown key as soon as it is decoded.
    pub(crate) fn read_batch(&self, reader: &mut dyn std::io::BufRead) -> Result<Vec<SignedEvent>> {
        let mut store = self.store()?;
        let state = store.state()?;
        let mut signers = EarlySigners {
            state,
            batch_keys: std::collections::HashSet::new(),
        };
        let mut events = Vec::new();
        let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(READ_CHUNK_LINES);
        let mut buf = Vec::new();
        let mut total: usize = 0;
        let mut chunk_bytes: usize = 0;
        let mut index: u64 = 0;
        let io = |e: std::io::Error| {
            Error::new(ErrorKind::Io {
                operation: "read".into(),
                path: "the events".into(),
                reason: e.to_string(),
            })
        };
        loop {
            let line = read_line_bounded(reader, &mut buf).map_err(io)?;
            let at_end = line.is_none();
            if let Some(within) = line {
                if !within {
                    return Err(Error::new(ErrorKind::EventTooLarge {
                        bytes: buf.len() as u64,
                        max: INPUT_LINE_BYTES_MAX as u64,
                    })
                    .at_index(index + chunk.len() as u64));
                }
                if !buf.iter().all(u8::is_ascii_whitespace) {
                    total = total.saturating_add(buf.len());
                    if total > BATCH_BYTES_MAX {
                        return Err(Error::new(ErrorKind::BatchTooLarge {
                            events: index + chunk.len() as u64 + 1,
                            max: BATCH_EVENTS_MAX as u64,
                        })
                        .at_field(format!("more than {BATCH_BYTES_MAX} bytes")));
                    }
                    if index + chunk.len() as u64 >= BATCH_EVENTS_MAX as u64 {
                        return Err(ErrorKind::BatchTooLarge {
                            events: index + chunk.len() as u64 + 1,
                            max: BATCH_EVENTS_MAX as u64,
                        }
                        .into());
                    }
                    chunk_bytes += buf.len();
                    chunk.push(std::mem::take(&mut buf));
                }
            }
            let full = chunk.len() >= READ_CHUNK_LINES || chunk_bytes >= READ_CHUNK_BYTES_MAX;
            if full || (at_end && !chunk.is_empty()) {
                chunk_bytes = 0;
                for (i, e) in decode_chunk(&chunk, index)?.into_iter().enumerate() {
                    signers.check(&e, index + i as u64)?;
                    events.push(e);
                }
                index += chunk.len() as u64;
                chunk.clear();
            }
            if at_end {
                break;
            }
        }
        Ok(events)
    }
}

fn sign_line(
    line: &[u8],
    state: &crate::ledger::State,
    signers: &[&Signer],
) -> Result<SignedEvent> {
    let mut value = crate::envelope::parse_json(line)?;
    let Some(obj) = value.as_object_mut() else {
        return Err(Error::new(ErrorKind::SchemaViolation {
            reason: "an event must be a JSON object".into(),
        })
        .at_field(""));
    };
    if obj.contains_key("id") || obj.contains_key("signatures") {
        return Err(ErrorKind::AlreadySigned.into());
    }
    obj.entry("v")
        .or_insert(serde_json::json!(crate::envelope::FORMAT_VERSION));
    let fill = obj
        .get("parents")
        .and_then(|p| p.as_array())
        .is_none_or(|p| p.is_empty());
    obj.entry("parents").or_insert(serde_json::json!([]));
    let mut event = Event::from_value(&value)?;
    if fill {
        event.parents = state.required_parents(&event)?;
    }
    event.sign(signers)
}
