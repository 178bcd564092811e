//! Why the ledger refused an event. Each variant names the event, the field (a JSON Pointer
//! into the event) and the values involved. A refused event changes nothing.

use crate::event::{DecodeError, SignatureError};
use crate::ledger::account::{Account, Stock};
use crate::model::{ActorId, EventId, PublicKey, Role};

/// An event the ledger refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The bytes are not a valid event.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// The first event must register an administrator who signs it with their own key.
    #[error(
        "event `{event}`: the first event must be a `register_actor` by which an actor with the `admin` role registers itself, signed with its own key"
    )]
    Genesis {
        /// The event.
        event: EventId,
    },
    /// The id is already in the ledger.
    #[error("event `{event}` is already in the ledger")]
    DuplicateEvent {
        /// The event.
        event: EventId,
    },
    /// No signatures.
    #[error("event `{event}` carries no signature")]
    Unsigned {
        /// The event.
        event: EventId,
    },
    /// A signature does not verify.
    #[error("event `{event}`: {source}")]
    BadSignature {
        /// The event.
        event: EventId,
        /// What failed.
        source: SignatureError,
    },
    /// The same key signed twice.
    #[error("event `{event}` carries two signatures by key `{key}`")]
    DuplicateSignature {
        /// The event.
        event: EventId,
        /// The key.
        key: PublicKey,
    },
    /// The key belongs to no registered actor.
    #[error("event `{event}` is signed by key `{key}`, which belongs to no registered actor")]
    UnknownKey {
        /// The event.
        event: EventId,
        /// The key.
        key: PublicKey,
    },
    /// The key was revoked before this event.
    #[error("event `{event}` is signed by key `{key}` of `{actor}`, revoked before this event")]
    RevokedKey {
        /// The event.
        event: EventId,
        /// The key.
        key: PublicKey,
        /// Its owner.
        actor: ActorId,
    },
    /// The recording actor did not sign.
    #[error("event `{event}` is recorded by `{actor}` but carries no valid signature of theirs")]
    ActorDidNotSign {
        /// The event.
        event: EventId,
        /// The actor.
        actor: ActorId,
    },
    /// A required parent is missing.
    #[error(
        "event `{event}`: field `/parents` must include `{expected}`, the latest event of `{of}`"
    )]
    MissingParent {
        /// The event.
        event: EventId,
        /// The id expected among the parents.
        expected: EventId,
        /// Whose latest event it is.
        of: String,
    },
    /// A parent that is not the latest event of anything the event touches.
    #[error(
        "event `{event}`: parent `{parent}` in field `/parents` is not the latest event of anything this event touches"
    )]
    UnexpectedParent {
        /// The event.
        event: EventId,
        /// The stray parent.
        parent: EventId,
    },
    /// A referenced actor, site, item, lot or event does not exist.
    #[error("event `{event}`: field `{field}` names `{value}`, which is not in the ledger")]
    Unknown {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// An id being registered already exists.
    #[error("event `{event}`: field `{field}` registers `{value}`, which already exists")]
    AlreadyExists {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// The id.
        value: String,
    },
    /// The same item or lot appears twice in one list.
    #[error("event `{event}`: field `{field}` lists `{value}` twice")]
    Repeated {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// The repeated id.
        value: String,
    },
    /// The actor lacks a role.
    #[error("event `{event}`: `{actor}` lacks the `{role:?}` role needed for `{kind}`")]
    MissingRole {
        /// The event.
        event: EventId,
        /// The actor.
        actor: ActorId,
        /// The role.
        role: Role,
        /// The event kind.
        kind: &'static str,
    },
    /// The actor does not act for the custodian concerned.
    #[error("event `{event}`: field `{field}`: `{actor}` does not act for custodian `{custodian}`")]
    NotCustodian {
        /// The event.
        event: EventId,
        /// The field naming the custodian.
        field: String,
        /// The actor.
        actor: ActorId,
        /// The custodian.
        custodian: ActorId,
    },
    /// Not enough units in the account.
    #[error(
        "event `{event}`: field `{field}` moves {requested} of `{stock}` from `{account}`, which holds {available}"
    )]
    Insufficient {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// What.
        stock: Stock,
        /// From where.
        account: Account,
        /// Balance.
        available: i128,
        /// Requested.
        requested: u64,
    },
    /// A zero quantity where units must move.
    #[error("event `{event}`: field `{field}` is zero")]
    ZeroQuantity {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
    },
    /// Something is wrong with the event's content (empty movement, mismatched attributes).
    #[error("event `{event}`: field `{field}`: {reason}")]
    Invalid {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// Why.
        reason: String,
    },
    /// Destroyed stock cannot be touched again.
    #[error("event `{event}`: field `{field}` names `{stock}`, which was destroyed")]
    AfterDestruction {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// The destroyed stock.
        stock: Stock,
    },
    /// A destruction beyond what its authorisation covers.
    #[error(
        "event `{event}`: field `{field}`: `{what}` is not covered by authorisation `{authorisation}`"
    )]
    NotAuthorised {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// What is not covered.
        what: String,
        /// The authorisation named.
        authorisation: EventId,
    },
    /// A stock check's `booked` differs from the ledger.
    #[error("event `{event}`: field `{field}` says {booked} booked but the ledger holds {ledger}")]
    BookedMismatch {
        /// The event.
        event: EventId,
        /// The field.
        field: String,
        /// What the check says.
        booked: u64,
        /// What the ledger holds.
        ledger: i128,
    },
    /// An event that cannot be corrected.
    #[error("event `{event}` cannot reverse `{target}`: {reason}")]
    NotCorrectable {
        /// The correction.
        event: EventId,
        /// Its target.
        target: EventId,
        /// Why.
        reason: &'static str,
    },
    /// A rule plugin in force refused the event.
    #[error("event `{event}` refused by rule `{rule}`: {code}: {message}")]
    RuleDenied {
        /// The event.
        event: EventId,
        /// The plugin's name.
        rule: String,
        /// Its stable code.
        code: String,
        /// Its message.
        message: String,
    },
    /// A rule plugin failed (trap, budget, bad output) or is missing.
    #[error("event `{event}`: rule `{rule}` {failure}: {detail}")]
    RuleFailed {
        /// The event.
        event: EventId,
        /// The plugin's name.
        rule: String,
        /// How.
        failure: crate::error::RuleFailure,
        /// What happened.
        detail: String,
    },
    /// Rules in force, no engine.
    #[error("event `{event}`: rules `{rules}` are in force but no rule engine was given")]
    RulesNotLoaded {
        /// The event.
        event: EventId,
        /// The rules.
        rules: String,
    },
}

impl LedgerError {
    /// The stable name of this error's family, as listed in `docs/ERRORS.md`.
    pub fn family(&self) -> &'static str {
        match self {
            LedgerError::Decode(_) => "decode",
            LedgerError::Genesis { .. }
            | LedgerError::DuplicateEvent { .. }
            | LedgerError::MissingParent { .. }
            | LedgerError::UnexpectedParent { .. } => "graph",
            LedgerError::Unsigned { .. }
            | LedgerError::BadSignature { .. }
            | LedgerError::DuplicateSignature { .. }
            | LedgerError::UnknownKey { .. }
            | LedgerError::RevokedKey { .. }
            | LedgerError::ActorDidNotSign { .. } => "signature",
            LedgerError::Unknown { .. }
            | LedgerError::AlreadyExists { .. }
            | LedgerError::Repeated { .. } => "reference",
            LedgerError::MissingRole { .. } | LedgerError::NotCustodian { .. } => "authority",
            LedgerError::Insufficient { .. }
            | LedgerError::ZeroQuantity { .. }
            | LedgerError::BookedMismatch { .. }
            | LedgerError::Invalid { .. } => "quantity",
            LedgerError::AfterDestruction { .. } | LedgerError::NotAuthorised { .. } => {
                "destruction"
            }
            LedgerError::NotCorrectable { .. } => "correction",
            LedgerError::RuleDenied { .. }
            | LedgerError::RuleFailed { .. }
            | LedgerError::RulesNotLoaded { .. } => "rule",
        }
    }
}

impl From<LedgerError> for crate::error::Error {
    fn from(e: LedgerError) -> Self {
        use crate::error::{Error, ErrorKind as K, at};
        let s = |v: &dyn std::fmt::Display| v.to_string();
        let clamp = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
        match e {
            LedgerError::Decode(d) => d.into(),
            LedgerError::Genesis { event } => Error::new(K::Genesis).for_event(event),
            LedgerError::DuplicateEvent { event } => {
                Error::new(K::DuplicateEvent { event }).for_event(event)
            }
            LedgerError::Unsigned { event } => at(event, "/signatures", K::Unsigned),
            LedgerError::BadSignature { event, source } => {
                let key = match source {
                    crate::event::SignatureError::BadKey { key }
                    | crate::event::SignatureError::Invalid { key, .. } => key,
                };
                at(event, "/signatures", K::BadSignature { key: s(&key) })
            }
            LedgerError::DuplicateSignature { event, key } => {
                at(event, "/signatures", K::DuplicateSignature { key: s(&key) })
            }
            LedgerError::UnknownKey { event, key } => {
                at(event, "/signatures", K::UnknownKey { key: s(&key) })
            }
            LedgerError::RevokedKey { event, key, actor } => at(
                event,
                "/signatures",
                K::RevokedKey {
                    key: s(&key),
                    actor: s(&actor),
                },
            ),
            LedgerError::ActorDidNotSign { event, actor } => at(
                event,
                "/signatures",
                K::ActorDidNotSign { actor: s(&actor) },
            ),
            LedgerError::MissingParent {
                event,
                expected,
                of,
            } => at(event, "/parents", K::MissingParent { expected, of }),
            LedgerError::UnexpectedParent { event, parent } => {
                at(event, "/parents", K::UnexpectedParent { parent })
            }
            LedgerError::Unknown {
                event,
                field,
                value,
            } => at(event, field, K::UnknownReference { value }),
            LedgerError::AlreadyExists {
                event,
                field,
                value,
            } => at(event, field, K::AlreadyExists { value }),
            LedgerError::Repeated {
                event,
                field,
                value,
            } => at(event, field, K::Repeated { value }),
            LedgerError::MissingRole {
                event,
                actor,
                role,
                kind,
            } => at(
                event,
                "/actor",
                K::MissingRole {
                    actor: s(&actor),
                    role: crate::store::derived::wire(&role)
                        .unwrap_or_else(|_| format!("{role:?}")),
                    needed_for: kind.to_owned(),
                },
            ),
            LedgerError::NotCustodian {
                event,
                field,
                actor,
                custodian,
            } => at(
                event,
                field,
                K::NotCustodian {
                    actor: s(&actor),
                    custodian: s(&custodian),
                },
            ),
            LedgerError::Insufficient {
                event,
                field,
                stock,
                account,
                available,
                requested,
            } => at(
                event,
                field,
                K::InsufficientStock {
                    stock: s(&stock),
                    account: s(&account),
                    available: clamp(available),
                    requested,
                },
            ),
            LedgerError::ZeroQuantity { event, field } => at(event, field, K::ZeroQuantity),
            LedgerError::Invalid {
                event,
                field,
                reason,
            } => at(
                event,
                field,
                K::FieldInvalid {
                    value: String::new(),
                    reason,
                },
            ),
            LedgerError::AfterDestruction {
                event,
                field,
                stock,
            } => at(event, field, K::AfterDestruction { stock: s(&stock) }),
            LedgerError::NotAuthorised {
                event,
                field,
                what,
                authorisation,
            } => at(
                event,
                field,
                K::NotAuthorised {
                    what,
                    authorisation,
                },
            ),
            LedgerError::BookedMismatch {
                event,
                field,
                booked,
                ledger,
            } => at(
                event,
                field,
                K::BookedMismatch {
                    booked,
                    ledger: clamp(ledger),
                },
            ),
            LedgerError::NotCorrectable { event, target, .. } => at(
                event,
                "/reverses",
                K::NotCorrectable {
                    target,
                    reason: crate::error::NotCorrectableReason::NotReversible,
                },
            ),
            LedgerError::RuleDenied {
                event,
                rule,
                code,
                message,
            } => Error::new(K::RuleDenied {
                rule,
                code,
                message,
            })
            .for_event(event),
            LedgerError::RuleFailed {
                event,
                rule,
                failure,
                detail,
            } => Error::new(K::RuleFailed {
                rule,
                failure,
                detail,
            })
            .for_event(event),
            LedgerError::RulesNotLoaded { event, rules } => {
                Error::new(K::RulesNotLoaded { rules }).for_event(event)
            }
        }
    }
}
