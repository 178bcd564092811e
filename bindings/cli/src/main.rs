//! The `custodia` command: keeps a ledger in one SQLite file and answers questions about it,
//! through the front door (`custodia::Ledger`) only. This file parses the arguments and
//! dispatches; each verb is one file in `cmd/`. Exit codes: 0 success, 1 refused, 2 usage or
//! I/O (`output::exit_code`, `docs/CLI.md`).

mod cmd;
mod context;
mod input;
mod output;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::context::Global;
use crate::output::{EXIT_USAGE, Failure, Stdout};

/// mimalloc, not the system's: `verify` takes about 9 % less wall time on 2 cores (the decoded
/// events are freed on another thread than the one that allocated them), for about a fifth more
/// peak memory (docs/PERFORMANCE_HISTORY.md, session 32).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "custodia",
    version,
    about = "Keep and verify a stockpile ledger of signed events"
)]
struct Cli {
    /// The ledger file (SQLite).
    #[arg(long, global = true, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// Folder of rule plugins (`NAME.wasm` beside its manifest `NAME.json`, as
    /// `scripts/build-plugins.sh` writes them). `append` and `verify` run the ones the ledger
    /// has in force; `demo` puts them in force.
    #[arg(long, global = true, value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// Key file of the log key that signs tree heads (from `keygen`, mode 0600). Needed to
    /// write (`init`, `append`); never to read.
    #[arg(long, global = true, value_name = "KEYFILE", env = "CUSTODIA_LOG_KEY")]
    log_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new, empty ledger file whose tree heads the log key signs.
    Init(cmd::init::Args),
    /// Append signed events (JSON lines) as one all-or-nothing batch.
    Append(cmd::append::Args),
    /// Verify every event, signature, rule verdict, tree head, Merkle node and derived table;
    /// with `--trusted`, also that the ledger extends a checkpoint saved earlier.
    Verify(cmd::verify::Args),
    /// Print the latest signed tree head as JSON.
    Head,
    /// Print the C2SP checkpoint (signed note) of a tree head.
    Checkpoint(cmd::checkpoint::Args),
    /// Print a C2SP verifier key: the ledger's log key, or a key file's.
    Vkey(cmd::vkey::Args),
    /// Act as a witness: cosign checkpoints that extend what it cosigned before.
    #[command(subcommand)]
    Witness(cmd::witness::Command),
    /// Print an inclusion proof of an event as JSON.
    Prove(cmd::prove::Args),
    /// Print a consistency proof between two tree sizes as JSON.
    Consistency(cmd::consistency::Args),
    /// Print every event that touched an item or lot, oldest first (JSON lines).
    Trace(cmd::trace::Args),
    /// Print balances: every non-zero balance of every account.
    Balance(cmd::balance::Args),
    /// Print stock on hand per site and custodian, with totals per site and hazard division.
    Stock(cmd::stock::Args),
    /// Find serialized items by their marking (JSON lines).
    Find(cmd::find::Args),
    /// Print weapons issued to persons and not returned by the end of their issue period
    /// (JSON lines).
    Overdue(cmd::overdue::Args),
    /// Print ammunition lots whose next surveillance inspection is due or overdue (JSON
    /// lines).
    InspectionsDue(cmd::inspections_due::Args),
    /// Print net explosive quantity per site and hazard division, in milligrams, summed up
    /// the site hierarchy (JSON lines).
    Neq(cmd::neq::Args),
    /// Print the ledger at a glance: counts, units, rules in force, tree head.
    Summary(cmd::summary::Args),
    /// Print a report: the ATT annual report's exports and imports, or destructions.
    #[command(subcommand)]
    Report(cmd::report::Command),
    /// Print the lots formed from a lot by splits and merges (JSON lines).
    Lineage(cmd::lineage::Args),
    /// Export the ledger: every event, or the custody graph.
    Export(cmd::export::Args),
    /// Write a new Ed25519 key file (mode 0600) and print its public key.
    Keygen(cmd::keygen::Args),
    /// Sign unsigned events (JSON lines); parents are filled from the ledger when absent.
    Sign(cmd::sign::Args),
    /// Build a synthetic national stockpile in a new ledger and summarise it.
    Demo(cmd::demo::Args),
    /// Write deterministic signed synthetic events as JSON lines to standard output.
    Synth(cmd::synth::Args),
    /// Upgrade a ledger file of format version 1, taking its log key out of the file.
    Migrate(cmd::migrate::Args),
    /// Work with rule plugins.
    #[command(subcommand)]
    Rules(cmd::rules::Command),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // `--help` and `--version`.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", usage_failure(&e).line());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let stdout = io::stdout();
    let mut out = Stdout::new(BufWriter::new(stdout.lock()));
    let result = run(cli, &mut out).and_then(|()| {
        out.flush()
            .map_err(|e| output::write_failure("standard output", &e))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): stop quietly, as a failure to write.
        Err(_) if out.closed() => ExitCode::from(EXIT_USAGE),
        Err(failure) => {
            // What the verb printed before it failed (a verdict, a partial listing) comes first.
            let _ = out.flush();
            eprintln!("{}", failure.line());
            ExitCode::from(failure.exit)
        }
    }
}

/// A clap error as one line: its message and tip without the `error: ` prefix and the usage
/// block.
fn usage_failure(e: &clap::Error) -> Failure {
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| !l.is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    Failure::usage(message)
}

fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Failure> {
    let global = Global {
        ledger: cli.ledger,
        plugins: cli.plugins,
        log_key: cli.log_key,
    };
    let g = &global;
    match &cli.command {
        Command::Init(args) => cmd::init::run(g, args, out),
        Command::Append(args) => cmd::append::run(g, args, out),
        Command::Verify(args) => cmd::verify::run(g, args, out),
        Command::Head => cmd::head::run(g, out),
        Command::Checkpoint(args) => cmd::checkpoint::run(g, args, out),
        Command::Vkey(args) => cmd::vkey::run(g, args, out),
        Command::Witness(command) => cmd::witness::run(command, out),
        Command::Prove(args) => cmd::prove::run(g, args, out),
        Command::Consistency(args) => cmd::consistency::run(g, args, out),
        Command::Trace(args) => cmd::trace::run(g, args, out),
        Command::Balance(args) => cmd::balance::run(g, args, out),
        Command::Stock(args) => cmd::stock::run(g, args, out),
        Command::Find(args) => cmd::find::run(g, args, out),
        Command::Overdue(args) => cmd::overdue::run(g, args, out),
        Command::InspectionsDue(args) => cmd::inspections_due::run(g, args, out),
        Command::Neq(args) => cmd::neq::run(g, args, out),
        Command::Report(command) => cmd::report::run(g, command, out),
        Command::Summary(args) => cmd::summary::run(g, args, out),
        Command::Lineage(args) => cmd::lineage::run(g, args, out),
        Command::Export(args) => cmd::export::run(g, args, out),
        Command::Keygen(args) => cmd::keygen::run(args, out),
        Command::Sign(args) => cmd::sign::run(g, args, out),
        Command::Demo(args) => cmd::demo::run(g, args, out),
        Command::Synth(args) => cmd::synth::run(args, out),
        Command::Migrate(args) => cmd::migrate::run(g, args, out),
        Command::Rules(command) => cmd::rules::run(g, command, out),
    }
}
