//! The cost of format version 2's destruction rules on append (witnesses distinct, with the
//! witness role and their own agency, independent of the team; the authorisation's steps,
//! site, expiry and separation of duties; stock released for destruction): the same campaign
//! of destructions appended as version-1 events (judged by version 1's rules, as the previous
//! release judged every destruction) and as version-2 events, in the same run, rounds
//! interleaved, medians reported. Each destruction destroys one rifle in front of `W`
//! witnesses who co-sign, so the signatures checked are the same on both sides.
//!
//! Run: `cargo bench -p custodia --bench destruction_rules` (smoke run: `-- --quick`)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{median, scale, table, time};
use custodia::event::{
    Destruction, DestructionAuthorisation, RegisterActor, RegisterItems, RegisterSite,
    StatusChange, Witness,
};
use custodia::model::*;
use custodia::{Body, Event, Ledger, Options, SignedEvent, Signer};

/// Witnesses of each destruction (each co-signs).
const WITNESSES: usize = 4;
/// 2026-03-01T00:00:00Z.
const START: i64 = 1_772_323_200;

fn key(name: &str) -> Signer {
    let mut seed = [0u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    seed[31] ^= 0x5a;
    Signer::from_seed(seed)
}

struct Campaign {
    ledger: Ledger,
    version: u32,
    tick: i64,
}

impl Campaign {
    fn event(&mut self, who: &str, body: impl Into<Body>) -> Event {
        self.tick += 1;
        let at = Timestamp::from_unix_seconds(START + self.tick).unwrap();
        let mut e = Event::new(at, who.parse().unwrap(), Vec::new(), body.into());
        e.v = self.version;
        e
    }
    fn record(&mut self, who: &str, body: impl Into<Body>, cosigners: &[&str]) -> SignedEvent {
        let e = self.event(who, body);
        let keys: Vec<Signer> = std::iter::once(who)
            .chain(cosigners.iter().copied())
            .map(key)
            .collect();
        let refs: Vec<&Signer> = keys.iter().collect();
        self.ledger.record(e, &refs).unwrap()
    }
    fn actor(&mut self, id: &str, kind: ActorKind, member_of: Option<&str>, roles: &[Role]) {
        let subject = Actor {
            id: id.parse().unwrap(),
            kind,
            name: id.into(),
            member_of: member_of.map(|m| m.parse().unwrap()),
            roles: roles.to_vec(),
            keys: vec![key(id).public_key()],
        };
        self.record("agency:mod", RegisterActor { subject }, &[]);
    }
}

fn witness_name(i: usize) -> String {
    format!("person:witness-{i}")
}

/// A ledger of `version` with the cast, `n` rifles at the range declared surplus, one
/// authorisation per rifle; and the `n` destructions, signed, not appended.
fn campaign(version: u32, n: usize) -> (Ledger, Vec<SignedEvent>) {
    let mut c = Campaign {
        ledger: Ledger::in_memory(Options::new()).unwrap(),
        version,
        tick: 0,
    };
    let genesis = Actor {
        id: "agency:mod".parse().unwrap(),
        kind: ActorKind::Agency,
        name: "MoD".into(),
        member_of: None,
        roles: vec![Role::Admin, Role::Authoriser],
        keys: vec![key("agency:mod").public_key()],
    };
    c.record("agency:mod", RegisterActor { subject: genesis }, &[]);
    c.actor(
        "unit:demil",
        ActorKind::Unit,
        Some("agency:mod"),
        &[Role::Custodian, Role::Destroyer],
    );
    c.actor("agency:ag", ActorKind::Agency, None, &[]);
    for i in 0..WITNESSES {
        c.actor(
            &witness_name(i),
            ActorKind::Person,
            Some("agency:ag"),
            &[Role::Witness],
        );
    }
    let site = Site {
        id: "range:r".parse().unwrap(),
        name: "range".into(),
        kind: SiteKind::Range,
        parent: None,
        country: Some("CO".into()),
        licensed_neq_grams: None,
        hazard_divisions: vec![],
        two_person_rule: false,
    };
    c.record("agency:mod", RegisterSite { site }, &[]);
    let ids: Vec<ItemId> = (0..n)
        .map(|i| format!("item:r-{i:06}").parse().unwrap())
        .collect();
    for chunk in ids.chunks(500) {
        let items = chunk
            .iter()
            .map(|id| Item {
                id: id.clone(),
                category: ItemCategory::Firearm,
                item_type: "rifle".into(),
                marking: Marking {
                    serial: Some(id.to_string()),
                    ..Marking::default()
                },
                status: None,
                condition: None,
                disposition: None,
                att_category: None,
                hazard: None,
                neq_mg: None,
            })
            .collect();
        let origin = Origin {
            kind: OriginKind::StockOnHand,
            reference: None,
            import: None,
        };
        c.record(
            "unit:demil",
            RegisterItems {
                site: "range:r".parse().unwrap(),
                custodian: "unit:demil".parse().unwrap(),
                origin,
                items,
            },
            &[],
        );
        let surplus = StatusChange {
            items: chunk.to_vec(),
            lots: vec![],
            status: Some(Status::Surplus),
            condition: None,
            disposition: None,
            reason: "board of survey".into(),
        };
        c.record("agency:mod", surplus, &[]);
    }
    let v2 = version >= 2;
    let mut auths = Vec::with_capacity(n);
    for id in &ids {
        let order = DestructionAuthorisation {
            reference: "ORDER".into(),
            items: vec![id.clone()],
            lots: vec![],
            methods: vec!["cutting".into()],
            steps: if v2 {
                vec![DestructionMethod::Cutting]
            } else {
                vec![]
            },
            site: v2.then(|| "range:r".parse().unwrap()),
            expires_at: v2.then(|| Timestamp::parse("2026-12-31T23:59:59Z").unwrap()),
        };
        auths.push(c.record("agency:mod", order, &[]).id());
    }
    let names: Vec<String> = (0..WITNESSES).map(witness_name).collect();
    let cosigners: Vec<&str> = names.iter().map(String::as_str).collect();
    let keys: Vec<Signer> = std::iter::once("unit:demil")
        .chain(cosigners.iter().copied())
        .map(key)
        .collect();
    let refs: Vec<&Signer> = keys.iter().collect();
    let mut destructions = Vec::with_capacity(n);
    for (id, auth) in ids.iter().zip(auths) {
        let body = Destruction {
            authorisation: auth,
            site: "range:r".parse().unwrap(),
            custodian: "unit:demil".parse().unwrap(),
            method: "cutting".into(),
            steps: if v2 {
                vec![DestructionMethod::Cutting]
            } else {
                vec![]
            },
            certificate: "CERT".into(),
            items: vec![id.clone()],
            lots: vec![],
            witnesses: names
                .iter()
                .map(|w| Witness {
                    actor: w.parse().unwrap(),
                    agency: "agency:ag".parse().unwrap(),
                })
                .collect(),
        };
        let e = c.event("unit:demil", body);
        // Each destruction touches its own rifle and authorisation: the parents computed now
        // stay right whatever order the others are appended in.
        destructions.push(c.ledger.prepare(e).unwrap().sign(&refs).unwrap());
    }
    (c.ledger, destructions)
}

fn main() {
    let n: usize = scale(2_000, 200);
    let rounds: usize = scale(5, 1);
    let batch = 100;
    let (mut v1, mut v2) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let run = |version: u32| {
            let (mut ledger, events) = campaign(version, n);
            let (secs, ()) = time(|| {
                for chunk in events.chunks(batch) {
                    ledger.append(chunk).unwrap();
                }
            });
            assert_eq!(
                ledger
                    .balances(&custodia::BalanceFilter::default())
                    .unwrap()
                    .iter()
                    .filter(|b| b.account == "sink:destroyed")
                    .count(),
                n
            );
            secs
        };
        // Alternate which side goes first so drift on a shared machine hits both.
        if round % 2 == 0 {
            v1.push(run(1));
            v2.push(run(2));
        } else {
            v2.push(run(2));
            v1.push(run(1));
        }
    }
    let (s1, s2) = (median(v1), median(v2));
    table(
        &format!(
            "{n} destructions of one rifle, {WITNESSES} co-signing witnesses each, in-memory ledger, batches of {batch}, {rounds} rounds"
        ),
        &["rules", "µs/destruction", "v2 / v1"],
        &[
            vec![
                "version 1 (previous rules)".into(),
                format!("{:.1}", s1 / n as f64 * 1e6),
                "1.00×".into(),
            ],
            vec![
                "version 2 (new rules)".into(),
                format!("{:.1}", s2 / n as f64 * 1e6),
                format!("**{:.2}×**", s2 / s1),
            ],
        ],
    );
}
