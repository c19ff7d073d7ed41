//! SigV4 verification: the server side of Signature Version 4.
//!
//! Input: a received request, the current time, a verifier configuration and a secret
//! lookup. Output: the verified caller (access key, session token, region, signing time) or
//! the AWS error, checked in the order of wire-protocol.md §6.9: authentication parameters,
//! time, credential scope, key lookup, signature.
//! It must never cache a verification result, compare signatures in variable time, or accept
//! a request whose canonical form differs from the one the client signed.

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::auth::{format_amz_date, parse_auth, AuthForm, AuthParams, ALGORITHM};
use super::canonical::{
    header_values, hex32, write_canonical_request, CanonicalInput, QueryFilter,
};
use super::error::{SigV4Error, SIGNATURE_DOES_NOT_MATCH_MESSAGE};
use super::key::SecretKey;
use super::{CanonicalForm, Payload, SecretLookup, SignedRequest, VerifiedCaller, VerifierConfig};

/// The five parts of a credential, borrowed from it.
#[derive(Debug)]
pub(crate) struct Scope<'a> {
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
    /// `<date>/<region>/<service>/<terminator>` as it enters the string to sign.
    pub text: &'a str,
}

pub(crate) fn parse_scope(credential: &str) -> Result<Scope<'_>, SigV4Error> {
    let malformed = || {
        SigV4Error::incomplete(format!(
            "Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/\
             aws4_request\", not '{credential}'"
        ))
    };
    let (access_key_id, text) = credential.split_once('/').ok_or_else(malformed)?;
    let mut parts = text.split('/');
    let (Some(date), Some(region), Some(service), Some(terminator), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(malformed());
    };
    Ok(Scope {
        access_key_id,
        date,
        region,
        service,
        terminator,
        text,
    })
}

/// A syntactically valid region: lower-case letters, digits and inner hyphens, 1–63 bytes.
fn is_valid_region(region: &str) -> bool {
    (1..=63).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

fn check_time(
    config: &VerifierConfig,
    auth: &AuthParams<'_>,
    now: DateTime<Utc>,
) -> Result<(), SigV4Error> {
    let skew = TimeDelta::seconds(config.max_skew_seconds);
    let minutes = config.max_skew_seconds / 60;
    let age = now.signed_duration_since(auth.time);
    if age > skew {
        let limit = now.checked_sub_signed(skew).unwrap_or(now);
        return Err(SigV4Error::mismatch(format!(
            "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
            auth.amz_date,
            format_amz_date(limit),
            format_amz_date(now)
        )));
    }
    if -age > skew {
        let limit = now.checked_add_signed(skew).unwrap_or(now);
        return Err(SigV4Error::mismatch(format!(
            "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
            auth.amz_date,
            format_amz_date(limit),
            format_amz_date(now)
        )));
    }
    if let Some(expires) = auth.expires {
        if age > TimeDelta::seconds(i64::from(expires)) {
            return Err(SigV4Error::RequestExpired {
                message: format!(
                    "Request has expired: signed at {} for {expires} seconds, now {}",
                    auth.amz_date,
                    format_amz_date(now)
                ),
            });
        }
    }
    Ok(())
}

fn check_scope(
    config: &VerifierConfig,
    auth: &AuthParams<'_>,
    scope: &Scope<'_>,
) -> Result<(), SigV4Error> {
    let request_day = auth.amz_date.get(..8).unwrap_or_default();
    if scope.date != request_day {
        return Err(SigV4Error::mismatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{request_day}', from '{}'.",
            scope.date, auth.amz_date
        )));
    }
    let region_allowed = if config.allowed_regions.is_empty() {
        is_valid_region(scope.region)
    } else {
        config.allowed_regions.iter().any(|r| r == scope.region)
    };
    if !region_allowed {
        return Err(SigV4Error::mismatch(format!(
            "Credential should be scoped to a valid Region, not '{}'",
            scope.region
        )));
    }
    if scope.service != config.service {
        return Err(SigV4Error::mismatch(format!(
            "Credential should be scoped to correct service: '{}'",
            config.service
        )));
    }
    if scope.terminator != "aws4_request" {
        return Err(SigV4Error::mismatch(
            "Credential should be scoped with a valid terminator: 'aws4_request'",
        ));
    }
    Ok(())
}

/// The payload hash as lower-case hex (computed from the body, or as provided).
pub(crate) enum PayloadHash<'a> {
    Computed([u8; 64]),
    Provided(&'a str),
}

impl PayloadHash<'_> {
    pub(crate) fn of(payload: &Payload) -> PayloadHash<'_> {
        match payload {
            Payload::Body(body) => PayloadHash::Computed(hex32(&Sha256::digest(body).into())),
            Payload::Hash(hash) => PayloadHash::Provided(hash),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Hex digits are ASCII, so the conversion cannot fail.
            PayloadHash::Computed(hex) => std::str::from_utf8(hex).unwrap_or_default(),
            PayloadHash::Provided(hash) => hash,
        }
    }
}

/// Builds the canonical request into `buffer` and returns the HMAC input parts' hash.
fn canonical_hash(
    buffer: &mut Vec<u8>,
    req: &SignedRequest,
    auth: &AuthParams<'_>,
    payload_hash: &str,
    filter: QueryFilter,
) -> Result<[u8; 64], SigV4Error> {
    let input = CanonicalInput {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        signed_headers: &auth.signed_headers,
        payload_hash,
        filter,
    };
    if let Some(missing) = write_canonical_request(buffer, &input) {
        return Err(SigV4Error::mismatch(format!(
            "{SIGNATURE_DOES_NOT_MATCH_MESSAGE} Signed header '{missing}' is not present in \
             the request."
        )));
    }
    Ok(hex32(&Sha256::digest(&*buffer).into()))
}

fn string_to_sign(auth: &AuthParams<'_>, scope: &Scope<'_>, creq_hash: &[u8; 64]) -> String {
    let mut text = String::with_capacity(160);
    text.push_str(ALGORITHM);
    text.push('\n');
    text.push_str(&auth.amz_date);
    text.push('\n');
    text.push_str(scope.text);
    text.push('\n');
    text.push_str(std::str::from_utf8(creq_hash).unwrap_or_default());
    text
}

fn first_filter(auth: &AuthParams<'_>) -> QueryFilter {
    match auth.form {
        AuthForm::Header => QueryFilter::All,
        AuthForm::Query => QueryFilter::Presigned,
    }
}

/// Verifies a request; see [`super::verify`].
pub(crate) fn verify_with(
    config: &VerifierConfig,
    req: &SignedRequest,
    now: DateTime<Utc>,
    lookup: &SecretLookup<'_>,
) -> Result<VerifiedCaller, SigV4Error> {
    let auth = parse_auth(req)?;
    check_time(config, &auth, now)?;
    let scope = parse_scope(&auth.credential)?;
    check_scope(config, &auth, &scope)?;
    let token = auth.security_token.as_deref();
    if scope.access_key_id.starts_with("ASIA") && token.is_none() {
        return Err(SigV4Error::InvalidClientTokenId);
    }
    let secret: SecretKey = lookup(scope.access_key_id, token)?;

    let payload_hash = PayloadHash::of(&req.payload);
    let payload_hash = payload_hash.as_str();
    if let Some(claimed) = header_values(&req.headers, "x-amz-content-sha256").next() {
        if claimed.trim() != payload_hash {
            return Err(SigV4Error::mismatch(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ));
        }
    }

    let key = secret.signing_key(scope.date, scope.region, scope.service);
    let mut buffer = Vec::with_capacity(
        256 + req.query.len() + auth.signed_headers.len() * 4 + req.path.len() * 3,
    );
    // The AWS suite allows a session token appended to a presigned URL after signing, so a
    // presigned request with a token is also tried without it (only after a mismatch).
    let retry_without_token = (auth.form == AuthForm::Query && token.is_some())
        .then_some(QueryFilter::PresignedUnsignedToken);
    let mut first_failure = None;
    for filter in [Some(first_filter(&auth)), retry_without_token]
        .into_iter()
        .flatten()
    {
        let creq_hash = canonical_hash(&mut buffer, req, &auth, payload_hash, filter)?;
        let signature = key.sign(&[
            ALGORITHM.as_bytes(),
            b"\n",
            auth.amz_date.as_bytes(),
            b"\n",
            scope.text.as_bytes(),
            b"\n",
            &creq_hash,
        ]);
        let expected = hex32(&signature);
        if bool::from(expected.ct_eq(auth.signature.as_bytes())) {
            return Ok(VerifiedCaller {
                access_key_id: scope.access_key_id.to_owned(),
                security_token: token.map(str::to_owned),
                region: scope.region.to_owned(),
                signed_at: auth.time,
                presigned: auth.form == AuthForm::Query,
            });
        }
        if first_failure.is_none() {
            first_failure = Some(mismatch_details(&buffer, &auth, &scope, &creq_hash));
        }
    }
    Err(first_failure.unwrap_or_else(|| SigV4Error::mismatch(SIGNATURE_DOES_NOT_MATCH_MESSAGE)))
}

fn mismatch_details(
    creq: &[u8],
    auth: &AuthParams<'_>,
    scope: &Scope<'_>,
    creq_hash: &[u8; 64],
) -> SigV4Error {
    SigV4Error::mismatch(format!(
        "{SIGNATURE_DOES_NOT_MATCH_MESSAGE}\n\nThe Canonical String for this request should \
         have been\n'{}'\n\nThe String-to-Sign should have been\n'{}'\n",
        String::from_utf8_lossy(creq),
        string_to_sign(auth, scope, creq_hash)
    ))
}

/// The canonical request and string to sign the verifier builds for `req`.
pub(crate) fn canonicalize(req: &SignedRequest) -> Result<CanonicalForm, SigV4Error> {
    let auth = parse_auth(req)?;
    let scope = parse_scope(&auth.credential)?;
    let payload_hash = PayloadHash::of(&req.payload);
    let mut buffer = Vec::with_capacity(512);
    let creq_hash = canonical_hash(
        &mut buffer,
        req,
        &auth,
        payload_hash.as_str(),
        first_filter(&auth),
    )?;
    Ok(CanonicalForm {
        canonical_request: String::from_utf8_lossy(&buffer).into_owned(),
        string_to_sign: string_to_sign(&auth, &scope, &creq_hash),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_needs_exactly_five_parts() {
        let scope = parse_scope("AKID/20150830/us-east-1/sts/aws4_request").unwrap();
        assert_eq!(scope.access_key_id, "AKID");
        assert_eq!(scope.text, "20150830/us-east-1/sts/aws4_request");
        for bad in ["AKID", "AKID/20150830/us-east-1/sts", "A/1/2/3/4/5"] {
            assert_eq!(parse_scope(bad).unwrap_err().code(), "IncompleteSignature");
        }
    }

    #[test]
    fn region_syntax_is_checked() {
        assert!(is_valid_region("us-east-1"));
        assert!(is_valid_region("eu-west-1"));
        assert!(!is_valid_region("US-EAST-1"));
        assert!(!is_valid_region(""));
        assert!(!is_valid_region("-us"));
        assert!(!is_valid_region("us east"));
    }
}
