//! The 839 real-world policies of `$IAMCTL_DATA/real-world-policies/policies.jsonl`,
//! each checked as its recorded kind (`unknown` as identity): nothing panics, and a table
//! of diagnostic counts by code is printed (with a few samples per code for review).
//! The text checked is the record's verbatim `raw` when present, otherwise the `policy`
//! value cut out of the JSON line.

#![expect(clippy::print_stdout, reason = "test reports are printed for review")]

use std::collections::BTreeMap;

use iam_policy::json::{self, Limits, Value, ValueKind};
use iam_policy::{aws_error, check_policy, ParseOptions, PolicyType};

fn string<'a>(v: Option<&'a Value<'a>>) -> Option<&'a str> {
    match v.map(|v| &v.kind) {
        Some(ValueKind::String(s)) => Some(s.as_ref()),
        _ => None,
    }
}

#[test]
fn real_world_policies_check_without_panics() {
    let Some(data) = std::env::var_os("IAMCTL_DATA") else {
        println!("skipped: IAMCTL_DATA not set");
        return;
    };
    let path = std::path::Path::new(&data).join("real-world-policies/policies.jsonl");
    let lines = std::fs::read_to_string(&path).unwrap();
    let limits = Limits {
        max_bytes: 1 << 24,
        ..Limits::default()
    };
    let mut count = 0;
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut with_errors = 0;
    let mut counts: BTreeMap<(&'static str, &'static str), usize> = BTreeMap::new();
    let mut samples: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut first_errors: BTreeMap<String, usize> = BTreeMap::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        count += 1;
        let record = json::parse(line, &limits).unwrap();
        let ValueKind::Object(members) = &record.root.kind else {
            panic!("record is not an object");
        };
        let get = |k: &str| members.iter().find(|m| m.key == k).map(|m| &m.value);
        let id = string(get("id")).unwrap_or("?").to_string();
        let kind = string(get("kind")).unwrap_or("unknown");
        *by_kind.entry(kind.to_string()).or_default() += 1;
        let policy_type = match kind {
            "unknown" => PolicyType::Identity,
            k => k.parse::<PolicyType>().unwrap(),
        };
        let text: String = match string(get("raw")) {
            Some(raw) => raw.to_string(),
            None => {
                let v = get("policy").unwrap();
                v.span.slice(line).unwrap().to_string()
            }
        };
        let opts = ParseOptions {
            policy_type,
            ..ParseOptions::default()
        };
        let checked = check_policy(&text, &opts);
        if checked.has_errors() {
            with_errors += 1;
            let first = aws_error(&checked).unwrap();
            let text = first.aws_message().unwrap_or(first.code());
            *first_errors.entry(text.to_string()).or_default() += 1;
        }
        for d in &checked.diagnostics {
            let sev = d.severity().as_str();
            *counts.entry((d.code(), sev)).or_default() += 1;
            let s = samples.entry(d.code()).or_default();
            if s.len() < 4 {
                s.push(format!("{id} ({kind}): {}", d.message()));
            }
        }
    }
    println!("records by kind: {by_kind:?}");
    println!("records with at least one error: {with_errors}");
    println!("{:<8} {:<8} {:>6}", "code", "severity", "count");
    for ((code, sev), n) in &counts {
        println!("{code:<8} {sev:<8} {n:>6}");
    }
    println!("first error IAM would report (aws message or code):");
    for (text, n) in &first_errors {
        println!("{n:>6}  {text}");
    }
    for (code, s) in &samples {
        for line in s {
            println!("  {code} {line}");
        }
    }
    assert_eq!(count, 839);
    assert_eq!(by_kind.values().sum::<usize>(), 839);
}
