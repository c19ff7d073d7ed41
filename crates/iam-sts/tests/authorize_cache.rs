//! `authorize` with the per-caller request cache: the request it builds from the cached
//! classified principal and the shared principal-and-time context must equal the request
//! built from scratch, the time keys must follow the clock, and caller-supplied keys must
//! never leak into later authorizations of the same caller.
#![cfg(test)]

mod op_support;

use iam_policy::context::{Context, ContextValue};
use iam_policy::Request;
use iam_sts::service::{AssumeRoleParams, Authorization, GetFederationTokenParams};
use iam_sts::session::{Caller, CallerKind};
use op_support::*;

fn get<'a>(a: &'a Authorization, k: &str) -> Option<&'a str> {
    a.request.context().get(k).and_then(ContextValue::as_single)
}

fn single(v: &str) -> ContextValue {
    ContextValue::Single(v.into())
}

/// The request `authorize` built, rebuilt from its parts with a flat context and the
/// principal parsed from text (the way `authorize` built it before the cache).
fn rebuilt(caller: &Caller, a: &Authorization, resource_account: Option<&str>) -> Request {
    let flat: Context = a
        .request
        .context()
        .iter()
        .map(|(k, v)| (k, v.clone()))
        .collect();
    let mut b = Request::builder()
        .principal(caller.arn.clone())
        .action(a.request.action())
        .resource(a.request.resource())
        .context(flat);
    if let Some(acct) = resource_account {
        b = b.resource_account(acct);
    }
    if caller.kind == CallerKind::FederatedUser {
        if let Some(u) = &caller.user_arn {
            b = b.parent_user(u.clone());
        }
    }
    b.build().unwrap()
}

#[test]
fn cached_requests_equal_requests_built_from_scratch() {
    let f = Fixture::new();
    let role = f
        .service
        .assume_role(
            &f.alice(),
            &AssumeRoleParams {
                tags: vec![tag("team", "red")],
                ..assume(APP_ROLE, "s1")
            },
        )
        .unwrap();
    let fed = f
        .service
        .get_federation_token(
            &f.alice(),
            &GetFederationTokenParams {
                name: Some("broker".into()),
                policy: Some(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
                        .into(),
                ),
                ..Default::default()
            },
        )
        .unwrap();
    let callers = [
        f.alice(),
        f.session_caller(&role.credentials),
        f.session_caller(&fed.credentials),
    ];
    let mut extra = Context::new();
    extra.insert("aws:SourceIp", single("203.0.113.7"));
    for caller in &callers {
        for (account, ex) in [(Some(ACCT), &extra), (None, &Context::new())] {
            // Twice: the first call fills the cache, the second reads it.
            for _ in 0..2 {
                let a = f
                    .service
                    .authorize(caller, "S3:GetObject", "arn:aws:s3:::data/k", account, ex)
                    .unwrap();
                assert_eq!(a.request, rebuilt(caller, &a, account), "{}", caller.arn);
                assert_eq!(
                    a.decision,
                    a.permissions
                        .evaluate(&rebuilt(caller, &a, account))
                        .decision()
                );
            }
        }
    }
}

#[test]
fn cached_time_keys_follow_the_clock() {
    let f = Fixture::new();
    let p = AssumeRoleParams {
        serial_number: Some(MFA_SERIAL.into()),
        token_code: Some(f.totp_now()),
        ..assume(APP_ROLE, "s1")
    };
    let out = f.service.assume_role(&f.alice(), &p).unwrap();
    let c = f.session_caller(&out.credentials);
    let auth = |f: &Fixture| f.authorize(&c, "s3:GetObject", "arn:aws:s3:::data/k");
    let a = auth(&f);
    assert_eq!(get(&a, "aws:CurrentTime"), Some("2026-11-29T12:00:00Z"));
    assert_eq!(get(&a, "aws:MultiFactorAuthAge"), Some("0"));
    f.clock.advance(chrono::Duration::milliseconds(400));
    let a = auth(&f);
    assert_eq!(get(&a, "aws:CurrentTime"), Some("2026-11-29T12:00:00Z"));
    f.clock.advance(chrono::Duration::milliseconds(700));
    let a = auth(&f);
    assert_eq!(get(&a, "aws:CurrentTime"), Some("2026-11-29T12:00:01Z"));
    assert_eq!(
        get(&a, "aws:EpochTime"),
        Some((start().timestamp() + 1).to_string().as_str())
    );
    assert_eq!(get(&a, "aws:MultiFactorAuthAge"), Some("1"));
    f.clock.advance(chrono::Duration::seconds(59));
    let a = auth(&f);
    assert_eq!(get(&a, "aws:CurrentTime"), Some("2026-11-29T12:01:00Z"));
    assert_eq!(get(&a, "aws:MultiFactorAuthAge"), Some("60"));
}

#[test]
fn supplied_keys_do_not_leak_into_later_authorizations() {
    let f = Fixture::new();
    let c = f.alice_role_session(APP_ROLE, "s1");
    let mut extra = Context::new();
    extra.insert("aws:SourceIp", single("203.0.113.7"));
    extra.insert(
        "aws:PrincipalArn",
        single("arn:aws:iam::111122223333:role/evil"),
    );
    extra.insert("aws:CurrentTime", single("2000-01-01T00:00:00Z"));
    let a = f.authorize_with(&c, "s3:GetObject", "arn:aws:s3:::data/k", &extra);
    assert_eq!(get(&a, "aws:SourceIp"), Some("203.0.113.7"));
    assert_eq!(get(&a, "aws:PrincipalArn"), Some(APP_ROLE));
    assert_eq!(get(&a, "aws:CurrentTime"), Some("2026-11-29T12:00:00Z"));
    let b = f.authorize(&c, "s3:GetObject", "arn:aws:s3:::data/k");
    assert_eq!(get(&b, "aws:SourceIp"), None);
    assert_eq!(b.request.context().len() + 1, a.request.context().len());
}

#[test]
fn a_reloaded_directory_refreshes_the_cached_principal_keys() {
    let f = Fixture::new();
    let c = f.alice_role_session(APP_ROLE, "s1");
    let auth = |f: &Fixture| f.authorize(&c, "s3:GetObject", "arn:aws:s3:::data/k");
    assert_eq!(get(&auth(&f), "aws:PrincipalTag/env"), Some("prod"));
    f.reload_prod(&prod_json(None).replace(
        r#""Key":"env","Value":"prod""#,
        r#""Key":"env","Value":"staging""#,
    ));
    assert_eq!(get(&auth(&f), "aws:PrincipalTag/env"), Some("staging"));
}

#[test]
fn request_parts_are_shared_within_a_second_and_rebuilt_after() {
    let f = Fixture::new();
    let c = f.alice_role_session(APP_ROLE, "s1");
    let cache = iam_sts::session::PermissionCache::new(4);
    let dir = f.service.directory().current();
    let now = start();
    let a = cache.request_parts(&dir, &c, Some(ACCT), now).unwrap();
    let b = cache
        .request_parts(
            &dir,
            &c,
            Some(ACCT),
            now + chrono::Duration::milliseconds(999),
        )
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&a.context, &b.context));
    assert!(std::sync::Arc::ptr_eq(&a.permissions, &b.permissions));
    let (pa, pb) = (a.principal.unwrap(), b.principal.unwrap());
    assert!(std::sync::Arc::ptr_eq(&pa, &pb));
    assert_eq!(pa.role_arn(), Some(APP_ROLE));
    let later = cache
        .request_parts(&dir, &c, Some(ACCT), now + chrono::Duration::seconds(1))
        .unwrap();
    assert!(!std::sync::Arc::ptr_eq(&a.context, &later.context));
    assert_eq!(
        later
            .context
            .get("aws:EpochTime")
            .and_then(ContextValue::as_single),
        Some((now.timestamp() + 1).to_string().as_str())
    );
}
