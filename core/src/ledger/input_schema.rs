//! The JSON Schema of the rule input document (`schemas/rule-input.schema.json`): what the
//! host gives rule plugins for one event. `custodia rules test` checks every sample against it,
//! and the plugin host checks every document the ledger builds in debug builds, so a sample
//! that is not what the ledger would give, or a document the ledger builds wrong, is caught.
//! The schema takes the event, items, lots and sites from `schemas/event.schema.json`.

use std::sync::OnceLock;

use serde_json::Value;

use crate::envelope::schema::EVENT_SCHEMA;

/// `schemas/rule-input.schema.json`.
pub const INPUT_SCHEMA: &str = include_str!("../../../schemas/rule-input.schema.json");

/// Where an input document breaks the schema: the JSON Pointer of the first offending value
/// in the document and the validator's explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputMismatch {
    /// JSON Pointer of the offending value (`""`: the whole document).
    pub pointer: String,
    /// What is wrong there.
    pub reason: String,
}

impl std::fmt::Display for InputMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at `{}`: {}", self.pointer, self.reason)
    }
}

fn build() -> Result<jsonschema::Validator, String> {
    let event: Value = serde_json::from_str(EVENT_SCHEMA).map_err(|e| e.to_string())?;
    let input: Value = serde_json::from_str(INPUT_SCHEMA).map_err(|e| e.to_string())?;
    let event_id = event
        .get("$id")
        .and_then(Value::as_str)
        .ok_or("the event schema has no `$id`")?
        .to_owned();
    let registry = jsonschema::Registry::new()
        .add(event_id.as_str(), event)
        .map_err(|e| e.to_string())?
        .prepare()
        .map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_registry(&registry)
        .build(&input)
        .map_err(|e| e.to_string())
}

/// Checks an input document against `schemas/rule-input.schema.json`. The first mismatch, in
/// document order, is returned (a schema that does not compile is a build defect, reported
/// as a mismatch at `""`).
pub fn check_input(doc: &Value) -> Result<(), InputMismatch> {
    static CELL: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    let validator = match CELL.get_or_init(build) {
        Ok(v) => v,
        Err(reason) => {
            return Err(InputMismatch {
                pointer: String::new(),
                reason: format!("the rule input schema does not compile: {reason}"),
            });
        }
    };
    let mut errors: Vec<(String, String)> = validator
        .iter_errors(doc)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect();
    // The deepest pointer first among equals is the most precise; document order otherwise.
    errors.sort();
    match errors.into_iter().next() {
        None => Ok(()),
        Some((pointer, reason)) => Err(InputMismatch { pointer, reason }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn the_schema_compiles_and_refuses_what_is_not_a_document() {
        let e = check_input(&json!([1, 2])).unwrap_err();
        assert_eq!(e.pointer, "");
        let e = check_input(&json!({"abi": 1})).unwrap_err();
        assert_eq!(e.pointer, "");
    }
}
