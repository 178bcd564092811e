//! `revoke_key`: an actor (or an administrator) revokes one of the actor's keys. Signatures by
//! it on events appended later no longer count.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{ActorOp, Plan};
use crate::model::{ActorId, PublicKey, Role};

/// Revokes a key.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RevokeKey {
    /// Whose key.
    pub subject: ActorId,
    /// The revoked key.
    pub key: PublicKey,
    /// Why.
    pub reason: String,
}

impl Kind for RevokeKey {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        if &self.subject != p.actor {
            p.require_role(Role::Admin, Self::NAME)?;
        }
        let s = p
            .state
            .actors
            .get(&self.subject)
            .ok_or_else(|| p.unknown("/subject", &self.subject))?;
        if !s.keys.get(&self.key).is_some_and(|k| k.active) {
            return Err(p.err(
                "/key",
                ErrorKind::KeyNotActive {
                    key: self.key.to_string(),
                    actor: self.subject.to_string(),
                },
            ));
        }
        p.require_parent(s.last_event, &self.subject, &s.last_at)?;
        p.fx.actor_ops
            .push(ActorOp::RevokeKey(self.subject.clone(), self.key));
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> RevokeKey {
    RevokeKey {
        subject: crate::ledger::kinds::ex::id("unit:log-bn-2"),
        key: PublicKey::from_bytes([0x22; 32]),
        reason: "token lost".into(),
    }
}
