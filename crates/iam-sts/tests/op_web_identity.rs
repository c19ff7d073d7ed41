//! `AssumeRoleWithWebIdentity` through the token service: ID tokens signed in the test with
//! the test-only keys of `corpus/sts/webidentity/`, verified against an OIDC provider of a
//! directory written to a temp dir, trust evaluated with the provider as principal.

#![cfg(test)]

mod webid_support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use iam_policy::context::Context;
use iam_sts::error::StsError;
use iam_sts::service::{AssumeRoleWithWebIdentityParams, TokenService, WebIdentityCredentials};
use serde_json::{json, Value};
use webid_support::{corpus, err, params, refusal, service_at, sign_with, start, with, ACCT};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const PROVIDER: &str =
    "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
const SUB: &str = "repo:octo-org/octo-repo:ref:refs/heads/main";
const WEB_ROLE: &str = "arn:aws:iam::111122223333:role/web";
const TAGS_ROLE: &str = "arn:aws:iam::111122223333:role/web-tags";
const OTHER_ROLE: &str = "arn:aws:iam::111122223333:role/other-idp";

const TOML: &str = r#"
[[account]]
id = "111122223333"
file = "prod.json"

[[account.role]]
name = "web-tags"
max_session_duration = 7200

[[account.oidc_provider]]
url = "https://token.actions.githubusercontent.com"
client_ids = ["sts.amazonaws.com", "other-audience"]
jwks_file = "jwks.json"
"#;

fn role(name: &str, id: &str, trust: &str) -> String {
    format!(
        r#"{{"Path":"/","RoleName":"{name}","RoleId":"{id}","Arn":"arn:aws:iam::{ACCT}:role/{name}",
        "CreateDate":"2024-01-01 00:00:00+00:00",
        "AssumeRolePolicyDocument":{{"Version":"2012-10-17","Statement":[{trust}]}},
        "InstanceProfileList":[],
        "RolePolicyList":[{{"PolicyName":"{name}-inline","PolicyDocument":{{"Version":"2012-10-17","Statement":[
          {{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}},
          {{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{{"StringEquals":{{"aws:FederatedProvider":"{PROVIDER}"}}}}}}]}}}}],
        "AttachedManagedPolicies":[],"Tags":[]}}"#
    )
}

fn prod_json() -> String {
    let cond = format!(
        r#""Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"{SUB}"}}}}"#
    );
    let web = format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":"sts:AssumeRoleWithWebIdentity",{cond}}}"#
    );
    let tags = format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession","sts:SetSourceIdentity"],{cond}}}"#
    );
    let other = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
    format!(
        r#"{{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":[{},{},{}],"Policies":[]}}"#,
        role("web", "AROAEXAMPLEWEB0000001", &web),
        role("web-tags", "AROAEXAMPLEWEBTAGS001", &tags),
        role("other-idp", "AROAEXAMPLEOTHERIDP01", other),
    )
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn service() -> TokenService {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("iam-sts-webop-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("directory.toml"), TOML).unwrap();
    std::fs::write(dir.join("prod.json"), prod_json()).unwrap();
    std::fs::write(dir.join("jwks.json"), corpus("jwks.json")).unwrap();
    service_at(&dir.join("directory.toml"))
}

fn claims() -> Value {
    let now = start().timestamp();
    json!({
        "iss": ISSUER,
        "sub": SUB,
        "aud": "sts.amazonaws.com",
        "iat": now - 60,
        "exp": now + 300,
    })
}

fn sign(claims: &Value) -> String {
    sign_with("rsa-a.pem", "rsa-a", claims)
}

fn assume(
    svc: &TokenService,
    p: &AssumeRoleWithWebIdentityParams,
) -> Result<WebIdentityCredentials, StsError> {
    svc.assume_role_with_web_identity(p)
}

#[test]
fn trusted_token_issues_a_role_session_with_web_identity_fields() {
    let svc = service();
    let out = assume(&svc, &params(WEB_ROLE, &sign(&claims()))).unwrap();
    assert_eq!(out.subject_from_web_identity_token, SUB);
    assert_eq!(out.provider, PROVIDER);
    assert_eq!(out.audience, "sts.amazonaws.com");
    let user = out.issued.assumed_role_user.clone().unwrap();
    assert_eq!(
        user.arn,
        "arn:aws:sts::111122223333:assumed-role/web/ci-run"
    );
    assert_eq!(user.assumed_role_id, "AROAEXAMPLEWEB0000001:ci-run");
    assert_eq!(out.issued.packed_policy_size, None);
    assert_eq!(out.issued.source_identity, None);
    assert_eq!(
        out.issued.credentials.expiration,
        start() + chrono::Duration::seconds(3600)
    );
    let creds = &out.issued.credentials;
    let caller = svc
        .open_session(&creds.access_key_id, creds.session_token.expose())
        .unwrap();
    let id = svc.get_caller_identity(&caller);
    assert_eq!(id.arn, user.arn);
    assert_eq!(id.account, ACCT);
    assert_eq!(id.user_id, user.assumed_role_id);
}

#[test]
fn issued_session_carries_the_federated_provider_into_authorize() {
    let svc = service();
    let out = assume(&svc, &params(WEB_ROLE, &sign(&claims()))).unwrap();
    let creds = &out.issued.credentials;
    let caller = svc
        .open_session(&creds.access_key_id, creds.session_token.expose())
        .unwrap();
    let ctx = Context::new();
    let list = svc
        .authorize(&caller, "s3:ListBucket", "arn:aws:s3:::b", Some(ACCT), &ctx)
        .unwrap();
    assert!(list.is_allowed());
    let put = svc
        .authorize(
            &caller,
            "s3:PutObject",
            "arn:aws:s3:::b/k",
            Some(ACCT),
            &ctx,
        )
        .unwrap();
    assert!(!put.is_allowed());
}

#[test]
fn wrong_audience_condition_or_subject_is_denied_by_the_trust_policy() {
    let svc = service();
    let wrong_sub = sign(&with(
        claims(),
        "sub",
        json!("repo:octo-org/other:ref:refs/heads/main"),
    ));
    let e = err(&svc, &params(WEB_ROLE, &wrong_sub));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(e.http_status(), 403);
    assert_eq!(
        e.message(),
        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    );
}

#[test]
fn audience_accepted_by_the_provider_but_not_the_trust_condition_is_denied() {
    let svc = service();
    let t = sign(&with(claims(), "aud", json!("other-audience")));
    let e = err(&svc, &params(WEB_ROLE, &t));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(
        e.message(),
        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    );
}

#[test]
fn trust_naming_another_provider_denies() {
    let svc = service();
    let e = err(&svc, &params(OTHER_ROLE, &sign(&claims())));
    assert_eq!(e.code(), "AccessDenied");
}

#[test]
fn audience_not_among_client_ids_is_an_invalid_token() {
    let svc = service();
    let t = sign(&with(claims(), "aud", json!("someone-else")));
    assert_eq!(refusal(&svc, WEB_ROLE, &t), "InvalidIdentityToken");
}

#[test]
fn unknown_provider_is_an_invalid_token_with_aws_wording() {
    let svc = service();
    let t = sign(&with(claims(), "iss", json!("https://oidc.example.com")));
    let e = err(&svc, &params(WEB_ROLE, &t));
    assert_eq!(e.code(), "InvalidIdentityToken");
    assert_eq!(e.http_status(), 400);
    assert_eq!(
        e.message(),
        "No OpenIDConnect provider found in your account for https://oidc.example.com"
    );
}

#[test]
fn expired_token_is_expired_token_exception() {
    let svc = service();
    let now = start().timestamp();
    let t = sign(&with(claims(), "exp", json!(now - 10)));
    let e = err(&svc, &params(WEB_ROLE, &t));
    assert_eq!(e.code(), "ExpiredTokenException");
    assert!(
        e.message().starts_with("Token expired: current date/time"),
        "{}",
        e.message()
    );
}

#[test]
fn token_signed_by_another_key_is_rejected() {
    let svc = service();
    // rsa-b's private key under rsa-a's kid: the signature does not verify
    let t = sign_with("rsa-b.pem", "rsa-a", &claims());
    assert_eq!(refusal(&svc, WEB_ROLE, &t), "InvalidIdentityToken");
    let mut tampered = sign(&claims());
    tampered.push('A');
    assert_eq!(refusal(&svc, WEB_ROLE, &tampered), "InvalidIdentityToken");
}

#[test]
fn each_parameter_constraint_is_a_validation_error() {
    let svc = service();
    let token = sign(&claims());
    let base = || params(WEB_ROLE, &token);
    let cases: Vec<(AssumeRoleWithWebIdentityParams, &str)> = vec![
        (AssumeRoleWithWebIdentityParams { role_arn: None, ..base() }, "'roleArn' failed to satisfy constraint: Member must not be null"),
        (AssumeRoleWithWebIdentityParams { role_session_name: None, ..base() }, "'roleSessionName' failed to satisfy constraint: Member must not be null"),
        (AssumeRoleWithWebIdentityParams { web_identity_token: None, ..base() }, "'webIdentityToken' failed to satisfy constraint: Member must not be null"),
        (AssumeRoleWithWebIdentityParams { role_session_name: Some("a".into()), ..base() }, "Member must have length greater than or equal to 2"),
        (AssumeRoleWithWebIdentityParams { role_session_name: Some("a:b".into()), ..base() }, "Member must satisfy regular expression pattern"),
        (AssumeRoleWithWebIdentityParams { web_identity_token: Some("abc".into()), ..base() }, "at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"),
        (AssumeRoleWithWebIdentityParams { web_identity_token: Some("a".repeat(20_001)), ..base() }, "Member must have length less than or equal to 20000"),
        (AssumeRoleWithWebIdentityParams { provider_id: Some("abc".into()), ..base() }, "'providerId' failed to satisfy constraint"),
        (AssumeRoleWithWebIdentityParams { duration_seconds: Some(899), ..base() }, "Member must have value greater than or equal to 900"),
        (AssumeRoleWithWebIdentityParams { duration_seconds: Some(43_201), ..base() }, "Member must have value less than or equal to 43200"),
        (AssumeRoleWithWebIdentityParams { policy: Some("x".repeat(2_049)), ..base() }, "'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"),
        (AssumeRoleWithWebIdentityParams { role_arn: Some("arn:a:::something/test-role".into()), ..base() }, "arn:a:::something/test-role is invalid"),
    ];
    for (p, want) in cases {
        let e = err(&svc, &p);
        assert_eq!(e.code(), "ValidationError", "{want}");
        assert!(e.message().contains(want), "{} lacks {want}", e.message());
        assert!(!e.message().contains(&token), "the token is never echoed");
    }
}

#[test]
fn duration_above_the_role_maximum_is_refused() {
    let svc = service();
    let token = sign(&claims());
    let p = AssumeRoleWithWebIdentityParams {
        duration_seconds: Some(3_601),
        ..params(WEB_ROLE, &token)
    };
    let e = err(&svc, &p);
    assert_eq!(e.code(), "ValidationError");
    assert_eq!(
        e.message(),
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    // no chaining cap: 7200 s is fine on a role allowing it
    let p = AssumeRoleWithWebIdentityParams {
        duration_seconds: Some(7_200),
        ..params(TAGS_ROLE, &token)
    };
    let out = assume(&svc, &p).unwrap();
    assert_eq!(
        out.issued.credentials.expiration,
        start() + chrono::Duration::seconds(7200)
    );
}

fn tagged_claims() -> Value {
    with(
        with(
            claims(),
            "https://aws.amazon.com/tags",
            json!({"principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["team"]}),
        ),
        "https://aws.amazon.com/source_identity",
        json!("octocat"),
    )
}

#[test]
fn session_tags_from_the_token_need_tag_session_in_the_trust_policy() {
    let svc = service();
    let token = sign(&tagged_claims());
    let e = err(&svc, &params(WEB_ROLE, &token));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(e.message(), "Not authorized to perform sts:TagSession");
    let out = assume(&svc, &params(TAGS_ROLE, &token)).unwrap();
    assert_eq!(out.issued.source_identity.as_deref(), Some("octocat"));
    assert!(out.issued.packed_policy_size.is_some());
    let creds = &out.issued.credentials;
    let caller = svc
        .open_session(&creds.access_key_id, creds.session_token.expose())
        .unwrap();
    let rec = caller.session.as_ref().unwrap().record();
    assert_eq!(rec.tags.len(), 1);
    assert_eq!(rec.transitive_tag_keys, vec!["team".to_owned()]);
    assert_eq!(rec.federated_provider.as_deref(), Some(PROVIDER));
}

#[test]
fn source_identity_alone_needs_set_source_identity() {
    let svc = service();
    let token = sign(&with(
        claims(),
        "https://aws.amazon.com/source_identity",
        json!("octocat"),
    ));
    let e = err(&svc, &params(WEB_ROLE, &token));
    assert_eq!(
        e.message(),
        "Not authorized to perform sts:SetSourceIdentity"
    );
}

#[test]
fn unknown_role_is_access_denied() {
    let svc = service();
    let e = err(
        &svc,
        &params("arn:aws:iam::111122223333:role/missing", &sign(&claims())),
    );
    assert_eq!(e.code(), "AccessDenied");
}

#[test]
fn malformed_session_policy_is_refused() {
    let svc = service();
    let token = sign(&claims());
    let p = AssumeRoleWithWebIdentityParams {
        policy: Some("{not json".into()),
        ..params(WEB_ROLE, &token)
    };
    assert_eq!(err(&svc, &p).code(), "MalformedPolicyDocument");
}
