//! Fixture tests for the directory loader's error paths: each bad config under
//! `corpus/sts/directory/bad` yields specific errors with file:line:col, and a failed
//! reload keeps the old directory.

use std::path::PathBuf;

use iam_sts::directory::{Directory, LoadError, SharedDirectory};

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus/sts/directory")
        .join(rel)
}

/// The errors of loading `rel`; empty when it (wrongly) loads.
fn errors_of(rel: &str) -> Vec<LoadError> {
    match Directory::load(corpus(rel)) {
        Ok(_) => Vec::new(),
        Err(e) => {
            eprintln!("{e}");
            e.errors().to_vec()
        }
    }
}

/// Assert the load of `rel` fails with exactly `expected`: (file name, line, col, part of
/// the message), in the loader's order (file, line, column).
fn assert_errors(rel: &str, expected: &[(&str, usize, usize, &str)]) {
    let errors = errors_of(rel);
    let got: Vec<(String, usize, usize, String)> = errors
        .iter()
        .map(|e| {
            let name = e
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, e.line, e.col, e.message.clone())
        })
        .collect();
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (g, (file, line, col, needle)) in got.iter().zip(expected) {
        assert_eq!((g.0.as_str(), g.1, g.2), (*file, *line, *col), "{g:?}");
        assert!(g.3.contains(needle), "`{}` lacks `{needle}`", g.3);
    }
}

#[test]
fn toml_syntax_error_has_its_position() {
    assert_errors(
        "bad/syntax.toml",
        &[("syntax.toml", 3, 19, "invalid config: invalid basic string")],
    );
}

#[test]
fn unknown_config_key_is_reported_at_the_key() {
    assert_errors(
        "bad/unknown-key.toml",
        &[("unknown-key.toml", 4, 1, "unknown field `fiel`")],
    );
}

#[test]
fn unknown_enum_value_is_reported_at_the_value() {
    assert_errors(
        "bad/status.toml",
        &[("status.toml", 10, 10, "unknown variant `disabled`")],
    );
}

#[test]
fn account_problems_are_all_reported() {
    assert_errors(
        "bad/account-ids.toml",
        &[
            (
                "account-ids.toml",
                3,
                6,
                "account id `12345` must be 12 digits",
            ),
            (
                "account-ids.toml",
                7,
                8,
                "missing.json`: no such file or directory",
            ),
            (
                "account-ids.toml",
                13,
                6,
                "account `555566667777` is configured twice",
            ),
            ("account-ids.toml", 15, 1, "needs `id` or `file`"),
            (
                "account-ids.toml",
                19,
                6,
                "account `222233334444` is configured twice (first at",
            ),
        ],
    );
}

#[test]
fn json_syntax_errors_and_duplicate_members_have_positions() {
    assert_errors(
        "bad/json-syntax.toml",
        &[
            (
                "duplicate-key.json",
                4,
                3,
                "duplicate member `UserDetailList`",
            ),
            ("syntax.json", 3, 38, "invalid json: trailing comma"),
        ],
    );
}

#[test]
fn entity_problems_point_into_the_account_file() {
    assert_errors(
        "bad/entities.toml",
        &[
            ("entities.json", 7, 14, "names account `999988887777` but this file is account `111122223333`"),
            ("entities.json", 9, 9, "unknown group `ghosts`"),
            // An object policy: the diagnostic's own place in the file, and in the policy.
            ("entities.json", 19, 27, "inline policy `broken` of user `dave`: IAM050"),
            ("entities.json", 29, 24, "`arn:aws:iam::111122223333:policy/missing` (attached to user `dave`) is not in the account file"),
            ("entities.json", 34, 35, "(permissions boundary of user `dave`) is not in the account file"),
            ("entities.json", 41, 9, "duplicate tag key `Team`"),
            ("entities.json", 47, 5, "duplicate user `Dave`"),
            ("entities.json", 60, 14, "does not match path `/x/` and name `erin`"),
            // A URL-encoded policy: the string's place in the file, line:col in the text.
            ("entities.json", 75, 29, "IAM053 resource `bucket` is not an arn or `*` (at 1:99 in the policy)"),
            ("entities.json", 79, 29, "invalid percent escape"),
            ("entities.json", 100, 13, "trust policy of role `long`: IAM035"),
            ("entities.json", 107, 29, "`MaxSessionDuration` of role `long` must be an integer from 3600 to 43200"),
            ("entities.json", 111, 5, "managed policy `no-default` has no default version"),
        ],
    );
}

#[test]
fn object_policy_diagnostic_gives_line_and_column_inside_the_policy() {
    let errors = errors_of("bad/entities.toml");
    let broken = errors
        .iter()
        .find(|e| e.message.contains("`broken`"))
        .unwrap();
    assert!(
        broken.message.ends_with("(at 6:27 in the policy)"),
        "{}",
        broken.message
    );
}

#[test]
fn credential_and_role_setting_problems_are_all_reported() {
    assert_errors(
        "bad/credentials.toml",
        &[
            (
                "credentials.toml",
                8,
                6,
                "access key id `AKIA1234` must be `AKIA` followed by 16",
            ),
            ("credentials.toml", 9, 10, "must be 40 characters"),
            (
                "credentials.toml",
                17,
                8,
                "unknown user `mallory` in account `111122223333`",
            ),
            (
                "credentials.toml",
                23,
                10,
                "mfa serial `arn:aws:iam::777788889999:mfa/alice` must be",
            ),
            ("credentials.toml", 29, 15, "is not base32"),
            (
                "credentials.toml",
                33,
                10,
                "duplicate mfa serial `GAHT12345678`",
            ),
            ("credentials.toml", 34, 15, "shorter than 80 bits"),
            ("credentials.toml", 37, 8, "unknown role `ghost`"),
            (
                "credentials.toml",
                41,
                24,
                "max_session_duration `43201` of role `deploy`",
            ),
            (
                "credentials.toml",
                44,
                8,
                "role `DEPLOY` is configured twice",
            ),
            (
                "credentials.toml",
                48,
                7,
                "is not an aws-managed policy arn",
            ),
            // Duplicate ids are found across accounts.
            (
                "credentials.toml",
                57,
                6,
                "duplicate access key id `AKIAEXAMPLEDUPE23456` (first at",
            ),
        ],
    );
}

#[test]
fn provider_problems_are_all_reported() {
    assert_errors(
        "bad/providers.toml",
        &[
            ("bad-keys.json", 11, 5, "rsa modulus has about 1024 bits"),
            (
                "bad-keys.json",
                19,
                5,
                "ec coordinates must be 32 bytes each, found 15 and 32",
            ),
            ("bad-keys.json", 33, 14, "unsupported curve `secp256k1`"),
            (
                "bad-keys.json",
                37,
                5,
                "algorithm `ES384` does not match curve",
            ),
            ("bad-keys.json", 46, 5, "duplicate key id `rsa-2026`"),
            ("bad-keys.json", 54, 5, "key is missing `kty`"),
            ("not-json.json", 2, 1, "invalid json"),
            (
                "providers.toml",
                6,
                7,
                "oidc issuer `http://idp.example.com` must start with `https://`",
            ),
            ("providers.toml", 11, 7, "without query or fragment"),
            (
                "providers.toml",
                17,
                22,
                "client id must be 1 to 255 characters",
            ),
            (
                "providers.toml",
                18,
                16,
                "thumbprint `abc` must be 40 hex digits",
            ),
            ("providers.toml", 19, 13, "cannot read"),
            // The trailing `/` is ignored: the same issuer twice.
            (
                "providers.toml",
                22,
                7,
                "oidc provider `idp.example.com` is configured twice",
            ),
            ("providers.toml", 37, 8, "saml provider name `bad name!`"),
            ("providers.toml", 42, 17, "cannot read"),
            (
                "providers.toml",
                49,
                8,
                "saml provider `no-metadata` is configured twice",
            ),
            ("not-saml.xml", 1, 1, "has no `EntityDescriptor` element"),
        ],
    );
}

#[test]
fn organization_problems_are_all_reported() {
    assert_errors(
        "bad/organization.toml",
        &[
            (
                "organization.toml",
                8,
                1,
                "`111122223333` has no scp attached",
            ),
            (
                "organization.toml",
                8,
                1,
                "`222233334444` has no scp attached",
            ),
            ("organization.toml", 8, 1, "`root` has no scp attached"),
            ("organization.toml", 9, 6, "organization id `o-short`"),
            (
                "organization.toml",
                10,
                22,
                "management account `444455556666` is not placed",
            ),
            ("organization.toml", 11, 11, "root id `root` must be"),
            (
                "organization.toml",
                12,
                29,
                "account `999999999999` is not configured",
            ),
            (
                "organization.toml",
                16,
                6,
                "`ou-ab12-11111111` has no scp attached",
            ),
            (
                "organization.toml",
                16,
                6,
                "unit `ou-ab12-11111111` is in a parent cycle",
            ),
            (
                "organization.toml",
                19,
                13,
                "account `111122223333` is placed twice",
            ),
            (
                "organization.toml",
                22,
                6,
                "`ou-ab12-22222222` has no scp attached",
            ),
            (
                "organization.toml",
                22,
                6,
                "unit `ou-ab12-22222222` is in a parent cycle",
            ),
            (
                "organization.toml",
                27,
                6,
                "`ou-ab12-33333333` has no scp attached",
            ),
            (
                "organization.toml",
                29,
                10,
                "parent `ou-ab12-99999999` of unit `ou-ab12-33333333`",
            ),
            ("organization.toml", 33, 6, "unit id `ou-bad` must be"),
            ("organization.toml", 40, 8, "scp `principal-in-scp`: IAM036"),
            (
                "organization.toml",
                41,
                20,
                "target `ou-ab12-77777777` of `principal-in-scp`",
            ),
            (
                "organization.toml",
                44,
                8,
                "needs exactly one of `file` and `text`",
            ),
            (
                "organization.toml",
                51,
                8,
                "`principal-in-scp` is defined twice",
            ),
            ("organization.toml", 59, 8, "cannot read"),
            // A policy file: the diagnostic's own position in that file.
            ("bad.json", 4, 34, "scp `bad-file`: IAM050"),
        ],
    );
}

#[test]
fn unreadable_config_is_an_error_for_the_whole_file() {
    let errors = errors_of("bad/no-such-config.toml");
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].line, errors[0].col), (0, 0));
    assert!(errors[0].message.starts_with("cannot read the config"));
}

#[test]
fn display_lists_every_error_with_its_position() {
    let err = Directory::load(corpus("bad/account-ids.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("directory not loaded: 5 errors\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 6);
    assert!(text.contains("account-ids.toml:3:6: account id `12345` must be 12 digits"));
}

#[test]
fn failed_reload_keeps_the_old_directory() {
    let shared = SharedDirectory::load(corpus("good/directory.toml")).unwrap();
    let before = shared.current();
    let err = shared.reload(corpus("bad/entities.toml")).unwrap_err();
    assert_eq!(err.errors().len(), 13);
    let after = shared.current();
    assert!(std::sync::Arc::ptr_eq(&before, &after));
    assert!(after.access_key("AKIAEXAMPLEALICE2345").is_some());
}

#[test]
fn built_in_provider_and_jwks_source_problems_are_all_reported() {
    assert_errors(
        "bad/builtin.toml",
        &[
            (
                "builtin.toml",
                6,
                8,
                "`www.amazon.com` issues OAuth 2.0 access tokens",
            ),
            (
                "builtin.toml",
                10,
                8,
                "as the host `accounts.google.com`, without `https://`",
            ),
            (
                "builtin.toml",
                14,
                8,
                "`token.actions.githubusercontent.com` is not a built-in provider",
            ),
            (
                "builtin.toml",
                19,
                15,
                "client id must be 1 to 255 characters",
            ),
            (
                "builtin.toml",
                23,
                8,
                "built-in provider `accounts.google.com` is configured twice",
            ),
            (
                "builtin.toml",
                27,
                8,
                "provider `cognito-identity.amazonaws.com` needs exactly one of `jwks_file` and `jwks`",
            ),
            (
                "builtin.toml",
                30,
                7,
                "provider `https://both.example.com` needs exactly one of `jwks_file` and `jwks`",
            ),
            // positions inside inline text are given after the config position
            (
                "builtin.toml",
                38,
                8,
                "inline `jwks` at 2:3: ec coordinates must be 32 bytes each, found 3 and 3",
            ),
        ],
    );
}
