//! The router and its shared state.
//!
//! Stage: between the connection (see [`crate::serve()`]) and the handlers. Input: HTTP
//! requests. Output: responses from `/healthz`, `/metrics`, `/v1/authorize`, and the STS
//! Query endpoint for every other path. It holds the backend behind a lock that is only
//! taken to clone an `Arc`, so a reload never waits for a request and a request never sees
//! half a backend.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::audit::AuditLog;
use crate::backend::StsBackend;
use crate::metrics::Metrics;

/// Request-level limits and sinks of an [`AppState`].
#[derive(Debug)]
pub struct AppConfig {
    /// Largest accepted body in bytes; larger ones get `413 RequestEntityTooLarge`. Default
    /// 1 MiB: a 100,000-character SAML assertion can triple when percent-encoded
    /// (wire-protocol.md §2.2).
    pub max_body_bytes: usize,
    /// How long a client may take to send the body once headers arrived; slower ones get
    /// `408 RequestTimeout`. Default 15 s.
    pub body_read_timeout: Duration,
    /// Where audit records go; `None` disables auditing (tests, demos).
    pub audit: Option<AuditLog>,
    /// Run every backend call on tokio's blocking pool instead of inline on the async
    /// worker. Needed only by a backend that waits (network, disk) inside a call; the
    /// `iam-sts` backend computes for microseconds and does not. Default `false`: the thread
    /// hop costs more than the call.
    pub blocking_backend: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            body_read_timeout: Duration::from_secs(15),
            audit: None,
            blocking_backend: false,
        }
    }
}

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    backend: RwLock<Arc<dyn StsBackend>>,
    config: AppConfig,
    metrics: Metrics,
}

/// Builds a new backend for a reload, or lists every problem found (each is logged).
pub type Reloader = Arc<dyn Fn() -> Result<Arc<dyn StsBackend>, Vec<String>> + Send + Sync>;

impl AppState {
    /// State serving `backend` with `config`.
    pub fn new(backend: Arc<dyn StsBackend>, config: AppConfig) -> Self {
        Self {
            inner: Arc::new(Shared {
                backend: RwLock::new(backend),
                config,
                metrics: Metrics::default(),
            }),
        }
    }

    /// The backend serving requests now.
    pub fn backend(&self) -> Arc<dyn StsBackend> {
        // The lock is only held to clone or replace an Arc; poisoning cannot leave it torn.
        let guard = self
            .inner
            .backend
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(&guard)
    }

    /// Makes `backend` serve every request that starts from now on; requests in flight
    /// finish on the backend they started with.
    pub fn replace_backend(&self, backend: Arc<dyn StsBackend>) {
        let mut guard = self
            .inner
            .backend
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard = backend;
    }

    /// Runs `reloader` (blocking) and swaps the backend in on success. On failure the old
    /// backend keeps serving and every problem is logged and returned.
    pub fn reload(&self, reloader: &Reloader) -> Result<(), Vec<String>> {
        match reloader() {
            Ok(backend) => {
                self.replace_backend(backend);
                self.inner.metrics.record_reload(true);
                tracing::info!("backend reloaded");
                Ok(())
            }
            Err(problems) => {
                self.inner.metrics.record_reload(false);
                if problems.is_empty() {
                    tracing::error!(
                        "backend reload failed without a reason; keeping the old backend"
                    );
                }
                for problem in &problems {
                    tracing::error!(problem = %problem, "backend reload failed; keeping the old backend");
                }
                Err(problems)
            }
        }
    }

    /// The request limits and audit sink.
    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    /// The counters behind `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AppState")
            .field("config", &self.inner.config)
            .finish()
    }
}

/// The whole HTTP application: `/healthz`, `/metrics`, `POST /v1/authorize`, and the STS
/// Query protocol (`GET` or `POST`) on every other path.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/authorize", post(crate::authorize::handle))
        .fallback(crate::dispatch::handle)
        .with_state(state)
}

async fn healthz() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok").into_response()
}

async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(),
    )
        .into_response()
}
