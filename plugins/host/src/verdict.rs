//! What a plugin decides about one event.

use serde::{Deserialize, Serialize};

/// A remark that does not stop the event: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code, `[A-Z0-9_]{1,64}`, e.g. `NEQ_NEAR_LIMIT`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// A plugin's decision about one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The event complies with this rule.
    Allow {
        /// Remarks, in the order the plugin emitted them.
        warnings: Vec<Warning>,
    },
    /// The event breaks this rule.
    Deny {
        /// Stable code, `[A-Z0-9_]{1,64}`, e.g. `MARKING_INCOMPLETE`.
        code: String,
        /// Human-readable explanation.
        message: String,
        /// Remarks, in the order the plugin emitted them.
        warnings: Vec<Warning>,
    },
}

impl Verdict {
    /// Whether the verdict allows the event.
    pub fn is_allow(&self) -> bool {
        matches!(self, Verdict::Allow { .. })
    }

    /// The denial code, if the verdict denies.
    pub fn deny_code(&self) -> Option<&str> {
        match self {
            Verdict::Allow { .. } => None,
            Verdict::Deny { code, .. } => Some(code),
        }
    }

    /// The warnings, whatever the decision.
    pub fn warnings(&self) -> &[Warning] {
        match self {
            Verdict::Allow { warnings } | Verdict::Deny { warnings, .. } => warnings,
        }
    }
}
