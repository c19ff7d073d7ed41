//! Fuzz target `json`: arbitrary bytes through the spanned JSON reader.
//!
//! Input: bytes from libFuzzer. Output: nothing; the invariants (spans in bounds and on
//! char boundaries, agreement with serde_json) live in `iam_policy::fuzzing::json`,
//! which panics when one breaks. Must never contain checks of its own.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iam_policy::fuzzing::json(data);
});
