//! The one error type of the front door. Every refusal and failure that reaches a caller of
//! [`crate::Ledger`] is an [`Error`]: a typed [`ErrorKind`] with the values involved, a stable
//! numeric [`ErrorCode`] (grouped by [`ErrorFamily`]), and where it applies the event's index
//! (in the batch being appended, or in the ledger being verified), the event's id and the JSON
//! Pointer of the offending field. The C result codes and the Python exception classes map onto
//! these one to one; `docs/ERRORS.md` lists every code, and a test fails when the table and
//! this file disagree.
//!
//! Codes are never renumbered and never reused: a new error gets a new number in its family.

use std::fmt;

use serde::Serialize;

use crate::model::EventId;

/// The result of every fallible call of the front door.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The family of an error code: its thousands digit.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum ErrorFamily {
    /// 1xxx: the bytes are not a valid event or batch (size, JSON, schema, canonical form, id).
    Input = 1,
    /// 2xxx: a well-formed event the ledger refuses for its content (references, quantities,
    /// parents, dates).
    Validation = 2,
    /// 3xxx: custody and conservation (who holds what, balances, destroyed stock).
    Custody = 3,
    /// 4xxx: authorisation (roles, destruction authorisations).
    Authorisation = 4,
    /// 5xxx: signatures and keys.
    Signature = 5,
    /// 6xxx: national rule plugins (a denial, a plugin that failed or is missing).
    Rule = 6,
    /// 7xxx: integrity of a stored or exported ledger (verification failures, damaged files).
    Integrity = 7,
    /// 8xxx: storage (files, SQLite, a busy ledger, read-only access).
    Storage = 8,
    /// 9xxx: usage (bad arguments, calls in the wrong state) and internal failures.
    Usage = 9,
}

impl ErrorFamily {
    /// Every family, in code order.
    pub const ALL: [ErrorFamily; 9] = [
        ErrorFamily::Input,
        ErrorFamily::Validation,
        ErrorFamily::Custody,
        ErrorFamily::Authorisation,
        ErrorFamily::Signature,
        ErrorFamily::Rule,
        ErrorFamily::Integrity,
        ErrorFamily::Storage,
        ErrorFamily::Usage,
    ];

    /// The family's name as the bindings spell it (`input`, `validation`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ErrorFamily::Input => "input",
            ErrorFamily::Validation => "validation",
            ErrorFamily::Custody => "custody",
            ErrorFamily::Authorisation => "authorisation",
            ErrorFamily::Signature => "signature",
            ErrorFamily::Rule => "rule",
            ErrorFamily::Integrity => "integrity",
            ErrorFamily::Storage => "storage",
            ErrorFamily::Usage => "usage",
        }
    }
}

impl fmt::Display for ErrorFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a correction cannot reverse its target.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotCorrectableReason {
    /// The target is not in the ledger, is of a kind that cannot be reversed (a destruction,
    /// an actor or key event, rules in force, a correction), was reversed already, or is no
    /// longer the latest event of everything it touched.
    NotReversible,
}

impl fmt::Display for NotCorrectableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotCorrectableReason::NotReversible => {
                "it is unknown, of a kind that cannot be reversed, already reversed, or no longer the latest event of everything it touched"
            }
        })
    }
}

/// How a rule plugin failed (as opposed to refusing an event).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleFailure {
    /// The plugin in force is not loaded (give its module, e.g. `--plugins DIR`).
    NotLoaded,
    /// The plugin trapped (unreachable, out-of-bounds access, stack overflow).
    Trap,
    /// The plugin ran out of fuel or time.
    Budget,
    /// The plugin tried to grow its memory beyond the cap.
    Memory,
    /// The plugin returned something the ABI does not allow.
    Malformed,
    /// The plugin could not be instantiated or called.
    Host,
    /// The plugin asked the ledger a question (plugin ABI version 2) with a malformed
    /// argument: a bad JSON Pointer, or nothing of the right type where it points.
    Query,
}

impl fmt::Display for RuleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleFailure::NotLoaded => "not loaded",
            RuleFailure::Trap => "trapped",
            RuleFailure::Budget => "exceeded its fuel or time budget",
            RuleFailure::Memory => "exceeded its memory cap",
            RuleFailure::Malformed => "returned a malformed verdict",
            RuleFailure::Host => "could not be run",
            RuleFailure::Query => "asked the ledger a malformed question",
        })
    }
}

/// Declares [`ErrorKind`] and [`ErrorCode`] from one table, so that a variant cannot exist
/// without its code, and [`ErrorCode::ALL`] lists every code in table order.
macro_rules! error_table {
    ($(
        $(#[doc = $doc:literal])*
        #[error($($msg:tt)+)]
        $variant:ident $({ $($(#[doc = $fdoc:literal])* $field:ident : $ty:ty),* $(,)? })? = $code:literal,
    )*) => {
        /// What went wrong, with the values involved. `#[non_exhaustive]`: new kinds are added
        /// with new codes.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
        #[serde(tag = "name")]
        #[non_exhaustive]
        #[allow(missing_docs, reason = "each field is named in its message and in docs/ERRORS.md")]
        pub enum ErrorKind {
            $(
                $(#[doc = $doc])*
                #[error($($msg)+)]
                $variant $({ $($(#[doc = $fdoc])* $field: $ty),* })?,
            )*
        }

        /// The stable number of an [`ErrorKind`]: the C result code and the Python
        /// exception's `code`. The thousands digit is the [`ErrorFamily`].
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                $(#[doc = $doc])*
                $variant = $code,
            )*
        }

        impl ErrorKind {
            /// The code of this kind.
            pub const fn code(&self) -> ErrorCode {
                match self {
                    $(ErrorKind::$variant { .. } => ErrorCode::$variant,)*
                }
            }
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code's name in UpperCamelCase, as in Rust (`InsufficientStock`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => stringify!($variant),)*
                }
            }

            /// What the code means, one sentence (its documentation).
            pub const fn description(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => concat!($($doc),*),)*
                }
            }

            /// The code for a number, if there is one.
            pub const fn from_u32(value: u32) -> Option<ErrorCode> {
                match value {
                    $($code => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_table! {
    // ---- 1xxx input: the bytes are not a valid event --------------------------------------
    /// An event (or an input line) is larger than the limit.
    #[error("event is {bytes} bytes, above the limit of {max}")]
    EventTooLarge { bytes: u64, max: u64 } = 1001,
    /// Not JSON.
    #[error("malformed JSON at line {line} column {column}: {reason}")]
    JsonMalformed { line: u64, column: u64, reason: String } = 1002,
    /// A JSON object holds the same member name twice (RFC 8785 requires I-JSON, RFC 7493).
    #[error("member `{member}` appears twice in one object")]
    DuplicateMember { member: String } = 1003,
    /// Valid JSON that breaks the event schema (`schemas/event.schema.json`).
    #[error("{reason}")]
    SchemaViolation { reason: String } = 1004,
    /// The schema passed but the value is refused (a date that does not exist, a bad id).
    #[error("`{value}` is not valid here: {reason}")]
    FieldInvalid { value: String, reason: String } = 1005,
    /// The object holds something its typed form does not carry (an empty optional list,
    /// `null` for an absent member), so it would have a second encoding.
    #[error("event is not in its canonical form: the member differs after decoding")]
    NotCanonical = 1006,
    /// A signed event without `id`.
    #[error("event has no `id`")]
    IdMissing = 1007,
    /// The `id` member is not the hash of the content.
    #[error("event claims id `{claimed}` but its content hashes to `{computed}`")]
    IdMismatch { claimed: EventId, computed: EventId } = 1008,
    /// The bytes are not exactly the canonical (RFC 8785) form of the event they encode.
    #[error("the bytes are not the canonical form of the event (RFC 8785)")]
    NotCanonicalBytes = 1009,
    /// A batch holds more events than one transaction takes.
    #[error("a batch holds at most {max} events; this one holds {events}")]
    BatchTooLarge { events: u64, max: u64 } = 1010,
    /// An append of nothing.
    #[error("no events to append")]
    BatchEmpty = 1011,
    /// An event is already signed where an unsigned one is expected.
    #[error("the event is already signed (it has `id` or `signatures`)")]
    AlreadySigned = 1012,
    /// A signed note, checkpoint, verifier key or witness request is malformed (C2SP
    /// signed-note, tlog-checkpoint, tlog-witness).
    #[error("malformed {what}: {reason}")]
    NoteMalformed { what: String, reason: String } = 1013,

    // ---- 2xxx validation: a well-formed event the ledger refuses ---------------------------
    /// The first event must register an administrator who signs it with their own key.
    #[error("the first event must be a `register_actor` by which an actor with the `admin` role registers itself, signed with its own key")]
    Genesis = 2001,
    /// The id is already in the ledger (or twice in the batch).
    #[error("this event is already in the ledger (or twice in the batch)")]
    DuplicateEvent { event: EventId } = 2002,
    /// A required parent is missing.
    #[error("`/parents` must include `{expected}`, the latest event of `{of}`")]
    MissingParent { expected: EventId, of: String } = 2003,
    /// A parent that is not the latest event of anything the event touches.
    #[error("parent `{parent}` is not the latest event of anything this event touches")]
    UnexpectedParent { parent: EventId } = 2004,
    /// A referenced actor, site, item, lot or event is not in the ledger.
    #[error("`{value}` is not in the ledger")]
    UnknownReference { value: String } = 2005,
    /// An id being registered exists already.
    #[error("`{value}` already exists")]
    AlreadyExists { value: String } = 2006,
    /// The same id twice in one list.
    #[error("`{value}` is listed twice")]
    Repeated { value: String } = 2007,
    /// A zero quantity where units must move.
    #[error("the quantity is zero")]
    ZeroQuantity = 2008,
    /// The event names no items and no lots.
    #[error("the event names no items and no lots")]
    NothingToMove = 2009,
    /// An event dated before the latest event of something it touches.
    #[error("`{at}` is before `{last_at}`, when `{of}` was last touched")]
    DatedBeforeLast { at: String, last_at: String, of: String } = 2010,
    /// A transfer to the place it comes from.
    #[error("a transfer must go to another custodian or site")]
    SamePlace = 2011,
    /// A receipt names stock its dispatch did not send.
    #[error("`{stock}` was not dispatched by `{dispatch}`")]
    NotDispatched { stock: String, dispatch: EventId } = 2012,
    /// Lots merged together differ in what must be the same.
    #[error("`{lot}` differs from `{first}` in {attribute}")]
    LotsDiffer { lot: String, first: String, attribute: String } = 2013,
    /// A stock check counts an item booked elsewhere.
    #[error("`{item}` is booked at `{booked_at}`, not at `{counted_at}`")]
    NotBookedHere { item: String, booked_at: String, counted_at: String } = 2014,
    /// A stock check's `booked` differs from the ledger.
    #[error("says {booked} booked but the ledger holds {ledger}")]
    BookedMismatch { booked: u64, ledger: i64 } = 2015,
    /// A stock check that counts nothing.
    #[error("a stock check must count at least one lot or item")]
    NothingCounted = 2016,
    /// An actor registered as a member of a person.
    #[error("`{parent}` is a person; actors belong to units and agencies")]
    MemberOfPerson { parent: String } = 2017,
    /// An actor registered without a key.
    #[error("an actor needs at least one key")]
    NoKeys = 2018,
    /// A key revoked that the actor does not hold, or holds revoked already.
    #[error("`{key}` is not an active key of `{actor}`")]
    KeyNotActive { key: String, actor: String } = 2019,
    /// A sum of quantities beyond the largest quantity.
    #[error("the quantities add up to more than {max}")]
    QuantityOverflow { max: u64 } = 2020,
    /// An authorisation for more than is left of a lot.
    #[error("authorises {requested} of `{lot}`, which has {left} units left")]
    BeyondLiveUnits { lot: String, requested: u64, left: i64 } = 2021,
    /// A witness's declared agency is not an agency.
    #[error("`{actor}` is not an agency")]
    NotAnAgency { actor: String } = 2022,
    /// Nothing to merge.
    #[error("nothing to merge")]
    NothingToMerge = 2023,
    /// An event dated too far ahead of the appending machine's clock (checked when appending,
    /// never when verifying).
    #[error("`{at}` is more than {future_secs_max} s ahead of this machine's clock (`{now}`)")]
    DatedInTheFuture { at: String, now: String, future_secs_max: i64 } = 2024,
    /// A receipt acknowledges more of a lot than was dispatched, beyond the tolerance
    /// (checked when appending).
    #[error("receives {received} of `{lot}` but {dispatched} were dispatched; at most {allowed} more may be received")]
    OverReceipt { lot: String, received: u64, dispatched: u64, allowed: u64 } = 2025,
    /// An id that differs from a registered one of its kind only in letter case or by
    /// trailing dots.
    #[error("`{value}` looks like `{existing}`, which is registered (ids may not differ only in case or trailing dots)")]
    LookAlikeId { value: String, existing: String } = 2026,
    /// A status change that would set or lift a disposition only its own events set and lift
    /// (an evidence hold, a forfeiture, a deactivation), or (version 2) a registration under
    /// one of them.
    #[error("disposition `{disposition}` is set and lifted only by {changed_by}, not by a status change or a registration")]
    DispositionReserved { disposition: String, changed_by: String } = 2027,
    /// An event signed with an older format version than an event the ledger already holds:
    /// a newer version's rules cannot be escaped by signing an old one.
    #[error("the event is of format version {version}, older than version {newest} already in the ledger")]
    VersionDecreased { version: u32, newest: u32 } = 2028,
    /// (Version 2) A merge of lots of different manufacturing lots, manufacture dates or
    /// origins without a technical authority's `mixed_lot_approval` (IATG 03.10 lot
    /// integrity).
    #[error("`{lot}` differs from `{first}` in {attribute} (`{value}`, not `{first_value}`): merging unlike lots needs a technical authority's `mixed_lot_approval`")]
    UnlikeLots { lot: String, first: String, attribute: String, value: String, first_value: String } = 2029,
    /// (Version 2) A mixed-lot approval by an actor who did not sign the merge.
    #[error("`{approver}` approves the mixed lot but did not sign the merge")]
    ApproverDidNotSign { approver: String } = 2030,
    /// A state that is not an ISO 3166-1 alpha-2 code in the official list.
    #[error("`{value}` is not an ISO 3166-1 alpha-2 country code")]
    UnknownCountry { value: String } = 2100,
    /// A licence that expired before the day it is judged on (the event's, or the day of
    /// import of imported stock).
    #[error("licence `{number}` expired on {expires}, before {at}")]
    LicenceExpired { number: String, expires: String, at: String } = 2101,
    /// A licence issued after the day it is judged on.
    #[error("licence `{number}` was issued on {issued}, after {at}")]
    LicenceNotYetValid { number: String, issued: String, at: String } = 2102,
    /// A state other than the one the record requires (a licence issued by the wrong state,
    /// a delivery verified by a state that is not the importing state).
    #[error("`{state}` is named where `{expected}`, the {role}, is required")]
    StateMismatch { state: String, expected: String, role: String } = 2103,
    /// A transfer between states whose exporting and importing states are the same.
    #[error("the exporting and the importing state are both `{state}`")]
    SameState { state: String } = 2104,
    /// A mark that names no marking element.
    #[error("the mark on `{item}` names no marking element")]
    EmptyMark { item: String } = 2105,
    /// A record the instruments require is absent (version 2: the import record of imported
    /// stock).
    #[error("{record} is required here: {why}")]
    RecordMissing { record: String, why: String } = 2107,
    /// A tracing request answered a second time: a request is answered once.
    #[error("tracing request `{request}` was answered by `{response}`: a request is answered once")]
    TraceAnswered { request: EventId, response: EventId } = 2108,
    /// A weapon in a tracing request with no marking element to trace it by.
    #[error("weapon {weapon} of the tracing request names no marking element")]
    TraceMarkingEmpty { weapon: u64 } = 2109,
    /// Stock whose condition or disposition does not allow the use (a suspended lot fired in
    /// training, evidence expended, a weapon under repair issued).
    #[error("`{stock}` is {status}: not fit for {purpose}")]
    NotFitForUse { stock: String, status: String, purpose: String } = 2200,
    /// A return of stock that the expenditure it names did not expend.
    #[error("`{stock}` was not expended by `{expenditure}`")]
    NotExpended { stock: String, expenditure: EventId } = 2201,
    /// More unfired rounds returned than the expenditure expended.
    #[error("returns {returned} of `{lot}`, of which {expended} were expended")]
    ReturnExceedsExpended { lot: String, returned: u64, expended: u64 } = 2202,
    /// More fired cases or belt links turned in than rounds were fired.
    #[error("turns in {count} {residue} of `{lot}`, of which {fired} rounds were fired")]
    ResidueExceedsFired { lot: String, residue: String, count: u64, fired: u64 } = 2203,
    /// Weapons are issued to persons only.
    #[error("`{actor}` is not a registered person")]
    NotAPerson { actor: String } = 2204,
    /// (Version 2) a witness's declared agency is not the agency it belongs to: its
    /// `member_of` chain does not reach it.
    #[error("witness `{witness}` declares agency `{agency}` but belongs to `{actual}`")]
    WitnessAgencyMismatch { witness: String, agency: String, actual: String } = 2300,
    /// An inspection whose lots failed a test gives them a code that issues them as they are
    /// (A, B or C).
    #[error("the `{test}` test failed, yet condition code {code} issues the lots as they are")]
    InspectionContradicts { test: String, code: String } = 2400,
    /// A full stock count that leaves out stock the holding holds.
    #[error("a full count lists everything held: `{stock}` is not listed")]
    NotCounted { stock: String } = 2401,

    // ---- 3xxx custody ----------------------------------------------------------------------
    /// Not enough units in the account.
    #[error("moves {requested} of `{stock}` from `{account}`, which holds {available}")]
    InsufficientStock { stock: String, account: String, available: i64, requested: u64 } = 3001,
    /// The recording actor does not act for the custodian concerned.
    #[error("`{actor}` does not act for custodian `{custodian}`")]
    NotCustodian { actor: String, custodian: String } = 3002,
    /// Destroyed stock cannot be touched again.
    #[error("`{stock}` was destroyed")]
    AfterDestruction { stock: String } = 3003,
    /// A status change by an actor who holds none of the lot and is neither inspector nor
    /// authoriser.
    #[error("`{actor}` holds none of `{lot}` and is neither inspector nor authoriser")]
    NotHolder { actor: String, lot: String } = 3004,
    /// An event that cannot be corrected.
    #[error("cannot reverse `{target}`: {reason}")]
    NotCorrectable { target: EventId, reason: NotCorrectableReason } = 3005,
    /// Stock under an evidence hold moved other than to or from a forensic laboratory,
    /// destroyed, exported, rebatched, seized again or deactivated while held.
    #[error("`{stock}` is under an evidence hold (case `{case}`): while held it moves only to and from a forensic laboratory and is not destroyed or disposed of")]
    UnderEvidenceHold { stock: String, case: String } = 3100,
    /// A judicial order names stock that is not under the evidence hold of its seizure.
    #[error("`{stock}` is not under the evidence hold of seizure `{seizure}`")]
    NotUnderHold { stock: String, seizure: EventId } = 3101,
    /// A deactivation of stock already deactivated.
    #[error("`{stock}` is deactivated already")]
    AlreadyDeactivated { stock: String } = 3102,
    /// A weapon issued again while its issue to a person is still open.
    #[error("`{item}` is issued to `{person}` (issue `{issue}`) and not returned")]
    AlreadyIssued { item: String, person: String, issue: EventId } = 3200,
    /// A return of a weapon that the issue it names does not hold out (never issued by it,
    /// or already returned).
    #[error("`{item}` is not out on issue `{issue}`")]
    NotOnIssue { item: String, issue: EventId } = 3201,
    /// (Version 2) stock destroyed that was not declared surplus, selected for destruction,
    /// forfeited by a court order, or deactivated.
    #[error("`{stock}` is `{disposition}`: only stock declared surplus, pending destruction, forfeited or deactivated is destroyed")]
    NotReleasedForDestruction { stock: String, disposition: String } = 3300,
    /// A board of inquiry deciding on more units than its discrepancy account holds open
    /// (missing units for a write-off or a find, found units for a regularisation).
    #[error("`{stock}`: {requested} {decision} by the board, but discrepancy `{discrepancy}` holds {open} open")]
    BeyondDiscrepancy { stock: String, discrepancy: EventId, decision: String, requested: u64, open: i64 } = 3400,

    // ---- 4xxx authorisation ----------------------------------------------------------------
    /// The actor lacks a role.
    #[error("`{actor}` lacks the `{role}` role needed for `{needed_for}`")]
    MissingRole { actor: String, role: String, needed_for: String } = 4001,
    /// A destruction beyond what its authorisation covers.
    #[error("`{what}` is not covered by authorisation `{authorisation}`")]
    NotAuthorised { what: String, authorisation: EventId } = 4002,
    /// A deactivation verified by the actor who recorded it: the verifying authority is
    /// another (UN Firearms Protocol art. 9).
    #[error("`{verifier}` recorded this deactivation and cannot also verify it")]
    VerifierNotIndependent { verifier: String } = 4100,
    /// At a site under the two-person rule, the issuer and the person receiving (or
    /// returning) the weapon both sign, and are two different actors.
    #[error("site `{site}` is under the two-person rule: `{person}` must sign as well as the issuer, who must be someone else")]
    TwoPersonRule { site: String, person: String } = 4200,
    /// (Version 2) a witness to a destruction who is also its recording actor, or who signed
    /// it holding the destroyer role: a witness is independent of the destruction team.
    #[error("`{witness}` is {role} of this destruction and cannot also witness it")]
    WitnessNotIndependent { witness: String, role: String } = 4300,
    /// (Version 2) a destruction recorded or signed by the actor who recorded its
    /// authorisation: who authorises does not destroy (separation of duties).
    #[error("`{actor}` recorded authorisation `{authorisation}` and cannot also carry out the destruction")]
    AuthoriserIsDestroyer { actor: String, authorisation: EventId } = 4301,
    /// (Version 2) a destruction dated after its authorisation expired.
    #[error("authorisation `{authorisation}` expired at `{expires_at}`, before `{at}`")]
    AuthorisationExpired { authorisation: EventId, expires_at: String, at: String } = 4302,

    // ---- 5xxx signatures and keys ----------------------------------------------------------
    /// No signatures.
    #[error("the event carries no signature")]
    Unsigned = 5001,
    /// A signature does not verify.
    #[error("the signature by key `{key}` does not verify")]
    BadSignature { key: String } = 5002,
    /// The same key signed twice.
    #[error("two signatures by key `{key}`")]
    DuplicateSignature { key: String } = 5003,
    /// The key belongs to no registered actor.
    #[error("signed by key `{key}`, which belongs to no registered actor")]
    UnknownKey { key: String } = 5004,
    /// The key was revoked before this event.
    #[error("signed by key `{key}` of `{actor}`, revoked before this event")]
    RevokedKey { key: String, actor: String } = 5005,
    /// The recording actor did not sign.
    #[error("recorded by `{actor}` but carries no valid signature of theirs")]
    ActorDidNotSign { actor: String } = 5006,
    /// The bytes are not an acceptable Ed25519 public key.
    #[error("`{key}` is not an acceptable Ed25519 public key")]
    InvalidPublicKey { key: String } = 5007,
    /// No signing key is held for an actor who must sign.
    #[error("no signing key is held for `{actor}`")]
    NoSigningKey { actor: String } = 5008,
    /// A key file that cannot be used.
    #[error("`{path}` is not a usable key file: {reason}")]
    KeyFileInvalid { path: String, reason: String } = 5009,
    /// (Version 2) a key registered for an actor is of mixed order: a curve point with a
    /// torsion component, which no key derived from a secret seed has.
    #[error("`{key}` is of mixed order (not in the prime-order subgroup); no honest Ed25519 key is")]
    MixedOrderKey { key: String } = 5010,

    // ---- 6xxx rules ------------------------------------------------------------------------
    /// A rule plugin in force refused the event.
    #[error("refused by rule `{rule}`: {code}: {message}")]
    RuleDenied { rule: String, code: String, message: String } = 6001,
    /// A rule plugin failed while judging the event.
    #[error("rule `{rule}` {failure}: {detail}")]
    RuleFailed { rule: String, failure: RuleFailure, detail: String } = 6002,
    /// Rules are in force but no rule engine was given.
    #[error("rules `{rules}` are in force but no rule engine was given (load their plugins, e.g. `--plugins DIR`)")]
    RulesNotLoaded { rules: String } = 6003,
    /// A plugin could not be loaded.
    #[error("cannot load plugin `{path}`: {reason}")]
    PluginLoad { path: String, reason: String } = 6004,
    /// A rule plugin asked the ledger a question (plugin ABI version 2) with a malformed
    /// argument; the event is not judged and not appended.
    #[error("rule `{rule}` asked the ledger a malformed question: {detail}")]
    RuleQueryInvalid { rule: String, detail: String } = 6100,
    /// A plugin's `validate_config` refused the configuration its manifest gives it.
    #[error("plugin `{plugin}` (`{path}`) refuses its configuration at `{field}`: {code}: {message}")]
    PluginConfigRefused { path: String, plugin: String, field: String, code: String, message: String } = 6200,

    // ---- 7xxx integrity --------------------------------------------------------------------
    /// The `id` column of a stored row differs from the id of its bytes.
    #[error("the `id` column holds `{stored}` but the stored bytes are event `{computed}`")]
    IdColumn { stored: String, computed: EventId } = 7001,
    /// A row is missing from the events table.
    #[error("event {expected} is missing from the `events` table (found {found} next)")]
    EventMissing { expected: u64, found: u64 } = 7002,
    /// A stored Merkle node is missing or differs from the recomputed one.
    #[error("merkle node ({level}, {node}) in table `nodes` is {}", if stored.is_some() { "wrong" } else { "missing" })]
    NodeMismatch { level: u32, node: u64, stored: Option<String>, expected: String } = 7003,
    /// The `nodes` table holds nodes the log does not have.
    #[error("table `nodes` holds {stored} nodes; a log of {events} events has {expected}")]
    ExtraNodes { events: u64, stored: u64, expected: u64 } = 7004,
    /// A stored tree head's root differs from the recomputed root.
    #[error("tree head of size {size}: stored root `{stored}` but the events give `{computed}`")]
    RootMismatch { size: u64, stored: String, computed: String } = 7005,
    /// A stored tree head is not validly signed by the ledger key.
    #[error("tree head of size {size} is not validly signed by the ledger key `{key}`")]
    HeadSignature { size: u64, key: String } = 7006,
    /// A stored tree head covers more events than are stored.
    #[error("tree head of size {size} covers more events than the {events} stored")]
    HeadBeyondLog { size: u64, events: u64 } = 7007,
    /// A derived table differs from the state re-derived from the events.
    #[error("table `{table}` row {row}: stored {}, expected {}", stored.as_deref().unwrap_or("nothing"), expected.as_deref().unwrap_or("nothing"))]
    Drift { table: String, row: String, stored: Option<String>, expected: Option<String> } = 7008,
    /// The ledger file is damaged (meta, tree heads, nodes unreadable).
    #[error("the ledger file is damaged: {what}")]
    Damaged { what: String } = 7009,
    /// A proof does not verify against the root it claims.
    #[error("the {proof} proof does not verify")]
    ProofInvalid { proof: String } = 7010,
    /// A state invariant is broken: a bug in custodia, never a user error.
    #[error("state invariant `{invariant}` broken: {detail}")]
    InvariantBroken { invariant: String, detail: String } = 7011,
    /// A checkpoint carries no valid signature by the log key (or a known key's signature
    /// fails).
    #[error("checkpoint of `{origin}` is not validly signed by `{key}`: {reason}")]
    CheckpointSignature { origin: String, key: String, reason: String } = 7012,
    /// A checkpoint for a smaller tree than the one cosigned or trusted before (rollback), or
    /// a request whose old size is not the witness's latest.
    #[error("checkpoint of size {size} does not follow the latest one of size {latest}")]
    Rollback { size: u64, latest: u64 } = 7013,
    /// Two different roots for the same tree size (a fork).
    #[error("tree size {size} has root `{root}` here but `{other}` in the checkpoint")]
    Fork { size: u64, root: String, other: String } = 7014,
    /// The ledger does not extend a trusted checkpoint (shorter, or another history).
    #[error("the ledger does not extend the trusted checkpoint of size {size}: {reason}")]
    NotExtended { size: u64, reason: String } = 7015,
    /// A checkpoint carries fewer valid cosignatures than required.
    #[error("the checkpoint carries {found} valid cosignatures of the {required} required")]
    TooFewCosignatures { found: u64, required: u64 } = 7016,

    // ---- 8xxx storage ----------------------------------------------------------------------
    /// The file does not exist.
    #[error("ledger file `{path}` does not exist")]
    FileNotFound { path: String } = 8001,
    /// `create` on a path that exists.
    #[error("`{path}` already exists; refusing to overwrite it")]
    FileExists { path: String } = 8002,
    /// The file is not a custodia ledger.
    #[error("`{path}` is not a custodia ledger: {reason}")]
    NotALedger { path: String, reason: String } = 8003,
    /// The ledger was written in a format this build does not read.
    #[error("`{path}` is a custodia ledger of format version {found}; this build reads format version {supported}")]
    FormatVersion { path: String, found: i64, supported: i64 } = 8004,
    /// Another writer holds the ledger.
    #[error("ledger `{path}` is busy: another process is writing to it; try again")]
    Busy { path: String } = 8005,
    /// SQLite failed.
    #[error("sqlite failed while {operation}: {reason}")]
    Sqlite { operation: String, reason: String } = 8006,
    /// Reading or writing a file failed.
    #[error("cannot {operation} `{path}`: {reason}")]
    Io { operation: String, path: String, reason: String } = 8007,
    /// A write to a ledger opened without the means to write (read-only, no log key).
    #[error("the ledger is open read-only: {reason}")]
    ReadOnly { reason: String } = 8008,
    /// A derived balance does not fit 64 bits.
    #[error("balance {value} of `{stock}` in `{account}` does not fit in 64 bits")]
    BalanceOverflow { stock: String, account: String, value: String } = 8009,

    // ---- 9xxx usage and internal -----------------------------------------------------------
    /// An argument is not acceptable.
    #[error("`{argument}` = `{value}`: {reason}")]
    InvalidArgument { argument: String, value: String, reason: String } = 9001,
    /// The leaf index is not below the tree size.
    #[error("leaf {index} is not in a tree of size {size}")]
    LeafOutOfRange { index: u64, size: u64 } = 9002,
    /// The tree size asked for is larger than the log.
    #[error("tree size {size} is larger than the log, which holds {len} events")]
    SizeOutOfRange { size: u64, len: u64 } = 9003,
    /// A consistency proof needs `0 < first <= second`.
    #[error("no consistency proof from size {first} to size {second}: need 0 < first <= second")]
    BadRange { first: u64, second: u64 } = 9004,
    /// An event id that is not in the ledger.
    #[error("event `{event}` is not in the ledger")]
    EventNotFound { event: EventId } = 9005,
    /// A required pointer argument was NULL (C API).
    #[error("argument `{argument}` is NULL")]
    NullArgument { argument: String } = 9006,
    /// A string argument is not UTF-8 (C API).
    #[error("argument `{argument}` is not valid UTF-8")]
    InvalidUtf8 { argument: String } = 9007,
    /// A caller's buffer is too small; `needed` bytes are needed (C API).
    #[error("the buffer holds {given} bytes; {needed} are needed")]
    BufferTooSmall { given: u64, needed: u64 } = 9008,
    /// A panic inside custodia, caught at the boundary (a bug; please report it).
    #[error("internal error (a bug in custodia): {detail}")]
    Panic { detail: String } = 9009,
    /// An internal failure that should not happen (encoding a value that cannot be JSON).
    #[error("internal error (a bug in custodia): {detail}")]
    Internal { detail: String } = 9010,
    /// A checkpoint for a log this witness does not know.
    #[error("no log with origin `{origin}` is known here")]
    UnknownOrigin { origin: String } = 9011,
    /// A witness request whose old size is larger than its checkpoint's size.
    #[error("old size {old} is larger than the checkpoint's size {size}")]
    OldSizeBeyondCheckpoint { old: u64, size: u64 } = 9012,
    /// No tree head of that size is stored (only heads signed after each batch are).
    #[error("no tree head of size {size} is stored")]
    NoTreeHead { size: u64 } = 9013,
}

impl ErrorCode {
    /// The number.
    pub const fn get(self) -> u32 {
        self as u32
    }
    /// The family (the thousands digit).
    pub const fn family(self) -> ErrorFamily {
        match self as u32 / 1000 {
            1 => ErrorFamily::Input,
            2 => ErrorFamily::Validation,
            3 => ErrorFamily::Custody,
            4 => ErrorFamily::Authorisation,
            5 => ErrorFamily::Signature,
            6 => ErrorFamily::Rule,
            7 => ErrorFamily::Integrity,
            8 => ErrorFamily::Storage,
            _ => ErrorFamily::Usage,
        }
    }
    /// The name in SCREAMING_SNAKE_CASE, as the C header spells it after
    /// `CUSTODIA_RESULT_` (`INSUFFICIENT_STOCK`).
    pub fn screaming_name(self) -> String {
        let mut out = String::new();
        for (i, c) in self.name().chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u32(self.get())
    }
}

/// An error from the front door: what went wrong ([`Error::kind`], with its values and
/// [`Error::code`]) and where ([`Error::index`], [`Error::event`], [`Error::field`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    // Boxed: the error path is cold, and a small `Result` keeps the hot path fast.
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Inner {
    kind: ErrorKind,
    index: Option<u64>,
    event: Option<EventId>,
    field: Option<String>,
}

impl Error {
    /// An error of a kind, with no location yet.
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                index: None,
                event: None,
                field: None,
            }),
        }
    }
    /// What went wrong, with the values involved.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.inner.kind.code()
    }
    /// The code's family.
    pub fn family(&self) -> ErrorFamily {
        self.code().family()
    }
    /// The 0-based position of the event concerned: in the batch being appended (or signed),
    /// or in the ledger being verified.
    pub fn index(&self) -> Option<u64> {
        self.inner.index
    }
    /// The id of the event concerned, when it could be computed.
    pub fn event(&self) -> Option<EventId> {
        self.inner.event
    }
    /// The JSON Pointer (RFC 6901) of the offending member inside the event (`/lots/0/quantity`);
    /// `""` for the whole event.
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }
    /// The message without location, control characters escaped.
    pub fn message(&self) -> String {
        escape_text(&self.inner.kind.to_string())
    }
    /// Sets the event index (kept when already set: the innermost index wins).
    pub fn at_index(mut self, index: u64) -> Self {
        if self.inner.index.is_none() {
            self.inner.index = Some(index);
        }
        self
    }
    /// Overrides the event index (for example to turn a position in a batch into a position in
    /// the ledger).
    pub fn with_index(mut self, index: Option<u64>) -> Self {
        self.inner.index = index;
        self
    }
    /// Sets the event id (kept when already set).
    pub fn for_event(mut self, event: EventId) -> Self {
        if self.inner.event.is_none() {
            self.inner.event = Some(event);
        }
        self
    }
    /// Sets the field (kept when already set).
    pub fn at_field(mut self, field: impl Into<String>) -> Self {
        if self.inner.field.is_none() {
            self.inner.field = Some(field.into());
        }
        self
    }
    /// The values of the kind as a JSON object (`{"stock": ..., "requested": ...}`), without
    /// the `name` tag.
    pub fn values(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(&self.inner.kind) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.remove("name");
                map
            }
            // INVARIANT (error-values): every kind serialises to an object (serde's internally
            // tagged form of struct and unit variants); a test serialises every code.
            _ => serde_json::Map::new(),
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code().get())
            .field("kind", &self.inner.kind)
            .field("index", &self.inner.index)
            .field("event", &self.inner.event)
            .field("field", &self.inner.field)
            .finish()
    }
}

impl fmt::Display for Error {
    /// `event 3 `9f2c…`: field `/lots/0/quantity`: moves 120 of `lot:a` from ... (3001)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.inner.index, &self.inner.event) {
            (Some(i), Some(e)) => write!(f, "event {i} `{e}`: ")?,
            (Some(i), None) => write!(f, "event {i}: ")?,
            (None, Some(e)) => write!(f, "event `{e}`: ")?,
            (None, None) => {}
        }
        if let Some(field) = self.inner.field.as_deref().filter(|f| !f.is_empty()) {
            write!(f, "field `{}`: ", escape_text(field))?;
        }
        write!(f, "{} [{}]", self.message(), self.code().get())
    }
}

impl std::error::Error for Error {}

impl Serialize for Error {
    /// `{"code", "name", "family", "message", "index", "event", "field", "values"}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Error", 8)?;
        st.serialize_field("code", &self.code().get())?;
        st.serialize_field("name", self.code().name())?;
        st.serialize_field("family", self.family().name())?;
        st.serialize_field("message", &self.message())?;
        st.serialize_field("index", &self.inner.index)?;
        st.serialize_field("event", &self.inner.event)?;
        st.serialize_field("field", &self.inner.field)?;
        st.serialize_field("values", &self.values())?;
        st.end()
    }
}

/// Escapes what could fake terminal output in a message: C0 and C1 control characters (ESC,
/// CR, LF, ...), DEL, and the Unicode bidirectional controls, as `\u{..}`. Messages quote user
/// values, so one event must never be able to print what looks like further lines.
pub fn escape_text(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Shorthand for building an [`Error`] at a field of an event.
pub(crate) fn at(event: EventId, field: impl Into<String>, kind: ErrorKind) -> Error {
    Error::new(kind).for_event(event).at_field(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_in_their_family_ranges() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.get()), "{} twice", code.get());
            assert!((1001..10_000).contains(&code.get()));
            assert_eq!(ErrorCode::from_u32(code.get()), Some(*code));
        }
        assert!(
            ErrorCode::ALL.windows(2).all(|w| w[0].get() < w[1].get()),
            "the table lists codes in increasing order"
        );
        assert_eq!(
            ErrorCode::InsufficientStock.screaming_name(),
            "INSUFFICIENT_STOCK"
        );
        assert_eq!(ErrorCode::InsufficientStock.family(), ErrorFamily::Custody);
    }

    #[test]
    fn display_escapes_control_characters_and_names_the_place() {
        let e = at(
            EventId::from_bytes([0xab; 32]),
            "/items/0",
            ErrorKind::UnknownReference {
                value: "item:x\u{1b}[2J\nfake line\u{202e}".into(),
            },
        )
        .at_index(3);
        let text = e.to_string();
        assert!(!text.chars().any(needs_escape), "{text}");
        assert!(text.starts_with("event 3 `abab"), "{text}");
        assert!(text.contains("field `/items/0`"), "{text}");
        assert!(text.ends_with("[2005]"), "{text}");
        assert_eq!(
            e.values().get("value").and_then(|v| v.as_str()),
            Some("item:x\u{1b}[2J\nfake line\u{202e}")
        );
    }
}
