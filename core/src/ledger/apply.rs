//! Applying one signed event to the state, in a fixed order of checks: the genesis rule,
//! signatures (cryptography, key ownership, revocation, key age, the recording actor's
//! signature), the kind's plan, the exact set of parents, the rules in force; then an
//! infallible commit. A refused event changes nothing.

use std::collections::BTreeSet;

use crate::envelope::{Event, Signature};
use crate::error::{Error, ErrorKind, Result, RuleFailure, at};
use crate::ledger::account::{Posting, Stock};
use crate::ledger::kinds::{Body, RegisterActor};
use crate::ledger::plan::{Plan, Policy};
use crate::ledger::rules::{RuleEngine, RuleOutcome, RuleWarning, rule_input};
use crate::ledger::state::State;
use crate::ledger::{Event as LedgerEvent, SignedEvent};
use crate::model::{ActorId, EventId, Role};

/// Signatures of one event checked for a repeated key by a scan; beyond this, by a set.
const SCANNED_SIGNATURES_MAX: usize = 16;
/// Given parents of one event searched by a scan; beyond this, in a sorted copy.
const SCANNED_PARENTS_MAX: usize = 16;

/// How signatures are checked while applying.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SignatureCheck {
    /// Verify every signature (the default).
    Verify,
    /// The caller already verified every signature cryptographically (for example in a batch
    /// on all cores); only key ownership, age and revocation are checked here.
    AlreadyVerified,
}

/// What an accepted event did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Applied {
    /// The event's id.
    pub(crate) id: EventId,
    /// Existing items and lots the event touched, and those it created.
    pub(crate) stocks: Vec<Stock>,
    /// Where in `stocks` those the event created are (they follow those it touched).
    created: std::ops::Range<usize>,
    /// Items and lots that no longer exist after it (those a correction un-registered).
    pub(crate) removed: Vec<Stock>,
    /// Its movements of stock.
    pub(crate) postings: Vec<Posting>,
    /// Warnings from rule plugins.
    pub(crate) warnings: Vec<RuleWarning>,
}

impl Applied {
    /// The items and lots the event created (registered, split off, merged into).
    pub(crate) fn created(&self) -> &[Stock] {
        // The range is taken from `stocks` as it was built (`apply_with`), so it is in bounds.
        // Were it not, no stock would count as created: the store then reads every derived
        // row back before writing (`Dirty::fresh`), slower but never wrong.
        debug_assert!(self.created.end <= self.stocks.len());
        self.stocks.get(self.created.clone()).unwrap_or_default()
    }
}

impl State {
    /// The parents an event must carry if appended now: the latest events of everything it
    /// touches and the events it refers to. Writers call this before signing.
    pub(crate) fn required_parents(&self, event: &LedgerEvent) -> Result<Vec<EventId>> {
        if self.events == 0 {
            return Ok(Vec::new());
        }
        let id = event.id()?;
        let plan = self.plan(event, id)?;
        Ok(plan.parents.iter().map(|(parent, _)| *parent).collect())
    }

    fn check_signatures(&self, signed: &SignedEvent, check: SignatureCheck) -> Result<()> {
        let id = signed.id;
        let event = &signed.event;
        let sig_err = |kind| at(id, "/signatures", kind);
        if signed.signatures.is_empty() {
            return Err(sig_err(ErrorKind::Unsigned));
        }
        let genesis = self.events == 0;
        // Used only beyond `SCANNED_SIGNATURES_MAX` signatures (an empty set allocates nothing).
        let mut seen = BTreeSet::new();
        let mut actor_signed = false;
        for (i, sig) in signed.signatures.iter().enumerate() {
            let sig_err = |kind| at(id, format!("/signatures/{i}"), kind);
            // A key seen before among the earlier signatures: a scan of the few an event
            // usually carries (a set cost an allocation per event); a set beyond that, as a
            // 1 MiB event can carry thousands.
            let repeated = if signed.signatures.len() <= SCANNED_SIGNATURES_MAX {
                signed.signatures.iter().take(i).any(|s| s.key == sig.key)
            } else {
                !seen.insert(sig.key)
            };
            if repeated {
                return Err(sig_err(ErrorKind::DuplicateSignature {
                    key: sig.key.to_string(),
                }));
            }
            if check == SignatureCheck::Verify && !sig.verify(&id) {
                return Err(sig_err(ErrorKind::BadSignature {
                    key: sig.key.to_string(),
                }));
            }
            if genesis {
                let own = matches!(&event.body, Body::RegisterActor(RegisterActor { subject }) if subject.keys.contains(&sig.key));
                if !own {
                    return Err(Error::new(ErrorKind::Genesis).for_event(id));
                }
                actor_signed = true;
                continue;
            }
            let owner = self.key_owner.get(&sig.key).ok_or_else(|| {
                sig_err(ErrorKind::UnknownKey {
                    key: sig.key.to_string(),
                })
            })?;
            let key = self.actors.get(owner).and_then(|a| a.keys.get(&sig.key));
            match key {
                Some(k) if k.active => {
                    if event.at < k.added_at {
                        // A key signs nothing dated before it was registered.
                        return Err(at(
                            id,
                            "/at",
                            ErrorKind::DatedBeforeLast {
                                at: event.at.to_string(),
                                last_at: k.added_at.to_string(),
                                of: format!("key {}", sig.key),
                            },
                        ));
                    }
                }
                _ => {
                    return Err(sig_err(ErrorKind::RevokedKey {
                        key: sig.key.to_string(),
                        actor: owner.to_string(),
                    }));
                }
            }
            if owner == &event.actor {
                actor_signed = true;
            }
        }
        if actor_signed {
            Ok(())
        } else {
            Err(sig_err(ErrorKind::ActorDidNotSign {
                actor: event.actor.to_string(),
            }))
        }
    }

    /// The actors who signed an event (after its signatures were checked), each once, in
    /// signature order.
    pub(crate) fn signers(&self, signed: &SignedEvent) -> Vec<ActorId> {
        let mut out: Vec<ActorId> = Vec::new();
        for s in &signed.signatures {
            if let Some(owner) = self.key_owner.get(&s.key)
                && !out.contains(owner)
            {
                out.push(owner.clone());
            }
        }
        if out.is_empty() {
            out.push(signed.event.actor.clone());
        }
        out
    }

    /// Applies one signed event: checks everything, consults the rules in force, then commits.
    /// On any error the state is unchanged.
    pub(crate) fn apply(
        &mut self,
        signed: &SignedEvent,
        check: SignatureCheck,
        rules: Option<&dyn RuleEngine>,
    ) -> Result<Applied> {
        self.apply_with(signed, check, rules, None)
    }

    /// As [`State::apply`], with the checks made only when appending.
    pub(crate) fn apply_with(
        &mut self,
        signed: &SignedEvent,
        check: SignatureCheck,
        rules: Option<&dyn RuleEngine>,
        policy: Option<Policy>,
    ) -> Result<Applied> {
        let id = signed.id;
        let event = &signed.event;
        if let Some(p) = &policy
            && event.at.unix_seconds() > p.now_unix.saturating_add(p.future_secs_max)
        {
            return Err(at(
                id,
                "/at",
                ErrorKind::DatedInTheFuture {
                    at: event.at.to_string(),
                    now: crate::model::Timestamp::from_unix_seconds(p.now_unix)
                        .map(|t| t.to_string())
                        .unwrap_or_else(|_| p.now_unix.to_string()),
                    future_secs_max: p.future_secs_max,
                },
            ));
        }
        match &self.genesis_at {
            None => {
                let ok = matches!(&event.body, Body::RegisterActor(RegisterActor { subject })
                    if subject.id == event.actor && subject.roles.contains(&Role::Admin) && subject.member_of.is_none())
                    && event.parents.is_empty();
                if !ok {
                    return Err(Error::new(ErrorKind::Genesis).for_event(id));
                }
            }
            Some(genesis_at) if &event.at < genesis_at => {
                return Err(at(
                    id,
                    "/at",
                    ErrorKind::DatedBeforeLast {
                        at: event.at.to_string(),
                        last_at: genesis_at.to_string(),
                        of: "the ledger's first event".into(),
                    },
                ));
            }
            Some(_) => {}
        }
        if event.v < self.version_max {
            return Err(at(
                id,
                "/v",
                ErrorKind::VersionDecreased {
                    version: event.v,
                    newest: self.version_max,
                },
            ));
        }
        self.check_signatures(signed, check)?;
        let plan = self.plan_with(event, id, policy, Some(&signed.signatures))?;
        // Parents must be exactly the required set: nothing missing, nothing stray.
        // The few parents of an event are scanned; many are searched by halves in a sorted
        // copy (a tree of them cost an allocation per parent on every event, and a copy one).
        let mut sorted: Vec<EventId> = Vec::new();
        if event.parents.len() > SCANNED_PARENTS_MAX {
            sorted.clone_from(&event.parents);
            sorted.sort_unstable();
        }
        let is_given = |expected: &EventId| {
            if sorted.is_empty() {
                event.parents.contains(expected)
            } else {
                sorted.binary_search(expected).is_ok()
            }
        };
        for (expected, of) in &plan.parents {
            if !is_given(expected) {
                return Err(at(
                    id,
                    "/parents",
                    ErrorKind::MissingParent {
                        expected: *expected,
                        of: of.to_string(),
                    },
                ));
            }
        }
        for (i, parent) in event.parents.iter().enumerate() {
            if !plan.requires_parent(parent) {
                return Err(at(
                    id,
                    format!("/parents/{i}"),
                    ErrorKind::UnexpectedParent { parent: *parent },
                ));
            }
        }
        let mut warnings = Vec::new();
        if !self.rules.is_empty() && !matches!(event.body, Body::RulesInForce(_)) {
            let engine = rules.ok_or_else(|| {
                let names: Vec<&str> = self.rules.iter().map(|r| r.name.as_str()).collect();
                Error::new(ErrorKind::RulesNotLoaded {
                    rules: names.join(", "),
                })
                .for_event(id)
            })?;
            let input = rule_input(self, &plan, signed)?;
            // The queries see this state: the event is not committed yet.
            let queries = crate::ledger::queries::StateQueries::new(self, &event.at);
            warnings = engine
                .judge_queried(&self.rules, &input, &queries)
                .map_err(|outcome| {
                    let kind = match outcome {
                        RuleOutcome::Denied {
                            rule,
                            code,
                            message,
                        } => ErrorKind::RuleDenied {
                            rule,
                            code,
                            message,
                        },
                        RuleOutcome::Failed {
                            rule,
                            failure: RuleFailure::Query,
                            detail,
                        } => ErrorKind::RuleQueryInvalid { rule, detail },
                        RuleOutcome::Failed {
                            rule,
                            failure,
                            detail,
                        } => ErrorKind::RuleFailed {
                            rule,
                            failure,
                            detail,
                        },
                    };
                    Error::new(kind).for_event(id)
                })?;
        }
        let stocks: Vec<Stock> = plan.all_stocks().collect();
        let created = plan.fx.touched.len()..stocks.len();
        let fx = plan.fx;
        let (removed, postings) = self.commit(fx, id, event.actor.clone(), event.at.clone());
        self.version_max = self.version_max.max(event.v);
        // A correction that un-registers stock touches it too: its trace ends with the
        // correction.
        let mut stocks = stocks;
        stocks.extend(removed.iter().cloned());
        #[cfg(debug_assertions)]
        if let Err(e) = self.check_invariants() {
            // A broken invariant is a bug in this crate; fail loudly in debug builds only.
            #[expect(clippy::panic, reason = "debug-only invariant check")]
            {
                panic!("{}", Error::from(e));
            }
        }
        Ok(Applied {
            id,
            stocks,
            created,
            removed,
            postings,
            warnings,
        })
    }

    /// The input document the rule plugins are given for `signed` when it is appended to this
    /// state (plugin ABI, `docs/PLUGIN_ABI.md`): for a stored event, this state must be the one
    /// just before it.
    pub(crate) fn rule_input_for(&self, signed: &SignedEvent) -> Result<serde_json::Value> {
        let plan = self.plan_with(&signed.event, signed.id, None, Some(&signed.signatures))?;
        rule_input(self, &plan, signed)
    }

    /// Plans an event: the recording actor must exist (but for the genesis event), then the
    /// kind's own checks.
    pub(crate) fn plan<'a>(&'a self, event: &'a Event<Body>, id: EventId) -> Result<Plan<'a>> {
        self.plan_with(event, id, None, None)
    }

    fn plan_with<'a>(
        &'a self,
        event: &'a Event<Body>,
        id: EventId,
        policy: Option<Policy>,
        signatures: Option<&'a [Signature]>,
    ) -> Result<Plan<'a>> {
        let actor_state = self.actors.get(&event.actor);
        let mut p = Plan::new(self, id, &event.actor, actor_state, &event.at, event.v);
        p.policy = policy;
        p.signatures = signatures;
        if self.events > 0 && actor_state.is_none() {
            return Err(p.unknown("/actor", &event.actor));
        }
        event.body.plan(&mut p)?;
        p.settle();
        Ok(p)
    }
}
