//! The server's log sink: formatted log lines gathered in memory and written to stderr in
//! batches, as nginx's `access_log ... buffer= flush=` does.
//!
//! Stage: below `tracing_subscriber`'s formatter. Input: whole formatted lines (the formatter
//! writes each event with one `write_all`). Output: the same bytes on stderr, in order, at the
//! latest [`FLUSH_EVERY`] after they were logged, when [`BUFFER_LIMIT`] bytes are waiting, or
//! when [`BatchedStderr::flush_now`] is called (shutdown). One `write` system call per line
//! cost the server about a tenth of its CPU on a GetCallerIdentity (measured with `loadgen`).
//! It must never lose a line it was given while the process exits normally, never block a
//! request on a slow stderr for longer than one batch write, and never grow past
//! [`BUFFER_LIMIT`] plus one line.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// The longest a line waits in memory.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Bytes that make the logging thread write the batch itself.
pub(crate) const BUFFER_LIMIT: usize = 64 * 1024;

/// A cheap-to-clone handle on the shared line buffer.
#[derive(Clone, Default)]
pub(crate) struct BatchedStderr {
    buffer: Arc<Mutex<Vec<u8>>>,
    /// Where batches go instead of stderr (tests).
    #[cfg(test)]
    written: Arc<Mutex<Vec<u8>>>,
}

impl BatchedStderr {
    /// Starts the thread that writes the buffer every [`FLUSH_EVERY`]. It runs until the
    /// process exits; a failure to start it leaves lines to be written when the buffer fills
    /// and at [`BatchedStderr::flush_now`].
    pub(crate) fn start_flusher(&self) -> io::Result<()> {
        let sink = self.clone();
        std::thread::Builder::new()
            .name("log-flush".to_owned())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_EVERY);
                sink.flush_now();
            })
            .map(|_| ())
    }

    /// Writes everything buffered so far. Errors writing to stderr are dropped: there is
    /// nowhere left to report them.
    pub(crate) fn flush_now(&self) {
        let batch = std::mem::take(&mut *self.lock());
        self.write_batch(&batch);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `bytes`; past [`BUFFER_LIMIT`] the caller writes the batch out itself.
    fn append(&self, bytes: &[u8]) {
        let full = {
            let mut buffer = self.lock();
            buffer.extend_from_slice(bytes);
            (buffer.len() >= BUFFER_LIMIT).then(|| std::mem::take(&mut *buffer))
        };
        if let Some(batch) = full {
            self.write_batch(&batch);
        }
    }

    #[cfg(not(test))]
    #[expect(
        clippy::unused_self,
        reason = "the test build writes to memory instead"
    )]
    fn write_batch(&self, batch: &[u8]) {
        if batch.is_empty() {
            return;
        }
        let mut stderr = io::stderr().lock();
        let _ = stderr.write_all(batch);
        let _ = stderr.flush();
    }

    #[cfg(test)]
    fn write_batch(&self, batch: &[u8]) {
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(batch);
    }
}

/// The writer the formatter gets for one event.
pub(crate) struct LineWriter<'a> {
    sink: &'a BatchedStderr,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.sink.append(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter { sink: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_in_order_until_flushed() {
        let sink = BatchedStderr::default();
        let mut writer = sink.make_writer();
        writer.write_all(b"first\n").unwrap();
        writer.write_all(b"second\n").unwrap();
        assert_eq!(sink.lock().as_slice(), b"first\nsecond\n");
        assert!(sink.written.lock().unwrap().is_empty());
        sink.flush_now();
        assert!(sink.lock().is_empty());
        assert_eq!(sink.written.lock().unwrap().as_slice(), b"first\nsecond\n");
    }

    #[test]
    fn a_full_buffer_is_written_out_by_the_logging_thread() {
        let sink = BatchedStderr::default();
        let line = [b'x'; 1000];
        let lines_to_fill = BUFFER_LIMIT.div_ceil(line.len());
        for _ in 1..lines_to_fill {
            sink.make_writer().write_all(&line).unwrap();
        }
        assert_eq!(sink.lock().len(), (lines_to_fill - 1) * line.len());
        assert!(sink.written.lock().unwrap().is_empty());
        sink.make_writer().write_all(&line).unwrap();
        assert!(
            sink.lock().is_empty(),
            "the line that filled the buffer wrote it out"
        );
        assert_eq!(
            sink.written.lock().unwrap().len(),
            lines_to_fill * line.len()
        );
    }
}
