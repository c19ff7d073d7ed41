//! `iam-server`: the STS Query protocol over HTTP in front of `iam-sts`.
//!
//! Stage: the HTTP front end. Input: requests from AWS SDKs and CLIs (form body or query
//! string), and authorize questions from data-plane proxies. Output: the exact XML of
//! `spec/wire-protocol.md` §4 (or its JSON rendering), metrics, logs and an audit log. It
//! holds no policy or token logic of its own: everything an operation means is behind the
//! [`StsBackend`] trait, which the integrator implements with `iam-sts`.
//!
//! # The boundary
//!
//! * [`StsBackend::authenticate`] gets a [`RawRequest`] (method, raw path, raw query,
//!   headers, body: what `iam_sts::sigv4::SignedRequest` needs) for every signed request and
//!   returns a [`Caller`] (ARN, access key id, and an opaque `session` slot so `call` need not
//!   open the token again) or an [`StsFault`].
//! * [`StsBackend::call`] gets an [`StsCall`]: the operation, the decoded flattened
//!   parameters (`Tags.member.1.Key`), the caller (`None` only for AssumeRoleWithWebIdentity
//!   and AssumeRoleWithSAML), the request id and the source address. It returns an
//!   [`StsOutput`]: the children of `<{Action}Result>` as an ordered [`Element`] tree with
//!   typed leaves ([`Value::Text`], [`Value::Integer`], [`Value::Timestamp`]), so the server
//!   renders XML (ISO-8601) and JSON (epoch seconds) without knowing any operation, plus
//!   [`IssuedCredentials`] when credentials were issued: that is what the audit log records.
//! * [`StsBackend::authorize`] answers `POST /v1/authorize` (JSON schema in [`authorize`]).
//! * An [`StsFault`] is a code, a message, an HTTP status and a [`FaultSide`]; the server
//!   renders it as `ErrorResponse` (or the JSON error shape).
//!
//! Every backend method is synchronous and runs inline on an async worker thread (or on the
//! blocking pool with [`AppConfig::blocking_backend`]); a panic in it becomes
//! `InternalFailure` (500).
//!
//! # Request handling (wire-protocol.md §2, §4, §5)
//!
//! 0. Any path other than the operational ones is the STS endpoint (clients configured with
//!    an endpoint URL that has a path still work); methods other than `GET`/`POST` get
//!    `405 MethodNotAllowed`.
//! 1. Body read with a size limit (`413 RequestEntityTooLarge`) and a time limit
//!    (`408 RequestTimeout`), see [`AppConfig`].
//! 2. Parameters from the query string and, for a `POST` with a form (or no) content type,
//!    the body; decoded with form rules (`+` is a space). See [`query`] for the rejections.
//! 3. `Action` missing → `MissingAction` (400). An action outside [`OPERATIONS`] or a
//!    `Version` other than [`API_VERSION`] → `InvalidAction` (400) "Could not find operation
//!    X for version Y" (`NO_VERSION_SPECIFIED` when absent).
//! 4. The operations in [`UNSIGNED_OPERATIONS`] skip authentication (a signature is
//!    ignored). Any other without an `Authorization` header and without `X-Amz-Algorithm` in
//!    the query → `MissingAuthenticationToken` (403); otherwise `authenticate`.
//!    Whether a request carrying both an `Authorization` header and presigned parameters is
//!    rejected is the backend's call (wire-protocol.md §6.9 says it must be).
//! 5. `call`; the audit record (issued credentials or refusal) is written and flushed; then
//!    the response: XML unless `Accept` names `application/json`, with `x-amzn-RequestId`
//!    (a UUID v4) and `Content-Type: text/xml` (or `application/json`). If the audit record
//!    of issued credentials cannot be written, the client gets `InternalFailure` instead.
//!
//! # Operations
//!
//! `GET /healthz` answers `ok`; `GET /metrics` the Prometheus text ([`metrics`]); the audit
//! record format is in [`audit`]; [`serve()`] binds, handles TLS, signals and reloads.

pub mod app;
pub mod audit;
pub mod authorize;
pub mod backend;
mod dispatch;
pub mod metrics;
pub mod query;
pub mod render;
pub mod serve;
pub mod token_backend;

#[doc(hidden)]
pub mod fuzzing;

pub use app::{app, AppConfig, AppState, Reloader};
pub use audit::{AuditLog, AuditRecord};
pub use backend::{
    AuthorizeRequest, AuthorizeResponse, Caller, Decision, Element, FaultSide, IssuedCredentials,
    RawRequest, SignedDescription, StsBackend, StsCall, StsFault, StsOutput, Value,
};
pub use dispatch::REQUEST_ID_HEADER;
pub use serve::{serve, serve_listener, shutdown_signal, ServeConfig, TlsFiles};
pub use token_backend::TokenBackend;

/// The only API version STS speaks.
pub const API_VERSION: &str = "2011-06-15";

/// The operations the server dispatches (sts-api.md §1); any other action is `InvalidAction`.
pub const OPERATIONS: [&str; 8] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetCallerIdentity",
    "GetFederationToken",
    "GetSessionToken",
];

/// The operations AWS serves without a signature.
pub const UNSIGNED_OPERATIONS: [&str; 2] = ["AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"];
