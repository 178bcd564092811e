//! The event kinds: one module per kind, each with its body (what the event says, as decoded
//! from JSON) and its plan (every check, then its effects). The list below is the only list of
//! kinds: the [`Body`] enum, [`KINDS`], the `kind` names and the dispatch are generated from it,
//! and a test checks it against the schema. Adding a kind: `docs/CONTRIBUTING.md`.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ledger::plan::Plan;

pub use self::board_of_inquiry::{BoardDecision, BoardItem, BoardLot};

/// What an event kind does to the ledger.
pub(crate) trait Kind {
    /// Checks the event against the state and records its effects in the plan.
    fn plan(&self, p: &mut Plan<'_>) -> Result<()>;
}

macro_rules! kinds {
    ($( $(#[doc = $doc:literal])* $name:literal => $module:ident :: $ty:ident, )*) => {
        $(mod $module;)*
        pub use self::{$($module::$ty,)*};

        /// The kind-specific content of an event. The JSON member `kind` names the variant.
        #[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        #[non_exhaustive]
        pub enum Body {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $name)]
                $ty($ty),
            )*
        }

        /// Every event kind, in documentation order.
        pub const KINDS: &[&str] = &[$($name,)*];

        impl crate::envelope::EventBody for Body {
            fn kind(&self) -> &'static str {
                match self {
                    $(Body::$ty(_) => $name,)*
                }
            }

            fn from_content(content: &serde_json::Map<String, serde_json::Value>) -> Option<Self> {
                use serde::Deserialize as _;
                let members = crate::envelope::content_de::BodyMembers(content);
                match content.get("kind")?.as_str()? {
                    $($name => $ty::deserialize(members).ok().map(Body::$ty),)*
                    _ => None,
                }
            }

            fn from_tape(members: crate::envelope::tape::BodyMembers<'_>, kind: &str) -> Option<Self> {
                use serde::Deserialize as _;
                match kind {
                    $($name => $ty::deserialize(members).ok().map(Body::$ty),)*
                    _ => None,
                }
            }
        }

        impl Body {
            /// Plans the event: every check, then its effects.
            pub(crate) fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
                match self {
                    $(Body::$ty(b) => b.plan(p),)*
                }
            }

            /// An example of every kind, with every optional member filled (for tests that
            /// compare the types with the schema).
            #[cfg(any(test, feature = "testkit"))]
            pub fn examples() -> Vec<Body> {
                vec![$(Body::$ty($module::example()),)*]
            }
        }

        $(
            impl $ty {
                /// The `kind` member's value.
                pub const NAME: &'static str = $name;
            }

            impl From<$ty> for Body {
                fn from(body: $ty) -> Body {
                    Body::$ty(body)
                }
            }
        )*
    };
}

kinds! {
    /// Registers an actor. The ledger's first event registers its first administrator, who
    /// signs it with one of the keys it registers.
    "register_actor" => register_actor::RegisterActor,
    /// Adds a key to an actor.
    "add_key" => add_key::AddKey,
    /// Revokes a key: signatures by it on later events no longer count.
    "revoke_key" => revoke_key::RevokeKey,
    /// Registers a site.
    "register_site" => register_site::RegisterSite,
    /// Brings serialized items into the inventory.
    "register_items" => register_items::RegisterItems,
    /// Brings a lot into the inventory.
    "register_lot" => register_lot::RegisterLot,
    /// First phase of a transfer: stock leaves its holder and is in transit.
    "transfer_dispatch" => transfer_dispatch::TransferDispatch,
    /// Second phase: the addressee acknowledges what arrived.
    "transfer_receipt" => transfer_receipt::TransferReceipt,
    /// Cuts new lots out of one lot; the source keeps the remainder.
    "lot_split" => lot_split::LotSplit,
    /// Combines quantities of compatible lots into a new lot.
    "lot_merge" => lot_merge::LotMerge,
    /// A physical count. Differences from the books become explicit discrepancies.
    "stock_check" => stock_check::StockCheck,
    /// Changes the status of items and whole lots.
    "status_change" => status_change::StatusChange,
    /// Authorises the destruction of the listed items and quantities.
    "destruction_authorisation" => destruction_authorisation::DestructionAuthorisation,
    /// Witnessed destruction. Terminal for what it destroys.
    "destruction" => destruction::Destruction,
    /// Reports stock lost or stolen, from a holding or from a discrepancy account.
    "loss_report" => loss_report::LossReport,
    /// Brings lost or stolen stock back into a holding.
    "recovery" => recovery::Recovery,
    /// Reverses an earlier event. Never an edit: the original stays in the ledger.
    "correction" => correction::Correction,
    /// Puts a set of rule plugins in force from this event on, replacing the previous set.
    "rules_in_force" => rules_in_force::RulesInForce,
    /// First phase of an export: stock leaves for another state under licences (version 2).
    "export_dispatch" => export_dispatch::ExportDispatch,
    /// Second phase: the importing state verified the delivery; the stock is exported
    /// (version 2).
    "export_delivery" => export_delivery::ExportDelivery,
    /// Marks applied to items already on the books: import, state, restored serial, official
    /// use, unique (version 2).
    "marking" => marking::MarkItems,
    /// Puts stock under an evidence hold for a criminal case (version 2).
    "seizure" => seizure::Seizure,
    /// A court releases, forfeits, orders destroyed or returns to its owner stock under an
    /// evidence hold (version 2).
    "judicial_order" => judicial_order::JudicialOrder,
    /// Firearms rendered permanently inoperable and certified; they stay on the books
    /// (version 2).
    "deactivation" => deactivation::Deactivation,
    /// Ammunition expended in training, operations, proof or surveillance firing or a
    /// demonstration: it leaves the books through the `consumed` sink (version 2).
    "expenditure" => expenditure::Expenditure,
    /// Unfired rounds and residue (fired cases, belt links) returned after a firing
    /// (version 2).
    "expenditure_return" => expenditure_return::ExpenditureReturn,
    /// Weapons issued from an armoury to a person for a period (version 2).
    "weapon_issue" => weapon_issue::WeaponIssue,
    /// Weapons issued to a person returned to the armoury (version 2).
    "weapon_return" => weapon_return::WeaponReturn,
    /// A tracing request received from another state or through INTERPOL (version 2).
    "trace_request" => trace_request::TraceRequest,
    /// The answer to a tracing request: identified, not found, or refused (version 2).
    "trace_response" => trace_response::TraceResponse,
    /// A surveillance inspection of ammunition lots by the technical authority: results,
    /// condition code, next inspection, reclassification, suspension (version 2).
    "inspection" => inspection::Inspection,
    /// A board of inquiry closes a discrepancy account: missing units written off or found,
    /// found stock regularised (version 2).
    "board_of_inquiry" => board_of_inquiry::BoardOfInquiry,
}

/// Helpers for the examples of every kind.
#[cfg(any(test, feature = "testkit"))]
mod ex {
    /// An id from a literal.
    #[expect(
        clippy::expect_used,
        reason = "examples are built from literal, valid ids"
    )]
    pub(crate) fn id<T: std::str::FromStr>(text: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        text.parse().expect("example ids are valid")
    }

    /// A quantity from a literal.
    #[expect(
        clippy::expect_used,
        reason = "examples use literal quantities in range"
    )]
    pub(crate) fn q(value: u64) -> crate::model::Quantity {
        crate::model::Quantity::new(value).expect("example quantities are in range")
    }

    /// A date from a literal.
    #[expect(
        clippy::expect_used,
        reason = "examples are built from literal, valid dates"
    )]
    pub(crate) fn date(text: &str) -> crate::model::Date {
        crate::model::Date::parse(text).expect("example dates are valid")
    }

    /// A timestamp from a literal.
    #[expect(
        clippy::expect_used,
        reason = "examples are built from literal, valid timestamps"
    )]
    pub(crate) fn timestamp(text: &str) -> crate::model::Timestamp {
        crate::model::Timestamp::parse(text).expect("example timestamps are valid")
    }

    /// The import record of the examples, every optional member filled.
    pub(crate) fn import_record() -> crate::model::ImportRecord {
        use crate::model::{
            DeliveryVerification, EndUserCertificate, ImportRecord, Licence, LicenceKind,
        };
        ImportRecord {
            date: date("2026-03-10"),
            exporting_state: "RS".into(),
            exporter: "Yugoimport SDPR".into(),
            transit_states: vec!["PA".into()],
            licences: vec![
                Licence {
                    kind: LicenceKind::Export,
                    number: "RS-EXP-2026-311".into(),
                    state: "RS".into(),
                    issued: date("2026-01-15"),
                    expires: date("2026-07-15"),
                },
                Licence {
                    kind: LicenceKind::Import,
                    number: "SV-IMP-2026-0007".into(),
                    state: "SV".into(),
                    issued: date("2025-12-01"),
                    expires: date("2026-06-01"),
                },
                Licence {
                    kind: LicenceKind::Transit,
                    number: "PA-TR-2026-044".into(),
                    state: "PA".into(),
                    issued: date("2026-02-01"),
                    expires: date("2026-04-01"),
                },
            ],
            end_user_certificate: Some(EndUserCertificate {
                reference: "EUC-SV-2025-0031".into(),
                issued_by: "Ministerio de la Defensa Nacional".into(),
                end_use: Some("training".into()),
            }),
            delivery_verification: Some(DeliveryVerification {
                reference: "DVC-SV-2026-0007".into(),
                issued_by: "Ministerio de la Defensa Nacional".into(),
                state: "SV".into(),
                date: date("2026-03-12"),
            }),
            contract: Some("MDN-2025-114".into()),
        }
    }

    /// An event id from a byte.
    pub(crate) fn event(byte: u8) -> crate::model::EventId {
        crate::model::EventId::from_bytes([byte; 32])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Event, EventBody, Signer, schema_kinds};

    #[test]
    fn the_list_of_kinds_is_the_schemas() {
        let schema: Vec<&str> = schema_kinds().unwrap().iter().map(String::as_str).collect();
        assert_eq!(KINDS, schema.as_slice());
        let examples: Vec<&str> = Body::examples().iter().map(|b| b.kind()).collect();
        assert_eq!(KINDS, examples.as_slice());
    }

    #[test]
    fn every_example_passes_its_schema_and_round_trips() {
        let key = Signer::from_seed([9; 32]);
        for body in Body::examples() {
            let at = crate::model::Timestamp::parse("2026-06-01T08:00:00Z").unwrap();
            let event = Event::new(at, ex::id("unit:log-bn-2"), Vec::new(), body);
            let signed = event.clone().sign(&[&key]).unwrap();
            let again = crate::envelope::SignedEvent::<Body>::from_canonical_json(
                signed.to_json().as_bytes(),
            )
            .unwrap();
            assert_eq!(again.event(), &event, "{}", event.body.kind());
        }
    }
}
