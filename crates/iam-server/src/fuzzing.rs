//! Entry points for `fuzz/fuzz_targets/*.rs`; not a stable API.
//!
//! Stage: test support. Input: arbitrary bytes. Output: nothing; a panic is the bug. It must
//! never be used by production code.

use crate::backend::StsFault;
use crate::query::{parse_params, parse_urlencoded};
use crate::render::{error_xml, escape_text};

/// Runs the awsQuery parameter parser on `data` as a query string, as a form body, and split
/// at the first `?` as both; every decoded name and value goes through the XML escaper.
pub fn query_form(data: &[u8]) {
    let split = data.iter().position(|&byte| byte == b'?');
    let (query, body) = match split {
        Some(at) => (
            data.get(..at).unwrap_or_default(),
            data.get(at + 1..).unwrap_or_default(),
        ),
        None => (data, &[][..]),
    };
    if let Ok(pairs) = parse_urlencoded(data) {
        for (name, value) in &pairs {
            let _ = escape_text(name);
            let _ = escape_text(value);
        }
    }
    match parse_params(query, Some(body)) {
        Ok(pairs) => {
            for (name, value) in pairs {
                // Round trip: what was decoded must survive escaping as well-formed text.
                let escaped = escape_text(&value);
                assert!(!escaped.contains('<'), "unescaped `<` in {name}");
            }
        }
        Err(error) => {
            let fault: StsFault = error.to_fault();
            let _ = error_xml(&fault, "fuzz");
        }
    }
}
