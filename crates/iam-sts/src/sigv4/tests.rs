//! Unit tests of the SigV4 verifier: one test per error path and the accepted variants.

use chrono::{TimeDelta, TimeZone};

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 8, 26, 0).unwrap()
}

fn lookup(access_key_id: &str, token: Option<&str>) -> Result<SecretKey, SigV4Error> {
    match (access_key_id, token) {
        ("AKIAIOSFODNN7EXAMPLE", _) | ("ASIAIOSFODNN7EXAMPLE", Some("good-token")) => {
            Ok(SecretKey::new(SECRET))
        }
        ("ASIAIOSFODNN7EXAMPLE", Some("old-token")) => Err(SigV4Error::ExpiredToken),
        _ => Err(SigV4Error::InvalidClientTokenId),
    }
}

fn unsigned() -> SignedRequest {
    SignedRequest::new("POST", "/")
        .with_header("Host", "127.0.0.1:18443")
        .with_header("Content-Type", "application/x-www-form-urlencoded")
        .with_body(BODY)
}

fn signed_with(
    access_key_id: &str,
    token: Option<&str>,
    region: &str,
    service: &str,
) -> SignedRequest {
    let secret = SecretKey::new(SECRET);
    let mut params = SigningParams::new(access_key_id, &secret, region, service, t0());
    params.security_token = token;
    let mut req = unsigned();
    sign(&mut req, &params).unwrap();
    req
}

fn signed() -> SignedRequest {
    signed_with("AKIAIOSFODNN7EXAMPLE", None, "us-east-1", "sts")
}

fn presigned(expires: u32) -> SignedRequest {
    let secret = SecretKey::new(SECRET);
    let params = SigningParams::new("AKIAIOSFODNN7EXAMPLE", &secret, "us-east-1", "sts", t0());
    let mut req = SignedRequest::new("GET", "/?Action=GetCallerIdentity&Version=2011-06-15")
        .with_header("Host", "127.0.0.1:18443");
    presign(&mut req, &params, expires).unwrap();
    req
}

fn authorization_mut(req: &mut SignedRequest) -> &mut String {
    &mut req
        .headers
        .iter_mut()
        .find(|(name, _)| name == "Authorization")
        .unwrap()
        .1
}

fn error_of(req: &SignedRequest, now: DateTime<Utc>) -> SigV4Error {
    verify(req, now, &lookup).unwrap_err()
}

#[test]
fn header_signed_request_verifies_and_names_the_caller() {
    let caller = verify(&signed(), t0(), &lookup).unwrap();
    assert_eq!(
        caller,
        VerifiedCaller {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            security_token: None,
            region: "us-east-1".into(),
            signed_at: t0(),
            presigned: false,
        }
    );
}

#[test]
fn temporary_credentials_pass_their_token_to_the_lookup() {
    let req = signed_with(
        "ASIAIOSFODNN7EXAMPLE",
        Some("good-token"),
        "eu-west-1",
        "sts",
    );
    let caller = verify(&req, t0(), &lookup).unwrap();
    assert_eq!(caller.security_token.as_deref(), Some("good-token"));
    assert_eq!(caller.region, "eu-west-1");
}

#[test]
fn altered_signature_is_signature_does_not_match_with_the_canonical_request() {
    let mut req = signed();
    let auth = authorization_mut(&mut req);
    let last = auth.pop().unwrap();
    auth.push(if last == '0' { '1' } else { '0' });
    let error = error_of(&req, t0());
    assert_eq!(error.code(), "SignatureDoesNotMatch");
    assert_eq!(error.http_status(), 403);
    let message = error.message();
    assert!(message.starts_with(SIGNATURE_DOES_NOT_MATCH_MESSAGE));
    assert!(message
        .contains("\n\nThe Canonical String for this request should have been\n'POST\n/\n\n"));
    assert!(message.contains("\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"));
}

#[test]
fn wrong_secret_is_signature_does_not_match() {
    let req = signed();
    let other = |_: &str, _: Option<&str>| Ok(SecretKey::new("not-the-secret"));
    let error = verify(&req, t0(), &other).unwrap_err();
    assert_eq!(error.code(), "SignatureDoesNotMatch");
}

#[test]
fn unknown_access_key_is_invalid_client_token_id() {
    let req = signed_with("AKIAUNKNOWN", None, "us-east-1", "sts");
    let error = error_of(&req, t0());
    assert_eq!(error, SigV4Error::InvalidClientTokenId);
    assert_eq!(
        error.message(),
        "The security token included in the request is invalid."
    );
}

#[test]
fn temporary_key_without_token_is_invalid_client_token_id() {
    let req = signed_with("ASIAIOSFODNN7EXAMPLE", None, "us-east-1", "sts");
    assert_eq!(error_of(&req, t0()), SigV4Error::InvalidClientTokenId);
}

#[test]
fn expired_session_token_is_expired_token() {
    let req = signed_with(
        "ASIAIOSFODNN7EXAMPLE",
        Some("old-token"),
        "us-east-1",
        "sts",
    );
    let error = error_of(&req, t0());
    assert_eq!(error.code(), "ExpiredToken");
    assert_eq!(error.http_status(), 403);
}

#[test]
fn request_older_than_fifteen_minutes_is_signature_expired() {
    let req = signed();
    assert!(verify(&req, t0() + TimeDelta::minutes(15), &lookup).is_ok());
    let error = error_of(&req, t0() + TimeDelta::seconds(15 * 60 + 1));
    assert_eq!(error.code(), "SignatureDoesNotMatch");
    assert_eq!(
        error.message(),
        "Signature expired: 20261129T082600Z is now earlier than 20261129T082601Z \
         (20261129T084101Z - 15 min.)"
    );
}

#[test]
fn request_more_than_fifteen_minutes_ahead_is_not_yet_current() {
    let req = signed();
    assert!(verify(&req, t0() - TimeDelta::minutes(15), &lookup).is_ok());
    let error = error_of(&req, t0() - TimeDelta::seconds(15 * 60 + 1));
    assert_eq!(error.code(), "SignatureDoesNotMatch");
    assert_eq!(
        error.message(),
        "Signature not yet current: 20261129T082600Z is still later than 20261129T082559Z \
         (20261129T081059Z + 15 min.)"
    );
}

#[test]
fn presigned_request_verifies_until_it_expires() {
    let req = presigned(60);
    let caller = verify(&req, t0() + TimeDelta::seconds(60), &lookup).unwrap();
    assert!(caller.presigned);
    let error = error_of(&req, t0() + TimeDelta::seconds(61));
    assert_eq!(error.code(), "RequestExpired");
    assert_eq!(
        error.message(),
        "Request has expired: signed at 20261129T082600Z for 60 seconds, now 20261129T082701Z"
    );
}

#[test]
fn presigned_expiry_beyond_the_skew_window_is_capped_by_it() {
    let req = presigned(3600);
    let error = error_of(&req, t0() + TimeDelta::minutes(16));
    assert_eq!(error.code(), "SignatureDoesNotMatch");
    assert!(error.message().starts_with("Signature expired:"));
}

#[test]
fn presigned_expires_out_of_range_is_incomplete_signature() {
    let req = presigned(60);
    for bad in ["0", "604801"] {
        let mut broken = req.clone();
        broken.query = broken
            .query
            .replace("X-Amz-Expires=60", &format!("X-Amz-Expires={bad}"));
        assert_eq!(
            error_of(&broken, t0()).code(),
            "IncompleteSignature",
            "{bad}"
        );
    }
}

#[test]
fn presigned_request_signed_with_post_fails_as_get() {
    let mut req = presigned(60);
    req.method = "POST".into();
    assert_eq!(error_of(&req, t0()).code(), "SignatureDoesNotMatch");
}

#[test]
fn token_added_to_a_presigned_url_after_signing_is_accepted() {
    let secret = SecretKey::new(SECRET);
    let mut params = SigningParams::new("ASIAIOSFODNN7EXAMPLE", &secret, "us-east-1", "sts", t0());
    params.security_token = Some("good-token");
    params.sign_security_token = false;
    let mut req = SignedRequest::new("GET", "/").with_header("Host", "h");
    presign(&mut req, &params, 60).unwrap();
    let caller = verify(&req, t0(), &lookup).unwrap();
    assert_eq!(caller.security_token.as_deref(), Some("good-token"));
}

#[test]
fn missing_signature_parts_are_incomplete_signature_with_aws_message() {
    let mut req = signed();
    let auth = authorization_mut(&mut req);
    let cut = auth.find(", Signature=").unwrap();
    auth.truncate(cut);
    let shown = auth.clone();
    let error = error_of(&req, t0());
    assert_eq!(error.code(), "IncompleteSignature");
    assert_eq!(error.http_status(), 400);
    assert_eq!(
        error.message(),
        format!("Authorization header requires 'Signature' parameter. Authorization={shown}")
    );
}

#[test]
fn no_authentication_is_missing_authentication_token() {
    let error = error_of(&unsigned(), t0());
    assert_eq!(error, SigV4Error::MissingAuthenticationToken);
    assert_eq!(error.http_status(), 403);
    assert_eq!(error.message(), "Request is missing Authentication Token");
}

#[test]
fn wrong_service_in_scope_is_rejected() {
    let req = signed_with("AKIAIOSFODNN7EXAMPLE", None, "us-east-1", "iam");
    let error = error_of(&req, t0());
    assert_eq!(error.code(), "SignatureDoesNotMatch");
    assert_eq!(
        error.message(),
        "Credential should be scoped to correct service: 'sts'"
    );
}

#[test]
fn invalid_or_disallowed_region_in_scope_is_rejected() {
    let req = signed_with("AKIAIOSFODNN7EXAMPLE", None, "US_EAST", "sts");
    assert_eq!(
        error_of(&req, t0()).message(),
        "Credential should be scoped to a valid Region, not 'US_EAST'"
    );
    let config = VerifierConfig {
        allowed_regions: vec!["eu-west-1".into()],
        ..VerifierConfig::sts()
    };
    let error = verify_with(&config, &signed(), t0(), &lookup).unwrap_err();
    assert_eq!(
        error.message(),
        "Credential should be scoped to a valid Region, not 'us-east-1'"
    );
}

#[test]
fn wrong_terminator_in_scope_is_rejected() {
    let mut req = signed();
    let auth = authorization_mut(&mut req);
    *auth = auth.replace("/aws4_request,", "/aws5_request,");
    assert_eq!(
        error_of(&req, t0()).message(),
        "Credential should be scoped with a valid terminator: 'aws4_request'"
    );
}

#[test]
fn scope_date_differing_from_request_date_is_rejected() {
    let mut req = signed();
    let auth = authorization_mut(&mut req);
    *auth = auth.replace("/20261129/", "/20261128/");
    let error = error_of(&req, t0());
    assert_eq!(error.code(), "SignatureDoesNotMatch");
    assert_eq!(
        error.message(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
         HTTP: '20261128' != '20261129', from '20261129T082600Z'."
    );
}

#[test]
fn unsigned_host_header_is_incomplete_signature() {
    let mut req = signed();
    let auth = authorization_mut(&mut req);
    *auth = auth.replace(
        "SignedHeaders=content-type;host;",
        "SignedHeaders=content-type;",
    );
    let error = error_of(&req, t0());
    assert_eq!(error.code(), "IncompleteSignature");
    assert_eq!(
        error.message(),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn signed_header_absent_from_the_request_fails() {
    let mut req = signed();
    req.headers.retain(|(name, _)| name != "Content-Type");
    let error = error_of(&req, t0());
    assert_eq!(error.code(), "SignatureDoesNotMatch");
    assert!(error.message().contains("'content-type' is not present"));
}

#[test]
fn content_sha256_header_must_match_the_body() {
    let mut req = signed();
    req.headers
        .push(("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
    let error = error_of(&req, t0());
    assert_eq!(error.code(), "SignatureDoesNotMatch");
    assert_eq!(
        error.message(),
        "The provided 'x-amz-content-sha256' header does not match what was computed."
    );
}

#[test]
fn changed_body_fails_and_precomputed_hash_verifies() {
    let mut req = signed();
    req.payload = Payload::Body(b"Action=GetSessionToken&Version=2011-06-15".to_vec());
    assert_eq!(error_of(&req, t0()).code(), "SignatureDoesNotMatch");
    let mut hashed = signed();
    hashed.payload =
        Payload::Hash("ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843".into());
    assert!(verify(&hashed, t0(), &lookup).is_ok());
}

#[test]
fn extra_unsigned_headers_and_an_unsigned_token_are_accepted() {
    let secret = SecretKey::new(SECRET);
    let mut params = SigningParams::new("ASIAIOSFODNN7EXAMPLE", &secret, "us-east-1", "sts", t0());
    params.security_token = Some("good-token");
    params.sign_security_token = false;
    let mut req = unsigned();
    sign(&mut req, &params).unwrap();
    req.headers.push(("User-Agent".into(), "curl".into()));
    let caller = verify(&req, t0(), &lookup).unwrap();
    assert_eq!(caller.security_token.as_deref(), Some("good-token"));
}

#[test]
fn another_service_verifies_with_its_config() {
    let req = signed_with("AKIAIOSFODNN7EXAMPLE", None, "us-east-1", "iam");
    let config = VerifierConfig {
        service: "iam".into(),
        ..VerifierConfig::default()
    };
    assert!(verify_with(&config, &req, t0(), &lookup).is_ok());
}

#[test]
fn canonicalize_shows_what_the_verifier_signs() {
    let form = canonicalize(&signed()).unwrap();
    assert_eq!(
        form.canonical_request,
        "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:127.0.0.1:18443\n\
         x-amz-date:20261129T082600Z\n\ncontent-type;host;x-amz-date\n\
         ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843"
    );
    assert!(form
        .string_to_sign
        .starts_with("AWS4-HMAC-SHA256\n20261129T082600Z\n20261129/us-east-1/sts/aws4_request\n"));
}

#[test]
fn debug_of_a_request_does_not_dump_the_body() {
    let shown = format!("{:?}", unsigned().payload);
    assert_eq!(shown, "Body(43 bytes)");
}
