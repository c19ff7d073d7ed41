//! The decision case format (spec/case-format.md plus the extension fields of
//! `corpus/decisions/README.md`): one JSON line → a compiled case → one JSON result.
//!
//! Input: the text of one case line. Output: a [`Case`] (layers compiled, request
//! built) and the result object `{"id", "decision", "deciding", ...}` that
//! `iamctl can --cases` prints; a case that cannot be evaluated gives
//! `"decision": "Error"` with a message. Used by the CLI, the tests and the benches.
//! It does no I/O and never panics on any input.

use serde_json::{json, Map, Value};

use crate::compile::{CompileOptions, PolicySet};
use crate::context::{Context, ContextValue};
use crate::eval::{Decision, Evaluation, Request};
use crate::layers::{EffectivePermissions, Layers, ResourceKind};
use crate::parse::PolicyType;

/// A case line that cannot be evaluated.
///
/// ```
/// use iam_policy::cases::Case;
/// let err = Case::parse(r#"{"id": "x", "policies": {}}"#).unwrap_err();
/// assert_eq!(err.id(), Some(&serde_json::json!("x")));
/// assert!(err.to_string().contains("request"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct CaseError {
    id: Option<Value>,
    message: String,
}

impl CaseError {
    /// The case's `id`, when it could be read.
    ///
    /// ```
    /// let err = iam_policy::cases::Case::parse(r#"{"id": 3}"#).unwrap_err();
    /// assert_eq!(err.id(), Some(&serde_json::json!(3)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> Option<&Value> {
        self.id.as_ref()
    }

    /// The result object for this error: `{"id", "decision": "Error", "message"}`.
    ///
    /// ```
    /// let err = iam_policy::cases::Case::parse("[]").unwrap_err();
    /// assert_eq!(err.to_json()["decision"], "Error");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id.clone().unwrap_or(Value::Null),
            "decision": "Error",
            "message": self.message,
        })
    }
}

/// One parsed and compiled case.
///
/// ```
/// use iam_policy::cases::Case;
/// let case = Case::parse(r#"{"id": "E01",
///   "policies": {"identity": [{"Version": "2012-10-17", "Statement": {"Sid": "Read",
///       "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}}]},
///   "request": {"principal": "arn:aws:iam::111122223333:user/alice",
///       "action": "s3:GetObject", "resource": "arn:aws:s3:::data/r.csv",
///       "resourceAccount": "111122223333"},
///   "expect": "Allow"}"#)?;
/// let out = case.result();
/// assert_eq!(out["decision"], "Allow");
/// assert_eq!(out["deciding"][0]["sid"], "Read");
/// assert_eq!(case.expect(), Some(iam_policy::Decision::Allow));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Case {
    id: Value,
    permissions: EffectivePermissions,
    request: Request,
    expect: Option<Decision>,
    deciding: Option<Vec<String>>,
}

fn err(id: &Option<Value>, message: impl Into<String>) -> CaseError {
    CaseError {
        id: id.clone(),
        message: message.into(),
    }
}

fn check_keys(
    id: &Option<Value>,
    obj: &Map<String, Value>,
    what: &str,
    known: &[&str],
) -> Result<(), CaseError> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(err(id, format!("unknown field `{k}` in {what}"))),
        None => Ok(()),
    }
}

fn compile(
    id: &Option<Value>,
    doc: &Value,
    policy_type: PolicyType,
    label: String,
) -> Result<PolicySet, CaseError> {
    if !doc.is_object() {
        return Err(err(id, format!("{label} is not a json object")));
    }
    let text = doc.to_string();
    let options = CompileOptions {
        label: Some(label.clone()),
        ..CompileOptions::default()
    };
    PolicySet::from_json(&text, policy_type, &options).map_err(|e| err(id, format!("{label}: {e}")))
}

fn doc_list<'v>(
    id: &Option<Value>,
    v: Option<&'v Value>,
    what: &str,
) -> Result<Option<&'v Vec<Value>>, CaseError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(err(id, format!("`{what}` must be a list or null"))),
    }
}

fn string_field<'v>(
    id: &Option<Value>,
    obj: &'v Map<String, Value>,
    key: &str,
) -> Result<Option<&'v str>, CaseError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err(id, format!("`{key}` must be a string"))),
    }
}

fn context_value(id: &Option<Value>, key: &str, v: &Value) -> Result<ContextValue, CaseError> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| {
                scalar(i)
                    .ok_or_else(|| err(id, format!("context key `{key}` has a non-string value")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(ContextValue::Multi),
        other => scalar(other).map(ContextValue::Single).ok_or_else(|| {
            err(
                id,
                format!("context key `{key}` must be a string or a list of strings"),
            )
        }),
    }
}

impl Case {
    /// Parse and compile one case line.
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert_eq!(case.id(), &serde_json::json!("c1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(line: &str) -> Result<Case, CaseError> {
        let value: Value = serde_json::from_str(line)
            .map_err(|e| err(&None, format!("case is not valid json: {e}")))?;
        Case::from_value(&value)
    }

    /// Compile a case given as a JSON value.
    ///
    /// ```
    /// let v = serde_json::json!({"policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}});
    /// let case = iam_policy::cases::Case::from_value(&v)?;
    /// assert_eq!(case.expect(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_value(value: &Value) -> Result<Case, CaseError> {
        let Value::Object(top) = value else {
            return Err(err(&None, "case must be a json object"));
        };
        let id = top.get("id").cloned();
        let id_ref = &id;
        check_keys(
            id_ref,
            top,
            "the case",
            &[
                "id", "policies", "request", "expect", "why", "deciding", "options",
            ],
        )?;
        let options = match top.get("options") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(o)) => o.clone(),
            Some(_) => return Err(err(id_ref, "`options` must be an object")),
        };
        check_keys(
            id_ref,
            &options,
            "`options`",
            &["resourceKind", "principalKind", "parentUser"],
        )?;
        let resource_kind = match string_field(id_ref, &options, "resourceKind")? {
            None => ResourceKind::Standard,
            Some("roleTrust") => ResourceKind::RoleTrust,
            Some("kmsKey") => ResourceKind::KmsKey,
            Some("explicitTrust") => ResourceKind::ExplicitTrust,
            Some(other) => {
                return Err(err(
                    id_ref,
                    format!("unknown `resourceKind` `{other}` (expected roleTrust, kmsKey or explicitTrust)"),
                ))
            }
        };
        let Some(Value::Object(policies)) = top.get("policies") else {
            return Err(err(id_ref, "case has no `policies` object"));
        };
        check_keys(
            id_ref,
            policies,
            "`policies`",
            &[
                "identity", "resource", "boundary", "scps", "rcps", "session",
            ],
        )?;
        let mut layers = Layers::new();
        for (i, doc) in doc_list(id_ref, policies.get("identity"), "identity")?
            .into_iter()
            .flatten()
            .enumerate()
        {
            layers = layers.identity(compile(
                id_ref,
                doc,
                PolicyType::Identity,
                format!("identity policy {i}"),
            )?);
        }
        match policies.get("resource") {
            None | Some(Value::Null) => {}
            Some(doc) => {
                let t = if resource_kind == ResourceKind::RoleTrust {
                    PolicyType::Trust
                } else {
                    PolicyType::Resource
                };
                layers = layers.resource(
                    compile(id_ref, doc, t, "resource policy".into())?,
                    resource_kind,
                );
            }
        }
        match policies.get("boundary") {
            None | Some(Value::Null) => {}
            Some(doc) => {
                layers = layers.boundary(compile(
                    id_ref,
                    doc,
                    PolicyType::Boundary,
                    "permissions boundary".into(),
                )?);
            }
        }
        if let Some(list) = doc_list(id_ref, policies.get("session"), "session")? {
            layers = layers.empty_session();
            for (i, doc) in list.iter().enumerate() {
                layers = layers.session(compile(
                    id_ref,
                    doc,
                    PolicyType::Session,
                    format!("session policy {i}"),
                )?);
            }
        }
        for (key, t) in [("scps", PolicyType::Scp), ("rcps", PolicyType::Rcp)] {
            let Some(levels) = doc_list(id_ref, policies.get(key), key)? else {
                continue;
            };
            for (l, level) in levels.iter().enumerate() {
                let Value::Array(docs) = level else {
                    return Err(err(
                        id_ref,
                        format!("`{key}` level {l} must be a list of policies"),
                    ));
                };
                let mut sets = Vec::with_capacity(docs.len());
                for (i, doc) in docs.iter().enumerate() {
                    let label = format!("{} level {l} policy {i}", t.as_str());
                    sets.push(std::sync::Arc::new(compile(id_ref, doc, t, label)?));
                }
                layers = if t == PolicyType::Scp {
                    layers.scp_level(sets)
                } else {
                    layers.rcp_level(sets)
                };
            }
        }
        let permissions = layers.build().map_err(|e| err(id_ref, e.to_string()))?;

        let Some(Value::Object(req)) = top.get("request") else {
            return Err(err(id_ref, "case has no `request` object"));
        };
        check_keys(
            id_ref,
            req,
            "`request`",
            &[
                "principal",
                "action",
                "resource",
                "resourceAccount",
                "context",
            ],
        )?;
        let mut builder = Request::builder();
        if let Some(p) = string_field(id_ref, req, "principal")? {
            builder = builder.principal(p);
        }
        if let Some(a) = string_field(id_ref, req, "action")? {
            builder = builder.action(a);
        }
        if let Some(r) = string_field(id_ref, req, "resource")? {
            builder = builder.resource(r);
        }
        if let Some(a) = string_field(id_ref, req, "resourceAccount")? {
            builder = builder.resource_account(a);
        }
        if let Some(parent) = string_field(id_ref, &options, "parentUser")? {
            builder = builder.parent_user(parent);
        }
        match req.get("context") {
            None | Some(Value::Null) => {}
            Some(Value::Object(ctx)) => {
                let mut context = Context::new();
                for (k, v) in ctx {
                    context.insert(k, context_value(id_ref, k, v)?);
                }
                builder = builder.context(context);
            }
            Some(_) => return Err(err(id_ref, "`context` must be an object")),
        }
        let request = builder.build().map_err(|e| err(id_ref, e.to_string()))?;

        let expect = match top.get("expect") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                Decision::from_name(s)
                    .ok_or_else(|| err(id_ref, format!("unknown `expect` value `{s}`")))?,
            ),
            Some(_) => return Err(err(id_ref, "`expect` must be a string or null")),
        };
        let deciding = match top.get("deciding") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| err(id_ref, "`deciding` must list Sids"))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err(err(id_ref, "`deciding` must be a list")),
        };
        Ok(Case {
            id: id.unwrap_or(Value::Null),
            permissions,
            request,
            expect,
            deciding,
        })
    }

    /// The case's `id` (JSON `null` when absent).
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert_eq!(case.id(), "c1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> &Value {
        &self.id
    }

    /// The expected decision, if the case states one.
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert_eq!(case.expect(), Some(iam_policy::Decision::ImplicitDeny));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expect(&self) -> Option<Decision> {
        self.expect
    }

    /// The expected deciding Sids, if the case lists them.
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert_eq!(case.expected_deciding(), Some(&[][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_deciding(&self) -> Option<&[String]> {
        self.deciding.as_deref()
    }

    /// The compiled layers.
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert!(!case.permissions().evaluate(case.request()).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn permissions(&self) -> &EffectivePermissions {
        &self.permissions
    }

    /// The built request.
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert_eq!(case.request().action(), "s3:getobject");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Evaluate the case (no allocation).
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert_eq!(case.evaluate().decision(), iam_policy::Decision::ImplicitDeny);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&self) -> Evaluation<'_> {
        self.permissions.evaluate(&self.request)
    }

    /// Evaluate and render the result object: `id`, `decision`, `deciding` (layer,
    /// level for SCP/RCP, policy and statement index, Sid) and, for an implicit deny,
    /// `missing` (the layer that did not allow and why).
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert_eq!(case.result()["missing"]["layer"], "identity");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn result(&self) -> Value {
        let eval = self.evaluate();
        let mut out = Map::new();
        out.insert("id".into(), self.id.clone());
        out.insert("decision".into(), eval.decision().as_str().into());
        let deciding: Vec<Value> = eval
            .deciding()
            .map(|d| {
                let mut m = Map::new();
                m.insert("layer".into(), d.layer.as_str().into());
                if let Some(l) = d.level {
                    m.insert("level".into(), l.into());
                }
                m.insert("policy".into(), d.policy.into());
                m.insert("statement".into(), d.statement.into());
                m.insert("sid".into(), d.sid.map_or(Value::Null, Value::from));
                Value::Object(m)
            })
            .collect();
        out.insert("deciding".into(), Value::Array(deciding));
        if let Some(m) = eval.missing() {
            out.insert(
                "missing".into(),
                json!({"layer": m.layer().as_str(), "message": m.message()}),
            );
        }
        Value::Object(out)
    }

    /// Compare the evaluation with `expect` (and the `deciding` Sids, compared as a
    /// set); `None` when they agree or the case states no expectation.
    ///
    /// ```
    /// let case = iam_policy::cases::Case::parse(r#"{"id": "c1", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"}, "expect": "ImplicitDeny", "deciding": []}"#)?;
    /// assert_eq!(case.disagreement(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn disagreement(&self) -> Option<String> {
        let eval = self.evaluate();
        let expect = self.expect?;
        if eval.decision() != expect {
            return Some(format!(
                "expected `{}`, got `{}`",
                expect.as_str(),
                eval.decision().as_str()
            ));
        }
        let want = self.deciding.as_ref()?;
        let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
        let mut got: Vec<&str> = eval.deciding().filter_map(|d| d.sid).collect();
        want.sort_unstable();
        got.sort_unstable();
        (want != got).then(|| format!("expected deciding {want:?}, got {got:?}"))
    }
}

/// Evaluate one case line and return its result object (`"decision": "Error"` with a
/// `message` when the line cannot be evaluated).
///
/// ```
/// let out = iam_policy::cases::run_line("not json");
/// assert_eq!(out["decision"], "Error");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_line(line: &str) -> Value {
    match Case::parse(line) {
        Ok(case) => case.result(),
        Err(e) => e.to_json(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#""request": {"principal": "arn:aws:iam::111122223333:user/alice",
        "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}"#;

    #[test]
    fn bad_policy_gives_an_error_with_the_case_id() {
        let line =
            format!(r#"{{"id": 7, "policies": {{"identity": [{{"Statement": 3}}]}}, {BASE}}}"#);
        let out = run_line(&line);
        assert_eq!(out["decision"], "Error");
        assert_eq!(out["id"], 7);
        assert!(out["message"]
            .as_str()
            .unwrap()
            .contains("identity policy 0"));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let line = format!(r#"{{"id": "x", "policies": {{"identiy": []}}, {BASE}}}"#);
        assert!(Case::parse(&line)
            .unwrap_err()
            .to_string()
            .contains("identiy"));
    }

    #[test]
    fn context_lists_become_multi_values() {
        let line = r#"{"id": "x", "policies": {}, "request": {"principal": "arn:aws:iam::111122223333:user/alice",
            "action": "ec2:CreateTags", "resource": "*", "context": {"aws:TagKeys": ["a", "b"], "aws:x": []}}}"#;
        let case = Case::parse(line).unwrap();
        let ctx = case.request().context();
        assert_eq!(
            ctx.get("aws:tagkeys"),
            Some(&ContextValue::Multi(vec!["a".into(), "b".into()]))
        );
        assert_eq!(ctx.get("aws:x"), Some(&ContextValue::Multi(vec![])));
    }

    #[test]
    fn disagreement_reports_wrong_expectation() {
        let line = format!(r#"{{"id": "x", "policies": {{}}, {BASE}, "expect": "Allow"}}"#);
        let case = Case::parse(&line).unwrap();
        assert_eq!(case.evaluate().decision(), Decision::ImplicitDeny);
        assert!(case.disagreement().unwrap().contains("ImplicitDeny"));
    }

    #[test]
    fn missing_layer_is_reported_for_implicit_deny() {
        let line = format!(r#"{{"id": "x", "policies": {{}}, {BASE}}}"#);
        let out = run_line(&line);
        assert_eq!(out["missing"]["layer"], "identity");
    }
}
