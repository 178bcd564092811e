//! What the front door's queries return: plain typed rows that serialise to JSON with the
//! member names documented in `docs/API.md`. The C API hands the same JSON to its callers and
//! the Python package turns it into dicts and DataFrames, so these names are part of the
//! stable surface.

use serde::Serialize;

use crate::error::Error;
use crate::model::{
    ActorId, CompatibilityGroup, Condition, Digest, Disposition, EventId, HazardDivision,
    ItemCategory, LotId, Marking, OriginKind, PublicKey, RuleRef, SiteId, Timestamp,
};

/// Whether a stock is a serialized item or a lot.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StockKind {
    /// A serialized item (one unit).
    Item,
    /// A lot of fungible units.
    Lot,
}

impl StockKind {
    /// `item` or `lot`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StockKind::Item => "item",
            StockKind::Lot => "lot",
        }
    }
}

/// One non-zero balance: `units` of `stock` in `account`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Balance {
    /// Item or lot.
    pub kind: StockKind,
    /// The item or lot id.
    pub stock: String,
    /// The account as displayed: `CUSTODIAN@SITE` for a holding, `in_transit:ID`,
    /// `discrepancy:ID`, `source:ORIGIN`, `sink:NAME`.
    pub account: String,
    /// For a holding: the site.
    pub site: Option<SiteId>,
    /// For a holding: the custodian.
    pub custodian: Option<ActorId>,
    /// Units (negative only for sources and for discrepancy accounts holding found stock).
    pub units: i64,
}

/// Which balances to list.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct BalanceFilter {
    /// Only holdings at this site.
    pub site: Option<SiteId>,
    /// Only this item or lot.
    pub stock: Option<String>,
}

/// One line of stock on hand: what a custodian holds of one stock at one site.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct StockLine {
    /// The site.
    pub site: SiteId,
    /// The custodian.
    pub custodian: ActorId,
    /// Item or lot.
    pub kind: StockKind,
    /// The item or lot id.
    pub stock: String,
    /// Lot nomenclature, or the item's type.
    pub description: String,
    /// The manufacturer's lot number (lots only).
    pub lot_number: Option<String>,
    /// What one unit is (`round`, `piece`, `gram`; `item` for serialized items).
    pub unit: String,
    /// UN hazard division, when classified.
    pub hazard_division: Option<HazardDivision>,
    /// Compatibility group, when classified.
    pub compatibility_group: Option<CompatibilityGroup>,
    /// Current condition (serviceable, unserviceable, under repair, suspended).
    pub condition: Condition,
    /// Current disposition (in service, surplus, pending destruction, evidence hold, ...).
    pub disposition: Disposition,
    /// Units held.
    pub units: i64,
    /// Net explosive quantity of the units held, milligrams (a lot's `neq_mg` per unit, or
    /// its grams × 1000; a serialized munition's `neq_mg`; 0 for other items).
    pub neq_mg: i64,
}

/// A total of stock on hand per site and hazard division.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct StockTotal {
    /// The site.
    pub site: SiteId,
    /// The hazard division (none: unclassified stock and serialized items).
    pub hazard_division: Option<HazardDivision>,
    /// Units.
    pub units: i64,
    /// Net explosive quantity, milligrams.
    pub neq_mg: i64,
}

/// Stock on hand with totals.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct StockOnHand {
    /// One line per holding and stock, by site, custodian, stock.
    pub lines: Vec<StockLine>,
    /// Per site and hazard division.
    pub totals: Vec<StockTotal>,
}

/// Stock on hand totals at one moment of a ledger's history ([`crate::Ledger::stock_history`]).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct StockSnapshot {
    /// The end of the period the totals close (for the last snapshot: the last event's time).
    pub at: Timestamp,
    /// Per site and hazard division, as [`StockOnHand::totals`] gave them then.
    pub totals: Vec<StockTotal>,
}

/// Which stock on hand to list.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct StockFilter {
    /// Only this site.
    pub site: Option<SiteId>,
    /// Only lots whose nomenclature contains this text (case-insensitive), or items whose type
    /// does.
    pub nomenclature: Option<String>,
    /// Only this hazard division.
    pub hazard_division: Option<HazardDivision>,
}

/// One event in the history of an item or lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct TraceEntry {
    /// Position in append order, from 0.
    pub index: u64,
    /// The event id.
    pub id: EventId,
    /// Its kind.
    pub kind: String,
    /// When it happened.
    pub at: Timestamp,
    /// Who recorded it.
    pub actor: ActorId,
}

/// One lot in a lineage.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct LineageEntry {
    /// The lot.
    pub lot: LotId,
    /// The lot it came from in this walk (none for the starting lot).
    pub from: Option<LotId>,
    /// Generations from the starting lot.
    pub depth: u32,
    /// Units it received from `from` (for the starting lot: its registered quantity).
    pub received: u64,
    /// Units of it destroyed.
    pub destroyed: i64,
}

/// One stored event.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct EventRecord {
    /// Position in append order, from 0.
    pub index: u64,
    /// Its id.
    pub id: EventId,
    /// Its kind.
    pub kind: String,
    /// When it happened.
    pub at: Timestamp,
    /// Who recorded it.
    pub actor: ActorId,
    /// The stored line: the event's canonical JSON (RFC 8785) with `id` and `signatures`.
    pub json: String,
}

/// A serialized item found by its marking.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ItemRecord {
    /// The item id.
    pub id: String,
    /// Firearm or light weapon.
    pub category: ItemCategory,
    /// Its type (`assault rifle`).
    #[serde(rename = "type")]
    pub item_type: String,
    /// Its marking as registered.
    pub marking: Marking,
    /// How it entered the inventory.
    pub origin: OriginKind,
    /// When it was registered.
    pub registered_at: Timestamp,
    /// Current condition (serviceable, unserviceable, under repair, suspended).
    pub condition: Condition,
    /// Current disposition (in service, surplus, pending destruction, evidence hold, ...).
    pub disposition: Disposition,
    /// The account it is in (`CUSTODIAN@SITE`, `sink:destroyed`, ...).
    pub location: String,
    /// For a holding: the site.
    pub site: Option<SiteId>,
    /// For a holding: the custodian.
    pub custodian: Option<ActorId>,
    /// Its latest event.
    pub last_event: EventId,
}

/// What to look for in markings. Matching ignores case and spaces.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct MarkingQuery {
    /// The serial number.
    pub serial: String,
    /// The manufacturer, if known.
    pub manufacturer: Option<String>,
}

/// A tracing request not yet answered (`trace_request`, format version 2).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct TraceRequestRecord {
    /// The `trace_request` event: a `trace_response` names it.
    pub request: EventId,
    /// The requesting state, ISO 3166-1 alpha-2.
    pub requesting_state: String,
    /// How the request arrived (`direct`, `interpol`).
    pub channel: crate::model::TraceChannel,
    /// The requester's reference.
    pub reference: String,
    /// The day it was received.
    pub received_on: crate::model::Date,
    /// The day the answer is due.
    pub deadline: crate::model::Date,
    /// The marking elements of each weapon asked about.
    pub weapons: Vec<Marking>,
    /// When the request was recorded.
    pub recorded_at: Timestamp,
}

/// The Arms Trade Treaty annual report's exports and imports of small arms and light weapons
/// (art. 13.3), by ATT category and partner state: what was exported (dispatched in the year,
/// counted for what the importing state verified it received) and imported (entered the state
/// in the year, by the import record's date). Serialized items only: ammunition lots are not
/// among the arms art. 13.3 reports.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct AttReport {
    /// The calendar year reported.
    pub year: u16,
    /// Exports, by category then importing state.
    pub exports: Vec<AttLine>,
    /// Imports, by category then exporting state.
    pub imports: Vec<AttLine>,
}

/// One line of the ATT report.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct AttLine {
    /// The ATT category (SALW subcategory), `null` for items registered without one.
    pub category: Option<crate::model::AttCategory>,
    /// The importing state of an export, the exporting state of an import (ISO 3166-1
    /// alpha-2).
    pub partner_state: String,
    /// Number of items.
    pub quantity: u64,
    /// Their types as registered (free text beside the category), distinct, sorted.
    pub types: Vec<String>,
}

/// The destructions of a period, and totals by month, site and method.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct DestructionReport {
    /// First day of the period.
    pub from: crate::model::Date,
    /// Last day of the period (included).
    pub to: crate::model::Date,
    /// Each destruction, in append order.
    pub destructions: Vec<DestructionRecord>,
    /// Totals by month (`YYYY-MM`), site and method.
    pub totals: Vec<DestructionTotal>,
}

/// One destruction as recorded.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct DestructionRecord {
    /// The `destruction` event.
    pub event: EventId,
    /// When it happened.
    pub at: Timestamp,
    /// Who recorded it (the destroyer).
    pub recorded_by: ActorId,
    /// Where.
    pub site: SiteId,
    /// Whose stock.
    pub custodian: ActorId,
    /// Method, as free text.
    pub method: String,
    /// The method's steps from the vocabulary, in order (format version 2; empty before).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<crate::model::DestructionMethod>,
    /// Destruction certificate.
    pub certificate: String,
    /// The `destruction_authorisation` event.
    pub authorisation: EventId,
    /// Its order or judicial decision number.
    pub authorisation_reference: String,
    /// Who authorised.
    pub authorised_by: ActorId,
    /// The witnesses and the agencies they represent.
    pub witnesses: Vec<crate::model::Witness>,
    /// Items destroyed.
    pub items: Vec<crate::model::ItemId>,
    /// Lot quantities destroyed.
    pub lots: Vec<crate::model::LotQuantity>,
}

/// Destructions in one month at one site by one method.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct DestructionTotal {
    /// `YYYY-MM`.
    pub month: String,
    /// The site.
    pub site: SiteId,
    /// The method: its steps joined by `+` (format version 2, e.g. `cutting+melting`), or
    /// its free text (version 1).
    pub method: String,
    /// Destruction events.
    pub destructions: u64,
    /// Items destroyed.
    pub items: u64,
    /// Units of lots destroyed.
    pub lot_units: u64,
}

/// A registered actor.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ActorRecord {
    /// Its id.
    pub id: ActorId,
    /// Agency, unit or person.
    pub kind: crate::model::ActorKind,
    /// Its name.
    pub name: String,
    /// The unit or agency it belongs to.
    pub member_of: Option<ActorId>,
    /// Its roles.
    pub roles: Vec<crate::model::Role>,
    /// Its keys that still sign.
    pub active_keys: Vec<PublicKey>,
    /// Its revoked keys.
    pub revoked_keys: Vec<PublicKey>,
}

/// A registered site.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct SiteRecord {
    /// Its id.
    pub id: SiteId,
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: crate::model::SiteKind,
    /// The enclosing site.
    pub parent: Option<SiteId>,
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
    /// Licensed net explosive quantity, grams.
    pub licensed_neq_grams: Option<i64>,
}

pub use crate::ledger::RuleWarning;

/// One appended event.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Appended {
    /// Position in the ledger.
    pub index: u64,
    /// The event id.
    pub id: EventId,
    /// Warnings from the rules in force.
    pub warnings: Vec<RuleWarning>,
}

/// The outcome of an append.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct AppendReport {
    /// Each appended event, in order.
    pub events: Vec<Appended>,
    /// Events in the ledger after the append.
    pub ledger_len: u64,
    /// The tree head signed after the append.
    pub tree_head: TreeHead,
}

/// A signed tree head: the Merkle root of the first `size` events, signed by the log key.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct TreeHead {
    /// Number of events covered.
    pub size: u64,
    /// RFC 9162 root hash.
    pub root: Digest,
    /// The log's public key.
    pub key: PublicKey,
    /// The log's origin, the first line of the checkpoint.
    pub origin: String,
    /// Ed25519 signature by the log key over `checkpoint`, hex.
    pub signature: String,
    /// The C2SP checkpoint body that is signed: origin, size and base64 root, one per line.
    pub checkpoint: String,
}

/// An inclusion proof (RFC 9162 §2.1.3).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct InclusionProof {
    /// The event.
    pub event: EventId,
    /// Its position, the leaf index.
    pub leaf_index: u64,
    /// The tree size proven against.
    pub tree_size: u64,
    /// `SHA-256(0x00 || id)`.
    pub leaf_hash: Digest,
    /// The root of that tree.
    pub root: Digest,
    /// Sibling hashes, nearest the leaf first.
    pub path: Vec<Digest>,
}

impl InclusionProof {
    /// Checks the proof against its root (an auditor's check; needs nothing but hashes).
    pub fn verify(&self) -> bool {
        let path: Vec<[u8; 32]> = self.path.iter().map(|d| *d.as_bytes()).collect();
        crate::merkle::leaf_hash(&self.event) == *self.leaf_hash.as_bytes()
            && crate::merkle::verify_inclusion(
                self.leaf_hash.as_bytes(),
                self.leaf_index,
                self.tree_size,
                &path,
                self.root.as_bytes(),
            )
    }
}

/// A consistency proof (RFC 9162 §2.1.4).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ConsistencyProof {
    /// The older tree size.
    pub first: u64,
    /// The newer tree size.
    pub second: u64,
    /// The older root.
    pub first_root: Digest,
    /// The newer root.
    pub second_root: Digest,
    /// The proof's hashes.
    pub path: Vec<Digest>,
}

impl ConsistencyProof {
    /// Checks the proof between its two roots.
    pub fn verify(&self) -> bool {
        let path: Vec<[u8; 32]> = self.path.iter().map(|d| *d.as_bytes()).collect();
        crate::merkle::verify_consistency(
            self.first,
            self.second,
            self.first_root.as_bytes(),
            self.second_root.as_bytes(),
            &path,
        )
    }
}

/// The outcome of a verification. `failure` names the first problem, with its code, the
/// event's position in the ledger, its id and the field.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct VerifyReport {
    /// Whether everything verified.
    pub ok: bool,
    /// Events that verified.
    pub events: u64,
    /// Tree heads whose root and signature were checked.
    pub tree_heads: u64,
    /// Digest of the state re-derived from the events (equal ledgers have equal digests).
    pub state_digest: Digest,
    /// The first problem.
    pub failure: Option<Error>,
}

/// A node of the custody graph.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub struct GraphNode {
    /// `CUSTODIAN@SITE` for a holding, `registered`, or a sink (`sink:destroyed`).
    pub name: String,
    /// `holding`, `source` or `sink`.
    pub role: String,
}

/// An edge of the custody graph: how many events moved stock from one node to another.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub struct GraphEdge {
    /// Where stock came from.
    pub from: String,
    /// Where it went.
    pub to: String,
    /// `register`, `transfer`, `destruction`, `loss`, `recovery`.
    pub kind: String,
    /// Number of events.
    pub events: u64,
}

/// Holdings and the movements between them.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct CustodyGraph {
    /// The nodes, by name.
    pub nodes: Vec<GraphNode>,
    /// The edges, by (from, to, kind).
    pub edges: Vec<GraphEdge>,
}

impl CustodyGraph {
    /// Graphviz DOT text.
    pub fn to_dot(&self) -> String {
        let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut text = String::from("digraph custody {\n  rankdir=LR;\n  node [shape=box];\n");
        for node in &self.nodes {
            let shape = if node.role == "holding" {
                "box"
            } else {
                "ellipse"
            };
            text.push_str(&format!("  \"{}\" [shape={shape}];\n", quote(&node.name)));
        }
        for e in &self.edges {
            text.push_str(&format!(
                "  \"{}\" -> \"{}\" [label=\"{} ×{}\"];\n",
                quote(&e.from),
                quote(&e.to),
                quote(&e.kind),
                e.events
            ));
        }
        text.push_str("}\n");
        text
    }
}

/// The ledger at a glance.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Summary {
    /// Events.
    pub events: u64,
    /// Registered actors.
    pub actors: u64,
    /// Registered sites.
    pub sites: u64,
    /// Lots ever registered or formed.
    pub lots: u64,
    /// Serialized items ever registered.
    pub items: u64,
    /// Of those, destroyed.
    pub items_destroyed: u64,
    /// Lot units in holdings.
    pub units_held: i64,
    /// Lot units in transit.
    pub units_in_transit: i64,
    /// Lot units destroyed.
    pub units_destroyed: i64,
    /// Lot units reported lost.
    pub units_lost: i64,
    /// Lot units reported stolen.
    pub units_stolen: i64,
    /// Lot units in discrepancy accounts under investigation (shortfalls less overages).
    pub units_in_discrepancy: i64,
    /// Open transfers (dispatched, not received).
    pub open_transfers: u64,
    /// When the first event happened.
    pub first_event_at: Option<Timestamp>,
    /// When the latest event (by date, not position) happened.
    pub last_event_at: Option<Timestamp>,
    /// The rules in force.
    pub rules_in_force: Vec<RuleRef>,
    /// The latest tree head.
    pub tree_head: TreeHead,
}

/// Weapons issued to a person and still out after the end of their issue period.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct OverdueIssue {
    /// The `weapon_issue` event.
    pub issue: EventId,
    /// The person they were issued to.
    pub person: ActorId,
    /// The armoury site.
    pub site: SiteId,
    /// The armoury's custodian.
    pub custodian: ActorId,
    /// The weapons still out, by id.
    pub items: Vec<crate::model::ItemId>,
    /// When they were issued.
    pub issued_at: Timestamp,
    /// When the issue period ended.
    pub due: Timestamp,
}

/// An ammunition lot whose next surveillance inspection is due (or overdue) at a given time,
/// with units still on the books.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct LotDueInspection {
    /// The lot.
    pub lot: LotId,
    /// Its nomenclature.
    pub nomenclature: String,
    /// Its manufacturer's lot number.
    pub lot_number: String,
    /// The day (or month) its next inspection is due.
    pub next_inspection: crate::model::Date,
    /// Whether that day had passed (not only begun) at the time asked about.
    pub overdue: bool,
    /// The day of its last inspection, if it was inspected on this ledger.
    pub last_inspection: Option<crate::model::Date>,
    /// The condition code its last inspection gave.
    pub condition_code: Option<crate::model::ConditionCode>,
    /// Its condition now.
    pub condition: Condition,
    /// Units held, in transit or under investigation (not consumed, destroyed or gone).
    pub units: i64,
    /// The sites holding its units.
    pub sites: Vec<SiteId>,
}

/// Net explosive quantity at a site for one hazard division, in milligrams: what the site's
/// holdings hold (lots: units × milligrams per unit; serialized munitions: their own), and the
/// same summed over the site and every site under it (`parent` links), so a depot's figure
/// includes its magazines'.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct NeqTotal {
    /// The site.
    pub site: SiteId,
    /// The hazard division (none: explosive content of unclassified stock).
    pub hazard_division: Option<HazardDivision>,
    /// Held at the site itself, milligrams.
    pub neq_mg: i64,
    /// Held at the site and every site under it, milligrams.
    pub neq_mg_with_sub_sites: i64,
}
