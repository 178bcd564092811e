//! A convenience for writers: keeps the signing keys of the actors it speaks for, fills in the
//! parents an event needs, signs, and appends. Examples, the command line's `demo` and `synth`,
//! and tests use it; ministries' systems that hold their own keys do the same three steps
//! (`Ledger::required_parents`, `Event::sign`, `Ledger::append`).

use std::collections::BTreeMap;

use crate::event::{Body, Event, SignedEvent, Signer};
use crate::ledger::{Ledger, LedgerError};
use crate::model::{ActorId, Timestamp};

/// Writes signed events into a ledger on behalf of actors whose keys it holds.
#[derive(Debug, Default)]
pub struct Scribe {
    ledger: Ledger,
    keys: BTreeMap<ActorId, Signer>,
    journal: Vec<SignedEvent>,
}

impl Scribe {
    /// A scribe over an empty ledger.
    pub fn new() -> Self {
        Self::default()
    }
    /// A scribe over a given ledger (for example one with a rule engine).
    pub fn with_ledger(ledger: Ledger) -> Self {
        Self {
            ledger,
            keys: BTreeMap::new(),
            journal: Vec::new(),
        }
    }
    /// Hands the scribe an actor's signing key.
    pub fn hold_key(&mut self, actor: ActorId, signer: Signer) {
        self.keys.insert(actor, signer);
    }
    /// The key held for an actor.
    pub fn key(&self, actor: &ActorId) -> Option<&Signer> {
        self.keys.get(actor)
    }
    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    /// Every event recorded through this scribe, in append order.
    pub fn journal(&self) -> &[SignedEvent] {
        &self.journal
    }
    /// Gives the ledger back.
    pub fn into_ledger(self) -> Ledger {
        self.ledger
    }
    /// Builds, signs (by `actor` and every co-signer) and appends an event. Returns it signed.
    pub fn record(
        &mut self,
        at: Timestamp,
        actor: &ActorId,
        body: Body,
        cosigners: &[&ActorId],
    ) -> Result<SignedEvent, LedgerError> {
        let signed = self.prepare(at, actor, body, cosigners)?;
        self.ledger.append(&signed)?;
        self.journal.push(signed.clone());
        Ok(signed)
    }
    /// Builds and signs an event with the right parents, without appending it.
    pub fn prepare(
        &self,
        at: Timestamp,
        actor: &ActorId,
        body: Body,
        cosigners: &[&ActorId],
    ) -> Result<SignedEvent, LedgerError> {
        let mut event = Event::new(at, actor.clone(), Vec::new(), body);
        event.parents = self.ledger.required_parents(&event)?;
        let mut signers = Vec::with_capacity(1 + cosigners.len());
        for who in std::iter::once(actor).chain(cosigners.iter().copied()) {
            let key = self.keys.get(who).ok_or_else(|| LedgerError::Unknown {
                event: crate::model::EventId::from_bytes([0; 32]),
                field: "/signatures".into(),
                value: format!("no signing key held for `{who}`"),
            })?;
            signers.push(key);
        }
        Ok(event.sign(&signers)?)
    }
}
