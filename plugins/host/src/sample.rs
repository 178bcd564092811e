//! Canned answers to the ABI v2 host queries, for samples judged without a ledger
//! (`custodia rules test`, rule authors' tests). A sample is an input document; one that a
//! plugin of ABI version 2 judges may carry, beside the input's members, a member `"host"`
//! giving what the ledger answers (`docs/PLUGIN_ABI.md`, "Samples of version 2 rules"):
//!
//! ```json
//! "host": {
//!   "last_full_count": {"depot:north": {"event": "<64 hex>", "at": "2026-01-05T09:00:00Z", "days": 40},
//!                       "depot:south": null},
//!   "site_holdings": {"depot:north": [{"division": "1.1", "units": 400, "neq_grams": 80000}]},
//!   "markings": [{"manufacturer": "Kalashnikov", "serial": "00123", "item": "item:ak-00123"}],
//!   "days_since_seizure": {"item:ak-00123": 12, "item:other": null},
//!   "days_since_inspection": {"lot:762-044": 400}
//! }
//! ```
//!
//! A subject (site, item, lot) named with a value is registered with that answer; named with
//! `null`, registered with no answer (never counted, not under a hold, never inspected); not
//! named, not registered. A marking not listed is not registered; markings are compared as
//! the ledger compares them (spaces removed, case folded).

use std::collections::BTreeMap;

use custodia::rules::{Answer, DivisionHolding, FullCount, RuleQueries};
use custodia::{EventId, ItemId, Timestamp};
use serde_json::Value;

/// The member of a sample document that holds the canned answers.
pub const SAMPLE_HOST_MEMBER: &str = "host";

/// Canned answers to the host queries (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleQueries {
    counts: BTreeMap<String, Option<FullCount>>,
    holdings: BTreeMap<String, Vec<DivisionHolding>>,
    markings: Vec<(Option<String>, String, ItemId)>,
    seizures: BTreeMap<String, Option<i64>>,
    inspections: BTreeMap<String, Option<i64>>,
}

/// Marking text as the ledger compares it: spaces removed, case folded.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

fn object<'v>(
    host: &'v serde_json::Map<String, Value>,
    member: &str,
) -> Result<Option<&'v serde_json::Map<String, Value>>, String> {
    match host.get(member) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(format!("`host.{member}` is not an object")),
    }
}

fn days_map(
    host: &serde_json::Map<String, Value>,
    member: &str,
) -> Result<BTreeMap<String, Option<i64>>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in object(host, member)?.into_iter().flatten() {
        let days = match v {
            Value::Null => None,
            v => Some(
                v.as_i64()
                    .ok_or_else(|| format!("`host.{member}.{k}` is not an integer or null"))?,
            ),
        };
        out.insert(k.clone(), days);
    }
    Ok(out)
}

impl SampleQueries {
    /// Reads the `"host"` member of a sample.
    pub fn from_json(host: &Value) -> Result<Self, String> {
        let Value::Object(host) = host else {
            return Err("`host` is not an object".into());
        };
        const MEMBERS: [&str; 5] = [
            "last_full_count",
            "site_holdings",
            "markings",
            "days_since_seizure",
            "days_since_inspection",
        ];
        if let Some(k) = host.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(format!("`host.{k}` is not a query"));
        }
        let mut q = SampleQueries::default();
        for (site, v) in object(host, "last_full_count")?.into_iter().flatten() {
            let bad = || {
                format!(
                    "`host.last_full_count.{site}` is not {{\"event\", \"at\", \"days\"}} or null"
                )
            };
            let count = match v {
                Value::Null => None,
                Value::Object(c) => Some(FullCount {
                    event: c
                        .get("event")
                        .and_then(Value::as_str)
                        .and_then(|e| EventId::from_hex(e).ok())
                        .ok_or_else(bad)?,
                    at: c
                        .get("at")
                        .and_then(Value::as_str)
                        .and_then(|t| Timestamp::parse(t).ok())
                        .ok_or_else(bad)?,
                    days: c.get("days").and_then(Value::as_i64).ok_or_else(bad)?,
                }),
                _ => return Err(bad()),
            };
            q.counts.insert(site.clone(), count);
        }
        for (site, v) in object(host, "site_holdings")?.into_iter().flatten() {
            let bad = || {
                format!(
                    "`host.site_holdings.{site}` is not a list of {{\"division\", \"units\", \"neq_grams\"}}"
                )
            };
            let rows = v.as_array().ok_or_else(bad)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(DivisionHolding {
                    division: row
                        .get("division")
                        .and_then(Value::as_str)
                        .ok_or_else(bad)?
                        .to_owned(),
                    units: row.get("units").and_then(Value::as_u64).ok_or_else(bad)?,
                    neq_grams: row
                        .get("neq_grams")
                        .and_then(Value::as_u64)
                        .ok_or_else(bad)?,
                });
            }
            q.holdings.insert(site.clone(), out);
        }
        match host.get("markings") {
            None => {}
            Some(Value::Array(list)) => {
                for (i, m) in list.iter().enumerate() {
                    let bad = || {
                        format!(
                            "`host.markings[{i}]` is not {{\"manufacturer\"?, \"serial\", \"item\"}}"
                        )
                    };
                    let serial = m.get("serial").and_then(Value::as_str).ok_or_else(bad)?;
                    let item = m
                        .get("item")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse::<ItemId>().ok())
                        .ok_or_else(bad)?;
                    let manufacturer = match m.get("manufacturer") {
                        None | Some(Value::Null) => None,
                        Some(Value::String(s)) => Some(normalise(s)),
                        Some(_) => return Err(bad()),
                    };
                    q.markings.push((manufacturer, normalise(serial), item));
                }
            }
            Some(_) => return Err("`host.markings` is not a list".into()),
        }
        q.seizures = days_map(host, "days_since_seizure")?;
        q.inspections = days_map(host, "days_since_inspection")?;
        Ok(q)
    }
}

/// Splits a sample into the input document and its canned answers (`None` when it has no
/// `"host"` member).
pub fn split_sample(mut doc: Value) -> Result<(Value, Option<SampleQueries>), String> {
    let host = match &mut doc {
        Value::Object(map) => map.remove(SAMPLE_HOST_MEMBER),
        _ => None,
    };
    let queries = host.as_ref().map(SampleQueries::from_json).transpose()?;
    Ok((doc, queries))
}

fn answer_of<T: Clone>(map: &BTreeMap<String, Option<T>>, key: &str) -> Answer<T> {
    match map.get(key) {
        Some(Some(v)) => Answer::Found(v.clone()),
        Some(None) => Answer::Missing,
        None => Answer::NotRegistered,
    }
}

impl RuleQueries for SampleQueries {
    fn last_full_count(&self, site: &str) -> Answer<FullCount> {
        answer_of(&self.counts, site)
    }

    fn site_holdings(&self, site: &str) -> Answer<Vec<DivisionHolding>> {
        match self.holdings.get(site) {
            Some(h) => Answer::Found(h.clone()),
            None => Answer::NotRegistered,
        }
    }

    fn marking_registered(&self, manufacturer: Option<&str>, serial: &str) -> Option<ItemId> {
        let serial = normalise(serial);
        let manufacturer = manufacturer.map(normalise);
        self.markings
            .iter()
            .find(|(m, s, _)| {
                s == &serial
                    && manufacturer
                        .as_deref()
                        .is_none_or(|want| m.as_deref() == Some(want))
            })
            .map(|(_, _, item)| item.clone())
    }

    fn days_since_seizure(&self, item: &str) -> Answer<i64> {
        answer_of(&self.seizures, item)
    }

    fn days_since_inspection(&self, lot: &str) -> Answer<i64> {
        answer_of(&self.inspections, lot)
    }
}
