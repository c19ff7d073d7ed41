//! `authorize` on sessions: the request context AWS fills (evaluation.md §8, §10), the
//! session-policy filter (§7.9), caching, and revocation of older sessions with an
//! `aws:TokenIssueTime` deny.
#![cfg(test)]

mod op_support;

use iam_policy::context::{Context, ContextValue};
use iam_sts::service::{AssumeRoleParams, GetSessionTokenParams};
use op_support::*;

fn get<'a>(a: &'a iam_sts::service::Authorization, k: &str) -> Option<&'a str> {
    a.request.context().get(k).and_then(ContextValue::as_single)
}

#[test]
fn role_session_context_carries_the_principal_keys() {
    let f = Fixture::new();
    let p = AssumeRoleParams {
        tags: vec![tag("team", "red")],
        source_identity: Some("alice-src".into()),
        serial_number: Some(MFA_SERIAL.into()),
        token_code: Some(f.totp_now()),
        ..assume(APP_ROLE, "s1")
    };
    let out = f.service.assume_role(&f.alice(), &p).unwrap();
    let c = f.session_caller(&out.credentials);
    f.clock.advance(chrono::Duration::seconds(90));
    let mut extra = Context::new();
    extra.insert(
        "aws:PrincipalArn",
        ContextValue::Single("arn:aws:iam::111122223333:role/evil".into()),
    );
    extra.insert("aws:SourceIp", ContextValue::Single("203.0.113.7".into()));
    let a = f.authorize_with(&c, "s3:GetObject", "arn:aws:s3:::data/k", &extra);
    assert!(a.is_allowed());
    assert_eq!(
        get(&a, "aws:PrincipalArn"),
        Some(APP_ROLE),
        "caller keys cannot override"
    );
    assert_eq!(get(&a, "aws:SourceIp"), Some("203.0.113.7"));
    assert_eq!(get(&a, "aws:userid"), Some("AROAEXAMPLEAPP0000001:s1"));
    assert_eq!(get(&a, "aws:PrincipalType"), Some("AssumedRole"));
    assert_eq!(get(&a, "aws:PrincipalAccount"), Some(ACCT));
    assert_eq!(get(&a, "aws:username"), None);
    assert_eq!(
        get(&a, "aws:PrincipalTag/team"),
        Some("red"),
        "session tag overrides role tag"
    );
    assert_eq!(get(&a, "aws:PrincipalTag/env"), Some("prod"));
    assert_eq!(get(&a, "aws:TokenIssueTime"), Some("2026-11-29T12:00:00Z"));
    assert_eq!(get(&a, "aws:CurrentTime"), Some("2026-11-29T12:01:30Z"));
    assert_eq!(
        get(&a, "aws:EpochTime"),
        Some((start().timestamp() + 90).to_string().as_str())
    );
    assert_eq!(get(&a, "aws:MultiFactorAuthPresent"), Some("true"));
    assert_eq!(get(&a, "aws:MultiFactorAuthAge"), Some("90"));
    assert_eq!(get(&a, "aws:SourceIdentity"), Some("alice-src"));
    assert_eq!(get(&a, "aws:PrincipalIsAWSService"), Some("false"));
}

#[test]
fn long_term_user_context_has_username_and_no_session_keys() {
    let f = Fixture::new();
    let a = f.authorize(&f.alice(), "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(get(&a, "aws:username"), Some("alice"));
    assert_eq!(get(&a, "aws:userid"), Some("AIDAEXAMPLEALICE00001"));
    assert_eq!(get(&a, "aws:PrincipalTag/team"), Some("platform"));
    assert_eq!(
        get(&a, "aws:MultiFactorAuthPresent"),
        None,
        "absent for long-term keys"
    );
    assert_eq!(get(&a, "aws:TokenIssueTime"), None);
    let gst = f
        .service
        .get_session_token(&f.alice(), &GetSessionTokenParams::default())
        .unwrap();
    let c = f.session_caller(&gst.credentials);
    let a = f.authorize(&c, "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(get(&a, "aws:MultiFactorAuthPresent"), Some("false"));
    assert_eq!(get(&a, "aws:username"), Some("alice"));
    assert!(a.is_allowed(), "a GetSessionToken session acts as the user");
}

#[test]
fn session_policies_only_narrow_the_role() {
    let f = Fixture::new();
    let p = AssumeRoleParams {
        policy: Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","ec2:*"],"Resource":"*"}]}"#.into()),
        ..assume(APP_ROLE, "s1")
    };
    let out = f.service.assume_role(&f.alice(), &p).unwrap();
    let c = f.session_caller(&out.credentials);
    let ok = |action: &str| f.authorize(&c, action, "arn:aws:s3:::data/k").is_allowed();
    assert!(ok("s3:GetObject"));
    assert!(!ok("s3:PutObject"), "role allows, session policy does not");
    assert!(
        !ok("ec2:RunInstances"),
        "session policy allows, role does not"
    );
}

#[test]
fn older_sessions_are_revoked_by_a_token_issue_time_deny() {
    let f = Fixture::new();
    let old = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "old"))
        .unwrap();
    let old = f.session_caller(&old.credentials);
    let check = |c: &iam_sts::session::Caller| {
        f.authorize(c, "s3:GetObject", "arn:aws:s3:::data/k")
            .decision
    };
    assert!(check(&old).is_allowed());
    f.clock.advance(chrono::Duration::seconds(60));
    f.reload_prod(&prod_json(Some("2026-11-29T12:00:30Z")));
    assert_eq!(
        check(&old),
        iam_policy::Decision::ExplicitDeny,
        "cache is dropped on reload"
    );
    let new = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "new"))
        .unwrap();
    assert!(check(&f.session_caller(&new.credentials)).is_allowed());
}

#[test]
fn permissions_are_cached_by_token_digest() {
    let f = Fixture::new();
    let c = f.alice_role_session(APP_ROLE, "s1");
    let a = f.authorize(&c, "s3:GetObject", "arn:aws:s3:::data/k");
    let b = f.authorize(&c, "s3:PutObject", "arn:aws:s3:::data/k");
    assert!(std::sync::Arc::ptr_eq(&a.permissions, &b.permissions));
    let session = c.session.clone().unwrap();
    let s = f
        .service
        .authorize_session(
            &session,
            "s3:GetObject",
            "arn:aws:s3:::data/k",
            Some(ACCT),
            &Context::new(),
        )
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&a.permissions, &s.permissions));
    assert_eq!(f.service.cache().len(), 1);
}

#[test]
fn the_cache_stays_bounded() {
    let f = Fixture::new();
    let cap = f.service.config().cache_capacity;
    assert!(cap >= 1);
    let small = iam_sts::session::PermissionCache::new(4);
    let dir = f.service.directory().current();
    for i in 0..20 {
        let out = f
            .service
            .assume_role(&f.alice(), &assume(APP_ROLE, &format!("s{i}")))
            .unwrap();
        small
            .permissions(&dir, &f.session_caller(&out.credentials), Some(ACCT))
            .unwrap();
        assert!(small.len() <= 4);
    }
}

#[test]
fn scps_and_organization_keys_apply_to_sessions() {
    let f = Fixture::new();
    // alice's own policy allows s3:DeleteBucket; the SCP on her unit denies it.
    let a = f.authorize(&f.alice(), "s3:DeleteBucket", "arn:aws:s3:::b");
    assert_eq!(a.decision, iam_policy::Decision::ExplicitDeny);
    assert_eq!(get(&a, "aws:PrincipalOrgID"), Some("o-a1b2c3d4e5"));
    let paths: Vec<&str> = a
        .request
        .context()
        .get("aws:PrincipalOrgPaths")
        .unwrap()
        .values()
        .collect();
    assert_eq!(paths, vec!["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"]);
    let c = f.alice_role_session(APP_ROLE, "s1");
    let a = f.authorize(&c, "s3:GetObject", "arn:aws:s3:::data/k");
    assert!(
        a.is_allowed(),
        "FullAWSAccess at every level lets the role's grants through"
    );
}

#[test]
fn mfa_context_of_a_session_token_carries_into_assumed_roles() {
    let f = Fixture::new();
    let p = GetSessionTokenParams {
        serial_number: Some(MFA_SERIAL.into()),
        token_code: Some(f.totp_now()),
        ..Default::default()
    };
    let gst = f.service.get_session_token(&f.alice(), &p).unwrap();
    let c = f.session_caller(&gst.credentials);
    // mfa-only trusts the account when MFA is present; the identity policy allows.
    let out = f.service.assume_role(&c, &assume(MFA_ROLE, "m1")).unwrap();
    let s = f.session_caller(&out.credentials);
    let rec = s.session.as_ref().unwrap().record();
    assert!(rec.mfa.authenticated);
    assert_eq!(rec.mfa.auth_time, Some(start()));
}
