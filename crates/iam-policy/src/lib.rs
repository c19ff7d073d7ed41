//! `iam-policy`: an AWS-IAM-compatible policy engine.
//!
//! Pipeline: [`json`] (spanned reader) → [`parse`](mod@parse) → [`ast`] → validation →
//! compile → evaluate. This crate does no I/O, reads no clock and never prints.

pub mod arn;
pub mod ast;
mod check;
pub mod condition;
pub mod context;
pub mod diag;
#[doc(hidden)]
pub mod fuzzing;
pub mod json;
pub mod parse;
pub mod pattern;
mod render;
mod source;
mod validate;
pub mod vars;

pub use check::{
    aws_error, check_policy, check_policy_bytes, parse_policy, Checked, ParseErrors, ParseOptions,
};
pub use diag::{Diagnostic, Severity};
pub use parse::{PolicyType, UnknownPolicyType};
pub use render::render_policy;
pub use source::{LineCol, LineIndex, Source, Span};
