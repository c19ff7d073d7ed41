//! Property: rendering an AST and parsing the text again gives the same AST
//! (`parse(render(ast)) == ast`, spans ignored). ASTs come from generated policy text
//! that is grammatically valid: random members in random order, single values and
//! arrays, numbers and booleans as condition values, escapes in strings.

use iam_policy::{check_policy, render_policy, ParseOptions, Severity};
use proptest::prelude::*;

/// A JSON string literal.
fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9:/*?$.,' -]{0,12}",
        "[a-z]{1,4}[\"\\\\\n\té\u{7f}]{1,3}",
        Just("${aws:username}".to_string()),
        Just("arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'none'}/*".to_string()),
    ]
}

/// A string, or an array of 0–3 strings.
fn string_list() -> impl Strategy<Value = String> {
    prop_oneof![
        text().prop_map(|s| lit(&s)),
        prop::collection::vec(text(), 0..4).prop_map(|v| format!(
            "[{}]",
            v.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ")
        )),
    ]
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        text().prop_map(|s| lit(&s)),
        "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,2})?([eE][+-]?[0-9])?",
        any::<bool>().prop_map(|b| b.to_string()),
    ]
}

fn condition_values() -> impl Strategy<Value = String> {
    prop_oneof![
        scalar(),
        prop::collection::vec(scalar(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
    ]
}

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringLike",
    "ForAnyValue:StringNotEqualsIgnoreCase",
    "ForAllValues:ArnLikeIfExists",
    "NumericLessThan",
    "DateGreaterThanEquals",
    "Bool",
    "IpAddress",
    "Null",
];

fn condition() -> impl Strategy<Value = String> {
    let block = prop::collection::btree_map("[a-z]{1,3}:[A-Za-z/]{1,8}", condition_values(), 0..3)
        .prop_map(|m| {
            let members: Vec<String> = m.iter().map(|(k, v)| format!("{}: {v}", lit(k))).collect();
            format!("{{{}}}", members.join(", "))
        });
    prop_oneof![
        prop::collection::vec(block, 0..3).prop_flat_map(|blocks| {
            let n = blocks.len();
            prop::sample::subsequence(OPERATORS.to_vec(), n).prop_map(move |names| {
                let members: Vec<String> = names
                    .iter()
                    .zip(&blocks)
                    .map(|(name, b)| format!("{}: {b}", lit(name)))
                    .collect();
                format!("{{{}}}", members.join(", "))
            })
        }),
        Just("{\"UnknownOperator\": {}}".to_string()),
    ]
}

fn principal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"*\"".to_string()),
        prop::sample::subsequence(vec!["AWS", "Service", "Federated", "CanonicalUser"], 0..4)
            .prop_flat_map(|kinds| {
                prop::collection::vec(string_list(), kinds.len()).prop_map(move |values| {
                    let members: Vec<String> = kinds
                        .iter()
                        .zip(&values)
                        .map(|(k, v)| format!("{}: {v}", lit(k)))
                        .collect();
                    format!("{{{}}}", members.join(", "))
                })
            }),
    ]
}

fn statement() -> impl Strategy<Value = String> {
    (
        prop::option::of(text()),
        prop::bool::ANY,
        prop::option::of((prop::bool::ANY, principal())),
        prop::option::of((prop::bool::ANY, string_list())),
        prop::option::of((prop::bool::ANY, string_list())),
        prop::option::of(condition()),
    )
        .prop_flat_map(|(sid, allow, principal, action, resource, condition)| {
            let mut members = vec![format!(
                "\"Effect\": {}",
                if allow { "\"Allow\"" } else { "\"Deny\"" }
            )];
            if let Some(s) = sid {
                members.push(format!("\"Sid\": {}", lit(&s)));
            }
            if let Some((neg, p)) = principal {
                members.push(format!(
                    "\"{}Principal\": {p}",
                    if neg { "Not" } else { "" }
                ));
            }
            if let Some((neg, a)) = action {
                members.push(format!("\"{}Action\": {a}", if neg { "Not" } else { "" }));
            }
            if let Some((neg, r)) = resource {
                members.push(format!("\"{}Resource\": {r}", if neg { "Not" } else { "" }));
            }
            if let Some(c) = condition {
                members.push(format!("\"Condition\": {c}"));
            }
            Just(members)
                .prop_shuffle()
                .prop_map(|m| format!("{{{}}}", m.join(",\n ")))
        })
}

fn policy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![None, Some("2012-10-17"), Some("2008-10-17")]),
        prop::option::of(text()),
        prop::collection::vec(statement(), 1..4),
        prop::bool::ANY,
    )
        .prop_flat_map(|(version, id, statements, single)| {
            let mut members = Vec::new();
            if let Some(v) = version {
                members.push(format!("\"Version\": {}", lit(v)));
            }
            if let Some(id) = id {
                members.push(format!("\"Id\": {}", lit(&id)));
            }
            let st = if single && statements.len() == 1 {
                statements.first().cloned().unwrap_or_default()
            } else {
                format!("[{}]", statements.join(", "))
            };
            members.push(format!("\"Statement\": {st}"));
            Just(members)
                .prop_shuffle()
                .prop_map(|m| format!("{{{}}}", m.join(",\n")))
        })
}

/// Codes of the grammar stage (IAM001–IAM029).
fn is_grammar_error(code: &str) -> bool {
    code.starts_with("IAM0") && matches!(code.as_bytes().get(4), Some(b'0' | b'1' | b'2'))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn render_then_parse_gives_the_same_ast(text in policy()) {
        let opts = ParseOptions::default();
        let first = check_policy(&text, &opts);
        let grammar: Vec<_> = first
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error && is_grammar_error(d.code()))
            .collect();
        prop_assert!(grammar.is_empty(), "generator made invalid text {text}: {grammar:?}");
        let ast = first.document.unwrap();
        let rendered = render_policy(&ast);
        let second = check_policy(&rendered, &opts);
        prop_assert_eq!(second.document.as_ref(), Some(&ast), "rendered:\n{}", rendered);
        // rendering is a fixed point after one round
        prop_assert_eq!(render_policy(&second.document.unwrap()), rendered);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn checking_mangled_policy_text_never_panics(text in policy(), cut in 0usize..400, junk in "[\\[\\]{}\",:*$ a-z\u{80}-\u{3000}]{0,6}") {
        let mut mangled: String = text.chars().take(cut).collect();
        mangled.push_str(&junk);
        mangled.extend(text.chars().skip(cut + junk.len() / 2));
        let checked = check_policy(&mangled, &ParseOptions::default());
        if let Some(doc) = &checked.document {
            let _ = render_policy(doc);
        }
        let _ = iam_policy::aws_error(&checked);
    }
}
