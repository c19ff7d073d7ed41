//! Reading one `aws iam get-account-authorization-details` JSON file.
//!
//! Stage: configuration loading. Input: the file's spanned JSON tree (from
//! `iam_policy::json`) and the account id it should describe. Output: the account's users,
//! groups, roles and managed policies, plus the managed-policy references still to be
//! resolved, with every problem reported at its line:col in the file. Policy documents may
//! be JSON objects or (URL-encoded) strings; each is validated by `iam_policy`. Fields the
//! service does not use (`CreateDate`, `RoleLastUsed`, `InstanceProfileList`, counts) are
//! ignored. It never reads other files.

use std::collections::BTreeMap;

use iam_policy::json::{Value, ValueKind};
use iam_policy::PolicyType;

use super::load::{check_embedded, member, string_of, FileCtx, PolicyKind};
use super::{Group, LoadError, ManagedPolicy, Origin, PolicyText, Role, Tag, User};

/// What one file yields.
#[derive(Debug, Default)]
pub(super) struct AuthzAccount {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
    pub managed: BTreeMap<String, ManagedPolicy>,
    /// Managed-policy ARNs referenced by attachments and boundaries, with where.
    pub references: Vec<(String, Origin, String)>,
}

/// The parts of an IAM ARN `arn:<partition>:iam::<account>:<resource>`.
pub(super) struct IamArn<'s> {
    pub account: &'s str,
    pub resource: &'s str,
}

/// Split an IAM ARN; `None` when it is not one.
pub(super) fn iam_arn(arn: &str) -> Option<IamArn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") || resource.is_empty() {
        return None;
    }
    Some(IamArn { account, resource })
}

/// True for a 12-digit account id.
pub(super) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account ids named by the entity ARNs of the file, most frequent first.
pub(super) fn accounts_in(root: &Value<'_>) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for list in [
        "UserDetailList",
        "GroupDetailList",
        "RoleDetailList",
        "Policies",
    ] {
        if let Some(ValueKind::Array(items)) = member(root, list).map(|v| &v.kind) {
            for item in items {
                if let Some(arn) = member(item, "Arn").and_then(string_of) {
                    if let Some(a) = iam_arn(arn) {
                        if is_account_id(a.account) {
                            *counts.entry(a.account.to_string()).or_default() += 1;
                        }
                    }
                }
            }
        }
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.into_iter().map(|(a, _)| a).collect()
}

struct Reader<'c> {
    ctx: &'c FileCtx,
    account_id: String,
    allow_foreign: bool,
    errors: &'c mut Vec<LoadError>,
    warnings: &'c mut Vec<LoadError>,
    out: AuthzAccount,
}

/// Read the file whose tree is `root` as account `account_id`.
pub(super) fn read_account(
    ctx: &FileCtx,
    root: &Value<'_>,
    account_id: &str,
    allow_foreign: bool,
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> AuthzAccount {
    let mut r = Reader {
        ctx,
        account_id: account_id.to_string(),
        allow_foreign,
        errors,
        warnings,
        out: AuthzAccount::default(),
    };
    if !matches!(root.kind, ValueKind::Object(_)) {
        r.err(root.span, "authorization details must be a json object");
        return r.out;
    }
    if let ValueKind::Object(members) = &root.kind {
        for m in members {
            if !matches!(
                m.key.as_ref(),
                "UserDetailList"
                    | "GroupDetailList"
                    | "RoleDetailList"
                    | "Policies"
                    | "Marker"
                    | "IsTruncated"
            ) {
                r.err(m.key_span, format!("unknown member `{}`", m.key));
            }
        }
    }
    if let Some(v) = member(root, "IsTruncated") {
        if matches!(v.kind, ValueKind::Bool(true)) {
            r.err(
                v.span,
                "the export is truncated (`IsTruncated` is true): fetch every page and merge them",
            );
        }
    }
    for item in r.list(root, "Policies") {
        r.managed_policy(item);
    }
    for item in r.list(root, "GroupDetailList") {
        r.group(item);
    }
    for item in r.list(root, "UserDetailList") {
        r.user(item);
    }
    for item in r.list(root, "RoleDetailList") {
        r.role(item);
    }
    r.out
}

/// Characters IAM allows in user, group and role names.
fn name_ok(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.chars().count() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

impl Reader<'_> {
    fn err(&mut self, span: iam_policy::Span, msg: impl Into<String>) {
        self.errors.push(self.ctx.error(span, msg));
    }

    fn list<'v, 'a>(&mut self, root: &'v Value<'a>, key: &str) -> Vec<&'v Value<'a>> {
        match member(root, key) {
            None => Vec::new(),
            Some(v) => match &v.kind {
                ValueKind::Array(items) => items
                    .iter()
                    .filter(|item| {
                        let ok = matches!(item.kind, ValueKind::Object(_));
                        if !ok {
                            self.errors.push(self.ctx.error(
                                item.span,
                                format!("each entry of `{key}` must be an object"),
                            ));
                        }
                        ok
                    })
                    .collect(),
                _ => {
                    self.err(v.span, format!("`{key}` must be an array"));
                    Vec::new()
                }
            },
        }
    }

    /// A required string member.
    fn text(&mut self, obj: &Value<'_>, key: &str, what: &str) -> Option<String> {
        match member(obj, key) {
            None => {
                self.err(obj.span, format!("{what} is missing `{key}`"));
                None
            }
            Some(v) => match string_of(v) {
                Some(s) => Some(s.to_string()),
                None => {
                    self.err(v.span, format!("`{key}` must be a string"));
                    None
                }
            },
        }
    }

    /// An optional list of strings.
    fn strings(&mut self, obj: &Value<'_>, key: &str) -> Vec<(String, iam_policy::Span)> {
        let Some(v) = member(obj, key) else {
            return Vec::new();
        };
        let ValueKind::Array(items) = &v.kind else {
            self.err(v.span, format!("`{key}` must be an array"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match string_of(item) {
                Some(s) => out.push((s.to_string(), item.span)),
                None => self.err(item.span, format!("entries of `{key}` must be strings")),
            }
        }
        out
    }

    /// Check an entity ARN against its kind, path, name and account.
    fn check_arn(&mut self, obj: &Value<'_>, arn: &str, kind: &str, path: &str, name: &str) {
        let span = member(obj, "Arn").map_or(obj.span, |v| v.span);
        let Some(parts) = iam_arn(arn) else {
            self.err(span, format!("`{arn}` is not an iam arn"));
            return;
        };
        let expected = format!("{kind}{path}{name}");
        if parts.resource != expected {
            self.err(
                span,
                format!("arn `{arn}` does not match path `{path}` and name `{name}` (expected resource `{expected}`)"),
            );
        }
        if parts.account != self.account_id && !(kind == "policy" && parts.account == "aws") {
            if !is_account_id(parts.account) {
                self.err(span, format!("arn `{arn}` has no 12-digit account id"));
            } else if !self.allow_foreign {
                self.err(
                    span,
                    format!(
                        "arn `{arn}` names account `{}` but this file is account `{}`",
                        parts.account, self.account_id
                    ),
                );
            }
        }
    }

    fn path(&mut self, obj: &Value<'_>) -> String {
        match member(obj, "Path") {
            None => "/".to_string(),
            Some(v) => match string_of(v) {
                Some(p) if p.starts_with('/') && p.ends_with('/') && p.len() <= 512 => {
                    p.to_string()
                }
                Some(p) => {
                    self.err(v.span, format!("path `{p}` must start and end with `/`"));
                    p.to_string()
                }
                None => {
                    self.err(v.span, "`Path` must be a string");
                    "/".to_string()
                }
            },
        }
    }

    fn name(&mut self, obj: &Value<'_>, key: &str, what: &str, max: usize) -> Option<String> {
        let name = self.text(obj, key, what)?;
        if !name_ok(&name, max) {
            let span = member(obj, key).map_or(obj.span, |v| v.span);
            self.err(
                span,
                format!("{what} name `{name}` must be 1 to {max} of letters, digits and `_+=,.@-`"),
            );
        }
        Some(name)
    }

    fn tags(&mut self, obj: &Value<'_>) -> Vec<Tag> {
        let Some(v) = member(obj, "Tags") else {
            return Vec::new();
        };
        let ValueKind::Array(items) = &v.kind else {
            self.err(v.span, "`Tags` must be an array");
            return Vec::new();
        };
        let mut tags: Vec<Tag> = Vec::new();
        for item in items {
            let key = self.text(item, "Key", "tag");
            let value = self.text(item, "Value", "tag");
            if let (Some(key), Some(value)) = (key, value) {
                if tags.iter().any(|t| t.key.eq_ignore_ascii_case(&key)) {
                    self.err(
                        item.span,
                        format!("duplicate tag key `{key}` (tag keys are case-insensitive)"),
                    );
                } else {
                    tags.push(Tag { key, value });
                }
            }
        }
        tags
    }

    fn inline_policies(&mut self, obj: &Value<'_>, key: &str, owner: &str) -> Vec<PolicyText> {
        let mut out: Vec<PolicyText> = Vec::new();
        for item in self.list(obj, key) {
            let Some(name) = self.text(item, "PolicyName", "inline policy") else {
                continue;
            };
            if out.iter().any(|p| p.name == name) {
                self.err(
                    item.span,
                    format!("duplicate inline policy `{name}` of {owner}"),
                );
                continue;
            }
            let Some(doc) = member(item, "PolicyDocument") else {
                self.err(
                    item.span,
                    format!("inline policy `{name}` is missing `PolicyDocument`"),
                );
                continue;
            };
            let what = format!("inline policy `{name}` of {owner}");
            if let Some(p) = check_embedded(
                self.ctx,
                doc,
                &PolicyKind::inline(&name, &what, PolicyType::Identity),
                self.errors,
                self.warnings,
            ) {
                out.push(p);
            }
        }
        out
    }

    fn attached(&mut self, obj: &Value<'_>, owner: &str) -> Vec<String> {
        let mut out = Vec::new();
        for item in self.list(obj, "AttachedManagedPolicies") {
            let Some(arn) = self.text(item, "PolicyArn", "attached policy") else {
                continue;
            };
            let span = member(item, "PolicyArn").map_or(item.span, |v| v.span);
            self.out.references.push((
                arn.clone(),
                self.ctx.origin(span.start),
                format!("attached to {owner}"),
            ));
            out.push(arn);
        }
        out
    }

    fn boundary(&mut self, obj: &Value<'_>, owner: &str) -> Option<String> {
        let v = member(obj, "PermissionsBoundary")?;
        let arn = self.text(v, "PermissionsBoundaryArn", "permissions boundary")?;
        let span = member(v, "PermissionsBoundaryArn").map_or(v.span, |x| x.span);
        self.out.references.push((
            arn.clone(),
            self.ctx.origin(span.start),
            format!("permissions boundary of {owner}"),
        ));
        Some(arn)
    }

    fn id(&mut self, obj: &Value<'_>, key: &str, what: &str) -> String {
        self.text(obj, key, what).unwrap_or_default()
    }

    fn user(&mut self, obj: &Value<'_>) {
        let Some(name) = self.name(obj, "UserName", "user", 64) else {
            return;
        };
        let owner = format!("user `{name}`");
        let path = self.path(obj);
        let arn = self.text(obj, "Arn", &owner);
        if let Some(arn) = &arn {
            self.check_arn(obj, arn, "user", &path, &name);
        }
        let arn = arn.unwrap_or_default();
        let id = self.id(obj, "UserId", &owner);
        let mut groups = Vec::new();
        for (g, span) in self.strings(obj, "GroupList") {
            if !self
                .out
                .groups
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(&g))
            {
                self.err(span, format!("{owner} is in unknown group `{g}`"));
            }
            groups.push(g);
        }
        let inline_policies = self.inline_policies(obj, "UserPolicyList", &owner);
        let attached_policies = self.attached(obj, &owner);
        let boundary = self.boundary(obj, &owner);
        let tags = self.tags(obj);
        if self
            .out
            .users
            .iter()
            .any(|u| u.name.eq_ignore_ascii_case(&name))
        {
            self.err(obj.span, format!("duplicate user `{name}`"));
            return;
        }
        self.out.users.push(User {
            account_id: self.account_id.clone(),
            name,
            path,
            arn,
            id,
            groups,
            inline_policies,
            attached_policies,
            boundary,
            tags,
            access_keys: Vec::new(),
            mfa_devices: Vec::new(),
            origin: self.ctx.origin(obj.span.start),
        });
    }

    fn group(&mut self, obj: &Value<'_>) {
        let Some(name) = self.name(obj, "GroupName", "group", 128) else {
            return;
        };
        let owner = format!("group `{name}`");
        let path = self.path(obj);
        let arn = self.text(obj, "Arn", &owner);
        if let Some(arn) = &arn {
            self.check_arn(obj, arn, "group", &path, &name);
        }
        let arn = arn.unwrap_or_default();
        let id = self.id(obj, "GroupId", &owner);
        let inline_policies = self.inline_policies(obj, "GroupPolicyList", &owner);
        let attached_policies = self.attached(obj, &owner);
        if self
            .out
            .groups
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(&name))
        {
            self.err(obj.span, format!("duplicate group `{name}`"));
            return;
        }
        self.out.groups.push(Group {
            account_id: self.account_id.clone(),
            name,
            path,
            arn,
            id,
            inline_policies,
            attached_policies,
            origin: self.ctx.origin(obj.span.start),
        });
    }

    fn role(&mut self, obj: &Value<'_>) {
        let Some(name) = self.name(obj, "RoleName", "role", 64) else {
            return;
        };
        let owner = format!("role `{name}`");
        let path = self.path(obj);
        let arn = self.text(obj, "Arn", &owner);
        if let Some(arn) = &arn {
            self.check_arn(obj, arn, "role", &path, &name);
        }
        let arn = arn.unwrap_or_default();
        let id = self.id(obj, "RoleId", &owner);
        let trust = match member(obj, "AssumeRolePolicyDocument") {
            None => {
                self.err(
                    obj.span,
                    format!("{owner} is missing `AssumeRolePolicyDocument`"),
                );
                None
            }
            Some(doc) => check_embedded(
                self.ctx,
                doc,
                &PolicyKind::inline(
                    "trust policy",
                    &format!("trust policy of {owner}"),
                    PolicyType::Trust,
                ),
                self.errors,
                self.warnings,
            ),
        };
        let inline_policies = self.inline_policies(obj, "RolePolicyList", &owner);
        let attached_policies = self.attached(obj, &owner);
        let boundary = self.boundary(obj, &owner);
        let tags = self.tags(obj);
        let duration = match member(obj, "MaxSessionDuration") {
            None => None,
            Some(v) => {
                let n = match &v.kind {
                    ValueKind::Number(n) => n.parse::<i64>().ok(),
                    _ => None,
                };
                match n {
                    Some(n) if (3600..=43200).contains(&n) => u32::try_from(n).ok(),
                    _ => {
                        self.err(
                            v.span,
                            format!("`MaxSessionDuration` of {owner} must be an integer from 3600 to 43200"),
                        );
                        None
                    }
                }
            }
        };
        if self
            .out
            .roles
            .iter()
            .any(|r| r.name.eq_ignore_ascii_case(&name))
        {
            self.err(obj.span, format!("duplicate role `{name}`"));
            return;
        }
        let Some(trust_policy) = trust else {
            return;
        };
        self.out.roles.push(Role {
            account_id: self.account_id.clone(),
            name,
            path,
            arn,
            id,
            trust_policy,
            inline_policies,
            attached_policies,
            boundary,
            max_session_duration: duration.unwrap_or(3600),
            tags,
            origin: self.ctx.origin(obj.span.start),
        });
    }

    fn managed_policy(&mut self, obj: &Value<'_>) {
        let Some(name) = self.text(obj, "PolicyName", "managed policy") else {
            return;
        };
        let owner = format!("managed policy `{name}`");
        let path = self.path(obj);
        let Some(arn) = self.text(obj, "Arn", &owner) else {
            return;
        };
        self.check_arn(obj, &arn, "policy", &path, &name);
        let aws_managed = iam_arn(&arn).is_some_and(|a| a.account == "aws");
        let versions = self.list(obj, "PolicyVersionList");
        let defaults: Vec<&Value<'_>> = versions
            .iter()
            .copied()
            .filter(|v| {
                matches!(
                    member(v, "IsDefaultVersion").map(|b| &b.kind),
                    Some(ValueKind::Bool(true))
                )
            })
            .collect();
        let version = match defaults.as_slice() {
            [one] => *one,
            [] => {
                self.err(
                    obj.span,
                    format!("{owner} has no default version in `PolicyVersionList`"),
                );
                return;
            }
            [_, second, ..] => {
                self.err(
                    second.span,
                    format!("{owner} has more than one default version"),
                );
                return;
            }
        };
        if let (Some(want), Some(got)) = (
            member(obj, "DefaultVersionId").and_then(string_of),
            member(version, "VersionId").and_then(string_of),
        ) {
            if want != got {
                self.err(
                    version.span,
                    format!("{owner}: `DefaultVersionId` is `{want}` but the default version is `{got}`"),
                );
            }
        }
        let Some(doc) = member(version, "Document") else {
            self.err(
                version.span,
                format!("default version of {owner} has no `Document`"),
            );
            return;
        };
        let policy = check_embedded(
            self.ctx,
            doc,
            &PolicyKind::managed(&arn, &owner, aws_managed),
            self.errors,
            self.warnings,
        );
        if self.out.managed.contains_key(&arn) {
            self.err(obj.span, format!("duplicate managed policy `{arn}`"));
            return;
        }
        if let Some(policy) = policy {
            self.out.managed.insert(
                arn.clone(),
                ManagedPolicy {
                    arn,
                    name,
                    aws_managed,
                    policy,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iam_policy::json::{parse, Limits};
    use std::path::PathBuf;

    fn read(text: &str) -> (AuthzAccount, Vec<LoadError>) {
        let ctx = FileCtx::new(PathBuf::from("a.json"), text.to_string());
        let doc = parse(&ctx.text, &Limits::default()).unwrap();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let out = read_account(
            &ctx,
            &doc.root,
            "111122223333",
            false,
            &mut errors,
            &mut warnings,
        );
        (out, errors)
    }

    #[test]
    fn truncated_export_and_unknown_members_are_refused() {
        let (_, errors) = read(r#"{"IsTruncated": true, "Marker": "x", "Users": []}"#);
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(errors.len(), 2, "{messages:?}");
        assert!(messages[0].contains("unknown member `Users`"));
        assert_eq!((errors[0].line, errors[0].col), (1, 38));
        assert!(messages[1].contains("truncated"));
    }

    #[test]
    fn missing_arn_is_reported_once() {
        let (out, errors) =
            read(r#"{"UserDetailList": [{"UserName": "a", "UserId": "AIDA1", "Path": "/"}]}"#);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("user `a` is missing `Arn`"));
        assert_eq!(out.users.len(), 1);
    }

    #[test]
    fn plain_json_string_policy_is_accepted_like_an_encoded_one() {
        let plain = r#"{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]}"#;
        let text = format!(
            r#"{{"GroupDetailList": [{{"GroupName": "g", "GroupId": "AGPA1", "Path": "/",
                "Arn": "arn:aws:iam::111122223333:group/g",
                "GroupPolicyList": [{{"PolicyName": "p", "PolicyDocument": "{plain}"}}]}}]}}"#
        );
        let (out, errors) = read(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(out.groups[0].inline_policies[0]
            .text
            .starts_with("{\"Version\""));
    }

    #[test]
    fn entries_that_are_not_objects_are_errors() {
        let (_, errors) = read(r#"{"RoleDetailList": [1, "x"], "Policies": {}}"#);
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`Policies` must be an array",
                "each entry of `RoleDetailList` must be an object",
                "each entry of `RoleDetailList` must be an object",
            ]
        );
    }

    #[test]
    fn iam_arns_are_split_into_account_and_resource() {
        let a = iam_arn("arn:aws:iam::111122223333:user/x/y").unwrap();
        assert_eq!((a.account, a.resource), ("111122223333", "user/x/y"));
        assert!(iam_arn("arn:aws:s3:::b").is_none());
        assert!(iam_arn("arn:foo:iam::1:user/x").is_none());
        assert!(iam_arn("arn:aws:iam:us-east-1:111122223333:user/x").is_none());
    }
}
