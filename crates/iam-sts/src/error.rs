//! Stage: the error answer of every token-service operation (sts-api.md §2.2, §3–§6;
//! wire-protocol.md §5).
//!
//! Input: a failed check of an operation. Output: a [`StsError`] that knows its AWS error
//! code, its HTTP status and the message AWS clients see, with the Coral-style validation
//! messages of sts-api.md §2.2 built by [`ValidationFailure`].
//! Never: carries a secret (secret keys, token codes, session tokens, assertions) in a message.

use std::fmt;

/// One failed model constraint of a request member (sts-api.md §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationFailure {
    /// The offending value as shown to the client (`None` for a missing member).
    pub value: Option<String>,
    /// The member name in lowerCamelCase (`roleSessionName`, `durationSeconds`).
    pub member: String,
    /// The rule, e.g. `have length less than or equal to 64`.
    pub rule: String,
}

impl ValidationFailure {
    /// A failure of `member` holding `value` against `rule`.
    pub fn new(value: impl Into<String>, member: &str, rule: impl Into<String>) -> Self {
        Self {
            value: Some(value.into()),
            member: member.to_owned(),
            rule: rule.into(),
        }
    }

    /// A required member that is absent (`Member must not be null`).
    pub fn missing(member: &str) -> Self {
        Self {
            value: None,
            member: member.to_owned(),
            rule: "not be null".to_owned(),
        }
    }
}

impl fmt::Display for ValidationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(
                f,
                "Value '{v}' at '{}' failed to satisfy constraint: Member must {}",
                self.member, self.rule
            ),
            None => write!(
                f,
                "Value null at '{}' failed to satisfy constraint: Member must {}",
                self.member, self.rule
            ),
        }
    }
}

/// An STS error answer: one variant per error code the token service returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    /// `ValidationError` (400): model constraint failures, joined AWS-style.
    #[error("{}", validation_message(.0))]
    Validation(Vec<ValidationFailure>),
    /// `ValidationError` (400) with a free-form AWS message (duration caps, malformed ARN).
    #[error("{0}")]
    ValidationMessage(String),
    /// `MalformedPolicyDocument` (400): a session policy does not parse or validate.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// `PackedPolicyTooLarge` (400): session policies and tags exceed the packed limit.
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    /// `InvalidParameterValue` (400): semantic parameter errors (tag rules).
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `AccessDenied` (403): authorization, caller-type or MFA failure.
    #[error("{0}")]
    AccessDenied(String),
    /// `ExpiredToken` (403): the signing credentials' session token has expired.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    /// `InvalidClientTokenId` (403): unknown/inactive key or an invalid session token.
    #[error("The security token included in the request is invalid.")]
    InvalidClientTokenId,
    /// `RegionDisabledException` (403): STS is not enabled in the requested region.
    #[error("{0}")]
    RegionDisabled(String),
    /// `IDPRejectedClaim` (403): the identity provider's token or assertion was refused.
    #[error("{0}")]
    IdpRejectedClaim(String),
    /// `IDPCommunicationError` (400): the identity provider could not be reached.
    #[error("{0}")]
    IdpCommunicationError(String),
    /// `InvalidIdentityToken` (400): the web identity token or SAML assertion is invalid.
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// `ExpiredTokenException` (400): the web identity token or SAML assertion expired.
    #[error("{0}")]
    ExpiredTokenException(String),
    /// `InvalidAuthorizationMessageException` (400): an encoded message does not decode.
    #[error("{0}")]
    InvalidAuthorizationMessage(String),
    /// `InvalidContextAssertion` (400): `ProvidedContexts` are not supported.
    #[error("{0}")]
    InvalidContextAssertion(String),
    /// A SigV4 authentication failure with its own code and status
    /// (`SignatureDoesNotMatch`, `IncompleteSignature`, `MissingAuthenticationToken`, …).
    #[error("{message}")]
    Authentication {
        /// The AWS error code.
        code: &'static str,
        /// The HTTP status.
        status: u16,
        /// The message.
        message: String,
    },
    /// `InternalFailure` (500): a server-side fault (random source, key ring, bad directory).
    #[error("{0}")]
    InternalFailure(String),
}

fn validation_message(failures: &[ValidationFailure]) -> String {
    let n = failures.len();
    let noun = if n == 1 { "error" } else { "errors" };
    let joined: Vec<String> = failures.iter().map(ToString::to_string).collect();
    format!("{n} validation {noun} detected: {}", joined.join("; "))
}

impl StsError {
    /// The AWS error code (`<Code>` of the error response).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) | Self::ValidationMessage(_) => "ValidationError",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            Self::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            Self::InvalidParameterValue(_) => "InvalidParameterValue",
            Self::AccessDenied(_) => "AccessDenied",
            Self::ExpiredToken => "ExpiredToken",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::RegionDisabled(_) => "RegionDisabledException",
            Self::IdpRejectedClaim(_) => "IDPRejectedClaim",
            Self::IdpCommunicationError(_) => "IDPCommunicationError",
            Self::InvalidIdentityToken(_) => "InvalidIdentityToken",
            Self::ExpiredTokenException(_) => "ExpiredTokenException",
            Self::InvalidAuthorizationMessage(_) => "InvalidAuthorizationMessageException",
            Self::InvalidContextAssertion(_) => "InvalidContextAssertion",
            Self::Authentication { code, .. } => code,
            Self::InternalFailure(_) => "InternalFailure",
        }
    }

    /// The message (`<Message>` of the error response), as AWS words it.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The HTTP status of the error response.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::AccessDenied(_)
            | Self::ExpiredToken
            | Self::InvalidClientTokenId
            | Self::RegionDisabled(_)
            | Self::IdpRejectedClaim(_) => 403,
            Self::Authentication { status, .. } => *status,
            Self::InternalFailure(_) => 500,
            _ => 400,
        }
    }

    /// `ValidationError` for a single failure.
    pub fn validation(failure: ValidationFailure) -> Self {
        Self::Validation(vec![failure])
    }

    /// The standard authorization denial:
    /// `User: <caller> is not authorized to perform: <action> on resource: <resource>`.
    pub fn not_authorized(caller_arn: &str, action: &str, resource: &str) -> Self {
        Self::AccessDenied(format!(
            "User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_validation_failure_uses_singular_coral_wording() {
        let e = StsError::validation(ValidationFailure::new(
            "Session1:2",
            "roleSessionName",
            "satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
        assert_eq!(e.code(), "ValidationError");
        assert_eq!(e.http_status(), 400);
        assert_eq!(
            e.message(),
            "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to \
             satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        );
    }

    #[test]
    fn several_validation_failures_are_counted_and_joined_with_semicolons() {
        let e = StsError::Validation(vec![
            ValidationFailure::new(
                "a",
                "roleSessionName",
                "have length greater than or equal to 2",
            ),
            ValidationFailure::missing("roleArn"),
        ]);
        assert_eq!(
            e.message(),
            "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy \
             constraint: Member must have length greater than or equal to 2; Value null at \
             'roleArn' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn codes_and_statuses_follow_the_error_catalogue() {
        assert_eq!(StsError::ExpiredToken.http_status(), 403);
        assert_eq!(
            StsError::ExpiredTokenException("x".into()).http_status(),
            400
        );
        assert_eq!(
            StsError::IdpRejectedClaim("x".into()).code(),
            "IDPRejectedClaim"
        );
        assert_eq!(
            StsError::RegionDisabled("x".into()).code(),
            "RegionDisabledException"
        );
        assert_eq!(
            StsError::InvalidAuthorizationMessage("x".into()).code(),
            "InvalidAuthorizationMessageException"
        );
        assert_eq!(
            StsError::not_authorized("arn:aws:iam::1:user/a", "sts:AssumeRole", "r").message(),
            "User: arn:aws:iam::1:user/a is not authorized to perform: sts:AssumeRole on resource: r"
        );
    }
}
