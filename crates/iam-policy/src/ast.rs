//! The faithful policy tree: what the user wrote, with a span on every node.
//!
//! Input: produced by [`crate::parse`] from the spanned JSON tree. Output: read by
//! validation, lint, the renderer and `compile`. It keeps member order, single value vs
//! array, the textual form of numbers and every span; `PartialEq` ignores spans so a
//! render → parse round trip can be compared. It never evaluates anything.

use crate::source::Span;
use crate::vars::Template;

/// A value together with the span of the JSON text it came from.
///
/// Equality ignores the span.
///
/// ```
/// use iam_policy::{ast::Spanned, Span};
/// assert_eq!(Spanned::new(1, Span::new(0, 1)), Spanned::new(1, Span::new(5, 6)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wrap `value` written at `span`.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// Whether an element was written as a single value or as a JSON array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListForm {
    /// `"Action": "s3:GetObject"`
    Single,
    /// `"Action": ["s3:GetObject"]`
    Array,
}

/// One or more values of an element, in the order written.
#[derive(Debug, Clone, Eq)]
pub struct ValueList<T> {
    /// The values, in order.
    pub items: Vec<Spanned<T>>,
    /// Single value or array.
    pub form: ListForm,
    /// Span of the whole JSON value (the array, or the single value).
    pub span: Span,
}

impl<T: PartialEq> PartialEq for ValueList<T> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items && self.form == other.form
    }
}

impl<T> ValueList<T> {
    /// True when the list holds no value (`[]`).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The `Version` element values IAM knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Version {
    /// `"2008-10-17"`: policy variables are literal text.
    V2008_10_17,
    /// `"2012-10-17"`: the current language, with policy variables.
    V2012_10_17,
}

impl Version {
    /// The JSON text of this version.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2008_10_17 => "2008-10-17",
            Version::V2012_10_17 => "2012-10-17",
        }
    }
}

/// A whole policy document.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub struct PolicyDocument {
    /// `Version`, when present.
    pub version: Option<Spanned<Version>>,
    /// `Id`, when present.
    pub id: Option<Spanned<String>>,
    /// The statements, in order (a single statement object gives one).
    pub statements: Vec<Statement>,
    /// Whether `Statement` was a single object or an array.
    pub statement_form: ListForm,
    /// Span of the `Statement` value.
    pub statement_span: Span,
    /// Span of the whole document object.
    pub span: Span,
}

impl PartialEq for PolicyDocument {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.id == other.id
            && self.statements == other.statements
            && self.statement_form == other.statement_form
    }
}

impl PolicyDocument {
    /// True when policy variables are expanded (Version `2012-10-17`).
    pub fn variables_enabled(&self) -> bool {
        matches!(
            self.version.as_ref().map(|v| v.value),
            Some(Version::V2012_10_17)
        )
    }
}

/// `Effect` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Allow"`
    Allow,
    /// `"Deny"`
    Deny,
}

impl Effect {
    /// The JSON text of this effect.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// One statement.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub struct Statement {
    /// `Sid`, when present.
    pub sid: Option<Spanned<String>>,
    /// `Effect`; `None` when missing or not a valid value (reported as an error).
    pub effect: Option<Spanned<Effect>>,
    /// `Principal` or `NotPrincipal`, when present.
    pub principal: Option<PrincipalClause>,
    /// `Action` or `NotAction`; `None` when missing (reported as an error).
    pub action: Option<ActionClause>,
    /// `Resource` or `NotResource`, when present (trust policies have none).
    pub resource: Option<ResourceClause>,
    /// `Condition`, when present.
    pub condition: Option<ConditionBlock>,
    /// Span of the statement object.
    pub span: Span,
    /// Member names in the order written (for faithful rendering).
    pub order: Vec<Element>,
}

impl PartialEq for Statement {
    fn eq(&self, other: &Self) -> bool {
        self.sid == other.sid
            && self.effect == other.effect
            && self.principal == other.principal
            && self.action == other.action
            && self.resource == other.resource
            && self.condition == other.condition
            && self.order == other.order
    }
}

/// Statement members, for recording the order they were written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Element {
    /// `Sid`
    Sid,
    /// `Effect`
    Effect,
    /// `Principal` / `NotPrincipal`
    Principal,
    /// `Action` / `NotAction`
    Action,
    /// `Resource` / `NotResource`
    Resource,
    /// `Condition`
    Condition,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub struct PrincipalClause {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// The value.
    pub value: PrincipalValue,
    /// Span of the member name.
    pub key_span: Span,
    /// Span of the value.
    pub span: Span,
}

impl PartialEq for PrincipalClause {
    fn eq(&self, other: &Self) -> bool {
        self.negated == other.negated && self.value == other.value
    }
}

/// The value of a principal clause.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrincipalValue {
    /// The bare string `"*"`.
    Any,
    /// An object of `AWS` / `Service` / `Federated` / `CanonicalUser` entries.
    Map(Vec<PrincipalEntry>),
}

/// The keys of a principal object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalKind {
    /// `AWS`: accounts, users, roles, sessions, or `*`.
    Aws,
    /// `Service`: service principals such as `ec2.amazonaws.com`.
    Service,
    /// `Federated`: OIDC or SAML providers.
    Federated,
    /// `CanonicalUser`: S3 canonical user ids.
    CanonicalUser,
}

impl PrincipalKind {
    /// The JSON key of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }
}

/// One `"AWS": [...]`-style entry of a principal object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrincipalEntry {
    /// The key.
    pub kind: Spanned<PrincipalKind>,
    /// Its values.
    pub values: ValueList<String>,
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub struct ActionClause {
    /// True for `NotAction`.
    pub negated: bool,
    /// The patterns as written.
    pub items: ValueList<String>,
    /// Span of the member name.
    pub key_span: Span,
}

impl PartialEq for ActionClause {
    fn eq(&self, other: &Self) -> bool {
        self.negated == other.negated && self.items == other.items
    }
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub struct ResourceClause {
    /// True for `NotResource`.
    pub negated: bool,
    /// The patterns as written.
    pub items: ValueList<String>,
    /// Span of the member name.
    pub key_span: Span,
}

impl PartialEq for ResourceClause {
    fn eq(&self, other: &Self) -> bool {
        self.negated == other.negated && self.items == other.items
    }
}

impl ResourceClause {
    /// The patterns as templates, index-aligned with `items`; `variables` says whether
    /// the policy's Version enables policy variables
    /// ([`PolicyDocument::variables_enabled`]).
    ///
    /// ```
    /// use iam_policy::{parse_policy, ParseOptions};
    /// let doc = parse_policy(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
    ///     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}}"#,
    ///     &ParseOptions::default())?;
    /// let resource = doc.statements[0].resource.as_ref().ok_or("no resource")?;
    /// assert!(resource.templates(doc.variables_enabled())[0].has_variables());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn templates(&self, variables: bool) -> Vec<Template> {
        self.items
            .items
            .iter()
            .map(|i| Template::parse(&i.value, variables))
            .collect()
    }
}

/// `Condition`: operator blocks, all of which must hold.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub struct ConditionBlock {
    /// Operator blocks in the order written.
    pub operators: Vec<OperatorBlock>,
    /// Span of the `Condition` value.
    pub span: Span,
}

impl PartialEq for ConditionBlock {
    fn eq(&self, other: &Self) -> bool {
        self.operators == other.operators
    }
}

/// `"StringEquals": { key: values, ... }`.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub struct OperatorBlock {
    /// The operator, as parsed from its name.
    pub operator: Spanned<Operator>,
    /// The operator name exactly as written.
    pub name: String,
    /// Keys with their values, in order.
    pub entries: Vec<ConditionEntry>,
    /// Span of the block value (the object).
    pub span: Span,
}

impl PartialEq for OperatorBlock {
    fn eq(&self, other: &Self) -> bool {
        self.operator == other.operator && self.name == other.name && self.entries == other.entries
    }
}

/// A condition operator name: `[ForAllValues:|ForAnyValue:]Base[IfExists]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operator {
    /// The set qualifier, if any.
    pub qualifier: Option<SetQualifier>,
    /// The base operator; `None` for an unknown name (accepted by IAM only with an
    /// empty block).
    pub base: Option<BaseOperator>,
    /// True for the `...IfExists` form.
    pub if_exists: bool,
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// `ForAllValues:`
    ForAllValues,
    /// `ForAnyValue:`
    ForAnyValue,
}

macro_rules! base_operators {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// The base condition operators of IAM (evaluation.md §5).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum BaseOperator {
            $($(#[$doc])* $name,)*
        }

        impl BaseOperator {
            /// Every base operator.
            pub const ALL: &'static [BaseOperator] = &[$(BaseOperator::$name,)*];

            /// The operator's name as IAM spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(BaseOperator::$name => stringify!($name),)*
                }
            }

            /// The operator named exactly `name` (case-sensitive), if any.
            pub fn from_name(name: &str) -> Option<BaseOperator> {
                match name {
                    $(stringify!($name) => Some(BaseOperator::$name),)*
                    _ => None,
                }
            }
        }
    };
}

base_operators! {
    /// Exact, case-sensitive string match.
    StringEquals,
    /// Negated `StringEquals`.
    StringNotEquals,
    /// Case-insensitive string match.
    StringEqualsIgnoreCase,
    /// Negated `StringEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// Case-sensitive match with `*` and `?` wildcards.
    StringLike,
    /// Negated `StringLike`.
    StringNotLike,
    /// Numeric equality.
    NumericEquals,
    /// Numeric inequality.
    NumericNotEquals,
    /// Request value < policy value.
    NumericLessThan,
    /// Request value <= policy value.
    NumericLessThanEquals,
    /// Request value > policy value.
    NumericGreaterThan,
    /// Request value >= policy value.
    NumericGreaterThanEquals,
    /// Date equality.
    DateEquals,
    /// Date inequality.
    DateNotEquals,
    /// Request date before policy date.
    DateLessThan,
    /// Request date at or before policy date.
    DateLessThanEquals,
    /// Request date after policy date.
    DateGreaterThan,
    /// Request date at or after policy date.
    DateGreaterThanEquals,
    /// Boolean equality.
    Bool,
    /// Base64 binary equality.
    BinaryEquals,
    /// Request IP inside one of the CIDRs.
    IpAddress,
    /// Request IP inside none of the CIDRs.
    NotIpAddress,
    /// ARN match, component by component, with wildcards.
    ArnEquals,
    /// Same as `ArnEquals`.
    ArnLike,
    /// Negated `ArnEquals`.
    ArnNotEquals,
    /// Negated `ArnLike`.
    ArnNotLike,
    /// Key presence test.
    Null,
}

impl BaseOperator {
    /// True for the negated operators (`...Not...`, `NotIpAddress`).
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            BaseOperator::StringNotEquals
                | BaseOperator::StringNotEqualsIgnoreCase
                | BaseOperator::StringNotLike
                | BaseOperator::NumericNotEquals
                | BaseOperator::DateNotEquals
                | BaseOperator::NotIpAddress
                | BaseOperator::ArnNotEquals
                | BaseOperator::ArnNotLike
        )
    }
}

impl Operator {
    /// Parse an operator name. `Err(())` means the name breaks the qualifier grammar
    /// (for example two colons); `Ok` with `base: None` means an unknown operator.
    #[expect(
        clippy::result_unit_err,
        reason = "the caller reports the span and message"
    )]
    pub fn parse_name(name: &str) -> Result<Operator, ()> {
        let (qualifier, rest) = match name.split_once(':') {
            Some(("ForAllValues", rest)) => (Some(SetQualifier::ForAllValues), rest),
            Some(("ForAnyValue", rest)) => (Some(SetQualifier::ForAnyValue), rest),
            Some(_) => return Err(()),
            None => (None, name),
        };
        if rest.contains(':') {
            return Err(());
        }
        if let Some(base) = BaseOperator::from_name(rest) {
            return Ok(Operator {
                qualifier,
                base: Some(base),
                if_exists: false,
            });
        }
        if let Some(stem) = rest.strip_suffix("IfExists") {
            if let Some(base) = BaseOperator::from_name(stem) {
                if base != BaseOperator::Null {
                    return Ok(Operator {
                        qualifier,
                        base: Some(base),
                        if_exists: true,
                    });
                }
            }
        }
        Ok(Operator {
            qualifier,
            base: None,
            if_exists: false,
        })
    }
}

/// One condition key with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConditionEntry {
    /// The key as written (keys compare case-insensitively).
    pub key: Spanned<String>,
    /// The values as written.
    pub values: ValueList<ConditionValue>,
}

impl ConditionEntry {
    /// The values as templates, index-aligned with `values.items`; `variables` says
    /// whether the policy's Version enables policy variables
    /// ([`PolicyDocument::variables_enabled`]).
    ///
    /// ```
    /// use iam_policy::{parse_policy, ParseOptions};
    /// let doc = parse_policy(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
    ///     "Action": "s3:ListBucket", "Resource": "*", "Condition": {"StringLike":
    ///     {"s3:prefix": ["home/${aws:username}/*", "public"]}}}}"#, &ParseOptions::default())?;
    /// let block = doc.statements[0].condition.as_ref().ok_or("no condition")?;
    /// let templates = block.operators[0].entries[0].templates(doc.variables_enabled());
    /// assert!(templates[0].has_variables() && templates[0].has_wildcards());
    /// assert!(!templates[1].has_variables());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn templates(&self, variables: bool) -> Vec<Template> {
        self.values
            .items
            .iter()
            .map(|v| Template::parse(v.value.as_text(), variables))
            .collect()
    }
}

/// A condition value as written: IAM accepts strings and also unquoted numbers and
/// booleans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionValue {
    /// A JSON string.
    String(String),
    /// A JSON number, in its textual form.
    Number(String),
    /// A JSON boolean.
    Bool(bool),
}

impl ConditionValue {
    /// The value as IAM compares it: numbers and booleans in their textual form.
    pub fn as_text(&self) -> &str {
        match self {
            ConditionValue::String(s) | ConditionValue::Number(s) => s,
            ConditionValue::Bool(true) => "true",
            ConditionValue::Bool(false) => "false",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_parse_with_qualifier_and_if_exists() {
        let op = Operator::parse_name("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.qualifier, Some(SetQualifier::ForAnyValue));
        assert_eq!(op.base, Some(BaseOperator::StringLike));
        assert!(op.if_exists);
    }

    #[test]
    fn null_if_exists_is_unknown() {
        assert_eq!(Operator::parse_name("NullIfExists").unwrap().base, None);
    }

    #[test]
    fn double_colon_is_a_grammar_error() {
        assert!(Operator::parse_name("ForAnyValue::StringEquals").is_err());
        assert!(Operator::parse_name("Foo:StringEquals").is_err());
    }

    #[test]
    fn operator_names_are_case_sensitive() {
        assert_eq!(Operator::parse_name("stringequals").unwrap().base, None);
    }
}
