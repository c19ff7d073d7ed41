//! End-to-end tests of the `iamctl` binary.
//!
//! Input: the fixture policies in `tests/fixtures/`. Output: exit codes, stdout and
//! stderr compared byte for byte with `tests/golden/<case>.txt` (run with `BLESS=1` to
//! rewrite them). Commands run inside the fixtures directory so paths in the output are
//! short and machine-independent; `NO_COLOR=1` is always set.

use harness::{fixtures, golden, run};

/// Running the binary and comparing with golden files (a `cfg(test)` module, so the
/// test-only relaxations of `clippy.toml` apply).
#[cfg(test)]
mod harness {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};

    pub fn manifest_dir() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    pub fn fixtures() -> PathBuf {
        manifest_dir().join("tests").join("fixtures")
    }

    pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_iamctl"))
            .args(args)
            .current_dir(fixtures())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("iamctl starts");
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(stdin.unwrap_or_default())
            .expect("stdin accepts the input");
        drop(pipe);
        child.wait_with_output().expect("iamctl finishes")
    }

    pub fn transcript(args: &[&str], out: &Output) -> String {
        format!(
            "$ iamctl {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            out.status
                .code()
                .map_or("signal".to_string(), |c| c.to_string()),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        )
    }

    /// Run `iamctl args` and compare its exit code, stdout and stderr with the golden file
    /// `case`. Returns the output for further checks.
    pub fn golden(case: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let out = run(args, stdin);
        let actual = transcript(args, &out);
        let path = manifest_dir()
            .join("tests")
            .join("golden")
            .join(format!("{case}.txt"));
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, &actual).expect("golden file is writable");
        } else {
            let expected = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1)", path.display()));
            assert!(
                expected == actual,
                "output differs from {} (run with BLESS=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}",
                path.display()
            );
        }
        out
    }
}

#[test]
fn clean_policy_exits_0_with_a_summary_on_stderr() {
    let out = golden("clean", &["lint", "clean.json"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn human_format_shows_source_lines_and_exits_1() {
    let out = golden(
        "human",
        &[
            "lint",
            "effect-case.json",
            "trailing-comma.json",
            "clean.json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn concise_format_recurses_into_directories_in_sorted_order() {
    let out = golden("concise", &["lint", "--format", "concise", "."], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let files: Vec<&str> = stdout
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    assert!(files.contains(&"tree/nested/b.json"), "{stdout}");
    assert!(!stdout.contains("notes.txt"), "{stdout}");
}

#[test]
fn json_format_is_one_array_of_objects() {
    let out = golden("json", &["lint", "--format", "json", "."], None);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        for key in [
            "file", "code", "severity", "message", "start", "end", "help",
        ] {
            assert!(item.get(key).is_some(), "missing `{key}` in {item}");
        }
    }
}

#[test]
fn sarif_format_is_a_sarif_2_1_0_log() {
    let out = golden("sarif", &["lint", "--format", "sarif", "."], None);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["tool"]["driver"]["name"], "iamctl");
    assert!(!v["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn github_format_prints_workflow_commands() {
    let out = golden("github", &["lint", "--format", "github", "."], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    for line in stdout.lines() {
        let level = line.split(' ').next().unwrap();
        assert!(
            ["::error", "::warning", "::notice"].contains(&level),
            "{line}"
        );
        assert!(line.contains(",title=IAM"), "{line}");
    }
}

#[test]
fn empty_output_formats_still_print_valid_json_when_clean() {
    let out = run(&["lint", "--format", "json", "clean.json"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"[]\n");
    let out = run(&["lint", "--format", "sarif", "clean.json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn stdin_is_read_when_the_path_is_a_dash() {
    let text = std::fs::read(fixtures().join("effect-case.json")).unwrap();
    let out = golden("stdin", &["lint", "--format", "concise", "-"], Some(&text));
    assert_eq!(out.status.code(), Some(1));
    let clean = std::fs::read(fixtures().join("clean.json")).unwrap();
    assert_eq!(run(&["lint", "-"], Some(&clean)).status.code(), Some(0));
}

#[test]
fn invalid_utf8_is_a_located_diagnostic_not_a_failure() {
    let out = golden("invalid-utf8", &["lint", "latin1.json"], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("error[IAM001]"), "{stdout}");
    assert!(stdout.contains("latin1.json:6:34"), "{stdout}");
}

#[test]
fn unreadable_path_exits_2_naming_the_path() {
    let out = run(&["lint", "clean.json", "no/such/policy.json"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("`no/such/policy.json`"), "{stderr}");
    // the readable file is still checked, and only it is counted
    assert!(
        stderr.ends_with("0 errors, 0 warnings in 1 file\n"),
        "{stderr}"
    );
}

#[test]
fn bad_flags_exit_2() {
    assert_eq!(
        run(&["lint", "--format", "xml", "clean.json"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["lint", "--type", "nonsense", "clean.json"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["lint", "--include", "[", "."], None).status.code(),
        Some(2)
    );
    assert_eq!(run(&["lint"], None).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"], None).status.code(), Some(2));
}

#[test]
fn every_policy_type_name_is_accepted() {
    for t in [
        "identity", "resource", "trust", "boundary", "session", "scp", "rcp", "vpce",
    ] {
        let out = run(
            &[
                "lint",
                "--type",
                t,
                "--format",
                "concise",
                "trailing-comma.json",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(1), "--type {t}");
    }
}

#[test]
fn fail_on_error_still_fails_on_an_unparseable_policy() {
    let args = ["lint", "--fail-on", "error", "trailing-comma.json"];
    assert_eq!(run(&args, None).status.code(), Some(1));
    let args = ["lint", "--fail-on", "info", "clean.json"];
    assert_eq!(run(&args, None).status.code(), Some(0));
}

#[test]
fn fail_on_decides_whether_a_warning_fails_the_run() {
    let out = golden(
        "warning",
        &["lint", "--format", "concise", "no-version.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.is_empty());
    let json = run(&["lint", "--format", "json", "no-version.json"], None);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|d| d["severity"] == "warning"),
        "{v}"
    );
    let args = ["lint", "--fail-on", "error", "no-version.json"];
    assert_eq!(run(&args, None).status.code(), Some(0));
    let args = ["lint", "--fail-on", "info", "no-version.json"];
    assert_eq!(run(&args, None).status.code(), Some(1));
}

#[test]
fn include_and_exclude_select_files_in_directories() {
    let out = run(
        &["lint", "--format", "concise", "--include", "*.txt", "tree"],
        None,
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("tree/notes.txt:1:"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let out = run(&["lint", "--exclude", "nested", "tree"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "0 errors, 0 warnings in 1 file\n"
    );
}

#[test]
fn a_directory_without_policies_is_clean_but_says_so() {
    let out = run(&["lint", "--exclude", "*", "tree"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "warning: no policy files found\n0 errors, 0 warnings in 0 files\n"
    );
}

#[test]
fn color_is_off_with_no_color_and_on_when_forced() {
    let out = run(&["lint", "effect-case.json"], None);
    assert!(!out.stdout.contains(&0x1b));
    let out = run(&["lint", "--color", "always", "effect-case.json"], None);
    assert!(out.stdout.contains(&0x1b));
}

#[test]
fn explain_prints_the_documentation_of_a_code() {
    let out = golden("explain", &["explain", "IAM016"], None);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["explain", "effect-case"], None);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["explain"], None);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.lines().any(|l| l.starts_with("IAM001  json-syntax")),
        "{stdout}"
    );
}

#[test]
fn explain_of_an_unknown_code_exits_2() {
    let out = run(&["explain", "IAM999"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("`IAM999`"));
}
