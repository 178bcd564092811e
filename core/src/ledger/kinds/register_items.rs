//! `register_items`: serialized items (firearms, light weapons) enter the inventory at a site,
//! in a custodian's charge, from their origin (manufactured, imported, seized, ...).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Posting, Source, Stock};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::ledger::state::ItemState;
use crate::model::{ActorId, Item, Origin, SiteId, StockStatus};

/// Brings serialized items into the inventory.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RegisterItems {
    /// Where they are.
    pub site: SiteId,
    /// Who holds them.
    pub custodian: ActorId,
    /// How they entered.
    pub origin: Origin,
    /// The items.
    pub items: Vec<Item>,
}

impl Kind for RegisterItems {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        let s = p.site("/site", &self.site)?;
        p.require_parent(s.last_event, &self.site, &s.registered_at)?;
        p.custodian("/custodian", &self.custodian)?;
        p.origin("/origin", &self.origin, s.site.country.as_deref())?;
        let to = held(&self.site, &self.custodian);
        let mut seen = BTreeSet::new();
        for (i, item) in self.items.iter().enumerate() {
            p.since_v2(
                field("/items", i, "/att_category"),
                item.att_category.is_some(),
            )?;
            p.since_v2(field("/items", i, "/hazard"), item.hazard.is_some())?;
            p.since_v2(field("/items", i, "/neq_mg"), item.neq_mg.is_some())?;
            // A serialized munition's explosive content goes with its hazard classification.
            if item.neq_mg.is_some() && item.hazard.is_none() {
                return Err(p.err(
                    field("/items", i, "/hazard"),
                    ErrorKind::RecordMissing {
                        record: "the hazard classification".into(),
                        why: "an item with a net explosive quantity is a munition".into(),
                    },
                ));
            }
            p.marking_countries(field("/items", i, "/marking"), &item.marking)?;
            let f = field("/items", i, "/id");
            if !seen.insert(crate::ledger::state::lookalike('i', item.id.as_str())) {
                return Err(p.already_exists(f, &item.id));
            }
            p.new_id('i', f, item.id.as_str())?;
            let status = p.status_members(
                field("/items", i, ""),
                StockStatus::default(),
                item.status,
                item.condition,
                item.disposition,
            )?;
            p.registered_disposition(field("/items", i, "/disposition"), status)?;
            p.fx.created_items.push(ItemState {
                marks: Vec::new(),
                hold: None,
                item: item.clone(),
                origin: self.origin.clone(),
                registered_at: p.at.clone(),
                status,
                location: to.clone(),
                last_event: p.id,
                last_at: p.at.clone(),
            });
            p.fx.postings.push(Posting {
                stock: Stock::Item(item.id.clone()),
                from: Account::Source(Source::Origin(self.origin.kind)),
                to: to.clone(),
                quantity: 1,
            });
        }
        p.focus_site = Some(self.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> RegisterItems {
    use crate::ledger::kinds::ex::{id, import_record};
    use crate::model::{Condition, Disposition, ImportMarking, ItemCategory, Marking, OriginKind};
    RegisterItems {
        site: id("depot:central"),
        custodian: id("unit:log-bn-2"),
        origin: Origin {
            kind: OriginKind::Imported,
            reference: Some("IMP-SV-2026-0007".into()),
            import: Some(Box::new(import_record())),
        },
        items: vec![Item {
            id: id("item:ak47-kz-1987-00123"),
            category: ItemCategory::Firearm,
            item_type: "assault rifle".into(),
            marking: Marking {
                manufacturer: Some("Izhmash".into()),
                country_of_manufacture: Some("RU".into()),
                serial: Some("KZ-1987-00123".into()),
                year: Some(1987),
                model: Some("AK-47".into()),
                calibre: Some("7.62x39mm".into()),
                import: Some(ImportMarking {
                    country: Some("SV".into()),
                    year: Some(1990),
                    importer: Some("Ministry of Defence".into()),
                }),
            },
            status: None,
            condition: Some(Condition::Serviceable),
            disposition: Some(Disposition::InService),
            att_category: Some(crate::model::AttCategory::AssaultRifles),
            // Every optional member is filled here, even those only a serialized munition (a
            // missile, a rocket) carries.
            hazard: Some(crate::model::Hazard {
                division: crate::model::HazardDivision::D1_2,
                group: crate::model::CompatibilityGroup::E,
            }),
            neq_mg: Some(crate::ledger::kinds::ex::q(1_250_000)),
        }],
    }
}
