//! The bridge to the ledger: a [`RuleSet`] of loaded plugins, keyed by identity hash, judges
//! events for `custodia`'s [`RuleHook`]. The ledger records which plugins are in force by
//! identity (a `rules_in_force` event); verification re-runs exactly those, so a verdict that
//! differs from append time fails verification.

use std::collections::BTreeMap;
use std::path::Path;

use custodia::event::RuleRef;
use custodia::ledger::{RuleHook, RuleOutcome};
use custodia::model::EventId;

use crate::{Input, LoadError, Plugin, PluginHost, Verdict};

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

    /// Judges one input with the plugins named in `rules`, in order.
    pub fn judge_all(
        &self,
        rules: &[RuleRef],
        input: &Input,
    ) -> Result<Vec<(String, String, String)>, RuleOutcome> {
        let mut warnings = Vec::new();
        for rule in rules {
            let Some(plugin) = self.plugins.get(&rule.sha256.to_hex()) else {
                return Err(RuleOutcome::Failed {
                    rule: rule.name.clone(),
                    reason: format!(
                        "plugin `{}` {} with identity `{}` is in force but not loaded",
                        rule.name, rule.version, rule.sha256
                    ),
                });
            };
            match plugin.judge(input) {
                Ok(Verdict::Allow { warnings: w }) => warnings.extend(
                    w.into_iter()
                        .map(|w| (rule.name.clone(), w.code, w.message)),
                ),
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
                        reason: e.to_string(),
                    });
                }
            }
        }
        Ok(warnings)
    }
}

impl RuleHook for RuleSet {
    fn judge(
        &self,
        rules: &[RuleRef],
        input: &serde_json::Value,
    ) -> Result<Vec<(String, String, String)>, RuleOutcome> {
        self.judge_all(rules, &Input::new(input.clone()))
    }
}
