//! What a rule plugin may ask the ledger (plugin ABI version 2, `docs/PLUGIN_ABI.md`): the
//! [`RuleQueries`] trait, answered by [`StateQueries`] from the state **as it was just before
//! the judged event**, so that the verdict at verify (replay) time equals the verdict at append
//! time. The facts the answers need and that the rest of the state does not keep (the last
//! full count of each holding, the last inspection of each lot) are kept here too, with how a
//! correction reverses them.
//!
//! `core` knows nothing of WASM: the host (`custodia-plugins`) turns a plugin's call into a
//! call of this trait and the answer into bytes in the plugin's memory.

use crate::ledger::journal::JMap;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::ledger::account::{Account, Stock};
use crate::ledger::plan::Plan;
use crate::ledger::state::State;
use crate::model::{ActorId, EventId, ItemId, LotId, Role, SiteId, Timestamp};

/// Seconds in a day: "days since" counts whole days of 86 400 s, rounded down.
const DAY_SECONDS: i64 = 86_400;

/// A query's answer about a subject (a site, an item, a lot) named by the plugin.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Answer<T> {
    /// The subject is registered and the ledger knows the answer.
    Found(T),
    /// The subject is registered but the ledger holds no answer (no full count yet, not
    /// under a seizure hold, never inspected).
    Missing,
    /// No such subject is registered.
    NotRegistered,
}

/// A site's last full count.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct FullCount {
    /// The `stock_check` event.
    pub event: EventId,
    /// When it was made.
    pub at: Timestamp,
    /// Whole days from it to the judged event.
    pub days: i64,
}

/// What a site holds of one hazard division, summed over its lots.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct DivisionHolding {
    /// The UN hazard division (`1.1` … `1.6`).
    pub division: String,
    /// Units held.
    pub units: u64,
    /// Net explosive quantity held, grams (the unit of `neq_grams_per_unit` in format
    /// versions 1 and 2).
    pub neq_grams: u64,
}

/// Read-only questions a rule plugin may ask about the ledger. Every answer is about the
/// ledger just before the judged event; "days since" count from the judged event's `at`.
pub trait RuleQueries {
    /// The last full count of `site`: the least recent of the last full counts of the
    /// holdings (custodians) that hold stock there, so that a site is only as recently
    /// counted as its least recently counted holding; `Missing` when one of them, or the site
    /// when nothing is held there, was never fully counted.
    fn last_full_count(&self, site: &str) -> Answer<FullCount>;
    /// What `site` holds of each hazard division (lots with a hazard classification, every
    /// custodian), in division order.
    fn site_holdings(&self, site: &str) -> Answer<Vec<DivisionHolding>>;
    /// The first item (in id order) whose registered marking, or a mark applied later, has
    /// this serial and, when given, this manufacturer, both compared as `find` compares them
    /// (spaces removed, case folded).
    fn marking_registered(&self, manufacturer: Option<&str>, serial: &str) -> Option<ItemId>;
    /// Whole days from the seizure date of the evidence hold `item` is under to the judged
    /// event; `Missing` when it is under no hold.
    fn days_since_seizure(&self, item: &str) -> Answer<i64>;
    /// Whole days from the last inspection of `lot` to the judged event; `Missing` when it was
    /// never inspected. Until inspection events exist, an inspection is a `status_change` of
    /// the lot by an actor with the `inspector` role.
    fn days_since_inspection(&self, lot: &str) -> Answer<i64>;
}

/// The first item (in id order) with this marking, by a scan of every item: what the marking
/// index answers, kept as the oracle of its tests.
#[cfg(test)]
pub(crate) fn marking_registered_by_scan(
    state: &State,
    manufacturer: Option<&str>,
    serial: &str,
) -> Option<ItemId> {
    use crate::model::normalise_marking as normalise;
    let serial = normalise(serial);
    let manufacturer = manufacturer.map(normalise);
    let matches = |m: Option<&str>, s: Option<&str>| {
        s.is_some_and(|s| normalise(s) == serial)
            && manufacturer
                .as_deref()
                .is_none_or(|want| m.is_some_and(|m| normalise(m) == want))
    };
    state
        .items()
        .find(|item| {
            let registered = item.item.marking.manufacturer.as_deref();
            matches(registered, item.item.marking.serial.as_deref())
                || item.marks.iter().any(|mark| {
                    matches(
                        mark.elements.manufacturer.as_deref().or(registered),
                        mark.elements.serial.as_deref(),
                    )
                })
        })
        .map(|item| item.item.id.clone())
}

/// The answers from the state before an event dated `at`.
pub(crate) struct StateQueries<'a> {
    state: &'a State,
    at: &'a Timestamp,
}

impl<'a> StateQueries<'a> {
    pub(crate) fn new(state: &'a State, at: &'a Timestamp) -> Self {
        StateQueries { state, at }
    }

    fn days_from(&self, unix: i64) -> i64 {
        self.at
            .unix_seconds()
            .saturating_sub(unix)
            .div_euclid(DAY_SECONDS)
    }
}

impl RuleQueries for StateQueries<'_> {
    fn last_full_count(&self, site: &str) -> Answer<FullCount> {
        let Ok(site) = site.parse::<SiteId>() else {
            return Answer::NotRegistered;
        };
        if !self.state.sites.contains_key(&site) {
            return Answer::NotRegistered;
        }
        let counts = &self.state.facts.counts;
        let mut holders: Vec<&ActorId> = self
            .state
            .holdings_at(&site)
            .filter(|(_, _, units)| *units > 0)
            .map(|(custodian, _, _)| custodian)
            .collect();
        holders.dedup();
        let chosen = if holders.is_empty() {
            // Nothing held: the most recent count of any holding there.
            counts
                .iter()
                .filter(|((s, _), _)| s == &site)
                .map(|(_, c)| c)
                .max_by(|a, b| a.at.cmp(&b.at))
        } else {
            let mut oldest: Option<&Counted> = None;
            for custodian in holders {
                match counts.get(&(site.clone(), custodian.clone())) {
                    None => return Answer::Missing,
                    Some(c) if oldest.is_none_or(|o| c.at < o.at) => oldest = Some(c),
                    Some(_) => {}
                }
            }
            oldest
        };
        match chosen {
            Some(c) => Answer::Found(FullCount {
                event: c.event,
                at: c.at.clone(),
                days: self.days_from(c.at.unix_seconds()),
            }),
            None => Answer::Missing,
        }
    }

    fn site_holdings(&self, site: &str) -> Answer<Vec<DivisionHolding>> {
        let Ok(site) = site.parse::<SiteId>() else {
            return Answer::NotRegistered;
        };
        if !self.state.sites.contains_key(&site) {
            return Answer::NotRegistered;
        }
        let mut by_division: BTreeMap<String, (u128, u128)> = BTreeMap::new();
        for (_, stock, units) in self.state.holdings_at(&site) {
            let Stock::Lot(lot_id) = stock else { continue };
            let Some(lot) = self.state.lots.get(lot_id) else {
                continue;
            };
            let Some(hazard) = &lot.lot.hazard else {
                continue;
            };
            let units = u128::try_from(units.max(0)).unwrap_or(0);
            let division = hazard.division.as_str().to_owned();
            let entry = by_division.entry(division).or_insert((0, 0));
            entry.0 += units;
            entry.1 += units * u128::from(lot.lot.neq_grams_per_unit.get());
        }
        Answer::Found(
            by_division
                .into_iter()
                .map(|(division, (units, neq))| DivisionHolding {
                    division,
                    // Quantities are below 2^53 and the lots of one site are few enough that
                    // the sums stay inside u64; saturate rather than wrap if they ever do not.
                    units: u64::try_from(units).unwrap_or(u64::MAX),
                    neq_grams: u64::try_from(neq).unwrap_or(u64::MAX),
                })
                .collect(),
        )
    }

    fn marking_registered(&self, manufacturer: Option<&str>, serial: &str) -> Option<ItemId> {
        // The state's marking index: what `find` answers, from the state alone, without a
        // scan of the items.
        self.state.markings.find(manufacturer, serial)
    }

    fn days_since_seizure(&self, item: &str) -> Answer<i64> {
        let Some(state) = item
            .parse::<ItemId>()
            .ok()
            .and_then(|id| self.state.items.get(&id))
        else {
            return Answer::NotRegistered;
        };
        match state
            .hold
            .as_ref()
            .and_then(|h| h.seized_on.day_start_unix())
        {
            Some(day) => Answer::Found(self.days_from(day)),
            None => Answer::Missing,
        }
    }

    fn days_since_inspection(&self, lot: &str) -> Answer<i64> {
        let Some(id) = lot
            .parse::<LotId>()
            .ok()
            .filter(|id| self.state.lots.contains_key(id))
        else {
            return Answer::NotRegistered;
        };
        match self.state.facts.inspections.get(&id) {
            Some(i) => Answer::Found(self.days_from(i.at.unix_seconds())),
            None => Answer::Missing,
        }
    }
}

/// A full count of one holding, or an inspection of one lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Counted {
    pub(crate) event: EventId,
    pub(crate) at: Timestamp,
}

/// The facts rule queries need that the rest of the state does not keep. Both maps are
/// bounded by the stockpile (holdings, lots), not by the number of events. Not part of the
/// state digest (`State::facts`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    /// The last full count of each holding (site, custodian).
    pub(crate) counts: JMap<(SiteId, ActorId), Counted>,
    /// The last inspection of each lot.
    pub(crate) inspections: JMap<LotId, Counted>,
}

/// What an event changes among the facts.
#[derive(Clone, Debug, Default)]
pub(crate) struct FactsEffects {
    /// A holding fully counted.
    pub(crate) full_count: Option<(SiteId, ActorId)>,
    /// Lots inspected.
    pub(crate) inspected: Vec<LotId>,
}

/// What reversing such an event needs: the values before it.
#[derive(Clone, Debug, Default)]
pub(crate) struct FactsUndo {
    count: Option<((SiteId, ActorId), Option<Counted>)>,
    inspections: Vec<(LotId, Option<Counted>)>,
}

impl Facts {
    /// Opens, commits or rolls back a batch of its journals (`journal`).
    pub(crate) fn batch(&mut self, op: crate::ledger::journal::BatchOp) {
        let Facts {
            counts,
            inspections,
        } = self;
        op.run(counts);
        op.run(inspections);
    }

    /// Applies an event's changes, recording how to reverse them.
    pub(crate) fn commit(&mut self, fx: FactsEffects, id: EventId, at: &Timestamp) -> FactsUndo {
        let mut undo = FactsUndo::default();
        let now = || Counted {
            event: id,
            at: at.clone(),
        };
        if let Some(holding) = fx.full_count {
            let old = self.counts.insert(holding.clone(), now());
            undo.count = Some((holding, old));
        }
        for lot in fx.inspected {
            let old = self.inspections.insert(lot.clone(), now());
            undo.inspections.push((lot, old));
        }
        undo
    }

    /// Reverses what `commit` did for event `id`, where a later event has not replaced it.
    pub(crate) fn revert(&mut self, undo: &FactsUndo, id: EventId) {
        if let Some((holding, old)) = &undo.count
            && self.counts.get(holding).is_some_and(|c| c.event == id)
        {
            match old {
                Some(c) => self.counts.insert(holding.clone(), c.clone()),
                None => self.counts.remove(holding),
            };
        }
        for (lot, old) in undo.inspections.iter().rev() {
            if self.inspections.get(lot).is_some_and(|c| c.event == id) {
                match old {
                    Some(c) => self.inspections.insert(lot.clone(), c.clone()),
                    None => self.inspections.remove(lot),
                };
            }
        }
    }
}

impl Plan<'_> {
    /// A `stock_check` of the holding `at` (site, custodian) that counted these lots and
    /// items: it is a full count when it counted every lot and item booked at the holding.
    pub(crate) fn note_count<'l>(
        &mut self,
        at: &Account,
        lots: impl Iterator<Item = &'l LotId>,
        items: impl Iterator<Item = &'l ItemId>,
    ) {
        let Account::Holding { site, custodian } = at else {
            return;
        };
        // Sets, not a search of the counted lists per stock: a full count of a holding of n
        // items was n² comparisons.
        let lots: std::collections::HashSet<&LotId, ahash::RandomState> = lots.collect();
        let items: std::collections::HashSet<&ItemId, ahash::RandomState> = items.collect();
        let full = self.state.by_account.get(at).is_none_or(|stocks| {
            stocks
                .iter()
                .filter(|(_, units)| **units > 0)
                .all(|(stock, _)| match stock {
                    Stock::Lot(l) => lots.contains(l),
                    Stock::Item(i) => items.contains(i),
                })
        });
        if full {
            self.fx.facts.full_count = Some((site.clone(), custodian.clone()));
        }
    }

    /// A `status_change` of `lot`: an inspection when the recording actor is an inspector.
    pub(crate) fn note_inspection(&mut self, lot: &LotId) {
        if self
            .actor_state
            .is_some_and(|a| a.has_role(Role::Inspector))
        {
            self.fx.facts.inspected.push(lot.clone());
        }
    }
}
