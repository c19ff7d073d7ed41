//! Fuzzing entry point for SigV4 (called by `fuzz/fuzz_targets/sigv4.rs`).
//!
//! Input: arbitrary bytes, read as a request: first line the method, second line the
//! request target (`path?query`), then `name:value` header lines up to an empty line, then
//! the body. Output: whether signing and verifying agreed. It must never panic; a `false`
//! result means the signer and the verifier canonicalised the same request differently.

use chrono::DateTime;

use super::canonical::percent_decode;
use super::{
    canonicalize, presign, sign, verify_with, Payload, SecretKey, SigV4Error, SignedRequest,
    SigningParams, VerifierConfig,
};

/// 2015-08-30T12:36:00Z, the time of the AWS test suite.
const FUZZ_NOW: i64 = 1_440_938_160;
const FUZZ_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Splits fuzzer bytes into a request.
pub fn request_from_bytes(data: &[u8]) -> SignedRequest {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let method = lines.next().unwrap_or_default();
    let target = lines.next().unwrap_or_default();
    let mut req = SignedRequest::new(method, target);
    let mut body = String::new();
    let mut in_body = false;
    for line in lines {
        if in_body {
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(line);
        } else if line.is_empty() {
            in_body = true;
        } else {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            req.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    req.payload = Payload::Body(body.into_bytes());
    req
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Verifies the request read from `data` (result ignored), then signs it in both forms and
/// verifies those. Returns `false` when a request our signer produced fails verification with
/// `SignatureDoesNotMatch`, i.e. when signer and verifier disagree.
pub fn verify_bytes(data: &[u8]) -> bool {
    let Some(now) = DateTime::from_timestamp(FUZZ_NOW, 0) else {
        return true;
    };
    let config = VerifierConfig {
        service: "service".into(),
        ..VerifierConfig::sts()
    };
    let lookup = |_: &str, _: Option<&str>| Ok(SecretKey::new(FUZZ_SECRET));
    let mut req = request_from_bytes(data);
    let _ = verify_with(&config, &req, now, &lookup);
    let _ = canonicalize(&req);

    // Round trips: real HTTP header names are tokens.
    req.headers.retain(|(name, _)| is_token(name));
    if percent_decode(&req.query).contains("X-Amz-") {
        return true;
    }
    let secret = SecretKey::new(FUZZ_SECRET);
    let mut params = SigningParams::new("AKIDEXAMPLE", &secret, "us-east-1", "service", now);
    params.add_content_sha256 = true;
    let disagree = |result: Result<_, SigV4Error>| {
        matches!(result, Err(SigV4Error::SignatureDoesNotMatch { .. }))
    };
    let mut header_form = req.clone();
    if sign(&mut header_form, &params).is_ok()
        && disagree(verify_with(&config, &header_form, now, &lookup))
    {
        return false;
    }
    let mut query_form = req;
    query_form
        .headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
    params.add_content_sha256 = false;
    query_form
        .headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case("x-amz-content-sha256"));
    !(presign(&mut query_form, &params, 300).is_ok()
        && disagree(verify_with(&config, &query_form, now, &lookup)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_split_into_method_target_headers_and_body() {
        let req = request_from_bytes(b"POST\n/a?b=c\nHost:h\nX:1:2\n\nbody\nmore");
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/a");
        assert_eq!(req.query, "b=c");
        assert_eq!(req.headers.len(), 2);
        assert_eq!(req.headers[1], ("X".to_owned(), "1:2".to_owned()));
        assert_eq!(req.payload, Payload::Body(b"body\nmore".to_vec()));
    }

    #[test]
    fn signer_and_verifier_agree_on_awkward_requests() {
        let inputs: [&[u8]; 6] = [
            b"GET\n/\nHost:example.amazonaws.com\n",
            b"POST\n//a/./b/../%2F c?z=1&a=%zz&a=+&&q\nHost: h \nMy:  a   b \nmy:c\n\nx=1",
            b"GET\n/?X-Amz-Date=1\nHost:h\n",
            b"\n\n",
            b"GET\n/\n:authority:h\nx-amz-content-sha256:bad\n",
            b"\xff\xfe\n/\xc3\nHost:\xe1\x88\xb4\n",
        ];
        for input in inputs {
            assert!(verify_bytes(input), "{}", String::from_utf8_lossy(input));
        }
    }
}
