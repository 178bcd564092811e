//! The interface to national rule plugins: the [`RuleEngine`] trait the `custodia-plugins`
//! crate implements, and the input document it is given for each event (plugin ABI version 1,
//! `docs/PLUGIN_ABI.md`): the event and the slice of ledger state a national rule needs.

use serde_json::{Map, Value, json};

use crate::error::{Error, ErrorKind, Result};
use crate::ledger::SignedEvent;
use crate::ledger::account::{Account, Stock};
use crate::ledger::kinds::Body;
use crate::ledger::plan::Plan;
use crate::ledger::state::State;
use crate::model::{LotId, QUANTITY_MAX, RuleRef, StockStatus};

/// A warning a rule plugin gave on an event it allowed.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct RuleWarning {
    /// The plugin's name.
    pub rule: String,
    /// Its stable code.
    pub code: String,
    /// Its message.
    pub message: String,
}

/// A rule plugin's refusal or failure.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RuleOutcome {
    /// The rule refused the event.
    Denied {
        /// Rule name.
        rule: String,
        /// Stable code.
        code: String,
        /// Message.
        message: String,
    },
    /// The rule could not be run.
    Failed {
        /// Rule name.
        rule: String,
        /// How it failed.
        failure: crate::error::RuleFailure,
        /// What the host reported.
        detail: String,
    },
}

/// Judges events against the rule plugins in force. `core` knows nothing of WASM: the
/// `custodia-plugins` crate implements this trait (`RuleSet`).
pub trait RuleEngine: Send + Sync {
    /// Runs every rule in `rules`, in order, on `input` (the ABI's input document). Returns the
    /// warnings of all rules when all allow, or the first refusal or failure.
    fn judge(&self, rules: &[RuleRef], input: &Value) -> Result<Vec<RuleWarning>, RuleOutcome>;

    /// As [`RuleEngine::judge`], for plugins that may ask the ledger questions (plugin ABI
    /// version 2): `queries` answers them from the state just before the judged event. The
    /// ledger calls this one; an engine without ABI version 2 plugins need not implement it.
    fn judge_queried(
        &self,
        rules: &[RuleRef],
        input: &Value,
        queries: &dyn crate::ledger::RuleQueries,
    ) -> Result<Vec<RuleWarning>, RuleOutcome> {
        let _ = queries;
        self.judge(rules, input)
    }
}

/// Accepts every event as the rules in force judged it when it was appended. For replaying
/// events a writer already judged (reopening a ledger, catching up with another writer,
/// migrating, signing a batch); verification runs the real plugins instead.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RecordedVerdicts;

impl RuleEngine for RecordedVerdicts {
    fn judge(&self, _rules: &[RuleRef], _input: &Value) -> Result<Vec<RuleWarning>, RuleOutcome> {
        Ok(Vec::new())
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| {
        Error::new(ErrorKind::Internal {
            detail: format!("building the rule input: {e}"),
        })
    })
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        // Every value given here is a struct, which serialises to an object.
        _ => Map::new(),
    }
}

/// A sum of explosive content as a JSON integer, or the overflow error.
fn grams(event: &SignedEvent, value: i128) -> Result<Value> {
    i64::try_from(value).map(Value::from).map_err(|_| {
        Error::new(ErrorKind::QuantityOverflow { max: QUANTITY_MAX })
            .for_event(event.id)
            .at_field("")
    })
}

/// The stock's current `condition` and `disposition`, and `status`, their reading in the
/// vocabulary of format version 1 (rules written for version 1 keep working).
fn insert_status(map: &mut serde_json::Map<String, Value>, status: StockStatus) {
    map.insert("status".into(), json!(status.legacy().as_str()));
    map.insert("condition".into(), json!(status.condition.as_str()));
    map.insert("disposition".into(), json!(status.disposition.as_str()));
}

fn lot_json(state: &State, plan: &Plan<'_>, id: &LotId) -> Result<Value> {
    let created = plan.fx.created_lots.iter().find(|l| &l.lot.id == id);
    let Some(lot) = created.or_else(|| state.lots.get(id)) else {
        return Ok(Value::Null);
    };
    // Units this event moves of the lot: the largest single posting, which for every kind is
    // the quantity the event names (registrations, transfers, destruction).
    let moved: u64 = plan
        .fx
        .postings
        .iter()
        .filter(|p| p.stock == Stock::Lot(id.clone()))
        .map(|p| p.quantity)
        .max()
        .unwrap_or(0);
    let mut map = object(to_json(&lot.lot)?);
    map.remove("quantity");
    map.insert("quantity_total".into(), json!(lot.lot.quantity.get()));
    insert_status(&mut map, lot.status);
    map.insert("origin".into(), to_json(&lot.origin)?);
    map.insert("registered_at".into(), json!(lot.registered_at.as_str()));
    // Format version 2: what a split or merged lot was formed from, and a mixed lot's approval.
    if !lot.provenance.is_empty() {
        map.insert("provenance".into(), to_json(&lot.provenance)?);
    }
    if let Some(mixed) = &lot.mixed {
        map.insert("mixed_lot_approval".into(), to_json(mixed)?);
    }
    map.insert("moved".into(), json!(moved));
    Ok(Value::Object(map))
}

/// Builds the plugin input for an event that passed every ledger check.
pub(crate) fn rule_input(state: &State, plan: &Plan<'_>, signed: &SignedEvent) -> Result<Value> {
    let event: Value = serde_json::from_str(signed.to_json()).map_err(|e| {
        Error::new(ErrorKind::Internal {
            detail: format!("re-reading an event: {e}"),
        })
    })?;
    // An actor as rules see it: its kind (person, unit, agency), agency and roles.
    let actor_json = |a: &crate::model::ActorId| -> Result<Value> {
        let (kind, roles) = match state.actors.get(a) {
            Some(s) => (to_json(&s.actor.kind)?, to_json(&s.actor.roles)?),
            None => (Value::Null, json!([])),
        };
        Ok(json!({"actor": a, "kind": kind, "agency": state.agency_of(a), "roles": roles}))
    };
    let mut signers = Vec::new();
    for a in state.signers(signed) {
        signers.push(actor_json(&a)?);
    }
    let recorder = actor_json(&signed.event.actor)?;
    let mut items = Vec::new();
    let mut lots = Vec::new();
    for stock in plan.all_stocks() {
        match &stock {
            Stock::Item(id) => {
                let created = plan.fx.created_items.iter().find(|i| &i.item.id == id);
                if let Some(item) = created.or_else(|| state.item(id)) {
                    let mut map = object(to_json(&item.item)?);
                    map.insert("origin".into(), to_json(&item.origin)?);
                    map.insert("registered_at".into(), json!(item.registered_at.as_str()));
                    insert_status(&mut map, item.status);
                    let holder = match &item.location {
                        Account::Holding { site, custodian } => {
                            json!({"site": site, "custodian": custodian})
                        }
                        _ => Value::Null,
                    };
                    map.insert("holder".into(), holder);
                    if !item.marks.is_empty() {
                        map.insert("marks".into(), to_json(&item.marks)?);
                    }
                    items.push(Value::Object(map));
                }
            }
            Stock::Lot(id) => lots.push(lot_json(state, plan, id)?),
        }
    }
    let site = match plan
        .focus_site
        .as_ref()
        .and_then(|id| state.sites.get(id).map(|s| (id, s)))
    {
        None => Value::Null,
        Some((site_id, s)) => {
            let mut holdings = Vec::new();
            let mut before: i128 = 0;
            for (_, stock, units) in state.holdings_at(site_id) {
                if let Stock::Lot(lot_id) = stock
                    && let Some(lot) = state.lots.get(lot_id)
                {
                    before += i128::from(lot.lot.neq_grams_per_unit.get()) * units;
                    holdings.push(json!({
                        "lot": lot_id,
                        "quantity": grams(signed, units)?,
                        "hazard": lot.lot.hazard,
                        "neq_grams_per_unit": lot.lot.neq_grams_per_unit,
                    }));
                }
            }
            let mut after = before;
            for posting in &plan.fx.postings {
                let Stock::Lot(lot_id) = &posting.stock else {
                    continue;
                };
                let neq = plan
                    .fx
                    .created_lots
                    .iter()
                    .find(|l| &l.lot.id == lot_id)
                    .or_else(|| state.lots.get(lot_id))
                    .map_or(0, |l| l.lot.neq_grams_per_unit.get());
                let g = i128::from(neq) * i128::from(posting.quantity);
                if matches!(&posting.to, Account::Holding { site, .. } if site == site_id) {
                    after += g;
                }
                if matches!(&posting.from, Account::Holding { site, .. } if site == site_id) {
                    after -= g;
                }
            }
            let mut map = object(to_json(&s.site)?);
            map.insert("holdings_before".into(), Value::Array(holdings));
            map.insert("neq_grams_before".into(), grams(signed, before)?);
            map.insert("neq_grams_after".into(), grams(signed, after)?);
            Value::Object(map)
        }
    };
    let authorisation = match &signed.event.body {
        Body::Destruction(d) => match state.authorisations.get(&d.authorisation) {
            Some(a) => {
                let mut map = object(json!({
                    "id": d.authorisation,
                    "reference": a.reference,
                    "actor": a.actor,
                    "at": a.at.as_str(),
                    "items": a.items,
                    "lots": a.lots.iter().map(|(lot, q)| json!({"lot": lot, "quantity": q})).collect::<Vec<_>>(),
                    "methods": a.methods,
                }));
                // Format version 2's members, only when the authorisation has them, so that
                // the input of a version-1 destruction is what it was.
                if !a.steps.is_empty() {
                    map.insert("steps".into(), to_json(&a.steps)?);
                }
                if let Some(site) = &a.site {
                    map.insert("site".into(), json!(site));
                }
                if let Some(expires_at) = &a.expires_at {
                    map.insert("expires_at".into(), json!(expires_at.as_str()));
                }
                Value::Object(map)
            }
            None => Value::Null,
        },
        _ => Value::Null,
    };
    // Where a transfer goes (the plugins' view of the addressee's site, e.g. a laboratory).
    let destination = match &signed.event.body {
        Body::TransferDispatch(d) => match state.sites.get(&d.to.site) {
            Some(s) => to_json(&s.site)?,
            None => Value::Null,
        },
        _ => Value::Null,
    };
    Ok(json!({
        "abi": 1,
        "event": event,
        "actor": recorder,
        "signers": signers,
        "items": items,
        "lots": lots,
        "site": site,
        "authorisation": authorisation,
        "destination": destination,
    }))
}
