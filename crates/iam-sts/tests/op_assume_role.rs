//! AssumeRole: every parameter constraint, caller rule, trust rule and error of
//! sts-api.md §2, §3, §7, §8, with a fixed clock and seeded random.
#![cfg(test)]

mod op_support;

use iam_sts::service::{GetFederationTokenParams, GetSessionTokenParams, ProvidedContext};
use iam_sts::session::Caller;
use op_support::*;

fn err(
    f: &Fixture,
    caller: &Caller,
    p: &iam_sts::service::AssumeRoleParams,
) -> (String, String, u16) {
    let e = f.service.assume_role(caller, p).unwrap_err();
    (e.code().to_owned(), e.message(), e.http_status())
}

#[test]
fn trusted_user_gets_asia_credentials_for_the_role() {
    let f = Fixture::new();
    let out = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    let c = &out.credentials;
    assert!(c.access_key_id.starts_with("ASIA"));
    assert_eq!(c.secret_access_key.expose().len(), 40);
    assert_eq!(c.expiration, start() + chrono::Duration::seconds(3600));
    let u = out.assumed_role_user.unwrap();
    assert_eq!(u.assumed_role_id, "AROAEXAMPLEAPP0000001:s1");
    assert_eq!(u.arn, "arn:aws:sts::111122223333:assumed-role/app/s1");
    assert_eq!(
        out.packed_policy_size, None,
        "no policies or tags: no PackedPolicySize"
    );
    assert_eq!(out.session_token_size, c.session_token.expose().len());
}

#[test]
fn root_and_federated_callers_may_not_assume_roles() {
    let f = Fixture::new();
    let root = Caller::root(ACCT, "AKIAROOTEXAMPLE23456");
    let (code, msg, status) = err(&f, &root, &assume(APP_ROLE, "s1"));
    assert_eq!(
        (code.as_str(), msg.as_str(), status),
        (
            "AccessDenied",
            "Roles may not be assumed by root accounts.",
            403
        )
    );
    let p = GetFederationTokenParams {
        name: Some("fed".into()),
        ..Default::default()
    };
    let fed = f.service.get_federation_token(&f.alice(), &p).unwrap();
    let (code, _, _) = err(
        &f,
        &f.session_caller(&fed.credentials),
        &assume(APP_ROLE, "s1"),
    );
    assert_eq!(code, "AccessDenied");
}

#[test]
fn missing_role_arn_and_session_name_are_both_reported() {
    let f = Fixture::new();
    let (code, msg, status) = err(&f, &f.alice(), &Default::default());
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
    assert!(msg.starts_with("2 validation errors detected: "), "{msg}");
    assert!(msg.contains("'roleArn' failed to satisfy constraint: Member must not be null"));
    assert!(msg.contains("'roleSessionName' failed to satisfy constraint: Member must not be null"));
}

#[test]
fn session_name_length_and_pattern_use_coral_messages() {
    let f = Fixture::new();
    let (_, msg, _) = err(&f, &f.alice(), &assume(APP_ROLE, "s"));
    assert_eq!(msg, "1 validation error detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2");
    let long = "a".repeat(65);
    let (_, msg, _) = err(&f, &f.alice(), &assume(APP_ROLE, &long));
    assert!(
        msg.ends_with("Member must have length less than or equal to 64"),
        "{msg}"
    );
    let (_, msg, _) = err(&f, &f.alice(), &assume(APP_ROLE, "Session1:2"));
    assert_eq!(
        msg,
        r"1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
    );
    assert!(f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "a_b+c=d,e.f@g-h"))
        .is_ok());
    assert!(f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, &"a".repeat(64)))
        .is_ok());
}

#[test]
fn role_arn_length_and_shape_are_checked() {
    let f = Fixture::new();
    let (code, msg, _) = err(&f, &f.alice(), &assume("arn:aws:iam::1:role", "s1"));
    assert_eq!(code, "ValidationError");
    assert!(
        msg.contains("at 'roleArn'") && msg.contains("greater than or equal to 20"),
        "{msg}"
    );
    let (code, msg, _) = err(&f, &f.alice(), &assume("not-an-arn-but-long-enough", "s1"));
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ValidationError", "not-an-arn-but-long-enough is invalid")
    );
}

#[test]
fn unknown_role_gets_the_standard_denial() {
    let f = Fixture::new();
    let (code, msg, status) = err(
        &f,
        &f.alice(),
        &assume("arn:aws:iam::111122223333:role/nope", "s1"),
    );
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    assert_eq!(msg, "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/nope");
}

#[test]
fn untrusted_caller_is_denied_with_the_observed_message() {
    let f = Fixture::new();
    let bob = f.caller(BOB_KEY);
    let (code, msg, _) = err(&f, &bob, &assume(APP_ROLE, "s1"));
    assert_eq!(code, "AccessDenied");
    assert_eq!(msg, format!("User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:AssumeRole on resource: {APP_ROLE}"));
}

#[test]
fn trust_policy_sees_the_role_session_name() {
    let f = Fixture::new();
    let (code, _, _) = err(&f, &f.alice(), &assume(APP_ROLE, "forbidden"));
    assert_eq!(code, "AccessDenied");
}

#[test]
fn duration_range_default_and_role_maximum() {
    let f = Fixture::new();
    for (d, rule) in [
        (899, "greater than or equal to 900"),
        (43_201, "less than or equal to 43200"),
    ] {
        let p = iam_sts::service::AssumeRoleParams {
            duration_seconds: Some(d),
            ..assume(APP_ROLE, "s1")
        };
        let (code, msg, _) = err(&f, &f.alice(), &p);
        assert_eq!(code, "ValidationError");
        assert!(
            msg.contains(&format!("Value '{d}' at 'durationSeconds'")) && msg.contains(rule),
            "{msg}"
        );
    }
    let p = iam_sts::service::AssumeRoleParams {
        duration_seconds: Some(7201),
        ..assume(APP_ROLE, "s1")
    };
    let (_, msg, _) = err(&f, &f.alice(), &p);
    assert_eq!(
        msg,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    let p = iam_sts::service::AssumeRoleParams {
        duration_seconds: Some(7200),
        ..assume(APP_ROLE, "s1")
    };
    let out = f.service.assume_role(&f.alice(), &p).unwrap();
    assert_eq!(
        out.credentials.expiration,
        start() + chrono::Duration::seconds(7200)
    );
    let p = iam_sts::service::AssumeRoleParams {
        duration_seconds: Some(900),
        ..assume(APP_ROLE, "s1")
    };
    assert!(f.service.assume_role(&f.alice(), &p).is_ok());
}

#[test]
fn role_chaining_caps_duration_at_one_hour() {
    let f = Fixture::new();
    let app = f.alice_role_session(APP_ROLE, "s1");
    let p = iam_sts::service::AssumeRoleParams {
        duration_seconds: Some(3601),
        ..assume(CHAIN_ROLE, "s2")
    };
    let (code, msg, _) = err(&f, &app, &p);
    assert_eq!(code, "ValidationError");
    assert_eq!(msg, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    let p = iam_sts::service::AssumeRoleParams {
        duration_seconds: Some(3600),
        ..assume(CHAIN_ROLE, "s2")
    };
    let out = f.service.assume_role(&app, &p).unwrap();
    let chained = f.session_caller(&out.credentials);
    assert_eq!(chained.session.unwrap().record().chain_depth, 1);
    // GetSessionToken credentials are capped too.
    let gst = f
        .service
        .get_session_token(&f.alice(), &GetSessionTokenParams::default())
        .unwrap();
    let p = iam_sts::service::AssumeRoleParams {
        duration_seconds: Some(7200),
        ..assume(APP_ROLE, "s3")
    };
    let (_, msg, _) = err(&f, &f.session_caller(&gst.credentials), &p);
    assert!(msg.contains("role chaining"), "{msg}");
}

#[test]
fn a_role_session_does_not_implicitly_trust_its_own_role() {
    let f = Fixture::new();
    let me = f.alice_role_session(SELF_ROLE, "s1");
    let (code, _, _) = err(&f, &me, &assume(SELF_ROLE, "again"));
    assert_eq!(code, "AccessDenied");
}

#[test]
fn external_id_is_checked_by_pattern_and_by_the_trust_policy() {
    let f = Fixture::new();
    let with = |x: &str| iam_sts::service::AssumeRoleParams {
        external_id: Some(x.into()),
        ..assume(EXT_ROLE, "s1")
    };
    assert!(f
        .service
        .assume_role(&f.alice(), &with("ext-123456"))
        .is_ok());
    assert_eq!(err(&f, &f.alice(), &with("ext-other")).0, "AccessDenied");
    assert_eq!(
        err(&f, &f.alice(), &assume(EXT_ROLE, "s1")).0,
        "AccessDenied"
    );
    let (code, msg, _) = err(&f, &f.alice(), &with("x"));
    assert_eq!(code, "ValidationError");
    assert!(msg.contains("at 'externalId'") && msg.contains("greater than or equal to 2"));
    let (_, msg, _) = err(&f, &f.alice(), &with("bad id"));
    assert!(msg.contains(r"pattern: [\w+=,.@:\/-]*"), "{msg}");
    let (_, msg, _) = err(&f, &f.alice(), &with(&"a".repeat(1225)));
    assert!(msg.contains("less than or equal to 1224"));
}

#[test]
fn mfa_serial_and_code_unlock_an_mfa_role() {
    let f = Fixture::new();
    assert_eq!(
        err(&f, &f.alice(), &assume(MFA_ROLE, "s1")).0,
        "AccessDenied"
    );
    let p = iam_sts::service::AssumeRoleParams {
        serial_number: Some(MFA_SERIAL.into()),
        token_code: Some(f.totp_now()),
        ..assume(MFA_ROLE, "s1")
    };
    let out = f.service.assume_role(&f.alice(), &p).unwrap();
    let s = f.session_caller(&out.credentials).session.unwrap();
    assert!(s.record().mfa.authenticated);
    let wrong = iam_sts::service::AssumeRoleParams {
        token_code: Some("000000".into()),
        ..p.clone()
    };
    let wrong = if wrong.token_code.as_deref() == Some(f.totp_now().as_str()) {
        iam_sts::service::AssumeRoleParams {
            token_code: Some("111111".into()),
            ..p.clone()
        }
    } else {
        wrong
    };
    let (code, msg, _) = err(&f, &f.alice(), &wrong);
    assert_eq!(code, "AccessDenied");
    assert!(msg.starts_with("MultiFactorAuthentication failed"), "{msg}");
    // Another user's device does not count.
    let bob = f.caller(BOB_KEY);
    assert_eq!(err(&f, &bob, &p).0, "AccessDenied");
}

#[test]
fn mfa_parameters_are_validated() {
    let f = Fixture::new();
    let p = iam_sts::service::AssumeRoleParams {
        serial_number: Some("short".into()),
        token_code: Some("12345a".into()),
        ..assume(MFA_ROLE, "s1")
    };
    let (code, msg, _) = err(&f, &f.alice(), &p);
    assert_eq!(code, "ValidationError");
    assert!(msg.starts_with("2 validation errors detected"), "{msg}");
    assert!(msg.contains("at 'serialNumber'") && msg.contains("greater than or equal to 9"));
    assert!(msg.contains(r"at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*"));
    let p = iam_sts::service::AssumeRoleParams {
        token_code: Some("1234567".into()),
        ..assume(MFA_ROLE, "s1")
    };
    assert!(err(&f, &f.alice(), &p)
        .1
        .contains("less than or equal to 6"));
}

#[test]
fn session_tags_need_tag_session_and_follow_the_tag_rules() {
    let f = Fixture::new();
    let with = |tags: Vec<iam_sts::token::SessionTag>, transitive: Vec<&str>| {
        iam_sts::service::AssumeRoleParams {
            tags,
            transitive_tag_keys: transitive.into_iter().map(String::from).collect(),
            ..assume(APP_ROLE, "s1")
        }
    };
    let out = f
        .service
        .assume_role(&f.alice(), &with(vec![tag("project", "x")], vec![]))
        .unwrap();
    assert!(out.packed_policy_size.is_some());
    // The trust policy denies sts:TagSession for this value.
    let (code, msg, _) = err(
        &f,
        &f.alice(),
        &with(vec![tag("project", "secret")], vec![]),
    );
    assert_eq!(code, "AccessDenied");
    assert!(msg.contains("sts:TagSession"), "{msg}");
    let (code, msg, _) = err(
        &f,
        &f.alice(),
        &with(vec![tag("Team", "a"), tag("team", "b")], vec![]),
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidParameterValue",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    );
    assert_eq!(
        err(&f, &f.alice(), &with(vec![tag("aws:x", "a")], vec![])).0,
        "InvalidParameterValue"
    );
    let (code, msg, _) = err(&f, &f.alice(), &with(vec![tag("a", "1")], vec!["b"]));
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidParameterValue",
            "The specified transitive tag key must be included in the requested tags."
        )
    );
    assert!(f
        .service
        .assume_role(&f.alice(), &with(vec![tag("Dept", "1")], vec!["dept"]))
        .is_ok());
    let many: Vec<_> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    let (code, msg, _) = err(&f, &f.alice(), &with(many, vec![]));
    assert_eq!(code, "ValidationError");
    assert!(
        msg.contains("at 'tags'") && msg.contains("less than or equal to 50"),
        "{msg}"
    );
    let (_, msg, _) = err(
        &f,
        &f.alice(),
        &with(vec![tag(&"k".repeat(129), "v")], vec![]),
    );
    assert!(
        msg.contains("at 'tags.1.member.key'") && msg.contains("less than or equal to 128"),
        "{msg}"
    );
    let (_, msg, _) = err(
        &f,
        &f.alice(),
        &with(vec![tag("k", &"v".repeat(257))], vec![]),
    );
    assert!(
        msg.contains("at 'tags.1.member.value'") && msg.contains("less than or equal to 256"),
        "{msg}"
    );
    let (_, msg, _) = err(&f, &f.alice(), &with(vec![tag("bad*key", "v")], vec![]));
    assert!(
        msg.contains(r"pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+"),
        "{msg}"
    );
    assert!(f
        .service
        .assume_role(&f.alice(), &with(vec![tag("empty", "")], vec![]))
        .is_ok());
    let (_, msg, _) = err(&f, &f.alice(), &with(vec![tag("", "v")], vec![]));
    assert!(msg.contains("greater than or equal to 1"), "{msg}");
}

#[test]
fn fifty_long_tags_exceed_the_packed_limit() {
    let f = Fixture::new();
    let tags: Vec<_> = (0..50)
        .map(|i| tag(&format!("k{i:03}{}", "x".repeat(100)), &"v".repeat(200)))
        .collect();
    let p = iam_sts::service::AssumeRoleParams {
        tags,
        ..assume(APP_ROLE, "s1")
    };
    let (code, _, status) = err(&f, &f.alice(), &p);
    assert_eq!((code.as_str(), status), ("PackedPolicyTooLarge", 400));
}

#[test]
fn transitive_tags_and_source_identity_carry_through_chaining() {
    let f = Fixture::new();
    let p = iam_sts::service::AssumeRoleParams {
        tags: vec![tag("Project", "apollo"), tag("cost", "42")],
        transitive_tag_keys: vec!["Project".into()],
        source_identity: Some("alice-src".into()),
        ..assume(APP_ROLE, "s1")
    };
    let first = f.service.assume_role(&f.alice(), &p).unwrap();
    assert_eq!(first.source_identity.as_deref(), Some("alice-src"));
    let app = f.session_caller(&first.credentials);
    let out = f
        .service
        .assume_role(&app, &assume(CHAIN_ROLE, "s2"))
        .unwrap();
    assert_eq!(out.source_identity.as_deref(), Some("alice-src"));
    let chained = f.session_caller(&out.credentials);
    let rec = chained.session.as_ref().unwrap().record().clone();
    assert_eq!(
        rec.tags,
        vec![tag("Project", "apollo")],
        "only transitive tags are inherited"
    );
    assert_eq!(rec.transitive_tag_keys, vec!["Project".to_owned()]);
    assert_eq!(rec.source_identity.as_deref(), Some("alice-src"));
    // Conflicts with inherited transitive keys, in tags or in transitive keys.
    let clash = iam_sts::service::AssumeRoleParams {
        tags: vec![tag("project", "other")],
        ..assume(CHAIN_ROLE, "s3")
    };
    let (code, msg, _) = err(&f, &app, &clash);
    assert_eq!(code, "InvalidParameterValue");
    assert_eq!(msg, "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.");
    // The source identity cannot be changed.
    let change = iam_sts::service::AssumeRoleParams {
        source_identity: Some("mallory".into()),
        ..assume(CHAIN_ROLE, "s4")
    };
    assert_eq!(err(&f, &app, &change).0, "InvalidParameterValue");
    // The second hop chains again from the chained session and keeps everything.
    let again = f.service.assume_role(&chained, &assume(CHAIN_ROLE, "s5"));
    assert!(again.is_err(), "chain role does not trust its own sessions");
}

#[test]
fn source_identity_is_validated() {
    let f = Fixture::new();
    let with = |s: &str| iam_sts::service::AssumeRoleParams {
        source_identity: Some(s.into()),
        ..assume(APP_ROLE, "s1")
    };
    for bad in ["a", "has space", "aws:reserved"] {
        let (code, msg, _) = err(&f, &f.alice(), &with(bad));
        assert_eq!(code, "ValidationError", "{bad}");
        assert!(msg.contains("'sourceIdentity'"), "{msg}");
    }
    let (_, msg, _) = err(&f, &f.alice(), &with(&"a".repeat(65)));
    assert!(msg.contains("less than or equal to 64"));
}

#[test]
fn session_policies_are_parsed_resolved_and_limited() {
    let f = Fixture::new();
    let with = |policy: Option<&str>, arns: Vec<&str>| iam_sts::service::AssumeRoleParams {
        policy: policy.map(String::from),
        policy_arns: arns.into_iter().map(String::from).collect(),
        ..assume(APP_ROLE, "s1")
    };
    let good = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let out = f
        .service
        .assume_role(&f.alice(), &with(Some(good), vec![]))
        .unwrap();
    let pct = out.packed_policy_size.unwrap();
    assert!(pct > 0 && pct < 100, "{pct}");
    let (code, msg, _) = err(&f, &f.alice(), &with(Some("{not json"), vec![]));
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "MalformedPolicyDocument",
            "This policy contains invalid Json"
        )
    );
    let (code, _, _) = err(
        &f,
        &f.alice(),
        &with(
            Some(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}"#,
            ),
            vec![],
        ),
    );
    assert_eq!(code, "MalformedPolicyDocument");
    let (code, msg, _) = err(&f, &f.alice(), &with(Some("{\"x\":\"\u{0100}\"}"), vec![]));
    assert_eq!(code, "ValidationError");
    assert!(msg.contains(r"[\u0009\u000A\u000D\u0020-\u00FF]+"), "{msg}");
    assert!(f
        .service
        .assume_role(
            &f.alice(),
            &with(None, vec!["arn:aws:iam::111122223333:policy/s3-read"])
        )
        .is_ok());
    let (code, _, _) = err(
        &f,
        &f.alice(),
        &with(None, vec!["arn:aws:iam::111122223333:policy/missing"]),
    );
    assert_eq!(code, "InvalidParameterValue");
    let eleven: Vec<&str> =
        std::iter::repeat_n("arn:aws:iam::111122223333:policy/s3-read", 11).collect();
    let (code, msg, _) = err(&f, &f.alice(), &with(None, eleven));
    assert_eq!(code, "ValidationError");
    assert!(
        msg.contains("at 'policyArns'") && msg.contains("less than or equal to 10"),
        "{msg}"
    );
    let padded = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":"{}"}}]}}"#,
        "A".repeat(2000)
    );
    let (code, msg, _) = err(&f, &f.alice(), &with(Some(&padded), vec![]));
    assert_eq!(code, "ValidationError");
    assert!(msg.contains("at 'policy'") && msg.contains("less than or equal to 2048"));
}

#[test]
fn cross_account_needs_both_trust_and_the_callers_identity_policy() {
    let f = Fixture::new();
    let carol = f.caller(CAROL_KEY);
    let out = f
        .service
        .assume_role(&carol, &assume(CROSS_ROLE, "c1"))
        .unwrap();
    assert_eq!(
        out.assumed_role_user.unwrap().arn,
        "arn:aws:sts::111122223333:assumed-role/cross/c1"
    );
    let dave = f.caller(DAVE_KEY);
    assert_eq!(err(&f, &dave, &assume(CROSS_ROLE, "d1")).0, "AccessDenied");
}

#[test]
fn provided_contexts_and_token_size_parameters() {
    let f = Fixture::new();
    let p = iam_sts::service::AssumeRoleParams {
        provided_contexts: vec![ProvidedContext {
            provider_arn: "arn:aws:iam::aws:contextProvider/IdentityCenter".into(),
            context_assertion: "abcd".into(),
        }],
        ..assume(APP_ROLE, "s1")
    };
    assert_eq!(err(&f, &f.alice(), &p).0, "InvalidContextAssertion");
    let p = iam_sts::service::AssumeRoleParams {
        minimum_session_token_size: Some(4097),
        ..assume(APP_ROLE, "s1")
    };
    assert!(err(&f, &f.alice(), &p)
        .1
        .contains("at 'minimumSessionTokenSize'"));
    let p = iam_sts::service::AssumeRoleParams {
        minimum_session_token_size: Some(2000),
        ..assume(APP_ROLE, "s1")
    };
    let out = f.service.assume_role(&f.alice(), &p).unwrap();
    assert!(out.credentials.session_token.expose().len() >= 2000);
    assert!(out.session_token_utilization >= 48);
}

#[test]
fn issuing_is_deterministic_with_a_fixed_clock_and_seed() {
    let a = Fixture::new();
    let b = Fixture::new();
    let x = a
        .service
        .assume_role(&a.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    let y = b
        .service
        .assume_role(&b.alice(), &assume(APP_ROLE, "s1"))
        .unwrap();
    assert_eq!(x.credentials.access_key_id, y.credentials.access_key_id);
    assert_eq!(x.credentials.session_token, y.credentials.session_token);
}

#[test]
fn a_directly_trusted_user_still_needs_its_boundary_to_allow_assume_role() {
    // erin is named in the trust policy and her identity policy allows everything, but
    // her permissions boundary (s3:GetObject only) does not allow sts:AssumeRole
    // (evaluation.md §7.7).
    let f = Fixture::new();
    let erin = f.caller(ERIN_KEY);
    let (code, msg, _) = err(&f, &erin, &assume(SELF_ROLE, "e1"));
    assert_eq!(code, "AccessDenied");
    assert!(
        msg.starts_with("User: arn:aws:iam::111122223333:user/erin is not authorized"),
        "{msg}"
    );
    // alice, named the same way and without a boundary, is allowed.
    assert!(f
        .service
        .assume_role(&f.alice(), &assume(SELF_ROLE, "a1"))
        .is_ok());
}
