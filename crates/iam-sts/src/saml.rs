//! SAML assertion verification for `AssumeRoleWithSAML` (sts-api.md §6.2, §8; evaluation.md
//! §9.3). Compiled only with the `saml` feature, which needs libxmlsec1 on the build machine
//! (Debian: `apt-get install -y libxmlsec1-dev libclang-dev pkg-config`).
//!
//! Stage: request authentication, before trust-policy evaluation.
//! Input: the `SAMLAssertion` parameter (base64 of a SAML 2.0 `Response`), the IAM SAML
//! provider (its metadata document), the requested `RoleArn` and the current time.
//! Output: a [`VerifiedSamlAssertion`] (subject, issuer, recipient, session name, duration,
//! tags, attributes) with the `saml:*` condition keys and response-field values, or a
//! [`SamlError`] with its STS error code.
//! Never: verify or canonicalise XML signatures itself, read any element that the signature
//! does not cover (signature-wrapping safety comes from `samael`, which verifies every
//! signature with libxmlsec1 and hands back a document reduced to the verified content only;
//! this module parses nothing else), accept an unsigned assertion, or echo the assertion.
//!
//! Project decisions: accepted signature methods are RSA/ECDSA with SHA-256/384/512; `NotBefore`
//! may lie [`CLOCK_SKEW_SECONDS`] in the future; an `AudienceRestriction`, when present, must name
//! the AWS sign-in endpoint or `urn:amazon:webservices`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use iam_policy::context::ContextValue;
use samael::crypto::{
    AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider, ReduceMode,
};
use samael::metadata::EntityDescriptor;
use samael::schema::{Assertion, Response};
use samael::service_provider::ServiceProvider;
use sha1::{Digest, Sha1};

/// Minimum length of `SAMLAssertion` in characters (sts-api.md §2.1).
pub const SAML_ASSERTION_MIN_CHARS: usize = 4;
/// Maximum length of `SAMLAssertion` in characters (sts-api.md §2.1).
pub const SAML_ASSERTION_MAX_CHARS: usize = 100_000;
/// How far `NotBefore` may lie in the future, in seconds (project decision).
pub const CLOCK_SKEW_SECONDS: i64 = 300;
/// The AWS sign-in SAML endpoint that `Recipient` must name (sts-api.md §6.2).
pub const AWS_SIGNIN_SAML: &str = "https://signin.aws.amazon.com/saml";

const ATTR_PREFIX: &str = "https://aws.amazon.com/SAML/Attributes/";
const NAMEID_FORMAT_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

const ALLOWED_ALGORITHMS: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

/// Attribute names (as IdPs send them) that become multi-valued `saml:*` keys
/// (Service Authorization Reference, SAML keys).
const ATTRIBUTE_KEYS: [(&str, &str); 19] = [
    ("urn:oid:2.5.4.3", "saml:cn"),
    ("urn:oid:2.5.4.42", "saml:givenName"),
    ("urn:oid:2.5.4.4", "saml:sn"),
    ("urn:oid:2.5.4.41", "saml:name"),
    ("urn:oid:2.5.4.45", "saml:x500UniqueIdentifier"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
        "saml:edupersonaffiliation",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.4",
        "saml:edupersonorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "saml:edupersonprimaryaffiliation",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
        "saml:edupersonprincipalname",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
        "saml:edupersonentitlement",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "saml:edupersonprimaryorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "saml:edupersonscopedaffiliation",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
        "saml:edupersontargetedid",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.11",
        "saml:edupersonassurance",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "saml:eduorghomepageuri"),
];

/// Which check a SAML assertion failed; decides the STS error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamlFault {
    /// `SAMLAssertion` is shorter than 4 or longer than 100000 characters (`ValidationError`).
    Length,
    /// Not base64, not UTF-8, not XML, or not a SAML `Response`/`Assertion` after verification.
    Malformed,
    /// No valid signature by the provider's certificate covers the assertion.
    Signature,
    /// The `Response` status is not `Success`.
    Status,
    /// The assertion `Issuer` is not the provider's entity id.
    Issuer,
    /// Not exactly one bearer `SubjectConfirmation`, or a wrong `Recipient` or audience.
    Audience,
    /// `NotOnOrAfter` has passed.
    Expired,
    /// `NotBefore` lies further in the future than the allowed skew.
    NotYetValid,
    /// The `NameID` is missing.
    Subject,
    /// A required AWS attribute (`Role`, `RoleSessionName`) is missing or invalid.
    Attribute,
    /// The `Role` attribute does not list the requested role and provider pair.
    RoleNotAllowed,
}

impl SamlFault {
    /// The STS error code this fault is answered with.
    pub fn code(self) -> &'static str {
        match self {
            SamlFault::Length => "ValidationError",
            SamlFault::Expired => "ExpiredTokenException",
            SamlFault::Attribute => "IDPRejectedClaim",
            SamlFault::RoleNotAllowed => "AccessDenied",
            SamlFault::Malformed
            | SamlFault::Signature
            | SamlFault::Status
            | SamlFault::Issuer
            | SamlFault::Audience
            | SamlFault::NotYetValid
            | SamlFault::Subject => "InvalidIdentityToken",
        }
    }

    /// The HTTP status of [`SamlFault::code`].
    pub fn http_status(self) -> u16 {
        match self {
            SamlFault::Attribute | SamlFault::RoleNotAllowed => 403,
            _ => 400,
        }
    }
}

/// A rejected SAML assertion: the failed check and the message sent to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", fault.code())]
pub struct SamlError {
    /// The check that failed.
    pub fault: SamlFault,
    /// The error message for the STS error response.
    pub message: String,
}

impl SamlError {
    /// The STS error code.
    pub fn code(&self) -> &'static str {
        self.fault.code()
    }

    /// The HTTP status of the error response.
    pub fn http_status(&self) -> u16 {
        self.fault.http_status()
    }
}

fn fail(fault: SamlFault, message: impl Into<String>) -> SamlError {
    SamlError {
        fault,
        message: message.into(),
    }
}

/// A configuration error in a SAML provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SamlProviderError(String);

/// An IAM SAML identity provider: its ARN, entity id and signing certificates.
#[derive(Debug, Clone)]
pub struct SamlProvider {
    account_id: String,
    name: String,
    entity_id: String,
    certs: Vec<CertificateDer>,
}

impl SamlProvider {
    /// A provider named `name` in `account_id` from the IdP's SAML metadata document: its
    /// `entityID` and the certificates of its `IDPSSODescriptor` signing keys.
    pub fn from_metadata(
        account_id: &str,
        name: &str,
        metadata_xml: &str,
    ) -> Result<Self, SamlProviderError> {
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SamlProviderError(format!(
                "account id `{account_id}` is not 12 digits"
            )));
        }
        if name.is_empty() {
            return Err(SamlProviderError("provider name is empty".to_owned()));
        }
        let metadata: EntityDescriptor = metadata_xml
            .parse()
            .map_err(|e| SamlProviderError(format!("saml metadata does not parse: {e}")))?;
        let entity_id = metadata
            .entity_id
            .clone()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| SamlProviderError("saml metadata has no `entityID`".to_owned()))?;
        let sp = ServiceProvider {
            idp_metadata: metadata,
            ..ServiceProvider::default()
        };
        let certs = sp
            .idp_signing_certs()
            .map_err(|e| SamlProviderError(format!("saml metadata certificate: {e}")))?
            .unwrap_or_default();
        if certs.is_empty() {
            return Err(SamlProviderError(
                "saml metadata has no idp signing certificate".to_owned(),
            ));
        }
        Ok(SamlProvider {
            account_id: account_id.to_owned(),
            name: name.to_owned(),
            entity_id,
            certs,
        })
    }

    /// The provider ARN, `arn:aws:iam::<account>:saml-provider/<name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:saml-provider/{}",
            self.account_id, self.name
        )
    }

    /// The IdP's entity id (the expected assertion `Issuer`).
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }
}

/// A SAML assertion whose signature and conditions verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSamlAssertion {
    /// The assertion `Issuer`.
    pub issuer: String,
    /// The `NameID` value (response field `Subject`).
    pub subject: String,
    /// The `NameID` format with the SAML 2.0 prefix stripped (response field `SubjectType`).
    pub subject_type: String,
    /// The `SubjectConfirmationData` `Recipient` (response field `Audience`, key `saml:aud`).
    pub recipient: String,
    /// Base64(SHA-1(issuer ‖ account ‖ "/" ‖ provider name)) (response field `NameQualifier`).
    pub name_qualifier: String,
    /// `<account>/<provider name>` (key `saml:doc`).
    pub doc: String,
    /// The SAML provider ARN.
    pub provider_arn: String,
    /// The `RoleSessionName` attribute.
    pub role_session_name: String,
    /// The `SessionDuration` attribute if it holds one value of 900–43200 (console sessions only).
    pub session_duration: Option<i64>,
    /// `SessionNotOnOrAfter` of the authentication statement, if present.
    pub session_not_on_or_after: Option<DateTime<Utc>>,
    /// `NotOnOrAfter` of the subject confirmation.
    pub not_on_or_after: DateTime<Utc>,
    /// The `SourceIdentity` attribute, if present.
    pub source_identity: Option<String>,
    /// `PrincipalTag:<Key>` attributes as (key, value), in document order.
    pub principal_tags: Vec<(String, String)>,
    /// The `TransitiveTagKeys` attribute values.
    pub transitive_tag_keys: Vec<String>,
    /// Every attribute as (name, values), in document order.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl VerifiedSamlAssertion {
    /// The `saml:*` condition keys the trust policy sees during `AssumeRoleWithSAML`
    /// (evaluation.md §9.3): `saml:aud`, `saml:iss`, `saml:sub`, `saml:sub_type`,
    /// `saml:namequalifier`, `saml:doc`, and the multi-valued attribute keys such as
    /// `saml:mail` for the attributes the assertion carries.
    pub fn condition_keys(&self) -> Vec<(String, ContextValue)> {
        let single = |k: &str, v: &str| (k.to_owned(), ContextValue::Single(v.to_owned()));
        let mut keys = vec![
            single("saml:aud", &self.recipient),
            single("saml:iss", &self.issuer),
            single("saml:sub", &self.subject),
            single("saml:sub_type", &self.subject_type),
            single("saml:namequalifier", &self.name_qualifier),
            single("saml:doc", &self.doc),
        ];
        for (name, key) in ATTRIBUTE_KEYS {
            let values: Vec<String> = self
                .attributes
                .iter()
                .filter(|(n, _)| n == name)
                .flat_map(|(_, v)| v.iter().cloned())
                .collect();
            if !values.is_empty() {
                keys.push((key.to_owned(), ContextValue::Multi(values)));
            }
        }
        keys
    }
}

/// Checks the `SAMLAssertion` length constraint (sts-api.md §2.1, §2.2); the value is
/// sensitive and is not echoed.
pub fn check_assertion_length(saml_assertion: &str) -> Result<(), SamlError> {
    let len = saml_assertion.chars().count();
    let rule = if len < SAML_ASSERTION_MIN_CHARS {
        format!("have length greater than or equal to {SAML_ASSERTION_MIN_CHARS}")
    } else if len > SAML_ASSERTION_MAX_CHARS {
        format!("have length less than or equal to {SAML_ASSERTION_MAX_CHARS}")
    } else {
        return Ok(());
    };
    Err(fail(
        SamlFault::Length,
        format!(
            "1 validation error detected: Value at 'SAMLAssertion' failed to satisfy \
             constraint: Member must {rule}"
        ),
    ))
}

/// Whether `url` is the AWS sign-in SAML endpoint or a regional variant
/// (`https://<region>.signin.aws.amazon.com/saml`).
pub fn is_aws_signin_endpoint(url: &str) -> bool {
    if url == AWS_SIGNIN_SAML {
        return true;
    }
    url.strip_prefix("https://")
        .and_then(|rest| rest.strip_suffix(".signin.aws.amazon.com/saml"))
        .is_some_and(|region| {
            !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Verifies an `AssumeRoleWithSAML` assertion for `role_arn` against `provider` at `now`.
///
/// Order: length; base64 and UTF-8; every XML signature verified by libxmlsec1 against the
/// provider's certificates (RSA/ECDSA with SHA-2 only) and the document reduced to the signed
/// content; `Response` status; assertion `Issuer`; exactly one bearer `SubjectConfirmation`
/// with `NotOnOrAfter` in the future and an AWS sign-in `Recipient`; `Conditions` time window
/// and audience; `NameID`; the `Role` attribute listing `role_arn` with the provider ARN;
/// `RoleSessionName` (2–64 of `[\w+=,.@-]`).
pub fn verify_saml_assertion(
    saml_assertion: &str,
    provider: &SamlProvider,
    role_arn: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedSamlAssertion, SamlError> {
    check_assertion_length(saml_assertion)?;
    let compact: String = saml_assertion
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| fail(SamlFault::Malformed, "the saml assertion is not base64"))?;
    let xml = String::from_utf8(bytes)
        .map_err(|_| fail(SamlFault::Malformed, "the saml assertion is not utf-8"))?;

    // All reading below happens on the reduced document: only content covered by a verified
    // signature survives the reduction.
    let verified_xml = Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        &xml,
        &provider.certs,
        ReduceMode::ValidateAndMarkNoAncestors,
        Some(&ALLOWED_ALGORITHMS),
    )
    .map_err(|_| {
        fail(
            SamlFault::Signature,
            "the saml response is not signed by the provider's certificate",
        )
    })?;
    let assertion = signed_assertion(&verified_xml)?;
    check_assertion(&assertion, provider, role_arn, now)
}

/// The local name of the document's root element (after the XML declaration, comments and
/// processing instructions). The input is libxml2's serialisation of the reduced document.
fn root_local_name(xml: &str) -> Option<&str> {
    let mut rest = xml.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->")?.1.trim_start();
        } else {
            break;
        }
    }
    let tag = rest.strip_prefix('<')?;
    let end = tag
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(tag.len());
    let name = tag.get(..end)?;
    Some(name.rsplit_once(':').map_or(name, |(_, local)| local))
}

fn signed_assertion(verified_xml: &str) -> Result<Assertion, SamlError> {
    let root = root_local_name(verified_xml);
    if root == Some("Assertion") {
        return verified_xml.parse::<Assertion>().map_err(|_| {
            fail(
                SamlFault::Malformed,
                "the signed assertion does not parse as saml",
            )
        });
    }
    if root != Some("Response") {
        return Err(fail(
            SamlFault::Malformed,
            "the signed content is not a saml response or assertion",
        ));
    }
    if let Ok(response) = verified_xml.parse::<Response>() {
        if let Some(code) = response
            .status
            .as_ref()
            .and_then(|s| s.status_code.value.as_deref())
        {
            if code != SUCCESS {
                return Err(fail(
                    SamlFault::Status,
                    format!("the saml response status is `{code}`"),
                ));
            }
        }
        if response.encrypted_assertion.is_some() {
            return Err(fail(
                SamlFault::Malformed,
                "encrypted saml assertions are not supported",
            ));
        }
        return response.assertion.ok_or_else(|| {
            fail(
                SamlFault::Signature,
                "the signed saml response holds no signed assertion",
            )
        });
    }
    Err(fail(
        SamlFault::Malformed,
        "the signed response does not parse as saml",
    ))
}

fn attribute_values<'a>(assertion: &'a Assertion, name: &str) -> Option<Vec<&'a str>> {
    let mut found = None::<Vec<&'a str>>;
    for statement in assertion.attribute_statements.iter().flatten() {
        for attribute in &statement.attributes {
            if attribute.name.as_deref() == Some(name) {
                found.get_or_insert_with(Vec::new).extend(
                    attribute
                        .values
                        .iter()
                        .filter_map(|v| v.value.as_deref())
                        .map(str::trim),
                );
            }
        }
    }
    found
}

fn valid_session_name(name: &str) -> bool {
    let len = name.chars().count();
    (2..=64).contains(&len)
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

fn check_assertion(
    assertion: &Assertion,
    provider: &SamlProvider,
    role_arn: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedSamlAssertion, SamlError> {
    let issuer = assertion.issuer.value.as_deref().unwrap_or_default().trim();
    if issuer != provider.entity_id {
        return Err(fail(
            SamlFault::Issuer,
            format!(
                "the assertion issuer `{issuer}` is not the provider's entity id `{}`",
                provider.entity_id
            ),
        ));
    }

    let subject = assertion
        .subject
        .as_ref()
        .ok_or_else(|| fail(SamlFault::Subject, "the assertion has no subject"))?;
    let confirmations = subject.subject_confirmations.as_deref().unwrap_or_default();
    let [confirmation] = confirmations else {
        return Err(fail(
            SamlFault::Audience,
            format!(
                "the assertion has {} subject confirmations; exactly one is required",
                confirmations.len()
            ),
        ));
    };
    if confirmation.method.as_deref() != Some(BEARER) {
        return Err(fail(
            SamlFault::Audience,
            "the subject confirmation method is not bearer",
        ));
    }
    let data = confirmation
        .subject_confirmation_data
        .as_ref()
        .ok_or_else(|| fail(SamlFault::Audience, "the subject confirmation has no data"))?;
    let recipient = data.recipient.as_deref().unwrap_or_default();
    if !is_aws_signin_endpoint(recipient) {
        return Err(fail(
            SamlFault::Audience,
            format!("the recipient `{recipient}` is not the aws sign-in saml endpoint"),
        ));
    }
    let not_on_or_after = data.not_on_or_after.ok_or_else(|| {
        fail(
            SamlFault::Audience,
            "the subject confirmation has no `NotOnOrAfter`",
        )
    })?;
    let latest_start = now
        .checked_add_signed(Duration::seconds(CLOCK_SKEW_SECONDS))
        .unwrap_or(now);
    let expired = |t: DateTime<Utc>| {
        fail(
            SamlFault::Expired,
            format!(
                "the saml assertion expired at {}",
                t.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        )
    };
    let early = |t: DateTime<Utc>| {
        fail(
            SamlFault::NotYetValid,
            format!(
                "the saml assertion is not valid before {}",
                t.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        )
    };
    if now >= not_on_or_after {
        return Err(expired(not_on_or_after));
    }
    if let Some(nb) = data.not_before.filter(|nb| *nb > latest_start) {
        return Err(early(nb));
    }
    if let Some(conditions) = &assertion.conditions {
        if let Some(t) = conditions.not_on_or_after.filter(|t| now >= *t) {
            return Err(expired(t));
        }
        if let Some(nb) = conditions.not_before.filter(|nb| *nb > latest_start) {
            return Err(early(nb));
        }
        for restriction in conditions.audience_restrictions.iter().flatten() {
            if !restriction
                .audience
                .iter()
                .any(|a| a == "urn:amazon:webservices" || is_aws_signin_endpoint(a))
            {
                return Err(fail(
                    SamlFault::Audience,
                    "the assertion audience restriction does not name aws",
                ));
            }
        }
    }

    let name_id = subject
        .name_id
        .as_ref()
        .map(|n| (n.value.trim(), n.format.as_deref()))
        .filter(|(v, _)| !v.is_empty())
        .ok_or_else(|| fail(SamlFault::Subject, "the assertion has no `NameID`"))?;
    let subject_type = match name_id.1 {
        Some(format) => format
            .strip_prefix(NAMEID_FORMAT_PREFIX)
            .unwrap_or(format)
            .to_owned(),
        None => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified".to_owned(),
    };

    let provider_arn = provider.arn();
    let role_attr = format!("{ATTR_PREFIX}Role");
    let roles = attribute_values(assertion, &role_attr).ok_or_else(|| {
        fail(
            SamlFault::Attribute,
            format!("the assertion has no `{role_attr}` attribute"),
        )
    })?;
    let role_listed = roles.iter().any(|pair| {
        let mut parts = pair.split(',').map(str::trim);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => {
                (a == role_arn && b == provider_arn) || (b == role_arn && a == provider_arn)
            }
            _ => false,
        }
    });
    if !role_listed {
        return Err(fail(
            SamlFault::RoleNotAllowed,
            "Not authorized to perform sts:AssumeRoleWithSAML",
        ));
    }

    let session_attr = format!("{ATTR_PREFIX}RoleSessionName");
    let role_session_name = match attribute_values(assertion, &session_attr).as_deref() {
        Some([name]) if valid_session_name(name) => (*name).to_owned(),
        _ => {
            return Err(fail(
                SamlFault::Attribute,
                format!(
                    "the `{session_attr}` attribute must hold one value of 2 to 64 characters \
                     `[\\w+=,.@-]`"
                ),
            ))
        }
    };

    // SessionDuration applies to console sessions only (sts-api.md §6.2); the API call does not
    // depend on it, so a value outside 900–43200 or several values are ignored, not refused.
    let session_duration =
        match attribute_values(assertion, &format!("{ATTR_PREFIX}SessionDuration")).as_deref() {
            Some([value]) => value
                .parse::<i64>()
                .ok()
                .filter(|d| (900..=43_200).contains(d)),
            _ => None,
        };

    let source_identity = attribute_values(assertion, &format!("{ATTR_PREFIX}SourceIdentity"))
        .and_then(|v| v.first().map(|s| (*s).to_owned()));
    let tag_prefix = format!("{ATTR_PREFIX}PrincipalTag:");
    let mut attributes: Vec<(String, Vec<String>)> = Vec::new();
    let mut principal_tags = Vec::new();
    for statement in assertion.attribute_statements.iter().flatten() {
        for attribute in &statement.attributes {
            let Some(name) = attribute.name.as_deref() else {
                continue;
            };
            let values: Vec<String> = attribute
                .values
                .iter()
                .filter_map(|v| v.value.as_deref())
                .map(|v| v.trim().to_owned())
                .collect();
            if let Some(key) = name.strip_prefix(&tag_prefix) {
                if let Some(first) = values.first() {
                    principal_tags.push((key.to_owned(), first.clone()));
                }
            }
            attributes.push((name.to_owned(), values));
        }
    }
    let transitive_tag_keys =
        attribute_values(assertion, &format!("{ATTR_PREFIX}TransitiveTagKeys"))
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
    let session_not_on_or_after = assertion
        .authn_statements
        .iter()
        .flatten()
        .filter_map(|s| s.session_not_on_or_after)
        .min();

    if let Some(t) = session_not_on_or_after.filter(|t| now >= *t) {
        return Err(expired(t));
    }

    let mut hasher = Sha1::new();
    hasher.update(issuer.as_bytes());
    hasher.update(provider.account_id.as_bytes());
    hasher.update(b"/");
    hasher.update(provider.name.as_bytes());
    let name_qualifier = STANDARD.encode(hasher.finalize());

    Ok(VerifiedSamlAssertion {
        issuer: issuer.to_owned(),
        subject: name_id.0.to_owned(),
        subject_type,
        recipient: recipient.to_owned(),
        name_qualifier,
        doc: format!("{}/{}", provider.account_id, provider.name),
        provider_arn,
        role_session_name,
        session_duration,
        session_not_on_or_after,
        not_on_or_after,
        source_identity,
        principal_tags,
        transitive_tag_keys,
        attributes,
    })
}
