#![no_main]
//! Fuzz the evaluator: a policy text and a request, split at the first NUL byte.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iam_policy::fuzzing::evaluate(data);
});
