//! Operational endpoints and guarantees: `/healthz`, `/metrics`, the audit log,
//! `/v1/authorize`, backend reloads. (Log hygiene is in `log_hygiene.rs`, its own binary.)

#![cfg(test)]

mod common;

use std::io::{self, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{
    answering, issuing_backend, scratch_file, send, send_signed, send_unsigned, state_for,
    MockBackend, CALLER_ARN, GOOD_KEY, SECRET, TOKEN, WEB_TOKEN,
};
use iam_server::{AppConfig, AppState, AuditLog, Reloader, StsBackend};

#[tokio::test]
async fn healthz_answers_ok() {
    let state = state_for(MockBackend::empty());
    let reply = send(
        &state,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "ok");
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome_and_issued_credentials() {
    let state = state_for(issuing_backend());
    send_signed(&state, "Action=AssumeRole&Version=2011-06-15&RoleArn=r").await;
    send_signed(&state, "Action=AssumeRole&Version=2011-06-15&RoleArn=r").await;
    send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=denied",
    )
    .await;
    send_unsigned(&state, "Action=Bogus&Version=2011-06-15").await;
    let reply = send(
        &state,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply
        .content_type()
        .starts_with("text/plain; version=0.0.4"));
    let text = reply.body;
    for line in [
        "iam_server_requests_total{operation=\"AssumeRole\",outcome=\"success\"} 2",
        "iam_server_requests_total{operation=\"AssumeRole\",outcome=\"sender_error\"} 1",
        "iam_server_requests_total{operation=\"other\",outcome=\"sender_error\"} 1",
        "iam_server_requests_total{operation=\"GetCallerIdentity\",outcome=\"success\"} 0",
        "iam_server_credentials_issued_total{operation=\"AssumeRole\"} 2",
        "iam_server_request_duration_seconds_bucket{le=\"+Inf\"} 4",
        "iam_server_request_duration_seconds_count 4",
        "# TYPE iam_server_request_duration_seconds histogram",
        "# TYPE iam_server_requests_total counter",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    // Every sample line is `name{labels} number` or `name number`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("bad sample `{line}`"));
    }
    // Buckets are cumulative and never exceed the count.
    let buckets: Vec<u64> = text
        .lines()
        .filter(|l| l.starts_with("iam_server_request_duration_seconds_bucket"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse().unwrap())
        .collect();
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(*buckets.last().unwrap(), 4);
}

/// An app over [`issuing_backend`] writing its audit records to `log`.
fn audited(log: AuditLog) -> AppState {
    let config = AppConfig {
        audit: Some(log),
        ..AppConfig::default()
    };
    AppState::new(issuing_backend(), config)
}

fn read_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn audit_line_for_issued_credentials_is_on_disk_when_the_response_returns() {
    let path = scratch_file("audit-issued");
    let state = audited(AuditLog::open(&path).unwrap());
    let reply = send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=r&RoleSessionName=s",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    // Read immediately: the record must already be flushed.
    let lines = read_lines(&path);
    assert_eq!(lines.len(), 1);
    let record = &lines[0];
    assert_eq!(record["request_id"], reply.request_id());
    assert_eq!(record["action"], "AssumeRole");
    assert_eq!(record["outcome"], "issued");
    assert_eq!(record["http_status"], 200);
    assert_eq!(record["caller_arn"], CALLER_ARN);
    assert_eq!(record["caller_access_key_id"], GOOD_KEY);
    assert_eq!(record["issued_access_key_id"], "ASIAISSUEDKEY");
    assert_eq!(record["issued_expiration"], "2026-11-30T00:53:20Z");
    assert_eq!(
        record["issued_principal_arn"],
        "arn:aws:sts::123456789012:assumed-role/demo/s"
    );
    assert!(record["time"].as_str().unwrap().ends_with('Z'));
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(!raw.contains(SECRET) && !raw.contains(TOKEN));
}

#[tokio::test]
async fn audit_lines_for_refusals_carry_the_error_code() {
    let path = scratch_file("audit-refused");
    let state = audited(AuditLog::open(&path).unwrap());
    send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=denied",
    )
    .await;
    send_unsigned(&state, "Action=GetSessionToken&Version=2011-06-15").await;
    send_unsigned(&state, "Action=Whatever&Version=2011-06-15").await;
    send_unsigned(
        &state,
        &format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken={WEB_TOKEN}%zz"
        ),
    )
    .await;
    // A request without credentials issued is not audited.
    let quiet = answering("Account", "123456789012");
    state.replace_backend(quiet);
    send_signed(&state, "Action=GetCallerIdentity&Version=2011-06-15").await;

    let lines = read_lines(&path);
    let codes: Vec<(&str, &str, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["outcome"].as_str().unwrap(),
                l["error_code"].as_str().unwrap(),
                l["http_status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            ("refused", "AccessDenied", 403),
            ("refused", "MissingAuthenticationToken", 403),
            ("refused", "InvalidAction", 400),
            ("refused", "MalformedQueryString", 404),
        ]
    );
    assert_eq!(lines[0]["caller_arn"], CALLER_ARN);
    assert!(lines[1].get("caller_arn").is_none());
    assert_eq!(lines[2]["action"], "Whatever");
    assert!(!std::fs::read_to_string(&path)
        .unwrap()
        .contains("WEBIDENTITYPAYLOAD"));
}

struct BrokenSink;

impl Write for BrokenSink {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk full"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn credentials_are_withheld_when_the_audit_record_cannot_be_written() {
    let state = audited(AuditLog::new(BrokenSink));
    let reply = send_signed(&state, "Action=AssumeRole&Version=2011-06-15&RoleArn=r").await;
    reply.assert_xml_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalFailure",
        "unwritable audit log",
    );
    assert!(!reply.body.contains(SECRET));
    // Refusals still go out unchanged.
    let reply = send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=denied",
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

fn authorize_request(body: &str) -> Request<Body> {
    Request::post("/v1/authorize")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn authorize_returns_the_backend_decision_as_json() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let body = r#"{"request":{"method":"GET","path":"/b/k","query":"x=1",
        "headers":[["host","s3.test"],["authorization","AWS4-HMAC-SHA256 Credential=AKIDGOOD/x"]],
        "payload_sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        "action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":{"aws:SourceIp":"192.0.2.1"}}"#;
    let reply = send(&state, authorize_request(body)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "application/json");
    let answer: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(answer["decision"], "Allow");
    assert_eq!(answer["principal"], CALLER_ARN);
    assert_eq!(answer["explanation"], "mock decided `s3:GetObject`");
    assert_eq!(answer["request_id"], reply.request_id());
    assert!(answer.get("encoded_message").is_none(), "{answer}");
    let seen = backend.authorized.lock().unwrap().clone();
    assert_eq!(seen[0].signed.query, "x=1");
    assert_eq!(seen[0].signed.headers.len(), 2);
    assert_eq!(seen[0].context["aws:SourceIp"], vec!["192.0.2.1"]);

    let denied = body.replace("s3:GetObject", "s3:DeleteObject");
    let answer: serde_json::Value =
        serde_json::from_str(&send(&state, authorize_request(&denied)).await.body).unwrap();
    assert_eq!(answer["decision"], "ImplicitDeny");
    assert_eq!(answer["encoded_message"], "bW9jaw");
}

#[tokio::test]
async fn authorize_refusals_and_bad_bodies_are_json_errors() {
    let state = state_for(MockBackend::empty());
    let bad_signature = r#"{"request":{"method":"GET","path":"/","headers":[["authorization","Credential=AKIDBAD/x"]],
        "payload_sha256":"00"},"action":"s3:GetObject","resource":"arn:aws:s3:::b"}"#;
    let reply = send(&state, authorize_request(bad_signature)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let error: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(error["Error"]["Code"], "SignatureDoesNotMatch");
    assert_eq!(error["RequestId"], reply.request_id());

    let reply = send(&state, authorize_request(r#"{"action":"s3:GetObject"}"#)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(error["Error"]["Code"], "ValidationError");

    let reply = send(
        &state,
        Request::get("/v1/authorize").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_failed_reload_keeps_the_old_backend_and_a_good_one_swaps_it() {
    let old = answering("Account", "111111111111");
    let state = state_for(old);
    let failing: Reloader = Arc::new(|| {
        Err(vec![
            "role `x` has no trust policy".to_owned(),
            "key ring is empty".to_owned(),
        ])
    });
    let problems = state.reload(&failing).unwrap_err();
    assert_eq!(problems.len(), 2);
    let reply = send_signed(&state, "Action=GetCallerIdentity&Version=2011-06-15").await;
    assert!(reply.body.contains("<Account>111111111111</Account>"));

    let succeeding: Reloader = Arc::new(|| {
        let new: Arc<dyn StsBackend> = answering("Account", "222222222222");
        Ok(new)
    });
    state.reload(&succeeding).unwrap();
    let reply = send_signed(&state, "Action=GetCallerIdentity&Version=2011-06-15").await;
    assert!(reply.body.contains("<Account>222222222222</Account>"));

    let metrics = send(
        &state,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await
    .body;
    assert!(metrics.contains("iam_server_backend_reloads_total{result=\"success\"} 1\n"));
    assert!(metrics.contains("iam_server_backend_reloads_total{result=\"failure\"} 1\n"));
}
