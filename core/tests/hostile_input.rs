//! What an attack from outside got through, each refused now with its code and nothing
//! written: oversized lines read whole, hostile batches read to the end before refusal,
//! truncated files and foreign write-ahead logs, backdating and far-future dates,
//! over-receipts, symbolic links and readable key files, control characters in messages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Read};

use custodia::event::{
    Body, Event, LotQuantity, Place, RegisterActor, RegisterLot, RegisterSite, TransferDispatch,
    TransferReceipt,
};
use custodia::model::{
    Actor, ActorKind, Lot, Origin, OriginKind, Quantity, Role, Site, SiteKind, Timestamp, Unit,
};
use custodia::testkit::Synth;
use custodia::{ErrorCode, Ledger, Options, Signer};

/// A reader that counts what was read from it.
struct Counting<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

fn counted<R: Read>(inner: R) -> (BufReader<Counting<R>>, std::rc::Rc<std::cell::Cell<u64>>) {
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    (
        BufReader::new(Counting {
            inner,
            read: read.clone(),
        }),
        read,
    )
}

/// An endless line: `{"a":"xxxxx...` without a newline.
struct Endless;
impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        buf.fill(b'x');
        Ok(buf.len())
    }
}

#[test]
fn an_endless_line_is_refused_after_reading_one_event_s_worth() {
    let mut ledger = Ledger::in_memory(Options::new()).unwrap();
    let (mut reader, read) = counted(Endless);
    let err = ledger.append_reader(&mut reader).unwrap_err();
    assert_eq!(err.code(), ErrorCode::EventTooLarge);
    assert_eq!(err.index(), Some(0));
    let limit = custodia::event::EVENT_BYTES_MAX as u64;
    assert!(read.get() <= limit + 2 * 8192, "read {} bytes", read.get());
}

#[test]
fn events_by_unknown_keys_are_refused_before_the_rest_is_read() {
    // A real genesis, then 200 events of about 1 MiB each signed by a key nobody registered.
    let mut ledger = Ledger::in_memory(Options::new()).unwrap();
    let history: Vec<_> = Synth::new(3).take(5).collect::<Result<_, _>>().unwrap();
    ledger.append(&history).unwrap();
    let stranger = Signer::from_seed([0x66; 32]);
    let admin = history[0].event().actor.clone();
    let padding = "p".repeat(1000);
    let mut line = String::new();
    for i in 0..10 {
        let subject = Actor {
            id: format!("person:x-{i}").parse().unwrap(),
            kind: ActorKind::Person,
            name: padding.clone(),
            member_of: None,
            roles: vec![],
            keys: vec![Signer::from_seed([i as u8 + 1; 32]).public_key()],
        };
        let at = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
        let e = Event::new(
            at,
            admin.clone(),
            vec![],
            Body::RegisterActor(RegisterActor { subject }),
        )
        .sign(&[&stranger])
        .unwrap();
        line.push_str(e.to_json());
        line.push('\n');
    }
    let input = line.repeat(20_000); // about 200 MB if it were all read
    let (mut reader, read) = counted(input.as_bytes());
    let err = ledger.append_reader(&mut reader).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownKey);
    assert_eq!(err.index(), Some(0));
    assert!(
        read.get() < 16 << 20,
        "read {} bytes before refusing",
        read.get()
    );
    assert_eq!(ledger.len().unwrap(), 5);
}

fn file_ledger(dir: &std::path::Path, events: usize) -> std::path::PathBuf {
    let path = dir.join("l.ledger");
    let mut ledger =
        Ledger::create(&path, Options::new().log_key(Signer::from_seed([5; 32]))).unwrap();
    let history: Vec<_> = Synth::new(4)
        .take(events)
        .collect::<Result<_, _>>()
        .unwrap();
    ledger.append(&history).unwrap();
    path
}

#[test]
fn a_truncated_file_is_refused_by_every_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_ledger(dir.path(), 300);
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len - 2000).unwrap();
    for options in [
        Options::new(),
        Options::new().log_key(Signer::from_seed([5; 32])),
    ] {
        let err = Ledger::open(&path, options).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Damaged);
    }
}

#[test]
fn a_foreign_write_ahead_log_is_refused_and_a_read_only_open_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_ledger(dir.path(), 50);
    let before = std::fs::read(&path).unwrap();
    // A read-only open and queries leave the file's bytes as they were.
    {
        let ro = Ledger::open(&path, Options::new()).unwrap();
        ro.tree_head().unwrap();
        ro.balances(&Default::default()).unwrap();
        assert!(ro.verify().unwrap().ok);
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // A WAL of another page size (or not a WAL at all) beside the ledger.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let mut header = vec![0x37, 0x7f, 0x06, 0x82, 0, 0x2d, 0xe2, 0x18, 0, 0, 0x20, 0];
    header.resize(32, 0);
    std::fs::write(&wal, &header).unwrap();
    let err = Ledger::open(&path, Options::new()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Damaged);
    std::fs::write(&wal, b"not a write-ahead log at all, just bytes").unwrap();
    let err = Ledger::open(&path, Options::new()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Damaged);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn files_symlinks_and_key_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A dangling symbolic link: creating through it is refused, nothing appears at its target.
    let link = dir.path().join("link.ledger");
    let target = dir.path().join("elsewhere.ledger");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = Ledger::create(&link, Options::new().log_key(Signer::generate())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FileExists);
    assert!(!target.exists());
    // Key files are written 0600 and refused when others can read them.
    let key = dir.path().join("k.key");
    Signer::generate()
        .write_key_file(&key, Some("unit:a"))
        .unwrap();
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    Signer::read_key_file(&key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Signer::read_key_file(&key).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyFileInvalid);
    // Never overwritten, never written through a link.
    let err = Signer::generate().write_key_file(&key, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FileExists);
    let err = Signer::generate().write_key_file(&link, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FileExists);
}

struct Depot {
    ledger: Ledger,
    key: Signer,
    admin: custodia::ActorId,
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn depot() -> Depot {
    let mut ledger = Ledger::in_memory(Options::new()).unwrap();
    let key = Signer::from_seed([0x21; 32]);
    let admin = Actor {
        id: "agency:mod".parse().unwrap(),
        kind: ActorKind::Agency,
        name: "Ministry".into(),
        member_of: None,
        roles: vec![Role::Admin, Role::Custodian],
        keys: vec![key.public_key()],
    };
    let id = admin.id.clone();
    ledger
        .record(
            Event::new(
                at("2026-06-01T08:00:00Z"),
                id.clone(),
                vec![],
                Body::RegisterActor(RegisterActor { subject: admin }),
            ),
            &[&key],
        )
        .unwrap();
    for site in ["depot:a", "depot:b"] {
        let site = Site {
            id: site.parse().unwrap(),
            name: site.into(),
            kind: SiteKind::Depot,
            parent: None,
            country: None,
            licensed_neq_grams: None,
            hazard_divisions: vec![],
            two_person_rule: false,
        };
        ledger
            .record(
                Event::new(
                    at("2026-06-01T09:00:00Z"),
                    id.clone(),
                    vec![],
                    Body::RegisterSite(RegisterSite { site }),
                ),
                &[&key],
            )
            .unwrap();
    }
    let lot = Lot {
        id: "lot:a".parse().unwrap(),
        nomenclature: "cartridge 9mm".into(),
        lot_number: "A-1".into(),
        unit: Unit::Round,
        quantity: Quantity::new(1000).unwrap(),
        hazard: None,
        neq_grams_per_unit: Quantity::new(1).unwrap(),
        neq_mg: None,
        manufactured: None,
        next_inspection: None,
        expiry: None,
        status: None,
        condition: None,
        disposition: None,
        category: None,
    };
    ledger
        .record(
            Event::new(
                at("2026-06-02T08:00:00Z"),
                id.clone(),
                vec![],
                Body::RegisterLot(RegisterLot {
                    site: "depot:a".parse().unwrap(),
                    custodian: id.clone(),
                    origin: Origin {
                        kind: OriginKind::StockOnHand,
                        reference: None,
                        import: None,
                    },
                    lot,
                }),
            ),
            &[&key],
        )
        .unwrap();
    Depot {
        ledger,
        key,
        admin: id,
    }
}

#[test]
fn backdating_and_far_future_dates_are_refused() {
    let mut d = depot();
    let head = d.ledger.tree_head().unwrap();
    let dispatch = |when: &str| {
        Event::new(
            at(when),
            d.admin.clone(),
            vec![],
            Body::TransferDispatch(TransferDispatch {
                from: Place {
                    site: "depot:a".parse().unwrap(),
                    custodian: d.admin.clone(),
                },
                to: Place {
                    site: "depot:b".parse().unwrap(),
                    custodian: d.admin.clone(),
                },
                items: vec![],
                lots: vec![LotQuantity {
                    lot: "lot:a".parse().unwrap(),
                    quantity: Quantity::new(10).unwrap(),
                }],
                reference: None,
            }),
        )
    };
    // Before the lot's registration (its latest event), before the ledger's first event.
    let err = d
        .ledger
        .record(dispatch("2026-06-01T12:00:00Z"), &[&d.key])
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DatedBeforeLast);
    assert_eq!(err.field(), Some("/at"));
    let err = d
        .ledger
        .record(dispatch("1970-01-01T00:00:00Z"), &[&d.key])
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DatedBeforeLast);
    // Far ahead of this machine's clock: refused when appending.
    let err = d
        .ledger
        .record(dispatch("9999-01-01T00:00:00Z"), &[&d.key])
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DatedInTheFuture);
    assert_eq!(d.ledger.tree_head().unwrap(), head);
    d.ledger
        .record(dispatch("2026-06-03T08:00:00Z"), &[&d.key])
        .unwrap();
}

#[test]
fn a_receipt_beyond_the_tolerance_is_refused() {
    let mut d = depot();
    let dispatch = d
        .ledger
        .record(
            Event::new(
                at("2026-06-03T08:00:00Z"),
                d.admin.clone(),
                vec![],
                Body::TransferDispatch(TransferDispatch {
                    from: Place {
                        site: "depot:a".parse().unwrap(),
                        custodian: d.admin.clone(),
                    },
                    to: Place {
                        site: "depot:b".parse().unwrap(),
                        custodian: d.admin.clone(),
                    },
                    items: vec![],
                    lots: vec![LotQuantity {
                        lot: "lot:a".parse().unwrap(),
                        quantity: Quantity::new(100).unwrap(),
                    }],
                    reference: None,
                }),
            ),
            &[&d.key],
        )
        .unwrap();
    let receipt = |q: u64| {
        Event::new(
            at("2026-06-04T08:00:00Z"),
            d.admin.clone(),
            vec![],
            Body::TransferReceipt(TransferReceipt {
                dispatch: dispatch.id(),
                items: vec![],
                lots: vec![LotQuantity {
                    lot: "lot:a".parse().unwrap(),
                    quantity: Quantity::new(q).unwrap(),
                }],
                note: None,
            }),
        )
    };
    let err = d
        .ledger
        .record(receipt(9_007_199_254_740_991), &[&d.key])
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::OverReceipt);
    assert_eq!(err.values()["allowed"], 10);
    let err = d.ledger.record(receipt(111), &[&d.key]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::OverReceipt);
    d.ledger.record(receipt(110), &[&d.key]).unwrap();
    assert!(d.ledger.verify().unwrap().ok);
}

#[test]
fn control_characters_in_values_never_reach_the_terminal_raw() {
    let mut ledger = Ledger::in_memory(Options::new()).unwrap();
    let line = "{\"kind\":\"register_actor\u{1b}[2J\\u001b\n\"}";
    let err = ledger.append_json_lines(line.as_bytes()).unwrap_err();
    let text = err.to_string();
    assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
    let mut buf = Vec::new();
    BufReader::new(text.as_bytes())
        .read_until(b'\n', &mut buf)
        .unwrap();
    assert_eq!(buf.len(), text.len(), "one line");
}

#[test]
fn look_alike_ids_are_refused_at_registration() {
    let mut d = depot();
    let head = d.ledger.tree_head().unwrap();
    for id in ["DEPOT:A", "depot:a.", "Depot:A.."] {
        let site = Site {
            id: id.parse().unwrap(),
            name: "look-alike".into(),
            kind: SiteKind::Depot,
            parent: None,
            country: None,
            licensed_neq_grams: None,
            hazard_divisions: vec![],
            two_person_rule: false,
        };
        let err = d
            .ledger
            .record(
                Event::new(
                    at("2026-06-05T08:00:00Z"),
                    d.admin.clone(),
                    vec![],
                    Body::RegisterSite(RegisterSite { site }),
                ),
                &[&d.key],
            )
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::LookAlikeId, "{id}");
        assert_eq!(err.values()["existing"], "depot:a");
    }
    assert_eq!(d.ledger.tree_head().unwrap(), head);
    d.ledger.check_invariants().unwrap();
}

#[path = "common/mod.rs"]
mod common;

#[test]
fn an_event_longer_than_a_reader_accepts_cannot_be_signed_or_appended() {
    // A registration of 8,000 rifles is about 1.6 MB of JSON: were it stored, the next opening
    // of the file would refuse its own row (EventTooLarge) and the ledger would be unreadable.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.ledger");
    let ledger = Ledger::create(&path, Options::new().log_key(common::log_key())).unwrap();
    let mut w = common::World::with_ledger(ledger);
    w.populate();
    let ids: Vec<String> = (0..8_000).map(|n| format!("item:big-{n}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let body = common::register_items_body(common::DEPOT_A, common::UNIT_A, &refs);
    let event = w.event(common::UNIT_A, body);
    let prepared = w.ledger.prepare(event.clone()).unwrap();
    let signer = w.signers(common::UNIT_A, &[]);
    // (`err().map(code)`: the Debug form of the event, were it signed, is megabytes long.)
    let signed = prepared.sign(&signer);
    assert_eq!(
        signed.err().map(|e| e.code()),
        Some(ErrorCode::EventTooLarge)
    );
    let err = common::refused_event(&mut w, event);
    assert_eq!(err.code(), ErrorCode::EventTooLarge);
    let len = w.ledger.len().unwrap();
    drop(w);
    let reopened = Ledger::open(&path, Options::new()).unwrap();
    assert_eq!(reopened.len().unwrap(), len);
    assert!(reopened.verify().unwrap().ok);
}
