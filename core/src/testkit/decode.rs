//! Oracles for hostile input bytes, shared by the `decode_event` and `replay` fuzz targets and
//! `core/tests/decode_oracles.rs`: decoding one event (lenient and canonical), verifying a JSON
//! lines export, and appending lines after a valid history (the committed test vectors).
//!
//! Each oracle returns `Err` with a description when it is broken (a bug in custodia).

use std::sync::OnceLock;

use crate::event::{Event, SignedEvent, Signer};
use crate::{BalanceFilter, Ledger, Options};

/// Any bytes as one event: decoding never panics; whatever decodes re-encodes to its canonical
/// line, which decodes back to the same event with the same id (`decode(encode(x)) == x`);
/// bytes accepted where they must be canonical are exactly that line, and what the lenient
/// decoder refuses the strict one refuses too; an unsigned event round-trips as well.
pub fn check_event_bytes(data: &[u8]) -> Result<(), String> {
    match SignedEvent::from_json(data) {
        Ok(event) => {
            let line = event.to_json();
            let again = SignedEvent::from_canonical_json(line.as_bytes())
                .map_err(|e| format!("an event's canonical line does not decode: {e}"))?;
            if again != event {
                return Err("the canonical line decodes to another event".into());
            }
            if again.event().id().map_err(|e| e.to_string())? != event.id() {
                return Err("the canonical line's content hashes to another id".into());
            }
            if let Ok(strict) = SignedEvent::from_canonical_json(data)
                && (strict.to_json().as_bytes() != data || strict != event)
            {
                return Err("bytes accepted as canonical are not the canonical line".into());
            }
        }
        Err(_) => {
            if SignedEvent::from_canonical_json(data).is_ok() {
                return Err("the strict decoder accepts what the lenient one refuses".into());
            }
        }
    }
    if let Ok(event) = Event::from_json(data) {
        let text = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
        let again = Event::from_json(&text)
            .map_err(|e| format!("an encoded unsigned event does not decode: {e}"))?;
        if again != event {
            return Err("an unsigned event does not round-trip".into());
        }
        if again.id().map_err(|e| e.to_string())? != event.id().map_err(|e| e.to_string())? {
            return Err("an unsigned event's id changes in a round trip".into());
        }
    }
    Ok(())
}

/// Any bytes as a JSON lines export given to [`crate::verify_jsonl`]: it never panics; a
/// report that says ok counted exactly the non-blank lines, each of which is a canonical
/// signed event; a failure names an event within the input.
pub fn check_jsonl(data: &[u8]) -> Result<(), String> {
    let report = crate::verify_jsonl(std::io::Cursor::new(data), None);
    let lines: Vec<&[u8]> = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    if report.ok {
        if report.failure.is_some() {
            return Err("an ok report carries a failure".into());
        }
        if report.events != lines.len() as u64 {
            return Err(format!(
                "ok after {} events, but the input has {} lines",
                report.events,
                lines.len()
            ));
        }
        for line in lines {
            SignedEvent::from_canonical_json(line)
                .map_err(|e| format!("an ok export holds a line that does not decode: {e}"))?;
        }
    } else {
        let failure = report
            .failure
            .as_ref()
            .ok_or("a failed report names no failure")?;
        if let Some(index) = failure.index()
            && index > lines.len() as u64
        {
            return Err(format!(
                "the failure names event {index} of {} lines",
                lines.len()
            ));
        }
    }
    Ok(())
}

/// The committed test vectors' events, minus the final `rules_in_force`, decoded once.
fn vector_events() -> Result<&'static [SignedEvent], String> {
    static EVENTS: OnceLock<Result<Vec<SignedEvent>, String>> = OnceLock::new();
    let events = EVENTS.get_or_init(|| {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/vectors/events.json"))
                .map_err(|e| e.to_string())?;
        let list = doc
            .get("events")
            .and_then(serde_json::Value::as_array)
            .ok_or("the vectors hold no events")?;
        let mut out = Vec::new();
        for e in list {
            if e.get("kind").and_then(serde_json::Value::as_str) == Some("rules_in_force") {
                continue;
            }
            let line = e
                .get("jsonl")
                .and_then(serde_json::Value::as_str)
                .ok_or("a vector without `jsonl`")?;
            out.push(SignedEvent::from_canonical_json(line.as_bytes()).map_err(|e| e.to_string())?);
        }
        Ok(out)
    });
    match events {
        Ok(events) => Ok(events),
        Err(e) => Err(e.clone()),
    }
}

/// The replay oracle: a ledger holding a prefix of the test vectors (its length chosen by the
/// first byte) takes the rest of the bytes one line at a time. It never panics, a refused line
/// changes nothing (length, signed tree head, balances) and is a typed error of the families
/// input to rule, and the state's invariants hold after every accepted one.
pub fn check_replay(data: &[u8]) -> Result<(), String> {
    let events = vector_events()?;
    let (prefix, lines) = match data.split_first() {
        Some((&b, rest)) => (usize::from(b) % (events.len() + 1), rest),
        None => (0, data),
    };
    let s = |e: crate::Error| e.to_string();
    let mut ledger =
        Ledger::in_memory(Options::new().log_key(Signer::from_seed(super::ops::OPS_LOG_KEY_SEED)))
            .map_err(s)?;
    if let Some(head) = events.get(..prefix)
        && !head.is_empty()
    {
        ledger.append(head).map_err(s)?;
    }
    for line in lines.split(|b| *b == b'\n') {
        let before = (
            ledger.len().map_err(s)?,
            ledger.tree_head().map_err(s)?,
            ledger.balances(&BalanceFilter::default()).map_err(s)?,
        );
        match ledger.append_json_lines(line) {
            Ok(report) => {
                if report.ledger_len != before.0 + report.events.len() as u64 {
                    return Err("an append's report miscounts the ledger".into());
                }
                ledger
                    .check_invariants()
                    .map_err(|e| format!("invariant broken: {e}"))?;
            }
            Err(e) => {
                if !super::ops::refusal_expected(&e) {
                    return Err(format!("a line was refused with an unexpected error: {e}"));
                }
                let after = (
                    ledger.len().map_err(s)?,
                    ledger.tree_head().map_err(s)?,
                    ledger.balances(&BalanceFilter::default()).map_err(s)?,
                );
                if after != before {
                    return Err(format!("a refused line changed the ledger: {e}"));
                }
            }
        }
    }
    Ok(())
}
