//! Test support, behind the `testkit` feature: the deterministic synthetic stockpile generator
//! that tests, benchmarks, fuzz targets and the command line's `demo` and `synth` share, and
//! the byte-driven histories and their oracles ([`ops`]), the oracles for hostile event bytes
//! ([`decode`]) and for proofs and notes ([`proofs`]) that the fuzz targets and property tests
//! share. Not part of the stable surface.

pub mod decode;
pub mod decode_stages;
pub mod ops;
pub mod proofs;
pub mod stages;
mod synth;

#[cfg(test)]
mod marking_index_oracle;

pub use synth::{
    SYNTH_DEPOTS, SYNTH_EVENTS_PER_DAY_DEFAULT, SplitMix64, Synth, SynthError, events,
};

/// The JSON Pointer of every leaf (every value that is not an object or a list) of `value`, in
/// document order: where the schema tests put a replacement in turn.
pub fn json_leaves(value: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, at: &mut String, out: &mut Vec<String>) {
        let len = at.len();
        match v {
            serde_json::Value::Object(members) => {
                for (name, member) in members {
                    at.push('/');
                    at.push_str(&name.replace('~', "~0").replace('/', "~1"));
                    walk(member, at, out);
                    at.truncate(len);
                }
            }
            serde_json::Value::Array(elements) => {
                for (i, element) in elements.iter().enumerate() {
                    at.push('/');
                    at.push_str(&i.to_string());
                    walk(element, at, out);
                    at.truncate(len);
                }
            }
            _ => out.push(at.clone()),
        }
    }
    let mut out = Vec::new();
    walk(value, &mut String::new(), &mut out);
    out
}
