//! Benches of the token service (`iam-sts`).
//!
//! `sigv4_verify`: verification of a header-signed AssumeRole POST shaped like the one
//! botocore sends, with the key cloned from a directory so the signing-key cache hits
//! (target ≤ 5 µs). `sigv4_verify_uncached_key`: the same with a fresh key per request
//! (temporary credentials). `sigv4_verify_presigned`: a presigned GetCallerIdentity GET with
//! a session token and a fresh key. Inputs are signed once outside the timed loop; every iteration
//! runs the full verification (parse, time, scope, lookup, canonical request, key
//! derivation, signature comparison).

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{criterion_main, Criterion};
use iam_sts::sigv4::{
    presign, sign, verify, SecretKey, SecretLookup, SigV4Error, SignedRequest, SigningParams,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ASSUME_ROLE_BODY: &str = "Action=AssumeRole&Version=2011-06-15\
    &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=John-session\
    &DurationSeconds=1800&Tags.member.1.Key=Project&Tags.member.1.Value=Blue+Sky";

/// A lookup that builds a fresh key per request, as for temporary credentials whose
/// secret is unsealed from the session token (no signing-key cache hit).
fn fresh_lookup(access_key_id: &str, token: Option<&str>) -> Result<SecretKey, SigV4Error> {
    match (access_key_id, token) {
        ("AKIAIOSFODNN7EXAMPLE", _) | ("ASIAIOSFODNN7EXAMPLE", Some(_)) => {
            Ok(SecretKey::new(SECRET))
        }
        _ => Err(SigV4Error::InvalidClientTokenId),
    }
}

fn bench_sigv4(c: &mut Criterion) {
    let Some(now) = Utc.with_ymd_and_hms(2026, 11, 29, 8, 26, 0).single() else {
        return;
    };
    let secret = SecretKey::new(SECRET);

    let mut header_signed = SignedRequest::new("POST", "/")
        .with_header("Host", "127.0.0.1:18443")
        .with_header("Accept-Encoding", "identity")
        .with_header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .with_header(
            "User-Agent",
            "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux",
        )
        .with_header(
            "amz-sdk-invocation-id",
            "0d623585-b669-4a7d-bf71-b15844a28814",
        )
        .with_header("amz-sdk-request", "attempt=1; max=3")
        .with_body(ASSUME_ROLE_BODY);
    let params = SigningParams::new("AKIAIOSFODNN7EXAMPLE", &secret, "us-east-1", "sts", now);
    if let Err(error) = sign(&mut header_signed, &params) {
        eprintln!("skipped: cannot sign the bench request: {error}");
        return;
    }

    let mut presigned = SignedRequest::new("GET", "/?Action=GetCallerIdentity&Version=2011-06-15")
        .with_header("Host", "127.0.0.1:18443");
    let mut params = SigningParams::new("ASIAIOSFODNN7EXAMPLE", &secret, "eu-west-1", "sts", now);
    params.security_token = Some("IQoJb3JpZ2luX2VjEXAMPLETOKEN+/==");
    if let Err(error) = presign(&mut presigned, &params, 60) {
        eprintln!("skipped: cannot presign the bench request: {error}");
        return;
    }

    // Keys held by a directory and handed out as clones share the signing-key cache.
    let directory_key = SecretKey::new(SECRET);
    let directory_lookup = |access_key_id: &str, _token: Option<&str>| match access_key_id {
        "AKIAIOSFODNN7EXAMPLE" | "ASIAIOSFODNN7EXAMPLE" => Ok(directory_key.clone()),
        _ => Err(SigV4Error::InvalidClientTokenId),
    };
    let cases: [(&str, &SignedRequest, &SecretLookup<'_>); 3] = [
        ("sigv4_verify", &header_signed, &directory_lookup),
        ("sigv4_verify_uncached_key", &header_signed, &fresh_lookup),
        ("sigv4_verify_presigned", &presigned, &fresh_lookup),
    ];
    for (name, req, lookup) in cases {
        if let Err(error) = verify(req, now, lookup) {
            eprintln!("skipped {name}: the bench request does not verify: {error}");
            continue;
        }
        c.bench_function(name, |b| {
            b.iter(|| verify(black_box(req), black_box(now), lookup).is_ok())
        });
    }
}

/// The bench group (private, so the generated function needs no documentation).
mod group {
    use criterion::criterion_group;
    criterion_group!(benches, super::bench_sigv4);
}
criterion_main!(group::benches);
