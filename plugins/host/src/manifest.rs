//! Plugin manifests and plugin identity.
//!
//! A manifest names a module by file name and sha256 and carries the plugin's configuration.
//! The identity the ledger records is
//! `sha256(module_sha256 as 32 raw bytes || canonical config bytes)`, lowercase hex, where the
//! canonical config is its RFC 8785 text (see [`crate::canonical`]). Two plugins with the same
//! identity judge every input identically.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::canonical;
use crate::error::LoadError;

/// The manifest schema, checked in at `schemas/plugin-manifest.schema.json`.
pub const MANIFEST_SCHEMA: &str = include_str!("../../../schemas/plugin-manifest.schema.json");

/// A plugin manifest (see `schemas/plugin-manifest.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Plugin name, e.g. `co-witnesses`.
    pub name: String,
    /// Plugin version (semver).
    pub version: String,
    /// Jurisdiction the rule belongs to, e.g. `CO` or `CO/ministry-of-defence`.
    pub jurisdiction: String,
    /// ABI version the module was built for; this host speaks [`crate::ABI_VERSION`].
    pub abi_version: u32,
    /// File name of the module, in the manifest's directory.
    pub module: String,
    /// Lowercase hex sha256 of the module bytes.
    pub module_sha256: String,
    /// Configuration handed to the plugin (an object); covered by the identity hash.
    #[serde(default = "empty_object")]
    pub config: Value,
    /// Lowercase hex sha256 of the canonical config; checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_sha256: Option<String>,
    /// Free text for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Manifest {
    /// A manifest for `module_bytes` with the hashes filled in (for tools and tests).
    pub fn new(
        name: &str,
        version: &str,
        jurisdiction: &str,
        module_file: &str,
        module_bytes: &[u8],
        config: Value,
    ) -> Manifest {
        let config_sha256 = Some(sha256_hex(&canonical::to_vec(&config)));
        Manifest {
            name: name.to_owned(),
            version: version.to_owned(),
            jurisdiction: jurisdiction.to_owned(),
            abi_version: crate::ABI_VERSION,
            module: module_file.to_owned(),
            module_sha256: sha256_hex(module_bytes),
            config,
            config_sha256,
            description: None,
        }
    }

    /// The canonical (RFC 8785) bytes of the config.
    pub fn canonical_config(&self) -> Vec<u8> {
        canonical::to_vec(&self.config)
    }
}

/// Who a loaded plugin is: its labels and its identity hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PluginId {
    name: String,
    version: String,
    jurisdiction: String,
    module_sha256: String,
    config_sha256: String,
    identity: String,
}

impl PluginId {
    pub(crate) fn new(manifest: &Manifest, module_hash: &[u8], canonical_config: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(module_hash);
        h.update(canonical_config);
        PluginId {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            jurisdiction: manifest.jurisdiction.clone(),
            module_sha256: hex::encode(module_hash),
            config_sha256: sha256_hex(canonical_config),
            identity: hex::encode(h.finalize()),
        }
    }

    /// Plugin name from the manifest.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Plugin version from the manifest.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Jurisdiction from the manifest.
    pub fn jurisdiction(&self) -> &str {
        &self.jurisdiction
    }

    /// Lowercase hex sha256 of the module.
    pub fn module_sha256(&self) -> &str {
        &self.module_sha256
    }

    /// Lowercase hex sha256 of the canonical config.
    pub fn config_sha256(&self) -> &str {
        &self.config_sha256
    }

    /// Lowercase hex identity: `sha256(module sha256 raw bytes || canonical config)`.
    pub fn identity(&self) -> &str {
        &self.identity
    }
}

impl fmt::Display for PluginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{} ({})", self.name, self.version, self.identity)
    }
}

/// Validates a manifest document against the schema and decodes it.
pub(crate) fn decode(schema: &custodia::rules::Schema, doc: &Value) -> Result<Manifest, LoadError> {
    if let Some(fault) = schema.faults(doc).into_iter().next() {
        return Err(LoadError::ManifestSchema {
            pointer: fault.pointer,
            reason: fault.reason,
        });
    }
    serde_json::from_value(doc.clone()).map_err(|e| LoadError::ManifestJson {
        reason: e.to_string(),
    })
}
