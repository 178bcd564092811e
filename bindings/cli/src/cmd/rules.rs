//! `rules test` (one plugin judges one input document, or every sample in a folder against
//! the verdict its file name expects) and `rules list` (the plugins in a folder with their
//! identity hashes).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use custodia_plugins::{Input, Limits, Manifest, Plugin, PluginHost, RuleSet, split_sample};

use crate::context::Global;
use crate::output::{Failure, json_line, line};

/// Largest input document `rules test` reads: one that does not fit a plugin's memory cannot
/// be judged.
const CONTEXT_BYTES_MAX: usize = custodia_plugins::PLUGIN_MEMORY_BYTES_MAX_DEFAULT;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Judge one input document (plugin ABI v1 or v2; for v2, the ledger's answers to the
    /// plugin's questions in the document's member `host`) with one plugin and print the verdict as JSON
    /// (exit 0 allow, 1 deny, 2 plugin error, including a module that cannot be loaded); or,
    /// given a folder, judge every sample `*.json` in it and check the verdict its file name
    /// expects: `allow.DESCRIPTION.json` (a description containing `warns` expects a warning),
    /// `deny.CODE.DESCRIPTION.json` or `CODE.DESCRIPTION.json` (a denial with that code),
    /// `error.DESCRIPTION.json` (the plugin fails). Every sample must follow
    /// `schemas/rule-input.schema.json` (one that does not is an `ERROR` row naming the JSON
    /// Pointer of the fault). Prints one line per sample and exits 1 when any sample gets another
    /// verdict or breaks the schema.
    Test {
        /// The module (`NAME.wasm`, loaded with its manifest `NAME.json` beside it when there
        /// is one, else with an empty configuration) or the manifest itself.
        plugin: PathBuf,
        /// The input document (`{"event": ..., "signers": ..., "items": ..., ...}`), or a
        /// folder of samples.
        context: PathBuf,
    },
    /// List the plugins in `--plugins DIR` with their identity hashes (what a
    /// `rules_in_force` event names).
    List,
    /// Print the input document the rule plugins were given for a stored event of `--ledger`
    /// (rebuilt from the events before it), to run a rule on with `rules test`.
    Input {
        /// The event id (64 hex digits).
        #[arg(value_parser = crate::cmd::parse_id::<custodia::EventId>)]
        event_id: custodia::EventId,
    },
    /// Write a new rule crate `DIR/NAME/` that builds outside this project: the rule (an
    /// example that allows destruction only by configured methods and checks its configuration
    /// when loaded), its manifest, allow and deny samples, native tests for `cargo test`
    /// (`tests/native.rs`), and the SDK vendored beside it.
    New {
        /// The rule's name: a lowercase letter, then lowercase letters, digits or `_`.
        name: String,
        /// The folder to create it in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// The jurisdiction its manifest names (an ISO 3166-1 code, or a ministry's name).
        #[arg(long, default_value = "LOCAL")]
        jurisdiction: String,
    },
    /// Build a rule crate to `OUT/NAME.wasm` and its manifest `OUT/NAME.json` (the crate's
    /// `plugin.json` with the module and its SHA-256 filled in); reproducibly: the same sources
    /// give the same bytes in any folder.
    Build {
        /// The rule crate.
        dir: PathBuf,
        /// Where to write the module and the manifest (default `DIR/target/plugin`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Rebuild a rule crate and compare the module's SHA-256 with the one a manifest names
    /// (exit 0 when they are the same, 1 when not).
    VerifyBuild {
        /// The rule crate.
        dir: PathBuf,
        /// The manifest of the plugin in force (`NAME.json`).
        manifest: PathBuf,
    },
}

pub fn run(global: &Global, command: &Command, out: &mut dyn Write) -> Result<(), Failure> {
    match command {
        Command::Test { plugin, context } if context.is_dir() => test_samples(plugin, context, out),
        Command::Test { plugin, context } => test(plugin, context, out),
        Command::List => list(global, out),
        Command::Input { event_id } => {
            let ledger = global.open_read()?;
            let doc = ledger.rule_input(event_id)?;
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Failure::usage(format!("cannot print the document: {e}")))?;
            line(out, &text)
        }
        Command::New {
            name,
            dir,
            jurisdiction,
        } => crate::cmd::rule_kit::new(name, dir, jurisdiction, out),
        Command::Build { dir, out: to } => crate::cmd::rule_kit::build(dir, to.as_deref(), out),
        Command::VerifyBuild { dir, manifest } => {
            crate::cmd::rule_kit::verify_build(dir, manifest, out)
        }
    }
}

fn test(plugin: &Path, context: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let text = read_bounded(context, CONTEXT_BYTES_MAX)?;
    let input: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("`{}` is not JSON: {e}", context.display())))?;
    let loaded = load_one(plugin)?;
    let verdict = match judge_sample(&loaded, context, input)? {
        SampleRun::NotInput(e) => {
            return Err(Failure::usage(format!(
                "`{}` is not an input document the host would give (schemas/rule-input.schema.json) {e}",
                context.display()
            )));
        }
        SampleRun::Judged(v) => v,
    }
    .map_err(|e| Failure::usage(format!("plugin `{}` failed: {e}", plugin.display())))?;
    json_line(out, &verdict)?;
    if verdict.is_allow() {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "denied: {}",
            verdict.deny_code().unwrap_or("(no code)")
        )))
    }
}

/// What a sample's file name says the plugin must answer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expected {
    /// Allow; with at least one warning when `warns`.
    Allow { warns: bool },
    /// Deny with this code.
    Deny(String),
    /// The plugin fails.
    Error,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Allow { warns: false } => f.write_str("allow"),
            Expected::Allow { warns: true } => f.write_str("allow with a warning"),
            Expected::Deny(code) => write!(f, "deny {code}"),
            Expected::Error => f.write_str("error"),
        }
    }
}

/// The expectation in a sample's file name (without `.json`), or `None` when the name follows
/// none of the forms.
fn expected(stem: &str) -> Option<Expected> {
    let (head, rest) = stem.split_once('.')?;
    let is_code = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    match head {
        "allow" => Some(Expected::Allow {
            warns: rest.contains("warns"),
        }),
        "error" => Some(Expected::Error),
        "deny" => {
            let (code, _) = rest.split_once('.')?;
            is_code(code).then(|| Expected::Deny(code.to_owned()))
        }
        code if is_code(code) => Some(Expected::Deny(code.to_owned())),
        _ => None,
    }
}

fn test_samples(plugin: &Path, dir: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let cannot =
        |e: &dyn std::fmt::Display| Failure::usage(format!("cannot read `{}`: {e}", dir.display()));
    let mut samples = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| cannot(&e))? {
        let path = entry.map_err(|e| cannot(&e))?.path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            samples.push(path);
        }
    }
    samples.sort();
    if samples.is_empty() {
        return Err(Failure::usage(format!(
            "`{}` holds no sample (`*.json`)",
            dir.display()
        )));
    }
    let loaded = load_one(plugin)?;
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &samples {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name.strip_suffix(".json").unwrap_or(&name);
        let Some(want) = expected(stem) else {
            return Err(Failure::usage(format!(
                "`{name}`: a sample is named `allow.DESCRIPTION.json`, \
                 `deny.CODE.DESCRIPTION.json`, `CODE.DESCRIPTION.json` or \
                 `error.DESCRIPTION.json`"
            )));
        };
        let text = read_bounded(path, CONTEXT_BYTES_MAX)?;
        let input: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Failure::usage(format!("`{}` is not JSON: {e}", path.display())))?;
        let got = match judge_sample(&loaded, path, input)? {
            // A sample the host would never give proves nothing: it is an error row, naming
            // the JSON Pointer of the first fault.
            SampleRun::NotInput(e) => {
                failed += 1;
                line(
                    out,
                    &format!(
                        "ERROR {name}: not an input document (schemas/rule-input.schema.json) {e}"
                    ),
                )?;
                continue;
            }
            SampleRun::Judged(v) => match v {
                Ok(v) if v.is_allow() => Expected::Allow {
                    warns: !v.warnings().is_empty(),
                },
                Ok(v) => Expected::Deny(v.deny_code().unwrap_or_default().to_owned()),
                Err(_) => Expected::Error,
            },
        };
        // An allow expected without a warning passes with warnings too.
        let ok = match (&want, &got) {
            (Expected::Allow { warns: false }, Expected::Allow { .. }) => true,
            _ => want == got,
        };
        if ok {
            passed += 1;
            line(out, &format!("ok    {name}: {got}"))?;
        } else {
            failed += 1;
            line(out, &format!("FAIL  {name}: expected {want}, got {got}"))?;
        }
    }
    line(
        out,
        &format!(
            "{} samples: {passed} passed, {failed} failed",
            samples.len()
        ),
    )?;
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "{failed} of {} samples got another verdict",
            samples.len()
        )))
    }
}

/// Judges a sample: an input document, with the answers to a version 2 rule's questions of the
/// ledger in its member `host` when it has one (`docs/PLUGIN_ABI.md`, "Samples of version 2
/// rules"; the member is not part of the input the plugin reads).
/// What a sample gave: a document the host would never give, or the plugin's verdict.
enum SampleRun {
    NotInput(custodia::rules::InputMismatch),
    Judged(Result<custodia_plugins::Verdict, custodia_plugins::CallError>),
}

/// Runs one sample: the input document (checked against `schemas/rule-input.schema.json`)
/// and, for rules of ABI version 2, the ledger's answers in its member `host`.
fn judge_sample(
    plugin: &Plugin,
    path: &Path,
    doc: serde_json::Value,
) -> Result<SampleRun, Failure> {
    let (input, host) =
        split_sample(doc).map_err(|e| Failure::usage(format!("`{}`: {e}", path.display())))?;
    if let Err(e) = custodia::rules::check_input(&input) {
        return Ok(SampleRun::NotInput(e));
    }
    let queries = host
        .as_ref()
        .map(|q| q as &dyn custodia::rules::RuleQueries);
    Ok(SampleRun::Judged(
        plugin.judge_queried(&Input::new(input), queries),
    ))
}

/// A text file of at most `max` bytes.
fn read_bounded(path: &Path, max: usize) -> Result<String, Failure> {
    let cannot = |e: &dyn std::fmt::Display| {
        Failure::usage(format!("cannot read `{}`: {e}", path.display()))
    };
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let mut text = String::new();
    file.take(max as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| cannot(&e))?;
    if text.len() > max {
        return Err(cannot(&format!("it is larger than {max} bytes")));
    }
    Ok(text)
}

/// A manifest, or a module with its manifest beside it, or a bare module with an empty
/// configuration (a plugin being written has no manifest yet).
fn load_one(path: &Path) -> Result<Plugin, Failure> {
    let host = PluginHost::with_default_cache(Limits::default())
        .map_err(|e| Failure::usage(format!("cannot start the plugin host: {e}")))?;
    let cannot = |what: &Path, e: &dyn std::fmt::Display| {
        Failure::usage(format!("cannot load `{}`: {e}", what.display()))
    };
    if path.extension().is_some_and(|x| x == "json") {
        return host.load_manifest(path).map_err(|e| cannot(path, &e));
    }
    let manifest = path.with_extension("json");
    if manifest.exists() {
        return host
            .load_manifest(&manifest)
            .map_err(|e| cannot(&manifest, &e));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display())))?;
    let file = path
        .file_name()
        .and_then(|s| s.to_str())
        .ok_or_else(|| Failure::usage(format!("`{}` is not a file name", path.display())))?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file)
        .replace('_', "-");
    let manifest = Manifest::new(&name, "0.0.0", "LOCAL", file, &bytes, serde_json::json!({}));
    host.load(manifest, &bytes).map_err(|e| cannot(path, &e))
}

fn list(global: &Global, out: &mut dyn Write) -> Result<(), Failure> {
    let dir = global
        .plugins
        .as_deref()
        .ok_or_else(|| Failure::usage("`rules list` needs `--plugins DIR`"))?;
    // A manifest that fails to load is named in the error (`PluginLoad`, with its path).
    let set = RuleSet::from_dir(dir)?;
    for plugin in set.plugins() {
        let id = plugin.id();
        json_line(
            out,
            &serde_json::json!({
                "name": id.name(),
                "version": id.version(),
                "jurisdiction": id.jurisdiction(),
                "identity": id.identity(),
            }),
        )?;
    }
    Ok(())
}
