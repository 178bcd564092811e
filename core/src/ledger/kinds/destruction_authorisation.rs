//! `destruction_authorisation`: an authority orders the destruction of listed items and lot
//! quantities by the listed methods. Destructions consume its cover. In format version 2 it
//! names the method steps it allows from the vocabulary (`steps`), expires (`expires_at`), and
//! may confine the destruction to one site (`site`).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field};
use crate::ledger::state::Authorisation;
use crate::model::{DestructionMethod, ItemId, LotQuantity, Role, SiteId, Timestamp};

/// Authorises the destruction of the listed items and quantities.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DestructionAuthorisation {
    /// Order or judicial decision number.
    pub reference: String,
    /// Items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Lot quantities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotQuantity>,
    /// Allowed destruction methods, as free text.
    pub methods: Vec<String>,
    /// (Version 2, required) the method steps allowed, from the vocabulary: each step of a
    /// destruction under it must be one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<DestructionMethod>,
    /// (Version 2) the only site where the destruction may take place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteId>,
    /// (Version 2, required) when it lapses: no destruction under it is dated after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

impl DestructionAuthorisation {
    /// The members version 2 added: refused in a version-1 event, `steps` and `expires_at`
    /// required in a version-2 one, the expiry after the event and the site registered.
    fn check_v2_members(&self, p: &Plan<'_>) -> Result<()> {
        if p.version < 2 {
            let added = [
                ("/steps", (!self.steps.is_empty()).then(|| format!("{:?}", self.steps))),
                ("/site", self.site.as_ref().map(ToString::to_string)),
                ("/expires_at", self.expires_at.as_ref().map(ToString::to_string)),
            ];
            for (member, value) in added {
                if let Some(value) = value {
                    return Err(p.err(
                        member,
                        ErrorKind::FieldInvalid {
                            value,
                            reason: format!("`{}` needs format version 2", &member[1..]),
                        },
                    ));
                }
            }
            return Ok(());
        }
        if self.steps.is_empty() {
            return Err(p.err(
                "/steps",
                ErrorKind::RecordMissing {
                    record: "the method steps allowed".into(),
                    why: "a version-2 authorisation names its methods from the vocabulary".into(),
                },
            ));
        }
        let Some(expires_at) = &self.expires_at else {
            return Err(p.err(
                "/expires_at",
                ErrorKind::RecordMissing {
                    record: "the expiry".into(),
                    why: "a version-2 authorisation lapses at a stated time".into(),
                },
            ));
        };
        if expires_at <= p.at {
            return Err(p.err(
                "/expires_at",
                ErrorKind::FieldInvalid {
                    value: expires_at.to_string(),
                    reason: format!("the authorisation would lapse before it is given (`{}`)", p.at),
                },
            ));
        }
        if let Some(site) = &self.site {
            p.site("/site", site)?;
        }
        Ok(())
    }
}

impl Kind for DestructionAuthorisation {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.require_role(Role::Authoriser, Self::NAME)?;
        self.check_v2_members(p)?;
        p.something_moves(&self.items, &self.lots)?;
        p.distinct_items("/items", &self.items)?;
        p.distinct_lots("/lots", self.lots.iter().map(|l| &l.lot))?;
        for (i, item) in self.items.iter().enumerate() {
            p.item(field("/items", i, ""), item)?;
        }
        for (i, line) in self.lots.iter().enumerate() {
            let f = field("/lots", i, "/quantity");
            let l = p.lot(field("/lots", i, "/lot"), &line.lot)?;
            if line.quantity.get() == 0 {
                return Err(p.err(f, ErrorKind::ZeroQuantity));
            }
            let left = l.live_units();
            if i128::from(line.quantity.get()) > left {
                return Err(p.err(
                    f,
                    ErrorKind::BeyondLiveUnits {
                        lot: line.lot.to_string(),
                        requested: line.quantity.get(),
                        // Bounded by the lot's registered quantity (below 2^53).
                        left: i64::try_from(left).unwrap_or(i64::MAX),
                    },
                ));
            }
        }
        p.fx.open_authorisation = Some(Box::new(Authorisation {
            reference: self.reference.clone(),
            actor: p.actor.clone(),
            at: p.at.clone(),
            items: self.items.iter().cloned().collect(),
            lots: self
                .lots
                .iter()
                .map(|l| (l.lot.clone(), l.quantity.get()))
                .collect(),
            methods: self.methods.clone(),
            steps: self.steps.clone(),
            site: self.site.clone(),
            expires_at: self.expires_at.clone(),
        }));
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> DestructionAuthorisation {
    use crate::ledger::kinds::ex::{id, q, timestamp};
    use crate::model::DestructionMethod as M;
    DestructionAuthorisation {
        reference: "ORDER-2026-0117".into(),
        items: vec![id("item:ak47-kz-1987-00123")],
        lots: vec![LotQuantity {
            lot: id("lot:762x39-1987-044"),
            quantity: q(12_000),
        }],
        methods: vec!["cutting".into(), "melting".into()],
        steps: vec![M::Cutting, M::Melting],
        site: Some(id("range:la-cuchilla")),
        expires_at: Some(timestamp("2026-12-31T23:59:59Z")),
    }
}
