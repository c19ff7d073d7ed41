//! Stage: who is calling, and what a set of credentials may do (sts-api.md §7, §9, §10;
//! evaluation.md §7.9, §8, §10).
//!
//! Input: an authenticated caller (long-term IAM-user key, or an opened session token) and
//! the directory in force. Output: a [`Caller`] with its principal facts, the request
//! context AWS would fill for it ([`principal_context`]), and its policy layers compiled
//! once into an [`EffectivePermissions`] behind `Arc`, cached by token digest in a bounded
//! [`PermissionCache`] that forgets everything when the directory is replaced. The cache
//! also keeps, per caller, the classified engine principal and the context with the time
//! keys of the last second asked for ([`PermissionCache::request_parts`]), so a cached
//! authorization builds its request without parsing or copying them. A second bounded cache,
//! [`SessionCache`], keeps opened session tokens (caller, secret, the ring key that opened
//! them) so a token is decrypted once, not on every request it signs.
//! Never: lets caller-supplied context keys override principal keys, grants anything when a
//! policy the credentials depend on cannot be resolved (it fails closed), reads the system
//! clock, or keeps per-session state beyond the two bounded caches.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use chrono::{DateTime, SecondsFormat, Utc};
use iam_policy::context::{Context, ContextValue};
use iam_policy::eval::RequestError;
use iam_policy::layers::EffectivePermissions;
use iam_policy::principal::RequestPrincipal;
use iam_policy::{CompileOptions, Layers, PolicySet, PolicyType, Request};
use sha2::{Digest, Sha256};

use crate::directory::{Directory, PolicyText, User};
use crate::error::StsError;
use crate::keyring::KeyStamp;
use crate::sigv4::SecretKey;
use crate::token::{SessionKind, SessionRecord, SessionTag};

/// SHA-256 of a session token's text: the key of both caches.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The kind of principal behind a set of credentials (`aws:PrincipalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallerKind {
    /// The account root user (`Account`).
    Root,
    /// An IAM user, with long-term keys or a GetSessionToken session (`User`).
    User,
    /// A role session from any `AssumeRole*` (`AssumedRole`).
    AssumedRole,
    /// A GetFederationToken session (`FederatedUser`).
    FederatedUser,
}

impl CallerKind {
    /// The `aws:PrincipalType` value.
    pub fn principal_type(self) -> &'static str {
        match self {
            Self::Root => "Account",
            Self::User => "User",
            Self::AssumedRole => "AssumedRole",
            Self::FederatedUser => "FederatedUser",
        }
    }
}

/// An opened session token: the sealed record plus the SHA-256 digest of the token text
/// (the key of the permission cache). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Session {
    record: Arc<SessionRecord>,
    digest: [u8; 32],
}

impl Session {
    /// Wraps `record`, opened from `token`.
    pub fn new(record: SessionRecord, token: &str) -> Session {
        Session::with_digest(record, token_digest(token))
    }

    /// Wraps `record`, opened from the token whose [`token_digest`] is `digest`.
    pub fn with_digest(record: SessionRecord, digest: [u8; 32]) -> Session {
        Session {
            record: Arc::new(record),
            digest,
        }
    }

    /// The record the token carries.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// SHA-256 of the token text.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The session's kind.
    pub fn kind(&self) -> SessionKind {
        self.record.kind
    }

    /// The session tags that are transitive (carried into chained role sessions).
    pub fn transitive_tags(&self) -> Vec<SessionTag> {
        self.record
            .tags
            .iter()
            .filter(|t| {
                self.record
                    .transitive_tag_keys
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&t.key))
            })
            .cloned()
            .collect()
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal kind.
    pub kind: CallerKind,
    /// The 12-digit account of the principal (the role's account for role sessions).
    pub account: String,
    /// The request principal ARN: user or root ARN, assumed-role or federated-user ARN.
    pub arn: String,
    /// `aws:userid` (also the `UserId` of GetCallerIdentity).
    pub user_id: String,
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// For an IAM user (long-term or GetSessionToken), its ARN with path; for a federated
    /// user, the IAM user it was minted from.
    pub user_arn: Option<String>,
    /// The opened session, for temporary credentials.
    pub session: Option<Session>,
}

impl Caller {
    /// An IAM user calling with its long-term access key `access_key_id`.
    pub fn long_term_user(user: &User, access_key_id: &str) -> Caller {
        Caller {
            kind: CallerKind::User,
            account: user.account_id.clone(),
            arn: user.arn.clone(),
            user_id: user.id.clone(),
            access_key_id: access_key_id.to_owned(),
            user_arn: Some(user.arn.clone()),
            session: None,
        }
    }

    /// The root user of `account` calling with long-term key `access_key_id`.
    pub fn root(account: &str, access_key_id: &str) -> Caller {
        Caller {
            kind: CallerKind::Root,
            account: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.to_owned(),
            access_key_id: access_key_id.to_owned(),
            user_arn: None,
            session: None,
        }
    }

    /// The caller behind an opened session.
    pub fn from_session(session: Session) -> Caller {
        let r = session.record();
        let (kind, arn, user_id, user_arn) = match r.kind {
            SessionKind::AssumedRole => {
                let role_id = r.role.as_ref().map(|x| x.id.as_str()).unwrap_or_default();
                let name = r.session_name.as_deref().unwrap_or_default();
                (
                    CallerKind::AssumedRole,
                    r.principal_arn.clone(),
                    format!("{role_id}:{name}"),
                    None,
                )
            }
            SessionKind::FederatedUser => {
                let name = r.session_name.as_deref().unwrap_or_default();
                (
                    CallerKind::FederatedUser,
                    r.principal_arn.clone(),
                    format!("{}:{name}", r.account),
                    r.user_arn.clone(),
                )
            }
            SessionKind::SessionToken => {
                let root = r.principal_arn.ends_with(":root");
                if root {
                    (
                        CallerKind::Root,
                        r.principal_arn.clone(),
                        r.account.clone(),
                        None,
                    )
                } else {
                    (
                        CallerKind::User,
                        r.principal_arn.clone(),
                        r.user_id.clone().unwrap_or_default(),
                        r.user_arn.clone().or_else(|| Some(r.principal_arn.clone())),
                    )
                }
            }
        };
        Caller {
            kind,
            account: r.account.clone(),
            arn,
            user_id,
            access_key_id: r.access_key_id.clone(),
            user_arn,
            session: Some(session),
        }
    }

    /// Whether the caller uses temporary (session) credentials.
    pub fn is_temporary(&self) -> bool {
        self.session.is_some()
    }

    /// The `aws:PrincipalArn` value: the role ARN (with path) for role sessions, otherwise
    /// the principal ARN.
    pub fn principal_arn(&self) -> &str {
        self.session
            .as_ref()
            .and_then(|s| s.record().role.as_ref())
            .map_or(self.arn.as_str(), |r| r.arn.as_str())
    }

    /// The role ARN (with path) of a role session.
    pub fn role_arn(&self) -> Option<&str> {
        self.session
            .as_ref()
            .and_then(|s| s.record().role.as_ref())
            .map(|r| r.arn.as_str())
    }

    /// The IAM user name for `aws:username` (IAM users only).
    pub fn username(&self) -> Option<&str> {
        match self.kind {
            CallerKind::User => self.user_arn.as_deref().and_then(|a| a.rsplit('/').next()),
            _ => None,
        }
    }

    /// The key of this caller in the permission cache: the token digest for sessions, a
    /// digest of the principal for long-term keys.
    pub fn cache_key(&self) -> [u8; 32] {
        match &self.session {
            Some(s) => *s.digest(),
            None => {
                let mut h = Sha256::new();
                h.update(b"long-term\0");
                h.update(self.arn.as_bytes());
                h.finalize().into()
            }
        }
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn single(s: impl Into<String>) -> ContextValue {
    ContextValue::Single(s.into())
}

/// The principal-side context keys AWS fills for `caller` (evaluation.md §8, §10), without
/// the time-dependent ones (`aws:CurrentTime`, `aws:EpochTime`, `aws:MultiFactorAuthAge`),
/// which [`add_time_keys`] adds.
pub fn principal_context(caller: &Caller, dir: &Directory) -> Context {
    let mut ctx = Context::new();
    ctx.insert("aws:PrincipalArn", single(caller.principal_arn()));
    ctx.insert("aws:PrincipalAccount", single(caller.account.clone()));
    ctx.insert("aws:PrincipalType", single(caller.kind.principal_type()));
    ctx.insert("aws:userid", single(caller.user_id.clone()));
    ctx.insert("aws:PrincipalIsAWSService", single("false"));
    if let Some(name) = caller.username() {
        ctx.insert("aws:username", single(name));
    }
    // Tags: the role's (or the parent user's) tags, overlaid by session tags.
    let entity_tags = match caller.kind {
        CallerKind::AssumedRole => caller
            .role_arn()
            .and_then(|a| dir.role_by_arn(a))
            .map(|(_, r)| r.tags.clone())
            .unwrap_or_default(),
        CallerKind::User | CallerKind::FederatedUser => caller
            .user_arn
            .as_deref()
            .and_then(|a| dir.user_by_arn(a))
            .map(|(_, u)| u.tags.clone())
            .unwrap_or_default(),
        CallerKind::Root => Vec::new(),
    };
    for t in &entity_tags {
        ctx.insert(
            &format!("aws:PrincipalTag/{}", t.key),
            single(t.value.clone()),
        );
    }
    if let Some(s) = &caller.session {
        let r = s.record();
        for t in &r.tags {
            ctx.insert(
                &format!("aws:PrincipalTag/{}", t.key),
                single(t.value.clone()),
            );
        }
        ctx.insert("aws:TokenIssueTime", single(iso(r.issued_at)));
        ctx.insert(
            "aws:MultiFactorAuthPresent",
            single(if r.mfa.authenticated { "true" } else { "false" }),
        );
        if let Some(si) = &r.source_identity {
            ctx.insert("aws:SourceIdentity", single(si.clone()));
        }
        if let Some(fp) = &r.federated_provider {
            ctx.insert("aws:FederatedProvider", single(fp.clone()));
        }
    }
    if let Some(org) = dir.organization() {
        if let Some(path) = org.path_to(&caller.account) {
            ctx.insert("aws:PrincipalOrgID", single(org.id.clone()));
            let nodes: Vec<&str> = path
                .iter()
                .map(String::as_str)
                .filter(|n| *n != caller.account)
                .collect();
            ctx.insert(
                "aws:PrincipalOrgPaths",
                ContextValue::Multi(vec![format!("{}/{}/", org.id, nodes.join("/"))]),
            );
        }
    }
    ctx
}

/// Adds `aws:CurrentTime`, `aws:EpochTime` and, for sessions with MFA,
/// `aws:MultiFactorAuthAge` as of `now`.
pub fn add_time_keys(ctx: &mut Context, caller: &Caller, now: DateTime<Utc>) {
    add_time_keys_with(ctx, caller, now, (iso(now), now.timestamp().to_string()));
}

/// The `aws:CurrentTime` and `aws:EpochTime` strings of the last second asked for,
/// formatted once per second (formatting dominates a cached authorization otherwise).
#[derive(Debug, Default)]
pub struct TimeStrings {
    last: Mutex<Option<(i64, String, String)>>,
}

impl TimeStrings {
    /// The two strings for `now` (to the second).
    pub fn get(&self, now: DateTime<Utc>) -> (String, String) {
        let secs = now.timestamp();
        let mut guard = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        match &*guard {
            Some((s, iso_text, epoch)) if *s == secs => (iso_text.clone(), epoch.clone()),
            _ => {
                let pair = (iso(now), secs.to_string());
                *guard = Some((secs, pair.0.clone(), pair.1.clone()));
                pair
            }
        }
    }
}

/// [`add_time_keys`] with the time strings already formatted.
pub fn add_time_keys_with(
    ctx: &mut Context,
    caller: &Caller,
    now: DateTime<Utc>,
    (current, epoch): (String, String),
) {
    ctx.insert("aws:CurrentTime", ContextValue::Single(current));
    ctx.insert("aws:EpochTime", ContextValue::Single(epoch));
    if let Some(age) = mfa_age(caller, now) {
        ctx.insert("aws:MultiFactorAuthAge", single(age.to_string()));
    }
}

/// Adds every key of `extra` that `ctx` does not hold yet (caller-supplied keys never
/// override principal keys).
pub fn merge_extra(ctx: &mut Context, extra: &Context) {
    for (k, v) in extra.iter() {
        if ctx.get(k).is_none() {
            ctx.insert(k, v.clone());
        }
    }
}

/// The whole seconds since the MFA authentication of `caller`'s session, as of `now`.
fn mfa_age(caller: &Caller, now: DateTime<Utc>) -> Option<i64> {
    caller
        .session
        .as_ref()
        .and_then(|s| s.record().mfa.auth_time)
        .map(|at| now.signed_duration_since(at).num_seconds().max(0))
}

/// A fresh cache entry for `caller`: its principal context and its classified principal
/// (role ARN and unique id taken from that context, as a request built from it would).
fn new_entry(caller: &Caller, dir: &Directory) -> PermissionEntry {
    let principal_context = Arc::new(principal_context(caller, dir));
    let mut b = Request::builder()
        .principal(caller.arn.clone())
        .context(Context::layered(Arc::clone(&principal_context)));
    if caller.kind == CallerKind::FederatedUser {
        if let Some(u) = &caller.user_arn {
            b = b.parent_user(u.clone());
        }
    }
    PermissionEntry {
        by_resource_account: Vec::new(),
        principal_context,
        principal: b.build_principal().map(Arc::new),
        timed: None,
    }
}

/// Compiled policies of one directory generation, keyed by the address of their
/// [`PolicyText`] inside that (immutable) directory.
#[derive(Debug, Default)]
struct CompiledPolicies {
    generation: Weak<Directory>,
    sets: HashMap<(usize, PolicyType), Arc<PolicySet>>,
}

/// Permission entry of one caller: per resource account (RCPs differ by resource account).
#[derive(Debug)]
struct PermissionEntry {
    by_resource_account: Vec<(Option<String>, Arc<EffectivePermissions>)>,
    principal_context: Arc<Context>,
    /// The caller as the engine classifies it (or why it cannot), built once.
    principal: Result<Arc<RequestPrincipal>, RequestError>,
    /// The principal context plus the time keys of one second.
    timed: Option<TimedContext>,
}

/// The principal context with `aws:CurrentTime`, `aws:EpochTime` and
/// `aws:MultiFactorAuthAge` filled for the second `secs` and the MFA age `mfa_age`.
#[derive(Debug)]
struct TimedContext {
    secs: i64,
    mfa_age: Option<i64>,
    context: Arc<Context>,
}

/// A cache key: a SHA-256 digest, whose first eight bytes are already a good hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DigestKey([u8; 32]);

impl Hash for DigestKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        state.write_u64(u64::from_le_bytes([a, b, c, d, e, f, g, h]));
    }
}

/// The hasher of [`DigestKey`]s: passes their prefix through (keys are digests of
/// authenticated credentials, so they are uniform and not chosen by an attacker).
#[derive(Debug, Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

type DigestMap<V> = HashMap<DigestKey, V, BuildHasherDefault<DigestHasher>>;

/// Before inserting `key`: when the map is full and `key` is new, drops an arbitrary half of
/// it (bounded memory at an amortised cost, with no bookkeeping per hit).
fn make_room<V>(entries: &mut DigestMap<V>, key: &DigestKey, capacity: usize) {
    if entries.contains_key(key) || entries.len() < capacity {
        return;
    }
    let drop: Vec<DigestKey> = entries.keys().take(capacity.div_ceil(2)).copied().collect();
    for k in drop {
        entries.remove(&k);
    }
}

#[derive(Debug, Default)]
struct CacheInner {
    generation: Weak<Directory>,
    entries: DigestMap<PermissionEntry>,
}

/// A bounded cache of compiled permissions by credential digest, plus compiled directory
/// policies; both are dropped when the directory in force changes.
#[derive(Debug)]
pub struct PermissionCache {
    capacity: usize,
    times: TimeStrings,
    inner: Mutex<CacheInner>,
    compiled: Mutex<CompiledPolicies>,
}

/// What [`PermissionCache::permissions`] returns: the caller's frozen layers and its
/// principal context keys.
#[derive(Debug, Clone)]
pub struct CachedPermissions {
    /// The compiled layers.
    pub permissions: Arc<EffectivePermissions>,
    /// The principal-side context keys (see [`principal_context`]).
    pub principal_context: Arc<Context>,
}

/// What [`PermissionCache::request_parts`] returns: everything of an engine request that
/// depends only on the caller and the second, shared rather than copied.
#[derive(Debug, Clone)]
pub struct RequestParts {
    /// The compiled layers.
    pub permissions: Arc<EffectivePermissions>,
    /// The caller as the engine classifies it, for [`iam_policy::RequestBuilder::shared_principal`];
    /// the error is the one building a request for this caller would give.
    pub principal: Result<Arc<RequestPrincipal>, RequestError>,
    /// The principal context keys plus the time keys as of the `now` asked for, for
    /// [`Context::layered`].
    pub context: Arc<Context>,
}

impl PermissionCache {
    /// A cache holding at most `capacity` callers (at least 1).
    pub fn new(capacity: usize) -> PermissionCache {
        PermissionCache {
            capacity: capacity.max(1),
            times: TimeStrings::default(),
            inner: Mutex::new(CacheInner::default()),
            compiled: Mutex::new(CompiledPolicies::default()),
        }
    }

    /// The cached time strings for `now` (see [`TimeStrings`]).
    pub fn time_strings(&self, now: DateTime<Utc>) -> (String, String) {
        self.times.get(now)
    }

    /// How many callers are cached.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Compiles `text` as `policy_type`, once per directory generation.
    ///
    /// # Errors
    /// [`StsError::InternalFailure`] when a directory policy does not compile (the directory
    /// validated it at load time, so this means an engine disagreement).
    pub fn compiled(
        &self,
        dir: &Arc<Directory>,
        text: &PolicyText,
        policy_type: PolicyType,
    ) -> Result<Arc<PolicySet>, StsError> {
        let key = (std::ptr::from_ref(text) as usize, policy_type);
        let mut guard = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.generation.as_ptr() != Arc::as_ptr(dir) {
            guard.generation = Arc::downgrade(dir);
            guard.sets.clear();
        }
        if let Some(set) = guard.sets.get(&key) {
            return Ok(Arc::clone(set));
        }
        let opts = CompileOptions::default().with_label(text.name.clone());
        let set = Arc::new(
            PolicySet::compile(&text.document, policy_type, &opts).map_err(|e| {
                StsError::InternalFailure(format!(
                    "directory policy `{}` does not compile: {}",
                    text.name,
                    e.diagnostics()
                        .first()
                        .map(|d| d.message().to_owned())
                        .unwrap_or_default()
                ))
            })?,
        );
        guard.sets.insert(key, Arc::clone(&set));
        Ok(set)
    }

    /// The compiled permissions of `caller` for resources of `resource_account`, built on
    /// first use and cached by [`Caller::cache_key`].
    ///
    /// # Errors
    /// [`StsError::AccessDenied`] when a policy the credentials depend on no longer exists
    /// (fail closed); [`StsError::MalformedPolicyDocument`] for a session policy that does
    /// not compile; [`StsError::InternalFailure`] for engine disagreements.
    pub fn permissions(
        &self,
        dir: &Arc<Directory>,
        caller: &Caller,
        resource_account: Option<&str>,
    ) -> Result<CachedPermissions, StsError> {
        self.with_entry(dir, caller, resource_account, |entry, permissions| {
            CachedPermissions {
                permissions,
                principal_context: Arc::clone(&entry.principal_context),
            }
        })
    }

    /// [`PermissionCache::permissions`] plus the caller's classified principal and its
    /// context with the time keys as of `now` (see [`add_time_keys`]); the context is
    /// rebuilt only when the second or the MFA age changes.
    ///
    /// # Errors
    /// As [`PermissionCache::permissions`].
    pub fn request_parts(
        &self,
        dir: &Arc<Directory>,
        caller: &Caller,
        resource_account: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<RequestParts, StsError> {
        let secs = now.timestamp();
        let mfa_age = mfa_age(caller, now);
        self.with_entry(dir, caller, resource_account, |entry, permissions| {
            let context = match &entry.timed {
                Some(t) if t.secs == secs && t.mfa_age == mfa_age => Arc::clone(&t.context),
                _ => {
                    let mut ctx = (*entry.principal_context).clone();
                    add_time_keys_with(&mut ctx, caller, now, self.times.get(now));
                    let context = Arc::new(ctx);
                    entry.timed = Some(TimedContext {
                        secs,
                        mfa_age,
                        context: Arc::clone(&context),
                    });
                    context
                }
            };
            RequestParts {
                permissions,
                principal: entry.principal.clone(),
                context,
            }
        })
    }

    /// Runs `f` on the cache entry of `caller` with its permissions for
    /// `resource_account`, building and caching both on first use.
    fn with_entry<R>(
        &self,
        dir: &Arc<Directory>,
        caller: &Caller,
        resource_account: Option<&str>,
        f: impl FnOnce(&mut PermissionEntry, Arc<EffectivePermissions>) -> R,
    ) -> Result<R, StsError> {
        let key = DigestKey(caller.cache_key());
        {
            let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            if guard.generation.as_ptr() != Arc::as_ptr(dir) {
                guard.generation = Arc::downgrade(dir);
                guard.entries.clear();
            }
            if let Some(entry) = guard.entries.get_mut(&key) {
                if let Some(p) = entry
                    .by_resource_account
                    .iter()
                    .find(|(a, _)| a.as_deref() == resource_account)
                    .map(|(_, p)| Arc::clone(p))
                {
                    return Ok(f(entry, p));
                }
            }
        }
        let perms = Arc::new(
            self.caller_layers(dir, caller)?
                .pipe_rcps(self, dir, resource_account)?
                .build()
                .map_err(|e| StsError::InternalFailure(e.to_string()))?,
        );
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.generation.as_ptr() != Arc::as_ptr(dir) {
            guard.generation = Arc::downgrade(dir);
            guard.entries.clear();
        }
        make_room(&mut guard.entries, &key, self.capacity);
        let entry = guard
            .entries
            .entry(key)
            .or_insert_with(|| new_entry(caller, dir));
        if entry.by_resource_account.len() >= 16 {
            entry.by_resource_account.clear();
        }
        entry
            .by_resource_account
            .push((resource_account.map(str::to_owned), Arc::clone(&perms)));
        Ok(f(entry, perms))
    }

    /// The identity-side layers of `caller` (identity policies, boundary, session
    /// policies, SCP levels), without a resource policy or RCPs.
    ///
    /// # Errors
    /// As [`PermissionCache::permissions`].
    pub fn caller_layers(&self, dir: &Arc<Directory>, caller: &Caller) -> Result<Layers, StsError> {
        let gone = |what: String| {
            StsError::AccessDenied(format!(
                "the credentials depend on {what}, which is no longer in the directory"
            ))
        };
        let mut layers = Layers::new();
        match caller.kind {
            CallerKind::Root => {}
            CallerKind::AssumedRole => {
                let role_arn = caller.role_arn().unwrap_or_default();
                let (_, role) = dir
                    .role_by_arn(role_arn)
                    .ok_or_else(|| gone(format!("role `{role_arn}`")))?;
                for p in dir
                    .policies_of_role(role)
                    .map_err(|e| gone(format!("policy `{}`", e.arn)))?
                {
                    layers = layers.identity(self.compiled(dir, p, PolicyType::Identity)?);
                }
                if let Some(b) = dir
                    .boundary_of_role(role)
                    .map_err(|e| gone(format!("policy `{}`", e.arn)))?
                {
                    layers = layers.boundary(self.compiled(dir, b, PolicyType::Boundary)?);
                }
            }
            CallerKind::User | CallerKind::FederatedUser => {
                let user_arn = caller.user_arn.as_deref().unwrap_or_default();
                let (_, user) = dir
                    .user_by_arn(user_arn)
                    .ok_or_else(|| gone(format!("user `{user_arn}`")))?;
                for p in dir
                    .policies_of_user(user)
                    .map_err(|e| gone(format!("policy `{}`", e.arn)))?
                {
                    layers = layers.identity(self.compiled(dir, p, PolicyType::Identity)?);
                }
                if let Some(b) = dir
                    .boundary_of_user(user)
                    .map_err(|e| gone(format!("policy `{}`", e.arn)))?
                {
                    layers = layers.boundary(self.compiled(dir, b, PolicyType::Boundary)?);
                }
            }
        }
        if let Some(s) = &caller.session {
            let r = s.record();
            let has_session_layer = matches!(
                r.kind,
                SessionKind::AssumedRole | SessionKind::FederatedUser
            );
            if r.kind == SessionKind::FederatedUser {
                layers = layers.empty_session();
            }
            if has_session_layer {
                if let Some(text) = &r.policy {
                    let set = PolicySet::from_json(
                        text,
                        PolicyType::Session,
                        &CompileOptions::default().with_label("session policy"),
                    )
                    .map_err(|_| {
                        StsError::MalformedPolicyDocument(
                            "the session policy no longer compiles".to_owned(),
                        )
                    })?;
                    layers = layers.session(set);
                }
                for arn in &r.policy_arns {
                    let mp = dir
                        .managed_policy(&r.account, arn)
                        .ok_or_else(|| gone(format!("policy `{arn}`")))?;
                    layers = layers.session(self.compiled(dir, &mp.policy, PolicyType::Session)?);
                }
            }
        }
        if let Some(chain) = dir.scp_chain(&caller.account) {
            for level in chain {
                let mut sets = Vec::with_capacity(level.len());
                for p in level {
                    sets.push(self.compiled(dir, p, PolicyType::Scp)?);
                }
                layers = layers.scp_level(sets);
            }
        }
        Ok(layers)
    }

    /// The RCP levels of `account` (none outside an organization or in its management
    /// account).
    ///
    /// # Errors
    /// As [`PermissionCache::compiled`].
    pub fn rcp_levels(
        &self,
        dir: &Arc<Directory>,
        account: &str,
    ) -> Result<Vec<Vec<Arc<PolicySet>>>, StsError> {
        let mut out = Vec::new();
        if let Some(chain) = dir.rcp_chain(account) {
            for level in chain {
                let mut sets = Vec::with_capacity(level.len());
                for p in level {
                    sets.push(self.compiled(dir, p, PolicyType::Rcp)?);
                }
                out.push(sets);
            }
        }
        Ok(out)
    }
}

/// A session token opened once: the caller it names, the secret access key inside it (whose
/// clones share one cache of derived SigV4 signing keys) and the ring key that opened it.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    /// The caller, with the opened [`Session`].
    pub caller: Caller,
    /// The session's secret access key.
    pub secret: SecretKey,
    /// The key that opened the token; the entry is only good while
    /// [`crate::keyring::KeyRing::still_opens`] says so.
    pub opened_by: KeyStamp,
}

/// A bounded cache of opened session tokens by [`token_digest`], so a client signing many
/// requests with the same temporary credentials pays for decrypting and decoding its token
/// (and for deriving its signing key) once. An entry says nothing about the time: whoever
/// takes one still checks the key ring, the access key and the expiry (see
/// [`crate::service::TokenService::open_session`]). Keys are digests of tokens that
/// opened, so an attacker cannot fill it with garbage or steer its hashing.
#[derive(Debug)]
pub struct SessionCache {
    capacity: usize,
    entries: Mutex<DigestMap<Arc<OpenedSession>>>,
}

impl SessionCache {
    /// A cache holding at most `capacity` sessions (at least 1).
    pub fn new(capacity: usize) -> SessionCache {
        SessionCache {
            capacity: capacity.max(1),
            entries: Mutex::new(DigestMap::default()),
        }
    }

    /// The session opened from the token with this digest, if cached.
    pub fn get(&self, digest: &[u8; 32]) -> Option<Arc<OpenedSession>> {
        let guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        guard.get(&DigestKey(*digest)).cloned()
    }

    /// Caches `session` under its token digest.
    pub fn insert(&self, session: Arc<OpenedSession>) {
        let Some(digest) = session.caller.session.as_ref().map(|s| *s.digest()) else {
            return;
        };
        let key = DigestKey(digest);
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        make_room(&mut guard, &key, self.capacity);
        guard.insert(key, session);
    }

    /// Forgets the token with this digest.
    pub fn remove(&self, digest: &[u8; 32]) {
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        guard.remove(&DigestKey(*digest));
    }

    /// How many sessions are cached.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

trait PipeRcps {
    fn pipe_rcps(
        self,
        cache: &PermissionCache,
        dir: &Arc<Directory>,
        account: Option<&str>,
    ) -> Result<Layers, StsError>;
}

impl PipeRcps for Layers {
    fn pipe_rcps(
        self,
        cache: &PermissionCache,
        dir: &Arc<Directory>,
        account: Option<&str>,
    ) -> Result<Layers, StsError> {
        let mut layers = self;
        if let Some(a) = account {
            for level in cache.rcp_levels(dir, a)? {
                layers = layers.rcp_level(level);
            }
        }
        Ok(layers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_types_match_the_global_key_table() {
        assert_eq!(CallerKind::Root.principal_type(), "Account");
        assert_eq!(CallerKind::User.principal_type(), "User");
        assert_eq!(CallerKind::AssumedRole.principal_type(), "AssumedRole");
        assert_eq!(CallerKind::FederatedUser.principal_type(), "FederatedUser");
    }

    #[test]
    fn extra_keys_never_override_principal_keys() {
        let mut ctx = Context::new();
        ctx.insert(
            "aws:PrincipalArn",
            single("arn:aws:iam::111122223333:user/a"),
        );
        let mut extra = Context::new();
        extra.insert(
            "AWS:PRINCIPALARN",
            single("arn:aws:iam::111122223333:user/evil"),
        );
        extra.insert("aws:SourceIp", single("203.0.113.9"));
        merge_extra(&mut ctx, &extra);
        assert_eq!(
            ctx.get("aws:PrincipalArn")
                .and_then(ContextValue::as_single),
            Some("arn:aws:iam::111122223333:user/a")
        );
        assert!(ctx.get("aws:SourceIp").is_some());
    }

    #[test]
    fn root_caller_has_the_account_as_user_id() {
        let c = Caller::root("111122223333", "AKIAEXAMPLE");
        assert_eq!(c.user_id, "111122223333");
        assert_eq!(c.arn, "arn:aws:iam::111122223333:root");
        assert_eq!(c.username(), None);
    }
}
