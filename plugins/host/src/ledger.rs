//! The bridge to the ledger: a [`RuleSet`] of loaded plugins, keyed by identity hash, judges
//! events for `custodia`'s [`RuleHook`]. The ledger records which plugins are in force by
//! identity (a `rules_in_force` event); verification re-runs exactly those, so a verdict that
//! differs from append time fails verification.

use std::collections::BTreeMap;
use std::path::Path;

use custodia::model::EventId;
use custodia::rules::{RuleEngine, RuleFailure, RuleOutcome, RuleQueries, RuleRef, RuleWarning};

use crate::{CallError, Input, LoadError, Plugin, PluginHost, Verdict};

/// How a call failure is reported to the ledger.
fn failure_kind(e: &CallError) -> RuleFailure {
    match e {
        CallError::FuelExhausted { .. } | CallError::DeadlineExceeded { .. } => RuleFailure::Budget,
        CallError::MemoryExceeded { .. } => RuleFailure::Memory,
        CallError::QueryArgument { .. } => RuleFailure::Query,
        CallError::TooManyQueries { .. } => RuleFailure::Budget,
        CallError::Trap { .. } => RuleFailure::Trap,
        CallError::PointerOutOfBounds { .. }
        | CallError::InvalidArgument { .. }
        | CallError::OutputTooLarge { .. }
        | CallError::Malformed(_) => RuleFailure::Malformed,
        _ => RuleFailure::Host,
    }
}

/// Loaded plugins by identity (hex SHA-256 over module hash and canonical configuration).
#[derive(Default)]
pub struct RuleSet {
    plugins: BTreeMap<String, Plugin>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.plugins.values().map(|p| {
                format!(
                    "{} {} {}",
                    p.id().name(),
                    p.id().version(),
                    p.id().identity()
                )
            }))
            .finish()
    }
}

impl RuleSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plugin (replacing one with the same identity).
    pub fn insert(&mut self, plugin: Plugin) {
        self.plugins
            .insert(plugin.id().identity().to_owned(), plugin);
    }

    /// Loads every manifest (`*.json`) in a folder, each beside its module, in file-name order.
    pub fn load_dir(host: &PluginHost, dir: &Path) -> Result<Self, LoadError> {
        let mut set = Self::new();
        let entries = std::fs::read_dir(dir).map_err(|e| LoadError::Io {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let mut manifests: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        manifests.sort();
        for path in manifests {
            set.insert(host.load_manifest(&path)?);
        }
        Ok(set)
    }

    /// Loads every plugin in a folder under the default limits, as the command line, the C
    /// API and the Python package do. A failure is the front door's `PluginLoad` error naming
    /// the file.
    pub fn from_dir(dir: &Path) -> Result<Self, custodia::Error> {
        let load_error = |path: &Path, reason: String| {
            custodia::Error::new(custodia::ErrorKind::PluginLoad {
                path: path.display().to_string(),
                reason,
            })
        };
        let entries = std::fs::read_dir(dir).map_err(|e| load_error(dir, e.to_string()))?;
        let mut manifests: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        manifests.sort();
        if manifests.is_empty() {
            // No engine for no plugins: wasmtime reserves a large memory pool when it starts,
            // which hosts with limited address space (valgrind, `ulimit -v`) cannot give.
            return Ok(Self::new());
        }
        let host = PluginHost::with_default_cache(crate::Limits::default())
            .map_err(|e| load_error(dir, format!("cannot start the plugin host: {e}")))?;
        let mut set = Self::new();
        for path in manifests {
            let plugin = host
                .load_manifest(&path)
                .map_err(|e| Self::front_door_error(&path, e))?;
            set.insert(plugin);
        }
        Ok(set)
    }

    /// A plugin that did not load, as the front door reports it: a configuration its
    /// `validate_config` refused is `PluginConfigRefused` (6200, naming the plugin, the field
    /// and the code), anything else `PluginLoad` (6004); both name the file.
    pub fn front_door_error(path: &Path, e: LoadError) -> custodia::Error {
        let path = path.display().to_string();
        match e {
            LoadError::ConfigRefused {
                name,
                field,
                code,
                message,
            } => custodia::Error::new(custodia::ErrorKind::PluginConfigRefused {
                path,
                plugin: name,
                field,
                code,
                message,
            }),
            other => custodia::Error::new(custodia::ErrorKind::PluginLoad {
                path,
                reason: other.to_string(),
            }),
        }
    }

    /// The plugins, in identity order.
    pub fn plugins(&self) -> impl Iterator<Item = &Plugin> {
        self.plugins.values()
    }

    /// How a plugin is named in a `rules_in_force` event.
    pub fn rule_ref(plugin: &Plugin) -> Option<RuleRef> {
        let id = plugin.id();
        Some(RuleRef {
            name: id.name().to_owned(),
            version: id.version().to_owned(),
            sha256: EventId::from_hex(id.identity()).ok()?,
        })
    }

    /// References to every plugin in the set, for a `rules_in_force` event.
    pub fn refs(&self) -> Vec<RuleRef> {
        self.plugins.values().filter_map(Self::rule_ref).collect()
    }

    /// Judges one input with the plugins named in `rules`, in order. Plugins of ABI version 2
    /// ask their questions of `queries` (without it, a question fails the call:
    /// [`CallError::QueryUnavailable`]).
    pub fn judge_all(
        &self,
        rules: &[RuleRef],
        input: &Input,
        queries: Option<&dyn RuleQueries>,
    ) -> Result<Vec<RuleWarning>, RuleOutcome> {
        let mut warnings = Vec::new();
        for rule in rules {
            let Some(plugin) = self.plugins.get(&rule.sha256.to_hex()) else {
                return Err(RuleOutcome::Failed {
                    rule: rule.name.clone(),
                    failure: RuleFailure::NotLoaded,
                    detail: format!(
                        "plugin `{}` {} with identity `{}` is in force but not loaded",
                        rule.name, rule.version, rule.sha256
                    ),
                });
            };
            match plugin.judge_queried(input, queries) {
                Ok(Verdict::Allow { warnings: w }) => {
                    warnings.extend(w.into_iter().map(|w| RuleWarning {
                        rule: rule.name.clone(),
                        code: w.code,
                        message: w.message,
                    }));
                }
                Ok(Verdict::Deny { code, message, .. }) => {
                    return Err(RuleOutcome::Denied {
                        rule: rule.name.clone(),
                        code,
                        message,
                    });
                }
                Err(e) => {
                    return Err(RuleOutcome::Failed {
                        rule: rule.name.clone(),
                        failure: failure_kind(&e),
                        detail: e.to_string(),
                    });
                }
            }
        }
        Ok(warnings)
    }
}

impl RuleEngine for RuleSet {
    fn judge(
        &self,
        rules: &[RuleRef],
        input: &serde_json::Value,
    ) -> Result<Vec<RuleWarning>, RuleOutcome> {
        #[cfg(debug_assertions)]
        check_input_in_debug_builds(rules, input)?;
        self.judge_all(rules, &Input::new(input.clone()), None)
    }

    fn judge_queried(
        &self,
        rules: &[RuleRef],
        input: &serde_json::Value,
        queries: &dyn RuleQueries,
    ) -> Result<Vec<RuleWarning>, RuleOutcome> {
        #[cfg(debug_assertions)]
        check_input_in_debug_builds(rules, input)?;
        self.judge_all(rules, &Input::new(input.clone()), Some(queries))
    }
}

/// In debug builds, the document the ledger built must follow
/// `schemas/rule-input.schema.json`: a mismatch is a defect of the ledger, reported as a host
/// failure of the first rule (the event is not judged) naming the pointer of the fault.
#[cfg(debug_assertions)]
fn check_input_in_debug_builds(
    rules: &[RuleRef],
    input: &serde_json::Value,
) -> Result<(), RuleOutcome> {
    let Some(first) = rules.first() else {
        return Ok(());
    };
    custodia::rules::check_input(input).map_err(|e| RuleOutcome::Failed {
        rule: first.name.clone(),
        failure: RuleFailure::Host,
        detail: format!("the ledger built an input document that breaks its schema {e}"),
    })
}
