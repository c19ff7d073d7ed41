//! `AssumeRoleWithSAML` through the token service: SAML responses signed in the test by the
//! test-only IdP key of `corpus/sts/saml/` (via samael/libxmlsec1), verified against a SAML
//! provider of a directory written to a temp dir, trust evaluated with the provider as
//! principal. Built only with `--features saml`.
#![cfg(feature = "saml")]
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "fixture helpers outside #[test] fns must fail loudly on broken fixtures"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use iam_sts::clock::{FixedClock, SeededRandom};
use iam_sts::directory::SharedDirectory;
use iam_sts::error::StsError;
use iam_sts::keyring::KeyRing;
use iam_sts::service::{AssumeRoleWithSamlParams, SamlCredentials, ServiceConfig, TokenService};
use samael::crypto::{Crypto, CryptoProvider};

const ENTITY: &str = "https://idp.example.com/saml";
const ROLE: &str = "arn:aws:iam::123456789012:role/SamlRole";
const STRICT_ROLE: &str = "arn:aws:iam::123456789012:role/StrictRole";
const PROVIDER: &str = "arn:aws:iam::123456789012:saml-provider/ExampleIdP";

fn corpus(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../corpus/sts/saml/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cert_base64(name: &str) -> String {
    String::from_utf8(corpus(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect()
}

fn metadata(cert_file: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ENTITY}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#,
        cert_base64(cert_file)
    )
}

fn now() -> DateTime<Utc> {
    "2030-01-01T00:01:00Z".parse().unwrap()
}

const TOML: &str = r#"
[[account]]
id = "123456789012"
file = "prod.json"

[[account.role]]
name = "SamlRole"
max_session_duration = 43200

[[account.saml_provider]]
name = "ExampleIdP"
metadata_file = "idp.xml"
"#;

fn role(name: &str, id: &str, trust: &str) -> String {
    format!(
        r#"{{"Path":"/","RoleName":"{name}","RoleId":"{id}","Arn":"arn:aws:iam::123456789012:role/{name}",
        "CreateDate":"2024-01-01 00:00:00+00:00",
        "AssumeRolePolicyDocument":{{"Version":"2012-10-17","Statement":[{trust}]}},
        "InstanceProfileList":[],
        "RolePolicyList":[{{"PolicyName":"{name}-inline","PolicyDocument":{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}]}}}}],
        "AttachedManagedPolicies":[],"Tags":[]}}"#
    )
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn service() -> TokenService {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("iam-sts-samlop-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trust = format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":["sts:AssumeRoleWithSAML","sts:TagSession","sts:SetSourceIdentity"],"Condition":{{"StringEquals":{{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}}}}"#
    );
    let strict = format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":"sts:AssumeRoleWithSAML","Condition":{{"StringEquals":{{"saml:sub":"someone-else@example.com"}}}}}}"#
    );
    let prod = format!(
        r#"{{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":[{},{}],"Policies":[]}}"#,
        role("SamlRole", "AROAEXAMPLESAML000001", &trust),
        role("StrictRole", "AROAEXAMPLESTRICT0001", &strict),
    );
    std::fs::write(dir.join("directory.toml"), TOML).unwrap();
    std::fs::write(dir.join("prod.json"), prod).unwrap();
    std::fs::write(dir.join("idp.xml"), metadata("idp-cert.pem")).unwrap();
    let shared = SharedDirectory::load(dir.join("directory.toml")).unwrap();
    let clock = Arc::new(FixedClock::new(now()));
    let random = Arc::new(SeededRandom::new(7));
    let ring = KeyRing::generate(now() - chrono::Duration::days(1), random.as_ref()).unwrap();
    TokenService::new(shared, ring, clock, random, ServiceConfig::default())
}

fn signature_template(id: &str) -> String {
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##
    )
}

/// The parts of a test assertion that the tests vary.
#[derive(Clone)]
struct Spec {
    issuer: String,
    name_id: String,
    recipient: String,
    not_on_or_after: String,
    audience: String,
    roles: Vec<String>,
    session_name: Vec<String>,
    extra_attributes: String,
    confirmations: usize,
    sign_response: bool,
    status: String,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            issuer: ENTITY.into(),
            name_id: "jane@example.com".into(),
            recipient: "https://signin.aws.amazon.com/saml".into(),
            not_on_or_after: "2030-01-01T00:05:00Z".into(),
            audience: "urn:amazon:webservices".into(),
            roles: vec![format!("{ROLE},{PROVIDER}")],
            session_name: vec!["jane@example.com".into()],
            extra_attributes: String::new(),
            confirmations: 1,
            sign_response: false,
            status: "urn:oasis:names:tc:SAML:2.0:status:Success".into(),
        }
    }
}

fn attribute(name: &str, values: &[String]) -> String {
    let values: String = values
        .iter()
        .map(|v| format!("<saml:AttributeValue>{v}</saml:AttributeValue>"))
        .collect();
    format!(r#"<saml:Attribute Name="{name}">{values}</saml:Attribute>"#)
}

fn assertion_xml(spec: &Spec, id: &str, signed: bool) -> String {
    let confirmation = format!(
        r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{}" Recipient="{}"/></saml:SubjectConfirmation>"#,
        spec.not_on_or_after, spec.recipient
    );
    let mut attrs = String::new();
    if !spec.roles.is_empty() {
        attrs.push_str(&attribute(
            "https://aws.amazon.com/SAML/Attributes/Role",
            &spec.roles,
        ));
    }
    if !spec.session_name.is_empty() {
        attrs.push_str(&attribute(
            "https://aws.amazon.com/SAML/Attributes/RoleSessionName",
            &spec.session_name,
        ));
    }
    attrs.push_str(&spec.extra_attributes);
    format!(
        r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>{issuer}</saml:Issuer>{sig}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{name_id}</saml:NameID>{confirmations}</saml:Subject><saml:Conditions NotBefore="2030-01-01T00:00:00Z" NotOnOrAfter="2030-01-01T00:05:00Z"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="2030-01-01T00:00:00Z" SessionNotOnOrAfter="2030-01-01T08:00:00Z"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attrs}</saml:AttributeStatement></saml:Assertion>"#,
        issuer = spec.issuer,
        sig = if signed {
            signature_template(id)
        } else {
            String::new()
        },
        name_id = spec.name_id,
        confirmations = confirmation.repeat(spec.confirmations),
        audience = spec.audience,
    )
}

fn response_xml(spec: &Spec, assertion: &str) -> String {
    format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp1" Version="2.0" IssueInstant="2030-01-01T00:00:00Z" Destination="https://signin.aws.amazon.com/saml"><saml:Issuer>{issuer}</saml:Issuer>{sig}<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>{assertion}</samlp:Response>"#,
        issuer = spec.issuer,
        sig = if spec.sign_response {
            signature_template("_resp1")
        } else {
            String::new()
        },
        status = spec.status,
    )
}

fn sign(xml: &str, key_file: &str) -> String {
    Crypto::sign_xml(xml, &corpus(key_file)).unwrap()
}

/// A base64 response whose assertion (or, with `sign_response`, the response) is signed.
fn signed_response(spec: &Spec) -> String {
    let xml = if spec.sign_response {
        sign(
            &response_xml(spec, &assertion_xml(spec, "_a1", false)),
            "idp-key.der",
        )
    } else {
        response_xml(
            spec,
            &sign(
                &strip_decl(&assertion_xml(spec, "_a1", true)),
                "idp-key.der",
            ),
        )
    };
    STANDARD.encode(strip_decl(&xml))
}

fn strip_decl(xml: &str) -> String {
    match xml.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").unwrap().1.trim_start().to_owned(),
        None => xml.to_owned(),
    }
}

fn params(role: &str, assertion: &str) -> AssumeRoleWithSamlParams {
    AssumeRoleWithSamlParams {
        role_arn: Some(role.to_owned()),
        principal_arn: Some(PROVIDER.to_owned()),
        saml_assertion: Some(assertion.to_owned()),
        ..Default::default()
    }
}

fn assume(svc: &TokenService, p: &AssumeRoleWithSamlParams) -> Result<SamlCredentials, StsError> {
    svc.assume_role_with_saml(p)
}

fn err(svc: &TokenService, p: &AssumeRoleWithSamlParams) -> StsError {
    match assume(svc, p) {
        Ok(_) => panic!("request was accepted"),
        Err(e) => e,
    }
}

#[test]
fn signed_assertion_issues_a_role_session_with_saml_fields() {
    let svc = service();
    let out = assume(&svc, &params(ROLE, &signed_response(&Spec::default()))).unwrap();
    assert_eq!(out.subject, "jane@example.com");
    assert_eq!(out.subject_type, "persistent");
    assert_eq!(out.issuer, ENTITY);
    assert_eq!(out.audience, "https://signin.aws.amazon.com/saml");
    assert!(!out.name_qualifier.is_empty());
    let user = out.issued.assumed_role_user.clone().unwrap();
    assert_eq!(
        user.arn,
        "arn:aws:sts::123456789012:assumed-role/SamlRole/jane@example.com"
    );
    let creds = &out.issued.credentials;
    // the SessionNotOnOrAfter of 08:00 does not cut the default hour
    assert_eq!(creds.expiration, now() + chrono::Duration::seconds(3600));
    let caller = svc
        .open_session(&creds.access_key_id, creds.session_token.expose())
        .unwrap();
    assert_eq!(svc.get_caller_identity(&caller).arn, user.arn);
    let rec = caller.session.as_ref().unwrap().record();
    assert_eq!(rec.federated_provider.as_deref(), Some(PROVIDER));
}

#[test]
fn session_not_on_or_after_caps_the_duration() {
    let svc = service();
    let p = AssumeRoleWithSamlParams {
        duration_seconds: Some(43_200),
        ..params(ROLE, &signed_response(&Spec::default()))
    };
    let out = assume(&svc, &p).unwrap();
    let limit: DateTime<Utc> = "2030-01-01T08:00:00Z".parse().unwrap();
    assert_eq!(out.issued.credentials.expiration, limit);
}

#[test]
fn trust_condition_on_subject_denies_another_subject() {
    let svc = service();
    let spec = Spec {
        roles: vec![format!("{STRICT_ROLE},{PROVIDER}")],
        ..Spec::default()
    };
    let e = err(&svc, &params(STRICT_ROLE, &signed_response(&spec)));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(
        e.message(),
        "Not authorized to perform sts:AssumeRoleWithSAML"
    );
}

#[test]
fn assertion_signed_by_another_key_is_an_invalid_token() {
    let svc = service();
    let xml = response_xml(
        &Spec::default(),
        &sign(
            &strip_decl(&assertion_xml(&Spec::default(), "_a1", true)),
            "other-key.der",
        ),
    );
    let b64 = STANDARD.encode(strip_decl(&xml));
    assert_eq!(
        err(&svc, &params(ROLE, &b64)).code(),
        "InvalidIdentityToken"
    );
}

#[test]
fn unknown_saml_provider_is_an_invalid_token() {
    let svc = service();
    let p = AssumeRoleWithSamlParams {
        principal_arn: Some("arn:aws:iam::123456789012:saml-provider/Nope".into()),
        ..params(ROLE, &signed_response(&Spec::default()))
    };
    assert_eq!(err(&svc, &p).code(), "InvalidIdentityToken");
}

#[test]
fn missing_parameters_are_validation_errors() {
    let svc = service();
    let b64 = signed_response(&Spec::default());
    for (p, member) in [
        (
            AssumeRoleWithSamlParams {
                principal_arn: None,
                ..params(ROLE, &b64)
            },
            "principalArn",
        ),
        (
            AssumeRoleWithSamlParams {
                saml_assertion: None,
                ..params(ROLE, &b64)
            },
            "sAMLAssertion",
        ),
        (
            AssumeRoleWithSamlParams {
                role_arn: None,
                ..params(ROLE, &b64)
            },
            "roleArn",
        ),
    ] {
        let e = err(&svc, &p);
        assert_eq!(e.code(), "ValidationError");
        assert!(e.message().contains(member), "{}", e.message());
    }
    let short = AssumeRoleWithSamlParams {
        saml_assertion: Some("abc".into()),
        ..params(ROLE, &b64)
    };
    assert_eq!(err(&svc, &short).code(), "ValidationError");
}

#[test]
fn tags_and_source_identity_from_the_assertion_are_kept() {
    let svc = service();
    let extra = attribute(
        "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Project",
        &["blue".into()],
    ) + &attribute(
        "https://aws.amazon.com/SAML/Attributes/SourceIdentity",
        &["jane".into()],
    );
    let spec = Spec {
        extra_attributes: extra,
        ..Spec::default()
    };
    let out = assume(&svc, &params(ROLE, &signed_response(&spec))).unwrap();
    assert_eq!(out.issued.source_identity.as_deref(), Some("jane"));
    assert!(out.issued.packed_policy_size.is_some());
}
