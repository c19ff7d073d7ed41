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
    let a = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "sa"))
        .unwrap()
        .credentials;
    let b = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "sb"))
        .unwrap()
        .credentials;
    let req = signed(
        &f,
        &a.access_key_id,
        a.secret_access_key.expose(),
        Some(b.session_token.expose()),
    );
    assert_eq!(
        f.service
            .authenticate(&req, f.service.now())
            .unwrap_err()
            .code(),
        "InvalidClientTokenId"
    );
    f.clock.advance(chrono::Duration::seconds(3600));
    let req = signed(
        &f,
        &a.access_key_id,
        a.secret_access_key.expose(),
        Some(a.session_token.expose()),
    );
    let e = f.service.authenticate(&req, f.service.now()).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("ExpiredToken", 403));
}
