//! DecodeAuthorizationMessage and the encoded messages of our AccessDenied answers
//! (sts-api.md §6.4).
#![cfg(test)]

mod op_support;

use iam_policy::context::Context;
use iam_sts::service::GetSessionTokenParams;
use op_support::*;

fn encoded_denial(f: &Fixture) -> (iam_sts::session::Caller, String) {
    let c = f.alice_role_session(APP_ROLE, "s1");
    let a = f.authorize(&c, "s3:DeleteObject", "arn:aws:s3:::data/k");
    assert!(!a.is_allowed());
    let e = f.service.denial(&c, &a);
    assert_eq!(e.code(), "AccessDenied");
    let msg = e.message();
    let prefix = "User: arn:aws:sts::111122223333:assumed-role/app/s1 is not authorized to perform: s3:deleteobject on resource: arn:aws:s3:::data/k Encoded authorization failure message: ";
    assert!(msg.starts_with(prefix), "{msg}");
    (c, msg.strip_prefix(prefix).unwrap().to_owned())
}

#[test]
fn an_allowed_caller_decodes_the_explanation() {
    let f = Fixture::new();
    let (c, enc) = encoded_denial(&f);
    let text = f
        .service
        .decode_authorization_message(&c, Some(&enc))
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["allowed"], false);
    assert_eq!(doc["explicitDeny"], true);
    assert_eq!(doc["context"]["action"], "s3:deleteobject");
    assert_eq!(doc["context"]["resource"], "arn:aws:s3:::data/k");
    assert_eq!(
        doc["context"]["principal"]["arn"],
        "arn:aws:sts::111122223333:assumed-role/app/s1"
    );
    assert!(!doc["matchedStatements"]["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let keys: Vec<&str> = doc["context"]["conditions"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["key"].as_str())
        .collect();
    assert!(keys.contains(&"aws:PrincipalArn"), "{keys:?}");
    // alice (same account, allowed by her policy) can decode it too.
    assert!(f
        .service
        .decode_authorization_message(&f.alice(), Some(&enc))
        .is_ok());
}

#[test]
fn decoding_needs_permission_and_a_permitted_session_kind() {
    let f = Fixture::new();
    let (_, enc) = encoded_denial(&f);
    let e = f
        .service
        .decode_authorization_message(&f.caller(BOB_KEY), Some(&enc))
        .unwrap_err();
    assert_eq!(e.message(), "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:DecodeAuthorizationMessage on resource: *");
    let gst = f
        .service
        .get_session_token(&f.alice(), &GetSessionTokenParams::default())
        .unwrap();
    let e = f
        .service
        .decode_authorization_message(&f.session_caller(&gst.credentials), Some(&enc))
        .unwrap_err();
    assert_eq!(e.code(), "AccessDenied");
}

#[test]
fn tampered_foreign_account_and_expired_messages_are_invalid() {
    let f = Fixture::new();
    let (c, enc) = encoded_denial(&f);
    let mut bytes = enc.clone().into_bytes();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let e = f
        .service
        .decode_authorization_message(&c, Some(&tampered))
        .unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        ("InvalidAuthorizationMessageException", 400)
    );
    for junk in ["not base64 !", "AAAA", "line\nbreak"] {
        let e = f
            .service
            .decode_authorization_message(&c, Some(junk))
            .unwrap_err();
        assert_eq!(e.code(), "InvalidAuthorizationMessageException", "{junk}");
    }
    // An expired message no longer opens.
    f.clock.advance(chrono::Duration::seconds(3500));
    let c2 = f.alice_role_session(APP_ROLE, "s2");
    f.clock.advance(chrono::Duration::seconds(100));
    let e = f
        .service
        .decode_authorization_message(&c2, Some(&enc))
        .unwrap_err();
    assert_eq!(e.code(), "InvalidAuthorizationMessageException");
    assert!(e.message().contains("expired"), "{}", e.message());
}

#[test]
fn encoded_message_length_is_validated() {
    let f = Fixture::new();
    let e = f
        .service
        .decode_authorization_message(&f.alice(), Some(""))
        .unwrap_err();
    assert!(
        e.message().contains("at 'encodedMessage'")
            && e.message().contains("greater than or equal to 1")
    );
    let e = f
        .service
        .decode_authorization_message(&f.alice(), Some(&"A".repeat(10_241)))
        .unwrap_err();
    assert!(e.message().contains("less than or equal to 10240"));
    let e = f
        .service
        .decode_authorization_message(&f.alice(), None)
        .unwrap_err();
    assert!(e.message().contains("Member must not be null"));
}

#[test]
fn messages_of_another_account_do_not_open() {
    let f = Fixture::new();
    let carol = f.caller(CAROL_KEY);
    let a = f
        .service
        .authorize(
            &carol,
            "s3:GetObject",
            "arn:aws:s3:::x/y",
            Some(OTHER),
            &Context::new(),
        )
        .unwrap();
    let enc = f.service.encode_authorization_message(&carol, &a).unwrap();
    let e = f
        .service
        .decode_authorization_message(&f.alice(), Some(&enc))
        .unwrap_err();
    assert_eq!(e.code(), "InvalidAuthorizationMessageException");
}
