//! Fixture tests for the directory loader: the good config under
//! `corpus/sts/directory/good` and its lookups.

use std::path::PathBuf;

use iam_sts::directory::{Directory, JwkKey, KeyStatus, LoadErrors, PolicyText, SharedDirectory};

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus/sts/directory")
        .join(rel)
}

fn good() -> Result<Directory, LoadErrors> {
    Directory::load(corpus("good/directory.toml"))
}

/// The names of `policies`, in order.
fn names<'a>(policies: &[&'a PolicyText]) -> Vec<&'a str> {
    policies.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn good_config_loads_every_account() {
    let d = good().unwrap();
    for w in d.warnings() {
        eprintln!("warning: {w}");
    }
    let ids: Vec<&String> = d.accounts().keys().collect();
    assert_eq!(ids, ["111122223333", "444455556666", "777788889999"]);
}

#[test]
fn unresolved_aws_managed_policy_is_a_warning_and_fails_the_lookup() {
    let d = good().unwrap();
    assert!(d
        .warnings()
        .iter()
        .any(|w| w.message.contains("AdministratorAccess")
            && w.file.ends_with("dev.json")
            && (w.line, w.col) == (13, 24)));
    let (_, carol) = d
        .user_by_arn("arn:aws:iam::777788889999:user/carol")
        .unwrap();
    let err = d.policies_of_user(carol).unwrap_err();
    assert_eq!(err.arn, "arn:aws:iam::aws:policy/AdministratorAccess");
    let account = d.account("777788889999").unwrap();
    assert_eq!(
        account.unresolved_policies,
        ["arn:aws:iam::aws:policy/AdministratorAccess"]
    );
}

#[test]
fn access_key_lookup_finds_owner_and_status() {
    let d = good().unwrap();
    let (account, user, key) = d.access_key("AKIAEXAMPLEALICE2345").unwrap();
    assert_eq!(account.id, "111122223333");
    assert_eq!(user.name, "alice");
    assert_eq!(
        key.secret.expose(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    );
    assert_eq!(key.status, KeyStatus::Active);
    let (_, bob, key) = d.access_key("AKIAEXAMPLEBOBB23456").unwrap();
    assert_eq!(bob.arn, "arn:aws:iam::111122223333:user/ops/bob");
    assert_eq!(key.status, KeyStatus::Inactive);
    let (account, carol, _) = d.access_key("AKIAEXAMPLECAROL2345").unwrap();
    assert_eq!(
        (account.id.as_str(), carol.name.as_str()),
        ("777788889999", "carol")
    );
    assert!(d.access_key("AKIAEXAMPLEUNKNOWN23").is_none());
}

#[test]
fn user_policies_come_inline_then_attached_then_groups() {
    let d = good().unwrap();
    let (_, alice) = d
        .user_by_arn("arn:aws:iam::111122223333:user/alice")
        .unwrap();
    assert_eq!(alice.id, "AIDAEXAMPLEALICE00001");
    assert_eq!(alice.tags[0].key, "team");
    assert_eq!(
        names(&d.policies_of_user(alice).unwrap()),
        [
            "alice-s3",
            "arn:aws:iam::111122223333:policy/ec2-read",
            "devs-logs",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ]
    );
    let policies = d.policies_of_user(alice).unwrap();
    // The default version (v2) is the one kept, not v1.
    assert!(policies[1].text.contains("ec2:Describe*"));
    // The URL-encoded group policy is decoded.
    assert!(policies[2].text.starts_with("{\"Version\""));
    let boundary = d.boundary_of_user(alice).unwrap().unwrap();
    assert_eq!(boundary.name, "arn:aws:iam::111122223333:policy/boundary");
    let (_, bob) = d
        .user_by_arn("arn:aws:iam::111122223333:user/ops/bob")
        .unwrap();
    assert!(d.boundary_of_user(bob).unwrap().is_none());
    assert!(d.policies_of_user(bob).unwrap().is_empty());
}

#[test]
fn role_lookups_give_trust_policies_and_session_limits() {
    let d = good().unwrap();
    let (account, deploy) = d
        .role_by_arn("arn:aws:iam::111122223333:role/deploy")
        .unwrap();
    assert_eq!(account.id, "111122223333");
    assert_eq!(deploy.id, "AROAEXAMPLEDEPLOY0001");
    assert_eq!(deploy.max_session_duration, 7200, "config setting applies");
    assert!(deploy.trust_policy.text.contains("sts:AssumeRole"));
    assert_eq!(deploy.tags[0].value, "prod");
    assert_eq!(
        names(&d.policies_of_role(deploy).unwrap()),
        ["deploy-inline", "arn:aws:iam::111122223333:policy/ec2-read"]
    );
    assert!(d.boundary_of_role(deploy).unwrap().is_some());
    let (_, saml) = d
        .role_by_arn("arn:aws:iam::111122223333:role/service/saml-admin")
        .unwrap();
    assert_eq!(saml.max_session_duration, 43200, "export value applies");
    let (_, ci) = d
        .role_by_arn("arn:aws:iam::777788889999:role/dev-ci")
        .unwrap();
    assert_eq!(ci.max_session_duration, 3600, "default");
    assert!(d
        .role_by_arn("arn:aws:iam::111122223333:role/saml-admin")
        .is_none());
}

#[test]
fn oidc_and_saml_providers_are_found_by_issuer_and_arn() {
    let d = good().unwrap();
    let p = d
        .oidc_provider_by_issuer(
            "777788889999",
            "https://token.actions.githubusercontent.com",
        )
        .unwrap();
    assert_eq!(
        p.arn,
        "arn:aws:iam::777788889999:oidc-provider/token.actions.githubusercontent.com"
    );
    assert_eq!(p.client_ids, ["sts.amazonaws.com"]);
    assert_eq!(p.thumbprints, ["6938fd4d98bab03faadb97b34396831e3780aea1"]);
    // The `enc` key is skipped; one RSA and one EC key remain.
    assert_eq!(p.keys.len(), 2);
    assert!(matches!(&p.keys[0].key, JwkKey::Rsa { n, .. } if n.len() == 256));
    assert!(matches!(&p.keys[1].key, JwkKey::Ec { x, y, .. } if x.len() == 32 && y.len() == 32));
    assert_eq!(p.keys[1].kid.as_deref(), Some("ec-2026"));
    assert!(d
        .oidc_provider_by_issuer("111122223333", "token.actions.githubusercontent.com")
        .is_none());
    let all = d.oidc_providers_by_issuer("token.actions.githubusercontent.com/");
    assert_eq!(all.len(), 1);
    let (account, _) = d.oidc_provider_by_arn(&p.arn).unwrap();
    assert_eq!(account.id, "777788889999");
    let (_, saml) = d
        .saml_provider("arn:aws:iam::111122223333:saml-provider/corp-idp")
        .unwrap();
    assert!(saml.metadata_xml.contains("EntityDescriptor"));
    assert!(d
        .saml_provider("arn:aws:iam::111122223333:saml-provider/other")
        .is_none());
}

#[test]
fn mfa_device_lookup_returns_user_and_seed() {
    let d = good().unwrap();
    let (user, seed) = d.mfa_device("arn:aws:iam::111122223333:mfa/alice").unwrap();
    assert_eq!(user.name, "alice");
    // "JBSWY3DPEHPK3PXP" is base32 for "Hello!\xde\xad\xbe\xef", twice.
    assert_eq!(&seed.expose()[..6], b"Hello!");
    assert_eq!(seed.expose().len(), 20);
    assert!(d.mfa_device("arn:aws:iam::111122223333:mfa/bob").is_none());
}

#[test]
fn scp_and_rcp_chains_run_from_root_to_account() {
    let d = good().unwrap();
    let names = |chain: Vec<Vec<&iam_sts::directory::PolicyText>>| -> Vec<Vec<String>> {
        chain
            .iter()
            .map(|level| level.iter().map(|p| p.name.clone()).collect())
            .collect()
    };
    let scps = names(d.scp_chain("777788889999").unwrap());
    assert_eq!(
        scps,
        [
            vec!["FullAWSAccess", "deny-leave"],
            vec!["FullAWSAccess", "region-lock"],
            vec!["FullAWSAccess"],
            vec!["FullAWSAccess"],
        ]
    );
    let rcps = names(d.rcp_chain("777788889999").unwrap());
    assert_eq!(
        rcps,
        [
            vec!["RCPFullAWSAccess"],
            vec!["RCPFullAWSAccess"],
            vec!["RCPFullAWSAccess"],
            vec!["RCPFullAWSAccess", "deny-external-s3"],
        ]
    );
    assert_eq!(d.scp_chain("111122223333").unwrap().len(), 3);
    // The management account is exempt; an account outside the organization has none.
    assert!(d.scp_chain("444455556666").is_none());
    assert!(d.rcp_chain("444455556666").is_none());
    assert!(d.scp_chain("999999999999").is_none());
    let org = d.organization().unwrap();
    assert_eq!(
        org.path_to("777788889999").unwrap(),
        [
            "r-ab12",
            "ou-ab12-22222222",
            "ou-ab12-33333333",
            "777788889999"
        ]
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let d = good().unwrap();
    let text = format!("{d:?}");
    assert!(!text.contains("wJalrXUtnFEMI"));
    assert!(!text.contains("AbCdEfGhIjKl"));
    assert!(text.contains("***"));
    let (user, seed) = d.mfa_device("arn:aws:iam::111122223333:mfa/alice").unwrap();
    assert_eq!(format!("{seed:?}"), "***");
    assert!(!format!("{user:?}").contains("72, 101, 108"));
}

#[test]
fn policy_origins_point_into_the_account_file() {
    let d = good().unwrap();
    let (_, alice) = d
        .user_by_arn("arn:aws:iam::111122223333:user/alice")
        .unwrap();
    let p = &alice.inline_policies[0];
    assert!(p.origin.file.ends_with("accounts/prod.json"));
    assert!(p.origin.line > 1);
    assert_eq!(alice.origin.line, 3);
}

#[test]
fn shared_directory_reload_replaces_on_success() {
    let shared = SharedDirectory::load(corpus("good/directory.toml")).unwrap();
    let before = shared.current();
    shared.reload(corpus("good/directory.toml")).unwrap();
    let after = shared.current();
    assert!(!std::sync::Arc::ptr_eq(&before, &after));
    assert_eq!(after.accounts().len(), 3);
}

#[test]
fn directory_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Directory>();
    send_sync::<SharedDirectory>();
    let shared = SharedDirectory::load(corpus("good/directory.toml")).unwrap();
    let reader = shared.clone();
    let handle = std::thread::spawn(move || reader.current().accounts().len());
    assert_eq!(handle.join().unwrap(), 3);
}

#[test]
fn built_in_providers_load_keys_from_a_file_or_inline_text() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus/sts/webidentity/builtin/directory.toml");
    let d = Directory::load(path).unwrap();
    let got: Vec<(&str, usize, usize)> = d
        .builtin_providers()
        .iter()
        .map(|p| (p.host.as_str(), p.client_ids.len(), p.keys.len()))
        .collect();
    // Google from the shared test set (three keys, any audience); Cognito inline (one key)
    assert_eq!(
        got,
        [
            ("accounts.google.com", 0, 3),
            ("cognito-identity.amazonaws.com", 1, 1)
        ]
    );
    let cognito = &d.builtin_providers()[1];
    assert_eq!(cognito.keys[0].kid.as_deref(), Some("ec-a"));
    assert!(matches!(cognito.keys[0].key, JwkKey::Ec { .. }));
    assert_eq!((cognito.origin.line, cognito.origin.col), (14, 8));
}
