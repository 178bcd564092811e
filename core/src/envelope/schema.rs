//! JSON Schema validation of events, before any typed decoding. The schema is
//! `schemas/event.schema.json`, compiled into the library; each event is checked against the
//! schema of its own kind only (`$defs/event_<kind>`), chosen by its `kind` member.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};

/// The schema of one event (`schemas/event.schema.json`).
pub(crate) const EVENT_SCHEMA: &str = include_str!("../../../schemas/event.schema.json");

struct Validators {
    /// The schema's `$defs`, which every kind's validator refers into.
    defs: Value,
    /// Per kind: its validators, each compiled when first used: a command that reads a few
    /// kinds does not pay for compiling every kind's (about 1 ms each).
    by_kind: HashMap<String, KindValidators>,
    kinds: Vec<String>,
}

/// A validator compiled when first used, or why it does not compile.
type Lazy = OnceLock<std::result::Result<jsonschema::Validator, String>>;

/// One kind's validators: of the unsigned event, and of the signed one (`id` and `signatures`
/// required).
#[derive(Default)]
struct KindValidators {
    unsigned: Lazy,
    signed: Lazy,
}

fn build() -> std::result::Result<Validators, String> {
    let schema: Value = serde_json::from_str(EVENT_SCHEMA).map_err(|e| e.to_string())?;
    let defs = schema
        .get("$defs")
        .cloned()
        .ok_or("the schema has no `$defs`")?;
    let kinds: Vec<String> = schema
        .pointer("/properties/kind/enum")
        .and_then(Value::as_array)
        .ok_or("the schema lists no kinds at `/properties/kind/enum`")?
        .iter()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    let mut by_kind = HashMap::new();
    for kind in &kinds {
        if defs.get(format!("event_{kind}")).is_none() {
            return Err(format!("the schema has no `$defs/event_{kind}`"));
        }
        by_kind.insert(kind.clone(), KindValidators::default());
    }
    Ok(Validators {
        defs,
        by_kind,
        kinds,
    })
}

/// The validator of one kind's events, unsigned or signed (`id` and `signatures` required).
fn compile(
    defs: &Value,
    kind: &str,
    signed: bool,
) -> std::result::Result<jsonschema::Validator, String> {
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/$defs/event_{kind}"),
        "$defs": defs,
    });
    if signed && let Value::Object(map) = &mut schema {
        map.insert("required".into(), json!(["id", "signatures"]));
    }
    jsonschema::validator_for(&schema).map_err(|e| format!("`{kind}`: {e}"))
}

fn schema_broken(reason: &str) -> Error {
    Error::new(ErrorKind::Internal {
        detail: format!("the event schema does not compile: {reason}"),
    })
}

fn validators() -> Result<&'static Validators> {
    static CELL: OnceLock<std::result::Result<Validators, String>> = OnceLock::new();
    CELL.get_or_init(build)
        .as_ref()
        .map_err(|reason| schema_broken(reason))
}

/// The kinds the schema knows, in its order.
#[cfg(test)]
pub(crate) fn schema_kinds() -> Result<&'static [String]> {
    Ok(&validators()?.kinds)
}

fn check(validator: &jsonschema::Validator, value: &Value) -> Result<()> {
    // Most events are valid: the boolean check stops at nothing and builds no error; the
    // errors are collected only for an event it refuses (the same validator, so the same
    // verdict).
    if validator.is_valid(value) {
        return Ok(());
    }
    // Report the deepest error first: "`/lot/quantity`: -1 is less than 0" beats
    // "does not match any of the kinds".
    let mut best: Option<(String, String)> = None;
    for error in validator.iter_errors(value) {
        let mut field = error.instance_path().to_string();
        // A missing member is named by its own pointer, not its object's.
        if let jsonschema::error::ValidationErrorKind::Required { property } = error.kind()
            && let Some(name) = property.as_str()
        {
            field.push('/');
            field.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        let better = best.as_ref().is_none_or(|(f, _)| field.len() > f.len());
        if better {
            best = Some((field, error.to_string()));
        }
    }
    match best {
        None => Ok(()),
        Some((field, reason)) => {
            Err(Error::new(ErrorKind::SchemaViolation { reason }).at_field(field))
        }
    }
}

/// Checks an event object against the schema of its kind; `signed` also requires `id` and
/// `signatures`.
pub(crate) fn check_event(value: &Value, signed: bool) -> Result<()> {
    let v = validators()?;
    let Some(obj) = value.as_object() else {
        return Err(Error::new(ErrorKind::SchemaViolation {
            reason: "an event is a JSON object".into(),
        })
        .at_field(""));
    };
    let kind = match obj.get("kind") {
        Some(Value::String(k)) => k,
        Some(other) => {
            return Err(Error::new(ErrorKind::SchemaViolation {
                reason: format!("`kind` must be a string, not {other}"),
            })
            .at_field("/kind"));
        }
        None => {
            return Err(Error::new(ErrorKind::SchemaViolation {
                reason: "\"kind\" is a required property".into(),
            })
            .at_field("/kind"));
        }
    };
    let Some(of_kind) = v.by_kind.get(kind) else {
        return Err(Error::new(ErrorKind::SchemaViolation {
            reason: format!(
                "`{kind}` is not one of the event kinds: {}",
                v.kinds.join(", ")
            ),
        })
        .at_field("/kind"));
    };
    let cell = if signed {
        &of_kind.signed
    } else {
        &of_kind.unsigned
    };
    let validator = cell
        .get_or_init(|| compile(&v.defs, kind, signed))
        .as_ref()
        .map_err(|reason| schema_broken(reason))?;
    check(validator, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn the_deepest_error_is_reported() {
        // Two errors: a missing `into` (at the root) and a negative quantity deeper down is not
        // possible in one kind; use a bad timestamp (at `/at`) and a bad nested id.
        let v = json!({"v": 1, "kind": "lot_merge", "at": "yesterday", "actor": "unit:a",
            "parents": [], "site": "depot:a", "custodian": "unit:a",
            "lots": [{"lot": "lot:a", "quantity": -1}], "into": {"id": "lot:b", "lot_number": "B"}});
        let e = check_event(&v, false).unwrap_err();
        assert_eq!(e.code(), ErrorCode::SchemaViolation);
        assert_eq!(e.field(), Some("/lots/0/quantity"));
    }

    #[test]
    fn every_kind_compiles_unsigned_and_signed() {
        // Validators are compiled when first used; this compiles them all, so that a schema
        // that does not compile fails here and not on some ministry's first event of a kind.
        let v = validators().unwrap();
        assert!(!v.kinds.is_empty());
        for kind in &v.kinds {
            for signed in [false, true] {
                compile(&v.defs, kind, signed).unwrap();
            }
        }
    }

    #[test]
    fn unknown_kinds_and_non_objects() {
        let e = check_event(&json!({"kind": "teleport"}), false).unwrap_err();
        assert_eq!(e.field(), Some("/kind"));
        let e = check_event(&json!([1, 2]), false).unwrap_err();
        assert_eq!(e.field(), Some(""));
    }
}
