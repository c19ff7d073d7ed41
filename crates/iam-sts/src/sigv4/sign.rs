//! SigV4 signing: the client side, for tests and load generators.
//!
//! Input: an unsigned request, an access key with its secret (and session token), a region,
//! a service and a time. Output: the request with `X-Amz-Date`, the session token and an
//! `Authorization` header added (header form), or with the `X-Amz-*` query parameters added
//! (presigned form), plus the canonical request and string to sign it used.
//! It must never canonicalise differently from the verifier: both use `canonical.rs`.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::auth::{format_amz_date, ALGORITHM};
use super::canonical::{hex32, uri_encode, write_canonical_request, CanonicalInput, QueryFilter};
use super::error::SigV4Error;
use super::key::SecretKey;
use super::verify::PayloadHash;
use super::SignedRequest;

/// Who signs, for which scope and when.
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    /// Access key id, e.g. `AKIAIOSFODNN7EXAMPLE`.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret: &'a SecretKey,
    /// Session token of temporary credentials.
    pub security_token: Option<&'a str>,
    /// Region of the credential scope, e.g. `us-east-1`.
    pub region: &'a str,
    /// Service of the credential scope, `sts` for this project.
    pub service: &'a str,
    /// Signing time; becomes `X-Amz-Date`.
    pub time: DateTime<Utc>,
    /// Sign the session token (what every SDK does); when `false` it is added after signing.
    pub sign_security_token: bool,
    /// Header form only: add and sign `x-amz-content-sha256` (what the JavaScript SDK does).
    pub add_content_sha256: bool,
}

impl<'a> SigningParams<'a> {
    /// Parameters for long-term credentials; the session token is signed when one is set and
    /// no `x-amz-content-sha256` header is added.
    pub fn new(
        access_key_id: &'a str,
        secret: &'a SecretKey,
        region: &'a str,
        service: &'a str,
        time: DateTime<Utc>,
    ) -> Self {
        Self {
            access_key_id,
            secret,
            security_token: None,
            region,
            service,
            time,
            sign_security_token: true,
            add_content_sha256: false,
        }
    }
}

/// What a signing produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningOutput {
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The signature, 64 lower-case hex digits.
    pub signature: String,
    /// The `Authorization` header value (header form only).
    pub authorization: Option<String>,
}

fn remove_headers(req: &mut SignedRequest, name: &str) {
    req.headers
        .retain(|(candidate, _)| !candidate.eq_ignore_ascii_case(name));
}

/// Lower-case, sorted, de-duplicated names of every header except `authorization`; the
/// HTTP/2 `:authority` stands for `host`. Fails when there is no host.
fn signed_header_names(req: &SignedRequest) -> Result<String, SigV4Error> {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(name, _)| {
            if name == ":authority" {
                "host".to_owned()
            } else {
                name.to_ascii_lowercase()
            }
        })
        .filter(|name| name != "authorization" && !name.starts_with(':'))
        .collect();
    names.sort_unstable();
    names.dedup();
    if !names.iter().any(|name| name == "host") {
        return Err(SigV4Error::incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(names.join(";"))
}

fn compute(
    req: &SignedRequest,
    params: &SigningParams<'_>,
    amz_date: &str,
    signed_headers: &str,
    filter: QueryFilter,
) -> SigningOutput {
    let payload_hash = PayloadHash::of(&req.payload);
    let mut buffer = Vec::with_capacity(512);
    write_canonical_request(
        &mut buffer,
        &CanonicalInput {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &req.headers,
            signed_headers,
            payload_hash: payload_hash.as_str(),
            filter,
        },
    );
    let canonical_request = String::from_utf8_lossy(&buffer).into_owned();
    let creq_hash = hex32(&Sha256::digest(&buffer).into());
    let scope = scope(params);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        std::str::from_utf8(&creq_hash).unwrap_or_default()
    );
    let key = params
        .secret
        .signing_key(&format_day(amz_date), params.region, params.service);
    let signature = hex32(&key.sign(&[string_to_sign.as_bytes()]));
    SigningOutput {
        canonical_request,
        string_to_sign,
        signature: String::from_utf8_lossy(&signature).into_owned(),
        authorization: None,
    }
}

fn format_day(amz_date: &str) -> String {
    amz_date.chars().take(8).collect()
}

fn scope(params: &SigningParams<'_>) -> String {
    format!(
        "{}/{}/{}/aws4_request",
        format_day(&format_amz_date(params.time)),
        params.region,
        params.service
    )
}

/// Signs `req` in the header form: sets `X-Amz-Date` (replacing any), the session token and
/// `x-amz-content-sha256` as configured, signs every header present, and adds
/// `Authorization`.
pub fn sign(
    req: &mut SignedRequest,
    params: &SigningParams<'_>,
) -> Result<SigningOutput, SigV4Error> {
    let amz_date = format_amz_date(params.time);
    remove_headers(req, "authorization");
    remove_headers(req, "x-amz-date");
    req.headers
        .push(("X-Amz-Date".to_owned(), amz_date.clone()));
    if let Some(token) = params.security_token {
        remove_headers(req, "x-amz-security-token");
        if params.sign_security_token {
            req.headers
                .push(("X-Amz-Security-Token".to_owned(), token.to_owned()));
        }
    }
    if params.add_content_sha256 {
        remove_headers(req, "x-amz-content-sha256");
        let hash = PayloadHash::of(&req.payload).as_str().to_owned();
        req.headers.push(("X-Amz-Content-Sha256".to_owned(), hash));
    }
    let signed_headers = signed_header_names(req)?;
    let mut output = compute(req, params, &amz_date, &signed_headers, QueryFilter::All);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={signed_headers}, Signature={}",
        params.access_key_id,
        scope(params),
        output.signature
    );
    req.headers
        .push(("Authorization".to_owned(), authorization.clone()));
    if let (Some(token), false) = (params.security_token, params.sign_security_token) {
        req.headers
            .push(("X-Amz-Security-Token".to_owned(), token.to_owned()));
    }
    output.authorization = Some(authorization);
    Ok(output)
}

/// Signs `req` in the presigned (query) form, valid for `expires_in` seconds (1..=604800):
/// appends `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
/// `X-Amz-SignedHeaders`, the session token and `X-Amz-Signature` to the query string.
pub fn presign(
    req: &mut SignedRequest,
    params: &SigningParams<'_>,
    expires_in: u32,
) -> Result<SigningOutput, SigV4Error> {
    if !(1..=604_800).contains(&expires_in) {
        return Err(SigV4Error::incomplete(format!(
            "X-Amz-Expires must be between 1 and 604800 seconds, not {expires_in}"
        )));
    }
    let amz_date = format_amz_date(params.time);
    let signed_headers = signed_header_names(req)?;
    let credential = format!("{}/{}", params.access_key_id, scope(params));
    let mut query = std::mem::take(&mut req.query);
    let mut append = |name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&uri_encode(value));
    };
    append("X-Amz-Algorithm", ALGORITHM);
    append("X-Amz-Credential", &credential);
    append("X-Amz-Date", &amz_date);
    append("X-Amz-Expires", &expires_in.to_string());
    append("X-Amz-SignedHeaders", &signed_headers);
    let token = params.security_token;
    if let (Some(token), true) = (token, params.sign_security_token) {
        append("X-Amz-Security-Token", token);
    }
    req.query = query;
    let output = compute(
        req,
        params,
        &amz_date,
        &signed_headers,
        QueryFilter::Presigned,
    );
    req.query.push_str("&X-Amz-Signature=");
    req.query.push_str(&output.signature);
    if let (Some(token), false) = (token, params.sign_security_token) {
        req.query.push_str("&X-Amz-Security-Token=");
        req.query.push_str(&uri_encode(token));
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::{verify, Payload};
    use chrono::TimeZone;

    fn get_vanilla() -> SignedRequest {
        SignedRequest {
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            headers: vec![("Host".into(), "example.amazonaws.com".into())],
            payload: Payload::Body(Vec::new()),
        }
    }

    #[test]
    fn header_signing_reproduces_the_get_vanilla_vector() {
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let time = Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap();
        let params = SigningParams::new("AKIDEXAMPLE", &secret, "us-east-1", "service", time);
        let mut req = get_vanilla();
        let output = sign(&mut req, &params).unwrap();
        assert_eq!(
            output.authorization.as_deref(),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            )
        );
    }

    #[test]
    fn presigning_appends_the_query_parameters_and_verifies() {
        let secret = SecretKey::new("secret");
        let time = Utc.with_ymd_and_hms(2026, 11, 29, 8, 26, 0).unwrap();
        let mut params = SigningParams::new("ASIAEXAMPLE", &secret, "eu-west-1", "sts", time);
        params.security_token = Some("tok+/=");
        let mut req = get_vanilla();
        req.query = "Action=GetCallerIdentity&Version=2011-06-15".into();
        presign(&mut req, &params, 60).unwrap();
        assert!(req
            .query
            .contains("X-Amz-Security-Token=tok%2B%2F%3D&X-Amz-Signature="));
        let lookup = |_: &str, token: Option<&str>| {
            assert_eq!(token, Some("tok+/="));
            Ok(SecretKey::new("secret"))
        };
        let caller = verify(&req, time, &lookup).unwrap();
        assert!(caller.presigned);
        assert_eq!(caller.region, "eu-west-1");
    }

    #[test]
    fn signing_without_host_fails() {
        let secret = SecretKey::new("s");
        let time = Utc.with_ymd_and_hms(2026, 11, 29, 8, 26, 0).unwrap();
        let params = SigningParams::new("AKID", &secret, "us-east-1", "sts", time);
        let mut req = get_vanilla();
        req.headers.clear();
        assert!(sign(&mut req, &params).is_err());
        assert!(presign(&mut req, &params, 0).is_err());
    }
}
