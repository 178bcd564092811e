//! The plugin author's kit: `rules new` writes a rule crate anywhere on disk (the SDK vendored
//! beside it, so the crate builds outside this repository), `rules build` builds one to a
//! `.wasm` module and its manifest, and `rules verify-build` rebuilds one and compares the
//! module's hash with a manifest's, so an auditor can check which sources a rule in force came
//! from.
//!
//! Builds are reproducible: cargo hashes a path dependency's location into the crate's
//! metadata (and so into symbol names and the order of the module's functions), so the crate
//! and the path dependencies it names are copied to one fixed place, [`STAGE`], and built
//! there, one build at a time under a lock, with that place remapped. `scripts/build-plugins.sh`
//! stages the project's own rules the same way (`plugins/rules/NAME` beside `plugins/pdk`), so
//! `rules verify-build plugins/rules/NAME target/plugins/NAME.json` reproduces its bytes.

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::output::{Failure, json_line};

/// Where rule crates are built (shared with `scripts/build-plugins.sh`).
const STAGE: &str = "/tmp/custodia-rule-build";
/// The lock that makes builds take turns at [`STAGE`].
const STAGE_LOCK: &str = "/tmp/custodia-rule-build.lock";
/// The WASM target.
const TRIPLE: &str = "wasm32-unknown-unknown";
/// Linker and path flags of every rule build (as `scripts/build-plugins.sh`).
const STACK_FLAG: &str = "-C link-arg=-zstack-size=16384";

/// The SDK's sources, vendored into every new rule crate.
const SDK_MANIFEST: &str = include_str!("../../../../plugins/pdk/Cargo.toml");
const SDK_LIB: &str = include_str!("../../../../plugins/pdk/src/lib.rs");
/// The SDK's native test harness and its JSON parser (compiled off wasm32 only).
const SDK_NATIVE: &str = include_str!("../../../../plugins/pdk/src/native.rs");
const SDK_JSON: &str = include_str!("../../../../plugins/pdk/src/json.rs");

fn usage(message: impl Into<String>) -> Failure {
    Failure::usage(message)
}

fn io(what: &str, path: &Path, e: &dyn std::fmt::Display) -> Failure {
    usage(format!("cannot {what} `{}`: {e}", path.display()))
}

// ---- rules new --------------------------------------------------------------------------------

/// A rule's name: `[a-z][a-z0-9_]{0,63}` (it is also the Rust function's name).
fn check_name(name: &str) -> Result<(), Failure> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(usage(format!(
            "`{name}` is not a rule name: a lowercase letter, then lowercase letters, digits \
             or `_` (at most 64)"
        )))
    }
}

/// `rules new NAME --dir DIR --jurisdiction J`: writes `DIR/NAME/` and prints what it wrote.
pub fn new(name: &str, dir: &Path, jurisdiction: &str, out: &mut dyn Write) -> Result<(), Failure> {
    check_name(name)?;
    let root = dir.join(name);
    if root.symlink_metadata().is_ok() {
        return Err(usage(format!("`{}` exists already", root.display())));
    }
    let crate_name = format!("custodia-rule-{}", name.replace('_', "-"));
    let files: Vec<(PathBuf, String)> = vec![
        (PathBuf::from("Cargo.toml"), cargo_toml(&crate_name)),
        (PathBuf::from("src/lib.rs"), rule_source(name)),
        (
            PathBuf::from("plugin.json"),
            manifest_template(name, jurisdiction),
        ),
        (
            PathBuf::from("tests/allow.cutting.json"),
            sample("destruction", "cutting"),
        ),
        (
            PathBuf::from("tests/deny.METHOD_NOT_ALLOWED.open-burning.json"),
            sample("destruction", "open_burning"),
        ),
        (
            PathBuf::from("tests/allow.not-a-destruction.json"),
            sample("register_site", ""),
        ),
        (PathBuf::from("tests/native.rs"), native_tests(name)),
        (PathBuf::from("sdk/Cargo.toml"), vendored_sdk_manifest()),
        (PathBuf::from("sdk/src/lib.rs"), SDK_LIB.to_owned()),
        (PathBuf::from("sdk/src/native.rs"), SDK_NATIVE.to_owned()),
        (PathBuf::from("sdk/src/json.rs"), SDK_JSON.to_owned()),
        (PathBuf::from(".gitignore"), "target/\n".to_owned()),
        (PathBuf::from("README.md"), readme(name)),
    ];
    for (rel, text) in &files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("create", parent, &e))?;
        }
        std::fs::write(&path, text).map_err(|e| io("write", &path, &e))?;
    }
    json_line(
        out,
        &serde_json::json!({
            "name": name,
            "crate": crate_name,
            "dir": root.display().to_string(),
            "files": files.iter().map(|(p, _)| p.display().to_string()).collect::<Vec<_>>(),
        }),
    )
}

/// The SDK's manifest without its own `[workspace]` table: vendored inside the rule crate, it
/// is a member of the rule's workspace (two workspace roots, one inside the other, do not
/// build).
fn vendored_sdk_manifest() -> String {
    let mut out = String::new();
    for line in SDK_MANIFEST.lines() {
        if line.trim() == "[workspace]" || line.trim_start().starts_with('#') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn cargo_toml(crate_name: &str) -> String {
    format!(
        r#"[package]
name = "{crate_name}"
version = "0.1.0"
edition = "2021"
rust-version = "1.63"
publish = false

# Its own workspace root.
[workspace]

[lib]
crate-type = ["cdylib", "rlib"]
# Tests are `tests/native.rs` (the SDK's native harness); no doc tests, so that a `rustdoc`
# other than the `rustc`'s never reads this crate's libraries.
doctest = false

[dependencies]
# The custodia rule SDK, vendored by `custodia rules new` (no registry crates: rules build
# offline with Rust 1.63 and up).
custodia-pdk = {{ path = "sdk" }}

[profile.release]
opt-level = "s"
lto = true
panic = "abort"
codegen-units = 1
strip = true
"#
    )
}

fn rule_source(name: &str) -> String {
    format!(
        r#"//! `{name}`: a destruction is done only by a method the configuration allows.
//!
//! Config: `{{"methods_allowed": ["cutting", "crushing", "melting"]}}`, checked when the
//! plugin is loaded (`validate_config`).

use custodia_pdk::{{path, rule, Doc, Kind, Verdict}};

/// Judges one event; only `destruction` is judged, every other kind is allowed.
pub fn {name}(ctx: &Doc, cfg: &Doc) -> Verdict {{
    if ctx.str("/event/kind").as_deref() != Some("destruction") {{
        return Verdict::allow();
    }}
    let method = ctx.str("/event/method").unwrap_or_default();
    if cfg.contains_str("/methods_allowed", &method) {{
        Verdict::allow()
    }} else {{
        Verdict::deny(
            "METHOD_NOT_ALLOWED",
            format!("destruction by `{{}}` is not an allowed method", method),
        )
    }}
}}

/// Checks the configuration once, when the host loads the plugin: a bad one is a load error
/// naming the field, instead of a denial of every destruction later.
pub fn check_config(cfg: &Doc) -> Verdict {{
    if cfg.kind("/methods_allowed") != Kind::Array || cfg.count("/methods_allowed") == 0 {{
        return Verdict::deny_field(
            "/methods_allowed",
            "CONFIG_INVALID",
            "a non-empty list of destruction methods is required",
        );
    }}
    for i in 0..cfg.count("/methods_allowed") {{
        let at = path("/methods_allowed").index(i);
        if cfg.kind(&at) != Kind::Str {{
            return Verdict::deny_field(at.build(), "CONFIG_INVALID", "a method is a string");
        }}
    }}
    Verdict::allow()
}}

rule!({name}, validate_config = check_config);
"#
    )
}

/// `tests/native.rs`: the rule run natively in `cargo test` with the SDK's harness, on the
/// samples and the configuration the crate ships.
fn native_tests(name: &str) -> String {
    let lib = format!("custodia_rule_{name}");
    format!(
        r##"//! The rule run natively (`cargo test`, no wasm32 toolchain needed) on the samples in
//! `tests/` and the configuration in `plugin.json`. `custodia rules test MODULE tests` runs
//! the same samples through the real module in the real host.

use custodia_pdk::native;
use {lib}::{{check_config, {name}}};

#[test]
fn every_sample_gets_the_verdict_its_name_expects() {{
    native::assert_samples({name}, "tests", "plugin.json");
}}

#[test]
fn open_burning_is_refused_with_its_code_and_message() {{
    let config = native::manifest_config("plugin.json").unwrap();
    let input = std::fs::read_to_string("tests/deny.METHOD_NOT_ALLOWED.open-burning.json").unwrap();
    let verdict = native::judge({name}, &input, &config).unwrap();
    assert_eq!(verdict.code(), Some("METHOD_NOT_ALLOWED"));
    assert!(verdict.message().unwrap().contains("open_burning"));
    assert!(verdict.warnings().is_empty());
}}

#[test]
fn a_method_added_to_the_config_is_allowed_without_recompiling() {{
    let input = std::fs::read_to_string("tests/deny.METHOD_NOT_ALLOWED.open-burning.json").unwrap();
    let config = r#"{{"methods_allowed": ["cutting", "open_burning"]}}"#;
    assert!(!native::judge({name}, &input, config).unwrap().is_deny());
}}

#[test]
fn the_shipped_config_is_accepted_and_a_bad_one_names_its_field() {{
    let shipped = native::manifest_config("plugin.json").unwrap();
    assert!(!native::validate_config(check_config, &shipped).unwrap().is_deny());
    let bad = native::validate_config(check_config, r#"{{"methods_allowed": ["cutting", 3]}}"#).unwrap();
    assert_eq!(bad.code(), Some("CONFIG_INVALID"));
    assert!(bad.message().unwrap().starts_with("/methods_allowed/1: "));
    let empty = native::validate_config(check_config, r#"{{"methods_allowed": []}}"#).unwrap();
    assert!(empty.message().unwrap().starts_with("/methods_allowed: "));
}}
"##
    )
}

fn manifest_template(name: &str, jurisdiction: &str) -> String {
    let manifest = serde_json::json!({
        "name": name.replace('_', "-"),
        "version": "0.1.0",
        "jurisdiction": jurisdiction,
        "abi_version": 1,
        "module": "@MODULE@",
        "module_sha256": "@MODULE_SHA256@",
        "description": "Destruction only by a method the configuration allows",
        "config": {"methods_allowed": ["cutting", "crushing", "melting"]},
    });
    // A `serde_json::Value` always serialises: `{:#}` is its pretty form, with no error to hide.
    format!("{manifest:#}\n")
}

/// An input document of `kind` as the host gives it (`schemas/rule-input.schema.json`): a
/// destruction by `method` at a demilitarisation facility, or the registration of a site.
fn sample(kind: &str, method: &str) -> String {
    let hex = |b: &str| b.repeat(32);
    let team = serde_json::json!({"actor": "unit:demil-team-1", "kind": "unit",
        "agency": "agency:army", "roles": ["custodian", "destroyer"]});
    let inspector = serde_json::json!({"actor": "person:inspector-7", "kind": "person",
        "agency": "agency:anmac", "roles": ["witness"]});
    let signature =
        |key: &str| serde_json::json!({"key": hex(key), "sig": hex(&format!("{key}{key}"))});
    let (event, actor, signers, site, authorisation) = if kind == "destruction" {
        let event = serde_json::json!({
            "v": 2, "kind": "destruction", "at": "2026-06-15T14:00:00Z",
            "actor": "unit:demil-team-1", "parents": [hex("ab")],
            "authorisation": hex("cd"), "site": "demil:plant-1", "custodian": "unit:demil-team-1",
            "method": method, "certificate": "CERT-2026-0117", "items": ["item:fal-1"],
            "witnesses": [{"actor": "person:inspector-7", "agency": "agency:anmac"}],
            "id": hex("ef"), "signatures": [signature("01"), signature("03")],
        });
        let site = serde_json::json!({"id": "demil:plant-1", "name": "Demilitarisation plant 1",
            "kind": "demilitarisation", "country": "AR", "holdings_before": [],
            "neq_grams_before": 0, "neq_grams_after": 0});
        let authorisation = serde_json::json!({"id": hex("cd"), "reference": "ORDER-2026-7",
            "actor": "agency:anmac", "at": "2026-05-01T08:00:00Z", "items": ["item:fal-1"], "lots": [],
            "methods": ["cutting"]});
        (
            event,
            team.clone(),
            serde_json::json!([team, inspector]),
            site,
            authorisation,
        )
    } else {
        let admin = serde_json::json!({"actor": "agency:mod", "kind": "agency",
            "agency": "agency:mod", "roles": ["admin"]});
        let event = serde_json::json!({
            "v": 2, "kind": "register_site", "at": "2026-06-01T08:00:00Z",
            "actor": "agency:mod", "parents": [hex("ab")],
            "site": {"id": "depot:north", "name": "North depot", "kind": "depot"},
            "id": hex("ef"), "signatures": [signature("01")],
        });
        (
            event,
            admin.clone(),
            serde_json::json!([admin]),
            serde_json::Value::Null,
            serde_json::Value::Null,
        )
    };
    let items = if kind == "destruction" {
        serde_json::json!([{"id": "item:fal-1", "category": "firearm", "type": "rifle",
            "marking": {"manufacturer": "FM", "country_of_manufacture": "AR", "serial": "B-123"},
            "origin": {"kind": "seized", "reference": "CASE-2025-88"},
            "registered_at": "2025-01-10T09:00:00Z", "status": "pending_destruction",
            "condition": "unserviceable", "disposition": "pending_destruction",
            "holder": {"site": "demil:plant-1", "custodian": "unit:demil-team-1"}}])
    } else {
        serde_json::json!([])
    };
    let doc = serde_json::json!({
        "abi": 1,
        "event": event,
        "actor": actor,
        "signers": signers,
        "items": items,
        "lots": [],
        "site": site,
        "authorisation": authorisation,
        "destination": null,
    });
    format!("{doc:#}\n")
}

fn readme(name: &str) -> String {
    format!(
        "# Rule `{name}`\n\n\
         A custodia national rule (plugin ABI v1, docs/PLUGIN_ABI.md in custodia).\n\n\
         ```sh\n\
         cargo test --offline                         # the rule run natively on tests/*.json\n\
         custodia rules build .                       # target/plugin/{name}.wasm and .json\n\
         custodia rules test target/plugin/{name}.wasm tests\n\
         custodia rules verify-build . MANIFEST.json  # same sources, same module hash?\n\
         ```\n\n\
         `sdk/` is the custodia rule SDK, vendored: the crate needs nothing else.\n\
         Samples in `tests/` are named `allow.DESCRIPTION.json` or `deny.CODE.DESCRIPTION.json`\n\
         and follow custodia's `schemas/rule-input.schema.json` (`custodia --ledger L rules \
         input EVENT_ID` prints a real one).\n"
    )
}

// ---- rules build ------------------------------------------------------------------------------

/// A built rule: its module and manifest, and the module's SHA-256.
struct Built {
    name: String,
    module: PathBuf,
    manifest: PathBuf,
    sha256: String,
}

/// The first `name = "..."` of a Cargo.toml.
fn package_name(manifest: &str) -> Option<String> {
    manifest.lines().find_map(|l| {
        let rest = l
            .trim()
            .strip_prefix("name")?
            .trim_start()
            .strip_prefix('=')?;
        Some(rest.trim().trim_matches('"').to_owned())
    })
}

/// Every `path = "..."` of a Cargo.toml (its path dependencies).
fn path_dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in manifest.lines() {
        let mut rest = line;
        while let Some(i) = rest.find("path") {
            rest = &rest[i + 4..];
            let Some(after) = rest.trim_start().strip_prefix('=') else {
                continue;
            };
            let Some(quoted) = after.trim_start().strip_prefix('"') else {
                continue;
            };
            if let Some(end) = quoted.find('"') {
                out.push(quoted[..end].to_owned());
                rest = &quoted[end..];
            }
        }
    }
    out
}

/// `base` joined with a relative `rel`, `..` resolved; `None` when it climbs above the root.
fn join_relative(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut parts: Vec<std::ffi::OsString> = base
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_owned()),
            _ => None,
        })
        .collect();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

/// Copies a directory tree, leaving out `target` directories.
fn copy_tree(from: &Path, to: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(to).map_err(|e| io("create", to, &e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io("read", from, &e))? {
        let entry = entry.map_err(|e| io("read", from, &e))?;
        let kind = entry
            .file_type()
            .map_err(|e| io("read", &entry.path(), &e))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &target)?;
            }
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).map_err(|e| io("copy", &entry.path(), &e))?;
        }
    }
    Ok(())
}

/// The cargo to build with: rustup's when it has the wasm32 target, else Debian's 1.63 with
/// `libstd-rust-dev-wasm32`.
fn wasm_cargo() -> Result<Command, Failure> {
    let rustup_has_it = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l == TRIPLE)
        });
    if rustup_has_it {
        return Ok(Command::new("cargo"));
    }
    let debian_sysroot = Command::new("/usr/bin/rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    match debian_sysroot {
        Some(root) if root.join("lib/rustlib").join(TRIPLE).is_dir() => {
            let mut cargo = Command::new("/usr/bin/cargo");
            cargo
                .env("RUSTC", "/usr/bin/rustc")
                .env("RUSTDOC", "/usr/bin/rustdoc");
            Ok(cargo)
        }
        _ => Err(usage(format!(
            "no {TRIPLE} toolchain: `rustup target add {TRIPLE}`, or `apt-get install rustc \
             cargo libstd-rust-dev-wasm32`"
        ))),
    }
}

/// Builds the rule crate in `dir` and writes `OUT/NAME.wasm` and `OUT/NAME.json`.
fn build_into(dir: &Path, out_dir: &Path) -> Result<Built, Failure> {
    let dir = dir
        .canonicalize()
        .map_err(|e| io("read the rule crate", dir, &e))?;
    let cargo_path = dir.join("Cargo.toml");
    let cargo_text =
        std::fs::read_to_string(&cargo_path).map_err(|e| io("read", &cargo_path, &e))?;
    let crate_name = package_name(&cargo_text)
        .ok_or_else(|| usage(format!("`{}` names no package", cargo_path.display())))?;
    let template_path = dir.join("plugin.json");
    let template =
        std::fs::read_to_string(&template_path).map_err(|e| io("read", &template_path, &e))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| usage(format!("`{}` has no name", dir.display())))?;
    let mut cargo = wasm_cargo()?;

    let lock_file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(STAGE_LOCK)
        .map_err(|e| io("open", Path::new(STAGE_LOCK), &e))?;
    lock_file
        .lock()
        .map_err(|e| io("lock", Path::new(STAGE_LOCK), &e))?;
    let stage = Path::new(STAGE);
    if stage.exists() {
        std::fs::remove_dir_all(stage).map_err(|e| io("clear", stage, &e))?;
    }
    // The layout of this project (`plugins/rules/NAME` beside `plugins/pdk`), so that its own
    // rules build to the bytes `scripts/build-plugins.sh` gives.
    let staged = stage.join("plugins/rules").join(&name);
    copy_tree(&dir, &staged)?;
    for dep in path_dependencies(&cargo_text) {
        let relative_to_stage =
            join_relative(Path::new("plugins/rules").join(&name).as_path(), &dep).ok_or_else(
                || {
                    usage(format!(
                        "path dependency `{dep}` of `{}` is outside what can be staged",
                        cargo_path.display()
                    ))
                },
            )?;
        let target = stage.join(&relative_to_stage);
        if target.starts_with(&staged) {
            continue;
        }
        let source = dir.join(&dep);
        copy_tree(&source, &target)?;
    }
    let target_dir = dir.join("target/wasm");
    let status = cargo
        .current_dir(&staged)
        .env(
            "RUSTFLAGS",
            format!("{STACK_FLAG} --remap-path-prefix={STAGE}=/custodia"),
        )
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            TRIPLE,
            "--target-dir",
        ])
        .arg(&target_dir)
        .status()
        .map_err(|e| io("run cargo for", &dir, &e))?;
    drop(lock_file);
    if !status.success() {
        return Err(usage(format!(
            "cargo could not build `{}` ({status})",
            dir.display()
        )));
    }
    let wasm = target_dir
        .join(TRIPLE)
        .join("release")
        .join(format!("{}.wasm", crate_name.replace('-', "_")));
    std::fs::create_dir_all(out_dir).map_err(|e| io("create", out_dir, &e))?;
    let module = out_dir.join(format!("{name}.wasm"));
    let bytes = std::fs::read(&wasm).map_err(|e| io("read", &wasm, &e))?;
    std::fs::write(&module, &bytes).map_err(|e| io("write", &module, &e))?;
    let sha256 = custodia_plugins::sha256_hex(&bytes);
    let manifest = out_dir.join(format!("{name}.json"));
    let text = template
        .replace("@MODULE@", &format!("{name}.wasm"))
        .replace("@MODULE_SHA256@", &sha256);
    std::fs::write(&manifest, text).map_err(|e| io("write", &manifest, &e))?;
    Ok(Built {
        name,
        module,
        manifest,
        sha256,
    })
}

/// `rules build DIR [--out OUT]`.
pub fn build(dir: &Path, out_dir: Option<&Path>, out: &mut dyn Write) -> Result<(), Failure> {
    let default_out = dir.join("target/plugin");
    let built = build_into(dir, out_dir.unwrap_or(&default_out))?;
    json_line(
        out,
        &serde_json::json!({
            "name": built.name,
            "module": built.module.display().to_string(),
            "manifest": built.manifest.display().to_string(),
            "module_sha256": built.sha256,
        }),
    )
}

/// `rules verify-build DIR MANIFEST`: exit 0 when the rebuilt module has the manifest's hash.
pub fn verify_build(dir: &Path, manifest: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let text = std::fs::read_to_string(manifest).map_err(|e| io("read", manifest, &e))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| usage(format!("`{}` is not JSON: {e}", manifest.display())))?;
    let stated = value
        .get("module_sha256")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| usage(format!("`{}` has no `module_sha256`", manifest.display())))?
        .to_owned();
    let scratch =
        std::env::temp_dir().join(format!("custodia-verify-build-{}", std::process::id()));
    let built = build_into(dir, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let built = built?;
    let reproduced = built.sha256 == stated;
    json_line(
        out,
        &serde_json::json!({
            "manifest": manifest.display().to_string(),
            "module_sha256": stated,
            "built_sha256": built.sha256,
            "reproduced": reproduced,
        }),
    )?;
    if reproduced {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "`{}` builds to {}, not the {} that `{}` names",
            dir.display(),
            built.sha256,
            stated,
            manifest.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_dependencies_and_staging_paths() {
        let toml = "[dependencies]\ncustodia-pdk = { path = \"../../pdk\" }\nx = { path=\"sdk\", version = \"1\" }\n";
        assert_eq!(path_dependencies(toml), vec!["../../pdk", "sdk"]);
        assert_eq!(
            join_relative(Path::new("plugins/rules/w"), "../../pdk"),
            Some(PathBuf::from("plugins/pdk"))
        );
        assert_eq!(
            join_relative(Path::new("plugins/rules/w"), "../../../../x"),
            None
        );
        assert_eq!(
            package_name("[package]\nname = \"custodia-rule-x\"\n").as_deref(),
            Some("custodia-rule-x")
        );
        assert!(check_name("my_rule2").is_ok());
        assert!(check_name("My-rule").is_err());
        assert!(check_name("").is_err());
    }
}
