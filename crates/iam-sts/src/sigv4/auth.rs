//! SigV4 authentication parameters: the first verification stage.
//!
//! Input: a received request. Output: its algorithm, credential, signed-header list,
//! signature, request time and session token, taken either from the `Authorization` header
//! or from the presigned `X-Amz-*` query parameters (wire-protocol.md §6.1, §6.2, §6.8).
//! It must never guess: a malformed or incomplete form is `IncompleteSignature`, no form at
//! all is `MissingAuthenticationToken`, and both forms at once are rejected.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use super::canonical::{header_values, percent_decode};
use super::error::SigV4Error;
use super::SignedRequest;

/// The only algorithm accepted.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Where the authentication information came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthForm {
    /// `Authorization` header.
    Header,
    /// Presigned URL (`X-Amz-*` query parameters).
    Query,
}

/// Authentication parameters of one request, borrowed from it where possible.
#[derive(Debug)]
pub(crate) struct AuthParams<'r> {
    pub form: AuthForm,
    /// `<AccessKeyId>/<YYYYMMDD>/<region>/<service>/<terminator>`.
    pub credential: Cow<'r, str>,
    pub signed_headers: Cow<'r, str>,
    pub signature: Cow<'r, str>,
    /// Request time in basic ISO-8601 form, as it enters the string to sign.
    pub amz_date: Cow<'r, str>,
    /// The request time, parsed.
    pub time: DateTime<Utc>,
    /// `X-Amz-Expires` of a presigned request.
    pub expires: Option<u32>,
    pub security_token: Option<Cow<'r, str>>,
}

const PRESIGN_PARAMS: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
];

/// The decoded `X-Amz-*` authentication parameters of a query string (first occurrence of
/// each), indexed like `PRESIGN_PARAMS`, plus the session token.
#[derive(Default)]
struct QueryAuth<'r> {
    values: [Option<Cow<'r, str>>; 6],
    token: Option<Cow<'r, str>>,
}

impl<'r> QueryAuth<'r> {
    fn scan(query: &'r str) -> Self {
        let mut found = Self::default();
        if !query.contains("X-Amz-") && !query.contains('%') {
            return found;
        }
        for piece in query.split('&') {
            let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = percent_decode(raw_name);
            if !name.starts_with("X-Amz-") {
                continue;
            }
            let slot = if name == "X-Amz-Security-Token" {
                &mut found.token
            } else if let Some(slot) = PRESIGN_PARAMS
                .iter()
                .position(|known| *known == name)
                .and_then(|index| found.values.get_mut(index))
            {
                slot
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = Some(percent_decode(raw_value));
            }
        }
        found
    }

    fn is_present(&self) -> bool {
        // Algorithm, Credential or Signature mark a presigned request.
        self.values.iter().take(3).any(Option::is_some)
    }

    fn take(&mut self, index: usize) -> Option<Cow<'r, str>> {
        self.values.get_mut(index).and_then(Option::take)
    }
}

/// Finds and parses the authentication parameters of `req`.
pub(crate) fn parse_auth(req: &SignedRequest) -> Result<AuthParams<'_>, SigV4Error> {
    let mut authorization = header_values(&req.headers, "authorization");
    let header = authorization.next();
    if header.is_some() && authorization.next().is_some() {
        return Err(SigV4Error::incomplete(
            "Only one Authorization header is allowed",
        ));
    }
    let query = QueryAuth::scan(&req.query);
    match header {
        Some(_) if query.is_present() => Err(SigV4Error::incomplete(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
             Signature query string parameter or the Authorization header should be specified",
        )),
        Some(header) => parse_header_form(req, header),
        None if query.is_present() => parse_query_form(query),
        None => Err(SigV4Error::MissingAuthenticationToken),
    }
}

fn parse_header_form<'r>(
    req: &'r SignedRequest,
    header: &'r str,
) -> Result<AuthParams<'r>, SigV4Error> {
    let trimmed = header.trim();
    let (algorithm, rest) = trimmed
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((trimmed, ""));
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(SigV4Error::incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization \
                 header: '{header}'."
            )));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_some() {
            return Err(SigV4Error::incomplete(format!(
                "Authorization header has a duplicate '{}' parameter. Authorization={header}",
                key.trim()
            )));
        }
        *slot = Some(value.trim());
    }

    let x_amz_date = header_values(&req.headers, "x-amz-date").next();
    let date = header_values(&req.headers, "date").next();
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none() {
            missing.push_str("Authorization header requires '");
            missing.push_str(name);
            missing.push_str("' parameter. ");
        }
    }
    if x_amz_date.is_none() && date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
             header. ",
        );
    }
    let (Some(credential), Some(signature), Some(signed_headers)) =
        (credential, signature, signed_headers)
    else {
        return Err(SigV4Error::incomplete(format!(
            "{missing}Authorization={header}"
        )));
    };
    let (amz_date, time, date_header) = match (x_amz_date, date) {
        (Some(value), _) => {
            let value = value.trim();
            (Cow::Borrowed(value), parse_amz_date(value)?, "x-amz-date")
        }
        (None, Some(value)) => {
            let time = parse_http_date(value.trim())?;
            (Cow::Owned(format_amz_date(time)), time, "date")
        }
        (None, None) => {
            return Err(SigV4Error::incomplete(format!(
                "{missing}Authorization={header}"
            )))
        }
    };
    if algorithm != ALGORITHM {
        return Err(unsupported_algorithm(algorithm));
    }
    check_signed_headers(signed_headers, Some(date_header))?;
    let security_token = header_values(&req.headers, "x-amz-security-token")
        .next()
        .map(|token| Cow::Borrowed(token.trim()));
    Ok(AuthParams {
        form: AuthForm::Header,
        credential: Cow::Borrowed(credential),
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature),
        amz_date,
        time,
        expires: None,
        security_token,
    })
}

fn parse_query_form(mut query: QueryAuth<'_>) -> Result<AuthParams<'_>, SigV4Error> {
    let missing: Vec<&str> = PRESIGN_PARAMS
        .iter()
        .zip(&query.values)
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(SigV4Error::incomplete(format!(
            "AWS query-string parameters must include '{}'. Re-examine the query-string \
             parameters.",
            missing.join("', '")
        )));
    }
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(amz_date),
        Some(signed_headers),
        Some(expires),
    ) = (
        query.take(0),
        query.take(1),
        query.take(2),
        query.take(3),
        query.take(4),
        query.take(5),
    )
    else {
        return Err(SigV4Error::incomplete(
            "AWS query-string parameters are incomplete. Re-examine the query-string parameters.",
        ));
    };
    if algorithm != ALGORITHM {
        return Err(unsupported_algorithm(&algorithm));
    }
    let expires = parse_expires(&expires)?;
    let time = parse_amz_date(&amz_date)?;
    check_signed_headers(&signed_headers, None)?;
    Ok(AuthParams {
        form: AuthForm::Query,
        credential,
        signed_headers,
        signature,
        amz_date,
        time,
        expires: Some(expires),
        security_token: query.token,
    })
}

fn unsupported_algorithm(algorithm: &str) -> SigV4Error {
    SigV4Error::incomplete(format!(
        "Unsupported AWS 'algorithm': '{algorithm}'. Only '{ALGORITHM}' is supported"
    ))
}

/// `SignedHeaders` must be non-empty and name `host`; in the header form also the header that
/// carries the request time.
fn check_signed_headers(signed: &str, date_header: Option<&str>) -> Result<(), SigV4Error> {
    // One byte-wise pass (names are short, so a searcher per name costs more than it saves).
    let (mut empty, mut host, mut date) = (signed.is_empty(), false, date_header.is_none());
    for name in signed.as_bytes().split(|&b| b == b';') {
        empty |= name.is_empty();
        host |= name == b"host";
        date |= date_header.is_some_and(|d| name == d.as_bytes());
    }
    if empty {
        return Err(SigV4Error::incomplete(format!(
            "SignedHeaders must be a non-empty ';'-separated list of header names, not '{signed}'"
        )));
    }
    if !host {
        return Err(SigV4Error::incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if let Some(date_header) = date_header {
        if !date {
            let shown = if date_header == "date" {
                "Date"
            } else {
                "X-Amz-Date"
            };
            return Err(SigV4Error::incomplete(format!(
                "'{shown}' must be a 'SignedHeader' in the AWS Authorization."
            )));
        }
    }
    Ok(())
}

/// Presigned validity, 1..=604800 seconds.
fn parse_expires(raw: &str) -> Result<u32, SigV4Error> {
    if raw.starts_with('-') && raw.len() > 1 && raw.bytes().skip(1).all(|b| b.is_ascii_digit()) {
        return Err(SigV4Error::incomplete("X-Amz-Expires must be non-negative"));
    }
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigV4Error::incomplete(format!(
            "X-Amz-Expires should be a number, not '{raw}'"
        )));
    }
    match raw.parse::<u64>() {
        Ok(0) => Err(SigV4Error::incomplete(
            "X-Amz-Expires must be at least 1 second",
        )),
        Ok(seconds @ 1..=604_800) => Ok(u32::try_from(seconds).unwrap_or(604_800)),
        _ => Err(SigV4Error::incomplete(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        )),
    }
}

fn bad_date(value: &str) -> SigV4Error {
    SigV4Error::incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{value}'. See \
         http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, byte| {
        byte.is_ascii_digit()
            .then(|| acc * 10 + u32::from(byte - b'0'))
    })
}

/// Parses `YYYYMMDD'T'HHMMSS'Z'`.
pub(crate) fn parse_amz_date(value: &str) -> Result<DateTime<Utc>, SigV4Error> {
    let bytes = value.as_bytes();
    if bytes.len() != 16 || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return Err(bad_date(value));
    }
    let field = |range: std::ops::Range<usize>| bytes.get(range).and_then(digits);
    let parsed = (|| {
        let year = i32::try_from(field(0..4)?).ok()?;
        NaiveDate::from_ymd_opt(year, field(4..6)?, field(6..8)?)?
            .and_hms_opt(field(9..11)?, field(11..13)?, field(13..15)?)
            .map(|naive| naive.and_utc())
    })();
    parsed.ok_or_else(|| bad_date(value))
}

/// Parses an RFC 1123 `Date` header (`Sun, 30 Aug 2015 12:36:00 GMT`).
fn parse_http_date(value: &str) -> Result<DateTime<Utc>, SigV4Error> {
    DateTime::parse_from_rfc2822(value)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| bad_date(value))
}

/// Formats a time as `YYYYMMDD'T'HHMMSS'Z'`.
pub(crate) fn format_amz_date(time: DateTime<Utc>) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::Payload;

    fn request(query: &str, headers: &[(&str, &str)]) -> SignedRequest {
        SignedRequest {
            method: "POST".into(),
            path: "/".into(),
            query: query.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            payload: Payload::Body(Vec::new()),
        }
    }

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, \
                        SignedHeaders=host;x-amz-date, Signature=abc";

    #[test]
    fn header_form_is_parsed_with_optional_whitespace() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request,SignedHeaders=host;x-amz-date ,  Signature=abc";
        let req = request(
            "",
            &[
                ("Host", "h"),
                ("X-Amz-Date", "20150830T123600Z"),
                ("Authorization", auth),
            ],
        );
        let params = parse_auth(&req).unwrap();
        assert_eq!(params.form, AuthForm::Header);
        assert_eq!(
            params.credential,
            "AKID/20150830/us-east-1/sts/aws4_request"
        );
        assert_eq!(params.signed_headers, "host;x-amz-date");
        assert_eq!(params.signature, "abc");
        assert_eq!(params.amz_date, "20150830T123600Z");
    }

    #[test]
    fn date_header_is_the_fallback_request_time() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=date;host, Signature=abc";
        let req = request(
            "",
            &[
                ("Host", "h"),
                ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
                ("Authorization", auth),
            ],
        );
        let params = parse_auth(&req).unwrap();
        assert_eq!(params.amz_date, "20150830T123600Z");
        assert_eq!(params.time, parse_amz_date("20150830T123600Z").unwrap());
    }

    #[test]
    fn missing_parts_are_listed_in_aws_order() {
        let req = request(
            "",
            &[("Host", "h"), ("Authorization", "AWS4-HMAC-SHA256 Foo=bar")],
        );
        let error = parse_auth(&req).unwrap_err();
        assert_eq!(error.code(), "IncompleteSignature");
        assert_eq!(
            error.message(),
            "Authorization header requires 'Credential' parameter. Authorization header \
             requires 'Signature' parameter. Authorization header requires 'SignedHeaders' \
             parameter. Authorization header requires existence of either a 'X-Amz-Date' or a \
             'Date' header. Authorization=AWS4-HMAC-SHA256 Foo=bar"
        );
    }

    #[test]
    fn missing_date_alone_is_incomplete() {
        let req = request("", &[("Host", "h"), ("Authorization", AUTH)]);
        let error = parse_auth(&req).unwrap_err();
        assert_eq!(error.code(), "IncompleteSignature");
        assert!(error.message().starts_with(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        ));
    }

    #[test]
    fn a_part_without_equal_sign_is_incomplete() {
        let auth = "AWS4-HMAC-SHA256 Credential AKID/20150830/us-east-1/sts/aws4_request";
        let req = request("", &[("Authorization", auth)]);
        let error = parse_auth(&req).unwrap_err();
        assert!(error
            .message()
            .contains("not a valid key=value pair (missing equal-sign)"));
    }

    #[test]
    fn sigv4a_and_other_algorithms_are_rejected() {
        let auth = AUTH.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256");
        let req = request(
            "",
            &[("X-Amz-Date", "20150830T123600Z"), ("Authorization", &auth)],
        );
        let error = parse_auth(&req).unwrap_err();
        assert_eq!(error.code(), "IncompleteSignature");
        assert!(error.message().contains("AWS4-ECDSA-P256-SHA256"));
    }

    #[test]
    fn unsigned_host_is_incomplete() {
        let auth = AUTH.replace("host;x-amz-date", "x-amz-date");
        let req = request(
            "",
            &[("X-Amz-Date", "20150830T123600Z"), ("Authorization", &auth)],
        );
        let error = parse_auth(&req).unwrap_err();
        assert_eq!(
            error.message(),
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        );
    }

    #[test]
    fn unsigned_x_amz_date_is_incomplete() {
        let auth = AUTH.replace("host;x-amz-date", "host");
        let req = request(
            "",
            &[("X-Amz-Date", "20150830T123600Z"), ("Authorization", &auth)],
        );
        let error = parse_auth(&req).unwrap_err();
        assert_eq!(error.code(), "IncompleteSignature");
        assert!(error
            .message()
            .contains("'X-Amz-Date' must be a 'SignedHeader'"));
    }

    #[test]
    fn bad_request_time_is_incomplete() {
        let req = request(
            "",
            &[
                ("X-Amz-Date", "2015-08-30T12:36:00Z"),
                ("Authorization", AUTH),
            ],
        );
        let error = parse_auth(&req).unwrap_err();
        assert_eq!(
            error.message(),
            "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
        );
        assert!(parse_amz_date("20150230T123600Z").is_err());
        assert!(parse_amz_date("20150830T246000Z").is_err());
    }

    #[test]
    fn no_authentication_at_all_is_missing_authentication_token() {
        let req = request("Action=GetCallerIdentity", &[("Host", "h")]);
        assert_eq!(
            parse_auth(&req).unwrap_err(),
            SigV4Error::MissingAuthenticationToken
        );
    }

    #[test]
    fn header_and_presigned_query_together_are_rejected() {
        let req = request(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            &[("X-Amz-Date", "20150830T123600Z"), ("Authorization", AUTH)],
        );
        assert_eq!(parse_auth(&req).unwrap_err().code(), "IncompleteSignature");
    }

    #[test]
    fn presigned_form_decodes_its_parameters() {
        let query = "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256\
                     &X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
                     &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host\
                     &X-Amz-Security-Token=a%2Bb&X-Amz-Signature=abc";
        let req = request(query, &[("Host", "h")]);
        let params = parse_auth(&req).unwrap();
        assert_eq!(params.form, AuthForm::Query);
        assert_eq!(
            params.credential,
            "AKID/20150830/us-east-1/sts/aws4_request"
        );
        assert_eq!(params.expires, Some(60));
        assert_eq!(params.security_token.as_deref(), Some("a+b"));
    }

    #[test]
    fn presigned_form_lists_missing_parameters() {
        let req = request("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=x", &[]);
        assert_eq!(
            parse_auth(&req).unwrap_err().message(),
            "AWS query-string parameters must include 'X-Amz-Credential', 'X-Amz-Signature', \
             'X-Amz-SignedHeaders', 'X-Amz-Expires'. Re-examine the query-string parameters."
        );
    }

    #[test]
    fn expires_outside_one_second_to_one_week_is_rejected() {
        assert_eq!(parse_expires("1").unwrap(), 1);
        assert_eq!(parse_expires("604800").unwrap(), 604_800);
        for bad in ["0", "604801", "-5", "", "1e3", "99999999999999999999"] {
            assert_eq!(
                parse_expires(bad).unwrap_err().code(),
                "IncompleteSignature",
                "{bad}"
            );
        }
    }

    #[test]
    fn amz_date_round_trips() {
        let time = parse_amz_date("20261129T082600Z").unwrap();
        assert_eq!(format_amz_date(time), "20261129T082600Z");
    }
}
