//! `iamctl`: lint IAM policies and decide requests.
//!
//! Stage: command line. Input: arguments, files and stdin. Output: text on stdout and
//! stderr, and the exit code. This file only parses the command line and dispatches to
//! one module per subcommand; it never does a subcommand's work itself.

mod can;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Lint AWS IAM policies and decide requests.
#[derive(Debug, Parser)]
#[command(name = "iamctl", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide whether a principal may perform an action (or check a case file).
    Can(can::CanArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Can(args) => can::run(&args),
    }
}
