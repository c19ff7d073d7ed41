//! Integration tests: session token sizes against AWS's 4,096-character budget.
//!
//! Input: representative records (minimal role session, GetSessionToken, realistic tags,
//! maximum tags) sealed with a seeded key ring.
//! Output: pass/fail plus the measured sizes on stderr (`cargo test -- --nocapture`).
//! The bound: sessions without session policies stay within 4,096 characters as long as their
//! tag text (keys, values and non-tag transitive keys) stays under about 2,500 bytes; 50 tags
//! of maximum length do not fit (about 26,000 characters) and the issuer must refuse them with
//! its packed-size limit.

use chrono::{DateTime, Duration, TimeZone, Utc};
use iam_sts::clock::SeededRandom;
use iam_sts::credentials::SecretString;
use iam_sts::keyring::KeyRing;
use iam_sts::token::{
    self, MfaInfo, RoleInfo, SessionKind, SessionRecord, SessionTag, TOKEN_SIZE_BUDGET,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap()
}

fn role_session(tags: Vec<SessionTag>) -> SessionRecord {
    SessionRecord {
        version: token::TOKEN_VERSION,
        key_id: 0,
        kind: SessionKind::AssumedRole,
        account: "123456789012".into(),
        principal_arn:
            "arn:aws:sts::123456789012:assumed-role/DeploymentRole/github-actions-run-123456789"
                .into(),
        role: Some(RoleInfo {
            arn: "arn:aws:iam::123456789012:role/service-role/DeploymentRole".into(),
            id: "AROAEXAMPLEROLEID1234".into(),
            name: "DeploymentRole".into(),
        }),
        user_arn: None,
        user_id: None,
        session_name: Some("github-actions-run-123456789".into()),
        source_identity: Some("alice@example.com".into()),
        federated_provider: Some(
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com".into(),
        ),
        transitive_tag_keys: tags.iter().map(|t| t.key.clone()).collect(),
        tags,
        policy: None,
        policy_arns: vec![],
        mfa: MfaInfo {
            authenticated: true,
            auth_time: Some(now()),
        },
        issued_at: now(),
        expires_at: now() + Duration::hours(12),
        chain_depth: 1,
        access_key_id: "ASIAQAAAAAAAGMKEM7X5".into(),
        secret_access_key: SecretString::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    }
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failure here is a test failure"
)]
fn tags(count: usize, key_len: usize, value_len: usize) -> Vec<SessionTag> {
    (0..count)
        .map(|i| {
            // Distinct, non-repetitive text so nothing here could flatter a compressor.
            let key: String = format!("{i:03}-{}", "k".repeat(key_len))
                .chars()
                .take(key_len)
                .collect();
            let value: String = (0..value_len)
                .map(|j| char::from(b'a' + u8::try_from((i * 7 + j * 13) % 26).unwrap()))
                .collect();
            SessionTag { key, value }
        })
        .collect()
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failure here is a test failure"
)]
fn measure(name: &str, record: &SessionRecord) -> usize {
    let rng = SeededRandom::new(8);
    let ring = KeyRing::generate(now(), &rng).unwrap();
    let tok = token::seal(record, &ring, now(), &rng).unwrap();
    assert_eq!(tok.len(), token::sealed_token_len(record), "{name}");
    let opened = token::open(&tok, &ring, now()).unwrap();
    assert_eq!(opened.tags, record.tags);
    eprintln!("token size {name}: {} characters", tok.len());
    tok.len()
}

#[test]
fn a_minimal_role_session_is_small() {
    let mut r = role_session(vec![]);
    r.source_identity = None;
    r.federated_provider = None;
    r.mfa = MfaInfo::default();
    assert!(measure("minimal role session", &r) <= 400);
}

#[test]
fn a_get_session_token_session_of_root_is_small() {
    let mut r = role_session(vec![]);
    r.kind = SessionKind::SessionToken;
    r.role = None;
    r.principal_arn = "arn:aws:iam::123456789012:root".into();
    r.user_arn = Some(r.principal_arn.clone());
    r.user_id = Some("123456789012".into());
    r.session_name = None;
    r.source_identity = None;
    r.federated_provider = None;
    assert!(measure("root session token", &r) <= 300);
}

#[test]
fn fifty_realistic_tags_all_transitive_fit_the_budget() {
    // 50 tags with 16-character keys and 32-character values, every key transitive.
    let r = role_session(tags(50, 16, 32));
    assert!(measure("50 tags 16+32, all transitive", &r) <= TOKEN_SIZE_BUDGET);
}

#[test]
fn tag_text_up_to_the_documented_bound_fits_the_budget() {
    // 2,500 bytes of tag text: 50 tags of 16 + 34 characters, all transitive, on a role
    // session that also carries a source identity, a federated provider and MFA facts.
    let r = role_session(tags(50, 16, 34));
    let text: usize = r.tags.iter().map(|t| t.key.len() + t.value.len()).sum();
    assert_eq!(text, 2_500);
    assert!(measure("2,500 bytes of tag text", &r) <= TOKEN_SIZE_BUDGET);
}

#[test]
fn fifty_maximum_length_tags_exceed_the_budget_and_the_issuer_can_tell_before_sealing() {
    let r = role_session(tags(50, 128, 256));
    let predicted = token::sealed_token_len(&r);
    assert!(predicted > TOKEN_SIZE_BUDGET);
    assert_eq!(measure("50 tags 128+256, all transitive", &r), predicted);
}

#[test]
fn transitive_keys_that_name_tags_cost_one_byte_each() {
    let with = role_session(tags(50, 128, 0));
    let mut without = with.clone();
    without.transitive_tag_keys.clear();
    let difference = token::sealed_token_len(&with) - token::sealed_token_len(&without);
    assert!(difference <= 70, "{difference}");
}
