//! `head`: the latest signed tree head as one JSON object.

use std::io::Write;

use crate::context::Global;
use crate::output::{Failure, json_line};

pub fn run(global: &Global, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    json_line(out, &ledger.tree_head()?)
}
