//! Everything the verbs print, in one place: failures and their exit codes, JSON lines, aligned
//! tables, CSV, output files that appear only when complete, and progress bars. A verb
//! computes nothing here; it hands over rows the front door returned.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use custodia::error::escape_text;
use custodia::{Error, ErrorCode, ErrorFamily};
use serde::Serialize;

/// Exit code of a refusal: the ledger or the input was refused, verification failed, an id is
/// not in the ledger.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code of a usage or I/O error: bad arguments, a missing or unreadable file, a file that
/// is not a ledger, a busy or read-only ledger.
pub const EXIT_USAGE: u8 = 2;

/// A failure with its exit code; printed as one line `custodia: MESSAGE [CODE]` on standard
/// error, the error code (when there is one) always last.
#[derive(Debug)]
pub struct Failure {
    /// [`EXIT_REFUSED`] or [`EXIT_USAGE`].
    pub exit: u8,
    /// The message (control characters are escaped when it is printed).
    pub message: String,
    /// The front door's error code.
    pub code: Option<ErrorCode>,
}

impl Failure {
    /// A usage or I/O error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: EXIT_USAGE,
            message: message.into(),
            code: None,
        }
    }

    /// A refusal (exit 1).
    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            exit: EXIT_REFUSED,
            message: message.into(),
            code: None,
        }
    }

    /// The same failure, tagged with the front door's code for it.
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = Some(code);
        self
    }

    /// The same failure with `; note` after its message (before its code).
    pub fn note(mut self, note: impl std::fmt::Display) -> Self {
        self.message = format!("{}; {note}", self.message);
        self
    }

    /// The same failure with `context: ` before its message.
    pub fn context(mut self, context: impl std::fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The line printed on standard error.
    pub fn line(&self) -> String {
        // Every user value reaches the terminal through here: a message can never print what
        // looks like further lines or move the cursor. Idempotent on custodia's own messages,
        // which arrive escaped.
        match self.code {
            Some(code) => format!("custodia: {} [{}]", escape_text(&self.message), code.get()),
            None => format!("custodia: {}", escape_text(&self.message)),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // The front door prints `... message [CODE]`; the code is kept apart so that context
        // and notes go before it.
        let code = e.code();
        let text = e.to_string();
        let message = match text.strip_suffix(&format!(" [{}]", code.get())) {
            Some(message) => message.to_owned(),
            None => text,
        };
        Self {
            exit: exit_code(&e),
            message,
            code: Some(code),
        }
    }
}

/// The exit code of a front-door error: by family, with three codes that name a file or an
/// id the user gave rather than the ledger's content (documented in `docs/CLI.md`).
pub fn exit_code(e: &Error) -> u8 {
    match e.code() {
        // A key file or a plugin folder that cannot be used: fix the command, as for any file.
        ErrorCode::KeyFileInvalid | ErrorCode::PluginLoad | ErrorCode::PluginConfigRefused => {
            return EXIT_USAGE;
        }
        // An id not in the ledger is a refused lookup, as `trace` of an unknown stock.
        ErrorCode::EventNotFound => return EXIT_REFUSED,
        _ => {}
    }
    match e.family() {
        ErrorFamily::Input
        | ErrorFamily::Validation
        | ErrorFamily::Custody
        | ErrorFamily::Authorisation
        | ErrorFamily::Signature
        | ErrorFamily::Rule
        | ErrorFamily::Integrity => EXIT_REFUSED,
        ErrorFamily::Storage | ErrorFamily::Usage => EXIT_USAGE,
    }
}

/// Standard output that notices when its reader went away (`custodia export | head`): the
/// command then stops quietly, without an error line, as command-line tools do.
#[derive(Debug)]
pub struct Stdout<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> Stdout<W> {
    /// Wraps the (buffered) standard output.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            closed: false,
        }
    }

    /// Whether a write failed because the reading end of the pipe was closed.
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn note<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            self.closed = true;
        }
        result
    }
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.note(result)
    }
}

/// Prints a warning as one line `custodia: warning: MESSAGE` on standard error.
pub fn warn(message: &str) {
    eprintln!("custodia: warning: {}", escape_text(message));
}

/// A failure to write to `what` (standard output, a named file).
pub fn write_failure(what: &str, e: &io::Error) -> Failure {
    Failure::usage(format!("cannot write to {what}: {e}"))
}

/// Writes `text` and a newline to standard output (or another sink).
pub fn line(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    writeln!(out, "{text}").map_err(|e| write_failure("standard output", &e))
}

/// Writes one value as one JSON line.
pub fn json_line<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::usage(format!("internal error: cannot encode the output: {e}")))?;
    line(out, &text)
}

/// How a table of rows is printed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    /// Aligned columns with a header, for people.
    Table,
    /// One JSON document.
    Json,
    /// Comma-separated values with a header row (RFC 4180).
    Csv,
}

/// The wire text of a value that serialises to a JSON string (`1.1`, `pending_destruction`),
/// or its JSON text otherwise.
pub fn wire<T: Serialize + ?Sized>(value: &T) -> Result<String, Failure> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Ok(other.to_string()),
        Err(e) => Err(Failure::usage(format!(
            "internal error: cannot encode a value: {e}"
        ))),
    }
}

/// Column alignment in a [`Table`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table printed with aligned columns: a header, then one line per row, columns two spaces
/// apart. Cells are escaped (no control characters reach the terminal).
#[derive(Debug)]
pub struct Table {
    columns: Vec<(String, Align)>,
    header: bool,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            columns: columns
                .iter()
                .map(|(name, align)| ((*name).to_owned(), *align))
                .collect(),
            header: true,
            rows: Vec::new(),
        }
    }

    /// The same table without its header line (for `what  value` lists).
    pub fn without_header(mut self) -> Self {
        self.header = false;
        self
    }

    /// Adds a row (missing cells are blank, extra cells ignored).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows
            .push(cells.into_iter().map(|c| escape_text(&c)).collect());
    }

    /// Prints the header and the rows.
    pub fn write(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|(name, _)| if self.header { name.chars().count() } else { 0 })
            .collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        if self.header {
            let header: Vec<&str> = self.columns.iter().map(|(n, _)| n.as_str()).collect();
            self.write_line(out, &widths, &header)?;
        }
        for row in &self.rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            self.write_line(out, &widths, &cells)?;
        }
        Ok(())
    }

    fn write_line(
        &self,
        out: &mut dyn Write,
        widths: &[usize],
        cells: &[&str],
    ) -> Result<(), Failure> {
        let mut text = String::new();
        for (i, ((_, align), width)) in self.columns.iter().zip(widths).enumerate() {
            let cell = cells.get(i).copied().unwrap_or("");
            let pad = width.saturating_sub(cell.chars().count());
            if i > 0 {
                text.push_str("  ");
            }
            match align {
                Align::Left => {
                    text.push_str(cell);
                    text.extend(std::iter::repeat_n(' ', pad));
                }
                Align::Right => {
                    text.extend(std::iter::repeat_n(' ', pad));
                    text.push_str(cell);
                }
            }
        }
        line(out, text.trim_end())
    }
}

/// Writes one CSV record (RFC 4180): a field holding a comma, a quote, CR or LF is quoted,
/// quotes doubled. Values are written as they are stored: CSV is data, not display.
pub fn csv_record(out: &mut dyn Write, fields: &[&str]) -> Result<(), Failure> {
    let mut text = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            text.push('"');
            text.push_str(&field.replace('"', "\"\""));
            text.push('"');
        } else {
            text.push_str(field);
        }
    }
    // RFC 4180 ends records with CRLF; spreadsheet and library readers take LF too, and LF
    // keeps the output friendly to line tools.
    line(out, &text)
}

/// An optional value as a table or CSV cell: blank when absent.
pub fn opt<T: std::fmt::Display>(value: Option<&T>) -> String {
    value.map(ToString::to_string).unwrap_or_default()
}

/// A file written next to its final name and moved there only once complete, so that a
/// failed command leaves no file, or an empty or partial one, behind (`-o FILE`).
#[derive(Debug)]
pub struct OutputFile {
    target: PathBuf,
    temp: PathBuf,
    file: io::BufWriter<File>,
    committed: bool,
}

impl OutputFile {
    /// Creates the temporary file beside `target`.
    pub fn create(target: &Path) -> Result<Self, Failure> {
        let name = target
            .file_name()
            .ok_or_else(|| Failure::usage(format!("`{}` is not a file name", target.display())))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".tmp-{}", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| Failure::usage(format!("cannot create `{}`: {e}", target.display())))?;
        Ok(Self {
            target: target.to_path_buf(),
            temp,
            file: io::BufWriter::new(file),
            committed: false,
        })
    }

    /// The open file.
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.file
    }

    /// Flushes, syncs and moves the file to its name (replacing a file there).
    pub fn commit(mut self) -> Result<(), Failure> {
        let shown = self.target.display().to_string();
        let failure = |e: io::Error| Failure::usage(format!("cannot write `{shown}`: {e}"));
        self.file.flush().map_err(failure)?;
        self.file.get_ref().sync_all().map_err(failure)?;
        std::fs::rename(&self.temp, &self.target).map_err(failure)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if !self.committed {
            // Not committed: the command failed; leave nothing behind.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A progress bar on standard error when it is a terminal, never otherwise.
pub fn progress(total: u64, what: &'static str) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() || total == 0 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} {bar:40} {pos}/{len} events ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar.set_message(what);
    Some(bar)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;
    use custodia::ErrorKind;

    fn written(f: impl FnOnce(&mut dyn Write) -> Result<(), Failure>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_family_has_its_exit_code() {
        let refused = [
            ErrorKind::NotCanonical,
            ErrorKind::ZeroQuantity,
            ErrorKind::AfterDestruction {
                stock: "lot:a".into(),
            },
            ErrorKind::MissingRole {
                actor: "a".into(),
                role: "admin".into(),
                needed_for: "x".into(),
            },
            ErrorKind::Unsigned,
            ErrorKind::RulesNotLoaded { rules: "r".into() },
            ErrorKind::Damaged { what: "x".into() },
            ErrorKind::EventNotFound {
                event: custodia::EventId::from_bytes([0; 32]),
            },
        ];
        for kind in refused {
            let e = Error::new(kind);
            assert_eq!(exit_code(&e), EXIT_REFUSED, "{e}");
        }
        let usage = [
            ErrorKind::FileNotFound { path: "x".into() },
            ErrorKind::ReadOnly { reason: "x".into() },
            ErrorKind::BadRange {
                first: 2,
                second: 1,
            },
            ErrorKind::KeyFileInvalid {
                path: "k".into(),
                reason: "x".into(),
            },
            ErrorKind::PluginLoad {
                path: "p".into(),
                reason: "x".into(),
            },
        ];
        for kind in usage {
            let e = Error::new(kind);
            assert_eq!(exit_code(&e), EXIT_USAGE, "{e}");
        }
    }

    #[test]
    fn the_code_stays_last_after_context_and_notes() {
        let e = Error::new(ErrorKind::UnknownReference {
            value: "lot:x\u{1b}[2J".into(),
        })
        .at_index(4);
        let failure = Failure::from(e)
            .context("`f` line 9")
            .note("nothing was appended");
        let line = failure.line();
        assert_eq!(
            line,
            "custodia: `f` line 9: event 4: `lot:x\\u{1b}[2J` is not in the ledger; nothing was appended [2005]"
        );
        assert_eq!(failure.exit, EXIT_REFUSED);
        let plain = Failure::usage("bad\nline").line();
        assert_eq!(plain, "custodia: bad\\u{a}line");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let text = written(|out| csv_record(out, &["a", "b,c", "say \"hi\"", "x\ny", ""]));
        assert_eq!(text, "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",\n");
    }

    #[test]
    fn tables_align_numbers_right_and_escape_cells() {
        let mut table = Table::new(&[("NAME", Align::Left), ("UNITS", Align::Right)]);
        table.row(vec!["lot:a".into(), "5".into()]);
        table.row(vec!["lot:bbbbbb\u{1b}".into(), "12345".into()]);
        let text = written(|out| table.write(out));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("NAME{}UNITS", " ".repeat(14)));
        assert_eq!(lines[1], format!("lot:a{}5", " ".repeat(17)));
        assert_eq!(lines[2], "lot:bbbbbb\\u{1b}  12345");
        let headerless = Table::new(&[("W", Align::Left), ("V", Align::Left)]).without_header();
        assert_eq!(written(|out| headerless.write(out)), "");
    }
}
