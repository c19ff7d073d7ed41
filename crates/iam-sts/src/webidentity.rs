//! Web-identity token verification for `AssumeRoleWithWebIdentity` (sts-api.md §6.1, §8;
//! evaluation.md §9.2).
//!
//! Stage: request authentication, before trust-policy evaluation.
//! Input: the `WebIdentityToken` string (an OIDC ID token, a compact JWS), the OIDC providers
//! configured in the role's account (issuer URL, client ids, JWK set) and the current time.
//! Output: a [`VerifiedWebIdentity`] (provider key prefix, `sub`, `aud`, `azp`, `amr`, all
//! claims) with the trust-policy condition keys and response-field values derived from it, or a
//! [`WebIdentityError`] carrying the exact STS error code.
//! Never: verify a signature by hand (all signature work is done by the `jsonwebtoken` crate),
//! accept `alg` `none` or an HMAC algorithm, trust a claim before the signature verified, fetch
//! keys over the network, or echo the (sensitive) token in an error.
//!
//! Project decisions (the spec does not pin these down):
//! * Allowed algorithms: RS256, RS384, RS512, ES256, ES384 (the spec allows RS256/384/512 and
//!   ES256/384/512; ES512 is refused because the verification library does not support it).
//! * Issuer: the token's `iss` must equal the provider URL exactly after removing one leading
//!   `https://` from both (so `accounts.google.com` matches `https://accounts.google.com`);
//!   trailing slashes, case and ports are not normalised. The remainder is the provider key
//!   prefix used in condition keys and in the provider ARN.
//! * Key choice: with a `kid` the key of that `kid` is used; without a `kid` the set must hold
//!   exactly one key, which is then used.
//! * Clock skew: `nbf` and `iat` may lie at most [`CLOCK_SKEW_SECONDS`] in the future; `exp` has
//!   no leeway (AWS: the current time "must be before the expiration date/time").
//! * Audience: accepted when any `aud` value, or else `azp`, is one of the provider's client ids.
//!   A built-in provider configured without client ids accepts any audience, as AWS does
//!   (IAM keeps no client-id list for them; trust policies test `<host>:aud`).
//!
//! Built-in providers (sts-api.md §6.1, §8; evaluation.md §9.2). AWS trusts four providers
//! without an IAM OIDC provider resource; trust policies name them by host
//! (`"Federated": "accounts.google.com"`), and that host is the condition-key prefix and the
//! value of `aws:FederatedProvider`:
//! * `accounts.google.com` and `cognito-identity.amazonaws.com` issue OpenID Connect ID tokens.
//!   Offline their keys come from the directory ([`OidcProvider::well_known`]); a token of one
//!   whose keys are not configured is answered `IDPCommunicationError` (AWS could not fetch
//!   the keys either). Keys set: `<p>:aud`, `<p>:sub`; Google adds `<p>:oaud` (the token's
//!   `aud`) and its `<p>:aud` is `azp` when the token has one; Cognito adds the multi-valued
//!   `<p>:amr`. `Provider` in the response is the token's `iss` (the model's rule for OIDC).
//! * `www.amazon.com` and `graph.facebook.com` issue OAuth 2.0 access tokens, sent with
//!   `ProviderId`; they are opaque and AWS validates them by calling the provider. This
//!   service has no network, so it never accepts one: [`refuse_access_token`] answers
//!   `IDPCommunicationError` (the modeled error for an unreachable provider, sts-api.md §6.1
//!   and wire-protocol.md §5.2) for those two providers and `InvalidParameterValue` for any
//!   other `ProviderId` (the spec names no error for that case). Clients retry
//!   `IDPCommunicationError`, so such a call fails after the SDK's retries.
//!
//! Error messages are project-style except three that copy AWS's wording because clients may
//! match on them: "No OpenIDConnect provider found in your account for …" and "Token expired:
//! current date/time … must be before the expiration date/time …" (both observed, sts-api.md
//! §6.1) and "Incorrect token audience" (AWS's wording as commonly reported; not in the spec).

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use iam_policy::context::ContextValue;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// Minimum length of `WebIdentityToken` in characters (sts-api.md §2.1, `clientTokenType`).
pub const WEB_IDENTITY_TOKEN_MIN_CHARS: usize = 4;
/// Maximum length of `WebIdentityToken` in characters (sts-api.md §2.1, `clientTokenType`).
pub const WEB_IDENTITY_TOKEN_MAX_CHARS: usize = 20_000;
/// How far `nbf` and `iat` may lie in the future, in seconds (project decision).
pub const CLOCK_SKEW_SECONDS: i64 = 300;
/// Minimum length of `SubjectFromWebIdentityToken` (sts-api.md §2.1, `webIdentitySubjectType`).
pub const SUBJECT_MIN_CHARS: usize = 6;
/// Maximum length of `SubjectFromWebIdentityToken` (sts-api.md §2.1, `webIdentitySubjectType`).
pub const SUBJECT_MAX_CHARS: usize = 255;

/// Identity providers that exist without an IAM OIDC provider resource (sts-api.md §8).
pub const WELL_KNOWN_PROVIDERS: [&str; 4] = [
    "accounts.google.com",
    "cognito-identity.amazonaws.com",
    "graph.facebook.com",
    "www.amazon.com",
];

/// The built-in providers that issue OpenID Connect ID tokens (JWTs), verifiable with their
/// published keys.
pub const BUILT_IN_OIDC_PROVIDERS: [&str; 2] = [GOOGLE, COGNITO];

/// The built-in providers whose OAuth 2.0 access tokens need `ProviderId` and are validated
/// by calling the provider (sts-api.md §6.1); this offline service cannot validate them.
pub const OAUTH_PROVIDERS: [&str; 2] = ["www.amazon.com", "graph.facebook.com"];

/// The claim carrying session tags (sts-api.md §6.1).
pub const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The claim carrying the source identity (sts-api.md §6.1, §7.3).
pub const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

const GOOGLE: &str = "accounts.google.com";
const COGNITO: &str = "cognito-identity.amazonaws.com";

/// Which check a web-identity token failed; decides the STS error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFault {
    /// The token is shorter than 4 or longer than 20000 characters (`ValidationError`).
    Length,
    /// The token is not a well-formed compact JWS with JSON header and claims.
    Malformed,
    /// The header `alg` is missing, `none`, HMAC or otherwise not allowed, or does not fit the key.
    Algorithm,
    /// The header carries `crit` extensions, which this verifier does not understand.
    CriticalHeader,
    /// No key of the provider's JWK set can be chosen for this token.
    UnknownKey,
    /// The signature does not verify against the chosen key.
    Signature,
    /// The `iss` claim is missing or names no configured provider.
    Issuer,
    /// No `aud` value (nor `azp`) is one of the provider's client ids.
    Audience,
    /// `exp` is missing, or a date claim is not an integer, or a claim has the wrong type.
    ClaimFormat,
    /// The current time is at or after `exp`.
    Expired,
    /// `nbf` lies further in the future than the allowed skew.
    NotYetValid,
    /// `iat` lies further in the future than the allowed skew.
    IssuedInFuture,
    /// `sub` is missing or outside the 6–255 characters STS can return.
    Subject,
    /// The token can only be validated by calling its provider (or fetching its keys), which
    /// this offline service cannot do (`IDPCommunicationError`).
    ProviderUnreachable,
    /// `ProviderId` names no provider of OAuth 2.0 access tokens (`InvalidParameterValue`).
    ProviderId,
}

impl TokenFault {
    /// The STS error code this fault is answered with.
    pub fn code(self) -> &'static str {
        match self {
            TokenFault::Length => "ValidationError",
            TokenFault::Expired => "ExpiredTokenException",
            TokenFault::Subject => "IDPRejectedClaim",
            TokenFault::ProviderUnreachable => "IDPCommunicationError",
            TokenFault::ProviderId => "InvalidParameterValue",
            TokenFault::Malformed
            | TokenFault::Algorithm
            | TokenFault::CriticalHeader
            | TokenFault::UnknownKey
            | TokenFault::Signature
            | TokenFault::Issuer
            | TokenFault::Audience
            | TokenFault::ClaimFormat
            | TokenFault::NotYetValid
            | TokenFault::IssuedInFuture => "InvalidIdentityToken",
        }
    }

    /// The HTTP status of [`TokenFault::code`] (sts-api.md §6.1: `IDPRejectedClaim` is 403,
    /// the others 400).
    pub fn http_status(self) -> u16 {
        match self {
            TokenFault::Subject => 403,
            _ => 400,
        }
    }
}

/// A rejected web-identity token: the failed check and the message sent to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", fault.code())]
pub struct WebIdentityError {
    /// The check that failed.
    pub fault: TokenFault,
    /// The error message for the STS error response.
    pub message: String,
}

impl WebIdentityError {
    fn new(fault: TokenFault, message: impl Into<String>) -> Self {
        WebIdentityError {
            fault,
            message: message.into(),
        }
    }

    /// The STS error code (`InvalidIdentityToken`, `ExpiredTokenException`,
    /// `IDPRejectedClaim` or `ValidationError`).
    pub fn code(&self) -> &'static str {
        self.fault.code()
    }

    /// The HTTP status of the error response.
    pub fn http_status(&self) -> u16 {
        self.fault.http_status()
    }
}

/// A configuration error in an OIDC provider or its JWK set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProviderConfigError(String);

/// The curve of an elliptic-curve key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcCurve {
    /// NIST P-256 (ES256).
    P256,
    /// NIST P-384 (ES384).
    P384,
}

/// The kind of a public key from a JWK set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// An RSA key (`kty` `RSA`, members `n` and `e`).
    Rsa,
    /// An elliptic-curve key (`kty` `EC`, members `crv`, `x` and `y`).
    Ec(EcCurve),
}

/// One signature-verification key of a provider's JWK set.
#[derive(Clone)]
pub struct ProviderKey {
    kid: Option<String>,
    alg: Option<String>,
    kind: KeyKind,
    key: DecodingKey,
}

impl std::fmt::Debug for ProviderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl ProviderKey {
    /// The key id (`kid`), if the JWK has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm the JWK is restricted to (`alg`), if any.
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }

    /// The key type.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Whether this key may verify a signature made with `alg`.
    fn fits(&self, alg: Algorithm, alg_name: &str) -> bool {
        if self.alg.as_deref().is_some_and(|a| a != alg_name) {
            return false;
        }
        matches!(
            (self.kind, alg),
            (
                KeyKind::Rsa,
                Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512
            ) | (KeyKind::Ec(EcCurve::P256), Algorithm::ES256)
                | (KeyKind::Ec(EcCurve::P384), Algorithm::ES384)
        )
    }
}

/// A provider's parsed JWK set: the RSA and EC signature keys it publishes.
#[derive(Debug, Clone)]
pub struct ProviderKeys {
    keys: Vec<ProviderKey>,
}

impl ProviderKeys {
    /// Parses a JWK set document (`{"keys": [...]}`).
    ///
    /// RSA keys and EC keys on P-256/P-384 are kept; keys of other types or curves and keys
    /// whose `use` is not `sig` are skipped. A malformed RSA or EC entry, or a set without any
    /// usable key, is an error.
    pub fn from_json(text: &str) -> Result<Self, ProviderConfigError> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| ProviderConfigError(format!("jwks is not valid json: {e}")))?;
        let entries = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| ProviderConfigError("jwks has no `keys` array".to_owned()))?;
        let mut keys = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            if let Some(key) = parse_jwk(entry).map_err(|e| {
                ProviderConfigError(format!("jwks key {i}: {}", e.0.trim_start_matches("jwk ")))
            })? {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(ProviderConfigError(
                "jwks has no usable rsa or ec signature key".to_owned(),
            ));
        }
        Ok(ProviderKeys { keys })
    }

    /// The usable keys, in document order.
    pub fn keys(&self) -> &[ProviderKey] {
        &self.keys
    }
}

fn jwk_str<'a>(entry: &'a Value, member: &str) -> Result<&'a str, ProviderConfigError> {
    entry
        .get(member)
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderConfigError(format!("jwk lacks string member `{member}`")))
}

fn parse_jwk(entry: &Value) -> Result<Option<ProviderKey>, ProviderConfigError> {
    if !entry.is_object() {
        return Err(ProviderConfigError("jwk is not an object".to_owned()));
    }
    if entry
        .get("use")
        .is_some_and(|u| u.as_str().is_none_or(|u| u != "sig"))
    {
        return Ok(None);
    }
    let opt_str = |member: &str| -> Result<Option<String>, ProviderConfigError> {
        match entry.get(member) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ProviderConfigError(format!(
                "jwk member `{member}` is not a string"
            ))),
        }
    };
    let kid = opt_str("kid")?;
    let alg = opt_str("alg")?;
    let (kind, key) = match jwk_str(entry, "kty")? {
        "RSA" => {
            let n = jwk_str(entry, "n")?;
            let e = jwk_str(entry, "e")?;
            let key = DecodingKey::from_rsa_components(n, e)
                .map_err(|e| ProviderConfigError(format!("jwk rsa key is invalid: {e}")))?;
            (KeyKind::Rsa, key)
        }
        "EC" => {
            let curve = match jwk_str(entry, "crv")? {
                "P-256" => EcCurve::P256,
                "P-384" => EcCurve::P384,
                _ => return Ok(None),
            };
            let x = jwk_str(entry, "x")?;
            let y = jwk_str(entry, "y")?;
            let coord_len = match curve {
                EcCurve::P256 => 32,
                EcCurve::P384 => 48,
            };
            for (name, coord) in [("x", x), ("y", y)] {
                let bytes = URL_SAFE_NO_PAD.decode(coord).map_err(|_| {
                    ProviderConfigError(format!("jwk ec member `{name}` is not base64url"))
                })?;
                if bytes.len() != coord_len {
                    return Err(ProviderConfigError(format!(
                        "jwk ec member `{name}` has {} bytes, expected {coord_len}",
                        bytes.len()
                    )));
                }
            }
            let key = DecodingKey::from_ec_components(x, y)
                .map_err(|e| ProviderConfigError(format!("jwk ec key is invalid: {e}")))?;
            (KeyKind::Ec(curve), key)
        }
        _ => return Ok(None),
    };
    Ok(Some(ProviderKey {
        kid,
        alg,
        kind,
        key,
    }))
}

/// An OIDC identity provider the token service trusts: an IAM OIDC provider of an account, or
/// one of the [`WELL_KNOWN_PROVIDERS`].
#[derive(Debug, Clone)]
pub struct OidcProvider {
    url: String,
    key_prefix: String,
    client_ids: Vec<String>,
    keys: ProviderKeys,
    arn: Option<String>,
}

impl OidcProvider {
    /// An IAM OIDC identity provider of `account_id` with issuer `url` (which must start with
    /// `https://`), its client ids (audiences) and its JWK set. Its ARN is
    /// `arn:aws:iam::<account>:oidc-provider/<url without https://>`.
    pub fn iam(
        account_id: &str,
        url: &str,
        client_ids: Vec<String>,
        keys: ProviderKeys,
    ) -> Result<Self, ProviderConfigError> {
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProviderConfigError(format!(
                "account id `{account_id}` is not 12 digits"
            )));
        }
        if client_ids.is_empty() {
            return Err(ProviderConfigError(format!(
                "provider `{url}` has no client id"
            )));
        }
        let mut provider = Self::build(url, client_ids, keys)?;
        provider.arn = Some(format!(
            "arn:aws:iam::{account_id}:oidc-provider/{}",
            provider.key_prefix
        ));
        Ok(provider)
    }

    /// One of the [`BUILT_IN_OIDC_PROVIDERS`] (e.g. `https://accounts.google.com`), which
    /// trust policies name by host instead of by ARN.
    ///
    /// `client_ids` may be empty: AWS keeps no client-id list for built-in providers, so any
    /// audience is accepted and the trust policy must test `<host>:aud`. A non-empty list
    /// additionally refuses tokens for other clients. The [`OAUTH_PROVIDERS`] are refused:
    /// their access tokens are not JWTs and no key can verify them.
    pub fn well_known(
        url: &str,
        client_ids: Vec<String>,
        keys: ProviderKeys,
    ) -> Result<Self, ProviderConfigError> {
        let provider = Self::build(url, client_ids, keys)?;
        let host = provider.key_prefix.as_str();
        if OAUTH_PROVIDERS.contains(&host) {
            return Err(ProviderConfigError(format!(
                "`{host}` issues OAuth 2.0 access tokens, which only the provider itself can \
                 validate; it takes no verification keys"
            )));
        }
        if !BUILT_IN_OIDC_PROVIDERS.contains(&host) {
            return Err(ProviderConfigError(format!(
                "`{url}` is not a well-known identity provider"
            )));
        }
        Ok(provider)
    }

    fn build(
        url: &str,
        client_ids: Vec<String>,
        keys: ProviderKeys,
    ) -> Result<Self, ProviderConfigError> {
        let key_prefix = url
            .strip_prefix("https://")
            .ok_or_else(|| ProviderConfigError(format!("provider url `{url}` is not https")))?;
        if key_prefix.is_empty()
            || key_prefix.contains(['?', '#'])
            || key_prefix.chars().any(char::is_whitespace)
        {
            return Err(ProviderConfigError(format!(
                "provider url `{url}` has no host or has a query, fragment or space"
            )));
        }
        Ok(OidcProvider {
            url: url.to_owned(),
            key_prefix: key_prefix.to_owned(),
            client_ids,
            keys,
            arn: None,
        })
    }

    /// The issuer URL as configured (with `https://`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The issuer without `https://`: the condition-key prefix (e.g. `accounts.google.com`).
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// The provider's ARN for an IAM OIDC provider; `None` for a well-known provider.
    pub fn arn(&self) -> Option<&str> {
        self.arn.as_deref()
    }

    /// The client ids (accepted audiences); empty for a built-in provider that accepts any
    /// audience.
    pub fn client_ids(&self) -> &[String] {
        &self.client_ids
    }

    /// Whether the token's `iss` names this provider (see the module's issuer rule).
    fn issues(&self, iss: &str) -> bool {
        iss.strip_prefix("https://").unwrap_or(iss) == self.key_prefix
    }
}

/// A web-identity token whose signature and claims verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedWebIdentity {
    /// The provider's condition-key prefix: the issuer without `https://`
    /// (e.g. `oidc.eks.us-east-1.amazonaws.com/id/X`).
    pub provider_key: String,
    /// The provider ARN for an IAM OIDC provider; `None` for a well-known provider.
    pub provider_arn: Option<String>,
    /// The `iss` claim as in the token.
    pub issuer: String,
    /// The `sub` claim.
    pub sub: String,
    /// The `aud` claim (one or more values).
    pub aud: Vec<String>,
    /// The client id of the provider that the token was accepted for.
    pub client_id: String,
    /// The `azp` claim, if present.
    pub azp: Option<String>,
    /// The `amr` claim values (empty if absent).
    pub amr: Vec<String>,
    /// The `email` claim, if present and a string.
    pub email: Option<String>,
    /// The `exp` claim (seconds since the epoch).
    pub expires_at: i64,
    /// The `iat` claim, if present.
    pub issued_at: Option<i64>,
    /// Session tags from the claim `https://aws.amazon.com/tags` `principal_tags`, as
    /// (key, value) sorted by key (each tag carries exactly one value).
    pub principal_tags: Vec<(String, String)>,
    /// `transitive_tag_keys` of the claim `https://aws.amazon.com/tags`.
    pub transitive_tag_keys: Vec<String>,
    /// The claim `https://aws.amazon.com/source_identity`, if present.
    pub source_identity: Option<String>,
    /// Every claim of the token.
    pub claims: Map<String, Value>,
}

impl VerifiedWebIdentity {
    /// The response field `SubjectFromWebIdentityToken` (the `sub` claim).
    pub fn subject_from_web_identity_token(&self) -> &str {
        &self.sub
    }

    /// The response field `Audience`: the client id the token was accepted for.
    pub fn audience(&self) -> &str {
        &self.client_id
    }

    /// The response field `Provider`: the provider ARN for an IAM OIDC provider (as recorded
    /// real EKS responses show), the `iss` value for a well-known provider.
    pub fn provider(&self) -> &str {
        self.provider_arn.as_deref().unwrap_or(&self.issuer)
    }

    /// The value of `aws:FederatedProvider` and of the trust policy's `Federated` principal:
    /// the provider ARN for an IAM OIDC provider, the host (e.g. `accounts.google.com`) for a
    /// well-known provider (evaluation.md §8).
    pub fn federated_provider(&self) -> &str {
        self.provider_arn.as_deref().unwrap_or(&self.provider_key)
    }

    /// The condition keys the trust policy sees during `AssumeRoleWithWebIdentity`
    /// (evaluation.md §9.2, sts-api.md §8): `<p>:aud`, `<p>:sub`, for Google `<p>:oaud`, for
    /// Cognito `<p>:amr`, and `aws:FederatedProvider`.
    ///
    /// `<p>:aud` is the accepted client id; for Google it is `azp` when the token has one and
    /// `<p>:oaud` carries the token's `aud`.
    pub fn condition_keys(&self) -> Vec<(String, ContextValue)> {
        let p = &self.provider_key;
        let mut keys = Vec::new();
        let aud = if p == GOOGLE {
            self.azp.clone().unwrap_or_else(|| self.client_id.clone())
        } else {
            self.client_id.clone()
        };
        keys.push((format!("{p}:aud"), ContextValue::Single(aud)));
        keys.push((format!("{p}:sub"), ContextValue::Single(self.sub.clone())));
        if p == GOOGLE {
            let oaud = match self.aud.as_slice() {
                [one] => ContextValue::Single(one.clone()),
                many => ContextValue::Multi(many.to_vec()),
            };
            keys.push((format!("{p}:oaud"), oaud));
        }
        if p == COGNITO {
            keys.push((format!("{p}:amr"), ContextValue::Multi(self.amr.clone())));
        }
        keys.push((
            "aws:FederatedProvider".to_owned(),
            ContextValue::Single(self.federated_provider().to_owned()),
        ));
        keys
    }
}

const ALLOWED_ALGS: [(&str, Algorithm); 5] = [
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
];

fn invalid(fault: TokenFault, message: impl Into<String>) -> WebIdentityError {
    WebIdentityError::new(fault, message)
}

/// Decodes one base64url JWS segment to a JSON object (no trust implied).
fn decode_segment(segment: &str, what: &str) -> Result<Map<String, Value>, WebIdentityError> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| {
        invalid(
            TokenFault::Malformed,
            format!("the token {what} is not base64url"),
        )
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid(
            TokenFault::Malformed,
            format!("the token {what} is not a json object"),
        )),
    }
}

/// Checks the `WebIdentityToken` length constraint (sts-api.md §2.1, §2.2). The value is
/// sensitive and is not echoed.
pub fn check_token_length(token: &str) -> Result<(), WebIdentityError> {
    let len = token.chars().count();
    let rule = if len < WEB_IDENTITY_TOKEN_MIN_CHARS {
        format!("have length greater than or equal to {WEB_IDENTITY_TOKEN_MIN_CHARS}")
    } else if len > WEB_IDENTITY_TOKEN_MAX_CHARS {
        format!("have length less than or equal to {WEB_IDENTITY_TOKEN_MAX_CHARS}")
    } else {
        return Ok(());
    };
    Err(invalid(
        TokenFault::Length,
        format!(
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy \
             constraint: Member must {rule}"
        ),
    ))
}

/// The answer to a `ProviderId` (an OAuth 2.0 access token; sts-api.md §6.1). AWS validates
/// such a token by calling the provider named by `ProviderId`; this service has no network,
/// so no access token is ever accepted:
/// * `www.amazon.com` or `graph.facebook.com` (the only OAuth 2.0 providers STS supports):
///   `IDPCommunicationError`, the modeled error for a provider STS cannot reach;
/// * anything else (another host, a scheme or a port): `InvalidParameterValue` naming the two
///   providers (the spec gives no error code for this case; project decision).
///
/// The token itself is neither read nor echoed.
pub fn refuse_access_token(provider_id: &str) -> WebIdentityError {
    if OAUTH_PROVIDERS.contains(&provider_id) {
        return invalid(
            TokenFault::ProviderUnreachable,
            format!(
                "cannot validate the OAuth 2.0 access token with `{provider_id}`: the provider \
                 must be called to validate it and this token service has no network access"
            ),
        );
    }
    invalid(
        TokenFault::ProviderId,
        format!(
            "`ProviderId` `{provider_id}` is not supported: only `www.amazon.com` and \
             `graph.facebook.com` (host names without scheme or port) take one; omit \
             `ProviderId` for OpenID Connect ID tokens"
        ),
    )
}

/// Reads an integer date claim; `Ok(None)` when absent.
fn date_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, WebIdentityError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| {
            invalid(
                TokenFault::ClaimFormat,
                format!("the `{name}` claim is not an integer"),
            )
        }),
    }
}

/// Reads a claim that is a string or an array of strings.
fn string_list_claim(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<Vec<String>>, WebIdentityError> {
    let bad = || {
        invalid(
            TokenFault::ClaimFormat,
            format!("the `{name}` claim is not a string or an array of strings"),
        )
    };
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

fn optional_string_claim(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, WebIdentityError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(
            TokenFault::ClaimFormat,
            format!("the `{name}` claim is not a string"),
        )),
    }
}

/// Verifies a `WebIdentityToken` (an OIDC ID token) against the providers configured in the
/// role's account, at time `now`.
///
/// Checks, in order: length (4–20000 characters), compact-JWS form, header `alg` (RS256/384/512
/// or ES256/384) and `crit`, the unverified `iss` names one of `providers`, key choice by `kid`,
/// signature (by `jsonwebtoken`), then on the verified claims: `aud`/`azp` against the
/// provider's client ids, `exp` (required integer, strictly in the future), `nbf` and `iat`
/// (integers, at most [`CLOCK_SKEW_SECONDS`] ahead), and `sub` (6–255 characters).
pub fn verify_web_identity_token(
    token: &str,
    providers: &[OidcProvider],
    now: DateTime<Utc>,
) -> Result<VerifiedWebIdentity, WebIdentityError> {
    check_token_length(token)?;
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(
            TokenFault::Malformed,
            "the token is not a signed jwt of three dot-separated parts",
        ));
    };
    let header = decode_segment(header_b64, "header")?;
    let alg_name = match header.get("alg") {
        Some(Value::String(a)) => a.as_str(),
        _ => {
            return Err(invalid(
                TokenFault::Algorithm,
                "the token header has no `alg`",
            ))
        }
    };
    let Some(alg) = ALLOWED_ALGS
        .iter()
        .find(|(name, _)| *name == alg_name)
        .map(|(_, alg)| *alg)
    else {
        return Err(invalid(
            TokenFault::Algorithm,
            format!(
                "the token signature algorithm `{alg_name}` is not allowed; use RS256, RS384, \
                 RS512, ES256 or ES384"
            ),
        ));
    };
    if header.contains_key("crit") {
        return Err(invalid(
            TokenFault::CriticalHeader,
            "the token header has critical extensions (`crit`), which are not supported",
        ));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => {
            return Err(invalid(
                TokenFault::Malformed,
                "the token header `kid` is not a string",
            ))
        }
    };

    // Unverified claims are used only to pick the provider whose keys verify the token.
    let unverified = decode_segment(payload_b64, "payload")?;
    let Some(Value::String(unverified_iss)) = unverified.get("iss") else {
        return Err(invalid(TokenFault::Issuer, "the token has no `iss` claim"));
    };
    let Some(provider) = providers.iter().find(|p| p.issues(unverified_iss)) else {
        let host = unverified_iss
            .strip_prefix("https://")
            .unwrap_or(unverified_iss);
        if BUILT_IN_OIDC_PROVIDERS.contains(&host) {
            return Err(invalid(
                TokenFault::ProviderUnreachable,
                format!(
                    "cannot fetch the signing keys of `{host}`: this token service is offline \
                     and its directory declares no keys for that provider"
                ),
            ));
        }
        return Err(invalid(
            TokenFault::Issuer,
            format!("No OpenIDConnect provider found in your account for {unverified_iss}"),
        ));
    };

    let key = choose_key(&provider.keys, kid, alg, alg_name)?;
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation) {
        Ok(data) => data.claims,
        Err(e) => {
            return Err(match e.kind() {
                ErrorKind::InvalidSignature => invalid(
                    TokenFault::Signature,
                    "the token signature does not verify with the provider's key",
                ),
                ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidAlgorithmName
                | ErrorKind::MissingAlgorithm
                | ErrorKind::InvalidKeyFormat
                | ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidRsaKey(_) => invalid(
                    TokenFault::Algorithm,
                    format!("the provider's key cannot verify a `{alg_name}` signature"),
                ),
                _ => invalid(
                    TokenFault::Malformed,
                    format!("the token is malformed: {e}"),
                ),
            })
        }
    };

    verified_identity(provider, claims, now)
}

/// The client id a token is accepted for: the first `aud` value, else `azp`, that is one of
/// the provider's client ids. A built-in provider without client ids accepts any audience:
/// Google's is `azp` when present (the requesting client, evaluation.md §9.2), otherwise the
/// token's only `aud` value; several `aud` values leave no single audience to report.
fn accepted_audience(
    provider: &OidcProvider,
    aud: &[String],
    azp: Option<&String>,
) -> Result<String, WebIdentityError> {
    if provider.client_ids.is_empty() {
        let google_azp = azp.filter(|_| provider.key_prefix == GOOGLE);
        return match (google_azp, aud) {
            (Some(azp), _) => Ok(azp.clone()),
            (None, [one]) => Ok(one.clone()),
            (None, values) => Err(invalid(
                TokenFault::Audience,
                format!(
                    "Incorrect token audience: the token has {} `aud` values and `{}` accepts \
                     tokens with exactly one",
                    values.len(),
                    provider.key_prefix
                ),
            )),
        };
    }
    aud.iter()
        .chain(azp)
        .find(|a| provider.client_ids.contains(a))
        .cloned()
        .ok_or_else(|| invalid(TokenFault::Audience, "Incorrect token audience"))
}

fn choose_key<'a>(
    keys: &'a ProviderKeys,
    kid: Option<&str>,
    alg: Algorithm,
    alg_name: &str,
) -> Result<&'a ProviderKey, WebIdentityError> {
    let key = match kid {
        Some(kid) => keys
            .keys
            .iter()
            .find(|k| k.kid() == Some(kid))
            .ok_or_else(|| {
                invalid(
                    TokenFault::UnknownKey,
                    format!("the provider's jwks has no key with kid `{kid}`"),
                )
            })?,
        None => match keys.keys.as_slice() {
            [only] => only,
            many => {
                return Err(invalid(
                    TokenFault::UnknownKey,
                    format!(
                        "the token has no `kid` and the provider's jwks has {} keys",
                        many.len()
                    ),
                ))
            }
        },
    };
    if !key.fits(alg, alg_name) {
        return Err(invalid(
            TokenFault::Algorithm,
            format!("the provider's key cannot verify a `{alg_name}` signature"),
        ));
    }
    Ok(key)
}

fn verified_identity(
    provider: &OidcProvider,
    claims: Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<VerifiedWebIdentity, WebIdentityError> {
    let issuer = match claims.get("iss") {
        Some(Value::String(iss)) if provider.issues(iss) => iss.clone(),
        _ => {
            return Err(invalid(
                TokenFault::Issuer,
                format!("the token `iss` does not name `{}`", provider.url),
            ))
        }
    };

    let aud = string_list_claim(&claims, "aud")?.unwrap_or_default();
    let azp = optional_string_claim(&claims, "azp")?;
    let client_id = accepted_audience(provider, &aud, azp.as_ref())?;

    let now_secs = now.timestamp();
    let Some(exp) = date_claim(&claims, "exp")? else {
        return Err(invalid(
            TokenFault::ClaimFormat,
            "the token has no `exp` claim",
        ));
    };
    if now_secs >= exp {
        return Err(invalid(
            TokenFault::Expired,
            format!(
                "Token expired: current date/time {now_secs} must be before the expiration \
                 date/time {exp}"
            ),
        ));
    }
    let latest = now_secs.saturating_add(CLOCK_SKEW_SECONDS);
    if let Some(nbf) = date_claim(&claims, "nbf")? {
        if nbf > latest {
            return Err(invalid(
                TokenFault::NotYetValid,
                format!("the token is not valid before {nbf}; current date/time {now_secs}"),
            ));
        }
    }
    let issued_at = date_claim(&claims, "iat")?;
    if let Some(iat) = issued_at {
        if iat > latest {
            return Err(invalid(
                TokenFault::IssuedInFuture,
                format!(
                    "the token was issued in the future at {iat}; current date/time {now_secs}"
                ),
            ));
        }
    }

    let sub = match claims.get("sub") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(invalid(
                TokenFault::Subject,
                "the token has no string `sub` claim",
            ))
        }
    };
    let sub_len = sub.chars().count();
    if !(SUBJECT_MIN_CHARS..=SUBJECT_MAX_CHARS).contains(&sub_len) {
        return Err(invalid(
            TokenFault::Subject,
            format!(
                "the token `sub` has {sub_len} characters; it must have \
                 {SUBJECT_MIN_CHARS} to {SUBJECT_MAX_CHARS}"
            ),
        ));
    }

    let amr = string_list_claim(&claims, "amr")?.unwrap_or_default();
    let (principal_tags, transitive_tag_keys) = session_tag_claims(&claims)?;
    let source_identity = optional_string_claim(&claims, SOURCE_IDENTITY_CLAIM)?;
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // Deduplicate `aud` for the condition key while keeping order.
    let mut seen = BTreeSet::new();
    let aud: Vec<String> = aud.into_iter().filter(|a| seen.insert(a.clone())).collect();

    Ok(VerifiedWebIdentity {
        provider_key: provider.key_prefix.clone(),
        provider_arn: provider.arn.clone(),
        issuer,
        sub,
        aud,
        client_id,
        azp,
        amr,
        email,
        expires_at: exp,
        issued_at,
        principal_tags,
        transitive_tag_keys,
        source_identity,
        claims,
    })
}

/// Session tags of the claim `https://aws.amazon.com/tags`:
/// `{"principal_tags": {"<Key>": ["<value>"]}, "transitive_tag_keys": ["<Key>", ...]}`.
/// Each tag must carry exactly one string value (multi-valued session tags are not supported,
/// sts-api.md §7.2). Tag key and value rules are checked later with the request's own tags.
#[expect(
    clippy::type_complexity,
    reason = "a private helper returning the two lists it parses"
)]
fn session_tag_claims(
    claims: &Map<String, Value>,
) -> Result<(Vec<(String, String)>, Vec<String>), WebIdentityError> {
    let bad = |what: &str| {
        invalid(
            TokenFault::ClaimFormat,
            format!("the `{TAGS_CLAIM}` claim {what}"),
        )
    };
    let Some(tags) = claims.get(TAGS_CLAIM) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let tags = tags.as_object().ok_or_else(|| bad("is not an object"))?;
    let mut principal_tags = Vec::new();
    if let Some(pt) = tags.get("principal_tags") {
        let pt = pt
            .as_object()
            .ok_or_else(|| bad("has a `principal_tags` that is not an object"))?;
        for (key, value) in pt {
            let value = match value {
                Value::Array(items) => match items.as_slice() {
                    [Value::String(v)] => v.clone(),
                    _ => {
                        return Err(bad(&format!(
                            "gives tag `{key}` other than exactly one string value"
                        )))
                    }
                },
                _ => {
                    return Err(bad(&format!(
                        "gives tag `{key}` a value that is not an array"
                    )))
                }
            };
            principal_tags.push((key.clone(), value));
        }
    }
    let transitive = match tags.get("transitive_tag_keys") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("has a `transitive_tag_keys` entry that is not a string"))?,
        Some(_) => return Err(bad("has a `transitive_tag_keys` that is not an array")),
    };
    Ok((principal_tags, transitive))
}
