//! Fuzz target `token_open`: arbitrary bytes opened as a session token and decoded as a token
//! record.
//!
//! Input: bytes from libFuzzer. Output: nothing; the checks (no panic while opening, decoded
//! records survive sealing) live in `iam_sts::fuzzing::token_open`. Must never contain checks
//! of its own.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iam_sts::fuzzing::token_open(data);
});
