//! `iam-policy`: an AWS-IAM-compatible policy engine.
//!
//! Pipeline: [`json`] (spanned reader) → [`parse`](mod@parse) → [`ast`] → validation →
//! compile → evaluate. This crate does no I/O, reads no clock and never prints.

pub mod arn;
pub mod ast;
pub mod condition;
pub mod context;
pub mod diag;
#[doc(hidden)]
pub mod fuzzing;
pub mod json;
pub mod parse;
pub mod pattern;
mod source;
pub mod vars;

pub use diag::{Diagnostic, Severity};
pub use parse::{PolicyType, UnknownPolicyType};
pub use source::{LineCol, LineIndex, Source, Span};
