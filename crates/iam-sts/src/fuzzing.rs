//! Stage: entry points for the cargo-fuzz targets in `fuzz/` (hidden from the docs).
//!
//! Input: arbitrary bytes from the fuzzer.
//! Output: nothing; each function returns normally for every input and panics only when an
//! invariant breaks (so the fuzzer reports it).
//! Never: reads the clock, the OS random source or the file system.

use chrono::{DateTime, Utc};

use crate::clock::SeededRandom;
use crate::keyring::KeyRing;
use crate::token;

/// The fixed instant the token fuzz target runs at.
fn token_fuzz_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

/// Opens `data` as a session token against a fixed key ring, as text and as decoded bytes, and
/// decodes it as a record plaintext; a record that decodes must seal and open back to itself.
///
/// # Panics
/// When a decodable record does not survive sealing and opening unchanged.
#[expect(
    clippy::panic,
    reason = "a fuzz harness reports a broken invariant by panicking"
)]
pub fn token_open(data: &[u8]) {
    let now = token_fuzz_now();
    let rng = SeededRandom::new(0x5eed);
    let Ok(ring) = KeyRing::generate(now, &rng) else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = token::open(text, &ring, now);
    }
    let mut raw = data.to_vec();
    let _ = token::internals::open_raw(&mut raw, &ring, now);
    if let Some(record) = token::internals::decode(data) {
        let Ok(sealed) = token::seal(&record, &ring, now, &rng) else {
            return;
        };
        let reopened = token::internals::open_raw(
            &mut base64::Engine::decode(&base64::engine::general_purpose::STANDARD, sealed)
                .unwrap_or_default(),
            &ring,
            now,
        );
        let same = reopened.is_ok_and(|mut r| {
            r.key_id = record.key_id;
            r == record
        });
        if !same {
            panic!("a decoded record did not survive sealing and opening");
        }
    }
}
