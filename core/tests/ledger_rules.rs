//! Behaviour of the ledger on good and bad events: each refusal names the event and field,
//! and leaves the state unchanged.
#![allow(
    clippy::result_large_err,
    clippy::type_complexity,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::event::{Body, Event, ItemCount, LossKind, LotCount};
use custodia::ledger::{Account, LedgerError, Sink, Stock};
use custodia::model::{PublicKey, Status};
use custodia::scribe::Scribe;
use custodia::{Ledger, Signer};

/// Records an event that must be refused; asserts the state did not change and returns the error.
fn refused(
    s: &mut Scribe,
    at: custodia::Timestamp,
    actor: &str,
    body: Body,
    cosigners: &[&str],
) -> LedgerError {
    let before = s.ledger().state().digest();
    let count = s.ledger().state().event_count();
    let co: Vec<_> = cosigners.iter().map(|c| actor_id(c)).collect();
    let co_refs: Vec<_> = co.iter().collect();
    let err = s
        .record(at, &actor_id(actor), body, &co_refs)
        .expect_err("event should be refused");
    assert_eq!(
        s.ledger().state().digest(),
        before,
        "state changed after a refused event: {err}"
    );
    assert_eq!(s.ledger().state().event_count(), count);
    s.ledger().state().check_invariants().unwrap();
    err
}

/// Depot A's unit dispatches to depot B's.
fn a_to_b(items: Vec<custodia::model::ItemId>, lots: Vec<custodia::event::LotQuantity>) -> Body {
    Body::TransferDispatch {
        from: place(DEPOT_A, UNIT_A),
        to: place(DEPOT_B, UNIT_B),
        items,
        lots,
        reference: None,
    }
}

fn holding(site: &str, custodian: &str) -> Account {
    Account::Holding {
        site: site_id(site),
        custodian: actor_id(custodian),
    }
}

#[test]
fn full_history_replays_and_conserves_every_unit() {
    let events = history();
    let mut ledger = Ledger::new();
    for e in &events {
        ledger.append(e).unwrap();
        ledger.state().check_invariants().unwrap();
    }
    let st = ledger.state();
    // lot:l1 1000 registered; 300 dispatched, 290 received, 10 in the receipt's discrepancy;
    // 100 split into l1-a; stock check found 695 of 700 at A; 100 merged into m1.
    let l1 = Stock::Lot(lot_id("lot:l1"));
    assert_eq!(st.balance(&holding(DEPOT_A, UNIT_A), &l1), 595);
    assert_eq!(st.balance(&holding(DEPOT_B, UNIT_B), &l1), 190);
    let discrepancies: i128 = st
        .balances()
        .iter()
        .filter(|(a, _)| matches!(a, Account::Discrepancy(_)))
        .map(|(_, m)| m.get(&l1).copied().unwrap_or(0))
        .sum();
    assert_eq!(discrepancies, 15);
    let l1a = Stock::Lot(lot_id("lot:l1-a"));
    assert_eq!(st.balance(&holding(DEPOT_B, UNIT_B), &l1a), 94);
    assert_eq!(st.balance(&Account::Sink(Sink::Stolen), &l1a), 6);
    assert_eq!(
        st.balance(
            &Account::Sink(Sink::Destroyed),
            &Stock::Lot(lot_id("lot:m1"))
        ),
        150
    );
    assert_eq!(
        st.item(&item_id("item:r2")).unwrap().location,
        Account::Sink(Sink::Destroyed)
    );
    assert_eq!(
        st.item(&item_id("item:r1")).unwrap().location,
        holding(DEPOT_B, UNIT_B)
    );
    assert!(
        st.lot(&lot_id("lot:typo")).is_none(),
        "the corrected registration is gone"
    );
    assert!(st.lot(&lot_id("lot:m1")).unwrap().is_destroyed());
    for (account, stocks) in st.balances() {
        for (stock, b) in stocks {
            assert!(
                *b >= 0 || account.may_go_negative(),
                "{account} holds {b} of {stock}"
            );
        }
    }
    // Lineage: which destroyed rounds came from lot l1? m1 took 100 of l1 and was destroyed.
    let lineage = ledger.lineage(&lot_id("lot:l1"));
    let names: Vec<_> = lineage
        .iter()
        .map(|e| (e.lot.to_string(), e.received, e.destroyed))
        .collect();
    assert!(names.contains(&("lot:m1".into(), 100, 150)), "{names:?}");
    assert!(names.contains(&("lot:l1-a".into(), 100, 0)), "{names:?}");
    assert_eq!(lineage[0].lot, lot_id("lot:l1"));
    // Trace of the destroyed rifle, oldest first, ending in its destruction.
    let kinds: Vec<_> = ledger
        .trace(&Stock::Item(item_id("item:r2")))
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "register_items",
            "stock_check",
            "status_change",
            "transfer_dispatch",
            "transfer_receipt",
            "destruction_authorisation",
            "destruction"
        ]
    );
}

#[test]
fn replay_is_deterministic() {
    let a = history();
    let b = history();
    assert_eq!(a, b, "the same inputs give the same signed events");
    let digest = |events: &[custodia::SignedEvent]| {
        let mut l = Ledger::new();
        for e in events {
            l.append(e).unwrap();
        }
        l.state().digest()
    };
    assert_eq!(digest(&a), digest(&b));
    assert_ne!(
        digest(&a),
        digest(&a[..a.len() - 1]),
        "the digest covers the last event"
    );
    assert_ne!(digest(&a[..1]), custodia::Ledger::new().state().digest());
}

#[test]
fn nothing_happens_to_destroyed_stock() {
    let mut ledger = Ledger::new();
    for e in &history() {
        ledger.append(e).unwrap();
    }
    let mut s = Scribe::with_ledger(ledger);
    s.hold_key(actor_id(DEMIL), key_of(DEMIL));
    let err = refused(
        &mut s,
        t(7, 0),
        DEMIL,
        Body::StatusChange {
            items: vec![item_id("item:r2")],
            lots: vec![],
            status: Status::Serviceable,
            reason: "oops".into(),
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::AfterDestruction { field, stock: Stock::Item(i), .. } if field == "/items/0" && i.as_str() == "item:r2"),
        "{err}"
    );
    let err = refused(
        &mut s,
        t(7, 0),
        DEMIL,
        Body::TransferDispatch {
            from: place(RANGE, DEMIL),
            to: place(DEPOT_A, UNIT_A),
            items: vec![],
            lots: vec![lq("lot:m1", 1)],
            reference: None,
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::AfterDestruction { stock: Stock::Lot(l), .. } if l.as_str() == "lot:m1"),
        "{err}"
    );
    assert!(err.to_string().contains("`lot:m1`"), "{err}");
}

#[test]
fn only_the_holder_dispatches_and_only_the_addressee_receives() {
    let mut s = world();
    let err = refused(
        &mut s,
        t(2, 0),
        UNIT_B,
        Body::TransferDispatch {
            from: place(DEPOT_A, UNIT_A),
            to: place(DEPOT_B, UNIT_B),
            items: vec![item_id("item:r1")],
            lots: vec![],
            reference: None,
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::NotCustodian { field, actor, custodian, .. } if field == "/from/custodian" && actor.as_str() == UNIT_B && custodian.as_str() == UNIT_A),
        "{err}"
    );
    // A member of the unit may act for it.
    s.hold_key(actor_id(CLERK_A), key_of(CLERK_A));
    let d = s
        .record(
            t(2, 0),
            &actor_id(CLERK_A),
            Body::TransferDispatch {
                from: place(DEPOT_A, UNIT_A),
                to: place(DEPOT_B, UNIT_B),
                items: vec![item_id("item:r1")],
                lots: vec![],
                reference: None,
            },
            &[],
        )
        .unwrap();
    let err = refused(
        &mut s,
        t(2, 1),
        DEMIL,
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec![item_id("item:r1")],
            lots: vec![],
            note: None,
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::NotCustodian { custodian, .. } if custodian.as_str() == UNIT_B),
        "{err}"
    );
    // Dispatching what is in transit is refused: the depot no longer holds it.
    let err = refused(
        &mut s,
        t(2, 2),
        UNIT_A,
        Body::TransferDispatch {
            from: place(DEPOT_A, UNIT_A),
            to: place(RANGE, DEMIL),
            items: vec![item_id("item:r1")],
            lots: vec![],
            reference: None,
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::Insufficient { field, available: 0, requested: 1, .. } if field == "/items/0"),
        "{err}"
    );
    s.record(
        t(2, 3),
        &actor_id(UNIT_B),
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec![item_id("item:r1")],
            lots: vec![],
            note: None,
        },
        &[],
    )
    .unwrap();
    // A transfer is received once.
    let err = refused(
        &mut s,
        t(2, 4),
        UNIT_B,
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec![item_id("item:r1")],
            lots: vec![],
            note: None,
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::Unknown { field, .. } if field == "/dispatch"),
        "{err}"
    );
}

#[test]
fn quantities_never_go_negative() {
    let mut s = world();
    let err = refused(
        &mut s,
        t(2, 0),
        UNIT_A,
        a_to_b(vec![], vec![lq("lot:l1", 1001)]),
        &[],
    );
    assert!(
        matches!(&err, LedgerError::Insufficient { field, available: 1000, requested: 1001, .. } if field == "/lots/0/quantity"),
        "{err}"
    );
    assert!(err.to_string().contains("moves 1001 of `lot:l1`"), "{err}");
    let err = refused(
        &mut s,
        t(2, 0),
        UNIT_A,
        a_to_b(vec![], vec![lq("lot:l1", 0)]),
        &[],
    );
    assert!(
        matches!(&err, LedgerError::ZeroQuantity { field, .. } if field == "/lots/0/quantity"),
        "{err}"
    );
    let err = refused(
        &mut s,
        t(2, 0),
        UNIT_A,
        a_to_b(vec![], vec![lq("lot:l1", 600), lq("lot:l1", 600)]),
        &[],
    );
    assert!(
        matches!(&err, LedgerError::Repeated { value, .. } if value == "lot:l1"),
        "{err}"
    );
    let err = refused(
        &mut s,
        t(2, 0),
        UNIT_A,
        Body::StockCheck {
            site: site_id(DEPOT_A),
            custodian: actor_id(UNIT_A),
            lots: vec![LotCount {
                lot: lot_id("lot:l1"),
                booked: q(999),
                counted: q(999),
            }],
            items: vec![],
        },
        &[],
    );
    assert!(
        matches!(
            &err,
            LedgerError::BookedMismatch {
                booked: 999,
                ledger: 1000,
                ..
            }
        ),
        "{err}"
    );
    let err = refused(
        &mut s,
        t(2, 0),
        UNIT_A,
        Body::StockCheck {
            site: site_id(DEPOT_A),
            custodian: actor_id(UNIT_A),
            lots: vec![],
            items: vec![ItemCount {
                item: item_id("item:nope"),
                present: true,
            }],
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::Unknown { field, value, .. } if field == "/items/0/item" && value == "item:nope"),
        "{err}"
    );
}

#[test]
fn destruction_needs_an_authorisation_that_covers_it() {
    let mut s = world();
    let admin = actor_id(ADMIN);
    let a = actor_id(UNIT_A);
    let d = s
        .record(
            t(2, 0),
            &a,
            Body::TransferDispatch {
                from: place(DEPOT_A, UNIT_A),
                to: place(RANGE, DEMIL),
                items: vec![item_id("item:r1"), item_id("item:r2")],
                lots: vec![lq("lot:l1", 500)],
                reference: None,
            },
            &[],
        )
        .unwrap();
    s.record(
        t(2, 1),
        &actor_id(DEMIL),
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec![item_id("item:r1"), item_id("item:r2")],
            lots: vec![lq("lot:l1", 500)],
            note: None,
        },
        &[],
    )
    .unwrap();
    let auth = s
        .record(
            t(3, 0),
            &admin,
            Body::DestructionAuthorisation {
                reference: "O-1".into(),
                items: vec![item_id("item:r1")],
                lots: vec![lq("lot:l1", 200)],
                methods: vec!["cutting".into()],
            },
            &[],
        )
        .unwrap();
    let destroy = |items: Vec<&str>, n: u64, method: &str| Body::Destruction {
        authorisation: auth.id,
        site: site_id(RANGE),
        custodian: actor_id(DEMIL),
        method: method.into(),
        certificate: "C-1".into(),
        items: items.into_iter().map(item_id).collect(),
        lots: if n > 0 { vec![lq("lot:l1", n)] } else { vec![] },
        witnesses: witnesses(),
    };
    let ws = [WITNESS_1, WITNESS_2];
    let err = refused(
        &mut s,
        t(4, 0),
        DEMIL,
        destroy(vec!["item:r2"], 0, "cutting"),
        &ws,
    );
    assert!(
        matches!(&err, LedgerError::NotAuthorised { field, what, .. } if field == "/items/0" && what == "item:r2"),
        "{err}"
    );
    let err = refused(&mut s, t(4, 0), DEMIL, destroy(vec![], 201, "cutting"), &ws);
    assert!(
        matches!(&err, LedgerError::NotAuthorised { field, .. } if field == "/lots/0/quantity"),
        "{err}"
    );
    let err = refused(
        &mut s,
        t(4, 0),
        DEMIL,
        destroy(vec!["item:r1"], 0, "burning"),
        &ws,
    );
    assert!(
        matches!(&err, LedgerError::NotAuthorised { field, what, .. } if field == "/method" && what == "burning"),
        "{err}"
    );
    let err = refused(
        &mut s,
        t(4, 0),
        UNIT_A,
        destroy(vec!["item:r1"], 0, "cutting"),
        &[],
    );
    assert!(
        matches!(
            &err,
            LedgerError::MissingRole {
                role: custodia::model::Role::Destroyer,
                ..
            }
        ),
        "{err}"
    );
    // Within cover: accepted, and the cover shrinks.
    s.record(
        t(4, 0),
        &actor_id(DEMIL),
        destroy(vec!["item:r1"], 150, "cutting"),
        &[&actor_id(WITNESS_1), &actor_id(WITNESS_2)],
    )
    .unwrap();
    let err = refused(&mut s, t(4, 1), DEMIL, destroy(vec![], 51, "cutting"), &ws);
    assert!(
        matches!(&err, LedgerError::NotAuthorised { what, .. } if what.contains("50 left")),
        "{err}"
    );
    s.record(
        t(4, 1),
        &actor_id(DEMIL),
        destroy(vec![], 50, "cutting"),
        &[&actor_id(WITNESS_1), &actor_id(WITNESS_2)],
    )
    .unwrap();
    // Cover used up: the authorisation is spent.
    let err = refused(&mut s, t(4, 2), DEMIL, destroy(vec![], 1, "cutting"), &ws);
    assert!(
        matches!(&err, LedgerError::Unknown { field, .. } if field == "/authorisation"),
        "{err}"
    );
    assert_eq!(
        s.ledger().state().balance(
            &Account::Sink(Sink::Destroyed),
            &Stock::Lot(lot_id("lot:l1"))
        ),
        200
    );
}

#[test]
fn signatures_count_only_from_current_keys_of_the_actor() {
    let s = world();
    // Signed by someone else's key: the actor did not sign.
    let body = || Body::StatusChange {
        items: vec![item_id("item:r1")],
        lots: vec![],
        status: Status::Unserviceable,
        reason: "rust".into(),
    };
    let mut ev = Event::new(t(2, 0), actor_id(UNIT_A), vec![], body());
    ev.parents = s.ledger().required_parents(&ev).unwrap();
    let signed = ev.clone().sign(&[&key_of(UNIT_B)]).unwrap();
    let mut ledger = s.into_ledger();
    let before = ledger.state().digest();
    let err = ledger.append(&signed).unwrap_err();
    assert!(
        matches!(&err, LedgerError::ActorDidNotSign { actor, .. } if actor.as_str() == UNIT_A),
        "{err}"
    );
    // Unknown key.
    let stranger = Signer::from_seed([9; 32]);
    let err = ledger
        .append(&ev.clone().sign(&[&stranger]).unwrap())
        .unwrap_err();
    assert!(
        matches!(&err, LedgerError::UnknownKey { key, .. } if *key == stranger.public_key()),
        "{err}"
    );
    // A signature over another event.
    let mut forged = ev.clone().sign(&[&key_of(UNIT_A)]).unwrap();
    forged.signatures[0].sig = ev.clone().sign(&[&key_of(UNIT_A)]).unwrap().signatures[0].sig;
    forged.signatures[0].sig.0[0] ^= 1;
    let err = ledger.append(&forged).unwrap_err();
    assert!(matches!(&err, LedgerError::BadSignature { .. }), "{err}");
    // No signature at all.
    let mut unsigned = ev.clone().sign(&[&key_of(UNIT_A)]).unwrap();
    unsigned.signatures.clear();
    assert!(matches!(
        ledger.append(&unsigned).unwrap_err(),
        LedgerError::Unsigned { .. }
    ));
    // Wrong parents.
    let mut orphan = ev.clone();
    orphan.parents.clear();
    let err = ledger
        .append(&orphan.sign(&[&key_of(UNIT_A)]).unwrap())
        .unwrap_err();
    assert!(
        matches!(&err, LedgerError::MissingParent { of, .. } if of == "item:r1"),
        "{err}"
    );
    assert_eq!(ledger.state().digest(), before);

    // Revoke UNIT_A's key (by the admin); its signature stops counting; a new key works.
    let mut s = Scribe::with_ledger(ledger);
    s.hold_key(actor_id(ADMIN), key_of(ADMIN));
    s.record(
        t(2, 0),
        &actor_id(ADMIN),
        Body::RevokeKey {
            subject: actor_id(UNIT_A),
            key: key_of(UNIT_A).public_key(),
            reason: "token lost".into(),
        },
        &[],
    )
    .unwrap();
    s.hold_key(actor_id(UNIT_A), key_of(UNIT_A));
    let err = refused(&mut s, t(2, 1), UNIT_A, body(), &[]);
    assert!(
        matches!(&err, LedgerError::RevokedKey { actor, .. } if actor.as_str() == UNIT_A),
        "{err}"
    );
    let fresh = Signer::from_seed([42; 32]);
    s.record(
        t(2, 2),
        &actor_id(ADMIN),
        Body::AddKey {
            subject: actor_id(UNIT_A),
            key: fresh.public_key(),
        },
        &[],
    )
    .unwrap();
    s.hold_key(actor_id(UNIT_A), fresh);
    s.record(t(2, 3), &actor_id(UNIT_A), body(), &[]).unwrap();
    // A key already in use cannot be registered again.
    let err = refused(
        &mut s,
        t(2, 4),
        ADMIN,
        Body::AddKey {
            subject: actor_id(UNIT_B),
            key: PublicKey::from_bytes(*Signer::from_seed([42; 32]).public_key().as_bytes()),
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::AlreadyExists { field, .. } if field == "/key"),
        "{err}"
    );
}

#[test]
fn a_ledger_starts_with_a_self_registered_admin() {
    let s = world();
    let events = s.journal();
    // Starting from the second event is refused.
    let mut ledger = Ledger::new();
    assert!(matches!(
        ledger.append(&events[1]).unwrap_err(),
        LedgerError::Genesis { .. }
    ));
    ledger.append(&events[0]).unwrap();
    assert!(matches!(
        ledger.append(&events[0]).unwrap_err(),
        LedgerError::DuplicateEvent { .. }
    ));
}

#[test]
fn corrections_reverse_the_latest_event_only() {
    let mut s = world();
    let a = actor_id(UNIT_A);
    let d = s
        .record(
            t(2, 0),
            &a,
            Body::TransferDispatch {
                from: place(DEPOT_A, UNIT_A),
                to: place(DEPOT_B, UNIT_B),
                items: vec![item_id("item:r1")],
                lots: vec![lq("lot:l1", 10)],
                reference: None,
            },
            &[],
        )
        .unwrap();
    let before_dispatch = {
        let mut l = Ledger::new();
        for e in &s.journal()[..s.journal().len() - 1] {
            l.append(e).unwrap();
        }
        l.state().clone()
    };
    // Cancel the dispatch: stock is back at depot A, the transfer is gone.
    s.record(
        t(2, 1),
        &a,
        Body::Correction {
            reverses: d.id,
            reason: "wrong truck".into(),
        },
        &[],
    )
    .unwrap();
    let st = s.ledger().state();
    assert_eq!(st.balances(), before_dispatch.balances());
    assert!(st.transfers().is_empty());
    st.check_invariants().unwrap();
    // Reversing it twice is refused.
    let err = refused(
        &mut s,
        t(2, 2),
        UNIT_A,
        Body::Correction {
            reverses: d.id,
            reason: "again".into(),
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::NotCorrectable { target, .. } if *target == d.id),
        "{err}"
    );
    // An event superseded by a later one on the same stock cannot be reversed.
    let sc = s
        .record(
            t(2, 3),
            &a,
            Body::StatusChange {
                items: vec![item_id("item:r1")],
                lots: vec![],
                status: Status::Surplus,
                reason: "r".into(),
            },
            &[],
        )
        .unwrap();
    s.record(
        t(2, 4),
        &a,
        Body::StatusChange {
            items: vec![item_id("item:r1")],
            lots: vec![],
            status: Status::Suspended,
            reason: "r".into(),
        },
        &[],
    )
    .unwrap();
    let err = refused(
        &mut s,
        t(2, 5),
        UNIT_A,
        Body::Correction {
            reverses: sc.id,
            reason: "x".into(),
        },
        &[],
    );
    assert!(matches!(&err, LedgerError::NotCorrectable { .. }), "{err}");
    // Loss and recovery: stock leaves through its own account and comes back from it.
    s.record(
        t(3, 0),
        &a,
        Body::LossReport {
            loss: LossKind::Lost,
            site: site_id(DEPOT_A),
            custodian: a.clone(),
            discrepancy: None,
            items: vec![item_id("item:r1")],
            lots: vec![],
            reference: None,
        },
        &[],
    )
    .unwrap();
    assert_eq!(
        s.ledger()
            .state()
            .item(&item_id("item:r1"))
            .unwrap()
            .location,
        Account::Sink(Sink::Lost)
    );
    let err = refused(
        &mut s,
        t(3, 1),
        UNIT_A,
        Body::Recovery {
            loss: LossKind::Stolen,
            site: site_id(DEPOT_A),
            custodian: a.clone(),
            items: vec![item_id("item:r1")],
            lots: vec![],
            reference: None,
        },
        &[],
    );
    assert!(
        matches!(
            &err,
            LedgerError::Insufficient {
                account: Account::Sink(Sink::Stolen),
                ..
            }
        ),
        "{err}"
    );
    s.record(
        t(3, 1),
        &a,
        Body::Recovery {
            loss: LossKind::Lost,
            site: site_id(DEPOT_A),
            custodian: a.clone(),
            items: vec![item_id("item:r1")],
            lots: vec![],
            reference: None,
        },
        &[],
    )
    .unwrap();
}

#[test]
fn receipt_shortfall_lands_in_its_own_account_and_can_be_reported_stolen() {
    let mut s = world();
    let d = s
        .record(
            t(2, 0),
            &actor_id(UNIT_A),
            Body::TransferDispatch {
                from: place(DEPOT_A, UNIT_A),
                to: place(DEPOT_B, UNIT_B),
                items: vec![item_id("item:r1"), item_id("item:r2")],
                lots: vec![lq("lot:l1", 100)],
                reference: None,
            },
            &[],
        )
        .unwrap();
    let r = s
        .record(
            t(2, 1),
            &actor_id(UNIT_B),
            Body::TransferReceipt {
                dispatch: d.id,
                items: vec![item_id("item:r1")],
                lots: vec![lq("lot:l1", 97)],
                note: None,
            },
            &[],
        )
        .unwrap();
    let st = s.ledger().state();
    let gap = Account::Discrepancy(r.id);
    assert_eq!(st.balance(&gap, &Stock::Lot(lot_id("lot:l1"))), 3);
    assert_eq!(st.item(&item_id("item:r2")).unwrap().location, gap);
    let err = refused(
        &mut s,
        t(2, 2),
        UNIT_B,
        Body::LossReport {
            loss: LossKind::Stolen,
            site: site_id(DEPOT_B),
            custodian: actor_id(UNIT_B),
            discrepancy: Some(r.id),
            items: vec![],
            lots: vec![lq("lot:l1", 4)],
            reference: None,
        },
        &[],
    );
    assert!(
        matches!(
            &err,
            LedgerError::Insufficient {
                available: 3,
                requested: 4,
                ..
            }
        ),
        "{err}"
    );
    s.record(
        t(2, 2),
        &actor_id(UNIT_B),
        Body::LossReport {
            loss: LossKind::Stolen,
            site: site_id(DEPOT_B),
            custodian: actor_id(UNIT_B),
            discrepancy: Some(r.id),
            items: vec![item_id("item:r2")],
            lots: vec![lq("lot:l1", 3)],
            reference: Some("P-9".into()),
        },
        &[],
    )
    .unwrap();
    let st = s.ledger().state();
    assert_eq!(st.balance(&gap, &Stock::Lot(lot_id("lot:l1"))), 0);
    assert_eq!(
        st.balance(&Account::Sink(Sink::Stolen), &Stock::Lot(lot_id("lot:l1"))),
        3
    );
    assert_eq!(
        st.item(&item_id("item:r2")).unwrap().location,
        Account::Sink(Sink::Stolen)
    );
}

#[test]
fn an_atomic_batch_is_all_or_nothing() {
    let events = history();
    let mut ledger = Ledger::new();
    ledger.append_batch(&events[..5]).unwrap();
    let digest = ledger.state().digest();
    let mut bad = events[5..10].to_vec();
    bad[3].signatures.clear();
    let err = ledger.append_batch(&bad).unwrap_err();
    assert_eq!(err.index, 3);
    assert!(matches!(err.error, LedgerError::Unsigned { .. }));
    assert_eq!(ledger.state().digest(), digest);
    assert_eq!(ledger.graph().len(), 5);
    ledger.append_batch(&events[5..]).unwrap();
    assert_eq!(ledger.state().event_count() as usize, events.len());
}

#[test]
fn events_on_a_stock_cannot_go_back_in_time() {
    let mut s = world();
    let d = s
        .record(
            t(5, 0),
            &actor_id(UNIT_A),
            Body::TransferDispatch {
                from: place(DEPOT_A, UNIT_A),
                to: place(DEPOT_B, UNIT_B),
                items: vec![item_id("item:r1")],
                lots: vec![],
                reference: None,
            },
            &[],
        )
        .unwrap();
    let err = refused(
        &mut s,
        t(4, 0),
        UNIT_B,
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec![item_id("item:r1")],
            lots: vec![],
            note: None,
        },
        &[],
    );
    assert!(
        matches!(&err, LedgerError::Invalid { field, reason, .. } if field == "/at" && reason.contains("item:r1")),
        "{err}"
    );
    s.record(
        t(5, 0),
        &actor_id(UNIT_B),
        Body::TransferReceipt {
            dispatch: d.id,
            items: vec![item_id("item:r1")],
            lots: vec![],
            note: None,
        },
        &[],
    )
    .unwrap();
}

#[test]
fn events_the_wire_format_refuses_are_not_signed() {
    let ev = Event::new(
        t(2, 0),
        actor_id(UNIT_A),
        vec![],
        Body::StatusChange {
            items: vec![item_id("item:r1")],
            lots: vec![],
            status: Status::Surplus,
            reason: String::new(),
        },
    );
    let err = ev.sign(&[&key_of(UNIT_A)]).unwrap_err();
    assert!(
        matches!(&err, custodia::event::DecodeError::Schema { field, .. } if field == "/reason"),
        "{err}"
    );
}
