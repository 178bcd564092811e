//! Model-based property test: the real ledger runs beside a plain `BTreeMap` of balances over
//! random operation sequences. After every step they must agree, every lot's accounts must sum
//! to zero, and no holding, transit or sink account may be negative.
#![allow(
    clippy::result_large_err,
    clippy::type_complexity,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;

use common::*;
use custodia::event::{Body, LossKind, LotCount};
use custodia::ledger::{Account, Sink, Stock};
use custodia::model::{EventId, LotId};
use custodia::scribe::Scribe;
use proptest::prelude::*;

const HOLDERS: [(&str, &str); 3] = [(DEPOT_A, UNIT_A), (DEPOT_B, UNIT_B), (RANGE, DEMIL)];
const LOTS: [&str; 2] = ["lot:l1", "lot:p2"];

#[derive(Clone, Debug)]
enum Op {
    Dispatch {
        from: usize,
        to: usize,
        lot: usize,
        qty: u64,
    },
    Receive {
        transfer: usize,
        delta: i64,
    },
    Check {
        holder: usize,
        lot: usize,
        delta: i64,
    },
    Lose {
        holder: usize,
        lot: usize,
        qty: u64,
        stolen: bool,
    },
    Recover {
        holder: usize,
        lot: usize,
        qty: u64,
        stolen: bool,
    },
    Destroy {
        lot: usize,
        qty: u64,
    },
    CorrectLast,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..3usize, 0..2usize, 0..700u64).prop_map(|(from, to, lot, qty)| Op::Dispatch { from, to, lot, qty }),
        3 => (0..4usize, -5..5i64).prop_map(|(transfer, delta)| Op::Receive { transfer, delta }),
        1 => (0..3usize, 0..2usize, -3..3i64).prop_map(|(holder, lot, delta)| Op::Check { holder, lot, delta }),
        1 => (0..3usize, 0..2usize, 0..60u64, any::<bool>()).prop_map(|(holder, lot, qty, stolen)| Op::Lose { holder, lot, qty, stolen }),
        1 => (0..3usize, 0..2usize, 0..60u64, any::<bool>()).prop_map(|(holder, lot, qty, stolen)| Op::Recover { holder, lot, qty, stolen }),
        1 => (0..2usize, 0..400u64).prop_map(|(lot, qty)| Op::Destroy { lot, qty }),
        1 => Just(Op::CorrectLast),
    ]
}

type Model = BTreeMap<(Account, LotId), i128>;

fn bal(m: &Model, a: &Account, lot: &LotId) -> i128 {
    m.get(&(a.clone(), lot.clone())).copied().unwrap_or(0)
}

fn post(m: &mut Model, lot: &LotId, from: &Account, to: &Account, q: u64) {
    *m.entry((from.clone(), lot.clone())).or_default() -= i128::from(q);
    *m.entry((to.clone(), lot.clone())).or_default() += i128::from(q);
    m.retain(|_, v| *v != 0);
}

fn live(m: &Model, lot: &LotId) -> i128 {
    m.iter()
        .filter(|((a, l), _)| {
            l == lot
                && !matches!(
                    a,
                    Account::Source(_)
                        | Account::Sink(
                            Sink::Destroyed | Sink::Rebatched | Sink::Consumed | Sink::Exported
                        )
                )
        })
        .map(|(_, v)| (*v).max(0))
        .sum()
}

fn destroyed(m: &Model, lot: &LotId) -> bool {
    bal(m, &Account::Sink(Sink::Destroyed), lot) > 0 && live(m, lot) == 0
}

fn held(i: usize) -> Account {
    let (site, custodian) = HOLDERS[i];
    Account::Holding {
        site: site_id(site),
        custodian: actor_id(custodian),
    }
}

struct Sim {
    s: Scribe,
    model: Model,
    transfers: Vec<(EventId, usize, usize, LotId, u64)>,
    /// Model and transfers before the last accepted event, if that event can be reversed.
    undo: Option<(EventId, Model, Vec<(EventId, usize, usize, LotId, u64)>)>,
    step: u32,
}

impl Sim {
    fn new() -> Self {
        let mut s = world();
        s.record(
            t(1, 2),
            &actor_id(UNIT_B),
            register_lot_body(DEPOT_B, UNIT_B, "lot:p2", 500),
            &[],
        )
        .unwrap();
        let mut model = Model::new();
        let source = Account::Source(custodia::ledger::Source::Origin(
            custodia::model::OriginKind::StockOnHand,
        ));
        post(&mut model, &lot_id("lot:l1"), &source, &held(0), 1000);
        post(&mut model, &lot_id("lot:p2"), &source, &held(1), 500);
        Sim {
            s,
            model,
            transfers: Vec::new(),
            undo: None,
            step: 0,
        }
    }

    fn record(
        &mut self,
        actor: &str,
        body: Body,
        cosigners: &[&str],
    ) -> Result<EventId, custodia::LedgerError> {
        self.step += 1;
        let co: Vec<_> = cosigners.iter().map(|c| actor_id(c)).collect();
        let refs: Vec<_> = co.iter().collect();
        self.s
            .record(
                t(2 + self.step / 20, self.step % 20),
                &actor_id(actor),
                body,
                &refs,
            )
            .map(|e| e.id)
    }

    /// Runs one operation; returns (predicted acceptance, actual acceptance).
    fn run(&mut self, op: &Op) -> (bool, bool) {
        let before = (self.model.clone(), self.transfers.clone());
        let (expect, result, reversible) = match op {
            Op::Dispatch { from, to, lot, qty } => {
                let l = lot_id(LOTS[*lot]);
                let ok = from != to
                    && *qty > 0
                    && !destroyed(&self.model, &l)
                    && bal(&self.model, &held(*from), &l) >= i128::from(*qty);
                let (site, cust) = HOLDERS[*from];
                let body = Body::TransferDispatch {
                    from: place(site, cust),
                    to: place(HOLDERS[*to].0, HOLDERS[*to].1),
                    items: vec![],
                    lots: vec![lq(LOTS[*lot], *qty)],
                    reference: None,
                };
                let r = self.record(cust, body, &[]);
                if let Ok(id) = &r {
                    post(
                        &mut self.model,
                        &l,
                        &held(*from),
                        &Account::InTransit(*id),
                        *qty,
                    );
                    self.transfers.push((*id, *from, *to, l, *qty));
                }
                (ok, r.map(|_| ()), true)
            }
            Op::Receive { transfer, delta } => {
                if self.transfers.is_empty() {
                    return (true, true);
                }
                let (id, _, to, l, sent) = self.transfers[transfer % self.transfers.len()].clone();
                let got = (sent as i64 + delta).max(0) as u64;
                let body = Body::TransferReceipt {
                    dispatch: id,
                    items: vec![],
                    lots: if got > 0 {
                        vec![lq(l.as_str(), got)]
                    } else {
                        vec![]
                    },
                    note: None,
                };
                let r = self.record(HOLDERS[to].1, body, &[]);
                if let Ok(rid) = &r {
                    let transit = Account::InTransit(id);
                    let gap = Account::Discrepancy(*rid);
                    post(&mut self.model, &l, &transit, &held(to), got.min(sent));
                    if sent > got {
                        post(&mut self.model, &l, &transit, &gap, sent - got);
                    } else {
                        post(&mut self.model, &l, &gap, &held(to), got - sent);
                    }
                    self.transfers.retain(|t| t.0 != id);
                }
                (true, r.map(|_| ()), true)
            }
            Op::Check { holder, lot, delta } => {
                let l = lot_id(LOTS[*lot]);
                let booked = bal(&self.model, &held(*holder), &l);
                let counted = (booked as i64 + delta).max(0) as u64;
                let ok = !destroyed(&self.model, &l);
                let (site, cust) = HOLDERS[*holder];
                let body = Body::StockCheck {
                    site: site_id(site),
                    custodian: actor_id(cust),
                    lots: vec![LotCount {
                        lot: l.clone(),
                        booked: q(booked as u64),
                        counted: q(counted),
                    }],
                    items: vec![],
                };
                let r = self.record(cust, body, &[]);
                if let Ok(id) = &r {
                    let gap = Account::Discrepancy(*id);
                    if (counted as i128) < booked {
                        post(
                            &mut self.model,
                            &l,
                            &held(*holder),
                            &gap,
                            (booked - counted as i128) as u64,
                        );
                    } else {
                        post(
                            &mut self.model,
                            &l,
                            &gap,
                            &held(*holder),
                            (counted as i128 - booked) as u64,
                        );
                    }
                }
                (ok, r.map(|_| ()), true)
            }
            Op::Lose {
                holder,
                lot,
                qty,
                stolen,
            } => {
                let l = lot_id(LOTS[*lot]);
                let ok = *qty > 0
                    && !destroyed(&self.model, &l)
                    && bal(&self.model, &held(*holder), &l) >= i128::from(*qty);
                let loss = if *stolen {
                    LossKind::Stolen
                } else {
                    LossKind::Lost
                };
                let (site, cust) = HOLDERS[*holder];
                let body = Body::LossReport {
                    loss,
                    site: site_id(site),
                    custodian: actor_id(cust),
                    discrepancy: None,
                    items: vec![],
                    lots: vec![lq(LOTS[*lot], *qty)],
                    reference: None,
                };
                let r = self.record(cust, body, &[]);
                if r.is_ok() {
                    post(
                        &mut self.model,
                        &l,
                        &held(*holder),
                        &Account::Sink(Sink::from(loss)),
                        *qty,
                    );
                }
                (ok, r.map(|_| ()), true)
            }
            Op::Recover {
                holder,
                lot,
                qty,
                stolen,
            } => {
                let l = lot_id(LOTS[*lot]);
                let loss = if *stolen {
                    LossKind::Stolen
                } else {
                    LossKind::Lost
                };
                let sink = Account::Sink(Sink::from(loss));
                let ok = *qty > 0
                    && !destroyed(&self.model, &l)
                    && bal(&self.model, &sink, &l) >= i128::from(*qty);
                let (site, cust) = HOLDERS[*holder];
                let body = Body::Recovery {
                    loss,
                    site: site_id(site),
                    custodian: actor_id(cust),
                    items: vec![],
                    lots: vec![lq(LOTS[*lot], *qty)],
                    reference: None,
                };
                let r = self.record(cust, body, &[]);
                if r.is_ok() {
                    post(&mut self.model, &l, &sink, &held(*holder), *qty);
                }
                (ok, r.map(|_| ()), true)
            }
            Op::Destroy { lot, qty } => {
                let l = lot_id(LOTS[*lot]);
                if *qty == 0
                    || destroyed(&self.model, &l)
                    || bal(&self.model, &held(2), &l) < i128::from(*qty)
                {
                    return (true, true);
                }
                let auth = self
                    .record(
                        ADMIN,
                        Body::DestructionAuthorisation {
                            reference: "O".into(),
                            items: vec![],
                            lots: vec![lq(LOTS[*lot], *qty)],
                            methods: vec!["cutting".into()],
                        },
                        &[],
                    )
                    .unwrap();
                let body = Body::Destruction {
                    authorisation: auth,
                    site: site_id(RANGE),
                    custodian: actor_id(DEMIL),
                    method: "cutting".into(),
                    certificate: "C".into(),
                    items: vec![],
                    lots: vec![lq(LOTS[*lot], *qty)],
                    witnesses: witnesses(),
                };
                let r = self.record(DEMIL, body, &[WITNESS_1, WITNESS_2]);
                if r.is_ok() {
                    post(
                        &mut self.model,
                        &l,
                        &held(2),
                        &Account::Sink(Sink::Destroyed),
                        *qty,
                    );
                }
                (true, r.map(|_| ()), false)
            }
            Op::CorrectLast => {
                let Some((target, model, transfers)) = self.undo.take() else {
                    return (true, true);
                };
                let r = self.record(
                    ADMIN,
                    Body::Correction {
                        reverses: target,
                        reason: "test".into(),
                    },
                    &[],
                );
                if r.is_ok() {
                    self.model = model;
                    self.transfers = transfers;
                }
                (true, r.map(|_| ()), false)
            }
        };
        if let Ok(()) = &result {
            let last = self.s.journal().last().unwrap().id;
            self.undo = reversible.then_some((last, before.0, before.1));
        }
        if let Err(e) = &result
            && expect
        {
            panic!("{op:?} refused unexpectedly: {e}");
        }
        (expect, result.is_ok())
    }

    fn check(&self) {
        let st = self.s.ledger().state();
        st.check_invariants().unwrap();
        for lot in LOTS {
            let l = lot_id(lot);
            let stock = Stock::Lot(l.clone());
            let mut sum = 0;
            for (account, stocks) in st.balances() {
                let b = stocks.get(&stock).copied().unwrap_or(0);
                assert_eq!(b, bal(&self.model, account, &l), "{account} of {lot}");
                assert!(
                    b >= 0 || account.may_go_negative(),
                    "{account} of {lot} is {b}"
                );
                sum += b;
            }
            assert_eq!(sum, 0, "accounts of {lot} sum to {sum}");
            for ((account, ml), b) in &self.model {
                if ml == &l {
                    assert_eq!(
                        st.balance(account, &stock),
                        *b,
                        "model has {account} of {lot} at {b}"
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn ledger_agrees_with_a_plain_balance_model(ops in prop::collection::vec(op(), 1..40)) {
        let mut sim = Sim::new();
        sim.check();
        for op in &ops {
            let (expected, accepted) = sim.run(op);
            prop_assert_eq!(expected, accepted, "{:?}", op);
            sim.check();
        }
    }
}
