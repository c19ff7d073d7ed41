//! Stage: the STS operations as a library (sts-api.md §2–§11), between the wire layer
//! (which parses requests and renders answers) and the engine (which decides).
//!
//! Input: an authenticated [`Caller`] (or none, for unsigned operations) and the
//! operation's parameters. Output: issued credentials (sealed, self-contained session
//! tokens), identity answers, authorization decisions, or an [`StsError`] with the code,
//! status and message AWS would send.
//! Never: keeps per-session state (the token carries the session), reads the system clock
//! or the OS random source directly (both are injected), reaches into engine internals, or
//! puts a secret into an error message.
//!
//! Unsigned operations (`AssumeRoleWithWebIdentity`, `AssumeRoleWithSAML` with the `saml`
//! feature) evaluate the role's trust policy with the identity provider as the principal
//! (its OIDC/SAML provider ARN, or the host of a built-in web-identity provider such as
//! `accounts.google.com`); the trust policy and RCPs alone decide. Project decisions: web
//! identity tokens verify against the IAM OIDC providers of the role's account, then the
//! directory's built-in providers (an account's IAM OIDC provider for the same issuer takes
//! precedence); OAuth 2.0 access tokens (`ProviderId`) are never accepted, since validating
//! them needs the network (see `webidentity`); SAML sessions also record
//! `aws:FederatedProvider` (the provider ARN), following the 2023 global-keys text
//! (evaluation.md §8 marks this disputed).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use iam_policy::context::{Context, ContextValue};
use iam_policy::layers::{EffectivePermissions, ResourceKind};
use iam_policy::{CompileOptions, Decision, Explanation, PolicySet, PolicyType, Request};

use crate::clock::{Clock, Random};
use crate::credentials::{
    access_key_account, generate_access_key_id, generate_secret_access_key, AccessKeyKind,
    Credentials,
};
use crate::directory::{Directory, KeyStatus, SharedDirectory};
use crate::error::{StsError, ValidationFailure};
use crate::keyring::{KeyRing, NONCE_LEN};
use crate::session::{
    add_time_keys, merge_extra, principal_context, token_digest, Caller, CallerKind, OpenedSession,
    PermissionCache, Session, SessionCache,
};
use crate::sigv4::{self, SecretKey, SigV4Error, SignedRequest};
use crate::token::{
    check_presented, open_for_access_key, seal_padded, MfaInfo, RoleInfo, SessionKind,
    SessionRecord, SessionTag, MAX_TOKEN_CHARS, TOKEN_SIZE_BUDGET,
};
use crate::totp::{verify_token_code, TotpSecret, MFA_FAILED_MESSAGE};
use crate::webidentity::{
    check_token_length, refuse_access_token, verify_web_identity_token, OidcProvider, ProviderKeys,
    TokenFault, WebIdentityError,
};

/// The project's packed-size limit for session policies and tags, in bytes of their compact
/// form (sts-api.md §2.3 \[project decision\]): inline policy text without ASCII whitespace,
/// plus each managed policy ARN, plus each tag's key and value with two bytes of framing.
pub const PACKED_POLICY_LIMIT: usize = 4_096;
/// The plaintext limit of inline plus managed session policies, in characters.
pub const SESSION_POLICY_PLAINTEXT_LIMIT: usize = 2_048;
/// Most managed session policies per request.
pub const MAX_POLICY_ARNS: usize = 10;
/// Most session tags (and transitive tag keys) per request.
pub const MAX_SESSION_TAGS: usize = 50;
/// The role-chaining duration cap in seconds.
pub const ROLE_CHAINING_MAX_SECONDS: i64 = 3_600;
/// The duration cap of root sessions (GetSessionToken / GetFederationToken), in seconds.
pub const ROOT_SESSION_MAX_SECONDS: i64 = 3_600;

const ROLE_SESSION_NAME_PATTERN: &str = r"[\w+=,.@-]*";
const EXTERNAL_ID_PATTERN: &str = r"[\w+=,.@:\/-]*";
const SERIAL_PATTERN: &str = r"[\w+=/:,.@-]*";
const TOKEN_CODE_PATTERN: &str = r"[\d]*";
const POLICY_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
const TAG_KEY_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";
const ACCESS_KEY_PATTERN: &str = r"[\w]*";
const ARN_PATTERN: &str =
    r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+";

const MAX_DURATION_MESSAGE: &str =
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.";
const CHAINING_MESSAGE: &str =
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.";
const DUPLICATE_TAGS_MESSAGE: &str =
    "Duplicate tag keys found. Please note that Tag keys are case insensitive.";
const TRANSITIVE_NOT_IN_TAGS_MESSAGE: &str =
    "The specified transitive tag key must be included in the requested tags.";
const TRANSITIVE_CONFLICT_MESSAGE: &str = "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.";
/// AWS's GetSessionToken MFA failure text (sts-api.md §4, note the double space).
const GST_MFA_FAILED_MESSAGE: &str = "GetSessionToken call failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.";
const AUTHZ_MESSAGE_AD: &[u8] = b"iamctl-authorization-message-v1";

/// Configuration of a [`TokenService`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The region this endpoint serves (`aws:RequestedRegion` default).
    pub region: String,
    /// Regions in which STS is enabled; a request for another gets `RegionDisabledException`.
    /// Empty means every region.
    pub enabled_regions: Vec<String>,
    /// Most callers whose compiled permissions are cached.
    pub cache_capacity: usize,
    /// Default `DurationSeconds` of the role-assuming operations.
    pub default_role_duration: i64,
    /// Default `DurationSeconds` of GetSessionToken and GetFederationToken.
    pub default_session_duration: i64,
    /// Lifetime of encoded authorization messages, in seconds.
    pub authorization_message_ttl: i64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            region: "us-east-1".to_owned(),
            enabled_regions: Vec::new(),
            cache_capacity: 10_000,
            default_role_duration: 3_600,
            default_session_duration: 43_200,
            authorization_message_ttl: 3_600,
        }
    }
}

/// One `{ProviderArn, ContextAssertion}` of `ProvidedContexts`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProvidedContext {
    /// `ProviderArn`.
    pub provider_arn: String,
    /// `ContextAssertion`.
    pub context_assertion: String,
}

/// Parameters of `AssumeRole` (sts-api.md §3).
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleParams {
    /// `RoleArn` (required).
    pub role_arn: Option<String>,
    /// `RoleSessionName` (required).
    pub role_session_name: Option<String>,
    /// `PolicyArns`.
    pub policy_arns: Vec<String>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `Tags`.
    pub tags: Vec<SessionTag>,
    /// `TransitiveTagKeys`.
    pub transitive_tag_keys: Vec<String>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `SerialNumber`.
    pub serial_number: Option<String>,
    /// `TokenCode`.
    pub token_code: Option<String>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
    /// `ProvidedContexts`.
    pub provided_contexts: Vec<ProvidedContext>,
    /// `MinimumSessionTokenSize`.
    pub minimum_session_token_size: Option<i64>,
    /// Transport keys of the request (`aws:SourceIp`, `aws:SecureTransport`,
    /// `aws:UserAgent`, `aws:RequestedRegion`); they never override principal keys.
    pub request_context: Context,
}

/// Parameters of `GetSessionToken` (sts-api.md §4).
#[derive(Debug, Clone, Default)]
pub struct GetSessionTokenParams {
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `SerialNumber`.
    pub serial_number: Option<String>,
    /// `TokenCode`.
    pub token_code: Option<String>,
    /// `MinimumSessionTokenSize`.
    pub minimum_session_token_size: Option<i64>,
}

/// Parameters of `GetFederationToken` (sts-api.md §5).
#[derive(Debug, Clone, Default)]
pub struct GetFederationTokenParams {
    /// `Name` (required).
    pub name: Option<String>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `PolicyArns`.
    pub policy_arns: Vec<String>,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `Tags`.
    pub tags: Vec<SessionTag>,
    /// `MinimumSessionTokenSize`.
    pub minimum_session_token_size: Option<i64>,
    /// Transport keys of the request (see [`AssumeRoleParams::request_context`]).
    pub request_context: Context,
}

/// Parameters of `AssumeRoleWithWebIdentity` (sts-api.md §6.1). The request is unsigned.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleWithWebIdentityParams {
    /// `RoleArn` (required).
    pub role_arn: Option<String>,
    /// `RoleSessionName` (required).
    pub role_session_name: Option<String>,
    /// `WebIdentityToken` (required, sensitive: never echoed).
    pub web_identity_token: Option<String>,
    /// `ProviderId` (OAuth 2.0 access tokens of `www.amazon.com` / `graph.facebook.com`).
    pub provider_id: Option<String>,
    /// `PolicyArns`.
    pub policy_arns: Vec<String>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `MinimumSessionTokenSize`.
    pub minimum_session_token_size: Option<i64>,
    /// Transport keys of the request (see [`AssumeRoleParams::request_context`]).
    pub request_context: Context,
}

/// The `AssumeRoleWithWebIdentity` answer: the issued credentials plus the web-identity
/// response fields.
#[derive(Debug, Clone)]
pub struct WebIdentityCredentials {
    /// `Credentials`, `AssumedRoleUser`, `PackedPolicySize`, `SourceIdentity`, sizes.
    pub issued: IssuedCredentials,
    /// `SubjectFromWebIdentityToken` (the `sub` claim).
    pub subject_from_web_identity_token: String,
    /// `Provider`: the IAM OIDC provider ARN (or the `iss` of a built-in provider).
    pub provider: String,
    /// `Audience`: the client id the token was accepted for.
    pub audience: String,
}

/// Parameters of `AssumeRoleWithSAML` (sts-api.md §6.2). The request is unsigned.
#[cfg(feature = "saml")]
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleWithSamlParams {
    /// `RoleArn` (required).
    pub role_arn: Option<String>,
    /// `PrincipalArn` (required): the SAML provider ARN.
    pub principal_arn: Option<String>,
    /// `SAMLAssertion` (required, sensitive: never echoed).
    pub saml_assertion: Option<String>,
    /// `PolicyArns`.
    pub policy_arns: Vec<String>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `MinimumSessionTokenSize`.
    pub minimum_session_token_size: Option<i64>,
    /// Transport keys of the request (see [`AssumeRoleParams::request_context`]).
    pub request_context: Context,
}

/// The `AssumeRoleWithSAML` answer: the issued credentials plus the SAML response fields.
#[cfg(feature = "saml")]
#[derive(Debug, Clone)]
pub struct SamlCredentials {
    /// `Credentials`, `AssumedRoleUser`, `PackedPolicySize`, `SourceIdentity`, sizes.
    pub issued: IssuedCredentials,
    /// `Subject` (the `NameID`).
    pub subject: String,
    /// `SubjectType` (the `NameID` format, shortened as AWS does).
    pub subject_type: String,
    /// `Issuer`.
    pub issuer: String,
    /// `Audience` (the `Recipient`).
    pub audience: String,
    /// `NameQualifier`.
    pub name_qualifier: String,
}

/// `AssumedRoleUser` of a role-assuming answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRoleUser {
    /// `<role unique id>:<session name>`.
    pub assumed_role_id: String,
    /// `arn:aws:sts::<acct>:assumed-role/<role>/<session>`.
    pub arn: String,
}

/// `FederatedUser` of a GetFederationToken answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedUser {
    /// `<account>:<name>`.
    pub federated_user_id: String,
    /// `arn:aws:sts::<acct>:federated-user/<name>`.
    pub arn: String,
}

/// What a credential-issuing operation answers.
#[derive(Debug, Clone)]
pub struct IssuedCredentials {
    /// `Credentials`.
    pub credentials: Credentials,
    /// `AssumedRoleUser` (role-assuming operations).
    pub assumed_role_user: Option<AssumedRoleUser>,
    /// `FederatedUser` (GetFederationToken).
    pub federated_user: Option<FederatedUser>,
    /// `PackedPolicySize`: percentage of [`PACKED_POLICY_LIMIT`] used; absent for AssumeRole
    /// without policies or tags, 0 for GetFederationToken without any.
    pub packed_policy_size: Option<u32>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
    /// `SessionTokenSize`: the token length in bytes.
    pub session_token_size: usize,
    /// `SessionTokenUtilization`: percentage of the 4,096-byte token budget.
    pub session_token_utilization: u32,
}

/// The `GetCallerIdentity` answer (sts-api.md §10.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// `UserId` (= `aws:userid`).
    pub user_id: String,
    /// `Account`.
    pub account: String,
    /// `Arn`.
    pub arn: String,
}

/// The outcome of [`TokenService::authorize`]: the decision, the frozen permissions and the
/// request as the engine saw it (so the decision can be explained).
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The decision.
    pub decision: Decision,
    /// The caller's compiled permissions.
    pub permissions: Arc<EffectivePermissions>,
    /// The request with its full context.
    pub request: Request,
}

impl Authorization {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// The engine's explanation of the decision.
    pub fn explain(&self) -> Explanation {
        self.permissions.explain(&self.request)
    }
}

/// The STS token service: issues and checks stateless sealed credentials.
pub struct TokenService {
    directory: SharedDirectory,
    keyring: Arc<RwLock<KeyRing>>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    cache: PermissionCache,
    sessions: SessionCache,
    config: ServiceConfig,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("config", &self.config)
            .field("cached", &self.cache.len())
            .field("opened_sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

/// Collects model-constraint failures in request order.
#[derive(Default)]
struct Checks(Vec<ValidationFailure>);

impl Checks {
    fn length(&mut self, value: &str, member: &str, min: usize, max: Option<usize>) -> bool {
        let n = value.chars().count();
        if n < min {
            self.0.push(ValidationFailure::new(
                value,
                member,
                format!("have length greater than or equal to {min}"),
            ));
            return false;
        }
        if let Some(max) = max.filter(|m| n > *m) {
            self.0.push(ValidationFailure::new(
                value,
                member,
                format!("have length less than or equal to {max}"),
            ));
            return false;
        }
        true
    }

    fn pattern(&mut self, value: &str, member: &str, pattern: &str, ok: impl Fn(char) -> bool) {
        if !value.chars().all(ok) {
            self.0.push(ValidationFailure::new(
                value,
                member,
                format!("satisfy regular expression pattern: {pattern}"),
            ));
        }
    }

    fn string(
        &mut self,
        value: &str,
        member: &str,
        (min, max): (usize, Option<usize>),
        pattern: &str,
        ok: impl Fn(char) -> bool,
    ) {
        if self.length(value, member, min, max) {
            self.pattern(value, member, pattern, ok);
        }
    }

    fn required<'a>(&mut self, value: Option<&'a str>, member: &str) -> Option<&'a str> {
        if value.is_none() {
            self.0.push(ValidationFailure::missing(member));
        }
        value
    }

    fn range(&mut self, value: i64, member: &str, min: i64, max: i64) {
        if value < min {
            self.0.push(ValidationFailure::new(
                value.to_string(),
                member,
                format!("have value greater than or equal to {min}"),
            ));
        } else if value > max {
            self.0.push(ValidationFailure::new(
                value.to_string(),
                member,
                format!("have value less than or equal to {max}"),
            ));
        }
    }

    fn arn(&mut self, value: &str, member: &str) {
        self.string(value, member, (20, Some(2048)), ARN_PATTERN, is_arn_char);
    }

    fn policy(&mut self, value: &str, max: Option<usize>) {
        self.string(value, "policy", (1, max), POLICY_PATTERN, is_policy_char);
    }

    fn policy_arns(&mut self, arns: &[String]) {
        if arns.len() > MAX_POLICY_ARNS {
            self.0.push(ValidationFailure::new(
                format!("[{}]", arns.join(", ")),
                "policyArns",
                format!("have length less than or equal to {MAX_POLICY_ARNS}"),
            ));
        }
        for (i, arn) in arns.iter().enumerate() {
            self.arn(
                arn,
                &format!("policyArns.{}.member.arn", i.saturating_add(1)),
            );
        }
    }

    fn tags(&mut self, tags: &[SessionTag]) {
        if tags.len() > MAX_SESSION_TAGS {
            self.0.push(ValidationFailure::new(
                format!("[{} tags]", tags.len()),
                "tags",
                format!("have length less than or equal to {MAX_SESSION_TAGS}"),
            ));
        }
        for (i, t) in tags.iter().enumerate() {
            let n = i.saturating_add(1);
            self.string(
                &t.key,
                &format!("tags.{n}.member.key"),
                (1, Some(128)),
                TAG_KEY_PATTERN,
                is_tag_char,
            );
            self.string(
                &t.value,
                &format!("tags.{n}.member.value"),
                (0, Some(256)),
                TAG_VALUE_PATTERN,
                is_tag_char,
            );
        }
    }

    fn duration(&mut self, value: Option<i64>, max: i64) {
        if let Some(d) = value {
            self.range(d, "durationSeconds", 900, max);
        }
    }

    fn mfa(&mut self, serial: Option<&str>, code: Option<&str>) {
        if let Some(s) = serial {
            self.string(s, "serialNumber", (9, Some(256)), SERIAL_PATTERN, |c| {
                is_word(c) || "+=/:,.@-".contains(c)
            });
        }
        if let Some(c) = code {
            self.string(c, "tokenCode", (6, Some(6)), TOKEN_CODE_PATTERN, |c| {
                c.is_ascii_digit()
            });
        }
    }

    fn min_token_size(&mut self, value: Option<i64>) {
        if let Some(v) = value {
            self.range(v, "minimumSessionTokenSize", 0, 4096);
        }
    }

    /// A required ARN member (`roleArn`, `principalArn`).
    fn required_arn<'a>(&mut self, value: Option<&'a str>, member: &str) -> Option<&'a str> {
        let value = self.required(value, member);
        if let Some(a) = value {
            self.arn(a, member);
        }
        value
    }

    /// The required `RoleSessionName`: 2–64 characters of `[\w+=,.@-]`.
    fn role_session_name<'a>(&mut self, value: Option<&'a str>) -> Option<&'a str> {
        let value = self.required(value, "roleSessionName");
        if let Some(n) = value {
            self.string(
                n,
                "roleSessionName",
                (2, Some(64)),
                ROLE_SESSION_NAME_PATTERN,
                is_name_char,
            );
        }
        value
    }

    /// `PolicyArns`, `Policy` (at most 2,048 characters), `DurationSeconds` and
    /// `MinimumSessionTokenSize` of the unsigned role operations.
    fn federated_session_params(
        &mut self,
        policy_arns: &[String],
        policy: Option<&str>,
        duration: Option<i64>,
        minimum_session_token_size: Option<i64>,
    ) {
        self.policy_arns(policy_arns);
        if let Some(pol) = policy {
            self.policy(pol, Some(SESSION_POLICY_PLAINTEXT_LIMIT));
        }
        self.duration(duration, 43_200);
        self.min_token_size(minimum_session_token_size);
    }

    fn finish(self) -> Result<(), StsError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(StsError::Validation(self.0))
        }
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_name_char(c: char) -> bool {
    is_word(c) || "+=,.@-".contains(c)
}

fn is_arn_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn is_policy_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')
}

/// `\p{L}\p{Z}\p{N}_.:/=+\-@`, with `\p{L}` approximated by `char::is_alphabetic` and
/// `\p{N}` by `char::is_numeric`.
fn is_tag_char(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || matches!(
            c,
            ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
        )
        || "_.:/=+-@".contains(c)
}

fn single(s: impl Into<String>) -> ContextValue {
    ContextValue::Single(s.into())
}

/// Checks tag semantics (sts-api.md §7.2): no duplicate keys (case-insensitive), no `aws:`
/// prefix.
fn check_tag_rules(tags: &[SessionTag]) -> Result<(), StsError> {
    let mut seen = BTreeSet::new();
    for t in tags {
        if t.key.len() >= 4
            && t.key
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
        {
            return Err(StsError::InvalidParameterValue(format!(
                "Tag keys starting with 'aws:' are reserved for AWS use: {}",
                t.key
            )));
        }
        if !seen.insert(t.key.to_lowercase()) {
            return Err(StsError::InvalidParameterValue(
                DUPLICATE_TAGS_MESSAGE.to_owned(),
            ));
        }
    }
    Ok(())
}

/// Parses an inline session policy (`MalformedPolicyDocument` on failure).
/// `aws:RequestTag/<key>` of each session tag and the multi-valued `aws:TagKeys` (none
/// without tags).
fn insert_request_tags(ctx: &mut Context, tags: &[SessionTag]) {
    if tags.is_empty() {
        return;
    }
    for t in tags {
        ctx.insert(
            &format!("aws:RequestTag/{}", t.key),
            single(t.value.clone()),
        );
    }
    ctx.insert(
        "aws:TagKeys",
        ContextValue::Multi(tags.iter().map(|t| t.key.clone()).collect()),
    );
}

/// `aws:ResourceTag/<key>` and `iam:ResourceTag/<key>` of each (key, value) of the role.
fn insert_resource_tags<'t>(
    ctx: &mut Context,
    tags: impl IntoIterator<Item = (&'t String, &'t String)>,
) {
    for (key, value) in tags {
        ctx.insert(&format!("aws:ResourceTag/{key}"), single(value.clone()));
        ctx.insert(&format!("iam:ResourceTag/{key}"), single(value.clone()));
    }
}

/// Every transitive tag key must name one of the session tags (case-insensitively).
fn check_transitive_in_tags(transitive: &[String], tags: &[SessionTag]) -> Result<(), StsError> {
    if transitive
        .iter()
        .all(|k| tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)))
    {
        return Ok(());
    }
    Err(StsError::InvalidParameterValue(
        TRANSITIVE_NOT_IN_TAGS_MESSAGE.to_owned(),
    ))
}

fn compile_session_policy(text: &str) -> Result<PolicySet, StsError> {
    if serde_json::from_str::<serde_json::Value>(text).is_err() {
        return Err(StsError::MalformedPolicyDocument(
            "This policy contains invalid Json".to_owned(),
        ));
    }
    PolicySet::from_json(
        text,
        PolicyType::Session,
        &CompileOptions::default().with_label("session policy"),
    )
    .map_err(|e| {
        StsError::MalformedPolicyDocument(e.diagnostics().first().map_or_else(
            || "Syntax errors in policy.".to_owned(),
            |d| d.message().to_owned(),
        ))
    })
}

/// The packed size in bytes of session policies and tags (see [`PACKED_POLICY_LIMIT`]).
pub fn packed_size(policy: Option<&str>, policy_arns: &[String], tags: &[SessionTag]) -> usize {
    let inline = policy.map_or(0, |p| {
        p.chars().filter(|c| !c.is_ascii_whitespace()).count()
    });
    let arns: usize = policy_arns.iter().map(String::len).sum();
    let tag_bytes: usize = tags
        .iter()
        .map(|t| t.key.len().saturating_add(t.value.len()).saturating_add(2))
        .sum();
    inline.saturating_add(arns).saturating_add(tag_bytes)
}

fn percent(part: usize, whole: usize) -> u32 {
    let p = part.saturating_mul(100).div_ceil(whole.max(1));
    u32::try_from(p).unwrap_or(u32::MAX)
}

/// The web-identity providers that verify tokens for roles of `account`, in the form the
/// token verifier takes: the account's IAM OIDC providers first (they win over a built-in
/// provider with the same issuer), then the directory's built-in providers. A provider whose
/// keys cannot be used is skipped (it then verifies no token).
fn web_identity_providers_of(dir: &Directory, account: &str) -> Vec<OidcProvider> {
    let iam = dir
        .account(account)
        .map(|acct| acct.oidc_providers.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            OidcProvider::iam(
                account,
                &format!("https://{}", p.issuer),
                p.client_ids.clone(),
                provider_keys(&p.keys)?,
            )
            .ok()
        });
    let builtin = dir.builtin_providers().iter().filter_map(|p| {
        OidcProvider::well_known(
            &format!("https://{}", p.host),
            p.client_ids.clone(),
            provider_keys(&p.keys)?,
        )
        .ok()
    });
    iam.chain(builtin).collect()
}

/// Directory JWKs as the verifier's key set; `None` when none is usable.
fn provider_keys(keys: &[crate::directory::Jwk]) -> Option<ProviderKeys> {
    let keys: Vec<serde_json::Value> = keys.iter().map(jwk_json).collect();
    ProviderKeys::from_json(&serde_json::json!({ "keys": keys }).to_string()).ok()
}

/// A directory JWK as a JWK-set member.
fn jwk_json(k: &crate::directory::Jwk) -> serde_json::Value {
    use crate::directory::{EcCurve, JwkKey};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let mut v = match &k.key {
        JwkKey::Rsa { n, e } => serde_json::json!({
            "kty": "RSA", "n": B64.encode(n), "e": B64.encode(e)
        }),
        JwkKey::Ec { curve, x, y } => serde_json::json!({
            "kty": "EC",
            "crv": match curve { EcCurve::P256 => "P-256", EcCurve::P384 => "P-384", EcCurve::P521 => "P-521" },
            "x": B64.encode(x), "y": B64.encode(y)
        }),
    };
    if let Some(obj) = v.as_object_mut() {
        if let Some(kid) = &k.kid {
            obj.insert("kid".to_owned(), serde_json::Value::String(kid.clone()));
        }
        if let Some(alg) = &k.alg {
            obj.insert("alg".to_owned(), serde_json::Value::String(alg.clone()));
        }
    }
    v
}

/// The STS error of a rejected web-identity token.
fn token_error(e: WebIdentityError) -> StsError {
    match e.fault {
        TokenFault::Length => StsError::ValidationMessage(e.message),
        TokenFault::Expired => StsError::ExpiredTokenException(e.message),
        TokenFault::Subject => StsError::IdpRejectedClaim(e.message),
        TokenFault::ProviderUnreachable => StsError::IdpCommunicationError(e.message),
        TokenFault::ProviderId => StsError::InvalidParameterValue(e.message),
        _ => StsError::InvalidIdentityToken(e.message),
    }
}

/// GetSessionToken and GetFederationToken take long-term credentials only.
fn refuse_temporary_caller(caller: &Caller, operation: &str) -> Result<(), StsError> {
    if caller.is_temporary() {
        return Err(StsError::AccessDenied(format!(
            "Cannot call {operation} with session credentials"
        )));
    }
    Ok(())
}

/// The session policies parse and every managed one exists in `account` (sts-api.md §2.3).
fn check_session_policy_documents(
    dir: &Directory,
    account: &str,
    policy: Option<&str>,
    policy_arns: &[String],
) -> Result<(), StsError> {
    if let Some(text) = policy {
        compile_session_policy(text)?;
    }
    match policy_arns
        .iter()
        .find(|arn| dir.managed_policy(account, arn).is_none())
    {
        Some(arn) => Err(StsError::InvalidParameterValue(format!(
            "Policy {arn} does not exist or is not attachable."
        ))),
        None => Ok(()),
    }
}

/// The packed size of the session policies and `tags` in percent of
/// [`PACKED_POLICY_LIMIT`]; `PackedPolicyTooLarge` above it.
fn packed_percent(
    policy: Option<&str>,
    policy_arns: &[String],
    tags: &[SessionTag],
) -> Result<u32, StsError> {
    let packed = packed_size(policy, policy_arns, tags);
    let packed_pct = percent(packed, PACKED_POLICY_LIMIT);
    if packed > PACKED_POLICY_LIMIT {
        return Err(StsError::PackedPolicyTooLarge(format!(
            "Packed size of the session policies and tags is {packed_pct}% of the allowed limit"
        )));
    }
    Ok(packed_pct)
}

/// The session-policy checks of the role-assuming operations after authorization: the
/// documents ([`check_session_policy_documents`]), inline plus managed plaintext within
/// [`SESSION_POLICY_PLAINTEXT_LIMIT`] characters, and the packed size with `tags`. Returns
/// `PackedPolicySize` (percent), present only when policies or tags were passed.
fn check_role_session_policies(
    dir: &Directory,
    account: &str,
    policy: Option<&str>,
    policy_arns: &[String],
    tags: &[SessionTag],
) -> Result<Option<u32>, StsError> {
    check_session_policy_documents(dir, account, policy, policy_arns)?;
    let plaintext = policy.map_or(0, |x| x.chars().count())
        + policy_arns.iter().map(|a| a.chars().count()).sum::<usize>();
    if plaintext > SESSION_POLICY_PLAINTEXT_LIMIT {
        return Err(StsError::validation(ValidationFailure::new(
            policy.unwrap_or_default(),
            "policy",
            format!("have length less than or equal to {SESSION_POLICY_PLAINTEXT_LIMIT}"),
        )));
    }
    let packed_pct = packed_percent(policy, policy_arns, tags)?;
    let has_extras = policy.is_some() || !policy_arns.is_empty() || !tags.is_empty();
    Ok(has_extras.then_some(packed_pct))
}

/// A role session about to be issued, for [`TokenService::issue_role_session`].
struct RoleSessionGrant<'a> {
    role: &'a crate::directory::Role,
    session_name: &'a str,
    source_identity: Option<String>,
    federated_provider: Option<String>,
    tags: Vec<SessionTag>,
    transitive_tag_keys: Vec<String>,
    policy: Option<String>,
    policy_arns: Vec<String>,
    mfa: MfaInfo,
    duration: i64,
    chain_depth: u8,
    packed_policy_size: Option<u32>,
}

/// What a verified token or assertion asks for, for [`TokenService::federated_session`].
struct FederatedGrant<'a> {
    action: &'static str,
    provider: String,
    keys: Vec<(String, ContextValue)>,
    session_name: &'a str,
    tags: Vec<SessionTag>,
    transitive_tag_keys: Vec<String>,
    source_identity: Option<String>,
    duration: i64,
}

/// The STS error of a rejected SAML assertion.
#[cfg(feature = "saml")]
fn saml_error(e: crate::saml::SamlError) -> StsError {
    use crate::saml::SamlFault;
    match e.fault {
        SamlFault::Length => StsError::ValidationMessage(e.message),
        SamlFault::Expired => StsError::ExpiredTokenException(e.message),
        SamlFault::Attribute => StsError::IdpRejectedClaim(e.message),
        SamlFault::RoleNotAllowed => StsError::AccessDenied(e.message),
        _ => StsError::InvalidIdentityToken(e.message),
    }
}

/// How a token that does not open (or no longer fits the request) is refused.
fn token_refusal(e: crate::token::TokenError) -> StsError {
    if e.code() == "ExpiredToken" {
        StsError::ExpiredToken
    } else {
        StsError::InvalidClientTokenId
    }
}

fn internal(e: impl std::fmt::Display) -> StsError {
    StsError::InternalFailure(format!("internal failure: {e}"))
}

impl TokenService {
    /// A token service over `directory`, sealing with `keyring`.
    pub fn new(
        directory: SharedDirectory,
        keyring: KeyRing,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        config: ServiceConfig,
    ) -> TokenService {
        let cache = PermissionCache::new(config.cache_capacity);
        let sessions = SessionCache::new(config.cache_capacity);
        TokenService {
            directory,
            keyring: Arc::new(RwLock::new(keyring)),
            clock,
            random,
            cache,
            sessions,
            config,
        }
    }

    /// The shared directory (reload it through this handle).
    pub fn directory(&self) -> &SharedDirectory {
        &self.directory
    }

    /// The key ring (take the write lock to rotate or retire keys).
    pub fn keyring(&self) -> &Arc<RwLock<KeyRing>> {
        &self.keyring
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The current time of the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The permission cache.
    pub fn cache(&self) -> &PermissionCache {
        &self.cache
    }

    /// Refuses a region where STS is not enabled (`RegionDisabledException`).
    ///
    /// # Errors
    /// [`StsError::RegionDisabled`].
    pub fn check_region(&self, region: &str) -> Result<(), StsError> {
        if self.config.enabled_regions.is_empty()
            || self.config.enabled_regions.iter().any(|r| r == region)
        {
            Ok(())
        } else {
            Err(StsError::RegionDisabled(format!(
                "STS is not activated in this region for account. Your account administrator can activate STS in this region using the IAM Console. Region: {region}"
            )))
        }
    }

    /// The caller behind access key `access_key_id` and, for temporary keys, the session
    /// token that came with the request: a long-term key from the directory (`AKIA`, must
    /// be active), or a session opened from `security_token` (`ASIA`).
    ///
    /// # Errors
    /// [`StsError::InvalidClientTokenId`] for unknown/inactive keys and invalid tokens,
    /// [`StsError::ExpiredToken`] for an expired session.
    pub fn caller_for_key(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
    ) -> Result<(Caller, String), StsError> {
        self.caller_for_key_at(access_key_id, security_token, self.clock.now())
    }

    /// [`TokenService::caller_for_key`] with session expiry judged at `now`.
    ///
    /// # Errors
    /// As [`TokenService::caller_for_key`].
    pub fn caller_for_key_at(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(Caller, String), StsError> {
        match AccessKeyKind::of(access_key_id) {
            Some(AccessKeyKind::Temporary) => {
                let token = security_token.ok_or(StsError::InvalidClientTokenId)?;
                let caller = self.open_session_at(access_key_id, token, now)?;
                let secret = caller
                    .session
                    .as_ref()
                    .map(|s| s.record().secret_access_key.expose().to_owned())
                    .unwrap_or_default();
                Ok((caller, secret))
            }
            _ => self
                .long_term_key(access_key_id, security_token)
                .map(|(caller, secret)| (caller, secret.expose().to_owned())),
        }
    }

    /// The IAM user and secret of the active long-term key `access_key_id` (never with a
    /// session token).
    fn long_term_key(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
    ) -> Result<(Caller, crate::directory::Secret), StsError> {
        if security_token.is_some() {
            return Err(StsError::InvalidClientTokenId);
        }
        let dir = self.directory.current();
        let (_, user, key) = dir
            .access_key(access_key_id)
            .ok_or(StsError::InvalidClientTokenId)?;
        if key.status != KeyStatus::Active {
            return Err(StsError::InvalidClientTokenId);
        }
        Ok((
            Caller::long_term_user(user, access_key_id),
            key.secret.clone(),
        ))
    }

    /// Opens `token` presented with access key `access_key_id` into a session caller.
    ///
    /// # Errors
    /// [`StsError::ExpiredToken`] for an expired session; [`StsError::InvalidClientTokenId`]
    /// for anything else wrong with the token.
    pub fn open_session(&self, access_key_id: &str, token: &str) -> Result<Caller, StsError> {
        self.open_session_at(access_key_id, token, self.clock.now())
    }

    fn open_session_at(
        &self,
        access_key_id: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Caller, StsError> {
        self.opened_session_at(access_key_id, token, now)
            .map(|opened| opened.caller.clone())
    }

    /// Opens `token` presented with `access_key_id` at `now`, or takes it from the session
    /// cache. A cached token is accepted exactly when opening it again would succeed: the key
    /// that opened it is still in the ring and not retired, it belongs to `access_key_id`, and
    /// it has not expired (checked in that order, as opening does).
    fn opened_session_at(
        &self,
        access_key_id: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Arc<OpenedSession>, StsError> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(StsError::InvalidClientTokenId);
        }
        let digest = token_digest(token);
        let ring = self.keyring.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(opened) = self.sessions.get(&digest) {
            if let Some(record) = opened
                .caller
                .session
                .as_ref()
                .map(Session::record)
                .filter(|_| ring.still_opens(opened.opened_by, now))
            {
                check_presented(record, access_key_id, now).map_err(token_refusal)?;
                return Ok(opened);
            }
            // The key that opened it is gone or retired: open again for the exact error.
            self.sessions.remove(&digest);
        }
        let record =
            open_for_access_key(token, access_key_id, &ring, now).map_err(token_refusal)?;
        let opened_by = ring
            .stamp(record.key_id)
            .ok_or_else(|| internal("the key that opened a token left the ring"))?;
        drop(ring);
        let secret = SecretKey::new(record.secret_access_key.expose());
        let opened = Arc::new(OpenedSession {
            caller: Caller::from_session(Session::with_digest(record, digest)),
            secret,
            opened_by,
        });
        self.sessions.insert(Arc::clone(&opened));
        Ok(opened)
    }

    /// Authenticates a SigV4-signed request at `now`: the secret comes from the directory
    /// for long-term keys (`AKIA…`, active only) or from the opened session token for
    /// temporary keys (`ASIA…` with `X-Amz-Security-Token`, which must belong to the key).
    ///
    /// # Errors
    /// The SigV4 errors (`MissingAuthenticationToken`, `IncompleteSignature`,
    /// `SignatureDoesNotMatch`, `RequestExpired`) as [`StsError::Authentication`];
    /// `InvalidClientTokenId` and `ExpiredToken` for bad keys and tokens.
    pub fn authenticate(
        &self,
        req: &SignedRequest,
        now: DateTime<Utc>,
    ) -> Result<Caller, StsError> {
        let found: Mutex<Option<Caller>> = Mutex::new(None);
        let lookup = |key: &str, token: Option<&str>| -> Result<SecretKey, SigV4Error> {
            let to_sigv4 = |e: StsError| match e {
                StsError::ExpiredToken => SigV4Error::ExpiredToken,
                _ => SigV4Error::InvalidClientTokenId,
            };
            let (caller, secret) = match (AccessKeyKind::of(key), token) {
                // Both secrets keep their derived signing keys between requests.
                (Some(AccessKeyKind::Temporary), Some(token)) => {
                    let opened = self.opened_session_at(key, token, now).map_err(to_sigv4)?;
                    (opened.caller.clone(), opened.secret.clone())
                }
                (Some(AccessKeyKind::Temporary), None) => {
                    return Err(SigV4Error::InvalidClientTokenId)
                }
                _ => {
                    let (caller, secret) = self.long_term_key(key, token).map_err(to_sigv4)?;
                    (caller, secret.sigv4_key().clone())
                }
            };
            *found.lock().unwrap_or_else(PoisonError::into_inner) = Some(caller);
            Ok(secret)
        };
        sigv4::verify(req, now, &lookup).map_err(|e| match e {
            SigV4Error::InvalidClientTokenId => StsError::InvalidClientTokenId,
            SigV4Error::ExpiredToken => StsError::ExpiredToken,
            other => StsError::Authentication {
                code: other.code(),
                status: other.http_status(),
                message: other.message(),
            },
        })?;
        found
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .ok_or(StsError::InvalidClientTokenId)
    }

    fn seal(
        &self,
        record: &SessionRecord,
        now: DateTime<Utc>,
        min_size: Option<i64>,
    ) -> Result<(Credentials, usize), StsError> {
        let ring = self.keyring.read().unwrap_or_else(PoisonError::into_inner);
        let min = usize::try_from(min_size.unwrap_or(0).max(0)).unwrap_or(0);
        let token = seal_padded(record, &ring, now, self.random.as_ref(), min).map_err(internal)?;
        let len = token.len();
        Ok((
            Credentials {
                access_key_id: record.access_key_id.clone(),
                secret_access_key: record.secret_access_key.clone(),
                session_token: token.into(),
                expiration: record.expires_at,
            },
            len,
        ))
    }

    fn new_keys(
        &self,
        account: &str,
    ) -> Result<(String, crate::credentials::SecretString), StsError> {
        let id = generate_access_key_id(AccessKeyKind::Temporary, account, self.random.as_ref())
            .map_err(internal)?;
        let secret = generate_secret_access_key(self.random.as_ref()).map_err(internal)?;
        Ok((id, secret))
    }

    /// Checks an MFA device and code for the IAM user `user_arn`; the time of the check.
    fn check_mfa(
        &self,
        dir: &Directory,
        user_arn: Option<&str>,
        serial: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let (owner, seed) = dir.mfa_device(serial)?;
        if Some(owner.arn.as_str()) != user_arn {
            return None;
        }
        let secret = TotpSecret::from_bytes(seed.expose().to_vec()).ok()?;
        verify_token_code(&secret, code, now).ok().map(|_| now)
    }

    /// `AssumeRole` (sts-api.md §3, evaluation order of §8).
    ///
    /// # Errors
    /// `AccessDenied` (root or federated caller, trust/identity denial, MFA failure),
    /// `ValidationError`, `InvalidParameterValue` (tag rules), `MalformedPolicyDocument`,
    /// `PackedPolicyTooLarge`, `InvalidContextAssertion`, `InternalFailure`.
    pub fn assume_role(
        &self,
        caller: &Caller,
        p: &AssumeRoleParams,
    ) -> Result<IssuedCredentials, StsError> {
        let now = self.clock.now();
        match caller.kind {
            CallerKind::Root => {
                return Err(StsError::AccessDenied(
                    "Roles may not be assumed by root accounts.".to_owned(),
                ))
            }
            CallerKind::FederatedUser => {
                return Err(StsError::AccessDenied(
                    "Cannot call AssumeRole with federated user session credentials".to_owned(),
                ))
            }
            CallerKind::User | CallerKind::AssumedRole => {}
        }
        // Model constraints.
        let mut checks = Checks::default();
        let role_arn = checks.required_arn(p.role_arn.as_deref(), "roleArn");
        let session_name = checks.role_session_name(p.role_session_name.as_deref());
        checks.policy_arns(&p.policy_arns);
        if let Some(pol) = &p.policy {
            checks.policy(pol, None);
        }
        checks.duration(p.duration_seconds, 43_200);
        checks.tags(&p.tags);
        if p.transitive_tag_keys.len() > MAX_SESSION_TAGS {
            checks.0.push(ValidationFailure::new(
                format!("[{}]", p.transitive_tag_keys.join(", ")),
                "transitiveTagKeys",
                format!("have length less than or equal to {MAX_SESSION_TAGS}"),
            ));
        }
        for (i, k) in p.transitive_tag_keys.iter().enumerate() {
            checks.string(
                k,
                &format!("transitiveTagKeys.{}.member", i.saturating_add(1)),
                (1, Some(128)),
                TAG_KEY_PATTERN,
                is_tag_char,
            );
        }
        if let Some(x) = &p.external_id {
            checks.string(x, "externalId", (2, Some(1224)), EXTERNAL_ID_PATTERN, |c| {
                is_word(c) || "+=,.@:/-".contains(c)
            });
        }
        checks.mfa(p.serial_number.as_deref(), p.token_code.as_deref());
        if let Some(si) = &p.source_identity {
            self.check_source_identity(&mut checks, si);
        }
        if !p.provided_contexts.is_empty() && p.provided_contexts.len() > 5 {
            checks.0.push(ValidationFailure::new(
                format!("[{} contexts]", p.provided_contexts.len()),
                "providedContexts",
                "have length less than or equal to 5",
            ));
        }
        checks.min_token_size(p.minimum_session_token_size);
        checks.finish()?;
        let (Some(role_arn), Some(session_name)) = (role_arn, session_name) else {
            return Err(StsError::Validation(vec![ValidationFailure::missing(
                "roleArn",
            )]));
        };
        if !p.provided_contexts.is_empty() {
            return Err(StsError::InvalidContextAssertion(
                "Provided contexts are not supported by this service".to_owned(),
            ));
        }
        if iam_policy::arn::Arn::parse(role_arn).is_none() {
            return Err(StsError::ValidationMessage(format!(
                "{role_arn} is invalid"
            )));
        }
        // Resolve the role (an unknown role gets the standard denial).
        let dir = self.directory.current();
        let deny = |action: &str| StsError::not_authorized(&caller.arn, action, role_arn);
        let (_, role) = dir
            .role_by_arn(role_arn)
            .ok_or_else(|| deny("sts:AssumeRole"))?;
        // Duration.
        let duration = p
            .duration_seconds
            .unwrap_or(self.config.default_role_duration);
        if duration > i64::from(role.max_session_duration) {
            return Err(StsError::ValidationMessage(MAX_DURATION_MESSAGE.to_owned()));
        }
        if caller.is_temporary() && duration > ROLE_CHAINING_MAX_SECONDS {
            return Err(StsError::ValidationMessage(CHAINING_MESSAGE.to_owned()));
        }
        // MFA.
        let inherited_mfa = caller
            .session
            .as_ref()
            .map(|s| s.record().mfa)
            .unwrap_or_default();
        let mfa_time = match (p.serial_number.as_deref(), p.token_code.as_deref()) {
            (None, None) => None,
            (Some(serial), Some(code)) => Some(
                self.check_mfa(&dir, caller.user_arn.as_deref(), serial, code, now)
                    .ok_or_else(|| StsError::AccessDenied(MFA_FAILED_MESSAGE.to_owned()))?,
            ),
            _ => return Err(StsError::AccessDenied(MFA_FAILED_MESSAGE.to_owned())),
        };
        // Tags: request rules, transitive keys and inheritance (sts-api.md §7.2).
        check_tag_rules(&p.tags)?;
        check_transitive_in_tags(&p.transitive_tag_keys, &p.tags)?;
        let inherited = caller
            .session
            .as_ref()
            .map(Session::transitive_tags)
            .unwrap_or_default();
        let collides = |k: &str| inherited.iter().any(|t| t.key.eq_ignore_ascii_case(k));
        if p.tags.iter().any(|t| collides(&t.key))
            || p.transitive_tag_keys.iter().any(|k| collides(k))
        {
            return Err(StsError::InvalidParameterValue(
                TRANSITIVE_CONFLICT_MESSAGE.to_owned(),
            ));
        }
        // Source identity: set once, then carried and never changed.
        let caller_source = caller
            .session
            .as_ref()
            .and_then(|s| s.record().source_identity.clone());
        if let (Some(old), Some(new)) = (&caller_source, &p.source_identity) {
            if old != new {
                return Err(StsError::InvalidParameterValue(format!(
                    "The source identity cannot be changed once set: the calling session has source identity {old}"
                )));
            }
        }
        // Trust evaluation.
        let mut ctx = principal_context(caller, &dir);
        add_time_keys(&mut ctx, caller, now);
        if let Some(fresh) = mfa_time {
            ctx.insert("aws:MultiFactorAuthPresent", single("true"));
            ctx.insert(
                "aws:MultiFactorAuthAge",
                single((now - fresh).num_seconds().max(0).to_string()),
            );
        }
        ctx.insert("sts:RoleSessionName", single(session_name));
        if let Some(x) = &p.external_id {
            ctx.insert("sts:ExternalId", single(x.clone()));
        }
        if let Some(si) = &p.source_identity {
            ctx.insert("sts:SourceIdentity", single(si.clone()));
        }
        if !p.transitive_tag_keys.is_empty() {
            ctx.insert(
                "sts:TransitiveTagKeys",
                ContextValue::Multi(p.transitive_tag_keys.clone()),
            );
        }
        insert_request_tags(&mut ctx, &p.tags);
        insert_resource_tags(&mut ctx, role.tags.iter().map(|t| (&t.key, &t.value)));
        insert_resource_tags(&mut ctx, inherited.iter().map(|t| (&t.key, &t.value)));
        if ctx.get("aws:RequestedRegion").is_none() {
            ctx.insert("aws:RequestedRegion", single(self.config.region.clone()));
        }
        merge_extra(&mut ctx, &p.request_context);
        let trust = self
            .cache
            .compiled(&dir, &role.trust_policy, PolicyType::Trust)?;
        let mut layers = self
            .cache
            .caller_layers(&dir, caller)?
            .resource(trust, ResourceKind::RoleTrust);
        for level in self.cache.rcp_levels(&dir, &role.account_id)? {
            layers = layers.rcp_level(level);
        }
        let perms = layers.build().map_err(internal)?;
        let mut actions = vec!["sts:AssumeRole"];
        if !p.tags.is_empty() || !p.transitive_tag_keys.is_empty() {
            actions.push("sts:TagSession");
        }
        if p.source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        for action in actions {
            let mut b = Request::builder()
                .principal(caller.arn.clone())
                .action(action)
                .resource(role_arn)
                .resource_account(role.account_id.clone())
                .unique_id(caller.user_id.clone())
                .context(ctx.clone());
            if let Some(r) = caller.role_arn() {
                b = b.role_arn(r);
            }
            let req = b.build().map_err(internal)?;
            if !perms.evaluate(&req).is_allowed() {
                return Err(deny(action));
            }
        }
        let mut tags = inherited.clone();
        tags.extend(p.tags.iter().cloned());
        let mut transitive: Vec<String> = inherited.iter().map(|t| t.key.clone()).collect();
        transitive.extend(p.transitive_tag_keys.iter().cloned());
        let packed_policy_size = check_role_session_policies(
            &dir,
            &role.account_id,
            p.policy.as_deref(),
            &p.policy_arns,
            &tags,
        )?;
        // Issue.
        let mfa = match mfa_time {
            Some(t) => MfaInfo {
                authenticated: true,
                auth_time: Some(t),
            },
            None => inherited_mfa,
        };
        self.issue_role_session(
            RoleSessionGrant {
                role,
                session_name,
                source_identity: caller_source.or_else(|| p.source_identity.clone()),
                federated_provider: None,
                tags,
                transitive_tag_keys: transitive,
                policy: p.policy.clone(),
                policy_arns: p.policy_arns.clone(),
                mfa,
                duration,
                chain_depth: caller
                    .session
                    .as_ref()
                    .map_or(0, |s| s.record().chain_depth.saturating_add(1)),
                packed_policy_size,
            },
            p.minimum_session_token_size,
            now,
        )
    }

    /// `AssumeRoleWithWebIdentity` (sts-api.md §6.1, §8): unsigned; the token is verified
    /// against the OIDC providers of the role's account and the directory's built-in
    /// providers, then the role's trust policy is evaluated with the provider as principal
    /// and the token's condition keys. A `ProviderId` (OAuth 2.0 access token) is never
    /// accepted: `IDPCommunicationError` for `www.amazon.com` / `graph.facebook.com` (their
    /// tokens can only be validated online), `InvalidParameterValue` otherwise.
    ///
    /// # Errors
    /// `ValidationError`, `InvalidIdentityToken`, `ExpiredTokenException`, `IDPRejectedClaim`,
    /// `IDPCommunicationError`,
    /// `AccessDenied` ("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    /// `InvalidParameterValue`, `MalformedPolicyDocument`, `PackedPolicyTooLarge`,
    /// `InternalFailure`.
    pub fn assume_role_with_web_identity(
        &self,
        p: &AssumeRoleWithWebIdentityParams,
    ) -> Result<WebIdentityCredentials, StsError> {
        const ACTION: &str = "sts:AssumeRoleWithWebIdentity";
        let now = self.clock.now();
        let mut checks = Checks::default();
        let role_arn = checks.required_arn(p.role_arn.as_deref(), "roleArn");
        let session_name = checks.role_session_name(p.role_session_name.as_deref());
        let token = checks.required(p.web_identity_token.as_deref(), "webIdentityToken");
        if let Some(id) = &p.provider_id {
            checks.length(id, "providerId", 4, Some(2048));
        }
        checks.federated_session_params(
            &p.policy_arns,
            p.policy.as_deref(),
            p.duration_seconds,
            p.minimum_session_token_size,
        );
        checks.finish()?;
        let (Some(role_arn), Some(session_name), Some(token)) = (role_arn, session_name, token)
        else {
            return Err(StsError::Validation(vec![ValidationFailure::missing(
                "roleArn",
            )]));
        };
        check_token_length(token).map_err(token_error)?;
        if iam_policy::arn::Arn::parse(role_arn).is_none() {
            return Err(StsError::ValidationMessage(format!(
                "{role_arn} is invalid"
            )));
        }
        let denied = || StsError::AccessDenied(format!("Not authorized to perform {ACTION}"));
        let dir = self.directory.current();
        let (_, role) = dir.role_by_arn(role_arn).ok_or_else(denied)?;
        if let Some(provider_id) = &p.provider_id {
            return Err(token_error(refuse_access_token(provider_id)));
        }
        let providers = web_identity_providers_of(&dir, &role.account_id);
        let web = verify_web_identity_token(token, &providers, now).map_err(token_error)?;
        let duration = p
            .duration_seconds
            .unwrap_or(self.config.default_role_duration);
        if duration > i64::from(role.max_session_duration) {
            return Err(StsError::ValidationMessage(MAX_DURATION_MESSAGE.to_owned()));
        }
        // Session tags and source identity from the token (sts-api.md §6.1, §7.2, §7.3).
        let tags = self.idp_session_tags(
            &web.principal_tags,
            web.source_identity.as_deref(),
            &web.transitive_tag_keys,
            "the token's",
        )?;
        let provider = web.federated_provider().to_owned();
        let issued = self.federated_session(
            &dir,
            role,
            FederatedGrant {
                action: ACTION,
                provider,
                keys: web.condition_keys(),
                session_name,
                tags,
                transitive_tag_keys: web.transitive_tag_keys.clone(),
                source_identity: web.source_identity.clone(),
                duration,
            },
            (p.policy.as_deref(), &p.policy_arns),
            p.minimum_session_token_size,
            &p.request_context,
            now,
        )?;
        Ok(WebIdentityCredentials {
            issued,
            subject_from_web_identity_token: web.subject_from_web_identity_token().to_owned(),
            provider: web.provider().to_owned(),
            audience: web.audience().to_owned(),
        })
    }

    /// `AssumeRoleWithSAML` (sts-api.md §6.2, §8): unsigned; the assertion is verified
    /// against the SAML provider `PrincipalArn` of the role's account, then the role's trust
    /// policy is evaluated with the provider as principal and the `saml:*` keys.
    ///
    /// # Errors
    /// `ValidationError`, `InvalidIdentityToken`, `ExpiredTokenException`, `IDPRejectedClaim`,
    /// `AccessDenied`, `InvalidParameterValue`, `MalformedPolicyDocument`,
    /// `PackedPolicyTooLarge`, `InternalFailure`.
    #[cfg(feature = "saml")]
    pub fn assume_role_with_saml(
        &self,
        p: &AssumeRoleWithSamlParams,
    ) -> Result<SamlCredentials, StsError> {
        const ACTION: &str = "sts:AssumeRoleWithSAML";
        let now = self.clock.now();
        let mut checks = Checks::default();
        let role_arn = checks.required_arn(p.role_arn.as_deref(), "roleArn");
        let principal_arn = checks.required_arn(p.principal_arn.as_deref(), "principalArn");
        let assertion = checks.required(p.saml_assertion.as_deref(), "sAMLAssertion");
        checks.federated_session_params(
            &p.policy_arns,
            p.policy.as_deref(),
            p.duration_seconds,
            p.minimum_session_token_size,
        );
        checks.finish()?;
        let (Some(role_arn), Some(principal_arn), Some(assertion)) =
            (role_arn, principal_arn, assertion)
        else {
            return Err(StsError::Validation(vec![ValidationFailure::missing(
                "roleArn",
            )]));
        };
        crate::saml::check_assertion_length(assertion).map_err(saml_error)?;
        for arn in [role_arn, principal_arn] {
            if iam_policy::arn::Arn::parse(arn).is_none() {
                return Err(StsError::ValidationMessage(format!("{arn} is invalid")));
            }
        }
        let denied = || StsError::AccessDenied(format!("Not authorized to perform {ACTION}"));
        let dir = self.directory.current();
        let (_, role) = dir.role_by_arn(role_arn).ok_or_else(denied)?;
        let (provider_account, configured) = dir.saml_provider(principal_arn).ok_or_else(|| {
            StsError::InvalidIdentityToken(format!(
                "SAML provider {principal_arn} does not exist in the role's account"
            ))
        })?;
        if provider_account.id != role.account_id {
            return Err(StsError::InvalidIdentityToken(format!(
                "SAML provider {principal_arn} does not exist in the role's account"
            )));
        }
        let provider = crate::saml::SamlProvider::from_metadata(
            &role.account_id,
            &configured.name,
            &configured.metadata_xml,
        )
        .map_err(|e| StsError::InvalidIdentityToken(format!("SAML provider metadata: {e}")))?;
        let saml = crate::saml::verify_saml_assertion(assertion, &provider, role_arn, now)
            .map_err(saml_error)?;
        // Duration: DurationSeconds, else the SessionDuration attribute, else the default;
        // never past SessionNotOnOrAfter (sts-api.md §2.3, §6.2).
        let requested = p
            .duration_seconds
            .or(saml.session_duration)
            .unwrap_or(self.config.default_role_duration);
        if requested > i64::from(role.max_session_duration) {
            return Err(StsError::ValidationMessage(MAX_DURATION_MESSAGE.to_owned()));
        }
        let duration = match saml.session_not_on_or_after {
            Some(limit) => requested.min((limit - now).num_seconds().max(0)),
            None => requested,
        };
        let tags = self.idp_session_tags(
            &saml.principal_tags,
            saml.source_identity.as_deref(),
            &saml.transitive_tag_keys,
            "the assertion's",
        )?;
        let mut keys = saml.condition_keys();
        keys.push((
            "aws:FederatedProvider".to_owned(),
            single(principal_arn.to_owned()),
        ));
        let issued = self.federated_session(
            &dir,
            role,
            FederatedGrant {
                action: ACTION,
                provider: principal_arn.to_owned(),
                keys,
                session_name: &saml.role_session_name,
                tags,
                transitive_tag_keys: saml.transitive_tag_keys.clone(),
                source_identity: saml.source_identity.clone(),
                duration,
            },
            (p.policy.as_deref(), &p.policy_arns),
            p.minimum_session_token_size,
            &p.request_context,
            now,
        )?;
        Ok(SamlCredentials {
            issued,
            subject: saml.subject.clone(),
            subject_type: saml.subject_type.clone(),
            issuer: saml.issuer.clone(),
            audience: saml.recipient.clone(),
            name_qualifier: saml.name_qualifier.clone(),
        })
    }

    /// Trust evaluation and issuance shared by `AssumeRoleWithWebIdentity` and
    /// `AssumeRoleWithSAML`: the identity provider is the principal, the trust policy
    /// alone decides (evaluation.md §3, §7.7), then the session policies are checked and
    /// a role session recording the provider is sealed.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call per federated operation"
    )]
    fn federated_session(
        &self,
        dir: &Arc<Directory>,
        role: &crate::directory::Role,
        g: FederatedGrant<'_>,
        (policy, policy_arns): (Option<&str>, &[String]),
        minimum_session_token_size: Option<i64>,
        request_context: &Context,
        now: DateTime<Utc>,
    ) -> Result<IssuedCredentials, StsError> {
        let session_name = g.session_name;
        let tags = g.tags;
        let mut ctx = Context::new();
        ctx.insert(
            "aws:CurrentTime",
            single(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
        ctx.insert("aws:EpochTime", single(now.timestamp().to_string()));
        for (k, v) in g.keys {
            ctx.insert(&k, v);
        }
        ctx.insert("sts:RoleSessionName", single(session_name));
        if let Some(si) = &g.source_identity {
            ctx.insert("sts:SourceIdentity", single(si.clone()));
        }
        if !g.transitive_tag_keys.is_empty() {
            ctx.insert(
                "sts:TransitiveTagKeys",
                ContextValue::Multi(g.transitive_tag_keys.clone()),
            );
        }
        insert_request_tags(&mut ctx, &tags);
        insert_resource_tags(&mut ctx, role.tags.iter().map(|t| (&t.key, &t.value)));
        if ctx.get("aws:RequestedRegion").is_none() {
            ctx.insert("aws:RequestedRegion", single(self.config.region.clone()));
        }
        merge_extra(&mut ctx, request_context);
        let trust = self
            .cache
            .compiled(dir, &role.trust_policy, PolicyType::Trust)?;
        let mut layers = iam_policy::Layers::new().resource(trust, ResourceKind::RoleTrust);
        for level in self.cache.rcp_levels(dir, &role.account_id)? {
            layers = layers.rcp_level(level);
        }
        let perms = layers.build().map_err(internal)?;
        let mut actions = vec![g.action];
        if !tags.is_empty() || !g.transitive_tag_keys.is_empty() {
            actions.push("sts:TagSession");
        }
        if g.source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        for action in actions {
            let req = Request::builder()
                .principal(g.provider.clone())
                .action(action)
                .resource(role.arn.clone())
                .resource_account(role.account_id.clone())
                .context(ctx.clone())
                .build()
                .map_err(internal)?;
            if !perms.evaluate(&req).is_allowed() {
                return Err(StsError::AccessDenied(format!(
                    "Not authorized to perform {action}"
                )));
            }
        }
        let packed_policy_size =
            check_role_session_policies(dir, &role.account_id, policy, policy_arns, &tags)?;
        self.issue_role_session(
            RoleSessionGrant {
                role,
                session_name,
                source_identity: g.source_identity,
                federated_provider: Some(g.provider),
                tags,
                transitive_tag_keys: g.transitive_tag_keys,
                policy: policy.map(str::to_owned),
                policy_arns: policy_arns.to_vec(),
                mfa: MfaInfo::default(),
                duration: g.duration,
                chain_depth: 0,
                packed_policy_size,
            },
            minimum_session_token_size,
            now,
        )
    }

    /// The lifetime of a GetSessionToken / GetFederationToken session: `DurationSeconds` or
    /// the default, capped for the root user (sts-api.md §4, §5).
    fn user_session_duration(&self, caller: &Caller, requested: Option<i64>) -> i64 {
        let duration = requested.unwrap_or(self.config.default_session_duration);
        if caller.kind == CallerKind::Root {
            duration.min(ROOT_SESSION_MAX_SECONDS)
        } else {
            duration
        }
    }

    /// Issues the role session `g` describes: new keys, the sealed record, and the answer's
    /// `AssumedRoleUser` (`<role id>:<session>`, `arn:aws:sts::<account>:assumed-role/...`).
    fn issue_role_session(
        &self,
        g: RoleSessionGrant<'_>,
        minimum_session_token_size: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<IssuedCredentials, StsError> {
        let role = g.role;
        let session_name = g.session_name;
        let (access_key_id, secret) = self.new_keys(&role.account_id)?;
        let session_arn = format!(
            "arn:aws:sts::{}:assumed-role/{}/{session_name}",
            role.account_id, role.name
        );
        let record = SessionRecord {
            version: 0,
            key_id: 0,
            kind: SessionKind::AssumedRole,
            account: role.account_id.clone(),
            principal_arn: session_arn.clone(),
            role: Some(RoleInfo {
                arn: role.arn.clone(),
                id: role.id.clone(),
                name: role.name.clone(),
            }),
            user_arn: None,
            user_id: None,
            session_name: Some(session_name.to_owned()),
            source_identity: g.source_identity.clone(),
            federated_provider: g.federated_provider,
            tags: g.tags,
            transitive_tag_keys: g.transitive_tag_keys,
            policy: g.policy,
            policy_arns: g.policy_arns,
            mfa: g.mfa,
            issued_at: now,
            expires_at: now + Duration::seconds(g.duration),
            chain_depth: g.chain_depth,
            access_key_id,
            secret_access_key: secret,
        };
        let mut issued = self.seal_issued(&record, now, minimum_session_token_size)?;
        issued.assumed_role_user = Some(AssumedRoleUser {
            assumed_role_id: format!("{}:{session_name}", role.id),
            arn: session_arn,
        });
        issued.packed_policy_size = g.packed_policy_size;
        Ok(issued)
    }

    /// Seals `record` into credentials; the answer carries the record's source identity and
    /// the token size, and no user or packed size yet.
    fn seal_issued(
        &self,
        record: &SessionRecord,
        now: DateTime<Utc>,
        minimum_session_token_size: Option<i64>,
    ) -> Result<IssuedCredentials, StsError> {
        let (credentials, size) = self.seal(record, now, minimum_session_token_size)?;
        Ok(IssuedCredentials {
            credentials,
            assumed_role_user: None,
            federated_user: None,
            packed_policy_size: None,
            source_identity: record.source_identity.clone(),
            session_token_size: size,
            session_token_utilization: percent(size, TOKEN_SIZE_BUDGET),
        })
    }

    /// Session tags and source identity supplied by an identity provider (token claims or
    /// assertion attributes; sts-api.md §7.2, §7.3): the tag rules, then the model rules of
    /// tags and source identity (refused as `IDPRejectedClaim` naming `whose` values), then
    /// every transitive key must name one of the tags.
    fn idp_session_tags(
        &self,
        principal_tags: &[(String, String)],
        source_identity: Option<&str>,
        transitive_tag_keys: &[String],
        whose: &str,
    ) -> Result<Vec<SessionTag>, StsError> {
        let tags: Vec<SessionTag> = principal_tags
            .iter()
            .map(|(k, v)| SessionTag {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        check_tag_rules(&tags)?;
        let mut tag_checks = Checks::default();
        tag_checks.tags(&tags);
        if let Some(si) = source_identity {
            self.check_source_identity(&mut tag_checks, si);
        }
        tag_checks.finish().map_err(|e| {
            StsError::IdpRejectedClaim(format!(
                "{whose} session tags or source identity are invalid: {}",
                e.message()
            ))
        })?;
        check_transitive_in_tags(transitive_tag_keys, &tags)?;
        Ok(tags)
    }

    fn check_source_identity(&self, checks: &mut Checks, si: &str) {
        checks.string(
            si,
            "sourceIdentity",
            (2, Some(64)),
            ROLE_SESSION_NAME_PATTERN,
            is_name_char,
        );
        if si.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            checks.0.push(ValidationFailure::new(
                si,
                "sourceIdentity",
                "not start with the reserved prefix aws:",
            ));
        }
    }

    /// `GetSessionToken` (sts-api.md §4).
    ///
    /// # Errors
    /// `AccessDenied` (session credentials, MFA failure), `ValidationError`,
    /// `InternalFailure`.
    pub fn get_session_token(
        &self,
        caller: &Caller,
        p: &GetSessionTokenParams,
    ) -> Result<IssuedCredentials, StsError> {
        let now = self.clock.now();
        refuse_temporary_caller(caller, "GetSessionToken")?;
        let mut checks = Checks::default();
        checks.duration(p.duration_seconds, 129_600);
        checks.mfa(p.serial_number.as_deref(), p.token_code.as_deref());
        checks.min_token_size(p.minimum_session_token_size);
        checks.finish()?;
        let duration = self.user_session_duration(caller, p.duration_seconds);
        let dir = self.directory.current();
        let mfa = match (p.serial_number.as_deref(), p.token_code.as_deref()) {
            (None, None) => MfaInfo::default(),
            (Some(serial), Some(code)) => {
                let t = self
                    .check_mfa(&dir, caller.user_arn.as_deref(), serial, code, now)
                    .ok_or_else(|| StsError::AccessDenied(GST_MFA_FAILED_MESSAGE.to_owned()))?;
                MfaInfo {
                    authenticated: true,
                    auth_time: Some(t),
                }
            }
            _ => return Err(StsError::AccessDenied(GST_MFA_FAILED_MESSAGE.to_owned())),
        };
        let (access_key_id, secret) = self.new_keys(&caller.account)?;
        let record = SessionRecord {
            version: 0,
            key_id: 0,
            kind: SessionKind::SessionToken,
            account: caller.account.clone(),
            principal_arn: caller.arn.clone(),
            role: None,
            user_arn: Some(caller.arn.clone()),
            user_id: Some(caller.user_id.clone()),
            session_name: None,
            source_identity: None,
            federated_provider: None,
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            policy: None,
            policy_arns: Vec::new(),
            mfa,
            issued_at: now,
            expires_at: now + Duration::seconds(duration),
            chain_depth: 0,
            access_key_id,
            secret_access_key: secret,
        };
        self.seal_issued(&record, now, p.minimum_session_token_size)
    }

    /// `GetFederationToken` (sts-api.md §5).
    ///
    /// # Errors
    /// `AccessDenied` (session credentials, missing `sts:GetFederationToken` or
    /// `sts:TagSession`), `ValidationError`, `InvalidParameterValue`,
    /// `MalformedPolicyDocument`, `PackedPolicyTooLarge`, `InternalFailure`.
    pub fn get_federation_token(
        &self,
        caller: &Caller,
        p: &GetFederationTokenParams,
    ) -> Result<IssuedCredentials, StsError> {
        let now = self.clock.now();
        refuse_temporary_caller(caller, "GetFederationToken")?;
        let mut checks = Checks::default();
        let name = checks.required(p.name.as_deref(), "name");
        if let Some(n) = name {
            checks.string(
                n,
                "name",
                (2, Some(32)),
                ROLE_SESSION_NAME_PATTERN,
                is_name_char,
            );
        }
        if let Some(pol) = &p.policy {
            checks.policy(pol, Some(SESSION_POLICY_PLAINTEXT_LIMIT));
        }
        checks.policy_arns(&p.policy_arns);
        checks.duration(p.duration_seconds, 129_600);
        checks.tags(&p.tags);
        checks.min_token_size(p.minimum_session_token_size);
        checks.finish()?;
        let Some(name) = name else {
            return Err(StsError::validation(ValidationFailure::missing("name")));
        };
        check_tag_rules(&p.tags)?;
        let fed_arn = format!("arn:aws:sts::{}:federated-user/{name}", caller.account);
        if caller.kind != CallerKind::Root {
            let mut extra = p.request_context.clone();
            insert_request_tags(&mut extra, &p.tags);
            let mut actions = vec!["sts:GetFederationToken"];
            if !p.tags.is_empty() {
                actions.push("sts:TagSession");
            }
            for action in actions {
                let auth =
                    self.authorize(caller, action, &fed_arn, Some(&caller.account), &extra)?;
                if !auth.is_allowed() {
                    return Err(StsError::not_authorized(&caller.arn, action, &fed_arn));
                }
            }
        }
        let dir = self.directory.current();
        check_session_policy_documents(&dir, &caller.account, p.policy.as_deref(), &p.policy_arns)?;
        let packed_pct = packed_percent(p.policy.as_deref(), &p.policy_arns, &p.tags)?;
        let duration = self.user_session_duration(caller, p.duration_seconds);
        let (access_key_id, secret) = self.new_keys(&caller.account)?;
        let record = SessionRecord {
            version: 0,
            key_id: 0,
            kind: SessionKind::FederatedUser,
            account: caller.account.clone(),
            principal_arn: fed_arn.clone(),
            role: None,
            user_arn: Some(caller.arn.clone()),
            user_id: Some(caller.user_id.clone()),
            session_name: Some(name.to_owned()),
            source_identity: None,
            federated_provider: None,
            tags: p.tags.clone(),
            transitive_tag_keys: Vec::new(),
            policy: p.policy.clone(),
            policy_arns: p.policy_arns.clone(),
            mfa: MfaInfo::default(),
            issued_at: now,
            expires_at: now + Duration::seconds(duration),
            chain_depth: 0,
            access_key_id,
            secret_access_key: secret,
        };
        let mut issued = self.seal_issued(&record, now, p.minimum_session_token_size)?;
        issued.federated_user = Some(FederatedUser {
            federated_user_id: format!("{}:{name}", caller.account),
            arn: fed_arn,
        });
        issued.packed_policy_size = Some(packed_pct);
        Ok(issued)
    }

    /// `GetCallerIdentity` (sts-api.md §6.3, §10.2): no permission needed, never denied.
    pub fn get_caller_identity(&self, caller: &Caller) -> CallerIdentity {
        CallerIdentity {
            user_id: caller.user_id.clone(),
            account: caller.account.clone(),
            arn: caller.arn.clone(),
        }
    }

    /// Refuses STS operations that GetSessionToken and federated-user sessions may not call
    /// (sts-api.md §9.3).
    fn restrict_session_callers(caller: &Caller, operation: &str) -> Result<(), StsError> {
        let kind = caller.session.as_ref().map(Session::kind);
        if matches!(
            kind,
            Some(SessionKind::SessionToken | SessionKind::FederatedUser)
        ) {
            return Err(StsError::AccessDenied(format!(
                "Cannot call {operation} with session credentials"
            )));
        }
        Ok(())
    }

    /// IAM API calls by temporary credentials (sts-api.md §9.3): a GetSessionToken session
    /// needs MFA context (`InvalidClientTokenId` without it, as observed); a federated user
    /// may not call IAM at all (`AccessDenied`).
    fn restrict_iam_api(caller: &Caller, action: &str) -> Result<(), StsError> {
        let Some(session) = &caller.session else {
            return Ok(());
        };
        let iam = action
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("iam:"));
        if !iam {
            return Ok(());
        }
        match session.kind() {
            SessionKind::SessionToken if !session.record().mfa.authenticated => {
                Err(StsError::InvalidClientTokenId)
            }
            SessionKind::FederatedUser => Err(StsError::not_authorized(&caller.arn, action, "*")),
            _ => Ok(()),
        }
    }

    /// `GetAccessKeyInfo` (sts-api.md §6.5): the account embedded in `access_key_id`.
    ///
    /// \[project decision\]: a key id without an embedded account that is a long-term key of
    /// the directory answers its owner's account; any other gets `InvalidParameterValue`.
    ///
    /// # Errors
    /// `ValidationError`, `AccessDenied`, `InvalidParameterValue`.
    pub fn get_access_key_info(
        &self,
        caller: &Caller,
        access_key_id: Option<&str>,
    ) -> Result<String, StsError> {
        let mut checks = Checks::default();
        let key = checks.required(access_key_id, "accessKeyId");
        if let Some(k) = key {
            checks.string(
                k,
                "accessKeyId",
                (16, Some(128)),
                ACCESS_KEY_PATTERN,
                is_word,
            );
        }
        checks.finish()?;
        let key = key.unwrap_or_default();
        Self::restrict_session_callers(caller, "GetAccessKeyInfo")?;
        let auth = self.authorize(caller, "sts:GetAccessKeyInfo", "*", None, &Context::new())?;
        if !auth.is_allowed() {
            return Err(StsError::not_authorized(
                &caller.arn,
                "sts:GetAccessKeyInfo",
                "*",
            ));
        }
        if let Ok(account) = access_key_account(key) {
            return Ok(account);
        }
        let dir = self.directory.current();
        dir.access_key(key)
            .map(|(a, _, _)| a.id.clone())
            .ok_or_else(|| {
                StsError::InvalidParameterValue(format!(
                    "The access key id {key} does not name an account"
                ))
            })
    }

    /// Evaluates `action` on `resource` for `caller` with the context AWS would fill
    /// (evaluation.md §10) merged with `extra` (which cannot override principal keys).
    /// The caller's layers are compiled once and cached by token digest.
    ///
    /// # Errors
    /// `AccessDenied` when a policy the credentials depend on is gone (fail closed),
    /// `InternalFailure` for an action or resource the engine cannot take.
    pub fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        extra: &Context,
    ) -> Result<Authorization, StsError> {
        let now = self.clock.now();
        Self::restrict_iam_api(caller, action)?;
        let dir = self.directory.current();
        // The classified principal (role ARN and unique id from `aws:PrincipalArn` and
        // `aws:userid`) and the principal and time keys are cached per caller and shared.
        let parts = self
            .cache
            .request_parts(&dir, caller, resource_account, now)?;
        let invalid =
            |e: iam_policy::eval::RequestError| StsError::InvalidParameterValue(e.to_string());
        let mut ctx = Context::layered(parts.context);
        merge_extra(&mut ctx, extra);
        let mut b = Request::builder()
            .shared_principal(parts.principal.map_err(invalid)?)
            .action(action)
            .resource(resource)
            .context(ctx);
        if let Some(a) = resource_account {
            b = b.resource_account(a);
        }
        let request = b.build().map_err(invalid)?;
        let decision = parts.permissions.evaluate(&request).decision();
        Ok(Authorization {
            decision,
            permissions: parts.permissions,
            request,
        })
    }

    /// [`TokenService::authorize`] for an opened session.
    ///
    /// # Errors
    /// As [`TokenService::authorize`].
    pub fn authorize_session(
        &self,
        session: &Session,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        extra: &Context,
    ) -> Result<Authorization, StsError> {
        let caller = Caller::from_session(session.clone());
        self.authorize(&caller, action, resource, resource_account, extra)
    }

    /// The `AccessDenied` error for a denied [`Authorization`]: the standard message plus
    /// an encoded authorization message (sealed JSON explanation) that
    /// [`TokenService::decode_authorization_message`] opens.
    pub fn denial(&self, caller: &Caller, auth: &Authorization) -> StsError {
        let base =
            StsError::not_authorized(&caller.arn, auth.request.action(), auth.request.resource());
        match self.encode_authorization_message(caller, auth) {
            Ok(encoded) => StsError::AccessDenied(format!(
                "{} Encoded authorization failure message: {encoded}",
                base.message()
            )),
            Err(_) => base,
        }
    }

    /// Seals the JSON explanation of `auth` for `caller`'s account.
    ///
    /// # Errors
    /// `InternalFailure` when the key ring or random source fails.
    pub fn encode_authorization_message(
        &self,
        caller: &Caller,
        auth: &Authorization,
    ) -> Result<String, StsError> {
        let now = self.clock.now();
        let explanation = auth.explain();
        let stmt = |layer: String, sid: Option<String>, label: Option<String>| serde_json::json!({ "layer": layer, "sid": sid, "policy": label });
        let matched: Vec<serde_json::Value> = explanation
            .deciding
            .iter()
            .map(|d| stmt(d.layer.as_str().to_owned(), d.sid.clone(), d.label.clone()))
            .collect();
        let failures: Vec<String> = explanation
            .missing
            .map(|m| vec![m.message()])
            .unwrap_or_default();
        let conditions: Vec<serde_json::Value> = auth
            .request
            .context()
            .iter()
            .map(|(k, v)| {
                let values: Vec<serde_json::Value> = v
                    .values()
                    .map(|x| serde_json::json!({ "value": x }))
                    .collect();
                serde_json::json!({ "key": k, "values": { "items": values } })
            })
            .collect();
        let body = serde_json::json!({
            "allowed": auth.decision.is_allowed(),
            "explicitDeny": auth.decision == Decision::ExplicitDeny,
            "matchedStatements": { "items": matched },
            "failures": { "items": failures },
            "context": {
                "principal": { "id": caller.user_id, "name": caller.arn.rsplit('/').next(), "arn": caller.arn },
                "action": auth.request.action(),
                "resource": auth.request.resource(),
                "conditions": { "items": conditions },
            },
            "expiresAt": (now + Duration::seconds(self.config.authorization_message_ttl)).timestamp(),
        });
        let plaintext = serde_json::to_vec(&body).map_err(internal)?;
        let ring = self.keyring.read().unwrap_or_else(PoisonError::into_inner);
        let account = caller.account.clone();
        let sealed = ring
            .seal(
                now,
                plaintext,
                |key_id| message_ad(key_id, &account),
                self.random.as_ref(),
            )
            .map_err(internal)?;
        let mut raw = Vec::with_capacity(4 + NONCE_LEN + sealed.ciphertext.len());
        raw.extend_from_slice(&sealed.key_id.to_be_bytes());
        raw.extend_from_slice(&sealed.nonce);
        raw.extend_from_slice(&sealed.ciphertext);
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
    }

    /// `DecodeAuthorizationMessage` (sts-api.md §6.4): needs `sts:DecodeAuthorizationMessage`;
    /// decodes only messages issued for the caller's account and not yet expired.
    ///
    /// # Errors
    /// `ValidationError`, `AccessDenied`, `InvalidAuthorizationMessageException`.
    pub fn decode_authorization_message(
        &self,
        caller: &Caller,
        encoded: Option<&str>,
    ) -> Result<String, StsError> {
        let mut checks = Checks::default();
        let encoded = checks.required(encoded, "encodedMessage");
        if let Some(e) = encoded {
            checks.length(e, "encodedMessage", 1, Some(10_240));
        }
        checks.finish()?;
        let encoded = encoded.unwrap_or_default();
        Self::restrict_session_callers(caller, "DecodeAuthorizationMessage")?;
        let auth = self.authorize(
            caller,
            "sts:DecodeAuthorizationMessage",
            "*",
            None,
            &Context::new(),
        )?;
        if !auth.is_allowed() {
            return Err(StsError::not_authorized(
                &caller.arn,
                "sts:DecodeAuthorizationMessage",
                "*",
            ));
        }
        let invalid = || {
            StsError::InvalidAuthorizationMessage(
                "The encoded authorization message is invalid".to_owned(),
            )
        };
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded.as_bytes())
            .map_err(|_| invalid())?;
        let (head, rest) = raw.split_at_checked(4).ok_or_else(invalid)?;
        let (nonce, body) = rest.split_at_checked(NONCE_LEN).ok_or_else(invalid)?;
        let key_id = u32::from_be_bytes(head.try_into().map_err(|_| invalid())?);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| invalid())?;
        let mut buf = body.to_vec();
        let now = self.clock.now();
        let ring = self.keyring.read().unwrap_or_else(PoisonError::into_inner);
        let n = ring
            .open_in_place(
                now,
                key_id,
                &nonce,
                &message_ad(key_id, &caller.account),
                &mut buf,
            )
            .map_err(|_| invalid())?;
        buf.truncate(n);
        let mut doc: serde_json::Value = serde_json::from_slice(&buf).map_err(|_| invalid())?;
        let expires = doc
            .get("expiresAt")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(invalid)?;
        if now.timestamp() >= expires {
            return Err(StsError::InvalidAuthorizationMessage(
                "The encoded authorization message has expired".to_owned(),
            ));
        }
        if let Some(obj) = doc.as_object_mut() {
            obj.remove("expiresAt");
        }
        serde_json::to_string(&doc).map_err(internal)
    }
}

fn message_ad(key_id: u32, account: &str) -> Vec<u8> {
    let mut ad = AUTHZ_MESSAGE_AD.to_vec();
    ad.extend_from_slice(&key_id.to_be_bytes());
    ad.extend_from_slice(account.as_bytes());
    ad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_characters_follow_the_model_classes() {
        assert!("Project-A_1 é:/=+@.".chars().all(is_tag_char));
        assert!(!is_tag_char('*'));
        assert!(!is_tag_char('#'));
    }

    #[test]
    fn packed_size_ignores_policy_whitespace_and_counts_tags() {
        let tags = vec![SessionTag {
            key: "k".into(),
            value: "vv".into(),
        }];
        assert_eq!(packed_size(Some("{ \"a\" }"), &[], &tags), 5 + 5);
        assert_eq!(percent(1, PACKED_POLICY_LIMIT), 1);
        assert_eq!(percent(0, PACKED_POLICY_LIMIT), 0);
    }

    #[test]
    fn duplicate_tag_keys_are_found_ignoring_case() {
        let t = |k: &str| SessionTag {
            key: k.into(),
            value: String::new(),
        };
        assert_eq!(
            check_tag_rules(&[t("Team"), t("team")]).map_err(|e| e.message()),
            Err(DUPLICATE_TAGS_MESSAGE.to_owned())
        );
        assert!(check_tag_rules(&[t("aws:x")]).is_err());
        assert!(check_tag_rules(&[t("Team"), t("Cost")]).is_ok());
    }
}
