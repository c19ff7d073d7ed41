//! SigV4 canonicalisation (shared by the verifier and the signer).
//!
//! Input: the raw method, path, query string and headers of a request as received, the
//! client's `SignedHeaders` list and the payload hash. Output: the canonical request bytes,
//! exactly as AWS builds them for every service except S3 (wire-protocol.md §6.3).
//! It must never decode the path before encoding it (the path is double-encoded on purpose),
//! never let form parameters of a body into the query string, and never reorder or rewrite
//! the client's `SignedHeaders` list.

use std::ops::Range;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Which parameters of the query string stay out of the canonical query string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueryFilter {
    /// Header form: every parameter is signed.
    All,
    /// Presigned form: `X-Amz-Signature` is dropped.
    Presigned,
    /// Presigned form with a session token appended after signing: `X-Amz-Signature` and
    /// `X-Amz-Security-Token` are dropped.
    PresignedUnsignedToken,
}

/// `true` for the bytes UriEncode leaves alone: `A–Z a–z 0–9 - _ . ~`.
pub(crate) fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Appends the UriEncode form of one byte.
fn push_encoded(out: &mut Vec<u8>, byte: u8) {
    if is_unreserved(byte) {
        out.push(byte);
    } else {
        out.push(b'%');
        out.push(
            HEX_UPPER
                .get(usize::from(byte >> 4))
                .copied()
                .unwrap_or(b'0'),
        );
        out.push(
            HEX_UPPER
                .get(usize::from(byte & 0x0f))
                .copied()
                .unwrap_or(b'0'),
        );
    }
}

/// Appends UriEncode(`bytes`) (every byte outside the unreserved set as upper-case `%XX`).
pub(crate) fn uri_encode_into(out: &mut Vec<u8>, bytes: &[u8]) {
    for &byte in bytes {
        push_encoded(out, byte);
    }
}

/// UriEncode as a `String`.
pub(crate) fn uri_encode(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() + text.len() / 2);
    uri_encode_into(&mut out, text.as_bytes());
    // Only ASCII bytes are written, so the conversion cannot fail.
    String::from_utf8(out).unwrap_or_default()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Iterates over the bytes of `raw` with `%XX` escapes decoded. A `%` that is not followed by
/// two hex digits stays a literal `%`; `+` stays `+` (RFC 3986, wire-protocol.md §6.3.3).
pub(crate) fn percent_decoded(raw: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut index = 0;
    std::iter::from_fn(move || {
        let byte = *raw.get(index)?;
        if byte == b'%' {
            let high = raw.get(index + 1).copied().and_then(hex_value);
            let low = raw.get(index + 2).copied().and_then(hex_value);
            if let (Some(high), Some(low)) = (high, low) {
                index += 3;
                return Some(high << 4 | low);
            }
        }
        index += 1;
        Some(byte)
    })
}

/// Percent-decodes a query component into text (invalid UTF-8 is replaced).
pub(crate) fn percent_decode(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('%') {
        return std::borrow::Cow::Borrowed(raw);
    }
    let bytes: Vec<u8> = percent_decoded(raw.as_bytes()).collect();
    std::borrow::Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
}

/// Appends the canonical URI of a raw (still percent-encoded) path: dot segments removed,
/// repeated slashes collapsed, then every segment UriEncoded (so `%2F` becomes `%252F`).
pub(crate) fn write_canonical_uri(out: &mut Vec<u8>, raw_path: &str) {
    if raw_path.is_empty() || raw_path == "/" {
        out.push(b'/');
        return;
    }
    let mut segments: Vec<&str> = Vec::with_capacity(8);
    let mut trailing_slash = false;
    for segment in raw_path.split('/') {
        trailing_slash = matches!(segment, "" | "." | "..");
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    out.push(b'/');
    for (position, segment) in segments.iter().enumerate() {
        if position > 0 {
            out.push(b'/');
        }
        uri_encode_into(out, segment.as_bytes());
    }
    if trailing_slash && !segments.is_empty() {
        out.push(b'/');
    }
}

/// Appends the canonical query string of a raw query string.
pub(crate) fn write_canonical_query(out: &mut Vec<u8>, raw_query: &str, filter: QueryFilter) {
    if raw_query.is_empty() {
        return;
    }
    let mut encoded: Vec<u8> = Vec::with_capacity(raw_query.len() + raw_query.len() / 4 + 16);
    let mut pairs: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(16);
    for piece in raw_query.split('&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let name_start = encoded.len();
        for byte in percent_decoded(name.as_bytes()) {
            push_encoded(&mut encoded, byte);
        }
        let name_range = name_start..encoded.len();
        let dropped = match filter {
            QueryFilter::All => false,
            QueryFilter::Presigned => encoded.get(name_range.clone()) == Some(b"X-Amz-Signature"),
            QueryFilter::PresignedUnsignedToken => matches!(
                encoded.get(name_range.clone()),
                Some(b"X-Amz-Signature" | b"X-Amz-Security-Token")
            ),
        };
        if dropped {
            encoded.truncate(name_start);
            continue;
        }
        let value_start = encoded.len();
        for byte in percent_decoded(value.as_bytes()) {
            push_encoded(&mut encoded, byte);
        }
        pairs.push((name_range, value_start..encoded.len()));
    }
    let slice = |range: &Range<usize>| encoded.get(range.clone()).unwrap_or(&[]);
    pairs.sort_unstable_by(|(name_a, value_a), (name_b, value_b)| {
        slice(name_a)
            .cmp(slice(name_b))
            .then_with(|| slice(value_a).cmp(slice(value_b)))
    });
    for (position, (name, value)) in pairs.iter().enumerate() {
        if position > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(slice(name));
        out.push(b'=');
        out.extend_from_slice(slice(value));
    }
}

fn is_header_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Appends a header value with leading/trailing whitespace removed and every internal run of
/// whitespace (obsolete line folding included) collapsed to one space.
pub(crate) fn write_trimmed_value(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    let already_canonical = match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            !is_header_space(first)
                && !is_header_space(last)
                && !bytes.iter().any(|&b| matches!(b, b'\t' | b'\r' | b'\n'))
                && !bytes.windows(2).any(|pair| pair == b"  ")
        }
        _ => true,
    };
    if already_canonical {
        out.extend_from_slice(bytes);
        return;
    }
    let mut pending_space = false;
    let mut started = false;
    for &byte in value.as_bytes() {
        if is_header_space(byte) {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(byte);
            started = true;
        }
    }
}

/// The received values of header `name` (case-insensitive), in the order received. The HTTP/2
/// pseudo-header `:authority` stands in for a missing `host`.
pub(crate) fn header_values<'h>(
    headers: &'h [(String, String)],
    name: &'h str,
) -> impl Iterator<Item = &'h str> + 'h {
    let matching = move |wanted: &'h str| {
        headers
            .iter()
            .filter(move |(candidate, _)| candidate.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.as_str())
    };
    let mut primary = matching(name).peekable();
    let fallback = (primary.peek().is_none() && name.eq_ignore_ascii_case("host"))
        .then(|| matching(":authority"));
    primary.chain(fallback.into_iter().flatten())
}

/// Appends the canonical headers block (one `name:value\n` line per signed header, sorted by
/// name). Returns the first signed header name that the request does not carry, if any; its
/// line is then written with an empty value.
pub(crate) fn write_canonical_headers<'s>(
    out: &mut Vec<u8>,
    headers: &[(String, String)],
    signed_headers: &'s str,
) -> Option<&'s str> {
    let mut names: Vec<&str> = signed_headers.split(';').collect();
    if !names.is_sorted() {
        names.sort_unstable();
    }
    let mut missing = None;
    for name in names {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            out.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
        } else {
            out.extend_from_slice(name.as_bytes());
        }
        out.push(b':');
        let mut found = false;
        for value in header_values(headers, name) {
            if found {
                out.push(b',');
            }
            write_trimmed_value(out, value);
            found = true;
        }
        if !found && missing.is_none() {
            missing = Some(name);
        }
        out.push(b'\n');
    }
    missing
}

/// Everything that goes into a canonical request.
pub(crate) struct CanonicalInput<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub signed_headers: &'a str,
    pub payload_hash: &'a str,
    pub filter: QueryFilter,
}

/// Writes the six-line canonical request into `out` (which is cleared first). Returns the
/// first signed header missing from the request, if any.
pub(crate) fn write_canonical_request<'a>(
    out: &mut Vec<u8>,
    input: &CanonicalInput<'a>,
) -> Option<&'a str> {
    out.clear();
    out.extend_from_slice(input.method.as_bytes());
    out.push(b'\n');
    write_canonical_uri(out, input.path);
    out.push(b'\n');
    write_canonical_query(out, input.query, input.filter);
    out.push(b'\n');
    let missing = write_canonical_headers(out, input.headers, input.signed_headers);
    out.push(b'\n');
    out.extend_from_slice(input.signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.payload_hash.as_bytes());
    missing
}

/// Lower-case hex of a 32-byte digest.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        if let [high, low] = pair {
            *high = HEX_LOWER
                .get(usize::from(byte >> 4))
                .copied()
                .unwrap_or(b'0');
            *low = HEX_LOWER
                .get(usize::from(byte & 0x0f))
                .copied()
                .unwrap_or(b'0');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str) -> String {
        let mut out = Vec::new();
        write_canonical_uri(&mut out, path);
        String::from_utf8(out).unwrap()
    }

    fn query(raw: &str, filter: QueryFilter) -> String {
        let mut out = Vec::new();
        write_canonical_query(&mut out, raw, filter);
        String::from_utf8(out).unwrap()
    }

    fn trimmed(value: &str) -> String {
        let mut out = Vec::new();
        write_trimmed_value(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn uri_encode_keeps_only_the_unreserved_set() {
        assert_eq!(
            uri_encode("a-_.~Z9 *+=/%é"),
            "a-_.~Z9%20%2A%2B%3D%2F%25%C3%A9"
        );
    }

    #[test]
    fn canonical_uri_removes_dot_segments_and_collapses_slashes() {
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(uri("//example//"), "/example/");
        assert_eq!(uri("/./"), "/");
        assert_eq!(uri("/example/.."), "/");
        assert_eq!(uri("/example1/example2/../.."), "/");
        assert_eq!(uri("/./example"), "/example");
        assert_eq!(uri("/a/b/.."), "/a/");
        assert_eq!(uri("/../../a"), "/a");
    }

    #[test]
    fn canonical_uri_double_encodes_an_encoded_path() {
        assert_eq!(uri("/a%2Fb/c d"), "/a%252Fb/c%20d");
        assert_eq!(uri("/example/$delete"), "/example/%24delete");
    }

    #[test]
    fn canonical_query_sorts_by_name_then_value_and_reencodes() {
        assert_eq!(query("b=2&a=2&a=1", QueryFilter::All), "a=1&a=2&b=2");
        assert_eq!(query("Param1", QueryFilter::All), "Param1=");
        assert_eq!(
            query("x=a+b&y=%2a&z=%7E", QueryFilter::All),
            "x=a%2Bb&y=%2A&z=~"
        );
        assert_eq!(query("a=1&&b", QueryFilter::All), "a=1&b=");
        assert_eq!(query("a=%zz", QueryFilter::All), "a=%25zz");
    }

    #[test]
    fn presigned_filter_drops_only_the_signature() {
        let raw = "X-Amz-Signature=ab&X-Amz-Security-Token=t&A=1";
        assert_eq!(
            query(raw, QueryFilter::Presigned),
            "A=1&X-Amz-Security-Token=t"
        );
        assert_eq!(query(raw, QueryFilter::PresignedUnsignedToken), "A=1");
        assert_eq!(
            query(raw, QueryFilter::All),
            "A=1&X-Amz-Security-Token=t&X-Amz-Signature=ab"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_whitespace_runs_collapse() {
        assert_eq!(trimmed("  a   b \t c  "), "a b c");
        assert_eq!(
            trimmed("value1\n  value2\r\n     value3"),
            "value1 value2 value3"
        );
        assert_eq!(trimmed("   "), "");
        assert_eq!(trimmed("a b"), "a b");
        assert_eq!(trimmed("a  b"), "a b");
        assert_eq!(trimmed("a\tb"), "a b");
        assert_eq!(trimmed(" a"), "a");
        assert_eq!(trimmed(""), "");
    }

    #[test]
    fn repeated_headers_join_with_commas_in_received_order() {
        let headers = vec![
            ("Host".to_owned(), "h".to_owned()),
            ("My-Header1".to_owned(), "value2".to_owned()),
            ("my-header1".to_owned(), " value1 ".to_owned()),
        ];
        let mut out = Vec::new();
        let missing = write_canonical_headers(&mut out, &headers, "host;my-header1;x-absent");
        assert_eq!(missing, Some("x-absent"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "host:h\nmy-header1:value2,value1\nx-absent:\n"
        );
    }

    #[test]
    fn authority_stands_in_for_a_missing_host() {
        let headers = vec![(":authority".to_owned(), "example.com".to_owned())];
        let mut out = Vec::new();
        assert_eq!(write_canonical_headers(&mut out, &headers, "host"), None);
        assert_eq!(String::from_utf8(out).unwrap(), "host:example.com\n");
    }

    #[test]
    fn hex32_is_lower_case() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x0f;
        let hex = hex32(&bytes);
        assert!(hex.starts_with(b"ab00"));
        assert!(hex.ends_with(b"000f"));
    }
}
