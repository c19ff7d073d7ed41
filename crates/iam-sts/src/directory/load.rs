//! Loading: config file → account files, provider files, policy files → [`Directory`].
//!
//! Stage: configuration loading. Input: the path of the TOML config. Output: the whole
//! directory, or every problem found (TOML errors with the `toml` crate's spans, JSON
//! errors from `iam_policy::json`, policy diagnostics from `iam_policy::check_policy`, and
//! the cross-file rules: duplicate access keys and MFA serials, unknown users, groups,
//! roles and policies, the organization tree). It never returns a partial directory and
//! never panics on bad input.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use iam_policy::json::{self, Limits, Value, ValueKind};
use iam_policy::{check_policy, LineIndex, ParseOptions, PolicyType, Severity, Span};
use toml::Spanned;

use super::authz::{self, iam_arn, is_account_id};
use super::config::{
    AccountConfig, BuiltinConfig, ConfigFile, OrgConfig, OrgKindConfig, StatusConfig,
};
use super::jwks::{parse_jwks, Jwk};
use super::{
    AccessKey, Account, BuiltinProvider, Directory, KeyStatus, LoadError, LoadErrors,
    ManagedPolicy, MfaDevice, OidcProvider, OrgUnit, Organization, Origin, PolicyText,
    SamlProvider, Secret, TotpSeed,
};
use crate::webidentity::{BUILT_IN_OIDC_PROVIDERS, OAUTH_PROVIDERS};

/// A file read into memory, for turning byte offsets into line:col.
#[derive(Debug)]
pub(super) struct FileCtx {
    pub path: PathBuf,
    pub text: String,
    index: LineIndex,
}

impl FileCtx {
    pub(super) fn new(path: PathBuf, text: String) -> FileCtx {
        let index = LineIndex::new(&text);
        FileCtx { path, text, index }
    }

    /// The position of byte `offset`.
    pub fn origin(&self, offset: usize) -> Origin {
        let lc = self.index.line_col(&self.text, offset);
        Origin {
            file: self.path.clone(),
            line: lc.line,
            col: lc.col,
        }
    }

    /// An error at the start of `span`.
    pub fn error(&self, span: Span, message: impl Into<String>) -> LoadError {
        LoadError::at(&self.origin(span.start), message)
    }

    fn error_range(&self, range: &Range<usize>, message: impl Into<String>) -> LoadError {
        LoadError::at(&self.origin(range.start), message)
    }

    fn error_spanned<T>(&self, v: &Spanned<T>, message: impl Into<String>) -> LoadError {
        self.error_range(&v.span(), message)
    }
}

/// The member `key` of object `v`, if `v` is an object that has it (first occurrence).
pub(super) fn member<'v, 'a>(v: &'v Value<'a>, key: &str) -> Option<&'v Value<'a>> {
    match &v.kind {
        ValueKind::Object(members) => members.iter().find(|m| m.key == key).map(|m| &m.value),
        _ => None,
    }
}

/// The string in `v`, if it is one.
pub(super) fn string_of<'v>(v: &'v Value<'_>) -> Option<&'v str> {
    match &v.kind {
        ValueKind::String(s) => Some(s.as_ref()),
        _ => None,
    }
}

/// Decode `%XX` escapes (RFC 3986, as IAM returns policy documents). `+` is kept.
pub(super) fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(v) => {
                    out.push(v);
                    i += 3;
                }
                None => return Err(format!("invalid percent escape at character {}", i + 1)),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the decoded text is not utf-8".to_string())
}

/// Decode RFC 4648 base32 (case-insensitive, `=` padding and spaces ignored).
pub(super) fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for c in s.chars().filter(|c| *c != '=' && *c != ' ') {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => u64::from(c) - u64::from('A'),
            c @ '2'..='7' => u64::from(c) - u64::from('2') + 26,
            _ => return None,
        };
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// What a policy document is: how it is named, checked and reported.
#[derive(Debug, Clone, Copy)]
pub(super) struct PolicyKind<'n> {
    /// The policy's name (an ARN for managed policies).
    pub name: &'n str,
    /// How messages name the document (`trust policy of role `x``).
    pub what: &'n str,
    /// The policy type it is checked as.
    pub ty: PolicyType,
    /// A managed policy (checked with the managed-policy size limit).
    pub managed: bool,
    /// Owned by AWS (no size limit applies).
    pub aws_owned: bool,
}

impl<'n> PolicyKind<'n> {
    /// An inline (or organization) policy of type `ty`.
    pub fn inline(name: &'n str, what: &'n str, ty: PolicyType) -> Self {
        PolicyKind {
            name,
            what,
            ty,
            managed: false,
            aws_owned: false,
        }
    }

    /// A managed identity policy; `aws_owned` for `arn:aws:iam::aws:policy/...`.
    pub fn managed(name: &'n str, what: &'n str, aws_owned: bool) -> Self {
        PolicyKind {
            name,
            what,
            ty: PolicyType::Identity,
            managed: true,
            aws_owned,
        }
    }
}

/// Check `text` as a policy of type `kind.ty`. `anchor` is where the text starts in `ctx`;
/// when `exact`, the text is a verbatim slice of the file at `anchor` and diagnostics are
/// reported at their own position in the file, otherwise at `anchor`. Every message also
/// gives the diagnostic's line:col inside the policy text.
fn check_text(
    ctx: &FileCtx,
    text: String,
    (anchor, exact): (usize, bool),
    kind: &PolicyKind<'_>,
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Option<PolicyText> {
    let PolicyKind {
        name,
        what,
        ty,
        managed,
        aws_owned,
    } = *kind;
    let options = ParseOptions {
        policy_type: ty,
        managed,
        check_size: !aws_owned,
        ..ParseOptions::default()
    };
    let checked = check_policy(&text, &options);
    let lines = LineIndex::new(&text);
    let mut failed = false;
    for d in &checked.diagnostics {
        let lc = lines.line_col(&text, d.span().start);
        let at = if exact {
            anchor + d.span().start
        } else {
            anchor
        };
        let message = format!(
            "{what}: {} {} (at {lc} in the policy)",
            d.code(),
            d.message()
        );
        let e = LoadError::at(&ctx.origin(at), message);
        if d.severity() == Severity::Error {
            failed = true;
            errors.push(e);
        } else {
            warnings.push(e);
        }
    }
    if failed {
        return None;
    }
    let Some(document) = checked.document else {
        errors.push(LoadError::at(
            &ctx.origin(anchor),
            format!("{what}: the policy could not be read"),
        ));
        return None;
    };
    Some(PolicyText {
        name: name.to_string(),
        policy_type: ty,
        text,
        document,
        origin: ctx.origin(anchor),
    })
}

/// Check a policy document embedded in a JSON file: an object, or a string holding JSON
/// (URL-encoded as IAM returns it, or plain).
pub(super) fn check_embedded(
    ctx: &FileCtx,
    v: &Value<'_>,
    kind: &PolicyKind<'_>,
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Option<PolicyText> {
    let what = kind.what;
    match &v.kind {
        ValueKind::Object(_) => {
            let Some(text) = v.span.slice(&ctx.text) else {
                errors.push(ctx.error(v.span, format!("{what}: the policy could not be read")));
                return None;
            };
            check_text(
                ctx,
                text.to_string(),
                (v.span.start, true),
                kind,
                errors,
                warnings,
            )
        }
        ValueKind::String(s) => {
            let text = if s.trim_start().starts_with('{') {
                s.to_string()
            } else {
                match percent_decode(s) {
                    Ok(t) => t,
                    Err(m) => {
                        errors.push(ctx.error(
                            v.span,
                            format!("{what}: not a json object nor url-encoded json: {m}"),
                        ));
                        return None;
                    }
                }
            };
            check_text(ctx, text, (v.span.start, false), kind, errors, warnings)
        }
        _ => {
            errors.push(ctx.error(
                v.span,
                format!("{what}: a policy document must be a json object or a url-encoded string"),
            ));
            None
        }
    }
}

/// An I/O error as a lowercase message (`no such file or directory (os error 2)`).
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// Read the file named by the config value `rel` (relative to `base`). Problems are
/// reported at the config value.
fn read_named(
    cfg: &FileCtx,
    base: &Path,
    rel: &Spanned<String>,
    errors: &mut Vec<LoadError>,
) -> Option<FileCtx> {
    let path = base.join(rel.get_ref());
    match std::fs::read(&path) {
        Err(e) => {
            errors.push(cfg.error_spanned(
                rel,
                format!("cannot read `{}`: {}", path.display(), io_reason(&e)),
            ));
            None
        }
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(FileCtx::new(path, text)),
            Err(e) => {
                let ctx = FileCtx::new(path.clone(), String::new());
                errors.push(LoadError::at(
                    &ctx.origin(0),
                    format!(
                        "`{}` is not utf-8 (byte {})",
                        path.display(),
                        e.utf8_error().valid_up_to()
                    ),
                ));
                None
            }
        },
    }
}

/// Limits for account exports, which are far larger than single policies.
fn file_limits() -> Limits {
    Limits {
        max_bytes: 256 << 20,
        max_depth: 64,
        max_string_bytes: 16 << 20,
        max_members: 1_000_000,
    }
}

/// Parse `ctx` as JSON; reports syntax errors and duplicate keys.
fn parse_json<'t>(ctx: &'t FileCtx, errors: &mut Vec<LoadError>) -> Option<json::Document<'t>> {
    match json::parse(&ctx.text, &file_limits()) {
        Err(e) => {
            errors.push(ctx.error(e.span(), format!("invalid json: {}", e.message())));
            None
        }
        Ok(doc) => {
            for dup in &doc.duplicates {
                errors.push(ctx.error(dup.duplicate, format!("duplicate member `{}`", dup.key)));
            }
            Some(doc)
        }
    }
}

/// Where directory-wide unique values were first seen.
#[derive(Default)]
struct Seen {
    keys: HashMap<String, Origin>,
    serials: HashMap<String, Origin>,
}

/// Record `key` as first seen at `here`, or report the duplicate (`what` names the kind).
fn first_occurrence(
    seen: &mut HashMap<String, Origin>,
    key: &str,
    here: Origin,
    what: &str,
) -> Result<(), LoadError> {
    if let Some(first) = seen.get(key) {
        return Err(LoadError::at(
            &here,
            format!("duplicate {what} `{key}` (first at {first})"),
        ));
    }
    seen.insert(key.to_string(), here);
    Ok(())
}

/// Record the config value `value` as a directory-wide unique `what`; false (with the error
/// pushed) when it was seen before.
fn unique_in_directory(
    cfg: &FileCtx,
    seen: &mut HashMap<String, Origin>,
    value: &Spanned<String>,
    what: &str,
    errors: &mut Vec<LoadError>,
) -> bool {
    let here = cfg.origin(value.span().start);
    match first_occurrence(seen, value.get_ref(), here, what) {
        Ok(()) => true,
        Err(e) => {
            errors.push(e);
            false
        }
    }
}

/// The user of `account` named by the config value `name`; `None` (with the error pushed)
/// when there is none.
fn owning_user<'a>(
    cfg: &FileCtx,
    users: &'a mut [crate::directory::User],
    name: &Spanned<String>,
    account: &str,
    errors: &mut Vec<LoadError>,
) -> Option<&'a mut crate::directory::User> {
    let user_name = name.get_ref();
    let user = user_named(users, user_name);
    if user.is_none() {
        errors.push(cfg.error_spanned(
            name,
            format!("unknown user `{user_name}` in account `{account}`"),
        ));
    }
    user
}

/// The user called `name` (IAM user names compare case-insensitively).
fn user_named<'a>(
    users: &'a mut [crate::directory::User],
    name: &str,
) -> Option<&'a mut crate::directory::User> {
    users.iter_mut().find(|u| u.name.eq_ignore_ascii_case(name))
}

/// Load the directory described by `config_path`.
pub(super) fn load(config_path: &Path) -> Result<Directory, LoadErrors> {
    let text = match std::fs::read_to_string(config_path) {
        Ok(t) => t,
        Err(e) => {
            return Err(LoadErrors::single(LoadError {
                file: config_path.to_path_buf(),
                line: 0,
                col: 0,
                message: format!("cannot read the config: {}", io_reason(&e)),
            }));
        }
    };
    let cfg_ctx = FileCtx::new(config_path.to_path_buf(), text);
    let cfg: ConfigFile = match toml::from_str(&cfg_ctx.text) {
        Ok(c) => c,
        Err(e) => {
            let at = e.span().map_or(0, |r| r.start);
            return Err(LoadErrors::single(LoadError::at(
                &cfg_ctx.origin(at),
                format!(
                    "invalid config: {}",
                    e.message().trim_end().trim_end_matches('.')
                ),
            )));
        }
    };
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let base = config_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
    let mut seen = Seen::default();
    // Every configured account id (also of accounts with errors), for duplicate and
    // organization checks.
    let mut configured: BTreeMap<String, Origin> = BTreeMap::new();
    for acfg_s in &cfg.account {
        let acfg = acfg_s.get_ref();
        let result = load_account(
            &cfg_ctx,
            &base,
            acfg_s,
            &mut seen,
            &mut errors,
            &mut warnings,
        );
        let id = match &result {
            Ok(account) => account.id.clone(),
            Err(Some(id)) => id.clone(),
            Err(None) => continue,
        };
        let span = acfg
            .id
            .as_ref()
            .or(acfg.file.as_ref())
            .map_or_else(|| acfg_s.span(), |s| s.span());
        let here = cfg_ctx.origin(span.start);
        if let Some(first) = configured.get(&id) {
            errors.push(LoadError::at(
                &here,
                format!("account `{id}` is configured twice (first at {first})"),
            ));
            continue;
        }
        configured.insert(id, here);
        if let Ok(account) = result {
            accounts.insert(account.id.clone(), account);
        }
    }
    let organization = cfg.organization.as_ref().and_then(|org| {
        load_org(
            &cfg_ctx,
            &base,
            org,
            &configured,
            &mut errors,
            &mut warnings,
        )
    });
    let builtin = load_builtin(
        &cfg_ctx,
        &base,
        &cfg.builtin_provider,
        &mut errors,
        &mut warnings,
    );
    match LoadErrors::from_vec(errors) {
        Some(e) => Err(e),
        None => Ok(Directory::new(accounts, organization, builtin, warnings)),
    }
}

/// Read the JWK set of a provider, given either as a file (`jwks_file`) or inline (`jwks`);
/// exactly one of them must be present. Problems in inline text are reported at the config
/// value with their line:col inside the text. `None` when the set could not be read.
fn load_jwks(
    cfg: &FileCtx,
    base: &Path,
    file: Option<&Spanned<String>>,
    inline: Option<&Spanned<String>>,
    owner: &Spanned<String>,
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Option<Vec<Jwk>> {
    match (file, inline) {
        (Some(f), None) => {
            let jctx = read_named(cfg, base, f, errors)?;
            let doc = parse_json(&jctx, errors)?;
            Some(parse_jwks(&jctx, &doc.root, errors, warnings))
        }
        (None, Some(text)) => {
            let jctx = FileCtx::new(cfg.path.clone(), text.get_ref().clone());
            let (mut inner_errors, mut inner_warnings) = (Vec::new(), Vec::new());
            let keys = parse_json(&jctx, &mut inner_errors)
                .map(|doc| parse_jwks(&jctx, &doc.root, &mut inner_errors, &mut inner_warnings));
            let at = |e: LoadError| {
                cfg.error_spanned(
                    text,
                    format!("inline `jwks` at {}:{}: {}", e.line, e.col, e.message),
                )
            };
            errors.extend(inner_errors.into_iter().map(at));
            warnings.extend(inner_warnings.into_iter().map(at));
            keys
        }
        _ => {
            errors.push(cfg.error_spanned(
                owner,
                format!(
                    "provider `{}` needs exactly one of `jwks_file` and `jwks`",
                    owner.get_ref()
                ),
            ));
            None
        }
    }
}

/// The client ids (accepted audiences, 1 to 255 characters each) and the JWK set
/// (`jwks_file` or inline `jwks`, see [`load_jwks`]) of the web-identity provider `owner`.
/// `None` when the keys could not be read.
fn provider_keys(
    cfg: &FileCtx,
    base: &Path,
    owner: &Spanned<String>,
    client_ids: &[Spanned<String>],
    (jwks_file, jwks): (Option<&Spanned<String>>, Option<&Spanned<String>>),
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Option<(Vec<String>, Vec<Jwk>)> {
    for c in client_ids {
        if !(1..=255).contains(&c.get_ref().chars().count()) {
            errors.push(cfg.error_spanned(c, "client id must be 1 to 255 characters"));
        }
    }
    let keys = load_jwks(cfg, base, jwks_file, jwks, owner, errors, warnings)?;
    Some((
        client_ids.iter().map(|c| c.get_ref().clone()).collect(),
        keys,
    ))
}

/// Load the `[[builtin_provider]]` tables: only the built-in providers that issue OpenID
/// Connect ID tokens can be given keys.
fn load_builtin(
    cfg: &FileCtx,
    base: &Path,
    list: &[Spanned<BuiltinConfig>],
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Vec<BuiltinProvider> {
    let mut out: Vec<BuiltinProvider> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for bc in list {
        let bc = bc.get_ref();
        let host = bc.host.get_ref().as_str();
        if !BUILT_IN_OIDC_PROVIDERS.contains(&host) {
            let bare = host.strip_prefix("https://").unwrap_or(host);
            let message = if OAUTH_PROVIDERS.contains(&bare) {
                format!(
                    "`{bare}` issues OAuth 2.0 access tokens, which only the provider can \
                     validate (they are sent with `ProviderId`); it takes no keys"
                )
            } else if BUILT_IN_OIDC_PROVIDERS.contains(&bare) {
                format!("write the built-in provider as the host `{bare}`, without `https://`")
            } else {
                format!(
                    "`{host}` is not a built-in provider (expected `accounts.google.com` or \
                     `cognito-identity.amazonaws.com`); configure other issuers with \
                     `[[account.oidc_provider]]`"
                )
            };
            errors.push(cfg.error_spanned(&bc.host, message));
            continue;
        }
        if seen.contains(&host) {
            errors.push(cfg.error_spanned(
                &bc.host,
                format!("built-in provider `{host}` is configured twice"),
            ));
            continue;
        }
        seen.push(host);
        let jwks = (bc.jwks_file.as_ref(), bc.jwks.as_ref());
        let Some((client_ids, keys)) =
            provider_keys(cfg, base, &bc.host, &bc.client_ids, jwks, errors, warnings)
        else {
            continue;
        };
        out.push(BuiltinProvider {
            host: host.to_owned(),
            client_ids,
            keys,
            origin: cfg.origin(bc.host.span().start),
        });
    }
    out
}

/// `AKIA` + 16 characters of the base32 alphabet.
fn access_key_id_ok(id: &str) -> bool {
    id.len() == 20
        && id.starts_with("AKIA")
        && id
            .bytes()
            .skip(4)
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// 40 characters of the base64 alphabet.
fn secret_ok(secret: &str) -> bool {
    secret.len() == 40
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn load_account(
    cfg: &FileCtx,
    base: &Path,
    acfg_s: &Spanned<AccountConfig>,
    seen: &mut Seen,
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Result<Account, Option<String>> {
    let start = errors.len();
    let acfg = acfg_s.get_ref();
    if let Some(id) = &acfg.id {
        if !is_account_id(id.get_ref()) {
            errors.push(cfg.error_spanned(
                id,
                format!("account id `{}` must be 12 digits", id.get_ref()),
            ));
        }
    }
    let file_ctx = acfg
        .file
        .as_ref()
        .and_then(|f| read_named(cfg, base, f, errors));
    let doc = file_ctx.as_ref().and_then(|ctx| parse_json(ctx, errors));
    let id = match (&acfg.id, &doc, &acfg.file) {
        (Some(id), _, _) => id.get_ref().clone(),
        (None, Some(doc), Some(file)) => match authz::accounts_in(&doc.root).into_iter().next() {
            Some(id) => id,
            None => {
                errors.push(cfg.error_spanned(
                    file,
                    "cannot derive the account id: no arn in the file names a 12-digit account; set `id`",
                ));
                return Err(None);
            }
        },
        (None, None, Some(_)) => return Err(None),
        (None, _, None) => {
            errors.push(cfg.error_spanned(acfg_s, "an `[[account]]` needs `id` or `file`"));
            return Err(None);
        }
    };
    let mut data = match (&file_ctx, &doc) {
        (Some(ctx), Some(doc)) => authz::read_account(
            ctx,
            &doc.root,
            &id,
            acfg.allow_foreign_arns,
            errors,
            warnings,
        ),
        _ => authz::AuthzAccount::default(),
    };

    // Role settings the export lacks.
    let mut configured_roles: Vec<String> = Vec::new();
    for rc in &acfg.role {
        let rc = rc.get_ref();
        let name = rc.name.get_ref();
        if configured_roles
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
        {
            errors.push(cfg.error_spanned(&rc.name, format!("role `{name}` is configured twice")));
            continue;
        }
        configured_roles.push(name.clone());
        let Some(role) = data
            .roles
            .iter_mut()
            .find(|r| r.name.eq_ignore_ascii_case(name))
        else {
            errors.push(
                cfg.error_spanned(&rc.name, format!("unknown role `{name}` in account `{id}`")),
            );
            continue;
        };
        if let Some(d) = &rc.max_session_duration {
            match u32::try_from(*d.get_ref()) {
                Ok(v) if (3600..=43200).contains(&v) => role.max_session_duration = v,
                _ => errors.push(cfg.error_spanned(
                    d,
                    format!(
                        "max_session_duration `{}` of role `{name}` must be from 3600 to 43200",
                        d.get_ref()
                    ),
                )),
            }
        }
    }

    // AWS-managed policy documents the export lacks.
    for mc in &acfg.aws_managed_policy {
        let mc = mc.get_ref();
        let arn = mc.arn.get_ref();
        let is_aws =
            iam_arn(arn).is_some_and(|a| a.account == "aws" && a.resource.starts_with("policy/"));
        if !is_aws {
            errors.push(cfg.error_spanned(
                &mc.arn,
                format!("`{arn}` is not an aws-managed policy arn (`arn:aws:iam::aws:policy/...`)"),
            ));
            continue;
        }
        if data.managed.contains_key(arn) {
            errors.push(
                cfg.error_spanned(&mc.arn, format!("`{arn}` is already in the account file")),
            );
            continue;
        }
        let Some(pctx) = read_named(cfg, base, &mc.file, errors) else {
            continue;
        };
        let name = arn.rsplit('/').next().unwrap_or(arn).to_string();
        let what = format!("aws-managed policy `{arn}`");
        if let Some(policy) = check_text(
            &pctx,
            pctx.text.clone(),
            (0, true),
            &PolicyKind::managed(arn, &what, true),
            errors,
            warnings,
        ) {
            data.managed.insert(
                arn.clone(),
                ManagedPolicy {
                    arn: arn.clone(),
                    name,
                    aws_managed: true,
                    policy,
                },
            );
        }
    }

    // Managed-policy references.
    let mut unresolved: Vec<String> = Vec::new();
    for (arn, origin, what) in &data.references {
        if data.managed.contains_key(arn) {
            continue;
        }
        if iam_arn(arn).is_some_and(|a| a.account == "aws") {
            if !unresolved.contains(arn) {
                warnings.push(LoadError::at(
                    origin,
                    format!("aws-managed policy `{arn}` ({what}) has no document; lookups that need it fail"),
                ));
                unresolved.push(arn.clone());
            }
        } else {
            errors.push(LoadError::at(
                origin,
                format!("managed policy `{arn}` ({what}) is not in the account file"),
            ));
        }
    }

    // Long-term access keys.
    for kc in &acfg.access_key {
        let kc = kc.get_ref();
        let key_id = kc.id.get_ref();
        let mut ok = true;
        if !access_key_id_ok(key_id) {
            errors.push(cfg.error_spanned(
                &kc.id,
                format!("access key id `{key_id}` must be `AKIA` followed by 16 of A-Z and 2-7"),
            ));
            ok = false;
        }
        if !secret_ok(kc.secret.get_ref()) {
            errors.push(cfg.error_spanned(
                &kc.secret,
                format!(
                    "secret of access key `{key_id}` must be 40 characters of A-Z, a-z, 0-9, `+` and `/` (found {})",
                    kc.secret.get_ref().chars().count()
                ),
            ));
            ok = false;
        }
        ok &= unique_in_directory(cfg, &mut seen.keys, &kc.id, "access key id", errors);
        let Some(user) = owning_user(cfg, &mut data.users, &kc.user, &id, errors) else {
            continue;
        };
        if ok {
            user.access_keys.push(AccessKey {
                id: key_id.clone(),
                secret: Secret::new(kc.secret.get_ref().clone()),
                status: match kc.status {
                    Some(StatusConfig::Inactive) => KeyStatus::Inactive,
                    Some(StatusConfig::Active) | None => KeyStatus::Active,
                },
            });
        }
    }

    // MFA devices.
    for mc in &acfg.mfa_device {
        let mc = mc.get_ref();
        let serial = mc.serial.get_ref();
        let mut ok = true;
        if serial.starts_with("arn:") {
            let good = iam_arn(serial).is_some_and(|a| {
                a.account == id && a.resource.len() > 4 && a.resource.starts_with("mfa/")
            });
            if !good {
                errors.push(cfg.error_spanned(
                    &mc.serial,
                    format!("mfa serial `{serial}` must be `arn:aws:iam::{id}:mfa/<name>` or a hardware serial"),
                ));
                ok = false;
            }
        } else if !(9..=256).contains(&serial.chars().count())
            || !serial
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c))
        {
            errors.push(cfg.error_spanned(
                &mc.serial,
                format!(
                    "mfa serial `{serial}` must be 9 to 256 of letters, digits and `_+=/:,.@-`"
                ),
            ));
            ok = false;
        }
        let seed = match base32_decode(mc.totp_secret.get_ref()) {
            Some(bytes) if bytes.len() >= 10 => Some(bytes),
            Some(_) => {
                errors.push(cfg.error_spanned(
                    &mc.totp_secret,
                    format!(
                        "totp secret of `{serial}` is shorter than 80 bits (16 base32 characters)"
                    ),
                ));
                None
            }
            None => {
                errors.push(cfg.error_spanned(
                    &mc.totp_secret,
                    format!("totp secret of `{serial}` is not base32"),
                ));
                None
            }
        };
        ok &= unique_in_directory(cfg, &mut seen.serials, &mc.serial, "mfa serial", errors);
        let Some(user) = owning_user(cfg, &mut data.users, &mc.user, &id, errors) else {
            continue;
        };
        if let (true, Some(seed)) = (ok, seed) {
            user.mfa_devices.push(MfaDevice {
                serial: serial.clone(),
                seed: TotpSeed(seed),
            });
        }
    }

    // OIDC providers.
    let mut oidc_providers: Vec<OidcProvider> = Vec::new();
    let mut seen_issuers: Vec<String> = Vec::new();
    for oc in &acfg.oidc_provider {
        let oc = oc.get_ref();
        let url = oc.url.get_ref();
        let Some(rest) = url.strip_prefix("https://") else {
            errors.push(cfg.error_spanned(
                &oc.url,
                format!("oidc issuer `{url}` must start with `https://`"),
            ));
            continue;
        };
        let issuer = rest.strip_suffix('/').unwrap_or(rest).to_string();
        if issuer.is_empty() || issuer.starts_with('/') || url.contains(['?', '#', ' ']) {
            errors.push(cfg.error_spanned(
                &oc.url,
                format!(
                    "oidc issuer `{url}` must be `https://host[/path]` without query or fragment"
                ),
            ));
            continue;
        }
        if seen_issuers.contains(&issuer) {
            errors.push(cfg.error_spanned(
                &oc.url,
                format!("oidc provider `{issuer}` is configured twice"),
            ));
            continue;
        }
        seen_issuers.push(issuer.clone());
        if oc.client_ids.is_empty() {
            warnings.push(cfg.error_spanned(
                &oc.url,
                format!("oidc provider `{issuer}` has no client id: every token is refused"),
            ));
        }
        for t in &oc.thumbprints {
            if t.get_ref().len() != 40 || !t.get_ref().bytes().all(|b| b.is_ascii_hexdigit()) {
                errors.push(cfg.error_spanned(
                    t,
                    format!("thumbprint `{}` must be 40 hex digits", t.get_ref()),
                ));
            }
        }
        let jwks = (oc.jwks_file.as_ref(), oc.jwks.as_ref());
        let Some((client_ids, keys)) =
            provider_keys(cfg, base, &oc.url, &oc.client_ids, jwks, errors, warnings)
        else {
            continue;
        };
        oidc_providers.push(OidcProvider {
            arn: format!("arn:aws:iam::{id}:oidc-provider/{issuer}"),
            url: url.clone(),
            issuer,
            client_ids,
            thumbprints: oc
                .thumbprints
                .iter()
                .map(|t| t.get_ref().to_ascii_lowercase())
                .collect(),
            keys,
            origin: cfg.origin(oc.url.span().start),
        });
    }

    // SAML providers.
    let mut saml_providers: Vec<SamlProvider> = Vec::new();
    let mut seen_saml: Vec<String> = Vec::new();
    for sc in &acfg.saml_provider {
        let sc = sc.get_ref();
        let name = sc.name.get_ref();
        if !(1..=128).contains(&name.chars().count())
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            errors.push(cfg.error_spanned(
                &sc.name,
                format!(
                    "saml provider name `{name}` must be 1 to 128 of letters, digits and `._-`"
                ),
            ));
            continue;
        }
        if seen_saml.contains(name) {
            errors.push(cfg.error_spanned(
                &sc.name,
                format!("saml provider `{name}` is configured twice"),
            ));
            continue;
        }
        seen_saml.push(name.clone());
        let Some(mctx) = read_named(cfg, base, &sc.metadata_file, errors) else {
            continue;
        };
        if !mctx.text.contains("EntityDescriptor") {
            errors.push(LoadError::at(
                &mctx.origin(0),
                format!("saml metadata of `{name}` has no `EntityDescriptor` element"),
            ));
            continue;
        }
        saml_providers.push(SamlProvider {
            arn: format!("arn:aws:iam::{id}:saml-provider/{name}"),
            name: name.clone(),
            metadata_xml: mctx.text,
            origin: cfg.origin(sc.name.span().start),
        });
    }

    if errors.len() > start {
        return Err(Some(id));
    }
    Ok(Account {
        id,
        file: file_ctx.map(|c| c.path),
        users: data.users,
        groups: data.groups,
        roles: data.roles,
        managed_policies: data.managed,
        unresolved_policies: unresolved,
        oidc_providers,
        saml_providers,
    })
}

fn id_ok(id: &str, prefix: &str, min: usize, max: usize) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        (min..=max).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// `ou-` + 4..32 + `-` + 8..32, lowercase letters and digits.
fn ou_id_ok(id: &str) -> bool {
    id.strip_prefix("ou-")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(a, b)| {
            id_ok(&format!("x{a}"), "x", 4, 32) && id_ok(&format!("x{b}"), "x", 8, 32)
        })
}

const FULL_AWS_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const RCP_FULL_AWS_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// An AWS-owned policy attached by default.
fn builtin(
    cfg: &FileCtx,
    at: usize,
    name: &str,
    text: &str,
    ty: PolicyType,
    errors: &mut Vec<LoadError>,
) -> Option<PolicyText> {
    // RCPFullAWSAccess is the one RCP allowed to `Allow`; it is checked with the
    // resource-policy rules and then labelled as an RCP.
    let check_as = if ty == PolicyType::Rcp {
        PolicyType::Resource
    } else {
        ty
    };
    let mut ignored = Vec::new();
    let mut p = check_text(
        cfg,
        text.to_string(),
        (at, false),
        &PolicyKind {
            ty: check_as,
            ..PolicyKind::managed(name, name, true)
        },
        errors,
        &mut ignored,
    )?;
    p.policy_type = ty;
    Some(p)
}

fn load_org(
    cfg: &FileCtx,
    base: &Path,
    org_s: &Spanned<OrgConfig>,
    configured: &BTreeMap<String, Origin>,
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Option<Organization> {
    let start = errors.len();
    let org = org_s.get_ref();
    let org_at = org_s.span().start;
    if !id_ok(org.id.get_ref(), "o-", 10, 32) {
        errors.push(cfg.error_spanned(
            &org.id,
            format!(
                "organization id `{}` must be `o-` and 10 to 32 of a-z, 0-9",
                org.id.get_ref()
            ),
        ));
    }
    let root_id = org.root_id.get_ref().clone();
    if !id_ok(&root_id, "r-", 4, 32) {
        errors.push(cfg.error_spanned(
            &org.root_id,
            format!("root id `{root_id}` must be `r-` and 4 to 32 of a-z, 0-9"),
        ));
    }
    let mut units: BTreeMap<String, OrgUnit> = BTreeMap::new();
    units.insert(
        root_id.clone(),
        OrgUnit {
            id: root_id.clone(),
            name: "Root".to_string(),
            parent: None,
            accounts: Vec::new(),
        },
    );
    let mut unit_spans: HashMap<String, Range<usize>> = HashMap::new();
    for u in &org.unit {
        let u = u.get_ref();
        let uid = u.id.get_ref();
        if !ou_id_ok(uid) {
            errors.push(cfg.error_spanned(
                &u.id,
                format!("unit id `{uid}` must be `ou-` + 4 to 32 + `-` + 8 to 32 of a-z, 0-9"),
            ));
            continue;
        }
        if units.contains_key(uid) {
            errors.push(cfg.error_spanned(&u.id, format!("unit `{uid}` is defined twice")));
            continue;
        }
        unit_spans.insert(uid.clone(), u.id.span());
        units.insert(
            uid.clone(),
            OrgUnit {
                id: uid.clone(),
                name: u.name.get_ref().clone(),
                parent: Some(u.parent.get_ref().clone()),
                accounts: Vec::new(),
            },
        );
    }
    for u in &org.unit {
        let u = u.get_ref();
        let parent = u.parent.get_ref();
        if unit_spans.contains_key(u.id.get_ref()) && !units.contains_key(parent) {
            errors.push(cfg.error_spanned(
                &u.parent,
                format!(
                    "parent `{parent}` of unit `{}` is neither the root nor a unit",
                    u.id.get_ref()
                ),
            ));
        }
    }
    // Every unit must reach the root.
    for (uid, span) in &unit_spans {
        let mut node = uid.clone();
        let mut reached = false;
        for _ in 0..=units.len() {
            match units.get(&node).and_then(|u| u.parent.clone()) {
                None => {
                    reached = units.contains_key(&node);
                    break;
                }
                Some(p) => node = p,
            }
        }
        if !reached && units.contains_key(&node) {
            errors.push(cfg.error_range(span, format!("unit `{uid}` is in a parent cycle")));
        }
    }
    // Account placement.
    let mut account_parent: BTreeMap<String, String> = BTreeMap::new();
    let placements =
        org.accounts
            .iter()
            .map(|a| (a, root_id.clone()))
            .chain(org.unit.iter().flat_map(|u| {
                let u = u.get_ref();
                u.accounts.iter().map(move |a| (a, u.id.get_ref().clone()))
            }));
    for (a, parent) in placements {
        let acct = a.get_ref();
        if !is_account_id(acct) {
            errors.push(cfg.error_spanned(a, format!("account id `{acct}` must be 12 digits")));
            continue;
        }
        if !configured.contains_key(acct) {
            errors.push(cfg.error_spanned(
                a,
                format!("account `{acct}` is not configured (add an `[[account]]` with this id)"),
            ));
            continue;
        }
        if account_parent.contains_key(acct) {
            errors.push(cfg.error_spanned(
                a,
                format!("account `{acct}` is placed twice in the organization"),
            ));
            continue;
        }
        if let Some(u) = units.get_mut(&parent) {
            u.accounts.push(acct.clone());
        }
        account_parent.insert(acct.clone(), parent);
    }
    let mgmt = org.management_account.get_ref();
    if !account_parent.contains_key(mgmt) {
        errors.push(cfg.error_spanned(
            &org.management_account,
            format!("management account `{mgmt}` is not placed in the organization"),
        ));
    }
    // Policies.
    let mut scps: BTreeMap<String, Vec<PolicyText>> = BTreeMap::new();
    let mut rcps: BTreeMap<String, Vec<PolicyText>> = BTreeMap::new();
    let levels: Vec<String> = units.keys().chain(account_parent.keys()).cloned().collect();
    for level in &levels {
        if org.full_aws_access {
            if let Some(p) = builtin(
                cfg,
                org_at,
                "FullAWSAccess",
                FULL_AWS_ACCESS,
                PolicyType::Scp,
                errors,
            ) {
                scps.entry(level.clone()).or_default().push(p);
            }
        }
        if let Some(p) = builtin(
            cfg,
            org_at,
            "RCPFullAWSAccess",
            RCP_FULL_AWS_ACCESS,
            PolicyType::Rcp,
            errors,
        ) {
            rcps.entry(level.clone()).or_default().push(p);
        }
    }
    let mut names: Vec<String> = Vec::new();
    for pc in &org.policy {
        let pc = pc.get_ref();
        let name = pc.name.get_ref();
        if names.contains(name) {
            errors.push(cfg.error_spanned(
                &pc.name,
                format!("organization policy `{name}` is defined twice"),
            ));
            continue;
        }
        names.push(name.clone());
        let ty = match pc.kind {
            OrgKindConfig::Scp => PolicyType::Scp,
            OrgKindConfig::Rcp => PolicyType::Rcp,
        };
        let what = format!("{} `{name}`", ty);
        let kind = PolicyKind::inline(name, &what, ty);
        let policy = match (&pc.file, &pc.text) {
            (Some(f), None) => read_named(cfg, base, f, errors).and_then(|pctx| {
                check_text(&pctx, pctx.text.clone(), (0, true), &kind, errors, warnings)
            }),
            (None, Some(t)) => check_text(
                cfg,
                t.get_ref().clone(),
                (t.span().start, false),
                &kind,
                errors,
                warnings,
            ),
            _ => {
                errors.push(cfg.error_spanned(
                    &pc.name,
                    format!("organization policy `{name}` needs exactly one of `file` and `text`"),
                ));
                None
            }
        };
        if pc.targets.is_empty() {
            warnings.push(cfg.error_spanned(
                &pc.name,
                format!("organization policy `{name}` has no targets"),
            ));
        }
        for t in &pc.targets {
            let target = t.get_ref();
            if !units.contains_key(target) && !account_parent.contains_key(target) {
                errors.push(cfg.error_spanned(t, format!("target `{target}` of `{name}` is not the root, a unit or an account of the organization")));
                continue;
            }
            if let Some(p) = &policy {
                let table = if ty == PolicyType::Scp {
                    &mut scps
                } else {
                    &mut rcps
                };
                table.entry(target.clone()).or_default().push(p.clone());
            }
        }
    }
    if !org.full_aws_access {
        for level in &levels {
            if scps.get(level).is_none_or(|v| v.is_empty()) {
                let span = unit_spans
                    .get(level)
                    .cloned()
                    .unwrap_or_else(|| org_s.span());
                errors.push(cfg.error_range(
                    &span,
                    format!("`{level}` has no scp attached; aws requires at least one per level (or set `full_aws_access = true`)"),
                ));
            }
        }
    }
    if errors.len() > start {
        return None;
    }
    Some(Organization {
        id: org.id.get_ref().clone(),
        management_account: mgmt.clone(),
        root_id,
        units,
        scps,
        rcps,
        account_parent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_and_rejects_bad_ones() {
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D").unwrap(), "{\"a\":1}");
        assert_eq!(percent_decode("a+b").unwrap(), "a+b");
        assert!(percent_decode("%7").is_err());
        assert!(percent_decode("%zz").is_err());
        assert!(percent_decode("%ff").is_err());
    }

    #[test]
    fn base32_decodes_rfc4648_vectors() {
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw6ytboi").unwrap(), b"foobar");
        assert!(base32_decode("MZ1W").is_none());
    }

    #[test]
    fn access_key_and_secret_formats() {
        assert!(access_key_id_ok("AKIAIOSFODNN7EXAMPLE"));
        assert!(!access_key_id_ok("ASIAIOSFODNN7EXAMPLE"));
        assert!(!access_key_id_ok("AKIAIOSFODNN7EXAMPL1"));
        assert!(!access_key_id_ok("AKIAIOSFODNN7EXAMPL"));
        assert!(secret_ok("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(!secret_ok("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE"));
        assert!(!secret_ok("wJalrXUtnFEMI-K7MDENG/bPxRfiCYEXAMPLEKEY"));
    }

    #[test]
    fn organization_id_formats() {
        assert!(id_ok("o-a1b2c3d4e5", "o-", 10, 32));
        assert!(!id_ok("o-A1B2C3D4E5", "o-", 10, 32));
        assert!(ou_id_ok("ou-ab12-11111111"));
        assert!(!ou_id_ok("ou-ab12-111"));
        assert!(!ou_id_ok("ou-ab1211111111"));
    }
}
