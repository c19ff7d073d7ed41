//! Fuzz harness entry points, shared by `fuzz/fuzz_targets/*` and the regression test
//! that replays `corpus/fuzz-regressions/<target>/`.
//!
//! Input: arbitrary bytes. Output: nothing; each function **panics** when an invariant
//! of the engine breaks (that is how a fuzzer notices). Not part of the public API.
//! Must never panic on input that the engine handles correctly.

use crate::json::{self, JsonErrorKind, Limits, Value, ValueKind};
use crate::source::Span;

/// Converts a spanned JSON value to a `serde_json::Value`, numbers through serde_json's
/// own parse of their text (last member wins for duplicate keys, like serde_json).
/// `None` when serde_json cannot represent a number (it rejects floats that overflow).
///
/// ```
/// use iam_policy::json::{parse, Limits};
/// let doc = parse(r#"{"a": [1.5, null]}"#, &Limits::default())?;
/// let v = iam_policy::fuzzing::to_serde(&doc.root).ok_or("no value")?;
/// assert_eq!(v, serde_json::json!({"a": [1.5, null]}));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_serde(value: &Value<'_>) -> Option<serde_json::Value> {
    Some(match &value.kind {
        ValueKind::Null => serde_json::Value::Null,
        ValueKind::Bool(b) => serde_json::Value::Bool(*b),
        ValueKind::Number(text) => serde_json::from_str(text).ok()?,
        ValueKind::String(s) => serde_json::Value::String(s.to_string()),
        ValueKind::Array(items) => {
            serde_json::Value::Array(items.iter().map(to_serde).collect::<Option<Vec<_>>>()?)
        }
        ValueKind::Object(members) => {
            let mut map = serde_json::Map::new();
            for m in members {
                map.insert(m.key.to_string(), to_serde(&m.value)?);
            }
            serde_json::Value::Object(map)
        }
    })
}

/// True for errors that come from [`Limits`] rather than from the syntax.
///
/// ```
/// use iam_policy::json::JsonErrorKind;
/// assert!(iam_policy::fuzzing::is_limit(&JsonErrorKind::TooDeep));
/// assert!(!iam_policy::fuzzing::is_limit(&JsonErrorKind::Comment));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn is_limit(kind: &JsonErrorKind) -> bool {
    matches!(
        kind,
        JsonErrorKind::DocumentTooLarge
            | JsonErrorKind::TooDeep
            | JsonErrorKind::StringTooLong
            | JsonErrorKind::TooManyMembers
    )
}

/// True when serde_json rejects `data` only because a number overflows `f64`, which
/// RFC 8259 allows and this reader accepts (numbers are kept as text).
///
/// ```
/// assert!(iam_policy::fuzzing::serde_rejects_only_big_number(b"[1e400]"));
/// assert!(!iam_policy::fuzzing::serde_rejects_only_big_number(b"[1]"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn serde_rejects_only_big_number(data: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(_) => false,
        Err(e) => e.to_string().starts_with("number out of range"),
    }
}

/// Fuzz target `json`: reads `data` with default [`Limits`] and checks that every span
/// lies inside the input on character boundaries, that value spans cover the right
/// text, and that acceptance (and, without duplicate keys, the value) agrees with
/// `serde_json`.
///
/// ```
/// iam_policy::fuzzing::json(br#"{"a": [1, "x\n", {"b": null}]}"#);
/// iam_policy::fuzzing::json(b"[1,]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[expect(
    clippy::panic,
    reason = "a fuzz harness reports a broken invariant by panicking"
)]
pub fn json(data: &[u8]) {
    let serde = serde_json::from_slice::<serde_json::Value>(data);
    match json::parse_bytes(data, &Limits::default()) {
        Ok(doc) => {
            let Ok(text) = std::str::from_utf8(data) else {
                panic!("accepted input that is not utf-8");
            };
            check_value(&doc.root, text, Span::new(0, text.len()));
            for d in &doc.duplicates {
                check_span(d.first, text, "duplicate first");
                check_span(d.duplicate, text, "duplicate");
                if d.first.start >= d.duplicate.start
                    || d.first.slice(text).is_none_or(|s| !s.starts_with('"'))
                {
                    panic!("bad duplicate spans {d:?}");
                }
            }
            match serde {
                Ok(expected) => {
                    if doc.duplicates.is_empty() && to_serde(&doc.root) != Some(expected) {
                        panic!("value differs from serde_json");
                    }
                }
                Err(e) => {
                    if !serde_rejects_only_big_number(data) {
                        panic!("accepted input that serde_json rejects: {e}");
                    }
                }
            }
        }
        Err(e) => {
            let span = e.span();
            if span.start > span.end || span.end > data.len() {
                panic!("error span {span:?} outside input of {} bytes", data.len());
            }
            if let Ok(text) = std::str::from_utf8(data) {
                check_span(span, text, "error");
            }
            if e.message().is_empty() || e.message().contains('\n') || e.message().ends_with('.') {
                panic!("badly shaped message `{}`", e.message());
            }
            if serde.is_ok() && !is_limit(e.kind()) {
                panic!("rejected input that serde_json accepts: {e}");
            }
        }
    }
}

/// Panics unless `span` is inside `text` and on character boundaries.
#[expect(
    clippy::panic,
    reason = "a fuzz harness reports a broken invariant by panicking"
)]
fn check_span(span: Span, text: &str, what: &str) {
    if span.slice(text).is_none() {
        panic!("{what} span {span:?} is outside the input or not on char boundaries");
    }
}

/// Panics unless `value`'s span lies within `parent`, covers text of the right shape,
/// and its children are in order inside it.
#[expect(
    clippy::panic,
    reason = "a fuzz harness reports a broken invariant by panicking"
)]
fn check_value(value: &Value<'_>, text: &str, parent: Span) {
    check_span(value.span, text, "value");
    if value.span.start < parent.start || value.span.end > parent.end {
        panic!("value span {:?} outside its parent {parent:?}", value.span);
    }
    let covered = value.span.slice(text).unwrap_or_default();
    let shaped = match &value.kind {
        ValueKind::Null => covered == "null",
        ValueKind::Bool(b) => covered == if *b { "true" } else { "false" },
        ValueKind::Number(n) => covered == *n,
        ValueKind::String(_) => {
            covered.len() >= 2 && covered.starts_with('"') && covered.ends_with('"')
        }
        ValueKind::Array(_) => covered.starts_with('[') && covered.ends_with(']'),
        ValueKind::Object(_) => covered.starts_with('{') && covered.ends_with('}'),
    };
    if !shaped {
        panic!("span {:?} covers `{covered}`", value.span);
    }
    let mut last = value.span.start;
    match &value.kind {
        ValueKind::Array(items) => {
            for item in items {
                if item.span.start <= last {
                    panic!("array element {:?} out of order", item.span);
                }
                check_value(item, text, value.span);
                last = item.span.end;
            }
        }
        ValueKind::Object(members) => {
            for m in members {
                check_span(m.key_span, text, "key");
                let key_text = m.key_span.slice(text).unwrap_or_default();
                if m.key_span.start <= last
                    || m.key_span.end > m.value.span.start
                    || key_text.len() < 2
                    || !key_text.starts_with('"')
                    || !key_text.ends_with('"')
                {
                    panic!("key span {:?} covers `{key_text}`", m.key_span);
                }
                check_value(&m.value, text, value.span);
                last = m.value.span.end;
            }
        }
        _ => {}
    }
}

/// Fuzz target `policy`: arbitrary bytes checked as every policy type.
///
/// Invariants: checking never panics; every diagnostic span lies inside the input; a
/// document with no errors renders to text that parses back to an equal document.
///
/// ```
/// iam_policy::fuzzing::policy(br#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#);
/// iam_policy::fuzzing::policy(b"{\"Statement\": []}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[expect(
    clippy::panic,
    reason = "a fuzz harness reports a broken invariant by panicking"
)]
pub fn policy(data: &[u8]) {
    for &policy_type in crate::PolicyType::ALL {
        let options = crate::ParseOptions {
            policy_type,
            ..crate::ParseOptions::default()
        };
        let checked = crate::check_policy_bytes(data, &options);
        for d in &checked.diagnostics {
            let span = d.span();
            if span.start > span.end || span.end > data.len() {
                panic!("diagnostic {} span {span:?} outside input", d.code());
            }
        }
        if checked.has_errors() {
            continue;
        }
        let Some(doc) = checked.document else {
            panic!("no errors but no document");
        };
        let text = crate::render_policy(&doc);
        let again = crate::parse_policy(&text, &options)
            .unwrap_or_else(|e| panic!("rendered policy does not parse: {e}\n{text}"));
        if again != doc {
            panic!("render/parse round trip changed the document\n{text}");
        }
    }
}

/// Split `data` at the first NUL byte into a policy text and a request description
/// (`principal\naction\nresource\nkey=value...`), compile the policy as an identity,
/// resource and SCP policy, and evaluate and explain the request against each.
///
/// ```
/// iam_policy::fuzzing::evaluate(b"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}\0arn:aws:iam::111122223333:user/a\ns3:GetObject\n*");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[expect(
    clippy::panic,
    reason = "a fuzz harness reports a broken invariant by panicking"
)]
pub fn evaluate(data: &[u8]) {
    let mut parts = data.splitn(2, |b| *b == 0);
    let policy = String::from_utf8_lossy(parts.next().unwrap_or(&[]));
    let request = String::from_utf8_lossy(parts.next().unwrap_or(&[]));
    let mut lines = request.lines();
    let principal = lines.next().unwrap_or("*");
    let action = lines.next().unwrap_or("s3:GetObject");
    let resource = lines.next().unwrap_or("*");
    let mut context = crate::context::Context::new();
    for line in lines {
        if let Some((k, v)) = line.split_once('=') {
            context.insert(k, crate::context::ContextValue::Single(v.to_string()));
        }
    }
    let Ok(req) = crate::eval::Request::builder()
        .principal(principal)
        .action(action)
        .resource(resource)
        .context(context)
        .build()
    else {
        return;
    };
    let options = crate::compile::CompileOptions::default();
    let mut layers = Vec::new();
    if let Ok(set) =
        crate::compile::PolicySet::from_json(&policy, crate::parse::PolicyType::Identity, &options)
    {
        layers.push(crate::layers::Layers::new().identity(set));
    }
    if let Ok(set) =
        crate::compile::PolicySet::from_json(&policy, crate::parse::PolicyType::Resource, &options)
    {
        layers.push(
            crate::layers::Layers::new().resource(set, crate::layers::ResourceKind::Standard),
        );
    }
    if let Ok(set) =
        crate::compile::PolicySet::from_json(&policy, crate::parse::PolicyType::Scp, &options)
    {
        layers.push(crate::layers::Layers::new().scp_level(vec![std::sync::Arc::new(set)]));
    }
    for l in layers {
        if let Ok(perms) = l.build() {
            let decision = perms.evaluate(&req).decision();
            // explain mode must agree with evaluate on every input
            if perms.explain(&req).decision != decision {
                panic!("explain and evaluate disagree on `{}`", req.action());
            }
        }
    }
}
