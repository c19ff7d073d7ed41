//! The real backend over the fixture directory: signed requests in, model-shaped results and
//! authorize decisions out.
//!
//! Stage: integration tests of `TokenBackend`. Input: `corpus/sts/directory/good` (user
//! `alice` with an active long-term key, an SCP that denies everything but IAM/STS outside
//! `eu-west-1`), requests signed with `iam_sts::sigv4::sign` at a fixed time. Output:
//! assertions on callers, result elements and decisions. No socket is opened.

#![cfg(test)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use iam_server::{
    AuthorizeRequest, Caller, Decision, Element, RawRequest, SignedDescription, StsBackend,
    StsCall, TokenBackend, Value,
};
use iam_sts::clock::{FixedClock, SeededRandom};
use iam_sts::directory::SharedDirectory;
use iam_sts::keyring::KeyRing;
use iam_sts::service::{ServiceConfig, TokenService};
use iam_sts::sigv4::{sign, SecretKey, SignedRequest, SigningParams};
use sha2::{Digest, Sha256};

const ALICE_KEY: &str = "AKIAEXAMPLEALICE2345";
const ALICE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ALICE_ARN: &str = "arn:aws:iam::111122223333:user/alice";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .single()
        .unwrap()
}

fn backend() -> TokenBackend {
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus/sts/directory/good/directory.toml");
    let directory = SharedDirectory::load(config).unwrap();
    let ring = KeyRing::generate(now(), &SeededRandom::new(7)).unwrap();
    let service = TokenService::new(
        directory,
        ring,
        Arc::new(FixedClock::new(now())),
        Arc::new(SeededRandom::new(8)),
        ServiceConfig::default(),
    );
    TokenBackend::new(service, false)
}

struct Keys<'a> {
    id: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
}

const ALICE: Keys<'static> = Keys {
    id: ALICE_KEY,
    secret: ALICE_SECRET,
    token: None,
};

fn signed_sts(body: &str, keys: &Keys<'_>) -> RawRequest {
    let mut req = SignedRequest::new("POST", "/")
        .with_header("Host", "127.0.0.1:9701")
        .with_header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .with_body(body.as_bytes().to_vec());
    let secret = SecretKey::new(keys.secret);
    let mut params = SigningParams::new(keys.id, &secret, "eu-west-1", "sts", now());
    params.security_token = keys.token;
    sign(&mut req, &params).unwrap();
    RawRequest {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req
            .headers
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .collect(),
        body: body.as_bytes().to_vec(),
        source_ip: None,
    }
}

fn call(action: &str, params: &[(&str, &str)], caller: Caller) -> StsCall {
    StsCall {
        action: action.to_owned(),
        version: "2011-06-15".to_owned(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        caller: Some(caller),
        request_id: "req-1".to_owned(),
        source_ip: None,
    }
}

fn text<'a>(elements: &'a [Element], path: &[&str]) -> Option<&'a str> {
    let (first, rest) = path.split_first()?;
    let element = elements.iter().find(|e| e.name == *first)?;
    match (&element.value, rest.is_empty()) {
        (Value::Text(text), true) => Some(text),
        (Value::Children(children), false) => text(children, rest),
        _ => None,
    }
}

#[test]
fn long_term_keys_authenticate_and_get_caller_identity_names_the_user() {
    let backend = backend();
    let caller = backend
        .authenticate(&signed_sts(
            "Action=GetCallerIdentity&Version=2011-06-15",
            &ALICE,
        ))
        .unwrap();
    assert_eq!(caller.arn, ALICE_ARN);
    let out = backend
        .call(&call("GetCallerIdentity", &[], caller))
        .unwrap();
    let names: Vec<&str> = out.result.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Arn", "UserId", "Account"]);
    assert_eq!(text(&out.result, &["Arn"]), Some(ALICE_ARN));
    assert_eq!(text(&out.result, &["Account"]), Some("111122223333"));
    assert!(out.issued.is_none());
}

#[test]
fn a_wrong_secret_is_signature_does_not_match_and_an_unknown_key_invalid_client_token_id() {
    let backend = backend();
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let wrong = Keys {
        secret: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        ..ALICE
    };
    let fault = backend.authenticate(&signed_sts(body, &wrong)).unwrap_err();
    assert_eq!(
        (fault.code.as_str(), fault.http_status),
        ("SignatureDoesNotMatch", 403)
    );
    let unknown = Keys {
        id: "AKIAIOSFODNN7EXAMPLE",
        ..ALICE
    };
    let fault = backend
        .authenticate(&signed_sts(body, &unknown))
        .unwrap_err();
    assert_eq!(
        (fault.code.as_str(), fault.http_status),
        ("InvalidClientTokenId", 403)
    );
}

#[test]
fn session_token_credentials_come_back_in_model_order_and_sign_the_next_call() {
    let backend = backend();
    let caller = backend
        .authenticate(&signed_sts(
            "Action=GetSessionToken&Version=2011-06-15",
            &ALICE,
        ))
        .unwrap();
    let out = backend
        .call(&call(
            "GetSessionToken",
            &[("DurationSeconds", "900")],
            caller,
        ))
        .unwrap();
    let credentials = out.result.iter().find(|e| e.name == "Credentials").unwrap();
    let Value::Children(children) = &credentials.value else {
        panic!("Credentials has no children");
    };
    let names: Vec<&str> = children.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration"
        ]
    );
    let expiration = children.iter().find(|e| e.name == "Expiration").unwrap();
    assert_eq!(
        expiration.value,
        Value::Timestamp(now().timestamp_millis() + 900_000)
    );
    let issued = out.issued.clone().unwrap();
    assert_eq!(issued.principal_arn, ALICE_ARN);
    let id = text(&out.result, &["Credentials", "AccessKeyId"]).unwrap();
    assert_eq!(issued.access_key_id, id);
    let session = Keys {
        id,
        secret: text(&out.result, &["Credentials", "SecretAccessKey"]).unwrap(),
        token: text(&out.result, &["Credentials", "SessionToken"]),
    };
    let caller = backend
        .authenticate(&signed_sts(
            "Action=GetCallerIdentity&Version=2011-06-15",
            &session,
        ))
        .unwrap();
    assert_eq!(caller.arn, ALICE_ARN);
    assert_eq!(caller.access_key_id, id);
}

#[test]
fn a_non_integer_duration_is_a_validation_error_before_the_service_runs() {
    let backend = backend();
    let caller = backend
        .authenticate(&signed_sts(
            "Action=GetSessionToken&Version=2011-06-15",
            &ALICE,
        ))
        .unwrap();
    let fault = backend
        .call(&call(
            "GetSessionToken",
            &[("DurationSeconds", "an hour")],
            caller,
        ))
        .unwrap_err();
    assert_eq!(fault.code, "ValidationError");
    assert!(
        fault.message.contains("durationSeconds"),
        "{}",
        fault.message
    );
}

fn authorize(backend: &TokenBackend, action: &str, region: &str) -> Decision {
    let mut req = SignedRequest::new("GET", "/alice-bucket/report.csv")
        .with_header("Host", "s3.amazonaws.com");
    let secret = SecretKey::new(ALICE_SECRET);
    let params = SigningParams::new(ALICE_KEY, &secret, region, "s3", now());
    sign(&mut req, &params).unwrap();
    let request = AuthorizeRequest {
        signed: SignedDescription {
            method: req.method,
            path: req.path,
            query: req.query,
            headers: req.headers,
            payload_sha256: hex(&Sha256::digest(b"")),
        },
        action: action.to_owned(),
        resource: "arn:aws:s3:::alice-bucket/report.csv".to_owned(),
        context: BTreeMap::new(),
        request_id: "req-2".to_owned(),
    };
    let answer = backend.authorize(&request).unwrap();
    assert_eq!(answer.principal, ALICE_ARN);
    assert!(!answer.explanation.is_empty());
    answer.decision
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn authorize_verifies_the_data_plane_signature_and_uses_its_region() {
    let backend = backend();
    assert_eq!(
        authorize(&backend, "s3:GetObject", "eu-west-1"),
        Decision::Allow
    );
    // The organization's region lock denies everything but IAM and STS elsewhere.
    assert_eq!(
        authorize(&backend, "s3:GetObject", "us-east-1"),
        Decision::ExplicitDeny
    );
    assert_eq!(
        authorize(&backend, "s3:PutObject", "eu-west-1"),
        Decision::ImplicitDeny
    );
}
