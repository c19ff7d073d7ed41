//! `POST /v1/authorize`: may the signer of a data-plane request do this action on this
//! resource?
//!
//! Stage: a second entry point beside the STS endpoint, for proxies and services that
//! received a SigV4-signed request and want the project to verify it and evaluate the
//! signer's effective permissions. Input: a JSON body (schema below). Output: a JSON
//! decision, or a JSON error envelope (the §4.3 shape) with the fault's status. The caller of
//! this endpoint is trusted to describe the request it received faithfully: bind the server
//! to a private interface or put it behind the proxy's own authentication. It must never log
//! or echo a header value, and never evaluate without the backend verifying the signature.
//!
//! # Request
//!
//! ```json
//! {
//!   "request": {
//!     "method": "GET",
//!     "path": "/bucket/key.txt",
//!     "query": "versionId=3",
//!     "headers": [["host", "s3.example.test"], ["x-amz-date", "20261129T100000Z"],
//!                 ["authorization", "AWS4-HMAC-SHA256 Credential=…"]],
//!     "payload_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
//!   },
//!   "action": "s3:GetObject",
//!   "resource": "arn:aws:s3:::bucket/key.txt",
//!   "context": { "aws:SourceIp": "192.0.2.10", "s3:prefix": ["a/", "b/"] }
//! }
//! ```
//!
//! `request.method`, `request.path`, `request.headers` (name/value pairs in received order,
//! repeats kept) and `request.payload_sha256` (lower-case hex) are required; `query` defaults
//! to empty. `action` and `resource` are required. `context` is optional; each value is a
//! string or an array of strings. Unknown fields are rejected.
//!
//! # Response (200)
//!
//! ```json
//! {"decision": "Allow", "principal": "arn:aws:sts::123456789012:assumed-role/app/s",
//!  "explanation": "…", "request_id": "…"}
//! ```
//!
//! `decision` is `Allow`, `ExplicitDeny` or `ImplicitDeny`; a denial is still a 200 and also
//! carries `"encoded_message"`, the encoded authorization failure message to hand to the
//! client, which decodes it with `sts:DecodeAuthorizationMessage`. A request
//! that does not verify gets the backend's fault (`SignatureDoesNotMatch`, 403, …) as
//! `{"Error": {"Code", "Message", "Type"}, "RequestId"}`; a body that is not valid JSON or
//! does not match the schema gets `400 ValidationError`.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppState;
use crate::backend::{AuthorizeRequest, AuthorizeResponse, SignedDescription, StsFault, StsOutput};
use crate::dispatch::{audit, new_request_id, read_body, respond, source_ip, Format};
use crate::metrics::Outcome;
use crate::render::{error_json, json_string};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    request: SignedBody,
    action: String,
    resource: String,
    #[serde(default)]
    context: BTreeMap<String, ContextValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedBody {
    method: String,
    path: String,
    #[serde(default)]
    query: String,
    headers: Vec<(String, String)>,
    payload_sha256: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ContextValue {
    One(String),
    Many(Vec<String>),
}

/// Parses an authorize body. The error names the position, never the offending value.
pub fn parse_request(body: &[u8], request_id: &str) -> Result<AuthorizeRequest, StsFault> {
    let parsed: Body = serde_json::from_slice(body).map_err(|error| {
        StsFault::new(
            "ValidationError",
            format!(
                "the authorize request is not valid at line {} column {}",
                error.line(),
                error.column()
            ),
            400,
        )
    })?;
    Ok(AuthorizeRequest {
        signed: SignedDescription {
            method: parsed.request.method,
            path: parsed.request.path,
            query: parsed.request.query,
            headers: parsed.request.headers,
            payload_sha256: parsed.request.payload_sha256,
        },
        action: parsed.action,
        resource: parsed.resource,
        context: parsed
            .context
            .into_iter()
            .map(|(key, value)| match value {
                ContextValue::One(one) => (key, vec![one]),
                ContextValue::Many(many) => (key, many),
            })
            .collect(),
        request_id: request_id.to_owned(),
    })
}

/// Renders a decision.
pub fn render_response(response: &AuthorizeResponse, request_id: &str) -> String {
    let encoded = response
        .encoded_message
        .as_deref()
        .map(|message| format!(",\"encoded_message\":{}", json_string(message)))
        .unwrap_or_default();
    format!(
        "{{\"decision\":{},\"principal\":{},\"explanation\":{}{encoded},\"request_id\":{}}}",
        json_string(response.decision.as_str()),
        json_string(&response.principal),
        json_string(&response.explanation),
        json_string(request_id)
    )
}

/// Parses the question and asks the backend: inline, or on the blocking pool when
/// [`crate::AppConfig`] says the backend may block. A panic becomes `InternalFailure`.
async fn decide(
    state: &AppState,
    body: Vec<u8>,
    request_id: &str,
) -> Result<AuthorizeResponse, StsFault> {
    let answer = |state: &AppState, body: &[u8], request_id: &str| {
        parse_request(body, request_id).and_then(|question| {
            let backend = state.backend();
            catch_unwind(AssertUnwindSafe(|| backend.authorize(&question)))
                .unwrap_or_else(|_| Err(StsFault::internal("the token service failed")))
        })
    };
    if state.config().blocking_backend {
        let worker_state = state.clone();
        let worker_id = request_id.to_owned();
        tokio::task::spawn_blocking(move || answer(&worker_state, &body, &worker_id))
            .await
            .unwrap_or_else(|_| Err(StsFault::internal("the request could not be completed")))
    } else {
        answer(state, &body, request_id)
    }
}

pub(crate) async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let source = source_ip(&request);
    let body = read_body(&state, request.into_body()).await;
    let result = match body {
        Ok(body) => decide(&state, body, &request_id).await,
        Err(fault) => Err(fault),
    };
    if let Err(fault) = &result {
        // Refusals are audited like STS refusals; decisions are not (they are answers).
        let refused: Result<StsOutput, StsFault> = Err(fault.clone());
        let _ = audit(
            &state,
            &request_id,
            Some("Authorize"),
            source,
            None,
            refused,
        )
        .await;
    }

    let (status, body) = match &result {
        Ok(answer) => (StatusCode::OK, render_response(answer, &request_id)),
        Err(fault) => (
            StatusCode::from_u16(fault.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            error_json(fault, &request_id),
        ),
    };
    let latency = started.elapsed();
    state.metrics().record(
        Some("Authorize"),
        Outcome::from_status(status.as_u16()),
        latency,
    );
    match &result {
        Ok(answer) => tracing::info!(
            request_id,
            decision = answer.decision.as_str(),
            principal = %answer.principal,
            "authorize answered"
        ),
        Err(fault) => {
            tracing::info!(request_id, code = %fault.code, status = status.as_u16(), "authorize refused")
        }
    }
    respond(status, Format::Json, &request_id, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_accepts_strings_and_string_arrays() {
        let body = br#"{"request":{"method":"GET","path":"/","headers":[["host","h"]],
            "payload_sha256":"00"},"action":"s3:GetObject","resource":"arn:aws:s3:::b",
            "context":{"aws:SourceIp":"192.0.2.1","s3:prefix":["a/","b/"]}}"#;
        let parsed = parse_request(body, "r").unwrap();
        assert_eq!(parsed.context["aws:SourceIp"], vec!["192.0.2.1"]);
        assert_eq!(parsed.context["s3:prefix"], vec!["a/", "b/"]);
        assert_eq!(parsed.signed.query, "");
    }

    #[test]
    fn unknown_fields_and_bad_json_are_validation_errors_without_values() {
        let body = br#"{"request":{"method":"GET","path":"/","headers":[],"payload_sha256":"0",
            "secret":"hunter2"},"action":"a","resource":"r"}"#;
        let fault = parse_request(body, "r").unwrap_err();
        assert_eq!(fault.code, "ValidationError");
        assert!(!fault.message.contains("hunter2"));
        assert_eq!(parse_request(b"{", "r").unwrap_err().http_status, 400);
    }
}
