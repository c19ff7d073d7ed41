//! TOTP verification of MFA token codes (`SerialNumber` + `TokenCode` of `GetSessionToken`
//! and `AssumeRole`, sts-api.md §2.1, §7.4).
//!
//! Stage: request authentication (the MFA check, step 6 of sts-api.md §8).
//! Input: a virtual MFA device's seed (base32, as IAM's `Base32StringSeed`), the `TokenCode`
//! and the current time.
//! Output: which time step matched, or a [`TotpError`] with its STS error code.
//! Never: implement HMAC or SHA-1 itself (the `hmac` and `sha1` crates do), compare codes in
//! variable time, or show the seed in `Debug` output or an error message.
//!
//! Algorithm: RFC 6238 TOTP with HMAC-SHA1, 30-second steps from the Unix epoch and 6 digits
//! (the RFC 4226 dynamic truncation). The spec does not state how much clock drift AWS
//! tolerates; this module accepts the current step and one step either side
//! ([`ALLOWED_STEP_DRIFT`], project decision). Replay protection (refusing a code already
//! used) needs per-device state and is left to the caller, which gets the matched step.

use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// Digits of an MFA `TokenCode` (sts-api.md §2.1, `tokenCodeType`: exactly six digits).
pub const TOKEN_CODE_DIGITS: u32 = 6;
/// Length of a TOTP time step in seconds (RFC 6238 default, used by virtual MFA apps).
pub const TIME_STEP_SECONDS: i64 = 30;
/// Steps of clock drift accepted on either side of the current step (project decision).
pub const ALLOWED_STEP_DRIFT: u64 = 1;

/// Why a token code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// The `TokenCode` violates its constraint (`ValidationError`, 400); the message is in the
    /// AWS validation format of sts-api.md §2.2.
    #[error("ValidationError: {0}")]
    Format(String),
    /// The code does not match any accepted time step (`AccessDenied`, 403).
    #[error("AccessDenied: {}", MFA_FAILED_MESSAGE)]
    Mismatch,
    /// The device seed is not usable (a configuration error, never a client's fault).
    #[error("invalid mfa seed: {0}")]
    Seed(String),
    /// The time is before the Unix epoch or the digit count is outside 6–8.
    #[error("invalid totp parameter: {0}")]
    Parameter(String),
}

/// The message of an MFA failure as AWS words it for `GetSessionToken` (from AWS responses seen
/// in client issue threads; not in the project spec).
pub const MFA_FAILED_MESSAGE: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ";

impl TotpError {
    /// The STS error code the client receives.
    pub fn code(&self) -> &'static str {
        match self {
            TotpError::Format(_) => "ValidationError",
            TotpError::Mismatch => "AccessDenied",
            TotpError::Seed(_) | TotpError::Parameter(_) => "InternalFailure",
        }
    }

    /// The HTTP status of [`TotpError::code`].
    pub fn http_status(&self) -> u16 {
        match self {
            TotpError::Format(_) => 400,
            TotpError::Mismatch => 403,
            TotpError::Seed(_) | TotpError::Parameter(_) => 500,
        }
    }
}

/// The shared secret of a virtual MFA device. Its bytes never appear in `Debug` output.
#[derive(Clone)]
pub struct TotpSecret {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// Decodes a base32 seed (RFC 4648 alphabet; case, `=` padding and spaces are ignored).
    pub fn from_base32(seed: &str) -> Result<Self, TotpError> {
        let cleaned: String = seed
            .chars()
            .filter(|c| *c != '=' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|e| TotpError::Seed(format!("not base32 ({e})")))?;
        Self::from_bytes(bytes)
    }

    /// Wraps raw secret bytes; an empty secret is refused.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, TotpError> {
        if bytes.is_empty() {
            return Err(TotpError::Seed("the seed is empty".to_owned()));
        }
        Ok(TotpSecret { bytes })
    }
}

/// A successful verification: the time step whose code matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpMatch {
    /// The matched RFC 6238 time-step counter.
    pub step: u64,
    /// The matched step minus the current step (-1, 0 or +1 with the default drift).
    pub drift: i64,
}

/// Checks the `TokenCode` constraint: exactly six ASCII digits (sts-api.md §2.1, §2.2).
pub fn check_token_code_format(code: &str) -> Result<(), TotpError> {
    let len = code.chars().count();
    let digits = TOKEN_CODE_DIGITS as usize;
    let rule = if len < digits {
        format!("have length greater than or equal to {digits}")
    } else if len > digits {
        format!("have length less than or equal to {digits}")
    } else if !code.bytes().all(|b| b.is_ascii_digit()) {
        "satisfy regular expression pattern: [\\d]*".to_owned()
    } else {
        return Ok(());
    };
    Err(TotpError::Format(format!(
        "1 validation error detected: Value '{code}' at 'tokenCode' failed to satisfy \
         constraint: Member must {rule}"
    )))
}

fn check_digits(digits: u32) -> Result<u32, TotpError> {
    if (6..=8).contains(&digits) {
        Ok(10u32.pow(digits))
    } else {
        Err(TotpError::Parameter(format!(
            "`{digits}` digits; use 6 to 8"
        )))
    }
}

/// The RFC 4226 HOTP value of `counter`, zero-padded to `digits` (6–8) digits.
pub fn hotp(secret: &TotpSecret, counter: u64, digits: u32) -> Result<String, TotpError> {
    let modulus = check_digits(digits)?;
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&secret.bytes)
        .map_err(|_| TotpError::Seed("hmac rejected the key".to_owned()))?;
    mac.update(&counter.to_be_bytes());
    let tag = mac.finalize().into_bytes();
    let offset = usize::from(tag.last().copied().unwrap_or(0) & 0x0f);
    let window: [u8; 4] = tag
        .get(offset..offset + 4)
        .and_then(|w| w.try_into().ok())
        .ok_or_else(|| TotpError::Seed("hmac tag too short".to_owned()))?;
    let value = u32::from_be_bytes(window) & 0x7fff_ffff;
    Ok(format!(
        "{:0width$}",
        value % modulus,
        width = digits as usize
    ))
}

/// The RFC 6238 time step of `unix_seconds` (30-second steps from the epoch).
pub fn time_step(unix_seconds: i64) -> Result<u64, TotpError> {
    u64::try_from(unix_seconds.div_euclid(TIME_STEP_SECONDS))
        .map_err(|_| TotpError::Parameter("time before the unix epoch".to_owned()))
}

/// The TOTP code at `unix_seconds` with `digits` digits (what an authenticator app shows).
pub fn totp_at(secret: &TotpSecret, unix_seconds: i64, digits: u32) -> Result<String, TotpError> {
    hotp(secret, time_step(unix_seconds)?, digits)
}

/// Verifies `code` against the steps within `drift` of the step of `unix_seconds`, comparing
/// every candidate in constant time. The code must have exactly `digits` ASCII digits.
pub fn verify_totp(
    secret: &TotpSecret,
    code: &str,
    unix_seconds: i64,
    digits: u32,
    drift: u64,
) -> Result<TotpMatch, TotpError> {
    check_digits(digits)?;
    if code.len() != digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Mismatch);
    }
    let current = time_step(unix_seconds)?;
    let first = current.saturating_sub(drift);
    let last = current.saturating_add(drift);
    let mut found = Choice::from(0);
    let mut matched = current;
    for step in first..=last {
        let candidate = hotp(secret, step, digits)?;
        let equal = candidate.as_bytes().ct_eq(code.as_bytes());
        // Keep the first matching step without branching on secret-dependent data.
        let take = equal & !found;
        matched = u64::conditional_select(&matched, &step, take);
        found |= equal;
    }
    if bool::from(found) {
        let drift = i64::try_from(matched)
            .ok()
            .zip(i64::try_from(current).ok())
            .map_or(0, |(m, c)| m - c);
        Ok(TotpMatch {
            step: matched,
            drift,
        })
    } else {
        Err(TotpError::Mismatch)
    }
}

/// Verifies an MFA `TokenCode` at `now`: format check (six digits, `ValidationError`), then
/// RFC 6238 with 6 digits and ±[`ALLOWED_STEP_DRIFT`] steps (`AccessDenied` on mismatch).
pub fn verify_token_code(
    secret: &TotpSecret,
    code: &str,
    now: DateTime<Utc>,
) -> Result<TotpMatch, TotpError> {
    check_token_code_format(code)?;
    verify_totp(
        secret,
        code,
        now.timestamp(),
        TOKEN_CODE_DIGITS,
        ALLOWED_STEP_DRIFT,
    )
}
