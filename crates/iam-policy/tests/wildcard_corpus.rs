//! Runs `corpus/wildcard.json` (pattern, text, case, expected match) through
//! `Pattern::is_match` and through a variable-free `TemplatePattern`.

use iam_policy::context::Context;
use iam_policy::pattern::{Case, Pattern, TemplatePattern};
use iam_policy::vars::Template;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum CaseMode {
    Sensitive,
    Insensitive,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    pattern: String,
    text: String,
    case: CaseMode,
    #[serde(rename = "match")]
    expected: bool,
}

#[test]
fn wildcard_corpus_rows_match_as_expected() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/wildcard.json");
    let text = std::fs::read_to_string(&path).expect("corpus/wildcard.json is readable");
    let rows: Vec<Row> = serde_json::from_str(&text).expect("corpus/wildcard.json is valid");
    assert!(rows.len() >= 40, "only {} rows", rows.len());
    let ctx = Context::new();
    let mut failures = Vec::new();
    for row in &rows {
        let case = match row.case {
            CaseMode::Sensitive => Case::Sensitive,
            CaseMode::Insensitive => Case::Insensitive,
        };
        let got = Pattern::new(&row.pattern, case).is_match(&row.text);
        // Version 2008-10-17 template: `${...}` is literal, `*` and `?` are wildcards.
        let template = TemplatePattern::compile(&Template::parse(&row.pattern, false), case, true);
        let via_template = template.is_match(&row.text, &ctx);
        if got != row.expected || via_template != Some(row.expected) {
            failures.push(format!(
                "{:?} vs {:?} ({:?}): expected {}, pattern gave {got}, template gave {via_template:?}",
                row.pattern, row.text, row.case, row.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
