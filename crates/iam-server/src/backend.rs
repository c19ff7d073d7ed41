//! The boundary between the HTTP layer and the token service.
//!
//! Stage: the contract the integrator implements with `iam-sts`. Input: a parsed STS call, a
//! received request to verify, or an authorize question. Output: an operation result as an
//! ordered element tree (rendered to XML or JSON by the server, which knows no operation's
//! shape), or a fault carrying the AWS error code. Nothing here may ever hold a secret in a
//! `Debug` output: [`Caller`] holds none, and [`StsOutput`]'s `Debug` hides element text.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// The token service as the server sees it.
///
/// Every method is synchronous. The server calls them inline on its async worker threads,
/// so they should compute and return (the `iam-sts` backend takes microseconds); a backend
/// that waits on the network or a disk must be served with
/// [`AppConfig::blocking_backend`](crate::AppConfig::blocking_backend), which runs each call
/// on tokio's blocking pool instead. No method may panic on
/// any input; a bug is reported as an [`StsFault::internal`].
pub trait StsBackend: Send + Sync + 'static {
    /// Handles one parsed STS call. `request.caller` is `None` only for the two operations
    /// AWS serves unsigned (AssumeRoleWithWebIdentity, AssumeRoleWithSAML).
    fn call(&self, request: &StsCall) -> Result<StsOutput, StsFault>;

    /// Verifies a Signature Version 4 request (header or presigned form) and returns the
    /// caller. Called only when the request carries an `Authorization` header or an
    /// `X-Amz-Algorithm` query parameter. Every request is judged afresh (signature, key,
    /// expiry); only what does not depend on the request, such as an opened session token,
    /// may be kept between requests. Takes the request by value so that it need not be
    /// copied again on its way to the verifier.
    fn authenticate(&self, signed: RawRequest) -> Result<Caller, StsFault>;

    /// Verifies the signed data-plane request described in `request` and evaluates the
    /// caller's effective permissions for its action and resource (`POST /v1/authorize`).
    fn authorize(&self, request: &AuthorizeRequest) -> Result<AuthorizeResponse, StsFault>;
}

/// One STS call after protocol parsing and authentication. Its `Debug` output lists
/// parameter names only: values may be web identity tokens or SAML assertions.
#[derive(Clone)]
pub struct StsCall {
    /// The operation, one of [`crate::OPERATIONS`] (e.g. `AssumeRole`).
    pub action: String,
    /// The API version the client sent; always `2011-06-15` once dispatched.
    pub version: String,
    /// The operation parameters in received order, flattened as on the wire
    /// (`Tags.member.1.Key`), decoded. `Action`, `Version` and the presigned-URL
    /// authentication parameters (`X-Amz-*`) are not included. Names are unique and list
    /// indices are checked to be 1..=N without gaps; an empty-list marker arrives as
    /// (`Tags`, ``).
    pub params: Vec<(String, String)>,
    /// Who signed the request; `None` for the unsigned operations.
    pub caller: Option<Caller>,
    /// The request id the response will carry.
    pub request_id: String,
    /// The client address as seen by the server (`aws:SourceIp`), when known.
    pub source_ip: Option<IpAddr>,
}

impl fmt::Debug for StsCall {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.params.iter().map(|(name, _)| name.as_str()).collect();
        formatter
            .debug_struct("StsCall")
            .field("action", &self.action)
            .field("version", &self.version)
            .field("params", &names)
            .field("caller", &self.caller)
            .field("request_id", &self.request_id)
            .field("source_ip", &self.source_ip)
            .finish()
    }
}

impl StsCall {
    /// The value of the parameter `name`, if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// An authenticated caller, as returned by [`StsBackend::authenticate`].
#[derive(Clone)]
pub struct Caller {
    /// The caller's principal ARN (e.g. `arn:aws:sts::123456789012:assumed-role/demo/s`).
    pub arn: String,
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// Whatever the backend wants to hand from `authenticate` to `call` (its verified
    /// session, so `call` does not open the token again). Opaque to the server and never
    /// printed.
    pub session: Option<Arc<dyn Any + Send + Sync>>,
}

impl Caller {
    /// A caller without backend session data.
    pub fn new(arn: impl Into<String>, access_key_id: impl Into<String>) -> Self {
        Self {
            arn: arn.into(),
            access_key_id: access_key_id.into(),
            session: None,
        }
    }
}

impl fmt::Debug for Caller {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Caller")
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .field("session", &self.session.as_ref().map(|_| "…"))
            .finish()
    }
}

/// A received HTTP request, for Signature Version 4 verification. Field for field what
/// `iam_sts::sigv4::SignedRequest` needs.
#[derive(Clone)]
pub struct RawRequest {
    /// The method actually received (`POST`, `GET`).
    pub method: String,
    /// The path as on the request line, still percent-encoded.
    pub path: String,
    /// The raw query string without `?` (empty when there is none).
    pub query: String,
    /// Header names (lower case, as `http` normalises them) and values in received order,
    /// repeats kept; a value that is not UTF-8 is decoded lossily (its signature then fails).
    pub headers: Vec<(String, String)>,
    /// The exact body bytes.
    pub body: Vec<u8>,
    /// The client address, when known.
    pub source_ip: Option<IpAddr>,
}

impl fmt::Debug for RawRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("RawRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_len", &self.query.len())
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// An operation result: the children of `<{Action}Result>`, in order, plus what the audit
/// log must record about it.
#[derive(Clone, PartialEq, Eq)]
pub struct StsOutput {
    /// The result members, rendered in this order.
    pub result: Vec<Element>,
    /// Set when the call issued credentials; the server audits it before responding.
    pub issued: Option<IssuedCredentials>,
}

impl StsOutput {
    /// A result that issued nothing.
    pub fn new(result: Vec<Element>) -> Self {
        Self {
            result,
            issued: None,
        }
    }
}

impl fmt::Debug for StsOutput {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Element's Debug shows names and structure, never leaf text.
        formatter
            .debug_struct("StsOutput")
            .field("result", &self.result)
            .field("issued", &self.issued)
            .finish()
    }
}

/// What the audit log records about issued credentials. Never the secret or the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// The new access key id.
    pub access_key_id: String,
    /// Expiration, milliseconds since the Unix epoch.
    pub expiration_millis: i64,
    /// The principal the credentials act as (assumed-role or federated-user ARN).
    pub principal_arn: String,
}

/// One XML element of a result.
#[derive(Clone, PartialEq, Eq)]
pub struct Element {
    /// The element name, exactly as the model member (`AssumedRoleUser`).
    pub name: String,
    /// Its content.
    pub value: Value,
}

impl Element {
    /// A text element.
    pub fn text(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Value::Text(text.into()),
        }
    }

    /// An integer element (`PackedPolicySize`).
    pub fn integer(name: impl Into<String>, value: i64) -> Self {
        Self {
            name: name.into(),
            value: Value::Integer(value),
        }
    }

    /// A timestamp element, milliseconds since the Unix epoch (`Expiration`).
    pub fn timestamp(name: impl Into<String>, epoch_millis: i64) -> Self {
        Self {
            name: name.into(),
            value: Value::Timestamp(epoch_millis),
        }
    }

    /// An element with child elements (`Credentials`).
    pub fn nested(name: impl Into<String>, children: Vec<Element>) -> Self {
        Self {
            name: name.into(),
            value: Value::Children(children),
        }
    }
}

impl fmt::Debug for Element {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Children(children) => formatter.debug_map().entry(&self.name, children).finish(),
            _ => write!(formatter, "{}(…)", self.name),
        }
    }
}

/// The content of an [`Element`]; typed so XML and JSON can each render it their way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text (XML-escaped in XML, a string in JSON).
    Text(String),
    /// An integer (decimal in XML, a number in JSON).
    Integer(i64),
    /// Milliseconds since the Unix epoch: ISO-8601 UTC in XML (`2026-11-29T10:26:00Z`, with
    /// `.mmm` only when the milliseconds are not zero), epoch seconds in JSON (`1.7E9` form).
    Timestamp(i64),
    /// Child elements, in order.
    Children(Vec<Element>),
}

/// Whose fault an error is: `Sender` (4xx) or `Receiver` (5xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultSide {
    /// The client's request is at fault.
    Sender,
    /// The server failed.
    Receiver,
}

impl FaultSide {
    /// The text of `<Type>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sender => "Sender",
            Self::Receiver => "Receiver",
        }
    }
}

/// An STS error: rendered as `ErrorResponse` with the given status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsFault {
    /// The AWS error code (`AccessDenied`, `ValidationError`, …).
    pub code: String,
    /// The message (AWS wording where the spec quotes it).
    pub message: String,
    /// The HTTP status (400, 403, 404, 413, 500, 503).
    pub http_status: u16,
    /// `Sender` or `Receiver`.
    pub side: FaultSide,
}

impl StsFault {
    /// A fault with side derived from the status (`Receiver` for 5xx).
    pub fn new(code: impl Into<String>, message: impl Into<String>, http_status: u16) -> Self {
        let side = if http_status >= 500 {
            FaultSide::Receiver
        } else {
            FaultSide::Sender
        };
        Self {
            code: code.into(),
            message: message.into(),
            http_status,
            side,
        }
    }

    /// `InternalFailure` (500).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("InternalFailure", message, 500)
    }
}

/// The `POST /v1/authorize` question, as parsed from its JSON body (schema in
/// [`crate::authorize`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// The data-plane request as the caller received it.
    pub signed: SignedDescription,
    /// The action to authorise (`s3:GetObject`).
    pub action: String,
    /// The resource ARN.
    pub resource: String,
    /// Extra request context keys (`aws:SourceIp`, `s3:prefix`), each with one or more values.
    pub context: BTreeMap<String, Vec<String>>,
    /// The request id of this authorize call.
    pub request_id: String,
}

/// A signed request described by the authorize caller (it keeps the body; only the hash is
/// sent).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedDescription {
    /// The method (`GET`).
    pub method: String,
    /// The path as on the request line.
    pub path: String,
    /// The raw query string without `?`.
    pub query: String,
    /// Headers in received order, repeats kept.
    pub headers: Vec<(String, String)>,
    /// Lower-case hex SHA-256 of the body.
    pub payload_sha256: String,
}

impl fmt::Debug for SignedDescription {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SignedDescription")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers.len())
            .finish()
    }
}

/// The evaluation outcome of an authorize call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Every required layer allows.
    Allow,
    /// A statement denies explicitly.
    ExplicitDeny,
    /// Nothing allows.
    ImplicitDeny,
}

impl Decision {
    /// The JSON spelling (`Allow`, `ExplicitDeny`, `ImplicitDeny`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::ExplicitDeny => "ExplicitDeny",
            Self::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// The answer of an authorize call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeResponse {
    /// The decision.
    pub decision: Decision,
    /// The ARN of the principal that signed the request.
    pub principal: String,
    /// Human-readable reasons (deciding statements, failed conditions).
    pub explanation: String,
    /// For a denial: the encoded authorization message that `DecodeAuthorizationMessage`
    /// opens for a caller of the same account (sts-api.md §6.4); `None` for an allow.
    pub encoded_message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_parameter_values_or_result_text() {
        let call = StsCall {
            action: "AssumeRoleWithWebIdentity".to_owned(),
            version: "2011-06-15".to_owned(),
            params: vec![("WebIdentityToken".to_owned(), "eyJsecret".to_owned())],
            caller: Some(Caller::new("arn:aws:iam::1:user/a", "AKID")),
            request_id: "r".to_owned(),
            source_ip: None,
        };
        let shown = format!("{call:?}");
        assert!(
            shown.contains("WebIdentityToken") && !shown.contains("eyJsecret"),
            "{shown}"
        );
        let output = StsOutput::new(vec![Element::nested(
            "Credentials",
            vec![Element::text("SecretAccessKey", "s3cr3t")],
        )]);
        let shown = format!("{output:?}");
        assert!(
            shown.contains("SecretAccessKey") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}
