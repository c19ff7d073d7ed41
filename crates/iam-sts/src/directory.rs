//! Directory: the accounts, users, groups, roles, policies, identity providers and
//! organization the token service answers for.
//!
//! Stage: configuration loading (before any request is served). Input: one TOML config
//! file naming one `aws iam get-account-authorization-details` JSON file per account, plus
//! what that JSON lacks (long-term access keys, MFA seeds, role session limits, OIDC and
//! SAML providers, AWS-managed policy documents, the organization with its SCPs and RCPs).
//! Output: an immutable [`Directory`] with lookups for the STS operations, or
//! [`LoadErrors`] listing **every** problem found, each with file and line:col. It never
//! returns a half-loaded directory, never panics on bad input, and never prints secrets
//! (access-key secrets and TOTP seeds show as `***` in `Debug`).
//!
//! Policy documents are kept as their text plus the document parsed and validated by
//! `iam_policy::check_policy`; a document with an error-severity diagnostic fails the load.
//!
//! # Config file
//!
//! Relative paths are resolved against the folder holding the config file. A complete
//! example:
//!
//! ```toml
//! # one table per account
//! [[account]]
//! id = "111122223333"              # 12 digits; may be omitted when `file` is given: it is
//!                                  # then derived from the ARNs inside the file
//! file = "accounts/prod.json"      # output of `aws iam get-account-authorization-details`;
//!                                  # optional (an account with no IAM entities)
//! allow_foreign_arns = false       # true accepts entities whose ARN names another account
//!                                  # (merged snapshots); they keep their own ARN
//!
//! [[account.access_key]]           # long-term keys of IAM users
//! user = "alice"                   # a user of this account
//! id = "AKIAIOSFODNN7EXAMPLE"      # `AKIA` + 16 of A-Z and 2-7; unique in the directory
//! secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"   # 40 base64 characters
//! status = "active"                # or "inactive"; default "active"
//!
//! [[account.mfa_device]]
//! user = "alice"
//! serial = "arn:aws:iam::111122223333:mfa/alice"   # virtual-device ARN of this account,
//!                                                  # or a hardware serial (9-256 chars)
//! totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" # base32 seed, at least 80 bits
//!
//! [[account.role]]                 # settings the JSON export does not carry
//! name = "deploy"
//! max_session_duration = 7200      # 3600..=43200, default 3600
//!
//! [[account.oidc_provider]]
//! url = "https://token.actions.githubusercontent.com"   # https, no query or fragment
//! client_ids = ["sts.amazonaws.com"]                    # accepted `aud` values
//! thumbprints = ["6938fd4d98bab03faadb97b34396831e3780aea1"]   # 40 hex each, optional
//! jwks_file = "jwks/github.json"   # the provider's JWK set (RSA or EC P-256/384/521 keys);
//!                                  # or inline: jwks = '''{"keys": [...]}'''
//!
//! [[account.saml_provider]]
//! name = "corp-idp"                # ARN arn:aws:iam::<account>:saml-provider/<name>
//! metadata_file = "saml/corp-idp.xml"   # stored as text, verified by the SAML operation
//!
//! [[account.aws_managed_policy]]   # documents of AWS-managed policies the export lacks
//! arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
//! file = "aws-managed/ReadOnlyAccess.json"
//!
//! # Built-in web-identity providers (all accounts): AWS knows their keys, an offline
//! # directory must declare them. Trust policies name them by host:
//! # `"Federated": "accounts.google.com"`.
//! [[builtin_provider]]
//! host = "accounts.google.com"     # or "cognito-identity.amazonaws.com"; `www.amazon.com`
//!                                  # and `graph.facebook.com` take no keys (their OAuth 2.0
//!                                  # access tokens need the network)
//! jwks_file = "jwks/google.json"   # or inline `jwks`, as for an OIDC provider
//! # client_ids = ["…apps.googleusercontent.com"]  # optional; omitted, any audience is
//! #                                # accepted (as in AWS) and the trust policy tests `:aud`
//!
//! [[builtin_provider]]
//! host = "cognito-identity.amazonaws.com"
//! jwks = '''{"keys": [{"kty": "EC", "kid": "c1", "crv": "P-256",
//!   "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
//!   "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}'''
//!
//! [organization]
//! id = "o-a1b2c3d4e5"              # o- + 10 to 32 of a-z, 0-9
//! management_account = "444455556666"   # must be a configured account in the tree
//! root_id = "r-ab12"               # r- + 4 to 32 of a-z, 0-9
//! accounts = ["444455556666"]      # accounts directly under the root
//! full_aws_access = true           # attach `FullAWSAccess` to every level (AWS's
//!                                  # default); false: every level needs its own SCP
//!
//! [[organization.unit]]
//! id = "ou-ab12-11111111"          # ou- + 4 to 32 + - + 8 to 32 of a-z, 0-9
//! name = "prod"
//! parent = "r-ab12"                # the root or another unit
//! accounts = ["111122223333"]
//!
//! [[organization.policy]]
//! name = "deny-leave"
//! kind = "scp"                     # "scp" or "rcp"
//! file = "scp/deny-leave.json"     # or: text = '''{ "Version": ... }'''
//! targets = ["r-ab12", "ou-ab12-11111111", "111122223333"]   # root, units or accounts
//! ```
//!
//! `RCPFullAWSAccess` is always attached to every level (AWS does not let it be
//! detached). SCPs and RCPs never apply to the management account, so
//! [`Directory::scp_chain`] and [`Directory::rcp_chain`] return `None` for it.
//!
//! # AWS-managed policies
//!
//! An export may reference `arn:aws:iam::aws:policy/...` without including its document.
//! Such a reference is not a load error (it is listed in [`Directory::warnings`]); the
//! lookups that would need the document ([`Directory::policies_of_user`],
//! [`Directory::policies_of_role`], [`Directory::boundary_of_user`], …) return
//! [`UnresolvedPolicy`] so a caller fails closed instead of silently dropping a policy
//! (which could hold a `Deny`). Supply the document with `[[account.aws_managed_policy]]`.
//! A customer-managed policy that is referenced but missing is a load error.

mod authz;
mod config;
mod jwks;
mod load;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use iam_policy::ast::PolicyDocument;
use iam_policy::PolicyType;

use crate::sigv4::SecretKey;

pub use jwks::{EcCurve, Jwk, JwkKey};

/// Where something was written: a file and a 1-based line and column (characters).
/// Line and column are 0 when the problem concerns the whole file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// Line, from 1 (0: the whole file).
    pub line: usize,
    /// Column in characters, from 1 (0: the whole file).
    pub col: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
        }
    }
}

/// One problem found while loading a directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LoadError {
    /// The file the problem is in.
    pub file: PathBuf,
    /// Line, from 1 (0 when the problem concerns the whole file).
    pub line: usize,
    /// Column in characters, from 1 (0 when the problem concerns the whole file).
    pub col: usize,
    /// What is wrong, lowercase, user values in backticks.
    pub message: String,
}

impl LoadError {
    fn at(origin: &Origin, message: impl Into<String>) -> LoadError {
        LoadError {
            file: origin.file.clone(),
            line: origin.line,
            col: origin.col,
            message: message.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.col,
                self.message
            )
        }
    }
}

/// Every problem found by one [`Directory::load`]; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors {
    errors: Vec<LoadError>,
}

impl LoadErrors {
    /// A list of one error.
    fn single(error: LoadError) -> LoadErrors {
        LoadErrors {
            errors: vec![error],
        }
    }

    /// `None` when `errors` is empty.
    fn from_vec(mut errors: Vec<LoadError>) -> Option<LoadErrors> {
        if errors.is_empty() {
            return None;
        }
        errors.sort();
        errors.dedup();
        Some(LoadErrors { errors })
    }

    /// The problems, sorted by file, line and column.
    pub fn errors(&self) -> &[LoadError] {
        &self.errors
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        writeln!(
            f,
            "directory not loaded: {n} error{}",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// A policy document: its text and the parsed, validated form.
#[derive(Debug, Clone)]
pub struct PolicyText {
    /// Inline policy name, managed policy ARN, or a description such as `trust policy`.
    pub name: String,
    /// The kind of policy it was validated as.
    pub policy_type: PolicyType,
    /// The document text (URL-decoded when the export had it encoded).
    pub text: String,
    /// The parsed document; it passed validation without errors.
    pub document: PolicyDocument,
    /// Where the document starts.
    pub origin: Origin,
}

/// A secret access key that must never be printed: `Debug` shows `***`. It carries its
/// SigV4 form, whose cache of derived signing keys then lives as long as the directory.
#[derive(Clone)]
pub struct Secret {
    text: String,
    sigv4: SecretKey,
}

impl Secret {
    /// Wraps a secret access key.
    pub fn new(text: String) -> Secret {
        let sigv4 = SecretKey::new(&text);
        Secret { text, sigv4 }
    }

    /// The secret value. Call only where the value is used (signing, comparing).
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The key for verifying SigV4 signatures (clones share its signing-key cache).
    pub fn sigv4_key(&self) -> &SecretKey {
        &self.sigv4
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.text == other.text
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Whether a long-term access key can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    /// The key signs requests.
    Active,
    /// The key exists but is refused.
    Inactive,
}

/// A long-term (`AKIA…`) access key of an IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id.
    pub id: String,
    /// The secret access key (40 characters).
    pub secret: Secret,
    /// Active or inactive.
    pub status: KeyStatus,
}

/// The seed of a TOTP (RFC 6238) device, decoded from base32. `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSeed(Vec<u8>);

impl TotpSeed {
    /// The seed bytes. Call only to compute a code.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TotpSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An MFA device of an IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDevice {
    /// The serial: a virtual-device ARN `arn:aws:iam::<account>:mfa/<name>` or a hardware
    /// serial.
    pub serial: String,
    /// The TOTP seed.
    pub seed: TotpSeed,
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value (may be empty).
    pub value: String,
}

/// An IAM user.
#[derive(Debug, Clone)]
pub struct User {
    /// The account the user belongs to.
    pub account_id: String,
    /// User name.
    pub name: String,
    /// Path, `/` by default.
    pub path: String,
    /// `arn:aws:iam::<account>:user/<path><name>`.
    pub arn: String,
    /// Unique id (`AIDA…` in real accounts).
    pub id: String,
    /// Names of the groups the user is in.
    pub groups: Vec<String>,
    /// Inline policies.
    pub inline_policies: Vec<PolicyText>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
    /// ARN of the permissions boundary, if any.
    pub boundary: Option<String>,
    /// Tags, in order.
    pub tags: Vec<Tag>,
    /// Long-term access keys (from the config).
    pub access_keys: Vec<AccessKey>,
    /// MFA devices (from the config).
    pub mfa_devices: Vec<MfaDevice>,
    /// Where the user is defined.
    pub origin: Origin,
}

/// An IAM group.
#[derive(Debug, Clone)]
pub struct Group {
    /// The account the group belongs to.
    pub account_id: String,
    /// Group name.
    pub name: String,
    /// Path.
    pub path: String,
    /// `arn:aws:iam::<account>:group/<path><name>`.
    pub arn: String,
    /// Unique id (`AGPA…`).
    pub id: String,
    /// Inline policies.
    pub inline_policies: Vec<PolicyText>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
    /// Where the group is defined.
    pub origin: Origin,
}

/// An IAM role.
#[derive(Debug, Clone)]
pub struct Role {
    /// The account the role belongs to.
    pub account_id: String,
    /// Role name.
    pub name: String,
    /// Path.
    pub path: String,
    /// `arn:aws:iam::<account>:role/<path><name>`.
    pub arn: String,
    /// Unique id (`AROA…`).
    pub id: String,
    /// The trust (assume-role) policy.
    pub trust_policy: PolicyText,
    /// Inline policies.
    pub inline_policies: Vec<PolicyText>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
    /// ARN of the permissions boundary, if any.
    pub boundary: Option<String>,
    /// Longest session in seconds, 3600..=43200.
    pub max_session_duration: u32,
    /// Tags, in order.
    pub tags: Vec<Tag>,
    /// Where the role is defined.
    pub origin: Origin,
}

/// A managed policy (customer-managed, or AWS-managed with its document present).
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    /// The policy ARN.
    pub arn: String,
    /// The policy name.
    pub name: String,
    /// True for `arn:<partition>:iam::aws:policy/...`.
    pub aws_managed: bool,
    /// The default version's document.
    pub policy: PolicyText,
}

/// An IAM OIDC identity provider.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    /// `arn:aws:iam::<account>:oidc-provider/<host/path>`.
    pub arn: String,
    /// The issuer URL as configured (`https://…`).
    pub url: String,
    /// The issuer without `https://` and without a trailing `/`: what ARNs, trust
    /// policies and condition keys use.
    pub issuer: String,
    /// Accepted `aud` values.
    pub client_ids: Vec<String>,
    /// Certificate thumbprints (lowercase hex), as configured.
    pub thumbprints: Vec<String>,
    /// The signing keys.
    pub keys: Vec<Jwk>,
    /// Where the provider is configured.
    pub origin: Origin,
}

/// A built-in web-identity provider (`accounts.google.com`, `cognito-identity.amazonaws.com`)
/// with the keys AWS would fetch from it; shared by all accounts.
#[derive(Debug, Clone)]
pub struct BuiltinProvider {
    /// The host: the `Federated` principal, the condition-key prefix and the issuer without
    /// `https://`.
    pub host: String,
    /// Accepted `aud` values; empty: any audience (AWS keeps no list for these providers).
    pub client_ids: Vec<String>,
    /// The signing keys.
    pub keys: Vec<Jwk>,
    /// Where the provider is configured.
    pub origin: Origin,
}

/// An IAM SAML identity provider.
#[derive(Debug, Clone)]
pub struct SamlProvider {
    /// `arn:aws:iam::<account>:saml-provider/<name>`.
    pub arn: String,
    /// The provider name.
    pub name: String,
    /// The metadata document, as read (not verified here).
    pub metadata_xml: String,
    /// Where the provider is configured.
    pub origin: Origin,
}

/// One AWS account of the directory.
#[derive(Debug, Clone)]
pub struct Account {
    /// The 12-digit account id.
    pub id: String,
    /// The authorization-details file, when one was given.
    pub file: Option<PathBuf>,
    /// Users, in file order.
    pub users: Vec<User>,
    /// Groups, in file order.
    pub groups: Vec<Group>,
    /// Roles, in file order.
    pub roles: Vec<Role>,
    /// Managed policies by ARN.
    pub managed_policies: BTreeMap<String, ManagedPolicy>,
    /// AWS-managed policy ARNs referenced by the account but whose documents are absent.
    pub unresolved_policies: Vec<String>,
    /// OIDC providers.
    pub oidc_providers: Vec<OidcProvider>,
    /// SAML providers.
    pub saml_providers: Vec<SamlProvider>,
}

impl Account {
    /// The user named `name` (IAM names are case-insensitive).
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(name))
    }

    /// The group named `name`.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
    }

    /// The role named `name`.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }
}

/// A node of the organization tree: the root or an organizational unit.
#[derive(Debug, Clone)]
pub struct OrgUnit {
    /// `r-…` for the root, `ou-…` for a unit.
    pub id: String,
    /// Display name (`Root` for the root).
    pub name: String,
    /// The parent's id; `None` for the root.
    pub parent: Option<String>,
    /// Accounts directly in this node.
    pub accounts: Vec<String>,
}

/// The AWS Organizations view: tree, accounts and the SCPs/RCPs attached at each level.
#[derive(Debug, Clone)]
pub struct Organization {
    /// `o-…`.
    pub id: String,
    /// The management account (SCPs and RCPs do not apply to it).
    pub management_account: String,
    /// The root id (`r-…`).
    pub root_id: String,
    /// Root and units by id.
    pub units: BTreeMap<String, OrgUnit>,
    /// SCPs attached per target id (root, unit or account), in attachment order.
    pub scps: BTreeMap<String, Vec<PolicyText>>,
    /// RCPs attached per target id.
    pub rcps: BTreeMap<String, Vec<PolicyText>>,
    /// The node holding each account.
    pub account_parent: BTreeMap<String, String>,
}

impl Organization {
    /// The levels from the root down to `account_id` (node ids, then the account id), or
    /// `None` when the account is not in the organization.
    pub fn path_to(&self, account_id: &str) -> Option<Vec<String>> {
        let mut node = self.account_parent.get(account_id)?.clone();
        let mut path = vec![account_id.to_string()];
        // The loader rejects cycles; the bound keeps a hand-built value from looping.
        for _ in 0..=self.units.len() {
            path.push(node.clone());
            match self.units.get(&node).and_then(|u| u.parent.clone()) {
                Some(parent) => node = parent,
                None => {
                    path.reverse();
                    return Some(path);
                }
            }
        }
        None
    }

    fn chain<'a>(
        &'a self,
        account_id: &str,
        table: &'a BTreeMap<String, Vec<PolicyText>>,
    ) -> Option<Vec<Vec<&'a PolicyText>>> {
        if account_id == self.management_account {
            return None;
        }
        let path = self.path_to(account_id)?;
        Some(
            path.iter()
                .map(|level| {
                    table
                        .get(level)
                        .map(|v| v.iter().collect())
                        .unwrap_or_default()
                })
                .collect(),
        )
    }
}

/// A managed policy that is referenced but whose document the directory does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("managed policy `{arn}` is attached but its document is not in the directory (add it with `[[account.aws_managed_policy]]`)")]
pub struct UnresolvedPolicy {
    /// The policy ARN.
    pub arn: String,
}

type Slot = (String, usize);

/// The loaded directory. Immutable; share it with [`SharedDirectory`].
#[derive(Debug, Clone)]
pub struct Directory {
    accounts: BTreeMap<String, Account>,
    organization: Option<Organization>,
    builtin_providers: Vec<BuiltinProvider>,
    warnings: Vec<LoadError>,
    keys: HashMap<String, (Slot, usize)>,
    users_by_arn: HashMap<String, Slot>,
    roles_by_arn: HashMap<String, Slot>,
    mfa_by_serial: HashMap<String, (Slot, usize)>,
    oidc_by_issuer: HashMap<String, Vec<Slot>>,
    oidc_by_arn: HashMap<String, Slot>,
    saml_by_arn: HashMap<String, Slot>,
}

impl Directory {
    /// Load the directory described by the TOML config at `config_path`, checking
    /// everything. Returns the whole directory or every problem found.
    pub fn load(config_path: impl AsRef<Path>) -> Result<Directory, LoadErrors> {
        load::load(config_path.as_ref())
    }

    /// Build the lookup indexes over loaded accounts.
    fn new(
        accounts: BTreeMap<String, Account>,
        organization: Option<Organization>,
        builtin_providers: Vec<BuiltinProvider>,
        warnings: Vec<LoadError>,
    ) -> Directory {
        let mut d = Directory {
            accounts,
            organization,
            builtin_providers,
            warnings,
            keys: HashMap::new(),
            users_by_arn: HashMap::new(),
            roles_by_arn: HashMap::new(),
            mfa_by_serial: HashMap::new(),
            oidc_by_issuer: HashMap::new(),
            oidc_by_arn: HashMap::new(),
            saml_by_arn: HashMap::new(),
        };
        for (acct_id, account) in &d.accounts {
            for (ui, user) in account.users.iter().enumerate() {
                let slot = (acct_id.clone(), ui);
                d.users_by_arn.insert(user.arn.clone(), slot.clone());
                for (ki, key) in user.access_keys.iter().enumerate() {
                    d.keys.insert(key.id.clone(), (slot.clone(), ki));
                }
                for (mi, mfa) in user.mfa_devices.iter().enumerate() {
                    d.mfa_by_serial
                        .insert(mfa.serial.clone(), (slot.clone(), mi));
                }
            }
            for (ri, role) in account.roles.iter().enumerate() {
                d.roles_by_arn
                    .insert(role.arn.clone(), (acct_id.clone(), ri));
            }
            for (pi, p) in account.oidc_providers.iter().enumerate() {
                let slot = (acct_id.clone(), pi);
                d.oidc_by_arn.insert(p.arn.clone(), slot.clone());
                d.oidc_by_issuer
                    .entry(p.issuer.clone())
                    .or_default()
                    .push(slot);
            }
            for (si, p) in account.saml_providers.iter().enumerate() {
                d.saml_by_arn.insert(p.arn.clone(), (acct_id.clone(), si));
            }
        }
        d
    }

    /// The accounts by id.
    pub fn accounts(&self) -> &BTreeMap<String, Account> {
        &self.accounts
    }

    /// The account `id`.
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.get(id)
    }

    /// The organization, when configured.
    pub fn organization(&self) -> Option<&Organization> {
        self.organization.as_ref()
    }

    /// The built-in web-identity providers configured with `[[builtin_provider]]`.
    pub fn builtin_providers(&self) -> &[BuiltinProvider] {
        &self.builtin_providers
    }

    /// Things accepted but worth knowing: unresolved AWS-managed policies, policy
    /// warnings, skipped JWK entries.
    pub fn warnings(&self) -> &[LoadError] {
        &self.warnings
    }

    fn user_at(&self, slot: &Slot) -> Option<(&Account, &User)> {
        let account = self.accounts.get(&slot.0)?;
        Some((account, account.users.get(slot.1)?))
    }

    /// The owner of long-term access key `id` (active or not: check [`AccessKey::status`]).
    pub fn access_key(&self, id: &str) -> Option<(&Account, &User, &AccessKey)> {
        let (slot, ki) = self.keys.get(id)?;
        let (account, user) = self.user_at(slot)?;
        Some((account, user, user.access_keys.get(*ki)?))
    }

    /// The user with ARN `arn` (exact, path included).
    pub fn user_by_arn(&self, arn: &str) -> Option<(&Account, &User)> {
        self.user_at(self.users_by_arn.get(arn)?)
    }

    /// The role with ARN `arn` (exact, path included).
    pub fn role_by_arn(&self, arn: &str) -> Option<(&Account, &Role)> {
        let (acct, ri) = self.roles_by_arn.get(arn)?;
        let account = self.accounts.get(acct)?;
        Some((account, account.roles.get(*ri)?))
    }

    /// The managed policy `arn` as seen from account `account_id`: the account's own
    /// copy (customer-managed policies, and AWS-managed ones in its export or config).
    pub fn managed_policy(&self, account_id: &str, arn: &str) -> Option<&ManagedPolicy> {
        self.accounts.get(account_id)?.managed_policies.get(arn)
    }

    fn resolve<'a>(
        &'a self,
        account_id: &str,
        arn: &str,
    ) -> Result<&'a PolicyText, UnresolvedPolicy> {
        self.managed_policy(account_id, arn)
            .map(|p| &p.policy)
            .ok_or_else(|| UnresolvedPolicy {
                arn: arn.to_string(),
            })
    }

    /// The identity policies of `user`: its inline policies, its attached managed
    /// policies, then for each group the group's inline and attached policies.
    pub fn policies_of_user<'a>(
        &'a self,
        user: &'a User,
    ) -> Result<Vec<&'a PolicyText>, UnresolvedPolicy> {
        let mut out: Vec<&PolicyText> = user.inline_policies.iter().collect();
        for arn in &user.attached_policies {
            out.push(self.resolve(&user.account_id, arn)?);
        }
        let account = self.accounts.get(&user.account_id);
        for name in &user.groups {
            if let Some(group) = account.and_then(|a| a.group(name)) {
                out.extend(group.inline_policies.iter());
                for arn in &group.attached_policies {
                    out.push(self.resolve(&group.account_id, arn)?);
                }
            }
        }
        Ok(out)
    }

    /// The identity policies of `role`: inline, then attached managed.
    pub fn policies_of_role<'a>(
        &'a self,
        role: &'a Role,
    ) -> Result<Vec<&'a PolicyText>, UnresolvedPolicy> {
        let mut out: Vec<&PolicyText> = role.inline_policies.iter().collect();
        for arn in &role.attached_policies {
            out.push(self.resolve(&role.account_id, arn)?);
        }
        Ok(out)
    }

    /// The permissions boundary of `user`, if it has one.
    pub fn boundary_of_user(&self, user: &User) -> Result<Option<&PolicyText>, UnresolvedPolicy> {
        user.boundary
            .as_deref()
            .map(|arn| self.resolve(&user.account_id, arn))
            .transpose()
    }

    /// The permissions boundary of `role`, if it has one.
    pub fn boundary_of_role(&self, role: &Role) -> Result<Option<&PolicyText>, UnresolvedPolicy> {
        role.boundary
            .as_deref()
            .map(|arn| self.resolve(&role.account_id, arn))
            .transpose()
    }

    /// The OIDC providers for issuer `issuer` (with or without `https://`, trailing `/`
    /// ignored), one per account that registered it.
    pub fn oidc_providers_by_issuer(&self, issuer: &str) -> Vec<(&Account, &OidcProvider)> {
        let key = normalize_issuer(issuer);
        self.oidc_by_issuer
            .get(key)
            .map(|slots| slots.iter().filter_map(|s| self.oidc_at(s)).collect())
            .unwrap_or_default()
    }

    /// The OIDC provider for `issuer` registered in account `account_id` (AWS looks the
    /// token's issuer up in the role's account).
    pub fn oidc_provider_by_issuer(&self, account_id: &str, issuer: &str) -> Option<&OidcProvider> {
        let key = normalize_issuer(issuer);
        self.accounts
            .get(account_id)?
            .oidc_providers
            .iter()
            .find(|p| p.issuer == key)
    }

    fn oidc_at(&self, slot: &Slot) -> Option<(&Account, &OidcProvider)> {
        let account = self.accounts.get(&slot.0)?;
        Some((account, account.oidc_providers.get(slot.1)?))
    }

    /// The OIDC provider with ARN `arn`.
    pub fn oidc_provider_by_arn(&self, arn: &str) -> Option<(&Account, &OidcProvider)> {
        self.oidc_at(self.oidc_by_arn.get(arn)?)
    }

    /// The SAML provider with ARN `arn`.
    pub fn saml_provider(&self, arn: &str) -> Option<(&Account, &SamlProvider)> {
        let (acct, si) = self.saml_by_arn.get(arn)?;
        let account = self.accounts.get(acct)?;
        Some((account, account.saml_providers.get(*si)?))
    }

    /// The SCPs that apply to principals of `account_id`, one list per level, root first
    /// and the account last. `None` when the account is not in the organization or is its
    /// management account (SCPs do not apply there).
    pub fn scp_chain(&self, account_id: &str) -> Option<Vec<Vec<&PolicyText>>> {
        let org = self.organization.as_ref()?;
        org.chain(account_id, &org.scps)
    }

    /// The RCPs that apply to resources of `account_id`, as [`Directory::scp_chain`].
    pub fn rcp_chain(&self, account_id: &str) -> Option<Vec<Vec<&PolicyText>>> {
        let org = self.organization.as_ref()?;
        org.chain(account_id, &org.rcps)
    }

    /// The user owning MFA device `serial` and the device's TOTP seed.
    pub fn mfa_device(&self, serial: &str) -> Option<(&User, &TotpSeed)> {
        let (slot, mi) = self.mfa_by_serial.get(serial)?;
        let (_, user) = self.user_at(slot)?;
        Some((user, &user.mfa_devices.get(*mi)?.seed))
    }
}

/// `https://host/path/` → `host/path`.
fn normalize_issuer(issuer: &str) -> &str {
    let s = issuer.strip_prefix("https://").unwrap_or(issuer);
    s.strip_suffix('/').unwrap_or(s)
}

/// A directory shared by the request handlers and replaced atomically on reload.
///
/// `std::sync::RwLock` around an `Arc` is enough: readers hold the lock only to clone the
/// `Arc` and a reload swaps one pointer, so no extra crate (such as arc-swap) is needed.
#[derive(Debug, Clone)]
pub struct SharedDirectory {
    inner: Arc<RwLock<Arc<Directory>>>,
}

impl SharedDirectory {
    /// Share `directory`.
    pub fn new(directory: Directory) -> SharedDirectory {
        SharedDirectory {
            inner: Arc::new(RwLock::new(Arc::new(directory))),
        }
    }

    /// Load `config_path` and share the result.
    pub fn load(config_path: impl AsRef<Path>) -> Result<SharedDirectory, LoadErrors> {
        Directory::load(config_path).map(SharedDirectory::new)
    }

    /// The directory in force now. Keep the `Arc` for the whole request so a reload in
    /// between does not change what the request sees.
    pub fn current(&self) -> Arc<Directory> {
        match self.inner.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Load `config_path` and, only if it loads without error, make it current. On
    /// failure the previous directory stays in force and every problem is returned.
    pub fn reload(&self, config_path: impl AsRef<Path>) -> Result<(), LoadErrors> {
        let fresh = Arc::new(Directory::load(config_path)?);
        match self.inner.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }
}
