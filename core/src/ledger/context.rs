//! The input document given to rule plugins (plugin ABI version 1, `docs/PLUGIN_ABI.md`): the
//! event and the slice of ledger state a national rule needs to judge it.

use serde_json::{Value, json};

use crate::event::{Body, SignedEvent};
use crate::ledger::account::{Account, Stock};
use crate::ledger::apply::Plan;
use crate::ledger::state::State;

fn lot_json(state: &State, plan: &Plan<'_>, stock_id: &crate::model::LotId) -> Value {
    let created = plan.created_lots.iter().find(|l| &l.lot.id == stock_id);
    let Some(lot) = created.or_else(|| state.lot(stock_id)) else {
        return Value::Null;
    };
    // Units this event moves of the lot: the largest single posting, which for every kind is
    // the quantity the event names (registrations, transfers, destruction).
    let moved: u64 = plan
        .postings
        .iter()
        .filter(|p| p.stock == Stock::Lot(stock_id.clone()))
        .map(|p| p.quantity)
        .max()
        .unwrap_or(0);
    let mut v = serde_json::to_value(&lot.lot).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.remove("quantity");
        map.insert("quantity_total".into(), json!(lot.lot.quantity.get()));
        map.insert(
            "status".into(),
            serde_json::to_value(lot.status).unwrap_or(Value::Null),
        );
        map.insert(
            "origin".into(),
            serde_json::to_value(&lot.origin).unwrap_or(Value::Null),
        );
        map.insert("registered_at".into(), json!(lot.registered_at.as_str()));
        map.insert("moved".into(), json!(moved));
    }
    v
}

/// Builds the plugin input for an event that passed every ledger check.
pub(crate) fn rule_input(state: &State, plan: &Plan<'_>, signed: &SignedEvent) -> Value {
    let event = signed.to_value().unwrap_or(Value::Null);
    let signers: Vec<Value> = state
        .signers(signed)
        .iter()
        .map(|a| {
            let roles = state
                .actor(a)
                .map(|s| serde_json::to_value(&s.actor.roles).unwrap_or(Value::Null))
                .unwrap_or(json!([]));
            json!({"actor": a, "agency": state.agency_of(a), "roles": roles})
        })
        .collect();
    let mut items = Vec::new();
    let mut lots = Vec::new();
    let stocks = plan.all_stocks();
    for stock in stocks {
        match &stock {
            Stock::Item(id) => {
                let created = plan.created_items.iter().find(|i| &i.item.id == id);
                if let Some(item) = created.or_else(|| state.item(id)) {
                    let mut v = serde_json::to_value(&item.item).unwrap_or(Value::Null);
                    if let Value::Object(map) = &mut v {
                        map.insert(
                            "origin".into(),
                            serde_json::to_value(&item.origin).unwrap_or(Value::Null),
                        );
                        map.insert("registered_at".into(), json!(item.registered_at.as_str()));
                        map.insert(
                            "status".into(),
                            serde_json::to_value(item.status).unwrap_or(Value::Null),
                        );
                        let holder = match &item.location {
                            Account::Holding { site, custodian } => {
                                json!({"site": site, "custodian": custodian})
                            }
                            _ => Value::Null,
                        };
                        map.insert("holder".into(), holder);
                    }
                    items.push(v);
                }
            }
            Stock::Lot(id) => lots.push(lot_json(state, plan, id)),
        }
    }
    let site = plan.focus_site.as_ref().and_then(|site_id| state.site(site_id).map(|s| (site_id, s))).map(|(site_id, s)| {
        let mut holdings = Vec::new();
        let mut before: i128 = 0;
        for (_, stock, units) in state.holdings_at(site_id) {
            if let Stock::Lot(lot_id) = stock
                && let Some(lot) = state.lot(lot_id) {
                    let neq = i128::from(lot.lot.neq_grams_per_unit.get());
                    before += neq * units;
                    holdings.push(json!({"lot": lot_id, "quantity": units as i64, "hazard": lot.lot.hazard, "neq_grams_per_unit": lot.lot.neq_grams_per_unit}));
                }
        }
        let mut after = before;
        for posting in &plan.postings {
            let Stock::Lot(lot_id) = &posting.stock else { continue };
            let neq = plan.created_lots.iter().find(|l| &l.lot.id == lot_id).map(|l| l.lot.neq_grams_per_unit.get()).or_else(|| state.lot(lot_id).map(|l| l.lot.neq_grams_per_unit.get())).unwrap_or(0);
            let grams = i128::from(neq) * i128::from(posting.quantity);
            if matches!(&posting.to, Account::Holding { site, .. } if site == site_id) {
                after += grams;
            }
            if matches!(&posting.from, Account::Holding { site, .. } if site == site_id) {
                after -= grams;
            }
        }
        let mut v = serde_json::to_value(&s.site).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut v {
            map.insert("holdings_before".into(), Value::Array(holdings));
            map.insert("neq_grams_before".into(), json!(before as i64));
            map.insert("neq_grams_after".into(), json!(after as i64));
        }
        v
    });
    let authorisation = match &signed.event.body {
        Body::Destruction { authorisation, .. } => state.authorisations().get(authorisation).map(|a| {
            json!({
                "id": authorisation,
                "reference": a.reference,
                "at": a.at.as_str(),
                "items": a.items,
                "lots": a.lots.iter().map(|(lot, q)| json!({"lot": lot, "quantity": q})).collect::<Vec<_>>(),
                "methods": a.methods,
            })
        }),
        _ => None,
    };
    json!({
        "abi": 1,
        "event": event,
        "signers": signers,
        "items": items,
        "lots": lots,
        "site": site,
        "authorisation": authorisation,
    })
}
