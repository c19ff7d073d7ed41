//! GetSessionToken: caller rules, duration rules (incl. the silent root cap), MFA
//! (sts-api.md §4, §9.3).
#![cfg(test)]

mod op_support;

use iam_sts::service::GetSessionTokenParams;
use iam_sts::session::{Caller, CallerKind};
use op_support::*;

fn gst(d: Option<i64>) -> GetSessionTokenParams {
    GetSessionTokenParams {
        duration_seconds: d,
        ..Default::default()
    }
}

#[test]
fn user_gets_a_twelve_hour_session_by_default() {
    let f = Fixture::new();
    let out = f.service.get_session_token(&f.alice(), &gst(None)).unwrap();
    assert_eq!(
        out.credentials.expiration,
        start() + chrono::Duration::seconds(43_200)
    );
    assert!(out.assumed_role_user.is_none() && out.federated_user.is_none());
    assert!(out.packed_policy_size.is_none());
    let c = f.session_caller(&out.credentials);
    assert_eq!(c.kind, CallerKind::User);
    assert!(!c.session.unwrap().record().mfa.authenticated);
}

#[test]
fn duration_must_be_between_900_and_129600() {
    let f = Fixture::new();
    for (d, rule) in [
        (899, "greater than or equal to 900"),
        (129_601, "less than or equal to 129600"),
    ] {
        let e = f
            .service
            .get_session_token(&f.alice(), &gst(Some(d)))
            .unwrap_err();
        assert_eq!(e.code(), "ValidationError");
        assert_eq!(
            e.message(),
            format!("1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value {rule}")
        );
    }
    let out = f
        .service
        .get_session_token(&f.alice(), &gst(Some(129_600)))
        .unwrap();
    assert_eq!(
        out.credentials.expiration,
        start() + chrono::Duration::seconds(129_600)
    );
}

#[test]
fn root_sessions_are_silently_capped_at_one_hour() {
    let f = Fixture::new();
    let root = Caller::root(ACCT, "AKIAROOTEXAMPLE23456");
    let out = f
        .service
        .get_session_token(&root, &gst(Some(7200)))
        .unwrap();
    assert_eq!(
        out.credentials.expiration,
        start() + chrono::Duration::seconds(3600)
    );
    let out = f.service.get_session_token(&root, &gst(Some(900))).unwrap();
    assert_eq!(
        out.credentials.expiration,
        start() + chrono::Duration::seconds(900)
    );
}

#[test]
fn session_credentials_cannot_call_get_session_token() {
    let f = Fixture::new();
    let first = f.service.get_session_token(&f.alice(), &gst(None)).unwrap();
    let e = f
        .service
        .get_session_token(&f.session_caller(&first.credentials), &gst(None))
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message().as_str(), e.http_status()),
        (
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials",
            403
        )
    );
    let role = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    let e = f
        .service
        .get_session_token(&f.session_caller(&role.credentials), &gst(None))
        .unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
}

#[test]
fn a_valid_mfa_code_is_recorded_in_the_session() {
    let f = Fixture::new();
    let p = GetSessionTokenParams {
        serial_number: Some(MFA_SERIAL.into()),
        token_code: Some(f.totp_now()),
        ..Default::default()
    };
    let out = f.service.get_session_token(&f.alice(), &p).unwrap();
    let s = f.session_caller(&out.credentials).session.unwrap();
    assert!(s.record().mfa.authenticated);
    assert_eq!(s.record().mfa.auth_time, Some(start()));
}

#[test]
fn a_wrong_code_or_foreign_device_fails_with_the_observed_message() {
    let f = Fixture::new();
    let code = if f.totp_now() == "123456" {
        "654321"
    } else {
        "123456"
    };
    let p = GetSessionTokenParams {
        serial_number: Some(MFA_SERIAL.into()),
        token_code: Some(code.into()),
        ..Default::default()
    };
    let msg = "GetSessionToken call failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.";
    let e = f.service.get_session_token(&f.alice(), &p).unwrap_err();
    assert_eq!((e.code(), e.message().as_str()), ("AccessDenied", msg));
    let p = GetSessionTokenParams {
        token_code: Some(f.totp_now()),
        ..p
    };
    let e = f
        .service
        .get_session_token(&f.caller(BOB_KEY), &p)
        .unwrap_err();
    assert_eq!(e.message(), msg);
    let p = GetSessionTokenParams {
        serial_number: None,
        ..p
    };
    assert_eq!(
        f.service
            .get_session_token(&f.alice(), &p)
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
}

#[test]
fn mfa_parameters_and_token_size_are_validated() {
    let f = Fixture::new();
    let p = GetSessionTokenParams {
        serial_number: Some("bad serial!".into()),
        token_code: Some("12".into()),
        minimum_session_token_size: Some(-1),
        ..Default::default()
    };
    let e = f.service.get_session_token(&f.alice(), &p).unwrap_err();
    assert!(
        e.message().starts_with("3 validation errors detected"),
        "{}",
        e.message()
    );
}

#[test]
fn no_policy_can_deny_get_session_token() {
    // bob has no policies at all and still gets a session.
    let f = Fixture::new();
    assert!(f
        .service
        .get_session_token(&f.caller(BOB_KEY), &gst(None))
        .is_ok());
}

#[test]
fn iam_calls_need_mfa_context_on_a_session_token() {
    let f = Fixture::new();
    let ctx = iam_policy::context::Context::new();
    let plain = f.service.get_session_token(&f.alice(), &gst(None)).unwrap();
    let c = f.session_caller(&plain.credentials);
    let e = f
        .service
        .authorize(&c, "iam:ListUsers", "*", None, &ctx)
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("InvalidClientTokenId", 403));
    assert!(f
        .service
        .authorize(&c, "s3:GetObject", "arn:aws:s3:::b/k", Some(ACCT), &ctx)
        .is_ok());
    let p = GetSessionTokenParams {
        serial_number: Some(MFA_SERIAL.into()),
        token_code: Some(f.totp_now()),
        ..Default::default()
    };
    let mfa = f.service.get_session_token(&f.alice(), &p).unwrap();
    let c = f.session_caller(&mfa.credentials);
    assert!(f
        .service
        .authorize(&c, "iam:ListUsers", "*", None, &ctx)
        .is_ok());
}

#[test]
fn a_disabled_region_is_refused() {
    let f = Fixture::new();
    assert!(f.service.check_region("us-east-1").is_ok());
    let svc = iam_sts::service::TokenService::new(
        f.service.directory().clone(),
        iam_sts::keyring::KeyRing::new(),
        f.clock.clone(),
        std::sync::Arc::new(iam_sts::clock::SeededRandom::new(1)),
        iam_sts::service::ServiceConfig {
            enabled_regions: vec!["us-east-1".into()],
            ..Default::default()
        },
    );
    let e = svc.check_region("eu-west-3").unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        ("RegionDisabledException", 403)
    );
    assert!(svc.check_region("us-east-1").is_ok());
}
