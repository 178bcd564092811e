//! `destruction`: a demilitarisation team destroys stock under an authorisation that covers
//! it, by one of the authorised methods, in front of registered witnesses. Terminal: nothing
//! may happen to destroyed stock afterwards.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::model::{ActorId, ActorKind, EventId, ItemId, LotQuantity, Role, SiteId, Witness};

/// Witnessed destruction.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Destruction {
    /// The authorisation that covers it.
    pub authorisation: EventId,
    /// Where it happened.
    pub site: SiteId,
    /// Whose stock.
    pub custodian: ActorId,
    /// Method used (one of the authorisation's).
    pub method: String,
    /// Destruction certificate number.
    pub certificate: String,
    /// Items destroyed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Lot quantities destroyed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// Who witnessed it.
    pub witnesses: Vec<Witness>,
}

impl Kind for Destruction {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.require_role(Role::Destroyer, Self::NAME)?;
        p.site("/site", &self.site)?;
        p.custodian("/custodian", &self.custodian)?;
        let id = self.authorisation;
        let auth = p
            .state
            .authorisations
            .get(&id)
            .ok_or_else(|| p.unknown("/authorisation", id))?;
        p.require_parent(id, format!("authorisation {id}"), &auth.at)?;
        if !auth.methods.contains(&self.method) {
            return Err(p.err(
                "/method",
                ErrorKind::NotAuthorised {
                    what: self.method.clone(),
                    authorisation: id,
                },
            ));
        }
        p.something_moves(&self.items, &self.lots)?;
        for (i, item) in self.items.iter().enumerate() {
            if !auth.items.contains(item) {
                return Err(p.err(
                    field("/items", i, ""),
                    ErrorKind::NotAuthorised {
                        what: item.to_string(),
                        authorisation: id,
                    },
                ));
            }
        }
        for (i, line) in self.lots.iter().enumerate() {
            let left = auth.lots.get(&line.lot).copied().unwrap_or(0);
            if line.quantity.get() > left {
                return Err(p.err(
                    field("/lots", i, "/quantity"),
                    ErrorKind::NotAuthorised {
                        what: format!("{} of `{}` ({left} left)", line.quantity.get(), line.lot),
                        authorisation: id,
                    },
                ));
            }
        }
        for (i, w) in self.witnesses.iter().enumerate() {
            if !p.state.actors.contains_key(&w.actor) {
                return Err(p.unknown(field("/witnesses", i, "/actor"), &w.actor));
            }
            match p.state.actors.get(&w.agency) {
                None => return Err(p.unknown(field("/witnesses", i, "/agency"), &w.agency)),
                Some(a) if a.actor.kind != ActorKind::Agency => {
                    return Err(p.err(
                        field("/witnesses", i, "/agency"),
                        ErrorKind::NotAnAgency {
                            actor: w.agency.to_string(),
                        },
                    ));
                }
                Some(_) => {}
            }
        }
        for (i, item) in self.items.iter().enumerate() {
            p.item_not_held(&field("/items", i, ""), item)?;
        }
        for (i, line) in self.lots.iter().enumerate() {
            p.lot_not_held(&field("/lots", i, "/lot"), &line.lot)?;
        }
        p.move_all(
            &self.items,
            &self.lots,
            &held(&self.site, &self.custodian),
            &Account::Sink(Sink::Destroyed),
        )?;
        p.fx.consume_authorisation = Some((
            id,
            self.items.clone(),
            self.lots
                .iter()
                .map(|l| (l.lot.clone(), l.quantity.get()))
                .collect(),
        ));
        p.focus_site = Some(self.site.clone());
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> Destruction {
    use crate::ledger::kinds::ex::{event, id, q};
    Destruction {
        authorisation: event(0xa1),
        site: id("range:la-cuchilla"),
        custodian: id("unit:demil-team-1"),
        method: "cutting".into(),
        certificate: "CERT-2026-0117".into(),
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(12_000),
        }],
        witnesses: vec![Witness {
            actor: id("person:inspector-7"),
            agency: id("agency:attorney-general"),
        }],
    }
}
