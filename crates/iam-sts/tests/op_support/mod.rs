//! Shared fixture of the `op_*` tests: a small directory written to a temp dir from TOML
//! plus get-account-authorization-details JSON, and a token service over it with a fixed
//! clock and seeded random.
#![cfg(test)]
#![allow(
    dead_code,
    reason = "each test crate uses a different part of the fixture"
)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use iam_policy::context::Context;
use iam_sts::clock::{FixedClock, SeededRandom};
use iam_sts::directory::SharedDirectory;
use iam_sts::keyring::KeyRing;
use iam_sts::service::{AssumeRoleParams, Authorization, ServiceConfig, TokenService};
use iam_sts::session::Caller;
use iam_sts::token::SessionTag;
use iam_sts::totp::{totp_at, TotpSecret};

pub const ACCT: &str = "111122223333";
pub const OTHER: &str = "444455556666";
pub const ALICE_KEY: &str = "AKIAALICEEXAMPLE2345";
pub const BOB_KEY: &str = "AKIABOBEXAMPLE234567";
pub const CAROL_KEY: &str = "AKIACAROLEXAMPLE2345";
pub const DAVE_KEY: &str = "AKIADAVEEXAMPLE23456";
pub const ERIN_KEY: &str = "AKIAERINEXAMPLE23456";
pub const FRANK_KEY: &str = "AKIAFRANKEXAMPLE2345";
pub const INACTIVE_KEY: &str = "AKIAINACTIVEEXAMPLE2";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const MFA_SERIAL: &str = "arn:aws:iam::111122223333:mfa/alice";
pub const MFA_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
pub const APP_ROLE: &str = "arn:aws:iam::111122223333:role/team/app";
pub const CHAIN_ROLE: &str = "arn:aws:iam::111122223333:role/chain";
pub const MFA_ROLE: &str = "arn:aws:iam::111122223333:role/mfa-only";
pub const EXT_ROLE: &str = "arn:aws:iam::111122223333:role/vendor";
pub const CROSS_ROLE: &str = "arn:aws:iam::111122223333:role/cross";
pub const SELF_ROLE: &str = "arn:aws:iam::111122223333:role/selfish";

const TOML: &str = r#"
[[account]]
id = "111122223333"
file = "prod.json"

[[account.access_key]]
user = "alice"
id = "AKIAALICEEXAMPLE2345"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

[[account.access_key]]
user = "bob"
id = "AKIABOBEXAMPLE234567"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

[[account.access_key]]
user = "bob"
id = "AKIAINACTIVEEXAMPLE2"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
status = "inactive"

[[account.access_key]]
user = "erin"
id = "AKIAERINEXAMPLE23456"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

[[account.access_key]]
user = "frank"
id = "AKIAFRANKEXAMPLE2345"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

[[account.mfa_device]]
user = "alice"
serial = "arn:aws:iam::111122223333:mfa/alice"
totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

[[account.role]]
name = "app"
max_session_duration = 7200

[[account.role]]
name = "chain"
max_session_duration = 43200

[[account]]
id = "444455556666"
file = "other.json"

[[account.access_key]]
user = "carol"
id = "AKIACAROLEXAMPLE2345"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

[[account.access_key]]
user = "dave"
id = "AKIADAVEEXAMPLE23456"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

[[account]]
id = "999988887777"

[organization]
id = "o-a1b2c3d4e5"
management_account = "999988887777"
root_id = "r-ab12"
accounts = ["999988887777", "444455556666"]
full_aws_access = true

[[organization.unit]]
id = "ou-ab12-11111111"
name = "prod"
parent = "r-ab12"
accounts = ["111122223333"]

[[organization.policy]]
name = "deny-bucket-delete"
kind = "scp"
text = '''{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}'''
targets = ["ou-ab12-11111111"]
"#;

fn stmt_list(v: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{v}]}}"#)
}

fn user(name: &str, id: &str, acct: &str, policy: Option<&str>, tags: &str) -> String {
    let policies = policy
        .map(|p| {
            format!(
                r#"[{{"PolicyName":"{name}-inline","PolicyDocument":{}}}]"#,
                stmt_list(p)
            )
        })
        .unwrap_or_else(|| "[]".to_owned());
    format!(
        r#"{{"Path":"/","UserName":"{name}","UserId":"{id}","Arn":"arn:aws:iam::{acct}:user/{name}",
        "CreateDate":"2024-01-01 00:00:00+00:00","GroupList":[],"UserPolicyList":{policies},
        "AttachedManagedPolicies":[],"Tags":[{tags}]}}"#
    )
}

fn with_boundary(user_json: String, boundary: &str) -> String {
    let head = user_json.trim_end().trim_end_matches('}');
    format!(
        r#"{head},"PermissionsBoundary":{{"PermissionsBoundaryType":"Policy","PermissionsBoundaryArn":"{boundary}"}}}}"#
    )
}

fn role(
    path: &str,
    name: &str,
    id: &str,
    trust: &str,
    policy: &str,
    tags: &str,
    extra_deny: &str,
) -> String {
    format!(
        r#"{{"Path":"{path}","RoleName":"{name}","RoleId":"{id}","Arn":"arn:aws:iam::111122223333:role{path}{name}",
        "CreateDate":"2024-01-01 00:00:00+00:00","AssumeRolePolicyDocument":{},
        "InstanceProfileList":[],
        "RolePolicyList":[{{"PolicyName":"{name}-inline","PolicyDocument":{}}}],
        "AttachedManagedPolicies":[],"Tags":[{tags}]}}"#,
        stmt_list(trust),
        stmt_list(&format!("{policy}{extra_deny}"))
    )
}

/// The account JSON; `revoke_before` adds an `aws:TokenIssueTime` deny to role `app`.
pub fn prod_json(revoke_before: Option<&str>) -> String {
    let alice_policy = r#"{"Effect":"Allow","Action":["s3:DeleteBucket","sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity","sts:GetFederationToken","sts:DecodeAuthorizationMessage","sts:GetAccessKeyInfo","s3:*"],"Resource":"*"}"#;
    let trusted = r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"}"#;
    let app_trust = format!(
        r#"{{"Effect":"Allow",{trusted},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}},
        {{"Effect":"Deny",{trusted},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:RoleSessionName":"forbidden"}}}}}},
        {{"Effect":"Deny",{trusted},"Action":"sts:TagSession","Condition":{{"StringEquals":{{"aws:RequestTag/project":"secret"}}}}}}"#
    );
    let app_policy = r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket","sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity","sts:DecodeAuthorizationMessage"],"Resource":"*"},
        {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}"#;
    let revoke = revoke_before
        .map(|t| format!(r#",{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{t}"}}}}}}"#))
        .unwrap_or_default();
    let chain_trust = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/team/app"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}"#;
    let mfa_trust = r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#;
    let ext_trust = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123456"}}}"#;
    let cross_trust = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:TagSession"]}"#;
    let self_trust = r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:user/erin"]},"Action":"sts:AssumeRole"}"#;
    let read = r#"{"Effect":"Allow","Action":["s3:GetObject","sts:AssumeRole"],"Resource":"*"}"#;
    format!(
        r#"{{"UserDetailList":[{},{},{},{}],"GroupDetailList":[],"RoleDetailList":[{},{},{},{},{},{}],
        "Policies":[{{"PolicyName":"s3-read","PolicyId":"ANPAEXAMPLES3READ0001","Arn":"arn:aws:iam::111122223333:policy/s3-read",
        "Path":"/","DefaultVersionId":"v1","AttachmentCount":0,"PermissionsBoundaryUsageCount":0,"IsAttachable":true,
        "CreateDate":"2024-01-01 00:00:00+00:00","UpdateDate":"2024-01-01 00:00:00+00:00",
        "PolicyVersionList":[{{"Document":{},"VersionId":"v1","IsDefaultVersion":true,"CreateDate":"2024-01-01 00:00:00+00:00"}}]}}]}}"#,
        user(
            "alice",
            "AIDAEXAMPLEALICE00001",
            ACCT,
            Some(alice_policy),
            r#"{"Key":"team","Value":"platform"}"#
        ),
        user("bob", "AIDAEXAMPLEBOB0000001", ACCT, None, ""),
        with_boundary(
            user(
                "erin",
                "AIDAEXAMPLEERIN000001",
                ACCT,
                Some(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#),
                ""
            ),
            "arn:aws:iam::111122223333:policy/s3-read"
        ),
        user(
            "frank",
            "AIDAEXAMPLEFRANK00001",
            ACCT,
            Some(r#"{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"*"}"#),
            ""
        ),
        role(
            "/team/",
            "app",
            "AROAEXAMPLEAPP0000001",
            &app_trust,
            app_policy,
            r#"{"Key":"team","Value":"blue"},{"Key":"env","Value":"prod"}"#,
            &revoke
        ),
        role(
            "/",
            "chain",
            "AROAEXAMPLECHAIN00001",
            chain_trust,
            read,
            "",
            ""
        ),
        role(
            "/",
            "mfa-only",
            "AROAEXAMPLEMFA0000001",
            mfa_trust,
            read,
            "",
            ""
        ),
        role(
            "/",
            "vendor",
            "AROAEXAMPLEVENDOR0001",
            ext_trust,
            read,
            "",
            ""
        ),
        role(
            "/",
            "cross",
            "AROAEXAMPLECROSS00001",
            cross_trust,
            read,
            "",
            ""
        ),
        role(
            "/",
            "selfish",
            "AROAEXAMPLESELF000001",
            self_trust,
            read,
            "",
            ""
        ),
        stmt_list(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#),
    )
}

fn other_json() -> String {
    format!(
        r#"{{"UserDetailList":[{},{}],"GroupDetailList":[],"RoleDetailList":[],"Policies":[]}}"#,
        user(
            "carol",
            "AIDAEXAMPLECAROL00001",
            OTHER,
            Some(
                r#"{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"arn:aws:iam::111122223333:role/cross"}"#
            ),
            ""
        ),
        user("dave", "AIDAEXAMPLEDAVE000001", OTHER, None, ""),
    )
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

pub struct Fixture {
    pub service: TokenService,
    pub clock: Arc<FixedClock>,
    pub dir: PathBuf,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Fixture {
    pub fn new() -> Fixture {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("iam-sts-ops-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("directory.toml"), TOML).unwrap();
        std::fs::write(dir.join("prod.json"), prod_json(None)).unwrap();
        std::fs::write(dir.join("other.json"), other_json()).unwrap();
        let shared = SharedDirectory::load(dir.join("directory.toml")).unwrap();
        let clock = Arc::new(FixedClock::new(start()));
        let random = Arc::new(SeededRandom::new(7));
        let ring = KeyRing::generate(start() - chrono::Duration::days(1), random.as_ref()).unwrap();
        let service = TokenService::new(
            shared,
            ring,
            clock.clone(),
            random,
            ServiceConfig::default(),
        );
        Fixture {
            service,
            clock,
            dir,
        }
    }

    /// Rewrites the account JSON and reloads the directory.
    pub fn reload_prod(&self, json: &str) {
        std::fs::write(self.dir.join("prod.json"), json).unwrap();
        self.service
            .directory()
            .reload(self.dir.join("directory.toml"))
            .unwrap();
    }

    pub fn caller(&self, key: &str) -> Caller {
        self.service.caller_for_key(key, None).unwrap().0
    }

    pub fn alice(&self) -> Caller {
        self.caller(ALICE_KEY)
    }

    /// The caller of a session of `role` named `name` that alice assumed.
    pub fn alice_role_session(&self, role: &str, name: &str) -> Caller {
        let out = self
            .service
            .assume_role(&self.alice(), &assume(role, name))
            .unwrap();
        self.session_caller(&out.credentials)
    }

    /// The decision on `action` over `resource` of the fixture account, without extra keys.
    pub fn authorize(&self, caller: &Caller, action: &str, resource: &str) -> Authorization {
        self.authorize_with(caller, action, resource, &Context::new())
    }

    /// [`Fixture::authorize`] with the caller-supplied context keys `extra`.
    pub fn authorize_with(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        extra: &Context,
    ) -> Authorization {
        self.service
            .authorize(caller, action, resource, Some(ACCT), extra)
            .unwrap()
    }

    /// The caller using credentials issued by the service.
    pub fn session_caller(&self, creds: &iam_sts::credentials::Credentials) -> Caller {
        self.service
            .caller_for_key(&creds.access_key_id, Some(creds.session_token.expose()))
            .unwrap()
            .0
    }

    pub fn totp_now(&self) -> String {
        let secret = TotpSecret::from_base32(MFA_SEED).unwrap();
        totp_at(&secret, self.service.now().timestamp(), 6).unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn tag(k: &str, v: &str) -> SessionTag {
    SessionTag {
        key: k.to_owned(),
        value: v.to_owned(),
    }
}

pub fn assume(role: &str, name: &str) -> AssumeRoleParams {
    AssumeRoleParams {
        role_arn: Some(role.to_owned()),
        role_session_name: Some(name.to_owned()),
        ..AssumeRoleParams::default()
    }
}

/// A GetCallerIdentity request signed at the fixture's clock time.
pub fn signed(
    f: &Fixture,
    key: &str,
    secret: &str,
    token: Option<&str>,
) -> iam_sts::sigv4::SignedRequest {
    use iam_sts::sigv4::{sign, SecretKey, SignedRequest, SigningParams};
    let secret = SecretKey::new(secret);
    let mut req = SignedRequest::new("POST", "/")
        .with_header("Host", "127.0.0.1:18443")
        .with_header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .with_body("Action=GetCallerIdentity&Version=2011-06-15");
    let mut params = SigningParams::new(key, &secret, "us-east-1", "sts", f.service.now());
    params.security_token = token;
    sign(&mut req, &params).unwrap();
    req
}
