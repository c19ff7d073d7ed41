//! `authenticate`: SigV4 with directory secrets (AKIA) and sealed-session secrets (ASIA +
//! X-Amz-Security-Token), and the errors of wire-protocol.md §5.1.
#![cfg(test)]

mod op_support;

use iam_sts::session::CallerKind;
use op_support::*;

#[test]
fn a_long_term_key_authenticates_as_its_user() {
    let f = Fixture::new();
    let c = f
        .service
        .authenticate(&signed(&f, ALICE_KEY, SECRET, None), f.service.now())
        .unwrap();
    assert_eq!(
        (c.kind, c.arn.as_str()),
        (CallerKind::User, "arn:aws:iam::111122223333:user/alice")
    );
    assert!(!c.is_temporary());
}

#[test]
fn session_credentials_authenticate_as_the_session() {
    let f = Fixture::new();
    let out = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    let cr = &out.credentials;
    let req = signed(
        &f,
        &cr.access_key_id,
        cr.secret_access_key.expose(),
        Some(cr.session_token.expose()),
    );
    let c = f.service.authenticate(&req, f.service.now()).unwrap();
    assert_eq!(c.arn, "arn:aws:sts::111122223333:assumed-role/app/s1");
    assert!(c.session.is_some());
}

#[test]
fn wrong_secret_unknown_inactive_and_missing_token_are_refused() {
    let f = Fixture::new();
    let now = f.service.now();
    let e = f
        .service
        .authenticate(&signed(&f, ALICE_KEY, "x".repeat(40).as_str(), None), now)
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("SignatureDoesNotMatch", 403));
    let e = f
        .service
        .authenticate(&signed(&f, INACTIVE_KEY, SECRET, None), now)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidClientTokenId");
    let e = f
        .service
        .authenticate(&signed(&f, "AKIAUNKNOWNEXAMPLE23", SECRET, None), now)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidClientTokenId");
    let out = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    let cr = &out.credentials;
    let e = f
        .service
        .authenticate(
            &signed(&f, &cr.access_key_id, cr.secret_access_key.expose(), None),
            now,
        )
        .unwrap_err();
    assert_eq!(e.code(), "InvalidClientTokenId");
    let unsigned = iam_sts::sigv4::SignedRequest::new("POST", "/").with_header("Host", "h");
    assert_eq!(
        f.service.authenticate(&unsigned, now).unwrap_err().code(),
        "MissingAuthenticationToken"
    );
}

#[test]
fn a_token_of_another_key_or_an_expired_one_is_refused() {
    let f = Fixture::new();
    let a = role_credentials(&f, "sa");
    let b = role_credentials(&f, "sb");
    let e = f
        .service
        .authenticate(&signed_with(&f, &a, &b), f.service.now())
        .unwrap_err();
    assert_eq!(e.code(), "InvalidClientTokenId");
    f.clock.advance(chrono::Duration::seconds(3600));
    let e = f
        .service
        .authenticate(&signed_with(&f, &a, &a), f.service.now())
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("ExpiredToken", 403));
}

/// Role credentials for session `name`.
fn role_credentials(f: &Fixture, name: &str) -> iam_sts::credentials::Credentials {
    f.service
        .assume_role(&f.alice(), &assume(APP_ROLE, name))
        .unwrap()
        .credentials
}

/// A GetCallerIdentity request signed with the keys of `keys` and the token of `token`.
fn signed_with(
    f: &Fixture,
    keys: &iam_sts::credentials::Credentials,
    token: &iam_sts::credentials::Credentials,
) -> iam_sts::sigv4::SignedRequest {
    signed(
        f,
        &keys.access_key_id,
        keys.secret_access_key.expose(),
        Some(token.session_token.expose()),
    )
}

#[test]
fn a_token_opened_before_is_still_refused_with_another_key_and_after_expiry() {
    let f = Fixture::new();
    let a = role_credentials(&f, "sa");
    let b = role_credentials(&f, "sb");
    // Authenticated once, so both refusals below answer from the opened-session cache.
    let req = signed_with(&f, &a, &a);
    assert!(f.service.authenticate(&req, f.service.now()).is_ok());
    assert!(f.service.authenticate(&req, f.service.now()).is_ok());
    let e = f
        .service
        .authenticate(&signed_with(&f, &b, &a), f.service.now())
        .unwrap_err();
    assert_eq!(e.code(), "InvalidClientTokenId");
    f.clock.advance(chrono::Duration::seconds(3600));
    let e = f
        .service
        .authenticate(&signed_with(&f, &a, &a), f.service.now())
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("ExpiredToken", 403));
}

#[test]
fn retiring_or_replacing_the_ring_key_revokes_tokens_opened_before() {
    let f = Fixture::new();
    let creds = role_credentials(&f, "retire");
    let req = signed_with(&f, &creds, &creds);
    assert!(f.service.authenticate(&req, f.service.now()).is_ok());
    let key_id = {
        let ring = f.service.keyring().read().unwrap();
        ring.sealing_key_id(f.service.now()).unwrap()
    };
    f.service
        .keyring()
        .write()
        .unwrap()
        .retire(key_id, f.service.now())
        .unwrap();
    let e = f.service.authenticate(&req, f.service.now()).unwrap_err();
    assert_eq!(e.code(), "InvalidClientTokenId");

    // A ring loaded from elsewhere numbers its keys from 1 too: same id, other material.
    let f = Fixture::new();
    let creds = role_credentials(&f, "replace");
    let req = signed_with(&f, &creds, &creds);
    assert!(f.service.authenticate(&req, f.service.now()).is_ok());
    let random = iam_sts::clock::SeededRandom::new(99);
    let other =
        iam_sts::keyring::KeyRing::generate(f.service.now() - chrono::Duration::days(1), &random)
            .unwrap();
    assert_eq!(other.sealing_key_id(f.service.now()), Some(key_id));
    *f.service.keyring().write().unwrap() = other;
    let e = f.service.authenticate(&req, f.service.now()).unwrap_err();
    assert_eq!(e.code(), "InvalidClientTokenId");
}
