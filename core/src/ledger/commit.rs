//! Committing a planned event's effects to the state, and undoing them when a later correction
//! reverses the event. Commit cannot fail: every check ran in the plan.

use std::collections::BTreeMap;

use crate::ledger::account::{Account, Posting, Source, Stock};
use crate::ledger::plan::{ActorOp, Effects};
use crate::ledger::state::{ActorState, KeyState, SiteState, State, Undo, adjust_index, lookalike};
use crate::model::{ActorId, EventId, Timestamp};

impl State {
    /// Applies an event's effects. Returns the stocks it un-registered (a correction of a
    /// registration, split or merge) and its postings.
    pub(crate) fn commit(
        &mut self,
        fx: Effects,
        id: EventId,
        actor: ActorId,
        at: Timestamp,
    ) -> (Vec<Stock>, Vec<Posting>) {
        let Effects {
            postings,
            touched,
            created_items,
            created_lots,
            statuses,
            open_transfer,
            close_transfer,
            open_export,
            close_export,
            marks,
            holds,
            open_trace,
            answer_trace,
            open_authorisation,
            consume_authorisation,
            actor_ops,
            site,
            rules,
            correction,
            opens_discrepancy,
            correctable,
            lifecycle,
            facts,
            surveyed,
        } = fx;

        // The stocks it touched, then those it creates: the touched ones are
        // `undo.stocks[..touched_n]` (moved, not copied).
        let touched_n = touched.len();
        let mut undo = Undo {
            actor,
            at: at.clone(),
            stocks: touched.into_vec(),
            // Only a reversible event needs its postings kept.
            postings: if correctable {
                postings.clone()
            } else {
                Vec::new()
            },
            created: Vec::new(),
            statuses: Vec::new(),
            opened_transfer: None,
            closed_transfer: None,
            opened_authorisation: None,
            opened_export: None,
            closed_export: None,
            marked: Vec::new(),
            holds: Vec::new(),
            lifecycle: Default::default(),
            facts: Default::default(),
            surveyed: Vec::new(),
        };
        // Stocks whose previous latest event is superseded: that event can no longer be
        // reversed.
        for stock in &undo.stocks {
            let prev = match stock {
                Stock::Item(i) => self.items.get(i).map(|s| s.last_event),
                Stock::Lot(l) => self.lots.get(l).map(|s| s.last_event),
            };
            if let Some(prev) = prev
                && Some(prev) != correction
            {
                self.undo.discard(&prev);
            }
        }

        for mut item in created_items {
            self.lookalikes.insert(
                lookalike('i', item.item.id.as_str()),
                item.item.id.to_string(),
            );
            undo.created.push(Stock::Item(item.item.id.clone()));
            undo.stocks.push(Stock::Item(item.item.id.clone()));
            // Registration postings below move it from its source; start it there.
            item.location = Account::Source(Source::Origin(item.origin.kind));
            self.markings.add_item(&item);
            self.items.insert(item.item.id.clone(), Box::new(item));
        }
        for lot in created_lots {
            self.lookalikes
                .insert(lookalike('l', lot.lot.id.as_str()), lot.lot.id.to_string());
            undo.created.push(Stock::Lot(lot.lot.id.clone()));
            undo.stocks.push(Stock::Lot(lot.lot.id.clone()));
            for (parent, _) in &lot.derived_from {
                self.lot_children
                    .entry(parent.clone())
                    .or_default()
                    .insert(lot.lot.id.clone());
            }
            self.lots.insert(lot.lot.id.clone(), lot);
        }
        for posting in &postings {
            self.apply_posting(posting);
        }
        for (stock, status) in statuses {
            let old = match &stock {
                Stock::Item(i) => self
                    .items
                    .get_mut(i)
                    .map(|s| std::mem::replace(&mut s.status, status)),
                Stock::Lot(l) => self
                    .lots
                    .get_mut(l)
                    .map(|s| std::mem::replace(&mut s.status, status)),
            };
            if let Some(old) = old {
                undo.statuses.push((stock, old));
            }
        }
        if let Some(transfer) = open_transfer {
            self.transfers.insert(id, *transfer);
            undo.opened_transfer = Some(id);
        }
        if let Some(dispatch) = close_transfer
            && let Some(t) = self.transfers.remove(&dispatch)
        {
            undo.closed_transfer = Some(Box::new((dispatch, t)));
        }
        // Tracing requests and responses are not correctable: nothing to undo.
        if let Some(request) = open_trace {
            self.trace_requests.insert(id, *request);
        }
        if let Some(request) = answer_trace {
            self.trace_requests.remove(&request);
            self.trace_answers.insert(request, id);
        }
        for mark in marks {
            if let Some(item) = self.items.get_mut(&mark.item) {
                undo.marked.push(mark.item.clone());
                self.markings.add_mark(item, &mark);
                item.marks.push(mark);
            }
        }
        for (stock, hold) in holds {
            if hold.as_ref().is_some_and(|h| h.seizure == id) {
                self.seizures.insert(id);
            }
            let slot = match &stock {
                Stock::Item(i) => self.items.get_mut(i).map(|s| &mut s.hold),
                Stock::Lot(l) => self.lots.get_mut(l).map(|s| &mut s.hold),
            };
            if let Some(slot) = slot {
                let old = std::mem::replace(slot, hold);
                undo.holds.push((stock, old));
            }
        }
        if let Some(export) = open_export {
            self.exports.insert(id, *export);
            undo.opened_export = Some(id);
        }
        if let Some(dispatch) = close_export
            && let Some(e) = self.exports.remove(&dispatch)
        {
            undo.closed_export = Some(Box::new((dispatch, e)));
        }
        if let Some(auth) = open_authorisation {
            self.authorisations.insert(id, *auth);
            undo.opened_authorisation = Some(id);
        }
        if let Some((auth_id, items, lots)) = consume_authorisation
            && let Some(auth) = self.authorisations.get_mut(&auth_id)
        {
            for item in &items {
                auth.items.remove(item);
            }
            for (lot, q) in lots {
                if let Some(left) = auth.lots.get_mut(&lot) {
                    // The plan checked `q <= left`.
                    *left -= q.min(*left);
                    if *left == 0 {
                        auth.lots.remove(&lot);
                    }
                }
            }
            // An exhausted authorisation stays, with no cover left, so that a destruction
            // beyond it is refused as not covered (4002), not as unknown.
        }
        undo.lifecycle = self.lifecycle.commit(lifecycle, id);
        undo.facts = self.facts.commit(facts, id, &at);
        undo.surveyed = self.commit_surveyed(surveyed);
        for op in actor_ops {
            self.apply_actor_op(op, id, &at);
        }
        if let Some(site) = site {
            let site = *site;
            self.lookalikes
                .insert(lookalike('s', site.id.as_str()), site.id.to_string());
            self.sites.insert(
                site.id.clone(),
                SiteState {
                    site,
                    last_event: id,
                    registered_at: at.clone(),
                },
            );
        }
        if let Some(rules) = rules {
            self.rules = rules;
            self.rules_event = Some((id, at.clone()));
        }
        let mut removed = Vec::new();
        if let Some(target) = correction
            && let Some(original) = self.undo.remove(&target)
        {
            self.revert(&original, target);
            // A corrected seizure is no longer one (a no-op for any other event).
            self.seizures.remove(&target);
            removed = original.created.clone();
        }
        // Created stocks follow the touched ones (their latest event is set at creation).
        for stock in undo.stocks.iter().take(touched_n) {
            match stock {
                Stock::Item(i) => {
                    if let Some(s) = self.items.get_mut(i) {
                        s.last_event = id;
                        s.last_at = at.clone();
                    }
                }
                Stock::Lot(l) => {
                    if let Some(s) = self.lots.get_mut(l) {
                        s.last_event = id;
                        s.last_at = at.clone();
                    }
                }
            }
        }
        // INVARIANT (discrepancy-times): every discrepancy account that ever held something
        // keeps its opening time, also once closed: a correction may refill it, and a later loss
        // from it must not predate it. One entry per event that found a difference.
        if opens_discrepancy && self.by_account.contains_key(&Account::Discrepancy(id)) {
            self.discrepancies.insert(id, at.clone());
        }
        if correctable {
            self.undo.insert(id, Box::new(undo));
        }
        if self.genesis_at.is_none() {
            self.genesis_at = Some(at);
        }
        self.events += 1;
        (removed, postings)
    }

    fn apply_actor_op(&mut self, op: ActorOp, id: EventId, at: &Timestamp) {
        let key_state = || KeyState {
            active: true,
            added_at: at.clone(),
        };
        match op {
            ActorOp::Register(actor) => {
                self.lookalikes
                    .insert(lookalike('a', actor.id.as_str()), actor.id.to_string());
                for key in &actor.keys {
                    self.key_owner.insert(*key, actor.id.clone());
                }
                let keys: BTreeMap<_, _> = actor.keys.iter().map(|k| (*k, key_state())).collect();
                self.actors.insert(
                    actor.id.clone(),
                    ActorState {
                        actor,
                        keys,
                        last_event: id,
                        last_at: at.clone(),
                    },
                );
            }
            ActorOp::AddKey(subject, key) => {
                self.key_owner.insert(key, subject.clone());
                if let Some(a) = self.actors.get_mut(&subject) {
                    a.keys.insert(key, key_state());
                    a.last_event = id;
                    a.last_at = at.clone();
                }
            }
            ActorOp::RevokeKey(subject, key) => {
                if let Some(a) = self.actors.get_mut(&subject) {
                    if let Some(k) = a.keys.get_mut(&key) {
                        k.active = false;
                    }
                    a.last_event = id;
                    a.last_at = at.clone();
                }
            }
        }
    }

    /// Undoes the non-balance effects of a reversed event (its postings were reversed by the
    /// correction's own postings).
    fn revert(&mut self, original: &Undo, original_id: EventId) {
        for stock in &original.created {
            match stock {
                Stock::Item(i) => {
                    self.lookalikes.remove(&lookalike('i', i.as_str()));
                    if let Some(item) = self.items.remove(i) {
                        self.markings.remove_item(&item);
                        adjust_index(&mut self.by_account, &item.location, stock, -1);
                        adjust_index(
                            &mut self.by_account,
                            &Account::Source(Source::Origin(item.origin.kind)),
                            stock,
                            1,
                        );
                    }
                }
                Stock::Lot(l) => {
                    self.lookalikes.remove(&lookalike('l', l.as_str()));
                    if let Some(lot) = self.lots.remove(l) {
                        for (account, balance) in &lot.balances {
                            adjust_index(&mut self.by_account, account, stock, -balance);
                        }
                        for (parent, _) in &lot.derived_from {
                            if let Some(children) = self.lot_children.get_mut(parent) {
                                children.remove(l);
                                if children.is_empty() {
                                    self.lot_children.remove(parent);
                                }
                            }
                        }
                    }
                }
            }
        }
        for (stock, old) in &original.statuses {
            match stock {
                Stock::Item(i) => {
                    if let Some(s) = self.items.get_mut(i) {
                        s.status = *old;
                    }
                }
                Stock::Lot(l) => {
                    if let Some(s) = self.lots.get_mut(l) {
                        s.status = *old;
                    }
                }
            }
        }
        if let Some(t) = original.opened_transfer {
            self.transfers.remove(&t);
        }
        if let Some((dispatch, t)) = original.closed_transfer.as_deref() {
            self.transfers.insert(*dispatch, t.clone());
        }
        for item in &original.marked {
            if let Some(s) = self.items.get_mut(item)
                && let Some(mark) = s.marks.pop()
            {
                self.markings.remove_mark(s, &mark);
            }
        }
        for (stock, old) in original.holds.iter().rev() {
            match stock {
                Stock::Item(i) => {
                    if let Some(s) = self.items.get_mut(i) {
                        s.hold = old.clone();
                    }
                }
                Stock::Lot(l) => {
                    if let Some(s) = self.lots.get_mut(l) {
                        s.hold = old.clone();
                    }
                }
            }
        }
        if let Some(e) = original.opened_export {
            self.exports.remove(&e);
        }
        if let Some((dispatch, e)) = original.closed_export.as_deref() {
            self.exports.insert(*dispatch, e.clone());
        }
        if let Some(a) = original.opened_authorisation {
            self.authorisations.remove(&a);
        }
        self.lifecycle.revert(&original.lifecycle);
        self.facts.revert(&original.facts, original_id);
        self.revert_surveyed(&original.surveyed);
    }
}
