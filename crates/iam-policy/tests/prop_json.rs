//! Property tests: the spanned reader against `serde_json`.
//!
//! Input: generated JSON values rendered with random whitespace, and generated
//! mostly-JSON-like strings. Output: pass/fail. Our reader must accept every valid
//! document with the same value as `serde_json::from_str::<Value>`, and accept or
//! reject the same strings as serde_json.
//!
//! Known differences, excluded from the comparison:
//! - serde_json rejects numbers that overflow `f64` (`1e400`: "number out of range");
//!   RFC 8259 allows them and we keep numbers as text, so we accept them.
//! - limits: serde_json stops at 128 levels of nesting, we at `Limits::max_depth`
//!   (and we bound sizes and counts); the tests use limits the inputs stay under.
//!
//! Duplicate keys need no exclusion: serde_json's `Value` keeps the last member, and so
//! does our conversion to it.

use iam_policy::fuzzing::{serde_rejects_only_big_number, to_serde};
use iam_policy::json::{parse, Limits};
use proptest::prelude::*;

/// A generated JSON value; leaves and keys hold their rendered text.
#[derive(Debug, Clone)]
enum Json {
    Leaf(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn number() -> impl Strategy<Value = String> {
    let int = prop_oneof![Just("0".to_string()), "[1-9][0-9]{0,18}"];
    let frac = prop::option::of("\\.[0-9]{1,12}");
    let exp = prop::option::of("[eE][+-]?[0-9]{1,2}");
    (prop::bool::ANY, int, frac, exp).prop_map(|(neg, int, frac, exp)| {
        format!(
            "{}{int}{}{}",
            if neg { "-" } else { "" },
            frac.unwrap_or_default(),
            exp.unwrap_or_default()
        )
    })
}

/// A rendered JSON string: plain characters, every escape form, BMP and astral
/// characters (raw and as `\u` escapes or surrogate pairs).
fn string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 :*/?-]{1,8}",
        Just("\\\"".to_string()),
        Just("\\\\".to_string()),
        Just("\\/".to_string()),
        Just("\\b".to_string()),
        Just("\\f".to_string()),
        Just("\\n".to_string()),
        Just("\\r".to_string()),
        Just("\\t".to_string()),
        any::<char>()
            .prop_filter("plain", |c| *c >= ' ' && *c != '"' && *c != '\\')
            .prop_map(String::from),
        any::<char>().prop_map(|c| {
            let mut units = [0u16; 2];
            c.encode_utf16(&mut units)
                .iter()
                .map(|u| format!("\\u{u:04x}"))
                .collect::<String>()
        }),
        any::<char>().prop_map(|c| {
            let mut units = [0u16; 2];
            c.encode_utf16(&mut units)
                .iter()
                .map(|u| format!("\\u{u:04X}"))
                .collect::<String>()
        }),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

fn good_leaf() -> BoxedStrategy<String> {
    prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        number(),
        string(),
    ]
    .boxed()
}

/// A tree of `leaf`s, with object keys from `key`.
fn json_with(leaf: BoxedStrategy<String>, key: BoxedStrategy<String>) -> BoxedStrategy<Json> {
    leaf.prop_map(Json::Leaf)
        .prop_recursive(6, 64, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Json::Array),
                prop::collection::vec((key.clone(), inner), 0..8).prop_map(Json::Object),
            ]
        })
        .boxed()
}

fn json() -> BoxedStrategy<Json> {
    json_with(good_leaf(), string().boxed())
}

fn space(ws: &[String], next: &mut usize, out: &mut String) {
    if let Some(w) = ws.get(*next % ws.len().max(1)) {
        out.push_str(w);
        *next += 1;
    }
}

fn render(j: &Json, ws: &[String], next: &mut usize, out: &mut String) {
    match j {
        Json::Leaf(text) => out.push_str(text),
        Json::Array(items) => {
            out.push('[');
            space(ws, next, out);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    space(ws, next, out);
                }
                render(item, ws, next, out);
                space(ws, next, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            space(ws, next, out);
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    space(ws, next, out);
                }
                out.push_str(key);
                space(ws, next, out);
                out.push(':');
                space(ws, next, out);
                render(value, ws, next, out);
                space(ws, next, out);
            }
            out.push('}');
        }
    }
}

/// `tree` rendered with random whitespace between tokens and around the value.
fn render_with_ws(tree: BoxedStrategy<Json>) -> impl Strategy<Value = String> {
    (tree, prop::collection::vec("[ \t\n\r]{0,3}", 0..8)).prop_map(|(j, ws)| {
        let mut out = String::new();
        let mut next = 0;
        if let Some(w) = ws.first() {
            out.push_str(w);
        }
        render(&j, &ws, &mut next, &mut out);
        if let Some(w) = ws.last() {
            out.push_str(w);
        }
        out
    })
}

fn document() -> impl Strategy<Value = String> {
    render_with_ws(json())
}

/// Mostly-JSON-like text: JSON tokens, near-misses and stray characters.
fn jsonish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        4 => prop::sample::select(vec![
            "{", "}", "[", "]", ",", ":", " ", "\n", "\t", "\r", "\"a\"", "\"b\"", "\"\"",
            "1", "0", "-1", "2.5", "1e3", "0.0e-0", "true", "false", "null",
        ]),
        1 => prop::sample::select(vec![
            "\"", "\\", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\x", "\\n",
            "01", "-", "1.", ".5", "+1", "1e", "1e+", "-0", "1e400", "NaN", "Infinity",
            "True", "nul", "truex", "//", "/*", "*/", "\u{0}", "\u{1f}", "\u{7f}", "é",
            "\u{a0}", "\u{feff}", "\u{c}", "\u{b}", "😀", "'", "a",
        ]),
    ];
    // Whole strings whose bodies mix valid and invalid pieces.
    let body = prop::sample::select(vec![
        "a",
        "é",
        "😀",
        "\\n",
        "\\\"",
        "\\u00e9",
        "\\ud83d\\ude00",
        "\\ud800",
        "\\udc00",
        "\\ud800\\u0041",
        "\\x",
        "\\u12",
        "\\u12G4",
        "\\",
        "\t",
        "\u{0}",
        "\u{1f}",
        "\u{7f}",
        "\u{85}",
    ]);
    let string = prop::collection::vec(body, 0..4)
        .prop_map(|b| format!("\"{}\"", b.concat()))
        .boxed();
    let token = token.prop_map(String::from).boxed();
    let piece = prop_oneof![4 => token.clone(), 1 => string.clone()];
    let soup = prop::collection::vec(piece, 0..24).prop_map(|t| t.concat());
    // Valid documents with a few near-miss leaves or keys, maybe one spliced-in token.
    let near_leaf = prop_oneof![8 => good_leaf(), 1 => token.clone(), 1 => string.clone()].boxed();
    let near_key = prop_oneof![8 => self::string().boxed(), 1 => string].boxed();
    let near = (
        render_with_ws(json_with(near_leaf, near_key)),
        prop::option::of((token, any::<prop::sample::Index>())),
    )
        .prop_map(|(mut doc, splice)| {
            if let Some((token, at)) = splice {
                let mut at = at.index(doc.len() + 1);
                while !doc.is_char_boundary(at) {
                    at -= 1;
                }
                doc.insert_str(at, &token);
            }
            doc
        });
    prop_oneof![3 => near, 1 => soup]
}

fn roomy() -> Limits {
    Limits {
        max_depth: 100,
        ..Limits::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_documents_read_the_same_as_serde_json(text in document()) {
        let expected: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("generator made invalid json: {e}")))?;
        let doc = parse(&text, &roomy())
            .map_err(|e| TestCaseError::fail(format!("{e} at {:?}", e.span())))?;
        prop_assert_eq!(to_serde(&doc.root), Some(expected));
        // Span invariants and acceptance agreement, as the fuzzer checks them.
        iam_policy::fuzzing::json(text.as_bytes());
    }

    #[test]
    fn acceptance_agrees_with_serde_json(text in jsonish()) {
        let theirs = serde_json::from_str::<serde_json::Value>(&text);
        let ours = parse(&text, &roomy());
        if ours.is_ok() && theirs.is_err() {
            prop_assert!(
                serde_rejects_only_big_number(text.as_bytes()),
                "we accept, serde_json rejects: {:?}",
                theirs.err()
            );
        } else {
            prop_assert_eq!(
                ours.is_ok(),
                theirs.is_ok(),
                "ours: {:?} serde_json: {:?}",
                ours.as_ref().err(),
                theirs.as_ref().err()
            );
        }
        if let (Ok(doc), Ok(value)) = (&ours, &theirs) {
            prop_assert_eq!(to_serde(&doc.root), Some(value.clone()));
        }
        iam_policy::fuzzing::json(text.as_bytes());
    }
}
