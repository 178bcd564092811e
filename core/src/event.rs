//! Events, as a Rust program builds and reads them: the envelope ([`Event`], [`SignedEvent`]),
//! the body of each kind ([`Body`] and one struct per kind), the parts they are made of, and
//! Ed25519 keys ([`Signer`]) and signatures. `docs/FORMAT.md` specifies the wire format.

pub use crate::envelope::{
    EVENT_BYTES_MAX, EventBody, FORMAT_VERSION, FORMAT_VERSIONS, Signature, Signer,
    check_public_key, check_registered_key, event_id_of,
};
// Every kind's body struct, `Body` and `KINDS`: the kinds list is the only place they are named.
pub use crate::ledger::kinds::*;
pub use crate::ledger::{Event, SignedEvent};
pub use crate::model::{
    ItemCount, LossKind, LotCount, LotQuantity, MergeTarget, Place, RuleRef, SplitPart, Witness,
};
