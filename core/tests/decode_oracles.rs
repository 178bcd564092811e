//! The hostile-input oracles of `custodia::testkit::decode` (which the `decode_event` and
//! `replay` fuzz targets run on any bytes), on inputs near valid ones: every committed vector
//! line and edge case, each with one byte changed, as an event, as an export and as a line
//! appended after every prefix of the vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use custodia::testkit::SplitMix64;
use custodia::testkit::decode;

fn vector_lines() -> Vec<String> {
    let mut out = Vec::new();
    for name in ["events.json", "edge-cases.json"] {
        let path = format!("{}/../docs/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let list = doc.get("events").or_else(|| doc.get("cases")).unwrap();
        for e in list.as_array().unwrap() {
            if let Some(line) = e.get("jsonl").and_then(|l| l.as_str()) {
                out.push(line.to_owned());
            }
        }
    }
    assert!(out.len() > 26, "only {} vector lines", out.len());
    out
}

#[test]
fn vector_lines_and_their_mutants_keep_the_decoding_oracles() {
    let lines = vector_lines();
    let mut rng = SplitMix64::new(5);
    for line in &lines {
        decode::check_event_bytes(line.as_bytes()).unwrap();
        for _ in 0..8 {
            let mut bytes = line.clone().into_bytes();
            let at = rng.index(bytes.len());
            bytes[at] ^= 1 << rng.range(0, 7);
            decode::check_event_bytes(&bytes).unwrap();
        }
    }
    let export = lines[..26].join("\n");
    decode::check_jsonl(export.as_bytes()).unwrap();
    let report = custodia::verify_jsonl(std::io::Cursor::new(export.as_bytes()), None);
    assert!(report.ok, "{:?}", report.failure);
    let mut broken = export.into_bytes();
    let at = broken.len() / 2;
    broken[at] ^= 0x20;
    decode::check_jsonl(&broken).unwrap();
}

#[test]
fn lines_appended_after_any_prefix_keep_the_replay_oracle() {
    let lines = vector_lines();
    for prefix in [0u8, 1, 7, 13, 25] {
        let mut input = vec![prefix];
        input.extend_from_slice(lines.join("\n").as_bytes());
        decode::check_replay(&input).unwrap();
    }
}
