//! `verify`: re-checks everything from the stored bytes. Read-only: the log key is not needed.
//! With `--plugins DIR` the rules in force are re-run on every event they judged.

use std::io::Write;

use crate::context::Global;
use crate::output::{EXIT_REFUSED, Failure, line, progress};

pub fn run(global: &Global, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read_with_rules()?;
    let bar = progress(ledger.len()?, "verifying");
    let report = ledger.verify_with_progress(&|n| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = report?;
    match report.failure {
        // A failure of any family is a refusal: the ledger does not verify.
        Some(failure) => {
            let mut refusal = Failure::from(failure).context("verification failed");
            refusal.exit = EXIT_REFUSED;
            Err(refusal)
        }
        None => line(
            out,
            &format!(
                "valid: {} events, {} tree heads, state digest {}",
                report.events, report.tree_heads, report.state_digest
            ),
        ),
    }
}
