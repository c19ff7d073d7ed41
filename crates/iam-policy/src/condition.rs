//! Compiled `Condition` blocks: every operator of evaluation.md §5 with the value rules of §6.
//!
//! Stage: `compile` turns one statement's [`ast::ConditionBlock`] into a [`ConditionSet`];
//! `eval` calls [`ConditionSet::evaluate`] per request. Input: the block, whether policy
//! variables are enabled, and at run time a [`Context`]. Output: `true` / `false`, or in
//! explain mode also a [`ConditionTrace`] per condition. Every policy value is parsed at
//! compile time (numbers, dates, CIDRs, base64, booleans, ARNs); a value that can never
//! parse is a compile error. Evaluation is total, never fails and never allocates on the
//! common path: a missing key or a request value of the wrong type just makes the condition
//! false (true under `...IfExists` only when the key is missing).

use std::cmp::Ordering;
use std::net::IpAddr;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use ipnet::IpNet;

use crate::arn::{Arn, ArnConditionPattern, ArnValueMatch};
use crate::ast::{self, BaseOperator, ConditionEntry, SetQualifier};
use crate::context::{Context, ContextValue};
use crate::diag::Diagnostic;
use crate::pattern::{Case, TemplatePattern};
use crate::source::Span;
use crate::vars::Template;

/// Standard base64 alphabet; padding optional (evaluation.md §6.4 gives no stricter rule).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decoded request binaries up to this size stay on the stack.
const BINARY_STACK: usize = 512;

const NANOS: i128 = 1_000_000_000;

/// The compiled `Condition` of one statement: all of its conditions must hold.
///
/// ```
/// use iam_policy::condition::ConditionSet;
/// use iam_policy::context::Context;
/// let set = ConditionSet::empty();
/// assert!(set.is_empty());
/// assert!(set.evaluate(&Context::new()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConditionSet {
    conditions: Box<[Condition]>,
}

/// The outcome of one (operator, key) condition, recorded by [`ConditionSet::explain`].
///
/// ```
/// use iam_policy::condition::{ConditionSet, ConditionTrace};
/// use iam_policy::context::Context;
/// let mut trace: Vec<ConditionTrace> = Vec::new();
/// assert!(ConditionSet::empty().explain(&Context::new(), &mut trace));
/// assert!(trace.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionTrace {
    /// The operator name as written (`ForAnyValue:StringLike`).
    pub operator: String,
    /// The condition key as written.
    pub key: String,
    /// The request's values for the key (empty when absent).
    pub request_values: Vec<String>,
    /// The policy values, with variables substituted where they resolve.
    pub policy_values: Vec<String>,
    /// Whether the condition held.
    pub result: bool,
    /// Where the key and its values were written.
    pub span: Span,
}

/// The value type an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// The relation a numeric or date operator tests (`request <rel> policy`); negated
/// operators use the relation of their positive form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Rel {
    fn holds(self, ord: Ordering) -> bool {
        match self {
            Rel::Eq => ord == Ordering::Equal,
            Rel::Lt => ord == Ordering::Less,
            Rel::Le => ord != Ordering::Greater,
            Rel::Gt => ord == Ordering::Greater,
            Rel::Ge => ord != Ordering::Less,
        }
    }
}

fn family(base: BaseOperator) -> (Family, Rel) {
    use BaseOperator as B;
    match base {
        B::StringEquals
        | B::StringNotEquals
        | B::StringEqualsIgnoreCase
        | B::StringNotEqualsIgnoreCase
        | B::StringLike
        | B::StringNotLike => (Family::String, Rel::Eq),
        B::NumericEquals | B::NumericNotEquals => (Family::Numeric, Rel::Eq),
        B::NumericLessThan => (Family::Numeric, Rel::Lt),
        B::NumericLessThanEquals => (Family::Numeric, Rel::Le),
        B::NumericGreaterThan => (Family::Numeric, Rel::Gt),
        B::NumericGreaterThanEquals => (Family::Numeric, Rel::Ge),
        B::DateEquals | B::DateNotEquals => (Family::Date, Rel::Eq),
        B::DateLessThan => (Family::Date, Rel::Lt),
        B::DateLessThanEquals => (Family::Date, Rel::Le),
        B::DateGreaterThan => (Family::Date, Rel::Gt),
        B::DateGreaterThanEquals => (Family::Date, Rel::Ge),
        B::Bool => (Family::Bool, Rel::Eq),
        B::BinaryEquals => (Family::Binary, Rel::Eq),
        B::IpAddress | B::NotIpAddress => (Family::Ip, Rel::Eq),
        B::ArnEquals | B::ArnLike | B::ArnNotEquals | B::ArnNotLike => (Family::Arn, Rel::Eq),
        B::Null => (Family::Null, Rel::Eq),
    }
}

/// One compiled policy value.
#[derive(Debug, Clone)]
enum Value {
    Text(TemplatePattern),
    Number(Decimal),
    Date(i128),
    Ip(IpNet),
    Binary(Box<[u8]>),
    Bool(bool),
    /// A `Bool` value with variables: resolved, then read as a boolean.
    BoolTemplate(TemplatePattern),
    Arn(ArnConditionPattern),
    Null(bool),
    /// A value that can never match: text holding a policy variable under an operator
    /// that does not substitute variables (policy-language.md §8.1).
    Never,
}

/// One (operator, key) pair.
#[derive(Debug, Clone)]
struct Condition {
    name: Box<str>,
    qualifier: Option<SetQualifier>,
    base: BaseOperator,
    family: Family,
    rel: Rel,
    if_exists: bool,
    key: Box<str>,
    /// `key` lowercased once, so lookups compare bytes without folding case.
    lookup: Box<str>,
    texts: Box<[Box<str>]>,
    values: Box<[Value]>,
    span: Span,
}

/// Result of the positive form of an operator on one request value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Match,
    /// No value matched; `invalid` when a policy value could never be compared.
    NoMatch {
        invalid: bool,
    },
    /// The request value has the wrong type.
    BadRequest,
}

impl ConditionSet {
    /// Compile a `Condition` block. `variables` says whether the policy's Version enables
    /// policy variables.
    ///
    /// Value rule (policy-language.md §8.1, §9): a value that can never parse for its
    /// operator is an error, except that text holding a well-formed policy variable under an
    /// operator that does not substitute variables (numeric, binary, IP, `Null`) is accepted
    /// and simply never matches. Date values are the exception to the exception: IAM parses
    /// every date value at save time and rejects what does not parse (§9, OBSERVED), so an
    /// unparseable date is an error even when it holds a variable.
    ///
    /// ```
    /// use iam_policy::ast::ConditionBlock;
    /// use iam_policy::condition::ConditionSet;
    /// use iam_policy::context::Context;
    /// fn holds(block: &ConditionBlock, ctx: &Context) -> Result<bool, Box<dyn std::error::Error>> {
    ///     let set = ConditionSet::compile(block, true)
    ///         .map_err(|d| format!("{} invalid condition values", d.len()))?;
    ///     Ok(set.evaluate(ctx))
    /// }
    /// assert!(ConditionSet::empty().evaluate(&Context::new()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(
        block: &ast::ConditionBlock,
        variables: bool,
    ) -> Result<ConditionSet, Vec<Diagnostic>> {
        let mut conditions = Vec::new();
        let mut errors = Vec::new();
        for op in &block.operators {
            let Some(base) = op.operator.value.base else {
                // policy-language.md §9: an unknown operator is accepted only with an empty
                // block, which contributes nothing.
                if !op.entries.is_empty() {
                    errors.push(Diagnostic::error(
                        "IAM045",
                        format!("unknown condition operator `{}`", op.name),
                        op.operator.span,
                    ));
                }
                continue;
            };
            for entry in &op.entries {
                match compile_entry(op, base, entry, variables) {
                    Ok(c) => conditions.push(c),
                    Err(mut e) => errors.append(&mut e),
                }
            }
        }
        if errors.is_empty() {
            Ok(ConditionSet {
                conditions: conditions.into_boxed_slice(),
            })
        } else {
            Err(errors)
        }
    }

    /// A set with no conditions (always holds).
    ///
    /// ```
    /// use iam_policy::condition::ConditionSet;
    /// assert!(ConditionSet::empty().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn empty() -> ConditionSet {
        ConditionSet::default()
    }

    /// True when there is no condition to check.
    ///
    /// ```
    /// use iam_policy::condition::ConditionSet;
    /// assert!(ConditionSet::empty().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// True when every condition holds for `ctx`. Total; does not allocate on the common
    /// path.
    ///
    /// ```
    /// use iam_policy::condition::ConditionSet;
    /// use iam_policy::context::Context;
    /// assert!(ConditionSet::empty().evaluate(&Context::new()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&self, ctx: &Context) -> bool {
        self.conditions.iter().all(|c| c.evaluate(ctx))
    }

    /// Same result as [`ConditionSet::evaluate`], recording every condition (no short
    /// circuit) in `trace`.
    ///
    /// ```
    /// use iam_policy::condition::ConditionSet;
    /// use iam_policy::context::Context;
    /// let mut trace = Vec::new();
    /// assert!(ConditionSet::empty().explain(&Context::new(), &mut trace));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(&self, ctx: &Context, trace: &mut Vec<ConditionTrace>) -> bool {
        let mut all = true;
        for c in self.conditions.iter() {
            let result = c.evaluate(ctx);
            all &= result;
            trace.push(c.trace(ctx, result));
        }
        all
    }
}

/// True when `text` holds a well-formed policy variable (whatever the Version).
fn looks_like_variable(text: &str) -> bool {
    Template::parse(text, true).has_variables()
}

fn compile_entry(
    op: &ast::OperatorBlock,
    base: BaseOperator,
    entry: &ConditionEntry,
    variables: bool,
) -> Result<Condition, Vec<Diagnostic>> {
    let (fam, rel) = family(base);
    let name = op.name.as_str();
    let mut values = Vec::with_capacity(entry.values.items.len());
    let mut texts = Vec::with_capacity(entry.values.items.len());
    let mut errors = Vec::new();
    for item in &entry.values.items {
        let text = item.value.as_text();
        let parsed = Template::parse(text, variables);
        let template = &parsed;
        texts.push(Box::<str>::from(text));
        match compile_value(base, fam, template, text) {
            Ok(v) => values.push(v),
            Err((code, what, help)) => errors.push(
                Diagnostic::error(
                    code,
                    format!("invalid {what} value `{text}` for `{name}`"),
                    item.span,
                )
                .with_help(help),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Condition {
        name: name.into(),
        qualifier: op.operator.value.qualifier,
        base,
        family: fam,
        rel,
        if_exists: op.operator.value.if_exists,
        key: entry.key.value.as_str().into(),
        lookup: entry.key.value.to_ascii_lowercase().into_boxed_str(),
        texts: texts.into_boxed_slice(),
        values: values.into_boxed_slice(),
        span: entry.key.span.join(entry.values.span),
    })
}

type ValueError = (&'static str, &'static str, &'static str);

fn compile_value(
    base: BaseOperator,
    fam: Family,
    t: &Template,
    text: &str,
) -> Result<Value, ValueError> {
    // Values holding a variable under operators that do not substitute them never match.
    let never_or = |err: ValueError| {
        if looks_like_variable(text) {
            Ok(Value::Never)
        } else {
            Err(err)
        }
    };
    match fam {
        Family::String => {
            let (case, wildcards) = match base {
                BaseOperator::StringEqualsIgnoreCase | BaseOperator::StringNotEqualsIgnoreCase => {
                    (Case::Fold, false)
                }
                BaseOperator::StringLike | BaseOperator::StringNotLike => (Case::Sensitive, true),
                _ => (Case::Sensitive, false),
            };
            Ok(Value::Text(TemplatePattern::compile(t, case, wildcards)))
        }
        Family::Numeric => match Dec::parse(text) {
            Some(d) => Ok(Value::Number(d.to_owned())),
            None => never_or((
                "IAM041",
                "number",
                "use an integer or a decimal such as `10` or `1.5`",
            )),
        },
        Family::Date => parse_date(text).map(Value::Date).ok_or((
            "IAM040",
            "date",
            "use `YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ssZ` or epoch seconds",
        )),
        Family::Bool => {
            // DECISION: evaluation.md §12 "`Bool` + variables" — variables are expanded.
            if t.has_variables() {
                return Ok(Value::BoolTemplate(TemplatePattern::compile(
                    t,
                    Case::Insensitive,
                    false,
                )));
            }
            match parse_bool(text) {
                Some(b) => Ok(Value::Bool(b)),
                None => never_or(("IAM043", "boolean", "use `true` or `false`")),
            }
        }
        Family::Binary => match BASE64.decode(text) {
            Ok(bytes) => Ok(Value::Binary(bytes.into_boxed_slice())),
            Err(_) => never_or(("IAM044", "base64", "use standard base64 such as `QmluYXJ5`")),
        },
        Family::Ip => match parse_cidr(text) {
            Some(net) => Ok(Value::Ip(net)),
            None => never_or((
                "IAM042",
                "ip address",
                "use an address or a cidr such as `203.0.113.0/24`",
            )),
        },
        Family::Arn => match ArnConditionPattern::compile(t) {
            Some(p) => Ok(Value::Arn(p)),
            None => never_or((
                "IAM045",
                "arn",
                "use an arn with six colon-separated parts such as `arn:aws:iam::*:role/*`",
            )),
        },
        Family::Null => match parse_bool(text) {
            Some(b) => Ok(Value::Null(b)),
            None => never_or((
                "IAM045",
                "null",
                "use `true` (key absent) or `false` (key present)",
            )),
        },
    }
}

/// The errors [`ConditionSet::compile`] reports for the values of `block` (IAM040–IAM045),
/// in the same order, without building any matcher: validation only needs to know which
/// values can never parse. Unknown operators are left to the grammar.
pub(crate) fn value_errors(
    block: &ast::ConditionBlock,
    variables: bool,
    diags: &mut Vec<Diagnostic>,
) {
    for op in &block.operators {
        let Some(base) = op.operator.value.base else {
            continue;
        };
        let (fam, _) = family(base);
        if fam == Family::String {
            // every string value compiles
            continue;
        }
        for entry in &op.entries {
            for item in &entry.values.items {
                let text = item.value.as_text();
                if let Some((code, what, help)) = value_error(fam, text, variables) {
                    diags.push(
                        Diagnostic::error(
                            code,
                            format!("invalid {what} value `{text}` for `{}`", op.name),
                            item.span,
                        )
                        .with_help(help),
                    );
                }
            }
        }
    }
}

/// The error [`compile_value`] gives `text` under an operator of family `fam`, if any.
fn value_error(fam: Family, text: &str, variables: bool) -> Option<ValueError> {
    // a value holding a variable under an operator that does not substitute it never
    // matches but is no error; only text with `${` can hold one
    let never = || text.contains("${") && looks_like_variable(text);
    let error = match fam {
        Family::String => return None,
        Family::Numeric => Dec::parse(text).is_none().then_some((
            "IAM041",
            "number",
            "use an integer or a decimal such as `10` or `1.5`",
        )),
        Family::Date => {
            // dates are parsed even when they hold a variable
            return parse_date(text).is_none().then_some((
                "IAM040",
                "date",
                "use `YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ssZ` or epoch seconds",
            ));
        }
        // with variables enabled a value holding one is expanded; either way such a
        // value is no error
        Family::Bool => {
            parse_bool(text)
                .is_none()
                .then_some(("IAM043", "boolean", "use `true` or `false`"))
        }
        Family::Binary => BASE64.decode(text).is_err().then_some((
            "IAM044",
            "base64",
            "use standard base64 such as `QmluYXJ5`",
        )),
        Family::Ip => parse_cidr(text).is_none().then_some((
            "IAM042",
            "ip address",
            "use an address or a cidr such as `203.0.113.0/24`",
        )),
        Family::Arn => ArnConditionPattern::compile(&Template::parse(text, variables))
            .is_none()
            .then_some((
                "IAM045",
                "arn",
                "use an arn with six colon-separated parts such as `arn:aws:iam::*:role/*`",
            )),
        Family::Null => parse_bool(text).is_none().then_some((
            "IAM045",
            "null",
            "use `true` (key absent) or `false` (key present)",
        )),
    };
    error.filter(|_| !never())
}

/// `true` / `false`, ASCII case-insensitive (evaluation.md §6.3, §4.9).
fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A CIDR with host bits ignored, or a bare address as a single-host network
/// (evaluation.md §6.5).
fn parse_cidr(text: &str) -> Option<IpNet> {
    if text.contains('/') {
        text.parse::<IpNet>().ok().map(|n| n.trunc())
    } else {
        text.parse::<IpAddr>().ok().map(IpNet::from)
    }
}

impl Condition {
    fn evaluate(&self, ctx: &Context) -> bool {
        let value = ctx.get_lowercase(&self.lookup);
        if self.family == Family::Null {
            // evaluation.md §4.5: with a qualifier the operand is the empty set.
            if let Some(q) = self.qualifier {
                return q == SetQualifier::ForAllValues;
            }
            let present = value.is_some();
            return self
                .values
                .iter()
                .any(|v| matches!(v, Value::Null(absent) if *absent != present));
        }
        match self.qualifier {
            Some(q) => {
                let Some(v) = value else {
                    // DECISION: evaluation.md §12 "`ForAllValues` + negated op + absent key"
                    // — true for every base operator (§4.5 general rule).
                    return self.if_exists || q == SetQualifier::ForAllValues;
                };
                // §4.5: a multi-valued key whose sole value is `""` is an empty set.
                let sole_empty = matches!(v, ContextValue::Multi(items)
                    if matches!(items.as_slice(), [only] if only.is_empty()));
                let mut set = v.values().filter(|_| !sole_empty);
                match q {
                    SetQualifier::ForAllValues => set.all(|s| self.single(s, ctx)),
                    SetQualifier::ForAnyValue => set.any(|s| self.single(s, ctx)),
                }
            }
            None => match value {
                // evaluation.md §4.1, §4.6
                None => self.if_exists || self.base.is_negated(),
                Some(ContextValue::Single(s)) => self.single(s, ctx),
                // DECISION: evaluation.md §12 "Plain operator on multi-valued key" — a
                // multi-valued key under a plain operator never matches (§4.8).
                Some(ContextValue::Multi(_)) => false,
            },
        }
    }

    /// The operator on one request value; negated operators are `not(positive)` over the
    /// whole value list (evaluation.md §4.3), except that a request value of the wrong type
    /// or an unusable policy value makes them false (§5 notes).
    fn single(&self, request: &str, ctx: &Context) -> bool {
        let outcome = self.positive(request, ctx);
        if self.base.is_negated() {
            outcome == Outcome::NoMatch { invalid: false }
        } else {
            outcome == Outcome::Match
        }
    }

    fn positive(&self, request: &str, ctx: &Context) -> Outcome {
        let mut invalid = false;
        let found = match self.family {
            Family::String => self.values.iter().any(|v| match v {
                // An unresolvable variable drops the value (policy-language.md §8.5).
                // DECISION: evaluation.md §12 "Variable missing + negated operator" — follow
                // [Variables]: the dropped value cannot match, so `not(positive)` holds.
                Value::Text(p) => p.is_match(request, ctx) == Some(true),
                _ => false,
            }),
            Family::Numeric => {
                let Some(r) = Dec::parse(request) else {
                    return Outcome::BadRequest;
                };
                self.values.iter().any(|v| match v {
                    Value::Number(p) => self.rel.holds(r.cmp_to(&p.as_dec())),
                    _ => {
                        invalid = true;
                        false
                    }
                })
            }
            Family::Date => {
                let Some(r) = parse_date(request) else {
                    return Outcome::BadRequest;
                };
                self.values.iter().any(|v| match v {
                    Value::Date(p) => self.rel.holds(r.cmp(p)),
                    _ => {
                        invalid = true;
                        false
                    }
                })
            }
            Family::Bool => {
                let Some(r) = parse_bool(request) else {
                    return Outcome::BadRequest;
                };
                self.values.iter().any(|v| match v {
                    Value::Bool(p) => *p == r,
                    Value::BoolTemplate(p) => {
                        // A resolved value that is not a boolean never matches.
                        let want = if r { "true" } else { "false" };
                        p.is_match(want, ctx) == Some(true)
                    }
                    _ => false,
                })
            }
            Family::Binary => {
                let mut buf = [0u8; BINARY_STACK];
                let heap;
                let bytes: &[u8] = if base64::decoded_len_estimate(request.len()) <= BINARY_STACK {
                    match BASE64.decode_slice(request, &mut buf) {
                        Ok(n) => buf.get(..n).unwrap_or(&[]),
                        Err(_) => return Outcome::BadRequest,
                    }
                } else {
                    match BASE64.decode(request) {
                        Ok(v) => {
                            heap = v;
                            &heap
                        }
                        Err(_) => return Outcome::BadRequest,
                    }
                };
                self.values.iter().any(|v| match v {
                    Value::Binary(p) => **p == *bytes,
                    _ => {
                        invalid = true;
                        false
                    }
                })
            }
            Family::Ip => {
                let Ok(addr) = request.parse::<IpAddr>() else {
                    return Outcome::BadRequest;
                };
                self.values.iter().any(|v| match v {
                    // A family mismatch is simply "not inside" (evaluation.md §6.5).
                    Value::Ip(net) => net.contains(&addr),
                    _ => {
                        invalid = true;
                        false
                    }
                })
            }
            Family::Arn => {
                let Some(arn) = Arn::parse(request) else {
                    return Outcome::BadRequest;
                };
                self.values.iter().any(|v| match v {
                    Value::Arn(p) => match p.is_match(&arn, ctx) {
                        ArnValueMatch::Match => true,
                        ArnValueMatch::NoMatch | ArnValueMatch::Unresolved => false,
                        ArnValueMatch::Invalid => {
                            invalid = true;
                            false
                        }
                    },
                    _ => {
                        invalid = true;
                        false
                    }
                })
            }
            Family::Null => false,
        };
        if found {
            Outcome::Match
        } else {
            Outcome::NoMatch { invalid }
        }
    }

    fn trace(&self, ctx: &Context, result: bool) -> ConditionTrace {
        let request_values = ctx
            .get(&self.key)
            .map(|v| v.values().map(str::to_string).collect())
            .unwrap_or_default();
        let policy_values = self
            .values
            .iter()
            .zip(self.texts.iter())
            .map(|(v, text)| {
                let template = match v {
                    Value::Text(p) | Value::BoolTemplate(p) if p.has_variables() => p,
                    _ => return text.to_string(),
                };
                let mut out = String::new();
                match template.resolve_into(ctx, &mut out) {
                    Some(()) => out,
                    None => text.to_string(),
                }
            })
            .collect();
        ConditionTrace {
            operator: self.name.to_string(),
            key: self.key.to_string(),
            request_values,
            policy_values,
            result,
            span: self.span,
        }
    }
}

/// An exact decimal (evaluation.md §6.1): optional sign, digits, optional `.digits`;
/// leading zeros of the integer part and trailing zeros of the fraction removed, so
/// `10` = `10.0` = `010`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dec<'a> {
    neg: bool,
    int: &'a str,
    frac: &'a str,
}

/// The owned form of [`Dec`], kept in compiled policy values.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    neg: bool,
    int: Box<str>,
    frac: Box<str>,
}

impl Decimal {
    fn as_dec(&self) -> Dec<'_> {
        Dec {
            neg: self.neg,
            int: &self.int,
            frac: &self.frac,
        }
    }
}

impl<'a> Dec<'a> {
    /// Parse. A leading `+` is accepted ("optional sign"); exponents, hex, `.5` and `5.`
    /// are not (UNVERIFIED in AWS, §6.1).
    fn parse(text: &'a str) -> Option<Dec<'a>> {
        let (neg, body) = match text.as_bytes().first() {
            Some(b'-') => (true, text.get(1..)?),
            Some(b'+') => (false, text.get(1..)?),
            _ => (false, text),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.unwrap_or("").trim_end_matches('0');
        let neg = neg && !(int.is_empty() && frac.is_empty());
        Some(Dec { neg, int, frac })
    }

    fn to_owned(self) -> Decimal {
        Decimal {
            neg: self.neg,
            int: self.int.into(),
            frac: self.frac.into(),
        }
    }

    fn cmp_to(&self, other: &Dec<'_>) -> Ordering {
        match (self.neg, other.neg) {
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        // INVARIANT: no leading zeros in `int`, no trailing zeros in `frac`, so longer
        // integer parts are larger and fractions compare as digit strings.
        let magnitude = self
            .int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| self.frac.cmp(other.frac));
        if self.neg {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// A byte cursor for the date parser.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek_digit(&self) -> bool {
        self.b.get(self.i).is_some_and(u8::is_ascii_digit)
    }

    /// Between `min` and `max` digits; returns the value and the digit count.
    fn number(&mut self, min: usize, max: usize) -> Option<(i128, usize)> {
        let mut value: i128 = 0;
        let mut n = 0;
        while n < max {
            match self.b.get(self.i) {
                Some(d) if d.is_ascii_digit() => {
                    value = value * 10 + i128::from(d - b'0');
                    self.i += 1;
                    n += 1;
                }
                _ => break,
            }
        }
        (n >= min).then_some((value, n))
    }

    fn bounded(&mut self, min: usize, max: usize, hi: i128) -> Option<i128> {
        let (v, _) = self.number(min, max)?;
        (v <= hi).then_some(v)
    }
}

/// Days from 1970-01-01 to `y-m-d` in the proleptic Gregorian calendar; a day past the
/// end of its month rolls over (`02-30` is `03-02`).
fn days_from_civil(y: i128, m: i128, d: i128) -> i128 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parse a date (evaluation.md §6.2) to nanoseconds since the Unix epoch, UTC.
///
/// Digits only: epoch seconds (0 ..= `i64::MAX`). Otherwise ISO 8601 / W3C:
/// `Y-MM[-DD[Thh[:mm[:ss[.f]]][TZD]]]`, year 1–9 digits, month 1–12, day 1–31, hour 0–23
/// (one or two digits, as IAM accepts `t2:00`), `T` or `t`, fraction up to 9 digits, zone
/// `Z`, `z`, `±hh`, `±hh:mm` or `±hhmm`; no zone means UTC; a date alone is 00:00:00 UTC.
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    let b = text.as_bytes();
    if b.is_empty() {
        return None;
    }
    if b.iter().all(u8::is_ascii_digit) {
        let secs: i64 = text.parse().ok()?;
        return Some(i128::from(secs) * NANOS);
    }
    let mut c = Cursor { b, i: 0 };
    let (year, _) = c.number(1, 9)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.bounded(1, 2, 12)?;
    if month < 1 {
        return None;
    }
    let mut day = 1;
    let mut seconds: i128 = 0;
    let mut nanos: i128 = 0;
    if c.eat(b'-') {
        day = c.bounded(1, 2, 31)?;
        if day < 1 {
            return None;
        }
        if c.eat(b'T') || c.eat(b't') {
            let hour = c.bounded(1, 2, 23)?;
            let mut minute = 0;
            let mut second = 0;
            if c.eat(b':') {
                minute = c.bounded(2, 2, 59)?;
                if c.eat(b':') {
                    second = c.bounded(2, 2, 59)?;
                    if c.eat(b'.') {
                        let (f, n) = c.number(1, 9)?;
                        let scale = 10i128.pow(u32::try_from(9 - n).ok()?);
                        nanos = f * scale;
                    }
                }
            }
            seconds = hour * 3600 + minute * 60 + second;
            if c.eat(b'Z') || c.eat(b'z') {
            } else {
                let sign = if c.eat(b'+') {
                    Some(1)
                } else if c.eat(b'-') {
                    Some(-1)
                } else {
                    None
                };
                if let Some(sign) = sign {
                    let oh = c.bounded(2, 2, 23)?;
                    let om = if c.eat(b':') || c.peek_digit() {
                        c.bounded(2, 2, 59)?
                    } else {
                        0
                    };
                    seconds -= sign * (oh * 3600 + om * 60);
                }
            }
        }
    }
    if c.i != b.len() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + seconds) * NANOS + nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{
        ConditionBlock, ConditionValue, ListForm, Operator, OperatorBlock, Spanned, ValueList,
    };
    use serde_json::{json, Value as Json};

    /// Build a block from JSON (dummy spans; the value index is the span start). The
    /// flag is unused since the AST keeps no templates (kept so call sites stay stable).
    pub(crate) fn block_from_json(j: &Json, _variables: bool) -> ConditionBlock {
        let mut operators = Vec::new();
        for (name, body) in j.as_object().unwrap() {
            let mut entries = Vec::new();
            for (key, vals) in body.as_object().unwrap() {
                let (list, form) = match vals {
                    Json::Array(a) => (a.clone(), ListForm::Array),
                    other => (vec![other.clone()], ListForm::Single),
                };
                let items: Vec<Spanned<ConditionValue>> = list
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let cv = match v {
                            Json::String(s) => ConditionValue::String(s.clone()),
                            Json::Bool(b) => ConditionValue::Bool(*b),
                            Json::Number(n) => ConditionValue::Number(n.to_string()),
                            other => panic!("unsupported condition value {other}"),
                        };
                        Spanned::new(cv, Span::new(i, i + 1))
                    })
                    .collect();
                entries.push(ConditionEntry {
                    key: Spanned::new(key.clone(), Span::new(0, 0)),
                    values: ValueList {
                        items,
                        form,
                        span: Span::new(0, 0),
                    },
                });
            }
            operators.push(OperatorBlock {
                operator: Spanned::new(Operator::parse_name(name).unwrap(), Span::new(0, 0)),
                name: name.clone(),
                entries,
                span: Span::new(0, 0),
            });
        }
        ConditionBlock {
            operators,
            span: Span::new(0, 0),
        }
    }

    fn set(j: Json) -> ConditionSet {
        ConditionSet::compile(&block_from_json(&j, true), true).unwrap()
    }

    fn errors(j: Json) -> Vec<&'static str> {
        match ConditionSet::compile(&block_from_json(&j, true), true) {
            Ok(_) => vec![],
            Err(d) => d.iter().map(Diagnostic::code).collect(),
        }
    }

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        pairs
            .iter()
            .map(|(k, v)| (*k, ContextValue::Single((*v).to_string())))
            .collect()
    }

    fn multi(key: &str, vals: &[&str]) -> Context {
        [(
            key,
            ContextValue::Multi(vals.iter().map(|s| s.to_string()).collect()),
        )]
        .into_iter()
        .collect()
    }

    #[test]
    fn condition_set_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
        assert_send_sync::<ConditionSet>();
        assert_send_sync::<ConditionTrace>();
    }

    #[test]
    fn string_equals_is_exact_and_star_is_literal() {
        // evaluation.md §5 StringEquals
        let s = set(json!({"StringEquals": {"aws:username": "bo*"}}));
        assert!(s.evaluate(&ctx(&[("aws:username", "bo*")])));
        assert!(!s.evaluate(&ctx(&[("aws:username", "bob")])));
        assert!(!s.evaluate(&ctx(&[("aws:username", "BO*")])));
    }

    #[test]
    fn string_like_uses_wildcards_and_is_case_sensitive() {
        let s = set(json!({"StringLike": {"s3:prefix": ["home/*", "x?"]}}));
        assert!(s.evaluate(&ctx(&[("s3:prefix", "home/a/b")])));
        assert!(s.evaluate(&ctx(&[("s3:prefix", "xy")])));
        assert!(!s.evaluate(&ctx(&[("s3:prefix", "HOME/a")])));
    }

    #[test]
    fn string_equals_ignore_case_uses_simple_folding() {
        // evaluation.md §5 IgnoreCase note
        let s = set(json!({"StringEqualsIgnoreCase": {"k:k": "Straße"}}));
        assert!(s.evaluate(&ctx(&[("k:k", "STRAßE")])));
        assert!(!s.evaluate(&ctx(&[("k:k", "strasse")])));
        let n = set(json!({"StringNotEqualsIgnoreCase": {"k:k": "ABC"}}));
        assert!(!n.evaluate(&ctx(&[("k:k", "abc")])));
        assert!(n.evaluate(&ctx(&[("k:k", "abd")])));
    }

    #[test]
    fn missing_key_false_for_positive_true_for_negated() {
        // evaluation.md §4.1
        let empty = Context::new();
        assert!(!set(json!({"StringEquals": {"k:k": "a"}})).evaluate(&empty));
        assert!(set(json!({"StringNotEquals": {"k:k": "a"}})).evaluate(&empty));
        assert!(set(json!({"StringNotLike": {"k:k": "a"}})).evaluate(&empty));
        assert!(set(json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})).evaluate(&empty));
        assert!(set(json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::b"}})).evaluate(&empty));
        assert!(set(json!({"NumericNotEquals": {"k:k": "1"}})).evaluate(&empty));
        assert!(set(json!({"DateNotEquals": {"k:k": "2020-01-01"}})).evaluate(&empty));
        assert!(!set(json!({"NumericLessThan": {"k:k": "1"}})).evaluate(&empty));
        assert!(!set(json!({"Bool": {"k:k": "true"}})).evaluate(&empty));
        assert!(!set(json!({"BinaryEquals": {"k:k": "QQ=="}})).evaluate(&empty));
    }

    #[test]
    fn several_values_or_and_negation_is_nor() {
        // evaluation.md §4.2, §4.3
        let pos = set(json!({"StringEquals": {"k:k": ["a", "b"]}}));
        let neg = set(json!({"StringNotEquals": {"k:k": ["a", "b"]}}));
        for (v, p) in [("a", true), ("b", true), ("c", false)] {
            assert_eq!(pos.evaluate(&ctx(&[("k:k", v)])), p);
            assert_eq!(neg.evaluate(&ctx(&[("k:k", v)])), !p);
        }
        let ip = set(json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}));
        assert!(!ip.evaluate(&ctx(&[("aws:SourceIp", "10.1.2.3")])));
        assert!(ip.evaluate(&ctx(&[("aws:SourceIp", "8.8.8.8")])));
    }

    #[test]
    fn several_keys_and_operators_and() {
        // evaluation.md §4.4
        let s = set(json!({
            "StringEquals": {"a:a": "1", "b:b": "2"},
            "Bool": {"aws:SecureTransport": "true"}
        }));
        assert!(s.evaluate(&ctx(&[
            ("a:a", "1"),
            ("b:b", "2"),
            ("aws:SecureTransport", "true")
        ])));
        assert!(!s.evaluate(&ctx(&[
            ("a:a", "1"),
            ("b:b", "2"),
            ("aws:SecureTransport", "false")
        ])));
        assert!(!s.evaluate(&ctx(&[("a:a", "1"), ("aws:SecureTransport", "true")])));
    }

    #[test]
    fn key_names_are_case_insensitive() {
        // evaluation.md §4.11
        let s = set(json!({"StringEquals": {"AWS:PrincipalTag/Team": "x"}}));
        assert!(s.evaluate(&ctx(&[("aws:principaltag/team", "x")])));
    }

    #[test]
    fn set_qualifiers_on_absent_empty_and_nonempty_sets() {
        // evaluation.md §4.5 table
        let all = set(json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}));
        let any = set(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}));
        let absent = Context::new();
        let empty = multi("aws:TagKeys", &[]);
        let blank = multi("aws:TagKeys", &[""]);
        let sub = multi("aws:TagKeys", &["a"]);
        let mixed = multi("aws:TagKeys", &["a", "c"]);
        assert!(all.evaluate(&absent));
        assert!(all.evaluate(&empty));
        assert!(all.evaluate(&blank));
        assert!(all.evaluate(&sub));
        assert!(!all.evaluate(&mixed));
        assert!(!any.evaluate(&absent));
        assert!(!any.evaluate(&empty));
        assert!(!any.evaluate(&blank));
        assert!(any.evaluate(&sub));
        assert!(any.evaluate(&mixed));
        assert!(!any.evaluate(&multi("aws:TagKeys", &["c"])));
    }

    #[test]
    fn set_qualifiers_with_negated_operators() {
        // evaluation.md §4.5: <Op>(s, V) includes negation
        let all = set(json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a", "b"]}}));
        let any = set(json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}}));
        assert!(all.evaluate(&multi("aws:TagKeys", &["c", "d"])));
        assert!(!all.evaluate(&multi("aws:TagKeys", &["c", "a"])));
        assert!(any.evaluate(&multi("aws:TagKeys", &["a", "c"])));
        assert!(!any.evaluate(&multi("aws:TagKeys", &["a", "b"])));
        // DECISION §12: ForAllValues + negated + absent key → true
        let like = set(json!({"ForAllValues:StringNotLike": {"aws:ResourceOrgPaths": "o-1/*"}}));
        assert!(like.evaluate(&Context::new()));
    }

    #[test]
    fn set_qualifier_on_single_valued_key_is_a_one_element_set() {
        let all = set(json!({"ForAllValues:StringEquals": {"k:k": "a"}}));
        assert!(all.evaluate(&ctx(&[("k:k", "a")])));
        assert!(!all.evaluate(&ctx(&[("k:k", "b")])));
    }

    #[test]
    fn if_exists_true_only_when_key_missing() {
        // evaluation.md §4.6
        let s = set(json!({"NumericLessThanIfExists": {"k:k": "5"}}));
        assert!(s.evaluate(&Context::new()));
        assert!(s.evaluate(&ctx(&[("k:k", "4")])));
        assert!(!s.evaluate(&ctx(&[("k:k", "6")])));
        assert!(!s.evaluate(&ctx(&[("k:k", "abc")])));
        let b = set(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": false}}));
        assert!(b.evaluate(&Context::new()));
        assert!(b.evaluate(&ctx(&[("aws:MultiFactorAuthPresent", "false")])));
        assert!(!b.evaluate(&ctx(&[("aws:MultiFactorAuthPresent", "true")])));
        let any = set(json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}));
        assert!(any.evaluate(&Context::new()));
        assert!(!any.evaluate(&multi("aws:TagKeys", &[])));
    }

    #[test]
    fn empty_policy_value_list() {
        // evaluation.md §4.7
        let present = ctx(&[("k:k", "a")]);
        assert!(!set(json!({"StringEquals": {"k:k": []}})).evaluate(&present));
        assert!(set(json!({"StringNotEquals": {"k:k": []}})).evaluate(&present));
        assert!(set(json!({"StringEqualsIfExists": {"k:k": []}})).evaluate(&Context::new()));
        assert!(!set(json!({"StringEqualsIfExists": {"k:k": []}})).evaluate(&present));
        let all = set(json!({"ForAllValues:StringEquals": {"k:k": []}}));
        assert!(all.evaluate(&Context::new()));
        assert!(!all.evaluate(&present));
        let any = set(json!({"ForAnyValue:StringEquals": {"k:k": []}}));
        assert!(!any.evaluate(&Context::new()));
        assert!(!any.evaluate(&present));
    }

    #[test]
    fn plain_operator_on_multi_valued_key_never_matches() {
        // evaluation.md §4.8, DECISION §12
        let c = multi("aws:TagKeys", &["a"]);
        assert!(!set(json!({"StringEquals": {"aws:TagKeys": "a"}})).evaluate(&c));
        assert!(!set(json!({"StringNotEquals": {"aws:TagKeys": "b"}})).evaluate(&c));
        assert!(set(json!({"StringNotEquals": {"aws:TagKeys": "b"}})).evaluate(&Context::new()));
    }

    #[test]
    fn null_tests_presence() {
        // evaluation.md §4.9
        let t = set(json!({"Null": {"k:k": "true"}}));
        let f = set(json!({"Null": {"k:k": false}}));
        let both = set(json!({"Null": {"k:k": ["TRUE", "false"]}}));
        let present = ctx(&[("k:k", "")]);
        assert!(t.evaluate(&Context::new()));
        assert!(!t.evaluate(&present));
        assert!(!f.evaluate(&Context::new()));
        assert!(f.evaluate(&present));
        assert!(both.evaluate(&Context::new()) && both.evaluate(&present));
        assert!(f.evaluate(&multi("k:k", &[])));
        assert!(set(json!({"ForAllValues:Null": {"k:k": "false"}})).evaluate(&Context::new()));
        assert!(!set(json!({"ForAnyValue:Null": {"k:k": "true"}})).evaluate(&Context::new()));
    }

    #[test]
    fn numeric_operators_compare_exact_decimals() {
        // evaluation.md §6.1
        let c = |v: &str| ctx(&[("k:k", v)]);
        assert!(set(json!({"NumericEquals": {"k:k": "10"}})).evaluate(&c("10.0")));
        assert!(set(json!({"NumericEquals": {"k:k": 10}})).evaluate(&c("010")));
        assert!(set(json!({"NumericEquals": {"k:k": "-0"}})).evaluate(&c("0.000")));
        assert!(set(json!({"NumericLessThan": {"k:k": "1.2"}})).evaluate(&c("1.15")));
        assert!(!set(json!({"NumericLessThan": {"k:k": "1.2"}})).evaluate(&c("1.2")));
        assert!(set(json!({"NumericLessThanEquals": {"k:k": "1.2"}})).evaluate(&c("1.20")));
        assert!(set(json!({"NumericGreaterThan": {"k:k": "-5"}})).evaluate(&c("-4.5")));
        assert!(!set(json!({"NumericGreaterThan": {"k:k": "-5"}})).evaluate(&c("-10")));
        assert!(set(json!({"NumericGreaterThanEquals": {"k:k": "100"}})).evaluate(&c("100")));
        assert!(
            set(json!({"NumericGreaterThan": {"k:k": "99999999999999999999"}}))
                .evaluate(&c("100000000000000000000"))
        );
        assert!(set(json!({"NumericNotEquals": {"k:k": ["1", "2"]}})).evaluate(&c("3")));
        assert!(!set(json!({"NumericNotEquals": {"k:k": ["1", "2"]}})).evaluate(&c("2.0")));
    }

    #[test]
    fn wrong_request_type_is_false_even_for_negated() {
        // evaluation.md §5 type mismatch note, §6.5
        let c = ctx(&[("k:k", "abc")]);
        assert!(!set(json!({"NumericEquals": {"k:k": "1"}})).evaluate(&c));
        assert!(!set(json!({"NumericNotEquals": {"k:k": "1"}})).evaluate(&c));
        assert!(!set(json!({"DateNotEquals": {"k:k": "2020-01-01"}})).evaluate(&c));
        assert!(!set(json!({"NotIpAddress": {"k:k": "10.0.0.0/8"}})).evaluate(&c));
        assert!(!set(json!({"ArnNotLike": {"k:k": "arn:aws:s3:::b"}})).evaluate(&c));
        assert!(!set(json!({"Bool": {"k:k": "false"}})).evaluate(&c));
        assert!(!set(json!({"NumericEquals": {"k:k": "10"}})).evaluate(&ctx(&[("k:k", "10abc")])));
    }

    #[test]
    fn date_forms_and_comparisons() {
        // evaluation.md §6.2
        let d = |s: &str| parse_date(s).unwrap();
        assert_eq!(d("2020-01-01"), d("2020-01-01T00:00:00Z"));
        assert_eq!(d("2020-01"), d("2020-01-01"));
        assert_eq!(d("2020-01-01T00:00Z"), d("1577836800"));
        assert_eq!(d("2020-01-01T01:00:00+01:00"), d("2020-01-01T00:00:00Z"));
        assert_eq!(d("2019-12-31T19:00:00-05:00"), d("2020-01-01T00:00:00z"));
        assert_eq!(d("2020-01-01t00:00:00+0100"), d("2019-12-31T23:00:00Z"));
        assert_eq!(
            d("2016-12-13t2:00:00.593194+23"),
            d("2016-12-12T03:00:00.593194Z")
        );
        assert_eq!(d("2020-01-01T00:00:00.5Z") - d("2020-01-01"), 500_000_000);
        assert_eq!(d("2020-01-01T00:00:00"), d("2020-01-01"));
        assert_eq!(d("2020"), 2020 * NANOS); // digits only: epoch seconds
        assert_eq!(d("2021-02-29"), d("2021-03-01"));
        assert_eq!(d("1969-12-31"), -86_400 * NANOS);
        assert!(parse_date("9223372036854775807").is_some());
        for bad in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "9223372036854775808",
            "",
            "2020-01-01T",
            "2020-01-01T24:00:00Z",
            "2020-01-00",
            "1577836800.5",
            "-5",
            "2020-01-01T00:00:00.1234567890Z",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        let c = ctx(&[("aws:CurrentTime", "2020-06-01T12:00:00Z")]);
        assert!(set(json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}})).evaluate(&c));
        assert!(
            set(json!({"DateLessThan": {"aws:CurrentTime": "2020-06-01T12:00:01Z"}})).evaluate(&c)
        );
        assert!(set(json!({"DateEquals": {"aws:CurrentTime": "1591012800"}})).evaluate(&c));
        assert!(set(json!({"DateLessThanEquals": {"aws:CurrentTime": "1591012800"}})).evaluate(&c));
        assert!(set(
            json!({"DateGreaterThanEquals": {"aws:CurrentTime": "2020-06-01T14:00+02:00"}})
        )
        .evaluate(&c));
        assert!(
            !set(json!({"DateNotEquals": {"aws:CurrentTime": "2020-06-01T12:00:00Z"}}))
                .evaluate(&c)
        );
    }

    #[test]
    fn bool_is_case_insensitive_and_other_values_never_match() {
        // evaluation.md §6.3
        let s = set(json!({"Bool": {"aws:SecureTransport": "TRUE"}}));
        assert!(s.evaluate(&ctx(&[("aws:SecureTransport", "true")])));
        assert!(s.evaluate(&ctx(&[("aws:SecureTransport", "True")])));
        assert!(!s.evaluate(&ctx(&[("aws:SecureTransport", "false")])));
        assert!(!s.evaluate(&ctx(&[("aws:SecureTransport", "yes")])));
    }

    #[test]
    fn bool_expands_variables() {
        // DECISION: evaluation.md §12 Bool + variables
        let s = set(json!({"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/tls}"}}));
        let c =
            |tag: &str, v: &str| ctx(&[("aws:PrincipalTag/tls", tag), ("aws:SecureTransport", v)]);
        assert!(s.evaluate(&c("TRUE", "true")));
        assert!(!s.evaluate(&c("true", "false")));
        assert!(!s.evaluate(&c("maybe", "true")));
        assert!(!s.evaluate(&ctx(&[("aws:SecureTransport", "true")])));
    }

    #[test]
    fn binary_compares_decoded_bytes() {
        // evaluation.md §6.4
        let s = set(json!({"BinaryEquals": {"k:k": "QmluYXJ5"}}));
        assert!(s.evaluate(&ctx(&[("k:k", "QmluYXJ5")])));
        assert!(!s.evaluate(&ctx(&[("k:k", "QmluYXJ6")])));
        assert!(!s.evaluate(&ctx(&[("k:k", "not base64!")])));
        let unpadded = set(json!({"BinaryEquals": {"k:k": "QQ"}}));
        assert!(unpadded.evaluate(&ctx(&[("k:k", "QQ==")])));
        let big = "QUFB".repeat(300);
        let b = set(json!({"BinaryEquals": {"k:k": big.clone()}}));
        assert!(b.evaluate(&ctx(&[("k:k", &big)])));
    }

    #[test]
    fn ip_ranges_host_bits_and_families() {
        // evaluation.md §6.5
        let s = set(
            json!({"IpAddress": {"aws:SourceIp": ["203.0.113.77/24", "2001:DB8:1234:5678::/64", "198.51.100.7"]}}),
        );
        let c = |ip: &str| ctx(&[("aws:SourceIp", ip)]);
        assert!(s.evaluate(&c("203.0.113.1")));
        assert!(!s.evaluate(&c("203.0.114.1")));
        assert!(s.evaluate(&c("2001:db8:1234:5678::1")));
        assert!(s.evaluate(&c("198.51.100.7")));
        assert!(!s.evaluate(&c("198.51.100.8")));
        assert!(!s.evaluate(&c("::ffff:203.0.113.1")));
        let n = set(json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}));
        assert!(n.evaluate(&c("2001:db8::1")));
        assert!(!n.evaluate(&c("10.9.9.9")));
        let v6 = set(json!({"IpAddress": {"aws:SourceIp": "2001:db8::1"}}));
        assert!(v6.evaluate(&c("2001:DB8:0::1")));
    }

    #[test]
    fn arn_operators_match_components_separately() {
        // evaluation.md §5 ArnLike vs StringLike example, §6.6
        let v = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        let p = "arn:aws:someservice:*:111122223333:finance/*";
        let c = ctx(&[("aws:SourceArn", v)]);
        assert!(set(json!({"StringLike": {"aws:SourceArn": p}})).evaluate(&c));
        for op in ["ArnLike", "ArnEquals"] {
            assert!(!set(json!({op: {"aws:SourceArn": p}})).evaluate(&c));
        }
        for op in ["ArnNotLike", "ArnNotEquals"] {
            assert!(set(json!({op: {"aws:SourceArn": p}})).evaluate(&c));
        }
        let ok = ctx(&[(
            "aws:SourceArn",
            "arn:aws:someservice:us-east-2:111122223333:finance/x",
        )]);
        assert!(set(json!({"ArnEquals": {"aws:SourceArn": p}})).evaluate(&ok));
        assert!(!set(json!({"ArnNotLike": {"aws:SourceArn": p}})).evaluate(&ok));
    }

    #[test]
    fn variables_in_values_drop_unresolvable_entries() {
        // evaluation.md §4.10, policy-language.md §8.5, DECISION §12 (negated → match)
        let eq =
            set(json!({"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}));
        let ne = set(
            json!({"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}),
        );
        let only_object = ctx(&[("s3:ExistingObjectTag/Team", "red")]);
        assert!(!eq.evaluate(&only_object));
        assert!(ne.evaluate(&only_object));
        let both = ctx(&[
            ("s3:ExistingObjectTag/Team", "red"),
            ("aws:PrincipalTag/Team", "red"),
        ]);
        assert!(eq.evaluate(&both));
        assert!(!ne.evaluate(&both));
        let mixed = set(json!({"StringEquals": {"k:k": ["${aws:username}", "x"]}}));
        assert!(mixed.evaluate(&ctx(&[("k:k", "x")])));
        let like = set(json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}"}}));
        assert!(like.evaluate(&ctx(&[("aws:SourceArn", "arn:aws:s3:::b")])));
    }

    #[test]
    fn variables_are_literal_without_version_support() {
        let b = block_from_json(&json!({"StringEquals": {"k:k": "${aws:username}"}}), false);
        let s = ConditionSet::compile(&b, false).unwrap();
        assert!(s.evaluate(&ctx(&[("k:k", "${aws:username}"), ("aws:username", "x")])));
    }

    #[test]
    fn invalid_policy_values_are_compile_errors_with_codes() {
        assert_eq!(errors(json!({"DateLessThan": {"k:k": "bad"}})), ["IAM040"]);
        assert_eq!(
            errors(json!({"NumericLessThan": {"k:k": "abc"}})),
            ["IAM041"]
        );
        assert_eq!(
            errors(json!({"NumericLessThan": {"k:k": "1e5"}})),
            ["IAM041"]
        );
        assert_eq!(
            errors(json!({"IpAddress": {"k:k": "IP-address-range"}})),
            ["IAM042"]
        );
        assert_eq!(
            errors(json!({"IpAddress": {"k:k": "10.0.0.0/33"}})),
            ["IAM042"]
        );
        assert_eq!(errors(json!({"Bool": {"k:k": "maybe"}})), ["IAM043"]);
        assert_eq!(errors(json!({"BinaryEquals": {"k:k": "***"}})), ["IAM044"]);
        assert_eq!(errors(json!({"Null": {"k:k": "yes"}})), ["IAM045"]);
        assert_eq!(
            errors(json!({"ArnLike": {"k:k": "not-an-arn"}})),
            ["IAM045"]
        );
        assert_eq!(errors(json!({"Unknown": {"k:k": "x"}})), ["IAM045"]);
        assert_eq!(
            errors(json!({"NumericLessThan": {"k:k": ["x", "1", "y"]}, "Bool": {"b:b": 3}})),
            // serde_json sorts object keys: `Bool` comes first here.
            ["IAM043", "IAM041", "IAM041"]
        );
    }

    #[test]
    fn error_carries_value_span_and_message() {
        let b = block_from_json(&json!({"NumericEquals": {"k:k": ["1", "abc"]}}), true);
        let d = ConditionSet::compile(&b, true).unwrap_err();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span(), Span::new(1, 2));
        assert_eq!(
            d[0].message(),
            "invalid number value `abc` for `NumericEquals`"
        );
    }

    #[test]
    fn variable_under_non_variable_operator_is_not_an_error_and_never_matches() {
        // policy-language.md §8.1
        let n = set(json!({"NumericEquals": {"s3:prefix": "home/${aws:username}/*"}}));
        assert!(!n.evaluate(&ctx(&[("s3:prefix", "1"), ("aws:username", "1")])));
        // §5 notes: an unusable policy value makes a negated operator false.
        let nn = set(json!({"NumericNotEquals": {"k:k": "${aws:username}"}}));
        assert!(!nn.evaluate(&ctx(&[("k:k", "1")])));
        let ip = set(json!({"NotIpAddressIfExists": {"aws:SourceIp": "${aws:username}"}}));
        assert!(!ip.evaluate(&ctx(&[("aws:SourceIp", "1.2.3.4")])));
        assert!(ip.evaluate(&Context::new()));
        let null = set(json!({"Null": {"k:k": "${aws:username}"}}));
        assert!(!null.evaluate(&Context::new()));
        // Dates are parsed at save time by IAM: a variable there is still an error.
        assert_eq!(
            errors(json!({"DateEquals": {"k:k": "${aws:CurrentTime}"}})),
            ["IAM040"]
        );
    }

    #[test]
    fn unknown_operator_with_empty_block_contributes_nothing() {
        // policy-language.md §9
        let s = set(json!({"Whatever": {}}));
        assert!(s.is_empty());
        assert!(s.evaluate(&Context::new()));
    }

    #[test]
    fn explain_records_every_condition_with_resolved_values() {
        let s = set(json!({
            "StringEquals": {"k:k": "${aws:username}"},
            "NumericLessThan": {"n:n": "5"}
        }));
        let c = ctx(&[("aws:username", "bob"), ("k:k", "alice")]);
        let mut trace = Vec::new();
        let result = s.explain(&c, &mut trace);
        assert_eq!(result, s.evaluate(&c));
        assert!(!result);
        assert_eq!(trace.len(), 2);
        // serde_json sorts object keys: `NumericLessThan` is first.
        assert_eq!(trace[1].operator, "StringEquals");
        assert_eq!(trace[1].request_values, ["alice"]);
        assert_eq!(trace[1].policy_values, ["bob"]);
        assert!(!trace[1].result);
        assert_eq!(trace[0].key, "n:n");
        assert!(trace[0].request_values.is_empty());
        assert_eq!(trace[0].policy_values, ["5"]);
        assert!(!trace[0].result);
    }

    #[test]
    fn decimal_parse_grammar() {
        for ok in [
            "0",
            "-1",
            "+1",
            "1.50",
            "007",
            "123456789012345678901234567890",
        ] {
            assert!(Dec::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "", "-", ".5", "5.", "1e3", "0x10", " 1", "1 ", "1.2.3", "abc",
        ] {
            assert!(Dec::parse(bad).is_none(), "{bad}");
        }
    }

    /// Every condition block of every AWS managed policy compiles without error.
    #[test]
    fn aws_managed_policy_conditions_compile() {
        let Ok(dir) = std::env::var("IAMCTL_DATA") else {
            eprintln!("skipped: IAMCTL_DATA not set");
            return;
        };
        let path = std::path::Path::new(&dir).join("aws-managed-policies/managed-policies.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut blocks = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: Json = serde_json::from_str(line).unwrap();
            let doc = &row["document"];
            let variables = doc["Version"] == "2012-10-17";
            let statements = match &doc["Statement"] {
                Json::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            for st in statements {
                if let Some(cond) = st.get("Condition") {
                    blocks += 1;
                    let block = block_from_json(cond, variables);
                    if let Err(d) = ConditionSet::compile(&block, variables) {
                        panic!("{}: {:?}", row["name"], d);
                    }
                }
            }
        }
        assert!(blocks > 1000, "only {blocks} condition blocks found");
        eprintln!("compiled {blocks} managed-policy condition blocks");
    }
}
