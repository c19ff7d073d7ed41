//! Bench: sealing and opening session tokens (`iam_sts::token`).
//!
//! Input: a small role session (no session policies, two tags) and one with 50 short tags,
//! sealed with a seeded key ring.
//! Output: criterion timings for `token_seal` and `token_open` (target: opening a small token
//! in at most 2 µs).
//! Never: reads `IAMCTL_DATA` or any file; everything is built in memory.

use chrono::{DateTime, Duration, Utc};
use criterion::{criterion_main, BatchSize, Criterion};
use iam_sts::clock::{OsRandom, SeededRandom};
use iam_sts::credentials::SecretString;
use iam_sts::keyring::KeyRing;
use iam_sts::token::{self, MfaInfo, RoleInfo, SessionKind, SessionRecord, SessionTag};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn record(tag_count: usize) -> SessionRecord {
    SessionRecord {
        version: token::TOKEN_VERSION,
        key_id: 0,
        kind: SessionKind::AssumedRole,
        account: "123456789012".into(),
        principal_arn: "arn:aws:sts::123456789012:assumed-role/Deploy/ci-run-42".into(),
        role: Some(RoleInfo {
            arn: "arn:aws:iam::123456789012:role/ops/Deploy".into(),
            id: "AROAEXAMPLEROLEID1234".into(),
            name: "Deploy".into(),
        }),
        user_arn: None,
        user_id: None,
        session_name: Some("ci-run-42".into()),
        source_identity: Some("alice".into()),
        federated_provider: None,
        tags: (0..tag_count)
            .map(|i| SessionTag {
                key: format!("tag-key-{i:02}"),
                value: format!("value-{i:02}-of-the-session"),
            })
            .collect(),
        transitive_tag_keys: vec![],
        policy: None,
        policy_arns: vec![],
        mfa: MfaInfo {
            authenticated: true,
            auth_time: Some(now()),
        },
        issued_at: now(),
        expires_at: now() + Duration::hours(1),
        chain_depth: 0,
        access_key_id: "ASIAQAAAAAAAGMKEM7X5".into(),
        secret_access_key: SecretString::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    }
}

fn bench_tokens(c: &mut Criterion) {
    let rng = SeededRandom::new(1);
    let Ok(mut ring) = KeyRing::generate(now(), &rng) else {
        return;
    };
    // A ring with a few rotated-out keys, as a server would have.
    for hour in 1..4 {
        if ring.rotate(now() + Duration::hours(hour), &rng).is_err() {
            return;
        }
    }
    let at = now() + Duration::hours(4);
    for (name, tags) in [("small", 2), ("50_tags", 50)] {
        let rec = record(tags);
        let Ok(tok) = token::seal(&rec, &ring, at, &OsRandom) else {
            return;
        };
        c.bench_function(&format!("token_seal/{name}"), |b| {
            b.iter(|| token::seal(&rec, &ring, at, &OsRandom));
        });
        c.bench_function(&format!("token_open/{name}"), |b| {
            b.iter(|| token::open(&tok, &ring, at));
        });
        c.bench_function(&format!("token_open_refused/{name}"), |b| {
            let mut bad = tok.clone().into_bytes();
            if let Some(last) = bad.get_mut(10) {
                *last = if *last == b'A' { b'B' } else { b'A' };
            }
            let bad = String::from_utf8(bad).unwrap_or_default();
            b.iter_batched(
                || (),
                |()| token::open(&bad, &ring, at),
                BatchSize::SmallInput,
            );
        });
    }
}

/// The bench group (written out instead of `criterion_group!`, whose function has no docs).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench_tokens(&mut c);
}

criterion_main!(benches);
