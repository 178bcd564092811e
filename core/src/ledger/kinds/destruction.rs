//! `destruction`: a demilitarisation team destroys stock under an authorisation that covers
//! it, by one of the authorised methods, in front of registered witnesses. Terminal: nothing
//! may happen to destroyed stock afterwards.
//!
//! Format version 2 makes the rules hard to game (`docs/FORMAT.md`, "Versions"): the method is
//! a list of steps from the vocabulary, each allowed by the authorisation; the authorisation's
//! site and expiry bind; who recorded the authorisation neither records nor signs the
//! destruction; witnesses are distinct, hold the witness role, declare their own agency and
//! are not the destruction team; and only stock released for destruction (surplus, pending
//! destruction, forfeited, deactivated) is destroyed.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Path, Plan, field, held};
use crate::ledger::state::Authorisation;
use crate::model::{
    ActorId, ActorKind, DestructionMethod, Disposition, EventId, ItemId, LotQuantity, Role,
    SiteId, StockStatus, Witness,
};

/// Witnessed destruction.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Destruction {
    /// The authorisation that covers it.
    pub authorisation: EventId,
    /// Where it happened.
    pub site: SiteId,
    /// Whose stock.
    pub custodian: ActorId,
    /// Method used, as free text (one of the authorisation's when the authorisation names no
    /// `steps`).
    pub method: String,
    /// (Version 2, required) the method's steps in the order carried out, from the vocabulary;
    /// each one of the authorisation's `steps`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<DestructionMethod>,
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
        p.require_parent(id, crate::ledger::plan::ParentOf::Event("authorisation", id), &auth.at)?;
        self.check_steps(p, id, auth)?;
        // An authorisation that names steps (version 2) leaves the free text free.
        if auth.steps.is_empty() && !auth.methods.contains(&self.method) {
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
        if p.version >= 2 {
            self.check_scope(p, id, auth)?;
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
        if p.version >= 2 {
            self.check_witnesses(p)?;
        }
        for (i, item) in self.items.iter().enumerate() {
            p.item_not_held(field("/items", i, ""), item)?;
        }
        for (i, line) in self.lots.iter().enumerate() {
            p.lot_not_held(field("/lots", i, "/lot"), &line.lot)?;
        }
        if p.version >= 2 {
            self.check_released(p)?;
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

/// The dispositions of stock released for destruction (version 2): declared surplus, selected
/// for destruction (by a status change or a court), forfeited to the state by a court order,
/// or deactivated (no status change lifts a deactivation, and a deactivated weapon may still
/// be scrapped).
fn released_for_destruction(status: StockStatus) -> bool {
    matches!(
        status.disposition,
        Disposition::Surplus
            | Disposition::PendingDestruction
            | Disposition::Forfeited
            | Disposition::Deactivated
    )
}

impl Destruction {
    /// `steps`: refused in version 1; required in version 2, each one the authorisation allows
    /// when it names steps.
    fn check_steps(&self, p: &Plan<'_>, id: EventId, auth: &Authorisation) -> Result<()> {
        if p.version < 2 {
            if self.steps.is_empty() {
                return Ok(());
            }
            return Err(p.err(
                "/steps",
                ErrorKind::FieldInvalid {
                    value: format!("{:?}", self.steps),
                    reason: "`steps` needs format version 2".into(),
                },
            ));
        }
        if self.steps.is_empty() {
            return Err(p.err(
                "/steps",
                ErrorKind::RecordMissing {
                    record: "the method's steps".into(),
                    why: "a version-2 destruction names its method from the vocabulary".into(),
                },
            ));
        }
        if auth.steps.is_empty() {
            return Ok(());
        }
        for (i, step) in self.steps.iter().enumerate() {
            if !auth.steps.contains(step) {
                return Err(p.err(
                    field("/steps", i, ""),
                    ErrorKind::NotAuthorised {
                        what: step.as_str().to_owned(),
                        authorisation: id,
                    },
                ));
            }
        }
        Ok(())
    }

    /// (Version 2) the authorisation's site and expiry bind, and whoever recorded it neither
    /// records nor signs the destruction.
    fn check_scope(&self, p: &Plan<'_>, id: EventId, auth: &Authorisation) -> Result<()> {
        if let Some(site) = &auth.site
            && site != &self.site
        {
            return Err(p.err(
                "/site",
                ErrorKind::NotAuthorised {
                    what: self.site.to_string(),
                    authorisation: id,
                },
            ));
        }
        if let Some(expires_at) = &auth.expires_at
            && p.at > expires_at
        {
            return Err(p.err(
                "/at",
                ErrorKind::AuthorisationExpired {
                    authorisation: id,
                    expires_at: expires_at.to_string(),
                    at: p.at.to_string(),
                },
            ));
        }
        let separation = |field: &str| {
            p.err(
                field,
                ErrorKind::AuthoriserIsDestroyer {
                    actor: auth.actor.to_string(),
                    authorisation: id,
                },
            )
        };
        if &auth.actor == p.actor {
            return Err(separation("/actor"));
        }
        if p.signed_by(&auth.actor) == Some(true) {
            return Err(separation("/signatures"));
        }
        Ok(())
    }

    /// (Version 2) each witness listed once, with the witness role, declaring the agency its
    /// `member_of` chain reaches, and independent of the destruction: neither its recording
    /// actor nor a signer holding the destroyer role.
    fn check_witnesses(&self, p: &Plan<'_>) -> Result<()> {
        let mut seen: Vec<&ActorId> = Vec::with_capacity(self.witnesses.len());
        for (i, w) in self.witnesses.iter().enumerate() {
            let at_actor = field("/witnesses", i, "/actor");
            if seen.contains(&&w.actor) {
                return Err(p.err(
                    at_actor,
                    ErrorKind::Repeated {
                        value: w.actor.to_string(),
                    },
                ));
            }
            seen.push(&w.actor);
            let Some(state) = p.state.actors.get(&w.actor) else {
                return Err(p.unknown(at_actor, &w.actor));
            };
            let role = if &w.actor == p.actor {
                Some("the recording actor")
            } else if state.has_role(Role::Destroyer)
                && p.signed_by(&w.actor) == Some(true)
            {
                Some("a signer holding the destroyer role")
            } else {
                None
            };
            if let Some(role) = role {
                return Err(p.err(
                    at_actor,
                    ErrorKind::WitnessNotIndependent {
                        witness: w.actor.to_string(),
                        role: role.into(),
                    },
                ));
            }
            if !state.has_role(Role::Witness) {
                return Err(p.err(
                    at_actor,
                    ErrorKind::MissingRole {
                        actor: w.actor.to_string(),
                        role: crate::ledger::state::role_name(Role::Witness),
                        needed_for: "witnessing a destruction".into(),
                    },
                ));
            }
            if !p.state.acts_for(&w.actor, &w.agency) {
                return Err(p.err(
                    field("/witnesses", i, "/agency"),
                    ErrorKind::WitnessAgencyMismatch {
                        witness: w.actor.to_string(),
                        agency: w.agency.to_string(),
                        actual: p.state.agency_of(&w.actor).to_string(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// (Version 2) every item and lot destroyed was released for destruction.
    fn check_released(&self, p: &Plan<'_>) -> Result<()> {
        let refuse = |f: Path<'_>, stock: &str, status: StockStatus| {
            p.err(
                f,
                ErrorKind::NotReleasedForDestruction {
                    stock: stock.to_owned(),
                    disposition: status.disposition.as_str().to_owned(),
                },
            )
        };
        for (i, id) in self.items.iter().enumerate() {
            if let Some(item) = p.state.items.get(id)
                && !released_for_destruction(item.status)
            {
                return Err(refuse(field("/items", i, ""), id.as_str(), item.status));
            }
        }
        for (i, line) in self.lots.iter().enumerate() {
            if let Some(lot) = p.state.lots.get(&line.lot)
                && !released_for_destruction(lot.status)
            {
                return Err(refuse(field("/lots", i, "/lot"), line.lot.as_str(), lot.status));
            }
        }
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
        method: "cutting with a plasma torch, then melting at the state foundry".into(),
        steps: vec![DestructionMethod::Cutting, DestructionMethod::Melting],
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
