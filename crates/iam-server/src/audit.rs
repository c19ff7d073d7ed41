//! The audit log: one JSON object per line for every credential issued and every refused
//! request.
//!
//! Stage: the last step before a response is sent. Input: the request id, action, caller,
//! source address, outcome and (for issued credentials) the new access key id and expiry.
//! Output: a line written with `write_all` and flushed before the handler returns, so a
//! response never exists without its audit record. A dedicated writer thread commits in
//! groups: every record queued while it writes goes out in the next single `write_all` +
//! `flush`, and each waiter is told the outcome of the flush that carried its line. It must never record a secret access key,
//! a session token, a web identity token, a SAML assertion or any request parameter value.
//!
//! Record fields (absent ones are omitted): `time` (ISO-8601 UTC with milliseconds),
//! `request_id`, `action` (`Authorize` for `/v1/authorize`; the client's text truncated to 64
//! characters for an unknown action), `caller_arn`, `caller_access_key_id`, `source_ip`,
//! `outcome` (`issued` or `refused`), `http_status`, `error_code`, `issued_access_key_id`,
//! `issued_expiration`, `issued_principal_arn`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use serde::Serialize;

/// One audit record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// When the response was decided, ISO-8601 UTC.
    pub time: String,
    /// The request id (also in `x-amzn-RequestId`).
    pub request_id: String,
    /// The action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The signing principal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_arn: Option<String>,
    /// The access key id that signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_access_key_id: Option<String>,
    /// The client address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// `issued` or `refused`.
    pub outcome: &'static str,
    /// The HTTP status sent.
    pub http_status: u16,
    /// The error code of a refused request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The access key id of issued credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_access_key_id: Option<String>,
    /// When the issued credentials expire, ISO-8601 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_expiration: Option<String>,
    /// The principal the issued credentials act as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_principal_arn: Option<String>,
}

/// The outcome of the flush that carried a record: `Err` holds the error's kind and text
/// (an `io::Error` cannot be cloned for every waiter of a failed group).
type Ack = Result<(), (io::ErrorKind, String)>;

/// Who waits for a queued record.
enum Waiter {
    /// A thread blocked in [`AuditLog::write`].
    Thread(mpsc::SyncSender<Ack>),
    /// A task awaiting [`AuditLog::write_async`].
    Task(tokio::sync::oneshot::Sender<Ack>),
}

impl Waiter {
    fn notify(self, ack: Ack) {
        // A waiter that went away (a dropped request) no longer needs the answer.
        match self {
            Self::Thread(sender) => {
                let _ = sender.send(ack);
            }
            Self::Task(sender) => {
                let _ = sender.send(ack);
            }
        }
    }
}

/// Records waiting for the writer thread.
#[derive(Default)]
struct Queue {
    /// The encoded lines of every queued record, back to back.
    lines: Vec<u8>,
    waiters: Vec<Waiter>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Taken only by the writer thread, or by callers when no writer thread could start.
    sink: Mutex<Box<dyn Write + Send>>,
}

/// A poisoned lock only means another thread panicked mid-record; the queue and the file are
/// still usable and refusing to audit would be worse.
fn relock<'a, T>(
    result: Result<MutexGuard<'a, T>, PoisonError<MutexGuard<'a, T>>>,
) -> MutexGuard<'a, T> {
    result.unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Writes `lines` with one `write_all` and one `flush`.
    fn commit(&self, lines: &[u8]) -> Ack {
        let mut sink = relock(self.sink.lock());
        sink.write_all(lines)
            .and_then(|()| sink.flush())
            .map_err(|error| (error.kind(), error.to_string()))
    }

    /// The writer thread: takes everything queued, commits it as one group, acknowledges
    /// each waiter, and repeats until the log is dropped and the queue is empty.
    fn run_writer(&self) {
        let mut lines = Vec::new();
        let mut waiters = Vec::new();
        loop {
            {
                let mut queue = relock(self.queue.lock());
                while queue.waiters.is_empty() && !queue.closed {
                    queue = relock(self.ready.wait(queue));
                }
                if queue.waiters.is_empty() {
                    return;
                }
                std::mem::swap(&mut queue.lines, &mut lines);
                std::mem::swap(&mut queue.waiters, &mut waiters);
            }
            let ack = self.commit(&lines);
            for waiter in waiters.drain(..) {
                waiter.notify(ack.clone());
            }
            lines.clear();
            // Keep the buffer for the next group, but not a burst-sized one forever.
            lines.shrink_to(64 * 1024);
            waiters.shrink_to(1024);
        }
    }
}

/// An append-only JSON-lines sink.
pub struct AuditLog {
    shared: Arc<Shared>,
    /// `None` when the writer thread could not be started: callers then write themselves.
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("AuditLog")
    }
}

fn encode(record: &AuditRecord) -> io::Result<Vec<u8>> {
    let mut line = Vec::with_capacity(384);
    serde_json::to_writer(&mut line, record).map_err(io::Error::other)?;
    line.push(b'\n');
    Ok(line)
}

fn into_result(ack: Ack) -> io::Result<()> {
    ack.map_err(|(kind, message)| io::Error::new(kind, message))
}

fn writer_gone() -> io::Error {
    io::Error::other("the audit writer stopped")
}

impl AuditLog {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file: File = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self::new(file))
    }

    /// An audit log writing to any sink (a file, a pipe, a buffer in tests), from its own
    /// writer thread.
    pub fn new(sink: impl Write + Send + 'static) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            sink: Mutex::new(Box::new(sink)),
        });
        let for_writer = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("audit-writer".to_owned())
            .stack_size(256 * 1024)
            .spawn(move || for_writer.run_writer());
        let writer = match writer {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::warn!(error = %error, "cannot start the audit writer thread; requests write the audit log themselves");
                None
            }
        };
        Self { shared, writer }
    }

    /// Queues `line` for the writer thread; gives `waiter` back when there is no writer.
    fn enqueue(&self, line: &[u8], waiter: Waiter) -> Result<(), Waiter> {
        if self.writer.is_none() {
            return Err(waiter);
        }
        let mut queue = relock(self.shared.queue.lock());
        // The writer only sleeps on an empty queue (it checks under this lock), so only the
        // record that makes the queue non-empty needs to wake it: the rest ride along.
        let wake = queue.waiters.is_empty();
        queue.lines.extend_from_slice(line);
        queue.waiters.push(waiter);
        drop(queue);
        if wake {
            self.shared.ready.notify_one();
        }
        Ok(())
    }

    /// Writes one record as one line and returns once it is flushed. Blocking; call it off
    /// the async runtime.
    pub fn write(&self, record: &AuditRecord) -> io::Result<()> {
        let line = encode(record)?;
        let (sender, receiver) = mpsc::sync_channel(1);
        match self.enqueue(&line, Waiter::Thread(sender)) {
            Ok(()) => receiver
                .recv()
                .map_err(|_| writer_gone())
                .and_then(into_result),
            Err(_) => into_result(self.shared.commit(&line)),
        }
    }

    /// Writes one record as one line and completes once it is flushed, without blocking the
    /// async runtime (the writer thread does the I/O, together with every other record
    /// queued meanwhile).
    pub async fn write_async(&self, record: &AuditRecord) -> io::Result<()> {
        let line = encode(record)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        match self.enqueue(&line, Waiter::Task(sender)) {
            Ok(()) => receiver
                .await
                .map_err(|_| writer_gone())
                .and_then(into_result),
            Err(_) => into_result(self.shared.commit(&line)),
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        relock(self.shared.queue.lock()).closed = true;
        self.shared.ready.notify_one();
        if let Some(writer) = self.writer.take() {
            // The writer drains what is queued first; a panic there has nothing left to flush.
            let _ = writer.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn records_are_single_lines_without_absent_fields() {
        let buffer = Shared::default();
        let log = AuditLog::new(buffer.clone());
        let record = AuditRecord {
            time: "2026-11-29T10:00:00.000Z".to_owned(),
            request_id: "r-1".to_owned(),
            action: Some("GetCallerIdentity".to_owned()),
            outcome: "refused",
            http_status: 403,
            error_code: Some("MissingAuthenticationToken".to_owned()),
            ..AuditRecord::default()
        };
        log.write(&record).unwrap();
        log.write(&record).unwrap();
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let value: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(value["error_code"], "MissingAuthenticationToken");
        assert!(value.get("caller_arn").is_none());
    }

    fn sample(request_id: &str) -> AuditRecord {
        AuditRecord {
            time: "2026-11-29T10:00:00.000Z".to_owned(),
            request_id: request_id.to_owned(),
            action: Some("AssumeRole".to_owned()),
            outcome: "issued",
            http_status: 200,
            issued_access_key_id: Some("ASIAEXAMPLE".to_owned()),
            ..AuditRecord::default()
        }
    }

    #[test]
    fn concurrent_writers_each_get_one_whole_line() {
        let buffer = Shared::default();
        let log = Arc::new(AuditLog::new(buffer.clone()));
        let threads: Vec<_> = (0..8)
            .map(|thread| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    for n in 0..50 {
                        log.write(&sample(&format!("r-{thread}-{n}"))).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let mut ids: Vec<String> = text
            .lines()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                value["request_id"].as_str().unwrap().to_owned()
            })
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 400);
    }

    struct FailingFlush;

    impl Write for FailingFlush {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        }
    }

    #[test]
    fn a_failed_flush_is_reported_to_the_writer_of_the_record() {
        let log = AuditLog::new(FailingFlush);
        let error = log.write(&sample("r-1")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert!(error.to_string().contains("disk full"));
        // The log keeps reporting, record after record.
        assert!(log.write(&sample("r-2")).is_err());
    }

    #[test]
    fn write_async_completes_only_after_the_line_reached_the_sink() {
        let buffer = Shared::default();
        let log = AuditLog::new(buffer.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            for n in 0..3 {
                log.write_async(&sample(&format!("r-{n}"))).await.unwrap();
                let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
                assert_eq!(text.lines().count(), n + 1);
                assert!(text.ends_with(&format!("\"r-{n}\",\"action\":\"AssumeRole\",\"outcome\":\"issued\",\"http_status\":200,\"issued_access_key_id\":\"ASIAEXAMPLE\"}}\n")));
            }
        });
        let error = runtime
            .block_on(AuditLog::new(FailingFlush).write_async(&sample("r-x")))
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn dropping_the_log_stops_its_writer_thread() {
        let buffer = Shared::default();
        let log = AuditLog::new(buffer.clone());
        log.write(&sample("r-1")).unwrap();
        let weak = Arc::downgrade(&log.shared);
        drop(log);
        // The writer thread held the other reference; it is joined and gone.
        assert!(weak.upgrade().is_none());
    }
}
