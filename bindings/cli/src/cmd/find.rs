//! `find`: serialized items by their marking, for tracing requests. Matching ignores case and
//! spaces. Like `grep`, exit 1 when nothing matches.

use std::io::Write;

use custodia::MarkingQuery;

use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {
    /// The serial number.
    #[arg(long)]
    serial: String,
    /// The manufacturer, when known.
    #[arg(long)]
    manufacturer: Option<String>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let items = ledger.find_items(&MarkingQuery {
        serial: args.serial.clone(),
        manufacturer: args.manufacturer.clone(),
    })?;
    if items.is_empty() {
        let by = match &args.manufacturer {
            Some(m) => format!(" by `{m}`"),
            None => String::new(),
        };
        return Err(Failure::refused(format!(
            "no serialized item{by} is marked with serial `{}`",
            args.serial
        )));
    }
    for item in &items {
        json_line(out, item)?;
    }
    Ok(())
}
