//! `demo`: a new ledger holding a synthetic national stockpile, its log key written beside it
//! as `LEDGER.log-key`; with the example rule plugins, it puts them in force and shows an event
//! they refuse and one they accept. Everything goes through the front door: where and when the
//! extra events happen is read from the ledger's own queries.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use custodia::event::{Body, RegisterItems};
use custodia::model::{Item, ItemCategory, Marking, Origin, OriginKind};
use custodia::testkit::Synth;
use custodia::{
    ActorId, ErrorFamily, Event, Ledger, Options, Signer, SiteId, StockFilter, Timestamp,
};
use custodia_plugins::RuleSet;

use crate::cmd::summary;
use crate::context::Global;
use crate::output::{Failure, line, progress};

/// Events per transaction while building.
const DEMO_BATCH_EVENTS: usize = 1000;
/// Events in the demo ledger.
const DEMO_EVENTS_DEFAULT: u64 = 2000;
/// Seed of the demo ledger.
const DEMO_SEED: u64 = 2026;
/// Random events a simulated day of the demo holds besides the schedule: 2,000 events span
/// about five months (monthly training, quarterly full counts).
const DEMO_EVENTS_PER_DAY: u32 = 6;
/// The synthetic ledger's administrator, who puts rules in force.
const DEMO_ADMIN: &str = "agency:ministry-of-defence";
/// How long after the latest synthetic event the showcase happens, in seconds.
const SHOWCASE_DELAY_SECONDS: i64 = 86_400;

#[derive(clap::Args)]
pub struct Args {
    /// Number of synthetic events.
    #[arg(long, default_value_t = DEMO_EVENTS_DEFAULT)]
    events: u64,
    /// The log's origin (see `init`).
    #[arg(long)]
    origin: Option<String>,
    /// The first simulated day, `YYYY-MM-DD` (UTC). A simulated day of the demo holds about 13
    /// events, and the ledger refuses events dated more than a day after this machine's clock:
    /// from the default start, more than about 4,000 events reach December 2026; start earlier
    /// for more (1988 at the earliest).
    #[arg(long, value_name = "DATE", value_parser = super::parse_day, default_value = "2026-01-01")]
    start: custodia::model::Date,
}

/// `LEDGER.log-key`, beside the ledger.
pub fn key_path(ledger: &Path) -> PathBuf {
    suffixed(ledger, ".log-key")
}

/// `path` with `suffix` appended to its last component.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let path = global.ledger_path()?;
    let key_file = key_path(path);
    let key = Signer::generate();
    // The key first: a ledger whose log key was lost could never be appended to again.
    key.write_key_file(&key_file, None)?;
    let public = key.public_key();
    let mut options = Options::new().log_key(key);
    if let Some(origin) = &args.origin {
        options = options.origin(origin.clone());
    }
    let mut ledger = match Ledger::create(path, options) {
        Ok(ledger) => ledger,
        Err(e) => {
            // The key was made for this ledger only, and it was not created.
            let _ = std::fs::remove_file(&key_file);
            return Err(e.into());
        }
    };
    let rules_dir = plugins_dir(global);
    let built = (|| -> Result<Option<Vec<String>>, Failure> {
        let synth = build(&mut ledger, args.events, &args.start)?;
        match &rules_dir {
            Some(dir) => Ok(Some(showcase(&mut ledger, &synth, dir)?)),
            None => Ok(None),
        }
    })();
    let showcase = match built {
        Ok(showcase) => showcase,
        Err(e) => {
            // All or nothing: a demo refused part way (a batch dated after the clock, say)
            // leaves no ledger behind, and no key for it.
            drop(ledger);
            remove_ledger(path);
            let _ = std::fs::remove_file(&key_file);
            return Err(e);
        }
    };

    line(
        out,
        &format!(
            "demo ledger `{}`: {} synthetic events (seed {DEMO_SEED})",
            path.display(),
            args.events
        ),
    )?;
    line(
        out,
        &format!(
            "log key `{public}` written to `{}` (mode 0600): give it with `--log-key` to append; reading and verifying need no key",
            key_file.display()
        ),
    )?;
    summary::write_table(out, &ledger.summary()?)?;
    let mut answered = 0u64;
    let (mut inspections, mut suspending) = (0u64, 0u64);
    let mut legal = LegalCounts::default();
    let mut calendar = CalendarCounts::default();
    ledger.for_each_event(0, u64::MAX, &mut |r| {
        legal.count(&r.kind, &r.json);
        calendar.count(&r.kind, &r.json, r.at.unix_seconds());
        if r.kind == "trace_response" {
            answered += 1;
        }
        if r.kind == "inspection" {
            inspections += 1;
            let code = serde_json::from_str::<serde_json::Value>(&r.json)
                .ok()
                .and_then(|v| v.get("condition_code")?.as_str().map(str::to_owned))
                .and_then(|c| c.parse::<custodia::model::ConditionCode>().ok());
            if code.is_some_and(|c| c.condition() == custodia::model::Condition::Suspended) {
                suspending += 1;
            }
        }
        Ok(true)
    })?;
    line(
        out,
        &format!(
            "tracing requests (ITI): {answered} answered, {} open; `custodia find --serial S` looks a marking up",
            ledger.open_trace_requests()?.len()
        ),
    )?;
    // A year after the latest event, the lots inspected are due again.
    let a_year_on = custodia::Timestamp::from_unix_seconds(latest_at(&ledger)? + 366 * 86_400)
        .map_err(|e| Failure::usage(format!("internal error: {e}")))?;
    line(
        out,
        &format!(
            "ammunition surveillance (IATG 07.20): {inspections} inspections by the technical authority, {suspending} suspending a lot; {} lots due for inspection by {a_year_on} (`custodia inspections-due --at T`)",
            ledger.lots_due_inspection(&a_year_on)?.len()
        ),
    )?;
    line(
        out,
        &format!(
            "legal life cycle (Firearms Protocol, CIFTA): {} imports from foreign manufacturers ({} weapons with import marks), {} seizures under evidence hold, {} forfeiture orders, {} serial numbers restored, {} weapons deactivated",
            legal.imports,
            legal.imported,
            legal.seizures,
            legal.forfeitures,
            legal.restored,
            legal.deactivated
        ),
    )?;
    line(
        out,
        &format!(
            "calendar: {} days ({} to {}); {} training expenditures in {} months; {} rifle issues and {} returns at the armoury; {} full stock checks (IATG 03.10); {} boards of inquiry",
            calendar.days(),
            day_of(calendar.first)?,
            day_of(calendar.last)?,
            calendar.training,
            calendar.training_months.len(),
            calendar.issues,
            calendar.returns,
            calendar.full_counts,
            calendar.boards
        ),
    )?;
    let mut by_division: std::collections::BTreeMap<String, i64> = Default::default();
    for row in ledger.neq_totals()? {
        let division = row
            .hazard_division
            .map_or("unclassified", |d| d.as_str())
            .to_owned();
        *by_division.entry(division).or_default() += row.neq_mg;
    }
    let neq: Vec<String> = by_division
        .iter()
        .map(|(d, mg)| format!("{} g of {d}", mg / 1000))
        .collect();
    line(
        out,
        &format!(
            "net explosive quantity held (IATG 01.50, counted in mg): {}; per site and summed up the sites: `custodia neq`",
            if neq.is_empty() {
                "none".to_owned()
            } else {
                neq.join(", ")
            }
        ),
    )?;
    let next = match (&rules_dir, showcase) {
        (Some(dir), Some(lines)) => {
            for l in lines {
                line(out, &l)?;
            }
            format!(
                "custodia --ledger {} --plugins {} verify",
                path.display(),
                dir.display()
            )
        }
        _ => {
            line(
                out,
                "rules: none (no plugins found: run `scripts/build-plugins.sh`, or pass `--plugins DIR`)",
            )?;
            format!("custodia --ledger {} verify", path.display())
        }
    };
    line(out, &format!("next: {next}"))
}

/// What the generator's schedule recorded, counted from the events.
#[derive(Default)]
struct CalendarCounts {
    first: i64,
    last: i64,
    training: u64,
    training_months: std::collections::BTreeSet<String>,
    issues: u64,
    returns: u64,
    full_counts: u64,
    boards: u64,
}

impl CalendarCounts {
    fn count(&mut self, kind: &str, json: &str, at: i64) {
        if self.first == 0 || at < self.first {
            self.first = at;
        }
        self.last = self.last.max(at);
        let member = |name: &str| -> Option<String> {
            let v: serde_json::Value = serde_json::from_str(json).ok()?;
            Some(v.get(name)?.as_str()?.to_owned())
        };
        match kind {
            "expenditure" if member("purpose").as_deref() == Some("training") => {
                self.training += 1;
                if let Some(month) = member("at").and_then(|t| t.get(..7).map(str::to_owned)) {
                    self.training_months.insert(month);
                }
            }
            "weapon_issue" => self.issues += 1,
            "weapon_return" => self.returns += 1,
            "stock_check" if member("scope").as_deref() == Some("full") => self.full_counts += 1,
            "board_of_inquiry" => self.boards += 1,
            _ => {}
        }
    }

    /// Whole days from the first event to the last, counting both.
    fn days(&self) -> i64 {
        (self.last - self.first).div_euclid(86_400) + 1
    }
}

/// The day (`YYYY-MM-DD`) of a time in Unix seconds.
fn day_of(secs: i64) -> Result<String, Failure> {
    let t = custodia::Timestamp::from_unix_seconds(secs)
        .map_err(|e| Failure::usage(format!("internal error: {e}")))?;
    Ok(t.as_str().get(..10).unwrap_or_default().to_owned())
}

/// What the legal life cycle recorded, counted from the events.
#[derive(Default)]
struct LegalCounts {
    /// `register_items` of imported weapons.
    imports: u64,
    /// Weapons those imports registered.
    imported: u64,
    /// `seizure` events.
    seizures: u64,
    /// `judicial_order` events deciding a forfeiture.
    forfeitures: u64,
    /// Marks of kind `restored_serial`.
    restored: usize,
    /// Weapons deactivated.
    deactivated: u64,
}

impl LegalCounts {
    /// Counts one stored event (its kind and canonical JSON).
    fn count(&mut self, kind: &str, json: &str) {
        let interesting = matches!(
            kind,
            "register_items" | "seizure" | "judicial_order" | "marking" | "deactivation"
        );
        if !interesting {
            return;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
            return;
        };
        let len = |member: &str| {
            v.get(member)
                .and_then(|m| m.as_array())
                .map_or(0, |a| u64::try_from(a.len()).unwrap_or(u64::MAX))
        };
        match kind {
            "register_items" => {
                let imported = v
                    .get("origin")
                    .and_then(|o| o.get("kind"))
                    .and_then(|k| k.as_str())
                    == Some("imported");
                if imported {
                    self.imports += 1;
                    self.imported += len("items");
                }
            }
            "seizure" => self.seizures += 1,
            "judicial_order" => {
                if v.get("decision").and_then(|d| d.as_str()) == Some("forfeiture") {
                    self.forfeitures += 1;
                }
            }
            "marking" => {
                let marks = v.get("marks").and_then(|m| m.as_array());
                self.restored += marks.map_or(0, |a| {
                    a.iter()
                        .filter(|m| {
                            m.get("kind").and_then(|k| k.as_str()) == Some("restored_serial")
                        })
                        .count()
                });
            }
            _ => self.deactivated += len("items"),
        }
    }
}

/// Removes a ledger file this command created, with SQLite's files beside it (as
/// `Ledger::create` does for a file it could not finish).
fn remove_ledger(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(suffixed(path, suffix));
    }
}

/// Appends `events` synthetic events in batches; returns the generator (it holds the actors'
/// keys).
fn build(
    ledger: &mut Ledger,
    events: u64,
    start: &custodia::model::Date,
) -> Result<Synth, Failure> {
    let bar = progress(events, "building");
    let mut synth = Synth::with_start(DEMO_SEED, DEMO_EVENTS_PER_DAY, start)
        .map_err(|e| Failure::usage(format!("--start: {e}")))?;
    let mut batch = Vec::with_capacity(DEMO_BATCH_EVENTS);
    for n in 0..events {
        let event = synth
            .next_event()
            .map_err(|e| Failure::usage(format!("internal error: synthetic event {n}: {e}")))?;
        batch.push(event);
        if batch.len() >= DEMO_BATCH_EVENTS {
            ledger.append(&batch)?;
            batch.clear();
            if let Some(b) = &bar {
                b.set_position(ledger.len()?);
            }
        }
    }
    if !batch.is_empty() {
        ledger.append(&batch)?;
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok(synth)
}

/// Where `demo` finds the example rules: `--plugins`, else `$CUSTODIA_PLUGINS_DIR`, else
/// `target/plugins` when it holds them.
fn plugins_dir(global: &Global) -> Option<PathBuf> {
    if let Some(dir) = &global.plugins {
        return Some(dir.clone());
    }
    let candidate = std::env::var_os("CUSTODIA_PLUGINS_DIR")
        .map_or_else(|| PathBuf::from("target/plugins"), PathBuf::from);
    candidate.join("marking.json").exists().then_some(candidate)
}

/// Puts the rules in force, then has a custodian register a seized rifle whose serial number
/// was ground off (recorded: the marking rule warns and holds its transfers until it is
/// marked) and the same rifle with its serial number. Returns the lines to print.
fn showcase(ledger: &mut Ledger, synth: &Synth, dir: &Path) -> Result<Vec<String>, Failure> {
    let set = RuleSet::from_dir(dir)?;
    let refs = set.refs();
    let Some((site, custodian)) = busiest_holding(ledger)? else {
        return Ok(vec![
            "rules: not shown (nothing is held yet: give more `--events`)".to_owned(),
        ]);
    };
    let at = Timestamp::from_unix_seconds(latest_at(ledger)? + SHOWCASE_DELAY_SECONDS)
        .map_err(|e| Failure::usage(format!("internal error: showcase time: {e}")))?;
    let admin: ActorId = DEMO_ADMIN
        .parse()
        .map_err(|e| Failure::usage(format!("internal error: `{DEMO_ADMIN}`: {e}")))?;
    let key_of = |actor: &ActorId| {
        synth
            .key_of(actor)
            .ok_or_else(|| Failure::usage(format!("internal error: no key for `{actor}`")))
    };

    ledger.set_rules(Some(Arc::new(set)));
    let in_force = ledger.put_rules_in_force(refs, &admin, at.clone(), key_of(&admin)?)?;
    let mut lines = vec![format!("rules put in force by event {}", in_force.id())];

    let register = |serial: Option<&str>, n: u32| -> Result<Event, Failure> {
        let id = format!("item:demo-seized-{n}")
            .parse()
            .map_err(|e| Failure::usage(format!("internal error: item id: {e}")))?;
        let item = Item {
            id,
            category: ItemCategory::Firearm,
            item_type: "assault rifle".into(),
            marking: Marking {
                manufacturer: Some("Norinco".into()),
                country_of_manufacture: Some("CN".into()),
                serial: serial.map(str::to_owned),
                year: Some(1991),
                model: Some("Type 56".into()),
                calibre: Some("7.62x39mm".into()),
                import: None,
            },
            status: None,
            condition: None,
            disposition: None,
            att_category: None,
            hazard: None,
            neq_mg: None,
        };
        let body = Body::RegisterItems(RegisterItems {
            site: site.clone(),
            custodian: custodian.clone(),
            origin: Origin {
                kind: OriginKind::Seized,
                reference: Some("CASE-DEMO-1".into()),
                import: None,
            },
            items: vec![item],
        });
        Ok(Event::new(at.clone(), custodian.clone(), Vec::new(), body))
    };
    let custodian_key = key_of(&custodian)?;

    match ledger.record(register(None, 1)?, &[custodian_key]) {
        Err(e) if e.family() == ErrorFamily::Rule => {
            lines.push(format!(
                "a seized rifle without serial number: {} [{}]",
                e.message(),
                e.code().get()
            ));
        }
        Err(e) => return Err(e.into()),
        Ok(_) => lines.push(
            "a seized rifle without serial number: recorded (ITI: seized weapons with missing marks are recorded, then marked or destroyed; the marking rule warns and holds its transfers until a `marking` event)"
                .into(),
        ),
    }

    // `record` returns the event but not the rules' warnings: prepare, sign and append to
    // show them.
    let marked = ledger
        .prepare(register(Some("56-1991-004471"), 2)?)?
        .sign(&[custodian_key])?;
    match ledger.append(std::slice::from_ref(&marked)) {
        Ok(report) => {
            let warnings: Vec<String> = report
                .events
                .iter()
                .flat_map(|a| a.warnings.iter().map(|w| format!("{}: {}", w.rule, w.code)))
                .collect();
            let note = if warnings.is_empty() {
                String::new()
            } else {
                format!(" (warnings: {})", warnings.join(", "))
            };
            lines.push(format!(
                "the same rifle with its serial number: accepted, event {} by `{custodian}` at `{site}`{note}",
                marked.id()
            ));
        }
        Err(e) if e.family() == ErrorFamily::Rule => {
            lines.push(format!(
                "the same rifle with its serial number: {} [{}]",
                e.message(),
                e.code().get()
            ));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(lines)
}

/// The site and custodian holding the most different stocks (a depot's logistics unit in the
/// synthetic stockpile), from the stock on hand.
fn busiest_holding(ledger: &Ledger) -> Result<Option<(SiteId, ActorId)>, Failure> {
    let stock = ledger.stock_on_hand(&StockFilter::default())?;
    let mut lines: BTreeMap<(SiteId, ActorId), u64> = BTreeMap::new();
    for l in stock.lines {
        *lines.entry((l.site, l.custodian)).or_default() += 1;
    }
    let mut best: Option<((SiteId, ActorId), u64)> = None;
    for (holding, n) in lines {
        if best.as_ref().is_none_or(|(_, most)| n > *most) {
            best = Some((holding, n));
        }
    }
    Ok(best.map(|(holding, _)| holding))
}

/// The latest `at` of any event, in Unix seconds: a new event dated after it comes after
/// everything it could touch.
fn latest_at(ledger: &Ledger) -> Result<i64, Failure> {
    let mut latest = i64::MIN;
    ledger.for_each_event(0, u64::MAX, &mut |r| {
        latest = latest.max(r.at.unix_seconds());
        Ok(true)
    })?;
    Ok(latest)
}
