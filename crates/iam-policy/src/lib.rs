//! `iam-policy`: an AWS-IAM-compatible policy engine.
//!
//! Pipeline: [`json`] (spanned reader) → [`parse`](mod@parse) → [`ast`] → validation →
//! compile → evaluate. This crate does no I/O, reads no clock and never prints.

pub mod ast;
pub mod context;
pub mod diag;
#[doc(hidden)]
pub mod fuzzing;
pub mod json;
pub mod parse;
mod source;
pub mod vars;

pub use diag::{Diagnostic, Severity};
pub use parse::{parse_policy, PolicyType};
pub use source::{LineCol, LineIndex, Source, Span};
