//! `custodia.rules`: national rule plugins. A `RuleSet` is the engine a ledger runs while
//! rules are in force; a `Plugin` is one rule loaded on its own, for its author to `judge`
//! (or `custodia.rules.test`) input documents and read the `Verdict`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use custodia::rules::{RuleEngine, RuleFailure, RuleRef};
use custodia::{Error, ErrorKind};
use custodia_plugins::{CallError, Input, Limits, Manifest, PluginHost};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde_json::Value;

use crate::convert::{arg, py_to_value, rows_to_py, value_to_py};
use crate::error::{IntoErr, IntoPyResult, invalid_argument, quote, run, type_name};

/// A set of loaded rule plugins: the engine a ledger runs while they are in force.
#[pyclass(frozen, module = "custodia._custodia", name = "RuleSet")]
pub(crate) struct RuleSet {
    set: Arc<custodia_plugins::RuleSet>,
    dir: Option<PathBuf>,
}

impl RuleSet {
    pub(crate) fn engine(&self) -> Arc<dyn RuleEngine> {
        self.set.clone()
    }

    pub(crate) fn rule_refs(&self) -> Vec<RuleRef> {
        self.set.refs()
    }

    pub(crate) fn load_dir(py: Python<'_>, dir: &Path) -> PyResult<RuleSet> {
        let set = run(py, || custodia_plugins::RuleSet::from_dir(dir))?;
        Ok(RuleSet {
            set: Arc::new(set),
            dir: Some(dir.to_path_buf()),
        })
    }
}

fn plugin_row(p: &custodia_plugins::Plugin) -> Value {
    let id = p.id();
    serde_json::json!({
        "name": id.name(),
        "version": id.version(),
        "jurisdiction": id.jurisdiction(),
        "identity": id.identity(),
        "module_sha256": id.module_sha256(),
        "config_sha256": id.config_sha256(),
    })
}

#[pymethods]
impl RuleSet {
    /// Loads every plugin (`*.json` manifest beside its module) in a folder.
    #[staticmethod]
    fn load(py: Python<'_>, dir: &Bound<'_, PyAny>) -> PyResult<Self> {
        let dir: PathBuf = arg(dir, "dir", "str or os.PathLike")?;
        RuleSet::load_dir(py, &dir)
    }

    /// The plugins: `name`, `version`, `jurisdiction`, `identity`, `module_sha256`,
    /// `config_sha256`.
    #[getter]
    fn plugins<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rows: Vec<Value> = self.set.plugins().map(plugin_row).collect();
        value_to_py(py, &Value::Array(rows))
    }

    /// How the plugins are named in a `rules_in_force` event: `name`, `version`, `sha256`.
    fn refs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        rows_to_py(py, &self.rule_refs())
    }

    fn __len__(&self) -> usize {
        self.set.plugins().count()
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self
            .set
            .plugins()
            .map(|p| format!("{} {}", p.id().name(), p.id().version()))
            .collect();
        match &self.dir {
            Some(d) => format!("RuleSet('{}', [{}])", d.display(), names.join(", ")),
            None => format!("RuleSet([{}])", names.join(", ")),
        }
    }
}

/// The host that loads plugins for authors, started once per process (each host reserves a
/// pool of instance slots).
static HOST: OnceLock<Result<PluginHost, String>> = OnceLock::new();

fn host() -> Result<&'static PluginHost, Error> {
    HOST.get_or_init(|| {
        PluginHost::with_default_cache(Limits::default())
            .map_err(|e| format!("cannot start the plugin host: {e}"))
    })
    .as_ref()
    .map_err(|reason| {
        Error::new(ErrorKind::PluginLoad {
            path: String::new(),
            reason: reason.clone(),
        })
    })
}

fn load_error(path: &Path, reason: impl ToString) -> Error {
    Error::new(ErrorKind::PluginLoad {
        path: path.display().to_string(),
        reason: reason.to_string(),
    })
}

/// Loads one plugin as the command line's `rules test` does: a manifest, or a module with its
/// manifest beside it, or a bare module; `config` replaces the manifest's configuration.
fn load_plugin(path: &Path, config: Option<Value>) -> Result<custodia_plugins::Plugin, Error> {
    let host = host()?;
    let is_manifest = path.extension().is_some_and(|x| x == "json");
    let manifest_path = if is_manifest {
        Some(path.to_path_buf())
    } else {
        let beside = path.with_extension("json");
        beside.exists().then_some(beside)
    };
    match (manifest_path, config) {
        (Some(m), None) => host
            .load_manifest(&m)
            .map_err(|e| custodia_plugins::RuleSet::front_door_error(&m, e)),
        (manifest_path, config) => {
            let (manifest, module_path) = match manifest_path {
                Some(m) => {
                    let text = std::fs::read_to_string(&m).map_err(|e| load_error(&m, e))?;
                    let manifest = host.parse_manifest(&text).map_err(|e| load_error(&m, e))?;
                    let module = m
                        .parent()
                        .unwrap_or_else(|| Path::new("."))
                        .join(&manifest.module);
                    (Some(manifest), module)
                }
                None => (None, path.to_path_buf()),
            };
            let bytes = std::fs::read(&module_path).map_err(|e| load_error(&module_path, e))?;
            let file = module_path
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or("plugin.wasm")
                .to_owned();
            let (name, version, jurisdiction, old_config) = match &manifest {
                Some(m) => (
                    m.name.clone(),
                    m.version.clone(),
                    m.jurisdiction.clone(),
                    m.config.clone(),
                ),
                None => (
                    module_path
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or("plugin")
                        .replace('_', "-"),
                    "0.0.0".to_owned(),
                    "LOCAL".to_owned(),
                    Value::Object(serde_json::Map::new()),
                ),
            };
            let manifest = Manifest::new(
                &name,
                &version,
                &jurisdiction,
                &file,
                &bytes,
                config.unwrap_or(old_config),
            );
            host.load(manifest, &bytes)
                .map_err(|e| custodia_plugins::RuleSet::front_door_error(&module_path, e))
        }
    }
}

/// How a failed call is reported, as the ledger reports it (`custodia-plugins` keeps its
/// own mapping private: see the binding's notes).
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

/// One rule plugin, loaded on its own for testing.
#[pyclass(frozen, module = "custodia._custodia", name = "Plugin")]
pub(crate) struct Plugin {
    plugin: custodia_plugins::Plugin,
}

#[pymethods]
impl Plugin {
    /// Loads a plugin: a manifest (`.json`), or a module (`.wasm`) with or without its
    /// manifest beside it. `config` (a dict) replaces the manifest's configuration.
    #[staticmethod]
    #[pyo3(signature = (path, *, config=None))]
    fn load(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        config: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let path: PathBuf = arg(path, "path", "str or os.PathLike")?;
        let config = match config.filter(|c| !c.is_none()) {
            Some(c) => {
                if !c.is_instance_of::<PyDict>() {
                    return Err(invalid_argument(
                        "config",
                        &quote(c),
                        format!("expected a dict, got `{}`", type_name(c)),
                    )
                    .into_err(py));
                }
                Some(py_to_value(c, "", 0).into_py(py)?)
            }
            None => None,
        };
        let plugin = run(py, || load_plugin(&path, config))?;
        Ok(Plugin { plugin })
    }

    /// The plugin's name.
    #[getter]
    fn name(&self) -> String {
        self.plugin.id().name().to_owned()
    }

    /// The plugin's version.
    #[getter]
    fn version(&self) -> String {
        self.plugin.id().version().to_owned()
    }

    /// The jurisdiction it belongs to.
    #[getter]
    fn jurisdiction(&self) -> String {
        self.plugin.id().jurisdiction().to_owned()
    }

    /// Its identity: SHA-256 over the module and the canonical configuration (hex), as a
    /// `rules_in_force` event names it.
    #[getter]
    fn identity(&self) -> String {
        self.plugin.id().identity().to_owned()
    }

    /// Its configuration.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        value_to_py(py, &self.plugin.manifest().config)
    }

    /// Judges one input document (ABI v1: `{"event", "signers", "items", "lots", "site",
    /// "authorisation"}`, see docs/PLUGIN_ABI.md): a dict, JSON text, or a path to a JSON
    /// file. A plugin that traps, loops or misbehaves raises `RuleViolation` (`RuleFailed`).
    fn judge(&self, py: Python<'_>, context: &Bound<'_, PyAny>) -> PyResult<Verdict> {
        let input = context_arg(context)?;
        let plugin = &self.plugin;
        let verdict = run(py, || {
            plugin.judge(&Input::new(input)).map_err(|e| {
                Error::new(ErrorKind::RuleFailed {
                    rule: plugin.id().name().to_owned(),
                    failure: failure_kind(&e),
                    detail: e.to_string(),
                })
            })
        })?;
        Ok(Verdict::from(verdict))
    }

    fn __repr__(&self) -> String {
        let id = self.plugin.id();
        format!(
            "Plugin(name='{}', version='{}', jurisdiction='{}', identity='{}')",
            id.name(),
            id.version(),
            id.jurisdiction(),
            id.identity()
        )
    }
}

/// A context (input document): a dict, JSON text (str or bytes), or a path to a JSON file.
fn context_arg(context: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = context.py();
    let from_text = |text: &[u8], origin: &str| -> PyResult<Value> {
        serde_json::from_slice(text).map_err(|e| {
            Error::new(ErrorKind::JsonMalformed {
                line: e.line() as u64,
                column: e.column() as u64,
                reason: format!("{origin}: {e}"),
            })
            .at_field("context")
            .into_err(py)
        })
    };
    if context.is_instance_of::<PyDict>() {
        return py_to_value(context, "", 0).into_py(py);
    }
    if let Ok(s) = context.cast::<PyString>() {
        return from_text(s.to_cow()?.as_bytes(), "the context");
    }
    if let Ok(b) = context.cast::<PyBytes>() {
        return from_text(b.as_bytes(), "the context");
    }
    if let Ok(path) = context.extract::<PathBuf>() {
        let text = run(py, || {
            std::fs::read(&path).map_err(|e| {
                Error::new(ErrorKind::Io {
                    operation: "read the context".into(),
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })
            })
        })?;
        return from_text(&text, &path.display().to_string());
    }
    Err(invalid_argument(
        "context",
        &quote(context),
        format!(
            "expected a dict, JSON text or a path (os.PathLike), got `{}`",
            type_name(context)
        ),
    )
    .into_err(py))
}

/// A plugin's decision about one event.
#[pyclass(frozen, module = "custodia._custodia", name = "Verdict")]
pub(crate) struct Verdict {
    /// Whether the event complies.
    #[pyo3(get)]
    allowed: bool,
    /// The denial's stable code (`MARKING_INCOMPLETE`), or `None`.
    #[pyo3(get)]
    code: Option<String>,
    /// The denial's explanation, or `None`.
    #[pyo3(get)]
    message: Option<String>,
    warnings: Vec<(String, String)>,
}

impl From<custodia_plugins::Verdict> for Verdict {
    fn from(v: custodia_plugins::Verdict) -> Self {
        let warnings = v
            .warnings()
            .iter()
            .map(|w| (w.code.clone(), w.message.clone()))
            .collect();
        match v {
            custodia_plugins::Verdict::Allow { .. } => Verdict {
                allowed: true,
                code: None,
                message: None,
                warnings,
            },
            custodia_plugins::Verdict::Deny { code, message, .. } => Verdict {
                allowed: false,
                code: Some(code),
                message: Some(message),
                warnings,
            },
        }
    }
}

#[pymethods]
impl Verdict {
    /// `"allow"` or `"deny"`.
    #[getter]
    fn verdict(&self) -> &'static str {
        if self.allowed { "allow" } else { "deny" }
    }

    /// Remarks that do not stop the event: `{"code", "message"}` each.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rows: Vec<Value> = self
            .warnings
            .iter()
            .map(|(code, message)| serde_json::json!({"code": code, "message": message}))
            .collect();
        value_to_py(py, &Value::Array(rows))
    }

    /// The verdict as the command line prints it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = PyDict::new(py);
        d.set_item("verdict", self.verdict())?;
        if let (Some(code), Some(message)) = (&self.code, &self.message) {
            d.set_item("code", code)?;
            d.set_item("message", message)?;
        }
        d.set_item("warnings", self.warnings(py)?)?;
        Ok(d.into_any())
    }

    fn __bool__(&self) -> bool {
        self.allowed
    }

    fn __repr__(&self) -> String {
        let warnings: Vec<&str> = self.warnings.iter().map(|(c, _)| c.as_str()).collect();
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => {
                format!("Verdict(deny, code='{code}', message={message:?}, warnings={warnings:?})")
            }
            _ => format!("Verdict(allow, warnings={warnings:?})"),
        }
    }
}

/// `custodia.rules.test(plugin, context)`: loads `plugin` (a `Plugin`, or a path as for
/// `Plugin.load`) and judges `context`.
#[pyfunction]
pub(crate) fn test_rule(
    py: Python<'_>,
    plugin: &Bound<'_, PyAny>,
    context: &Bound<'_, PyAny>,
) -> PyResult<Verdict> {
    if let Ok(p) = plugin.cast::<Plugin>() {
        return p.get().judge(py, context);
    }
    let path: PathBuf = arg(
        plugin,
        "plugin",
        "custodia.rules.Plugin, str or os.PathLike",
    )?;
    let loaded = run(py, || load_plugin(&path, None))?;
    Plugin { plugin: loaded }.judge(py, context)
}
