//! Response bodies: the awsQuery XML envelopes (wire-protocol.md §4.1, §4.2) and their JSON
//! rendering for `Accept: application/json` (§4.3).
//!
//! Stage: the last step of every STS request. Input: an action name, a result tree or a
//! fault, and the request id. Output: the body text. The XML layout copies AWS byte for byte
//! (two-space indentation, no XML declaration, a final newline), so recorded AWS responses
//! can be compared exactly. It must never emit unescaped text or a character XML 1.0
//! forbids (those become U+FFFD), and never fail.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike as _, Timelike as _};

use crate::backend::{Element, StsFault, Value};

/// The STS XML namespace.
pub const XML_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// `<{action}Response>` with `<{action}Result>` and `ResponseMetadata`.
pub fn success_xml(action: &str, result: &[Element], request_id: &str) -> String {
    let mut out = String::with_capacity(2048);
    push_all(
        &mut out,
        &["<", action, "Response xmlns=\"", XML_NAMESPACE, "\">\n"],
    );
    if result.is_empty() {
        push_all(&mut out, &["  <", action, "Result></", action, "Result>\n"]);
    } else {
        push_all(&mut out, &["  <", action, "Result>\n"]);
        for element in result {
            write_element(&mut out, element, 2);
        }
        push_all(&mut out, &["  </", action, "Result>\n"]);
    }
    out.push_str("  <ResponseMetadata>\n    <RequestId>");
    push_escaped(&mut out, request_id);
    out.push_str("</RequestId>\n  </ResponseMetadata>\n");
    push_all(&mut out, &["</", action, "Response>\n"]);
    out
}

/// `<ErrorResponse>` with `Error{Type, Code, Message}` and a sibling `RequestId`.
pub fn error_xml(fault: &StsFault, request_id: &str) -> String {
    let mut out = String::with_capacity(384);
    let _ = writeln!(out, "<ErrorResponse xmlns=\"{XML_NAMESPACE}\">");
    out.push_str("  <Error>\n");
    let _ = writeln!(out, "    <Type>{}</Type>", fault.side.as_str());
    let _ = writeln!(out, "    <Code>{}</Code>", escape_text(&fault.code));
    let _ = writeln!(
        out,
        "    <Message>{}</Message>",
        escape_text(&fault.message)
    );
    out.push_str("  </Error>\n");
    let _ = writeln!(out, "  <RequestId>{}</RequestId>", escape_text(request_id));
    out.push_str("</ErrorResponse>\n");
    out
}

fn push_all(out: &mut String, pieces: &[&str]) {
    for piece in pieces {
        out.push_str(piece);
    }
}

fn push_indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_element(out: &mut String, element: &Element, depth: usize) {
    let name = element.name.as_str();
    push_indent(out, depth);
    match &element.value {
        Value::Children(children) if children.is_empty() => {
            push_all(out, &["<", name, "></", name, ">\n"]);
            return;
        }
        Value::Children(children) => {
            push_all(out, &["<", name, ">\n"]);
            for child in children {
                write_element(out, child, depth + 1);
            }
            push_indent(out, depth);
        }
        Value::Text(text) => {
            push_all(out, &["<", name, ">"]);
            push_escaped(out, text);
        }
        Value::Integer(number) => {
            let _ = write!(out, "<{name}>{number}");
        }
        Value::Timestamp(millis) => {
            push_all(out, &["<", name, ">"]);
            push_iso8601(out, *millis, false);
        }
    }
    push_all(out, &["</", name, ">\n"]);
}

/// XML text content: `&`, `<`, `>` escaped (as quick-xml's `partial_escape`), a carriage
/// return kept as `&#13;` (parsers would otherwise normalise it away), characters XML 1.0
/// forbids replaced by U+FFFD.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// [`escape_text`] appended to `out`: runs of characters that need nothing are copied whole.
fn push_escaped(out: &mut String, text: &str) {
    // Most values (ids, ARNs, session tokens) are printable ASCII without `&<>`: find the
    // first byte that may need work without decoding characters.
    let clean = text
        .bytes()
        .position(|b| !matches!(b, b' '..=b'~' | b'\t' | b'\n') || matches!(b, b'&' | b'<' | b'>'))
        .unwrap_or(text.len());
    // Every byte before `clean` is ASCII, so it is a character boundary.
    let (head, rest) = text.split_at_checked(clean).unwrap_or(("", text));
    out.push_str(head);
    let text = rest;
    let mut plain_from = 0;
    for (at, c) in text.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '\r' => "&#13;",
            c if is_xml_char(c) => continue,
            _ => "\u{FFFD}",
        };
        out.push_str(text.get(plain_from..at).unwrap_or_default());
        out.push_str(replacement);
        plain_from = at + c.len_utf8();
    }
    out.push_str(text.get(plain_from..).unwrap_or_default());
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Appends `millis` as ISO-8601 UTC; milliseconds when `always_millis` or not zero. Years
/// outside 0..=9999 go through chrono's formatter (which signs them); beyond chrono's range
/// (±262,000 years, no real expiry) the number itself stays visible.
fn push_iso8601(out: &mut String, millis: i64, always_millis: bool) {
    let with_millis = always_millis || millis.rem_euclid(1000) != 0;
    match DateTime::from_timestamp_millis(millis) {
        Some(time) if (0..=9999).contains(&time.year()) => {
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                time.year(),
                time.month(),
                time.day(),
                time.hour(),
                time.minute(),
                time.second()
            );
            if with_millis {
                let _ = write!(out, ".{:03}", millis.rem_euclid(1000));
            }
            out.push('Z');
        }
        Some(time) if with_millis => {
            let _ = write!(out, "{}", time.format("%Y-%m-%dT%H:%M:%S%.3fZ"));
        }
        Some(time) => {
            let _ = write!(out, "{}", time.format("%Y-%m-%dT%H:%M:%SZ"));
        }
        None => {
            let _ = write!(out, "{millis}");
        }
    }
}

/// ISO-8601 UTC: `2026-11-29T10:26:00Z`, or `…:00.611Z` when the milliseconds are not zero.
pub fn iso8601(millis: i64) -> String {
    let mut out = String::with_capacity(24);
    push_iso8601(&mut out, millis, false);
    out
}

/// ISO-8601 UTC, always with milliseconds (`2026-11-29T10:26:00.000Z`): audit timestamps.
pub fn iso8601_millis(millis: i64) -> String {
    let mut out = String::with_capacity(24);
    push_iso8601(&mut out, millis, true);
    out
}

/// `{"<A>Response": {"<A>Result": {…}, "ResponseMetadata": {"RequestId": "…"}}}`.
pub fn success_json(action: &str, result: &[Element], request_id: &str) -> String {
    let mut out = String::with_capacity(512);
    out.push('{');
    out.push_str(&json_string(&format!("{action}Response")));
    out.push_str(":{");
    out.push_str(&json_string(&format!("{action}Result")));
    out.push(':');
    write_json_object(&mut out, result);
    out.push_str(",\"ResponseMetadata\":{\"RequestId\":");
    out.push_str(&json_string(request_id));
    out.push_str("}}}");
    out
}

/// `{"Error": {"Code", "Message", "Type"}, "RequestId": "…"}`.
pub fn error_json(fault: &StsFault, request_id: &str) -> String {
    format!(
        "{{\"Error\":{{\"Code\":{},\"Message\":{},\"Type\":{}}},\"RequestId\":{}}}",
        json_string(&fault.code),
        json_string(&fault.message),
        json_string(fault.side.as_str()),
        json_string(request_id)
    )
}

fn write_json_object(out: &mut String, elements: &[Element]) {
    out.push('{');
    for (position, element) in elements.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        out.push_str(&json_string(&element.name));
        out.push(':');
        match &element.value {
            Value::Children(children) => write_json_object(out, children),
            Value::Text(text) => out.push_str(&json_string(text)),
            Value::Integer(number) => {
                let _ = write!(out, "{number}");
            }
            Value::Timestamp(millis) => out.push_str(&epoch_seconds_json(*millis)),
        }
    }
    out.push('}');
}

/// A JSON string literal (serde_json's escaping).
pub fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Epoch seconds as AWS prints them (Java `Double.toString`): `1.514869445E9`, and plain
/// `123.5` below 10^7.
pub fn epoch_seconds_json(millis: i64) -> String {
    let sign = if millis < 0 { "-" } else { "" };
    let magnitude = millis.unsigned_abs();
    let whole = (magnitude / 1000).to_string();
    let fraction = format!("{:03}", magnitude % 1000);
    let fraction = fraction.trim_end_matches('0');
    if magnitude / 1000 < 10_000_000 {
        let fraction = if fraction.is_empty() { "0" } else { fraction };
        return format!("{sign}{whole}.{fraction}");
    }
    let digits = format!("{whole}{fraction}");
    let mut chars = digits.chars();
    let first = chars.next().unwrap_or('0');
    let rest = chars.as_str().trim_end_matches('0');
    let rest = if rest.is_empty() { "0" } else { rest };
    format!("{sign}{first}.{rest}E{}", whole.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_use_java_double_notation() {
        assert_eq!(epoch_seconds_json(1_514_869_445_000), "1.514869445E9");
        assert_eq!(epoch_seconds_json(1_514_869_440_000), "1.51486944E9");
        assert_eq!(epoch_seconds_json(1_514_869_445_611), "1.514869445611E9");
        assert_eq!(epoch_seconds_json(2_000_000_000_000), "2.0E9");
        assert_eq!(epoch_seconds_json(1_500), "1.5");
        assert_eq!(epoch_seconds_json(0), "0.0");
        assert_eq!(epoch_seconds_json(-1_500), "-1.5");
    }

    #[test]
    fn iso8601_adds_milliseconds_only_when_present() {
        assert_eq!(iso8601(1_310_414_129_611), "2011-07-11T19:55:29.611Z");
        assert_eq!(iso8601(1_628_196_482_000), "2021-08-05T20:48:02Z");
    }

    #[test]
    fn text_escaping_covers_markup_and_forbidden_characters() {
        assert_eq!(
            escape_text("{\"a\":\"<b>&c\"}"),
            "{\"a\":\"&lt;b&gt;&amp;c\"}"
        );
        assert_eq!(escape_text("a\u{1}b\rc"), "a\u{FFFD}b&#13;c");
        assert_eq!(escape_text("tab\tnl\n"), "tab\tnl\n");
    }

    #[test]
    fn error_json_has_the_observed_shape() {
        let fault = StsFault::new("AccessDenied", "no \"way\"", 403);
        assert_eq!(
            error_json(&fault, "r-1"),
            r#"{"Error":{"Code":"AccessDenied","Message":"no \"way\"","Type":"Sender"},"RequestId":"r-1"}"#
        );
    }

    #[test]
    fn iso8601_matches_chrono_formatting_across_its_range() {
        let samples = [
            0_i64,
            1_310_414_129_611,
            1_628_196_482_000,
            -1,
            -62_167_219_200_000,
            -62_167_219_200_001,
            253_402_300_799_999,
            253_402_300_800_000,
            8_210_266_876_799_999,
            i64::MAX,
            i64::MIN,
        ];
        for millis in samples {
            let reference = match DateTime::from_timestamp_millis(millis) {
                Some(time) if millis.rem_euclid(1000) == 0 => {
                    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                }
                Some(time) => time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                None => millis.to_string(),
            };
            assert_eq!(iso8601(millis), reference, "{millis}");
            let reference = match DateTime::from_timestamp_millis(millis) {
                Some(time) => time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                None => millis.to_string(),
            };
            assert_eq!(iso8601_millis(millis), reference, "{millis}");
        }
    }

    #[test]
    fn escaping_matches_quick_xml_with_carriage_returns_and_forbidden_characters() {
        for text in [
            "",
            "plain",
            "a&b<c>d\"e'f",
            "\r\r",
            "x\u{0}y\u{1F}z\u{FFFE}",
            "émoji 🦀 & <tag>",
            "&&&",
            "FwoGZXIvYXdzEBYaDK+/=plain ascii then\u{7F}del",
            "ascii prefix then\rcarriage return",
            "ascii prefix then é & \u{1}",
        ] {
            let cleaned: String = text
                .chars()
                .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
                .collect();
            let reference = quick_xml::escape::partial_escape(&cleaned).replace('\r', "&#13;");
            assert_eq!(escape_text(text), reference, "{text:?}");
        }
    }

    #[test]
    fn nested_results_keep_the_aws_layout() {
        let result = vec![
            Element::text("Account", "1<2"),
            Element {
                name: "Nested".to_owned(),
                value: Value::Children(vec![
                    Element {
                        name: "Empty".to_owned(),
                        value: Value::Children(Vec::new()),
                    },
                    Element {
                        name: "Count".to_owned(),
                        value: Value::Integer(-3),
                    },
                    Element {
                        name: "At".to_owned(),
                        value: Value::Timestamp(1_628_196_482_000),
                    },
                ]),
            },
        ];
        let expected = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <GetCallerIdentityResult>\n    <Account>1&lt;2</Account>\n    <Nested>\n      <Empty></Empty>\n      <Count>-3</Count>\n      <At>2021-08-05T20:48:02Z</At>\n    </Nested>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>r&amp;1</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n";
        assert_eq!(success_xml("GetCallerIdentity", &result, "r&1"), expected);
        let empty = success_xml("GetSessionToken", &[], "r");
        assert!(empty.contains("  <GetSessionTokenResult></GetSessionTokenResult>\n"));
    }
}
