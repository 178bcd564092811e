//! `verify`: re-checks everything from the stored bytes. Read-only: the log key is not needed.
//! With `--plugins DIR` the rules in force are re-run on every event they judged.

use std::io::Write;
use std::path::PathBuf;

use custodia::note::VerifierKey;

use crate::context::Global;
use crate::output::{EXIT_REFUSED, Failure, line, progress};

#[derive(clap::Args)]
pub struct Args {
    /// Also check that the ledger extends this checkpoint (saved earlier, cosigned by
    /// witnesses): same root at its size, signed by `--log-vkey`.
    #[arg(long, value_name = "FILE", requires = "log_vkey")]
    trusted: Option<PathBuf>,
    /// The log's verifier key, obtained out of band (`custodia vkey` where the ledger was made).
    #[arg(long, value_name = "VKEY")]
    log_vkey: Option<String>,
    /// A witness's verifier key whose cosignatures count, repeatable.
    #[arg(long = "cosigner", value_name = "VKEY")]
    cosigners: Vec<String>,
    /// Cosignatures required (default: one per `--cosigner` given).
    #[arg(long)]
    min_cosigners: Option<usize>,
}

fn vkey(text: &str, flag: &str) -> Result<VerifierKey, Failure> {
    VerifierKey::parse(text).map_err(|e| Failure::usage(format!("`{flag} {text}`: {e}")))
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
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
            return Err(refusal);
        }
        None => line(
            out,
            &format!(
                "valid: {} events, {} tree heads, state digest {}",
                report.events, report.tree_heads, report.state_digest
            ),
        )?,
    }
    let (Some(path), Some(log_vkey)) = (&args.trusted, &args.log_vkey) else {
        return Ok(());
    };
    let checkpoint = std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display())))?;
    let log_vkey = vkey(log_vkey, "--log-vkey")?;
    let cosigners = args
        .cosigners
        .iter()
        .map(|c| vkey(c, "--cosigner"))
        .collect::<Result<Vec<_>, _>>()?;
    let min = args.min_cosigners.unwrap_or(cosigners.len());
    let trust = ledger
        .verify_trusted(&checkpoint, &log_vkey, &cosigners, min)
        .map_err(|e| {
            let mut refusal =
                Failure::from(e).context("the ledger does not match the trusted checkpoint");
            refusal.exit = EXIT_REFUSED;
            refusal
        })?;
    let names: Vec<String> = trust
        .cosigners
        .iter()
        .map(|(n, t)| format!("{n} at {t}"))
        .collect();
    line(
        out,
        &format!(
            "extends the trusted checkpoint: size {}, root {}, cosigned by {}",
            trust.size,
            trust.root,
            if names.is_empty() {
                "nobody".to_owned()
            } else {
                names.join(", ")
            }
        ),
    )
}
