//! GetFederationToken: caller rules, Name and policy constraints, permissions of the
//! federated user (sts-api.md §5, §9.1; evaluation.md §7.9).
#![cfg(test)]

mod op_support;

use iam_policy::context::Context;
use iam_sts::service::GetFederationTokenParams;
use iam_sts::session::{Caller, CallerKind};
use op_support::*;

fn fed(name: &str) -> GetFederationTokenParams {
    GetFederationTokenParams {
        name: Some(name.into()),
        ..Default::default()
    }
}

const S3_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

/// The caller of a federated user `name` of alice whose session policy allows
/// `s3:GetObject`.
fn s3_reader(f: &Fixture, name: &str) -> iam_sts::session::Caller {
    let p = GetFederationTokenParams {
        policy: Some(S3_GET.into()),
        ..fed(name)
    };
    let out = f.service.get_federation_token(&f.alice(), &p).unwrap();
    f.session_caller(&out.credentials)
}

#[test]
fn federated_user_arn_id_and_packed_size() {
    let f = Fixture::new();
    let out = f
        .service
        .get_federation_token(&f.alice(), &fed("broker-1"))
        .unwrap();
    let u = out.federated_user.unwrap();
    assert_eq!(u.arn, "arn:aws:sts::111122223333:federated-user/broker-1");
    assert_eq!(u.federated_user_id, "111122223333:broker-1");
    assert_eq!(out.packed_policy_size, Some(0));
    assert_eq!(
        out.credentials.expiration,
        start() + chrono::Duration::seconds(43_200)
    );
    assert_eq!(
        f.session_caller(&out.credentials).kind,
        CallerKind::FederatedUser
    );
}

#[test]
fn without_a_session_policy_the_federated_user_has_no_permissions() {
    let f = Fixture::new();
    let out = f
        .service
        .get_federation_token(&f.alice(), &fed("nopol"))
        .unwrap();
    let c = f.session_caller(&out.credentials);
    let a = f.authorize(&c, "s3:GetObject", "arn:aws:s3:::b/k");
    assert!(!a.is_allowed());
}

#[test]
fn effective_permissions_are_the_intersection_of_user_and_session_policy() {
    let f = Fixture::new();
    let p = GetFederationTokenParams {
        policy: Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","ec2:RunInstances"],"Resource":"*"}]}"#.into()),
        ..fed("inter")
    };
    let out = f.service.get_federation_token(&f.alice(), &p).unwrap();
    assert!(out.packed_policy_size.unwrap() > 0);
    let c = f.session_caller(&out.credentials);
    let ok = |action: &str| f.authorize(&c, action, "arn:aws:s3:::b/k").is_allowed();
    assert!(ok("s3:GetObject"), "user and session policy allow");
    assert!(!ok("s3:PutObject"), "session policy does not allow");
    assert!(!ok("ec2:RunInstances"), "user policy does not allow");
    // Managed session policies work the same.
    let p = GetFederationTokenParams {
        policy_arns: vec!["arn:aws:iam::111122223333:policy/s3-read".into()],
        ..fed("managed")
    };
    let out = f.service.get_federation_token(&f.alice(), &p).unwrap();
    let c = f.session_caller(&out.credentials);
    assert!(f
        .authorize(&c, "s3:GetObject", "arn:aws:s3:::b/k")
        .is_allowed());
}

#[test]
fn the_caller_needs_get_federation_token_permission() {
    let f = Fixture::new();
    let e = f
        .service
        .get_federation_token(&f.caller(BOB_KEY), &fed("x1"))
        .unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(e.message(), "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::111122223333:federated-user/x1");
    // Root needs no permission and is capped at one hour.
    let root = Caller::root(ACCT, "AKIAROOTEXAMPLE23456");
    let out = f
        .service
        .get_federation_token(
            &root,
            &GetFederationTokenParams {
                duration_seconds: Some(7200),
                ..fed("r1")
            },
        )
        .unwrap();
    assert_eq!(
        out.credentials.expiration,
        start() + chrono::Duration::seconds(3600)
    );
}

#[test]
fn session_credentials_cannot_call_get_federation_token() {
    let f = Fixture::new();
    let s = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    let e = f
        .service
        .get_federation_token(&f.session_caller(&s.credentials), &fed("x1"))
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message().as_str()),
        (
            "AccessDenied",
            "Cannot call GetFederationToken with session credentials"
        )
    );
}

#[test]
fn name_policy_duration_and_tag_constraints() {
    let f = Fixture::new();
    let e = f
        .service
        .get_federation_token(&f.alice(), &Default::default())
        .unwrap_err();
    assert!(e
        .message()
        .contains("'name' failed to satisfy constraint: Member must not be null"));
    for (name, rule) in [
        ("a", "greater than or equal to 2"),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "less than or equal to 32",
        ),
        ("no spaces", "pattern"),
    ] {
        let e = f
            .service
            .get_federation_token(&f.alice(), &fed(name))
            .unwrap_err();
        assert_eq!(e.code(), "ValidationError");
        assert!(
            e.message().contains("at 'name'") && e.message().contains(rule),
            "{}",
            e.message()
        );
    }
    let long = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}]}}"#,
        "A".repeat(2048)
    );
    let e = f
        .service
        .get_federation_token(
            &f.alice(),
            &GetFederationTokenParams {
                policy: Some(long),
                ..fed("p1")
            },
        )
        .unwrap_err();
    assert!(e.message().contains("at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"));
    let e = f
        .service
        .get_federation_token(
            &f.alice(),
            &GetFederationTokenParams {
                policy: Some("[".into()),
                ..fed("p1")
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), "MalformedPolicyDocument");
    let e = f
        .service
        .get_federation_token(
            &f.alice(),
            &GetFederationTokenParams {
                duration_seconds: Some(129_601),
                ..fed("p1")
            },
        )
        .unwrap_err();
    assert!(e.message().contains("'durationSeconds'"));
    let e = f
        .service
        .get_federation_token(
            &f.alice(),
            &GetFederationTokenParams {
                tags: vec![tag("a", "1"), tag("A", "2")],
                ..fed("p1")
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), "InvalidParameterValue");
    let out = f
        .service
        .get_federation_token(
            &f.alice(),
            &GetFederationTokenParams {
                tags: vec![tag("team", "fed")],
                policy: Some(S3_GET.into()),
                ..fed("p1")
            },
        )
        .unwrap();
    // Session tags override the user's tag of the same key.
    let c = f.session_caller(&out.credentials);
    let a = f.authorize(&c, "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(
        a.request
            .context()
            .get("aws:PrincipalTag/team")
            .and_then(|v| v.as_single()),
        Some("fed")
    );
}

#[test]
fn tags_are_accepted_from_a_caller_allowed_to_tag() {
    let f = Fixture::new();
    // alice may tag; carol may not even call GetFederationToken.
    let p = GetFederationTokenParams {
        tags: vec![tag("k", "v")],
        ..fed("t1")
    };
    assert!(f.service.get_federation_token(&f.alice(), &p).is_ok());
    let e = f
        .service
        .get_federation_token(&f.caller(CAROL_KEY), &p)
        .unwrap_err();
    assert!(e.message().contains("sts:GetFederationToken"));
}

#[test]
fn federated_users_may_call_only_get_caller_identity() {
    let f = Fixture::new();
    let c = s3_reader(&f, "only");
    assert_eq!(
        f.service.get_caller_identity(&c).arn,
        "arn:aws:sts::111122223333:federated-user/only"
    );
    assert_eq!(
        f.service
            .assume_role(&c, &assume(APP_ROLE, "x1"))
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
    assert_eq!(
        f.service
            .get_session_token(&c, &Default::default())
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
    assert_eq!(
        f.service
            .decode_authorization_message(&c, Some("abc"))
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
}

#[test]
fn federated_users_get_no_iam_api() {
    let f = Fixture::new();
    let c = s3_reader(&f, "noiam");
    let e = f
        .service
        .authorize(&c, "iam:ListUsers", "*", None, &Context::new())
        .unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
}

#[test]
fn passing_tags_needs_tag_session_permission() {
    // frank may call GetFederationToken but not sts:TagSession.
    let f = Fixture::new();
    let frank = f.caller(FRANK_KEY);
    assert!(f.service.get_federation_token(&frank, &fed("f1")).is_ok());
    let p = GetFederationTokenParams {
        tags: vec![tag("k", "v")],
        ..fed("f2")
    };
    let e = f.service.get_federation_token(&frank, &p).unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(
        e.message(),
        "User: arn:aws:iam::111122223333:user/frank is not authorized to perform: sts:TagSession on resource: arn:aws:sts::111122223333:federated-user/f2"
    );
}
