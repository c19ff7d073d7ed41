//! Property tests: a sealed session token with any single byte changed is refused.
//!
//! Input: records built from arbitrary strings, sealed with a seeded key ring.
//! Output: pass/fail; every altered token (in its base64 text or in its decoded bytes) must be
//! refused with `InvalidClientTokenId`, never opened and never a panic.

use base64::Engine as _;
use chrono::{DateTime, Duration, TimeZone, Utc};
use iam_sts::clock::SeededRandom;
use iam_sts::credentials::SecretString;
use iam_sts::keyring::KeyRing;
use iam_sts::token::{self, MfaInfo, RoleInfo, SessionKind, SessionRecord, SessionTag};
use proptest::prelude::*;

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap()
}

fn record(session: String, tags: Vec<(String, String)>, policy: Option<String>) -> SessionRecord {
    SessionRecord {
        version: token::TOKEN_VERSION,
        key_id: 0,
        kind: SessionKind::AssumedRole,
        account: "123456789012".into(),
        principal_arn: format!("arn:aws:sts::123456789012:assumed-role/App/{session}"),
        role: Some(RoleInfo {
            arn: "arn:aws:iam::123456789012:role/App".into(),
            id: "AROAEXAMPLEROLEID1234".into(),
            name: "App".into(),
        }),
        user_arn: None,
        user_id: None,
        session_name: Some(session),
        source_identity: None,
        federated_provider: None,
        transitive_tag_keys: tags.iter().take(1).map(|(k, _)| k.clone()).collect(),
        tags: tags
            .into_iter()
            .map(|(key, value)| SessionTag { key, value })
            .collect(),
        policy,
        policy_arns: vec![],
        mfa: MfaInfo::default(),
        issued_at: now(),
        expires_at: now() + Duration::hours(1),
        chain_depth: 0,
        access_key_id: "ASIAQAAAAAAAGMKEM7X5".into(),
        secret_access_key: SecretString::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    }
}

fn record_strategy() -> impl Strategy<Value = SessionRecord> {
    (
        "[A-Za-z0-9+=,.@_-]{2,64}",
        prop::collection::vec(("[a-z:/=+@. -]{1,20}", "\\PC{0,30}"), 0..6),
        prop::option::of("\\PC{1,80}"),
    )
        .prop_map(|(s, t, p)| record(s, t, p))
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failure here is a test failure"
)]
fn sealed(record: &SessionRecord) -> (KeyRing, String) {
    let rng = SeededRandom::new(99);
    let ring = KeyRing::generate(now(), &rng).unwrap();
    let token = token::seal(record, &ring, now(), &rng).unwrap();
    (ring, token)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_untouched_token_opens(record in record_strategy()) {
        let (ring, token) = sealed(&record);
        let opened = token::open(&token, &ring, now()).unwrap();
        prop_assert_eq!(opened.session_name, record.session_name);
        prop_assert_eq!(opened.tags, record.tags);
    }

    #[test]
    fn a_token_with_any_base64_character_changed_is_refused(
        record in record_strategy(),
        position in any::<prop::sample::Index>(),
        replacement in any::<prop::sample::Index>(),
    ) {
        let (ring, token) = sealed(&record);
        let mut bytes = token.into_bytes();
        let i = position.index(bytes.len());
        let original = bytes[i];
        let mut new = B64[replacement.index(B64.len())];
        if new == original {
            new = if original == b'A' { b'B' } else { b'A' };
        }
        bytes[i] = new;
        let altered = String::from_utf8(bytes).unwrap();
        let err = token::open(&altered, &ring, now()).unwrap_err();
        prop_assert_eq!(err.code(), "InvalidClientTokenId", "{}", err);
    }

    #[test]
    fn a_token_with_any_decoded_byte_changed_is_refused(
        record in record_strategy(),
        position in any::<prop::sample::Index>(),
        mask in 1_u8..=255,
    ) {
        let (ring, token) = sealed(&record);
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&token).unwrap();
        let i = position.index(raw.len());
        raw[i] ^= mask;
        let altered = base64::engine::general_purpose::STANDARD.encode(&raw);
        let err = token::open(&altered, &ring, now()).unwrap_err();
        prop_assert_eq!(err.code(), "InvalidClientTokenId", "{}", err);
    }

    #[test]
    fn a_truncated_or_extended_token_is_refused(
        record in record_strategy(),
        cut in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 1..8),
    ) {
        let (ring, token) = sealed(&record);
        let raw = base64::engine::general_purpose::STANDARD.decode(&token).unwrap();
        let short = &raw[..cut.index(raw.len())];
        let t = base64::engine::general_purpose::STANDARD.encode(short);
        prop_assert!(token::open(&t, &ring, now()).is_err());
        let mut long = raw.clone();
        long.extend_from_slice(&extra);
        let t = base64::engine::general_purpose::STANDARD.encode(&long);
        prop_assert!(token::open(&t, &ring, now()).is_err());
    }

    #[test]
    fn arbitrary_text_never_opens_and_never_panics(text in "\\PC{0,400}") {
        let rng = SeededRandom::new(5);
        let ring = KeyRing::generate(now(), &rng).unwrap();
        prop_assert!(token::open(&text, &ring, now()).is_err());
    }
}

#[test]
fn a_token_sealed_by_another_ring_is_refused() {
    let record = record("other".into(), vec![], None);
    let (_, token) = sealed(&record);
    let rng = SeededRandom::new(1234);
    let other = KeyRing::generate(now(), &rng).unwrap();
    let err = token::open(&token, &other, now()).unwrap_err();
    assert_eq!(err.code(), "InvalidClientTokenId");
}

#[test]
fn every_single_character_substitution_of_one_token_is_refused() {
    let record = record(
        "exhaustive".into(),
        vec![("team".into(), "blue".into())],
        None,
    );
    let (ring, token) = sealed(&record);
    let original = token.as_bytes();
    let mut tried = 0_usize;
    for i in 0..original.len() {
        for &c in B64.iter().filter(|&&c| c != original[i]) {
            let mut bytes = original.to_vec();
            bytes[i] = c;
            let altered = String::from_utf8(bytes).unwrap();
            let err = token::open(&altered, &ring, now()).unwrap_err();
            assert_eq!(err.code(), "InvalidClientTokenId", "position {i}, char {c}");
            tried += 1;
        }
    }
    assert_eq!(tried, original.len() * (B64.len() - 1));
}
