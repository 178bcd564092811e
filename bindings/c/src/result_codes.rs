// @generated from `custodia::ErrorCode::ALL` by `cargo test -p custodia-c --lib result_codes`;
// `CUSTODIA_BLESS=1` rewrites it. Do not edit by hand.

/// What a call did: `CUSTODIA_RESULT_OK` (0), or the code of the error that stopped it,
/// the number and name of a `custodia::ErrorCode` (see `docs/ERRORS.md` for each code's
/// meaning and values). The thousands digit is the family: 1 input, 2 validation,
/// 3 custody, 4 authorisation, 5 signature, 6 rule, 7 integrity, 8 storage, 9 usage.
/// Numbers are never renumbered or reused; new codes may be added, so treat an unknown
/// number by its family. Compare numbers, never message text.
#[repr(u32)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum custodia_result {
    /// The call succeeded.
    Ok = 0,
    /// `EventTooLarge`: 1001, input family.
    EventTooLarge = 1001,
    /// `JsonMalformed`: 1002, input family.
    JsonMalformed = 1002,
    /// `DuplicateMember`: 1003, input family.
    DuplicateMember = 1003,
    /// `SchemaViolation`: 1004, input family.
    SchemaViolation = 1004,
    /// `FieldInvalid`: 1005, input family.
    FieldInvalid = 1005,
    /// `NotCanonical`: 1006, input family.
    NotCanonical = 1006,
    /// `IdMissing`: 1007, input family.
    IdMissing = 1007,
    /// `IdMismatch`: 1008, input family.
    IdMismatch = 1008,
    /// `NotCanonicalBytes`: 1009, input family.
    NotCanonicalBytes = 1009,
    /// `BatchTooLarge`: 1010, input family.
    BatchTooLarge = 1010,
    /// `BatchEmpty`: 1011, input family.
    BatchEmpty = 1011,
    /// `AlreadySigned`: 1012, input family.
    AlreadySigned = 1012,
    /// `NoteMalformed`: 1013, input family.
    NoteMalformed = 1013,
    /// `Genesis`: 2001, validation family.
    Genesis = 2001,
    /// `DuplicateEvent`: 2002, validation family.
    DuplicateEvent = 2002,
    /// `MissingParent`: 2003, validation family.
    MissingParent = 2003,
    /// `UnexpectedParent`: 2004, validation family.
    UnexpectedParent = 2004,
    /// `UnknownReference`: 2005, validation family.
    UnknownReference = 2005,
    /// `AlreadyExists`: 2006, validation family.
    AlreadyExists = 2006,
    /// `Repeated`: 2007, validation family.
    Repeated = 2007,
    /// `ZeroQuantity`: 2008, validation family.
    ZeroQuantity = 2008,
    /// `NothingToMove`: 2009, validation family.
    NothingToMove = 2009,
    /// `DatedBeforeLast`: 2010, validation family.
    DatedBeforeLast = 2010,
    /// `SamePlace`: 2011, validation family.
    SamePlace = 2011,
    /// `NotDispatched`: 2012, validation family.
    NotDispatched = 2012,
    /// `LotsDiffer`: 2013, validation family.
    LotsDiffer = 2013,
    /// `NotBookedHere`: 2014, validation family.
    NotBookedHere = 2014,
    /// `BookedMismatch`: 2015, validation family.
    BookedMismatch = 2015,
    /// `NothingCounted`: 2016, validation family.
    NothingCounted = 2016,
    /// `MemberOfPerson`: 2017, validation family.
    MemberOfPerson = 2017,
    /// `NoKeys`: 2018, validation family.
    NoKeys = 2018,
    /// `KeyNotActive`: 2019, validation family.
    KeyNotActive = 2019,
    /// `QuantityOverflow`: 2020, validation family.
    QuantityOverflow = 2020,
    /// `BeyondLiveUnits`: 2021, validation family.
    BeyondLiveUnits = 2021,
    /// `NotAnAgency`: 2022, validation family.
    NotAnAgency = 2022,
    /// `NothingToMerge`: 2023, validation family.
    NothingToMerge = 2023,
    /// `DatedInTheFuture`: 2024, validation family.
    DatedInTheFuture = 2024,
    /// `OverReceipt`: 2025, validation family.
    OverReceipt = 2025,
    /// `LookAlikeId`: 2026, validation family.
    LookAlikeId = 2026,
    /// `DispositionReserved`: 2027, validation family.
    DispositionReserved = 2027,
    /// `VersionDecreased`: 2028, validation family.
    VersionDecreased = 2028,
    /// `UnlikeLots`: 2029, validation family.
    UnlikeLots = 2029,
    /// `ApproverDidNotSign`: 2030, validation family.
    ApproverDidNotSign = 2030,
    /// `UnknownCountry`: 2100, validation family.
    UnknownCountry = 2100,
    /// `LicenceExpired`: 2101, validation family.
    LicenceExpired = 2101,
    /// `LicenceNotYetValid`: 2102, validation family.
    LicenceNotYetValid = 2102,
    /// `StateMismatch`: 2103, validation family.
    StateMismatch = 2103,
    /// `SameState`: 2104, validation family.
    SameState = 2104,
    /// `EmptyMark`: 2105, validation family.
    EmptyMark = 2105,
    /// `RecordMissing`: 2107, validation family.
    RecordMissing = 2107,
    /// `TraceAnswered`: 2108, validation family.
    TraceAnswered = 2108,
    /// `TraceMarkingEmpty`: 2109, validation family.
    TraceMarkingEmpty = 2109,
    /// `NotFitForUse`: 2200, validation family.
    NotFitForUse = 2200,
    /// `NotExpended`: 2201, validation family.
    NotExpended = 2201,
    /// `ReturnExceedsExpended`: 2202, validation family.
    ReturnExceedsExpended = 2202,
    /// `ResidueExceedsFired`: 2203, validation family.
    ResidueExceedsFired = 2203,
    /// `NotAPerson`: 2204, validation family.
    NotAPerson = 2204,
    /// `WitnessAgencyMismatch`: 2300, validation family.
    WitnessAgencyMismatch = 2300,
    /// `InspectionContradicts`: 2400, validation family.
    InspectionContradicts = 2400,
    /// `NotCounted`: 2401, validation family.
    NotCounted = 2401,
    /// `InsufficientStock`: 3001, custody family.
    InsufficientStock = 3001,
    /// `NotCustodian`: 3002, custody family.
    NotCustodian = 3002,
    /// `AfterDestruction`: 3003, custody family.
    AfterDestruction = 3003,
    /// `NotHolder`: 3004, custody family.
    NotHolder = 3004,
    /// `NotCorrectable`: 3005, custody family.
    NotCorrectable = 3005,
    /// `UnderEvidenceHold`: 3100, custody family.
    UnderEvidenceHold = 3100,
    /// `NotUnderHold`: 3101, custody family.
    NotUnderHold = 3101,
    /// `AlreadyDeactivated`: 3102, custody family.
    AlreadyDeactivated = 3102,
    /// `AlreadyIssued`: 3200, custody family.
    AlreadyIssued = 3200,
    /// `NotOnIssue`: 3201, custody family.
    NotOnIssue = 3201,
    /// `NotReleasedForDestruction`: 3300, custody family.
    NotReleasedForDestruction = 3300,
    /// `BeyondDiscrepancy`: 3400, custody family.
    BeyondDiscrepancy = 3400,
    /// `MissingRole`: 4001, authorisation family.
    MissingRole = 4001,
    /// `NotAuthorised`: 4002, authorisation family.
    NotAuthorised = 4002,
    /// `VerifierNotIndependent`: 4100, authorisation family.
    VerifierNotIndependent = 4100,
    /// `TwoPersonRule`: 4200, authorisation family.
    TwoPersonRule = 4200,
    /// `WitnessNotIndependent`: 4300, authorisation family.
    WitnessNotIndependent = 4300,
    /// `AuthoriserIsDestroyer`: 4301, authorisation family.
    AuthoriserIsDestroyer = 4301,
    /// `AuthorisationExpired`: 4302, authorisation family.
    AuthorisationExpired = 4302,
    /// `Unsigned`: 5001, signature family.
    Unsigned = 5001,
    /// `BadSignature`: 5002, signature family.
    BadSignature = 5002,
    /// `DuplicateSignature`: 5003, signature family.
    DuplicateSignature = 5003,
    /// `UnknownKey`: 5004, signature family.
    UnknownKey = 5004,
    /// `RevokedKey`: 5005, signature family.
    RevokedKey = 5005,
    /// `ActorDidNotSign`: 5006, signature family.
    ActorDidNotSign = 5006,
    /// `InvalidPublicKey`: 5007, signature family.
    InvalidPublicKey = 5007,
    /// `NoSigningKey`: 5008, signature family.
    NoSigningKey = 5008,
    /// `KeyFileInvalid`: 5009, signature family.
    KeyFileInvalid = 5009,
    /// `RuleDenied`: 6001, rule family.
    RuleDenied = 6001,
    /// `RuleFailed`: 6002, rule family.
    RuleFailed = 6002,
    /// `RulesNotLoaded`: 6003, rule family.
    RulesNotLoaded = 6003,
    /// `PluginLoad`: 6004, rule family.
    PluginLoad = 6004,
    /// `RuleQueryInvalid`: 6100, rule family.
    RuleQueryInvalid = 6100,
    /// `PluginConfigRefused`: 6200, rule family.
    PluginConfigRefused = 6200,
    /// `IdColumn`: 7001, integrity family.
    IdColumn = 7001,
    /// `EventMissing`: 7002, integrity family.
    EventMissing = 7002,
    /// `NodeMismatch`: 7003, integrity family.
    NodeMismatch = 7003,
    /// `ExtraNodes`: 7004, integrity family.
    ExtraNodes = 7004,
    /// `RootMismatch`: 7005, integrity family.
    RootMismatch = 7005,
    /// `HeadSignature`: 7006, integrity family.
    HeadSignature = 7006,
    /// `HeadBeyondLog`: 7007, integrity family.
    HeadBeyondLog = 7007,
    /// `Drift`: 7008, integrity family.
    Drift = 7008,
    /// `Damaged`: 7009, integrity family.
    Damaged = 7009,
    /// `ProofInvalid`: 7010, integrity family.
    ProofInvalid = 7010,
    /// `InvariantBroken`: 7011, integrity family.
    InvariantBroken = 7011,
    /// `CheckpointSignature`: 7012, integrity family.
    CheckpointSignature = 7012,
    /// `Rollback`: 7013, integrity family.
    Rollback = 7013,
    /// `Fork`: 7014, integrity family.
    Fork = 7014,
    /// `NotExtended`: 7015, integrity family.
    NotExtended = 7015,
    /// `TooFewCosignatures`: 7016, integrity family.
    TooFewCosignatures = 7016,
    /// `FileNotFound`: 8001, storage family.
    FileNotFound = 8001,
    /// `FileExists`: 8002, storage family.
    FileExists = 8002,
    /// `NotALedger`: 8003, storage family.
    NotALedger = 8003,
    /// `FormatVersion`: 8004, storage family.
    FormatVersion = 8004,
    /// `Busy`: 8005, storage family.
    Busy = 8005,
    /// `Sqlite`: 8006, storage family.
    Sqlite = 8006,
    /// `Io`: 8007, storage family.
    Io = 8007,
    /// `ReadOnly`: 8008, storage family.
    ReadOnly = 8008,
    /// `BalanceOverflow`: 8009, storage family.
    BalanceOverflow = 8009,
    /// `InvalidArgument`: 9001, usage family.
    InvalidArgument = 9001,
    /// `LeafOutOfRange`: 9002, usage family.
    LeafOutOfRange = 9002,
    /// `SizeOutOfRange`: 9003, usage family.
    SizeOutOfRange = 9003,
    /// `BadRange`: 9004, usage family.
    BadRange = 9004,
    /// `EventNotFound`: 9005, usage family.
    EventNotFound = 9005,
    /// `NullArgument`: 9006, usage family.
    NullArgument = 9006,
    /// `InvalidUtf8`: 9007, usage family.
    InvalidUtf8 = 9007,
    /// `BufferTooSmall`: 9008, usage family.
    BufferTooSmall = 9008,
    /// `Panic`: 9009, usage family.
    Panic = 9009,
    /// `Internal`: 9010, usage family.
    Internal = 9010,
    /// `UnknownOrigin`: 9011, usage family.
    UnknownOrigin = 9011,
    /// `OldSizeBeyondCheckpoint`: 9012, usage family.
    OldSizeBeyondCheckpoint = 9012,
    /// `NoTreeHead`: 9013, usage family.
    NoTreeHead = 9013,
}

impl custodia_result {
    /// Every value, in number order.
    #[cfg(test)]
    pub(crate) const ALL: [custodia_result; 133] = [
        custodia_result::Ok,
        custodia_result::EventTooLarge,
        custodia_result::JsonMalformed,
        custodia_result::DuplicateMember,
        custodia_result::SchemaViolation,
        custodia_result::FieldInvalid,
        custodia_result::NotCanonical,
        custodia_result::IdMissing,
        custodia_result::IdMismatch,
        custodia_result::NotCanonicalBytes,
        custodia_result::BatchTooLarge,
        custodia_result::BatchEmpty,
        custodia_result::AlreadySigned,
        custodia_result::NoteMalformed,
        custodia_result::Genesis,
        custodia_result::DuplicateEvent,
        custodia_result::MissingParent,
        custodia_result::UnexpectedParent,
        custodia_result::UnknownReference,
        custodia_result::AlreadyExists,
        custodia_result::Repeated,
        custodia_result::ZeroQuantity,
        custodia_result::NothingToMove,
        custodia_result::DatedBeforeLast,
        custodia_result::SamePlace,
        custodia_result::NotDispatched,
        custodia_result::LotsDiffer,
        custodia_result::NotBookedHere,
        custodia_result::BookedMismatch,
        custodia_result::NothingCounted,
        custodia_result::MemberOfPerson,
        custodia_result::NoKeys,
        custodia_result::KeyNotActive,
        custodia_result::QuantityOverflow,
        custodia_result::BeyondLiveUnits,
        custodia_result::NotAnAgency,
        custodia_result::NothingToMerge,
        custodia_result::DatedInTheFuture,
        custodia_result::OverReceipt,
        custodia_result::LookAlikeId,
        custodia_result::DispositionReserved,
        custodia_result::VersionDecreased,
        custodia_result::UnlikeLots,
        custodia_result::ApproverDidNotSign,
        custodia_result::UnknownCountry,
        custodia_result::LicenceExpired,
        custodia_result::LicenceNotYetValid,
        custodia_result::StateMismatch,
        custodia_result::SameState,
        custodia_result::EmptyMark,
        custodia_result::RecordMissing,
        custodia_result::TraceAnswered,
        custodia_result::TraceMarkingEmpty,
        custodia_result::NotFitForUse,
        custodia_result::NotExpended,
        custodia_result::ReturnExceedsExpended,
        custodia_result::ResidueExceedsFired,
        custodia_result::NotAPerson,
        custodia_result::WitnessAgencyMismatch,
        custodia_result::InspectionContradicts,
        custodia_result::NotCounted,
        custodia_result::InsufficientStock,
        custodia_result::NotCustodian,
        custodia_result::AfterDestruction,
        custodia_result::NotHolder,
        custodia_result::NotCorrectable,
        custodia_result::UnderEvidenceHold,
        custodia_result::NotUnderHold,
        custodia_result::AlreadyDeactivated,
        custodia_result::AlreadyIssued,
        custodia_result::NotOnIssue,
        custodia_result::NotReleasedForDestruction,
        custodia_result::BeyondDiscrepancy,
        custodia_result::MissingRole,
        custodia_result::NotAuthorised,
        custodia_result::VerifierNotIndependent,
        custodia_result::TwoPersonRule,
        custodia_result::WitnessNotIndependent,
        custodia_result::AuthoriserIsDestroyer,
        custodia_result::AuthorisationExpired,
        custodia_result::Unsigned,
        custodia_result::BadSignature,
        custodia_result::DuplicateSignature,
        custodia_result::UnknownKey,
        custodia_result::RevokedKey,
        custodia_result::ActorDidNotSign,
        custodia_result::InvalidPublicKey,
        custodia_result::NoSigningKey,
        custodia_result::KeyFileInvalid,
        custodia_result::RuleDenied,
        custodia_result::RuleFailed,
        custodia_result::RulesNotLoaded,
        custodia_result::PluginLoad,
        custodia_result::RuleQueryInvalid,
        custodia_result::PluginConfigRefused,
        custodia_result::IdColumn,
        custodia_result::EventMissing,
        custodia_result::NodeMismatch,
        custodia_result::ExtraNodes,
        custodia_result::RootMismatch,
        custodia_result::HeadSignature,
        custodia_result::HeadBeyondLog,
        custodia_result::Drift,
        custodia_result::Damaged,
        custodia_result::ProofInvalid,
        custodia_result::InvariantBroken,
        custodia_result::CheckpointSignature,
        custodia_result::Rollback,
        custodia_result::Fork,
        custodia_result::NotExtended,
        custodia_result::TooFewCosignatures,
        custodia_result::FileNotFound,
        custodia_result::FileExists,
        custodia_result::NotALedger,
        custodia_result::FormatVersion,
        custodia_result::Busy,
        custodia_result::Sqlite,
        custodia_result::Io,
        custodia_result::ReadOnly,
        custodia_result::BalanceOverflow,
        custodia_result::InvalidArgument,
        custodia_result::LeafOutOfRange,
        custodia_result::SizeOutOfRange,
        custodia_result::BadRange,
        custodia_result::EventNotFound,
        custodia_result::NullArgument,
        custodia_result::InvalidUtf8,
        custodia_result::BufferTooSmall,
        custodia_result::Panic,
        custodia_result::Internal,
        custodia_result::UnknownOrigin,
        custodia_result::OldSizeBeyondCheckpoint,
        custodia_result::NoTreeHead,
    ];

    /// The value with this number, if any.
    pub(crate) const fn from_u32(value: u32) -> Option<custodia_result> {
        match value {
            0 => Some(custodia_result::Ok),
            1001 => Some(custodia_result::EventTooLarge),
            1002 => Some(custodia_result::JsonMalformed),
            1003 => Some(custodia_result::DuplicateMember),
            1004 => Some(custodia_result::SchemaViolation),
            1005 => Some(custodia_result::FieldInvalid),
            1006 => Some(custodia_result::NotCanonical),
            1007 => Some(custodia_result::IdMissing),
            1008 => Some(custodia_result::IdMismatch),
            1009 => Some(custodia_result::NotCanonicalBytes),
            1010 => Some(custodia_result::BatchTooLarge),
            1011 => Some(custodia_result::BatchEmpty),
            1012 => Some(custodia_result::AlreadySigned),
            1013 => Some(custodia_result::NoteMalformed),
            2001 => Some(custodia_result::Genesis),
            2002 => Some(custodia_result::DuplicateEvent),
            2003 => Some(custodia_result::MissingParent),
            2004 => Some(custodia_result::UnexpectedParent),
            2005 => Some(custodia_result::UnknownReference),
            2006 => Some(custodia_result::AlreadyExists),
            2007 => Some(custodia_result::Repeated),
            2008 => Some(custodia_result::ZeroQuantity),
            2009 => Some(custodia_result::NothingToMove),
            2010 => Some(custodia_result::DatedBeforeLast),
            2011 => Some(custodia_result::SamePlace),
            2012 => Some(custodia_result::NotDispatched),
            2013 => Some(custodia_result::LotsDiffer),
            2014 => Some(custodia_result::NotBookedHere),
            2015 => Some(custodia_result::BookedMismatch),
            2016 => Some(custodia_result::NothingCounted),
            2017 => Some(custodia_result::MemberOfPerson),
            2018 => Some(custodia_result::NoKeys),
            2019 => Some(custodia_result::KeyNotActive),
            2020 => Some(custodia_result::QuantityOverflow),
            2021 => Some(custodia_result::BeyondLiveUnits),
            2022 => Some(custodia_result::NotAnAgency),
            2023 => Some(custodia_result::NothingToMerge),
            2024 => Some(custodia_result::DatedInTheFuture),
            2025 => Some(custodia_result::OverReceipt),
            2026 => Some(custodia_result::LookAlikeId),
            2027 => Some(custodia_result::DispositionReserved),
            2028 => Some(custodia_result::VersionDecreased),
            2029 => Some(custodia_result::UnlikeLots),
            2030 => Some(custodia_result::ApproverDidNotSign),
            2100 => Some(custodia_result::UnknownCountry),
            2101 => Some(custodia_result::LicenceExpired),
            2102 => Some(custodia_result::LicenceNotYetValid),
            2103 => Some(custodia_result::StateMismatch),
            2104 => Some(custodia_result::SameState),
            2105 => Some(custodia_result::EmptyMark),
            2107 => Some(custodia_result::RecordMissing),
            2108 => Some(custodia_result::TraceAnswered),
            2109 => Some(custodia_result::TraceMarkingEmpty),
            2200 => Some(custodia_result::NotFitForUse),
            2201 => Some(custodia_result::NotExpended),
            2202 => Some(custodia_result::ReturnExceedsExpended),
            2203 => Some(custodia_result::ResidueExceedsFired),
            2204 => Some(custodia_result::NotAPerson),
            2300 => Some(custodia_result::WitnessAgencyMismatch),
            2400 => Some(custodia_result::InspectionContradicts),
            2401 => Some(custodia_result::NotCounted),
            3001 => Some(custodia_result::InsufficientStock),
            3002 => Some(custodia_result::NotCustodian),
            3003 => Some(custodia_result::AfterDestruction),
            3004 => Some(custodia_result::NotHolder),
            3005 => Some(custodia_result::NotCorrectable),
            3100 => Some(custodia_result::UnderEvidenceHold),
            3101 => Some(custodia_result::NotUnderHold),
            3102 => Some(custodia_result::AlreadyDeactivated),
            3200 => Some(custodia_result::AlreadyIssued),
            3201 => Some(custodia_result::NotOnIssue),
            3300 => Some(custodia_result::NotReleasedForDestruction),
            3400 => Some(custodia_result::BeyondDiscrepancy),
            4001 => Some(custodia_result::MissingRole),
            4002 => Some(custodia_result::NotAuthorised),
            4100 => Some(custodia_result::VerifierNotIndependent),
            4200 => Some(custodia_result::TwoPersonRule),
            4300 => Some(custodia_result::WitnessNotIndependent),
            4301 => Some(custodia_result::AuthoriserIsDestroyer),
            4302 => Some(custodia_result::AuthorisationExpired),
            5001 => Some(custodia_result::Unsigned),
            5002 => Some(custodia_result::BadSignature),
            5003 => Some(custodia_result::DuplicateSignature),
            5004 => Some(custodia_result::UnknownKey),
            5005 => Some(custodia_result::RevokedKey),
            5006 => Some(custodia_result::ActorDidNotSign),
            5007 => Some(custodia_result::InvalidPublicKey),
            5008 => Some(custodia_result::NoSigningKey),
            5009 => Some(custodia_result::KeyFileInvalid),
            6001 => Some(custodia_result::RuleDenied),
            6002 => Some(custodia_result::RuleFailed),
            6003 => Some(custodia_result::RulesNotLoaded),
            6004 => Some(custodia_result::PluginLoad),
            6100 => Some(custodia_result::RuleQueryInvalid),
            6200 => Some(custodia_result::PluginConfigRefused),
            7001 => Some(custodia_result::IdColumn),
            7002 => Some(custodia_result::EventMissing),
            7003 => Some(custodia_result::NodeMismatch),
            7004 => Some(custodia_result::ExtraNodes),
            7005 => Some(custodia_result::RootMismatch),
            7006 => Some(custodia_result::HeadSignature),
            7007 => Some(custodia_result::HeadBeyondLog),
            7008 => Some(custodia_result::Drift),
            7009 => Some(custodia_result::Damaged),
            7010 => Some(custodia_result::ProofInvalid),
            7011 => Some(custodia_result::InvariantBroken),
            7012 => Some(custodia_result::CheckpointSignature),
            7013 => Some(custodia_result::Rollback),
            7014 => Some(custodia_result::Fork),
            7015 => Some(custodia_result::NotExtended),
            7016 => Some(custodia_result::TooFewCosignatures),
            8001 => Some(custodia_result::FileNotFound),
            8002 => Some(custodia_result::FileExists),
            8003 => Some(custodia_result::NotALedger),
            8004 => Some(custodia_result::FormatVersion),
            8005 => Some(custodia_result::Busy),
            8006 => Some(custodia_result::Sqlite),
            8007 => Some(custodia_result::Io),
            8008 => Some(custodia_result::ReadOnly),
            8009 => Some(custodia_result::BalanceOverflow),
            9001 => Some(custodia_result::InvalidArgument),
            9002 => Some(custodia_result::LeafOutOfRange),
            9003 => Some(custodia_result::SizeOutOfRange),
            9004 => Some(custodia_result::BadRange),
            9005 => Some(custodia_result::EventNotFound),
            9006 => Some(custodia_result::NullArgument),
            9007 => Some(custodia_result::InvalidUtf8),
            9008 => Some(custodia_result::BufferTooSmall),
            9009 => Some(custodia_result::Panic),
            9010 => Some(custodia_result::Internal),
            9011 => Some(custodia_result::UnknownOrigin),
            9012 => Some(custodia_result::OldSizeBeyondCheckpoint),
            9013 => Some(custodia_result::NoTreeHead),
            _ => None,
        }
    }

    /// The name after `CUSTODIA_RESULT_`.
    pub(crate) const fn name(self) -> &'static std::ffi::CStr {
        match self {
            custodia_result::Ok => c"OK",
            custodia_result::EventTooLarge => c"EVENT_TOO_LARGE",
            custodia_result::JsonMalformed => c"JSON_MALFORMED",
            custodia_result::DuplicateMember => c"DUPLICATE_MEMBER",
            custodia_result::SchemaViolation => c"SCHEMA_VIOLATION",
            custodia_result::FieldInvalid => c"FIELD_INVALID",
            custodia_result::NotCanonical => c"NOT_CANONICAL",
            custodia_result::IdMissing => c"ID_MISSING",
            custodia_result::IdMismatch => c"ID_MISMATCH",
            custodia_result::NotCanonicalBytes => c"NOT_CANONICAL_BYTES",
            custodia_result::BatchTooLarge => c"BATCH_TOO_LARGE",
            custodia_result::BatchEmpty => c"BATCH_EMPTY",
            custodia_result::AlreadySigned => c"ALREADY_SIGNED",
            custodia_result::NoteMalformed => c"NOTE_MALFORMED",
            custodia_result::Genesis => c"GENESIS",
            custodia_result::DuplicateEvent => c"DUPLICATE_EVENT",
            custodia_result::MissingParent => c"MISSING_PARENT",
            custodia_result::UnexpectedParent => c"UNEXPECTED_PARENT",
            custodia_result::UnknownReference => c"UNKNOWN_REFERENCE",
            custodia_result::AlreadyExists => c"ALREADY_EXISTS",
            custodia_result::Repeated => c"REPEATED",
            custodia_result::ZeroQuantity => c"ZERO_QUANTITY",
            custodia_result::NothingToMove => c"NOTHING_TO_MOVE",
            custodia_result::DatedBeforeLast => c"DATED_BEFORE_LAST",
            custodia_result::SamePlace => c"SAME_PLACE",
            custodia_result::NotDispatched => c"NOT_DISPATCHED",
            custodia_result::LotsDiffer => c"LOTS_DIFFER",
            custodia_result::NotBookedHere => c"NOT_BOOKED_HERE",
            custodia_result::BookedMismatch => c"BOOKED_MISMATCH",
            custodia_result::NothingCounted => c"NOTHING_COUNTED",
            custodia_result::MemberOfPerson => c"MEMBER_OF_PERSON",
            custodia_result::NoKeys => c"NO_KEYS",
            custodia_result::KeyNotActive => c"KEY_NOT_ACTIVE",
            custodia_result::QuantityOverflow => c"QUANTITY_OVERFLOW",
            custodia_result::BeyondLiveUnits => c"BEYOND_LIVE_UNITS",
            custodia_result::NotAnAgency => c"NOT_AN_AGENCY",
            custodia_result::NothingToMerge => c"NOTHING_TO_MERGE",
            custodia_result::DatedInTheFuture => c"DATED_IN_THE_FUTURE",
            custodia_result::OverReceipt => c"OVER_RECEIPT",
            custodia_result::LookAlikeId => c"LOOK_ALIKE_ID",
            custodia_result::DispositionReserved => c"DISPOSITION_RESERVED",
            custodia_result::VersionDecreased => c"VERSION_DECREASED",
            custodia_result::UnlikeLots => c"UNLIKE_LOTS",
            custodia_result::ApproverDidNotSign => c"APPROVER_DID_NOT_SIGN",
            custodia_result::UnknownCountry => c"UNKNOWN_COUNTRY",
            custodia_result::LicenceExpired => c"LICENCE_EXPIRED",
            custodia_result::LicenceNotYetValid => c"LICENCE_NOT_YET_VALID",
            custodia_result::StateMismatch => c"STATE_MISMATCH",
            custodia_result::SameState => c"SAME_STATE",
            custodia_result::EmptyMark => c"EMPTY_MARK",
            custodia_result::RecordMissing => c"RECORD_MISSING",
            custodia_result::TraceAnswered => c"TRACE_ANSWERED",
            custodia_result::TraceMarkingEmpty => c"TRACE_MARKING_EMPTY",
            custodia_result::NotFitForUse => c"NOT_FIT_FOR_USE",
            custodia_result::NotExpended => c"NOT_EXPENDED",
            custodia_result::ReturnExceedsExpended => c"RETURN_EXCEEDS_EXPENDED",
            custodia_result::ResidueExceedsFired => c"RESIDUE_EXCEEDS_FIRED",
            custodia_result::NotAPerson => c"NOT_A_PERSON",
            custodia_result::WitnessAgencyMismatch => c"WITNESS_AGENCY_MISMATCH",
            custodia_result::InspectionContradicts => c"INSPECTION_CONTRADICTS",
            custodia_result::NotCounted => c"NOT_COUNTED",
            custodia_result::InsufficientStock => c"INSUFFICIENT_STOCK",
            custodia_result::NotCustodian => c"NOT_CUSTODIAN",
            custodia_result::AfterDestruction => c"AFTER_DESTRUCTION",
            custodia_result::NotHolder => c"NOT_HOLDER",
            custodia_result::NotCorrectable => c"NOT_CORRECTABLE",
            custodia_result::UnderEvidenceHold => c"UNDER_EVIDENCE_HOLD",
            custodia_result::NotUnderHold => c"NOT_UNDER_HOLD",
            custodia_result::AlreadyDeactivated => c"ALREADY_DEACTIVATED",
            custodia_result::AlreadyIssued => c"ALREADY_ISSUED",
            custodia_result::NotOnIssue => c"NOT_ON_ISSUE",
            custodia_result::NotReleasedForDestruction => c"NOT_RELEASED_FOR_DESTRUCTION",
            custodia_result::BeyondDiscrepancy => c"BEYOND_DISCREPANCY",
            custodia_result::MissingRole => c"MISSING_ROLE",
            custodia_result::NotAuthorised => c"NOT_AUTHORISED",
            custodia_result::VerifierNotIndependent => c"VERIFIER_NOT_INDEPENDENT",
            custodia_result::TwoPersonRule => c"TWO_PERSON_RULE",
            custodia_result::WitnessNotIndependent => c"WITNESS_NOT_INDEPENDENT",
            custodia_result::AuthoriserIsDestroyer => c"AUTHORISER_IS_DESTROYER",
            custodia_result::AuthorisationExpired => c"AUTHORISATION_EXPIRED",
            custodia_result::Unsigned => c"UNSIGNED",
            custodia_result::BadSignature => c"BAD_SIGNATURE",
            custodia_result::DuplicateSignature => c"DUPLICATE_SIGNATURE",
            custodia_result::UnknownKey => c"UNKNOWN_KEY",
            custodia_result::RevokedKey => c"REVOKED_KEY",
            custodia_result::ActorDidNotSign => c"ACTOR_DID_NOT_SIGN",
            custodia_result::InvalidPublicKey => c"INVALID_PUBLIC_KEY",
            custodia_result::NoSigningKey => c"NO_SIGNING_KEY",
            custodia_result::KeyFileInvalid => c"KEY_FILE_INVALID",
            custodia_result::RuleDenied => c"RULE_DENIED",
            custodia_result::RuleFailed => c"RULE_FAILED",
            custodia_result::RulesNotLoaded => c"RULES_NOT_LOADED",
            custodia_result::PluginLoad => c"PLUGIN_LOAD",
            custodia_result::RuleQueryInvalid => c"RULE_QUERY_INVALID",
            custodia_result::PluginConfigRefused => c"PLUGIN_CONFIG_REFUSED",
            custodia_result::IdColumn => c"ID_COLUMN",
            custodia_result::EventMissing => c"EVENT_MISSING",
            custodia_result::NodeMismatch => c"NODE_MISMATCH",
            custodia_result::ExtraNodes => c"EXTRA_NODES",
            custodia_result::RootMismatch => c"ROOT_MISMATCH",
            custodia_result::HeadSignature => c"HEAD_SIGNATURE",
            custodia_result::HeadBeyondLog => c"HEAD_BEYOND_LOG",
            custodia_result::Drift => c"DRIFT",
            custodia_result::Damaged => c"DAMAGED",
            custodia_result::ProofInvalid => c"PROOF_INVALID",
            custodia_result::InvariantBroken => c"INVARIANT_BROKEN",
            custodia_result::CheckpointSignature => c"CHECKPOINT_SIGNATURE",
            custodia_result::Rollback => c"ROLLBACK",
            custodia_result::Fork => c"FORK",
            custodia_result::NotExtended => c"NOT_EXTENDED",
            custodia_result::TooFewCosignatures => c"TOO_FEW_COSIGNATURES",
            custodia_result::FileNotFound => c"FILE_NOT_FOUND",
            custodia_result::FileExists => c"FILE_EXISTS",
            custodia_result::NotALedger => c"NOT_A_LEDGER",
            custodia_result::FormatVersion => c"FORMAT_VERSION",
            custodia_result::Busy => c"BUSY",
            custodia_result::Sqlite => c"SQLITE",
            custodia_result::Io => c"IO",
            custodia_result::ReadOnly => c"READ_ONLY",
            custodia_result::BalanceOverflow => c"BALANCE_OVERFLOW",
            custodia_result::InvalidArgument => c"INVALID_ARGUMENT",
            custodia_result::LeafOutOfRange => c"LEAF_OUT_OF_RANGE",
            custodia_result::SizeOutOfRange => c"SIZE_OUT_OF_RANGE",
            custodia_result::BadRange => c"BAD_RANGE",
            custodia_result::EventNotFound => c"EVENT_NOT_FOUND",
            custodia_result::NullArgument => c"NULL_ARGUMENT",
            custodia_result::InvalidUtf8 => c"INVALID_UTF8",
            custodia_result::BufferTooSmall => c"BUFFER_TOO_SMALL",
            custodia_result::Panic => c"PANIC",
            custodia_result::Internal => c"INTERNAL",
            custodia_result::UnknownOrigin => c"UNKNOWN_ORIGIN",
            custodia_result::OldSizeBeyondCheckpoint => c"OLD_SIZE_BEYOND_CHECKPOINT",
            custodia_result::NoTreeHead => c"NO_TREE_HEAD",
        }
    }
}
