//! Policy validation: the rules AWS applies after the grammar (policy-language.md §12,
//! §13, §14.1) plus the value-format rules of §5.2, §6, §7.1 and §8.2.
//!
//! Input: a parsed [`PolicyDocument`], the text it was read from and the
//! [`ParseOptions`] (policy type, managed or not). Output: diagnostics appended to a
//! list, each with a span; errors where IAM rejects the document, warnings where IAM
//! accepts something that is wrong or cannot work. It never changes the document and
//! never panics. Grammar errors (IAM001–IAM021) belong to `parse`; condition value
//! formats (IAM040–IAM045) belong to condition value parsing.
//!
//! # Codes
//!
//! | Code | Name | Severity | Meaning | AWS message |
//! | --- | --- | --- | --- | --- |
//! | IAM030 | `managed-policy-version` | error | managed policy without `Version` `2012-10-17` (E2) | `Policy document must be version 2012-10-17 or greater.` |
//! | IAM031 | `missing-version` | warning | non-managed policy without `Version` or with `2008-10-17`: variables are literal | — |
//! | IAM032 | `duplicate-sid` | error | a non-empty `Sid` repeats (E4) | `Statement IDs (SID) in a single policy must be unique.` |
//! | IAM033 | `missing-action` | error | no `Action`/`NotAction`, or an empty array (E5) | `Policy statement must contain actions.` |
//! | IAM034 | `missing-resource` | error | no `Resource`/`NotResource`, or an empty array, where required (E6) | `Policy statement must contain resources.` |
//! | IAM035 | `resource-in-trust-policy` | error | `Resource`/`NotResource` in a trust policy (E16) | `Has prohibited field Resource` |
//! | IAM036 | `principal-not-allowed` | error | `Principal`/`NotPrincipal` where the policy type forbids it (E15, §13) | `Policy document should not specify a principal.` (identity-type policies) |
//! | IAM037 | `missing-principal` | error | no `Principal` where the policy type requires one (§13) | — |
//! | IAM038 | `not-principal-with-allow` | error | `NotPrincipal` with `"Effect": "Allow"` (§5.1) | — |
//! | IAM039 | `top-level-conditions` | warning | top-level `Conditions` member, tolerated but meaningless (§1) | — |
//! | IAM050 | `action-missing-vendor` | error | action without a colon (E12) | `Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.` |
//! | IAM051 | `action-extra-colon` | error | action with more than one colon (E13) | `Actions/Condition can contain only one colon.` |
//! | IAM052 | `action-bad-vendor` | error | service prefix with a character outside `[A-Za-z0-9.-]` (E14) | `Vendor <v> is not valid` |
//! | IAM053 | `resource-not-arn` | error | resource without a colon (E7) | `Resource <r> must be in ARN format or "*".` |
//! | IAM054 | `resource-bad-partition` | error | ARN partition neither a known one nor a pattern such as `*` (E8) | `Partition "<p>" is not valid for resource "<arn>".` |
//! | IAM055 | `resource-missing-vendor` | error | `arn:aws` with nothing after it (E9) | `Resource vendor must be fully qualified and cannot contain regexes.` |
//! | IAM056 | `resource-region` | error | IAM ARN, or S3 ARN without an account, with a region (E10) | `IAM resource <r> cannot contain region information.` / `Resource <r> can not contain region information.` |
//! | IAM057 | `iam-resource-path` | error | IAM ARN whose resource is not `*`, `root` or a known type such as `user/` (E11) | `IAM resource path must either be "*" or start with user/, …` |
//! | IAM058 | `resource-legacy-parsing` | error | short or odd ARN IAM cannot read (E3, §7.1) | `The policy failed legacy parsing` |
//! | IAM059 | `resource-wildcard-misplaced` | warning | wildcard in an ARN's service or resource-type part (§7.1) | — |
//! | IAM060 | `variable-not-allowed` | warning | policy variable in `Action`, `Principal` or outside an ARN's resource part (§8.1) | — |
//! | IAM061 | `principal-wildcard` | warning | `*`/`?` inside a principal value (§5.2) | — |
//! | IAM062 | `aws-principal-format` | warning | `AWS` principal that is no account id, ARN or unique id (§5.2) | — |
//! | IAM063 | `service-principal-format` | warning | `Service` principal not shaped like `name.amazonaws.com` (§5.2) | — |
//! | IAM064 | `sid-characters` | error | `Sid` with characters other than `A-Z a-z 0-9` in an IAM policy type (§4) | — |
//! | IAM065 | `variable-syntax` | warning | malformed `${...}`: no closing brace, empty, space in name, missing quote (§8.2) | — |
//! | IAM066 | `variable-in-old-version` | warning | `${...}` under a Version that keeps it literal (§8.1) | — |
//! | IAM067 | `policy-size` | error | document over the size quota of its policy type (E17, §12) | — (`LimitExceeded`) |
//! | IAM068 | `disallowed-character` | error | character outside U+0009, U+000A, U+000D, U+0020–U+00FF (E18) | — (parameter validation) |
//! | IAM069 | `rcp-statement` | error | RCP statement with `Allow` or a `Principal` other than `"*"` (§13) | — |

use std::collections::HashSet;

use crate::ast::{
    ActionClause, Effect, OperatorBlock, PolicyDocument, PrincipalKind, PrincipalValue,
    ResourceClause, Statement, Version,
};
use crate::check::ParseOptions;
use crate::diag::Diagnostic;
use crate::parse::PolicyType;
use crate::source::Span;

/// Diagnostic codes of the validation stage.
pub(crate) mod code {
    /// E2: managed policy without `Version` `2012-10-17`.
    pub const MANAGED_VERSION: &str = "IAM030";
    /// Missing or old `Version` in a non-managed policy.
    pub const MISSING_VERSION: &str = "IAM031";
    /// E4: duplicate non-empty `Sid`.
    pub const DUPLICATE_SID: &str = "IAM032";
    /// E5: no actions.
    pub const MISSING_ACTION: &str = "IAM033";
    /// E6: no resources.
    pub const MISSING_RESOURCE: &str = "IAM034";
    /// E16: `Resource` in a trust policy.
    pub const TRUST_RESOURCE: &str = "IAM035";
    /// E15 and §13: principal element forbidden for the policy type.
    pub const PRINCIPAL_NOT_ALLOWED: &str = "IAM036";
    /// §13: principal element required for the policy type.
    pub const MISSING_PRINCIPAL: &str = "IAM037";
    /// §5.1: `NotPrincipal` with `Allow`.
    pub const NOT_PRINCIPAL_ALLOW: &str = "IAM038";
    /// §1: top-level `Conditions`.
    pub const TOP_LEVEL_CONDITIONS: &str = "IAM039";
    /// E12.
    pub const ACTION_NO_VENDOR: &str = "IAM050";
    /// E13.
    pub const ACTION_COLONS: &str = "IAM051";
    /// E14.
    pub const ACTION_BAD_VENDOR: &str = "IAM052";
    /// E7.
    pub const RESOURCE_NOT_ARN: &str = "IAM053";
    /// E8.
    pub const RESOURCE_PARTITION: &str = "IAM054";
    /// E9.
    pub const RESOURCE_VENDOR: &str = "IAM055";
    /// E10.
    pub const RESOURCE_REGION: &str = "IAM056";
    /// E11.
    pub const IAM_RESOURCE_PATH: &str = "IAM057";
    /// E3 for resources.
    pub const RESOURCE_LEGACY: &str = "IAM058";
    /// §7.1 wildcard placement.
    pub const RESOURCE_WILDCARD: &str = "IAM059";
    /// §8.1 variable placement.
    pub const VARIABLE_NOT_ALLOWED: &str = "IAM060";
    /// §5.2 wildcard in a principal.
    pub const PRINCIPAL_WILDCARD: &str = "IAM061";
    /// §5.2 `AWS` principal format.
    pub const AWS_PRINCIPAL: &str = "IAM062";
    /// §5.2 `Service` principal format.
    pub const SERVICE_PRINCIPAL: &str = "IAM063";
    /// §4 Sid characters.
    pub const SID_CHARACTERS: &str = "IAM064";
    /// §8.2 variable syntax.
    pub const VARIABLE_SYNTAX: &str = "IAM065";
    /// §8.1 variable under an old Version.
    pub const VARIABLE_OLD_VERSION: &str = "IAM066";
    /// E17.
    pub const POLICY_SIZE: &str = "IAM067";
    /// E18.
    pub const DISALLOWED_CHARACTER: &str = "IAM068";
    /// §13 RCP rules.
    pub const RCP_STATEMENT: &str = "IAM069";
}

const AWS_MANAGED_VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
const AWS_DUPLICATE_SID: &str = "Statement IDs (SID) in a single policy must be unique.";
const AWS_NO_ACTIONS: &str = "Policy statement must contain actions.";
const AWS_NO_RESOURCES: &str = "Policy statement must contain resources.";
const AWS_TRUST_RESOURCE: &str = "Has prohibited field Resource";
const AWS_NO_PRINCIPAL: &str = "Policy document should not specify a principal.";
const AWS_NO_VENDOR: &str =
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
const AWS_COLONS: &str = "Actions/Condition can contain only one colon.";
const AWS_RESOURCE_VENDOR: &str =
    "Resource vendor must be fully qualified and cannot contain regexes.";
const AWS_LEGACY: &str = "The policy failed legacy parsing";

/// Resource types an IAM ARN may start with (§7.1, E11), in IAM's order.
const IAM_RESOURCE_TYPES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// The AWS partitions.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// Validate `doc` (read from `text`) for `options`, appending every finding to `diags`.
pub(crate) fn validate(
    doc: &PolicyDocument,
    text: &str,
    options: &ParseOptions,
    diags: &mut Vec<Diagnostic>,
) {
    characters(text, diags);
    if options.check_size {
        size(text, doc.span, options, diags);
    }
    // a `Version` the grammar rejected is already reported
    if !diags
        .iter()
        .any(|d| d.code() == crate::parse::code::BAD_VERSION)
    {
        version(doc, options, diags);
    }
    duplicate_sids(doc, diags);
    let variables = doc.variables_enabled();
    for st in &doc.statements {
        statement(st, options, variables, diags);
    }
}

/// E18: only U+0009, U+000A, U+000D and U+0020–U+00FF may appear in the text.
fn characters(text: &str, diags: &mut Vec<Diagnostic>) {
    // Byte pre-check: in UTF-8 a character above U+00FF starts with a lead byte of 0xC4
    // or more (U+0080–U+00FF use 0xC2/0xC3, continuation bytes are 0x80–0xBF), and
    // control characters are single bytes below 0x20. No such byte means no finding.
    // Chunks without early exit inside let the compiler vectorise the test.
    // `b | 4 == 0x0D` holds for exactly tab (0x09) and carriage return (0x0D): one
    // comparison fewer per byte than testing the three allowed controls apart.
    let bad_byte = |b: u8| b >= 0xC4 || (b < 0x20 && (b | 4) != 0x0D && b != b'\n');
    if !text
        .as_bytes()
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |acc, &b| acc | bad_byte(b)))
    {
        return;
    }
    let mut bad = text
        .char_indices()
        .filter(|&(_, c)| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'));
    let Some((at, c)) = bad.next() else {
        return;
    };
    let more = bad.count();
    let shown = if c.is_control() {
        String::new()
    } else {
        format!("`{c}` ")
    };
    let mut d = Diagnostic::error(
        code::DISALLOWED_CHARACTER,
        format!(
            "character {shown}(U+{:04X}) is not allowed in a policy document",
            u32::from(c)
        ),
        Span::new(at, at + c.len_utf8()),
    )
    .with_help("policies may contain only tab, line feed, carriage return and U+0020 to U+00FF; use a `\\u` escape inside strings");
    if more > 0 {
        d = d.with_label(format!("{more} more such characters follow"));
    }
    diags.push(d);
}

/// How a quota counts the document.
#[derive(Clone, Copy)]
enum Measure {
    /// Characters, white space not counted.
    NonWhitespaceChars,
    /// All characters.
    Chars,
    /// UTF-8 bytes.
    Bytes,
}

/// E17: the per-type size quota of §12.
fn size(text: &str, span: Span, options: &ParseOptions, diags: &mut Vec<Diagnostic>) {
    let (limit, measure, what) = match (options.policy_type, options.managed) {
        (PolicyType::Identity, true) | (PolicyType::Boundary, _) => (
            6_144,
            Measure::NonWhitespaceChars,
            "the managed policy quota",
        ),
        (PolicyType::Identity, false) => (
            10_240,
            Measure::NonWhitespaceChars,
            "the largest inline policy quota",
        ),
        (PolicyType::Trust, _) => (
            2_048,
            Measure::NonWhitespaceChars,
            "the default trust policy quota",
        ),
        (PolicyType::Session, _) => (2_048, Measure::Chars, "the session policy quota"),
        (PolicyType::Scp, _) => (5_120, Measure::Bytes, "the service control policy quota"),
        (PolicyType::Rcp, _) => (5_120, Measure::Chars, "the resource control policy quota"),
        _ => return,
    };
    let (n, unit) = match measure {
        Measure::NonWhitespaceChars => (
            text.chars().filter(|c| !c.is_whitespace()).count(),
            "characters (white space not counted)",
        ),
        Measure::Chars => (text.chars().count(), "characters"),
        Measure::Bytes => (text.len(), "bytes"),
    };
    if n > limit {
        let mut d = Diagnostic::error(
            code::POLICY_SIZE,
            format!("policy is {n} {unit}, over {what} of {limit}"),
            Span::at(span.start),
        );
        if options.policy_type == PolicyType::Trust {
            d = d.with_help("the trust policy quota can be raised to 4,096 characters on request");
        }
        diags.push(d);
    }
}

/// E2 and the missing-version warning.
fn version(doc: &PolicyDocument, options: &ParseOptions, diags: &mut Vec<Diagnostic>) {
    let (span, found) = match &doc.version {
        Some(v) if v.value == Version::V2012_10_17 => return,
        Some(v) => (v.span, Some(v.value.as_str())),
        None => (Span::at(doc.span.start), None),
    };
    let d = match (options.managed, found) {
        (true, None) => Diagnostic::error(
            code::MANAGED_VERSION,
            "a managed policy must have `Version` `2012-10-17`",
            span,
        )
        .with_aws_message(AWS_MANAGED_VERSION),
        (true, Some(v)) => Diagnostic::error(
            code::MANAGED_VERSION,
            format!("a managed policy must have `Version` `2012-10-17`, found `{v}`"),
            span,
        )
        .with_aws_message(AWS_MANAGED_VERSION),
        (false, None) => Diagnostic::warning(
            code::MISSING_VERSION,
            "policy has no `Version`, so policy variables are literal text",
            span,
        ),
        (false, Some(v)) => Diagnostic::warning(
            code::MISSING_VERSION,
            format!("`Version` `{v}` keeps policy variables literal text"),
            span,
        ),
    };
    diags.push(d.with_help("add `\"Version\": \"2012-10-17\"`"));
}

/// E4: a non-empty Sid must be unique.
fn duplicate_sids(doc: &PolicyDocument, diags: &mut Vec<Diagnostic>) {
    // most policies have a handful of Sids: a linear scan beats hashing them
    let many = doc.statements.len() > 16;
    let mut seen: HashSet<&str> = HashSet::new();
    let mut seen_few: Vec<&str> = Vec::new();
    for sid in doc.statements.iter().filter_map(|s| s.sid.as_ref()) {
        if sid.value.is_empty() {
            continue;
        }
        let value = sid.value.as_str();
        let repeated = if many {
            !seen.insert(value)
        } else if seen_few.contains(&value) {
            true
        } else {
            seen_few.push(value);
            false
        };
        if repeated {
            diags.push(
                Diagnostic::error(
                    code::DUPLICATE_SID,
                    format!("duplicate `Sid` `{}`", sid.value),
                    sid.span,
                )
                .with_label("already used by an earlier statement")
                .with_aws_message(AWS_DUPLICATE_SID),
            );
        }
    }
}

fn type_name(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Identity => "an identity policy",
        PolicyType::Resource => "a resource policy",
        PolicyType::Trust => "a trust policy",
        PolicyType::Boundary => "a permissions boundary",
        PolicyType::Session => "a session policy",
        PolicyType::Scp => "a service control policy",
        PolicyType::Rcp => "a resource control policy",
        PolicyType::VpcEndpoint => "a vpc endpoint policy",
    }
}

fn statement(st: &Statement, options: &ParseOptions, variables: bool, diags: &mut Vec<Diagnostic>) {
    let t = options.policy_type;
    let at = Span::at(st.span.start);
    if let Some(sid) = &st.sid {
        sid_characters(&sid.value, sid.span, t, diags);
    }
    // E5
    match &st.action {
        Some(a) if a.items.is_empty() => diags.push(
            Diagnostic::error(
                code::MISSING_ACTION,
                format!("`{}` is an empty array", action_name(a)),
                a.items.span,
            )
            .with_aws_message(AWS_NO_ACTIONS),
        ),
        Some(a) => actions(a, variables, diags),
        None if !st.order.contains(&crate::ast::Element::Action) => diags.push(
            Diagnostic::error(
                code::MISSING_ACTION,
                "statement has no `Action` or `NotAction`",
                at,
            )
            .with_aws_message(AWS_NO_ACTIONS),
        ),
        None => {}
    }
    // E6 / E16
    let has_resource_key = st.order.contains(&crate::ast::Element::Resource);
    if t == PolicyType::Trust {
        if let Some(r) = &st.resource {
            diags.push(
                Diagnostic::error(
                    code::TRUST_RESOURCE,
                    format!("a trust policy must not have `{}`", resource_name(r)),
                    r.key_span,
                )
                .with_help(
                    "remove the element: a trust policy applies to the role it is attached to",
                )
                .with_aws_message(AWS_TRUST_RESOURCE),
            );
        }
    } else {
        match &st.resource {
            Some(r) if r.items.is_empty() => diags.push(
                Diagnostic::error(
                    code::MISSING_RESOURCE,
                    format!("`{}` is an empty array", resource_name(r)),
                    r.items.span,
                )
                .with_aws_message(AWS_NO_RESOURCES),
            ),
            Some(_) => {}
            None if !has_resource_key => diags.push(
                Diagnostic::error(
                    code::MISSING_RESOURCE,
                    "statement has no `Resource` or `NotResource`",
                    at,
                )
                .with_help("add `\"Resource\": \"*\"` or the ARNs the statement applies to")
                .with_aws_message(AWS_NO_RESOURCES),
            ),
            None => {}
        }
    }
    if let Some(r) = &st.resource {
        resources(r, variables, diags);
    }
    principal_rules(st, t, variables, diags);
    if let Some(c) = &st.condition {
        for op in &c.operators {
            condition_variables(op, variables, diags);
        }
    }
}

fn action_name(a: &ActionClause) -> &'static str {
    if a.negated {
        "NotAction"
    } else {
        "Action"
    }
}

fn resource_name(r: &ResourceClause) -> &'static str {
    if r.negated {
        "NotResource"
    } else {
        "Resource"
    }
}

/// §4: in IAM policy types a Sid holds only ASCII letters and digits.
fn sid_characters(sid: &str, span: Span, t: PolicyType, diags: &mut Vec<Diagnostic>) {
    let iam_type = t.is_identity_like() || t == PolicyType::Trust;
    // non-ASCII characters are multi-byte, and no such byte is alphanumeric
    if !iam_type || sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return;
    }
    diags.push(
        Diagnostic::error(
            code::SID_CHARACTERS,
            format!(
                "`Sid` `{sid}` may contain only letters and digits in {}",
                type_name(t)
            ),
            span,
        )
        .with_help("remove spaces, dashes and other punctuation from the `Sid`"),
    );
}

/// E12–E14 plus variables in actions.
fn actions(a: &ActionClause, variables: bool, diags: &mut Vec<Diagnostic>) {
    for item in &a.items.items {
        let action = item.value.as_str();
        if action == "*" {
            continue;
        }
        let (colons, first_colon, dollar) = action_scan(action);
        if colons == 0 {
            diags.push(
                Diagnostic::error(
                    code::ACTION_NO_VENDOR,
                    format!("action `{action}` has no service prefix"),
                    item.span,
                )
                .with_help("write actions as `service:ActionName`, for example `s3:GetObject`")
                .with_aws_message(AWS_NO_VENDOR),
            );
        } else if colons > 1 {
            diags.push(
                Diagnostic::error(
                    code::ACTION_COLONS,
                    format!("action `{action}` has more than one colon"),
                    item.span,
                )
                .with_aws_message(AWS_COLONS),
            );
        } else {
            // the service prefix: the text before the only colon
            let vendor = action.get(..first_colon).unwrap_or(action);
            if vendor != "*"
                && !vendor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                diags.push(
                    Diagnostic::error(
                        code::ACTION_BAD_VENDOR,
                        format!("action `{action}` has an invalid service prefix `{vendor}`"),
                        item.span,
                    )
                    .with_help("a service prefix has only letters, digits, `-` and `.`")
                    .with_aws_message(format!("Vendor {vendor} is not valid")),
                );
            }
        }
        if variables && dollar && has_variable(action) {
            diags.push(variable_not_allowed(action_name(a), item.span));
        }
    }
}

fn variable_not_allowed(element: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        code::VARIABLE_NOT_ALLOWED,
        format!("policy variables are not supported in `{element}`"),
        span,
    )
    .with_help("the text is matched literally; use a condition instead")
}

/// What one resource string is, per IAM's save-time checks (§7.1).
#[derive(Debug, PartialEq, Eq)]
enum ResourceFormat {
    /// Accepted.
    Ok,
    /// E7–E11: code, our message, AWS's message.
    Error(&'static str, String, String),
}

/// A partition IAM accepts: a known one, or a pattern (`*`, `aws*`, `${aws:partition}`)
/// as AWS managed policies write it.
fn partition_ok(partition: &str) -> bool {
    PARTITIONS.contains(&partition) || partition.contains(['*', '?']) || partition.contains("${")
}

/// One pass over an action or resource string: where its first five colons are, how
/// many colons it has, and which special characters occur. Reads eight bytes at a time.
struct Scan {
    /// Byte offsets of the first five colons (the first `colons` of them are set).
    at: [usize; 5],
    /// How many colons the text has.
    colons: usize,
    /// Byte offset of the last colon (when `colons` > 0).
    last: usize,
    /// Two colons in a row somewhere.
    double_colon: bool,
    /// A `$` somewhere.
    dollar: bool,
    /// A `*` or `?` somewhere.
    wildcard: bool,
}

/// `0x80` in every byte of `x` that equals `b`, zero elsewhere. Exact: no borrow or carry
/// crosses a byte.
fn bytes_equal(x: u64, b: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let v = x ^ (ONES * u64::from(b));
    !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7)
}

/// Calls `f` with every eight bytes of `bytes` as a little-endian word and the offset of
/// its first byte. The last word is zero-filled past the end; zero is none of the bytes
/// the scans look for.
fn for_words(bytes: &[u8], mut f: impl FnMut(u64, usize)) {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        if let Ok(word) = <[u8; 8]>::try_from(chunk) {
            f(u64::from_le_bytes(word), base);
        }
        base += 8;
    }
    let tail = chunks.remainder();
    if tail.is_empty() {
        return;
    }
    let last = bytes
        .len()
        .checked_sub(8)
        .and_then(|from| bytes.get(from..))
        .and_then(|last| <[u8; 8]>::try_from(last).ok());
    let word = match last {
        // read the last eight bytes again and drop those already seen
        Some(last) => u64::from_le_bytes(last) >> (8 * (8 - tail.len())),
        None => tail
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
    };
    f(word, base);
}

/// What the action checks need of an action, in one pass: 0, 1 or 2 for none, one or
/// several colons; the offset of the first colon (the length when there is none); and
/// whether a `$` occurs.
fn action_scan(action: &str) -> (usize, usize, bool) {
    let mut colons = 0;
    let mut first = action.len();
    let mut dollar = false;
    for_words(action.as_bytes(), |x, base| {
        let c = bytes_equal(x, b':');
        if c != 0 && colons < 2 {
            if colons == 0 {
                first = base + (c.trailing_zeros() / 8) as usize;
            }
            // two flagged bytes in one word, or a second word with one
            colons += if c & (c - 1) != 0 { 2 } else { 1 };
        }
        dollar |= bytes_equal(x, b'$') != 0;
    });
    (colons.min(2), first, dollar)
}

impl Scan {
    fn new(text: &str) -> Scan {
        let mut scan = Scan {
            at: [0; 5],
            colons: 0,
            last: 0,
            double_colon: false,
            dollar: false,
            wildcard: false,
        };
        for_words(text.as_bytes(), |x, base| scan.word(x, base));
        scan
    }

    /// Takes in the eight bytes starting at offset `base`.
    fn word(&mut self, x: u64, base: usize) {
        self.dollar |= bytes_equal(x, b'$') != 0;
        self.wildcard |= (bytes_equal(x, b'*') | bytes_equal(x, b'?')) != 0;
        let mut colons = bytes_equal(x, b':');
        while colons != 0 {
            let at = base + (colons.trailing_zeros() / 8) as usize;
            colons &= colons - 1;
            if self.colons > 0 && self.last + 1 == at {
                self.double_colon = true;
            }
            if let Some(slot) = self.at.get_mut(self.colons) {
                *slot = at;
            }
            self.last = at;
            self.colons += 1;
        }
    }

    /// Byte offset of colon number `k` (from 0), when the text has more than `k` colons
    /// and `k` < 5.
    fn colon(&self, k: usize) -> Option<usize> {
        if k < self.colons {
            self.at.get(k).copied()
        } else {
            None
        }
    }
}

impl ResourceFormat {
    /// E7: neither an ARN nor `*`.
    fn not_arn(resource: &str) -> ResourceFormat {
        ResourceFormat::Error(
            code::RESOURCE_NOT_ARN,
            format!("resource `{resource}` is not an arn or `*`"),
            format!("Resource {resource} must be in ARN format or \"*\"."),
        )
    }

    /// E8: an unknown partition; AWS's message shows the ARN with missing fields as `*`.
    fn bad_partition(
        resource: &str,
        partition: &str,
        after_partition: Option<&str>,
    ) -> ResourceFormat {
        let rest: Vec<&str> = after_partition.unwrap_or("").split(':').collect();
        let field = |i: usize| -> String {
            match rest.get(i) {
                Some(s) => (*s).to_string(),
                None => "*".to_string(),
            }
        };
        let arn1 = if rest.len() == 1 && rest.first() == Some(&"") {
            "*".to_string()
        } else {
            field(0)
        };
        let arn4 = if rest.len() > 3 {
            rest.get(3..).map(|r| r.join(":")).unwrap_or_default()
        } else {
            "*".to_string()
        };
        let shown = format!("arn:{partition}:{arn1}:{}:{}:{arn4}", field(1), field(2));
        ResourceFormat::Error(
            code::RESOURCE_PARTITION,
            format!("invalid partition `{partition}` in resource `{resource}`"),
            format!("Partition \"{partition}\" is not valid for resource \"{shown}\"."),
        )
    }

    /// E9: no service field.
    fn no_service(resource: &str) -> ResourceFormat {
        ResourceFormat::Error(
            code::RESOURCE_VENDOR,
            format!("resource `{resource}` has no service"),
            AWS_RESOURCE_VENDOR.to_string(),
        )
    }

    /// E10: a region where the service allows none (IAM; S3 buckets and objects).
    fn region(
        resource: &str,
        service: &str,
        region_present: bool,
        account_empty: bool,
    ) -> Option<ResourceFormat> {
        match service {
            "iam" if region_present => Some(ResourceFormat::Error(
                code::RESOURCE_REGION,
                format!("iam resource `{resource}` must not contain a region"),
                format!("IAM resource {resource} cannot contain region information."),
            )),
            "s3" if region_present && account_empty => Some(ResourceFormat::Error(
                code::RESOURCE_REGION,
                format!("s3 resource `{resource}` must not contain a region"),
                format!("Resource {resource} can not contain region information."),
            )),
            _ => None,
        }
    }

    /// E11: an IAM resource whose path starts with no known resource type.
    fn unknown_iam_type(resource: &str) -> ResourceFormat {
        ResourceFormat::Error(
            code::IAM_RESOURCE_PATH,
            format!("iam resource `{resource}` has an unknown resource type"),
            format!(
                "IAM resource path must either be \"*\" or start with {}.",
                IAM_RESOURCE_TYPES.join(", ")
            ),
        )
    }
}

/// IAM's resource format check (E7–E11), in IAM's order. `scan` is the
/// [`Scan`] of `resource`.
fn resource_format(resource: &str, scan: &Scan) -> ResourceFormat {
    if resource == "*" {
        return ResourceFormat::Ok;
    }
    let end = resource.len();
    let Some(c0) = scan.colon(0) else {
        return ResourceFormat::not_arn(resource);
    };
    let c1 = scan.colon(1);
    let partition = resource.get(c0 + 1..c1.unwrap_or(end)).unwrap_or("");
    if !partition_ok(partition) {
        let after_partition = c1.and_then(|c| resource.get(c + 1..));
        return ResourceFormat::bad_partition(resource, partition, after_partition);
    }
    let Some(c1) = c1 else {
        return ResourceFormat::no_service(resource);
    };
    let (c2, c3, c4) = (scan.colon(2), scan.colon(3), scan.colon(4));
    let service = resource.get(c1 + 1..c2.unwrap_or(end)).unwrap_or("");
    // the region is absent when the text after the service starts with a colon
    let region_present = match c2 {
        Some(c2) => c3 != Some(c2 + 1),
        None => true,
    };
    // S3 access points, jobs and access grants carry a region and an account (AWS
    // managed policies use `arn:aws:s3:*:*:accesspoint/...`); only bucket and object
    // ARNs, which have no account, must not name a region.
    let account_empty = match c3 {
        Some(c3) => c3 + 1 == c4.unwrap_or(end),
        None => true,
    };
    if let Some(error) = ResourceFormat::region(resource, service, region_present, account_empty) {
        return error;
    }
    if service == "iam" {
        // the resource part follows the fifth colon
        let resource_part = c4.and_then(|c| resource.get(c + 1..)).unwrap_or("");
        if !is_known_iam_resource(resource_part) {
            return ResourceFormat::unknown_iam_type(resource);
        }
    }
    ResourceFormat::Ok
}

/// Whether the part of an IAM ARN after the account names a resource type IAM knows
/// (or is `*` or `root`).
fn is_known_iam_resource(resource_part: &str) -> bool {
    matches!(resource_part, "*" | "root")
        || IAM_RESOURCE_TYPES
            .iter()
            .any(|t| resource_part.starts_with(t))
}

/// E3 for resources: IAM's legacy parser rejects short ARNs with an empty field and
/// ARNs with an empty service. `scan` is the [`Scan`] of `resource`.
fn resource_legacy_fails(resource: &str, scan: &Scan) -> bool {
    if resource == "*" {
        return false;
    }
    // the third colon-separated field (the service) is empty
    let empty_service = match scan.colon(1) {
        Some(c1) => c1 + 1 == scan.colon(2).unwrap_or(resource.len()),
        None => false,
    };
    (scan.colons < 5 && scan.double_colon) || empty_service
}

/// The split-based statement of [`resource_format`], kept to test the one-pass version.
#[cfg(test)]
fn resource_format_by_split(resource: &str) -> ResourceFormat {
    if resource == "*" {
        return ResourceFormat::Ok;
    }
    let Some((_, after_arn)) = resource.split_once(':') else {
        return ResourceFormat::not_arn(resource);
    };
    let (partition, after_partition) = match after_arn.split_once(':') {
        Some((p, rest)) => (p, Some(rest)),
        None => (after_arn, None),
    };
    if !partition_ok(partition) {
        return ResourceFormat::bad_partition(resource, partition, after_partition);
    }
    let Some(after_partition) = after_partition else {
        return ResourceFormat::no_service(resource);
    };
    let (service, after_service) = match after_partition.split_once(':') {
        Some((s, rest)) => (s, Some(rest)),
        None => (after_partition, None),
    };
    let region_present = !after_service.is_some_and(|r| r.starts_with(':'));
    // S3 access points, jobs and access grants carry a region and an account (AWS
    // managed policies use `arn:aws:s3:*:*:accesspoint/...`); only bucket and object
    // ARNs, which have no account, must not name a region.
    let account_empty = after_service
        .and_then(|r| r.split(':').nth(1))
        .is_none_or(str::is_empty);
    if let Some(error) = ResourceFormat::region(resource, service, region_present, account_empty) {
        return error;
    }
    if service == "iam" {
        // after_service is `:account:resource`
        let resource_part = after_service
            .and_then(|r| r.split_once(':'))
            .and_then(|(_, r)| r.split_once(':'))
            .map(|(_, r)| r)
            .unwrap_or("");
        if !is_known_iam_resource(resource_part) {
            return ResourceFormat::unknown_iam_type(resource);
        }
    }
    ResourceFormat::Ok
}

/// The split-based statement of [`resource_legacy_fails`].
#[cfg(test)]
fn resource_legacy_fails_by_split(resource: &str) -> bool {
    if resource == "*" {
        return false;
    }
    let colons = resource.matches(':').count();
    (colons < 5 && resource.contains("::")) || resource.split(':').nth(2) == Some("")
}

fn resources(r: &ResourceClause, variables: bool, diags: &mut Vec<Diagnostic>) {
    let name = resource_name(r);
    for item in &r.items.items {
        let value = item.value.as_str();
        let scan = Scan::new(value);
        match resource_format(value, &scan) {
            ResourceFormat::Error(c, ours, aws) => {
                diags.push(Diagnostic::error(c, ours, item.span).with_aws_message(aws));
                continue;
            }
            ResourceFormat::Ok => {}
        }
        if resource_legacy_fails(value, &scan) {
            diags.push(
                Diagnostic::error(
                    code::RESOURCE_LEGACY,
                    format!("resource `{value}` is not a well-formed arn"),
                    item.span,
                )
                .with_help("an arn has six parts: `arn:partition:service:region:account:resource`")
                .with_aws_message(AWS_LEGACY),
            );
            continue;
        }
        // the placement checks below need a wildcard or a variable to find anything
        if scan.wildcard || (variables && scan.dollar) {
            let (fields, n) = arn_fields_array(value);
            let fields = fields.get(..n).unwrap_or(&[]);
            if let Some(service) = fields.get(2) {
                if service.contains(['*', '?']) {
                    diags.push(
                        Diagnostic::warning(
                            code::RESOURCE_WILDCARD,
                            format!("wildcard in the service of `{name}` `{value}`"),
                            item.span,
                        )
                        .with_help("name the service; a wildcard there is not supported"),
                    );
                }
            }
            if let (Some(service), Some(res)) = (fields.get(2), fields.get(5)) {
                if *service != "s3" {
                    if let Some(sep) = res.find(['/', ':']) {
                        let kind = res.get(..sep).unwrap_or("");
                        if kind != "*" && kind.contains(['*', '?']) && !kind.contains("${") {
                            diags.push(
                                Diagnostic::warning(
                                    code::RESOURCE_WILDCARD,
                                    format!("wildcard in the resource type of `{name}` `{value}`"),
                                    item.span,
                                )
                                .with_help("write the resource type in full, for example `table/`"),
                            );
                        }
                    }
                }
            }
            if variables {
                let head_len = fields.iter().take(5).map(|f| f.len() + 1).sum::<usize>();
                if fields.len() > 5 && value.get(..head_len).is_some_and(has_variable) {
                    diags.push(
                        Diagnostic::warning(
                            code::VARIABLE_NOT_ALLOWED,
                            format!(
                                "policy variables are supported only in the resource part of an arn, not in `{value}`"
                            ),
                            item.span,
                        )
                        .with_help("put the variable after the fifth colon"),
                    );
                }
            }
        }
        if scan.dollar {
            variable_checks(value, item.span, variables, diags);
        }
    }
}

/// The colon-separated fields of an ARN; the sixth holds everything after the fifth
/// colon. Colons inside `${...}` do not separate.
#[cfg(test)]
fn arn_fields(text: &str) -> Vec<&str> {
    let (fields, n) = arn_fields_array(text);
    fields.get(..n).unwrap_or(&[]).to_vec()
}

/// [`arn_fields`] without allocating: the fields and how many there are (1 to 6).
fn arn_fields_array(text: &str) -> ([&str; 6], usize) {
    let mut out = [""; 6];
    let mut n = 0;
    let mut start = 0;
    let mut depth = false;
    let bytes = text.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if n == 5 {
            break;
        }
        match c {
            b'$' if bytes.get(i + 1) == Some(&b'{') => depth = true,
            b'}' => depth = false,
            b':' if !depth => {
                if let Some(slot) = out.get_mut(n) {
                    *slot = text.get(start..i).unwrap_or("");
                }
                n += 1;
                start = i + 1;
            }
            _ => {}
        }
    }
    if let Some(slot) = out.get_mut(n) {
        *slot = text.get(start..).unwrap_or("");
    }
    (out, n + 1)
}

/// True when `text` holds a well-formed `${...}` variable (not an escape).
fn has_variable(text: &str) -> bool {
    scan_variables(text).any(|s| s == VarScan::Variable)
}

/// What a `${` in a text turned out to be.
#[derive(Debug, PartialEq, Eq)]
enum VarScan {
    /// `${key}` or `${key, 'default'}`.
    Variable,
    /// `${*}`, `${?}`, `${$}`.
    Escape,
    /// No closing brace.
    Unclosed,
    /// `${}`.
    Empty,
    /// White space in the key name.
    SpaceInName,
    /// A default without both quotes.
    MissingQuote,
}

/// Each `${` in a text, in order, classified; allocation-free (most texts have none).
fn scan_variables(text: &str) -> VarScans<'_> {
    // a text without `$` has no `${`
    let rest = if text.as_bytes().contains(&b'$') {
        Some(text)
    } else {
        None
    };
    VarScans { rest }
}

/// Iterator behind [`scan_variables`]: the unscanned rest of the text, `None` once done.
struct VarScans<'t> {
    rest: Option<&'t str>,
}

impl Iterator for VarScans<'_> {
    type Item = VarScan;

    fn next(&mut self) -> Option<VarScan> {
        let rest = self.rest?;
        let Some(at) = rest.find("${") else {
            self.rest = None;
            return None;
        };
        let body_and_more = rest.get(at + 2..).unwrap_or("");
        let Some(close) = body_and_more.find('}') else {
            self.rest = None;
            return Some(VarScan::Unclosed);
        };
        let body = body_and_more.get(..close).unwrap_or("");
        self.rest = Some(body_and_more.get(close + 1..).unwrap_or(""));
        Some(match body {
            "*" | "?" | "$" => VarScan::Escape,
            "" => VarScan::Empty,
            _ => {
                let (key, default) = match body.split_once(',') {
                    Some((k, d)) => (k, Some(d)),
                    None => (body, None),
                };
                if key.trim().is_empty() {
                    VarScan::Empty
                } else if key.contains(char::is_whitespace) {
                    VarScan::SpaceInName
                } else if let Some(d) = default {
                    let d = d.strip_prefix(' ').unwrap_or(d);
                    if d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'') {
                        VarScan::Variable
                    } else {
                        VarScan::MissingQuote
                    }
                } else {
                    VarScan::Variable
                }
            }
        })
    }
}

fn variable_checks(text: &str, span: Span, variables: bool, diags: &mut Vec<Diagnostic>) {
    let mut scans = scan_variables(text).peekable();
    if scans.peek().is_none() {
        return;
    }
    if !variables {
        if scans.any(|s| s == VarScan::Variable) {
            diags.push(
                Diagnostic::warning(
                    code::VARIABLE_OLD_VERSION,
                    format!("`{text}` is matched literally because `Version` is not `2012-10-17`"),
                    span,
                )
                .with_help("add `\"Version\": \"2012-10-17\"` to expand policy variables"),
            );
        }
        return;
    }
    let problem = scans.find_map(|s| match s {
        VarScan::Unclosed => Some("has no closing `}`"),
        VarScan::Empty => Some("is empty"),
        VarScan::SpaceInName => Some("has white space in its name"),
        VarScan::MissingQuote => Some("has a default value without both single quotes"),
        VarScan::Variable | VarScan::Escape => None,
    });
    if let Some(p) = problem {
        diags.push(
            Diagnostic::warning(
                code::VARIABLE_SYNTAX,
                format!("a policy variable in `{text}` {p}"),
                span,
            )
            .with_help("write variables as `${key}` or `${key, 'default'}`; the malformed text is matched literally"),
        );
    }
}

/// Variables in condition values: only operators that expand them are checked.
fn condition_variables(op: &OperatorBlock, variables: bool, diags: &mut Vec<Diagnostic>) {
    use crate::ast::BaseOperator as B;
    let expands = matches!(
        op.operator.value.base,
        Some(
            B::StringEquals
                | B::StringNotEquals
                | B::StringEqualsIgnoreCase
                | B::StringNotEqualsIgnoreCase
                | B::StringLike
                | B::StringNotLike
                | B::ArnEquals
                | B::ArnLike
                | B::ArnNotEquals
                | B::ArnNotLike
                | B::Bool
        )
    );
    if !expands {
        return;
    }
    for entry in &op.entries {
        for v in &entry.values.items {
            if let crate::ast::ConditionValue::String(s) = &v.value {
                variable_checks(s, v.span, variables, diags);
            }
        }
    }
}

/// §13 and §5: where principals are required or forbidden, and their value formats.
fn principal_rules(st: &Statement, t: PolicyType, variables: bool, diags: &mut Vec<Diagnostic>) {
    let allow = st.effect.as_ref().map(|e| e.value) == Some(Effect::Allow);
    let has_principal_key = st.order.contains(&crate::ast::Element::Principal);
    match &st.principal {
        Some(p) => {
            let name = if p.negated {
                "NotPrincipal"
            } else {
                "Principal"
            };
            let forbidden = t.is_identity_like()
                || t == PolicyType::Scp
                || (p.negated && matches!(t, PolicyType::Trust | PolicyType::Rcp));
            if forbidden {
                let mut d = Diagnostic::error(
                    code::PRINCIPAL_NOT_ALLOWED,
                    format!("{} must not have `{name}`", type_name(t)),
                    p.key_span,
                );
                if t.is_identity_like() {
                    d = d
                        .with_help(
                            "the principal of an identity policy is the identity it is attached to",
                        )
                        .with_aws_message(AWS_NO_PRINCIPAL);
                }
                diags.push(d);
            } else if p.negated && allow {
                diags.push(
                    Diagnostic::error(
                        code::NOT_PRINCIPAL_ALLOW,
                        "`NotPrincipal` must not be used with `\"Effect\": \"Allow\"`",
                        p.key_span,
                    )
                    .with_help("use `Principal` with a condition on `aws:PrincipalArn` instead"),
                );
            }
            if t == PolicyType::Rcp && !p.negated && p.value != PrincipalValue::Any {
                diags.push(
                    Diagnostic::error(
                        code::RCP_STATEMENT,
                        "a resource control policy must have `\"Principal\": \"*\"`",
                        p.span,
                    )
                    .with_help("restrict principals with conditions instead"),
                );
            }
            if let PrincipalValue::Map(entries) = &p.value {
                for e in entries {
                    for v in &e.values.items {
                        principal_value(e.kind.value, &v.value, v.span, name, variables, diags);
                    }
                }
            }
        }
        None if !has_principal_key => {
            if matches!(
                t,
                PolicyType::Trust | PolicyType::Resource | PolicyType::Rcp
            ) {
                diags.push(
                    Diagnostic::error(
                        code::MISSING_PRINCIPAL,
                        format!("a statement of {} must have `Principal`", type_name(t)),
                        Span::at(st.span.start),
                    )
                    .with_help("name who the statement applies to, for example `\"Principal\": {\"AWS\": \"123456789012\"}`"),
                );
            }
        }
        None => {}
    }
    if t == PolicyType::Rcp && allow {
        if let Some(e) = &st.effect {
            let full_access =
                matches!(&st.principal, Some(p) if p.value == PrincipalValue::Any)
                    && st.action.as_ref().is_some_and(|a| {
                        !a.negated && a.items.items.iter().all(|i| i.value == "*")
                    })
                    && st.resource.as_ref().is_some_and(|r| {
                        !r.negated && r.items.items.iter().all(|i| i.value == "*")
                    })
                    && st.condition.is_none();
            if !full_access {
                diags.push(
                    Diagnostic::error(
                        code::RCP_STATEMENT,
                        "a resource control policy statement must have `\"Effect\": \"Deny\"`",
                        e.span,
                    )
                    .with_help("only the AWS-managed `RCPFullAWSAccess` policy allows"),
                );
            }
        }
    }
}

/// §5.2 value rules for one principal value.
fn principal_value(
    kind: PrincipalKind,
    value: &str,
    span: Span,
    element: &str,
    variables: bool,
    diags: &mut Vec<Diagnostic>,
) {
    if variables && has_variable(value) {
        diags.push(variable_not_allowed(element, span));
        return;
    }
    if value == "*" {
        return;
    }
    if value.contains(['*', '?']) {
        diags.push(
            Diagnostic::warning(
                code::PRINCIPAL_WILDCARD,
                format!("wildcard inside principal `{value}` is not supported"),
                span,
            )
            .with_help(
                "use `\"Principal\": \"*\"` with an `ArnLike` condition on `aws:PrincipalArn`",
            ),
        );
        return;
    }
    match kind {
        PrincipalKind::Aws => {
            let account = value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit());
            let unique_id = value.len() >= 16
                && value.starts_with('A')
                && value
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            let arn = {
                let f: Vec<&str> = value.splitn(4, ':').collect();
                f.first() == Some(&"arn")
                    && f.get(1).is_some_and(|p| PARTITIONS.contains(p))
                    && matches!(f.get(2), Some(&"iam") | Some(&"sts"))
                    && f.get(3).is_some_and(|rest| rest.starts_with(':'))
            };
            if !(account || unique_id || arn) {
                diags.push(
                    Diagnostic::warning(
                        code::AWS_PRINCIPAL,
                        format!("`AWS` principal `{value}` is not an account id, iam arn or unique id"),
                        span,
                    )
                    .with_help("write a 12-digit account id or an arn such as `arn:aws:iam::123456789012:role/name`"),
                );
            }
        }
        PrincipalKind::Service => {
            let ok = value.contains('.')
                && !value.starts_with('.')
                && !value.ends_with('.')
                && value.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                });
            if !ok {
                diags.push(
                    Diagnostic::warning(
                        code::SERVICE_PRINCIPAL,
                        format!(
                            "service principal `{value}` is not of the form `name.amazonaws.com`"
                        ),
                        span,
                    )
                    .with_help(
                        "service principals are lowercase host names such as `ec2.amazonaws.com`",
                    ),
                );
            }
        }
        PrincipalKind::Federated | PrincipalKind::CanonicalUser => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(r: &str) -> Option<String> {
        match resource_format(r, &Scan::new(r)) {
            ResourceFormat::Ok => None,
            ResourceFormat::Error(_, _, aws) => Some(aws),
        }
    }

    #[test]
    fn resource_without_colon_is_not_arn() {
        assert_eq!(
            aws("invalid resource").as_deref(),
            Some("Resource invalid resource must be in ARN format or \"*\".")
        );
        assert_eq!(
            aws("").as_deref(),
            Some("Resource  must be in ARN format or \"*\".")
        );
    }

    #[test]
    fn bad_partition_message_fills_missing_fields_with_stars() {
        assert_eq!(
            aws("a:bsdfdsafsad").as_deref(),
            Some(
                "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\"."
            )
        );
        assert_eq!(
            aws("a:b:cadfsdf").as_deref(),
            Some("Partition \"b\" is not valid for resource \"arn:b:cadfsdf:*:*:*\".")
        );
        assert_eq!(
            aws("a:b:c:d:e:f:g:h").as_deref(),
            Some("Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\".")
        );
        assert_eq!(
            aws("aws:s3:::example_bucket").as_deref(),
            Some("Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\".")
        );
        assert_eq!(
            aws("arn:error:s3:::example_bucket").as_deref(),
            Some(
                "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\"."
            )
        );
    }

    #[test]
    fn region_in_iam_and_s3_arns_is_rejected_with_service_specific_text() {
        assert_eq!(
            aws("arn:aws:iam:us-east-1::x").as_deref(),
            Some("IAM resource arn:aws:iam:us-east-1::x cannot contain region information.")
        );
        assert_eq!(
            aws("arn:aws:s3:us-east-1::b").as_deref(),
            Some("Resource arn:aws:s3:us-east-1::b can not contain region information.")
        );
        assert_eq!(aws("arn:aws:ec2:us-east-1::b"), None);
    }

    #[test]
    fn arn_aws_alone_lacks_vendor_and_iam_paths_are_checked() {
        assert_eq!(aws("arn:aws").as_deref(), Some(AWS_RESOURCE_VENDOR));
        assert!(aws("arn:aws:iam:::example")
            .is_some_and(|m| m.starts_with("IAM resource path must either be \"*\"")));
        assert_eq!(aws("arn:aws:iam:::user/x"), None);
        assert_eq!(aws("arn:aws:iam::*:role/${aws:username}"), None);
    }

    #[test]
    fn s3_access_points_with_region_and_wildcard_partitions_are_accepted() {
        assert_eq!(aws("arn:aws:s3:*:*:accesspoint/ap*"), None);
        assert_eq!(aws("arn:aws:s3:us-east-1:123456789012:job/*"), None);
        assert_eq!(aws("arn:*:kms:*:::*"), None);
        assert_eq!(aws("arn:${aws:partition}:s3:::b"), None);
        assert_eq!(aws("arn:aws:iam::*:root"), None);
        assert!(aws("arn:aws:s3:*").is_some());
    }

    #[test]
    fn scan_finds_colons_and_special_bytes_at_every_offset() {
        let alphabet = [b'a', b':', b'$', b'*', b'?', 0xC3];
        for len in 0usize..19 {
            for seed in 0u64..200 {
                let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ len as u64;
                let text: String = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        match alphabet[(state % 6) as usize] {
                            0xC3 => 'é',
                            b => char::from(b),
                        }
                    })
                    .collect();
                let scan = Scan::new(&text);
                let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i).collect();
                assert_eq!(scan.colons, colons.len(), "{text}");
                for k in 0..6 {
                    let expected = if k < 5 { colons.get(k).copied() } else { None };
                    assert_eq!(scan.colon(k), expected, "{text} colon {k}");
                }
                assert_eq!(scan.double_colon, text.contains("::"), "{text}");
                assert_eq!(scan.dollar, text.contains('$'), "{text}");
                assert_eq!(scan.wildcard, text.contains(['*', '?']), "{text}");
                let first = colons.first().copied().unwrap_or(text.len());
                let action = (colons.len().min(2), first, text.contains('$'));
                assert_eq!(action_scan(&text), action, "{text}");
            }
        }
    }

    #[test]
    fn action_formats_are_checked_in_one_pass() {
        let codes = |action: &str| {
            let text = format!(
                r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow",
                "Action": "{action}", "Resource": "*"}}}}"#
            );
            let c = crate::check_policy(&text, &crate::ParseOptions::default());
            c.diagnostics
                .iter()
                .map(|d| d.code())
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(codes("s3:GetObject"), "");
        assert_eq!(codes("*"), "");
        assert_eq!(codes("*:Get*"), "");
        assert_eq!(codes("s3-x.y:Get"), "");
        assert_eq!(codes("invalid"), "IAM050");
        assert_eq!(codes("a:b:c"), "IAM051");
        assert_eq!(codes("s_3:Get"), "IAM052");
        assert_eq!(codes("s*:Get"), "IAM052");
        assert_eq!(codes("sé:Get"), "IAM052");
        assert_eq!(codes("s3:${aws:username}"), "IAM051,IAM060");
        assert_eq!(codes("s3:Get$"), "");
    }

    fn legacy(r: &str) -> bool {
        resource_legacy_fails(r, &Scan::new(r))
    }

    #[test]
    fn one_pass_resource_checks_agree_with_splitting() {
        let parts = [
            "",
            ":",
            "::",
            "arn",
            "aws",
            "aws-cn",
            "*",
            "a*",
            "${aws:partition}",
            "s3",
            "iam",
            "ec2",
            "us-east-1",
            "123456789012",
            "user/x",
            "root",
            "b/*",
            "x:y",
            "${a:b}",
            "?",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for sep in [":", "::", ":::", "/"] {
                        let r = format!("{a}{sep}{b}:{c}");
                        let scanned = resource_format(&r, &Scan::new(&r));
                        assert_eq!(scanned, resource_format_by_split(&r), "{r}");
                        assert_eq!(legacy(&r), resource_legacy_fails_by_split(&r), "{r}");
                        checked += 1;
                    }
                }
            }
        }
        for r in [
            "*",
            "arn:aws:s3:::b",
            "arn:aws:s3:us-east-1::b",
            "arn:aws:s3:*:*:accesspoint/ap*",
            "arn:aws:s3:r:1:",
            "arn:aws:iam:::",
            "arn:aws:iam::1:role/r",
            "arn:aws:iam::1",
            "arn:aws:iam::1:",
            "arn:aws:logs:r:1:log-group:g:log-stream:x",
            "arn:aws::::b",
            "arn:aws:s3::b",
            "arn:aws:",
            "arn:aws:s3",
            "arn:aws:s3:",
            "arn:aws:s3::",
            "a:b:c:d:e:f:g:h",
        ] {
            let scanned = resource_format(r, &Scan::new(r));
            assert_eq!(scanned, resource_format_by_split(r), "{r}");
            assert_eq!(legacy(r), resource_legacy_fails_by_split(r), "{r}");
            checked += 1;
        }
        assert!(checked > 30_000);
    }

    #[test]
    fn short_arns_fail_legacy_parsing_only_when_a_field_is_empty() {
        assert!(legacy("arn:aws:s3::b"));
        assert!(legacy("arn:aws::fdsasf"));
        assert!(legacy("arn:aws::::b"));
        assert!(!legacy("arn:aws:fdsasf"));
        assert!(!legacy("arn:aws:rds:region:*:*"));
        assert!(!legacy("arn:aws:s3:::b"));
        for ok in [
            "arn:aws:fdsasf",
            "arn:aws:s33:::b",
            "arn:aws:invalid-service:::b",
        ] {
            assert_eq!(aws(ok), None, "{ok}");
        }
    }

    #[test]
    fn disallowed_characters_are_found_at_the_latin1_boundary() {
        let found = |text: &str| {
            let mut diags = Vec::new();
            characters(text, &mut diags);
            diags
                .first()
                .map(|d| (d.span().start, d.message().to_string()))
        };
        assert_eq!(found("a\tb\r\n\u{80}\u{ff} ~\u{7f}"), None);
        let pad = "x".repeat(70);
        let (at, msg) = found(&format!("{pad}\u{100}")).unwrap();
        assert_eq!(at, 70);
        assert!(msg.contains("U+0100"), "{msg}");
        assert_eq!(found("\u{ff}\u{1}").map(|f| f.0), Some(2));
        // the controls next to the allowed tab, line feed and carriage return
        for c in ['\u{8}', '\u{b}', '\u{c}', '\u{e}', '\u{5}'] {
            assert_eq!(found(&format!("ab{c}")).map(|f| f.0), Some(2), "{c:?}");
        }
        assert_eq!(found("é😀").map(|f| f.0), Some(2));
    }

    #[test]
    fn arn_fields_keep_colons_of_the_resource_part_and_variables() {
        assert_eq!(
            arn_fields("arn:aws:logs:r:1:log-group:g:log-stream:x"),
            vec!["arn", "aws", "logs", "r", "1", "log-group:g:log-stream:x"]
        );
        assert_eq!(
            arn_fields("arn:aws:s3:::${aws:username}/x"),
            vec!["arn", "aws", "s3", "", "", "${aws:username}/x"]
        );
    }

    fn scans(text: &str) -> Vec<VarScan> {
        scan_variables(text).collect()
    }

    #[test]
    fn variable_scan_finds_each_syntax_problem() {
        assert_eq!(scans("${aws:username}"), vec![VarScan::Variable]);
        assert_eq!(
            scans("${aws:PrincipalTag/t, 'x y'}"),
            vec![VarScan::Variable]
        );
        assert_eq!(scans("${*}"), vec![VarScan::Escape]);
        assert_eq!(scans("${aws:x"), vec![VarScan::Unclosed]);
        assert_eq!(scans("${}"), vec![VarScan::Empty]);
        assert_eq!(scans("${aws: x}"), vec![VarScan::SpaceInName]);
        assert_eq!(scans("${aws:x, 'd}"), vec![VarScan::MissingQuote]);
        assert!(scans("$5 {x}").is_empty());
        assert_eq!(
            scans("${a}${}${b"),
            vec![VarScan::Variable, VarScan::Empty, VarScan::Unclosed]
        );
    }
}
