//! Data-backed ARN matching checks against `$IAMCTL_DATA/real-world-policies`:
//! `parliament-arn-match-cases.jsonl` (expected booleans from duo-labs/parliament) and
//! `iam-rs-arn-examples.jsonl` (real ARNs from many services, no expectations: we check
//! properties every ARN must have).
//!
//! Parliament's `is_arn_match(type, arn_format, resource)` asks whether a policy resource
//! (`resource`, itself a pattern) can overlap a catalog ARN format (`arn_format`). We run
//! `arn_format` as the policy pattern and `resource` as the request ARN. Cases where the
//! spec makes us answer differently are listed in `DELIBERATE` with the reason; everything
//! else must agree.

use iam_policy::arn::{Arn, ArnOptions, ArnPattern, ShortArn};
use iam_policy::context::Context;
use iam_policy::vars::Template;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "provenance fields are read only to validate the schema"
)]
struct ParliamentCase {
    source: String,
    license: String,
    commit: String,
    file: String,
    test: String,
    line: u32,
    function: String,
    args: (String, String, String),
    expected: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArnExample {
    arn: String,
}

/// Parliament cases (by source line) where our answer deliberately differs.
const DELIBERATE: &[(u32, &str)] = &[
    (
        58,
        "request resource `*` matches only a literal `*` pattern (evaluation.md §2.3); \
         parliament asks whether the policy's `*` covers the format",
    ),
    (
        59,
        "a `*` in the request ARN is literal text, not a wildcard (we match a pattern \
         against a concrete ARN; parliament checks whether two patterns overlap)",
    ),
    (
        93,
        "a `*` in the request ARN is literal text: `user/*` does not match the text `*`",
    ),
    (
        144,
        "`*` matches the empty run (policy-language.md §7.2 fact 1), so an account `*` \
         matches an empty account; parliament requires a non-empty account",
    ),
    (
        154,
        "`*` matches the empty run (policy-language.md §7.2 fact 1), so a region `*` \
         matches an empty region; parliament requires a non-empty region",
    ),
];

fn data_dir() -> Option<std::path::PathBuf> {
    match std::env::var("IAMCTL_DATA") {
        Ok(d) => Some(std::path::Path::new(&d).join("real-world-policies")),
        Err(_) => {
            eprintln!("skipped: IAMCTL_DATA not set");
            None
        }
    }
}

fn lines(path: &std::path::Path) -> std::io::Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

fn pattern(text: &str) -> ArnPattern {
    ArnPattern::compile(
        &Template::parse(text, true),
        ShortArn::Pad,
        ArnOptions::default(),
    )
}

#[test]
fn parliament_arn_cases_agree_except_listed_deliberate_differences() {
    let Some(dir) = data_dir() else { return };
    let ctx = Context::new();
    let mut agree = 0;
    let mut problems = Vec::new();
    let mut seen_deliberate = Vec::new();
    for line in
        lines(&dir.join("parliament-arn-match-cases.jsonl")).expect("parliament cases readable")
    {
        let case: ParliamentCase = serde_json::from_str(&line).expect("valid case");
        if case.function != "is_arn_match" && case.function != "is_arn_strictly_valid" {
            continue;
        }
        let (_, format, resource) = &case.args;
        let ours = pattern(format).is_match(resource, &ctx);
        let deliberate = DELIBERATE.iter().find(|(l, _)| *l == case.line);
        match (ours == case.expected, deliberate) {
            (true, None) => agree += 1,
            (false, Some(_)) => seen_deliberate.push(case.line),
            (true, Some(_)) => problems.push(format!(
                "line {}: listed as deliberate difference but agrees",
                case.line
            )),
            (false, None) => problems.push(format!(
                "line {}: {} {format:?} vs {resource:?}: expected {}, got {ours}",
                case.line, case.function, case.expected
            )),
        }
    }
    eprintln!(
        "parliament: {agree} agree, {} deliberate differences {:?}",
        seen_deliberate.len(),
        seen_deliberate
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(seen_deliberate.len(), DELIBERATE.len());
    assert!(agree >= 20, "only {agree} cases checked");
}

#[test]
fn iam_rs_arn_examples_parse_and_match_themselves() {
    let Some(dir) = data_dir() else { return };
    let ctx = Context::new();
    let mut checked = 0;
    let mut problems = Vec::new();
    for line in lines(&dir.join("iam-rs-arn-examples.jsonl")).expect("iam-rs examples readable") {
        let ex: ArnExample = serde_json::from_str(&line).expect("valid example");
        let text = ex.arn.as_str();
        let Some(arn) = Arn::parse(text) else {
            problems.push(format!("{text:?}: does not parse"));
            continue;
        };
        // The ARN used as a pattern matches its own text (a `*` in the text matches the
        // literal `*` too).
        if !pattern(text).is_match(text, &ctx) {
            problems.push(format!("{text:?}: does not match itself"));
        }
        // Every component but the resource is wildcarded: matches.
        let by_service = format!("arn:*:{}:*:*:*", arn.service);
        if !pattern(&by_service).is_match(text, &ctx) {
            problems.push(format!("{text:?}: not matched by {by_service:?}"));
        }
        // Head components compare case-insensitively.
        let upper_head = format!(
            "ARN:{}:{}:{}:{}:{}",
            arn.partition.to_uppercase(),
            arn.service.to_uppercase(),
            arn.region.to_uppercase(),
            arn.account.to_uppercase(),
            arn.resource
        );
        if !pattern(&upper_head).is_match(text, &ctx) {
            problems.push(format!("{text:?}: upper-case head does not match"));
        }
        // The resource component is case-sensitive.
        let upper_resource = arn.resource.to_uppercase();
        if !arn.resource.contains(['*', '?']) && upper_resource != arn.resource {
            let p = format!(
                "arn:{}:{}:{}:{}:{upper_resource}",
                arn.partition, arn.service, arn.region, arn.account
            );
            if pattern(&p).is_match(text, &ctx) {
                problems.push(format!("{text:?}: upper-case resource matches"));
            }
        }
        // A wildcard-only request (`*`) is matched only by the literal `*` pattern.
        if pattern(text).is_match("*", &ctx) {
            problems.push(format!("{text:?}: matches the `*` request"));
        }
        checked += 1;
    }
    eprintln!("iam-rs: {checked} ARNs checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 100, "only {checked} ARNs checked");
}
