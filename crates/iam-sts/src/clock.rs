//! Stage: injected sources of time and randomness for the token service.
//!
//! Input: nothing but the operating system (for [`SystemClock`] and [`OsRandom`]) or a test's
//! choices (for [`FixedClock`] and [`SeededRandom`]).
//! Output: the current instant and random bytes, behind the [`Clock`] and [`Random`] traits so
//! every issuing and verifying path can be tested deterministically.
//! Never: reads the system clock or the OS random source anywhere else in the crate, and never
//! implements a cipher of its own ([`SeededRandom`] only uses SHA-256 as a PRF).

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from(std::time::SystemTime::now())
    }
}

/// A clock that shows whatever instant it was last set to; for tests.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock stopped at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Moves the clock to `now` (forwards or backwards).
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock forwards by `by` (backwards when `by` is negative).
    pub fn advance(&self, by: chrono::Duration) {
        let mut guard = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *guard = guard.checked_add_signed(by).unwrap_or(*guard);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The random source could not deliver bytes.
#[derive(Debug, Clone, thiserror::Error)]
#[error("random source failed: {0}")]
pub struct RandomError(String);

/// A source of cryptographically strong random bytes (or, in tests, reproducible ones).
pub trait Random: Send + Sync {
    /// Fills `buf` completely with random bytes.
    ///
    /// # Errors
    /// [`RandomError`] when the source cannot deliver; `buf` must then not be used.
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError>;
}

/// The operating system's random source (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        getrandom::getrandom(buf).map_err(|e| RandomError(e.to_string()))
    }
}

/// A cryptographically secure generator per thread (rand's `ThreadRng`: ChaCha12 seeded
/// from the operating system and reseeded from it periodically), for the hot paths that
/// draw key ids, secrets and nonces on every request: no system call per draw, where
/// [`OsRandom`] costs one each (three per AssumeRole, about 5% of its CPU in the server).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadRandom;

impl Random for ThreadRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        use rand::TryRngCore as _;
        rand::rng()
            .try_fill_bytes(buf)
            .map_err(|e| RandomError(e.to_string()))
    }
}

/// A deterministic byte stream for tests: block `i` is `SHA-256("iam-sts seeded random" ‖ seed ‖ i)`.
///
/// Never use it outside tests: anyone who knows the seed knows every byte.
#[derive(Debug)]
pub struct SeededRandom {
    seed: [u8; 32],
    counter: Mutex<u64>,
}

impl SeededRandom {
    /// A stream determined entirely by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut expanded = [0_u8; 32];
        for (dst, src) in expanded.iter_mut().zip(seed.to_be_bytes()) {
            *dst = src;
        }
        Self {
            seed: expanded,
            counter: Mutex::new(0),
        }
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        let mut counter = self.counter.lock().unwrap_or_else(PoisonError::into_inner);
        for chunk in buf.chunks_mut(32) {
            let block = Sha256::new()
                .chain_update(b"iam-sts seeded random")
                .chain_update(self.seed)
                .chain_update(counter.to_be_bytes())
                .finalize();
            for (dst, src) in chunk.iter_mut().zip(block) {
                *dst = src;
            }
            *counter = counter.wrapping_add(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn thread_random_fills_every_byte_with_fresh_values() {
        let (mut a, mut b) = ([0_u8; 64], [0_u8; 64]);
        ThreadRandom.fill(&mut a).unwrap();
        ThreadRandom.fill(&mut b).unwrap();
        assert_ne!(a, b);
        // 64 zero bytes at the end would mean a short fill (chance 2^-512 otherwise).
        assert_ne!(a.get(32..), Some(&[0_u8; 32][..]));
        let from_other_thread = std::thread::spawn(|| {
            let mut c = [0_u8; 64];
            ThreadRandom.fill(&mut c).map(|()| c)
        })
        .join()
        .unwrap()
        .unwrap();
        assert_ne!(a, from_other_thread);
    }

    #[test]
    fn fixed_clock_reports_what_it_was_set_to() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let clock = FixedClock::new(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(chrono::Duration::seconds(90));
        assert_eq!(clock.now(), t0 + chrono::Duration::seconds(90));
        let t1 = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        clock.set(t1);
        assert_eq!(clock.now(), t1);
    }

    #[test]
    fn system_clock_is_close_to_utc_now() {
        let delta = SystemClock.now() - DateTime::<Utc>::from(std::time::SystemTime::now());
        assert!(delta.num_seconds().abs() < 5);
    }

    #[test]
    fn seeded_random_is_reproducible_and_seed_dependent() {
        let (a, b, c) = (
            SeededRandom::new(7),
            SeededRandom::new(7),
            SeededRandom::new(8),
        );
        let (mut x, mut y, mut z) = ([0_u8; 45], [0_u8; 45], [0_u8; 45]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        c.fill(&mut z).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, z);
        let mut next = [0_u8; 45];
        a.fill(&mut next).unwrap();
        assert_ne!(x, next, "successive fills must differ");
    }

    #[test]
    fn os_random_fills_the_whole_buffer() {
        let mut a = [0_u8; 64];
        let mut b = [0_u8; 64];
        OsRandom.fill(&mut a).unwrap();
        OsRandom.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0_u8; 64]);
    }
}
