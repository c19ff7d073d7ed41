//! `iamctl lint PATH...`: check policy documents and report what is wrong with them.
//!
//! Input: files, directories (searched recursively for `*.json`, or what `--include`
//! selects) and `-` for stdin, all read as bytes. Output: diagnostics on stdout in the
//! chosen format, a summary on stderr for the human format, and the exit code: 0 clean,
//! 1 when something at or above `--fail-on` was found (an unparseable policy always
//! counts), 2 when the tool itself failed (unreadable path, unwritable stdout). Files are
//! handled in sorted order and diagnostics sorted within each file, so the output never
//! depends on directory or hash order. Invalid UTF-8 is a diagnostic, never a failure.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use glob::{MatchOptions, Pattern};
use iam_policy::{
    check_policy_bytes, diag, Diagnostic, ParseOptions, PolicyType, Severity, Source,
};

use crate::output::{error_line, Stdout};

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// rustc-style blocks with the source line and carets.
    Human,
    /// One `file:line:col: CODE message` line per diagnostic.
    Concise,
    /// A JSON array with one object per diagnostic.
    Json,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// The least severe finding that makes `lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Only errors.
    Error,
    /// Errors and warnings.
    Warning,
    /// Every finding.
    Info,
}

impl FailOn {
    fn threshold(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

/// When the human format uses colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    /// When stdout is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `iamctl lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    /// Policy files, directories (searched recursively) or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The kind of policy: identity, resource, trust, boundary, session, scp, rcp or vpce.
    #[arg(long = "type", value_name = "TYPE", default_value = "identity")]
    policy_type: PolicyType,
    /// Check the rules of managed policies (for example, `Version` is required).
    #[arg(long)]
    managed: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit 1 when a finding at or above this severity is found.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    /// Colors in the human format.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    color: Color,
    /// In directories, lint only files whose path or name matches this glob (repeatable;
    /// replaces the default `*.json`).
    #[arg(long, value_name = "GLOB")]
    include: Vec<Pattern>,
    /// In directories, skip files and directories whose path or name matches this glob
    /// (repeatable). Files named on the command line are always linted.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<Pattern>,
}

/// One input to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Input {
    /// Standard input, shown as `-`.
    Stdin,
    /// A file.
    File(PathBuf),
}

/// Run `iamctl lint`.
pub(crate) fn run(args: &LintArgs) -> ExitCode {
    let mut failed = false;
    let inputs = collect_inputs(args, &mut failed);
    if inputs.is_empty() && !failed {
        error_line("warning: no policy files found");
    }
    let options = ParseOptions {
        policy_type: args.policy_type,
        managed: args.managed,
        ..ParseOptions::default()
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let threshold = args.fail_on.threshold();

    let mut out = Stdout::lock();
    let mut found = false;
    let mut counts = Counts::default();
    let mut json_items = Vec::new();
    let mut sarif_files = Vec::new();
    let mut checked = 0;
    for input in &inputs {
        let Some(Linted {
            source,
            diagnostics: diags,
            unparseable,
        }) = lint_input(input, &options)
        else {
            failed = true;
            continue;
        };
        checked += 1;
        counts.add(&diags);
        found |= unparseable || diags.iter().any(|d| d.severity() >= threshold);
        let text = match args.format {
            Format::Human => diag::render_human(&diags, &source, color),
            Format::Concise => diag::render_concise(&diags, &source),
            Format::Github => diag::render_github(&diags, &source),
            Format::Json => {
                if let serde_json::Value::Array(items) = diag::render_json_value(&diags, &source) {
                    json_items.extend(items);
                }
                String::new()
            }
            Format::Sarif => {
                sarif_files.push((source, diags));
                String::new()
            }
        };
        if let Err(e) = out.write(&text) {
            error_line(&format!("error: cannot write to stdout: {e}"));
            return ExitCode::from(2);
        }
    }
    let tail = match args.format {
        Format::Json => pretty(&serde_json::Value::Array(json_items)),
        Format::Sarif => pretty(&diag::render_sarif(&sarif_files)),
        Format::Human | Format::Concise | Format::Github => String::new(),
    };
    if let Err(e) = out.write(&tail).and_then(|()| out.flush()) {
        error_line(&format!("error: cannot write to stdout: {e}"));
        return ExitCode::from(2);
    }
    if args.format == Format::Human {
        error_line(&counts.summary(checked));
    }
    if failed {
        ExitCode::from(2)
    } else if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn pretty(value: &serde_json::Value) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Serializing a `Value` to a string cannot fail; print nothing rather than panic.
        Err(_) => String::new(),
    }
}

/// How many diagnostics of each severity were printed.
#[derive(Debug, Default)]
struct Counts {
    errors: usize,
    warnings: usize,
    infos: usize,
}

impl Counts {
    fn add(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            match d.severity() {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    fn summary(&self, files: usize) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut s = format!(
            "{}, {}",
            plural(self.errors, "error", "errors"),
            plural(self.warnings, "warning", "warnings")
        );
        if self.infos > 0 {
            s.push_str(&format!(", {}", plural(self.infos, "info", "infos")));
        }
        format!("{s} in {}", plural(files, "file", "files"))
    }
}

/// Every input named on the command line, directories expanded, sorted and without
/// repeats (stdin first). Paths that cannot be read are reported and set `failed`.
fn collect_inputs(args: &LintArgs, failed: &mut bool) -> Vec<Input> {
    let mut inputs = BTreeSet::new();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            inputs.insert(Input::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, args, &mut inputs, failed),
            Ok(_) => {
                inputs.insert(Input::File(path.clone()));
            }
            Err(e) => {
                error_line(&format!("error: cannot read `{}`: {e}", path.display()));
                *failed = true;
            }
        }
    }
    inputs.into_iter().collect()
}

fn matches_any(patterns: &[Pattern], path: &Path) -> bool {
    let options = MatchOptions::new();
    let name = path.file_name().map(Path::new);
    patterns.iter().any(|p| {
        p.matches_path_with(path, options) || name.is_some_and(|n| p.matches_path_with(n, options))
    })
}

fn selected(path: &Path, args: &LintArgs) -> bool {
    let included = if args.include.is_empty() {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    } else {
        matches_any(&args.include, path)
    };
    included && !matches_any(&args.exclude, path)
}

/// Add the selected files under `dir`. Symbolic links to files are followed; links to
/// directories are not, so a link cycle cannot make the walk endless.
fn walk(dir: &Path, args: &LintArgs, inputs: &mut BTreeSet<Input>, failed: &mut bool) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            error_line(&format!("error: cannot read `{}`: {e}", dir.display()));
            *failed = true;
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                error_line(&format!("error: cannot read `{}`: {e}", dir.display()));
                *failed = true;
                continue;
            }
        };
        let path = entry.path();
        // `lint .` shows `a.json`, not `./a.json`.
        let path = path
            .strip_prefix(".")
            .map_or(path.clone(), Path::to_path_buf);
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            if !matches_any(&args.exclude, &path) {
                walk(&path, args, inputs, failed);
            }
        } else if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) && selected(&path, args) {
            inputs.insert(Input::File(path));
        }
    }
}

/// One checked document.
#[derive(Debug)]
struct Linted {
    /// Its name and text (invalid UTF-8 replaced by `�`).
    source: Source,
    /// Every finding, in the engine's order (renderers sort them).
    diagnostics: Vec<Diagnostic>,
    /// True when the text is not a policy at all (not UTF-8, not JSON, not an object);
    /// this always counts as a finding, whatever `--fail-on` says.
    unparseable: bool,
}

/// Read and check one input. `None` when it cannot be read (already reported).
fn lint_input(input: &Input, options: &ParseOptions) -> Option<Linted> {
    let (name, bytes) = match input {
        Input::Stdin => {
            let mut bytes = Vec::new();
            if let Err(e) = std::io::stdin().lock().read_to_end(&mut bytes) {
                error_line(&format!("error: cannot read stdin: {e}"));
                return None;
            }
            ("-".to_string(), bytes)
        }
        Input::File(path) => match std::fs::read(path) {
            Ok(bytes) => (path.display().to_string(), bytes),
            Err(e) => {
                error_line(&format!("error: cannot read `{}`: {e}", path.display()));
                return None;
            }
        },
    };
    Some(check_bytes(name, bytes, options))
}

/// Check a document given as bytes. The engine reports text that is not UTF-8 as
/// IAM001 at the first invalid byte; for display the text is decoded with invalid bytes
/// replaced by `�`, which leaves every offset before the first invalid byte unchanged.
fn check_bytes(name: String, bytes: Vec<u8>, options: &ParseOptions) -> Linted {
    let checked = check_policy_bytes(&bytes, options);
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Linted {
        source: Source::new(name, text),
        unparseable: checked.document.is_none(),
        diagnostics: checked.diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use iam_policy::Span;

    use super::*;

    #[test]
    fn invalid_utf8_is_a_diagnostic_at_the_first_bad_byte() {
        let Linted {
            source,
            diagnostics: diags,
            unparseable,
        } = check_bytes(
            "p.json".to_string(),
            b"{\"a\": \"\xC3\x28\"}".to_vec(),
            &ParseOptions::default(),
        );
        assert!(unparseable);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code(), "IAM001");
        assert_eq!(diags[0].span().start, 7);
        assert_eq!(
            diag::render_concise(&diags, &source),
            "p.json:1:8: IAM001 invalid utf-8 at byte 7\n"
        );
        let human = diag::render_human(&diags, &source, false);
        assert!(
            human.contains(" 1 | {\"a\": \"\u{fffd}(\"}\n   |        ^\n"),
            "{human}"
        );
    }

    #[test]
    fn summary_uses_singular_and_plural() {
        let mut c = Counts::default();
        assert_eq!(c.summary(1), "0 errors, 0 warnings in 1 file");
        c.add(&[Diagnostic::error("IAM001", "x", Span::at(0))]);
        c.add(&[Diagnostic::new("IAM001", Severity::Info, "x", Span::at(0))]);
        assert_eq!(c.summary(2), "1 error, 0 warnings, 1 info in 2 files");
    }

    #[test]
    fn directories_select_json_files_unless_include_is_given() {
        let mut args = LintArgs {
            paths: Vec::new(),
            policy_type: PolicyType::Identity,
            managed: false,
            format: Format::Human,
            fail_on: FailOn::Warning,
            color: Color::Never,
            include: Vec::new(),
            exclude: Vec::new(),
        };
        assert!(selected(Path::new("a/b.json"), &args));
        assert!(selected(Path::new("a/b.JSON"), &args));
        assert!(!selected(Path::new("a/b.txt"), &args));
        args.include = vec![Pattern::new("*.policy").unwrap()];
        assert!(selected(Path::new("a/b.policy"), &args));
        assert!(!selected(Path::new("a/b.json"), &args));
        args.exclude = vec![Pattern::new("vendor").unwrap()];
        assert!(matches_any(&args.exclude, Path::new("x/vendor")));
        assert!(!matches_any(&args.exclude, Path::new("x/vendored")));
    }
}
