//! SigV4 errors: every way the authentication stage rejects a request.
//!
//! Input: the reason found by parsing, time, scope, key lookup or signature checks.
//! Output: the AWS error code, HTTP status and the message text AWS sends on the wire
//! (wire-protocol.md §5.1, §6). Messages follow AWS's wording, not the project's diagnostic
//! style, because clients and people compare them with AWS's. It must never include a secret
//! key or a derived signing key in a message.

/// Message AWS sends with `InvalidClientTokenId` (observed).
pub const INVALID_CLIENT_TOKEN_ID_MESSAGE: &str =
    "The security token included in the request is invalid.";
/// Message AWS sends with `ExpiredToken` (observed).
pub const EXPIRED_TOKEN_MESSAGE: &str = "The security token included in the request is expired";
/// Message sent with `MissingAuthenticationToken` (wording unconfirmed in the spec).
pub const MISSING_AUTHENTICATION_TOKEN_MESSAGE: &str = "Request is missing Authentication Token";
/// First paragraph of AWS's `SignatureDoesNotMatch` message (observed).
pub const SIGNATURE_DOES_NOT_MATCH_MESSAGE: &str = "The request signature we calculated does not \
     match the signature you provided. Check your AWS Secret Access Key and signing method. \
     Consult the service documentation for details.";

/// Why a request failed Signature Version 4 authentication.
///
/// `code()` is the AWS error code for the XML/JSON error body, `http_status()` its status and
/// `Display` the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// Neither an `Authorization` header nor presigned query parameters.
    #[error("{MISSING_AUTHENTICATION_TOKEN_MESSAGE}")]
    MissingAuthenticationToken,
    /// Authentication information is present but malformed or incomplete.
    #[error("{message}")]
    IncompleteSignature {
        /// AWS-style explanation.
        message: String,
    },
    /// Unknown or inactive access key, or a session token that is missing, unknown or does not
    /// belong to the access key.
    #[error("{INVALID_CLIENT_TOKEN_ID_MESSAGE}")]
    InvalidClientTokenId,
    /// The session token of the signing credentials has expired.
    #[error("{EXPIRED_TOKEN_MESSAGE}")]
    ExpiredToken,
    /// The signature does not match, or the request time or credential scope is wrong.
    #[error("{message}")]
    SignatureDoesNotMatch {
        /// AWS-style explanation (for a mismatch it quotes the canonical request and string
        /// to sign the server computed, as AWS STS does).
        message: String,
    },
    /// A presigned request used after `X-Amz-Date` + `X-Amz-Expires`.
    #[error("{message}")]
    RequestExpired {
        /// Explanation naming the signing time, the validity and the current time.
        message: String,
    },
}

impl SigV4Error {
    /// The AWS error code, e.g. `SignatureDoesNotMatch`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::IncompleteSignature { .. } => "IncompleteSignature",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::ExpiredToken => "ExpiredToken",
            Self::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            Self::RequestExpired { .. } => "RequestExpired",
        }
    }

    /// The HTTP status AWS STS answers with (wire-protocol.md §5.1).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::IncompleteSignature { .. } | Self::RequestExpired { .. } => 400,
            Self::MissingAuthenticationToken
            | Self::InvalidClientTokenId
            | Self::ExpiredToken
            | Self::SignatureDoesNotMatch { .. } => 403,
        }
    }

    /// The message text sent on the wire.
    pub fn message(&self) -> String {
        self.to_string()
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Self {
        Self::IncompleteSignature {
            message: message.into(),
        }
    }

    pub(crate) fn mismatch(message: impl Into<String>) -> Self {
        Self::SignatureDoesNotMatch {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_error_catalogue() {
        let cases = [
            (
                SigV4Error::MissingAuthenticationToken,
                "MissingAuthenticationToken",
                403,
            ),
            (SigV4Error::incomplete("x"), "IncompleteSignature", 400),
            (
                SigV4Error::InvalidClientTokenId,
                "InvalidClientTokenId",
                403,
            ),
            (SigV4Error::ExpiredToken, "ExpiredToken", 403),
            (SigV4Error::mismatch("x"), "SignatureDoesNotMatch", 403),
            (
                SigV4Error::RequestExpired {
                    message: "x".into(),
                },
                "RequestExpired",
                400,
            ),
        ];
        for (error, code, status) in cases {
            assert_eq!(error.code(), code);
            assert_eq!(error.http_status(), status);
        }
    }

    #[test]
    fn token_errors_carry_the_observed_aws_messages() {
        assert_eq!(
            SigV4Error::InvalidClientTokenId.message(),
            "The security token included in the request is invalid."
        );
        assert_eq!(
            SigV4Error::ExpiredToken.message(),
            "The security token included in the request is expired"
        );
    }
}
