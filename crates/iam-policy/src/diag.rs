//! Diagnostics: what the parser, validator and linter report, and their renderers.
//!
//! Input: a code, severity, message and [`Span`]. Output: text for humans (rustc/ruff
//! style), concise one-line form, JSON. Line:col is computed only when rendering.
//! Messages are lowercase with no final period; user values go in backticks.

use crate::source::Span;

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
