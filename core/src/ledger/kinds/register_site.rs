//! `register_site`: an administrator registers a depot, a magazine or building inside one, a
//! destruction range or an armoury.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ledger::kinds::Kind;
use crate::ledger::plan::Plan;
use crate::model::{Role, Site};

/// Registers a site.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RegisterSite {
    /// The new site.
    pub site: Site,
}

impl Kind for RegisterSite {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.require_role(Role::Admin, Self::NAME)?;
        let site = &self.site;
        p.new_id('s', "/site/id", site.id.as_str())?;
        p.since_v2("/site/kind", site.kind == crate::model::SiteKind::Laboratory)?;
        p.since_v2(
            "/site/kind",
            site.kind == crate::model::SiteKind::Demilitarisation,
        )?;
        p.since_v2("/site/two_person_rule", site.two_person_rule)?;
        if p.version >= 2
            && let Some(country) = &site.country
        {
            p.country("/site/country", country)?;
        }
        match &site.parent {
            Some(parent) => {
                let parent_state = p.site("/site/parent", parent)?;
                p.require_parent(parent_state.last_event, parent, &parent_state.registered_at)?;
            }
            None => {
                if let Some(a) = p.actor_state {
                    p.require_parent(a.last_event, p.actor, &a.last_at)?;
                }
            }
        }
        p.fx.site = Some(Box::new(site.clone()));
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> RegisterSite {
    use crate::ledger::kinds::ex::{id, q};
    use crate::model::{HazardDivision, SiteKind};
    RegisterSite {
        site: Site {
            id: id("magazine:central-3"),
            name: "Central depot, magazine 3".into(),
            kind: SiteKind::Magazine,
            parent: Some(id("depot:central")),
            country: Some("SV".into()),
            licensed_neq_grams: Some(q(2_000_000)),
            hazard_divisions: vec![HazardDivision::D1_1, HazardDivision::D1_4],
            two_person_rule: true,
        },
    }
}
