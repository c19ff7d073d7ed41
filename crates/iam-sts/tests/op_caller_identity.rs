//! GetCallerIdentity and GetAccessKeyInfo answers per caller kind (sts-api.md §6.3, §6.5,
//! §10.2) and the credential lookup behind authentication.
#![cfg(test)]

mod op_support;

use iam_sts::credentials::access_key_account;
use iam_sts::service::{GetFederationTokenParams, GetSessionTokenParams};
use iam_sts::session::CallerKind;
use op_support::*;

#[test]
fn iam_user_identity_is_its_unique_id_account_and_arn() {
    let f = Fixture::new();
    let id = f.service.get_caller_identity(&f.alice());
    assert_eq!(id.user_id, "AIDAEXAMPLEALICE00001");
    assert_eq!(id.account, ACCT);
    assert_eq!(id.arn, "arn:aws:iam::111122223333:user/alice");
}

#[test]
fn role_session_identity_is_role_id_colon_session_and_drops_the_path() {
    let f = Fixture::new();
    let c = f.alice_role_session(APP_ROLE, "s1");
    assert_eq!(c.kind, CallerKind::AssumedRole);
    let id = f.service.get_caller_identity(&c);
    assert_eq!(id.user_id, "AROAEXAMPLEAPP0000001:s1");
    assert_eq!(id.account, ACCT);
    assert_eq!(id.arn, "arn:aws:sts::111122223333:assumed-role/app/s1");
    assert_eq!(c.principal_arn(), APP_ROLE);
}

#[test]
fn session_token_identity_equals_the_users_own() {
    let f = Fixture::new();
    let out = f
        .service
        .get_session_token(&f.alice(), &GetSessionTokenParams::default())
        .unwrap();
    let c = f.session_caller(&out.credentials);
    assert_eq!(
        f.service.get_caller_identity(&c),
        f.service.get_caller_identity(&f.alice())
    );
    assert!(c.is_temporary());
}

#[test]
fn federated_identity_is_account_colon_name() {
    let f = Fixture::new();
    let p = GetFederationTokenParams {
        name: Some("fed-1".into()),
        ..Default::default()
    };
    let out = f.service.get_federation_token(&f.alice(), &p).unwrap();
    let id = f
        .service
        .get_caller_identity(&f.session_caller(&out.credentials));
    assert_eq!(id.user_id, "111122223333:fed-1");
    assert_eq!(id.arn, "arn:aws:sts::111122223333:federated-user/fed-1");
}

#[test]
fn root_identity_is_the_account_id() {
    let id = Fixture::new()
        .service
        .get_caller_identity(&iam_sts::session::Caller::root(
            ACCT,
            "AKIAROOTEXAMPLE23456",
        ));
    assert_eq!(id.user_id, ACCT);
    assert_eq!(id.arn, "arn:aws:iam::111122223333:root");
}

#[test]
fn unknown_inactive_and_token_mismatched_keys_are_invalid_client_token_ids() {
    let f = Fixture::new();
    for (key, token) in [
        ("AKIAUNKNOWNEXAMPLE23", None),
        (INACTIVE_KEY, None),
        (ALICE_KEY, Some("x")),
    ] {
        let e = f.service.caller_for_key(key, token).unwrap_err();
        assert_eq!(e.code(), "InvalidClientTokenId");
        assert_eq!(e.http_status(), 403);
    }
    let out = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    let e = f
        .service
        .caller_for_key(&out.credentials.access_key_id, None)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidClientTokenId");
}

#[test]
fn expired_session_credentials_get_expired_token() {
    let f = Fixture::new();
    let out = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    f.clock.advance(chrono::Duration::seconds(3600));
    let e = f
        .service
        .caller_for_key(
            &out.credentials.access_key_id,
            Some(out.credentials.session_token.expose()),
        )
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("ExpiredToken", 403));
}

#[test]
fn access_key_info_returns_the_embedded_account_for_issued_keys() {
    let f = Fixture::new();
    let out = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    let key = out.credentials.access_key_id.clone();
    assert!(key.starts_with("ASIA") && key.len() == 20);
    assert_eq!(access_key_account(&key).unwrap(), ACCT);
    assert_eq!(
        f.service
            .get_access_key_info(&f.alice(), Some(&key))
            .unwrap(),
        ACCT
    );
    // A directory key without an embedded account answers its owner's account.
    assert_eq!(
        f.service
            .get_access_key_info(&f.alice(), Some(CAROL_KEY))
            .unwrap(),
        OTHER
    );
}

#[test]
fn access_key_info_validates_the_key_id_and_needs_permission() {
    let f = Fixture::new();
    let e = f
        .service
        .get_access_key_info(&f.alice(), Some("AKIA-short"))
        .unwrap_err();
    assert_eq!(e.code(), "ValidationError");
    assert!(e.message().contains("at 'accessKeyId'"), "{}", e.message());
    let e = f.service.get_access_key_info(&f.alice(), None).unwrap_err();
    assert!(e.message().contains("Member must not be null"));
    let bob = f.caller(BOB_KEY);
    let e = f
        .service
        .get_access_key_info(&bob, Some(ALICE_KEY))
        .unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
    let out = f
        .service
        .get_session_token(&f.alice(), &GetSessionTokenParams::default())
        .unwrap();
    let e = f
        .service
        .get_access_key_info(&f.session_caller(&out.credentials), Some(ALICE_KEY))
        .unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
}
