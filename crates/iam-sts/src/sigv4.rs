//! Signature Version 4: authentication of STS requests (wire-protocol.md §6).
//!
//! Stage: the first thing the server runs on a signed request, before any authorisation.
//! Input: a request as received ([`SignedRequest`]: method, raw path, raw query, headers in
//! received order, body or its hash), the current time and a secret lookup. Output: the
//! [`VerifiedCaller`] or a [`SigV4Error`] carrying the AWS error code and message. It must
//! never panic on hostile input, never log or print a secret, never cache a verification
//! result and never compare signatures in variable time.
//!
//! Submodules, in pipeline order: `auth` (find and parse the `Authorization` header or the
//! presigned `X-Amz-*` query parameters), `canonical` (canonical request), `key` (secret
//! and signing key), `verify` (time, scope, lookup, signature), `sign` (the client side, for
//! tests and load generators).
//!
//! # Why canonicalisation is written here and not taken from `aws-sigv4`
//!
//! A verifier must rebuild the canonical request *the client* signed from the bytes it
//! received: the client's `SignedHeaders` list (not every header present), repeated headers
//! in received order, the raw path as sent (normalised, then double-encoded), the raw query
//! re-encoded, and, for presigned URLs, every parameter except `X-Amz-Signature`.
//! `aws-sigv4` is a signer: it decides itself which headers to sign, takes an `http::Request`
//! whose URI it parses and re-serialises, and exposes no way to feed it a received
//! `SignedHeaders` list or to obtain the canonical request for a given signature. Reproducing
//! the canonical request exactly is about three hundred lines (`canonical.rs`) and is checked
//! against every SigV4 vector of the AWS test suites and against captured SDK requests, so
//! owning it costs less than adapting a signer and adds no `http`/`aws-smithy` dependencies.
//!
//! # Project decisions (see the spec flags)
//!
//! * Only `AWS4-HMAC-SHA256`; SigV4a is `IncompleteSignature`.
//! * `SignedHeaders` must contain `host`, and in the header form the header carrying the
//!   request time (`x-amz-date`, or `date` when AWS falls back to it). Other `x-amz-*`
//!   headers may stay unsigned: the AWS suite adds `X-Amz-Security-Token` after signing.
//! * A session token appended to a presigned URL after signing is accepted too (AWS suite
//!   `post-sts-header-after`, query form); the request is then retried without it only after
//!   the signed form failed.
//! * Clock skew ±15 minutes (`SignatureDoesNotMatch` with AWS's `Signature expired` / `not
//!   yet current` text); a presigned request past `X-Amz-Date` + `X-Amz-Expires` is
//!   `RequestExpired`; `X-Amz-Expires` outside 1..=604800 is `IncompleteSignature`.
//! * Scope failures (date, region, service, terminator) are `SignatureDoesNotMatch`; any
//!   syntactically valid region is accepted unless [`VerifierConfig::allowed_regions`] is set.
//! * An `ASIA…` access key without a session token is `InvalidClientTokenId`.
//! * A signed header missing from the request, or an `x-amz-content-sha256` that differs from
//!   the body's hash, is `SignatureDoesNotMatch`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

mod auth;
mod canonical;
mod error;
mod key;
mod sign;
mod verify;

#[doc(hidden)]
pub mod fuzzing;

pub use error::{
    SigV4Error, EXPIRED_TOKEN_MESSAGE, INVALID_CLIENT_TOKEN_ID_MESSAGE,
    MISSING_AUTHENTICATION_TOKEN_MESSAGE, SIGNATURE_DOES_NOT_MATCH_MESSAGE,
};
pub use key::SecretKey;
pub use sign::{presign, sign, SigningOutput, SigningParams};

/// The body of a request, or its SHA-256 when the caller already computed it.
#[derive(Clone, PartialEq, Eq)]
pub enum Payload {
    /// The exact body bytes.
    Body(Vec<u8>),
    /// Lower-case hex SHA-256 of the body.
    Hash(String),
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Body(body) => write!(formatter, "Body({} bytes)", body.len()),
            Self::Hash(hash) => formatter.debug_tuple("Hash").field(hash).finish(),
        }
    }
}

/// A request as received, independent of any HTTP library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The HTTP method actually received, e.g. `POST`.
    pub method: String,
    /// The path exactly as on the request line (still percent-encoded, not normalised).
    pub path: String,
    /// The raw query string without the `?` (empty when there is none).
    pub query: String,
    /// Header names and values as received, in order, repeats kept.
    pub headers: Vec<(String, String)>,
    /// The body or its hash.
    pub payload: Payload,
}

impl SignedRequest {
    /// A request from a method and a request target such as `/?Action=GetCallerIdentity`,
    /// without headers and with an empty body.
    pub fn new(method: &str, target: &str) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            payload: Payload::Body(Vec::new()),
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.payload = Payload::Body(body.into());
        self
    }
}

/// Who signed a request that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCaller {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The session token the request carried (header or presigned query), if any.
    pub security_token: Option<String>,
    /// The region of the credential scope (`aws:RequestedRegion`).
    pub region: String,
    /// The request time the client signed (`X-Amz-Date`).
    pub signed_at: DateTime<Utc>,
    /// Whether the request was presigned (query form) rather than header-signed.
    pub presigned: bool,
}

/// The canonical request and string to sign a verifier builds for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalForm {
    /// The six-line canonical request.
    pub canonical_request: String,
    /// The four-line string to sign.
    pub string_to_sign: String,
}

/// What a verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// Service name the credential scope must name (`sts`).
    pub service: Cow<'static, str>,
    /// Regions accepted in the scope; empty accepts every syntactically valid region.
    pub allowed_regions: Vec<String>,
    /// Accepted distance between the request time and now, in seconds (900).
    pub max_skew_seconds: i64,
}

impl VerifierConfig {
    /// The STS configuration: service `sts`, any region, ±15 minutes.
    pub const fn sts() -> Self {
        Self {
            service: Cow::Borrowed("sts"),
            allowed_regions: Vec::new(),
            max_skew_seconds: 15 * 60,
        }
    }
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self::sts()
    }
}

/// Looks up the secret of an access key id, given the session token the request carried.
/// It answers [`SigV4Error::InvalidClientTokenId`] for an unknown key or a token that is not
/// valid for it, and [`SigV4Error::ExpiredToken`] for an expired session.
pub type SecretLookup<'a> = dyn Fn(&str, Option<&str>) -> Result<SecretKey, SigV4Error> + 'a;

static STS_CONFIG: VerifierConfig = VerifierConfig::sts();

/// Verifies a Signature Version 4 request for service `sts` at time `now`.
///
/// Checks, in order: authentication parameters (`MissingAuthenticationToken`,
/// `IncompleteSignature`), request time and presigned expiry, credential scope, the key
/// lookup, and the signature (`SignatureDoesNotMatch`).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use iam_sts::sigv4::{sign, verify, SecretKey, SigV4Error, SignedRequest, SigningParams};
///
/// let now = Utc.with_ymd_and_hms(2026, 11, 29, 8, 26, 0).single().ok_or("bad time")?;
/// let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
/// let mut req = SignedRequest::new("POST", "/")
///     .with_header("Host", "127.0.0.1:18443")
///     .with_body("Action=GetCallerIdentity&Version=2011-06-15");
/// let params = SigningParams::new("AKIAIOSFODNN7EXAMPLE", &secret, "us-east-1", "sts", now);
/// sign(&mut req, &params)?;
/// let lookup = |key: &str, _token: Option<&str>| match key {
///     "AKIAIOSFODNN7EXAMPLE" => Ok(secret.clone()),
///     _ => Err(SigV4Error::InvalidClientTokenId),
/// };
/// let caller = verify(&req, now, &lookup)?;
/// assert_eq!(caller.region, "us-east-1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(
    req: &SignedRequest,
    now: DateTime<Utc>,
    lookup: &SecretLookup<'_>,
) -> Result<VerifiedCaller, SigV4Error> {
    verify::verify_with(&STS_CONFIG, req, now, lookup)
}

/// [`verify`] with an explicit configuration (another service name, a region allow-list or
/// a different skew).
pub fn verify_with(
    config: &VerifierConfig,
    req: &SignedRequest,
    now: DateTime<Utc>,
    lookup: &SecretLookup<'_>,
) -> Result<VerifiedCaller, SigV4Error> {
    verify::verify_with(config, req, now, lookup)
}

/// The canonical request and string to sign that [`verify`] computes for `req` (without
/// checking time, scope or key), for debugging clients and for tests.
pub fn canonicalize(req: &SignedRequest) -> Result<CanonicalForm, SigV4Error> {
    verify::canonicalize(req)
}

#[cfg(test)]
mod tests;
