//! `iamctl can --cases FILE --check` agrees with every corpus file, and a wrong
//! expectation makes it exit 1.

use std::path::PathBuf;
use std::process::Command;

fn iamctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iamctl"))
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus/decisions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_checks_clean() {
    let files = corpus_files();
    assert!(!files.is_empty());
    for file in files {
        let out = iamctl()
            .arg("can")
            .arg("--cases")
            .arg(&file)
            .arg("--check")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&file).unwrap();
        let cases = text.lines().filter(|l| !l.trim().is_empty()).count();
        let lines = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            lines.lines().count(),
            cases,
            "{}: one output line per case",
            file.display()
        );
    }
}

#[test]
fn wrong_expectation_exits_1_and_bad_case_yields_error_line() {
    let dir = std::env::temp_dir().join(format!("iamctl-can-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("wrong.jsonl");
    let case = r#"{"id": "w1", "policies": {"identity": []}, "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}, "expect": "Allow"}"#;
    std::fs::write(&file, format!("{case}\nnot json\n{case}\n")).unwrap();
    let out = iamctl()
        .arg("can")
        .arg("--cases")
        .arg(&file)
        .arg("--check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].contains("\"ImplicitDeny\""));
    assert!(lines[1].contains("\"Error\""));
    assert!(String::from_utf8_lossy(&out.stderr).contains("w1"));
    // without --check the same file exits 0
    let out = iamctl()
        .arg("can")
        .arg("--cases")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn single_query_exit_codes_are_0_allow_1_deny_2_bad_input() {
    let dir = std::env::temp_dir().join(format!("iamctl-can-q-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("p.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    )
    .unwrap();
    let run = |action: &str| {
        iamctl()
            .args(["can", "--policy"])
            .arg(&policy)
            .args([
                "--principal",
                "arn:aws:iam::111122223333:user/alice",
                "--action",
                action,
            ])
            .args(["--resource", "arn:aws:s3:::b/k", "--json"])
            .output()
            .unwrap()
    };
    assert_eq!(run("s3:GetObject").status.code(), Some(0));
    let deny = run("s3:PutObject");
    assert_eq!(deny.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&deny.stdout).contains("ImplicitDeny"));
    assert_eq!(run("getobject").status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
