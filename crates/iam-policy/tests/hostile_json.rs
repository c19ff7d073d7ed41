//! Hostile JSON: inputs built to exhaust the stack, memory or time of a naive reader.
//!
//! Input: generated documents. Output: pass/fail. Each must end in a clean error (or,
//! with raised limits, a clean parse) and never crash or run away.

use std::time::{Duration, Instant};

use iam_policy::json::{parse, parse_bytes, JsonErrorKind, Limits, ValueKind};
use iam_policy::Span;

/// The error kind `text` is rejected with, `None` when it parses.
fn kind_of(text: &str, limits: &Limits) -> Option<JsonErrorKind> {
    parse(text, limits).err().map(|e| *e.kind())
}

#[test]
fn a_megabyte_of_open_brackets_is_a_depth_error() {
    let text = "[".repeat(1_000_000);
    let e = parse(&text, &Limits::default()).expect_err("must fail");
    assert_eq!(e.kind(), &JsonErrorKind::TooDeep);
    // The 65th bracket is the first one over the default depth of 64.
    assert_eq!(e.span(), Span::new(64, 65));
    // The same through the byte entry point and the fuzz invariants.
    assert!(parse_bytes(text.as_bytes(), &Limits::default()).is_err());
    iam_policy::fuzzing::json(text.as_bytes());
}

#[test]
fn a_megabyte_of_open_brackets_does_not_recurse_even_without_a_depth_limit() {
    // The reader keeps open containers on a heap stack; with no depth limit it reads
    // all million brackets and reports the missing end, on a default-sized thread.
    let text = "[".repeat(1_000_000);
    let unlimited = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    let e = parse(&text, &unlimited).expect_err("must fail");
    assert_eq!(e.kind(), &JsonErrorKind::UnexpectedEnd);
    assert_eq!(e.span(), Span::at(1_000_000));
}

#[test]
fn deep_nesting_of_objects_is_a_depth_error() {
    let text = "{\"a\":".repeat(200_000);
    assert_eq!(
        kind_of(&text, &Limits::default()),
        Some(JsonErrorKind::TooDeep)
    );
    let mixed = "[{\"a\":".repeat(100_000);
    assert_eq!(
        kind_of(&mixed, &Limits::default()),
        Some(JsonErrorKind::TooDeep)
    );
    iam_policy::fuzzing::json(mixed.as_bytes());
}

#[test]
fn nesting_up_to_the_limit_parses_and_unclosed_nesting_is_an_end_error() {
    let limits = Limits::default();
    let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
    assert!(parse(&ok, &limits).is_ok());
    assert_eq!(
        kind_of(&"[".repeat(64), &limits),
        Some(JsonErrorKind::UnexpectedEnd)
    );
}

/// `{"0":0,"1":0,…}` with `n` keys (under 1 MiB for 100,000 keys).
fn many_keys(n: usize, extra: &str) -> String {
    let mut text = String::with_capacity(n * 11);
    text.push('{');
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!("\"{i}\":0"));
    }
    text.push_str(extra);
    text.push('}');
    text
}

#[test]
fn an_object_of_100_000_keys_is_too_many_members_by_default() {
    let text = many_keys(100_000, "");
    assert!(text.len() <= Limits::default().max_bytes);
    let e = parse(&text, &Limits::default()).expect_err("must fail");
    assert_eq!(e.kind(), &JsonErrorKind::TooManyMembers);
    assert_eq!(e.span().slice(&text), Some("\"10000\""));
}

#[test]
fn an_object_of_100_000_keys_parses_when_the_limit_is_raised() {
    let text = many_keys(100_000, ",\"5\":1");
    let limits = Limits {
        max_members: 200_000,
        ..Limits::default()
    };
    let started = Instant::now();
    let doc = parse(&text, &limits).expect("parses");
    // Generous bound, even for a debug build on a busy machine: it catches quadratic
    // duplicate detection (minutes), not slowness.
    assert!(started.elapsed() < Duration::from_secs(60));
    let ValueKind::Object(members) = &doc.root.kind else {
        panic!("not an object")
    };
    assert_eq!(members.len(), 100_001);
    assert_eq!(doc.duplicates.len(), 1);
    assert_eq!(doc.duplicates[0].key, "5");
    assert_eq!(doc.duplicates[0].first.slice(&text), Some("\"5\""));
}

#[test]
fn a_ten_megabyte_string_is_a_size_error() {
    let text = format!("\"{}\"", "x".repeat(10 << 20));
    let e = parse(&text, &Limits::default()).expect_err("must fail");
    assert_eq!(e.kind(), &JsonErrorKind::DocumentTooLarge);
    assert_eq!(e.span(), Span::new(1 << 20, text.len()));
    let roomy = Limits {
        max_bytes: usize::MAX,
        ..Limits::default()
    };
    assert_eq!(kind_of(&text, &roomy), Some(JsonErrorKind::StringTooLong));
    let escaped = format!("[\"{}\"]", "\\n".repeat(5 << 20));
    assert_eq!(
        kind_of(&escaped, &roomy),
        Some(JsonErrorKind::StringTooLong)
    );
}

#[test]
fn a_huge_array_of_small_values_is_too_many_members() {
    let text = format!("[{}0]", "0,".repeat(200_000));
    assert_eq!(
        kind_of(
            &text,
            &Limits {
                max_bytes: usize::MAX,
                ..Limits::default()
            }
        ),
        Some(JsonErrorKind::TooManyMembers)
    );
}
