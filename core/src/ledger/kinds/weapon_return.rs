//! `weapon_return` (format version 2): weapons issued to a person come back to the armoury
//! holding they were issued from. The armoury records it; at a site under the two-person rule
//! the person returning them signs too. The issue closes once every weapon is back.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held, holding};
use crate::model::{EventId, ItemId};

/// Weapons returned by a person.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct WeaponReturn {
    /// The `weapon_issue` they were issued by.
    pub issue: EventId,
    /// The weapons returned.
    pub items: Vec<ItemId>,
    /// Remarks (the condition they came back in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Kind for WeaponReturn {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        let id = self.issue;
        let open = p
            .state
            .lifecycle
            .issues
            .get(&id)
            .ok_or_else(|| p.unknown("/issue", id))?;
        p.require_parent(id, crate::ledger::plan::ParentOf::Event("issue", id), &open.at)?;
        if !p.state.acts_for(p.actor, &open.from.custodian) {
            return Err(p.not_custodian("/actor", &open.from.custodian));
        }
        let site = p.site("/issue", &open.from.site)?;
        p.something_moves(&self.items, &[])?;
        p.distinct_items("/items", &self.items)?;
        for (i, item) in self.items.iter().enumerate() {
            let f = field("/items", i, "");
            if !open.items.contains(item) {
                return Err(p.err(
                    f,
                    ErrorKind::NotOnIssue {
                        item: item.to_string(),
                        issue: id,
                    },
                ));
            }
            p.move_item(
                f,
                item,
                &held(&open.from.site, &open.person),
                holding(&open.from),
            )?;
        }
        p.two_persons(site, &open.person)?;
        p.fx.lifecycle.return_items = Some((id, self.items.clone()));
        p.focus_site = Some(open.from.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> WeaponReturn {
    use crate::ledger::kinds::ex::{event, id};
    WeaponReturn {
        issue: event(0xd1),
        items: vec![id("item:ak47-kz-1987-00123")],
        note: Some("returned clean, magazine empty".into()),
    }
}
