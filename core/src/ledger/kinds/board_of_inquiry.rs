//! `board_of_inquiry` (format version 2): a board convened to investigate a discrepancy that a
//! receipt or a stock check found closes its account. Units missing are written off to the
//! `lost` sink or, when the board found them, returned to a holding; units found beyond the
//! books (an overage: the account is negative) are regularised, brought on the books from the
//! `regularised` source. Every discrepancy account can so reach zero. The board is convened and
//! its findings recorded by an actor with the `authoriser` role (a write-off takes stock off
//! the books, as a destruction authorisation does).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink, Source};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, holding};
use crate::model::{ActorId, EventId, ItemId, LotId, Place, Quantity, Role};

/// What the board decided for units of a discrepancy.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardDecision {
    /// Missing units not found: written off to the `lost` sink.
    WrittenOff,
    /// Missing units found: back to the holding `to`.
    Found,
    /// Units found beyond the books (an overage): brought on the books.
    Regularised,
}

impl BoardDecision {
    /// The value's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            BoardDecision::WrittenOff => "written_off",
            BoardDecision::Found => "found",
            BoardDecision::Regularised => "regularised",
        }
    }
}

/// The board's decision on a lot quantity.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct BoardLot {
    /// The lot.
    pub lot: LotId,
    /// How many units.
    pub quantity: Quantity,
    /// What becomes of them.
    pub decision: BoardDecision,
}

/// The board's decision on a serialized item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct BoardItem {
    /// The item.
    pub item: ItemId,
    /// Written off or found (an item is never an overage).
    pub decision: BoardDecision,
}

/// A board of inquiry closing a discrepancy account.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct BoardOfInquiry {
    /// The receipt or stock check whose discrepancy account the board investigated.
    pub discrepancy: EventId,
    /// The convening order's reference.
    pub reference: String,
    /// The board's members, registered actors, each once.
    pub members: Vec<ActorId>,
    /// What the board found.
    pub findings: String,
    /// The holding units found go back to; required when the board found some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Place>,
    /// Decisions on lot quantities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<BoardLot>,
    /// Decisions on items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<BoardItem>,
}

impl Kind for BoardOfInquiry {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        p.require_role(Role::Authoriser, Self::NAME)?;
        let d = self.discrepancy;
        let opened = p
            .state
            .discrepancies
            .get(&d)
            .ok_or_else(|| p.unknown("/discrepancy", d))?;
        p.require_parent(d, crate::ledger::plan::ParentOf::Event("discrepancy", d), opened)?;
        if self.members.is_empty() {
            return Err(p.err(
                "/members",
                ErrorKind::RecordMissing {
                    record: "a board member".into(),
                    why: "a board of inquiry names its members".into(),
                },
            ));
        }
        for (i, m) in self.members.iter().enumerate() {
            if self.members.iter().take(i).any(|o| o == m) {
                return Err(p.err(
                    field("/members", i, ""),
                    ErrorKind::Repeated {
                        value: m.to_string(),
                    },
                ));
            }
            if !p.state.actors.contains_key(m) {
                return Err(p.unknown(field("/members", i, ""), m));
            }
        }
        if self.lots.is_empty() && self.items.is_empty() {
            return Err(p.err("/lots", ErrorKind::NothingToMove));
        }
        let finds = self
            .lots
            .iter()
            .map(|l| l.decision)
            .chain(self.items.iter().map(|i| i.decision))
            .any(|d| d == BoardDecision::Found);
        let to = match (&self.to, finds) {
            (Some(place), _) => {
                p.site("/to/site", &place.site)?;
                p.addressee("/to/custodian", &place.custodian)?;
                Some(holding(place))
            }
            (None, true) => {
                return Err(p.err(
                    "/to",
                    ErrorKind::RecordMissing {
                        record: "the holding found units go back to".into(),
                        why: "the board found missing units".into(),
                    },
                ));
            }
            (None, false) => None,
        };
        let account = Account::Discrepancy(d);
        for (i, l) in self.lots.iter().enumerate() {
            // A lot may be partly found and partly written off, each decision once.
            if self
                .lots
                .iter()
                .take(i)
                .any(|o| o.lot == l.lot && o.decision == l.decision)
            {
                return Err(p.err(
                    field("/lots", i, "/lot"),
                    ErrorKind::Repeated {
                        value: format!("{} {}", l.lot, l.decision.as_str()),
                    },
                ));
            }
            let f = field("/lots", i, "/quantity");
            p.lot(field("/lots", i, "/lot"), &l.lot)?;
            let q = l.quantity.get();
            let balance = p.lot_balance(&l.lot, &account);
            // Missing units are a positive balance, found ones a negative one.
            let open = match l.decision {
                BoardDecision::Regularised => -balance,
                BoardDecision::WrittenOff | BoardDecision::Found => balance,
            };
            if open < i128::from(q) {
                return Err(p.err(
                    f,
                    ErrorKind::BeyondDiscrepancy {
                        stock: l.lot.to_string(),
                        discrepancy: d,
                        decision: l.decision.as_str().into(),
                        requested: q,
                        open: i64::try_from(open.max(0)).unwrap_or(i64::MAX),
                    },
                ));
            }
            match (l.decision, &to) {
                (BoardDecision::WrittenOff, _) => {
                    p.move_lot(f, &l.lot, &account, Account::Sink(Sink::Lost), q)?;
                }
                (BoardDecision::Found, Some(to)) => {
                    p.move_lot(f, &l.lot, &account, to.clone(), q)?;
                }
                (BoardDecision::Regularised, _) => {
                    let source = Account::Source(Source::Regularised);
                    p.move_lot(f, &l.lot, &source, account.clone(), q)?;
                }
                (BoardDecision::Found, None) => {
                    return Err(p.err("/to", ErrorKind::NothingToMove));
                }
            }
        }
        p.distinct_items("/items", self.items.iter().map(|i| &i.item))?;
        for (i, it) in self.items.iter().enumerate() {
            let f = field("/items", i, "/item");
            let item = p.item(f, &it.item)?;
            let dest = match (it.decision, &to) {
                (BoardDecision::WrittenOff, _) => Account::Sink(Sink::Lost),
                (BoardDecision::Found, Some(to)) => to.clone(),
                _ => {
                    return Err(p.err(
                        field("/items", i, "/decision"),
                        ErrorKind::FieldInvalid {
                            value: it.decision.as_str().into(),
                            reason: "an item is written off or found, never regularised".into(),
                        },
                    ));
                }
            };
            if item.location != account {
                return Err(p.err(
                    f,
                    ErrorKind::BeyondDiscrepancy {
                        stock: it.item.to_string(),
                        discrepancy: d,
                        decision: it.decision.as_str().into(),
                        requested: 1,
                        open: 0,
                    },
                ));
            }
            p.move_item(f, &it.item, &account, dest)?;
        }
        p.focus_site = self.to.as_ref().map(|t| t.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> BoardOfInquiry {
    use crate::ledger::kinds::ex::{event, id, q};
    BoardOfInquiry {
        discrepancy: event(0xc1),
        reference: "BOI-MDN-2026-007".into(),
        members: vec![id("person:inspector-7"), id("person:officer-31")],
        findings: "8 rounds found in a mislabelled carton; 2 unaccounted for, written off".into(),
        to: Some(Place {
            site: id("depot:central"),
            custodian: id("unit:log-bn-2"),
        }),
        lots: vec![
            BoardLot {
                lot: id("lot:762x39-1987-044"),
                quantity: q(8),
                decision: BoardDecision::Found,
            },
            BoardLot {
                lot: id("lot:762x39-1987-045"),
                quantity: q(2),
                decision: BoardDecision::WrittenOff,
            },
        ],
        items: vec![BoardItem {
            item: id("item:ak47-kz-1987-00123"),
            decision: BoardDecision::WrittenOff,
        }],
    }
}
