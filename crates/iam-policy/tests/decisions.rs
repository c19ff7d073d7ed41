//! Every case of `corpus/decisions/*.jsonl` gives its `expect` (and its `deciding` Sids
//! where listed) through the library; plus the iam-rs evaluation cases of the reference
//! data when `IAMCTL_DATA` is set.

use std::path::PathBuf;

use iam_policy::cases::Case;
use iam_policy::{CompileOptions, Decision, Layers, PolicySet, PolicyType, Request};

fn corpus_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus/decisions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
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
fn every_corpus_case_gives_its_expected_decision_and_deciding_sids() {
    let files = corpus_files();
    assert!(!files.is_empty(), "no corpus files found");
    let mut failures = Vec::new();
    let mut count = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            count += 1;
            let where_ = format!("{}:{}", file.file_name().unwrap().to_string_lossy(), n + 1);
            match Case::parse(line) {
                Err(e) => failures.push(format!("{where_}: error: {e}")),
                Ok(case) => {
                    assert!(
                        case.expect().is_some(),
                        "{where_}: corpus case without expect"
                    );
                    if let Some(d) = case.disagreement() {
                        failures.push(format!("{where_} {}: {d}", case.id()));
                    }
                    // explain mode must agree with evaluate
                    let ex = case.permissions().explain(case.request());
                    if ex.decision != case.evaluate().decision() {
                        failures.push(format!("{where_}: explain disagrees with evaluate"));
                    }
                }
            }
        }
    }
    assert!(count >= 147, "expected at least 147 cases, found {count}");
    assert!(
        failures.is_empty(),
        "{} of {count} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The iam-rs cases: one identity policy, a user principal, `Allow` or `NotApplicable`
/// (= implicit deny) expected.
#[test]
fn iam_rs_evaluation_cases_agree() {
    let Some(dir) = std::env::var_os("IAMCTL_DATA") else {
        eprintln!("skipped: IAMCTL_DATA not set");
        return;
    };
    let path = PathBuf::from(dir).join("real-world-policies/iam-rs-evaluation-cases.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut agree = 0;
    let mut total = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        total += 1;
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let policy = PolicySet::from_json(
            &v["policy"].to_string(),
            PolicyType::Identity,
            &CompileOptions::default(),
        )
        .unwrap();
        let perms = Layers::new().identity(policy).build().unwrap();
        let req = &v["request"];
        let mut b = Request::builder()
            .principal(req["Principal"]["AWS"].as_str().unwrap())
            .action(req["Action"].as_str().unwrap())
            .resource(req["Resource"].as_str().unwrap());
        for (k, val) in req["Context"].as_object().unwrap() {
            b = b.context_value(
                k,
                iam_policy::context::ContextValue::Single(val.as_str().unwrap().into()),
            );
        }
        let got = perms.evaluate(&b.build().unwrap()).decision();
        let want = match v["result"].as_str().unwrap() {
            "Allow" => Decision::Allow,
            "NotApplicable" => Decision::ImplicitDeny,
            other => panic!("unknown result {other}"),
        };
        assert_eq!(got, want, "{}", v["path"]);
        agree += 1;
    }
    eprintln!("iam-rs evaluation cases: {agree}/{total} agree (no deliberate disagreements)");
    assert_eq!(agree, total);
}
