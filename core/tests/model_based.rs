//! Model-based property test: the real ledger (`Ledger::in_memory`) runs beside a plain model
//! (a `BTreeMap` of balances per stock and account, the lots' and items' statuses, the open
//! transfers) over random sequences of registrations, transfers with shortfalls and overages,
//! splits, merges, stock checks, losses from holdings and from discrepancy accounts,
//! recoveries, status changes, authorised destruction and corrections of the latest event.
//!
//! The model predicts, before each operation, whether the ledger accepts it and, if not, the
//! exact error code. After every step: `check_invariants()`, every balance of every stock in
//! every account equal to the model's (so a one-unit error in any single posting is caught, not
//! only wrong totals), stock on hand and the summary equal to what the model derives, and a
//! refused operation leaves the log and every derived table exactly as they were.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use custodia::event::LossKind;
use custodia::model::{Condition, Status, StockStatus};
use custodia::{Body, ErrorCode, EventId, SignedEvent};
use proptest::prelude::*;

const HOLDERS: [(&str, &str); 3] = [A, B, R];
const STATUSES: [Status; 4] = [
    Status::Serviceable,
    Status::Unserviceable,
    Status::Surplus,
    Status::Suspended,
];
const NOMENCLATURES: [&str; 2] = ["cartridge 5.56 ball", "cartridge 7.62 ball"];

/// A quantity from a fraction (in percent) of what is available: 0 is zero, above 100 asks for
/// more than there is, anything else at least one unit.
fn amount(available: i64, percent: u64) -> u64 {
    let available = u64::try_from(available.max(0)).unwrap();
    match percent {
        0 => 0,
        1..=100 => (available * percent / 100).max(1),
        over => available + (over - 100),
    }
}

#[derive(Clone, Debug)]
enum Op {
    RegisterLot {
        holder: usize,
        qty: u64,
        kind: usize,
    },
    RegisterItems {
        holder: usize,
        count: usize,
    },
    Dispatch {
        from: usize,
        to: usize,
        lot: Option<(usize, u64)>,
        item: Option<usize>,
    },
    Receive {
        transfer: usize,
        delta: i64,
        drop_item: bool,
    },
    Split {
        lot: usize,
        holder: usize,
        percent: u64,
    },
    Merge {
        a: usize,
        b: Option<usize>,
        holder: usize,
        pa: u64,
        pb: u64,
    },
    Check {
        holder: usize,
        lot: usize,
        delta: i64,
        item: Option<(usize, bool)>,
        inspector: bool,
    },
    Lose {
        holder: usize,
        lot: Option<(usize, u64)>,
        item: Option<usize>,
        stolen: bool,
    },
    LoseFromDiscrepancy {
        account: usize,
        stock: usize,
        percent: u64,
        stolen: bool,
    },
    Recover {
        holder: usize,
        lot: Option<(usize, u64)>,
        item: Option<usize>,
        stolen: bool,
    },
    Status {
        lot: Option<usize>,
        item: Option<usize>,
        status: usize,
        by: Option<usize>,
    },
    Destroy {
        lot: Option<(usize, u64)>,
        item: Option<usize>,
    },
    CorrectLast {
        by: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let h = || 0usize..3;
    let sel = || 0usize..16;
    let pct = || 0u64..=110;
    let lot = move || prop::option::weighted(0.85, (sel(), pct()));
    let item = move || prop::option::weighted(0.35, sel());
    prop_oneof![
        2 => (h(), prop_oneof![1 => Just(0u64), 20 => 1u64..1500], 0usize..2)
            .prop_map(|(holder, qty, kind)| Op::RegisterLot { holder, qty, kind }),
        1 => (h(), 1usize..3).prop_map(|(holder, count)| Op::RegisterItems { holder, count }),
        // One dispatch in five goes to where it comes from.
        5 => (h(), 0usize..5, lot(), item()).prop_map(|(from, to, lot, item)| {
            let to = if to < 4 { (from + 1 + to % 2) % 3 } else { from };
            Op::Dispatch { from, to, lot, item }
        }),
        4 => (sel(), -3i64..=3, prop::bool::weighted(0.2))
            .prop_map(|(transfer, delta, drop_item)| Op::Receive { transfer, delta, drop_item }),
        2 => (sel(), h(), pct()).prop_map(|(lot, holder, percent)| Op::Split { lot, holder, percent }),
        2 => (sel(), prop::option::weighted(0.9, sel()), h(), pct(), pct())
            .prop_map(|(a, b, holder, pa, pb)| Op::Merge { a, b, holder, pa, pb }),
        2 => (h(), sel(), -3i64..=3, prop::option::weighted(0.3, (sel(), any::<bool>())), any::<bool>())
            .prop_map(|(holder, lot, delta, item, inspector)| Op::Check { holder, lot, delta, item, inspector }),
        2 => (h(), lot(), item(), any::<bool>())
            .prop_map(|(holder, lot, item, stolen)| Op::Lose { holder, lot, item, stolen }),
        1 => (sel(), sel(), pct(), any::<bool>())
            .prop_map(|(account, stock, percent, stolen)| Op::LoseFromDiscrepancy { account, stock, percent, stolen }),
        2 => (h(), lot(), item(), any::<bool>())
            .prop_map(|(holder, lot, item, stolen)| Op::Recover { holder, lot, item, stolen }),
        2 => (prop::option::weighted(0.8, sel()), item(), 0usize..4, prop::option::of(h()))
            .prop_map(|(lot, item, status, by)| Op::Status { lot, item, status, by }),
        2 => (lot(), item()).prop_map(|(lot, item)| Op::Destroy { lot, item }),
        2 => (0usize..3).prop_map(|by| Op::CorrectLast { by }),
    ]
}

#[derive(Clone, Debug, PartialEq)]
struct MLot {
    kind: usize,
    /// Condition and disposition: a version-1 status given to a status change keeps the
    /// condition when it sets a disposition (surplus, pending destruction), so two lots both
    /// "surplus" may still differ in condition, and a merge of them is refused.
    status: StockStatus,
}

#[derive(Clone, Debug, PartialEq)]
struct MItem {
    status: StockStatus,
    location: String,
}

#[derive(Clone, Debug, PartialEq)]
struct MTransfer {
    id: EventId,
    to: usize,
    items: Vec<String>,
    lots: Vec<(String, u64)>,
}

/// The model: nothing but maps and lists, updated by hand from what each operation means.
#[derive(Clone, Debug, Default, PartialEq)]
struct Model {
    /// `(stock, account) -> units`, non-zero only, for lots and items alike.
    balances: BTreeMap<(String, String), i64>,
    lots: BTreeMap<String, MLot>,
    items: BTreeMap<String, MItem>,
    transfers: Vec<MTransfer>,
}

fn held(h: usize) -> String {
    holding(HOLDERS[h].0, HOLDERS[h].1)
}

fn sink(stolen: bool) -> (&'static str, LossKind) {
    if stolen {
        ("sink:stolen", LossKind::Stolen)
    } else {
        ("sink:lost", LossKind::Lost)
    }
}

impl Model {
    fn bal(&self, stock: &str, account: &str) -> i64 {
        self.balances
            .get(&(stock.to_owned(), account.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    fn post(&mut self, stock: &str, from: &str, to: &str, units: u64) {
        let units = i64::try_from(units).unwrap();
        for (account, delta) in [(from, -units), (to, units)] {
            let key = (stock.to_owned(), account.to_owned());
            let v = self.balances.entry(key.clone()).or_default();
            *v += delta;
            if *v == 0 {
                self.balances.remove(&key);
            }
        }
    }

    fn move_item(&mut self, id: &str, to: &str) {
        let from = self.items[id].location.clone();
        self.post(id, &from, to, 1);
        self.items.get_mut(id).unwrap().location = to.to_owned();
    }

    /// Units still accountable: everything but sources and the final sinks.
    fn live(&self, lot: &str) -> i64 {
        self.balances
            .iter()
            .filter(|((s, a), _)| {
                s == lot
                    && !a.starts_with("source:")
                    && a != "sink:destroyed"
                    && a != "sink:rebatched"
            })
            .map(|(_, v)| (*v).max(0))
            .sum()
    }

    fn lot_destroyed(&self, lot: &str) -> bool {
        self.bal(lot, "sink:destroyed") > 0 && self.live(lot) == 0
    }

    fn item_destroyed(&self, item: &str) -> bool {
        self.items[item].location == "sink:destroyed"
    }

    fn pick_lot(&self, sel: usize) -> Option<String> {
        (!self.lots.is_empty())
            .then(|| self.lots.keys().nth(sel % self.lots.len()).unwrap().clone())
    }

    fn pick_item(&self, sel: usize) -> Option<String> {
        (!self.items.is_empty()).then(|| {
            self.items
                .keys()
                .nth(sel % self.items.len())
                .unwrap()
                .clone()
        })
    }

    /// Mostly a lot with units in `account` (when there is one), sometimes any lot, so that
    /// operations are mostly meaningful and refusals still come up.
    fn pick_lot_in(&self, sel: usize, account: &str) -> Option<String> {
        let there: Vec<&String> = self
            .lots
            .keys()
            .filter(|l| self.bal(l, account) > 0)
            .collect();
        if !sel.is_multiple_of(4) && !there.is_empty() {
            Some(there[(sel / 4) % there.len()].clone())
        } else {
            self.pick_lot(sel)
        }
    }

    /// Mostly an item in `account` (none when there is none), sometimes any item.
    fn pick_item_in(&self, sel: usize, account: &str) -> Option<String> {
        let there: Vec<&String> = self
            .items
            .iter()
            .filter(|(_, i)| i.location == account)
            .map(|(id, _)| id)
            .collect();
        if sel.is_multiple_of(4) {
            self.pick_item(sel)
        } else if there.is_empty() {
            None
        } else {
            Some(there[(sel / 4) % there.len()].clone())
        }
    }

    /// Whether `custodian` holds any of `lot` anywhere.
    fn holds(&self, custodian: &str, lot: &str) -> bool {
        let prefix = format!("{custodian}@");
        self.balances
            .keys()
            .any(|(s, a)| s == lot && a.starts_with(&prefix))
    }

    /// Discrepancy accounts holding something, in order.
    fn open_discrepancies(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self
            .balances
            .keys()
            .filter(|(_, a)| a.starts_with("discrepancy:"))
            .map(|(_, a)| a)
            .collect();
        set.into_iter().cloned().collect()
    }

    fn status_of(&self, stock: &str) -> Status {
        match self.lots.get(stock) {
            Some(l) => l.status.legacy(),
            None => self.items[stock].status.legacy(),
        }
    }

    fn lot_units(&self, matches: impl Fn(&str) -> bool) -> i64 {
        self.balances
            .iter()
            .filter(|((s, a), _)| self.lots.contains_key(s) && matches(a))
            .map(|(_, v)| *v)
            .sum()
    }
}

/// What a refused operation must leave unchanged (verification runs once per case, at the end).
#[derive(Debug, PartialEq)]
struct View {
    len: u64,
    balances: Vec<custodia::Balance>,
    stock: custodia::StockOnHand,
    summary: custodia::Summary,
}

struct Sim {
    w: World,
    m: Model,
    /// The latest accepted event, if a correction may reverse it: (id, its actor, the model
    /// before it).
    undo: Option<(EventId, String, Model)>,
    next_id: u64,
    accepted: u64,
    /// Discrepancy accounts a correction refilled after a loss had emptied them. The ledger
    /// no longer lets a loss take from them (a bug, pinned by
    /// `ledger_rules::a_corrected_loss_gives_its_discrepancy_back`); losses from them are not
    /// generated until it is fixed. Balances and every other operation still cover them.
    forgotten: BTreeSet<String>,
}

impl Sim {
    fn new() -> Sim {
        let mut w = World::new();
        let mut m = Model::default();
        m.lots.insert(
            "lot:l1".into(),
            MLot {
                kind: 0,
                status: StockStatus::default(),
            },
        );
        m.post("lot:l1", "source:stock_on_hand", &held(0), 1000);
        for id in ["item:r1", "item:r2"] {
            m.items.insert(
                id.into(),
                MItem {
                    status: StockStatus::default(),
                    location: "source:seized".into(),
                },
            );
            m.move_item(id, &held(0));
        }
        let before = m.clone();
        // Lots of one kind are of one manufacturing lot (lot integrity lets them merge).
        let mut p2 = lot_def("lot:p2", 500);
        p2.lot_number = manufacturing_lot(0);
        let p2 = w.record(UNIT_B, register_lot_def(DEPOT_B, UNIT_B, p2));
        m.lots.insert(
            "lot:p2".into(),
            MLot {
                kind: 0,
                status: StockStatus::default(),
            },
        );
        m.post("lot:p2", "source:stock_on_hand", &held(1), 500);
        let accepted = w.ledger.len().unwrap();
        let sim = Sim {
            w,
            m,
            undo: Some((p2.id(), UNIT_B.into(), before)),
            next_id: 0,
            accepted,
            forgotten: BTreeSet::new(),
        };
        sim.check();
        sim
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    fn view(&self) -> View {
        let l = &self.w.ledger;
        View {
            len: l.len().unwrap(),
            balances: l.balances(&custodia::BalanceFilter::default()).unwrap(),
            stock: l.stock_on_hand(&custodia::StockFilter::default()).unwrap(),
            summary: l.summary().unwrap(),
        }
    }

    /// Records `body`; the outcome must be the model's prediction. Returns the event when
    /// accepted. A refusal must change nothing.
    fn attempt(
        &mut self,
        op: &Op,
        expect: Result<(), ErrorCode>,
        who: &str,
        body: impl Into<Body>,
        cosigners: &[&str],
    ) -> Option<SignedEvent> {
        let before = expect.is_err().then(|| self.view());
        let body = body.into();
        let shown = format!("{body:?}");
        match (expect, self.w.try_record(who, body, cosigners)) {
            (Ok(()), Ok(ev)) => {
                self.accepted += 1;
                Some(ev)
            }
            (Err(code), Err(e)) => {
                assert_eq!(e.code(), code, "{op:?}: {e}\n{shown}");
                assert_eq!(
                    Some(self.view()),
                    before,
                    "{op:?}: a refusal changed the ledger"
                );
                None
            }
            (Ok(()), Err(e)) => {
                panic!("{op:?} refused, the model expected it accepted: {e}\n{shown}")
            }
            (Err(code), Ok(_)) => {
                panic!("{op:?} accepted, the model expected {code:?}\n{shown}")
            }
        }
    }

    /// After an accepted event: remember how to reverse it, when it can be reversed.
    fn accepted(&mut self, ev: &SignedEvent, who: &str, before: Model, correctable: bool) {
        self.undo = correctable.then(|| (ev.id(), who.to_owned(), before));
    }

    fn run(&mut self, op: &Op) {
        let before = self.m.clone();
        match op {
            Op::RegisterLot { holder, qty, kind } => {
                let (s, unit) = HOLDERS[*holder];
                let id = self.fresh("lot:n");
                let mut def = lot_def(&id, *qty);
                def.nomenclature = NOMENCLATURES[*kind].into();
                def.lot_number = manufacturing_lot(*kind);
                let expect = if *qty == 0 {
                    Err(ErrorCode::ZeroQuantity)
                } else {
                    Ok(())
                };
                if let Some(ev) =
                    self.attempt(op, expect, unit, register_lot_def(s, unit, def), &[])
                {
                    self.m.lots.insert(
                        id.clone(),
                        MLot {
                            kind: *kind,
                            status: StockStatus::default(),
                        },
                    );
                    self.m
                        .post(&id, "source:stock_on_hand", &held(*holder), *qty);
                    self.accepted(&ev, unit, before, true);
                }
            }
            Op::RegisterItems { holder, count } => {
                let (s, unit) = HOLDERS[*holder];
                let ids: Vec<String> = (0..*count).map(|_| self.fresh("item:n")).collect();
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                if let Some(ev) =
                    self.attempt(op, Ok(()), unit, register_items_body(s, unit, &refs), &[])
                {
                    for id in &ids {
                        self.m.items.insert(
                            id.clone(),
                            MItem {
                                status: StockStatus::default(),
                                location: "source:seized".into(),
                            },
                        );
                        self.m.move_item(id, &held(*holder));
                    }
                    self.accepted(&ev, unit, before, true);
                }
            }
            Op::Dispatch {
                from,
                to,
                lot,
                item,
            } => {
                let unit = HOLDERS[*from].1;
                let here = held(*from);
                let lot = lot.and_then(|(sel, pct)| {
                    let id = self.m.pick_lot_in(sel, &here)?;
                    let n = amount(self.m.bal(&id, &here), pct);
                    Some((id, n))
                });
                let item = item.and_then(|sel| self.m.pick_item_in(sel, &here));
                let expect = if from == to {
                    Err(ErrorCode::SamePlace)
                } else if lot.is_none() && item.is_none() {
                    Err(ErrorCode::NothingToMove)
                } else if item.as_ref().is_some_and(|i| self.m.item_destroyed(i)) {
                    Err(ErrorCode::AfterDestruction)
                } else if item
                    .as_ref()
                    .is_some_and(|i| self.m.items[i].location != here)
                {
                    Err(ErrorCode::InsufficientStock)
                } else {
                    self.lot_move_check(lot.as_ref(), &here)
                };
                let items: Vec<&str> = item.iter().map(String::as_str).collect();
                let lots: Vec<_> = lot.iter().map(|(l, n)| lq(l, *n)).collect();
                let body = dispatch(HOLDERS[*from], HOLDERS[*to], &items, lots);
                if let Some(ev) = self.attempt(op, expect, unit, body, &[]) {
                    let transit = format!("in_transit:{}", ev.id());
                    if let Some(i) = &item {
                        self.m.move_item(i, &transit);
                    }
                    if let Some((l, n)) = &lot {
                        self.m.post(l, &here, &transit, *n);
                    }
                    self.m.transfers.push(MTransfer {
                        id: ev.id(),
                        to: *to,
                        items: item.into_iter().collect(),
                        lots: lot.into_iter().collect(),
                    });
                    self.accepted(&ev, unit, before, true);
                }
            }
            Op::Receive {
                transfer,
                delta,
                drop_item,
            } => {
                if self.m.transfers.is_empty() {
                    return;
                }
                let t = self.m.transfers[transfer % self.m.transfers.len()].clone();
                let unit = HOLDERS[t.to].1;
                let dropped = if *drop_item {
                    t.items.first().cloned()
                } else {
                    None
                };
                let got: Vec<(String, u64)> = t
                    .lots
                    .iter()
                    .map(|(l, sent)| {
                        let n = i64::try_from(*sent).unwrap() + delta;
                        (l.clone(), u64::try_from(n.max(0)).unwrap())
                    })
                    .collect();
                let items: Vec<&str> = t
                    .items
                    .iter()
                    .filter(|i| Some(*i) != dropped.as_ref())
                    .map(String::as_str)
                    .collect();
                let lines = got
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(l, n)| lq(l, *n))
                    .collect();
                // The default tolerance: at most 10 % of what was sent may arrive beyond it.
                let over = t
                    .lots
                    .iter()
                    .zip(&got)
                    .any(|((_, sent), (_, got))| got.saturating_sub(*sent) > sent * 10 / 100);
                let expect = if over {
                    Err(ErrorCode::OverReceipt)
                } else {
                    Ok(())
                };
                if let Some(ev) = self.attempt(op, expect, unit, receipt(t.id, &items, lines), &[])
                {
                    let transit = format!("in_transit:{}", t.id);
                    let gap = format!("discrepancy:{}", ev.id());
                    let to = held(t.to);
                    for i in &t.items {
                        let target = if Some(i) == dropped.as_ref() {
                            &gap
                        } else {
                            &to
                        };
                        self.m.move_item(i, target);
                    }
                    for ((l, sent), (_, got)) in t.lots.iter().zip(&got) {
                        self.m.post(l, &transit, &to, (*sent).min(*got));
                        if sent > got {
                            self.m.post(l, &transit, &gap, sent - got);
                        }
                        if got > sent {
                            self.m.post(l, &gap, &to, got - sent);
                        }
                    }
                    self.m.transfers.retain(|x| x.id != t.id);
                    self.accepted(&ev, unit, before, true);
                }
            }
            Op::Split {
                lot,
                holder,
                percent,
            } => {
                let unit = HOLDERS[*holder].1;
                let here = held(*holder);
                let Some(source) = self.m.pick_lot_in(*lot, &here) else {
                    return;
                };
                let n = amount(self.m.bal(&source, &here), *percent);
                let id = self.fresh("lot:s");
                let expect = if self.m.lot_destroyed(&source) {
                    Err(ErrorCode::AfterDestruction)
                } else if n == 0 {
                    Err(ErrorCode::ZeroQuantity)
                } else if self.m.bal(&source, &here) < i64::try_from(n).unwrap() {
                    Err(ErrorCode::InsufficientStock)
                } else {
                    Ok(())
                };
                let body = split(&source, HOLDERS[*holder], &[(&id, n)]);
                if let Some(ev) = self.attempt(op, expect, unit, body, &[]) {
                    let inherited = self.m.lots[&source].clone();
                    self.m.lots.insert(id.clone(), inherited);
                    self.m.post(&source, &here, "sink:rebatched", n);
                    self.m.post(&id, "source:rebatched", &here, n);
                    self.accepted(&ev, unit, before, true);
                }
            }
            Op::Merge {
                a,
                b,
                holder,
                pa,
                pb,
            } => {
                let unit = HOLDERS[*holder].1;
                let here = held(*holder);
                let Some(la) = self.m.pick_lot_in(*a, &here) else {
                    return;
                };
                // Another lot, mostly one held here too; without `b`, the same lot twice.
                let lb = match b {
                    None => la.clone(),
                    Some(sel) => {
                        let others: Vec<String> =
                            self.m.lots.keys().filter(|l| **l != la).cloned().collect();
                        let here_too: Vec<&String> =
                            others.iter().filter(|l| self.m.bal(l, &here) > 0).collect();
                        if !sel.is_multiple_of(4) && !here_too.is_empty() {
                            here_too[(sel / 4) % here_too.len()].clone()
                        } else if others.is_empty() {
                            return;
                        } else {
                            others[sel % others.len()].clone()
                        }
                    }
                };
                let qa = amount(self.m.bal(&la, &here), *pa);
                let qb = amount(self.m.bal(&lb, &here), *pb);
                let id = self.fresh("lot:m");
                let differ = self.m.lots[&la] != self.m.lots[&lb];
                // Per line: the lot (destroyed?), how it differs from the first, then the move.
                let line = |l: &str, n: u64| {
                    if n == 0 {
                        Err(ErrorCode::ZeroQuantity)
                    } else if self.m.bal(l, &here) < i64::try_from(n).unwrap() {
                        Err(ErrorCode::InsufficientStock)
                    } else {
                        Ok(())
                    }
                };
                let expect = if la == lb {
                    Err(ErrorCode::Repeated)
                } else if self.m.lot_destroyed(&la) {
                    Err(ErrorCode::AfterDestruction)
                } else if let Err(code) = line(&la, qa) {
                    Err(code)
                } else if self.m.lot_destroyed(&lb) {
                    Err(ErrorCode::AfterDestruction)
                } else if differ {
                    Err(ErrorCode::LotsDiffer)
                } else {
                    line(&lb, qb)
                };
                let body = merge(HOLDERS[*holder], vec![lq(&la, qa), lq(&lb, qb)], &id);
                if let Some(ev) = self.attempt(op, expect, unit, body, &[]) {
                    let first = self.m.lots[&la].clone();
                    self.m.lots.insert(id.clone(), first);
                    self.m.post(&la, &here, "sink:rebatched", qa);
                    self.m.post(&lb, &here, "sink:rebatched", qb);
                    self.m.post(&id, "source:rebatched", &here, qa + qb);
                    self.accepted(&ev, unit, before, true);
                }
            }
            Op::Check {
                holder,
                lot,
                delta,
                item,
                inspector,
            } => {
                let unit = HOLDERS[*holder].1;
                let who = if *inspector { ADMIN } else { unit };
                let here = held(*holder);
                let Some(l) = self.m.pick_lot_in(*lot, &here) else {
                    return;
                };
                let booked = self.m.bal(&l, &here);
                let counted = u64::try_from((booked + delta).max(0)).unwrap();
                let booked = u64::try_from(booked).unwrap();
                let item = item
                    .and_then(|(sel, present)| Some((self.m.pick_item_in(sel, &here)?, present)));
                let expect = if self.m.lot_destroyed(&l) {
                    Err(ErrorCode::AfterDestruction)
                } else {
                    match &item {
                        Some((i, _)) if self.m.item_destroyed(i) => {
                            Err(ErrorCode::AfterDestruction)
                        }
                        Some((i, _)) if self.m.items[i].location != here => {
                            Err(ErrorCode::NotBookedHere)
                        }
                        _ => Ok(()),
                    }
                };
                let items: Vec<(&str, bool)> = item.iter().map(|(i, p)| (i.as_str(), *p)).collect();
                let body = stock_check(HOLDERS[*holder], &[(&l, booked, counted)], &items);
                if let Some(ev) = self.attempt(op, expect, who, body, &[]) {
                    let gap = format!("discrepancy:{}", ev.id());
                    if counted < booked {
                        self.m.post(&l, &here, &gap, booked - counted);
                    } else if counted > booked {
                        self.m.post(&l, &gap, &here, counted - booked);
                    }
                    if let Some((i, false)) = &item {
                        self.m.move_item(i, &gap);
                    }
                    self.accepted(&ev, who, before, true);
                }
            }
            Op::Lose {
                holder,
                lot,
                item,
                stolen,
            } => {
                let unit = HOLDERS[*holder].1;
                let here = held(*holder);
                let (to, kind) = sink(*stolen);
                let lot = lot.and_then(|(sel, pct)| {
                    let id = self.m.pick_lot_in(sel, &here)?;
                    let n = amount(self.m.bal(&id, &here), pct);
                    Some((id, n))
                });
                let item = item.and_then(|sel| self.m.pick_item_in(sel, &here));
                let expect = self.movement_check(lot.as_ref(), item.as_ref(), &here);
                let items: Vec<&str> = item.iter().map(String::as_str).collect();
                let lots: Vec<_> = lot.iter().map(|(l, n)| lq(l, *n)).collect();
                let body = loss(kind, HOLDERS[*holder], None, &items, lots);
                if let Some(ev) = self.attempt(op, expect, unit, body, &[]) {
                    if let Some(i) = &item {
                        self.m.move_item(i, to);
                    }
                    if let Some((l, n)) = &lot {
                        self.m.post(l, &here, to, *n);
                    }
                    self.accepted(&ev, unit, before, true);
                }
            }
            Op::LoseFromDiscrepancy {
                account,
                stock,
                percent,
                stolen,
            } => {
                let open: Vec<String> = self
                    .m
                    .open_discrepancies()
                    .into_iter()
                    .filter(|a| !self.forgotten.contains(a))
                    .collect();
                if open.is_empty() {
                    return;
                }
                let gap = open[account % open.len()].clone();
                let (to, kind) = sink(*stolen);
                // What the account holds: lots with missing units, and items.
                let held_there: Vec<(String, i64)> = self
                    .m
                    .balances
                    .iter()
                    .filter(|((_, a), v)| *a == gap && **v > 0)
                    .map(|((s, _), v)| (s.clone(), *v))
                    .collect();
                let Some((s, have)) = held_there.get(stock % held_there.len().max(1)).cloned()
                else {
                    return;
                };
                let id = EventId::from_hex(gap.trim_start_matches("discrepancy:")).unwrap();
                let is_item = self.m.items.contains_key(&s);
                let n = if is_item { 1 } else { amount(have, *percent) };
                let expect = if is_item {
                    Ok(())
                } else if i64::try_from(n).unwrap() > have {
                    Err(ErrorCode::InsufficientStock)
                } else if n == 0 {
                    Err(ErrorCode::ZeroQuantity)
                } else {
                    Ok(())
                };
                let (items, lots) = if is_item {
                    (vec![s.as_str()], vec![])
                } else {
                    (vec![], vec![lq(&s, n)])
                };
                // Any custodian may report it; unit B does.
                let body = loss(kind, B, Some(id), &items, lots);
                if let Some(ev) = self.attempt(op, expect, UNIT_B, body, &[]) {
                    if is_item {
                        self.m.move_item(&s, to);
                    } else {
                        self.m.post(&s, &gap, to, n);
                    }
                    self.accepted(&ev, UNIT_B, before, true);
                }
            }
            Op::Recover {
                holder,
                lot,
                item,
                stolen,
            } => {
                let unit = HOLDERS[*holder].1;
                let here = held(*holder);
                let (from, kind) = sink(*stolen);
                let lot = lot.and_then(|(sel, pct)| {
                    let id = self.m.pick_lot_in(sel, from)?;
                    let n = amount(self.m.bal(&id, from), pct);
                    Some((id, n))
                });
                let item = item.and_then(|sel| self.m.pick_item_in(sel, from));
                let expect = self.movement_check(lot.as_ref(), item.as_ref(), from);
                let items: Vec<&str> = item.iter().map(String::as_str).collect();
                let lots: Vec<_> = lot.iter().map(|(l, n)| lq(l, *n)).collect();
                let body = recovery(kind, HOLDERS[*holder], &items, lots);
                if let Some(ev) = self.attempt(op, expect, unit, body, &[]) {
                    if let Some(i) = &item {
                        self.m.move_item(i, &here);
                    }
                    if let Some((l, n)) = &lot {
                        self.m.post(l, from, &here, *n);
                    }
                    self.accepted(&ev, unit, before, true);
                }
            }
            Op::Status {
                lot,
                item,
                status,
                by,
            } => {
                let lot = lot.and_then(|sel| self.m.pick_lot(sel));
                let item = item.and_then(|sel| self.m.pick_item(sel));
                let who = by.map_or(ADMIN, |h| HOLDERS[h].1);
                let privileged = by.is_none();
                let new = STATUSES[*status];
                // Version 2: only the technical authority (no actor of this model) returns
                // suspended stock to serviceable.
                let lifts = |suspended: bool| suspended && new == Status::Serviceable;
                let expect = if lot.is_none() && item.is_none() {
                    Err(ErrorCode::NothingToMove)
                } else if item.as_ref().is_some_and(|i| self.m.item_destroyed(i)) {
                    Err(ErrorCode::AfterDestruction)
                } else if item.as_ref().is_some_and(|i| {
                    let loc = &self.m.items[i].location;
                    !privileged && loc.contains('@') && !loc.starts_with(&format!("{who}@"))
                }) {
                    Err(ErrorCode::NotCustodian)
                } else if item.as_ref().is_some_and(|i| {
                    lifts(self.m.items[i].status.condition == Condition::Suspended)
                }) {
                    Err(ErrorCode::MissingRole)
                } else if lot.as_ref().is_some_and(|l| self.m.lot_destroyed(l)) {
                    Err(ErrorCode::AfterDestruction)
                } else if lot
                    .as_ref()
                    .is_some_and(|l| !privileged && !self.m.holds(who, l))
                {
                    Err(ErrorCode::NotHolder)
                } else if lot
                    .as_ref()
                    .is_some_and(|l| lifts(self.m.lots[l].status.condition == Condition::Suspended))
                {
                    Err(ErrorCode::MissingRole)
                } else {
                    Ok(())
                };
                let items: Vec<&str> = item.iter().map(String::as_str).collect();
                let lots: Vec<&str> = lot.iter().map(String::as_str).collect();
                if let Some(ev) =
                    self.attempt(op, expect, who, status_change(&items, &lots, new), &[])
                {
                    if let Some(i) = &item {
                        let m = self.m.items.get_mut(i).unwrap();
                        m.status = m.status.after_legacy(new);
                    }
                    if let Some(l) = &lot {
                        let m = self.m.lots.get_mut(l).unwrap();
                        m.status = m.status.after_legacy(new);
                    }
                    self.accepted(&ev, who, before, true);
                }
            }
            Op::Destroy { lot, item } => {
                let range = held(2);
                let lot = lot.and_then(|(sel, pct)| {
                    let id = self.m.pick_lot_in(sel, &range)?;
                    let n = amount(self.m.bal(&id, &range), pct);
                    Some((id, n))
                });
                let item = item.and_then(|sel| self.m.pick_item_in(sel, &range));
                let expect = if lot.is_none() && item.is_none() {
                    Err(ErrorCode::NothingToMove)
                } else if item.as_ref().is_some_and(|i| self.m.item_destroyed(i)) {
                    Err(ErrorCode::AfterDestruction)
                } else {
                    match &lot {
                        Some((l, _)) if self.m.lot_destroyed(l) => Err(ErrorCode::AfterDestruction),
                        Some((_, 0)) => Err(ErrorCode::ZeroQuantity),
                        Some((l, n)) if i64::try_from(*n).unwrap() > self.m.live(l) => {
                            Err(ErrorCode::BeyondLiveUnits)
                        }
                        _ => Ok(()),
                    }
                };
                let items: Vec<&str> = item.iter().map(String::as_str).collect();
                let lots: Vec<_> = lot.iter().map(|(l, n)| lq(l, *n)).collect();
                let Some(auth) =
                    self.attempt(op, expect, ADMIN, authorisation(&items, lots.clone()), &[])
                else {
                    return;
                };
                self.accepted(&auth, ADMIN, before.clone(), true);
                // Format version 2 destroys only stock released for destruction, and checks it
                // before moving anything.
                let released = |s: &str| {
                    matches!(
                        self.m.status_of(s),
                        Status::Surplus | Status::PendingDestruction
                    )
                };
                let expect =
                    if item.iter().any(|i| !released(i)) || lot.iter().any(|(l, _)| !released(l)) {
                        Err(ErrorCode::NotReleasedForDestruction)
                    } else {
                        self.movement_check(lot.as_ref(), item.as_ref(), &range)
                    };
                let body = destruction(auth.id(), "cutting", &items, lots);
                if let Some(ev) = self.attempt(op, expect, DEMIL, body, &[WITNESS_1, WITNESS_2]) {
                    if let Some(i) = &item {
                        self.m.move_item(i, "sink:destroyed");
                    }
                    if let Some((l, n)) = &lot {
                        self.m.post(l, &range, "sink:destroyed", *n);
                    }
                    self.accepted(&ev, DEMIL, before, false);
                }
            }
            Op::CorrectLast { by } => {
                let target = self.w.journal.last().unwrap().id();
                let expect_and_who = match &self.undo {
                    None => (Err(ErrorCode::NotCorrectable), ADMIN.to_owned()),
                    Some((id, original, _)) => {
                        assert_eq!(*id, target);
                        let who = match by {
                            0 => original.clone(),
                            1 => ADMIN.to_owned(),
                            _ => [UNIT_A, UNIT_B]
                                .into_iter()
                                .find(|u| u != original)
                                .unwrap()
                                .to_owned(),
                        };
                        let ok = who == *original || who == ADMIN;
                        (
                            if ok {
                                Ok(())
                            } else {
                                Err(ErrorCode::MissingRole)
                            },
                            who,
                        )
                    }
                };
                let (expect, who) = expect_and_who;
                if self
                    .attempt(op, expect, &who, correction(target), &[])
                    .is_some()
                {
                    let (_, _, model) = self.undo.take().unwrap();
                    let open_before: BTreeSet<String> =
                        self.m.open_discrepancies().into_iter().collect();
                    self.m = model;
                    for account in self.m.open_discrepancies() {
                        if !open_before.contains(&account) {
                            self.forgotten.insert(account);
                        }
                    }
                }
            }
        }
    }

    /// The checks `move_lot` makes, in its order: zero, destroyed, enough in `from`.
    fn lot_move_check(&self, lot: Option<&(String, u64)>, from: &str) -> Result<(), ErrorCode> {
        match lot {
            Some((_, 0)) => Err(ErrorCode::ZeroQuantity),
            Some((l, _)) if self.m.lot_destroyed(l) => Err(ErrorCode::AfterDestruction),
            Some((l, n)) if self.m.bal(l, from) < i64::try_from(*n).unwrap() => {
                Err(ErrorCode::InsufficientStock)
            }
            _ => Ok(()),
        }
    }

    /// The checks of a movement of one item and one lot line out of `from`, in the ledger's
    /// order: something moves, then the item, then the lot.
    fn movement_check(
        &self,
        lot: Option<&(String, u64)>,
        item: Option<&String>,
        from: &str,
    ) -> Result<(), ErrorCode> {
        if lot.is_none() && item.is_none() {
            return Err(ErrorCode::NothingToMove);
        }
        if let Some(i) = item {
            if self.m.item_destroyed(i) {
                return Err(ErrorCode::AfterDestruction);
            }
            if self.m.items[i].location != from {
                return Err(ErrorCode::InsufficientStock);
            }
        }
        self.lot_move_check(lot, from)
    }

    /// The ledger agrees with the model, balance by balance.
    fn check(&self) {
        self.w.ledger.check_invariants().unwrap();
        if let Err(e) = disagreement(&self.w, &self.m, self.accepted) {
            panic!("{e}");
        }
    }
}

macro_rules! ensure_eq {
    ($a:expr, $b:expr, $what:expr) => {
        if $a != $b {
            return Err(format!("{}: ledger {:?}, model {:?}", $what, $a, $b));
        }
    };
}

/// Where the ledger and the model disagree, if anywhere.
fn disagreement(w: &World, m: &Model, accepted: u64) -> Result<(), String> {
    let l = &w.ledger;
    ensure_eq!(l.len().unwrap(), accepted, "events");
    let actual = w.balances();
    if actual != m.balances {
        let keys: BTreeSet<_> = actual.keys().chain(m.balances.keys()).collect();
        let diff: Vec<_> = keys
            .into_iter()
            .filter(|k| actual.get(*k) != m.balances.get(*k))
            .map(|k| (k, actual.get(k), m.balances.get(k)))
            .collect();
        return Err(format!("balances disagree (key, ledger, model): {diff:#?}"));
    }
    {
        // Stock on hand: every holding line, with its status and explosive content.
        let soh = l.stock_on_hand(&custodia::StockFilter::default()).unwrap();
        let lines: BTreeMap<(String, String), (i64, Status, i64)> = soh
            .lines
            .iter()
            .map(|x| {
                let account = format!("{}@{}", x.custodian, x.site);
                let status = StockStatus {
                    condition: x.condition,
                    disposition: x.disposition,
                }
                .legacy();
                ((x.stock.clone(), account), (x.units, status, x.neq_mg))
            })
            .collect();
        let expected: BTreeMap<(String, String), (i64, Status, i64)> = m
            .balances
            .iter()
            .filter(|((_, a), _)| a.contains('@'))
            .map(|((s, a), v)| {
                let neq = if m.lots.contains_key(s) { 2_000 * v } else { 0 };
                ((s.clone(), a.clone()), (*v, m.status_of(s), neq))
            })
            .collect();
        ensure_eq!(lines, expected, "stock on hand");
        let total: i64 = soh.totals.iter().map(|t| t.units).sum();
        ensure_eq!(
            total,
            lines.values().map(|v| v.0).sum::<i64>(),
            "stock on hand totals"
        );
        // The summary.
        let s = l.summary().unwrap();
        ensure_eq!(s.events, accepted, "summary events");
        ensure_eq!(s.lots, m.lots.len() as u64, "summary lots");
        ensure_eq!(s.items, m.items.len() as u64, "summary items");
        let destroyed_items = m
            .items
            .values()
            .filter(|i| i.location == "sink:destroyed")
            .count();
        ensure_eq!(s.items_destroyed, destroyed_items as u64, "items destroyed");
        ensure_eq!(s.units_held, m.lot_units(|a| a.contains('@')), "units held");
        ensure_eq!(
            s.units_in_transit,
            m.lot_units(|a| a.starts_with("in_transit:")),
            "in transit"
        );
        ensure_eq!(
            s.units_destroyed,
            m.lot_units(|a| a == "sink:destroyed"),
            "destroyed"
        );
        ensure_eq!(s.units_lost, m.lot_units(|a| a == "sink:lost"), "lost");
        ensure_eq!(
            s.units_stolen,
            m.lot_units(|a| a == "sink:stolen"),
            "stolen"
        );
        ensure_eq!(
            s.units_in_discrepancy,
            m.lot_units(|a| a.starts_with("discrepancy:")),
            "in discrepancy"
        );
        ensure_eq!(s.open_transfers, m.transfers.len() as u64, "open transfers");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]
    #[test]
    fn the_ledger_agrees_with_a_plain_model(ops in prop::collection::vec(op(), 1..48)) {
        let mut sim = Sim::new();
        for op in &ops {
            sim.run(op);
            sim.check();
        }
        let v = sim.w.ledger.verify().unwrap();
        prop_assert!(v.ok, "{:?}", v.failure);
        prop_assert_eq!(v.events, sim.accepted);
    }
}

/// The model is only as good as its ability to fail: a deliberate one-unit error in any single
/// posting of a plausible history is reported, account by account.
#[test]
fn a_one_unit_error_in_any_posting_is_caught() {
    let ops = [
        Op::Dispatch {
            from: 0,
            to: 1,
            lot: Some((0, 30)),
            item: Some(0),
        },
        Op::Receive {
            transfer: 0,
            delta: -2,
            drop_item: false,
        },
        Op::Split {
            lot: 0,
            holder: 1,
            percent: 50,
        },
        Op::Check {
            holder: 0,
            lot: 0,
            delta: 1,
            item: None,
            inspector: true,
        },
        Op::Lose {
            holder: 0,
            lot: Some((0, 10)),
            item: None,
            stolen: true,
        },
        Op::Recover {
            holder: 0,
            lot: Some((0, 50)),
            item: None,
            stolen: true,
        },
    ];
    let mut sim = Sim::new();
    for op in &ops {
        sim.run(op);
        sim.check();
    }
    let keys: Vec<_> = sim.m.balances.keys().cloned().collect();
    assert!(keys.len() >= 12, "{keys:?}");
    disagreement(&sim.w, &sim.m, sim.accepted).unwrap();
    for key in keys {
        for delta in [-1, 1] {
            // One posting of one unit more or less: the balances of its two accounts move.
            let mut wrong = sim.m.clone();
            *wrong.balances.get_mut(&key).unwrap() += delta;
            let found = disagreement(&sim.w, &wrong, sim.accepted);
            assert!(found.is_err(), "{key:?} off by {delta} was not caught");
        }
    }
}

/// The manufacturer's lot number of the model's lots of `kind`: one per kind, that of the
/// standard world's `lot:l1` for kind 0, so that the lots the model merges (same kind) are of
/// one manufacturing lot, as format version 2's lot integrity requires.
fn manufacturing_lot(kind: usize) -> String {
    if kind == 0 {
        "LN-lot:l1".into()
    } else {
        format!("LN-kind-{kind}")
    }
}
