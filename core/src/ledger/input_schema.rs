//! The JSON Schema of the rule input document (`schemas/rule-input.schema.json`): what the
//! host gives rule plugins for one event. `custodia rules test` checks every sample against it,
//! and the plugin host checks every document the ledger builds in debug builds, so a sample
//! that is not what the ledger would give, or a document the ledger builds wrong, is caught.
//! The schema takes the event, items, lots and sites from `schemas/event.schema.json`.

use std::sync::OnceLock;

use serde_json::Value;

use crate::envelope::Schema;
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

fn build() -> Result<Schema, String> {
    let event: Value = serde_json::from_str(EVENT_SCHEMA).map_err(|e| e.to_string())?;
    let input: Value = serde_json::from_str(INPUT_SCHEMA).map_err(|e| e.to_string())?;
    Schema::new(&input, &[&event])
}

/// Checks an input document against `schemas/rule-input.schema.json`. The first mismatch, in
/// the order of pointers, is returned (a schema that does not compile is a build defect,
/// reported as a mismatch at `""`).
pub fn check_input(doc: &Value) -> Result<(), InputMismatch> {
    static CELL: OnceLock<Result<Schema, String>> = OnceLock::new();
    let schema = match CELL.get_or_init(build) {
        Ok(v) => v,
        Err(reason) => {
            return Err(InputMismatch {
                pointer: String::new(),
                reason: format!("the rule input schema does not compile: {reason}"),
            });
        }
    };
    let mut errors: Vec<(String, String)> = schema
        .faults(doc)
        .into_iter()
        .map(|f| (f.pointer, f.reason))
        .collect();
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
