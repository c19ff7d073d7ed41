//! `iamctl explain [CODE]`: print the documentation of a diagnostic code.
//!
//! Input: a code such as `IAM016` (or its name, `effect-case`), or nothing. Output: the
//! code's name, summary and explanation on stdout (exit 0), the list of every code when
//! none is given, or an error on stderr for an unknown code (exit 2). Reads no files.

use std::process::ExitCode;

use iam_policy::diag;

use crate::output::{error_line, Stdout};

/// Arguments of `iamctl explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// The code (`IAM016`) or its name (`effect-case`); omit it to list every code.
    code: Option<String>,
}

/// Run `iamctl explain`.
pub(crate) fn run(args: &ExplainArgs) -> ExitCode {
    let text = match &args.code {
        None => diag::codes()
            .iter()
            .map(|i| format!("{}  {:<24} {}\n", i.code, i.name, i.summary))
            .collect::<String>(),
        Some(code) => match diag::describe(code) {
            Some(i) => format!(
                "{} {}\n\n{}\n\n{}\n",
                i.code, i.name, i.summary, i.explanation
            ),
            None => {
                error_line(&format!(
                    "error: unknown diagnostic code `{code}` (run `iamctl explain` to list them)"
                ));
                return ExitCode::from(2);
            }
        },
    };
    let mut out = Stdout::lock();
    match out.write(&text).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error_line(&format!("error: cannot write to stdout: {e}"));
            ExitCode::from(2)
        }
    }
}
