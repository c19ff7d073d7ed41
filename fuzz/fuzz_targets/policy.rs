//! Fuzz target `policy`: arbitrary bytes through the whole policy check (JSON reader,
//! grammar, validation, condition compilation) as every policy type, plus a render →
//! parse round trip of accepted documents. The invariants live in
//! `iam_policy::fuzzing::policy`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iam_policy::fuzzing::policy(data);
});
