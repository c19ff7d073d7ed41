//! The audit log: one JSON object per line for every credential issued and every refused
//! request.
//!
//! Stage: the last step before a response is sent. Input: the request id, action, caller,
//! source address, outcome and (for issued credentials) the new access key id and expiry.
//! Output: a line written with `write_all` and flushed before the handler returns, so a
//! response never exists without its audit record. It must never record a secret access key,
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
use std::sync::Mutex;

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

/// An append-only JSON-lines sink.
pub struct AuditLog {
    sink: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("AuditLog")
    }
}

impl AuditLog {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file: File = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self::new(file))
    }

    /// An audit log writing to any sink (a file, a pipe, a buffer in tests).
    pub fn new(sink: impl Write + Send + 'static) -> Self {
        Self {
            sink: Mutex::new(Box::new(sink)),
        }
    }

    /// Writes one record as one line and flushes it. Blocking; call it off the async runtime.
    pub fn write(&self, record: &AuditRecord) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        // A poisoned lock only means another writer panicked mid-record; the file is still
        // usable and refusing to audit would be worse.
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sink.write_all(&line)?;
        sink.flush()
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
}
