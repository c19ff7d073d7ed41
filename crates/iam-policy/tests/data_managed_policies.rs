//! Every AWS managed policy (`$IAMCTL_DATA/aws-managed-policies/managed-policies.jsonl`)
//! parses and validates as a managed identity policy with zero errors. The document
//! text is cut verbatim out of each JSON line (key order and single values kept).
//! AWS-owned policies are not bound by the customer size quota, so it is not checked.

#![expect(clippy::print_stdout, reason = "test reports are printed for review")]

use std::collections::BTreeMap;

use iam_policy::json::{self, Limits, ValueKind};
use iam_policy::{check_policy, ParseOptions, PolicyType, Severity};

#[test]
fn every_aws_managed_policy_validates_without_errors() {
    let Some(data) = std::env::var_os("IAMCTL_DATA") else {
        println!("skipped: IAMCTL_DATA not set");
        return;
    };
    let path = std::path::Path::new(&data).join("aws-managed-policies/managed-policies.jsonl");
    let lines = std::fs::read_to_string(&path).unwrap();
    let opts = ParseOptions {
        policy_type: PolicyType::Identity,
        managed: true,
        check_size: false,
        ..ParseOptions::default()
    };
    let limits = Limits {
        max_bytes: 1 << 24,
        ..Limits::default()
    };
    let mut count = 0;
    let mut warnings: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        count += 1;
        let record = json::parse(line, &limits).unwrap();
        let ValueKind::Object(members) = &record.root.kind else {
            panic!("record is not an object");
        };
        let get = |k: &str| members.iter().find(|m| m.key == k).map(|m| &m.value);
        let name = match get("name").map(|v| &v.kind) {
            Some(ValueKind::String(s)) => s.to_string(),
            _ => panic!("record without name"),
        };
        let document = get("document").unwrap();
        let text = document.span.slice(line).unwrap();
        let checked = check_policy(text, &opts);
        for d in &checked.diagnostics {
            if d.severity() == Severity::Error {
                failures.push(format!("{name}: {} {}", d.code(), d.message()));
            } else {
                *warnings.entry(d.code()).or_default() += 1;
            }
        }
    }
    println!("managed policies: {count}, warnings by code: {warnings:?}");
    assert_eq!(count, 1_594);
    assert!(
        failures.is_empty(),
        "{} errors:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
