//! The TOML schema of the directory config (documented with an example in the parent
//! module).
//!
//! Stage: configuration loading. Input: the config text. Output: typed tables whose
//! values keep their byte spans (for line:col in errors). Only shape is checked here
//! (unknown keys, wrong types, bad enum values, via the `toml` crate's spanned errors);
//! value rules are checked by the loader. Never reads other files.

use serde::Deserialize;
use toml::Spanned;

/// The whole config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    #[serde(default)]
    pub account: Vec<Spanned<AccountConfig>>,
    pub organization: Option<Spanned<OrgConfig>>,
    #[serde(default)]
    pub builtin_provider: Vec<Spanned<BuiltinConfig>>,
}

/// `[[builtin_provider]]`: keys of a built-in web-identity provider (not per account).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BuiltinConfig {
    pub host: Spanned<String>,
    #[serde(default)]
    pub client_ids: Vec<Spanned<String>>,
    pub jwks_file: Option<Spanned<String>>,
    pub jwks: Option<Spanned<String>>,
}

/// `[[account]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountConfig {
    pub id: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
    #[serde(default)]
    pub allow_foreign_arns: bool,
    #[serde(default)]
    pub access_key: Vec<Spanned<AccessKeyConfig>>,
    #[serde(default)]
    pub mfa_device: Vec<Spanned<MfaConfig>>,
    #[serde(default)]
    pub role: Vec<Spanned<RoleConfig>>,
    #[serde(default)]
    pub oidc_provider: Vec<Spanned<OidcConfig>>,
    #[serde(default)]
    pub saml_provider: Vec<Spanned<SamlConfig>>,
    #[serde(default)]
    pub aws_managed_policy: Vec<Spanned<AwsManagedConfig>>,
}

/// Key status as written in the config.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum StatusConfig {
    Active,
    Inactive,
}

/// `[[account.access_key]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccessKeyConfig {
    pub user: Spanned<String>,
    pub id: Spanned<String>,
    pub secret: Spanned<String>,
    pub status: Option<StatusConfig>,
}

/// `[[account.mfa_device]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MfaConfig {
    pub user: Spanned<String>,
    pub serial: Spanned<String>,
    pub totp_secret: Spanned<String>,
}

/// `[[account.role]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleConfig {
    pub name: Spanned<String>,
    pub max_session_duration: Option<Spanned<i64>>,
}

/// `[[account.oidc_provider]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OidcConfig {
    pub url: Spanned<String>,
    #[serde(default)]
    pub client_ids: Vec<Spanned<String>>,
    #[serde(default)]
    pub thumbprints: Vec<Spanned<String>>,
    pub jwks_file: Option<Spanned<String>>,
    pub jwks: Option<Spanned<String>>,
}

/// `[[account.saml_provider]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SamlConfig {
    pub name: Spanned<String>,
    pub metadata_file: Spanned<String>,
}

/// `[[account.aws_managed_policy]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AwsManagedConfig {
    pub arn: Spanned<String>,
    pub file: Spanned<String>,
}

fn yes() -> bool {
    true
}

/// `[organization]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OrgConfig {
    pub id: Spanned<String>,
    pub management_account: Spanned<String>,
    pub root_id: Spanned<String>,
    #[serde(default)]
    pub accounts: Vec<Spanned<String>>,
    #[serde(default = "yes")]
    pub full_aws_access: bool,
    #[serde(default)]
    pub unit: Vec<Spanned<UnitConfig>>,
    #[serde(default)]
    pub policy: Vec<Spanned<OrgPolicyConfig>>,
}

/// `[[organization.unit]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UnitConfig {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    pub parent: Spanned<String>,
    #[serde(default)]
    pub accounts: Vec<Spanned<String>>,
}

/// Organization policy kind as written in the config.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum OrgKindConfig {
    Scp,
    Rcp,
}

/// `[[organization.policy]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OrgPolicyConfig {
    pub name: Spanned<String>,
    pub kind: OrgKindConfig,
    pub file: Option<Spanned<String>>,
    pub text: Option<Spanned<String>>,
    #[serde(default)]
    pub targets: Vec<Spanned<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_rejected_with_a_span() {
        let text = "[[account]]\nid = \"111122223333\"\nfiel = \"a.json\"\n";
        let err = toml::from_str::<ConfigFile>(text).unwrap_err();
        assert!(err.message().contains("fiel"), "{}", err.message());
        let span = err.span().unwrap();
        assert_eq!(text.get(span), Some("fiel"));
    }

    #[test]
    fn defaults_apply_to_optional_tables() {
        let cfg: ConfigFile = toml::from_str("[[account]]\nid = \"111122223333\"\n").unwrap();
        let acct = cfg.account[0].get_ref();
        assert!(acct.file.is_none());
        assert!(!acct.allow_foreign_arns);
        assert!(acct.access_key.is_empty());
        assert!(cfg.organization.is_none());
    }

    #[test]
    fn documented_example_matches_the_schema() {
        let module = include_str!("../directory.rs");
        let example: String = module
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| {
                l.strip_prefix("//!")
                    .unwrap_or(l)
                    .strip_prefix(' ')
                    .unwrap_or("")
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(example.contains("[organization]"));
        let cfg: ConfigFile = toml::from_str(&example).unwrap();
        assert_eq!(cfg.account.len(), 1);
        assert_eq!(cfg.builtin_provider.len(), 2);
        let acct = cfg.account[0].get_ref();
        assert_eq!(acct.access_key.len(), 1);
        assert_eq!(acct.oidc_provider.len(), 1);
        let org = cfg.organization.unwrap().into_inner();
        assert_eq!(org.unit.len(), 1);
        assert_eq!(org.policy.len(), 1);
    }
}
