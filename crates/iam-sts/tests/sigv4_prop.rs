//! Property tests of SigV4: whatever request is signed verifies, and changing any byte of
//! the signature, any signed header value, the query or the body makes verification fail.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers outside #[test] functions fail loudly on impossible states"
)]

use chrono::{DateTime, TimeZone, Utc};
use iam_sts::sigv4::{
    presign, sign, verify, Payload, SecretKey, SigV4Error, SignedRequest, SigningParams,
};
use proptest::prelude::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 8, 26, 0).unwrap()
}

fn lookup(access_key_id: &str, _token: Option<&str>) -> Result<SecretKey, SigV4Error> {
    if access_key_id == "AKIAIOSFODNN7EXAMPLE" {
        Ok(SecretKey::new(SECRET))
    } else {
        Err(SigV4Error::InvalidClientTokenId)
    }
}

fn header_name() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9-]{0,12}".prop_filter("reserved names", |name| {
        let lower = name.to_ascii_lowercase();
        lower != "authorization"
            && lower != "host"
            && lower != "date"
            && !lower.starts_with("x-amz-")
    })
}

prop_compose! {
    fn request()(
        method in prop::sample::select(vec!["GET", "POST", "PUT"]),
        path in prop::sample::select(vec!["/", "/a/b", "//x/./y/../z", "/%2F%20é", "/a b/$"]),
        query in prop::collection::vec(("[A-Za-z0-9._~%-]{1,8}", "[ -~]{0,8}"), 0..4),
        headers in prop::collection::vec((header_name(), "[ -~]{0,16}"), 0..5),
        body in prop::collection::vec(any::<u8>(), 0..48),
    ) -> SignedRequest {
        let query: Vec<String> = query
            .into_iter()
            .map(|(name, value)| format!("{name}={}", value.replace(['&', '#'], "_")))
            .collect();
        let mut req = SignedRequest::new(method, path).with_header("Host", "127.0.0.1:18443");
        req.query = query.join("&");
        for (name, value) in headers {
            req.headers.push((name, value));
        }
        req.payload = Payload::Body(body);
        req
    }
}

fn header_signed(mut req: SignedRequest) -> SignedRequest {
    let secret = SecretKey::new(SECRET);
    let params = SigningParams::new("AKIAIOSFODNN7EXAMPLE", &secret, "us-east-1", "sts", now());
    sign(&mut req, &params).unwrap();
    req
}

fn query_signed(mut req: SignedRequest) -> SignedRequest {
    let secret = SecretKey::new(SECRET);
    let params = SigningParams::new("AKIAIOSFODNN7EXAMPLE", &secret, "us-east-1", "sts", now());
    presign(&mut req, &params, 300).unwrap();
    req
}

fn fails(req: &SignedRequest) -> bool {
    verify(req, now(), &lookup).is_err()
}

/// Replaces byte `index` of the signature that follows `marker` in `text` with `byte`.
fn flip_signature(text: &mut String, marker: &str, index: usize, byte: u8) -> bool {
    let start = text.rfind(marker).unwrap() + marker.len();
    let mut bytes = text.clone().into_bytes();
    let position = start + index;
    if bytes[position] == byte {
        return false;
    }
    bytes[position] = byte;
    *text = String::from_utf8_lossy(&bytes).into_owned();
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_signed_request_verifies_in_both_forms(req in request()) {
        prop_assert!(verify(&header_signed(req.clone()), now(), &lookup).is_ok());
        prop_assert!(verify(&query_signed(req), now(), &lookup).is_ok());
    }

    #[test]
    fn flipping_any_signature_byte_fails(req in request(), index in 0usize..64, byte in any::<u8>()) {
        let mut signed = header_signed(req.clone());
        let auth = &mut signed.headers.iter_mut().find(|(n, _)| n == "Authorization").unwrap().1;
        if flip_signature(auth, "Signature=", index, byte) {
            prop_assert!(fails(&signed));
        }
        let mut presigned = query_signed(req);
        if flip_signature(&mut presigned.query, "X-Amz-Signature=", index, byte) {
            prop_assert!(fails(&presigned));
        }
    }

    #[test]
    fn changing_a_signed_header_value_fails(
        req in request(),
        pick in any::<prop::sample::Index>(),
        extra in "[!-~]{1,4}",
    ) {
        let mut signed = header_signed(req);
        let signable: Vec<usize> = signed
            .headers
            .iter()
            .enumerate()
            .filter(|(_, (name, _))| name != "Authorization")
            .map(|(i, _)| i)
            .collect();
        let index = *pick.get(&signable);
        signed.headers[index].1.push_str(&extra);
        prop_assert!(fails(&signed));
    }

    #[test]
    fn changing_the_query_fails(req in request(), name in "[A-Za-z0-9]{1,6}", value in "[A-Za-z0-9]{0,6}") {
        let mut signed = header_signed(req.clone());
        signed.query = if signed.query.is_empty() {
            format!("{name}={value}")
        } else {
            format!("{}&{name}={value}", signed.query)
        };
        prop_assert!(fails(&signed));
        let mut presigned = query_signed(req);
        presigned.query = format!("{name}={value}&{}", presigned.query);
        prop_assert!(fails(&presigned));
    }

    #[test]
    fn changing_the_body_fails(req in request(), other in prop::collection::vec(any::<u8>(), 0..48)) {
        let signed = header_signed(req.clone());
        prop_assume!(Payload::Body(other.clone()) != signed.payload);
        let mut changed = signed;
        changed.payload = Payload::Body(other.clone());
        prop_assert!(fails(&changed));
        let mut presigned = query_signed(req);
        prop_assume!(Payload::Body(other.clone()) != presigned.payload);
        presigned.payload = Payload::Body(other);
        prop_assert!(fails(&presigned));
    }
}
