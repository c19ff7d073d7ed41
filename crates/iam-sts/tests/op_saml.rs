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

mod saml_support;

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
use saml_support::*;

const STRICT_ROLE: &str = "arn:aws:iam::123456789012:role/StrictRole";

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
