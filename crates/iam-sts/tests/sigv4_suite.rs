//! Data-backed test: every Signature Version 4 vector of the two AWS test-suite copies in
//! `$IAMCTL_DATA/sigv4-test-suite`.
//!
//! For each vector, our signer must reproduce the expected canonical request, string to sign
//! and signature (`Authorization` header), our verifier must build the same canonical request
//! from the expected signed request and accept it at the vector's time. Out-of-scope vectors
//! are listed in `SKIPPED` with the reason; the test fails if the suite layout changes so that
//! a listed vector no longer exists or an unlisted one cannot be read.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "fixture helpers outside #[test] functions fail loudly on unexpected data"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use iam_sts::sigv4::{
    canonicalize, presign, sign, verify_with, Payload, SecretKey, SigV4Error, SignedRequest,
    SigningParams, VerifierConfig,
};
use serde::Deserialize;

/// Vectors not run, with the reason.
const SKIPPED: &[(&str, &str)] = &[
    (
        "v4/get-relative-unnormalized",
        "normalize=false is S3's canonical URI (no dot-segment removal); STS normalises",
    ),
    (
        "v4/get-relative-relative-unnormalized",
        "normalize=false is S3's canonical URI (no dot-segment removal); STS normalises",
    ),
    (
        "v4/get-slash-dot-slash-unnormalized",
        "normalize=false is S3's canonical URI (no dot-segment removal); STS normalises",
    ),
    (
        "v4/get-slash-pointless-dot-unnormalized",
        "normalize=false is S3's canonical URI (no dot-segment removal); STS normalises",
    ),
    (
        "v4/get-slash-unnormalized",
        "normalize=false is S3's canonical URI (no slash collapsing); STS normalises",
    ),
    (
        "v4/get-slashes-unnormalized",
        "normalize=false is S3's canonical URI (no slash collapsing); STS normalises",
    ),
    (
        "v4/get-space-unnormalized",
        "normalize=false is S3's canonical URI (single encoding); STS normalises",
    ),
    (
        "v4a/*",
        "SigV4a (AWS4-ECDSA-P256-SHA256) is rejected by this project (wire-protocol.md §6.1)",
    ),
];

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const CLASSIC_TOKEN: &str = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
const POST_STS_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("IAMCTL_DATA") {
        Some(dir) => Some(PathBuf::from(dir).join("sigv4-test-suite")),
        None => {
            eprintln!("skipped: IAMCTL_DATA not set");
            None
        }
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn suite_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2015-08-30T12:36:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Parses a raw HTTP/1.1 request of the suite: request line, headers (continuation lines
/// start with whitespace and are kept, folded, in the value), blank line, body.
fn parse_http(text: &str) -> SignedRequest {
    let mut lines = text.split('\n');
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let target = rest.strip_suffix(" HTTP/1.1").unwrap();
    let mut req = SignedRequest::new(method, target);
    let mut body: Option<Vec<&str>> = None;
    for line in lines {
        if let Some(body) = body.as_mut() {
            body.push(line);
        } else if line.is_empty() {
            body = Some(Vec::new());
        } else if line.starts_with([' ', '\t']) {
            let last = req.headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            req.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    req.payload = Payload::Body(body.unwrap_or_default().join("\n").into_bytes());
    req
}

fn config(service: &str) -> VerifierConfig {
    VerifierConfig {
        service: service.to_owned().into(),
        ..VerifierConfig::sts()
    }
}

fn lookup_for(
    access_key_id: &'static str,
    secret: &'static str,
) -> impl Fn(&str, Option<&str>) -> Result<SecretKey, SigV4Error> {
    move |key: &str, _token: Option<&str>| {
        if key == access_key_id {
            Ok(SecretKey::new(secret))
        } else {
            Err(SigV4Error::InvalidClientTokenId)
        }
    }
}

/// Finds the classic-layout case folders (those holding `<name>.req`).
fn classic_cases(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if entry.join(format!("{name}.req")).exists() {
            found.push(entry);
        } else {
            classic_cases(&entry, found);
        }
    }
}

#[test]
fn classic_suite_vectors_sign_and_verify() {
    let Some(root) = data_dir() else { return };
    let mut cases = Vec::new();
    classic_cases(&root.join("aws-sig-v4-test-suite"), &mut cases);
    assert_eq!(cases.len(), 34, "the README lists 34 classic cases");
    let secret = SecretKey::new(SECRET);
    let lookup = lookup_for(ACCESS_KEY_ID, SECRET);
    let config = config("service");
    let mut run = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let file = |ext: &str| read(&case.join(format!("{name}.{ext}")));
        let mut params =
            SigningParams::new(ACCESS_KEY_ID, &secret, "us-east-1", "service", suite_time());
        match name.as_str() {
            "get-vanilla-with-session-token" => params.security_token = Some(CLASSIC_TOKEN),
            "post-sts-header-after" => {
                params.security_token = Some(POST_STS_TOKEN);
                params.sign_security_token = false;
            }
            _ => {}
        }
        let mut ours = parse_http(&file("req"));
        let output = sign(&mut ours, &params).unwrap();
        assert_eq!(
            output.canonical_request,
            file("creq"),
            "{name}: canonical request"
        );
        assert_eq!(output.string_to_sign, file("sts"), "{name}: string to sign");
        assert_eq!(
            output.authorization.as_deref(),
            Some(file("authz").as_str()),
            "{name}"
        );

        // The verifier, fed our signed request and the suite's own signed request (whose
        // copy for get-vanilla-with-session-token carries another case's signature, a known
        // erratum), rebuilds the same canonical request and accepts it.
        let mut requests = vec![("ours", ours)];
        if name != "get-vanilla-with-session-token" {
            requests.push(("sreq", parse_http(&file("sreq"))));
        }
        for (label, req) in requests {
            let form = canonicalize(&req).unwrap();
            assert_eq!(form.canonical_request, file("creq"), "{name} {label}");
            assert_eq!(form.string_to_sign, file("sts"), "{name} {label}");
            let caller = verify_with(&config, &req, suite_time(), &lookup)
                .unwrap_or_else(|e| panic!("{name} {label}: {e}"));
            assert_eq!(caller.access_key_id, ACCESS_KEY_ID);
            if name.starts_with("post-sts-header") || name == "get-vanilla-with-session-token" {
                assert!(caller.security_token.is_some(), "{name} {label}");
            }
        }
        run.push(name);
    }
    eprintln!("classic vectors run ({}): {}", run.len(), run.join(", "));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Context {
    credentials: Credentials,
    expiration_in_seconds: u32,
    normalize: bool,
    region: String,
    service: String,
    sign_body: bool,
    timestamp: String,
    #[serde(default)]
    omit_session_token: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
}

#[test]
fn signing_suite_v4_vectors_sign_and_verify_in_both_forms() {
    let Some(root) = data_dir() else { return };
    let dir = root.join("aws-signing-test-suite").join("v4");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 38, "the README lists 38 v4 cases");
    let skipped: BTreeSet<&str> = SKIPPED.iter().map(|(name, _)| *name).collect();
    let mut run = Vec::new();
    let mut skipped_seen = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let file = |file: &str| read(&case.join(file));
        let context: Context = serde_json::from_str(&file("context.json")).unwrap();
        let label = format!("v4/{name}");
        if skipped.contains(label.as_str()) {
            assert!(!context.normalize, "{name} is skipped as unnormalised");
            skipped_seen.push(label);
            continue;
        }
        assert!(
            context.normalize,
            "{name}: unnormalised vector not listed in SKIPPED"
        );
        let time = DateTime::parse_from_rfc3339(&context.timestamp)
            .unwrap()
            .with_timezone(&Utc);
        let creds = &context.credentials;
        let secret = SecretKey::new(&creds.secret_access_key);
        let mut params = SigningParams::new(
            &creds.access_key_id,
            &secret,
            &context.region,
            &context.service,
            time,
        );
        params.security_token = creds.token.as_deref();
        params.sign_security_token = !context.omit_session_token;
        params.add_content_sha256 = context.sign_body;
        let config = config(&context.service);
        let expected_key = creds.access_key_id.clone();
        let expected_secret = creds.secret_access_key.clone();
        let lookup = move |key: &str, _: Option<&str>| {
            if key == expected_key {
                Ok(SecretKey::new(&expected_secret))
            } else {
                Err(SigV4Error::InvalidClientTokenId)
            }
        };
        let request = parse_http(&file("request.txt"));

        // Header form.
        let mut ours = request.clone();
        let output = sign(&mut ours, &params).unwrap();
        assert_eq!(
            output.canonical_request,
            file("header-canonical-request.txt"),
            "{name}"
        );
        assert_eq!(
            output.string_to_sign,
            file("header-string-to-sign.txt"),
            "{name}"
        );
        assert_eq!(output.signature, file("header-signature.txt"), "{name}");
        let theirs = parse_http(&file("header-signed-request.txt"));
        let form = canonicalize(&theirs).unwrap();
        assert_eq!(
            form.canonical_request,
            file("header-canonical-request.txt"),
            "{name}"
        );
        for (label, req) in [("ours", &ours), ("theirs", &theirs)] {
            let caller = verify_with(&config, req, time, &lookup)
                .unwrap_or_else(|e| panic!("{name} header {label}: {e}"));
            assert_eq!(caller.security_token, creds.token, "{name} header {label}");
            assert!(!caller.presigned);
        }

        // Presigned (query) form.
        let mut ours = request.clone();
        let output = presign(&mut ours, &params, context.expiration_in_seconds).unwrap();
        assert_eq!(
            output.canonical_request,
            file("query-canonical-request.txt"),
            "{name}"
        );
        assert_eq!(
            output.string_to_sign,
            file("query-string-to-sign.txt"),
            "{name}"
        );
        assert_eq!(output.signature, file("query-signature.txt"), "{name}");
        let theirs = parse_http(&file("query-signed-request.txt"));
        if !context.omit_session_token {
            let form = canonicalize(&theirs).unwrap();
            assert_eq!(
                form.canonical_request,
                file("query-canonical-request.txt"),
                "{name}"
            );
        }
        for (label, req) in [("ours", &ours), ("theirs", &theirs)] {
            let caller = verify_with(&config, req, time, &lookup)
                .unwrap_or_else(|e| panic!("{name} query {label}: {e}"));
            assert_eq!(caller.security_token, creds.token, "{name} query {label}");
            assert!(caller.presigned);
        }
        run.push(label);
    }
    assert_eq!(
        skipped_seen.len(),
        SKIPPED.len() - 1,
        "every listed v4 vector exists"
    );
    let v4a = root.join("aws-signing-test-suite").join("v4a");
    let v4a_count = fs::read_dir(&v4a).map(|d| d.count()).unwrap_or(0);
    eprintln!("v4 vectors run ({}): {}", run.len(), run.join(", "));
    for (name, reason) in SKIPPED {
        eprintln!("skipped {name}: {reason}");
    }
    eprintln!("skipped {v4a_count} v4a vectors");
}
