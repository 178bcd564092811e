//! Test support, behind the `testkit` feature: the deterministic synthetic stockpile generator
//! that tests, benchmarks, fuzz targets and the command line's `demo` and `synth` share. Not
//! part of the stable surface.

mod synth;

pub use synth::{SYNTH_DEPOTS, SplitMix64, Synth, SynthError, events};
