//! The real [`StsBackend`]: the HTTP boundary mapped onto `iam_sts::service::TokenService`.
//!
//! Stage: between dispatch and the token service. Input: an [`StsCall`] (flattened Query
//! parameters, including the list encodings `Tags.member.N.Key`/`.Value`,
//! `PolicyArns.member.N.arn`, `TransitiveTagKeys.member.N`,
//! `ProvidedContexts.member.N.ProviderArn`/`.ContextAssertion`), a [`RawRequest`] to verify,
//! or an [`AuthorizeRequest`]. Output: the result members named exactly as the botocore model
//! (wire-protocol.md §4.1) as an [`StsOutput`], a [`Caller`], an [`AuthorizeResponse`], or an
//! [`StsFault`] carrying the service's AWS code, message and status. It holds no token or
//! policy logic of its own and never puts a secret anywhere but the result elements that
//! must carry it (`SecretAccessKey`, `SessionToken`).

use std::cell::RefCell;
use std::net::IpAddr;
use std::sync::Arc;

use iam_policy::context::{Context, ContextValue};
use iam_sts::error::{StsError, ValidationFailure};
use iam_sts::service::{self, ProvidedContext, TokenService};
use iam_sts::session;
use iam_sts::sigv4::{self, Payload, SecretKey, SigV4Error, SignedRequest, VerifierConfig};
use iam_sts::token::SessionTag;

use crate::backend::{
    AuthorizeRequest, AuthorizeResponse, Caller, Decision, Element, IssuedCredentials, RawRequest,
    StsBackend, StsCall, StsFault, StsOutput,
};

/// The [`SignedRequest`] to verify, from a received request or an authorize description: the
/// `method`, `path`, `query` and `headers` fields of `$parts` (the two are different types
/// with the same fields) and `$payload`.
macro_rules! signed_request {
    ($parts:expr, $payload:expr) => {
        SignedRequest {
            method: $parts.method.clone(),
            path: $parts.path.clone(),
            query: $parts.query.clone(),
            headers: $parts.headers.clone(),
            payload: $payload,
        }
    };
}

/// What `authenticate` hands to `call` in [`Caller::session`].
struct Authenticated {
    caller: session::Caller,
    region: String,
}

/// [`StsBackend`] over a [`TokenService`].
pub struct TokenBackend {
    service: TokenService,
    secure_transport: bool,
}

impl std::fmt::Debug for TokenBackend {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TokenBackend")
            .field("secure_transport", &self.secure_transport)
            .finish_non_exhaustive()
    }
}

impl TokenBackend {
    /// A backend answering with `service`; `secure_transport` is the value of
    /// `aws:SecureTransport` (whether the server speaks TLS).
    pub fn new(service: TokenService, secure_transport: bool) -> Self {
        Self {
            service,
            secure_transport,
        }
    }

    /// The token service behind this backend.
    pub fn service(&self) -> &TokenService {
        &self.service
    }

    fn request_context(&self, source_ip: Option<IpAddr>, region: Option<&str>) -> Context {
        let mut context = Context::new();
        if let Some(ip) = source_ip {
            context.insert("aws:SourceIp", ContextValue::Single(ip.to_string()));
        }
        context.insert(
            "aws:SecureTransport",
            ContextValue::Single(self.secure_transport.to_string()),
        );
        context.insert(
            "aws:RequestedRegion",
            ContextValue::Single(region.unwrap_or(&self.service.config().region).to_owned()),
        );
        context
    }
}

fn fault(error: StsError) -> StsFault {
    StsFault::new(error.code(), error.message(), error.http_status())
}

/// The authenticated caller of a signed call, as `authenticate` left it.
fn authenticated(call: &StsCall) -> Result<&Authenticated, StsFault> {
    call.caller
        .as_ref()
        .and_then(|caller| caller.session.as_deref())
        .and_then(|session| session.downcast_ref::<Authenticated>())
        .ok_or_else(|| StsFault::internal("the call reached the backend without its caller"))
}

/// Optional string parameter.
fn text(call: &StsCall, name: &str) -> Option<String> {
    call.param(name).map(str::to_owned)
}

/// Optional integer parameter; text that is not a decimal integer is a `ValidationError`.
fn integer(call: &StsCall, name: &str, member: &str) -> Result<Option<i64>, StsFault> {
    match call.param(name) {
        None => Ok(None),
        Some(raw) => raw.trim().parse::<i64>().map(Some).map_err(|_| {
            fault(StsError::validation(ValidationFailure::new(
                raw,
                member,
                "be an integer",
            )))
        }),
    }
}

/// `DurationSeconds`.
fn duration_seconds(call: &StsCall) -> Result<Option<i64>, StsFault> {
    integer(call, "DurationSeconds", "durationSeconds")
}

/// `MinimumSessionTokenSize` (2026 model).
fn minimum_session_token_size(call: &StsCall) -> Result<Option<i64>, StsFault> {
    integer(call, "MinimumSessionTokenSize", "minimumSessionTokenSize")
}

/// The members of a list parameter `prefix.member.N[.field]`, in index order; each member is
/// its (field, value) pairs (field empty for a list of scalars).
fn members(call: &StsCall, prefix: &str) -> Vec<Vec<(String, String)>> {
    let head = format!("{prefix}.member.");
    let mut indexed: Vec<(u32, String, String)> = call
        .params
        .iter()
        .filter_map(|(name, value)| {
            let rest = name.strip_prefix(&head)?;
            let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
            Some((index.parse().ok()?, field.to_owned(), value.clone()))
        })
        .collect();
    indexed.sort_by_key(|(index, _, _)| *index);
    let mut out: Vec<(u32, Vec<(String, String)>)> = Vec::new();
    for (index, field, value) in indexed {
        match out.last_mut() {
            Some((last, fields)) if *last == index => fields.push((field, value)),
            _ => out.push((index, vec![(field, value)])),
        }
    }
    out.into_iter().map(|(_, fields)| fields).collect()
}

fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.clone())
}

fn scalars(call: &StsCall, prefix: &str) -> Vec<String> {
    members(call, prefix)
        .into_iter()
        .filter_map(|fields| field(&fields, ""))
        .collect()
}

fn policy_arns(call: &StsCall) -> Vec<String> {
    members(call, "PolicyArns")
        .into_iter()
        .filter_map(|fields| field(&fields, "arn"))
        .collect()
}

/// `Tags.member.N.Key/Value`; a member without `Key` is a `ValidationError` (the model marks
/// both required), a member without `Value` likewise.
fn tags(call: &StsCall) -> Result<Vec<SessionTag>, StsFault> {
    members(call, "Tags")
        .into_iter()
        .enumerate()
        .map(|(i, fields)| {
            let n = i + 1;
            let key = field(&fields, "Key").ok_or_else(|| {
                fault(StsError::validation(ValidationFailure::missing(&format!(
                    "tags.{n}.member.key"
                ))))
            })?;
            let value = field(&fields, "Value").ok_or_else(|| {
                fault(StsError::validation(ValidationFailure::missing(&format!(
                    "tags.{n}.member.value"
                ))))
            })?;
            Ok(SessionTag { key, value })
        })
        .collect()
}

fn provided_contexts(call: &StsCall) -> Vec<ProvidedContext> {
    members(call, "ProvidedContexts")
        .into_iter()
        .map(|fields| ProvidedContext {
            provider_arn: field(&fields, "ProviderArn").unwrap_or_default(),
            context_assertion: field(&fields, "ContextAssertion").unwrap_or_default(),
        })
        .collect()
}

fn credentials_element(credentials: &iam_sts::credentials::Credentials) -> Element {
    Element::nested(
        "Credentials",
        vec![
            Element::text("AccessKeyId", credentials.access_key_id.clone()),
            Element::text(
                "SecretAccessKey",
                credentials.secret_access_key.expose().to_owned(),
            ),
            Element::text(
                "SessionToken",
                credentials.session_token.expose().to_owned(),
            ),
            Element::timestamp("Expiration", credentials.expiration.timestamp_millis()),
        ],
    )
}

/// `AssumedRoleUser` of a role session.
fn assumed_role_user(issued: &service::IssuedCredentials) -> Option<Element> {
    issued.assumed_role_user.as_ref().map(|user| {
        Element::nested(
            "AssumedRoleUser",
            vec![
                Element::text("AssumedRoleId", user.assumed_role_id.clone()),
                Element::text("Arn", user.arn.clone()),
            ],
        )
    })
}

/// The assumed-role ARN of a role session (empty for other credentials).
fn role_session_arn(issued: &service::IssuedCredentials) -> String {
    issued
        .assumed_role_user
        .as_ref()
        .map(|user| user.arn.clone())
        .unwrap_or_default()
}

fn source_identity(issued: &service::IssuedCredentials) -> Option<Element> {
    issued
        .source_identity
        .as_ref()
        .map(|source_identity| Element::text("SourceIdentity", source_identity.clone()))
}

fn packed_policy_size(issued: &service::IssuedCredentials) -> Option<Element> {
    issued
        .packed_policy_size
        .map(|size| Element::integer("PackedPolicySize", i64::from(size)))
}

fn token_size_elements(issued: &service::IssuedCredentials) -> [Element; 2] {
    [
        Element::integer(
            "SessionTokenUtilization",
            i64::from(issued.session_token_utilization),
        ),
        Element::integer(
            "SessionTokenSize",
            i64::try_from(issued.session_token_size).unwrap_or(i64::MAX),
        ),
    ]
}

/// The output of a credential-issuing call, with its audit record.
fn issued_output(
    result: Vec<Element>,
    issued: &service::IssuedCredentials,
    principal: &str,
) -> StsOutput {
    StsOutput {
        result,
        issued: Some(IssuedCredentials {
            access_key_id: issued.credentials.access_key_id.clone(),
            expiration_millis: issued.credentials.expiration.timestamp_millis(),
            principal_arn: principal.to_owned(),
        }),
    }
}

impl TokenBackend {
    fn assume_role(&self, call: &StsCall) -> Result<StsOutput, StsFault> {
        let auth = authenticated(call)?;
        let params = service::AssumeRoleParams {
            role_arn: text(call, "RoleArn"),
            role_session_name: text(call, "RoleSessionName"),
            policy_arns: policy_arns(call),
            policy: text(call, "Policy"),
            duration_seconds: duration_seconds(call)?,
            tags: tags(call)?,
            transitive_tag_keys: scalars(call, "TransitiveTagKeys"),
            external_id: text(call, "ExternalId"),
            serial_number: text(call, "SerialNumber"),
            token_code: text(call, "TokenCode"),
            source_identity: text(call, "SourceIdentity"),
            provided_contexts: provided_contexts(call),
            minimum_session_token_size: minimum_session_token_size(call)?,
            request_context: self.request_context(call.source_ip, Some(&auth.region)),
        };
        let issued = self
            .service
            .assume_role(&auth.caller, &params)
            .map_err(fault)?;
        let mut result: Vec<Element> = source_identity(&issued).into_iter().collect();
        result.extend(assumed_role_user(&issued));
        result.push(credentials_element(&issued.credentials));
        result.extend(packed_policy_size(&issued));
        result.extend(token_size_elements(&issued));
        Ok(issued_output(result, &issued, &role_session_arn(&issued)))
    }

    /// Unsigned: the token is the authentication, so there is no caller and the region is the
    /// service's own.
    fn assume_role_with_web_identity(&self, call: &StsCall) -> Result<StsOutput, StsFault> {
        let params = service::AssumeRoleWithWebIdentityParams {
            role_arn: text(call, "RoleArn"),
            role_session_name: text(call, "RoleSessionName"),
            web_identity_token: text(call, "WebIdentityToken"),
            provider_id: text(call, "ProviderId"),
            policy_arns: policy_arns(call),
            policy: text(call, "Policy"),
            duration_seconds: duration_seconds(call)?,
            minimum_session_token_size: minimum_session_token_size(call)?,
            request_context: self.request_context(call.source_ip, None),
        };
        let answer = self
            .service
            .assume_role_with_web_identity(&params)
            .map_err(fault)?;
        let issued = &answer.issued;
        // The member order AWS answers with (smithy-rs recorded traffic).
        let mut result = vec![Element::text("Audience", answer.audience.clone())];
        result.extend(assumed_role_user(issued));
        result.push(Element::text("Provider", answer.provider.clone()));
        result.push(credentials_element(&issued.credentials));
        result.push(Element::text(
            "SubjectFromWebIdentityToken",
            answer.subject_from_web_identity_token.clone(),
        ));
        result.extend(packed_policy_size(issued));
        result.extend(source_identity(issued));
        result.extend(token_size_elements(issued));
        Ok(issued_output(result, issued, &role_session_arn(issued)))
    }

    /// Unsigned like web identity; SAML needs the `saml` feature (libxmlsec1).
    #[cfg(feature = "saml")]
    fn assume_role_with_saml(&self, call: &StsCall) -> Result<StsOutput, StsFault> {
        let params = service::AssumeRoleWithSamlParams {
            role_arn: text(call, "RoleArn"),
            principal_arn: text(call, "PrincipalArn"),
            saml_assertion: text(call, "SAMLAssertion"),
            policy_arns: policy_arns(call),
            policy: text(call, "Policy"),
            duration_seconds: duration_seconds(call)?,
            minimum_session_token_size: minimum_session_token_size(call)?,
            request_context: self.request_context(call.source_ip, None),
        };
        let answer = self.service.assume_role_with_saml(&params).map_err(fault)?;
        let issued = &answer.issued;
        // wire-protocol.md §4.1 order.
        let mut result = vec![credentials_element(&issued.credentials)];
        result.extend(assumed_role_user(issued));
        result.extend(packed_policy_size(issued));
        result.push(Element::text("Subject", answer.subject.clone()));
        result.push(Element::text("SubjectType", answer.subject_type.clone()));
        result.push(Element::text("Issuer", answer.issuer.clone()));
        result.push(Element::text("Audience", answer.audience.clone()));
        result.push(Element::text(
            "NameQualifier",
            answer.name_qualifier.clone(),
        ));
        result.extend(source_identity(issued));
        result.extend(token_size_elements(issued));
        Ok(issued_output(result, issued, &role_session_arn(issued)))
    }

    /// Without the `saml` feature the service cannot verify assertions: every call is
    /// refused before any parameter is looked at.
    #[cfg(not(feature = "saml"))]
    fn assume_role_with_saml(&self, _call: &StsCall) -> Result<StsOutput, StsFault> {
        Err(StsFault::new(
            "InvalidIdentityToken",
            "AssumeRoleWithSAML is not available: iamctl was built without the `saml` feature",
            400,
        ))
    }

    fn get_session_token(&self, call: &StsCall) -> Result<StsOutput, StsFault> {
        let auth = authenticated(call)?;
        let params = service::GetSessionTokenParams {
            duration_seconds: duration_seconds(call)?,
            serial_number: text(call, "SerialNumber"),
            token_code: text(call, "TokenCode"),
            minimum_session_token_size: minimum_session_token_size(call)?,
        };
        let issued = self
            .service
            .get_session_token(&auth.caller, &params)
            .map_err(fault)?;
        let mut result = vec![credentials_element(&issued.credentials)];
        result.extend(token_size_elements(&issued));
        Ok(issued_output(result, &issued, &auth.caller.arn))
    }

    fn get_federation_token(&self, call: &StsCall) -> Result<StsOutput, StsFault> {
        let auth = authenticated(call)?;
        let params = service::GetFederationTokenParams {
            name: text(call, "Name"),
            policy: text(call, "Policy"),
            policy_arns: policy_arns(call),
            duration_seconds: duration_seconds(call)?,
            tags: tags(call)?,
            minimum_session_token_size: minimum_session_token_size(call)?,
            request_context: self.request_context(call.source_ip, Some(&auth.region)),
        };
        let issued = self
            .service
            .get_federation_token(&auth.caller, &params)
            .map_err(fault)?;
        let mut result = vec![credentials_element(&issued.credentials)];
        let principal = issued
            .federated_user
            .as_ref()
            .map(|user| user.arn.clone())
            .unwrap_or_default();
        if let Some(user) = &issued.federated_user {
            result.push(Element::nested(
                "FederatedUser",
                vec![
                    Element::text("FederatedUserId", user.federated_user_id.clone()),
                    Element::text("Arn", user.arn.clone()),
                ],
            ));
        }
        result.push(Element::integer(
            "PackedPolicySize",
            i64::from(issued.packed_policy_size.unwrap_or(0)),
        ));
        result.extend(token_size_elements(&issued));
        Ok(issued_output(result, &issued, &principal))
    }

    fn get_caller_identity(&self, call: &StsCall) -> Result<StsOutput, StsFault> {
        let auth = authenticated(call)?;
        let identity = self.service.get_caller_identity(&auth.caller);
        Ok(StsOutput::new(vec![
            Element::text("Arn", identity.arn),
            Element::text("UserId", identity.user_id),
            Element::text("Account", identity.account),
        ]))
    }

    fn get_access_key_info(&self, call: &StsCall) -> Result<StsOutput, StsFault> {
        let auth = authenticated(call)?;
        let account = self
            .service
            .get_access_key_info(&auth.caller, call.param("AccessKeyId"))
            .map_err(fault)?;
        Ok(StsOutput::new(vec![Element::text("Account", account)]))
    }

    fn decode_authorization_message(&self, call: &StsCall) -> Result<StsOutput, StsFault> {
        let auth = authenticated(call)?;
        let decoded = self
            .service
            .decode_authorization_message(&auth.caller, call.param("EncodedMessage"))
            .map_err(fault)?;
        Ok(StsOutput::new(vec![Element::text(
            "DecodedMessage",
            decoded,
        )]))
    }
}

impl TokenBackend {
    /// Verifies `req` (`service` names the credential scope) and returns the caller behind
    /// its key (long-term key of the directory, or the session its token opens) and the
    /// scope's region.
    fn verify(
        &self,
        req: &SignedRequest,
        config: &VerifierConfig,
    ) -> Result<Authenticated, StsFault> {
        let found: RefCell<Option<session::Caller>> = RefCell::new(None);
        let lookup = |access_key_id: &str, token: Option<&str>| {
            let (caller, secret) =
                self.service
                    .caller_for_key(access_key_id, token)
                    .map_err(|e| match e {
                        StsError::ExpiredToken => SigV4Error::ExpiredToken,
                        _ => SigV4Error::InvalidClientTokenId,
                    })?;
            found.replace(Some(caller));
            Ok(SecretKey::new(&secret))
        };
        let verified = sigv4::verify_with(config, req, self.service.now(), &lookup)
            .map_err(|e| StsFault::new(e.code(), e.message(), e.http_status()))?;
        let caller = found
            .into_inner()
            .ok_or_else(|| StsFault::internal("the verified request named no caller"))?;
        Ok(Authenticated {
            caller,
            region: verified.region,
        })
    }

    fn authenticate_request(&self, raw: RawRequest) -> Result<Caller, StsFault> {
        let req = SignedRequest {
            method: raw.method,
            path: raw.path,
            query: raw.query,
            headers: raw.headers,
            payload: Payload::Body(raw.body),
        };
        let caller = self
            .service
            .authenticate(&req, self.service.now())
            .map_err(fault)?;
        // The request verified, so its credential scope is the one the client signed.
        let region = scope_region(&req).unwrap_or_else(|| self.service.config().region.clone());
        self.service.check_region(&region).map_err(fault)?;
        let mut out = Caller::new(caller.arn.clone(), caller.access_key_id.clone());
        out.session = Some(Arc::new(Authenticated { caller, region }));
        Ok(out)
    }

    fn authorize_request(&self, request: &AuthorizeRequest) -> Result<AuthorizeResponse, StsFault> {
        let signed = &request.signed;
        let req = signed_request!(signed, Payload::Hash(signed.payload_sha256.clone()));
        // The data-plane request is signed for the service that owns the action
        // (`s3:GetObject` → scope service `s3`).
        let service_name = request
            .action
            .split_once(':')
            .map(|(prefix, _)| prefix.to_ascii_lowercase())
            .ok_or_else(|| {
                StsFault::new(
                    "ValidationError",
                    format!("action `{}` has no service prefix", request.action),
                    400,
                )
            })?;
        let config = VerifierConfig {
            service: service_name.into(),
            ..VerifierConfig::sts()
        };
        let auth = self.verify(&req, &config)?;
        let mut extra = Context::new();
        for (key, values) in &request.context {
            let value = match values.as_slice() {
                [single] => ContextValue::Single(single.clone()),
                many => ContextValue::Multi(many.to_vec()),
            };
            extra.insert(key, value);
        }
        if extra.get("aws:RequestedRegion").is_none() {
            extra.insert(
                "aws:RequestedRegion",
                ContextValue::Single(auth.region.clone()),
            );
        }
        let authorization = self
            .service
            .authorize(
                &auth.caller,
                &request.action,
                &request.resource,
                None,
                &extra,
            )
            .map_err(fault)?;
        let decision = match authorization.decision {
            iam_policy::Decision::Allow => Decision::Allow,
            iam_policy::Decision::ExplicitDeny => Decision::ExplicitDeny,
            iam_policy::Decision::ImplicitDeny => Decision::ImplicitDeny,
        };
        // A denial carries the sealed explanation the client can decode (sts-api.md §6.4); if
        // sealing fails the decision still stands, without the message.
        let encoded_message = match decision {
            Decision::Allow => None,
            Decision::ExplicitDeny | Decision::ImplicitDeny => self
                .service
                .encode_authorization_message(&auth.caller, &authorization)
                .ok(),
        };
        Ok(AuthorizeResponse {
            decision,
            principal: auth.caller.arn.clone(),
            explanation: explain(&authorization.explain()),
            encoded_message,
        })
    }
}

/// The region of a request's credential scope (`AKID/date/region/service/aws4_request`), from
/// the `Authorization` header or the presigned `X-Amz-Credential` parameter.
fn scope_region(req: &SignedRequest) -> Option<String> {
    let from_header = req
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.split("Credential=").nth(1))
        .map(|rest| rest.split([',', ' ']).next().unwrap_or_default().to_owned());
    let credential = from_header.or_else(|| {
        req.query.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name == "X-Amz-Credential").then(|| value.replace("%2F", "/").replace("%2f", "/"))
        })
    })?;
    let region = credential.split('/').nth(2)?;
    (!region.is_empty()).then(|| region.to_owned())
}

/// A one-line account of an evaluation: the deciding statements, the layer that did not
/// allow, and the special rules that fired.
fn explain(explanation: &iam_policy::Explanation) -> String {
    let mut parts: Vec<String> = explanation
        .deciding
        .iter()
        .map(|record| {
            let mut part = format!("{:?}", record.layer).to_lowercase();
            if let Some(label) = &record.label {
                part.push_str(&format!(" policy `{label}`"));
            }
            match &record.sid {
                Some(sid) => part.push_str(&format!(" statement `{sid}`")),
                None => part.push_str(&format!(" statement {}", record.statement + 1)),
            }
            part
        })
        .collect();
    if let Some(missing) = explanation.missing {
        parts.push(missing.message());
    }
    parts.extend(explanation.notes.iter().cloned());
    if parts.is_empty() {
        "no statement applies".to_owned()
    } else {
        parts.join("; ")
    }
}

impl StsBackend for TokenBackend {
    fn call(&self, request: &StsCall) -> Result<StsOutput, StsFault> {
        match request.action.as_str() {
            "AssumeRole" => self.assume_role(request),
            "AssumeRoleWithWebIdentity" => self.assume_role_with_web_identity(request),
            "AssumeRoleWithSAML" => self.assume_role_with_saml(request),
            "GetSessionToken" => self.get_session_token(request),
            "GetFederationToken" => self.get_federation_token(request),
            "GetCallerIdentity" => self.get_caller_identity(request),
            "GetAccessKeyInfo" => self.get_access_key_info(request),
            "DecodeAuthorizationMessage" => self.decode_authorization_message(request),
            other => Err(StsFault::new(
                "InvalidAction",
                format!("Could not find operation {other} for version 2011-06-15"),
                400,
            )),
        }
    }

    fn authenticate(&self, signed: RawRequest) -> Result<Caller, StsFault> {
        self.authenticate_request(signed)
    }

    fn authorize(&self, request: &AuthorizeRequest) -> Result<AuthorizeResponse, StsFault> {
        self.authorize_request(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(params: &[(&str, &str)]) -> StsCall {
        StsCall {
            action: "AssumeRole".to_owned(),
            version: "2011-06-15".to_owned(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            caller: None,
            request_id: "r".to_owned(),
            source_ip: None,
        }
    }

    #[test]
    fn list_members_come_back_in_index_order_with_their_fields() {
        let c = call(&[
            ("Tags.member.2.Key", "b"),
            ("Tags.member.10.Key", "c"),
            ("Tags.member.1.Value", "1"),
            ("Tags.member.1.Key", "a"),
            ("Tags.member.2.Value", "2"),
            ("Tags.member.10.Value", "10"),
        ]);
        let tags = tags(&c).unwrap();
        let pairs: Vec<(&str, &str)> = tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect();
        assert_eq!(pairs, [("a", "1"), ("b", "2"), ("c", "10")]);
    }

    #[test]
    fn a_tag_without_value_is_a_validation_error() {
        let c = call(&[("Tags.member.1.Key", "a")]);
        assert_eq!(tags(&c).unwrap_err().code, "ValidationError");
    }

    #[test]
    fn scalar_lists_and_policy_arns_decode() {
        let c = call(&[
            ("TransitiveTagKeys.member.1", "team"),
            ("TransitiveTagKeys.member.2", "env"),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
        ]);
        assert_eq!(scalars(&c, "TransitiveTagKeys"), ["team", "env"]);
        assert_eq!(policy_arns(&c), ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
        assert!(scalars(&c, "Tags").is_empty());
    }

    #[test]
    fn a_non_integer_duration_is_a_validation_error() {
        let c = call(&[("DurationSeconds", "soon")]);
        let fault = integer(&c, "DurationSeconds", "durationSeconds").unwrap_err();
        assert_eq!(
            (fault.code.as_str(), fault.http_status),
            ("ValidationError", 400)
        );
        assert_eq!(
            integer(&call(&[("DurationSeconds", "900")]), "DurationSeconds", "d").unwrap(),
            Some(900)
        );
    }

    #[test]
    fn the_scope_region_comes_from_the_header_or_the_presigned_credential() {
        let header = SignedRequest::new("POST", "/").with_header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20261129/eu-west-1/sts/aws4_request, \
             SignedHeaders=host, Signature=00",
        );
        assert_eq!(scope_region(&header).as_deref(), Some("eu-west-1"));
        let presigned = SignedRequest::new(
            "GET",
            "/?Action=GetCallerIdentity&X-Amz-Credential=AKID%2F20261129%2Fus-east-2%2Fsts%2Faws4_request",
        );
        assert_eq!(scope_region(&presigned).as_deref(), Some("us-east-2"));
        assert_eq!(scope_region(&SignedRequest::new("GET", "/")), None);
    }

    #[test]
    fn a_call_without_an_authenticated_caller_is_an_internal_failure() {
        let c = call(&[]);
        assert_eq!(authenticated(&c).err().unwrap().code, "InternalFailure");
    }
}
