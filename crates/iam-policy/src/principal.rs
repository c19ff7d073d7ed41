//! The request principal and the matching of `Principal` / `NotPrincipal` values
//! (evaluation.md §3, §7.10).
//!
//! Input: the caller's ARN (or service name, or `*` for anonymous) when a request is
//! built, and the `Principal` clauses of resource, trust and control policies when they
//! are compiled. Output: a classified [`RequestPrincipal`] and, per statement, the set
//! of match classes (`Wildcard`, `Direct`, `ViaRole`, `ViaParentUser`, `Account`) as a
//! bit set. Classification happens once per request; matching never allocates.

use std::fmt;

use crate::ast::{PrincipalClause, PrincipalKind as EntryKind, PrincipalValue};

/// What kind of caller made a request.
///
/// ```
/// use iam_policy::principal::{PrincipalKind, RequestPrincipal};
/// let p = RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
/// assert_eq!(p.kind(), PrincipalKind::RoleSession);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The account root user (`arn:aws:iam::ACCT:root`).
    Root,
    /// An IAM user (`arn:aws:iam::ACCT:user/path/name`).
    User,
    /// A role acting by itself (`arn:aws:iam::ACCT:role/path/name`).
    Role,
    /// A role session (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`).
    RoleSession,
    /// A `GetFederationToken` session (`arn:aws:sts::ACCT:federated-user/NAME`).
    FederatedUser,
    /// An AWS service principal such as `cloudtrail.amazonaws.com`.
    Service,
    /// An unsigned (anonymous) caller, written `*` or `anonymous`.
    Anonymous,
    /// A web-identity or SAML identity provider presenting a token or assertion to
    /// `AssumeRoleWithWebIdentity` / `AssumeRoleWithSAML`: an IAM OIDC provider ARN
    /// (`arn:aws:iam::ACCT:oidc-provider/HOST/PATH`), a SAML provider ARN
    /// (`arn:aws:iam::ACCT:saml-provider/NAME`) or a built-in provider name
    /// (`accounts.google.com`, `cognito-identity.amazonaws.com`, `www.amazon.com`,
    /// `graph.facebook.com`). Only `Federated` principal entries name it.
    IdentityProvider,
}

/// The built-in web-identity providers, named without an ARN in `Federated`
/// principal entries (policy-language.md §5.2).
///
/// ```
/// assert!(iam_policy::principal::WELL_KNOWN_PROVIDERS.contains(&"accounts.google.com"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const WELL_KNOWN_PROVIDERS: [&str; 4] = [
    "accounts.google.com",
    "cognito-identity.amazonaws.com",
    "www.amazon.com",
    "graph.facebook.com",
];

impl PrincipalKind {
    /// The lowercase name used in explanations.
    ///
    /// ```
    /// assert_eq!(iam_policy::principal::PrincipalKind::RoleSession.as_str(), "role session");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Root => "root",
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
            PrincipalKind::RoleSession => "role session",
            PrincipalKind::FederatedUser => "federated user",
            PrincipalKind::Service => "service principal",
            PrincipalKind::Anonymous => "anonymous",
            PrincipalKind::IdentityProvider => "identity provider",
        }
    }

    /// True for callers that sign with IAM credentials of an account (they have an
    /// account, identity policies and are governed by SCPs).
    ///
    /// ```
    /// assert!(!iam_policy::principal::PrincipalKind::Anonymous.is_account_principal());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_account_principal(self) -> bool {
        matches!(
            self,
            PrincipalKind::Root
                | PrincipalKind::User
                | PrincipalKind::Role
                | PrincipalKind::RoleSession
                | PrincipalKind::FederatedUser
        )
    }
}

/// A principal string that is not a caller iamctl can model.
///
/// ```
/// use iam_policy::principal::RequestPrincipal;
/// let err = RequestPrincipal::parse("arn:aws:iam::12:user/x").unwrap_err();
/// assert!(err.to_string().contains("12-digit"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PrincipalError {
    message: String,
}

fn bad(message: String) -> PrincipalError {
    PrincipalError { message }
}

/// The caller of a request, classified once (evaluation.md §1, §10).
///
/// ```
/// use iam_policy::principal::{PrincipalKind, RequestPrincipal};
/// let p = RequestPrincipal::parse("arn:aws:iam::111122223333:user/team/alice")?;
/// assert_eq!(p.kind(), PrincipalKind::User);
/// assert_eq!(p.account(), Some("111122223333"));
/// assert_eq!(p.name(), "alice");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPrincipal {
    text: String,
    kind: PrincipalKind,
    account: String,
    /// User name, role name, federated-user name or service name.
    name: String,
    /// Session name of a role session.
    session: String,
    /// Role ARN with path (role sessions and roles), when known.
    role_arn: Option<String>,
    /// The IAM user that called `GetFederationToken` (federated users), when known.
    parent_user: Option<String>,
    /// Unique id: `AIDA…` of a user, `AROA…` of a role (or of a session's role).
    unique_id: Option<String>,
    service_linked: bool,
}

impl RequestPrincipal {
    /// Classify `text`: an IAM user, role, role-session, federated-user or root ARN, a
    /// service principal name, an identity provider (OIDC or SAML provider ARN, or a
    /// name of [`WELL_KNOWN_PROVIDERS`]), or `*` / `anonymous` for an unsigned caller.
    ///
    /// ```
    /// let p = iam_policy::principal::RequestPrincipal::parse("cloudtrail.amazonaws.com")?;
    /// assert_eq!(p.kind(), iam_policy::principal::PrincipalKind::Service);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Result<RequestPrincipal, PrincipalError> {
        let mut p = RequestPrincipal {
            text: text.to_string(),
            kind: PrincipalKind::Anonymous,
            account: String::new(),
            name: String::new(),
            session: String::new(),
            role_arn: None,
            parent_user: None,
            unique_id: None,
            service_linked: false,
        };
        if text == "*" || text.eq_ignore_ascii_case("anonymous") {
            return Ok(p);
        }
        if !text.starts_with("arn:") {
            if text.is_empty() || text.contains(|c: char| c.is_whitespace() || c == ':') {
                return Err(bad(format!(
                    "principal `{text}` is not an ARN, a service principal or `*`"
                )));
            }
            if !text.contains('.') {
                return Err(bad(format!(
                    "principal `{text}` is not an ARN, a service principal or `*`"
                )));
            }
            p.kind = if WELL_KNOWN_PROVIDERS.contains(&text) {
                PrincipalKind::IdentityProvider
            } else {
                PrincipalKind::Service
            };
            p.name = text.to_string();
            return Ok(p);
        }
        let mut parts = text.splitn(6, ':');
        let (_, _partition, service, _region, account, resource) = (
            parts.next(),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next(),
        );
        let Some(resource) = resource else {
            return Err(bad(format!("principal `{text}` is not a six-part ARN")));
        };
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!(
                "principal `{text}` does not have a 12-digit account id"
            )));
        }
        p.account = account.to_string();
        let last_segment = |r: &str| r.rsplit('/').next().unwrap_or("").to_string();
        match (service, resource) {
            ("iam", "root") => p.kind = PrincipalKind::Root,
            ("iam", r) if r.starts_with("user/") => {
                p.kind = PrincipalKind::User;
                p.name = last_segment(r);
            }
            ("iam", r) if r.starts_with("role/") => {
                p.kind = PrincipalKind::Role;
                p.name = last_segment(r);
                p.role_arn = Some(text.to_string());
                p.service_linked = r.starts_with("role/aws-service-role/");
            }
            ("sts", r) if r.starts_with("assumed-role/") => {
                let mut it = r.splitn(3, '/').skip(1);
                let (role, session) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
                if role.is_empty() || session.is_empty() {
                    return Err(bad(format!(
                        "role-session principal `{text}` needs a role name and a session name"
                    )));
                }
                p.kind = PrincipalKind::RoleSession;
                p.name = role.to_string();
                p.session = session.to_string();
                p.service_linked = role.starts_with("AWSServiceRoleFor");
            }
            ("sts", r) if r.starts_with("federated-user/") => {
                p.kind = PrincipalKind::FederatedUser;
                p.name = last_segment(r);
            }
            ("iam", r) if r.starts_with("oidc-provider/") || r.starts_with("saml-provider/") => {
                p.kind = PrincipalKind::IdentityProvider;
                p.name = r.split_once('/').map_or("", |(_, n)| n).to_string();
            }
            _ => {
                return Err(bad(format!(
                "principal `{text}` is not a user, role, role-session, federated-user, root or identity-provider ARN"
            )))
            }
        }
        if p.name.is_empty() && p.kind != PrincipalKind::Root {
            return Err(bad(format!("principal `{text}` has an empty name")));
        }
        Ok(p)
    }

    /// Record the role ARN (with its path) of a role session. Ignored unless it names
    /// a role with the session's account and role name.
    ///
    /// ```
    /// let mut p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// p.set_role_arn("arn:aws:iam::111122223333:role/team/app");
    /// assert_eq!(p.role_arn(), Some("arn:aws:iam::111122223333:role/team/app"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_role_arn(&mut self, role_arn: &str) {
        if let Ok(role) = RequestPrincipal::parse(role_arn) {
            if matches!(self.kind, PrincipalKind::RoleSession | PrincipalKind::Role)
                && role.kind == PrincipalKind::Role
                && role.account == self.account
                && role.name == self.name
            {
                self.service_linked |= role.service_linked;
                self.role_arn = Some(role_arn.to_string());
            }
        }
    }

    /// Record the IAM user that called `GetFederationToken` (federated users only).
    ///
    /// ```
    /// let mut p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:federated-user/f")?;
    /// p.set_parent_user("arn:aws:iam::111122223333:user/alice");
    /// assert_eq!(p.name(), "f");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_parent_user(&mut self, user_arn: &str) {
        if self.kind == PrincipalKind::FederatedUser {
            self.parent_user = Some(user_arn.to_string());
        }
    }

    /// Record the unique id: `AIDA…` for a user, `AROA…` for a role or a session's role
    /// (an `aws:userid` value `AROA…:session` is accepted and cut at the colon).
    ///
    /// ```
    /// let mut p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// p.set_unique_id("AROAEXAMPLE:s1");
    /// assert_eq!(p.name(), "app");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_unique_id(&mut self, id: &str) {
        let id = id.split(':').next().unwrap_or(id);
        if !id.is_empty() {
            self.unique_id = Some(id.to_string());
        }
    }

    /// Mark the caller as a service-linked role (SCPs never apply to it).
    ///
    /// ```
    /// let mut p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// p.set_service_linked(true);
    /// assert!(p.is_service_linked());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_service_linked(&mut self, yes: bool) {
        self.service_linked = yes;
    }

    /// The kind of caller.
    ///
    /// ```
    /// let p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// assert_eq!(p.kind(), iam_policy::principal::PrincipalKind::RoleSession);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The text the principal was built from.
    ///
    /// ```
    /// let p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// assert_eq!(p.as_str(), "arn:aws:sts::111122223333:assumed-role/app/s1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The caller's account; `None` for service principals, anonymous callers and
    /// built-in identity providers (an OIDC or SAML provider ARN gives its account).
    ///
    /// ```
    /// let p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// assert_eq!(p.account(), Some("111122223333"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn account(&self) -> Option<&str> {
        if self.account.is_empty() {
            None
        } else {
            Some(&self.account)
        }
    }

    /// User, role, federated-user or service name, or an identity provider's
    /// `HOST/PATH` / SAML name / built-in name (empty for root and anonymous).
    ///
    /// ```
    /// let p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// assert_eq!(p.name(), "app");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True for a service-linked role or one of its sessions.
    ///
    /// ```
    /// let p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// assert!(!p.is_service_linked());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_service_linked(&self) -> bool {
        self.service_linked
    }

    /// The role ARN with path of a role or role session, when known.
    ///
    /// ```
    /// let p = iam_policy::principal::RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1")?;
    /// assert_eq!(p.role_arn(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }
}

impl fmt::Display for RequestPrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Match classes of a `Principal` value against the caller (evaluation.md §3), as bits.
pub(crate) mod class {
    /// `"*"` or `{"AWS": "*"}`.
    pub const WILDCARD: u8 = 1;
    /// The caller itself (user, session, federated user, service, root).
    pub const DIRECT: u8 = 2;
    /// The role of a calling session.
    pub const VIA_ROLE: u8 = 4;
    /// The IAM user behind a federated-user session.
    pub const VIA_PARENT_USER: u8 = 8;
    /// The caller's account.
    pub const ACCOUNT: u8 = 16;

    /// Names of the set bits, for explanations.
    pub fn names(bits: u8) -> Vec<&'static str> {
        [
            (WILDCARD, "wildcard"),
            (DIRECT, "direct"),
            (VIA_ROLE, "via-role"),
            (VIA_PARENT_USER, "via-parent-user"),
            (ACCOUNT, "account"),
        ]
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect()
    }
}

/// One compiled entry of a `Principal` / `NotPrincipal` value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Wildcard,
    Account(String),
    /// A user, session or federated-user ARN: compared exactly.
    Exact(String),
    Role {
        account: String,
        name: String,
    },
    UniqueId(String),
    /// A `Service` name: compared exactly with a service-principal caller.
    Service(String),
    /// A `Federated` provider (ARN or built-in name): compared exactly with an
    /// identity-provider caller.
    Federated(String),
    /// Something that can never match (canonical user ids, malformed values).
    Never,
}

/// A compiled `Principal` or `NotPrincipal` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalMatcher {
    pub(crate) negated: bool,
    entries: Vec<Entry>,
}

fn compile_aws(value: &str) -> Entry {
    if value == "*" {
        return Entry::Wildcard;
    }
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Entry::Account(value.to_string());
    }
    if !value.starts_with("arn:") {
        if value.starts_with("AIDA") || value.starts_with("AROA") {
            return Entry::UniqueId(value.to_string());
        }
        return Entry::Never;
    }
    let mut parts = value.splitn(6, ':');
    let service = parts.nth(2).unwrap_or("");
    let account = parts.nth(1).unwrap_or("");
    let resource = parts.next().unwrap_or("");
    if value.contains(['*', '?']) {
        return Entry::Never;
    }
    match (service, resource) {
        ("iam", "root") => Entry::Account(account.to_string()),
        ("iam", r) if r.starts_with("role/") => Entry::Role {
            account: account.to_string(),
            name: r.rsplit('/').next().unwrap_or("").to_string(),
        },
        ("iam", r) if r.starts_with("user/") => Entry::Exact(value.to_string()),
        ("sts", r) if r.starts_with("assumed-role/") || r.starts_with("federated-user/") => {
            Entry::Exact(value.to_string())
        }
        _ => Entry::Never,
    }
}

impl PrincipalMatcher {
    /// Compile a clause of the AST.
    pub(crate) fn compile(clause: &PrincipalClause) -> PrincipalMatcher {
        let entries = match &clause.value {
            PrincipalValue::Any => vec![Entry::Wildcard],
            PrincipalValue::Map(map) => map
                .iter()
                .flat_map(|e| {
                    e.values.items.iter().map(move |v| match e.kind.value {
                        EntryKind::Aws => compile_aws(&v.value),
                        EntryKind::Service => Entry::Service(v.value.clone()),
                        EntryKind::Federated => Entry::Federated(v.value.clone()),
                        EntryKind::CanonicalUser => Entry::Never,
                    })
                })
                .collect(),
        };
        PrincipalMatcher {
            negated: clause.negated,
            entries,
        }
    }

    /// The classes (bits of [`class`]) under which this clause's entries match `p`,
    /// ignoring negation.
    pub(crate) fn classes(&self, p: &RequestPrincipal) -> u8 {
        if let [Entry::Wildcard] = self.entries.as_slice() {
            // `"Principal": "*"`, the usual clause of resource-policy denies.
            return class::WILDCARD;
        }
        self.entries
            .iter()
            .fold(0, |acc, e| acc | entry_class(e, p))
    }

    /// For `NotPrincipal`: true when the caller counts as listed. `chain` = every identity
    /// of the caller's chain (account, role, session / user) must be listed
    /// (evaluation.md §7.10); otherwise any single match is enough.
    pub(crate) fn lists(&self, p: &RequestPrincipal, chain: bool) -> bool {
        if self.entries.contains(&Entry::Wildcard) {
            return true;
        }
        if !chain {
            return self.classes(p) != 0;
        }
        let account_listed = || {
            self.entries
                .iter()
                .any(|e| matches!(e, Entry::Account(a) if *a == p.account))
        };
        let exact_listed = || {
            self.entries
                .iter()
                .any(|e| matches!(e, Entry::Exact(a) if *a == p.text))
        };
        let id_listed = || {
            p.unique_id.as_ref().is_some_and(|id| {
                self.entries
                    .iter()
                    .any(|e| matches!(e, Entry::UniqueId(u) if u == id))
            })
        };
        let role_listed = || {
            id_listed()
                || self.entries.iter().any(|e| {
                    matches!(e, Entry::Role { account, name } if *account == p.account && *name == p.name)
                })
        };
        match p.kind {
            PrincipalKind::Anonymous => false,
            PrincipalKind::Service | PrincipalKind::IdentityProvider => self.classes(p) != 0,
            PrincipalKind::Root => account_listed(),
            PrincipalKind::User => account_listed() && (exact_listed() || id_listed()),
            PrincipalKind::Role => account_listed() && role_listed(),
            PrincipalKind::RoleSession => account_listed() && role_listed() && exact_listed(),
            PrincipalKind::FederatedUser => account_listed() && exact_listed(),
        }
    }
}

/// String equality without a library call for short names.
fn same(a: &str, b: &str) -> bool {
    crate::pattern::fast_eq(a.as_bytes(), b.as_bytes())
}

fn entry_class(e: &Entry, p: &RequestPrincipal) -> u8 {
    use class::*;
    match e {
        Entry::Wildcard => WILDCARD,
        Entry::Never => 0,
        Entry::Account(a) => {
            if !p.kind.is_account_principal() || !same(a, &p.account) {
                0
            } else if p.kind == PrincipalKind::Root {
                DIRECT | ACCOUNT
            } else {
                ACCOUNT
            }
        }
        Entry::Exact(arn) => {
            let direct = matches!(
                p.kind,
                PrincipalKind::User | PrincipalKind::RoleSession | PrincipalKind::FederatedUser
            ) && same(arn, &p.text);
            let parent = p.kind == PrincipalKind::FederatedUser
                && p.parent_user.as_deref() == Some(arn.as_str());
            (if direct { DIRECT } else { 0 }) | (if parent { VIA_PARENT_USER } else { 0 })
        }
        Entry::Role { account, name } => {
            if !same(account, &p.account) || !same(name, &p.name) {
                0
            } else {
                match p.kind {
                    PrincipalKind::Role => DIRECT,
                    PrincipalKind::RoleSession => VIA_ROLE,
                    _ => 0,
                }
            }
        }
        Entry::UniqueId(id) => {
            if p.unique_id.as_deref() != Some(id.as_str()) {
                0
            } else {
                match p.kind {
                    PrincipalKind::User | PrincipalKind::Role => DIRECT,
                    PrincipalKind::RoleSession => VIA_ROLE,
                    _ => 0,
                }
            }
        }
        Entry::Service(n) => {
            if p.kind == PrincipalKind::Service && *n == p.text {
                DIRECT
            } else {
                0
            }
        }
        Entry::Federated(n) => {
            if p.kind == PrincipalKind::IdentityProvider && *n == p.text {
                DIRECT
            } else {
                0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::class::*;
    use super::*;
    use crate::ast::{ListForm, PrincipalEntry, Spanned, ValueList};
    use crate::source::Span;

    fn clause(negated: bool, aws: &[&str]) -> PrincipalMatcher {
        typed(negated, EntryKind::Aws, aws)
    }

    fn typed(negated: bool, kind: EntryKind, aws: &[&str]) -> PrincipalMatcher {
        let items = aws
            .iter()
            .map(|s| Spanned::new(s.to_string(), Span::default()))
            .collect();
        PrincipalMatcher::compile(&PrincipalClause {
            negated,
            value: PrincipalValue::Map(vec![PrincipalEntry {
                kind: Spanned::new(kind, Span::default()),
                values: ValueList {
                    items,
                    form: ListForm::Array,
                    span: Span::default(),
                },
            }]),
            key_span: Span::default(),
            span: Span::default(),
        })
    }

    fn p(text: &str) -> RequestPrincipal {
        RequestPrincipal::parse(text).unwrap()
    }

    #[test]
    fn principal_kinds_are_classified_from_their_arns() {
        let cases = [
            ("arn:aws:iam::111122223333:root", PrincipalKind::Root),
            ("arn:aws:iam::111122223333:user/a/b", PrincipalKind::User),
            ("arn:aws:iam::111122223333:role/x/r", PrincipalKind::Role),
            (
                "arn:aws:sts::111122223333:assumed-role/r/s",
                PrincipalKind::RoleSession,
            ),
            (
                "arn:aws:sts::111122223333:federated-user/f",
                PrincipalKind::FederatedUser,
            ),
            ("cloudtrail.amazonaws.com", PrincipalKind::Service),
            ("*", PrincipalKind::Anonymous),
            ("Anonymous", PrincipalKind::Anonymous),
            (
                "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
                PrincipalKind::IdentityProvider,
            ),
            (
                "arn:aws:iam::111122223333:saml-provider/corp",
                PrincipalKind::IdentityProvider,
            ),
            ("accounts.google.com", PrincipalKind::IdentityProvider),
            (
                "cognito-identity.amazonaws.com",
                PrincipalKind::IdentityProvider,
            ),
        ];
        for (text, kind) in cases {
            assert_eq!(p(text).kind(), kind, "{text}");
        }
    }

    #[test]
    fn malformed_principals_are_rejected() {
        for text in [
            "",
            "bob",
            "arn:aws:iam::1:user/x",
            "arn:aws:iam::111122223333",
            "arn:aws:sts::111122223333:assumed-role/r",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::111122223333:oidc-provider/",
            "arn:aws:iam::111122223333:saml-provider/",
        ] {
            assert!(RequestPrincipal::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn role_arn_with_path_matches_its_sessions_as_via_role() {
        let m = clause(false, &["arn:aws:iam::111122223333:role/team/app"]);
        assert_eq!(
            m.classes(&p("arn:aws:sts::111122223333:assumed-role/app/s1")),
            VIA_ROLE
        );
        assert_eq!(
            m.classes(&p("arn:aws:sts::444455556666:assumed-role/app/s1")),
            0
        );
        assert_eq!(m.classes(&p("arn:aws:iam::111122223333:role/app")), DIRECT);
    }

    #[test]
    fn account_forms_match_account_principals_but_not_anonymous() {
        let m = clause(false, &["111122223333"]);
        let r = clause(false, &["arn:aws:iam::111122223333:root"]);
        let alice = p("arn:aws:iam::111122223333:user/alice");
        assert_eq!(m.classes(&alice), ACCOUNT);
        assert_eq!(r.classes(&alice), ACCOUNT);
        assert_eq!(
            r.classes(&p("arn:aws:iam::111122223333:root")),
            DIRECT | ACCOUNT
        );
        assert_eq!(m.classes(&p("*")), 0);
        assert_eq!(m.classes(&p("s3.amazonaws.com")), 0);
    }

    #[test]
    fn federated_user_parent_grant_is_via_parent_user() {
        let m = clause(false, &["arn:aws:iam::111122223333:user/alice"]);
        let mut fed = p("arn:aws:sts::111122223333:federated-user/fed1");
        assert_eq!(m.classes(&fed), 0);
        fed.set_parent_user("arn:aws:iam::111122223333:user/alice");
        assert_eq!(m.classes(&fed), VIA_PARENT_USER);
    }

    #[test]
    fn wildcard_principal_matches_everyone() {
        let m = clause(false, &["*"]);
        assert_eq!(m.classes(&p("*")), WILDCARD);
        assert_eq!(m.classes(&p("sns.amazonaws.com")), WILDCARD);
    }

    #[test]
    fn not_principal_chain_needs_account_and_user_listed() {
        let alice = p("arn:aws:iam::111122223333:user/alice");
        let only_user = clause(true, &["arn:aws:iam::111122223333:user/alice"]);
        let both = clause(
            true,
            &[
                "arn:aws:iam::111122223333:user/alice",
                "arn:aws:iam::111122223333:root",
            ],
        );
        assert!(!only_user.lists(&alice, true));
        assert!(only_user.lists(&alice, false));
        assert!(both.lists(&alice, true));
        assert!(!both.lists(&p("*"), true));
    }

    #[test]
    fn wildcards_inside_principal_arns_never_match() {
        let m = clause(false, &["arn:aws:iam::111122223333:user/*"]);
        assert_eq!(m.classes(&p("arn:aws:iam::111122223333:user/alice")), 0);
    }

    const OIDC: &str = "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/A1";
    const SAML: &str = "arn:aws:iam::111122223333:saml-provider/corp";

    #[test]
    fn identity_provider_callers_carry_their_account_and_name() {
        let oidc = p(OIDC);
        assert_eq!(oidc.account(), Some("111122223333"));
        assert_eq!(oidc.name(), "oidc.example.com/id/A1");
        assert_eq!(p(SAML).name(), "corp");
        assert_eq!(p("accounts.google.com").account(), None);
        assert!(!PrincipalKind::IdentityProvider.is_account_principal());
    }

    #[test]
    fn federated_entry_matches_exactly_its_provider() {
        let m = typed(false, EntryKind::Federated, &[OIDC]);
        assert_eq!(m.classes(&p(OIDC)), DIRECT);
        assert_eq!(
            m.classes(&p(
                "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/B2"
            )),
            0
        );
        assert_eq!(m.classes(&p(SAML)), 0);
        let g = typed(false, EntryKind::Federated, &["accounts.google.com"]);
        assert_eq!(g.classes(&p("accounts.google.com")), DIRECT);
        assert_eq!(g.classes(&p("www.amazon.com")), 0);
        assert!(g.lists(&p("accounts.google.com"), true));
    }

    #[test]
    fn providers_are_not_matched_by_aws_service_or_account_entries() {
        let by_aws = clause(
            false,
            &[OIDC, "111122223333", "arn:aws:iam::111122223333:root"],
        );
        assert_eq!(by_aws.classes(&p(OIDC)), 0);
        let by_service = typed(false, EntryKind::Service, &["accounts.google.com"]);
        assert_eq!(by_service.classes(&p("accounts.google.com")), 0);
        let federated_service = typed(false, EntryKind::Federated, &["sns.amazonaws.com"]);
        assert_eq!(federated_service.classes(&p("sns.amazonaws.com")), 0);
    }

    #[test]
    fn wildcard_principal_matches_identity_providers() {
        assert_eq!(clause(false, &["*"]).classes(&p(OIDC)), WILDCARD);
        assert_eq!(
            clause(false, &["*"]).classes(&p("www.amazon.com")),
            WILDCARD
        );
    }
}
