//! Rendering: [`PolicyDocument`] → JSON text.
//!
//! Input: an AST (usually from [`crate::parse_policy`]). Output: pretty JSON text with a
//! two-space indent that parses back to an equal AST: statement members in the order
//! written, single values stay single, arrays stay arrays, numbers keep their text.
//! The top level is written as `Version`, `Id`, `Statement` (the AST does not record
//! their order). Never fails, never panics; elements the AST does not hold (because
//! they were invalid) are left out.

use std::fmt::Write as _;

use crate::ast::{
    ConditionBlock, ConditionValue, Element, ListForm, PolicyDocument, PrincipalValue, Statement,
    ValueList,
};

/// Render `doc` as JSON text.
///
/// ```
/// use iam_policy::{parse_policy, render_policy, ParseOptions};
/// let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
///     "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*"]}}"#;
/// let doc = parse_policy(text, &ParseOptions::default())?;
/// let again = parse_policy(&render_policy(&doc), &ParseOptions::default())?;
/// assert_eq!(doc, again);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_policy(doc: &PolicyDocument) -> String {
    let mut out = String::new();
    let mut members: Vec<(String, String)> = Vec::new();
    if let Some(v) = &doc.version {
        members.push(("Version".into(), string(v.value.as_str())));
    }
    if let Some(id) = &doc.id {
        members.push(("Id".into(), string(&id.value)));
    }
    let statements: Vec<String> = doc.statements.iter().map(statement).collect();
    let st = match (doc.statement_form, statements.as_slice()) {
        (ListForm::Single, [one]) => one.clone(),
        _ => array(&statements),
    };
    members.push(("Statement".into(), st));
    out.push_str(&object(&members));
    out.push('\n');
    out
}

fn statement(st: &Statement) -> String {
    let mut order: Vec<Element> = st.order.clone();
    for e in [
        Element::Sid,
        Element::Effect,
        Element::Principal,
        Element::Action,
        Element::Resource,
        Element::Condition,
    ] {
        if !order.contains(&e) {
            order.push(e);
        }
    }
    let mut members: Vec<(String, String)> = Vec::new();
    for e in order {
        match e {
            Element::Sid => {
                if let Some(s) = &st.sid {
                    members.push(("Sid".into(), string(&s.value)));
                }
            }
            Element::Effect => {
                if let Some(e) = &st.effect {
                    members.push(("Effect".into(), string(e.value.as_str())));
                }
            }
            Element::Principal => {
                if let Some(p) = &st.principal {
                    let key = if p.negated {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    let value = match &p.value {
                        PrincipalValue::Any => string("*"),
                        PrincipalValue::Map(entries) => object(
                            &entries
                                .iter()
                                .map(|e| (e.kind.value.as_str().to_string(), strings(&e.values)))
                                .collect::<Vec<_>>(),
                        ),
                    };
                    members.push((key.into(), value));
                }
            }
            Element::Action => {
                if let Some(a) = &st.action {
                    let key = if a.negated { "NotAction" } else { "Action" };
                    members.push((key.into(), strings(&a.items)));
                }
            }
            Element::Resource => {
                if let Some(r) = &st.resource {
                    let key = if r.negated { "NotResource" } else { "Resource" };
                    members.push((key.into(), strings(&r.items)));
                }
            }
            Element::Condition => {
                if let Some(c) = &st.condition {
                    members.push(("Condition".into(), condition(c)));
                }
            }
        }
    }
    object(&members)
}

fn condition(c: &ConditionBlock) -> String {
    let ops: Vec<(String, String)> = c
        .operators
        .iter()
        .map(|op| {
            let entries: Vec<(String, String)> = op
                .entries
                .iter()
                .map(|e| {
                    let values: Vec<String> =
                        e.values.items.iter().map(|v| scalar(&v.value)).collect();
                    let value = match (e.values.form, values.as_slice()) {
                        (ListForm::Single, [one]) => one.clone(),
                        _ => array(&values),
                    };
                    (e.key.value.clone(), value)
                })
                .collect();
            (op.name.clone(), object(&entries))
        })
        .collect();
    object(&ops)
}

fn scalar(v: &ConditionValue) -> String {
    match v {
        ConditionValue::String(s) => string(s),
        ConditionValue::Number(n) => n.clone(),
        ConditionValue::Bool(b) => b.to_string(),
    }
}

fn strings(list: &ValueList<String>) -> String {
    let items: Vec<String> = list.items.iter().map(|i| string(&i.value)).collect();
    match (list.form, items.as_slice()) {
        (ListForm::Single, [one]) => one.clone(),
        _ => array(&items),
    }
}

/// Indent every line after the first by two spaces.
fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

fn object(members: &[(String, String)]) -> String {
    if members.is_empty() {
        return "{}".into();
    }
    let mut out = String::from("{");
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("\n  ");
        out.push_str(&string(k));
        out.push_str(": ");
        out.push_str(&indent(v));
    }
    out.push_str("\n}");
    out
}

fn array(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    let mut out = String::from("[");
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("\n  ");
        out.push_str(&indent(v));
    }
    out.push_str("\n]");
    out
}

/// A JSON string literal. Characters IAM allows in document text (U+0020–U+00FF) are
/// written as themselves; anything else is escaped, so a rendered policy never breaks
/// the character rule that its decoded values may (escapes in the source) satisfy.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' || u32::from(c) > 0xff => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04x}", unit);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(string("a\"b\\c\u{1}"), r#""a\"b\\c\u0001""#);
    }

    #[test]
    fn characters_outside_the_iam_set_are_escaped_as_utf16() {
        assert_eq!(string("\u{e9}\u{1F600}"), "\"\u{e9}\\ud83d\\ude00\"");
    }

    #[test]
    fn nested_values_are_indented_two_spaces_per_level() {
        let inner = object(&[("k".into(), array(&["1".into()]))]);
        assert_eq!(inner, "{\n  \"k\": [\n    1\n  ]\n}");
    }
}
