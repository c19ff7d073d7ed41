//! The IAM grammar over the spanned JSON tree: [`crate::json::Value`] →
//! [`crate::ast::PolicyDocument`].
//!
//! Input: the JSON tree of one policy document. Output: the faithful AST plus every
//! grammar error found (wrong JSON types, unknown members, bad operator names, …), each
//! with a span. It collects rather than stops: after a bad element or statement it moves
//! on. Rules that depend on the policy type (principal allowed? resource required?) and
//! on value formats (ARNs, actions, sizes) live in `validate`. Never panics.

use crate::ast::{
    ActionClause, ConditionBlock, ConditionEntry, ConditionValue, Effect, Element, ListForm,
    Operator, OperatorBlock, PolicyDocument, PrincipalClause, PrincipalEntry, PrincipalKind,
    PrincipalValue, ResourceClause, Spanned, Statement, ValueList, Version,
};
use crate::diag::Diagnostic;
use crate::json::{Member, Value, ValueKind};
use crate::source::Span;

/// The message IAM returns for structural errors (`MalformedPolicyDocument`).
pub(crate) const AWS_SYNTAX: &str = "Syntax errors in policy.";
/// The message IAM returns for its "legacy parsing" errors.
pub(crate) const AWS_LEGACY: &str = "The policy failed legacy parsing";

/// The kind of policy a document is, which decides the rules it must follow.
///
/// ```
/// use iam_policy::PolicyType;
/// assert_eq!("scp".parse::<PolicyType>()?, PolicyType::Scp);
/// assert_eq!(PolicyType::Trust.as_str(), "trust");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PolicyType {
    /// An identity-based policy (user, group or role; inline or managed).
    Identity,
    /// A resource-based policy (S3 bucket policy, SQS queue policy, KMS key policy, …).
    Resource,
    /// A role trust policy.
    Trust,
    /// A permissions boundary.
    Boundary,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`.
    Session,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
    /// A VPC endpoint policy.
    VpcEndpoint,
}

impl PolicyType {
    /// Every policy type.
    pub const ALL: &'static [PolicyType] = &[
        PolicyType::Identity,
        PolicyType::Resource,
        PolicyType::Trust,
        PolicyType::Boundary,
        PolicyType::Session,
        PolicyType::Scp,
        PolicyType::Rcp,
        PolicyType::VpcEndpoint,
    ];

    /// The lowercase name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Resource => "resource",
            PolicyType::Trust => "trust",
            PolicyType::Boundary => "boundary",
            PolicyType::Session => "session",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
            PolicyType::VpcEndpoint => "vpce",
        }
    }

    /// True for the identity-style documents: identity, boundary and session policies.
    pub fn is_identity_like(self) -> bool {
        matches!(
            self,
            PolicyType::Identity | PolicyType::Boundary | PolicyType::Session
        )
    }
}

impl std::fmt::Display for PolicyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown policy type name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy type `{0}` (expected identity, resource, trust, boundary, session, scp, rcp or vpce)")]
pub struct UnknownPolicyType(String);

impl std::str::FromStr for PolicyType {
    type Err = UnknownPolicyType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .or_else(|| {
                s.eq_ignore_ascii_case("vpc-endpoint")
                    .then_some(PolicyType::VpcEndpoint)
            })
            .ok_or_else(|| UnknownPolicyType(s.to_string()))
    }
}

/// Diagnostic codes of the grammar stage.
pub(crate) mod code {
    /// The text is not JSON.
    pub const JSON_SYNTAX: &str = "IAM001";
    /// A reader limit was exceeded.
    pub const JSON_LIMIT: &str = "IAM002";
    /// A member name repeats within one object.
    pub const DUPLICATE_KEY: &str = "IAM003";
    /// The top level is not an object.
    pub const NOT_AN_OBJECT: &str = "IAM010";
    /// A member IAM does not know.
    pub const UNKNOWN_MEMBER: &str = "IAM011";
    /// `Statement` missing, empty or not an object/array of objects.
    pub const BAD_STATEMENT: &str = "IAM012";
    /// An element has the wrong JSON type.
    pub const WRONG_TYPE: &str = "IAM013";
    /// `Effect` missing.
    pub const MISSING_EFFECT: &str = "IAM014";
    /// `Effect` not `Allow`/`Deny`.
    pub const BAD_EFFECT: &str = "IAM015";
    /// `Effect` with the wrong letter case.
    pub const EFFECT_CASE: &str = "IAM016";
    /// An element and its `Not` form together.
    pub const CONFLICTING_ELEMENTS: &str = "IAM017";
    /// `Version` not one of the two known strings.
    pub const BAD_VERSION: &str = "IAM018";
    /// Unknown condition operator with a non-empty block.
    pub const UNKNOWN_OPERATOR: &str = "IAM019";
    /// Bad `ForAllValues:`/`ForAnyValue:` syntax.
    pub const BAD_QUALIFIER: &str = "IAM020";
    /// Unknown key in a principal object.
    pub const BAD_PRINCIPAL_KEY: &str = "IAM021";
}

/// Parse the JSON tree of a policy into its AST, appending every grammar error to
/// `diags`. Returns `None` only when the top level is not an object.
pub(crate) fn document(root: &Value<'_>, diags: &mut Vec<Diagnostic>) -> Option<PolicyDocument> {
    let ValueKind::Object(members) = &root.kind else {
        diags.push(
            syntax(
                code::NOT_AN_OBJECT,
                format!("policy must be a json object, found {}", kind_name(&root.kind)),
                root.span,
            )
            .with_help("a policy document looks like `{\"Version\": \"2012-10-17\", \"Statement\": [...]}`"),
        );
        return None;
    };
    let mut version = None;
    let mut id = None;
    let mut statement = None;
    for m in members {
        match m.key.as_ref() {
            "Version" => version = parse_version(&m.value, diags).or(version),
            "Id" => id = string(&m.value, "Id", diags).or(id),
            "Statement" => statement = Some(&m.value),
            other => diags.push(unknown_member(
                m,
                other,
                "policy",
                &["Version", "Id", "Statement"],
            )),
        }
    }
    let (statements, statement_form, statement_span) = match statement {
        None => {
            diags.push(syntax(
                code::BAD_STATEMENT,
                "policy has no `Statement`",
                Span::at(root.span.start),
            ));
            (Vec::new(), ListForm::Array, Span::at(root.span.start))
        }
        Some(v) => {
            let (stmts, form) = statements(v, diags);
            (stmts, form, v.span)
        }
    };
    Some(PolicyDocument {
        version,
        id,
        statements,
        statement_form,
        statement_span,
        span: root.span,
    })
}

fn statements(value: &Value<'_>, diags: &mut Vec<Diagnostic>) -> (Vec<Statement>, ListForm) {
    match &value.kind {
        ValueKind::Object(members) => (
            vec![statement(value.span, members, diags)],
            ListForm::Single,
        ),
        ValueKind::Array(items) => {
            if items.is_empty() {
                diags.push(syntax(
                    code::BAD_STATEMENT,
                    "`Statement` is an empty array",
                    value.span,
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match &item.kind {
                    ValueKind::Object(members) => out.push(statement(item.span, members, diags)),
                    other => diags.push(syntax(
                        code::BAD_STATEMENT,
                        format!(
                            "statement must be a json object, found {}",
                            kind_name(other)
                        ),
                        item.span,
                    )),
                }
            }
            (out, ListForm::Array)
        }
        other => {
            diags.push(syntax(
                code::BAD_STATEMENT,
                format!(
                    "`Statement` must be an object or an array of objects, found {}",
                    kind_name(other)
                ),
                value.span,
            ));
            (Vec::new(), ListForm::Array)
        }
    }
}

const STATEMENT_MEMBERS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn statement(span: Span, members: &[Member<'_>], diags: &mut Vec<Diagnostic>) -> Statement {
    let mut st = Statement {
        sid: None,
        effect: None,
        principal: None,
        action: None,
        resource: None,
        condition: None,
        span,
        // one entry per member unless some are unknown or repeated
        order: Vec::with_capacity(members.len()),
    };
    let mut effect_seen = false;
    let mut seen: [Option<Span>; 3] = [None; 3]; // principal, action, resource key spans
    for m in members {
        let key = m.key.as_ref();
        let element = match key {
            "Sid" => {
                st.sid = string(&m.value, "Sid", diags).or(st.sid.take());
                Element::Sid
            }
            "Effect" => {
                effect_seen = true;
                st.effect = effect(&m.value, diags).or(st.effect.take());
                Element::Effect
            }
            "Principal" | "NotPrincipal" => {
                if let Some(prev) = seen[0].replace(m.key_span) {
                    diags.push(conflict("Principal", "NotPrincipal", m.key_span, prev));
                }
                st.principal = principal(m, key == "NotPrincipal", diags).or(st.principal.take());
                Element::Principal
            }
            "Action" | "NotAction" => {
                if let Some(prev) = seen[1].replace(m.key_span) {
                    diags.push(conflict("Action", "NotAction", m.key_span, prev));
                }
                st.action = string_list(&m.value, key, diags)
                    .map(|items| ActionClause {
                        negated: key == "NotAction",
                        items,
                        key_span: m.key_span,
                    })
                    .or(st.action.take());
                Element::Action
            }
            "Resource" | "NotResource" => {
                if let Some(prev) = seen[2].replace(m.key_span) {
                    diags.push(conflict("Resource", "NotResource", m.key_span, prev));
                }
                st.resource = string_list(&m.value, key, diags)
                    .map(|items| ResourceClause {
                        negated: key == "NotResource",
                        items,
                        key_span: m.key_span,
                    })
                    .or(st.resource.take());
                Element::Resource
            }
            "Condition" => {
                st.condition = condition(&m.value, diags).or(st.condition.take());
                Element::Condition
            }
            other => {
                diags.push(unknown_member(m, other, "statement", STATEMENT_MEMBERS));
                continue;
            }
        };
        if !st.order.contains(&element) {
            st.order.push(element);
        }
    }
    if !effect_seen {
        diags.push(
            syntax(
                code::MISSING_EFFECT,
                "statement has no `Effect`",
                Span::at(span.start),
            )
            .with_help("add `\"Effect\": \"Allow\"` or `\"Effect\": \"Deny\"`"),
        );
    }
    st
}

fn conflict(a: &str, b: &str, span: Span, _prev: Span) -> Diagnostic {
    syntax(
        code::CONFLICTING_ELEMENTS,
        format!("a statement cannot have both `{a}` and `{b}`"),
        span,
    )
    .with_help(format!("keep either `{a}` or `{b}`"))
}

fn parse_version(value: &Value<'_>, diags: &mut Vec<Diagnostic>) -> Option<Spanned<Version>> {
    let text = match &value.kind {
        ValueKind::String(s) => s.as_ref(),
        other => {
            diags.push(syntax(
                code::BAD_VERSION,
                format!("`Version` must be a string, found {}", kind_name(other)),
                value.span,
            ));
            return None;
        }
    };
    let v = match text {
        "2012-10-17" => Version::V2012_10_17,
        "2008-10-17" => Version::V2008_10_17,
        _ => {
            diags.push(
                syntax(
                    code::BAD_VERSION,
                    format!("unknown policy version `{text}`"),
                    value.span,
                )
                .with_help("use `\"Version\": \"2012-10-17\"`"),
            );
            return None;
        }
    };
    Some(Spanned::new(v, value.span))
}

fn effect(value: &Value<'_>, diags: &mut Vec<Diagnostic>) -> Option<Spanned<Effect>> {
    let ValueKind::String(s) = &value.kind else {
        diags.push(wrong_type("Effect", "a string", value));
        return None;
    };
    match s.as_ref() {
        "Allow" => Some(Spanned::new(Effect::Allow, value.span)),
        "Deny" => Some(Spanned::new(Effect::Deny, value.span)),
        other => {
            let (code, aws) =
                if other.eq_ignore_ascii_case("allow") || other.eq_ignore_ascii_case("deny") {
                    (code::EFFECT_CASE, AWS_LEGACY)
                } else {
                    (code::BAD_EFFECT, AWS_SYNTAX)
                };
            let fixed = if other.eq_ignore_ascii_case("deny") {
                "Deny"
            } else {
                "Allow"
            };
            let mut d = Diagnostic::error(
                code,
                format!("`Effect` must be `Allow` or `Deny`, found `{other}`"),
                value.span,
            )
            .with_aws_message(aws);
            if code == code::EFFECT_CASE {
                d = d.with_help(format!("the value is case-sensitive: write `{fixed}`"));
            }
            diags.push(d);
            None
        }
    }
}

fn string(
    value: &Value<'_>,
    element: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Spanned<String>> {
    match &value.kind {
        ValueKind::String(s) => Some(Spanned::new(s.to_string(), value.span)),
        _ => {
            diags.push(wrong_type(element, "a string", value));
            None
        }
    }
}

/// A string or an array of strings.
fn string_list(
    value: &Value<'_>,
    element: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<ValueList<String>> {
    match &value.kind {
        ValueKind::String(s) => Some(ValueList {
            items: vec![Spanned::new(s.to_string(), value.span)],
            form: ListForm::Single,
            span: value.span,
        }),
        ValueKind::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for item in items {
                match &item.kind {
                    ValueKind::String(s) => out.push(Spanned::new(s.to_string(), item.span)),
                    _ => {
                        ok = false;
                        diags.push(wrong_type(element, "a string", item));
                    }
                }
            }
            ok.then_some(ValueList {
                items: out,
                form: ListForm::Array,
                span: value.span,
            })
        }
        _ => {
            diags.push(wrong_type(
                element,
                "a string or an array of strings",
                value,
            ));
            None
        }
    }
}

fn principal(
    m: &Member<'_>,
    negated: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<PrincipalClause> {
    let name = if negated { "NotPrincipal" } else { "Principal" };
    let value = &m.value;
    let pv = match &value.kind {
        ValueKind::String(s) if s == "*" => PrincipalValue::Any,
        ValueKind::String(s) => {
            diags.push(
                syntax(
                    code::WRONG_TYPE,
                    format!("`{name}` must be `*` or an object, found the string `{s}`"),
                    value.span,
                )
                .with_help(format!("write `{{\"AWS\": \"{s}\"}}`")),
            );
            return None;
        }
        ValueKind::Object(members) => {
            let mut entries = Vec::with_capacity(members.len());
            let mut ok = true;
            for e in members {
                let kind = match e.key.as_ref() {
                    "AWS" => PrincipalKind::Aws,
                    "Service" => PrincipalKind::Service,
                    "Federated" => PrincipalKind::Federated,
                    "CanonicalUser" => PrincipalKind::CanonicalUser,
                    other => {
                        ok = false;
                        diags.push(
                            syntax(
                                code::BAD_PRINCIPAL_KEY,
                                format!("unknown principal type `{other}`"),
                                e.key_span,
                            )
                            .with_help("use `AWS`, `Service`, `Federated` or `CanonicalUser`"),
                        );
                        continue;
                    }
                };
                match string_list(&e.value, kind.as_str(), diags) {
                    Some(values) => entries.push(PrincipalEntry {
                        kind: Spanned::new(kind, e.key_span),
                        values,
                    }),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            PrincipalValue::Map(entries)
        }
        _ => {
            diags.push(wrong_type(name, "`*` or an object", value));
            return None;
        }
    };
    Some(PrincipalClause {
        negated,
        value: pv,
        key_span: m.key_span,
        span: value.span,
    })
}

fn condition(value: &Value<'_>, diags: &mut Vec<Diagnostic>) -> Option<ConditionBlock> {
    let ValueKind::Object(ops) = &value.kind else {
        diags.push(wrong_type("Condition", "an object", value));
        return None;
    };
    let mut operators = Vec::with_capacity(ops.len());
    let mut ok = true;
    for op in ops {
        let name = op.key.as_ref();
        let Ok(operator) = Operator::parse_name(name) else {
            ok = false;
            diags.push(
                syntax(
                    code::BAD_QUALIFIER,
                    format!("bad condition operator name `{name}`"),
                    op.key_span,
                )
                .with_help("write `ForAllValues:` or `ForAnyValue:` followed by an operator"),
            );
            continue;
        };
        let ValueKind::Object(keys) = &op.value.kind else {
            ok = false;
            diags.push(wrong_type(name, "an object of condition keys", &op.value));
            continue;
        };
        if operator.base.is_none() && !keys.is_empty() {
            ok = false;
            diags.push(
                syntax(
                    code::UNKNOWN_OPERATOR,
                    format!("unknown condition operator `{name}`"),
                    op.key_span,
                )
                .with_help("see the list of condition operators in the IAM documentation"),
            );
            continue;
        }
        let mut entries = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(values) = condition_values(&k.value, diags) {
                entries.push(ConditionEntry {
                    key: Spanned::new(k.key.to_string(), k.key_span),
                    values,
                });
            } else {
                ok = false;
            }
        }
        operators.push(OperatorBlock {
            operator: Spanned::new(operator, op.key_span),
            name: name.to_string(),
            entries,
            span: op.value.span,
        });
    }
    ok.then_some(ConditionBlock {
        operators,
        span: value.span,
    })
}

fn condition_value(value: &Value<'_>, diags: &mut Vec<Diagnostic>) -> Option<ConditionValue> {
    match &value.kind {
        ValueKind::String(s) => Some(ConditionValue::String(s.to_string())),
        ValueKind::Number(n) => Some(ConditionValue::Number((*n).to_string())),
        ValueKind::Bool(b) => Some(ConditionValue::Bool(*b)),
        _ => {
            diags.push(wrong_type(
                "condition value",
                "a string, number or boolean",
                value,
            ));
            None
        }
    }
}

fn condition_values(
    value: &Value<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<ValueList<ConditionValue>> {
    match &value.kind {
        ValueKind::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for item in items {
                match condition_value(item, diags) {
                    Some(v) => out.push(Spanned::new(v, item.span)),
                    None => ok = false,
                }
            }
            ok.then_some(ValueList {
                items: out,
                form: ListForm::Array,
                span: value.span,
            })
        }
        _ => condition_value(value, diags).map(|v| ValueList {
            items: vec![Spanned::new(v, value.span)],
            form: ListForm::Single,
            span: value.span,
        }),
    }
}

fn syntax(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(code, message, span).with_aws_message(AWS_SYNTAX)
}

fn wrong_type(element: &str, expected: &str, value: &Value<'_>) -> Diagnostic {
    syntax(
        code::WRONG_TYPE,
        format!(
            "`{element}` must be {expected}, found {}",
            kind_name(&value.kind)
        ),
        value.span,
    )
}

fn unknown_member(m: &Member<'_>, name: &str, place: &str, known: &[&str]) -> Diagnostic {
    let mut d = syntax(
        code::UNKNOWN_MEMBER,
        format!("unknown {place} element `{name}`"),
        m.key_span,
    );
    if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        d = d.with_help(format!("element names are case-sensitive: write `{k}`"));
    } else {
        d = d.with_help(format!("a {place} may contain only {}", known.join(", ")));
    }
    d
}

pub(crate) fn kind_name(kind: &ValueKind<'_>) -> &'static str {
    match kind {
        ValueKind::Null => "null",
        ValueKind::Bool(_) => "a boolean",
        ValueKind::Number(_) => "a number",
        ValueKind::String(_) => "a string",
        ValueKind::Array(_) => "an array",
        ValueKind::Object(_) => "an object",
    }
}
