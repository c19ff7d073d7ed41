//! SigV4 keys: the secret access key and the derived signing key.
//!
//! Input: a secret access key (from a key directory or from inside a session token) and a
//! credential scope. Output: `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region),
//! service), "aws4_request")` and HMAC-SHA256 signatures (wire-protocol.md §6.4).
//! It must never print, log or keep an unzeroed copy of a secret: `Debug` shows `***` and
//! every buffer holding key material is zeroed on drop.

use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

type HmacSha256 = Hmac<Sha256>;

/// A secret access key. Its `Debug` form never shows the secret, and the memory holding it
/// (and any signing key derived from it) is zeroed when the last clone is dropped.
///
/// Clones share the secret and a one-entry cache of the last derived signing key
/// (wire-protocol.md §6.4 allows caching `kSigning` per secret, date, region and service), so
/// a key directory that hands out clones of its keys saves four HMACs per request.
#[derive(Clone)]
pub struct SecretKey {
    inner: Arc<SecretInner>,
}

struct SecretInner {
    /// `"AWS4" + secret`, the HMAC key of the first derivation step.
    prefixed: Zeroizing<Vec<u8>>,
    /// The last derived signing key and its scope. Only ever `try_lock`ed: a busy or poisoned
    /// cache is skipped, never waited for.
    cache: Mutex<Option<CachedKey>>,
}

struct CachedKey {
    /// Date, region and service written one after the other (one allocation, not three).
    scope: String,
    date_len: usize,
    region_len: usize,
    key: Zeroizing<[u8; 32]>,
}

impl CachedKey {
    /// Whether this key was derived for exactly this scope.
    fn is_for(&self, date: &str, region: &str, service: &str) -> bool {
        let split = self.date_len + self.region_len;
        self.date_len == date.len()
            && self.region_len == region.len()
            && self.scope.get(..self.date_len) == Some(date)
            && self.scope.get(self.date_len..split) == Some(region)
            && self.scope.get(split..) == Some(service)
    }
}

impl SecretKey {
    /// Wraps a secret access key such as `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`.
    pub fn new(secret: &str) -> Self {
        let mut prefixed = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
        prefixed.extend_from_slice(b"AWS4");
        prefixed.extend_from_slice(secret.as_bytes());
        Self {
            inner: Arc::new(SecretInner {
                prefixed,
                cache: Mutex::new(None),
            }),
        }
    }

    /// Derives the signing key for one credential scope (or takes it from the cache).
    pub(crate) fn signing_key(&self, date: &str, region: &str, service: &str) -> SigningKey {
        if let Ok(cache) = self.inner.cache.try_lock() {
            if let Some(cached) = cache.as_ref() {
                if cached.is_for(date, region, service) {
                    return SigningKey(*cached.key);
                }
            }
        }
        let mut k_date = hmac_sha256(&self.inner.prefixed, &[date.as_bytes()]);
        let mut k_region = hmac_sha256(&k_date, &[region.as_bytes()]);
        let mut k_service = hmac_sha256(&k_region, &[service.as_bytes()]);
        let k_signing = hmac_sha256(&k_service, &[b"aws4_request"]);
        k_date.zeroize();
        k_region.zeroize();
        k_service.zeroize();
        if let Ok(mut cache) = self.inner.cache.try_lock() {
            let mut scope = String::with_capacity(date.len() + region.len() + service.len());
            scope.push_str(date);
            scope.push_str(region);
            scope.push_str(service);
            *cache = Some(CachedKey {
                scope,
                date_len: date.len(),
                region_len: region.len(),
                key: Zeroizing::new(k_signing),
            });
        }
        SigningKey(k_signing)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretKey(***)")
    }
}

/// A derived signing key, zeroed on drop.
pub(crate) struct SigningKey([u8; 32]);

impl SigningKey {
    /// HMAC-SHA256 of the concatenation of `parts` under this key.
    pub(crate) fn sign(&self, parts: &[&[u8]]) -> [u8; 32] {
        hmac_sha256(&self.0, parts)
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SigningKey(***)")
    }
}

/// HMAC-SHA256 of the concatenation of `parts`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    #[expect(
        clippy::expect_used,
        reason = "HMAC accepts keys of every length; new_from_slice never fails for Hmac"
    )]
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::canonical::hex32;

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let shown = format!("{key:?}");
        assert_eq!(shown, "SecretKey(***)");
        let signing = key.signing_key("20150830", "us-east-1", "iam");
        assert_eq!(format!("{signing:?}"), "SigningKey(***)");
    }

    #[test]
    fn signing_key_matches_the_documented_example() {
        // AWS General Reference, "Examples of how to derive a signing key for SigV4".
        let key = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let signing = key.signing_key("20120215", "us-east-1", "iam");
        assert_eq!(
            std::str::from_utf8(&hex32(&signing.0)).unwrap(),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cached_signing_key_is_reused_only_for_the_same_scope() {
        let key = SecretKey::new("secret");
        let shared = key.clone();
        let first = key.signing_key("20261129", "us-east-1", "sts").0;
        assert_eq!(shared.signing_key("20261129", "us-east-1", "sts").0, first);
        for (date, region, service) in [
            ("20261130", "us-east-1", "sts"),
            ("20261129", "eu-west-1", "sts"),
            ("20261129", "us-east-1", "iam"),
        ] {
            let other = shared.signing_key(date, region, service).0;
            assert_ne!(other, first);
            assert_eq!(
                other,
                SecretKey::new("secret")
                    .signing_key(date, region, service)
                    .0
            );
        }
        assert_eq!(key.signing_key("20261129", "us-east-1", "sts").0, first);
    }

    #[test]
    fn cached_scope_pieces_are_not_confused_across_boundaries() {
        let key = SecretKey::new("secret");
        let first = key.signing_key("20261129", "ab", "c").0;
        for (date, region, service) in [("20261129", "a", "bc"), ("20261129a", "b", "c")] {
            assert_eq!(
                key.signing_key(date, region, service).0,
                SecretKey::new("secret")
                    .signing_key(date, region, service)
                    .0
            );
            assert_ne!(key.signing_key(date, region, service).0, first);
        }
    }

    #[test]
    fn hmac_of_parts_equals_hmac_of_concatenation() {
        assert_eq!(
            hmac_sha256(b"k", &[b"ab", b"", b"c"]),
            hmac_sha256(b"k", &[b"abc"])
        );
    }
}
