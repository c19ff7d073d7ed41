//! `iam-policy`: an AWS-IAM-compatible policy engine.
//!
//! Pipeline: [`json`] (spanned reader) → [`parse`](mod@parse) → [`ast`] → validation →
//! compile → evaluate. This crate does no I/O, reads no clock and never prints.

pub mod arn;
pub mod ast;
pub mod cases;
mod check;
pub mod compile;
pub mod condition;
pub mod context;
pub mod diag;
pub mod eval;
#[doc(hidden)]
pub mod fuzzing;
pub mod json;
pub mod layers;
pub mod manual;
pub mod parse;
pub mod pattern;
pub mod principal;
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

pub use compile::{CompileErrors, CompileOptions, PolicySet};
pub use eval::{Decision, Evaluation, Explanation, Request, RequestBuilder};
pub use layers::{EffectivePermissions, Layers};
