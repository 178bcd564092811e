//! Reading events: JSON lines from a file or standard input, streamed in batches, every line
//! bounded, blank lines skipped, and each event's line number kept so that a refusal names
//! the line it came from.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use custodia::{Error, ErrorKind};

use crate::output::Failure;

/// Longest line read, in bytes: one event (the front door's own limit).
pub const LINE_BYTES_MAX: usize = custodia::event::EVENT_BYTES_MAX;

/// A source of JSON lines.
pub struct Input {
    name: String,
    reader: Box<dyn BufRead>,
    line_no: u64,
}

/// Non-blank lines, each followed by `\n`, with their line numbers (from 1).
#[derive(Debug, Default)]
pub struct Batch {
    /// The lines, as the front door takes them.
    pub bytes: Vec<u8>,
    /// The line number of each event in `bytes`, in order.
    pub lines: Vec<u64>,
}

impl Batch {
    /// Events in the batch.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the batch holds no event.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

impl Input {
    /// Opens a file, or standard input for `-`.
    pub fn open(name: &str) -> Result<Self, Failure> {
        if name == "-" {
            return Ok(Self {
                name: "standard input".into(),
                reader: Box::new(BufReader::new(io::stdin())),
                line_no: 0,
            });
        }
        let file =
            File::open(name).map_err(|e| Failure::usage(format!("cannot open `{name}`: {e}")))?;
        Ok(Self {
            name: format!("`{name}`"),
            reader: Box::new(BufReader::new(file)),
            line_no: 0,
        })
    }

    /// How messages name the input: `` `FILE` `` or `standard input`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next `max_events` events (fewer at the end); an empty batch at the end of input.
    pub fn next_batch(&mut self, max_events: usize) -> Result<Batch, Failure> {
        let mut batch = Batch::default();
        let mut line = Vec::new();
        while batch.len() < max_events {
            let Some(length) = self.read_line(&mut line)? else {
                break;
            };
            if length > LINE_BYTES_MAX {
                let e = Error::new(ErrorKind::EventTooLarge {
                    bytes: length as u64,
                    max: LINE_BYTES_MAX as u64,
                });
                return Err(self.at_line(e, self.line_no));
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            batch.bytes.extend_from_slice(&line);
            batch.bytes.push(b'\n');
            batch.lines.push(self.line_no);
        }
        Ok(batch)
    }

    /// A front-door error about an event of `batch`, named by its line: the error's index is
    /// the event's position in the batch.
    pub fn error_in(&self, e: Error, batch: &Batch) -> Failure {
        let line = e
            .index()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| batch.lines.get(i).copied());
        match line {
            Some(line) => self.at_line(e.with_index(None), line),
            None => e.into(),
        }
    }

    fn at_line(&self, e: Error, line: u64) -> Failure {
        Failure::from(e).context(format!("{} line {line}", self.name))
    }

    /// Reads one line into `buf` (without its `\n`), keeping at most `LINE_BYTES_MAX + 1`
    /// bytes of it; returns its full length, or `None` at the end of input.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<usize>, Failure> {
        let name = self.name.clone();
        let fail = |e: io::Error| Failure::usage(format!("cannot read {name}: {e}"));
        buf.clear();
        let limit = LINE_BYTES_MAX as u64 + 1;
        let n = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', buf)
            .map_err(fail)?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            return Ok(Some(buf.len()));
        }
        if buf.len() <= LINE_BYTES_MAX {
            // The last line, without a final newline.
            return Ok(Some(buf.len()));
        }
        // Too long: count the rest of the line without keeping it.
        let mut total = buf.len();
        loop {
            let chunk = self.reader.fill_buf().map_err(fail)?;
            if chunk.is_empty() {
                break;
            }
            match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    total += i;
                    self.reader.consume(i + 1);
                    break;
                }
                None => {
                    let len = chunk.len();
                    total += len;
                    self.reader.consume(len);
                }
            }
        }
        Ok(Some(total))
    }
}

/// A reader that notes the line number of every non-blank line it hands on, so that the front
/// door can stream the input (refusing a hostile line or an unknown signer before the rest is
/// read) while a refusal still names the line it came from.
pub struct LineTracker {
    inner: Box<dyn BufRead>,
    line_no: u64,
    blank: bool,
    /// The line number of each non-blank line, in order: event `i` came from `lines[i]`.
    pub lines: Vec<u64>,
}

impl LineTracker {
    /// Tracks an input from its first line.
    pub fn new(input: Input) -> Self {
        Self {
            inner: input.reader,
            line_no: 1,
            blank: true,
            lines: Vec::new(),
        }
    }

    /// The line an event index came from (the last line may end without a newline).
    pub fn line_of(&self, index: u64) -> Option<u64> {
        let i = usize::try_from(index).ok()?;
        match self.lines.get(i) {
            Some(l) => Some(*l),
            None if i == self.lines.len() && !self.blank => Some(self.line_no),
            None => None,
        }
    }
}

impl Read for LineTracker {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for LineTracker {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(bytes) = self.inner.fill_buf() {
            for b in bytes.iter().take(amount) {
                if *b == b'\n' {
                    if !self.blank {
                        self.lines.push(self.line_no);
                    }
                    self.line_no += 1;
                    self.blank = true;
                } else if !b.is_ascii_whitespace() {
                    self.blank = false;
                }
            }
        }
        self.inner.consume(amount);
    }
}
