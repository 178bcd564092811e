//! The native test harness: run a rule in `cargo test`, off wasm32, on documents given as JSON
//! text, and read its verdict.
//!
//! ```ignore
//! use custodia_pdk::native;
//!
//! #[test]
//! fn open_burning_is_refused() {
//!     let config = native::manifest_config("plugin.json").unwrap();
//!     let input = std::fs::read_to_string("tests/deny.METHOD_NOT_ALLOWED.burning.json").unwrap();
//!     let v = native::judge(my_rule, &input, &config).unwrap();
//!     assert_eq!(v.code(), Some("METHOD_NOT_ALLOWED"));
//! }
//!
//! #[test]
//! fn every_sample_gets_the_verdict_its_name_expects() {
//!     native::assert_samples(my_rule, "tests", "plugin.json");
//! }
//! ```
//!
//! The harness answers the SDK's lookups the way the host does (`docs/PLUGIN_ABI.md`): the
//! same JSON Pointer rules, integers only when they fit `i64`, object keys in JCS order,
//! `json` giving canonical text. It runs the rule's Rust code natively, so it checks the
//! rule's logic, not the module: `custodia rules test MODULE tests/` runs the real `.wasm`
//! in the real host, and stays the last word.

use std::cell::RefCell;
use std::fmt;
use std::path::Path;

pub use crate::json::{parse, Json, JsonError, DEPTH_MAX};
use crate::{Doc, Verdict};

/// Why the harness could not run a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HarnessError {
    /// The input document is not JSON.
    Input(JsonError),
    /// The configuration is not JSON.
    Config(JsonError),
    /// The configuration is not an object, or holds a number that is not an integer (the
    /// host refuses such a configuration at load time: `LoadError::ConfigNotInteger`).
    ConfigInvalid {
        /// JSON Pointer of the offending value in the configuration.
        pointer: String,
        /// What is wrong there.
        reason: &'static str,
    },
    /// A file could not be read, or a manifest has no `config` object.
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Input(e) => write!(f, "input document: {}", e),
            HarnessError::Config(e) => write!(f, "configuration: {}", e),
            HarnessError::ConfigInvalid { pointer, reason } => {
                write!(f, "configuration at `{}`: {}", pointer, reason)
            }
            HarnessError::File { path, reason } => write!(f, "`{}`: {}", path, reason),
        }
    }
}

impl std::error::Error for HarnessError {}

/// The documents of the call running on this thread (tests run on many threads at once).
struct Docs {
    input: Option<Json>,
    config: Json,
}

thread_local! {
    static DOCS: RefCell<Option<Docs>> = const { RefCell::new(None) };
    static REMARKS: RefCell<Remarks> = RefCell::new(Remarks::default());
}

/// What the rule reported through `deny` and `warn` (the SDK reports its verdict this way).
#[derive(Default)]
struct Remarks {
    deny: Option<(String, String)>,
    warnings: Vec<(String, String)>,
}

/// The first non-integer number in `v`, as a JSON Pointer.
fn first_non_integer(v: &Json, at: &str) -> Option<String> {
    match v {
        Json::Number(_) if v.as_i64().is_none() => Some(at.to_owned()),
        Json::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| first_non_integer(x, &format!("{}/{}", at, i))),
        Json::Object(members) => members
            .iter()
            .find_map(|(k, x)| first_non_integer(x, &format!("{}/{}", at, crate::token(k)))),
        _ => None,
    }
}

fn config_doc(config: &str) -> Result<Json, HarnessError> {
    let value = parse(config).map_err(HarnessError::Config)?;
    if !matches!(value, Json::Object(_)) {
        return Err(HarnessError::ConfigInvalid {
            pointer: String::new(),
            reason: "a configuration is a JSON object",
        });
    }
    if let Some(pointer) = first_non_integer(&value, "") {
        return Err(HarnessError::ConfigInvalid {
            pointer,
            reason: "a number that is not an integer fitting i64 (the host refuses it)",
        });
    }
    Ok(value)
}

/// Runs `f` with the documents installed on this thread, then removes them.
fn with_docs<T>(docs: Docs, f: impl FnOnce() -> T) -> T {
    DOCS.with(|d| *d.borrow_mut() = Some(docs));
    REMARKS.with(|r| *r.borrow_mut() = Remarks::default());
    let out = f();
    DOCS.with(|d| *d.borrow_mut() = None);
    out
}

/// Reads back the verdict the SDK reported, as the host does after `judge` returns.
fn reported() -> Verdict {
    let remarks = REMARKS.with(|r| std::mem::take(&mut *r.borrow_mut()));
    let mut verdict = match remarks.deny {
        Some((code, message)) => Verdict::deny(code, message),
        None => Verdict::allow(),
    };
    for (code, message) in remarks.warnings {
        verdict.push_warning(code, message);
    }
    verdict
}

/// Runs `rule` natively on an input document and a configuration given as JSON text, as the
/// host's `judge` would, and returns the verdict it reported.
pub fn judge(
    rule: fn(&Doc, &Doc) -> Verdict,
    input: &str,
    config: &str,
) -> Result<Verdict, HarnessError> {
    let input = parse(input).map_err(HarnessError::Input)?;
    let config = config_doc(config)?;
    let docs = Docs {
        input: Some(input),
        config,
    };
    Ok(with_docs(docs, || {
        crate::__run(rule);
        reported()
    }))
}

/// Runs a `validate_config` function natively on a configuration given as JSON text, as the
/// host does at load time (the input document is not available), and returns its verdict.
pub fn validate_config(
    check: fn(&Doc) -> Verdict,
    config: &str,
) -> Result<Verdict, HarnessError> {
    let config = config_doc(config)?;
    let docs = Docs {
        input: None,
        config,
    };
    Ok(with_docs(docs, || check(&Doc::CONFIG)))
}

fn read(path: &Path) -> Result<String, HarnessError> {
    std::fs::read_to_string(path).map_err(|e| HarnessError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// The `config` of a manifest (`plugin.json`), as JSON text: test with the configuration the
/// rule ships with. A relative path is taken from the crate's folder (where `cargo test` runs).
pub fn manifest_config<P: AsRef<Path>>(manifest: P) -> Result<String, HarnessError> {
    let path = manifest.as_ref();
    let text = read(path)?;
    let doc = parse(&text).map_err(|e| HarnessError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    match doc.get("config") {
        Some(c @ Json::Object(_)) => Ok(c.canonical()),
        _ => Err(HarnessError::File {
            path: path.display().to_string(),
            reason: "the manifest has no `config` object".to_owned(),
        }),
    }
}

/// What a sample's file name expects, as `custodia rules test` reads it:
/// `allow.DESCRIPTION.json`, `deny.CODE.DESCRIPTION.json`, `CODE.DESCRIPTION.json`.
/// `error.*` samples (the plugin fails in the host) are skipped: a native run cannot trap the
/// way a module does.
fn expected(stem: &str) -> Option<Option<String>> {
    let (head, rest) = stem.split_once('.')?;
    let is_code = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    match head {
        "allow" => Some(None),
        "deny" => {
            let code = rest.split('.').next()?;
            if is_code(code) && rest.contains('.') {
                Some(Some(code.to_owned()))
            } else {
                None
            }
        }
        code if is_code(code) => Some(Some(code.to_owned())),
        _ => None,
    }
}

/// One sample's outcome in [`run_samples`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleOutcome {
    /// The sample's file name.
    pub file: String,
    /// `None` when its name expects an allow, else the denial code it expects.
    pub expected: Option<String>,
    /// The verdict the rule gave.
    pub verdict: Verdict,
}

impl SampleOutcome {
    /// Whether the rule gave the verdict the file name expects.
    pub fn passed(&self) -> bool {
        self.verdict.code() == self.expected.as_deref()
    }
}

/// Runs `rule` on every sample `*.json` in `dir` (file-name order) with the configuration of
/// `manifest`. A sample whose name follows none of the forms, or that is not JSON, is an error;
/// `error.*` samples are skipped.
pub fn run_samples<D: AsRef<Path>, M: AsRef<Path>>(
    rule: fn(&Doc, &Doc) -> Verdict,
    dir: D,
    manifest: M,
) -> Result<Vec<SampleOutcome>, HarnessError> {
    let dir = dir.as_ref();
    let config = manifest_config(manifest)?;
    let cannot = |e: std::io::Error| HarnessError::File {
        path: dir.display().to_string(),
        reason: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(cannot)? {
        let path = entry.map_err(cannot)?.path();
        if path.extension().map_or(false, |x| x == "json") {
            files.push(path);
        }
    }
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = file.trim_end_matches(".json");
        if stem.starts_with("error.") {
            continue;
        }
        let want = expected(stem).ok_or_else(|| HarnessError::File {
            path: path.display().to_string(),
            reason: "a sample is named allow.DESCRIPTION.json, deny.CODE.DESCRIPTION.json or \
                     CODE.DESCRIPTION.json"
                .to_owned(),
        })?;
        let text = read(&path)?;
        let verdict = judge(rule, &text, &config).map_err(|e| HarnessError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        out.push(SampleOutcome {
            file,
            expected: want,
            verdict,
        });
    }
    Ok(out)
}

/// [`run_samples`], panicking with a table of every sample when one gets another verdict
/// than its name expects, or when there is no sample at all. For `#[test]` functions.
pub fn assert_samples<D: AsRef<Path>, M: AsRef<Path>>(
    rule: fn(&Doc, &Doc) -> Verdict,
    dir: D,
    manifest: M,
) {
    let outcomes = match run_samples(rule, dir, manifest) {
        Ok(o) => o,
        Err(e) => panic!("{}", e),
    };
    assert!(!outcomes.is_empty(), "no sample to run");
    let mut table = String::new();
    for o in &outcomes {
        let want = match &o.expected {
            None => "allow".to_owned(),
            Some(c) => format!("deny {}", c),
        };
        table.push_str(&format!(
            "{}  {}: expected {}, got {}\n",
            if o.passed() { "ok  " } else { "FAIL" },
            o.file,
            want,
            o.verdict
        ));
    }
    assert!(outcomes.iter().all(SampleOutcome::passed), "\n{}", table);
}

/// The stand-ins of the ABI's host functions (module `custodia`), answered from the
/// thread's documents with the host's semantics. Unsafe for the same reason the imports are:
/// they read and write the caller's buffers.
pub(crate) mod host {
    use super::{Json, DOCS, REMARKS};

    unsafe fn slice<'a>(ptr: *const u8, len: i32) -> &'a [u8] {
        if len <= 0 || ptr.is_null() {
            &[]
        } else {
            std::slice::from_raw_parts(ptr, len as usize)
        }
    }

    unsafe fn text(ptr: *const u8, len: i32) -> String {
        String::from_utf8_lossy(slice(ptr, len)).into_owned()
    }

    /// `f` applied to the value at the pointer in `doc`; `None` when absent. The input is
    /// absent outside `judge` (the host ends such a call; here it reads as absent).
    unsafe fn at<T>(doc: i32, ptr: *const u8, len: i32, f: impl FnOnce(&Json) -> T) -> Option<T> {
        let pointer = text(ptr, len);
        DOCS.with(|d| {
            let docs = d.borrow();
            let docs = docs.as_ref()?;
            let root = match doc {
                0 => docs.input.as_ref()?,
                1 => &docs.config,
                _ => return None,
            };
            root.pointer(&pointer).map(f)
        })
    }

    unsafe fn copy_out(bytes: &[u8], buf: *mut u8, cap: i32) -> i32 {
        let n = bytes.len().min(if cap < 0 { 0 } else { cap as usize });
        if n > 0 && !buf.is_null() {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, n);
        }
        if bytes.len() > i32::MAX as usize {
            i32::MAX
        } else {
            bytes.len() as i32
        }
    }

    pub unsafe fn kind(doc: i32, ptr: *const u8, len: i32) -> i32 {
        at(doc, ptr, len, |v| match v {
            Json::Null => 0,
            Json::Bool(_) => 1,
            Json::Number(_) if v.as_i64().is_some() => 2,
            Json::Number(_) => 3,
            Json::Str(_) => 4,
            Json::Array(_) => 5,
            Json::Object(_) => 6,
        })
        .unwrap_or(-1)
    }

    pub unsafe fn get_bool(doc: i32, ptr: *const u8, len: i32) -> i32 {
        match at(doc, ptr, len, |v| v.clone()) {
            Some(Json::Bool(b)) => i32::from(b),
            _ => -1,
        }
    }

    pub unsafe fn get_int(doc: i32, ptr: *const u8, len: i32, out: *mut i64) -> i32 {
        match at(doc, ptr, len, Json::as_i64).flatten() {
            Some(n) => {
                if !out.is_null() {
                    *out = n;
                }
                1
            }
            None => 0,
        }
    }

    pub unsafe fn get_str(doc: i32, ptr: *const u8, len: i32, buf: *mut u8, cap: i32) -> i32 {
        match at(doc, ptr, len, |v| v.clone()) {
            Some(Json::Str(s)) => copy_out(s.as_bytes(), buf, cap),
            _ => -1,
        }
    }

    pub unsafe fn count(doc: i32, ptr: *const u8, len: i32) -> i32 {
        let n = at(doc, ptr, len, |v| match v {
            Json::Array(a) => Some(a.len()),
            Json::Object(o) => Some(o.len()),
            _ => None,
        });
        match n.flatten() {
            Some(n) if n <= i32::MAX as usize => n as i32,
            Some(_) => i32::MAX,
            None => -1,
        }
    }

    pub unsafe fn key(
        doc: i32,
        ptr: *const u8,
        len: i32,
        index: i32,
        buf: *mut u8,
        cap: i32,
    ) -> i32 {
        let name = at(doc, ptr, len, |v| {
            if index < 0 {
                return None;
            }
            v.sorted_members()
                .get(index as usize)
                .map(|(k, _)| (*k).clone())
        });
        match name.flatten() {
            Some(k) => copy_out(k.as_bytes(), buf, cap),
            None => -1,
        }
    }

    pub unsafe fn get_json(doc: i32, ptr: *const u8, len: i32, buf: *mut u8, cap: i32) -> i32 {
        match at(doc, ptr, len, Json::canonical) {
            Some(t) => copy_out(t.as_bytes(), buf, cap),
            None => -1,
        }
    }

    pub unsafe fn str_eq(doc: i32, ptr: *const u8, len: i32, s: *const u8, s_len: i32) -> i32 {
        let needle = slice(s, s_len).to_vec();
        match at(doc, ptr, len, |v| v.clone()) {
            Some(Json::Str(v)) => i32::from(v.as_bytes() == needle.as_slice()),
            _ => -1,
        }
    }

    pub unsafe fn deny(code: *const u8, code_len: i32, msg: *const u8, msg_len: i32) {
        let (code, msg) = (text(code, code_len), text(msg, msg_len));
        REMARKS.with(|r| {
            let mut r = r.borrow_mut();
            // The host refuses a second denial (`MalformedOutput::DeniedTwice`); the SDK
            // never sends one.
            assert!(r.deny.is_none(), "deny was called more than once");
            r.deny = Some((code, msg));
        });
    }

    pub unsafe fn warn(code: *const u8, code_len: i32, msg: *const u8, msg_len: i32) {
        let (code, msg) = (text(code, code_len), text(msg, msg_len));
        REMARKS.with(|r| r.borrow_mut().warnings.push((code, msg)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;

    fn lookups(ctx: &Doc, cfg: &Doc) -> Verdict {
        let mut v = Verdict::allow();
        let kind = match ctx.kind("/event/n") {
            Kind::Int => "int",
            Kind::Number => "number",
            _ => "other",
        };
        v.push_warning("KIND", kind);
        v.push_warning("KEYS", ctx.keys("/event").join(","));
        v.push_warning("JSON", ctx.json("/event").unwrap_or_default());
        v.push_warning("LONG", ctx.str("/event/long").unwrap_or_default().len().to_string());
        if ctx.str_eq("/event/kind", "destruction") && cfg.int("/min").unwrap_or(0) > 1 {
            let mut d = Verdict::deny("TOO_FEW", format!("{} < {}", 1, cfg.int("/min").unwrap_or(0)));
            for w in v.warnings() {
                d.push_warning(w.code.clone(), w.message.clone());
            }
            return d;
        }
        v
    }

    #[test]
    fn lookups_behave_like_the_host() {
        let long = "x".repeat(1000);
        let input = format!(
            r#"{{"event": {{"kind": "destruction", "n": 1.5, "b": true, "a": null, "long": "{}"}}}}"#,
            long
        );
        let v = judge(lookups, &input, r#"{"min": 2}"#).unwrap();
        assert_eq!(v.code(), Some("TOO_FEW"));
        assert_eq!(v.message(), Some("1 < 2"));
        let w: Vec<(&str, &str)> = v
            .warnings()
            .iter()
            .map(|w| (w.code.as_str(), w.message.as_str()))
            .collect();
        assert_eq!(w[0], ("KIND", "number"));
        assert_eq!(w[1], ("KEYS", "a,b,kind,long,n"));
        assert!(w[2].1.starts_with(r#"{"a":null,"b":true,"kind":"destruction","long":"xxx"#));
        assert_eq!(w[3], ("LONG", "1000"));
        let v = judge(lookups, r#"{"event": {"kind": "transfer"}}"#, "{}").unwrap();
        assert!(!v.is_deny());
        assert_eq!(v.code(), None);
    }

    #[test]
    fn bad_documents_are_errors_not_verdicts() {
        assert!(matches!(judge(lookups, "{", "{}"), Err(HarnessError::Input(_))));
        assert!(matches!(judge(lookups, "{}", "[1]"), Err(HarnessError::ConfigInvalid { .. })));
        match judge(lookups, "{}", r#"{"a": [1, 2.5]}"#) {
            Err(HarnessError::ConfigInvalid { pointer, .. }) => assert_eq!(pointer, "/a/1"),
            other => panic!("{:?}", other),
        }
    }

    fn check(cfg: &Doc) -> Verdict {
        match cfg.int("/min") {
            Some(n) if n >= 1 => Verdict::allow(),
            _ => Verdict::deny_field("/min", "MIN_INVALID", "`min` must be an integer >= 1"),
        }
    }

    #[test]
    fn validate_config_runs_natively() {
        assert!(!validate_config(check, r#"{"min": 2}"#).unwrap().is_deny());
        let v = validate_config(check, r#"{"min": 0}"#).unwrap();
        assert_eq!(v.code(), Some("MIN_INVALID"));
        assert_eq!(v.message(), Some("/min: `min` must be an integer >= 1"));
    }

    #[test]
    fn documents_do_not_leak_between_calls() {
        judge(lookups, r#"{"event": {"kind": "destruction"}}"#, r#"{"min": 5}"#).unwrap();
        // Outside a call every lookup is absent, as off wasm32 before the harness existed.
        assert_eq!(Doc::INPUT.kind("/event"), Kind::Absent);
        assert_eq!(Doc::CONFIG.int("/min"), None);
    }

    #[test]
    fn sample_names() {
        assert_eq!(expected("allow.x"), Some(None));
        assert_eq!(expected("allow.warns"), Some(None));
        assert_eq!(expected("deny.CODE_1.x"), Some(Some("CODE_1".to_owned())));
        assert_eq!(expected("CODE_1.x"), Some(Some("CODE_1".to_owned())));
        assert_eq!(expected("deny.CODE"), None);
        assert_eq!(expected("Allow.x"), None);
        assert_eq!(expected("allow"), None);
    }
}
