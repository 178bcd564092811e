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
