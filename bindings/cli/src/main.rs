//! The `custodia` command: keeps a ledger in one SQLite file and answers questions about it.
//! Exit codes: 0 success, 1 the ledger or input was refused (verification failed, an event was
//! rejected), 2 usage or I/O errors. See `docs/CLI.md`.
#![allow(
    clippy::result_large_err,
    reason = "store errors carry the values a caller needs; the error path is cold"
)]

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use custodia::event::{Event, SignedEvent, Signer};
use custodia::ledger::{Account, RuleHook, SignatureCheck, State};
use custodia::merkle::{self, SignedTreeHead};
use custodia::model::EventId;
use custodia::store::{SqliteLog, SqliteStore, Store, StoreError, StoreFailure, VerifyOptions};
use custodia::synth::Synth;

/// Events per transaction for `demo`.
const DEMO_BATCH_EVENTS: usize = 1000;
/// Events in the demo ledger.
const DEMO_EVENTS_DEFAULT: u64 = 2000;
/// Seed of the demo ledger.
const DEMO_SEED: u64 = 2026;
/// Longest line read from an events file, in bytes (an event is at most 1 MiB).
const INPUT_LINE_BYTES_MAX: usize = custodia::event::EVENT_BYTES_MAX + 2;

#[derive(Parser)]
#[command(
    name = "custodia",
    version,
    about = "Keep and verify a stockpile ledger of signed events"
)]
struct Cli {
    /// The ledger file (SQLite).
    #[arg(long, global = true, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// Folder of rule plugins (`NAME.wasm` beside its manifest `NAME.json`, as
    /// `scripts/build-plugins.sh` writes them) for ledgers with rules in force. `demo` puts
    /// them in force; `append` and `verify` run the ones the ledger names.
    #[arg(long, global = true, value_name = "DIR")]
    plugins: Option<PathBuf>,
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Create a new, empty ledger file.
    Init {
        /// Sign tree heads with the key in this key file (from `keygen`) instead of a fresh key.
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
    },
    /// Append signed events (JSONL, one event per line) as one all-or-nothing batch.
    Append {
        /// JSONL file, or `-` for standard input.
        events: String,
        /// Commit every N events instead of all at once (each batch is all or nothing).
        #[arg(long, value_name = "N")]
        batch_size: Option<usize>,
    },
    /// Verify every event, signature, tree head, Merkle node and derived table.
    Verify,
    /// Print the latest signed tree head as JSON.
    Head,
    /// Print an inclusion proof of an event as JSON.
    Prove {
        /// The event id (64 hex digits).
        event_id: String,
        /// Tree size to prove against (default: the whole log).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print a consistency proof between two tree sizes as JSON.
    Consistency {
        /// The older tree size.
        #[arg(long)]
        from: u64,
        /// The newer tree size (default: the whole log).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Print every event that touched an item or lot, oldest first (JSON lines).
    Trace {
        /// Item or lot id (`item:...`, `lot:...`).
        id: String,
    },
    /// Print balances from the derived tables: account, stock, units.
    Balance {
        /// Only the holdings at this site.
        #[arg(long)]
        site: Option<String>,
    },
    /// Export the ledger.
    Export {
        /// `jsonl`: every event in append order; `dot`: the custody graph for Graphviz.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Write a new Ed25519 key file.
    Keygen {
        /// The key file to write (refuses to overwrite).
        #[arg(long, short, value_name = "KEYFILE")]
        out: PathBuf,
        /// The actor the key belongs to (recorded in the file).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Sign unsigned events (JSONL); parents are filled from the ledger when absent or empty.
    Sign {
        /// JSONL file of events without `id` and `signatures`, or `-` for standard input.
        events: String,
        /// Key files of the signers (the recording actor first, then co-signers).
        #[arg(long = "key", value_name = "KEYFILE", required = true)]
        keys: Vec<PathBuf>,
    },
    /// Build a realistic synthetic national stockpile in a new ledger and summarise it.
    Demo {
        /// Number of events.
        #[arg(long, default_value_t = DEMO_EVENTS_DEFAULT)]
        events: u64,
    },
    /// Write deterministic signed synthetic events as JSONL to standard output.
    Synth {
        /// Number of events.
        #[arg(long)]
        events: u64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Work with rule plugins.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Judge one input document (plugin ABI v1) with one plugin and print the verdict as JSON.
    /// Exit 0 allow, 1 deny, 2 plugin error (including a module that cannot be loaded).
    Test {
        /// The module (`NAME.wasm`, loaded with its manifest `NAME.json` beside it when there
        /// is one, else with an empty configuration) or the manifest itself.
        plugin: PathBuf,
        /// The input document: `{"event": ..., "signers": ..., "items": ..., ...}`.
        context: PathBuf,
    },
    /// List the plugins in `--plugins DIR` with their identity hashes.
    List,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Jsonl,
    Dot,
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn refused(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(_) | StoreError::Corrupt { .. } => refused(e.to_string()),
            _ => usage(e.to_string()),
        }
    }
}

fn io_error(what: &str, e: io::Error) -> Failure {
    usage(format!("{what}: {e}"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("custodia: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn ledger_path(cli: &Cli) -> Result<&Path, Failure> {
    cli.ledger
        .as_deref()
        .ok_or_else(|| usage("this command needs `--ledger FILE`"))
}

fn run(cli: Cli) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match &cli.command {
        Commands::Init { key } => {
            let path = ledger_path(&cli)?;
            let signer = key.as_deref().map(read_key).transpose()?;
            let store = SqliteStore::create(path, signer)?;
            writeln!(
                out,
                "created ledger `{}`; tree heads are signed by `{}`",
                path.display(),
                store.ledger_key()
            )
            .map_err(|e| io_error("writing output", e))?;
        }
        Commands::Append { events, batch_size } => {
            let path = ledger_path(&cli)?;
            let mut store = SqliteStore::open_with_rules(path, load_rules(&cli)?)?;
            let reader = open_input(events)?;
            let batch = batch_size.unwrap_or(custodia::store::STORE_BATCH_EVENTS_MAX);
            if batch == 0 {
                return Err(usage("`--batch-size` must be at least 1"));
            }
            let mut pending = Vec::new();
            let mut total = 0usize;
            let mut first_line = 1usize;
            let mut line_no = 0usize;
            for line in reader.split(b'\n') {
                line_no += 1;
                let line = line.map_err(|e| io_error("reading the events", e))?;
                if line.len() > INPUT_LINE_BYTES_MAX {
                    return Err(refused(format!(
                        "line {line_no}: event is {} bytes, above the limit",
                        line.len()
                    )));
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let event = SignedEvent::from_json(&line)
                    .map_err(|e| refused(format!("line {line_no}: {e}; nothing was appended")))?;
                if pending.is_empty() {
                    first_line = line_no;
                }
                pending.push((line_no, event));
                if pending.len() >= batch {
                    total += commit(&mut store, &mut pending, first_line, total)?;
                }
            }
            if pending.len() > custodia::store::STORE_BATCH_EVENTS_MAX {
                return Err(refused("too many events for one batch; use `--batch-size`"));
            }
            total += commit(&mut store, &mut pending, first_line, total)?;
            writeln!(
                out,
                "appended {total} events; the ledger holds {}",
                store.len()
            )
            .map_err(|e| io_error("writing output", e))?;
        }
        Commands::Verify => {
            let path = ledger_path(&cli)?;
            let log = SqliteLog::open(path)?;
            let rules = load_rules(&cli)?;
            let total = log.len()?;
            let bar = progress(total, "verifying");
            let tick = |n: u64| {
                if let Some(b) = &bar {
                    b.set_position(n);
                }
            };
            let options = VerifyOptions {
                rules: rules.as_deref().map(|r| r as &dyn RuleHook),
                progress: Some(&tick),
            };
            let report = custodia::store::verify_log(&log, &options)?;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            match report.failure {
                None => writeln!(
                    out,
                    "valid: {} events, {} tree heads, state digest {}",
                    report.events, report.tree_heads, report.state_digest
                )
                .map_err(|e| io_error("writing output", e))?,
                Some(f) => return Err(refused(format!("verification failed: {}", describe(&f)))),
            }
        }
        Commands::Head => {
            let log = SqliteLog::open(ledger_path(&cli)?)?;
            let head = log.tree_head()?;
            print_json(&mut out, &head_json(&head))?;
        }
        Commands::Prove { event_id, size } => {
            let log = SqliteLog::open(ledger_path(&cli)?)?;
            let id = EventId::from_hex(event_id)
                .map_err(|e| usage(format!("`{event_id}` is not an event id: {e}")))?;
            let len = log.len()?;
            let size = size.unwrap_or(len);
            let index = log
                .index_of(&id)?
                .ok_or_else(|| refused(format!("event `{id}` is not in the ledger")))?;
            let path = log.inclusion_proof(index, size)?;
            let root = log.root(size)?;
            print_json(
                &mut out,
                &serde_json::json!({
                    "leaf_index": index,
                    "tree_size": size,
                    "leaf_hash": hex::encode(merkle::leaf_hash(&id)),
                    "root": hex::encode(root),
                    "path": path.iter().map(hex::encode).collect::<Vec<_>>(),
                }),
            )?;
        }
        Commands::Consistency { from, to } => {
            let log = SqliteLog::open(ledger_path(&cli)?)?;
            let to = to.unwrap_or(log.len()?);
            let path = log.consistency_proof(*from, to)?;
            print_json(
                &mut out,
                &serde_json::json!({
                    "first": from,
                    "second": to,
                    "first_root": hex::encode(log.root(*from)?),
                    "second_root": hex::encode(log.root(to)?),
                    "path": path.iter().map(hex::encode).collect::<Vec<_>>(),
                }),
            )?;
        }
        Commands::Trace { id } => {
            let log = SqliteLog::open(ledger_path(&cli)?)?;
            let rows = log.trace(id)?;
            if rows.is_empty() {
                return Err(refused(format!("no event touched `{id}`")));
            }
            for row in rows {
                let v: serde_json::Value = serde_json::from_slice(&row.json)
                    .map_err(|e| refused(format!("stored event {} is not JSON: {e}", row.index)))?;
                print_json(
                    &mut out,
                    &serde_json::json!({
                        "index": row.index,
                        "id": v.get("id"),
                        "at": v.get("at"),
                        "kind": v.get("kind"),
                        "actor": v.get("actor"),
                    }),
                )?;
            }
        }
        Commands::Balance { site } => {
            let log = SqliteLog::open(ledger_path(&cli)?)?;
            for row in log.balances(site.as_deref())? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    row.account, row.kind, row.stock, row.units
                )
                .map_err(|e| io_error("writing output", e))?;
            }
        }
        Commands::Export { format, output } => {
            let log = SqliteLog::open(ledger_path(&cli)?)?;
            let mut sink: Box<dyn Write> = match output {
                Some(p) => {
                    Box::new(BufWriter::new(File::create(p).map_err(|e| {
                        io_error(&format!("creating `{}`", p.display()), e)
                    })?))
                }
                None => Box::new(&mut out),
            };
            match format {
                ExportFormat::Jsonl => export_jsonl(&log, &mut sink)?,
                ExportFormat::Dot => export_dot(&log, &mut sink)?,
            }
            sink.flush()
                .map_err(|e| io_error("writing the export", e))?;
        }
        Commands::Keygen { out: file, actor } => {
            if file.exists() {
                return Err(usage(format!(
                    "`{}` already exists; refusing to overwrite it",
                    file.display()
                )));
            }
            let signer = Signer::generate();
            let doc = serde_json::json!({
                "actor": actor,
                "public_key": signer.public_key().to_string(),
                "secret_seed": hex::encode(signer.seed()),
            });
            std::fs::write(file, format!("{doc}\n"))
                .map_err(|e| io_error(&format!("writing `{}`", file.display()), e))?;
            writeln!(out, "{}", signer.public_key()).map_err(|e| io_error("writing output", e))?;
        }
        Commands::Sign { events, keys } => {
            let signers = keys
                .iter()
                .map(|k| read_key(k))
                .collect::<Result<Vec<_>, _>>()?;
            let signer_refs: Vec<&Signer> = signers.iter().collect();
            let mut state = match cli.ledger.as_deref() {
                Some(p) if p.exists() => SqliteStore::open(p)?.state().clone(),
                _ => State::default(),
            };
            let reader = open_input(events)?;
            for (n, line) in reader.split(b'\n').enumerate() {
                let line_no = n + 1;
                let line = line.map_err(|e| io_error("reading the events", e))?;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let signed = sign_line(&line, &state, &signer_refs)
                    .map_err(|m| refused(format!("line {line_no}: {m}")))?;
                // Apply to a scratch state so that the next event's parents follow this one.
                state
                    .apply(&signed, SignatureCheck::Verify, None)
                    .map_err(|e| refused(format!("line {line_no}: {e}")))?;
                let json = signed
                    .to_json()
                    .map_err(|e| refused(format!("line {line_no}: {e}")))?;
                writeln!(out, "{json}").map_err(|e| io_error("writing output", e))?;
            }
        }
        Commands::Demo { events } => {
            let path = ledger_path(&cli)?;
            let mut store = SqliteStore::create(path, None)?;
            let bar = progress(*events, "building");
            let mut synth = Synth::new(DEMO_SEED);
            let mut batch = Vec::with_capacity(DEMO_BATCH_EVENTS);
            for _ in 0..*events {
                batch.push(synth.next_event().map_err(|e| refused(e.to_string()))?);
                if batch.len() >= DEMO_BATCH_EVENTS {
                    store.append_batch(&batch)?;
                    batch.clear();
                    if let Some(b) = &bar {
                        b.set_position(store.len());
                    }
                }
            }
            store.append_batch(&batch)?;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let rules_dir = demo_plugins_dir(&cli);
            let rules_report = match &rules_dir {
                Some(dir) => Some(demo_rules(&mut store, &synth, dir)?),
                None => None,
            };
            summarise(&mut out, path, &store)?;
            let w = |e| io_error("writing output", e);
            match rules_report {
                Some(lines) => {
                    for line in lines {
                        writeln!(out, "{line}").map_err(w)?;
                    }
                    let dir = rules_dir.as_deref().map(Path::display);
                    let dir = dir.map(|d| d.to_string()).unwrap_or_default();
                    writeln!(
                        out,
                        "next: custodia --ledger {} --plugins {dir} verify",
                        path.display()
                    )
                    .map_err(w)?;
                }
                None => {
                    writeln!(out, "  rules:             none (no plugins found: run `scripts/build-plugins.sh`, or pass `--plugins DIR`)").map_err(w)?;
                    writeln!(out, "next: custodia --ledger {} verify", path.display())
                        .map_err(w)?;
                }
            }
        }
        Commands::Rules(RulesCommand::Test { plugin, context }) => {
            let text = std::fs::read_to_string(context)
                .map_err(|e| io_error(&format!("cannot read `{}`", context.display()), e))?;
            let input: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| usage(format!("`{}` is not JSON: {e}", context.display())))?;
            let loaded = load_one_plugin(plugin).map_err(|m| Failure {
                code: 2,
                message: m,
            })?;
            let verdict = loaded
                .judge(&custodia_plugins::Input::new(input))
                .map_err(|e| Failure {
                    code: 2,
                    message: format!("plugin `{}` failed: {e}", plugin.display()),
                })?;
            let json = serde_json::to_value(&verdict).map_err(|e| usage(e.to_string()))?;
            print_json(&mut out, &json)?;
            out.flush().map_err(|e| io_error("writing output", e))?;
            if !verdict.is_allow() {
                return Err(Failure {
                    code: 1,
                    message: format!("denied: {}", verdict.deny_code().unwrap_or_default()),
                });
            }
        }
        Commands::Rules(RulesCommand::List) => {
            let dir = cli
                .plugins
                .as_deref()
                .ok_or_else(|| usage("`rules list` needs `--plugins DIR`"))?;
            let set = load_rule_set(dir)?;
            for plugin in set.plugins() {
                let id = plugin.id();
                print_json(
                    &mut out,
                    &serde_json::json!({"name": id.name(), "version": id.version(), "jurisdiction": id.jurisdiction(), "identity": id.identity()}),
                )?;
            }
        }
        Commands::Synth { events, seed } => {
            let mut synth = Synth::new(*seed);
            for _ in 0..*events {
                let e = synth.next_event().map_err(|e| refused(e.to_string()))?;
                let json = e.to_json().map_err(|e| refused(e.to_string()))?;
                writeln!(out, "{json}").map_err(|e| io_error("writing output", e))?;
            }
        }
    }
    out.flush().map_err(|e| io_error("writing output", e))
}

/// Appends the pending events as one batch; returns how many.
fn commit(
    store: &mut SqliteStore,
    pending: &mut Vec<(usize, SignedEvent)>,
    first_line: usize,
    _before: usize,
) -> Result<usize, Failure> {
    if pending.is_empty() {
        return Ok(0);
    }
    let events: Vec<SignedEvent> = pending.iter().map(|(_, e)| e.clone()).collect();
    match store.append_batch(&events) {
        Ok(applied) => {
            pending.clear();
            Ok(applied.len())
        }
        Err(StoreError::Rejected(b)) => {
            let line = pending.get(b.index).map_or(first_line, |(l, _)| *l);
            Err(refused(format!(
                "line {line}: {}; nothing of this batch was appended",
                b.error
            )))
        }
        Err(e) => Err(e.into()),
    }
}

fn load_rule_set(dir: &Path) -> Result<custodia_plugins::RuleSet, Failure> {
    let host = custodia_plugins::PluginHost::new(custodia_plugins::Limits::default())
        .map_err(|e| usage(format!("cannot start the plugin host: {e}")))?;
    custodia_plugins::RuleSet::load_dir(&host, dir).map_err(|e| {
        usage(format!(
            "cannot load the plugins in `{}`: {e}",
            dir.display()
        ))
    })
}

/// The rule engine for `--plugins DIR`, if given.
fn load_rules(cli: &Cli) -> Result<Option<Box<dyn RuleHook + Send + Sync>>, Failure> {
    match &cli.plugins {
        None => Ok(None),
        Some(dir) => Ok(Some(Box::new(load_rule_set(dir)?))),
    }
}

/// Loads one plugin for `rules test`: a manifest, or a module with its manifest beside it,
/// or a bare module with an empty configuration.
fn load_one_plugin(path: &Path) -> Result<custodia_plugins::Plugin, String> {
    let host = custodia_plugins::PluginHost::new(custodia_plugins::Limits::default())
        .map_err(|e| format!("cannot start the plugin host: {e}"))?;
    let shown = path.display();
    if path.extension().is_some_and(|x| x == "json") {
        return host
            .load_manifest(path)
            .map_err(|e| format!("cannot load `{shown}`: {e}"));
    }
    let manifest = path.with_extension("json");
    if manifest.exists() {
        return host
            .load_manifest(&manifest)
            .map_err(|e| format!("cannot load `{}`: {e}", manifest.display()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("plugin")
        .replace('_', "-");
    let file = path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("plugin.wasm");
    let manifest = custodia_plugins::Manifest::new(
        &name,
        "0.0.0",
        "LOCAL",
        file,
        &bytes,
        serde_json::json!({}),
    );
    host.load(manifest, &bytes)
        .map_err(|e| format!("cannot load `{shown}`: {e}"))
}

/// Where `demo` finds the example rules: `--plugins`, else `$CUSTODIA_PLUGINS_DIR`, else
/// `target/plugins` when it holds plugins.
fn demo_plugins_dir(cli: &Cli) -> Option<PathBuf> {
    if let Some(dir) = &cli.plugins {
        return Some(dir.clone());
    }
    let candidate = std::env::var_os("CUSTODIA_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/plugins"));
    candidate.join("marking.json").exists().then_some(candidate)
}

/// Puts the example rules in force, shows an event they refuse and one they accept.
fn demo_rules(store: &mut SqliteStore, synth: &Synth, dir: &Path) -> Result<Vec<String>, Failure> {
    use custodia::event::Body;
    use custodia::model::{
        ActorId, Item, ItemCategory, Marking, Origin, OriginKind, Role, Timestamp,
    };
    let set = load_rule_set(dir)?;
    let refs = set.refs();
    let names: Vec<String> = refs.iter().map(|r| r.name.clone()).collect();
    store.set_rules(Some(Box::new(set)));
    let state = store.state().clone();
    let admin: ActorId = "agency:ministry-of-defence"
        .parse()
        .map_err(|e| usage(format!("{e}")))?;
    let sign = |state: &State,
                actor: &ActorId,
                body: Body,
                at: &Timestamp|
     -> Result<SignedEvent, Failure> {
        let key = synth
            .key_of(actor)
            .ok_or_else(|| usage(format!("no key for `{actor}`")))?;
        let mut event = Event::new(at.clone(), actor.clone(), Vec::new(), body);
        event.parents = state
            .required_parents(&event)
            .map_err(|e| refused(e.to_string()))?;
        event.sign(&[key]).map_err(|e| refused(e.to_string()))
    };
    // After every synthetic event: a day past the latest registration in the ledger.
    let latest = state
        .items()
        .map(|i| i.last_at.unix_seconds())
        .chain(state.lots().map(|l| l.last_at.unix_seconds()))
        .max()
        .unwrap_or(0);
    let at = Timestamp::from_unix_seconds(latest + 86_400).map_err(|e| usage(e.to_string()))?;
    let in_force = sign(
        store.state(),
        &admin,
        Body::RulesInForce { rules: refs },
        &at,
    )?;
    store.append_batch(std::slice::from_ref(&in_force))?;
    let mut lines = vec![format!(
        "  rules in force:    {} (event {})",
        names.join(", "),
        in_force.id
    )];

    // A custodian registers a seized rifle whose serial number was ground off.
    let custodian = state
        .actors()
        .find(|a| a.has_role(Role::Custodian) && !a.has_role(Role::Destroyer))
        .map(|a| a.actor.id.clone())
        .ok_or_else(|| usage("the demo has no custodian"))?;
    let site = state
        .sites()
        .find(|s| s.site.licensed_neq_grams.is_some())
        .or_else(|| state.sites().next())
        .map(|s| s.site.id.clone())
        .ok_or_else(|| usage("the demo has no site"))?;
    let rifle = |serial: Option<&str>, n: u32| -> Result<Item, Failure> {
        Ok(Item {
            id: format!("item:demo-seized-{n}")
                .parse()
                .map_err(|e| usage(format!("{e}")))?,
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
        })
    };
    let register = |item: Item| Body::RegisterItems {
        site: site.clone(),
        custodian: custodian.clone(),
        origin: Origin {
            kind: OriginKind::Seized,
            reference: Some("CASE-DEMO-1".into()),
        },
        items: vec![item],
    };
    let defaced = sign(store.state(), &custodian, register(rifle(None, 1)?), &at)?;
    match store.append_batch(std::slice::from_ref(&defaced)) {
        Err(StoreError::Rejected(b)) => lines.push(format!("  refused by rules:  {}", b.error)),
        Err(e) => return Err(e.into()),
        Ok(_) => lines.push(
            "  refused by rules:  none (the rules accepted a rifle without serial number)".into(),
        ),
    }
    let marked = sign(
        store.state(),
        &custodian,
        register(rifle(Some("56-1991-004471"), 2)?),
        &at,
    )?;
    match store.append_batch(std::slice::from_ref(&marked)) {
        Ok(applied) => {
            let warnings: Vec<String> = applied
                .iter()
                .flat_map(|a| a.warnings.iter().map(|(r, c, _)| format!("{r}: {c}")))
                .collect();
            let note = if warnings.is_empty() {
                String::new()
            } else {
                format!(" (warnings: {})", warnings.join(", "))
            };
            lines.push(format!(
                "  accepted by rules: the same rifle with its serial number, event {}{note}",
                marked.id
            ));
        }
        Err(StoreError::Rejected(b)) => lines.push(format!("  also refused:      {}", b.error)),
        Err(e) => return Err(e.into()),
    }
    Ok(lines)
}

fn open_input(name: &str) -> Result<Box<dyn BufRead>, Failure> {
    if name == "-" {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    let file = File::open(name).map_err(|e| io_error(&format!("cannot open `{name}`"), e))?;
    Ok(Box::new(BufReader::new(file)))
}

fn read_key(path: &Path) -> Result<Signer, Failure> {
    let mut text = String::new();
    File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| io_error(&format!("cannot read key file `{}`", path.display()), e))?;
    let bad = || usage(format!("`{}` is not a custodia key file", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad())?;
    let seed = v
        .get("secret_seed")
        .and_then(|s| s.as_str())
        .ok_or_else(bad)?;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(seed, &mut bytes).map_err(|_| bad())?;
    Ok(Signer::from_seed(bytes))
}

fn sign_line(line: &[u8], state: &State, signers: &[&Signer]) -> Result<SignedEvent, String> {
    let mut value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| "an event must be a JSON object".to_owned())?;
    if obj.contains_key("id") || obj.contains_key("signatures") {
        return Err("the event is already signed (has `id` or `signatures`)".into());
    }
    obj.entry("v")
        .or_insert(serde_json::json!(custodia::event::FORMAT_VERSION));
    let fill = obj
        .get("parents")
        .and_then(|p| p.as_array())
        .is_none_or(|p| p.is_empty());
    obj.entry("parents").or_insert(serde_json::json!([]));
    let mut event: Event =
        serde_json::from_value(value).map_err(|e| format!("not an event: {e}"))?;
    if fill {
        event.parents = state.required_parents(&event).map_err(|e| e.to_string())?;
    }
    event.sign(signers).map_err(|e| e.to_string())
}

fn print_json(out: &mut impl Write, v: &serde_json::Value) -> Result<(), Failure> {
    writeln!(out, "{v}").map_err(|e| io_error("writing output", e))
}

fn head_json(head: &SignedTreeHead) -> serde_json::Value {
    serde_json::to_value(head).unwrap_or(serde_json::Value::Null)
}

fn describe(f: &StoreFailure) -> String {
    f.to_string()
}

fn progress(total: u64, what: &'static str) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() || total == 0 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} {bar:40} {pos}/{len} events ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar.set_message(what);
    Some(bar)
}

fn export_jsonl(log: &SqliteLog, sink: &mut dyn Write) -> Result<(), Failure> {
    let mut failed = None;
    log.for_each_event(0, |_, _, json| {
        if let Err(e) = sink.write_all(json).and_then(|()| sink.write_all(b"\n")) {
            failed = Some(e);
            return Ok(false);
        }
        Ok(true)
    })?;
    match failed {
        Some(e) => Err(io_error("writing the export", e)),
        None => Ok(()),
    }
}

/// The custody graph: sites and custodians as nodes, transfers as edges weighted by the
/// number of dispatches between them. Built from the events, streaming; the graph is as
/// small as the set of holdings.
fn export_dot(log: &SqliteLog, sink: &mut dyn Write) -> Result<(), Failure> {
    use std::collections::BTreeMap;
    let mut edges: BTreeMap<(String, String, &'static str), u64> = BTreeMap::new();
    let mut nodes: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut bad = None;
    log.for_each_event(0, |seq, _, json| {
        let ev = match SignedEvent::from_json(json) {
            Ok(ev) => ev,
            Err(e) => {
                bad = Some(refused(format!("stored event {seq}: {e}")));
                return Ok(false);
            }
        };
        use custodia::event::Body;
        let place = |s: &dyn std::fmt::Display, c: &dyn std::fmt::Display| format!("{c}@{s}");
        match &ev.event.body {
            Body::RegisterSite { site } => {
                nodes.insert(site.id.to_string(), "site");
            }
            Body::RegisterLot {
                site, custodian, ..
            }
            | Body::RegisterItems {
                site, custodian, ..
            } => {
                let p = place(site, custodian);
                nodes.insert(p.clone(), "holding");
                *edges
                    .entry(("registered".into(), p, "register"))
                    .or_default() += 1;
            }
            Body::TransferDispatch { from, to, .. } => {
                let (a, b) = (
                    place(&from.site, &from.custodian),
                    place(&to.site, &to.custodian),
                );
                nodes.insert(a.clone(), "holding");
                nodes.insert(b.clone(), "holding");
                *edges.entry((a, b, "transfer")).or_default() += 1;
            }
            Body::Destruction {
                site, custodian, ..
            } => {
                *edges
                    .entry((place(site, custodian), "destroyed".into(), "destruction"))
                    .or_default() += 1;
            }
            Body::LossReport {
                site,
                custodian,
                loss,
                ..
            } => {
                let sink_name = format!("{}", Account::Sink((*loss).into()));
                *edges
                    .entry((place(site, custodian), sink_name, "loss"))
                    .or_default() += 1;
            }
            _ => {}
        }
        Ok(true)
    })?;
    if let Some(f) = bad {
        return Err(f);
    }
    let mut text = String::from("digraph custody {\n  rankdir=LR;\n  node [shape=box];\n");
    for (name, kind) in &nodes {
        if *kind == "holding" {
            text.push_str(&format!("  \"{name}\";\n"));
        }
    }
    for ((a, b, kind), n) in &edges {
        text.push_str(&format!("  \"{a}\" -> \"{b}\" [label=\"{kind} ×{n}\"];\n"));
    }
    text.push_str("}\n");
    sink.write_all(text.as_bytes())
        .map_err(|e| io_error("writing the export", e))
}

fn summarise(out: &mut impl Write, path: &Path, store: &SqliteStore) -> Result<(), Failure> {
    use custodia::ledger::{Sink, Stock};
    let state = store.state();
    let mut lots = 0u64;
    let mut rounds_held = 0i128;
    let mut destroyed = 0i128;
    let mut stolen = 0i128;
    let mut discrepancy = 0i128;
    for (account, stocks) in state.balances() {
        for (stock, units) in stocks {
            if !matches!(stock, Stock::Lot(_)) {
                continue;
            }
            match account {
                Account::Holding { .. } => rounds_held += units,
                Account::Sink(Sink::Destroyed) => destroyed += units,
                Account::Sink(Sink::Stolen) => stolen += units,
                Account::Discrepancy(_) => discrepancy += units,
                _ => {}
            }
        }
    }
    for _ in state.lots() {
        lots += 1;
    }
    let items = state.items().count();
    let destroyed_items = state
        .items()
        .filter(|i| i.location == Account::Sink(Sink::Destroyed))
        .count();
    let head = store.tree_head()?;
    let w = |e| io_error("writing output", e);
    writeln!(out, "demo ledger `{}`", path.display()).map_err(w)?;
    writeln!(out, "  events:            {}", store.len()).map_err(w)?;
    writeln!(out, "  sites:             {}", state.sites().count()).map_err(w)?;
    writeln!(out, "  actors:            {}", state.actors().count()).map_err(w)?;
    writeln!(out, "  lots:              {lots}").map_err(w)?;
    writeln!(
        out,
        "  weapons:           {items} ({destroyed_items} destroyed)"
    )
    .map_err(w)?;
    writeln!(out, "  units held:        {rounds_held}").map_err(w)?;
    writeln!(out, "  units destroyed:   {destroyed}").map_err(w)?;
    writeln!(out, "  units stolen:      {stolen}").map_err(w)?;
    writeln!(out, "  under investigation (discrepancies): {discrepancy}").map_err(w)?;
    writeln!(
        out,
        "  tree head:         size {} root {}",
        head.size,
        hex::encode(head.root)
    )
    .map_err(w)?;
    Ok(())
}
