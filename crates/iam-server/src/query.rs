//! awsQuery parameter parsing (wire-protocol.md §2.2).
//!
//! Stage: the first step of every STS request. Input: the raw query string and, for a form
//! POST, the body bytes. Output: one flat list of decoded `(name, value)` pairs in received
//! order, or a [`QueryError`]. Decoding follows `application/x-www-form-urlencoded` (`+` is a
//! space, `%XX` a byte, then UTF-8). It must never panic, never echo a parameter *value* in
//! an error (values may be web identity tokens or SAML assertions), and never allocate more
//! than a small multiple of the input.
//!
//! Project decisions (spec flags): a parameter name appearing twice, in one place or in both
//! the query and the body, is rejected; list indices after `member`/`entry` must be decimal
//! without leading zeros and run 1..=N without gaps; a malformed escape or invalid UTF-8 is
//! `MalformedQueryString` (404, as the Query error catalogue lists it); the structural
//! errors are `ValidationError` (400).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::backend::StsFault;

/// Why parameters could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    kind: QueryErrorKind,
    name: String,
}

/// The kinds of [`QueryError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryErrorKind {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// A piece with an empty name (`=x`).
    EmptyName,
    /// The same name twice.
    Duplicate,
    /// A list index that is not a positive decimal without leading zeros.
    BadIndex,
    /// List indices that do not run 1..=N.
    IndexGap,
}

impl QueryError {
    fn new(kind: QueryErrorKind, name: &str) -> Self {
        Self {
            kind,
            name: name.to_owned(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> QueryErrorKind {
        self.kind
    }

    /// The STS fault the client receives.
    pub fn to_fault(&self) -> StsFault {
        let name = &self.name;
        match self.kind {
            QueryErrorKind::BadEscape => StsFault::new(
                "MalformedQueryString",
                format!("parameter `{name}` has a malformed percent-escape"),
                404,
            ),
            QueryErrorKind::NotUtf8 => StsFault::new(
                "MalformedQueryString",
                format!("parameter `{name}` is not valid UTF-8 after decoding"),
                404,
            ),
            QueryErrorKind::EmptyName => StsFault::new(
                "MalformedQueryString",
                "a parameter has an empty name".to_owned(),
                404,
            ),
            QueryErrorKind::Duplicate => StsFault::new(
                "ValidationError",
                format!("parameter `{name}` appears more than once"),
                400,
            ),
            QueryErrorKind::BadIndex => StsFault::new(
                "ValidationError",
                format!("parameter `{name}` has a list index that is not a positive number"),
                400,
            ),
            QueryErrorKind::IndexGap => StsFault::new(
                "ValidationError",
                format!("list `{name}` does not number its members 1, 2, 3, … without gaps"),
                400,
            ),
        }
    }
}

/// Decodes one `application/x-www-form-urlencoded` string into pairs, in order. Empty pieces
/// (`a=1&&b=2`, a trailing `&`) are skipped; a piece without `=` has an empty value.
pub fn parse_urlencoded(input: &[u8]) -> Result<Vec<(String, String)>, QueryError> {
    let mut pairs = Vec::new();
    for piece in input.split(|&byte| byte == b'&') {
        if piece.is_empty() {
            continue;
        }
        let (raw_name, raw_value) = match piece.iter().position(|&byte| byte == b'=') {
            Some(at) => (
                piece.get(..at).unwrap_or_default(),
                piece.get(at + 1..).unwrap_or_default(),
            ),
            None => (piece, &[][..]),
        };
        // Decode the name first so errors about the value can name it.
        let name = decode_component(raw_name)
            .map_err(|kind| QueryError::new(kind, &String::from_utf8_lossy(raw_name)))?;
        if name.is_empty() {
            return Err(QueryError::new(QueryErrorKind::EmptyName, ""));
        }
        let value = decode_component(raw_value).map_err(|kind| QueryError::new(kind, &name))?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn decode_component(raw: &[u8]) -> Result<String, QueryErrorKind> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut iter = raw.iter();
    while let Some(&byte) = iter.next() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = iter.next().and_then(|&h| hex_value(h));
                let low = iter.next().and_then(|&l| hex_value(l));
                match (high, low) {
                    (Some(high), Some(low)) => bytes.push(high << 4 | low),
                    _ => return Err(QueryErrorKind::BadEscape),
                }
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).map_err(|_| QueryErrorKind::NotUtf8)
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Parses the query string and the form body (when there is one), merges them (query
/// first) and checks names and list indices.
pub fn parse_params(
    query: &[u8],
    form_body: Option<&[u8]>,
) -> Result<Vec<(String, String)>, QueryError> {
    let mut params = parse_urlencoded(query)?;
    if let Some(body) = form_body {
        params.extend(parse_urlencoded(body)?);
    }
    check_unique(&params)?;
    check_list_indices(&params)?;
    Ok(params)
}

fn check_unique(params: &[(String, String)]) -> Result<(), QueryError> {
    // Most calls carry a handful of parameters: comparing pairs beats hashing them.
    if params.len() <= 16 {
        for (at, (name, _)) in params.iter().enumerate() {
            if params
                .get(..at)
                .is_some_and(|before| before.iter().any(|(n, _)| n == name))
            {
                return Err(QueryError::new(QueryErrorKind::Duplicate, name));
            }
        }
        return Ok(());
    }
    let mut seen = HashSet::with_capacity(params.len());
    for (name, _) in params {
        if !seen.insert(name.as_str()) {
            return Err(QueryError::new(QueryErrorKind::Duplicate, name));
        }
    }
    Ok(())
}

/// Every `X.member.N` / `X.entry.N` prefix must use indices 1..=N exactly.
fn check_list_indices(params: &[(String, String)]) -> Result<(), QueryError> {
    let mut lists: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for (name, _) in params {
        if !name.contains("member.") && !name.contains("entry.") {
            continue;
        }
        let segments: Vec<&str> = name.split('.').collect();
        for (position, pair) in segments.windows(2).enumerate() {
            let [marker, index] = pair else { continue };
            if *marker != "member" && *marker != "entry" {
                continue;
            }
            let index = parse_index(index)
                .ok_or_else(|| QueryError::new(QueryErrorKind::BadIndex, name))?;
            let prefix = segments
                .get(..=position)
                .map(|s| s.join("."))
                .unwrap_or_default();
            lists.entry(prefix).or_default().insert(index);
        }
    }
    for (prefix, indices) in &lists {
        let count = u32::try_from(indices.len()).unwrap_or(u32::MAX);
        // INVARIANT: indices are ≥ 1 and distinct, so 1..=N means the largest is N.
        if indices.last().copied() != Some(count) {
            return Err(QueryError::new(QueryErrorKind::IndexGap, prefix));
        }
    }
    Ok(())
}

fn parse_index(text: &str) -> Option<u32> {
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn plus_and_percent_twenty_both_decode_to_space() {
        let got = parse_urlencoded(b"A=Blue+Sky&B=Blue%20Sky&C=a%2Bb").unwrap();
        assert_eq!(
            got,
            pairs(&[("A", "Blue Sky"), ("B", "Blue Sky"), ("C", "a+b")])
        );
    }

    #[test]
    fn piece_without_equals_has_empty_value_and_empty_pieces_are_skipped() {
        let got = parse_urlencoded(b"&Tags=&PolicyArns&&X=1&").unwrap();
        assert_eq!(got, pairs(&[("Tags", ""), ("PolicyArns", ""), ("X", "1")]));
    }

    #[test]
    fn value_keeps_everything_after_first_equals() {
        let got = parse_urlencoded(b"Policy=a=b=c").unwrap();
        assert_eq!(got, pairs(&[("Policy", "a=b=c")]));
    }

    #[test]
    fn truncated_or_non_hex_escape_is_rejected() {
        for input in [&b"A=%"[..], b"A=%4", b"A=%zz", b"A%=1"] {
            let err = parse_urlencoded(input).unwrap_err();
            assert_eq!(err.kind(), QueryErrorKind::BadEscape, "{input:?}");
            assert_eq!(err.to_fault().code, "MalformedQueryString");
        }
    }

    #[test]
    fn invalid_utf8_is_rejected_and_the_value_is_not_echoed() {
        let err = parse_urlencoded(b"WebIdentityToken=secret%FF").unwrap_err();
        assert_eq!(err.kind(), QueryErrorKind::NotUtf8);
        let fault = err.to_fault();
        assert!(fault.message.contains("`WebIdentityToken`"));
        assert!(!fault.message.contains("secret"));
    }

    #[test]
    fn utf8_multibyte_escapes_decode() {
        let got = parse_urlencoded("K=%C3%A9%E2%82%AC".as_bytes()).unwrap();
        assert_eq!(got, pairs(&[("K", "é€")]));
    }

    #[test]
    fn repeated_name_is_rejected_in_one_source_and_across_sources() {
        let err = parse_params(b"A=1&A=2", None).unwrap_err();
        assert_eq!(err.kind(), QueryErrorKind::Duplicate);
        let err =
            parse_params(b"Action=GetCallerIdentity", Some(b"Action=AssumeRole")).unwrap_err();
        assert_eq!(err.kind(), QueryErrorKind::Duplicate);
    }

    #[test]
    fn repeated_names_are_found_among_many_parameters_too() {
        for count in [2_usize, 16, 17, 40] {
            let unique: Vec<String> = (0..count).map(|i| format!("P{i}=v")).collect();
            assert!(
                parse_params(unique.join("&").as_bytes(), None).is_ok(),
                "{count}"
            );
            let repeated = format!("{}&P0=again", unique.join("&"));
            let err = parse_params(repeated.as_bytes(), None).unwrap_err();
            assert_eq!(err.kind(), QueryErrorKind::Duplicate, "{count}");
        }
    }

    #[test]
    fn a_list_without_a_prefix_still_has_its_indices_checked() {
        assert!(parse_params(b"member.1=a&member.2=b", None).is_ok());
        let err = parse_params(b"member.2=a", None).unwrap_err();
        assert_eq!(err.kind(), QueryErrorKind::IndexGap);
        let err = parse_params(b"entry.0=a", None).unwrap_err();
        assert_eq!(err.kind(), QueryErrorKind::BadIndex);
    }

    #[test]
    fn list_indices_must_run_from_one_without_gaps() {
        assert!(parse_params(
            b"T.member.1.Key=a&T.member.1.Value=b&T.member.2.Key=c",
            None
        )
        .is_ok());
        let gap = parse_params(b"T.member.1=a&T.member.3=b", None).unwrap_err();
        assert_eq!(gap.kind(), QueryErrorKind::IndexGap);
        let zero = parse_params(b"T.member.0=a", None).unwrap_err();
        assert_eq!(zero.kind(), QueryErrorKind::BadIndex);
        let leading = parse_params(b"T.member.01=a", None).unwrap_err();
        assert_eq!(leading.kind(), QueryErrorKind::BadIndex);
        let missing_first = parse_params(b"T.member.2=a", None).unwrap_err();
        assert_eq!(missing_first.kind(), QueryErrorKind::IndexGap);
    }

    #[test]
    fn nested_lists_are_checked_per_prefix() {
        let ok = parse_params(
            b"M.entry.1.value.member.1=C&M.entry.1.value.member.2=D&M.entry.2.value.member.1=A",
            None,
        );
        assert!(ok.is_ok());
        let bad = parse_params(b"M.entry.1.value.member.2=C", None).unwrap_err();
        assert_eq!(bad.kind(), QueryErrorKind::IndexGap);
    }
}
