//! Fuzz target: SigV4 verification of arbitrary requests (`iam_sts::sigv4::fuzzing`).
//!
//! Input: arbitrary bytes split into method, target, headers and body. It must never panic,
//! and a request signed by our signer must never fail verification with a mismatch.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(
        iam_sts::sigv4::fuzzing::verify_bytes(data),
        "signer and verifier canonicalised the same request differently"
    );
});
