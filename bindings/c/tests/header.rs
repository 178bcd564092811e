//! The committed header `include/custodia.h` is what cbindgen generates from this crate now,
//! and its result codes are the core's error codes, one to one. Run with `CUSTODIA_BLESS=1`
//! to rewrite the header after changing the API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::Path;

fn generate() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(Path::new(dir).join("cbindgen.toml")).unwrap();
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen cannot read the crate");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).unwrap()
}

fn committed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/custodia.h");
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn committed_header_is_the_generated_one() {
    let generated = generate();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/custodia.h");
    if std::env::var_os("CUSTODIA_BLESS").is_some() {
        if committed() != generated {
            std::fs::write(&path, &generated).unwrap();
        }
        return;
    }
    if committed() != generated {
        let first = committed()
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or("at the end".to_owned(), |n| format!("at line {}", n + 1));
        panic!(
            "include/custodia.h differs from what cbindgen generates ({first}); review the API \
             change and run `CUSTODIA_BLESS=1 cargo test -p custodia-c --test header`"
        );
    }
}

/// `CUSTODIA_RESULT_NAME = number` pairs of the header's `custodia_result` enum.
fn header_results(header: &str) -> BTreeMap<String, u32> {
    let start = header
        .find("\nenum custodia_result")
        .expect("no custodia_result enum");
    let body = &header[start..];
    let body = &body[body.find('{').unwrap()..];
    let body = &body[..body.find("};").unwrap()];
    body.lines()
        .filter_map(|line| {
            let line = line.trim().trim_end_matches(',');
            let (name, number) = line.split_once(" = ")?;
            let name = name.strip_prefix("CUSTODIA_RESULT_")?;
            Some((name.to_owned(), number.parse().unwrap()))
        })
        .collect()
}

#[test]
fn header_result_codes_are_the_core_error_codes() {
    let results = header_results(&committed());
    let mut expected: BTreeMap<String, u32> = custodia_core::ErrorCode::ALL
        .iter()
        .map(|c| (c.screaming_name(), c.get()))
        .collect();
    expected.insert("OK".into(), 0);
    assert_eq!(results, expected);
    assert_eq!(results.len(), custodia_core::ErrorCode::ALL.len() + 1);
    // The ones the C API itself produces are there under their documented names.
    for (name, number) in [
        ("NULL_ARGUMENT", 9006),
        ("INVALID_UTF8", 9007),
        ("BUFFER_TOO_SMALL", 9008),
        ("PANIC", 9009),
    ] {
        assert_eq!(results.get(name), Some(&number), "{name}");
    }
}

#[test]
fn every_function_is_documented_and_named_by_convention() {
    let header = committed();
    let lines: Vec<&str> = header.lines().collect();
    let mut functions = 0;
    for (i, line) in lines.iter().enumerate() {
        // A prototype starts at column 0 with its return type: `T custodia_x(` or `T *custodia_x(`.
        if line.starts_with([' ', '#', '/', '*', '}']) || line.starts_with("typedef") {
            continue;
        }
        let Some(paren) = line.find('(') else {
            continue;
        };
        let Some(open) = line[..paren].rfind([' ', '*']).map(|p| p + 1) else {
            continue;
        };
        let name = &line[open..paren];
        functions += 1;
        assert!(
            name.starts_with("custodia_")
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{name}"
        );
        assert!(
            i > 0 && lines[i - 1].trim_start().starts_with("*/"),
            "{name} has no doc comment"
        );
        let doc_start = lines[..i]
            .iter()
            .rposition(|l| l.starts_with("/**"))
            .unwrap();
        let doc = lines[doc_start..i].join("\n");
        // Fallible functions name their result codes; the rest say what they return.
        if line.starts_with("custodia_result ") {
            assert!(
                doc.contains("CUSTODIA_RESULT_"),
                "{name} does not list its codes"
            );
        }
        if name.ends_with("_free") {
            assert!(doc.contains("NULL is a no-op"), "{name}");
        }
    }
    assert!(functions >= 50, "only {functions} functions found");
}
