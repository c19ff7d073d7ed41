//! Properties of issued sessions: a session never gets more than its role's own policies
//! allow, expired tokens are refused, and a token with any byte changed is refused.
#![cfg(test)]

mod op_support;

use iam_policy::context::Context;
use iam_sts::service::AssumeRoleParams;
use op_support::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const ACTIONS: [&str; 8] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "ec2:RunInstances",
    "sts:AssumeRole",
    "iam:CreateUser",
    "logs:PutLogEvents",
];
const ACTION_PATTERNS: [&str; 8] = [
    "s3:*",
    "s3:Get*",
    "s3:*Object",
    "ec2:*",
    "*",
    "sts:AssumeRole",
    "iam:*",
    "s3:ListBucket",
];
const RESOURCES: [&str; 4] = [
    "arn:aws:s3:::data/a.txt",
    "arn:aws:s3:::data/b/c.txt",
    "arn:aws:s3:::logs/x",
    "*",
];
const RESOURCE_PATTERNS: [&str; 4] = [
    "*",
    "arn:aws:s3:::data/*",
    "arn:aws:s3:::logs/*",
    "arn:aws:s3:::*",
];

fn statement() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::sample::subsequence(ACTION_PATTERNS.to_vec(), 1..4),
        prop::sample::select(RESOURCE_PATTERNS.to_vec()),
    )
        .prop_map(|(allow, actions, resource)| {
            let actions: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
            format!(
                r#"{{"Effect":"{}","Action":[{}],"Resource":"{resource}"}}"#,
                if allow { "Allow" } else { "Deny" },
                actions.join(",")
            )
        })
}

fn session_policy() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::collection::vec(statement(), 1..4).prop_map(|s| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            s.join(",")
        )
    }))
}

#[test]
fn a_session_never_gets_what_its_role_does_not_allow() {
    let f = Fixture::new();
    let role_only = f.alice_role_session(APP_ROLE, "base");
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    let strategy = (
        session_policy(),
        prop::bool::ANY,
        prop::sample::select(ACTIONS.to_vec()),
        prop::sample::select(RESOURCES.to_vec()),
    );
    let allowed = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&strategy, |(policy, managed, action, resource)| {
            let p = AssumeRoleParams {
                policy,
                policy_arns: if managed {
                    vec!["arn:aws:iam::111122223333:policy/s3-read".into()]
                } else {
                    vec![]
                },
                ..assume(APP_ROLE, "prop")
            };
            let out = f.service.assume_role(&f.alice(), &p).unwrap();
            let session = f.session_caller(&out.credentials);
            let with = f
                .service
                .authorize(&session, action, resource, Some(ACCT), &Context::new())
                .unwrap();
            let without = f
                .service
                .authorize(&role_only, action, resource, Some(ACCT), &Context::new())
                .unwrap();
            prop_assert!(
                !with.is_allowed() || without.is_allowed(),
                "{action} on {resource}: session allowed, role denied"
            );
            if with.is_allowed() {
                allowed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    assert!(
        allowed.into_inner() > 0,
        "the generator never produced an allowed session request"
    );
}

#[test]
fn expired_tokens_are_refused_and_live_ones_open() {
    let f = Fixture::new();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&(900_i64..=7200, 0_i64..=10_000), |(duration, after)| {
            f.clock.set(start());
            let p = AssumeRoleParams {
                duration_seconds: Some(duration),
                ..assume(APP_ROLE, "exp")
            };
            let out = f.service.assume_role(&f.alice(), &p).unwrap();
            f.clock.set(start() + chrono::Duration::seconds(after));
            let opened = f.service.caller_for_key(
                &out.credentials.access_key_id,
                Some(out.credentials.session_token.expose()),
            );
            if after >= duration {
                prop_assert_eq!(
                    opened.map(|_| ()).map_err(|e| e.code()),
                    Err("ExpiredToken")
                );
            } else {
                prop_assert!(opened.is_ok());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_token_with_any_byte_changed_is_refused_by_authenticate() {
    let f = Fixture::new();
    let out = f
        .service
        .assume_role(&f.alice(), &assume(APP_ROLE, "tamper"))
        .unwrap();
    let cr = out.credentials;
    let token = cr.session_token.expose().to_owned();
    let secret = cr.secret_access_key.expose().to_owned();
    let key = cr.access_key_id.clone();
    let now = f.service.now();
    let good = signed(&f, &key, &secret, Some(&token));
    assert!(f.service.authenticate(&good, now).is_ok());
    let len = token.len();
    let mut runner = TestRunner::new(Config {
        cases: 256,
        ..Config::default()
    });
    runner
        .run(&(0..len, 33_u8..127), |(i, b)| {
            let mut bytes = token.clone().into_bytes();
            prop_assume!(bytes[i] != b);
            bytes[i] = b;
            // Re-signed with the changed token, so only the token itself can be refused.
            let changed = String::from_utf8_lossy(&bytes).into_owned();
            let req = signed(&f, &key, &secret, Some(&changed));
            let e = f
                .service
                .authenticate(&req, now)
                .map(|_| ())
                .map_err(|e| e.code());
            prop_assert_eq!(e, Err("InvalidClientTokenId"));
            Ok(())
        })
        .unwrap();
}
