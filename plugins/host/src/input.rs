//! The input document of one event, shared by every plugin that judges it.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::canonical;

/// The input document of ABI v1 (`{"event", "signers", "items", "lots", "site",
/// "authorisation"}`, see `docs/PLUGIN_ABI.md`), parsed once and shared by reference between
/// all the plugins that judge the event. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct Input {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    value: Value,
    canonical: OnceLock<Vec<u8>>,
}

impl Input {
    /// Wraps a parsed input document.
    pub fn new(value: Value) -> Self {
        Input {
            inner: Arc::new(Inner {
                value,
                canonical: OnceLock::new(),
            }),
        }
    }

    /// The document.
    pub fn value(&self) -> &Value {
        &self.inner.value
    }

    /// Canonical (RFC 8785) text of the whole document, computed on first use.
    pub fn canonical(&self) -> &[u8] {
        self.inner
            .canonical
            .get_or_init(|| canonical::to_vec(&self.inner.value))
    }
}

impl From<Value> for Input {
    fn from(value: Value) -> Self {
        Input::new(value)
    }
}
