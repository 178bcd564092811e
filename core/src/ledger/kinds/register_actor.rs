//! `register_actor`: an administrator registers an agency, unit or person with its roles and
//! keys. The first event of every ledger registers its first administrator, signed by itself.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::envelope::check_registered_key;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{ActorOp, Plan, field};
use crate::model::{Actor, ActorKind, Role};

/// Registers an actor.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RegisterActor {
    /// The new actor.
    pub subject: Actor,
}

impl Kind for RegisterActor {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        let subject = &self.subject;
        if let Some(a) = p.actor_state {
            // Not the genesis event (which `apply` checks): only an administrator registers.
            p.require_role(Role::Admin, Self::NAME)?;
            p.require_parent(a.last_event, p.actor, &a.last_at)?;
        }
        p.new_id('a', "/subject/id", subject.id.as_str())?;
        if let Some(parent) = &subject.member_of {
            let parent_state = p
                .state
                .actors
                .get(parent)
                .ok_or_else(|| p.unknown("/subject/member_of", parent))?;
            if parent_state.actor.kind == ActorKind::Person {
                return Err(p.err(
                    "/subject/member_of",
                    ErrorKind::MemberOfPerson {
                        parent: parent.to_string(),
                    },
                ));
            }
        }
        if p.version < 2
            && let Some(i) = subject
                .roles
                .iter()
                .position(|r| *r == Role::TechnicalAuthority)
        {
            return Err(p.err(
                field("/subject/roles", i, ""),
                ErrorKind::FieldInvalid {
                    value: Role::TechnicalAuthority.as_str().into(),
                    reason: "the `technical_authority` role exists from format version 2".into(),
                },
            ));
        }
        if subject.keys.is_empty() {
            return Err(p.err("/subject/keys", ErrorKind::NoKeys));
        }
        for (i, key) in subject.keys.iter().enumerate() {
            let f = field("/subject/keys", i, "");
            if p.state.key_owner.contains_key(key)
                || subject.keys.iter().take(i).any(|k| k == key)
            {
                return Err(p.already_exists(f, key));
            }
            check_registered_key(key, p.version).map_err(|e| e.for_event(p.id).at_field(f))?;
        }
        p.fx.actor_ops.push(ActorOp::Register(subject.clone()));
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> RegisterActor {
    use crate::model::PublicKey;
    RegisterActor {
        subject: Actor {
            id: crate::ledger::kinds::ex::id("person:inspector-7"),
            kind: ActorKind::Person,
            name: "Inspector Seven".into(),
            member_of: Some(crate::ledger::kinds::ex::id("agency:attorney-general")),
            roles: vec![Role::Witness, Role::Inspector, Role::TechnicalAuthority],
            keys: vec![PublicKey::from_bytes([0x11; 32])],
        },
    }
}
