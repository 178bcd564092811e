//! The plugin host: one wasmtime engine with the sandbox limits, and the plugins loaded in it.
//!
//! A plugin is compiled and linked once ([`InstancePre`]); every call gets a fresh [`Store`]
//! (fuel, memory cap, optional epoch deadline) and a fresh instance from the pooling
//! allocator, so no state survives from one call to the next: the same input always meets
//! the same freshly initialised module, at append time and at verify time alike.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};
use wasmtime::{
    Config, Engine, Extern, ExternType, InstanceAllocationStrategy, InstancePre, Linker, Module,
    ModuleExport, PoolingAllocationConfig, Store, ValType,
};

use custodia::rules::RuleQueries;

use crate::abi::{self, CallState, Caps, ConfigDoc};
use crate::cache::ModuleCache;
use crate::canonical;
use crate::error::{CallError, HostError, LoadError, MalformedOutput};
use crate::input::Input;
use crate::limits::{Limits, TABLE_ELEMENTS_MAX};
use crate::manifest::{self, Manifest, PluginId};
use crate::query::Asked;
use crate::verdict::Verdict;

/// Memory the pool resets with memset instead of madvise between calls: page faults on a
/// fresh mapping cost more than clearing the few pages a rule touches.
const MEMORY_KEEP_RESIDENT_BYTES: usize = 256 << 10;

/// A wasmtime engine configured for deterministic, sandboxed rule plugins.
#[derive(Clone)]
pub struct PluginHost {
    engine: Engine,
    linker: Arc<Linker<CallState>>,
    limits: Limits,
    schema: Arc<custodia::rules::Schema>,
    /// Where compiled plugins are kept between processes, if anywhere.
    cache: Option<Arc<ModuleCache>>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl PluginHost {
    /// A host whose plugins run under `limits`.
    pub fn new(limits: Limits) -> Result<Self, HostError> {
        limits.validate()?;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(limits.concurrent_calls_max)
            .total_memories(limits.concurrent_calls_max)
            .total_tables(limits.concurrent_calls_max)
            .max_memory_size(limits.plugin_memory_bytes_max)
            .table_elements(TABLE_ELEMENTS_MAX)
            .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT_BYTES)
            .table_keep_resident(MEMORY_KEEP_RESIDENT_BYTES);
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .epoch_interruption(limits.epoch_deadline_ticks.is_some())
            .max_wasm_stack(limits.wasm_stack_bytes_max)
            // Rules' data segments are a few KiB: copying them into the pool's resident, zeroed
            // memory is cheaper than mapping a copy-on-write image and faulting on first write.
            .memory_init_cow(false)
            // Determinism: the same bits on every machine, at append and at verify time.
            .cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| HostError::Engine {
            reason: e.to_string(),
        })?;
        let mut linker = Linker::new(&engine);
        abi::define(&mut linker)
            .and_then(|()| crate::query::define(&mut linker))
            .map_err(|e| HostError::Engine {
                reason: e.to_string(),
            })?;
        let schema_doc: Value =
            serde_json::from_str(manifest::MANIFEST_SCHEMA).map_err(|e| HostError::Schema {
                reason: e.to_string(),
            })?;
        let schema = custodia::rules::Schema::new(&schema_doc, &[])
            .map_err(|reason| HostError::Schema { reason })?;
        Ok(PluginHost {
            engine,
            linker: Arc::new(linker),
            limits,
            schema: Arc::new(schema),
            cache: None,
        })
    }

    /// This host, keeping the plugins it compiles in `cache` and loading them from there when
    /// found (see [`ModuleCache`] for what the cache trusts). Without one, every load compiles.
    #[must_use]
    pub fn with_module_cache(mut self, cache: ModuleCache) -> Self {
        self.cache = Some(Arc::new(cache));
        self
    }

    /// A host under `limits` with the cache the command line, the C API and the Python package
    /// use ([`ModuleCache::from_env`]: `$CUSTODIA_PLUGIN_CACHE`, else the user's cache folder).
    pub fn with_default_cache(limits: Limits) -> Result<Self, HostError> {
        let host = Self::new(limits)?;
        Ok(match ModuleCache::from_env()? {
            Some(cache) => host.with_module_cache(cache),
            None => host,
        })
    }

    /// The cache of compiled plugins, if any.
    pub fn module_cache(&self) -> Option<&ModuleCache> {
        self.cache.as_deref()
    }

    /// Where this host's cache keeps the module `module_bytes` compiled (whether or not it is
    /// there yet); `None` without a cache.
    pub fn cache_entry(&self, module_bytes: &[u8]) -> Option<std::path::PathBuf> {
        let cache = self.cache.as_deref()?;
        Some(cache.entry_path(&self.engine, &Sha256::digest(module_bytes)))
    }

    /// The limits every plugin of this host runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Advances the epoch by one tick; calls running longer than
    /// [`Limits::epoch_deadline_ticks`] ticks then fail with
    /// [`CallError::DeadlineExceeded`]. Drive it from a timer thread.
    pub fn increment_epoch(&self) {
        self.engine.increment_epoch();
    }

    /// Parses and schema-checks a manifest.
    pub fn parse_manifest(&self, text: &str) -> Result<Manifest, LoadError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| LoadError::ManifestJson {
            reason: e.to_string(),
        })?;
        manifest::decode(&self.schema, &doc)
    }

    /// Loads the manifest at `path` and the module it names (in the same directory).
    pub fn load_manifest(&self, path: &Path) -> Result<Plugin, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let manifest = self.parse_manifest(&text)?;
        // The schema forbids path separators in `module`: it can only name a sibling file.
        let module_path = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&manifest.module);
        let bytes = std::fs::read(&module_path).map_err(|source| LoadError::Io {
            path: module_path.clone(),
            source,
        })?;
        self.load(manifest, &bytes)
    }

    /// Checks `module_bytes` against `manifest`, compiles and links it, and asks it for its ABI
    /// version.
    pub fn load(&self, manifest: Manifest, module_bytes: &[u8]) -> Result<Plugin, LoadError> {
        let doc = serde_json::to_value(&manifest).map_err(|e| LoadError::ManifestJson {
            reason: e.to_string(),
        })?;
        let manifest = manifest::decode(&self.schema, &doc)?;
        let name = manifest.name.clone();
        if !abi::ABI_VERSIONS.contains(&manifest.abi_version) {
            return Err(LoadError::AbiVersionUnsupported {
                name,
                declared: manifest.abi_version,
                supported: abi::ABI_VERSIONS,
            });
        }
        if module_bytes.len() > self.limits.module_bytes_max {
            return Err(LoadError::ModuleTooLarge {
                name,
                bytes: module_bytes.len(),
                max: self.limits.module_bytes_max,
            });
        }
        let module_hash = Sha256::digest(module_bytes);
        let actual = hex::encode(module_hash);
        if actual != manifest.module_sha256 {
            return Err(LoadError::ModuleHashMismatch {
                name,
                expected: manifest.module_sha256.clone(),
                actual,
            });
        }
        if let Some(pointer) = canonical::first_non_integer(&manifest.config) {
            return Err(LoadError::ConfigNotInteger { name, pointer });
        }
        let canonical_config = canonical::to_vec(&manifest.config);
        if canonical_config.len() > self.limits.config_bytes_max {
            return Err(LoadError::ConfigTooLarge {
                name,
                bytes: canonical_config.len(),
                max: self.limits.config_bytes_max,
            });
        }
        if let Some(expected) = &manifest.config_sha256 {
            let actual = manifest::sha256_hex(&canonical_config);
            if &actual != expected {
                return Err(LoadError::ConfigHashMismatch {
                    name,
                    expected: expected.clone(),
                    actual,
                });
            }
        }

        let module = match &self.cache {
            Some(cache) => cache.module(&self.engine, module_bytes, &module_hash),
            None => Module::new(&self.engine, module_bytes),
        }
        .map_err(|e| LoadError::ModuleInvalid {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        for import in module.imports() {
            // Version 2's queries only for modules that declare version 2: a version 1
            // module keeps exactly the imports it was checked against.
            let known = abi::IMPORTS.contains(&import.name())
                || (manifest.abi_version >= 2 && crate::query::IMPORTS_V2.contains(&import.name()));
            let allowed = import.module() == abi::IMPORT_MODULE
                && known
                && matches!(import.ty(), ExternType::Func(_));
            if !allowed {
                return Err(LoadError::ForbiddenImport {
                    name,
                    module: import.module().to_owned(),
                    import: import.name().to_owned(),
                });
            }
        }
        let exports = Exports::find(&module, &name)?;
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Link {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        let id = PluginId::new(&manifest, &module_hash, &canonical_config);
        let plugin = Plugin {
            id,
            engine: self.engine.clone(),
            pre,
            exports,
            config: Arc::new(ConfigDoc {
                value: manifest.config.clone(),
                canonical: canonical_config,
            }),
            limits: self.limits.clone(),
            manifest,
        };
        let reported = plugin
            .call(None, &plugin.exports.abi_version)
            .map(|(v, _)| v)
            .map_err(|source| LoadError::Probe {
                name: name.clone(),
                source,
            })?;
        if i64::from(reported) != i64::from(plugin.manifest.abi_version) {
            return Err(LoadError::AbiVersionMismatch {
                name,
                declared: plugin.manifest.abi_version,
                reported: i64::from(reported),
            });
        }
        plugin.validate_config()?;
        Ok(plugin)
    }
}

/// Export handles resolved once at load time.
struct Exports {
    memory: ModuleExport,
    judge: ModuleExport,
    abi_version: ModuleExport,
    /// The optional `validate_config` export, called once at load time.
    validate_config: Option<ModuleExport>,
}

impl Exports {
    fn find(module: &Module, name: &str) -> Result<Exports, LoadError> {
        let missing = |export: &'static str, expected: &'static str| LoadError::MissingExport {
            name: name.to_owned(),
            export,
            expected,
        };
        let nullary_i32 = |export: &'static str| -> Result<ModuleExport, LoadError> {
            let ok = match module.get_export(export) {
                Some(ExternType::Func(ft)) => {
                    ft.params().len() == 0
                        && ft.results().len() == 1
                        && ft.results().all(|r| matches!(r, ValType::I32))
                }
                _ => false,
            };
            if !ok {
                return Err(missing(export, "`func() -> i32`"));
            }
            module
                .get_export_index(export)
                .ok_or(missing(export, "`func() -> i32`"))
        };
        let memory = match module.get_export(abi::EXPORT_MEMORY) {
            Some(ExternType::Memory(m)) if !m.is_64() && !m.is_shared() => module
                .get_export_index(abi::EXPORT_MEMORY)
                .ok_or(missing(abi::EXPORT_MEMORY, "32-bit memory"))?,
            _ => return Err(missing(abi::EXPORT_MEMORY, "32-bit memory")),
        };
        let validate_config = match module.get_export(abi::EXPORT_VALIDATE_CONFIG) {
            None => None,
            Some(_) => Some(nullary_i32(abi::EXPORT_VALIDATE_CONFIG)?),
        };
        Ok(Exports {
            memory,
            judge: nullary_i32(abi::EXPORT_JUDGE)?,
            abi_version: nullary_i32(abi::EXPORT_ABI_VERSION)?,
            validate_config,
        })
    }
}

/// A loaded, verified plugin, ready to judge events. `Send + Sync`: share it across threads.
pub struct Plugin {
    id: PluginId,
    manifest: Manifest,
    engine: Engine,
    pre: InstancePre<CallState>,
    exports: Exports,
    config: Arc<ConfigDoc>,
    limits: Limits,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// Name, version and identity hash.
    pub fn id(&self) -> &PluginId {
        &self.id
    }

    /// The manifest the plugin was loaded from.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Judges one event. Traps, exhausted fuel, memory overruns, bad pointers and malformed
    /// output are errors; the host and the plugin stay usable. A plugin of ABI version 2 that
    /// asks the ledger a question fails here ([`CallError::QueryUnavailable`]): judge it with
    /// [`Plugin::judge_queried`].
    pub fn judge(&self, input: &Input) -> Result<Verdict, CallError> {
        self.judge_queried(input, None)
    }

    /// Judges one event; a plugin of ABI version 2 asks its questions of `queries` (the
    /// ledger just before the event). Each distinct question costs one more run of the plugin
    /// in a fresh instance (`docs/PLUGIN_ABI.md`, "Version 2"); the verdict is the last run's.
    pub fn judge_queried(
        &self,
        input: &Input,
        queries: Option<&dyn RuleQueries>,
    ) -> Result<Verdict, CallError> {
        let mut asked = Asked {
            available: queries.is_some(),
            ..Asked::default()
        };
        let (rc, state) = loop {
            let (result, mut state) = self.run(Some(input.clone()), asked, &self.exports.judge);
            match (state.asked.pending.take(), queries) {
                // INVARIANT (one-more-answer): every extra run starts with one more answer
                // than the last, and `lookup` refuses past `QUERIES_PER_CALL_MAX`: the loop
                // ends.
                (Some(question), Some(queries)) => {
                    let reply = crate::query::answer(queries, &question);
                    asked = std::mem::take(&mut state.asked);
                    asked.answers.insert(question, reply);
                }
                _ => break (result?, state),
            }
        };
        if rc != 0 {
            return Err(MalformedOutput::ReturnCode { value: rc }.into());
        }
        Ok(match state.deny {
            None => Verdict::Allow {
                warnings: state.warnings,
            },
            Some(d) => Verdict::Deny {
                code: d.code,
                message: d.message,
                warnings: state.warnings,
            },
        })
    }

    /// Runs the plugin's `validate_config` export, when it has one, on its configuration: a
    /// denial is [`LoadError::ConfigRefused`] naming the field (the JSON Pointer before `": "`
    /// in the denial's message), a failed call is [`LoadError::Probe`]. Without the export
    /// every configuration is accepted.
    fn validate_config(&self) -> Result<(), LoadError> {
        let Some(export) = &self.exports.validate_config else {
            return Ok(());
        };
        let name = self.manifest.name.clone();
        let probe = |source: CallError| LoadError::Probe {
            name: name.clone(),
            source,
        };
        let (rc, state) = self.call(None, export).map_err(probe)?;
        if rc != 0 {
            return Err(probe(MalformedOutput::ReturnCode { value: rc }.into()));
        }
        match state.deny {
            None => Ok(()),
            Some(d) => {
                let (field, message) = split_field(&d.message);
                Err(LoadError::ConfigRefused {
                    name,
                    field: field.to_owned(),
                    code: d.code,
                    message: message.to_owned(),
                })
            }
        }
    }

    /// Judges one event given as a bare document (copies it; prefer [`Plugin::judge`] with
    /// one [`Input`] shared by all plugins).
    pub fn judge_value(&self, input: &Value) -> Result<Verdict, CallError> {
        self.judge(&Input::new(input.clone()))
    }

    fn call(
        &self,
        input: Option<Input>,
        export: &ModuleExport,
    ) -> Result<(i32, CallState), CallError> {
        let (result, state) = self.run(input, Asked::default(), export);
        result.map(|rc| (rc, state))
    }

    /// One run of `export` in a fresh instance; the call state comes back whatever happened
    /// (a question the plugin asked is in `asked.pending`).
    fn run(
        &self,
        input: Option<Input>,
        asked: Asked,
        export: &ModuleExport,
    ) -> (Result<i32, CallError>, CallState) {
        let state = CallState {
            input,
            config: Arc::clone(&self.config),
            memory: None,
            caps: Caps {
                memory_bytes_max: self.limits.plugin_memory_bytes_max,
            },
            deny: None,
            warnings: Vec::new(),
            output_bytes: 0,
            verdict_bytes_max: self.limits.verdict_bytes_max,
            warnings_max: self.limits.warnings_max,
            asked,
        };
        let mut store = Store::new(&self.engine, state);
        let result = self.run_in(&mut store, export);
        (result, store.into_data())
    }

    fn run_in(
        &self,
        store: &mut Store<CallState>,
        export: &ModuleExport,
    ) -> Result<i32, CallError> {
        store.limiter(|s| &mut s.caps);
        store
            .set_fuel(self.limits.fuel_per_call_max)
            .map_err(|e| CallError::Instantiate {
                reason: e.to_string(),
            })?;
        if let Some(ticks) = self.limits.epoch_deadline_ticks {
            store.set_epoch_deadline(ticks);
            store.epoch_deadline_trap();
        }
        let instance = self
            .pre
            .instantiate(&mut *store)
            .map_err(|e| self.classify(e, true))?;
        let memory = instance
            .get_module_export(&mut *store, &self.exports.memory)
            .and_then(Extern::into_memory);
        store.data_mut().memory = memory;
        let func = instance
            .get_module_export(&mut *store, export)
            .and_then(Extern::into_func)
            .ok_or(CallError::Instantiate {
                reason: "export vanished".to_owned(),
            })?
            .typed::<(), i32>(&*store)
            .map_err(|e| CallError::Instantiate {
                reason: e.to_string(),
            })?;
        func.call(&mut *store, ())
            .map_err(|e| self.classify(e, false))
    }

    fn classify(&self, e: wasmtime::Error, instantiating: bool) -> CallError {
        if let Some(call) = e.downcast_ref::<CallError>() {
            return call.clone();
        }
        if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
            return match trap {
                wasmtime::Trap::OutOfFuel => CallError::FuelExhausted {
                    fuel: self.limits.fuel_per_call_max,
                },
                wasmtime::Trap::Interrupt => CallError::DeadlineExceeded {
                    ticks: self.limits.epoch_deadline_ticks.unwrap_or(0),
                },
                other => CallError::Trap {
                    reason: other.to_string(),
                },
            };
        }
        if instantiating {
            CallError::Instantiate {
                reason: e.to_string(),
            }
        } else {
            CallError::Trap {
                reason: e.to_string(),
            }
        }
    }
}

/// Splits a `validate_config` denial's message `FIELD: TEXT` (FIELD a JSON Pointer into the
/// configuration, `""` for the whole of it); a message without a field names the whole
/// configuration.
fn split_field(message: &str) -> (&str, &str) {
    if (message.starts_with('/') || message.starts_with(':'))
        && let Some((field, text)) = message.split_once(": ")
    {
        return (field, text);
    }
    ("", message)
}

#[cfg(test)]
mod tests {
    use super::split_field;

    #[test]
    fn config_field_is_read_from_the_message() {
        assert_eq!(
            split_field("/methods/0: unknown"),
            ("/methods/0", "unknown")
        );
        assert_eq!(split_field(": the whole config"), ("", "the whole config"));
        assert_eq!(split_field("no field: here"), ("", "no field: here"));
        assert_eq!(split_field("/a"), ("", "/a"));
    }
}
