//! Compile stage: a parsed [`PolicyDocument`] → an immutable, shareable [`PolicySet`].
//!
//! Input: the AST of one policy and its [`PolicyType`]. Output: statements whose
//! patterns have their cheapest matching strategy (action patterns lowercased), ARN
//! patterns with the short-ARN rule of the policy type, conditions typed once, and an
//! index by service prefix so a request only visits statements that could match it.
//! Everything that cannot be evaluated is rejected here, with a span; evaluation itself
//! is total. It never evaluates a request and never reads the clock.

use crate::arn::{ArnOptions, ArnPattern, ResourceArn, ShortArn};
use crate::ast::{Effect, PolicyDocument, Statement};
use crate::condition::ConditionSet;
use crate::context::Context;
use crate::diag::Diagnostic;
use crate::json::Limits;
use crate::parse::PolicyType;
use crate::pattern::{Case, Pattern};
use crate::principal::PrincipalMatcher;
use crate::source::Span;

/// Diagnostic codes of the compile stage.
pub(crate) mod code {
    /// A statement lacks an element the evaluator needs.
    pub const INCOMPLETE_STATEMENT: &str = "IAM030";
    /// An element is not allowed in this kind of policy.
    pub const MISPLACED_ELEMENT: &str = "IAM032";
}

/// Options for [`PolicySet::compile`].
///
/// ```
/// use iam_policy::CompileOptions;
/// let opts = CompileOptions::default().with_label("AdminAccess");
/// assert_eq!(opts.label.as_deref(), Some("AdminAccess"));
/// assert!(!opts.star_crosses_colon);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileOptions {
    /// Name or label of the policy, shown in explanations.
    pub label: Option<String>,
    /// The literal reading of the current Resource page: a `*` ending an ARN component
    /// may also consume the following colons (policy-language.md §7.2). Off by default.
    pub star_crosses_colon: bool,
}

impl CompileOptions {
    /// The same options with `label` as the policy's name in explanations.
    ///
    /// ```
    /// let o = iam_policy::CompileOptions::default().with_label("admin");
    /// assert_eq!(o.label.as_deref(), Some("admin"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_label(mut self, label: impl Into<String>) -> CompileOptions {
        self.label = Some(label.into());
        self
    }

    /// The same options with the `*`-crosses-colon reading of Resource switched on or off.
    ///
    /// ```
    /// let o = iam_policy::CompileOptions::default().with_star_crosses_colon(true);
    /// assert!(o.star_crosses_colon);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_star_crosses_colon(mut self, yes: bool) -> CompileOptions {
        self.star_crosses_colon = yes;
        self
    }
}

/// The policy could not be compiled; holds every diagnostic found.
///
/// ```
/// use iam_policy::{PolicySet, PolicyType, CompileOptions};
/// let err = PolicySet::from_json(r#"{"Statement": {"Effect": "Allow"}}"#,
///     PolicyType::Identity, &CompileOptions::default()).unwrap_err();
/// assert!(!err.diagnostics().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.diagnostics))]
pub struct CompileErrors {
    diagnostics: Vec<Diagnostic>,
}

fn summary(diags: &[Diagnostic]) -> String {
    match diags {
        [] => "policy could not be compiled".to_string(),
        [one] => one.message().to_string(),
        [first, rest @ ..] => format!("{} (and {} more)", first.message(), rest.len()),
    }
}

impl CompileErrors {
    /// Every diagnostic, in document order.
    ///
    /// ```
    /// let err = iam_policy::PolicySet::from_json("[]", iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default()).unwrap_err();
    /// assert_eq!(err.diagnostics().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub(crate) fn new(diagnostics: Vec<Diagnostic>) -> CompileErrors {
        CompileErrors { diagnostics }
    }
}

/// How a statement's `Action`/`NotAction` matches a lowercased request action.
#[derive(Debug, Clone)]
pub(crate) struct ActionMatcher {
    pub(crate) negated: bool,
    patterns: Vec<Pattern>,
}

impl ActionMatcher {
    pub(crate) fn matches(&self, action: &str) -> bool {
        self.patterns.iter().any(|p| p.is_match(action)) != self.negated
    }

    /// True when [`ActionMatcher::matches`] holds for every action: `Action` lists a
    /// pattern made only of stars.
    fn matches_all(&self) -> bool {
        !self.negated
            && self
                .patterns
                .iter()
                .any(|p| p.strategy() == crate::pattern::Strategy::Any)
    }
}

/// How a statement's `Resource`/`NotResource` matches the request resource.
#[derive(Debug, Clone)]
pub(crate) enum ResourceMatcher {
    /// No resource element (trust policies): the resource is the role itself.
    Implicit,
    /// `Resource` (`negated` false) or `NotResource`.
    List {
        negated: bool,
        patterns: Vec<ArnPattern>,
    },
}

impl ResourceMatcher {
    /// True when [`ResourceMatcher::matches`] holds for every resource and context:
    /// no resource element (trust policies), or `Resource` lists `*`.
    fn matches_all(&self) -> bool {
        match self {
            ResourceMatcher::Implicit => true,
            ResourceMatcher::List { negated, patterns } => {
                !*negated && patterns.iter().any(ArnPattern::is_any)
            }
        }
    }

    pub(crate) fn matches(&self, resource: &ResourceArn<'_>, ctx: &Context) -> bool {
        match self {
            ResourceMatcher::Implicit => true,
            ResourceMatcher::List { negated, patterns } => {
                patterns.iter().any(|p| p.is_match_resource(resource, ctx)) != *negated
            }
        }
    }
}

/// One compiled statement.
#[derive(Debug, Clone)]
pub(crate) struct CompiledStatement {
    pub(crate) index: usize,
    pub(crate) sid: Option<String>,
    pub(crate) span: Span,
    pub(crate) effect: Effect,
    /// `None` for policy types without principals (identity, boundary, session, SCP);
    /// for resource-side types a statement without a principal clause gets a matcher
    /// that matches nobody.
    pub(crate) principal: Option<PrincipalMatcher>,
    pub(crate) actions: ActionMatcher,
    pub(crate) resources: ResourceMatcher,
    pub(crate) condition: ConditionSet,
    /// Lowercase service prefixes the statement is limited to; `None` when it may match
    /// any service (`*`, a wildcard prefix, `NotAction`).
    services: Option<Vec<String>>,
    /// `actions` matches every action (`Action: "*"`): evaluation skips the check.
    pub(crate) any_action: bool,
    /// `resources` matches every resource (`Resource: "*"`): evaluation skips the check.
    pub(crate) any_resource: bool,
}

/// A lowercase service prefix with its first eight bytes packed into an integer, so the
/// service index is searched with integer compares (the string is compared only when
/// two prefixes share their first eight bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServiceKey<'a> {
    packed: u64,
    name: &'a str,
}

impl<'a> ServiceKey<'a> {
    pub(crate) fn new(name: &'a str) -> ServiceKey<'a> {
        ServiceKey {
            packed: pack(name),
            name,
        }
    }
}

/// The first eight bytes of `name`, big-endian, zero-padded: ordering the packed
/// values orders the prefixes by their first eight bytes.
pub(crate) fn pack(name: &str) -> u64 {
    let mut bytes = [0u8; 8];
    for (slot, b) in bytes.iter_mut().zip(name.bytes()) {
        *slot = b;
    }
    u64::from_be_bytes(bytes)
}

/// Order of an indexed prefix (`packed`, `name`) relative to `key`: by packed first eight
/// bytes, then length, then (only for prefixes longer than eight bytes, whose packed form
/// does not hold every byte) the full text. A total order equivalent to comparing
/// `(packed, len, name)`, with no string compare for short prefixes.
fn service_order(packed: u64, name: &str, key: ServiceKey<'_>) -> std::cmp::Ordering {
    packed
        .cmp(&key.packed)
        .then_with(|| name.len().cmp(&key.name.len()))
        .then_with(|| {
            if name.len() <= 8 {
                std::cmp::Ordering::Equal
            } else {
                name.cmp(key.name)
            }
        })
}

/// Up to this many indexed service prefixes are searched linearly.
const LINEAR_SERVICES: usize = 8;

/// Statement indices by service prefix, for one effect. Every list ascends.
#[derive(Debug, Clone, Default)]
struct Groups {
    /// `(packed prefix, service prefix, statement indices)`, sorted by
    /// [`service_order`]. Each list already holds the `always` statements merged in, so
    /// a lookup yields one slice.
    by_service: Vec<(u64, String, Vec<u32>)>,
    /// Statements that may match any service (`*`, wildcard prefixes, `NotAction`).
    always: Vec<u32>,
    /// Every statement of this effect (explain mode visits them all).
    all: Vec<u32>,
}

impl Groups {
    fn candidates(&self, service: ServiceKey<'_>) -> Candidates<'_> {
        let found = if self.by_service.len() <= LINEAR_SERVICES {
            // A few integer compares beat a binary search's branches here.
            self.by_service.iter().find(|(k, s, _)| {
                *k == service.packed
                    && s.len() == service.name.len()
                    && (s.len() <= 8 || s.as_str() == service.name)
            })
        } else {
            self.by_service
                .binary_search_by(|(k, s, _)| service_order(*k, s, service))
                .ok()
                .and_then(|i| self.by_service.get(i))
        };
        Candidates::new(found.map_or(&self.always[..], |(_, _, v)| v))
    }

    /// Merge `always` into every per-service list (after all statements are indexed).
    fn merge_always(&mut self) {
        for (_, _, list) in &mut self.by_service {
            let mut merged = Vec::with_capacity(list.len() + self.always.len());
            let (mut a, mut b) = (self.always.iter().peekable(), list.iter().peekable());
            loop {
                let next = match (a.peek(), b.peek()) {
                    (None, None) => break,
                    (Some(_), None) => a.next(),
                    (None, Some(_)) => b.next(),
                    (Some(x), Some(y)) if x <= y => a.next(),
                    (Some(_), Some(_)) => b.next(),
                };
                merged.extend(next);
            }
            *list = merged;
        }
    }
}

/// Statement indices in ascending order; never allocates.
pub(crate) struct Candidates<'a> {
    list: std::slice::Iter<'a, u32>,
}

impl<'a> Candidates<'a> {
    fn new(list: &'a [u32]) -> Candidates<'a> {
        Candidates { list: list.iter() }
    }
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        self.list.next().and_then(|i| usize::try_from(*i).ok())
    }
}

/// A compiled policy: immutable, `Send + Sync`, cheap to share behind `Arc`.
///
/// ```
/// use iam_policy::{PolicySet, PolicyType, CompileOptions};
/// let set = PolicySet::from_json(
///     r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow",
///         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}"#,
///     PolicyType::Identity, &CompileOptions::default())?;
/// assert_eq!(set.len(), 1);
/// assert_eq!(set.policy_type(), PolicyType::Identity);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PolicySet {
    policy_type: PolicyType,
    label: Option<String>,
    statements: Vec<CompiledStatement>,
    /// Indexed by effect: `[Allow, Deny]`.
    groups: [Groups; 2],
}

fn effect_slot(effect: Effect) -> usize {
    match effect {
        Effect::Allow => 0,
        Effect::Deny => 1,
    }
}

/// The short-ARN rule for a policy type (policy-language.md §7.2).
fn short_arn_rule(policy_type: PolicyType) -> ShortArn {
    match policy_type {
        PolicyType::Identity | PolicyType::Boundary | PolicyType::Session => ShortArn::Pad,
        PolicyType::Scp => ShortArn::PadIfTrailingStar,
        PolicyType::Rcp => ShortArn::Reject,
        _ => ShortArn::PadIfWildcard,
    }
}

/// True for policy types whose statements name principals.
fn has_principals(policy_type: PolicyType) -> bool {
    matches!(
        policy_type,
        PolicyType::Resource | PolicyType::Trust | PolicyType::Rcp
    )
}

/// The service prefix a lowercased action pattern is limited to, or `None` when it may
/// match any service.
fn service_of(pattern: &str) -> Option<&str> {
    let (service, _) = pattern.split_once(':')?;
    if service.is_empty() || service.contains(['*', '?']) {
        None
    } else {
        Some(service)
    }
}

impl PolicySet {
    /// Compile `doc` as a policy of `policy_type`.
    ///
    /// ```
    /// use iam_policy::{PolicySet, PolicyType, CompileOptions};
    /// let set = PolicySet::from_json(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny",
    ///     "Action": "*", "Resource": "*"}}"#, PolicyType::Scp, &CompileOptions::default())?;
    /// assert!(!set.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(
        doc: &PolicyDocument,
        policy_type: PolicyType,
        options: &CompileOptions,
    ) -> Result<PolicySet, CompileErrors> {
        let variables = doc.variables_enabled();
        let mut diags = Vec::new();
        let mut statements = Vec::with_capacity(doc.statements.len());
        for (index, stmt) in doc.statements.iter().enumerate() {
            if let Some(s) =
                compile_statement(index, stmt, policy_type, variables, options, &mut diags)
            {
                statements.push(s);
            }
        }
        if !diags.is_empty() {
            return Err(CompileErrors::new(diags));
        }
        let mut groups = [Groups::default(), Groups::default()];
        for (i, s) in statements.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { continue };
            let g = groups
                .get_mut(effect_slot(s.effect))
                .ok_or_else(|| CompileErrors::new(Vec::new()))?;
            g.all.push(i);
            let services = s.services.clone();
            match services {
                None => g.always.push(i),
                Some(mut list) => {
                    list.sort();
                    list.dedup();
                    for svc in list {
                        let key = ServiceKey::new(&svc);
                        match g
                            .by_service
                            .binary_search_by(|(k, s, _)| service_order(*k, s, key))
                        {
                            Ok(at) => {
                                if let Some((_, _, v)) = g.by_service.get_mut(at) {
                                    v.push(i);
                                }
                            }
                            Err(at) => g.by_service.insert(at, (key.packed, svc, vec![i])),
                        }
                    }
                }
            }
        }
        for g in &mut groups {
            g.merge_always();
        }
        Ok(PolicySet {
            policy_type,
            label: options.label.clone(),
            statements,
            groups,
        })
    }

    /// Read, parse and compile JSON `text` as a policy of `policy_type`.
    ///
    /// ```
    /// use iam_policy::{PolicySet, PolicyType, CompileOptions};
    /// assert!(PolicySet::from_json("not json", PolicyType::Identity,
    ///     &CompileOptions::default()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(
        text: &str,
        policy_type: PolicyType,
        options: &CompileOptions,
    ) -> Result<PolicySet, CompileErrors> {
        let doc = crate::json::parse(text, &Limits::default()).map_err(|e| {
            use crate::json::JsonErrorKind as K;
            let limit = matches!(
                e.kind(),
                K::DocumentTooLarge | K::TooDeep | K::StringTooLong | K::TooManyMembers
            );
            let code = if limit {
                crate::parse::code::JSON_LIMIT
            } else {
                crate::parse::code::JSON_SYNTAX
            };
            CompileErrors::new(vec![Diagnostic::error(
                code,
                e.message().to_string(),
                e.span(),
            )])
        })?;
        let mut diags: Vec<Diagnostic> = doc
            .duplicates
            .iter()
            .map(|d| {
                Diagnostic::error(
                    crate::parse::code::DUPLICATE_KEY,
                    format!("duplicate key `{}`", d.key),
                    d.duplicate,
                )
            })
            .collect();
        let ast = crate::parse::document(&doc.root, &mut diags);
        if diags
            .iter()
            .any(|d| d.severity() == crate::diag::Severity::Error)
        {
            return Err(CompileErrors::new(diags));
        }
        let ast = ast.ok_or_else(|| CompileErrors::new(diags))?;
        PolicySet::compile(&ast, policy_type, options)
    }

    /// The policy type it was compiled as.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// assert_eq!(set.policy_type(), iam_policy::PolicyType::Identity);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy_type(&self) -> PolicyType {
        self.policy_type
    }

    /// The label given in [`CompileOptions::label`].
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// assert_eq!(set.label(), Some("p"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Number of statements.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// assert_eq!(set.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// True when the policy has no statement.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// assert!(!set.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The `Sid` of statement `index`, if it has one.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// assert_eq!(set.sid(0), Some("S"));
    /// assert_eq!(set.sid(1), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sid(&self, index: usize) -> Option<&str> {
        self.statements.get(index).and_then(|s| s.sid.as_deref())
    }

    pub(crate) fn statement(&self, index: usize) -> Option<&CompiledStatement> {
        self.statements.get(index)
    }

    /// Statements of `effect` that may match actions of `service` (lowercase prefix),
    /// in ascending index order.
    #[inline]
    pub(crate) fn candidates(&self, effect: Effect, service: ServiceKey<'_>) -> Candidates<'_> {
        match self.groups.get(effect_slot(effect)) {
            Some(g) if g.all.is_empty() => Candidates::new(&[]),
            Some(g) => g.candidates(service),
            None => Candidates::new(&[]),
        }
    }

    /// Every statement of `effect`, in ascending index order (explain mode).
    #[inline]
    pub(crate) fn all(&self, effect: Effect) -> Candidates<'_> {
        Candidates::new(
            self.groups
                .get(effect_slot(effect))
                .map_or(&[][..], |g| g.all.as_slice()),
        )
    }

    /// [`PolicySet::all`] when `explain`, else [`PolicySet::candidates`]. Inline, so a
    /// policy without statements of `effect` costs one length check.
    #[inline]
    pub(crate) fn visit(
        &self,
        effect: Effect,
        service: ServiceKey<'_>,
        explain: bool,
    ) -> Candidates<'_> {
        if explain {
            self.all(effect)
        } else {
            self.candidates(effect, service)
        }
    }
}

fn compile_statement(
    index: usize,
    stmt: &Statement,
    policy_type: PolicyType,
    variables: bool,
    options: &CompileOptions,
    diags: &mut Vec<Diagnostic>,
) -> Option<CompiledStatement> {
    let before = diags.len();
    let incomplete = |what: &str| {
        Diagnostic::error(
            code::INCOMPLETE_STATEMENT,
            format!("statement has no valid `{what}`"),
            stmt.span,
        )
    };
    let effect = match &stmt.effect {
        Some(e) => Some(e.value),
        None => {
            diags.push(incomplete("Effect"));
            None
        }
    };
    let services = stmt.action.as_ref().and_then(|a| {
        if a.negated {
            return None;
        }
        a.items
            .items
            .iter()
            .map(|p| service_of(&p.value.to_lowercase()).map(str::to_string))
            .collect::<Option<Vec<String>>>()
    });
    let actions = match &stmt.action {
        Some(a) => Some(ActionMatcher {
            negated: a.negated,
            patterns: a
                .items
                .items
                .iter()
                .map(|p| action_pattern(&p.value))
                .collect(),
        }),
        None => {
            diags.push(incomplete("Action"));
            None
        }
    };
    let resources = match &stmt.resource {
        Some(r) => {
            let short = short_arn_rule(policy_type);
            let arn_options = ArnOptions {
                star_crosses_colon: options.star_crosses_colon,
            };
            Some(ResourceMatcher::List {
                negated: r.negated,
                patterns: r
                    .templates(variables)
                    .iter()
                    .map(|t| ArnPattern::compile(t, short, arn_options))
                    .collect(),
            })
        }
        None if policy_type == PolicyType::Trust => Some(ResourceMatcher::Implicit),
        None => {
            diags.push(incomplete("Resource"));
            None
        }
    };
    let principal = match (&stmt.principal, has_principals(policy_type)) {
        (Some(p), true) => Some(PrincipalMatcher::compile(p)),
        (None, true) => None,
        (Some(p), false) => {
            diags.push(Diagnostic::error(
                code::MISPLACED_ELEMENT,
                format!("a {} policy cannot name a principal", policy_type.as_str()),
                p.span,
            ));
            None
        }
        (None, false) => None,
    };
    let condition = match &stmt.condition {
        None => ConditionSet::empty(),
        Some(block) => match ConditionSet::compile(block, variables) {
            Ok(c) => c,
            Err(mut errs) => {
                diags.append(&mut errs);
                ConditionSet::empty()
            }
        },
    };
    if diags.len() != before {
        return None;
    }
    let (actions, resources) = (actions?, resources?);
    Some(CompiledStatement {
        index,
        sid: stmt.sid.as_ref().map(|s| s.value.clone()),
        span: stmt.span,
        effect: effect?,
        principal,
        any_action: actions.matches_all(),
        any_resource: resources.matches_all(),
        actions,
        resources,
        condition,
        services,
    })
}

/// An action pattern, lowercased, with its cheapest strategy. Patterns with whitespace
/// in them can never match a real action (policy-language.md §6).
fn action_pattern(text: &str) -> Pattern {
    let lower = text.to_lowercase();
    if lower.contains(char::is_whitespace) {
        // `\u{0}` never appears in a request action (they are built from
        // `service:Action` text and rejected when they contain control characters).
        return Pattern::literal("\u{0}", Case::Sensitive);
    }
    Pattern::new(&lower, Case::Sensitive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, t: PolicyType) -> PolicySet {
        PolicySet::from_json(text, t, &CompileOptions::default()).unwrap()
    }

    #[test]
    fn statements_are_grouped_by_service_prefix() {
        let s = set(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
              {"Effect":"Allow","Action":["S3:Put*","ec2:Describe*"],"Resource":"*"},
              {"Effect":"Allow","Action":"*","Resource":"*"},
              {"Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        let s3: Vec<usize> = s.candidates(Effect::Allow, ServiceKey::new("s3")).collect();
        assert_eq!(s3, vec![0, 1, 2]);
        let ec2: Vec<usize> = s
            .candidates(Effect::Allow, ServiceKey::new("ec2"))
            .collect();
        assert_eq!(ec2, vec![1, 2]);
        let iam: Vec<usize> = s
            .candidates(Effect::Allow, ServiceKey::new("iam"))
            .collect();
        assert_eq!(iam, vec![2]);
        let deny: Vec<usize> = s.candidates(Effect::Deny, ServiceKey::new("sqs")).collect();
        assert_eq!(deny, vec![3]);
    }

    #[test]
    fn service_lists_interleave_any_service_statements_in_order() {
        let s = set(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"*","Resource":"*"},
              {"Effect":"Allow","Action":"s3:Get*","Resource":"*"},
              {"Effect":"Allow","NotAction":"iam:*","Resource":"*"},
              {"Effect":"Allow","Action":["s3:Put*","ec2:Run*"],"Resource":"*"},
              {"Effect":"Allow","Action":"*:Get*","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        let hits = |svc: &str| -> Vec<usize> {
            s.candidates(Effect::Allow, ServiceKey::new(svc)).collect()
        };
        assert_eq!(hits("s3"), vec![0, 1, 2, 3, 4]);
        assert_eq!(hits("ec2"), vec![0, 2, 3, 4]);
        assert_eq!(hits("sqs"), vec![0, 2, 4]);
        assert_eq!(
            s.all(Effect::Allow).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
    }

    #[test]
    fn linear_and_binary_service_lookups_agree() {
        let services: Vec<String> = (0..20)
            .map(|i| match i % 3 {
                0 => format!("s{i}"),
                1 => format!("longservicename{i}"),
                _ => format!("svc{i}x"),
            })
            .collect();
        for n in [1usize, 3, LINEAR_SERVICES, LINEAR_SERVICES + 1, 20] {
            let stmts: Vec<String> = services
                .iter()
                .take(n)
                .map(|s| format!(r#"{{"Effect":"Allow","Action":"{s}:Get*","Resource":"*"}}"#))
                .chain([r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#.to_string()])
                .collect();
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                stmts.join(",")
            );
            let s = set(&text, PolicyType::Identity);
            for (i, svc) in services.iter().enumerate() {
                let got: Vec<usize> = s.candidates(Effect::Allow, ServiceKey::new(svc)).collect();
                let want = if i < n { vec![i, n] } else { vec![n] };
                assert_eq!(got, want, "{svc} with {n} services");
            }
        }
    }

    #[test]
    fn long_service_prefixes_sharing_eight_bytes_stay_apart() {
        let s = set(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"secretsmanager:Get*","Resource":"*"},
              {"Effect":"Allow","Action":"secretsmanagerx:Get*","Resource":"*"},
              {"Effect":"Allow","Action":"secrets:Get*","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        let hits = |svc: &str| -> Vec<usize> {
            s.candidates(Effect::Allow, ServiceKey::new(svc)).collect()
        };
        assert_eq!(hits("secretsmanager"), vec![0]);
        assert_eq!(hits("secretsmanagerx"), vec![1]);
        assert_eq!(hits("secrets"), vec![2]);
        assert_eq!(hits("secretsm"), Vec::<usize>::new());
    }

    #[test]
    fn short_service_prefixes_differing_only_in_length_stay_apart() {
        // `s3` and `s3\u{0}` pack to the same eight bytes; the length separates them.
        let s = set(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"s3\u0000:Get*","Resource":"*"},
              {"Effect":"Allow","Action":"s3:Get*","Resource":"*"},
              {"Effect":"Allow","Action":"s:Get*","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        let hits = |svc: &str| -> Vec<usize> {
            s.candidates(Effect::Allow, ServiceKey::new(svc)).collect()
        };
        assert_eq!(hits("s3"), vec![1]);
        assert_eq!(hits("s3\u{0}"), vec![0]);
        assert_eq!(hits("s"), vec![2]);
        assert_eq!(hits("s30"), Vec::<usize>::new());
    }

    #[test]
    fn match_everything_flags_agree_with_the_matchers() {
        let s = set(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"*","Resource":"*"},
              {"Effect":"Allow","Action":["s3:Get*","**"],"Resource":["arn:aws:s3:::b/*","*"]},
              {"Effect":"Allow","NotAction":"*","NotResource":"*"},
              {"Effect":"Allow","Action":"*:*","Resource":"arn:*"},
              {"Effect":"Allow","NotAction":"s3:*","Resource":"arn:aws:s3:::*"}]}"#,
            PolicyType::Identity,
        );
        let ctx = Context::new();
        let actions = ["s3:getobject", "iam:createuser", "x:y", ""];
        let resources = ["*", "arn:aws:s3:::b/k", "arn:aws:iam::1:user/a"];
        let flags: Vec<(bool, bool)> = (0..s.len())
            .map(|i| {
                let st = s.statement(i).unwrap();
                (st.any_action, st.any_resource)
            })
            .collect();
        assert_eq!(
            flags,
            vec![
                (true, true),
                (true, true),
                (false, false),
                (false, false),
                (false, false)
            ]
        );
        for i in 0..s.len() {
            let st = s.statement(i).unwrap();
            if st.any_action {
                assert!(actions.iter().all(|a| st.actions.matches(a)));
            }
            if st.any_resource {
                assert!(resources
                    .iter()
                    .all(|r| st.resources.matches(&ResourceArn::new(r), &ctx)));
            }
        }
    }

    #[test]
    fn action_patterns_match_case_insensitively_after_lowercasing() {
        let m = ActionMatcher {
            negated: false,
            patterns: vec![action_pattern("S3:getObject")],
        };
        assert!(m.matches("s3:getobject"));
        assert!(!m.matches("s3:getobjectacl"));
    }

    #[test]
    fn action_with_whitespace_never_matches() {
        let m = ActionMatcher {
            negated: false,
            patterns: vec![action_pattern("iam: asdf")],
        };
        assert!(!m.matches("iam: asdf"));
    }

    #[test]
    fn identity_statement_without_resource_is_rejected() {
        let err = PolicySet::from_json(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}}"#,
            PolicyType::Identity,
            &CompileOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.diagnostics()[0].code(), code::INCOMPLETE_STATEMENT);
    }

    #[test]
    fn trust_statement_without_resource_is_accepted() {
        let s = set(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}"#,
            PolicyType::Trust,
        );
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn principal_in_identity_policy_is_rejected() {
        assert!(PolicySet::from_json(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
            PolicyType::Identity,
            &CompileOptions::default(),
        )
        .is_err());
    }

    #[test]
    fn policy_sets_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<PolicySet>();
    }
}
