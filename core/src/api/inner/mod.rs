//! What stands behind [`crate::Ledger`]: the store, the log key, the rule engine, and the
//! computations that are the same for every binding (signing batches, the custody graph,
//! summaries, stock totals).

use std::cell::{RefCell, RefMut};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::api::{HeadSigner, Options};
use crate::envelope::Signer;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::SignatureCheck;
use crate::ledger::{Event, SignedEvent};
use crate::model::{Digest, EventId, LotId, PublicKey};
use crate::rows::*;
use crate::rules::RuleEngine;
use crate::store::{BATCH_EVENTS_MAX, Store};

mod graph;
mod input;
mod migrate;
mod reports;
mod trust;

pub use input::BATCH_BYTES_MAX;
pub(crate) use migrate::migrate;

/// Longest JSON line accepted as input, in bytes (an event is at most 1 MiB).
pub(crate) const INPUT_LINE_BYTES_MAX: usize = crate::envelope::EVENT_BYTES_MAX;

pub(crate) struct Inner {
    path: Option<PathBuf>,
    // Copies of what never changes, readable while the store is in use by a callback.
    log_key: PublicKey,
    origin: String,
    store: RefCell<Store>,
    signer: Option<Arc<dyn HeadSigner>>,
    rules: Option<Arc<dyn RuleEngine>>,
    future_secs_max: i64,
    receipt_excess_percent_max: u64,
}

fn limits(options: &Options) -> (i64, u64) {
    (
        options
            .future_secs_max
            .unwrap_or(crate::api::FUTURE_SECS_MAX_DEFAULT),
        options
            .receipt_excess_percent_max
            .unwrap_or(crate::api::RECEIPT_EXCESS_PERCENT_MAX_DEFAULT),
    )
}

/// The default origin of a ledger created without one: names the log by its key.
fn default_origin(key: &PublicKey) -> String {
    let hex = key.to_hex();
    format!("custodia.invalid/{}", hex.get(..16).unwrap_or(&hex))
}

impl Inner {
    pub(crate) fn create(path: Option<&Path>, options: Options) -> Result<Inner> {
        let signer: Arc<dyn HeadSigner> = match (&options.log_signer, path) {
            (Some(s), _) => s.clone(),
            (None, None) => Arc::new(Signer::generate()),
            (None, Some(_)) => {
                return Err(ErrorKind::InvalidArgument {
                    argument: "log key".into(),
                    value: String::new(),
                    reason: "a new ledger needs the log key that will sign its tree heads".into(),
                }
                .into());
            }
        };
        let key = signer.public_key();
        let origin = options
            .origin
            .clone()
            .unwrap_or_else(|| default_origin(&key));
        let store = Store::create(path, key, &origin)?;
        if let Err(e) = crate::store::write_empty_head(&store.db, signer.as_ref()) {
            drop(store);
            // Nothing half-created: the file holds no signed head, remove it.
            if let Some(p) = path {
                let _ = std::fs::remove_file(p);
                for suffix in ["-wal", "-shm"] {
                    let mut side = p.as_os_str().to_owned();
                    side.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(side));
                }
            }
            return Err(e);
        }
        let (future_secs_max, receipt_excess_percent_max) = limits(&options);
        Ok(Inner {
            path: path.map(Path::to_path_buf),
            log_key: store.db.log_key,
            origin: store.db.origin.clone(),
            store: RefCell::new(store),
            signer: Some(signer),
            rules: options.rules,
            future_secs_max,
            receipt_excess_percent_max,
        })
    }

    pub(crate) fn open(path: &Path, options: Options) -> Result<Inner> {
        let read_only = options.read_only || options.log_signer.is_none();
        let store = Store::open(path, read_only)?;
        if let Some(s) = &options.log_signer
            && s.public_key() != store.db.log_key
        {
            return Err(ErrorKind::InvalidArgument {
                argument: "log key".into(),
                value: s.public_key().to_hex(),
                reason: format!(
                    "this ledger's tree heads are signed by `{}`",
                    store.db.log_key
                ),
            }
            .into());
        }
        let (future_secs_max, receipt_excess_percent_max) = limits(&options);
        Ok(Inner {
            path: Some(path.to_path_buf()),
            log_key: store.db.log_key,
            origin: store.db.origin.clone(),
            store: RefCell::new(store),
            signer: if options.read_only {
                None
            } else {
                options.log_signer
            },
            rules: options.rules,
            future_secs_max,
            receipt_excess_percent_max,
        })
    }

    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The store, or an error when a call is made from inside a callback of another call.
    fn store(&self) -> Result<RefMut<'_, Store>> {
        self.store.try_borrow_mut().map_err(|_| {
            Error::new(ErrorKind::InvalidArgument {
                argument: "ledger".into(),
                value: self
                    .path
                    .as_deref()
                    .map_or(":memory:".into(), |p| p.display().to_string()),
                reason:
                    "the ledger is in use by a call in progress (a callback called back into it)"
                        .into(),
            })
        })
    }

    pub(crate) fn len(&self) -> Result<u64> {
        crate::store::log::len(&self.store()?.db)
    }

    pub(crate) fn log_key(&self) -> PublicKey {
        self.log_key
    }

    pub(crate) fn origin(&self) -> String {
        self.origin.clone()
    }

    pub(crate) fn is_writable(&self) -> bool {
        // Read-only stores are opened without a signer (`open`), so the signer decides.
        self.signer.is_some()
    }

    pub(crate) fn set_rules(&mut self, engine: Option<Arc<dyn RuleEngine>>) {
        self.rules = engine;
    }

    fn rule_hook(&self) -> Option<&dyn RuleEngine> {
        self.rules.as_deref().map(|r| r as &dyn RuleEngine)
    }

    pub(crate) fn append(&self, events: &[SignedEvent]) -> Result<AppendReport> {
        let signer = self.signer.as_deref().ok_or_else(|| {
            Error::new(ErrorKind::ReadOnly {
                reason: "no log key was given to sign tree heads (`--log-key KEYFILE` or `CUSTODIA_LOG_KEY`)".into(),
            })
        })?;
        let now_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            // A clock before 1970 cannot date anything: every event is then "in the future".
            .unwrap_or(0);
        let policy = crate::ledger::Policy {
            now_unix,
            future_secs_max: self.future_secs_max,
            receipt_excess_percent_max: self.receipt_excess_percent_max,
        };
        let mut store = self.store()?;
        let applied = store.append(events, self.rule_hook(), signer, Some(policy))?;
        let len = crate::store::log::len(&store.db)?;
        let base = len - events.len() as u64;
        let head = tree_head(&store)?;
        Ok(AppendReport {
            events: applied
                .into_iter()
                .enumerate()
                .map(|(i, a)| Appended {
                    index: base + i as u64,
                    id: a.id,
                    warnings: a.warnings,
                })
                .collect(),
            ledger_len: len,
            tree_head: head,
        })
    }

    pub(crate) fn open_trace_requests(&self) -> Result<Vec<crate::rows::TraceRequestRecord>> {
        let mut store = self.store()?;
        let state = store.state()?;
        let mut out: Vec<crate::rows::TraceRequestRecord> = state
            .trace_requests
            .iter()
            .map(|(id, r)| crate::rows::TraceRequestRecord {
                request: *id,
                requesting_state: r.requesting_state.clone(),
                channel: r.channel,
                reference: r.reference.clone(),
                received_on: r.received_on.clone(),
                deadline: r.deadline.clone(),
                weapons: r.weapons.clone(),
                recorded_at: r.at.clone(),
            })
            .collect();
        // Whole dates `YYYY-MM-DD` (checked when recorded) order as text.
        out.sort_by(|a, b| (a.deadline.as_str(), a.request).cmp(&(b.deadline.as_str(), b.request)));
        Ok(out)
    }

    pub(crate) fn required_parents(&self, event: &Event) -> Result<Vec<EventId>> {
        let mut store = self.store()?;
        let state = store.state()?;
        state.required_parents(event)
    }

    pub(crate) fn verify(&self, progress: &dyn Fn(u64)) -> Result<VerifyReport> {
        let store = self.store()?;
        let outcome = crate::store::verify::verify(&store.db, self.rule_hook(), progress)?;
        Ok(VerifyReport {
            ok: outcome.failure.is_none(),
            events: outcome.events,
            tree_heads: outcome.tree_heads,
            state_digest: outcome.state_digest,
            failure: outcome.failure,
        })
    }

    pub(crate) fn tree_head(&self) -> Result<TreeHead> {
        tree_head(&*self.store()?)
    }

    pub(crate) fn inclusion_proof(
        &self,
        event: &EventId,
        size: Option<u64>,
    ) -> Result<InclusionProof> {
        let store = self.store()?;
        let len = crate::store::log::len(&store.db)?;
        let size = size.unwrap_or(len);
        let index = crate::store::log::index_of(&store.db, event)?
            .ok_or_else(|| Error::new(ErrorKind::EventNotFound { event: *event }))?;
        let nodes = crate::store::log::nodes(&store.db, &store.nodes, len);
        let path = crate::merkle::inclusion_proof(&nodes, index, size)
            .map_err(crate::store::log::proof_error)?;
        let root = crate::merkle::root(&nodes, size).map_err(crate::store::log::proof_error)?;
        Ok(InclusionProof {
            event: *event,
            leaf_index: index,
            tree_size: size,
            leaf_hash: Digest::from_bytes(crate::merkle::leaf_hash(event)),
            root: Digest::from_bytes(root),
            path: path.into_iter().map(Digest::from_bytes).collect(),
        })
    }

    pub(crate) fn consistency_proof(
        &self,
        first: u64,
        second: Option<u64>,
    ) -> Result<ConsistencyProof> {
        let store = self.store()?;
        let len = crate::store::log::len(&store.db)?;
        let second = second.unwrap_or(len);
        let nodes = crate::store::log::nodes(&store.db, &store.nodes, len);
        let path = crate::merkle::consistency_proof(&nodes, first, second)
            .map_err(crate::store::log::proof_error)?;
        let root = |size| crate::merkle::root(&nodes, size).map_err(crate::store::log::proof_error);
        Ok(ConsistencyProof {
            first,
            second,
            first_root: Digest::from_bytes(root(first)?),
            second_root: Digest::from_bytes(root(second)?),
            path: path.into_iter().map(Digest::from_bytes).collect(),
        })
    }

    pub(crate) fn balances(&self, filter: &BalanceFilter) -> Result<Vec<Balance>> {
        crate::store::log::balances(&self.store()?.db, filter)
    }

    pub(crate) fn stock_on_hand(&self, filter: &StockFilter) -> Result<StockOnHand> {
        let lines = crate::store::log::stock_lines(&self.store()?.db, filter)?;
        let mut totals: BTreeMap<(String, Option<crate::model::HazardDivision>), (i64, i64)> =
            BTreeMap::new();
        for l in &lines {
            let t = totals
                .entry((l.site.as_str().to_owned(), l.hazard_division))
                .or_insert((0, 0));
            t.0 = t.0.checked_add(l.units).ok_or_else(|| overflow(&l.stock))?;
            t.1 =
                t.1.checked_add(l.neq_mg)
                    .ok_or_else(|| overflow(&l.stock))?;
        }
        let mut out_totals = Vec::with_capacity(totals.len());
        for ((site, division), (units, neq)) in totals {
            out_totals.push(StockTotal {
                site: site.parse().map_err(|_| {
                    Error::new(ErrorKind::Internal {
                        detail: format!("site id `{site}` no longer parses"),
                    })
                })?,
                hazard_division: division,
                units,
                neq_mg: neq,
            });
        }
        Ok(StockOnHand {
            lines,
            totals: out_totals,
        })
    }

    pub(crate) fn stock_history(&self, every_secs: i64) -> Result<Vec<StockSnapshot>> {
        self.store()?.stock_history(every_secs)
    }

    pub(crate) fn trace(
        &self,
        stock: &str,
        after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<Vec<TraceEntry>> {
        crate::store::log::trace(&self.store()?.db, stock, after, limit)
    }

    pub(crate) fn lineage(&self, lot: &LotId) -> Result<Vec<LineageEntry>> {
        crate::store::log::lineage(&self.store()?.db, lot.as_str())
    }

    pub(crate) fn for_each_event(
        &self,
        start: u64,
        end: u64,
        f: &mut dyn FnMut(EventRecord) -> Result<bool>,
    ) -> Result<()> {
        crate::store::log::events(&self.store()?.db, start, end, f)
    }

    pub(crate) fn rule_input(&self, id: &EventId) -> Result<Option<serde_json::Value>> {
        self.store()?.rule_input(id)
    }

    pub(crate) fn event(&self, id: &EventId) -> Result<Option<EventRecord>> {
        crate::store::log::event_by_id(&self.store()?.db, id)
    }

    pub(crate) fn find_items(&self, query: &MarkingQuery) -> Result<Vec<ItemRecord>> {
        if query.serial.trim().is_empty() {
            return Err(ErrorKind::InvalidArgument {
                argument: "serial".into(),
                value: query.serial.clone(),
                reason: "a serial number is needed to search markings".into(),
            }
            .into());
        }
        crate::store::log::find_items(&self.store()?.db, query)
    }

    pub(crate) fn summary(&self) -> Result<Summary> {
        let store = self.store()?;
        let db = &store.db;
        let c = |sql: &str| crate::store::log::count(db, sql);
        let span = crate::store::log::time_span(db)?;
        // INVARIANT (counts): COUNT(*) is never negative.
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        let lot_units = |condition: &str| {
            c(&format!(
                "SELECT SUM(units) FROM balances WHERE kind = 'lot' AND {condition}"
            ))
        };
        Ok(Summary {
            events: crate::store::log::len(db)?,
            actors: n(c("SELECT COUNT(*) FROM actors")?),
            sites: n(c("SELECT COUNT(*) FROM sites")?),
            lots: n(c("SELECT COUNT(*) FROM lots")?),
            items: n(c("SELECT COUNT(*) FROM items")?),
            items_destroyed: n(c(
                "SELECT COUNT(*) FROM items WHERE location = 'sink:destroyed'",
            )?),
            units_held: lot_units("site IS NOT NULL")?,
            units_in_transit: lot_units("account LIKE 'in_transit:%'")?,
            units_destroyed: lot_units("account = 'sink:destroyed'")?,
            units_lost: lot_units("account = 'sink:lost'")?,
            units_stolen: lot_units("account = 'sink:stolen'")?,
            units_in_discrepancy: lot_units("account LIKE 'discrepancy:%'")?,
            open_transfers: n(c(
                "SELECT COUNT(DISTINCT account) FROM balances WHERE account LIKE 'in_transit:%'",
            )?),
            first_event_at: span.0,
            last_event_at: span.1,
            rules_in_force: crate::store::log::rules_in_force(db)?,
            tree_head: tree_head(&store)?,
        })
    }

    pub(crate) fn actors(&self) -> Result<Vec<ActorRecord>> {
        crate::store::log::actors(&self.store()?.db)
    }

    pub(crate) fn sites(&self) -> Result<Vec<SiteRecord>> {
        crate::store::log::sites(&self.store()?.db)
    }

    pub(crate) fn rules_in_force(&self) -> Result<Vec<crate::model::RuleRef>> {
        crate::store::log::rules_in_force(&self.store()?.db)
    }
}

fn overflow(stock: &str) -> Error {
    Error::new(ErrorKind::BalanceOverflow {
        stock: stock.to_owned(),
        account: "stock on hand total".into(),
        value: "more than 2^63 - 1".into(),
    })
}

fn tree_head(store: &Store) -> Result<TreeHead> {
    let (size, root, sig) = crate::store::log::latest_head(&store.db)?;
    Ok(TreeHead {
        size,
        root: Digest::from_bytes(root),
        key: store.db.log_key,
        origin: store.db.origin.clone(),
        signature: hex::encode(sig),
        checkpoint: crate::merkle::checkpoint_body(&store.db.origin, size, &root),
    })
}

#[cfg(feature = "testkit")]
impl Inner {
    pub(crate) fn check_invariants(&self) -> Result<()> {
        let mut store = self.store()?;
        store.state()?.check_invariants().map_err(Error::from)
    }
}

impl Inner {
    /// Issues to persons whose period ended before `at` with weapons still out, oldest due
    /// first (then by issue id).
    pub(crate) fn overdue_issues(
        &self,
        at: &crate::model::Timestamp,
    ) -> Result<Vec<crate::rows::OverdueIssue>> {
        let mut store = self.store()?;
        let state = store.state()?;
        let mut rows: Vec<crate::rows::OverdueIssue> = state
            .lifecycle
            .issues
            .iter()
            .filter(|(_, i)| &i.due < at)
            .map(|(id, i)| crate::rows::OverdueIssue {
                issue: *id,
                person: i.person.clone(),
                site: i.from.site.clone(),
                custodian: i.from.custodian.clone(),
                items: i.items.iter().cloned().collect(),
                issued_at: i.at.clone(),
                due: i.due.clone(),
            })
            .collect();
        rows.sort_by(|a, b| a.due.cmp(&b.due).then(a.issue.cmp(&b.issue)));
        Ok(rows)
    }
}

impl Inner {
    /// Lots with units on the books whose next inspection day (a month counts from its first
    /// day) has begun at `at`, earliest due first (then by lot id).
    pub(crate) fn lots_due_inspection(
        &self,
        at: &crate::model::Timestamp,
    ) -> Result<Vec<crate::rows::LotDueInspection>> {
        /// Seconds in a day.
        const DAY_SECONDS: i64 = 86_400;
        let mut store = self.store()?;
        let state = store.state()?;
        let now = at.unix_seconds();
        let mut rows = Vec::new();
        for l in state.lots() {
            let Some(next) = &l.lot.next_inspection else {
                continue;
            };
            // A month-only date (`2026-09`) is due from the month's first day.
            let first_day = if next.as_str().len() == 7 {
                crate::model::Date::parse(&format!("{}-01", next.as_str())).ok()
            } else {
                Some(next.clone())
            };
            let Some(due) = first_day
                .as_ref()
                .and_then(crate::model::Date::day_start_unix)
            else {
                continue;
            };
            let units = l.live_units();
            if due > now || units <= 0 {
                continue;
            }
            // The day (or month) passed: the last day's end is before `at`.
            let end = if next.as_str().len() == 7 {
                month_end(due)
            } else {
                due + DAY_SECONDS
            };
            let mut sites: Vec<crate::model::SiteId> = l
                .balances
                .iter()
                .filter_map(|(a, b)| match a {
                    crate::ledger::Account::Holding { site, .. } if *b > 0 => Some(site.clone()),
                    _ => None,
                })
                .collect();
            sites.dedup();
            rows.push((
                due,
                crate::rows::LotDueInspection {
                    lot: l.lot.id.clone(),
                    nomenclature: l.lot.nomenclature.clone(),
                    lot_number: l.lot.lot_number.clone(),
                    next_inspection: next.clone(),
                    overdue: end <= now,
                    last_inspection: l.surveillance.last_inspection.clone(),
                    condition_code: l.surveillance.condition_code,
                    condition: l.status.condition,
                    units: i64::try_from(units).unwrap_or(i64::MAX),
                    sites,
                },
            ));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.lot.cmp(&b.1.lot)));
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }
}

/// The start of the month after the one starting at `first` (Unix seconds of a month's first
/// day), in Unix seconds.
fn month_end(first: i64) -> i64 {
    /// Seconds in a day.
    const DAY_SECONDS: i64 = 86_400;
    // 28 days on is still in the month; step day by day to the next month's first day.
    let mut t = first + 28 * DAY_SECONDS;
    for _ in 0..4 {
        let day_of_month = crate::model::Timestamp::from_unix_seconds(t)
            .ok()
            .and_then(|s| s.as_str().get(8..10).map(str::to_owned));
        if day_of_month.as_deref() == Some("01") {
            return t;
        }
        t += DAY_SECONDS;
    }
    t
}

impl Inner {
    /// Net explosive quantity per site and hazard division, in milligrams, held at the site
    /// and summed up the site hierarchy; by site, then division. Stock without explosive
    /// content gives no row.
    pub(crate) fn neq_totals(&self) -> Result<Vec<crate::rows::NeqTotal>> {
        use std::collections::{BTreeMap, BTreeSet};
        /// Limit on the parent chain walked (registration refuses cycles; this bounds it).
        const SITE_DEPTH_MAX: usize = 16;
        type Key = (crate::model::SiteId, Option<crate::model::HazardDivision>);
        let overflow = || {
            Error::new(crate::error::ErrorKind::QuantityOverflow {
                max: crate::model::QUANTITY_MAX,
            })
        };
        let mut store = self.store()?;
        let state = store.state()?;
        let mut own: BTreeMap<Key, i128> = BTreeMap::new();
        for l in state.lots() {
            let per_unit = i128::from(l.lot.neq_mg_per_unit().ok_or_else(overflow)?);
            if per_unit == 0 {
                continue;
            }
            let division = l.lot.hazard.map(|h| h.division);
            for (account, units) in &l.balances {
                if let crate::ledger::Account::Holding { site, .. } = account
                    && *units > 0
                {
                    *own.entry((site.clone(), division)).or_default() += per_unit * units;
                }
            }
        }
        for i in state.items() {
            if let (Some(mg), crate::ledger::Account::Holding { site, .. }) =
                (i.item.neq_mg, &i.location)
                && mg.get() > 0
            {
                *own.entry((site.clone(), i.item.hazard.map(|h| h.division)))
                    .or_default() += i128::from(mg.get());
            }
        }
        let mut total: BTreeMap<Key, i128> = BTreeMap::new();
        for ((site, division), mg) in &own {
            let mut seen = BTreeSet::new();
            let mut current = Some(site.clone());
            for _ in 0..SITE_DEPTH_MAX {
                let Some(s) = current.take() else { break };
                if !seen.insert(s.clone()) {
                    break;
                }
                *total.entry((s.clone(), *division)).or_default() += mg;
                current = state.site(&s).and_then(|x| x.site.parent.clone());
            }
        }
        total
            .into_iter()
            .map(|((site, division), with_sub)| {
                let here = own.get(&(site.clone(), division)).copied().unwrap_or(0);
                Ok(crate::rows::NeqTotal {
                    site,
                    hazard_division: division,
                    neq_mg: i64::try_from(here).map_err(|_| overflow())?,
                    neq_mg_with_sub_sites: i64::try_from(with_sub).map_err(|_| overflow())?,
                })
            })
            .collect()
    }
}
