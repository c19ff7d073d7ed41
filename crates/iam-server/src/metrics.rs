//! Prometheus metrics kept in atomics (no metrics crate: three fixed families do not need
//! one, and fixed arrays make label cardinality bounded by construction).
//!
//! Stage: updated once per request by the handlers, read by `GET /metrics`. Input: the
//! operation, outcome and latency of each request. Output: the text exposition format
//! (version 0.0.4). It must never take a lock on the request path and never let a
//! client-chosen string become a label value.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::OPERATIONS;

/// Label values of the `operation` label: the STS operations, the authorize endpoint, and
/// `other` for requests that never reached an operation (missing or unknown action).
const OPERATION_LABELS: [&str; 10] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetCallerIdentity",
    "GetFederationToken",
    "GetSessionToken",
    "Authorize",
    "other",
];
const OTHER: usize = 9;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Success,
    /// 4xx: the client's fault.
    SenderError,
    /// 5xx: ours.
    ReceiverError,
}

impl Outcome {
    /// The outcome of an HTTP status.
    pub fn from_status(status: u16) -> Self {
        match status {
            500.. => Self::ReceiverError,
            400..=499 => Self::SenderError,
            _ => Self::Success,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Success => 0,
            Self::SenderError => 1,
            Self::ReceiverError => 2,
        }
    }

    fn label(index: usize) -> &'static str {
        match index {
            0 => "success",
            1 => "sender_error",
            _ => "receiver_error",
        }
    }
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [[AtomicU64; 3]; OPERATION_LABELS.len()],
    issued: [AtomicU64; OPERATION_LABELS.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    reloads: [AtomicU64; 2],
}

/// Index of an operation label; `None` or an unknown name counts as `other`.
fn operation_index(operation: Option<&str>) -> usize {
    operation
        .and_then(|name| {
            OPERATION_LABELS
                .iter()
                .take(OTHER)
                .position(|label| *label == name)
        })
        .unwrap_or(OTHER)
}

impl Metrics {
    /// Records one finished request.
    pub fn record(&self, operation: Option<&str>, outcome: Outcome, latency: Duration) {
        let op = operation_index(operation);
        if let Some(counter) = self
            .requests
            .get(op)
            .and_then(|row| row.get(outcome.index()))
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = latency.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Records one credential set issued by `operation`.
    pub fn record_issued(&self, operation: &str) {
        if let Some(counter) = self.issued.get(operation_index(Some(operation))) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records a backend reload attempt.
    pub fn record_reload(&self, succeeded: bool) {
        let index = usize::from(!succeeded);
        if let Some(counter) = self.reloads.get(index) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP iam_server_requests_total Requests by operation and outcome.\n");
        out.push_str("# TYPE iam_server_requests_total counter\n");
        for (label, row) in OPERATION_LABELS.iter().zip(&self.requests) {
            for (index, counter) in row.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "iam_server_requests_total{{operation=\"{label}\",outcome=\"{}\"}} {}",
                    Outcome::label(index),
                    counter.load(Ordering::Relaxed)
                );
            }
        }
        out.push_str("# HELP iam_server_request_duration_seconds Time from request to response.\n");
        out.push_str("# TYPE iam_server_request_duration_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "iam_server_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "iam_server_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum_micros = self.latency_sum_micros.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "iam_server_request_duration_seconds_sum {}.{:06}",
            sum_micros / 1_000_000,
            sum_micros % 1_000_000
        );
        let _ = writeln!(out, "iam_server_request_duration_seconds_count {count}");
        out.push_str(
            "# HELP iam_server_credentials_issued_total Credential sets issued by operation.\n",
        );
        out.push_str("# TYPE iam_server_credentials_issued_total counter\n");
        for (label, counter) in OPERATION_LABELS
            .iter()
            .zip(&self.issued)
            .take(OPERATIONS.len())
        {
            let _ = writeln!(
                out,
                "iam_server_credentials_issued_total{{operation=\"{label}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out.push_str(
            "# HELP iam_server_backend_reloads_total Backend reload attempts by result.\n",
        );
        out.push_str("# TYPE iam_server_backend_reloads_total counter\n");
        for (label, counter) in ["success", "failure"].iter().zip(&self.reloads) {
            let _ = writeln!(
                out,
                "iam_server_backend_reloads_total{{result=\"{label}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_cover_every_operation() {
        for op in OPERATIONS {
            assert_ne!(operation_index(Some(op)), OTHER, "{op}");
        }
        assert_eq!(operation_index(Some("AssumeRoot")), OTHER);
        assert_eq!(operation_index(None), OTHER);
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::default();
        metrics.record(
            Some("AssumeRole"),
            Outcome::Success,
            Duration::from_millis(3),
        );
        metrics.record(None, Outcome::SenderError, Duration::from_secs(10));
        let text = metrics.render();
        assert!(text.contains("iam_server_request_duration_seconds_bucket{le=\"0.001\"} 0\n"));
        assert!(text.contains("iam_server_request_duration_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("iam_server_request_duration_seconds_bucket{le=\"5\"} 1\n"));
        assert!(text.contains("iam_server_request_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("iam_server_request_duration_seconds_sum 10.003000\n"));
        assert!(text.contains(
            "iam_server_requests_total{operation=\"other\",outcome=\"sender_error\"} 1\n"
        ));
    }
}
