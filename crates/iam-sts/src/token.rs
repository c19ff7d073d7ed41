//! Stage: the stateless session token (sts-api.md §7.1, §10.3; ARCHITECTURE "Credentials are
//! stateless").
//!
//! Input: a [`SessionRecord`] to seal, or a session token string presented by a client.
//! Output: an opaque base64 token that carries the whole session (including its secret access
//! key), or the record recovered from such a token after its version, key, tag and expiry were
//! checked.
//! Never: accepts a token that was altered in any byte, opens with a retired or unknown key,
//! panics on any input, or shows the session's secret in `Debug`.
//!
//! # Token format (version 1)
//!
//! `token = base64(version ‖ key_id ‖ nonce ‖ ciphertext ‖ tag)` in standard base64 with
//! padding, where `version` is one byte (`1`), `key_id` the sealing key's id as 4 big-endian
//! bytes, `nonce` 12 random bytes, and `ciphertext ‖ tag` the AES-256-GCM sealing of
//! the encoded record with `version ‖ key_id` as associated data. Overhead: 33 bytes before
//! base64.
//!
//! The record is a length-prefixed binary encoding (no JSON, for size and speed): unsigned
//! numbers are LEB128 varints, times are zig-zag varints of Unix seconds (sub-second parts are
//! dropped), strings are `len ‖ UTF-8 bytes`, optional strings `0` (absent) or `len + 1 ‖ bytes`,
//! lists `count ‖ items`. Transitive tag keys that equal a session tag's key are stored as
//! that tag's index. Field order: kind, account, role (flag, ARN, id, name), user ARN, user id,
//! session name, principal ARN (absent when it is the ARN AWS derives from the fields before
//! it: assumed-role, federated-user or the user's own ARN), source identity, federated provider, tags, transitive tag
//! keys, inline policy, policy ARNs, MFA (flags, auth time), issue time, expiry, chain depth,
//! access key id, secret access key, padding (`count ‖ count zero bytes`, for
//! `MinimumSessionTokenSize`). Trailing bytes are an error.
//!
//! # Size
//!
//! A session token is `4 * ceil((33 + record) / 3)` characters. A role session without session
//! policies or tags is 250–350 characters (depending on name lengths); every tag adds about
//! `4/3 * (key + value + 2)` characters, a transitive key that names a tag one or two more.
//! AWS's 4,096-character budget therefore holds 50 tags only while keys and values stay short
//! (about 2,500 bytes of tag text in total); 50 tags at the maximum lengths (128 + 256
//! characters) give a token of about 26,400 characters. [`sealed_token_len`] tells the issuer
//! the exact length before sealing so it can enforce its own packed-size limit.

use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use crate::clock::{Random, RandomError};
use crate::credentials::SecretString;
use crate::keyring::{KeyRing, KeyRingError, NONCE_LEN, TAG_LEN};

/// The token format version this crate writes and reads.
pub const TOKEN_VERSION: u8 = 1;
/// Bytes before the ciphertext: version, key id, nonce.
pub const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
/// Tokens longer than this many characters are refused before decoding (64 KiB).
pub const MAX_TOKEN_CHARS: usize = 65_536;
/// The size AWS clients expect session tokens to stay under ("typically under 4096 bytes").
pub const TOKEN_SIZE_BUDGET: usize = 4_096;

/// What kind of session a token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    /// A role session: AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity.
    AssumedRole,
    /// A GetFederationToken session.
    FederatedUser,
    /// A GetSessionToken session of an IAM user or the root user.
    SessionToken,
}

impl SessionKind {
    fn to_byte(self) -> u8 {
        match self {
            Self::AssumedRole => 1,
            Self::FederatedUser => 2,
            Self::SessionToken => 3,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::AssumedRole),
            2 => Some(Self::FederatedUser),
            3 => Some(Self::SessionToken),
            _ => None,
        }
    }
}

/// The role behind a role session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    /// `arn:aws:iam::<acct>:role/<path><name>`.
    pub arn: String,
    /// The role's unique id (`AROA…`).
    pub id: String,
    /// The role's name (without path).
    pub name: String,
}

/// One session tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTag {
    /// Tag key (case preserved).
    pub key: String,
    /// Tag value (may be empty).
    pub value: String,
}

/// MFA facts of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MfaInfo {
    /// Whether MFA was validated for this session (`aws:MultiFactorAuthPresent`).
    pub authenticated: bool,
    /// When it was validated (the base of `aws:MultiFactorAuthAge`), if it was.
    pub auth_time: Option<DateTime<Utc>>,
}

/// Everything a session must remember (sts-api.md §7.1), carried inside its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Token format version; set by [`open`], ignored by [`seal`] (which writes [`TOKEN_VERSION`]).
    pub version: u8,
    /// Id of the key that sealed the token; set by [`open`], ignored by [`seal`] (which uses
    /// the ring's sealing key).
    pub key_id: u32,
    /// The kind of session.
    pub kind: SessionKind,
    /// The 12-digit account the session belongs to.
    pub account: String,
    /// The session principal's ARN (assumed-role or federated-user ARN, or the user/root ARN
    /// for GetSessionToken sessions).
    pub principal_arn: String,
    /// The role, for role sessions (required exactly when `kind` is [`SessionKind::AssumedRole`]).
    pub role: Option<RoleInfo>,
    /// The IAM user (or root) ARN the session was minted from (GetSessionToken, GetFederationToken).
    pub user_arn: Option<String>,
    /// That user's unique id (`AIDA…`, or the account id for root).
    pub user_id: Option<String>,
    /// Role session name, or the federated user's name.
    pub session_name: Option<String>,
    /// The source identity (`aws:SourceIdentity`).
    pub source_identity: Option<String>,
    /// The web-identity or SAML provider of a federated role session (`aws:FederatedProvider`).
    pub federated_provider: Option<String>,
    /// Session tags (`aws:PrincipalTag/*` overlay), in the order given.
    pub tags: Vec<SessionTag>,
    /// Keys of the tags that are transitive to chained sessions.
    pub transitive_tag_keys: Vec<String>,
    /// The inline session policy text.
    pub policy: Option<String>,
    /// Managed session policy ARNs.
    pub policy_arns: Vec<String>,
    /// MFA facts.
    pub mfa: MfaInfo,
    /// Issue time (`aws:TokenIssueTime`); stored to the second.
    pub issued_at: DateTime<Utc>,
    /// Expiry; stored to the second. The token opens strictly before it.
    pub expires_at: DateTime<Utc>,
    /// 0 for a session issued to long-term credentials; one more than the caller's for a
    /// chained AssumeRole.
    pub chain_depth: u8,
    /// The session's `ASIA…` access key id.
    pub access_key_id: String,
    /// The session's secret access key (shown as `***` in `Debug`).
    pub secret_access_key: SecretString,
}

/// Why a presented session token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of any known shape: bad base64, too short or long, or a record that does
    /// not decode.
    #[error("session token is malformed")]
    Malformed,
    /// The version byte names a format this build cannot read.
    #[error("session token version `{0}` is not supported")]
    UnsupportedVersion(u8),
    /// The key id is not in the key ring (never issued here, or dropped).
    #[error("session token key `{0}` is unknown")]
    UnknownKey(u32),
    /// The key that sealed the token is retired.
    #[error("session token key `{0}` is retired")]
    RetiredKey(u32),
    /// Authentication failed: some byte was changed.
    #[error("session token failed authentication")]
    Tampered,
    /// The token is authentic but belongs to another access key id.
    #[error("session token does not belong to access key `{0}`")]
    WrongAccessKey(String),
    /// The token is authentic but the session has expired.
    #[error("session token expired at `{0}`")]
    Expired(DateTime<Utc>),
}

impl TokenError {
    /// The AWS error code to answer with: `ExpiredToken` for an expired session,
    /// `InvalidClientTokenId` for everything else.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Expired(_) => "ExpiredToken",
            _ => "InvalidClientTokenId",
        }
    }

    /// The message AWS sends with [`TokenError::code`] (it never says why a token is invalid).
    pub fn aws_message(&self) -> &'static str {
        match self {
            Self::Expired(_) => "The security token included in the request is expired",
            _ => "The security token included in the request is invalid.",
        }
    }
}

/// Why a record could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The record is inconsistent.
    #[error("session record is invalid: {0}")]
    InvalidRecord(&'static str),
    /// The key ring could not seal.
    #[error(transparent)]
    KeyRing(#[from] KeyRingError),
    /// The random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Seals `record` with the ring's sealing key at `now` and a fresh nonce from `rng`.
///
/// # Errors
/// [`SealError::InvalidRecord`] when `expires_at` is not after `issued_at` or `role` is present
/// exactly when `kind` is not a role session; [`SealError::KeyRing`] when no key is active or
/// the random source fails.
pub fn seal(
    record: &SessionRecord,
    ring: &KeyRing,
    now: DateTime<Utc>,
    rng: &dyn Random,
) -> Result<String, SealError> {
    seal_padded(record, ring, now, rng, 0)
}

/// [`seal`], padding the token to at least `min_chars` characters (the `MinimumSessionTokenSize`
/// request parameter, 0–4,096; values above [`MAX_TOKEN_CHARS`] are treated as that). The
/// padding is zero bytes inside the sealed plaintext, so it is authenticated like the rest.
///
/// # Errors
/// As [`seal`].
pub fn seal_padded(
    record: &SessionRecord,
    ring: &KeyRing,
    now: DateTime<Utc>,
    rng: &dyn Random,
    min_chars: usize,
) -> Result<String, SealError> {
    validate(record).map_err(SealError::InvalidRecord)?;
    let base = encoded_len(record);
    let target = min_chars.min(MAX_TOKEN_CHARS);
    let mut padding: usize = 0;
    while token_chars(base.saturating_add(padded_extra(padding))) < target {
        padding = padding.saturating_add(1);
    }
    let mut plaintext = Vec::with_capacity(base.saturating_add(padded_extra(padding)));
    encode_record(record, &mut plaintext);
    put_varint(&mut plaintext, padding as u64);
    plaintext.resize(plaintext.len().saturating_add(padding), 0);
    let sealed = ring.seal(now, plaintext, |key_id| header_ad(key_id).to_vec(), rng)?;
    let mut raw = Vec::with_capacity(HEADER_LEN.saturating_add(sealed.ciphertext.len()));
    raw.extend_from_slice(&header_ad(sealed.key_id));
    raw.extend_from_slice(&sealed.nonce);
    raw.extend_from_slice(&sealed.ciphertext);
    Ok(base64::engine::general_purpose::STANDARD.encode(raw))
}

/// The exact length in characters of the token [`seal`] would produce for `record`.
pub fn sealed_token_len(record: &SessionRecord) -> usize {
    token_chars(encoded_len(record).saturating_add(padded_extra(0)))
}

/// Characters of a token whose plaintext is `plaintext_len` bytes.
fn token_chars(plaintext_len: usize) -> usize {
    HEADER_LEN
        .saturating_add(plaintext_len)
        .saturating_add(TAG_LEN)
        .div_ceil(3)
        .saturating_mul(4)
}

/// Bytes the padding field takes for `padding` zero bytes: its length varint and the bytes.
fn padded_extra(padding: usize) -> usize {
    varint_len(padding as u64).saturating_add(padding)
}

/// Opens a presented token: checks its version, key, authenticity and expiry (`now` must be
/// strictly before `expires_at`).
///
/// # Errors
/// [`TokenError::Expired`] (code `ExpiredToken`) for an authentic expired token; every other
/// variant (code `InvalidClientTokenId`) for anything unknown, retired, altered or malformed.
pub fn open(token: &str, ring: &KeyRing, now: DateTime<Utc>) -> Result<SessionRecord, TokenError> {
    let record = open_authentic(token, ring, now)?;
    check_expiry(&record, now)?;
    Ok(record)
}

/// [`open`], and also checks that the token belongs to `access_key_id` (the key that signed
/// the request), comparing in constant time. A token of another key is refused before its
/// expiry is looked at.
///
/// # Errors
/// As [`open`], plus [`TokenError::WrongAccessKey`].
pub fn open_for_access_key(
    token: &str,
    access_key_id: &str,
    ring: &KeyRing,
    now: DateTime<Utc>,
) -> Result<SessionRecord, TokenError> {
    let record = open_authentic(token, ring, now)?;
    check_presented(&record, access_key_id, now)?;
    Ok(record)
}

/// What opening checks after decryption: the record belongs to `access_key_id` (compared in
/// constant time) and has not expired at `now`. A cache of opened records runs it on every
/// use.
///
/// # Errors
/// [`TokenError::WrongAccessKey`], then [`TokenError::Expired`].
pub fn check_presented(
    record: &SessionRecord,
    access_key_id: &str,
    now: DateTime<Utc>,
) -> Result<(), TokenError> {
    let same: bool = record
        .access_key_id
        .as_bytes()
        .ct_eq(access_key_id.as_bytes())
        .into();
    if !same {
        return Err(TokenError::WrongAccessKey(access_key_id.to_owned()));
    }
    check_expiry(record, now)
}

fn check_expiry(record: &SessionRecord, now: DateTime<Utc>) -> Result<(), TokenError> {
    if now >= record.expires_at {
        return Err(TokenError::Expired(record.expires_at));
    }
    Ok(())
}

fn open_authentic(
    token: &str,
    ring: &KeyRing,
    now: DateTime<Utc>,
) -> Result<SessionRecord, TokenError> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(TokenError::Malformed);
    }
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(token.as_bytes())
        .map_err(|_| TokenError::Malformed)?;
    open_raw(&mut raw, ring, now)
}

/// Opens decoded token bytes (no expiry check); `raw` is decrypted in place.
fn open_raw(
    raw: &mut [u8],
    ring: &KeyRing,
    now: DateTime<Utc>,
) -> Result<SessionRecord, TokenError> {
    if raw.len() < HEADER_LEN.saturating_add(TAG_LEN) {
        return Err(TokenError::Malformed);
    }
    let (header, body) = raw.split_at_mut(HEADER_LEN);
    let (ad, nonce) = header.split_at(5);
    let version = ad.first().copied().ok_or(TokenError::Malformed)?;
    if version != TOKEN_VERSION {
        return Err(TokenError::UnsupportedVersion(version));
    }
    let key_id = ad
        .get(1..5)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or(TokenError::Malformed)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| TokenError::Malformed)?;
    let plain_len = ring
        .open_in_place(now, key_id, &nonce, ad, body)
        .map_err(|e| match e {
            KeyRingError::UnknownKey(id) => TokenError::UnknownKey(id),
            KeyRingError::RetiredKey(id) => TokenError::RetiredKey(id),
            _ => TokenError::Tampered,
        })?;
    let plaintext = body.get(..plain_len).ok_or(TokenError::Malformed)?;
    let mut record = decode_record(plaintext).ok_or(TokenError::Malformed)?;
    record.version = version;
    record.key_id = key_id;
    Ok(record)
}

fn header_ad(key_id: u32) -> [u8; 5] {
    let k = key_id.to_be_bytes();
    [TOKEN_VERSION, k[0], k[1], k[2], k[3]]
}

fn validate(record: &SessionRecord) -> Result<(), &'static str> {
    if record.expires_at.timestamp() <= record.issued_at.timestamp() {
        return Err("expiry must be after issue time");
    }
    if (record.kind == SessionKind::AssumedRole) != record.role.is_some() {
        return Err("a role is required for role sessions and only for them");
    }
    if record.mfa.auth_time.is_some() && !record.mfa.authenticated {
        return Err("an mfa time requires mfa authentication");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Record encoding

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn str_len(s: &str) -> usize {
    varint_len(s.len() as u64).saturating_add(s.len())
}

fn opt_len(s: Option<&String>) -> usize {
    s.map_or(1, |s| {
        varint_len((s.len() as u64).saturating_add(1)).saturating_add(s.len())
    })
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// The principal ARN AWS gives a session of this shape: the assumed-role ARN of a role session
/// (partition taken from the role ARN, path dropped), the federated-user ARN of a federated
/// session (partition from the user ARN), the user's own ARN for a GetSessionToken session.
fn derive_principal(
    kind: SessionKind,
    account: &str,
    role: Option<&RoleInfo>,
    user_arn: Option<&String>,
    session_name: Option<&String>,
) -> Option<String> {
    let partition = |arn: &str| arn.split(':').nth(1).map(str::to_owned);
    match kind {
        SessionKind::AssumedRole => {
            let role = role?;
            Some(format!(
                "arn:{}:sts::{account}:assumed-role/{}/{}",
                partition(&role.arn)?,
                role.name,
                session_name?
            ))
        }
        SessionKind::FederatedUser => Some(format!(
            "arn:{}:sts::{account}:federated-user/{}",
            partition(user_arn?)?,
            session_name?
        )),
        SessionKind::SessionToken => user_arn.cloned(),
    }
}

/// Whether the principal ARN is the derived one, so the token can leave it out.
fn principal_is_derived(r: &SessionRecord) -> bool {
    derive_principal(
        r.kind,
        &r.account,
        r.role.as_ref(),
        r.user_arn.as_ref(),
        r.session_name.as_ref(),
    )
    .is_some_and(|derived| derived == r.principal_arn)
}

/// How each transitive key is stored: the index of the tag with that key, or the key itself.
fn transitive_ref(record: &SessionRecord, key: &str) -> Option<usize> {
    record.tags.iter().position(|t| t.key == key)
}

fn encoded_len(r: &SessionRecord) -> usize {
    let mut n: usize = 1;
    n = n.saturating_add(str_len(&r.account));
    n = n.saturating_add(if principal_is_derived(r) {
        1
    } else {
        opt_len(Some(&r.principal_arn))
    });
    n = n.saturating_add(1);
    if let Some(role) = &r.role {
        n = n
            .saturating_add(str_len(&role.arn))
            .saturating_add(str_len(&role.id))
            .saturating_add(str_len(&role.name));
    }
    for o in [
        &r.user_arn,
        &r.user_id,
        &r.session_name,
        &r.source_identity,
        &r.federated_provider,
    ] {
        n = n.saturating_add(opt_len(o.as_ref()));
    }
    n = n.saturating_add(varint_len(r.tags.len() as u64));
    for t in &r.tags {
        n = n
            .saturating_add(str_len(&t.key))
            .saturating_add(str_len(&t.value));
    }
    n = n.saturating_add(varint_len(r.transitive_tag_keys.len() as u64));
    for k in &r.transitive_tag_keys {
        n = n.saturating_add(match transitive_ref(r, k) {
            Some(i) => varint_len((i as u64) << 1),
            None => varint_len(((k.len() as u64) << 1) | 1).saturating_add(k.len()),
        });
    }
    n = n.saturating_add(opt_len(r.policy.as_ref()));
    n = n.saturating_add(varint_len(r.policy_arns.len() as u64));
    for a in &r.policy_arns {
        n = n.saturating_add(str_len(a));
    }
    n = n.saturating_add(1);
    if let Some(t) = r.mfa.auth_time {
        n = n.saturating_add(varint_len(zigzag(t.timestamp())));
    }
    n = n
        .saturating_add(varint_len(zigzag(r.issued_at.timestamp())))
        .saturating_add(varint_len(zigzag(r.expires_at.timestamp())))
        .saturating_add(1)
        .saturating_add(str_len(&r.access_key_id))
        .saturating_add(str_len(r.secret_access_key.expose()));
    n
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&String>) {
    match s {
        None => out.push(0),
        Some(s) => {
            put_varint(out, (s.len() as u64).saturating_add(1));
            out.extend_from_slice(s.as_bytes());
        }
    }
}

fn encode_record(r: &SessionRecord, out: &mut Vec<u8>) {
    out.push(r.kind.to_byte());
    put_str(out, &r.account);
    match &r.role {
        None => out.push(0),
        Some(role) => {
            out.push(1);
            put_str(out, &role.arn);
            put_str(out, &role.id);
            put_str(out, &role.name);
        }
    }
    put_opt(out, r.user_arn.as_ref());
    put_opt(out, r.user_id.as_ref());
    put_opt(out, r.session_name.as_ref());
    if principal_is_derived(r) {
        out.push(0);
    } else {
        put_opt(out, Some(&r.principal_arn));
    }
    put_opt(out, r.source_identity.as_ref());
    put_opt(out, r.federated_provider.as_ref());
    put_varint(out, r.tags.len() as u64);
    for t in &r.tags {
        put_str(out, &t.key);
        put_str(out, &t.value);
    }
    put_varint(out, r.transitive_tag_keys.len() as u64);
    for k in &r.transitive_tag_keys {
        match transitive_ref(r, k) {
            Some(i) => put_varint(out, (i as u64) << 1),
            None => {
                put_varint(out, ((k.len() as u64) << 1) | 1);
                out.extend_from_slice(k.as_bytes());
            }
        }
    }
    put_opt(out, r.policy.as_ref());
    put_varint(out, r.policy_arns.len() as u64);
    for a in &r.policy_arns {
        put_str(out, a);
    }
    let mfa_flags = u8::from(r.mfa.authenticated) | (u8::from(r.mfa.auth_time.is_some()) << 1);
    out.push(mfa_flags);
    if let Some(t) = r.mfa.auth_time {
        put_varint(out, zigzag(t.timestamp()));
    }
    put_varint(out, zigzag(r.issued_at.timestamp()));
    put_varint(out, zigzag(r.expires_at.timestamp()));
    out.push(r.chain_depth);
    put_str(out, &r.access_key_id);
    put_str(out, r.secret_access_key.expose());
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(*first)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(head)
    }

    fn string_of(&mut self, n: usize) -> Option<String> {
        let b = self.bytes(n)?;
        std::str::from_utf8(b).ok().map(str::to_owned)
    }

    fn string(&mut self) -> Option<String> {
        let n = self.len()?;
        self.string_of(n)
    }

    fn opt(&mut self) -> Option<Option<String>> {
        match self.len()? {
            0 => Some(None),
            n => self.string_of(n.checked_sub(1)?).map(Some),
        }
    }

    /// A list count, bounded by the bytes left (every item takes at least one byte).
    fn count(&mut self) -> Option<usize> {
        let n = self.len()?;
        (n <= self.rest.len()).then_some(n)
    }

    fn time(&mut self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(unzigzag(self.varint()?), 0)
    }
}

fn decode_record(bytes: &[u8]) -> Option<SessionRecord> {
    let mut r = Reader { rest: bytes };
    let kind = SessionKind::from_byte(r.byte()?)?;
    let account = r.string()?;
    let role = match r.byte()? {
        0 => None,
        1 => Some(RoleInfo {
            arn: r.string()?,
            id: r.string()?,
            name: r.string()?,
        }),
        _ => return None,
    };
    let user_arn = r.opt()?;
    let user_id = r.opt()?;
    let session_name = r.opt()?;
    let principal_arn = match r.opt()? {
        Some(literal) => literal,
        None => derive_principal(
            kind,
            &account,
            role.as_ref(),
            user_arn.as_ref(),
            session_name.as_ref(),
        )?,
    };
    let source_identity = r.opt()?;
    let federated_provider = r.opt()?;
    let tag_count = r.count()?;
    let mut tags = Vec::with_capacity(tag_count);
    for _ in 0..tag_count {
        tags.push(SessionTag {
            key: r.string()?,
            value: r.string()?,
        });
    }
    let transitive_count = r.count()?;
    let mut transitive_tag_keys = Vec::with_capacity(transitive_count);
    for _ in 0..transitive_count {
        let v = r.varint()?;
        let key = if v & 1 == 0 {
            let index = usize::try_from(v >> 1).ok()?;
            tags.get(index)?.key.clone()
        } else {
            let literal = r.string_of(usize::try_from(v >> 1).ok()?)?;
            // The encoder uses an index whenever one exists; anything else is not canonical.
            if tags.iter().any(|t| t.key == literal) {
                return None;
            }
            literal
        };
        transitive_tag_keys.push(key);
    }
    let policy = r.opt()?;
    let arn_count = r.count()?;
    let mut policy_arns = Vec::with_capacity(arn_count);
    for _ in 0..arn_count {
        policy_arns.push(r.string()?);
    }
    let mfa_flags = r.byte()?;
    if mfa_flags > 3 {
        return None;
    }
    let auth_time = if mfa_flags & 2 != 0 {
        Some(r.time()?)
    } else {
        None
    };
    let mfa = MfaInfo {
        authenticated: mfa_flags & 1 != 0,
        auth_time,
    };
    let issued_at = r.time()?;
    let expires_at = r.time()?;
    let chain_depth = r.byte()?;
    let access_key_id = r.string()?;
    let secret_access_key = SecretString::new(r.string()?);
    let padding = r.len()?;
    if !r.bytes(padding)?.iter().all(|b| *b == 0) || !r.rest.is_empty() {
        return None;
    }
    let record = SessionRecord {
        version: TOKEN_VERSION,
        key_id: 0,
        kind,
        account,
        principal_arn,
        role,
        user_arn,
        user_id,
        session_name,
        source_identity,
        federated_provider,
        tags,
        transitive_tag_keys,
        policy,
        policy_arns,
        mfa,
        issued_at,
        expires_at,
        chain_depth,
        access_key_id,
        secret_access_key,
    };
    validate(&record).ok()?;
    Some(record)
}

impl fmt::Display for SessionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AssumedRole => "assumed-role",
            Self::FederatedUser => "federated-user",
            Self::SessionToken => "session-token",
        })
    }
}

/// Entry points for fuzzing and property tests; not a stable API.
#[doc(hidden)]
pub mod internals {
    use super::*;

    /// Decodes a record plaintext (no sealing involved).
    pub fn decode(bytes: &[u8]) -> Option<SessionRecord> {
        decode_record(bytes)
    }

    /// Encodes a record plaintext exactly as [`seal`](super::seal) would before sealing.
    pub fn encode(record: &SessionRecord) -> Vec<u8> {
        let mut out = Vec::with_capacity(encoded_len(record).saturating_add(1));
        encode_record(record, &mut out);
        put_varint(&mut out, 0);
        out
    }

    /// Opens already base64-decoded token bytes (no expiry check).
    ///
    /// # Errors
    /// As [`open`](super::open), except for expiry.
    pub fn open_raw(
        raw: &mut [u8],
        ring: &KeyRing,
        now: DateTime<Utc>,
    ) -> Result<SessionRecord, TokenError> {
        super::open_raw(raw, ring, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap()
    }

    fn role_record() -> SessionRecord {
        SessionRecord {
            version: TOKEN_VERSION,
            key_id: 0,
            kind: SessionKind::AssumedRole,
            account: "123456789012".into(),
            principal_arn: "arn:aws:sts::123456789012:assumed-role/Deploy/ci-run-42".into(),
            role: Some(RoleInfo {
                arn: "arn:aws:iam::123456789012:role/ops/Deploy".into(),
                id: "AROAEXAMPLEID1234567".into(),
                name: "Deploy".into(),
            }),
            user_arn: None,
            user_id: None,
            session_name: Some("ci-run-42".into()),
            source_identity: Some("alice".into()),
            federated_provider: None,
            tags: vec![
                SessionTag {
                    key: "team".into(),
                    value: "platform".into(),
                },
                SessionTag {
                    key: "cost-center".into(),
                    value: String::new(),
                },
            ],
            transitive_tag_keys: vec!["team".into()],
            policy: None,
            policy_arns: vec![],
            mfa: MfaInfo {
                authenticated: true,
                auth_time: Some(t0() - Duration::minutes(5)),
            },
            issued_at: t0(),
            expires_at: t0() + Duration::hours(1),
            chain_depth: 1,
            access_key_id: "ASIAQAAAAAAAGMKEM7X5".into(),
            secret_access_key: SecretString::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        }
    }

    fn ring() -> (KeyRing, SeededRandom) {
        let rng = SeededRandom::new(11);
        (KeyRing::generate(t0(), &rng).unwrap(), rng)
    }

    #[test]
    fn a_sealed_record_opens_to_the_same_record_with_version_and_key_id() {
        let (ring, rng) = ring();
        let record = role_record();
        let token = seal(&record, &ring, t0(), &rng).unwrap();
        let opened = open(&token, &ring, t0() + Duration::minutes(59)).unwrap();
        let mut expected = record.clone();
        expected.key_id = ring.sealing_key_id(t0()).unwrap();
        assert_eq!(opened, expected);
        assert_eq!(token.len(), sealed_token_len(&record));
    }

    #[test]
    fn federated_and_session_token_records_round_trip() {
        let (ring, rng) = ring();
        let mut fed = role_record();
        fed.kind = SessionKind::FederatedUser;
        fed.role = None;
        fed.user_arn = Some("arn:aws:iam::123456789012:user/broker".into());
        fed.user_id = Some("AIDAEXAMPLEUSERID1234".into());
        fed.policy = Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into());
        fed.policy_arns = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()];
        fed.transitive_tag_keys = vec!["not-a-tag".into(), "team".into()];
        fed.mfa = MfaInfo::default();
        let mut gst = fed.clone();
        gst.kind = SessionKind::SessionToken;
        gst.mfa = MfaInfo {
            authenticated: true,
            auth_time: None,
        };
        for record in [fed, gst] {
            let token = seal(&record, &ring, t0(), &rng).unwrap();
            let mut opened = open(&token, &ring, t0()).unwrap();
            opened.key_id = 0;
            assert_eq!(opened, record);
        }
    }

    #[test]
    fn a_derivable_principal_arn_is_left_out_and_restored() {
        let (ring, rng) = ring();
        let mut cn = role_record();
        cn.role.as_mut().unwrap().arn = "arn:aws-cn:iam::123456789012:role/ops/Deploy".into();
        cn.principal_arn = "arn:aws-cn:sts::123456789012:assumed-role/Deploy/ci-run-42".into();
        let mut fed = role_record();
        fed.kind = SessionKind::FederatedUser;
        fed.role = None;
        fed.user_arn = Some("arn:aws:iam::123456789012:user/broker".into());
        fed.principal_arn = "arn:aws:sts::123456789012:federated-user/ci-run-42".into();
        let mut gst = fed.clone();
        gst.kind = SessionKind::SessionToken;
        gst.principal_arn = "arn:aws:iam::123456789012:user/broker".into();
        for record in [role_record(), cn, fed, gst] {
            let mut literal = record.clone();
            literal.principal_arn.push('x');
            let saved = sealed_token_len(&literal) - sealed_token_len(&record);
            assert!(
                saved >= record.principal_arn.len(),
                "{}",
                record.principal_arn
            );
            for r in [record, literal] {
                let token = seal(&r, &ring, t0(), &rng).unwrap();
                assert_eq!(
                    open(&token, &ring, t0()).unwrap().principal_arn,
                    r.principal_arn
                );
            }
        }
    }

    #[test]
    fn a_padded_token_reaches_the_minimum_size_and_opens_to_the_same_record() {
        let (ring, rng) = ring();
        let record = role_record();
        let plain = sealed_token_len(&record);
        for min in [
            0,
            1,
            plain,
            plain + 1,
            plain + 2,
            plain + 3,
            plain + 4,
            1000,
            4096,
        ] {
            let token = seal_padded(&record, &ring, t0(), &rng, min).unwrap();
            assert!(token.len() >= min, "{min}: {}", token.len());
            assert!(token.len() < min.max(plain) + 8, "{min}: {}", token.len());
            let mut opened = open(&token, &ring, t0()).unwrap();
            opened.key_id = 0;
            assert_eq!(opened, record);
        }
    }

    #[test]
    fn nonzero_padding_is_refused() {
        let mut bytes = internals::encode(&role_record());
        bytes.pop();
        bytes.extend_from_slice(&[2, 0, 1]);
        assert!(internals::decode(&bytes).is_none());
        bytes.pop();
        bytes.push(0);
        assert!(internals::decode(&bytes).is_some());
    }

    #[test]
    fn the_same_record_seals_to_different_tokens() {
        let (ring, rng) = ring();
        let a = seal(&role_record(), &ring, t0(), &rng).unwrap();
        let b = seal(&role_record(), &ring, t0(), &rng).unwrap();
        assert_ne!(a, b, "nonces must differ");
    }

    #[test]
    fn an_expired_token_is_refused_with_expired_token() {
        let (ring, rng) = ring();
        let record = role_record();
        let token = seal(&record, &ring, t0(), &rng).unwrap();
        let err = open(&token, &ring, record.expires_at).unwrap_err();
        assert_eq!(err, TokenError::Expired(record.expires_at));
        assert_eq!(err.code(), "ExpiredToken");
    }

    #[test]
    fn garbage_is_refused_with_invalid_client_token_id() {
        let (ring, _) = ring();
        for bad in [
            "",
            "AAAA",
            "not base64!",
            "AQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            let err = open(bad, &ring, t0()).unwrap_err();
            assert_eq!(err.code(), "InvalidClientTokenId", "{bad}: {err}");
        }
        let huge = "A".repeat(MAX_TOKEN_CHARS + 4);
        assert_eq!(open(&huge, &ring, t0()).unwrap_err(), TokenError::Malformed);
    }

    #[test]
    fn a_token_of_another_version_or_unknown_key_is_refused() {
        let (ring, rng) = ring();
        let token = seal(&role_record(), &ring, t0(), &rng).unwrap();
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&token)
            .unwrap();
        raw[0] = 2;
        let t = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert_eq!(
            open(&t, &ring, t0()).unwrap_err(),
            TokenError::UnsupportedVersion(2)
        );
        raw[0] = 1;
        raw[4] ^= 0x40;
        let t = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert!(matches!(
            open(&t, &ring, t0()).unwrap_err(),
            TokenError::UnknownKey(_)
        ));
    }

    #[test]
    fn a_token_presented_with_another_access_key_is_refused() {
        let (ring, rng) = ring();
        let record = role_record();
        let token = seal(&record, &ring, t0(), &rng).unwrap();
        assert!(open_for_access_key(&token, &record.access_key_id, &ring, t0()).is_ok());
        let err = open_for_access_key(&token, "ASIAQAAAAAAAGMKEM7X6", &ring, t0()).unwrap_err();
        assert_eq!(err.code(), "InvalidClientTokenId");
    }

    #[test]
    fn inconsistent_records_are_not_sealed() {
        let (ring, rng) = ring();
        let mut no_role = role_record();
        no_role.role = None;
        assert!(matches!(
            seal(&no_role, &ring, t0(), &rng),
            Err(SealError::InvalidRecord(_))
        ));
        let mut backwards = role_record();
        backwards.expires_at = backwards.issued_at;
        assert!(matches!(
            seal(&backwards, &ring, t0(), &rng),
            Err(SealError::InvalidRecord(_))
        ));
    }

    #[test]
    fn debug_of_a_record_hides_the_secret() {
        let shown = format!("{:?}", role_record());
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(shown.contains("ASIAQAAAAAAAGMKEM7X5"));
    }

    #[test]
    fn every_truncation_of_a_record_fails_to_decode() {
        let bytes = internals::encode(&role_record());
        assert!(internals::decode(&bytes).is_some());
        for n in 0..bytes.len() {
            assert!(internals::decode(&bytes[..n]).is_none(), "prefix {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(internals::decode(&longer).is_none());
    }

    #[test]
    fn varints_round_trip_and_reject_overlong_input() {
        for v in [0_u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v));
            assert_eq!(Reader { rest: &out }.varint(), Some(v));
        }
        assert_eq!(Reader { rest: &[0xff; 11] }.varint(), None);
        for v in [0_i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
