//! Events, as a Rust program builds and reads them: the envelope ([`Event`], [`SignedEvent`]),
//! the body of each kind ([`Body`] and one struct per kind), the parts they are made of, and
//! Ed25519 keys ([`Signer`]) and signatures. `docs/FORMAT.md` specifies the wire format.

pub use crate::envelope::{
    EVENT_BYTES_MAX, EventBody, FORMAT_VERSION, Signature, Signer, check_public_key, event_id_of,
};
pub use crate::ledger::kinds::{
    AddKey, Correction, Destruction, DestructionAuthorisation, LossReport, LotMerge, LotSplit,
    Recovery, RegisterActor, RegisterItems, RegisterLot, RegisterSite, RevokeKey, RulesInForce,
    StatusChange, StockCheck, TransferDispatch, TransferReceipt,
};
pub use crate::ledger::{Body, Event, KINDS, SignedEvent};
pub use crate::model::{
    ItemCount, LossKind, LotCount, LotQuantity, MergeTarget, Place, RuleRef, SplitPart, Witness,
};
