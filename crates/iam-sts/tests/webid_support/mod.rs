//! Shared fixture of the `op_web_identity*` tests: ID tokens signed in the test with the
//! test-only keys of `corpus/sts/webidentity/`, a token service with a fixed clock and seeded
//! random over a directory config, and request helpers.
#![cfg(test)]
#![allow(
    dead_code,
    reason = "each test crate that includes this module uses a different subset"
)]

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use iam_sts::clock::{FixedClock, SeededRandom};
use iam_sts::directory::SharedDirectory;
use iam_sts::error::StsError;
use iam_sts::keyring::KeyRing;
use iam_sts::service::{AssumeRoleWithWebIdentityParams, ServiceConfig, TokenService};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::Value;

/// The account of the fixtures.
pub const ACCT: &str = "111122223333";

/// The path of `corpus/sts/webidentity/<name>`.
pub fn corpus_path(name: &str) -> String {
    format!(
        "{}/../../corpus/sts/webidentity/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The text of `corpus/sts/webidentity/<name>`.
pub fn corpus(name: &str) -> String {
    let path = corpus_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fixed time of the service clock.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
        .single()
        .unwrap()
}

/// A token service over the directory config at `config`, clock at [`start`].
pub fn service_at(config: &Path) -> TokenService {
    let shared = SharedDirectory::load(config).unwrap();
    let clock = Arc::new(FixedClock::new(start()));
    let random = Arc::new(SeededRandom::new(7));
    let ring = KeyRing::generate(start() - chrono::Duration::days(1), random.as_ref()).unwrap();
    TokenService::new(shared, ring, clock, random, ServiceConfig::default())
}

/// `base` with claim `key` set to `value`.
pub fn with(mut base: Value, key: &str, value: Value) -> Value {
    if let Some(o) = base.as_object_mut() {
        o.insert(key.to_owned(), value);
    }
    base
}

/// `claims` signed RS256 by the corpus RSA key `pem` under header `kid`.
pub fn sign_with(pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(corpus(pem).as_bytes()).unwrap();
    encode(&header, claims, &key).unwrap()
}

/// `claims` signed ES256 by the corpus P-256 key `ec-a`.
pub fn sign_es256(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec-a".to_owned());
    let key = EncodingKey::from_ec_pem(corpus("ec-a.pem").as_bytes()).unwrap();
    encode(&header, claims, &key).unwrap()
}

/// A request for `role` with session name `ci-run` and `token`.
pub fn params(role: &str, token: &str) -> AssumeRoleWithWebIdentityParams {
    AssumeRoleWithWebIdentityParams {
        role_arn: Some(role.to_owned()),
        role_session_name: Some("ci-run".to_owned()),
        web_identity_token: Some(token.to_owned()),
        ..Default::default()
    }
}

/// The error of a request that must fail.
pub fn err(svc: &TokenService, p: &AssumeRoleWithWebIdentityParams) -> StsError {
    match svc.assume_role_with_web_identity(p) {
        Ok(_) => panic!("request was accepted"),
        Err(e) => e,
    }
}

/// The error code answering `token` for `role` (the request must fail).
pub fn refusal(svc: &TokenService, role: &str, token: &str) -> &'static str {
    err(svc, &params(role, token)).code()
}
