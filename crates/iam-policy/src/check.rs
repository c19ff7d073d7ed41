//! The public entry points: text → JSON → grammar → validation → condition values.
//!
//! Input: policy text (or bytes) and [`ParseOptions`]. Output: [`Checked`] (the AST when
//! the text is a JSON object, plus every diagnostic, sorted and deduplicated) or, from
//! [`parse_policy`], the AST or a non-empty [`ParseErrors`]. [`aws_error`] picks the one
//! diagnostic IAM's `CreatePolicy` would report. Never panics, never does I/O.

use crate::ast::PolicyDocument;
use crate::condition;
use crate::diag::{Diagnostic, Severity};
use crate::json::{self, Limits};
use crate::parse::{self, code, PolicyType};
use crate::source::Span;
use crate::validate::{self, code as vcode};

/// How to read and validate a policy.
///
/// ```
/// use iam_policy::{ParseOptions, PolicyType};
/// let opts = ParseOptions { policy_type: PolicyType::Trust, ..ParseOptions::default() };
/// assert!(!opts.managed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// The kind of policy; decides which elements are required or forbidden.
    pub policy_type: PolicyType,
    /// Bounds on the JSON reader.
    pub limits: Limits,
    /// True for a managed policy (`CreatePolicy`), which must have Version `2012-10-17`.
    pub managed: bool,
    /// Apply the customer size quota of the policy type (policy-language.md §12).
    /// Turn off for AWS-owned managed policies, which are not bound by it.
    pub check_size: bool,
}

impl Default for ParseOptions {
    /// An identity policy, not managed, default limits, size quota checked.
    fn default() -> Self {
        ParseOptions {
            policy_type: PolicyType::Identity,
            limits: Limits::default(),
            managed: false,
            check_size: true,
        }
    }
}

/// The result of checking a policy: the document (when the text is a JSON object) and
/// every finding, sorted by position then code, without duplicates.
///
/// ```
/// use iam_policy::{check_policy, ParseOptions};
/// let c = check_policy(r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject"}}"#,
///                      &ParseOptions::default());
/// assert!(c.document.is_some());
/// assert_eq!(c.diagnostics.iter().filter(|d| d.code() == "IAM034").count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The parsed document; `None` when the text is not JSON or not an object.
    pub document: Option<PolicyDocument>,
    /// Every diagnostic, sorted by `(span.start, code)` and deduplicated.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when some diagnostic is an error.
    ///
    /// ```
    /// use iam_policy::{check_policy, ParseOptions};
    /// assert!(check_policy("[]", &ParseOptions::default()).has_errors());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }
}

/// Read, parse and validate `text`, reporting every finding.
///
/// ```
/// use iam_policy::{check_policy, ParseOptions};
/// let c = check_policy(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#, &ParseOptions::default());
/// assert!(c.diagnostics.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_policy(text: &str, options: &ParseOptions) -> Checked {
    let mut diags = Vec::new();
    let document = match json::parse(text, &options.limits) {
        Err(e) => {
            diags.push(json_error(&e));
            None
        }
        Ok(doc) => {
            for dup in &doc.duplicates {
                diags.push(
                    Diagnostic::error(
                        code::DUPLICATE_KEY,
                        format!("duplicate member `{}`", dup.key),
                        dup.duplicate,
                    )
                    .with_label(format!("`{}` is already defined in this object", dup.key))
                    .with_help("a policy must not repeat a member name; IAM rejects it")
                    .with_aws_message(parse::AWS_SYNTAX),
                );
            }
            let ast = parse::document(&doc.root, &mut diags);
            if let Some(ast) = &ast {
                tolerate_top_level_conditions(&mut diags);
                validate::validate(ast, text, options, &mut diags);
                condition_values(ast, &mut diags);
            }
            ast
        }
    };
    diags.sort_by(|a, b| {
        (a.span().start, a.code(), a.span().end, a.message()).cmp(&(
            b.span().start,
            b.code(),
            b.span().end,
            b.message(),
        ))
    });
    diags.dedup();
    Checked {
        document,
        diagnostics: diags,
    }
}

/// Like [`check_policy`] for raw bytes: text that is not UTF-8 is reported as a JSON
/// syntax error (IAM001) at the first invalid byte.
///
/// ```
/// use iam_policy::{check_policy_bytes, ParseOptions};
/// let c = check_policy_bytes(b"{\"Id\": \"\xff\"}", &ParseOptions::default());
/// assert_eq!(c.diagnostics[0].code(), "IAM001");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_policy_bytes(bytes: &[u8], options: &ParseOptions) -> Checked {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_policy(text, options),
        Err(_) => {
            let diagnostics = match json::parse_bytes(bytes, &options.limits) {
                Err(e) => vec![json_error(&e)],
                Ok(_) => Vec::new(),
            };
            Checked {
                document: None,
                diagnostics,
            }
        }
    }
}

/// Parse and validate `text`; any error-severity diagnostic makes it fail.
///
/// ```
/// use iam_policy::{parse_policy, ParseOptions};
/// let doc = parse_policy(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny",
///     "Action": "*", "Resource": "*"}}"#, &ParseOptions::default())?;
/// assert_eq!(doc.statements.len(), 1);
/// let err = parse_policy("{}", &ParseOptions::default()).unwrap_err();
/// assert!(!err.diagnostics().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_policy(text: &str, options: &ParseOptions) -> Result<PolicyDocument, ParseErrors> {
    let checked = check_policy(text, options);
    match checked.document {
        Some(doc) if !checked.diagnostics.iter().any(|d| is_error(&d)) => Ok(doc),
        _ => Err(ParseErrors {
            diagnostics: checked.diagnostics,
        }),
    }
}

/// The diagnostics of a policy that failed to parse or validate: a non-empty list that
/// holds at least one error (warnings found alongside are kept).
///
/// ```
/// use iam_policy::{parse_policy, ParseOptions};
/// let err = parse_policy("[1]", &ParseOptions::default()).unwrap_err();
/// assert_eq!(err.diagnostics()[0].code(), "IAM010");
/// assert!(err.to_string().starts_with("policy must be a json object"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", summary(.diagnostics))]
pub struct ParseErrors {
    diagnostics: Vec<Diagnostic>,
}

impl ParseErrors {
    /// Every diagnostic, sorted by position then code.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The error-severity diagnostics only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(is_error)
    }
}

fn summary(diags: &[Diagnostic]) -> String {
    let mut errors = diags.iter().filter(is_error);
    let Some(first) = errors.next() else {
        return "policy is invalid".to_string();
    };
    match errors.count() {
        0 => first.message().to_string(),
        1 => format!("{} (and 1 more error)", first.message()),
        n => format!("{} (and {n} more errors)", first.message()),
    }
}

fn is_error(d: &&Diagnostic) -> bool {
    d.severity() == Severity::Error
}

/// Condition values that can never parse (IAM040–IAM045, owned by
/// [`crate::condition`]); unknown operators are already reported by the grammar.
fn condition_values(doc: &PolicyDocument, diags: &mut Vec<Diagnostic>) {
    let variables = doc.variables_enabled();
    for block in doc.statements.iter().filter_map(|s| s.condition.as_ref()) {
        condition::value_errors(block, variables, diags);
    }
}

/// The JSON reader's error as a diagnostic: IAM002 for limits, IAM001 otherwise.
fn json_error(e: &json::JsonError) -> Diagnostic {
    use json::JsonErrorKind as K;
    let c = match e.kind() {
        K::DocumentTooLarge | K::TooDeep | K::StringTooLong | K::TooManyMembers => code::JSON_LIMIT,
        _ => code::JSON_SYNTAX,
    };
    Diagnostic::error(c, e.message(), e.span()).with_aws_message(parse::AWS_SYNTAX)
}

/// §1: a top-level `Conditions` member is tolerated (moto) — a warning, not the grammar
/// error `parse` reports for other unknown members.
fn tolerate_top_level_conditions(diags: &mut [Diagnostic]) {
    for d in diags.iter_mut() {
        if d.code() == code::UNKNOWN_MEMBER && d.message() == "unknown policy element `Conditions`"
        {
            *d = Diagnostic::warning(
                vcode::TOP_LEVEL_CONDITIONS,
                "top-level `Conditions` has no effect",
                d.span(),
            )
            .with_help("conditions belong inside a statement, as `Condition`");
        }
    }
}

/// The step of IAM's check order (policy-language.md §14.1) a diagnostic belongs to;
/// `None` for warnings and for findings IAM does not make at `CreatePolicy`.
fn aws_rank(d: &Diagnostic) -> Option<u8> {
    if d.severity() != Severity::Error {
        return None;
    }
    let c = d.code();
    Some(match c {
        _ if c == vcode::DISALLOWED_CHARACTER => 0,
        _ if c == code::EFFECT_CASE => 3,
        _ if c.as_bytes().get(3) == Some(&b'0')
            && matches!(c.as_bytes().get(4), Some(b'0' | b'1' | b'2')) =>
        {
            1
        }
        _ if c == vcode::MANAGED_VERSION => 2,
        // an unparseable date fails IAM's legacy parsing (§9)
        "IAM040" => 3,
        _ if c == vcode::RESOURCE_LEGACY => 4,
        _ if c == vcode::DUPLICATE_SID => 5,
        _ if c == vcode::MISSING_ACTION => 6,
        _ if c == vcode::MISSING_RESOURCE => 7,
        _ if [
            vcode::RESOURCE_NOT_ARN,
            vcode::RESOURCE_PARTITION,
            vcode::RESOURCE_VENDOR,
            vcode::RESOURCE_REGION,
            vcode::IAM_RESOURCE_PATH,
        ]
        .contains(&c) =>
        {
            8
        }
        _ if [
            vcode::ACTION_NO_VENDOR,
            vcode::ACTION_COLONS,
            vcode::ACTION_BAD_VENDOR,
        ]
        .contains(&c) =>
        {
            9
        }
        _ if c == vcode::POLICY_SIZE => 11,
        _ => 10,
    })
}

/// Where a resource or action entry sits, for IAM's visiting order: the pass
/// (`Resource`/`Action` first, then the `Not` forms), the statement index, and the
/// entry's text.
fn locate(doc: &PolicyDocument, span: Span, resources: bool) -> Option<(bool, usize, String)> {
    for (i, st) in doc.statements.iter().enumerate() {
        let hit = if resources {
            st.resource.as_ref().and_then(|r| {
                r.items
                    .items
                    .iter()
                    .find(|it| it.span == span)
                    .map(|it| (r.negated, it.value.clone()))
            })
        } else {
            st.action.as_ref().and_then(|a| {
                a.items
                    .items
                    .iter()
                    .find(|it| it.span == span)
                    .map(|it| (a.negated, it.value.clone()))
            })
        };
        if let Some((negated, value)) = hit {
            return Some((negated, i, value));
        }
    }
    None
}

/// The diagnostic IAM's `CreatePolicy` would report: the first error in IAM's check
/// order (E1 syntax → E2 version → E3 legacy parsing → E4 Sid → E5 actions → E6
/// resources → E7–E11 resource formats → E12–E14 action formats), then the errors IAM
/// reports elsewhere. `None` when there is no error.
///
/// ```
/// use iam_policy::{aws_error, check_policy, ParseOptions};
/// let c = check_policy(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
///     "Action": "invalid", "Resource": "adf"}}"#, &ParseOptions::default());
/// let first = aws_error(&c).and_then(|d| d.aws_message());
/// assert_eq!(first, Some("Resource adf must be in ARN format or \"*\"."));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn aws_error(checked: &Checked) -> Option<&Diagnostic> {
    let best_rank = checked.diagnostics.iter().filter_map(aws_rank).min()?;
    let mut candidates = checked
        .diagnostics
        .iter()
        .filter(|d| aws_rank(d) == Some(best_rank));
    let doc = checked.document.as_ref();
    match (best_rank, doc) {
        // Resource formats: IAM visits `Resource` of every statement, then `NotResource`,
        // entries in reverse-sorted order, and the last error it finds wins.
        (8, Some(doc)) => candidates.max_by(|a, b| {
            let ka = locate(doc, a.span(), true);
            let kb = locate(doc, b.span(), true);
            let key = |k: Option<(bool, usize, String)>| {
                k.map(|(neg, i, v)| (neg, i, std::cmp::Reverse(v)))
            };
            key(ka).cmp(&key(kb))
        }),
        // Legacy ARN parsing runs per statement only while no format error was found.
        (4, Some(doc)) => {
            let format_errors: Vec<(bool, usize)> = checked
                .diagnostics
                .iter()
                .filter(|d| aws_rank(d) == Some(8))
                .filter_map(|d| locate(doc, d.span(), true).map(|(n, i, _)| (n, i)))
                .collect();
            let legacy = candidates.find(|d| {
                locate(doc, d.span(), true).is_none_or(|(n, i, _)| {
                    !format_errors
                        .iter()
                        .any(|&(fe_n, fe_i)| (fe_n, fe_i) < (n, i))
                })
            });
            legacy.or_else(|| {
                // every legacy failure was skipped: fall through to the next step
                let next = checked
                    .diagnostics
                    .iter()
                    .filter_map(|d| aws_rank(d).filter(|&r| r > 4).map(|r| (r, d)))
                    .min_by_key(|&(r, _)| r)?
                    .0;
                checked
                    .diagnostics
                    .iter()
                    .find(|d| aws_rank(d) == Some(next))
            })
        }
        // Action formats: `Action` pass then `NotAction`, first error raised.
        (9, Some(doc)) => candidates.min_by_key(|d| {
            locate(doc, d.span(), false).map(|(neg, i, _)| (neg, i, d.span().start))
        }),
        _ => candidates.next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::BaseOperator;

    fn first(text: &str, options: &ParseOptions) -> Option<String> {
        let c = check_policy(text, options);
        aws_error(&c).and_then(|d| d.aws_message().map(str::to_string))
    }

    const MANAGED: ParseOptions = ParseOptions {
        policy_type: PolicyType::Identity,
        limits: Limits {
            max_bytes: 1 << 20,
            max_depth: 64,
            max_string_bytes: 1 << 17,
            max_members: 10_000,
        },
        managed: true,
        check_size: true,
    };

    #[test]
    fn managed_policy_without_version_reports_version_before_resources() {
        let text = r#"{"Statement": {"Effect": "Allow", "Action": "s3:ListBucket"}}"#;
        assert_eq!(
            first(text, &MANAGED).as_deref(),
            Some("Policy document must be version 2012-10-17 or greater.")
        );
    }

    #[test]
    fn missing_actions_come_before_missing_resources_and_action_formats() {
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny"},
            {"Effect": "Allow", "Action": "invalid"}]}"#;
        assert_eq!(
            first(text, &MANAGED).as_deref(),
            Some("Policy statement must contain actions.")
        );
    }

    #[test]
    fn last_resource_format_error_in_reverse_sorted_order_wins() {
        let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": ["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"]}}"#;
        assert_eq!(
            first(text, &MANAGED).as_deref(),
            Some(
                "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\"."
            )
        );
    }

    #[test]
    fn legacy_arn_failure_outranks_missing_action() {
        let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Resource": "arn:aws:s3::example_bucket"}}"#;
        assert_eq!(
            first(text, &MANAGED).as_deref(),
            Some("The policy failed legacy parsing")
        );
    }

    #[test]
    fn unparseable_date_is_found_and_outranks_missing_action() {
        let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "234-13"}}}}"#;
        let c = check_policy(text, &MANAGED);
        assert_eq!(aws_error(&c).map(Diagnostic::code), Some("IAM040"));
    }

    #[test]
    fn first_action_format_error_is_reported() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3s:ListBucket", "Resource": "*"},
            {"Effect": "Allow", "Action": "s:3s:ListBucket", "Resource": "*"}]}"#;
        assert_eq!(
            first(text, &MANAGED).as_deref(),
            Some("Actions/Condition can contain only one colon.")
        );
    }

    #[test]
    fn duplicate_keys_are_errors_at_the_repeated_key() {
        let text = r#"{"Version": "2012-10-17", "Version": "2012-10-17",
            "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}"#;
        let c = check_policy(text, &ParseOptions::default());
        let d = c.diagnostics.iter().find(|d| d.code() == "IAM003").unwrap();
        assert_eq!(d.span().start, 26);
    }

    #[test]
    fn top_level_conditions_is_only_a_warning() {
        let text = r#"{"Version": "2012-10-17", "Conditions": {},
            "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}"#;
        let c = check_policy(text, &ParseOptions::default());
        assert!(!c.has_errors());
        assert_eq!(c.diagnostics[0].code(), "IAM039");
    }

    #[test]
    fn parse_errors_display_first_message_and_count() {
        let err = parse_policy(r#"{"Statement": []}"#, &MANAGED).unwrap_err();
        assert!(err.errors().count() >= 2);
        assert!(err.to_string().contains("more error"));
    }

    #[test]
    fn condition_value_errors_are_those_of_compiling_the_block() {
        use crate::condition::ConditionSet;
        let values = r#"["1", "1.5", "x", "2020-01-01", "${aws:username}", "${aws:x",
            "10.0.0.0/8", "::1", "300.1.1.1", "QmluYXJ5", "!!", "true", "FALSE", "yes",
            "arn:aws:s3:::b", "arn:aws", "arn:${aws:partition}:s3:::b", "*", "", 7, true]"#;
        for version in ["2012-10-17", "2008-10-17"] {
            for op in BaseOperator::ALL {
                for prefix in ["", "ForAnyValue:"] {
                    let text = format!(
                        r#"{{"Version": "{version}", "Statement": {{"Effect": "Allow",
                        "Action": "*", "Resource": "*", "Condition": {{"{prefix}{}":
                        {{"k:k": {values}, "k:j": "x"}}}}}}}}"#,
                        op.as_str()
                    );
                    let c = check_policy(&text, &ParseOptions::default());
                    let doc = c.document.as_ref().unwrap();
                    let block = doc.statements[0].condition.as_ref().unwrap();
                    let mut expected = ConditionSet::compile(block, doc.variables_enabled())
                        .err()
                        .unwrap_or_default();
                    let mut found = Vec::new();
                    condition::value_errors(block, doc.variables_enabled(), &mut found);
                    assert_eq!(found, expected, "{text}");
                    expected.sort_by_key(|d| d.span().start);
                    let reported: Vec<_> = c
                        .diagnostics
                        .iter()
                        .filter(|d| {
                            ["IAM040", "IAM041", "IAM042", "IAM043", "IAM044", "IAM045"]
                                .contains(&d.code())
                        })
                        .cloned()
                        .collect();
                    assert_eq!(reported, expected, "{text}");
                }
            }
        }
    }

    #[test]
    fn invalid_utf8_is_a_syntax_error_at_the_bad_byte() {
        let c = check_policy_bytes(b"{\"a\xc3\x28\": 1}", &ParseOptions::default());
        assert_eq!(c.diagnostics.len(), 1);
        assert_eq!(c.diagnostics[0].span().start, 3);
    }
}
