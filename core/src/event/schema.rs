//! JSON Schema validation of input documents, before any typed decoding. The schemas are the
//! files in the repository's `schemas/` folder, compiled into the library.

use std::sync::OnceLock;

use serde_json::Value;

use crate::event::DecodeError;

/// The schema of one event (`schemas/event.schema.json`).
pub(crate) const EVENT_SCHEMA: &str = include_str!("../../../schemas/event.schema.json");

struct Validators {
    unsigned: jsonschema::Validator,
    signed: jsonschema::Validator,
}

fn validators() -> Result<&'static Validators, DecodeError> {
    static CELL: OnceLock<Result<Validators, String>> = OnceLock::new();
    let built = CELL.get_or_init(|| {
        let schema: Value = serde_json::from_str(EVENT_SCHEMA).map_err(|e| e.to_string())?;
        let unsigned = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
        // A signed event is an event that also carries `id` and `signatures`.
        let mut signed_schema = schema;
        if let Value::Object(map) = &mut signed_schema {
            let mut required = map
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            required.extend([Value::from("id"), Value::from("signatures")]);
            map.insert("required".into(), Value::Array(required));
        }
        let signed = jsonschema::validator_for(&signed_schema).map_err(|e| e.to_string())?;
        Ok(Validators { unsigned, signed })
    });
    built.as_ref().map_err(|reason| DecodeError::Encode {
        reason: format!("event schema does not compile: {reason}"),
    })
}

fn check(validator: &jsonschema::Validator, value: &Value) -> Result<(), DecodeError> {
    // Report the deepest error first: "`/lot/quantity`: -1 is less than 0" beats
    // "does not match any of the kinds".
    let mut best: Option<(String, String)> = None;
    for error in validator.iter_errors(value) {
        let field = error.instance_path().to_string();
        let reason = error.to_string();
        let better = best.as_ref().is_none_or(|(f, _)| field.len() > f.len());
        if better {
            best = Some((field, reason));
        }
    }
    match best {
        None => Ok(()),
        Some((field, reason)) => Err(DecodeError::Schema { field, reason }),
    }
}

/// Checks an event that may or may not carry `id` and `signatures`.
pub(crate) fn check_unsigned_event(value: &Value) -> Result<(), DecodeError> {
    check(&validators()?.unsigned, value)
}

/// Checks a signed event: as [`check_unsigned_event`], and `id` and `signatures` are required.
pub(crate) fn check_signed_event(value: &Value) -> Result<(), DecodeError> {
    check(&validators()?.signed, value)
}
