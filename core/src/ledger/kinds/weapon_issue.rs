//! `weapon_issue` (format version 2): weapons issued from an armoury holding to a person's
//! custody for a period (a duty, a patrol, an exercise) and returned by `weapon_return`. The
//! person must be registered as a person; a weapon out on issue cannot be issued again; at a
//! site under the two-person rule the issuer and the person both sign. A weapon still out when
//! the period ends is overdue (`Ledger::overdue_issues`).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::kinds::Kind;
use crate::ledger::lifecycle::OpenIssue;
use crate::ledger::plan::{Plan, field, held, holding};
use crate::model::{ActorId, ActorKind, ItemId, Place, Timestamp};

/// Weapons issued to a person.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct WeaponIssue {
    /// The armoury holding they are issued from.
    pub from: Place,
    /// The person who receives them, registered as a person.
    pub to: ActorId,
    /// The weapons.
    pub items: Vec<ItemId>,
    /// The end of the issue period: by then they are to be back.
    pub due: Timestamp,
    /// Duty roster, order or issue voucher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Kind for WeaponIssue {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        let site = p.site("/from/site", &self.from.site)?;
        p.custodian("/from/custodian", &self.from.custodian)?;
        match p.state.actors.get(&self.to) {
            None => return Err(p.unknown("/to", &self.to)),
            Some(a) if a.actor.kind != ActorKind::Person => {
                return Err(p.err(
                    "/to",
                    ErrorKind::NotAPerson {
                        actor: self.to.to_string(),
                    },
                ));
            }
            Some(_) => {}
        }
        if &self.due <= p.at {
            return Err(p.err(
                "/due",
                ErrorKind::FieldInvalid {
                    value: self.due.to_string(),
                    reason: format!("the issue period ends before it begins (`{}`)", p.at),
                },
            ));
        }
        p.something_moves(&self.items, &[])?;
        p.distinct_items("/items", &self.items)?;
        for (i, id) in self.items.iter().enumerate() {
            let f = field("/items", i, "");
            if let Some((issue, open)) = p.state.lifecycle.issue_of(id) {
                return Err(p.err(
                    f,
                    ErrorKind::AlreadyIssued {
                        item: id.to_string(),
                        person: open.person.to_string(),
                        issue,
                    },
                ));
            }
            let item = p.item(f, id)?;
            p.fit_for(f, id.as_str(), item.status, "issue", false)?;
            p.move_item(f, id, &holding(&self.from), held(&self.from.site, &self.to))?;
        }
        p.two_persons(site, &self.to)?;
        p.fx.lifecycle.open_issue = Some(Box::new(OpenIssue {
            from: self.from.clone(),
            person: self.to.clone(),
            items: self.items.iter().cloned().collect(),
            at: p.at.clone(),
            due: self.due.clone(),
        }));
        p.focus_site = Some(self.from.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> WeaponIssue {
    use crate::ledger::kinds::ex::id;
    WeaponIssue {
        from: Place {
            site: id("armoury:bn-7"),
            custodian: id("unit:inf-bn-7"),
        },
        to: id("person:sgt-ramirez"),
        items: vec![id("item:ak47-kz-1987-00123")],
        #[expect(clippy::expect_used, reason = "a literal, valid timestamp")]
        due: Timestamp::parse("2026-06-01T20:00:00Z").expect("valid"),
        reference: Some("DUTY-ROSTER-2026-06-01".into()),
    }
}
