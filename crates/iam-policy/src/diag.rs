//! Diagnostics: what the parser, validator and linter report, and their renderers.
//!
//! Input: a code, severity, message and [`Span`]. Output: text for humans (rustc/ruff
//! style, [`render_human`]), a concise one-line form ([`render_concise`]), JSON
//! ([`render_json_value`]), SARIF 2.1.0 ([`render_sarif`]) and GitHub Actions workflow
//! commands ([`render_github`]); plus the documentation of every code ([`describe`]).
//! Line:col is computed only when rendering: 1-based, columns count characters.
//! Messages are lowercase with no final period; user values go in backticks.
//!
//! Renderers never panic: spans past the end of the text or inside a character are
//! clamped. Their output is sorted by (offset, code) and never depends on hash order.
//! This module does no I/O: it returns strings and JSON values, the caller prints them.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::source::{LineCol, LineIndex, Source, Span};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// A style or improvement hint.
    Info,
    /// AWS accepts the policy but something is likely wrong or dangerous.
    Warning,
    /// AWS rejects the policy (or the tool cannot read it).
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about a policy document.
///
/// ```
/// use iam_policy::{Diagnostic, Severity, Span};
/// let d = Diagnostic::error("IAM001", "invalid json", Span::new(0, 1));
/// assert_eq!(d.severity(), Severity::Error);
/// assert_eq!(d.code(), "IAM001");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    code: &'static str,
    severity: Severity,
    message: String,
    span: Span,
    label: Option<String>,
    help: Option<String>,
    aws_message: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `severity`.
    pub fn new(
        code: &'static str,
        severity: Severity,
        message: impl Into<String>,
        span: Span,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            span,
            label: None,
            help: None,
            aws_message: None,
        }
    }

    /// An error.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, message, span)
    }

    /// A warning.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(code, Severity::Warning, message, span)
    }

    /// Add a label shown under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Add a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Record the message AWS IAM returns for this problem (`MalformedPolicyDocument`
    /// text), where it is known.
    pub fn with_aws_message(mut self, text: impl Into<String>) -> Diagnostic {
        self.aws_message = Some(text.into());
        self
    }

    /// The code, `IAM` plus three digits.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The severity.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the problem is.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The label under the caret, if any.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// The help line, if any.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The message AWS returns for this problem, if known.
    pub fn aws_message(&self) -> Option<&str> {
        self.aws_message.as_deref()
    }
}

// ---------------------------------------------------------------------------------------
// Renderers
// ---------------------------------------------------------------------------------------

/// Columns a tab occupies in the human output (source line and caret line alike).
const TAB_WIDTH: usize = 4;
/// Longest source line (in characters) shown whole; longer lines are cut around the span.
const MAX_LINE_CHARS: usize = 120;
/// Characters kept left of the span when a long line is cut.
const LEFT_CONTEXT: usize = 40;

/// The diagnostics in output order: by start offset, then code, then end offset, then
/// message, so that equal input always renders identically.
///
/// ```
/// use iam_policy::{diag, Diagnostic, Span};
/// let d = [
///     Diagnostic::error("IAM013", "b", Span::new(9, 10)),
///     Diagnostic::error("IAM011", "a", Span::new(2, 3)),
/// ];
/// let order: Vec<&str> = diag::sorted(&d).iter().map(|d| d.code()).collect();
/// assert_eq!(order, ["IAM011", "IAM013"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sorted(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    let mut out: Vec<&Diagnostic> = diags.iter().collect();
    out.sort_by(|a, b| {
        (a.span.start, a.code, a.span.end, &a.message, a.severity).cmp(&(
            b.span.start,
            b.code,
            b.span.end,
            &b.message,
            b.severity,
        ))
    });
    out
}

/// Where a diagnostic sits in its source, with offsets clamped to the text.
struct Located {
    start: usize,
    end: usize,
    start_lc: LineCol,
    end_lc: LineCol,
}

/// The largest character boundary of `text` at or below `offset`.
fn clamp_offset(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while o > 0 && !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

fn locate(span: Span, text: &str, index: &LineIndex) -> Located {
    let start = clamp_offset(text, span.start);
    let end = clamp_offset(text, span.end).max(start);
    Located {
        start,
        end,
        start_lc: index.line_col(text, start),
        end_lc: index.line_col(text, end),
    }
}

/// Replace control characters (newlines included) by their escaped form so that a
/// message always stays on one line and cannot drive the terminal.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// How one source character is shown in the human output, and its width in columns.
fn shown(c: char, out: &mut String) -> usize {
    if c == '\t' {
        out.extend(std::iter::repeat_n(' ', TAB_WIDTH));
        TAB_WIDTH
    } else if c.is_control() {
        out.push('\u{fffd}');
        1
    } else {
        out.push(c);
        1
    }
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, sev: Severity) -> &'static str {
        match sev {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        }
    }
}

const GUTTER: &str = "1;34";

/// Render diagnostics for people, in the rustc/ruff style: a header
/// `error[CODE]: message`, the location ` --> file:line:col`, the source line with
/// carets under the span and the label after them, then `= help: …` and
/// `= note: AWS: …` when present. A span over several lines is underlined from its start
/// to the end of its first line. Tabs are shown as four spaces in both the source line
/// and the caret line; other control characters as `�`. Lines longer than 120 characters
/// are cut around the span and marked with `...`. Each diagnostic is followed by an
/// empty line; `color` adds ANSI colors.
///
/// ```
/// use iam_policy::{diag, Diagnostic, Source, Span};
/// let src = Source::new("p.json", "{\n  \"Effect\": \"allow\"\n}");
/// let d = Diagnostic::error("IAM016", "bad effect", Span::new(14, 21)).with_label("here");
/// let text = diag::render_human(&[d], &src, false);
/// assert!(text.starts_with("error[IAM016]: bad effect\n  --> p.json:2:13\n"));
/// assert!(text.contains("\n   |             ^^^^^^^ here\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_human(diags: &[Diagnostic], source: &Source, color: bool) -> String {
    let style = Style { on: color };
    let text = source.text();
    let index = LineIndex::new(text);
    let mut out = String::new();
    for d in sorted(diags) {
        human_one(&mut out, d, source, &index, &style);
    }
    out
}

fn human_one(out: &mut String, d: &Diagnostic, source: &Source, index: &LineIndex, style: &Style) {
    let text = source.text();
    let loc = locate(d.span, text, index);
    let sev = style.severity(d.severity);
    let line_no = loc.start_lc.line;
    let width = line_no.to_string().len();
    let pad = " ".repeat(width + 1);
    let bar = style.paint(GUTTER, "|");

    let head = style.paint(sev, &format!("{}[{}]", d.severity.as_str(), d.code));
    let msg = one_line(&d.message);
    let _ = writeln!(out, "{head}{}", style.paint("1", &format!(": {msg}")));
    let _ = writeln!(
        out,
        "{pad}{} {}:{}",
        style.paint(GUTTER, "-->"),
        one_line(source.name()),
        loc.start_lc
    );
    let _ = writeln!(out, "{pad} {bar}");

    // The first line of the span, as characters, and the span's char range on it.
    let line = index.line_span(text, line_no);
    let line_text = line.slice(text).unwrap_or("");
    let chars: Vec<char> = line_text.chars().collect();
    let before = text
        .get(line.start..loc.start.clamp(line.start, line.end))
        .map_or(0, |s| s.chars().count());
    let inside = text
        .get(loc.start.clamp(line.start, line.end)..loc.end.clamp(line.start, line.end))
        .map_or(0, |s| s.chars().count());
    let first = before;
    let last = before + inside;

    // Window of characters to show.
    let (lo, hi) = if chars.len() > MAX_LINE_CHARS {
        let lo = first.saturating_sub(LEFT_CONTEXT);
        (lo, (lo + MAX_LINE_CHARS).min(chars.len()))
    } else {
        (0, chars.len())
    };
    let mut shown_line = String::new();
    let mut caret_pad = 0;
    let mut caret_len = 0;
    if lo > 0 {
        shown_line.push_str("...");
        caret_pad += 3;
    }
    for (i, &c) in chars.iter().enumerate().take(hi).skip(lo) {
        let w = shown(c, &mut shown_line);
        if i < first {
            caret_pad += w;
        } else if i < last {
            caret_len += w;
        }
    }
    if hi < chars.len() {
        shown_line.push_str("...");
    }
    let caret_len = caret_len.max(1);

    let number = style.paint(GUTTER, &format!(" {line_no:>width$} |"));
    if shown_line.is_empty() {
        let _ = writeln!(out, "{number}");
    } else {
        let _ = writeln!(out, "{number} {shown_line}");
    }
    let carets = style.paint(sev, &"^".repeat(caret_len));
    let label = d
        .label
        .as_deref()
        .map(|l| format!(" {}", style.paint(sev, &one_line(l))))
        .unwrap_or_default();
    let _ = writeln!(out, "{pad} {bar} {}{carets}{label}", " ".repeat(caret_pad));
    if let Some(help) = &d.help {
        let _ = writeln!(
            out,
            "{pad} {} {}",
            style.paint(GUTTER, "="),
            style.paint("1", &format!("help: {}", one_line(help)))
        );
    }
    if let Some(aws) = &d.aws_message {
        let _ = writeln!(
            out,
            "{pad} {} {}",
            style.paint(GUTTER, "="),
            style.paint("1", &format!("note: AWS: {}", one_line(aws)))
        );
    }
    out.push('\n');
}

/// Render one line per diagnostic: `file:line:col: CODE message`.
///
/// ```
/// use iam_policy::{diag, Diagnostic, Source, Span};
/// let src = Source::new("p.json", "{\n  \"Effect\": \"allow\"\n}");
/// let d = Diagnostic::error("IAM016", "bad effect", Span::new(14, 21));
/// assert_eq!(diag::render_concise(&[d], &src), "p.json:2:13: IAM016 bad effect\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_concise(diags: &[Diagnostic], source: &Source) -> String {
    let text = source.text();
    let index = LineIndex::new(text);
    let mut out = String::new();
    for d in sorted(diags) {
        let loc = locate(d.span, text, &index);
        let _ = writeln!(
            out,
            "{}:{}: {} {}",
            one_line(source.name()),
            loc.start_lc,
            d.code,
            one_line(&d.message)
        );
    }
    out
}

fn position(lc: LineCol, offset: usize) -> Value {
    json!({ "line": lc.line, "col": lc.col, "offset": offset })
}

/// Render diagnostics as a JSON array, one object per diagnostic:
/// `{"file", "code", "severity", "message", "start": {"line", "col", "offset"},
/// "end": {…}, "label", "help", "aws_message"}`. `offset` is in bytes, `col` in
/// characters (both positions 1-based lines and columns); `end` is exclusive; absent
/// `label`, `help` and `aws_message` are `null`.
///
/// ```
/// use iam_policy::{diag, Diagnostic, Source, Span};
/// let src = Source::new("p.json", "[]");
/// let d = Diagnostic::error("IAM010", "not an object", Span::new(0, 2));
/// let v = diag::render_json_value(&[d], &src);
/// assert_eq!(v[0]["code"], "IAM010");
/// assert_eq!(v[0]["end"]["col"], 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_json_value(diags: &[Diagnostic], source: &Source) -> Value {
    let text = source.text();
    let index = LineIndex::new(text);
    let items = sorted(diags)
        .into_iter()
        .map(|d| {
            let loc = locate(d.span, text, &index);
            json!({
                "file": source.name(),
                "code": d.code,
                "severity": d.severity.as_str(),
                "message": d.message,
                "start": position(loc.start_lc, loc.start),
                "end": position(loc.end_lc, loc.end),
                "label": d.label,
                "help": d.help,
                "aws_message": d.aws_message,
            })
        })
        .collect();
    Value::Array(items)
}

/// Escape workflow-command data (the message).
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow-command property value (file, title).
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Render GitHub Actions workflow commands, one per diagnostic:
/// `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=CODE::message`
/// (`::warning` for warnings, `::notice` for info). `endColumn` is exclusive. Values are
/// escaped as the workflow-command syntax requires.
///
/// ```
/// use iam_policy::{diag, Diagnostic, Source, Span};
/// let src = Source::new("p.json", "[]");
/// let d = Diagnostic::error("IAM010", "not an object", Span::new(0, 2));
/// assert_eq!(
///     diag::render_github(&[d], &src),
///     "::error file=p.json,line=1,col=1,endLine=1,endColumn=3,title=IAM010::not an object\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_github(diags: &[Diagnostic], source: &Source) -> String {
    let text = source.text();
    let index = LineIndex::new(text);
    let mut out = String::new();
    for d in sorted(diags) {
        let loc = locate(d.span, text, &index);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            github_property(source.name()),
            loc.start_lc.line,
            loc.start_lc.col,
            loc.end_lc.line,
            loc.end_lc.col,
            github_property(d.code),
            github_data(&d.message)
        );
    }
    out
}

/// A relative URI reference for a file name: `\` becomes `/` and every byte outside
/// the unreserved set and `/` is percent-encoded.
fn file_uri(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'\\' => out.push('/'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Render a SARIF 2.1.0 log: one run of the tool `iamctl`, a rule for each code that
/// occurs (sorted by code, with its name and summary from [`describe`]), and one result
/// per diagnostic with a physical location (file URI, 1-based lines and character
/// columns, `endColumn` exclusive, byte offset and length). Files appear in the order
/// given; diagnostics within a file are sorted.
///
/// ```
/// use iam_policy::{diag, Diagnostic, Source, Span};
/// let src = Source::new("p.json", "[]");
/// let d = Diagnostic::error("IAM010", "not an object", Span::new(0, 2));
/// let log = diag::render_sarif(&[(src, vec![d])]);
/// assert_eq!(log["version"], "2.1.0");
/// assert_eq!(log["runs"][0]["tool"]["driver"]["rules"][0]["id"], "IAM010");
/// assert_eq!(log["runs"][0]["results"][0]["ruleIndex"], 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_sarif(files: &[(Source, Vec<Diagnostic>)]) -> Value {
    let mut codes: Vec<&'static str> = files
        .iter()
        .flat_map(|(_, ds)| ds.iter().map(|d| d.code))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|&code| match describe(code) {
            Some(info) => json!({
                "id": code,
                "name": info.name,
                "shortDescription": { "text": info.summary },
                "fullDescription": { "text": info.explanation },
            }),
            None => json!({ "id": code }),
        })
        .collect();
    let mut results = Vec::new();
    for (source, diags) in files {
        let text = source.text();
        let index = LineIndex::new(text);
        for d in sorted(diags) {
            let loc = locate(d.span, text, &index);
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            results.push(json!({
                "ruleId": d.code,
                "ruleIndex": codes.binary_search(&d.code).ok(),
                "level": level,
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file_uri(source.name()) },
                        "region": {
                            "startLine": loc.start_lc.line,
                            "startColumn": loc.start_lc.col,
                            "endLine": loc.end_lc.line,
                            "endColumn": loc.end_lc.col,
                            "byteOffset": loc.start,
                            "byteLength": loc.end - loc.start,
                        }
                    }
                }],
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "iamctl",
                "informationUri": "https://example.invalid/iamctl",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

// ---------------------------------------------------------------------------------------
// Code documentation
// ---------------------------------------------------------------------------------------

/// The documentation of one diagnostic code, as `iamctl explain CODE` prints it.
///
/// ```
/// use iam_policy::diag;
/// let info = diag::describe("IAM015").ok_or("unknown code")?;
/// assert_eq!(info.name, "bad-effect");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code, `IAM` plus three digits.
    pub code: &'static str,
    /// Its kebab-case name.
    pub name: &'static str,
    /// One line: what it reports.
    pub summary: &'static str,
    /// A paragraph: why it matters and how to fix it.
    pub explanation: &'static str,
}

const fn info(
    code: &'static str,
    name: &'static str,
    summary: &'static str,
    explanation: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        name,
        summary,
        explanation,
    }
}

/// Every documented code, sorted by code.
const CODES: &[CodeInfo] = &[
    info(
        "IAM001",
        "json-syntax",
        "the policy text is not valid json",
        "IAM reads policies as strict JSON (RFC 8259) encoded in UTF-8. Trailing commas, \
         comments, single quotes, unescaped control characters and invalid UTF-8 bytes are \
         all rejected with `MalformedPolicyDocument`. Fix the text at the location shown.",
    ),
    info(
        "IAM002",
        "json-limit",
        "the document exceeds a size, depth, string-length or member-count limit",
        "The reader refuses documents that are far larger or deeper than any policy AWS \
         accepts, so that hostile input stays cheap. Real policies are limited to a few \
         kilobytes by AWS quotas; split the policy or remove the excess nesting.",
    ),
    info(
        "IAM003",
        "duplicate-key",
        "a member name repeats within one json object",
        "Many JSON parsers silently keep the last of two equal keys, so a duplicate \
         `Action` or `Condition` can hide what the policy really says. IAM rejects such \
         documents. Merge the two members into one.",
    ),
    info(
        "IAM010",
        "not-an-object",
        "the policy document is not a json object",
        "A policy document is an object such as `{\"Version\": \"2012-10-17\", \
         \"Statement\": [...]}`; an array, string, number or null at the top level is \
         rejected.",
    ),
    info(
        "IAM011",
        "unknown-member",
        "the policy or a statement has a member iam does not know",
        "A policy may contain only `Version`, `Id` and `Statement`; a statement only \
         `Sid`, `Effect`, `Principal`, `NotPrincipal`, `Action`, `NotAction`, `Resource`, \
         `NotResource` and `Condition`. Names are case-sensitive. Remove or rename the \
         member.",
    ),
    info(
        "IAM012",
        "bad-statement",
        "`Statement` is missing, empty or not an object or array of objects",
        "Every policy needs a `Statement` that is one statement object or a non-empty \
         array of statement objects.",
    ),
    info(
        "IAM013",
        "wrong-type",
        "an element has the wrong json type",
        "Each policy element has a fixed JSON shape: `Effect` and `Sid` are strings, \
         `Action` and `Resource` are a string or an array of strings, `Condition` is an \
         object of objects. Change the value to the expected type.",
    ),
    info(
        "IAM014",
        "missing-effect",
        "a statement has no `Effect`",
        "Every statement must say whether it allows or denies: add `\"Effect\": \"Allow\"` \
         or `\"Effect\": \"Deny\"`.",
    ),
    info(
        "IAM015",
        "bad-effect",
        "`Effect` is neither `Allow` nor `Deny`",
        "The only values of `Effect` are `Allow` and `Deny`. Anything else makes IAM \
         reject the policy.",
    ),
    info(
        "IAM016",
        "effect-case",
        "`Effect` has the right letters in the wrong case",
        "`Effect` is case-sensitive: `allow` or `DENY` are rejected by IAM with `The \
         policy failed legacy parsing`. Write `Allow` or `Deny` exactly.",
    ),
    info(
        "IAM017",
        "conflicting-elements",
        "a statement has both an element and its `Not` form",
        "A statement may have `Action` or `NotAction`, `Resource` or `NotResource`, \
         `Principal` or `NotPrincipal`, but never both of a pair. Keep one of them.",
    ),
    info(
        "IAM018",
        "bad-version",
        "`Version` is not `2012-10-17` or `2008-10-17`",
        "Only two policy language versions exist. Use `2012-10-17`: with the older \
         version (or none) policy variables such as `${aws:username}` are literal text.",
    ),
    info(
        "IAM019",
        "unknown-operator",
        "a condition uses an operator iam does not know",
        "Condition operators are names like `StringEquals`, `ArnLike` or `NumericLessThan`, \
         optionally prefixed with `ForAllValues:` or `ForAnyValue:` and suffixed with \
         `IfExists`. They are case-sensitive. Fix the spelling of the operator.",
    ),
    info(
        "IAM020",
        "bad-qualifier",
        "a set qualifier is misspelt or misused",
        "The set qualifiers are exactly `ForAllValues:` and `ForAnyValue:`, followed by an \
         operator name. Fix the prefix or remove it.",
    ),
    info(
        "IAM021",
        "bad-principal-key",
        "a principal object has a key iam does not know",
        "A principal object may contain only `AWS`, `Service`, `Federated` and \
         `CanonicalUser`. Keys are case-sensitive.",
    ),
    info(
        "IAM030",
        "managed-policy-version",
        "a managed policy does not declare `Version` `2012-10-17`",
        "IAM refuses to create a managed policy whose `Version` is missing or `2008-10-17` \
         (`Policy document must be version 2012-10-17 or greater.`). Add \
         `\"Version\": \"2012-10-17\"`.",
    ),
    info(
        "IAM031",
        "missing-version",
        "the policy has no `Version` or uses `2008-10-17`",
        "Without `\"Version\": \"2012-10-17\"` policy variables such as `${aws:username}` \
         are literal text, so statements using them silently stop matching. Declare \
         `2012-10-17`.",
    ),
    info(
        "IAM032",
        "duplicate-sid",
        "a non-empty `Sid` repeats within one policy",
        "Statement ids must be unique within a policy; IAM rejects duplicates with \
         `Statement IDs (SID) in a single policy must be unique.`. Rename one of them.",
    ),
    info(
        "IAM033",
        "missing-action",
        "a statement has no actions",
        "Every statement needs an `Action` or `NotAction` with at least one entry; IAM \
         rejects it otherwise (`Policy statement must contain actions.`).",
    ),
    info(
        "IAM034",
        "missing-resource",
        "a statement has no resources where the policy type requires them",
        "Identity-style policies need a `Resource` or `NotResource` with at least one \
         entry in every statement (`Policy statement must contain resources.`). Add the \
         ARNs the statement applies to.",
    ),
    info(
        "IAM035",
        "resource-in-trust-policy",
        "a trust policy statement has `Resource` or `NotResource`",
        "A role trust policy governs who may assume the role; the role itself is the \
         resource, so IAM rejects `Resource` there (`Has prohibited field Resource`). \
         Remove it.",
    ),
    info(
        "IAM036",
        "principal-not-allowed",
        "a statement names a principal where the policy type forbids it",
        "Identity policies, permissions boundaries, session policies and SCPs apply to \
         the identity they are attached to and must not contain `Principal` or \
         `NotPrincipal`. Remove the element or lint the file with the right `--type`.",
    ),
    info(
        "IAM037",
        "missing-principal",
        "a statement has no principal where the policy type requires one",
        "Resource-based and trust policies must say whom they apply to with `Principal` \
         (or `NotPrincipal`). Add the principal.",
    ),
    info(
        "IAM038",
        "not-principal-with-allow",
        "`NotPrincipal` is used with `\"Effect\": \"Allow\"`",
        "`NotPrincipal` with `Allow` grants access to every principal except those listed, \
         anonymous users included, and AWS rejects it. Use `Principal` with `Allow`, or \
         `NotPrincipal` only with `Deny`.",
    ),
    info(
        "IAM039",
        "top-level-conditions",
        "the policy has a top-level `Conditions` member",
        "A `Conditions` member beside `Statement` is tolerated but has no effect: \
         conditions only apply inside a statement's `Condition` block. Move it there.",
    ),
    info(
        "IAM040",
        "invalid-date-value",
        "a date condition value is not a valid date",
        "Date operators compare against ISO 8601 dates (`2025-01-31T12:00:00Z`) or epoch \
         seconds. IAM rejects other values with `The policy failed legacy parsing`.",
    ),
    info(
        "IAM041",
        "invalid-number-value",
        "a numeric condition value is not a number",
        "Numeric operators compare against integers or decimals written as strings or \
         JSON numbers. A value that is not a number can never match.",
    ),
    info(
        "IAM042",
        "invalid-ip-value",
        "an ip address condition value is not an address or cidr block",
        "`IpAddress` and `NotIpAddress` take IPv4 or IPv6 addresses or CIDR blocks such as \
         `203.0.113.0/24`. Fix the value.",
    ),
    info(
        "IAM043",
        "invalid-boolean-value",
        "a boolean condition value is not `true` or `false`",
        "`Bool` compares against `true` or `false`. Any other value can never match.",
    ),
    info(
        "IAM044",
        "invalid-base64-value",
        "a binary condition value is not valid base64",
        "`BinaryEquals` compares against base64-encoded bytes. Encode the value as base64.",
    ),
    info(
        "IAM045",
        "invalid-condition-value",
        "a condition value does not fit its operator, or the operator is unknown",
        "Each condition operator expects values of one kind: `Arn*` operators take ARNs \
         with six colon-separated parts, `Null` takes `true` or `false`. An unknown \
         operator with a non-empty block cannot be evaluated. Fix the value or the \
         operator name.",
    ),
    info(
        "IAM050",
        "action-missing-vendor",
        "an action has no service prefix",
        "Actions are written `service:Action`, such as `s3:GetObject`; IAM rejects an \
         action without a colon (`Actions/Conditions must be prefaced by a vendor`).",
    ),
    info(
        "IAM051",
        "action-extra-colon",
        "an action has more than one colon",
        "An action has exactly one colon between the service prefix and the action name. \
         IAM rejects more (`Actions/Condition can contain only one colon.`).",
    ),
    info(
        "IAM052",
        "action-bad-vendor",
        "an action's service prefix has characters iam does not allow",
        "Service prefixes contain only letters, digits, `.` and `-`. Fix the prefix.",
    ),
    info(
        "IAM053",
        "resource-not-arn",
        "a resource is neither an arn nor `*`",
        "Resources are ARNs such as `arn:aws:s3:::bucket/*`, or `*`. IAM rejects other \
         text (`must be in ARN format or \"*\"`).",
    ),
    info(
        "IAM054",
        "resource-bad-partition",
        "a resource arn names an unknown partition",
        "The partition is the second ARN field: `aws`, `aws-cn`, `aws-us-gov` and the \
         other published partitions. Fix the partition.",
    ),
    info(
        "IAM055",
        "resource-missing-vendor",
        "a resource arn has no service",
        "An ARN must name its service after the partition (`arn:aws:s3:...`); IAM \
         rejects `arn:aws` with nothing after it.",
    ),
    info(
        "IAM056",
        "resource-region",
        "an iam or s3 resource arn names a region",
        "IAM resources and S3 buckets and objects are global: their ARNs leave the \
         region field empty (`arn:aws:iam::123456789012:role/x`). Remove the region.",
    ),
    info(
        "IAM057",
        "iam-resource-path",
        "an iam resource arn has an unknown resource type",
        "The resource part of an IAM ARN is `*`, `root` or starts with a resource type \
         such as `user/`, `role/`, `group/` or `policy/`. Fix the resource part.",
    ),
    info(
        "IAM058",
        "resource-legacy-parsing",
        "a resource arn is too short or malformed for iam to read",
        "IAM rejects some short or oddly shaped ARNs with `The policy failed legacy \
         parsing`. Write the ARN in full: `arn:partition:service:region:account:resource`.",
    ),
    info(
        "IAM059",
        "resource-wildcard-misplaced",
        "a wildcard sits in an arn's service or resource-type part",
        "Wildcards in the service or resource-type part of an ARN match far more than \
         intended or nothing at all. Put wildcards only in the resource name.",
    ),
    info(
        "IAM060",
        "variable-not-allowed",
        "a policy variable is used where iam does not substitute it",
        "Policy variables are substituted only in the resource part of ARNs and in \
         condition values; elsewhere (`Action`, `Principal`) they are literal text. \
         Remove the variable.",
    ),
    info(
        "IAM061",
        "principal-wildcard",
        "a principal value contains `*` or `?`",
        "Principals are not patterns: apart from the whole value `*`, a wildcard in a \
         principal is literal text and matches nothing. Name the principal exactly, or \
         use a condition such as `aws:PrincipalArn` with `ArnLike`.",
    ),
    info(
        "IAM062",
        "aws-principal-format",
        "an `AWS` principal is not an account id, arn or unique id",
        "`AWS` principals are 12-digit account ids, IAM ARNs or unique ids. Other text \
         is rejected or never matches. Fix the value.",
    ),
    info(
        "IAM063",
        "service-principal-format",
        "a `Service` principal is not shaped like a service name",
        "Service principals look like `lambda.amazonaws.com`. Fix the value.",
    ),
    info(
        "IAM064",
        "sid-characters",
        "a `Sid` has characters other than letters and digits",
        "In IAM policies a `Sid` may contain only `A-Z`, `a-z` and `0-9`. Remove the \
         other characters.",
    ),
    info(
        "IAM065",
        "variable-syntax",
        "a policy variable is malformed",
        "Variables are written `${name}` or `${name, 'default'}`. An unclosed brace, an \
         empty name or a stray space leaves the text literal. Fix the variable.",
    ),
    info(
        "IAM066",
        "variable-in-old-version",
        "a policy variable appears under a `Version` that keeps it literal",
        "Only `\"Version\": \"2012-10-17\"` substitutes `${...}` variables; under \
         `2008-10-17` or no version they are literal text. Declare `2012-10-17`.",
    ),
    info(
        "IAM067",
        "policy-size",
        "the document is over the size quota of its policy type",
        "AWS limits the size of each kind of policy (for example 6,144 characters for a \
         managed policy). Split the policy or remove what is not needed.",
    ),
    info(
        "IAM068",
        "disallowed-character",
        "the document contains a character iam does not accept",
        "Policy documents may contain only tab, line feed, carriage return and the \
         characters U+0020 to U+00FF. Remove or replace the character.",
    ),
    info(
        "IAM069",
        "rcp-statement",
        "a resource control policy statement allows or names a specific principal",
        "Resource control policies may only deny, and their `Principal` must be `\"*\"`. \
         Change the statement.",
    ),
];

/// The documentation of `code` (case-insensitive), or `None` for an unknown code.
///
/// ```
/// use iam_policy::diag;
/// assert_eq!(diag::describe("iam001").map(|i| i.name), Some("json-syntax"));
/// assert!(diag::describe("IAM999").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn describe(code: &str) -> Option<CodeInfo> {
    CODES
        .iter()
        .find(|i| i.code.eq_ignore_ascii_case(code) || i.name.eq_ignore_ascii_case(code))
        .copied()
}

/// Every documented code, sorted by code.
///
/// ```
/// use iam_policy::diag;
/// assert!(diag::codes().iter().any(|i| i.code == "IAM003"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn codes() -> &'static [CodeInfo] {
    CODES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Source {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Resource\": \"*\",\n      \"Action\": \"*\",\n    }\n  ]\n}\n";
        Source::new("policies/admin.json", text)
    }

    fn span_of(src: &Source, needle: &str) -> Span {
        let start = src.text().find(needle).unwrap();
        Span::new(start, start + needle.len())
    }

    #[test]
    fn human_output_matches_the_conventions_example() {
        let src = admin();
        let d = Diagnostic::error(
            "IAM101",
            "statement allows every action on every resource",
            span_of(&src, "\"Action\": \"*\""),
        )
        .with_label("`*` matches every action")
        .with_help("list only the actions this role needs");
        let expected = "error[IAM101]: statement allows every action on every resource
  --> policies/admin.json:7:7
   |
 7 |       \"Action\": \"*\",
   |       ^^^^^^^^^^^^^ `*` matches every action
   = help: list only the actions this role needs

";
        assert_eq!(render_human(&[d], &src, false), expected);
    }

    #[test]
    fn human_output_shows_the_aws_message_as_a_note() {
        let src = Source::new("p.json", "[]");
        let d = Diagnostic::error("IAM010", "policy must be a json object", Span::new(0, 2))
            .with_aws_message("Syntax errors in policy.");
        let out = render_human(&[d], &src, false);
        assert!(
            out.ends_with("   = note: AWS: Syntax errors in policy.\n\n"),
            "{out}"
        );
    }

    #[test]
    fn human_multi_line_span_is_underlined_to_the_end_of_its_first_line() {
        let src = Source::new("p.json", "{\n  \"A\": [1,\n   2]\n}");
        let d = Diagnostic::warning("IAM013", "m", span_of(&src, "[1,\n   2]"));
        let out = render_human(&[d], &src, false);
        assert!(
            out.contains(" 2 |   \"A\": [1,\n   |        ^^^\n"),
            "{out}"
        );
    }

    #[test]
    fn human_tabs_expand_the_same_in_source_and_caret_lines() {
        let src = Source::new("p.json", "{\n\t\"A\":\t\"b\"\n}");
        let d = Diagnostic::error("IAM011", "m", span_of(&src, "\t\"b\""));
        let out = render_human(&[d], &src, false);
        assert!(
            out.contains(" 2 |     \"A\":    \"b\"\n   |         ^^^^^^^\n"),
            "{out}"
        );
        // the column still counts the tab as one character
        assert!(out.contains("p.json:2:6\n"), "{out}");
    }

    #[test]
    fn human_carets_count_characters_not_bytes() {
        let src = Source::new("p.json", "{\"é\": \"ü\"}");
        let d = Diagnostic::error("IAM011", "m", span_of(&src, "\"ü\""));
        let out = render_human(&[d], &src, false);
        assert!(
            out.contains(" 1 | {\"é\": \"ü\"}\n   |       ^^^\n"),
            "{out}"
        );
        assert!(out.contains("p.json:1:7\n"), "{out}");
    }

    #[test]
    fn spans_past_the_end_or_inside_a_character_are_clamped() {
        let src = Source::new("p.json", "{\"é\"");
        let inside = Diagnostic::error("IAM001", "a", Span::new(3, 4));
        let past = Diagnostic::error("IAM001", "b", Span::new(50, 90));
        let out = render_human(&[inside.clone(), past.clone()], &src, false);
        assert!(out.contains("p.json:1:3\n"), "{out}");
        assert!(out.contains("p.json:1:5\n"), "{out}");
        assert!(out.contains("   |     ^\n"), "{out}");
        let concise = render_concise(&[inside, past.clone()], &src);
        assert_eq!(concise, "p.json:1:3: IAM001 a\np.json:1:5: IAM001 b\n");
        let v = render_json_value(&[past], &src);
        assert_eq!(v[0]["start"]["offset"], 5);
        assert_eq!(v[0]["end"]["offset"], 5);
    }

    #[test]
    fn every_span_renders_in_every_format_without_panicking() {
        let text = "{\r\n\t\"é\": [\"日本\",\r\n  \"\u{1F600}\"]\n}";
        let src = Source::new("p.json", text);
        for start in 0..text.len() + 3 {
            for end in 0..text.len() + 3 {
                let d = Diagnostic::error("IAM001", "m", Span { start, end }).with_label("l");
                let one = std::slice::from_ref(&d);
                let human = render_human(one, &src, false);
                // the caret line always holds at least one caret
                assert!(human.lines().nth(4).unwrap().contains('^'), "{human}");
                let _ = render_concise(one, &src);
                let _ = render_json_value(one, &src);
                let _ = render_github(one, &src);
                let _ = render_sarif(&[(src.clone(), vec![d])]);
            }
        }
    }

    #[test]
    fn human_output_for_an_empty_source_does_not_panic() {
        let src = Source::new("-", "");
        let d = Diagnostic::error("IAM001", "empty document", Span::new(0, 0));
        let out = render_human(&[d], &src, false);
        assert!(out.contains("  --> -:1:1\n   |\n 1 |\n   | ^\n"), "{out}");
    }

    #[test]
    fn human_long_lines_are_cut_around_the_span() {
        let text = format!("{{\"a\": \"{}\", \"Bad\": 1}}", "x".repeat(300));
        let src = Source::new("p.json", text.as_str());
        let d = Diagnostic::error("IAM011", "m", span_of(&src, "\"Bad\""));
        let out = render_human(&[d], &src, false);
        let lines: Vec<&str> = out.lines().collect();
        let shown = lines[3];
        let carets = lines[4];
        assert!(shown.starts_with(" 1 | ...x"), "{out}");
        assert!(shown.ends_with("\"Bad\": 1}"), "{out}");
        let at = shown.find("\"Bad\"").unwrap();
        assert_eq!(carets.find('^'), Some(at), "{out}");
        assert!(carets.ends_with("^^^^^"), "{out}");
    }

    #[test]
    fn human_control_characters_never_reach_the_terminal() {
        let src = Source::new("p.json", "{\"\u{1b}[2J\": 1}");
        let d = Diagnostic::error("IAM011", "unknown `\u{1b}[2J`\nline", Span::new(1, 7));
        let out = render_human(&[d], &src, false);
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(
            out.starts_with("error[IAM011]: unknown `\\u{1b}[2J`\\nline\n"),
            "{out}"
        );
    }

    #[test]
    fn human_color_is_added_only_when_asked() {
        let src = admin();
        let d = Diagnostic::warning("IAM101", "m", Span::new(0, 1));
        assert!(!render_human(std::slice::from_ref(&d), &src, false).contains('\u{1b}'));
        let colored = render_human(&[d], &src, true);
        assert!(
            colored.starts_with("\u{1b}[1;33mwarning[IAM101]\u{1b}[0m"),
            "{colored}"
        );
    }

    #[test]
    fn renderers_sort_by_offset_then_code() {
        let src = admin();
        let ds = [
            Diagnostic::error("IAM015", "c", Span::new(30, 31)),
            Diagnostic::error("IAM013", "b", Span::new(2, 3)),
            Diagnostic::error("IAM011", "a", Span::new(2, 5)),
        ];
        assert_eq!(
            render_concise(&ds, &src),
            "policies/admin.json:2:1: IAM011 a\npolicies/admin.json:2:1: IAM013 b\npolicies/admin.json:3:2: IAM015 c\n"
        );
        let codes: Vec<String> = render_json_value(&ds, &src)
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(codes, ["IAM011", "IAM013", "IAM015"]);
    }

    #[test]
    fn json_objects_carry_every_field() {
        let src = admin();
        let d = Diagnostic::warning("IAM016", "msg", span_of(&src, "\"Allow\""))
            .with_help("h")
            .with_aws_message("The policy failed legacy parsing");
        let v = render_json_value(&[d], &src);
        assert_eq!(
            v,
            json!([{
                "file": "policies/admin.json",
                "code": "IAM016",
                "severity": "warning",
                "message": "msg",
                "start": {"line": 5, "col": 17, "offset": 68},
                "end": {"line": 5, "col": 24, "offset": 75},
                "label": null,
                "help": "h",
                "aws_message": "The policy failed legacy parsing",
            }])
        );
    }

    #[test]
    fn github_commands_escape_properties_and_data() {
        let src = Source::new("dir,x/a:b.json", "{\n\"a\": 1}");
        let d = Diagnostic::new("IAM003", Severity::Info, "100% bad\nnext", Span::new(2, 5));
        assert_eq!(
            render_github(&[d], &src),
            "::notice file=dir%2Cx/a%3Ab.json,line=2,col=1,endLine=2,endColumn=4,title=IAM003::100%25 bad%0Anext\n"
        );
    }

    #[test]
    fn sarif_lists_rules_for_seen_codes_and_regions_for_results() {
        let a = admin();
        let b = Source::new("dir/with space.json", "[]");
        let log = render_sarif(&[
            (
                a.clone(),
                vec![Diagnostic::warning("IAM016", "w", span_of(&a, "\"Allow\""))
                    .with_help("fix it")],
            ),
            (
                b,
                vec![
                    Diagnostic::error("IAM010", "e", Span::new(0, 2)),
                    Diagnostic::error("IAM777", "x", Span::new(0, 1)),
                ],
            ),
        ]);
        let run = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["name"], "iamctl");
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["IAM010", "IAM016", "IAM777"]);
        assert_eq!(run["tool"]["driver"]["rules"][1]["name"], "effect-case");
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[0]["ruleId"], "IAM016");
        assert_eq!(results[0]["ruleIndex"], 1);
        assert_eq!(results[0]["level"], "warning");
        assert_eq!(results[0]["message"]["text"], "w\nhelp: fix it");
        let loc = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "policies/admin.json");
        assert_eq!(
            loc["region"],
            json!({"startLine": 5, "startColumn": 17, "endLine": 5, "endColumn": 24,
                   "byteOffset": 68, "byteLength": 7})
        );
        assert_eq!(
            results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "dir/with%20space.json"
        );
        assert_eq!(results[2]["ruleIndex"], 2);
    }

    #[test]
    fn every_grammar_code_is_documented() {
        use crate::parse::code;
        for c in [
            code::JSON_SYNTAX,
            code::JSON_LIMIT,
            code::DUPLICATE_KEY,
            code::NOT_AN_OBJECT,
            code::UNKNOWN_MEMBER,
            code::BAD_STATEMENT,
            code::WRONG_TYPE,
            code::MISSING_EFFECT,
            code::BAD_EFFECT,
            code::EFFECT_CASE,
            code::CONFLICTING_ELEMENTS,
            code::BAD_VERSION,
            code::UNKNOWN_OPERATOR,
            code::BAD_QUALIFIER,
            code::BAD_PRINCIPAL_KEY,
        ] {
            assert!(describe(c).is_some(), "{c} has no documentation");
        }
    }

    /// Every `"IAMnnn"` literal in the engine's non-test source (so also codes written
    /// inline, as `condition.rs` does) must have an entry in the code table.
    #[test]
    fn every_code_used_in_the_engine_is_documented() {
        fn scan(dir: &std::path::Path, missing: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    scan(&path, missing);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("diag.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap();
                let bytes = code.as_bytes();
                for (i, _) in code.match_indices("\"IAM") {
                    let Some(lit) = bytes.get(i + 1..i + 8) else {
                        continue;
                    };
                    if lit[3..6].iter().all(u8::is_ascii_digit) && lit[6] == b'"' {
                        let c = std::str::from_utf8(&lit[..6]).unwrap();
                        if describe(c).is_none() {
                            missing.push(format!("{c} in {}", path.display()));
                        }
                    }
                }
            }
        }
        let mut missing = Vec::new();
        scan(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut missing,
        );
        assert!(missing.is_empty(), "undocumented codes: {missing:?}");
    }

    #[test]
    fn code_table_is_sorted_unique_and_well_formed() {
        for pair in CODES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} then {}",
                pair[0].code,
                pair[1].code
            );
        }
        for i in CODES {
            assert!(i.code.len() == 6 && i.code.starts_with("IAM"), "{}", i.code);
            assert!(
                i.code.bytes().skip(3).all(|c| c.is_ascii_digit()),
                "{}",
                i.code
            );
            assert!(
                i.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                i.name
            );
            assert!(!i.summary.ends_with('.'), "{}", i.code);
            assert_eq!(describe(i.name), Some(*i));
        }
    }
}
