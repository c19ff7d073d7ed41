//! Bench: the token service's hot paths (`iam_sts::service`).
//!
//! Input: a one-account directory (a user, a role trusting the user, one role policy)
//! written to a temp dir, a fixed clock and a seeded key ring.
//! Output: criterion timings for `sts_assume_role` (parameter checks, trust evaluation by
//! the engine, sealing; target ≤ 20 µs) and `sts_authorize_cached` (authorize on a session
//! whose permissions are cached; target ≤ 1.5 µs) and `sts_authorize_engine_only` (the
//! engine's evaluation of that request alone, for comparison).
//! Never: reads `IAMCTL_DATA`; leaves the temp dir behind when it can remove it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{criterion_main, Criterion};
use iam_policy::context::Context;
use iam_sts::clock::{FixedClock, SeededRandom};
use iam_sts::directory::SharedDirectory;
use iam_sts::keyring::KeyRing;
use iam_sts::service::{AssumeRoleParams, ServiceConfig, TokenService};

const TOML: &str = r#"
[[account]]
id = "111122223333"
file = "prod.json"

[[account.access_key]]
user = "alice"
id = "AKIAALICEEXAMPLE2345"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
"#;

const JSON: &str = r#"{
 "UserDetailList": [{"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLEALICE00001",
   "Arn": "arn:aws:iam::111122223333:user/alice", "CreateDate": "2024-01-01 00:00:00+00:00",
   "GroupList": [], "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": "blue"}],
   "UserPolicyList": [{"PolicyName": "assume", "PolicyDocument": {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}]}],
 "GroupDetailList": [],
 "RoleDetailList": [{"Path": "/team/", "RoleName": "app", "RoleId": "AROAEXAMPLEAPP0000001",
   "Arn": "arn:aws:iam::111122223333:role/team/app", "CreateDate": "2024-01-01 00:00:00+00:00",
   "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]},
   "InstanceProfileList": [], "AttachedManagedPolicies": [], "Tags": [{"Key": "env", "Value": "prod"}],
   "RolePolicyList": [{"PolicyName": "data", "PolicyDocument": {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
       "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]},
      {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
       "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}}]}}]}],
 "Policies": []
}"#;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

/// The service over a directory in a fresh temp dir (removed after loading).
fn service() -> Option<TokenService> {
    let dir = std::env::temp_dir().join(format!("iam-sts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("directory.toml"), TOML).ok()?;
    std::fs::write(dir.join("prod.json"), JSON).ok()?;
    let shared = SharedDirectory::load(dir.join("directory.toml")).ok();
    let _ = std::fs::remove_dir_all(&dir);
    let random = Arc::new(SeededRandom::new(1));
    let ring = KeyRing::generate(now() - chrono::Duration::days(1), random.as_ref()).ok()?;
    Some(TokenService::new(
        shared?,
        ring,
        Arc::new(FixedClock::new(now())),
        random,
        ServiceConfig::default(),
    ))
}

fn bench(c: &mut Criterion) {
    let Some(svc) = service() else {
        eprintln!("skipped: the bench directory could not be built");
        return;
    };
    let Ok((alice, _)) = svc.caller_for_key("AKIAALICEEXAMPLE2345", None) else {
        eprintln!("skipped: the bench user does not resolve");
        return;
    };
    let params = AssumeRoleParams {
        role_arn: Some("arn:aws:iam::111122223333:role/team/app".into()),
        role_session_name: Some("bench-session".into()),
        ..AssumeRoleParams::default()
    };
    let Ok(out) = svc.assume_role(&alice, &params) else {
        eprintln!("skipped: the bench role cannot be assumed");
        return;
    };
    c.bench_function("sts_assume_role", |b| {
        b.iter(|| {
            svc.assume_role(&alice, std::hint::black_box(&params))
                .is_ok()
        })
    });
    let cr = &out.credentials;
    let Ok((session, _)) = svc.caller_for_key(&cr.access_key_id, Some(cr.session_token.expose()))
    else {
        eprintln!("skipped: the bench session does not open");
        return;
    };
    let extra = Context::new();
    c.bench_function("sts_authorize_cached", |b| {
        b.iter(|| {
            svc.authorize(
                &session,
                std::hint::black_box("s3:GetObject"),
                "arn:aws:s3:::data/report.csv",
                Some("111122223333"),
                &extra,
            )
            .map(|a| a.is_allowed())
        })
    });
    // The engine's share: evaluating the request `authorize` built, without building it.
    if let Ok(a) = svc.authorize(
        &session,
        "s3:GetObject",
        "arn:aws:s3:::data/report.csv",
        Some("111122223333"),
        &extra,
    ) {
        c.bench_function("sts_authorize_engine_only", |b| {
            b.iter(|| {
                a.permissions
                    .evaluate(std::hint::black_box(&a.request))
                    .is_allowed()
            })
        });
    }
}

/// The bench group (written out instead of `criterion_group!`, whose function has no docs).
pub fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
