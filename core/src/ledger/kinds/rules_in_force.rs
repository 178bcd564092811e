//! `rules_in_force`: an administrator puts a set of rule plugins (by identity hash) in force
//! from this event on, replacing the previous set. Every later event is judged by them.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::Plan;
use crate::model::{Role, RuleRef};

/// Puts rule plugins in force.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RulesInForce {
    /// The plugins, by identity hash.
    pub rules: Vec<RuleRef>,
}

impl Kind for RulesInForce {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.require_role(Role::Admin, Self::NAME)?;
        match (&p.state.rules_event, p.actor_state) {
            (Some((prev, at)), _) => p.require_parent(*prev, "rules in force", at)?,
            (None, Some(a)) => p.require_parent(a.last_event, p.actor, &a.last_at)?,
            (None, None) => {}
        }
        p.fx.rules = Some(self.rules.clone());
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> RulesInForce {
    RulesInForce {
        rules: vec![RuleRef {
            name: "witnesses".into(),
            version: "1.0.0".into(),
            sha256: crate::ledger::kinds::ex::event(0x5a),
        }],
    }
}
