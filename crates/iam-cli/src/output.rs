//! Writing to stdout and stderr for every subcommand.
//!
//! Input: text to print. Output: bytes on the locked standard streams. A closed pipe on
//! stdout (`iamctl lint . | head`) silences further output instead of failing; it never
//! panics, whatever happens to the streams.

use std::io::{self, Write};

/// Standard output that goes quiet once the reader has gone away.
pub(crate) struct Stdout {
    inner: io::StdoutLock<'static>,
    closed: bool,
}

impl Stdout {
    /// Lock standard output for the rest of the command.
    pub(crate) fn lock() -> Stdout {
        Stdout {
            inner: io::stdout().lock(),
            closed: false,
        }
    }

    /// Write `text`. A broken pipe is not an error: later writes are skipped. Any other
    /// failure is returned.
    pub(crate) fn write(&mut self, text: &str) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.write_all(text.as_bytes()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }

    /// Flush what was written, with the same broken-pipe rule as [`Stdout::write`].
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// Print one line on stderr; failures to write there are ignored (there is nowhere
/// left to report them).
pub(crate) fn error_line(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
