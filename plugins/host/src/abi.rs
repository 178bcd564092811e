//! ABI version 1 (and the base of version 2, whose queries are in `query.rs`): the host functions a plugin may import (module `custodia`) and the per-call
//! state they read and write. See `docs/PLUGIN_ABI.md`.
//!
//! Every guest pointer is checked against the guest memory before use; every failure is a
//! [`CallError`] returned as the host function's error, which unwinds the guest and ends the
//! call. Nothing a plugin does outlives its call.

use std::sync::Arc;

use serde_json::Value;
use wasmtime::{Caller, Linker, Memory, ResourceLimiter};

use crate::canonical;
use crate::error::{CallError, MalformedOutput};
use crate::input::Input;
use crate::limits::{CODE_BYTES_MAX, TABLE_ELEMENTS_MAX};
use crate::verdict::Warning;

/// The first ABI version, the one [`crate::Manifest::new`] declares.
pub const ABI_VERSION: u32 = 1;
/// Every ABI version this host speaks: version 2 adds the host queries
/// ([`crate::IMPORTS_V2`]) to the imports of version 1.
pub const ABI_VERSIONS: [u32; 2] = [1, 2];
/// The module name of every import.
pub const IMPORT_MODULE: &str = "custodia";
/// The import names ABI v1 defines.
pub const IMPORTS: [&str; 10] = [
    "kind", "get_bool", "get_int", "get_str", "str_eq", "count", "key", "get_json", "deny", "warn",
];
/// Export: `custodia_abi_version() -> i32`.
pub const EXPORT_ABI_VERSION: &str = "custodia_abi_version";
/// Export: `judge() -> i32`, returning 0.
pub const EXPORT_JUDGE: &str = "judge";
/// Optional export: `validate_config() -> i32`, returning 0; called once at load time with
/// the configuration only. A denial refuses the plugin (`LoadError::ConfigRefused`).
pub const EXPORT_VALIDATE_CONFIG: &str = "validate_config";
/// Export: the linear memory.
pub const EXPORT_MEMORY: &str = "memory";

/// `doc` argument: the input document.
pub const DOC_INPUT: i32 = 0;
/// `doc` argument: the configuration.
pub const DOC_CONFIG: i32 = 1;

/// Host functions charge one unit of fuel per this many bytes they copy into the guest.
const COPY_BYTES_PER_FUEL: u64 = 8;

/// Memory and table caps of one store.
pub(crate) struct Caps {
    pub(crate) memory_bytes_max: usize,
}

impl ResourceLimiter for Caps {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes_max {
            return Err(wasmtime::Error::new(CallError::MemoryExceeded {
                requested_bytes: desired,
                max: self.memory_bytes_max,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= TABLE_ELEMENTS_MAX)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }
}

/// The plugin's configuration, prepared once at load time.
#[derive(Debug)]
pub(crate) struct ConfigDoc {
    pub(crate) value: Value,
    pub(crate) canonical: Vec<u8>,
}

/// Everything one call may touch.
pub(crate) struct CallState {
    pub(crate) input: Option<Input>,
    pub(crate) config: Arc<ConfigDoc>,
    pub(crate) memory: Option<Memory>,
    pub(crate) caps: Caps,
    pub(crate) deny: Option<Warning>,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) output_bytes: usize,
    pub(crate) verdict_bytes_max: usize,
    pub(crate) warnings_max: usize,
    /// ABI v2: the questions asked of the ledger and their answers so far.
    pub(crate) asked: crate::query::Asked,
}

impl CallState {
    pub(crate) fn doc(&self, function: &'static str, doc: i32) -> Result<&Value, CallError> {
        match doc {
            DOC_INPUT => self
                .input
                .as_ref()
                .map(Input::value)
                .ok_or(CallError::InvalidArgument {
                    function,
                    reason: "the input is not available outside `judge`",
                }),
            DOC_CONFIG => Ok(&self.config.value),
            _ => Err(CallError::InvalidArgument {
                function,
                reason: "`doc` must be 0 (input) or 1 (config)",
            }),
        }
    }

    /// Canonical text of the value at `pointer` in `doc`; the whole documents are cached.
    fn json_of(&self, doc: i32, pointer: &str, value: &Value) -> Vec<u8> {
        if pointer.is_empty() {
            match (doc, &self.input) {
                (DOC_CONFIG, _) => return self.config.canonical.clone(),
                (_, Some(input)) => return input.canonical().to_vec(),
                _ => {}
            }
        }
        canonical::to_vec(value)
    }
}

fn as_u32(n: i32) -> u32 {
    u32::from_ne_bytes(n.to_ne_bytes())
}

fn clamp_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The guest memory and the call state, borrowed together.
pub(crate) fn split<'a>(
    caller: &'a mut Caller<'_, CallState>,
    function: &'static str,
) -> Result<(&'a mut [u8], &'a mut CallState), CallError> {
    let memory = match caller.data().memory {
        Some(m) => m,
        None => {
            let m = caller
                .get_export(crate::abi::EXPORT_MEMORY)
                .and_then(wasmtime::Extern::into_memory)
                .ok_or(CallError::InvalidArgument {
                    function,
                    reason: "the module exports no memory",
                })?;
            caller.data_mut().memory = Some(m);
            m
        }
    };
    Ok(memory.data_and_store_mut(caller))
}

pub(crate) fn range(
    memory_bytes: usize,
    function: &'static str,
    ptr: i32,
    len: i32,
) -> Result<std::ops::Range<usize>, CallError> {
    let (p, l) = (as_u32(ptr), as_u32(len));
    let oob = CallError::PointerOutOfBounds {
        function,
        ptr: p,
        len: l,
        memory_bytes,
    };
    let start = usize::try_from(p).map_err(|_| oob.clone())?;
    let end = start
        .checked_add(usize::try_from(l).map_err(|_| oob.clone())?)
        .ok_or(oob.clone())?;
    if end > memory_bytes {
        return Err(oob);
    }
    Ok(start..end)
}

pub(crate) fn guest_str<'a>(
    data: &'a [u8],
    function: &'static str,
    ptr: i32,
    len: i32,
) -> Result<&'a str, CallError> {
    let r = range(data.len(), function, ptr, len)?;
    let bytes = data.get(r).ok_or(CallError::PointerOutOfBounds {
        function,
        ptr: as_u32(ptr),
        len: as_u32(len),
        memory_bytes: data.len(),
    })?;
    std::str::from_utf8(bytes).map_err(|_| CallError::InvalidArgument {
        function,
        reason: "the JSON Pointer is not valid UTF-8",
    })
}

/// Copies `bytes` (at most `cap` of them) to the guest buffer `buf`; returns the full length.
pub(crate) fn copy_out(
    data: &mut [u8],
    function: &'static str,
    buf: i32,
    cap: i32,
    bytes: &[u8],
) -> Result<(i32, u64), CallError> {
    let r = range(data.len(), function, buf, cap)?;
    let n = bytes.len().min(r.len());
    let start = r.start;
    let dst = data
        .get_mut(start..start + n)
        .ok_or(CallError::PointerOutOfBounds {
            function,
            ptr: as_u32(buf),
            len: as_u32(cap),
            memory_bytes: 0,
        })?;
    let src = bytes.get(..n).unwrap_or_default();
    dst.copy_from_slice(src);
    let fuel = u64::try_from(n).unwrap_or(u64::MAX) / COPY_BYTES_PER_FUEL;
    Ok((clamp_i32(bytes.len()), fuel))
}

pub(crate) fn charge(caller: &mut Caller<'_, CallState>, fuel: u64) -> wasmtime::Result<()> {
    if fuel == 0 {
        return Ok(());
    }
    let left = caller.get_fuel()?;
    if left < fuel {
        caller.set_fuel(0)?;
        return Err(wasmtime::Error::new(wasmtime::Trap::OutOfFuel));
    }
    caller.set_fuel(left - fuel)
}

/// Kind codes returned by `kind`.
fn kind_code(v: Option<&Value>) -> i32 {
    match v {
        None => -1,
        Some(Value::Null) => 0,
        Some(Value::Bool(_)) => 1,
        Some(Value::Number(n)) if n.is_i64() => 2,
        Some(Value::Number(_)) => 3,
        Some(Value::String(_)) => 4,
        Some(Value::Array(_)) => 5,
        Some(Value::Object(_)) => 6,
    }
}

pub(crate) fn err(e: CallError) -> wasmtime::Error {
    wasmtime::Error::new(e)
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= CODE_BYTES_MAX
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Reads a `(code, message)` pair from the guest, enforcing the output limits.
fn read_remark(
    caller: &mut Caller<'_, CallState>,
    function: &'static str,
    code: (i32, i32),
    msg: (i32, i32),
) -> Result<Warning, CallError> {
    let (data, state) = split(caller, function)?;
    let added = u64::from(as_u32(code.1)) + u64::from(as_u32(msg.1));
    let total = u64::try_from(state.output_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(added);
    let max = state.verdict_bytes_max;
    if total > u64::try_from(max).unwrap_or(u64::MAX) {
        return Err(CallError::OutputTooLarge {
            bytes: usize::try_from(total).unwrap_or(usize::MAX),
            max,
        });
    }
    let code_range = range(data.len(), function, code.0, code.1)?;
    let msg_range = range(data.len(), function, msg.0, msg.1)?;
    let code_bytes = data.get(code_range).unwrap_or_default();
    let msg_bytes = data.get(msg_range).unwrap_or_default();
    let code = std::str::from_utf8(code_bytes)
        .map_err(|_| MalformedOutput::InvalidUtf8 { field: "code" })?;
    if !valid_code(code) {
        return Err(MalformedOutput::InvalidCode {
            code: code.chars().take(CODE_BYTES_MAX).collect(),
        }
        .into());
    }
    let message = std::str::from_utf8(msg_bytes)
        .map_err(|_| MalformedOutput::InvalidUtf8 { field: "message" })?;
    state.output_bytes = usize::try_from(total).unwrap_or(usize::MAX);
    Ok(Warning {
        code: code.to_owned(),
        message: message.to_owned(),
    })
}

/// Defines every ABI v1 import in `linker`.
pub(crate) fn define(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        IMPORT_MODULE,
        "kind",
        |mut caller: Caller<'_, CallState>,
         doc: i32,
         ptr: i32,
         len: i32|
         -> wasmtime::Result<i32> {
            let (data, state) = split(&mut caller, "kind").map_err(err)?;
            let pointer = guest_str(data, "kind", ptr, len).map_err(err)?;
            Ok(kind_code(crate::pointer::resolve(
                state.doc("kind", doc).map_err(err)?,
                pointer,
            )))
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "get_bool",
        |mut caller: Caller<'_, CallState>,
         doc: i32,
         ptr: i32,
         len: i32|
         -> wasmtime::Result<i32> {
            let (data, state) = split(&mut caller, "get_bool").map_err(err)?;
            let pointer = guest_str(data, "get_bool", ptr, len).map_err(err)?;
            Ok(
                match crate::pointer::resolve(state.doc("get_bool", doc).map_err(err)?, pointer) {
                    Some(Value::Bool(b)) => i32::from(*b),
                    _ => -1,
                },
            )
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "get_int",
        |mut caller: Caller<'_, CallState>,
         doc: i32,
         ptr: i32,
         len: i32,
         out: i32|
         -> wasmtime::Result<i32> {
            let (data, state) = split(&mut caller, "get_int").map_err(err)?;
            let found = {
                let pointer = guest_str(data, "get_int", ptr, len).map_err(err)?;
                crate::pointer::resolve(state.doc("get_int", doc).map_err(err)?, pointer)
                    .and_then(Value::as_i64)
            };
            let r = range(data.len(), "get_int", out, 8).map_err(err)?;
            match found {
                Some(n) => {
                    if let Some(dst) = data.get_mut(r) {
                        dst.copy_from_slice(&n.to_le_bytes());
                    }
                    Ok(1)
                }
                None => Ok(0),
            }
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "get_str",
        |mut caller: Caller<'_, CallState>,
         doc: i32,
         ptr: i32,
         len: i32,
         buf: i32,
         cap: i32|
         -> wasmtime::Result<i32> {
            let (data, state) = split(&mut caller, "get_str").map_err(err)?;
            let found = {
                let pointer = guest_str(data, "get_str", ptr, len).map_err(err)?;
                crate::pointer::resolve(state.doc("get_str", doc).map_err(err)?, pointer)
            };
            let (n, fuel) = match found {
                Some(Value::String(s)) => {
                    copy_out(data, "get_str", buf, cap, s.as_bytes()).map_err(err)?
                }
                _ => {
                    range(data.len(), "get_str", buf, cap).map_err(err)?;
                    (-1, 0)
                }
            };
            charge(&mut caller, fuel)?;
            Ok(n)
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "str_eq",
        |mut caller: Caller<'_, CallState>,
         doc: i32,
         ptr: i32,
         len: i32,
         s: i32,
         s_len: i32|
         -> wasmtime::Result<i32> {
            let (data, state) = split(&mut caller, "str_eq").map_err(err)?;
            let pointer = guest_str(data, "str_eq", ptr, len).map_err(err)?;
            let r = range(data.len(), "str_eq", s, s_len).map_err(err)?;
            let needle = data.get(r).unwrap_or_default();
            Ok(
                match crate::pointer::resolve(state.doc("str_eq", doc).map_err(err)?, pointer) {
                    Some(Value::String(v)) => i32::from(v.as_bytes() == needle),
                    _ => -1,
                },
            )
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "count",
        |mut caller: Caller<'_, CallState>,
         doc: i32,
         ptr: i32,
         len: i32|
         -> wasmtime::Result<i32> {
            let (data, state) = split(&mut caller, "count").map_err(err)?;
            let pointer = guest_str(data, "count", ptr, len).map_err(err)?;
            Ok(
                match crate::pointer::resolve(state.doc("count", doc).map_err(err)?, pointer) {
                    Some(Value::Array(a)) => clamp_i32(a.len()),
                    Some(Value::Object(o)) => clamp_i32(o.len()),
                    _ => -1,
                },
            )
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "key",
        |mut caller: Caller<'_, CallState>,
         doc: i32,
         ptr: i32,
         len: i32,
         index: i32,
         buf: i32,
         cap: i32|
         -> wasmtime::Result<i32> {
            let (data, state) = split(&mut caller, "key").map_err(err)?;
            let key: Option<String> = {
                let pointer = guest_str(data, "key", ptr, len).map_err(err)?;
                match crate::pointer::resolve(state.doc("key", doc).map_err(err)?, pointer) {
                    Some(Value::Object(map)) => usize::try_from(index).ok().and_then(|i| {
                        canonical::sorted_members(map)
                            .get(i)
                            .map(|(k, _)| (*k).clone())
                    }),
                    _ => None,
                }
            };
            let (n, fuel) = match key {
                Some(k) => copy_out(data, "key", buf, cap, k.as_bytes()).map_err(err)?,
                None => {
                    range(data.len(), "key", buf, cap).map_err(err)?;
                    (-1, 0)
                }
            };
            charge(&mut caller, fuel)?;
            Ok(n)
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "get_json",
        |mut caller: Caller<'_, CallState>,
         doc: i32,
         ptr: i32,
         len: i32,
         buf: i32,
         cap: i32|
         -> wasmtime::Result<i32> {
            let (data, state) = split(&mut caller, "get_json").map_err(err)?;
            let text: Option<Vec<u8>> = {
                let pointer = guest_str(data, "get_json", ptr, len).map_err(err)?;
                let root = state.doc("get_json", doc).map_err(err)?;
                crate::pointer::resolve(root, pointer).map(|v| state.json_of(doc, pointer, v))
            };
            let (n, fuel) = match text {
                Some(t) => copy_out(data, "get_json", buf, cap, &t).map_err(err)?,
                None => {
                    range(data.len(), "get_json", buf, cap).map_err(err)?;
                    (-1, 0)
                }
            };
            charge(&mut caller, fuel)?;
            Ok(n)
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "deny",
        |mut caller: Caller<'_, CallState>,
         code: i32,
         code_len: i32,
         msg: i32,
         msg_len: i32|
         -> wasmtime::Result<()> {
            let remark =
                read_remark(&mut caller, "deny", (code, code_len), (msg, msg_len)).map_err(err)?;
            let state = caller.data_mut();
            if state.deny.is_some() {
                return Err(err(MalformedOutput::DeniedTwice.into()));
            }
            state.deny = Some(remark);
            Ok(())
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        "warn",
        |mut caller: Caller<'_, CallState>,
         code: i32,
         code_len: i32,
         msg: i32,
         msg_len: i32|
         -> wasmtime::Result<()> {
            let remark =
                read_remark(&mut caller, "warn", (code, code_len), (msg, msg_len)).map_err(err)?;
            let state = caller.data_mut();
            if state.warnings.len() >= state.warnings_max {
                return Err(err(MalformedOutput::TooManyWarnings {
                    max: state.warnings_max,
                }
                .into()));
            }
            state.warnings.push(remark);
            Ok(())
        },
    )?;
    Ok(())
}
