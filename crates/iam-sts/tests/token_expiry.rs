//! Integration tests: token expiry, key rotation and retirement, and key-ring persistence.
//!
//! Input: records sealed under a fixed clock and a seeded random source; key-ring files in a
//! unique directory under `std::env::temp_dir()` (removed afterwards).
//! Output: pass/fail. Expired tokens answer `ExpiredToken`; rotated-out keys keep opening;
//! retired and dropped keys open nothing; saved rings load back only when owner-only.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use iam_sts::clock::{Clock, FixedClock, SeededRandom};
use iam_sts::credentials::SecretString;
use iam_sts::keyring::{KeyRing, KeyRingError};
use iam_sts::token::{self, MfaInfo, SessionKind, SessionRecord, TokenError};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap()
}

fn session_token_record(issued: DateTime<Utc>, hours: i64) -> SessionRecord {
    SessionRecord {
        version: token::TOKEN_VERSION,
        key_id: 0,
        kind: SessionKind::SessionToken,
        account: "123456789012".into(),
        principal_arn: "arn:aws:iam::123456789012:user/alice".into(),
        role: None,
        user_arn: Some("arn:aws:iam::123456789012:user/alice".into()),
        user_id: Some("AIDAEXAMPLEUSERID1234".into()),
        session_name: None,
        source_identity: None,
        federated_provider: None,
        tags: vec![],
        transitive_tag_keys: vec![],
        policy: None,
        policy_arns: vec![],
        mfa: MfaInfo {
            authenticated: true,
            auth_time: Some(issued),
        },
        issued_at: issued,
        expires_at: issued + Duration::hours(hours),
        chain_depth: 0,
        access_key_id: "ASIAQAAAAAAAGMKEM7X5".into(),
        secret_access_key: SecretString::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    }
}

#[test]
fn a_token_opens_until_its_expiry_and_answers_expired_token_from_then_on() {
    let clock = FixedClock::new(t0());
    let rng = SeededRandom::new(1);
    let ring = KeyRing::generate(clock.now(), &rng).unwrap();
    let record = session_token_record(clock.now(), 1);
    let tok = token::seal(&record, &ring, clock.now(), &rng).unwrap();

    clock.advance(Duration::seconds(3599));
    assert!(token::open(&tok, &ring, clock.now()).is_ok());
    clock.advance(Duration::seconds(1));
    let err = token::open(&tok, &ring, clock.now()).unwrap_err();
    assert_eq!(err, TokenError::Expired(record.expires_at));
    assert_eq!(err.code(), "ExpiredToken");
    clock.advance(Duration::days(400));
    assert_eq!(
        token::open(&tok, &ring, clock.now()).unwrap_err().code(),
        "ExpiredToken"
    );
}

#[test]
fn tokens_of_a_rotated_out_key_still_open_and_new_tokens_use_the_new_key() {
    let clock = FixedClock::new(t0());
    let rng = SeededRandom::new(2);
    let mut ring = KeyRing::generate(clock.now(), &rng).unwrap();
    let old_key = ring.sealing_key_id(clock.now()).unwrap();
    let old = token::seal(
        &session_token_record(clock.now(), 36),
        &ring,
        clock.now(),
        &rng,
    )
    .unwrap();

    clock.advance(Duration::hours(1));
    let new_key = ring.rotate(clock.now(), &rng).unwrap();
    let new = token::seal(
        &session_token_record(clock.now(), 1),
        &ring,
        clock.now(),
        &rng,
    )
    .unwrap();

    assert_eq!(
        token::open(&old, &ring, clock.now()).unwrap().key_id,
        old_key
    );
    assert_eq!(
        token::open(&new, &ring, clock.now()).unwrap().key_id,
        new_key
    );

    // The old key stays until the longest session it could have sealed has expired.
    clock.advance(Duration::hours(34));
    assert!(ring.prune(clock.now()).is_empty());
    assert!(token::open(&old, &ring, clock.now()).is_ok());
    clock.advance(Duration::hours(2));
    assert_eq!(ring.prune(clock.now()), vec![old_key]);
    assert_eq!(
        token::open(&old, &ring, clock.now()).unwrap_err(),
        TokenError::UnknownKey(old_key)
    );
}

#[test]
fn tokens_of_a_retired_key_are_refused() {
    let clock = FixedClock::new(t0());
    let rng = SeededRandom::new(3);
    let mut ring = KeyRing::generate(clock.now(), &rng).unwrap();
    let first = ring.sealing_key_id(clock.now()).unwrap();
    let tok = token::seal(
        &session_token_record(clock.now(), 12),
        &ring,
        clock.now(),
        &rng,
    )
    .unwrap();
    ring.rotate(clock.now(), &rng).unwrap();
    ring.retire(first, clock.now()).unwrap();
    let err = token::open(&tok, &ring, clock.now()).unwrap_err();
    assert_eq!(err, TokenError::RetiredKey(first));
    assert_eq!(err.code(), "InvalidClientTokenId");
}

/// A unique directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    #[expect(
        clippy::unwrap_used,
        reason = "test helper: a failure here is a test failure"
    )]
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("iam-sts-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(unix)]
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failure here is a test failure"
)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_saved_ring_loads_back_and_opens_tokens_sealed_before_the_save() {
    let dir = TempDir::new("keyring-roundtrip");
    let path = dir.path().join("keyring.json");
    let rng = SeededRandom::new(4);
    let mut ring = KeyRing::generate(t0(), &rng).unwrap();
    let old = token::seal(&session_token_record(t0(), 2), &ring, t0(), &rng).unwrap();
    ring.rotate(t0() + Duration::minutes(5), &rng).unwrap();
    ring.retire(1, t0() + Duration::days(3)).unwrap();
    let later = t0() + Duration::minutes(5);
    let new = token::seal(&session_token_record(later, 2), &ring, later, &rng).unwrap();

    ring.save(&path).unwrap();
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let loaded = KeyRing::load(&path).unwrap();
    assert_eq!(
        loaded.keys().collect::<Vec<_>>(),
        ring.keys().collect::<Vec<_>>()
    );
    assert_eq!(token::open(&old, &loaded, later).unwrap().key_id, 1);
    assert_eq!(token::open(&new, &loaded, later).unwrap().key_id, 2);

    // Saving again replaces the file and leaves no temporary file behind.
    ring.rotate(t0() + Duration::hours(1), &rng).unwrap();
    ring.save(&path).unwrap();
    assert_eq!(KeyRing::load(&path).unwrap().keys().count(), 3);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("keyring.json")]);
}

#[cfg(unix)]
#[test]
fn a_ring_file_readable_by_group_or_other_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("keyring-perms");
    let path = dir.path().join("keyring.json");
    let rng = SeededRandom::new(5);
    KeyRing::generate(t0(), &rng).unwrap().save(&path).unwrap();
    for bad in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bad)).unwrap();
        let err = KeyRing::load(&path).unwrap_err();
        assert!(
            matches!(err, KeyRingError::InsecurePermissions { .. }),
            "{bad:o}: {err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert!(KeyRing::load(&path).is_ok());
}

#[cfg(unix)]
#[test]
fn invalid_ring_files_are_refused_without_echoing_key_material() {
    use std::os::unix::fs::OpenOptionsExt as _;
    let dir = TempDir::new("keyring-invalid");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        path
    };
    let secret = "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3Qtc2hvdw==";
    let cases = [
        ("garbage.json", format!("{{\"version\":1,\"keys\":[{secret}]}}")),
        ("version.json", r#"{"version":9,"keys":[]}"#.to_owned()),
        ("short.json", format!(r#"{{"version":1,"keys":[{{"id":1,"created_at":"2026-11-29T10:00:00Z","key":"{secret}"}}]}}"#)),
        ("dup.json", r#"{"version":1,"keys":[{"id":1,"created_at":"2026-11-29T10:00:00Z","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},{"id":1,"created_at":"2026-11-29T10:00:00Z","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}"#.to_owned()),
    ];
    for (name, text) in cases {
        let path = write(name, &text);
        let err = KeyRing::load(&path).unwrap_err();
        assert!(
            matches!(err, KeyRingError::InvalidFile { .. }),
            "{name}: {err}"
        );
        assert!(!err.to_string().contains(secret), "{name}: {err}");
    }
    let missing = KeyRing::load(&dir.path().join("absent.json")).unwrap_err();
    assert!(matches!(missing, KeyRingError::Io { .. }));
}
