//! `add_key`: an administrator gives an actor another key.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::envelope::check_registered_key;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{ActorOp, Plan};
use crate::model::{ActorId, PublicKey, Role};

/// Adds a key to an actor.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct AddKey {
    /// Whose key.
    pub subject: ActorId,
    /// The new key.
    pub key: PublicKey,
}

impl Kind for AddKey {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.require_role(Role::Admin, Self::NAME)?;
        let s = p
            .state
            .actors
            .get(&self.subject)
            .ok_or_else(|| p.unknown("/subject", &self.subject))?;
        if p.state.key_owner.contains_key(&self.key) {
            return Err(p.already_exists("/key", self.key));
        }
        check_registered_key(&self.key, p.version).map_err(|e| e.for_event(p.id).at_field("/key"))?;
        p.require_parent(s.last_event, &self.subject, &s.last_at)?;
        p.fx.actor_ops
            .push(ActorOp::AddKey(self.subject.clone(), self.key));
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> AddKey {
    AddKey {
        subject: crate::ledger::kinds::ex::id("unit:log-bn-2"),
        key: PublicKey::from_bytes([0x22; 32]),
    }
}
