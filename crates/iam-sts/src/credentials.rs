//! Stage: identifiers and secrets of issued credentials (sts-api.md §10.1, §10.3, §6.5).
//!
//! Input: an account id, a key kind and a [`Random`] source.
//! Output: access key ids (`ASIA`/`AKIA` + 16 base-32 characters that embed the owning
//! account, so `GetAccessKeyInfo` needs no lookup), 40-character secret access keys, and the
//! [`Credentials`] set returned to clients.
//! Never: prints a secret access key or session token (their `Debug` shows `***`), and never
//! panics on a malformed key id.
//!
//! Key id layout (the layout AWS has used since 2019, observed publicly but not documented
//! by AWS and not pinned down by the spec): the 16 characters after the prefix are the
//! RFC 4648 base-32 encoding of 10 bytes. The first 6 bytes, read as a big-endian 48-bit
//! number, hold a marker bit (bit 47, always 1), the 12-digit account id in bits 46..7, and
//! 7 random bits; the last 4 bytes are random. A key id whose marker bit is clear (older AWS
//! keys) carries no account.

use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use subtle::ConstantTimeEq;

use crate::clock::{Random, RandomError};

/// Length of every access key id this crate issues: a 4-character prefix and 16 base-32 characters.
pub const ACCESS_KEY_ID_LEN: usize = 20;
/// Length of every secret access key this crate issues.
pub const SECRET_ACCESS_KEY_LEN: usize = 40;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const MARKER_BIT: u64 = 1 << 47;
const ACCOUNT_MASK: u64 = 0x7fff_ffff_ff80;
const MAX_ACCOUNT: u64 = 999_999_999_999;

/// Which kind of access key an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKeyKind {
    /// `ASIA…`: issued by STS together with a session token.
    Temporary,
    /// `AKIA…`: an IAM user's (or root's) long-term key.
    LongTerm,
}

impl AccessKeyKind {
    /// The four-character prefix of this kind of key id.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Temporary => "ASIA",
            Self::LongTerm => "AKIA",
        }
    }

    /// The kind named by a key id's prefix, if it is one of the two this crate issues.
    pub fn of(access_key_id: &str) -> Option<Self> {
        if access_key_id.starts_with("ASIA") {
            Some(Self::Temporary)
        } else if access_key_id.starts_with("AKIA") {
            Some(Self::LongTerm)
        } else {
            None
        }
    }
}

/// Why an identifier could not be generated or read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredentialError {
    /// The account id is not exactly 12 ASCII digits.
    #[error("account id `{0}` is not 12 digits")]
    InvalidAccount(String),
    /// The access key id does not have the shape `XXXX` + 16 base-32 characters.
    #[error("access key id `{0}` is not a 4-character prefix followed by 16 base-32 characters")]
    MalformedKeyId(String),
    /// The access key id is well formed but uses the older layout without an embedded account.
    #[error("access key id `{0}` does not embed an account id")]
    NoEmbeddedAccount(String),
    /// The random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// A secret string (secret access key, session token) whose `Debug` shows `***`.
///
/// Equality is constant-time.
#[derive(Clone, Default)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it must leave the process (a response body) or be
    /// compared.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length of the secret in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretString {}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// One issued credential set, as returned in an STS `Credentials` element.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `ASIA…` access key id.
    pub access_key_id: String,
    /// The 40-character secret access key.
    pub secret_access_key: SecretString,
    /// The sealed session token.
    pub session_token: SecretString,
    /// When the credentials stop working.
    pub expiration: DateTime<Utc>,
}

impl Credentials {
    /// `Expiration` as AWS prints it: ISO-8601 UTC with whole seconds, e.g. `2026-11-29T10:00:00Z`.
    pub fn expiration_iso8601(&self) -> String {
        self.expiration.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Parses a 12-digit account id into its number.
fn account_number(account: &str) -> Result<u64, CredentialError> {
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CredentialError::InvalidAccount(account.to_owned()));
    }
    account
        .parse::<u64>()
        .map_err(|_| CredentialError::InvalidAccount(account.to_owned()))
}

/// Generates a new access key id of `kind` that embeds `account`.
///
/// # Errors
/// [`CredentialError::InvalidAccount`] unless `account` is 12 digits; [`CredentialError::Random`]
/// when the random source fails.
pub fn generate_access_key_id(
    kind: AccessKeyKind,
    account: &str,
    rng: &dyn Random,
) -> Result<String, CredentialError> {
    let number = account_number(account)?;
    let mut bytes = [0_u8; 10];
    rng.fill(&mut bytes)?;
    let mut head = [0_u8; 8];
    for (dst, src) in head.iter_mut().skip(2).zip(bytes.iter()) {
        *dst = *src;
    }
    let random_low = u64::from_be_bytes(head) & 0x7f;
    let packed = MARKER_BIT | (number << 7) | random_low;
    for (dst, src) in bytes.iter_mut().zip(packed.to_be_bytes().iter().skip(2)) {
        *dst = *src;
    }
    let mut id = String::with_capacity(ACCESS_KEY_ID_LEN);
    id.push_str(kind.prefix());
    base32_encode(&bytes, &mut id);
    Ok(id)
}

/// The account embedded in an access key id (what `GetAccessKeyInfo` returns), as 12 digits.
///
/// Works for any 20-character key id in the current AWS layout, whatever its prefix.
///
/// # Errors
/// [`CredentialError::MalformedKeyId`] for a key id of another shape;
/// [`CredentialError::NoEmbeddedAccount`] for an old-layout key (marker bit clear) or one whose
/// embedded number is not a 12-digit account.
pub fn access_key_account(access_key_id: &str) -> Result<String, CredentialError> {
    let malformed = || CredentialError::MalformedKeyId(access_key_id.to_owned());
    let body = access_key_id
        .get(4..)
        .filter(|b| b.len() == 16 && access_key_id.len() == ACCESS_KEY_ID_LEN)
        .ok_or_else(malformed)?;
    if !access_key_id
        .bytes()
        .take(4)
        .all(|b| b.is_ascii_uppercase())
    {
        return Err(malformed());
    }
    let bytes = base32_decode_16(body).ok_or_else(malformed)?;
    let mut head = [0_u8; 8];
    for (dst, src) in head.iter_mut().skip(2).zip(bytes.iter()) {
        *dst = *src;
    }
    let packed = u64::from_be_bytes(head);
    let number = (packed & ACCOUNT_MASK) >> 7;
    if packed & MARKER_BIT == 0 || number > MAX_ACCOUNT {
        return Err(CredentialError::NoEmbeddedAccount(access_key_id.to_owned()));
    }
    Ok(format!("{number:012}"))
}

/// Generates a 40-character secret access key (30 random bytes in standard base64).
///
/// # Errors
/// [`CredentialError::Random`] when the random source fails.
pub fn generate_secret_access_key(rng: &dyn Random) -> Result<SecretString, CredentialError> {
    let mut bytes = [0_u8; 30];
    rng.fill(&mut bytes)?;
    Ok(SecretString(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

/// Whether `s` has the shape of an access key id this crate issues: a known prefix and 16
/// base-32 characters.
pub fn is_issued_key_shape(s: &str) -> bool {
    s.len() == ACCESS_KEY_ID_LEN
        && AccessKeyKind::of(s).is_some()
        && s.bytes().skip(4).all(|b| BASE32.contains(&b))
}

fn base32_encode(bytes: &[u8; 10], out: &mut String) {
    let mut acc: u128 = 0;
    for b in bytes {
        acc = (acc << 8) | u128::from(*b);
    }
    for i in (0..16).rev() {
        let index = usize::try_from((acc >> (5 * i)) & 0x1f).unwrap_or(0);
        out.push(char::from(BASE32.get(index).copied().unwrap_or(b'A')));
    }
}

fn base32_decode_16(s: &str) -> Option<[u8; 10]> {
    let mut acc: u128 = 0;
    for b in s.bytes() {
        let value = BASE32.iter().position(|c| *c == b)?;
        acc = (acc << 5) | u128::try_from(value).ok()?;
    }
    let mut out = [0_u8; 10];
    for (dst, src) in out.iter_mut().zip(acc.to_be_bytes().iter().skip(6)) {
        *dst = *src;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn temporary_key_ids_are_asia_and_16_base32_characters() {
        let rng = SeededRandom::new(1);
        for _ in 0..100 {
            let id =
                generate_access_key_id(AccessKeyKind::Temporary, "123456789012", &rng).unwrap();
            assert_eq!(id.len(), 20);
            assert!(id.starts_with("ASIA"), "{id}");
            assert!(is_issued_key_shape(&id), "{id}");
            assert_eq!(AccessKeyKind::of(&id), Some(AccessKeyKind::Temporary));
        }
    }

    #[test]
    fn long_term_key_ids_are_akia() {
        let id = generate_access_key_id(
            AccessKeyKind::LongTerm,
            "000000000001",
            &SeededRandom::new(2),
        )
        .unwrap();
        assert!(id.starts_with("AKIA"));
        assert_eq!(AccessKeyKind::of(&id), Some(AccessKeyKind::LongTerm));
    }

    #[test]
    fn generated_key_ids_decode_to_their_account() {
        let rng = SeededRandom::new(3);
        for account in [
            "000000000000",
            "123456789012",
            "999999999999",
            "364679954851",
        ] {
            for kind in [AccessKeyKind::Temporary, AccessKeyKind::LongTerm] {
                let id = generate_access_key_id(kind, account, &rng).unwrap();
                assert_eq!(access_key_account(&id).unwrap(), account, "{id}");
            }
        }
    }

    #[test]
    fn real_aws_key_ids_decode_to_their_published_accounts() {
        // Published examples of the current AWS layout.
        assert_eq!(
            access_key_account("ASIAVJ2E6QGR2WZILJFM").unwrap(),
            "364679954851"
        );
        assert_eq!(
            access_key_account("ASIAQAAAAAAAGMKEM7X5").unwrap(),
            "000000000000"
        );
    }

    #[test]
    fn key_ids_without_the_marker_bit_embed_no_account() {
        let err = access_key_account("AKIAIOSFODNN7EXAMPLE").unwrap_err();
        assert!(
            matches!(err, CredentialError::NoEmbeddedAccount(_)),
            "{err}"
        );
    }

    #[test]
    fn malformed_key_ids_are_refused_without_panicking() {
        for bad in [
            "",
            "ASIA",
            "ASIAQAAAAAAAGMKEM7X",
            "ASIAQAAAAAAAGMKEM7X55",
            "ASIAQAAAAAAAGMKEM7X1",
            "asiaQAAAAAAAGMKEM7X5",
            "ASIAQAAAAAAAGMKEM7Xé",
        ] {
            assert!(access_key_account(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_accounts_are_refused() {
        let rng = SeededRandom::new(4);
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901a",
            "-12345678901",
        ] {
            assert!(
                generate_access_key_id(AccessKeyKind::Temporary, bad, &rng).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn secret_access_keys_are_40_base64_characters() {
        let rng = SeededRandom::new(5);
        let a = generate_secret_access_key(&rng).unwrap();
        let b = generate_secret_access_key(&rng).unwrap();
        assert_eq!(a.len(), SECRET_ACCESS_KEY_LEN);
        assert!(a
            .expose()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/'));
        assert_ne!(a, b);
    }

    #[test]
    fn debug_of_credentials_hides_secret_and_token() {
        let creds = Credentials {
            access_key_id: "ASIAQAAAAAAAGMKEM7X5".to_owned(),
            secret_access_key: SecretString::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            session_token: SecretString::new("FwoGZXIvYXdzEXAMPLETOKEN"),
            expiration: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        };
        let shown = format!("{creds:?}");
        assert!(shown.contains("ASIAQAAAAAAAGMKEM7X5"));
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(!shown.contains("FwoGZX"), "{shown}");
        assert!(shown.contains("***"));
        assert_eq!(creds.expiration_iso8601(), "2027-01-15T08:00:00Z");
    }
}
