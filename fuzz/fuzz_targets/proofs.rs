//! Merkle proofs and C2SP notes from any bytes: generated inclusion and consistency proofs
//! verify and mutated ones do not; raw proofs and sizes never panic the verifiers; `Note`,
//! `Checkpoint`, `VerifierKey` and `witness::AddCheckpoint` parse strictly (what parses
//! re-encodes to the same bytes); a signed, cosigned checkpoint opens, and one changed byte
//! never opens to another. The oracles are `custodia::testkit::proofs`.
#![no_main]

use custodia::testkit::proofs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = proofs::check(data) {
        panic!("{e}");
    }
});
