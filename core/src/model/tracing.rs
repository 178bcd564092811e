//! The vocabularies of tracing (format version 2, International Tracing Instrument §V): how a
//! tracing request reached the ledger's state, and how it was answered.

use serde::{Deserialize, Serialize};

/// How a tracing request was received (ITI §§25–26: directly between states, or through
/// INTERPOL's channels).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceChannel {
    /// From the requesting state's point of contact.
    Direct,
    /// Through INTERPOL on the requesting state's behalf.
    Interpol,
}

/// How a tracing request was answered.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceOutcome {
    /// The weapons asked about were identified in the records: the response names the items.
    Identified,
    /// No record matches the marking asked about.
    NotFound,
    /// The request was refused (or its answer withheld): the response gives the ground.
    Refused,
}

/// Why a tracing request was refused or its answer restricted (ITI §§21–23).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceRefusal {
    /// The request lacks the information ITI §17 asks of it (marking, context, purpose).
    InsufficientInformation,
    /// The weapon is not a small arm or light weapon within the instrument, or the request
    /// is not about an illicit one.
    OutsideScope,
    /// Answering would compromise an ongoing criminal investigation.
    CriminalInvestigation,
    /// Answering would violate legal protections (confidentiality, data protection).
    LegalProtection,
    /// Answering would compromise national security.
    NationalSecurity,
}
