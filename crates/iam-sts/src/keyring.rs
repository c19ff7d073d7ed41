//! Stage: the key ring that seals and opens session tokens.
//!
//! Input: 256-bit AES-256-GCM keys (generated from a [`Random`] or loaded from a JSON
//! file), the current time, and sealed byte strings.
//! Output: authenticated ciphertexts (sealed with the newest active key) and their plaintexts
//! (opened with the key named by the token, unless it is retired).
//! Never: shows key material in `Debug` or error messages, writes a key file readable by
//! group or other, or loads one that is.
//!
//! Rotation rule: [`KeyRing::rotate`] adds a key, which from its creation time on seals every
//! new token (a creation time in the future stages it, so replicas sharing the ring file can
//! all load it before it seals anything); older keys keep opening the tokens they sealed. A superseded key sealed its last token
//! when its successor was created, so it may be dropped once every such token has expired:
//! at `created_at(successor) + MAX_SESSION_DURATION` (36 h, the longest session any
//! operation issues: GetSessionToken and GetFederationToken; role sessions last at most
//! 12 h). [`KeyRing::prune`] applies exactly this rule. [`KeyRing::retire`] is the
//! emergency brake: from the retirement time on, the key opens nothing, which revokes every
//! token it sealed.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce, Tag};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::{Random, RandomError};

/// The longest session any operation issues (GetSessionToken, GetFederationToken): 36 hours.
pub const MAX_SESSION_DURATION_SECS: i64 = 129_600;
/// The longest role session (AssumeRole*): 12 hours.
pub const MAX_ROLE_SESSION_DURATION_SECS: i64 = 43_200;
/// Length of an AEAD nonce in bytes (96 bits).
pub const NONCE_LEN: usize = 12;
/// Length of an AEAD tag in bytes.
pub const TAG_LEN: usize = 16;

const FILE_VERSION: u32 = 1;

/// Why a key-ring operation failed. Never contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    /// No key may seal: the ring is empty or every key is retired.
    #[error("key ring has no active key")]
    NoActiveKey,
    /// No key with this id is in the ring.
    #[error("key `{0}` is not in the key ring")]
    UnknownKey(u32),
    /// The key exists but was retired at or before the time of use.
    #[error("key `{0}` is retired")]
    RetiredKey(u32),
    /// The ciphertext failed authentication (tampered, truncated, or sealed by another key).
    #[error("ciphertext failed authentication")]
    Unauthentic,
    /// The AEAD refused to seal (message too large).
    #[error("sealing failed")]
    SealFailed,
    /// All 2^32 key ids are used.
    #[error("key ids are exhausted")]
    IdsExhausted,
    /// The random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Reading or writing the key ring file failed.
    #[error("key ring file `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The key ring file may be read or written by group or other.
    #[error("key ring file `{path}` is accessible by group or other (mode `{mode:o}`); restrict it to the owner (`chmod 600`)")]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key ring file's content is not a valid key ring.
    #[error("key ring file `{path}` is invalid: {reason}")]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// What is wrong (never key material).
        reason: String,
    },
}

/// What is known about one key, without its material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's id, written in the clear into every token it seals.
    pub id: u32,
    /// When the key was added.
    pub created_at: DateTime<Utc>,
    /// When the key stops opening tokens, if it was retired.
    pub retired_at: Option<DateTime<Utc>>,
}

struct RingKey {
    info: KeyInfo,
    /// Unique within the process: tells this key from another with the same id (a ring
    /// loaded again from a different file numbers its keys from 1 as well).
    instance: u64,
    material: [u8; 32],
    cipher: Aes256Gcm,
}

/// Hands out [`RingKey::instance`] numbers.
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// Names one key of one ring exactly: its id and which loaded copy of key material it is.
/// A cache of opened tokens keeps it to ask [`KeyRing::still_opens`] instead of decrypting
/// again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStamp {
    id: u32,
    instance: u64,
}

impl RingKey {
    fn new(info: KeyInfo, material: [u8; 32]) -> Self {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&material));
        Self {
            info,
            instance: NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed),
            material,
            cipher,
        }
    }

    fn is_retired_at(&self, now: DateTime<Utc>) -> bool {
        self.info.retired_at.is_some_and(|at| at <= now)
    }
}

/// A set of AEAD keys: the newest active one seals, any key not retired opens.
#[derive(Default)]
pub struct KeyRing {
    /// Sorted by id ascending; ids increase with creation.
    keys: Vec<RingKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field(
                "keys",
                &self.keys.iter().map(|k| k.info).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// One sealed message: the key that sealed it, the nonce, and ciphertext with the tag appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the sealing key.
    pub key_id: u32,
    /// The 96-bit nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

impl KeyRing {
    /// An empty ring (it can open and seal nothing until [`KeyRing::rotate`] is called).
    pub fn new() -> Self {
        Self::default()
    }

    /// A ring with one fresh key created at `now`.
    ///
    /// # Errors
    /// [`KeyRingError::Random`] when the random source fails.
    pub fn generate(now: DateTime<Utc>, rng: &dyn Random) -> Result<Self, KeyRingError> {
        let mut ring = Self::new();
        ring.rotate(now, rng)?;
        Ok(ring)
    }

    /// Adds a fresh key created at `now`; it seals every token from `now` on. Returns its id.
    ///
    /// A `now` in the future stages the key: it opens tokens at once but seals only from that
    /// time, so every replica can load it before any replica seals with it.
    ///
    /// # Errors
    /// [`KeyRingError::Random`] when the random source fails; [`KeyRingError::IdsExhausted`]
    /// after 2^32 keys.
    pub fn rotate(&mut self, now: DateTime<Utc>, rng: &dyn Random) -> Result<u32, KeyRingError> {
        let id = match self.keys.last() {
            Some(last) => last
                .info
                .id
                .checked_add(1)
                .ok_or(KeyRingError::IdsExhausted)?,
            None => 1,
        };
        let mut material = [0_u8; 32];
        rng.fill(&mut material)?;
        self.keys.push(RingKey::new(
            KeyInfo {
                id,
                created_at: now,
                retired_at: None,
            },
            material,
        ));
        Ok(id)
    }

    /// Retires key `id` from `at` on: from then it neither seals nor opens, revoking every token
    /// it sealed. Retiring an already retired key moves its retirement time to the earlier of the two.
    ///
    /// # Errors
    /// [`KeyRingError::UnknownKey`] when no key has this id.
    pub fn retire(&mut self, id: u32, at: DateTime<Utc>) -> Result<(), KeyRingError> {
        let key = self
            .keys
            .iter_mut()
            .find(|k| k.info.id == id)
            .ok_or(KeyRingError::UnknownKey(id))?;
        key.info.retired_at = Some(key.info.retired_at.map_or(at, |old| old.min(at)));
        Ok(())
    }

    /// Drops keys that can no longer open any live token: superseded keys whose successor is
    /// older than [`MAX_SESSION_DURATION_SECS`], and keys retired at or before `now`. The newest
    /// key is never dropped unless retired. Returns the ids dropped.
    pub fn prune(&mut self, now: DateTime<Utc>) -> Vec<u32> {
        let window = Duration::seconds(MAX_SESSION_DURATION_SECS);
        let successors: Vec<Option<DateTime<Utc>>> = (0..self.keys.len())
            .map(|i| {
                self.keys
                    .get(i.saturating_add(1))
                    .map(|next| next.info.created_at)
            })
            .collect();
        let mut dropped = Vec::new();
        let mut index = 0_usize;
        self.keys.retain(|key| {
            let successor = successors.get(index).copied().flatten();
            index = index.saturating_add(1);
            let expired = successor.is_some_and(|next| {
                next.checked_add_signed(window)
                    .is_some_and(|last_expiry| last_expiry <= now)
            });
            let drop = expired || key.is_retired_at(now);
            if drop {
                dropped.push(key.info.id);
            }
            !drop
        });
        dropped
    }

    /// The keys in the ring (ids ascending), without material.
    pub fn keys(&self) -> impl Iterator<Item = KeyInfo> + '_ {
        self.keys.iter().map(|k| k.info)
    }

    /// The id of the key that seals at `now`: the newest key created at or before `now` and not
    /// retired at `now`.
    pub fn sealing_key_id(&self, now: DateTime<Utc>) -> Option<u32> {
        self.sealing_key(now).map(|k| k.info.id)
    }

    fn sealing_key(&self, now: DateTime<Utc>) -> Option<&RingKey> {
        self.keys
            .iter()
            .rev()
            .find(|k| k.info.created_at <= now && !k.is_retired_at(now))
    }

    /// Seals `plaintext` with the newest active key and a fresh random nonce. `associated`
    /// builds the associated data from the sealing key's id (so callers can bind a header
    /// that contains it).
    ///
    /// # Errors
    /// [`KeyRingError::NoActiveKey`], [`KeyRingError::Random`], [`KeyRingError::SealFailed`].
    pub fn seal(
        &self,
        now: DateTime<Utc>,
        plaintext: Vec<u8>,
        associated: impl FnOnce(u32) -> Vec<u8>,
        rng: &dyn Random,
    ) -> Result<Sealed, KeyRingError> {
        let key = self.sealing_key(now).ok_or(KeyRingError::NoActiveKey)?;
        let mut nonce = [0_u8; NONCE_LEN];
        rng.fill(&mut nonce)?;
        let aad = associated(key.info.id);
        let mut buffer = plaintext;
        let tag = key
            .cipher
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), &aad, &mut buffer)
            .map_err(|_| KeyRingError::SealFailed)?;
        buffer.extend_from_slice(&tag);
        Ok(Sealed {
            key_id: key.info.id,
            nonce,
            ciphertext: buffer,
        })
    }

    /// Opens `ciphertext_and_tag` in place with key `key_id` and returns the plaintext length
    /// (the plaintext is the buffer's prefix of that length).
    ///
    /// # Errors
    /// [`KeyRingError::UnknownKey`], [`KeyRingError::RetiredKey`] (retired at or before `now`),
    /// [`KeyRingError::Unauthentic`] (any tampering, or a buffer shorter than the tag).
    pub fn open_in_place(
        &self,
        now: DateTime<Utc>,
        key_id: u32,
        nonce: &[u8; NONCE_LEN],
        associated: &[u8],
        ciphertext_and_tag: &mut [u8],
    ) -> Result<usize, KeyRingError> {
        let key = self.key(key_id).ok_or(KeyRingError::UnknownKey(key_id))?;
        if key.is_retired_at(now) {
            return Err(KeyRingError::RetiredKey(key_id));
        }
        let body_len = ciphertext_and_tag
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(KeyRingError::Unauthentic)?;
        let (body, tag) = ciphertext_and_tag.split_at_mut(body_len);
        key.cipher
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                associated,
                body,
                Tag::from_slice(tag),
            )
            .map_err(|_| KeyRingError::Unauthentic)?;
        Ok(body_len)
    }

    /// The stamp of key `key_id` of this ring, if it has that key.
    pub fn stamp(&self, key_id: u32) -> Option<KeyStamp> {
        self.key(key_id).map(|key| KeyStamp {
            id: key.info.id,
            instance: key.instance,
        })
    }

    /// Whether the key `stamp` names is still in this ring (the same material, not just the
    /// same id) and not retired at `now`: exactly when a token it opened before would open
    /// again at `now`.
    pub fn still_opens(&self, stamp: KeyStamp, now: DateTime<Utc>) -> bool {
        self.key(stamp.id)
            .is_some_and(|key| key.instance == stamp.instance && !key.is_retired_at(now))
    }

    fn key(&self, key_id: u32) -> Option<&RingKey> {
        self.keys
            .binary_search_by_key(&key_id, |k| k.info.id)
            .ok()
            .and_then(|i| self.keys.get(i))
    }

    /// Writes the ring to `path` as JSON (keys in base64) atomically: a temporary file in the
    /// same directory, created owner-only (0600 on unix), written, flushed to disk, then
    /// renamed over `path`.
    ///
    /// # Errors
    /// [`KeyRingError::Io`] when any step fails (the temporary file is then removed).
    pub fn save(&self, path: &Path) -> Result<(), KeyRingError> {
        let io = |source| KeyRingError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = KeyRingFile {
            version: FILE_VERSION,
            keys: self
                .keys
                .iter()
                .map(|k| KeyFileEntry {
                    id: k.info.id,
                    created_at: rfc3339(k.info.created_at),
                    retired_at: k.info.retired_at.map(rfc3339),
                    key: base64::engine::general_purpose::STANDARD.encode(k.material),
                })
                .collect(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| io(std::io::Error::other(e)))?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| io(std::io::Error::other("path has no file name")))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp-{}-{stamp}", std::process::id()));
        let tmp = dir.join(tmp_name);
        let result = write_owner_only(&tmp, &json).and_then(|()| fs::rename(&tmp, path));
        if let Err(e) = result {
            // Best effort: the temporary file holds key material.
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        // Make the rename itself durable (best effort where directories cannot be opened).
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Reads a ring written by [`KeyRing::save`]. On unix a file accessible by group or other
    /// is refused before it is read.
    ///
    /// # Errors
    /// [`KeyRingError::InsecurePermissions`], [`KeyRingError::Io`],
    /// [`KeyRingError::InvalidFile`] (bad JSON, unknown version, duplicate id, key not 32 bytes).
    pub fn load(path: &Path) -> Result<Self, KeyRingError> {
        let io = |source| KeyRingError::Io {
            path: path.to_path_buf(),
            source,
        };
        check_owner_only(path)?;
        let bytes = fs::read(path).map_err(io)?;
        let invalid = |reason: String| KeyRingError::InvalidFile {
            path: path.to_path_buf(),
            reason,
        };
        // The serde error may quote input, which could be key material: report only its position.
        let file: KeyRingFile = serde_json::from_slice(&bytes).map_err(|e| {
            invalid(format!(
                "not a key ring document (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if file.version != FILE_VERSION {
            return Err(invalid(format!("unsupported version `{}`", file.version)));
        }
        let mut entries = file.keys;
        entries.sort_by_key(|e| e.id);
        let mut keys: Vec<RingKey> = Vec::with_capacity(entries.len());
        for entry in entries {
            if keys.last().is_some_and(|k| k.info.id == entry.id) {
                return Err(invalid(format!("key id `{}` appears twice", entry.id)));
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(entry.key.as_bytes())
                .map_err(|_| invalid(format!("key `{}` is not base64", entry.id)))?;
            let material: [u8; 32] = decoded
                .try_into()
                .map_err(|_| invalid(format!("key `{}` is not 32 bytes", entry.id)))?;
            let time = |text: &str| {
                DateTime::parse_from_rfc3339(text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| invalid(format!("key `{}` has a bad time `{text}`", entry.id)))
            };
            let created_at = time(&entry.created_at)?;
            let retired_at = entry.retired_at.as_deref().map(time).transpose()?;
            keys.push(RingKey::new(
                KeyInfo {
                    id: entry.id,
                    created_at,
                    retired_at,
                },
                material,
            ));
        }
        Ok(Self { keys })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRingFile {
    version: u32,
    keys: Vec<KeyFileEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileEntry {
    id: u32,
    created_at: String,
    #[serde(default)]
    retired_at: Option<String>,
    key: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(unix)]
fn check_owner_only(path: &Path) -> Result<(), KeyRingError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = fs::metadata(path).map_err(|source| KeyRingError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyRingError::InsecurePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_path: &Path) -> Result<(), KeyRingError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;
    use chrono::TimeZone;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn seal(ring: &KeyRing, now: DateTime<Utc>, msg: &[u8], rng: &SeededRandom) -> Sealed {
        ring.seal(now, msg.to_vec(), |id| id.to_be_bytes().to_vec(), rng)
            .unwrap()
    }

    fn open(ring: &KeyRing, now: DateTime<Utc>, s: &Sealed) -> Result<Vec<u8>, KeyRingError> {
        let mut buf = s.ciphertext.clone();
        let n = ring.open_in_place(now, s.key_id, &s.nonce, &s.key_id.to_be_bytes(), &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    #[test]
    fn sealed_messages_open_to_the_original() {
        let rng = SeededRandom::new(1);
        let ring = KeyRing::generate(t(0), &rng).unwrap();
        let s = seal(&ring, t(0), b"hello", &rng);
        assert_eq!(s.ciphertext.len(), 5 + TAG_LEN);
        assert_eq!(open(&ring, t(1), &s).unwrap(), b"hello");
    }

    #[test]
    fn the_newest_active_key_seals_and_older_keys_still_open() {
        let rng = SeededRandom::new(2);
        let mut ring = KeyRing::generate(t(0), &rng).unwrap();
        let old = seal(&ring, t(0), b"old", &rng);
        let new_id = ring.rotate(t(1), &rng).unwrap();
        let new = seal(&ring, t(1), b"new", &rng);
        assert_eq!(new.key_id, new_id);
        assert_ne!(old.key_id, new.key_id);
        assert_eq!(open(&ring, t(2), &old).unwrap(), b"old");
        assert_eq!(open(&ring, t(2), &new).unwrap(), b"new");
    }

    #[test]
    fn a_staged_key_opens_at_once_but_seals_only_from_its_creation_time() {
        let rng = SeededRandom::new(7);
        let mut ring = KeyRing::generate(t(0), &rng).unwrap();
        let staged = ring.rotate(t(2), &rng).unwrap();
        assert_eq!(ring.sealing_key_id(t(1)), Some(1));
        assert_eq!(ring.sealing_key_id(t(2)), Some(staged));
        let from_staged = seal(&ring, t(2), b"x", &rng);
        assert_eq!(open(&ring, t(1), &from_staged).unwrap(), b"x");
    }

    #[test]
    fn a_stamp_still_opens_only_with_the_same_key_material_until_retirement() {
        let rng = SeededRandom::new(11);
        let mut ring = KeyRing::generate(t(0), &rng).unwrap();
        let stamp = ring.stamp(1).unwrap();
        assert!(ring.still_opens(stamp, t(1)));
        assert_eq!(ring.stamp(2), None);
        // Another ring numbers its first key 1 as well, but it is other material.
        let other = KeyRing::generate(t(0), &rng).unwrap();
        assert_ne!(other.stamp(1), Some(stamp));
        assert!(!other.still_opens(stamp, t(1)));
        ring.rotate(t(1), &rng).unwrap();
        ring.retire(1, t(3)).unwrap();
        assert!(ring.still_opens(stamp, t(2)));
        assert!(!ring.still_opens(stamp, t(3)));
        ring.prune(t(4));
        assert!(!ring.still_opens(stamp, t(2)), "a pruned key opens nothing");
    }

    #[test]
    fn retired_keys_neither_open_nor_seal() {
        let rng = SeededRandom::new(3);
        let mut ring = KeyRing::generate(t(0), &rng).unwrap();
        let first = ring.sealing_key_id(t(0)).unwrap();
        let s = seal(&ring, t(0), b"x", &rng);
        ring.rotate(t(1), &rng).unwrap();
        ring.retire(first, t(5)).unwrap();
        assert!(
            open(&ring, t(4), &s).is_ok(),
            "still open before the retirement time"
        );
        assert!(matches!(open(&ring, t(5), &s), Err(KeyRingError::RetiredKey(id)) if id == first));
        let last = ring.sealing_key_id(t(5)).unwrap();
        ring.retire(last, t(5)).unwrap();
        assert!(matches!(
            ring.seal(t(6), vec![1], |_| Vec::new(), &rng),
            Err(KeyRingError::NoActiveKey)
        ));
        assert!(matches!(
            ring.retire(99, t(6)),
            Err(KeyRingError::UnknownKey(99))
        ));
    }

    #[test]
    fn tampered_ciphertext_and_wrong_associated_data_are_refused() {
        let rng = SeededRandom::new(4);
        let ring = KeyRing::generate(t(0), &rng).unwrap();
        let s = seal(&ring, t(0), b"payload", &rng);
        let mut flipped = s.clone();
        flipped.ciphertext[0] ^= 1;
        assert!(matches!(
            open(&ring, t(0), &flipped),
            Err(KeyRingError::Unauthentic)
        ));
        let mut buf = s.ciphertext.clone();
        assert!(ring
            .open_in_place(t(0), s.key_id, &s.nonce, b"other", &mut buf)
            .is_err());
        let mut short = [0_u8; 3];
        assert!(ring
            .open_in_place(t(0), s.key_id, &s.nonce, &[], &mut short)
            .is_err());
        assert!(matches!(
            ring.open_in_place(t(0), 42, &s.nonce, &[], &mut buf),
            Err(KeyRingError::UnknownKey(42))
        ));
    }

    #[test]
    fn prune_drops_a_superseded_key_only_after_its_last_possible_token_expired() {
        let rng = SeededRandom::new(5);
        let mut ring = KeyRing::generate(t(0), &rng).unwrap();
        ring.rotate(t(10), &rng).unwrap();
        assert!(ring.prune(t(10 + 35)).is_empty());
        assert_eq!(ring.prune(t(10 + 36)), vec![1]);
        assert_eq!(ring.keys().map(|k| k.id).collect::<Vec<_>>(), vec![2]);
        assert!(ring.prune(t(1000)).is_empty(), "the newest key stays");
    }

    #[test]
    fn debug_never_shows_key_material() {
        let rng = SeededRandom::new(6);
        let ring = KeyRing::generate(t(0), &rng).unwrap();
        let material = base64::engine::general_purpose::STANDARD.encode(ring.keys[0].material);
        let shown = format!("{ring:?}");
        assert!(shown.contains("id: 1"), "{shown}");
        assert!(!shown.contains(&material));
        assert!(!shown.contains(&format!("{:?}", ring.keys[0].material)));
    }
}
