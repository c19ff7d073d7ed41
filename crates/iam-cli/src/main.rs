//! `iamctl`: lint IAM policies, decide requests, explain diagnostic codes and serve STS.
//!
//! Stage: command line. Input: arguments, files and stdin. Output: text on stdout and
//! stderr, and the exit code. This file only parses the command line and dispatches to
//! one module per subcommand; it never does a subcommand's work itself.

mod can;
mod explain;
mod lint;
mod output;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: the server and the batch decider allocate many
/// small short-lived buffers on several threads, where glibc malloc spends about a tenth of
/// the server's CPU (measured with `perf` under `loadgen`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Lint AWS IAM policies, decide requests and explain what iamctl reports.
#[derive(Debug, Parser)]
#[command(name = "iamctl", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check policy documents and report every problem found.
    Lint(lint::LintArgs),
    /// Print the documentation of a diagnostic code (or list every code).
    Explain(explain::ExplainArgs),
    /// Decide whether a principal may perform an action (or check a case file).
    Can(Box<can::CanArgs>),
    /// Run the STS endpoint (a demo directory unless `--config` is given).
    Serve(Box<serve::ServeArgs>),
    /// Mint tokens for the demo directory of `iamctl serve`.
    Token(serve::TokenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lint(args) => lint::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Can(args) => can::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Token(args) => serve::run_token(&args),
    }
}
