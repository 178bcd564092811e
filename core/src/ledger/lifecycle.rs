//! What the ammunition and armoury life cycle keeps open in the state (format version 2):
//! expenditures awaiting the return of unfired rounds and residue, and weapons out on issue to
//! persons. Both are bounded by the stockpile: an expenditure stays open only when it names a
//! day for its return (and its return closes it); an issue only while one of its weapons is out.

use crate::ledger::journal::JMap;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::error::{ErrorKind, Result};
use crate::ledger::account::{Account, Sink};
use crate::ledger::plan::{Path, Plan};
use crate::ledger::state::{InvariantError, SiteState, State};
use crate::model::{ActorId, Date, EventId, ItemId, LotId, Place, StockStatus, Timestamp};

/// An expenditure whose unfired rounds and residue are to be returned.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct OpenExpenditure {
    /// The holding the rounds were expended from, and return to.
    pub(crate) from: Place,
    /// Units expended per lot.
    pub(crate) lots: BTreeMap<LotId, u64>,
    /// The day by which the return is due.
    pub(crate) return_by: Date,
    /// When expended.
    pub(crate) at: Timestamp,
}

/// Weapons issued to a person and not all returned.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct OpenIssue {
    /// The armoury holding they were issued from, and return to.
    pub(crate) from: Place,
    /// The person.
    pub(crate) person: ActorId,
    /// Weapons still out.
    pub(crate) items: BTreeSet<ItemId>,
    /// When issued.
    pub(crate) at: Timestamp,
    /// The end of the issue period: a weapon still out after it is overdue.
    pub(crate) due: Timestamp,
}

/// What an event changes among the open expenditures and issues.
#[derive(Clone, Debug, Default)]
pub(crate) struct LifecycleEffects {
    // Boxed, like the records of `Effects` only one kind opens: every event's plan carries and
    // moves these effects, and few open an expenditure or an issue.
    pub(crate) open_expenditure: Option<Box<OpenExpenditure>>,
    pub(crate) close_expenditure: Option<EventId>,
    pub(crate) open_issue: Option<Box<OpenIssue>>,
    /// (issue, items returned).
    pub(crate) return_items: Option<(EventId, Vec<ItemId>)>,
}

/// What reversing such an event needs.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct LifecycleUndo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) opened_expenditure: Option<EventId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) closed_expenditure: Option<Box<(EventId, OpenExpenditure)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) opened_issue: Option<EventId>,
    /// The issue as it was before a return changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) returned: Option<Box<(EventId, OpenIssue)>>,
}

impl LifecycleUndo {
    pub(crate) fn is_empty(&self) -> bool {
        self.opened_expenditure.is_none()
            && self.closed_expenditure.is_none()
            && self.opened_issue.is_none()
            && self.returned.is_none()
    }
}

/// The open expenditures and issues of the state.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Lifecycle {
    // INVARIANT (expenditure-open): an open expenditure's units are in the `consumed` sink
    // (it posted them there and only its return takes them back).
    #[serde(skip_serializing_if = "JMap::is_empty")]
    pub(crate) expenditures: JMap<EventId, OpenExpenditure>,
    // INVARIANT (issue-open): every weapon out on an open issue is in the person's holding at
    // the issuing site, and is out on no other open issue.
    #[serde(skip_serializing_if = "JMap::is_empty")]
    pub(crate) issues: JMap<EventId, OpenIssue>,
}

impl Lifecycle {
    /// Opens, commits or rolls back a batch of its journals (`journal`).
    pub(crate) fn batch(&mut self, op: crate::ledger::journal::BatchOp) {
        let Lifecycle {
            expenditures,
            issues,
        } = self;
        op.run(expenditures);
        op.run(issues);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.expenditures.is_empty() && self.issues.is_empty()
    }

    /// Checks the invariants of open expenditures and issues against the state.
    #[cfg_attr(
        not(any(debug_assertions, test, feature = "testkit")),
        allow(
            dead_code,
            reason = "only debug builds, tests and the testkit check invariants"
        )
    )]
    pub(crate) fn check(&self, state: &State) -> Result<(), InvariantError> {
        let broken =
            |invariant: &'static str, detail: String| Err(InvariantError { invariant, detail });
        let consumed = Account::Sink(Sink::Consumed);
        let mut open: BTreeMap<&LotId, u64> = BTreeMap::new();
        for e in self.expenditures.values() {
            for (lot, q) in &e.lots {
                *open.entry(lot).or_default() += q;
            }
        }
        for (lot, q) in open {
            let there = state.lots.get(lot).map_or(0, |l| l.balance(&consumed));
            if there < i128::from(q) {
                return broken(
                    "expenditure-open",
                    format!("open expenditures of `{lot}` hold {q}, `{consumed}` only {there}"),
                );
            }
        }
        let mut seen = BTreeSet::new();
        for (id, issue) in &self.issues {
            let account = Account::Holding {
                site: issue.from.site.clone(),
                custodian: issue.person.clone(),
            };
            for item in &issue.items {
                if !seen.insert(item) {
                    return broken("issue-open", format!("`{item}` is out on two issues"));
                }
                if state.items.get(item).is_none_or(|s| s.location != account) {
                    return broken(
                        "issue-open",
                        format!("`{item}` of open issue `{id}` is not in `{account}`"),
                    );
                }
            }
        }
        Ok(())
    }

    /// The open issue an item is out on.
    pub(crate) fn issue_of(&self, item: &ItemId) -> Option<(EventId, &OpenIssue)> {
        self.issues
            .iter()
            .find(|(_, i)| i.items.contains(item))
            .map(|(id, i)| (*id, i))
    }

    /// Applies an event's changes, recording how to reverse them.
    pub(crate) fn commit(&mut self, fx: LifecycleEffects, id: EventId) -> LifecycleUndo {
        let mut undo = LifecycleUndo::default();
        if let Some(e) = fx.open_expenditure {
            self.expenditures.insert(id, *e);
            undo.opened_expenditure = Some(id);
        }
        if let Some(e) = fx.close_expenditure
            && let Some(open) = self.expenditures.remove(&e)
        {
            undo.closed_expenditure = Some(Box::new((e, open)));
        }
        if let Some(issue) = fx.open_issue {
            self.issues.insert(id, *issue);
            undo.opened_issue = Some(id);
        }
        if let Some((issue, items)) = fx.return_items
            && let Some(open) = self.issues.get_mut(&issue)
        {
            undo.returned = Some(Box::new((issue, open.clone())));
            for item in &items {
                open.items.remove(item);
            }
            if open.items.is_empty() {
                self.issues.remove(&issue);
            }
        }
        undo
    }

    /// Reverses what `commit` did.
    pub(crate) fn revert(&mut self, undo: &LifecycleUndo) {
        if let Some(e) = undo.opened_expenditure {
            self.expenditures.remove(&e);
        }
        if let Some((e, open)) = undo.closed_expenditure.as_deref() {
            self.expenditures.insert(*e, open.clone());
        }
        if let Some(i) = undo.opened_issue {
            self.issues.remove(&i);
        }
        if let Some((i, open)) = undo.returned.as_deref() {
            self.issues.insert(*i, open.clone());
        }
    }
}

impl Plan<'_> {
    /// At a site under the two-person rule, `person` signed the event as well as the
    /// recording actor, who is someone else. Not checked while the event is only prepared
    /// (its signers are not known yet).
    pub(crate) fn two_persons(&self, site: &SiteState, person: &ActorId) -> Result<()> {
        if !site.site.two_person_rule {
            return Ok(());
        }
        let Some(signed) = self.signed_by(person) else {
            return Ok(());
        };
        if self.actor == person || !signed {
            return Err(self.err(
                "/signatures",
                ErrorKind::TwoPersonRule {
                    site: site.site.id.to_string(),
                    person: person.to_string(),
                },
            ));
        }
        Ok(())
    }

    /// Stock whose condition and disposition allow `purpose`: serviceable and in service
    /// (or surplus, or forfeited to the state); a test of the ammunition itself (proof or
    /// surveillance firing) may also take suspended or unserviceable lots.
    pub(crate) fn fit_for<'f>(
        &self,
        field: impl Into<Path<'f>>,
        stock: &str,
        status: StockStatus,
        purpose: &str,
        tests_the_ammunition: bool,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        use crate::model::{Condition, Disposition};
        let condition_ok = match status.condition {
            Condition::Serviceable => true,
            Condition::Suspended | Condition::Unserviceable => tests_the_ammunition,
            Condition::UnderRepair => false,
        };
        let disposition_ok = matches!(
            status.disposition,
            Disposition::InService | Disposition::Surplus | Disposition::Forfeited
        );
        if condition_ok && disposition_ok {
            return Ok(());
        }
        let status = if condition_ok {
            status.disposition.as_str()
        } else {
            status.condition.as_str()
        };
        Err(self.err(
            field,
            ErrorKind::NotFitForUse {
                stock: stock.to_owned(),
                status: status.to_owned(),
                purpose: purpose.to_owned(),
            },
        ))
    }
}

/// Seconds in a day.
pub(crate) const DAY_SECONDS: i64 = 86_400;
