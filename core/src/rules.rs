//! The interface between the ledger and national rule plugins. `core` knows nothing of WASM:
//! the `custodia-plugins` crate implements [`RuleEngine`] with sandboxed WASM modules, and a
//! `rules_in_force` event names the plugins (by [`RuleRef`]) that judge every later event.

pub use crate::envelope::{Fault as SchemaFault, Schema};
pub use crate::error::RuleFailure;
pub use crate::ledger::input_schema::{INPUT_SCHEMA, InputMismatch, check_input};
pub use crate::ledger::{
    Answer, DivisionHolding, FullCount, RuleEngine, RuleOutcome, RuleQueries, RuleWarning,
};
pub use crate::model::RuleRef;
