//! Policy corpus: `corpus/policies/valid/*.json` must have no error;
//! `corpus/policies/invalid/<case>.json` must produce exactly `<case>.expected` (concise
//! diagnostics). `BLESS=1 cargo test --test corpus` rewrites the `.expected` files.
//! The policy type comes from `<case>.type` (default identity); a `<case>.managed` file
//! marks a managed policy. See `corpus/policies/README.md`.

#![expect(clippy::print_stdout, reason = "test reports are printed for review")]
#![expect(
    clippy::unwrap_used,
    reason = "fixture files belong to the repository; a broken one must fail loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};

use iam_policy::{check_policy_bytes, LineIndex, ParseOptions, PolicyType, Severity};

fn corpus_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus/policies")
        .join(sub)
}

fn cases(sub: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(corpus_dir(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

fn options_for(case: &Path) -> ParseOptions {
    let mut opts = ParseOptions::default();
    if let Ok(t) = fs::read_to_string(case.with_extension("type")) {
        opts.policy_type = t.trim().parse::<PolicyType>().unwrap();
    }
    opts.managed = case.with_extension("managed").exists();
    opts
}

/// The concise rendering: `<file>:LINE:COL: CODE message`, one line per diagnostic.
fn concise(case: &Path, bytes: &[u8], opts: &ParseOptions) -> String {
    let name = case.file_name().unwrap().to_string_lossy();
    let checked = check_policy_bytes(bytes, opts);
    let text = String::from_utf8_lossy(bytes);
    // For invalid UTF-8 the lossy text has other offsets; positions are only used up to
    // the first bad byte, which is the same in both.
    let idx = LineIndex::new(&text);
    let mut out = String::new();
    for d in &checked.diagnostics {
        let lc = idx.line_col(&text, d.span().start.min(text.len()));
        out.push_str(&format!("{name}:{lc}: {} {}\n", d.code(), d.message()));
    }
    out
}

#[test]
fn valid_policies_have_no_errors() {
    let cases = cases("valid");
    assert!(cases.len() >= 15, "only {} valid cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let bytes = fs::read(case).unwrap();
        let opts = options_for(case);
        let checked = check_policy_bytes(&bytes, &opts);
        assert!(checked.document.is_some(), "{}", case.display());
        // warnings are allowed; show them with --nocapture
        print!("{}", concise(case, &bytes, &opts));
        if checked
            .diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
        {
            failures.push(concise(case, &bytes, &opts));
        }
    }
    assert!(
        failures.is_empty(),
        "errors in valid policies:\n{}",
        failures.concat()
    );
}

#[test]
fn invalid_policies_match_expected_diagnostics() {
    let cases = cases("invalid");
    assert!(cases.len() >= 60, "only {} invalid cases", cases.len());
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in &cases {
        let bytes = fs::read(case).unwrap();
        let opts = options_for(case);
        let got = concise(case, &bytes, &opts);
        let expected_path = case.with_extension("expected");
        if bless {
            fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}\n--- expected\n{expected}--- got\n{got}",
                case.display()
            ));
        }
        let checked = check_policy_bytes(&bytes, &opts);
        if !checked
            .diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
        {
            failures.push(format!("{}: no error reported\n", case.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} invalid cases differ (BLESS=1 to rewrite):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
