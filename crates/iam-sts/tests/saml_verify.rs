//! AssumeRoleWithSAML assertion verification with responses signed in the test by the
//! test-only IdP key in `corpus/sts/saml/` (via samael/libxmlsec1), including signature
//! wrapping attempts. Built only with `--features saml`.
#![cfg(feature = "saml")]
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "fixture helpers outside #[test] fns must fail loudly on broken fixtures"
)]

mod saml_support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use iam_policy::context::ContextValue;
use iam_sts::saml::{
    is_aws_signin_endpoint, verify_saml_assertion, SamlError, SamlFault, SamlProvider,
    VerifiedSamlAssertion,
};
use saml_support::*;

const ACCOUNT: &str = "123456789012";

fn provider() -> SamlProvider {
    SamlProvider::from_metadata(ACCOUNT, "ExampleIdP", &metadata("idp-cert.pem")).unwrap()
}

fn verify(b64: &str) -> Result<VerifiedSamlAssertion, SamlError> {
    verify_saml_assertion(b64, &provider(), ROLE, now())
}

fn fault(b64: &str) -> SamlError {
    match verify(b64) {
        Ok(v) => panic!("assertion accepted: {v:?}"),
        Err(e) => e,
    }
}

fn key(keys: &[(String, ContextValue)], name: &str) -> Option<ContextValue> {
    keys.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

#[test]
fn a_signed_assertion_verifies_and_yields_response_fields_and_keys() {
    let extra = attribute(
        "urn:oid:0.9.2342.19200300.100.1.3",
        &["jane@example.com".into(), "j.doe@example.com".into()],
    ) + &attribute(
        "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Project",
        &["blue".into()],
    ) + &attribute(
        "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys",
        &["Project".into()],
    ) + &attribute(
        "https://aws.amazon.com/SAML/Attributes/SessionDuration",
        &["1800".into()],
    ) + &attribute(
        "https://aws.amazon.com/SAML/Attributes/SourceIdentity",
        &["jane".into()],
    );
    let spec = Spec {
        extra_attributes: extra,
        ..Spec::default()
    };
    let v = verify(&signed_response(&spec)).unwrap();
    assert_eq!(v.issuer, ENTITY);
    assert_eq!(v.subject, "jane@example.com");
    assert_eq!(v.subject_type, "persistent");
    assert_eq!(v.recipient, "https://signin.aws.amazon.com/saml");
    assert_eq!(v.role_session_name, "jane@example.com");
    assert_eq!(v.session_duration, Some(1800));
    assert_eq!(v.source_identity.as_deref(), Some("jane"));
    assert_eq!(
        v.principal_tags,
        vec![("Project".to_owned(), "blue".to_owned())]
    );
    assert_eq!(v.transitive_tag_keys, vec!["Project"]);
    assert_eq!(v.provider_arn, PROVIDER);
    assert_eq!(v.doc, "123456789012/ExampleIdP");
    assert_eq!(
        v.session_not_on_or_after,
        Some("2030-01-01T08:00:00Z".parse().unwrap())
    );
    // NameQualifier = Base64(SHA-1(issuer ‖ account ‖ "/" ‖ provider name)), per the spec.
    let expected = {
        use sha1::Digest as _;
        STANDARD.encode(sha1::Sha1::digest(
            format!("{ENTITY}123456789012/ExampleIdP").as_bytes(),
        ))
    };
    assert_eq!(v.name_qualifier, expected);

    let keys = v.condition_keys();
    let single = |s: &str| Some(ContextValue::Single(s.to_owned()));
    assert_eq!(
        key(&keys, "saml:aud"),
        single("https://signin.aws.amazon.com/saml")
    );
    assert_eq!(key(&keys, "saml:iss"), single(ENTITY));
    assert_eq!(key(&keys, "saml:sub"), single("jane@example.com"));
    assert_eq!(key(&keys, "saml:sub_type"), single("persistent"));
    assert_eq!(key(&keys, "saml:namequalifier"), single(&expected));
    assert_eq!(key(&keys, "saml:doc"), single("123456789012/ExampleIdP"));
    assert_eq!(
        key(&keys, "saml:mail"),
        Some(ContextValue::Multi(vec![
            "jane@example.com".into(),
            "j.doe@example.com".into()
        ]))
    );
}

#[test]
fn a_signed_response_verifies() {
    let spec = Spec {
        sign_response: true,
        ..Spec::default()
    };
    let v = verify(&signed_response(&spec)).unwrap();
    assert_eq!(v.subject, "jane@example.com");
}

#[test]
fn an_unsigned_response_is_refused() {
    let xml = response_xml(
        &Spec::default(),
        &assertion_xml(&Spec::default(), "_a1", false),
    );
    let e = fault(&STANDARD.encode(xml));
    assert_eq!(e.fault, SamlFault::Signature);
    assert_eq!(e.code(), "InvalidIdentityToken");
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let spec = Spec::default();
    let signed = sign(
        &strip_decl(&assertion_xml(&spec, "_a1", true)),
        "other-key.der",
    );
    let e = fault(&STANDARD.encode(response_xml(&spec, &strip_decl(&signed))));
    assert_eq!(e.fault, SamlFault::Signature);
}

#[test]
fn editing_a_signed_assertion_breaks_the_signature() {
    let xml =
        String::from_utf8(STANDARD.decode(signed_response(&Spec::default())).unwrap()).unwrap();
    for (from, to) in [
        (
            "jane@example.com</saml:NameID>",
            "admin@example.com</saml:NameID>",
        ),
        ("role/SamlRole,", "role/Admin,"),
        (
            "2030-01-01T00:05:00Z\" Recipient",
            "2031-01-01T00:05:00Z\" Recipient",
        ),
    ] {
        assert!(xml.contains(from), "{from}");
        let forged = xml.replacen(from, to, 1);
        assert_eq!(
            fault(&STANDARD.encode(forged)).fault,
            SamlFault::Signature,
            "{to}"
        );
    }
}

/// Signature wrapping: the genuine signed assertion stays in the document (so its signature
/// still verifies) while an unsigned forged assertion takes the place a naive reader looks at.
#[test]
fn signature_wrapping_never_yields_the_forged_assertion() {
    let spec = Spec::default();
    let genuine = strip_decl(&sign(
        &strip_decl(&assertion_xml(&spec, "_a1", true)),
        "idp-key.der",
    ));
    let forged_spec = Spec {
        name_id: "attacker@example.com".into(),
        session_name: vec!["attacker".into()],
        ..Spec::default()
    };
    let forged = assertion_xml(&forged_spec, "_evil", false);
    let layouts = [
        // forged first, genuine second
        response_xml(&spec, &format!("{forged}{genuine}")),
        // genuine first, forged second
        response_xml(&spec, &format!("{genuine}{forged}")),
        // genuine hidden in Extensions, forged in the assertion position
        response_xml(
            &spec,
            &format!(r#"<samlp:Extensions>{genuine}</samlp:Extensions>{forged}"#),
        ),
        // forged wraps the genuine assertion inside its Advice
        response_xml(
            &spec,
            &assertion_xml(&forged_spec, "_evil", false).replacen(
                "<saml:Subject>",
                &format!("<saml:Advice>{genuine}</saml:Advice><saml:Subject>"),
                1,
            ),
        ),
    ];
    for (i, xml) in layouts.iter().enumerate() {
        // Only signed content is read, so the genuine assertion is what comes out.
        let v = verify(&STANDARD.encode(xml)).unwrap_or_else(|e| panic!("layout {i}: {e:?}"));
        assert_eq!(v.subject, "jane@example.com", "layout {i}");
        assert_eq!(v.role_session_name, "jane@example.com", "layout {i}");
    }
}

#[test]
fn a_duplicate_id_is_refused() {
    let spec = Spec::default();
    let genuine = strip_decl(&sign(
        &strip_decl(&assertion_xml(&spec, "_a1", true)),
        "idp-key.der",
    ));
    let forged = assertion_xml(
        &Spec {
            name_id: "attacker@example.com".into(),
            ..Spec::default()
        },
        "_a1",
        false,
    );
    let e = fault(&STANDARD.encode(response_xml(&spec, &format!("{forged}{genuine}"))));
    assert!(matches!(e.fault, SamlFault::Signature), "{e:?}");
}

#[test]
fn the_issuer_must_be_the_metadata_entity_id() {
    let spec = Spec {
        issuer: "https://evil.example.com/saml".into(),
        ..Spec::default()
    };
    let e = fault(&signed_response(&spec));
    assert_eq!(e.fault, SamlFault::Issuer);
    assert_eq!(e.code(), "InvalidIdentityToken");
}

#[test]
fn the_recipient_must_be_the_aws_signin_endpoint() {
    let spec = Spec {
        recipient: "https://evil.example.com/saml".into(),
        ..Spec::default()
    };
    assert_eq!(fault(&signed_response(&spec)).fault, SamlFault::Audience);
    let regional = Spec {
        recipient: "https://us-east-2.signin.aws.amazon.com/saml".into(),
        ..Spec::default()
    };
    let v = verify(&signed_response(&regional)).unwrap();
    assert_eq!(v.recipient, "https://us-east-2.signin.aws.amazon.com/saml");
    assert!(!is_aws_signin_endpoint(
        "https://evil.com/.signin.aws.amazon.com/saml"
    ));
    assert!(!is_aws_signin_endpoint(
        "https://.signin.aws.amazon.com/saml"
    ));
}

#[test]
fn exactly_one_subject_confirmation_is_required() {
    for n in [0, 2] {
        let spec = Spec {
            confirmations: n,
            ..Spec::default()
        };
        assert_eq!(
            fault(&signed_response(&spec)).fault,
            SamlFault::Audience,
            "{n}"
        );
    }
}

#[test]
fn a_foreign_audience_restriction_is_refused() {
    let spec = Spec {
        audience: "https://other-sp.example.com".into(),
        ..Spec::default()
    };
    assert_eq!(fault(&signed_response(&spec)).fault, SamlFault::Audience);
    let spec = Spec {
        audience: "https://signin.aws.amazon.com/saml".into(),
        ..Spec::default()
    };
    verify(&signed_response(&spec)).unwrap();
}

#[test]
fn an_expired_assertion_is_expired_token_exception() {
    let b64 = signed_response(&Spec::default());
    let later: DateTime<Utc> = "2030-01-01T00:05:00Z".parse().unwrap();
    let e = verify_saml_assertion(&b64, &provider(), ROLE, later).unwrap_err();
    assert_eq!(e.fault, SamlFault::Expired);
    assert_eq!(e.code(), "ExpiredTokenException");
    let early: DateTime<Utc> = "2029-12-31T23:50:00Z".parse().unwrap();
    let e = verify_saml_assertion(&b64, &provider(), ROLE, early).unwrap_err();
    assert_eq!(e.fault, SamlFault::NotYetValid);
}

#[test]
fn the_requested_role_must_be_listed_with_this_provider() {
    let b64 = signed_response(&Spec::default());
    let e = verify_saml_assertion(
        &b64,
        &provider(),
        "arn:aws:iam::123456789012:role/Other",
        now(),
    )
    .unwrap_err();
    assert_eq!(e.fault, SamlFault::RoleNotAllowed);
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(e.http_status(), 403);
    // Pair order provider,role is accepted too.
    let spec = Spec {
        roles: vec![
            "arn:aws:iam::123456789012:role/Other,arn:aws:iam::123456789012:saml-provider/Other"
                .into(),
            format!("{PROVIDER},{ROLE}"),
        ],
        ..Spec::default()
    };
    verify(&signed_response(&spec)).unwrap();
    let spec = Spec {
        roles: vec![],
        ..Spec::default()
    };
    assert_eq!(fault(&signed_response(&spec)).fault, SamlFault::Attribute);
}

#[test]
fn role_session_name_must_be_one_valid_value() {
    for names in [
        vec![],
        vec!["a".to_owned()],
        vec!["has space".to_owned()],
        vec!["x".repeat(65)],
        vec!["one".to_owned(), "two".to_owned()],
    ] {
        let spec = Spec {
            session_name: names.clone(),
            ..Spec::default()
        };
        let e = fault(&signed_response(&spec));
        assert_eq!(e.fault, SamlFault::Attribute, "{names:?}");
        assert_eq!(e.code(), "IDPRejectedClaim");
    }
}

#[test]
fn a_failed_status_is_refused() {
    let spec = Spec {
        sign_response: true,
        status: "urn:oasis:names:tc:SAML:2.0:status:Requester".into(),
        ..Spec::default()
    };
    assert_eq!(fault(&signed_response(&spec)).fault, SamlFault::Status);
}

#[test]
fn length_and_encoding_errors() {
    let e = fault("abc");
    assert_eq!(e.fault, SamlFault::Length);
    assert_eq!(e.code(), "ValidationError");
    assert_eq!(fault(&"A".repeat(100_001)).fault, SamlFault::Length);
    assert_eq!(fault("!!!!not base64").fault, SamlFault::Malformed);
    assert_eq!(
        fault(&STANDARD.encode([0xff, 0xfe, 0x00, 0x01])).fault,
        SamlFault::Malformed
    );
    assert!(matches!(
        fault(&STANDARD.encode("<not-saml/>")).fault,
        SamlFault::Signature | SamlFault::Malformed
    ));
    assert!(matches!(
        fault(&STANDARD.encode("not xml at all")).fault,
        SamlFault::Signature | SamlFault::Malformed
    ));
}

#[test]
fn metadata_without_a_certificate_or_entity_id_is_refused() {
    assert!(SamlProvider::from_metadata(ACCOUNT, "X", "<nonsense").is_err());
    let no_cert = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#;
    assert!(SamlProvider::from_metadata(ACCOUNT, "X", no_cert).is_err());
    assert!(SamlProvider::from_metadata("12", "X", &metadata("idp-cert.pem")).is_err());
    let p = provider();
    assert_eq!(p.entity_id(), ENTITY);
    assert_eq!(p.arn(), PROVIDER);
}

#[test]
fn an_invalid_session_duration_is_ignored_not_refused() {
    for value in ["899", "43201", "soon"] {
        let spec = Spec {
            extra_attributes: attribute(
                "https://aws.amazon.com/SAML/Attributes/SessionDuration",
                &[value.to_owned()],
            ),
            ..Spec::default()
        };
        let v = verify(&signed_response(&spec)).unwrap();
        assert_eq!(v.session_duration, None, "{value}");
    }
}
