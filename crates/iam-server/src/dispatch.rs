//! The STS Query endpoint: parse, dispatch, authenticate, call, audit, render.
//!
//! Stage: the handler behind every path except the operational ones. Input: a `GET` with a
//! query string or a `POST` with a form body. Output: the XML (or JSON) success or error
//! envelope with `x-amzn-RequestId`. Order (wire-protocol.md §2.3): read the body within the
//! size and time limits; parse parameters; `Action` missing → `MissingAction`; unknown action
//! or a `Version` other than `2011-06-15` (absent counts as other) → `InvalidAction`; then
//! authentication, except for the two operations AWS serves unsigned, whose signature (if
//! any) is ignored; an unsigned request for any other operation → `MissingAuthenticationToken`.
//! The audit record is written and flushed before the response exists; if that fails for
//! issued credentials, the client gets `InternalFailure` instead of the credentials.
//! Logging: one line per request at `info` when it issued credentials or was refused or
//! failed (the same events the audit log records), at `debug` when it only read something.
//! It must never log a parameter value, a header value or anything from the result tree.

use std::net::{IpAddr, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::app::AppState;
use crate::audit::AuditRecord;
use crate::backend::{Caller, RawRequest, StsCall, StsFault, StsOutput};
use crate::metrics::Outcome;
use crate::query::parse_params;
use crate::render;
use crate::{API_VERSION, OPERATIONS, UNSIGNED_OPERATIONS};

/// Header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// The presigned-URL authentication parameters; kept out of [`StsCall::params`].
const AUTH_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// Longest client-supplied action name echoed in a message or the audit log.
const MAX_ECHOED_ACTION: usize = 64;

/// How the client wants responses rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

impl Format {
    /// JSON when any media range in `Accept` is exactly `application/json`.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let wants_json = headers.get_all(header::ACCEPT).iter().any(|value| {
            value.to_str().unwrap_or("").split(',').any(|range| {
                let media = range.split(';').next().unwrap_or("").trim();
                media.eq_ignore_ascii_case("application/json")
            })
        });
        if wants_json {
            Self::Json
        } else {
            Self::Xml
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Xml => "text/xml",
            Self::Json => "application/json",
        }
    }
}

/// A new request id: a random UUID v4.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Milliseconds since the epoch, now.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Reads the whole body within the configured size and time limits.
pub(crate) async fn read_body(state: &AppState, body: Body) -> Result<Vec<u8>, StsFault> {
    let limit = state.config().max_body_bytes;
    let collect = Limited::new(body, limit).collect();
    match tokio::time::timeout(state.config().body_read_timeout, collect).await {
        Err(_) => Err(StsFault::new(
            "RequestTimeout",
            "the request body did not arrive in time",
            408,
        )),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(StsFault::new(
            "RequestEntityTooLarge",
            format!("the request body exceeds `{limit}` bytes"),
            413,
        )),
        Ok(Err(_)) => Err(StsFault::new(
            "IncompleteBody",
            "the request body could not be read",
            400,
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        // No content type: SDKs always send one, curl users may not; read the body as a form.
        None => true,
        Some(value) => value
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded"),
    }
}

/// The source address from the connection, when served over a socket.
pub(crate) fn source_ip(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// What is left of a request once it is parsed: the backend call (or refusal) and its audit.
struct Job {
    request_id: String,
    action: Option<String>,
    source_ip: Option<IpAddr>,
    work: Work,
}

enum Work {
    /// Refused before reaching the backend.
    Refuse(StsFault),
    /// Authenticate (unless unsigned) and call.
    Call(Box<(StsCall, Option<RawRequest>)>),
}

struct Finished {
    result: Result<StsOutput, StsFault>,
    caller: Option<Caller>,
}

/// The STS Query handler.
pub(crate) async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let format = Format::from_headers(request.headers());
    let source_ip = source_ip(&request);
    let (job, operation) = prepare(&state, request, request_id.clone(), source_ip).await;
    let action_for_log = job.action.clone();
    let finished = execute(&state, job).await;

    let (status, body) = match &finished.result {
        Ok(output) => {
            let action = action_for_log.as_deref().unwrap_or("");
            let body = match format {
                Format::Xml => render::success_xml(action, &output.result, &request_id),
                Format::Json => render::success_json(action, &output.result, &request_id),
            };
            (StatusCode::OK, body)
        }
        Err(fault) => {
            let body = match format {
                Format::Xml => render::error_xml(fault, &request_id),
                Format::Json => render::error_json(fault, &request_id),
            };
            let status = StatusCode::from_u16(fault.http_status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, body)
        }
    };

    let latency = started.elapsed();
    state
        .metrics()
        .record(operation, Outcome::from_status(status.as_u16()), latency);
    log_request(
        &request_id,
        action_for_log.as_deref(),
        &finished,
        status,
        latency,
    );
    respond(status, format, &request_id, body)
}

pub(crate) fn respond(
    status: StatusCode,
    format: Format,
    request_id: &str,
    body: String,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

fn log_request(
    request_id: &str,
    action: Option<&str>,
    finished: &Finished,
    status: StatusCode,
    latency: std::time::Duration,
) {
    let caller_key = finished
        .caller
        .as_ref()
        .map(|caller| caller.access_key_id.as_str());
    let latency_ms = latency.as_secs_f64() * 1000.0;
    match &finished.result {
        Ok(output) => match &output.issued {
            Some(issued) => tracing::info!(
                request_id,
                action,
                caller_key,
                status = status.as_u16(),
                issued_key = issued.access_key_id.as_str(),
                latency_ms,
                "sts request served"
            ),
            // Read-only answers (GetCallerIdentity, GetAccessKeyInfo, …) are the bulk of the
            // traffic and change nothing; `/metrics` counts them.
            None => tracing::debug!(
                request_id,
                action,
                caller_key,
                status = status.as_u16(),
                latency_ms,
                "sts request served"
            ),
        },
        Err(fault) if status.is_server_error() => tracing::error!(
            request_id,
            action,
            caller_key,
            status = status.as_u16(),
            code = %fault.code,
            message = %fault.message,
            latency_ms,
            "sts request failed"
        ),
        Err(fault) => tracing::info!(
            request_id,
            action,
            caller_key,
            status = status.as_u16(),
            code = %fault.code,
            latency_ms,
            "sts request refused"
        ),
    }
}

/// Reads and parses the request and decides what the backend is asked. Returns the job and
/// the operation label for metrics (`None` before dispatch succeeds).
async fn prepare(
    state: &AppState,
    request: Request,
    request_id: String,
    source_ip: Option<IpAddr>,
) -> (Job, Option<&'static str>) {
    let refuse = |fault: StsFault, action: Option<String>, request_id: String| Job {
        request_id,
        action,
        source_ip,
        work: Work::Refuse(fault),
    };
    let (parts, body) = request.into_parts();
    if parts.method != Method::GET && parts.method != Method::POST {
        let fault = StsFault::new(
            "MethodNotAllowed",
            format!(
                "the STS endpoint accepts `GET` and `POST`, not `{}`",
                parts.method
            ),
            405,
        );
        return (refuse(fault, None, request_id), None);
    }
    let body = match read_body(state, body).await {
        Ok(body) => body,
        Err(fault) => return (refuse(fault, None, request_id), None),
    };
    let query = parts.uri.query().unwrap_or("");
    let form = (parts.method == Method::POST && is_form(&parts.headers)).then_some(body.as_slice());
    let params = match parse_params(query.as_bytes(), form) {
        Ok(params) => params,
        Err(error) => return (refuse(error.to_fault(), None, request_id), None),
    };

    let lookup = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let Some(action) = lookup("Action") else {
        let fault = StsFault::new(
            "MissingAction",
            "the request has no `Action` parameter",
            400,
        );
        return (refuse(fault, None, request_id), None);
    };
    let version = lookup("Version");
    let operation = OPERATIONS.iter().copied().find(|op| *op == action);
    let operation = match (operation, version.as_deref()) {
        (Some(operation), Some(API_VERSION)) => operation,
        _ => {
            let message = format!(
                "Could not find operation {} for version {}",
                truncate(&action, MAX_ECHOED_ACTION),
                version
                    .as_deref()
                    .map_or_else(|| "NO_VERSION_SPECIFIED".to_owned(), |v| truncate(v, 32))
            );
            let fault = StsFault::new("InvalidAction", message, 400);
            return (
                refuse(
                    fault,
                    Some(truncate(&action, MAX_ECHOED_ACTION)),
                    request_id,
                ),
                None,
            );
        }
    };

    let unsigned = UNSIGNED_OPERATIONS.contains(&operation);
    let presigned = query
        .split('&')
        .any(|piece| piece.split('=').next() == Some("X-Amz-Algorithm"));
    let has_authorization = parts.headers.contains_key(header::AUTHORIZATION);
    if !unsigned && !presigned && !has_authorization {
        let fault = StsFault::new(
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
            403,
        );
        return (
            refuse(fault, Some(operation.to_owned()), request_id),
            Some(operation),
        );
    }

    let signed = (!unsigned).then(|| RawRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: query.to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                // Visible ASCII (every header a client signs, in practice) copies directly.
                let value = value.to_str().map_or_else(
                    |_| String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    str::to_owned,
                );
                (name.as_str().to_owned(), value)
            })
            .collect(),
        body,
        source_ip,
    });
    let call = StsCall {
        action: operation.to_owned(),
        version: API_VERSION.to_owned(),
        params: params
            .into_iter()
            .filter(|(name, _)| {
                name != "Action" && name != "Version" && !AUTH_PARAMS.contains(&name.as_str())
            })
            .collect(),
        caller: None,
        request_id: request_id.clone(),
        source_ip,
    };
    let job = Job {
        request_id,
        action: Some(operation.to_owned()),
        source_ip,
        work: Work::Call(Box::new((call, signed))),
    };
    (job, Some(operation))
}

/// Runs `work` on the backend: inline on the async worker (the backend calls are CPU-bound
/// and take microseconds), or on the blocking pool when [`crate::AppConfig`] says the
/// backend may block. A panic becomes `InternalFailure`.
async fn call_backend(
    state: &AppState,
    work: Work,
) -> (Result<StsOutput, StsFault>, Option<Caller>) {
    if state.config().blocking_backend {
        let worker_state = state.clone();
        tokio::task::spawn_blocking(move || call_now(&worker_state, work))
            .await
            .unwrap_or_else(|_| {
                (
                    Err(StsFault::internal("the request could not be completed")),
                    None,
                )
            })
    } else {
        call_now(state, work)
    }
}

fn call_now(state: &AppState, work: Work) -> (Result<StsOutput, StsFault>, Option<Caller>) {
    match work {
        Work::Refuse(fault) => (Err(fault), None),
        Work::Call(boxed) => {
            let (mut call, signed) = *boxed;
            let backend = state.backend();
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                if let Some(signed) = signed {
                    match backend.authenticate(signed) {
                        Ok(caller) => call.caller = Some(caller),
                        Err(fault) => return Err(fault),
                    }
                }
                backend.call(&call)
            }));
            let result =
                outcome.unwrap_or_else(|_| Err(StsFault::internal("the token service failed")));
            (result, call.caller)
        }
    }
}

/// Backend call, then the audit record.
async fn execute(state: &AppState, job: Job) -> Finished {
    let (result, caller) = call_backend(state, job.work).await;
    let result = audit(
        state,
        &job.request_id,
        job.action.as_deref(),
        job.source_ip,
        caller.as_ref(),
        result,
    )
    .await;
    if let (Ok(output), Some(action)) = (&result, job.action.as_deref()) {
        if output.issued.is_some() {
            state.metrics().record_issued(action);
        }
    }
    Finished { result, caller }
}

/// Writes the audit record for issued credentials and refusals. A failed write for issued
/// credentials turns the result into `InternalFailure`: no credentials leave unaudited.
/// Completes once the record is flushed (the audit writer thread does the I/O).
pub(crate) async fn audit(
    state: &AppState,
    request_id: &str,
    action: Option<&str>,
    source_ip: Option<IpAddr>,
    caller: Option<&Caller>,
    result: Result<StsOutput, StsFault>,
) -> Result<StsOutput, StsFault> {
    let Some(log) = &state.config().audit else {
        return result;
    };
    let mut record = AuditRecord {
        time: render::iso8601_millis(now_millis()),
        request_id: request_id.to_owned(),
        action: action.map(str::to_owned),
        caller_arn: caller.map(|caller| caller.arn.clone()),
        caller_access_key_id: caller.map(|caller| caller.access_key_id.clone()),
        source_ip: source_ip.map(|ip| ip.to_string()),
        ..AuditRecord::default()
    };
    match &result {
        Ok(output) => {
            let Some(issued) = &output.issued else {
                return result;
            };
            record.outcome = "issued";
            record.http_status = 200;
            record.issued_access_key_id = Some(issued.access_key_id.clone());
            record.issued_expiration = Some(render::iso8601(issued.expiration_millis));
            record.issued_principal_arn = Some(issued.principal_arn.clone());
        }
        Err(fault) => {
            record.outcome = "refused";
            record.http_status = fault.http_status;
            record.error_code = Some(fault.code.clone());
        }
    }
    match log.write_async(&record).await {
        Ok(()) => result,
        Err(error) => {
            tracing::error!(request_id, error = %error, "audit log write failed");
            match result {
                Ok(_) => Err(StsFault::internal("the request could not be recorded")),
                refused => refused,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    use crate::app::{app, AppConfig, AppState};
    use crate::backend::{
        AuthorizeRequest, AuthorizeResponse, Caller, Element, RawRequest, StsBackend, StsCall,
        StsFault, StsOutput,
    };

    /// Answers unsigned calls with the name of the thread it ran on; panics on `Panic`.
    #[derive(Default)]
    struct ThreadBackend {
        threads: Mutex<Vec<Option<String>>>,
    }

    impl StsBackend for ThreadBackend {
        fn call(&self, request: &StsCall) -> Result<StsOutput, StsFault> {
            if request.param("Panic").is_some() {
                panic!("backend bug");
            }
            let name = std::thread::current().name().map(str::to_owned);
            self.threads.lock().unwrap().push(name);
            Ok(StsOutput::new(vec![Element::text("Ok", "yes")]))
        }
        fn authenticate(&self, _: RawRequest) -> Result<Caller, StsFault> {
            Err(StsFault::new("InvalidClientTokenId", "no", 403))
        }
        fn authorize(&self, _: &AuthorizeRequest) -> Result<AuthorizeResponse, StsFault> {
            Err(StsFault::new("AccessDenied", "no", 403))
        }
    }

    async fn post(state: &AppState, body: &'static str) -> (StatusCode, String) {
        let request = Request::post("/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let response = app(state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    const CALL: &str = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15";
    const PANIC: &str = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&Panic=1";

    async fn served_on(blocking_backend: bool) -> (Option<String>, StatusCode, String) {
        let backend = Arc::new(ThreadBackend::default());
        let config = AppConfig {
            blocking_backend,
            ..AppConfig::default()
        };
        let state = AppState::new(backend.clone(), config);
        let (status, body) = post(&state, CALL).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("<Ok>yes</Ok>"), "{body}");
        let thread = backend.threads.lock().unwrap().pop().unwrap();
        let (status, body) = post(&state, PANIC).await;
        (thread, status, body)
    }

    #[tokio::test]
    async fn backend_calls_run_inline_by_default_and_panics_become_internal_failure() {
        let (thread, status, body) = served_on(false).await;
        assert_eq!(thread.as_deref(), std::thread::current().name());
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("<Code>InternalFailure</Code>"), "{body}");
    }

    #[tokio::test]
    async fn a_blocking_backend_runs_on_the_blocking_pool_with_the_same_answers() {
        let (thread, status, body) = served_on(true).await;
        assert_ne!(thread.as_deref(), std::thread::current().name());
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("<Code>InternalFailure</Code>"), "{body}");
    }
}
