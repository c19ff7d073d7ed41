//! TOTP verification against the RFC 6238 Appendix B vectors (SHA-1) and the six-digit
//! `TokenCode` rules of the STS spec.

#![expect(
    clippy::unwrap_used,
    reason = "fixture helpers outside #[test] fns must fail loudly on broken fixtures"
)]

use chrono::{DateTime, Utc};
use iam_sts::totp::{
    check_token_code_format, hotp, time_step, totp_at, verify_token_code, verify_totp, TotpError,
    TotpSecret,
};

/// The RFC 6238 SHA-1 seed `12345678901234567890` in base32.
const RFC_SEED_BASE32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// RFC 6238 Appendix B, SHA-1 rows: (time, 8-digit TOTP).
const RFC_VECTORS: [(i64, &str); 6] = [
    (59, "94287082"),
    (1_111_111_109, "07081804"),
    (1_111_111_111, "14050471"),
    (1_234_567_890, "89005924"),
    (2_000_000_000, "69279037"),
    (20_000_000_000, "65353130"),
];

fn seed() -> TotpSecret {
    TotpSecret::from_base32(RFC_SEED_BASE32).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

#[test]
fn base32_seed_decodes_to_the_rfc_ascii_seed() {
    let raw = TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
    for (t, _) in RFC_VECTORS {
        assert_eq!(
            totp_at(&raw, t, 8).unwrap(),
            totp_at(&seed(), t, 8).unwrap()
        );
    }
}

#[test]
fn eight_digit_codes_match_rfc_6238_appendix_b() {
    for (t, expected) in RFC_VECTORS {
        assert_eq!(totp_at(&seed(), t, 8).unwrap(), expected, "time {t}");
        let m = verify_totp(&seed(), expected, t, 8, 0).unwrap();
        assert_eq!(m.step, time_step(t).unwrap());
        assert_eq!(m.drift, 0);
    }
}

#[test]
fn six_digit_codes_are_the_last_six_digits_of_the_rfc_values() {
    for (t, expected) in RFC_VECTORS {
        let six = expected.get(2..).unwrap();
        assert_eq!(totp_at(&seed(), t, 6).unwrap(), six, "time {t}");
        verify_token_code(&seed(), six, at(t)).unwrap();
    }
}

#[test]
fn rfc_4226_hotp_vectors_match() {
    // RFC 4226 Appendix D, counters 0..=9.
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (counter, code) in expected.iter().enumerate() {
        assert_eq!(hotp(&seed(), counter as u64, 6).unwrap(), *code);
    }
}

#[test]
fn one_step_of_drift_either_side_is_accepted() {
    let now = 1_234_567_890;
    let previous = totp_at(&seed(), now - 30, 6).unwrap();
    let next = totp_at(&seed(), now + 30, 6).unwrap();
    let m = verify_token_code(&seed(), &previous, at(now)).unwrap();
    assert_eq!(m.drift, -1);
    let m = verify_token_code(&seed(), &next, at(now)).unwrap();
    assert_eq!(m.drift, 1);
}

#[test]
fn two_steps_of_drift_are_refused() {
    let now = 1_234_567_890;
    for offset in [-60, 60, -90, 90] {
        let code = totp_at(&seed(), now + offset, 6).unwrap();
        // Guard against an accidental collision with an accepted step.
        let accepted: Vec<String> = [-30, 0, 30]
            .iter()
            .map(|d| totp_at(&seed(), now + d, 6).unwrap())
            .collect();
        if accepted.contains(&code) {
            continue;
        }
        let err = verify_token_code(&seed(), &code, at(now)).unwrap_err();
        assert_eq!(err, TotpError::Mismatch);
        assert_eq!(err.code(), "AccessDenied");
        assert_eq!(err.http_status(), 403);
    }
}

#[test]
fn a_wrong_code_is_access_denied() {
    let now = 1_111_111_111;
    let right = totp_at(&seed(), now, 6).unwrap();
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    let err = verify_token_code(&seed(), wrong, at(now)).unwrap_err();
    assert_eq!(err, TotpError::Mismatch);
}

#[test]
fn a_different_seed_does_not_verify() {
    let other = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    let now = 1_234_567_890;
    let code = totp_at(&seed(), now, 6).unwrap();
    let other_codes: Vec<String> = [-30, 0, 30]
        .iter()
        .map(|d| totp_at(&other, now + d, 6).unwrap())
        .collect();
    assert!(!other_codes.contains(&code));
    assert!(verify_token_code(&other, &code, at(now)).is_err());
}

#[test]
fn token_code_format_follows_the_constraint_table() {
    check_token_code_format("123456").unwrap();
    let cases = [
        (
            "12345",
            "Member must have length greater than or equal to 6",
        ),
        ("1234567", "Member must have length less than or equal to 6"),
        (
            "12a456",
            "Member must satisfy regular expression pattern: [\\d]*",
        ),
        (
            "12 456",
            "Member must satisfy regular expression pattern: [\\d]*",
        ),
        (
            "١٢٣٤٥٦",
            "Member must satisfy regular expression pattern: [\\d]*",
        ),
        ("", "Member must have length greater than or equal to 6"),
    ];
    for (code, rule) in cases {
        let err = check_token_code_format(code).unwrap_err();
        assert_eq!(err.code(), "ValidationError");
        assert_eq!(err.http_status(), 400);
        let TotpError::Format(msg) = &err else {
            panic!("expected a format error for {code:?}, got {err:?}")
        };
        assert!(
            msg.starts_with(&format!(
                "1 validation error detected: Value '{code}' at 'tokenCode' failed to satisfy constraint: "
            )),
            "{msg}"
        );
        assert!(msg.ends_with(rule), "{msg}");
        // The format check runs before any code comparison.
        assert_eq!(verify_token_code(&seed(), code, at(59)).unwrap_err(), err);
    }
}

#[test]
fn base32_seed_accepts_lowercase_padding_and_spaces() {
    let variants = [
        "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
        "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
        "JBSWY3DPEHPK3PXP",
        "JBSWY3DPEHPK3PXP====",
    ];
    for v in variants {
        TotpSecret::from_base32(v).unwrap();
    }
    assert_eq!(
        totp_at(&TotpSecret::from_base32(variants[0]).unwrap(), 59, 8).unwrap(),
        "94287082"
    );
}

#[test]
fn bad_seeds_are_refused() {
    for bad in ["", "====", "GEZ1", "not base32!"] {
        let err = TotpSecret::from_base32(bad).unwrap_err();
        assert!(matches!(err, TotpError::Seed(_)), "{bad}: {err:?}");
    }
    assert!(TotpSecret::from_bytes(Vec::new()).is_err());
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let s = seed();
    let shown = format!("{s:?}");
    assert_eq!(shown, "TotpSecret(<redacted>)");
    assert!(!shown.contains("1234"));
}

#[test]
fn unsupported_digit_counts_and_pre_epoch_times_are_errors() {
    assert!(matches!(
        totp_at(&seed(), 59, 5),
        Err(TotpError::Parameter(_))
    ));
    assert!(matches!(
        totp_at(&seed(), 59, 9),
        Err(TotpError::Parameter(_))
    ));
    assert!(matches!(
        totp_at(&seed(), -1, 6),
        Err(TotpError::Parameter(_))
    ));
}

#[test]
fn step_zero_accepts_only_the_current_and_next_step() {
    let code0 = totp_at(&seed(), 0, 6).unwrap();
    let m = verify_token_code(&seed(), &code0, at(10)).unwrap();
    assert_eq!(m.step, 0);
    assert_eq!(m.drift, 0);
}
