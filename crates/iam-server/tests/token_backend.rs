//! The real backend over the fixture directory: signed requests in, model-shaped results and
//! authorize decisions out.
//!
//! Stage: integration tests of `TokenBackend`. Input: `corpus/sts/directory/good` (user
//! `alice` with an active long-term key, an SCP that denies everything but IAM/STS outside
//! `eu-west-1`), requests signed with `iam_sts::sigv4::sign` at a fixed time. Output:
//! assertions on callers, result elements and decisions. No socket is opened.

#![cfg(test)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use iam_server::{
    AuthorizeRequest, AuthorizeResponse, Caller, Decision, Element, RawRequest, SignedDescription,
    StsBackend, StsCall, StsFault, StsOutput, TokenBackend, Value,
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
    backend_over(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../corpus/sts/directory/good/directory.toml"),
    )
}

fn backend_over(config: &Path) -> TokenBackend {
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

/// Authenticates `action` signed with `keys` and calls it with `params`.
fn signed_call(
    backend: &TokenBackend,
    keys: &Keys<'_>,
    action: &str,
    params: &[(&str, &str)],
) -> Result<StsOutput, StsFault> {
    let caller = backend
        .authenticate(signed_sts(
            &format!("Action={action}&Version=2011-06-15"),
            keys,
        ))
        .unwrap();
    backend.call(&call(action, params, caller))
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
    let out = signed_call(&backend(), &ALICE, "GetCallerIdentity", &[]).unwrap();
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
    let fault = backend.authenticate(signed_sts(body, &wrong)).unwrap_err();
    assert_eq!(
        (fault.code.as_str(), fault.http_status),
        ("SignatureDoesNotMatch", 403)
    );
    let unknown = Keys {
        id: "AKIAIOSFODNN7EXAMPLE",
        ..ALICE
    };
    let fault = backend
        .authenticate(signed_sts(body, &unknown))
        .unwrap_err();
    assert_eq!(
        (fault.code.as_str(), fault.http_status),
        ("InvalidClientTokenId", 403)
    );
}

#[test]
fn session_token_credentials_come_back_in_model_order_and_sign_the_next_call() {
    let backend = backend();
    let out = signed_call(
        &backend,
        &ALICE,
        "GetSessionToken",
        &[("DurationSeconds", "900")],
    )
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
        .authenticate(signed_sts(
            "Action=GetCallerIdentity&Version=2011-06-15",
            &session,
        ))
        .unwrap();
    assert_eq!(caller.arn, ALICE_ARN);
    assert_eq!(caller.access_key_id, id);
}

#[test]
fn a_non_integer_duration_is_a_validation_error_before_the_service_runs() {
    let fault = signed_call(
        &backend(),
        &ALICE,
        "GetSessionToken",
        &[("DurationSeconds", "an hour")],
    )
    .unwrap_err();
    assert_eq!(fault.code, "ValidationError");
    assert!(
        fault.message.contains("durationSeconds"),
        "{}",
        fault.message
    );
}

fn authorize(backend: &TokenBackend, action: &str, region: &str) -> Decision {
    let answer = authorize_as(backend, &ALICE, action, region);
    assert_eq!(answer.principal, ALICE_ARN);
    answer.decision
}

fn authorize_as(
    backend: &TokenBackend,
    keys: &Keys<'_>,
    action: &str,
    region: &str,
) -> AuthorizeResponse {
    let mut req = SignedRequest::new("GET", "/alice-bucket/report.csv")
        .with_header("Host", "s3.amazonaws.com");
    let secret = SecretKey::new(keys.secret);
    let mut params = SigningParams::new(keys.id, &secret, region, "s3", now());
    params.security_token = keys.token;
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
    assert!(!answer.explanation.is_empty());
    answer
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

const DANA: Keys<'static> = Keys {
    id: "AKIAEXAMPLEDANA23456",
    secret: "DanaSecretKey0123456789abcdefghijklmnopq",
    token: None,
};

/// A one-user directory: `dana` may read objects and decode authorization messages.
fn decoding_backend() -> TokenBackend {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("token-backend-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "sts:DecodeAuthorizationMessage", "Resource": "*"}
        ]
    });
    let account = serde_json::json!({
        "UserDetailList": [{
            "Path": "/", "UserName": "dana", "UserId": "AIDAEXAMPLEDANA000001",
            "Arn": "arn:aws:iam::111122223333:user/dana",
            "CreateDate": "2026-01-01 00:00:00+00:00", "GroupList": [],
            "UserPolicyList": [{"PolicyName": "dana", "PolicyDocument": policy}],
            "AttachedManagedPolicies": [], "Tags": []
        }],
        "GroupDetailList": [], "RoleDetailList": [], "Policies": []
    });
    std::fs::write(dir.join("account.json"), account.to_string()).unwrap();
    let config = format!(
        "[[account]]\nid = \"111122223333\"\nfile = \"account.json\"\n\n\
         [[account.access_key]]\nuser = \"dana\"\nid = \"{}\"\nsecret = \"{}\"\n",
        DANA.id, DANA.secret
    );
    std::fs::write(dir.join("directory.toml"), config).unwrap();
    backend_over(&dir.join("directory.toml"))
}

#[test]
fn an_authorize_denial_carries_a_message_that_decode_authorization_message_opens() {
    let backend = decoding_backend();
    let allowed = authorize_as(&backend, &DANA, "s3:GetObject", "eu-west-1");
    assert_eq!(allowed.decision, Decision::Allow);
    assert_eq!(allowed.encoded_message, None);

    let denied = authorize_as(&backend, &DANA, "s3:PutObject", "eu-west-1");
    assert_eq!(denied.decision, Decision::ImplicitDeny);
    let encoded = denied.encoded_message.unwrap();
    let out = signed_call(
        &backend,
        &DANA,
        "DecodeAuthorizationMessage",
        &[("EncodedMessage", &encoded)],
    )
    .unwrap();
    let decoded: serde_json::Value =
        serde_json::from_str(text(&out.result, &["DecodedMessage"]).unwrap()).unwrap();
    assert_eq!(decoded["allowed"], false);
    assert_eq!(decoded["explicitDeny"], false);
    assert_eq!(
        decoded["context"]["principal"]["arn"],
        "arn:aws:iam::111122223333:user/dana"
    );
    assert_eq!(
        decoded["context"]["resource"],
        "arn:aws:s3:::alice-bucket/report.csv"
    );
}
