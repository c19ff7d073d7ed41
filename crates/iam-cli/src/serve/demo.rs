//! The demo state folder of `iamctl serve` and the ID tokens of its demo OIDC provider.
//!
//! Stage: first start of `iamctl serve` without `--config`, and `iamctl token web-identity`.
//! Input: a state folder path and the OS random source. Output: on first start the folder
//! filled with a directory config (account `111122223333`, user `demo` with a long-term key,
//! roles `demo-role` and `web-role`, an OIDC provider), the provider's JWK set, its EC P-256
//! private key (0600), the demo user's keys as an AWS credentials file (0600) and a key ring
//! (0600); on later starts the same files, read back unchanged so credentials issued before a
//! restart stay valid. It never overwrites an existing state file, never logs a secret, and
//! writes every file holding a secret owner-only.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use iam_sts::clock::{Clock as _, OsRandom, Random, SystemClock};
use iam_sts::credentials::{generate_access_key_id, generate_secret_access_key, AccessKeyKind};
use iam_sts::keyring::KeyRing;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};

/// The demo account.
pub(crate) const ACCOUNT: &str = "111122223333";
/// The issuer of the demo OIDC provider (never fetched: its JWK set is a local file).
pub(crate) const ISSUER: &str = "https://oidc.iamctl.demo";
/// The audience the demo provider accepts.
pub(crate) const AUDIENCE: &str = "sts.amazonaws.com";
/// The key id of the demo provider's signing key.
const KEY_ID: &str = "iamctl-demo-1";

const DIRECTORY_FILE: &str = "directory.toml";
const ACCOUNT_FILE: &str = "account.json";
const JWKS_FILE: &str = "oidc-jwks.json";
const OIDC_KEY_FILE: &str = "oidc-key.pem";
const CREDENTIALS_FILE: &str = "demo-credentials";
const KEY_RING_FILE: &str = "keyring.json";

/// The files of a demo state folder and the demo user's long-term key.
pub(crate) struct DemoState {
    /// The directory config to serve.
    pub(crate) config: PathBuf,
    /// The key ring sealing session tokens.
    pub(crate) key_ring: PathBuf,
    /// An AWS shared-credentials file holding the demo user's key (profile `default`).
    pub(crate) credentials: PathBuf,
    /// The demo user's access key id.
    pub(crate) access_key_id: String,
    /// The demo user's secret access key.
    pub(crate) secret_access_key: String,
    /// Whether this call created the folder's files.
    pub(crate) created: bool,
}

/// The key ring path of a state folder.
pub(crate) fn key_ring_path(state: &Path) -> PathBuf {
    state.join(KEY_RING_FILE)
}

/// Opens the demo state in `state`, writing it first when the folder holds no directory
/// config yet.
pub(crate) fn ensure(state: &Path) -> Result<DemoState, String> {
    let config = state.join(DIRECTORY_FILE);
    let created = !config.exists();
    if created {
        create(state)?;
    }
    let credentials = state.join(CREDENTIALS_FILE);
    let text = fs::read_to_string(&credentials)
        .map_err(|e| format!("cannot read `{}`: {e}", credentials.display()))?;
    let (access_key_id, secret_access_key) = parse_credentials(&text).ok_or_else(|| {
        format!(
            "`{}` has no `aws_access_key_id` and `aws_secret_access_key`",
            credentials.display()
        )
    })?;
    Ok(DemoState {
        config,
        key_ring: key_ring_path(state),
        credentials,
        access_key_id,
        secret_access_key,
        created,
    })
}

fn create(state: &Path) -> Result<(), String> {
    fs::create_dir_all(state)
        .map_err(|e| format!("cannot create the state folder `{}`: {e}", state.display()))?;
    let rng = OsRandom;
    let access_key_id = generate_access_key_id(AccessKeyKind::LongTerm, ACCOUNT, &rng)
        .map_err(|e| format!("cannot generate the demo access key: {e}"))?;
    let secret = generate_secret_access_key(&rng)
        .map_err(|e| format!("cannot generate the demo secret key: {e}"))?;
    let signing = generate_signing_key(&rng)?;
    let pem = signing
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the demo oidc key: {e}"))?;
    write_file(&state.join(OIDC_KEY_FILE), pem.as_bytes(), true)?;
    write_file(&state.join(JWKS_FILE), jwks(&signing)?.as_bytes(), false)?;
    write_file(&state.join(ACCOUNT_FILE), account_json().as_bytes(), false)?;
    let ring = KeyRing::generate(SystemClock.now(), &rng)
        .map_err(|e| format!("cannot generate the key ring: {e}"))?;
    ring.save(&key_ring_path(state))
        .map_err(|e| format!("cannot write the key ring: {e}"))?;
    let credentials = format!(
        "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {}\n",
        secret.expose()
    );
    write_file(&state.join(CREDENTIALS_FILE), credentials.as_bytes(), true)?;
    // Written last: its presence marks a complete state folder.
    let directory = directory_toml(&access_key_id, secret.expose());
    write_file(&state.join(DIRECTORY_FILE), directory.as_bytes(), true)
}

/// A P-256 signing key from 32 random bytes (retried in the negligible case that the bytes
/// are not a valid scalar).
fn generate_signing_key(rng: &dyn Random) -> Result<SigningKey, String> {
    for _ in 0..8 {
        let mut bytes = [0_u8; 32];
        rng.fill(&mut bytes)
            .map_err(|e| format!("cannot generate the demo oidc key: {e}"))?;
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return Ok(key);
        }
    }
    Err("cannot generate the demo oidc key: no valid scalar drawn".to_owned())
}

fn jwks(signing: &SigningKey) -> Result<String, String> {
    let point = signing.verifying_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err("the demo oidc public key has no affine coordinates".to_owned());
    };
    let set = serde_json::json!({
        "keys": [{
            "kty": "EC",
            "crv": "P-256",
            "use": "sig",
            "alg": "ES256",
            "kid": KEY_ID,
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
        }]
    });
    serde_json::to_string_pretty(&set).map_err(|e| format!("cannot encode the jwk set: {e}"))
}

fn account_json() -> String {
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/demo");
    let provider_arn = format!(
        "arn:aws:iam::{ACCOUNT}:oidc-provider/{}",
        ISSUER.trim_start_matches("https://")
    );
    let provider_key = ISSUER.trim_start_matches("https://");
    let session_policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": "*"
        }]
    });
    let account = serde_json::json!({
        "UserDetailList": [{
            "Path": "/",
            "UserName": "demo",
            "UserId": "AIDAIAMCTLDEMOUSER001",
            "Arn": user_arn,
            "CreateDate": "2026-01-01 00:00:00+00:00",
            "GroupList": [],
            "UserPolicyList": [{
                "PolicyName": "demo-sts",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "sts:AssumeRole",
                                "sts:TagSession",
                                "sts:SetSourceIdentity",
                                "sts:GetFederationToken",
                                "sts:GetSessionToken"
                            ],
                            "Resource": "*"
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": "*"
                        }
                    ]
                }
            }],
            "AttachedManagedPolicies": [],
            "Tags": []
        }],
        "GroupDetailList": [],
        "RoleDetailList": [
            {
                "Path": "/",
                "RoleName": "demo-role",
                "RoleId": "AROAIAMCTLDEMOROLE001",
                "Arn": format!("arn:aws:iam::{ACCOUNT}:role/demo-role"),
                "CreateDate": "2026-01-01 00:00:00+00:00",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"AWS": user_arn},
                        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
                    }]
                },
                "InstanceProfileList": [],
                "RolePolicyList": [{"PolicyName": "demo-read", "PolicyDocument": session_policy}],
                "AttachedManagedPolicies": [],
                "Tags": [],
                "RoleLastUsed": {}
            },
            {
                "Path": "/",
                "RoleName": "web-role",
                "RoleId": "AROAIAMCTLDEMOWEB0001",
                "Arn": format!("arn:aws:iam::{ACCOUNT}:role/web-role"),
                "CreateDate": "2026-01-01 00:00:00+00:00",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {format!("{provider_key}:aud"): AUDIENCE}
                        }
                    }]
                },
                "InstanceProfileList": [],
                "RolePolicyList": [{"PolicyName": "web-read", "PolicyDocument": session_policy}],
                "AttachedManagedPolicies": [],
                "Tags": [],
                "RoleLastUsed": {}
            }
        ],
        "Policies": []
    });
    // `json!` values always serialise.
    serde_json::to_string_pretty(&account).unwrap_or_default()
}

fn directory_toml(access_key_id: &str, secret: &str) -> String {
    format!(
        "# Written by `iamctl serve` on first start: the demo directory.\n\
         # Holds the demo user's secret key: keep this file private.\n\n\
         [[account]]\n\
         id = \"{ACCOUNT}\"\n\
         file = \"{ACCOUNT_FILE}\"\n\n\
         [[account.access_key]]\n\
         user = \"demo\"\n\
         id = \"{access_key_id}\"\n\
         secret = \"{secret}\"\n\n\
         [[account.oidc_provider]]\n\
         url = \"{ISSUER}\"\n\
         client_ids = [\"{AUDIENCE}\"]\n\
         jwks_file = \"{JWKS_FILE}\"\n"
    )
}

fn parse_credentials(text: &str) -> Option<(String, String)> {
    let value = |name: &str| {
        text.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
    };
    Some((value("aws_access_key_id")?, value("aws_secret_access_key")?))
}

/// Writes a new file; `private` files are created owner-only (0600 on unix). An existing file
/// is an error: state is never overwritten.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), String> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// Mints an ES256 ID token of the demo provider for `subject`, valid `lifetime_secs` from
/// `now_secs` (Unix seconds), signed with the state folder's private key.
pub(crate) fn mint_id_token(
    state: &Path,
    subject: &str,
    now_secs: i64,
    lifetime_secs: i64,
) -> Result<String, String> {
    let key_path = state.join(OIDC_KEY_FILE);
    let pem = fs::read_to_string(&key_path)
        .map_err(|e| format!("cannot read `{}`: {e}", key_path.display()))?;
    let signing = SigningKey::from_pkcs8_pem(&pem)
        .map_err(|e| format!("`{}` is not a p-256 pkcs#8 key: {e}", key_path.display()))?;
    let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": KEY_ID});
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": subject,
        "aud": AUDIENCE,
        "iat": now_secs,
        "exp": now_secs.saturating_add(lifetime_secs),
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: Signature = signing.sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_state(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "iamctl-demo-{name}-{}-{}",
            std::process::id(),
            SystemClock.now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn first_start_writes_a_loadable_directory_and_restart_reuses_the_keys() {
        let dir = temp_state("reuse");
        let first = ensure(&dir).unwrap();
        assert!(first.created);
        assert!(first.access_key_id.starts_with("AKIA"));
        assert_eq!(first.secret_access_key.len(), 40);
        let directory = iam_sts::directory::Directory::load(&first.config).unwrap();
        let (account, user, _) = directory.access_key(&first.access_key_id).unwrap();
        assert_eq!((account.id.as_str(), user.name.as_str()), (ACCOUNT, "demo"));
        assert!(KeyRing::load(&first.key_ring).is_ok());
        let second = ensure(&dir).unwrap();
        assert!(!second.created);
        assert_eq!(second.access_key_id, first.access_key_id);
        assert_eq!(second.secret_access_key, first.secret_access_key);
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = temp_state("modes");
        ensure(&dir).unwrap();
        for name in [
            DIRECTORY_FILE,
            OIDC_KEY_FILE,
            CREDENTIALS_FILE,
            KEY_RING_FILE,
        ] {
            let mode = fs::metadata(dir.join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{name} has mode {mode:o}");
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn minted_id_tokens_verify_against_the_written_jwk_set() {
        let dir = temp_state("mint");
        ensure(&dir).unwrap();
        let now = SystemClock.now();
        let token = mint_id_token(&dir, "demo-workload", now.timestamp(), 600).unwrap();
        let jwks = fs::read_to_string(dir.join(JWKS_FILE)).unwrap();
        let keys = iam_sts::webidentity::ProviderKeys::from_json(&jwks).unwrap();
        let provider = iam_sts::webidentity::OidcProvider::iam(
            ACCOUNT,
            ISSUER,
            vec![AUDIENCE.to_owned()],
            keys,
        )
        .unwrap();
        let verified =
            iam_sts::webidentity::verify_web_identity_token(&token, &[provider], now).unwrap();
        assert_eq!(verified.sub, "demo-workload");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn credentials_file_parsing_needs_both_keys() {
        assert_eq!(
            parse_credentials("[default]\naws_access_key_id = A\naws_secret_access_key = B\n"),
            Some(("A".to_owned(), "B".to_owned()))
        );
        assert_eq!(parse_credentials("aws_access_key_id = A\n"), None);
    }
}
