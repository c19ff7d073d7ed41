//! Fuzz target `query_form`: arbitrary bytes through the awsQuery parameter parser.
//!
//! Input: bytes from libFuzzer. Output: nothing; the invariants live in
//! `iam_server::fuzzing::query_form`, which panics when one breaks. Must never contain
//! checks of its own.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iam_server::fuzzing::query_form(data);
});
