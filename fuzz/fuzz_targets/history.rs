//! Signed histories from any bytes: each input decodes into operations
//! (`custodia::testkit::ops`) that the harness builds as events and signs with keys it holds,
//! so they get past the signatures and into the ledger's rules. After every accepted event the
//! state's invariants hold; a refusal is a typed error that leaves the log unchanged (and, every
//! 32 steps, the verified state digest); at the end the ledger and its export verify alike.
#![no_main]

use custodia::testkit::ops::{self, Checks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let checks = Checks {
        digest_every: 32,
        verify_at_end: true,
    };
    if let Err(finding) = ops::run(data, checks) {
        panic!("{finding}");
    }
});
