//! Events: the only way anything enters the ledger. An [`Event`] is the signed content; a
//! [`SignedEvent`] adds its id and signatures. See `docs/FORMAT.md` for the wire format.

mod codec;
mod schema;
mod sign;

pub(crate) use codec::parse_json;
pub use codec::{DecodeError, EVENT_BYTES_MAX, FORMAT_VERSION, canonical_bytes, event_id_of};
pub use sign::{Signature, SignatureError, Signer};

use serde::{Deserialize, Serialize};

use crate::model::{
    Actor, ActorId, EventId, Item, ItemId, Lot, LotId, Origin, PublicKey, Quantity, Site, SiteId,
    Status, Timestamp,
};

/// A quantity of one lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotQuantity {
    /// The lot.
    pub lot: LotId,
    /// How many units.
    pub quantity: Quantity,
}

/// A custodian at a site: where stock is held.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct Place {
    /// The site.
    pub site: SiteId,
    /// The unit in charge.
    pub custodian: ActorId,
}

/// A new lot cut from an existing one.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SplitPart {
    /// Id of the new lot.
    pub id: LotId,
    /// Units moved into it.
    pub quantity: Quantity,
}

/// The lot formed by a merge.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct MergeTarget {
    /// Id of the new lot.
    pub id: LotId,
    /// Its lot number.
    pub lot_number: String,
}

/// One line of a stock check for a lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotCount {
    /// The lot.
    pub lot: LotId,
    /// What the books said when counting started; must equal the ledger's balance.
    pub booked: Quantity,
    /// What was counted.
    pub counted: Quantity,
}

/// One line of a stock check for an item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemCount {
    /// The item.
    pub item: ItemId,
    /// Whether it was found.
    pub present: bool,
}

/// Destination of a loss: lost or stolen.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// Missing, cause unknown.
    Lost,
    /// Stolen.
    Stolen,
}

/// A witness to a destruction.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Witness {
    /// The witnessing actor.
    pub actor: ActorId,
    /// The agency they represent.
    pub agency: ActorId,
}

/// A plugin put in force, identified by its identity hash.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RuleRef {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Identity hash of the plugin: SHA-256 over its module and configuration (hex).
    pub sha256: EventId,
}

/// The kind-specific content of an event. The JSON member `kind` names the variant.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Body {
    /// Registers an actor. The ledger's first event registers its first administrator, who
    /// signs it with one of the keys it registers.
    RegisterActor {
        /// The new actor.
        subject: Actor,
    },
    /// Adds a key to an actor.
    AddKey {
        /// Whose key.
        subject: ActorId,
        /// The new key.
        key: PublicKey,
    },
    /// Revokes a key: signatures by it on later events no longer count.
    RevokeKey {
        /// Whose key.
        subject: ActorId,
        /// The revoked key.
        key: PublicKey,
        /// Why.
        reason: String,
    },
    /// Registers a site.
    RegisterSite {
        /// The new site.
        site: Site,
    },
    /// Brings serialized items into the inventory.
    RegisterItems {
        /// Where they are.
        site: SiteId,
        /// Who holds them.
        custodian: ActorId,
        /// How they entered.
        origin: Origin,
        /// The items.
        items: Vec<Item>,
    },
    /// Brings a lot into the inventory.
    RegisterLot {
        /// Where it is.
        site: SiteId,
        /// Who holds it.
        custodian: ActorId,
        /// How it entered.
        origin: Origin,
        /// The lot.
        lot: Lot,
    },
    /// First phase of a transfer: stock leaves its holder and is in transit.
    TransferDispatch {
        /// The current holder.
        from: Place,
        /// The addressee.
        to: Place,
        /// Items sent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<ItemId>,
        /// Quantities of lots sent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lots: Vec<LotQuantity>,
        /// Waybill or movement order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Second phase: the addressee acknowledges what arrived. What was sent but not received
    /// (or received beyond what was sent) goes to a discrepancy account named by this event.
    TransferReceipt {
        /// The dispatch being received.
        dispatch: EventId,
        /// Items that arrived.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<ItemId>,
        /// Quantities that arrived.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lots: Vec<LotQuantity>,
        /// Remarks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Cuts new lots out of one lot; the source keeps the remainder.
    LotSplit {
        /// The source lot.
        lot: LotId,
        /// Where.
        site: SiteId,
        /// Holder of the source and the new lots.
        custodian: ActorId,
        /// The new lots.
        into: Vec<SplitPart>,
    },
    /// Combines quantities of compatible lots into a new lot.
    LotMerge {
        /// Where.
        site: SiteId,
        /// Holder.
        custodian: ActorId,
        /// What is merged.
        lots: Vec<LotQuantity>,
        /// The new lot.
        into: MergeTarget,
    },
    /// A physical count. Differences from the books become explicit discrepancies.
    StockCheck {
        /// Where.
        site: SiteId,
        /// Whose stock.
        custodian: ActorId,
        /// Lots counted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lots: Vec<LotCount>,
        /// Items checked.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<ItemCount>,
    },
    /// Changes the status of items and whole lots.
    StatusChange {
        /// Items.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<ItemId>,
        /// Lots.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lots: Vec<LotId>,
        /// New status.
        status: Status,
        /// Why.
        reason: String,
    },
    /// Authorises the destruction of the listed items and quantities.
    DestructionAuthorisation {
        /// Order or judicial decision number.
        reference: String,
        /// Items.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<ItemId>,
        /// Lot quantities.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lots: Vec<LotQuantity>,
        /// Allowed destruction methods.
        methods: Vec<String>,
    },
    /// Witnessed destruction. Terminal for what it destroys.
    Destruction {
        /// The authorisation that covers it.
        authorisation: EventId,
        /// Where it happened.
        site: SiteId,
        /// Whose stock.
        custodian: ActorId,
        /// Method used (one of the authorisation's).
        method: String,
        /// Destruction certificate number.
        certificate: String,
        /// Items destroyed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<ItemId>,
        /// Lot quantities destroyed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lots: Vec<LotQuantity>,
        /// Who witnessed it.
        witnesses: Vec<Witness>,
    },
    /// Reports stock lost or stolen, from a holding or from a discrepancy account.
    LossReport {
        /// Lost or stolen.
        loss: LossKind,
        /// Where it was held.
        site: SiteId,
        /// Who held it.
        custodian: ActorId,
        /// Take the stock from the discrepancy account this event opened, not from the holding.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        discrepancy: Option<EventId>,
        /// Items.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<ItemId>,
        /// Lot quantities.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lots: Vec<LotQuantity>,
        /// Police report or case number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Brings lost or stolen stock back into a holding.
    Recovery {
        /// From which sink.
        loss: LossKind,
        /// Where it is now held.
        site: SiteId,
        /// Who holds it.
        custodian: ActorId,
        /// Items.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<ItemId>,
        /// Lot quantities.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lots: Vec<LotQuantity>,
        /// Case number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Reverses an earlier event. Never an edit: the original stays in the ledger.
    Correction {
        /// The event reversed.
        reverses: EventId,
        /// Why.
        reason: String,
    },
    /// Puts a set of rule plugins in force from this event on, replacing the previous set.
    RulesInForce {
        /// The plugins, by identity hash.
        rules: Vec<RuleRef>,
    },
}

impl Body {
    /// The `kind` string of this body.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::RegisterActor { .. } => "register_actor",
            Body::AddKey { .. } => "add_key",
            Body::RevokeKey { .. } => "revoke_key",
            Body::RegisterSite { .. } => "register_site",
            Body::RegisterItems { .. } => "register_items",
            Body::RegisterLot { .. } => "register_lot",
            Body::TransferDispatch { .. } => "transfer_dispatch",
            Body::TransferReceipt { .. } => "transfer_receipt",
            Body::LotSplit { .. } => "lot_split",
            Body::LotMerge { .. } => "lot_merge",
            Body::StockCheck { .. } => "stock_check",
            Body::StatusChange { .. } => "status_change",
            Body::DestructionAuthorisation { .. } => "destruction_authorisation",
            Body::Destruction { .. } => "destruction",
            Body::LossReport { .. } => "loss_report",
            Body::Recovery { .. } => "recovery",
            Body::Correction { .. } => "correction",
            Body::RulesInForce { .. } => "rules_in_force",
        }
    }
}

/// Every event kind, in documentation order.
pub const KINDS: [&str; 18] = [
    "register_actor",
    "add_key",
    "revoke_key",
    "register_site",
    "register_items",
    "register_lot",
    "transfer_dispatch",
    "transfer_receipt",
    "lot_split",
    "lot_merge",
    "stock_check",
    "status_change",
    "destruction_authorisation",
    "destruction",
    "loss_report",
    "recovery",
    "correction",
    "rules_in_force",
];

/// The content of an event: everything its id covers.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Event {
    /// Format version, always [`FORMAT_VERSION`].
    pub v: u32,
    /// When it happened, UTC.
    pub at: Timestamp,
    /// Who records it; must sign it.
    pub actor: ActorId,
    /// Ids of the events it builds on (the DAG edges).
    pub parents: Vec<EventId>,
    /// Kind and body.
    #[serde(flatten)]
    pub body: Body,
}

impl Event {
    /// A version-1 event.
    pub fn new(at: Timestamp, actor: ActorId, parents: Vec<EventId>, body: Body) -> Self {
        Self {
            v: FORMAT_VERSION,
            at,
            actor,
            parents,
            body,
        }
    }

    /// The event's id: SHA-256 of its canonical JSON.
    pub fn id(&self) -> Result<EventId, DecodeError> {
        let value = serde_json::to_value(self).map_err(|e| DecodeError::Encode {
            reason: e.to_string(),
        })?;
        event_id_of(&value)
    }

    /// Checks the event against the schema, computes the id and signs it with every signer
    /// given. The Rust types admit values the wire format refuses (an empty `reason`, a
    /// country code in lower case); checking here means nothing is signed that a reader
    /// would refuse to decode.
    pub fn sign(self, signers: &[&Signer]) -> Result<SignedEvent, DecodeError> {
        let value = serde_json::to_value(&self).map_err(|e| DecodeError::Encode {
            reason: e.to_string(),
        })?;
        schema::check_unsigned_event(&value)?;
        let id = event_id_of(&value)?;
        let signatures = signers.iter().map(|s| s.sign(&id)).collect();
        Ok(SignedEvent {
            event: self,
            id,
            signatures,
        })
    }
}

/// An event with its id and signatures, as stored and exchanged.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedEvent {
    /// The content.
    pub event: Event,
    /// Its id (checked against the content when decoded).
    pub id: EventId,
    /// Signatures over the id's 32 bytes.
    pub signatures: Vec<Signature>,
}

impl SignedEvent {
    /// The full JSON object: the event's members plus `id` and `signatures`.
    pub fn to_value(&self) -> Result<serde_json::Value, DecodeError> {
        let mut value = serde_json::to_value(&self.event).map_err(|e| DecodeError::Encode {
            reason: e.to_string(),
        })?;
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("id".into(), serde_json::Value::String(self.id.to_hex()));
            let sigs = serde_json::to_value(&self.signatures).map_err(|e| DecodeError::Encode {
                reason: e.to_string(),
            })?;
            map.insert("signatures".into(), sigs);
        }
        Ok(value)
    }

    /// One line of JSONL: the canonical JSON of the full object (RFC 8785), no newline.
    pub fn to_json(&self) -> Result<String, DecodeError> {
        let value = self.to_value()?;
        serde_json_canonicalizer::to_string(&value).map_err(|e| DecodeError::Encode {
            reason: e.to_string(),
        })
    }
}
