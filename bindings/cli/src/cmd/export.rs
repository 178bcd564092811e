//! `export`: every event in append order (JSON lines, re-verifiable with
//! `custodia::verify_jsonl`), or the custody graph as Graphviz DOT. With `-o FILE` the file
//! appears only when the export is complete.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::context::Global;
use crate::output::{Failure, OutputFile, write_failure};

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    /// Every event, one canonical JSON line each, in append order.
    Jsonl,
    /// The custody graph (holdings, registrations, transfers, destruction, losses).
    Dot,
}

#[derive(clap::Args)]
pub struct Args {
    /// `jsonl` or `dot`.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Write here instead of standard output (replaced only once the export is complete).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let write = |sink: &mut dyn Write, what: &str| -> Result<(), Failure> {
        match args.format {
            Format::Jsonl => {
                ledger.export_jsonl(sink)?;
            }
            Format::Dot => {
                let dot = ledger.custody_graph()?.to_dot();
                sink.write_all(dot.as_bytes())
                    .map_err(|e| write_failure(what, &e))?;
            }
        }
        Ok(())
    };
    match &args.output {
        None => write(out, "standard output"),
        Some(path) => {
            let mut file = OutputFile::create(path)?;
            write(file.writer(), &format!("`{}`", path.display()))?;
            file.commit()
        }
    }
}
