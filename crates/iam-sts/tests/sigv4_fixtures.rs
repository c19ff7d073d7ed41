//! Data-backed test: requests captured from real AWS clients (botocore, aws-cli, JavaScript
//! v3, Rust SDK) in `$IAMCTL_DATA/sts-fixtures/captured/*.json` verify with their recorded
//! keys at their recorded time, and the verifier builds the recorded canonical request and
//! string to sign. Unsigned requests are `MissingAuthenticationToken`.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "fixture helpers outside #[test] functions fail loudly on unexpected data"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, Utc};
use iam_sts::sigv4::{canonicalize, verify, SecretKey, SigV4Error, SignedRequest};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Capture {
    generator: String,
    #[expect(dead_code, reason = "documentation field of the fixture")]
    captured_with: String,
    credentials: Credentials,
    requests: Vec<Request>,
    #[serde(default)]
    presigned_urls: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    long_term: Keys,
    temporary: Keys,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Keys {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    n: u32,
    operation: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
    signed: bool,
    expected_canonical_request: Option<String>,
    expected_string_to_sign: Option<String>,
}

fn captures() -> Option<Vec<(String, Capture)>> {
    let Some(dir) = std::env::var_os("IAMCTL_DATA") else {
        eprintln!("skipped: IAMCTL_DATA not set");
        return None;
    };
    let dir = PathBuf::from(dir).join("sts-fixtures").join("captured");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no captures in {}", dir.display());
    Some(
        paths
            .iter()
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let capture = serde_json::from_str(&fs::read_to_string(path).unwrap())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                (name, capture)
            })
            .collect(),
    )
}

/// The recorded keys: the long-term key with any token, the temporary key only with its
/// own session token.
fn lookup(
    credentials: &Credentials,
) -> impl Fn(&str, Option<&str>) -> Result<SecretKey, SigV4Error> + '_ {
    move |access_key_id, token| {
        let long = &credentials.long_term;
        let temp = &credentials.temporary;
        if access_key_id == long.access_key_id {
            Ok(SecretKey::new(&long.secret_access_key))
        } else if access_key_id == temp.access_key_id && token == temp.session_token.as_deref() {
            Ok(SecretKey::new(&temp.secret_access_key))
        } else {
            Err(SigV4Error::InvalidClientTokenId)
        }
    }
}

/// The time the client signed, from `X-Amz-Date` (header or presigned query).
fn recorded_time(req: &SignedRequest) -> DateTime<Utc> {
    let header = req
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-date"))
        .map(|(_, value)| value.clone());
    let query = req
        .query
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Date="))
        .map(str::to_owned);
    let text = header.or(query).expect("signed request without X-Amz-Date");
    NaiveDateTime::parse_from_str(&text, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc()
}

fn to_request(recorded: &Request) -> SignedRequest {
    let mut req =
        SignedRequest::new(&recorded.method, &recorded.target).with_body(recorded.body.as_bytes());
    req.headers.clone_from(&recorded.headers);
    req
}

#[test]
fn captured_client_requests_verify_with_their_recorded_keys() {
    let Some(captures) = captures() else { return };
    let mut verified = 0;
    let mut unsigned = 0;
    for (file, capture) in &captures {
        let lookup = lookup(&capture.credentials);
        for recorded in &capture.requests {
            let label = format!(
                "{file} #{} {} ({})",
                recorded.n, recorded.operation, capture.generator
            );
            let req = to_request(recorded);
            if !recorded.signed {
                let now = DateTime::parse_from_rfc3339("2026-11-29T08:26:00Z")
                    .unwrap()
                    .with_timezone(&Utc);
                assert_eq!(
                    verify(&req, now, &lookup).unwrap_err(),
                    SigV4Error::MissingAuthenticationToken,
                    "{label}"
                );
                unsigned += 1;
                continue;
            }
            let form = canonicalize(&req).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(
                Some(&form.canonical_request),
                recorded.expected_canonical_request.as_ref(),
                "{label}"
            );
            assert_eq!(
                Some(&form.string_to_sign),
                recorded.expected_string_to_sign.as_ref(),
                "{label}"
            );
            let caller = verify(&req, recorded_time(&req), &lookup)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            let temporary = caller.access_key_id == capture.credentials.temporary.access_key_id;
            assert_eq!(caller.security_token.is_some(), temporary, "{label}");
            assert_eq!(
                caller.region,
                if temporary { "eu-west-1" } else { "us-east-1" },
                "{label}"
            );
            verified += 1;
        }
    }
    eprintln!("verified {verified} captured signed requests; {unsigned} unsigned rejected");
    assert!(verified >= 19, "expected the 19 captured signed requests");
}

#[test]
fn botocore_presigned_urls_verify_with_the_method_they_were_signed_for() {
    let Some(captures) = captures() else { return };
    let mut checked = 0;
    for (file, capture) in &captures {
        let lookup = lookup(&capture.credentials);
        for (name, url) in &capture.presigned_urls {
            if name == "note" {
                continue;
            }
            let target = url.strip_prefix("http://127.0.0.1:18443").unwrap();
            let get = SignedRequest::new("GET", target).with_header("Host", "127.0.0.1:18443");
            let mut post = get.clone();
            post.method = "POST".into();
            let now = recorded_time(&get);
            let (good, bad) = if name.contains("signed_as_POST") {
                (post, get)
            } else {
                (get, post)
            };
            let caller =
                verify(&good, now, &lookup).unwrap_or_else(|e| panic!("{file} {name}: {e}"));
            assert!(caller.presigned);
            assert_eq!(
                verify(&bad, now, &lookup).unwrap_err().code(),
                "SignatureDoesNotMatch",
                "{file} {name}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2, "botocore records two presigned URLs");
}
